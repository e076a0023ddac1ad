/*
 * api/student_t_grad.c -- derivatives of central multivariate t
 * probabilities in their limits (mvn_prob_t_grad).
 *
 * For T = Y / W, Y ~ N(0, Sigma), W = sqrt(chi^2_nu / nu), differentiating
 * the integral over b_i leaves the density of T_i at b_i times the
 * probability of the other coordinates' box given T_i = b_i:
 *     dP/db_i =  f_nu(b_i; S_ii) P(a' < T' < b' | T_i = b_i),
 *     dP/da_i = -f_nu(a_i; S_ii) P(a' < T' < b' | T_i = a_i),
 * f_nu(x; s) the univariate t density with scale sqrt(s).  The conditional
 * law of a multivariate t is again a t (Kotz & Nadarajah 2004, ch. 1.11;
 * Genz & Bretz 2009, sec. 5.1 for the normal analogue): given T_i = c,
 *     T' ~ t_{nu + 1}(location S_{-i,i} c / S_ii,
 *                     scale (nu + c^2 / S_ii) / (nu + 1)
 *                           (S_{-i,-i} - S_{-i,i} S_{i,-i} / S_ii)),
 * so each derivative is one t probability of dimension d - 1 with
 * nu + 1 degrees of freedom (real df are supported throughout), of the
 * shifted limits.  Exact kernels answer d - 1 <= 3, so derivatives are
 * exact to about 1e-12 up to d = 4.  Each conditional probability is
 * asked for abseps / f (the density factor in front of it), capped at 1,
 * so that every derivative meets abseps by itself.
 *
 * The noncentral (Kshirsagar) t's conditional law is not a t: a nonzero
 * delta is MVN_EUNSUPPORTED.  A location (SciPy's loc, mvtnorm's
 * "shifted" type) is a shift of the limits, and its derivative is
 * -(d_lower + d_upper).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>

#include "api/context.h"
#include "backend/validate.h"
#include "grad/grad.h"
#include "mvnorm.h"

/* log of the univariate t density at x with scale^2 s (> 0). */
static double log_t_density(double nu, double s, double x)
{
    const double z = x / sqrt(s), z2 = z * z; /* no overflow of x * x */
    return lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu) - 0.5 * log(nu * M_PI) -
           0.5 * (nu + 1.0) * log1p(z2 / nu) - 0.5 * log(s);
}

/* One derivative term: the density at the limit c of coordinate i times
   the conditional probability; *term gets it (signed by the caller). */
static int cond_term(mvn_context *ctx, size_t d, double nu, const double *lower,
                     const double *upper, const double *S, size_t i, double c,
                     double abseps, double *work, double *term, double *evals)
{
    const double sii = S[i * d + i];
    *term = 0.0;
    if (!isfinite(c) || !(sii > 0.0))
        return MVN_OK; /* an infinite limit, or a point mass (as the normal) */
    const double lf = log_t_density(nu, sii, c);
    const double f = exp(lf);
    if (d == 1 || f == 0.0) {
        *term = f;
        return MVN_OK;
    }
    const size_t m = d - 1;
    double *a = work, *b = work + m, *s = work + 2 * m;
    mvni_condition1(d, lower, upper, S, i, c, a, b, s);
    /* The scale of the conditional t: (nu + z^2) / (nu + 1) times the
       normal's conditional covariance (finite: f = 0 returned above where
       z^2 overflows). */
    const double z = c / sqrt(sii);
    const double kappa = (nu + z * z) / (nu + 1.0);
    for (size_t k = 0; k < m * m; ++k)
        s[k] *= kappa;
    /* The tolerance abseps / f for the factor f in front (capped at 1);
       written directly and restored (mvn_context_set would clear the
       message of a failing call). */
    const double saved = ctx->option[MVN_OPT_ABSEPS];
    ctx->option[MVN_OPT_ABSEPS] = fmin(1.0, abseps / f);
    double pc = NAN;
    int st = mvn_prob_t(ctx, m, nu + 1.0, a, b, NULL, s, &pc, NULL, NULL);
    ctx->option[MVN_OPT_ABSEPS] = saved;
    *evals += mvn_context_evaluations(ctx);
    if (st == MVN_OK || st == MVN_ETOL)
        *term = f * pc;
    return st;
}

MVN_API int mvn_prob_t_grad(mvn_context *ctx, size_t d, double df,
                            const double *lower, const double *upper,
                            const double *delta, const double *sigma,
                            double *p, double *logp, double *abserr,
                            double *d_lower, double *d_upper)
{
    for (size_t i = 0; i < d && d <= MVN_MAX_DIM; ++i) {
        if (d_lower)
            d_lower[i] = NAN;
        if (d_upper)
            d_upper[i] = NAN;
    }
    /* P first: it validates every input in mvn_prob_t's words. */
    int st = mvn_prob_t(ctx, d, df, lower, upper, delta, sigma, p, logp, abserr);
    if (st != MVN_OK && st != MVN_ETOL)
        return st;
    if (isinf(df)) {
        /* The normal with mean delta. */
        return mvn_prob_grad(ctx, d, lower, upper, delta, sigma, p, logp, abserr, d_lower,
                             d_upper, NULL, NULL);
    }
    for (size_t i = 0; delta != NULL && i < d; ++i)
        if (delta[i] != 0.0) {
            mvni_set_nan(p);
            mvni_set_nan(logp);
            mvni_set_nan(abserr);
            return mvni_fail(ctx, MVN_EUNSUPPORTED,
                             "derivatives of a noncentral t probability (delta[%zu] = %g) "
                             "are not implemented; a location is a shift of the limits",
                             i, delta[i]);
        }
    double evals = mvn_context_evaluations(ctx), abseps;
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    const size_t m = d > 1 ? d - 1 : 1;
    double *work = (double *)malloc((2 * m + m * m) * sizeof(double));
    if (work == NULL) {
        mvni_set_nan(p);
        mvni_set_nan(logp);
        mvni_set_nan(abserr);
        return mvni_fail(ctx, MVN_ENOMEM, "out of memory for d = %zu", d);
    }
    int worst = st;
    for (size_t i = 0; i < d && (worst == MVN_OK || worst == MVN_ETOL); ++i) {
        for (int side = 0; side < 2; ++side) {
            double *out = side ? d_upper : d_lower;
            const double *lim = side ? upper : lower;
            if (out == NULL)
                continue;
            double term = 0.0;
            const double c = lim ? lim[i] : (side ? INFINITY : -INFINITY);
            const int s = cond_term(ctx, d, df, lower, upper, sigma, i, c, abseps, work,
                                    &term, &evals);
            if (s != MVN_OK && s != MVN_ETOL) {
                worst = s;
                break;
            }
            if (s == MVN_ETOL)
                worst = MVN_ETOL;
            out[i] = side ? term : 0.0 - term; /* +0, not -0, for no term */
        }
    }
    free(work);
    ctx->evaluations = evals;
    if (worst != MVN_OK && worst != MVN_ETOL) {
        /* The failing conditional's message stays. */
        for (size_t i = 0; i < d; ++i) {
            if (d_lower)
                d_lower[i] = NAN;
            if (d_upper)
                d_upper[i] = NAN;
        }
        mvni_set_nan(p);
        mvni_set_nan(logp);
        mvni_set_nan(abserr);
        return worst;
    }
    ctx->message[0] = '\0';
    if (worst == MVN_ETOL)
        return mvni_fail(ctx, MVN_ETOL, "the probability or a conditional probability of "
                         "its derivatives missed its tolerance");
    return MVN_OK;
}
