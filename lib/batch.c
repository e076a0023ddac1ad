/*
 * batch.c -- the driver behind every public entry point: argument checks,
 * per-problem validation, threads over problems, statuses and messages.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "common/format.h"

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

static mvni_input item_input(size_t t, mvni_vec_arg lo, mvni_vec_arg hi,
                             mvni_vec_arg mu, const mvni_sigma_arg *sg)
{
    mvni_input in;
    ptrdiff_t ti = (ptrdiff_t)t;
    in.lower = lo.data ? lo.data + ti * lo.item_stride : NULL;
    in.lower_stride = lo.elem_stride;
    in.upper = hi.data ? hi.data + ti * hi.item_stride : NULL;
    in.upper_stride = hi.elem_stride;
    in.mean = mu.data ? mu.data + ti * mu.item_stride : NULL;
    in.mean_stride = mu.elem_stride;
    in.sigma = sg->data ? sg->data + ti * sg->item_stride : NULL;
    in.sigma_row_stride = sg->row_stride;
    in.sigma_col_stride = sg->col_stride;
    in.sigma_kind = sg->kind;
    return in;
}

static void write_nan(size_t t, double *p, double *logp, double *abserr)
{
    if (p)
        p[t] = NAN;
    if (logp)
        logp[t] = NAN;
    if (abserr)
        abserr[t] = NAN;
}

int mvni_batch_run(mvn_context *ctx, size_t n, size_t d,
                   mvni_vec_arg lower, mvni_vec_arg upper, mvni_vec_arg mean,
                   mvni_sigma_arg sigma, mvni_item_fn fn,
                   void (*on_error)(void *user, size_t t, size_t d),
                   void *user, double *p, double *logp, double *abserr,
                   int *status)
{
    int st = mvni_check_dim(d, ctx->message, sizeof ctx->message);
    if (st != MVN_OK)
        return st;
    if (n == 0)
        return MVN_OK;
    if (ctx->option[MVN_OPT_BACKEND] == MVN_BACKEND_CUDA)
        return mvni_fail(ctx, MVN_EBACKEND,
                         "the CUDA backend was required (MVN_OPT_BACKEND = MVN_BACKEND_CUDA) "
                         "but this build has no CUDA module");

    mvni_solve_options opt;
    mvni_solve_options_from_context(ctx, &opt);
    ctx->backend_used = MVN_BACKEND_CPU;
    mvni_monitor monitor;
    if (ctx->progress) {
        mvni_monitor_init(&monitor, ctx->progress, ctx->progress_user, n);
        opt.qmc.monitor = &monitor;
    }

    /* One Sigma for every problem: validate (and symmetrize) it once. */
    double *shared = NULL;
    const double *common = sigma.validated;
    if (common == NULL && (sigma.item_stride == 0 || n == 1)) {
        shared = (double *)malloc((d * d + 2 * d) * sizeof(double));
        if (shared == NULL)
            return mvni_fail(ctx, MVN_ENOMEM, "cannot allocate a %zu x %zu matrix", d, d);
        mvni_vec_arg none = {NULL, 0, 0};
        mvni_input in = item_input(0, none, none, none, &sigma);
        st = mvni_load_problem(d, &in, shared + d * d, shared + d * d + d, shared,
                               ctx->message, sizeof ctx->message);
        if (st != MVN_OK) {
            free(shared);
            for (size_t t = 0; t < n; ++t) {
                write_nan(t, p, logp, abserr);
                if (status)
                    status[t] = st;
                if (on_error)
                    on_error(user, t, d);
            }
            return st;
        }
        common = shared;
    }

    /* Threads go over problems when there are several, else into the
       integrator; each problem is computed the same way either way. */
    int outer = 1;
    if (n > 1 && opt.qmc.threads > 1)
        outer = (size_t)opt.qmc.threads < n ? opt.qmc.threads : (int)n;
    if (outer > 1)
        opt.qmc.threads = 1;

    size_t first_fail = n, first_etol = n, n_etol = 0;
    int first_status = MVN_OK;
    double evals = 0.0, etol_err = 0.0, etol_evals = 0.0;
    char first_msg[MVNI_MESSAGE_SIZE] = "";

#ifdef MVN_HAVE_OPENMP
#pragma omp parallel num_threads(outer) if (outer > 1)
#endif
    {
        char msg[MVNI_MESSAGE_SIZE];
        size_t my_fail = n, my_etol = n, my_n_etol = 0;
        int my_status = MVN_OK;
        char my_msg[MVNI_MESSAGE_SIZE] = "";
        double my_evals = 0.0, my_etol_err = 0.0, my_etol_evals = 0.0;
        double *buf = (double *)malloc((2 * d + (common ? 0 : d * d)) * sizeof(double));

#ifdef MVN_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t t = 0; t < n; ++t) {
            int s;
            mvni_result r;
            msg[0] = '\0';
            if (mvni_monitor_stopped(opt.qmc.monitor)) {
                s = MVN_ECANCELED;
                mvni_format(msg, sizeof msg, "canceled before this problem started");
            } else if (buf == NULL) {
                s = MVN_ENOMEM;
                mvni_format(msg, sizeof msg, "cannot allocate scratch for d = %zu", d);
            } else {
                double *a = buf, *b = buf + d;
                double *sg = common ? (double *)common : buf + 2 * d;
                mvni_input in = item_input(t, lower, upper, mean, &sigma);
                s = common ? mvni_load_limits(d, &in, a, b, msg, sizeof msg)
                           : mvni_load_problem(d, &in, a, b, sg, msg, sizeof msg);
                if (s == MVN_OK) {
                    s = fn(user, t, d, a, b, sg, &opt, &r);
                    if (s == MVN_OK || s == MVN_ETOL) {
                        if (p)
                            p[t] = r.p;
                        if (logp)
                            logp[t] = r.logp;
                        if (abserr)
                            abserr[t] = r.abserr;
                        my_evals += r.evals;
                        if (s == MVN_ETOL) {
                            ++my_n_etol;
                            if (t < my_etol) {
                                my_etol = t;
                                my_etol_err = r.abserr;
                                my_etol_evals = r.evals;
                            }
                        }
                    } else if (msg[0] == '\0') {
                        mvni_format(msg, sizeof msg, "%s", mvn_strerror(s));
                    }
                }
            }
            if (status)
                status[t] = s;
            if (s != MVN_ECANCELED)
                mvni_monitor_problem_done(opt.qmc.monitor);
            if (s != MVN_OK && s != MVN_ETOL) {
                write_nan(t, p, logp, abserr);
                if (on_error)
                    on_error(user, t, d);
                if (t < my_fail) {
                    my_fail = t;
                    my_status = s;
                    memcpy(my_msg, msg, sizeof msg);
                }
            }
        }
        free(buf);
#ifdef MVN_HAVE_OPENMP
#pragma omp critical(mvni_batch_merge)
#endif
        {
            evals += my_evals;
            n_etol += my_n_etol;
            if (my_fail < first_fail) {
                first_fail = my_fail;
                first_status = my_status;
                memcpy(first_msg, my_msg, sizeof first_msg);
            }
            if (my_etol < first_etol) {
                first_etol = my_etol;
                etol_err = my_etol_err;
                etol_evals = my_etol_evals;
            }
        }
    }
    free(shared);
    ctx->evaluations = evals;
    if (mvni_monitor_stopped(opt.qmc.monitor)) {
        const double counted = (double)atomic_load(&monitor.evaluations);
        if (counted > ctx->evaluations)
            ctx->evaluations = counted;
        return mvni_fail(ctx, MVN_ECANCELED,
                         "canceled by the progress callback after %zu of %zu "
                         "problems and %.0f evaluations",
                         (size_t)atomic_load(&monitor.done),
                         n, ctx->evaluations);
    }
    if (first_fail < n) {
        if (n > 1)
            return mvni_fail(ctx, first_status, "problem %zu: %s", first_fail, first_msg);
        return mvni_fail(ctx, first_status, "%s", first_msg);
    }
    if (n_etol > 0) {
        if (n > 1)
            return mvni_fail(ctx, MVN_ETOL,
                             "tolerance not reached for %zu of %zu problems "
                             "(first: problem %zu, abserr %.3g after %.0f evaluations)",
                             n_etol, n, first_etol, etol_err, etol_evals);
        return mvni_fail(ctx, MVN_ETOL,
                         "tolerance not reached: abserr %.3g after %.0f evaluations",
                         etol_err, etol_evals);
    }
    return MVN_OK;
}

int mvni_batch_entry(mvn_context *ctx, size_t n, size_t d,
                       const double *lower, const ptrdiff_t *lower_strides,
                       const double *upper, const ptrdiff_t *upper_strides,
                       const double *mean, const ptrdiff_t *mean_strides,
                       const double *sigma, const ptrdiff_t *sigma_strides,
                       int sigma_kind, mvni_item_fn fn,
                       void (*on_error)(void *user, size_t t, size_t d),
                       void *user, double *p, double *logp, double *abserr,
                       int *status)
{
    if (ctx == NULL)
        return MVN_EINVAL;
    mvni_context_begin(ctx);
    mvni_vec_arg lo, hi, mu;
    mvni_sigma_arg sg;
    int st = mvni_batch_args(ctx, n, d, lower, lower_strides, upper,
                             upper_strides, mean, mean_strides, sigma,
                             sigma_strides, sigma_kind, &lo, &hi, &mu, &sg);
    if (st != MVN_OK) {
        for (size_t t = 0; t < n; ++t) {
            write_nan(t, p, logp, abserr);
            if (status)
                status[t] = st;
            /* The caller's per-problem outputs have a trustworthy size
               only when d itself is valid. */
            if (on_error && d >= 1 && d <= MVN_MAX_DIM)
                on_error(user, t, d);
        }
        return st;
    }
    return mvni_batch_run(ctx, n, d, lo, hi, mu, sg, fn, on_error, user, p,
                          logp, abserr, status);
}
