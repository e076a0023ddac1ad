/* structured_bench.c -- AR(1) problems: points needed and time in the natural order and with GGE.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: structured_bench [-s SEEDS] [-e ABSEPS] [-r RHO] [-k KIND] [-m MAXPTS] [-o ORDERS] d ...
 *
 * Sigma_ij = rho^|i-j| (default rho = 0.5).  KIND 0 (default): upper limits
 * only, b_i = c + u_i; KIND 1: rectangles (-c - u_i, c + u_i); u_i uniform
 * in (-0.25, 0.25) from a fixed seed and c chosen so that P is roughly
 * 0.75 (Phi(c)^d = 0.75, resp. (2 Phi(c) - 1)^d = 0.75).  For every d and
 * ORDERS (a string of n = MVN_REORDER_NONE, g = MVN_REORDER_GGE_ALWAYS
 * (the dense GGE route), a = MVN_REORDER_GGE (the default rule); default
 * "ng") it solves the problem through mvni_solve (the route the library
 * takes) with SEEDS seeds (default 5) and prints the median evaluations
 * wall and CPU time (the CPU time is the figure to read on a shared
 * machine) and the spread of P.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_clock.h"

#include "solve/solve.h"
#include "mvnorm.h"

static int cmp(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
    int seeds = 5, kind = 0, argi = 1;
    double abseps = 1e-4, rho = 0.5, maxpts = 1e9;
    const char *orders = "ng";
    while (argi + 1 < argc && argv[argi][0] == '-') {
        const char *v = argv[argi + 1];
        switch (argv[argi][1]) {
        case 's': seeds = atoi(v); break;
        case 'e': abseps = atof(v); break;
        case 'r': rho = atof(v); break;
        case 'k': kind = atoi(v); break;
        case 'm': maxpts = atof(v); break;
        case 'o': orders = v; break;
        }
        argi += 2;
    }
    if (seeds > 64)
        seeds = 64;
    for (; argi < argc; ++argi) {
        size_t d = (size_t)atol(argv[argi]);
        double *S = malloc(d * d * sizeof *S), *a = malloc(d * sizeof *a);
        double *b = malloc(d * sizeof *b);
        for (size_t i = 0; i < d; ++i)
            for (size_t j = 0; j < d; ++j)
                S[i * d + j] = pow(rho, fabs((double)i - (double)j));
        double q = pow(0.75, 1.0 / (double)d);
        double c = kind == 0 ? mvn_norm_Pinv(q) : mvn_norm_Pinv(0.5 * (1 + q));
        uint64_t st = 12345;
        for (size_t i = 0; i < d; ++i) {
            st = st * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = ((double)(st >> 11) * 0x1p-53 - 0.5) * 0.5;
            b[i] = c + u;
            a[i] = kind == 0 ? -INFINITY : -c - u;
        }
        for (const char *o = orders; *o; ++o) {
            double ev[64] = {0}, tm[64] = {0}, cpu[64] = {0}, p[64] = {0}, err[64] = {0};
            int ok = 0;
            for (int s = 0; s < seeds; ++s) {
                mvni_solve_options opt;
                memset(&opt, 0, sizeof opt);
                opt.method = MVN_METHOD_AUTO;
                opt.reorder = *o == 'n' ? MVN_REORDER_NONE
                              : *o == 'g' ? MVN_REORDER_GGE_ALWAYS : MVN_REORDER_GGE;
                opt.qmc.abseps = abseps;
                opt.qmc.releps = 0;
                opt.qmc.maxpts = maxpts;
                opt.qmc.seed = 1000 + (uint64_t)s;
                opt.qmc.shifts = 8;
                opt.qmc.error_factor = 3.5;
                opt.qmc.threads = 1;
                mvni_result r;
                double t0 = bench_wall(), c0 = bench_cpu();
                int stt = mvni_solve(d, a, b, S, &opt, &r);
                tm[s] = bench_wall() - t0;
                cpu[s] = bench_cpu() - c0;
                ev[s] = r.evals;
                p[s] = r.p;
                err[s] = r.abserr;
                ok += stt == MVN_OK;
            }
            double pmin = p[0], pmax = p[0], emax = 0;
            for (int s = 0; s < seeds; ++s) {
                pmin = fmin(pmin, p[s]);
                pmax = fmax(pmax, p[s]);
                emax = fmax(emax, err[s]);
            }
            qsort(ev, (size_t)seeds, sizeof *ev, cmp);
            qsort(tm, (size_t)seeds, sizeof *tm, cmp);
            qsort(cpu, (size_t)seeds, sizeof *cpu, cmp);
            printf("d %5zu rho %.2f kind %d order %s: evals median %9.0f (min %9.0f max %9.0f)"
                   "  wall %8.4f s  cpu %8.4f s  P %.6f..%.6f  max abserr %.1e  ok %d/%d\n",
                   d, rho, kind, *o == 'n' ? "natural" : *o == 'g' ? "GGE" : "default", ev[seeds / 2], ev[0],
                   ev[seeds - 1], tm[seeds / 2], cpu[seeds / 2], pmin, pmax, emax, ok, seeds);
            fflush(stdout);
        }
        free(S);
        free(a);
        free(b);
    }
    return 0;
}
