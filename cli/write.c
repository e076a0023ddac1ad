/* write.c -- writing records: a JSON object per problem line (result or error), one line each, in the documented key order. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The name of a status in the output: the library's name without "MVN_",
   in lower case ("etol"), so that a script can match it against the C
   documentation. */
const char *cli_status_name(int status)
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
    json_t *msg = json_string(buf);
    if (msg == NULL) {
        /* Not valid UTF-8 (a reason quoting input bytes, cut short):
           every error record keeps a message, with such bytes as '?'. */
        for (char *c = buf; *c; ++c)
            if ((unsigned char)*c >= 0x80)
                *c = '?';
        msg = json_string(buf);
    }
    json_object_set_new(rec, "message", msg);
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
void cli_write_line_error(cli_state *st, unsigned long line,
                          const json_t *id, int status, const char *reason)
{
    json_t *rec = record_new(st, line, id);
    if (status == LINE_ERROR)
        json_object_set_new(rec, "status", json_string("error"));
    else {
        json_object_set_new(rec, "status", json_string(cli_status_name(status)));
        json_object_set_new(rec, "status_code", json_integer(status));
    }
    set_message(rec, line, "%s", reason);
    ++st->n_failed;
    record_emit(st, rec);
}

void cli_write_result(cli_state *st, unsigned long line, const json_t *id,
                      const cli_result *res)
{
    int rc = res->status;
    int answered = rc == MVN_OK || rc == MVN_ETOL;
    double logerr = res->logerr;
    json_t *rec = record_new(st, line, id);
    if (answered && res->quantile) {
        json_object_set_new(rec, "q", json_num(res->q));
        json_object_set_new(rec, "q_err", json_num(res->q_err));
    }
    if (answered && res->samples) {
        /* Rows past an MVN_ETOL budget are NaN: written as null. */
        json_t *rows = json_array();
        for (size_t r = 0; r < res->n_samples; ++r)
            json_array_append_new(rows, json_vec(res->samples + r * res->d, res->d));
        json_object_set_new(rec, "samples", rows);
        json_object_set_new(rec, "accept_rate", json_num(res->accept_rate));
    } else if (answered) {
        json_object_set_new(rec, "p", json_num(res->p));
        json_object_set_new(rec, "logp", json_num(res->logp));
        json_object_set_new(rec, "abserr", json_num(res->abserr));
        json_object_set_new(rec, "logerr", json_num(logerr));
    }
    json_object_set_new(rec, "status", json_string(cli_status_name(rc)));
    json_object_set_new(rec, "status_code", json_integer(rc));
    if (answered) {
        const char *backend = mvn_option_value_name(MVN_OPT_BACKEND, res->backend);
        json_object_set_new(rec, "evaluations",
                            json_integer((json_int_t)res->evaluations));
        json_object_set_new(rec, "backend",
                            json_string(backend ? backend : "unknown"));
    }
    if (rc != MVN_OK) {
        const char *msg = res->message;
        set_message(rec, line, "%s%s%s", mvn_strerror(rc),
                    (msg && *msg) ? ": " : "", (msg && *msg) ? msg : "");
        if (rc == MVN_ETOL)
            ++st->n_warned;
        else
            ++st->n_failed;
    }
    if (res->grad && answered) {
        json_object_set_new(rec, "d_lower", json_vec(res->d_lower, res->d));
        json_object_set_new(rec, "d_upper", json_vec(res->d_upper, res->d));
        /* A t line has no derivatives in its noncentrality. */
        if (res->d_mean)
            json_object_set_new(rec, "d_mean", json_vec(res->d_mean, res->d));
        if (res->d_cov)
            json_object_set_new(rec, "d_cov", json_mat(res->d_cov, res->d));
    }
    record_emit(st, rec);
}
