/*
 * test_batch_plan.c -- the batch and plan APIs: strides (row- and
 * column-major callers), stride-0 broadcasting, bitwise agreement with
 * single calls, per-problem statuses, thread-count independence.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

#define N 12
#define D 5

/* A fixed, well-conditioned covariance: AR(1)-like plus variance scales. */
static void make_sigma(double *s, int variant)
{
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j) {
            double sd_i = 1.0 + 0.1 * i + 0.05 * variant;
            double sd_j = 1.0 + 0.1 * j + 0.05 * variant;
            s[i * D + j] = sd_i * sd_j * pow(0.5 + 0.03 * variant, abs(i - j));
        }
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
    double sigma[D * D];
    make_sigma(sigma, 0);

    /* Row-major n x d limits, as torch passes them. */
    double up[N * D], lo[N * D];
    for (int t = 0; t < N; ++t)
        for (int k = 0; k < D; ++k) {
            up[t * D + k] = 0.2 * t - 0.5 + 0.3 * k;
            lo[t * D + k] = (k % 2) ? -INFINITY : up[t * D + k] - 2.0;
        }
    double p1[N], e1[N], lp1[N];
    for (int t = 0; t < N; ++t)
        mvn_prob(ctx, D, lo + t * D, up + t * D, NULL, sigma, &p1[t], &lp1[t], &e1[t]);

    const ptrdiff_t rowmajor[2] = {D, 1};
    const ptrdiff_t shared_sigma[3] = {0, D, 1};
    double p[N], lp[N], e[N];
    int st[N];
    int s = mvn_prob_batch(ctx, N, D, lo, rowmajor, up, rowmajor, NULL, NULL,
                           sigma, shared_sigma, MVN_SIGMA_COV, p, lp, e, st);
    int same = s == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= p[t] == p1[t] && lp[t] == lp1[t] && e[t] == e1[t] && st[t] == MVN_OK;
    tap_ok(same, "batch with one broadcast Sigma == loop of single calls, bitwise");

    /* Column-major (R, Julia): the same numbers stored as a d x n matrix
       whose columns are problems -> strides {1, N}... i.e. element k of
       problem t at t + k * N. */
    double upc[N * D], loc[N * D];
    for (int t = 0; t < N; ++t)
        for (int k = 0; k < D; ++k) {
            upc[t + k * N] = up[t * D + k];
            loc[t + k * N] = lo[t * D + k];
        }
    const ptrdiff_t colmajor[2] = {1, N};
    double pc[N];
    s = mvn_prob_batch(ctx, N, D, loc, colmajor, upc, colmajor, NULL, NULL,
                       sigma, shared_sigma, MVN_SIGMA_COV, pc, NULL, NULL, NULL);
    same = s == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= pc[t] == p1[t];
    tap_ok(same, "column-major limits give the same results bitwise");

    /* One limit vector, many Sigmas (limit stride 0), with a mean. */
    double sigmas[N * D * D], mean[D] = {0.1, -0.2, 0.3, 0, 0.05};
    for (int t = 0; t < N; ++t)
        make_sigma(sigmas + t * D * D, t);
    const ptrdiff_t bcast[2] = {0, 1};
    const ptrdiff_t per_item_sigma[3] = {D * D, D, 1};
    s = mvn_prob_batch(ctx, N, D, lo, bcast, up, bcast, mean, bcast, sigmas,
                       per_item_sigma, MVN_SIGMA_COV, p, NULL, NULL, st);
    same = s == MVN_OK;
    for (int t = 0; t < N; ++t) {
        double q;
        mvn_prob(ctx, D, lo, up, mean, sigmas + t * D * D, &q, NULL, NULL);
        same &= p[t] == q;
    }
    tap_ok(same, "one limit vector broadcast over %d Sigmas == single calls", N);

    /* Cholesky factors in a batch, column-major storage of L. */
    double L[D * D] = {0}, Lc[D * D];
    /* Factor sigma by hand (it is positive definite). */
    for (int j = 0; j < D; ++j) {
        double d0 = sigma[j * D + j];
        for (int k = 0; k < j; ++k)
            d0 -= L[j * D + k] * L[j * D + k];
        L[j * D + j] = sqrt(d0);
        for (int i = j + 1; i < D; ++i) {
            double v = sigma[i * D + j];
            for (int k = 0; k < j; ++k)
                v -= L[i * D + k] * L[j * D + k];
            L[i * D + j] = v / L[j * D + j];
        }
    }
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            Lc[i + j * D] = L[i * D + j];
    const ptrdiff_t chol_colmajor[3] = {0, 1, D};
    s = mvn_prob_batch(ctx, N, D, lo, rowmajor, up, rowmajor, NULL, NULL, Lc,
                       chol_colmajor, MVN_SIGMA_CHOL, p, NULL, e, NULL);
    int close = s == MVN_OK;
    for (int t = 0; t < N; ++t)
        close &= fabs(p[t] - p1[t]) <= 1e-12 + e[t];
    tap_ok(close, "Cholesky factor (column-major) agrees with the covariance");

    /* A bad problem in the middle does not stop the others. */
    double upbad[N * D];
    memcpy(upbad, up, sizeof up);
    upbad[5 * D + 2] = NAN;
    lo[7 * D + 0] = up[7 * D + 0] + 1.0; /* lower > upper in problem 7 */
    s = mvn_prob_batch(ctx, N, D, lo, rowmajor, upbad, rowmajor, NULL, NULL,
                       sigma, shared_sigma, MVN_SIGMA_COV, p, NULL, NULL, st);
    int others_ok = 1;
    for (int t = 0; t < N; ++t)
        if (t != 5 && t != 7)
            others_ok &= st[t] == MVN_OK && p[t] == p1[t];
    tap_ok(s == MVN_ENAN && st[5] == MVN_ENAN && st[7] == MVN_EBOUNDS && isnan(p[5]) &&
               isnan(p[7]) && others_ok && strstr(mvn_context_message(ctx), "problem 5") != NULL,
           "bad problems 5 and 7: their statuses, NaN outputs, the rest answered; message '%s'",
           mvn_context_message(ctx));
    lo[7 * D + 0] = up[7 * D + 0] - 2.0;

    /* A non-PD Sigma in one item of a per-item-Sigma batch. */
    sigmas[3 * D * D + 1] = sigmas[3 * D * D + D] = 50.0;
    s = mvn_prob_batch(ctx, N, D, lo, bcast, up, bcast, NULL, NULL, sigmas,
                       per_item_sigma, MVN_SIGMA_COV, p, NULL, NULL, st);
    tap_ok(s == MVN_ENOTPD && st[3] == MVN_ENOTPD && st[2] == MVN_OK && isnan(p[3]),
           "non-PD Sigma of problem 3 only fails problem 3 ('%s')", mvn_context_message(ctx));

    /* Thread-count independence of batches. */
    double pt1[N], pt2[N];
    mvn_context_set(ctx, MVN_OPT_THREADS, 1);
    mvn_prob_batch(ctx, N, D, lo, rowmajor, up, rowmajor, NULL, NULL, sigma,
                   shared_sigma, MVN_SIGMA_COV, pt1, NULL, NULL, NULL);
    mvn_context_set(ctx, MVN_OPT_THREADS, 2);
    mvn_prob_batch(ctx, N, D, lo, rowmajor, up, rowmajor, NULL, NULL, sigma,
                   shared_sigma, MVN_SIGMA_COV, pt2, NULL, NULL, NULL);
    tap_ok(memcmp(pt1, pt2, sizeof pt1) == 0, "batch results identical with 1 and 2 threads");
    mvn_context_set(ctx, MVN_OPT_THREADS, 0);

    /* Bad batch arguments. */
    tap_ok(mvn_prob_batch(ctx, N, D, lo, NULL, up, rowmajor, NULL, NULL, sigma,
                          shared_sigma, MVN_SIGMA_COV, p, NULL, NULL, NULL) == MVN_EINVAL,
           "limits without strides: MVN_EINVAL ('%s')", mvn_context_message(ctx));
    tap_ok(mvn_prob_batch(ctx, N, D, lo, rowmajor, up, rowmajor, NULL, NULL, sigma,
                          shared_sigma, 5, p, NULL, NULL, NULL) == MVN_EINVAL,
           "unknown sigma_kind: MVN_EINVAL");
    tap_ok(mvn_prob_batch(ctx, 0, D, lo, rowmajor, up, rowmajor, NULL, NULL, sigma,
                          shared_sigma, MVN_SIGMA_COV, p, NULL, NULL, NULL) == MVN_OK,
           "n = 0: nothing to do, MVN_OK");
    tap_ok(mvn_prob_batch(ctx, N, 0, lo, rowmajor, up, rowmajor, NULL, NULL, sigma,
                          shared_sigma, MVN_SIGMA_COV, p, NULL, NULL, NULL) == MVN_EDIM,
           "d = 0 in a batch: MVN_EDIM");

    /* Plans. */
    const ptrdiff_t mat[2] = {D, 1};
    int pst = -1;
    mvn_plan *plan = mvn_plan_alloc(ctx, D, sigma, mat, MVN_SIGMA_COV, &pst);
    tap_ok(plan != NULL && pst == MVN_OK && mvn_plan_dim(plan) == D, "plan allocated");
    s = mvn_plan_prob(ctx, plan, N, lo, rowmajor, up, rowmajor, NULL, NULL, p, lp, e, st);
    same = s == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= p[t] == p1[t] && lp[t] == lp1[t];
    tap_ok(same, "plan evaluation == single calls, bitwise");
    mvn_plan_free(plan);
    mvn_plan_free(NULL);
    double bad[D * D];
    memcpy(bad, sigma, sizeof bad);
    bad[1] = 7.0;
    plan = mvn_plan_alloc(ctx, D, bad, mat, MVN_SIGMA_COV, &pst);
    tap_ok(plan == NULL && pst == MVN_EASYM, "plan of an asymmetric Sigma: NULL and MVN_EASYM ('%s')",
           mvn_context_message(ctx));
    plan = mvn_plan_alloc(ctx, 0, sigma, mat, MVN_SIGMA_COV, &pst);
    tap_ok(plan == NULL && pst == MVN_EDIM, "plan with d = 0: MVN_EDIM");
    tap_ok(mvn_plan_prob(ctx, NULL, N, lo, rowmajor, up, rowmajor, NULL, NULL, p, NULL, NULL,
                         NULL) == MVN_EINVAL,
           "NULL plan: MVN_EINVAL");

    mvn_context_free(ctx);
    return tap_exit();
}
