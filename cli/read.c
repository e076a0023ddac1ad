/* read.c -- reading one input line: JSON text -> a problem (limits, mean, cov or chol, id, per-line options), or the reason the line is not one. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

const cli_line_option cli_line_options[N_LINE_OPTIONS] = {
    {"abseps", MVN_OPT_ABSEPS, 0},
    {"releps", MVN_OPT_RELEPS, 0},
    {"maxpts", MVN_OPT_MAXPTS, 1},
    {"seed", MVN_OPT_SEED, 1},
};

/* 2^53: beyond it a double does not hold every integer.  The integral
   options (maxpts, seed) end there. */
#define INT_EXACT 9007199254740992.0

void cli_problem_free(problem *pb)
{
    free(pb->lower);
    free(pb->upper);
    free(pb->mean);
    free(pb->sigma);
}

/* Formats a reason into err (size ERR_LEN) and returns LINE_ERROR. */
static int fail(char *err, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int fail(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
    return LINE_ERROR;
}

/* The length of the longest prefix of s that has at most max bytes and
   ends on a character boundary (s is valid UTF-8, as jansson checks): a
   cut inside a character made the message invalid UTF-8, which jansson
   refuses, and the error record lost its message (found by
   tests/fuzz/fuzz_cli.c). */
static int utf8_prefix(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return (int)n;
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        --max; /* s[max] continues a character: cut before it */
    return (int)max;
}

/* Is v an array (or absent / null, when allowed)? */
static int check_vector_shape(const json_t *v, const char *key,
                              int null_entries_allowed, char *err)
{
    if (json_is_array(v))
        return 0;
    if (null_entries_allowed)
        return fail(err, "\"%s\" must be an array of numbers or null", key);
    return fail(err, "\"%s\" must be an array of numbers", key);
}

/* Copies the JSON array v (length d, already checked) into a new array.
   A null entry becomes null_value when null_allowed, else it is an
   error, as is any non-number. */
static int read_vector(const json_t *v, const char *key, size_t d,
                       int null_allowed, double null_value,
                       double **out, char *err)
{
    double *x = malloc((d ? d : 1) * sizeof *x);
    size_t i;
    if (!x) {
        fail(err, "out of memory reading \"%s\"", key);
        return MVN_ENOMEM;
    }
    for (i = 0; i < d; ++i) {
        const json_t *e = json_array_get(v, i);
        if (json_is_number(e))
            x[i] = json_number_value(e);
        else if (null_allowed && json_is_null(e))
            x[i] = null_value;
        else {
            free(x);
            return fail(err, "\"%s\"[%zu] must be a number%s", key, i,
                        null_allowed ? " or null" : "");
        }
    }
    *out = x;
    return 0;
}

/* Copies the rows of a "cov" or "chol" matrix (checked to be d rows)
   into a row-major d*d array.  A cov row must have d entries; a chol row
   i may have d entries (the strict upper triangle must then be zero) or
   only the i + 1 entries of the lower triangle. */
static int read_matrix(const json_t *m, const char *key, size_t d,
                       int is_chol, double **out, char *err)
{
    size_t i, j;
    double *a;
    /* Check every row's shape before allocating d*d doubles, so that a
       long list of short rows cannot make us allocate a huge matrix. */
    for (i = 0; i < d; ++i) {
        const json_t *row = json_array_get(m, i);
        size_t n;
        if (!json_is_array(row))
            return fail(err, "\"%s\"[%zu] must be an array of numbers", key, i);
        n = json_array_size(row);
        if (is_chol ? (n != d && n != i + 1) : n != d) {
            if (is_chol)
                return fail(err, "\"chol\" row %zu has length %zu, expected %zu "
                            "(or %zu, the lower triangle)", i, n, d, i + 1);
            return fail(err, "\"cov\" is not square: row %zu has length %zu, "
                        "expected %zu", i, n, d);
        }
    }
    a = calloc(d ? d * d : 1, sizeof *a);
    if (!a) {
        fail(err, "out of memory for a %zu x %zu matrix", d, d);
        return MVN_ENOMEM;
    }
    for (i = 0; i < d; ++i) {
        const json_t *row = json_array_get(m, i);
        size_t n = json_array_size(row);
        for (j = 0; j < n; ++j) {
            const json_t *e = json_array_get(row, j);
            double x;
            if (!json_is_number(e)) {
                free(a);
                return fail(err, "\"%s\"[%zu][%zu] must be a number", key, i, j);
            }
            x = json_number_value(e);
            if (is_chol && j > i && x != 0.0) {
                free(a);
                return fail(err, "\"chol\" must be lower triangular: "
                            "entry [%zu][%zu] is %.17g", i, j, x);
            }
            a[i * d + j] = x;
        }
    }
    *out = a;
    return 0;
}

/* Checks the value of line option k.  An integer token is exact in
   jansson (int64), so one beyond 2^53 is refused here with its digits,
   before a conversion to double could round it into the range (2^53 + 1
   became 2^53).  A real at or beyond 2^53, or an integer beyond int64
   (read as a real, see cli_read_problem), may already be rounded; for the
   integral options that is refused too. */
static int check_line_option(int k, const char *key, const json_t *val,
                             char *err)
{
    double lo = 0, hi = 0;
    if (!json_is_number(val))
        return fail(err, "\"%s\" must be a number", key);
    mvn_option_bounds(cli_line_options[k].option, &lo, &hi, NULL);
    if (json_is_integer(val)) {
        json_int_t v = json_integer_value(val);
        if (v > (json_int_t)INT_EXACT || v < -(json_int_t)INT_EXACT)
            return fail(err, "\"%s\": %" JSON_INTEGER_FORMAT " is outside "
                        "[%.17g, %.17g]", key, v, lo, hi);
    } else if (cli_line_options[k].integral
               && fabs(json_real_value(val)) >= INT_EXACT)
        return fail(err, "\"%s\": %.17g is outside [%.17g, %.17g] or a "
                    "rounded value of an integer beyond 2^53 (a real, or an "
                    "integer beyond 64 bits, is read as a double)", key,
                    json_real_value(val), lo, hi);
    return 0;
}
/* "tail" of a quantile problem: "lower", "upper" or "both", or
   mvtnorm's "lower.tail", "upper.tail", "both.tails". */
static int read_tail(const json_t *val, int *tail, char *err)
{
    static const struct {
        const char *name, *mvtnorm;
        int tail;
    } names[3] = {{"lower", "lower.tail", MVN_TAIL_LOWER},
                  {"upper", "upper.tail", MVN_TAIL_UPPER},
                  {"both", "both.tails", MVN_TAIL_BOTH}};
    const char *t = json_is_string(val) ? json_string_value(val) : NULL;
    for (int k = 0; t && k < 3; ++k)
        if (strcmp(t, names[k].name) == 0 || strcmp(t, names[k].mvtnorm) == 0) {
            *tail = names[k].tail;
            return 0;
        }
    return fail(err, "\"tail\" must be \"lower\", \"upper\" or \"both\"");
}


/* Fills pb from the parsed line obj.  Returns 0, LINE_ERROR with the
   reason in err, or a library status (MVN_EDIM, MVN_ENOMEM) for problems
   the library would reject but that we must catch before allocating.
   ints_as_real says that obj was read with JSON_DECODE_INT_AS_REAL. */
static int parse_problem(json_t *obj, problem *pb, int ints_as_real,
                         char *err)
{
    const char *key;
    json_t *val;
    const json_t *lower = NULL, *upper = NULL, *mean = NULL, *mat = NULL;
    const char *mat_key = NULL;
    /* The arrays that fix the dimension, in the order they are compared. */
    const char *names[4];
    size_t lens[4];
    int n_dims = 0, k, rc, tail_given = 0;
    size_t d;

    memset(pb, 0, sizeof *pb);
    if (!json_is_object(obj))
        return fail(err, "a problem must be a JSON object");

    json_object_foreach(obj, key, val) {
        if (strcmp(key, "id") == 0) {
            /* An id is echoed as given; an integer beyond int64, read as a
               double, would be echoed rounded. */
            if (ints_as_real && json_is_real(val)
                && fabs(json_real_value(val)) >= INT_EXACT)
                return fail(err, "\"id\": a number beyond 2^53 on a line "
                            "with integers beyond 64 bits cannot be echoed "
                            "exactly; give the id as a string");
            pb->id = val;
        }
        else if (strcmp(key, "lower") == 0)
            lower = val;
        else if (strcmp(key, "upper") == 0)
            upper = val;
        else if (strcmp(key, "mean") == 0)
            mean = val;
        else if (strcmp(key, "cov") == 0 || strcmp(key, "chol") == 0) {
            if (mat)
                return fail(err, "both \"cov\" and \"chol\" given; give exactly one");
            mat = val;
            mat_key = strcmp(key, "cov") == 0 ? "cov" : "chol";
        } else if (strcmp(key, "df") == 0) {
            if (!json_is_number(val) || !(json_number_value(val) > 0.0))
                return fail(err, "\"df\" must be a positive number (omit it for the normal)");
            pb->df = json_number_value(val);
        } else if (strcmp(key, "sample") == 0) {
            if (!json_is_integer(val) || json_integer_value(val) < 1
                || (double)json_integer_value(val) >= INT_EXACT)
                return fail(err, "\"sample\" must be an integer in [1, 2^53)");
            pb->sample = (size_t)json_integer_value(val);
        } else if (strcmp(key, "grad") == 0) {
            if (!json_is_boolean(val))
                return fail(err, "\"grad\" must be true or false");
            pb->grad = json_is_true(val);
        } else if (strcmp(key, "quantile") == 0) {
            if (!json_is_number(val) || !(json_number_value(val) > 0.0 && json_number_value(val) < 1.0))
                return fail(err, "\"quantile\" must be a probability in (0, 1)");
            pb->quantile = 1;
            pb->quantile_p = json_number_value(val);
        } else if (strcmp(key, "tail") == 0) {
            if ((rc = read_tail(val, &pb->tail, err)) != 0)
                return rc;
            tail_given = 1;
        } else {
            for (k = 0; k < N_LINE_OPTIONS; ++k)
                if (strcmp(key, cli_line_options[k].key) == 0)
                    break;
            if (k == N_LINE_OPTIONS)
                /* A misspelt key ("uper") would otherwise silently mean an
                   infinite limit and a wrong answer, so it is an error. */
                return fail(err, "unknown key \"%.*s\"", utf8_prefix(key, 64), key);
            if ((rc = check_line_option(k, key, val, err)) != 0)
                return rc;
            pb->has_override[k] = 1;
            pb->override[k] = json_number_value(val);
        }
    }

    if (!mat)
        return fail(err, "one of \"cov\" or \"chol\" is required");
    if (pb->df > 0.0 && (pb->sample || strcmp(mat_key, "cov") != 0 ||
                         (pb->grad && pb->quantile)))
        return fail(err, "a \"df\" (multivariate t) line takes \"lower\", \"upper\", "
                    "\"mean\" (the noncentrality), \"cov\" (the scale matrix) and "
                    "\"grad\" only, or \"quantile\" and \"tail\" in place of the limits");
    if (tail_given && !pb->quantile)
        return fail(err, "\"tail\" belongs to a \"quantile\" problem");
    if (pb->quantile && (lower || upper || pb->grad || pb->sample || strcmp(mat_key, "cov") != 0))
        return fail(err, "a \"quantile\" problem takes \"mean\" and \"cov\" only "
                    "(no \"lower\", \"upper\", \"chol\", \"grad\" or \"sample\")");
    if (!json_is_array(mat))
        return fail(err, "\"%s\" must be an array of rows (arrays of numbers)",
                    mat_key);
    pb->is_chol = mat_key[1] == 'h';
    if (pb->sample && (pb->is_chol || pb->grad))
        return fail(err, "\"sample\" takes \"cov\" and no \"grad\"");

    /* A null lower/upper as a whole means the same as an omitted one. */
    if (json_is_null(lower))
        lower = NULL;
    if (json_is_null(upper))
        upper = NULL;
    if (lower && (rc = check_vector_shape(lower, "lower", 1, err)) != 0)
        return rc;
    if (upper && (rc = check_vector_shape(upper, "upper", 1, err)) != 0)
        return rc;
    if (mean && (rc = check_vector_shape(mean, "mean", 0, err)) != 0)
        return rc;

    if (lower) { names[n_dims] = "lower"; lens[n_dims++] = json_array_size(lower); }
    if (upper) { names[n_dims] = "upper"; lens[n_dims++] = json_array_size(upper); }
    if (mean)  { names[n_dims] = "mean";  lens[n_dims++] = json_array_size(mean); }
    names[n_dims] = mat_key;
    lens[n_dims++] = json_array_size(mat);
    for (k = 1; k < n_dims; ++k)
        if (lens[k] != lens[0])
            return fail(err, "length mismatch between %s (%zu) and %s (%zu)",
                        names[0], lens[0], names[k], lens[k]);
    d = lens[0];

    /* The library would answer MVN_EDIM, but only after we had built a
       d*d matrix; refuse first.  The overflow test matters where size_t
       is 32 bits. */
    if (d > MVN_MAX_DIM) {
        fail(err, "dimension %zu exceeds the maximum %d", d, MVN_MAX_DIM);
        return MVN_EDIM;
    }
    if (d > 0 && d > SIZE_MAX / sizeof(double) / d) {
        fail(err, "a %zu x %zu matrix does not fit in memory", d, d);
        return MVN_ENOMEM;
    }
    pb->d = d;

    if ((rc = read_matrix(mat, mat_key, d, pb->is_chol, &pb->sigma, err)) != 0)
        return rc;
    if (lower && (rc = read_vector(lower, "lower", d, 1, -INFINITY, &pb->lower, err)) != 0)
        return rc;
    if (upper && (rc = read_vector(upper, "upper", d, 1, INFINITY, &pb->upper, err)) != 0)
        return rc;
    if (mean && (rc = read_vector(mean, "mean", d, 0, 0.0, &pb->mean, err)) != 0)
        return rc;
    return 0;
}

/* Did jansson refuse the text for an integer beyond int64?  (Error codes
   came with jansson 2.11; 2.10 says so only in the text.) */
static int integer_overflow(const json_error_t *jerr)
{
#if JANSSON_VERSION_HEX >= 0x020b00
    return json_error_code(jerr) == json_error_numeric_overflow
           && strncmp(jerr->text, "too big", 7) == 0;
#else
    return strncmp(jerr->text, "too big", 7) == 0;
#endif
}

int cli_read_problem(const char *text, size_t len, json_t **obj, problem *pb,
                     char *err)
{
    json_error_t jerr;
    const char *nul = memchr(text, '\0', len);
    int ints_as_real = 0;
    memset(pb, 0, sizeof *pb);
    *obj = NULL;
    if (nul)
        return fail(err, "a NUL byte at column %zu (JSON text cannot "
                    "contain one)", (size_t)(nul - text) + 1);
    *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    /* jansson holds integers in int64 and refuses larger ones, which are
       valid JSON numbers: read such a line again with every integer as a
       double (limits, means and covariances are doubles anyway; the
       options and the id are checked in parse_problem). */
    if (!*obj && integer_overflow(&jerr)) {
        ints_as_real = 1;
        *obj = json_loadb(text, len,
                          JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL,
                          &jerr);
        /* Read so, an integer id would be echoed as a real (5.0 for 5):
           make an integral one an integer again (beyond 2^53 it is
           refused in parse_problem). */
        const json_t *id = json_object_get(*obj, "id");
        if (json_is_real(id) && json_real_value(id) == floor(json_real_value(id))
            && fabs(json_real_value(id)) < INT_EXACT)
            json_object_set_new(*obj, "id",
                                json_integer((json_int_t)json_real_value(id)));
    }
    if (!*obj)
        return fail(err, "not valid JSON: %s (column %d)", jerr.text,
                    jerr.column);
    return parse_problem(*obj, pb, ints_as_real, err);
}
