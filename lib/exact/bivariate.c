/* exact/bivariate.c -- standard bivariate normal cdf (Genz 2004) and rectangle probabilities with logs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mvni_bvn_cdf follows Genz (2004), "Numerical computation of rectangular
 * bivariate and trivariate normal and t probabilities", Statistics and
 * Computing 14:251-260, which refines Drezner & Wesolowsky (1990), J. Statist.
 * Comput. Simul. 35:101-107: for |r| < 0.925 the Sheppard/Plackett integral
 * over asin(r) by a 6-, 12- or 20-point Gauss-Legendre rule chosen by |r|;
 * for |r| >= 0.925 the integral in the variable sqrt(1 - r^2) with its
 * singular part removed by a two-term expansion.
 *
 * mvni_bvn_rect combines corners by inclusion-exclusion after reflecting
 * each variable so that its interval lies on the lower side, and switches to
 * a log-space quadrature of phi(x) [Phi(b(x)) - Phi(a(x))] for small
 * probabilities, where the corner differences lose relative accuracy.
 * See doc/algorithms/bivariate.md.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>

#include "exact/exact.h"
#include "mvnorm.h"

#define BVN_TWOPI 6.28318530717958647693
#define BVN_SQRT_2PI 2.50662827463100050242

#include "exact/kronrod.h"

/* Genz's Gauss-Legendre rule for Sheppard's integral at correlation r:
   6, 12 or 20 points by |r| (half of them stored, the rule being
   symmetric); returns the stored half's size. */
static int bvn_rule(double r, const double **x, const double **w)
{
    const double ar = fabs(r);
    if (ar < 0.3) {
        *x = gl6_x, *w = gl6_w;
        return 3;
    }
    if (ar < 0.75) {
        *x = gl12_x, *w = gl12_w;
        return 6;
    }
    *x = gl20_x, *w = gl20_w;
    return 10;
}

/*
 * The sines of Sheppard's integral at the rule's nodes, both halves:
 * sn[2i] = sin(A (1 - x_i)), sn[2i + 1] = sin(A (1 + x_i)), A = asin(r) / 2.
 * By the addition theorem from sin A and cos A (libm, once) and the sine
 * and cosine of B = A x_i, |B| < 0.6 (|r| < 0.925), by their Taylor
 * series to degree 17 and 16 (truncation below 1e-20): one pair of libm
 * calls per problem instead of one sin per node (up to 20), a sixth of
 * the bivariate kernel's time.  Each sine is within 2 ulp, as the libm
 * sine of the rounded product A (1 +- x_i) was.
 */
static void bvn_node_sines(double asr, const double *x, int n, double *sn)
{
    const double A = 0.5 * asr, sa = sin(A), ca = cos(A);
    for (int i = 0; i < n; ++i) {
        const double b = A * x[i], b2 = b * b;
        const double sb =
            b * (1.0 + b2 * (-1.0 / 6 + b2 * (1.0 / 120 + b2 * (-1.0 / 5040 + b2 * (1.0 / 362880 +
                b2 * (-1.0 / 39916800 + b2 * (1.0 / 6227020800.0 + b2 * (-1.0 / 1307674368000.0 +
                b2 * (1.0 / 355687428096000.0)))))))));
        const double cb =
            1.0 + b2 * (-0.5 + b2 * (1.0 / 24 + b2 * (-1.0 / 720 + b2 * (1.0 / 40320 +
                b2 * (-1.0 / 3628800 + b2 * (1.0 / 479001600.0 + b2 * (-1.0 / 87178291200.0 +
                b2 * (1.0 / 20922789888000.0))))))));
        sn[2 * i] = sa * cb - ca * sb;
        sn[2 * i + 1] = sa * cb + ca * sb;
    }
}

/*
 * P(X > h, Y > k), correlation r with |r| < 1, finite h and k: Genz's
 * method.  The structure follows the 2004 paper's description; the code is
 * ours.
 */
static double bvn_upper(double h, double k, double r)
{
    const double *x, *w;
    const int n = bvn_rule(r, &x, &w);
    const double ar = fabs(r);
    double hk = h * k;
    double s = 0.0;
    if (ar < 0.925) {
        /* Phi2 = Phi(-h)Phi(-k) + 1/(2 pi) int_0^asin r
           exp(-(h^2 + k^2 - 2 hk sin t)/(2 cos^2 t)) dt. */
        double hs = 0.5 * (h * h + k * k), asr = asin(r), sn[20], e[20];
        bvn_node_sines(asr, x, n, sn);
        for (int i = 0; i < 2 * n; ++i)
            e[i] = (sn[i] * hk - hs) / (1.0 - sn[i] * sn[i]);
        mvni_lanes_exp_neg((size_t)(2 * n), e, e);
        for (int i = 0; i < 2 * n; ++i)
            s += w[i / 2] * e[i];
        return s * asr / (2.0 * BVN_TWOPI) + mvn_norm_Q(h) * mvn_norm_Q(k);
    }
    /* |r| >= 0.925: integrate in x = sqrt(1 - rho^2) from 0 to
       sqrt(1 - r^2) after subtracting the part of the integrand that is
       singular at x = 0 (integrated in closed form: the terms before the
       loop). */
    if (r < 0.0) {
        k = -k;
        hk = -hk;
    }
    if (ar < 1.0) {
        double as = (1.0 - r) * (1.0 + r), a = sqrt(as);
        double bs = (h - k) * (h - k);
        double c = (4.0 - hk) / 8.0, d = (12.0 - hk) / 16.0;
        s = a * exp(-(bs / as + hk) / 2.0) *
            (1.0 - c * (bs - as) * (1.0 - d * bs / 5.0) / 3.0 + c * d * as * as / 5.0);
        if (hk > -160.0) {
            double b = sqrt(bs);
            s -= exp(-hk / 2.0) * BVN_SQRT_2PI * mvn_norm_P(-b / a) * b *
                 (1.0 - c * bs * (1.0 - d * bs / 5.0) / 3.0);
        }
        a /= 2.0;
        for (int i = 0; i < n; ++i) {
            for (int sg = -1; sg <= 1; sg += 2) {
                double xs = a * (1.0 + sg * x[i]);
                xs *= xs;
                double rs = sqrt(1.0 - xs);
                s += a * w[i] *
                     (exp(-bs / (2.0 * xs) - hk / (1.0 + rs)) / rs -
                      exp(-(bs / xs + hk) / 2.0) * (1.0 + c * xs * (1.0 + d * xs)));
            }
        }
        s = -s / BVN_TWOPI;
    }
    if (r > 0.0)
        return s + mvn_norm_Q(fmax(h, k));
    /* r < 0: P(X > h, -Y' > k') with k already negated. */
    if (h >= k)
        return -s;
    return mvni_norm_diff(h, k) - s;
}

double mvni_bvn_cdf(double h, double k, double r)
{
    if (isnan(h) || isnan(k) || isnan(r))
        return NAN;
    /* Beyond 40 standard deviations a limit is infinite to double
       precision (Q(40) = 3.7e-350, below the smallest subnormal), and the
       formulas below would square it (h^2 overflows from 1.3e154 on). */
    if (h > 40.0)
        h = INFINITY;
    if (k > 40.0)
        k = INFINITY;
    if (h < -40.0 || k < -40.0)
        return 0.0;
    if (h == -INFINITY || k == -INFINITY)
        return 0.0;
    if (h == INFINITY)
        return mvn_norm_P(k);
    if (k == INFINITY)
        return mvn_norm_P(h);
    if (r == 0.0)
        return mvn_norm_P(h) * mvn_norm_P(k);
    if (r >= 1.0)
        return mvn_norm_P(fmin(h, k));
    if (r <= -1.0) /* X = -Y: P(-k < X < h) */
        return mvni_norm_diff(-k, h);
    double p = bvn_upper(-h, -k, r);
    /* The formula's rounding can leave tiny negative values. */
    return p < 0.0 ? 0.0 : p;
}

/* ------------------------------------------------------------------ */
/* Log-space quadrature of log-concave integrands                     */
/* ------------------------------------------------------------------ */

/* ------------------------------------------------------------------ */
/* Rectangles                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    double lo2, hi2, r, s; /* s = sqrt(1 - r^2) */
    double w;              /* (hi2 - lo2) / s: the conditional width */
} bvn_slice;

/* log of phi(x) P(lo2 < Y < hi2 | X = x); a narrow interval by its
   width, which the rounding of r x does not touch. */
static double bvn_slice_log(double x, const void *vctx)
{
    const bvn_slice *c = (const bvn_slice *)vctx;
    double rx = c->r * x;
    double a = (c->lo2 - rx) / c->s, b = (c->hi2 - rx) / c->s;
    return -0.5 * x * x - MVNI_LN_SQRT_2PI + mvni_log_norm_diff_width(a, b, c->w);
}

/*
 * The same log for the quadrature's search steps only (the maximum by
 * golden section and the truncation points, about 45 evaluations): those
 * need the log to far less than 1e-6 (the maximum only scales the
 * integrand and places panel boundaries), so two libm erfc calls and a
 * log, about 60 ns, do instead of the 215 ns of mvni_log_norm_diff.  Where
 * the interval is narrow (cancellation) or an argument is beyond 30
 * (erfc's relative accuracy and range), the exact form is used.  The
 * panels themselves use bvn_slice_panel, so the result does not depend on
 * this approximation beyond where the panels are cut.
 */
static double bvn_slice_log_search(double x, const void *vctx)
{
    const bvn_slice *c = (const bvn_slice *)vctx;
    double rx = c->r * x;
    double a = (c->lo2 - rx) / c->s, b = (c->hi2 - rx) / c->s;
    double near = a > 0.0 ? a : (b < 0.0 ? b : 0.0);
    if ((b - a) * fmax(1.0, fabs(near)) > 1.0 && fabs(near) < 30.0) {
        const double k = 0.70710678118654752440; /* 1 / sqrt 2 */
        double d;
        if (a >= 0.0)
            d = 0.5 * (erfc(a * k) - erfc(b * k));
        else if (b <= 0.0)
            d = 0.5 * (erfc(-b * k) - erfc(-a * k));
        else
            d = 1.0 - 0.5 * (erfc(-a * k) + erfc(b * k));
        if (d > 0.0)
            return -0.5 * x * x - MVNI_LN_SQRT_2PI + log(d);
    }
    return bvn_slice_log(x, vctx);
}

/*
 * A panel of the same integrand, exp(log - m) at 21 nodes, with the Phi
 * values from the vector kernels (exact/lanes.c): P(a < Y < b | x) is
 * written as A - B or 1 - A - B with A, B Phi values at arguments <= 0,
 * which the kernel gives to 16 eps relative, and B <= 0.32 A where the
 * interval is not narrow (w max(1, |nearest point to 0|) > 1, the test of
 * exact/univariate.c), so the difference keeps that relative accuracy.
 * Narrow intervals, and panels of a maximum m < -600 (where the
 * conditional probability can fall below the 1e-300 down to which the
 * kernel is relatively accurate), take the scalar log-space path.  About
 * 30 ns per node instead of 230.
 */
static void bvn_slice_panel(const double x[21], double m, const void *vctx,
                            double out[21])
{
    const bvn_slice *c = (const bvn_slice *)vctx;
    double pa[21], pb[21], A[21], B[21];
    int form[21]; /* 0: A - B, 1: 1 - A - B, 2: scalar */
    for (int i = 0; i < 21; ++i) {
        double rx = c->r * x[i];
        double a = (c->lo2 - rx) / c->s, b = (c->hi2 - rx) / c->s;
        double near = a > 0.0 ? a : (b < 0.0 ? b : 0.0);
        pa[i] = pb[i] = 0.0;
        if (m < -600.0 || !((b - a) * fmax(1.0, fabs(near)) > 1.0)) {
            form[i] = 2;
        } else if (a >= 0.0) {
            form[i] = 0, pa[i] = -a, pb[i] = -b;
        } else if (b <= 0.0) {
            form[i] = 0, pa[i] = b, pb[i] = a;
        } else {
            form[i] = 1, pa[i] = a, pb[i] = -b;
        }
    }
    mvni_lanes_phi(21, pa, A);
    mvni_lanes_phi(21, pb, B);
    for (int i = 0; i < 21; ++i) {
        if (form[i] == 2)
            out[i] = exp(bvn_slice_log(x[i], c) - m);
        else
            out[i] = exp(-0.5 * x[i] * x[i] - MVNI_LN_SQRT_2PI - m) *
                     (form[i] ? 1.0 - A[i] - B[i] : A[i] - B[i]);
    }
}

/* Below this probability the rectangle is recomputed by the log-space
   quadrature: Genz's formula has an absolute error near 1e-16, so the
   relative error of corner sums grows as p falls. */
#define BVN_SMALL 1e-4

/*
 * P(l1 < X < h1, l2 < Y < h2) for |r| < 0.925 in one pass: Sheppard's
 * integral of Genz's first branch applied to the rectangle,
 *   P = P(l1 < X < h1) P(l2 < Y < h2)
 *     + 1/(2 pi) int_0^asin r sum over corners (x, y) of s_x s_y
 *       exp(-(x^2 + y^2 - 2 x y sin t) / (2 cos^2 t)) dt
 * (s = -1 at a lower, +1 at an upper limit; infinite corners add 0), on
 * the Gauss-Legendre rule Genz chooses by |r|.  The sine and 1/cos^2 of a
 * node are shared by the four corners, so the rectangle costs one cdf's
 * nodes plus three exponentials per node, instead of four cdfs.  Limits
 * beyond 40 are infinite to double precision, as in mvni_bvn_cdf.
 */
static double bvn_rect_sheppard(double l1, double h1, double l2, double h2, double r)
{
    const double *x, *w;
    const int n = bvn_rule(r, &x, &w);
    const double cx[2] = {l1 < -40.0 ? -INFINITY : l1, h1 > 40.0 ? INFINITY : h1};
    const double cy[2] = {l2 < -40.0 ? -INFINITY : l2, h2 > 40.0 ? INFINITY : h2};
    double hs[4], hk[4], sg[4];
    int m = 0;
    for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b)
            if (isfinite(cx[a]) && isfinite(cy[b])) {
                hs[m] = 0.5 * (cx[a] * cx[a] + cy[b] * cy[b]);
                hk[m] = cx[a] * cy[b];
                sg[m] = a == b ? 1.0 : -1.0;
                ++m;
            }
    double asr = asin(r), s = 0.0, sn[20], e[80];
    bvn_node_sines(asr, x, n, sn);
    /* The exponents (each <= 0: h^2 + k^2 >= 2 |h k|), all at once for
       the vector exp, then summed in the order of the nodes. */
    for (int i = 0; i < 2 * n; ++i) {
        double ic = 1.0 / (1.0 - sn[i] * sn[i]);
        for (int j = 0; j < m; ++j)
            e[i * m + j] = (sn[i] * hk[j] - hs[j]) * ic;
    }
    mvni_lanes_exp_neg((size_t)(2 * n * m), e, e);
    for (int i = 0; i < 2 * n; ++i) {
        double v = 0.0;
        for (int j = 0; j < m; ++j)
            v += sg[j] * e[i * m + j];
        s += w[i / 2] * v;
    }
    double q = s * asr / (2.0 * BVN_TWOPI) + mvni_norm_diff(cx[0], cx[1]) * mvni_norm_diff(cy[0], cy[1]);
    return q < 0.0 ? 0.0 : q;
}

static void swap2(double *a, double *b)
{
    double t = *a;
    *a = *b, *b = t;
}

double mvni_bvn_rect(const double lo[2], const double hi[2], double r,
                     double *p, double *logp)
{
    double l1 = lo[0], h1 = hi[0], l2 = lo[1], h2 = hi[1];
    if (!(l1 < h1) || !(l2 < h2)) {
        *p = 0.0;
        *logp = -INFINITY;
        return 0.0;
    }
    /* Degenerate and factorizing cases, exact up to rounding. */
    if (r == 0.0 || (l1 == -INFINITY && h1 == INFINITY) ||
        (l2 == -INFINITY && h2 == INFINITY)) {
        *logp = mvni_log_norm_diff(l1, h1) + mvni_log_norm_diff(l2, h2);
        *p = mvni_norm_diff(l1, h1) * mvni_norm_diff(l2, h2);
        return 4.0 * DBL_EPSILON * *p;
    }
    if (r >= 1.0 || r <= -1.0) {
        double a, b;
        if (r >= 1.0) {
            a = fmax(l1, l2), b = fmin(h1, h2);
        } else { /* Y = -X */
            a = fmax(l1, -h2), b = fmin(h1, -l2);
        }
        *p = mvni_norm_diff(a, b);
        *logp = mvni_log_norm_diff(a, b);
        return 4.0 * DBL_EPSILON * *p;
    }
    /* Reflect each variable whose interval leans to the upper side, so
       that the corner terms are lower-tail probabilities. */
    if (l1 > -h1) {
        double t = l1;
        l1 = -h1, h1 = -t, r = -r;
    }
    if (l2 > -h2) {
        double t = l2;
        l2 = -h2, h2 = -t, r = -r;
    }
    double q;
    int nterms = 1;
    if (fabs(r) < 0.925) {
        q = bvn_rect_sheppard(l1, h1, l2, h2, r);
        /* The corners with a finite lower limit add terms; an orthant
           is one. */
        nterms = (l1 > -INFINITY ? 2 : 1) * (l2 > -INFINITY ? 2 : 1);
    } else {
        q = mvni_bvn_cdf(h1, h2, r);
    }
    if (fabs(r) >= 0.925 && l1 > -INFINITY) {
        q -= mvni_bvn_cdf(l1, h2, r);
        ++nterms;
    }
    if (fabs(r) >= 0.925 && l2 > -INFINITY) {
        q -= mvni_bvn_cdf(h1, l2, r);
        ++nterms;
    }
    if (fabs(r) >= 0.925 && l1 > -INFINITY && l2 > -INFINITY) {
        q += mvni_bvn_cdf(l1, l2, r);
        ++nterms;
    }
    double err = 1e-15 * nterms;
    if (q > BVN_SMALL && q > 1e3 * err) {
        *p = q;
        *logp = log(q);
        return err;
    }
    /* Small probability: integrate over one variable in logs, the first
       unless that loses digits the second does not.  Conditioned on X = x,
       Y's limits move by r x, and where |r x| is large against the width
       of Y's interval, its two limits are formed from nearly equal numbers
       and the width is lost: beyond about 1e16 times the width the
       slice's interval was empty (log P = -inf for X in (1e20, 1e21), Y in
       (-1, 3), log P = -5.1e39); for Y in (-6e-25, 9e-25) and X < 5e-25,
       x = O(1) left log P off by 7 with a relative error estimate of 1.
       The other variable's conditional limits keep their width. */
    const double lose1 = mvni_slice_cancellation(l1, h1, r, h2 - l2);
    if (lose1 > MVNI_SLICE_CANCEL && mvni_slice_cancellation(l2, h2, r, h1 - l1) < lose1) {
        swap2(&l1, &l2);
        swap2(&h1, &h2);
    }
    const double sr = sqrt((1.0 - r) * (1.0 + r));
    bvn_slice c = {l2, h2, r, sr, (h2 - l2) / sr};
    double rel;
    double lq = mvni_log_integrate_concave_v(bvn_slice_log_search, bvn_slice_panel, &c, l1, h1, &rel);
    *logp = lq;
    *p = exp(lq);
    /* The integrand's arguments carry rounding errors of order eps |limit|,
       which move log p by about eps limit^2: the problem's own conditioning,
       included in the bound. */
    /* Only limits within 40 count: where p > 0, a limit beyond 40 lies on
       the side without mass (it is infinite to double precision, see
       mvni_bvn_cdf) and its rounding moves nothing; squaring it would
       overflow abserr to +inf (fuzz finding abserr-inf, limit 2.6e161). */
    double big = 0.0;
    const double lim[4] = {l1, h1, l2, h2};
    for (int i = 0; i < 4; ++i)
        if (fabs(lim[i]) <= 40.0)
            big = fmax(big, fabs(lim[i]));
    if (*p == 0.0) /* also where big^2 overflows: no inf * 0 */
        return 0.0;
    return (rel + 1e-14 + 8.0 * DBL_EPSILON * (1.0 + big * big)) * *p;
}
