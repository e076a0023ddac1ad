/*
 * qmc/tail_steps.h -- steps in an earlier variable's tail: the features
 * of the separation-of-variables integrand that lie in a region of small
 * mass near the unit cube's boundary, and the lattice size that resolves
 * them.  Shared by the CPU integrator (qmc/sov.c) and the CUDA plugin
 * (cuda/plugin.c finds the features on the host, cuda/sov_point.h's
 * stopping rule counts the points on the device), so that both stop at
 * the same sizes.  Header-only; see qmc/sov.c "Steps in an earlier
 * variable's tail" for the reasoning.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_QMC_TAIL_STEPS_H
#define MVNI_QMC_TAIL_STEPS_H

#include <math.h>
#include <stdint.h>

#include "mvnorm.h"

/* A row's limit term Phi((lim - c z) / tau) counts as saturated beyond
   MVNI_TAIL_Z of its standard deviations tau / |c| of z. */
#define MVNI_TAIL_Z 3.0
/* Features holding a share of z's interval at least this are seen by the
   first lattice (31 points) and need no rule. */
#define MVNI_TAIL_MAX 0.25
/* A feature of mass mu is resolved with MVNI_TAIL_POINTS / mu points per
   shift. */
#define MVNI_TAIL_POINTS 8.0

/* The device qualifier of mvni_tail_points (cuda/sov_point.h sets it);
   the other functions run on the host only. */
#ifndef MVNI_TAIL_DEVICE_FN
#define MVNI_TAIL_DEVICE_FN static inline
#endif

/* log(Phi(b) - Phi(a)) for a < b from log Phi or log Q on the side of
   zero where a lies; -inf for an empty interval.  The library's own
   mvni_log_norm_diff (exact/univariate.h) is more accurate but internal:
   the CUDA plugin links only the public API, and a screen needs no more
   than this. */
static inline double mvni_tail_log_mass(double a, double b)
{
    if (!(a < b))
        return -INFINITY;
    if (a >= 0.0) {
        const double lqa = mvn_norm_logQ(a);
        const double lqb = isinf(b) ? -INFINITY : mvn_norm_logQ(b);
        return lqa + log1p(-exp(lqb - lqa));
    }
    const double lpb = mvn_norm_logP(b);
    const double lpa = isinf(a) ? -INFINITY : mvn_norm_logP(a);
    return lpb + log1p(-exp(lpa - lpb));
}

/* The share of a standard normal's interval [A, B] below x. */
static inline double mvni_tail_share_below(double A, double B, double x)
{
    if (!(x > A))
        return 0.0;
    if (!(x < B))
        return 1.0;
    return exp(mvni_tail_log_mass(A, x) - mvni_tail_log_mass(A, B));
}

/* Records a feature of mass mu: bit k of *mask when mu is in
   [2^-(k+1), 2^-k).  Masses at or above MVNI_TAIL_MAX, zero, below 2^-64
   or NaN are no feature the rule needs. */
static inline void mvni_tail_mark(uint64_t *mask, double mu)
{
    if (!(mu > 0.0 && mu < MVNI_TAIL_MAX))
        return;
    const int k = (int)floor(-log2(mu));
    if (k < 64)
        *mask |= (uint64_t)1 << k;
}

/*
 * The features of one row with standardized limits lo, hi (divided by
 * the row's L_ii; infinite where absent) as functions of one earlier z
 * of coefficient c (also divided by L_ii; nonzero), the other z's taken
 * as standard normals, which widen the row's conditional standard
 * deviation to tau; z's own interval is [A, B].  Each finite limit's term
 * passes from saturated to saturated over the band (lim -+ Z tau) / c;
 * the band with what lies below it, and the band with what lies above
 * it, are features when their share of [A, B] is small.
 */
static inline void mvni_tail_mark_pair(uint64_t *mask, double lo, double hi, double c,
                                       double tau, double A, double B)
{
    for (int side = 0; side < 2; ++side) {
        const double lim = side ? hi : lo;
        if (isinf(lim) || isnan(lim))
            continue;
        const double z1 = (lim - MVNI_TAIL_Z * tau) / c;
        const double z2 = (lim + MVNI_TAIL_Z * tau) / c;
        const double zl = z1 < z2 ? z1 : z2, zr = z1 < z2 ? z2 : z1;
        /* Only shares in [2^-64, 1/4) are marked; on the whole line those
           need zr in (-9.2, -0.67) or zl in (0.67, 9.2), so everything
           else is skipped before the logarithms (the screen is O(d^2):
           at d = 300 they cost more than a QMC call at abseps 1e-2). */
        const int line = isinf(A) && isinf(B);
        if (line ? zr > -9.5 && zr < -0.6 : zr > A && zr < B)
            mvni_tail_mark(mask, mvni_tail_share_below(A, B, zr));
        if (line ? zl > 0.6 && zl < 9.5 : zl > A && zl < B)
            mvni_tail_mark(mask, 1.0 - mvni_tail_share_below(A, B, zl));
    }
}

/*
 * Whether n points per shift resolve every feature in mask that matters:
 * those of a class whose upper end exceeds thr / 2, thr = tolerance /
 * mean, each needing MVNI_TAIL_POINTS over its class's lower end (both
 * err on the side of more points).  *unresolved: what the features that n
 * points do not resolve, those that matter and those that do not, may
 * hold relative to the mean: the sum of their classes' upper ends, which
 * for the ones that do not matter is at most thr, so that abserr can
 * count them and stay within the tolerance.
 */
MVNI_TAIL_DEVICE_FN int mvni_tail_resolved(uint64_t mask, double thr, double n,
                                           double *unresolved)
{
    int ok = 1;
    double open = 0.0;
    for (int k = 0; k < 64; ++k) {
        if (!(mask >> k & 1) || n >= MVNI_TAIL_POINTS * ldexp(1.0, k + 1))
            continue;
        open += ldexp(1.0, -k);
        if (ldexp(1.0, -k) > 0.5 * thr)
            ok = 0;
    }
    *unresolved = open;
    return ok;
}

#endif
