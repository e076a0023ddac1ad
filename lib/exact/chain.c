/*
 * exact/chain.c -- P(a < Z < b) for a Gauss-Markov chain by deterministic
 * forward recursion (doc/algorithms/chain.md).
 *
 * Standardized, Z_1 ~ N(0, 1) and Z_k = r_k Z_(k-1) + s_k e_k with
 * s_k = sqrt(1 - r_k^2): the correlation matrices whose precision is
 * tridiagonal in the given order (AR(1), Sigma_ij = rho^|i-j|, and every
 * chain with its own r_k).  Then
 *
 *   f_1(x) = phi(x),  f_k(x) = int f_(k-1)(y) phi((x - r_k y) / s_k) / s_k dy,
 *
 * each restricted to (a_k, b_k), and P = int f_d: d - 1 one-dimensional
 * integrals instead of a d-dimensional one.  Each f_k lives on composite
 * Gauss-Legendre nodes of a window of (a_k, b_k):
 *
 *   - the windows come from the joint mode z* of the truncated law
 *     (minimize z'Qz / 2 over the box, Q the tridiagonal precision, by a
 *     primal-dual active-set method).  The posterior marginal of Z_k is
 *     N(0, 1) times a log-concave function (Prekopa), so its log is
 *     concave with curvature at least 1 and its mass beyond its mode
 *     +-t is below 2 Phi(-t) of the whole; the window is z*_k +-
 *     CHAIN_WINDOW, which leaves CHAIN_WINDOW - 10 for the distance
 *     between the marginal mode and the joint one.  Leaving out the mass
 *     outside the windows changes P by the posterior mass there, which is
 *     what makes the cut relative to P, however small P is;
 *   - panels as wide as the narrower of the kernel widths on either side
 *     (s_k, and s_(k+1) / r_(k+1) in the variable integrated over), with
 *     CHAIN_NODES Gauss-Legendre nodes each;
 *   - f_k is kept in log space, normalized to max 1 with its log scale
 *     apart, and each row of the kernel is formed relative to its largest
 *     term, so that log P stays accurate where P underflows and where f_k
 *     spans more than a double's range across its window.
 *
 * The error estimate is the difference to the same recursion with panels
 * twice as wide (the rule converges spectrally in the panel width, so the
 * difference bounds the finer result's error by a wide margin).  Where it
 * does not meet the request the panels are halved, within a work bound.
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

/* Half-width of a window around the joint mode, in standard deviations of
   the unit-variance marginals: 2 Phi(-10) = 1.5e-23 of the mass of each
   marginal beyond its own mode +-10, with 4 more for the distance between
   the joint and the marginal modes (measured below 1.5 on the families
   of tests/test_chain.c). */
#define CHAIN_WINDOW 14.0
/* Panel width of the first finer pass, in kernel widths: 8-point
   Gauss-Legendre rules on panels 2 and 4 kernel widths wide differ by
   1e-7 .. 1e-11 relative (the error of the 4-wide pass; the 2-wide one
   is within 1e-12 of the reference) on the AR(1) problems of
   tests/test_chain.c, so the default request (1e-5) takes two passes. */
#define CHAIN_UNIT 2.0
/* Kernel terms below e^-CHAIN_DROP of their row's largest are left out. */
#define CHAIN_DROP 40.0
/* Gauss-Legendre nodes per panel. */
#define CHAIN_NODES 8
/* Refinements (halvings of the panels) before giving up with MVN_ETOL. */
#define CHAIN_MAX_REFINE 3
/* The route declines a mode beyond 1e6 standard deviations: there a
   window of +-CHAIN_WINDOW is within a few thousand ulps of its centre
   (at 1e20 it collapsed to a point and P to 0, where log P is -5e39);
   measured exact to 1e-14 relative up to 1e5. */
#define CHAIN_MAX_MODE 1e6
/* Active-set iterations for the mode; each is one tridiagonal solve. */
#define CHAIN_MODE_ITERS 200

/* The chain after the sign change that makes every r_k >= 0 (Z_k times
   the product of the signs so far: P is unchanged and the precision an
   M-matrix, for which the active-set method converges). */
typedef struct {
    size_t d;
    double *r, *s, *a, *b; /* r[0] = 0, s[0] = 1 */
    double *lo, *hi;       /* the windows */
    double *scale;         /* panel width unit of each variable */
    double *lambda_lo, *lambda_hi; /* boundary-layer rates at the window
                                      ends that are limits (else 0) */
    signed char *sign;     /* the sign change of each variable */
    double *mem, *buf;     /* everything above; the passes' nodes */
    int empty;             /* some a_k >= b_k: P = 0 */
} chain;

/* Nodes per window at most: beyond, the work (nodes^2 per variable) is
   that of QMC, which the caller then takes. */
#define CHAIN_CAP 4096

/* The joint mode of N(0, R) on the box: minimize z'Qz / 2, a <= z <= b,
   with Q_kk = 1/s_k^2 + r_(k+1)^2 / s_(k+1)^2, Q_k,k-1 = -r_k / s_k^2.
   Primal-dual active set (Hintermueller, Ito & Kunisch 2002): fix the
   active variables at their limits, solve Q z = 0 on the others (one
   tridiagonal solve), update the sets from the multipliers, until they
   repeat.  work: 5d doubles, act: d bytes.  Returns 0 when converged. */
static int chain_mode(const chain *c, double *z, double *work, signed char *act)
{
    const size_t d = c->d;
    double *diag = work, *sub = work + d, *mu = work + 2 * d,
           *cp = work + 3 * d, *dp = work + 4 * d;
    for (size_t k = 0; k < d; ++k) {
        const double v = c->s[k] * c->s[k];
        diag[k] = 1.0 / v;
        sub[k] = k > 0 ? -c->r[k] / v : 0.0;
        if (k > 0)
            diag[k - 1] += c->r[k] * c->r[k] / v;
        z[k] = fmin(fmax(0.0, c->a[k]), c->b[k]);
        mu[k] = 0.0;
        act[k] = 2; /* unset: forces a first solve */
    }
    for (int it = 0; it < CHAIN_MODE_ITERS; ++it) {
        int changed = 0;
        for (size_t k = 0; k < d; ++k) {
            signed char na = mu[k] + (c->a[k] - z[k]) > 0.0   ? -1
                             : mu[k] + (c->b[k] - z[k]) < 0.0 ? 1
                                                              : 0;
            changed |= na != act[k];
            act[k] = na;
        }
        if (!changed)
            return 0;
        /* Thomas algorithm on the rows of the free variables, identity
           rows (z_k = its limit) for the active ones. */
        for (size_t k = 0; k < d; ++k) {
            double lk = k > 0 && act[k] == 0 ? sub[k] : 0.0;
            double uk = k + 1 < d && act[k] == 0 ? sub[k + 1] : 0.0;
            double dk = act[k] == 0 ? diag[k] : 1.0;
            double rk = act[k] < 0 ? c->a[k] : act[k] > 0 ? c->b[k] : 0.0;
            if (k > 0) {
                dk -= lk * cp[k - 1];
                rk -= lk * dp[k - 1];
            }
            cp[k] = uk / dk;
            dp[k] = rk / dk;
        }
        for (size_t k = d; k-- > 0;)
            z[k] = dp[k] - (k + 1 < d ? cp[k] * z[k + 1] : 0.0);
        for (size_t k = 0; k < d; ++k) {
            double g = diag[k] * z[k];
            if (k > 0)
                g += sub[k] * z[k - 1];
            if (k + 1 < d)
                g += sub[k + 1] * z[k + 1];
            mu[k] = act[k] == 0 ? 0.0 : g;
        }
    }
    return 1;
}

/* Gauss-Legendre nodes of the panel (p0, p1), appended at x + n, w + n. */
static size_t chain_panel(double p0, double p1, const double *gx,
                          const double *gw, int ng, double *x, double *w)
{
    const double mid = 0.5 * (p0 + p1), half = 0.5 * (p1 - p0);
    for (int m = 0; m < ng; ++m) {
        x[m] = mid + half * gx[m];
        w[m] = half * gw[m];
    }
    return (size_t)ng;
}

/* Halvings of a panel of this width toward an end where the integrand
   may fall off at rate lambda: until a panel is 1 / lambda wide. */
static int chain_levels(double width, double lambda)
{
    const double t = width * lambda;
    if (!(t > 1.0))
        return 0;
    return t > 0x1p40 ? 40 : (int)ceil(log2(t));
}

/* The panel (p0, p1) graded geometrically toward p0 (toward p1 when
   width < 0 is passed as p0 > p1): panels of 2^-J, 2^-J, 2^-(J-1), ...,
   1/2 of it from that end. */
static size_t chain_graded(double p0, double p1, int J, const double *gx,
                           const double *gw, int ng, double *x, double *w)
{
    size_t n = 0;
    double at = p0;
    for (int j = J; j >= 0; --j) {
        const double next = j == 0 ? p1 : p0 + (p1 - p0) * ldexp(1.0, -j);
        n += chain_panel(fmin(at, next), fmax(at, next), gx, gw, ng, x + n, w + n);
        at = next;
    }
    return n;
}

/* Nodes and weights of variable k: panels of width about unit * scale[k],
   the end ones graded toward a limit where the integrand may have a
   boundary layer (steep exponential fall into the window: rate
   lambda_lo / lambda_hi); returns the node count, or 0 without writing
   when it would exceed cap. */
static size_t chain_nodes(const chain *c, size_t k, double unit,
                          const double *gx, const double *gw, int ng,
                          size_t cap, double *x, double *w)
{
    const double lo = c->lo[k], hi = c->hi[k], h = unit * c->scale[k];
    const double np = ceil((hi - lo) / h);
    const size_t panels = np < 1.0 ? 1 : np > (double)cap ? cap : (size_t)np;
    const double width = (hi - lo) / (double)panels;
    const double end = panels == 1 ? 0.5 * width : width;
    const int jlo = chain_levels(end, c->lambda_lo[k]),
              jhi = chain_levels(end, c->lambda_hi[k]);
    if (!(((double)panels + 1.0 + jlo + jhi) * ng <= (double)cap))
        return 0;
    size_t n = 0;
    if (panels == 1) {
        const double mid = 0.5 * (lo + hi);
        n += chain_graded(lo, mid, jlo, gx, gw, ng, x + n, w + n);
        n += chain_graded(hi, mid, jhi, gx, gw, ng, x + n, w + n);
        return n;
    }
    for (size_t q = 0; q < panels; ++q) {
        const double p0 = lo + (double)q * width,
                     p1 = q + 1 == panels ? hi : lo + (double)(q + 1) * width;
        if (q == 0)
            n += chain_graded(p0, p1, jlo, gx, gw, ng, x + n, w + n);
        else if (q + 1 == panels)
            n += chain_graded(p1, p0, jhi, gx, gw, ng, x + n, w + n);
        else
            n += chain_panel(p0, p1, gx, gw, ng, x + n, w + n);
    }
    return n;
}

/* log sum_j exp(lg_j - (x - r y_j)^2 / (2 s^2)) over the n nodes y of the
   previous variable, relative to its largest term (found without exp);
   terms below e^-CHAIN_DROP of it are left out (at most n e^-40 = 1e-15
   of the sum).  v: n doubles of scratch (the terms' logs, formed once). */
static double chain_row(double x, const double *y, const double *lg, size_t n,
                        double r, double inv2v, double *v)
{
    double top = -INFINITY;
    for (size_t j = 0; j < n; ++j) {
        const double t = x - r * y[j];
        v[j] = lg[j] - t * t * inv2v;
        top = v[j] > top ? v[j] : top;
    }
    if (!(top > -INFINITY))
        return -INFINITY;
    double sum = 0.0;
    for (size_t j = 0; j < n; ++j)
        if (v[j] - top > -CHAIN_DROP)
            sum += exp(v[j] - top);
    return top + log(sum);
}

/* One forward pass with panels of width unit * scale[k]; returns log P
   (-inf for P = 0), adds the kernel evaluations to *evals.  NAN when a
   window needs more than CHAIN_CAP nodes.  With end != NULL also
   end[2k], end[2k + 1] = log f_k at the limits a_k, b_k (in the chain's
   signs; f_k without the constraint on k itself), -inf where infinite. */
static double chain_pass(const chain *c, double unit, const double *gx,
                         const double *gw, int ng, double *end, double *evals)
{
    /* lg holds log(weight * f_k / max f_k) at the nodes: f_k may span far
       more than the range of a double across its window (the window
       follows the posterior, not f_k: behind a limit 100 sd out, f_k
       falls by e^-1700 across the part that matters), so it never leaves
       log space. */
    const size_t cap = CHAIN_CAP;
    double *x = c->buf, *w = x + cap, *xn = x + 2 * cap, *lg = x + 3 * cap,
           *rowlog = x + 4 * cap, *terms = x + 5 * cap;
    size_t n = chain_nodes(c, 0, unit, gx, gw, ng, cap, x, w);
    if (n == 0)
        return NAN;
    if (end != NULL) {
        end[0] = isfinite(c->a[0]) ? -0.5 * c->a[0] * c->a[0] - MVNI_LN_SQRT_2PI : -INFINITY;
        end[1] = isfinite(c->b[0]) ? -0.5 * c->b[0] * c->b[0] - MVNI_LN_SQRT_2PI : -INFINITY;
    }
    double e0 = INFINITY;
    for (size_t j = 0; j < n; ++j)
        e0 = x[j] * x[j] < e0 ? x[j] * x[j] : e0;
    double logscale = -0.5 * e0 - MVNI_LN_SQRT_2PI;
    for (size_t j = 0; j < n; ++j)
        lg[j] = log(w[j]) - 0.5 * (x[j] * x[j] - e0);
    for (size_t k = 1; k < c->d; ++k) {
        const size_t m = chain_nodes(c, k, unit, gx, gw, ng, cap, xn, w);
        if (m == 0)
            return NAN;
        const double r = c->r[k], inv2v = 0.5 / (c->s[k] * c->s[k]);
        const double shift = logscale - log(c->s[k]) - MVNI_LN_SQRT_2PI;
        if (end != NULL) {
            end[2 * k] = isfinite(c->a[k]) ? shift + chain_row(c->a[k], x, lg, n, r, inv2v, terms)
                                           : -INFINITY;
            end[2 * k + 1] = isfinite(c->b[k]) ? shift + chain_row(c->b[k], x, lg, n, r, inv2v, terms)
                                               : -INFINITY;
        }
        /* f_k at the new nodes; the new lg replaces the old once every
           row's log is known (w already holds the new weights). */
        double best = -INFINITY;
        for (size_t i = 0; i < m; ++i) {
            rowlog[i] = chain_row(xn[i], x, lg, n, r, inv2v, terms);
            best = rowlog[i] > best ? rowlog[i] : best;
        }
        *evals += (double)m * (double)n;
        if (!(best > -INFINITY)) {
            if (end != NULL)
                for (size_t q = 2 * k + 2; q < 2 * c->d; ++q)
                    end[q] = -INFINITY;
            return -INFINITY;
        }
        logscale = shift + best;
        for (size_t i = 0; i < m; ++i) {
            lg[i] = log(w[i]) + rowlog[i] - best;
            x[i] = xn[i];
        }
        n = m;
    }
    double top = -INFINITY, total = 0.0;
    for (size_t j = 0; j < n; ++j)
        top = lg[j] > top ? lg[j] : top;
    for (size_t j = 0; j < n; ++j)
        total += exp(lg[j] - top);
    return top > -INFINITY ? logscale + top + log(total) : -INFINITY;
}

static void chain_free(chain *c)
{
    free(c->mem);
    free(c->sign);
}

/* The chain of r, a, b after the sign change, its mode, windows, panel
   scales and boundary-layer rates.  MVN_OK (free with chain_free),
   MVN_ENOMEM, or MVNI_CHAIN_DECLINED (nothing to free). */
static int chain_init(chain *c, size_t d, const double *r, const double *a,
                      const double *b)
{
    c->d = d;
    c->mem = malloc((15 * d + 6 * CHAIN_CAP) * sizeof *c->mem);
    c->sign = malloc(2 * d);
    if (c->mem == NULL || c->sign == NULL) {
        chain_free(c);
        return MVN_ENOMEM;
    }
    double *mem = c->mem;
    c->r = mem;
    c->s = mem + d;
    c->a = mem + 2 * d;
    c->b = mem + 3 * d;
    c->lo = mem + 4 * d;
    c->hi = mem + 5 * d;
    c->scale = mem + 6 * d;
    c->lambda_lo = mem + 7 * d;
    c->lambda_hi = mem + 8 * d;
    double *z = mem + 9 * d, *work = mem + 10 * d;
    c->buf = mem + 15 * d;
    signed char *act = c->sign + d;
    int sign = 1;
    c->empty = 0;
    for (size_t k = 0; k < d; ++k) {
        const double rk = k > 0 ? r[k] : 0.0;
        if (rk < 0.0)
            sign = -sign;
        c->sign[k] = (signed char)sign;
        c->r[k] = fabs(rk);
        c->s[k] = k > 0 ? sqrt((1.0 - c->r[k]) * (1.0 + c->r[k])) : 1.0;
        c->a[k] = sign > 0 ? a[k] : -b[k];
        c->b[k] = sign > 0 ? b[k] : -a[k];
        c->empty |= !(c->a[k] < c->b[k]);
    }
    if (c->empty)
        return MVN_OK;
    if (chain_mode(c, z, work, act) != 0) {
        chain_free(c);
        return MVNI_CHAIN_DECLINED;
    }
    for (size_t k = 0; k < d; ++k)
        if (!(fabs(z[k]) <= CHAIN_MAX_MODE)) {
            chain_free(c);
            return MVNI_CHAIN_DECLINED;
        }
    for (size_t k = 0; k < d; ++k) {
        c->lo[k] = fmax(c->a[k], z[k] - CHAIN_WINDOW);
        c->hi[k] = fmin(c->b[k], z[k] + CHAIN_WINDOW);
        double h = c->s[k];
        if (k + 1 < d && c->r[k + 1] > 0.0)
            h = fmin(h, c->s[k + 1] / c->r[k + 1]);
        c->scale[k] = h;
    }
    /* A window end that is a limit e can carry a boundary layer: f_k
       falls into the window at up to (e - r_k y) / s_k^2 over the
       previous window's y, and the next kernel at up to
       r_(k+1) (r_(k+1) e - x) / s_(k+1)^2 over the next window's x
       (directed: only a fall into the window counts).  Bounds, used to
       grade the end panels (chain_nodes). */
    for (size_t k = 0; k < d; ++k) {
        const double plo = k > 0 ? c->lo[k - 1] : 0.0, phi = k > 0 ? c->hi[k - 1] : 0.0;
        const double v = c->s[k] * c->s[k];
        double llo = 0.0, lhi = 0.0;
        if (c->lo[k] == c->a[k])
            llo = fmax(0.0, c->lo[k] - c->r[k] * plo) / v;
        if (c->hi[k] == c->b[k])
            lhi = fmax(0.0, c->r[k] * phi - c->hi[k]) / v;
        if (k + 1 < d) {
            const double rn = c->r[k + 1], vn = c->s[k + 1] * c->s[k + 1];
            if (c->lo[k] == c->a[k])
                llo += rn * fmax(0.0, rn * c->lo[k] - c->lo[k + 1]) / vn;
            if (c->hi[k] == c->b[k])
                lhi += rn * fmax(0.0, c->hi[k + 1] - rn * c->hi[k]) / vn;
        }
        c->lambda_lo[k] = llo;
        c->lambda_hi[k] = lhi;
    }
    return MVN_OK;
}

/* P for an initialized chain: passes with panels halved until the
   request is met (the error is the difference to the pass with panels
   twice as wide).  Writes the finest unit that answered to *unit_out.
   MVN_OK, MVN_ETOL, MVN_ECANCELED or MVNI_CHAIN_DECLINED. */
static int chain_solve(const chain *c, const double *gx, const double *gw,
                       const mvni_qmc_options *opt, mvni_result *res,
                       double *unit_out)
{
    if (c->empty) {
        res->p = 0.0;
        res->logp = -INFINITY;
        res->abserr = res->relerr = res->evals = 0.0;
        *unit_out = CHAIN_UNIT;
        return res->status = MVN_OK;
    }
    double evals = 0.0, unit = CHAIN_UNIT;
    double coarse = chain_pass(c, 2.0 * unit, gx, gw, CHAIN_NODES, NULL, &evals);
    if (isnan(coarse))
        return MVNI_CHAIN_DECLINED;
    double fine = coarse, rel = INFINITY, done_unit = unit;
    for (int refine = 0;; ++refine) {
        const double next = chain_pass(c, unit, gx, gw, CHAIN_NODES, NULL, &evals);
        if (isnan(next) && refine == 0)
            return MVNI_CHAIN_DECLINED;
        if (isnan(next))
            break; /* finer panels need more than CHAIN_CAP nodes */
        fine = next;
        done_unit = unit;
        rel = fine == -INFINITY && coarse == -INFINITY ? 0.0 : fabs(expm1(coarse - fine));
        if (opt->monitor != NULL && mvni_monitor_step(opt->monitor, evals)) {
            res->p = res->logp = res->abserr = res->relerr = NAN;
            res->evals = evals;
            return res->status = MVN_ECANCELED;
        }
        if (mvni_tol_met(fine, rel, opt) || refine == CHAIN_MAX_REFINE)
            break;
        coarse = fine;
        unit *= 0.5;
    }
    *unit_out = done_unit;
    res->logp = fine;
    res->p = exp(fine);
    res->relerr = isnan(rel) ? INFINITY
                  : fine == -INFINITY ? 0.0
                                      : fmax(rel, mvni_log_rounding(fine));
    res->abserr = res->relerr * res->p;
    res->evals = evals;
    return res->status = mvni_tol_met(fine, res->relerr, opt) ? MVN_OK : MVN_ETOL;
}

int mvni_chain_prob(size_t d, const double *r, const double *a,
                    const double *b, const mvni_qmc_options *opt,
                    mvni_result *res)
{
    chain c;
    int st = chain_init(&c, d, r, a, b);
    if (st != MVN_OK)
        return st;
    double gx[CHAIN_NODES], gw[CHAIN_NODES], unit;
    mvni_gauss_legendre(CHAIN_NODES, gx, gw);
    st = chain_solve(&c, gx, gw, opt, res, &unit);
    chain_free(&c);
    return st;
}

/* log f at the original a_k (q = 0) or b_k (q = 1) from a pass's end
   values in the chain's signs (a sign change swaps the limits). */
static double chain_end(const chain *c, const double *end, size_t k, int q)
{
    return end[2 * k + (c->sign[k] > 0 ? q : 1 - q)];
}

int mvni_chain_limit_density(size_t d, const double *r, const double *a,
                             const double *b, const mvni_qmc_options *opt,
                             mvni_result *res, double *logdens, double *reldens)
{
    chain f, v;
    double *rr = malloc(3 * d * sizeof *rr);
    if (rr == NULL)
        return MVN_ENOMEM;
    double *ar = rr + d, *br = rr + 2 * d;
    /* The chain backwards: Z_(k-1) = r_k Z_k + s_k e, the same links. */
    for (size_t k = 0; k < d; ++k) {
        rr[k] = k > 0 ? r[d - k] : 0.0;
        ar[k] = a[d - 1 - k];
        br[k] = b[d - 1 - k];
    }
    int st = chain_init(&f, d, r, a, b);
    if (st != MVN_OK) {
        free(rr);
        return st;
    }
    st = chain_init(&v, d, rr, ar, br);
    if (st != MVN_OK) {
        chain_free(&f);
        free(rr);
        return st;
    }
    double gx[CHAIN_NODES], gw[CHAIN_NODES], unit;
    mvni_gauss_legendre(CHAIN_NODES, gx, gw);
    st = chain_solve(&f, gx, gw, opt, res, &unit);
    double *end = malloc(8 * d * sizeof *end);
    if (end == NULL && (st == MVN_OK || st == MVN_ETOL))
        st = MVN_ENOMEM;
    if (st == MVN_OK || st == MVN_ETOL) {
        /* Forward and backward at the answer's panels and at twice them:
           p(Z_k = e, every other constraint) = f_k(e) f^rev_k(e) / phi(e)
           (given Z_k the two sides are independent), and the difference
           between the two widths its error. */
        double *ff = end, *fc = end + 2 * d, *vf = end + 4 * d, *vc = end + 6 * d;
        double ev = 0.0;
        const int ok = f.empty ||
            (!isnan(chain_pass(&f, unit, gx, gw, CHAIN_NODES, ff, &ev)) &&
             !isnan(chain_pass(&f, 2.0 * unit, gx, gw, CHAIN_NODES, fc, &ev)) &&
             !isnan(chain_pass(&v, unit, gx, gw, CHAIN_NODES, vf, &ev)) &&
             !isnan(chain_pass(&v, 2.0 * unit, gx, gw, CHAIN_NODES, vc, &ev)));
        res->evals += ev;
        int nan_seen = 0;
        for (size_t k = 0; k < d && ok; ++k)
            for (int q = 0; q < 2; ++q) {
                const double e = q ? b[k] : a[k];
                double lf = -INFINITY, lc = -INFINITY;
                /* A limit whose square overflows is infinitely far out:
                   density 0 (and -inf - -inf would be NaN: fuzz finding
                   chain-grad-huge-limit). */
                const double lphi = -0.5 * e * e - MVNI_LN_SQRT_2PI;
                if (isfinite(lphi) && !f.empty) {
                    const size_t kr = d - 1 - k;
                    const double f1 = chain_end(&f, ff, k, q), v1 = chain_end(&v, vf, kr, q),
                                 f2 = chain_end(&f, fc, k, q), v2 = chain_end(&v, vc, kr, q);
                    if (f1 > -INFINITY && v1 > -INFINITY)
                        lf = f1 + v1 - lphi;
                    if (f2 > -INFINITY && v2 > -INFINITY)
                        lc = f2 + v2 - lphi;
                    if (!(lf == lf) || !(lc == lc))
                        lf = lc = NAN;
                }
                logdens[2 * k + q] = lf;
                reldens[2 * k + q] = lf == -INFINITY ? 0.0
                                     : fmax(fabs(expm1(lc - lf)), mvni_log_rounding(lf));
                /* NaN, or zero at one width only: not resolved. */
                if (isnan(lf) || (lf == -INFINITY) != (lc == -INFINITY))
                    nan_seen = 1;
            }
        /* A density not resolved: leave the problem to the conditionals. */
        if (!ok || nan_seen)
            st = MVNI_CHAIN_DECLINED;
    }
    free(end);
    chain_free(&f);
    chain_free(&v);
    free(rr);
    return st;
}
