/* phi_avx2.c -- the kernels of phi_impl.h at 4 doubles per vector (AVX2; compiled with -mavx2 -ffp-contract=off).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#define MVNI_W 4
#define MVNI_FN(f) mvni_##f##_d4_avx2

#include "simd/phi_impl.h"
