/*
 * tap.h -- a minimal Test Anything Protocol producer for the C tests.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   tap_plan(n)                   or tap_done() at the end (plan last)
 *   tap_ok(cond, fmt, ...)        one test point
 *   tap_close(got, want, tol, fmt, ...)   |got - want| <= tol
 *   tap_rel(got, want, rtol, fmt, ...)    |got - want| <= rtol |want|
 *   tap_skip_all(reason)          prints "1..0 # SKIP reason", exits 0
 *   return tap_exit();            exit status: 0 if all passed
 */
#ifndef MVN_TESTS_TAP_H
#define MVN_TESTS_TAP_H

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_count_ = 0;
static int tap_failed_ = 0;

static inline void tap_vreport_(int ok, const char *fmt, va_list ap)
{
    ++tap_count_;
    if (!ok)
        ++tap_failed_;
    printf("%s %d - ", ok ? "ok" : "not ok", tap_count_);
    vprintf(fmt, ap);
    printf("\n");
    fflush(stdout);
}

static inline int tap_ok(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tap_vreport_(ok, fmt, ap);
    va_end(ap);
    return ok;
}

static inline int tap_close(double got, double want, double tol, const char *fmt, ...)
{
    int ok = isfinite(got) ? fabs(got - want) <= tol : (got == want);
    va_list ap;
    va_start(ap, fmt);
    tap_vreport_(ok, fmt, ap);
    va_end(ap);
    if (!ok)
        printf("#   got %.17g want %.17g diff %.3g tol %.3g\n", got, want,
               got - want, tol);
    return ok;
}

static inline int tap_rel(double got, double want, double rtol, const char *fmt, ...)
{
    int ok = isfinite(got) ? fabs(got - want) <= rtol * fabs(want) : (got == want);
    va_list ap;
    va_start(ap, fmt);
    tap_vreport_(ok, fmt, ap);
    va_end(ap);
    if (!ok)
        printf("#   got %.17g want %.17g rel %.3g rtol %.3g\n", got, want,
               (got - want) / want, rtol);
    return ok;
}

static inline void tap_diag(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("# ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

/* One skipped test point: "ok N # SKIP reason" (counted as SKIP by the
   harness, never as a pass). */
static inline void tap_skip(const char *reason)
{
    ++tap_count_;
    printf("ok %d # SKIP %s\n", tap_count_, reason);
    fflush(stdout);
}

static inline void tap_skip_all(const char *reason)
{
    printf("1..0 # SKIP %s\n", reason);
    exit(0);
}

static inline int tap_exit(void)
{
    printf("1..%d\n", tap_count_);
    return tap_failed_ ? 1 : 0;
}

#endif
