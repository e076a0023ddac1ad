/*
 * api/student_t.c -- multivariate t probabilities (mvn_prob_t): mvtnorm's
 * pmvt with noncentrality delta (Kshirsagar's, mvtnorm's default type).
 *
 * T = (Y + delta) / W with Y ~ N(0, Sigma) and W = S / sqrt(df), S ~ chi
 * with df degrees of freedom, independent of Y, so
 *   P(a < T < b) = E_S[ P_N(a S / sqrt(df) < Y + delta < b S / sqrt(df)) ],
 * one normal probability per value of S (Genz and Bretz 2009, ch. 4.2,
 * separate the chi variable the same way).  The outer integral is taken in
 * t = log S, where the chi density times S,
 *   c(t) = 2^(1 - df/2) / Gamma(df/2) exp(df t - e^(2t) / 2),
 * is smooth and log-concave (maximum at t* = log(df) / 2, width 1 / sqrt(2 df)
 * there; it decays like e^(df t) to the left -- the heavy tails of T come
 * from small S -- and like exp(-e^(2t) / 2) to the right).  The range is
 * where c(t) is within e^-46 of its maximum, cut at t*, by adaptive
 * 21-point Gauss-Kronrod panels (exact/kronrod.h): the panel with the
 * largest error estimate (QUADPACK's scaled |Kronrod - Gauss|) is halved
 * until the sum of the estimates is within the target (QT_RELTOL of P for
 * exact nodes, half the tolerance for QMC ones, whose own tolerance is
 * the other half) or QT_MAXPANELS
 * panels are in use.  Where P is so small that the chi density's left
 * tail beyond the range could matter, panels are added on the left.
 * Each node's normal probability is the library's own (exact kernels for
 * d <= 3, QMC beyond, with the context's options and seed: the same
 * lattice at every node, so the integrand stays smooth in t).  The sum is
 * kept in logs, so log P is accurate where P underflows.
 * abserr = quadrature estimate + sum_i w_i c(t_i) abserr_i.
 * MAXPTS bounds the nodes' QMC evaluations together: each panel's nodes
 * get an equal part of what is left (1000 at least), and no panel is
 * added once it is spent (status ETOL if the tolerance is not met).
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
#include "backend/validate.h"
#include "exact/kronrod.h"
#include "qmc/qmc.h"
#include "solve/solve.h"
#include "mvnorm.h"

#define QT_MAXPANELS 48 /* panels of the outer integral, at most */
#define QT_RELTOL 1e-12 /* quadrature target, relative to P */
#define QT_MIN_NODE_PTS 1000 /* a node's QMC budget, at least (MAXPTS's minimum) */
#define QT_PILOT_PTS 262144  /* METHOD_AUTO: the lattice's first budget */
#define QT_PILOT_P 0.01      /* below it the quadrature's tilted nodes go first */

typedef struct {
    mvn_context *ctx;
    size_t d;
    double df;
    const double *lower, *upper, *delta, *sigma;
    double *lo, *up;              /* scaled limits, d each */
    double evals;
    double budget;                /* MAXPTS: the nodes' evaluations together */
    int status;                   /* worst status of the node calls */
} t_problem;

/* One panel: its Kronrod and Gauss sums (scaled by exp(-m)) and the node
   errors sum_i w_i c(t_i) abserr_i (also scaled). */
typedef struct {
    double a, b;
    double m;       /* the scale: the largest log term of the panel */
    double k, g;    /* Kronrod and Gauss sums times exp(-m) */
    double nerr;    /* node error times exp(-m) */
} t_panel;

int mvni_t_scale_limits(size_t d, const double *lower, const double *upper, double w,
                        double *lo, double *up)
{
    int narrow = 0;
    for (size_t i = 0; i < d; ++i) {
        const double a = lower ? lower[i] : -INFINITY;
        const double b = upper ? upper[i] : INFINITY;
        lo[i] = isinf(a) ? a : a * w; /* no inf * 0 where W underflows */
        up[i] = isinf(b) ? b : b * w;
        narrow |= isfinite(a) && isfinite(b) && up[i] - lo[i] < MVNI_T_TINY_WIDTH;
    }
    return narrow;
}

/* log c(t) + log P_N at t, and the node's abserr times c(t) in *err;
   -inf when P_N = 0.  c is log_weight's, up to the constant. Records the
   first failing status. */
static double node(t_problem *tp, double u, double *err)
{
    /* S / sqrt(df) = exp(t - t*) = exp(u): taken in u, t* never rounds
       away the chi density's width (1 / sqrt(2 df), 1e-150 at df = 1e300). */
    const double logc = mvni_chi_log_weight(tp->df, u);
    if (mvni_t_scale_limits(tp->d, tp->lower, tp->upper, exp(u), tp->lo, tp->up)) {
        /* An interval scaled below 1e-318, deep in the subnormals.  Far
           left of the bulk (S below 1e-5 of its mode and more) the
           integrand is at most c(t) S^d times the box's density bound
           there, a share of P below e^-11d relative to the bulk's: such
           nodes count as 0.  In the bulk the problem's own intervals are
           that narrow: not supported. */
        if (u > -MVNI_T_TINY_LEFT && tp->status == MVN_OK) {
            tp->status = mvni_fail(tp->ctx, MVN_EUNSUPPORTED,
                                   "a finite interval narrower than %g after scaling by "
                                   "the chi variable: the t probability of so narrow a "
                                   "box is not resolved", MVNI_T_TINY_WIDTH);
        }
        *err = 0.0;
        return -INFINITY;
    }
    double p = NAN, lp = NAN, e = NAN;
    int st = mvn_prob(tp->ctx, tp->d, tp->lo, tp->up, tp->delta, tp->sigma, &p, &lp, &e);
    tp->evals += mvn_context_evaluations(tp->ctx);
    if (st != MVN_OK && tp->status == MVN_OK)
        tp->status = st;
    if (st != MVN_OK && st != MVN_ETOL) {
        *err = NAN;
        return NAN;
    }
    *err = e > 0.0 ? exp(logc + log(e)) : 0.0;
    return logc + lp;
}

/* The Kronrod and Gauss sums of one panel, in logs.  share: the number of
   panels (this one included) that the rest of the budget is evaluated
   for now; each of this panel's 21 nodes may use its part of it. */
static int panel_eval(t_problem *tp, t_panel *pn, int share)
{
    const double c = 0.5 * (pn->a + pn->b), h = 0.5 * (pn->b - pn->a);
    double lv[21], ne[21];
    const double left = (tp->budget - tp->evals) / (21.0 * share);
    tp->ctx->option[MVN_OPT_MAXPTS] = fmin(tp->budget, fmax(QT_MIN_NODE_PTS, floor(left)));
    lv[0] = node(tp, c, &ne[0]);
    for (int i = 0; i < 10; ++i) {
        lv[1 + 2 * i] = node(tp, c - h * kr21_x[i], &ne[1 + 2 * i]);
        lv[2 + 2 * i] = node(tp, c + h * kr21_x[i], &ne[2 + 2 * i]);
    }
    if (tp->status != MVN_OK && tp->status != MVN_ETOL)
        return tp->status;
    double m = -INFINITY;
    for (int i = 0; i < 21; ++i)
        m = fmax(m, lv[i]);
    pn->m = isfinite(m) ? m : 0.0;
    double k = kr21_w0 * exp(lv[0] - pn->m), g = 0.0, nerr = kr21_w0 * ne[0];
    for (int i = 0; i < 10; ++i) {
        const double f = exp(lv[1 + 2 * i] - pn->m) + exp(lv[2 + 2 * i] - pn->m);
        k += kr21_w[i] * f;
        nerr += kr21_w[i] * (ne[1 + 2 * i] + ne[2 + 2 * i]);
        if (i % 2 == 1) /* the Gauss nodes are kr21_x[1], [3], ... */
            g += gl10_w[i / 2] * f;
    }
    pn->k = h * k;
    pn->g = h * g;
    /* Node errors are absolute; scaled like the sums (an underflowing
       exp(-m) leaves them 0 where the panel's terms are 0 anyway). */
    pn->nerr = h * nerr * exp(-pn->m);
    if (!isfinite(pn->nerr))
        pn->nerr = h * nerr;
    return MVN_OK;
}

/* log P: the log of the sum over panels of exp(m) k, divided by the
   integral of c; the error estimates relative to P (quadrature: sum of
   the scaled |k - g|; nodes: sum nerr), and the worst panel. */
static double total(const t_panel *pn, int np, double *qerr, double *nerr, int *worst)
{
    double M = -INFINITY;
    for (int i = 0; i < np; ++i)
        if (pn[i].k > 0.0)
            M = fmax(M, pn[i].m);
    double s = 0.0, q = 0.0, n = 0.0, we = -1.0;
    *worst = 0;
    for (int i = 0; i < np; ++i) {
        if (!(pn[i].k > 0.0)) {
            /* Every node 0 (limits scaled into the subnormals far left):
               only the nodes' absolute errors, unscaled there (m = 0),
               count; 0 * exp(-M) = NaN otherwise (M is -1337 for a box of
               width 1e-290). */
            if (pn[i].nerr > 0.0)
                n += exp(log(pn[i].nerr) - M);
            continue;
        }
        const double f = isfinite(M) ? exp(pn[i].m - M) : 1.0;
        /* QUADPACK's qk21 scaling of |K - G| (the integrand is positive):
           the error of the 21-point result, not of the 10-point rule. */
        const double kg = fabs(pn[i].k - pn[i].g);
        const double e = mvni_kr21_error(kg, pn[i].k) * f;
        s += pn[i].k * f;
        q += e;
        n += pn[i].nerr * f;
        if (e > we)
            we = e, *worst = i;
    }
    *qerr = s > 0.0 ? q / s : 0.0;
    *nerr = s > 0.0 ? n / s : 0.0;
    return s > 0.0 ? M + log(s) : -INFINITY;
}

/*
 * The lattice route: the chi variable as one more coordinate of the
 * lattice (qmc/sov.c, mvni_sov_qmc_t), one integration for the whole
 * probability instead of one per node of the outer quadrature.  Returns
 * MVNI_NOT_STRUCTURED where it does not apply (a zero variance, a
 * singular or indefinite factor, an input the normal's validation
 * refuses: the quadrature route then answers, with the library's usual
 * message), else the status of the integration with *res set.
 */
static int t_lattice(mvn_context *ctx, size_t d, double df, const double *lower,
                     const double *upper, const double *delta, const double *sigma,
                     double maxpts, mvni_result *res)
{
    double *buf = (double *)malloc((2 * d * d + 7 * d) * sizeof(double));
    size_t *perm = (size_t *)malloc(d * sizeof(size_t));
    if (buf == NULL || perm == NULL) {
        free(buf);
        free(perm);
        return MVNI_NOT_STRUCTURED;
    }
    double *S = buf, *L = buf + d * d, *a = L + d * d, *b = a + d, *dl = b + d;
    double *ar = dl + d, *br = ar + d, *work = br + d; /* work: 2d */
    char msg[MVNI_MESSAGE_SIZE];
    const mvni_input in = {lower, 1, upper, 1, NULL, 1, sigma, (ptrdiff_t)d, 1, MVN_SIGMA_COV};
    int st = mvni_load_problem(d, &in, a, b, S, msg, sizeof msg);
    if (st != MVN_OK)
        goto fallback;
    for (size_t i = 0; i < d; ++i) {
        const double sd = sqrt(S[i * d + i]);
        const double di = delta ? delta[i] : 0.0;
        if (!(sd > 0.0) || !isfinite(di))
            goto fallback;
        a[i] = mvni_standardize_limit(a[i], sd);
        b[i] = mvni_standardize_limit(b[i], sd);
        dl[i] = di / sd;
        work[i] = sd;
    }
    /* The correlation matrix (in place), and the order chosen on the
       limits at W = 1 (shifted by the noncentrality), as Genz's MVTDST
       does. */
    for (size_t i = 0; i < d; ++i) {
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : S[i * d + j] / (work[i] * work[j]);
        ar[i] = a[i] - dl[i];
        br[i] = b[i] - dl[i];
    }
    mvni_solve_options opt;
    mvni_solve_options_from_context(ctx, &opt);
    opt.qmc.maxpts = maxpts;
    if (mvni_chol_reorder(d, S, ar, br, opt.reorder, L, perm, work) != MVN_OK)
        goto fallback;
    for (size_t k = 0; k < d; ++k) {
        ar[k] = a[perm[k]];
        br[k] = b[perm[k]];
        work[k] = dl[perm[k]];
    }
    const mvni_chi_map *chi = mvni_context_chi_map(ctx, df);
    if (chi == NULL)
        goto fallback;
    st = mvni_sov_qmc_t(d, L, ar, br, delta ? work : NULL, chi, &opt.qmc, res);
    free(buf);
    free(perm);
    return st;
fallback:
    free(buf);
    free(perm);
    return MVNI_NOT_STRUCTURED;
}

/*
 * The quadrature route (file comment): the outer integral over the chi
 * variable, one normal probability per node.  Returns MVN_OK or MVN_ETOL
 * with *P, *lp, *err set (the context's message says why on ETOL), or the
 * failing status of a node or of memory; *evals the nodes' QMC
 * evaluations either way.
 */
static int t_quadrature(mvn_context *ctx, size_t d, double df, const double *lower,
                        const double *upper, const double *delta, const double *sigma,
                        int exact_nodes, double *P_out, double *lp_out, double *err_out,
                        double *evals)
{
    *evals = 0.0;
    double *buf = (double *)malloc(2 * d * sizeof(double));
    t_panel *pn = (t_panel *)malloc(QT_MAXPANELS * sizeof(t_panel));
    if (buf == NULL || pn == NULL) {
        free(buf);
        free(pn);
        return mvni_fail(ctx, MVN_ENOMEM, "out of memory for d = %zu", d);
    }
    double abseps, releps, maxpts;
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    mvn_context_get(ctx, MVN_OPT_RELEPS, &releps);
    mvn_context_get(ctx, MVN_OPT_MAXPTS, &maxpts);
    t_problem tp = {ctx, d, df, lower, upper, delta, sigma, buf, buf + d, 0.0, maxpts, MVN_OK};
    /* The nodes get half the tolerance, the outer quadrature the rest:
       P's error is the c-weighted mean of the nodes' errors plus the
       rule's.  Restored before returning (directly: mvn_context_set would
       clear the message of a failing node). */
    ctx->option[MVN_OPT_ABSEPS] = 0.5 * abseps; /* within the bounds: no check */
    ctx->option[MVN_OPT_RELEPS] = 0.5 * releps;

    /* Panels in u = t - t* = log(S / sqrt(df)), cut at the maximum u = 0. */
    const double cuts[3] = {-mvni_chi_range(df, -1.0), 0.0, mvni_chi_range(df, 1.0)};
    int np = 0, st = MVN_OK;
    for (int i = 0; i < 2 && st == MVN_OK; ++i) {
        pn[np].a = cuts[i], pn[np].b = cuts[i + 1];
        st = panel_eval(&tp, &pn[np], 2 - i);
        ++np;
    }
    double lp = NAN, qerr = 0.0, nerr = 0.0;
    int worst = 0;
    double t_lo = cuts[0];
    int extensions = 0;
    while (st == MVN_OK) {
        lp = total(pn, np, &qerr, &nerr, &worst);
        const double P = exp(lp);
        /* Left of t_lo the integrand is at most c(t), whose mass there
           mvni_chi_log_left_bound bounds.  Where that is not within
           QT_RELTOL of P (a P below about 1e-18: its mass sits at S near
           1 / |limit|, far left of the chi density's bulk; P(T < -1e30) =
           1e-90 for df = 3), a panel as wide again is added on the left. */
        const double rest = mvni_chi_log_left_bound(df, t_lo);
        if (isfinite(lp) && rest > log(QT_RELTOL) + lp && extensions < 16 &&
            np < QT_MAXPANELS && tp.evals < tp.budget) {
            pn[np].a = 2.0 * t_lo, pn[np].b = t_lo;
            t_lo = pn[np].a;
            st = panel_eval(&tp, &pn[np], 1);
            ++np;
            ++extensions;
            continue;
        }
        /* The target: QT_RELTOL of P, or for QMC nodes half the
           requested tolerance where that is larger (they carry that much). */
        double target = exact_nodes ? QT_RELTOL
                              : fmax(QT_RELTOL, P > 0.0 ? 0.5 * fmax(abseps, releps * P) / P : 0.0);
        /* The nodes' logs carry rounding errors of about eps |log P|: far
           below log P = -1e4 that, not 1e-12, is what the panels can
           resolve (a t probability with log P = -5.4e13 refined to the
           panel cap, 1000 node problems, 43 s: fuzz finding
           cli-timeout-t-huge-mean). */
        if (isfinite(lp))
            target = fmax(target, 4.0 * DBL_EPSILON * fabs(lp));
        /* Below the nodes' own errors the estimate |K - G| measures
           their noise, not the rule's: refining chased it to the panel
           cap (1000 QMC problems for one 4-D t probability). */
        /* The QMC nodes' evaluations together are bounded by MAXPTS:
           without it a tiny 4-D probability under METHOD_QMC and a
           relative tolerance took 5e8 evaluations (226 s), every node
           at the budget.  Exact nodes count none. */
        if (qerr <= fmax(target, nerr) || np >= QT_MAXPANELS || !isfinite(lp) ||
            tp.evals >= tp.budget)
            break;
        t_panel *w = &pn[worst];
        const double mid = 0.5 * (w->a + w->b), b = w->b;
        w->b = mid;
        st = panel_eval(&tp, w, 2);
        if (st != MVN_OK)
            break;
        pn[np].a = mid, pn[np].b = b;
        st = panel_eval(&tp, &pn[np], 1);
        ++np;
    }
    ctx->option[MVN_OPT_ABSEPS] = abseps;
    ctx->option[MVN_OPT_RELEPS] = releps;
    ctx->option[MVN_OPT_MAXPTS] = maxpts;
    *evals = tp.evals;
    free(buf);
    free(pn);
    if (st != MVN_OK || (tp.status != MVN_OK && tp.status != MVN_ETOL))
        return st != MVN_OK ? st : tp.status; /* the node call's message stays */
    lp -= mvni_chi_log_integral(df, -cuts[0], cuts[2]);
    const double P = exp(lp);
    const double err = P * (qerr + nerr);
    *P_out = P > 1.0 ? 1.0 : P;
    *lp_out = lp > 0.0 ? 0.0 : lp;
    *err_out = err;
    ctx->message[0] = '\0';
    /* A node that missed its own tolerance counts through its abserr,
       which err carries: the status is the whole estimate's (a 4-D
       probability of 4.6e-31 ended ETOL at a relative error of 6.5e-5
       for a requested 1e-3). */
    const double tol = fmax(abseps, releps * P);
    if (tp.status == MVN_ETOL && !(err <= tol))
        return mvni_fail(ctx, MVN_ETOL, "a normal probability of the outer integral "
                         "missed its tolerance (abserr %.3g)", err);
    if (qerr > QT_RELTOL && err > tol)
        return mvni_fail(ctx, MVN_ETOL, "the outer integral over the chi variable "
                         "reached %d panels with relative error %.3g%s", np, qerr,
                         tp.evals >= tp.budget ? " at the budget of evaluations" : "");
    return MVN_OK;
}

static void t_write(double P, double lp, double err, double *p, double *logp, double *abserr)
{
    if (p)
        *p = P;
    if (logp)
        *logp = lp;
    if (abserr)
        *abserr = err;
}

MVN_API int mvn_prob_t(mvn_context *ctx, size_t d, double df,
                       const double *lower, const double *upper,
                       const double *delta, const double *sigma,
                       double *p, double *logp, double *abserr)
{
    mvni_set_nan(p);
    mvni_set_nan(logp);
    mvni_set_nan(abserr);
    if (ctx == NULL)
        return MVN_EINVAL;
    if (isnan(df)) {
        mvni_context_begin(ctx);
        return mvni_fail(ctx, MVN_ENAN, "df is NaN");
    }
    if (!(df >= MVNI_T_MIN_DF)) {
        mvni_context_begin(ctx);
        return mvni_fail(ctx, MVN_EINVAL,
                         "df = %g: the degrees of freedom must be at least %g "
                         "(+inf for the normal)", df, MVNI_T_MIN_DF);
    }
    if (isinf(df)) /* the normal limit */
        return mvn_prob(ctx, d, lower, upper, delta, sigma, p, logp, abserr);
    mvni_context_begin(ctx);
    int st = mvni_check_dim(d, ctx->message, sizeof ctx->message);
    if (st != MVN_OK)
        return st;
    double method;
    mvn_context_get(ctx, MVN_OPT_METHOD, &method);
    /* Exact nodes (d <= 3 under METHOD_AUTO) cost microseconds: the outer
       integral is then taken to QT_RELTOL whatever the tolerance, as the
       exact kernels answer the normal probabilities. */
    const int exact_nodes = d <= 3 && method == MVN_METHOD_AUTO;
    /* QMC problems (d >= 4, or METHOD_QMC) have two routes: the chi
       variable in the lattice (t_lattice), and the quadrature over it
       with a normal probability per node (t_quadrature), whose nodes
       METHOD_AUTO tilts below P = 0.01.  The lattice serves moderate P
       (one integration instead of 42 or more); for a tiny P under a
       relative tolerance it runs out of budget where the tilted nodes
       converge: a 4-D P of 1.9e-8 (releps 1e-3) ended at a relative
       error of 0.37 after 8.4e6 points, the quadrature reaches 3e-6.
       METHOD_AUTO therefore first runs the lattice on a pilot budget
       (QT_PILOT_PTS); if that does not meet the tolerance, a pilot P
       below QT_PILOT_P sends the problem to the quadrature first, any
       other to the lattice on the whole budget.  Where the first route
       misses the tolerance the other one runs too and the smaller abserr
       wins; the evaluations add up.  METHOD_QMC: the lattice, then the
       quadrature.  A pilot that reaches the tolerance is the answer the
       whole budget would give (the lattice sizes are the same). */
    mvni_result lat = {0};
    int lst = MVNI_NOT_STRUCTURED, have_lattice = 0, have_quad = 0, qst = MVN_OK;
    double P = NAN, lp = NAN, err = NAN, lattice_evals = 0.0, qevals = 0.0;
    if (!exact_nodes && method != MVN_METHOD_TILTED) {
        double maxpts;
        mvn_context_get(ctx, MVN_OPT_MAXPTS, &maxpts);
        const int pilot = method == MVN_METHOD_AUTO && maxpts > QT_PILOT_PTS;
        lst = t_lattice(ctx, d, df, lower, upper, delta, sigma,
                        pilot ? QT_PILOT_PTS : maxpts, &lat);
        if (lst == MVN_OK || lst == MVN_ETOL)
            lattice_evals = lat.evals;
        if (pilot && lst == MVN_ETOL) {
            /* A tiny pilot P: the tilted nodes first; the whole lattice
               budget for any other P, or where they miss the tolerance. */
            if (lat.p < QT_PILOT_P) {
                qst = t_quadrature(ctx, d, df, lower, upper, delta, sigma, 0, &P, &lp, &err,
                                   &qevals);
                have_quad = 1;
            }
            if (qst == MVN_ECANCELED)
                return qst; /* the node's message stays */
            if (!have_quad || qst != MVN_OK) {
                lst = t_lattice(ctx, d, df, lower, upper, delta, sigma, maxpts, &lat);
                if (lst == MVN_OK || lst == MVN_ETOL)
                    lattice_evals += lat.evals;
            }
        }
        if (lst == MVN_ECANCELED)
            return mvni_fail(ctx, MVN_ECANCELED, "canceled by the progress callback");
        have_lattice = (lst == MVN_OK || lst == MVN_ETOL) && lat.p > 0.0 && lat.relerr <= 0.5;
        if (have_lattice && lst == MVN_OK && !(have_quad && qst == MVN_OK)) {
            t_write(lat.p, lat.logp, lat.abserr, p, logp, abserr);
            ctx->evaluations = lattice_evals + qevals;
            return MVN_OK;
        }
    }
    if (!have_quad) {
        qst = t_quadrature(ctx, d, df, lower, upper, delta, sigma, exact_nodes, &P, &lp, &err,
                           &qevals);
    }
    ctx->evaluations = lattice_evals + qevals;
    /* The lattice's estimate where the quadrature failed, where only the
       lattice met the tolerance, or where both did or both missed it and
       the lattice's abserr is not larger. */
    const int q_usable = qst == MVN_OK || qst == MVN_ETOL;
    const int use_lattice = have_lattice &&
                            (!q_usable || ((lst == MVN_OK) != (qst == MVN_OK)
                                               ? lst == MVN_OK
                                               : !(err < lat.abserr)));
    if (use_lattice) {
        t_write(lat.p, lat.logp, lat.abserr, p, logp, abserr);
        if (lst == MVN_OK) {
            ctx->message[0] = '\0';
            return MVN_OK;
        }
        return mvni_fail(ctx, MVN_ETOL, "the budget of %.0f evaluations ended with "
                         "abserr %.3g", lat.evals, lat.abserr);
    }
    if (qst == MVN_OK || qst == MVN_ETOL)
        t_write(P, lp, err, p, logp, abserr);
    return qst;
}
