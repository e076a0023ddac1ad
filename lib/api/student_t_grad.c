/*
 * api/student_t_grad.c -- derivatives of central multivariate t
 * probabilities in their limits (mvn_prob_t_grad) and in the scale matrix
 * (mvn_prob_t_grad_sigma).
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
 * The scale matrix (mvn_prob_t_grad_sigma).  T is a scale mixture of
 * normals, Y / W with W^2 ~ Gamma(nu / 2, rate nu / 2), and the normal
 * density's heat equation dN(x; C) / dC = (1/2) d2N / dx dx^T (G
 * convention) applied to C = Sigma / W^2 gives, for the t density f,
 *     df / dSigma = (1/2) d2/dx dx^T  E[N(x; Sigma / W^2) / W^2],
 * and the W^-2-weighted mixture is a t with nu - 2 degrees of freedom and
 * scale Sigma nu / (nu - 2), times nu / (nu - 2).  Integrated over the box
 * as for the normal (Plackett 1954), an off-diagonal entry is half the sum
 * over the four corners c = (c_i, c_j) (sign + where both are upper or
 * both lower limits) of that t's bivariate density times the probability
 * of the other coordinates given T_ij = c, which is a t with nu degrees of
 * freedom.  Written in Sigma itself the factors nu - 2 cancel:
 *     G_ij = (1/2) sum_c +- K(c) P_nu(a'' < T'' < b'' | c),
 *     K(c) = (1 + Q / nu)^(-nu / 2) / (2 pi sqrt(det B)),  Q = c^T B^-1 c,
 * B the (i, j) block, the conditional t with location S_{-ij,ij} B^-1 c
 * and scale (nu + Q) / nu times the normal's Schur complement.  The
 * expression is analytic in nu > 0, and so is P, so it holds for nu <= 2
 * as well, where the mixture argument's t with nu - 2 degrees of freedom
 * does not exist (checked against central differences at nu = 0.5, 1,
 * 2; tests/test_student.c).  As nu -> inf, K is the bivariate normal
 * density and the conditional the normal's: the normal's G.  The diagonal
 * needs no further integral: P(a, b; S) = P(D a, D b; D S D) for a
 * diagonal D holds for the t as for the normal (T scales with Y), so
 *     G_ii = -(a_i dP/da_i + b_i dP/db_i + sum_{j != i} S_ij 2 G_ij) / (2 S_ii)
 * (0 for a zero variance, as the normal's).  Cost: up to 4 t probabilities
 * of dimension d - 2 per pair, exact for d <= 5.
 *
 * The noncentral (Kshirsagar) t's conditional law is not a t: a nonzero
 * delta takes the derivatives under the outer integral over the chi
 * variable instead (student_t_noncentral.c).  A location (SciPy's loc,
 * mvtnorm's "shifted" type) is a shift of the limits, and its derivative
 * is -(d_lower + d_upper).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>

#include "api/context.h"
#include "api/student_t.h"
#include "backend/validate.h"
#include "grad/grad.h"
#include "mvnorm.h"

/* log of the univariate t density at x with scale^2 s (> 0).  For large
   nu the constant lgamma((nu + 1) / 2) - lgamma(nu / 2) - log(nu pi) / 2
   is a difference of two huge numbers (1e-12 of error at nu = 1e3, and
   inf - inf = NaN near DBL_MAX, where nu pi overflows too: a fuzz input
   with df = DBL_MAX had d_upper = NaN with status OK); from nu = 1e3 on it
   is the expansion -log(2 pi) / 2 - 1 / (4 nu) + 1 / (24 nu^3), whose
   next term is below 6e-17.  Likewise (nu + 1) log1p(z^2 / nu) is z^2
   (1 + 1 / nu) (1 - q / 2 + q^2 / 3) for q = z^2 / nu below 1e-6, where
   q may underflow. */
static double log_t_density(double nu, double s, double x)
{
    const double z = x / sqrt(s), z2 = z * z; /* no overflow of x * x */
    const double c = nu < 1e3 ? lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu) - 0.5 * log(nu * M_PI)
                              : -0.5 * log(2.0 * M_PI) - 0.25 / nu + 1.0 / (24.0 * nu * nu * nu);
    const double q = z2 / nu;
    const double k = q < 1e-6 ? z2 * (1.0 + 1.0 / nu) * (1.0 - q * (0.5 - q / 3.0))
                              : (nu + 1.0) * log1p(q);
    return c - 0.5 * k - 0.5 * log(s);
}

/* weight * P(a < T < b) for the conditional t in work (a, b, then the
   normal's conditional covariance, m x m), its scale that covariance times
   `scale`, with nu degrees of freedom; *term gets it.  The tolerance is
   abseps / weight for the factor in front (capped at 1), written directly
   and restored (mvn_context_set would clear the message of a failing
   call).  Shared by the limit and the scale derivatives. */
static int weighted_cond(mvn_context *ctx, size_t m, double nu, double *work, double scale,
                         double weight, double abseps, double *term, double *evals)
{
    double *a = work, *b = work + m, *s = work + 2 * m;
    for (size_t k = 0; k < m * m; ++k)
        s[k] *= scale;
    const double saved = ctx->option[MVN_OPT_ABSEPS];
    ctx->option[MVN_OPT_ABSEPS] = fmin(1.0, abseps / weight);
    double pc = NAN;
    int st = mvn_prob_t(ctx, m, nu, a, b, NULL, s, &pc, NULL, NULL);
    ctx->option[MVN_OPT_ABSEPS] = saved;
    *evals += mvn_context_evaluations(ctx);
    if (st == MVN_OK || st == MVN_ETOL)
        *term = weight * pc;
    return st;
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
       z^2 overflows), with nu + 1 degrees of freedom. */
    const double z = c / sqrt(sii);
    return weighted_cond(ctx, m, nu + 1.0, work, (nu + z * z) / (nu + 1.0), f, abseps, term,
                         evals);
}

/* One corner term of an off-diagonal scale derivative: K(c) times the
   conditional t probability of the other coordinates (see the comment at
   the top); *term gets it (signed by the caller). */
static int pair_term(mvn_context *ctx, size_t d, double nu, const double *lower,
                     const double *upper, const double *S, size_t i, size_t j, double ci,
                     double cj, double abseps, double *work, double *term, double *evals)
{
    const double sii = S[i * d + i], sjj = S[j * d + j];
    *term = 0.0;
    if (!isfinite(ci) || !isfinite(cj) || !(sii > 0.0) || !(sjj > 0.0))
        return MVN_OK;
    double det, q;
    if (!mvni_pair_form(sii, sjj, S[i * d + j], ci, cj, &det, &q))
        return MVN_OK;
    const double k = exp(-0.5 * nu * log1p(q / nu) - log(2.0 * M_PI) - 0.5 * log(det));
    if (d == 2 || k == 0.0) {
        *term = k;
        return MVN_OK;
    }
    const size_t m = d - 2;
    double *a = work, *b = work + m, *s = work + 2 * m;
    mvni_condition2(d, lower, upper, S, i, j, ci, cj, det / sii, a, b, s);
    /* (nu + Q) / nu, finite: k = 0 returned above where Q overflows. */
    return weighted_cond(ctx, m, nu, work, 1.0 + q / nu, k, abseps, term, evals);
}

/* The scale matrix's G from the limit derivatives dl, du (see the comment
   at the top).  Returns the worst status of the conditionals. */
static int sigma_terms(mvn_context *ctx, size_t d, double nu, const double *lower,
                       const double *upper, const double *S, double abseps,
                       const double *dl, const double *du, double *work, double *g,
                       double *evals)
{
    int worst = MVN_OK;
    for (size_t i = 0; i < d; ++i)
        for (size_t j = i + 1; j < d; ++j) {
            /* Summed as (ll + uu) - (lu + ul), the normal's order. */
            double corner[4] = {0.0, 0.0, 0.0, 0.0};
            for (int c = 0; c < 4; ++c) {
                const int ui = c & 1, uj = c >> 1;
                const double ci = ui ? (upper ? upper[i] : INFINITY)
                                     : (lower ? lower[i] : -INFINITY);
                const double cj = uj ? (upper ? upper[j] : INFINITY)
                                     : (lower ? lower[j] : -INFINITY);
                const int st = pair_term(ctx, d, nu, lower, upper, S, i, j, ci, cj, abseps,
                                         work, &corner[c], evals);
                if (st != MVN_OK && st != MVN_ETOL)
                    return st;
                if (st == MVN_ETOL)
                    worst = MVN_ETOL;
            }
            const double mij = (corner[0] + corner[3]) - (corner[1] + corner[2]);
            g[i * d + j] = g[j * d + i] = 0.5 * mij;
        }
    for (size_t i = 0; i < d; ++i) {
        const double sii = S[i * d + i];
        if (!(sii > 0.0)) {
            g[i * d + i] = 0.0;
            continue;
        }
        const double li = lower ? lower[i] : -INFINITY, ui = upper ? upper[i] : INFINITY;
        double sum = (isfinite(li) ? li * dl[i] : 0.0) + (isfinite(ui) ? ui * du[i] : 0.0);
        for (size_t j = 0; j < d; ++j)
            if (j != i && S[i * d + j] != 0.0)
                sum += S[i * d + j] * 2.0 * g[i * d + j];
        g[i * d + i] = -sum / (2.0 * sii);
    }
    return worst;
}

/* Every output NaN, and the failing status st returned (the context's
   message is the failing call's). */
static int fail_outputs(size_t d, int st, double *p, double *logp, double *abserr,
                        double *d_lower, double *d_upper, double *d_sigma)
{
    for (size_t i = 0; i < d; ++i) {
        if (d_lower)
            d_lower[i] = NAN;
        if (d_upper)
            d_upper[i] = NAN;
    }
    for (size_t i = 0; d_sigma && i < d * d; ++i)
        d_sigma[i] = NAN;
    mvni_set_nan(p);
    mvni_set_nan(logp);
    mvni_set_nan(abserr);
    return st;
}

/* mvn_prob_t_grad and mvn_prob_t_grad_sigma: d_sigma NULL for the former. */
static int t_grad(mvn_context *ctx, size_t d, double df, const double *lower,
                  const double *upper, const double *delta, const double *sigma, double *p,
                  double *logp, double *abserr, double *d_lower, double *d_upper,
                  double *d_sigma)
{
    if (d <= MVN_MAX_DIM) /* the derivatives NaN until they are written */
        fail_outputs(d, MVN_OK, NULL, NULL, NULL, d_lower, d_upper, d_sigma);
    /* P first: it validates every input in mvn_prob_t's words. */
    double pv = NAN, lpv = NAN, ev = NAN;
    int st = mvn_prob_t(ctx, d, df, lower, upper, delta, sigma, &pv, &lpv, &ev);
    if (p)
        *p = pv;
    if (logp)
        *logp = lpv;
    if (abserr)
        *abserr = ev;
    if (st != MVN_OK && st != MVN_ETOL)
        return st;
    if (isinf(df)) {
        /* The normal with mean delta. */
        return mvn_prob_grad(ctx, d, lower, upper, delta, sigma, p, logp, abserr, d_lower,
                             d_upper, NULL, d_sigma);
    }
    int noncentral = 0;
    for (size_t i = 0; delta != NULL && i < d; ++i)
        noncentral |= delta[i] != 0.0;
    double evals = mvn_context_evaluations(ctx), abseps;
    if (noncentral) {
        /* Under the outer integral (student_t_noncentral.c). */
        if (d_sigma != NULL && d > MVNI_T_NONCENTRAL_SIGMA_MAX_D)
            return fail_outputs(d, mvni_fail(ctx, MVN_EUNSUPPORTED,
                                             "d_sigma of a noncentral t probability is "
                                             "implemented up to d = %d (d = %zu)",
                                             MVNI_T_NONCENTRAL_SIGMA_MAX_D, d),
                                p, logp, abserr, d_lower, d_upper, d_sigma);
        const int s = mvni_t_grad_noncentral(ctx, d, df, lower, upper, delta, sigma, lpv,
                                             d_lower, d_upper, d_sigma, &evals);
        ctx->evaluations = evals;
        if (s != MVN_OK && s != MVN_ETOL)
            return fail_outputs(d, s, p, logp, abserr, d_lower, d_upper, d_sigma);
        ctx->message[0] = '\0';
        if (s == MVN_ETOL || st == MVN_ETOL)
            return mvni_fail(ctx, MVN_ETOL, "the probability or its derivatives under the "
                             "outer integral missed the tolerance");
        return MVN_OK;
    }
    mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
    const size_t m = d > 1 ? d - 1 : 1;
    /* The conditional problem, and the limit derivatives that d_sigma's
       diagonal needs when the caller did not ask for them. */
    double *work = (double *)malloc((2 * m + m * m + 2 * d) * sizeof(double));
    if (work == NULL)
        return fail_outputs(d, mvni_fail(ctx, MVN_ENOMEM, "out of memory for d = %zu", d), p,
                            logp, abserr, d_lower, d_upper, d_sigma);
    double *dl = d_lower, *du = d_upper;
    if (d_sigma != NULL) {
        if (dl == NULL)
            dl = work + 2 * m + m * m;
        if (du == NULL)
            du = work + 2 * m + m * m + d;
    }
    int worst = st;
    for (size_t i = 0; i < d && (worst == MVN_OK || worst == MVN_ETOL); ++i) {
        for (int side = 0; side < 2; ++side) {
            double *out = side ? du : dl;
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
    if (d_sigma != NULL && (worst == MVN_OK || worst == MVN_ETOL)) {
        const int s = sigma_terms(ctx, d, df, lower, upper, sigma, abseps, dl, du, work,
                                  d_sigma, &evals);
        if (s == MVN_ETOL)
            worst = MVN_ETOL;
        else if (s != MVN_OK)
            worst = s;
    }
    free(work);
    ctx->evaluations = evals;
    if (worst != MVN_OK && worst != MVN_ETOL) /* the failing conditional's message stays */
        return fail_outputs(d, worst, p, logp, abserr, d_lower, d_upper, d_sigma);
    ctx->message[0] = '\0';
    if (worst == MVN_ETOL)
        return mvni_fail(ctx, MVN_ETOL, "the probability or a conditional probability of "
                         "its derivatives missed its tolerance");
    return MVN_OK;
}

MVN_API int mvn_prob_t_grad(mvn_context *ctx, size_t d, double df,
                            const double *lower, const double *upper,
                            const double *delta, const double *sigma,
                            double *p, double *logp, double *abserr,
                            double *d_lower, double *d_upper)
{
    return t_grad(ctx, d, df, lower, upper, delta, sigma, p, logp, abserr, d_lower, d_upper,
                  NULL);
}

MVN_API int mvn_prob_t_grad_sigma(mvn_context *ctx, size_t d, double df,
                                  const double *lower, const double *upper,
                                  const double *delta, const double *sigma,
                                  double *p, double *logp, double *abserr,
                                  double *d_lower, double *d_upper, double *d_sigma)
{
    return t_grad(ctx, d, df, lower, upper, delta, sigma, p, logp, abserr, d_lower, d_upper,
                  d_sigma);
}
