/*
 * test_concurrency.c -- several threads, each with its own context, call
 * the library at the same time and must get bitwise the numbers of one
 * thread alone (issue 14: "a concurrency test in the suite").  The
 * library keeps no global mutable state outside the context except the
 * SIMD dispatch, chosen once; this test is the check that it stays so.
 * Inputs are shared read-only between the threads.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

#define NTHREADS 4
#define REPEATS 3
#define NPROB 6
#define DMAX 12

/* The problems: exact kernels (d = 2, 3), plain QMC (d = 5, 12), a tilted
   tail (d = 8) and a singular Sigma (d = 4, rank 3). */
typedef struct {
    size_t d;
    double lo[DMAX], up[DMAX], S[DMAX * DMAX];
} problem;

typedef struct {
    double p, logp, abserr, grad_up[DMAX], grad_S[DMAX * DMAX];
    int st, st_grad;
} answer;

static problem problems[NPROB];

static void make_problems(void)
{
    static const size_t dims[NPROB] = {2, 3, 5, 12, 8, 4};
    for (int k = 0; k < NPROB; ++k) {
        problem *q = &problems[k];
        const size_t d = dims[k];
        q->d = d;
        for (size_t i = 0; i < d; ++i) {
            q->lo[i] = k == 4 ? 2.5 : -1.0 - 0.1 * (double)i;
            q->up[i] = k == 4 ? INFINITY : 0.5 + 0.2 * (double)i;
            for (size_t j = 0; j < d; ++j)
                q->S[i * d + j] = i == j ? 1.0 + 0.1 * (double)i
                                         : 0.4 * cos((double)(i + 2 * j + k));
        }
        /* Symmetrize and make it diagonally dominant enough. */
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < i; ++j) {
                const double s = 0.5 * (q->S[i * d + j] + q->S[j * d + i]) /
                                 (double)d * 2.0;
                q->S[i * d + j] = q->S[j * d + i] = s;
            }
        if (k == 5) /* rank 3: X4 = X1 + X2 - X3 on a 3-D base */
            for (size_t i = 0; i < 4; ++i) {
                const double v = q->S[i * 4 + 0] + q->S[i * 4 + 1] - q->S[i * 4 + 2];
                q->S[i * 4 + 3] = v;
                q->S[3 * 4 + i] = v;
            }
    }
}

static void solve(mvn_context *ctx, const problem *q, answer *a)
{
    memset(a, 0, sizeof *a);
    a->st = mvn_prob(ctx, q->d, q->lo, q->up, NULL, q->S, &a->p, &a->logp,
                     &a->abserr);
    double p2;
    a->st_grad = mvn_prob_grad(ctx, q->d, q->lo, q->up, NULL, q->S, &p2, NULL,
                               NULL, NULL, a->grad_up, NULL, a->grad_S);
}

static mvn_context *new_context(int threads)
{
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-4);
    mvn_context_set(ctx, MVN_OPT_SEED, 7);
    mvn_context_set(ctx, MVN_OPT_THREADS, threads);
    return ctx;
}

static answer reference[NPROB];

typedef struct {
    int index, mismatches, calls;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    /* Thread 0 also runs the integrator on 2 threads inside: the result
       must not depend on that either (sov.c, "Determinism"). */
    mvn_context *ctx = new_context(w->index == 0 ? 2 : 1);
    for (int r = 0; r < REPEATS; ++r)
        for (int k = 0; k < NPROB; ++k) {
            /* Each thread walks the problems from its own start. */
            const int j = (k + w->index) % NPROB;
            answer a;
            solve(ctx, &problems[j], &a);
            ++w->calls;
            if (memcmp(&a, &reference[j], sizeof a) != 0)
                ++w->mismatches;
        }
    mvn_context_free(ctx);
    return NULL;
}

int main(void)
{
    make_problems();
    mvn_context *ctx = new_context(1);
    int sane = 1;
    for (int k = 0; k < NPROB; ++k) {
        solve(ctx, &problems[k], &reference[k]);
        sane &= (reference[k].st == MVN_OK || reference[k].st == MVN_ETOL) &&
                reference[k].p > 0.0 && reference[k].p <= 1.0 &&
                (reference[k].st_grad == MVN_OK || reference[k].st_grad == MVN_ETOL);
        if (!sane)
            tap_diag("problem %d: status %s / %s, p %g", k,
                     mvn_status_name(reference[k].st),
                     mvn_status_name(reference[k].st_grad), reference[k].p);
    }
    mvn_context_free(ctx);
    tap_ok(sane, "the %d reference problems (d = 2, 3, 5, 12, tilted 8, "
                 "singular 4) are answered on one thread", NPROB);

    pthread_t tid[NTHREADS];
    worker w[NTHREADS];
    int started = 1;
    for (int t = 0; t < NTHREADS; ++t) {
        w[t].index = t;
        w[t].mismatches = w[t].calls = 0;
        started &= pthread_create(&tid[t], NULL, work, &w[t]) == 0;
    }
    tap_ok(started, "%d threads started", NTHREADS);
    int calls = 0, mismatches = 0;
    for (int t = 0; t < NTHREADS; ++t) {
        pthread_join(tid[t], NULL);
        calls += w[t].calls;
        mismatches += w[t].mismatches;
    }
    tap_ok(calls == NTHREADS * REPEATS * NPROB && mismatches == 0,
           "%d concurrent calls (P, log P, abserr, gradients) on %d threads "
           "with their own contexts: %d differ from one thread's bitwise",
           calls, NTHREADS, mismatches);
    return tap_exit();
}
