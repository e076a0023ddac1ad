/*
 * backend/items.h -- the per-problem computations of the CPU executor
 * (mvni_item_fn callbacks of backend/cpu.h) and where they write.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_BACKEND_ITEMS_H
#define MVNI_BACKEND_ITEMS_H

#include "backend/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* P by mvni_solve; user is unused. */
int mvni_prob_item(void *user, size_t t, size_t d, const double *a,
                   const double *b, const double *sigma,
                   const mvni_solve_options *opt, mvni_result *res);

/* Where the error estimates of log P go: logerr[t * stride]. */
typedef struct {
    double *logerr;
    ptrdiff_t stride;
} mvni_logerr_out;

/* P, and the error estimate of log P into a mvni_logerr_out (user). */
int mvni_logprob_item(void *user, size_t t, size_t d, const double *a,
                      const double *b, const double *sigma,
                      const mvni_solve_options *opt, mvni_result *res);
void mvni_logprob_on_error(void *user, size_t t, size_t d);

/* One derivative output: element (t, i) of a vector at
   x[t * s[0] + i * s[1]], element (t, i, j) of a matrix at
   x[t * s[0] + i * s[1] + j * s[2]].  NULL = not wanted. */
typedef struct {
    double *x;
    ptrdiff_t s[3];
} mvni_grad_array;

/* Where the derivatives of problem t go; route -1 means the context's
   MVN_OPT_GRADIENT. */
typedef struct {
    int route;
    mvni_grad_array d_lower, d_upper, d_mean, d_sigma, h_upper;
    int log_space; /* derivatives of log P (mvn_logprob_grad_batch) */
    mvni_grad_array err_lower, err_upper, err_sigma; /* mvn_prob_grad_err_batch */
} mvni_grad_user;

/* The item-major contiguous layouts of the 0.1 entry points, any
   strides (vectors s[0], s[1]; matrices s[0], s[1], s[2]), and "not
   wanted". */
mvni_grad_array mvni_grad_vec(double *x, size_t d);
mvni_grad_array mvni_grad_mat(double *x, size_t d);
mvni_grad_array mvni_grad_strided(double *x, const ptrdiff_t *s, int matrix);
extern const mvni_grad_array mvni_grad_none;

/* P and the derivatives asked for by a mvni_grad_user (user); blocks that
   are not contiguous go through scratch and are scattered. */
int mvni_grad_item(void *user, size_t t, size_t d, const double *a,
                   const double *b, const double *sigma,
                   const mvni_solve_options *opt, mvni_result *res);
/* Every derivative output of problem t set to NaN. */
void mvni_grad_on_error(void *user, size_t t, size_t d);

#ifdef __cplusplus
}
#endif

#endif
