/*
 * sample/sample.h -- exact sampling from the truncated multivariate normal
 * (Botev 2017, minimax-tilted acceptance-rejection): the random number
 * generator, the univariate truncated normal sampler and the sampler of
 * one standardized, factorized problem.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_SAMPLE_SAMPLE_H
#define MVNI_SAMPLE_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "common/types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* rng.c -- xoshiro256** streams keyed by (seed, stream)              */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} mvni_rng;

/* Starts the stream numbered `stream` of `seed`: the state is a pure
   function of the pair, so a proposal drawn from stream j is the same
   whichever thread draws it and whatever was drawn before. */
void mvni_rng_init(mvni_rng *r, uint64_t seed, uint64_t stream);

/* The next 64 random bits. */
uint64_t mvni_rng_next(mvni_rng *r);

/* A uniform double in the open interval (0, 1): 53 random bits centred
   on their cell, so that log(u) and Phi^-1(u) are always finite. */
double mvni_rng_uniform(mvni_rng *r);

/* ------------------------------------------------------------------ */
/* trandn.c -- the standard normal truncated to [l, u]                */
/* ------------------------------------------------------------------ */

/* One draw of Z ~ N(0, 1) conditioned on l <= Z <= u, exact (rejection
   or inversion, never an approximation of the law) and accurate however
   far the interval lies in a tail.  Requires l < u; l may be -inf and u
   +inf.  The result lies in [l, u]. */
double mvni_trandn(double l, double u, mvni_rng *r);

/* ------------------------------------------------------------------ */
/* tmvn.c -- one standardized problem                                 */
/* ------------------------------------------------------------------ */

/* A factorized, tilted problem: Y = L z with L the d x d lower factor of
   mvni_chol_reorder (all L_kk > 0) and a < Y < b.  Built by
   mvni_tmvn_setup, freed by mvni_tmvn_free. */
typedef struct {
    size_t d;
    double *L;      /* d x d row-major factor */
    double *C;      /* L_kj / L_kk (j < k) */
    double *l, *u;  /* a_k / L_kk, b_k / L_kk */
    double *mu;     /* the minimax tilt, mu[d-1] = 0 */
    double psistar; /* psi(x*, mu*) >= psi(z, mu*) for every z */
} mvni_tmvn;

/* Solves the minimax tilt for (L, a, b) and keeps what the proposals
   need.  Returns MVN_OK; MVN_ENOMEM; MVN_EUNSUPPORTED with a reason
   written to msg when the tilt solve does not converge (then psi* is not
   a bound and acceptance would not be exact) or psi* is not finite. */
int mvni_tmvn_setup(mvni_tmvn *t, size_t d, const double *L, const double *a,
                    const double *b, char *msg, size_t msg_size);
void mvni_tmvn_free(mvni_tmvn *t);

/* Proposal number `attempt` of `seed`: draws z (d doubles) from the tilted
   sequential law and returns 1 when it is accepted (then L z is a draw of
   Y given a < Y < b), 0 otherwise.  A pure function of its arguments. */
int mvni_tmvn_propose(const mvni_tmvn *t, uint64_t seed, uint64_t attempt,
                      double *z);

/* Fills y (n x d row-major, in the factor's order) with the first n
   accepted proposals, in the order of their attempt numbers, using up to
   `threads` threads and at most max_attempts proposals.  Rows left over
   when the budget ends are NaN.  *accepted gets the rows filled and
   *attempts the proposals up to and including the last accepted one (all
   of them when the budget ended first): both independent of threads.
   Returns MVN_OK, MVN_ETOL (budget spent) or MVN_ENOMEM. */
int mvni_tmvn_sample(const mvni_tmvn *t, uint64_t seed, size_t n,
                     double max_attempts, int threads, double *y,
                     size_t *accepted, double *attempts);

#ifdef __cplusplus
}
#endif

#endif
