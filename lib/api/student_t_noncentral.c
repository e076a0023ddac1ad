/*
 * api/student_t_noncentral.c -- derivatives of noncentral multivariate t
 * probabilities (mvn_prob_t_grad and mvn_prob_t_grad_sigma with a nonzero
 * delta).
 *
 * The noncentral (Kshirsagar) t, T = (Y + delta) / W, has no t for its
 * conditional law, so the central route (student_t_grad.c: the density at
 * a limit times a conditional t probability) does not apply.  Instead the
 * derivatives are taken under the outer integral over the chi variable
 * that defines P (student_t.c):
 *     P = E_W[ P_N(a W, b W) ],  P_N(l, u) = P(l < Y + delta < u),
 * so, with u = log W and c(u) the chi density in u (qmc/chi.c),
 *     dP/db_i     = E_W[ W dP_N/du_i (a W, b W) ],
 *     dP/da_i     = E_W[ W dP_N/dl_i (a W, b W) ],
 *     dP/dSigma   = E_W[ dP_N/dSigma (a W, b W) ],
 * each node's normal derivatives from mvn_prob_grad (closed forms: exact
 * kernels for d <= 3 and their conditionals, QMC beyond).  (The derivative
 * in delta is not an output: it is -E_W[dP_N/dl + dP_N/du], not
 * -(d_lower + d_upper) as for a location.)
 *
 * The integral is taken as P's is: 21-point Gauss-Kronrod panels in u on
 * the chi density's range cut at its maximum, panels added on the left
 * where P is so small that the density's left tail matters, and the panel
 * with the largest error (|Kronrod - Gauss| of every output, each against
 * its own target: half of max(abseps, releps |value|), and not below
 * 1e-12 of the largest output, the rounding floor) halved until every
 * output meets its target or QT_MAXPANELS panels are in use.  The nodes
 * are asked for half of abseps and releps.  P, log P and abserr are
 * mvn_prob_t's (the caller's); the status is MVN_ETOL where an output or
 * a node missed its target.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/context.h"
#include "api/student_t.h"
#include "exact/kronrod.h"
#include "qmc/qmc.h"
#include "mvnorm.h"

#define NC_MAXPANELS 48
#define NC_RELFLOOR 1e-12     /* outputs below this of the largest: rounding */
#define NC_TINY_WIDTH 1e-318  /* as student_t.c: such scaled boxes are 0 ... */
#define NC_TINY_LEFT 11.5     /* ... far left of the bulk */

typedef struct {
    mvn_context *ctx;
    size_t d, nv;           /* outputs: P_N, d_lower (d), d_upper (d), d_sigma (d^2 or 0) */
    double df;
    const double *lower, *upper, *delta, *sigma;
    double *lo, *up, *gl, *gu, *gs; /* node scratch */
    double evals;
    int status;
    double node_c, node_cw; /* the last node's c(u) and c(u) W */
} nc_problem;

/* The node at u: out[k] = c(u) times output k (P_N, W d_lower, W d_upper,
   d_sigma). */
static int nc_node(nc_problem *np, double u, double *out)
{
    const size_t d = np->d;
    const double w = exp(u), c = exp(mvni_chi_log_weight(np->df, u));
    np->node_c = c, np->node_cw = c * w;
    int narrow = 0;
    for (size_t i = 0; i < d; ++i) {
        const double a = np->lower ? np->lower[i] : -INFINITY;
        const double b = np->upper ? np->upper[i] : INFINITY;
        np->lo[i] = isinf(a) ? a : a * w;
        np->up[i] = isinf(b) ? b : b * w;
        narrow |= isfinite(a) && isfinite(b) && np->up[i] - np->lo[i] < NC_TINY_WIDTH;
    }
    if (narrow || c == 0.0) {
        /* mvn_prob_t refused such boxes in the bulk; far left they are 0
           (student_t.c, node). */
        memset(out, 0, np->nv * sizeof(double));
        return MVN_OK;
    }
    double p = NAN, lp = NAN, e = NAN;
    const int st = mvn_prob_grad(np->ctx, d, np->lo, np->up, np->delta, np->sigma, &p, &lp,
                                 &e, np->gl, np->gu, NULL, np->nv > 1 + 2 * d ? np->gs : NULL);
    np->evals += mvn_context_evaluations(np->ctx);
    if (st != MVN_OK && st != MVN_ETOL)
        return st;
    if (st == MVN_ETOL)
        np->status = MVN_ETOL;
    out[0] = c * p;
    for (size_t i = 0; i < d; ++i) {
        out[1 + i] = c * w * np->gl[i];
        out[1 + d + i] = c * w * np->gu[i];
    }
    for (size_t k = 1 + 2 * d; k < np->nv; ++k)
        out[k] = c * np->gs[k - 1 - 2 * d];
    return MVN_OK;
}

/* One panel [a, b]: the Kronrod sums to k, the error estimate to e
   (QUADPACK's qk21 scaling of |Kronrod - Gauss|, as student_t.c); the
   Kronrod sums of c and c W to cw[0], cw[1]; node values in v (nv
   doubles). */
static int nc_panel(nc_problem *np, double a, double b, double *k, double *e, double *cw,
                    double *v)
{
    const size_t nv = np->nv;
    const double c = 0.5 * (a + b), h = 0.5 * (b - a);
    double *g = e; /* the Gauss sums first, then replaced by |K - G| */
    int st = nc_node(np, c, v);
    if (st != MVN_OK)
        return st;
    cw[0] = kr21_w0 * np->node_c, cw[1] = kr21_w0 * np->node_cw;
    for (size_t m = 0; m < nv; ++m)
        k[m] = kr21_w0 * v[m], g[m] = 0.0;
    for (int i = 0; i < 10; ++i)
        for (int side = -1; side <= 1; side += 2) {
            st = nc_node(np, c + side * h * kr21_x[i], v);
            if (st != MVN_OK)
                return st;
            cw[0] += kr21_w[i] * np->node_c, cw[1] += kr21_w[i] * np->node_cw;
            for (size_t m = 0; m < nv; ++m) {
                k[m] += kr21_w[i] * v[m];
                if (i % 2 == 1) /* the Gauss nodes are kr21_x[1], [3], ... */
                    g[m] += gl10_w[i / 2] * v[m];
            }
        }
    cw[0] *= h, cw[1] *= h;
    for (size_t m = 0; m < nv; ++m) {
        k[m] *= h;
        const double kg = fabs(k[m] - h * g[m]), ak = fabs(k[m]);
        e[m] = ak > 0.0 ? fmin(kg, ak * pow(200.0 * kg / ak, 1.5)) : kg;
    }
    return MVN_OK;
}

int mvni_t_grad_noncentral(mvn_context *ctx, size_t d, double df, const double *lower,
                           const double *upper, const double *delta, const double *sigma,
                           double logp, double *d_lower, double *d_upper, double *d_sigma,
                           double *evals)
{
    const size_t nv = 1 + 2 * d + (d_sigma ? d * d : 0);
    /* Panels' sums and errors, totals and targets, node scratch. */
    const size_t nbuf = 2 * NC_MAXPANELS * nv + 2 * NC_MAXPANELS + 3 * nv + 4 * d + d * d;
    double *buf = (double *)malloc(nbuf * sizeof(double));
    double *pa = (double *)malloc(2 * NC_MAXPANELS * sizeof(double));
    if (buf == NULL || pa == NULL) {
        free(buf);
        free(pa);
        return mvni_fail(ctx, MVN_ENOMEM, "out of memory for the derivatives of a "
                         "noncentral t, d = %zu", d);
    }
    double *K = buf, *E = K + NC_MAXPANELS * nv, *tot = E + NC_MAXPANELS * nv;
    double *err = tot + nv, *v = err + nv, *CW = v + nv, *scratch = CW + 2 * NC_MAXPANELS;
    double *pb = pa + NC_MAXPANELS;
    nc_problem np = {ctx, d, nv, df, lower, upper, delta, sigma, scratch, scratch + d,
                     scratch + 2 * d, scratch + 3 * d, scratch + 4 * d, 0.0, MVN_OK, 0.0, 0.0};
    double method;
    mvn_context_get(ctx, MVN_OPT_METHOD, &method);
    /* Nodes answered by the exact kernels and their conditionals (d <= 3
       under METHOD_AUTO) are exact to rounding; QMC nodes carry errors up
       to their tolerance, which |Kronrod - Gauss| would chase as if it
       were the rule's (student_t.c's quadrature met the same). */
    const int exact_nodes = d <= 3 && method == MVN_METHOD_AUTO;
    double abseps, releps;
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    mvn_context_get(ctx, MVN_OPT_RELEPS, &releps);
    ctx->option[MVN_OPT_ABSEPS] = 0.5 * abseps; /* restored below (as student_t.c) */
    ctx->option[MVN_OPT_RELEPS] = 0.5 * releps;

    const double left = mvni_chi_range(df, -1.0), right = mvni_chi_range(df, 1.0);
    int n = 2, st = MVN_OK;
    pa[0] = -left, pb[0] = 0.0, pa[1] = 0.0, pb[1] = right;
    for (int i = 0; i < 2 && st == MVN_OK; ++i)
        st = nc_panel(&np, pa[i], pb[i], K + i * nv, E + i * nv, CW + 2 * i, v);
    /* Left of the range the integrand of P is at most c, whose integral
       beyond t_lo is at most c(t_lo) / (log c)'(t_lo) (student_t.c): where
       that is not within 1e-12 of P, a panel as wide again on the left. */
    double t_lo = -left;
    for (int ext = 0; ext < 16 && st == MVN_OK && n < NC_MAXPANELS; ++ext) {
        const double slope = -df * expm1(2.0 * t_lo);
        const double rest = mvni_chi_log_weight(df, t_lo) - log(slope) - 0.5 * log(M_PI / df);
        if (!(isfinite(logp) && rest > log(NC_RELFLOOR) + logp))
            break;
        pa[n] = 2.0 * t_lo, pb[n] = t_lo;
        t_lo = pa[n];
        st = nc_panel(&np, pa[n], pb[n], K + n * nv, E + n * nv, CW + 2 * n, v);
        ++n;
    }
    int met = 0;
    while (st == MVN_OK) {
        double big = 0.0;
        for (size_t m = 0; m < nv; ++m) {
            tot[m] = err[m] = 0.0;
            for (int i = 0; i < n; ++i)
                tot[m] += K[i * nv + m], err[m] += E[i * nv + m];
            if (m > 0)
                big = fmax(big, fabs(tot[m]));
        }
        /* Each output's target (relative to the chi density's integral,
           applied below); the worst panel by its largest error/target. */
        const double z = exp(mvni_chi_log_integral(df, left, right));
        double sc = 0.0, scw = 0.0;
        for (int i = 0; i < n; ++i)
            sc += CW[2 * i], scw += CW[2 * i + 1];
        /* P (output 0) only places the panels on the left: its value is
           mvn_prob_t's. */
        met = 1;
        v[0] = DBL_MAX;
        for (size_t m = 1; m < nv; ++m) {
            double target = fmax(0.5 * fmax(abseps * z, releps * fabs(tot[m])),
                                 NC_RELFLOOR * big);
            /* The nodes' own errors: at most their tolerance, abseps / 2,
               times W for the limits. */
            if (!exact_nodes)
                target = fmax(target, 0.5 * abseps * (m <= 2 * d ? scw : sc));
            v[m] = target > 0.0 ? target : DBL_MIN;
            met &= err[m] <= v[m];
        }
        if (met || n >= NC_MAXPANELS)
            break;
        int worst = 0;
        double we = -1.0;
        for (int i = 0; i < n; ++i) {
            double r = 0.0;
            for (size_t m = 0; m < nv; ++m)
                r = fmax(r, E[i * nv + m] / v[m]);
            if (r > we)
                we = r, worst = i;
        }
        const double mid = 0.5 * (pa[worst] + pb[worst]);
        pa[n] = mid, pb[n] = pb[worst];
        pb[worst] = mid;
        st = nc_panel(&np, pa[worst], pb[worst], K + worst * nv, E + worst * nv,
                      CW + 2 * worst, v);
        if (st == MVN_OK)
            st = nc_panel(&np, pa[n], pb[n], K + n * nv, E + n * nv, CW + 2 * n, v);
        ++n;
    }
    ctx->option[MVN_OPT_ABSEPS] = abseps;
    ctx->option[MVN_OPT_RELEPS] = releps;
    *evals += np.evals;
    if (st == MVN_OK) {
        const double z = exp(mvni_chi_log_integral(df, left, right));
        for (size_t i = 0; i < d; ++i) {
            if (d_lower)
                d_lower[i] = tot[1 + i] / z;
            if (d_upper)
                d_upper[i] = tot[1 + d + i] / z;
        }
        for (size_t k = 0; d_sigma && k < d * d; ++k)
            d_sigma[k] = tot[1 + 2 * d + k] / z;
        st = met && np.status == MVN_OK ? MVN_OK : MVN_ETOL;
    }
    free(buf);
    free(pa);
    return st;
}
