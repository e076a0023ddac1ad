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
    {"abseps", MVN_OPT_ABSEPS},
    {"releps", MVN_OPT_RELEPS},
    {"maxpts", MVN_OPT_MAXPTS},
    {"seed", MVN_OPT_SEED},
};

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

/* Fills pb from the parsed line obj.  Returns 0, LINE_ERROR with the
   reason in err, or a library status (MVN_EDIM, MVN_ENOMEM) for problems
   the library would reject but that we must catch before allocating. */
static int parse_problem(json_t *obj, problem *pb, char *err)
{
    const char *key;
    json_t *val;
    const json_t *lower = NULL, *upper = NULL, *mean = NULL, *mat = NULL;
    const char *mat_key = NULL;
    /* The arrays that fix the dimension, in the order they are compared. */
    const char *names[4];
    size_t lens[4];
    int n_dims = 0, k, rc;
    size_t d;

    memset(pb, 0, sizeof *pb);
    if (!json_is_object(obj))
        return fail(err, "a problem must be a JSON object");

    json_object_foreach(obj, key, val) {
        if (strcmp(key, "id") == 0)
            pb->id = val;
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
        } else if (strcmp(key, "grad") == 0) {
            if (!json_is_boolean(val))
                return fail(err, "\"grad\" must be true or false");
            pb->grad = json_is_true(val);
        } else {
            for (k = 0; k < N_LINE_OPTIONS; ++k)
                if (strcmp(key, cli_line_options[k].key) == 0)
                    break;
            if (k == N_LINE_OPTIONS)
                /* A misspelt key ("uper") would otherwise silently mean an
                   infinite limit and a wrong answer, so it is an error. */
                return fail(err, "unknown key \"%.64s\"", key);
            if (!json_is_number(val))
                return fail(err, "\"%s\" must be a number", key);
            pb->has_override[k] = 1;
            pb->override[k] = json_number_value(val);
        }
    }

    if (!mat)
        return fail(err, "one of \"cov\" or \"chol\" is required");
    if (!json_is_array(mat))
        return fail(err, "\"%s\" must be an array of rows (arrays of numbers)",
                    mat_key);
    pb->is_chol = mat_key[1] == 'h';

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

int cli_read_problem(const char *text, size_t len, json_t **obj, problem *pb,
                     char *err)
{
    json_error_t jerr;
    memset(pb, 0, sizeof *pb);
    *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*obj)
        return fail(err, "not valid JSON: %s (column %d)", jerr.text,
                    jerr.column);
    return parse_problem(*obj, pb, err);
}
