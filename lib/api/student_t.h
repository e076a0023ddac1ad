/*
 * api/student_t.h -- internal: what the t's outer quadratures share
 * (student_t.c, student_t_noncentral.c), and the derivatives of a
 * noncentral t probability, called by student_t_grad.c.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_API_STUDENT_T_H
#define MVNORM_API_STUDENT_T_H

#include <stddef.h>

#include "mvnorm.h"

/* A finite interval scaled by W below this width is not resolved by the
   normal kernels (a 2-D box of width 1.2e-323 gave log P = -745 for
   -1487); far left of the chi density's bulk, u = log W below
   -MVNI_T_TINY_LEFT, such a node counts as 0 (its share of P is below
   e^-11d), in the bulk the problem is refused. */
#define MVNI_T_TINY_WIDTH 1e-318
#define MVNI_T_TINY_LEFT 11.5

/* The limits scaled by W (lo = lower W, up = upper W; NULL arrays are
   infinite, and an infinite limit stays infinite where W underflows).
   Returns whether a finite interval became narrower than
   MVNI_T_TINY_WIDTH. */
int mvni_t_scale_limits(size_t d, const double *lower, const double *upper, double w,
                        double *lo, double *up);

/* The largest d for which d_sigma of a noncentral t is computed (its
   quadrature keeps 96 d^2 doubles). */
#define MVNI_T_NONCENTRAL_SIGMA_MAX_D 256

/* d_lower, d_upper (either may be NULL) and d_sigma (NULL: not wanted) of
   P(lower < (Y + delta) / W < upper) for a validated problem whose
   probability mvn_prob_t gave log P = logp; the nodes' evaluations are
   added to *evals.  MVN_OK, MVN_ETOL, or a node's failing status (with
   the context's message). */
int mvni_t_grad_noncentral(mvn_context *ctx, size_t d, double df, const double *lower,
                           const double *upper, const double *delta, const double *sigma,
                           double logp, double *d_lower, double *d_upper, double *d_sigma,
                           double *evals);

#endif
