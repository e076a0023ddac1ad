/* exact/univariate.c -- the standard normal cdf, its logs and inverses, interval probabilities.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Methods (see doc/algorithms/univariate.md for the measured accuracy):
 *   Phi(x)      0.5 erfc(-x/sqrt 2) with a correction for the rounding of
 *               -x/sqrt 2, so the relative error stays a few ulps in the tail.
 *   log Phi(x)  the log of the above while Phi(x) is a normal number; below
 *               x = -37 the asymptotic (Laplace) series of the Mills ratio.
 *   Phi^-1(p)   Wichura (1988), Algorithm AS 241 (PPND16), Applied
 *               Statistics 37:477-484, refined by one Halley step.
 *   log-space inverse: Newton on log Phi from an asymptotic start.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>

#include "exact/exact.h"
#include "mvnorm.h"

/* 1/sqrt(2), log(sqrt(2 pi)) and 1/sqrt(2 pi), correctly rounded. */
#define MVNI_SQRT1_2 0.70710678118654752440
#define MVNI_1_SQRT_2PI 0.39894228040143267794

/* Below this x, Phi(x) approaches the subnormal range (Phi(-37) = 5.7e-300)
   and the log is taken from the asymptotic series instead. */
#define MVNI_ASYMPTOTIC_X (-37.0)

/*
 * Phi(x) for x <= 0 (the lower tail, where relative accuracy matters).
 * erfc is evaluated at t = fl(-x/sqrt 2) and the exact erfc(-x/sqrt 2)
 * differs from erfc(t) by the factor exp(t^2 - x^2/2) times a factor
 * 1 + O(eps) from erfcx; the first factor is computed from exact products
 * (fma), which keeps the relative error a few ulps instead of growing like
 * x^2 eps.
 */
static double lower_tail(double x)
{
    if (x < -40.0) /* Phi(-38.5) is below the smallest subnormal */
        return 0.0;
    double t = -x * MVNI_SQRT1_2;
    double e = erfc(t);
    if (x > -1.0)
        return 0.5 * e;
    double xx = x * x, xx_lo = fma(x, x, -xx);
    double tt = t * t, tt_lo = fma(t, t, -tt);
    /* 0.5 xx and tt agree to a few ulps, so their difference is exact. */
    double delta = (0.5 * xx - tt) + (0.5 * xx_lo - tt_lo);
    return 0.5 * e * exp(-delta);
}

MVN_API double mvn_norm_P(double x)
{
    if (isnan(x))
        return x;
    if (x <= 0.0)
        return lower_tail(x);
    return 1.0 - lower_tail(-x);
}

MVN_API double mvn_norm_Q(double x)
{
    return mvn_norm_P(-x);
}

MVN_API double mvn_norm_pdf(double x)
{
    if (isnan(x))
        return x;
    /* phi(38.6) is below the smallest subnormal.  Beyond it the split
       below would multiply exp(-x^2/2) = 0 by exp(-xx_lo/2), which
       overflows once |x| exceeds about 1e19 (and 0 * inf is NaN). */
    if (!(fabs(x) <= 40.0))
        return 0.0;
    /* exp(-x^2/2) with x^2 split into its rounded value and the exact
       rounding error, so the relative error does not grow like x^2 eps. */
    double xx = x * x, xx_lo = fma(x, x, -xx);
    return MVNI_1_SQRT_2PI * exp(-0.5 * xx) * exp(-0.5 * xx_lo);
}

/*
 * log Phi(x) for x < MVNI_ASYMPTOTIC_X (so z = -x > 37): Phi(x) =
 * phi(z)/z * S with the asymptotic series S = sum_n (-1)^n (2n-1)!!/z^(2n)
 * (Abramowitz & Stegun 26.2.12).  At z = 37 its terms fall by a factor
 * 1/z^2 = 7.3e-4 per step, so about 9 terms reach 1e-17; the error of a
 * truncated alternating series is below the first omitted term.
 * mills_series(z) returns S.
 */
static double mills_series(double z)
{
    double s = 1.0;
    if (z < 1e8) {
        double iz2 = 1.0 / (z * z), term = 1.0;
        for (int n = 1; n < 40; ++n) {
            term *= -(2.0 * n - 1.0) * iz2;
            s += term;
            if (fabs(term) < 1e-17)
                break;
        }
    }
    return s;
}

static double log_lower_asymptotic(double x)
{
    double z = -x;
    /* z^2 / 2 as (z / 2) z, split into its rounded value and rounding
       error: the same numbers as halving z^2 and its error, but without
       the overflow of z^2 for 1.34e154 < z < 1.9e154, where log Phi is
       still a finite double (-1.1e308 at z = 1.5e154). */
    double hz = 0.5 * z, hzz = hz * z, hzz_lo = fma(hz, z, -hzz);
    if (isinf(hzz)) /* the true value is below -DBL_MAX */
        return -INFINITY;
    return (-hzz + (-log(z) - MVNI_LN_SQRT_2PI + log(mills_series(z)))) -
           hzz_lo;
}

MVN_API double mvn_norm_logP(double x)
{
    if (isnan(x))
        return x;
    if (x < MVNI_ASYMPTOTIC_X)
        return log_lower_asymptotic(x);
    if (x <= 0.0)
        return log(lower_tail(x));
    return log1p(-lower_tail(-x));
}

MVN_API double mvn_norm_logQ(double x)
{
    return mvn_norm_logP(-x);
}

/* ------------------------------------------------------------------ */
/* Inverse                                                            */
/* ------------------------------------------------------------------ */

/* Wichura (1988), AS 241 (PPND16): coefficients in as241.h. */
#include "common/as241.h"

static double ratio7(const double *num, const double *den, double r)
{
    double n = num[7], d = den[7];
    for (int i = 6; i >= 0; --i) {
        n = n * r + num[i];
        d = d * r + den[i];
    }
    return n / d;
}

/* PPND16 for 0 < p <= 0.5 (result <= 0); lp = log(p). */
static double ppnd16_lower(double p, double lp)
{
    double q = p - 0.5;
    if (q >= -0.425) {
        double r = 0.180625 - q * q;
        return q * ratio7(as241_a, as241_b, r);
    }
    double r = sqrt(-lp);
    if (r <= 5.0)
        return -ratio7(as241_c, as241_d, r - 1.6);
    return -ratio7(as241_e, as241_f, r - 5.0);
}

/*
 * Newton iteration on f(x) = log Phi(x) - lp, for lp where Phi^-1(exp(lp))
 * is far in the lower tail; f'(x) = phi(x)/Phi(x), evaluated in logs.
 * f is concave and increasing, so Newton from any start converges
 * monotonically after the first step; a handful of steps reach rounding.
 */
static double newton_logP(double x, double lp)
{
    for (int it = 0; it < 12; ++it) {
        double lP = mvn_norm_logP(x);
        /* phi(x)/Phi(x): from the series where log phi and log Phi are
           both huge and their difference would cancel. */
        double dlP = x < MVNI_ASYMPTOTIC_X
                         ? -x / mills_series(-x)
                         : exp(-0.5 * x * x - MVNI_LN_SQRT_2PI - lP);
        double dx = (lP - lp) / dlP;
        x -= dx;
        if (fabs(dx) <= 1e-16 * fabs(x))
            break;
    }
    return x;
}

/* Phi^-1(p) for 0 < p <= 0.5, given p and lp = log p. */
static double inv_lower(double p, double lp)
{
    if (p < 1e-300) {
        /* Halley on Phi(x) - p would work with subnormal numbers here;
           the log-space Newton does not. */
        return newton_logP(ppnd16_lower(p, lp), lp);
    }
    double x = ppnd16_lower(p, lp);
    /* One Halley step on Phi(x) - p: PPND16 is good to about 1e-16
       relative, the step removes the last ulps of its rounding.  Phi(x) - p
       is computed in the lower tail, where both are relatively accurate. */
    double e = lower_tail(x) - p;
    double u = e / mvn_norm_pdf(x);
    return x - u / (1.0 + 0.5 * x * u);
}

MVN_API double mvn_norm_Pinv(double p)
{
    if (isnan(p) || p < 0.0 || p > 1.0)
        return NAN;
    if (p == 0.0)
        return -INFINITY;
    if (p == 1.0)
        return INFINITY;
    if (p <= 0.5)
        return inv_lower(p, log(p));
    /* 1 - p is exact for p >= 0.5 (Sterbenz). */
    double q = 1.0 - p;
    return -inv_lower(q, log(q));
}

MVN_API double mvn_norm_Qinv(double q)
{
    if (isnan(q) || q < 0.0 || q > 1.0)
        return NAN;
    return -mvn_norm_Pinv(q);
}

MVN_API double mvn_norm_logPinv(double lp)
{
    if (isnan(lp) || lp > 0.0)
        return NAN;
    if (lp == 0.0)
        return INFINITY;
    if (lp == -INFINITY)
        return -INFINITY;
    if (lp > -0.69314718055994530942) { /* lp > log(1/2) */
        /* p > 1/2: use q = 1 - p = -expm1(lp), computed without
           cancellation. */
        double q = -expm1(lp);
        return -inv_lower(q, log(q));
    }
    if (lp > -690.0)
        return inv_lower(exp(lp), lp);
    /* exp(lp) underflows: start from the first terms of the asymptotic
       inversion, x^2 = -2 lp - log(-2 lp) - log(2 pi) (plus O(log/lp)), and
       polish by Newton on log Phi. */
    double u = -2.0 * lp;
    if (isinf(u)) /* lp < -DBL_MAX / 2: x = -sqrt(-2 lp) to rounding */
        return -sqrt(2.0) * sqrt(-lp);
    return newton_logP(-sqrt(u - log(u) - 2.0 * MVNI_LN_SQRT_2PI), lp);
}

/* ------------------------------------------------------------------ */
/* Interval probabilities                                             */
/* ------------------------------------------------------------------ */

/*
 * 10-point Gauss-Legendre rule on [-1, 1] (positive nodes; the rule is
 * symmetric).  Computed by us with mpmath at 40 digits (Newton on the
 * Legendre recurrence); the weights sum to 2 within 1e-40.
 */
static const double gl10_x[5] = {
    0.973906528517171720078, 0.865063366688984510732, 0.679409568299024406234,
    0.433395394129247190799, 0.148874338981631210885};
static const double gl10_w[5] = {
    0.0666713443086881375936, 0.149451349150580593146, 0.219086362515982043996,
    0.269266719309996355091, 0.295524224714752870174};

/*
 * log(Phi(b) - Phi(a)) for a narrow interval, |b - a| max(1, |c|) <= 1
 * where c is the point of [a, b] nearest 0: the integral of phi written as
 * phi(c) * integral of exp(-(t - c)(t + c)/2), a sum of positive terms.  On
 * such an interval the integrand is analytic and varies by at most a factor
 * e^1.5, and the 10-point rule's error term (b - a)^20 f^(20) / 20! ...
 * is below 1e-20 relative.  narrow_sum returns the integral divided by
 * phi(c); the probability itself is phi(c) times it (not the exp of the
 * log, whose rounding would be amplified by |log p|).
 */
static double narrow_sum(double a, double b, double c, double h)
{
    double s = 0.0;
    for (int i = 0; i < 5; ++i) {
        /* The nodes are written as offsets u from c, which are relatively
           accurate; forming t = m + h x first would add an absolute
           rounding error ulp(c) to t - c, amplified by |c| in the
           exponent -u (2c + u)/2. */
        double u1, u2;
        if (c == b) {
            u1 = -h * (1.0 - gl10_x[i]);
            u2 = -h * (1.0 + gl10_x[i]);
        } else if (c == a) {
            u1 = h * (1.0 - gl10_x[i]);
            u2 = h * (1.0 + gl10_x[i]);
        } else { /* c = 0 inside the interval */
            double m = 0.5 * (a + b);
            u1 = m - h * gl10_x[i];
            u2 = m + h * gl10_x[i];
        }
        s += gl10_w[i] * (exp(-0.5 * u1 * (2.0 * c + u1)) +
                          exp(-0.5 * u2 * (2.0 * c + u2)));
    }
    return h * s;
}

static double log_narrow(double a, double b, double c, double h)
{
    double cc = c * c, cc_lo = fma(c, c, -cc);
    return (-0.5 * cc - MVNI_LN_SQRT_2PI + log(narrow_sum(a, b, c, h))) -
           0.5 * cc_lo;
}

/* Point of [a, b] nearest 0, and whether the interval counts as narrow. */
static int is_narrow(double a, double b, double *c)
{
    *c = a > 0.0 ? a : (b < 0.0 ? b : 0.0);
    double w = b - a;
    return w * fmax(1.0, fabs(*c)) <= 1.0;
}

double mvni_log_norm_diff(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    if (!(a < b))
        return -INFINITY;
    double c;
    if (is_narrow(a, b, &c))
        return log_narrow(a, b, c, 0.5 * (b - a));
    /* Wide intervals: the subtracted tail is at most 0.32 of the larger
       one (Q(a + w)/Q(a) <= Q(1)/Q(0) when w >= 1, <= e^-1 when a w >= 1),
       so the log1p form loses at most half a digit of relative accuracy. */
    /* When even the larger tail is below -DBL_MAX in logs (a limit beyond
       1.9e154 standard deviations), so is the difference; the form below
       would give -inf - (-inf) = NaN. */
    if (a >= 0.0) {
        double la = mvn_norm_logQ(a), lb = mvn_norm_logQ(b);
        if (la == -INFINITY)
            return la;
        return la + log1p(-exp(lb - la));
    }
    if (b <= 0.0) {
        double la = mvn_norm_logP(a), lb = mvn_norm_logP(b);
        if (lb == -INFINITY)
            return lb;
        return lb + log1p(-exp(la - lb));
    }
    /* a < 0 < b and b - a > 1: the probability exceeds 0.34. */
    return log1p(-(lower_tail(a) + lower_tail(-b)));
}

double mvni_log_norm_diff_width(double a, double b, double w)
{
    double c;
    /* Only a narrow interval takes w: for a wide one a + w would cancel
       instead (a = -8e279, w = 8e279 for b = -1.2e5: P = 3.27, fuzz
       finding regress-bvn-width-huge), and b - a is accurate there. */
    if (isfinite(a) && isfinite(b) && w > 0.0 && is_narrow(a, b, &c))
        return log_narrow(a, b, c, 0.5 * w);
    return mvni_log_norm_diff(a, b);
}

double mvni_norm_diff(double a, double b)
{
    if (isnan(a) || isnan(b))
        return NAN;
    if (!(a < b))
        return 0.0;
    double c;
    if (is_narrow(a, b, &c))
        return mvn_norm_pdf(c) * narrow_sum(a, b, c, 0.5 * (b - a));
    if (a >= 0.0) {
        double qa = lower_tail(-a);
        if (qa < DBL_MIN) /* subnormal results: go through logs */
            return exp(mvni_log_norm_diff(a, b));
        return qa - lower_tail(-b);
    }
    if (b <= 0.0) {
        double pb = lower_tail(b);
        if (pb < DBL_MIN)
            return exp(mvni_log_norm_diff(a, b));
        return pb - lower_tail(a);
    }
    return 1.0 - (lower_tail(a) + lower_tail(-b));
}
