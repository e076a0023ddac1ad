/*
 * test_student.c -- multivariate t probabilities (mvn_prob_t, issue 16):
 * univariate closed forms (df = 1, 2) and SciPy 1.10's stats.t and
 * stats.nct values, orthants (a scale mixture keeps the normal's orthant
 * probabilities: 1/4 + asin(r) / (2 pi), and 1/(d + 1) for the
 * equicorrelated 1/2), the normal limit, regular variation of the far
 * tail, and bad input.  Cross-checks against mvtnorm's pmvt are in the R
 * suite (bindings/R/inst/tinytest/test_student.R).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "mvnorm.h"
#include "tap.h"
#include "refs.h"
#include "exact/exact.h"
#include "qmc/qmc.h"

static double t1(mvn_context *ctx, double df, double lo, double up, double delta,
                 double *lp, double *e, int *st)
{
    const double one = 1.0;
    double p = NAN;
    *st = mvn_prob_t(ctx, 1, df, &lo, &up, &delta, &one, &p, lp, e);
    return p;
}

static void test_univariate(mvn_context *ctx)
{
    /* Closed forms: df = 1 (Cauchy) and df = 2. */
    const double xs[5] = {-30.0, -2.2, 0.0, 0.7, 5.0};
    double worst = 0.0;
    int ok = 1;
    for (int k = 0; k < 5; ++k) {
        const double x = xs[k];
        const double want[2] = {0.5 + atan(x) / M_PI, 0.5 + x / (2.0 * sqrt(2.0 + x * x))};
        for (int j = 0; j < 2; ++j) {
            double lp, e;
            int st;
            const double p = t1(ctx, j + 1.0, -INFINITY, x, 0.0, &lp, &e, &st);
            const double rel = fabs(p - want[j]) / want[j];
            worst = fmax(worst, rel);
            ok &= st == MVN_OK && rel <= 1e-12 && fabs(p - want[j]) <= e + 1e-16;
        }
    }
    tap_ok(ok, "df = 1 and 2: P(T < x) = the closed forms to 1e-12 (worst %.2g), within abserr",
           worst);

    /* SciPy 1.10.1: stats.t.cdf(0.7, df), stats.t.cdf(-2.2, df),
       stats.t.cdf(1.9, df) - stats.t.cdf(-0.4, df). */
    const double dfs[4] = {1.0, 3.0, 4.5, 10.0};
    const double scipy[4][3] = {{0.6944001122142147, 0.13579974878009182, 0.46690482714050996},
                                {0.7328365008476182, 0.05758597598823535, 0.5652166513598154},
                                {0.7407801988441909, 0.04255765951183326, 0.5851460714721968},
                                {0.7500562149135578, 0.02622053422467655, 0.6079050664122181}};
    ok = 1;
    worst = 0.0;
    for (int k = 0; k < 4; ++k) {
        double lp, e;
        int st[3];
        const double got[3] = {t1(ctx, dfs[k], -INFINITY, 0.7, 0.0, &lp, &e, &st[0]),
                               t1(ctx, dfs[k], -INFINITY, -2.2, 0.0, &lp, &e, &st[1]),
                               t1(ctx, dfs[k], -0.4, 1.9, 0.0, &lp, &e, &st[2])};
        for (int j = 0; j < 3; ++j) {
            const double rel = fabs(got[j] - scipy[k][j]) / scipy[k][j];
            worst = fmax(worst, rel);
            ok &= st[j] == MVN_OK && rel <= 1e-11;
        }
    }
    tap_ok(ok, "df = 1, 3, 4.5, 10: SciPy's t.cdf to 1e-11 (worst %.2g)", worst);

    /* Noncentral (Kshirsagar): SciPy 1.10.1 stats.nct.cdf(x, df, delta). */
    const double nct[3][4] = {{1.5, 4.0, 0.8, 0.7048766285121866},
                              {-1.0, 2.5, -0.3, 0.28918413341465277},
                              {3.0, 10.0, 1.7, 0.8467536152079407}};
    ok = 1;
    worst = 0.0;
    for (int k = 0; k < 3; ++k) {
        double lp, e;
        int st;
        const double p = t1(ctx, nct[k][1], -INFINITY, nct[k][0], nct[k][2], &lp, &e, &st);
        const double rel = fabs(p - nct[k][3]) / nct[k][3];
        worst = fmax(worst, rel);
        ok &= st == MVN_OK && rel <= 1e-10;
    }
    tap_ok(ok, "noncentral delta: SciPy's nct.cdf to 1e-10 (worst %.2g)", worst);

    /* Far tail: SciPy's t.logcdf(-1e30, 3) = -207.13493493041952 (P = 1e-90,
       its mass at chi values near 1e-30, far left of the chi density). */
    double lp, e;
    int st;
    double p = t1(ctx, 3.0, -INFINITY, -1e30, 0.0, &lp, &e, &st);
    tap_ok(st == MVN_OK && fabs(lp - -207.13493493041952) <= 1e-12 * 207.2 && e <= 1e-10 * p,
           "df = 3, P(T < -1e30): log P = %.17g (SciPy -207.13493493041952), abserr %.2g relative",
           lp, e / p);
}

static void equicorrelated(size_t d, double rho, double *S)
{
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : rho;
}

static void test_orthants(mvn_context *ctx)
{
    /* d = 2: 1/4 + asin(r) / (2 pi) for every df. */
    const double rs[3] = {-0.7, 0.3, 0.95}, dfs[3] = {1.0, 2.5, 7.0};
    const double zero[5] = {0, 0, 0, 0, 0};
    int ok = 1;
    double worst = 0.0;
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) {
            const double S[4] = {1, rs[a], rs[a], 1};
            double p, lp, e;
            int st = mvn_prob_t(ctx, 2, dfs[b], NULL, zero, NULL, S, &p, &lp, &e);
            const double want = 0.25 + asin(rs[a]) / (2.0 * M_PI);
            worst = fmax(worst, fabs(p - want));
            ok &= st == MVN_OK && fabs(p - want) <= 1e-13 + e;
        }
    tap_ok(ok, "d = 2 orthants, r = -0.7, 0.3, 0.95, df = 1, 2.5, 7: 1/4 + asin(r)/(2 pi) "
           "(worst %.2g)", worst);
    /* Equicorrelated 1/2: P(T > 0) = 1 / (d + 1); d = 3 exact, d = 5 QMC. */
    double S[25], p, lp, e;
    equicorrelated(3, 0.5, S);
    int st = mvn_prob_t(ctx, 3, 4.0, zero, NULL, NULL, S, &p, &lp, &e);
    tap_ok(st == MVN_OK && fabs(p - 0.25) <= 1e-13, "d = 3, df = 4: P(T > 0) = %.17g (1/4)", p);
    equicorrelated(5, 0.5, S);
    st = mvn_prob_t(ctx, 5, 4.0, zero, NULL, NULL, S, &p, &lp, &e);
    tap_ok(st == MVN_OK && fabs(p - 1.0 / 6.0) <= 3.0 * e && e <= 1e-4,
           "d = 5, df = 4 (QMC nodes): P(T > 0) = %.10f +- %.2g (1/6)", p, e);
}

/* The normal limit: df = inf is mvn_prob bitwise; df = 1e8 within 1e-7. */
static void test_normal_limit(mvn_context *ctx)
{
    const double S[4] = {2, 0.6, 0.6, 1}, lo[2] = {-1, -0.5}, up[2] = {1.5, 2}, m[2] = {0.2, -0.1};
    double pn, lpn, en, pt, lpt, et;
    mvn_prob(ctx, 2, lo, up, m, S, &pn, &lpn, &en);
    int st = mvn_prob_t(ctx, 2, INFINITY, lo, up, m, S, &pt, &lpt, &et);
    tap_ok(st == MVN_OK && pt == pn && lpt == lpn, "df = inf: mvn_prob bitwise (%.17g)", pt);
    st = mvn_prob_t(ctx, 2, 1e8, lo, up, m, S, &pt, &lpt, &et);
    tap_ok(st == MVN_OK && fabs(pt - pn) <= 1e-7, "df = 1e8: %.15f, normal %.15f", pt, pn);
    /* The derivatives at huge df are the normal's (fuzz finding: df =
       DBL_MAX gave d_upper = NaN with status OK, the t density's
       lgamma((df + 1) / 2) - lgamma(df / 2) being inf - inf), and the t
       density's constant is continuous where its expansion takes over
       (df = 1e3): the limit derivatives at df = 1e3 (1 - 1e-12) and
       (1 + 1e-12) agree to 1e-11. */
    const double dfs[3] = {1e12, 1e300, DBL_MAX};
    double gln[2], gun[2], gsn[4], glt[2], gut[2], gst[4];
    mvn_prob_grad(ctx, 2, lo, up, NULL, S, &pn, NULL, NULL, gln, gun, NULL, gsn);
    double worst = 0.0;
    int ok = 1;
    for (int k = 0; k < 3; ++k) {
        st = mvn_prob_t_grad_sigma(ctx, 2, dfs[k], lo, up, NULL, S, &pt, NULL, NULL, glt, gut,
                                   gst);
        ok &= st == MVN_OK;
        for (int i = 0; i < 2; ++i)
            worst = fmax(worst, fmax(fabs(glt[i] - gln[i]), fabs(gut[i] - gun[i])));
        for (int i = 0; i < 4; ++i)
            worst = fmax(worst, fabs(gst[i] - gsn[i]));
    }
    tap_ok(ok && worst <= 1e-9, "df = 1e12, 1e300, DBL_MAX: the limit and scale derivatives "
           "are the normal's (worst %.1e)", worst);
    double ga[2], gb[2];
    mvn_prob_t_grad(ctx, 2, 1e3 * (1.0 - 1e-12), lo, up, NULL, S, &pt, NULL, NULL, ga, gb);
    double ga2[2], gb2[2];
    mvn_prob_t_grad(ctx, 2, 1e3 * (1.0 + 1e-12), lo, up, NULL, S, &pt, NULL, NULL, ga2, gb2);
    worst = 0.0;
    for (int i = 0; i < 2; ++i)
        worst = fmax(worst, fmax(fabs(ga[i] - ga2[i]), fabs(gb[i] - gb2[i])));
    tap_ok(worst <= 1e-11, "df = 1e3 -+ 1e-9: the limit derivatives agree (%.1e apart)", worst);
}

/* The tail of T is regularly varying with index -df: log P(T1 < -x, T2 <
   -x) + df log x tends to a constant, with corrections of order x^-2.
   Between x = 1e20 and 1e40 the difference of log P is -df log(1e20). */
static void test_regular_variation(mvn_context *ctx)
{
    const double S[4] = {1, 0.5, 0.5, 1}, df = 3.0;
    double lp[2], p, e;
    int st[2];
    for (int k = 0; k < 2; ++k) {
        const double x = k == 0 ? 1e20 : 1e40, up[2] = {-x, -x};
        st[k] = mvn_prob_t(ctx, 2, df, NULL, up, NULL, S, &p, &lp[k], &e);
    }
    const double want = -df * log(1e20);
    tap_ok(st[0] == MVN_OK && st[1] == MVN_OK && fabs(lp[1] - lp[0] - want) <= 1e-10 * fabs(lp[1]),
           "d = 2, df = 3: log P(T < -1e40) - log P(T < -1e20) = %.12f (-3 log 1e20 = %.12f)",
           lp[1] - lp[0], want);
}

static void test_bad_input(mvn_context *ctx)
{
    const double S[4] = {1, 0.5, 0.5, 1}, notpd[4] = {1, 2, 2, 1}, up[2] = {1, 1};
    const double nanup[2] = {NAN, 1};
    struct {
        const char *what;
        size_t d;
        double df;
        const double *up, *S;
        int want;
    } cases[7] = {
        {"df = 0", 2, 0.0, up, S, MVN_EINVAL},
        {"df = 0.001 (below 0.01: not resolved)", 2, 0.001, up, S, MVN_EINVAL},
        {"df = -1", 2, -1.0, up, S, MVN_EINVAL},
        {"df NaN", 2, NAN, up, S, MVN_ENAN},
        {"d = 0", 0, 3.0, up, S, MVN_EDIM},
        {"not positive semidefinite", 2, 3.0, up, notpd, MVN_ENOTPD},
        {"NaN limit", 2, 3.0, nanup, S, MVN_ENAN},
    };
    for (int k = 0; k < 7; ++k) {
        double p = 0, lp = 0, e = 0;
        int st = mvn_prob_t(ctx, cases[k].d, cases[k].df, NULL, cases[k].up, NULL, cases[k].S,
                            &p, &lp, &e);
        const char *msg = mvn_context_message(ctx);
        tap_ok(st == cases[k].want && isnan(p) && isnan(lp) && isnan(e) && msg && *msg,
               "%s: %s (%s)", cases[k].what, mvn_status_name(st), msg ? msg : "");
    }
    double p = 0;
    tap_ok(mvn_prob_t(NULL, 2, 3.0, NULL, up, NULL, S, &p, NULL, NULL) == MVN_EINVAL && isnan(p),
           "NULL context: MVN_EINVAL, P NaN");
}

/* Extremes: df = 1e300 (the chi density 1e-150 wide: the normal), boxes
   of width 1e-300 (log P = -1383; for d = 2, df = 3 the t density at 0
   equals the normal's, Gamma(5/2) / (Gamma(3/2) 3 pi) = 1 / (2 pi)), and
   narrower than 1e-318 (not resolved: MVN_EUNSUPPORTED, never a wrong
   number). */
static void test_extremes(mvn_context *ctx)
{
    const double S[4] = {1, 0.5, 0.5, 1}, lo[2] = {0, 0}, up[2] = {0.5, 1.5};
    double p, lp, e, pn, lpn, en;
    mvn_prob(ctx, 2, lo, up, NULL, S, &pn, &lpn, &en);
    int st = mvn_prob_t(ctx, 2, 1e300, lo, up, NULL, S, &p, &lp, &e);
    tap_ok(st == MVN_OK && fabs(p - pn) <= 1e-13 + e, "df = 1e300: %.17g +- %.2g, the normal %.17g", p, e, pn);
    const double tiny[2] = {1e-300, 1e-300};
    mvn_prob(ctx, 2, lo, tiny, NULL, S, &pn, &lpn, &en);
    st = mvn_prob_t(ctx, 2, 3.0, lo, tiny, NULL, S, &p, &lp, &e);
    tap_ok(st == MVN_OK && fabs(lp - lpn) <= 1e-12 * fabs(lpn),
           "df = 3, box of width 1e-300: log P = %.17g (the normal's %.17g)", lp, lpn);
    const double tinier[2] = {1e-319, 1e-319};
    st = mvn_prob_t(ctx, 2, 3.0, lo, tinier, NULL, S, &p, &lp, &e);
    tap_ok(st == MVN_EUNSUPPORTED && isnan(p), "box of width 1e-319: %s (%s)",
           mvn_status_name(st), mvn_context_message(ctx));
    /* A noncentrality of 9e6 (fuzz finding cli-timeout-t-huge-mean,
       tests/fuzz/corpus/cli/regress-timeout-t-huge-mean): log P = -5.4e13,
       whose node problems are trivariate tails with standardized limits
       near -1e7.  The quadratures chased the rounding noise of their logs
       (eps |log P|, about 1e-2) to their caps: 5.4e8 integrand
       evaluations, 43 s.  log P is compared with that run's value (no
       independent reference at this scale), to 1e-12 relative. */
    const double S3[9] = {1, 0.5, 0.2, 0.5, 1, 0.3, 0.2, 0.3, 1};
    const double lo3[3] = {0, 0, -2}, up3[3] = {3, 3, 1}, dl3[3] = {9007195, 0, -0.5};
    double w = mvni_quad_work();
    st = mvn_prob_t(ctx, 3, 8.5, lo3, up3, dl3, S3, &p, &lp, &e);
    w = mvni_quad_work() - w;
    tap_ok(st == MVN_OK && fabs(lp / -54285079079017.023 - 1.0) <= 1e-12 && w <= 5e7,
           "noncentrality 9e6: log P = %.17g (-54285079079017.023 before), %.3g evaluations "
           "of the quadratures (5.4e8 before)", lp, w);
}

/* Derivatives in the limits (mvn_prob_t_grad): d = 1 against SciPy's
   t.pdf, d = 2 and 3 against central differences of the exact-kernel
   probabilities, d = 4 against the closed form of an orthant (the
   conditional law of an equicorrelated rho = 1/2 t given T_i = 0 is a t
   with correlation 1/3, whose orthant is 1/8 + 3 asin(1/3) / (4 pi) for
   any df), df = inf against mvn_prob_grad, and a noncentral t. */
static void test_derivatives(mvn_context *ctx)
{
    const double S1 = 2.0, l1 = -1.0, u1 = 0.7;
    double p, lp, e, dl = NAN, du = NAN;
    int st = mvn_prob_t_grad(ctx, 1, 3.0, &l1, &u1, NULL, &S1, &p, &lp, &e, &dl, &du);
    /* SciPy 1.10: t.pdf(0.7 / sqrt(2), 3) / sqrt(2), t.pdf(-1 / sqrt(2), 3) / sqrt(2) */
    tap_ok(st == MVN_OK && fabs(du - 0.22213531342053117) < 1e-14 &&
               fabs(dl + 0.19094615540416562) < 1e-14,
           "d = 1, df 3, scale 2: dP/dupper = %.17g, dP/dlower = %.17g (SciPy t.pdf)", du, dl);

    for (size_t d = 2; d <= 3; ++d) {
        double S[9], l[3], u[3], gl[3], gu[3], worst = 0.0;
        for (size_t i = 0; i < d; ++i) {
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = i == j ? 1.0 + 0.3 * (double)i : 0.4 + 0.05 * (double)(i + j);
            l[i] = -1.0 - 0.2 * (double)i;
            u[i] = 0.5 + 0.3 * (double)i;
        }
        st = mvn_prob_t_grad(ctx, d, 4.5, l, u, NULL, S, &p, &lp, &e, gl, gu);
        const double h = 1e-4;
        for (size_t i = 0; i < d; ++i) {
            for (int side = 0; side < 2; ++side) {
                double *x = side ? u : l, keep = x[i], pp, pm;
                x[i] = keep + h;
                mvn_prob_t(ctx, d, 4.5, l, u, NULL, S, &pp, NULL, NULL);
                x[i] = keep - h;
                mvn_prob_t(ctx, d, 4.5, l, u, NULL, S, &pm, NULL, NULL);
                x[i] = keep;
                const double g = side ? gu[i] : gl[i];
                worst = fmax(worst, fabs(g - (pp - pm) / (2.0 * h)));
            }
        }
        tap_ok(st == MVN_OK && worst < 1e-8,
               "d = %zu, df 4.5: limit derivatives = central differences (h 1e-4) within %.2g",
               d, worst);
    }

    double S4[16], u4[4] = {0, 0, 0, 0}, gu4[4], gl4[4];
    equicorrelated(4, 0.5, S4);
    const double df = 2.5;
    const double f0 = exp(lgamma(0.5 * (df + 1.0)) - lgamma(0.5 * df)) / sqrt(df * M_PI);
    const double want = f0 * (0.125 + 3.0 * asin(1.0 / 3.0) / (4.0 * M_PI));
    st = mvn_prob_t_grad(ctx, 4, df, NULL, u4, NULL, S4, &p, NULL, NULL, gl4, gu4);
    double worst = 0.0;
    for (int i = 0; i < 4; ++i)
        worst = fmax(worst, fabs(gu4[i] - want));
    tap_ok(st == MVN_OK && worst < 1e-12 && gl4[0] == 0.0,
           "d = 4 orthant, rho 1/2, df 2.5: dP/db_i = %.15g (closed form %.15g, worst %.2g), "
           "dP/da_i = %g for a = -inf", gu4[0], want, worst, gl4[0]);

    /* df = inf: the normal's closed-form derivatives, bitwise. */
    const double R2[4] = {1.0, 0.3, 0.3, 2.0}, a2[2] = {-1.0, -0.5}, b2[2] = {0.4, 1.0};
    double gn[2], gt[2], pn, pt;
    mvn_prob_grad(ctx, 2, a2, b2, NULL, R2, &pn, NULL, NULL, NULL, gn, NULL, NULL);
    mvn_prob_t_grad(ctx, 2, INFINITY, a2, b2, NULL, R2, &pt, NULL, NULL, NULL, gt);
    tap_ok(pn == pt && gn[0] == gt[0] && gn[1] == gt[1],
           "df = inf: the normal's derivatives (%.17g, %.17g)", gt[0], gt[1]);

    /* Noncentral (student_t_noncentral.c: the normal's derivatives under
       the outer integral).  d = 1 against SciPy 1.10.1's stats.nct.pdf
       (x, df, delta); d = 2, 3 against central differences of the
       exact-kernel probabilities; and the route itself at delta = 1e-300
       against the central closed form (two independent formulas for the
       same numbers). */
    const double nx[3] = {0.7, -2.2, 1.9}, ndf[3] = {3.0, 4.5, 10.0}, ndl[3] = {0.5, -1.0, 2.0};
    const double npdf[3] = {0.34371631196534036, 0.17578185123650453, 0.35824759011390034};
    double nworst = 0.0;
    int nok = 1;
    for (int k = 0; k < 3; ++k) {
        const double one = 1.0, lo = -INFINITY;
        dl = du = NAN;
        st = mvn_prob_t_grad(ctx, 1, ndf[k], &lo, &nx[k], &ndl[k], &one, &p, NULL, NULL, &dl, &du);
        nworst = fmax(nworst, fabs(du / npdf[k] - 1.0));
        nok &= st == MVN_OK && dl == 0.0;
    }
    tap_ok(nok && nworst < 1e-10,
           "noncentral d = 1: dP/db = SciPy's nct.pdf to %.2g relative (bound 1e-10)", nworst);
    const double Sn[9] = {1, 0.3, -0.2, 0.3, 2, 0.5, -0.2, 0.5, 1.5};
    const double ln[3] = {-1, -INFINITY, -0.5}, un[3] = {1.5, 0.7, INFINITY};
    const double dn[3] = {0.4, -0.3, 0.1}, tiny[3] = {1e-300, 1e-300, 1e-300};
    for (size_t d = 2; d <= 3; ++d) {
        double S[9], l[3], u[3], gl[3], gu[3], gs[9], cl[3], cu[3], cs[9];
        for (size_t i = 0; i < d; ++i) {
            l[i] = ln[i], u[i] = un[i];
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = Sn[i * 3 + j];
        }
        st = mvn_prob_t_grad_sigma(ctx, d, 4.5, l, u, dn, S, &p, NULL, NULL, gl, gu, gs);
        double worst = 0.0;
        const double h = 1e-4;
        for (size_t i = 0; i < d; ++i)
            for (int side = 0; side < 2; ++side) {
                double *x = side ? u : l, keep = x[i], pp, pm;
                if (isinf(keep))
                    continue;
                x[i] = keep + h;
                mvn_prob_t(ctx, d, 4.5, l, u, dn, S, &pp, NULL, NULL);
                x[i] = keep - h;
                mvn_prob_t(ctx, d, 4.5, l, u, dn, S, &pm, NULL, NULL);
                x[i] = keep;
                worst = fmax(worst, fabs((side ? gu[i] : gl[i]) - (pp - pm) / (2.0 * h)));
            }
        for (size_t i = 0; i < d; ++i)
            for (size_t j = i; j < d; ++j) {
                double S2[9], pp, pm;
                for (size_t k = 0; k < d * d; ++k)
                    S2[k] = S[k];
                S2[i * d + j] += h, S2[j * d + i] += i != j ? h : 0.0;
                mvn_prob_t(ctx, d, 4.5, l, u, dn, S2, &pp, NULL, NULL);
                S2[i * d + j] -= 2.0 * h, S2[j * d + i] -= i != j ? 2.0 * h : 0.0;
                mvn_prob_t(ctx, d, 4.5, l, u, dn, S2, &pm, NULL, NULL);
                const double g = i == j ? gs[i * d + i] : gs[i * d + j] + gs[j * d + i];
                worst = fmax(worst, fabs(g - (pp - pm) / (2.0 * h)));
            }
        const int st1 = st;
        st = mvn_prob_t_grad_sigma(ctx, d, 4.5, l, u, tiny, S, &p, NULL, NULL, gl, gu, gs);
        const int st2 = mvn_prob_t_grad_sigma(ctx, d, 4.5, l, u, NULL, S, &p, NULL, NULL, cl,
                                              cu, cs);
        double cross = 0.0;
        for (size_t i = 0; i < d; ++i)
            cross = fmax(cross, fmax(fabs(gl[i] - cl[i]), fabs(gu[i] - cu[i])));
        for (size_t k = 0; k < d * d; ++k)
            cross = fmax(cross, fabs(gs[k] - cs[k]));
        tap_ok(st1 == MVN_OK && st == MVN_OK && st2 == MVN_OK && worst < 1e-8 && cross < 1e-11,
               "noncentral d = %zu, df 4.5: limit and Sigma derivatives = central differences "
               "(h 1e-4) within %.2g; at delta 1e-300 the central closed form within %.2g",
               d, worst, cross);
    }
}

/* Central Richardson difference of mvn_prob_t in the symmetric entry
   (i, j) of S (both (i, j) and (j, i) move; halved off the diagonal, the G
   convention): steps 2e-3 and 1e-3, error O(h^4). */
static double t_sigma_difference(mvn_context *ctx, size_t d, double df, const double *l,
                                 const double *u, double *S, size_t i, size_t j)
{
    double D[2];
    for (int r = 0; r < 2; ++r) {
        const double h = r ? 1e-3 : 2e-3;
        double pp, pm;
        S[i * d + j] += h;
        if (i != j)
            S[j * d + i] += h;
        mvn_prob_t(ctx, d, df, l, u, NULL, S, &pp, NULL, NULL);
        S[i * d + j] -= 2.0 * h;
        if (i != j)
            S[j * d + i] -= 2.0 * h;
        mvn_prob_t(ctx, d, df, l, u, NULL, S, &pm, NULL, NULL);
        S[i * d + j] += h;
        if (i != j)
            S[j * d + i] += h;
        D[r] = (pp - pm) / (2.0 * h) / (i == j ? 1.0 : 2.0);
    }
    return (4.0 * D[1] - D[0]) / 3.0;
}

/* Derivatives in the scale matrix (mvn_prob_t_grad_sigma).  d = 2 and 3,
   df 0.5 .. 30 (below 2 too, where the mixture argument of
   api/student_t_grad.c does not apply but its result does), a rectangle
   with an infinite limit, against Richardson differences of the
   exact-kernel probabilities at abseps 1e-14 (measured: 3.5e-13); d = 4
   orthants against the normal's d_sigma, since P(T < 0) = P(Y < 0) for
   every scale matrix and df (T = Y / W) (measured: 1e-17); df = inf is
   the normal's bitwise, df = 1e8 within 1e-8; a noncentral d_sigma beyond
   d = 256 is refused. */
static void test_scale_derivatives(mvn_context *ctx)
{
    static const double dfs[5] = {0.5, 1.0, 2.0, 4.5, 30.0};
    const double S3[9] = {1.3, 0.6, -0.3, 0.6, 0.9, 0.2, -0.3, 0.2, 1.1};
    const double l3[3] = {-0.7, -1.3, -INFINITY}, u3[3] = {1.1, 0.4, 0.8};
    double abseps0;
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps0);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-14);
    for (size_t d = 2; d <= 3; ++d) {
        double S[9], G[9], worst = 0.0;
        int ok = 1;
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = S3[i * 3 + j];
        for (int k = 0; k < 5; ++k) {
            double p;
            int st = mvn_prob_t_grad_sigma(ctx, d, dfs[k], l3, u3, NULL, S, &p, NULL, NULL,
                                           NULL, NULL, G);
            ok = ok && st == MVN_OK;
            for (size_t i = 0; i < d; ++i)
                for (size_t j = i; j < d; ++j) {
                    const double fd = t_sigma_difference(ctx, d, dfs[k], l3, u3, S, i, j);
                    worst = fmax(worst, fabs(G[i * d + j] - fd));
                    ok = ok && G[i * d + j] == G[j * d + i];
                }
        }
        tap_ok(ok && worst < 2e-11,
               "d = %zu, df 0.5 .. 30: d_sigma = Richardson differences of P within %.2g, "
               "symmetric", d, worst);
    }
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps0);

    /* d = 4 orthants: the normal's d_sigma for every df. */
    const double S4[16] = {1.0, 0.5, 0.2, -0.1, 0.5, 1.5, 0.3, 0.4,
                           0.2, 0.3, 0.8, 0.1, -0.1, 0.4, 0.1, 1.2};
    const double u4[4] = {0, 0, 0, 0};
    double Gn[16], Gt[16], p, worst = 0.0;
    int ok = mvn_prob_grad(ctx, 4, NULL, u4, NULL, S4, &p, NULL, NULL, NULL, NULL, NULL,
                           Gn) == MVN_OK;
    for (int k = 0; k < 5; ++k) {
        ok = ok && mvn_prob_t_grad_sigma(ctx, 4, dfs[k], NULL, u4, NULL, S4, &p, NULL, NULL,
                                         NULL, NULL, Gt) == MVN_OK;
        for (int t = 0; t < 16; ++t)
            worst = fmax(worst, fabs(Gt[t] - Gn[t]));
    }
    tap_ok(ok && worst < 1e-13,
           "d = 4 orthants, df 0.5 .. 30: d_sigma = the normal's (P(T < 0) = P(Y < 0)) "
           "within %.2g", worst);

    /* df = inf bitwise, df = 1e8 close. */
    const double a3[3] = {-1.0, -0.5, -2.0}, b3[3] = {0.4, 1.0, 0.3};
    double Gi[9], Gb[9], G3[9];
    mvn_prob_grad(ctx, 3, a3, b3, NULL, S3, &p, NULL, NULL, NULL, NULL, NULL, G3);
    mvn_prob_t_grad_sigma(ctx, 3, INFINITY, a3, b3, NULL, S3, &p, NULL, NULL, NULL, NULL, Gi);
    mvn_prob_t_grad_sigma(ctx, 3, 1e8, a3, b3, NULL, S3, &p, NULL, NULL, NULL, NULL, Gb);
    int same = 1;
    double big = 0.0;
    for (int t = 0; t < 9; ++t) {
        same = same && Gi[t] == G3[t];
        big = fmax(big, fabs(Gb[t] - G3[t]));
    }
    tap_ok(same && big < 1e-8,
           "df = inf: the normal's d_sigma bitwise; df = 1e8 within %.2g", big);

    /* A noncentral d_sigma beyond MVNI_T_NONCENTRAL_SIGMA_MAX_D (its
       quadrature keeps 96 d^2 doubles) is refused, with NaN outputs. */
    const size_t big_d = 257;
    double *Sb = calloc(big_d * big_d, sizeof(double)), *Gb2 = malloc(big_d * big_d * sizeof(double));
    double *ub = malloc(big_d * sizeof(double)), *nb = malloc(big_d * sizeof(double));
    for (size_t i = 0; i < big_d; ++i)
        Sb[i * big_d + i] = 1.0, ub[i] = 1.0, nb[i] = 0.1;
    Gb2[0] = 0.0;
    int st = mvn_prob_t_grad_sigma(ctx, big_d, 3.0, NULL, ub, nb, Sb, &p, NULL, NULL, NULL, NULL,
                                   Gb2);
    tap_ok(st == MVN_EUNSUPPORTED && isnan(p) && isnan(Gb2[0]),
           "noncentral d_sigma at d = 257: %s with NaN outputs (%s)", mvn_status_name(st),
           mvn_context_message(ctx));
    free(Sb), free(Gb2), free(ub), free(nb);
}

/* The chi variable's map (qmc/chi.c) against its closed forms: df = 2,
   S^2 exponential, u(x) = log(-log Q(x)) / 2; df = 1, S = |N(0, 1)|,
   F(u) = erf(e^u / sqrt 2), compared as the mass on the far side (its
   relative error), over x in [-8.9, 8.9]. */
static void test_chi_map(void)
{
    mvni_chi_map m;
    double worst2 = 0.0, worst1 = 0.0;
    int ok = mvni_chi_map_init(&m, 2.0) == MVN_OK;
    for (double x = -8.9; ok && x < 8.9; x += 0.00731)
        worst2 = fmax(worst2, fabs(mvni_chi_map_log(&m, x) - 0.5 * log(-refs_logQ(x))));
    mvni_chi_map_free(&m);
    ok &= mvni_chi_map_init(&m, 1.0) == MVN_OK;
    for (double x = -8.9; ok && x < 8.9; x += 0.00731) {
        const double s = exp(mvni_chi_map_log(&m, x)) / sqrt(2.0);
        worst1 = fmax(worst1, x < 0.0 ? fabs(log(erf(s)) - refs_logPhi(x))
                                      : fabs(log(erfc(s)) - refs_logQ(x)));
    }
    mvni_chi_map_free(&m);
    tap_ok(ok && worst2 < 1e-10 && worst1 < 1e-9,
           "chi map: u(x) for df = 2 within %.2g of log(-log Q(x)) / 2; df = 1 mass "
           "within %.2g relative", worst2, worst1);
}

/* refs_run_seeds for mvn_prob_t. */
static refs_result t_runs(mvn_context *ctx, size_t d, double df, const double *a,
                          const double *b, const double *delta, const double *S)
{
    refs_result r;
    double seed0 = 0;
    mvn_context_get(ctx, MVN_OPT_SEED, &seed0);
    const char *off = getenv("MVN_TEST_SEED_OFFSET"); /* as refs_run */
    const double shift = off ? atof(off) : 0.0;
    r.n = refs_seed_count();
    for (int k = 0; k < r.n; ++k) {
        refs_run1 *x = &r.run[k];
        mvn_context_set(ctx, MVN_OPT_SEED, seed0 + shift + 1000003.0 * k);
        x->status = mvn_prob_t(ctx, d, df, a, b, delta, S, &x->p, &x->logp, &x->err);
        x->evals = mvn_context_evaluations(ctx);
    }
    mvn_context_set(ctx, MVN_OPT_SEED, seed0);
    r.status = r.run[0].status, r.p = r.run[0].p, r.logp = r.run[0].logp;
    r.err = r.run[0].err, r.evals = r.run[0].evals, r.secs = 0.0;
    return r;
}

/* The lattice route (the chi variable as a lattice coordinate): under
   METHOD_QMC a trivariate t against its exact-kernel value (df 0.3 to
   1e6, with and without noncentrality), counted over seeds; orthants of
   equicorrelated 1/2 t's (1 / (d + 1) for any df) at d = 5 and 9; and its
   cost: evaluations a fraction of the quadrature route's (METHOD_TILTED
   keeps that route), deterministic counts, not times. */
static void test_lattice(mvn_context *ctx)
{
    const double S[9] = {1, 0.3, -0.2, 0.3, 2, 0.5, -0.2, 0.5, 1.5};
    const double l[3] = {-1, -INFINITY, -0.5}, u[3] = {1.5, 0.7, INFINITY};
    const double dl[3] = {0.4, -0.3, 0.1};
    const double dfs[4] = {0.3, 2.5, 300, 1e6};
    refs_set(ctx, 1e-6, 0.0, 1e7);
    for (int k = 0; k < 4; ++k)
        for (int nc = 0; nc < 2; ++nc) {
            double exact = NAN, e;
            mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
            mvn_prob_t(ctx, 3, dfs[k], l, u, nc ? dl : NULL, S, &exact, NULL, &e);
            mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
            char name[96];
            snprintf(name, sizeof name, "lattice t, d = 3, df %g%s", dfs[k],
                     nc ? ", noncentral" : "");
            refs_check_p(name, ctx, t_runs(ctx, 3, dfs[k], l, u, nc ? dl : NULL, S), exact,
                         1e-12);
        }
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    for (size_t d = 5; d <= 9; d += 4) {
        double R[81], lo[9];
        equicorrelated(d, 0.5, R);
        for (size_t i = 0; i < d; ++i)
            lo[i] = 0.0;
        char name[64];
        snprintf(name, sizeof name, "lattice t orthant, d = %zu, df 1.5", d);
        refs_check_p(name, ctx, t_runs(ctx, d, 1.5, lo, NULL, NULL, R), 1.0 / (double)(d + 1),
                     1e-12);
    }
    /* Cost at d = 6 and abseps 1e-5. */
    double R6[36], u6[6], p1, p2, e1, e2;
    equicorrelated(6, 0.5, R6);
    for (int i = 0; i < 6; ++i)
        u6[i] = 1.0 + 0.2 * i;
    refs_set(ctx, 1e-5, 0.0, 1e7);
    mvn_prob_t(ctx, 6, 5.5, NULL, u6, NULL, R6, &p1, NULL, &e1);
    const double ev1 = mvn_context_evaluations(ctx);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_TILTED);
    mvn_prob_t(ctx, 6, 5.5, NULL, u6, NULL, R6, &p2, NULL, &e2);
    const double ev2 = mvn_context_evaluations(ctx);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    tap_ok(ev1 > 0.0 && 10.0 * ev1 < ev2 && fabs(p1 - p2) <= 3.0 * (e1 + e2),
           "d = 6: the lattice route takes %.0f evaluations, the quadrature route %.0f; "
           "P %.8f +- %.1e and %.8f +- %.1e", ev1, ev2, p1, e1, p2, e2);
}

/* The context's cache of chi maps (api/context.c): one context that has
   seen six df values (more than the cache's four entries, so the first
   ones are evicted and built again) answers each of them, repeated,
   bitwise as a fresh context does; the maps are deterministic, so a
   cached one cannot change a result.  A failing call in between (df NaN)
   leaves the cache usable. */
static void test_chi_cache(void)
{
    const double S[4] = {1, 0.4, 0.4, 2};
    const double l[2] = {-1, -INFINITY}, u[2] = {1.5, 0.7};
    const double dfs[8] = {2.5, 7, 30, 1e6, 0.7, 4, 2.5, 1e6};
    mvn_context *warm = mvn_context_alloc();
    mvn_context_set(warm, MVN_OPT_METHOD, MVN_METHOD_QMC);
    int same = 1;
    for (int pass = 0; pass < 2; ++pass)
        for (int k = 0; k < 8; ++k) {
            mvn_context *cold = mvn_context_alloc();
            mvn_context_set(cold, MVN_OPT_METHOD, MVN_METHOD_QMC);
            double pw = NAN, lw = NAN, ew = NAN, pc = NAN, lc = NAN, ec = NAN;
            int sw = mvn_prob_t(warm, 2, dfs[k], l, u, NULL, S, &pw, &lw, &ew);
            int sc = mvn_prob_t(cold, 2, dfs[k], l, u, NULL, S, &pc, &lc, &ec);
            mvn_context_free(cold);
            if (!(sw == sc && pw == pc && lw == lc && ew == ec && sw == MVN_OK)) {
                same = 0;
                tap_diag("df %g: cached %d %.17g +- %.3g, fresh %d %.17g +- %.3g", dfs[k], sw,
                         pw, ew, sc, pc, ec);
            }
            if (k == 3) {
                double x;
                (void)mvn_prob_t(warm, 2, NAN, l, u, NULL, S, &x, NULL, NULL);
            }
        }
    mvn_context_free(warm);
    tap_ok(same, "chi-map cache: one context over df 2.5, 7, 30, 1e6, 0.7, 4, 2.5, 1e6 "
                 "twice (METHOD_QMC, d = 2) bitwise a fresh context's answers");
}

/* P(T_i > x for all i) for an equicorrelated 1/2 t (one factor:
   Y_i = (Z0 + Z_i) / sqrt(2)), as a 2-D integral over u = log(S /
   sqrt(df)) and Z0, by the trapezoid rule in logs (both integrands are
   smooth and decay faster than exponentially; halving both steps moves
   log P by < 1e-9 for the cases below): independent of the library's
   routes, it uses only mvn_norm_logQ. */
static double t_factor_tail_log(size_t d, double df, double x)
{
    const double hu = 0.02, hz = 0.04;
    double num_m = -INFINITY, num_s = 0.0, den = 0.0;
    for (double u = -40.0; u <= 4.0; u += hu) {
        const double lc = df * (u - 0.5 * expm1(2.0 * u)), w = exp(u);
        den += exp(lc) * hu;
        for (double z = -15.0; z <= 25.0; z += hz) {
            const double t = lc - 0.5 * z * z +
                             (double)d * mvn_norm_logQ(sqrt(2.0) * x * w - z);
            if (t > num_m) {
                num_s = num_s * exp(num_m - t) + 1.0;
                num_m = t;
            } else {
                num_s += exp(t - num_m);
            }
        }
    }
    return num_m + log(num_s * hu * hz / sqrt(2.0 * M_PI)) - log(den);
}

/* Tiny t probabilities at d >= 4 under METHOD_AUTO (api/student_t.c):
   the lattice's pilot budget sees P below 0.01 and the quadrature's
   tilted nodes answer.  Before, the lattice ran its whole budget first
   (8.4e6 points) and its estimate was kept: at x = 30 it ended ETOL with
   a relative error estimate of 0.37 and 3.5% off.  Under METHOD_QMC the
   quadrature's nodes share MAXPTS (they took 5.3e6 evaluations for a
   MAXPTS of 1e5 before, and 5e8 for 1e7). */
static void test_tail_routes(mvn_context *ctx)
{
    double R[16];
    equicorrelated(4, 0.5, R);
    const double xs[3] = {5.0, 30.0, 1000.0};
    refs_set(ctx, 0.0, 1e-3, 1e7);
    for (int k = 0; k < 3; ++k) {
        double lo[4], p = NAN, lp = NAN, e = NAN;
        for (int i = 0; i < 4; ++i)
            lo[i] = xs[k];
        const double ref = t_factor_tail_log(4, 5.0, xs[k]);
        const int st = mvn_prob_t(ctx, 4, 5.0, lo, NULL, NULL, R, &p, &lp, &e);
        const double ev = mvn_context_evaluations(ctx);
        const double rel = fabs(expm1(lp - ref));
        tap_ok(st == MVN_OK && rel <= 2e-3 && rel * exp(ref) <= 3.0 * e + 1e-300 &&
                   e <= 1e-3 * p && ev < 2e6,
               "d = 4, df 5, lower limits %g, releps 1e-3: log P = %.10g +- %.2g (rel), "
               "2-D trapezoid %.10g (rel. error %.2g), %s, %.0f evaluations", xs[k], lp,
               e / p, ref, rel, mvn_status_name(st), ev);
    }
    double lo[4] = {1000.0, 1000.0, 1000.0, 1000.0}, p, e;
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    refs_set(ctx, 0.0, 1e-3, 1e5);
    const int st = mvn_prob_t(ctx, 4, 5.0, lo, NULL, NULL, R, &p, NULL, &e);
    const double ev = mvn_context_evaluations(ctx);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    refs_set(ctx, 1e-5, 0.0, 1e7);
    tap_ok((st == MVN_OK || st == MVN_ETOL) && p > 0.0 && ev <= 3e5,
           "METHOD_QMC, MAXPTS 1e5, P = %.3g +- %.2g: %.0f evaluations in all (the lattice's "
           "and the quadrature's, each bounded by MAXPTS)", p, e, ev);
}

int main(void)
{
    (void)tap_skip_all;
    mvn_context *ctx = mvn_context_alloc();
    test_univariate(ctx);
    test_orthants(ctx);
    test_normal_limit(ctx);
    test_regular_variation(ctx);
    test_bad_input(ctx);
    test_extremes(ctx);
    test_derivatives(ctx);
    test_scale_derivatives(ctx);
    test_chi_map();
    test_chi_cache();
    test_lattice(ctx);
    test_tail_routes(ctx);
    refs_pool_report();
    mvn_context_free(ctx);
    return tap_exit();
}
