/*
 * api/sample.c -- the public entry point for exact sampling from the
 * truncated normal: input checks, standardization and factorization
 * (as solve/solve.c does for probabilities), then the sampler of
 * sample/tmvn.c, and the way back to the caller's coordinates.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "api/compute.h"
#include "api/context.h"
#include "backend/validate.h"
#include "qmc/qmc.h"
#include "sample/sample.h"

/* The proposal budget is max(MVN_OPT_MAXPTS, this many per sample): the
   minimax tilt keeps acceptance rates far above 1/100 in the tails
   (Botev 2017, section 5), so the budget ends only for a tilt that does
   not fit the problem. */
#define SAMPLE_ATTEMPTS_PER_ROW 100.0

/* A limit in units of its standard deviation; a finite limit whose ratio
   overflows stays finite (1e300 standard deviations), as in solve.c. */
static double in_sd_units(double x, double sd)
{
    const double y = x / sd;
    return isinf(y) && isfinite(x) ? copysign(1e300, x) : y;
}

/* Everything after the checks that need no memory.  x has n*d entries. */
static int sample_problem(mvn_context *ctx, size_t d, const double *lower,
                          const double *upper, const double *mean,
                          const double *sigma, size_t n, double *x,
                          double *accept_rate)
{
    double *mem = malloc((2 * d * d + 6 * d) * sizeof *mem);
    size_t *perm = malloc(d * sizeof *perm);
    if (mem == NULL || perm == NULL) {
        free(mem);
        free(perm);
        return mvni_fail(ctx, MVN_ENOMEM, "cannot allocate the sampler for d = %zu", d);
    }
    double *S = mem, *L = mem + d * d, *a = L + d * d, *b = a + d;
    double *sd = b + d, *row = sd + d, *work = row + d; /* work: 2d */
    const mvni_input in = {lower, 1, upper, 1, mean, 1, sigma, (ptrdiff_t)d, 1,
                           MVN_SIGMA_COV};
    mvni_tmvn t = {0};
    int st = mvni_load_problem(d, &in, a, b, S, ctx->message, sizeof ctx->message);
    for (size_t i = 0; st == MVN_OK && i < d; ++i) {
        if (a[i] == b[i])
            st = mvni_fail(ctx, MVN_EBOUNDS,
                           "lower[%zu] = upper[%zu] = %.17g: the box is empty, "
                           "there is nothing to sample", i, i, lower[i]);
        else if (S[i * d + i] == 0.0)
            st = mvni_fail(ctx, MVN_EUNSUPPORTED,
                           "Sigma[%zu][%zu] = 0: sampling needs a positive "
                           "definite Sigma", i, i);
    }
    if (st != MVN_OK)
        goto out;

    /* Unit variances: the factorization's singularity tolerance is then
       relative, and the tilt solve sees the scale it was measured on. */
    for (size_t i = 0; i < d; ++i) {
        sd[i] = sqrt(S[i * d + i]);
        a[i] = in_sd_units(a[i], sd[i]);
        b[i] = in_sd_units(b[i], sd[i]);
    }
    for (size_t i = 0; i < d; ++i) {
        for (size_t j = 0; j < i; ++j) {
            const double c = S[i * d + j] / (sd[i] * sd[j]);
            S[i * d + j] = S[j * d + i] = fmax(-1.0, fmin(1.0, c));
        }
        S[i * d + i] = 1.0;
    }
    mvni_solve_options opt;
    mvni_solve_options_from_context(ctx, &opt);
    st = mvni_chol_reorder(d, S, a, b, opt.reorder, L, perm, work);
    if (st != MVN_OK) {
        mvni_fail(ctx, st, "Sigma is not positive semidefinite (a pivot below "
                           "-1e-10 of Sigma standardized to unit variances)");
        goto out;
    }
    for (size_t k = 0; k < d; ++k)
        if (!(L[k * d + k] > 0.0)) {
            st = mvni_fail(ctx, MVN_EUNSUPPORTED,
                           "Sigma is singular: X[%zu] is a linear function of the "
                           "others (a zero pivot); sampling needs a positive "
                           "definite Sigma", perm[k]);
            goto out;
        }
    st = mvni_tmvn_setup(&t, d, L, a, b, ctx->message, sizeof ctx->message);
    if (st != MVN_OK)
        goto out;

    const double budget = fmax(opt.qmc.maxpts, SAMPLE_ATTEMPTS_PER_ROW * (double)n);
    size_t got;
    double attempts;
    st = mvni_tmvn_sample(&t, opt.qmc.seed, n, budget, opt.qmc.threads, x, &got,
                          &attempts);
    if (st == MVN_ENOMEM) {
        mvni_fail(ctx, st, "cannot allocate the proposals for d = %zu", d);
        goto out;
    }
    ctx->evaluations = attempts;
    ctx->backend_used = MVN_BACKEND_CPU;
    /* Back to the caller's order and scale.  L z lies in the box up to
       rounding; the clamp makes "inside [lower, upper]" hold exactly. */
    for (size_t r = 0; r < got; ++r) {
        double *xr = x + r * d;
        for (size_t k = 0; k < d; ++k)
            row[perm[k]] = xr[k];
        for (size_t i = 0; i < d; ++i) {
            const double m = mean ? mean[i] : 0.0;
            double v = m + sd[i] * row[i];
            if (lower && v < lower[i])
                v = lower[i];
            if (upper && v > upper[i])
                v = upper[i];
            xr[i] = v;
        }
    }
    if (accept_rate != NULL)
        *accept_rate = attempts > 0.0 ? (double)got / attempts : NAN;
    if (st == MVN_ETOL)
        mvni_fail(ctx, st, "the budget of %.17g proposals ended after %zu of %zu "
                           "samples (acceptance rate %.3g); the other rows are NaN",
                  budget, got, n, (double)got / attempts);
out:
    mvni_tmvn_free(&t);
    free(mem);
    free(perm);
    return st;
}

/* The checks that need no memory: MVN_OK or a status with its message. */
static int check_request(mvn_context *ctx, size_t d, size_t n, int fits,
                         const double *x)
{
    int st = mvni_check_dim(d, ctx->message, sizeof ctx->message);
    if (st != MVN_OK)
        return st;
    if (n == 0)
        return mvni_fail(ctx, MVN_EDIM, "n = 0: at least one sample must be asked for");
    if (!fits)
        return mvni_fail(ctx, MVN_EDIM, "n = %zu samples of d = %zu do not fit in memory",
                         n, d);
    if (x == NULL)
        return mvni_fail(ctx, MVN_EINVAL, "x (the n x d output) must not be NULL");
    if ((int)ctx->option[MVN_OPT_BACKEND] == MVN_BACKEND_CUDA)
        return mvni_fail(ctx, MVN_EUNSUPPORTED,
                         "sampling runs on the CPU only (MVN_OPT_BACKEND is CUDA)");
    return MVN_OK;
}

MVN_API int mvn_sample_truncated(mvn_context *ctx, size_t d, const double *lower,
                                 const double *upper, const double *mean,
                                 const double *sigma, size_t n, double *x,
                                 double *accept_rate)
{
    if (accept_rate != NULL)
        *accept_rate = NAN;
    const int fits = d == 0 || n <= SIZE_MAX / d / sizeof(double);
    int st = MVN_EINVAL;
    if (ctx != NULL) {
        mvni_context_begin(ctx);
        st = check_request(ctx, d, n, fits, x);
        if (st == MVN_OK)
            st = sample_problem(ctx, d, lower, upper, mean, sigma, n, x, accept_rate);
    }
    if (st != MVN_OK && st != MVN_ETOL && x != NULL && fits)
        for (size_t i = 0; i < n * d; ++i)
            x[i] = NAN;
    return st;
}
