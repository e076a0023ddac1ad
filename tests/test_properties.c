/*
 * test_properties.c -- mathematical properties of P(a < X < b) that need
 * no reference values: factorization, invariances, inclusion-exclusion,
 * monotonicity, bounds, Slepian, reflection, infinite limits, singular
 * Sigma, reproducibility, and the Cholesky entry point.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two QMC results "agree" when |p1 - p2| <= abserr1 + abserr2 (+ a floor
 * of a few ulps for the exact kernels).  Where a property has an exact
 * side (a product of univariate terms, a one-factor integral) it is
 * computed with refs.h, independently of the library.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

#define QMC_TOL 1e-5
#define QMC_BUDGET 5e5

/* Two results of the same P.  With exact kernels on both sides (no
   integrand evaluations) they must agree within the floor.  Two QMC results are two random
   draws: a disagreement beyond abserr1 + abserr2 is a miss, counted into
   the program's pooled binomial bound (refs.h, "Counted statistical
   checks", reported at the end); only a gross one (beyond 5 times) fails
   here. */
static int agree(const char *name, refs_result r1, refs_result r2,
                 double floor)
{
    int ok = (r1.status == MVN_OK || r1.status == MVN_ETOL) &&
             (r2.status == MVN_OK || r2.status == MVN_ETOL);
    const double tol = r1.err + r2.err + floor, diff = fabs(r1.p - r2.p);
    const int miss = !(diff <= tol);
    /* The exact kernels report no integrand evaluations. */
    const int exact_kernels = r1.evals == 0 && r2.evals == 0;
    if (exact_kernels)
        ok = ok && !miss;
    else {
        ok = ok && diff <= REFS_GROSS * tol;
        refs_pool.runs += 1;
        refs_pool.misses += miss;
    }
    tap_ok(ok, "%s%s", name, exact_kernels || !miss ? "" : " (a miss, counted)");
    if (!ok || miss)
        tap_diag("   p1 %.17g (status %d, abserr %.3g) p2 %.17g (status %d, "
                 "abserr %.3g) diff %.3g tol %.3g", r1.p, r1.status, r1.err,
                 r2.p, r2.status, r2.err, r1.p - r2.p, tol);
    return ok;
}

/* A random covariance with unit-ish variances. */
static void random_cov(refs_rng *rng, size_t d, double *S)
{
    double *L = (double *)malloc(d * d * sizeof(double));
    refs_random_chol(rng, d, L);
    refs_llt(d, L, S);
    free(L);
}

/* ------------------------------------------------------------------ */

static void diagonal(mvn_context *ctx)
{
    static const size_t dims[] = {1, 2, 3, 5, 20, 100};
    refs_rng rng;
    size_t di, i;
    refs_rng_seed(&rng, 1);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        size_t d = dims[di];
        double *S = (double *)calloc(d * d + 3 * d, sizeof(double));
        double *a = S + d * d, *b = a + d, *m = b + d, want = 1, want_log = 0;
        refs_result r;
        for (i = 0; i < d; ++i) {
            double s = refs_unif_ab(&rng, 0.5, 3), u = refs_unif(&rng);
            S[i * d + i] = s * s;
            m[i] = refs_normal(&rng);
            a[i] = m[i] + s * refs_unif_ab(&rng, -4, 1);
            b[i] = a[i] + s * refs_unif_ab(&rng, 0.2, 4);
            if (u < 0.2)
                a[i] = -INFINITY;
            else if (u < 0.4)
                b[i] = INFINITY;
            /* The reference standardizes exactly as a user would. */
            want *= refs_diff((a[i] - m[i]) / s, (b[i] - m[i]) / s);
            want_log += refs_logdiff((a[i] - m[i]) / s, (b[i] - m[i]) / s);
        }
        r = refs_run(ctx, d, a, b, m, S);
        /* A product of d univariate differences, each a few ulps: allow
           (4 + 2d) ulps relative. */
        tap_rel(r.p, want, (4 + 2.0 * d) * DBL_EPSILON,
                "diagonal d=%zu: P = prod of univariate terms", d);
        tap_close(r.logp, want_log, (4 + 2.0 * d) * DBL_EPSILON * refs_max(1, fabs(want_log)),
                  "diagonal d=%zu: log P = sum of univariate logs", d);
        tap_ok(r.status == MVN_OK && r.evals == 0,
               "diagonal d=%zu: status %d, no integration (evals %.0f)", d,
               r.status, r.evals);
        free(S);
    }
    {
        /* Far below underflow: d = 100, X_i < -10. */
        size_t d = 100;
        double *S = (double *)calloc(d * d + d, sizeof(double)), *b = S + d * d;
        refs_result r;
        for (i = 0; i < d; ++i) {
            S[i * d + i] = 1;
            b[i] = -10;
        }
        r = refs_run(ctx, d, NULL, b, NULL, S);
        tap_rel(r.logp, 100 * refs_logPhi(-10), 1e-14,
                "identity d=100, X < -10: log P = 100 log Phi(-10) (P "
                "underflows)");
        tap_ok(r.p == 0 && r.status == MVN_OK,
               "identity d=100, X < -10: p underflows to 0 (%g), status %d",
               r.p, r.status);
        free(S);
    }
}

static void block_diagonal(mvn_context *ctx)
{
    /* Blocks of sizes 2, 3, 1 (exact kernels) and 4 (QMC). */
    static const size_t sizes[] = {2, 3, 1, 4};
    const size_t nb = 4, d = 10;
    double S[100] = {0}, a[10], b[10], prod = 1, prod_err = 0, blk[16];
    double prod3 = 1;
    size_t off = 0, k, i, j, perm[10];
    refs_rng rng;
    refs_result r, rb;
    refs_rng_seed(&rng, 2);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (k = 0; k < nb; ++k) {
        size_t n = sizes[k];
        random_cov(&rng, n, blk);
        for (i = 0; i < n; ++i) {
            a[off + i] = refs_unif_ab(&rng, -3, -0.5);
            b[off + i] = refs_unif_ab(&rng, 0, 2.5);
            for (j = 0; j < n; ++j)
                S[(off + i) * d + off + j] = blk[i * n + j];
        }
        rb = refs_run(ctx, n, a + off, b + off, NULL, blk);
        prod *= rb.p;
        prod_err += rb.err;
        if (k < 3)
            prod3 *= rb.p;
        off += n;
    }
    /* The first three blocks alone (d = 6): exact, no integration. */
    {
        double S6[36];
        for (i = 0; i < 6; ++i)
            for (j = 0; j < 6; ++j)
                S6[i * 6 + j] = S[i * d + j];
        r = refs_run(ctx, 6, a, b, NULL, S6);
        tap_rel(r.p, prod3, 1e-13,
                "block-diagonal (2,3,1): P = product of the blocks");
        tap_ok(r.evals == 0, "block-diagonal (2,3,1): exact kernels only "
                             "(evals %.0f)", r.evals);
        /* Interleaved: the blocks are connected components of the graph
           of nonzero covariances, whatever the order. */
        {
            static const size_t pm[6] = {3, 0, 5, 2, 1, 4};
            double Sp[36], ap[6], bp[6];
            refs_result rq;
            refs_permute(6, pm, S6, Sp);
            for (i = 0; i < 6; ++i) {
                ap[i] = a[pm[i]];
                bp[i] = b[pm[i]];
            }
            rq = refs_run(ctx, 6, ap, bp, NULL, Sp);
            tap_rel(rq.p, prod3, 1e-13, "block-diagonal (2,3,1) interleaved: "
                                        "P = product of the blocks");
            tap_ok(rq.evals == 0, "block-diagonal (2,3,1) interleaved: exact "
                                  "kernels only (evals %.0f)", rq.evals);
        }
    }
    r = refs_run(ctx, d, a, b, NULL, S);
    {
        refs_result rp;
        rp.status = MVN_OK;
        rp.p = prod;
        rp.err = prod_err;
        agree("block-diagonal (2,3,1,4): P = product of the blocks", r, rp,
              1e-14);
    }
    /* The same blocks with coordinates interleaved. */
    {
        double Sp[100], ap[10], bp[10];
        refs_result rq;
        refs_random_perm(&rng, d, perm);
        refs_permute(d, perm, S, Sp);
        for (i = 0; i < d; ++i) {
            ap[i] = a[perm[i]];
            bp[i] = b[perm[i]];
        }
        rq = refs_run(ctx, d, ap, bp, NULL, Sp);
        agree("block-diagonal, coordinates permuted: same P", r, rq, 1e-14);
        tap_diag("block-diagonal: evals %.0f in block order, %.0f permuted",
                 r.evals, rq.evals);
    }
}

static void permutation(mvn_context *ctx)
{
    static const size_t dims[] = {3, 5, 8};
    refs_rng rng;
    size_t di, i, t;
    char name[96];
    refs_rng_seed(&rng, 3);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        size_t d = dims[di], perm[8];
        double S[64], Sp[64], a[8], b[8], ap[8], bp[8], m[8], mp[8];
        refs_result r0, r1;
        random_cov(&rng, d, S);
        for (i = 0; i < d; ++i) {
            m[i] = 0.5 * refs_normal(&rng);
            a[i] = i % 3 == 0 ? -INFINITY : refs_unif_ab(&rng, -3, 0);
            b[i] = refs_unif_ab(&rng, 0.5, 3);
        }
        r0 = refs_run(ctx, d, a, b, m, S);
        for (t = 0; t < 3; ++t) {
            refs_random_perm(&rng, d, perm);
            refs_permute(d, perm, S, Sp);
            for (i = 0; i < d; ++i) {
                ap[i] = a[perm[i]];
                bp[i] = b[perm[i]];
                mp[i] = m[perm[i]];
            }
            r1 = refs_run(ctx, d, ap, bp, mp, Sp);
            snprintf(name, sizeof name, "permutation invariance d=%zu #%zu",
                     d, t);
            agree(name, r0, r1, d <= 3 ? 1e-14 : 0);
        }
    }
}

static void scale_and_shift(mvn_context *ctx)
{
    static const size_t dims[] = {2, 3, 6};
    refs_rng rng;
    size_t di, i, j;
    char name[96];
    refs_rng_seed(&rng, 4);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        size_t d = dims[di];
        double S[36], SD[36], a[6], b[6], aD[6], bD[6], s[6], m[6], am[6],
            bm[6];
        refs_result r0, r1, r2;
        random_cov(&rng, d, S);
        for (i = 0; i < d; ++i) {
            s[i] = refs_unif_ab(&rng, 0.1, 10);
            m[i] = 3 * refs_normal(&rng);
            a[i] = i == 1 ? -INFINITY : refs_unif_ab(&rng, -3, 0);
            b[i] = refs_unif_ab(&rng, 0.2, 3);
            aD[i] = s[i] * a[i];
            bD[i] = s[i] * b[i];
            am[i] = a[i] + m[i];
            bm[i] = b[i] + m[i];
        }
        for (i = 0; i < d; ++i)
            for (j = 0; j < d; ++j)
                SD[i * d + j] = s[i] * S[i * d + j] * s[j];
        r0 = refs_run(ctx, d, a, b, NULL, S);
        r1 = refs_run(ctx, d, aD, bD, NULL, SD);
        r2 = refs_run(ctx, d, am, bm, m, S);
        /* Exact kernels: the rounding of s a and s S s moves P by a few
           ulps times the density; 1e-14 covers it. */
        snprintf(name, sizeof name, "scale invariance P(Da, Db; D S D) d=%zu",
                 d);
        agree(name, r0, r1, d <= 3 ? 1e-14 : 0);
        snprintf(name, sizeof name, "mean shift P(a+m, b+m; m, S) d=%zu", d);
        agree(name, r0, r2, d <= 3 ? 1e-14 : 0);
    }
}

/* P of the rectangle by inclusion-exclusion over the 2^d corners of CDF
   calls. */
static void inclusion_exclusion(mvn_context *ctx)
{
    static const size_t dims[] = {3, 4};
    refs_rng rng;
    size_t di, i;
    unsigned mask;
    refs_rng_seed(&rng, 5);
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        size_t d = dims[di];
        double S[16], a[4], b[4], c[4], sum = 0;
        refs_result r, rs, rc;
        random_cov(&rng, d, S);
        refs_to_corr(d, S);
        for (i = 0; i < d; ++i) {
            a[i] = refs_unif_ab(&rng, -2, 0);
            b[i] = a[i] + refs_unif_ab(&rng, 0.5, 2.5);
        }
        refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
        r = refs_run(ctx, d, a, b, NULL, S);
        rs.status = MVN_OK;
        rs.err = 0;
        rs.evals = 0;
        for (mask = 0; mask < (1u << d); ++mask) {
            int sign = 1;
            for (i = 0; i < d; ++i) {
                if (mask & (1u << i)) {
                    c[i] = a[i];
                    sign = -sign;
                } else {
                    c[i] = b[i];
                }
            }
            rc = refs_run(ctx, d, NULL, c, NULL, S);
            sum += sign * rc.p;
            rs.err += rc.err;
            rs.evals += rc.evals;
            if (rc.status != MVN_OK && rc.status != MVN_ETOL)
                rs.status = rc.status;
        }
        rs.p = sum;
        if (d == 3)
            /* Exact kernels: 8 terms of ~1e-15 each. */
            tap_close(r.p, sum, 1e-14, "inclusion-exclusion d=3 (exact "
                                       "kernels): rectangle = signed sum of "
                                       "8 CDFs");
        else
            agree("inclusion-exclusion d=4 (QMC): rectangle = signed sum of "
                  "16 CDFs", r, rs, 0);
    }
}

static void monotone_and_bounds(mvn_context *ctx)
{
    refs_rng rng;
    size_t i, t;
    int ok = 1, okq = 1, okb = 1;
    double S3[9], S6[36], prev = -1;
    refs_rng_seed(&rng, 6);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    /* d = 3: exact kernels must be monotone along a line of upper limits
       (allowing 2 ulps of rounding). */
    random_cov(&rng, 3, S3);
    for (t = 0; t <= 40; ++t) {
        double b[3] = {-4 + 0.2 * t, 0.3, 1.0};
        refs_result r = refs_run(ctx, 3, NULL, b, NULL, S3);
        if (r.p < prev - 2 * DBL_EPSILON * prev)
            ok = 0;
        prev = r.p;
    }
    tap_ok(ok, "monotonicity in b_1, d=3 (exact kernels), 41 points");
    /* d = 6: QMC, within errors; the lower limit moves down too. */
    random_cov(&rng, 6, S6);
    {
        refs_result rprev;
        rprev.p = -1;
        rprev.err = 0;
        for (t = 0; t <= 10; ++t) {
            double a[6], b[6];
            refs_result r;
            for (i = 0; i < 6; ++i) {
                a[i] = -0.5 - 0.1 * t;
                b[i] = 0.5 + 0.1 * t * (i + 1) / 6.0;
            }
            r = refs_run(ctx, 6, a, b, NULL, S6);
            if (r.p < rprev.p - (r.err + rprev.err))
                okq = 0;
            rprev = r;
        }
    }
    tap_ok(okq, "monotonicity, d=6 (QMC), growing rectangles, within "
                "errors");
    /* 0 <= P <= min_i (Phi(b_i) - Phi(a_i)) on random problems. */
    for (t = 0; t < 20; ++t) {
        size_t d = 3 + t % 6;
        double S[64], a[8], b[8], bound = 1;
        refs_result r;
        random_cov(&rng, d, S);
        refs_to_corr(d, S);
        for (i = 0; i < d; ++i) {
            a[i] = t % 2 ? -INFINITY : refs_unif_ab(&rng, -3, 0);
            b[i] = t % 2 ? refs_unif_ab(&rng, -1, 2)
                         : a[i] + refs_unif_ab(&rng, 0.1, 3);
            bound = fmin(bound, refs_diff(a[i], b[i]));
        }
        r = refs_run(ctx, d, a, b, NULL, S);
        if (!(r.p >= 0 && r.p <= bound + r.err + 1e-15)) {
            okb = 0;
            tap_diag("bound violated: d=%zu p %.17g abserr %.3g bound %.17g "
                     "status %d", d, r.p, r.err, bound, r.status);
        }
    }
    tap_ok(okb, "0 <= P <= min_i P(a_i < X_i < b_i) on 20 random problems");
}

static void slepian(mvn_context *ctx)
{
    static const double rhos[] = {0.1, 0.3, 0.5, 0.7, 0.9};
    refs_rng rng;
    size_t k, i, j;
    int ok = 1;
    double S[36], R[36], zero[6] = {0};
    refs_result prev, r;
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    /* Equicorrelated orthant of d = 5: increasing in rho. */
    prev.p = -1;
    prev.err = 0;
    for (k = 0; k < 5; ++k) {
        refs_equi_cov(5, rhos[k], S);
        r = refs_run(ctx, 5, NULL, zero, NULL, S);
        if (!(r.p >= prev.p - (r.err + prev.err)))
            ok = 0;
        prev = r;
    }
    tap_ok(ok, "Slepian: equicorrelated orthant d=5 increases with rho");
    /* Random correlation R and R' = 0.7 R + 0.3 J: elementwise larger. */
    refs_rng_seed(&rng, 7);
    ok = 1;
    for (k = 0; k < 5; ++k) {
        refs_result r0, r1;
        random_cov(&rng, 6, R);
        refs_to_corr(6, R);
        for (i = 0; i < 6; ++i)
            for (j = 0; j < 6; ++j)
                S[i * 6 + j] = 0.7 * R[i * 6 + j] + 0.3;
        r0 = refs_run(ctx, 6, NULL, zero, NULL, R);
        r1 = refs_run(ctx, 6, NULL, zero, NULL, S);
        if (!(r1.p >= r0.p - (r0.err + r1.err)))
            ok = 0;
    }
    tap_ok(ok, "Slepian: P(X < 0; R) <= P(X < 0; 0.7 R + 0.3 J), 5 random "
               "R in d=6");
}

static void reflection(mvn_context *ctx)
{
    static const size_t dims[] = {2, 3, 5};
    refs_rng rng;
    size_t di, i;
    char name[96];
    refs_rng_seed(&rng, 8);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        size_t d = dims[di];
        double S[25], b[5], nb[5], a[5], na[5];
        refs_result r0, r1;
        random_cov(&rng, d, S);
        for (i = 0; i < d; ++i) {
            b[i] = refs_unif_ab(&rng, -1, 2);
            nb[i] = -b[i];
            a[i] = b[i] - refs_unif_ab(&rng, 0.5, 3);
            na[i] = -a[i];
        }
        r0 = refs_run(ctx, d, NULL, b, NULL, S);
        r1 = refs_run(ctx, d, nb, NULL, NULL, S);
        snprintf(name, sizeof name, "reflection P(X < b) = P(X > -b) d=%zu", d);
        agree(name, r0, r1, d <= 3 ? 1e-15 : 0);
        r0 = refs_run(ctx, d, a, b, NULL, S);
        r1 = refs_run(ctx, d, nb, na, NULL, S);
        snprintf(name, sizeof name, "reflection P(a < X < b) = "
                                    "P(-b < X < -a) d=%zu", d);
        agree(name, r0, r1, d <= 3 ? 1e-15 : 0);
    }
}

/* Every combination of infinite limits in d = 2, 3, 4 on a one-factor
   Sigma, against the exact integral. */
static void infinite_limits(mvn_context *ctx)
{
    refs_rng rng;
    size_t d, i;
    refs_rng_seed(&rng, 9);
    for (d = 2; d <= 4; ++d) {
        double l[4], D[4], S[16], a0[4], b0[4], a[4], b[4], m[4];
        unsigned combo, ncombo = 1u << (2 * d);
        int bad = 0, n = 0, nqmc = 0, covered = 0, all_inf_ok = 0;
        for (i = 0; i < d; ++i) {
            l[i] = (i % 2 ? -1 : 1) * refs_unif_ab(&rng, 0.3, 1.2);
            D[i] = refs_unif_ab(&rng, 0.3, 1.5);
            m[i] = refs_normal(&rng);
            a0[i] = m[i] + refs_unif_ab(&rng, -2, -0.2);
            b0[i] = m[i] + refs_unif_ab(&rng, 0.2, 2);
        }
        refs_one_factor_cov(d, l, D, S);
        /* d = 4 with all limits finite goes to QMC: a coarser tolerance
           keeps the 81 such cases fast. */
        refs_set(ctx, d == 4 ? 1e-4 : QMC_TOL, 0, QMC_BUDGET);
        for (combo = 0; combo < ncombo; ++combo) {
            double exact;
            refs_result r;
            int all_inf = 1;
            for (i = 0; i < d; ++i) {
                unsigned c = (combo >> (2 * i)) & 3u;
                a[i] = (c & 1u) ? a0[i] : -INFINITY;
                b[i] = (c & 2u) ? b0[i] : INFINITY;
                if (c)
                    all_inf = 0;
            }
            r = refs_run(ctx, d, a, b, m, S);
            if (all_inf) {
                all_inf_ok = r.status == MVN_OK && r.p == 1.0 &&
                             r.logp == 0.0 && r.err == 0.0 && r.evals == 0;
                tap_ok(all_inf_ok, "d=%zu all limits infinite: P = 1, "
                                   "log P = 0, abserr 0, no integration "
                                   "(p %.17g logp %g abserr %g evals %.0f)",
                       d, r.p, r.logp, r.err, r.evals);
                continue;
            }
            exact = refs_one_factor(d, a, b, m, l, D);
            ++n;
            /* An exact kernel must be within 1e-14.  A QMC value (abserr
               about 3.5 standard errors) may miss abserr in about 1% of
               cases: as in test_one_factor, all must be within
               5 abserr and 90% within abserr. */
            if (r.evals > 0) {
                ++nqmc;
                covered += fabs(r.p - exact) <= r.err;
            }
            if (!((r.status == MVN_OK || r.status == MVN_ETOL) &&
                  fabs(r.p - exact) <= (r.evals > 0 ? 5 * r.err : 1e-14) &&
                  refs_err_meets_tol(ctx, r.run[0]))) {
                ++bad;
                tap_diag("d=%zu combination %u: p %.17g exact %.17g abserr "
                         "%.3g status %d", d, combo, r.p, exact, r.err,
                         r.status);
            }
        }
        tap_ok(bad == 0, "d=%zu: all %d combinations of infinite limits "
                         "match the exact one-factor integral", d, n);
        tap_ok(covered >= 0.9 * nqmc, "d=%zu: %d of %d QMC cases within "
                                      "abserr", d, covered, nqmc);
    }
}

static void singular(mvn_context *ctx)
{
    static const double hk[][2] = {{0, 0},  {1, -0.5}, {-1, 2},
                                   {-3, -2}, {2.5, 2.5}, {0.3, -0.3}};
    size_t i;
    refs_rng rng;
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (i = 0; i < sizeof hk / sizeof hk[0]; ++i) {
        double h = hk[i][0], k = hk[i][1];
        double Sp[4] = {1, 1, 1, 1}, Sm[4] = {1, -1, -1, 1}, b[2] = {h, k};
        double a[2] = {h - 1, k - 2};
        refs_result r;
        double want;
        r = refs_run(ctx, 2, NULL, b, NULL, Sp);
        want = refs_Phi(fmin(h, k));
        refs_check_p("rho = 1: Phi(min(h,k))", ctx, r, want, 1e-15);
        r = refs_run(ctx, 2, NULL, b, NULL, Sm);
        want = fmax(0, refs_Phi(h) + refs_Phi(k) - 1);
        refs_check_p("rho = -1: max(0, Phi(h)+Phi(k)-1)", ctx, r, want,
                     1e-15);
        r = refs_run(ctx, 2, a, b, NULL, Sp);
        want = refs_diff(fmax(a[0], a[1]), fmin(b[0], b[1]));
        refs_check_p("rho = 1 rectangle: Phi(min b) - Phi(max a)", ctx, r,
                     want, 1e-15);
    }
    /* d = 3 and d = 4 rank-deficient: Y one-factor in d = 3, X = (Y, c Y_1)
       with c = 2 (so X_4 < b_4 is Y_1 < b_4 / 2) or c = -1 (Y_1 > -b_4);
       d = 3: X = (Y_1, Y_2, Y_1).  Counted over seeds (each used to be
       one run), at abseps 1e-6 (at 1e-5 these stop after 512 .. 2048
       evaluations, rules of 64 .. 256 points).  Their integrands have an
       endpoint singularity: the remaining row's factor is
       g(w) = Phi((b - c Phi^-1(w e)) / s), whose derivative grows like
       w^(c^2/s^2 - 1) at w = 0 when |c| < s, so a shift that puts a point
       near the end is an outlier and the standard error of 8 shifts is
       heavy-tailed: errors of 3.3 .. 3.8 times abserr with the prime
       Korobov rules of 0.1 and 5.8 - 5.9 times with the embedded rules
       of 0.2 were seen over seed offsets 0 .. 7 (2 .. 4 misses of 5 per
       case).  The gross factor is 10 here, not 5, and this is a known
       limit of the error estimate (doc/accuracy.md).  Since 2026-12 the
       d = 3 case (rank 2) is answered by the trivariate kernel
       (evaluations 0: no miss allowed); the d = 4 cases remain QMC. */
    refs_set(ctx, 1e-6, 0, QMC_BUDGET);
    refs_gross = 10.0;
    refs_rng_seed(&rng, 10);
    for (i = 0; i < 3; ++i) {
        double l[3], D[3], S3[9], S[16], b[4], b3[3], a3[3], exact;
        double c = i == 0 ? 2.0 : -1.0;
        size_t p, q;
        refs_result r;
        for (p = 0; p < 3; ++p) {
            l[p] = refs_unif_ab(&rng, -1, 1);
            D[p] = refs_unif_ab(&rng, 0.3, 1.5);
            b[p] = refs_unif_ab(&rng, -0.5, 1.5);
        }
        /* For X4 = -X1 this keeps -b4 < b1: a non-empty constraint. */
        b[3] = refs_unif_ab(&rng, 0.5, 1.5);
        refs_one_factor_cov(3, l, D, S3);
        if (i < 2) {
            for (p = 0; p < 4; ++p)
                for (q = 0; q < 4; ++q) {
                    double cp = p == 3 ? c : 1, cq = q == 3 ? c : 1;
                    size_t pp = p == 3 ? 0 : p, qq = q == 3 ? 0 : q;
                    S[p * 4 + q] = cp * cq * S3[pp * 3 + qq];
                }
            for (p = 0; p < 3; ++p) {
                a3[p] = -INFINITY;
                b3[p] = b[p];
            }
            if (c > 0)
                b3[0] = fmin(b[0], b[3] / c);
            else
                a3[0] = -b[3];
            exact = refs_one_factor(3, a3, b3, NULL, l, D);
            r = refs_run_seeds(ctx, 4, NULL, b, NULL, S);
            refs_check_p(c > 0 ? "rank 3 in d=4: X4 = 2 X1"
                               : "rank 3 in d=4: X4 = -X1",
                         ctx, r, exact, 1e-14);
        } else {
            /* d = 3, X3 = X1: P = P(Y1 < min(b1, b3), Y2 < b2). */
            double L2[2] = {l[0], l[1]}, D2[2] = {D[0], D[1]}, b2[2];
            for (p = 0; p < 3; ++p)
                for (q = 0; q < 3; ++q)
                    S[p * 3 + q] = S3[(p == 2 ? 0 : p) * 3 + (q == 2 ? 0 : q)];
            b2[0] = fmin(b[0], b[2]);
            b2[1] = b[1];
            exact = refs_one_factor(2, NULL, b2, NULL, L2, D2);
            r = refs_run_seeds(ctx, 3, NULL, b, NULL, S);
            refs_check_p("rank 2 in d=3: X3 = X1", ctx, r, exact, 1e-14);
        }
    }
    refs_gross = REFS_GROSS;
}

static void reproducibility(mvn_context *ctx)
{
    const size_t d = 8;
    double S[64], a[8], b[8];
    refs_rng rng;
    size_t i;
    refs_result r1, r2, r3;
    refs_rng_seed(&rng, 11);
    random_cov(&rng, d, S);
    for (i = 0; i < d; ++i) {
        a[i] = refs_unif_ab(&rng, -3, -0.5);
        b[i] = refs_unif_ab(&rng, 0, 2);
    }
    /* Enough points that the work is split between threads. */
    refs_set(ctx, 1e-6, 0, 2e5);
    mvn_context_set(ctx, MVN_OPT_SEED, 99);
    r1 = refs_run(ctx, d, a, b, NULL, S);
    mvn_context_set(ctx, MVN_OPT_THREADS, 2);
    r2 = refs_run(ctx, d, a, b, NULL, S);
    tap_ok(memcmp(&r1.p, &r2.p, sizeof(double)) == 0 &&
               memcmp(&r1.err, &r2.err, sizeof(double)) == 0 &&
               memcmp(&r1.logp, &r2.logp, sizeof(double)) == 0 &&
               r1.status == r2.status && r1.evals == r2.evals,
           "same seed: bitwise the same p, logp, abserr with 1 and 2 "
           "threads (%.17g, %.17g; evals %.0f)", r1.p, r2.p, r1.evals);
    mvn_context_set(ctx, MVN_OPT_THREADS, 1);
    mvn_context_set(ctx, MVN_OPT_SEED, 100);
    r3 = refs_run(ctx, d, a, b, NULL, S);
    tap_ok(r3.p != r1.p, "different seeds give different estimates "
                         "(%.17g vs %.17g)", r1.p, r3.p);
    agree("different seeds agree within their errors", r1, r3, 0);
    mvn_context_set(ctx, MVN_OPT_SEED, 99);
    r3 = refs_run(ctx, d, a, b, NULL, S);
    tap_ok(memcmp(&r1.p, &r3.p, sizeof(double)) == 0,
           "seed 99 again: bitwise the same p");
    mvn_context_set(ctx, MVN_OPT_SEED, 0);
}

static void cholesky_entry(mvn_context *ctx)
{
    static const size_t dims[] = {3, 6};
    refs_rng rng;
    size_t di, i, j;
    char name[128];
    refs_rng_seed(&rng, 12);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    for (di = 0; di < 2 * (sizeof dims / sizeof dims[0]); ++di) {
        size_t d = dims[di / 2];
        int zero_pivot = di % 2; /* singular: L(1,1) = 0 */
        double L[36], Lc[36], S[36], a[6], b[6];
        refs_result r0, rr, rc;
        refs_random_chol(&rng, d, L);
        if (zero_pivot)
            L[1 * d + 1] = 0;
        /* Garbage in the strict upper triangle, which must not be read. */
        for (i = 0; i < d; ++i)
            for (j = i + 1; j < d; ++j)
                L[i * d + j] = 1e300;
        for (i = 0; i < d; ++i)
            for (j = 0; j < d; ++j)
                Lc[j * d + i] = L[i * d + j];
        refs_llt(d, L, S);
        for (i = 0; i < d; ++i) {
            a[i] = i == 0 ? -INFINITY : refs_unif_ab(&rng, -3, -0.3);
            b[i] = refs_unif_ab(&rng, 0, 2.5);
        }
        r0 = refs_run(ctx, d, a, b, NULL, S);
        rr.status = mvn_prob_chol(ctx, d, a, b, NULL, L, MVN_ROW_MAJOR, &rr.p,
                                  &rr.logp, &rr.err);
        rc.status = mvn_prob_chol(ctx, d, a, b, NULL, Lc, MVN_COL_MAJOR,
                                  &rc.p, &rc.logp, &rc.err);
        snprintf(name, sizeof name, "mvn_prob_chol row-major = mvn_prob(L "
                                    "L^T), d=%zu%s", d,
                 zero_pivot ? ", singular" : "");
        agree(name, r0, rr, d <= 3 ? 1e-14 : 0);
        snprintf(name, sizeof name, "mvn_prob_chol row- and column-major "
                                    "bitwise equal, d=%zu%s", d,
                 zero_pivot ? ", singular" : "");
        tap_ok(rr.status == rc.status &&
                   memcmp(&rr.p, &rc.p, sizeof(double)) == 0 &&
                   memcmp(&rr.err, &rc.err, sizeof(double)) == 0,
               "%s", name);
    }
}

static void batch_equals_loop(mvn_context *ctx)
{
    /* Three problems of d = 5 sharing one Sigma (stride 0), limits in a
       row-major n x d array. */
    const size_t n = 3, d = 5;
    double S[25], up[15], p[3], lp[3], e[3];
    int st[3], ret, ok = 1;
    ptrdiff_t ustr[2] = {5, 1}, sstr[3] = {0, 5, 1};
    refs_rng rng;
    size_t t, i;
    refs_rng_seed(&rng, 13);
    random_cov(&rng, d, S);
    for (i = 0; i < n * d; ++i)
        up[i] = refs_unif_ab(&rng, -0.5, 2);
    refs_set(ctx, QMC_TOL, 0, QMC_BUDGET);
    ret = mvn_prob_batch(ctx, n, d, NULL, NULL, up, ustr, NULL, NULL, S, sstr,
                         MVN_SIGMA_COV, p, lp, e, st);
    for (t = 0; t < n; ++t) {
        /* mvn_prob itself: refs_run would shift the seed under
           MVN_TEST_SEED_OFFSET. */
        refs_result r;
        r.status = mvn_prob(ctx, d, NULL, up + t * d, NULL, S, &r.p, &r.logp,
                            &r.err);
        if (r.status != st[t] || memcmp(&r.p, &p[t], sizeof(double)) != 0 ||
            memcmp(&r.err, &e[t], sizeof(double)) != 0)
            ok = 0;
    }
    tap_ok((ret == MVN_OK || ret == MVN_ETOL) && ok,
           "mvn_prob_batch (broadcast Sigma) bitwise equals a loop of "
           "mvn_prob");
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    if (!ctx) {
        tap_ok(0, "mvn_context_alloc");
        return tap_exit();
    }
    mvn_context_set(ctx, MVN_OPT_SEED, 7);
    {
        static void (*const parts[])(mvn_context *) = {
            diagonal, block_diagonal, permutation, scale_and_shift,
            inclusion_exclusion, monotone_and_bounds, slepian, reflection,
            infinite_limits, singular, reproducibility, cholesky_entry,
            batch_equals_loop};
        static const char *const names[] = {
            "diagonal", "block_diagonal", "permutation", "scale_and_shift",
            "inclusion_exclusion", "monotone_and_bounds", "slepian",
            "reflection", "infinite_limits", "singular", "reproducibility",
            "cholesky_entry", "batch_equals_loop"};
        size_t k;
        for (k = 0; k < sizeof parts / sizeof parts[0]; ++k) {
            double t0 = refs_now();
            parts[k](ctx);
            tap_diag("section %s: %.2f s", names[k], refs_now() - t0);
        }
    }
    mvn_context_free(ctx);
    refs_pool_report();
    return tap_exit();
}
