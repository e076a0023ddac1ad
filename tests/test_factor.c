/*
 * test_factor.c -- one-factor correlation matrices (R_ij = lambda_i
 * lambda_j) by one log-space integral over the factor (exact/factor.c),
 * against references it was not tuned to:
 *   - the closed form of the equicorrelated rho = 1/2 orthant,
 *     P(X < 0) = 1 / (d + 1), up to d = 1000;
 *   - an independent quadrature (Python, bench/problems.py
 *     one_factor_prob: fixed 20-point Gauss-Legendre panels on (-30, 30),
 *     600 and 900 panels agreeing to rounding), in the deep tails issue 13
 *     names (log P = -43.5 at d = 5, -62.7 at d = 20) and with loadings of
 *     both signs;
 *   - dense QMC on the same problem, and central differences for the
 *     derivatives through the public API;
 * and the route itself: detection, the honest status of a request below
 * log P's rounding, and declining near rank one.
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

static double *factor_sigma(size_t d, const double *lam)
{
    double *S = malloc(d * d * sizeof *S);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : lam[i] * lam[j];
    return S;
}

static double *equi_sigma(size_t d, double rho)
{
    double *S = malloc(d * d * sizeof *S);
    for (size_t i = 0; i < d * d; ++i)
        S[i] = i % (d + 1) == 0 ? 1.0 : rho;
    return S;
}

/* log P and its error through mvn_logprob_batch (abseps 0, releps). */
static int logprob(mvn_context *ctx, size_t d, const double *a, const double *b,
                   const double *S, double releps, double *lp, double *lerr)
{
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
    double p, e;
    int st = MVN_EINVAL;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, releps);
    int rc = mvn_logprob_batch(ctx, 1, d, a, a ? vs : NULL, b, b ? vs : NULL, NULL,
                               NULL, S, ss, MVN_SIGMA_COV, &p, lp, &e, lerr, &st);
    return rc != MVN_OK ? rc : st;
}

static void detection(void)
{
    double lam[6];
    double *E = equi_sigma(6, 0.5);
    const mvni_corr_view ev = {E, 6, NULL, NULL};
    const int found = mvni_factor_find(6, &ev, lam);
    tap_ok(found && fabs(lam[0] - sqrt(0.5)) < 1e-15 && fabs(lam[5] - sqrt(0.5)) < 1e-15,
           "equicorrelated 0.5 is one-factor with loadings sqrt(1/2) (%.17g)", lam[0]);
    free(E);
    E = equi_sigma(6, -0.1);
    const mvni_corr_view nv = {E, 6, NULL, NULL};
    tap_ok(!mvni_factor_find(6, &nv, lam), "equicorrelated -0.1 is not (no real loadings)");
    free(E);
    E = equi_sigma(6, 1.0 - 1e-4);
    const mvni_corr_view sv = {E, 6, NULL, NULL};
    tap_ok(!mvni_factor_find(6, &sv, lam),
           "1 - rho = 1e-4: below MVNI_FACTOR_MIN_VAR, left to QMC");
    free(E);
    double A[16];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            A[i * 4 + j] = pow(0.6, abs(i - j));
    const mvni_corr_view av = {A, 4, NULL, NULL};
    tap_ok(!mvni_factor_find(4, &av, lam), "AR(1) is not one-factor");
}

/* P(X < 0) = 1 / (d + 1) for rho = 1/2 (Steck; the factor integral is
   the integral of Phi(t)^d phi(t)). */
static void half_orthants(mvn_context *ctx)
{
    const size_t ds[] = {4, 10, 100, 1000};
    for (size_t t = 0; t < sizeof ds / sizeof *ds; ++t) {
        const size_t d = ds[t];
        double *S = equi_sigma(d, 0.5), *b = calloc(d, sizeof *b);
        double lp = NAN, lerr = NAN;
        int st = logprob(ctx, d, NULL, b, S, 1e-12, &lp, &lerr);
        const double want = -log((double)d + 1.0), err = fabs(lp - want);
        tap_ok(st == MVN_OK && err <= 1e-12 && lerr >= err,
               "rho = 1/2 orthant, d = %zu: log P %.15g, exact %.15g (error %.1e, logerr %.1e)",
               d, lp, want, err, lerr);
        free(S);
        free(b);
    }
}

static void against_references(mvn_context *ctx)
{
    struct {
        const char *what;
        size_t d;
        int kind; /* 0: equicorrelated 1/2, lower c; 1: mixed loadings */
        double c, logp;
    } refs[] = {
        {"equicorrelated 1/2, X > 6.5", 5, 0, 6.5, -43.5398882150455},
        {"equicorrelated 1/2, X > 7", 20, 0, 7.0, -62.6615761793445},
        {"loadings of both signs, rectangle", 30, 1, 0.0, -7.81144574985844},
    };
    for (size_t t = 0; t < sizeof refs / sizeof *refs; ++t) {
        const size_t d = refs[t].d;
        double *lam = malloc(d * sizeof *lam), *a = malloc(d * sizeof *a),
               *b = malloc(d * sizeof *b);
        for (size_t k = 0; k < d; ++k) {
            const double x = (double)k;
            if (refs[t].kind == 0) {
                lam[k] = sqrt(0.5);
                a[k] = refs[t].c;
                b[k] = INFINITY;
            } else {
                lam[k] = 0.9 * sin(0.7 * x + 0.4);
                a[k] = -1.5 - 0.3 * cos(x);
                b[k] = 0.8 + 0.4 * sin(1.3 * x);
            }
        }
        double *S = factor_sigma(d, lam);
        double lp = NAN, lerr = NAN;
        int st = logprob(ctx, d, a, b, S, 1e-10, &lp, &lerr);
        const double err = fabs(lp - refs[t].logp);
        tap_ok(st == MVN_OK && err <= 1e-11 * fmax(1.0, fabs(refs[t].logp)),
               "%s, d = %zu: log P %.15g, reference %.15g (error %.1e, status %d)",
               refs[t].what, d, lp, refs[t].logp, err, st);
        tap_ok(lerr >= err && lerr <= 1e-10, "%s: logerr %.1e covers the error %.1e",
               refs[t].what, lerr, err);
        free(S);
        free(lam);
        free(a);
        free(b);
    }
}

/* The same problem under METHOD_QMC (never the factor route). */
static void against_qmc(mvn_context *ctx)
{
    const size_t d = 8;
    double lam[8], a[8], b[8];
    for (size_t k = 0; k < d; ++k) {
        lam[k] = 0.8 * cos(1.1 * (double)k + 0.2);
        a[k] = k % 2 ? -INFINITY : -1.0;
        b[k] = 0.3 + 0.15 * (double)k;
    }
    double *S = factor_sigma(d, lam);
    double pf, ef, pq, eq;
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-7);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    int s1 = mvn_prob(ctx, d, a, b, NULL, S, &pf, NULL, &ef);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
    int s2 = mvn_prob(ctx, d, a, b, NULL, S, &pq, NULL, &eq);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_AUTO);
    tap_ok(s1 == MVN_OK && s2 == MVN_OK && fabs(pf - pq) <= eq + ef && ef <= 1e-12,
           "d = 8, mixed loadings: factor integral %.13g +- %.1e, QMC %.13g +- %.1e",
           pf, ef, pq, eq);
    free(S);
}

/* dP/dlimits through the public API against central differences. */
static void gradient(mvn_context *ctx)
{
    const size_t d = 6;
    double *S = equi_sigma(d, 0.3);
    double a[6], b[6], dl[6], du[6], dm[6], ds[36], p, lp, e, worst = 0.0;
    for (size_t k = 0; k < d; ++k) {
        a[k] = -1.2 + 0.1 * (double)k;
        b[k] = 0.5 + 0.25 * (double)k;
    }
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-12);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    int st = mvn_prob_grad(ctx, d, a, b, NULL, S, &p, &lp, &e, dl, du, dm, ds);
    const double h = 1e-5;
    for (size_t k = 0; k < d; ++k) {
        for (int side = 0; side < 2; ++side) {
            double *x = side ? b + k : a + k, p1, p2;
            *x += h;
            mvn_prob(ctx, d, a, b, NULL, S, &p1, NULL, NULL);
            *x -= 2 * h;
            mvn_prob(ctx, d, a, b, NULL, S, &p2, NULL, NULL);
            *x += h;
            worst = fmax(worst, fabs((side ? du[k] : dl[k]) - (p1 - p2) / (2 * h)));
        }
    }
    tap_ok(st == MVN_OK && worst <= 1e-8,
           "equicorrelated 0.3, d = 6: d_lower, d_upper against central differences (worst %.1e)",
           worst);
    free(S);
}

/* A relative tolerance below log P's rounding is not claimed met. */
static void honest_status(mvn_context *ctx)
{
    const size_t d = 10;
    double *S = equi_sigma(d, 0.5), *b = calloc(d, sizeof *b);
    double lp, lerr;
    int st = logprob(ctx, d, NULL, b, S, 1e-17, &lp, &lerr);
    tap_ok(st == MVN_ETOL && lerr > 1e-17 && fabs(lp + log(11.0)) < 1e-12,
           "releps 1e-17: MVN_ETOL with logerr %.1e (log P %.15g still right)", lerr, lp);
    free(S);
    free(b);
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    detection();
    half_orthants(ctx);
    against_references(ctx);
    against_qmc(ctx);
    gradient(ctx);
    honest_status(ctx);
    mvn_context_free(ctx);
    return tap_exit();
}
