/*
 * common/format.c -- locale-neutral formatting and parsing of numbers.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/format.h"

/* Switches this thread to the C numeric conventions; returns the locale
   to restore (or 0 when the switch failed: the host's locale is then
   used, which is the best that can be done without memory). */
static locale_t enter_c_locale(locale_t *c)
{
    *c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    return *c ? uselocale(*c) : (locale_t)0;
}

static void leave_c_locale(locale_t c, locale_t old)
{
    if (c) {
        uselocale(old);
        freelocale(c);
    }
}

int mvni_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
    locale_t c;
    locale_t old = enter_c_locale(&c);
    int n = vsnprintf(buf, size, fmt, ap);
    leave_c_locale(c, old);
    return n;
}

int mvni_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = mvni_vformat(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

double mvni_strtod_c(const char *text, char **end)
{
    locale_t c;
    locale_t old = enter_c_locale(&c);
    double v = strtod(text, end);
    leave_c_locale(c, old);
    return v;
}
