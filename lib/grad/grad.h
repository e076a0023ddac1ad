/*
 * grad/grad.h -- derivatives of multivariate normal probabilities: the
 * closed form by conditioning (closed_form.c), the derivative of the QMC
 * estimator (estimator.c), and the route choice above both (route.c).
 * Not installed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_GRAD_GRAD_H
#define MVNI_GRAD_GRAD_H

#include "solve/solve.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The derivatives one call is asked for, in the caller's coordinates, for
 * P = P(a < Y < b), Y ~ N(0, sigma).  Every pointer may be NULL (not
 * wanted).
 *   d_lower[i]  = dP/da_i                 (d values)
 *   d_upper[i]  = dP/db_i                 (d values)
 *   g_sigma     = G, d*d row-major, symmetric, dP = sum_ij G_ij dSigma_ij
 *                 for symmetric dSigma (G = M / 2 with M the Hessian of P
 *                 in the mean)
 *   h_upper     = d2P / db_i db_j, d*d (closed form only; the estimator
 *                 route fills it from the closed form as well)
 *   err_*       absolute error estimates of the entries above (same
 *               shapes), from the conditional integrals' error estimates
 *               (closed form) or from the spread over the random shifts
 *               (estimator).  0 for entries that are exact to rounding.
 * Derivatives with respect to an infinite limit are 0.
 */
typedef struct {
    double *d_lower, *d_upper, *g_sigma, *h_upper;
    double *err_lower, *err_upper, *err_sigma;
    /* -(d_lower + d_upper), the derivative in the mean; needs both.  Set by
       mvni_grad_solve before it undoes its scaling, where the two terms
       may be finite and opposite while each overflows in the caller's
       units (the routes only set it to NaN, with the rest, on failure). */
    double *d_mean;
    /* Nonzero: every output (d_lower, d_upper, g_sigma, h_upper and the
       errors) is the derivative of log P instead of P, computed in log
       space (each term exp(log density + log P_cond - log P)), so it stays
       finite where P underflows.  The estimator route then answers with
       the closed form when plain SOV would have a large relative error
       (doc/algorithms/gradients.md, "Gradients of log P"). */
    int log_space;
} mvni_grad_out;

/*
 * Route 1: closed form by conditioning (Plackett 1954; Genz & Bretz 2009
 * sec. 5; Marmin, Chevalier & Ginsbourger 2015).  a, b, sigma as for
 * mvni_solve (validated, canonical).  res receives P, log P, abserr of P,
 * the evaluations of every conditional integral together, and the worst
 * status (MVN_OK or MVN_ETOL).  Returns MVN_OK, MVN_ETOL, MVN_ENOTPD or
 * MVN_ENOMEM; on an error every requested output is NaN.
 */
int mvni_grad_closed(size_t d, const double *a, const double *b,
                     const double *sigma, const mvni_solve_options *opt,
                     mvni_result *res, const mvni_grad_out *out);

/*
 * Route 2, inner part: P(a < L z < b) for the lower-triangular factor L
 * (d x d row-major, positive diagonal) and its derivatives, from the same
 * randomized lattice points as the value (separation of variables,
 * Genz 1992; reverse-mode differentiation of the integrand).
 *   ga, gb    dP/da, dP/db in the factor's coordinates (d each, or NULL)
 *   gs        dP/dSigma for Sigma = L L^T in the G convention (d*d or
 *             NULL), from the Cholesky backward rule (Murray 2016) applied
 *             to each random shift's dP/dL
 *   ea, eb, es   error estimates of the same (each may be NULL)
 * Stops when the error of P and of every requested derivative is below
 * max(abseps, releps * P), or when maxpts is spent (MVN_ETOL).
 * Returns MVN_OK, MVN_ETOL or MVN_ENOMEM.
 */
int mvni_sov_grad(size_t d, const double *L, const double *a,
                  const double *b, const mvni_qmc_options *opt,
                  mvni_result *res, double *ga, double *gb, double *gs,
                  double *ea, double *eb, double *es);

/* Returned by mvni_grad_estimator for a problem it leaves to the closed
   form (res->evals then holds what it spent). */
#define MVNI_GRAD_DECLINED (-1)

/*
 * Route 2: the derivative of the estimator for a canonical problem, as
 * mvni_grad_closed: factors sigma with mvni_chol_reorder, calls
 * mvni_sov_grad, and maps the derivatives back through the permutation.
 * Declines (MVNI_GRAD_DECLINED) d <= 3 problems, problems with
 * zero-variance coordinates or a singular factor, and log-space gradients
 * where plain SOV has a large relative error; grad/route.c then asks the
 * closed form.  out->h_upper is ignored (route.c fills it).
 */
int mvni_grad_estimator(size_t d, const double *a, const double *b,
                        const double *sigma, const mvni_solve_options *opt,
                        mvni_result *res, const mvni_grad_out *out);

/* The route chosen by `route` (MVN_GRADIENT_*), grad/route.c. */
int mvni_grad_solve(int route, size_t d, const double *a, const double *b,
                    const double *sigma, const mvni_solve_options *opt,
                    mvni_result *res, const mvni_grad_out *out);

/* Sets every requested output of out to NaN. */
void mvni_grad_out_nan(size_t d, const mvni_grad_out *out);

/* The law of the coordinates other than i of Y ~ N(0, S) given Y_i = c
   (S_ii > 0; a rank-1 update): their limits minus the conditional mean,
   ac and bc (d - 1 each; a or b NULL: infinite), and the conditional
   covariance sc ((d - 1) x (d - 1)).  Shared by the normal's closed-form
   derivatives and the t's (api/student_t_grad.c). */
void mvni_condition1(size_t d, const double *a, const double *b, const double *S,
                     size_t i, double c, double *ac, double *bc, double *sc);

/* The same given Y_i = ci and Y_j = cj (a rank-2 update, done as two
   rank-1 steps): ac, bc (d - 2 each) and sc ((d - 2) x (d - 2));
   sjj_i = Var(Y_j | Y_i) = det / S_ii, from mvni_pair_form. */
void mvni_condition2(size_t d, const double *a, const double *b, const double *S,
                     size_t i, size_t j, double ci, double cj, double sjj_i,
                     double *ac, double *bc, double *sc);

/* For the pair (Y_i, Y_j) with variances sii, sjj and covariance sij at
   the corner (ci, cj): *det = sii sjj - sij^2 (to a few ulps) and
   *q = c^T B^-1 c (a sum of squares, +inf for a far corner).  Returns 0
   where the pair has no joint density there (|corr| = 1 to rounding, or
   a standardized corner that overflows): its Hessian term is then 0. */
int mvni_pair_form(double sii, double sjj, double sij, double ci, double cj,
                   double *det, double *q);

#ifdef __cplusplus
}
#endif

#endif
