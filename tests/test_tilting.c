/* test_tilting.c -- minimax exponential tilting (Botev 2017) against exact tiny probabilities.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * References (none tuned to this code): tridiagonal rho = -1/2 orthants,
 * P = 1/(d+1)!, and rho = +1/2, P = E_{d+1}/(d+1)! (zigzag numbers); the
 * equicorrelated orthant 1/(d+1); equicorrelated upper tails X > c from the
 * exact one-dimensional representation, computed with mpmath
 * (/work/shared/REFERENCE_VALUES.md sections 3 and 4).  Each check states
 * its bound on |log P - exact| (the relative error of P, to first order)
 * and, where P does not underflow, also requires the error to lie within
 * the reported abserr.  counted_logerr checks the coverage of logerr over
 * seeds on dense one-factor tails (exact: tests/refs.h).
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qmc/qmc.h"
#include "exact/exact.h"
#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

enum { TRIDIAG_MINUS, TRIDIAG_PLUS, EQUI };

typedef struct {
    size_t d;
    double *S, *L, *a, *b, *work, *mu;
    size_t *perm;
} problem;

/* Builds Sigma and the limits (a = c, b = +inf) and factors with GGE. */
static int setup(problem *p, size_t d, int kind, double rho, double c)
{
    p->d = d;
    p->S = calloc(d * d, sizeof(double));
    p->L = calloc(d * d, sizeof(double));
    p->a = malloc(d * sizeof(double));
    p->b = malloc(d * sizeof(double));
    p->work = malloc((2 * d * d + 13 * d) * sizeof(double));
    p->mu = malloc(d * sizeof(double));
    p->perm = malloc(d * sizeof(size_t));
    for (size_t i = 0; i < d; ++i) {
        p->a[i] = c;
        p->b[i] = INFINITY;
        for (size_t j = 0; j < d; ++j) {
            double v = 0.0;
            if (i == j)
                v = 1.0;
            else if (kind == EQUI)
                v = rho;
            else if (i == j + 1 || j == i + 1)
                v = kind == TRIDIAG_MINUS ? -0.5 : 0.5;
            p->S[i * d + j] = v;
        }
    }
    return mvni_chol_reorder(d, p->S, p->a, p->b, MVN_REORDER_GGE, p->L,
                             p->perm, p->work);
}

static void release(problem *p)
{
    free(p->S);
    free(p->L);
    free(p->a);
    free(p->b);
    free(p->work);
    free(p->mu);
    free(p->perm);
}

static mvni_qmc_options options(double releps, double maxpts, int threads)
{
    mvni_qmc_options o;
    o.abseps = 0.0;
    o.releps = releps;
    o.maxpts = maxpts;
    o.seed = 20170125u;
    o.shifts = 8;
    o.error_factor = 3.5;
    o.threads = threads;
    o.monitor = NULL;
    return o;
}

/*
 * One reference through mvni_tilted_qmc: |log P - exact| <= bound, within
 * 1.5 * abserr / p (with a 1e-12 floor for rounding) where P is
 * representable, and the saddle-point bound psi* >= exact log P.
 */
static void check_ref(const char *name, size_t d, int kind, double rho,
                      double c, double exact, double releps, double maxpts,
                      double bound)
{
    problem p;
    if (setup(&p, d, kind, rho, c) != MVN_OK) {
        tap_ok(0, "%s: factorization", name);
        release(&p);
        return;
    }
    mvni_qmc_options o = options(releps, maxpts, 1);
    mvni_result r;
    double psi;
    int st = mvni_tilted_qmc(d, p.L, p.a, p.b, &o, &r, &psi);
    const double err = fabs(r.logp - exact);
    tap_diag("%s: log P %.10f exact %.10f |diff| %.2e abserr/p %.2e evals %.3g status %d psi* %.6f",
             name, r.logp, exact, err, r.p > 0 ? r.abserr / r.p : NAN,
             r.evals, st, psi);
    tap_ok((st == MVN_OK || st == MVN_ETOL) && err <= bound,
           "%s: |log P - exact| = %.2e <= %.0e", name, err, bound);
    if (r.p > 1e-300)
        tap_ok(fabs(expm1(r.logp - exact)) <= 1.5 * r.abserr / r.p + 1e-12,
               "%s: error within the estimate (%.2e <= 1.5 * %.2e)", name,
               fabs(expm1(r.logp - exact)), r.abserr / r.p);
    tap_ok(psi >= exact, "%s: upper bound psi* = %.6f >= log P", name, psi);
    release(&p);
}

/*
 * Counted coverage of logerr for the tilted integrand on dense tails
 * (issue 13): one-factor covariances with loadings of either sign (every
 * correlation nonzero), upper limits c sd_i below 0, log P from -150 to
 * -1430 (P underflows, so logerr is the only claim), forced through
 * MVN_METHOD_TILTED so that the exact one-factor route does not answer;
 * the exact log P is the one-factor integral of tests/refs.h (d = 200 is
 * left out: that reference alone takes 27 s there).  Each case
 * runs over refs_seed_count() seeds through mvn_logprob_batch; a miss is
 * |log P - exact| > logerr (+ 1e-12), at most refs_miss_bound(n,
 * REFS_MISS_RATE, REFS_ALARM) per case and over all runs, none beyond
 * REFS_GROSS times; every run must report status OK and logerr <=
 * 1.01 releps (the relative tolerance, in log terms).
 */
static void counted_logerr(void)
{
    static const struct {
        size_t d;
        double c, rho;
    } cases[] = {{10, 4.0, 0.5}, {20, 3.0, 0.3}, {50, 3.0, 0.5}, {100, 4.0, 0.4}};
    const int n = refs_seed_count();
    const int allowed = refs_miss_bound(n, REFS_MISS_RATE, REFS_ALARM);
    const char *off = getenv("MVN_TEST_SEED_OFFSET"); /* as refs_run */
    const double seed0 = off ? atof(off) : 0.0;
    int runs = 0, misses = 0;
    refs_rng rng;
    refs_rng_seed(&rng, 4711);
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_TILTED);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
        const size_t d = cases[i].d;
        double *l = malloc((3 * d + d * d) * sizeof(double));
        double *D = l + d, *b = D + d, *S = b + d;
        for (size_t j = 0; j < d; ++j) {
            double v = refs_unif_ab(&rng, 0.5, 2.0), sg = j % 3 == 2 ? -1 : 1;
            l[j] = sg * sqrt(cases[i].rho * v);
            D[j] = (1 - cases[i].rho) * v;
            b[j] = -cases[i].c * sqrt(v);
        }
        refs_one_factor_cov(d, l, D, S);
        const double exact = refs_one_factor_log(d, NULL, b, NULL, l, D);
        /* releps 1e-2 everywhere, 1e-4 (more lattice sizes) up to d = 50. */
        for (double releps = 1e-2; releps >= 1e-4 && (releps == 1e-2 || d <= 50); releps *= 1e-2) {
            refs_set(ctx, 0.0, releps, 1e7);
            int miss = 0, gross = 0, ok = 1;
            double worst = 0.0, evals = 0.0;
            const ptrdiff_t ls[2] = {(ptrdiff_t)d, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
            for (int k = 0; k < n; ++k) {
                mvn_context_set(ctx, MVN_OPT_SEED, seed0 + 1000003.0 * k);
                double pr, lp, ae, le;
                int st;
                mvn_logprob_batch(ctx, 1, d, NULL, ls, b, ls, NULL, NULL, S, ss, MVN_SIGMA_COV,
                                  &pr, &lp, &ae, &le, &st);
                evals += mvn_context_evaluations(ctx);
                const double e = fabs(lp - exact), ratio = e / (le + 1e-12);
                ok &= st == MVN_OK && le <= 1.01 * releps && mvn_context_evaluations(ctx) > 0;
                miss += ratio > 1.0;
                gross += ratio > REFS_GROSS;
                worst = fmax(worst, ratio);
                if (ratio > 1.0)
                    tap_diag("d=%zu releps %g seed %d: log P %.9f exact %.9f logerr %.3g "
                             "(error %.2f x)", d, releps, k, lp, exact, le, ratio);
            }
            runs += n;
            misses += miss;
            tap_ok(ok && miss <= allowed && gross == 0,
                   "tilted, one-factor d=%zu X < -%g sd, log P = %.2f, releps %g: logerr covers "
                   "the error in %d of %d runs (at most %d misses, none beyond %g x; worst "
                   "%.2f x), status OK, logerr within the tolerance (%.0f evaluations per run)",
                   d, cases[i].c, exact, releps, n - miss, n, allowed, REFS_GROSS, worst,
                   evals / n);
        }
        free(l);
    }
    const int pooled = refs_miss_bound(runs, REFS_MISS_RATE, REFS_ALARM);
    tap_ok(misses <= pooled, "tilted dense tails: %d misses of logerr in %d runs (at most %d)",
           misses, runs, pooled);
    mvn_context_free(ctx);
}

int main(void)
{
    /* Tridiagonal -1/2: P = 1/(d+1)!, where plain SOV fails. */
    check_ref("tridiag -1/2 d=20", 20, TRIDIAG_MINUS, 0, 0, -45.380138898476908,
              3e-3, 1e6, 1e-2);
    check_ref("tridiag -1/2 d=50", 50, TRIDIAG_MINUS, 0, 0, -152.40959258449735,
              1e-2, 1e5, 3e-2);
    check_ref("tridiag -1/2 d=100", 100, TRIDIAG_MINUS, 0, 0, -368.35449607240474,
              1e-2, 3e4, 5e-2);
    check_ref("tridiag +1/2 d=100", 100, TRIDIAG_PLUS, 0, 0, -45.368288758964439,
              1e-2, 7e4, 5e-2);
    /* Equicorrelated tails (mpmath, REFERENCE_VALUES.md sec. 4). */
    check_ref("equi .5 d=10 X>5", 10, EQUI, 0.5, 5, -32.847577943533682, 1e-3,
              1e6, 3e-3);
    check_ref("equi .5 d=10 X>10", 10, EQUI, 0.5, 10, -105.59844052544872, 1e-3,
              1e6, 3e-3);
    check_ref("equi .25 d=20 X>2", 20, EQUI, 0.25, 2, -19.809853621202984, 1e-3,
              1e6, 3e-3);
    check_ref("equi .9 d=50 X>4", 50, EQUI, 0.9, 4, -14.625399528481528, 1e-2,
              6e4, 3e-2);
    check_ref("equi .5 d=100 X>3", 100, EQUI, 0.5, 3, -23.044545284158052, 1e-2,
              3e4, 5e-2);

    /* Moderate probabilities: tilted and plain agree, 1/(d+1). */
    for (size_t d = 5; d <= 10; d += 5) {
        problem p;
        setup(&p, d, EQUI, 0.5, 0.0);
        mvni_qmc_options o = options(1e-4, 1e6, 1);
        mvni_result rt, rp;
        mvni_tilted_qmc(d, p.L, p.a, p.b, &o, &rt, NULL);
        mvni_sov_qmc(d, p.L, p.a, p.b, &o, &rp);
        const double exact = 1.0 / (double)(d + 1);
        tap_ok(fabs(rt.p - exact) <= 1.5 * rt.abserr + 1e-15,
               "equi .5 d=%zu 1/(d+1): tilted %.10f within %.1e", d, rt.p,
               rt.abserr);
        tap_ok(fabs(rt.p - rp.p) <= 1.5 * (rt.abserr + rp.abserr),
               "equi .5 d=%zu: tilted %.10f and plain %.10f agree", d, rt.p,
               rp.p);
        release(&p);
    }

    /* A zero tilt is exactly plain SOV; threads do not change the result;
       the Newton solve converges. */
    {
        problem p;
        setup(&p, 30, TRIDIAG_MINUS, 0, 0);
        mvni_qmc_options o = options(1e-2, 2e4, 1);
        mvni_result r0, rp, r1, r2;
        memset(p.mu, 0, 30 * sizeof(double));
        mvni_sov_qmc_tilted(30, p.L, p.a, p.b, p.mu, &o, &r0);
        mvni_sov_qmc(30, p.L, p.a, p.b, &o, &rp);
        tap_ok(r0.logp == rp.logp && r0.abserr == rp.abserr,
               "zero tilt is bitwise plain SOV");
        int it;
        double psi;
        int st = mvni_tilt_solve(30, p.L, p.a, p.b, p.mu, NULL, &psi, &it,
                                 p.work);
        tap_ok(st == MVN_OK && it <= 20, "Newton converged in %d iterations", it);
        mvni_sov_qmc_tilted(30, p.L, p.a, p.b, p.mu, &o, &r1);
        o.threads = 2;
        mvni_sov_qmc_tilted(30, p.L, p.a, p.b, p.mu, &o, &r2);
        tap_ok(r1.logp == r2.logp && r1.abserr == r2.abserr &&
                   r1.evals == r2.evals,
               "tilted: 1 and 2 threads bitwise equal (%.17g)", r1.logp);
        release(&p);
    }

    /* The public API: AUTO must choose tilting by itself for tiny P;
       TILTED forced works on a moderate P. */
    {
        mvn_context *ctx = mvn_context_alloc();
        /* abseps = 0: the default absolute tolerance would accept any
           tiny P at once. */
        mvn_context_set(ctx, MVN_OPT_ABSEPS, 0.0);
        mvn_context_set(ctx, MVN_OPT_RELEPS, 3e-3);
        mvn_context_set(ctx, MVN_OPT_MAXPTS, 1e6);
        mvn_context_set(ctx, MVN_OPT_SEED, 7);
        const size_t d = 20;
        double lo[20], up[20], S[400], pr, lp, ae;
        for (size_t i = 0; i < d; ++i) {
            lo[i] = 0.0;
            up[i] = INFINITY;
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = i == j ? 1.0 : (i == j + 1 || j == i + 1) ? -0.5 : 0.0;
        }
        int st = mvn_prob(ctx, d, lo, up, NULL, S, &pr, &lp, &ae);
        tap_ok(st == MVN_OK && fabs(lp - -45.380138898476908) <= 1e-2,
               "mvn_prob AUTO tridiag -1/2 d=20: log P %.8f (status %d, %.3g evaluations)",
               lp, st, mvn_context_evaluations(ctx));
        for (size_t i = 0; i < d; ++i) {
            lo[i] = 2.0;
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = i == j ? 1.0 : 0.25;
        }
        st = mvn_prob(ctx, d, lo, up, NULL, S, &pr, &lp, &ae);
        tap_ok(st == MVN_OK && fabs(lp - -19.809853621202984) <= 1e-2 &&
                   fabs(expm1(lp - -19.809853621202984)) <= 1.5 * ae / pr,
               "mvn_prob AUTO equi .25 d=20 X>2: log P %.8f abserr/p %.1e", lp,
               ae / pr);
        mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_TILTED);
        for (size_t i = 0; i < 10; ++i) {
            lo[i] = 0.0;
            for (size_t j = 0; j < 10; ++j)
                S[i * 10 + j] = i == j ? 1.0 : 0.5;
        }
        st = mvn_prob(ctx, 10, lo, up, NULL, S, &pr, &lp, &ae);
        tap_ok(st == MVN_OK && fabs(pr - 1.0 / 11.0) <= 1.5 * ae,
               "mvn_prob TILTED equi .5 d=10: %.8f vs 1/11 within %.1e", pr, ae);
        mvn_context_free(ctx);
    }
    counted_logerr();
    return tap_exit();
}
