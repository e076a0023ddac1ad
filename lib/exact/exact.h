/*
 * exact/exact.h -- the exact kernels: the univariate normal helpers, Genz's
 * bivariate and trivariate methods, and the adaptive quadrature they share.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_EXACT_EXACT_H
#define MVNI_EXACT_EXACT_H

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "common/types.h"
#include "exact/univariate.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* exact/bivariate.c -- Genz (2004) / Drezner-Wesolowsky (1990)             */
/* ------------------------------------------------------------------ */

/* P(X < h, Y < k) for standard bivariate normal with correlation r in
   [-1, 1]; h, k may be +-inf.  Absolute error <= 1e-15. */
double mvni_bvn_cdf(double h, double k, double r);

/* P(lo < X < hi) for a standardized pair (unit variances, correlation r).
   lo[i] may be -inf, hi[i] +inf, lo[i] < hi[i].  Writes p and log p; the
   log is accurate (relative) for tiny p, including where p underflows.
   Returns an absolute error bound for p. */
double mvni_bvn_rect(const double lo[2], const double hi[2], double r,
                     double *p, double *logp);

/* log of the integral over [lo, hi] of exp(f(x)) for a log-concave
   integrand, by adaptive log-space Gauss-Kronrod panels (exact/quadrature.c,
   the one adaptive quadrature of the exact kernels); the tail path of the
   rectangle kernels.  f must be log phi(x) plus the log of a probability
   (f(x) <= -x^2 / 2 - ln sqrt(2 pi)): the search for the maximum relies
   on it.  Writes a relative error
   estimate to *relerr. */
typedef double (*mvni_logfn)(double x, const void *ctx);
double mvni_log_integrate_concave(mvni_logfn f, const void *ctx, double lo,
                                  double hi, double *relerr);

/* The same with the panels (21 Gauss-Kronrod nodes) evaluated by one call
   of g: out[i] = exp(log integrand(x[i]) - m), i < 21, where the integrand
   has a cheaper form than exp of its log (the vector kernels of
   exact/lanes.c).  With g, f serves only the search for the maximum and
   the truncation points and may be an approximation of the log integrand
   (within 1e-6, say: its maximum scales the integrand, its search places
   the panels).  g may be NULL; f is then the log integrand. */
typedef void (*mvni_panelfn)(const double x[21], double m, const void *ctx,
                             double out[21]);
double mvni_log_integrate_concave_v(mvni_logfn f, mvni_panelfn g, const void *ctx,
                                    double lo, double hi, double *relerr);

/* The n-point Gauss-Legendre rule on (-1, 1): nodes x[0..n) in increasing
   order and weights w[0..n), by Newton's method on the Legendre
   polynomial P_n (exact/quadrature.c; the fixed rule of the chain and
   MA(1) recursions). */
void mvni_gauss_legendre(int n, double *x, double *w);

/* The integrand evaluations made by mvni_log_integrate_concave on this
   thread so far, at every nesting level (a counter for tests). */
double mvni_quad_work(void);

/* The work bound of the exact kernels' tail paths (quadrature.c): the
   outermost call of mvni_log_integrate_concave allows MVNI_LQ_BUDGET
   integrand evaluations, all nesting levels together, for refinement;
   each level's fixed steps (maximum and truncation searches, first four
   panels) take at most MVNI_LQ_FIXED evaluations of its own integrand, a
   level refines by at most MVNI_LQ_MAXPANELS panels of 21 points.  Hence
   one call of mvni_bvn_rect or mvni_tvn_rect (at most two levels) makes
   at most MVNI_LQ_MAX_WORK integrand evaluations: the budget, one inner
   call that crosses it, and the outer level's remaining fixed steps and
   last refinement (42 points), each with an inner call that only does its
   fixed steps. */
#define MVNI_LQ_BUDGET 400000.0
#define MVNI_LQ_FIXED 383.0
#define MVNI_LQ_MAXPANELS 64
#define MVNI_LQ_MAX_WORK                                                   \
    (MVNI_LQ_BUDGET + 21.0 * MVNI_LQ_MAXPANELS + MVNI_LQ_FIXED +           \
     (MVNI_LQ_FIXED + 42.0) * (MVNI_LQ_FIXED + 1.0))

/* ------------------------------------------------------------------ */
/* exact/lanes.c -- the lib/simd kernels over the nodes of one problem       */
/* ------------------------------------------------------------------ */

/* out[i] = Phi(x[i]) (16 eps relative for x < 0, 2 eps absolute above;
   -inf gives 0, +inf 1) and out[i] = phi(x[i]) (4 eps relative, 0 for
   |x| >= 40), i < n, bitwise the same on every instruction set. */
void mvni_lanes_phi(size_t n, const double *x, double *out);
void mvni_lanes_pdf(size_t n, const double *x, double *out);
/* out[i] = exp(x[i]) for x[i] <= 0 (simd exp_neg: relative 4 eps). */
void mvni_lanes_exp_neg(size_t n, const double *x, double *out);

/* The digits a conditional integral over a variable with interval
   (l, h) can lose in another variable's interval of width w, when that
   variable's conditional limits move by r x: |r| x / w, x the larger
   finite |limit| (at least 1 where a limit is infinite: the mass is then
   at x = O(1)); 0 for an infinite w.  Its limits then carry a relative
   error of about eps times it.  Where it exceeds MVNI_SLICE_CANCEL the
   slice variable is the one that makes it smallest (exact/bivariate.c,
   exact/trivariate.c): that is also the cheaper one, the other's slices
   being narrow intervals far from 0 (d = 3 t probabilities, df 0.5: 20 ms
   at 1, 56 ms at 64, 2.3 s before the rule). */
#define MVNI_SLICE_CANCEL 1.0
static inline double mvni_slice_cancellation(double l, double h, double r, double w)
{
    if (!isfinite(w))
        return 0.0;
    double x = isinf(l) || isinf(h) ? 1.0 : 0.0;
    if (isfinite(l))
        x = fmax(x, fabs(l));
    if (isfinite(h))
        x = fmax(x, fabs(h));
    return fabs(r) * x / w;
}

/* ------------------------------------------------------------------ */
/* exact/trivariate.c -- Genz (2004)                                        */
/* ------------------------------------------------------------------ */

/* P(X < b) for a standardized triple with correlations
   r[0] = r12, r[1] = r13, r[2] = r23.  Absolute error <= 5e-14. */
double mvni_tvn_cdf(const double b[3], const double r[3]);

/* Rectangle version, as mvni_bvn_rect.  A singular or nearly singular
   R (|det R| within MVNI_PSD_TOL of the largest 2 x 2 minor) is computed
   by the conditional integral over one variable where
   mvni_tvn_singular_ok(r) holds; otherwise the result for such an R is
   the path integral's, which assumes det R > 0. */
double mvni_tvn_rect(const double lo[3], const double hi[3],
                     const double r[3], double *p, double *logp);

/* Nonzero when R is singular or nearly singular as above and some
   variable has correlations within 1 - 1e-6 of 0 in magnitude with both
   others (R is not within 1e-6 of rank 1): then mvni_tvn_rect computes
   its rectangles to its stated accuracy. */
int mvni_tvn_singular_ok(const double r[3]);

/* The absolute rounding error of a log P formed as a sum of many logs
   (d factors, a quadrature's or a recursion's sums): 64 eps (1 + |log P|),
   a floor for the error estimates of the deterministic routes below. */
static inline double mvni_log_rounding(double logp)
{
    return 64.0 * DBL_EPSILON * (1.0 + fabs(logp));
}

/* max(abseps, releps p) met by the relative error rel of log P = logp,
   compared in log space (p may underflow); abseps = 0 never counts as
   met, however small p is (as in qmc/sov.c).  For the deterministic
   routes below. */
static inline int mvni_tol_met(double logp, double rel, const mvni_qmc_options *opt)
{
    if (rel <= opt->releps || rel == 0.0)
        return 1;
    return opt->abseps > 0.0 && log(rel) + logp <= log(opt->abseps);
}

/* ------------------------------------------------------------------ */
/* exact/chain.c -- Gauss-Markov chains by forward recursion           */
/* ------------------------------------------------------------------ */

/* P(a < Z < b) for the standardized chain Z_1 ~ N(0, 1),
   Z_k = r[k] Z_(k-1) + sqrt(1 - r[k]^2) e_k (r[0] ignored, |r[k]| < 1):
   correlations whose precision is tridiagonal in the given order.
   Deterministic; abserr / relerr from a pass with panels twice as wide,
   refined until max(abseps, releps p) is met (else MVN_ETOL).  Returns
   MVN_OK, MVN_ETOL, MVN_ECANCELED, MVN_ENOMEM, or MVNI_CHAIN_DECLINED
   (nothing computed) when the windows need more nodes than the method
   allows (|r| very near 1) or the mode search does not converge. */
#define MVNI_CHAIN_DECLINED (-1)
int mvni_chain_prob(size_t d, const double *r, const double *a,
                    const double *b, const mvni_qmc_options *opt,
                    mvni_result *res);

/* mvni_chain_prob, and the density of every limit together with the
   other constraints, p(Z_k = e, all others in their intervals) =
   dP/db_k or -dP/da_k, from one forward and one backward recursion:
   logdens[2k] at a_k, logdens[2k + 1] at b_k (-inf where infinite or
   0), reldens their relative error estimates (the difference to panels
   twice as wide).  Returns as mvni_chain_prob. */
int mvni_chain_limit_density(size_t d, const double *r, const double *a,
                             const double *b, const mvni_qmc_options *opt,
                             mvni_result *res, double *logdens, double *reldens);

/* ------------------------------------------------------------------ */
/* exact/ma1.c -- tridiagonal correlations (moving averages of order 1) */
/* ------------------------------------------------------------------ */

/* P(a < Z < b) for the correlation matrix with corr(Z_(k-1), Z_k) = r[k]
   (r[0] ignored, r[k] != 0) and 0 beyond the first off-diagonal, by d
   one-dimensional integrals over d + 1 innovations.  Deterministic;
   abserr / relerr from a pass with panels twice as wide, refined until
   max(abseps, releps p) is met (else MVN_ETOL).  Returns MVN_OK,
   MVN_ETOL, MVN_ECANCELED, MVN_ENOMEM, or MVNI_MA1_DECLINED (nothing
   computed): correlations too weak for the factor (|r| below about
   0.2), d above 20000, or a posterior beyond the coarse grids' reach. */
#define MVNI_MA1_DECLINED (-1)
int mvni_ma1_prob(size_t d, const double *r, const double *a, const double *b,
                  const mvni_qmc_options *opt, mvni_result *res);

/* mvni_ma1_prob, and the density of every limit together with the other
   constraints, p(Z_k = e, all others in their intervals) = dP/db_k or
   -dP/da_k, from one forward and one backward fine pass (at the level
   that answered P and at the one below): logdens[2k] at a_k,
   logdens[2k + 1] at b_k (-inf where infinite), reldens their relative
   error estimates (the difference between the two levels).  Returns as
   mvni_ma1_prob. */
int mvni_ma1_limit_density(size_t d, const double *r, const double *a, const double *b,
                           const mvni_qmc_options *opt, mvni_result *res,
                           double *logdens, double *reldens);

/* ------------------------------------------------------------------ */
/* exact/factor.c -- one-factor correlation matrices                   */
/* ------------------------------------------------------------------ */

/* P(a < Z < b) for R_ij = lambda_i lambda_j (i != j), |lambda_i| < 1:
   the integral over the factor T ~ N(0, 1) of the product of the
   conditional interval probabilities, by mvni_log_integrate_concave
   (about 1e-13 relative in any dimension and tail).  MVN_OK, MVN_ETOL
   (a request tighter than the quadrature's estimate) or MVN_ENOMEM. */
int mvni_factor_prob(size_t d, const double *lambda, const double *a,
                     const double *b, const mvni_qmc_options *opt,
                     mvni_result *res);

#ifdef __cplusplus
}
#endif

#endif
