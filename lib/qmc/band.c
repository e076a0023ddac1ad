/* qmc/band.c -- factors of structured covariances in their natural order: banded (envelope) Cholesky and sparse regression (Markov) forms.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Separation of variables needs, for every row i, the conditional mean of
 * X_i given X_0 .. X_{i-1} in terms of numbers already sampled, and the
 * conditional standard deviation.  The dense route writes the mean as
 * sum_m L_im z_m with the Cholesky factor L: d^2/2 multiply-adds per
 * point.  Two kinds of structure make it cheap without changing a single
 * term of the integrand, provided the variables keep their given order:
 *
 * Envelope (profile) covariances -- banded, block-banded, tapered Sigma:
 * if row i of Sigma is zero left of column f_i, so is row i of L (Cholesky
 * creates no fill outside the envelope; George & Liu 1981, "Computer
 * Solution of Large Sparse Positive Definite Systems", ch. 4).  L is
 * computed row by row inside the envelope (the up-looking "bordering"
 * form), in O(sum_i w_i^2) for row widths w_i, and SOV skips the zeros.
 *
 * Markov (sparse precision) covariances -- AR(p), Gauss-Markov random
 * fields in a banded numbering: Sigma and L are dense, but
 * E[X_i | X_<i] = sum_{m in W_i} B_im X_m over a short window W_i of
 * preceding variables (B is the unit lower factor of the precision,
 * Rue & Held 2005, "Gaussian Markov Random Fields", sec. 2.4).  SOV then
 * keeps the sampled X_m (x = s + L_ii z) instead of z and needs |W_i|
 * multiply-adds per row.  The window of row i is found by regression:
 * beta solves Sigma_WW beta = Sigma_Wi, and the structure holds when the
 * residual X_i - beta^T X_W is uncorrelated with every earlier variable
 * outside W: |Sigma_ij - beta^T Sigma_Wj| <= MVNI_BAND_TAU for all j
 * before W (in correlation units).  Windows start at the previous row's
 * and double until that check passes.  The residual covariance left out
 * is at most MVNI_BAND_TAU per pair: rounding level for Sigma computed as
 * rho^|i-j| (measured 1e-16), far below any error estimate.
 *
 * Both forms are tried on the standardized matrix (unit diagonal).  They
 * decline (MVNI_NOT_STRUCTURED) when the stored coefficients would exceed a
 * quarter of d^2/2, when a window would exceed MVNI_BAND_PMAX, or at a
 * conditional variance <= MVNI_PSD_TOL: singular and indefinite matrices
 * keep the dense route and its semantics.  Which route solve.c takes, and
 * why the natural order is kept, is in doc/algorithms/structured.md.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qmc/qmc.h"
#include "common/cholesky.h"
#include "exact/univariate.h"
#include "mvnorm.h"

/* Largest residual correlation a Markov window may leave out. */
#define MVNI_BAND_TAU 1e-12
/* Largest window: above it the O(p^3) window solves and the cost of
   rejecting a dense matrix (windows grow to this size before it fails)
   are not worth it. */
#define MVNI_BAND_PMAX 64

/* Entry (i, j) of the standardized matrix, as solve.c forms it. */
static double corr_at(const mvni_corr_view *c, size_t i, size_t j)
{
    if (i == j)
        return 1.0;
    if (i < j) {
        size_t t = i;
        i = j;
        j = t;
    }
    const size_t ii = c->idx ? c->idx[i] : i, jj = c->idx ? c->idx[j] : j;
    double v = c->sigma[ii * c->ld + jj];
    if (c->sd != NULL)
        v /= c->sd[i] * c->sd[j];
    return fmax(-1.0, fmin(1.0, v));
}

static int raw_zero(const mvni_corr_view *c, size_t i, size_t j)
{
    const size_t ii = c->idx ? c->idx[i] : i, jj = c->idx ? c->idx[j] : j;
    return c->sigma[ii * c->ld + jj] == 0.0;
}

void mvni_sparse_factor_free(mvni_sparse_factor *f)
{
    free(f->first);
    free(f->coef);
    f->first = f->off = NULL;
    f->coef = f->diag = NULL;
}

/* Room for d rows and ncoef coefficients; first, off, diag share one
   block. */
static int factor_alloc(mvni_sparse_factor *f, size_t d, size_t ncoef)
{
    f->d = d;
    f->first = malloc(2 * d * sizeof *f->first + d * sizeof(double));
    f->coef = malloc((ncoef + 1) * sizeof *f->coef);
    if (f->first == NULL || f->coef == NULL) {
        mvni_sparse_factor_free(f);
        return MVN_ENOMEM;
    }
    f->off = f->first + d;
    f->diag = (double *)(f->off + d);
    return MVN_OK;
}

/* The envelope: first[i] = the first nonzero column of row i; returns
   the number of entries left of the diagonal, or SIZE_MAX as soon as it
   exceeds budget. */
static size_t envelope_scan(size_t d, const mvni_corr_view *c, size_t budget,
                            size_t *first)
{
    size_t env = 0;
    for (size_t i = 0; i < d; ++i) {
        size_t fi = 0;
        while (fi < i && raw_zero(c, i, fi))
            ++fi;
        first[i] = fi;
        env += i - fi;
        if (env > budget)
            return SIZE_MAX;
    }
    return env;
}

/* Envelope form: Cholesky inside the envelope of Sigma, row by row. */
static int envelope_factor(size_t d, const mvni_corr_view *c,
                           const size_t *first, size_t env,
                           mvni_sparse_factor *f)
{
    int st = factor_alloc(f, d, env);
    if (st != MVN_OK)
        return st;
    f->form = MVNI_SPARSE_COV;
    f->nnz = env;
    memcpy(f->first, first, d * sizeof *first);
    size_t off = 0;
    for (size_t i = 0; i < d; ++i) {
        const size_t fi = f->first[i];
        double *row = f->coef + off;
        f->off[i] = off;
        off += i - fi;
        double ss = 0.0;
        for (size_t j = fi; j < i; ++j) {
            const size_t fj = f->first[j], m0 = fi > fj ? fi : fj;
            const double *rj = f->coef + f->off[j];
            double v = corr_at(c, i, j);
            for (size_t m = m0; m < j; ++m)
                v -= row[m - fi] * rj[m - fj];
            v /= f->diag[j];
            row[j - fi] = v;
            ss += v * v;
        }
        const double piv = 1.0 - ss;
        if (!(piv > MVNI_PSD_TOL)) {
            mvni_sparse_factor_free(f);
            return MVNI_NOT_STRUCTURED;
        }
        f->diag[i] = sqrt(piv);
    }
    return MVN_OK;
}

/* Solves G beta = r for the p x p symmetric positive definite G (lower
   triangle used, overwritten by its Cholesky factor).  Returns 0 when G
   is not numerically positive definite. */
static int spd_solve(size_t p, double *G, double *beta)
{
    if (mvni_cholesky_lower(p, p, G, MVNI_PSD_TOL) != 0)
        return 0;
    mvni_cholesky_solve(p, p, G, beta);
    return 1;
}

/* Whether the regression beta of X_i on X_{i-p} .. X_{i-1} leaves no
   correlation with X_j, j < i - p.  The nearest j is checked first: a
   matrix without the structure fails there at once. */
static int window_holds(const mvni_corr_view *c, size_t i, size_t p,
                        const double *beta)
{
    const size_t w0 = i - p;
    for (size_t jj = w0; jj-- > 0;) {
        double r = corr_at(c, i, jj);
        for (size_t m = 0; m < p; ++m)
            r -= beta[m] * corr_at(c, w0 + m, jj);
        if (!(fabs(r) <= MVNI_BAND_TAU))
            return 0;
    }
    return 1;
}

/* An order-1 chain: every row's window is its predecessor alone. */
int mvni_chain_find(size_t d, const mvni_corr_view *c, double *r)
{
    for (size_t i = 0; i < d; ++i) {
        r[i] = i > 0 ? corr_at(c, i, i - 1) : 0.0;
        if (i > 0 && !((1.0 - r[i]) * (1.0 + r[i]) > MVNI_PSD_TOL))
            return 0;
        if (i > 1 && !window_holds(c, i, 1, r + i))
            return 0;
    }
    return 1;
}

/* Tridiagonal: nothing beyond the first off-diagonal, nothing zero on it
   (a zero splits the matrix into blocks before this is asked). */
int mvni_tridiag_find(size_t d, const mvni_corr_view *c, double *r)
{
    r[0] = 0.0;
    for (size_t i = 1; i < d; ++i) {
        r[i] = corr_at(c, i, i - 1);
        if (!(fabs(r[i]) > MVNI_BAND_TAU))
            return 0;
        for (size_t j = i - 1; j-- > 0;)
            if (!(fabs(corr_at(c, i, j)) <= MVNI_BAND_TAU))
                return 0;
    }
    return 1;
}

/* One factor: R_ij = lambda_i lambda_j for all i != j.  The loadings
   from the pair (p, q) of largest |R_pq| and the r of largest |R_qr|:
   lambda_p^2 = R_pq R_pr / R_qr, lambda_i = R_ip / lambda_p; then every
   pair is checked to the Markov windows' tolerance. */
int mvni_factor_find(size_t d, const mvni_corr_view *c, double *lambda)
{
    if (d < 3)
        return 0;
    size_t p = 0, q = 1;
    double big = -1.0;
    for (size_t i = 1; i < d; ++i)
        for (size_t j = 0; j < i; ++j) {
            const double v = fabs(corr_at(c, i, j));
            if (v > big)
                big = v, p = i, q = j;
        }
    size_t r = d;
    double best = 0.0;
    for (size_t i = 0; i < d; ++i) {
        const double v = fabs(corr_at(c, q, i));
        if (i != p && i != q && v > best)
            best = v, r = i;
    }
    if (r == d || !(big > 0.0))
        return 0;
    const double lp2 = corr_at(c, p, q) * corr_at(c, p, r) / corr_at(c, q, r);
    if (!(lp2 > 0.0 && lp2 < 1.0))
        return 0;
    const double lp = sqrt(lp2);
    for (size_t i = 0; i < d; ++i) {
        lambda[i] = i == p ? lp : corr_at(c, i, p) / lp;
        if (!((1.0 - lambda[i]) * (1.0 + lambda[i]) >= MVNI_FACTOR_MIN_VAR))
            return 0;
    }
    for (size_t i = 1; i < d; ++i)
        for (size_t j = 0; j < i; ++j)
            if (!(fabs(corr_at(c, i, j) - lambda[i] * lambda[j]) <= MVNI_BAND_TAU))
                return 0;
    return 1;
}

/* Regression (Markov) form. */
static int markov_factor(size_t d, const mvni_corr_view *c, size_t budget,
                         mvni_sparse_factor *f)
{
    size_t pmax = d / 8 < MVNI_BAND_PMAX ? d / 8 : MVNI_BAND_PMAX;
    if (pmax < 1)
        pmax = 1;
    /* Coefficients grow as rows are accepted; at most budget of them. */
    size_t cap = 4 * d < budget ? 4 * d : budget;
    double *G = malloc((pmax * pmax + 2 * pmax) * sizeof *G);
    int st = factor_alloc(f, d, cap);
    if (G == NULL || st != MVN_OK) {
        free(G);
        if (st == MVN_OK)
            mvni_sparse_factor_free(f);
        return MVN_ENOMEM;
    }
    double *beta = G + pmax * pmax, *rhs = beta + pmax;
    f->form = MVNI_SPARSE_REG;
    size_t nnz = 0, p = 0;
    st = MVN_OK;
    for (size_t i = 0; i < d && st == MVN_OK; ++i) {
        /* The smallest window, from the previous row's, that holds. */
        if (p > i)
            p = i;
        for (;;) {
            const size_t w0 = i - p;
            for (size_t m = 0; m < p; ++m) {
                rhs[m] = beta[m] = corr_at(c, w0 + m, i);
                for (size_t l = 0; l <= m; ++l)
                    G[m * p + l] = corr_at(c, w0 + m, w0 + l);
            }
            if (!spd_solve(p, G, beta)) {
                st = MVNI_NOT_STRUCTURED;
                break;
            }
            if (p == i || window_holds(c, i, p, beta))
                break;
            p = p == 0 ? 1 : 2 * p < i ? 2 * p : i;
            if (p > pmax) {
                st = MVNI_NOT_STRUCTURED;
                break;
            }
        }
        if (st != MVN_OK)
            break;
        double v = 1.0;
        for (size_t m = 0; m < p; ++m)
            v -= beta[m] * rhs[m];
        if (!(v > MVNI_PSD_TOL) || nnz + p > budget) {
            st = MVNI_NOT_STRUCTURED;
            break;
        }
        if (nnz + p > cap) {
            cap = 2 * cap < budget ? 2 * cap : budget;
            if (cap < nnz + p)
                cap = nnz + p;
            double *grown = realloc(f->coef, (cap + 1) * sizeof *grown);
            if (grown == NULL) {
                st = MVN_ENOMEM;
                break;
            }
            f->coef = grown;
        }
        f->first[i] = i - p;
        f->off[i] = nnz;
        memcpy(f->coef + nnz, beta, p * sizeof *beta);
        nnz += p;
        f->diag[i] = sqrt(v);
    }
    free(G);
    if (st != MVN_OK) {
        mvni_sparse_factor_free(f);
        return st;
    }
    f->nnz = nnz;
    return MVN_OK;
}

int mvni_sparse_factor_find(size_t d, const mvni_corr_view *c,
                            mvni_sparse_factor *f)
{
    memset(f, 0, sizeof *f);
    if (d < 2)
        return MVNI_NOT_STRUCTURED;
    /* A quarter of the dense factor's coefficients: below it the
       per-point work is at most about half the dense route's (which also
       pays d Phi, Phi^-1 evaluations). */
    const size_t budget = d * (d - 1) / 8;
    size_t *first = malloc(d * sizeof *first);
    if (first == NULL)
        return MVN_ENOMEM;
    /* Both forms can apply: AR(1) with rho = 0.5 has exact zeros beyond
       |i - j| = 1074 (underflow), an envelope of 1074 per row but a
       Markov window of 1.  The form with fewer coefficients wins, and
       the Markov search is told the envelope's count as its budget. */
    const size_t env = envelope_scan(d, c, budget, first);
    int st = markov_factor(d, c, env < budget ? env : budget, f);
    if (st == MVNI_NOT_STRUCTURED && env <= budget)
        st = envelope_factor(d, c, first, env, f);
    free(first);
    return st;
}

double mvni_sparse_log_estimate(const mvni_sparse_factor *f, const double *a,
                                const double *b, double *y)
{
    /* The product of the interval probabilities along the path of
       truncated means, as mvni_tilt_log_estimate for a dense factor; y
       holds the path in the form's own variables (z, or x). */
    double lp = 0.0;
    for (size_t k = 0; k < f->d; ++k) {
        const double *ck = f->coef + f->off[k];
        double t = 0.0;
        for (size_t j = f->first[k]; j < k; ++j)
            t += ck[j - f->first[k]] * y[j];
        const double lkk = f->diag[k];
        double w;
        const double m = mvni_truncated_mean((a[k] - t) / lkk, (b[k] - t) / lkk, &w);
        y[k] = f->form == MVNI_SPARSE_REG ? t + lkk * m : m;
        lp += w;
    }
    return lp;
}
