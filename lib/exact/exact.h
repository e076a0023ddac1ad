/*
 * exact/exact.h -- the exact kernels: the univariate normal helpers, Genz's
 * bivariate and trivariate methods, and the adaptive quadrature they share.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_EXACT_EXACT_H
#define MVNI_EXACT_EXACT_H

#include <stddef.h>
#include <stdint.h>

#include "common/types.h"
#include "exact/univariate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* exact/bivariate.c -- Genz (2004) / Drezner-Wesolowsky (1990)             */
/* ------------------------------------------------------------------ */

/* P(X < h, Y < k) for standard bivariate normal with correlation r in
   [-1, 1]; h, k may be +-inf.  Absolute error <= 1e-15. */
double mvni_bvn_cdf(double h, double k, double r);

/* P(lo < X < hi) for a standardized pair (unit variances, correlation r).
   lo[i] may be -inf, hi[i] +inf, lo[i] < hi[i].  Writes p and log p; the
   log is accurate (relative) for tiny p, including where p underflows.
   Returns an absolute error bound for p. */
double mvni_bvn_rect(const double lo[2], const double hi[2], double r,
                     double *p, double *logp);

/* log of the integral over [lo, hi] of exp(f(x)) for a log-concave
   integrand, by adaptive log-space Gauss-Kronrod panels (exact/quadrature.c,
   the one adaptive quadrature of the exact kernels); the tail path of the
   rectangle kernels.  Writes a relative error
   estimate to *relerr. */
typedef double (*mvni_logfn)(double x, const void *ctx);
double mvni_log_integrate_concave(mvni_logfn f, const void *ctx, double lo,
                                  double hi, double *relerr);

/* ------------------------------------------------------------------ */
/* exact/trivariate.c -- Genz (2004)                                        */
/* ------------------------------------------------------------------ */

/* P(X < b) for a standardized triple with correlations
   r[0] = r12, r[1] = r13, r[2] = r23.  Absolute error <= 5e-14. */
double mvni_tvn_cdf(const double b[3], const double r[3]);

/* Rectangle version, as mvni_bvn_rect. */
double mvni_tvn_rect(const double lo[3], const double hi[3],
                     const double r[3], double *p, double *logp);

#ifdef __cplusplus
}
#endif

#endif
