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
#include "grad/grad.h"

/* Where the derivatives of problem t go (item-major, contiguous); route
   -1 means the context's MVN_OPT_GRADIENT. */
typedef struct {
    int route;
    double *d_lower, *d_upper, *d_mean, *d_sigma, *h_upper;
    int log_space; /* derivatives of log P (mvn_logprob_grad_batch) */
    double *err_lower, *err_upper, *err_sigma; /* mvn_prob_grad_err_batch */
} grad_user;

static void fill_nan(double *x, size_t len)
{
    if (x)
        for (size_t i = 0; i < len; ++i)
            x[i] = NAN;
}

static void grad_on_error(void *user, size_t t, size_t d)
{
    const grad_user *u = (const grad_user *)user;
    fill_nan(u->d_lower ? u->d_lower + t * d : NULL, d);
    fill_nan(u->d_upper ? u->d_upper + t * d : NULL, d);
    fill_nan(u->d_mean ? u->d_mean + t * d : NULL, d);
    fill_nan(u->d_sigma ? u->d_sigma + t * d * d : NULL, d * d);
    fill_nan(u->h_upper ? u->h_upper + t * d * d : NULL, d * d);
    fill_nan(u->err_lower ? u->err_lower + t * d : NULL, d);
    fill_nan(u->err_upper ? u->err_upper + t * d : NULL, d);
    fill_nan(u->err_sigma ? u->err_sigma + t * d * d : NULL, d * d);
}

static int grad_item(void *user, size_t t, size_t d, const double *a,
                     const double *b, const double *sigma,
                     const mvni_solve_options *opt, mvni_result *res)
{
    const grad_user *u = (const grad_user *)user;
    mvni_grad_out out;
    memset(&out, 0, sizeof out);
    out.d_lower = u->d_lower ? u->d_lower + t * d : NULL;
    out.d_upper = u->d_upper ? u->d_upper + t * d : NULL;
    out.g_sigma = u->d_sigma ? u->d_sigma + t * d * d : NULL;
    out.h_upper = u->h_upper ? u->h_upper + t * d * d : NULL;
    out.log_space = u->log_space;
    out.err_lower = u->err_lower ? u->err_lower + t * d : NULL;
    out.err_upper = u->err_upper ? u->err_upper + t * d : NULL;
    out.err_sigma = u->err_sigma ? u->err_sigma + t * d * d : NULL;
    double *dm = u->d_mean ? u->d_mean + t * d : NULL;
    double *tmp = NULL;
    /* dP/dmean = -(dP/dlower + dP/dupper) needs both vectors. */
    if (dm != NULL && (out.d_lower == NULL || out.d_upper == NULL)) {
        tmp = (double *)malloc(2 * d * sizeof(double));
        if (tmp == NULL)
            return MVN_ENOMEM;
        if (out.d_lower == NULL)
            out.d_lower = tmp;
        if (out.d_upper == NULL)
            out.d_upper = tmp + d;
    }
    int st = mvni_grad_solve(u->route, d, a, b, sigma, opt, res, &out);
    if (dm != NULL)
        for (size_t i = 0; i < d; ++i)
            dm[i] = -(out.d_lower[i] + out.d_upper[i]);
    free(tmp);
    return st;
}

/* The shared body of every entry point: arguments as mvn_prob_grad_batch.
   Outputs are NaN on every failure that leaves d trustworthy. */
static int grad_run(mvn_context *ctx, size_t n, size_t d,
                    const double *lower, const ptrdiff_t *lower_strides,
                    const double *upper, const ptrdiff_t *upper_strides,
                    const double *mean, const ptrdiff_t *mean_strides,
                    const double *sigma, const ptrdiff_t *sigma_strides,
                    int sigma_kind, double *p, double *logp, double *abserr,
                    int *status, grad_user *u)
{
    if (ctx != NULL && u->route < 0)
        u->route = (int)ctx->option[MVN_OPT_GRADIENT];
    return mvni_batch_entry(ctx, n, d, lower, lower_strides, upper,
                            upper_strides, mean, mean_strides, sigma,
                            sigma_strides, sigma_kind, grad_item, grad_on_error,
                            u, p, logp, abserr, status);
}

/* Sets the outputs of a one-problem call to NaN before anything can fail
   (only when d is a valid dimension: otherwise the caller's arrays have
   no trustworthy size). */
static void one_nan(size_t d, double *p, double *logp, double *abserr,
                    grad_user *u)
{
    fill_nan(p, 1);
    fill_nan(logp, 1);
    fill_nan(abserr, 1);
    if (d >= 1 && d <= MVN_MAX_DIM)
        grad_on_error(u, 0, d);
}

/* One problem with a row-major covariance: a batch of one.  The outputs
   are NaN before anything can fail (mvni_batch_entry checks sigma). */
static int grad_one(mvn_context *ctx, size_t d, const double *lower,
                    const double *upper, const double *mean,
                    const double *sigma, double *p, double *logp,
                    double *abserr, grad_user *u)
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
    grad_user u = {-1, d_lower, d_upper, d_mean, d_sigma, NULL, 0, NULL, NULL, NULL};
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
    grad_user u = {-1, d_lower, d_upper, d_mean, d_sigma, NULL, 0, NULL, NULL, NULL};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}

MVN_API int mvn_prob_hessian(mvn_context *ctx, size_t d, const double *lower,
                             const double *upper, const double *mean,
                             const double *sigma, double *p, double *h_upper)
{
    /* The Hessian always comes from the closed form (route 1). */
    grad_user u = {MVN_GRADIENT_CLOSED_FORM, NULL, NULL, NULL, NULL, h_upper, 0, NULL, NULL, NULL};
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
    grad_user u = {-1, d_lower, d_upper, d_mean, d_sigma, NULL, 1, NULL, NULL, NULL};
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
    grad_user u = {MVN_GRADIENT_CLOSED_FORM, NULL, NULL, NULL, NULL, h_upper, 0, NULL, NULL, NULL};
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
    grad_user u = {-1, d_lower, d_upper, d_mean, d_sigma, NULL, 0,
                   err_lower, err_upper, err_sigma};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}
