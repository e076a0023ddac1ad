/*
 * backend/validate.c -- checking user input and bringing it to canonical form.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "backend/validate.h"
#include "common/format.h"

int mvni_check_dim(size_t d, char *msg, size_t msg_size)
{
    if (d == 0) {
        mvni_format(msg, msg_size, "dimension d = 0: at least one variable is needed");
        return MVN_EDIM;
    }
    if (d > MVN_MAX_DIM) {
        mvni_format(msg, msg_size, "dimension d = %zu exceeds the maximum %d",
                 d, MVN_MAX_DIM);
        return MVN_EDIM;
    }
    /* d <= 1e5, so d * d * sizeof(double) fits in 64 bits; on a 32-bit
       size_t it may not. */
    if (d > SIZE_MAX / d / sizeof(double)) {
        mvni_format(msg, msg_size, "dimension d = %zu: a d x d matrix does not fit in memory", d);
        return MVN_EDIM;
    }
    return MVN_OK;
}

/* Limits and mean: NaN is never allowed; lower may be -inf but not +inf,
   upper may be +inf but not -inf; the mean must be finite. */
int mvni_load_limits(size_t d, const mvni_input *in, double *a, double *b,
                     char *msg, size_t msg_size)
{
    for (size_t i = 0; i < d; ++i) {
        double lo = in->lower ? in->lower[(ptrdiff_t)i * in->lower_stride] : -INFINITY;
        double hi = in->upper ? in->upper[(ptrdiff_t)i * in->upper_stride] : INFINITY;
        double mu = in->mean ? in->mean[(ptrdiff_t)i * in->mean_stride] : 0.0;
        if (isnan(lo) || isnan(hi) || isnan(mu)) {
            mvni_format(msg, msg_size, "NaN in %s[%zu]",
                     isnan(lo) ? "lower" : isnan(hi) ? "upper" : "mean", i);
            return MVN_ENAN;
        }
        if (lo == INFINITY) {
            mvni_format(msg, msg_size, "lower[%zu] = +inf: a lower limit may only be -inf", i);
            return MVN_ENAN;
        }
        if (hi == -INFINITY) {
            mvni_format(msg, msg_size, "upper[%zu] = -inf: an upper limit may only be +inf", i);
            return MVN_ENAN;
        }
        if (!isfinite(mu)) {
            mvni_format(msg, msg_size, "mean[%zu] = %g is not finite", i, mu);
            return MVN_ENAN;
        }
        if (lo > hi) {
            mvni_format(msg, msg_size, "lower[%zu] = %.17g exceeds upper[%zu] = %.17g",
                     i, lo, i, hi);
            return MVN_EBOUNDS;
        }
        /* Subtracting a finite mean keeps infinities infinite. */
        a[i] = lo - mu;
        b[i] = hi - mu;
    }
    return MVN_OK;
}

static int load_covariance(size_t d, const mvni_input *in, double *sigma,
                           char *msg, size_t msg_size)
{
    const ptrdiff_t rs = in->sigma_row_stride, cs = in->sigma_col_stride;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j) {
            double v = in->sigma[(ptrdiff_t)i * rs + (ptrdiff_t)j * cs];
            if (!isfinite(v)) {
                mvni_format(msg, msg_size, "Sigma[%zu][%zu] = %g is not finite", i, j, v);
                return MVN_ENAN;
            }
            sigma[i * d + j] = v;
        }
    for (size_t i = 0; i < d; ++i)
        if (sigma[i * d + i] < 0.0) {
            mvni_format(msg, msg_size, "Sigma[%zu][%zu] = %g: a variance is negative",
                     i, i, sigma[i * d + i]);
            return MVN_ENOTPD;
        }
    /* Symmetry is checked relative to the entry's scale, plus a few ulps
       of the largest variance: covariances computed by differences such as
       a GP posterior K - k K^-1 k^T carry rounding of the size of their
       operands, not of the (possibly tiny) result. */
    double dmax = 0.0;
    for (size_t i = 0; i < d; ++i)
        dmax = fmax(dmax, sigma[i * d + i]);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < i; ++j) {
            double sij = sigma[i * d + j], sji = sigma[j * d + i];
            /* The product of the square roots: sqrt of the product
               underflows to 0 for variances below 1e-162 (and overflows
               above 1e154), which broke scale invariance. */
            double scale = sqrt(sigma[i * d + i]) * sqrt(sigma[j * d + j]);
            double tol = 1e-10 * fmax(scale, fmax(fabs(sij), fabs(sji))) +
                         64.0 * DBL_EPSILON * dmax;
            if (fabs(sij - sji) > tol) {
                mvni_format(msg, msg_size,
                         "Sigma is not symmetric: Sigma[%zu][%zu] = %.17g but Sigma[%zu][%zu] = %.17g",
                         i, j, sij, j, i, sji);
                return MVN_EASYM;
            }
            /* A correlation beyond 1 can never be positive semidefinite;
               catching it here gives a message that names the entry.  The
               pair's second pivot 1 - r^2 is judged by the tolerance that
               the factorization applies to every pivot.  The symmetrized
               entry is judged, the one the factorization sees: judging
               Sigma[i][j] alone gave a transposed layout (column-major
               strides) another status (found by tests/fuzz/fuzz_api.c). */
            /* Near DBL_MAX both the sum and the bound overflow (entries
               of 1.8e308 became +inf, passed the test inf > inf and gave
               d_sigma = NaN with status OK: fuzz finding grad-nonfinite,
               2026-12-03); halves first there, and an overflowing bound
               is DBL_MAX. */
            const int huge = fabs(sij) >= 0x1p1022 || fabs(sji) >= 0x1p1022;
            double avg = huge ? 0.5 * sij + 0.5 * sji : 0.5 * (sij + sji);
            double bound = scale * sqrt(1.0 + MVNI_PSD_TOL);
            if (isinf(bound))
                bound = DBL_MAX;
            if (fabs(avg) > bound) {
                mvni_format(msg, msg_size,
                         "Sigma is not positive semidefinite: |Sigma[%zu][%zu]| = %g exceeds sqrt(Sigma[%zu][%zu] * Sigma[%zu][%zu]) = %g",
                         i, j, fabs(avg), i, i, j, j, scale);
                return MVN_ENOTPD;
            }
            sigma[i * d + j] = sigma[j * d + i] = avg;
        }
    return MVN_OK;
}

/* Sigma = L L^T from the lower triangle of a factor; entries i >= j only. */
static int load_cholesky(size_t d, const mvni_input *in, double *sigma,
                         char *msg, size_t msg_size)
{
    const ptrdiff_t rs = in->sigma_row_stride, cs = in->sigma_col_stride;
    for (size_t i = 0; i < d; ++i) {
        for (size_t j = 0; j <= i; ++j) {
            double v = in->sigma[(ptrdiff_t)i * rs + (ptrdiff_t)j * cs];
            if (!isfinite(v)) {
                mvni_format(msg, msg_size, "L[%zu][%zu] = %g is not finite", i, j, v);
                return MVN_ENAN;
            }
        }
        double lii = in->sigma[(ptrdiff_t)i * (rs + cs)];
        if (lii < 0.0) {
            mvni_format(msg, msg_size,
                     "L[%zu][%zu] = %g: a Cholesky factor has a nonnegative diagonal",
                     i, i, lii);
            return MVN_ENOTPD;
        }
    }
    /* sigma_ij = sum_{k <= min(i,j)} L_ik L_jk.  Plain loops: the factor
       is strided arbitrarily, and this O(d^3/6) product is never the
       bottleneck next to the integration. */
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j <= i; ++j) {
            double s = 0.0;
            for (size_t k = 0; k <= j; ++k)
                s += in->sigma[(ptrdiff_t)i * rs + (ptrdiff_t)k * cs] *
                     in->sigma[(ptrdiff_t)j * rs + (ptrdiff_t)k * cs];
            if (!isfinite(s)) {
                mvni_format(msg, msg_size, "L L^T overflows at entry [%zu][%zu]", i, j);
                return MVN_ENAN;
            }
            sigma[i * d + j] = sigma[j * d + i] = s;
        }
    return MVN_OK;
}

/* Sigma is checked before the limits: a batch whose problems share one
   Sigma (and every plan) must check it before it sees any limits, and a
   problem with a bad Sigma and bad limits gets the same status from every
   entry point. */
int mvni_load_problem(size_t d, const mvni_input *in, double *a, double *b,
                      double *sigma, char *msg, size_t msg_size)
{
    int status;
    if (in->sigma == NULL) {
        mvni_format(msg, msg_size, "Sigma is NULL");
        return MVN_EINVAL;
    }
    if (in->sigma_kind == MVN_SIGMA_COV) {
        status = load_covariance(d, in, sigma, msg, msg_size);
    } else if (in->sigma_kind == MVN_SIGMA_CHOL) {
        status = load_cholesky(d, in, sigma, msg, msg_size);
    } else {
        mvni_format(msg, msg_size, "sigma_kind = %d is neither MVN_SIGMA_COV nor MVN_SIGMA_CHOL",
                 in->sigma_kind);
        return MVN_EINVAL;
    }
    if (status != MVN_OK)
        return status;
    return mvni_load_limits(d, in, a, b, msg, msg_size);
}
