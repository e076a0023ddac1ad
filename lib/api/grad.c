/*
 * api/grad.c -- public entry points for derivatives: mvn_prob_grad,
 * mvn_prob_grad_batch, mvn_logprob_grad_batch, mvn_prob_hessian,
 * mvn_prob_hessian_batch.  Validation, threads over
 * problems, statuses and messages are those of mvn_prob (the shared batch
 * driver of batch.c); what is computed per problem is gradient.h's.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/batch.h"
#include "api/compute.h"
#include "backend/items.h"

/* The shared body of every entry point: arguments as mvn_prob_grad_batch.
   Outputs are NaN on every failure that leaves d trustworthy. */
static int grad_run(mvn_context *ctx, size_t n, size_t d,
                    const double *lower, const ptrdiff_t *lower_strides,
                    const double *upper, const ptrdiff_t *upper_strides,
                    const double *mean, const ptrdiff_t *mean_strides,
                    const double *sigma, const ptrdiff_t *sigma_strides,
                    int sigma_kind, double *p, double *logp, double *abserr,
                    int *status, mvni_grad_user *u)
{
    if (ctx != NULL && u->route < 0)
        u->route = (int)ctx->option[MVN_OPT_GRADIENT];
    /* A plugin backend gets the call as a descriptor; the Hessian is
       computed on the CPU only (h_upper is not part of the descriptor). */
    if (ctx != NULL && u->h_upper.x == NULL && mvni_wants_plugin(ctx)) {
        mvni_context_begin(ctx);
        mvn_batch_desc desc;
        int st = mvni_desc_checked(ctx, &desc, n, d, lower, lower_strides, upper,
                                   upper_strides, mean, mean_strides, sigma,
                                   sigma_strides, sigma_kind, p, logp, abserr, status);
        if (st != MVN_OK) {
            mvni_fail_outputs(n, d, p, logp, abserr, status, NULL, st, mvni_grad_on_error, u);
            return st;
        }
        desc.d_lower = u->d_lower.x;
        desc.d_upper = u->d_upper.x;
        desc.d_mean = u->d_mean.x;
        desc.d_sigma = u->d_sigma.x;
        desc.err_lower = u->err_lower.x;
        desc.err_upper = u->err_upper.x;
        desc.err_sigma = u->err_sigma.x;
        return mvni_compute(ctx, u->log_space ? MVN_COMPUTE_LOG_GRAD : MVN_COMPUTE_GRAD,
                            &desc);
    }
    return mvni_batch_entry(ctx, n, d, lower, lower_strides, upper,
                            upper_strides, mean, mean_strides, sigma,
                            sigma_strides, sigma_kind, mvni_grad_item, mvni_grad_on_error,
                            u, p, logp, abserr, status, NULL);
}

/* Sets the outputs of a one-problem call to NaN before anything can fail
   (only when d is a valid dimension: otherwise the caller's arrays have
   no trustworthy size). */
static void one_nan(size_t d, double *p, double *logp, double *abserr,
                    mvni_grad_user *u)
{
    mvni_set_nan(p);
    mvni_set_nan(logp);
    mvni_set_nan(abserr);
    if (d >= 1 && d <= MVN_MAX_DIM)
        mvni_grad_on_error(u, 0, d);
}

/* One problem with a row-major covariance: a batch of one.  The outputs
   are NaN before anything can fail (mvni_batch_entry checks sigma). */
static int grad_one(mvn_context *ctx, size_t d, const double *lower,
                    const double *upper, const double *mean,
                    const double *sigma, double *p, double *logp,
                    double *abserr, mvni_grad_user *u)
{
    one_nan(d, p, logp, abserr, u);
    const ptrdiff_t vs[2] = {0, 1};
    const ptrdiff_t ss[3] = {0, (ptrdiff_t)d, 1};
    return grad_run(ctx, 1, d, lower, vs, upper, vs, mean, vs, sigma, ss,
                    MVN_SIGMA_COV, p, logp, abserr, NULL, u);
}

MVN_API int mvn_prob_grad(mvn_context *ctx, size_t d, const double *lower,
                          const double *upper, const double *mean,
                          const double *sigma, double *p, double *logp,
                          double *abserr, double *d_lower, double *d_upper,
                          double *d_mean, double *d_sigma)
{
    mvni_grad_user u = {-1, mvni_grad_vec(d_lower, d), mvni_grad_vec(d_upper, d), mvni_grad_vec(d_mean, d), mvni_grad_mat(d_sigma, d),
                   mvni_grad_none, 0, mvni_grad_none, mvni_grad_none, mvni_grad_none};
    return grad_one(ctx, d, lower, upper, mean, sigma, p, logp, abserr, &u);
}

MVN_API int mvn_prob_grad_batch(mvn_context *ctx, size_t n, size_t d,
                                const double *lower, const ptrdiff_t *lower_strides,
                                const double *upper, const ptrdiff_t *upper_strides,
                                const double *mean, const ptrdiff_t *mean_strides,
                                const double *sigma, const ptrdiff_t *sigma_strides,
                                int sigma_kind, double *p, double *logp,
                                double *abserr, int *status, double *d_lower,
                                double *d_upper, double *d_mean, double *d_sigma)
{
    mvni_grad_user u = {-1, mvni_grad_vec(d_lower, d), mvni_grad_vec(d_upper, d), mvni_grad_vec(d_mean, d), mvni_grad_mat(d_sigma, d),
                   mvni_grad_none, 0, mvni_grad_none, mvni_grad_none, mvni_grad_none};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}

MVN_API int mvn_prob_hessian(mvn_context *ctx, size_t d, const double *lower,
                             const double *upper, const double *mean,
                             const double *sigma, double *p, double *h_upper)
{
    /* The Hessian always comes from the closed form (route 1). */
    mvni_grad_user u = {MVN_GRADIENT_CLOSED_FORM, mvni_grad_none, mvni_grad_none, mvni_grad_none, mvni_grad_none, mvni_grad_mat(h_upper, d), 0,
                   mvni_grad_none, mvni_grad_none, mvni_grad_none};
    return grad_one(ctx, d, lower, upper, mean, sigma, p, NULL, NULL, &u);
}

MVN_API int mvn_logprob_grad_batch(mvn_context *ctx, size_t n, size_t d,
                                   const double *lower, const ptrdiff_t *lower_strides,
                                   const double *upper, const ptrdiff_t *upper_strides,
                                   const double *mean, const ptrdiff_t *mean_strides,
                                   const double *sigma, const ptrdiff_t *sigma_strides,
                                   int sigma_kind, double *p, double *logp,
                                   double *abserr, int *status, double *d_lower,
                                   double *d_upper, double *d_mean,
                                   double *d_sigma)
{
    mvni_grad_user u = {-1, mvni_grad_vec(d_lower, d), mvni_grad_vec(d_upper, d), mvni_grad_vec(d_mean, d), mvni_grad_mat(d_sigma, d),
                   mvni_grad_none, 1, mvni_grad_none, mvni_grad_none, mvni_grad_none};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}

MVN_API int mvn_prob_hessian_batch(mvn_context *ctx, size_t n, size_t d,
                                   const double *lower, const ptrdiff_t *lower_strides,
                                   const double *upper, const ptrdiff_t *upper_strides,
                                   const double *mean, const ptrdiff_t *mean_strides,
                                   const double *sigma, const ptrdiff_t *sigma_strides,
                                   int sigma_kind, double *p, int *status,
                                   double *h_upper)
{
    /* The Hessian always comes from the closed form (route 1), as for
       mvn_prob_hessian, so item t equals the single call bitwise. */
    mvni_grad_user u = {MVN_GRADIENT_CLOSED_FORM, mvni_grad_none, mvni_grad_none, mvni_grad_none, mvni_grad_none, mvni_grad_mat(h_upper, d), 0,
                   mvni_grad_none, mvni_grad_none, mvni_grad_none};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    NULL, NULL, status, &u);
}

MVN_API int mvn_prob_grad_err_batch(mvn_context *ctx, size_t n, size_t d,
                                    const double *lower, const ptrdiff_t *lower_strides,
                                    const double *upper, const ptrdiff_t *upper_strides,
                                    const double *mean, const ptrdiff_t *mean_strides,
                                    const double *sigma, const ptrdiff_t *sigma_strides,
                                    int sigma_kind, double *p, double *logp,
                                    double *abserr, int *status, double *d_lower,
                                    double *d_upper, double *d_mean, double *d_sigma,
                                    double *err_lower, double *err_upper,
                                    double *err_sigma)
{
    mvni_grad_user u = {-1, mvni_grad_vec(d_lower, d), mvni_grad_vec(d_upper, d), mvni_grad_vec(d_mean, d), mvni_grad_mat(d_sigma, d),
                   mvni_grad_none, 0, mvni_grad_vec(err_lower, d), mvni_grad_vec(err_upper, d), mvni_grad_mat(err_sigma, d)};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}
