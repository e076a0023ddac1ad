/*
 * grad/closed_form.c -- closed-form derivatives of P(a < Y < b), Y ~ N(0, Sigma),
 * by conditioning (the Plackett identity), and the route dispatch.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Notation: S = Sigma, phi(x; v) the N(0, v) density, M = the Hessian of P
 * in the mean (M_ij = d2P/dmu_i dmu_j).
 *
 * First derivatives (Genz & Bretz 2009, sec. 5.1; Marmin, Chevalier &
 * Ginsbourger 2015).  Differentiating the integral over b_i leaves the
 * density of Y_i at b_i times the probability of the other coordinates'
 * box given Y_i = b_i:
 *     dP/db_i =  phi(b_i; S_ii) P_{d-1}(a' < Y' < b' | Y_i = b_i),
 *     dP/da_i = -phi(a_i; S_ii) P_{d-1}(a' < Y' < b' | Y_i = a_i),
 * with the conditional law N(S_{-i,i} c / S_ii, S_{-i,-i} - S_{-i,i} S_{i,-i} / S_ii)
 * (a rank-1 update of S).
 *
 * Second derivatives.  In the same way, for i != j and corners c_i in
 * {a_i, b_i}, c_j in {a_j, b_j} (sign + for an upper limit, - for a lower
 * one):
 *     d2P/dc_i dc_j = +- phi_2(c_i, c_j; S_{ij,ij}) P_{d-2}(... | Y_i = c_i, Y_j = c_j),
 * the conditional law being a rank-2 update.  M_ij is the sum of the four
 * corner terms.  The heat equation of the normal density,
 * d f / dS_ij = d2 f / dx_i dx_j (i != j, one symmetric parameter) and
 * d f / dS_ii = (1/2) d2 f / dx_i^2, gives (Plackett 1954)
 *     G = dP/dSigma (full symmetric matrix convention) = M / 2.
 *
 * Diagonal without extra integrals.  P is invariant under scaling one
 * coordinate: P(a, b; S) = P(D a, D b; D S D) with D = diag(1, .., t, .., 1).
 * Differentiating at t = 1:
 *     0 = a_i dP/da_i + b_i dP/db_i + 2 sum_j S_ij G_ij,
 * hence
 *     G_ii = -(a_i dP/da_i + b_i dP/db_i + sum_{j != i} S_ij M_ij) / (2 S_ii).
 * (a_i dP/da_i is 0 for an infinite limit.)  For the Hessian in the upper
 * limits, differentiate dP/db_i = phi(b_i; S_ii) Q(b_i) once more: the
 * conditional mean of Y_k moves by S_ki / S_ii per unit of b_i, so
 *     d2P/db_i^2 = -(b_i dP/db_i + sum_{k != i} S_ik (d2P/db_i db_k + d2P/db_i da_k)) / S_ii.
 * Summing this and its lower-limit twin gives back 2 G_ii: the two
 * identities check each other, and tests/test_gradient.c checks both
 * against finite differences.
 *
 * Costs: one solve of dimension d (P), 2d of dimension d - 1 (first
 * derivatives; d when a = -inf) and up to 4 per pair i < j of dimension
 * d - 2.  Dimensions 1, 2, 3 of the conditionals are exact (univariate,
 * bivariate and trivariate kernels behind mvni_solve), so d <= 3 problems
 * have exact derivatives, and so do the first derivatives at d = 4 and
 * the Hessian at d <= 5.  Each conditional integral is asked for the
 * absolute tolerance abseps / weight (weight = the density factor in
 * front of it), so every derivative entry meets abseps by itself.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grad/grad.h"

#define TWO_PI 6.283185307179586476925286766559

void mvni_grad_out_nan(size_t d, const mvni_grad_out *out)
{
    double *vec[5] = {out->d_lower, out->d_upper, out->d_mean, out->err_lower,
                      out->err_upper};
    for (int k = 0; k < 5; ++k)
        if (vec[k] != NULL)
            for (size_t i = 0; i < d; ++i)
                vec[k][i] = NAN;
    double *mat[3] = {out->g_sigma, out->h_upper, out->err_sigma};
    for (int k = 0; k < 3; ++k)
        if (mat[k] != NULL)
            for (size_t i = 0; i < d * d; ++i)
                mat[k][i] = NAN;
}

/* Per-thread scratch: the conditional problem. */
typedef struct {
    double *a, *b, *s;
} cond_scratch;

static int scratch_alloc(cond_scratch *w, size_t d)
{
    size_t m = d > 1 ? d - 1 : 1;
    w->a = (double *)malloc((2 * m + m * m) * sizeof(double));
    if (w->a == NULL)
        return MVN_ENOMEM;
    w->b = w->a + m;
    w->s = w->b + m;
    return MVN_OK;
}

/* The absolute tolerance handed to a conditional integral whose value is
   multiplied by `weight`: the product then meets abseps.  Capped at 1
   (a probability), which also keeps it finite. */
static double cond_abseps(double abseps, double weight)
{
    double t = abseps / weight;
    return t < 1.0 ? t : 1.0;
}

void mvni_condition1(size_t d, const double *a, const double *b, const double *S,
                     size_t i, double c, double *ac, double *bc, double *sc)
{
    const size_t m = d - 1;
    const double sii = S[i * d + i];
    size_t kk = 0;
    for (size_t k = 0; k < d; ++k) {
        if (k == i)
            continue;
        double rk = S[k * d + i] / sii, shift = rk * c;
        ac[kk] = (a ? a[k] : -INFINITY) - shift;
        bc[kk] = (b ? b[k] : INFINITY) - shift;
        size_t ll = 0;
        for (size_t l = 0; l <= k; ++l) {
            if (l == i)
                continue;
            double v = S[k * d + l] - rk * S[l * d + i];
            if (l == k && v < 0.0)
                v = 0.0; /* rounding of a nearly singular Sigma */
            sc[kk * m + ll] = sc[ll * m + kk] = v;
            ++ll;
        }
        ++kk;
    }
}

/* The conditional problem of the coordinates other than i given Y_i = c
   (rank-1 update), solved; writes P_{d-1} and its error. */
static int solve_cond1(size_t d, const double *a, const double *b,
                       const double *S, size_t i, double c,
                       const mvni_solve_options *opt, cond_scratch *w,
                       mvni_result *r)
{
    mvni_condition1(d, a, b, S, i, c, w->a, w->b, w->s);
    return mvni_solve_conditional(d - 1, w->a, w->b, w->s, opt, r);
}

/*
 * Given Y_i = ci and Y_j = cj: the rank-2 update done as two rank-1
 * conditionings in turn, on Y_i and then on Y_j given Y_i (two steps of
 * a Cholesky factorization).  The one-step form through the inverse of
 * the (i, j) block, beta = (S_ki, S_kj) B^-1, lost the Schur complement of
 * a nearly singular Sigma to cancellation: each beta carries an absolute
 * error of about eps / det(B) and the conditional variance
 * S_kk - beta . (S_ki, S_kj) inherits it, 1.74e-8 for 1.67e-8 with
 * det(B) = 3e-8 (log P_cond off by 5.5e5, d_sigma = +-inf and NaN with
 * status OK: fuzz finding grad-nonfinite-dsigma-nan-3).  In steps, every
 * subtraction loses only eps times the entries it starts from.
 * sjj_i is Var(Y_j | Y_i), formed by the caller.
 */
void mvni_condition2(size_t d, const double *a, const double *b, const double *S,
                     size_t i, size_t j, double ci, double cj, double sjj_i,
                     double *ac, double *bc, double *sc)
{
    const size_t m = d - 2;
    const double sii = S[i * d + i], sji = S[j * d + i];
    /* E(Y_j | Y_i = ci) and the residual of cj from it. */
    const double ej = cj - sji / sii * ci;
    size_t kk = 0;
    for (size_t k = 0; k < d; ++k) {
        if (k == i || k == j)
            continue;
        /* Cov(Y_k, Y_j | Y_i) and the two regression coefficients. */
        const double rki = S[k * d + i] / sii;
        const double skj_i = S[k * d + j] - rki * sji;
        const double rkj = skj_i / sjj_i;
        const double shift = rki * ci + rkj * ej;
        ac[kk] = (a ? a[k] : -INFINITY) - shift;
        bc[kk] = (b ? b[k] : INFINITY) - shift;
        size_t ll = 0;
        for (size_t l = 0; l <= k; ++l) {
            if (l == i || l == j)
                continue;
            const double sli = S[l * d + i];
            const double slj_i = S[l * d + j] - sli / sii * sji;
            double v = (S[k * d + l] - rki * sli) - rkj * slj_i;
            if (l == k && v < 0.0)
                v = 0.0;
            sc[kk * m + ll] = sc[ll * m + kk] = v;
            ++ll;
        }
        ++kk;
    }
}

static int solve_cond2(size_t d, const double *a, const double *b,
                       const double *S, size_t i, size_t j, double ci,
                       double cj, double sjj_i, const mvni_solve_options *opt,
                       cond_scratch *w, mvni_result *r)
{
    mvni_condition2(d, a, b, S, i, j, ci, cj, sjj_i, w->a, w->b, w->s);
    return mvni_solve_conditional(d - 2, w->a, w->b, w->s, opt, r);
}

/* S_ii S_jj - S_ij^2 with an error of a few units in its own last place
   (Kahan's fused-multiply-add form): for a nearly singular pair the plain
   difference keeps only eps / det of its digits. */
static double det2(double sii, double sjj, double sij)
{
    const double w = sij * sij;
    const double e = fma(-sij, sij, w);
    return fma(sii, sjj, -w) + e;
}

int mvni_pair_form(double sii, double sjj, double sij, double ci, double cj,
                   double *det, double *q)
{
    *det = det2(sii, sjj, sij);
    /* |corr| = 1 to rounding: the pair has no joint density, the
       Hessian term is a point mass and is reported as 0. */
    if (!(*det > 4.0 * DBL_EPSILON * sii * sjj))
        return 0;
    /* The quadratic form c^T B^-1 c as a sum of squares in the
       standardized corner (z_j^2 + (z_i - rho z_j)^2 / (1 - rho^2)): it
       saturates at +inf for huge finite limits where the expanded form
       gave inf - inf = NaN, and it does not cancel. */
    const double sdi = sqrt(sii), sdj = sqrt(sjj), rho = sij / (sdi * sdj);
    const double zi = ci / sdi, zj = cj / sdj;
    /* A finite limit whose standardized value overflows (2.4e307 over a
       standard deviation of 3e-8) is infinitely far out: the density
       there is 0, and rho * zj would be 0 * inf = NaN for rho = 0 (fuzz
       finding grad-nonfinite: NaN d_sigma with status OK). */
    if (isinf(zi) || isinf(zj))
        return 0;
    const double u = zi - rho * zj;
    /* 1 - rho^2 from the determinant: (1 - rho)(1 + rho) cancels as det. */
    *q = zj * zj + u * u / (*det / sii / sjj);
    return 1;
}

/* One unit of work: a first derivative (pair < 0) or one corner of a
   pair.  Writes the signed derivative term, its error and the
   evaluations. */
typedef struct {
    double val, err, evals;
    int status;
} task_result;

/* What every task needs besides its indices.  In log space (log_space
   set) a term sign * exp(log weight + log P_cond) is returned as
   sign * exp(log weight + log P_cond - logp), i.e. divided by P, and the
   conditional's absolute tolerance is abseps * P / weight, formed in
   logs; otherwise the term itself, with the tolerance abseps / weight. */
typedef struct {
    size_t d;
    const double *a, *b, *S;
    const mvni_solve_options *opt;
    int log_space;
    double logp; /* log P (log space only) */
} task_ctx;

/* The conditional's absolute tolerance for a term with log weight lw. */
static double task_abseps(const task_ctx *c, double lw)
{
    if (!c->log_space)
        return cond_abseps(c->opt->qmc.abseps, exp(lw));
    double lt = log(c->opt->qmc.abseps) + c->logp - lw;
    return lt < 0.0 ? exp(lt) : 1.0;
}

/* The term sign * weight * P_cond (or, in log space, divided by P) and
   its error from the conditional's result. */
static void task_finish(const task_ctx *c, double sign, double lw,
                        double pc, double lpc, double ec, task_result *t)
{
    if (c->log_space) {
        t->val = sign * exp(lw + lpc - c->logp);
        t->err = exp(lw - c->logp) * ec;
    } else {
        const double w = exp(lw);
        t->val = sign * w * pc;
        t->err = w * ec;
    }
}

static void task_run(const task_ctx *c, size_t i, size_t j, int ci_upper,
                     int cj_upper, int pair, cond_scratch *w,
                     task_result *t)
{
    const size_t d = c->d;
    const double *a = c->a, *b = c->b, *S = c->S;
    mvni_solve_options o = *c->opt;
    mvni_result r;
    t->val = 0.0;
    t->err = 0.0;
    t->evals = 0.0;
    t->status = MVN_OK;
    o.qmc.threads = 1;

    const double ci = ci_upper ? b[i] : a[i];
    const double sii = S[i * d + i];
    if (!isfinite(ci) || !(sii > 0.0))
        return;
    if (!pair) {
        /* log of the density factor phi(c_i; S_ii). */
        const double lw = -0.5 * ci * ci / sii - 0.5 * log(TWO_PI * sii);
        if (!c->log_space && exp(lw) == 0.0)
            return;
        double pc = 1.0, lpc = 0.0, ec = 0.0;
        if (d > 1) {
            o.qmc.abseps = task_abseps(c, lw);
            t->status = solve_cond1(d, a, b, S, i, ci, &o, w, &r);
            if (t->status != MVN_OK && t->status != MVN_ETOL)
                return;
            pc = r.p;
            lpc = r.logp;
            ec = r.abserr;
            t->evals = r.evals;
        }
        task_finish(c, ci_upper ? 1.0 : -1.0, lw, pc, lpc, ec, t);
        return;
    }
    const double cj = cj_upper ? b[j] : a[j];
    const double sjj = S[j * d + j], sij = S[i * d + j];
    if (!isfinite(cj) || !(sjj > 0.0))
        return;
    double det, q;
    if (!mvni_pair_form(sii, sjj, sij, ci, cj, &det, &q))
        return;
    /* log of the bivariate density factor phi_2(c_i, c_j; S_ij,ij). */
    const double lw = -0.5 * q - log(TWO_PI) - 0.5 * log(det);
    if (!c->log_space && exp(lw) == 0.0)
        return;
    double pc = 1.0, lpc = 0.0, ec = 0.0;
    if (d > 2) {
        o.qmc.abseps = task_abseps(c, lw);
        t->status = solve_cond2(d, a, b, S, i, j, ci, cj, det / sii, &o, w, &r);
        if (t->status != MVN_OK && t->status != MVN_ETOL)
            return;
        pc = r.p;
        lpc = r.logp;
        ec = r.abserr;
        t->evals = r.evals;
    }
    task_finish(c, ci_upper == cj_upper ? 1.0 : -1.0, lw, pc, lpc, ec, t);
}

/* The 2d first-derivative tasks of a Gauss-Markov chain at once, from
   one forward and one backward recursion (mvni_solve_chain_density): the
   term of limit c_i is the density of Y_i = c_i with every other
   constraint, which is what a task computes as weight times conditional
   probability.  Returns 1 when tr[0 .. 2d) are filled, 0 when the
   problem is not a chain (the tasks run as usual), -1 on an error
   (its status in tr[0].status). */
static int chain_first(const task_ctx *c, task_result *tr)
{
    const size_t d = c->d;
    double *ld = malloc(4 * d * sizeof *ld);
    if (ld == NULL) {
        tr[0].status = MVN_ENOMEM;
        return -1;
    }
    double *rel = ld + 2 * d;
    mvni_result r;
    const int st = mvni_solve_chain_density(d, c->a, c->b, c->S, c->opt, &r, ld, rel);
    if (st == MVNI_SOLVE_NOT_CHAIN || (st != MVN_OK && st != MVN_ETOL)) {
        free(ld);
        tr[0].status = st;
        return st == MVNI_SOLVE_NOT_CHAIN ? 0 : -1;
    }
    for (size_t t = 0; t < 2 * d; ++t) {
        const double sign = t % 2 ? 1.0 : -1.0;
        double v = ld[t] == -INFINITY ? 0.0
                   : c->log_space     ? exp(ld[t] - c->logp)
                                      : exp(ld[t]);
        tr[t].val = sign * v;
        tr[t].err = v * rel[t];
        tr[t].evals = t == 0 ? r.evals : 0.0;
        tr[t].status = st;
    }
    free(ld);
    return 1;
}

/* The task list of one gradient: 2 d first-derivative tasks (skipped
   where chain_first filled them), then 4 corners per pair (pi[p], pj[p]);
   corner 0 (both lower) is skipped where need_aa is 0. */
typedef struct {
    const task_ctx *tc;
    task_result *tr;
    const size_t *pi, *pj;
    size_t d, ntask;
    int first_done, need_aa;
} grad_tasks;

/* Task t into g->tr[t], with scratch w (NULL: its allocation failed). */
static void grad_task(const grad_tasks *g, size_t t, cond_scratch *w)
{
    task_result *r = &g->tr[t];
    if (w == NULL) {
        r->status = MVN_ENOMEM;
        return;
    }
    if (t < 2 * g->d) {
        if (!g->first_done)
            task_run(g->tc, t / 2, 0, (int)(t % 2), 0, 0, w, r);
        return;
    }
    const size_t p = (t - 2 * g->d) / 4;
    const int corner = (int)((t - 2 * g->d) % 4);
    if (corner == 0 && !g->need_aa) {
        r->val = r->err = r->evals = 0.0;
        r->status = MVN_OK;
        return;
    }
    task_run(g->tc, g->pi[p], g->pj[p], corner >> 1, corner & 1, 1, w, r);
}

int mvni_grad_closed(size_t d, const double *a, const double *b,
                     const double *sigma, const mvni_solve_options *opt,
                     mvni_result *res, const mvni_grad_out *out)
{
    /* In log space every entry is a term divided by P, so the relative
       error of P enters every entry (times the entry): P is solved to the
       relative tolerance max(abseps, releps) instead of the absolute one,
       which also keeps the tolerance meaningful where P underflows. */
    mvni_solve_options popt = *opt;
    if (out->log_space) {
        popt.qmc.releps = fmax(opt->qmc.releps, opt->qmc.abseps);
        popt.qmc.abseps = 0.0;
    }
    int status = mvni_solve(d, a, b, sigma, &popt, res);
    if (status != MVN_OK && status != MVN_ETOL) {
        mvni_grad_out_nan(d, out);
        return status;
    }
    /* log P = -inf: the derivatives of log P do not exist. */
    if (out->log_space && !(res->logp > -INFINITY)) {
        mvni_grad_out_nan(d, out);
        return status;
    }
    const task_ctx tc = {d, a, b, sigma, opt, out->log_space, res->logp};
    const int need_first = out->d_lower || out->d_upper || out->g_sigma ||
                           out->h_upper || out->err_lower || out->err_upper ||
                           out->err_sigma;
    const int need_pairs = out->g_sigma || out->h_upper || out->err_sigma;
    const int need_aa = out->g_sigma || out->err_sigma;
    if (!need_first)
        return status;

    /* Task list: 2d first derivatives, then 4 corners per pair i < j,
       corner index 2 * (c_i upper) + (c_j upper). */
    const size_t npairs = need_pairs ? d * (d - 1) / 2 : 0;
    const size_t ntask = 2 * d + 4 * npairs;
    task_result *tr = (task_result *)malloc(ntask * sizeof *tr);
    size_t *pi = (size_t *)malloc((2 * npairs + 1) * sizeof *pi);
    if (tr == NULL || pi == NULL) {
        free(tr);
        free(pi);
        mvni_grad_out_nan(d, out);
        return MVN_ENOMEM;
    }
    size_t *pj = pi + npairs;
    for (size_t i = 0, p = 0; i < d && need_pairs; ++i)
        for (size_t j = i + 1; j < d; ++j, ++p) {
            pi[p] = i;
            pj[p] = j;
        }

    const int first_done = chain_first(&tc, tr);
    if (first_done < 0) {
        const int s = tr[0].status;
        free(tr);
        free(pi);
        mvni_grad_out_nan(d, out);
        res->p = res->logp = res->abserr = NAN;
        return s;
    }
    const int nthreads = opt->qmc.threads > 1 ? opt->qmc.threads : 1;
    const grad_tasks job = {&tc, tr, pi, pj, d, ntask, first_done, need_aa};
    /* One thread: no parallel region (entering one costs about 1.2 us
       even with a false if clause, see lib/backend/cpu.c). */
    if (nthreads > 1 && ntask > 1) {
#ifdef MVN_HAVE_OPENMP
#pragma omp parallel num_threads(nthreads)
#endif
        {
            cond_scratch w = {NULL, NULL, NULL};
            const int ok = scratch_alloc(&w, d) == MVN_OK;
#ifdef MVN_HAVE_OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t t = 0; t < ntask; ++t)
                grad_task(&job, t, ok ? &w : NULL);
            if (ok)
                free(w.a);
        }
    } else {
        cond_scratch w = {NULL, NULL, NULL};
        const int ok = scratch_alloc(&w, d) == MVN_OK;
        for (size_t t = 0; t < ntask; ++t)
            grad_task(&job, t, ok ? &w : NULL);
        if (ok)
            free(w.a);
    }

    /* Statuses and evaluations, combined in task order. */
    for (size_t t = 0; t < ntask; ++t) {
        res->evals += tr[t].evals;
        if (tr[t].status == MVN_ETOL) {
            status = MVN_ETOL;
        } else if (tr[t].status != MVN_OK) {
            int s = tr[t].status;
            free(tr);
            free(pi);
            mvni_grad_out_nan(d, out);
            res->p = res->logp = res->abserr = NAN;
            return s;
        }
    }
    res->status = status;

    /* First derivatives. */
    for (size_t i = 0; i < d; ++i) {
        if (out->d_lower)
            out->d_lower[i] = tr[2 * i].val;
        if (out->d_upper)
            out->d_upper[i] = tr[2 * i + 1].val;
        if (out->err_lower)
            out->err_lower[i] = tr[2 * i].err;
        if (out->err_upper)
            out->err_upper[i] = tr[2 * i + 1].err;
    }
    if (!need_pairs) {
        free(tr);
        free(pi);
        return status;
    }

    /* Corner terms as matrices: K[c][i*d+j] = d2P / dc_i dc_j with
       c = 2 * (c_i upper) + (c_j upper), E the same for errors. */
    double *K = (double *)calloc(8 * d * d, sizeof(double));
    if (K == NULL) {
        free(tr);
        free(pi);
        mvni_grad_out_nan(d, out);
        return MVN_ENOMEM;
    }
    double *E = K + 4 * d * d;
    for (size_t p = 0; p < npairs; ++p) {
        size_t i = pi[p], j = pj[p];
        for (int c = 0; c < 4; ++c) {
            const task_result *t = &tr[2 * d + 4 * p + (size_t)c];
            /* Swapping i and j swaps the roles of the two limits. */
            int cswap = ((c & 1) << 1) | (c >> 1);
            K[(size_t)c * d * d + i * d + j] = t->val;
            K[(size_t)cswap * d * d + j * d + i] = t->val;
            E[(size_t)c * d * d + i * d + j] = t->err;
            E[(size_t)cswap * d * d + j * d + i] = t->err;
        }
    }
    const double *Kaa = K, *Kba = K + 2 * d * d, *Kbb = K + 3 * d * d;
    const double *Kab = K + d * d;
    const double *Eba = E + 2 * d * d, *Ebb = E + 3 * d * d;

    for (size_t i = 0; i < d; ++i) {
        const double sii = sigma[i * d + i];
        const double ga = tr[2 * i].val, gb = tr[2 * i + 1].val;
        const double ea = tr[2 * i].err, eb = tr[2 * i + 1].err;
        /* A zero limit or a zero covariance makes its term 0 even where
           the other factor is a log-space term beyond DBL_MAX (+-inf):
           0 * inf would be NaN (fuzz finding grad-nonfinite). */
        const double ta = isfinite(a[i]) && a[i] != 0.0 ? a[i] * ga : 0.0;
        const double tb = isfinite(b[i]) && b[i] != 0.0 ? b[i] * gb : 0.0;
        const double tea = isfinite(a[i]) && a[i] != 0.0 ? a[i] * ea : 0.0;
        const double teb = isfinite(b[i]) && b[i] != 0.0 ? b[i] * eb : 0.0;
        /* The diagonal combines many conditional integrals whose errors
           are not aligned: their error estimates add in quadrature. */
        double sm = 0.0, sme = 0.0, sh = 0.0;
        for (size_t j = 0; j < d; ++j) {
            if (j == i)
                continue;
            size_t ij = i * d + j;
            /* Summed as (aa + bb) + (ab + ba): entry ji is the same four
               numbers with ab and ba exchanged, so G and its error are
               symmetric bitwise.  Left to right, the two orders rounded
               differently, and with cancellation (P = 0 on a singular
               Sigma) gave G_20 = 1.2e-18 against G_02 = 0 (fuzz finding
               grad-asymmetric). */
            double mij = (Kaa[ij] + Kbb[ij]) + (Kab[ij] + Kba[ij]);
            double eij = (E[ij] + Ebb[ij]) + (E[d * d + ij] + Eba[ij]);
            double sij = sigma[ij];
            if (sij != 0.0) {
                sm += sij * mij;
                sme += sij * sij * eij * eij;
                sh += sij * (Kbb[ij] + Kba[ij]);
            }
            if (out->g_sigma)
                out->g_sigma[ij] = 0.5 * mij;
            if (out->err_sigma)
                out->err_sigma[ij] = 0.5 * eij;
            if (out->h_upper)
                out->h_upper[ij] = Kbb[ij];
        }
        const int var = sii > 0.0;
        if (out->g_sigma)
            out->g_sigma[i * d + i] = var ? -(ta + tb + sm) / (2.0 * sii) : 0.0;
        if (out->err_sigma)
            out->err_sigma[i * d + i] =
                var ? sqrt(tea * tea + teb * teb + sme) / (2.0 * sii) : 0.0;
        if (out->h_upper)
            out->h_upper[i * d + i] = var ? -(tb + sh) / sii : 0.0;
    }
    free(K);
    free(tr);
    free(pi);
    return status;
}
