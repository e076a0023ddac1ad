/* sample_bench.c -- exact samples per second of mvn_sample_truncated in a
 * deep tail.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: sample_bench [-t THREADS] [-n SAMPLES] [-d D] [-r RHO] [-p P]
 *
 * Sigma is equicorrelated (RHO, default 0.5) in D dimensions (default 20);
 * the box is X_i > c for all i with c chosen by bisection so that
 * P(X > c) = P (default 1e-20, from mvn_prob with minimax tilting at
 * relative accuracy 1e-3).  Draws SAMPLES (default 200000) samples and
 * prints c, P, the acceptance rate, wall and CPU time and exact samples
 * per second (wall).  A benchmark, not a test: no thresholds.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_clock.h"
#include "mvnorm.h"

/* Bisection steps on c: the bracket [0, 20] to 20 / 2^24 = 1.2e-6 (each
   step is one tilted QMC probability, seconds at d = 100). */
#define BISECT_STEPS 24

static double log_tail(mvn_context *ctx, size_t d, const double *S, double c,
                       double *lo)
{
    double logp;
    for (size_t i = 0; i < d; ++i)
        lo[i] = c;
    mvn_prob(ctx, d, lo, NULL, NULL, S, NULL, &logp, NULL);
    return logp;
}

int main(int argc, char **argv)
{
    size_t d = 20, n = 200000;
    double rho = 0.5, target = 1e-20;
    int threads = 1, opt;
    while ((opt = getopt(argc, argv, "t:n:d:r:p:")) != -1) {
        switch (opt) {
        case 't': threads = atoi(optarg); break;
        case 'n': n = (size_t)atof(optarg); break;
        case 'd': d = (size_t)atoi(optarg); break;
        case 'r': rho = atof(optarg); break;
        case 'p': target = atof(optarg); break;
        default:
            fprintf(stderr, "usage: %s [-t THREADS] [-n SAMPLES] [-d D] [-r RHO] [-p P]\n",
                    argv[0]);
            return 2;
        }
    }
    double *S = malloc(d * d * sizeof *S), *lo = malloc(d * sizeof *lo);
    double *x = malloc(n * d * sizeof *x);
    if (S == NULL || lo == NULL || x == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : rho;
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_TILTED);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 1e-3);
    double a = 0.0, b = 20.0;
    for (int k = 0; k < BISECT_STEPS; ++k) {
        const double c = 0.5 * (a + b);
        if (log_tail(ctx, d, S, c, lo) > log(target))
            a = c;
        else
            b = c;
    }
    const double c = 0.5 * (a + b), logp = log_tail(ctx, d, S, c, lo);
    mvn_context_set(ctx, MVN_OPT_THREADS, threads);
    double rate;
    const double w0 = bench_wall(), c0 = bench_cpu();
    const int st = mvn_sample_truncated(ctx, d, lo, NULL, NULL, S, n, x, &rate);
    const double wall = bench_wall() - w0, cpu = bench_cpu() - c0;
    if (st != MVN_OK) {
        fprintf(stderr, "mvn_sample_truncated: %s: %s\n", mvn_status_name(st),
                mvn_context_message(ctx));
        return 1;
    }
    printf("d %zu rho %g c %.6f P %.3e threads %d samples %zu acceptance %.4f "
           "wall %.3f s cpu %.3f s samples/s %.4g\n",
           d, rho, c, exp(logp), threads, n, rate, wall, cpu, (double)n / wall);
    mvn_context_free(ctx);
    free(S);
    free(lo);
    free(x);
    return 0;
}
