/*
 * backend/cpu.c -- the CPU executor: per-problem validation, threads over
 * problems (or, for one problem, inside its integrator), per-problem
 * statuses, the first failure's message, progress and cancellation.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/cpu.h"
#include "common/format.h"

/* Writes a message into ex and returns status unchanged. */
static int exec_fail(mvni_exec *ex, int status, const char *fmt, ...)
    MVNI_PRINTF_LIKE(3, 4);
static int exec_fail(mvni_exec *ex, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mvni_vformat(ex->message, ex->message_size, fmt, ap);
    va_end(ap);
    return status;
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

static void write_nan(const mvni_exec *ex, size_t t, double *p, double *logp,
                      double *abserr)
{
    const ptrdiff_t ti = (ptrdiff_t)t;
    if (p)
        p[ti * ex->ostride[0]] = NAN;
    if (logp)
        logp[ti * ex->ostride[1]] = NAN;
    if (abserr)
        abserr[ti * ex->ostride[2]] = NAN;
}

int mvni_cpu_run(mvni_exec *ex, size_t n, size_t d,
                   mvni_vec_arg lower, mvni_vec_arg upper, mvni_vec_arg mean,
                   mvni_sigma_arg sigma, mvni_item_fn fn,
                   void (*on_error)(void *user, size_t t, size_t d),
                   void *user, double *p, double *logp, double *abserr,
                   int *status)
{
    int st = mvni_check_dim(d, ex->message, ex->message_size);
    if (st != MVN_OK)
        return st;
    if (n == 0)
        return MVN_OK;

    mvni_solve_options opt = ex->opt;
    mvni_monitor monitor;
    if (ex->progress) {
        mvni_monitor_init(&monitor, ex->progress, ex->progress_user, n);
        opt.qmc.monitor = &monitor;
    }

    /* One Sigma for every problem: validate (and symmetrize) it once. */
    double *shared = NULL;
    const double *common = sigma.validated;
    if (common == NULL && (sigma.item_stride == 0 || n == 1)) {
        shared = (double *)malloc((d * d + 2 * d) * sizeof(double));
        if (shared == NULL)
            return exec_fail(ex, MVN_ENOMEM, "cannot allocate a %zu x %zu matrix", d, d);
        mvni_vec_arg none = {NULL, 0, 0};
        mvni_input in = item_input(0, none, none, none, &sigma);
        st = mvni_load_problem(d, &in, shared + d * d, shared + d * d + d, shared,
                               ex->message, ex->message_size);
        if (st != MVN_OK) {
            free(shared);
            for (size_t t = 0; t < n; ++t) {
                write_nan(ex, t, p, logp, abserr);
                if (status)
                    status[(ptrdiff_t)t * ex->ostride[3]] = st;
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
                            p[(ptrdiff_t)t * ex->ostride[0]] = r.p;
                        if (logp)
                            logp[(ptrdiff_t)t * ex->ostride[1]] = r.logp;
                        if (abserr)
                            abserr[(ptrdiff_t)t * ex->ostride[2]] = r.abserr;
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
                status[(ptrdiff_t)t * ex->ostride[3]] = s;
            if (s != MVN_ECANCELED)
                mvni_monitor_problem_done(opt.qmc.monitor);
            if (s != MVN_OK && s != MVN_ETOL) {
                write_nan(ex, t, p, logp, abserr);
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
    ex->evaluations = evals;
    if (mvni_monitor_stopped(opt.qmc.monitor)) {
        const double counted = (double)atomic_load(&monitor.evaluations);
        if (counted > ex->evaluations)
            ex->evaluations = counted;
        return exec_fail(ex, MVN_ECANCELED,
                         "canceled by the progress callback after %zu of %zu "
                         "problems and %.0f evaluations",
                         (size_t)atomic_load(&monitor.done),
                         n, ex->evaluations);
    }
    if (first_fail < n) {
        if (n > 1)
            return exec_fail(ex, first_status, "problem %zu: %s", first_fail, first_msg);
        return exec_fail(ex, first_status, "%s", first_msg);
    }
    if (n_etol > 0) {
        if (n > 1)
            return exec_fail(ex, MVN_ETOL,
                             "tolerance not reached for %zu of %zu problems "
                             "(first: problem %zu, abserr %.3g after %.0f evaluations)",
                             n_etol, n, first_etol, etol_err, etol_evals);
        return exec_fail(ex, MVN_ETOL,
                         "tolerance not reached: abserr %.3g after %.0f evaluations",
                         etol_err, etol_evals);
    }
    return MVN_OK;
}

