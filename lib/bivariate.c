/* bivariate.c -- standard bivariate normal cdf (Genz 2004) and rectangle probabilities with logs.
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

#include "internal.h"
#include "mvnorm.h"

#define BVN_TWOPI 6.28318530717958647693
#define BVN_SQRT_2PI 2.50662827463100050242
#define BVN_LN_SQRT_2PI 0.91893853320467274178

#include "gauss_legendre.h"

/*
 * P(X > h, Y > k), correlation r with |r| < 1, finite h and k: Genz's
 * method.  The structure follows the 2004 paper's description; the code is
 * ours.
 */
static double bvn_upper(double h, double k, double r)
{
    const double *x, *w;
    int n;
    double ar = fabs(r);
    if (ar < 0.3) {
        x = gl6_x, w = gl6_w, n = 3;
    } else if (ar < 0.75) {
        x = gl12_x, w = gl12_w, n = 6;
    } else {
        x = gl20_x, w = gl20_w, n = 10;
    }
    double hk = h * k;
    double s = 0.0;
    if (ar < 0.925) {
        /* Phi2 = Phi(-h)Phi(-k) + 1/(2 pi) int_0^asin r
           exp(-(h^2 + k^2 - 2 hk sin t)/(2 cos^2 t)) dt. */
        double hs = 0.5 * (h * h + k * k), asr = asin(r);
        for (int i = 0; i < n; ++i) {
            for (int sg = -1; sg <= 1; sg += 2) {
                double sn = sin(0.5 * asr * (1.0 + sg * x[i]));
                s += w[i] * exp((sn * hk - hs) / (1.0 - sn * sn));
            }
        }
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

/*
 * log of the integral over (lo, hi) of exp(f(x)), for f concave (a
 * log-concave integrand: phi times the probability of an interval or
 * rectangle under a Gaussian shifted linearly in x, by Prekopa's theorem).
 *   1. The maximum M = f(x*) by golden-section search, to 1e-4 of the
 *      scale 1 + |A| + |B| of the search interval: M only scales the
 *      integrand and x* only places panel boundaries and starts the
 *      truncation search.  A location error delta lowers M by about
 *      |f''| delta^2 / 2, below 0.02 even for the sharpest peaks met
 *      (|f''| ~ limit^2 ~ 1600 at limits of 40, delta ~ 5e-3), which costs
 *      nothing: exp(f - M) then peaks near 1.02 and the truncation still
 *      drops by more than 45.  The looser tolerance takes about 18
 *      golden-section steps instead of 40 (a quarter of the tail path's
 *      integrand evaluations for orthants).
 *   2. Truncation points where f < M - 46 (e^-46 = 1e-20 relative: by
 *      concavity the neglected tails are below that times a modest factor).
 *   3. Adaptive Gauss-Kronrod: each panel by the 21-point Kronrod rule and
 *      its embedded 10-point Gauss rule, their difference its error
 *      estimate; the worst panel is halved until the summed estimate is
 *      below 1e-13 relative or 200 panels are used.  The estimate is that
 *      of the 10-point rule, so the 21-point result kept is far more
 *      accurate for these smooth integrands; a tighter
 *      target would only chase the rounding noise of the integrand (its
 *      arguments carry errors of order eps |limit|).
 * Writes the relative error estimate to *relerr.  Used as the tail path of
 * the rectangle functions here and in trivariate.c.
 */
#define LQ_MAXPANELS 200

/* The 21-point Gauss-Kronrod rule (kr21_*) is in gauss_legendre.h. */

/* One panel by the 21-point Kronrod rule, its difference from the embedded
   10-point Gauss rule the error estimate (pessimistic: it is the error of
   the 10-point rule; the 21-point rule is exact to degree 31). */
static double panel_sum(mvni_logfn f, const void *ctx, double a, double b,
                        double m, double *err)
{
    double c = 0.5 * (a + b), h = 0.5 * (b - a);
    double sk = kr21_w0 * exp(f(c, ctx) - m), sg = 0.0;
    for (int i = 0; i < 10; ++i) {
        double v = exp(f(c - h * kr21_x[i], ctx) - m) + exp(f(c + h * kr21_x[i], ctx) - m);
        sk += kr21_w[i] * v;
        if (i & 1)
            sg += gl10_w[i >> 1] * v;
    }
    *err = h * fabs(sk - sg);
    return h * sk;
}

double mvni_log_integrate_concave(mvni_logfn f, const void *ctx, double lo,
                                  double hi, double *relerr)
{
    *relerr = 0.0;
    if (!(lo < hi))
        return -INFINITY;
    /* Search interval for the maximum: the finite limits, or 50 beyond the
       finite one (the integrands carry a phi(x) factor, so the maximum is
       within a few units of 0 or of the nearest finite limit). */
    double A = isfinite(lo) ? lo : (isfinite(hi) ? fmin(hi, 0.0) - 50.0 : -50.0);
    double B = isfinite(hi) ? hi : (isfinite(lo) ? fmax(lo, 0.0) + 50.0 : 50.0);
    const double g = 0.61803398874989484820;
    double x1 = B - g * (B - A), x2 = A + g * (B - A);
    double f1 = f(x1, ctx), f2 = f(x2, ctx);
    for (int it = 0; it < 100 && (B - A) > 1e-4 * (1.0 + fabs(A) + fabs(B)); ++it) {
        /* -inf values (outside the support) compare correctly. */
        if (f1 < f2) {
            A = x1;
            x1 = x2, f1 = f2;
            x2 = A + g * (B - A);
            f2 = f(x2, ctx);
        } else {
            B = x2;
            x2 = x1, f2 = f1;
            x1 = B - g * (B - A);
            f1 = f(x1, ctx);
        }
    }
    double xm = f1 > f2 ? x1 : x2, m = fmax(f1, f2);
    if (isfinite(lo) && f(lo, ctx) > m)
        xm = lo, m = f(lo, ctx);
    if (isfinite(hi) && f(hi, ctx) > m)
        xm = hi, m = f(hi, ctx);
    if (!(m > -INFINITY))
        return -INFINITY;
    /* Truncation points: step outward with doubling steps. */
    const double drop = 46.0;
    double L = xm, R = xm;
    double step = 1e-3 * (1.0 + fabs(xm));
    /* Scale steps to the local width when the maximum is sharp. */
    for (int it = 0; it < 80; ++it) {
        double t = xm - step;
        if (t <= lo) {
            L = lo;
            break;
        }
        L = t;
        if (f(t, ctx) < m - drop)
            break;
        step *= 2.0;
    }
    step = 1e-3 * (1.0 + fabs(xm));
    for (int it = 0; it < 80; ++it) {
        double t = xm + step;
        if (t >= hi) {
            R = hi;
            break;
        }
        R = t;
        if (f(t, ctx) < m - drop)
            break;
        step *= 2.0;
    }
    /* Adaptive panels; start with two on each side of the maximum, so the
       kink-free but strongly skewed sides are resolved separately. */
    double pa[LQ_MAXPANELS], pb[LQ_MAXPANELS], ps[LQ_MAXPANELS], pe[LQ_MAXPANELS];
    int np = 0;
    double cuts[5] = {L, 0.5 * (L + xm), xm, 0.5 * (xm + R), R};
    for (int i = 0; i < 4; ++i) {
        if (cuts[i + 1] > cuts[i]) {
            pa[np] = cuts[i], pb[np] = cuts[i + 1];
            ps[np] = panel_sum(f, ctx, pa[np], pb[np], m, &pe[np]);
            ++np;
        }
    }
    for (;;) {
        double tot = 0.0, err = 0.0;
        int worst = 0;
        for (int i = 0; i < np; ++i) {
            tot += ps[i];
            err += pe[i];
            if (pe[i] > pe[worst])
                worst = i;
        }
        if (err <= 1e-13 * tot || np + 1 >= LQ_MAXPANELS || tot <= 0.0) {
            *relerr = tot > 0.0 ? err / tot + 1e-20 * 8.0 : 0.0;
            return m + log(tot);
        }
        double a = pa[worst], b = pb[worst], c = 0.5 * (a + b);
        pb[worst] = c;
        ps[worst] = panel_sum(f, ctx, a, c, m, &pe[worst]);
        pa[np] = c, pb[np] = b;
        ps[np] = panel_sum(f, ctx, c, b, m, &pe[np]);
        ++np;
    }
}

/* ------------------------------------------------------------------ */
/* Rectangles                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    double lo2, hi2, r, s; /* s = sqrt(1 - r^2) */
} bvn_slice;

/* log of phi(x) P(lo2 < Y < hi2 | X = x). */
static double bvn_slice_log(double x, const void *vctx)
{
    const bvn_slice *c = (const bvn_slice *)vctx;
    double rx = c->r * x;
    double a = (c->lo2 - rx) / c->s, b = (c->hi2 - rx) / c->s;
    return -0.5 * x * x - BVN_LN_SQRT_2PI + mvni_log_norm_diff(a, b);
}

/* Below this probability the rectangle is recomputed by the log-space
   quadrature: Genz's formula has an absolute error near 1e-16, so the
   relative error of corner sums grows as p falls. */
#define BVN_SMALL 1e-4

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
    double q = mvni_bvn_cdf(h1, h2, r);
    int nterms = 1;
    if (l1 > -INFINITY) {
        q -= mvni_bvn_cdf(l1, h2, r);
        ++nterms;
    }
    if (l2 > -INFINITY) {
        q -= mvni_bvn_cdf(h1, l2, r);
        ++nterms;
    }
    if (l1 > -INFINITY && l2 > -INFINITY) {
        q += mvni_bvn_cdf(l1, l2, r);
        ++nterms;
    }
    double err = 1e-15 * nterms;
    if (q > BVN_SMALL && q > 1e3 * err) {
        *p = q;
        *logp = log(q);
        return err;
    }
    /* Small probability: integrate over the first variable in logs. */
    bvn_slice c = {l2, h2, r, sqrt((1.0 - r) * (1.0 + r))};
    double rel;
    double lq = mvni_log_integrate_concave(bvn_slice_log, &c, l1, h1, &rel);
    *logp = lq;
    *p = exp(lq);
    /* The integrand's arguments carry rounding errors of order eps |limit|,
       which move log p by about eps limit^2: the problem's own conditioning,
       included in the bound. */
    double big = 0.0;
    const double lim[4] = {l1, h1, l2, h2};
    for (int i = 0; i < 4; ++i)
        if (isfinite(lim[i]))
            big = fmax(big, fabs(lim[i]));
    return (rel + 1e-14 + 8.0 * DBL_EPSILON * (1.0 + big * big)) * *p;
}
