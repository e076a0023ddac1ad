/*
 * api/context.h -- the context object behind mvn_context, and helpers to
 * record messages and copy options out for the algorithm code.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_CONTEXT_H
#define MVNORM_CONTEXT_H

#include <math.h>

#include "backend/plugin.h"
#include "common/types.h"
#include "qmc/qmc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Entries of the context's cache of chi maps. */
#define MVNI_CHI_CACHE 4


struct mvn_context {
    double option[MVN_OPTION_MAX + 1]; /* indexed by mvn_option */
    char message[MVNI_MESSAGE_SIZE];
    double evaluations;
    mvn_progress_fn progress;          /* NULL: no callback */
    void *progress_user;
    int backend_used;                  /* MVN_BACKEND_* of the last call */
    int env_backend;                   /* MVN_BACKEND in the environment at
                                          allocation (MVN_BACKEND_AUTO if
                                          unset or not a backend name) */
    mvni_plugin_slot cuda;             /* the CUDA module, once needed */
    /* The multivariate t's chi maps (qmc/chi.c) of the last few df, so
       that repeated calls (a quantile's root finder, a gradient's
       conditional problems at df + 1, a loop over problems) do not build
       them again: about 2 ms each, 30 ms at df = 1e6.  An entry with
       map.u == NULL is empty; use orders them for eviction. */
    struct {
        mvni_chi_map map;
        unsigned long use;
    } chi[MVNI_CHI_CACHE];
    unsigned long chi_clock;
};

/* The chi map of df from ctx's cache, built there (evicting the least
   recently used) when absent; valid until the next call on ctx.  NULL
   when memory runs out. */
const mvni_chi_map *mvni_context_chi_map(mvn_context *ctx, double df);

/* Write a printf-style message into ctx (if ctx is not NULL) and return
   status unchanged, so that callers can write
   `return mvni_fail(ctx, MVN_EDIM, "d = %zu exceeds ...", d);`. */
int mvni_fail(mvn_context *ctx, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* *x = NaN where x is not NULL: the outputs of a call that fails. */
static inline void mvni_set_nan(double *x)
{
    if (x)
        *x = NAN;
}

/* Clear the message and the evaluation count at the start of a call. */
void mvni_context_begin(mvn_context *ctx);

/* Copy the options an algorithm needs out of the context.  threads is
   resolved (0 -> the OpenMP maximum, or 1 without OpenMP). */
void mvni_solve_options_from_context(const mvn_context *ctx,
                                     mvni_solve_options *opt);

#ifdef __cplusplus
}
#endif

#endif
