/*
 * grad/route.c -- the choice between the two derivative routes, above
 * both: the closed form by conditioning (grad/closed_form.c) and the
 * derivative of the QMC estimator (grad/estimator.c).  The estimator
 * declines the problems it cannot serve well (d <= 3, zero variances or
 * a singular factor, log-space gradients of tiny probabilities), and the
 * closed form answers them; the Hessian in the limits always comes from
 * the closed form.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "grad/grad.h"

/* The estimator's answer, then the Hessian from the closed form. */
static int estimator_route(size_t d, const double *a, const double *b,
                           const double *sigma, const mvni_solve_options *opt,
                           mvni_result *res, const mvni_grad_out *out)
{
    mvni_grad_out est = *out;
    est.h_upper = NULL;
    int status = mvni_grad_estimator(d, a, b, sigma, opt, res, &est);
    if (status == MVNI_GRAD_DECLINED) {
        const double spent = res->evals;
        status = mvni_grad_closed(d, a, b, sigma, opt, res, out);
        res->evals += spent;
        return status;
    }
    if ((status != MVN_OK && status != MVN_ETOL) || out->h_upper == NULL)
        return status;
    mvni_grad_out h;
    mvni_result r;
    memset(&h, 0, sizeof h);
    h.h_upper = out->h_upper;
    h.log_space = out->log_space;
    int s = mvni_grad_closed(d, a, b, sigma, opt, &r, &h);
    if (s != MVN_OK && s != MVN_ETOL) {
        mvni_grad_out_nan(d, out);
        return s;
    }
    res->evals += r.evals;
    if (s == MVN_ETOL)
        status = res->status = MVN_ETOL;
    return status;
}

/*
 * Derivatives of log P are sums of terms exp(log w + log P_cond - log P),
 * and the absolute rounding error of log P is |log P| * 1.1e-16: beyond
 * |log P| = MVNI_LOG_GRAD_MAX (P below 10^-(4.3e13)) it exceeds 1% of
 * such a term, and near |log P| = 1e175 (variances of 1e-176 with limits
 * of order 1) it made the terms overflow: d_lower = -inf with status OK
 * (fuzz finding grad-nonfinite-logprob-grad-inf).  There the call is
 * refused with MVN_EUNSUPPORTED and every output NaN.
 */
#define MVNI_LOG_GRAD_MAX 1e14

static int route_solve(int route, size_t d, const double *a, const double *b,
                       const double *sigma, const mvni_solve_options *opt,
                       mvni_result *res, const mvni_grad_out *out)
{
    const int status = route == MVN_GRADIENT_ESTIMATOR
                       ? estimator_route(d, a, b, sigma, opt, res, out)
                       : mvni_grad_closed(d, a, b, sigma, opt, res, out);
    if (out->log_space && (status == MVN_OK || status == MVN_ETOL) &&
        fabs(res->logp) > MVNI_LOG_GRAD_MAX && isfinite(res->logp)) {
        mvni_grad_out_nan(d, out);
        res->p = res->logp = res->abserr = res->relerr = NAN;
        res->status = MVN_EUNSUPPORTED;
        return MVN_EUNSUPPORTED;
    }
    return status;
}

/*
 * Scaling.  Both routes form products of two variances (the 2x2
 * determinants of the pair terms, S_ii S_jj - S_ij^2) and squares of
 * limits over variances; they overflow from variances of about 1e154 on
 * and underflow below 1e-154, where a pair term used to be dropped
 * silently.  P is invariant under X -> D X with D = diag(2^-k_i): limits
 * D a, D b, Sigma D Sigma D, and the derivatives scale back as
 * dP/dlimit_i = 2^-k_i dP'/dlimit'_i, dP/dSigma_ij = 2^-(k_i + k_j)
 * dP'/dSigma'_ij (the Hessian in the limits likewise).  Each k_i brings
 * its own variance near 1 exactly (powers of two scale without rounding).
 * One common factor for all coordinates, set by the largest variance,
 * pushed the others into the subnormals when the variances spanned 1e300
 * (4.5e307 next to 1: d_sigma = inf with an exact value near 0.01, fuzz
 * finding grad-nonfinite).  A coordinate whose interval is narrower than
 * 2^-1000 is scaled up until it is not (within its variance's range).
 * k_i is 0 while the variance is within
 * 2^+-64: there no product comes near overflow or underflow, and when
 * every k_i is 0 nothing is copied and the numbers are those of the
 * unscaled code.  Returns whether any k_i is nonzero.
 */
static int scale_exponents(size_t d, const double *a, const double *b,
                           const double *sigma, int *k)
{
    int any = 0;
    for (size_t i = 0; i < d; ++i) {
        const double v = sigma[i * d + i];
        const int e = v > 0.0 ? ilogb(v) : 0;
        k[i] = e >= -64 && e <= 64 ? 0 : e / 2;
        /* An interval narrower than 2^-1000 is widened to it (the
           derivatives of log P in its limits are about 1 / width: -inf and
           +inf, and b * d_upper = inf where it is 1), as far as the
           variance stays below 2^1000. */
        const double w = b[i] - a[i];
        if (v > 0.0 && w > 0.0 && w < 0x1p-1000) {
            const int kw = ilogb(w) + 1000, kv = (e - 1000) / 2 + 1;
            const int kn = kw > kv ? kw : kv;
            if (kn < k[i])
                k[i] = kn;
        }
        any |= k[i] != 0;
    }
    return any;
}

/* A limit times 2^k.  Infinities stay infinite; a finite limit that
   would overflow becomes +-1e300, still finite and, the scaled variances
   being near 1, as far beyond the mass (P and its derivatives are those
   of the limit at infinity either way).  Overflowing to an infinite upper
   limit of -inf made an empty interval out of a valid one and NaN
   derivatives with status OK (fuzz finding grad-nonfinite: variances
   1e-15 and an upper limit -2.4e307). */
static double scale_limit(double x, int k)
{
    const double y = ldexp(x, k);
    return isinf(y) && isfinite(x) ? copysign(1e300, x) : y;
}

/* v_i *= 2^-k_i, or for a matrix v_ij *= 2^-(k_i + k_j); NULL is skipped. */
static void unscale_vec(double *v, size_t d, const int *k)
{
    if (v != NULL)
        for (size_t i = 0; i < d; ++i)
            v[i] = ldexp(v[i], -k[i]);
}

static void unscale_mat(double *v, size_t d, const int *k)
{
    if (v != NULL)
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                v[i * d + j] = ldexp(v[i * d + j], -k[i] - k[j]);
}

/* out->d_mean = -(d_lower + d_upper), in the units of the problem solved. */
static void mean_derivative(size_t d, const mvni_grad_out *out)
{
    if (out->d_mean != NULL)
        for (size_t i = 0; i < d; ++i)
            out->d_mean[i] = -(out->d_lower[i] + out->d_upper[i]);
}

int mvni_grad_solve(int route, size_t d, const double *a, const double *b,
                    const double *sigma, const mvni_solve_options *opt,
                    mvni_result *res, const mvni_grad_out *out)
{
    int *k = (int *)malloc((d ? d : 1) * sizeof(int));
    if (k != NULL && !scale_exponents(d, a, b, sigma, k)) {
        free(k);
        int status = route_solve(route, d, a, b, sigma, opt, res, out);
        mean_derivative(d, out);
        return status;
    }
    double *as = k != NULL ? (double *)malloc((2 * d + d * d) * sizeof(double)) : NULL;
    if (as == NULL) {
        free(k);
        res->p = res->logp = res->abserr = res->relerr = NAN;
        res->evals = 0.0;
        res->status = MVN_ENOMEM;
        mvni_grad_out_nan(d, out);
        return MVN_ENOMEM;
    }
    double *bs = as + d, *ss = bs + d;
    for (size_t i = 0; i < d; ++i) {
        as[i] = scale_limit(a[i], -k[i]);
        bs[i] = scale_limit(b[i], -k[i]);
        for (size_t j = 0; j < d; ++j)
            ss[i * d + j] = ldexp(sigma[i * d + j], -k[i] - k[j]);
    }
    int status = route_solve(route, d, as, bs, ss, opt, res, out);
    free(as);
    /* The mean's derivative before the scaling: -(d_lower + d_upper) of
       a narrow interval cancels to a finite number where each term
       overflows in the caller's units (variance 2.7e-158, interval
       (0, 2.4e-319): +-inf and NaN with status OK, fuzz finding
       grad-nonfinite). */
    mean_derivative(d, out);
    /* P, log P and abserr are invariant; NaN outputs stay NaN. */
    unscale_vec(out->d_mean, d, k);
    unscale_vec(out->d_lower, d, k);
    unscale_vec(out->d_upper, d, k);
    unscale_vec(out->err_lower, d, k);
    unscale_vec(out->err_upper, d, k);
    unscale_mat(out->g_sigma, d, k);
    unscale_mat(out->h_upper, d, k);
    unscale_mat(out->err_sigma, d, k);
    free(k);
    return status;
}
