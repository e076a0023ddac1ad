/*
 * qmc_options.h -- the internal options the tests of the deterministic
 * routes (exact/chain.c, exact/ma1.c) pass when they call them directly:
 * one thread, 10 shifts, error factor 3.5, a budget of 1e7, the given
 * tolerances, no monitor.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_TESTS_QMC_OPTIONS_H
#define MVNORM_TESTS_QMC_OPTIONS_H

#include <string.h>

#include "qmc/qmc.h"

static inline mvni_qmc_options test_qmc_options(double abseps, double releps)
{
    mvni_qmc_options o;
    memset(&o, 0, sizeof o);
    o.abseps = abseps;
    o.releps = releps;
    o.maxpts = 1e7;
    o.shifts = 10;
    o.error_factor = 3.5;
    o.threads = 1;
    return o;
}

#endif
