/* qmc/lattice.c -- an embedded (extensible) rank-1 lattice sequence and a counter-based uniform generator.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * One generating vector z of odd integers below 2^25 serves every size:
 * the rank-1 rule of N = 2^m points is x_i = frac(i z_j / N),
 * i = 0 .. N-1, with the components reduced mod N (odd, so coprime with
 * N).  Its points are the points with even i of the rule of 2N points, so
 * an integrator that doubles N evaluates only the odd i of the larger rule
 * and keeps the sum over the others (mvni_lattice_block's `odd`;
 * Hickernell, Hong, L'Ecuyer & Lemieux 2000; Cools, Kuo & Nuyens 2006).
 *
 * Antithetic pairs are points of the rule: z_j is odd, so point i + N/2 is
 * point i moved by 1/2 in every coordinate, and the tent transformation
 * maps x + 1/2 to 1 - tent(x).  The integrators evaluate each point with
 * its partner 1 - w; size k therefore has n_k = 2^(k+5) pairs, and its
 * pairs (i = 0 .. n_k - 1 and their partners) are exactly the 2 n_k
 * points of the rule of N = 2 n_k points (n_k = 2^5 .. 2^24, N = 2^6 ..
 * 2^25).  (Pairing partners with a rule of their own size would evaluate
 * every point twice.)
 *
 * The first LATTICE_CBC components come from a component-by-component
 * search (tools/lattice-cbc.c: command, criterion and candidates
 * documented there and in doc/algorithms/lattice.md): each minimizes the
 * sum over the sizes N = 2^6 .. 2^25 of the log of the worst-case error in
 * the weighted Korobov space (alpha = 2, product weights gamma_j given
 * there).  Beyond them z_j = a^j mod 2^25 with the searched multiplier
 * a = 5 mod 8 (order 2^23, so components do not repeat for millions of
 * dimensions at the largest size).  tests/test_lattice.c checks the
 * embedding, the pairing, oddness, the distinctness of components and the
 * convergence rate on a smooth periodic integrand.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdint.h>

#include "qmc/qmc.h"

#define LATTICE_MMIN 5   /* pairs of the smallest size */
#define LATTICE_COUNT 20 /* 2^5 .. 2^24 pairs: rules of 2^6 .. 2^25 points */
#define LATTICE_MASK ((UINT64_C(1) << (LATTICE_MMIN + LATTICE_COUNT)) - 1)
#define LATTICE_CBC 64

/* Output of `./lattice-cbc 2` (tools/lattice-cbc.c).  e^2 of the 64
   components in the rules of 2^6 .. 2^25 points: 2.14e-01 8.77e-02
   3.71e-02 1.64e-02 7.05e-03 2.84e-03 1.21e-03 5.02e-04 1.94e-04
   7.82e-05 3.11e-05 1.18e-05 5.13e-06 1.99e-06 8.35e-07 3.86e-07
   1.55e-07 6.12e-08 2.24e-08 8.66e-09.  Over the first 32 components
   the prime Korobov rules this table replaced had 6.5e-03 at 1021
   points, 2.0e-04 at 16381, 5.8e-06 at 262139 and 2.1e-07 at 4194301;
   these have 6.2e-03, 1.6e-04, 4.2e-06 and 1.2e-07 at 1024 .. 4194304
   (doc/algorithms/lattice.md). */
static const uint32_t lattice_z[LATTICE_CBC] = {
    1u, 9843311u, 31665223u, 6793449u, 13741343u, 30840419u,
    27423207u, 20406447u, 10886085u, 15748917u, 27657575u, 13787039u,
    20254683u, 4426773u, 28391797u, 31624115u, 27621639u, 9757993u,
    14053601u, 16068525u, 31855805u, 12941221u, 30459623u, 9483969u,
    31730225u, 24275579u, 19363381u, 1151473u, 20228231u, 20198355u,
    7501221u, 24300597u, 29411489u, 24137055u, 5454171u, 3529971u,
    28671699u, 25199441u, 21145303u, 30872923u, 27593247u, 121585u,
    4708593u, 1398797u, 17195537u, 24120825u, 8799901u, 6479277u,
    22243297u, 23314951u, 9665813u, 28817927u, 15883157u, 31536279u,
    24355317u, 23438687u, 6797205u, 17295499u, 12834145u, 28318193u,
    23245173u, 16176491u, 8396377u, 30505739u,
};
/* z_j = LATTICE_KOROBOV_A^j mod 2^25 for j >= LATTICE_CBC. */
#define LATTICE_KOROBOV_A UINT64_C(15261293)

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
    return UINT64_C(1) << (LATTICE_MMIN + k);
}

/* z_j mod 2 n_k (the rule's point count); a^j mod 2^25 by binary
   powering (products below 2^50). */
uint64_t mvni_lattice_generator(int k, size_t j)
{
    const uint64_t n = 2 * mvni_lattice_points(k);
    if (j < LATTICE_CBC)
        return (uint64_t)lattice_z[j] & (n - 1);
    uint64_t base = LATTICE_KOROBOV_A, r = 1;
    for (uint64_t e = (uint64_t)j; e; e >>= 1) {
        if (e & 1u)
            r = (r * base) & LATTICE_MASK;
        base = (base * base) & LATTICE_MASK;
    }
    return r & (n - 1);
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
                        size_t count, int odd, double *w)
{
    /* The rule has 2n points (a power of 2 up to 2^25): products of two
       residues fit in 64 bits and reduction is a mask.  With odd set,
       point p is index 2 (i0 + p) + 1, reached from the first by steps of
       2 z. */
    const uint64_t mask = 2 * n - 1;
    const double inv = 1.0 / (double)(2 * n);
    const uint64_t first = odd ? 2 * i0 + 1 : i0;
    const uint64_t step = (odd ? 2 * z : z) & mask;
    uint64_t r = ((first & mask) * z) & mask;
    for (size_t p = 0; p < count; ++p) {
        double x = (double)r * inv + shift;
        if (x >= 1.0)
            x -= 1.0;
        double t = 1.0 - fabs(2.0 * x - 1.0);
        if (t < 0x1p-60)
            t = 0x1p-60;
        if (t > 1.0 - 0x1p-53)
            t = 1.0 - 0x1p-53;
        w[p] = t;
        w[p + count] = 1.0 - t;
        r = (r + step) & mask;
    }
}
