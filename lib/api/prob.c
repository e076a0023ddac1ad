/*
 * api/prob.c -- public entry points for probabilities: one problem, batches and
 * plans.  All of them go through mvni_batch_run.
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

struct mvn_plan {
    size_t d;
    double *sigma; /* validated canonical covariance, d x d row-major */
};

/* The pointer-argument call as a descriptor, for a plugin backend. */
static int prob_via_desc(mvn_context *ctx, size_t n, size_t d,
                         const double *lower, const ptrdiff_t *lower_strides,
                         const double *upper, const ptrdiff_t *upper_strides,
                         const double *mean, const ptrdiff_t *mean_strides,
                         const double *sigma, const ptrdiff_t *sigma_strides,
                         int sigma_kind, double *p, double *logp,
                         double *abserr, double *logerr, int *status)
{
    mvni_context_begin(ctx);
    mvn_batch_desc desc;
    int st = mvni_desc_checked(ctx, &desc, n, d, lower, lower_strides, upper,
                               upper_strides, mean, mean_strides, sigma,
                               sigma_strides, sigma_kind, p, logp, abserr, status);
    if (st != MVN_OK) {
        mvni_logerr_out o = {logerr, 1};
        mvni_fail_outputs(n, d, p, logp, abserr, status, NULL, st,
                          logerr ? mvni_logprob_on_error : NULL, &o);
        return st;
    }
    desc.logerr = logerr;
    return mvni_compute(ctx, MVN_COMPUTE_PROB, &desc);
}

/* One problem with a d x d matrix at m (strides rs, cs): a batch of one.
   The outputs are NaN even when ctx is NULL. */
static int prob_one(mvn_context *ctx, size_t d, const double *lower,
                    const double *upper, const double *mean, const double *m,
                    ptrdiff_t rs, ptrdiff_t cs, int kind, double *p,
                    double *logp, double *abserr)
{
    mvni_set_nan(p);
    mvni_set_nan(logp);
    mvni_set_nan(abserr);
    const ptrdiff_t vs[2] = {0, 1};
    const ptrdiff_t ss[3] = {0, rs, cs};
    if (ctx != NULL && mvni_wants_plugin(ctx))
        return prob_via_desc(ctx, 1, d, lower, vs, upper, vs, mean, vs, m, ss, kind,
                             p, logp, abserr, NULL, NULL);
    return mvni_batch_entry(ctx, 1, d, lower, vs, upper, vs, mean, vs, m, ss, kind,
                       mvni_prob_item, NULL, NULL, p, logp, abserr, NULL, NULL);
}

MVN_API int mvn_prob(mvn_context *ctx, size_t d, const double *lower,
                     const double *upper, const double *mean,
                     const double *sigma, double *p, double *logp,
                     double *abserr)
{
    return prob_one(ctx, d, lower, upper, mean, sigma, (ptrdiff_t)d, 1,
                    MVN_SIGMA_COV, p, logp, abserr);
}

MVN_API int mvn_prob_chol(mvn_context *ctx, size_t d, const double *lower,
                          const double *upper, const double *mean,
                          const double *chol, int layout, double *p,
                          double *logp, double *abserr)
{
    if (layout != MVN_ROW_MAJOR && layout != MVN_COL_MAJOR) {
        mvni_set_nan(p);
        mvni_set_nan(logp);
        mvni_set_nan(abserr);
        if (ctx == NULL)
            return MVN_EINVAL;
        mvni_context_begin(ctx);
        return mvni_fail(ctx, MVN_EINVAL,
                         "layout = %d is neither MVN_ROW_MAJOR (101) nor MVN_COL_MAJOR (102)",
                         layout);
    }
    ptrdiff_t rs = layout == MVN_ROW_MAJOR ? (ptrdiff_t)d : 1;
    ptrdiff_t cs = layout == MVN_ROW_MAJOR ? 1 : (ptrdiff_t)d;
    return prob_one(ctx, d, lower, upper, mean, chol, rs, cs, MVN_SIGMA_CHOL,
                    p, logp, abserr);
}

MVN_API int mvn_prob_batch(mvn_context *ctx, size_t n, size_t d,
                           const double *lower, const ptrdiff_t *lower_strides,
                           const double *upper, const ptrdiff_t *upper_strides,
                           const double *mean, const ptrdiff_t *mean_strides,
                           const double *sigma, const ptrdiff_t *sigma_strides,
                           int sigma_kind, double *p, double *logp,
                           double *abserr, int *status)
{
    if (ctx != NULL && mvni_wants_plugin(ctx))
        return prob_via_desc(ctx, n, d, lower, lower_strides, upper, upper_strides,
                             mean, mean_strides, sigma, sigma_strides, sigma_kind,
                             p, logp, abserr, NULL, status);
    return mvni_batch_entry(ctx, n, d, lower, lower_strides, upper, upper_strides,
                       mean, mean_strides, sigma, sigma_strides, sigma_kind,
                       mvni_prob_item, NULL, NULL, p, logp, abserr, status, NULL);
}

MVN_API mvn_plan *mvn_plan_alloc(mvn_context *ctx, size_t d,
                                 const double *sigma,
                                 const ptrdiff_t *sigma_strides,
                                 int sigma_kind, int *status)
{
    int st;
    mvn_plan *plan = NULL;
    if (ctx == NULL) {
        st = MVN_EINVAL;
        goto out;
    }
    mvni_context_begin(ctx);
    st = mvni_check_dim(d, ctx->message, sizeof ctx->message);
    if (st != MVN_OK)
        goto out;
    if (sigma == NULL || sigma_strides == NULL) {
        st = mvni_fail(ctx, MVN_EINVAL, "sigma and sigma_strides must not be NULL");
        goto out;
    }
    plan = (mvn_plan *)malloc(sizeof *plan);
    double *buf = (double *)malloc((d * d + 2 * d) * sizeof(double));
    if (plan == NULL || buf == NULL) {
        free(plan);
        free(buf);
        plan = NULL;
        st = mvni_fail(ctx, MVN_ENOMEM, "cannot allocate a plan for d = %zu", d);
        goto out;
    }
    mvni_input in;
    memset(&in, 0, sizeof in);
    in.sigma = sigma;
    in.sigma_row_stride = sigma_strides[0];
    in.sigma_col_stride = sigma_strides[1];
    in.sigma_kind = sigma_kind;
    st = mvni_load_problem(d, &in, buf + d * d, buf + d * d + d, buf,
                           ctx->message, sizeof ctx->message);
    if (st != MVN_OK) {
        free(plan);
        free(buf);
        plan = NULL;
        goto out;
    }
    plan->d = d;
    plan->sigma = buf;
out:
    if (status)
        *status = st;
    return plan;
}

MVN_API void mvn_plan_free(mvn_plan *plan)
{
    if (plan) {
        free(plan->sigma);
        free(plan);
    }
}

MVN_API size_t mvn_plan_dim(const mvn_plan *plan) { return plan ? plan->d : 0; }

MVN_API int mvn_plan_prob(mvn_context *ctx, const mvn_plan *plan, size_t n,
                          const double *lower, const ptrdiff_t *lower_strides,
                          const double *upper, const ptrdiff_t *upper_strides,
                          const double *mean, const ptrdiff_t *mean_strides,
                          double *p, double *logp, double *abserr, int *status)
{
    int st = MVN_EINVAL;
    if (ctx != NULL) {
        mvni_context_begin(ctx);
        if (plan == NULL)
            st = mvni_fail(ctx, MVN_EINVAL, "plan is NULL");
    }
    if (ctx == NULL || plan == NULL) {
        mvni_fail_outputs(n, 0, p, logp, abserr, status, NULL, st, NULL, NULL);
        return st;
    }
    const ptrdiff_t dummy[3] = {0, 0, 0};
    mvni_vec_arg lo, hi, mu;
    mvni_sigma_arg sg;
    st = mvni_batch_args(ctx, n, plan->d, lower, lower_strides, upper,
                         upper_strides, mean, mean_strides, plan->sigma,
                         dummy, MVN_SIGMA_COV, &lo, &hi, &mu, &sg);
    if (st != MVN_OK) {
        mvni_fail_outputs(n, plan->d, p, logp, abserr, status, NULL, st, NULL, NULL);
        return st;
    }
    sg.validated = plan->sigma;
    return mvni_batch_run(ctx, n, plan->d, lo, hi, mu, sg, mvni_prob_item, NULL,
                          NULL, p, logp, abserr, status, NULL);
}

MVN_API int mvn_logprob_batch(mvn_context *ctx, size_t n, size_t d,
                              const double *lower, const ptrdiff_t *lower_strides,
                              const double *upper, const ptrdiff_t *upper_strides,
                              const double *mean, const ptrdiff_t *mean_strides,
                              const double *sigma, const ptrdiff_t *sigma_strides,
                              int sigma_kind, double *p, double *logp,
                              double *abserr, double *logerr, int *status)
{
    if (ctx != NULL && mvni_wants_plugin(ctx))
        return prob_via_desc(ctx, n, d, lower, lower_strides, upper, upper_strides,
                             mean, mean_strides, sigma, sigma_strides, sigma_kind,
                             p, logp, abserr, logerr, status);
    mvni_logerr_out o = {logerr, 1};
    return mvni_batch_entry(ctx, n, d, lower, lower_strides, upper, upper_strides,
                       mean, mean_strides, sigma, sigma_strides, sigma_kind,
                       mvni_logprob_item, mvni_logprob_on_error, &o, p, logp, abserr,
                       status, NULL);
}
