/* qmc/tilting.c -- minimax exponential tilting (Botev 2017): the saddle-point solve and the tilted SOV estimator.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Method (Botev 2017, "The normal law under linear restrictions:
 * simulation and estimation via minimax tilting", J. R. Stat. Soc. B
 * 79:125-148).  Normalize the factor of mvni_chol_reorder by its diagonal:
 * C_kj = L_kj / L_kk (j < k), l_k = a_k / L_kk, u_k = b_k / L_kk.  For a
 * tilt mu and a point x (both with last entry 0) let t_k = mu_k + sum_{j<k}
 * C_kj x_j and
 *
 *   psi(x, mu) = sum_k [ log(Phi(u_k - t_k) - Phi(l_k - t_k))
 *                        + mu_k^2 / 2 - x_k mu_k ].
 *
 * Drawing z_k from N(mu_k, 1) truncated to the SOV interval makes the
 * importance weight exp(psi(z, mu)), so P = E[exp(psi(Z, mu))] for every
 * mu.  psi is concave in x (Hessian C^T D C, D <= 0 below) and convex in mu
 * (Hessian I + D > 0), and Botev chooses mu as the minimax saddle point,
 * grad psi = 0, at which exp(psi(x*, mu*)) = max_z exp(psi(z, mu*)) is an
 * upper bound on P and the relative error of the estimator vanishes in
 * the tails.  With P_k = (phi(l_k - t_k) - phi(u_k - t_k)) / Z_k (the
 * derivative of log Z_k with respect to t_k) and
 * D_k = dP_k / dt_k = (l-t) phi(l-t)/Z - (u-t) phi(u-t)/Z - P_k^2 (the
 * variance of the truncated normal minus 1), the equations are
 *
 *   d psi / d x_j  = -mu_j + sum_{k>j} P_k C_kj = 0,
 *   d psi / d mu_k =  mu_k - x_k + P_k          = 0     (j, k < d-1).
 *
 * Newton's method on these 2(d-1) equations: the Jacobian is
 * [[C^T D C, B^T], [B, V]], B = -I + D C, V = diag(1 + D).  Eliminating the
 * mu block (V is diagonal and positive) leaves the Schur complement
 *   S = C^T D C - B^T V^-1 B = Cu^T E Cu - I,   E_k = D_k / (1 + D_k),
 * with Cu = I + C the unit lower triangular matrix (derivation in
 * doc/algorithms/tilting.md; E_{d-1} = D_{d-1} for the last row, whose mu
 * is fixed).  E <= 0, so -S = I + W^T W with W = diag(sqrt(-E)) Cu is
 * symmetric positive definite: one LAPACK dlauum (W^T W) and one dpotrf per
 * Newton step, d^3/3 + d^3/3 flops instead of the (2d)^3 * 2/3 of an LU of
 * the dense 2d x 2d Jacobian.  The step is damped by backtracking on
 * ||grad psi||^2 (the Newton direction is a descent direction for it).
 * Every mu gives an unbiased estimator, so a solve that does not converge
 * only costs variance; it is reported and the bound is then not given.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "common/cholesky.h"
#include "qmc/qmc.h"
#include "exact/univariate.h"
#include "mvnorm.h"

#define TILT_MAX_ITER 100
#define TILT_MAX_HALVINGS 40
/* MVN_METHOD_AUTO tilts when the GGE estimate of P is below exp of this
   (measurements in doc/algorithms/tilting.md). */
#define TILT_AUTO_LOGP MVNI_TILT_AUTO_LOGP

/* The normalized problem and the per-row quantities at the current point. */
typedef struct {
    size_t d, n;       /* n = d - 1 unknowns in x and in mu */
    const double *C;   /* d x d row-major, strictly lower part used */
    const double *l, *u;
    double *P;         /* P_k */
    double *V;         /* 1 + D_k, the truncated variance, in (0, 1] */
} tilt_ctx;

/*
 * Variance of the standard normal truncated to (lt, ut), given
 * pl = phi(lt)/Z, pu = phi(ut)/Z and P = pl - pu: 1 + lt pl - ut pu - P^2.
 * That formula cancels badly far in a tail and for short intervals; only
 * the Newton matrix uses the variance, so where the cancellation leaves
 * fewer than about 3 correct digits a smooth approximation replaces it:
 * the harmonic combination of h^2/12 (the variance of a log-concave law on
 * an interval of length h is at most that of the uniform one) and
 * 1/(1 + a^2) (the tail variance, ~1/a^2 beyond a).
 */
static double trunc_var(double lt, double ut, double pl, double pu, double P)
{
    const double tl = isinf(lt) ? 0.0 : lt * pl;
    const double tu = isinf(ut) ? 0.0 : ut * pu;
    const double v = 1.0 + tl - tu - P * P;
    const double err = 8.0 * DBL_EPSILON * (1.0 + fabs(tl) + fabs(tu) + P * P);
    if (v > 1e3 * err)
        return v < 1.0 ? v : 1.0;
    const double h = ut - lt;
    const double a = lt > 0 ? lt : ut < 0 ? -ut : 0.0;
    const double vt = 1.0 / (1.0 + a * a);
    const double vh = isinf(h) ? INFINITY : h * h / 12.0;
    double va = isinf(vh) ? vt : 1.0 / (1.0 / vt + 1.0 / vh);
    if (!(va > DBL_MIN))
        va = DBL_MIN;
    return va;
}

/*
 * psi, the gradient g (length 2n: d/dx then d/dmu) and, when want_var,
 * ctx->V at (x, mu).  Returns psi; the gradient may contain non-finite
 * values where the point is absurd (the line search then backs off).
 */
static double eval_point(tilt_ctx *c, const double *x, const double *mu,
                         double *g, int want_var)
{
    const size_t d = c->d, n = c->n;
    double psi = 0.0;
    for (size_t k = 0; k < d; ++k) {
        const double *Ck = c->C + k * d;
        double t = k < n ? mu[k] : 0.0;
        const size_t jm = k < n ? k : n;
        for (size_t j = 0; j < jm; ++j)
            t += Ck[j] * x[j];
        const double lt = c->l[k] - t, ut = c->u[k] - t;
        const double w = mvni_log_norm_diff(lt, ut);
        const double pl = isinf(lt) ? 0.0 : exp(-0.5 * lt * lt - MVNI_LN_SQRT_2PI - w);
        const double pu = isinf(ut) ? 0.0 : exp(-0.5 * ut * ut - MVNI_LN_SQRT_2PI - w);
        const double P = pl - pu;
        c->P[k] = P;
        if (want_var)
            c->V[k] = trunc_var(lt, ut, pl, pu, P);
        psi += w;
        if (k < n)
            psi += mu[k] * (0.5 * mu[k] - x[k]);
    }
    /* d psi / d x_j = -mu_j + sum_{k>j} P_k C_kj, accumulated by rows. */
    for (size_t j = 0; j < n; ++j)
        g[j] = -mu[j];
    for (size_t k = 1; k < d; ++k) {
        const double *Ck = c->C + k * d;
        const double Pk = c->P[k];
        const size_t jm = k < n ? k : n;
        for (size_t j = 0; j < jm; ++j)
            g[j] += Pk * Ck[j];
    }
    for (size_t k = 0; k < n; ++k)
        g[n + k] = mu[k] - x[k] + c->P[k];
    return psi;
}

static double half_sq_norm(const double *g, size_t m)
{
    double s = 0.0;
    for (size_t i = 0; i < m; ++i)
        s += g[i] * g[i];
    return isfinite(s) ? 0.5 * s : INFINITY;
}

/* Convergence: every equation satisfied to 1e-10 relative to the size of
   its terms (P_k grows like the limit far in a tail). */
static int converged(const tilt_ctx *c, const double *g, const double *mu)
{
    const size_t n = c->n;
    for (size_t k = 0; k < n; ++k) {
        const double sx = 1.0 + fabs(mu[k]);
        const double sm = 1.0 + fabs(mu[k]) + fabs(c->P[k]);
        if (!(fabs(g[k]) <= 1e-10 * sx) || !(fabs(g[n + k]) <= 1e-10 * sm))
            return 0;
    }
    return 1;
}

/*
 * The dense algebra of the Newton step for d <= TILT_OWN_MAX by our own
 * loops, each sum in a fixed order: OpenBLAS's dlauum and dpotrf take
 * other code paths with other roundings when it runs on more than one
 * thread (dlauum from n = 16, dpotrf at n = 64 on random matrices, and
 * at d = 5 on the Dask test's), so the tilt, and through it P, depended
 * in its last bits on OPENBLAS_NUM_THREADS: a Dask worker (which sets it
 * to 1) answered 49 of 256 problems 1 ulp away from the same call in the
 * client.  Above TILT_OWN_MAX the 2 d^3/3 flops per step go to LAPACK
 * (the manual, "Threads", says what that means).  The matrices are
 * row-major lower triangles, which is what LAPACK's column-major 'U'
 * sees.
 */
#define TILT_OWN_MAX 256

/* The lower triangle of W (d x d, row-major lower triangular) becomes the
   lower triangle of W^T W: (W^T W)_ij = sum_{k >= i} W_ki W_kj, j <= i;
   row i of the result needs rows k >= i of W only, so the rows are done
   in increasing order through tmp (d). */
static void gram_lower(size_t d, double *W, double *tmp)
{
    for (size_t i = 0; i < d; ++i) {
        for (size_t j = 0; j <= i; ++j)
            tmp[j] = 0.0;
        for (size_t k = i; k < d; ++k) {
            const double wki = W[k * d + i];
            const double *Wk = W + k * d;
            for (size_t j = 0; j <= i; ++j)
                tmp[j] += wki * Wk[j];
        }
        memcpy(W + i * d, tmp, (i + 1) * sizeof *tmp);
    }
}

/*
 * The Newton step (dx, dmu) solving J step = -g by the Schur complement
 * (see the top of the file).  W: d*d scratch; r: n scratch; tmp: d
 * scratch.  Returns 0, or a LAPACK-style info != 0.
 */
static int newton_step(const tilt_ctx *c, const double *g, double *dx,
                       double *dmu, double *W, double *r, double *tmp)
{
    const int own = c->d <= TILT_OWN_MAX;
    const size_t d = c->d, n = c->n;
    /* W = diag(sqrt(-E)) (I + C), row-major lower = column-major upper. */
    for (size_t k = 0; k < d; ++k) {
        const double Dk = c->V[k] - 1.0;
        const double Ek = k < n ? Dk / c->V[k] : Dk;
        const double s = Ek < 0.0 ? sqrt(-Ek) : 0.0;
        double *Wk = W + k * d;
        const double *Ck = c->C + k * d;
        for (size_t j = 0; j < k; ++j)
            Wk[j] = s * Ck[j];
        Wk[k] = s;
        for (size_t j = k + 1; j < d; ++j)
            Wk[j] = 0.0;
    }
    lapack_int info = 0;
    if (own)
        gram_lower(d, W, tmp);
    else
        info = LAPACKE_dlauum_work(LAPACK_COL_MAJOR, 'U', (lapack_int)d, W, (lapack_int)d);
    if (info != 0)
        return (int)info;
    for (size_t k = 0; k < n; ++k)
        W[k * d + k] += 1.0;
    info = own ? mvni_cholesky_lower(n, d, W, 0.0)
               : LAPACKE_dpotrf_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, W, (lapack_int)d);
    if (info != 0)
        return (int)info;
    /* (-S) dx = g_x - B^T V^-1 g_mu, B^T v = -v + C^T (D v). */
    for (size_t k = 0; k < n; ++k) {
        const double vk = g[n + k] / c->V[k];
        r[k] = g[k] + vk;
        dmu[k] = (c->V[k] - 1.0) * vk; /* D v, temporarily */
    }
    for (size_t k = 1; k < n; ++k) {
        const double *Ck = c->C + k * d;
        for (size_t j = 0; j < k; ++j)
            r[j] -= Ck[j] * dmu[k];
    }
    if (own)
        mvni_cholesky_solve(n, d, W, r);
    else
        info = LAPACKE_dpotrs_work(LAPACK_COL_MAJOR, 'U', (lapack_int)n, 1, W,
                                   (lapack_int)d, r, (lapack_int)n);
    if (info != 0)
        return (int)info;
    /* dmu = -V^-1 (g_mu + B dx), (B dx)_k = -dx_k + D_k sum_{j<k} C_kj dx_j. */
    for (size_t k = 0; k < n; ++k) {
        const double *Ck = c->C + k * d;
        double s = 0.0;
        for (size_t j = 0; j < k; ++j)
            s += Ck[j] * r[j];
        dx[k] = r[k];
        dmu[k] = -(g[n + k] - r[k] + (c->V[k] - 1.0) * s) / c->V[k];
    }
    return 0;
}

int mvni_tilt_solve(size_t d, const double *L, const double *a,
                    const double *b, double *mu, double *x, double *psi,
                    int *iters, double *work)
{
    for (size_t k = 0; k < d; ++k)
        if (!(L[k * d + k] > 0.0))
            return MVN_EINVAL;
    const size_t n = d - 1;
    double *C = work;                 /* d*d */
    double *W = C + d * d;            /* d*d */
    double *l = W + d * d;            /* d */
    double *u = l + d, *P = u + d, *V = P + d;
    double *xs = V + d, *ms = xs + d; /* current point */
    double *g = ms + d;               /* 2d: gradient */
    double *gt = g + 2 * d;           /* 2d: trial gradient */
    double *st = gt + 2 * d;          /* 2d: step (dx, dmu) */
    double *r = st + 2 * d;           /* d */
    double *xt = W, *mt = W + d;      /* trial point: W is free then */

    for (size_t k = 0; k < d; ++k) {
        const double s = 1.0 / L[k * d + k];
        for (size_t j = 0; j < k; ++j)
            C[k * d + j] = L[k * d + j] * s;
        l[k] = a[k] * s;
        u[k] = b[k] * s;
        xs[k] = ms[k] = 0.0;
    }
    tilt_ctx c = {d, n, C, l, u, P, V};

    /* Start at x = mu = 0, as Botev's own code does. */
    double ps = eval_point(&c, xs, ms, g, 1);
    double phi = half_sq_norm(g, 2 * n);
    int status = MVN_ETOL, it = 0;
    if (n == 0)
        status = MVN_OK;
    while (status != MVN_OK && it < TILT_MAX_ITER) {
        if (converged(&c, g, ms)) {
            status = MVN_OK;
            break;
        }
        ++it;
        /* gt is free until the line search: the step's scratch. */
        if (newton_step(&c, g, st, st + n, W, r, gt) != 0)
            break;
        /* Backtracking (Armijo on ||g||^2 / 2, whose slope along the
           Newton step is -||g||^2). */
        double s = 1.0, pt = NAN, phit = INFINITY;
        int h;
        for (h = 0; h < TILT_MAX_HALVINGS; ++h, s *= 0.5) {
            for (size_t k = 0; k < n; ++k) {
                xt[k] = xs[k] + s * st[k];
                mt[k] = ms[k] + s * st[n + k];
            }
            pt = eval_point(&c, xt, mt, gt, 0);
            phit = half_sq_norm(gt, 2 * n);
            if (isfinite(pt) && phit <= (1.0 - 1e-4 * s) * phi)
                break;
        }
        if (h == TILT_MAX_HALVINGS)
            break;
        memcpy(xs, xt, n * sizeof *xs);
        memcpy(ms, mt, n * sizeof *ms);
        ps = eval_point(&c, xs, ms, g, 1);
        phi = phit;
    }
    if (status != MVN_OK && converged(&c, g, ms))
        status = MVN_OK;
    for (size_t k = 0; k < d; ++k) {
        mu[k] = k < n ? ms[k] : 0.0;
        if (x != NULL)
            x[k] = k < n ? xs[k] : 0.0;
    }
    if (psi != NULL)
        *psi = ps;
    if (iters != NULL)
        *iters = it;
    return status;
}

double mvni_truncated_mean(double lt, double ut, double *logmass)
{
    const double w = mvni_log_norm_diff(lt, ut);
    const double pl = isinf(lt) ? 0.0 : exp(-0.5 * lt * lt - MVNI_LN_SQRT_2PI - w);
    const double pu = isinf(ut) ? 0.0 : exp(-0.5 * ut * ut - MVNI_LN_SQRT_2PI - w);
    double m = pl - pu;
    /* The mean stays inside the interval even where rounding says no. */
    if (!(m >= lt))
        m = isinf(lt) ? m : lt;
    if (!(m <= ut))
        m = isinf(ut) ? m : ut;
    if (!isfinite(m))
        m = 0.0;
    *logmass = w;
    return m;
}

/*
 * log of the GGE heuristic's estimate of P: the product of the interval
 * probabilities along the path where every z_k is the mean of its
 * truncated normal (Gibson, Glasbey & Elston 1994, the quantity the
 * reordering minimizes step by step).  O(d^2), no allocation.
 */
double mvni_tilt_log_estimate(size_t d, const double *L, const double *a,
                              const double *b, double *y)
{
    double lp = 0.0;
    for (size_t k = 0; k < d; ++k) {
        const double *Lk = L + k * d;
        double t = 0.0;
        for (size_t j = 0; j < k; ++j)
            t += Lk[j] * y[j];
        if (!(Lk[k] > 0.0)) {
            y[k] = 0.0;
            continue;
        }
        double w;
        y[k] = mvni_truncated_mean((a[k] - t) / Lk[k], (b[k] - t) / Lk[k], &w);
        lp += w;
    }
    return lp;
}

int mvni_tilt_pays(size_t d, const double *L, const double *a,
                   const double *b, double *work)
{
    return mvni_tilt_log_estimate(d, L, a, b, work) < TILT_AUTO_LOGP;
}

int mvni_tilted_qmc(size_t d, const double *L, const double *a,
                    const double *b, const mvni_qmc_options *opt,
                    mvni_result *res, double *logbound)
{
    if (logbound != NULL)
        *logbound = INFINITY;
    for (size_t k = 0; k < d; ++k)
        if (!(L[k * d + k] > 0.0))
            return mvni_sov_qmc(d, L, a, b, opt, res);
    double *mem = malloc((2 * d * d + 14 * d) * sizeof *mem);
    if (mem == NULL) {
        res->p = res->logp = res->abserr = res->relerr = NAN;
        res->evals = 0.0;
        res->status = MVN_ENOMEM;
        return MVN_ENOMEM;
    }
    double *mu = mem + 2 * d * d + 13 * d;
    double psi;
    int st = mvni_tilt_solve(d, L, a, b, mu, NULL, &psi, NULL, mem);
    if (st == MVN_OK && logbound != NULL)
        *logbound = psi;
    st = mvni_sov_qmc_tilted(d, L, a, b, mu, opt, res);
    free(mem);
    return st;
}
