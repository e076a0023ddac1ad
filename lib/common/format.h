/*
 * common/format.h -- locale-neutral formatting and parsing of numbers.
 * Messages are written in the C locale ("0.25") whatever LC_NUMERIC the
 * host set, and option text is parsed the same way.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_COMMON_FORMAT_H
#define MVNI_COMMON_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define MVNI_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define MVNI_PRINTF_LIKE(f, a)
#endif

/* snprintf / vsnprintf in the C locale (thread-local switch with
   uselocale, so other threads are not affected). */
int mvni_format(char *buf, size_t size, const char *fmt, ...) MVNI_PRINTF_LIKE(3, 4);
int mvni_vformat(char *buf, size_t size, const char *fmt, va_list ap);

/* strtod in the C locale. */
double mvni_strtod_c(const char *text, char **end);

#ifdef __cplusplus
}
#endif

#endif
