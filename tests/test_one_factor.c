/*
 * test_one_factor.c -- mvn_prob on random one-factor covariances against
 * the exact one-dimensional integral; coverage of the error estimate.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Sigma = D + l l^T (D > 0 diagonal, loadings l of both signs) is the
 * covariance of X = m + l T + D^{1/2} Z, so P(a < X < b) is a 1-D integral
 * (refs_one_factor in refs.h) which is computed here to ~1e-14.  These are
 * general correlation structures (any signs, unequal variances, means,
 * two-sided and infinite limits) with exact answers in every dimension.
 *
 * Checked: the reference integrator itself against the 30-digit values of
 * REFERENCE_VALUES.md sec. 3-4; then >= 60 random problems in d = 4 ... 100
 * with |p - exact| <= 5 max(abserr, 1e-12) for all, |p - exact| <= abserr
 * (the library's claim) for >= 90% of them, and abserr within the
 * tolerance unless the status is MVN_ETOL; exact kernels (d = 2, 3) to
 * 1e-14; log P of tiny one-factor probabilities.  The accuracy table
 * (true error, abserr, time per dimension) is printed as TAP comments.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

static double tol_scale = 1.0;

/* As in test_exact_families: ~2.5e6 point-dimensions per problem in the
   fast tier, ten times more (and tolerances / 10) with MVN_SLOW_TESTS=1. */
static double budget(size_t d)
{
    double n = 2.5e6 / (double)d / tol_scale;
    return n < 1e4 ? 1e4 : n;
}

/* The reference integrator against independently computed values. */
static void check_reference(void)
{
    static const struct {
        size_t d;
        double rho, a, b, value;
        int is_log;
    } cases[] = {
        {5, 0.5, -1, 3, 0.5800476516960114, 0},
        {20, 0.9, -INFINITY, 0, 0.26996073515028802, 0},
        {20, 0.1, -INFINITY, 1, 0.086900274576578066, 0},
        {10, 0.5, -INFINITY, 1, 0.46056006112925259, 0},
        {100, 0.5, 0, INFINITY, 1.0 / 101.0, 0},
        {10, 0.5, 5, INFINITY, -32.847577943533682, 1},
        {10, 0.5, 10, INFINITY, -105.59844052544872, 1},
        {100, 0.5, 3, INFINITY, -23.044545284158052, 1},
        {50, 0.9, 4, INFINITY, -14.625399528481528, 1},
        {20, 0.25, 2, INFINITY, -19.809853621202984, 1},
    };
    size_t i, j;
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        size_t d = cases[i].d;
        double a[100], b[100], lp;
        for (j = 0; j < d; ++j) {
            a[j] = cases[i].a;
            b[j] = cases[i].b;
        }
        lp = refs_equi_log(d, cases[i].rho, a, b);
        /* 1e-13 relative in P, i.e. absolute in log P. */
        if (cases[i].is_log)
            tap_close(lp, cases[i].value, 1e-13,
                      "reference integrator: d=%zu rho=%g P(X > %g) log P",
                      d, cases[i].rho, cases[i].a);
        else
            tap_rel(exp(lp), cases[i].value, 1e-13,
                    "reference integrator: d=%zu rho=%g (%g, %g)^d", d,
                    cases[i].rho, cases[i].a, cases[i].b);
    }
}

typedef struct {
    size_t d;
    double *a, *b, *m, *l, *D, *S;
} problem;

static void problem_free(problem *q)
{
    free(q->a);
}

/* A random one-factor problem.  kind 0: CDF with b_i = m_i + sd_i U(0,
   sqrt d) (Genz's test family, which keeps P away from 0); kind 1:
   two-sided rectangles around the mean, one limit in five infinite. */
static problem random_problem(refs_rng *r, size_t d, int kind, int with_mean)
{
    problem q;
    size_t i;
    double lscale = refs_unif_ab(r, 0.3, 1.5);
    q.d = d;
    q.a = (double *)malloc((5 * d + d * d) * sizeof(double));
    q.b = q.a + d;
    q.m = q.b + d;
    q.l = q.m + d;
    q.D = q.l + d;
    q.S = q.D + d;
    for (i = 0; i < d; ++i) {
        double sd;
        q.D[i] = refs_unif_ab(r, 0.2, 2.0);
        q.l[i] = lscale * refs_normal(r);
        q.m[i] = with_mean ? refs_normal(r) : 0.0;
        sd = sqrt(q.D[i] + q.l[i] * q.l[i]);
        if (kind == 0) {
            q.a[i] = -INFINITY;
            q.b[i] = q.m[i] + sd * refs_unif_ab(r, 0.0, sqrt((double)d));
        } else {
            double u = refs_unif(r);
            q.a[i] = q.m[i] + sd * refs_unif_ab(r, -3.0, 0.0);
            q.b[i] = q.m[i] + sd * refs_unif_ab(r, 0.5, 3.0);
            if (u < 0.1)
                q.a[i] = -INFINITY;
            else if (u < 0.2)
                q.b[i] = INFINITY;
        }
    }
    refs_one_factor_cov(d, q.l, q.D, q.S);
    return q;
}

static double problem_exact_log(const problem *q)
{
    return refs_one_factor_log(q->d, q->a, q->b, q->m, q->l, q->D);
}

typedef struct {
    size_t d;
    int n, covered;
    double max_err, max_ratio, sum_err, sum_abserr, sum_secs, sum_evals;
} stats;

static void random_problems(mvn_context *ctx)
{
    static const size_t dims[] = {2, 3, 4, 5, 8, 10, 20, 50, 100};
    static const int counts[] = {10, 10, 12, 12, 10, 10, 8, 5, 5};
    stats st[sizeof dims / sizeof dims[0]];
    refs_rng rng;
    int total = 0, covered = 0, k;
    size_t di;
    char name[128];

    refs_rng_seed(&rng, 4242);
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        size_t d = dims[di];
        int exact_kernel = d <= 3;
        /* Tolerances: 1e-5 up to d = 10, 1e-4 above (see budget()). */
        double abseps = (exact_kernel ? 1e-6 : d <= 10 ? 1e-5 : 1e-4) * tol_scale;
        stats *s = &st[di];
        s->d = d;
        s->n = s->covered = 0;
        s->max_err = s->max_ratio = s->sum_err = s->sum_abserr = 0;
        s->sum_secs = s->sum_evals = 0;
        for (k = 0; k < counts[di]; ++k) {
            problem q = random_problem(&rng, d, k % 2, k % 4 >= 2);
            double exact = exp(problem_exact_log(&q)), e;
            refs_result r;
            refs_set(ctx, abseps, 0, budget(d));
            /* One seed per problem: the problems themselves are the
               sample, counted by refs_check_p into the pooled bound. */
            r = refs_run(ctx, d, q.a, q.b, q.m, q.S);
            e = fabs(r.p - exact);
            snprintf(name, sizeof name, "one-factor d=%zu #%d (%s%s)", d, k,
                     k % 2 ? "rectangle" : "cdf", k % 4 >= 2 ? ", mean" : "");
            if (exact_kernel) {
                /* The bivariate and trivariate kernels: 1e-14 absolute
                   (the reference is good to ~1e-15 here). */
                refs_check_p(name, ctx, r, exact, 1e-14);
            } else {
                refs_check_p(name, ctx, r, exact, 0);
                ++total;
                if (e <= r.err)
                    ++covered;
            }
            s->n++;
            s->covered += e <= r.err;
            if (e > s->max_err)
                s->max_err = e;
            if (r.err > 0 && e / r.err > s->max_ratio)
                s->max_ratio = e / r.err;
            s->sum_err += e;
            s->sum_abserr += r.err;
            s->sum_secs += r.secs;
            s->sum_evals += r.evals;
            problem_free(&q);
        }
    }
    tap_diag("error-estimate coverage: %d of %d QMC problems have "
             "|p - exact| <= abserr (%.1f%%)", covered, total,
             100.0 * covered / total);
    tap_ok(total >= 60, "at least 60 QMC problems (%d)", total);
    tap_ok(covered >= 0.9 * total,
           "coverage of the error estimate >= 90%% (%d / %d)", covered, total);

    tap_diag("accuracy table (seed 4242; abseps 1e-6 for d<=3, 1e-5 for "
             "d<=10, 1e-4 above; one thread)");
    tap_diag("%5s %4s %8s %11s %11s %11s %9s %11s %9s", "d", "n", "covered",
             "max|err|", "mean|err|", "mean abserr", "max e/abserr",
             "mean evals", "mean s");
    for (di = 0; di < sizeof dims / sizeof dims[0]; ++di) {
        const stats *s = &st[di];
        tap_diag("%5zu %4d %8d %11.3g %11.3g %11.3g %9.3g %11.0f %9.4f", s->d,
                 s->n, s->covered, s->max_err, s->sum_err / s->n,
                 s->sum_abserr / s->n, s->max_ratio, s->sum_evals / s->n,
                 s->sum_secs / s->n);
    }
}

/* Tiny probabilities: log P with abseps = 0 and releps = 1e-2. */
static void tiny(mvn_context *ctx)
{
    static const struct {
        size_t d;
        double c;  /* lower tail: X_i < -c sd_i */
        double rho;
    } cases[] = {{4, 3.0, 0.3}, {5, 4.0, 0.5}, {10, 3.0, 0.5},
                 {10, 5.0, 0.2}, {20, 2.5, 0.6}, {50, 2.0, 0.7}};
    refs_rng rng;
    size_t i, j;
    char name[128];
    refs_rng_seed(&rng, 777);
    for (i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        size_t d = cases[i].d;
        double *l = (double *)malloc((3 * d + d * d) * sizeof(double));
        double *D = l + d, *b = D + d, *S = b + d, exact_log;
        refs_result r;
        /* Loadings of both signs with |l_i|^2 / (l_i^2 + D_i) near rho. */
        for (j = 0; j < d; ++j) {
            double v = refs_unif_ab(&rng, 0.5, 2.0), sg = j % 3 == 2 ? -1 : 1;
            l[j] = sg * sqrt(cases[i].rho * v);
            D[j] = (1 - cases[i].rho) * v;
            b[j] = -cases[i].c * sqrt(v);
        }
        refs_one_factor_cov(d, l, D, S);
        exact_log = refs_one_factor_log(d, NULL, b, NULL, l, D);
        refs_set(ctx, 0, 1e-2 * tol_scale, budget(d));
        r = refs_run_seeds(ctx, d, NULL, b, NULL, S);
        snprintf(name, sizeof name, "tiny one-factor d=%zu X < -%g sd "
                                    "(rho~%g, log P = %.3f)",
                 d, cases[i].c, cases[i].rho, exact_log);
        refs_check_logp(name, ctx, r, exact_log, 0);
        free(l);
    }
}

int main(void)
{
    mvn_context *ctx = mvn_context_alloc();
    if (!ctx) {
        tap_ok(0, "mvn_context_alloc");
        return tap_exit();
    }
    if (getenv("MVN_SLOW_TESTS") && atoi(getenv("MVN_SLOW_TESTS")) > 0)
        tol_scale = 0.1;
    mvn_context_set(ctx, MVN_OPT_SEED, 12345);
    check_reference();
    random_problems(ctx);
    tiny(ctx);
    mvn_context_free(ctx);
    refs_pool_report();
    return tap_exit();
}
