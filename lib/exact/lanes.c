/*
 * exact/lanes.c -- the vector kernels (lib/simd) as the exact kernels use
 * them: Phi and the normal density over the quadrature nodes of one
 * problem, in one call per panel instead of one scalar call per node.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Why: the scalar mvn_norm_P is built for relative accuracy in the far
 * tails (erfc plus an exact-product correction) and costs about 80 ns; the
 * trivariate path integral needs up to 8 Phi values per node, and there an
 * absolute error of a few eps is all that matters (each value is weighted
 * by a density and summed).  The simd kernels give Phi to 16 eps relative
 * for x < 0 and 2 eps absolute above, the density to 4 eps relative, in a
 * few ns per value, and bitwise the same numbers on every instruction set
 * (lib/simd/kernels.h), so results do not depend on the CPU.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <stdatomic.h>
#include <stddef.h>

#include "exact/exact.h"
#include "simd/kernels.h"

/* mvni_simd_best reads the environment and the CPU flags on every call
   (about 100 ns); the choice is cached.  Every thread stores the same
   pointer, and the sets give identical numbers in any case. */
static _Atomic(const mvni_simd_kernels *) lanes_set;

static const mvni_simd_kernels *lanes(void)
{
    const mvni_simd_kernels *k = atomic_load_explicit(&lanes_set, memory_order_relaxed);
    if (k == NULL) {
        k = mvni_simd_best();
        atomic_store_explicit(&lanes_set, k, memory_order_relaxed);
    }
    return k;
}

void mvni_lanes_phi(size_t n, const double *x, double *out)
{
    lanes()->phi(n, x, out);
}

void mvni_lanes_pdf(size_t n, const double *x, double *out)
{
    lanes()->pdf(n, x, out);
}

void mvni_lanes_exp_neg(size_t n, const double *x, double *out)
{
    lanes()->exp_neg(n, x, out);
}
