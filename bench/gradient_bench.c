/*
 * gradient_bench.c -- time and accuracy of the full gradient (limits, mean, Sigma) of P by both routes.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Problem (doc/algorithms/gradients.md, "Measured accuracy and time"):
 * one-factor covariance S = D + l l^T, l_i ~ U(0.3, 0.8), D_i = 1 - l_i^2,
 * a = -inf, b_i ~ U(0.5, 2) + log(d)/2, deterministic seed.  Reference:
 * every derivative as a 1-D integral over the factor T (conditionally on
 * T = t the coordinates are independent, Dunnett & Sobel 1955), by one
 * composite 20-point Gauss-Legendre rule on [-12, 12] shared by all
 * entries (so d = 100 costs O(nodes d^2), not d^2 adaptive integrals).
 * The rule is checked against the adaptive one-factor log P of
 * tests/refs.h: the printed "refP" column is |P_rule - P_adaptive|.
 *
 * Usage: gradient_bench [abseps [threads [maxpts [d ...]]]]
 * Prints, per d and route: seconds for the gradient, seconds for P alone
 * (same tolerance), max abs error of d_upper, d_mean and G, the max error
 * estimate of P, and the evaluations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "../tests/refs.h"

/* Reference gradient (d_upper, G) of the one-factor CDF P(X < b). */
static double reference(size_t d, const double *b, const double *l,
                        const double *D, double *db, double *G)
{
    refs_gl_rule g;
    refs_gl_init(&g);
    const int npanel = 480;
    const double lo = -12.0, hi = 12.0, h = (hi - lo) / npanel;
    double P = 0.0;
    double *f = (double *)malloc(4 * d * sizeof(double));
    double *r = f + d, *q = f + 2 * d, *gd = f + 3 * d;
    memset(db, 0, d * sizeof(double));
    memset(G, 0, d * d * sizeof(double));
    for (int pn = 0; pn < npanel; ++pn) {
        const double c = lo + (pn + 0.5) * h;
        for (int k = 0; k < REFS_GL_N; ++k) {
            const double t = c + 0.5 * h * g.x[k];
            const double wt = 0.5 * h * g.w[k] * refs_pdf(t);
            double prod = 1.0;
            for (size_t i = 0; i < d; ++i) {
                const double s = sqrt(D[i]), z = (b[i] - l[i] * t) / s;
                f[i] = refs_Phi(z);
                prod *= f[i];
                /* d/db_i, and the Sigma_ii (= D_i) derivative, of the
                   factor, divided by the factor. */
                r[i] = refs_pdf(z) / s / f[i];
                gd[i] = -z * refs_pdf(z) / (2.0 * D[i]) / f[i];
                q[i] = r[i];
            }
            const double w = wt * prod;
            P += w;
            for (size_t i = 0; i < d; ++i) {
                db[i] += w * r[i];
                G[i * d + i] += w * gd[i];
                for (size_t j = 0; j < i; ++j)
                    G[i * d + j] += 0.5 * w * q[i] * q[j];
            }
        }
    }
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < i; ++j)
            G[j * d + i] = G[i * d + j];
    free(f);
    return P;
}

static double max_abs_diff(const double *x, const double *y, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; ++i)
        m = fmax(m, fabs(x[i] - y[i]));
    return m;
}

int main(int argc, char **argv)
{
    double abseps = argc > 1 ? atof(argv[1]) : 1e-5;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    double maxpts = argc > 3 ? atof(argv[3]) : 1e7;
    size_t dims[16] = {5, 10, 20, 50, 100};
    size_t nd = 5;
    if (argc > 4) {
        nd = 0;
        for (int k = 4; k < argc && nd < 16; ++k)
            dims[nd++] = (size_t)atol(argv[k]);
    }
    mvn_context *ctx = mvn_context_alloc();
    if (ctx == NULL)
        return 1;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, maxpts);
    mvn_context_set(ctx, MVN_OPT_THREADS, threads);
    printf("# abseps %.3g threads %d maxpts %.3g\n", abseps, threads, maxpts);
    printf("# %4s %-11s %9s %9s %9s %9s %9s %9s %9s %9s %3s\n", "d", "route",
           "t_grad", "t_P", "err_dup", "err_dmean", "err_G", "err_P",
           "refP", "evals", "st");
    for (size_t id = 0; id < nd; ++id) {
        const size_t d = dims[id];
        double *buf = (double *)malloc((5 * d + 3 * d * d) * sizeof(double));
        double *l = buf, *D = l + d, *b = D + d, *dup = b + d, *dm = dup + d;
        double *S = dm + d, *G = S + d * d, *Gref = G + d * d;
        double *dbref = (double *)malloc(d * sizeof(double));
        refs_rng rng;
        refs_rng_seed(&rng, 20240 + d);
        for (size_t i = 0; i < d; ++i) {
            l[i] = refs_unif_ab(&rng, 0.3, 0.8);
            D[i] = 1.0 - l[i] * l[i];
            b[i] = refs_unif_ab(&rng, 0.5, 2.0) + 0.5 * log((double)d);
        }
        refs_one_factor_cov(d, l, D, S);
        const double Pref = reference(d, b, l, D, dbref, Gref);
        const double Padapt = refs_one_factor(d, NULL, b, NULL, l, D);
        for (int route = 0; route < 2; ++route) {
            double p, lp, err;
            mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
            double t0 = refs_now();
            int st = mvn_prob(ctx, d, NULL, b, NULL, S, &p, &lp, &err);
            double tp = refs_now() - t0;
            t0 = refs_now();
            st = mvn_prob_grad(ctx, d, NULL, b, NULL, S, &p, &lp, &err, NULL,
                               dup, dm, G);
            double tg = refs_now() - t0;
            double ev = mvn_context_evaluations(ctx);
            for (size_t i = 0; i < d; ++i)
                dm[i] = -dm[i]; /* = d_upper for a CDF */
            printf("  %4zu %-11s %9.4f %9.4f %9.2e %9.2e %9.2e %9.2e %9.1e "
                   "%9.3g %3d\n",
                   d, route ? "estimator" : "closed", tg, tp,
                   max_abs_diff(dup, dbref, d), max_abs_diff(dm, dbref, d),
                   max_abs_diff(G, Gref, d * d), fabs(p - Pref),
                   fabs(Pref - Padapt), ev, st);
            fflush(stdout);
        }
        free(dbref);
        free(buf);
    }
    mvn_context_free(ctx);
    return 0;
}
