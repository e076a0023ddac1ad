/*
 * qmc/sov_row.c -- the row setup shared by the SOV integrator and the
 * derivative of its estimator.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include "mvnorm.h"
#include "qmc/sov_row.h"

size_t mvni_sov_row_first(size_t d, const double *L, size_t i)
{
    const double *Li = L + i * d;
    size_t first = 0;
    while (first < i && Li[first] == 0.0)
        ++first;
    return first;
}

void mvni_sov_row_constant(double lo, double hi, int lo_inf, int hi_inf,
                           int *cmode, double *cbase, double *ce)
{
    *cmode = 2;
    *cbase = *ce = 0.0;
    if (lo > 0) {
        const double qa = mvn_norm_Q(lo);
        const double qb = hi_inf ? 0.0 : mvn_norm_Q(hi);
        if (qa >= MVNI_SOV_TINY) {
            *cmode = 1;
            *cbase = qa;
            *ce = qa - qb > 0.0 ? qa - qb : 0.0;
        }
    } else {
        const double pa = lo_inf ? 0.0 : mvn_norm_P(lo);
        const double pb = hi_inf ? 1.0 : mvn_norm_P(hi);
        if (pb >= MVNI_SOV_TINY) {
            *cmode = 0;
            *cbase = pa;
            *ce = pb - pa > 0.0 ? pb - pa : 0.0;
        }
    }
}
