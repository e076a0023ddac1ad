/*
 * api/student_t.h -- internal: the derivatives of a noncentral t
 * probability (student_t_noncentral.c), called by student_t_grad.c.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_API_STUDENT_T_H
#define MVNORM_API_STUDENT_T_H

#include <stddef.h>

#include "mvnorm.h"

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
