/*
 * api/compute.h -- the one path from a public batch call to its backend.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_API_COMPUTE_H
#define MVNI_API_COMPUTE_H

#include "api/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A descriptor for the pointer-argument entry points (0.1 API): the
   given inputs, contiguous outputs (derivative outputs item-major, set
   by the caller afterwards). */
void mvni_desc_from_args(mvn_batch_desc *desc, size_t n, size_t d,
                         const double *lower, const ptrdiff_t *lower_strides,
                         const double *upper, const ptrdiff_t *upper_strides,
                         const double *mean, const ptrdiff_t *mean_strides,
                         const double *sigma, const ptrdiff_t *sigma_strides,
                         int sigma_kind, double *p, double *logp,
                         double *abserr, int *status);

/* Nonzero when ctx asks for a plugin backend (MVN_OPT_BACKEND = CUDA, or
   AUTO with MVN_BACKEND=cuda in the environment): the pointer-argument
   entry points then build a descriptor and call mvni_compute; otherwise
   they run on the CPU executor directly. */
int mvni_wants_plugin(const mvn_context *ctx);

/* The pointer-argument checks of mvni_batch_args, then
   mvni_desc_from_args.  MVN_OK or MVN_EINVAL with the context message. */
int mvni_desc_checked(mvn_context *ctx, mvn_batch_desc *desc, size_t n, size_t d,
                      const double *lower, const ptrdiff_t *lower_strides,
                      const double *upper, const ptrdiff_t *upper_strides,
                      const double *mean, const ptrdiff_t *mean_strides,
                      const double *sigma, const ptrdiff_t *sigma_strides,
                      int sigma_kind, double *p, double *logp,
                      double *abserr, int *status);

/* Chooses the backend and runs the batch there (ctx already begun).  The
   CPU path is bitwise that of the pointer-argument entry points. */
int mvni_compute(mvn_context *ctx, int computation, const mvn_batch_desc *desc);

#ifdef __cplusplus
}
#endif

#endif
