/*
 * sample/rng.c -- the random numbers of the samplers: xoshiro256**
 * (Blackman & Vigna, "Scrambled linear pseudorandom number generators",
 * ACM TOMS 47 (2021)), one short stream per proposal, each started from
 * (seed, stream) by SplitMix64 as its authors recommend.
 *
 * Why streams: acceptance-rejection consumes a random number of uniforms
 * per proposal, so one sequential generator would tie every proposal to
 * all earlier ones and to the order threads run in.  Keyed streams make
 * proposal j a pure function of (seed, j).  xoshiro256** has period
 * 2^256 - 1; a proposal needs a few uniforms per coordinate, far below
 * any stream's length, and SplitMix64 spreads neighbouring keys over
 * unrelated states.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "sample/sample.h"

/* SplitMix64 (Steele, Lea & Flood 2014): the golden-ratio increment and
   the finalizer that makes each state a well-mixed 64-bit word. */
#define SPLITMIX_GAMMA 0x9E3779B97F4A7C15ull
/* Keeps stream 0 of seed s apart from stream s of seed 0. */
#define STREAM_KEY 0xD1B54A32D192ED03ull

static uint64_t splitmix_next(uint64_t *state)
{
    uint64_t z = (*state += SPLITMIX_GAMMA);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void mvni_rng_init(mvni_rng *r, uint64_t seed, uint64_t stream)
{
    uint64_t key = seed;
    key = splitmix_next(&key) ^ (stream * STREAM_KEY);
    /* Four consecutive outputs of a bijective mixer are never all zero,
       the one state xoshiro must avoid. */
    for (int i = 0; i < 4; ++i)
        r->s[i] = splitmix_next(&key);
}

uint64_t mvni_rng_next(mvni_rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double mvni_rng_uniform(mvni_rng *r)
{
    return ((double)(mvni_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}
