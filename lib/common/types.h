/*
 * common/types.h -- the result and option structs that every layer
 * shares, and the constants defined once.  Not installed.  Internal names
 * start with mvni_ so they never clash with the public mvn_ names, and
 * have hidden visibility.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_COMMON_TYPES_H
#define MVNI_COMMON_TYPES_H

#include <stddef.h>
#include <stdint.h>
#include "mvnorm.h"
#include "common/monitor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Results and options handed to the algorithm files                  */
/* ------------------------------------------------------------------ */

/* Outcome of one probability computation. */
typedef struct {
    double p;       /* probability */
    double logp;    /* log probability; accurate where p underflows */
    double abserr;  /* absolute error estimate of p (0 for exact kernels
                       up to rounding; their bound is documented) */
    double evals;   /* integrand evaluations spent */
    double relerr;  /* relative error estimate abserr / p, formed before p
                       underflows: about the absolute error of logp.  0
                       when p = 0 exactly (an empty region). */
    int status;     /* MVN_OK or MVN_ETOL (algorithms never fail on
                       validated input), or MVN_ECANCELED when the
                       monitor asked to stop */
} mvni_result;

/* The options the QMC integrator needs, copied out of the context so that
   algorithm code never touches the context. */
typedef struct {
    double abseps;
    double releps;
    double maxpts;        /* evaluation budget for this problem */
    uint64_t seed;
    int shifts;           /* number of random shifts (>= 2) */
    double error_factor;  /* abserr = error_factor * standard error */
    int threads;          /* >= 1: threads this call may use */
    mvni_monitor *monitor; /* progress and cancellation, or NULL */
} mvni_qmc_options;

/* Everything a solve needs from the context, copied by value. */
typedef struct {
    int method;              /* MVN_METHOD_* */
    int reorder;             /* MVN_REORDER_* */
    mvni_qmc_options qmc;
} mvni_solve_options;

/* Size of a message buffer (the context's, and the per-problem ones). */
#define MVNI_MESSAGE_SIZE 512

/* The one tolerance for "positive semidefinite", shared by values and
   derivatives: Sigma is accepted when, standardized to unit variances, no
   pivot of its (pivoted) Cholesky factorization is below -MVNI_PSD_TOL,
   and a pivot within +-MVNI_PSD_TOL is a zero (a singular direction).
   For a pair this is |corr| <= sqrt(1 + MVNI_PSD_TOL); for a 3 x 3 block
   the last pivot det R / (1 - r^2) of the most favourable order. */
#define MVNI_PSD_TOL 1e-10

/* The smallest degrees of freedom of the multivariate t (mvn_prob_t,
   mvn_quantile_equi_t): below it the chi density spreads over more than
   46 / df = 4600 in log S, beyond what the outer quadrature resolves
   (df = 0.001 gave P(T < 0.5) off by 1.2e-7 with an estimate of 1e-14). */
#define MVNI_T_MIN_DF 0.01

/* log(sqrt(2 pi)), to the digits a double holds. */
#define MVNI_LN_SQRT_2PI 0.91893853320467274178

#ifdef __cplusplus
}
#endif

#endif /* MVNI_COMMON_TYPES_H */
