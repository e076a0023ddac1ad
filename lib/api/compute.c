/*
 * api/compute.c -- the batch descriptor (mvn_batch_desc_init,
 * mvn_batch_compute) and the one path every batch takes to its backend:
 * the CPU executor, or a plugin module.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <string.h>

#include "api/backend.h"
#include "api/batch.h"
#include "api/compute.h"

MVN_API void mvn_batch_desc_init(mvn_batch_desc *desc, size_t n, size_t d)
{
    if (desc == NULL)
        return;
    memset(desc, 0, sizeof *desc);
    desc->struct_size = sizeof *desc;
    desc->n = n;
    desc->d = d;
    desc->memory = MVN_MEMORY_HOST;
    desc->sigma_kind = MVN_SIGMA_COV;
}

void mvni_desc_from_args(mvn_batch_desc *desc, size_t n, size_t d,
                         const double *lower, const ptrdiff_t *lower_strides,
                         const double *upper, const ptrdiff_t *upper_strides,
                         const double *mean, const ptrdiff_t *mean_strides,
                         const double *sigma, const ptrdiff_t *sigma_strides,
                         int sigma_kind, double *p, double *logp,
                         double *abserr, int *status)
{
    mvn_batch_desc_init(desc, n, d);
    desc->sigma_kind = sigma_kind;
    /* NULL strides are checked by the executor (mvni_batch_args); they
       are carried as "absent" here. */
    desc->lower = lower;
    if (lower_strides)
        memcpy(desc->lower_strides, lower_strides, 2 * sizeof(ptrdiff_t));
    desc->upper = upper;
    if (upper_strides)
        memcpy(desc->upper_strides, upper_strides, 2 * sizeof(ptrdiff_t));
    desc->mean = mean;
    if (mean_strides)
        memcpy(desc->mean_strides, mean_strides, 2 * sizeof(ptrdiff_t));
    desc->sigma = sigma;
    if (sigma_strides)
        memcpy(desc->sigma_strides, sigma_strides, 3 * sizeof(ptrdiff_t));
    desc->p = p;
    desc->logp = logp;
    desc->abserr = abserr;
    desc->status = status;
    desc->p_stride = desc->logp_stride = desc->abserr_stride = desc->status_stride = 1;
    desc->logerr_stride = 1;
    const ptrdiff_t vd = (ptrdiff_t)d, md = (ptrdiff_t)(d * d);
    desc->d_lower_strides[0] = desc->d_upper_strides[0] = desc->d_mean_strides[0] = vd;
    desc->err_lower_strides[0] = desc->err_upper_strides[0] = vd;
    desc->d_lower_strides[1] = desc->d_upper_strides[1] = desc->d_mean_strides[1] = 1;
    desc->err_lower_strides[1] = desc->err_upper_strides[1] = 1;
    desc->d_sigma_strides[0] = desc->err_sigma_strides[0] = md;
    desc->d_sigma_strides[1] = desc->err_sigma_strides[1] = vd;
    desc->d_sigma_strides[2] = desc->err_sigma_strides[2] = 1;
}

int mvni_wants_plugin(const mvn_context *ctx)
{
    const int want = (int)ctx->option[MVN_OPT_BACKEND];
    return want == MVN_BACKEND_CUDA ||
           (want == MVN_BACKEND_AUTO && ctx->env_backend == MVN_BACKEND_CUDA);
}

int mvni_desc_checked(mvn_context *ctx, mvn_batch_desc *desc, size_t n, size_t d,
                      const double *lower, const ptrdiff_t *lower_strides,
                      const double *upper, const ptrdiff_t *upper_strides,
                      const double *mean, const ptrdiff_t *mean_strides,
                      const double *sigma, const ptrdiff_t *sigma_strides,
                      int sigma_kind, double *p, double *logp,
                      double *abserr, int *status)
{
    mvni_vec_arg lo, hi, mu;
    mvni_sigma_arg sg;
    int st = mvni_batch_args(ctx, n, d, lower, lower_strides, upper, upper_strides,
                             mean, mean_strides, sigma, sigma_strides, sigma_kind,
                             &lo, &hi, &mu, &sg);
    if (st != MVN_OK)
        return st;
    mvni_desc_from_args(desc, n, d, lower, lower_strides, upper, upper_strides, mean,
                        mean_strides, sigma, sigma_strides, sigma_kind, p, logp,
                        abserr, status);
    return MVN_OK;
}

/* Hands the batch to backend `chosen` through its entry in the backend
   table: one path for the built-in CPU executor and for plugins. */
static int backend_compute(mvn_context *ctx, int chosen, int computation,
                           const mvn_batch_desc *desc)
{
    void *state;
    const mvn_plugin *be = mvni_backend_entry(ctx, chosen, &state);
    mvn_plugin_call call;
    memset(&call, 0, sizeof call);
    call.struct_size = sizeof call;
    call.computation = computation;
    call.desc = desc;
    mvni_solve_options opt;
    mvni_solve_options_from_context(ctx, &opt);
    memcpy(call.option, ctx->option, sizeof call.option);
    call.option[MVN_OPT_THREADS] = opt.qmc.threads;
    call.progress = ctx->progress;
    call.progress_user = ctx->progress_user;
    call.message = ctx->message;
    call.message_size = sizeof ctx->message;
    int st = be->compute(state, &call);
    ctx->evaluations = call.evaluations;
    ctx->backend_used = chosen;
    return st;
}

/* Every output of a host-memory batch set to NaN (statuses to st), as
   for any failed call.  Device memory is left to the caller. */
static void fail_outputs(const mvn_batch_desc *b, int computation, int st)
{
    if (b->memory != MVN_MEMORY_HOST)
        return;
    /* The per-problem values are written whatever d is; the derivative
       arrays, of d or d*d values per problem, only when d is valid. */
    const size_t d = b->d >= 1 && b->d <= MVN_MAX_DIM ? b->d : 0;
    for (size_t t = 0; t < b->n; ++t) {
        const ptrdiff_t ti = (ptrdiff_t)t;
        if (b->p)
            b->p[ti * b->p_stride] = NAN;
        if (b->logp)
            b->logp[ti * b->logp_stride] = NAN;
        if (b->abserr)
            b->abserr[ti * b->abserr_stride] = NAN;
        if (b->logerr)
            b->logerr[ti * b->logerr_stride] = NAN;
        if (b->status)
            b->status[ti * b->status_stride] = st;
        if (computation == MVN_COMPUTE_PROB)
            continue;
        double *const vx[5] = {b->d_lower, b->d_upper, b->d_mean, b->err_lower, b->err_upper};
        const ptrdiff_t *const vs[5] = {b->d_lower_strides, b->d_upper_strides,
                                        b->d_mean_strides, b->err_lower_strides,
                                        b->err_upper_strides};
        for (int k = 0; k < 5; ++k)
            for (size_t i = 0; vx[k] && i < d; ++i)
                vx[k][ti * vs[k][0] + (ptrdiff_t)i * vs[k][1]] = NAN;
        double *const mx[2] = {b->d_sigma, b->err_sigma};
        const ptrdiff_t *const ms[2] = {b->d_sigma_strides, b->err_sigma_strides};
        for (int k = 0; k < 2; ++k)
            for (size_t i = 0; mx[k] && i < d; ++i)
                for (size_t j = 0; j < d; ++j)
                    mx[k][ti * ms[k][0] + (ptrdiff_t)i * ms[k][1] + (ptrdiff_t)j * ms[k][2]] =
                        NAN;
    }
}

int mvni_compute(mvn_context *ctx, int computation, const mvn_batch_desc *desc)
{
    int chosen;
    int st = mvni_backend_select(ctx, computation, desc->memory, &chosen);
    if (st != MVN_OK) {
        fail_outputs(desc, computation, st);
        return st;
    }
    return backend_compute(ctx, chosen, computation, desc);
}

MVN_API int mvn_batch_compute(mvn_context *ctx, int computation,
                              const mvn_batch_desc *desc)
{
    if (ctx == NULL) {
        /* No context for the message, but the outputs are still NaN. */
        if (desc != NULL && desc->struct_size >= sizeof(mvn_batch_desc))
            fail_outputs(desc, computation >= MVN_COMPUTE_PROB &&
                                       computation <= MVN_COMPUTE_LOG_GRAD
                                   ? computation : MVN_COMPUTE_PROB,
                         MVN_EINVAL);
        return MVN_EINVAL;
    }
    mvni_context_begin(ctx);
    if (desc == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "desc is NULL");
    if (desc->struct_size < sizeof(mvn_batch_desc))
        return mvni_fail(ctx, MVN_EINVAL,
                         "desc->struct_size = %zu is smaller than sizeof(mvn_batch_desc) = "
                         "%zu: initialize the descriptor with mvn_batch_desc_init",
                         desc->struct_size, sizeof(mvn_batch_desc));
    if (computation < MVN_COMPUTE_PROB || computation > MVN_COMPUTE_LOG_GRAD) {
        fail_outputs(desc, MVN_COMPUTE_PROB, MVN_EINVAL);
        return mvni_fail(ctx, MVN_EINVAL, "unknown computation %d", computation);
    }
    if (desc->memory != MVN_MEMORY_HOST && desc->memory != MVN_MEMORY_CUDA)
        return mvni_fail(ctx, MVN_EINVAL, "unknown memory space %d", desc->memory);
    return mvni_compute(ctx, computation, desc);
}
