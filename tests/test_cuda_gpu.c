/* test_cuda_gpu.c -- CPU/GPU agreement through the CUDA module, run where
   a device is present (tools/gpu-check.sh); elsewhere it prints
   "1..0 # SKIP no CUDA device: <reason>" and never passes silently.
   Problems: d = 2, 3 (exact kernels on the CPU inside the module: bitwise),
   d = 3 forced QMC, d = 5, 20, 100, 1000 (SOV/QMC on the GPU) against the
   CPU within the sum of both error estimates; a broadcast batch of 2000
   problems (200 emulated); tiny probabilities, down to log-space ones (p underflows);
   device-memory arrays with strided outputs (bitwise the host-memory
   answer); bad inputs (per-problem statuses); cancellation; gradients
   through the module.
   Compiled with -DMVN_TEST_EMULATED it becomes test_cuda_emul: the same
   checks against the module built from cuda/plugin.c with the host
   emulation of tests/plugin/gpu_emul.c ("device" memory is host memory,
   and d = 1000 is left out: the emulation is serial), so the module's host
   logic and the kernels' arithmetic (cuda/sov_point.h) are tested on every
   machine. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifdef MVN_TEST_EMULATED
#include <stdlib.h>
#include <string.h>
typedef int cudaError_t;
#define cudaSuccess 0
#define cudaMemcpyHostToDevice 1
#define cudaMemcpyDeviceToHost 2
static cudaError_t cudaMalloc(void **p, size_t bytes) { *p = malloc(bytes); return *p ? 0 : 2; }
static cudaError_t cudaMemcpy(void *d, const void *s, size_t bytes, int kind)
{
    (void)kind;
    memcpy(d, s, bytes);
    return 0;
}
static cudaError_t cudaMemset(void *d, int v, size_t bytes) { memset(d, v, bytes); return 0; }
static cudaError_t cudaFree(void *p) { free(p); return 0; }
#define MODULE_DIR "tests/plugin/emul/.libs"
#define NDIMS 3
#define BATCH_N 200
#define BATCH_EPS 1e-4
#define NEAR_SEEDS 2
#else
#include <cuda_runtime_api.h>
#define MODULE_DIR "cuda/.libs"
#define NDIMS 4
#define BATCH_N 2000
#define BATCH_EPS 1e-5
#define NEAR_SEEDS 4
#endif
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mvnorm.h"
#include "tap.h"

static mvn_context *ctx_for(int backend, double abseps, double releps, int method)
{
    mvn_context *c = mvn_context_alloc();
    mvn_context_set(c, MVN_OPT_BACKEND, backend);
    mvn_context_set(c, MVN_OPT_ABSEPS, abseps);
    mvn_context_set(c, MVN_OPT_RELEPS, releps);
    mvn_context_set(c, MVN_OPT_METHOD, method);
    mvn_context_set(c, MVN_OPT_MAXPTS, 2e8);
    return c;
}

/* AR(1) correlation rho^|i-j| (connected, well conditioned), or
   equicorrelation rho when equi. */
static double *make_sigma(size_t d, double rho, int equi)
{
    double *s = malloc(d * d * sizeof *s);
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            s[i * d + j] = i == j ? 1.0 : equi ? rho : pow(rho, fabs((double)i - (double)j));
    return s;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* One problem on both backends; agreement within the error estimates. */
static void agree(const char *name, size_t d, const double *lower, const double *upper,
                  const double *sigma, double abseps, double releps, int method, int bitwise)
{
    mvn_context *cc = ctx_for(MVN_BACKEND_CPU, abseps, releps, method);
    mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, abseps, releps, method);
    double pc, lc, ec, pg, lg, eg;
    double t0 = now();
    int sc = mvn_prob(cc, d, lower, upper, NULL, sigma, &pc, &lc, &ec);
    double t1 = now();
    int sg = mvn_prob(gc, d, lower, upper, NULL, sigma, &pg, &lg, &eg);
    double t2 = now();
    tap_ok(sc == MVN_OK && sg == MVN_OK && mvn_context_backend(gc) == MVN_BACKEND_CUDA,
           "%s: both OK on their backends (cpu %d, gpu %d: %s)", name, sc, sg,
           mvn_context_message(gc));
    if (bitwise)
        tap_ok(pc == pg && ec == eg, "%s: bitwise the CPU (%.17g vs %.17g)", name, pc, pg);
    else
        tap_close(pg, pc, ec + eg + 1e-15, "%s: p gpu %.10g cpu %.10g, errors %.2g / %.2g "
                  "(cpu %.3fs, gpu %.3fs)", name, pg, pc, eg, ec, t1 - t0, t2 - t1);
    mvn_context_free(cc);
    mvn_context_free(gc);
}

static int cancel_cb(void *user, const mvn_progress *info)
{
    (void)info;
    ++*(int *)user;
    return 1;
}

int main(void)
{
    /* The module of this build, unless the caller points elsewhere. */
    const char *top = getenv("MVN_TOP_BUILDDIR");
    if (getenv("MVN_PLUGIN_PATH") == NULL) {
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/" MODULE_DIR, top ? top : ".");
        setenv("MVN_PLUGIN_PATH", dir, 1);
    }
    unsetenv("MVN_BACKEND");
    char reason[512] = "";
    mvn_context *probe = mvn_context_alloc();
    int st = mvn_backend_probe(probe, MVN_BACKEND_CUDA, reason, sizeof reason);
    mvn_context_free(probe);
    if (st != MVN_OK) {
        const char *r = strstr(reason, "no CUDA device: ");
        char line[600];
        if (r)
            snprintf(line, sizeof line, "%s", r);
        else
            snprintf(line, sizeof line, "no CUDA device: %s", reason);
        tap_skip_all(line);
    }
#ifdef MVN_TEST_EMULATED
    {
        setenv("MVN_TEST_EMUL_MODE", "nodevice", 1);
        mvn_context *c = mvn_context_alloc();
        int s0 = mvn_backend_probe(c, MVN_BACKEND_CUDA, reason, sizeof reason);
        mvn_context_free(c);
        tap_ok(s0 == MVN_EBACKEND && strstr(reason, "no CUDA device: the runtime found 0 devices"),
               "no device found: %s", reason);
        setenv("MVN_TEST_EMUL_MODE", "nodriver", 1);
        c = mvn_context_alloc();
        s0 = mvn_backend_probe(c, MVN_BACKEND_CUDA, reason, sizeof reason);
        mvn_context_free(c);
        tap_ok(s0 == MVN_EBACKEND && strstr(reason, "no CUDA device: ") && strstr(reason, "(error 35)"),
               "no driver (error 35): %s", reason);
        unsetenv("MVN_TEST_EMUL_MODE");
    }
#endif

    /* d = 2, 3 under AUTO: the exact kernels (CPU inside the module). */
    {
        double s2[4] = {1, 0.3, 0.3, 1}, u2[2] = {0.5, -0.2};
        agree("d=2 exact", 2, NULL, u2, s2, 1e-6, 0, MVN_METHOD_AUTO, 1);
        double *s3 = make_sigma(3, 0.6, 0);
        double u3[3] = {0.1, 0.4, -0.3};
        agree("d=3 exact", 3, NULL, u3, s3, 1e-6, 0, MVN_METHOD_AUTO, 1);
        agree("d=3 forced QMC (GPU)", 3, NULL, u3, s3, 1e-5, 0, MVN_METHOD_QMC, 0);
        free(s3);
    }
    /* d = 5, 20, 100, 1000 on the GPU. */
    {
        const size_t dims[4] = {5, 20, 100, 1000};
        const double eps[4] = {1e-6, 1e-5, 1e-5, 1e-4};
        for (int q = 0; q < NDIMS; ++q) {
            const size_t d = dims[q];
            double *s = make_sigma(d, q == 0 ? 0.5 : 0.7, q == 0);
            double *lo = malloc(d * sizeof *lo), *up = malloc(d * sizeof *up);
            for (size_t i = 0; i < d; ++i) {
                lo[i] = i % 3 == 0 ? -1.5 : -INFINITY;
                up[i] = 1.0 + 0.5 * (double)(i % 4);
            }
            char name[64];
            snprintf(name, sizeof name, "d=%zu abseps %.0e", d, eps[q]);
            agree(name, d, lo, up, s, eps[q], 0, MVN_METHOD_AUTO, 0);
            free(s);
            free(lo);
            free(up);
        }
    }
    /* Tiny probabilities: relative tolerance, plain SOV on both (QMC);
       then log space (p underflows a double). */
    {
        double *s = make_sigma(5, 0.5, 1);
        double up[5] = {-4, -4, -4, -4, -4};
        agree("tiny P (upper -4, releps 1e-2, QMC)", 5, NULL, up, s, 0, 1e-2, MVN_METHOD_QMC, 0);
        double up2[5] = {-40, -40, -40, -40, -40};
        mvn_context *cc = ctx_for(MVN_BACKEND_CPU, 0, 1e-2, MVN_METHOD_QMC);
        mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 0, 1e-2, MVN_METHOD_QMC);
        const ptrdiff_t vs[2] = {0, 1}, ss[3] = {0, 5, 1};
        double pc, lc, ec, rc, pg, lg, eg, rg;
        int sc = mvn_logprob_batch(cc, 1, 5, NULL, NULL, up2, vs, NULL, NULL, s, ss,
                                   MVN_SIGMA_COV, &pc, &lc, &ec, &rc, NULL);
        int sg = mvn_logprob_batch(gc, 1, 5, NULL, NULL, up2, vs, NULL, NULL, s, ss,
                                   MVN_SIGMA_COV, &pg, &lg, &eg, &rg, NULL);
        tap_ok((sc == MVN_OK || sc == MVN_ETOL) && (sg == MVN_OK || sg == MVN_ETOL) &&
               isfinite(lg) && lg < -700,
               "log space (upper -40): logp gpu %.10g cpu %.10g (status %d / %d)", lg, lc, sg, sc);
        tap_close(lg, lc, 2 * (rc + rg) + 1e-12, "log space: logp agree within logerr %.2g + %.2g",
                  rg, rc);
        mvn_context_free(cc);
        mvn_context_free(gc);
        free(s);
    }
    /* A broadcast batch: one Sigma (stride 0), 2000 limit vectors. */
    {
        enum { N = BATCH_N, D = 6 };
        double *s = make_sigma(D, 0.6, 0);
        double *up = malloc(N * D * sizeof *up);
        for (int t = 0; t < N; ++t)
            for (int i = 0; i < D; ++i)
                up[t * D + i] = -1.0 + 3.0 * (double)((t * 7 + i * 13) % 97) / 97.0;
        const ptrdiff_t vs[2] = {D, 1}, ss[3] = {0, D, 1};
        static double pc[N], ec[N], pg[N], eg[N];
        static int stc[N], stg[N];
        mvn_context *cc = ctx_for(MVN_BACKEND_CPU, BATCH_EPS, 0, MVN_METHOD_AUTO);
        mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, BATCH_EPS, 0, MVN_METHOD_AUTO);
        double t0 = now();
        int sc = mvn_prob_batch(cc, N, D, NULL, NULL, up, vs, NULL, NULL, s, ss, MVN_SIGMA_COV,
                                pc, NULL, ec, stc);
        double t1 = now();
        int sg = mvn_prob_batch(gc, N, D, NULL, NULL, up, vs, NULL, NULL, s, ss, MVN_SIGMA_COV,
                                pg, NULL, eg, stg);
        double t2 = now();
        int bad = 0;
        double worst = 0;
        for (int t = 0; t < N; ++t) {
            double r = fabs(pg[t] - pc[t]) / (ec[t] + eg[t] + 1e-15);
            worst = r > worst ? r : worst;
            bad += stg[t] != MVN_OK || r > 2.0;
        }
        tap_ok(sc == MVN_OK && sg == MVN_OK && bad == 0,
               "broadcast batch of %d (d=%d): all within 2x the error sum (worst %.2f; cpu %.3fs, "
               "gpu %.3fs)", N, D, worst, t1 - t0, t2 - t1);

        /* Host-side preparation on 4 threads: the same numbers. */
        {
            static double p4[N];
            mvn_context_set(gc, MVN_OPT_THREADS, 4);
            int s4 = mvn_prob_batch(gc, N, D, NULL, NULL, up, vs, NULL, NULL, s, ss,
                                    MVN_SIGMA_COV, p4, NULL, NULL, NULL);
            mvn_context_set(gc, MVN_OPT_THREADS, 1);
            tap_ok(s4 == MVN_OK && memcmp(p4, pg, sizeof p4) == 0,
                   "MVN_OPT_THREADS = 4 (host preparation in parallel): bitwise the same");
        }
        /* The same batch in device memory, outputs strided. */
        double *dup = NULL, *ds = NULL, *dp = NULL;
        int *dst = NULL;
        int ok = cudaMalloc((void **)&dup, N * D * sizeof(double)) == cudaSuccess &&
                 cudaMalloc((void **)&ds, D * D * sizeof(double)) == cudaSuccess &&
                 cudaMalloc((void **)&dp, 2 * N * sizeof(double)) == cudaSuccess &&
                 cudaMalloc((void **)&dst, N * sizeof(int)) == cudaSuccess;
        ok = ok && cudaMemcpy(dup, up, N * D * sizeof(double), cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemcpy(ds, s, D * D * sizeof(double), cudaMemcpyHostToDevice) == cudaSuccess &&
             cudaMemset(dp, 0, 2 * N * sizeof(double)) == cudaSuccess;
        mvn_batch_desc desc;
        mvn_batch_desc_init(&desc, N, D);
        desc.memory = MVN_MEMORY_CUDA;
        desc.upper = dup;
        desc.upper_strides[0] = D;
        desc.upper_strides[1] = 1;
        desc.sigma = ds;
        desc.sigma_strides[1] = D;
        desc.sigma_strides[2] = 1;
        desc.p = dp + 2 * N - 1; /* backwards, every other element */
        desc.p_stride = -2;
        desc.status = dst;
        desc.status_stride = 1;
        int sd = ok ? mvn_batch_compute(gc, MVN_COMPUTE_PROB, &desc) : -1;
        static double back[2 * N];
        static int bst[N];
        ok = ok && cudaMemcpy(back, dp, 2 * N * sizeof(double), cudaMemcpyDeviceToHost) == cudaSuccess &&
             cudaMemcpy(bst, dst, N * sizeof(int), cudaMemcpyDeviceToHost) == cudaSuccess;
        int same = ok && sd == MVN_OK;
        for (int t = 0; same && t < N; ++t)
            same = back[2 * N - 1 - 2 * t] == pg[t] && back[2 * N - 2 - 2 * t] == 0.0 &&
                   bst[t] == MVN_OK;
        tap_ok(same, "device-memory batch, stride -2 output: bitwise the host-memory answer (%d: %s)",
               sd, mvn_context_message(gc));
        cudaFree(dup);
        cudaFree(ds);
        cudaFree(dp);
        cudaFree(dst);

        /* Bad inputs: one NaN, one lower > upper; the others answered. */
        up[3 * D + 1] = NAN;
        static double lo[N * D];
        for (int i = 0; i < N * D; ++i)
            lo[i] = -INFINITY;
        lo[7 * D + 2] = up[7 * D + 2] + 1.0;
        sg = mvn_prob_batch(gc, N, D, lo, vs, up, vs, NULL, NULL, s, ss, MVN_SIGMA_COV, pg, NULL,
                            eg, stg);
        tap_ok(sg == MVN_ENAN && stg[3] == MVN_ENAN && stg[7] == MVN_EBOUNDS && isnan(pg[3]) &&
               stg[0] == MVN_OK && stg[N - 1] == MVN_OK && strstr(mvn_context_message(gc), "3") != NULL,
               "bad inputs: per-problem statuses, first failure returned and named: %s",
               mvn_context_message(gc));
        mvn_context_free(cc);
        mvn_context_free(gc);
        free(s);
        free(up);
    }
    /* Cancellation and gradients. */
    {
        /* Enough work (d = 100, abseps 1e-12 never met, maxpts 1e10) that
           the 20 ms throttle lets the callback run even on a fast GPU. */
        const size_t d = 100;
        double *s = make_sigma(d, 0.7, 0);
        double up[100];
        for (size_t i = 0; i < d; ++i)
            up[i] = 0.5;
        mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 1e-12, 0, MVN_METHOD_AUTO);
        mvn_context_set(gc, MVN_OPT_MAXPTS, 1e10);
        int calls = 0;
        mvn_context_set_progress(gc, cancel_cb, &calls);
        double p, lp, e;
        int sc = mvn_prob(gc, d, NULL, up, NULL, s, &p, &lp, &e);
        tap_ok(sc == MVN_ECANCELED && calls >= 1 && isnan(p),
               "progress callback returning nonzero: MVN_ECANCELED, NaN (%d calls): %s", calls,
               mvn_context_message(gc));
        mvn_context_free(gc);
        mvn_context *cc = ctx_for(MVN_BACKEND_CPU, 1e-4, 0, MVN_METHOD_AUTO);
        gc = ctx_for(MVN_BACKEND_CUDA, 1e-4, 0, MVN_METHOD_AUTO);
        double g1[5], g2[5], p1, p2;
        double *s5 = make_sigma(5, 0.5, 1);
        int s1 = mvn_prob_grad(cc, 5, NULL, up, NULL, s5, &p1, NULL, NULL, NULL, g1, NULL, NULL);
        int s2 = mvn_prob_grad(gc, 5, NULL, up, NULL, s5, &p2, NULL, NULL, NULL, g2, NULL, NULL);
        tap_ok(s1 == MVN_OK && s2 == MVN_OK && p1 == p2 && memcmp(g1, g2, sizeof g1) == 0,
               "gradients through the module (computed by the CPU library): bitwise the CPU");
        mvn_context_free(cc);
        mvn_context_free(gc);
        free(s);
        free(s5);
    }
    /* The CPU's narrow-feature rule (qmc/sov.c, issue 14 finding 1) on the
       GPU: equicorrelated d = 5, 1 - rho = 1e-6 and 1e-8, P(X < 0) exact
       0.49953604428330561 and 0.49995360443006845 (test_extremes.c).
       With the 0.1 rule the first lattice stopped: 0.49999997 +- 1.1e-7
       and 0.5 +- 0.  4 seeds each (2 emulated): status OK, every error within
       2 abserr.  And the SOV exponents in doubles (finding 3): Genz's
       4-D example with lower[0] = 1e10 has a finite log P near -5e19
       and p = 0, no undefined overflow. */
    {
        static const double eps[2] = {1e-6, 1e-8};
        static const double exact[2] = {0.49953604428330561, 0.49995360443006845};
        double worst = 0.0;
        int good = 1;
        for (int k = 0; k < 2; ++k)
            for (int seed = 0; seed < NEAR_SEEDS; ++seed) {
                double S5[25], up5[5] = {0, 0, 0, 0, 0}, p = NAN, e = NAN;
                for (int i = 0; i < 25; ++i)
                    S5[i] = i % 6 == 0 ? 1.0 : 1.0 - eps[k];
                mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 1e-5, 0, MVN_METHOD_QMC);
                mvn_context_set(gc, MVN_OPT_SEED, seed);
                mvn_context_set(gc, MVN_OPT_MAXPTS, 1e7);
                int sg = mvn_prob(gc, 5, NULL, up5, NULL, S5, &p, NULL, &e);
                const double r = fabs(p - exact[k]) / e;
                good &= sg == MVN_OK && mvn_context_backend(gc) == MVN_BACKEND_CUDA && r <= 2.0;
                if (r > worst)
                    worst = r;
                mvn_context_free(gc);
            }
        tap_ok(good, "near-degenerate equicorrelated d = 5 (1 - rho = 1e-6, 1e-8), %d seeds "
                     "each on the GPU: status OK, error within 2 abserr (worst %.2f)", NEAR_SEEDS,
               worst);
        double S4[16] = {4, 3, 2, 1, 3, 5, -1, 1, 2, -1, 4, 2, 1, 1, 2, 5};
        double lo4[4] = {1e10, -INFINITY, -INFINITY, -INFINITY}, up4[4] = {INFINITY, 2, 3, 4};
        double p = NAN, lp = NAN, e = NAN;
        mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 1e-5, 0, MVN_METHOD_QMC);
        int sg = mvn_prob(gc, 4, lo4, up4, NULL, S4, &p, &lp, &e);
        tap_ok((sg == MVN_OK || sg == MVN_ETOL) && p == 0.0 && isfinite(lp) && lp < -1e19,
               "Genz 4-D with lower[0] = 1e10 on the GPU: p = 0, finite log P %.4g (%s)", lp,
               mvn_status_name(sg));
        mvn_context_free(gc);
    }
    /* The step rule (qmc/sov.c, "Singular factors"): X2 = X1 + 3 with
       r = 1 (an indicator row) and r = 1 - 5e-12 (a dropped pivot), P(X1
       < 0, X2 > 0) = 1/2 - Phi(-3); a 31-point lattice missed the step in
       every shift (0.5 +- 0, status OK).  And a limit 1e309 standard
       deviations out (plugin.c's standardization): P = 0, not 1. */
    {
        const double want = 0.5 - 0.5 * erfc(3.0 / M_SQRT2), rs[2] = {1.0, 1.0 - 5e-12};
        const double lo2[2] = {-INFINITY, 0.0}, up2[2] = {0.0, INFINITY}, m2[2] = {0.0, 3.0};
        int good = 1;
        double worst = 0.0;
        for (int k = 0; k < 2; ++k) {
            const double S2[4] = {1.0, rs[k], rs[k], 1.0};
            double p = NAN, e = NAN;
            mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 1e-5, 0, MVN_METHOD_QMC);
            mvn_context_set(gc, MVN_OPT_MAXPTS, 1e7);
            int sg = mvn_prob(gc, 2, lo2, up2, m2, S2, &p, NULL, &e);
            good &= sg == MVN_OK && mvn_context_backend(gc) == MVN_BACKEND_CUDA &&
                    fabs(p - want) <= e;
            worst = fmax(worst, fabs(p - want) / e);
            mvn_context_free(gc);
        }
        tap_ok(good, "singular step X2 = X1 + 3 (r = 1, 1 - 5e-12) on the GPU: within abserr "
                     "of 1/2 - Phi(-3), status OK (worst %.2f abserr)", worst);
        const double S1[4] = {5.4323092248710971e-311, 0.0, 0.0, 1.0};
        const double up1[2] = {-1.5e154, INFINITY};
        double p = NAN, e = NAN;
        mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 1e-5, 0, MVN_METHOD_QMC);
        int sg = mvn_prob(gc, 2, NULL, up1, NULL, S1, &p, NULL, &e);
        tap_ok(sg == MVN_OK && p == 0.0, "a limit 1e309 standard deviations out on the GPU "
               "route: P = %g (%s), exact 0", p, mvn_status_name(sg));
        mvn_context_free(gc);
    }
    /* The tail-feature rule (qmc/sov.c, "Steps in an earlier variable's
       tail"; CI fuzz finding on 7ec0a16): P(X1 < 0, X2 > t) with corr
       0.97, t = -4 and corr 0.9, t = -4.3, where X2's step lies in X1's
       tail with kappa only 4 and 2; exact values from the bivariate
       kernel (METHOD_AUTO on the CPU).  Without the rule the shifts of the
       first lattices all missed it (CPU: 171 and 108 of 200 seeds more
       than 3 abserr off, status OK).  NEAR_SEEDS seeds each: status OK,
       every error within 3 abserr. */
    {
        static const double rs[2] = {0.97, 0.9}, ts[2] = {-4.0, -4.3};
        int good = 1;
        double worst = 0.0;
        for (int k = 0; k < 2; ++k) {
            const double S2[4] = {1.0, rs[k], rs[k], 1.0};
            const double lo2[2] = {-INFINITY, ts[k]}, up2[2] = {0.0, INFINITY};
            double want = NAN, p = NAN, e = NAN;
            mvn_context *cc = ctx_for(MVN_BACKEND_CPU, 1e-5, 0, MVN_METHOD_AUTO);
            mvn_prob(cc, 2, lo2, up2, NULL, S2, &want, NULL, NULL);
            mvn_context_free(cc);
            for (int seed = 0; seed < NEAR_SEEDS; ++seed) {
                mvn_context *gc = ctx_for(MVN_BACKEND_CUDA, 1e-5, 0, MVN_METHOD_QMC);
                mvn_context_set(gc, MVN_OPT_SEED, seed);
                int sg = mvn_prob(gc, 2, lo2, up2, NULL, S2, &p, NULL, &e);
                good &= sg == MVN_OK && mvn_context_backend(gc) == MVN_BACKEND_CUDA &&
                        fabs(p - want) <= 3.0 * e;
                worst = fmax(worst, fabs(p - want) / e);
                mvn_context_free(gc);
            }
        }
        tap_ok(good, "step in the tail of X1 (corr 0.97, X2 > -4; corr 0.9, X2 > -4.3), %d "
                     "seeds each on the GPU: status OK, within 3 abserr (worst %.2f)",
               NEAR_SEEDS, worst);
    }
    return tap_exit();
}
