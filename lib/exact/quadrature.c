/*
 * exact/quadrature.c -- the one adaptive quadrature of the exact kernels:
 * log-space integration of a log-concave integrand by Gauss-Kronrod
 * panels, the tail path of the bivariate and trivariate rectangles; and
 * the fixed Gauss-Legendre rule of the chain and MA(1) recursions.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>

#include "exact/exact.h"
#include "exact/kronrod.h"

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
 *   3. Adaptive Gauss-Kronrod: each panel by the 21-point Kronrod rule
 *      with QUADPACK's error estimate (panel_sum); the worst panel is
 *      halved until the summed estimate is below 1e-13 relative, or
 *      MVNI_LQ_MAXPANELS (64) panels are used, or the splits stop paying
 *      at the rounding-noise level (see the loop); a tighter target would
 *      only chase the rounding noise of the integrand (its arguments
 *      carry errors of order eps |limit|).  64 panels were 200 until
 *      2026-12: with the noise stop the test suite's accuracy checks pass
 *      unchanged with 64 at a level, and the cap bounds one bivariate tail at
 *      MVNI_LQ_FIXED + 64 * 21 = 1730 evaluations
 *      (it was 4550).
 * Writes the relative error estimate to *relerr.  Used as the tail path of
 * the rectangle functions of bivariate.c and trivariate.c.
 */
#define LQ_MAXPANELS MVNI_LQ_MAXPANELS

/*
 * Work bound.  The trivariate tail path integrates, by this routine, an
 * integrand that calls the bivariate rectangle, whose tail path calls this
 * routine again: nested, each level could use 200 panels of 21 points
 * (the cap before 2026-12), so
 * one trivariate call could cost 200 * 21 * 200 * 21 = 1.8e7 evaluations
 * of Phi (about 1.3 s) where the integrands are not smooth, as for the
 * singular conditional problems of the derivatives of a rank-deficient
 * Sigma (issue 14, finding 8).  Every evaluation of an integrand, at every
 * level, is counted per thread; the outermost call allows LQ_WORK_BUDGET
 * of them for refinement: once spent, no level of that call halves another
 * panel and each returns its current sum with its error estimate (which
 * the kernels report).  What is left are the fixed steps of each level
 * (the maximum and truncation searches and the first four panels, at most
 * MVNI_LQ_FIXED = 1 + 102 + 4 + 160 + 2 * LQ_SHRINK + 84 = 383
 * evaluations), so one call of an
 * exact kernel costs at most MVNI_LQ_MAX_WORK (5.6e5) integrand
 * evaluations (exact/exact.h).  Smooth integrands converge far
 * below the budget (the test suite's largest nested use is below 1e5), so
 * their results are unchanged.
 */
#define LQ_WORK_BUDGET MVNI_LQ_BUDGET
#define LQ_NOISY 4
#define LQ_NOISE_FLOOR 1e-6 /* see rtol in integrate */
#define LQ_DROP 46.0  /* the truncation level, f < M - LQ_DROP */
#define LQ_SHRINK 16  /* first-step shrinks of a truncation search */

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && !defined(__STDC_NO_THREADS__)
#define LQ_THREAD_LOCAL _Thread_local
#else
#define LQ_THREAD_LOCAL __thread
#endif

static LQ_THREAD_LOCAL double lq_work;  /* integrand evaluations, all levels */
static LQ_THREAD_LOCAL double lq_limit; /* lq_work at which refinement stops */
static LQ_THREAD_LOCAL int lq_depth;    /* nesting level of the running call */

double mvni_quad_work(void)
{
    return lq_work;
}

/* An integrand evaluation, counted. */
static double lq_eval(mvni_logfn f, const void *ctx, double x)
{
    lq_work += 1.0;
    return f(x, ctx);
}

/* The 21-point Gauss-Kronrod rule (kr21_*) is in exact/kronrod.h. */

/* One panel by the 21-point Kronrod rule with QUADPACK's error estimate
   (qk21, Piessens et al. 1983): the difference from the embedded 10-point
   Gauss rule, scaled by (200 |K - G| / resasc)^1.5, which follows the
   error of the 21-point result kept (exact to degree 31) rather than that
   of the 10-point rule, and at least 50 eps times the panel's integral
   (the integrand is positive).  The former estimate, |K - G| itself, was
   the 10-point rule's error: it asked for 2-4 times more panels than the
   result needed. */
static double panel_sum(mvni_logfn f, mvni_panelfn g, const void *ctx,
                        double a, double b, double m, double *err)
{
    double c = 0.5 * (a + b), h = 0.5 * (b - a), f0, f1[10], f2[10];
    if (g != NULL) { /* the whole panel in one call (vector kernels) */
        double x[21], v[21];
        x[0] = c;
        for (int i = 0; i < 10; ++i) {
            x[1 + 2 * i] = c - h * kr21_x[i];
            x[2 + 2 * i] = c + h * kr21_x[i];
        }
        lq_work += 21.0;
        g(x, m, ctx, v);
        f0 = v[0];
        for (int i = 0; i < 10; ++i)
            f1[i] = v[1 + 2 * i], f2[i] = v[2 + 2 * i];
    } else {
        f0 = exp(lq_eval(f, ctx, c) - m);
        for (int i = 0; i < 10; ++i) {
            f1[i] = exp(lq_eval(f, ctx, c - h * kr21_x[i]) - m);
            f2[i] = exp(lq_eval(f, ctx, c + h * kr21_x[i]) - m);
        }
    }
    double sk = kr21_w0 * f0, sg = 0.0;
    for (int i = 0; i < 10; ++i) {
        double v = f1[i] + f2[i];
        sk += kr21_w[i] * v;
        if (i & 1)
            sg += gl10_w[i >> 1] * v;
    }
    double mean = 0.5 * sk, asc = kr21_w0 * fabs(f0 - mean);
    for (int i = 0; i < 10; ++i)
        asc += kr21_w[i] * (fabs(f1[i] - mean) + fabs(f2[i] - mean));
    double e = h * fabs(sk - sg);
    asc *= h;
    if (asc != 0.0 && e != 0.0) {
        double q = 200.0 * e / asc;
        e = asc * fmin(1.0, q * sqrt(q));
    }
    *err = fmax(e, 50.0 * DBL_EPSILON * h * sk);
    return h * sk;
}

static double integrate(mvni_logfn f, mvni_panelfn g, const void *ctx,
                        double lo, double hi, double *relerr);

double mvni_log_integrate_concave_v(mvni_logfn f, mvni_panelfn g, const void *ctx,
                                    double lo, double hi, double *relerr)
{
    if (lq_depth == 0)
        lq_limit = lq_work + LQ_WORK_BUDGET;
    ++lq_depth;
    double v = integrate(f, g, ctx, lo, hi, relerr);
    --lq_depth;
    return v;
}

double mvni_log_integrate_concave(mvni_logfn f, const void *ctx, double lo,
                                  double hi, double *relerr)
{
    return mvni_log_integrate_concave_v(f, NULL, ctx, lo, hi, relerr);
}

/* The distance at which the search for the maximum compares f(x) with
   f(x + h) to tell whether f still rises towards x: 1e-6 (1 + |x|), or
   4e-15 sqrt(|f(x)|) where that is larger.  f's rounding noise is about
   eps |f|.  Where the maximum lies a distance D away and f falls like
   -(x - D)^2 / (2 s^2) (s <= 1: f'' <= -1), D <= sqrt(2 |f|) s and f
   changes over h by D h / s^2, beyond the noise eps D^2 / (2 s^2) once
   h > eps D / 2, which 4e-15 sqrt(|f|) is, 25 times over.  With f =
   -3.6e23 (a trivariate tail with a limit of 1e12) the change over
   1e-6 (1 + |x|) was below the noise, the search stopped at -50 instead
   of -4.5e11 and log P came out as -5e23 (-3.57e23 exactly). */
static double probe_step(double x, double fx)
{
    return fmax(1e-6 * (1.0 + fabs(x)), 4e-15 * sqrt(fabs(fx)));
}

/* Where f falls below m - LQ_DROP (e^-46 = 1e-20 relative) on the side
   dir (-1: left, +1: right) of the maximum xm, or the limit lim if it
   does not before that: steps outward, doubling, from
   1e-3 (1 + min(|xm|, 100)).  Beyond |xm| = 100, where the phi factor
   alone makes the peak narrower than 0.5, a peak narrower than the first
   step is found by shrinking the step first: f is concave, so it lies
   above its chord, and f(xm + dir s) >= m - LQ_DROP for s = step LQ_DROP
   / (m - f(xm + dir step)); half of that is the new first step (once, or
   up to LQ_SHRINK times where f is -inf there).  Without it a maximum at
   a limit of -1e8, where f' = 1e8 and the peak is 1e-7 wide, was
   truncated 0.1 away, its panels' nodes all gave exp(f - m) = 0 and
   log P = -inf for a bivariate orthant with log P = -5e15.  Within 100
   the panels refine such peaks, and shrinking there moved the panels of
   a singular trivariate tail (tests/test_extremes.c, test_derivative_cost)
   to an error estimate of 2e-3 from 5e-13. */
static double truncation_point(mvni_logfn f, const void *ctx, double xm,
                               double m, double lim, double dir)
{
    double step = 1e-3 * (1.0 + fmin(fabs(xm), 100.0));
    double edge = xm;
    int shrinks = 0;
    for (int it = 0; it < 80; ++it) {
        double t = xm + dir * step;
        if (dir * (t - lim) >= 0.0)
            return lim;
        edge = t;
        double v = lq_eval(f, ctx, t);
        if (!(v < m - LQ_DROP))
            step *= 2.0;
        else if (it == 0 && fabs(xm) > 100.0 && shrinks < LQ_SHRINK &&
                   xm + dir * 1e-3 * step != xm) {
            step *= isfinite(v) ? 0.5 * LQ_DROP / (m - v) : 1.0 / 1024.0;
            ++shrinks;
            --it; /* the shrunk step is the first step again */
        } else {
            break;
        }
    }
    return edge;
}

static double integrate(mvni_logfn f, mvni_panelfn g, const void *ctx,
                        double lo, double hi, double *relerr)
{
    *relerr = 0.0;
    if (!(lo < hi))
        return -INFINITY;
    /* Search interval for the maximum: the finite limits, or 50 beyond the
       finite one (the integrands carry a phi(x) factor, so the maximum is
       within a few units of 0 or of the nearest finite limit). */
    double A = isfinite(lo) ? lo : (isfinite(hi) ? fmin(hi, 0.0) - 50.0 : -50.0);
    double B = isfinite(hi) ? hi : (isfinite(lo) ? fmax(lo, 0.0) + 50.0 : 50.0);
    /* On an infinite side, move the bound out while the function still
       rises towards it, so that [A, B] holds the maximum (f is concave).
       The inner factor can put the maximum far beyond 50: a trivariate
       tail with a standardized limit of 200 has it near -100, and the
       search that stopped at -50 gave exp(f - M) = inf and P = NaN
       (found by tests/fuzz/fuzz_cli.c). */
    /* The integrands carry a phi(x) factor times a probability (exact.h),
       so f(x) <= -x^2 / 2 - ln sqrt(2 pi), and the maximum lies within
       |x| <= r0 = sqrt(-2 (f(x0) + ln sqrt(2 pi))) for any x0 in [lo, hi]
       where f is finite; x0 is the point nearest 0.  The search stays
       inside (and inside +-100, where it always stayed: the bracket
       below and the golden section's tolerance, which depend on it, are
       unchanged there): with a finite limit of 1e15 (a limit far on the side
       without mass) the golden section ran among integrand values of
       -1e28, rounding noise at the level of 1e12, and returned log P =
       -1e28 for a trivariate P of 4.7e-7 (fuzz finding
       exact-vs-qmc-huge-limit); with a limit of -1e308 it ran among
       values of -inf. */
    const double x0 = fmin(fmax(0.0, lo), hi);
    const double f0 = lq_eval(f, ctx, x0);
    const double r0 = isfinite(f0) ? fmax(sqrt(fmax(0.0, -2.0 * (f0 + MVNI_LN_SQRT_2PI))) * (1.0 + 1e-6) + 1.0, 100.0)
                                   : INFINITY;
    A = fmax(A, -r0);
    B = fmin(B, r0);
    if (!(A < B)) /* the limits and the 50 beyond them: x0 is the maximum */
        A = fmin(A, x0), B = fmax(B, x0);
    for (double step = 50.0; !isfinite(lo) && step < 1e300 && A > -r0; step *= 2.0) {
        const double fa = lq_eval(f, ctx, A), h = probe_step(A, fa);
        if (!(fa > lq_eval(f, ctx, A + h)))
            break;
        B = fmin(B, A + h);
        A -= step;
    }
    for (double step = 50.0; !isfinite(hi) && step < 1e300 && B < r0; step *= 2.0) {
        const double fb = lq_eval(f, ctx, B), h = probe_step(B, fb);
        if (!(fb > lq_eval(f, ctx, B - h)))
            break;
        A = fmax(A, B - h);
        B += step;
    }
    const double gr = 0.61803398874989484820; /* golden section */
    double x1 = B - gr * (B - A), x2 = A + gr * (B - A);
    double f1 = lq_eval(f, ctx, x1), f2 = lq_eval(f, ctx, x2);
    /* The scale is capped: the peak's width does not grow with the
       limits (|f''| >= 1 from the phi factor), and limits of 1e8, met in
       the conditional problems of a singular Sigma, left M off by 1e8 and
       exp(f - M) = inf.  Below the cap (limits within 40 of 0, as the
       kernels' limits are) nothing changes. */
    const double scale = 1.0 + fmin(fabs(A) + fabs(B), 100.0);
    for (int it = 0; it < 100 && (B - A) > 1e-4 * scale; ++it) {
        /* -inf values (outside the support) compare correctly. */
        if (f1 < f2) {
            A = x1;
            x1 = x2, f1 = f2;
            x2 = A + gr * (B - A);
            f2 = lq_eval(f, ctx, x2);
        } else {
            B = x2;
            x2 = x1, f2 = f1;
            x1 = B - gr * (B - A);
            f1 = lq_eval(f, ctx, x1);
        }
    }
    double xm = f1 > f2 ? x1 : x2, m = fmax(f1, f2);
    if (isfinite(lo)) {
        double v = lq_eval(f, ctx, lo);
        if (v > m)
            xm = lo, m = v;
    }
    if (isfinite(hi)) {
        double v = lq_eval(f, ctx, hi);
        if (v > m)
            xm = hi, m = v;
    }
    if (!(m > -INFINITY))
        return -INFINITY;
    /* Truncation points: step outward with doubling steps. */
    const double L = truncation_point(f, ctx, xm, m, lo, -1.0);
    const double R = truncation_point(f, ctx, xm, m, hi, 1.0);
    /* Adaptive panels; start with two on each side of the maximum, so the
       kink-free but strongly skewed sides are resolved separately. */
    double pa[LQ_MAXPANELS], pb[LQ_MAXPANELS], ps[LQ_MAXPANELS], pe[LQ_MAXPANELS];
    int np = 0;
    double cuts[5] = {L, 0.5 * (L + xm), xm, 0.5 * (xm + R), R};
    for (int i = 0; i < 4; ++i) {
        if (cuts[i + 1] > cuts[i]) {
            pa[np] = cuts[i], pb[np] = cuts[i + 1];
            ps[np] = panel_sum(f, g, ctx, pa[np], pb[np], m, &pe[np]);
            ++np;
        }
    }
    /* Splits that fail to halve the error of the panel they split: a
       smooth integrand's error falls by far more (the rule is exact to
       degree 31), so these are rounding noise of the integrand (its
       arguments carry errors of order eps |limit|, and narrow conditional
       intervals amplify them) or a kink; refining further only chases the
       noise (a rectangle with a conditional interval of width 3e-5 used
       all 200 panels, 8300 evaluations).  After LQ_NOISY of them, once
       the estimate is below 1e-10 relative (so that only the last digits
       are chased; a kink at a coarser level is still refined), the
       current sum and its error estimate are returned. */
    int noisy = 0;
    /* The relative target: 1e-13, or 4 eps |M| where that is larger
       (log P below about -112).  The integrand's logs carry rounding errors
       of about eps |f| ~ eps |M|, so exp(f - M) is known to that relative
       accuracy only, and log P to 4 eps |M| absolute is all its digits.
       Asking for 1e-13 there chased that noise through the whole work
       budget: a trivariate with standardized limits near -9e6 (log P =
       -5.4e13) took 31 ms, and the Student t probability that integrates
       over such problems 43 s (fuzz finding cli-timeout-t-huge-mean). */
    const double rtol = fmax(1e-13, 4.0 * DBL_EPSILON * fabs(m));
    /* Beyond LQ_NOISE_FLOOR (|M| above about 1e9) the noise of the
       integrand's values is above 1e-6 relative, and the panel estimates
       measure that noise, not the rule's error: the four first panels are
       the answer, with their estimate (at least rtol, added below). */
    for (;;) {
        double tot = 0.0, err = 0.0;
        int worst = 0;
        for (int i = 0; i < np; ++i) {
            tot += ps[i];
            err += pe[i];
            if (pe[i] > pe[worst])
                worst = i;
        }
        /* Where |f| is beyond about 1e17 (standardized limits beyond 1e9)
           its rounding error exceeds 709 and exp(f - m) overflows: the
           integral is not resolvable in double, but m alone is log P to
           a relative accuracy far below 1e-10 there.  Say so through a
           relative error of 1 rather than return NaN.  The same where
           every node underflowed or the panels have no width left (tot =
           0; f' beyond 1e9 at the maximum, a peak narrower than the
           rounding of its abscissae; an interval of a few subnormals):
           log P = -inf, the former answer, claimed that P is exactly 0,
           but f(xm) = m is finite and exp(f) is continuous.  The maximum
           times the width of the truncated range (of the interval when
           that has none) is then the estimate: log(width) is noise next
           to |m| in the first case and the answer's half in the last (a
           2-D box of width 1.5e-323 has log P = -1488, m = -745). */
        if (!isfinite(tot) || tot <= 0.0) {
            const double width = R > L ? R - L : hi - lo;
            *relerr = 1.0;
            return isfinite(width) && width > 0.0 ? m + log(width) : m;
        }
        if (err <= rtol * tot || np + 1 >= LQ_MAXPANELS || rtol > LQ_NOISE_FLOOR ||
            lq_work >= lq_limit || (noisy >= LQ_NOISY && err <= 1e-10 * tot)) {
            *relerr = fmax(err / tot, rtol > 1e-13 ? rtol : 0.0) + 1e-20 * 8.0;
            return m + log(tot);
        }
        double a = pa[worst], b = pb[worst], c = 0.5 * (a + b), e0 = pe[worst];
        pb[worst] = c;
        ps[worst] = panel_sum(f, g, ctx, a, c, m, &pe[worst]);
        pa[np] = c, pb[np] = b;
        ps[np] = panel_sum(f, g, ctx, c, b, m, &pe[np]);
        if (pe[worst] + pe[np] > 0.5 * e0)
            ++noisy;
        ++np;
    }
}

void mvni_gauss_legendre(int n, double *x, double *w)
{
    const double pi = 3.14159265358979323846;
    for (int i = 0; i < (n + 1) / 2; ++i) {
        double z = cos(pi * (i + 0.75) / (n + 0.5)), dp = 1.0;
        for (int it = 0; it < 100; ++it) {
            double p0 = 1.0, p1 = z;
            for (int k = 2; k <= n; ++k) {
                const double p2 = ((2 * k - 1) * z * p1 - (k - 1) * p0) / k;
                p0 = p1;
                p1 = p2;
            }
            dp = n * (z * p1 - p0) / (z * z - 1.0);
            const double dz = p1 / dp;
            z -= dz;
            if (fabs(dz) < 1e-16)
                break;
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        w[i] = w[n - 1 - i] = 2.0 / ((1.0 - z * z) * dp * dp);
    }
}
