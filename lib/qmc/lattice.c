/* qmc/lattice.c -- rank-1 lattice rules (Korobov generators) and a counter-based uniform generator.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Lattice sizes n_k are the largest primes below 2^m, m = 5 .. 24, so they
 * roughly double from one size to the next and every nonzero generator
 * component is coprime with n.  The generating vector of size n_k has the
 * Korobov form z_j = a_k^j mod n_k (j = 0, 1, 2, ...), so one multiplier
 * per size defines a component for every dimension j; there is no
 * separate fallback beyond a table width.  The multipliers were chosen by
 * tools/lattice-search.c (command and criterion documented there and in
 * doc/algorithms/lattice.md): each a_k minimizes the worst-case error of
 * the rule in the weighted Korobov space (alpha = 2, product weights
 * gamma_j = 1/j^2, first 32 dimensions) over all candidates (n <= 2^13) or
 * a fixed pseudo-random sample of candidates (larger n), among multipliers
 * whose order modulo n is at least min(n - 1, 1024), so components do not
 * repeat within the first 1024 dimensions.  tests/test_lattice.c checks the
 * coprimality, the order, and the convergence rate on a smooth periodic
 * integrand.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdint.h>

#include "qmc/qmc.h"

typedef struct {
    uint64_t n; /* number of points, a prime */
    uint64_t a; /* Korobov multiplier */
} lattice_entry;

/* Output of `./lattice-search 5 24` (tools/lattice-search.c); the comment
   gives the criterion e^2 of the chosen multiplier. */
static const lattice_entry lattice_table[] = {
    {31u, 11u}, /* 2^5: e^2 = 4.7923e-01, all 14 candidates */
    {61u, 10u}, /* 2^6: e^2 = 2.1409e-01, all 29 candidates */
    {127u, 12u}, /* 2^7: e^2 = 8.6766e-02, all 62 candidates */
    {251u, 96u}, /* 2^8: e^2 = 3.7684e-02, all 124 candidates */
    {509u, 129u}, /* 2^9: e^2 = 1.5597e-02, all 253 candidates */
    {1021u, 228u}, /* 2^10: e^2 = 6.5490e-03, all 509 candidates */
    {2039u, 476u}, /* 2^11: e^2 = 2.7864e-03, all 1018 candidates */
    {4093u, 1767u}, /* 2^12: e^2 = 1.0627e-03, all 2045 candidates */
    {8191u, 3971u}, /* 2^13: e^2 = 4.7094e-04, all 4094 candidates */
    {16381u, 4290u}, /* 2^14: e^2 = 1.9778e-04, best of 7630 candidates */
    {32749u, 1970u}, /* 2^15: e^2 = 8.1542e-05, best of 3816 candidates */
    {65521u, 7769u}, /* 2^16: e^2 = 3.2245e-05, best of 1907 candidates */
    {131071u, 27775u}, /* 2^17: e^2 = 1.4382e-05, best of 953 candidates */
    {262139u, 73536u}, /* 2^18: e^2 = 5.8169e-06, best of 476 candidates */
    {524287u, 239411u}, /* 2^19: e^2 = 2.9127e-06, best of 238 candidates */
    {1048573u, 480628u}, /* 2^20: e^2 = 1.0205e-06, best of 119 candidates */
    {2097143u, 206378u}, /* 2^21: e^2 = 4.8507e-07, best of 59 candidates */
    {4194301u, 680863u}, /* 2^22: e^2 = 2.1412e-07, best of 29 candidates */
    {8388593u, 954792u}, /* 2^23: e^2 = 7.7475e-08, best of 14 candidates */
    {16777213u, 2954782u}, /* 2^24: e^2 = 3.4842e-08, best of 8 candidates */
};

#define LATTICE_COUNT ((int)(sizeof lattice_table / sizeof lattice_table[0]))

int mvni_lattice_count(void)
{
    return LATTICE_COUNT;
}

uint64_t mvni_lattice_points(int k)
{
    if (k < 0)
        k = 0;
    if (k >= LATTICE_COUNT)
        k = LATTICE_COUNT - 1;
    return lattice_table[k].n;
}

/* z_j = a^j mod n by binary powering; n < 2^25, so products fit in 64 bits. */
uint64_t mvni_lattice_generator(int k, size_t j)
{
    uint64_t n = mvni_lattice_points(k);
    if (k < 0)
        k = 0;
    if (k >= LATTICE_COUNT)
        k = LATTICE_COUNT - 1;
    uint64_t base = lattice_table[k].a % n;
    uint64_t r = 1;
    uint64_t e = (uint64_t)j;
    while (e) {
        if (e & 1u)
            r = r * base % n;
        base = base * base % n;
        e >>= 1;
    }
    return r;
}

/* The SplitMix64 finalizer (Steele, Lea & Flood 2014, "Fast splittable
   pseudorandom number generators", OOPSLA): a bijection of 64-bit words
   with good avalanche. */
static uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/*
 * A counter-based generator: the three inputs are absorbed one after the
 * other, each through the SplitMix64 finalizer after adding a distinct odd
 * constant (the golden-ratio increment of SplitMix64 and two others), so
 * that nearby (seed, stream, index) triples give unrelated outputs.  The
 * top 53 bits become a double in [0, 1).
 */
double mvni_uniform(uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t h = mix64(seed + 0x9E3779B97F4A7C15ull);
    h = mix64(h ^ (stream + 0xD1B54A32D192ED03ull));
    h = mix64(h ^ (index + 0x8CB92BA72F3D8DD7ull));
    return (double)(h >> 11) * 0x1.0p-53;
}

void mvni_lattice_block(uint64_t n, uint64_t z, double shift, uint64_t i0,
                        size_t count, double *w)
{
    const double invn = 1.0 / (double)n;
    uint64_t r = (i0 % n) * z % n; /* n < 2^25, so no overflow */
    for (size_t p = 0; p < count; ++p) {
        double x = (double)r * invn + shift;
        if (x >= 1.0)
            x -= 1.0;
        double t = 1.0 - fabs(2.0 * x - 1.0);
        if (t < 0x1p-60)
            t = 0x1p-60;
        if (t > 1.0 - 0x1p-53)
            t = 1.0 - 0x1p-53;
        w[p] = t;
        w[p + count] = 1.0 - t;
        r += z;
        if (r >= n)
            r -= n;
    }
}
