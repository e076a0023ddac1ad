/* test_progress.c -- the progress/cancel callback: progress counts rise
   monotonically, a long single problem and a long batch stop within one
   lattice step of the callback's request with MVN_ECANCELED and NaN
   outputs, finished problems keep their results, the callback runs on
   the calling thread only, and removing it restores the plain call. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

typedef struct {
    int calls;
    int cancel_at;        /* cancel at this call (1-based); 0 = never */
    int monotone;
    int foreign_thread;
    pthread_t caller;
    mvn_progress last;
    double evals_at_cancel;
} watch;

static int on_progress(void *user, const mvn_progress *info)
{
    watch *w = (watch *)user;
    if (!pthread_equal(pthread_self(), w->caller))
        w->foreign_thread = 1;
    if (w->calls > 0 && (info->problems_done < w->last.problems_done ||
                         info->evaluations < w->last.evaluations ||
                         info->problems != w->last.problems))
        w->monotone = 0;
    w->last = *info;
    ++w->calls;
    if (w->cancel_at && w->calls >= w->cancel_at) {
        w->evals_at_cancel = info->evaluations;
        return 1;
    }
    return 0;
}

/* Equicorrelated d-dimensional Sigma (rho on the off-diagonal). */
static void equicorr(size_t d, double rho, double *s)
{
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            s[i * d + j] = i == j ? 1.0 : rho;
}

int main(void)
{
    enum { D = 12, N = 400 };
    double sigma[D * D], upper[D];
    equicorr(D, 0.3, sigma);
    for (int i = 0; i < D; ++i)
        upper[i] = 0.5 + 0.1 * i;

    mvn_context *ctx = mvn_context_alloc();
    /* The QMC integrator, whose steps report progress: under
       MVN_METHOD_AUTO an equicorrelated Sigma is one-factor and answered
       at once by one integral (exact/factor.c). */
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    /* A single long problem: an unreachable tolerance and a large budget. */
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 4e8);
    watch w;
    memset(&w, 0, sizeof w);
    w.caller = pthread_self();
    w.monotone = 1;
    w.cancel_at = 3;
    tap_ok(mvn_context_set_progress(ctx, on_progress, &w) == MVN_OK, "callback set");
    double p = 0, logp = 0, err = 0;
    int st = mvn_prob(ctx, D, NULL, upper, NULL, sigma, &p, &logp, &err);
    tap_ok(st == MVN_ECANCELED, "long single problem: MVN_ECANCELED (got %d: %s)", st,
           mvn_context_message(ctx));
    tap_ok(isnan(p) && isnan(logp) && isnan(err), "canceled problem: NaN outputs");
    tap_ok(w.calls == 3, "no callback after the stop was requested (%d calls)", w.calls);
    tap_ok(w.monotone && w.evals_at_cancel > 0, "progress evaluations rise (%.0f at the stop)",
           w.evals_at_cancel);
    tap_ok(strstr(mvn_context_message(ctx), "canceled") != NULL, "message says canceled: %s",
           mvn_context_message(ctx));
    /* Within one lattice step: the evaluations spent after the request
       are at most one more lattice size (the next size is at most 4x the
       previous one in the rule table). */
    tap_ok(mvn_context_evaluations(ctx) <= 5.0 * w.evals_at_cancel + 1e6,
           "stopped within one lattice step (%.0f evaluations in all, %.0f at the request)",
           mvn_context_evaluations(ctx), w.evals_at_cancel);

    /* A batch, threads over problems: earlier problems keep their
       results, the rest are MVN_ECANCELED, and the callback only ever
       runs on this thread. */
    static double lower_b[N * D], p_b[N], logp_b[N], err_b[N];
    static int status_b[N];
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i)
            lower_b[t * D + i] = -1.0 - 0.01 * t;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-4);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 2e7);
    mvn_context_set(ctx, MVN_OPT_THREADS, 2);
    memset(&w, 0, sizeof w);
    w.caller = pthread_self();
    w.monotone = 1;
    w.cancel_at = 3;
    const ptrdiff_t vs[2] = {D, 1}, bs[2] = {0, 1}, ss[3] = {0, D, 1};
    st = mvn_prob_batch(ctx, N, D, lower_b, vs, upper, bs, NULL, NULL, sigma, ss,
                        MVN_SIGMA_COV, p_b, logp_b, err_b, status_b);
    int n_cancel = 0, n_done = 0, consistent = 1;
    for (int t = 0; t < N; ++t) {
        if (status_b[t] == MVN_ECANCELED) {
            ++n_cancel;
            consistent &= isnan(p_b[t]) && isnan(logp_b[t]) && isnan(err_b[t]);
        } else {
            ++n_done;
            consistent &= (status_b[t] == MVN_OK || status_b[t] == MVN_ETOL) &&
                          p_b[t] > 0 && p_b[t] < 1;
        }
    }
    tap_diag("batch: %d finished, %d canceled", n_done, n_cancel);
    tap_ok(st == MVN_ECANCELED && n_cancel > 0, "long batch: MVN_ECANCELED, %d of %d problems "
           "canceled (%s)", n_cancel, N, mvn_context_message(ctx));
    tap_ok(consistent, "canceled problems are NaN, finished ones keep their values (%d finished)",
           n_done);
    tap_ok(!w.foreign_thread, "callback ran on the calling thread only");
    tap_ok(w.monotone && w.last.problems == N, "batch progress: problems = %zu, counts monotone",
           w.last.problems);

    /* A finished problem's value equals the value without a callback. */
    int first_done = -1;
    for (int t = 0; t < N && first_done < 0; ++t)
        if (status_b[t] != MVN_ECANCELED)
            first_done = t;
    mvn_context_set_progress(ctx, NULL, NULL);
    double p1 = 0;
    if (first_done >= 0) {
        mvn_prob(ctx, D, lower_b + first_done * D, upper, NULL, sigma, &p1, NULL, NULL);
        tap_ok(p1 == p_b[first_done], "a finished problem equals the plain call bitwise "
               "(problem %d)", first_done);
    } else {
        tap_skip("no problem finished before the stop");
    }

    /* A callback that never cancels: same numbers as without one. */
    memset(&w, 0, sizeof w);
    w.caller = pthread_self();
    w.monotone = 1;
    mvn_context_set(ctx, MVN_OPT_THREADS, 1);
    double pa, pb_;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-6);
    mvn_prob(ctx, D, NULL, upper, NULL, sigma, &pa, NULL, NULL);
    mvn_context_set_progress(ctx, on_progress, &w);
    st = mvn_prob(ctx, D, NULL, upper, NULL, sigma, &pb_, NULL, NULL);
    tap_ok((st == MVN_OK || st == MVN_ETOL) && pa == pb_,
           "a callback that returns 0 leaves the result bitwise unchanged");
    tap_ok(mvn_context_set_progress(NULL, on_progress, &w) == MVN_EINVAL, "NULL context: MVN_EINVAL");
    mvn_context_free(ctx);
    return tap_exit();
}
