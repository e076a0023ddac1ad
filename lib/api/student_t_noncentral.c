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
/* A node's values: c(u) and c(u) W (for the nodes' error floors), then
   c(u) times the derivatives: W d_lower (d), W d_upper (d), d_sigma (d^2
   or none). */
#define NC_C 0
#define NC_CW 1
#define NC_D0 2

typedef struct {
    mvn_context *ctx;
    size_t d, nv;           /* nv: NC_D0 + 2 d (+ d^2 with d_sigma) */
    double df;
    const double *lower, *upper, *delta, *sigma;
    double *lo, *up, *gl, *gu, *gs; /* node scratch */
    double evals;
    int status;
} nc_problem;

/* The node at u: its nv values in out (see NC_C). */
static int nc_node(nc_problem *np, double u, double *out)
{
    const size_t d = np->d;
    const double w = exp(u), c = exp(mvni_chi_log_weight(np->df, u));
    if (mvni_t_scale_limits(d, np->lower, np->upper, w, np->lo, np->up) || c == 0.0) {
        /* mvn_prob_t refused such boxes in the bulk; far left they are 0
           (student_t.c, node). */
        memset(out, 0, np->nv * sizeof(double));
        return MVN_OK;
    }
    double p = NAN, lp = NAN, e = NAN;
    const int st = mvn_prob_grad(np->ctx, d, np->lo, np->up, np->delta, np->sigma, &p, &lp,
                                 &e, np->gl, np->gu, NULL,
                                 np->nv > NC_D0 + 2 * d ? np->gs : NULL);
    np->evals += mvn_context_evaluations(np->ctx);
    if (st != MVN_OK && st != MVN_ETOL)
        return st;
    if (st == MVN_ETOL)
        np->status = MVN_ETOL;
    out[NC_C] = c;
    out[NC_CW] = c * w;
    for (size_t i = 0; i < d; ++i) {
        out[NC_D0 + i] = c * w * np->gl[i];
        out[NC_D0 + d + i] = c * w * np->gu[i];
    }
    for (size_t k = NC_D0 + 2 * d; k < np->nv; ++k)
        out[k] = c * np->gs[k - NC_D0 - 2 * d];
    return MVN_OK;
}

/* One panel [a, b]: the Kronrod sums of the nodes' values to k, their
   error estimates to e (mvni_kr21_error); v: nv doubles of scratch. */
static int nc_panel(nc_problem *np, double a, double b, double *k, double *e, double *v)
{
    const size_t nv = np->nv;
    const double c = 0.5 * (a + b), h = 0.5 * (b - a);
    double *g = e; /* the Gauss sums first, then replaced by the errors */
    int st = nc_node(np, c, v);
    if (st != MVN_OK)
        return st;
    for (size_t m = 0; m < nv; ++m)
        k[m] = kr21_w0 * v[m], g[m] = 0.0;
    for (int i = 0; i < 10; ++i)
        for (int side = -1; side <= 1; side += 2) {
            st = nc_node(np, c + side * h * kr21_x[i], v);
            if (st != MVN_OK)
                return st;
            for (size_t m = 0; m < nv; ++m) {
                k[m] += kr21_w[i] * v[m];
                if (i % 2 == 1) /* the Gauss nodes are kr21_x[1], [3], ... */
                    g[m] += gl10_w[i / 2] * v[m];
            }
        }
    for (size_t m = 0; m < nv; ++m) {
        k[m] *= h;
        e[m] = mvni_kr21_error(fabs(k[m] - h * g[m]), k[m]);
    }
    return MVN_OK;
}

int mvni_t_grad_noncentral(mvn_context *ctx, size_t d, double df, const double *lower,
                           const double *upper, const double *delta, const double *sigma,
                           double logp, double *d_lower, double *d_upper, double *d_sigma,
                           double *evals)
{
    const size_t nv = NC_D0 + 2 * d + (d_sigma ? d * d : 0);
    /* Panels' sums and errors, totals, errors and targets, node scratch. */
    const size_t nbuf = 2 * NC_MAXPANELS * nv + 4 * nv + 4 * d + d * d;
    double *buf = (double *)malloc(nbuf * sizeof(double));
    double *pa = (double *)malloc(2 * NC_MAXPANELS * sizeof(double));
    if (buf == NULL || pa == NULL) {
        free(buf);
        free(pa);
        return mvni_fail(ctx, MVN_ENOMEM, "out of memory for the derivatives of a "
                         "noncentral t, d = %zu", d);
    }
    double *K = buf, *E = K + NC_MAXPANELS * nv, *tot = E + NC_MAXPANELS * nv;
    double *err = tot + nv, *target = err + nv, *v = target + nv, *scratch = v + nv;
    double *pb = pa + NC_MAXPANELS;
    nc_problem np = {ctx, d, nv, df, lower, upper, delta, sigma, scratch, scratch + d,
                     scratch + 2 * d, scratch + 3 * d, scratch + 4 * d, 0.0, MVN_OK};
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
    /* The chi density's integral: the sums below are relative to it. */
    const double z = exp(mvni_chi_log_integral(df, left, right));
    int n = 2, st = MVN_OK;
    pa[0] = -left, pb[0] = 0.0, pa[1] = 0.0, pb[1] = right;
    for (int i = 0; i < 2 && st == MVN_OK; ++i)
        st = nc_panel(&np, pa[i], pb[i], K + i * nv, E + i * nv, v);
    /* Panels as wide again on the left while the chi density's mass there
       is not within 1e-12 of P (student_t.c). */
    double t_lo = -left;
    for (int ext = 0; ext < 16 && st == MVN_OK && n < NC_MAXPANELS; ++ext) {
        if (!(isfinite(logp) && mvni_chi_log_left_bound(df, t_lo) > log(NC_RELFLOOR) + logp))
            break;
        pa[n] = 2.0 * t_lo, pb[n] = t_lo;
        t_lo = pa[n];
        st = nc_panel(&np, pa[n], pb[n], K + n * nv, E + n * nv, v);
        ++n;
    }
    int met = 0;
    while (st == MVN_OK) {
        double big = 0.0;
        for (size_t m = 0; m < nv; ++m) {
            tot[m] = err[m] = 0.0;
            for (int i = 0; i < n; ++i)
                tot[m] += K[i * nv + m], err[m] += E[i * nv + m];
            if (m >= NC_D0)
                big = fmax(big, fabs(tot[m]));
        }
        /* Each derivative's target; the worst panel by its largest
           error / target. */
        met = 1;
        for (size_t m = NC_D0; m < nv; ++m) {
            double t = fmax(0.5 * fmax(abseps * z, releps * fabs(tot[m])), NC_RELFLOOR * big);
            /* The nodes' own errors: at most their tolerance, abseps / 2,
               times W for the limits. */
            if (!exact_nodes)
                t = fmax(t, 0.5 * abseps * tot[m < NC_D0 + 2 * d ? NC_CW : NC_C]);
            target[m] = t > 0.0 ? t : DBL_MIN;
            met &= err[m] <= target[m];
        }
        if (met || n >= NC_MAXPANELS)
            break;
        int worst = 0;
        double we = -1.0;
        for (int i = 0; i < n; ++i) {
            double r = 0.0;
            for (size_t m = NC_D0; m < nv; ++m)
                r = fmax(r, E[i * nv + m] / target[m]);
            if (r > we)
                we = r, worst = i;
        }
        const double mid = 0.5 * (pa[worst] + pb[worst]);
        pa[n] = mid, pb[n] = pb[worst];
        pb[worst] = mid;
        st = nc_panel(&np, pa[worst], pb[worst], K + worst * nv, E + worst * nv, v);
        if (st == MVN_OK)
            st = nc_panel(&np, pa[n], pb[n], K + n * nv, E + n * nv, v);
        ++n;
    }
    ctx->option[MVN_OPT_ABSEPS] = abseps;
    ctx->option[MVN_OPT_RELEPS] = releps;
    *evals += np.evals;
    if (st == MVN_OK) {
        for (size_t i = 0; i < d; ++i) {
            if (d_lower)
                d_lower[i] = tot[NC_D0 + i] / z;
            if (d_upper)
                d_upper[i] = tot[NC_D0 + d + i] / z;
        }
        for (size_t k = 0; d_sigma && k < d * d; ++k)
            d_sigma[k] = tot[NC_D0 + 2 * d + k] / z;
        st = met && np.status == MVN_OK ? MVN_OK : MVN_ETOL;
    }
    free(buf);
    free(pa);
    return st;
}
