/* fuzz.h -- what the fuzz targets share: a reader that turns the fuzzer's bytes into choices and numbers, and the one way a target reports a broken contract. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The targets (fuzz_api.c, fuzz_cli.c) define LLVMFuzzerTestOneInput and
 * are linked either with libFuzzer (clang -fsanitize=fuzzer, `make fuzz`)
 * or with replay.c (any compiler, the TAP test that replays the corpus in
 * `make check`).  A target that finds a broken contract calls fuzz_fail,
 * which prints what was broken and aborts: libFuzzer keeps the input as a
 * crash, and the replay driver, which runs each input in a child process,
 * reports it as a failed test point.
 */
#ifndef MVN_TESTS_FUZZ_H
#define MVN_TESTS_FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static inline void fuzz_fail(const char *fmt, ...);
static inline void fuzz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz: contract broken: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* Known findings that are not fixed yet (tests/fuzz/pending/README.md)
   have names; the environment variable MVN_FUZZ_KNOWN lists those to let
   pass (comma- or space-separated), so that a campaign goes on looking
   for new findings instead of finding the known ones again.  `make fuzz`
   sets it from tests/fuzz/pending/known; the replay in `make check` does
   not, so every corpus input is held to the whole contract. */
static inline int fuzz_known(const char *name)
{
    const char *k = getenv("MVN_FUZZ_KNOWN");
    size_t n = strlen(name);
    for (const char *s = k; s && (s = strstr(s, name)) != NULL; s += n) {
        int starts = s == k || s[-1] == ',' || s[-1] == ' ' || s[-1] == '\n';
        int ends = s[n] == '\0' || s[n] == ',' || s[n] == ' ' || s[n] == '\n';
        if (starts && ends)
            return 1;
    }
    return 0;
}

/* fuzz_fail unless the finding `name` is known. */
#define fuzz_fail_new(name, ...) \
    do { \
        if (!fuzz_known(name)) \
            fuzz_fail(__VA_ARGS__); \
    } while (0)

/* The input as a stream of bytes; past its end every byte reads as 0, so
   that any input, however short, decodes to a problem (short inputs give
   the simplest ones, which helps libFuzzer's minimizer). */
typedef struct {
    const uint8_t *p;
    size_t n;
} fuzz_reader;

static inline unsigned fuzz_byte(fuzz_reader *in)
{
    if (in->n == 0)
        return 0;
    --in->n;
    return *in->p++;
}

/* k bytes, little-endian. */
static inline uint64_t fuzz_bytes(fuzz_reader *in, int k)
{
    uint64_t v = 0;
    for (int i = 0; i < k; ++i)
        v |= (uint64_t)fuzz_byte(in) << (8 * i);
    return v;
}

#endif /* MVN_TESTS_FUZZ_H */
