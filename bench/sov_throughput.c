/* sov_throughput.c -- inner-loop throughput of the SOV lattice integrator in ns per point per dimension.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: sov_throughput [-t THREADS] [d ...]   (default: 1 thread; d = 10 100 1000)
 *
 * Integrates P(a < L z < b) with mvni_sov_qmc directly (no reordering, one
 * thread) for the Cholesky factor of the AR(1) correlation
 * Sigma_ij = rho^|i-j|, rho = 0.5, with a_i = -1, b_i = 2 (both limits
 * finite, so every row evaluates Phi twice and Phi^-1 once), for a fixed
 * budget of evaluations (abseps = releps = 0, so the budget ends the run).
 * It prints the time per integrand evaluation divided by d, which is the
 * throughput figure quoted in issue 3 and doc/algorithms/simd.md.  The
 * factor is dense (L_ij = rho^(i-j) sqrt(1 - rho^2) for j > 0), so the
 * per-row dot product costs about d / 2 multiply-adds per point and the
 * figure grows with d.  The environment variable MVN_SIMD (scalar, avx2,
 * avx512) picks the kernel set when the library was built with SIMD.
 * With -t THREADS the same integrations run on that many OpenMP threads
 * (the result is bitwise the same; the ns figure is then wall time per
 * evaluation, so perfect scaling divides it by THREADS).
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_clock.h"

#include "qmc/qmc.h"
#include "mvnorm.h"

int main(int argc, char **argv)
{
    size_t dims[16] = {10, 100, 1000};
    int nd = 3, threads = 1, argi = 1;
    if (argc > 2 && argv[1][0] == '-' && argv[1][1] == 't') {
        threads = atoi(argv[2]);
        if (threads < 1)
            threads = 1;
        argi = 3;
    }
    if (argc > argi) {
        nd = 0;
        for (int i = argi; i < argc && nd < 16; ++i)
            dims[nd++] = (size_t)strtoul(argv[i], NULL, 10);
    }
    const double rho = 0.5;
    printf("threads: %d\n", threads);
    printf("%6s %12s %10s %12s %12s %14s\n", "d", "evals", "seconds",
           "ns/pt/dim", "cpu ns", "p");
    for (int k = 0; k < nd; ++k) {
        const size_t d = dims[k];
        double *L = calloc(d * d, sizeof *L);
        double *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b);
        if (!L || !a || !b)
            return 1;
        const double s = sqrt(1.0 - rho * rho);
        for (size_t i = 0; i < d; ++i) {
            L[i * d] = pow(rho, (double)i);
            for (size_t j = 1; j <= i; ++j)
                L[i * d + j] = s * pow(rho, (double)(i - j));
            a[i] = -1.0;
            b[i] = 2.0;
        }
        /* About 2e8 / d evaluations: a second or so per dimension. */
        mvni_qmc_options opt = {0.0, 0.0, 4e7 / (double)d + 2e4, 42, 8, 3.0,
                                threads, NULL};
        mvni_result r;
        double best = INFINITY, cbest = INFINITY, evals = 0.0;
        for (int rep = 0; rep < 3; ++rep) {
            const double t0 = bench_wall(), c0 = bench_cpu();
            mvni_sov_qmc(d, L, a, b, &opt, &r);
            const double t = bench_wall() - t0, c = bench_cpu() - c0;
            if (t < best)
                best = t;
            if (c < cbest)
                cbest = c;
            evals = r.evals;
        }
        /* "cpu ns" is the CPU time of all threads together per point and
           dimension: with T threads it exceeds T x "ns/pt/dim" / T only by
           the threads' overhead (spinning, scheduling). */
        printf("%6zu %12.0f %10.4f %12.2f %12.2f %24.17e\n", d, evals, best,
               1e9 * best / (evals * (double)d),
               1e9 * cbest / (evals * (double)d), r.p);
        free(L);
        free(a);
        free(b);
    }
    return 0;
}
