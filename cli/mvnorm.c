/* mvnorm.c -- command-line front end: multivariate normal problems as JSON Lines in, results as JSON Lines out. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Each input line is one JSON object describing P(lower < X < upper),
 * X ~ N(mean, Sigma); each answer is one JSON object on one line, in input
 * order.  A bad line gives an error record and does not stop the others.
 * The program talks to libmvnorm only through its public header.  See
 * doc/mvnorm.1 for the user-facing description of the formats.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* getline, getopt_long */
#endif
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mvnorm.h"

/* Lets the compiler check the format strings of our printf-like helpers. */
#if defined(__GNUC__)
#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF_LIKE(f, a)
#endif

enum {
    EXIT_FAILED = 1, /* some line failed, or an input/output error */
    EXIT_USAGE = 2   /* bad command line */
};

/* Status returned by the line parser when the line itself is at fault
   (rather than the library rejecting the problem). */
#define LINE_ERROR (-1)

/* The name of a status in the output: the library's name without "MVN_",
   in lower case ("etol"), so that a script can match it against the C
   documentation. */
static const char *status_name(int status)
{
    static _Thread_local char buf[32];
    const char *name = mvn_status_name(status);
    if (name == NULL)
        return "unknown";
    size_t k = 0;
    for (const char *c = name + 4; *c && k + 1 < sizeof buf; ++c)
        buf[k++] = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
    buf[k] = '\0';
    return buf;
}

/* Options that a line may override.  The command line sets the base
   values; each line's values apply to that line only. */
#define N_LINE_OPTIONS 4
static const struct {
    const char *key;
    int option;
} line_options[N_LINE_OPTIONS] = {
    {"abseps", MVN_OPT_ABSEPS},
    {"releps", MVN_OPT_RELEPS},
    {"maxpts", MVN_OPT_MAXPTS},
    {"seed", MVN_OPT_SEED},
};

typedef struct {
    mvn_context *ctx;
    double base[N_LINE_OPTIONS];    /* values chosen on the command line */
    double current[N_LINE_OPTIONS]; /* values now set in ctx */
    int grad_all;
    FILE *out;
    const char *file_label; /* input name for records, NULL for one input */
    unsigned long n_problems, n_failed, n_warned;
} cli_state;

/* One parsed problem line.  Arrays are owned; NULL lower/upper/mean mean
   all -inf / all +inf / zero, as in the library. */
typedef struct {
    size_t d;
    double *lower, *upper, *mean, *sigma;
    int is_chol;
    int grad;
    int has_override[N_LINE_OPTIONS];
    double override[N_LINE_OPTIONS];
    const json_t *id; /* borrowed from the parsed line */
} problem;

static void problem_free(problem *pb)
{
    free(pb->lower);
    free(pb->upper);
    free(pb->mean);
    free(pb->sigma);
}

/* ------------------------------------------------------------------ */
/* Usage                                                               */
/* ------------------------------------------------------------------ */

static void print_usage(FILE *f)
{
    fputs(
"Usage: mvnorm [OPTION]... [FILE]...\n"
"Compute multivariate normal probabilities P(lower < X < upper),\n"
"X ~ N(mean, Sigma), for problems given as JSON Lines.\n"
"\n"
"Reads the FILEs (or standard input when there are none, or for \"-\"),\n"
"one JSON object per line, and writes one JSON object per problem line,\n"
"in input order.\n"
"\n"
"Options:\n"
"  --abseps X       absolute error tolerance (default 1e-5)\n"
"  --releps X       relative error tolerance (default 0)\n"
"  --maxpts N       integrand evaluation budget per problem (default 1e7)\n"
"  --seed N         seed of the random lattice shifts (default 0)\n"
"  --threads N      worker threads, 0 = all available (default 0)\n"
"  --method M       auto (exact kernels where possible) or qmc\n"
"  --grad           also compute derivatives for every line\n"
"  --input FILE     read FILE (may be repeated; read before FILE operands)\n"
"  --output FILE    write the results to FILE instead of standard output\n"
"  -h, --help       show this help and exit\n"
"  -V, --version    show the version and exit\n"
"\n"
"Input line (keys other than cov/chol are optional):\n"
"  {\"id\": ANY, \"lower\": [..], \"upper\": [..], \"mean\": [..],\n"
"   \"cov\": [[..], ..] | \"chol\": [[..], ..], \"grad\": true,\n"
"   \"abseps\": X, \"releps\": X, \"maxpts\": N, \"seed\": N}\n"
"  null in lower/upper is -inf/+inf; an omitted lower/upper is all\n"
"  infinite; chol is the lower-triangular factor L with Sigma = L L^T.\n"
"  Blank lines and lines starting with '#' are skipped.\n"
"\n"
"Output line:\n"
"  {\"id\", \"line\", \"p\", \"logp\", \"abserr\", \"logerr\", \"status\", \"status_code\",\n"
"   \"evaluations\", \"message\", \"d_lower\", \"d_upper\", \"d_mean\", \"d_cov\"}\n"
"  Non-finite numbers (logp of P = 0, say) are written as null.\n"
"\n"
"Exit status: 0 if every line succeeded (tolerance warnings included),\n"
"1 if some line failed or a file could not be read or written,\n"
"2 for a command-line error.  See mvnorm(1).\n", f);
}

static _Noreturn void usage_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
static _Noreturn void usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("mvnorm: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'mvnorm --help' for more information.\n", stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------ */
/* Command-line option values                                          */
/* ------------------------------------------------------------------ */

static double parse_number_arg(const char *flag, const char *text)
{
    char *end;
    double v;
    errno = 0;
    v = strtod(text, &end);
    if (end == text || *end != '\0' || errno == ERANGE || isnan(v))
        usage_error("%s: '%s' is not a number", flag, text);
    return v;
}

/* Sets an option from the command line; a value the library refuses is a
   usage error that names the flag and gives the library's reason. */
static void set_option_arg(mvn_context *ctx, const char *flag, int option,
                           const char *text)
{
    double v = parse_number_arg(flag, text);
    int rc = mvn_context_set(ctx, option, v);
    if (rc != MVN_OK) {
        const char *msg = mvn_context_message(ctx);
        usage_error("%s %s: %s%s%s", flag, text, mvn_strerror(rc),
                    (msg && *msg) ? ": " : "", (msg && *msg) ? msg : "");
    }
}

/* ------------------------------------------------------------------ */
/* Parsing one line                                                    */
/* ------------------------------------------------------------------ */

/* Formats a reason into err (size ERR_LEN) and returns LINE_ERROR. */
#define ERR_LEN 512
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
                if (strcmp(key, line_options[k].key) == 0)
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

/* ------------------------------------------------------------------ */
/* Output                                                              */
/* ------------------------------------------------------------------ */

/* JSON has no infinities or NaN: non-finite values are written as null. */
static json_t *json_num(double x)
{
    return isfinite(x) ? json_real(x) : json_null();
}

static json_t *json_vec(const double *x, size_t n)
{
    json_t *a = json_array();
    size_t i;
    for (i = 0; i < n; ++i)
        json_array_append_new(a, json_num(x[i]));
    return a;
}

static json_t *json_mat(const double *x, size_t d)
{
    json_t *a = json_array();
    size_t i;
    for (i = 0; i < d; ++i)
        json_array_append_new(a, json_vec(x + i * d, d));
    return a;
}

/* Starts a record with the fields every record carries. */
static json_t *record_new(const cli_state *st, unsigned long line,
                          const json_t *id)
{
    json_t *rec = json_object();
    if (id)
        json_object_set_new(rec, "id", json_deep_copy(id));
    if (st->file_label)
        json_object_set_new(rec, "file", json_string(st->file_label));
    json_object_set_new(rec, "line", json_integer((json_int_t)line));
    return rec;
}

static void set_message(json_t *rec, unsigned long line, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
static void set_message(json_t *rec, unsigned long line, const char *fmt, ...)
{
    char buf[ERR_LEN + 64];
    int n = snprintf(buf, sizeof buf, "line %lu: ", line);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
    va_end(ap);
    json_object_set_new(rec, "message", json_string(buf));
}

/* Writes rec as one line and frees it.  Flushing each record keeps a
   pipeline (or a program driving mvnorm as a coprocess) moving. */
static void record_emit(cli_state *st, json_t *rec)
{
    json_dumpf(rec, st->out,
               JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    fputc('\n', st->out);
    fflush(st->out);
    json_decref(rec);
}

/* Error record for a line we could not turn into a problem.  status is
   LINE_ERROR (reported as "error") or a library status code. */
static void emit_line_error(cli_state *st, unsigned long line,
                            const json_t *id, int status, const char *reason)
{
    json_t *rec = record_new(st, line, id);
    if (status == LINE_ERROR)
        json_object_set_new(rec, "status", json_string("error"));
    else {
        json_object_set_new(rec, "status", json_string(status_name(status)));
        json_object_set_new(rec, "status_code", json_integer(status));
    }
    set_message(rec, line, "%s", reason);
    ++st->n_failed;
    record_emit(st, rec);
}

/* ------------------------------------------------------------------ */
/* Solving one problem                                                 */
/* ------------------------------------------------------------------ */

/* Puts the options for this line into the context: the line's overrides
   where given, the command line's values elsewhere.  On a refused value,
   writes the reason to err and returns the status. */
static int apply_line_options(cli_state *st, const problem *pb, char *err)
{
    int k;
    for (k = 0; k < N_LINE_OPTIONS; ++k) {
        double want = pb->has_override[k] ? pb->override[k] : st->base[k];
        int rc;
        if (want == st->current[k])
            continue;
        rc = mvn_context_set(st->ctx, line_options[k].option, want);
        if (rc != MVN_OK) {
            const char *msg = mvn_context_message(st->ctx);
            snprintf(err, ERR_LEN, "\"%s\": %.17g: %s%s%s", line_options[k].key,
                     want, mvn_strerror(rc), (msg && *msg) ? ": " : "",
                     (msg && *msg) ? msg : "");
            return rc;
        }
        st->current[k] = want;
    }
    return MVN_OK;
}

static void solve(cli_state *st, unsigned long line, const problem *pb)
{
    size_t d = pb->d;
    int grad = pb->grad || st->grad_all;
    double p, logp, abserr, logerr = NAN;
    double *dl = NULL, *du = NULL, *dm = NULL, *ds = NULL;
    char err[ERR_LEN];
    int rc;
    json_t *rec;

    rc = apply_line_options(st, pb, err);
    if (rc != MVN_OK) {
        emit_line_error(st, line, pb->id, rc, err);
        return;
    }

    if (grad) {
        size_t n = d ? d : 1;
        dl = malloc(n * sizeof *dl);
        du = malloc(n * sizeof *du);
        dm = malloc(n * sizeof *dm);
        ds = malloc(n * n * sizeof *ds); /* n*n checked against SIZE_MAX */
        if (!dl || !du || !dm || !ds) {
            free(dl); free(du); free(dm); free(ds);
            emit_line_error(st, line, pb->id, MVN_ENOMEM,
                            "out of memory for the derivatives");
            return;
        }
    }

    if (!grad) {
        /* A batch of one: the call that also estimates the error of log P,
           which stays meaningful where p and abserr underflow. */
        ptrdiff_t vs[2] = {(ptrdiff_t)d, 1};
        ptrdiff_t ms[3] = {(ptrdiff_t)(d * d), (ptrdiff_t)d, 1};
        int item_status = MVN_OK;
        rc = mvn_logprob_batch(st->ctx, 1, d, pb->lower, vs, pb->upper, vs,
                               pb->mean, vs, pb->sigma, ms,
                               pb->is_chol ? MVN_SIGMA_CHOL : MVN_SIGMA_COV,
                               &p, &logp, &abserr, &logerr, &item_status);
        if (rc == MVN_OK || rc == MVN_ETOL)
            rc = item_status;
    } else if (!pb->is_chol)
        rc = mvn_prob_grad(st->ctx, d, pb->lower, pb->upper, pb->mean,
                           pb->sigma, &p, &logp, &abserr, dl, du, dm, ds);
    else {
        /* There is no single-problem gradient call taking a factor; a
           batch of one does it, and still reports d/dSigma. */
        ptrdiff_t vs[2] = {(ptrdiff_t)d, 1};
        ptrdiff_t ms[3] = {(ptrdiff_t)(d * d), (ptrdiff_t)d, 1};
        int item_status = MVN_OK;
        rc = mvn_prob_grad_batch(st->ctx, 1, d, pb->lower, vs, pb->upper, vs,
                                 pb->mean, vs, pb->sigma, ms, MVN_SIGMA_CHOL,
                                 &p, &logp, &abserr, &item_status,
                                 dl, du, dm, ds);
        if (rc == MVN_OK || rc == MVN_ETOL)
            rc = item_status;
    }

    rec = record_new(st, line, pb->id);
    if (rc == MVN_OK || rc == MVN_ETOL) {
        json_object_set_new(rec, "p", json_num(p));
        json_object_set_new(rec, "logp", json_num(logp));
        json_object_set_new(rec, "abserr", json_num(abserr));
        if (grad && p > 0.0)
            logerr = abserr / p;
        json_object_set_new(rec, "logerr", json_num(logerr));
    }
    json_object_set_new(rec, "status", json_string(status_name(rc)));
    json_object_set_new(rec, "status_code", json_integer(rc));
    if (rc == MVN_OK || rc == MVN_ETOL)
        json_object_set_new(rec, "evaluations",
                            json_integer((json_int_t)mvn_context_evaluations(st->ctx)));
    if (rc != MVN_OK) {
        const char *msg = mvn_context_message(st->ctx);
        set_message(rec, line, "%s%s%s", mvn_strerror(rc),
                    (msg && *msg) ? ": " : "", (msg && *msg) ? msg : "");
        if (rc == MVN_ETOL)
            ++st->n_warned;
        else
            ++st->n_failed;
    }
    if (grad && (rc == MVN_OK || rc == MVN_ETOL)) {
        json_object_set_new(rec, "d_lower", json_vec(dl, d));
        json_object_set_new(rec, "d_upper", json_vec(du, d));
        json_object_set_new(rec, "d_mean", json_vec(dm, d));
        json_object_set_new(rec, "d_cov", json_mat(ds, d));
    }
    record_emit(st, rec);
    free(dl); free(du); free(dm); free(ds);
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

static int is_skipped(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        ++s;
    return *s == '\0' || *s == '#';
}

static void handle_line(cli_state *st, unsigned long line, const char *text,
                        size_t len)
{
    json_error_t jerr;
    json_t *obj;
    problem pb;
    char err[ERR_LEN];
    int rc;

    ++st->n_problems;
    obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!obj) {
        snprintf(err, sizeof err, "not valid JSON: %s (column %d)",
                 jerr.text, jerr.column);
        emit_line_error(st, line, NULL, LINE_ERROR, err);
        return;
    }
    rc = parse_problem(obj, &pb, err);
    if (rc != 0)
        emit_line_error(st, line, pb.id, rc, err);
    else
        solve(st, line, &pb);
    problem_free(&pb);
    json_decref(obj);
}

/* Returns 0, or -1 when the input could not be read. */
static int process_stream(cli_state *st, FILE *in, const char *name)
{
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long line = 0;
    int rc = 0;

    while ((n = getline(&buf, &cap, in)) != -1) {
        size_t len = (size_t)n;
        ++line;
        if (is_skipped(buf))
            continue;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            --len;
        handle_line(st, line, buf, len);
    }
    if (ferror(in)) {
        fprintf(stderr, "mvnorm: error reading %s: %s\n", name, strerror(errno));
        rc = -1;
    }
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    enum { OPT_ABSEPS = 256, OPT_RELEPS, OPT_MAXPTS, OPT_SEED, OPT_THREADS,
           OPT_METHOD, OPT_GRAD, OPT_INPUT, OPT_OUTPUT };
    static const struct option longopts[] = {
        {"abseps", required_argument, NULL, OPT_ABSEPS},
        {"releps", required_argument, NULL, OPT_RELEPS},
        {"maxpts", required_argument, NULL, OPT_MAXPTS},
        {"seed", required_argument, NULL, OPT_SEED},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"method", required_argument, NULL, OPT_METHOD},
        {"grad", no_argument, NULL, OPT_GRAD},
        {"input", required_argument, NULL, OPT_INPUT},
        {"output", required_argument, NULL, OPT_OUTPUT},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0}
    };
    cli_state st;
    const char **inputs;
    size_t n_inputs = 0, i;
    const char *output = NULL;
    int c, k, io_failed = 0;

    memset(&st, 0, sizeof st);
    st.ctx = mvn_context_alloc();
    if (!st.ctx) {
        fputs("mvnorm: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    /* Every argument could be an input file: size the list for that. */
    inputs = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *inputs);
    if (!inputs) {
        fputs("mvnorm: out of memory\n", stderr);
        return EXIT_FAILED;
    }

    opterr = 0; /* our own messages, with the usage hint */
    while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_ABSEPS:
            set_option_arg(st.ctx, "--abseps", MVN_OPT_ABSEPS, optarg);
            break;
        case OPT_RELEPS:
            set_option_arg(st.ctx, "--releps", MVN_OPT_RELEPS, optarg);
            break;
        case OPT_MAXPTS:
            set_option_arg(st.ctx, "--maxpts", MVN_OPT_MAXPTS, optarg);
            break;
        case OPT_SEED:
            set_option_arg(st.ctx, "--seed", MVN_OPT_SEED, optarg);
            break;
        case OPT_THREADS:
            set_option_arg(st.ctx, "--threads", MVN_OPT_THREADS, optarg);
            break;
        case OPT_METHOD: {
            int rc, m;
            if (strcmp(optarg, "auto") == 0)
                m = MVN_METHOD_AUTO;
            else if (strcmp(optarg, "qmc") == 0)
                m = MVN_METHOD_QMC;
            else
                usage_error("--method: '%s' is not one of auto, qmc", optarg);
            rc = mvn_context_set(st.ctx, MVN_OPT_METHOD, m);
            if (rc != MVN_OK)
                usage_error("--method %s: %s: %s", optarg, mvn_strerror(rc),
                            mvn_context_message(st.ctx));
            break;
        }
        case OPT_GRAD:
            st.grad_all = 1;
            break;
        case OPT_INPUT:
            inputs[n_inputs++] = optarg;
            break;
        case OPT_OUTPUT:
            output = optarg;
            break;
        case 'h':
            print_usage(stdout);
            mvn_context_free(st.ctx);
            free(inputs);
            return 0;
        case 'V':
            printf("mvnorm (libmvnorm) %s\n", mvn_version_string());
            mvn_context_free(st.ctx);
            free(inputs);
            return 0;
        case ':':
            usage_error("option '%s' requires an argument", argv[optind - 1]);
            break;
        default:
            if (optopt)
                usage_error("unknown option '-%c'", optopt);
            usage_error("unknown option '%s'", argv[optind - 1]);
        }
    }
    for (; optind < argc; ++optind)
        inputs[n_inputs++] = argv[optind];
    if (n_inputs == 0)
        inputs[n_inputs++] = "-";

    /* Remember the command line's values of the per-line options so that
       a line's override lasts for that line only. */
    for (k = 0; k < N_LINE_OPTIONS; ++k) {
        if (mvn_context_get(st.ctx, line_options[k].option, &st.base[k]) != MVN_OK) {
            fprintf(stderr, "mvnorm: cannot read option %s: %s\n",
                    line_options[k].key, mvn_context_message(st.ctx));
            return EXIT_FAILED;
        }
        st.current[k] = st.base[k];
    }

    if (output && strcmp(output, "-") != 0) {
        st.out = fopen(output, "w");
        if (!st.out) {
            fprintf(stderr, "mvnorm: cannot open %s for writing: %s\n",
                    output, strerror(errno));
            return EXIT_FAILED;
        }
    } else
        st.out = stdout;

    for (i = 0; i < n_inputs; ++i) {
        const char *name = inputs[i];
        int is_stdin = strcmp(name, "-") == 0;
        FILE *in = is_stdin ? stdin : fopen(name, "r");
        if (!in) {
            fprintf(stderr, "mvnorm: cannot open %s: %s\n", name, strerror(errno));
            io_failed = 1;
            continue;
        }
        /* Line numbers restart in each file, so records name the file
           whenever there is more than one. */
        st.file_label = n_inputs > 1 ? name : NULL;
        if (process_stream(&st, in, is_stdin ? "standard input" : name) != 0)
            io_failed = 1;
        if (!is_stdin)
            fclose(in);
    }

    if (fflush(st.out) != 0 || ferror(st.out)
        || (st.out != stdout && fclose(st.out) != 0)) {
        fprintf(stderr, "mvnorm: error writing %s: %s\n",
                output ? output : "standard output", strerror(errno));
        io_failed = 1;
    }
    if (st.n_failed > 0)
        fprintf(stderr, "mvnorm: %lu of %lu problems failed\n",
                st.n_failed, st.n_problems);

    mvn_context_free(st.ctx);
    free(inputs);
    return (st.n_failed > 0 || io_failed) ? EXIT_FAILED : 0;
}
