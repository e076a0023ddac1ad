/*
 * backend/cpu.h -- the CPU executor behind every public batch entry point
 * (probabilities, gradients): per-problem validation, threads over
 * problems, per-problem statuses, the first failure's message, progress
 * and cancellation.  What is computed per problem is a callback.  It never
 * sees the context: the API layer hands it an mvni_exec.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_BACKEND_CPU_H
#define MVNI_BACKEND_CPU_H

#include "backend/validate.h"
#include "common/types.h"

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

/* What one call hands the executor, copied out of the context. */
typedef struct {
    mvni_solve_options opt;   /* qmc.threads resolved, monitor NULL */
    mvn_progress_fn progress; /* may be NULL */
    void *progress_user;
    char *message;            /* the reason for a non-OK status */
    size_t message_size;
    double evaluations;       /* out: integrand evaluations spent */
    /* Strides of the outputs p, logp, abserr, status (element t of p is
       p[t * ostride[0]], ...); 1 for contiguous arrays. */
    ptrdiff_t ostride[4];
} mvni_exec;

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
 * (each may be NULL, strides in ex->ostride).  Problems that fail have NaN outputs (fn is not
 * called for problems whose input is invalid; on_error, when not NULL, is
 * then called so that the caller can fill its own outputs with NaN).
 * Returns MVN_OK, MVN_ETOL, MVN_ECANCELED, or the first failing problem's
 * status (ex->message names the problem).
 */
int mvni_cpu_run(mvni_exec *ex, size_t n, size_t d,
                 mvni_vec_arg lower, mvni_vec_arg upper, mvni_vec_arg mean,
                 mvni_sigma_arg sigma, mvni_item_fn fn,
                 void (*on_error)(void *user, size_t t, size_t d),
                 void *user, double *p, double *logp, double *abserr,
                 int *status);

#ifdef __cplusplus
}
#endif

#endif
