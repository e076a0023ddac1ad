/* test_reorder.c -- the blocked GGE-pivoted Cholesky factorization against a plain unblocked one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mvni_chol_reorder factors in panels with level-3 updates from d = 256
 * on (qmc/reorder.c).  Its pivot sequence must be that of the textbook
 * left-looking GGE factorization written out here with plain loops, its
 * factor the same up to rounding, P Sigma P^T = L L^T to rounding, and the
 * singular and indefinite cases must keep their meaning (zero columns
 * last; MVN_ENOTPD) on both sides of the blocking threshold.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmc/qmc.h"
#include "exact/univariate.h"
#include "mvnorm.h"
#include "tap.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static double unif(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) * 0x1p-53;
}

/* Correlation matrix W W^T / k + diag(u), standardized; rank k when
   noise == 0 (then singular for k < d). */
static void random_sigma(size_t d, size_t k, double noise, double *S)
{
    double *W = malloc(d * k * sizeof *W), *sd = malloc(d * sizeof *sd);
    for (size_t i = 0; i < d * k; ++i)
        W[i] = 2 * unif() - 1;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j <= i; ++j) {
            double s = 0;
            for (size_t m = 0; m < k; ++m)
                s += W[i * k + m] * W[j * k + m];
            S[i * d + j] = S[j * d + i] = s / (double)k;
        }
    for (size_t i = 0; i < d; ++i) {
        S[i * d + i] += noise * (0.2 + unif());
        sd[i] = sqrt(S[i * d + i]);
    }
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] /= sd[i] * sd[j];
    free(W);
    free(sd);
}

static void random_limits(size_t d, double *a, double *b)
{
    for (size_t i = 0; i < d; ++i) {
        a[i] = unif() < 0.5 ? -INFINITY : -2 * unif();
        b[i] = 3 * unif() - 1;
    }
}

/* The reference: the GGE rule of qmc/reorder.c's header with every sum a
   plain loop over the permuted Sigma, no blocking, no BLAS.  Returns the
   number of positive pivots. */
static size_t reference(size_t d, const double *S, double *a, double *b,
                        double *L, size_t *perm)
{
    double *v = malloc(d * sizeof *v), *mu = malloc(d * sizeof *mu);
    double dmax = 0;
    for (size_t i = 0; i < d; ++i) {
        perm[i] = i;
        v[i] = S[i * d + i];
        mu[i] = 0;
        dmax = fmax(dmax, v[i]);
    }
    memset(L, 0, d * d * sizeof *L);
    const double tol = MVNI_PSD_TOL * dmax;
    size_t npos = 0;
    for (size_t k = 0; k < d; ++k) {
        size_t piv = k;
        double best = INFINITY;
        for (size_t i = k; i < d; ++i) {
            if (v[i] <= tol)
                continue;
            double s = sqrt(v[i]);
            double lp = mvni_log_norm_diff((a[i] - mu[i]) / s, (b[i] - mu[i]) / s);
            if (lp < best || best == INFINITY) {
                best = lp;
                piv = i;
            }
        }
        for (size_t m = 0; m < k; ++m) {
            double t = L[k * d + m];
            L[k * d + m] = L[piv * d + m];
            L[piv * d + m] = t;
        }
        double t;
        t = v[k], v[k] = v[piv], v[piv] = t;
        t = mu[k], mu[k] = mu[piv], mu[piv] = t;
        t = a[k], a[k] = a[piv], a[piv] = t;
        t = b[k], b[k] = b[piv], b[piv] = t;
        size_t tp = perm[k];
        perm[k] = perm[piv];
        perm[piv] = tp;
        if (v[k] <= tol)
            continue;
        ++npos;
        double lkk = sqrt(v[k]);
        L[k * d + k] = lkk;
        double lo = (a[k] - mu[k]) / lkk, hi = (b[k] - mu[k]) / lkk;
        double lnd = mvni_log_norm_diff(lo, hi);
        double y = exp(-0.5 * lo * lo - MVNI_LN_SQRT_2PI - lnd) -
                   exp(-0.5 * hi * hi - MVNI_LN_SQRT_2PI - lnd);
        y = fmin(fmax(y, lo), hi);
        for (size_t i = k + 1; i < d; ++i) {
            double c = S[perm[i] * d + perm[k]];
            for (size_t m = 0; m < k; ++m)
                c -= L[i * d + m] * L[k * d + m];
            L[i * d + k] = c / lkk;
        }
        for (size_t i = k + 1; i < d; ++i) {
            v[i] -= L[i * d + k] * L[i * d + k];
            mu[i] += L[i * d + k] * y;
        }
    }
    free(v);
    free(mu);
    return npos;
}

static void compare(size_t d, size_t k, double noise, const char *what)
{
    double *S = malloc(d * d * sizeof *S), *L = malloc(d * d * sizeof *L);
    double *R = malloc(d * d * sizeof *R), *w = malloc(2 * d * sizeof *w);
    double *a = malloc(d * sizeof *a), *b = malloc(d * sizeof *b);
    double *ra = malloc(d * sizeof *ra), *rb = malloc(d * sizeof *rb);
    size_t *perm = malloc(d * sizeof *perm), *rperm = malloc(d * sizeof *rperm);
    random_sigma(d, k, noise, S);
    random_limits(d, a, b);
    memcpy(ra, a, d * sizeof *a);
    memcpy(rb, b, d * sizeof *b);
    int st = mvni_chol_reorder(d, S, a, b, MVN_REORDER_GGE, L, perm, w);
    size_t npos = reference(d, S, ra, rb, R, rperm);
    tap_ok(st == MVN_OK, "%s d = %zu: status %d", what, d, st);
    /* The pivot sequence up to the first zero pivot (after it the order
       of the singular rest is that of the swaps, with no rule). */
    size_t same = 0;
    while (same < npos && perm[same] == rperm[same])
        ++same;
    tap_ok(same == npos, "%s d = %zu: the %zu positive pivots in the same order "
           "(first difference at %zu)", what, d, npos, same);
    double dl = 0, recon = 0, upper = 0;
    size_t zeros = 0;
    for (size_t i = 0; i < d; ++i) {
        if (L[i * d + i] == 0.0)
            ++zeros;
        for (size_t j = 0; j < d; ++j) {
            if (j > i)
                upper = fmax(upper, fabs(L[i * d + j]));
            if (i < npos && j < npos)
                dl = fmax(dl, fabs(L[i * d + j] - R[i * d + j]));
            double s = 0;
            for (size_t m = 0; m <= (i < j ? i : j); ++m)
                s += L[i * d + m] * L[j * d + m];
            recon = fmax(recon, fabs(s - S[perm[i] * d + perm[j]]));
        }
    }
    tap_ok(upper == 0.0, "%s d = %zu: upper triangle zero", what, d);
    tap_ok(zeros == d - npos, "%s d = %zu: %zu zero columns, reference %zu",
           what, d, zeros, d - npos);
    tap_ok(dl <= 1e-11, "%s d = %zu: factor within 1e-11 of the reference (%.2g)",
           what, d, dl);
    tap_ok(recon <= 1e-11, "%s d = %zu: |P Sigma P^T - L L^T| = %.2g", what, d, recon);
    tap_ok(a[0] == ra[0] && b[d - 1] == rb[d - 1], "%s d = %zu: limits permuted",
           what, d);
    free(S); free(L); free(R); free(w); free(a); free(b); free(ra); free(rb);
    free(perm); free(rperm);
}

/* An indefinite matrix: a correlation matrix with one pair of rows pushed
   apart (corr(0, 1) = corr(0, 2) = 0.9, corr(1, 2) = -0.9). */
static void indefinite(size_t d)
{
    double *S = malloc(d * d * sizeof *S), *L = malloc(d * d * sizeof *L);
    double *w = malloc(2 * d * sizeof *w), *a = malloc(d * sizeof *a);
    double *b = malloc(d * sizeof *b);
    size_t *perm = malloc(d * sizeof *perm);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : 0.0;
    S[0 * d + 1] = S[1 * d + 0] = 0.9;
    S[0 * d + 2] = S[2 * d + 0] = 0.9;
    S[1 * d + 2] = S[2 * d + 1] = -0.9;
    random_limits(d, a, b);
    for (int r = 0; r <= 1; ++r) {
        int st = mvni_chol_reorder(d, S, a, b, r, L, perm, w);
        tap_ok(st == MVN_ENOTPD, "indefinite d = %zu reorder %d: MVN_ENOTPD (%d)",
               d, r, st);
    }
    free(S); free(L); free(w); free(a); free(b); free(perm);
}

int main(void)
{
    /* Both sides of the blocking threshold (256) and a size that is not a
       multiple of the panel width. */
    compare(60, 8, 1.0, "full rank");
    compare(300, 16, 1.0, "full rank");
    compare(517, 40, 0.5, "full rank");
    compare(300, 200, 0.0, "rank 200");
    compare(200, 150, 0.0, "rank 150");
    indefinite(50);
    indefinite(400);

    /* MVN_REORDER_NONE keeps the given order at any size. */
    size_t d = 300;
    double *S = malloc(d * d * sizeof *S), *L = malloc(d * d * sizeof *L);
    double *w = malloc(2 * d * sizeof *w), *a = malloc(d * sizeof *a);
    double *b = malloc(d * sizeof *b);
    size_t *perm = malloc(d * sizeof *perm);
    random_sigma(d, 10, 1.0, S);
    random_limits(d, a, b);
    mvni_chol_reorder(d, S, a, b, MVN_REORDER_NONE, L, perm, w);
    size_t id = 0;
    while (id < d && perm[id] == id)
        ++id;
    tap_ok(id == d, "reorder none d = %zu: identity permutation", d);
    free(S); free(L); free(w); free(a); free(b); free(perm);
    return tap_exit();
}
