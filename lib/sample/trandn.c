/*
 * sample/trandn.c -- exact draws of the standard normal truncated to an
 * interval [l, u], following the case split of Botev's trandn (2017,
 * section 2.2 and the TruncatedNormal package), with the library's own
 * log-space Phi for the inversion:
 *
 *  - l > TAIL_START (or u < -TAIL_START, by symmetry): Marsaglia's
 *    Rayleigh rejection (Marsaglia 1964, with the proposal truncated at
 *    u).  Propose x from the law with density proportional to
 *    x exp(-x^2/2) on [l, u] (exactly, by inversion: x^2/2 is an
 *    exponential shifted to l^2/2 and cut at u^2/2), accept with
 *    probability l/x.  The acceptance rate tends to 1 as l grows and is
 *    above 0.5 from l = 0.66 on, and nothing in it loses precision far in
 *    the tail, where inverting Phi would.
 *  - an interval wider than WIDE_INTERVAL that reaches near 0: propose
 *    standard normals until one falls inside.  Such an interval holds at
 *    least P(-0.66 < Z < 1.34) = 0.66 of the mass.
 *  - otherwise (a short interval within 2.66 of 0): inversion,
 *    Phi^-1(Phi(l) + U (Phi(u) - Phi(l))), in log space on the side of 0
 *    where Phi is small so that nothing cancels.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>

#include "sample/sample.h"
#include "mvnorm.h"

/* Botev's threshold between inversion/normal rejection and the tail
   sampler, and the width beyond which rejection from N(0, 1) beats
   inversion. */
#define TAIL_START 0.66
#define WIDE_INTERVAL 2.0

/* Rayleigh rejection on [l, u], l > 0 (u may be +inf). */
static double tail_draw(double l, double u, mvni_rng *r)
{
    const double c = 0.5 * l * l;
    /* exp(-(u^2 - l^2)/2) - 1, with u^2 - l^2 formed as (u - l)(u + l)
       so that a narrow interval far out keeps its digits. */
    const double f = isinf(u) ? -1.0 : expm1(-0.5 * (u - l) * (u + l));
    for (;;) {
        const double x = c - log1p(mvni_rng_uniform(r) * f);
        const double v = mvni_rng_uniform(r);
        if (v * v * x <= c) {
            const double z = sqrt(2.0 * x);
            return z < l ? l : z > u ? u : z;
        }
    }
}

/* Inversion on a short interval with l + u <= 0 (Phi small on it). */
static double inverse_draw(double l, double u, mvni_rng *r)
{
    const double lpl = mvn_norm_logP(l), lpu = mvn_norm_logP(u);
    /* log(Phi(u) - U (Phi(u) - Phi(l))), inversion with 1 - U (uniform
       too) in the form that stays finite for l = -inf. */
    const double lp = lpu + log1p(mvni_rng_uniform(r) * expm1(lpl - lpu));
    const double z = mvn_norm_logPinv(lp);
    return z < l ? l : z > u ? u : z;
}

double mvni_trandn(double l, double u, mvni_rng *r)
{
    if (l > TAIL_START)
        return tail_draw(l, u, r);
    if (u < -TAIL_START)
        return -tail_draw(-u, -l, r);
    if (u - l > WIDE_INTERVAL) {
        for (;;) {
            const double z = mvn_norm_Pinv(mvni_rng_uniform(r));
            if (l <= z && z <= u)
                return z;
        }
    }
    return l + u <= 0.0 ? inverse_draw(l, u, r) : -inverse_draw(-u, -l, r);
}
