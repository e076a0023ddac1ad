/*
 * test_extremes.c -- extreme and degenerate inputs (issue 14): huge finite
 * limits and means, variances from 1e-300 to 1e300 (the same problem at
 * every scale must give the same P and correctly scaled derivatives), the
 * exponents of the log-space SOV multiplier, and one status for one cause
 * whatever entry point sees it.  No output may be NaN with status OK.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact/exact.h"
#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

/* P, log P, abserr obey the contract of a successful call. */
static int contract_ok(int st, double p, double lp, double e)
{
    return (st == MVN_OK || st == MVN_ETOL) && p >= 0.0 && p <= 1.0 &&
           !(lp > 0.0) && !isnan(lp) && e >= 0.0;
}

/* Equicorrelated (rho = 0.5) d-dimensional box with every lower limit L,
   upper limit U and mean M, under the given method: P, and the derivatives
   must all be numbers (finding 2). */
static void huge_box(mvn_context *ctx, int d, double L, double U, double M,
                     int method, double p_want)
{
    double lo[4], up[4], mu[4], S[16];
    for (int i = 0; i < d; ++i) {
        lo[i] = L, up[i] = U, mu[i] = M;
        for (int j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : 0.5;
    }
    mvn_context_set(ctx, MVN_OPT_METHOD, method);
    double p = NAN, lp = NAN, e = NAN;
    int st = mvn_prob(ctx, (size_t)d, lo, up, mu, S, &p, &lp, &e);
    tap_ok(contract_ok(st, p, lp, e) && p == p_want,
           "d = %d, limits (%g, %g), mean %g, method %d: P = %g (status %d, log P %g, abserr %g), want %g",
           d, L, U, M, method, p, st, lp, e, p_want);
    double dl[4], du[4], dm[4], ds[16];
    st = mvn_prob_grad(ctx, (size_t)d, lo, up, mu, S, &p, &lp, &e, dl, du, dm, ds);
    int finite = 1;
    for (int i = 0; i < d; ++i)
        finite &= isfinite(dl[i]) && isfinite(du[i]) && isfinite(dm[i]);
    for (int i = 0; i < d * d; ++i)
        finite &= isfinite(ds[i]);
    tap_ok(contract_ok(st, p, lp, e) && finite,
           "  its derivatives are numbers (status %d, d_sigma[0][1] = %g)", st, ds[1]);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
}

/* Finding 2: huge finite arguments never give NaN. */
static void test_huge_limits(mvn_context *ctx)
{
    tap_ok(mvn_norm_pdf(5e19) == 0.0 && mvn_norm_pdf(-1.5e154) == 0.0 &&
               mvn_norm_pdf(DBL_MAX) == 0.0 && mvn_norm_pdf(41.0) == 0.0,
           "pdf beyond 40 is 0 (pdf(5e19) = %g, pdf(1.5e154) = %g)",
           mvn_norm_pdf(5e19), mvn_norm_pdf(-1.5e154));
    /* log Phi(-1.5e154) = -z^2/2 - log z - log sqrt(2 pi) = -1.125e308 to
       rounding: finite, although z^2 overflows. */
    tap_rel(mvn_norm_logP(-1.5e154), -1.125e308, 4 * DBL_EPSILON, "logP(-1.5e154)");
    tap_ok(mvn_norm_logP(-2e154) == -INFINITY, "logP(-2e154) = -inf (below -DBL_MAX)");

    const double one = 1.0, zero = 0.0;
    double up = -1.5e154, lo = 1e300, mu = 1e300, p, lp, e;
    int st = mvn_prob(ctx, 1, NULL, &up, NULL, &one, &p, &lp, &e);
    tap_ok(st == MVN_OK && p == 0.0 && e == 0.0 && fabs(lp / -1.125e308 - 1.0) < 1e-15,
           "d = 1, upper = -1.5e154: P = %g, log P = %g, abserr = %g", p, lp, e);
    st = mvn_prob(ctx, 1, &lo, NULL, NULL, &one, &p, &lp, &e);
    tap_ok(st == MVN_OK && p == 0.0 && e == 0.0 && lp == -INFINITY,
           "d = 1, lower = 1e300: P = %g, log P = %g, abserr = %g", p, lp, e);
    st = mvn_prob(ctx, 1, NULL, &zero, &mu, &one, &p, &lp, &e);
    tap_ok(st == MVN_OK && p == 0.0 && e == 0.0 && lp == -INFINITY,
           "d = 1, mean = 1e300: P = %g, log P = %g, abserr = %g", p, lp, e);

    for (int method = MVN_METHOD_AUTO; method <= MVN_METHOD_QMC; ++method)
        for (int d = 2; d <= 4; ++d) {
            huge_box(ctx, d, 1e300, INFINITY, 0.0, method, 0.0);
            huge_box(ctx, d, -INFINITY, 0.0, 1e300, method, 0.0);
            huge_box(ctx, d, -INFINITY, 0.0, -1e300, method, 1.0);
            huge_box(ctx, d, -1e300, 1e300, 0.0, method, 1.0);
            huge_box(ctx, d, -1.5e154, INFINITY, 0.0, method, 1.0);
        }
}

/* Finding 3: the log-space multiplier of the SOV integrand kept its
   binary exponent in a long, converted from floor(log e / ln 2): for
   log e below -6.4e18 that conversion is undefined (UBSan), and Genz's
   4-D example with lower[0] = 1e10 returned P = +inf, log P = +6.4e18. */
static void test_sov_exponents(mvn_context *ctx)
{
    static const double S[16] = {4, 3, 2, 1, 3, 5, -1, 1, 2, -1, 4, 2, 1, 1, 2, 5};
    double lo[4] = {1e10, -INFINITY, -INFINITY, -INFINITY};
    const double up[4] = {INFINITY, 2, 3, 4};
    double p, lp, e, lp9;
    int st = mvn_prob(ctx, 4, lo, up, NULL, S, &p, &lp, &e);
    /* log P <= log P(X_1 > 1e10) = -1e20 / 8 - ... */
    tap_ok(st == MVN_OK && p == 0.0 && e == 0.0 && isfinite(lp) && lp < -1.25e19,
           "Genz 4-D, lower[0] = 1e10: P = %g, log P = %g, abserr = %g (status %d)",
           p, lp, e, st);
    /* log P is quadratic in the limit far out: log P(1e10) / log P(1e9)
       = 100 to the relative size of the linear and log terms (1e-9). */
    lo[0] = 1e9;
    st = mvn_prob(ctx, 4, lo, up, NULL, S, &p, &lp9, &e);
    tap_rel(lp / lp9, 100.0, 1e-6, "log P(lower[0] = 1e10) / log P(1e9) = %.10g", lp / lp9);
    /* The same with limits so far out that log P is -1.1e308: no
       exponent overflow, P = 0. */
    for (int method = MVN_METHOD_AUTO; method <= MVN_METHOD_QMC; ++method)
        for (int d = 2; d <= 4; ++d)
            huge_box(ctx, d, -INFINITY, -1.5e154, 0.0, method, 0.0);
}

/* A 5-D test problem: Sigma_ij = 0.5^|i-j| + 0.2 (i != j) scaled by c,
   limits (-1 - 0.3 i, 0.5 + 0.2 i) scaled by sqrt(c).  The first d rows
   and columns. */
static void scaled_problem(int d, double c, double *lo, double *up, double *S)
{
    const double sc = sqrt(c);
    for (int i = 0; i < d; ++i) {
        lo[i] = (-1.0 - 0.3 * i) * sc;
        up[i] = (0.5 + 0.2 * i) * sc;
        for (int j = 0; j < d; ++j)
            S[i * d + j] = (i == j ? 1.0 : pow(0.5, abs(i - j)) + 0.2) * c;
    }
}

/* Finding 4: P is invariant under Sigma -> c Sigma, limits -> sqrt(c)
   limits.  The symmetry and correlation checks formed
   sqrt(Sigma_ii Sigma_jj), which underflows for variances below 1e-162,
   and rejected such a Sigma as not positive semidefinite. */
static void test_scale_invariance(mvn_context *ctx)
{
    for (int d = 1; d <= 5; ++d) {
        double lo[5], up[5], S[25], p1, lp, e;
        scaled_problem(d, 1.0, lo, up, S);
        mvn_prob(ctx, (size_t)d, lo, up, NULL, S, &p1, &lp, &e);
        int ok4 = 1, okd = 1;
        double worst = 0.0;
        for (int k = -498; k <= 498; k += 83) { /* c = 4^k, exact */
            double p;
            scaled_problem(d, ldexp(1.0, 2 * k), lo, up, S);
            int st = mvn_prob(ctx, (size_t)d, lo, up, NULL, S, &p, &lp, &e);
            ok4 &= st == MVN_OK && p == p1;
        }
        for (int k = -300; k <= 300; k += 25) { /* c = 10^k */
            double p;
            scaled_problem(d, pow(10.0, k), lo, up, S);
            int st = mvn_prob(ctx, (size_t)d, lo, up, NULL, S, &p, &lp, &e);
            okd &= st == MVN_OK && fabs(p - p1) <= 1e-12 * p1;
            if (st != MVN_OK || !(fabs(p - p1) <= worst))
                worst = st != MVN_OK ? INFINITY : fabs(p - p1);
        }
        tap_ok(ok4, "d = %d: Sigma scaled by 4^k, k = -498..498: P bitwise the same (%.15g)", d, p1);
        tap_ok(okd, "d = %d: Sigma scaled by 1e-300..1e300: P the same to 1e-12 (worst %g)", d, worst);
    }
}

/* Finding 5: derivatives scale as dP/dlimit ~ c^-1/2 and dP/dSigma,
   d2P/dupper^2 ~ c^-1.  The closed form skipped a pair term whose 2x2
   determinant Sigma_ii Sigma_jj - Sigma_ij^2 overflowed (variances from
   1e155) or underflowed (below 1e-155): d_sigma off-diagonal 0 with
   status OK.  Checked for both routes and for log-space gradients. */
static void test_scaled_derivatives(mvn_context *ctx)
{
    enum { D = 4 };
    for (int route = MVN_GRADIENT_CLOSED_FORM; route <= MVN_GRADIENT_ESTIMATOR; ++route) {
        mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
        for (int d = 2; d <= D; ++d) {
            double lo[D], up[D], S[D * D], p, lp, e;
            double dl1[D], du1[D], dm1[D], ds1[D * D], h1[D * D];
            double dl[D], du[D], dm[D], ds[D * D], h[D * D];
            scaled_problem(d, 1.0, lo, up, S);
            mvn_prob_grad(ctx, (size_t)d, lo, up, NULL, S, &p, &lp, &e, dl1, du1, dm1, ds1);
            mvn_prob_hessian(ctx, (size_t)d, lo, up, NULL, S, NULL, h1);
            double worst = 0.0;
            int ok = 1;
            for (int k = -300; k <= 300; k += 25) {
                const double c = pow(10.0, k), sc = sqrt(c);
                scaled_problem(d, c, lo, up, S);
                int st = mvn_prob_grad(ctx, (size_t)d, lo, up, NULL, S, &p, &lp, &e,
                                       dl, du, dm, ds);
                int st2 = mvn_prob_hessian(ctx, (size_t)d, lo, up, NULL, S, NULL, h);
                ok &= (st == MVN_OK || st == MVN_ETOL) && (st2 == MVN_OK || st2 == MVN_ETOL);
                for (int i = 0; i < d; ++i) {
                    worst = fmax(worst, fabs(dl[i] * sc - dl1[i]));
                    worst = fmax(worst, fabs(du[i] * sc - du1[i]));
                    for (int j = 0; j < d; ++j) {
                        worst = fmax(worst, fabs(ds[i * d + j] * c - ds1[i * d + j]));
                        worst = fmax(worst, fabs(h[i * d + j] * c - h1[i * d + j]));
                    }
                }
                /* Decimal scalings perturb the problem by rounding: the
                   closed form moves by rounding too, the QMC estimator
                   may stop at another lattice size (within its error). */
                if (!(worst <= (route == MVN_GRADIENT_ESTIMATOR ? 1e-4 : 1e-9)))
                    ok = 0;
            }
            tap_ok(ok, "route %d, d = %d: derivatives at Sigma * 1e-300..1e300 scale correctly (worst %g; d_sigma[0][1] = %g at scale 1)",
                   route, d, worst, ds1[1]);
        }
    }
    mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_CLOSED_FORM);
}

/* Sigma = H diag(lam) H with the Householder reflection H = I - 2 v v^T /
   v^T v: eigenvalues lam exactly (up to rounding), symmetric. */
static void with_eigenvalues(int d, const double *lam, double *S)
{
    static const double v[5] = {1, 2, -1, 0.5, 1.5};
    double vv = 0.0, H[25];
    for (int i = 0; i < d; ++i)
        vv += v[i] * v[i];
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j)
            H[i * d + j] = (i == j) - 2.0 * v[i] * v[j] / vv;
    for (int i = 0; i < d; ++i)
        for (int j = 0; j <= i; ++j) {
            double s = 0.0;
            for (int k = 0; k < d; ++k)
                s += H[i * d + k] * lam[k] * H[j * d + k];
            S[i * d + j] = S[j * d + i] = s;
        }
}

static int accepted(int st)
{
    return st == MVN_OK || st == MVN_ETOL;
}

/* Finding 7: one status for one cause whatever entry point sees it, and
   one positive-semidefinite tolerance for values and derivatives. */
static void test_one_status(mvn_context *ctx)
{
    /* A NaN limit and a Sigma with a negative variance: the single call
       and batches with a shared or with per-problem Sigma agree. */
    const double S[4] = {1, 0, 0, -1}, up[4] = {NAN, 0, NAN, 0};
    double p[2], lp[2], e[2];
    int stb[2];
    int s1 = mvn_prob(ctx, 2, NULL, up, NULL, S, p, lp, e);
    const ptrdiff_t ls[2] = {2, 1}, ss_shared[3] = {0, 2, 1};
    const double S2[8] = {1, 0, 0, -1, 1, 0, 0, -1};
    const ptrdiff_t ss_each[3] = {4, 2, 1};
    int sb1 = mvn_prob_batch(ctx, 2, 2, NULL, NULL, up, ls, NULL, NULL, S, ss_shared,
                             MVN_SIGMA_COV, p, lp, e, stb);
    int sb2 = mvn_prob_batch(ctx, 2, 2, NULL, NULL, up, ls, NULL, NULL, S2, ss_each,
                             MVN_SIGMA_COV, p, lp, e, stb);
    double dl[2], du[2], dm[2], ds[4];
    int sg = mvn_prob_grad(ctx, 2, NULL, up, NULL, S, p, lp, e, dl, du, dm, ds);
    tap_ok(s1 == sb1 && s1 == sb2 && s1 == sg && stb[0] == s1 && stb[1] == s1,
           "NaN limit + negative variance: mvn_prob %s, shared-Sigma batch %s, per-problem batch %s, grad %s",
           mvn_status_name(s1), mvn_status_name(sb1), mvn_status_name(sb2), mvn_status_name(sg));

    /* An eigenvalue of -1e-11 (inside the tolerance 1e-10) is accepted by
       values and derivatives in every dimension and route; -1e-8 is
       rejected by all of them.  (Statuses only: a small budget.) */
    double maxpts;
    mvn_context_get(ctx, MVN_OPT_MAXPTS, &maxpts);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 2e4);
    for (int neg = 0; neg < 2; ++neg)
        for (int d = 2; d <= 5; ++d) {
            const double lam[5] = {neg ? -1e-8 : -1e-11, 0.5, 1.0, 1.5, 1.0};
            double Sg[25], u5[5] = {0.5, 0.3, 0.1, 0.2, 0.4}, g[5], h[5], m[5], G[25], H[25];
            double pp, lpp, ee;
            with_eigenvalues(d, lam, Sg);
            int sp = mvn_prob(ctx, (size_t)d, NULL, u5, NULL, Sg, &pp, &lpp, &ee);
            int ok = accepted(sp) == !neg;
            int sgr[2], sh;
            for (int route = MVN_GRADIENT_CLOSED_FORM; route <= MVN_GRADIENT_ESTIMATOR; ++route) {
                mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
                sgr[route] = mvn_prob_grad(ctx, (size_t)d, NULL, u5, NULL, Sg, &pp, &lpp,
                                           &ee, g, h, m, G);
                ok &= accepted(sgr[route]) == !neg;
            }
            mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_CLOSED_FORM);
            sh = mvn_prob_hessian(ctx, (size_t)d, NULL, u5, NULL, Sg, &pp, H);
            ok &= accepted(sh) == !neg;
            tap_ok(ok, "d = %d, eigenvalue %g: prob %s, grad %s / %s, hessian %s",
                   d, lam[0], mvn_status_name(sp), mvn_status_name(sgr[0]),
                   mvn_status_name(sgr[1]), mvn_status_name(sh));
        }
    mvn_context_set(ctx, MVN_OPT_MAXPTS, maxpts);
}

/* Finding 8: the derivatives of a rank-deficient Sigma solve singular
   conditional problems, whose exact 3-D kernel nested two adaptive
   quadratures of up to 200 panels each (1.7e7 integrand evaluations, about
   1.3 s per call, while the evaluations reported stayed at those of P).
   The criterion is the quadrature's own work counter, not time: every
   exact-kernel call within MVNI_LQ_MAX_WORK. */
static void test_derivative_cost(mvn_context *ctx)
{
    const double I = INFINITY;
    /* A conditional problem met below: a singular 3 x 3 correlation. */
    const double lo3[3] = {-I, -0.65372, -9.66379}, hi3[3] = {1.26711, -0.212459, -9.13346};
    const double r3[3] = {-0.96476382123773208, -0.31622776601683777, 0.55470019622522893};
    double p, lp, w = mvni_quad_work();
    double e = mvni_tvn_rect(lo3, hi3, r3, &p, &lp);
    w = mvni_quad_work() - w;
    tap_ok(w <= MVNI_LQ_MAX_WORK && fabs(lp - -61.917) < 1e-3 && e >= 0 && e <= 1e-6 * p,
           "singular trivariate tail: %.0f integrand evaluations (bound %.0f), log p %.6f (-61.917), err %.2g",
           w, MVNI_LQ_MAX_WORK, lp, e);
    /* Collinear to rounding (r = +-(1 - 2.2e-16)): the conditional
       limits are near 1e8, where the maximum search was off by 1e8 and the
       kernel returned NaN; the box is empty on the line (P = 0). */
    const double lo1[3] = {-I, -sqrt(2), -4.5 * sqrt(2)}, hi1[3] = {-1.5 * sqrt(2), 0.5 * sqrt(2), -2 * sqrt(2)};
    const double r1[3] = {-0.99999999999999978, -0.99999999999999978, 0.99999999999999978};
    w = mvni_quad_work();
    e = mvni_tvn_rect(lo1, hi1, r1, &p, &lp);
    w = mvni_quad_work() - w;
    tap_ok(w <= MVNI_LQ_MAX_WORK && p >= 0 && p <= 1e-300 && !isnan(lp) && e >= 0,
           "collinear trivariate: %.0f integrand evaluations, p %g, log p %g, err %g", w, p, lp, e);

    /* The 4-D problems (rank 2 with P = 0, rank 3 with P = 0.0055): value,
       gradient and Hessian; P and at most 2d + 4 d(d-1)/2 conditional
       problems, each within the bound; all outputs finite. */
    static const double S[2][16] = {
        {0.5, 0, -0.25, 0.75, 0, 0.5, -0.25, 0.25, -0.25, -0.25, 0.25, -0.5, 0.75, 0.25, -0.5, 1.25},
        {1.5, 2, 1, 0.75, 2, 3, 1, 0.5, 1, 1, 3, 2.5, 0.75, 0.5, 2.5, 2.25}};
    const double lo[2][4] = {{1.5, 1.5, -1, 0}, {-0.5, -0.5, -1.5, -I}};
    const double up[2][4] = {{I, I, -0.25, 1.25}, {I, 0.25, -1.25, 2.75}};
    const double want[2] = {0.0, 0.0055476};
    const double ncalls = 1 + 2 * 4 + 4 * 6;
    double threads;
    mvn_context_get(ctx, MVN_OPT_THREADS, &threads);
    mvn_context_set(ctx, MVN_OPT_THREADS, 1); /* the counter is per thread */
    for (int k = 0; k < 2; ++k) {
        double dl[4], du[4], dm[4], ds[16], h[16], pe, ph;
        w = mvni_quad_work();
        int sg = mvn_prob_grad(ctx, 4, lo[k], up[k], NULL, S[k], &p, &lp, &e, dl, du, dm, ds);
        double wg = mvni_quad_work() - w;
        int sh = mvn_prob_hessian(ctx, 4, lo[k], up[k], NULL, S[k], &ph, h);
        double wh = mvni_quad_work() - w - wg;
        int finite = 1;
        for (int i = 0; i < 16; ++i)
            finite &= isfinite(ds[i]) && isfinite(h[i]) && (i >= 4 || (isfinite(dl[i]) && isfinite(du[i])));
        pe = fabs(p - want[k]);
        tap_ok(sg == MVN_OK && sh == MVN_OK && finite && pe <= 3 * e + 1e-6 &&
                   wg <= ncalls * MVNI_LQ_MAX_WORK && wh <= ncalls * MVNI_LQ_MAX_WORK,
               "rank-deficient 4-D (P = %g): grad %s, hessian %s, quadrature work %.3g and %.3g (bound %.3g), outputs finite",
               want[k], mvn_status_name(sg), mvn_status_name(sh), wg, wh, ncalls * MVNI_LQ_MAX_WORK);
    }
    mvn_context_set(ctx, MVN_OPT_THREADS, threads);
}

/* Finding 1: near-degenerate correlation.  Equicorrelated d = 5 with
   1 - rho = 1e-4 .. 1e-15, P(X < 0) = int phi(z) Phi(-sqrt(rho) z /
   sqrt(1 - rho))^5 dz (mpmath quad at 30 digits, split at 0 and at
   multiples of the ridge width sqrt((1 - rho) / rho)).  The ridge at z = 0
   holds 0.5 - P = 4.6e-2 sqrt(1 - rho) of the probability in a sliver of
   the integration space that a small lattice misses with every shift:
   before the resolution rule of qmc/sov.c ("Narrow features"),
   P = 0.49999997 +- 1.1e-7 (status OK, 496 evaluations) at 1e-6 and
   P = 0.5 +- 0 at 1e-8 and below (18 of 50 runs within abserr).  From
   1e-12 the factorization drops the pivot (below MVNI_PSD_TOL) and the bound of
   solve.c's add_dropped_pivot_error is what covers the error.  Counted
   over 10 seeds: every estimate within 2 abserr with abserr > 0 and
   status OK, and at least 90% within abserr (measured: 70 of 70, worst
   0.73 abserr). */
static void test_near_degenerate(mvn_context *ctx)
{
    /* 1e-14 and 1e-15: 0.5 - 0.46395569914 sqrt(1 - rho), the leading
       term, whose O(1 - rho) remainder is below 1e-14 there (it is 1.8e-8
       at 1e-4 and 5e-14 at 1e-10); 1 - 1e-15 rounds to 1 - 9.992e-16,
       which moves P by 6e-12. */
    static const double eps[7] = {1e-4, 1e-6, 1e-8, 1e-10, 1e-12, 1e-14, 1e-15};
    static const double exact[7] = {0.49536042545446969, 0.49953604428330561,
                                    0.49995360443006845, 0.49999536044300858,
                                    0.49999953604430086, 0.49999995360443009,
                                    0.49999998532843630};
    double seed0;
    int within2 = 1, within1 = 0, runs = 0;
    double worst = 0.0;
    mvn_context_get(ctx, MVN_OPT_SEED, &seed0);
    /* 10 seeds; 2 per MVN_TEST_SEEDS below 5 (the sanitizer pass of
       .ci/run sets 2: the 1e-10 case spends 8.4e6 evaluations a seed). */
    int nseeds = 10;
    const char *ns = getenv("MVN_TEST_SEEDS");
    if (ns && atoi(ns) > 0 && atoi(ns) < 5)
        nseeds = 2 * atoi(ns);
    for (int seed = 0; seed < nseeds; ++seed) {
        mvn_context_set(ctx, MVN_OPT_SEED, seed);
        for (int k = 0; k < 7; ++k) {
            double S[25], up[5] = {0, 0, 0, 0, 0}, p, lp, e;
            for (int i = 0; i < 25; ++i)
                S[i] = i % 6 == 0 ? 1.0 : 1.0 - eps[k];
            int st = mvn_prob(ctx, 5, NULL, up, NULL, S, &p, &lp, &e);
            double r = fabs(p - exact[k]) / e;
            ++runs;
            within1 += r <= 1.0;
            if (!(st == MVN_OK && e > 0 && r <= 2.0)) {
                within2 = 0;
                tap_diag("seed %d, 1 - rho = %g: p %.10f, abserr %.3g, error %.3g, %s", seed,
                         eps[k], p, e, p - exact[k], mvn_status_name(st));
            }
            if (r > worst)
                worst = r;
        }
    }
    mvn_context_set(ctx, MVN_OPT_SEED, seed0);
    tap_ok(within2, "equicorrelated d = 5, 1 - rho = 1e-4 .. 1e-15, %d seeds: status OK, abserr > 0, "
           "error within 2 abserr (worst %.2f abserr)", nseeds, worst);
    tap_ok(within1 >= 9 * runs / 10, "... and within abserr in %d of %d runs (>= 90%%)", within1, runs);
}


/* Finding 1, second case: METHOD_QMC on a 2-D Sigma whose conditional
   variance 1 - r^2 = 1e-11 is below the factorization's singularity
   tolerance (r = 1 - 5e-12), P(X1 < 0, X2 > 0) = acos(r) / (2 pi) =
   5.03e-7.  The factor drops the pivot, so every point sees P = 0; before,
   P = 0 +- 0 with status OK and log P = -inf with logerr 0.  Now abserr
   carries the bound of the dropped pivot (3 sqrt(1e-11) = 9.5e-6) and
   logerr is +inf: log P is not claimed. */
static void test_dropped_pivot(mvn_context *ctx)
{
    const double r = 1.0 - 5e-12, exact = acos(r) / (2.0 * M_PI);
    const double lo[2] = {-INFINITY, 0.0}, up[2] = {0.0, INFINITY};
    const double S[4] = {1.0, r, r, 1.0};
    const ptrdiff_t vs[2] = {0, 1}, ms[3] = {0, 2, 1};
    double p = NAN, lp = NAN, e = NAN, le = NAN;
    int st = MVN_EINVAL;
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    mvn_logprob_batch(ctx, 1, 2, lo, vs, up, vs, NULL, NULL, S, ms,
                      MVN_SIGMA_COV, &p, &lp, &e, &le, &st);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    tap_ok(contract_ok(st, p, lp, e) && fabs(p - exact) <= e && e <= 1e-5,
           "METHOD_QMC, 2-D r = 1 - 5e-12: |p - %.4g| <= abserr %.3g (p %.3g, %s)",
           exact, e, p, mvn_status_name(st));
    tap_ok(p > 0.0 || le == INFINITY,
           "... and log P is not claimed when p = 0 (logp %g, logerr %g)", lp, le);
}

/* A trivariate upper tail far out: the maximum of the log-space
   quadrature's integrand lies far beyond the 50 units first searched
   (found by tests/fuzz/fuzz_cli.c: P = NaN with status OK from a
   standardized limit of about 170 on).  X ~ N(0, L L^T), P(X1 > 0, X2 > 0,
   X3 > x): the conditional probability of the first two tends to 1, so
   log P tends to log Q(x / sqrt(1.4)) (1.4 = Sigma_33), computed here
   with the asymptotic series.  Beyond 1e9 the integrand is not resolvable
   in double (its rounding noise exceeds 1e2), but its maximum is log P to
   far below 1e-12 relative: log P was -5e23 for -3.57e23 at 1e12 (the
   search for the maximum stopped where the noise hid the slope), now
   fixed (lib/exact/quadrature.c, probe_step). */
static void test_trivariate_far_tail(mvn_context *ctx)
{
    const double L[9] = {1, 0, 0, 0.5, 1, 0, 0.2, 0.6, 1};
    const double xs[6] = {200.0, 1e4, 1e8, 1e12, 1e20, 1e100};
    for (int k = 0; k < 6; ++k) {
        double lo[3] = {0, 0, xs[k]}, p = NAN, lp = NAN, e = NAN;
        int st = mvn_prob_chol(ctx, 3, lo, NULL, NULL, L, MVN_ROW_MAJOR, &p, &lp, &e);
        double z = xs[k] / sqrt(1.4);
        double want = -0.5 * z * z - log(z) - 0.5 * log(2 * M_PI) + log1p(-1 / (z * z));
        int close = fabs(lp - want) <= (xs[k] < 1e9 ? 1e-9 : 1e-14) * fabs(want) + 1e-3;
        tap_ok(contract_ok(st, p, lp, e) && close,
               "trivariate tail X3 > %g: log P = %.10g, want %.10g (status %d, abserr %g)",
               xs[k], lp, want, st, e);
    }
}

/* One status for one cause whatever the layout: a pair accepted as
   symmetric (within 64 ulps of the largest variance) whose entries differ,
   next to a zero variance, got MVN_ENOTPD through column-major strides and
   MVN_OK row-major (found by tests/fuzz/fuzz_api.c); the symmetrized entry
   is judged now. */
static void test_transposed_pair(mvn_context *ctx)
{
    const double S[9] = {0, 0, 2e-110, 0, 1e-15, 0, 0, 0, 1e-15};
    const double up[3] = {1, 0, 1e-110};
    const ptrdiff_t vs[2] = {0, 1}, row[3] = {0, 3, 1}, col[3] = {0, 1, 3};
    double p[2], lp[2], e[2];
    int st[2];
    mvn_prob_batch(ctx, 1, 3, NULL, NULL, up, vs, NULL, NULL, S, row, MVN_SIGMA_COV,
                   p, lp, e, st);
    mvn_prob_batch(ctx, 1, 3, NULL, NULL, up, vs, NULL, NULL, S, col, MVN_SIGMA_COV,
                   p + 1, lp + 1, e + 1, st + 1);
    tap_ok(st[0] == st[1], "a nearly symmetric pair: the same status row- and column-major "
           "(%d, %d)", st[0], st[1]);
}

/* Fuzz finding grad-nonfinite-logprob-grad-inf: log-derivatives where
   log P is so large that its own rounding (|log P| * 1.1e-16) swamps
   them.  Variances 1e-176, lower limits 0.9: log P = -8.1e175 and the
   terms exp(log w + log P_cond - log P) overflowed, d_lower = -inf with
   status OK.  Now MVN_EUNSUPPORTED with NaN outputs beyond |log P| = 1e14,
   while variances 1e-6 (log P = -8.1e5) give the exact derivative
   dlogP/dlower_i = -phi(z) / (sd Q(z)), z = 900. */
static void test_log_grad_range(mvn_context *ctx)
{
    const double lo[2] = {0.9, 0.9};
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, 2, 1};
    double S[4] = {1e-176, 0, 0, 1e-176}, p, lp, e, dl[2];
    int st = MVN_OK;
    int ret = mvn_logprob_grad_batch(ctx, 1, 2, lo, vs, NULL, NULL, NULL, NULL, S, ss,
                                     MVN_SIGMA_COV, &p, &lp, &e, &st, dl, NULL, NULL, NULL);
    tap_ok(ret == MVN_EUNSUPPORTED && st == MVN_EUNSUPPORTED && isnan(lp) && isnan(dl[0]) &&
               isnan(dl[1]),
           "log-derivatives at log P = -8e175: MVN_EUNSUPPORTED and NaN (%s, dl %g)",
           mvn_status_name(st), dl[0]);
    S[0] = S[3] = 1e-6;
    ret = mvn_logprob_grad_batch(ctx, 1, 2, lo, vs, NULL, NULL, NULL, NULL, S, ss,
                                 MVN_SIGMA_COV, &p, &lp, &e, &st, dl, NULL, NULL, NULL);
    /* -phi(z) / (sd Q(z)) = -(z + 1/z - 2/z^3 ...) / sd, z = 900. */
    const double z = 900.0, want = -(z + 1.0 / z - 2.0 / (z * z * z)) / 1e-3;
    tap_ok(ret == MVN_OK && fabs(dl[0] - want) <= 1e-6 * fabs(want) && dl[0] == dl[1],
           "log-derivatives at log P = -8.1e5 are finite and exact: %.12g (want %.12g)",
           dl[0], want);
}

/* Fuzz finding exact-vs-qmc (the CI's 90 s fuzz run): a singular 3 x 3
   block went to the trivariate kernel, whose path integral assumes a
   positive definite block.  Rank 1 (all entries 4.875) with the lower
   limits at the mean: P = P(X1 > m) = 1/2 exactly; the kernel said
   0.4687 +- 0.0278.  Rank 2 (X3 = X1): P(X1 < 0, X2 < 0, X3 < 0) =
   Phi2(0, 0; 0.5) = 1/3. */
static void test_singular_trivariate(mvn_context *ctx)
{
    const double S1[9] = {4.875, 4.875, 4.875, 4.875, 4.875, 4.875, 4.875, 4.875, 4.875};
    const double m1[3] = {4.875, 4.875, 4.875};
    double p = NAN, lp, e = NAN;
    int st = mvn_prob(ctx, 3, m1, NULL, m1, S1, &p, &lp, &e);
    tap_ok(contract_ok(st, p, lp, e) && fabs(p - 0.5) <= e + 1e-15 && e <= 1e-5,
           "rank-1 trivariate, lower = mean: P = %.17g +- %.3g, exact 1/2", p, e);
    const double S2[9] = {1, 0.5, 1, 0.5, 1, 0.5, 1, 0.5, 1};
    const double up[3] = {0, 0, 0};
    st = mvn_prob(ctx, 3, NULL, up, NULL, S2, &p, &lp, &e);
    tap_ok(contract_ok(st, p, lp, e) && fabs(p - 1.0 / 3.0) <= e + 1e-15 && e <= 1e-5,
           "rank-2 trivariate (X3 = X1): P = %.17g +- %.3g, exact 1/3", p, e);
}

/* Fuzz finding grad-nonfinite (CI, 2026-12-03): Sigma = v [[1, 1], [1, 1]]
   with v = DBL_MAX.  Symmetrizing the covariance as (S_ij + S_ji) / 2
   overflowed to +inf and the PSD test inf > bound passed because the
   bound overflowed too: d_sigma = NaN with status OK; v = 1e308 was
   refused as not positive semidefinite.  Scale invariance gives P = 1/2
   and d_lower = -phi(0) / sqrt(v) for X > 0 (the rank-1 pair moves as one),
   the same as at v = 4 scaled. */
static void test_huge_covariances(mvn_context *ctx)
{
    static const double vs[3] = {DBL_MAX, 1e308, 0x1p1020};
    int bad = 0;
    for (int k = 0; k < 3; ++k) {
        const double v = vs[k], S[4] = {v, v, v, v}, lo[2] = {0.0, 0.0};
        double p = NAN, lp, e, dl[2], du[2], dm[2], ds[4];
        int st = mvn_prob_grad(ctx, 2, lo, NULL, NULL, S, &p, &lp, &e, dl, du, dm, ds);
        const double want = -0.3989422804014327 / sqrt(v);
        int ok = st == MVN_OK && fabs(p - 0.5) <= 1e-15;
        for (int i = 0; i < 2; ++i)
            ok = ok && fabs(dl[i] - want) <= 1e-12 * fabs(want) && du[i] == 0.0;
        for (int i = 0; i < 4; ++i)
            ok = ok && isfinite(ds[i]);
        if (!ok) {
            ++bad;
            tap_diag("v = %g: status %d, P %.17g, d_lower %g (want %g), d_sigma %g %g", v, st,
                     p, dl[0], want, ds[0], ds[1]);
        }
    }
    tap_ok(bad == 0, "covariances near DBL_MAX (rank 1): P = 1/2, d_lower = -phi(0) / sqrt(v), "
           "d_sigma finite, status OK");
}

/* Fuzz finding p-above-1 (2026-12-03): a block of four with variances
   5.9 and 1e-19, lower limits 1e11 deviations below (upper +inf) and
   covariances down to 1e-321 is taken as a Gauss-Markov chain, whose
   log-space quadrature gave log P = +4.9e-12, P = 1 + 4.9e-12 with
   status OK.  P = 1 to rounding; the result must be at most 1. */
static void test_probability_at_most_one(mvn_context *ctx)
{
    const double lo[6] = {-3.264e143, -32.64, -INFINITY, -3.264e143, -32.64, -INFINITY};
    const double S[36] = {
        5.94140625, 1.5316035021078643e-321, 79.56, 7.956e-159, 7.942106249999999e-119,
        -5.4236175301113034e-308,
        1.5316035021078643e-321, 1e-19, 2.0479021020119669e-320, 0, 0, 0,
        79.56, 2.0479021020119669e-320, 1065.3696, 1.0653696e-157, 1.06350912e-117,
        -7.2626410741675054e-307,
        7.956e-159, 0, 1.0653696e-157, 1e-19, 1.06350912e-277, 0,
        7.942106249999999e-119, 0, 1.06350912e-117, 1.06350912e-277, 1e-19, 0,
        -5.4236175301113034e-308, 0, -7.2626410741675054e-307, 0, 0, 1e-19};
    mvn_context *c = mvn_context_alloc();
    mvn_context_set(c, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(c, MVN_OPT_RELEPS, 0.01);
    mvn_context_set(c, MVN_OPT_MAXPTS, 1000);
    mvn_context_set(c, MVN_OPT_REORDER, MVN_REORDER_NONE);
    double p = NAN, lp = NAN, e = NAN;
    int st = mvn_prob(c, 6, lo, NULL, NULL, S, &p, &lp, &e);
    tap_ok(contract_ok(st, p, lp, e) && p <= 1.0 && lp <= 0.0 && 1.0 - p <= e + 1e-15,
           "P = 1 to rounding through the chain recursion: P = %.17g, log P = %.3g, "
           "abserr %.3g (it was 1 + 4.9e-12)", p, lp, e);
    mvn_context_free(c);
}

/* Fuzz finding abserr-inf (CI, 2026-12-03): a width-1.02e-309 interval
   at 0 beside correlations 1 - 1e-8, X1 > 0, -1.5e154 < X2 < 0.  No
   slice variable of the trivariate kernel kept the narrow width (the
   narrow one's own correlations are too close to 1 for its conditional
   pair), the cancellation ratio 1.5e154 / 1e-309 overflowed the bound to
   +inf with status OK, and P exceeded the narrow marginal.  P is now at
   most the smallest marginal and abserr at most that marginal: finite,
   and covering the truth, which is w phi(0) / sqrt(S33) P(X1 > 0, X2 < 0
   | X3 = 0) to relative O(w) (the conditional orthant, 0.18306988234658985,
   from mpmath at 50 digits on the same doubles). */
static void test_subnormal_width(mvn_context *ctx)
{
    const double a = 0.99999998000000001, b = 0.99999997000000018, c = 0.99999998999999995;
    const double S[9] = {a, b, b, b, c, b, b, b, a};
    const double orthant = 0.18306988234658985;
    static const double ws[6] = {1e-20, 1e-50, 1e-150, 1e-300, 1.0228600556790306e-309, 1e-315};
    int bad = 0;
    for (int k = 0; k < 6; ++k) {
        const double lo[3] = {0.0, -1.5e154, -0.0}, up[3] = {INFINITY, 0.0, ws[k]};
        const double logm = log(ws[k]) - 0.5 * log(2.0 * M_PI * a);
        const double ref = logm + log(orthant);
        double p = NAN, lp = NAN, e = NAN;
        int st = mvn_prob(ctx, 3, lo, up, NULL, S, &p, &lp, &e);
        /* |P - truth| <= e, relative to P (P may be subnormal, and the
           marginal with it: 1e-315 is a double to 5e-9). */
        const double miss = fabs(expm1(ref - lp)), allowed = e / p;
        if (!(contract_ok(st, p, lp, e) && isfinite(e) && lp <= logm + 1e-7 &&
              miss <= allowed * (1.0 + 1e-9) + 1e-9)) {
            ++bad;
            tap_diag("width %g: status %d, log P %.17g (truth %.17g, marginal %.17g), "
                     "abserr / P %.3g", ws[k], st, lp, ref, logm, allowed);
        }
    }
    tap_ok(bad == 0, "width 1e-20 .. 1e-315 beside correlations 1 - 1e-8: abserr finite and "
           "covering the truth, P within the narrow marginal");
}

/* Variances spanning 1e300 (fuzz finding grad-nonfinite: 4.5e307 next to
   1 gave d_sigma = inf): one coordinate of a 3-D problem scaled by 2^e,
   e = -1000 .. 1000 (exact), the others not.  Each derivative must scale
   by its own coordinates' factors: d_limit_0 * 2^(e/2), d_sigma_0j *
   2^(e/2), d_sigma_00 * 2^e equal the unscaled ones to rounding. */
static void test_variance_range(mvn_context *ctx)
{
    const double S1[9] = {1.0, 0.5, 0.3, 0.5, 2.0, -0.4, 0.3, -0.4, 1.5};
    const double lo1[3] = {-0.5, -INFINITY, 0.2}, up1[3] = {1.0, 0.7, INFINITY};
    double dl1[3], du1[3], dm1[3], ds1[9], p1, lp1, e1;
    mvn_prob_grad(ctx, 3, lo1, up1, NULL, S1, &p1, &lp1, &e1, dl1, du1, dm1, ds1);
    double worst = 0.0;
    int ok = 1;
    for (int ex = -1000; ex <= 1000; ex += 100) {
        const double h = ldexp(1.0, ex / 2);
        double S[9], lo[3], up[3], dl[3], du[3], dm[3], ds[9], p, lp, e;
        memcpy(S, S1, sizeof S);
        memcpy(lo, lo1, sizeof lo);
        memcpy(up, up1, sizeof up);
        lo[0] *= h;
        up[0] *= h;
        for (int j = 0; j < 3; ++j) {
            S[j] *= h;
            S[3 * j] *= h;
        }
        int st = mvn_prob_grad(ctx, 3, lo, up, NULL, S, &p, &lp, &e, dl, du, dm, ds);
        ok &= st == MVN_OK && fabs(p - p1) <= 1e-14;
        for (int i = 0; i < 3; ++i) {
            const double fi = i == 0 ? h : 1.0;
            worst = fmax(worst, fabs(dl[i] * fi - dl1[i]));
            worst = fmax(worst, fabs(du[i] * fi - du1[i]));
            worst = fmax(worst, fabs(dm[i] * fi - dm1[i]));
            for (int j = 0; j < 3; ++j)
                worst = fmax(worst, fabs(ds[3 * i + j] * fi * (j == 0 ? h : 1.0) - ds1[3 * i + j]));
        }
    }
    tap_ok(ok && worst <= 1e-12, "one variance scaled by 2^-1000 .. 2^1000, the others 1: "
           "each derivative scales by its own coordinates (worst %.3g)", worst);
}

/* Fuzz finding grad-nonfinite: log-derivatives on an interval narrower
   than 1 / DBL_MAX.  X1 ~ N(0, 2.67e-158) on (0, 2.44e-319): d log P /
   dlower = -1 / width = -4.1e318 is beyond DBL_MAX (-inf, documented),
   d_upper = +inf, and d_mean = -(d_lower + d_upper), a true 4.6e-162, was
   NaN with status OK.  It is now taken where the two terms are finite. */
static void test_narrow_log_grad(mvn_context *ctx)
{
    const double lo[1] = {0.0}, up[1] = {2.4410301364078468e-319};
    const double S[1] = {2.6663624099999994e-158};
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, 1, 1};
    double p = NAN, lp = NAN, e = NAN, dl = NAN, du = NAN, dm = NAN;
    int st = MVN_EINVAL;
    mvn_logprob_grad_batch(ctx, 1, 1, lo, vs, up, vs, NULL, NULL, S, ss, MVN_SIGMA_COV,
                           &p, &lp, &e, &st, &dl, &du, &dm, NULL);
    tap_ok(st == MVN_OK && dl == -INFINITY && du == INFINITY && isfinite(dm) &&
               fabs(dm) < 1e-150,
           "log-derivatives on an interval of width 2.4e-319: d_lower %g, d_upper %g, "
           "d_mean %g (true 4.6e-162), %s", dl, du, dm, mvn_status_name(st));

    /* The same narrowness at variance 16 (no scaling for the variance):
       interval (0, 2.9e-312), d log P / dSigma_11 = -1 / (2 * 16) for an
       interval that narrow (log P = log width - log sd + const); the term
       upper * d_upper (= 1) was inf * 2.9e-312 = inf, d_sigma = -inf, and
       d_mean NaN.  Next to it a coordinate of variance 2.7e-158 on
       (0, 5e-304), whose d_sigma is -1 / (2 * 2.7e-158). */
    const double lo2[3] = {0.0, 0.0, 0.0};
    const double up2[3] = {5.0126465242927477e-304, 2.8858313852521858e-312, 0.0};
    const double S2[9] = {2.6663624099999994e-158, 0, 0, 0, 16, 0, 0, 0, 0};
    const ptrdiff_t vs3[2] = {0, 1}, ss3[3] = {0, 3, 1};
    double dl2[3], du2[3], dm2[3], ds2[9];
    mvn_logprob_grad_batch(ctx, 1, 3, lo2, vs3, up2, vs3, NULL, NULL, S2, ss3, MVN_SIGMA_COV,
                           &p, &lp, &e, &st, dl2, du2, dm2, ds2);
    const double g0 = -0.5 / 2.6663624099999994e-158;
    tap_ok(st == MVN_OK && fabs(ds2[4] + 1.0 / 32.0) <= 1e-12 / 32.0 && isfinite(dm2[1]) && fabs(dm2[1]) < 1e-100 &&
               dl2[1] == -INFINITY && du2[1] == INFINITY && fabs(ds2[0] - g0) <= 1e-12 * fabs(g0),
           "log-derivatives on (0, 2.9e-312) at variance 16: d_sigma_11 = %.17g (exact -1/32), "
           "d_mean %g, d_sigma_00 = %.17g (exact %.17g), %s", ds2[4], dm2[1], ds2[0], g0,
           mvn_status_name(st));
}

/* Fuzz finding exact-vs-qmc: a finite limit whose standardized value
   overflows (upper -1.5e154 over a standard deviation of 7.4e-156) became
   -inf, which the QMC route read as "no upper limit": P = 1 for an exact
   0.  Both routes, 1-D and 2-D (the second variable unconstrained). */
static void test_standardized_overflow(mvn_context *ctx)
{
    const double S1 = 5.4323092248710971e-311, up1 = -1.5e154, lo1 = 1.5e154;
    const double S2[4] = {S1, 0.0, 0.0, 1.0}, up2[2] = {-1.5e154, INFINITY};
    for (int qmc = 0; qmc < 2; ++qmc) {
        mvn_context_set(ctx, MVN_OPT_METHOD, qmc ? MVN_METHOD_QMC : MVN_METHOD_AUTO);
        double p[3] = {NAN, NAN, NAN}, lp, e;
        int st[3];
        st[0] = mvn_prob(ctx, 1, NULL, &up1, NULL, &S1, &p[0], &lp, &e);
        st[1] = mvn_prob(ctx, 1, &lo1, NULL, NULL, &S1, &p[1], &lp, &e);
        st[2] = mvn_prob(ctx, 2, NULL, up2, NULL, S2, &p[2], &lp, &e);
        tap_ok(st[0] == MVN_OK && p[0] == 0.0 && st[1] == MVN_OK && p[1] == 0.0 &&
                   st[2] == MVN_OK && p[2] == 0.0,
               "%s: limits 1e309 standard deviations out: P = %g, %g, %g (exact 0)",
               qmc ? "METHOD_QMC" : "METHOD_AUTO", p[0], p[1], p[2]);
    }
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
}

/* Fuzz finding exact-vs-qmc (the CI's 90 s fuzz run): a singular or
   nearly singular factor makes the integrand a step (an indicator row, or
   a band narrower than the tolerance), and a step that cuts off a region
   of mass 0.0027 fell between the 31 points of all 8 shifts: METHOD_QMC,
   X2 = X1 + 3, P(X1 < 0, X2 > 0) = P(-3 < X1 < 0) = 1/2 - Phi(-3) came
   out as 0.5 +- 9.5e-6 (or +- 0 for r = 1) with status OK.  Stopping on
   a step now needs 1 / tolerance points per shift.  The 4-D case, the
   same step next to a correlated pair (X3 = X1 + 3, X4 = X2), is checked
   against the exact 2-D rectangle P(-3 < X1 < 0, X2 < 0) (r = 0.5). */
static void test_singular_step(mvn_context *ctx)
{
    const double want2 = 0.5 - 0.5 * erfc(3.0 / M_SQRT2);
    const double rs[3] = {1.0, 1.0 - 5e-12, 1.0 - 1e-13};
    double seed0, worst = 0.0;
    int ok = 1, runs = 0;
    mvn_context_get(ctx, MVN_OPT_SEED, &seed0);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    for (int seed = 0; seed < 3; ++seed) {
        mvn_context_set(ctx, MVN_OPT_SEED, seed);
        for (int k = 0; k < 3; ++k) {
            const double lo[2] = {-INFINITY, 0.0}, up[2] = {0.0, INFINITY};
            const double m[2] = {0.0, 3.0}, S[4] = {1.0, rs[k], rs[k], 1.0};
            double p = NAN, lp, e = NAN;
            int st = mvn_prob(ctx, 2, lo, up, m, S, &p, &lp, &e);
            ++runs;
            worst = fmax(worst, fabs(p - want2) / e);
            if (!(contract_ok(st, p, lp, e) && st == MVN_OK && fabs(p - want2) <= e + 1e-15)) {
                ok = 0;
                tap_diag("seed %d, r = 1 - %g: p %.10f +- %.3g (%s), exact %.10f", seed,
                         1.0 - rs[k], p, e, mvn_status_name(st), want2);
            }
        }
    }
    tap_ok(ok, "METHOD_QMC, X2 = X1 + 3 (r = 1, 1 - 5e-12, 1 - 1e-13), 3 seeds: "
           "P(X1 < 0, X2 > 0) within abserr of 1/2 - Phi(-3), status OK (worst %.2f abserr)",
           worst);

    /* A budget too small for the step: not OK unless within abserr. */
    double maxpts0;
    mvn_context_get(ctx, MVN_OPT_MAXPTS, &maxpts0);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 20000);
    mvn_context_set(ctx, MVN_OPT_SEED, 0);
    {
        const double lo[2] = {-INFINITY, 0.0}, up[2] = {0.0, INFINITY};
        const double m[2] = {0.0, 3.0}, S[4] = {1.0, 1.0, 1.0, 1.0};
        double p = NAN, lp, e = NAN;
        int st = mvn_prob(ctx, 2, lo, up, m, S, &p, &lp, &e);
        tap_ok(contract_ok(st, p, lp, e) && (st != MVN_OK || fabs(p - want2) <= e + 1e-15),
               "... with maxpts 20000: %s, p %.10f +- %.3g", mvn_status_name(st), p, e);
    }
    mvn_context_set(ctx, MVN_OPT_MAXPTS, maxpts0);

    /* 4-D: X3 = X1 + 3, X4 = X2, corr(X1, X2) = 0.5. */
    const double S4[16] = {1, 0.5, 1, 0.5, 0.5, 1, 0.5, 1, 1, 0.5, 1, 0.5, 0.5, 1, 0.5, 1};
    const double m4[4] = {0, 0, 3, 0};
    const double lo4[4] = {-INFINITY, -INFINITY, 0, -INFINITY}, up4[4] = {0, 0, INFINITY, 1};
    const double S2[4] = {1, 0.5, 0.5, 1}, lo2[2] = {-3, -INFINITY}, up2[2] = {0, 0};
    double p4 = NAN, lp4, e4 = NAN, p2 = NAN, lp2, e2;
    int st4 = mvn_prob(ctx, 4, lo4, up4, m4, S4, &p4, &lp4, &e4);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    mvn_prob(ctx, 2, lo2, up2, NULL, S2, &p2, &lp2, &e2);
    mvn_context_set(ctx, MVN_OPT_SEED, seed0);
    tap_ok(contract_ok(st4, p4, lp4, e4) && st4 == MVN_OK && fabs(p4 - p2) <= e4 + e2,
           "singular 4-D (X3 = X1 + 3, X4 = X2): P = %.10f +- %.3g, exact 2-D rectangle %.10f",
           p4, e4, p2);
}

/* Fuzz finding exact-vs-qmc (CI fuzz step on 7ec0a16, crash-a03ac411):
   the sibling of test_boundary_step with a moderate correlation.
   METHOD_QMC, P(X1 < 0, X2 > t), corr 0.97 (X2's variance 1.0627): the
   second row's kappa is only 4, so the steep rule did not apply, but its
   step lies at z1 = -3.9, in the tail of the first variable, where the
   second factor drops to 0 within a region of mass 1e-4 of w1 that all 8
   shifts of 64 points missed: 0.49999959 +- 1.4e-6 with status OK for
   0.49994780 (144 of 200 seeds missed by more than 3 abserr).  qmc/sov.c
   "Steps in an earlier variable's tail" now finds such features from the
   factor and stops only once each one that matters holds points.  Six
   problems r in {0.9, 0.97}, t in {-4.3, -4, -3.5}, the finding and a
   3-D one (X3's step in X1's tail), 6 seeds each; exact values from
   METHOD_AUTO; status OK and the error within abserr up to the suite's
   binomial bound of misses (refs.h).  With maxpts 20000 the status is
   ETOL and abserr covers the error. */
typedef struct {
    int runs, misses, status_ok, small_ok;
    double worst;
} qmc_tally;

/* Forced-QMC runs of one problem at abseps 1e-5 over nseeds seeds against
   METHOD_AUTO's value, then one run with maxpts 20000, which must end ETOL
   with the error inside abserr when small_etol is set.  ctx's method,
   seed, maxpts and abseps are restored. */
static void tally_forced_qmc(mvn_context *ctx, size_t d, const double *lo, const double *up,
                             const double *mean, const double *S, int nseeds, int small_etol,
                             qmc_tally *t)
{
    double seed0, maxpts0, abseps0;
    mvn_context_get(ctx, MVN_OPT_SEED, &seed0);
    mvn_context_get(ctx, MVN_OPT_MAXPTS, &maxpts0);
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps0);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
    double want = NAN, lw, ew;
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    mvn_prob(ctx, d, lo, up, mean, S, &want, &lw, &ew);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    for (int seed = 0; seed < nseeds; ++seed) {
        mvn_context_set(ctx, MVN_OPT_SEED, seed0 + seed);
        double p = NAN, lp, e = NAN;
        int st = mvn_prob(ctx, d, lo, up, mean, S, &p, &lp, &e);
        ++t->runs;
        t->worst = fmax(t->worst, fabs(p - want) / e);
        if (!(contract_ok(st, p, lp, e) && st == MVN_OK && e <= 1e-5)) {
            t->status_ok = 0;
            tap_diag("d %zu, seed %d: %s, p %.10f +- %.3g", d, seed, mvn_status_name(st), p, e);
        }
        if (!(fabs(p - want) <= e + 1e-15)) {
            ++t->misses;
            tap_diag("d %zu, lower[%zu] %g, seed %d: p %.10f +- %.3g, exact %.10f", d, d - 1,
                     lo[d - 1], seed, p, e, want);
        }
    }
    if (small_etol) {
        mvn_context_set(ctx, MVN_OPT_SEED, seed0);
        mvn_context_set(ctx, MVN_OPT_MAXPTS, 20000);
        double p = NAN, lp, e = NAN;
        int st = mvn_prob(ctx, d, lo, up, mean, S, &p, &lp, &e);
        if (!(contract_ok(st, p, lp, e) && st == MVN_ETOL && fabs(p - want) <= e)) {
            t->small_ok = 0;
            tap_diag("maxpts 20000, d %zu, lower[%zu] %g: %s, p %.10f +- %.3g, exact %.10f", d,
                     d - 1, lo[d - 1], mvn_status_name(st), p, e, want);
        }
    }
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    mvn_context_set(ctx, MVN_OPT_SEED, seed0);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, maxpts0);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps0);
}

/* tally_forced_qmc over P(X1 < 0, X2 > t) with corr(X1, X2) = r for each
   r of rs and t of ts, 6 seeds each, with the maxpts 20000 check. */
static void tally_tail_grid(mvn_context *ctx, const double *rs, int nr, const double *ts,
                            int nt, qmc_tally *t)
{
    for (int k = 0; k < nr * nt; ++k) {
        const double r = rs[k % nr];
        const double lo[2] = {-INFINITY, ts[k / nr]}, up[2] = {0.0, INFINITY};
        const double S[4] = {1.0, r, r, 1.0};
        tally_forced_qmc(ctx, 2, lo, up, NULL, S, 6, 1, t);
    }
}

static void test_tail_step(mvn_context *ctx)
{
    static const double rs[2] = {0.9, 0.97};
    static const double ts[3] = {-4.3, -4.0, -3.5};
    qmc_tally t = {0, 0, 1, 1, 0.0};
    tally_tail_grid(ctx, rs, 2, ts, 3, &t);
    /* The finding as the fuzzer wrote it (a subnormal upper limit). */
    const double lo_f[2] = {-INFINITY, -4.0}, up_f[2] = {1.1244880095483171e-309, INFINITY};
    const double S_f[4] = {1.0, 0.99999999999502842, 0.99999999999502842, 1.062744140625};
    tally_forced_qmc(ctx, 2, lo_f, up_f, NULL, S_f, 6, 1, &t);
    /* 3-D: X3's step at -4 in the tail of X1; X2 an interval. */
    const double lo3[3] = {-INFINITY, -1.0, -4.0}, up3[3] = {0.0, 1.0, INFINITY};
    const double S3[9] = {1, 0.3, 0.95, 0.3, 1, 0.2, 0.95, 0.2, 1};
    tally_forced_qmc(ctx, 3, lo3, up3, NULL, S3, 6, 0, &t);
    const int bound = refs_miss_bound(t.runs, REFS_MISS_RATE, REFS_ALARM);
    tap_ok(t.status_ok && t.misses <= bound,
           "METHOD_QMC, step in the tail of X1 at moderate correlation (r 0.9, 0.97, X2 > "
           "-4.3 .. -3.5; the CI finding; 3-D), %d runs: status OK, %d misses of abserr "
           "(bound %d), worst %.2f abserr", t.runs, t.misses, bound, t.worst);
    tap_ok(t.small_ok, "... with maxpts 20000: ETOL, abserr covers the error");
    /* A feature too small to matter still counts in abserr: X1 in [0,
       0.1] first, X2 < 0 (corr 0.3) second, X3 > -4.3 at corr 0.97 with
       X2 third.  The step in X2's tail holds 3.4e-7 of P = 0.0197, below
       the tolerance; the shifts never saw it and agreed to 1e-10, so
       abserr claimed 6e-11 (185 of 200 seeds more than 3 abserr off). */
    const double lom[3] = {0.0, -INFINITY, -4.3}, upm[3] = {0.1, 0.0, INFINITY};
    const double Sm[9] = {1, 0.3, 0.291, 0.3, 1, 0.97, 0.291, 0.97, 1};
    qmc_tally tm = {0, 0, 1, 1, 0.0};
    tally_forced_qmc(ctx, 3, lom, upm, NULL, Sm, 12, 0, &tm);
    const int bound_m = refs_miss_bound(tm.runs, REFS_MISS_RATE, REFS_ALARM);
    tap_ok(tm.status_ok && tm.misses <= bound_m,
           "METHOD_QMC, a step below the tolerance in X2's tail (3-D), %d runs: status OK, "
           "%d misses of abserr (bound %d), worst %.2f abserr", tm.runs, tm.misses, bound_m,
           tm.worst);
}

/* Fuzz finding exact-vs-qmc-shifts-agree-2d (the CI's 90 s fuzz step,
   2026-12-03): a steep row whose step lies in the tail of the first
   variable.  METHOD_QMC, P(X1 < 0, X2 > t) with corr(X1, X2) = r near 1:
   Genz's order takes X1 first, and the second factor is 0 only for w1
   below 2 Phi(t), a region of mass Phi(t) (3.2e-5 at t = -4) narrower
   than the lattice's spacing, which all 8 shifts missed: P = 0.5 +- 0
   with status OK for 0.49996826.  The band of that row was resolved (4
   kappa = 256 points); what was not was the region beyond it.  A steep
   problem (kappa > 16, qmc/sov.c "Steps near the boundary") now stops
   only with n * tolerance >= p, and a budget that ends first leaves
   abserr >= p / n.  Exact values from the bivariate kernel (METHOD_AUTO).
   Counted over 6 seeds and 6 problems: status OK and the error within
   abserr, up to the suite's binomial bound of misses (refs.h); before
   the rule, 19 of 36 runs missed (P = 0.5 +- 0, status OK).  With maxpts
   20000 the status is ETOL and abserr (p / n) covers the error. */
static void test_boundary_step(mvn_context *ctx)
{
    static const double rs[3] = {0.9999, 0.99988, 0.99999};
    static const double ts[2] = {-4.0, -3.5};
    qmc_tally t = {0, 0, 1, 1, 0.0};
    tally_tail_grid(ctx, rs, 3, ts, 2, &t);
    const int bound = refs_miss_bound(t.runs, REFS_MISS_RATE, REFS_ALARM);
    tap_ok(t.status_ok && t.misses <= bound,
           "METHOD_QMC, step in the tail of X1 (r 0.9999 .. 0.99999, X2 > -4, -3.5), "
           "%d runs: status OK, %d misses of abserr (bound %d), worst %.2f abserr",
           t.runs, t.misses, bound, t.worst);
    tap_ok(t.small_ok, "... with maxpts 20000: ETOL, abserr (p / n) covers the error");
}

/* Limits far beyond the mass in the exact kernels (fuzz finding
   exact-vs-qmc-huge-limit and the cases around it).  The log-space
   quadrature of the bivariate and trivariate tails (lib/exact/
   quadrature.c) searched for the maximum of its integrand up to a finite
   limit of 1e14 on the side without mass, among values of -1e28, and its
   panels missed a maximum narrower than their first step: P = 0 with
   status OK for P = 4.7e-7, log P = -inf for finite log P.  References:
   the marginal where the other limits are 1e14 and more beyond the mass
   (exact to double), and where a limit lies 1e8 or more on the side of
   the mass, -Q / 2 with Q the minimum of x' R^-1 x over the box (attained
   at the corner named; the neglected terms are O(log Q) = 1e-14 of it). */
static void test_far_limits(mvn_context *ctx)
{
    /* The reproducer: P(X1 < -10 | mean -3.0625, var 2) = Phi(-6.9375 / sqrt 2). */
    const double S[9] = {2, .6, .3, .6, 1, .2, .3, .2, 1.5};
    const double up[3] = {-10, 8.7869410049671804e+159, 1.2882297539194816e-231};
    const double mu[3] = {-3.0625, -5e19, -1.0000000000000001e+300};
    const double want = 0.5 * erfc(6.9375 / 2.0);
    double p = NAN, lp = NAN, e = NAN;
    int st = mvn_prob(ctx, 3, NULL, up, mu, S, &p, &lp, &e);
    tap_ok(contract_ok(st, p, lp, e) && fabs(p - want) <= 1e-12 * want && e <= 1e-10 * want,
           "d = 3, limits 1e160 and 1e300 beyond the mass: P = %.17g +- %g (exact %.17g, %s)",
           p, e, want, mvn_status_name(st));

    /* Standardized: X1 < -4.905, X2 < 1, X3 < 1e8 ... 1e300 against the pair alone. */
    const double R[9] = {1, .42, .17, .42, 1, .16, .17, .16, 1}, R2[4] = {1, .42, .42, 1};
    const double up2[2] = {-4.905, 1};
    double p2, lp2, e2;
    mvn_prob(ctx, 2, NULL, up2, NULL, R2, &p2, &lp2, &e2);
    const double far[5] = {1e8, 1e14, 1e15, 1e100, 1e300};
    int ok = 1;
    for (int k = 0; k < 5; ++k) {
        const double up3[3] = {-4.905, 1, far[k]};
        st = mvn_prob(ctx, 3, NULL, up3, NULL, R, &p, &lp, &e);
        if (!(contract_ok(st, p, lp, e) && fabs(p - p2) <= 1e-12 * p2 && fabs(lp - lp2) <= 1e-12 * fabs(lp2))) {
            ok = 0;
            tap_diag("X3 < %g: P %.17g, log P %.17g (%s), pair %.17g", far[k], p, lp,
                     mvn_status_name(st), p2);
        }
    }
    tap_ok(ok, "d = 3, X3 < 1e8 ... 1e300: P and log P those of the pair (%.17g) to 1e-12", p2);

    /* The bivariate orthant X1 < -t, X2 < -1, r = 0.42: log Phi(-t) (X2 | X1 = -t has mean -0.42 t). */
    ok = 1;
    const double ts[4] = {1e8, 1e12, 1e20, 1e100};
    for (int k = 0; k < 4; ++k) {
        const double upt[2] = {-ts[k], -1};
        st = mvn_prob(ctx, 2, NULL, upt, NULL, R2, &p, &lp, &e);
        const double w = mvn_norm_logP(-ts[k]);
        if (!(contract_ok(st, p, lp, e) && fabs(lp - w) <= 1e-12 * fabs(w))) {
            ok = 0;
            tap_diag("X1 < -%g: log P %.17g (%s), want %.17g", ts[k], lp, mvn_status_name(st), w);
        }
    }
    tap_ok(ok, "d = 2, X1 < -1e8 ... -1e100, X2 < -1: log P = log Phi(-t) to 1e-12 (it was -inf)");

    /* X1 in (1e20, 1e21), X2 in (-1, 3) [, X3 in (-3, 5)]: the corner (1e20, 3 [, 5]). */
    const double lo2[2] = {1e20, -1}, hi2[2] = {1e21, 3};
    st = mvn_prob(ctx, 2, lo2, hi2, NULL, R2, &p, &lp, &e);
    double Q = (1e40 - 2 * .42 * 3e20 + 9) / (1 - .42 * .42);
    tap_ok(contract_ok(st, p, lp, e) && fabs(lp + Q / 2) <= 1e-14 * Q,
           "d = 2, X1 in (1e20, 1e21): log P = %.17g, -Q/2 = %.17g (it was -inf)", lp, -Q / 2);
    const double lo3[3] = {1e20, -1, -3}, hi3[3] = {1e21, 3, 5};
    st = mvn_prob(ctx, 3, lo3, hi3, NULL, R, &p, &lp, &e);
    const double det = 1 + 2 * .42 * .17 * .16 - .42 * .42 - .17 * .17 - .16 * .16;
    Q = 1e40 * (1 - .16 * .16) / det; /* R^-1_11 x1^2; the rest is 1e-20 of it */
    tap_ok(contract_ok(st, p, lp, e) && fabs(lp + Q / 2) <= 1e-14 * Q,
           "d = 3, X1 in (1e20, 1e21): log P = %.17g, -Q/2 = %.17g (it was -inf)", lp, -Q / 2);

    /* A box of a few subnormals: P = w^2 phi2(0) to rounding, log P =
       2 log w - log(2 pi sqrt(1 - r^2)).  The panels had no width left:
       log P was -inf, and -745 (the maximum alone) with the first fix of
       the all-underflow case. The widths are 3 and 4 ulps of the smallest subnormal,
       so the reference itself is good to about 0.3. */
    const double w = 1.4821969375237396e-323, lo0[2] = {0, 0}, up0[2] = {w, w};
    st = mvn_prob(ctx, 2, lo0, up0, NULL, R2, &p, &lp, &e);
    const double want0 = 2.0 * log(w) - log(2.0 * M_PI * sqrt(1.0 - 0.42 * 0.42));
    tap_ok(contract_ok(st, p, lp, e) && fabs(lp - want0) <= 0.5,
           "d = 2, box of width %.3g: log P = %.6f (about %.6f)", w, lp, want0);
}

/* Fuzz finding grad-nonfinite-dsigma-nan-3: log-derivatives of a nearly
   singular trivariate Sigma (one factor of variance 0.99999997 plus
   independent parts of variance 1e-8, 2e-8, 1e-8; det of a pair 3e-8)
   on X1 > 0.99, -2 < X2 < 0, X3 < 1e-309, log P = -2.94e7.  The pair
   terms conditioned through the inverse of the 2x2 block lost the
   conditional variance to cancellation (1.74e-8 for 1.67e-8): d_sigma
   +-inf and NaN with status OK.  The references are one-factor 1-D
   integrals in log space (mpmath, 60 digits).  The problem's own
   condition number is about 0.1 in log P per unit rounding of Sigma,
   so the derivative terms, exp(log term - log P), are checked to 10%. */
static void test_nearly_singular_pair(mvn_context *ctx)
{
    const double o = 0.99999997000000018, a = 0.99999998000000001, b = 0.99999998999999995;
    const double S[9] = {a, o, o, o, b, o, o, o, a};
    const double lo[3] = {0.99, -2.0, -INFINITY};
    const double up[3] = {INFINITY, 0.0, 1.0228600556790306e-309};
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, 3, 1};
    const double ref_logp = -29403037.897971121;
    const double ref_g[3] = {-5.88060091375e14, -1.17612011428e15, 3.92040067362e14};
    const double ref_dlim[3] = {-59400004.1652, 19800002.0249, 39600001.7443};
    for (int route = 0; route < 2; ++route) {
        mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
        double p, lp = NAN, e, dl[3], du[3], dm[3], ds[9];
        int st = MVN_EINVAL;
        mvn_logprob_grad_batch(ctx, 1, 3, lo, vs, up, vs, NULL, NULL, S, ss, MVN_SIGMA_COV,
                               &p, &lp, &e, &st, dl, du, dm, ds);
        int finite = 1, close = fabs(lp - ref_logp) < 0.05;
        for (int k = 0; k < 9; ++k)
            finite &= isfinite(ds[k]);
        const double gij[3] = {ds[1], ds[2], ds[5]};
        const double dlim[3] = {dl[0], du[1], du[2]};
        for (int k = 0; k < 3; ++k)
            close &= fabs(gij[k] - ref_g[k]) < 0.1 * fabs(ref_g[k]) &&
                     fabs(dlim[k] - ref_dlim[k]) < 0.1 * fabs(ref_dlim[k]);
        tap_ok(st == MVN_OK && finite && close && ds[1] == ds[3],
               "%s route, nearly singular pair (det 3e-8): log P %.10g (ref %.10g), "
               "d_sigma_01 %g (ref %g), _02 %g (ref %g), _12 %g (ref %g), "
               "d_sigma_11 %g, %s", route ? "estimator" : "closed-form", lp, ref_logp,
               gij[0], ref_g[0], gij[1], ref_g[1], gij[2], ref_g[2], ds[4],
               mvn_status_name(st));
    }
    mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_CLOSED_FORM);
}

int main(void)
{
    (void)tap_skip_all;
    mvn_context *ctx = mvn_context_alloc();
    test_huge_limits(ctx);
    test_sov_exponents(ctx);
    test_scale_invariance(ctx);
    test_scaled_derivatives(ctx);
    test_one_status(ctx);
    test_derivative_cost(ctx);
    test_near_degenerate(ctx);
    test_dropped_pivot(ctx);
    test_trivariate_far_tail(ctx);
    test_transposed_pair(ctx);
    test_log_grad_range(ctx);
    test_singular_trivariate(ctx);
    test_singular_step(ctx);
    test_boundary_step(ctx);
    test_tail_step(ctx);
    test_standardized_overflow(ctx);
    test_narrow_log_grad(ctx);
    test_variance_range(ctx);
    test_subnormal_width(ctx);
    test_probability_at_most_one(ctx);
    test_huge_covariances(ctx);
    test_far_limits(ctx);
    test_nearly_singular_pair(ctx);
    mvn_context_free(ctx);
    return tap_exit();
}
