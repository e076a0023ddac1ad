/*
 * test_gradient_errors.c -- mvn_prob_grad_err_batch: the derivatives are
 * those of mvn_prob_grad_batch (bitwise), and the error estimates cover the
 * true errors against exact references (REFERENCE_VALUES.md sec. 4, the
 * d = 5 equicorrelated rho = 0.3 gradient case), for both routes.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

#define D 5

/* d = 5, rho = 0.3, b = (-0.5, 0, 0.5, 1, 1.5), a = -inf. */
static const double P_EXACT = 0.1566389479563935;
static const double DB_EXACT[D] = {0.14504366511451425, 0.085382193159279758,
                                   0.043180004510105016, 0.018037272832688177,
                                   0.0059983522372113874};
static const double G15_EXACT = 0.0039291500588554; /* H_15 / 2 */

static void check_route(int route, const char *name, double abseps)
{
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_GRADIENT, route);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, abseps);
    mvn_context_set(ctx, MVN_OPT_SEED, 7);
    double S[D * D], b[D] = {-0.5, 0, 0.5, 1, 1.5};
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            S[i * D + j] = i == j ? 1.0 : 0.3;
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, D, 1};
    double p, e, du[D], dm[D], G[D * D], eu[D], el[D], eG[D * D];
    double p2, du2[D], G2[D * D];
    int st = mvn_prob_grad_err_batch(ctx, 1, D, NULL, NULL, b, vs, NULL, NULL, S, ss,
                                     MVN_SIGMA_COV, &p, NULL, &e, NULL, NULL, du, dm, G,
                                     el, eu, eG);
    int st2 = mvn_prob_grad_batch(ctx, 1, D, NULL, NULL, b, vs, NULL, NULL, S, ss,
                                  MVN_SIGMA_COV, &p2, NULL, NULL, NULL, NULL, du2, NULL, G2);
    tap_ok(st == MVN_OK && st2 == MVN_OK && p == p2 &&
               memcmp(du, du2, sizeof du) == 0 && memcmp(G, G2, sizeof G) == 0,
           "%s: derivatives equal mvn_prob_grad_batch's bitwise", name);
    int finite = 1, covered = 1;
    double worst = 0.0;
    for (int i = 0; i < D; ++i) {
        finite &= isfinite(eu[i]) && eu[i] >= 0.0 && isfinite(el[i]) && el[i] >= 0.0;
        double err = fabs(du[i] - DB_EXACT[i]);
        /* The estimate is a 3.5-sigma bound; allow rounding on top. */
        covered &= err <= (route == MVN_GRADIENT_CLOSED_FORM ? 1.0 : 3.0) * eu[i] + 1e-13;
        if (err > worst)
            worst = err;
    }
    for (int k = 0; k < D * D; ++k)
        finite &= isfinite(eG[k]) && eG[k] >= 0.0;
    tap_ok(finite, "%s: error estimates are finite and nonnegative", name);
    tap_ok(covered, "%s: |dP/db_i - exact| within %s err_upper (worst error %.2e)", name,
           route == MVN_GRADIENT_CLOSED_FORM ? "1x" : "3x (one seed; coverage is counted below)",
           worst);
    tap_ok(fabs(G[4] - G15_EXACT) <= eG[4] + 1e-13,
           "%s: err_sigma covers G_15 (error %.2e, estimate %.2e)", name,
           fabs(G[4] - G15_EXACT), eG[4]);
    tap_ok(fabs(p - P_EXACT) <= e, "%s: P within abserr", name);
    tap_ok(eu[0] <= 10.0 * abseps && eG[4] <= 10.0 * abseps,
           "%s: estimates are of the size of the tolerance (%.2e, %.2e)", name, eu[0], eG[4]);

    /* Bad input: every output NaN, including the error estimates. */
    S[1] = 5.0;
    st = mvn_prob_grad_err_batch(ctx, 1, D, NULL, NULL, b, vs, NULL, NULL, S, ss,
                                 MVN_SIGMA_COV, &p, NULL, &e, NULL, NULL, du, dm, G,
                                 el, eu, eG);
    tap_ok(st == MVN_EASYM && isnan(eu[0]) && isnan(el[0]) && isnan(eG[0]) && isnan(du[0]),
           "%s: asymmetric Sigma gives MVN_EASYM and NaN error estimates", name);
    mvn_context_free(ctx);
}

/* Coverage of the estimator's error estimates over independent seeds: a
   3.5-sigma estimate from 8 shifts should cover the true error in the
   large majority of entries (counted), and never be off by a large factor.
   One seed alone can miss: the spread of 8 shift means is itself noisy. */
static void estimator_coverage(void)
{
    double S[D * D], b[D] = {-0.5, 0, 0.5, 1, 1.5};
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            S[i * D + j] = i == j ? 1.0 : 0.3;
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, D, 1};
    int covered = 0, total = 0;
    double worst = 0.0;
    for (int seed = 0; seed < 12; ++seed) {
        mvn_context *ctx = mvn_context_alloc();
        mvn_context_set(ctx, MVN_OPT_GRADIENT, MVN_GRADIENT_ESTIMATOR);
        mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
        mvn_context_set(ctx, MVN_OPT_SEED, seed);
        double du[D], eu[D];
        mvn_prob_grad_err_batch(ctx, 1, D, NULL, NULL, b, vs, NULL, NULL, S, ss,
                                MVN_SIGMA_COV, NULL, NULL, NULL, NULL, NULL, du, NULL,
                                NULL, NULL, eu, NULL);
        for (int i = 0; i < D; ++i) {
            double ratio = fabs(du[i] - DB_EXACT[i]) / eu[i];
            covered += ratio <= 1.0;
            ++total;
            if (ratio > worst)
                worst = ratio;
        }
        mvn_context_free(ctx);
    }
    tap_diag("estimator: err_upper covers %d of %d entries over 12 seeds; worst error/estimate %.2f",
             covered, total, worst);
    tap_ok(covered >= (total * 9) / 10, "estimator: error estimates cover >= 90%% of entries (%d/%d)",
           covered, total);
    tap_ok(worst <= 3.0, "estimator: no error exceeds 3x its estimate (worst %.2f)", worst);
}

int main(void)
{
    check_route(MVN_GRADIENT_CLOSED_FORM, "closed form", 1e-6);
    check_route(MVN_GRADIENT_ESTIMATOR, "estimator", 1e-5);
    estimator_coverage();
    return tap_exit();
}
