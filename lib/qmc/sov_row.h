/*
 * qmc/sov_row.h -- the row setup of the separation-of-variables integrand
 * shared by the integrator (qmc/sov.c) and the derivative of the estimator
 * (grad/estimator.c), so that both see the same rows and the same numbers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_QMC_SOV_ROW_H
#define MVNI_QMC_SOV_ROW_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Below this a Phi value is treated as underflowing and the step is done
   in log space. */
#define MVNI_SOV_TINY 1e-300

/* Index of the first nonzero coefficient of row i of the row-major
   factor L (i when the row has none below the diagonal). */
size_t mvni_sov_row_first(size_t d, const double *L, size_t i);

/*
 * A row without coefficients integrates the constant interval
 * (lo, hi) (already divided by L_ii): its probability is computed once
 * here instead of at every point.  cmode 0: on the lower side of zero,
 * P = Phi(hi) - Phi(lo) with cbase = Phi(lo); cmode 1: on the upper
 * side, Q(lo) - Q(hi) with cbase = Q(lo) (no cancellation in either
 * tail); ce is the interval's probability.  cmode 2 (cbase = ce = 0): the
 * relevant Phi underflows MVNI_SOV_TINY, and the row goes through the
 * vector step in log space like any other.
 */
void mvni_sov_row_constant(double lo, double hi, int lo_inf, int hi_inf,
                           int *cmode, double *cbase, double *ce);

#ifdef __cplusplus
}
#endif

#endif
