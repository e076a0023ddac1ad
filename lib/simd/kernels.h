/* kernels.h -- vector kernels for the SOV hot loop (Phi, Phi^-1, row step) and their run-time ISA dispatch.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One source (phi_impl.h) is compiled per instruction set: generic (GCC
 * vector extensions at width 2, which is SSE2 on x86-64), AVX2 (width 4) and
 * AVX-512F (width 8).  Names state precision, width and ISA as in SLEEF:
 * mvni_phi_d8_avx512 works on doubles, 8 lanes, AVX-512.  All variants give
 * bitwise identical results (no fused multiply-add, see phi_impl.h), so the
 * library's results do not depend on the CPU it runs on.
 *
 * Accuracy bounds (held by tests/test_simd.c over dense grids and tails;
 * measured maximum in brackets):
 *   phi       relative 16 eps (1.1e-15) where Phi(x) >= 1e-300, x < 0;
 *             absolute 2 eps (2.2e-16) for x >= 0
 *   phiinv    relative 16 eps (9.6e-16) for min(p, 1 - p) >= 1e-300
 *   sov_step  e within 64 eps (1.2e-15) of the larger Phi value
 *   sov_dot, sov_dot_acc, sov_dot_rows
 *             bitwise the scalar sum in the order of m
 *   pdf       relative 4 eps (5.0e-16) where phi(x) >= 1e-300 (|x| <= 37.1)
 *   exp_neg   relative 4 eps where exp(x) >= 1e-300 (-690.7 <= x <= 0)
 *   sov_outer bitwise the scalar sums in the order of the lanes
 */
#ifndef MVN_SIMD_KERNELS_H
#define MVN_SIMD_KERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Lanes of one SOV block (lib/sov.c: 32 lattice points and their
   antithetic partners); the sov_* kernels work on exactly this many. */
#define MVNI_SOV_LANES 64

typedef struct {
    const char *name; /* "generic", "avx2", "avx512" */
    int width;        /* doubles per vector */
    /* out[i] = Phi(x[i]), i < n (any n; in and out may alias). */
    void (*phi)(size_t n, const double *x, double *out);
    /* out[i] = Phi^-1(p[i]). */
    void (*phiinv)(size_t n, const double *p, double *out);
    /* s[p] = sum_{m0 <= m < m1} c[m - m0] y[m * MVNI_SOV_LANES + p]. */
    void (*sov_dot)(const double *c, size_t m0, size_t m1, const double *y,
                    double *s);
    /* s[p] += the same sum, continuing the sums in s in the order of m. */
    void (*sov_dot_acc)(const double *c, size_t m0, size_t m1, const double *y,
                        double *s);
    /* nr rows at once: s[r * MVNI_SOV_LANES + p] = sum_{m0 <= m < m1}
       c[r][m - m0] y[m * MVNI_SOV_LANES + p]; bitwise as sov_dot per row. */
    void (*sov_dot_rows)(size_t nr, const double *const *c, size_t m0,
                         size_t m1, const double *y, double *s);
    /* One SOV row; see phi_impl.h.  Returns the lanes left for log space. */
    int (*sov_step)(const double *s, double lo, double hi, const double *w,
                    double tiny, double *e, double *y);
    /* The same with the limits of lane p scaled by sc[p] > 0. */
    int (*sov_step_scaled)(const double *s, const double *sc, double lo, double hi,
                           const double *w, double tiny, double *e, double *y);
    /* A row with constant limits. */
    void (*sov_const)(double base, double e, int upper, const double *w,
                      double *y);
    /* out[i] = phi(x[i]) = exp(-x[i]^2 / 2) / sqrt(2 pi), the normal
       density (any n; 0 for |x| >= 40). */
    void (*pdf)(size_t n, const double *x, double *out);
    /* c[r * ldc + m] += sum_p a[r * MVNI_SOV_LANES + p] bt[p * ldb + m]
       over the MVNI_SOV_LANES lanes p in their order, r < nr, m < ncol;
       ncol must be a multiple of 8 (sov_grad.c's cbar accumulation). */
    void (*sov_outer)(size_t nr, const double *a, const double *bt,
                      size_t ldb, size_t ncol, double *c, size_t ldc);
    /* out[i] = exp(x[i]) for x[i] <= 0 (any n; in and out may alias):
       0 below -800 and at -inf, NaN for NaN.  Sheppard's integral in the
       bivariate kernel (lib/exact/bivariate.c). */
    void (*exp_neg)(size_t n, const double *x, double *out);
} mvni_simd_kernels;

/* The best kernel set this CPU runs, unless the environment variable
   MVN_SIMD names another one it can run (generic, avx2, avx512): a switch
   for benchmarks and tests, harmless because all sets give the same
   numbers.  Never NULL. */
const mvni_simd_kernels *mvni_simd_best(void);

/* The named set, or NULL if it was not built or this CPU cannot run it. */
const mvni_simd_kernels *mvni_simd_get(const char *name);

#define MVNI_SIMD_DECLARE(sfx)                                                 \
    void mvni_phi_##sfx(size_t n, const double *x, double *out);               \
    void mvni_phiinv_##sfx(size_t n, const double *p, double *out);            \
    void mvni_sov_dot_##sfx(const double *c, size_t m0, size_t m1,             \
                            const double *y, double *s);                       \
    void mvni_sov_dot_acc_##sfx(const double *c, size_t m0, size_t m1,         \
                                const double *y, double *s);                   \
    void mvni_sov_dot_rows_##sfx(size_t nr, const double *const *c, size_t m0, \
                                 size_t m1, const double *y, double *s);       \
    int mvni_sov_step_##sfx(const double *s, double lo, double hi,             \
                            const double *w, double tiny, double *e,           \
                            double *y);                                        \
    int mvni_sov_step_scaled_##sfx(const double *s, const double *sc,          \
                                   double lo, double hi, const double *w,      \
                                   double tiny, double *e, double *y);         \
    void mvni_sov_const_##sfx(double base, double e, int upper,                \
                              const double *w, double *y);                     \
    void mvni_pdf_##sfx(size_t n, const double *x, double *out);               \
    void mvni_sov_outer_##sfx(size_t nr, const double *a, const double *bt,    \
                              size_t ldb, size_t ncol, double *c, size_t ldc); \
    void mvni_exp_neg_##sfx(size_t n, const double *x, double *out);

MVNI_SIMD_DECLARE(d2_generic)
MVNI_SIMD_DECLARE(d4_avx2)
MVNI_SIMD_DECLARE(d8_avx512)

#ifdef __cplusplus
}
#endif

#endif
