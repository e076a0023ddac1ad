/* phi_impl.h -- vector Phi, Phi^-1 and SOV step kernels, written once and compiled per ISA.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Included by phi_generic.c, phi_avx2.c and phi_avx512.c after they define
 *   MVNI_W       lanes per vector (2, 4, 8),
 *   MVNI_FN(f)   the exported name of kernel f, e.g. mvni_f_d8_avx512,
 *   MVNI_U       independent vectors processed in lock step by Phi (8),
 *   MVNI_UI      the same for Phi^-1 (4).
 * The code uses GCC/Clang vector extensions only (no intrinsics apart
 * from the square root), so every ISA runs the same operations in the
 * same order.  The kernel files are compiled with -ffp-contract=off:
 * multiplications and additions are never fused, and since +, -, *, /
 * and sqrt are correctly rounded in IEEE arithmetic, every ISA returns
 * bitwise the same numbers (checked by tests/test_simd.c).
 *
 * Accuracy (tests/test_simd.c, against mpmath values and the library's
 * scalar mvn_norm_P / mvn_norm_Pinv, themselves within ~2 ulp; bound held
 * there, measured maximum in brackets):
 *   phi:    Phi(x), relative 16 eps (1.1e-15) where Phi(x) >= 1e-300 and
 *           x < 0; absolute 2 eps (2.2e-16) for x >= 0 (computed as 1 - Q);
 *           in [0, 1e-300) below x = -37.5; 0 at -inf, 1 at +inf, NaN for NaN.
 *   phiinv: Phi^-1(p), relative 16 eps (9.6e-16) for min(p, 1 - p) >= 1e-300;
 *           -inf at 0, +inf at 1, NaN outside [0, 1] and for NaN.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
#endif

#include "simd/kernels.h"

/* The vector types never cross a call boundary (all helpers are static
   inline), so GCC's note that their passing convention depends on the ISA
   does not concern us. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/*
 * Every helper works on MVNI_U independent vectors at once, each statement
 * looped over them (EACH), so that the long dependent chains (Horner steps
 * of the polynomials, about 6 cycles each) of several vectors are in
 * flight together.  Processing one vector at a time was latency bound:
 * 10 ns per Phi value with AVX-512 instead of about 1.5.
 */
#ifndef MVNI_U
#define MVNI_U 8
#endif
#ifndef MVNI_UI
#define MVNI_UI 4
#endif
#define U MVNI_U
#define UI MVNI_UI
#define VL (MVNI_W * MVNI_U)
#define VLI (MVNI_W * MVNI_UI)
#define EACH _Pragma("GCC unroll 16") for (int j = 0; j < U; ++j)
/* Phi^-1 keeps more values live per vector: fewer in lock step (measured:
   8 at a time is slower than 4 with AVX-512, 4 faster than 2). */
#define EACHI _Pragma("GCC unroll 16") for (int j = 0; j < UI; ++j)

_Static_assert(MVNI_SOV_LANES % VL == 0 && U % UI == 0,
               "an SOV block must be a whole number of lock-step groups");

typedef double vd __attribute__((vector_size(8 * MVNI_W)));
typedef int64_t vl __attribute__((vector_size(8 * MVNI_W)));

/* Lane-wise select: m is all-ones where a is wanted (C has no vector ?:). */
static inline vd sel(vl m, vd a, vd b)
{
    return (vd)(((vl)a & m) | ((vl)b & ~m));
}

static inline vd splat(double x)
{
    vd v;
    for (int i = 0; i < MVNI_W; ++i)
        v[i] = x;
    return v;
}

static inline vd vload(const double *p)
{
    vd v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void vstore(double *p, vd v)
{
    memcpy(p, &v, sizeof v);
}

static inline vd vabs(vd x)
{
    return (vd)((vl)x & 0x7fffffffffffffffLL);
}

/* Correctly rounded square root (so identical on every ISA). */
static inline vd vsqrt(vd x)
{
#if MVNI_W == 8 && defined(__AVX512F__)
    return (vd)_mm512_sqrt_pd((__m512d)x);
#elif MVNI_W == 4 && defined(__AVX__)
    return (vd)_mm256_sqrt_pd((__m256d)x);
#elif MVNI_W == 2 && defined(__SSE2__)
    return (vd)_mm_sqrt_pd((__m128d)x);
#else
    for (int i = 0; i < MVNI_W; ++i)
        x[i] = __builtin_sqrt(x[i]);
    return x;
#endif
}

/* Adding and subtracting 1.5 * 2^52 rounds |x| < 2^51 to the nearest
   integer; the low bits of the sum hold that integer. */
#define MAGIC 0x1.8p52

/* fdlibm's split of ln 2 (the high part has 32 significant bits, so k ln2_hi
   is exact for |k| < 2^21). */
#define LN2_HI 6.93147180369123816490e-01
#define LN2_LO 1.90821492927058770002e-10
#define INV_LN2 1.44269504088896338700e+00

/*
 * exp(a + b) for a + b in [-800, 0], with a (large, exact) and b (moderate,
 * carrying the rounding corrections) entering the reduction separately:
 * k = round((a + b) / ln 2), r = ((a - k ln2_hi) + b) - k ln2_lo, where
 * a - k ln2_hi is exact (both are multiples of 2^-44 below 2^10 and their
 * difference is below 4); exp(r) by its Taylor series to degree 13
 * (|r| <= 0.3466 + 1e-13, first dropped term 0.3466^14 / 14! < 3e-18
 * relative); then 2^k applied in two halves so that results in the
 * subnormal range are rounded once and k <= -1100 gives 0.
 */
static inline void vexp2parts(const vd *a, const vd *b, vd *out)
{
    static const double inv_fact[14] = {
        1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720,
        1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800,
        1.0 / 39916800, 1.0 / 479001600, 1.0 / 6227020800.0};
    vd r[U], p[U];
    vl ki[U];
    EACH {
        vd s = a[j] + b[j];
        s = sel(s < -800.0, splat(-800.0), s);
        vd kk = s * INV_LN2 + MAGIC;
        ki[j] = (vl)kk - (vl)splat(MAGIC);
        kk = kk - MAGIC;
        r[j] = ((a[j] - kk * LN2_HI) + b[j]) - kk * LN2_LO;
        p[j] = splat(inv_fact[13]);
    }
    for (int i = 12; i >= 0; --i)
        EACH p[j] = p[j] * r[j] + inv_fact[i];
    EACH {
        vl k1 = ki[j] >> 1;
        vl k2 = ki[j] - k1;
        vd s1 = (vd)((k1 + 1023) << 52);
        vd s2 = (vd)((k2 + 1023) << 52);
        out[j] = (p[j] * s1) * s2;
    }
}

/*
 * The table G of Q(x) = t exp(-x^2/2 + G(t)), t = 3 / (3 + x), x >= 0,
 * as a polynomial in u = 2t - 1.  Computed by lib/simd/fit_q.py (mpmath,
 * 50 digits: Chebyshev interpolation at 80 nodes, truncated to degree 24,
 * converted to powers of u); the script evaluates the rounded table in
 * double precision on 20001 points of [0, 1] and finds
 * max |G_double - G| = 6.0e-16 (first dropped Chebyshev term 2.7e-16),
 * which is the relative error this part adds to Q.
 */
static const double q_g[25] = {
    -1.41457904095040421e+00, 6.98591929582625837e-01,
    7.14734325521937802e-02, -4.19279061107412365e-02,
    -1.49789653961933666e-02, 6.89622221105542360e-03,
    3.35958248259530081e-03, -1.77967640953621289e-03,
    -7.46686338887011971e-04, 5.58958771214275625e-04,
    1.34092326109687827e-04, -1.79552289974683376e-04,
    -5.70922797146021189e-06, 5.24021765396106320e-05,
    -9.91611714474232968e-06, -1.23739084073303690e-05,
    5.81869659976749394e-06, 1.87714626002186053e-06,
    -2.01375091329761203e-06, 3.76415236300977218e-09,
    4.66661758717169398e-07, -7.75518248663251040e-08,
    -6.64234325001081481e-08, 1.32750556505770132e-08,
    4.26932541428875467e-09,
};

/* Beyond this Q(x) < 2^-1090 rounds to 0; clamping keeps exp's argument
   in range and maps +inf to 0. */
#define Q_XMAX 39.0

/* |x| clamped to [0, Q_XMAX]; NaN stays NaN. */
static inline vd vabs_clamp(vd x)
{
    vd ax = vabs(x);
    return sel(ax > Q_XMAX, splat(Q_XMAX), ax);
}

/*
 * Q(x) = 1 - Phi(x) for 0 <= x <= Q_XMAX given t = 3 / (3 + x) (NaN
 * propagates).  x^2 / 2 is split as xh^2 / 2 (exact: xh = x rounded to a
 * multiple of 1/16 has at most 10 significant bits) plus
 * (x - xh)(x + xh) / 2, which is below 5 and rounded relative to itself;
 * so exp's argument, up to 760 in size, carries an absolute error near
 * 1e-15 instead of x^2 eps = 1.7e-13.
 */
static inline void vq_t(const vd *x, const vd *t, vd *q)
{
    vd u[U], g[U], a[U], b[U];
    EACH {
        u[j] = 2.0 * t[j] - 1.0;
        g[j] = splat(q_g[24]);
    }
    for (int i = 23; i >= 0; --i)
        EACH g[j] = g[j] * u[j] + q_g[i];
    EACH {
        vd xh = ((x[j] * 16.0 + MAGIC) - MAGIC) * 0.0625;
        a[j] = -0.5 * (xh * xh);
        b[j] = g[j] - 0.5 * ((x[j] - xh) * (x[j] + xh));
    }
    vexp2parts(a, b, q);
    EACH q[j] = t[j] * q[j];
}

/* Phi(x): Q(|x|) for x < 0, 1 - Q(|x|) otherwise. */
static inline void vphi(const vd *x, vd *out)
{
    vd ax[U], t[U], q[U];
    EACH {
        ax[j] = vabs_clamp(x[j]);
        t[j] = 3.0 / (3.0 + ax[j]);
    }
    vq_t(ax, t, q);
    EACH out[j] = sel(x[j] < 0.0, q[j], 1.0 - q[j]);
}

/* Q(|x|) and Q(|y|) with one division: 1 / ((3 + |x|)(3 + |y|)) serves
   both t (each then carries 3 roundings instead of 1). */
static inline void vq_abs2(const vd *x, const vd *y, vd *qx, vd *qy)
{
    vd ax[U], ay[U], tx[U], ty[U];
    EACH {
        ax[j] = vabs_clamp(x[j]);
        ay[j] = vabs_clamp(y[j]);
        vd dx = 3.0 + ax[j], dy = 3.0 + ay[j];
        vd inv = 3.0 / (dx * dy);
        tx[j] = dy * inv;
        ty[j] = dx * inv;
    }
    vq_t(ax, tx, qx);
    vq_t(ay, ty, qy);
}

/*
 * log(x) for positive finite x (subnormals included):
 * x = m 2^e with m in [sqrt(1/2), sqrt(2)), log m = 2 atanh(s),
 * s = (m - 1) / (m + 1), |s| <= 0.1716, by its Taylor series
 * 2 s sum_k s^2k / (2k + 1) to k = 10 (first dropped term
 * 0.1716^22 / 23 < 2e-19 relative).  Subnormal x is scaled by 2^64 first.
 */
static inline void vlog(const vd *xin, vd *out)
{
    vd s[UI], s2[UI], p[UI], ed[UI];
    EACHI {
        vd x = xin[j];
        vl sub = x < 0x1p-1022;
        x = sel(sub, x * 0x1p64, x);
        vl bits = (vl)x;
        vl e = ((bits >> 52) & 0x7ff) - 1023;
        vd m = (vd)((bits & 0x000fffffffffffffLL) | 0x3ff0000000000000LL);
        vl big = m > 1.41421356237309504880;
        m = sel(big, m * 0.5, m);
        e = e + (big & 1) - (sub & 64);
        /* int64 -> double without vcvtqq2pd (absent before AVX-512DQ). */
        ed[j] = (vd)(e + (vl)splat(MAGIC)) - MAGIC;
        s[j] = (m - 1.0) / (m + 1.0);
        s2[j] = s[j] * s[j];
        p[j] = splat(1.0 / 21);
    }
    for (int k = 9; k >= 0; --k)
        EACHI p[j] = p[j] * s2[j] + 1.0 / (2 * k + 1);
    EACHI out[j] = ed[j] * LN2_HI + (ed[j] * LN2_LO + 2.0 * s[j] * p[j]);
}

/*
 * Wichura (1988), Algorithm AS 241 (PPND16), Appl. Statist. 37:477-484:
 * the published coefficients, as in lib/univariate.c (which checks them
 * against mpmath through mvn_norm_Pinv).  Here the three rational pieces
 * are evaluated for all lanes and blended; the two tail pieces share one
 * evaluation with blended coefficients, and the central and tail ratios
 * share one division.  No Halley refinement: PPND16 alone is good to about
 * 1e-16 relative, the vector log to a few ulp.
 */
#include "common/as241.h"

/* Phi^-1(p); p outside [0, 1] or NaN gives NaN. */
static inline void vphiinv(const vd *p, vd *out)
{
    vd q[UI], r1[UI], n1[UI], d1[UI], pm[UI], lg[UI], rr[UI], n2[UI], d2[UI];
    vl central[UI], far[UI];
    EACHI {
        q[j] = p[j] - 0.5;
        central[j] = vabs(q[j]) <= 0.425;
        r1[j] = 0.180625 - q[j] * q[j];
        n1[j] = splat(as241_a[7]);
        d1[j] = splat(as241_b[7]);
        /* Tails: pm = min(p, 1 - p) (1 - p is exact for p >= 1/2), kept
           positive and finite for the lanes that do not use it. */
        vd m = sel(q[j] < 0.0, p[j], 1.0 - p[j]);
        m = sel(m > 0x1p-1074, m, splat(0x1p-1074));
        pm[j] = sel(central[j], splat(0.25), m);
    }
    for (int i = 6; i >= 0; --i)
        EACHI {
            n1[j] = n1[j] * r1[j] + as241_a[i];
            d1[j] = d1[j] * r1[j] + as241_b[i];
        }
    vlog(pm, lg);
    EACHI {
        vd r = vsqrt(-lg[j]);
        far[j] = r > 5.0;
        rr[j] = sel(far[j], r - 5.0, r - 1.6);
        n2[j] = sel(far[j], splat(as241_e[7]), splat(as241_c[7]));
        d2[j] = sel(far[j], splat(as241_f[7]), splat(as241_d[7]));
    }
    for (int i = 6; i >= 0; --i)
        EACHI {
            n2[j] = n2[j] * rr[j] +
                    sel(far[j], splat(as241_e[i]), splat(as241_c[i]));
            d2[j] = d2[j] * rr[j] +
                    sel(far[j], splat(as241_f[i]), splat(as241_d[i]));
        }
    EACHI {
        vd n = sel(q[j] < 0.0, -n2[j], n2[j]);
        vd z = sel(central[j], q[j] * n1[j], n) / sel(central[j], d1[j], d2[j]);
        z = sel(p[j] == 0.0, splat(-INFINITY), z);
        z = sel(p[j] == 1.0, splat(INFINITY), z);
        out[j] = sel((p[j] >= 0.0) & (p[j] <= 1.0), z, splat(NAN));
    }
}

/* ------------------------------------------------------------------ */
/* Array kernels                                                      */
/* ------------------------------------------------------------------ */

static inline void load_n(vd *v, const double *p, int n)
{
    _Pragma("GCC unroll 16") for (int j = 0; j < n; ++j)
        v[j] = vload(p + j * MVNI_W);
}

static inline void store_n(double *p, const vd *v, int n)
{
    _Pragma("GCC unroll 16") for (int j = 0; j < n; ++j)
        vstore(p + j * MVNI_W, v[j]);
}

void MVNI_FN(phi)(size_t n, const double *x, double *out)
{
    vd a[U], b[U];
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        load_n(a, x + i, U);
        vphi(a, b);
        store_n(out + i, b, U);
    }
    if (i < n) {
        double buf[VL] = {0};
        memcpy(buf, x + i, (n - i) * sizeof *x);
        load_n(a, buf, U);
        vphi(a, b);
        store_n(buf, b, U);
        memcpy(out + i, buf, (n - i) * sizeof *x);
    }
}

void MVNI_FN(phiinv)(size_t n, const double *p, double *out)
{
    vd a[UI], b[UI];
    size_t i = 0;
    for (; i + VLI <= n; i += VLI) {
        load_n(a, p + i, UI);
        vphiinv(a, b);
        store_n(out + i, b, UI);
    }
    if (i < n) {
        double buf[VLI];
        for (int k = 0; k < VLI; ++k)
            buf[k] = 0.5;
        memcpy(buf, p + i, (n - i) * sizeof *p);
        load_n(a, buf, UI);
        vphiinv(a, b);
        store_n(buf, b, UI);
        memcpy(out + i, buf, (n - i) * sizeof *p);
    }
}

/*
 * s[p] = sum_{m = m0}^{m1 - 1} c[m - m0] y[m * MVNI_SOV_LANES + p] for the
 * MVNI_SOV_LANES lanes, each lane summed in the order of m (as the scalar
 * loop did).  Eight vector accumulators per pass keep the partial sums in
 * registers while the rows of y stream through.
 */
void MVNI_FN(sov_dot)(const double *c, size_t m0, size_t m1, const double *y,
                      double *s)
{
    enum { ACC = 8, PASS = ACC * MVNI_W };
    for (size_t p0 = 0; p0 < MVNI_SOV_LANES; p0 += PASS) {
        vd acc[ACC];
        for (int j = 0; j < ACC; ++j)
            acc[j] = splat(0.0);
        for (size_t m = m0; m < m1; ++m) {
            const double cm = c[m - m0];
            const double *ym = y + m * MVNI_SOV_LANES + p0;
            for (int j = 0; j < ACC; ++j)
                acc[j] += cm * vload(ym + j * MVNI_W);
        }
        for (int j = 0; j < ACC; ++j)
            vstore(s + p0 + j * MVNI_W, acc[j]);
    }
}

/*
 * As sov_dot, but continues the sums already in s: s[p] += c[m - m0] y[m][p]
 * in the order of m.  sov_dot_rows followed by sov_dot_acc over the next
 * columns therefore gives bitwise the sums sov_dot gives over all of them.
 */
void MVNI_FN(sov_dot_acc)(const double *c, size_t m0, size_t m1,
                          const double *y, double *s)
{
    enum { ACC = 8, PASS = ACC * MVNI_W };
    for (size_t p0 = 0; p0 < MVNI_SOV_LANES; p0 += PASS) {
        vd acc[ACC];
        for (int j = 0; j < ACC; ++j)
            acc[j] = vload(s + p0 + j * MVNI_W);
        for (size_t m = m0; m < m1; ++m) {
            const double cm = c[m - m0];
            const double *ym = y + m * MVNI_SOV_LANES + p0;
            for (int j = 0; j < ACC; ++j)
                acc[j] += cm * vload(ym + j * MVNI_W);
        }
        for (int j = 0; j < ACC; ++j)
            vstore(s + p0 + j * MVNI_W, acc[j]);
    }
}

/*
 * The dot products of nr rows at once over the same columns:
 * s[r * MVNI_SOV_LANES + p] = sum_{m0 <= m < m1} c[r][m - m0] y[m][p],
 * each lane summed from 0 in the order of m, so every row gets bitwise the
 * numbers of sov_dot.  Why: for a dense factor of large d the block's z
 * values (d x 64 doubles, 512 KB at d = 1000) live in L2, and sov_dot
 * reloads all of them for every row, which makes it bound by L2 bandwidth
 * (8 vector loads for 8 multiply-adds per column and row with AVX-512).
 * Here each loaded vector of z serves RB rows (a register tile of RB rows
 * by NV vectors of lanes), so the loop becomes bound by arithmetic.
 */
/* Register tile of sov_dot_rows: RB rows by NV vectors of lanes, RB * NV
   accumulators (16 of the 32 AVX-512 registers; 8 of the 16 AVX2 ones).
   Measured at d = 1000 with AVX-512 (bench/sov_throughput, ns per point
   per dimension of the whole integrator): 46 row by row, 19 with 4 x 4,
   17.4 with 8 x 2, 18.4 with 8 x 1. */
#ifndef MVNI_DOT_RB
#define MVNI_DOT_RB (MVNI_W == 8 ? 8 : 4)
#endif
#ifndef MVNI_DOT_NV
#define MVNI_DOT_NV 2
#endif
void MVNI_FN(sov_dot_rows)(size_t nr, const double *const *c, size_t m0,
                           size_t m1, const double *y, double *s)
{
    enum { RB = MVNI_DOT_RB, NV = MVNI_DOT_NV, PASS = NV * MVNI_W };
    size_t r0 = 0;
    for (; r0 + RB <= nr; r0 += RB) {
        const double *const *cr = c + r0;
        for (size_t p0 = 0; p0 < MVNI_SOV_LANES; p0 += PASS) {
            vd a[RB][NV];
            _Pragma("GCC unroll 16") for (int r = 0; r < RB; ++r)
                _Pragma("GCC unroll 16") for (int j = 0; j < NV; ++j)
                    a[r][j] = splat(0.0);
            for (size_t m = m0; m < m1; ++m) {
                const double *ym = y + m * MVNI_SOV_LANES + p0;
                vd yv[NV];
                _Pragma("GCC unroll 16") for (int j = 0; j < NV; ++j)
                    yv[j] = vload(ym + j * MVNI_W);
                _Pragma("GCC unroll 16") for (int r = 0; r < RB; ++r) {
                    const double k = cr[r][m - m0];
                    _Pragma("GCC unroll 16") for (int j = 0; j < NV; ++j)
                        a[r][j] += k * yv[j];
                }
            }
            _Pragma("GCC unroll 16") for (int r = 0; r < RB; ++r)
                _Pragma("GCC unroll 16") for (int j = 0; j < NV; ++j)
                    vstore(s + (r0 + r) * MVNI_SOV_LANES + p0 + j * MVNI_W,
                           a[r][j]);
        }
    }
    for (; r0 < nr; ++r0)
        MVNI_FN(sov_dot)(c[r0], m0, m1, y, s + r0 * MVNI_SOV_LANES);
}

/*
 * One SOV row for MVNI_SOV_LANES lanes (see lib/sov.c): alpha = lo - s,
 * beta = hi - s; on the side of zero where the interval has relative
 * accuracy (upper side Q when alpha > 0, else Phi),
 *   e = Phi(beta) - Phi(alpha) (clamped at 0),
 *   y = Phi^-1(Phi(alpha) + w e)   or  -Phi^-1(Q(alpha) - w e),
 * clamped into [alpha, beta]; y is written only if y != NULL.  A lane whose
 * larger Phi value is below tiny gets e = -1 (the caller redoes it in log
 * space) and y untouched.  Returns the number of such lanes.
 */
/* sc == NULL: the limits lo, hi of every lane; otherwise lo sc[p], hi
   sc[p] (the scaled limits of the multivariate t, sov_step_scaled). */
static inline int sov_step_impl(const double *s, const double *sc, double lo, double hi,
                                const double *w, double tiny, double *e, double *y)
{
    int nlog = 0;
    for (size_t i = 0; i < MVNI_SOV_LANES; i += VL) {
        vd al[U], be[U], qa[U], qb[U], big[U], ev[U], u[U], z[U];
        vl up[U], lg[U];
        EACH {
            vd sv = vload(s + i + j * MVNI_W);
            if (sc == NULL) {
                al[j] = lo - sv;
                be[j] = hi - sv;
            } else {
                /* sc > 0, so an infinite limit stays infinite. */
                vd cv = vload(sc + i + j * MVNI_W);
                al[j] = lo * cv - sv;
                be[j] = hi * cv - sv;
            }
        }
        vq_abs2(al, be, qa, qb);
        EACH {
            up[j] = al[j] > 0.0;
            big[j] = sel(up[j], qa[j], sel(be[j] < 0.0, qb[j], 1.0 - qb[j]));
            vd small = sel(up[j], qb[j], qa[j]);
            vd d = big[j] - small;
            ev[j] = sel(d > 0.0, d, splat(0.0));
            lg[j] = big[j] < tiny;
            for (int k = 0; k < MVNI_W; ++k)
                nlog += lg[j][k] != 0;
            if (y != NULL) {
                vd wv = vload(w + i + j * MVNI_W);
                u[j] = sel(up[j], big[j] - wv * ev[j], small + wv * ev[j]);
            }
            vstore(e + i + j * MVNI_W, sel(lg[j], splat(-1.0), ev[j]));
        }
        if (y == NULL)
            continue;
        for (int h = 0; h < U; h += UI)
            vphiinv(u + h, z + h);
        EACH {
            vd zz = sel(up[j], -z[j], z[j]);
            zz = sel(zz < al[j], al[j], zz);
            zz = sel(zz > be[j], be[j], zz);
            double *yp = y + i + j * MVNI_W;
            vstore(yp, sel(lg[j], vload(yp), zz));
        }
    }
    return nlog;
}

int MVNI_FN(sov_step)(const double *s, double lo, double hi, const double *w,
                      double tiny, double *e, double *y)
{
    return sov_step_impl(s, NULL, lo, hi, w, tiny, e, y);
}

/* sov_step with the limits of lane p scaled by sc[p] > 0: alpha =
   lo sc[p] - s[p], beta = hi sc[p] - s[p] (the chi variable of the
   multivariate t, qmc/sov.c). */
int MVNI_FN(sov_step_scaled)(const double *s, const double *sc, double lo, double hi,
                             const double *w, double tiny, double *e, double *y)
{
    return sov_step_impl(s, sc, lo, hi, w, tiny, e, y);
}

/*
 * A row with constant limits (Phi evaluated once by the caller):
 * y = Phi^-1(base + w e) on the lower side, -Phi^-1(base - w e) on the
 * upper side (upper != 0).
 */
void MVNI_FN(sov_const)(double base, double e, int upper, const double *w,
                        double *y)
{
    const double sg = upper ? -1.0 : 1.0;
    for (size_t i = 0; i < MVNI_SOV_LANES; i += VLI) {
        vd u[UI], z[UI];
        EACHI {
            vd wv = vload(w + i + j * MVNI_W);
            u[j] = upper ? base - wv * e : base + wv * e;
        }
        vphiinv(u, z);
        EACHI vstore(y + i + j * MVNI_W, sg * z[j]);
    }
}

/*
 * out[i] = exp(x[i]) for x[i] <= 0, i < n (any n; in and out may alias).
 * vexp2parts with the whole argument as its exact part: the reduction
 * x - k ln2_hi is exact for every double x in [-800, 0] (fdlibm's split;
 * Sterbenz for |x| >= ln 2, k = 0 below ln 2 / 2, k = -1 between), so the
 * error is the series' and the final scaling's: relative 4 eps where the
 * result is a normal double (tests/test_simd.c against long double expl).
 */
static inline void vexp_neg(vd *a, const vd *zero, vd *out)
{
    /* vexp2parts clamps its sum, not its parts: clamp the argument
       itself (-inf and -1e300 gave -inf), NaN passing through. */
    EACH a[j] = sel(a[j] < -800.0, splat(-800.0), a[j]);
    vexp2parts(a, zero, out);
}

void MVNI_FN(exp_neg)(size_t n, const double *x, double *out)
{
    vd a[U], b[U], zero[U];
    EACH zero[j] = splat(0.0);
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        load_n(a, x + i, U);
        vexp_neg(a, zero, b);
        store_n(out + i, b, U);
    }
    if (i < n) {
        double buf[VL] = {0};
        memcpy(buf, x + i, (n - i) * sizeof *x);
        load_n(a, buf, U);
        vexp_neg(a, zero, b);
        store_n(buf, b, U);
        memcpy(out + i, buf, (n - i) * sizeof *x);
    }
}

/* ------------------------------------------------------------------ */
/* Kernels of the estimator's derivative (lib/sov_grad.c)              */
/* ------------------------------------------------------------------ */

#define INV_SQRT_2PI 0.39894228040143267794

/*
 * The normal density phi(x) = exp(-x^2 / 2) / sqrt(2 pi) for U vectors.
 * x^2 / 2 is split as in vq_t: xh = x rounded to a multiple of 1/16
 * (|x| <= 40, so xh has at most 10 significant bits and xh^2 / 2 is
 * exact) plus (x - xh)(x + xh) / 2 (x - xh is exact, the rest is below
 * 1.3 and rounded relative to itself), so exp's argument, up to 800 in
 * size, is off by about 3e-16 absolute instead of x^2 eps.  |x| is
 * clamped to 40 first: exp(-800) is below 2^-1100, which vexp2parts
 * returns as 0, so |x| >= 40 (and +-inf) give exactly 0 while the true
 * density there is below 1e-348; NaN stays NaN.
 */
static inline void vpdf(const vd *x, vd *out)
{
    vd a[U], b[U];
    EACH {
        vd ax = vabs(x[j]);
        ax = sel(ax > 40.0, splat(40.0), ax);
        vd xh = ((ax * 16.0 + MAGIC) - MAGIC) * 0.0625;
        a[j] = -0.5 * (xh * xh);
        b[j] = -0.5 * ((ax - xh) * (ax + xh));
    }
    vexp2parts(a, b, out);
    EACH out[j] = out[j] * INV_SQRT_2PI;
}

/*
 * out[i] = phi(x[i]), the normal density, for i < n (any n; in and out
 * may alias).  Accuracy: relative 4 eps where phi(x) >= 1e-300
 * (|x| <= 37.1): exp's argument carries 3e-16 absolute, the series and
 * the reduction a few ulp, the constant 1/sqrt(2 pi) half an ulp
 * (tests/test_simd.c against mpmath values and a long double reference:
 * measured maximum 5.0e-16, at x = -35.5).
 */
void MVNI_FN(pdf)(size_t n, const double *x, double *out)
{
    vd a[U], b[U];
    size_t i = 0;
    for (; i + VL <= n; i += VL) {
        load_n(a, x + i, U);
        vpdf(a, b);
        store_n(out + i, b, U);
    }
    if (i < n) {
        double buf[VL] = {0};
        memcpy(buf, x + i, (n - i) * sizeof *x);
        load_n(a, buf, U);
        vpdf(a, b);
        store_n(buf, b, U);
        memcpy(out + i, buf, (n - i) * sizeof *x);
    }
}

/*
 * One register tile of sov_outer: RB rows of c by NV vectors of columns,
 * loaded, updated over all MVNI_SOV_LANES lanes in the order of p, and
 * stored back.  Every element of c is thus c + a_0 b_0 + a_1 b_1 + ...
 * added one product at a time in the order of p, whatever the tile shape
 * and vector width, which keeps the kernel sets bitwise equal.
 */
static inline __attribute__((always_inline)) void
outer_tile(int rb, int nv, const double *a, const double *bt, size_t ldb,
           double *c, size_t ldc)
{
    vd acc[4][4];
    _Pragma("GCC unroll 16") for (int r = 0; r < rb; ++r)
        _Pragma("GCC unroll 16") for (int j = 0; j < nv; ++j)
            acc[r][j] = vload(c + (size_t)r * ldc + (size_t)j * MVNI_W);
    for (size_t p = 0; p < MVNI_SOV_LANES; ++p) {
        vd bv[4];
        _Pragma("GCC unroll 16") for (int j = 0; j < nv; ++j)
            bv[j] = vload(bt + p * ldb + (size_t)j * MVNI_W);
        _Pragma("GCC unroll 16") for (int r = 0; r < rb; ++r) {
            const double k = a[(size_t)r * MVNI_SOV_LANES + p];
            _Pragma("GCC unroll 16") for (int j = 0; j < nv; ++j)
                acc[r][j] += k * bv[j];
        }
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < rb; ++r)
        _Pragma("GCC unroll 16") for (int j = 0; j < nv; ++j)
            vstore(c + (size_t)r * ldc + (size_t)j * MVNI_W, acc[r][j]);
}

/*
 * c[r * ldc + m] += sum_p a[r * MVNI_SOV_LANES + p] bt[p * ldb + m] for
 * r < nr, m < ncol (ncol a multiple of 8, the widest vector), the sum over
 * the MVNI_SOV_LANES lanes p added to c one product at a time in the
 * order of p: bitwise the same on every ISA.  It is the sum over a block
 * of lanes of the outer products of two sets of rows, a times b^T with b
 * stored transposed (lane-major), so that the columns are contiguous and
 * the kernel needs no horizontal sums: sov_grad.c accumulates
 * cbar_km = sum over points of sbar_k y_m with it.  Tiles of 4 rows by
 * 4 vectors (AVX-512) or 2 vectors (narrower sets, 16 registers) keep the
 * accumulators in registers for all 64 lanes.
 */
void MVNI_FN(sov_outer)(size_t nr, const double *a, const double *bt,
                        size_t ldb, size_t ncol, double *c, size_t ldc)
{
    enum { NV = MVNI_W == 8 ? 4 : 2, PASS = NV * MVNI_W };
    size_t r = 0;
    for (; r + 4 <= nr; r += 4) {
        const double *ar = a + r * MVNI_SOV_LANES;
        double *cr = c + r * ldc;
        size_t m = 0;
        for (; m + PASS <= ncol; m += PASS)
            outer_tile(4, NV, ar, bt + m, ldb, cr + m, ldc);
        for (; m < ncol; m += MVNI_W)
            outer_tile(4, 1, ar, bt + m, ldb, cr + m, ldc);
    }
    for (; r < nr; ++r) {
        const double *ar = a + r * MVNI_SOV_LANES;
        double *cr = c + r * ldc;
        size_t m = 0;
        for (; m + PASS <= ncol; m += PASS)
            outer_tile(1, NV, ar, bt + m, ldb, cr + m, ldc);
        for (; m < ncol; m += MVNI_W)
            outer_tile(1, 1, ar, bt + m, ldb, cr + m, ldc);
    }
}
