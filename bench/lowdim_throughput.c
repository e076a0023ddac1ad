/* lowdim_throughput.c -- problems per second of the exact d = 2 and d = 3 kernels through mvn_prob_batch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: lowdim_throughput [n [case]]   (default n = 20000 problems per
 * case; case 0..3 runs only d = 2 orthants, d = 2 rectangles, d = 3
 * orthants or d = 3 rectangles, for profiling)
 *
 * Random problems as in the benchmark harness (bench/problems.py), one Sigma
 * per problem (sigma_strides[0] = d*d, so every problem is validated and
 * dispatched on its own), single thread:
 *   d = 2: r uniform in (-0.9, 0.9), limits uniform in (-3, 3);
 *   d = 3: r12 uniform in (-0.6, 0.9), r13 = r23 = 0.3, limits as above.
 * "orthant" problems have lower = -inf, "rectangle" problems draw both
 * limits and sort them.  Prints millions of problems per second of CPU
 * time (issue 3 targets: 10 M/s for d = 2, 1 M/s for d = 3).
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

#include "mvnorm.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A fixed-seed xorshift generator, so runs are comparable. */
static double unif(uint64_t *s, double a, double b)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return a + (b - a) * (double)(*s >> 11) * 0x1p-53;
}

static void run_case(size_t n, size_t d, int rect)
{
    double *lo = malloc(n * d * sizeof *lo), *hi = malloc(n * d * sizeof *hi);
    double *sig = malloc(n * d * d * sizeof *sig);
    double *p = malloc(n * sizeof *p), *lp = malloc(n * sizeof *lp), *er = malloc(n * sizeof *er);
    int *st = malloc(n * sizeof *st);
    uint64_t s = 88172645463325252ULL + d * 7 + (uint64_t)rect;
    for (size_t t = 0; t < n; ++t) {
        for (size_t i = 0; i < d; ++i) {
            double a = unif(&s, -3.0, 3.0), b = unif(&s, -3.0, 3.0);
            if (rect) {
                lo[t * d + i] = fmin(a, b);
                hi[t * d + i] = fmax(a, b);
            } else {
                lo[t * d + i] = -INFINITY;
                hi[t * d + i] = a;
            }
        }
        double *S = sig + t * d * d;
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
    }
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_THREADS, 1.0);
    ptrdiff_t ls[2] = {(ptrdiff_t)d, 1}, ss[3] = {(ptrdiff_t)(d * d), (ptrdiff_t)d, 1};
    double t0 = cpu_now();
    int rc = mvn_prob_batch(ctx, n, d, lo, ls, hi, ls, NULL, NULL, sig, ss, MVN_SIGMA_COV,
                            p, lp, er, st);
    double t1 = cpu_now();
    double sum = 0.0, emax = 0.0;
    for (size_t t = 0; t < n; ++t) {
        sum += p[t];
        emax = fmax(emax, er[t]);
    }
    printf("d = %zu %-9s n = %zu: %.3f M problems/s (%.0f ns each; rc %d, mean p %.6f, max abserr %.1e)\n",
           d, rect ? "rectangle" : "orthant", n, 1e-6 * (double)n / (t1 - t0),
           1e9 * (t1 - t0) / (double)n, rc, sum / (double)n, emax);
    mvn_context_free(ctx);
    free(lo), free(hi), free(sig), free(p), free(lp), free(er), free(st);
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 20000;
    int only = argc > 2 ? atoi(argv[2]) : -1;
    if (only < 0 || only == 0)
        run_case(n, 2, 0);
    if (only < 0 || only == 1)
        run_case(n, 2, 1);
    if (only < 0 || only == 2)
        run_case(n / 10 + 1, 3, 0);
    if (only < 0 || only == 3)
        run_case(n / 10 + 1, 3, 1);
    return 0;
}
