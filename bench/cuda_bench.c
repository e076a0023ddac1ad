/* cuda_bench.c -- the CUDA backend's benchmark (not a test): the targets
   of issue 9 with the CPU figures beside them.
     cuda_bench [scale]
   scale (default 1) divides the problem counts, for a quick run.
     A: 10^6 problems of d = 5 (one Sigma broadcast) at abseps 1e-5
     B: 10^7 bivariate problems (the module answers d <= 3 on the CPU
        inside the module for now: no GPU exact kernels yet)
     C: one d = 1000 problem at abseps 1e-4
   Both backends get MVN_OPT_THREADS = 0 (every core; the CUDA module uses
   them for validation and factorization).  CPU figures: for
   A and B on a subset of the problems, scaled linearly (said so).
   Needs MVN_PLUGIN_PATH to reach mvnorm_cuda.so (tools/gpu-check.sh sets
   it).  Without a device it says why and runs the CPU figures only. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

#include "mvnorm.h"

static mvn_context *ctx(int backend, double abseps)
{
    mvn_context *c = mvn_context_alloc();
    mvn_context_set(c, MVN_OPT_BACKEND, backend);
    mvn_context_set(c, MVN_OPT_ABSEPS, abseps);
    /* Every core: the CPU backend integrates on them, the CUDA module
       validates and factors on them. */
    mvn_context_set(c, MVN_OPT_THREADS, 0);
    return c;
}

/* n problems of dimension d, one Sigma, limits upper[t*d + i]; returns
   seconds, or a negative number on failure. */
static double run(mvn_context *c, size_t n, size_t d, const double *upper, const double *sigma,
                  double *p, double *err)
{
    const ptrdiff_t vs[2] = {(ptrdiff_t)d, 1}, ss[3] = {0, (ptrdiff_t)d, 1};
    double t0 = bench_wall();
    int st = mvn_prob_batch(c, n, d, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                            MVN_SIGMA_COV, p, NULL, err, NULL);
    double t1 = bench_wall();
    if (st != MVN_OK && st != MVN_ETOL) {
        printf("#   failed: %s: %s\n", mvn_status_name(st), mvn_context_message(c));
        return -1.0;
    }
    return t1 - t0;
}

static void batch_case(const char *name, int have_gpu, size_t n, size_t d, double abseps,
                       double rho, size_t cpu_n, double target)
{
    double *sigma = malloc(d * d * sizeof *sigma);
    double *upper = malloc(n * d * sizeof *upper);
    double *pg = malloc(n * sizeof *pg), *eg = malloc(n * sizeof *eg);
    double *pc = malloc(n * sizeof *pc), *ec = malloc(n * sizeof *ec);
    if (!sigma || !upper || !pg || !eg || !pc || !ec) {
        printf("%s: out of memory\n", name);
        exit(1);
    }
    for (size_t i = 0; i < d; ++i)
        for (size_t j = 0; j < d; ++j)
            sigma[i * d + j] = i == j ? 1.0 : rho;
    for (size_t t = 0; t < n; ++t)
        for (size_t i = 0; i < d; ++i)
            upper[t * d + i] = -0.5 + 2.0 * (double)((t * 7919 + i * 104729) % 1000) / 1000.0;
    if (cpu_n > n)
        cpu_n = n;
    mvn_context *cc = ctx(MVN_BACKEND_CPU, abseps);
    double tc = run(cc, cpu_n, d, upper, sigma, pc, ec);
    double tg = -1.0, worst = 0.0;
    if (have_gpu) {
        mvn_context *gc = ctx(MVN_BACKEND_CUDA, abseps);
        tg = run(gc, n, d, upper, sigma, pg, eg);
        for (size_t t = 0; tg >= 0 && t < cpu_n; ++t) {
            double r = fabs(pg[t] - pc[t]) / (eg[t] + ec[t] + 1e-300);
            worst = r > worst ? r : worst;
        }
        mvn_context_free(gc);
    }
    mvn_context_free(cc);
    printf("%-28s n=%-9zu d=%-5zu gpu %9.4f s (target %.3f s)   cpu %9.4f s%s   "
           "worst |gpu-cpu|/(err_gpu+err_cpu) %.2f\n",
           name, n, d, tg, target, tc * (double)n / (double)cpu_n,
           cpu_n < n ? " (scaled from a subset)" : "", worst);
    free(sigma);
    free(upper);
    free(pg);
    free(eg);
    free(pc);
    free(ec);
}

int main(int argc, char **argv)
{
    double scale = argc > 1 ? atof(argv[1]) : 1.0;
    if (!(scale >= 1.0))
        scale = 1.0;
    char reason[512] = "";
    mvn_context *probe = mvn_context_alloc();
    int have_gpu = mvn_backend_probe(probe, MVN_BACKEND_CUDA, reason, sizeof reason) == MVN_OK;
    mvn_context_free(probe);
    if (!have_gpu)
        printf("# GPU figures skipped: %s\n", reason);
    printf("# cuda_bench scale 1/%g; gpu -1 = not run; the CPU uses every core\n", scale);
    batch_case("A: d=5 batch, abseps 1e-5", have_gpu, (size_t)(1e6 / scale), 5, 1e-5, 0.5,
               (size_t)(2e4 / scale), 0.1);
    batch_case("B: bivariate batch", have_gpu, (size_t)(1e7 / scale), 2, 1e-5, 0.3,
               (size_t)(1e6 / scale), 0.02);
    batch_case("C: one d=1000, abseps 1e-4", have_gpu, 1, 1000, 1e-4, 0.3, 1, 0.05);
    return 0;
}
