/* lattice-search.c -- searches Korobov generators for the rank-1 lattice table of lib/lattice.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not built by default.  Build and run (the table in lib/lattice.c came
 * from exactly this command):
 *
 *   gcc -std=c11 -O2 -fopenmp tools/lattice-search.c -o lattice-search -lm
 *   ./lattice-search 5 24 > table.txt
 *
 * For each size n = the largest prime below 2^m (m from the first argument
 * to the second) it picks the Korobov multiplier a, z = (1, a, a^2, ...)
 * mod n, that minimizes the squared worst-case error of the lattice rule in
 * the weighted Korobov space of smoothness alpha = 2 (Sloan & Joe 1994,
 * "Lattice Methods for Multiple Integration", sec. 5; Nuyens & Cools 2006
 * use the same criterion for their fast CBC construction):
 *
 *   e^2(z) = -1 + (1/n) sum_{k=0}^{n-1} prod_{j=1}^{s} (1 + gamma_j 2 pi^2 B2({k z_j / n}))
 *
 * with B2(x) = x^2 - x + 1/6 the Bernoulli polynomial, product weights
 * gamma_j = 1/j^2 and s = S_CRIT dimensions.  This is the space the tent
 * (baker's) transformed SOV integrand is close to, and the decaying weights
 * reflect that the GGE ordering puts the variables that matter most first.
 *
 * Candidates: every a in [2, (n-1)/2] while the work n * s * candidates
 * stays below BUDGET, otherwise a fixed pseudo-random sample of them (a and
 * n - a give the same criterion because B2(1-x) = B2(x)).  A candidate is
 * rejected when its multiplicative order is below min(n - 1, 1024), so that
 * the Korobov components used beyond the searched dimensions do not repeat
 * for at least 1024 dimensions.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define S_CRIT 32
#define BUDGET 4.0e9

static int is_prime(uint64_t n)
{
    if (n < 2)
        return 0;
    for (uint64_t q = 2; q * q <= n; ++q)
        if (n % q == 0)
            return 0;
    return 1;
}

/* The order of a modulo n is at least min(n - 1, 1024)? */
static int long_order(uint64_t a, uint64_t n)
{
    uint64_t lim = n - 1 < 1024 ? n - 1 : 1024, x = a % n;
    for (uint64_t j = 1; j < lim; ++j) {
        if (x == 1)
            return 0;
        x = x * a % n;
    }
    return 1;
}

static double criterion(uint64_t n, uint64_t a, const double *gamma)
{
    uint64_t z[S_CRIT], r[S_CRIT];
    double c[S_CRIT];
    const double pi = 3.14159265358979323846, tpi2 = 2.0 * pi * pi;
    z[0] = 1;
    for (int j = 1; j < S_CRIT; ++j)
        z[j] = z[j - 1] * a % n;
    for (int j = 0; j < S_CRIT; ++j) {
        r[j] = 0;
        c[j] = gamma[j] * tpi2;
    }
    double sum = 0.0, invn = 1.0 / (double)n;
    for (uint64_t k = 0; k < n; ++k) {
        double prod = 1.0;
        for (int j = 0; j < S_CRIT; ++j) {
            double x = (double)r[j] * invn;
            prod *= 1.0 + c[j] * (x * x - x + 1.0 / 6.0);
            r[j] += z[j];
            if (r[j] >= n)
                r[j] -= n;
        }
        sum += prod;
    }
    return -1.0 + sum * invn;
}

int main(int argc, char **argv)
{
    int m0 = argc > 1 ? atoi(argv[1]) : 5, m1 = argc > 2 ? atoi(argv[2]) : 24;
    double gamma[S_CRIT];
    for (int j = 0; j < S_CRIT; ++j)
        gamma[j] = 1.0 / ((double)(j + 1) * (j + 1));
    for (int m = m0; m <= m1; ++m) {
        uint64_t n = ((uint64_t)1 << m) - 1;
        while (!is_prime(n))
            --n;
        uint64_t half = (n - 1) / 2, ncand = half - 1;
        uint64_t maxcand = (uint64_t)(BUDGET / ((double)n * S_CRIT));
        if (maxcand < 8)
            maxcand = 8;
        int sample = ncand > maxcand;
        if (sample)
            ncand = maxcand;
        uint64_t *cand = malloc(ncand * sizeof *cand);
        double *crit = malloc(ncand * sizeof *crit);
        /* A fixed xorshift sequence makes the sample reproducible. */
        uint64_t st = 0x9E3779B97F4A7C15ull ^ n;
        for (uint64_t i = 0; i < ncand; ++i) {
            if (!sample) {
                cand[i] = 2 + i;
                continue;
            }
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            cand[i] = 2 + st % (half - 1);
        }
#pragma omp parallel for schedule(dynamic, 1)
        for (uint64_t i = 0; i < ncand; ++i)
            crit[i] = long_order(cand[i], n) ? criterion(n, cand[i], gamma)
                                              : INFINITY;
        uint64_t best = 0;
        for (uint64_t i = 1; i < ncand; ++i)
            if (crit[i] < crit[best])
                best = i;
        printf("    {%lluu, %lluu}, /* 2^%d: e^2 = %.4e, %s %llu candidates */\n",
               (unsigned long long)n, (unsigned long long)cand[best], m,
               crit[best], sample ? "best of" : "all", (unsigned long long)ncand);
        fflush(stdout);
        free(cand);
        free(crit);
    }
    return 0;
}
