/*
 * limit_fd.h -- central differences of log P in the limits, the check of
 * the log-space limit derivatives of the deterministic routes
 * (tests/test_chain.c, tests/test_ma1.c).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_TESTS_LIMIT_FD_H
#define MVNORM_TESTS_LIMIT_FD_H

#include <math.h>
#include <stddef.h>

#include "mvnorm.h"

/* log P(a < X < b), X ~ N(0, S), through mvn_logprob_batch with ctx. */
static inline double limit_fd_logp(mvn_context *ctx, size_t d, const double *a,
                                   const double *b, const double *S)
{
    const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
    double p, lp = NAN, e, le;
    int st;
    mvn_logprob_batch(ctx, 1, d, a, vs, b, vs, NULL, NULL, S, ss, MVN_SIGMA_COV, &p,
                      &lp, &e, &le, &st);
    return lp;
}

/* The largest relative difference between the derivatives of log P in the
   finite limits, da[k] and db[k] for k = 0, step, 2 step, ..., and central
   differences of log P with step 1e-5 (relative to max(1, |difference|)).
   a and b are moved and restored. */
static inline double limit_fd_worst(mvn_context *ctx, size_t d, double *a, double *b,
                                    const double *S, const double *da, const double *db,
                                    size_t step)
{
    double worst = 0.0;
    const double h = 1e-5;
    for (size_t k = 0; k < d; k += step) {
        double *x[2] = {a + k, b + k};
        const double g[2] = {da[k], db[k]};
        for (int q = 0; q < 2; ++q) {
            if (!isfinite(*x[q]))
                continue;
            *x[q] += h;
            const double l1 = limit_fd_logp(ctx, d, a, b, S);
            *x[q] -= 2 * h;
            const double l2 = limit_fd_logp(ctx, d, a, b, S);
            *x[q] += h;
            const double fd = (l1 - l2) / (2 * h);
            worst = fmax(worst, fabs(g[q] - fd) / fmax(1.0, fabs(fd)));
        }
    }
    return worst;
}

#endif
