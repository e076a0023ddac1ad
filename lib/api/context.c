/*
 * api/context.c -- contexts, options, status strings and version queries.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef MVN_HAVE_OPENMP
#include <omp.h>
#endif

#include "api/context.h"
#include "common/format.h"

/* 2^53: the largest integer every double represents exactly, and so the
   bound of integer-valued options. */
#define MVNI_INT_MAX_EXACT 9007199254740992.0

/* One row per option: bounds, default, and whether it must be integral.
   Indexed by the pinned mvn_option values; row 0 is unused. */
static const struct {
    const char *name;
    double lower, upper, def;
    int integral;
} option_table[MVN_OPTION_MAX + 1] = {
    {NULL, 0, 0, 0, 0},
    {"abseps", 0.0, 1.0, 1e-5, 0},
    {"releps", 0.0, 1.0, 0.0, 0},
    {"maxpts", 1000.0, MVNI_INT_MAX_EXACT, 1e7, 1},
    {"seed", 0.0, MVNI_INT_MAX_EXACT, 0.0, 1},
    {"threads", 0.0, 1024.0, 1.0, 1},
    {"method", MVN_METHOD_AUTO, MVN_METHOD_TILTED, MVN_METHOD_AUTO, 1},
    {"backend", MVN_BACKEND_AUTO, MVN_BACKEND_CUDA, MVN_BACKEND_AUTO, 1},
    {"reorder", MVN_REORDER_NONE, MVN_REORDER_GGE_ALWAYS, MVN_REORDER_GGE, 1},
    {"error_factor", 1.0, 10.0, 3.5, 0},
    {"shifts", 2.0, 64.0, 8.0, 1},
    {"gradient", MVN_GRADIENT_CLOSED_FORM, MVN_GRADIENT_ESTIMATOR,
     MVN_GRADIENT_CLOSED_FORM, 1},
};

static int option_known(int option)
{
    return option >= 1 && option <= MVN_OPTION_MAX;
}

MVN_API unsigned mvn_version_number(void) { return MVN_VERSION_NUMBER; }
MVN_API const char *mvn_version_string(void) { return MVN_VERSION_STRING; }
MVN_API int mvn_status_count(void) { return MVN_STATUS_COUNT; }

MVN_API const char *mvn_strerror(int status)
{
    switch (status) {
    case MVN_OK: return "success";
    case MVN_ETOL: return "requested tolerance not reached within the evaluation budget";
    case MVN_EINVAL: return "invalid argument";
    case MVN_EDIM: return "invalid dimension or mismatched sizes";
    case MVN_ENAN: return "NaN or misplaced infinity in the input";
    case MVN_EBOUNDS: return "a lower limit exceeds its upper limit";
    case MVN_ENOTPD: return "covariance matrix is not positive semidefinite";
    case MVN_EASYM: return "covariance matrix is not symmetric";
    case MVN_ENOMEM: return "out of memory";
    case MVN_EBACKEND: return "requested backend is not available";
    case MVN_EUNSUPPORTED: return "request not supported (by the chosen backend, or for these inputs)";
    case MVN_ECANCELED: return "canceled by the progress callback";
    default: return "unknown status";
    }
}

/* The enum names of the status codes, indexed by their pinned values. */
static const char *const status_names[MVN_STATUS_COUNT] = {
    "MVN_OK", "MVN_ETOL", "MVN_EINVAL", "MVN_EDIM", "MVN_ENAN",
    "MVN_EBOUNDS", "MVN_ENOTPD", "MVN_EASYM", "MVN_ENOMEM", "MVN_EBACKEND",
    "MVN_EUNSUPPORTED", "MVN_ECANCELED",
};

/* The names of the values of the enumerated options, NULL-terminated;
   index = value (every enumeration starts at 0 and has no gaps). */
static const char *const method_names[] = {"auto", "qmc", "tilted", NULL};
static const char *const backend_names[] = {"auto", "cpu", "cuda", NULL};
static const char *const reorder_names[] = {"none", "gge", "gge_always", NULL};
static const char *const gradient_names[] = {"closed", "estimator", NULL};

static const char *const *value_names(int option)
{
    switch (option) {
    case MVN_OPT_METHOD: return method_names;
    case MVN_OPT_BACKEND: return backend_names;
    case MVN_OPT_REORDER: return reorder_names;
    case MVN_OPT_GRADIENT: return gradient_names;
    default: return NULL;
    }
}

/* ASCII case-insensitive comparison that also treats '-' as '_'; the C
   library's strcasecmp follows the locale. */
static int name_equal(const char *a, const char *b)
{
    for (;; ++a, ++b) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca == '-')
            ca = '_';
        if (cb == '-')
            cb = '_';
        if (ca != cb)
            return 0;
        if (ca == '\0')
            return 1;
    }
}

/* name without the prefix (any case), or name itself. */
static const char *strip_prefix(const char *name, const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < n; ++i) {
        int c = (unsigned char)name[i];
        if (c >= 'a' && c <= 'z')
            c -= 'a' - 'A';
        if (c != prefix[i])
            return name;
    }
    return name + n;
}

MVN_API const char *mvn_status_name(int status)
{
    return status >= 0 && status < MVN_STATUS_COUNT ? status_names[status] : NULL;
}

MVN_API int mvn_status_from_name(const char *name)
{
    if (name == NULL)
        return -1;
    const char *bare = strip_prefix(name, "MVN_");
    for (int s = 0; s < MVN_STATUS_COUNT; ++s)
        if (name_equal(bare, status_names[s] + 4))
            return s;
    return -1;
}

MVN_API const char *mvn_option_name(int option)
{
    return option_known(option) ? option_table[option].name : NULL;
}

MVN_API int mvn_option_from_name(const char *name)
{
    if (name == NULL)
        return 0;
    const char *bare = strip_prefix(name, "MVN_OPT_");
    for (int o = 1; o <= MVN_OPTION_MAX; ++o)
        if (name_equal(bare, option_table[o].name))
            return o;
    return 0;
}

MVN_API const char *mvn_option_value_name(int option, int value)
{
    const char *const *names = value_names(option);
    if (names == NULL || value < 0)
        return NULL;
    for (int v = 0; names[v] != NULL; ++v)
        if (v == value)
            return names[v];
    return NULL;
}

/* Does the decimal text (as strtod reads it: spaces, sign, digits, a
   point, an exponent) denote exactly the integer whose digits are want?
   Used where strtod may have rounded: at 2^53, the end of the integral
   options' range, 2^53 + 1 rounds to 2^53.  Unusual spellings (hex, more
   than 400 digits) answer no, which refuses the value. */
static int text_is_integer(const char *s, const char *want)
{
    char dig[401];
    size_t n = 0, nw = strlen(want), k;
    long frac = 0, ex = 0;
    int point = 0;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        ++s;
    if (*s == '+')
        ++s;
    for (; (*s >= '0' && *s <= '9') || (*s == '.' && !point); ++s) {
        if (*s == '.') {
            point = 1;
            continue;
        }
        if (n == 0 && *s == '0') {
            frac += point;
            continue;
        }
        if (n == sizeof dig - 1)
            return 0;
        dig[n++] = *s;
        frac += point;
    }
    if (*s == 'e' || *s == 'E') {
        char *end;
        ex = strtol(s + 1, &end, 10);
        s = end;
    }
    if (*s != '\0' || ex > 400 || ex < -400)
        return 0;
    long shift = ex - frac; /* value = digits * 10^shift */
    while (shift < 0 && n > 0 && dig[n - 1] == '0') {
        --n;
        ++shift;
    }
    if (shift < 0 || n + (size_t)shift != nw || strncmp(dig, want, n) != 0)
        return 0;
    for (k = n; k < nw; ++k)
        if (want[k] != '0')
            return 0;
    return 1;
}

MVN_API int mvn_option_parse(int option, const char *text, double *value)
{
    if (!option_known(option) || text == NULL || value == NULL)
        return MVN_EINVAL;
    double v;
    const char *const *names = value_names(option);
    int found = 0;
    for (int k = 0; names != NULL && names[k] != NULL; ++k)
        if (name_equal(text, names[k])) {
            v = k;
            found = 1;
        }
    if (!found) {
        char *end;
        v = mvni_strtod_c(text, &end);
        if (end == text || *end != '\0')
            return MVN_EINVAL;
    }
    if (!(v >= option_table[option].lower && v <= option_table[option].upper))
        return MVN_EINVAL;
    if (option_table[option].integral && v != floor(v))
        return MVN_EINVAL;
    /* The integral options end at 2^53, where strtod rounds 2^53 + 1 down
       into the range: only the exact 2^53 is that value. */
    if (option_table[option].integral && v == MVNI_INT_MAX_EXACT && !found
        && !text_is_integer(text, "9007199254740992"))
        return MVN_EINVAL;
    *value = v;
    return MVN_OK;
}

MVN_API mvn_context *mvn_context_alloc(void)
{
    mvn_context *ctx = (mvn_context *)calloc(1, sizeof *ctx);
    if (ctx == NULL)
        return NULL;
    for (int i = 1; i <= MVN_OPTION_MAX; ++i)
        ctx->option[i] = option_table[i].def;
    /* GPU use is opt-in: MVN_BACKEND=cuda in the environment, read once
       here, turns AUTO into "CUDA when its plugin loads". */
    const char *env = getenv("MVN_BACKEND");
    double b;
    ctx->env_backend = MVN_BACKEND_AUTO;
    if (env != NULL && mvn_option_parse(MVN_OPT_BACKEND, env, &b) == MVN_OK)
        ctx->env_backend = (int)b;
    return ctx;
}

MVN_API void mvn_context_free(mvn_context *ctx)
{
    if (ctx == NULL)
        return;
    mvni_plugin_unload(&ctx->cuda);
    for (int k = 0; k < MVNI_CHI_CACHE; ++k)
        mvni_chi_map_free(&ctx->chi[k].map);
    free(ctx);
}

const mvni_chi_map *mvni_context_chi_map(mvn_context *ctx, double df)
{
    int slot = 0;
    for (int k = 0; k < MVNI_CHI_CACHE; ++k) {
        if (ctx->chi[k].map.u != NULL && ctx->chi[k].map.df == df) {
            ctx->chi[k].use = ++ctx->chi_clock;
            return &ctx->chi[k].map;
        }
        /* An empty entry first, else the least recently used. */
        if (ctx->chi[slot].map.u != NULL &&
            (ctx->chi[k].map.u == NULL || ctx->chi[k].use < ctx->chi[slot].use))
            slot = k;
    }
    mvni_chi_map_free(&ctx->chi[slot].map);
    if (mvni_chi_map_init(&ctx->chi[slot].map, df) != MVN_OK)
        return NULL;
    ctx->chi[slot].use = ++ctx->chi_clock;
    return &ctx->chi[slot].map;
}

MVN_API int mvn_option_bounds(int option, double *lower, double *upper,
                              double *default_value)
{
    if (!option_known(option))
        return MVN_EINVAL;
    if (lower)
        *lower = option_table[option].lower;
    if (upper)
        *upper = option_table[option].upper;
    if (default_value)
        *default_value = option_table[option].def;
    return MVN_OK;
}

MVN_API int mvn_context_set(mvn_context *ctx, int option, double value)
{
    if (ctx == NULL)
        return MVN_EINVAL;
    mvni_context_begin(ctx);
    if (!option_known(option))
        return mvni_fail(ctx, MVN_EINVAL, "unknown option %d", option);
    if (!(value >= option_table[option].lower &&
          value <= option_table[option].upper))
        return mvni_fail(ctx, MVN_EINVAL, "option %s = %g is outside [%g, %g]",
                         option_table[option].name, value,
                         option_table[option].lower, option_table[option].upper);
    if (option_table[option].integral && value != floor(value))
        return mvni_fail(ctx, MVN_EINVAL, "option %s must be an integer, got %g",
                         option_table[option].name, value);
    ctx->option[option] = value;
    return MVN_OK;
}

MVN_API int mvn_context_get(const mvn_context *ctx, int option, double *value)
{
    if (ctx == NULL || value == NULL || !option_known(option))
        return MVN_EINVAL;
    *value = ctx->option[option];
    return MVN_OK;
}

MVN_API const char *mvn_context_message(const mvn_context *ctx)
{
    return ctx ? ctx->message : "no context";
}

MVN_API double mvn_context_evaluations(const mvn_context *ctx)
{
    return ctx ? ctx->evaluations : 0.0;
}

MVN_API int mvn_context_backend(const mvn_context *ctx)
{
    return ctx ? ctx->backend_used : MVN_BACKEND_AUTO;
}

MVN_API int mvn_context_set_progress(mvn_context *ctx, mvn_progress_fn fn,
                                     void *user)
{
    if (ctx == NULL)
        return MVN_EINVAL;
    ctx->progress = fn;
    ctx->progress_user = fn ? user : NULL;
    return MVN_OK;
}

int mvni_fail(mvn_context *ctx, int status, const char *fmt, ...)
{
    if (ctx != NULL) {
        va_list ap;
        va_start(ap, fmt);
        mvni_vformat(ctx->message, sizeof ctx->message, fmt, ap);
        va_end(ap);
    }
    return status;
}

void mvni_context_begin(mvn_context *ctx)
{
    ctx->message[0] = '\0';
    ctx->evaluations = 0.0;
    ctx->backend_used = MVN_BACKEND_AUTO;
}

void mvni_solve_options_from_context(const mvn_context *ctx,
                                     mvni_solve_options *opt)
{
    int threads = (int)ctx->option[MVN_OPT_THREADS];
#ifdef MVN_HAVE_OPENMP
    if (threads == 0)
        threads = omp_get_max_threads();
#else
    threads = 1;
#endif
    opt->method = (int)ctx->option[MVN_OPT_METHOD];
    opt->reorder = (int)ctx->option[MVN_OPT_REORDER];
    opt->qmc.abseps = ctx->option[MVN_OPT_ABSEPS];
    opt->qmc.releps = ctx->option[MVN_OPT_RELEPS];
    opt->qmc.maxpts = ctx->option[MVN_OPT_MAXPTS];
    opt->qmc.seed = (uint64_t)ctx->option[MVN_OPT_SEED];
    opt->qmc.shifts = (int)ctx->option[MVN_OPT_SHIFTS];
    opt->qmc.error_factor = ctx->option[MVN_OPT_ERROR_FACTOR];
    opt->qmc.threads = threads < 1 ? 1 : threads;
    opt->qmc.monitor = NULL;
}
