/*
 * qmc/qmc.h -- quasi-Monte Carlo integration: the reordered Cholesky
 * factor, rank-1 lattice rules, separation of variables and minimax
 * exponential tilting.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_QMC_QMC_H
#define MVNI_QMC_QMC_H

#include <stddef.h>
#include <stdint.h>

#include "common/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* reorder.c -- Cholesky with Gibson-Glasbey-Elston variable ordering */
/* ------------------------------------------------------------------ */

/*
 * Factor sigma (d x d, row-major, full symmetric, covariance of X - mean)
 * as P Sigma P^T = L L^T, where the permutation P follows the GGE rule when
 * reorder != MVN_REORDER_NONE (variable with smallest expected conditional
 * probability of its interval first), the identity otherwise.
 *   a, b   on input the limits (mean already subtracted), length d; on
 *          output permuted the same way as the variables.
 *   L      d*d output, row-major, lower triangular (upper triangle zero).
 *   perm   d output: perm[k] = original index of the k-th variable.
 *   work   scratch of at least 2*d doubles.
 * Singular (positive semidefinite) sigma: a pivot below
 * tol = MVNI_PSD_TOL * max diagonal gives a zero column (L[k][k] = 0), as in
 * Genz's codes.  A pivot below -tol returns MVN_ENOTPD.
 * Returns MVN_OK or MVN_ENOTPD.
 */
int mvni_chol_reorder(size_t d, const double *sigma, double *a, double *b,
                      int reorder, double *L, size_t *perm, double *work);

/* mvni_chol_reorder with check_psd = 0 for a matrix already accepted as
   positive semidefinite (a conditional covariance, the Schur complement
   of an accepted Sigma): a negative pivot is then rounding or within the
   tolerance the whole matrix passed, and counts as a zero pivot instead
   of MVN_ENOTPD.  check_psd = 1 is mvni_chol_reorder. */
int mvni_chol_reorder_psd(size_t d, const double *sigma, double *a, double *b,
                          int reorder, double *L, size_t *perm, double *work,
                          int check_psd);

/* ------------------------------------------------------------------ */
/* band.c -- structured covariances in their natural order            */
/* ------------------------------------------------------------------ */

/* A correlation matrix read in place: entry (i, j), i != j, is
   sigma[idx[i] * ld + idx[j]] / (sd[i] * sd[j]) clamped to [-1, 1] (the
   standardized block of solve.c, without copying it); idx == NULL is the
   identity, sd == NULL all ones; the diagonal is 1. */
typedef struct {
    const double *sigma;
    size_t ld;
    const size_t *idx;
    const double *sd;
} mvni_corr_view;

/* The forms of a structured factor (see band.c): the conditional mean of
   row i is sum_m coef_im z_m (COV: the rows of a banded Cholesky factor)
   or sum_m coef_im x_m over the variables themselves (REG: a Markov
   regression); diag is the conditional standard deviation. */
enum { MVNI_SPARSE_COV = 0, MVNI_SPARSE_REG = 1 };

/* Returned by mvni_sparse_factor_find for a matrix without such
   structure; not a status of the API. */
#define MVNI_NOT_STRUCTURED (-1)

typedef struct {
    size_t d;
    int form;        /* MVNI_SPARSE_COV or MVNI_SPARSE_REG */
    size_t nnz;      /* off-diagonal coefficients stored */
    size_t *first;   /* d: the row's first column */
    size_t *off;     /* d: offset of coefficients first[i] .. i-1 in coef */
    double *coef;    /* nnz */
    double *diag;    /* d, all > 0 */
} mvni_sparse_factor;

/* Factors the correlation matrix c in the given order when it has a small
   envelope or a short Markov window (at most a quarter of the dense
   factor's d(d-1)/2 coefficients, every conditional variance above
   MVNI_PSD_TOL).  Returns MVN_OK (free f with mvni_sparse_factor_free),
   MVNI_NOT_STRUCTURED (nothing allocated) or MVN_ENOMEM. */
int mvni_sparse_factor_find(size_t d, const mvni_corr_view *c,
                            mvni_sparse_factor *f);
void mvni_sparse_factor_free(mvni_sparse_factor *f);

/* 1 when c is a Gauss-Markov chain in its order (tridiagonal precision:
   each variable's regression on the earlier ones is on its predecessor
   alone, within the residual tolerance of the Markov windows, and every
   1 - r^2 above MVNI_PSD_TOL), with r[i] = corr(i - 1, i) (r[0] = 0);
   else 0.  O(d^2) at most; a dense matrix fails at its third row. */
int mvni_chain_find(size_t d, const mvni_corr_view *c, double *r);

/* 1 when c is tridiagonal in its order (every |c_ij| with |i - j| >= 2
   within the Markov windows' tolerance, every c_(i,i-1) nonzero), with
   r[i] = c_(i,i-1) (r[0] = 0); else 0.  O(d^2) at most. */
int mvni_tridiag_find(size_t d, const mvni_corr_view *c, double *r);

/* 1 when c is a one-factor correlation matrix, c_ij = lambda_i lambda_j
   for i != j (within the same tolerance), with the loadings in lambda (d
   doubles, the sign of the largest pair's first loading positive); else
   0.  O(d^2).  Every residual variance 1 - lambda_i^2 must be at least
   MVNI_FACTOR_MIN_VAR: nearer to rank one the integrand over the factor
   is a near-indicator whose edges the quadrature's error estimate
   misjudged (5.8 times its abserr at 1 - rho = 1e-4 .. 1e-10, equi-
   correlated d = 5, tests/test_extremes.c), and 1 - lambda^2 itself
   carries a relative rounding of eps / (1 - lambda^2); the QMC routes
   keep those. */
#define MVNI_FACTOR_MIN_VAR 1e-3
int mvni_factor_find(size_t d, const mvni_corr_view *c, double *lambda);

/* mvni_tilt_log_estimate for a structured factor; y: d doubles. */
double mvni_sparse_log_estimate(const mvni_sparse_factor *f, const double *a,
                                const double *b, double *y);

/* ------------------------------------------------------------------ */
/* lattice.c -- rank-1 lattice rules                                  */
/* ------------------------------------------------------------------ */

/* Number of lattice sizes available, and size n_k = 2^(k+5) (points) and
   generating vector component j (0 <= j < dim, any j) for size index k.
   The sizes are embedded: the points of size k are the points with even
   index of size k + 1 (lattice.c). */
int mvni_lattice_count(void);
uint64_t mvni_lattice_points(int k);
uint64_t mvni_lattice_generator(int k, size_t j);

/* The lattice coordinates of one integration variable for the points
   i0 .. i0+count-1 of the n-point rule with generator component z (with
   odd set: the points 2 i + 1, i = i0 .. i0+count-1, those that size n
   adds to size n / 2): shifted by shift, tent-transformed
   (x -> 1 - |2x - 1|), clamped into [2^-60, 1 - 2^-53] so that Phi^-1
   stays finite, written to w[0..count), with their antithetic partners
   1 - w in w[count..2*count).  The one definition of the point set that
   sov.c and estimator.c share. */
void mvni_lattice_block(uint64_t n, uint64_t z, double shift, uint64_t i0,
                        size_t count, int odd, double *w);

/* Counter-based random numbers: a uniform double in [0, 1) that is a pure
   function of (seed, stream, index).  Used for random shifts, so that
   results do not depend on the order of computation. */
double mvni_uniform(uint64_t seed, uint64_t stream, uint64_t index);

/* ------------------------------------------------------------------ */
/* sov.c -- Genz separation of variables + randomized lattice QMC      */
/* ------------------------------------------------------------------ */

/*
 * P(a < L z < b), z ~ N(0, I_d), L lower triangular d x d row-major
 * (output of mvni_chol_reorder; zero diagonal entries allowed: such a row
 * is an indicator constraint).  Accumulates log-space so that logp is
 * accurate where p underflows.  Iterates lattice sizes until
 * abserr <= max(abseps, releps * p) or maxpts is spent (status MVN_ETOL).
 * Returns MVN_OK, MVN_ETOL or MVN_ENOMEM.
 */
int mvni_sov_qmc(size_t d, const double *L, const double *a, const double *b,
                 const mvni_qmc_options *opt, mvni_result *res);

/* mvni_sov_qmc for a structured factor (band.c), limits in its order:
   the same integrand, at O(d + nnz) per point. */
int mvni_sov_qmc_sparse(const mvni_sparse_factor *f, const double *a,
                        const double *b, const mvni_qmc_options *opt,
                        mvni_result *res);

/*
 * The same integral with minimax exponential tilting (Botev 2017): z_i is
 * drawn from N(mu_i, 1) truncated to its SOV interval and weighted by
 * exp(mu_i^2/2 - mu_i z_i).  Unbiased for any mu (length d; entries of rows
 * with L_ii = 0 and of the last row are ignored); mu == NULL is exactly
 * mvni_sov_qmc.  The vector that makes the relative error small comes
 * from mvni_tilt_solve.
 */
int mvni_sov_qmc_tilted(size_t d, const double *L, const double *a,
                        const double *b, const double *mu,
                        const mvni_qmc_options *opt, mvni_result *res);

/* u = log W as a function of x = Phi^-1(w) for a uniform w (inversion),
   tabulated with its slope on a uniform grid (see chi.c). */
typedef struct {
    double df, logz;  /* degrees of freedom; log of the integral of c */
    double x0, h;     /* the grid: x_k = x0 + k h, k < n */
    size_t n;
    double *u, *du;   /* u(x_k) and du/dx at x_k */
} mvni_chi_map;

int mvni_chi_map_init(mvni_chi_map *m, double df); /* MVN_OK or MVN_ENOMEM */
void mvni_chi_map_free(mvni_chi_map *m);
double mvni_chi_map_log(const mvni_chi_map *m, double x);

/*
 * The multivariate t: P(a W < Y + delta < b W), Y = L z, with W = S /
 * sqrt(df) one more lattice coordinate, mapped by chi (chi.c): every row's
 * limits scaled by its lane's W.  L dense with a positive diagonal (else
 * MVNI_NOT_STRUCTURED, and nothing is computed: the caller falls back);
 * a, b, delta standardized and permuted like L's rows (delta NULL: 0).
 * Error estimate and determinism as mvni_sov_qmc.
 */
int mvni_sov_qmc_t(size_t d, const double *L, const double *a, const double *b,
                   const double *delta, const mvni_chi_map *chi,
                   const mvni_qmc_options *opt, mvni_result *res);

/* ------------------------------------------------------------------ */
/* tilting.c -- minimax exponential tilting (Botev 2017)              */
/* ------------------------------------------------------------------ */

/*
 * Solves Botev's saddle-point equations grad psi(x, mu) = 0 for the
 * factor L and limits a, b of mvni_chol_reorder (L_ii > 0 for all i):
 * writes the tilt mu (length d, mu[d-1] = 0), the dummy point x (length d,
 * x[d-1] = 0) when x != NULL, psi(x, mu) to *psi (exp(psi) is an upper
 * bound on P at the saddle point) and the Newton iterations to *iters
 * when not NULL.  work: at least 2 * d * d + 13 * d doubles.
 * Returns MVN_OK when converged, MVN_ETOL when not (mu is then the best
 * point found and still gives an unbiased estimate), MVN_EINVAL for a
 * singular factor.
 */
int mvni_tilt_solve(size_t d, const double *L, const double *a,
                    const double *b, double *mu, double *x, double *psi,
                    int *iters, double *work);

/* The mean of the standard normal truncated to (lt, ut), kept inside the
   interval against rounding (0 where it is not finite), and the log of
   the interval's probability in *logmass: one step of the GGE path of
   truncated means. */
double mvni_truncated_mean(double lt, double ut, double *logmass);

/* log of the GGE heuristic's estimate of P for a factor of
   mvni_chol_reorder: the product of the interval probabilities along the
   path of truncated means.  y: d doubles of scratch (the path). */
double mvni_tilt_log_estimate(size_t d, const double *L, const double *a,
                              const double *b, double *y);

/* MVN_METHOD_AUTO tilts when the GGE estimate of log P is below this
   (log 0.01). */
#define MVNI_TILT_AUTO_LOGP (-4.605170185988091)

/* Whether MVN_METHOD_AUTO should tilt this factorized problem (the rule
   and its measurements are in doc/algorithms/tilting.md).  work: d
   doubles. */
int mvni_tilt_pays(size_t d, const double *L, const double *a,
                   const double *b, double *work);

/*
 * P(a < L z < b) by tilted SOV QMC: solves for mu, then integrates with
 * mvni_sov_qmc_tilted.  A singular factor (some L_ii = 0) falls back to
 * plain mvni_sov_qmc.  *logbound (when not NULL) gets psi at the saddle
 * point, log of an upper bound on P (+inf when not available).
 * Returns MVN_OK, MVN_ETOL or MVN_ENOMEM.
 */
int mvni_tilted_qmc(size_t d, const double *L, const double *a,
                    const double *b, const mvni_qmc_options *opt,
                    mvni_result *res, double *logbound);

/* ------------------------------------------------------------------ */
/* chi.c -- the chi variable of the multivariate t                     */
/* ------------------------------------------------------------------ */

/* log of the density of u = log(S / sqrt(df)), S ~ chi_df, up to its
   constant: df (u - expm1(2u) / 2), maximum 0 at u = 0. */
double mvni_chi_log_weight(double df, double u);

/* The distance from u = 0 to where the log density falls 46 below its
   maximum, to the left (dir = -1) or right (+1). */
double mvni_chi_range(double df, double dir);

/* log of the integral of exp(mvni_chi_log_weight) over [-left, right],
   by adaptive Gauss-Kronrod to 1e-15 relative. */
double mvni_chi_log_integral(double df, double left, double right);

/* log of a bound on the chi density's mass left of u < 0, relative to
   its whole integral: the outer quadratures of the t (api/student_t.c,
   api/student_t_noncentral.c) add panels on the left while this is not
   far below P. */
double mvni_chi_log_left_bound(double df, double u);



#ifdef __cplusplus
}
#endif

#endif
