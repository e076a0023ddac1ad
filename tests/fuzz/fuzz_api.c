/* fuzz_api.c -- libFuzzer target for the C API: the input bytes become a problem and options, every entry point is called on it, and every result is held to the contract of lib/mvnorm.h. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * What is checked (fuzz_fail aborts on the first violation):
 *  - the option setter answers MVN_OK for a value in bounds and MVN_EINVAL
 *    (option unchanged) for one outside;
 *  - every status is a valid MVN_* code; a batch returns MVN_OK when every
 *    item succeeded, MVN_ETOL when some only missed the tolerance, else
 *    the status of the first failing item;
 *  - on an error status every numeric output is NaN (p, log P, abserr,
 *    logerr and every derivative);
 *  - on MVN_OK / MVN_ETOL: P in [0, 1]; log P <= 0, not NaN, and equal to
 *    log(P) where P is a normal double (0 <= P underflowed otherwise);
 *    abserr >= 0 (finite for MVN_OK); logerr >= 0; derivatives are numbers
 *    (those of log P may be NaN only where P = 0), d_mean = -(d_lower +
 *    d_upper), the derivative at an infinite limit is 0, d_sigma and the
 *    Hessian are symmetric, and under the closed-form route d_upper >= 0
 *    and d_lower <= 0 (P grows with the box);
 *  - a batch of identical problems gives bitwise identical items, bitwise
 *    the numbers and the status of the single call (mvn_prob or
 *    mvn_prob_chol);
 *  - for d <= 3 with MVN_METHOD_AUTO (the exact kernels), when both are
 *    MVN_OK: |P_exact - P_qmc| <= 3 abserr_qmc + abserr_exact + 1e-7, the
 *    QMC reference with the default error factor and shifts.  The
 *    factor 3 on the QMC estimate (about 10 standard errors) keeps honest
 *    QMC misses (a 3.5-sigma estimate misses about 1 time in 100) from
 *    being reported; counted over seeds (check_exact_vs_qmc), an error
 *    estimate that is wrong by more for two of three seeds is a finding.
 * Costs are kept small (maxpts <= 52000, d <= 12 for probabilities and
 * d <= 6 and at most 2 problems for derivatives, with maxpts 1000) so
 * that an input runs in milliseconds.  The sanitizer runs (make fuzz) add
 * memory safety, leaks and undefined behaviour on any input.
 *
 * Input layout (tests/fuzz/mkseeds.py writes seeds in it):
 *   entry, flags, d, 9 option bytes, sigma mode + its data, perturbations,
 *   per coordinate a limit kind + values, the mean, batch shape.
 * A number is a tag byte and its payload (fuzz_value): a special value
 * (0, +-inf, NaN, 1e300, the smallest subnormal, ...), a small integer, a
 * multiple of 1/16, a decimal m * 10^e, 1 - 10^-k, or 8 raw bytes.
 */

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "fuzz.h"

/* ------------------------------------------------------------------ */
/* Decoding numbers                                                    */
/* ------------------------------------------------------------------ */

static const double specials[32] = {
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, NAN,
    INFINITY, -INFINITY, 1e300, -1e300, 1e-300, -1e-300, DBL_MAX, -DBL_MAX,
    DBL_MIN, 4.9406564584124654e-324, 1.5e154, -1.5e154, 5e19, -5e19, 1e10, -1e10,
    1e-162, 1e155, 8.0, -8.0, 38.5, -38.5, 1e-8, 1e-15,
};

static double fuzz_value(fuzz_reader *in)
{
    unsigned t = fuzz_byte(in);
    if (t < 32)
        return specials[t];
    if (t < 64)
        return (double)t - 48.0; /* -16 .. 15 */
    if (t < 128)
        return (double)(int8_t)fuzz_byte(in) / 16.0;
    if (t < 160) {
        /* m * 10^e, |m| < 32.8, e from -320 to 317. */
        double m = (double)(int16_t)fuzz_bytes(in, 2) / 1000.0;
        int e = ((int)fuzz_byte(in) - 128) * 5 / 2;
        return m * pow(10.0, e);
    }
    if (t < 192) {
        double x = 1.0 - pow(10.0, -(double)(fuzz_byte(in) % 17));
        return t & 1 ? -x : x;
    }
    uint64_t bits = fuzz_bytes(in, 8);
    double x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* ------------------------------------------------------------------ */
/* Helpers for the checks                                              */
/* ------------------------------------------------------------------ */

static int valid_status(int s)
{
    return s >= 0 && s < mvn_status_count();
}

static int is_error(int s)
{
    return s != MVN_OK && s != MVN_ETOL;
}

/* Bitwise the same number (any NaN equals any NaN). */
static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void all_nan(const char *what, const double *x, size_t n, int status)
{
    if (!x)
        return;
    for (size_t i = 0; i < n; ++i)
        if (!isnan(x[i]))
            fuzz_fail("%s[%zu] = %.17g, not NaN, with error status %d", what, i,
                      x[i], status);
}

/* p, log P and abserr of one answered or failed problem. */
static void check_values(const char *where, int status, double p, double lp,
                         double e)
{
    if (!valid_status(status))
        fuzz_fail("%s: status %d is not an MVN_* code", where, status);
    if (is_error(status)) {
        if (!isnan(p) || !isnan(lp) || !isnan(e))
            fuzz_fail("%s: status %d but p = %.17g, logp = %.17g, abserr = %.17g "
                      "(must be NaN)", where, status, p, lp, e);
        return;
    }
    if (!(p >= 0.0 && p <= 1.0))
        fuzz_fail("%s: status %d, p = %.17g outside [0, 1]", where, status, p);
    if (isnan(lp) || lp > 0.0)
        fuzz_fail("%s: status %d, log p = %.17g (must be <= 0)", where, status, lp);
    if (isnan(e))
        fuzz_fail_new("abserr-nan", "%s: status %d, abserr = %.17g", where, status, e);
    if (e < 0.0)
        fuzz_fail("%s: status %d, abserr = %.17g", where, status, e);
    if (status == MVN_OK && isinf(e))
        fuzz_fail_new("abserr-inf", "%s: status %d, abserr = %.17g", where, status, e);
    if (p >= DBL_MIN) {
        double diff = fabs(log(p) - lp);
        if (diff > 1e-9 * fmax(1.0, fabs(lp)))
            fuzz_fail("%s: log p = %.17g but log(p) = %.17g (p = %.17g)", where,
                      lp, log(p), p);
    } else if (p == 0.0 && lp > log(4.9406564584124654e-324) + 1.0)
        fuzz_fail("%s: p = 0 but log p = %.17g (P would not underflow)", where, lp);
}

/* The smallest positive variance of the problem being run (set by
   decode_problem). */
static double fuzz_min_variance = INFINITY;

/* The derivatives of one problem: d_lower, d_upper, d_mean (d each), d_sigma
   (d*d), each may be NULL.  log_space: derivatives of log P, which are NaN
   where P = 0.  A derivative is +-inf, not a finite number, where its true
   value exceeds DBL_MAX: dP/dSigma_ij is of order 1 / sqrt(S_ii S_jj), so
   with a variance below 1e-300 an infinite (never NaN) derivative is
   the correct rounding (the former finding grad-nonfinite-dsigma-inf:
   variances 6.2e-317 and 8.1e-317, d_sigma = 1.1e315 rounds to inf).
   In log space the limits' derivatives are density / P terms, beyond
   DBL_MAX for an interval narrower than 1 / DBL_MAX = 5.6e-309 (variance
   2.7e-158, interval (0, 2.4e-319): d_lower = -4e318) or where a nearly
   singular conditional makes the density at a limit exceed P by more
   than that: there they are +-inf, never NaN, except d_mean where both
   limits' terms are infinite (their difference is not known; mvnorm.h
   documents both). */
static void check_grad(const char *where, int status, size_t d, double p,
                       double lp, const double *lower, const double *upper,
                       const double *dl, const double *du, const double *dm,
                       const double *ds, int log_space, int closed_form)
{
    if (is_error(status)) {
        all_nan("d_lower", dl, d, status);
        all_nan("d_upper", du, d, status);
        all_nan("d_mean", dm, d, status);
        all_nan("d_sigma", ds, d * d, status);
        return;
    }
    if (log_space && lp == -INFINITY)
        return; /* documented: NaN derivatives of log P where P = 0 */
    for (size_t i = 0; i < d; ++i) {
        double l = lower ? lower[i] : -INFINITY;
        double u = upper ? upper[i] : INFINITY;
        /* d_mean = -(d_lower + d_upper): NaN where both are infinite. */
        const int both_inf = dl && du && isinf(dl[i]) && isinf(du[i]);
        if ((dl && (log_space ? isnan(dl[i]) : !isfinite(dl[i]))) ||
            (du && (log_space ? isnan(du[i]) : !isfinite(du[i]))) ||
            (dm && (log_space ? isnan(dm[i]) && !both_inf : !isfinite(dm[i]))))
            fuzz_fail_new("grad-nonfinite", "%s: status %d, a derivative in coordinate %zu is not a "
                      "number (d_lower %g, d_upper %g, d_mean %g; p = %g)", where,
                      status, i, dl ? dl[i] : 0, du ? du[i] : 0, dm ? dm[i] : 0, p);
        if ((dl && isinf(l) && dl[i] != 0.0) || (du && isinf(u) && du[i] != 0.0))
            fuzz_fail("%s: derivative at an infinite limit of coordinate %zu is "
                      "not 0 (d_lower %g, d_upper %g)", where, i, dl ? dl[i] : 0,
                      du ? du[i] : 0);
        if (dl && du && dm) {
            double s = dl[i] + du[i];
            if (fabs(dm[i] + s) > 1e-12 * (fabs(dl[i]) + fabs(du[i])) + 1e-300)
                fuzz_fail("%s: d_mean[%zu] = %.17g but -(d_lower + d_upper) = %.17g",
                          where, i, dm[i], -s);
        }
        if (closed_form && ((du && du[i] < 0.0) || (dl && dl[i] > 0.0)))
            fuzz_fail("%s: P falls as the box grows: d_upper[%zu] = %g, "
                      "d_lower[%zu] = %g", where, i, du ? du[i] : 0, i, dl ? dl[i] : 0);
    }
    /* Log space: any coordinate with a limit derivative beyond 1e154
       (d_sigma's pair terms are products of two such, and the diagonal
       sums over every coordinate it covaries with; found by .ci/run's
       fuzz step: two intervals of width 5e-304 and 1.1e-308, finite
       derivatives near 1e307, a cross term NaN). */
    int any_inf = 0;
    for (size_t i = 0; log_space && dl && du && i < d; ++i)
        any_inf |= !(fabs(dl[i]) <= 1e154) || !(fabs(du[i]) <= 1e154);
    if (ds)
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j <= i; ++j) {
                double a = ds[i * d + j], b = ds[j * d + i];
                const int may_overflow = fuzz_min_variance < 1e-300 || log_space;
                /* In log space an entry that is a difference of terms
                   beyond DBL_MAX is NaN (documented): entries of a
                   coordinate with an infinite limit derivative, and the
                   diagonal of the coordinates that covary with it; also
                   a diagonal entry whose row holds an infinite pair term
                   (found by fuzzing: a nearly rank-1 6-D Sigma under
                   METHOD_QMC with maxpts 1000, status ETOL, pair terms
                   +-inf and d_sigma[5][5] NaN). */
                int row_inf = 0;
                for (size_t k = 0; log_space && i == j && k < d; ++k)
                    row_inf |= k != i && isinf(ds[i * d + k]);
                const int unknown = any_inf || row_inf;
                if (unknown ? 0 : may_overflow ? isnan(a) || isnan(b) : !isfinite(a) || !isfinite(b))
                    fuzz_fail_new("grad-nonfinite", "%s: status %d, d_sigma[%zu][%zu] = %g is not a number",
                              where, status, i, j, a);
                if (fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)))
                    fuzz_fail_new("grad-asymmetric", "%s: d_sigma not symmetric at (%zu, %zu): %.17g %.17g",
                              where, i, j, a, b);
            }
}

/* ------------------------------------------------------------------ */
/* Decoding a problem                                                  */
/* ------------------------------------------------------------------ */

enum {
    E_PROB, E_CHOL, E_BATCH, E_LOGBATCH, E_PLAN, E_GRAD, E_GRAD_BATCH,
    E_GRAD_ERR_BATCH, E_LOGGRAD_BATCH, E_HESSIAN, E_COMPUTE, E_UNIVARIATE,
    N_ENTRIES
};

/* Dimensions the library must refuse without reading an array. */
static const size_t huge_dims[8] = {
    MVN_MAX_DIM + 1, SIZE_MAX, SIZE_MAX / 2 + 1, SIZE_MAX / 8 + 1,
    (size_t)1 << 31, ((size_t)1 << 32) + 1, 3037000500u, MVN_MAX_DIM * 2,
};

typedef struct {
    int entry;
    int null_ctx;
    size_t d;
    int huge;       /* d is one of huge_dims: the arrays are dummies */
    double *lower, *upper, *mean, *sigma, *chol;
    int method, gradient;
    double opt[MVN_OPTION_MAX + 1]; /* values set, NAN = not set */
    size_t n;       /* batch size */
    int broadcast;  /* batch inputs with stride 0 */
    int col_major;  /* factors column-major; descriptor outputs backwards */
    int variant;    /* factor instead of Sigma; the descriptor's computation */
} problem;

static void problem_free(problem *pb)
{
    free(pb->lower);
    free(pb->upper);
    free(pb->mean);
    free(pb->sigma);
    free(pb->chol);
}

/* Sets one option from the input and checks the setter's answer. */
static void set_option(mvn_context *ctx, problem *pb, int option, double value,
                       int valid)
{
    double before = NAN, after = NAN;
    mvn_context_get(ctx, option, &before);
    int rc = mvn_context_set(ctx, option, value);
    mvn_context_get(ctx, option, &after);
    if (valid && rc != MVN_OK)
        fuzz_fail("mvn_context_set(%d, %.17g) = %d for a value in bounds", option,
                  value, rc);
    if (!valid && (rc != MVN_EINVAL || !same(before, after)))
        fuzz_fail("mvn_context_set(%d, %.17g) = %d (value now %g, was %g) for a "
                  "value out of bounds", option, value, rc, after, before);
    if (valid)
        pb->opt[option] = value;
}

static void decode_options(fuzz_reader *in, mvn_context *ctx, problem *pb)
{
    static const double abseps[8] = {1e-5, 1e-4, 1e-3, 1e-6, 0.0, 1e-2, 1e-8, -1.0};
    static const double releps[8] = {0.0, 0.0, 0.0, 1e-3, 1e-2, 1e-1, 1e-6, NAN};
    unsigned b;
    for (int k = 0; k <= MVN_OPTION_MAX; ++k)
        pb->opt[k] = NAN;
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 20000);
    pb->opt[MVN_OPT_MAXPTS] = 20000;

    b = fuzz_byte(in) % 8;
    pb->method = b < 4 ? MVN_METHOD_AUTO : b < 6 ? MVN_METHOD_QMC : MVN_METHOD_TILTED;
    if (b == 7)
        set_option(ctx, pb, MVN_OPT_METHOD, 3.0, 0);
    set_option(ctx, pb, MVN_OPT_METHOD, pb->method, 1);
    b = fuzz_byte(in) % 4;
    set_option(ctx, pb, MVN_OPT_REORDER,
               b == 3 ? 3.0 : b == 2 ? MVN_REORDER_GGE_ALWAYS
               : b == 1 ? MVN_REORDER_NONE : MVN_REORDER_GGE,
               b != 3);
    b = fuzz_byte(in);
    set_option(ctx, pb, MVN_OPT_MAXPTS, b == 255 ? 999.0 : 1000.0 + 200.0 * b, b != 255);
    b = fuzz_byte(in) % 8;
    set_option(ctx, pb, MVN_OPT_ABSEPS, abseps[b], b != 7);
    b = fuzz_byte(in) % 8;
    set_option(ctx, pb, MVN_OPT_RELEPS, releps[b], b != 7);
    set_option(ctx, pb, MVN_OPT_SEED, fuzz_byte(in), 1);
    b = fuzz_byte(in) % 16;
    if (b < 7 || b == 15)
        set_option(ctx, pb, MVN_OPT_SHIFTS, b == 15 ? 1.0 : 2.0 + b, b != 15);
    b = fuzz_byte(in) % 16;
    if (b < 10 || b == 15)
        set_option(ctx, pb, MVN_OPT_ERROR_FACTOR, b == 15 ? 0.5 : 1.0 + b, b != 15);
    b = fuzz_byte(in) % 4;
    pb->gradient = b & 1 ? MVN_GRADIENT_ESTIMATOR : MVN_GRADIENT_CLOSED_FORM;
    set_option(ctx, pb, MVN_OPT_GRADIENT, b == 3 ? 2.0 : pb->gradient, b != 3);
    if (b == 3)
        pb->gradient = MVN_GRADIENT_CLOSED_FORM;
    set_option(ctx, pb, MVN_OPT_THREADS, 1, 1);
}

/* Sigma from the input, in one of several shapes that reach the
   interesting paths: raw entries, L L^T (positive semidefinite, singular
   when a column of L is zero), equicorrelated with rho near 1, diagonal,
   one-factor, asymmetric, a whole matrix scaled by 10^k, and v v^T + eps I.
   chol receives a lower-triangular factor for mvn_prob_chol (L where the
   shape has one, else the lower triangle of sigma). */
static void decode_sigma(fuzz_reader *in, size_t d, double *S, double *L)
{
    unsigned mode = fuzz_byte(in) % 8;
    memset(L, 0, d * d * sizeof *L);
    switch (mode) {
    case 0: /* raw symmetric */
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j <= i; ++j)
                S[i * d + j] = S[j * d + i] = fuzz_value(in);
        break;
    case 1: /* L L^T */
    case 6: /* L L^T scaled by 10^k */
    {
        double scale = 1.0;
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j <= i; ++j)
                L[i * d + j] = fuzz_value(in);
        if (mode == 6) {
            scale = pow(10.0, (double)((int)fuzz_byte(in) - 128) * 2.4);
            for (size_t k = 0; k < d * d; ++k)
                L[k] *= sqrt(scale);
        }
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j <= i; ++j) {
                double s = 0.0;
                for (size_t k = 0; k <= j; ++k)
                    s += L[i * d + k] * L[j * d + k];
                S[i * d + j] = S[j * d + i] = s;
            }
        return;
    }
    case 2: /* equicorrelated, standard deviations from the input */
    {
        double rho = fuzz_value(in);
        for (size_t i = 0; i < d; ++i)
            L[i * d + i] = fuzz_value(in); /* standard deviations, briefly */
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = L[i * d + i] * L[j * d + j] * (i == j ? 1.0 : rho);
        memset(L, 0, d * d * sizeof *L);
        break;
    }
    case 3: /* diagonal */
        memset(S, 0, d * d * sizeof *S);
        for (size_t i = 0; i < d; ++i)
            S[i * d + i] = fuzz_value(in);
        break;
    case 4: /* one factor: D + l l^T */
    {
        double *l = L; /* borrowed as scratch */
        for (size_t i = 0; i < d; ++i)
            l[i] = fuzz_value(in);
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = l[i] * l[j];
        for (size_t i = 0; i < d; ++i)
            S[i * d + i] += fuzz_value(in);
        memset(L, 0, d * d * sizeof *L);
        break;
    }
    case 5: /* raw, not necessarily symmetric */
        for (size_t k = 0; k < d * d; ++k)
            S[k] = fuzz_value(in);
        break;
    case 7: /* v v^T + eps I: near singular */
    {
        double eps = pow(10.0, -(double)(fuzz_byte(in) % 20));
        for (size_t i = 0; i < d; ++i)
            L[i] = fuzz_value(in);
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = L[i] * L[j] + (i == j ? eps : 0.0);
        memset(L, 0, d * d * sizeof *L);
        break;
    }
    }
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j <= i; ++j)
            L[i * d + j] = S[i * d + j];
}

static int decode_problem(fuzz_reader *in, mvn_context *ctx, problem *pb)
{
    memset(pb, 0, sizeof *pb);
    pb->entry = (int)(fuzz_byte(in) % N_ENTRIES);
    unsigned flags = fuzz_byte(in);
    unsigned db = fuzz_byte(in);
    pb->null_ctx = (flags & 0xe0) == 0xe0; /* one input in eight */
    decode_options(in, ctx, pb);

    if (db >= 248) {
        pb->huge = 1;
        pb->d = huge_dims[db - 248];
    } else if (db >= 236)
        pb->d = 13 + fuzz_byte(in) % 28; /* 13 .. 40 */
    else
        pb->d = db % 13;
    /* Derivatives cost 2d^2 conditional problems: keep them small. */
    int deriv = pb->entry >= E_GRAD && pb->entry <= E_COMPUTE;
    if (deriv && !pb->huge && pb->d > 6)
        pb->d = pb->d % 7;
    if (deriv)
        set_option(ctx, pb, MVN_OPT_MAXPTS, 1000, 1);

    size_t d = pb->huge ? 4 : pb->d; /* the dummies of a huge d hold 4 x 4 */
    size_t dd = d ? d : 1;
    pb->lower = malloc(dd * sizeof(double));
    pb->upper = malloc(dd * sizeof(double));
    pb->mean = malloc(dd * sizeof(double));
    pb->sigma = malloc(dd * dd * sizeof(double));
    pb->chol = malloc(dd * dd * sizeof(double));
    if (!pb->lower || !pb->upper || !pb->mean || !pb->sigma || !pb->chol)
        return -1;
    decode_sigma(in, d, pb->sigma, pb->chol);
    /* Perturbations: single entries set to any value (NaN, inf, huge, an
       asymmetric pair). */
    unsigned np = fuzz_byte(in) % 4;
    for (unsigned k = 0; k < np && d > 0; ++k) {
        unsigned i = fuzz_byte(in) % d, j = fuzz_byte(in) % d;
        double v = fuzz_value(in);
        pb->sigma[i * d + j] = v;
        if (fuzz_byte(in) & 1)
            pb->sigma[j * d + i] = v;
    }
    for (size_t i = 0; i < d; ++i) {
        unsigned kind = fuzz_byte(in) % 4;
        double a = kind & 1 ? -INFINITY : fuzz_value(in);
        double b = kind & 2 ? INFINITY : fuzz_value(in);
        if ((flags & 0x10) && a > b) {
            double t = a;
            a = b, b = t;
        }
        pb->lower[i] = a;
        pb->upper[i] = b;
    }
    for (size_t i = 0; i < d; ++i)
        pb->mean[i] = fuzz_value(in);
    if (flags & 0x02) { free(pb->lower); pb->lower = NULL; }
    if (flags & 0x04) { free(pb->upper); pb->upper = NULL; }
    if (flags & 0x08) { free(pb->mean); pb->mean = NULL; }
    unsigned nb = fuzz_byte(in);
    pb->n = 1 + nb % 3;
    pb->broadcast = (nb >> 2) & 1;
    pb->col_major = (nb >> 3) & 1;
    pb->variant = (int)((nb >> 4) % 3);
    if (deriv && pb->n > 2)
        pb->n = 2; /* derivatives of a trivariate tail take 0.1 s each */
    /* The smallest positive variance (check_grad): derivatives scale like
       1 / variance and exceed DBL_MAX below about 1e-308. */
    fuzz_min_variance = INFINITY;
    for (size_t i = 0; i < d; ++i) {
        const double v = pb->sigma[i * d + i];
        if (v > 0.0 && v < fuzz_min_variance)
            fuzz_min_variance = v;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Calling the entry points                                            */
/* ------------------------------------------------------------------ */

/* A batch of n copies of one problem: the inputs repeated (or broadcast
   with stride 0), so every item must give the same numbers. */
typedef struct {
    size_t n, d;
    double *lower, *upper, *mean, *sigma;
    ptrdiff_t vs[2], ss[3];
} batch_in;

static int batch_make(const problem *pb, const double *S, batch_in *b)
{
    size_t d = pb->d, n = pb->n;
    memset(b, 0, sizeof *b);
    b->n = n;
    b->d = d;
    if (pb->huge || pb->broadcast) {
        b->lower = pb->lower, b->upper = pb->upper, b->mean = pb->mean;
        b->sigma = (double *)S;
        b->vs[0] = 0, b->vs[1] = 1;
        b->ss[0] = 0;
    } else {
        size_t dd = d ? d : 1;
        b->lower = pb->lower ? malloc(n * dd * sizeof(double)) : NULL;
        b->upper = pb->upper ? malloc(n * dd * sizeof(double)) : NULL;
        b->mean = pb->mean ? malloc(n * dd * sizeof(double)) : NULL;
        b->sigma = malloc(n * dd * dd * sizeof(double));
        if ((pb->lower && !b->lower) || (pb->upper && !b->upper) ||
            (pb->mean && !b->mean) || !b->sigma)
            return -1;
        for (size_t t = 0; t < n; ++t) {
            if (b->lower) memcpy(b->lower + t * d, pb->lower, d * sizeof(double));
            if (b->upper) memcpy(b->upper + t * d, pb->upper, d * sizeof(double));
            if (b->mean) memcpy(b->mean + t * d, pb->mean, d * sizeof(double));
            memcpy(b->sigma + t * d * d, S, d * d * sizeof(double));
        }
        b->vs[0] = (ptrdiff_t)d, b->vs[1] = 1;
        b->ss[0] = (ptrdiff_t)(d * d);
    }
    /* A symmetric Sigma reads the same in either order; a factor is given
       transposed for column-major strides. */
    b->ss[1] = pb->col_major ? 1 : (ptrdiff_t)d;
    b->ss[2] = pb->col_major ? (ptrdiff_t)d : 1;
    return 0;
}

static void batch_free(const problem *pb, batch_in *b)
{
    if (pb->huge || pb->broadcast)
        return;
    free(b->lower);
    free(b->upper);
    free(b->mean);
    free(b->sigma);
}

/* The return value of a batch from its items' statuses. */
static void check_batch_status(const char *where, int rc, const int *st, size_t n)
{
    int want = MVN_OK;
    for (size_t t = 0; t < n; ++t) {
        if (!valid_status(st[t]))
            fuzz_fail("%s: status[%zu] = %d is not an MVN_* code", where, t, st[t]);
        if (is_error(st[t])) {
            want = st[t];
            break;
        }
        if (st[t] == MVN_ETOL)
            want = MVN_ETOL;
    }
    if (rc != want)
        fuzz_fail("%s returned %d, but its items say %d", where, rc, want);
}

/* The transposed copy of a lower-triangular factor, for col-major. */
static void transpose(const double *a, double *t, size_t d)
{
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            t[j * d + i] = a[i * d + j];
}

/* The single call a batch item must equal. */
static int single_call(mvn_context *ctx, const problem *pb, int chol, double *p,
                       double *lp, double *e)
{
    if (!chol)
        return mvn_prob(ctx, pb->d, pb->lower, pb->upper, pb->mean, pb->sigma, p,
                        lp, e);
    return mvn_prob_chol(ctx, pb->d, pb->lower, pb->upper, pb->mean, pb->chol,
                         MVN_ROW_MAJOR, p, lp, e);
}

/* Compares every item of a probability batch with each other and with the
   single call. */
static void check_batch_items(const char *where, mvn_context *ctx,
                              const problem *pb, int chol, const double *p,
                              const double *lp, const double *e, const int *st)
{
    if (pb->null_ctx || pb->huge)
        return;
    double p1 = 0, lp1 = 0, e1 = 0;
    int s1 = single_call(ctx, pb, chol, &p1, &lp1, &e1);
    for (size_t t = 0; t < pb->n; ++t)
        if (st[t] != s1 || !same(p[t], p1) || !same(lp[t], lp1) || !same(e[t], e1))
            fuzz_fail("%s item %zu: status %d, p %.17g, logp %.17g, abserr %.17g; "
                      "the single call: %d, %.17g, %.17g, %.17g", where, t, st[t],
                      p[t], lp[t], e[t], s1, p1, lp1, e1);
}

/* d <= 3 under AUTO went to the exact kernels: QMC must agree within its
   own error estimate (see the header comment for the factor). */
static void check_exact_vs_qmc(const problem *pb, int status, double p, double e)
{
    if (pb->d < 1 || pb->d > 3 || pb->method != MVN_METHOD_AUTO || status != MVN_OK)
        return;
    mvn_context *q = mvn_context_alloc();
    if (!q)
        return;
    /* The reference keeps the error estimate's defaults: with the
       problem's error_factor 1 and 2 shifts (a standard error from two
       samples), a QMC value 3.5 of its estimates off is no finding
       (0.2236221 +- 4.8e-6 against an exact 0.2236054, which QMC at
       abseps 1e-9 confirms to 4e-10; CI fuzz run of 2026-12-02). */
    for (int k = 1; k <= MVN_OPTION_MAX; ++k)
        if (!isnan(pb->opt[k]) && k != MVN_OPT_ERROR_FACTOR && k != MVN_OPT_SHIFTS)
            mvn_context_set(q, k, pb->opt[k]);
    mvn_context_set(q, MVN_OPT_METHOD, MVN_METHOD_QMC);
    /* Counted, as the test suite's statistical checks are: an error
       estimate from 8 random shifts misses by 3 of itself now and then
       (1.5% of seeds, up to 15 estimates, for one 3-D problem of a 2026-12-03
       campaign, regress-exact-vs-qmc-counted: the stopping rule stops at
       the first lattice size whose estimate is small, and at 512-4096
       points the shift estimates are far from normal).  A miss is a
       finding when a second of two more seeds misses too: a problem
       missed at rate r fails with probability about 3 r^2 (7e-4 there),
       the tail-step finding (72% of seeds) with 0.92. */
    int misses = 0, runs = 0;
    double pq = NAN, lq = NAN, eq = NAN, first_p = NAN, first_e = NAN;
    const double seed = isnan(pb->opt[MVN_OPT_SEED]) ? 0.0 : pb->opt[MVN_OPT_SEED];
    for (int k = 0; k < 3 && (k == 0 || misses == 1); ++k) {
        mvn_context_set(q, MVN_OPT_SEED, fmod(seed + 1000003.0 * k, 9007199254740992.0));
        int sq = mvn_prob(q, pb->d, pb->lower, pb->upper, pb->mean, pb->sigma, &pq, &lq, &eq);
        check_values("mvn_prob (QMC)", sq, pq, lq, eq);
        if (sq != MVN_OK)
            break;
        ++runs;
        if (fabs(p - pq) > 3.0 * eq + e + 1e-7) {
            if (++misses == 1)
                first_p = pq, first_e = eq;
        }
    }
    mvn_context_free(q);
    if (misses >= 2)
        fuzz_fail_new("exact-vs-qmc",
                      "d = %zu: exact P = %.17g (abserr %.3g) but QMC P = %.17g "
                      "(abserr %.3g): difference %.3g, and %d of %d seeds missed", pb->d, p,
                      e, first_p, first_e, fabs(p - first_p), misses, runs);
}

static void run_prob(mvn_context *ctx, const problem *pb)
{
    double p = 0.25, lp = 0.25, e = 0.25;
    int st = mvn_prob(ctx, pb->d, pb->lower, pb->upper, pb->mean, pb->sigma, &p, &lp, &e);
    check_values("mvn_prob", st, p, lp, e);
    if (!pb->null_ctx && !pb->huge)
        check_exact_vs_qmc(pb, st, p, e);
}

static void run_chol(mvn_context *ctx, const problem *pb)
{
    size_t d = pb->huge ? 4 : pb->d;
    double *t = malloc((d ? d * d : 1) * sizeof *t);
    if (!t)
        return;
    transpose(pb->chol, t, d);
    double p = 0.25, lp = 0.25, e = 0.25;
    int st = mvn_prob_chol(ctx, pb->d, pb->lower, pb->upper, pb->mean,
                           pb->col_major ? t : pb->chol,
                           pb->col_major ? MVN_COL_MAJOR : MVN_ROW_MAJOR, &p, &lp, &e);
    check_values("mvn_prob_chol", st, p, lp, e);
    /* The two layouts are one factor: the same bits. */
    if (!pb->null_ctx && !pb->huge) {
        double p2 = 0, lp2 = 0, e2 = 0;
        int st2 = mvn_prob_chol(ctx, pb->d, pb->lower, pb->upper, pb->mean,
                                pb->col_major ? pb->chol : t,
                                pb->col_major ? MVN_ROW_MAJOR : MVN_COL_MAJOR,
                                &p2, &lp2, &e2);
        if (st2 != st || !same(p, p2) || !same(lp, lp2) || !same(e, e2))
            fuzz_fail("mvn_prob_chol: row- and column-major differ: %d %.17g / %d %.17g",
                      st, p, st2, p2);
    }
    free(t);
}

static void run_batch(mvn_context *ctx, const problem *pb, int log_batch, int chol)
{
    size_t n = pb->n;
    double *p = malloc(n * sizeof *p), *lp = malloc(n * sizeof *lp);
    double *e = malloc(n * sizeof *e), *le = malloc(n * sizeof *le);
    int *st = malloc(n * sizeof *st);
    batch_in b;
    double *S = pb->sigma;
    double *t = NULL;
    if (chol) {
        size_t d = pb->huge ? 4 : pb->d;
        t = malloc((d ? d * d : 1) * sizeof *t);
        if (t)
            transpose(pb->chol, t, d);
        S = pb->col_major ? t : pb->chol;
    }
    if (!p || !lp || !e || !le || !st || (chol && !t) || batch_make(pb, S, &b) != 0)
        goto out;
    for (size_t k = 0; k < n; ++k)
        p[k] = lp[k] = e[k] = le[k] = 0.25, st[k] = -7;
    int kind = chol ? MVN_SIGMA_CHOL : MVN_SIGMA_COV;
    int rc;
    const char *where = log_batch ? "mvn_logprob_batch" : "mvn_prob_batch";
    if (log_batch)
        rc = mvn_logprob_batch(ctx, n, pb->d, b.lower, b.vs, b.upper, b.vs, b.mean,
                               b.vs, b.sigma, b.ss, kind, p, lp, e, le, st);
    else
        rc = mvn_prob_batch(ctx, n, pb->d, b.lower, b.vs, b.upper, b.vs, b.mean,
                            b.vs, b.sigma, b.ss, kind, p, lp, e, st);
    if (!valid_status(rc))
        fuzz_fail("%s returned %d", where, rc);
    for (size_t k = 0; k < n; ++k) {
        check_values(where, st[k], p[k], lp[k], e[k]);
        if (log_batch) {
            if (is_error(st[k]) ? !isnan(le[k]) : (isnan(le[k]) || le[k] < 0.0))
                fuzz_fail("%s: status %d, logerr = %.17g", where, st[k], le[k]);
        }
    }
    check_batch_status(where, rc, st, n);
    batch_free(pb, &b);
    check_batch_items(where, ctx, pb, chol, p, lp, e, st);
out:
    free(p); free(lp); free(e); free(le); free(st); free(t);
}

static void run_plan(mvn_context *ctx, const problem *pb)
{
    size_t n = pb->n, d = pb->d;
    ptrdiff_t ss[2] = {(ptrdiff_t)(pb->huge ? 4 : d), 1};
    ptrdiff_t vs[2] = {0, 1};
    int ps = -7;
    mvn_plan *plan = mvn_plan_alloc(ctx, d, pb->sigma, ss, MVN_SIGMA_COV, &ps);
    if (!valid_status(ps) || (plan == NULL) != is_error(ps))
        fuzz_fail("mvn_plan_alloc: plan %p with status %d", (void *)plan, ps);
    double *p = malloc(n * sizeof *p), *lp = malloc(n * sizeof *lp);
    double *e = malloc(n * sizeof *e);
    int *st = malloc(n * sizeof *st);
    if (p && lp && e && st) {
        for (size_t k = 0; k < n; ++k)
            p[k] = lp[k] = e[k] = 0.25, st[k] = -7;
        /* A NULL plan must fail cleanly, with NaN outputs. */
        int rc = mvn_plan_prob(ctx, plan, n, pb->lower, vs, pb->upper, vs,
                               pb->mean, vs, p, lp, e, st);
        if (!valid_status(rc))
            fuzz_fail("mvn_plan_prob returned %d", rc);
        for (size_t k = 0; k < n; ++k)
            check_values("mvn_plan_prob", st[k], p[k], lp[k], e[k]);
        check_batch_status("mvn_plan_prob", rc, st, n);
        if (plan && mvn_plan_dim(plan) != d)
            fuzz_fail("mvn_plan_dim = %zu, want %zu", mvn_plan_dim(plan), d);
    }
    free(p); free(lp); free(e); free(st);
    mvn_plan_free(plan);
}

/* Derivative outputs of n problems, filled with a sentinel. */
typedef struct {
    double *p, *lp, *e, *dl, *du, *dm, *ds, *el, *eu, *es, *h;
    int *st;
} grad_out;

static int grad_alloc(grad_out *g, size_t n, size_t d)
{
    size_t dd = d ? d : 1;
    memset(g, 0, sizeof *g);
    double **v[] = {&g->p, &g->lp, &g->e};
    double **vd[] = {&g->dl, &g->du, &g->dm, &g->el, &g->eu};
    double **vdd[] = {&g->ds, &g->es, &g->h};
    for (size_t k = 0; k < 3; ++k)
        if (!(*v[k] = malloc(n * sizeof(double))))
            return -1;
    for (size_t k = 0; k < 5; ++k)
        if (!(*vd[k] = malloc(n * dd * sizeof(double))))
            return -1;
    for (size_t k = 0; k < 3; ++k)
        if (!(*vdd[k] = malloc(n * dd * dd * sizeof(double))))
            return -1;
    if (!(g->st = malloc(n * sizeof(int))))
        return -1;
    for (size_t k = 0; k < n; ++k) {
        g->p[k] = g->lp[k] = g->e[k] = 0.25;
        g->st[k] = -7;
    }
    for (size_t k = 0; k < n * dd; ++k)
        g->dl[k] = g->du[k] = g->dm[k] = g->el[k] = g->eu[k] = 0.25;
    for (size_t k = 0; k < n * dd * dd; ++k)
        g->ds[k] = g->es[k] = g->h[k] = 0.25;
    return 0;
}

static void grad_free(grad_out *g)
{
    free(g->p); free(g->lp); free(g->e); free(g->dl); free(g->du); free(g->dm);
    free(g->ds); free(g->el); free(g->eu); free(g->es); free(g->h); free(g->st);
}

static void run_grad(mvn_context *ctx, const problem *pb)
{
    grad_out g;
    size_t d = pb->d;
    if (grad_alloc(&g, 1, pb->huge ? 1 : d) == 0) {
        int st = mvn_prob_grad(ctx, d, pb->lower, pb->upper, pb->mean, pb->sigma,
                               g.p, g.lp, g.e, g.dl, g.du, g.dm, g.ds);
        check_values("mvn_prob_grad", st, g.p[0], g.lp[0], g.e[0]);
        if (!pb->huge)
            check_grad("mvn_prob_grad", st, d, g.p[0], g.lp[0], pb->lower, pb->upper,
                       g.dl, g.du, g.dm, g.ds, 0,
                       pb->gradient == MVN_GRADIENT_CLOSED_FORM);
    }
    grad_free(&g);
}

static void run_hessian(mvn_context *ctx, const problem *pb)
{
    grad_out g;
    size_t d = pb->d;
    if (grad_alloc(&g, 1, pb->huge ? 1 : d) == 0) {
        int st = mvn_prob_hessian(ctx, d, pb->lower, pb->upper, pb->mean, pb->sigma,
                                  g.p, g.h);
        if (!valid_status(st))
            fuzz_fail("mvn_prob_hessian: status %d", st);
        if (!pb->huge && is_error(st)) {
            all_nan("mvn_prob_hessian p", g.p, 1, st);
            all_nan("h_upper", g.h, d * d, st);
        } else if (!pb->huge) {
            if (!(g.p[0] >= 0.0 && g.p[0] <= 1.0))
                fuzz_fail("mvn_prob_hessian: p = %.17g", g.p[0]);
            for (size_t i = 0; i < d; ++i)
                for (size_t j = 0; j <= i; ++j) {
                    double a = g.h[i * d + j], b = g.h[j * d + i];
                    /* +-inf is the rounding of a true value beyond
                       DBL_MAX, possible only with a variance below 1e-300
                       (mvnorm.h; phi(0) at variances 3e-306 and 1.7e-314
                       multiply to 2.2e308). */
                    const int may_overflow = fuzz_min_variance < 1e-300;
                    if ((may_overflow ? isnan(a) : !isfinite(a)) ||
                        fabs(a - b) > 1e-12 * fmax(fabs(a), fabs(b)))
                        fuzz_fail("mvn_prob_hessian: h[%zu][%zu] = %.17g, h[%zu][%zu] = %.17g",
                                  i, j, a, j, i, b);
                }
        }
    }
    grad_free(&g);
}

/* mvn_prob_grad_batch, _err_batch, mvn_logprob_grad_batch. */
static void run_grad_batch(mvn_context *ctx, const problem *pb, int which)
{
    static const char *names[3] = {"mvn_prob_grad_batch", "mvn_prob_grad_err_batch",
                                   "mvn_logprob_grad_batch"};
    grad_out g;
    batch_in b;
    size_t n = pb->n, d = pb->d, dd = pb->huge ? 1 : d;
    if (grad_alloc(&g, n, dd) != 0 || batch_make(pb, pb->sigma, &b) != 0) {
        grad_free(&g);
        return;
    }
    int rc;
    if (which == 0)
        rc = mvn_prob_grad_batch(ctx, n, d, b.lower, b.vs, b.upper, b.vs, b.mean, b.vs,
                                 b.sigma, b.ss, MVN_SIGMA_COV, g.p, g.lp, g.e, g.st,
                                 g.dl, g.du, g.dm, g.ds);
    else if (which == 1)
        rc = mvn_prob_grad_err_batch(ctx, n, d, b.lower, b.vs, b.upper, b.vs, b.mean,
                                     b.vs, b.sigma, b.ss, MVN_SIGMA_COV, g.p, g.lp, g.e,
                                     g.st, g.dl, g.du, g.dm, g.ds, g.el, g.eu, g.es);
    else
        rc = mvn_logprob_grad_batch(ctx, n, d, b.lower, b.vs, b.upper, b.vs, b.mean,
                                    b.vs, b.sigma, b.ss, MVN_SIGMA_COV, g.p, g.lp, g.e,
                                    g.st, g.dl, g.du, g.dm, g.ds);
    if (!valid_status(rc))
        fuzz_fail("%s returned %d", names[which], rc);
    for (size_t t = 0; t < n; ++t) {
        check_values(names[which], g.st[t], g.p[t], g.lp[t], g.e[t]);
        if (!pb->huge)
            check_grad(names[which], g.st[t], d, g.p[t], g.lp[t], pb->lower, pb->upper,
                       g.dl + t * d, g.du + t * d, g.dm + t * d, g.ds + t * d * d,
                       which == 2, pb->gradient == MVN_GRADIENT_CLOSED_FORM);
        if (which == 1 && !pb->huge && !is_error(g.st[t]))
            for (size_t k = 0; k < d; ++k)
                if (!(g.el[t * d + k] >= 0.0) || !(g.eu[t * d + k] >= 0.0))
                    fuzz_fail("%s: err_lower[%zu] = %g, err_upper = %g", names[which],
                              k, g.el[t * d + k], g.eu[t * d + k]);
    }
    check_batch_status(names[which], rc, g.st, n);
    batch_free(pb, &b);
    grad_free(&g);
}

/* The descriptor: outputs written backwards (a negative stride) when the
   input asks for column-major, to cover strided writes. */
static void run_compute(mvn_context *ctx, const problem *pb)
{
    grad_out g;
    batch_in b;
    size_t n = pb->n, d = pb->d, dd = pb->huge ? 1 : d;
    int computation = pb->variant; /* MVN_COMPUTE_PROB, _GRAD, _LOG_GRAD */
    double *le = malloc(n * sizeof *le);
    if (!le || grad_alloc(&g, n, dd) != 0 || batch_make(pb, pb->sigma, &b) != 0) {
        free(le);
        grad_free(&g);
        return;
    }
    for (size_t t = 0; t < n; ++t)
        le[t] = 0.25;
    mvn_batch_desc desc;
    mvn_batch_desc_init(&desc, n, d);
    desc.lower = b.lower, desc.upper = b.upper, desc.mean = b.mean, desc.sigma = b.sigma;
    memcpy(desc.lower_strides, b.vs, sizeof b.vs);
    memcpy(desc.upper_strides, b.vs, sizeof b.vs);
    memcpy(desc.mean_strides, b.vs, sizeof b.vs);
    memcpy(desc.sigma_strides, b.ss, sizeof b.ss);
    int back = pb->col_major;
    ptrdiff_t s1 = back ? -1 : 1;
    desc.p = back ? g.p + n - 1 : g.p, desc.p_stride = s1;
    desc.logp = back ? g.lp + n - 1 : g.lp, desc.logp_stride = s1;
    desc.abserr = back ? g.e + n - 1 : g.e, desc.abserr_stride = s1;
    desc.logerr = back ? le + n - 1 : le, desc.logerr_stride = s1;
    desc.status = back ? g.st + n - 1 : g.st, desc.status_stride = s1;
    if (!pb->huge) {
        desc.d_lower = g.dl, desc.d_lower_strides[0] = (ptrdiff_t)d, desc.d_lower_strides[1] = 1;
        desc.d_upper = g.du, desc.d_upper_strides[0] = (ptrdiff_t)d, desc.d_upper_strides[1] = 1;
        desc.d_mean = g.dm, desc.d_mean_strides[0] = (ptrdiff_t)d, desc.d_mean_strides[1] = 1;
        desc.d_sigma = g.ds;
        desc.d_sigma_strides[0] = (ptrdiff_t)(d * d);
        desc.d_sigma_strides[1] = (ptrdiff_t)d, desc.d_sigma_strides[2] = 1;
    }
    int rc = mvn_batch_compute(ctx, computation, &desc);
    if (!valid_status(rc))
        fuzz_fail("mvn_batch_compute returned %d", rc);
    for (size_t t = 0; t < n; ++t) {
        check_values("mvn_batch_compute", g.st[t], g.p[t], g.lp[t], g.e[t]);
        if (computation == MVN_COMPUTE_PROB &&
            (is_error(g.st[t]) ? !isnan(le[t]) : (isnan(le[t]) || le[t] < 0.0)))
            fuzz_fail("mvn_batch_compute: status %d, logerr = %.17g", g.st[t], le[t]);
        if (computation != MVN_COMPUTE_PROB && !pb->huge)
            check_grad("mvn_batch_compute", g.st[t], d, g.p[t], g.lp[t], pb->lower,
                       pb->upper, g.dl + t * d, g.du + t * d, g.dm + t * d,
                       g.ds + t * d * d, computation == MVN_COMPUTE_LOG_GRAD,
                       pb->gradient == MVN_GRADIENT_CLOSED_FORM);
    }
    check_batch_status("mvn_batch_compute", rc, g.st, n);
    batch_free(pb, &b);
    grad_free(&g);
    free(le);
}

/* The univariate helpers on the decoded numbers. */
static void run_univariate(fuzz_reader *in)
{
    for (int k = 0; k < 8; ++k) {
        double x = fuzz_value(in);
        double P = mvn_norm_P(x), Q = mvn_norm_Q(x), lP = mvn_norm_logP(x);
        double lQ = mvn_norm_logQ(x), f = mvn_norm_pdf(x);
        if (isnan(x)) {
            continue;
        }
        if (!(P >= 0 && P <= 1) || !(Q >= 0 && Q <= 1) || !(lP <= 0) || !(lQ <= 0) ||
            !(f >= 0 && f <= 0.3989422804014327 * (1 + 1e-15)))
            fuzz_fail("x = %.17g: P %.17g Q %.17g logP %.17g logQ %.17g pdf %.17g",
                      x, P, Q, lP, lQ, f);
        if (P >= DBL_MIN && fabs(log(P) - lP) > 1e-12 * fmax(1.0, fabs(lP)))
            fuzz_fail("x = %.17g: log P(x) = %.17g, logP = %.17g", x, log(P), lP);
        double u = isfinite(x) ? fabs(fmod(x, 1.0)) : 0.5;
        double z = mvn_norm_Pinv(u);
        if (isnan(z) || (u > 0 && u < 1 && fabs(mvn_norm_P(z) - u) > 1e-12 * u + 1e-300))
            fuzz_fail("Pinv(%.17g) = %.17g, P of it %.17g", u, z, mvn_norm_P(z));
        if (x <= 0 && isnan(mvn_norm_logPinv(x)))
            fuzz_fail("logPinv(%.17g) is NaN", x);
    }
}

/* ------------------------------------------------------------------ */
/* The 0.2 additions: t probabilities and derivatives, quantiles,      */
/* truncated sampling (reached through the univariate entry's first    */
/* byte, so that the entries of the existing corpus keep their meaning) */
/* ------------------------------------------------------------------ */

/* The leading k x k part of the problem (NULL arrays stay NULL). */
typedef struct {
    size_t d;
    double lower[6], upper[6], mean[6], sigma[36];
    const double *lo, *up, *mu;
} small_problem;

static void small_make(const problem *pb, size_t k, small_problem *s)
{
    s->d = k;
    for (size_t i = 0; i < k; ++i) {
        s->lower[i] = pb->lower ? pb->lower[i] : 0.0;
        s->upper[i] = pb->upper ? pb->upper[i] : 0.0;
        s->mean[i] = pb->mean ? pb->mean[i] : 0.0;
        for (size_t j = 0; j < k; ++j)
            s->sigma[i * k + j] = pb->sigma[i * pb->d + j];
    }
    s->lo = pb->lower ? s->lower : NULL;
    s->up = pb->upper ? s->upper : NULL;
    s->mu = pb->mean ? s->mean : NULL;
}

/* Derivatives and a t integral per node keep these to d <= 4 and a
   maxpts of 1000 (one input stays in the milliseconds). */
static size_t small_dim(mvn_context *ctx, problem *pb)
{
    if (ctx)
        set_option(ctx, pb, MVN_OPT_MAXPTS, 1000, 1);
    return pb->huge ? 0 : pb->d % 5;
}

/* mvn_prob_t and mvn_prob_t_grad_sigma: df from the input (any double:
   below 0.01, NaN and negative must be refused), delta NULL or the mean. */
static void run_t(mvn_context *ctx, problem *pb, fuzz_reader *in, int grad)
{
    small_problem s;
    const size_t d = small_dim(ctx, pb);
    small_make(pb, d, &s);
    const unsigned b = fuzz_byte(in);
    const double df = b & 1 ? fuzz_value(in) : 0.5 * (double)(1 + b % 60);
    const double *delta = b & 2 ? s.mu : NULL;
    if (getenv("MVN_FUZZ_VERBOSE"))
        fprintf(stderr, "%s: d = %zu, df = %.17g, delta %s\n",
                grad ? "mvn_prob_t_grad_sigma" : "mvn_prob_t", d, df, delta ? "the mean" : "NULL");
    double p = 0.25, lp = 0.25, e = 0.25;
    if (!grad) {
        int st = mvn_prob_t(ctx, d, df, s.lo, s.up, delta, s.sigma, &p, &lp, &e);
        check_values("mvn_prob_t", st, p, lp, e);
        return;
    }
    double dl[6], du[6], ds[36];
    int st = mvn_prob_t_grad_sigma(ctx, d, df, s.lo, s.up, delta, s.sigma, &p, &lp, &e,
                                   dl, du, ds);
    check_values("mvn_prob_t_grad_sigma", st, p, lp, e);
    /* The closed form (central) or the derivatives under the outer
       integral (noncentral): P grows with the box, d_mean is not an
       output. */
    check_grad("mvn_prob_t_grad_sigma", st, d, p, lp, s.lo, s.up, dl, du, NULL, ds, 0, 1);
}

/* mvn_quantile_equi(_t): p and the tail from the input (invalid ones
   must be refused); MVN_OK means P at q within max(tolerance, its
   abserr) of p. */
static void run_quantile(mvn_context *ctx, problem *pb, fuzz_reader *in)
{
    small_problem s;
    const size_t d = small_dim(ctx, pb);
    small_make(pb, d, &s);
    /* Bits 0-1: the tail (3 is not one); 2: the t; 3: p any double. */
    const unsigned b = fuzz_byte(in);
    const int tail = (int)(b % 4), t = (b >> 2) & 1;
    const double p = (b >> 3) & 1 ? fuzz_value(in) : (double)(1 + fuzz_byte(in) % 99) / 100.0;
    const double df = t ? 0.5 * (double)(1 + fuzz_byte(in) % 40) : INFINITY;
    if (getenv("MVN_FUZZ_VERBOSE"))
        fprintf(stderr, "%s: d = %zu, p = %.17g, tail %d, df = %g\n",
                t ? "mvn_quantile_equi_t" : "mvn_quantile_equi", d, p, tail, df);
    double q = 0.25, qe = 0.25, pq = 0.25, pe = 0.25;
    int st = t ? mvn_quantile_equi_t(ctx, d, df, p, tail, s.mu, NULL, s.sigma, &q, &qe, &pq, &pe)
               : mvn_quantile_equi(ctx, d, p, tail, s.mu, s.sigma, &q, &qe, &pq, &pe);
    const char *where = t ? "mvn_quantile_equi_t" : "mvn_quantile_equi";
    if (!valid_status(st))
        fuzz_fail("%s: status %d is not an MVN_* code", where, st);
    if (is_error(st)) {
        if (!isnan(q) || !isnan(qe) || !isnan(pq) || !isnan(pe))
            fuzz_fail("%s: status %d but q %g, q_err %g, p_at_q %g, p_err %g (must be NaN)",
                      where, st, q, qe, pq, pe);
        return;
    }
    if (tail == 3 || !(p > 0.0 && p < 1.0))
        fuzz_fail("%s: p = %.17g, tail %d accepted (status %d)", where, p, tail, st);
    if (isnan(q) || !(qe >= 0.0) || !(pq >= 0.0 && pq <= 1.0) || !(pe >= 0.0))
        fuzz_fail("%s: status %d, q %.17g, q_err %g, p_at_q %.17g, p_err %g", where, st, q,
                  qe, pq, pe);
    if (st == MVN_OK && ctx) {
        double abseps = 0.0, releps = 0.0;
        mvn_context_get(ctx, MVN_OPT_ABSEPS, &abseps);
        mvn_context_get(ctx, MVN_OPT_RELEPS, &releps);
        const double tol = fmax(fmax(abseps, releps * p), pe);
        if (!(fabs(pq - p) <= tol * (1.0 + 1e-12)))
            fuzz_fail("%s: MVN_OK but P at q = %.17g is %.17g, %.3g from p = %.17g "
                      "(tolerance %.3g)", where, q, pq, fabs(pq - p), p, tol);
    }
}

/* mvn_sample_truncated: every finite coordinate within its limits, the
   rows not drawn NaN (ETOL), everything NaN on an error, and the first
   n - 1 rows of n samples bitwise the n - 1 samples of a second call. */
static void run_sample(mvn_context *ctx, problem *pb)
{
    small_problem s;
    const size_t d = pb->huge ? pb->d : pb->d % 7;
    if (ctx)
        set_option(ctx, pb, MVN_OPT_MAXPTS, 1000, 1);
    if (!pb->huge)
        small_make(pb, d, &s);
    const size_t n = pb->n, dd = pb->huge ? 1 : d ? d : 1;
    double x[3 * 6], x2[3 * 6], rate = 0.25;
    for (size_t k = 0; k < 3 * 6; ++k)
        x[k] = x2[k] = 0.25;
    /* A huge d must be refused without reading the (dummy) inputs; x is
       n x d, so it is given as NULL there (the library writes NaN over
       all of a given x on an error). */
    int st = pb->huge ? mvn_sample_truncated(ctx, d, pb->lower, pb->upper, pb->mean,
                                             pb->sigma, n, NULL, &rate)
                      : mvn_sample_truncated(ctx, d, s.lo, s.up, s.mu, s.sigma, n, x, &rate);
    if (!valid_status(st))
        fuzz_fail("mvn_sample_truncated: status %d is not an MVN_* code", st);
    if (pb->huge)
        return;
    if (is_error(st)) {
        if (ctx != NULL && d > 0)
            all_nan("mvn_sample_truncated x", x, n * dd, st);
        return;
    }
    if (!(rate >= 0.0 && rate <= 1.0))
        fuzz_fail("mvn_sample_truncated: status %d, accept_rate %g", st, rate);
    for (size_t r = 0; r < n; ++r) {
        int nan_row = isnan(x[r * d]);
        for (size_t i = 0; i < d; ++i) {
            const double v = x[r * d + i];
            if (nan_row) {
                if (st != MVN_ETOL || !isnan(v))
                    fuzz_fail("mvn_sample_truncated: status %d, row %zu mixes NaN and %g",
                              st, r, v);
                continue;
            }
            const double lo = s.lo ? s.lo[i] : -INFINITY, up = s.up ? s.up[i] : INFINITY;
            const double mu = s.mu ? s.mu[i] : 0.0;
            if (isnan(v) || (isfinite(lo) && v < lo) || (isfinite(up) && v > up) ||
                (isinf(v) && isfinite(mu) && s.sigma[i * d + i] < 1e300))
                fuzz_fail("mvn_sample_truncated: status %d, x[%zu][%zu] = %.17g outside "
                          "[%.17g, %.17g]", st, r, i, v, lo, up);
        }
    }
    if (n > 1 && st == MVN_OK) {
        int st2 = mvn_sample_truncated(ctx, d, s.lo, s.up, s.mu, s.sigma, n - 1, x2, NULL);
        if (st2 == MVN_OK && memcmp(x, x2, (n - 1) * d * sizeof *x) != 0)
            fuzz_fail("mvn_sample_truncated: the first %zu of %zu samples differ from "
                      "%zu samples drawn alone", n - 1, n, n - 1);
    }
}

/* MVN_FUZZ_VERBOSE=1 prints the decoded problem (to turn a reproducer
   into a report or a unit test). */
static void describe(const problem *pb)
{
    static const char *entries[N_ENTRIES] = {
        "mvn_prob", "mvn_prob_chol", "mvn_prob_batch", "mvn_logprob_batch",
        "mvn_plan_prob", "mvn_prob_grad", "mvn_prob_grad_batch",
        "mvn_prob_grad_err_batch", "mvn_logprob_grad_batch", "mvn_prob_hessian",
        "mvn_batch_compute", "univariate helpers"};
    size_t d = pb->huge ? 0 : pb->d;
    fprintf(stderr, "entry %s, d = %zu, n = %zu, ctx %s, broadcast %d, col_major %d, "
            "variant %d\noptions:", entries[pb->entry], pb->d, pb->n,
            pb->null_ctx ? "NULL" : "set", pb->broadcast, pb->col_major, pb->variant);
    for (int k = 1; k <= MVN_OPTION_MAX; ++k)
        if (!isnan(pb->opt[k]))
            fprintf(stderr, " %s=%.17g", mvn_option_name(k), pb->opt[k]);
    const char *names[3] = {"lower", "upper", "mean"};
    const double *v[3] = {pb->lower, pb->upper, pb->mean};
    for (int k = 0; k < 3; ++k) {
        fprintf(stderr, "\n%s:", names[k]);
        if (!v[k])
            fprintf(stderr, " NULL");
        for (size_t i = 0; v[k] && i < d; ++i)
            fprintf(stderr, " %.17g", v[k][i]);
    }
    fprintf(stderr, "\nsigma:");
    for (size_t i = 0; i < d; ++i) {
        fprintf(stderr, "\n ");
        for (size_t j = 0; j < d; ++j)
            fprintf(stderr, " %.17g", pb->sigma[i * d + j]);
    }
    fprintf(stderr, "\n");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_reader in = {data, size};
    problem pb;
    mvn_context *ctx = mvn_context_alloc();
    if (!ctx)
        return 0;
    if (decode_problem(&in, ctx, &pb) != 0) {
        problem_free(&pb);
        mvn_context_free(ctx);
        return 0;
    }
    mvn_context *c = pb.null_ctx ? NULL : ctx;
    if (getenv("MVN_FUZZ_VERBOSE"))
        describe(&pb);
    switch (pb.entry) {
    case E_PROB: run_prob(c, &pb); break;
    case E_CHOL: run_chol(c, &pb); break;
    case E_BATCH: run_batch(c, &pb, 0, pb.variant == 1); break;
    case E_LOGBATCH: run_batch(c, &pb, 1, pb.variant == 1); break;
    case E_PLAN: run_plan(c, &pb); break;
    case E_GRAD: run_grad(c, &pb); break;
    case E_GRAD_BATCH: run_grad_batch(c, &pb, 0); break;
    case E_GRAD_ERR_BATCH: run_grad_batch(c, &pb, 1); break;
    case E_LOGGRAD_BATCH: run_grad_batch(c, &pb, 2); break;
    case E_HESSIAN: run_hessian(c, &pb); break;
    case E_COMPUTE: run_compute(c, &pb); break;
    case E_UNIVARIATE:
        /* The univariate entry's first byte also reaches the 0.2 entry
           points (added after the corpus was made, whose entry bytes must
           keep their meaning). */
        switch (fuzz_byte(&in) % 6) {
        case 0: run_univariate(&in); break;
        case 1: run_t(c, &pb, &in, 0); break;
        case 2: run_t(c, &pb, &in, 1); break;
        case 3: run_quantile(c, &pb, &in); break;
        default: run_sample(c, &pb); break;
        }
        break;
    }
    problem_free(&pb);
    mvn_context_free(ctx);
    return 0;
}
