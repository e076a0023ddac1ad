/* qmc/reorder.c -- pivoted Cholesky factorization with Gibson-Glasbey-Elston variable ordering.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Method (Gibson, Glasbey & Elston 1994, "Monte Carlo evaluation of
 * multivariate normal integrals and sensitivity to variate ordering", in
 * Advances in Numerical Methods and Applications, 120-126; as described by
 * Genz & Bretz 2009, "Computation of Multivariate Normal and t
 * Probabilities", Springer LNS 195, sec. 4.1.3): the factorization is
 * left-looking.  At step k every remaining variable i has the conditional
 * variance v_i = Sigma_ii - sum_{m<k} L_im^2 and conditional mean
 * mu_i = sum_{m<k} L_im y_m, where y_m is the mean of the standard normal
 * truncated to the m-th chosen variable's standardized interval.  The
 * variable with the smallest Phi(b'_i) - Phi(a'_i),
 * a'_i = (a_i - mu_i)/sqrt(v_i), b'_i likewise, is moved to position k
 * (compared in log space so that tiny probabilities still order).  Column k
 * of L is then computed, and v, mu are updated in O(d).
 *
 * Blocking (the scheme of LAPACK's dpstrf, Hammarling, Lucas & Higham
 * 2008, "Level-3 BLAS pivoted Cholesky", MIMS EPrint 2008.56): the GGE
 * choice needs only v and mu, which are kept up to date column by
 * column, so the Schur complement itself may lag behind.  L starts as the
 * lower triangle of Sigma and is factored in place.  Columns are taken in
 * panels of CHOL_NB: within a panel, column k over all remaining rows is
 * its stored (not yet updated) value minus the panel's earlier columns
 * times row k (one cblas_dgemv of width < CHOL_NB); after the panel the
 * trailing lower triangle gets the whole panel's update in one
 * cblas_dsyrk, which OpenBLAS blocks for the cache and threads.  A pivot
 * swaps rows and columns of the stored symmetric matrix (lower triangle
 * only), which commutes with the pending update because the panel's rows
 * are swapped too.  The order of the sums changes, not their terms, so
 * the factor and the pivot sequence are those of the unblocked left-looking
 * form up to rounding.  Below CHOL_BLOCKED_MIN the panel is the whole
 * matrix: that is the unblocked form, bitwise the numbers of the 0.2
 * code, and faster there (measured in doc/architecture.md, "Memory and
 * setup cost").  Total cost d^3/3 flops, almost all in BLAS level 3.
 *
 * Singular Sigma: a conditional variance below tol = MVNI_PSD_TOL * max_i Sigma_ii
 * means the variable is (numerically) a linear function of the ones before
 * it: its column of L is zero, as in Genz's codes, and the SOV integrand
 * treats the row as an indicator.  With GGE such variables are only chosen
 * when no variable with positive conditional variance is left, so they end
 * up last.  A conditional variance below -tol means Sigma is not positive
 * semidefinite: MVN_ENOTPD.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stddef.h>
#include <string.h>

#include <cblas.h>

#include "qmc/qmc.h"
#include "exact/univariate.h"
#include "mvnorm.h"

/* log phi(x), -inf for infinite x. */
static double log_pdf(double x)
{
    if (isinf(x))
        return -INFINITY;
    return -0.5 * x * x - MVNI_LN_SQRT_2PI;
}

/*
 * The mean of a standard normal truncated to (lo, hi):
 * (phi(lo) - phi(hi)) / (Phi(hi) - Phi(lo)), formed from logs so that it
 * stays finite far in the tails.  lognd = log(Phi(hi) - Phi(lo)).  When the
 * interval's probability underflows even in log form (cannot happen for
 * finite limits, but guard anyway) the mean is the limit nearer zero.
 */
static double truncated_mean(double lo, double hi, double lognd)
{
    double m;
    if (!(lognd > -INFINITY)) {
        m = lo > 0 ? lo : hi < 0 ? hi : 0.0;
    } else {
        m = exp(log_pdf(lo) - lognd) - exp(log_pdf(hi) - lognd);
    }
    /* The mean lies in the interval; rounding must not push it out. */
    if (m < lo)
        m = lo;
    if (m > hi)
        m = hi;
    if (!isfinite(m))
        m = isfinite(lo) ? lo : isfinite(hi) ? hi : 0.0;
    return m;
}

static void swap_d(double *x, size_t i, size_t j)
{
    double t = x[i];
    x[i] = x[j];
    x[j] = t;
}

int mvni_chol_reorder(size_t d, const double *sigma, double *a, double *b,
                      int reorder, double *L, size_t *perm, double *work)
{
    return mvni_chol_reorder_psd(d, sigma, a, b, reorder, L, perm, work, 1);
}

/* Panel width of the blocked factorization, and the order below which the
   unblocked form (one panel) is used; measured in doc/architecture.md. */
#define CHOL_NB 32
#define CHOL_BLOCKED_MIN 256

/* Swaps variables k < p of the symmetric matrix whose lower triangle is
   stored in A (row-major, leading dimension d), for rows and columns >= k
   (the part not yet factored), as LAPACK's dpstrf does. */
static void swap_trailing(size_t d, double *A, size_t k, size_t p)
{
    swap_d(A, k * d + k, p * d + p);
    for (size_t j = k + 1; j < p; ++j)
        swap_d(A, j * d + k, p * d + j);
    for (size_t i = p + 1; i < d; ++i)
        swap_d(A, i * d + k, i * d + p);
}

int mvni_chol_reorder_psd(size_t d, const double *sigma, double *a, double *b,
                          int reorder, double *L, size_t *perm, double *work,
                          int check_psd)
{
    double *v = work;      /* conditional variances of the remaining variables */
    double *mu = work + d; /* their conditional means */
    double dmax = 0.0;

    for (size_t i = 0; i < d; ++i) {
        perm[i] = i;
        v[i] = sigma[i * d + i];
        mu[i] = 0.0;
        if (v[i] > dmax)
            dmax = v[i];
        /* The lower triangle of Sigma, factored in place. */
        memcpy(L + i * d, sigma + i * d, (i + 1) * sizeof *L);
        memset(L + i * d + i + 1, 0, (d - i - 1) * sizeof *L);
    }
    const double tol = MVNI_PSD_TOL * dmax;
    const int gge = reorder != MVN_REORDER_NONE; /* GGE or GGE_ALWAYS */
    const size_t nb = d < CHOL_BLOCKED_MIN ? d : CHOL_NB;

    for (size_t j0 = 0; j0 < d; j0 += nb) {
        const size_t j1 = j0 + nb < d ? j0 + nb : d;
        for (size_t k = j0; k < j1; ++k) {
            size_t piv = k;
            if (gge) {
                /* Smallest expected conditional interval probability among the
                   variables with positive conditional variance; if none has,
                   the first remaining one (it gets a zero column anyway). */
                double best = INFINITY;
                for (size_t i = k; i < d; ++i) {
                    if (v[i] < -tol && check_psd)
                        return MVN_ENOTPD;
                    if (v[i] <= tol)
                        continue;
                    double s = sqrt(v[i]);
                    double lp = mvni_log_norm_diff((a[i] - mu[i]) / s,
                                                   (b[i] - mu[i]) / s);
                    if (lp < best || best == INFINITY) {
                        best = lp;
                        piv = i;
                    }
                }
            }
            if (piv != k) {
                /* Rows k and piv of the computed part of L (columns < k), the
                   stored trailing matrix and the bookkeeping vectors trade
                   places. */
                double *rk = L + k * d, *rp = L + piv * d;
                for (size_t m = 0; m < k; ++m) {
                    double t = rk[m];
                    rk[m] = rp[m];
                    rp[m] = t;
                }
                swap_trailing(d, L, k, piv);
                swap_d(v, k, piv);
                swap_d(mu, k, piv);
                swap_d(a, k, piv);
                swap_d(b, k, piv);
                size_t t = perm[k];
                perm[k] = perm[piv];
                perm[piv] = t;
            }
            double vk = v[k];
            if (vk < -tol && check_psd)
                return MVN_ENOTPD;
            if (vk <= tol) {
                /* Zero column: variable k is determined by the earlier ones.
                   For a positive semidefinite Sigma its conditional
                   covariances with the remaining variables vanish as well
                   (|c_ik| <= sqrt(v_i v_k)); if one does not, Sigma is
                   indefinite even though this pivot is not negative. */
                const double *srow = sigma + perm[k] * d;
                for (size_t i = k + 1; i < d && check_psd; ++i) {
                    double c = srow[perm[i]];
                    for (size_t m = 0; m < k; ++m)
                        c -= L[i * d + m] * L[k * d + m];
                    if (fabs(c) > sqrt(tol * fmax(v[i], tol)) * 10.0)
                        return MVN_ENOTPD;
                }
                for (size_t i = k; i < d; ++i)
                    L[i * d + k] = 0.0;
                continue;
            }
            double lkk = sqrt(vk);
            L[k * d + k] = lkk;
            size_t rest = d - k - 1;
            if (rest == 0)
                break;
            double inv = 1.0 / lkk;
            double sk = 0.0, lo = (a[k] - mu[k]) * inv, hi = (b[k] - mu[k]) * inv;
            if (gge) {
                /* y_k, the truncated-normal mean that the next choices condition on. */
                sk = truncated_mean(lo, hi, mvni_log_norm_diff(lo, hi));
            }
            /* Column k below the diagonal: L_ik = (S_ik - sum_{j0<=m<k} L_im
               L_km) / L_kk, S the stored matrix, already updated by the
               columns before the panel. */
            if (nb == d) {
                /* Unblocked: as in 0.2, one dgemv over all earlier columns. */
                if (k > 0)
                    cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rest, (int)k,
                                -1.0, L + (k + 1) * d, (int)d, L + k * d, 1, 1.0,
                                L + (k + 1) * d + k, (int)d);
                for (size_t i = k + 1; i < d; ++i) {
                    double lik = L[i * d + k] * inv;
                    L[i * d + k] = lik;
                    v[i] -= lik * lik;
                    mu[i] += lik * sk;
                }
            } else {
                /* Blocked: the panel part of each row is a few cache lines,
                   so every row is read once for its dot product and update
                   (a dgemv of this narrow shape would also walk column k
                   separately, and OpenBLAS would thread it at a loss). */
                const double *rk = L + k * d + j0;
                const size_t w = k - j0;
                for (size_t i = k + 1; i < d; ++i) {
                    double *ri = L + i * d + j0;
                    double c = ri[w];
                    for (size_t m = 0; m < w; ++m)
                        c -= ri[m] * rk[m];
                    double lik = c * inv;
                    ri[w] = lik;
                    v[i] -= lik * lik;
                    mu[i] += lik * sk;
                }
            }
        }
        if (j1 < d)
            /* The trailing matrix minus the panel's outer products, in
               one level-3 call. */
            cblas_dsyrk(CblasRowMajor, CblasLower, CblasNoTrans, (int)(d - j1),
                        (int)(j1 - j0), -1.0, L + j1 * d + j0, (int)d, 1.0,
                        L + j1 * d + j1, (int)d);
    }
    return MVN_OK;
}
