/*
 * grad/estimator.c -- derivatives of the randomized-lattice SOV estimator of P (route 2).
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
 * when row k is reached.  The pass costs twice the O(d^2) multiply-adds of
 * the forward recurrence (ybar and cbar) plus three densities per row.
 * With the vector kernels (lib/simd) ybar_k = sum_{j>k} c_jk sbar_j is
 * pulled by dot products over the transposed coefficients and cbar by a
 * product over the block's lanes (sov_outer); see block_grad.  Then
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
 * and the spread of the shifts' G gives the error estimate of every entry;
 * at O(d^3) per shift it is applied only at lattice sizes that can end the
 * iteration (value and limit derivatives converged, or the last size).
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

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef MVN_HAVE_OPENMP
#include <omp.h>
#endif

#include "grad/grad.h"
#include "qmc/qmc.h"
#include "qmc/sov_row.h"
/* The per-row steps are the kernel sets of lib/simd (portable vector
   extensions, AVX2, AVX-512: bitwise the same numbers), chosen at run
   time; --disable-simd builds only the portable set. */
#include "simd/kernels.h"

#define BLK 32          /* lattice points per block */
#define LANES (2 * BLK) /* with their antithetic partners */
#define INV_SQRT_2PI 0.39894228040143267794
/* Below this a Phi value underflows for sov.c, which then works in log
   space; here such lanes are redone in plain doubles (see the top). */
#define SG_TINY MVNI_SOV_TINY
_Static_assert(LANES == MVNI_SOV_LANES, "simd/kernels.h block size");
/* Rows whose dot products are summed together (simd sov_dot_rows), and
   the shortest band for which that pays: as sov.c. */
#define SG_GROUP 8
#define SG_GROUP_MIN 64

/* Prepared problem: scaled limits and coefficients, as in sov.c. */
typedef struct {
    size_t d;
    size_t ldc; /* row stride of the cbar accumulator */
    int want_cbar; /* G requested (else cbar is not accumulated) */
    const double *L;
    double *lo, *hi, *c; /* c: row k holds L_km / L_kk at c[k*d + m] */
    int *lo_inf, *hi_inf;
    const mvni_simd_kernels *k;
    double *ct;     /* transposed: ct[m*d + k] = c_km for k > m, else 0 */
    size_t *first;  /* first nonzero coefficient of row k (k if none) */
    size_t *last;   /* last row k with c_km != 0 for column m (m if none) */
    /* Rows without coefficients, as sov.c: cmode 0 lower side, 1 upper
       side (Phi precomputed: cbase, ce), 2 through the vector step. */
    int *cmode;
    double *cbase, *ce;
} problem;

/* Per-thread arrays, [row][lane]. */
typedef struct {
    double *y, *w, *al, *be, *f, *pr, *yb;
    double *s, *suf, *live;
    double *yt; /* y transposed, [lane][column], row stride pb->ldc */
    double *gs; /* SG_GROUP rows of grouped dot products */
} lanes_ws;

/* Per-shift sums over lanes. */
typedef struct {
    double val;
    double *dal, *dbe, *cbar; /* d, d, d*ldc (lower part) */
} shift_acc;

/*
 * One lane of one row in plain doubles, as the scalar loop of sov.c did:
 * the Phi values on the side of zero where the interval has relative
 * accuracy, e clamped at 0, y clamped into [a, b].
 */
static void lane_step(const problem *pb, size_t k, double a, double b,
                      double w, int need_y, double *e_out, double *y_out)
{
    double e, yv = 0.0;
    if (a > 0) {
        const double qa = mvn_norm_Q(a);
        const double qb = pb->hi_inf[k] ? 0.0 : mvn_norm_Q(b);
        e = qa - qb;
        if (need_y)
            yv = mvn_norm_Qinv(qa - w * e);
    } else {
        const double pa = pb->lo_inf[k] ? 0.0 : mvn_norm_P(a);
        const double pv = pb->hi_inf[k] ? 1.0 : mvn_norm_P(b);
        e = pv - pa;
        if (need_y)
            yv = mvn_norm_Pinv(pa + w * e);
    }
    if (!(e > 0.0))
        e = 0.0;
    if (need_y) {
        if (yv < a)
            yv = a;
        if (yv > b)
            yv = b;
    }
    *e_out = e;
    *y_out = yv;
}

/* Sum of the LANES values of x in a fixed order, the same on every
   machine: eight running sums of every eighth lane (a loop the compiler
   vectorizes), then those eight pairwise. */
static double lane_sum(const double *x)
{
    double a[8];
    for (int q = 0; q < 8; ++q)
        a[q] = x[q];
    for (size_t j = 8; j < LANES; j += 8)
        for (int q = 0; q < 8; ++q)
            a[q] += x[j + q];
    return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
}

/*
 * One block with the vector kernels of lib/simd: the points i0 ..
 * i0+cnt-1 and their antithetic partners; adds the lane sums of f and of
 * the adjoints into acc.  Workspace rows (ws): y, w, s (= al), e (= f),
 * prefix products (pr), sbar (= yb), all [row][lane]; y transposed (yt);
 * grouped dot products (gs); and the per-lane temporaries s, suf, live,
 * al, be (the last two of LANES only here).
 *
 * Forward: s_k by sov_dot (sov_dot_rows for long bands: bitwise the same
 * sums, and bitwise sov.c's s since the coefficients are formed as
 * there), then e_k and y_k by sov_step (sov_const for rows without
 * coefficients).  Lanes whose Phi values sov.c would take to log space
 * are redone in plain doubles by lane_step.
 * Reverse, rows from the last: ybar_k = sum_{j > k} c_jk sbar_j is pulled
 * with sov_dot over the transposed coefficients (all sbar_j, j > k, are
 * final by then), the three densities by the pdf kernel, the adjoint
 * arithmetic over lanes in plain loops, and at the end
 * cbar_km += sum_p sbar_k y_m for all m < k by sov_outer (a small matrix
 * product over the lanes, y transposed so that no horizontal sums are
 * needed).  Summation orders differ from the scalar version (rounding
 * only); they are fixed, so results do not depend on the thread count.
 */
static void block_grad(const problem *pb, uint64_t n, const uint64_t *z,
                       const double *shift, uint64_t i0, size_t cnt, int odd,
                       lanes_ws *ws, shift_acc *acc)
{
    const size_t d = pb->d, ldc = pb->ldc;
    const mvni_simd_kernels *K = pb->k;
    double *Y = ws->y, *S = ws->al, *E = ws->f, *PR = ws->pr, *SB = ws->yb;
    double *live = ws->live, *suf = ws->suf, *t0 = ws->s, *t1 = ws->be;
    double *t2 = ws->be + LANES, *t3 = ws->be + 2 * LANES;
    double *GS = ws->gs;
    size_t gs = 0, ge = 0; /* rows gs .. ge-1 have grouped sums in GS */

    for (size_t p = 0; p < LANES; ++p)
        PR[p] = live[p] = (p % BLK) < cnt ? 1.0 : 0.0;

    for (size_t k = 0; k < d; ++k) {
        double *yk = Y + k * LANES, *wk = ws->w + k * LANES;
        double *sk = S + k * LANES, *ek = E + k * LANES;
        const int need_y = k + 1 < d;
        const size_t first = pb->first[k];
        if (need_y)
            mvni_lattice_block(n, z[k], shift[k], i0, BLK, odd, wk);

        /* s = sum_m c_km y_m over the band, grouped as in sov.c. */
        if (k >= ge && k - first >= SG_GROUP_MIN && need_y) {
            const double *cp[SG_GROUP];
            size_t r = k;
            while (r < d && r < k + SG_GROUP && pb->first[r] == first) {
                cp[r - k] = pb->c + r * d + first;
                ++r;
            }
            if (r - k >= 2) {
                K->sov_dot_rows(r - k, cp, first, k, Y, GS);
                gs = k;
                ge = r;
            }
        }
        if (k < ge) {
            memcpy(sk, GS + (k - gs) * LANES, LANES * sizeof *sk);
            K->sov_dot_acc(pb->c + k * d + gs, gs, k, Y, sk);
        } else {
            K->sov_dot(pb->c + k * d + first, first, k, Y, sk);
        }

        if (pb->cmode[k] < 2) {
            for (size_t p = 0; p < LANES; ++p)
                ek[p] = pb->ce[k];
            if (need_y)
                K->sov_const(pb->cbase[k], pb->ce[k], pb->cmode[k] == 1, wk, yk);
        } else {
            const int nlog = K->sov_step(sk, pb->lo[k], pb->hi[k], wk, SG_TINY,
                                         ek, need_y ? yk : NULL);
            for (size_t p = 0; nlog > 0 && p < LANES; ++p)
                if (ek[p] < 0.0)
                    lane_step(pb, k, pb->lo[k] - sk[p], pb->hi[k] - sk[p],
                              need_y ? wk[p] : 0.0, need_y, &ek[p], &yk[p]);
        }
        /* Dead lanes: a vanished factor, or (NaN included) a sample that
           is not finite; their y is set to 0 so that later rows stay
           finite.  Written without branches (selects) for the vectorizer. */
        if (need_y) {
            for (size_t p = 0; p < LANES; ++p) {
                const int ok = ek[p] > 0.0 && fabs(yk[p]) <= DBL_MAX;
                live[p] = ok ? live[p] : 0.0;
                yk[p] = ok ? yk[p] : 0.0;
                PR[(k + 1) * LANES + p] = PR[k * LANES + p] * ek[p];
            }
        } else {
            for (size_t p = 0; p < LANES; ++p)
                live[p] = ek[p] > 0.0 ? live[p] : 0.0;
        }
    }

    /* Value. */
    for (size_t p = 0; p < LANES; ++p)
        t0[p] = live[p] != 0.0 ? PR[(d - 1) * LANES + p] * E[(d - 1) * LANES + p]
                               : 0.0;
    acc->val += lane_sum(t0);

    /* Reverse pass. */
    for (size_t p = 0; p < LANES; ++p)
        suf[p] = 1.0;
    ge = d; /* rows gs .. ge-1: grouped sums over the columns ge .. d-1 */
    gs = d;
    for (size_t k = d; k-- > 0;) {
        const double *yk = Y + k * LANES, *wk = ws->w + k * LANES;
        const double *sk = S + k * LANES, *ek = E + k * LANES;
        const double *prk = PR + k * LANES;
        double *sbk = SB + k * LANES;
        const int need_y = k + 1 < d;
        double *yb = t3;
        if (need_y) {
            size_t top = pb->last[k] + 1; /* columns k+1 .. top-1 */
            if (k < gs && top - (k + 1) >= SG_GROUP_MIN) {
                /* Rows k, k-1, ... together over the columns past k, up
                   to the last column any of them uses (the transposed
                   rows are zero past their own last one). */
                const double *cp[SG_GROUP];
                size_t r = 0, gtop = top;
                while (r < SG_GROUP && r <= k) {
                    cp[r] = pb->ct + (k - r) * d + (k + 1);
                    if (pb->last[k - r] + 1 > gtop)
                        gtop = pb->last[k - r] + 1;
                    ++r;
                }
                if (r >= 2) {
                    K->sov_dot_rows(r, cp, k + 1, gtop, SB, GS);
                    ge = k + 1;
                    gs = k + 1 - r;
                }
            }
            if (k >= gs && k < ge) {
                memcpy(yb, GS + (ge - 1 - k) * LANES, LANES * sizeof *yb);
                K->sov_dot_acc(pb->ct + k * d + (k + 1), k + 1, ge, SB, yb);
            } else {
                K->sov_dot(pb->ct + k * d + (k + 1), k + 1, top, SB, yb);
            }
            K->pdf(LANES, yk, t2);
        } else {
            /* The last row samples nothing: ybar = 0, and w = 0 (read
               from the zeroed ybar) only multiplies it. */
            for (size_t p = 0; p < LANES; ++p) {
                yb[p] = 0.0;
                t2[p] = 1.0;
            }
            wk = yb;
        }
        /* Densities at the limits; an infinite limit has density 0 (set
           here, so that the loop below needs no branches). */
        const double lo = pb->lo[k], hi = pb->hi[k];
        for (size_t p = 0; p < LANES; ++p) {
            t0[p] = pb->lo_inf[k] ? 0.0 : lo - sk[p];
            t1[p] = pb->hi_inf[k] ? 0.0 : hi - sk[p];
        }
        if (!pb->lo_inf[k])
            K->pdf(LANES, t0, t0);
        if (!pb->hi_inf[k])
            K->pdf(LANES, t1, t1);
        for (size_t p = 0; p < LANES; ++p) {
            const double fbar = prk[p] * suf[p];
            const double ubar = t2[p] > 0.0 ? yb[p] / t2[p] : 0.0;
            const double wv = wk[p];
            const double da = t0[p] * (-fbar + (1.0 - wv) * ubar);
            const double db = t1[p] * (fbar + wv * ubar);
            const int lv = live[p] != 0.0;
            t0[p] = lv ? da : 0.0;
            t1[p] = lv ? db : 0.0;
            sbk[p] = lv ? -(da + db) : 0.0;
            suf[p] *= ek[p];
        }
        acc->dal[k] += lane_sum(t0);
        acc->dbe[k] += lane_sum(t1);
    }

    /* cbar_km += sum over lanes of sbar_k y_m, m < k, for rows 1 .. d-1
       in tiles of 4 rows (the columns up to the tile's last row, rounded
       up to 8; the entries past the diagonal are never read).  Only G
       needs it: without G a third of the O(d^2) work is saved. */
    if (!pb->want_cbar)
        return;
    double *YT = ws->yt;
    for (size_t m = 0; m + 1 < d; ++m)
        for (size_t p = 0; p < LANES; ++p)
            YT[p * ldc + m] = Y[m * LANES + p];
    for (size_t k0 = 1; k0 < d; k0 += 4) {
        const size_t nr = d - k0 < 4 ? d - k0 : 4;
        const size_t ncol = (k0 + nr - 1 + 7) / 8 * 8;
        K->sov_outer(nr, SB + k0 * LANES, YT, ldc, ncol, acc->cbar + k0 * ldc,
                     ldc);
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
    /* cbar rows padded to a multiple of 8 columns (sov_outer writes whole
       vectors); per-thread workspace: six [row][lane] arrays, y
       transposed, the grouped sums and six lane temporaries, each start
       on a 64-byte line (every size is a multiple of 8 doubles). */
    const size_t ldc = (d + 7) / 8 * 8;
    const size_t wsz = 6 * d * LANES + LANES * ldc + SG_GROUP * LANES + 6 * LANES;
    /* Problem data: lo, hi, c, invl, ct, cbase, ce. */
    const size_t nprob = 3 * d + 2 * dd + 2 * d;
    const size_t nidx = 2 * d; /* first, last */
    const size_t nint = 3 * d; /* lo_inf, hi_inf, cmode */
    const size_t accsz = 2 * d + d * ldc;

    /* Problem data, shifts, per-shift accumulators and summaries. */
    double *pbuf = (double *)malloc(nprob * sizeof(double));
    int *ibuf = (int *)malloc(nint * sizeof(int));
    size_t *xbuf = (size_t *)malloc(nidx * sizeof(size_t));
    uint64_t *z = (uint64_t *)malloc(d * sizeof(uint64_t));
    double *shift = (double *)malloc((size_t)M * d * sizeof(double));
    /* Per shift: the raw sums (value, limit derivatives, cbar), kept
       from one lattice size to the next, then the limit derivatives
       scaled for the current size (2 d). */
    double *acc = (double *)malloc((size_t)M * (accsz + 1 + 2 * d) * sizeof(double));
    double *ws = (double *)aligned_alloc(64, (size_t)nthreads * wsz * sizeof(double));
    /* Summaries: value (mean, m2), ga, gb (mean, m2 each), G (mean, m2),
       and one shift's Lbar and G. */
    const size_t nsum = 2 + 4 * d + (want_g ? 4 * dd : 0);
    double *sum = (double *)malloc(nsum * sizeof(double));
    if (!pbuf || !ibuf || !xbuf || !z || !shift || !acc || !ws || !sum) {
        free(pbuf); free(ibuf); free(xbuf); free(z); free(shift); free(acc);
        free(ws); free(sum);
        res->p = res->logp = res->abserr = NAN;
        res->evals = 0.0;
        res->status = MVN_ENOMEM;
        return MVN_ENOMEM;
    }

    /* Limits and coefficients formed as sov.c forms them (multiplied by
       1 / L_kk), so that the forward pass gives bitwise its s values. */
    problem pb;
    pb.d = d;
    pb.ldc = ldc;
    pb.want_cbar = want_g;
    pb.L = L;
    pb.lo = pbuf;
    pb.hi = pbuf + d;
    pb.c = pbuf + 2 * d;
    double *invl = pbuf + 2 * d + dd;
    pb.lo_inf = ibuf;
    pb.hi_inf = ibuf + d;
    for (size_t k = 0; k < d; ++k) {
        const double lkk = L[k * d + k];
        const double scale = 1.0 / lkk;
        invl[k] = scale;
        pb.lo[k] = a[k] * scale;
        pb.hi[k] = b[k] * scale;
        pb.lo_inf[k] = isinf(a[k]);
        pb.hi_inf[k] = isinf(b[k]);
        for (size_t m = 0; m < d; ++m)
            pb.c[k * d + m] = m < k ? L[k * d + m] * scale : 0.0;
    }
    pb.k = mvni_simd_best();
    pb.ct = pbuf + 3 * d + dd;
    pb.cbase = pb.ct + dd;
    pb.ce = pb.cbase + d;
    pb.cmode = ibuf + 2 * d;
    pb.first = xbuf;
    pb.last = xbuf + d;
    for (size_t m = 0; m < d; ++m) {
        pb.last[m] = m;
        for (size_t k = 0; k < d; ++k) {
            pb.ct[m * d + k] = k > m ? pb.c[k * d + m] : 0.0;
            if (k > m && pb.c[k * d + m] != 0.0)
                pb.last[m] = k;
        }
    }
    for (size_t k = 0; k < d; ++k) {
        const size_t f = mvni_sov_row_first(d, L, k);
        pb.first[k] = f;
        /* Rows without coefficients: Phi once here, as sov.c. */
        pb.cmode[k] = 2;
        pb.cbase[k] = pb.ce[k] = 0.0;
        if (f == k)
            mvni_sov_row_constant(pb.lo[k], pb.hi[k], pb.lo_inf[k], pb.hi_inf[k],
                                  &pb.cmode[k], &pb.cbase[k], &pb.ce[k]);
    }
    /* The padding of y transposed must hold finite numbers (it meets
       sbar = 0 only in entries that are never read). */
    memset(ws, 0, (size_t)nthreads * wsz * sizeof(double));
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
    double *lsc = acc + (size_t)M * (accsz + 1); /* scaled dal, dbe per shift */
    for (int k = 0; k < nsizes; ++k) {
        const uint64_t n = mvni_lattice_points(k);
        /* The sizes are embedded (lattice.c): after the first, only the
           points a size adds (the odd indices) are evaluated, and their
           sums are added to the shift's sums of the earlier points. */
        const int odd = k > 0;
        const uint64_t nnew = odd ? n / 2 : n;
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
            lw.f = w + 3 * d * LANES;
            lw.pr = w + 4 * d * LANES;
            lw.yb = w + 5 * d * LANES;
            lw.yt = w + 6 * d * LANES;
            lw.gs = lw.yt + LANES * ldc;
            lw.s = lw.gs + SG_GROUP * LANES;
            lw.suf = lw.s + LANES;
            lw.live = lw.suf + LANES;
            lw.be = lw.live + LANES; /* 3 * LANES of temporaries */
            double *aj = acc + (size_t)j * (accsz + 1);
            if (!odd)
                memset(aj, 0, (accsz + 1) * sizeof(double));
            shift_acc sa;
            sa.val = aj[0];
            sa.dal = aj + 1;
            sa.dbe = aj + 1 + d;
            sa.cbar = aj + 1 + 2 * d;
            for (uint64_t i0 = 0; i0 < nnew; i0 += BLK) {
                const size_t cnt = (size_t)(nnew - i0 < BLK ? nnew - i0 : BLK);
                block_grad(&pb, n, z, shift + (size_t)j * d, i0, cnt, odd, &lw, &sa);
            }
            aj[0] = sa.val;
        }
        evals += tpm * (double)nnew;

        /* Per-shift estimates, combined in shift order: the value and
           the limit derivatives first. */
        const double scale = 1.0 / (2.0 * (double)n);
        memset(sum, 0, (2 + 4 * d) * sizeof(double));
        for (int j = 0; j < M; ++j) {
            const double *aj = acc + (size_t)j * (accsz + 1);
            double *dal = lsc + (size_t)j * 2 * d, *dbe = dal + d;
            double v = aj[0] * scale;
            welford(vmean, vm2, &v, 1, j + 1);
            for (size_t i = 0; i < d; ++i) {
                dal[i] = aj[1 + i] * scale * invl[i];
                dbe[i] = aj[1 + d + i] * scale * invl[i];
            }
            welford(gam, gam2, dal, d, j + 1);
            welford(gbm, gbm2, dbe, d, j + 1);
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
        /* The next size costs its new half: as many points as this one. */
        const int last = k + 1 >= nsizes ||
            evals + tpm * (double)mvni_lattice_points(k + 1) / 2.0 > opt->maxpts;

        /* G of every shift by the Cholesky backward rule, O(d^3) each: only
           where this size can end the iteration (the value and the limit
           derivatives meet the tolerance, or it is the last size), since
           otherwise the next size is computed whatever G's error is.  At
           d = 1000 the M backward rules cost as much as a few thousand
           lattice points. */
        if (want_g && (last || (perr <= tol && gerr <= tol))) {
            memset(Gm, 0, 2 * dd * sizeof(double));
            for (int j = 0; j < M; ++j) {
                const double *aj = acc + (size_t)j * (accsz + 1);
                const double *dal = lsc + (size_t)j * 2 * d, *dbe = dal + d;
                const double *cb = aj + 1 + 2 * d;
                for (size_t r = 0; r < d; ++r) {
                    double diag = 0.0;
                    for (size_t m = 0; m < r; ++m) {
                        double cbm = cb[r * ldc + m] * scale;
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
            for (size_t i = 0; i < dd; ++i)
                gerr = fmax(gerr, fse * sqrt(Gm2[i]));
        } else if (want_g) {
            gerr = INFINITY;
        }
        if (perr <= tol && gerr <= tol) {
            done_ok = 1;
            break;
        }
        if (last)
            break;
        if (mvni_monitor_step(opt->monitor, tpm * (double)nnew)) {
            res->p = res->logp = res->abserr = NAN;
            res->evals = evals;
            res->status = MVN_ECANCELED;
            free(pbuf); free(ibuf); free(xbuf); free(z); free(shift); free(acc);
            free(ws); free(sum);
            return MVN_ECANCELED;
        }
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
    free(pbuf); free(ibuf); free(xbuf); free(z); free(shift); free(acc);
    free(ws); free(sum);
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
    if (closed) {
        res->evals = 0.0;
        return MVNI_GRAD_DECLINED;
    }

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
            res->evals = 0.0;
            return MVNI_GRAD_DECLINED;
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
            res->evals = 0.0;
            return MVNI_GRAD_DECLINED;
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
        free(buf);
        free(perm);
        return MVNI_GRAD_DECLINED; /* res->evals: what was spent here */
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
    res->status = status;
    return status;
}
