/*
 * exact/ma1.c -- P(a < Z < b) for a correlation matrix that is
 * tridiagonal in the given order (a moving average of order one:
 * corr(Z_i, Z_j) = 0 for |i - j| >= 2), by a deterministic recursion
 * over d + 1 innovations (doc/algorithms/ma1.md).
 *
 * Such a matrix is B B' with B d x (d + 1) bidiagonal,
 *
 *   Z_k = al_k e_k + be_k e_(k+1),  e_0 .. e_d iid N(0, 1),
 *
 * al_k^2 + be_k^2 = 1 and be_(k-1) al_k = corr(Z_(k-1), Z_k): al_0 is
 * free (below the bound at which B B' - al_0^2 e_1 e_1' stops being
 * positive definite), and every al_k follows from it.  Each constraint
 * a_k < Z_k < b_k ties two neighbouring innovations, so
 *
 *   h_0(e) = phi(e),
 *   h_(k+1)(e) = phi(e) int h_k(w) 1[a_k < al_k w + be_k e < b_k] dw,
 *
 * and P = int h_d: d one-dimensional integrals.  With d + 1 innovations
 * (instead of the d of the Cholesky factor) every h_k is smooth -- no
 * innovation is truncated by itself -- and log-concave (Prekopa).
 *
 * Where to integrate.  The posterior of e_k (the law given every
 * constraint) is h_k g_k / phi / P, g_k the same recursion run from the
 * other end; it can sit where h_k is e^-300 below its own maximum (the
 * order statistics of the tridiagonal -1/2 orthant at d = 1000).  Two
 * coarse passes -- h_k and g_k on grids of MA1_GRID points with log h
 * linear between them, integrated exactly, each trimmed to within
 * MA1_TRIM of its maximum -- locate the posterior; the window of e_k is
 * where its log lies within MA1_WINDOW_CUT of its maximum.  Leaving out
 * the rest changes P by the posterior mass outside the windows, below
 * (d + 1) e^-MA1_WINDOW_CUT of P, however small P is.  Where a grid ends
 * first, the posterior must lie MA1_EDGE_CUT below its maximum (it keeps
 * falling beyond: log-concave), and the mass beyond joins the error
 * estimate; a posterior higher there declines the problem.
 *
 * The fine pass.  On its window each h_k lives on Gauss-Legendre panels
 * (MA1_NODES nodes) laid out so that log h_k (from the coarse pass)
 * changes by at most MA1_DELTA across each; the integrals over partial
 * panels interpolate log h_k (a polynomial on the nodes) and integrate
 * its exponential by the same rule.  The error estimate is the
 * difference to the pass with panels twice as wide; panels are halved
 * until the request is met (MA1_MAX_REFINE times at most).
 *
 * The derivatives in the limits: p(Z_k = x, every other constraint) is
 * int h_k(w) g_(k+1)((x - al_k w) / be_k) dw / |be_k|, from the node
 * values of one forward and one backward fine pass on the same windows
 * (mvni_ma1_limit_density).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exact/exact.h"
#include "common/monitor.h"

/* The smallest |al_k| and be_k taken: the map from e_(k+1) to the
   interval of e_k has slope be_k / al_k, and the features of h_k shrink
   by it from step to step.  Nearest-neighbour correlations of 0.2 give
   al_k near 0.2 (the stable root of al^2 (1 - al^2) = r^2); weaker ones
   are left to QMC, for which they are easy. */
#define MA1_MIN_COEF 0.3
/* Coarse grids are trimmed to log h >= max - MA1_TRIM.  The posterior of
   e_k sits where h_k is below its maximum by at most this (346 for the
   -1/2 orthant at d = 1000, 0 .. 50 for rectangles); when it does not,
   the posterior touches the trimmed edge and the problem is declined. */
#define MA1_TRIM 1500.0
/* Coarse values below max - MA1_TRIM - MA1_FLOOR are raised to it (the
   natural edges of a grid, where h -> 0). */
#define MA1_FLOOR 200.0
/* Window: the posterior's log within this of its maximum.  Where a grid
   ends first (a trimmed or natural edge), the posterior there must be at
   least MA1_EDGE_CUT below its maximum. */
#define MA1_WINDOW_CUT 46.0
#define MA1_EDGE_CUT 25.0
/* Points of the scouting grid that finds the trimmed range, and of the
   coarse grid on it (fewer above MA1_BIG_D: the backward grids are all
   kept, (d + 1) x MA1_GRID doubles). */
#define MA1_SCOUT 256
#define MA1_GRID 2048
#define MA1_GRID_BIG 1024
#define MA1_BIG_D 1000
#define MA1_MAX_D 20000
/* Gauss-Legendre nodes per panel; the largest change of log h across a
   panel of the first pass; panels per window at least; at most. */
#define MA1_NODES 8
#define MA1_DELTA 4.0
#define MA1_MIN_PANELS 6
#define MA1_MAX_PANELS 4096
/* Halvings of the panels after the first two passes. */
#define MA1_MAX_REFINE 3
/* Fine node values below the step's maximum by more than this are
   raised to it (a node whose interval misses the previous window). */
#define MA1_NODE_FLOOR 3000.0

/* log(e^x + e^y), log(e^x - e^y) (x >= y; -inf when not). */
static double ladd(double x, double y)
{
    if (x < y) {
        const double t = x;
        x = y;
        y = t;
    }
    return x == -INFINITY ? x : x + log1p(exp(y - x));
}

static double lsub(double x, double y)
{
    if (!(x > y))
        return -INFINITY;
    return x + log(-expm1(y - x));
}

static double log_phi(double e)
{
    return -0.5 * e * e - MVNI_LN_SQRT_2PI;
}

/* log int_0^t exp(y + slope s) ds, exactly. */
static double log_segment(double y, double slope, double t)
{
    if (!(t > 0.0))
        return -INFINITY;
    const double s = slope * t;
    double f;
    if (fabs(s) < 1e-5)
        f = 0.5 * s + s * s / 24.0;
    else if (s > 0.0)
        f = s + log(-expm1(-s) / s);
    else
        f = log(-expm1(s) / -s);
    return y + log(t) + f;
}

/* The bidiagonal factor and the limits; constraint k is
   a[k] < al[k] e_k + be[k] e_(k+1) < b[k], k < d. */
typedef struct {
    size_t d;
    double *al, *be, *a, *b;
} ma1_chain;

/* The interval of e_k (w) that constraint k allows given e_(k+1) = e. */
static void w_interval(const ma1_chain *c, size_t k, double e, double *lo, double *hi)
{
    const double t1 = (c->a[k] - c->be[k] * e) / c->al[k],
                 t2 = (c->b[k] - c->be[k] * e) / c->al[k];
    *lo = fmin(t1, t2);
    *hi = fmax(t1, t2);
    if (isnan(*lo))
        *lo = -INFINITY;
    if (isnan(*hi))
        *hi = INFINITY;
}

/* ---- sums of positive units (cells, panels) in log space ---------- */

/* Prefix and suffix sums of n - 1 units' logs I: L[i] = log sum_(u<i),
   R[i] = log sum_(u>=i), i <= n - 1; *mode the largest unit. */
static void unit_sums(const double *I, size_t units, double *L, double *R, size_t *mode)
{
    L[0] = -INFINITY;
    size_t m = 0;
    for (size_t u = 0; u < units; ++u) {
        L[u + 1] = ladd(L[u], I[u]);
        if (I[u] > I[m])
            m = u;
    }
    R[units] = -INFINITY;
    for (size_t u = units; u-- > 0;)
        R[u] = ladd(R[u + 1], I[u]);
    *mode = m;
}

/* log sum of the units in [i0, i1).  The units rise to the mode and
   fall after it (the function is log-concave), so a difference of prefix
   sums left of the mode and of suffix sums right of it loses at most a
   factor of the unit count to cancellation. */
static double unit_range(const double *L, const double *R, size_t mode,
                         size_t i0, size_t i1)
{
    double s = -INFINITY;
    const size_t l1 = i1 < mode ? i1 : mode, r0 = i0 > mode ? i0 : mode;
    if (i0 < l1)
        s = lsub(L[l1], L[i0]);
    if (r0 < i1)
        s = ladd(s, lsub(R[r0], R[i1]));
    return s;
}

/* ---- coarse pass: log h linear between grid points ----------------- */

typedef struct {
    double x0, h; /* x_i = x0 + i h */
    size_t n;
    double *y;    /* log h_k at the points */
} ma1_grid;

typedef struct {
    const ma1_grid *g;
    double *I, *L, *R; /* n - 1 cells */
    size_t mode;
} ma1_grid_sums;

static void grid_sums(const ma1_grid *g, ma1_grid_sums *s)
{
    s->g = g;
    for (size_t i = 0; i + 1 < g->n; ++i)
        s->I[i] = log_segment(g->y[i], (g->y[i + 1] - g->y[i]) / g->h, g->h);
    unit_sums(s->I, g->n - 1, s->L, s->R, &s->mode);
}

/* log int_lo^hi of the coarse h (0 outside its grid). */
static double grid_bracket(const ma1_grid_sums *s, double lo, double hi)
{
    const ma1_grid *g = s->g;
    const double end = g->x0 + (double)(g->n - 1) * g->h;
    lo = fmax(lo, g->x0);
    hi = fmin(hi, end);
    if (!(lo < hi))
        return -INFINITY;
    size_t i = (size_t)((lo - g->x0) / g->h), j = (size_t)((hi - g->x0) / g->h);
    if (i > g->n - 2)
        i = g->n - 2;
    if (j > g->n - 2)
        j = g->n - 2;
    const double xi = g->x0 + (double)i * g->h, xj = g->x0 + (double)j * g->h;
    const double si = (g->y[i + 1] - g->y[i]) / g->h, sj = (g->y[j + 1] - g->y[j]) / g->h;
    const double ylo = g->y[i] + si * (lo - xi);
    if (i == j)
        return log_segment(ylo, si, hi - lo);
    double v = log_segment(ylo, si, xi + g->h - lo);
    v = ladd(v, log_segment(g->y[j], sj, hi - xj));
    return ladd(v, unit_range(s->L, s->R, s->mode, i + 1, j));
}

/* log h at x by linear interpolation of the grid (-inf outside). */
static double grid_at(const ma1_grid *g, double x)
{
    const double u = (x - g->x0) / g->h;
    if (!(u >= 0.0 && u <= (double)(g->n - 1)))
        return -INFINITY;
    size_t i = (size_t)u;
    if (i > g->n - 2)
        i = g->n - 2;
    const double t = u - (double)i;
    return g->y[i] + t * (g->y[i + 1] - g->y[i]);
}

static double coarse_value(const ma1_chain *c, size_t k, const ma1_grid_sums *s, double e)
{
    double lo, hi;
    w_interval(c, k, e, &lo, &hi);
    return log_phi(e) + grid_bracket(s, lo, hi);
}

/* Fill n points of log h_(k+1) on [x0, x1]; returns the maximum. */
static double coarse_fill(const ma1_chain *c, size_t k, const ma1_grid_sums *s,
                          double x0, double x1, size_t n, double *y)
{
    const double h = (x1 - x0) / (double)(n - 1);
    double m = -INFINITY;
    for (size_t i = 0; i < n; ++i) {
        y[i] = coarse_value(c, k, s, x0 + (double)i * h);
        m = fmax(m, y[i]);
    }
    return m;
}

/* The coarse grid of h_(k+1) from that of h_k (s), trimmed to within
   MA1_TRIM of its maximum by scouting grids of MA1_SCOUT points that
   zoom in on the trimmed range.  scout: MA1_SCOUT doubles.  Returns 0,
   or -1 when h_(k+1) vanishes on the grid (the caller declines). */
static int coarse_step(const ma1_chain *c, size_t k, const ma1_grid_sums *s,
                       double emax, double *scout, ma1_grid *next)
{
    const ma1_grid *g = s->g;
    const double A = g->x0, B = g->x0 + (double)(g->n - 1) * g->h;
    /* The e for which some w in [A, B] meets the constraint. */
    const double p = fmin(c->al[k] * A, c->al[k] * B), q = fmax(c->al[k] * A, c->al[k] * B);
    double e0 = (c->a[k] - q) / c->be[k], e1 = (c->b[k] - p) / c->be[k];
    if (e0 > e1) {
        const double t = e0;
        e0 = e1;
        e1 = t;
    }
    double lo = fmax(isnan(e0) ? -emax : e0, -emax), hi = fmin(isnan(e1) ? emax : e1, emax);
    if (!(lo < hi))
        return -1;
    for (int it = 0; it < 12; ++it) {
        const double m = coarse_fill(c, k, s, lo, hi, MA1_SCOUT, scout);
        if (!(m > -INFINITY))
            return -1;
        size_t first = 0, last = MA1_SCOUT - 1;
        while (scout[first] < m - MA1_TRIM)
            ++first;
        while (scout[last] < m - MA1_TRIM)
            --last;
        const double h = (hi - lo) / (MA1_SCOUT - 1);
        const double nlo = lo + (double)(first > 0 ? first - 1 : 0) * h,
                     nhi = lo + (double)(last + 1 < MA1_SCOUT ? last + 1 : last) * h;
        lo = nlo;
        hi = nhi;
        if (last - first >= 32)
            break;
    }
    const double m = coarse_fill(c, k, s, lo, hi, next->n, next->y);
    if (!(m > -INFINITY))
        return -1;
    for (size_t i = 0; i < next->n; ++i)
        next->y[i] = fmax(next->y[i], m - MA1_TRIM - MA1_FLOOR);
    next->x0 = lo;
    next->h = (hi - lo) / (double)(next->n - 1);
    return 0;
}

/* h_0 = phi on its trimmed range. */
static void coarse_first(ma1_grid *g)
{
    const double r = sqrt(2.0 * MA1_TRIM);
    g->x0 = -r;
    g->h = 2.0 * r / (double)(g->n - 1);
    for (size_t i = 0; i < g->n; ++i)
        g->y[i] = log_phi(g->x0 + (double)i * g->h);
}

/* ---- the windows and the panels of the fine pass ------------------- */

typedef struct {
    size_t d, n;       /* d + 1 variables; grid points */
    size_t *off;       /* panel edges of variable k: edge[off[k] .. off[k+1]] */
    double *edge;
    size_t cap;        /* edges allocated */
} ma1_layout;

/* The window of e_k from the coarse h (forward) and g (backward) and its
   panels: edges where the coarse log h has changed by MA1_DELTA (plus a
   1/MA1_MIN_PANELS share of the window); adds the posterior mass beyond
   the grids' edges to *loss.  Returns 0, -1 to decline, -2 when out of
   memory. */
static int layout_step(ma1_layout *lay, size_t k, const ma1_grid *h, const ma1_grid *g,
                       double *post, double *loss)
{
    size_t first = h->n, last = 0;
    double m = -INFINITY;
    for (size_t i = 0; i < h->n; ++i) {
        const double x = h->x0 + (double)i * h->h;
        post[i] = h->y[i] + grid_at(g, x) - log_phi(x);
        if (post[i] > -INFINITY) {
            first = first < i ? first : i;
            last = i;
        }
        m = fmax(m, post[i]);
    }
    if (!(m > -INFINITY))
        return -1;
    /* The posterior still high at the edge of the common range means a
       trimmed grid cut into it; below MA1_EDGE_CUT it falls on outwards
       (it is log-concave), and what lies beyond, about e^(edge - max)
       of the whole, joins the error estimate. */
    const double top = fmax(post[first], post[last]) - m;
    if (top >= -MA1_EDGE_CUT)
        return -1;
    *loss += exp(top);
    while (post[first] < m - MA1_WINDOW_CUT)
        ++first;
    while (post[last] < m - MA1_WINDOW_CUT)
        --last;
    const size_t i0 = first > 0 ? first - 1 : 0, i1 = last + 1 < h->n ? last + 1 : h->n - 1;
    /* Arc length: |dy| / MA1_DELTA per cell plus the width share. */
    const double share = MA1_MIN_PANELS / (double)(i1 - i0);
    double total = 0.0;
    for (size_t i = i0; i < i1; ++i)
        total += fabs(h->y[i + 1] - h->y[i]) / MA1_DELTA + share;
    size_t np = (size_t)ceil(total);
    if (np < MA1_MIN_PANELS)
        np = MA1_MIN_PANELS;
    if (np > MA1_MAX_PANELS)
        return -1;
    const size_t base = lay->off[k];
    if (base + np + 1 > lay->cap) {
        size_t cap = 2 * lay->cap + np + 1;
        double *e = realloc(lay->edge, cap * sizeof *e);
        if (e == NULL)
            return -2;
        lay->edge = e;
        lay->cap = cap;
    }
    double *edge = lay->edge + base;
    const double step = total / (double)np;
    double acc = 0.0, target = step;
    size_t j = 1;
    edge[0] = h->x0 + (double)i0 * h->h;
    for (size_t i = i0; i < i1 && j < np; ++i) {
        const double len = fabs(h->y[i + 1] - h->y[i]) / MA1_DELTA + share;
        while (j < np && acc + len >= target) {
            edge[j++] = h->x0 + ((double)i + (target - acc) / len) * h->h;
            target += step;
        }
        acc += len;
    }
    while (j < np) /* rounding left the last edges */
        edge[j++] = h->x0 + (double)i1 * h->h;
    edge[np] = h->x0 + (double)i1 * h->h;
    lay->off[k + 1] = base + np + 1;
    return 0;
}

/* ---- the fine pass -------------------------------------------------- */

typedef struct {
    double gx[MA1_NODES], gw[MA1_NODES], bw[MA1_NODES]; /* rule, barycentric */
} ma1_rule;

/* The n-point Gauss-Legendre rule on (-1, 1) and its barycentric
   interpolation weights. */
static void rule_init(ma1_rule *q)
{
    const int n = MA1_NODES;
    mvni_gauss_legendre(n, q->gx, q->gw);
    for (int j = 0; j < n; ++j) {
        double w = 1.0;
        for (int i = 0; i < n; ++i)
            if (i != j)
                w *= q->gx[j] - q->gx[i];
        q->bw[j] = 1.0 / w;
    }
}

/* One variable's panels in a pass: np panels, their edges, node log
   values v (np x MA1_NODES), panel integrals, sums. */
typedef struct {
    size_t np;
    double *edge, *v, *I, *L, *R, *vmax;
    size_t mode;
} ma1_panels;

/* The log h interpolated at xi in (-1, 1) of a panel (values v),
   clamped to the panel's range plus a little. */
static double panel_interp(const ma1_rule *q, const double *v, double vmax, double xi)
{
    double num = 0.0, den = 0.0;
    for (int j = 0; j < MA1_NODES; ++j) {
        const double t = xi - q->gx[j];
        if (fabs(t) < 1e-14)
            return v[j];
        const double w = q->bw[j] / t;
        num += w * v[j];
        den += w;
    }
    return fmin(num / den, vmax + 1.0);
}

/* log int_s^t h over part of panel p. */
static double panel_part(const ma1_rule *q, const ma1_panels *P, size_t p, double s, double t)
{
    if (!(t > s))
        return -INFINITY;
    const double mid = 0.5 * (P->edge[p] + P->edge[p + 1]),
                 half = 0.5 * (P->edge[p + 1] - P->edge[p]);
    const double c = 0.5 * (s + t), r = 0.5 * (t - s);
    double lv[MA1_NODES], m = -INFINITY;
    for (int j = 0; j < MA1_NODES; ++j) {
        lv[j] = panel_interp(q, P->v + p * MA1_NODES, P->vmax[p], (c + r * q->gx[j] - mid) / half);
        m = fmax(m, lv[j]);
    }
    double sum = 0.0;
    for (int j = 0; j < MA1_NODES; ++j)
        sum += q->gw[j] * exp(lv[j] - m);
    return m + log(r * sum);
}

static size_t panel_find(const ma1_panels *P, double x)
{
    size_t lo = 0, hi = P->np; /* edge[lo] <= x < edge[hi] */
    while (hi - lo > 1) {
        const size_t mid = (lo + hi) / 2;
        if (P->edge[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static double panel_bracket(const ma1_rule *q, const ma1_panels *P, double lo, double hi)
{
    lo = fmax(lo, P->edge[0]);
    hi = fmin(hi, P->edge[P->np]);
    if (!(lo < hi))
        return -INFINITY;
    const size_t i = panel_find(P, lo), j = panel_find(P, hi);
    if (i == j)
        return panel_part(q, P, i, lo, hi);
    double v = ladd(panel_part(q, P, i, lo, P->edge[i + 1]), panel_part(q, P, j, P->edge[j], hi));
    return ladd(v, unit_range(P->L, P->R, P->mode, i + 1, j));
}

/* Integrals and sums of a variable's panels once its node values are in. */
static void panels_close(const ma1_rule *q, ma1_panels *P)
{
    double top = -INFINITY;
    for (size_t i = 0; i < P->np * MA1_NODES; ++i)
        top = fmax(top, P->v[i]);
    for (size_t p = 0; p < P->np; ++p) {
        double *v = P->v + p * MA1_NODES, m = -INFINITY;
        for (int j = 0; j < MA1_NODES; ++j) {
            if (!(v[j] > top - MA1_NODE_FLOOR))
                v[j] = top - MA1_NODE_FLOOR;
            m = fmax(m, v[j]);
        }
        double sum = 0.0;
        for (int j = 0; j < MA1_NODES; ++j)
            sum += q->gw[j] * exp(v[j] - m);
        P->vmax[p] = m;
        P->I[p] = m + log(0.5 * (P->edge[p + 1] - P->edge[p]) * sum);
    }
    unit_sums(P->I, P->np, P->L, P->R, &P->mode);
}

/* The panels of variable k with every layout panel split in 2^level. */
static void panels_edges(const ma1_layout *lay, size_t k, int level, ma1_panels *P)
{
    const double *e = lay->edge + lay->off[k];
    const size_t nb = lay->off[k + 1] - lay->off[k] - 1, split = (size_t)1 << level;
    P->np = nb * split;
    for (size_t p = 0; p < nb; ++p)
        for (size_t s = 0; s < split; ++s)
            P->edge[p * split + s] = e[p] + (e[p + 1] - e[p]) * (double)s / (double)split;
    P->edge[P->np] = e[nb];
}

/* Scratch for two variables' panels (current and next). */
typedef struct {
    ma1_panels P[2];
    double *mem;
} ma1_fine;

static int fine_alloc(ma1_fine *f, size_t maxnp)
{
    const size_t per = (maxnp + 1) * (5 + MA1_NODES);
    f->mem = malloc(2 * per * sizeof *f->mem);
    if (f->mem == NULL)
        return -1;
    for (int i = 0; i < 2; ++i) {
        double *m = f->mem + (size_t)i * per;
        f->P[i].edge = m;
        f->P[i].I = m + (maxnp + 1);
        f->P[i].L = m + 2 * (maxnp + 1);
        f->P[i].R = m + 3 * (maxnp + 1);
        f->P[i].vmax = m + 4 * (maxnp + 1);
        f->P[i].v = m + 5 * (maxnp + 1);
    }
    return 0;
}

/* Where variable k's node values start in a pass's keep array. */
static size_t kept_offset(const ma1_layout *lay, size_t k, int level)
{
    return (lay->off[k] - k) * ((size_t)1 << level) * MA1_NODES;
}

/* log P with the layout's panels split in 2^level; adds nodes to *evals.
   NaN on a NaN anywhere.  keep (or NULL): every variable's node values,
   at kept_offset. */
static double fine_pass(const ma1_chain *c, const ma1_layout *lay, int level,
                        const ma1_rule *q, ma1_fine *f, double *keep, double *evals)
{
    ma1_panels *cur = &f->P[0], *nxt = &f->P[1];
    panels_edges(lay, 0, level, cur);
    for (size_t p = 0; p < cur->np; ++p) {
        const double mid = 0.5 * (cur->edge[p] + cur->edge[p + 1]),
                     half = 0.5 * (cur->edge[p + 1] - cur->edge[p]);
        for (int j = 0; j < MA1_NODES; ++j)
            cur->v[p * MA1_NODES + j] = log_phi(mid + half * q->gx[j]);
    }
    panels_close(q, cur);
    if (keep != NULL)
        memcpy(keep, cur->v, cur->np * MA1_NODES * sizeof *keep);
    for (size_t k = 0; k < c->d; ++k) {
        panels_edges(lay, k + 1, level, nxt);
        for (size_t p = 0; p < nxt->np; ++p) {
            const double mid = 0.5 * (nxt->edge[p] + nxt->edge[p + 1]),
                         half = 0.5 * (nxt->edge[p + 1] - nxt->edge[p]);
            for (int j = 0; j < MA1_NODES; ++j) {
                const double e = mid + half * q->gx[j];
                double lo, hi;
                w_interval(c, k, e, &lo, &hi);
                nxt->v[p * MA1_NODES + j] = log_phi(e) + panel_bracket(q, cur, lo, hi);
            }
        }
        *evals += (double)(nxt->np * MA1_NODES);
        panels_close(q, nxt);
        if (keep != NULL)
            memcpy(keep + kept_offset(lay, k + 1, level), nxt->v,
                   nxt->np * MA1_NODES * sizeof *keep);
        if (isnan(nxt->I[nxt->mode]) || !(nxt->I[nxt->mode] > -INFINITY))
            return NAN;
        ma1_panels *t = cur;
        cur = nxt;
        nxt = t;
    }
    return cur->L[cur->np];
}

/* ---- the factor, the set-up, the driver ----------------------------- */

/* al, be from al_0^2 = t; returns the smaller of min |al_k| and min be_k
   in *least, and whether |al_k| < 1 throughout (else 0). */
static int ma1_factor(size_t d, const double *r, double t, double *al, double *be,
                      double *least_al, double *least_be)
{
    double la = INFINITY, lb = INFINITY;
    for (size_t k = 0; k < d; ++k) {
        al[k] = k == 0 ? sqrt(t) : r[k] / be[k - 1];
        const double v = (1.0 - al[k]) * (1.0 + al[k]);
        if (!(v > 0.0))
            return 0;
        be[k] = sqrt(v);
        la = fmin(la, fabs(al[k]));
        lb = fmin(lb, be[k]);
    }
    *least_al = la;
    *least_be = lb;
    return 1;
}

/* al_0^2 by bisection so that the smallest |al_k| and the smallest be_k
   balance (|al_k| rises with al_0, be_k falls).  Returns the smallest
   coefficient, 0 when none qualifies. */
static double ma1_choose(size_t d, const double *r, double *al, double *be)
{
    double lo = 0.0, hi = 1.0, la, lb;
    for (int it = 0; it < 60; ++it) {
        const double t = 0.5 * (lo + hi);
        if (!ma1_factor(d, r, t, al, be, &la, &lb) || la >= lb)
            hi = t;
        else
            lo = t;
    }
    if (!(lo > 0.0) || !ma1_factor(d, r, lo, al, be, &la, &lb))
        return 0.0;
    return fmin(la, lb);
}

/* A problem set up for the fine passes: the factor, the reversed chain,
   the windows and panels (from the coarse filters), the edge loss. */
typedef struct {
    ma1_chain c, rc;
    ma1_layout lay;
    double loss;
    size_t maxnb; /* the most layout panels of a variable */
    double *mem;
} ma1_problem;

static void ma1_free(ma1_problem *m)
{
    free(m->lay.edge);
    free(m->lay.off);
    free(m->mem);
}

/* MVN_OK, MVN_ENOMEM or MVNI_MA1_DECLINED; on MVN_OK *m is to be freed
   with ma1_free.  The limits must be nonempty intervals. */
static int ma1_setup(ma1_problem *m, size_t d, const double *r, const double *a,
                     const double *b)
{
    memset(m, 0, sizeof *m);
    if (d < 2 || d > MA1_MAX_D)
        return MVNI_MA1_DECLINED;
    const size_t n = d > MA1_BIG_D ? MA1_GRID_BIG : MA1_GRID;
    /* chain arrays (forward and reversed), grids (d + 1 backward, 2
       forward), sums, scout, posterior */
    const size_t nd = 8 * d + (d + 3) * n + 4 * n + MA1_SCOUT + n;
    m->mem = malloc(nd * sizeof *m->mem);
    ma1_grid *gb = malloc((d + 1) * sizeof *gb);
    m->lay = (ma1_layout){d + 1, n, malloc((d + 2) * sizeof(size_t)), NULL, 0};
    int st = MVN_ENOMEM;
    if (m->mem == NULL || gb == NULL || m->lay.off == NULL)
        goto out;
    double *mem = m->mem;
    m->c = (ma1_chain){d, mem, mem + d, (double *)a, (double *)b};
    m->rc = (ma1_chain){d, mem + 2 * d, mem + 3 * d, mem + 4 * d, mem + 5 * d};
    const ma1_chain *c = &m->c, *rc = &m->rc;
    st = MVNI_MA1_DECLINED;
    if (ma1_choose(d, r, c->al, c->be) < MA1_MIN_COEF)
        goto out;
    for (size_t j = 0; j < d; ++j) {
        rc->al[j] = c->be[d - 1 - j];
        rc->be[j] = c->al[d - 1 - j];
        rc->a[j] = a[d - 1 - j];
        rc->b[j] = b[d - 1 - j];
    }
    double emax = 60.0;
    for (size_t k = 0; k < d; ++k) {
        if (isfinite(a[k]))
            emax = fmax(emax, 60.0 + 5.0 * fabs(a[k]));
        if (isfinite(b[k]))
            emax = fmax(emax, 60.0 + 5.0 * fabs(b[k]));
    }
    double *grids = mem + 8 * d, *sI = grids + (d + 3) * n, *sL = sI + n, *sR = sL + n,
           *scout = sR + n, *post = scout + MA1_SCOUT;
    ma1_grid_sums sums = {NULL, sI, sL, sR, 0};
    /* Backward: gb[k] holds g_k, the reversed chain's h_(d-k). */
    for (size_t j = 0; j <= d; ++j) {
        ma1_grid *g = &gb[d - j];
        g->n = n;
        g->y = grids + j * n;
        if (j == 0) {
            coarse_first(g);
            continue;
        }
        grid_sums(&gb[d - j + 1], &sums);
        if (coarse_step(rc, j - 1, &sums, emax, scout, g) != 0)
            goto out;
    }
    /* Forward, with the windows and panels of each variable. */
    ma1_grid fw[2] = {{0, 0, n, grids + (d + 1) * n}, {0, 0, n, grids + (d + 2) * n}};
    coarse_first(&fw[0]);
    m->lay.off[0] = 0;
    for (size_t k = 0;; ++k) {
        const int l = layout_step(&m->lay, k, &fw[k & 1], &gb[k], post, &m->loss);
        if (l == -2)
            st = MVN_ENOMEM;
        if (l != 0)
            goto out;
        if (k == d)
            break;
        grid_sums(&fw[k & 1], &sums);
        if (coarse_step(c, k, &sums, emax, scout, &fw[(k + 1) & 1]) != 0)
            goto out;
    }
    for (size_t k = 0; k <= d; ++k)
        if (m->lay.off[k + 1] - m->lay.off[k] - 1 > m->maxnb)
            m->maxnb = m->lay.off[k + 1] - m->lay.off[k] - 1;
    st = MVN_OK;
out:
    free(gb);
    if (st != MVN_OK)
        ma1_free(m);
    return st;
}

/* P for a set-up problem: passes with panels halved until the request is
   met (the error is the difference to the pass with panels twice as
   wide).  *level_out: the finest level that answered. */
static int ma1_solve(const ma1_problem *m, const ma1_rule *q, ma1_fine *fine,
                     const mvni_qmc_options *opt, mvni_result *res, int *level_out)
{
    double evals = 0.0;
    double coarse = fine_pass(&m->c, &m->lay, 0, q, fine, NULL, &evals), fine_lp = coarse,
           rel = INFINITY;
    if (isnan(coarse))
        return MVNI_MA1_DECLINED;
    int level = 1;
    for (;; ++level) {
        const double next = fine_pass(&m->c, &m->lay, level, q, fine, NULL, &evals);
        if (isnan(next))
            return MVNI_MA1_DECLINED;
        fine_lp = next;
        rel = fabs(expm1(coarse - fine_lp));
        if (opt->monitor != NULL && mvni_monitor_step(opt->monitor, evals)) {
            res->p = res->logp = res->abserr = res->relerr = NAN;
            res->evals = evals;
            return res->status = MVN_ECANCELED;
        }
        if (mvni_tol_met(fine_lp, rel, opt) || level == MA1_MAX_REFINE + 1)
            break;
        coarse = fine_lp;
    }
    *level_out = level;
    res->logp = fine_lp;
    res->p = exp(fine_lp);
    res->relerr = fmax(rel + m->loss, mvni_log_rounding(fine_lp));
    res->abserr = res->relerr * res->p;
    res->evals = evals;
    return res->status = mvni_tol_met(fine_lp, res->relerr, opt) ? MVN_OK : MVN_ETOL;
}

static int ma1_empty(size_t d, const double *a, const double *b, mvni_result *res)
{
    for (size_t k = 0; k < d; ++k)
        if (!(a[k] < b[k])) {
            res->p = res->abserr = res->relerr = res->evals = 0.0;
            res->logp = -INFINITY;
            res->status = MVN_OK;
            return 1;
        }
    return 0;
}

/* What P and the limit densities both start with: the set-up, the fine
   pass's buffers for the finest level and the rule.  On failure nothing
   is left allocated. */
static int ma1_begin(ma1_problem *m, ma1_fine *fine, ma1_rule *q, size_t d,
                     const double *r, const double *a, const double *b)
{
    int st = ma1_setup(m, d, r, a, b);
    if (st != MVN_OK)
        return st;
    *fine = (ma1_fine){0};
    if (fine_alloc(fine, m->maxnb << (MA1_MAX_REFINE + 1)) != 0) {
        ma1_free(m);
        return MVN_ENOMEM;
    }
    rule_init(q);
    return MVN_OK;
}

int mvni_ma1_prob(size_t d, const double *r, const double *a, const double *b,
                  const mvni_qmc_options *opt, mvni_result *res)
{
    if (ma1_empty(d, a, b, res))
        return MVN_OK;
    ma1_problem m;
    ma1_fine fine;
    ma1_rule q;
    int st = ma1_begin(&m, &fine, &q, d, r, a, b);
    if (st != MVN_OK)
        return st;
    int level;
    st = ma1_solve(&m, &q, &fine, opt, res, &level);
    free(fine.mem);
    ma1_free(&m);
    return st;
}

/* ---- densities of the limits: forward and backward ------------------ */

/* log h at x from a variable's kept panels (edges at the level; -inf
   outside them). */
static double kept_at(const ma1_rule *q, const double *edge, size_t np, const double *v,
                      double x)
{
    if (!(x >= edge[0] && x <= edge[np]))
        return -INFINITY;
    size_t lo = 0, hi = np;
    while (hi - lo > 1) {
        const size_t mid = (lo + hi) / 2;
        if (edge[mid] <= x)
            lo = mid;
        else
            hi = mid;
    }
    const double *vp = v + lo * MA1_NODES;
    double top = -INFINITY;
    for (int j = 0; j < MA1_NODES; ++j)
        top = fmax(top, vp[j]);
    const double mid = 0.5 * (edge[lo] + edge[lo + 1]), half = 0.5 * (edge[lo + 1] - edge[lo]);
    return panel_interp(q, vp, top, (x - mid) / half);
}

/* The reversed chain's layout: variable j is variable d - j. */
static int layout_reversed(const ma1_layout *lay, ma1_layout *rl)
{
    const size_t nv = lay->d;
    *rl = (ma1_layout){nv, lay->n, malloc((nv + 1) * sizeof(size_t)), NULL, 0};
    rl->cap = lay->off[nv];
    rl->edge = malloc(rl->cap * sizeof *rl->edge);
    if (rl->off == NULL || rl->edge == NULL)
        return -1;
    rl->off[0] = 0;
    for (size_t j = 0; j < nv; ++j) {
        const size_t k = nv - 1 - j, ne = lay->off[k + 1] - lay->off[k];
        memcpy(rl->edge + rl->off[j], lay->edge + lay->off[k], ne * sizeof *rl->edge);
        rl->off[j + 1] = rl->off[j] + ne;
    }
    return 0;
}

/* log p(Z_k = x, every other constraint) =
   log int h_k(w) g_(k+1)((x - al_k w) / be_k) dw / |be_k| from the kept
   forward (hk) and backward (gk) node values of one level. */
static double ma1_density(const ma1_problem *m, const ma1_layout *rl, const ma1_rule *q,
                          int level, const double *hk, const double *gk, size_t k, double x,
                          double *eh, double *eg)
{
    const ma1_chain *c = &m->c;
    const size_t d = c->d, j = d - (k + 1);
    ma1_panels H, G;
    H.edge = eh;
    G.edge = eg;
    panels_edges(&m->lay, k, level, &H);
    panels_edges(rl, j, level, &G);
    const double *hv = hk + kept_offset(&m->lay, k, level), *gv = gk + kept_offset(rl, j, level);
    double top = -INFINITY, sum = 0.0;
    /* Two sweeps: the largest term, then the sum relative to it. */
    for (int sweep = 0; sweep < 2; ++sweep) {
        for (size_t p = 0; p < H.np; ++p) {
            const double mid = 0.5 * (H.edge[p] + H.edge[p + 1]),
                         half = 0.5 * (H.edge[p + 1] - H.edge[p]);
            for (int i = 0; i < MA1_NODES; ++i) {
                const double w = mid + half * q->gx[i];
                const double t = hv[p * MA1_NODES + i] + log(half * q->gw[i]) +
                                 kept_at(q, G.edge, G.np, gv, (x - c->al[k] * w) / c->be[k]);
                if (sweep == 0)
                    top = fmax(top, t);
                else if (t > -INFINITY)
                    sum += exp(t - top);
            }
        }
        if (!(top > -INFINITY))
            return -INFINITY;
    }
    return top + log(sum) - log(fabs(c->be[k]));
}

int mvni_ma1_limit_density(size_t d, const double *r, const double *a, const double *b,
                           const mvni_qmc_options *opt, mvni_result *res,
                           double *logdens, double *reldens)
{
    if (ma1_empty(d, a, b, res)) {
        for (size_t i = 0; i < 2 * d; ++i) {
            logdens[i] = -INFINITY;
            reldens[i] = 0.0;
        }
        return MVN_OK;
    }
    ma1_problem m;
    ma1_fine fine;
    ma1_rule q;
    int st = ma1_begin(&m, &fine, &q, d, r, a, b);
    if (st != MVN_OK)
        return st;
    ma1_layout rl = {0};
    double *keep = NULL;
    const size_t top_np = m.maxnb << (MA1_MAX_REFINE + 1);
    st = MVN_ENOMEM;
    if (layout_reversed(&m.lay, &rl) != 0)
        goto out;
    int level;
    st = ma1_solve(&m, &q, &fine, opt, res, &level);
    if (st != MVN_OK && st != MVN_ETOL)
        goto out;
    /* Forward and backward passes at the answering level and the one
       below, their node values kept; the densities from each pair. */
    const size_t nodes = kept_offset(&m.lay, d + 1, level);
    keep = malloc((4 * nodes + 2 * (top_np + 1)) * sizeof *keep);
    if (keep == NULL) {
        st = MVN_ENOMEM;
        goto out;
    }
    double *eh = keep + 4 * nodes, *eg = eh + top_np + 1, evals = 0.0;
    for (int pass = 0; pass < 2; ++pass) {
        const int lv = level - 1 + pass;
        double *hk = keep + (size_t)(2 * pass) * nodes, *gk = hk + nodes;
        if (isnan(fine_pass(&m.c, &m.lay, lv, &q, &fine, hk, &evals)) ||
            isnan(fine_pass(&m.rc, &rl, lv, &q, &fine, gk, &evals))) {
            st = MVNI_MA1_DECLINED;
            goto out;
        }
        for (size_t k = 0; k < d; ++k)
            for (int side = 0; side < 2; ++side) {
                const double x = side ? b[k] : a[k];
                const double ld = isfinite(x) ? ma1_density(&m, &rl, &q, lv, hk, gk, k, x, eh, eg)
                                              : -INFINITY;
                if (pass == 0)
                    reldens[2 * k + side] = ld;
                else {
                    const double prev = reldens[2 * k + side];
                    logdens[2 * k + side] = ld;
                    reldens[2 * k + side] = ld == -INFINITY && prev == -INFINITY ? 0.0
                                            : isnan(ld - prev) ? INFINITY
                                                               : fabs(expm1(prev - ld));
                }
            }
    }
    res->evals += evals;
    /* A density that did not come out a number sends the problem back
       to the conditionals. */
    for (size_t i = 0; i < 2 * d; ++i)
        if (isnan(logdens[i]) || isnan(reldens[i]))
            st = MVNI_MA1_DECLINED;
out:
    free(keep);
    free(rl.edge);
    free(rl.off);
    free(fine.mem);
    ma1_free(&m);
    return st;
}
