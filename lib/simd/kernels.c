/* kernels.c -- run-time choice of the SOV vector kernel set (generic, AVX2, AVX-512).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The CPU is asked each time (__builtin_cpu_supports reads data that libgcc
 * fills once at start-up), so there is no cached mutable state.  The
 * kernels use no fused multiply-add, so the AVX2 set needs AVX2 only and
 * the AVX-512 set AVX-512F only.  The AVX2 and AVX-512 files are built
 * (and MVN_SIMD_X86 defined) only on x86 with a compiler that accepts
 * -mavx512f; otherwise only the generic set exists.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdlib.h>
#include <string.h>

#include "simd/kernels.h"

#define MVNI_SET(nm, w, sfx)                                                   \
    {nm, w, mvni_phi_##sfx, mvni_phiinv_##sfx, mvni_sov_dot_##sfx,            \
     mvni_sov_dot_acc_##sfx, mvni_sov_dot_rows_##sfx, mvni_sov_step_##sfx,     \
     mvni_sov_step_scaled_##sfx, mvni_sov_const_##sfx, mvni_pdf_##sfx,         \
     mvni_sov_outer_##sfx, mvni_exp_neg_##sfx}

static const mvni_simd_kernels set_generic = MVNI_SET("generic", 2, d2_generic);
#if defined(MVN_SIMD_X86)
#define MVNI_HAVE_X86_SETS 1
static const mvni_simd_kernels set_avx2 = MVNI_SET("avx2", 4, d4_avx2);
static const mvni_simd_kernels set_avx512 = MVNI_SET("avx512", 8, d8_avx512);
#endif

const mvni_simd_kernels *mvni_simd_get(const char *name)
{
    if (name == NULL)
        return NULL;
    if (strcmp(name, "generic") == 0)
        return &set_generic;
#ifdef MVNI_HAVE_X86_SETS
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2"))
        return &set_avx2;
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f"))
        return &set_avx512;
#endif
    return NULL;
}

const mvni_simd_kernels *mvni_simd_best(void)
{
    const mvni_simd_kernels *k = mvni_simd_get(getenv("MVN_SIMD"));
    if (k != NULL)
        return k;
#ifdef MVNI_HAVE_X86_SETS
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return &set_avx512;
    if (__builtin_cpu_supports("avx2"))
        return &set_avx2;
#endif
    return &set_generic;
}
