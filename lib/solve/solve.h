/*
 * solve/solve.h -- solving one validated problem, the one place that knows
 * every method: structure detection
 * (diagonal / block-diagonal Sigma), exact kernels for blocks of size
 * 1, 2, 3, and separation of variables + QMC for larger blocks.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_SOLVE_SOLVE_H
#define MVNI_SOLVE_SOLVE_H

#include <math.h>

#include "common/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A limit in units of its standard deviation sd > 0.  A finite limit
   whose ratio overflows becomes +-1e300, as far beyond the mass and still
   finite: -inf as an upper limit reads as "no limit" further on, so an
   upper limit of -1.5e154 over a standard deviation of 7.4e-156 gave
   P = 1 instead of 0 (fuzz finding exact-vs-qmc).  cuda/plugin.c and the
   t's lattice route (api/student_t.c) do the same. */
static inline double mvni_standardize_limit(double x, double sd)
{
    const double y = x / sd;
    return isinf(y) && isfinite(x) ? copysign(1e300, x) : y;
}

/*
 * P(a < Y < b), Y ~ N(0, sigma): the mean is already subtracted from the
 * limits.  sigma is d x d row-major, full, symmetric and validated (finite,
 * nonnegative diagonal).  a[i] may be -inf, b[i] +inf, a[i] <= b[i].
 * Variables with zero variance are point masses at 0 (indicator of
 * a[i] < 0 < b[i]).  Allocates its own scratch (never from a global).
 * Returns MVN_OK, MVN_ETOL, MVN_ENOTPD or MVN_ENOMEM; res is always set
 * (NaN on errors).
 */
int mvni_solve(size_t d, const double *a, const double *b,
               const double *sigma, const mvni_solve_options *opt,
               mvni_result *res);

/*
 * mvni_solve for a conditional covariance: the Schur complement of a Sigma
 * that mvni_solve has accepted (the conditionals of the closed-form
 * derivatives).  Positive semidefiniteness was decided once, on Sigma,
 * with MVNI_PSD_TOL; a conditional's pivots are Sigma's pivots in another
 * order, rescaled, so judging them again would reject what the value
 * accepted.  Negative pivots count as zero; never MVN_ENOTPD.
 */
int mvni_solve_conditional(size_t d, const double *a, const double *b,
                           const double *sigma, const mvni_solve_options *opt,
                           mvni_result *res);

/*
 * The first derivatives of a Gauss-Markov chain or a tridiagonal
 * correlation at once (the closed-form derivatives' shortcut): when
 * Sigma, standardized, is a chain in its given order (d >= 4, every
 * variance > 0, no zero link: exact/chain.c) or tridiagonal (exact/ma1.c,
 * unless that declines) and opt has
 * MVN_METHOD_AUTO and a reorder option other than GGE_ALWAYS, writes P to
 * res and, in the caller's units, logdens[2i] = log(-dP/da_i),
 * logdens[2i + 1] = log(dP/db_i) (-inf for infinite limits) with relative
 * error estimates reldens, from one forward and one backward recursion
 * instead of 2d conditional problems.  Returns MVN_OK, MVN_ETOL,
 * MVN_ENOMEM, MVN_ECANCELED, or MVNI_SOLVE_NOT_CHAIN (nothing written)
 * where it does not apply.
 */
#define MVNI_SOLVE_NOT_CHAIN (-1)
int mvni_solve_chain_density(size_t d, const double *a, const double *b,
                             const double *sigma, const mvni_solve_options *opt,
                             mvni_result *res, double *logdens, double *reldens);

#ifdef __cplusplus
}
#endif

#endif
