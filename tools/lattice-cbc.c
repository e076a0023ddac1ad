/* lattice-cbc.c -- searches the embedded (extensible) rank-1 lattice sequence of lib/qmc/lattice.c.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Not built by default.  Build and run (the table in lib/qmc/lattice.c
 * came from exactly this command; it takes about 6 minutes on 2 cores and
 * 0.6 GB of memory):
 *
 *   gcc -std=c11 -O2 -fopenmp tools/lattice-cbc.c -o lattice-cbc -lm
 *   ./lattice-cbc WEIGHT_POWER > vector.txt
 *
 * The sequence: one generating vector z of odd integers below 2^MMAX; the
 * rule of N = 2^m points (m = MMIN .. MMAX) is x_i = frac(i z / N),
 * i = 0 .. N-1.  Its points are the points with even i of the rule of 2N
 * points, so an integrator that doubles N evaluates only the new (odd)
 * points and keeps the sum of the old ones (Hickernell, Hong, L'Ecuyer &
 * Lemieux 2000, "Extensible lattice sequences for quasi-Monte Carlo
 * quadrature", SIAM J. Sci. Comput. 22:1117-1138; Cools, Kuo & Nuyens
 * 2006, "Constructing embedded lattice rules for multivariate
 * integration", SIAM J. Sci. Comput. 28:2162-2188).
 *
 * Criterion: the squared worst-case error of each size in the weighted
 * Korobov space of smoothness alpha = 2 (the space the tent-transformed
 * separation-of-variables integrand is close to),
 *
 *   e_m^2(z) = -1 + 2^-m sum_{i<2^m} prod_j (1 + gamma_j 2 pi^2 B2({i z_j / 2^m})),
 *
 * B2(x) = x^2 - x + 1/6, product weights gamma_j = j^-WEIGHT_POWER
 * (j = 1, 2, ...: the GGE ordering puts the variables that matter most
 * first).  Component by component (Sloan & Reztsov 2002; Nuyens & Cools
 * 2006), z_1 = 1 and each later z_j minimizes sum_m log e_m^2, the
 * geometric mean over the sizes, so that no size is sacrificed to another
 * (Cools, Kuo & Nuyens minimize the largest ratio to each size's own
 * optimum; the sum of logs is the same idea without the per-size optima).
 * One sweep over the points of the largest rule gives every size's sum:
 * point i of the rule of 2^m points is point i 2^(M - m) of the rule of
 * 2^M.  Two phases keep the cost down: the low MLOW bits of every
 * component on the sizes up to 2^MLOW (NCAND candidates each), then the
 * bits above, component by component again, on the larger sizes (all
 * 2^(MMAX - MLOW) choices each; the smaller rules see only the low bits).
 *
 * Candidates: NCAND odd numbers per component from a fixed xorshift
 * sequence (a random subset, Sinescu & L'Ecuyer's observation that random
 * candidates lose little), the first SCBC components by CBC.  Beyond,
 * z_j = a^j mod 2^MMAX (a Korobov continuation, order 2^(MMAX-2) for
 * a = 5 mod 8), with a chosen among NKOR candidates by the same
 * criterion on the next 8 components, among those whose powers up to
 * NDISTINCT repeat no searched component (up to sign) in the rules of
 * 2^MDISTINCT points and more.
 *
 * Output: the SCBC components, then a, as C initializers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MMIN 6
#define MMAX 25
#define SCBC 64
#define MLOW 20
#define NCAND 1024
#define NKOR 32
#define NLEV (MMAX - MMIN + 1)

static uint64_t xs_state = 0x9E3779B97F4A7C15ull;
static uint64_t xorshift(void)
{
    xs_state ^= xs_state << 13;
    xs_state ^= xs_state >> 7;
    xs_state ^= xs_state << 17;
    return xs_state;
}

/* Level sums of prod * (1 + c B2(i z / N)) for component z over all
   sizes: out[m - MMIN] = sum over the points of size 2^m.  When upd is
   set, prod is multiplied by the factor in place. */
static void level_sums(int mmax, const double *prod, double *upd, uint64_t zc,
                       double c, double *out)
{
    const uint64_t N = (uint64_t)1 << mmax, mask = N - 1;
    const double invN = 1.0 / (double)N;
    /* byv[v]: sum over points whose index has exactly v trailing zeros
       (v = MMAX for i = 0). */
    double byv[MMAX + 1];
    memset(byv, 0, sizeof byv);
    for (int m = MMIN; m <= MMAX; ++m)
        out[m - MMIN] = NAN; /* sizes above mmax: not scored */
    uint64_t r = 0;
    for (uint64_t i = 0; i < N; ++i) {
        const double x = (double)r * invN;
        const double t = prod[i] * (1.0 + c * (x * x - x + 1.0 / 6.0));
        if (upd)
            upd[i] = t;
        const int v = i == 0 ? mmax : __builtin_ctzll(i);
        byv[v] += t;
        r = (r + zc) & mask;
    }
    /* Size 2^m holds the indices with at least MMAX - m trailing zeros. */
    double acc = 0.0;
    for (int v = mmax; v >= 0; --v) {
        acc += byv[v];
        const int m = mmax - v;
        if (m >= MMIN)
            out[m - MMIN] = acc / (double)((uint64_t)1 << m);
    }
}

static double log_criterion(const double *sums)
{
    double s = 0.0;
    for (int l = 0; l < NLEV; ++l)
        if (!isnan(sums[l]))
            s += log(fmax(sums[l] - 1.0, 1e-300));
    return s;
}

/* Does the continuation a^j, SCBC <= j < NDISTINCT, avoid the searched
   components up to sign in every rule of at least 2^MDISTINCT points?
   (The classes up to sign of the odd residues are the residues = 1 mod 4,
   the group that a = 5 mod 8 generates, so without this check some power
   of a would repeat a searched component at the smaller sizes.) */
#define MDISTINCT 16
#define NDISTINCT 1024
static int continuation_distinct(const uint64_t *z, uint64_t a)
{
    for (int m = MDISTINCT; m <= MMAX; ++m) {
        const uint64_t mask = ((uint64_t)1 << m) - 1;
        uint64_t cls[SCBC];
        for (int j = 0; j < SCBC; ++j)
            cls[j] = (z[j] & 3u) == 3u ? (mask + 1 - (z[j] & mask)) & mask : z[j] & mask;
        uint64_t p = 1;
        for (int j = 0; j < NDISTINCT; ++j) {
            if (j >= SCBC)
                for (int i = 0; i < SCBC; ++i)
                    if (cls[i] == p)
                        return 0;
            p = (p * (a & mask)) & mask;
        }
    }
    return 1;
}

/* Weight decay: gamma_j = j^-weight_power (j = 1, 2, ...). */
static double weight_power = 2.0;

/* 2 pi^2 gamma_j for component j = 0, 1, ... */
static double gamma_of(int j)
{
    const double tpi2 = 2.0 * 3.14159265358979323846 * 3.14159265358979323846;
    return tpi2 * pow((double)(j + 1), -weight_power);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        weight_power = atof(argv[1]);
    const uint64_t N = (uint64_t)1 << MMAX, NL = (uint64_t)1 << MLOW;
    double *prod = malloc(N * sizeof *prod);
    if (!prod)
        return 1;
    uint64_t z[SCBC];
    double sums[NLEV];

    /* Phase 1: the low MLOW bits of every component by CBC on the sizes
       2^MMIN .. 2^MLOW, NCAND candidates each. */
    for (uint64_t i = 0; i < NL; ++i)
        prod[i] = 1.0;
    z[0] = 1;
    level_sums(MLOW, prod, prod, 1, gamma_of(0), sums);
    for (int j = 1; j < SCBC; ++j) {
        uint64_t cand[NCAND];
        double crit[NCAND];
        for (int q = 0; q < NCAND; ++q)
            cand[q] = (xorshift() & (NL / 2 - 1)) | 1u; /* odd, below NL/2 */
#pragma omp parallel for schedule(dynamic, 8)
        for (int q = 0; q < NCAND; ++q) {
            double s[NLEV];
            level_sums(MLOW, prod, NULL, cand[q], gamma_of(j), s);
            crit[q] = log_criterion(s);
        }
        int best = 0;
        for (int q = 1; q < NCAND; ++q)
            if (crit[q] < crit[best])
                best = q;
        z[j] = cand[best];
        level_sums(MLOW, prod, prod, z[j], gamma_of(j), sums);
    }

    /* Phase 2: the bits MLOW .. MMAX-1 of each component, again component
       by component, on the sizes above 2^MLOW (the smaller sizes see only
       the low bits). */
    for (uint64_t i = 0; i < N; ++i)
        prod[i] = 1.0;
    const uint64_t nhigh = (uint64_t)1 << (MMAX - MLOW);
    level_sums(MMAX, prod, prod, z[0], gamma_of(0), sums); /* z_1 = 1 */
    for (int j = 1; j < SCBC; ++j) {
        double crit[1 << (MMAX - MLOW)];
#pragma omp parallel for schedule(dynamic, 1)
        for (uint64_t h = 0; h < nhigh; ++h) {
            double s[NLEV];
            level_sums(MMAX, prod, NULL, z[j] | h << MLOW, gamma_of(j), s);
            for (int m = MMIN; m <= MLOW; ++m)
                s[m - MMIN] = NAN;
            crit[h] = log_criterion(s);
        }
        uint64_t best = 0;
        for (uint64_t h = 1; h < nhigh; ++h)
            if (crit[h] < crit[best])
                best = h;
        z[j] |= best << MLOW;
        level_sums(MMAX, prod, prod, z[j], gamma_of(j), sums);
        fprintf(stderr, "j = %d: z = %llu, e^2 at 2^%d = %.3e, at 2^%d = %.3e\n",
                j + 1, (unsigned long long)z[j], MMIN, sums[0] - 1.0, MMAX,
                sums[NLEV - 1] - 1.0);
    }
    printf("/* e^2 of the first %d components, sizes 2^%d .. 2^%d: */\n/*", SCBC,
           MMIN, MMAX);
    for (int l = 0; l < NLEV; ++l)
        printf(" %.3e", sums[l] - 1.0);
    printf(" */\n");
    for (int j = 0; j < SCBC; ++j)
        printf("%lluu,%s", (unsigned long long)z[j], j % 6 == 5 ? "\n" : " ");
    printf("\n");

    /* The Korobov continuation: a^j mod N for j >= SCBC, scored on the
       components SCBC .. SCBC + 7 after the CBC ones. */
    double *tmp = malloc(N * sizeof *tmp);
    if (!tmp)
        return 1;
    uint64_t besta = 0;
    double bestc = INFINITY;
    for (int q = 0; q < NKOR; ++q) {
        uint64_t a;
        do /* 5 mod 8, no repeat of a searched component (up to sign) */
            a = (xorshift() & (N - 1) & ~(uint64_t)7) | 5u;
        while (!continuation_distinct(z, a));
        memcpy(tmp, prod, N * sizeof *tmp);
        uint64_t p = 1, e = SCBC, base = a;
        while (e) { /* a^SCBC mod N */
            if (e & 1u)
                p = (p * base) & (N - 1);
            base = (base * base) & (N - 1);
            e >>= 1;
        }
        double s[NLEV];
        for (int j = SCBC; j < SCBC + 8; ++j) {
            level_sums(MMAX, tmp, tmp, p, gamma_of(j), s);
            p = (p * a) & (N - 1);
        }
        const double cr = log_criterion(s);
        if (cr < bestc) {
            bestc = cr;
            besta = a;
        }
    }
    printf("/* continuation multiplier */ %lluu\n", (unsigned long long)besta);
    free(tmp);
    free(prod);
    return 0;
}
