/*
 * test_logprob.c -- mvn_logprob_batch: the error estimate of log P stays
 * meaningful where P and abserr underflow, and covers the true error of
 * log P against exact references (tridiagonal -1/2 orthants, P = 1/(d+1)!,
 * REFERENCE_VALUES.md sec. 3b; independent coordinates).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

static const ptrdiff_t VS[2] = {0, 1};

static double *tridiagonal(size_t d, double rho)
{
    double *S = calloc(d * d, sizeof *S);
    for (size_t i = 0; i < d; ++i) {
        S[i * d + i] = 1.0;
        if (i + 1 < d)
            S[i * d + i + 1] = S[(i + 1) * d + i] = rho;
    }
    return S;
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 1e-2);

    /* P = 1/(d+1)!: d = 200 underflows (log P = -868.535...). */
    static const size_t dims[2] = {50, 200};
    for (int k = 0; k < 2; ++k) {
        size_t d = dims[k];
        double *S = tridiagonal(d, -0.5), *lo = calloc(d, sizeof *lo);
        const ptrdiff_t ss[3] = {0, (ptrdiff_t)d, 1};
        double p, lp, e, le;
        int st;
        int rc = mvn_logprob_batch(ctx, 1, d, lo, VS, NULL, NULL, NULL, NULL, S, ss,
                                   MVN_SIGMA_COV, &p, &lp, &e, &le, &st);
        double exact = -lgamma((double)d + 2.0);
        tap_ok(rc == MVN_OK && st == MVN_OK, "tridiagonal -1/2 d = %zu: status %d", d, rc);
        tap_ok(isfinite(le) && le > 0.0 && le <= 1e-2,
               "d = %zu: logerr %.3g is finite, positive, within releps", d, le);
        tap_ok(fabs(lp - exact) <= le, "d = %zu: |logp - exact| = %.3g <= logerr %.3g", d,
               fabs(lp - exact), le);
        if (d == 200)
            tap_ok(p == 0.0 && e == 0.0, "d = 200: p and abserr underflow (%g, %g) while logerr does not",
                   p, e);
        else
            tap_rel(le, e / p, 1e-6, "d = 50: logerr = abserr / p where p is a normal double");
        free(S);
        free(lo);
    }

    /* Independent coordinates, far tail: exact kernels only.  log P is the
       sum of the univariate log Phi(-40); p underflows. */
    {
        const double I2[4] = {1, 0, 0, 1}, up[2] = {-40, -40};
        const ptrdiff_t ss[3] = {0, 2, 1};
        double p, lp, e, le;
        mvn_logprob_batch(ctx, 1, 2, NULL, NULL, up, VS, NULL, NULL, I2, ss, MVN_SIGMA_COV,
                          &p, &lp, &e, &le, NULL);
        double exact = 2.0 * mvn_norm_logP(-40.0);
        tap_ok(p == 0.0 && fabs(lp - exact) <= le && le > 0.0 && le < 1e-10,
               "independent pair at -40: logp %.17g (exact %.17g), logerr %.2g", lp, exact, le);
    }

    /* Agreement with mvn_prob_batch, bitwise, on a moderate batch. */
    {
        enum { N = 6, D = 5 };
        double S[D * D], up[N * D];
        for (int i = 0; i < D; ++i)
            for (int j = 0; j < D; ++j)
                S[i * D + j] = i == j ? 1.0 : 0.4;
        for (int t = 0; t < N; ++t)
            for (int i = 0; i < D; ++i)
                up[t * D + i] = 0.3 * t - 0.5 + 0.1 * i;
        const ptrdiff_t rs[2] = {D, 1}, ss[3] = {0, D, 1};
        double p1[N], lp1[N], e1[N], p2[N], lp2[N], e2[N], le[N];
        mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-5);
        mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
        mvn_prob_batch(ctx, N, D, NULL, NULL, up, rs, NULL, NULL, S, ss, MVN_SIGMA_COV,
                       p1, lp1, e1, NULL);
        mvn_logprob_batch(ctx, N, D, NULL, NULL, up, rs, NULL, NULL, S, ss, MVN_SIGMA_COV,
                          p2, lp2, e2, le, NULL);
        int same = memcmp(p1, p2, sizeof p1) == 0 && memcmp(lp1, lp2, sizeof lp1) == 0 &&
                   memcmp(e1, e2, sizeof e1) == 0;
        for (int t = 0; t < N; ++t)
            same &= fabs(le[t] - e2[t] / p2[t]) <= 1e-12 * le[t];
        tap_ok(same, "batch: p, logp, abserr equal mvn_prob_batch's bitwise; logerr = abserr / p");
    }

    /* P = 0 exactly, and bad input. */
    {
        const double I2[4] = {1, 0, 0, 1}, lo[2] = {0.5, 0}, up[2] = {0.5, 1};
        const ptrdiff_t ss[3] = {0, 2, 1};
        double p, lp, e, le;
        mvn_logprob_batch(ctx, 1, 2, lo, VS, up, VS, NULL, NULL, I2, ss, MVN_SIGMA_COV, &p, &lp,
                          &e, &le, NULL);
        tap_ok(p == 0.0 && lp == -INFINITY && le == 0.0, "empty box: logp = -inf, logerr = 0");
        const double bad[4] = {1, 2, 2, 1};
        int st = -1;
        int rc = mvn_logprob_batch(ctx, 1, 2, lo, VS, up, VS, NULL, NULL, bad, ss, MVN_SIGMA_COV,
                                   &p, &lp, &e, &le, &st);
        tap_ok(rc == MVN_ENOTPD && st == MVN_ENOTPD && isnan(le) && isnan(lp),
               "non-PD Sigma: MVN_ENOTPD and NaN logerr");
        const ptrdiff_t *none = NULL;
        rc = mvn_logprob_batch(ctx, 1, 2, lo, none, up, VS, NULL, NULL, I2, ss, MVN_SIGMA_COV,
                               &p, &lp, &e, &le, &st);
        tap_ok(rc == MVN_EINVAL && isnan(le), "missing strides: MVN_EINVAL and NaN logerr");
    }
    mvn_context_free(ctx);
    return tap_exit();
}
