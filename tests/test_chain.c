/*
 * test_chain.c -- Gauss-Markov chains (tridiagonal precision) by the
 * forward recursion of exact/chain.c, against references it was not
 * tuned to:
 *   - closed forms: the AR(1) orthant at d = 2 (1/4 + asin(r) / (2 pi))
 *     and d = 3 (Sheppard's trivariate orthant);
 *   - a chain with zero links is a product of independent pairs: the
 *     exact bivariate kernel in log space, down to log P = -1e3;
 *   - an independent implementation of the same recursion (Python,
 *     bench/problems.py ar1_prob: uniform 16-point panels on a fixed
 *     truncation, no mode windows, no grading; two panel counts agree
 *     to <= 6e-14 in log P), including limits 30 standard deviations out
 *     inside the chain, log P = -454;
 *   - dense QMC on the same problems (a different route), and central
 *     differences for the derivatives through the public API;
 * and the route itself: detection from Sigma under MVN_METHOD_AUTO, the
 * error estimate covering the true error, the decline for |r| near 1.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact/exact.h"
#include "qmc/qmc.h"
#include "mvnorm.h"
#include "tap.h"
#include "qmc_options.h"
#include "limit_fd.h"

/* Sigma_ij = prod of r_k over the links between i and j. */
static double *chain_sigma(size_t d, const double *r)
{
    double *S = malloc(d * d * sizeof *S);
    for (size_t i = 0; i < d; ++i) {
        S[i * d + i] = 1.0;
        double c = 1.0;
        for (size_t j = i + 1; j < d; ++j) {
            c *= r[j];
            S[i * d + j] = S[j * d + i] = c;
        }
    }
    return S;
}

static double *ar1_sigma(size_t d, double rho)
{
    double *r = malloc(d * sizeof *r);
    for (size_t k = 0; k < d; ++k)
        r[k] = rho;
    double *S = chain_sigma(d, r);
    free(r);
    return S;
}

static void orthants(void)
{
    const mvni_qmc_options o = test_qmc_options(0.0, 1e-12);
    const double rs[] = {-0.95, -0.3, 0.2, 0.7, 0.97};
    for (size_t t = 0; t < sizeof rs / sizeof *rs; ++t) {
        const double rho = rs[t];
        const double r[3] = {0.0, rho, rho};
        const double a[3] = {-INFINITY, -INFINITY, -INFINITY}, b[3] = {0, 0, 0};
        mvni_result res;
        int st = mvni_chain_prob(2, r, a, b, &o, &res);
        const double p2 = 0.25 + asin(rho) / (2 * M_PI);
        tap_ok(st == MVN_OK && fabs(res.p - p2) <= 1e-13 * p2,
               "d = 2 orthant, r = %g: %.16g, exact %.16g (status %d)", rho, res.p, p2, st);
        st = mvni_chain_prob(3, r, a, b, &o, &res);
        const double p3 = 0.125 + (2 * asin(rho) + asin(rho * rho)) / (4 * M_PI);
        tap_ok(st == MVN_OK && fabs(res.p - p3) <= 1e-13 * p3,
               "d = 3 orthant, r = %g: %.16g, exact %.16g (status %d)", rho, res.p, p3, st);
    }
}

/* Zero links split the chain: three independent pairs in the deep tail. */
static void split_pairs(void)
{
    const double r[6] = {0.0, 0.7, 0.0, -0.6, 0.0, 0.9};
    const double a[6] = {8.0, 9.0, -INFINITY, -INFINITY, 40.0, -1.0};
    const double b[6] = {INFINITY, INFINITY, -7.0, 5.0, 45.0, 41.0};
    double want = 0.0;
    for (int k = 0; k < 6; k += 2) {
        double p, lp;
        mvni_bvn_rect(a + k, b + k, r[k + 1], &p, &lp);
        want += lp;
    }
    const mvni_qmc_options o = test_qmc_options(0.0, 1e-10);
    mvni_result res;
    int st = mvni_chain_prob(6, r, a, b, &o, &res);
    tap_ok(st == MVN_OK && fabs(res.logp - want) <= 1e-9 * fabs(want),
           "three independent pairs: log P %.15g, exact (bivariate kernel) %.15g (status %d)",
           res.logp, want, st);
    tap_ok(res.p == 0.0 && isfinite(res.logp),
           "P = exp(%g) underflows, log P stays finite", res.logp);
}

/* A limit 100 and 1000 sd out: f_k then falls by far more than a
   double's range across the part of its window that matters (the log
   space of chain_pass; in linear space log P was 0.7 too low at 100 sd,
   147 at 1000).  d = 2, 3 against the exact kernels. */
static void far_limits(void)
{
    /* releps above log P's rounding, 64 eps |log P| = 7e-9 at 1000 sd. */
    const mvni_qmc_options o = test_qmc_options(0.0, 1e-7);
    const double r[3] = {0.0, 0.6, 0.6}, rr[3] = {0.6, 0.36, 0.6};
    const double far[] = {100.0, 1000.0};
    for (int t = 0; t < 2; ++t) {
        const double a[3] = {0.0, far[t], 0.0}, b[3] = {INFINITY, INFINITY, INFINITY};
        double p, lp2, lp3;
        mvni_bvn_rect(a, b, 0.6, &p, &lp2);
        mvni_tvn_rect(a, b, rr, &p, &lp3);
        mvni_result r2, r3;
        int s2 = mvni_chain_prob(2, r, a, b, &o, &r2), s3 = mvni_chain_prob(3, r, a, b, &o, &r3);
        tap_ok(s2 == MVN_OK && fabs(r2.logp - lp2) <= 1e-12 * fabs(lp2),
               "d = 2, limit %g sd: log P %.15g, bivariate kernel %.15g", far[t], r2.logp, lp2);
        tap_ok(s3 == MVN_OK && fabs(r3.logp - lp3) <= 1e-12 * fabs(lp3),
               "d = 3, limit %g sd: log P %.15g, trivariate kernel %.15g", far[t], r3.logp, lp3);
    }
}

/* The independent Python recursion's values (header). */
typedef struct {
    const char *what;
    size_t d;
    double rho;
    int kind; /* 0: lower 0, one lower limit 'jump' in the middle; 1: lower
                 jump everywhere; 2: upper 2.5 - 0.3 sin k; 3: rectangle
                 (-2 - 0.5 cos k, 1.5 + 0.5 sin k) */
    double jump, logp;
} ref_case;

static const ref_case refs[] = {
    {"jump to 30 sd, rho 0.9", 20, 0.9, 0, 30.0, -454.321243956343},
    {"jump to 20 sd, rho 0.5", 12, 0.5, 0, 20.0, -204.983648337935},
    {"jump to 12 sd, rho -0.8", 15, -0.8, 0, 12.0, -353.604183399862},
    {"jump to 6 sd, rho 0.99", 8, 0.99, 0, 6.0, -20.7367689499747},
    {"orthant above 3, rho 0.5", 100, 0.5, 1, 3.0, -269.543445089128},
    {"upper limits, rho 0.5", 1000, 0.5, 2, 0.0, -6.31898030470888},
    {"rectangle, rho -0.6", 300, -0.6, 3, 0.0, -28.9426432915551},
};

static void limits(const ref_case *c, double *a, double *b)
{
    for (size_t k = 0; k < c->d; ++k) {
        switch (c->kind) {
        case 0:
            a[k] = k == c->d / 2 ? c->jump : 0.0;
            b[k] = INFINITY;
            break;
        case 1:
            a[k] = c->jump;
            b[k] = INFINITY;
            break;
        case 2:
            a[k] = -INFINITY;
            b[k] = 2.5 - 0.3 * sin((double)k);
            break;
        default:
            a[k] = -2.0 - 0.5 * cos((double)k);
            b[k] = 1.5 + 0.5 * sin((double)k);
        }
    }
}

static void against_references(mvn_context *ctx)
{
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 1e-10);
    for (size_t t = 0; t < sizeof refs / sizeof *refs; ++t) {
        const ref_case *c = refs + t;
        double *S = ar1_sigma(c->d, c->rho);
        double *a = malloc(c->d * sizeof *a), *b = malloc(c->d * sizeof *b);
        limits(c, a, b);
        double p = NAN, lp = NAN, e = NAN, lerr = NAN;
        int st = MVN_EINVAL;
        const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, (ptrdiff_t)c->d, 1};
        int rc = mvn_logprob_batch(ctx, 1, c->d, a, vs, b, vs, NULL, NULL, S, ss,
                                   MVN_SIGMA_COV, &p, &lp, &e, &lerr, &st);
        if (rc != MVN_OK)
            st = rc;
        const double err = fabs(lp - c->logp);
        tap_ok(st == MVN_OK && err <= 1e-9 * fmax(1.0, fabs(c->logp)),
               "%s, d = %zu: log P %.15g, reference %.15g (error %.1e, status %d)",
               c->what, c->d, lp, c->logp, err, st);
        /* The estimate covers the error (the reference's own is <= 6e-14). */
        tap_ok(lerr >= err - 1e-13 && lerr <= 1e-10,
               "%s: logerr %.1e covers the error %.1e and meets releps 1e-10",
               c->what, lerr, err);
        free(S);
        free(a);
        free(b);
    }
}

/* A chain with its own r_k of both signs, against dense QMC (the same
   problem under MVN_METHOD_QMC, which never takes the chain route). */
static void against_qmc(mvn_context *ctx)
{
    const size_t d = 10;
    double r[10], a[10], b[10];
    for (size_t k = 0; k < d; ++k) {
        r[k] = 0.95 * sin(1.7 * (double)k + 0.3);
        a[k] = k % 3 == 0 ? -INFINITY : -1.0 - 0.1 * (double)k;
        b[k] = 0.5 + 0.2 * cos((double)k);
    }
    double *S = chain_sigma(d, r);
    double pc, ec, pq, eq;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-7);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    int s1 = mvn_prob(ctx, d, a, b, NULL, S, &pc, NULL, &ec);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    int s2 = mvn_prob(ctx, d, a, b, NULL, S, &pq, NULL, &eq);
    tap_ok(s1 == MVN_OK && s2 == MVN_OK && fabs(pc - pq) <= eq + ec,
           "non-stationary chain, d = 10: recursion %.12g +- %.1e, QMC %.12g +- %.1e",
           pc, ec, pq, eq);
    /* The recursion's error is far below QMC's at the same request: the
       route was taken (QMC at 1e-7 cannot reach 1e-9). */
    tap_ok(ec <= 1e-9, "AUTO took the recursion (abserr %.1e)", ec);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    free(S);
}

/* dP/dx by central differences, x one of the limits. */
static double central(mvn_context *ctx, size_t d, const double *a, const double *b,
                      const double *S, double *x, double h)
{
    double p1, p2;
    *x += h;
    mvn_prob(ctx, d, a, b, NULL, S, &p1, NULL, NULL);
    *x -= 2 * h;
    mvn_prob(ctx, d, a, b, NULL, S, &p2, NULL, NULL);
    *x += h;
    return (p1 - p2) / (2 * h);
}

/* Derivatives through the public API (closed form; every conditional is
   again a chain) against central differences of P. */
static void gradient(mvn_context *ctx)
{
    const size_t d = 6;
    double *S = ar1_sigma(d, 0.7);
    double a[6], b[6], dl[6], du[6], dm[6], ds[36], p, lp, e;
    for (size_t k = 0; k < d; ++k) {
        a[k] = -1.0 - 0.2 * (double)k;
        b[k] = 0.4 + 0.3 * (double)k;
    }
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-12);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    int st = mvn_prob_grad(ctx, d, a, b, NULL, S, &p, &lp, &e, dl, du, dm, ds);
    double worst = 0.0;
    const double h = 1e-5;
    for (size_t k = 0; k < d; ++k) {
        worst = fmax(worst, fabs(du[k] - central(ctx, d, a, b, S, b + k, h)));
        worst = fmax(worst, fabs(dl[k] - central(ctx, d, a, b, S, a + k, h)));
    }
    tap_ok(st == MVN_OK && worst <= 1e-8,
           "AR(1) d = 6: d_lower, d_upper against central differences (worst %.1e)", worst);
    free(S);
}

/* Log-space derivatives in the limits come from one forward and one
   backward recursion (mvni_solve_chain_density) instead of 2d
   conditional problems: against central differences of log P, behind a
   limit 30 sd out (log P = -636) and with negative links. */
static void log_gradient(mvn_context *ctx)
{
    const size_t d = 12;
    double r[12], a[12], b[12], da[12], db[12], p, lp;
    for (size_t k = 0; k < d; ++k) {
        r[k] = k % 4 == 3 ? -0.6 : 0.9;
        a[k] = k == d / 2 ? 60.0 : 0.0; /* Sigma = 4 R: 30 sd */
        b[k] = k == 1 ? 10.0 : INFINITY;
    }
    double *S = chain_sigma(d, r);
    for (size_t i = 0; i < d * d; ++i)
        S[i] *= 4.0;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 1e-12);
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
    int st = MVN_EINVAL;
    mvn_logprob_grad_batch(ctx, 1, d, a, vs, b, vs, NULL, NULL, S, ss, MVN_SIGMA_COV, &p,
                           &lp, NULL, &st, da, db, NULL, NULL);
    const double worst = limit_fd_worst(ctx, d, a, b, S, da, db, 1);
    tap_ok((st == MVN_OK || st == MVN_ETOL) && worst <= 1e-6 && lp < -600.0,
           "log P = %.6g: d log P / d limits against central differences (worst %.1e relative, status %d)",
           lp, worst, st);
    free(S);
}

/* |r| so near 1 that the windows need more nodes than the recursion
   allows: it declines, and the public call still answers (QMC). */
static void decline(mvn_context *ctx)
{
    const size_t d = 6;
    const double r[6] = {0.0, 0.999999, 0.999999, 0.999999, 0.999999, 0.999999};
    double a[6], b[6];
    for (size_t k = 0; k < d; ++k) {
        a[k] = -1.0;
        b[k] = 1.0 + 0.1 * (double)k;
    }
    const mvni_qmc_options o = test_qmc_options(1e-6, 0.0);
    mvni_result res;
    tap_ok(mvni_chain_prob(d, r, a, b, &o, &res) == MVNI_CHAIN_DECLINED,
           "r = 0.999999: the recursion declines");
    double *S = chain_sigma(d, r);
    double p = NAN, e = NAN;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
    int st = mvn_prob(ctx, d, a, b, NULL, S, &p, NULL, &e);
    /* Nearly one variable: P is about P(-1 < Z < 1) = 0.6827. */
    tap_ok((st == MVN_OK || st == MVN_ETOL) && fabs(p - 0.682689) < 0.01,
           "and the public call answers by QMC: P = %.6f +- %.1e (status %d)", p, e, st);
    free(S);
}

/* Detection: a dense matrix is not a chain; AR(1) is, in any sign. */
static void detection(void)
{
    double S[16], r[4];
    for (int i = 0; i < 16; ++i)
        S[i] = i % 5 == 0 ? 1.0 : 0.5;
    const mvni_corr_view dense = {S, 4, NULL, NULL};
    tap_ok(!mvni_chain_find(4, &dense, r), "equicorrelated 0.5 is not a chain");
    double *A = ar1_sigma(4, -0.6);
    const mvni_corr_view ar1 = {A, 4, NULL, NULL};
    const int found = mvni_chain_find(4, &ar1, r);
    tap_ok(found && r[1] == -0.6 && r[3] == -0.6,
           "AR(1), rho = -0.6, is a chain with r = (%g, %g, %g)", r[1], r[2], r[3]);
    free(A);
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    detection();
    orthants();
    split_pairs();
    far_limits();
    against_references(ctx);
    against_qmc(ctx);
    gradient(ctx);
    log_gradient(ctx);
    decline(ctx);
    mvn_context_free(ctx);
    return tap_exit();
}
