/*
 * api/batch.h -- the body shared by every public batch entry point: the
 * pointer/stride checks, the options copied out of the context, and the
 * hand-over to the backend.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_API_BATCH_H
#define MVNI_API_BATCH_H

#include "api/context.h"
#include "backend/cpu.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Checks the pointer/stride pairs of a public batch call and builds the
   argument descriptors.  Returns MVN_OK or MVN_EINVAL with a message. */
int mvni_batch_args(mvn_context *ctx, size_t n, size_t d,
                    const double *lower, const ptrdiff_t *lower_strides,
                    const double *upper, const ptrdiff_t *upper_strides,
                    const double *mean, const ptrdiff_t *mean_strides,
                    const double *sigma, const ptrdiff_t *sigma_strides,
                    int sigma_kind, mvni_vec_arg *lo, mvni_vec_arg *hi,
                    mvni_vec_arg *mu, mvni_sigma_arg *sg);

/* Every output of a failed call: p, logp, abserr NaN and status[t] = st
   (strides ostride, NULL: contiguous), and on_error(user, t, d) per
   problem when d is a valid dimension (so that the caller's own
   per-problem arrays have a trustworthy size). */
void mvni_fail_outputs(size_t n, size_t d, double *p, double *logp,
                       double *abserr, int *status, const ptrdiff_t *ostride,
                       int st, void (*on_error)(void *user, size_t t, size_t d),
                       void *user);

/* mvni_cpu_run for a context: the options, the progress callback and the
   message buffer come from ctx, the evaluations and the backend that
   answered go back to it.  ostride: the strides of p, logp, abserr and
   status (NULL: contiguous). */
int mvni_batch_run(mvn_context *ctx, size_t n, size_t d,
                   mvni_vec_arg lower, mvni_vec_arg upper, mvni_vec_arg mean,
                   mvni_sigma_arg sigma, mvni_item_fn fn,
                   void (*on_error)(void *user, size_t t, size_t d),
                   void *user, double *p, double *logp, double *abserr,
                   int *status, const ptrdiff_t *ostride);

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
                     int *status, const ptrdiff_t *ostride);

/* The CPU computations of mvn_batch_compute on a host-memory descriptor
   (api/prob.c, api/grad.c): the same item functions as the pointer-
   argument entry points, with every output strided. */
int mvni_prob_desc(mvn_context *ctx, const mvn_batch_desc *desc);
int mvni_grad_desc(mvn_context *ctx, const mvn_batch_desc *desc, int log_space);

#ifdef __cplusplus
}
#endif

#endif
