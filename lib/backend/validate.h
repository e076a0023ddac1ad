/*
 * backend/validate.h -- checking and canonicalizing user input.
 *
 * Every public entry point turns its (pointer, stride) arguments into the
 * canonical form used inside the library:
 *   a[i] = lower[i] - mean[i], b[i] = upper[i] - mean[i]   (length d)
 *   sigma: full symmetric d x d covariance, row-major, a private copy
 *          (from a Cholesky factor: L L^T).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_VALIDATE_H
#define MVNORM_VALIDATE_H

#include <stddef.h>
#include "common/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Strided view of the inputs of one problem.  A NULL pointer means the
   default (-inf lower, +inf upper, zero mean). */
typedef struct {
    const double *lower; ptrdiff_t lower_stride;
    const double *upper; ptrdiff_t upper_stride;
    const double *mean;  ptrdiff_t mean_stride;
    const double *sigma; ptrdiff_t sigma_row_stride, sigma_col_stride;
    int sigma_kind;      /* MVN_SIGMA_COV or MVN_SIGMA_CHOL */
} mvni_input;

/* Check d against 1 <= d <= MVN_MAX_DIM and that d*d doubles fit in
   memory arithmetic.  Returns MVN_OK or MVN_EDIM with a message. */
int mvni_check_dim(size_t d, char *msg, size_t msg_size);

/*
 * Validate one problem and write its canonical form into a, b (d each)
 * and sigma (d*d).  Sigma first, then the limits (so one bad input gets
 * one status whichever entry point sees it).  Checks: NaN anywhere;
 * lower = +inf or upper = -inf; infinite mean or Sigma; lower > upper
 * (MVN_EBOUNDS); Sigma symmetric to 1e-10 relative (MVN_EASYM); negative
 * variance, negative Cholesky diagonal or a correlation beyond
 * sqrt(1 + MVNI_PSD_TOL) (MVN_ENOTPD).  Positive semidefiniteness itself
 * is decided by the factorization, with the same MVNI_PSD_TOL.  On failure
 * writes a message naming the offending index and value into msg.
 */
/* Only the limits and the mean part of mvni_load_problem (a, b). */
int mvni_load_limits(size_t d, const mvni_input *in, double *a, double *b,
                     char *msg, size_t msg_size);

int mvni_load_problem(size_t d, const mvni_input *in,
                      double *a, double *b, double *sigma,
                      char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif

#endif
