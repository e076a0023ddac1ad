/*
 * api/backend.h -- the choice of backend for one call.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_API_BACKEND_H
#define MVNI_API_BACKEND_H

#include "api/context.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The backend that serves `computation` (MVN_COMPUTE_*) on data in
   `memory` for ctx: MVN_BACKEND_CPU or MVN_BACKEND_CUDA in *chosen and
   MVN_OK, or MVN_EBACKEND / MVN_EUNSUPPORTED with the context message.
   AUTO is the CPU unless MVN_BACKEND=cuda was in the environment or the
   data is in device memory; then CUDA when it loads (else the CPU for
   host data, the error for device data). */
int mvni_backend_select(mvn_context *ctx, int computation, int memory,
                        int *chosen);

/*
 * The backend table: the entry (an mvn_plugin, the one interface of every
 * backend) and its state for backend b of ctx.  MVN_BACKEND_CPU is the
 * built-in CPU executor (its state is the context itself); a plugin's
 * entry exists once mvni_backend_select has loaded it (NULL before).
 */
const mvn_plugin *mvni_backend_entry(mvn_context *ctx, int backend, void **state);

#ifdef __cplusplus
}
#endif

#endif
