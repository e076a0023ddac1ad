/* exact/trivariate.c -- standard trivariate normal cdf (Genz 2004) and rectangle probabilities with logs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mvni_tvn_cdf follows the trivariate method of Genz (2004), Statistics and
 * Computing 14:251-260: order the variables so that r23 has the largest
 * magnitude, start from the matrix with r12 = r13 = 0, where
 * P = Phi(h1) Phi2(h2, h3; r23), and integrate Plackett's (1954) identity
 * dP/dr_ij = phi2(h_i, h_j; r_ij) Phi(conditional limit) along the path
 * r12(t) = sin(t asin r12), r13(t) = sin(t asin r13), t in [0, 1].  The
 * sine substitution cancels the 1/sqrt(1 - r^2) factor of phi2.  The 1-D
 * integral is computed by adaptive Gauss-Legendre quadrature to 1e-15
 * absolute.  Singular matrices (r23 = +-1, zero blocks) use exact
 * reductions.  See doc/algorithms/trivariate.md.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>

#include "common/types.h"
#include "exact/exact.h"
#include "exact/univariate.h"
#include "mvnorm.h"

#define TVN_TWOPI 6.28318530717958647693

/* The 10-point Gauss-Legendre weights of gauss_legendre.h (embedded in
   the Kronrod rule below). */
#include "exact/kronrod.h"

/*
 * Plackett's identity on a rectangle.  For lo < X < hi with correlation
 * r = corr(X_i, X_j),
 *   dP/dr = sum over the finite corners (c_i, c_j) in {lo_i, hi_i} x
 *           {lo_j, hi_j} of s_i s_j phi2(c_i, c_j; r)
 *           P(lo_k < X_k < hi_k | X_i = c_i, X_j = c_j),
 * with s = -1 at a lower and +1 at an upper limit.  Along the path
 * r = sin(t), with rr = cos(t)^2 = 1 - r^2 (computed from cos for accuracy
 * near |r| = 1), ra = corr(i, k), rb = corr(j, k), the sine substitution
 * cancels the 1/sqrt(1 - r^2) of phi2: a corner adds
 *   s_i s_j exp(-ft / 2) P(cond) / (2 pi),  ft = ((c_i - r c_j)^2 / rr + c_j^2),
 * the conditional mean of X_k being (c_i (ra - r rb) + c_j (rb - r ra)) / rr
 * and its variance det(R) / rr (dt = rr det(R) below).  One path integral
 * of this derivative replaces the 8 corner cdfs of an inclusion-exclusion
 * (each with its own path integral): 4 corners per correlation instead of
 * 16, and no cancellation between corner terms of size 1.
 *
 * The terms of all nodes of a panel are collected first and their
 * densities and Phi values computed by the vector kernels in one call each
 * (exact/lanes.c).  A term's conditional probability is written as
 * A - B or 1 - A - B with A, B Phi values at arguments <= 0, where the
 * kernel is relatively accurate, so no upper-tail difference cancels.
 */
#define TVN_NODES 21
#define TVN_TERMS (TVN_NODES * 8)

typedef struct {
    double l[3], h[3];  /* limits; |r23| is the largest correlation */
    double r23, a12, a13; /* a1j = asin(r1j): the path r1j(t) = sin(a1j t) */
} tvn_path;

typedef struct {
    int n;                      /* terms collected */
    int node[TVN_TERMS];        /* the node a term belongs to */
    double w[TVN_TERMS];        /* +-asin(r1j): sign of the corner, path speed */
    double one[TVN_TERMS];      /* 1 for the 1 - A - B form, else 0 */
    double ex[TVN_TERMS];       /* sqrt(ft): the density's argument */
    double pa[TVN_TERMS], pb[TVN_TERMS]; /* Phi arguments A, B */
} tvn_terms;

/* Collect the corner terms of the pair (i, j) (third variable k) at node
   `node`: ci, cj the limits {lo, hi} of i and j. */
static void rect_terms(tvn_terms *T, int node, double speed, const double ci[2],
                       const double cj[2], double lk, double hk, double ra,
                       double rb, double r, double rr)
{
    double dt = rr * (rr - (ra - rb) * (ra - rb) - 2.0 * ra * rb * (1.0 - r));
    if (!(dt > 0.0))
        return;
    double sd = sqrt(dt);
    for (int a = 0; a < 2; ++a) {
        double x = ci[a];
        if (!isfinite(x))
            continue;
        for (int b = 0; b < 2; ++b) {
            double y = cj[b];
            if (!isfinite(y))
                continue;
            double ft = (x - r * y) * (x - r * y) / rr + y * y;
            if (ft > 1400.0) /* exp(-700): far below the 1e-15 target */
                continue;
            double m = x * (r * rb - ra) + y * (r * ra - rb);
            double lo = lk == -INFINITY ? -INFINITY : (lk * rr + m) / sd;
            double hi = hk == INFINITY ? INFINITY : (hk * rr + m) / sd;
            int t = T->n++;
            T->node[t] = node;
            T->w[t] = a == b ? speed : -speed;
            T->ex[t] = sqrt(ft);
            if (lo >= 0.0) { /* Q(lo) - Q(hi) */
                T->one[t] = 0.0, T->pa[t] = -lo, T->pb[t] = -hi;
            } else if (hi <= 0.0) { /* Phi(hi) - Phi(lo) */
                T->one[t] = 0.0, T->pa[t] = hi, T->pb[t] = lo;
            } else { /* 1 - Phi(lo) - Q(hi) */
                T->one[t] = 1.0, T->pa[t] = lo, T->pb[t] = -hi;
            }
        }
    }
}

/* The integrand (2 pi times dP/dt) at the nodes t[0..n-1] into f. */
static void tvn_integrand(const tvn_path *c, int n, const double *t, double *f)
{
    tvn_terms T;
    T.n = 0;
    const double c1[2] = {c->l[0], c->h[0]}, c2[2] = {c->l[1], c->h[1]},
                 c3[2] = {c->l[2], c->h[2]};
    for (int i = 0; i < n; ++i) {
        double r12 = sin(c->a12 * t[i]), r13 = sin(c->a13 * t[i]);
        f[i] = 0.0;
        if (c->a12 != 0.0) {
            double cs = cos(c->a12 * t[i]);
            rect_terms(&T, i, c->a12, c1, c2, c->l[2], c->h[2], r13, c->r23, r12, cs * cs);
        }
        if (c->a13 != 0.0) {
            double cs = cos(c->a13 * t[i]);
            rect_terms(&T, i, c->a13, c1, c3, c->l[1], c->h[1], r12, c->r23, r13, cs * cs);
        }
    }
    double dens[TVN_TERMS], A[TVN_TERMS], B[TVN_TERMS];
    mvni_lanes_pdf((size_t)T.n, T.ex, dens);
    mvni_lanes_phi((size_t)T.n, T.pa, A);
    mvni_lanes_phi((size_t)T.n, T.pb, B);
    /* pdf carries 1/sqrt(2 pi); the integrand is exp(-ft / 2) P(cond). */
    const double sqrt2pi = 2.50662827463100050242;
    for (int k = 0; k < T.n; ++k) {
        double pc = T.one[k] != 0.0 ? 1.0 - A[k] - B[k] : A[k] - B[k];
        f[T.node[k]] += T.w[k] * (sqrt2pi * dens[k]) * pc;
    }
}

/* One panel by the 21-point Gauss-Kronrod rule (exact/kronrod.h) with
   QUADPACK's error estimate (qk21, Piessens et al. 1983): the Kronrod-Gauss
   difference scaled by (200 |K - G| / resasc)^1.5, which tracks the error
   of the 21-point result rather than that of the 10-point rule, and never
   below 50 eps times the integral of |f| (the rounding floor: asking for
   less only chases noise, which made the former 1e-15-absolute loop run
   to its panel cap near singular matrices). */
static double tvn_panel(const tvn_path *c, double a, double b, double *err)
{
    double m = 0.5 * (a + b), h = 0.5 * (b - a);
    double t[TVN_NODES], v[TVN_NODES];
    t[0] = m;
    for (int i = 0; i < 10; ++i) {
        t[1 + 2 * i] = m - h * kr21_x[i];
        t[2 + 2 * i] = m + h * kr21_x[i];
    }
    tvn_integrand(c, TVN_NODES, t, v);
    double fc = v[0], sk = kr21_w0 * fc, sg = 0.0, sabs = kr21_w0 * fabs(fc);
    for (int i = 0; i < 10; ++i) {
        double f1 = v[1 + 2 * i], f2 = v[2 + 2 * i], s = f1 + f2;
        sk += kr21_w[i] * s;
        sabs += kr21_w[i] * (fabs(f1) + fabs(f2));
        if (i & 1)
            sg += gl10_w[i >> 1] * s;
    }
    double mean = 0.5 * sk, asc = kr21_w0 * fabs(fc - mean);
    for (int i = 0; i < 10; ++i)
        asc += kr21_w[i] * (fabs(v[1 + 2 * i] - mean) + fabs(v[2 + 2 * i] - mean));
    double e = h * fabs(sk - sg);
    asc *= h;
    if (asc != 0.0 && e != 0.0) {
        double q = 200.0 * e / asc;
        e = asc * fmin(1.0, q * sqrt(q));
    }
    *err = fmax(e, 50.0 * DBL_EPSILON * h * sabs);
    return h * sk;
}

/* A hard cap on the panels of the path integral: the cost of one
   trivariate probability is at most TVN_MAXPANELS * 21 integrand
   evaluations (8 exp and 8 Phi each).  Smooth paths converge in 1-3
   panels; the cap is met only near singular matrices, where the
   conditional variance det(R(t)) / (1 - r^2) vanishes at t = 1 and the
   integrand has a step there; the remaining error estimate is returned. */
#define TVN_MAXPANELS 12

/* Integral over [0, 1] to 2 pi 1e-15 absolute (estimate above), or with
   reltol > 0 to reltol times its magnitude, or TVN_MAXPANELS panels; the
   error estimate to *err. */
static double tvn_path_integral(const tvn_path *c, double reltol, double *err)
{
    double pa[TVN_MAXPANELS], pb[TVN_MAXPANELS], ps[TVN_MAXPANELS], pe[TVN_MAXPANELS];
    int np = 1;
    pa[0] = 0.0, pb[0] = 1.0;
    ps[0] = tvn_panel(c, 0.0, 1.0, &pe[0]);
    for (;;) {
        double tot = 0.0, e = 0.0;
        int worst = 0;
        for (int i = 0; i < np; ++i) {
            tot += ps[i];
            e += pe[i];
            if (pe[i] > pe[worst])
                worst = i;
        }
        const double target = reltol > 0.0 ? reltol * fabs(tot) : TVN_TWOPI * 1e-15;
        if (e <= target || np == TVN_MAXPANELS) {
            *err = e;
            return tot;
        }
        double a = pa[worst], b = pb[worst], mid = 0.5 * (a + b);
        pb[worst] = mid;
        ps[worst] = tvn_panel(c, a, mid, &pe[worst]);
        pa[np] = mid, pb[np] = b;
        ps[np] = tvn_panel(c, mid, b, &pe[np]);
        ++np;
    }
}

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

/* The relative tolerance of the path integral where its terms have one
   sign (tvn_path_one_signed). */
#define TVN_RELTOL 1e-14

/* Nonzero when every term of the path integral is >= 0: for each pair
   (1, j) that moves (a1j != 0), every finite corner has s_1 s_j
   sign(a1j) = +1 (s = -1 at a lower, +1 at an upper limit; the rest of a
   term, a density times a conditional probability, is >= 0).  Then P =
   P0 + the integral adds nonnegative parts, no cancellation: computed
   each to a relative accuracy, P has that relative accuracy however small
   it is.  Lower orthants with r12, r13 >= 0 (after Genz's ordering) are
   the common case. */
static int tvn_path_one_signed(const tvn_path *c)
{
    const double a[2] = {c->a12, c->a13};
    for (int q = 0; q < 2; ++q) {
        if (a[q] == 0.0)
            continue;
        const int j = q + 1;
        const double c1[2] = {c->l[0], c->h[0]}, cj[2] = {c->l[j], c->h[j]};
        for (int u = 0; u < 2; ++u)
            for (int v = 0; v < 2; ++v)
                if (isfinite(c1[u]) && isfinite(cj[v]) && (u == v) != (a[q] > 0.0))
                    return 0;
    }
    return 1;
}

/* P(l1 < X1 < h1, l2 < X2 < h2) for a pair with correlation r12 (also
   where X3 = +-X2 exactly, or a third variable has no limits). */
static double tvn_pair(double l1, double h1, double l2, double h2, double r12)
{
    if (!(l2 < h2))
        return 0.0;
    const double lo[2] = {l1, l2}, hi[2] = {h1, h2};
    double p, lp;
    mvni_bvn_rect(lo, hi, r12, &p, &lp);
    return p;
}

/* A result of tvn_genz that needs no path integral (an empty or reduced
   problem, or r12 = r13 = 0): relatively accurate as it is, which
   *relative says where it is at or below small. */
static double tvn_reduced(double v, double small, int *relative)
{
    *relative = small > 0.0 && v <= small;
    return v;
}

/*
 * P(l < X < h) for a standardized triple, absolute error near 1e-15 (the
 * estimate of the path integral, plus 1e-15, goes to *err), at bounded
 * cost: Genz's ordering (|r23| largest, so that the start P(l1 < X1 < h1)
 * P2(l2 < X2 < h2, l3 < X3 < h3; r23) carries the strongest dependence)
 * and the rectangle form of Plackett's identity above along r12(t) =
 * sin(t asin r12), r13(t) = sin(t asin r13), t in [0, 1].
 *
 * With small > 0, a result at or below small is recomputed to a relative
 * accuracy where that is possible without cancellation: the path integral
 * to TVN_RELTOL where its terms have one sign (tvn_path_one_signed), in
 * Genz's order (reusing its P0) or else with another variable first; the
 * reductions without a path integral are relatively accurate as they
 * are.  *relative is then 1 and *err the absolute estimate of that
 * result; otherwise *relative is 0 and the result the absolute one.
 */
static double tvn_genz(const double lo[3], const double hi[3], const double r[3],
                       double small, double *err, int *relative)
{
    double l1 = lo[0], l2 = lo[1], l3 = lo[2], h1 = hi[0], h2 = hi[1], h3 = hi[2];
    double r12 = r[0], r13 = r[1], r23 = r[2];
    *err = 0.0;
    *relative = 0;
    /* Beyond 40 standard deviations a limit is infinite to double
       precision (Q(40) = 3.7e-350), and the formulas would square it. */
    double *lim[6] = {&l1, &l2, &l3, &h1, &h2, &h3};
    for (int i = 0; i < 6; ++i) {
        if (*lim[i] > 40.0)
            *lim[i] = i < 3 ? 40.0 : INFINITY;
        if (*lim[i] < -40.0)
            *lim[i] = i < 3 ? -INFINITY : -40.0;
    }
    if (!(l1 < h1) || !(l2 < h2) || !(l3 < h3))
        return tvn_reduced(0.0, small, relative);
    /* A variable without limits drops out. */
    if (l1 == -INFINITY && h1 == INFINITY)
        return tvn_reduced(tvn_pair(l2, h2, l3, h3, r23), small, relative);
    if (l2 == -INFINITY && h2 == INFINITY)
        return tvn_reduced(tvn_pair(l1, h1, l3, h3, r13), small, relative);
    if (l3 == -INFINITY && h3 == INFINITY)
        return tvn_reduced(tvn_pair(l1, h1, l2, h2, r12), small, relative);
    /* Make r23 the largest in magnitude (Genz's ordering). */
    if (fabs(r12) > fabs(r13)) {
        swap(&l2, &l3), swap(&h2, &h3);
        swap(&r12, &r13);
    }
    if (fabs(r13) > fabs(r23)) {
        swap(&l1, &l2), swap(&h1, &h2);
        swap(&r13, &r23);
    }
    double d1 = mvni_norm_diff(l1, h1);
    if (r23 >= 1.0) /* X3 = X2 (then r12 = r13 for a valid matrix) */
        return tvn_reduced(tvn_pair(l1, h1, fmax(l2, l3), fmin(h2, h3), r12), small, relative);
    if (r23 <= -1.0) /* X3 = -X2: X2 in (max(l2, -h3), min(h2, -l3)) */
        return tvn_reduced(tvn_pair(l1, h1, fmax(l2, -h3), fmin(h2, -l3), r12), small, relative);
    tvn_path c = {{l1, l2, l3}, {h1, h2, h3}, r23, asin(r12), asin(r13)};
    double p23, lp23;
    double e23 = mvni_bvn_rect(c.l + 1, c.h + 1, r23, &p23, &lp23);
    if (r12 == 0.0 && r13 == 0.0) {
        const double v = tvn_reduced(d1 * p23, small, relative);
        *err = *relative ? d1 * e23 : e23;
        return v;
    }
    double e;
    double p = d1 * p23 + tvn_path_integral(&c, 0.0, &e) / TVN_TWOPI;
    *err = e23 + e / TVN_TWOPI + 1e-15;
    p = p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
    if (!(small > 0.0 && p <= small))
        return p;
    if (!tvn_path_one_signed(&c)) {
        /* Another variable first, whose path is one-signed (an orthant
           with one negative correlation: the variable whose two
           correlations are positive).  The path integral is exact for
           any order; Genz's serves its smoothness, and where another
           order needs more than the panel cap the caller falls back. */
        const double R[3][3] = {{1.0, r12, r13}, {r12, 1.0, r23}, {r13, r23, 1.0}};
        const double L[3] = {l1, l2, l3}, H[3] = {h1, h2, h3};
        int found = 0;
        for (int f = 1; f <= 2 && !found; ++f) {
            const int a = 0, b = f == 1 ? 2 : 1;
            if (!(fabs(R[a][b]) < 1.0))
                continue;
            const tvn_path t = {{L[f], L[a], L[b]}, {H[f], H[a], H[b]}, R[a][b],
                                asin(R[f][a]), asin(R[f][b])};
            found = tvn_path_one_signed(&t);
            if (found) {
                c = t;
                d1 = mvni_norm_diff(c.l[0], c.h[0]);
                e23 = mvni_bvn_rect(c.l + 1, c.h + 1, c.r23, &p23, &lp23);
            }
        }
        if (!found)
            return p;
    }
    *relative = 1;
    const double pr = d1 * p23 + tvn_path_integral(&c, TVN_RELTOL, &e) / TVN_TWOPI;
    *err = d1 * e23 + e / TVN_TWOPI;
    return pr < 0.0 ? 0.0 : pr > 1.0 ? 1.0 : pr;
}

double mvni_tvn_cdf(const double b[3], const double r[3])
{
    if (isnan(b[0]) || isnan(b[1]) || isnan(b[2]) || isnan(r[0]) || isnan(r[1]) || isnan(r[2]))
        return NAN;
    if (b[0] == 0.0 && b[1] == 0.0 && b[2] == 0.0 && fabs(r[0]) < 1.0 &&
        fabs(r[1]) < 1.0 && fabs(r[2]) < 1.0) /* orthant closed form */
        return 0.125 + (asin(r[0]) + asin(r[1]) + asin(r[2])) / (2.0 * TVN_TWOPI);
    const double lo[3] = {-INFINITY, -INFINITY, -INFINITY};
    double err;
    int relative;
    return tvn_genz(lo, b, r, 0.0, &err, &relative);
}

/* ------------------------------------------------------------------ */
/* Rectangles                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    int i, j, k;              /* conditioning variable i, the others j, k */
    double lo[3], hi[3];
    double rij, rik, sj, sk, rho; /* conditional standardization */
} tvn_slice;

/* log of phi(x) P(lo_j < X_j < hi_j, lo_k < X_k < hi_k | X_i = x). */
static double tvn_slice_log(double x, const void *vctx)
{
    const tvn_slice *c = (const tvn_slice *)vctx;
    double lo[2] = {(c->lo[c->j] - c->rij * x) / c->sj, (c->lo[c->k] - c->rik * x) / c->sk};
    double hi[2] = {(c->hi[c->j] - c->rij * x) / c->sj, (c->hi[c->k] - c->rik * x) / c->sk};
    double p, lp;
    mvni_bvn_rect(lo, hi, c->rho, &p, &lp);
    return -0.5 * x * x - MVNI_LN_SQRT_2PI + lp;
}

/* Below this probability the corner sum (absolute error ~1e-15 per
   corner) is replaced by the log-space quadrature. */
#define TVN_SMALL 1e-5

/* A bound on the conditional pair's first standardized variable Z_j, as a
   function of the conditioning value x: c + s x, or none (an infinite
   limit). */
typedef struct {
    double c, s;
    int none;
} tvn_bound;

static tvn_bound tvn_bound_make(double limit, double sign, double r, double sd)
{
    tvn_bound b = {sign * limit / sd, -sign * r / sd, !isfinite(limit)};
    return b;
}

/* Restricts (*a, *b) to the x where lower(x) < upper(x). */
static void tvn_bound_keep(tvn_bound lower, tvn_bound upper, double *a, double *b)
{
    if (lower.none || upper.none)
        return;
    const double ds = lower.s - upper.s, dc = upper.c - lower.c;
    if (ds > 0.0)
        *b = fmin(*b, dc / ds);
    else if (ds < 0.0)
        *a = fmax(*a, dc / ds);
    else if (!(dc > 0.0))
        *b = *a; /* parallel, never inside: empty */
}

/* The x where two bounds cross, appended to cut[] if inside (a, b). */
static void tvn_bound_cross(tvn_bound u, tvn_bound v, double a, double b, double *cut, int *n)
{
    if (u.none || v.none || u.s == v.s)
        return;
    const double x = (v.c - u.c) / (u.s - v.s);
    if (x > a && x < b)
        cut[(*n)++] = x;
}

/*
 * The conditional integral where the conditional pair is singular (rho =
 * +-1 to rounding, R of rank 2): X_k = sign(rho) X_j given X_i = x, so
 * P(cond) = Phi(min upper(x)) - Phi(max lower(x)) with two lower and two
 * upper bounds on Z_j, each linear in x.  The integrand is 0 outside the
 * x where max lower < min upper (an interval: the region is convex), and
 * kinked where two lower (or two upper) bounds cross.  Both are known in
 * closed form, so the integral is taken over that interval in up to three
 * pieces cut at the kinks, each smooth and log-concave; an adaptive
 * refinement at a kink converged only to about 1e-11.  Returns log P and
 * the relative error estimate in *relerr.
 */
static double tvn_slice_singular(tvn_slice *c, double *relerr)
{
    const double sg = c->rho > 0.0 ? 1.0 : -1.0;
    c->rho = sg;
    const int j = c->j, k = c->k;
    tvn_bound lower[2], upper[2];
    lower[0] = tvn_bound_make(c->lo[j], 1.0, c->rij, c->sj);
    upper[0] = tvn_bound_make(c->hi[j], 1.0, c->rij, c->sj);
    /* Z_k = sg Z_j: Z_k's limits bound Z_j, swapped where sg = -1. */
    lower[1] = tvn_bound_make(sg > 0.0 ? c->lo[k] : c->hi[k], sg, c->rik, c->sk);
    upper[1] = tvn_bound_make(sg > 0.0 ? c->hi[k] : c->lo[k], sg, c->rik, c->sk);
    double a = c->lo[c->i], b = c->hi[c->i];
    for (int u = 0; u < 2; ++u)
        for (int v = 0; v < 2; ++v)
            tvn_bound_keep(lower[u], upper[v], &a, &b);
    *relerr = 0.0;
    if (!(a < b))
        return -INFINITY;
    double cut[4];
    int n = 0;
    cut[n++] = a;
    tvn_bound_cross(lower[0], lower[1], a, b, cut, &n);
    tvn_bound_cross(upper[0], upper[1], a, b, cut, &n);
    if (n == 3 && cut[2] < cut[1]) {
        double t = cut[1];
        cut[1] = cut[2], cut[2] = t;
    }
    cut[n++] = b;
    double lp[3], rel[3], m = -INFINITY;
    for (int i = 0; i + 1 < n; ++i) {
        lp[i] = mvni_log_integrate_concave(tvn_slice_log, c, cut[i], cut[i + 1], &rel[i]);
        m = fmax(m, lp[i]);
    }
    if (!(m > -INFINITY))
        return -INFINITY;
    double sum = 0.0, esum = 0.0;
    for (int i = 0; i + 1 < n; ++i) {
        const double w = exp(lp[i] - m);
        sum += w;
        esum += w * rel[i];
    }
    *relerr = esum / sum;
    return m + log(sum);
}

/* The square of the largest limit within 40 (the conditioning of a tail
   probability in its limits: rounding of eps |limit| moves log p by about
   eps limit^2).  Limits within 40 only, as in bivariate.c (a limit beyond
   40 is on the side without mass where p > 0; its square overflowed abserr
   to +inf: fuzz finding abserr-inf, upper limit 8.8e159). */
static double tvn_limit_square(const double l[3], const double h[3])
{
    double big = 0.0;
    for (int i = 0; i < 3; ++i) {
        if (fabs(l[i]) <= 40.0)
            big = fmax(big, fabs(l[i]));
        if (fabs(h[i]) <= 40.0)
            big = fmax(big, fabs(h[i]));
    }
    return big * big;
}

/* The conditional integral of a singular R needs a variable whose
   correlations with the other two stay this far inside (-1, 1): its
   conditional pair is standardized by sqrt(1 - r^2) >= 1.4e-3.  Where
   every variable has a correlation beyond it, R is within 1e-6 of rank 1
   (all three variables equal up to sign), and the caller's factorization
   treats it (lib/solve/solve.c). */
#define TVN_SLICE_MAXCORR (1.0 - 1e-6)

/* The variable (0, 1, 2) whose largest |correlation| with the other two
   is smallest, that largest value to *maxcorr; r = (r12, r13, r23). */
static int tvn_slice_variable(const double r[3], double *maxcorr)
{
    const double m[3] = {fmax(fabs(r[0]), fabs(r[1])), fmax(fabs(r[0]), fabs(r[2])),
                         fmax(fabs(r[1]), fabs(r[2]))};
    int best = 0;
    for (int i = 1; i < 3; ++i)
        if (m[i] < m[best])
            best = i;
    *maxcorr = m[best];
    return best;
}

/* det R within the tolerance of the factorization (MVNI_PSD_TOL relative
   to the largest 2 x 2 minor, the last pivot of the most favourable
   order), on either side of 0. */
static int tvn_near_singular(const double r[3])
{
    const double det = 1.0 + 2.0 * r[0] * r[1] * r[2] - r[0] * r[0] - r[1] * r[1] - r[2] * r[2];
    const double minor = fmax(fmax(1.0 - r[0] * r[0], 1.0 - r[1] * r[1]), 1.0 - r[2] * r[2]);
    return fabs(det) <= MVNI_PSD_TOL * minor;
}

/* The digits the conditional integral over variable i can lose to
   cancellation (mvni_slice_cancellation), the worse of the other two
   variables: a box of width 1e-20 around the origin with X_i over
   (-inf, 0.8e-20) sliced over X_i moved the pair's box by O(1) for
   x = O(1), log P off by 7 and 55 ms a call. */
static double tvn_slice_cancellation(const double l[3], const double h[3],
                                     double R[3][3], int i)
{
    double worst = 0.0;
    for (int j = 0; j < 3; ++j)
        if (j != i)
            worst = fmax(worst, mvni_slice_cancellation(l[i], h[i], R[i][j], h[j] - l[j]));
    return worst;
}

/* The true P lies in [0, m], m the smallest of the three marginal
   probabilities (each exact to rounding).  Where the slices lost a width
   that no choice of variable kept, the quadrature's P can exceed m (a
   width-1e-309 interval beside correlations 1 - 1e-8 gave 4.7e-310
   against m = 4.08e-310) and the bound above can overflow: P is cut to m,
   and the bound to m, which then holds whatever the quadrature did
   (fuzz finding abserr-inf: the cancellation ratio limit / width was
   1.5e154 / 1e-309).  Returns the bound. */
static double tvn_within_marginals(const double l[3], const double h[3],
                                   double *p, double *logp, double bound)
{
    double logm = 0.0;
    for (int i = 0; i < 3; ++i)
        logm = fmin(logm, mvni_log_norm_diff(l[i], h[i]));
    const double m = exp(logm);
    if (*logp > logm) {
        *logp = logm;
        *p = m;
    }
    const double cap = m * (1.0 + 8.0 * DBL_EPSILON);
    return bound < cap ? bound : cap;
}

int mvni_tvn_singular_ok(const double r[3])
{
    double m;
    tvn_slice_variable(r, &m);
    return tvn_near_singular(r) && m <= TVN_SLICE_MAXCORR;
}

/* Whether variable i is independent of the pair (j, k) to rounding: the
   conditional pair given X_i = x, limits (c - r_ij x) / sqrt(1 - r_ij^2)
   and correlation (r_jk - r_ij r_ik) / (s_j s_k), rounds to the pair
   itself for every x that X_i's interval gives weight (within e^-800 of
   its largest density: |x| <= sqrt(x0^2 + 1600), x0 its point nearest
   0).  Then every slice of the conditional integral is the same double
   and P is P_i times the pair's probability, which the conditional
   integral over x would only approach at its own cost (a variable with
   correlations 1e-299 beside a pair at -1 + 5e-9: 10 ms a call, 450
   calls in a t probability's outer integral; fuzz finding
   timeout-t-prob-3d-slow-trivariate).  Each limit may move by 2^-60 of
   itself, and a limit within 2^-60 of 0 by 2^-120: the pair's
   conditional standard deviation is at least 1.5e-8 for any double
   correlation short of +-1, so log P moves by less than 1e-27 (|c| + 2)
   there. */
static int tvn_independent(const double l[3], const double h[3], double R[3][3], int i)
{
    const int j = (i + 1) % 3, k = (i + 2) % 3;
    const double tiny = ldexp(1.0, -60);
    const double x0 = l[i] > 0.0 ? l[i] : h[i] < 0.0 ? -h[i] : 0.0;
    double X = sqrt(x0 * x0 + 1600.0);
    if (isfinite(l[i]) && isfinite(h[i]))
        X = fmin(X, fmax(fabs(l[i]), fabs(h[i])));
    const double rij = R[i][j], rik = R[i][k], rjk = R[j][k];
    if (!(rij * rij <= tiny && rik * rik <= tiny))
        return 0;
    if (!(fabs(rij * rik) <= tiny * fabs(rjk) || (rij == 0.0 && rik == 0.0)))
        return 0;
    const double lim[4] = {l[j], h[j], l[k], h[k]}, rr[4] = {rij, rij, rik, rik};
    for (int t = 0; t < 4; ++t) {
        if (isinf(lim[t]) || rr[t] == 0.0)
            continue;
        if (!(fabs(rr[t]) * X <= tiny * fmax(fabs(lim[t]), tiny)))
            return 0;
    }
    return 1;
}

/* The rectangle probability of the pair other than variable i (in index
   order), with its bound. */
static double tvn_other_pair(const double l[3], const double h[3], double R[3][3], int i,
                             double *p, double *logp)
{
    const int j = i == 0 ? 1 : 0, k = i == 2 ? 1 : 2;
    const double l2[2] = {l[j], l[k]}, h2[2] = {h[j], h[k]};
    return mvni_bvn_rect(l2, h2, R[j][k], p, logp);
}

double mvni_tvn_rect(const double lo[3], const double hi[3],
                     const double r[3], double *p, double *logp)
{
    double l[3] = {lo[0], lo[1], lo[2]}, h[3] = {hi[0], hi[1], hi[2]};
    /* Correlation matrix entries, R[i][j]. */
    double R[3][3] = {{1.0, r[0], r[1]}, {r[0], 1.0, r[2]}, {r[1], r[2], 1.0}};
    for (int i = 0; i < 3; ++i) {
        if (!(l[i] < h[i])) {
            *p = 0.0;
            *logp = -INFINITY;
            return 0.0;
        }
    }
    /* A variable without limits drops out. */
    for (int i = 0; i < 3; ++i)
        if (l[i] == -INFINITY && h[i] == INFINITY)
            return tvn_other_pair(l, h, R, i, p, logp);
    /* A variable independent of the other two to rounding: a product. */
    for (int i = 0; i < 3; ++i) {
        if (!tvn_independent(l, h, R, i))
            continue;
        double p2, lp2;
        const double e2 = tvn_other_pair(l, h, R, i, &p2, &lp2);
        const double lpi = mvni_log_norm_diff(l[i], h[i]);
        const double pi = exp(lpi);
        *logp = lpi + lp2;
        *p = exp(*logp);
        /* The pair's bound times P_i, plus P_i's own rounding (16 eps,
           as the univariate kernel's). */
        return e2 * pi + 16.0 * DBL_EPSILON * *p;
    }
    /* Reflect variables whose interval leans to the upper side, so that all
       corner terms are lower-tail probabilities and every upper limit is
       finite. */
    for (int i = 0; i < 3; ++i) {
        if (l[i] > -h[i]) {
            double t = l[i];
            l[i] = -h[i], h[i] = -t;
            for (int j = 0; j < 3; ++j)
                if (j != i) {
                    R[i][j] = -R[i][j];
                    R[j][i] = -R[j][i];
                }
        }
    }
    double rr[3] = {R[0][1], R[0][2], R[1][2]}, qerr = 0.0, q = 0.0, err = 0.0;
    /* The variable whose correlations with the others are smallest: the
       conditional integral below integrates over it, so that the
       conditional pair is as far from singular as R allows. */
    double bestm;
    int best = tvn_slice_variable(rr, &bestm);
    /* A singular or nearly singular R (det R within the factorization's
       tolerance) goes to the conditional integral at every P: the path
       integral's integrand has a step at t = 1 there (the conditional
       variance det R(t) / (1 - r^2) vanishes), and the conditional
       integral's pair is then singular, which mvni_bvn_rect computes
       exactly (r = +-1) or by Genz's |r| >= 0.925 branch. */
    const int singular = tvn_near_singular(rr) && bestm <= TVN_SLICE_MAXCORR;
    if (!singular) {
        /* Below TVN_SMALL, without cancellation, tvn_genz recomputes to a
           relative tolerance (the path integral where it converges within
           its panel cap: a boundary layer at t = 1 in the far tails needs
           more), about 100 times cheaper than the conditional integral
           below.  Down to 1e-280: its terms below exp(-700) are dropped
           (rect_terms). */
        int relative;
        q = tvn_genz(l, h, rr, TVN_SMALL, &qerr, &relative);
        if (relative && q > 1e-280 && qerr <= 1e-12 * q) {
            *p = q;
            *logp = log(q);
            return (qerr / q + 1e-13 + 16.0 * DBL_EPSILON * (1.0 + tvn_limit_square(l, h))) * q;
        }
        /* The documented 5e-14 plus the path integral's own estimate,
           which exceeds it only where the panel cap was met (near
           singular R). */
        err = 5e-14 + qerr;
        if (q > TVN_SMALL) {
            *p = q;
            *logp = log(q);
            return err;
        }
    }
    /* Small probability (or singular R): the conditional integral. */
    if (best < 0 || !(bestm < 1.0)) { /* singular in every direction: keep the corner sum */
        *p = q > 0.0 ? q : 0.0;
        *logp = log(*p);
        return err;
    }
    /* What the slices over `best` lose (it joins the bound below). */
    double least = tvn_slice_cancellation(l, h, R, best);
    if (!singular && least > MVNI_SLICE_CANCEL) {
        /* A regular R: any variable will do; take the one whose slices
           lose the fewest digits, among those whose correlations keep the
           conditional pair off rank 1. */
        for (int i = 0; i < 3; ++i) {
            const double ci = tvn_slice_cancellation(l, h, R, i);
            const int j = (i + 1) % 3, k = (i + 2) % 3;
            if (ci < least && fmax(fabs(R[i][j]), fabs(R[i][k])) <= TVN_SLICE_MAXCORR)
                least = ci, best = i;
        }
    }
    tvn_slice c;
    c.i = best;
    c.j = (best + 1) % 3;
    c.k = (best + 2) % 3;
    for (int i = 0; i < 3; ++i)
        c.lo[i] = l[i], c.hi[i] = h[i];
    c.rij = R[c.i][c.j];
    c.rik = R[c.i][c.k];
    c.sj = sqrt((1.0 - c.rij) * (1.0 + c.rij));
    c.sk = sqrt((1.0 - c.rik) * (1.0 + c.rik));
    c.rho = (R[c.j][c.k] - c.rij * c.rik) / (c.sj * c.sk);
    if (c.rho > 1.0)
        c.rho = 1.0;
    if (c.rho < -1.0)
        c.rho = -1.0;
    double rel;
    double lq = fabs(c.rho) >= 1.0 - 64.0 * DBL_EPSILON
                    ? tvn_slice_singular(&c, &rel)
                    : mvni_log_integrate_concave(tvn_slice_log, &c, l[c.i], h[c.i], &rel);
    *logp = lq;
    *p = exp(lq);
    /* As in bivariate.c: quadrature estimate plus the conditioning of the
       problem in its limits (eps limit^2), plus the inner rectangles'
       own relative error (1e-13), plus what the pair's conditional limits
       lose of their widths where no slice variable avoided it
       (tvn_slice_cancellation, and a pair interval narrow against its own
       limits: each rounding of a limit is eps of it). */
    if (*p == 0.0) /* also where big^2 overflows: no inf * 0 */
        return 0.0;
    double narrow = least;
    for (int j = 0; j < 3; ++j)
        if (j != c.i && isfinite(l[j]) && isfinite(h[j]))
            narrow = fmax(narrow, fmax(fabs(l[j]), fabs(h[j])) / (h[j] - l[j]));
    const double bound = (rel + 1e-13 + 16.0 * DBL_EPSILON * (1.0 + tvn_limit_square(l, h) + narrow)) * *p;
    return tvn_within_marginals(l, h, p, logp, bound);
}
