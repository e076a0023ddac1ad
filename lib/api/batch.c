/*
 * api/batch.c -- the body shared by every public batch entry point.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>

#include "api/batch.h"
#include "backend/items.h"

static const ptrdiff_t contiguous[4] = {1, 1, 1, 1};

static void write_nan(const ptrdiff_t *os, size_t t, double *p, double *logp,
                      double *abserr)
{
    const ptrdiff_t ti = (ptrdiff_t)t;
    if (p)
        p[ti * os[0]] = NAN;
    if (logp)
        logp[ti * os[1]] = NAN;
    if (abserr)
        abserr[ti * os[2]] = NAN;
}

void mvni_fail_outputs(size_t n, size_t d, double *p, double *logp,
                       double *abserr, int *status, const ptrdiff_t *ostride,
                       int st, void (*on_error)(void *user, size_t t, size_t d),
                       void *user)
{
    const ptrdiff_t *os = ostride ? ostride : contiguous;
    for (size_t t = 0; t < n; ++t) {
        write_nan(os, t, p, logp, abserr);
        if (status)
            status[(ptrdiff_t)t * os[3]] = st;
        /* Called whatever d is: outputs of one value per problem (logerr)
           are written always; those of d values check d themselves. */
        if (on_error)
            on_error(user, t, d);
    }
}

int mvni_batch_args(mvn_context *ctx, size_t n, size_t d,
                    const double *lower, const ptrdiff_t *lower_strides,
                    const double *upper, const ptrdiff_t *upper_strides,
                    const double *mean, const ptrdiff_t *mean_strides,
                    const double *sigma, const ptrdiff_t *sigma_strides,
                    int sigma_kind, mvni_vec_arg *lo, mvni_vec_arg *hi,
                    mvni_vec_arg *mu, mvni_sigma_arg *sg)
{
    (void)n;
    (void)d;
    if (lower != NULL && lower_strides == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "lower_strides is NULL while lower is not");
    if (upper != NULL && upper_strides == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "upper_strides is NULL while upper is not");
    if (mean != NULL && mean_strides == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "mean_strides is NULL while mean is not");
    if (sigma == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "sigma is NULL: a covariance or Cholesky factor is required");
    if (sigma_strides == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "sigma_strides is NULL");
    if (sigma_kind != MVN_SIGMA_COV && sigma_kind != MVN_SIGMA_CHOL)
        return mvni_fail(ctx, MVN_EINVAL,
                         "sigma_kind = %d is neither MVN_SIGMA_COV (0) nor MVN_SIGMA_CHOL (1)",
                         sigma_kind);
    lo->data = lower;
    lo->item_stride = lower ? lower_strides[0] : 0;
    lo->elem_stride = lower ? lower_strides[1] : 0;
    hi->data = upper;
    hi->item_stride = upper ? upper_strides[0] : 0;
    hi->elem_stride = upper ? upper_strides[1] : 0;
    mu->data = mean;
    mu->item_stride = mean ? mean_strides[0] : 0;
    mu->elem_stride = mean ? mean_strides[1] : 0;
    sg->data = sigma;
    sg->item_stride = sigma_strides[0];
    sg->row_stride = sigma_strides[1];
    sg->col_stride = sigma_strides[2];
    sg->kind = sigma_kind;
    sg->validated = NULL;
    return MVN_OK;
}

int mvni_batch_run(mvn_context *ctx, size_t n, size_t d,
                   mvni_vec_arg lower, mvni_vec_arg upper, mvni_vec_arg mean,
                   mvni_sigma_arg sigma, mvni_item_fn fn,
                   void (*on_error)(void *user, size_t t, size_t d),
                   void *user, double *p, double *logp, double *abserr,
                   int *status, const ptrdiff_t *ostride)
{
    /* What reaches here runs on the CPU executor: the plugin path goes
       through api/compute.c.  With MVN_BACKEND_CUDA required, only the
       Hessian and plan entry points get here: say why they cannot
       honour it. */
    int st = mvni_check_dim(d, ctx->message, sizeof ctx->message);
    if (st == MVN_OK && ctx->option[MVN_OPT_BACKEND] == MVN_BACKEND_CUDA) {
        if (mvni_plugin_load(&ctx->cuda, MVN_BACKEND_CUDA, "cuda") != MVN_OK)
            st = mvni_fail(ctx, MVN_EBACKEND, "the CUDA backend is not available: %s",
                           ctx->cuda.reason);
        else
            st = mvni_fail(ctx, MVN_EUNSUPPORTED,
                           "the Hessian and plan entry points run on the CPU only; set "
                           "MVN_OPT_BACKEND to MVN_BACKEND_AUTO or MVN_BACKEND_CPU");
    }
    if (st != MVN_OK) {
        mvni_fail_outputs(n, d, p, logp, abserr, status, ostride, st, on_error, user);
        return st;
    }
    mvni_exec ex;
    mvni_solve_options_from_context(ctx, &ex.opt);
    ex.progress = ctx->progress;
    ex.progress_user = ctx->progress_user;
    ex.message = ctx->message;
    ex.message_size = sizeof ctx->message;
    ex.evaluations = 0.0;
    for (int k = 0; k < 4; ++k)
        ex.ostride[k] = ostride ? ostride[k] : 1;
    st = mvni_cpu_run(&ex, n, d, lower, upper, mean, sigma, fn, on_error,
                      user, p, logp, abserr, status);
    ctx->evaluations = ex.evaluations;
    ctx->backend_used = MVN_BACKEND_CPU;
    return st;
}

int mvni_batch_entry(mvn_context *ctx, size_t n, size_t d,
                       const double *lower, const ptrdiff_t *lower_strides,
                       const double *upper, const ptrdiff_t *upper_strides,
                       const double *mean, const ptrdiff_t *mean_strides,
                       const double *sigma, const ptrdiff_t *sigma_strides,
                       int sigma_kind, mvni_item_fn fn,
                       void (*on_error)(void *user, size_t t, size_t d),
                       void *user, double *p, double *logp, double *abserr,
                       int *status, const ptrdiff_t *ostride)
{
    if (ctx == NULL) {
        mvni_fail_outputs(n, d, p, logp, abserr, status, ostride, MVN_EINVAL,
                          on_error, user);
        return MVN_EINVAL;
    }
    mvni_context_begin(ctx);
    mvni_vec_arg lo, hi, mu;
    mvni_sigma_arg sg;
    int st = mvni_batch_args(ctx, n, d, lower, lower_strides, upper,
                             upper_strides, mean, mean_strides, sigma,
                             sigma_strides, sigma_kind, &lo, &hi, &mu, &sg);
    if (st != MVN_OK) {
        mvni_fail_outputs(n, d, p, logp, abserr, status, ostride, st, on_error, user);
        return st;
    }
    return mvni_batch_run(ctx, n, d, lo, hi, mu, sg, fn, on_error, user, p,
                          logp, abserr, status, ostride);
}

int mvni_prob_desc(mvn_context *ctx, const mvn_batch_desc *b)
{
    mvni_logerr_out o = {b->logerr, b->logerr_stride};
    const ptrdiff_t os[4] = {b->p_stride, b->logp_stride, b->abserr_stride,
                             b->status_stride};
    return mvni_batch_entry(ctx, b->n, b->d, b->lower, b->lower_strides, b->upper,
                            b->upper_strides, b->mean, b->mean_strides, b->sigma,
                            b->sigma_strides, b->sigma_kind, mvni_logprob_item,
                            mvni_logprob_on_error, &o, b->p, b->logp, b->abserr,
                            b->status, os);
}

int mvni_grad_desc(mvn_context *ctx, const mvn_batch_desc *b, int log_space)
{
    mvni_grad_user u = {-1,
                   mvni_grad_strided(b->d_lower, b->d_lower_strides, 0),
                   mvni_grad_strided(b->d_upper, b->d_upper_strides, 0),
                   mvni_grad_strided(b->d_mean, b->d_mean_strides, 0),
                   mvni_grad_strided(b->d_sigma, b->d_sigma_strides, 1),
                   mvni_grad_none, log_space,
                   mvni_grad_strided(b->err_lower, b->err_lower_strides, 0),
                   mvni_grad_strided(b->err_upper, b->err_upper_strides, 0),
                   mvni_grad_strided(b->err_sigma, b->err_sigma_strides, 1)};
    const ptrdiff_t os[4] = {b->p_stride, b->logp_stride, b->abserr_stride,
                             b->status_stride};
    u.route = (int)ctx->option[MVN_OPT_GRADIENT];
    /* The error of log P is an output of MVN_COMPUTE_PROB only: written
       NaN here, so that no output is left unwritten. */
    for (size_t t = 0; b->logerr && t < b->n; ++t)
        b->logerr[(ptrdiff_t)t * b->logerr_stride] = NAN;
    return mvni_batch_entry(ctx, b->n, b->d, b->lower, b->lower_strides, b->upper,
                            b->upper_strides, b->mean, b->mean_strides, b->sigma,
                            b->sigma_strides, b->sigma_kind, mvni_grad_item,
                            mvni_grad_on_error, &u, b->p, b->logp, b->abserr,
                            b->status, os);
}
