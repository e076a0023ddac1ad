/*
 * mvnorm_plugin.h -- the ABI between libmvnorm and its backend modules.
 *
 * Copyright (C) 2026 The libmvnorm authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A backend module (mvnorm_cuda.so) is a shared object that the library
 * opens with dlopen(RTLD_NOW | RTLD_LOCAL) and that exports one symbol,
 *
 *     const mvn_plugin *mvn_plugin_entry(void);
 *
 * returning a pointer to a static, immutable description.  The library
 * rejects the module, and records why, when the symbol is missing, when
 * abi_version differs from MVN_PLUGIN_ABI_VERSION, or when struct_size is
 * smaller than the size this header declares.  Fields are only ever
 * appended; a change to an existing field raises MVN_PLUGIN_ABI_VERSION.
 * (The layout of hwloc's component structs is the model: the ABI field
 * first, one known entry symbol.)
 *
 * A module sees only mvnorm.h and this header.  It may call the public
 * library (for instance to answer on the CPU what it cannot serve), but
 * never with the context it is serving.
 *
 * Life cycle, per context: the library calls init once when the context
 * first needs the backend; a nonzero return rejects the module (the
 * reason text is kept and reported by mvn_backend_probe and in the
 * MVN_EBACKEND message).  compute is then called for each batch, from the
 * thread that called the library.  fini is called from mvn_context_free,
 * after which the module is closed.
 */
#ifndef MVNORM_PLUGIN_H
#define MVNORM_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "mvnorm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MVN_PLUGIN_ABI_VERSION 1

/* The name of the entry symbol, for dlsym. */
#define MVN_PLUGIN_ENTRY_SYMBOL "mvn_plugin_entry"

/* One batch handed to a module. */
typedef struct {
    size_t struct_size;          /* sizeof(mvn_plugin_call) */
    int computation;             /* MVN_COMPUTE_* */
    const mvn_batch_desc *desc;  /* the caller's descriptor, unchanged */
    /* Every option of the context, indexed by mvn_option (entry 0
       unused); threads already resolved to the count this call may use. */
    double option[MVN_OPTION_MAX + 1];
    /* The caller's progress callback (may be NULL); a module calls it on
       the calling thread and stops with MVN_ECANCELED when it returns
       nonzero. */
    mvn_progress_fn progress;
    void *progress_user;
    /* Outputs of the call: a message (the reason for a non-OK status,
       "" otherwise) and the integrand evaluations spent. */
    char *message;
    size_t message_size;
    double evaluations;
} mvn_plugin_call;

/*
 * Services the library lends a module at init, so that a backend uses the
 * very same building blocks as the CPU (and so the same numbers up to
 * rounding) without seeing the library's internals.  Valid until fini.
 */
typedef struct {
    size_t struct_size;    /* sizeof(mvn_plugin_host) */
    /* The validated canonical form of problem t of a host-memory batch:
       a = lower - mean, b = upper - mean (d each) and the full symmetric
       covariance (d*d, row-major).  Returns a status and writes a message
       naming the offending entry on failure. */
    int (*load_problem)(const mvn_batch_desc *desc, size_t t, double *a,
                        double *b, double *sigma, char *msg, size_t msg_size);
    /* P Sigma P^T = L L^T with Gibson-Glasbey-Elston ordering (reorder =
       MVN_REORDER_*), limits permuted alike; L row-major d*d; perm[k] the
       original index of variable k; work >= 2*d doubles.  A pivot below
       1e-10 of the largest variance gives a zero column (singular Sigma).
       MVN_OK or MVN_ENOTPD. */
    int (*chol_reorder)(size_t d, const double *sigma, double *a, double *b,
                        int reorder, double *L, size_t *perm, double *work);
    /* The rank-1 lattice rules: how many sizes, the points of size k and
       component j of its generating vector. */
    int (*lattice_count)(void);
    uint64_t (*lattice_points)(int k);
    uint64_t (*lattice_generator)(int k, size_t j);
    /* The random shifts: a uniform double in [0, 1) that is a pure
       function of (seed, stream, index); the CPU uses stream = shift j,
       index = coordinate. */
    double (*uniform)(uint64_t seed, uint64_t stream, uint64_t index);
} mvn_plugin_host;

typedef struct {
    unsigned abi_version;   /* MVN_PLUGIN_ABI_VERSION: first, always */
    size_t struct_size;     /* sizeof(mvn_plugin) as the module saw it */
    const char *name;       /* "cuda" */
    int backend;            /* the MVN_BACKEND_* value it implements */
    /* Bit (1 << MVN_COMPUTE_x) set for each computation it serves. */
    unsigned computations;
    /* Bit (1 << MVN_MEMORY_x) set for each memory space it accepts. */
    unsigned memories;
    /* Prepares the module for one context.  host: the library's services
       (kept until fini).  Returns 0 and sets *state (module-private, may
       be NULL), or nonzero with a reason (for instance "no CUDA device:
       cudaGetDeviceCount returned 35"). */
    int (*init)(const mvn_plugin_host *host, void **state, char *reason,
                size_t reason_size);
    /* Releases what init acquired. */
    void (*fini)(void *state);
    /* Computes one batch; returns a status as mvn_batch_compute does. */
    int (*compute)(void *state, mvn_plugin_call *call);
} mvn_plugin;

typedef const mvn_plugin *(*mvn_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* MVNORM_PLUGIN_H */
