/* test_exact_random.c -- the exact d = 2 and d = 3 kernels on random correlation matrices vs an independent quadrature.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The random-correlation family of the low-dimensional benchmark
 * (bench/lowdim_throughput.c): R = normalized A A^T with A = N(0, 1) +
 * 1.5 I, limits uniform in (-s, s) with s = 3 (moderate probabilities) or
 * s = 8 (d = 2) or 5 (d = 3) for tails, half of the lower limits open.  The
 * reference is the conditional integral (for d = 3 with absolute
 * tolerances of 1e-16 P, which keeps the nested quadrature to seconds)
 *     P = int_{lo_i}^{hi_i} phi(x) P(rest | X_i = x) dx
 * by the adaptive Gauss-Legendre rule of tests/refs.h, with the inner
 * bivariate probability of d = 3 integrated the same way (nested), and
 * Phi from libm's erfc (refs_diff): no code of the library under test.
 * Deterministic (fixed seeds); counted: every case is checked and the
 * count of failures must be zero.  Bounds: d = 2 within 2e-15 absolute,
 * d = 3 within 5e-14 absolute (the documented bounds, with the
 * reference's own error of a few 1e-16), and for P < 1e-4 log P within
 * 1e-10 (relative accuracy in the tails; the reference is good to about
 * 1e-13 relative).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>

#include "exact/exact.h"
#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

/* R = normalized A A^T, A = N(0, 1) + 1.5 I (d x d). */
static void random_corr(refs_rng *g, int d, double R[3][3])
{
    double A[3][3], C[3][3];
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j)
            A[i][j] = refs_normal(g) + (i == j ? 1.5 : 0.0);
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j) {
            C[i][j] = 0.0;
            for (int k = 0; k < d; ++k)
                C[i][j] += A[i][k] * A[j][k];
        }
    for (int i = 0; i < d; ++i)
        for (int j = 0; j < d; ++j)
            R[i][j] = C[i][j] / sqrt(C[i][i] * C[j][j]);
}

static void random_limits(refs_rng *g, int d, double s, double *lo, double *hi)
{
    for (int i = 0; i < d; ++i) {
        double a = refs_unif_ab(g, -s, s), b = refs_unif_ab(g, -s, s);
        lo[i] = fmin(a, b);
        hi[i] = fmax(a, b);
        if (refs_unif(g) < 0.5)
            lo[i] = -INFINITY;
    }
}

/* phi(x) P(lo2 < Y < hi2 | X = x) for a standardized pair, correlation r. */
typedef struct {
    double lo2, hi2, r, s;
} pair_ctx;

static double pair_integrand(double x, void *arg)
{
    const pair_ctx *c = (const pair_ctx *)arg;
    return refs_pdf(x) * refs_diff((c->lo2 - c->r * x) / c->s, (c->hi2 - c->r * x) / c->s);
}

/* P(lo1 < X < hi1, lo2 < Y < hi2) by the reference quadrature over X,
   on the part of (lo1, hi1) within 40 of 0 (phi(40) = 1.5e-348). */
static double ref_pair(double lo1, double hi1, double lo2, double hi2, double r,
                       double tol)
{
    pair_ctx c = {lo2, hi2, r, sqrt((1.0 - r) * (1.0 + r))};
    double a = fmax(lo1, -40.0), b = fmin(hi1, 40.0);
    if (!(a < b))
        return 0.0;
    return refs_integrate(pair_integrand, &c, a, b, 16, tol);
}

/* phi(x) P(rest | X_i = x) for a standardized triple. */
typedef struct {
    double lo[3], hi[3];
    double rij, rik, sj, sk, rho, tol;
    int j, k;
} triple_ctx;

static double triple_integrand(double x, void *arg)
{
    const triple_ctx *c = (const triple_ctx *)arg;
    double p = ref_pair((c->lo[c->j] - c->rij * x) / c->sj, (c->hi[c->j] - c->rij * x) / c->sj,
                        (c->lo[c->k] - c->rik * x) / c->sk, (c->hi[c->k] - c->rik * x) / c->sk,
                        c->rho, c->tol);
    return refs_pdf(x) * p;
}

/* Conditioning on the variable least correlated with the others keeps
   the inner pair far from singular. */
static double ref_triple(const double lo[3], const double hi[3], double R[3][3],
                         double tol)
{
    int best = 0;
    double bestm = 2.0;
    for (int i = 0; i < 3; ++i) {
        double m = fmax(fabs(R[i][(i + 1) % 3]), fabs(R[i][(i + 2) % 3]));
        if (m < bestm)
            bestm = m, best = i;
    }
    triple_ctx c;
    for (int i = 0; i < 3; ++i)
        c.lo[i] = lo[i], c.hi[i] = hi[i];
    c.j = (best + 1) % 3, c.k = (best + 2) % 3;
    c.rij = R[best][c.j], c.rik = R[best][c.k];
    c.sj = sqrt((1.0 - c.rij) * (1.0 + c.rij));
    c.sk = sqrt((1.0 - c.rik) * (1.0 + c.rik));
    c.rho = (R[c.j][c.k] - c.rij * c.rik) / (c.sj * c.sk);
    c.tol = tol;
    double a = fmax(lo[best], -40.0), b = fmin(hi[best], 40.0);
    if (!(a < b))
        return 0.0;
    return refs_integrate(triple_integrand, &c, a, b, 8, tol);
}

/* Checks one kernel result against the reference; returns 1 if it fails. */
static int check(double p, double lp, double ref, double abs_tol, double *maxabs,
                 double *maxrel)
{
    double ae = fabs(p - ref);
    *maxabs = fmax(*maxabs, ae);
    int bad = !(ae <= abs_tol);
    if (ref < 1e-4 && ref > 1e-300) {
        double le = fabs(lp - log(ref));
        *maxrel = fmax(*maxrel, le);
        bad |= !(le <= 1e-10);
    }
    return bad;
}

static void test_bivariate(void)
{
    const double scales[2] = {3.0, 8.0};
    for (int sc = 0; sc < 2; ++sc) {
        refs_rng g;
        refs_rng_seed(&g, 20261202u + (uint64_t)sc);
        int n = 400, bad = 0, tails = 0;
        double maxabs = 0.0, maxrel = 0.0;
        for (int t = 0; t < n; ++t) {
            double R[3][3], lo[2], hi[2], p, lp;
            random_corr(&g, 2, R);
            random_limits(&g, 2, scales[sc], lo, hi);
            mvni_bvn_rect(lo, hi, R[0][1], &p, &lp);
            double ref = ref_pair(lo[0], hi[0], lo[1], hi[1], R[0][1], 0.0);
            tails += ref < 1e-4;
            if (check(p, lp, ref, 2e-15, &maxabs, &maxrel)) {
                ++bad;
                tap_diag("d = 2 case %d: lo %.17g %.17g hi %.17g %.17g r %.17g: p %.17g ref %.17g lp %.17g",
                         t, lo[0], lo[1], hi[0], hi[1], R[0][1], p, ref, lp);
            }
        }
        tap_ok(bad == 0, "d = 2, random correlations, limits in (-%g, %g): %d of %d outside "
               "2e-15 absolute or 1e-10 in log P (%d with P < 1e-4); max abs error %.2g, "
               "max log error in the tails %.2g", scales[sc], scales[sc], bad, n, tails,
               maxabs, maxrel);
    }
}

static void test_trivariate(void)
{
    const double scales[2] = {3.0, 5.0};
    const int counts[2] = {40, 16};
    for (int sc = 0; sc < 2; ++sc) {
        refs_rng g;
        refs_rng_seed(&g, 31337u + (uint64_t)sc);
        int n = counts[sc], bad = 0, tails = 0;
        double maxabs = 0.0, maxrel = 0.0;
        for (int t = 0; t < n; ++t) {
            double R[3][3], lo[3], hi[3], p, lp;
            random_corr(&g, 3, R);
            random_limits(&g, 3, scales[sc], lo, hi);
            const double r[3] = {R[0][1], R[0][2], R[1][2]};
            mvni_tvn_rect(lo, hi, r, &p, &lp);
            /* Absolute tolerances of 1e-16 P for both levels (an inner error
               d moves the outer integral by at most d): the kernel's P only
               scales the tolerance, so that integrand regions far below P
               are not refined to their own relative accuracy. */
            double ref = ref_triple(lo, hi, R, 1e-16 * fmax(p, 1e-300));
            tails += ref < 1e-4;
            if (check(p, lp, ref, 5e-14, &maxabs, &maxrel)) {
                ++bad;
                tap_diag("d = 3 case %d: lo %.17g %.17g %.17g hi %.17g %.17g %.17g r %.17g %.17g %.17g: "
                         "p %.17g ref %.17g lp %.17g", t, lo[0], lo[1], lo[2], hi[0], hi[1], hi[2],
                         r[0], r[1], r[2], p, ref, lp);
            }
        }
        tap_ok(bad == 0, "d = 3, random correlations, limits in (-%g, %g): %d of %d outside "
               "5e-14 absolute or 1e-10 in log P (%d with P < 1e-4); max abs error %.2g, "
               "max log error in the tails %.2g", scales[sc], scales[sc], bad, n, tails,
               maxabs, maxrel);
    }
}

int main(void)
{
    double t0 = refs_now();
    test_bivariate();
    double t1 = refs_now();
    test_trivariate();
    tap_diag("reference time: d = 2 %.1f s, d = 3 %.1f s", t1 - t0, refs_now() - t1);
    return tap_exit();
}
