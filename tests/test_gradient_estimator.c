/*
 * test_gradient_estimator.c -- the derivative of the QMC estimator
 * (route 2): it is the exact derivative of the estimator's value at fixed
 * points, its value is sov.c's, and it agrees with the closed form
 * (route 1) within the two error estimates.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grad/grad.h"
#include "qmc/qmc.h"
#include "api/context.h"
#include "tap.h"
#include "refs.h"

static void random_problem(refs_rng *rng, size_t d, double *S, double *a, double *b)
{
    /* A unit lower-triangular factor with N(0, 1/d) entries keeps the
       correlation matrix well conditioned at every d. */
    double *L = malloc(d * d * sizeof *L);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            L[i * d + j] = j < i ? 1.5 * refs_normal(rng) / sqrt((double)d) : (j == i ? 1.0 : 0.0);
    refs_llt(d, L, S);
    refs_to_corr(d, S);
    for (size_t i = 0; i < d; ++i) {
        a[i] = i % 3 == 0 ? -INFINITY : refs_unif_ab(rng, -2.5, -0.5);
        b[i] = i % 4 == 1 ? INFINITY : refs_unif_ab(rng, 0.5, 2.5);
    }
    free(L);
}

static void opts(mvni_solve_options *o, double abseps, double maxpts, int reorder)
{
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, maxpts);
    mvn_context_set(ctx, MVN_OPT_REORDER, reorder);
    mvn_context_set(ctx, MVN_OPT_THREADS, 1);
    mvn_context_set(ctx, MVN_OPT_SEED, 7);
    mvni_solve_options_from_context(ctx, o);
    mvn_context_free(ctx);
}

/* The estimator at fixed points (abseps = 0 and a fixed budget give the
   same lattice sizes for every input; no reordering keeps the variable
   order) is a smooth function of (a, b, Sigma): its gradient must equal
   its central differences to the differences' own accuracy. */
static void test_fixed_points(void)
{
    const size_t d = 6;
    refs_rng rng;
    refs_rng_seed(&rng, 11);
    double S[36], a[6], b[6], da[6], db[6], G[36], x[6], Sp[36];
    random_problem(&rng, d, S, a, b);
    mvni_solve_options o;
    opts(&o, 0.0, 20000, MVN_REORDER_NONE);
    mvni_grad_out out = {da, db, G, NULL, NULL, NULL, NULL};
    mvni_result r;
    int st = mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, b, S, &o, &r, &out);
    tap_ok(st == MVN_ETOL, "fixed points: budget-limited run (status %d)", st);
    const double h = 1e-5;
    double e_a = 0, e_b = 0, e_g = 0;
    mvni_grad_out none;
    memset(&none, 0, sizeof none);
    for (size_t i = 0; i < d; ++i) {
        mvni_result rp, rm;
        if (isfinite(a[i])) {
            memcpy(x, a, sizeof x);
            x[i] += h;
            mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, x, b, S, &o, &rp, &none);
            x[i] -= 2 * h;
            mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, x, b, S, &o, &rm, &none);
            e_a = fmax(e_a, fabs((rp.p - rm.p) / (2 * h) - da[i]));
        }
        if (isfinite(b[i])) {
            memcpy(x, b, sizeof x);
            x[i] += h;
            mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, x, S, &o, &rp, &none);
            x[i] -= 2 * h;
            mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, x, S, &o, &rm, &none);
            e_b = fmax(e_b, fabs((rp.p - rm.p) / (2 * h) - db[i]));
        }
        for (size_t j = 0; j <= i; ++j) {
            memcpy(Sp, S, sizeof Sp);
            Sp[i * d + j] += h;
            if (i != j)
                Sp[j * d + i] += h;
            mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, b, Sp, &o, &rp, &none);
            memcpy(Sp, S, sizeof Sp);
            Sp[i * d + j] -= h;
            if (i != j)
                Sp[j * d + i] -= h;
            mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, b, Sp, &o, &rm, &none);
            double fd = (rp.p - rm.p) / (2 * h);
            e_g = fmax(e_g, fabs(fd - (i == j ? 1.0 : 2.0) * G[i * d + j]));
        }
    }
    /* Differences with h = 1e-5 of a function of size 1: truncation
       about h^2 = 1e-10, rounding about 1e-16 / h = 1e-11. */
    tap_close(e_a, 0.0, 1e-8, "fixed points: dP/dlower = difference of the estimator");
    tap_close(e_b, 0.0, 1e-8, "fixed points: dP/dupper = difference of the estimator");
    tap_close(e_g, 0.0, 1e-8, "fixed points: G (Cholesky backward rule) = difference of the estimator");
    tap_diag("fixed points: max |grad - difference|: a %.2g b %.2g Sigma %.2g", e_a, e_b, e_g);
}

/* Same points as sov.c: the values agree to rounding. */
static void test_same_value(void)
{
    const size_t d = 12;
    refs_rng rng;
    refs_rng_seed(&rng, 12);
    double S[144], a[12], b[12], L[144], work[24], ga[12];
    size_t perm[12];
    random_problem(&rng, d, S, a, b);
    mvni_solve_options o;
    opts(&o, 1e-4, 1e6, MVN_REORDER_GGE);
    mvni_chol_reorder(d, S, a, b, MVN_REORDER_GGE, L, perm, work);
    mvni_result r1, r2;
    mvni_sov_qmc(d, L, a, b, &o.qmc, &r1);
    mvni_qmc_options q = o.qmc;
    q.abseps = 0.0;
    q.maxpts = r1.evals; /* the same lattice sizes */
    mvni_sov_grad(d, L, a, b, &q, &r2, ga, NULL, NULL, NULL, NULL, NULL);
    tap_ok(r1.evals == r2.evals, "same points: %g evaluations each", r1.evals);
    tap_rel(r2.p, r1.p, 1e-13, "same points: value equals mvni_sov_qmc's");
    tap_rel(r2.abserr, r1.abserr, 1e-9, "same points: error estimate equals mvni_sov_qmc's");
}

/* The two routes agree within their error estimates. */
static void test_routes_agree(size_t d, double abseps, double abseps_est, uint64_t seed)
{
    refs_rng rng;
    refs_rng_seed(&rng, seed);
    double *S = malloc(d * d * sizeof *S), *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b);
    double *buf = malloc(2 * (4 * d + 2 * d * d) * sizeof *buf);
    random_problem(&rng, d, S, a, b);
    mvni_grad_out g[2];
    memset(g, 0, sizeof g); /* log_space = 0: derivatives of P */
    for (int k = 0; k < 2; ++k) {
        double *p = buf + (size_t)k * (4 * d + 2 * d * d);
        g[k].d_lower = p;
        g[k].d_upper = p + d;
        g[k].err_lower = p + 2 * d;
        g[k].err_upper = p + 3 * d;
        g[k].g_sigma = p + 4 * d;
        g[k].err_sigma = p + 4 * d + d * d;
        g[k].h_upper = NULL;
    }
    mvni_solve_options o;
    opts(&o, abseps, 1e7, MVN_REORDER_GGE);
    mvni_result r[2];
    double t0 = refs_now();
    int s0 = mvni_grad_closed(d, a, b, S, &o, &r[0], &g[0]);
    double t1 = refs_now();
    o.qmc.abseps = abseps_est;
    int s1 = mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, b, S, &o, &r[1], &g[1]);
    double t2 = refs_now();
    tap_ok(s0 == MVN_OK && s1 == MVN_OK, "routes d = %zu: statuses %d %d", d, s0, s1);
    /* Ratios |difference| / (err1 + err2) over every entry.  Each error
       estimate is 3.5 standard errors from 8 shifts, so a ratio above 1
       has a probability of about 1% per entry (Student t, 7 degrees of
       freedom) and above 2.5 about 5e-5: with up to 440 entries the test
       asks for at most 3% above 1 and none above 2.5. */
    double worst = 0.0, maxdiff = 0.0, maxerr = 0.0;
    size_t nent = 0, nover = 0;
    const double floor = 1e-3 * abseps;
    for (size_t i = 0; i < d; ++i) {
        double dl = fabs(g[0].d_lower[i] - g[1].d_lower[i]);
        double du = fabs(g[0].d_upper[i] - g[1].d_upper[i]);
        double q1 = dl / (g[0].err_lower[i] + g[1].err_lower[i] + floor);
        double q2 = du / (g[0].err_upper[i] + g[1].err_upper[i] + floor);
        worst = fmax(worst, fmax(q1, q2));
        nent += 2;
        nover += (q1 > 1.0) + (q2 > 1.0);
        maxdiff = fmax(maxdiff, fmax(dl, du));
        maxerr = fmax(maxerr, fmax(fmax(g[0].err_lower[i], g[0].err_upper[i]),
                                   fmax(g[1].err_lower[i], g[1].err_upper[i])));
        for (size_t j = 0; j < d; ++j) {
            size_t ij = i * d + j;
            double dg = fabs(g[0].g_sigma[ij] - g[1].g_sigma[ij]);
            double q = dg / (g[0].err_sigma[ij] + g[1].err_sigma[ij] + floor);
            worst = fmax(worst, q);
            nent += 1;
            nover += q > 1.0;
            maxdiff = fmax(maxdiff, dg);
            maxerr = fmax(maxerr, fmax(g[0].err_sigma[ij], g[1].err_sigma[ij]));
        }
    }
    tap_ok(worst <= 2.5 && nover <= 0.03 * (double)nent,
           "routes d = %zu: entries within the sum of the error estimates "
           "(%zu of %zu above, worst ratio %.2f)", d, nover, nent, worst);
    tap_close(r[0].p, r[1].p, r[0].abserr + r[1].abserr, "routes d = %zu: same P", d);
    tap_diag("routes d = %zu: max |diff| %.2g, max error estimate %.2g; time closed %.3f s, "
             "estimator %.3f s", d, maxdiff, maxerr, t1 - t0, t2 - t1);
    free(S); free(a); free(b); free(buf);
}

/* Results do not depend on the thread count. */
static void test_threads(void)
{
    const size_t d = 8;
    refs_rng rng;
    refs_rng_seed(&rng, 13);
    double S[64], a[8], b[8], G1[64], G2[64], db1[8], db2[8];
    random_problem(&rng, d, S, a, b);
    mvni_solve_options o;
    opts(&o, 1e-4, 1e6, MVN_REORDER_GGE);
    mvni_grad_out g1 = {NULL, db1, G1, NULL, NULL, NULL, NULL};
    mvni_grad_out g2 = {NULL, db2, G2, NULL, NULL, NULL, NULL};
    mvni_result r1, r2;
    mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, b, S, &o, &r1, &g1);
    o.qmc.threads = 2;
    mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, d, a, b, S, &o, &r2, &g2);
    tap_ok(r1.p == r2.p && !memcmp(G1, G2, sizeof G1) && !memcmp(db1, db2, sizeof db1),
           "threads: 1 and 2 threads give bitwise the same estimator gradient");
    mvni_grad_closed(d, a, b, S, &o, &r2, &g2);
    o.qmc.threads = 1;
    mvni_grad_closed(d, a, b, S, &o, &r1, &g1);
    tap_ok(r1.p == r2.p && !memcmp(G1, G2, sizeof G1) && !memcmp(db1, db2, sizeof db1),
           "threads: 1 and 2 threads give bitwise the same closed form");
}

/* d <= 3 goes to the exact closed form. */
static void test_small(void)
{
    double S[9] = {1, 0.3, -0.2, 0.3, 1, 0.5, -0.2, 0.5, 1}, a[3] = {-1, -INFINITY, -2}, b[3] = {1, 0.5, INFINITY};
    double G1[9], G2[9], d1[3], d2[3];
    mvni_solve_options o;
    opts(&o, 1e-5, 1e6, MVN_REORDER_GGE);
    mvni_grad_out g1 = {d1, NULL, G1, NULL, NULL, NULL, NULL};
    mvni_grad_out g2 = {d2, NULL, G2, NULL, NULL, NULL, NULL};
    mvni_result r;
    mvni_grad_closed(3, a, b, S, &o, &r, &g1);
    mvni_grad_solve(MVN_GRADIENT_ESTIMATOR, 3, a, b, S, &o, &r, &g2);
    tap_ok(!memcmp(G1, G2, sizeof G1) && !memcmp(d1, d2, sizeof d1),
           "d = 3: the estimator route answers with the exact closed form");
}

/* Cost of the gradient relative to P alone at the same points. */
static void test_cost(size_t d)
{
    refs_rng rng;
    refs_rng_seed(&rng, 14);
    double *S = malloc(d * d * sizeof *S), *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b);
    double *L = malloc(d * d * sizeof *L), *work = malloc(2 * d * sizeof *work);
    double *ga = malloc(d * sizeof *ga), *gb = malloc(d * sizeof *gb), *gs = malloc(d * d * sizeof *gs);
    size_t *perm = malloc(d * sizeof *perm);
    random_problem(&rng, d, S, a, b);
    mvni_solve_options o;
    opts(&o, 0.0, 2 * 8 * 2100, MVN_REORDER_GGE);
    mvni_chol_reorder(d, S, a, b, MVN_REORDER_GGE, L, perm, work);
    mvni_result r1, r2;
    double t0 = refs_now();
    mvni_sov_qmc(d, L, a, b, &o.qmc, &r1);
    double t1 = refs_now();
    mvni_sov_grad(d, L, a, b, &o.qmc, &r2, ga, gb, gs, NULL, NULL, NULL);
    double t2 = refs_now();
    tap_ok(r1.evals == r2.evals && isfinite(gs[0]), "cost d = %zu: %g evaluations each", d, r1.evals);
    tap_diag("cost d = %zu: P %.4f s, value + full gradient %.4f s (ratio %.2f)", d, t1 - t0,
             t2 - t1, (t2 - t1) / (t1 - t0));
    free(S); free(a); free(b); free(L); free(work); free(ga); free(gb); free(gs); free(perm);
}

int main(void)
{
    test_fixed_points();
    test_same_value();
    test_routes_agree(5, 1e-4, 3e-4, 21);
    test_routes_agree(10, 1e-4, 3e-4, 22);
    test_routes_agree(20, 2e-4, 5e-4, 23);
    test_threads();
    test_small();
    test_cost(100);
    return tap_exit();
}
