/*
 * test_api.c -- the API contract: options, status codes (every one
 * provoked), messages, bad input that must give a status and never a crash,
 * and NaN outputs on errors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "mvnorm.h"
#include "tap.h"

static const double I2[4] = {1, 0, 0, 1};

static void test_version(void)
{
    tap_ok(mvn_version_number() == MVN_VERSION_NUMBER,
           "run-time version number %u matches the header", mvn_version_number());
    tap_ok(strcmp(mvn_version_string(), MVN_VERSION_STRING) == 0,
           "run-time version string %s matches the header", mvn_version_string());
    tap_ok(mvn_status_count() == MVN_STATUS_COUNT, "status count twin");
}

static void test_strerror(void)
{
    int distinct = 1;
    for (int s = 0; s < MVN_STATUS_COUNT; ++s) {
        const char *m = mvn_strerror(s);
        if (m == NULL || strcmp(m, "unknown status") == 0)
            distinct = 0;
        for (int t = 0; t < s; ++t)
            if (strcmp(m, mvn_strerror(t)) == 0)
                distinct = 0;
    }
    tap_ok(distinct, "every status has its own description");
    tap_ok(strcmp(mvn_strerror(-1), "unknown status") == 0 &&
               strcmp(mvn_strerror(MVN_STATUS_COUNT), "unknown status") == 0,
           "unknown codes give 'unknown status'");
    /* Pinned values: these must never change. */
    tap_ok(MVN_OK == 0 && MVN_ETOL == 1 && MVN_EINVAL == 2 && MVN_EDIM == 3 &&
               MVN_ENAN == 4 && MVN_EBOUNDS == 5 && MVN_ENOTPD == 6 &&
               MVN_EASYM == 7 && MVN_ENOMEM == 8 && MVN_EBACKEND == 9 &&
               MVN_EUNSUPPORTED == 10,
           "status values are pinned");
    tap_ok(MVN_OPT_ABSEPS == 1 && MVN_OPT_RELEPS == 2 && MVN_OPT_MAXPTS == 3 &&
               MVN_OPT_SEED == 4 && MVN_OPT_THREADS == 5 && MVN_OPT_METHOD == 6 &&
               MVN_OPT_BACKEND == 7 && MVN_OPT_REORDER == 8 &&
               MVN_OPT_ERROR_FACTOR == 9 && MVN_OPT_SHIFTS == 10 &&
               MVN_OPT_GRADIENT == 11 && MVN_OPTION_MAX == 11,
           "option values are pinned");
}

static void test_options(void)
{
    mvn_context *ctx = mvn_context_alloc();
    double v, lo, hi, def;
    int all = 1;
    for (int o = 1; o <= MVN_OPTION_MAX; ++o) {
        if (mvn_option_bounds(o, &lo, &hi, &def) != MVN_OK ||
            mvn_context_get(ctx, o, &v) != MVN_OK || v != def || !(lo <= def && def <= hi))
            all = 0;
        /* Setting the bounds themselves is allowed. */
        if (mvn_context_set(ctx, o, lo) != MVN_OK || mvn_context_set(ctx, o, hi) != MVN_OK ||
            mvn_context_set(ctx, o, def) != MVN_OK)
            all = 0;
    }
    tap_ok(all, "every option: default within bounds, get = default, bounds settable");
    tap_ok(mvn_option_bounds(0, NULL, NULL, NULL) == MVN_EINVAL &&
               mvn_option_bounds(MVN_OPTION_MAX + 1, NULL, NULL, NULL) == MVN_EINVAL,
           "unknown option in bounds query: MVN_EINVAL");
    tap_ok(mvn_context_set(ctx, 999, 1.0) == MVN_EINVAL && strstr(mvn_context_message(ctx), "unknown option"),
           "unknown option: MVN_EINVAL with message '%s'", mvn_context_message(ctx));
    tap_ok(mvn_context_set(ctx, MVN_OPT_ABSEPS, -1.0) == MVN_EINVAL &&
               strstr(mvn_context_message(ctx), "abseps") != NULL,
           "abseps < 0: MVN_EINVAL naming the option ('%s')", mvn_context_message(ctx));
    tap_ok(mvn_context_set(ctx, MVN_OPT_ABSEPS, NAN) == MVN_EINVAL, "abseps = NaN: MVN_EINVAL");
    tap_ok(mvn_context_set(ctx, MVN_OPT_SHIFTS, 3.5) == MVN_EINVAL,
           "non-integral integer option: MVN_EINVAL");
    mvn_context_get(ctx, MVN_OPT_SHIFTS, &v);
    tap_ok(v == 8.0, "a rejected value leaves the option unchanged");
    tap_ok(mvn_context_set(NULL, MVN_OPT_ABSEPS, 1e-3) == MVN_EINVAL, "NULL context: MVN_EINVAL");
    tap_ok(mvn_context_get(ctx, MVN_OPT_ABSEPS, NULL) == MVN_EINVAL, "NULL out-pointer: MVN_EINVAL");
    mvn_context_free(ctx);
    mvn_context_free(NULL);
    tap_ok(1, "mvn_context_free(NULL) is a no-op");
}

/* Expect `want` from mvn_prob, NaN outputs and a nonempty message. */
static void expect(mvn_context *ctx, int want, size_t d, const double *lo,
                   const double *hi, const double *mu, const double *s,
                   const char *what)
{
    double p = 0, lp = 0, e = 0;
    int st = mvn_prob(ctx, d, lo, hi, mu, s, &p, &lp, &e);
    tap_ok(st == want && isnan(p) && isnan(lp) && isnan(e) &&
               mvn_context_message(ctx)[0] != '\0',
           "%s: status %d (want %d), NaN outputs, message '%s'", what, st, want,
           mvn_context_message(ctx));
}

static void test_bad_input(void)
{
    mvn_context *ctx = mvn_context_alloc();
    double hi[2] = {1, 1}, lo[2] = {0, 0}, mu[2] = {0, 0};
    double s[4];

    expect(ctx, MVN_EDIM, 0, lo, hi, mu, I2, "d = 0");
    expect(ctx, MVN_EDIM, (size_t)MVN_MAX_DIM + 1, NULL, NULL, NULL, I2, "d beyond MVN_MAX_DIM");
    expect(ctx, MVN_EDIM, SIZE_MAX, NULL, NULL, NULL, I2, "d = SIZE_MAX");
    expect(ctx, MVN_EINVAL, 2, lo, hi, mu, NULL, "Sigma NULL");
    tap_ok(mvn_prob(NULL, 2, lo, hi, mu, I2, NULL, NULL, NULL) == MVN_EINVAL, "NULL context");

    double nanhi[2] = {NAN, 1};
    expect(ctx, MVN_ENAN, 2, lo, nanhi, mu, I2, "NaN upper");
    double nanlo[2] = {0, NAN};
    expect(ctx, MVN_ENAN, 2, nanlo, hi, mu, I2, "NaN lower");
    double nanmu[2] = {0, NAN};
    expect(ctx, MVN_ENAN, 2, lo, hi, nanmu, I2, "NaN mean");
    double infmu[2] = {INFINITY, 0};
    expect(ctx, MVN_ENAN, 2, lo, hi, infmu, I2, "infinite mean");
    double pinflo[2] = {INFINITY, 0};
    expect(ctx, MVN_ENAN, 2, pinflo, NULL, mu, I2, "lower = +inf");
    double minfhi[2] = {-INFINITY, 1};
    expect(ctx, MVN_ENAN, 2, NULL, minfhi, mu, I2, "upper = -inf");
    memcpy(s, I2, sizeof s);
    s[1] = s[2] = NAN;
    expect(ctx, MVN_ENAN, 2, lo, hi, mu, s, "NaN in Sigma");
    memcpy(s, I2, sizeof s);
    s[3] = INFINITY;
    expect(ctx, MVN_ENAN, 2, lo, hi, mu, s, "infinite variance");

    double blo[2] = {0, 2};
    expect(ctx, MVN_EBOUNDS, 2, blo, hi, mu, I2, "lower > upper");

    double asym[4] = {1, 0.5, 0.2, 1};
    expect(ctx, MVN_EASYM, 2, lo, hi, mu, asym, "asymmetric Sigma");
    double negvar[4] = {-1, 0, 0, 1};
    expect(ctx, MVN_ENOTPD, 2, lo, hi, mu, negvar, "negative variance");
    double corr2[4] = {1, 2, 2, 1};
    expect(ctx, MVN_ENOTPD, 2, lo, hi, mu, corr2, "correlation 2");
    /* Every pair is a valid correlation but the 3 x 3 matrix is not PSD
       (eigenvalue 1 - 2 * 0.9 < 0); exact kernels must not hide it. */
    double lo3[3] = {-1, -1, -1}, hi3[3] = {1, 1, 1};
    double bad3[9] = {1, -0.9, -0.9, -0.9, 1, -0.9, -0.9, -0.9, 1};
    double p3, lp3, e3;
    int st3 = mvn_prob(ctx, 3, lo3, hi3, NULL, bad3, &p3, &lp3, &e3);
    tap_ok(st3 == MVN_ENOTPD, "3 x 3 indefinite correlation matrix: MVN_ENOTPD (got %d, '%s')",
           st3, mvn_context_message(ctx));
    double lo5[5] = {-1, -1, -1, -1, -1}, hi5[5] = {1, 1, 1, 1, 1}, bad5[25];
    for (int i = 0; i < 5; ++i)
        for (int j = 0; j < 5; ++j)
            bad5[i * 5 + j] = i == j ? 1.0 : -0.5;
    expect(ctx, MVN_ENOTPD, 5, lo5, hi5, NULL, bad5, "5 x 5 indefinite equicorrelation -0.5");

    /* Cholesky input: negative diagonal, bad layout. */
    double L[4] = {1, 0, 0.5, -1};
    double p, lp, e;
    tap_ok(mvn_prob_chol(ctx, 2, lo, hi, mu, L, MVN_ROW_MAJOR, &p, &lp, &e) == MVN_ENOTPD && isnan(p),
           "Cholesky factor with negative diagonal: MVN_ENOTPD");
    tap_ok(mvn_prob_chol(ctx, 2, lo, hi, mu, I2, 7, &p, &lp, &e) == MVN_EINVAL && isnan(p),
           "Cholesky layout 7: MVN_EINVAL");

    /* Backend: CUDA required but not built in. */
    mvn_context_set(ctx, MVN_OPT_BACKEND, MVN_BACKEND_CUDA);
    int st = mvn_prob(ctx, 2, lo, hi, mu, I2, &p, &lp, &e);
    tap_ok(st == MVN_EBACKEND || st == MVN_OK,
           "backend CUDA: MVN_EBACKEND when no CUDA module/device (got %d: '%s')", st,
           mvn_context_message(ctx));
    mvn_context_set(ctx, MVN_OPT_BACKEND, MVN_BACKEND_AUTO);

    /* ETOL: a tolerance out of reach within the smallest budget. */
    double lo6[6], hi6[6], s6[36];
    for (int i = 0; i < 6; ++i) {
        lo6[i] = -1.0 - 0.1 * i;
        hi6[i] = 1.0 + 0.2 * i;
        for (int j = 0; j < 6; ++j)
            s6[i * 6 + j] = i == j ? 1.0 : 0.3 + 0.05 * (i + j);
    }
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 1000);
    st = mvn_prob(ctx, 6, lo6, hi6, NULL, s6, &p, &lp, &e);
    tap_ok(st == MVN_ETOL && p > 0 && p < 1 && e > 0 && isfinite(lp) &&
               mvn_context_evaluations(ctx) <= 1000 && mvn_context_evaluations(ctx) > 0,
           "zero tolerance, 1000 points: MVN_ETOL with value %.6f, abserr %.2g, %g evaluations ('%s')",
           p, e, mvn_context_evaluations(ctx), mvn_context_message(ctx));
    mvn_context_free(ctx);
}

/* Trivial answers that need no integration. */
static void test_trivial(void)
{
    mvn_context *ctx = mvn_context_alloc();
    double p, lp, e;
    int st = mvn_prob(ctx, 2, NULL, NULL, NULL, I2, &p, &lp, &e);
    tap_ok(st == MVN_OK && p == 1.0 && lp == 0.0 && e == 0.0, "all limits infinite: P = 1 exactly");
    double lo[2] = {0.5, -1}, hi[2] = {0.5, 1};
    st = mvn_prob(ctx, 2, lo, hi, NULL, I2, &p, &lp, &e);
    tap_ok(st == MVN_OK && p == 0.0 && lp == -INFINITY, "empty interval lower = upper: P = 0, log P = -inf");
    st = mvn_prob(ctx, 1, NULL, hi, NULL, I2, &p, &lp, &e);
    tap_close(p, 0.69146246127401310, 2e-16, "d = 1: Phi(0.5)");
    tap_ok(mvn_context_message(ctx)[0] == '\0', "message is empty after success");
    /* Outputs may be NULL. */
    st = mvn_prob(ctx, 2, lo, NULL, NULL, I2, NULL, NULL, NULL);
    tap_ok(st == MVN_OK, "all outputs NULL is allowed");
    mvn_context_free(ctx);
}

/* MVN_ENOMEM: a plan for d = 100000 needs an 80 GB matrix.  The address
   space is capped first so that the allocation fails on any machine (and
   the one Sigma value is broadcast with zero strides, so the test needs no
   memory itself).  Skipped under AddressSanitizer, whose allocator needs
   the address space. */
static void test_enomem(void)
{
#if defined(__SANITIZE_ADDRESS__)
    tap_ok(1, "# SKIP MVN_ENOMEM under AddressSanitizer");
#else
    struct rlimit old, cap;
    if (getrlimit(RLIMIT_AS, &old) != 0) {
        tap_ok(1, "# SKIP getrlimit unavailable");
        return;
    }
    cap = old;
    cap.rlim_cur = (rlim_t)4 << 30;
    if (old.rlim_max != RLIM_INFINITY && old.rlim_max < cap.rlim_cur)
        cap.rlim_cur = old.rlim_max;
    setrlimit(RLIMIT_AS, &cap);
    mvn_context *ctx = mvn_context_alloc();
    const double one = 1.0;
    const ptrdiff_t zero[2] = {0, 0};
    int st = -1;
    mvn_plan *plan = mvn_plan_alloc(ctx, 100000, &one, zero, MVN_SIGMA_COV, &st);
    tap_ok(plan == NULL && st == MVN_ENOMEM, "d = 100000 plan with 4 GB of address space: MVN_ENOMEM ('%s')",
           mvn_context_message(ctx));
    mvn_plan_free(plan);
    mvn_context_free(ctx);
    setrlimit(RLIMIT_AS, &old);
#endif
}

int main(void)
{
    test_version();
    test_strerror();
    test_options();
    test_bad_input();
    test_trivial();
    test_enomem();
    return tap_exit();
}
