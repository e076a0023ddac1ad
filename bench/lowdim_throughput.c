/* lowdim_throughput.c -- rate and per-problem cost of the exact d = 2 and d = 3 kernels through mvn_prob_batch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: lowdim_throughput [n [case]]   (default n = 20000 problems per
 * d = 2 case, n / 10 per d = 3 case; case 0..5 runs one case only)
 *
 * Two families, one Sigma per problem (sigma_strides[0] = d*d, so every
 * problem is validated and dispatched on its own), single thread:
 *   benign (the mixture of bench/problems.py):
 *     d = 2: r uniform in (-0.9, 0.9);  d = 3: r12 uniform in (-0.6, 0.9),
 *     r13 = r23 = 0.3; "orthant": lower = -inf, upper uniform in (-3, 3);
 *     "rectangle": both limits uniform in (-3, 3), sorted;
 *   random (issue 12): R = normalized A A^T with A = N(0, 1) + 1.5 I,
 *     both limits uniform in (-3, 3), sorted, and each lower limit open
 *     (-inf) with probability 1/2.
 * For each case: the rate (millions of problems per second of the
 * calling thread's CPU time, one batch call, best of 3), and the
 * per-problem cost (each problem as its own one-problem batch, the
 * minimum of 3 timings so that a preemption does not count): median,
 * mean, the worst case and its inputs.  The per-problem times include the
 * batch call's own overhead (validation, dispatch: about 0.1-0.2 us; until
 * 2026-12 also an OpenMP parallel region of one thread, 1.2 us more, see
 * lib/backend/cpu.c) and the timer's (a system call on this VM's
 * clock).  Issue 12's targets: 10 M/s
 * for d = 2 and 1 M/s for d = 3 per core, no bivariate above 2 us and no
 * trivariate above 20 us.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"

#include "mvnorm.h"

/* A fixed-seed xorshift generator, so runs are comparable. */
static double unif(uint64_t *s, double a, double b)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return a + (b - a) * (double)(*s >> 11) * 0x1p-53;
}

static double normal(uint64_t *s)
{
    double u = unif(s, 0.0, 1.0), v = unif(s, 0.0, 1.0);
    return sqrt(-2.0 * log(u + 1e-300)) * cos(6.283185307179586 * v);
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* family 0: benign (rect 0 orthant, 1 rectangle); family 1: random. */
static void make(size_t n, size_t d, int family, int rect, double *lo, double *hi, double *sig)
{
    uint64_t s = 88172645463325252ULL + d * 7 + (uint64_t)rect + 1000u * (uint64_t)family;
    for (size_t t = 0; t < n; ++t) {
        double *S = sig + t * d * d;
        for (size_t i = 0; i < d; ++i) {
            double a = unif(&s, -3.0, 3.0), b = unif(&s, -3.0, 3.0);
            if (family == 1 || rect) {
                lo[t * d + i] = fmin(a, b);
                hi[t * d + i] = fmax(a, b);
                if (family == 1 && unif(&s, 0.0, 1.0) < 0.5)
                    lo[t * d + i] = -INFINITY;
            } else {
                lo[t * d + i] = -INFINITY;
                hi[t * d + i] = a;
            }
        }
        if (family == 0) {
            for (size_t i = 0; i < d * d; ++i)
                S[i] = 0.0;
            for (size_t i = 0; i < d; ++i)
                S[i * d + i] = 1.0;
            if (d == 2) {
                S[1] = S[2] = unif(&s, -0.9, 0.9);
            } else {
                S[1] = S[3] = unif(&s, -0.6, 0.9);
                S[2] = S[6] = S[5] = S[7] = 0.3;
            }
        } else {
            double A[9], C[9];
            for (size_t i = 0; i < d * d; ++i)
                A[i] = normal(&s);
            for (size_t i = 0; i < d; ++i)
                A[i * d + i] += 1.5;
            for (size_t i = 0; i < d; ++i)
                for (size_t j = 0; j < d; ++j) {
                    C[i * d + j] = 0.0;
                    for (size_t k = 0; k < d; ++k)
                        C[i * d + j] += A[i * d + k] * A[j * d + k];
                }
            for (size_t i = 0; i < d; ++i)
                for (size_t j = 0; j < d; ++j)
                    S[i * d + j] = C[i * d + j] / sqrt(C[i * d + i] * C[j * d + j]);
        }
    }
}

static void run_case(size_t n, size_t d, int family, int rect)
{
    double *lo = malloc(n * d * sizeof *lo), *hi = malloc(n * d * sizeof *hi);
    double *sig = malloc(n * d * d * sizeof *sig), *tt = malloc(n * sizeof *tt);
    double *p = malloc(n * sizeof *p), *lp = malloc(n * sizeof *lp), *er = malloc(n * sizeof *er);
    int *st = malloc(n * sizeof *st);
    make(n, d, family, rect, lo, hi, sig);
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_THREADS, 1.0);
    ptrdiff_t ls[2] = {(ptrdiff_t)d, 1}, ss[3] = {(ptrdiff_t)(d * d), (ptrdiff_t)d, 1};
    double best = INFINITY;
    int rc = 0;
    for (int rep = 0; rep < 3; ++rep) {
        double t0 = bench_thread_cpu();
        rc |= mvn_prob_batch(ctx, n, d, lo, ls, hi, ls, NULL, NULL, sig, ss, MVN_SIGMA_COV,
                             p, lp, er, st);
        best = fmin(best, bench_thread_cpu() - t0);
    }
    double sum = 0.0, emax = 0.0;
    for (size_t t = 0; t < n; ++t) {
        sum += p[t];
        emax = fmax(emax, er[t]);
    }
    /* Per-problem cost: each problem alone, minimum of 3 wall-clock
       timings. */
    double tsum = 0.0;
    size_t worst = 0;
    for (size_t t = 0; t < n; ++t) {
        tt[t] = INFINITY;
        for (int rep = 0; rep < 3; ++rep) {
            double q, lq, e;
            int s1;
            double t0 = bench_wall();
            mvn_prob_batch(ctx, 1, d, lo + t * d, ls, hi + t * d, ls, NULL, NULL, sig + t * d * d,
                           ss, MVN_SIGMA_COV, &q, &lq, &e, &s1);
            tt[t] = fmin(tt[t], bench_wall() - t0);
        }
        tsum += tt[t];
        if (tt[t] > tt[worst])
            worst = t;
    }
    double tw = tt[worst];
    const double *S = sig + worst * d * d;
    qsort(tt, n, sizeof *tt, cmp);
    printf("d = %zu %-6s %-9s n = %6zu: %7.3f M/s; per problem median %.2f us, mean %.2f us, "
           "p99 %.1f us, worst %.1f us (rc %d, mean p %.4f, max abserr %.1e)\n",
           d, family ? "random" : "benign", rect || family ? "rectangle" : "orthant", n,
           1e-6 * (double)n / best, 1e6 * tt[n / 2], 1e6 * tsum / (double)n,
           1e6 * tt[n - 1 - n / 100], 1e6 * tw, rc, sum / (double)n, emax);
    printf("    worst: lo (%.6g, %.6g, %.6g) hi (%.6g, %.6g, %.6g) r (%.6g, %.6g, %.6g)\n",
           lo[worst * d], lo[worst * d + 1], d > 2 ? lo[worst * d + 2] : NAN, hi[worst * d],
           hi[worst * d + 1], d > 2 ? hi[worst * d + 2] : NAN, S[1], d > 2 ? S[2] : NAN,
           d > 2 ? S[5] : NAN);
    mvn_context_free(ctx);
    free(lo), free(hi), free(sig), free(tt), free(p), free(lp), free(er), free(st);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 20000;
    int only = argc > 2 ? atoi(argv[2]) : -1;
    /* case: d, family, rect */
    static const int cases[6][3] = {{2, 0, 0}, {2, 0, 1}, {2, 1, 1}, {3, 0, 0}, {3, 0, 1}, {3, 1, 1}};
    for (int c = 0; c < 6; ++c) {
        if (only >= 0 && only != c)
            continue;
        size_t d = (size_t)cases[c][0];
        run_case(d == 2 ? n : n / 10 + 1, d, cases[c][1], cases[c][2]);
    }
    return 0;
}
