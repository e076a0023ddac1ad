/* lattice_convergence.c -- true error and error estimate of the QMC integrator against its evaluation count.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not a test: it prints a table and asserts nothing.  For each problem with
 * an exact answer it runs mvn_prob (single thread, ABSEPS = RELEPS = 0, so
 * the integration runs until the budget is spent) under a sweep of
 * MVN_OPT_MAXPTS caps and prints, for every distinct evaluation count
 * (mvn_context_evaluations), the true error |p - exact| and abserr.  At the
 * end it prints, per problem, the fewest evaluations at which abserr was at
 * most 1e-4, 1e-5 and 1e-6 (what a user pays at those ABSEPS) and the true
 * error there.
 *
 * Problems: one-factor Sigma = 0.5 I + 0.5 1 1^T with upper limits 1,
 * d = 5, 10, 20, 50 (exact value: the 1-D integral of tests/refs.h);
 * Genz's 4-D example (REFERENCE_VALUES.md sec. 5); the equicorrelated
 * (rho = 1/2) orthant P(X < 0) = 1/(d+1), d = 8.
 *
 * Build (from the repository root, after the library is built):
 *   gcc -std=c11 -O2 -Ilib -I_build/lib -Itests bench/lattice_convergence.c \
 *       _build/lib/.libs/libmvnorm.a -fopenmp -llapacke -lopenblas -lm
 *   ./a.out [max_evals]          (default 3.4e7)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mvnorm.h"
#include "refs.h"

typedef struct {
    const char *name;
    size_t d;
    double S[50 * 50];
    double b[50];
    double exact;
    double maxev; /* the largest budget worth spending on it */
} problem;

static void one_factor(problem *p, const char *name, size_t d, double lim)
{
    double l[50], D[50], a[50];
    p->name = name;
    p->d = d;
    for (size_t i = 0; i < d; ++i) {
        l[i] = sqrt(0.5);
        D[i] = 0.5;
        a[i] = -INFINITY;
        p->b[i] = lim;
    }
    refs_one_factor_cov(d, l, D, p->S);
    p->exact = refs_one_factor(d, a, p->b, NULL, l, D);
}

int main(int argc, char **argv)
{
    const double maxev_all = argc > 1 ? atof(argv[1]) : 3.4e7;
    static problem pr[6];
    one_factor(&pr[0], "one-factor d=5", 5, 1.0);
    one_factor(&pr[1], "one-factor d=10", 10, 1.0);
    one_factor(&pr[2], "one-factor d=20", 20, 1.0);
    one_factor(&pr[3], "one-factor d=50", 50, 1.0);
    {
        static const double G[16] = {4, 3, 2, 1, 3, 5, -1, 1, 2, -1, 4, 2, 1, 1, 2, 5};
        pr[4].name = "Genz 4-D";
        pr[4].d = 4;
        for (int i = 0; i < 16; ++i)
            pr[4].S[i] = G[i];
        for (int i = 0; i < 4; ++i)
            pr[4].b[i] = i + 1.0;
        pr[4].exact = 0.605640447919324;
    }
    one_factor(&pr[5], "orthant d=8", 8, 0.0);
    pr[5].exact = 1.0 / 9.0; /* P(X < 0) for rho = 1/2 is 1/(d+1) */
    for (int q = 0; q < 6; ++q)
        pr[q].maxev = maxev_all / (pr[q].d >= 50 ? 4.0 : 1.0);

    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_THREADS, 1);
    mvn_context_set(ctx, MVN_OPT_SEED, 12345);

    static const double targets[3] = {1e-4, 1e-5, 1e-6};
    double reach[6][3], reach_err[6][3];
    for (int q = 0; q < 6; ++q) {
        problem *p = &pr[q];
        double lo[50], mu[50];
        for (size_t i = 0; i < p->d; ++i) {
            lo[i] = -INFINITY;
            mu[i] = 0.0;
        }
        for (int t = 0; t < 3; ++t)
            reach[q][t] = reach_err[q][t] = NAN;
        printf("# %s  exact %.15g\n", p->name, p->exact);
        printf("# %12s %12s %12s %8s %9s\n", "evals", "true_err", "abserr", "ratio", "seconds");
        double last = -1.0;
        for (double cap = 2000.0; cap <= p->maxev * 1.0001; cap *= sqrt(2.0)) {
            mvn_context_set(ctx, MVN_OPT_MAXPTS, floor(cap));
            double pv, err;
            clock_t c0 = clock();
            mvn_prob(ctx, p->d, lo, p->b, mu, p->S, &pv, NULL, &err);
            double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
            double ev = mvn_context_evaluations(ctx);
            if (ev == last)
                continue;
            last = ev;
            double te = fabs(pv - p->exact);
            printf("  %12.0f %12.3e %12.3e %8.2f %9.3f\n", ev, te, err,
                   err > 0 ? te / err : 0.0, secs);
            for (int t = 0; t < 3; ++t)
                if (isnan(reach[q][t]) && err <= targets[t]) {
                    reach[q][t] = ev;
                    reach_err[q][t] = te;
                }
        }
        fflush(stdout);
    }
    printf("\n# evaluations at which abserr first <= 1e-4, 1e-5, 1e-6 (true error there)\n");
    for (int q = 0; q < 6; ++q) {
        printf("%-18s", pr[q].name);
        for (int t = 0; t < 3; ++t) {
            if (isnan(reach[q][t]))
                printf(" %22s", "not reached");
            else
                printf(" %10.3g (%9.2e)", reach[q][t], reach_err[q][t]);
        }
        printf("\n");
    }
    mvn_context_free(ctx);
    return 0;
}
