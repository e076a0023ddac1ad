/* test_structured.c -- structured covariances (banded and Markov) in their natural order against exact references and the dense route.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * qmc/band.c finds a banded Cholesky factor (envelope covariances) or a
 * Markov regression (AR(p), sparse precision) and solve.c integrates in
 * the given order through it.  Checked here:
 *   - detection: which form, how many coefficients, and that dense,
 *     singular and indefinite matrices are declined;
 *   - the factor: diag and coefficients against closed forms (AR(1):
 *     beta = rho, sd = sqrt(1 - rho^2));
 *   - the integrand: through the structured factor and through the dense
 *     factor in the same order (mvni_chol_reorder with MVN_REORDER_NONE,
 *     mvni_sov_qmc) with the same seed, P agrees to 1e-9 relative: the two
 *     are the same sums up to the rounding of the factor;
 *   - exact references (counted over seeds, doc/testing.md): an AR(1) rectangle or orthant probability is a
 *     chain of 1-D integrals (the Markov transfer
 *     f_{i+1}(y) = 1[a < y < b] int f_i(x) phi((y - rho x)/s)/s dx), computed
 *     here with composite 20-point Gauss-Legendre panels on each
 *     variable's interval and checked by doubling the panels; the
 *     tridiagonal -1/2 orthant 1/(d+1)! and the +1/2 orthant
 *     E_{d+1}/(d+1)! (banded form); a block-banded (tapered) covariance
 *     against the dense GGE route within the two error estimates.
 * No timings: the speed is measured by bench/structured_bench.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qmc/qmc.h"
#include "solve/solve.h"
#include "mvnorm.h"
#include "tap.h"
#include "refs.h"

static void ar1(size_t d, double rho, double *S)
{
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = pow(rho, fabs((double)i - (double)j));
}

static mvni_solve_options options(int reorder, double abseps, double releps)
{
    mvni_solve_options o;
    memset(&o, 0, sizeof o);
    o.method = MVN_METHOD_AUTO;
    o.reorder = reorder;
    o.qmc.abseps = abseps;
    o.qmc.releps = releps;
    o.qmc.maxpts = 2e7;
    o.qmc.seed = 2024;
    o.qmc.shifts = 8;
    o.qmc.error_factor = 3.5;
    o.qmc.threads = 1;
    return o;
}

/* P(a < X < b) for the AR(1) X_i = rho X_{i-1} + s e_i (unit variances)
   by the transfer chain on `panels` Gauss-Legendre panels per variable.
   Limits beyond +-9 are cut there (the mass outside is below 1e-18 per
   variable). */
static double ar1_chain(size_t d, double rho, const double *a,
                        const double *b, int panels)
{
    refs_gl_rule g;
    refs_gl_init(&g);
    const size_t K = (size_t)panels * REFS_GL_N;
    const double s = sqrt(1.0 - rho * rho);
    double *x = malloc(K * sizeof *x), *w = malloc(K * sizeof *w);
    double *f = malloc(K * sizeof *f), *y = malloc(K * sizeof *y);
    double *wy = malloc(K * sizeof *wy), *fy = malloc(K * sizeof *fy);
    /* Nodes and weights on [lo, hi]. */
#define NODES(lo, hi, X, W)                                               \
    do {                                                                  \
        const double h_ = ((hi) - (lo)) / panels;                         \
        for (int p_ = 0; p_ < panels; ++p_)                               \
            for (int q_ = 0; q_ < REFS_GL_N; ++q_) {                      \
                (X)[p_ * REFS_GL_N + q_] =                                \
                    (lo) + h_ * (p_ + 0.5 + 0.5 * g.x[q_]);               \
                (W)[p_ * REFS_GL_N + q_] = 0.5 * h_ * g.w[q_];            \
            }                                                             \
    } while (0)
    NODES(fmax(a[0], -9.0), fmin(b[0], 9.0), x, w);
    for (size_t k = 0; k < K; ++k)
        f[k] = refs_pdf(x[k]);
    for (size_t i = 1; i < d; ++i) {
        NODES(fmax(a[i], -9.0), fmin(b[i], 9.0), y, wy);
        for (size_t k = 0; k < K; ++k) {
            double t = 0.0;
            for (size_t j = 0; j < K; ++j)
                t += w[j] * f[j] * refs_pdf((y[k] - rho * x[j]) / s);
            fy[k] = t / s;
        }
        memcpy(x, y, K * sizeof *x);
        memcpy(w, wy, K * sizeof *w);
        memcpy(f, fy, K * sizeof *f);
    }
#undef NODES
    double p = 0.0;
    for (size_t k = 0; k < K; ++k)
        p += w[k] * f[k];
    free(x); free(w); free(f); free(y); free(wy); free(fy);
    return p;
}

static void detection(void)
{
    const size_t d = 200;
    double *S = malloc(d * d * sizeof *S);
    mvni_sparse_factor f;
    mvni_corr_view cv = {S, d, NULL, NULL};

    ar1(d, 0.7, S);
    int st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVN_OK && f.form == MVNI_SPARSE_REG && f.nnz == d - 1,
           "AR(1) d = %zu: Markov form with %zu coefficients", d, d - 1);
    if (st == MVN_OK) {
        double e = 0.0;
        for (size_t i = 1; i < d; ++i)
            e = fmax(e, fmax(fabs(f.coef[f.off[i]] - 0.7),
                             fabs(f.diag[i] - sqrt(1 - 0.49))));
        tap_ok(e <= 1e-14 && f.diag[0] == 1.0,
               "AR(1): beta = rho, sd = sqrt(1 - rho^2) (max error %.1e)", e);
        mvni_sparse_factor_free(&f);
    }

    /* AR(2): X_i = 0.5 X_{i-1} + 0.3 X_{i-2} + e_i, stationary; its
       autocorrelation from the Yule-Walker recursion. */
    {
        double *r = malloc(d * sizeof *r);
        r[0] = 1.0;
        r[1] = 0.5 / (1.0 - 0.3);
        for (size_t k = 2; k < d; ++k)
            r[k] = 0.5 * r[k - 1] + 0.3 * r[k - 2];
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = r[i > j ? i - j : j - i];
        free(r);
        st = mvni_sparse_factor_find(d, &cv, &f);
        tap_ok(st == MVN_OK && f.form == MVNI_SPARSE_REG && f.nnz <= 2 * d,
               "AR(2) d = %zu: Markov form, %zu coefficients", d,
               st == MVN_OK ? f.nnz : 0);
        if (st == MVN_OK) {
            const size_t i = d - 1, p = i - f.first[i];
            const double *c = f.coef + f.off[i];
            tap_ok(p == 2 && fabs(c[0] - 0.3) < 1e-12 && fabs(c[1] - 0.5) < 1e-12,
                   "AR(2): last row regresses on 2 variables, (0.3, 0.5)");
            mvni_sparse_factor_free(&f);
        }
    }

    refs_tridiag_cov(d, 0.45, S);
    st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVN_OK && f.form == MVNI_SPARSE_COV && f.nnz == d - 1,
           "tridiagonal d = %zu: banded form, %zu coefficients", d, d - 1);
    if (st == MVN_OK)
        mvni_sparse_factor_free(&f);

    /* Equicorrelated: dense and not Markov. */
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            S[i * d + j] = i == j ? 1.0 : 0.3;
    st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVNI_NOT_STRUCTURED, "equicorrelated d = %zu: declined", d);

    /* Singular banded (rows 0 and 1 identical) and indefinite banded
       (tridiagonal 0.9 has eigenvalues 1 + 1.8 cos(k pi/(d+1)) < 0):
       left to the dense route and its semantics. */
    refs_tridiag_cov(d, 0.3, S);
    S[0 * d + 1] = S[1 * d + 0] = 1.0;
    S[0 * d + 2] = S[2 * d + 0] = 0.3;
    st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVNI_NOT_STRUCTURED, "singular banded: declined");
    refs_tridiag_cov(d, 0.9, S);
    st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVNI_NOT_STRUCTURED, "indefinite tridiagonal 0.9: declined");
    free(S);
}

/* The structured route and the dense route in the same order, same seed:
   the same integrand up to the rounding of the factor. */
static void same_integrand(size_t d, const double *S, const double *a,
                           const double *b, const char *what)
{
    mvni_corr_view cv = {S, d, NULL, NULL};
    mvni_sparse_factor f;
    int st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVN_OK, "%s: structured", what);
    if (st != MVN_OK)
        return;
    /* A fixed budget (abseps = 0): both runs use the same points. */
    mvni_qmc_options q = options(MVN_REORDER_NONE, 0, 0).qmc;
    q.maxpts = 1e5;
    mvni_result r1, r2;
    mvni_sov_qmc_sparse(&f, a, b, &q, &r1);
    double *L = malloc(d * d * sizeof *L), *w = malloc(2 * d * sizeof *w);
    double *aa = malloc(2 * d * sizeof *aa);
    size_t *perm = malloc(d * sizeof *perm);
    memcpy(aa, a, d * sizeof *a);
    memcpy(aa + d, b, d * sizeof *b);
    mvni_chol_reorder(d, S, aa, aa + d, MVN_REORDER_NONE, L, perm, w);
    mvni_sov_qmc(d, L, aa, aa + d, &q, &r2);
    tap_ok(fabs(r1.p - r2.p) <= 1e-9 * r2.p && r1.evals == r2.evals,
           "%s: structured P = %.12g, dense natural order P = %.12g (%g evals)",
           what, r1.p, r2.p, r1.evals);
    mvni_sparse_factor_free(&f);
    free(L); free(w); free(aa); free(perm);
}

static void exact_ar1(size_t d, double rho, int rect, double abseps)
{
    double *S = malloc(d * d * sizeof *S), *a = malloc(d * sizeof *a);
    double *b = malloc(d * sizeof *b);
    ar1(d, rho, S);
    refs_rng rng;
    refs_rng_seed(&rng, 7 + d);
    for (size_t i = 0; i < d; ++i) {
        b[i] = refs_unif_ab(&rng, 2.0, 3.0);
        a[i] = rect ? -refs_unif_ab(&rng, 2.0, 3.0) : -INFINITY;
    }
    const double r1 = ar1_chain(d, rho, a, b, 4), r2 = ar1_chain(d, rho, a, b, 8);
    tap_ok(fabs(r1 - r2) <= 1e-12, "AR(1) d = %zu rho = %g %s: chain reference "
           "%.15f, panels doubled %.15f", d, rho, rect ? "rectangle" : "orthant",
           r2, r1);
    /* Through the API, counted over seeds (doc/testing.md): the natural
       order, which is the structured route at any d, and from d = 300 on
       the default GGE, which then takes it too (solve.c). */
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_REORDER,
                    d >= 300 ? MVN_REORDER_GGE : MVN_REORDER_NONE);
    refs_set(ctx, abseps, 0, 2e7);
    char name[96];
    snprintf(name, sizeof name, "AR(1) d = %zu rho = %g %s, %s", d, rho,
             rect ? "rectangle" : "orthant", d >= 300 ? "default" : "natural order");
    refs_check_p(name, ctx, refs_run_seeds(ctx, d, a, b, NULL, S), r2, 0);
    mvn_context_free(ctx);
    if (d <= 300)
        same_integrand(d, S, a, b, rect ? "AR(1) rectangle" : "AR(1) orthant");
    free(S); free(a); free(b);
}

static void tridiagonal(void)
{
    /* Banded form; QMC forced so that the (small) orthant probabilities
       are integrated without tilting, in the given order. */
    static const size_t dm[] = {5, 8};
    static const double pm[] = {1.0 / 720, 1.0 / 362880};
    static const size_t dp[] = {5, 10, 20};
    static const double pp[] = {61.0 / 720, 0.0088632355299021965688632355299,
                                0.0000969153795692945032559587500039};
    for (int sign = 0; sign <= 1; ++sign) {
        const size_t *ds = sign ? dp : dm;
        const double *ps = sign ? pp : pm;
        const size_t n = sign ? 3 : 2;
        for (size_t k = 0; k < n; ++k) {
            const size_t d = ds[k];
            double *S = malloc(d * d * sizeof *S), *a = malloc(d * sizeof *a);
            double *b = malloc(d * sizeof *b);
            refs_tridiag_cov(d, sign ? 0.5 : -0.5, S);
            for (size_t i = 0; i < d; ++i) {
                a[i] = 0.0;
                b[i] = INFINITY;
            }
            mvn_context *ctx = mvn_context_alloc();
            mvn_context_set(ctx, MVN_OPT_REORDER, MVN_REORDER_NONE);
            mvn_context_set(ctx, MVN_OPT_METHOD, MVN_METHOD_QMC);
            refs_set(ctx, 0, 1e-2, 2e7);
            char name[96];
            snprintf(name, sizeof name, "tridiagonal %+.1f orthant d = %zu, natural order",
                     sign ? 0.5 : -0.5, d);
            refs_check_p(name, ctx, refs_run_seeds(ctx, d, a, b, NULL, S), ps[k], 0);
            mvn_context_free(ctx);
            if (d >= 8)
                same_integrand(d, S, a, b, "tridiagonal orthant");
            free(S); free(a); free(b);
        }
    }
}

/* A block-banded, tapered covariance (Wendland-tapered exponential on a
   line, bandwidth 6): banded form in the given order (MVN_REORDER_NONE)
   against the dense GGE route, within the two error estimates. */
static void tapered(void)
{
    const size_t d = 120;
    double *S = malloc(d * d * sizeof *S), *a = malloc(d * sizeof *a);
    double *b = malloc(d * sizeof *b);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j) {
            const double h = fabs((double)i - (double)j) / 6.0;
            const double taper = h < 1 ? pow(1 - h, 4) * (1 + 4 * h) : 0.0;
            S[i * d + j] = exp(-fabs((double)i - (double)j) / 4.0) * taper;
        }
    refs_rng rng;
    refs_rng_seed(&rng, 99);
    for (size_t i = 0; i < d; ++i) {
        a[i] = -refs_unif_ab(&rng, 2.5, 3.5);
        b[i] = refs_unif_ab(&rng, 2.5, 3.5);
    }
    mvni_corr_view cv = {S, d, NULL, NULL};
    mvni_sparse_factor f;
    int st = mvni_sparse_factor_find(d, &cv, &f);
    tap_ok(st == MVN_OK && f.form == MVNI_SPARSE_COV && f.nnz <= 6 * d,
           "tapered d = %zu: banded form, %zu coefficients", d,
           st == MVN_OK ? f.nnz : 0);
    if (st == MVN_OK)
        mvni_sparse_factor_free(&f);
    mvni_solve_options o = options(MVN_REORDER_NONE, 1e-4, 0);
    mvni_result rs, rd, rg;
    mvni_solve(d, a, b, S, &o, &rs);
    o.reorder = MVN_REORDER_GGE_ALWAYS;
    mvni_solve(d, a, b, S, &o, &rg);
    /* The dense GGE route, by hand (permutes a, b). */
    double *L = malloc(d * d * sizeof *L), *w = malloc(2 * d * sizeof *w);
    size_t *perm = malloc(d * sizeof *perm);
    mvni_chol_reorder(d, S, a, b, MVN_REORDER_GGE, L, perm, w);
    mvni_sov_qmc(d, L, a, b, &o.qmc, &rd);
    tap_ok(fabs(rs.p - rd.p) <= rs.abserr + rd.abserr,
           "tapered d = %zu: structured P = %.7f +- %.1e, dense GGE %.7f +- %.1e",
           d, rs.p, rs.abserr, rd.p, rd.abserr);
    /* MVN_REORDER_GGE_ALWAYS is the dense GGE route, exactly. */
    tap_ok(MVN_REORDER_GGE_ALWAYS == 2 && rg.p == rd.p && rg.evals == rd.evals,
           "tapered d = %zu: MVN_REORDER_GGE_ALWAYS gives the dense GGE result", d);
    free(S); free(a); free(b); free(L); free(w); free(perm);
}

int main(void)
{
    detection();
    exact_ar1(50, 0.5, 1, 1e-4);
    exact_ar1(100, 0.9, 0, 1e-3);
    exact_ar1(400, 0.3, 1, 1e-5);
    tridiagonal();
    tapered();
    refs_pool_report();
    return tap_exit();
}
