/*
 * sov_grad.c -- derivatives of the randomized-lattice SOV estimator of P (route 2).
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The estimator of sov.c (Genz 1992; Genz & Bretz 2009 ch. 4) is, for one
 * random shift, the average over lattice points w of
 *     f(w) = prod_k e_k,  e_k = Phi(beta_k) - Phi(alpha_k),
 *     alpha_k = a_k / L_kk - sum_{m<k} c_km y_m,  beta_k likewise with b_k,
 *     c_km = L_km / L_kk,  y_k = Phi^-1(Phi(alpha_k) + w_k e_k).
 * f is a smooth function of (a, b, L) at fixed w, so the derivative of the
 * estimator is the same average of the exact derivatives of f: an
 * unbiased estimator of the gradient built from the same points as the
 * value (Hothorn 2024 uses the same idea for score functions).  The
 * derivative of f is taken in reverse mode (an adjoint pass): with
 * fbar_k = prod_{m != k} e_m (prefix times suffix products, so an empty
 * factor does not produce 0/0), ubar_k = ybar_k / phi(y_k), and
 * u_k = (1 - w_k) Phi(alpha_k) + w_k Phi(beta_k),
 *     alphabar_k = phi(alpha_k) (-fbar_k + (1 - w_k) ubar_k),
 *     betabar_k  = phi(beta_k)  ( fbar_k + w_k ubar_k),
 *     sbar_k = -(alphabar_k + betabar_k)  (s_k = sum_m c_km y_m),
 *     cbar_km += sbar_k y_m,  ybar_m += sbar_k c_km  (m < k),
 * and rows are visited from the last to the first, so ybar_k is complete
 * when row k is reached.  The pass costs the same O(d^2) multiply-adds as
 * the forward recurrence plus three exponentials per row.  Then
 *     dP/da_k = sum alphabar_k / L_kk,  dP/db_k = sum betabar_k / L_kk,
 *     Lbar_km = cbar_km / L_kk (m < k),
 *     Lbar_kk = -(sum_m cbar_km c_km + alphabar_k a_k / L_kk
 *                 + betabar_k b_k / L_kk) / L_kk.
 *
 * Cholesky backward rule (Murray 2016, "Differentiation of the Cholesky
 * decomposition", arXiv:1602.07527, eq. 10): for Sigma = L L^T and a
 * function with gradient Lbar (lower triangular),
 *     G = L^-T Phi_s(L^T Lbar) L^-1,
 * where Phi_s(X) is the symmetric matrix whose lower triangle is that of X
 * with the diagonal halved, plus its transpose, over 2 -- i.e.
 * Phi_s(X)_ij = X_max(i,j),min(i,j) / 2.  G is symmetric and
 * dP = sum_ij G_ij dSigma_ij for symmetric dSigma, which is the library's
 * convention.  The rule is linear, so it is applied to every shift's Lbar
 * and the spread of the shifts' G gives the error estimate of every entry.
 *
 * Points and shifts are exactly those of sov.c (same lattice sizes,
 * generating vectors, shifts mvni_uniform(seed, shift, coordinate), tent
 * periodization, antithetic pairs, last lattice size kept), so the value
 * agrees with mvni_sov_qmc to rounding where neither underflows.  This
 * file does not work in log space: where a factor e_k underflows the point
 * contributes 0 (documented in doc/algorithms/gradients.md).
 *
 * Threads go over the random shifts; each shift is summed in a fixed
 * order by one thread, so the result does not depend on the thread count.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef MVN_HAVE_OPENMP
#include <omp.h>
#endif

#include "gradient.h"

#define BLK 32          /* lattice points per block */
#define LANES (2 * BLK) /* with their antithetic partners */
#define INV_SQRT_2PI 0.39894228040143267794

static double pdf(double x)
{
    return INV_SQRT_2PI * exp(-0.5 * x * x);
}

/* Prepared problem: scaled limits and coefficients, as in sov.c. */
typedef struct {
    size_t d;
    const double *L;
    double *lo, *hi, *c; /* c: row k holds L_km / L_kk at c[k*d + m] */
    int *lo_inf, *hi_inf;
} problem;

/* Per-thread arrays, [row][lane]. */
typedef struct {
    double *y, *w, *al, *be, *f, *pr, *yb;
    double *s, *suf, *live;
} lanes_ws;

/* Per-shift sums over lanes. */
typedef struct {
    double val;
    double *dal, *dbe, *cbar; /* d, d, d*d (lower part) */
} shift_acc;

/*
 * One block: the points i0 .. i0+cnt-1 and their antithetic partners.
 * Adds the lane sums of f and of the adjoints into acc.
 */
static void block_grad(const problem *pb, uint64_t n, const uint64_t *z,
                       const double *shift, uint64_t i0, size_t cnt,
                       lanes_ws *ws, shift_acc *acc)
{
    const size_t d = pb->d;
    const double invn = 1.0 / (double)n;
    double *s = ws->s, *suf = ws->suf;

    /* A lane is dead when it is past the block's points or when one of
       its factors vanished (the sampled y may then be infinite): it
       contributes 0 to the value and to every derivative. */
    for (size_t p = 0; p < LANES; ++p)
        ws->pr[p] = ws->live[p] = (p % BLK) < cnt ? 1.0 : 0.0;

    /* Forward recurrence (as sov.c's eval_block). */
    for (size_t k = 0; k < d; ++k) {
        double *yk = ws->y + k * LANES, *wk = ws->w + k * LANES;
        double *al = ws->al + k * LANES, *be = ws->be + k * LANES;
        double *fk = ws->f + k * LANES, *prk = ws->pr + k * LANES;
        const int need_y = k + 1 < d;
        if (need_y) {
            uint64_t r = (i0 % n) * z[k] % n;
            for (size_t p = 0; p < BLK; ++p) {
                double x = (double)r * invn + shift[k];
                if (x >= 1.0)
                    x -= 1.0;
                double t = 1.0 - fabs(2.0 * x - 1.0);
                if (t < 0x1p-60)
                    t = 0x1p-60;
                if (t > 1.0 - 0x1p-53)
                    t = 1.0 - 0x1p-53;
                wk[p] = t;
                wk[p + BLK] = 1.0 - t;
                r += z[k];
                if (r >= n)
                    r -= n;
            }
        }
        for (size_t p = 0; p < LANES; ++p)
            s[p] = 0.0;
        const double *ck = pb->c + k * d;
        for (size_t m = 0; m < k; ++m) {
            const double cm = ck[m];
            const double *ym = ws->y + m * LANES;
            if (cm != 0.0)
                for (size_t p = 0; p < LANES; ++p)
                    s[p] += cm * ym[p];
        }
        const double lo = pb->lo[k], hi = pb->hi[k];
        for (size_t p = 0; p < LANES; ++p) {
            const double a = lo - s[p], b = hi - s[p];
            double e, yv = 0.0;
            if (a > 0) {
                const double qa = mvn_norm_Q(a);
                const double qb = pb->hi_inf[k] ? 0.0 : mvn_norm_Q(b);
                e = qa - qb;
                if (need_y)
                    yv = mvn_norm_Qinv(qa - wk[p] * e);
            } else {
                const double pa = pb->lo_inf[k] ? 0.0 : mvn_norm_P(a);
                const double pv = pb->hi_inf[k] ? 1.0 : mvn_norm_P(b);
                e = pv - pa;
                if (need_y)
                    yv = mvn_norm_Pinv(pa + wk[p] * e);
            }
            if (!(e > 0.0))
                e = 0.0;
            if (need_y) {
                if (yv < a)
                    yv = a;
                if (yv > b)
                    yv = b;
                if (e == 0.0 || !isfinite(yv)) {
                    ws->live[p] = 0.0;
                    yv = 0.0;
                }
                yk[p] = yv;
            } else if (e == 0.0) {
                ws->live[p] = 0.0;
            }
            al[p] = a;
            be[p] = b;
            fk[p] = e;
            if (k + 1 < d)
                prk[p + LANES] = prk[p] * e;
        }
    }

    /* Value. */
    {
        const double *pr = ws->pr + (d - 1) * LANES, *f = ws->f + (d - 1) * LANES;
        double v = 0.0;
        for (size_t p = 0; p < LANES; ++p)
            v += ws->live[p] * pr[p] * f[p];
        acc->val += v;
    }

    /* Reverse pass. */
    for (size_t p = 0; p < LANES; ++p)
        suf[p] = 1.0;
    memset(ws->yb, 0, d * LANES * sizeof(double));
    for (size_t k = d; k-- > 0;) {
        const double *yk = ws->y + k * LANES, *wk = ws->w + k * LANES;
        const double *al = ws->al + k * LANES, *be = ws->be + k * LANES;
        const double *fk = ws->f + k * LANES, *prk = ws->pr + k * LANES;
        const double *ybk = ws->yb + k * LANES;
        const int need_y = k + 1 < d;
        double sa = 0.0, sb = 0.0;
        for (size_t p = 0; p < LANES; ++p) {
            if (ws->live[p] == 0.0) {
                s[p] = 0.0;
                continue;
            }
            const double fbar = prk[p] * suf[p];
            double ubar = 0.0, wv = 0.0;
            if (need_y) {
                const double py = pdf(yk[p]);
                ubar = py > 0.0 ? ybk[p] / py : 0.0;
                wv = wk[p];
            }
            const double da = pb->lo_inf[k] ? 0.0
                              : pdf(al[p]) * (-fbar + (1.0 - wv) * ubar);
            const double db = pb->hi_inf[k] ? 0.0
                              : pdf(be[p]) * (fbar + wv * ubar);
            sa += da;
            sb += db;
            s[p] = -(da + db);
            suf[p] *= fk[p];
        }
        acc->dal[k] += sa;
        acc->dbe[k] += sb;
        const double *ck = pb->c + k * d;
        double *cb = acc->cbar + k * d;
        for (size_t m = 0; m < k; ++m) {
            const double *ym = ws->y + m * LANES;
            double *ybm = ws->yb + m * LANES;
            const double cm = ck[m];
            double t = 0.0;
            for (size_t p = 0; p < LANES; ++p) {
                t += s[p] * ym[p];
                ybm[p] += s[p] * cm;
            }
            cb[m] += t;
        }
    }
}

/* G = L^-T Phi_s(L^T Lbar) L^-1 (see the top of the file); Lbar is
   overwritten.  G must not alias Lbar. */
static void chol_backward(size_t d, const double *L, double *Lbar, double *G)
{
    const int n = (int)d;
    /* Lbar <- L^T Lbar (lower times lower: the product is full). */
    cblas_dtrmm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans,
                CblasNonUnit, n, n, 1.0, L, n, Lbar, n);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j <= i; ++j)
            G[i * d + j] = G[j * d + i] = 0.5 * Lbar[i * d + j];
    cblas_dtrsm(CblasRowMajor, CblasLeft, CblasLower, CblasTrans,
                CblasNonUnit, n, n, 1.0, L, n, G, n);
    cblas_dtrsm(CblasRowMajor, CblasRight, CblasLower, CblasNoTrans,
                CblasNonUnit, n, n, 1.0, L, n, G, n);
    /* Exact symmetry (the two solves round differently). */
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < i; ++j) {
            double v = 0.5 * (G[i * d + j] + G[j * d + i]);
            G[i * d + j] = G[j * d + i] = v;
        }
}

/* Running mean and sum of squared deviations (Welford) over shifts. */
static void welford(double *mean, double *m2, const double *x, size_t len,
                    int count)
{
    for (size_t i = 0; i < len; ++i) {
        double dlt = x[i] - mean[i];
        mean[i] += dlt / count;
        m2[i] += dlt * (x[i] - mean[i]);
    }
}

int mvni_sov_grad(size_t d, const double *L, const double *a,
                  const double *b, const mvni_qmc_options *opt,
                  mvni_result *res, double *ga, double *gb, double *gs,
                  double *ea, double *eb, double *es)
{
    const int M = opt->shifts >= 2 ? (opt->shifts <= 64 ? opt->shifts : 64) : 2;
    int nthreads = opt->threads >= 1 ? opt->threads : 1;
#ifndef MVN_HAVE_OPENMP
    nthreads = 1;
#endif
    if (nthreads > M)
        nthreads = M;
    const int want_g = gs != NULL || es != NULL;
    const size_t dd = d * d;
    const size_t wsz = 7 * d * LANES + 3 * LANES;
    const size_t accsz = 2 * d + dd;

    /* Problem data, shifts, per-shift accumulators and summaries. */
    size_t nprob = 3 * d + dd + 2 * d;
    double *pbuf = (double *)malloc(nprob * sizeof(double));
    int *ibuf = (int *)malloc(2 * d * sizeof(int));
    uint64_t *z = (uint64_t *)malloc(d * sizeof(uint64_t));
    double *shift = (double *)malloc((size_t)M * d * sizeof(double));
    double *acc = (double *)malloc((size_t)M * (accsz + 1) * sizeof(double));
    double *ws = (double *)malloc((size_t)nthreads * wsz * sizeof(double));
    /* Summaries: value (mean, m2), ga, gb (mean, m2 each), G (mean, m2),
       and one shift's Lbar and G. */
    const size_t nsum = 2 + 4 * d + (want_g ? 4 * dd : 0);
    double *sum = (double *)malloc(nsum * sizeof(double));
    if (!pbuf || !ibuf || !z || !shift || !acc || !ws || !sum) {
        free(pbuf); free(ibuf); free(z); free(shift); free(acc); free(ws); free(sum);
        res->p = res->logp = res->abserr = NAN;
        res->evals = 0.0;
        res->status = MVN_ENOMEM;
        return MVN_ENOMEM;
    }

    problem pb;
    pb.d = d;
    pb.L = L;
    pb.lo = pbuf;
    pb.hi = pbuf + d;
    pb.c = pbuf + 2 * d;
    double *invl = pbuf + 2 * d + dd;
    pb.lo_inf = ibuf;
    pb.hi_inf = ibuf + d;
    for (size_t k = 0; k < d; ++k) {
        const double lkk = L[k * d + k];
        invl[k] = 1.0 / lkk;
        pb.lo[k] = a[k] / lkk;
        pb.hi[k] = b[k] / lkk;
        pb.lo_inf[k] = isinf(a[k]);
        pb.hi_inf[k] = isinf(b[k]);
        for (size_t m = 0; m < d; ++m)
            pb.c[k * d + m] = m < k ? L[k * d + m] / lkk : 0.0;
    }
    for (int j = 0; j < M; ++j)
        for (size_t c = 0; c + 1 < d; ++c)
            shift[(size_t)j * d + c] = mvni_uniform(opt->seed, (uint64_t)j, (uint64_t)c);

    double *vmean = sum, *vm2 = sum + 1;
    double *gam = sum + 2, *gam2 = gam + d, *gbm = gam2 + d, *gbm2 = gbm + d;
    double *Gm = want_g ? gbm2 + d : NULL, *Gm2 = want_g ? Gm + dd : NULL;
    double *Lbar = want_g ? Gm2 + dd : NULL, *Gs = want_g ? Lbar + dd : NULL;

    const double tpm = 2.0 * (double)M;
    const int nsizes = mvni_lattice_count();
    double evals = 0.0;
    int done_ok = 0;
    for (int k = 0; k < nsizes; ++k) {
        const uint64_t n = mvni_lattice_points(k);
        for (size_t c = 0; c + 1 < d; ++c)
            z[c] = mvni_lattice_generator(k, c);

#ifdef MVN_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nthreads > 1)
#endif
        for (int j = 0; j < M; ++j) {
            int tid = 0;
#ifdef MVN_HAVE_OPENMP
            tid = omp_get_thread_num();
#endif
            double *w = ws + (size_t)tid * wsz;
            lanes_ws lw;
            lw.y = w;
            lw.w = w + d * LANES;
            lw.al = w + 2 * d * LANES;
            lw.be = w + 3 * d * LANES;
            lw.f = w + 4 * d * LANES;
            lw.pr = w + 5 * d * LANES;
            lw.yb = w + 6 * d * LANES;
            lw.s = w + 7 * d * LANES;
            lw.suf = lw.s + LANES;
            lw.live = lw.suf + LANES;
            double *aj = acc + (size_t)j * (accsz + 1);
            memset(aj, 0, (accsz + 1) * sizeof(double));
            shift_acc sa;
            sa.val = 0.0;
            sa.dal = aj + 1;
            sa.dbe = aj + 1 + d;
            sa.cbar = aj + 1 + 2 * d;
            for (uint64_t i0 = 0; i0 < n; i0 += BLK) {
                const size_t cnt = (size_t)(n - i0 < BLK ? n - i0 : BLK);
                block_grad(&pb, n, z, shift + (size_t)j * d, i0, cnt, &lw, &sa);
            }
            aj[0] = sa.val;
        }
        evals += tpm * (double)n;

        /* Per-shift estimates, combined in shift order. */
        const double scale = 1.0 / (2.0 * (double)n);
        memset(sum, 0, (2 + 4 * d + (want_g ? 2 * dd : 0)) * sizeof(double));
        for (int j = 0; j < M; ++j) {
            double *aj = acc + (size_t)j * (accsz + 1);
            double *dal = aj + 1, *dbe = aj + 1 + d, *cb = aj + 1 + 2 * d;
            double v = aj[0] * scale;
            welford(vmean, vm2, &v, 1, j + 1);
            for (size_t i = 0; i < d; ++i) {
                dal[i] *= scale * invl[i];
                dbe[i] *= scale * invl[i];
            }
            welford(gam, gam2, dal, d, j + 1);
            welford(gbm, gbm2, dbe, d, j + 1);
            if (!want_g)
                continue;
            for (size_t r = 0; r < d; ++r) {
                double diag = 0.0;
                for (size_t m = 0; m < r; ++m) {
                    double cbm = cb[r * d + m] * scale;
                    diag += cbm * pb.c[r * d + m];
                    Lbar[r * d + m] = cbm * invl[r];
                }
                /* dal, dbe are already divided by L_rr. */
                if (!pb.lo_inf[r])
                    diag += dal[r] * a[r];
                if (!pb.hi_inf[r])
                    diag += dbe[r] * b[r];
                Lbar[r * d + r] = -diag * invl[r];
                for (size_t m = r + 1; m < d; ++m)
                    Lbar[r * d + m] = 0.0;
            }
            chol_backward(d, L, Lbar, Gs);
            welford(Gm, Gm2, Gs, dd, j + 1);
        }

        /* Errors: factor * standard error of the mean over the shifts. */
        const double fse = opt->error_factor / sqrt((double)M * (M - 1));
        const double perr = fse * sqrt(*vm2);
        const double tol = fmax(opt->abseps, opt->releps * *vmean);
        double gerr = 0.0;
        for (size_t i = 0; i < d; ++i) {
            if (ga || ea)
                gerr = fmax(gerr, fse * sqrt(gam2[i]));
            if (gb || eb)
                gerr = fmax(gerr, fse * sqrt(gbm2[i]));
        }
        if (want_g)
            for (size_t i = 0; i < dd; ++i)
                gerr = fmax(gerr, fse * sqrt(Gm2[i]));
        if (perr <= tol && gerr <= tol) {
            done_ok = 1;
            break;
        }
        if (k + 1 >= nsizes ||
            evals + tpm * (double)mvni_lattice_points(k + 1) > opt->maxpts)
            break;
    }

    const double fse = opt->error_factor / sqrt((double)M * (M - 1));
    res->p = *vmean;
    res->logp = log(*vmean);
    res->abserr = fse * sqrt(*vm2);
    res->evals = evals;
    res->status = done_ok ? MVN_OK : MVN_ETOL;
    for (size_t i = 0; i < d; ++i) {
        if (ga)
            ga[i] = gam[i];
        if (gb)
            gb[i] = gbm[i];
        if (ea)
            ea[i] = fse * sqrt(gam2[i]);
        if (eb)
            eb[i] = fse * sqrt(gbm2[i]);
    }
    for (size_t i = 0; want_g && i < dd; ++i) {
        if (gs)
            gs[i] = Gm[i];
        if (es)
            es[i] = fse * sqrt(Gm2[i]);
    }
    free(pbuf); free(ibuf); free(z); free(shift); free(acc); free(ws); free(sum);
    return res->status;
}

int mvni_grad_estimator(size_t d, const double *a, const double *b,
                        const double *sigma, const mvni_solve_options *opt,
                        mvni_result *res, const mvni_grad_out *out)
{
    /* Exact routes where the closed form is exact or the factor is
       singular (the estimator divides by L_kk). */
    int closed = d <= 3;
    for (size_t i = 0; i < d && !closed; ++i)
        if (!(sigma[i * d + i] > 0.0))
            closed = 1;
    if (closed)
        return mvni_grad_closed(d, a, b, sigma, opt, res, out);

    const int want_g = out->g_sigma != NULL || out->err_sigma != NULL;
    const size_t dd = d * d;
    double *buf = (double *)malloc((dd + 6 * d + (want_g ? 2 * dd : 0)) * sizeof(double));
    size_t *perm = (size_t *)malloc(d * sizeof(size_t));
    if (buf == NULL || perm == NULL) {
        free(buf);
        free(perm);
        mvni_grad_out_nan(d, out);
        res->p = res->logp = res->abserr = NAN;
        return MVN_ENOMEM;
    }
    double *L = buf, *ap = L + dd, *bp = ap + d, *work = bp + d;
    double *ga = work + 2 * d, *gb = ga + d;
    double *gs = want_g ? gb + d : NULL, *es = want_g ? gs + dd : NULL;
    /* Error vectors reuse work after the factorization. */
    double *ea = work, *eb = work + d;
    memcpy(ap, a, d * sizeof(double));
    memcpy(bp, b, d * sizeof(double));
    int status = mvni_chol_reorder(d, sigma, ap, bp, opt->reorder, L, perm, work);
    if (status != MVN_OK) {
        free(buf);
        free(perm);
        mvni_grad_out_nan(d, out);
        res->p = res->logp = res->abserr = NAN;
        return status;
    }
    for (size_t k = 0; k < d; ++k)
        if (!(L[k * d + k] > 0.0)) {
            free(buf);
            free(perm);
            return mvni_grad_closed(d, a, b, sigma, opt, res, out);
        }
    /* Gradients of log P: this pass works in plain doubles, and plain SOV
       has a large relative error where P is small.  Where the rule of
       MVN_METHOD_AUTO would tilt (the GGE estimate of P is below 0.01,
       doc/algorithms/tilting.md), the closed form answers in log space;
       otherwise every entry is asked for the absolute error abseps * P
       (releps = abseps, abseps = 0 below), so that after the division by
       P it has about abseps. */
    mvni_qmc_options qopt = opt->qmc;
    if (out->log_space) {
        if (mvni_tilt_pays(d, L, ap, bp, work)) {
            free(buf);
            free(perm);
            return mvni_grad_closed(d, a, b, sigma, opt, res, out);
        }
        qopt.releps = fmax(opt->qmc.releps, opt->qmc.abseps);
        qopt.abseps = 0.0;
    }

    status = mvni_sov_grad(d, L, ap, bp, &qopt, res, ga, gb, gs, ea, eb, es);
    if (status != MVN_OK && status != MVN_ETOL) {
        free(buf);
        free(perm);
        mvni_grad_out_nan(d, out);
        return status;
    }
    /* The plain-double estimate of P is too small to divide by: the
       closed form in log space answers instead. */
    if (out->log_space && !(res->p > 1e-280)) {
        const double ev = res->evals;
        free(buf);
        free(perm);
        status = mvni_grad_closed(d, a, b, sigma, opt, res, out);
        res->evals += ev;
        return status;
    }
    /* Divided by P in log mode (the errors too). */
    const double scale = out->log_space ? 1.0 / res->p : 1.0;
    for (size_t k = 0; k < d; ++k) {
        ga[k] *= scale;
        gb[k] *= scale;
        ea[k] *= scale;
        eb[k] *= scale;
    }
    for (size_t k = 0; want_g && k < dd; ++k) {
        gs[k] *= scale;
        es[k] *= scale;
    }
    for (size_t k = 0; k < d; ++k) {
        const size_t i = perm[k];
        if (out->d_lower)
            out->d_lower[i] = isinf(a[i]) ? 0.0 : ga[k];
        if (out->d_upper)
            out->d_upper[i] = isinf(b[i]) ? 0.0 : gb[k];
        if (out->err_lower)
            out->err_lower[i] = ea[k];
        if (out->err_upper)
            out->err_upper[i] = eb[k];
        for (size_t l = 0; want_g && l < d; ++l) {
            const size_t j = perm[l];
            if (out->g_sigma)
                out->g_sigma[i * d + j] = gs[k * d + l];
            if (out->err_sigma)
                out->err_sigma[i * d + j] = es[k * d + l];
        }
    }
    free(buf);
    free(perm);

    /* Where P underflows the plain-double estimator, log P comes from the
       log-space integrator. */
    if (!(res->p > 1e-280)) {
        mvni_result r;
        double ev = res->evals;
        int s = mvni_solve(d, a, b, sigma, opt, &r);
        if (s == MVN_OK || s == MVN_ETOL) {
            *res = r;
            res->evals += ev;
            if (s == MVN_ETOL)
                status = MVN_ETOL;
        }
    }
    if (out->h_upper) {
        mvni_grad_out h;
        mvni_result r;
        memset(&h, 0, sizeof h);
        h.h_upper = out->h_upper;
        h.log_space = out->log_space;
        int s = mvni_grad_closed(d, a, b, sigma, opt, &r, &h);
        if (s != MVN_OK && s != MVN_ETOL) {
            mvni_grad_out_nan(d, out);
            return s;
        }
        res->evals += r.evals;
        if (s == MVN_ETOL)
            status = MVN_ETOL;
    }
    res->status = status;
    return status;
}
