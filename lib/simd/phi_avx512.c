/* phi_avx512.c -- the kernels of phi_impl.h at 8 doubles per vector (AVX-512F; compiled with -mavx512f -ffp-contract=off).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#define MVNI_W 8
#define MVNI_FN(f) mvni_##f##_d8_avx512

#include "simd/phi_impl.h"
