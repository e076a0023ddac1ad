/*
 * batch.h -- the driver shared by every public batch entry point
 * (probabilities, gradients): argument checks, per-problem validation,
 * threading over problems, per-problem statuses and the first failure's
 * message.  What is computed per problem is a callback.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_BATCH_H
#define MVNORM_BATCH_H

#include "context.h"
#include "validate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One strided array argument: element k of problem t is
   data[t * item_stride + k * elem_stride]. */
typedef struct {
    const double *data;
    ptrdiff_t item_stride, elem_stride;
} mvni_vec_arg;

/* The covariance (or factor) argument of a batch. */
typedef struct {
    const double *data;
    ptrdiff_t item_stride, row_stride, col_stride;
    int kind; /* MVN_SIGMA_COV or MVN_SIGMA_CHOL */
    /* When not NULL: an already validated canonical d x d covariance used
       for every problem (plans, and batches whose Sigma has item stride 0);
       data and the strides are then ignored. */
    const double *validated;
} mvni_sigma_arg;

/*
 * Per-problem work.  t is the problem's index; a, b, sigma its canonical
 * form (mean subtracted, full symmetric covariance); opt the options with
 * qmc.threads set to the threads this problem may use.  Fills res and may
 * write its own per-problem outputs through user.  Returns a status.
 */
typedef int (*mvni_item_fn)(void *user, size_t t, size_t d, const double *a,
                            const double *b, const double *sigma,
                            const mvni_solve_options *opt, mvni_result *res);

/*
 * Run fn over n problems of dimension d and write p, logp, abserr, status
 * (each may be NULL).  Problems that fail have NaN outputs (fn is not
 * called for problems whose input is invalid; on_error, when not NULL, is
 * then called so that the caller can fill its own outputs with NaN).
 * Returns MVN_OK, MVN_ETOL, or the first failing problem's status (the
 * context message names the problem).
 */
int mvni_batch_run(mvn_context *ctx, size_t n, size_t d,
                   mvni_vec_arg lower, mvni_vec_arg upper, mvni_vec_arg mean,
                   mvni_sigma_arg sigma, mvni_item_fn fn,
                   void (*on_error)(void *user, size_t t, size_t d),
                   void *user, double *p, double *logp, double *abserr,
                   int *status);

/* Checks the pointer/stride pairs of a public batch call and builds the
   argument descriptors.  Returns MVN_OK or MVN_EINVAL with a message. */
int mvni_batch_args(mvn_context *ctx, size_t n, size_t d,
                    const double *lower, const ptrdiff_t *lower_strides,
                    const double *upper, const ptrdiff_t *upper_strides,
                    const double *mean, const ptrdiff_t *mean_strides,
                    const double *sigma, const ptrdiff_t *sigma_strides,
                    int sigma_kind, mvni_vec_arg *lo, mvni_vec_arg *hi,
                    mvni_vec_arg *mu, mvni_sigma_arg *sg);

/* The whole body of a public batch entry point: mvni_context_begin, the
   argument checks of mvni_batch_args, then mvni_batch_run.  On an argument
   error every output is NaN, status[t] the status, and on_error is called
   per problem (when d is a valid dimension).  MVN_EINVAL for a NULL ctx. */
int mvni_batch_entry(mvn_context *ctx, size_t n, size_t d,
                     const double *lower, const ptrdiff_t *lower_strides,
                     const double *upper, const ptrdiff_t *upper_strides,
                     const double *mean, const ptrdiff_t *mean_strides,
                     const double *sigma, const ptrdiff_t *sigma_strides,
                     int sigma_kind, mvni_item_fn fn,
                     void (*on_error)(void *user, size_t t, size_t d),
                     void *user, double *p, double *logp, double *abserr,
                     int *status);

#ifdef __cplusplus
}
#endif

#endif
