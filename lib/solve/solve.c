/*
 * solve/solve.c -- solving one validated problem.  Removes what the answer
 * does not depend on (coordinates with both limits infinite, zero-variance
 * coordinates), splits block-diagonal Sigma into independent blocks,
 * answers blocks of size 1, 2, 3 with the exact kernels and larger blocks
 * with separation of variables + lattice QMC, and combines the blocks'
 * probabilities, logs and errors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "solve/solve.h"
#include "exact/exact.h"
#include "qmc/qmc.h"

static void result_set(mvni_result *r, double p, double logp, double abserr)
{
    r->p = p;
    r->logp = logp;
    r->abserr = abserr;
    r->evals = 0.0;
    r->status = MVN_OK;
    /* The exact kernels keep log p relatively accurate to about 1e-13 where
       p itself underflows (doc/algorithms/bivariate.md, trivariate.md). */
    r->relerr = p > 0.0 ? abserr / p : isfinite(logp) ? 1e-12 : 0.0;
}

/* Union-find root with path halving. */
static size_t find_root(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

/* Scratch for one block of size m: correlation, factor, limits, perm.
   corr and chol (maxm^2 each) are allocated on the first block that needs
   the dense route (heap != 0 then), so that a large structured problem
   never holds them. */
typedef struct {
    double *corr, *chol, *a, *b, *work;
    size_t *perm;
    size_t maxm;
    int heap;
} block_scratch;

/* Two structures have deterministic answers to about 1e-12 in log P in
   any dimension and however small P is, taken under MVN_METHOD_AUTO for
   blocks of size >= 4, whatever the reorder option but GGE_ALWAYS:
   one-factor correlations (R_ij = lambda_i lambda_j: equicorrelated
   rho >= 0, Dunnett's comparisons) by one log-space integral
   (exact/factor.c), and Gauss-Markov chains in the given order (AR(1)
   and its kin: tridiagonal precision) by a forward recursion
   (exact/chain.c).  Returns 1 with *st set when one answered (or failed
   for memory), 0 to go on (neither, or a chain the recursion declines:
   |r| too near 1 for its node budget). */
static int solve_exact_structure(size_t m, const mvni_corr_view *cv,
                                 block_scratch *s, const mvni_qmc_options *qmc,
                                 mvni_result *r, int *st)
{
    double *coef = s->work + m; /* the standard deviations are in work[0, m) */
    if (mvni_factor_find(m, cv, coef)) {
        *st = mvni_factor_prob(m, coef, s->a, s->b, qmc, r);
        return 1;
    }
    if (mvni_chain_find(m, cv, coef)) {
        *st = mvni_chain_prob(m, coef, s->a, s->b, qmc, r);
        return *st != MVNI_CHAIN_DECLINED;
    }
    if (!mvni_tridiag_find(m, cv, coef))
        return 0;
    *st = mvni_ma1_prob(m, coef, s->a, s->b, qmc, r);
    return *st != MVNI_MA1_DECLINED;
}

/* The structured route (qmc/band.c): when the block, in its given order,
   has a banded Cholesky factor or a short Markov window, integrate in that
   order at O(d + nnz) per point.  Taken under MVN_REORDER_NONE (the same
   integrand as the dense route), never under MVN_REORDER_GGE_ALWAYS or for
   tilting (which needs the dense factor), and under MVN_REORDER_GGE when a
   point costs at most 1/SOLVE_STRUCTURED_GAIN of a dense one.  Measured
   (doc/algorithms/structured.md): a point costs about one Phi step per
   row plus 1/300 of one per coefficient (dense/structured time per point
   1.5 at d = 300, 2.4 at d = 1000), and the natural order needs 4-16
   times fewer points than GGE on AR(1) with rho = 0.5 but 8 times more at
   d = 100 and 2 times more at d = 300 with rho = 0.9.  The gain of 1.5
   (AR(1): d >= 300) keeps the worst measured case to a loss of 1.3 in
   time against wins of 20 and more.  Returns MVNI_NOT_STRUCTURED to fall
   through to the dense route.  s->work holds the standard deviations.
   One-factor matrices and chains come first (solve_exact_structure). */
#define SOLVE_STRUCTURED_GAIN 1.5
#define SOLVE_COEF_COST (1.0 / 300)
static int solve_structured(size_t d, const double *sigma, const size_t *idx,
                            size_t m, const mvni_solve_options *opt,
                            const mvni_qmc_options *qmc, block_scratch *s,
                            mvni_result *r)
{
    /* Work per point in row steps; under GGE even nnz = 0 must beat the
       dense factor. */
    const double dm = (double)m, dense = dm + SOLVE_COEF_COST * dm * (dm - 1) / 2;
    const int gge = opt->reorder != MVN_REORDER_NONE;
    const int exact = opt->method == MVN_METHOD_AUTO;
    if (m < 4 || opt->method == MVN_METHOD_TILTED ||
        opt->reorder == MVN_REORDER_GGE_ALWAYS ||
        (!exact && gge && SOLVE_STRUCTURED_GAIN * dm > dense))
        return MVNI_NOT_STRUCTURED;
    const mvni_corr_view cv = {sigma, d, idx, s->work};
    int st;
    if (exact && solve_exact_structure(m, &cv, s, qmc, r, &st))
        return st;
    if (gge && SOLVE_STRUCTURED_GAIN * dm > dense)
        return MVNI_NOT_STRUCTURED;
    mvni_sparse_factor f;
    st = mvni_sparse_factor_find(m, &cv, &f);
    if (st != MVN_OK)
        return st;
    if (gge && SOLVE_STRUCTURED_GAIN * (dm + SOLVE_COEF_COST * (double)f.nnz) > dense)
        st = MVNI_NOT_STRUCTURED;
    else if (opt->method == MVN_METHOD_AUTO &&
        mvni_sparse_log_estimate(&f, s->a, s->b, s->work + m) < MVNI_TILT_AUTO_LOGP)
        st = MVNI_NOT_STRUCTURED;
    else
        st = mvni_sov_qmc_sparse(&f, s->a, s->b, qmc, r);
    mvni_sparse_factor_free(&f);
    return st;
}

/*
 * The factorization counts a pivot within +-MVNI_PSD_TOL as zero: the
 * integral is then that of a neighbouring singular matrix.  Dropping a
 * conditional variance s (unit diagonal: the block is a correlation
 * matrix) moves the row's limits by about sqrt(s) standard deviations, so
 * P moves by at most the mass of that band, about 3 sqrt(s) (as for the
 * narrow features of qmc/sov.c).  That bound joins abserr: the
 * integrator's own estimate cannot see it (r = 1 - 5e-12 in 2-D under
 * METHOD_QMC gave P = 0 +- 0, exactly 5.03e-7).  An exactly singular
 * matrix has s = 0 to rounding and keeps its abserr.
 */
static int add_dropped_pivot_error(size_t m, const double *L,
                                   const mvni_qmc_options *qmc, int status,
                                   mvni_result *r)
{
    double smax = 0.0;
    for (size_t i = 0; i < m; ++i) {
        if (L[i * m + i] > 0.0)
            continue;
        double ss = 0.0;
        for (size_t j = 0; j < i; ++j)
            ss += L[i * m + j] * L[i * m + j];
        if (1.0 - ss > smax)
            smax = 1.0 - ss;
    }
    const double bound = 3.0 * sqrt(smax);
    if (!(bound > r->abserr))
        return status;
    r->abserr = bound;
    r->relerr = r->p > 0.0 ? bound / r->p : INFINITY;
    /* The request is then met only if the bound is within it. */
    return bound <= fmax(qmc->abseps, qmc->releps * r->p) ? status : MVN_ETOL;
}

/* P(a < Y < b) for one block given as indices idx[0..m) into the full
   problem.  The block is standardized to unit variances first (P is
   invariant under scaling), which also makes the singularity tolerance of
   the factorization relative. */
static int solve_block(size_t d, const double *a, const double *b,
                       const double *sigma, const size_t *idx, size_t m,
                       int use_qmc, const mvni_solve_options *opt,
                       const mvni_qmc_options *qmc, block_scratch *s,
                       int check_psd, mvni_result *r)
{
    for (size_t i = 0; i < m; ++i) {
        double sd = sqrt(sigma[idx[i] * d + idx[i]]);
        s->a[i] = mvni_standardize_limit(a[idx[i]], sd);
        s->b[i] = mvni_standardize_limit(b[idx[i]], sd);
        s->work[i] = sd;
    }
    if (use_qmc || m > 3) {
        int st = solve_structured(d, sigma, idx, m, opt, qmc, s, r);
        if (st != MVNI_NOT_STRUCTURED)
            return st;
    }
    if (s->corr == NULL) {
        s->corr = (double *)malloc(2 * s->maxm * s->maxm * sizeof(double));
        if (s->corr == NULL)
            return MVN_ENOMEM;
        s->chol = s->corr + s->maxm * s->maxm;
        s->heap = 1;
    }
    for (size_t i = 0; i < m; ++i) {
        s->corr[i * m + i] = 1.0;
        for (size_t j = 0; j < i; ++j) {
            double c = sigma[idx[i] * d + idx[j]] / (s->work[i] * s->work[j]);
            c = fmax(-1.0, fmin(1.0, c));
            s->corr[i * m + j] = s->corr[j * m + i] = c;
        }
    }
    if (!use_qmc && m == 1) {
        double p = mvni_norm_diff(s->a[0], s->b[0]);
        result_set(r, p, mvni_log_norm_diff(s->a[0], s->b[0]), 4 * DBL_EPSILON * p);
        return MVN_OK;
    }
    if (!use_qmc && m == 2) {
        double p, logp, err = mvni_bvn_rect(s->a, s->b, s->corr[1], &p, &logp);
        result_set(r, p, logp, err);
        return MVN_OK;
    }
    if (!use_qmc && m == 3) {
        const double rho[3] = {s->corr[1], s->corr[2], s->corr[5]};
        /* Pairwise |r| <= 1 was checked on input; a 3 x 3 correlation
           matrix is positive semidefinite iff its determinant is >= 0 as
           well.  The kernel would integrate an indefinite one silently.
           The tolerance is the factorization's (MVNI_PSD_TOL) applied to
           the last pivot, det / (1 - r^2), of the most favourable order. */
        double det = 1.0 + 2.0 * rho[0] * rho[1] * rho[2] - rho[0] * rho[0] -
                     rho[1] * rho[1] - rho[2] * rho[2];
        double minor = fmax(fmax(1.0 - rho[0] * rho[0], 1.0 - rho[1] * rho[1]),
                            1.0 - rho[2] * rho[2]);
        if (check_psd && det < -MVNI_PSD_TOL * minor)
            return MVN_ENOTPD;
        /* A singular block (the last pivot within the tolerance) of rank
           2 goes to the kernel's conditional integral over one variable
           (mvni_tvn_singular_ok: its conditional pair is singular, which
           the bivariate kernel computes exactly).  A block within 1e-6 of
           rank 1 goes to the factorization below, whose zero pivots are
           indicator rows; the kernel's path integral assumes a positive
           definite block (all correlations 1 gave 0.4687 +- 0.0278 for
           an exact 0.5: fuzz finding exact-vs-qmc).  Until 2026-12 every
           singular block took the factorization and QMC: 0.37 s, with a
           bound of 3.4e-5 from the dropped pivot, for a block of det
           7.9e-11 that the kernel computes to 1.8e-17 in 17 ms. */
        if (!(det <= MVNI_PSD_TOL * minor) || mvni_tvn_singular_ok(rho)) {
            double p, logp, err = mvni_tvn_rect(s->a, s->b, rho, &p, &logp);
            result_set(r, p, logp, err);
            return MVN_OK;
        }
    }
    int status = mvni_chol_reorder_psd(m, s->corr, s->a, s->b, opt->reorder,
                                       s->chol, s->perm, s->work, check_psd);
    if (status != MVN_OK)
        return status;
    /* Minimax tilting (tilting.c) when forced, and under AUTO when the GGE
       estimate of P says plain SOV would have a large relative error. */
    if (opt->method == MVN_METHOD_TILTED ||
        (opt->method == MVN_METHOD_AUTO &&
         mvni_tilt_pays(m, s->chol, s->a, s->b, s->work)))
        status = mvni_tilted_qmc(m, s->chol, s->a, s->b, qmc, r, NULL);
    else
        status = mvni_sov_qmc(m, s->chol, s->a, s->b, qmc, r);
    if (status == MVN_OK || status == MVN_ETOL)
        status = add_dropped_pivot_error(m, s->chol, qmc, status, r);
    return status;
}

/* Problems up to this dimension use scratch on the stack instead of the
   heap: for batches of bivariate and trivariate problems the four
   malloc/free pairs per problem cost about as much as a fast kernel call.
   The arithmetic is the same either way. */
#define SOLVE_SMALL_D 8

/* Frees p unless it is the stack buffer s. */
static void free_unless(void *p, const void *s)
{
    if (p != s)
        free(p);
}

static int solve_impl(size_t d, const double *a, const double *b,
                      const double *sigma, const mvni_solve_options *opt,
                      int check_psd, mvni_result *res);

int mvni_solve(size_t d, const double *a, const double *b,
               const double *sigma, const mvni_solve_options *opt,
               mvni_result *res)
{
    return solve_impl(d, a, b, sigma, opt, 1, res);
}

int mvni_solve_conditional(size_t d, const double *a, const double *b,
                           const double *sigma, const mvni_solve_options *opt,
                           mvni_result *res)
{
    return solve_impl(d, a, b, sigma, opt, 0, res);
}

static int solve_impl(size_t d, const double *a, const double *b,
                      const double *sigma, const mvni_solve_options *opt,
                      int check_psd, mvni_result *res)
{
    result_set(res, NAN, NAN, NAN);
    int use_qmc = opt->method == MVN_METHOD_QMC || opt->method == MVN_METHOD_TILTED;
    const int small = d <= SOLVE_SMALL_D;
    size_t s_active[4 * SOLVE_SMALL_D], s_fill[SOLVE_SMALL_D], s_perm[SOLVE_SMALL_D];
    double s_mem[2 * SOLVE_SMALL_D * SOLVE_SMALL_D + 4 * SOLVE_SMALL_D];
    double s_bp[3 * SOLVE_SMALL_D];

    /* Coordinates that decide the answer without integration. */
    size_t *active = small ? s_active : (size_t *)malloc(4 * d * sizeof *active);
    if (active == NULL)
        return MVN_ENOMEM;
    size_t *parent = active + d, *order = active + 2 * d;
    size_t na = 0;
    int empty = 0;
    for (size_t i = 0; i < d; ++i) {
        double v = sigma[i * d + i];
        if (v == 0.0) {
            /* A point mass at 0 (the mean): the closed interval decides. */
            if (!(a[i] <= 0.0 && 0.0 <= b[i]))
                empty = 1;
        } else if (a[i] == b[i]) {
            empty = 1;
        } else if (use_qmc || isfinite(a[i]) || isfinite(b[i])) {
            active[na++] = i;
        }
    }
    if (empty) {
        free_unless(active, s_active);
        result_set(res, 0.0, -INFINITY, 0.0);
        return MVN_OK;
    }
    if (na == 0) {
        free_unless(active, s_active);
        result_set(res, 1.0, 0.0, 0.0);
        return MVN_OK;
    }

    /* Blocks: connected components of the nonzero pattern of Sigma among
       the active coordinates (one block when QMC is forced). */
    for (size_t k = 0; k < na; ++k)
        parent[k] = k;
    if (use_qmc) {
        for (size_t k = 1; k < na; ++k)
            parent[k] = 0;
    } else {
        for (size_t k = 0; k < na; ++k)
            for (size_t l = 0; l < k; ++l)
                if (sigma[active[k] * d + active[l]] != 0.0) {
                    size_t rk = find_root(parent, k), rl = find_root(parent, l);
                    if (rk != rl)
                        parent[rk > rl ? rk : rl] = rk < rl ? rk : rl;
                }
    }
    /* Group the active coordinates by root (a counting sort, stable), so
       each block's coordinates are contiguous in order[]: block_start[k]
       is the offset of the block whose root is k. */
    size_t nblocks = 0, nqmc = 0, maxm = 0;
    size_t *block_start = active + 3 * d;
    for (size_t k = 0; k < na; ++k) {
        parent[k] = find_root(parent, k);
        block_start[k] = 0;
    }
    for (size_t k = 0; k < na; ++k)
        ++block_start[parent[k]];
    {
        size_t pos = 0;
        for (size_t k = 0; k < na; ++k) {
            if (parent[k] != k)
                continue;
            size_t m = block_start[k];
            block_start[k] = pos;
            pos += m;
            ++nblocks;
            if (use_qmc || m > 3)
                ++nqmc;
            if (m > maxm)
                maxm = m;
        }
        size_t *fill = small ? s_fill : (size_t *)malloc(na * sizeof *fill);
        if (fill == NULL) {
            free_unless(active, s_active);
            return MVN_ENOMEM;
        }
        for (size_t k = 0; k < na; ++k)
            fill[k] = block_start[k];
        for (size_t k = 0; k < na; ++k)
            order[fill[parent[k]]++] = active[k];
        /* fill[root] now ends each block: its size is fill - start. */
        for (size_t k = 0; k < na; ++k)
            if (parent[k] == k)
                parent[k] = fill[k]; /* reuse: end offset of the block */
            else
                parent[k] = (size_t)-1;
        free_unless(fill, s_fill);
    }

    block_scratch s;
    double *mem = small ? s_mem : (double *)malloc(4 * maxm * sizeof(double));
    size_t *perm = small ? s_perm : (size_t *)malloc(maxm * sizeof(size_t));
    double *bp = small ? s_bp : (double *)malloc(3 * nblocks * sizeof(double));
    if (mem == NULL || perm == NULL || bp == NULL) {
        free_unless(mem, s_mem);
        free_unless(perm, s_perm);
        free_unless(bp, s_bp);
        free_unless(active, s_active);
        return MVN_ENOMEM;
    }
    s.a = mem;
    s.b = s.a + maxm;
    s.work = s.b + maxm; /* 2 * maxm */
    s.perm = perm;
    s.maxm = maxm;
    s.heap = 0;
    s.corr = s.chol = NULL;
    if (small) {
        s.corr = s_mem + 4 * SOLVE_SMALL_D;
        s.chol = s.corr + SOLVE_SMALL_D * SOLVE_SMALL_D;
    }

    /* The tolerance is shared out among the blocks that integrate: the
       error of a product is at most the sum of the blocks' errors, each
       weighted by probabilities <= 1. */
    mvni_qmc_options qmc = opt->qmc;
    if (nqmc > 1) {
        qmc.abseps /= (double)nqmc;
        qmc.releps /= (double)nqmc;
    }

    double *bp_p = bp, *bp_err = bp + nblocks;
    double logp = 0.0, evals = 0.0, relerr = 0.0;
    int status = MVN_OK;
    for (size_t k = 0, blk = 0; k < na; ++k) {
        if (parent[k] == (size_t)-1)
            continue;
        size_t start = block_start[k], m = parent[k] - block_start[k];
        mvni_result r;
        int st = solve_block(d, a, b, sigma, order + start, m, use_qmc, opt,
                             &qmc, &s, check_psd, &r);
        if (st != MVN_OK && st != MVN_ETOL) {
            status = st;
            break;
        }
        if (st == MVN_ETOL)
            status = MVN_ETOL;
        /* A probability is at most 1.  The deterministic routes integrate
           log P by quadrature, which can land above 0 by its own error
           where P = 1 to rounding (fuzz finding p-above-1: a 4-block of
           variances 1e-19 and 5.9, limits 1e11 deviations out and
           covariances down to 1e-321, taken as a Gauss-Markov chain,
           gave P = 1 + 4.9e-12 and log P = 4.9e-12); the estimate keeps
           its abserr.  Every route's block passes here. */
        if (r.logp > 0.0) {
            r.logp = 0.0;
            r.p = 1.0;
        }
        bp_p[blk] = r.p;
        bp_err[blk] = r.abserr;
        logp += r.logp;
        relerr += r.relerr; /* relative errors of a product add */
        evals += r.evals;
        ++blk;
    }
    if (status == MVN_OK || status == MVN_ETOL) {
        /* p = prod p_k; abserr = sum_k err_k prod_{j != k} p_j, with the
           products of the others from prefix and suffix products. */
        double *suffix = bp + 2 * nblocks;
        double err = 0.0, prefix = 1.0;
        suffix[nblocks - 1] = 1.0;
        for (size_t k = nblocks - 1; k > 0; --k)
            suffix[k - 1] = suffix[k] * bp_p[k];
        for (size_t k = 0; k < nblocks; ++k) {
            /* A block whose partners multiply to 0 adds nothing (and an
               unbounded error of it must not become inf * 0 = NaN). */
            const double others = prefix * suffix[k];
            if (others > 0.0)
                err += bp_err[k] * others;
            prefix *= bp_p[k];
        }
        double p = prefix;
        res->p = p;
        res->logp = logp;
        res->abserr = err;
        res->evals = evals;
        /* P = 0 exactly is exact (relative error 0) only when nothing
           bounds it away from 0; 0 +- abserr says nothing about log P. */
        res->relerr = p == 0.0 && logp == -INFINITY
                      ? (err > 0.0 ? INFINITY : 0.0) : relerr;
        res->status = status;
    }
    if (s.heap)
        free(s.corr);
    free_unless(mem, s_mem);
    free_unless(perm, s_perm);
    free_unless(bp, s_bp);
    free_unless(active, s_active);
    return status;
}

int mvni_solve_chain_density(size_t d, const double *a, const double *b,
                             const double *sigma, const mvni_solve_options *opt,
                             mvni_result *res, double *logdens, double *reldens)
{
    if (d < 4 || opt->method != MVN_METHOD_AUTO ||
        opt->reorder == MVN_REORDER_GGE_ALWAYS)
        return MVNI_SOLVE_NOT_CHAIN;
    double *sd = malloc(4 * d * sizeof *sd);
    if (sd == NULL)
        return MVN_ENOMEM;
    double *r = sd + d, *as = sd + 2 * d, *bs = sd + 3 * d;
    int st = MVNI_SOLVE_NOT_CHAIN;
    for (size_t i = 0; i < d; ++i) {
        sd[i] = sqrt(sigma[i * d + i]);
        if (!(sd[i] > 0.0))
            goto done;
        as[i] = mvni_standardize_limit(a[i], sd[i]);
        bs[i] = mvni_standardize_limit(b[i], sd[i]);
    }
    const mvni_corr_view cv = {sigma, d, NULL, sd};
    if (mvni_chain_find(d, &cv, r)) {
        /* A zero link splits the chain into independent blocks, which
           the conditional problems answer block by block (diagonal
           Sigma: by the exact univariate product, which the tests hold
           to 1e-15). */
        for (size_t i = 1; i < d; ++i)
            if (r[i] == 0.0)
                goto done;
        st = mvni_chain_limit_density(d, r, as, bs, &opt->qmc, res, logdens, reldens);
    } else if (mvni_tridiag_find(d, &cv, r)) {
        st = mvni_ma1_limit_density(d, r, as, bs, &opt->qmc, res, logdens, reldens);
    } else
        goto done;
    if (st == MVNI_CHAIN_DECLINED || st == MVNI_MA1_DECLINED) {
        st = MVNI_SOLVE_NOT_CHAIN;
        goto done;
    }
    /* Densities in the caller's units: p(Y_i = c) = p(Z_i = c / sd) / sd. */
    for (size_t i = 0; i < 2 * d; ++i)
        logdens[i] -= log(sd[i / 2]);
done:
    free(sd);
    return st;
}
