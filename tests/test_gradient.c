/*
 * test_gradient.c -- closed-form derivatives (route 1) and the public
 * gradient / Hessian entry points, against exact references.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * References: the bivariate closed forms and the d = 5, 10 equicorrelated
 * cases of REFERENCE_VALUES.md (sec. 1, 4); one-factor covariances where
 * every derivative is a 1-D integral computed here (tests/refs.h
 * quadrature); central finite differences of the exact d = 2, 3 kernels;
 * the product rule for diagonal Sigma.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

/* ------------------------------------------------------------------ */
/* One-factor derivatives as 1-D integrals.                            */
/* Sigma = D + l l^T; conditionally on T = t coordinate i lies in its   */
/* interval with probability g_i(t) = Phi(zb_i) - Phi(za_i),            */
/* z = (c - l_i t) / sqrt(D_i).  Every derivative differentiates one or */
/* two factors under the integral.                                      */
/* ------------------------------------------------------------------ */
enum { OF_P, OF_DB, OF_DA, OF_M, OF_HBB, OF_GDIAG, OF_HBDIAG };

typedef struct {
    size_t d;
    const double *a, *b, *l, *D;
    int what;
    size_t k, j;
} of_arg;

static double of_fn(double t, void *arg)
{
    const of_arg *q = (const of_arg *)arg;
    double v = refs_pdf(t);
    for (size_t i = 0; i < q->d; ++i) {
        double s = sqrt(q->D[i]);
        double za = (q->a[i] - q->l[i] * t) / s, zb = (q->b[i] - q->l[i] * t) / s;
        double pa = isinf(za) ? 0.0 : refs_pdf(za), pb = isinf(zb) ? 0.0 : refs_pdf(zb);
        double f;
        int mine = (i == q->k) || (q->what == OF_M && i == q->j) ||
                   (q->what == OF_HBB && i == q->j);
        if (!mine || q->what == OF_P) {
            f = refs_diff(za, zb);
        } else if (q->what == OF_DB || q->what == OF_HBB) {
            f = pb / s;
        } else if (q->what == OF_DA) {
            f = -pa / s;
        } else if (q->what == OF_M) {
            /* d/dmu_i of the factor: (phi(za) - phi(zb)) / s. */
            f = (pa - pb) / s;
        } else if (q->what == OF_GDIAG) {
            /* d/dD_i of Phi(zb) - Phi(za). */
            f = -((isinf(zb) ? 0.0 : zb * pb) - (isinf(za) ? 0.0 : za * pa)) /
                (2.0 * q->D[i]);
        } else { /* OF_HBDIAG: d2/db_i^2 */
            f = isinf(zb) ? 0.0 : -zb * pb / q->D[i];
        }
        v *= f;
    }
    return v;
}

static double of_int(size_t d, const double *a, const double *b,
                     const double *l, const double *D, int what, size_t k,
                     size_t j)
{
    of_arg q = {d, a, b, l, D, what, k, j};
    return refs_integrate(of_fn, &q, -12.0, 12.0, 32, 1e-15);
}

static double max_abs_diff(const double *x, const double *y, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; ++i)
        m = fmax(m, fabs(x[i] - y[i]));
    return m;
}

/* Full closed-form reference of a one-factor problem. */
static void of_reference(size_t d, const double *a, const double *b,
                         const double *l, const double *D, double *da,
                         double *db, double *G, double *H)
{
    for (size_t k = 0; k < d; ++k) {
        da[k] = isinf(a[k]) ? 0.0 : of_int(d, a, b, l, D, OF_DA, k, d);
        db[k] = isinf(b[k]) ? 0.0 : of_int(d, a, b, l, D, OF_DB, k, d);
        for (size_t j = 0; j < d; ++j) {
            if (j == k) {
                G[k * d + k] = of_int(d, a, b, l, D, OF_GDIAG, k, d);
                H[k * d + k] = isinf(b[k]) ? 0.0 : of_int(d, a, b, l, D, OF_HBDIAG, k, d);
            } else {
                G[k * d + j] = 0.5 * of_int(d, a, b, l, D, OF_M, k, j);
                H[k * d + j] = (isinf(b[k]) || isinf(b[j])) ? 0.0
                               : of_int(d, a, b, l, D, OF_HBB, k, j);
            }
        }
    }
}

/* ------------------------------------------------------------------ */

static void test_bivariate(mvn_context *ctx)
{
    /* REFERENCE_VALUES.md sec. 1: (h, k; rho), Phi2, dPhi2/dh, dPhi2/drho */
    static const double tab[][6] = {
        {1, 2, 0.5, 0.83186083113088048, 0.23189693680723556, 0.024871417406145682},
        {-1, 1, -0.7, 0.074675872305808625, 0.1603752838231808, 0.12375640962871823},
        {0.5, -1.5, 0.3, 0.05811232678294641, 0.014732042464765588, 0.032988348766094175},
        {-3, -3, 0.9, 6.1040438530377862e-4, 1.0886771898729578e-3, 3.2008029836577452e-3},
        {-5, -5, 0.5, 8.2470864326516678e-10, 2.8934662479604577e-9, 1.0618132364120829e-8},
        {-8, -8, 0.5, 1.7886605485901852e-21, 9.7499142589186466e-21, 5.424898356005382e-20},
        {1, 1, 0.999, 0.83702768807235626, 0.1231442511204579, 2.1585288900897623},
        {2, -2, -0.95, 6.725648243912676e-3, 0.020213517105861332, 0.065532592334753168},
    };
    for (size_t c = 0; c < sizeof tab / sizeof tab[0]; ++c) {
        const double *r = tab[c];
        double S[4] = {1, r[2], r[2], 1}, u[2] = {r[0], r[1]};
        double p, du[2], dl[2], G[4], H[4];
        int st = mvn_prob_grad(ctx, 2, NULL, u, NULL, S, &p, NULL, NULL, dl, du, NULL, G);
        tap_ok(st == MVN_OK, "bvn (%g, %g; %g): status %d", r[0], r[1], r[2], st);
        tap_rel(du[0], r[4], 1e-12, "bvn (%g, %g; %g): dPhi2/dh", r[0], r[1], r[2]);
        /* G_12 is half the derivative in the one symmetric parameter. */
        tap_rel(2.0 * G[1], r[5], 1e-12, "bvn (%g, %g; %g): dPhi2/drho = 2 G_12", r[0], r[1], r[2]);
        tap_ok(G[1] == G[2] && dl[0] == 0.0 && dl[1] == 0.0,
               "bvn: G symmetric, derivatives in infinite limits are 0");
        st = mvn_prob_hessian(ctx, 2, NULL, u, NULL, S, NULL, H);
        tap_rel(H[1], r[5], 1e-12, "bvn (%g, %g; %g): Hessian off-diagonal = phi2", r[0], r[1], r[2]);
        /* With unit variances and a CDF, H_11 = 2 G_11. */
        tap_rel(H[0], 2.0 * G[0], 1e-12, "bvn: H_11 = 2 G_11 for a CDF");
    }
}

static void test_equi5(mvn_context *ctx)
{
    /* REFERENCE_VALUES.md sec. 4, gradient reference case. */
    const size_t d = 5;
    double S[25], u[5] = {-0.5, 0, 0.5, 1, 1.5}, p, du[5], G[25], H[25], err;
    static const double ref_db[5] = {0.14504366511451425, 0.085382193159279758,
                                     0.043180004510105016, 0.018037272832688177,
                                     0.0059983522372113874};
    refs_equi_cov(d, 0.3, S);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-6);
    int st = mvn_prob_grad(ctx, d, NULL, u, NULL, S, &p, NULL, &err, NULL, du, NULL, G);
    tap_ok(st == MVN_OK, "equi5: status %d (%s)", st, mvn_context_message(ctx));
    tap_close(p, 0.1566389479563935, 5e-6, "equi5: P");
    /* Conditionals of dimension 4 (QMC, asked for 1e-6 / phi). */
    for (size_t i = 0; i < d; ++i)
        tap_close(du[i], ref_db[i], 5e-6, "equi5: dP/db_%zu", i + 1);
    /* Pairs condition down to d = 3: exact. */
    tap_close(G[4], 0.0039291500588554, 1e-13, "equi5: G_15 = H_15 / 2 (exact)");
    double s = 0.0;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = i + 1; j < d; ++j)
            s += 2.0 * G[i * d + j];
    tap_close(s, 0.238225285740039, 1e-12, "equi5: dP/drho = sum_{i<j} H_ij");
    st = mvn_prob_hessian(ctx, d, NULL, u, NULL, S, NULL, H);
    tap_ok(st == MVN_OK, "equi5: Hessian status %d", st);
    tap_close(H[0], 0.01990598485171, 2e-6, "equi5: H_11 (scale identity)");
    tap_close(H[0], 2.0 * G[0], 1e-12, "equi5: H_11 = 2 G_11 (CDF)");
    tap_close(H[4], 2.0 * G[4], 1e-15, "equi5: H_15 = 2 G_15");
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
}

static void test_equi10(mvn_context *ctx)
{
    const size_t d = 10;
    double S[100], u[10], p, du[10], G[100];
    refs_equi_cov(d, 0.5, S);
    for (size_t i = 0; i < d; ++i)
        u[i] = 1.0;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
    int st = mvn_prob_grad(ctx, d, NULL, u, NULL, S, &p, NULL, NULL, NULL, du, NULL, G);
    tap_ok(st == MVN_OK, "equi10: status %d (%s)", st, mvn_context_message(ctx));
    tap_close(p, 0.46056006112925259, 3e-5, "equi10: P");
    tap_close(du[0], 0.048617537921143652, 3e-5, "equi10: dP/db_1");
    tap_close(2.0 * G[1], 0.011892183162324233, 6e-5, "equi10: H_12 = 2 G_12");
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
}

/* d = 4 one-factor rectangle: first derivatives condition to d = 3, pairs
   to d = 2, both exact, so every derivative is checked tightly. */
static void test_one_factor(mvn_context *ctx, size_t d, double tol, double abseps)
{
    refs_rng rng;
    refs_rng_seed(&rng, 20260 + d);
    double *l = malloc(d * sizeof *l), *D = malloc(d * sizeof *D);
    double *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b), *S = malloc(d * d * sizeof *S);
    double *da = malloc(d * sizeof *da), *db = malloc(d * sizeof *db);
    double *G = malloc(d * d * sizeof *G), *H = malloc(d * d * sizeof *H);
    double *rda = malloc(d * sizeof *rda), *rdb = malloc(d * sizeof *rdb);
    double *rG = malloc(d * d * sizeof *rG), *rH = malloc(d * d * sizeof *rH);
    for (size_t i = 0; i < d; ++i) {
        l[i] = refs_unif_ab(&rng, -0.9, 0.9);
        D[i] = refs_unif_ab(&rng, 0.3, 1.5);
        a[i] = i == 1 ? -INFINITY : refs_unif_ab(&rng, -2.0, 0.0);
        b[i] = i == 2 ? INFINITY : refs_unif_ab(&rng, 0.2, 2.0);
    }
    refs_one_factor_cov(d, l, D, S);
    of_reference(d, a, b, l, D, rda, rdb, rG, rH);
    double p;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps);
    int st = mvn_prob_grad(ctx, d, a, b, NULL, S, &p, NULL, NULL, da, db, NULL, G);
    tap_ok(st == MVN_OK, "one-factor d = %zu: status %d", d, st);
    tap_close(p, of_int(d, a, b, l, D, OF_P, d, d), fmax(tol, 4 * abseps), "one-factor d = %zu: P", d);
    tap_close(max_abs_diff(da, rda, d), 0.0, tol, "one-factor d = %zu: dP/dlower (max abs error)", d);
    tap_close(max_abs_diff(db, rdb, d), 0.0, tol, "one-factor d = %zu: dP/dupper", d);
    double moff = 0.0, mdiag = 0.0;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j) {
            double e = fabs(G[i * d + j] - rG[i * d + j]);
            if (i == j)
                mdiag = fmax(mdiag, e);
            else
                moff = fmax(moff, e);
        }
    tap_close(moff, 0.0, tol, "one-factor d = %zu: G off-diagonal (M / 2)", d);
    tap_close(mdiag, 0.0, tol, "one-factor d = %zu: G diagonal (scale identity) vs dP/dD_i integral", d);
    st = mvn_prob_hessian(ctx, d, a, b, NULL, S, NULL, H);
    tap_ok(st == MVN_OK, "one-factor d = %zu: Hessian status %d", d, st);
    tap_close(max_abs_diff(H, rH, d * d), 0.0, tol, "one-factor d = %zu: Hessian in the upper limits", d);
    tap_diag("one-factor d = %zu: errors da %.2g db %.2g G off %.2g G diag %.2g H %.2g", d,
             max_abs_diff(da, rda, d), max_abs_diff(db, rdb, d), moff, mdiag,
             max_abs_diff(H, rH, d * d));
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
    free(l); free(D); free(a); free(b); free(S); free(da); free(db);
    free(G); free(H); free(rda); free(rdb); free(rG); free(rH);
}

/* Central differences of the exact kernels (d = 2, 3). */
static double prob_at(mvn_context *ctx, size_t d, const double *a,
                      const double *b, const double *m, const double *S)
{
    double p;
    mvn_prob(ctx, d, a, b, m, S, &p, NULL, NULL);
    return p;
}

static void test_finite_differences(mvn_context *ctx, size_t d, const double *S0,
                                    const double *a0, const double *b0, double tol)
{
    const double h = 1e-4;
    double a[3], b[3], m[3] = {0.1, -0.2, 0.3}, S[9], x[3];
    double dl[3], du[3], dm[3], G[9], H[9], p;
    memcpy(a, a0, d * sizeof *a);
    memcpy(b, b0, d * sizeof *b);
    memcpy(S, S0, d * d * sizeof *S);
    int st = mvn_prob_grad(ctx, d, a, b, m, S, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(st == MVN_OK, "fd d = %zu: status %d", d, st);
    double e_l = 0, e_u = 0, e_m = 0, e_g = 0, e_h = 0;
    for (size_t i = 0; i < d; ++i) {
        if (isfinite(a[i])) {
            memcpy(x, a, sizeof x);
            x[i] = a[i] + h;
            double fp = prob_at(ctx, d, x, b, m, S);
            x[i] = a[i] - h;
            e_l = fmax(e_l, fabs((fp - prob_at(ctx, d, x, b, m, S)) / (2 * h) - dl[i]));
        }
        if (isfinite(b[i])) {
            memcpy(x, b, sizeof x);
            x[i] = b[i] + h;
            double fp = prob_at(ctx, d, a, x, m, S);
            x[i] = b[i] - h;
            e_u = fmax(e_u, fabs((fp - prob_at(ctx, d, a, x, m, S)) / (2 * h) - du[i]));
        }
        memcpy(x, m, sizeof x);
        x[i] = m[i] + h;
        double fp = prob_at(ctx, d, a, b, x, S);
        x[i] = m[i] - h;
        e_m = fmax(e_m, fabs((fp - prob_at(ctx, d, a, b, x, S)) / (2 * h) - dm[i]));
        for (size_t j = 0; j <= i; ++j) {
            /* A symmetric perturbation of (i, j) and (j, i) by eps changes
               P by 2 G_ij eps (i != j), by G_ii eps on the diagonal. */
            double Sp[9], Sm[9];
            memcpy(Sp, S, sizeof Sp);
            memcpy(Sm, S, sizeof Sm);
            Sp[i * d + j] += h;
            Sm[i * d + j] -= h;
            if (i != j) {
                Sp[j * d + i] += h;
                Sm[j * d + i] -= h;
            }
            double fd = (prob_at(ctx, d, a, b, m, Sp) - prob_at(ctx, d, a, b, m, Sm)) / (2 * h);
            e_g = fmax(e_g, fabs(fd - (i == j ? 1.0 : 2.0) * G[i * d + j]));
        }
    }
    /* Hessian in the upper limits: differences of the exact gradient. */
    st = mvn_prob_hessian(ctx, d, a, b, m, S, NULL, H);
    tap_ok(st == MVN_OK, "fd d = %zu: Hessian status %d", d, st);
    for (size_t j = 0; j < d; ++j) {
        if (!isfinite(b[j]))
            continue;
        double gp[3], gm[3];
        memcpy(x, b, sizeof x);
        x[j] = b[j] + h;
        mvn_prob_grad(ctx, d, a, x, m, S, NULL, NULL, NULL, NULL, gp, NULL, NULL);
        x[j] = b[j] - h;
        mvn_prob_grad(ctx, d, a, x, m, S, NULL, NULL, NULL, NULL, gm, NULL, NULL);
        for (size_t i = 0; i < d; ++i)
            if (isfinite(b[i]))
                e_h = fmax(e_h, fabs((gp[i] - gm[i]) / (2 * h) - H[i * d + j]));
    }
    tap_close(e_l, 0.0, tol, "fd d = %zu: dP/dlower", d);
    tap_close(e_u, 0.0, tol, "fd d = %zu: dP/dupper", d);
    tap_close(e_m, 0.0, tol, "fd d = %zu: dP/dmean", d);
    tap_close(e_g, 0.0, tol, "fd d = %zu: dP/dSigma in the G convention", d);
    tap_close(e_h, 0.0, tol, "fd d = %zu: Hessian in the upper limits", d);
    int sym = 1;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            sym = sym && G[i * d + j] == G[j * d + i] && H[i * d + j] == H[j * d + i];
    tap_ok(sym, "fd d = %zu: G and H exactly symmetric", d);
    for (size_t i = 0; i < d; ++i)
        sym = sym && dm[i] == -(dl[i] + du[i]);
    tap_ok(sym, "fd d = %zu: dP/dmean = -(dP/dlower + dP/dupper)", d);
}

/* Diagonal Sigma: P = prod p_i, every derivative by the product rule. */
static void test_diagonal(mvn_context *ctx)
{
    const size_t d = 6;
    double S[36] = {0}, a[6], b[6], pi[6], dl[6], du[6], G[36], dm[6], p;
    for (size_t i = 0; i < d; ++i) {
        S[i * d + i] = 0.5 + 0.3 * (double)i;
        a[i] = i % 3 == 0 ? -INFINITY : -1.0 + 0.1 * (double)i;
        b[i] = i % 3 == 1 ? INFINITY : 0.5 + 0.2 * (double)i;
        double s = sqrt(S[i * d + i]);
        pi[i] = refs_diff(a[i] / s, b[i] / s);
    }
    int st = mvn_prob_grad(ctx, d, a, b, NULL, S, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(st == MVN_OK, "diagonal: status %d", st);
    double ptrue = 1.0;
    for (size_t i = 0; i < d; ++i)
        ptrue *= pi[i];
    tap_rel(p, ptrue, 1e-14, "diagonal: P = product");
    double e1 = 0, e2 = 0;
    for (size_t i = 0; i < d; ++i) {
        double s = sqrt(S[i * d + i]), rest = ptrue / pi[i];
        double za = a[i] / s, zb = b[i] / s;
        double fa = isinf(za) ? 0 : refs_pdf(za) / s, fb = isinf(zb) ? 0 : refs_pdf(zb) / s;
        e1 = fmax(e1, fabs(du[i] - fb * rest) + fabs(dl[i] + fa * rest));
        double gii = -((isinf(zb) ? 0 : zb * refs_pdf(zb)) - (isinf(za) ? 0 : za * refs_pdf(za))) /
                     (2 * S[i * d + i]) * rest;
        e2 = fmax(e2, fabs(G[i * d + i] - gii));
        for (size_t j = 0; j < d; ++j) {
            if (j == i)
                continue;
            double sj = sqrt(S[j * d + j]);
            double zaj = a[j] / sj, zbj = b[j] / sj;
            double mj = ((isinf(zaj) ? 0 : refs_pdf(zaj)) - (isinf(zbj) ? 0 : refs_pdf(zbj))) / sj;
            double mi = (fa - fb);
            e2 = fmax(e2, fabs(G[i * d + j] - 0.5 * mi * mj * ptrue / (pi[i] * pi[j])));
        }
    }
    tap_close(e1, 0.0, 1e-15, "diagonal: dP/dlower, dP/dupper by the product rule");
    tap_close(e2, 0.0, 1e-15, "diagonal: G by the product rule");
}

static int all_nan(const double *x, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!isnan(x[i]))
            return 0;
    return 1;
}

static void test_bad_inputs(mvn_context *ctx)
{
    const size_t d = 3;
    double S[9] = {1, 0.5, 0.2, 0.5, 1, 0.3, 0.2, 0.3, 1}, u[3] = {0, 1, 2};
    double p, lp, err, dl[3], du[3], dm[3], G[9], H[9];
    double ps;
    /* NaN limit. */
    double un[3] = {0, NAN, 2};
    int s1 = mvn_prob(ctx, d, NULL, un, NULL, S, &ps, NULL, NULL);
    int s2 = mvn_prob_grad(ctx, d, NULL, un, NULL, S, &p, &lp, &err, dl, du, dm, G);
    tap_ok(s1 == MVN_ENAN && s2 == s1, "NaN limit: status %d as mvn_prob (%d)", s2, s1);
    tap_ok(isnan(p) && isnan(lp) && isnan(err) && all_nan(dl, d) && all_nan(du, d) &&
           all_nan(dm, d) && all_nan(G, d * d), "NaN limit: NaN outputs");
    /* Not positive definite. */
    double Sn[9] = {1, 0.9, -0.9, 0.9, 1, 0.9, -0.9, 0.9, 1};
    s1 = mvn_prob(ctx, d, NULL, u, NULL, Sn, &ps, NULL, NULL);
    s2 = mvn_prob_grad(ctx, d, NULL, u, NULL, Sn, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(s1 == MVN_ENOTPD && s2 == s1, "non-PD: status %d as mvn_prob (%d)", s2, s1);
    tap_ok(isnan(p) && all_nan(dl, d) && all_nan(G, d * d), "non-PD: NaN outputs");
    int s3 = mvn_prob_hessian(ctx, d, NULL, u, NULL, Sn, &p, H);
    tap_ok(s3 == s1 && all_nan(H, d * d) && isnan(p), "non-PD Hessian: status %d, NaN", s3);
    /* d = 0. */
    s1 = mvn_prob(ctx, 0, NULL, u, NULL, S, &ps, NULL, NULL);
    s2 = mvn_prob_grad(ctx, 0, NULL, u, NULL, S, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(s1 == MVN_EDIM && s2 == s1 && isnan(p), "d = 0: status %d as mvn_prob (%d)", s2, s1);
    /* Asymmetric, bounds, NULL sigma, NULL context. */
    double Sa[9] = {1, 0.5, 0.2, 0.4, 1, 0.3, 0.2, 0.3, 1};
    s1 = mvn_prob(ctx, d, NULL, u, NULL, Sa, &ps, NULL, NULL);
    s2 = mvn_prob_grad(ctx, d, NULL, u, NULL, Sa, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(s1 == MVN_EASYM && s2 == s1, "asymmetric: status %d as mvn_prob (%d)", s2, s1);
    double lo[3] = {1, 0, 0};
    double up[3] = {0, 1, 1};
    s1 = mvn_prob(ctx, d, lo, up, NULL, S, &ps, NULL, NULL);
    s2 = mvn_prob_grad(ctx, d, lo, up, NULL, S, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(s1 == MVN_EBOUNDS && s2 == s1 && all_nan(dl, d), "lower > upper: status %d as mvn_prob (%d)", s2, s1);
    s1 = mvn_prob(ctx, d, NULL, u, NULL, NULL, &ps, NULL, NULL);
    s2 = mvn_prob_grad(ctx, d, NULL, u, NULL, NULL, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(s1 == MVN_EINVAL && s2 == s1 && all_nan(G, d * d), "NULL sigma: status %d as mvn_prob (%d)", s2, s1);
    tap_ok(strcmp(mvn_context_message(ctx), "") != 0, "NULL sigma: message \"%s\"", mvn_context_message(ctx));
    s2 = mvn_prob_grad(NULL, d, NULL, u, NULL, S, &p, NULL, NULL, dl, du, dm, G);
    tap_ok(s2 == MVN_EINVAL && isnan(p), "NULL context: EINVAL");

    /* Batch: one bad problem among good ones. */
    double U[9] = {0, 1, 2, 0, NAN, 2, 1, 1, 1};
    const ptrdiff_t us[2] = {3, 1}, ss[3] = {0, 3, 1};
    double pb[3], dub[9], Gb[27], dmb[9];
    int stb[3];
    int sb = mvn_prob_grad_batch(ctx, 3, d, NULL, NULL, U, us, NULL, NULL, S, ss,
                                 MVN_SIGMA_COV, pb, NULL, NULL, stb, NULL, dub, dmb, Gb);
    tap_ok(sb == MVN_ENAN && stb[0] == MVN_OK && stb[1] == MVN_ENAN && stb[2] == MVN_OK,
           "batch with a NaN problem: statuses %d (%d %d %d)", sb, stb[0], stb[1], stb[2]);
    tap_ok(all_nan(dub + 3, 3) && all_nan(Gb + 9, 9) && all_nan(dmb + 3, 3) && isnan(pb[1]) &&
           !isnan(dub[0]) && !isnan(Gb[18]), "batch: NaN only for the bad problem");
}

static void test_batch(mvn_context *ctx)
{
    const size_t d = 4, n = 5;
    double S[16], U[20], L[20];
    refs_equi_cov(d, 0.4, S);
    for (size_t t = 0; t < n; ++t)
        for (size_t i = 0; i < d; ++i) {
            U[t * d + i] = 0.2 * (double)t + 0.3 * (double)i;
            L[t * d + i] = -1.0 - 0.1 * (double)(t + i);
        }
    const ptrdiff_t vs[2] = {(ptrdiff_t)d, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
    double p[5], dl[20], du[20], dm[20], G[80];
    int st[5];
    int results_same = 1;
    for (int threads = 1; threads <= 2; ++threads) {
        mvn_context_set(ctx, MVN_OPT_THREADS, threads);
        int s = mvn_prob_grad_batch(ctx, n, d, L, vs, U, vs, NULL, NULL, S, ss, MVN_SIGMA_COV,
                                    p, NULL, NULL, st, dl, du, dm, G);
        tap_ok(s == MVN_OK, "batch (threads %d): status %d", threads, s);
        for (size_t t = 0; t < n; ++t) {
            double p1, dl1[4], du1[4], dm1[4], G1[16];
            mvn_prob_grad(ctx, d, L + t * d, U + t * d, NULL, S, &p1, NULL, NULL, dl1, du1, dm1, G1);
            results_same = results_same && p1 == p[t] && !memcmp(dl1, dl + t * d, sizeof dl1) &&
                           !memcmp(du1, du + t * d, sizeof du1) && !memcmp(dm1, dm + t * d, sizeof dm1) &&
                           !memcmp(G1, G + t * d * d, sizeof G1);
        }
    }
    tap_ok(results_same, "batch: item-major outputs bitwise equal to single calls, for 1 and 2 threads");
    mvn_context_set(ctx, MVN_OPT_THREADS, 0);
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    if (ctx == NULL)
        return 1;
    test_bivariate(ctx);
    test_equi5(ctx);
    test_equi10(ctx);
    /* d = 4: every conditional is exact (dimension 3 and 2). */
    test_one_factor(ctx, 4, 2e-12, 1e-5);
    /* d = 5: first derivatives from QMC conditionals asked for
       2e-7 / weight, pairs exact (dimension 3). */
    test_one_factor(ctx, 5, 2e-6, 2e-7);
    {
        double S[4] = {1.3, -0.6, -0.6, 0.8}, a[2] = {-0.7, -INFINITY}, b[2] = {0.9, 0.4};
        test_finite_differences(ctx, 2, S, a, b, 2e-8);
    }
    {
        double S[9] = {1.0, 0.5, -0.3, 0.5, 2.0, 0.4, -0.3, 0.4, 0.7};
        double a[3] = {-1.0, -INFINITY, -0.5}, b[3] = {0.8, 1.2, INFINITY};
        test_finite_differences(ctx, 3, S, a, b, 1e-7);
    }
    test_diagonal(ctx);
    test_bad_inputs(ctx);
    test_batch(ctx);
    mvn_context_free(ctx);
    return tap_exit();
}
