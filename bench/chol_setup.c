/* chol_setup.c -- time of the GGE-pivoted Cholesky factorization (the setup of every QMC problem).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: chol_setup [-r REPS] [-o FILE] d ...
 *
 * For each d: Sigma = W W^T / k + diag(u) (W d x 64 uniform(-1, 1), u
 * uniform(0.2, 1.2), standardized to unit diagonal), lower limits -inf or
 * uniform(-2, 0), upper limits uniform(-1, 2), all from a fixed seed; times
 * mvni_chol_reorder with GGE, REPS times (default 3), and prints the
 * median wall time.  BLAS threads are OpenBLAS's own setting
 * (OPENBLAS_NUM_THREADS).  With -o FILE it writes d, perm and the diagonal
 * of L (%.17g) for comparing two builds.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

#include <cblas.h>

#include "qmc/qmc.h"
#include "mvnorm.h"

static uint64_t rng = 88172645463325252ULL;
static double unif(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) * 0x1p-53;
}

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
    int reps = 3, argi = 1;
    const char *out = NULL;
    while (argi + 1 < argc && argv[argi][0] == '-') {
        if (argv[argi][1] == 'r')
            reps = atoi(argv[argi + 1]);
        else if (argv[argi][1] == 'o')
            out = argv[argi + 1];
        argi += 2;
    }
    FILE *fo = out ? fopen(out, "w") : NULL;
    for (; argi < argc; ++argi) {
        size_t d = (size_t)atol(argv[argi]), k = 64;
        double *W = malloc(d * k * sizeof *W), *S = malloc(d * d * sizeof *S);
        double *L = malloc(d * d * sizeof *L), *a0 = malloc(2 * d * sizeof *a0);
        double *a = malloc(2 * d * sizeof *a), *work = malloc(2 * d * sizeof *work);
        size_t *perm = malloc(d * sizeof *perm);
        for (size_t i = 0; i < d * k; ++i)
            W[i] = 2 * unif() - 1;
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)d, (int)k,
                    1.0 / (double)k, W, (int)k, W, (int)k, 0.0, S, (int)d);
        for (size_t i = 0; i < d; ++i)
            S[i * d + i] += 0.2 + unif();
        for (size_t i = 0; i < d; ++i)
            work[i] = sqrt(S[i * d + i]);
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] /= work[i] * work[j];
        for (size_t i = 0; i < d; ++i) {
            a0[i] = unif() < 0.5 ? -INFINITY : -2 * unif();
            a0[d + i] = 3 * unif() - 1;
        }
        double t[64];
        if (reps > 64)
            reps = 64;
        for (int r = 0; r < reps; ++r) {
            memcpy(a, a0, 2 * d * sizeof *a);
            double t0 = bench_wall();
            int st = mvni_chol_reorder(d, S, a, a + d, MVN_REORDER_GGE, L, perm, work);
            t[r] = bench_wall() - t0;
            if (st != MVN_OK)
                printf("status %d\n", st);
        }
        qsort(t, (size_t)reps, sizeof *t, cmp);
        uint64_t h = 0;
        for (size_t i = 0; i < d; ++i)
            h = h * 1000003u + perm[i];
        printf("d %zu  median %.4f s  (min %.4f, max %.4f, %d reps)  perm hash %016llx\n",
               d, t[reps / 2], t[0], t[reps - 1], reps, (unsigned long long)h);
        fflush(stdout);
        if (fo) {
            fprintf(fo, "d %zu\n", d);
            for (size_t i = 0; i < d; ++i)
                fprintf(fo, "%zu %.17g\n", perm[i], L[i * d + i]);
        }
        free(W); free(S); free(L); free(a0); free(a); free(work); free(perm);
    }
    if (fo)
        fclose(fo);
    return 0;
}
