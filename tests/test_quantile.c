/*
 * test_quantile.c -- equicoordinate quantiles (mvn_quantile_equi, issue
 * 16): closed forms under independence, one-factor references by
 * quadrature, round trips through mvn_prob, the symmetries of the three
 * tails, tiny p, and bad input.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "mvnorm.h"
#include "tap.h"

#define MAXD 10

static void equicorrelated(size_t d, double rho, double *S)
{
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : rho;
}

/* P(X < q 1) or P(-q 1 < X < q 1) for the equicorrelated standard normal
   (rho >= 0): X_i = sqrt(rho) Z + sqrt(1 - rho) E_i, so P is the integral
   over z of phi(z) (conditional marginal)^d; the trapezoid rule on
   [-12, 12] with 4001 nodes is exact to rounding for this analytic,
   rapidly decaying integrand. */
static double one_factor(size_t d, double rho, double q, int both)
{
    const int n = 4001;
    const double h = 24.0 / (n - 1), sd = sqrt(1.0 - rho);
    double s = 0.0;
    for (int k = 0; k < n; ++k) {
        double z = -12.0 + k * h, a = sqrt(rho) * z;
        double m = mvn_norm_P((q - a) / sd) - (both ? mvn_norm_P((-q - a) / sd) : 0.0);
        s += mvn_norm_pdf(z) * pow(m, (double)d);
    }
    return s * h;
}

/* The reference quantile: bisection on one_factor to the last bit. */
static double one_factor_quantile(size_t d, double rho, double p, int both)
{
    double lo = both ? 0.0 : -20.0, hi = 20.0;
    for (int it = 0; it < 200; ++it) {
        double mid = 0.5 * (lo + hi);
        if (mid <= lo || mid >= hi)
            break;
        if (one_factor(d, rho, mid, both) < p)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Independence: P(X < q 1) = Phi(q)^d, P(-q 1 < X < q 1) = (2 Phi(q) - 1)^d. */
static void test_independent(mvn_context *ctx)
{
    const size_t ds[4] = {1, 2, 5, 10};
    const double ps[4] = {0.5, 0.95, 0.99, 0.001};
    double S[MAXD * MAXD];
    int ok = 1;
    double worst = 0.0;
    for (int a = 0; a < 4; ++a) {
        equicorrelated(ds[a], 0.0, S);
        for (int b = 0; b < 4; ++b)
            for (int tail = MVN_TAIL_LOWER; tail <= MVN_TAIL_BOTH; ++tail) {
                const double root = pow(ps[b], 1.0 / (double)ds[a]);
                const double want = tail == MVN_TAIL_LOWER   ? mvn_norm_Pinv(root)
                                    : tail == MVN_TAIL_UPPER ? -mvn_norm_Pinv(root)
                                                             : mvn_norm_Pinv(0.5 + 0.5 * root);
                double q = NAN, qe = NAN, pq = NAN, pe = NAN;
                int st = mvn_quantile_equi(ctx, ds[a], ps[b], tail, NULL, S, &q, &qe, &pq, &pe);
                const double dev = fabs(q - want);
                worst = fmax(worst, dev);
                if (!(st == MVN_OK && dev <= 1e-9 * (1.0 + fabs(want)) && qe >= 0.0 && qe < 1e-6 &&
                      fabs(pq - ps[b]) <= 1e-8)) {
                    ok = 0;
                    tap_diag("d = %zu, p = %g, tail %d: q = %.17g, want %.17g (q_err %g, P %.17g, %s)",
                             ds[a], ps[b], tail, q, want, qe, pq, mvn_status_name(st));
                }
            }
    }
    tap_ok(ok, "independent d = 1, 2, 5, 10, p = 0.5 .. 0.001, three tails: "
           "q = Phi^-1 of the d-th root (worst %.2g)", worst);
    /* mvtnorm's documented example: qmvnorm(0.95, sigma = diag(2), tail = "both"). */
    const double I2[4] = {1, 0, 0, 1};
    double q = NAN;
    mvn_quantile_equi(ctx, 2, 0.95, MVN_TAIL_BOTH, NULL, I2, &q, NULL, NULL, NULL);
    tap_close(q, 2.236477, 5e-7, "qmvnorm(0.95, sigma = diag(2), tail = \"both\") = 2.236477");
}

/* Equicorrelated: the one-factor reference; d = 3 by the exact kernel,
   d = 5 and 10 by QMC, each within its own error estimate. */
static void test_one_factor(mvn_context *ctx)
{
    const size_t ds[3] = {3, 5, 10};
    const double rhos[2] = {0.5, 0.9};
    double S[MAXD * MAXD];
    for (int a = 0; a < 3; ++a)
        for (int r = 0; r < 2; ++r)
            for (int both = 0; both < 2; ++both) {
                equicorrelated(ds[a], rhos[r], S);
                const double want = one_factor_quantile(ds[a], rhos[r], 0.95, both);
                double q = NAN, qe = NAN, pq = NAN, pe = NAN;
                int st = mvn_quantile_equi(ctx, ds[a], 0.95, both ? MVN_TAIL_BOTH : MVN_TAIL_LOWER,
                                           NULL, S, &q, &qe, &pq, &pe);
                const double cap = ds[a] <= 3 ? 1e-8 : 1e-3;
                tap_ok(st == MVN_OK && fabs(q - want) <= 3.0 * qe + 1e-9 && qe < cap,
                       "d = %zu, rho = %g, %s: q = %.10f +- %.2g, one-factor reference %.10f (%s)",
                       ds[a], rhos[r], both ? "both tails" : "lower tail", q, qe, want,
                       mvn_status_name(st));
            }
}

/* Round trip: P at the returned q, recomputed by mvn_prob with another
   seed, equals p within the tolerance; and the tails' symmetries. */
static void test_round_trip(mvn_context *ctx)
{
    const double S[16] = {4, 3, 2, 1, 3, 5, -1, 1, 2, -1, 4, 2, 1, 1, 2, 5}; /* Genz's 4-D */
    const double mu[4] = {0.5, -1, 2, 0};
    double neg[4];
    for (int i = 0; i < 4; ++i)
        neg[i] = -mu[i];
    for (int tail = MVN_TAIL_LOWER; tail <= MVN_TAIL_BOTH; ++tail) {
        double q = NAN, qe = NAN, pq = NAN, pe = NAN, lo[4], up[4], p2, e2;
        mvn_context_set(ctx, MVN_OPT_SEED, 0);
        int st = mvn_quantile_equi(ctx, 4, 0.9, tail, mu, S, &q, &qe, &pq, &pe);
        for (int i = 0; i < 4; ++i) {
            lo[i] = tail == MVN_TAIL_LOWER ? -INFINITY : tail == MVN_TAIL_UPPER ? q : -q;
            up[i] = tail == MVN_TAIL_UPPER ? INFINITY : q;
        }
        mvn_context_set(ctx, MVN_OPT_SEED, 7);
        mvn_prob(ctx, 4, lo, up, mu, S, &p2, NULL, &e2);
        tap_ok(st == MVN_OK && fabs(p2 - 0.9) <= 1e-5 + 3.0 * e2 + pe,
               "Genz 4-D with a mean, tail %d: q = %.8f +- %.2g; P(q) again (seed 7) = %.8f +- %.2g",
               tail, q, qe, p2, e2);
    }
    mvn_context_set(ctx, MVN_OPT_SEED, 0);
    /* Upper tail of X = minus the lower tail of -X (same seed: same
       calls, bitwise). */
    double qu = NAN, ql = NAN;
    mvn_quantile_equi(ctx, 4, 0.3, MVN_TAIL_UPPER, mu, S, &qu, NULL, NULL, NULL);
    mvn_quantile_equi(ctx, 4, 0.3, MVN_TAIL_LOWER, neg, S, &ql, NULL, NULL, NULL);
    tap_ok(qu == -ql, "upper-tail q(mean) = -lower-tail q(-mean): %.17g, %.17g", qu, ql);
    /* Translation: q(mean + c) = q(mean) + c (exact route, d = 3). */
    const double S3[9] = {1, 0.3, -0.2, 0.3, 2, 0.5, -0.2, 0.5, 1.5};
    const double m0[3] = {0, 0, 0}, m1[3] = {2.5, 2.5, 2.5};
    double q0 = NAN, q1 = NAN, e0 = NAN;
    mvn_quantile_equi(ctx, 3, 0.8, MVN_TAIL_LOWER, m0, S3, &q0, &e0, NULL, NULL);
    mvn_quantile_equi(ctx, 3, 0.8, MVN_TAIL_LOWER, m1, S3, &q1, NULL, NULL, NULL);
    tap_ok(fabs(q1 - q0 - 2.5) <= 1e-9 && e0 < 1e-9,
           "q(mean + 2.5) - q(mean) = %.15f (2.5), q_err %.2g", q1 - q0, e0);
}

/* A tiny lower-tail p under a relative tolerance. */
static void test_tiny_p(mvn_context *ctx)
{
    double S[9], q = NAN, qe, pq = NAN, pe, abseps, releps;
    equicorrelated(3, 0.5, S);
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    mvn_context_get(ctx, MVN_OPT_RELEPS, &releps);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 1e-8);
    int st = mvn_quantile_equi(ctx, 3, 1e-12, MVN_TAIL_LOWER, NULL, S, &q, &qe, &pq, &pe);
    const double want = one_factor_quantile(3, 0.5, 1e-12, 0);
    tap_ok(st == MVN_OK && fabs(pq / 1e-12 - 1.0) <= 1e-8 && fabs(q - want) <= 1e-7,
           "p = 1e-12, releps 1e-8: q = %.12f (one-factor %.12f), P(q) / p - 1 = %.2g", q, want,
           pq / 1e-12 - 1.0);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps);
    mvn_context_set(ctx, MVN_OPT_RELEPS, releps);
}

/* Bad input: a status and a message, NaN outputs, never a crash. */
static void test_bad_input(mvn_context *ctx)
{
    const double S[4] = {1, 0.5, 0.5, 1}, notpd[4] = {1, 2, 2, 1};
    const double nan_mean[2] = {NAN, 0};
    struct {
        const char *what;
        size_t d;
        double p;
        int tail;
        const double *mean, *sigma;
        int want;
    } cases[9] = {
        {"p = 0", 2, 0.0, MVN_TAIL_LOWER, NULL, S, MVN_EINVAL},
        {"p = 1", 2, 1.0, MVN_TAIL_LOWER, NULL, S, MVN_EINVAL},
        {"p NaN", 2, NAN, MVN_TAIL_LOWER, NULL, S, MVN_ENAN},
        {"tail 3", 2, 0.5, 3, NULL, S, MVN_EINVAL},
        {"sigma NULL", 2, 0.5, MVN_TAIL_LOWER, NULL, NULL, MVN_EINVAL},
        {"d = 0", 0, 0.5, MVN_TAIL_LOWER, NULL, S, MVN_EDIM},
        {"d too large", (size_t)MVN_MAX_DIM + 1, 0.5, MVN_TAIL_LOWER, NULL, S, MVN_EDIM},
        {"not positive semidefinite", 2, 0.5, MVN_TAIL_BOTH, NULL, notpd, MVN_ENOTPD},
        {"NaN mean", 2, 0.5, MVN_TAIL_LOWER, nan_mean, S, MVN_ENAN},
    };
    for (int k = 0; k < 9; ++k) {
        double q = 0.0, qe = 0.0, pq = 0.0, pe = 0.0;
        int st = mvn_quantile_equi(ctx, cases[k].d, cases[k].p, cases[k].tail, cases[k].mean,
                                   cases[k].sigma, &q, &qe, &pq, &pe);
        const char *msg = mvn_context_message(ctx);
        tap_ok(st == cases[k].want && isnan(q) && isnan(qe) && isnan(pq) && isnan(pe) && msg && *msg,
               "%s: %s (%s)", cases[k].what, mvn_status_name(st), msg ? msg : "");
    }
    double q = 0.0;
    tap_ok(mvn_quantile_equi(NULL, 2, 0.5, MVN_TAIL_LOWER, NULL, S, &q, NULL, NULL, NULL) ==
                   MVN_EINVAL && isnan(q),
           "NULL context: MVN_EINVAL, q NaN");
    /* A zero variance: X2 = 0.5, so P(X < q 1) jumps from 0 to Phi(0.5)
       = 0.69 at q = 0.5 and never equals 0.5: MVN_ETOL, q at the jump. */
    const double S0[4] = {1, 0, 0, 0}, m0[2] = {0, 0.5};
    double qe = NAN, pq = NAN;
    int st = mvn_quantile_equi(ctx, 2, 0.5, MVN_TAIL_LOWER, m0, S0, &q, &qe, &pq, NULL);
    tap_ok(st == MVN_ETOL && fabs(q - 0.5) <= 1e-12, "P jumps across p: %s, q = %.17g, P(q) = %g (%s)",
           mvn_status_name(st), q, pq, mvn_context_message(ctx));
}

/* The multivariate t (mvn_quantile_equi_t): univariate t quantiles from
   R's qt (central, noncentral, heavy-tailed df = 0.5, a tiny p), the
   location and reflection identities, round trips through mvn_prob_t at
   d = 2 and 3 (exact kernels, so to 1e-9), df = inf as the normal, and
   the status of a df below the range. */
static void test_student(mvn_context *ctx)
{
    const double one = 1.0;
    static const struct {
        double df, p, delta;
        int tail;
        double want; /* R: qt(...) */
    } uni[] = {
        {5.0, 0.95, 0.0, MVN_TAIL_LOWER, 2.0150483733330224},
        {5.0, 0.95, 0.0, MVN_TAIL_UPPER, -2.0150483733330224},
        {5.0, 0.95, 0.0, MVN_TAIL_BOTH, 2.5705818356363137},
        {4.0, 0.8, 1.5, MVN_TAIL_LOWER, 2.856452676834337},
        {0.5, 0.99, 0.0, MVN_TAIL_LOWER, 1028.4910104716355},
        {3.0, 1e-10, 0.0, MVN_TAIL_LOWER, -2225.7692846830946},
    };
    for (size_t k = 0; k < sizeof uni / sizeof uni[0]; ++k) {
        double q = NAN, qe = NAN;
        /* A tiny p under a relative tolerance (abseps 1e-5 would accept
           any q with P(q) < 1e-5). */
        mvn_context_set(ctx, MVN_OPT_ABSEPS, uni[k].p < 1e-6 ? 0.0 : 1e-5);
        mvn_context_set(ctx, MVN_OPT_RELEPS, uni[k].p < 1e-6 ? 1e-10 : 0.0);
        int st = mvn_quantile_equi_t(ctx, 1, uni[k].df, uni[k].p, uni[k].tail, NULL,
                                     uni[k].delta != 0.0 ? &uni[k].delta : NULL, &one, &q,
                                     &qe, NULL, NULL);
        tap_ok(st == MVN_OK && fabs(q - uni[k].want) <= 1e-9 * fmax(1.0, fabs(q)),
               "t, d = 1, df %g, p %g, delta %g, tail %d: q = %.15g (R qt %.15g), q_err %.2g",
               uni[k].df, uni[k].p, uni[k].delta, uni[k].tail, q, uni[k].want, qe);
    }
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    /* loc shifts q; the upper tail is the lower tail of -T. */
    const double loc = 1.5, nloc = -1.5;
    double q0 = NAN, q1 = NAN, qu = NAN;
    mvn_quantile_equi_t(ctx, 1, 4.0, 0.8, MVN_TAIL_LOWER, NULL, NULL, &one, &q0, NULL, NULL, NULL);
    mvn_quantile_equi_t(ctx, 1, 4.0, 0.8, MVN_TAIL_LOWER, &loc, NULL, &one, &q1, NULL, NULL, NULL);
    mvn_quantile_equi_t(ctx, 1, 4.0, 0.8, MVN_TAIL_UPPER, &nloc, NULL, &one, &qu, NULL, NULL, NULL);
    tap_ok(fabs(q1 - q0 - 1.5) <= 1e-9 && fabs(qu + q1) <= 1e-9,
           "t: q(loc 1.5) - q(0) = %.12f, upper-tail q(-loc) = %.12f = -q(loc)", q1 - q0, qu);

    const double R2[4] = {1, 0.5, 0.5, 2}, dl2[2] = {0.3, -0.2};
    double S3[9];
    equicorrelated(3, 0.5, S3);
    for (int tail = MVN_TAIL_LOWER; tail <= MVN_TAIL_BOTH; ++tail) {
        for (size_t d = 2; d <= 3; ++d) {
            const double *S = d == 2 ? R2 : S3;
            const double *dl = d == 2 ? dl2 : NULL;
            double q = NAN, qe = NAN, pq = NAN, lo[3], up[3], p2 = NAN;
            int st = mvn_quantile_equi_t(ctx, d, 6.0, 0.9, tail, NULL, dl, S, &q, &qe, &pq,
                                         NULL);
            for (size_t i = 0; i < d; ++i) {
                lo[i] = tail == MVN_TAIL_LOWER ? -INFINITY : tail == MVN_TAIL_UPPER ? q : -q;
                up[i] = tail == MVN_TAIL_UPPER ? INFINITY : q;
            }
            mvn_prob_t(ctx, d, 6.0, lo, up, dl, S, &p2, NULL, NULL);
            tap_ok(st == MVN_OK && fabs(p2 - 0.9) <= 1e-9 && qe < 1e-8,
                   "t, df 6, d = %zu, tail %d: q = %.12f +- %.2g, P_t(q) = %.15f", d, tail, q,
                   qe, p2);
        }
    }
    /* df = inf: the normal with mean loc + delta. */
    double qn = NAN, qi = NAN;
    const double m2[2] = {0.3 + 1.0, -0.2 + 1.0}, l2[2] = {1.0, 1.0};
    mvn_quantile_equi(ctx, 2, 0.7, MVN_TAIL_BOTH, m2, R2, &qn, NULL, NULL, NULL);
    mvn_quantile_equi_t(ctx, 2, INFINITY, 0.7, MVN_TAIL_BOTH, l2, dl2, R2, &qi, NULL, NULL,
                        NULL);
    tap_ok(qn == qi, "t with df = inf is the normal with mean loc + delta: %.17g, %.17g", qi, qn);
    double qb = 0.0;
    int st = mvn_quantile_equi_t(ctx, 2, 0.005, 0.7, MVN_TAIL_LOWER, NULL, NULL, R2, &qb, NULL,
                                 NULL, NULL);
    tap_ok(st == MVN_EINVAL && isnan(qb), "df = 0.005: %s, q = %g (%s)", mvn_status_name(st),
           qb, mvn_context_message(ctx));
}

int main(void)
{
    (void)tap_skip_all;
    mvn_context *ctx = mvn_context_alloc();
    test_independent(ctx);
    test_one_factor(ctx);
    test_round_trip(ctx);
    test_tiny_p(ctx);
    test_bad_input(ctx);
    test_student(ctx);
    mvn_context_free(ctx);
    return tap_exit();
}
