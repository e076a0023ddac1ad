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

/* One batch as its workers see it: the inputs, and each worker's tally of
   its problems (merged into the batch's at the end). */
typedef struct {
    mvni_exec *ex;
    size_t n, d;
    mvni_vec_arg lower, upper, mean;
    const mvni_sigma_arg *sigma;
    mvni_item_fn fn;
    void (*on_error)(void *user, size_t t, size_t d);
    void *user;
    double *p, *logp, *abserr;
    int *status;
    const double *common; /* the validated shared Sigma, or NULL */
    const mvni_solve_options *opt;
} cpu_batch;

typedef struct {
    size_t first_fail, first_etol, n_etol; /* first_* = n: none */
    int first_status;
    double evals, etol_err, etol_evals;
    char first_msg[MVNI_MESSAGE_SIZE];
} cpu_tally;

static void tally_init(cpu_tally *y, size_t n)
{
    y->first_fail = y->first_etol = n;
    y->n_etol = 0;
    y->first_status = MVN_OK;
    y->evals = y->etol_err = y->etol_evals = 0.0;
    y->first_msg[0] = '\0';
}

/* Adds tally y to *into (first failure and first tolerance miss by index). */
static void tally_merge(cpu_tally *into, const cpu_tally *y)
{
    into->evals += y->evals;
    into->n_etol += y->n_etol;
    if (y->first_fail < into->first_fail) {
        into->first_fail = y->first_fail;
        into->first_status = y->first_status;
        memcpy(into->first_msg, y->first_msg, sizeof into->first_msg);
    }
    if (y->first_etol < into->first_etol) {
        into->first_etol = y->first_etol;
        into->etol_err = y->etol_err;
        into->etol_evals = y->etol_evals;
    }
}

/* Problem t of the batch, with scratch buf (2 d doubles, plus d * d
   without a shared Sigma; NULL if its allocation failed): outputs and
   status written, the outcome added to tally y. */
static void cpu_item(const cpu_batch *b, size_t t, double *buf, cpu_tally *y)
{
    const mvni_exec *ex = b->ex;
    const size_t d = b->d;
    char msg[MVNI_MESSAGE_SIZE];
    int s;
    mvni_result r;
    msg[0] = '\0';
    if (mvni_monitor_stopped(b->opt->qmc.monitor)) {
        s = MVN_ECANCELED;
        mvni_format(msg, sizeof msg, "canceled before this problem started");
    } else if (buf == NULL) {
        s = MVN_ENOMEM;
        mvni_format(msg, sizeof msg, "cannot allocate scratch for d = %zu", d);
    } else {
        double *a = buf, *bb = buf + d;
        double *sg = b->common ? (double *)b->common : buf + 2 * d;
        mvni_input in = item_input(t, b->lower, b->upper, b->mean, b->sigma);
        s = b->common ? mvni_load_limits(d, &in, a, bb, msg, sizeof msg)
                      : mvni_load_problem(d, &in, a, bb, sg, msg, sizeof msg);
        if (s == MVN_OK) {
            s = b->fn(b->user, t, d, a, bb, sg, b->opt, &r);
            if (s == MVN_OK || s == MVN_ETOL) {
                if (b->p)
                    b->p[(ptrdiff_t)t * ex->ostride[0]] = r.p;
                if (b->logp)
                    b->logp[(ptrdiff_t)t * ex->ostride[1]] = r.logp;
                if (b->abserr)
                    b->abserr[(ptrdiff_t)t * ex->ostride[2]] = r.abserr;
                y->evals += r.evals;
                if (s == MVN_ETOL) {
                    ++y->n_etol;
                    if (t < y->first_etol) {
                        y->first_etol = t;
                        y->etol_err = r.abserr;
                        y->etol_evals = r.evals;
                    }
                }
            } else if (msg[0] == '\0') {
                mvni_format(msg, sizeof msg, "%s", mvn_strerror(s));
            }
        }
    }
    if (b->status)
        b->status[(ptrdiff_t)t * ex->ostride[3]] = s;
    if (s != MVN_ECANCELED)
        mvni_monitor_problem_done(b->opt->qmc.monitor);
    if (s != MVN_OK && s != MVN_ETOL) {
        write_nan(ex, t, b->p, b->logp, b->abserr);
        if (b->on_error)
            b->on_error(b->user, t, d);
        if (t < y->first_fail) {
            y->first_fail = t;
            y->first_status = s;
            memcpy(y->first_msg, msg, sizeof msg);
        }
    }
}

static double *item_scratch(const cpu_batch *b)
{
    return (double *)malloc((2 * b->d + (b->common ? 0 : b->d * b->d)) * sizeof(double));
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

    cpu_batch job = {ex, n, d, lower, upper, mean, &sigma, fn, on_error, user,
                     p, logp, abserr, status, common, &opt};
    cpu_tally all;
    tally_init(&all, n);
    /* One thread: no parallel region at all.  Entering one costs about
       1.2 us even with its if clause false (libgomp makes a system call),
       four times a bivariate kernel call (bench/lowdim_throughput). */
    if (outer <= 1) {
        double *buf = item_scratch(&job);
        for (size_t t = 0; t < n; ++t)
            cpu_item(&job, t, buf, &all);
        free(buf);
    } else {
#ifdef MVN_HAVE_OPENMP
#pragma omp parallel num_threads(outer)
#endif
        {
            cpu_tally mine;
            tally_init(&mine, n);
            double *buf = item_scratch(&job);
#ifdef MVN_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t t = 0; t < n; ++t)
                cpu_item(&job, t, buf, &mine);
            free(buf);
#ifdef MVN_HAVE_OPENMP
#pragma omp critical(mvni_batch_merge)
#endif
            tally_merge(&all, &mine);
        }
    }
    const size_t first_fail = all.first_fail, first_etol = all.first_etol, n_etol = all.n_etol;
    const int first_status = all.first_status;
    const double evals = all.evals, etol_err = all.etol_err, etol_evals = all.etol_evals;
    const char *first_msg = all.first_msg;
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

