/* phi_generic.c -- the kernels of phi_impl.h at 2 doubles per vector (portable vector extensions, SSE2 on x86-64).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#define MVNI_W 2
#define MVNI_FN(f) mvni_##f##_d2_generic

#include "simd/phi_impl.h"
