/* test_sample.c -- exact sampling from the truncated normal
 * (mvn_sample_truncated) against exact laws.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * References: the moments and cdf of the univariate truncated normal in
 * closed form; the first moment of the truncated bivariate normal by
 * Tallis' formula, E[Z_i] = sum_k R_ik (F_k(a_k) - F_k(b_k)) / P with
 * F_k(x) = phi(x) P(other coordinate in its interval | Z_k = x); the
 * marginal cdf of a truncated bivariate normal as a ratio of two
 * probabilities of the exact bivariate kernel.  Moment checks allow 5
 * standard errors of the sample mean (about 6e-7 false alarms each).
 * Kolmogorov-Smirnov tests run over 10 seeds and allow at most 2 p-values
 * below 0.01 (P(more than 2 of 10) = 1.1e-4 under the right law); a
 * wrong law (the correlation ignored) must be rejected.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "sample/sample.h"
#include "tap.h"

#define MOMENT_N 200000
#define KS_N 2000
#define KS_SEEDS 10
#define KS_ALPHA 0.01
#define KS_MAX_LOW 2
#define SIGMAS 5.0

static mvn_context *context(double seed)
{
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_SEED, seed);
    return ctx;
}

static int cmp_double(const void *p, const void *q)
{
    const double a = *(const double *)p, b = *(const double *)q;
    return (a > b) - (a < b);
}

/* Asymptotic Kolmogorov p-value of D for n points (Stephens' correction). */
static double ks_pvalue(double D, size_t n)
{
    const double sn = sqrt((double)n);
    const double lam = (sn + 0.12 + 0.11 / sn) * D;
    double p = 0.0;
    for (int k = 1; k <= 100; ++k)
        p += (k % 2 ? 2.0 : -2.0) * exp(-2.0 * k * k * lam * lam);
    return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}

typedef double (*cdf_fn)(double t, const void *par);

/* The KS p-value of coordinate `col` of the n x d samples x against cdf. */
static double ks_test(const double *x, size_t n, size_t d, size_t col,
                      cdf_fn cdf, const void *par)
{
    double *v = malloc(n * sizeof *v);
    for (size_t i = 0; i < n; ++i)
        v[i] = x[i * d + col];
    qsort(v, n, sizeof *v, cmp_double);
    double D = 0.0;
    for (size_t i = 0; i < n; ++i) {
        const double F = cdf(v[i], par);
        D = fmax(D, fmax(F - (double)i / n, (double)(i + 1) / n - F));
    }
    free(v);
    return ks_pvalue(D, n);
}

/* ---- univariate truncated normal ---------------------------------- */

typedef struct {
    double m, s, lo, hi;
} uni;

static double uni_cdf(double t, const void *par)
{
    const uni *u = par;
    const double a = (u->lo - u->m) / u->s, b = (u->hi - u->m) / u->s;
    const double z = (fmin(fmax(t, u->lo), u->hi) - u->m) / u->s;
    /* In the upper tail through Q, so that nothing cancels. */
    if (a > 0.0)
        return (mvn_norm_Q(a) - mvn_norm_Q(z)) / (mvn_norm_Q(a) - mvn_norm_Q(b));
    return (mvn_norm_P(z) - mvn_norm_P(a)) / (mvn_norm_P(b) - mvn_norm_P(a));
}

/* Exact mean and variance of N(m, s^2) truncated to [lo, hi], with the
   normalizing constant in log space for far tails. */
static void uni_moments(const uni *u, double *mean, double *var)
{
    const double a = (u->lo - u->m) / u->s, b = (u->hi - u->m) / u->s;
    const double lz = a > 0.0 ? log(mvn_norm_Q(a) - mvn_norm_Q(b))
                              : log(mvn_norm_P(b) - mvn_norm_P(a));
    const double pa = isinf(a) ? 0.0 : exp(-0.5 * a * a - 0.91893853320467274 - lz);
    const double pb = isinf(b) ? 0.0 : exp(-0.5 * b * b - 0.91893853320467274 - lz);
    const double m1 = pa - pb;
    const double ta = isinf(a) ? 0.0 : a * pa, tb = isinf(b) ? 0.0 : b * pb;
    *mean = u->m + u->s * m1;
    *var = u->s * u->s * (1.0 + ta - tb - m1 * m1);
}

static int inside(const double *x, size_t n, size_t d, const double *lo,
                  const double *hi)
{
    for (size_t r = 0; r < n; ++r)
        for (size_t i = 0; i < d; ++i) {
            const double v = x[r * d + i];
            if (!(v >= (lo ? lo[i] : -INFINITY) && v <= (hi ? hi[i] : INFINITY)))
                return 0;
        }
    return 1;
}

/* Each case gets its own seeds: cases that invert the same uniforms
   monotonically would otherwise share their KS statistics. */
static void test_univariate(const char *name, uni u, double seed)
{
    mvn_context *ctx = context(seed);
    double *x = malloc(MOMENT_N * sizeof *x), rate;
    const double var0 = u.s * u.s;
    int st = mvn_sample_truncated(ctx, 1, &u.lo, &u.hi, &u.m, &var0, MOMENT_N, x, &rate);
    tap_ok(st == MVN_OK, "%s: status %d", name, st);
    tap_ok(inside(x, MOMENT_N, 1, &u.lo, &u.hi), "%s: every sample in [lo, hi]", name);
    tap_close(rate, 1.0, 0.0, "%s: d = 1 accepts every proposal", name);
    double em, ev, s1 = 0.0, s2 = 0.0, s4 = 0.0;
    uni_moments(&u, &em, &ev);
    for (size_t i = 0; i < MOMENT_N; ++i)
        s1 += x[i];
    s1 /= MOMENT_N;
    for (size_t i = 0; i < MOMENT_N; ++i) {
        const double c = x[i] - em;
        s2 += c * c;
        s4 += c * c * c * c;
    }
    s2 /= MOMENT_N;
    s4 /= MOMENT_N;
    const double se_m = sqrt(ev / MOMENT_N), se_v = sqrt((s4 - ev * ev) / MOMENT_N);
    tap_close(s1, em, SIGMAS * se_m, "%s: mean %.10g vs exact %.10g (err %.2g, se %.2g)",
              name, s1, em, s1 - em, se_m);
    tap_close(s2, ev, SIGMAS * se_v, "%s: variance %.10g vs exact %.10g (err %.2g, se %.2g)",
              name, s2, ev, s2 - ev, se_v);
    int low = 0;
    for (int k = 0; k < KS_SEEDS; ++k) {
        mvn_context_set(ctx, MVN_OPT_SEED, seed * 1000 + k);
        mvn_sample_truncated(ctx, 1, &u.lo, &u.hi, &u.m, &var0, KS_N, x, NULL);
        low += ks_test(x, KS_N, 1, 0, uni_cdf, &u) < KS_ALPHA;
    }
    tap_ok(low <= KS_MAX_LOW, "%s: KS p < %g for %d of %d seeds", name, KS_ALPHA,
           low, KS_SEEDS);
    free(x);
    mvn_context_free(ctx);
}

/* ---- bivariate ----------------------------------------------------- */

typedef struct {
    double S[4], lo[2], hi[2], m[2];
} biv;

/* P(X1 <= t | box): a ratio of two bivariate probabilities. */
static double biv_cdf(double t, const void *par)
{
    const biv *p = par;
    mvn_context *ctx = mvn_context_alloc();
    double hi[2] = {fmin(t, p->hi[0]), p->hi[1]}, num, den;
    mvn_prob(ctx, 2, p->lo, hi, p->m, p->S, &num, NULL, NULL);
    mvn_prob(ctx, 2, p->lo, p->hi, p->m, p->S, &den, NULL, NULL);
    mvn_context_free(ctx);
    return t <= p->lo[0] ? 0.0 : num / den;
}

/* The wrong law for the same samples: X1's own truncation, X2 ignored. */
static double biv_cdf_uncorrelated(double t, const void *par)
{
    const biv *p = par;
    const uni u = {p->m[0], sqrt(p->S[0]), p->lo[0], p->hi[0]};
    return uni_cdf(t, &u);
}

/* E[X1 | box] by Tallis' formula on the standardized problem. */
static double biv_mean1(const biv *p)
{
    const double s1 = sqrt(p->S[0]), s2 = sqrt(p->S[3]);
    const double r = p->S[1] / (s1 * s2), c = sqrt(1.0 - r * r);
    const double a[2] = {(p->lo[0] - p->m[0]) / s1, (p->lo[1] - p->m[1]) / s2};
    const double b[2] = {(p->hi[0] - p->m[0]) / s1, (p->hi[1] - p->m[1]) / s2};
    mvn_context *ctx = mvn_context_alloc();
    double P;
    mvn_prob(ctx, 2, p->lo, p->hi, p->m, p->S, &P, NULL, NULL);
    mvn_context_free(ctx);
    /* F_k(x) = phi(x) (Phi((b_j - r x)/c) - Phi((a_j - r x)/c)). */
    double F[2][2];
    for (int k = 0; k < 2; ++k) {
        const int j = 1 - k;
        const double lim[2] = {a[k], b[k]};
        for (int e = 0; e < 2; ++e) {
            const double x = lim[e];
            F[k][e] = isinf(x) ? 0.0
                : mvn_norm_pdf(x) * (mvn_norm_P((b[j] - r * x) / c) -
                                     mvn_norm_P((a[j] - r * x) / c));
        }
    }
    const double ez1 = ((F[0][0] - F[0][1]) + r * (F[1][0] - F[1][1])) / P;
    return p->m[0] + s1 * ez1;
}

static void test_bivariate(void)
{
    const biv p = {{1.0, -1.2, -1.2, 4.0}, {-0.5, 1.0}, {1.5, INFINITY}, {0.3, -1.0}};
    mvn_context *ctx = context(11);
    double *x = malloc(2 * MOMENT_N * sizeof *x), rate;
    int st = mvn_sample_truncated(ctx, 2, p.lo, p.hi, p.m, p.S, MOMENT_N, x, &rate);
    tap_ok(st == MVN_OK, "d = 2: status %d, acceptance rate %.3f", st, rate);
    tap_ok(inside(x, MOMENT_N, 2, p.lo, p.hi), "d = 2: every sample in the box");
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < MOMENT_N; ++i)
        s1 += x[2 * i];
    s1 /= MOMENT_N;
    for (size_t i = 0; i < MOMENT_N; ++i)
        s2 += (x[2 * i] - s1) * (x[2 * i] - s1);
    const double se = sqrt(s2 / (MOMENT_N - 1) / MOMENT_N), em = biv_mean1(&p);
    tap_close(s1, em, SIGMAS * se, "d = 2: E[X1] %.10g vs Tallis %.10g (err %.2g, se %.2g)",
              s1, em, s1 - em, se);
    int low = 0, wrong = 0;
    for (int k = 0; k < KS_SEEDS; ++k) {
        mvn_context_set(ctx, MVN_OPT_SEED, 200 + k);
        mvn_sample_truncated(ctx, 2, p.lo, p.hi, p.m, p.S, KS_N, x, NULL);
        low += ks_test(x, KS_N, 2, 0, biv_cdf, &p) < KS_ALPHA;
        wrong += ks_test(x, KS_N, 2, 0, biv_cdf_uncorrelated, &p) < KS_ALPHA;
    }
    tap_ok(low <= KS_MAX_LOW, "d = 2: KS of X1 p < %g for %d of %d seeds", KS_ALPHA,
           low, KS_SEEDS);
    tap_ok(wrong == KS_SEEDS, "d = 2: KS rejects the law without the correlation "
           "for %d of %d seeds", wrong, KS_SEEDS);
    free(x);
    mvn_context_free(ctx);
}

/* ---- reproducibility ----------------------------------------------- */

static void equicorrelated(size_t d, double rho, double *S)
{
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : rho;
}

static void test_reproducible(void)
{
    enum { D = 5, N = 3000 };
    double S[D * D], lo[D], hi[D];
    equicorrelated(D, 0.3, S);
    for (size_t i = 0; i < D; ++i) {
        lo[i] = 1.0 + 0.2 * i;
        hi[i] = i % 2 ? INFINITY : 3.0;
    }
    static double x1[N * D], x2[N * D], x3[N * D], x4[100 * D];
    mvn_context *ctx = context(42);
    mvn_sample_truncated(ctx, D, lo, hi, NULL, S, N, x1, NULL);
    mvn_sample_truncated(ctx, D, lo, hi, NULL, S, N, x2, NULL);
    tap_ok(memcmp(x1, x2, sizeof x1) == 0, "the same seed gives bitwise the same samples");
    mvn_context_set(ctx, MVN_OPT_THREADS, 2);
    mvn_sample_truncated(ctx, D, lo, hi, NULL, S, N, x2, NULL);
    tap_ok(memcmp(x1, x2, sizeof x1) == 0, "2 threads give bitwise what 1 thread gives");
    mvn_sample_truncated(ctx, D, lo, hi, NULL, S, 100, x4, NULL);
    tap_ok(memcmp(x1, x4, sizeof x4) == 0, "n = 100 gives the first 100 rows of n = 3000");
    mvn_context_set(ctx, MVN_OPT_SEED, 43);
    mvn_sample_truncated(ctx, D, lo, hi, NULL, S, N, x3, NULL);
    size_t same = 0;
    for (size_t i = 0; i < N * D; ++i)
        same += x1[i] == x3[i];
    tap_ok(same == 0, "another seed shares no coordinate (%zu equal)", same);
    tap_ok(inside(x1, N, D, lo, hi), "d = 5: every sample in the box");
    mvn_context_free(ctx);
}

/* ---- deep tail ------------------------------------------------------ */

static void test_tail(size_t d, double rho, double c, double min_rate)
{
    double *S = malloc(d * d * sizeof *S), *lo = malloc(d * sizeof *lo);
    const size_t n = 20000;
    double *x = malloc(n * d * sizeof *x), rate, p, logp;
    equicorrelated(d, rho, S);
    for (size_t i = 0; i < d; ++i)
        lo[i] = c;
    mvn_context *ctx = context(3);
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_TILTED);
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
    mvn_context_set(ctx, MVN_OPT_RELEPS, 1e-3);
    mvn_prob(ctx, d, lo, NULL, NULL, S, &p, &logp, NULL);
    int st = mvn_sample_truncated(ctx, d, lo, NULL, NULL, S, n, x, &rate);
    tap_ok(st == MVN_OK && rate > min_rate,
           "d = %zu, rho = %g, X > %g (P = %.3g): status %d, acceptance rate %.3f > %g",
           d, rho, c, p, st, rate, min_rate);
    tap_ok(inside(x, n, d, lo, NULL), "d = %zu tail: every sample above %g", d, c);
    /* The sample mean of the first coordinate lies just above c and is
       the same for every coordinate (exchangeable law). */
    double m0 = 0.0, m1 = 0.0;
    for (size_t r = 0; r < n; ++r) {
        m0 += x[r * d];
        m1 += x[r * d + d - 1];
    }
    m0 /= n;
    m1 /= n;
    tap_ok(m0 > c && m0 < c + 1.0 && fabs(m0 - m1) < 0.02,
           "d = %zu tail: mean of X1 %.4f and of X%zu %.4f agree", d, m0, d, m1);
    free(S);
    free(lo);
    free(x);
    mvn_context_free(ctx);
}

/* ---- bad input ------------------------------------------------------ */

static void expect(mvn_context *ctx, int st, int want, const double *x,
                   size_t len, const char *what)
{
    const char *msg = mvn_context_message(ctx);
    int nan = 1;
    for (size_t i = 0; i < len; ++i)
        nan &= isnan(x[i]);
    tap_ok(st == want && msg != NULL && msg[0] != '\0' && nan,
           "%s: %s (%s)", what, mvn_status_name(st), msg ? msg : "no message");
}

static void test_errors(void)
{
    mvn_context *ctx = context(1);
    const double I2[4] = {1, 0, 0, 1}, lo[2] = {0, 0}, hi[2] = {1, 1};
    double x[8], rate;
    const double nan_lo[2] = {NAN, 0}, eq_hi[2] = {0, 1}, rev_hi[2] = {-1, 1};
    expect(ctx, mvn_sample_truncated(ctx, 2, nan_lo, hi, NULL, I2, 4, x, &rate),
           MVN_ENAN, x, 8, "NaN lower");
    tap_ok(isnan(rate), "an error leaves the acceptance rate NaN");
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, eq_hi, NULL, I2, 4, x, NULL),
           MVN_EBOUNDS, x, 8, "lower = upper");
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, rev_hi, NULL, I2, 4, x, NULL),
           MVN_EBOUNDS, x, 8, "lower > upper");
    const double R3[9] = {1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1};
    expect(ctx, mvn_sample_truncated(ctx, 3, NULL, NULL, NULL, R3, 2, x, NULL),
           MVN_ENOTPD, x, 6, "indefinite Sigma");
    const double ones[4] = {1, 1, 1, 1};
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, ones, 4, x, NULL),
           MVN_EUNSUPPORTED, x, 8, "singular Sigma (rank 1)");
    const double zero_var[4] = {1, 0, 0, 0};
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, zero_var, 4, x, NULL),
           MVN_EUNSUPPORTED, x, 8, "a zero variance");
    const double nan_sigma[4] = {1, NAN, NAN, 1};
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, nan_sigma, 4, x, NULL),
           MVN_ENAN, x, 8, "NaN in Sigma");
    expect(ctx, mvn_sample_truncated(ctx, 0, lo, hi, NULL, I2, 4, x, NULL),
           MVN_EDIM, x, 0, "d = 0");
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, I2, 0, x, NULL),
           MVN_EDIM, x, 0, "n = 0");
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, I2, 4, NULL, NULL),
           MVN_EINVAL, x, 0, "x = NULL");
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, NULL, 4, x, NULL),
           MVN_EINVAL, x, 8, "sigma = NULL");
    tap_ok(mvn_sample_truncated(NULL, 2, lo, hi, NULL, I2, 4, x, NULL) == MVN_EINVAL,
           "ctx = NULL: MVN_EINVAL");
    mvn_context_set(ctx, MVN_OPT_BACKEND, MVN_BACKEND_CUDA);
    expect(ctx, mvn_sample_truncated(ctx, 2, lo, hi, NULL, I2, 4, x, NULL),
           MVN_EUNSUPPORTED, x, 8, "backend CUDA");
    mvn_context_free(ctx);
}

/* The budget: a tiny MVN_OPT_MAXPTS and n with acceptance below 1. */
static void test_budget(void)
{
    enum { D = 3, N = 50 };
    double S[D * D], lo[D], x[N * D], rate;
    equicorrelated(D, -0.45, S);
    for (size_t i = 0; i < D; ++i)
        lo[i] = 0.5;
    mvn_context *ctx = context(5);
    mvn_context_set(ctx, MVN_OPT_MAXPTS, 1000);
    int st = mvn_sample_truncated(ctx, D, lo, NULL, NULL, S, 200000, NULL, &rate);
    tap_ok(st == MVN_EINVAL, "x = NULL with a large n: %s", mvn_status_name(st));
    st = mvn_sample_truncated(ctx, D, lo, NULL, NULL, S, N, x, &rate);
    tap_ok(st == MVN_OK && mvn_context_evaluations(ctx) <= 1000 &&
           mvn_context_evaluations(ctx) >= N,
           "within the budget: %s, %g proposals, rate %.3f", mvn_status_name(st),
           mvn_context_evaluations(ctx), rate);
    mvn_context_free(ctx);
}

/* The budget's end, reached through the sampler itself (the public call's
   budget is at least 100 proposals per sample, more than the tilt ever
   needs): at most max_attempts proposals, the rows not drawn NaN. */
static void test_budget_end(void)
{
    enum { N = 50 };
    /* Y1, Y2 with correlation -0.5, both above 1 (the factor of
       mvni_chol_reorder without reordering). */
    const double L[4] = {1.0, 0.0, -0.5, 0.86602540378443865};
    const double a[2] = {1.0, 1.0}, b[2] = {INFINITY, INFINITY};
    mvni_tmvn t;
    char msg[256];
    int st = mvni_tmvn_setup(&t, 2, L, a, b, msg, sizeof msg);
    tap_ok(st == MVN_OK, "tilt set up: %d", st);
    double y[2 * N], attempts;
    size_t got;
    st = mvni_tmvn_sample(&t, 1, N, 7, 1, y, &got, &attempts);
    int nan_rows = 1;
    for (size_t i = 2 * got; i < 2 * N; ++i)
        nan_rows &= isnan(y[i]) != 0;
    tap_ok(st == MVN_ETOL && got <= 7 && attempts == 7 && nan_rows,
           "a budget of 7 proposals: MVN_ETOL, %zu rows, %g proposals, the rest NaN",
           got, attempts);
    mvni_tmvn_free(&t);
}

int main(void)
{
    test_univariate("N(0,1) on [-1, 2]", (uni){0.0, 1.0, -1.0, 2.0}, 1);
    test_univariate("N(1.5, 4) on [-inf, 0]", (uni){1.5, 2.0, -INFINITY, 0.0}, 2);
    test_univariate("N(0,1) on [4, 4.3] (tail)", (uni){0.0, 1.0, 4.0, 4.3}, 3);
    test_univariate("N(0,1) on [-inf, -30] (far tail)", (uni){0.0, 1.0, -INFINITY, -30.0}, 4);
    test_univariate("N(0,1) on [0.1, 0.2] (short)", (uni){0.0, 1.0, 0.1, 0.2}, 5);
    test_univariate("N(0,1) on [-0.5, inf]", (uni){0.0, 1.0, -0.5, INFINITY}, 6);
    test_bivariate();
    test_reproducible();
    test_tail(2, -0.9, 4.0, 0.05);
    test_tail(10, 0.5, 6.0, 0.05);
    test_tail(20, 0.5, 3.5, 0.05);
    test_errors();
    test_budget();
    test_budget_end();
    return tap_exit();
}
