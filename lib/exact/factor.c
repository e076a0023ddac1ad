/*
 * exact/factor.c -- P(a < Z < b) for a one-factor correlation matrix,
 * R = D + lambda lambda' (R_ij = lambda_i lambda_j, i != j), by one
 * log-space integral (doc/algorithms/factor.md).
 *
 * Z_i = lambda_i T + s_i e_i with T ~ N(0, 1) and s_i = sqrt(1 - lambda_i^2),
 * so given T = t the coordinates are independent:
 *
 *   P = int phi(t) prod_i P(a_i < lambda_i t + s_i e < b_i) dt.
 *
 * Each factor is the probability of an interval moving linearly in t, so
 * log of the integrand is concave (Prekopa) and the adaptive log-space
 * Gauss-Kronrod quadrature of the exact kernels (exact/quadrature.c)
 * integrates it to about 1e-13 relative wherever P lies, 1e-300 or
 * exp(-1e5) included.  Equicorrelated matrices with rho >= 0 (Dunnett's
 * many-to-one comparisons, exchangeable models) are the common case.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>

#include "exact/exact.h"

/* Beyond |t| = 40, phi(t) < 1e-347: nothing of the integral is there. */
#define FACTOR_T 40.0

typedef struct {
    size_t d;
    const double *lambda, *a, *b;
    const double *inv_s; /* 1 / s_i */
} factor_problem;

static double factor_log_integrand(double t, const void *ctx)
{
    const factor_problem *f = (const factor_problem *)ctx;
    double v = -0.5 * t * t - MVNI_LN_SQRT_2PI;
    for (size_t i = 0; i < f->d; ++i) {
        const double m = f->lambda[i] * t, is = f->inv_s[i];
        v += mvni_log_norm_diff((f->a[i] - m) * is, (f->b[i] - m) * is);
        if (v == -INFINITY)
            break;
    }
    return v;
}

int mvni_factor_prob(size_t d, const double *lambda, const double *a,
                     const double *b, const mvni_qmc_options *opt,
                     mvni_result *res)
{
    double *mem = malloc(4 * d * sizeof *mem);
    if (mem == NULL)
        return MVN_ENOMEM;
    double *lam = mem, *lo = mem + d, *hi = mem + 2 * d, *inv_s = mem + 3 * d;
    /* A coordinate whose conditional probability is 1 to rounding at
       t = +-FACTOR_T (and so, being log-concave in t, on all of it: phi
       is 0 beyond) drops out; with none left P = 1 exactly, as the
       other routes give it (huge limits or means, tests/test_extremes.c). */
    size_t m = 0;
    for (size_t i = 0; i < d; ++i) {
        const double is = 1.0 / sqrt((1.0 - lambda[i]) * (1.0 + lambda[i]));
        const double l = lambda[i] * FACTOR_T;
        if (mvni_log_norm_diff((a[i] - l) * is, (b[i] - l) * is) == 0.0 &&
            mvni_log_norm_diff((a[i] + l) * is, (b[i] + l) * is) == 0.0)
            continue;
        lam[m] = lambda[i];
        lo[m] = a[i];
        hi[m] = b[i];
        inv_s[m] = is;
        ++m;
    }
    const factor_problem f = {m, lam, lo, hi, inv_s};
    const double work0 = mvni_quad_work();
    double rel = 0.0;
    const double logp =
        m == 0 ? 0.0
               : mvni_log_integrate_concave(factor_log_integrand, &f, -INFINITY,
                                            INFINITY, &rel);
    free(mem);
    res->logp = logp;
    res->p = exp(logp);
    /* The quadrature's estimate, never below log P's rounding. */
    res->relerr = logp == -INFINITY || m == 0 ? 0.0 : fmax(rel, mvni_log_rounding(logp));
    res->abserr = res->relerr * res->p;
    res->evals = (mvni_quad_work() - work0) * (double)m;
    res->status = mvni_tol_met(logp, res->relerr, opt) ? MVN_OK : MVN_ETOL;
    return res->status;
}
