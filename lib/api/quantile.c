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
 *
 * The multivariate t (mvn_quantile_equi_t, mvtnorm's qmvt): the same
 * search on T = loc + (Y + delta) / W, its probabilities from mvn_prob_t.
 * P is increasing in q as before, but the t has no closed-form limit
 * derivatives here: the first slope is that of the independence
 * approximation (a central difference of its log), the later ones
 * secants.  The marginals are univariate t probabilities (mvn_prob_t
 * with d = 1, noncentral where delta is set), and the bracket's and the
 * start's roots come from bisection on them instead of the normal's
 * closed-form inverses.  log-concavity does not hold for the t (its
 * tails are polynomial); the bracket keeps every step safe regardless.
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

/* The law whose quantile is sought, after the reflection of the upper
   tail: X = m + s Z for the normal (df = inf); for the t,
   T = m + (Y + delta) / W, Y ~ N(0, Sigma), with scale s_i = sqrt(Sigma_ii)
   per coordinate.  ctx serves the t's univariate probabilities. */
typedef struct {
    mvn_context *ctx;
    size_t d;
    double df;        /* +inf: the normal */
    const double *m;  /* location, d */
    const double *s;  /* standard deviations (scales), d */
    const double *delta; /* t noncentrality (reflected), d, or NULL */
    int both;
} qdist;

/* P(lo < T_i < up) of one t coordinate; 0 where it fails (the inputs were
   validated by the caller, so it does not).  Always by the exact route
   (METHOD_AUTO: the chi quadrature over exact univariate normals, 1e-12
   relative, 0.1-0.3 ms), whatever method the caller chose for the joint
   probability: these values only place the bracket and the start, and
   under METHOD_QMC each was a 512-355k point lattice integration with
   errors of 1e-4 (a bracket search of a few hundred of them took 33 s:
   fuzz finding timeout-t-quantile-step).  The option is set directly and
   restored (mvn_context_set would clear the context's message). */
static double t_marginal(const qdist *q, size_t i, double lo, double up)
{
    const double v = q->s[i] * q->s[i];
    const double a = lo - q->m[i], b = up - q->m[i];
    const double dl = q->delta ? q->delta[i] : 0.0;
    const double method = q->ctx->option[MVN_OPT_METHOD];
    q->ctx->option[MVN_OPT_METHOD] = MVN_METHOD_AUTO;
    double P = 0.0;
    if (mvn_prob_t(q->ctx, 1, q->df, &a, &b, q->delta ? &dl : NULL, &v, &P, NULL, NULL) !=
        MVN_OK)
        P = fmax(P, 0.0);
    q->ctx->option[MVN_OPT_METHOD] = method;
    return isfinite(P) ? P : 0.0;
}

/* 1 - P(a < X_i < b) for one coordinate, accurate where it is tiny: the
   two tails, each from its own side. */
static double univariate_outside(const qdist *q, size_t i, double a, double b)
{
    const double m = q->m[i], s = q->s[i];
    if (s == 0.0)
        return (m > a && m < b) ? 0.0 : 1.0;
    if (isfinite(q->df))
        return (isinf(a) ? 0.0 : t_marginal(q, i, -INFINITY, a)) +
               (isinf(b) ? 0.0 : t_marginal(q, i, b, INFINITY));
    double lo = isinf(a) ? 0.0 : mvn_norm_P((a - m) / s);
    double hi = isinf(b) ? 0.0 : mvn_norm_Q((b - m) / s);
    return lo + hi;
}

/* The outside mass of coordinate i at q: beyond q (lower tail) or beyond
   +-q (both tails); decreasing in q. */
static double outside_at(const qdist *q, size_t i, double x)
{
    return univariate_outside(q, i, q->both ? -x : -INFINITY, x);
}

/* The x with f(x) = c for a function f decreasing in x: bracket by
   doubling steps from x0, then bisection, to the last bit for the normal
   (cheap) and to 1e-12 relative for the t (each value an integral). */
static double decreasing_root(const qdist *q, size_t i, int below, double c, double x0,
                              double step)
{
    /* below: f(x) = -P(X_i < x) (decreasing), target -c. */
    #define QF(x) (below ? -t_marginal(q, i, -INFINITY, (x)) : outside_at(q, i, (x)))
    const double target = below ? -c : c;
    /* A step below x0's rounding would double a thousand times before
       moving x (scale 1e-153 at a location of 4: 510 t probabilities). */
    step = fmax(step, 4.0 * DBL_EPSILON * fabs(x0));
    double lo = x0, hi = x0;
    if (QF(x0) > target) {
        do {
            lo = hi;
            hi = x0 + step;
            step *= 2.0;
        } while (QF(hi) > target && isfinite(hi));
    } else {
        do {
            hi = lo;
            lo = x0 - step;
            step *= 2.0;
        } while (!(QF(lo) > target) && isfinite(lo));
    }
    const double rel = isfinite(q->df) ? 1e-12 : 0.0;
    for (int it = 0; it < 2100; ++it) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi || hi - lo <= rel * fmax(1.0, fabs(mid)))
            break;
        if (QF(mid) > target)
            lo = mid;
        else
            hi = mid;
    }
    #undef QF
    return hi;
}

/* The q >= 0 with 1 - P(-q < X_i < q) = c (0 < c < 1), normal: the
   outside mass decreases in q; bisection to the last bit (it is cheap). */
static double two_sided_root(const qdist *q, size_t i, double c)
{
    const double m = q->m[i], s = q->s[i];
    double lo = 0.0, hi = fabs(m) + s * fmax(mvn_norm_Qinv(0.5 * c), 0.0) + 1e-300;
    while (univariate_outside(q, i, -hi, hi) > c) /* s = 0: the point m */
        hi = 2.0 * hi + 1.0;
    for (int it = 0; it < 2100 && hi - lo > 0.0; ++it) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (univariate_outside(q, i, -mid, mid) > c)
            lo = mid;
        else
            hi = mid;
    }
    return hi;
}

/* The q at which coordinate i leaves outside mass c (the lower tail
   P(X_i > q) = c, or both tails 1 - P(-q < X_i < q) = c). */
static double marginal_root(const qdist *q, size_t i, double c)
{
    if (isfinite(q->df)) {
        const double x0 = q->both ? fabs(q->m[i]) + q->s[i] : q->m[i];
        return q->both && q->s[i] == 0.0 ? fabs(q->m[i])
                                         : decreasing_root(q, i, 0, c, x0, q->s[i] + 1e-300);
    }
    return q->both ? two_sided_root(q, i, c) : q->m[i] + q->s[i] * mvn_norm_Qinv(c);
}

/* The q with P(X_i < q) = p: the lower tail's lower bound, from the
   inverse itself (1 - p rounds to 1 for p below 1e-17). */
static double marginal_below(const qdist *q, size_t i, double p)
{
    if (!isfinite(q->df))
        return q->m[i] + q->s[i] * mvn_norm_Pinv(p);
    return q->s[i] == 0.0 ? q->m[i] : decreasing_root(q, i, 1, p, q->m[i], q->s[i]);
}

/* Sum over coordinates of log P(limits at q) under independence. */
static double sidak_log(const qdist *q, double x)
{
    double t = 0.0;
    for (size_t i = 0; i < q->d; ++i)
        t += log1p(-outside_at(q, i, x));
    return t;
}

/* Root of the independence approximation within [lo, hi]. */
static double sidak_start(const qdist *q, double p, double lo, double hi)
{
    const double lp = log(p);
    const double rel = isfinite(q->df) ? 1e-6 : 0.0;
    for (int it = 0; it < 200 && hi > lo; ++it) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi || hi - lo <= rel * fmax(1.0, fabs(mid)))
            break;
        if (sidak_log(q, mid) < lp)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* The slope of the independence approximation's log P at x, by a central
   difference: the t's first Newton step. */
static double sidak_slope(const qdist *q, double x)
{
    double sc = 0.0;
    for (size_t i = 0; i < q->d; ++i)
        sc = fmax(sc, q->s[i]);
    const double h = 1e-4 * (sc + fabs(x)) + 1e-300;
    return (sidak_log(q, x + h) - sidak_log(q, x - h)) / (2.0 * h);
}

/* P at the limits for the normal (its limit derivatives too when dl is
   set) or the t (limits shifted by the location, in place). */
static int dist_prob(const qdist *q, const double *sigma, double *lower, double *upper,
                     double *P, double *logP, double *err, double *dl, double *du)
{
    const size_t d = q->d;
    if (!isfinite(q->df)) {
        const double *mu = q->m;
        return dl ? mvn_prob_grad(q->ctx, d, lower, upper, mu, sigma, P, logP, err, dl, du,
                                  NULL, NULL)
                  : mvn_prob(q->ctx, d, lower, upper, mu, sigma, P, logP, err);
    }
    for (size_t i = 0; i < d; ++i)
        lower[i] -= q->m[i], upper[i] -= q->m[i];
    return mvn_prob_t(q->ctx, d, q->df, lower, upper, q->delta, sigma, P, logP, err);
}

/* Both entry points: df = +inf for the normal (delta NULL). */
static int quantile_solve(mvn_context *ctx, size_t d, double df, double p, int tail,
                          const double *loc, const double *delta, const double *sigma,
                          double *q, double *q_err, double *p_at_q, double *p_err)
{
    mvni_set_nan(q);
    mvni_set_nan(q_err);
    mvni_set_nan(p_at_q);
    mvni_set_nan(p_err);
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
    /* The upper tail of X is the lower tail of -X (location and
       noncentrality negated, the same Sigma). */
    const double sign = tail == MVN_TAIL_UPPER ? -1.0 : 1.0;

    double *buf = (double *)malloc(7 * d * sizeof(double));
    if (buf == NULL)
        return mvni_fail(ctx, MVN_ENOMEM, "out of memory for d = %zu", d);
    double *m = buf, *s = buf + d, *lower = buf + 2 * d, *upper = buf + 3 * d;
    double *dl = buf + 4 * d, *du = buf + 5 * d, *dlt = buf + 6 * d;
    int bad = 0;
    for (size_t i = 0; i < d; ++i) {
        dlt[i] = delta ? sign * delta[i] : 0.0;
        /* The normal limit of the t (df = inf) is N(loc + delta, Sigma). */
        m[i] = (loc ? sign * loc[i] : 0.0) + (isinf(df) ? dlt[i] : 0.0);
        const double v = sigma[i * d + i];
        s[i] = sqrt(v);
        bad |= !isfinite(m[i]) || !isfinite(dlt[i]) || !isfinite(v) || !(v >= 0.0);
    }
    if (bad || !(df >= MVNI_T_MIN_DF)) {
        /* The probability says which input is wrong, in the library's
           words. */
        for (size_t i = 0; i < d; ++i)
            lower[i] = -INFINITY, upper[i] = 0.0;
        st = isinf(df) ? mvn_prob(ctx, d, lower, upper, loc, sigma, NULL, NULL, NULL)
                       : mvn_prob_t(ctx, d, df, lower, upper, delta, sigma, NULL, NULL, NULL);
        free(buf);
        return st != MVN_OK && st != MVN_ETOL ? st : mvni_fail(ctx, MVN_EINVAL, "invalid mean or sigma");
    }
    const qdist qd = {ctx, d, df, m, s, delta ? dlt : NULL, both};

    /* The bracket (file comment), then the start inside it. */
    double lo = -INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < d; ++i) {
        lo = fmax(lo, both ? marginal_root(&qd, i, 1.0 - p) : marginal_below(&qd, i, p));
        hi = fmax(hi, marginal_root(&qd, i, (1.0 - p) / (double)d));
    }
    if (!(hi >= lo)) /* rounding of the two roots for d = 1 */
        hi = lo;
    double x = sidak_start(&qd, p, lo, hi);

    double abseps, releps;
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    mvn_context_get(ctx, MVN_OPT_RELEPS, &releps);
    const double tol = fmax(abseps, releps * p);

    double P = NAN, logP = NAN, err = NAN, dlog = NAN, evals = 0.0;
    double prev_x = NAN, prev_P = NAN, prev_logP = NAN, prev_err = NAN;
    int iter = 0, pst = MVN_OK, converged = 0;
    for (; iter < QUANTILE_MAX_ITER; ++iter) {
        for (size_t i = 0; i < d; ++i)
            lower[i] = both ? -x : -INFINITY, upper[i] = x;
        if (!(dlog > 0.0) && !isfinite(df)) {
            /* The slope from the closed-form limit derivatives: at the
               start, and again while P underflows. */
            pst = dist_prob(&qd, sigma, lower, upper, &P, &logP, &err, dl, du);
            double slope = 0.0;
            for (size_t i = 0; i < d; ++i)
                slope += du[i] - (both ? dl[i] : 0.0);
            dlog = P > 0.0 ? slope / P : NAN;
        } else {
            /* Then P alone (a fraction of the cost at the same accuracy),
               the slope of log P from the secant where the two values
               differ beyond their errors: where log P is concave (the
               normal) the secant brackets the slope between the two
               points.  The t starts from the slope of the independence
               approximation. */
            pst = dist_prob(&qd, sigma, lower, upper, &P, &logP, &err, NULL, NULL);
            if (!(dlog > 0.0))
                dlog = sidak_slope(&qd, x);
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

MVN_API int mvn_quantile_equi(mvn_context *ctx, size_t d, double p, int tail,
                              const double *mean, const double *sigma,
                              double *q, double *q_err, double *p_at_q,
                              double *p_err)
{
    return quantile_solve(ctx, d, INFINITY, p, tail, mean, NULL, sigma, q, q_err, p_at_q,
                          p_err);
}

MVN_API int mvn_quantile_equi_t(mvn_context *ctx, size_t d, double df, double p, int tail,
                                const double *loc, const double *delta,
                                const double *sigma, double *q, double *q_err,
                                double *p_at_q, double *p_err)
{
    return quantile_solve(ctx, d, df, p, tail, loc, delta, sigma, q, q_err, p_at_q, p_err);
}
