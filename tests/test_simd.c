/* test_simd.c -- the vector kernels of lib/simd against mpmath values, the scalar mvn_norm_* functions and each other.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every kernel set this CPU runs (generic, AVX2, AVX-512) is held to the
 * bounds stated in lib/simd/kernels.h:
 *   phi      relative 16 eps where Phi(x) >= 1e-300 and x < 0, absolute
 *            2 eps for x >= 0, 0 <= Phi < 1e-300 below;
 *   phiinv   relative 16 eps for min(p, 1 - p) >= 1e-300;
 *   sov_dot  exactly the scalar sum in the order of m;
 *   sov_step e within 64 eps of the larger Phi value of the interval,
 *            |dy| <= 16 eps |y| + 64 eps Phi / phi(y) (the inverse's own
 *            error plus its argument's), the log-space lanes flagged
 *            exactly where Phi underflows;
 *   pdf      relative 4 eps where phi(x) >= 1e-300 (|x| <= 37.1), against
 *            mpmath values and a long double reference, 0 from |x| = 40;
 *   sov_outer exactly the scalar sums in the order of the lanes;
 *   exp_neg  relative 4 eps where exp(x) >= 1e-300, against long double
 *            expl, 0 below -800 and at -inf, NaN for NaN;
 * against references no one tuned: mpmath values (40 digits, printed
 * below) and the library's scalar mvn_norm_P / mvn_norm_Pinv (erfc-based,
 * within ~2 ulp, tested in test_univariate.c).  The sets must agree
 * bitwise, which is what makes libmvnorm's results independent of the CPU.
 * The largest errors seen are printed as diagnostics.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "simd/kernels.h"
#include "tap.h"

#define EPS DBL_EPSILON
#define NG 120000

/* SplitMix64: deterministic uniforms in [0, 1). */
static uint64_t rng_state = 12345;
static double unif(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53;
}

/* Phi and Phi^-1 by mpmath 1.3 (mp.dps = 40 / 60: ncdf, and findroot on
   log ncdf for the inverse tails). */
static const double phi_ref[][2] = {
    {-1, 0.15865525393145705141},      {-5, 2.8665157187919391167e-7},
    {-10, 7.619853024160526066e-24},   {-20, 2.7536241186062336951e-89},
    {-26.5, 4.8461626603033202928e-155}, {-37, 5.7255712225245768227e-300},
    {0.5, 0.69146246127401310364},     {3, 0.99865010196836990547},
};
static const double inv_ref[][2] = {
    {0.3, -0.52440051270804078404},    {0.01, -2.3263478740408411009},
    {1e-10, -6.3613409024040562047},   {1e-50, -14.933337534788488981},
    {1e-200, -30.205594179579643063},  {1e-300, -37.047096299361199237},
    {0.975, 1.9599639845400542355},
};

static double *xg, *pg, *out, *out0;
static size_t nx, np;

static void make_grids(void)
{
    xg = malloc(2 * NG * sizeof *xg);
    pg = malloc(2 * NG * sizeof *pg);
    out = malloc(2 * NG * sizeof *out);
    out0 = malloc(2 * NG * sizeof *out0);
    /* Dense grid over [-38.5, 9] plus random points. */
    nx = 0;
    for (int i = 0; i < NG; ++i)
        xg[nx++] = -38.5 + 47.5 * i / NG;
    for (int i = 0; i < NG / 2; ++i)
        xg[nx++] = -40.0 + 50.0 * unif();
    /* Phi^-1: logarithmic grid from 0.5 down to 1e-300, mirrored above
       1/2 for min(p, 1 - p) >= 1e-16, and a uniform grid. */
    np = 0;
    for (int i = 0; i < NG / 2; ++i)
        pg[np++] = 0.5 * pow(10.0, -300.0 * i / (NG / 2));
    for (int i = 0; i < NG / 4; ++i)
        pg[np++] = 1.0 - 0.5 * pow(10.0, -15.5 * i / (NG / 4));
    for (int i = 0; i < NG / 2; ++i)
        pg[np++] = (i + 0.5) / (NG / 2);
}

static void test_phi(const mvni_simd_kernels *k)
{
    k->phi(nx, xg, out);
    double worst_rel = 0.0, worst_abs = 0.0, wx = 0.0;
    int below_ok = 1;
    for (size_t i = 0; i < nx; ++i) {
        const double r = mvn_norm_P(xg[i]);
        if (xg[i] >= 0.0) {
            const double e = fabs(out[i] - r);
            if (e > worst_abs)
                worst_abs = e;
        } else if (r >= 1e-300) {
            const double e = fabs(out[i] - r) / r;
            if (e > worst_rel) {
                worst_rel = e;
                wx = xg[i];
            }
        } else if (!(out[i] >= 0.0 && out[i] < 1e-300)) {
            below_ok = 0;
        }
    }
    tap_diag("%s phi: max rel err %.3g (x = %.6g), max abs err x >= 0 %.3g",
             k->name, worst_rel, wx, worst_abs);
    tap_ok(worst_rel <= 16 * EPS, "%s phi relative error %.3g <= 16 eps",
           k->name, worst_rel);
    tap_ok(worst_abs <= 2 * EPS, "%s phi absolute error above 0: %.3g <= 2 eps",
           k->name, worst_abs);
    tap_ok(below_ok, "%s phi in [0, 1e-300) where Phi underflows", k->name);

    double v[8];
    for (size_t i = 0; i < sizeof phi_ref / sizeof *phi_ref; ++i) {
        k->phi(1, &phi_ref[i][0], v);
        tap_rel(v[0], phi_ref[i][1], 16 * EPS, "%s phi(%g) vs mpmath", k->name,
                phi_ref[i][0]);
    }
    const double sp[5] = {-INFINITY, INFINITY, NAN, 0.0, -1e300};
    k->phi(5, sp, v);
    tap_ok(v[0] == 0.0 && v[1] == 1.0 && isnan(v[2]) &&
               fabs(v[3] - 0.5) <= EPS && v[4] == 0.0,
           "%s phi(-inf, inf, nan, 0, -1e300) = 0, 1, nan, 1/2, 0", k->name);
}

static void test_phiinv(const mvni_simd_kernels *k)
{
    k->phiinv(np, pg, out);
    double worst = 0.0, wp = 0.0;
    for (size_t i = 0; i < np; ++i) {
        const double r = mvn_norm_Pinv(pg[i]);
        const double e = r == 0.0 ? fabs(out[i]) : fabs(out[i] - r) / fabs(r);
        if (e > worst) {
            worst = e;
            wp = pg[i];
        }
    }
    tap_diag("%s phiinv: max rel err %.3g (p = %.6g)", k->name, worst, wp);
    tap_ok(worst <= 16 * EPS, "%s phiinv relative error %.3g <= 16 eps",
           k->name, worst);
    double v[8];
    for (size_t i = 0; i < sizeof inv_ref / sizeof *inv_ref; ++i) {
        k->phiinv(1, &inv_ref[i][0], v);
        tap_rel(v[0], inv_ref[i][1], 16 * EPS, "%s phiinv(%g) vs mpmath",
                k->name, inv_ref[i][0]);
    }
    /* Round trip through phi over the lower half (both kernels). */
    double rt = 0.0;
    for (int i = 0; i < 3000; ++i) {
        const double p = 0.5 * pow(10.0, -300.0 * i / 3000);
        double z, q;
        k->phiinv(1, &p, &z);
        k->phi(1, &z, &q);
        /* dPhi/Phi = (phi/Phi) dz and |dz| <= 16 eps |z|: allow for it. */
        const double tol = 32 * EPS * (1.0 + z * z);
        const double e = fabs(q - p) / p / tol;
        if (e > rt)
            rt = e;
    }
    tap_ok(rt <= 1.0, "%s phi(phiinv(p)) = p within 32 eps (1 + z^2): %.3g",
           k->name, rt);
    const double sp[7] = {0.0, 1.0, -1e-300, 1.5, NAN, 0.5, 1e-310};
    k->phiinv(7, sp, v);
    tap_ok(v[0] == -INFINITY && v[1] == INFINITY && isnan(v[2]) &&
               isnan(v[3]) && isnan(v[4]) && v[5] == 0.0,
           "%s phiinv(0, 1, <0, >1, nan, 1/2) = -inf, inf, nan x3, 0",
           k->name);
    tap_rel(v[6], mvn_norm_Pinv(1e-310), 1e-13, "%s phiinv(1e-310) (subnormal)",
            k->name);
}

static void test_sov(const mvni_simd_kernels *k)
{
    enum { L = MVNI_SOV_LANES, D = 40 };
    static double y[D * L], c[D], s[L], s_ref[L], w[L], e[L], yy[L];
    for (int i = 0; i < D * L; ++i)
        y[i] = 4.0 * unif() - 2.0;
    for (int i = 0; i < D; ++i)
        c[i] = unif() - 0.5;
    k->sov_dot(c, 3, D, y, s);
    for (int p = 0; p < L; ++p) {
        double a = 0.0;
        for (int m = 3; m < D; ++m)
            a += c[m - 3] * y[m * L + p];
        s_ref[p] = a;
    }
    tap_ok(memcmp(s, s_ref, sizeof s) == 0, "%s sov_dot equals the scalar sum",
           k->name);

    /* sov_dot_acc continues sums in the order of m: [3, 17) then [17, D)
       gives bitwise the sum over [3, D). */
    k->sov_dot(c, 3, 17, y, s);
    k->sov_dot_acc(c + 14, 17, D, y, s);
    tap_ok(memcmp(s, s_ref, sizeof s) == 0,
           "%s sov_dot then sov_dot_acc equals one sov_dot", k->name);

    /* sov_dot_rows: nr rows at once, each bitwise as sov_dot of its row,
       for every row count the register tiling handles (1 .. 9). */
    static double cr[9][D], sr[9 * L], s1[L];
    const double *rows[9];
    int rows_ok = 1;
    for (size_t nr = 1; nr <= 9; ++nr) {
        for (size_t r = 0; r < nr; ++r) {
            for (int m = 0; m < D; ++m)
                cr[r][m] = unif() - 0.5;
            rows[r] = cr[r];
        }
        k->sov_dot_rows(nr, rows, 2, D, y, sr);
        for (size_t r = 0; r < nr; ++r) {
            k->sov_dot(cr[r], 2, D, y, s1);
            rows_ok &= memcmp(sr + r * L, s1, sizeof s1) == 0;
        }
    }
    tap_ok(rows_ok, "%s sov_dot_rows (1 .. 9 rows) equals sov_dot per row, bitwise",
           k->name);

    /* Row steps: (lo, hi) cases on both sides, infinite limits, and limits
       where Phi underflows for some lanes (log-space flag). */
    static const double cases[][2] = {
        {-1.0, 2.0}, {-INFINITY, 0.5}, {0.3, INFINITY}, {-INFINITY, INFINITY},
        {4.0, 6.0},  {-9.0, -8.5},     {30.0, 45.0},    {-60.0, -25.0},
        {1e-3, 2e-3}};
    double worst_e = 0.0, worst_y = 0.0;
    int flags_ok = 1, inside = 1;
    for (size_t ci = 0; ci < sizeof cases / sizeof *cases; ++ci) {
        const double lo = cases[ci][0], hi = cases[ci][1];
        for (int rep = 0; rep < 20; ++rep) {
            for (int p = 0; p < L; ++p) {
                s[p] = 12.0 * unif() - 6.0;
                w[p] = unif();
                yy[p] = 123.0;
            }
            const int nlog = k->sov_step(s, lo, hi, w, 1e-300, e, yy);
            int count = 0;
            for (int p = 0; p < L; ++p) {
                /* The scalar algorithm sov.c used before the kernels. */
                const double al = lo - s[p], be = hi - s[p];
                double big, small, er, yr;
                if (al > 0) {
                    big = mvn_norm_Q(al);
                    small = mvn_norm_Q(be);
                } else {
                    small = mvn_norm_P(al);
                    big = mvn_norm_P(be);
                }
                er = big - small > 0.0 ? big - small : 0.0;
                if (big < 1e-300 * 0.999) {
                    count += e[p] < 0.0;
                    flags_ok &= e[p] == -1.0 && yy[p] == 123.0;
                    continue;
                }
                if (big < 1e-300 * 1.001)
                    continue; /* at the threshold either side is right */
                flags_ok &= e[p] >= 0.0;
                yr = al > 0 ? mvn_norm_Qinv(big - w[p] * er)
                            : mvn_norm_Pinv(small + w[p] * er);
                yr = yr < al ? al : yr > be ? be : yr;
                const double de = fabs(e[p] - er) / big;
                if (de > worst_e)
                    worst_e = de;
                inside &= yy[p] >= al && yy[p] <= be;
                /* y's error against the bound implied by the kernels:
                   16 eps relative from Phi^-1, plus the error of its
                   argument u (64 eps of big) divided by dPhi/dy. */
                const double dy = fabs(yy[p] - yr) /
                    (16 * EPS * fabs(yr) + 64 * EPS * big / mvn_norm_pdf(yr));
                if (dy > worst_y)
                    worst_y = dy;
            }
            flags_ok &= count == nlog;
        }
    }
    tap_diag("%s sov_step: max |de| / Phi %.3g, max |dy| / bound %.3g",
             k->name, worst_e, worst_y);
    tap_ok(worst_e <= 64 * EPS, "%s sov_step e within 64 eps of Phi: %.3g",
           k->name, worst_e);
    tap_ok(worst_y <= 1.0,
           "%s sov_step |dy| <= 16 eps |y| + 64 eps Phi / phi(y): %.3g of it",
           k->name, worst_y);
    tap_ok(inside, "%s sov_step y inside [alpha, beta]", k->name);
    tap_ok(flags_ok, "%s sov_step flags exactly the underflowing lanes",
           k->name);

    double worst_c = 0.0;
    for (int up = 0; up < 2; ++up) {
        const double base = up ? 0.3 : 0.1, ee = 0.25;
        for (int p = 0; p < L; ++p)
            w[p] = unif();
        k->sov_const(base, ee, up, w, yy);
        for (int p = 0; p < L; ++p) {
            const double r = up ? mvn_norm_Qinv(base - w[p] * ee)
                                : mvn_norm_Pinv(base + w[p] * ee);
            const double d = fabs(yy[p] - r) / (fabs(r) > 1e-3 ? fabs(r) : 1e-3);
            if (d > worst_c)
                worst_c = d;
        }
    }
    tap_ok(worst_c <= 16 * EPS, "%s sov_const vs scalar inverse: %.3g", k->name,
           worst_c);
}

/* Same inputs through every set: the results must be bitwise equal. */
/* The normal density phi(x) by mpmath 1.3 (mp.dps = 40, npdf). */
static const double pdf_ref[][2] = {
    {0, 0.39894228040143267794},       {0.5, 0.35206532676429947777},
    {-1, 0.2419707245191433498},       {2.5, 0.017528300493568537362},
    {-5, 1.4867195147342977079e-6},    {10, 7.6945986267064193463e-23},
    {-20, 5.5209483621597631896e-88},  {26.5, 1.2860566740713692046e-153},
    {-37, 2.1200065515246056269e-298},
};

/* The kernels of the estimator's derivative (lib/sov_grad.c): the
   density, and the lane sums of outer products; both bitwise equal to
   the reference set ref. */
static void test_grad_kernels(const mvni_simd_kernels *ref,
                              const mvni_simd_kernels *k)
{
    /* Density over the Phi grid: relative error against a long double
       reference where phi >= 1e-300.  x^2 in long double is off by
       x^2 2^-64 <= 8e-17 in exp's argument, so the reference is good to
       about 0.1 eps relative (skipped where long double is double). */
    k->pdf(nx, xg, out);
    double worst = 0.0, wx = 0.0;
    int sym = 1;
    if (LDBL_MANT_DIG >= 64) {
        for (size_t i = 0; i < nx; ++i) {
            const long double xl = xg[i];
            const long double r =
                expl(-0.5L * xl * xl) * 0.398942280401432677939946059934L;
            if (r < 1e-300L)
                continue;
            const double e = (double)fabsl((out[i] - r) / r);
            if (e > worst) {
                worst = e;
                wx = xg[i];
            }
        }
        tap_diag("%s pdf: max rel err %.3g (x = %.6g)", k->name, worst, wx);
        tap_ok(worst <= 4 * EPS, "%s pdf relative error %.3g <= 4 eps",
               k->name, worst);
    } else {
        tap_diag("%s pdf: grid check skipped (long double is double)",
                 k->name);
    }
    for (size_t i = 0; i < sizeof pdf_ref / sizeof pdf_ref[0]; ++i) {
        double v[1];
        k->pdf(1, &pdf_ref[i][0], v);
        tap_rel(v[0], pdf_ref[i][1], 4 * EPS, "%s pdf(%g) vs mpmath", k->name,
                pdf_ref[i][0]);
    }
    {
        double x[8] = {40.0, -40.0, 1e300, INFINITY, -INFINITY, NAN, 38.5, -0.0};
        double v[8], m[8];
        k->pdf(8, x, v);
        for (int i = 0; i < 8; ++i)
            m[i] = -x[i];
        k->pdf(8, m, m);
        for (int i = 0; i < 8; ++i)
            sym &= memcmp(&v[i], &m[i], sizeof v[i]) == 0;
        tap_ok(v[0] == 0.0 && v[1] == 0.0 && v[2] == 0.0 && v[3] == 0.0 &&
                   v[4] == 0.0 && isnan(v[5]) && v[6] >= 0.0 &&
                   v[6] < 1e-300 && v[7] == 0.39894228040143267794,
               "%s pdf: 0 from |x| = 40 and at +-inf, NaN for NaN, "
               "phi(38.5) in [0, 1e-300), phi(-0) = 1 / sqrt(2 pi) rounded",
               k->name);
    }
    for (size_t i = 0; i < nx; ++i)
        out0[i] = -xg[i];
    k->pdf(nx, out0, out0);
    for (size_t i = 0; i < nx; ++i)
        sym &= memcmp(&out0[i], &out[i], sizeof out[i]) == 0;
    tap_ok(sym, "%s pdf(-x) = pdf(x) bitwise", k->name);
    ref->pdf(nx, xg, out0);
    tap_ok(memcmp(out0, out, nx * sizeof *out) == 0,
           "%s pdf bitwise equal to %s", k->name, ref->name);

    /* sov_outer: 7 rows (a tile of 4 and 3 single rows), 40 columns (the
       AVX-512 tile of 32 and one vector of 8), added to nonzero c with a
       row stride past the columns; the entries past ncol must stay. */
    enum { L = MVNI_SOV_LANES, NR = 7, NC = 40, LDB = 48, LDC = 44 };
    static double a[NR * L], bt[L * LDB], c[NR * LDC], c0[NR * LDC],
        cref[NR * LDC];
    for (int i = 0; i < NR * L; ++i)
        a[i] = 2.0 * unif() - 1.0;
    for (int i = 0; i < L * LDB; ++i)
        bt[i] = 4.0 * unif() - 2.0;
    for (int i = 0; i < NR * LDC; ++i)
        c[i] = c0[i] = cref[i] = unif();
    k->sov_outer(NR, a, bt, LDB, NC, c, LDC);
    for (int r = 0; r < NR; ++r)
        for (int m = 0; m < NC; ++m) {
            double v = cref[r * LDC + m];
            for (int p = 0; p < L; ++p)
                v += a[r * L + p] * bt[p * LDB + m];
            cref[r * LDC + m] = v;
        }
    tap_ok(memcmp(c, cref, sizeof c) == 0,
           "%s sov_outer equals the scalar sums in lane order", k->name);
    ref->sov_outer(NR, a, bt, LDB, NC, c0, LDC);
    tap_ok(memcmp(c, c0, sizeof c) == 0, "%s sov_outer bitwise equal to %s",
           k->name, ref->name);
}

static void test_identical(const mvni_simd_kernels *ref,
                           const mvni_simd_kernels *k)
{
    ref->phi(nx, xg, out0);
    k->phi(nx, xg, out);
    tap_ok(memcmp(out0, out, nx * sizeof *out) == 0,
           "%s phi bitwise equal to %s", k->name, ref->name);
    ref->phiinv(np, pg, out0);
    k->phiinv(np, pg, out);
    tap_ok(memcmp(out0, out, np * sizeof *out) == 0,
           "%s phiinv bitwise equal to %s", k->name, ref->name);
    enum { L = MVNI_SOV_LANES };
    double s[L], w[L], e0[L], e1[L], y0[L], y1[L];
    int same = 1;
    for (int rep = 0; rep < 200; ++rep) {
        for (int p = 0; p < L; ++p) {
            s[p] = 20.0 * unif() - 10.0;
            w[p] = unif();
            y0[p] = y1[p] = 0.0;
        }
        const double lo = 6.0 * unif() - 4.0, hi = lo + 3.0 * unif();
        const int n0 = ref->sov_step(s, lo, hi, w, 1e-300, e0, y0);
        const int n1 = k->sov_step(s, lo, hi, w, 1e-300, e1, y1);
        same &= n0 == n1 && memcmp(e0, e1, sizeof e0) == 0 &&
                memcmp(y0, y1, sizeof y0) == 0;
    }
    tap_ok(same, "%s sov_step bitwise equal to %s", k->name, ref->name);
}

/* exp_neg over [-745, 0]: dense near 0 (where the reduction's k is 0,
   -1 or -2) and log-uniform beyond, against long double expl (about 0.1
   eps relative: expl's own error at 64 bits); the special values; bitwise
   equal to the reference set.  Odd n exercises the partial vector. */
static void test_exp_neg(const mvni_simd_kernels *ref, const mvni_simd_kernels *k)
{
    enum { N = 20001 };
    static double x[N], v[N], v0[N];
    for (int i = 0; i < N; ++i)
        x[i] = i < N / 2 ? -3.0 * i / (N / 2) : -pow(745.0 / 3.0, (double)(i - N / 2) / (N - 1 - N / 2)) * 3.0;
    k->exp_neg(N, x, v);
    if (LDBL_MANT_DIG >= 64) {
        double worst = 0.0, wx = 0.0;
        for (int i = 0; i < N; ++i) {
            const long double r = expl((long double)x[i]);
            if (r < 1e-300L)
                continue;
            const double e = (double)fabsl((v[i] - r) / r);
            if (e > worst)
                worst = e, wx = x[i];
        }
        tap_ok(worst <= 4 * EPS, "%s exp_neg relative error %.3g <= 4 eps (worst at x = %.6g)",
               k->name, worst, wx);
    } else {
        tap_diag("%s exp_neg: grid check skipped (long double is double)", k->name);
    }
    double sx[7] = {0.0, -0.0, -800.5, -1e300, -INFINITY, NAN, -745.0}, sv[7];
    k->exp_neg(7, sx, sv);
    tap_ok(sv[0] == 1.0 && sv[1] == 1.0 && sv[2] == 0.0 && sv[3] == 0.0 && sv[4] == 0.0 &&
               isnan(sv[5]) && sv[6] > 0.0 && sv[6] < 1e-320,
           "%s exp_neg: exp(0) = 1, 0 below -800 and at -inf, NaN for NaN, "
           "exp(-745) subnormal (%.3g)", k->name, sv[6]);
    ref->exp_neg(N, x, v0);
    tap_ok(memcmp(v0, v, sizeof v) == 0, "%s exp_neg bitwise equal to %s", k->name, ref->name);
}

int main(void)
{
    static const char *names[3] = {"generic", "avx2", "avx512"};
    make_grids();
    const mvni_simd_kernels *best = mvni_simd_best();
    tap_ok(best != NULL, "mvni_simd_best chooses a set (%s)",
           best ? best->name : "none");
    const mvni_simd_kernels *gen = mvni_simd_get("generic");
    tap_ok(gen != NULL && mvni_simd_get("no-such-isa") == NULL,
           "generic set always present, unknown names refused");
    for (int i = 0; i < 3; ++i) {
        const mvni_simd_kernels *k = mvni_simd_get(names[i]);
        if (k == NULL) {
            tap_diag("%s kernels not built or not supported by this CPU",
                     names[i]);
            continue;
        }
        test_phi(k);
        test_phiinv(k);
        test_sov(k);
        test_grad_kernels(gen, k);
        test_exp_neg(gen, k);
        if (i > 0)
            test_identical(gen, k);
    }
    free(xg);
    free(pg);
    free(out);
    free(out0);
    return tap_exit();
}
