/*
 * exact/univariate.h -- the internal univariate normal helpers (the public
 * mvn_norm_* functions are declared in mvnorm.h).  The one part of exact/
 * that the QMC code uses: interval probabilities along the SOV path.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_EXACT_UNIVARIATE_H
#define MVNI_EXACT_UNIVARIATE_H

#include "mvnorm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* exact/univariate.c                                                     */
/* ------------------------------------------------------------------ */
/* The public mvn_norm_* functions live there.  In addition: */

/* log(Phi(b) - Phi(a)) for a < b (either may be infinite), without
   cancellation in either tail; -inf when the difference is 0. */
double mvni_log_norm_diff(double a, double b);
/* The same for the interval (a, b) whose width w is known more
   accurately than b - a: a conditional interval (l - r x, h - r x) far
   from 0 loses its width to the rounding of its limits, while w = h - l
   does not (exact/bivariate.c).  w is used only where the interval is
   narrow (w max(1, |nearest point to 0|) <= 1). */
double mvni_log_norm_diff_width(double a, double b, double w);
/* Phi(b) - Phi(a) computed without cancellation (uses Q in the upper
   tail). */
double mvni_norm_diff(double a, double b);

#ifdef __cplusplus
}
#endif

#endif
