/*
 * test_logprob_grad.c -- mvn_logprob_grad_batch (derivatives of log P in log space) and mvn_prob_hessian_batch.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * References no one tuned to:
 *  - diagonal Sigma: log P is a sum of univariate log Phi, so
 *    dlogP/db_i = phi(z_i) / (s_i Phi(z_i)) (z_i = b_i / s_i), computed here
 *    from refs_logPhi in logs, G_ii / P = -(b_i / 2 S_ii) dlogP/db_i and
 *    G_ij / P = (1/2) dlogP/db_i dlogP/db_j (product rule);
 *  - one-factor Sigma = D + l l^T: every derivative of P is a 1-D integral
 *    over the factor (Dunnett & Sobel 1955), integrated here in log space
 *    (peak found on a grid, the integrand scaled by exp(-peak)), so the
 *    ratios to P are accurate far below the underflow of P;
 *  - mvn_prob_grad_batch divided by P where P is moderate;
 *  - for mvn_prob_hessian_batch, the single-problem mvn_prob_hessian
 *    (bitwise).
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
/* One-factor CDF derivatives in log space.                            */
/* ------------------------------------------------------------------ */
enum { LF_P, LF_DB, LF_HBB, LF_GDIAG };

typedef struct {
    size_t d;
    const double *b, *l, *D;
    int what;
    size_t k, j;
    double shift;
} lf_arg;

/* log of the integrand of the requested quantity at t.  Every factor
   that is differentiated is positive in the far lower tail (z < 0), which
   is where this is used; a sign change would give NaN and fail the test. */
static double lf_log(double t, const lf_arg *q)
{
    double g = -0.5 * t * t - 0.5 * log(2.0 * REFS_PI);
    for (size_t i = 0; i < q->d; ++i) {
        const double s = sqrt(q->D[i]), z = (q->b[i] - q->l[i] * t) / s;
        const double lpdf = -0.5 * z * z - 0.5 * log(2.0 * REFS_PI);
        const int mine = q->what != LF_P &&
                         (i == q->k || (q->what == LF_HBB && i == q->j));
        if (!mine)
            g += refs_logPhi(z);
        else if (q->what == LF_GDIAG)
            g += log(-z) + lpdf - log(2.0 * q->D[i]);
        else
            g += lpdf - log(s);
    }
    return g;
}

static double lf_fn(double t, void *arg)
{
    const lf_arg *q = (const lf_arg *)arg;
    return exp(lf_log(t, q) - q->shift);
}

/* log of the integral (peak on a grid, then adaptive Gauss-Legendre over
   the range where the integrand is within e^-80 of the peak). */
static double lf_int(size_t d, const double *b, const double *l,
                     const double *D, int what, size_t k, size_t j)
{
    lf_arg q = {d, b, l, D, what, k, j, 0.0};
    const double step = 0.05, T = 200.0;
    double gmax = -INFINITY, tmax = 0.0;
    for (double t = -T; t <= T; t += step) {
        double g = lf_log(t, &q);
        if (g > gmax) {
            gmax = g;
            tmax = t;
        }
    }
    double lo = tmax, hi = tmax;
    while (lo > -T && lf_log(lo, &q) > gmax - 80.0)
        lo -= step;
    while (hi < T && lf_log(hi, &q) > gmax - 80.0)
        hi += step;
    q.shift = gmax;
    double rough = 0.0;
    for (double t = lo; t <= hi; t += step)
        rough += lf_fn(t, &q) * step;
    return gmax + log(refs_integrate(lf_fn, &q, lo - step, hi + step, 48,
                                     1e-15 * rough));
}

static double max_abs_diff(const double *x, const double *y, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; ++i)
        m = fmax(m, fabs(x[i] - y[i]));
    return m;
}

/* max_i |x_i - y_i| / max(1, |y_i|): the log-derivatives' errors scale
   with the entries (the relative error of P multiplies every entry). */
static double max_scaled_diff(const double *x, const double *y, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; ++i)
        m = fmax(m, fabs(x[i] - y[i]) / fmax(1.0, fabs(y[i])));
    return m;
}

static int all_nan(const double *x, size_t n)
{
    for (size_t i = 0; i < n; ++i)
        if (!isnan(x[i]))
            return 0;
    return 1;
}

static int logprob_grad(mvn_context *ctx, size_t d, const double *a,
                        const double *b, const double *S, double *p,
                        double *lp, double *da, double *db, double *dm,
                        double *G)
{
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
    int st = 0;
    return mvn_logprob_grad_batch(ctx, 1, d, a, vs, b, vs, NULL, vs, S, ss,
                                  MVN_SIGMA_COV, p, lp, NULL, &st, da, db,
                                  dm, G) == MVN_OK ? st : st;
}

/* ------------------------------------------------------------------ */

/* Diagonal Sigma in the far lower tail: P = prod Phi(b_i / s_i) underflows
   (about 1e-1000 at d = 3); both routes. */
static void test_diagonal_tail(mvn_context *ctx)
{
    enum { d = 4 };
    const double var[d] = {1.0, 4.0, 0.25, 2.0};
    const double zz[d] = {-40.0, -38.0, -42.0, -45.0};
    double S[d * d] = {0}, b[d], ref_db[d], ref_G[d * d], ref_lp = 0.0;
    for (size_t i = 0; i < d; ++i) {
        S[i * d + i] = var[i];
        b[i] = zz[i] * sqrt(var[i]);
        const double s = sqrt(var[i]);
        ref_lp += refs_logPhi(zz[i]);
        ref_db[i] = exp(-0.5 * zz[i] * zz[i] - 0.5 * log(2.0 * REFS_PI) -
                        refs_logPhi(zz[i])) / s;
    }
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            ref_G[i * d + j] = i == j ? -b[i] / (2.0 * var[i]) * ref_db[i]
                                      : 0.5 * ref_db[i] * ref_db[j];
    for (int route = 0; route < 2; ++route) {
        double p, lp, da[d], db[d], dm[d], G[d * d];
        mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
        int st = logprob_grad(ctx, d, NULL, b, S, &p, &lp, da, db, dm, G);
        tap_ok(st == MVN_OK, "diagonal tail (route %d): status %d, P = %g "
               "underflows, log P = %.6f", route, st, p, lp);
        tap_close(lp, ref_lp, 1e-13 * fabs(ref_lp), "diagonal tail (route %d): "
                  "log P = sum log Phi", route);
        double e1 = max_scaled_diff(db, ref_db, d);
        double e2 = max_scaled_diff(G, ref_G, d * d);
        int finite = 1;
        for (size_t i = 0; i < d; ++i)
            finite &= da[i] == 0.0 && dm[i] == -db[i];
        /* Everything is exact here (univariate kernels): rounding only. */
        tap_ok(e1 <= 1e-12, "diagonal tail (route %d): dlogP/db = d log Phi "
               "(scaled error %.2g)", route, e1);
        tap_ok(e2 <= 1e-12, "diagonal tail (route %d): G / P by the product "
               "rule (scaled error %.2g)", route, e2);
        tap_ok(finite, "diagonal tail (route %d): dlogP/dlower = 0 for -inf, "
               "d_mean = -d_upper", route);
    }
}

/* One-factor covariance in the far lower tail: d = 3 (everything exact) and
   d = 4 (P by QMC in log space, conditionals exact). */
static void test_one_factor_tail(mvn_context *ctx, size_t d, double tol)
{
    double *l = (double *)malloc((4 * d + 5 * d * d) * sizeof(double));
    double *D = l + d, *b = D + d, *S = b + d, *rdb = S + d * d;
    double *rG = rdb + d, *db = rG + d * d, *G = db + d * d, *da = G + d * d;
    refs_rng rng;
    refs_rng_seed(&rng, 77 + d);
    for (size_t i = 0; i < d; ++i) {
        l[i] = refs_unif_ab(&rng, 0.4, 0.7);
        D[i] = 1.0 - l[i] * l[i];
        b[i] = -40.0 - refs_unif_ab(&rng, 0.0, 3.0);
    }
    refs_one_factor_cov(d, l, D, S);
    const double lP = lf_int(d, b, l, D, LF_P, 0, 0);
    for (size_t k = 0; k < d; ++k) {
        rdb[k] = exp(lf_int(d, b, l, D, LF_DB, k, 0) - lP);
        for (size_t j = 0; j < d; ++j)
            rG[k * d + j] = j == k ? exp(lf_int(d, b, l, D, LF_GDIAG, k, 0) - lP)
                                   : 0.5 * exp(lf_int(d, b, l, D, LF_HBB, k, j) - lP);
    }
    mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_CLOSED_FORM);
    double p, lp;
    int st = logprob_grad(ctx, d, NULL, b, S, &p, &lp, da, db, NULL, G);
    tap_ok(st == MVN_OK, "one-factor tail d = %zu: status %d (P = %g, log P = "
           "%.4f)", d, st, p, lp);
    tap_close(lp, lP, 1e-7 * fabs(lP), "one-factor tail d = %zu: log P", d);
    double e1 = max_scaled_diff(db, rdb, d), e2 = max_scaled_diff(G, rG, d * d);
    tap_ok(e1 <= tol, "one-factor tail d = %zu: dlogP/db vs log-space 1-D "
           "integrals (scaled error %.2g <= %.0e; entries ~%.0f)", d, e1, tol,
           rdb[0]);
    tap_ok(e2 <= tol, "one-factor tail d = %zu: G / P vs log-space 1-D "
           "integrals (scaled error %.2g <= %.0e; diagonal ~%.0f)", d, e2, tol,
           rG[0]);
    /* The estimator route hands such a problem to the closed form. */
    double G2[64 * 64], db2[64];
    mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_ESTIMATOR);
    st = logprob_grad(ctx, d, NULL, b, S, &p, &lp, NULL, db2, NULL, G2);
    tap_ok(st == MVN_OK && memcmp(db, db2, d * sizeof(double)) == 0 &&
           memcmp(G, G2, d * d * sizeof(double)) == 0,
           "one-factor tail d = %zu: the estimator route answers with the "
           "closed form in log space (bitwise)", d);
    mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_CLOSED_FORM);
    free(l);
}

/* Where P is moderate: equal to mvn_prob_grad_batch / P within the
   tolerances, for both routes and a box with finite lower limits. */
static void test_agrees_with_grad(mvn_context *ctx)
{
    enum { d = 6 };
    double l[d], D[d], S[d * d], a[d], b[d];
    refs_rng rng;
    refs_rng_seed(&rng, 4242);
    for (size_t i = 0; i < d; ++i) {
        l[i] = refs_unif_ab(&rng, 0.2, 0.8);
        D[i] = 1.0 - l[i] * l[i];
        a[i] = i % 2 ? -INFINITY : refs_unif_ab(&rng, -2.5, -1.5);
        b[i] = refs_unif_ab(&rng, 1.0, 2.0);
    }
    refs_one_factor_cov(d, l, D, S);
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, d, 1};
    for (int route = 0; route < 2; ++route) {
        double p, lp, p2, lp2, ga[d], gb[d], gm[d], gG[d * d];
        double la[d], lb[d], lm[d], lG[d * d];
        int s1, s2;
        mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
        /* The estimator needs every G entry to meet the tolerance: 3e-5
           keeps it within a second. */
        const double eps = route ? 3e-5 : 1e-6;
        mvn_context_set(ctx, MVN_OPT_ABSEPS, eps);
        mvn_prob_grad_batch(ctx, 1, d, a, vs, b, vs, NULL, vs, S, ss,
                            MVN_SIGMA_COV, &p, &lp, NULL, &s1, ga, gb, gm, gG);
        mvn_logprob_grad_batch(ctx, 1, d, a, vs, b, vs, NULL, vs, S, ss,
                               MVN_SIGMA_COV, &p2, &lp2, NULL, &s2, la, lb, lm,
                               lG);
        for (size_t i = 0; i < d; ++i) {
            ga[i] /= p;
            gb[i] /= p;
            gm[i] /= p;
        }
        for (size_t i = 0; i < d * d; ++i)
            gG[i] /= p;
        /* abseps on the P-derivatives, P ~ 0.6, and the relative error
           abseps of P in the log route: a few abseps. */
        double e = fmax(fmax(max_abs_diff(la, ga, d), max_abs_diff(lb, gb, d)),
                        fmax(max_abs_diff(lm, gm, d), max_abs_diff(lG, gG, d * d)));
        tap_ok(s1 == MVN_OK && s2 == MVN_OK, "moderate P (route %d): "
               "statuses %d %d, P = %.4f", route, s1, s2, p);
        tap_ok(e <= 10.0 * eps, "moderate P (route %d): log-gradient = "
               "gradient / P (max difference %.2g <= %.0e)", route, e, 10 * eps);
        tap_close(lp2, lp, 1e-5, "moderate P (route %d): same log P", route);
    }
    mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_CLOSED_FORM);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-6);
}

static void test_bad_inputs(mvn_context *ctx)
{
    enum { d = 3 };
    const double S[d * d] = {1, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 1};
    const double bad[d * d] = {1, 2, 0, 2, 1, 0, 0, 0, 1};
    double b[d] = {1, NAN, 0}, b_ok[d] = {1, 0.5, 0}, lo_hi[d] = {2, 0, 0};
    double p, lp, da[d], db[d], dm[d], G[d * d], pr;
    int st = logprob_grad(ctx, d, NULL, b, S, &p, &lp, da, db, dm, G);
    int ref = mvn_prob(ctx, d, NULL, b, NULL, S, &pr, NULL, NULL);
    tap_ok(st == ref && st == MVN_ENAN, "NaN limit: status %d as mvn_prob "
           "(%d)", st, ref);
    tap_ok(isnan(p) && isnan(lp) && all_nan(da, d) && all_nan(db, d) &&
           all_nan(dm, d) && all_nan(G, d * d), "NaN limit: NaN outputs");
    st = logprob_grad(ctx, d, NULL, b_ok, bad, &p, &lp, da, db, dm, G);
    ref = mvn_prob(ctx, d, NULL, b_ok, NULL, bad, &pr, NULL, NULL);
    tap_ok(st == ref && st == MVN_ENOTPD && all_nan(G, d * d),
           "non-PD: status %d as mvn_prob (%d), NaN", st, ref);
    st = logprob_grad(ctx, d, lo_hi, b_ok, S, &p, &lp, da, db, dm, G);
    ref = mvn_prob(ctx, d, lo_hi, b_ok, NULL, S, &pr, NULL, NULL);
    tap_ok(st == ref && st != MVN_OK, "lower > upper: status %d as mvn_prob "
           "(%d)", st, ref);
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, d, 1};
    st = mvn_logprob_grad_batch(NULL, 1, d, NULL, vs, b_ok, vs, NULL, vs, S, ss,
                                MVN_SIGMA_COV, &p, NULL, NULL, NULL, NULL, db,
                                NULL, NULL);
    tap_ok(st == MVN_EINVAL, "NULL context: EINVAL");
    st = mvn_logprob_grad_batch(ctx, 1, 0, NULL, vs, b_ok, vs, NULL, vs, S, ss,
                                MVN_SIGMA_COV, &p, NULL, NULL, NULL, NULL, db,
                                NULL, NULL);
    ref = mvn_prob(ctx, 0, NULL, b_ok, NULL, S, &pr, NULL, NULL);
    tap_ok(st == ref && st != MVN_OK, "d = 0: status %d as mvn_prob (%d)", st,
           ref);
    /* P = 0 exactly (an empty box): log P = -inf has no derivatives. */
    double a0[d] = {0.5, -INFINITY, -INFINITY}, b0[d] = {0.5, 1, 1};
    st = logprob_grad(ctx, d, a0, b0, S, &p, &lp, da, db, dm, G);
    tap_ok(st == MVN_OK && p == 0.0 && lp == -INFINITY && all_nan(db, d) &&
           all_nan(G, d * d), "P = 0: status OK, log P = -inf, NaN "
           "log-derivatives");
    /* A batch with one bad problem: NaN only there. */
    double bb[3 * d] = {1, 0.5, 0, 1, NAN, 0, -41, -40, -42};
    const ptrdiff_t bs[2] = {d, 1}, s0[3] = {0, d, 1};
    double pp[3], lpp[3], gb3[3 * d];
    int sts[3];
    st = mvn_logprob_grad_batch(ctx, 3, d, NULL, vs, bb, bs, NULL, vs, S, s0,
                                MVN_SIGMA_COV, pp, lpp, NULL, sts, NULL, gb3,
                                NULL, NULL);
    tap_ok(st == MVN_ENAN && sts[0] == MVN_OK && sts[1] == MVN_ENAN &&
           sts[2] == MVN_OK, "batch with a NaN problem: statuses %d %d %d",
           sts[0], sts[1], sts[2]);
    tap_ok(!all_nan(gb3, d) && all_nan(gb3 + d, d) && isfinite(gb3[2 * d]) &&
           gb3[2 * d] > 10.0, "batch: NaN only for the bad problem, the tail "
           "problem (P ~ 1e-350) has finite log-derivatives (%.3f)", gb3[2 * d]);
}

/* mvn_prob_hessian_batch: item t equals mvn_prob_hessian bitwise, for 1 and
   2 threads, with broadcast and per-item Sigma. */
static void test_hessian_batch(mvn_context *ctx)
{
    enum { d = 5, n = 4 };
    double S[n * d * d], lo[n * d], up[n * d], mu[n * d];
    refs_rng rng;
    refs_rng_seed(&rng, 99);
    for (size_t t = 0; t < n; ++t) {
        double l[d], D[d];
        for (size_t i = 0; i < d; ++i) {
            l[i] = refs_unif_ab(&rng, 0.1, 0.8);
            D[i] = 1.0 - l[i] * l[i] + 0.1 * (double)t;
            lo[t * d + i] = i == 2 ? -INFINITY : refs_unif_ab(&rng, -2.0, -0.5);
            up[t * d + i] = refs_unif_ab(&rng, 0.5, 2.0);
            mu[t * d + i] = refs_unif_ab(&rng, -0.3, 0.3);
        }
        refs_one_factor_cov(d, l, D, S + t * d * d);
    }
    const ptrdiff_t vs[2] = {d, 1};
    int ok = 1;
    for (int bc = 0; bc < 2; ++bc) {
        const ptrdiff_t ss[3] = {bc ? 0 : d * d, d, 1};
        for (int th = 1; th <= 2; ++th) {
            double H[n * d * d], p[n];
            int sts[n];
            mvn_context_set(ctx, MVN_OPT_THREADS, th);
            int st = mvn_prob_hessian_batch(ctx, n, d, lo, vs, up, vs, mu, vs,
                                            S, ss, MVN_SIGMA_COV, p, sts, H);
            mvn_context_set(ctx, MVN_OPT_THREADS, 1);
            ok &= st == MVN_OK;
            for (size_t t = 0; t < n; ++t) {
                double H1[d * d], p1;
                int s1 = mvn_prob_hessian(ctx, d, lo + t * d, up + t * d,
                                          mu + t * d, S + (bc ? 0 : t * d * d),
                                          &p1, H1);
                ok &= s1 == sts[t] && p1 == p[t] &&
                      memcmp(H1, H + t * d * d, sizeof H1) == 0;
            }
        }
    }
    tap_ok(ok, "hessian batch: item-major outputs bitwise equal to "
           "mvn_prob_hessian, 1 and 2 threads, per-item and broadcast Sigma");
    /* A bad item: NaN there only; p and status may be NULL. */
    up[d + 1] = NAN;
    const ptrdiff_t ss[3] = {d * d, d, 1};
    double H[n * d * d];
    int st = mvn_prob_hessian_batch(ctx, n, d, lo, vs, up, vs, mu, vs, S, ss,
                                    MVN_SIGMA_COV, NULL, NULL, H);
    tap_ok(st == MVN_ENAN && all_nan(H + d * d, d * d) &&
           !all_nan(H, d * d) && !all_nan(H + 2 * d * d, d * d),
           "hessian batch: a NaN problem gives EDOMAIN and NaN only there");
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    if (ctx == NULL) {
        tap_skip_all("no context");
        return 0;
    }
    refs_set(ctx, 1e-6, 0.0, 1e7);
    test_diagonal_tail(ctx);
    test_one_factor_tail(ctx, 3, 1e-9);
    test_one_factor_tail(ctx, 4, 1e-5);
    test_agrees_with_grad(ctx);
    test_bad_inputs(ctx);
    test_hessian_batch(ctx);
    mvn_context_free(ctx);
    return tap_exit();
}
