/*
 * api/quantile.c -- equicoordinate quantiles (mvn_quantile_equi): the q
 * with P(X < q 1) = p, P(X > q 1) = p or P(-q 1 < X < q 1) = p, mvtnorm's
 * qmvnorm.
 *
 * P is increasing in q (lower and both tails; the upper tail is the lower
 * tail of -X) and log-concave in q (Prekopa: P(l < X < u) is log-concave
 * in (l, u) jointly, and q moves the limits along a line), so Newton's
 * method on log P(q) = log p converges monotonically once on the left of
 * the root, and from the right overshoots at most once.  The slope comes
 * from the closed-form derivative dP/dq = sum of the limit derivatives at
 * the start, then from secants of log P (P alone costs a fraction of P
 * with its derivatives).  It is kept
 * inside a bracket that is valid from the start:
 *   lower tail: P(q) <= min_i P(X_i < q), and P(q) >= 1 - sum_i P(X_i > q)
 *   (Bonferroni), so the root lies between max_i (mu_i + s_i Phi^-1(p))
 *   and max_i (mu_i + s_i Q^-1((1 - p) / d));
 *   both tails: the same with the univariate two-sided probabilities.
 * A step that leaves the bracket is replaced by bisection.  The start is
 * the root of the independence (Sidak) product, which for the positive
 * correlations of simultaneous inference is close.
 *
 * Stopping: |P(q) - p| <= max(1e-6 tolerance, abserr of P(q)), with the
 * tolerance of the context (max(abseps, releps p)) -- the same accuracy
 * the caller asks of a probability.  The error of q is propagated from P:
 * q_err = (|P(q) - p| + abserr) / (dP/dq).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "api/context.h"
#include "backend/validate.h"
#include "mvnorm.h"

/* Newton iterations at most; each evaluates P (the first also its limit
   derivatives). */
#define QUANTILE_MAX_ITER 60

/* 1 - P(a < X_i < b) for one coordinate X_i ~ N(m, s^2), accurate where
   it is tiny: the two tails, each from its own side. */
static double univariate_outside(double a, double b, double m, double s)
{
    if (s == 0.0)
        return (m > a && m < b) ? 0.0 : 1.0;
    double lo = isinf(a) ? 0.0 : mvn_norm_P((a - m) / s);
    double hi = isinf(b) ? 0.0 : mvn_norm_Q((b - m) / s);
    return lo + hi;
}

/* The q >= 0 with 1 - P(-q < X_i < q) = c (0 < c < 1): the outside mass
   decreases in q; bisection to the last bit (it is cheap). */
static double two_sided_root(double m, double s, double c)
{
    double lo = 0.0, hi = fabs(m) + s * fmax(mvn_norm_Qinv(0.5 * c), 0.0) + 1e-300;
    while (univariate_outside(-hi, hi, m, s) > c) /* s = 0: the point m */
        hi = 2.0 * hi + 1.0;
    for (int it = 0; it < 2100 && hi - lo > 0.0; ++it) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (univariate_outside(-mid, mid, m, s) > c)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* The q at which one coordinate leaves outside mass c: the lower tail
   P(X_i > q) = c, or both tails 1 - P(-q < X_i < q) = c. */
static double marginal_root(int both, double m, double s, double c)
{
    return both ? two_sided_root(m, s, c) : m + s * mvn_norm_Qinv(c);
}

/* Sum over coordinates of log P(limits at q) under independence. */
static double sidak_log(size_t d, int both, const double *m, const double *s, double q)
{
    double t = 0.0;
    for (size_t i = 0; i < d; ++i)
        t += log1p(-univariate_outside(both ? -q : -INFINITY, q, m[i], s[i]));
    return t;
}

/* Root of the independence approximation within [lo, hi]. */
static double sidak_start(size_t d, int both, const double *m, const double *s,
                          double p, double lo, double hi)
{
    const double lp = log(p);
    for (int it = 0; it < 200 && hi > lo; ++it) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (sidak_log(d, both, m, s, mid) < lp)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void set_nan(double *x)
{
    if (x)
        *x = NAN;
}

MVN_API int mvn_quantile_equi(mvn_context *ctx, size_t d, double p, int tail,
                              const double *mean, const double *sigma,
                              double *q, double *q_err, double *p_at_q,
                              double *p_err)
{
    set_nan(q);
    set_nan(q_err);
    set_nan(p_at_q);
    set_nan(p_err);
    if (ctx == NULL)
        return MVN_EINVAL;
    mvni_context_begin(ctx);
    int st = mvni_check_dim(d, ctx->message, sizeof ctx->message);
    if (st != MVN_OK)
        return st;
    if (isnan(p))
        return mvni_fail(ctx, MVN_ENAN, "p is NaN");
    if (!(p > 0.0 && p < 1.0))
        return mvni_fail(ctx, MVN_EINVAL, "p = %g is outside (0, 1)", p);
    if (tail != MVN_TAIL_LOWER && tail != MVN_TAIL_UPPER && tail != MVN_TAIL_BOTH)
        return mvni_fail(ctx, MVN_EINVAL,
                         "tail = %d is none of MVN_TAIL_LOWER (0), MVN_TAIL_UPPER (1), "
                         "MVN_TAIL_BOTH (2)", tail);
    if (sigma == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "sigma must not be NULL");
    const int both = tail == MVN_TAIL_BOTH;
    /* The upper tail of X is the lower tail of -X ~ N(-mean, Sigma). */
    const double sign = tail == MVN_TAIL_UPPER ? -1.0 : 1.0;

    double *buf = (double *)malloc(6 * d * sizeof(double));
    if (buf == NULL)
        return mvni_fail(ctx, MVN_ENOMEM, "out of memory for d = %zu", d);
    double *m = buf, *s = buf + d, *lower = buf + 2 * d, *upper = buf + 3 * d;
    double *dl = buf + 4 * d, *du = buf + 5 * d;
    int bad = 0;
    for (size_t i = 0; i < d; ++i) {
        m[i] = mean ? sign * mean[i] : 0.0;
        const double v = sigma[i * d + i];
        s[i] = sqrt(v);
        bad |= !isfinite(m[i]) || !isfinite(v) || !(v >= 0.0);
    }
    if (bad) {
        /* mvn_prob says which input is wrong, in the library's words. */
        for (size_t i = 0; i < d; ++i)
            lower[i] = -INFINITY, upper[i] = 0.0;
        st = mvn_prob(ctx, d, lower, upper, mean, sigma, NULL, NULL, NULL);
        free(buf);
        return st != MVN_OK && st != MVN_ETOL ? st : mvni_fail(ctx, MVN_EINVAL, "invalid mean or sigma");
    }

    /* The bracket (file comment), then the start inside it. */
    double lo = -INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < d; ++i) {
        /* The lower tail's lower bound from Phi^-1(p) itself: 1 - p rounds
           to 1 for p below 1e-17 (Q^-1(1) = -inf made the limits -inf). */
        lo = fmax(lo, both ? two_sided_root(m[i], s[i], 1.0 - p)
                           : m[i] + s[i] * mvn_norm_Pinv(p));
        hi = fmax(hi, marginal_root(both, m[i], s[i], (1.0 - p) / (double)d));
    }
    if (!(hi >= lo)) /* rounding of the two roots for d = 1 */
        hi = lo;
    double x = sidak_start(d, both, m, s, p, lo, hi);

    double abseps, releps;
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    mvn_context_get(ctx, MVN_OPT_RELEPS, &releps);
    const double tol = fmax(abseps, releps * p);
    /* The mean the probability calls see: reflected for the upper tail. */
    const double *mu = mean ? m : NULL;

    double P = NAN, logP = NAN, err = NAN, dlog = NAN, evals = 0.0;
    double prev_x = NAN, prev_P = NAN, prev_logP = NAN, prev_err = NAN;
    int iter = 0, pst = MVN_OK, converged = 0;
    for (; iter < QUANTILE_MAX_ITER; ++iter) {
        for (size_t i = 0; i < d; ++i)
            lower[i] = both ? -x : -INFINITY, upper[i] = x;
        if (!(dlog > 0.0)) {
            /* The slope from the closed-form limit derivatives: at the
               start, and again while P underflows. */
            pst = mvn_prob_grad(ctx, d, lower, upper, mu, sigma, &P, &logP, &err, dl, du,
                                NULL, NULL);
            double slope = 0.0;
            for (size_t i = 0; i < d; ++i)
                slope += du[i] - (both ? dl[i] : 0.0);
            dlog = P > 0.0 ? slope / P : NAN;
        } else {
            /* Then P alone (a fraction of the cost at the same accuracy),
               the slope of log P from the secant where the two values
               differ beyond their errors: log P is concave, so the
               secant brackets the slope between the two points. */
            pst = mvn_prob(ctx, d, lower, upper, mu, sigma, &P, &logP, &err);
            if (P > 0.0 && prev_P > 0.0 && fabs(P - prev_P) > 10.0 * (err + prev_err)) {
                const double sec = (logP - prev_logP) / (x - prev_x);
                if (sec > 0.0)
                    dlog = sec;
            }
        }
        evals += mvn_context_evaluations(ctx);
        if (pst != MVN_OK && pst != MVN_ETOL)
            break;
        const double diff = P - p;
        if (fabs(diff) <= fmax(1e-6 * tol, err)) {
            converged = 1;
            break;
        }
        if (diff < 0.0)
            lo = x;
        else
            hi = x;
        prev_x = x, prev_P = P, prev_logP = logP, prev_err = err;
        /* Newton on log P; bisection where P underflows or the step
           leaves the bracket. */
        double next = P > 0.0 && dlog > 0.0 ? x + (log(p) - logP) / dlog : NAN;
        if (!(next > lo && next < hi))
            next = 0.5 * (lo + hi);
        if (next == x || !(hi - lo > 4.0 * DBL_EPSILON * fmax(1.0, fabs(x))))
            break; /* P jumps across p (a zero variance), or q is resolved to rounding */
        x = next;
    }
    ctx->evaluations = evals;
    if (pst != MVN_OK && pst != MVN_ETOL) {
        free(buf);
        return pst;
    }
    const double diff = fabs(P - p), slope = dlog * P;
    if (q)
        *q = sign * x;
    if (q_err)
        *q_err = slope > 0.0 ? (diff + err) / slope : INFINITY;
    if (p_at_q)
        *p_at_q = P;
    if (p_err)
        *p_err = err;
    free(buf);
    if (pst == MVN_OK && (converged || diff <= tol))
        return MVN_OK;
    return mvni_fail(ctx, MVN_ETOL,
                     "the probability at q = %.17g is %.17g, %.3g from p = %.17g "
                     "(abserr %.3g, tolerance %.3g) after %d evaluations of P",
                     sign * x, P, diff, p, err, tol, iter + 1);
}
