/* fuzz_cli.c -- libFuzzer target for the mvnorm program's line handling: one input is one input line, read by cli/read.c, run by cli/run.c and written by cli/write.c; the output must be exactly one valid record. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The input is cut at its first newline, as the program's reader cuts
 * lines (cli/main.c, process_stream), and handled as main.c's handle_line
 * does: cli_read_problem, then cli_run_problem or cli_write_line_error,
 * then cli_problem_free and json_decref, with the output going to a
 * memory stream.  Checked (fuzz_fail aborts on the first violation):
 *  - a blank or comment line writes nothing; any other line writes exactly
 *    one line, and that line is a JSON object;
 *  - it has "line": 1 and a "status" that is "error" or a status name;
 *  - "ok" / "etol" records carry numbers: p in [0, 1], logp <= 0 (null,
 *    for -inf, only where p = 0), abserr >= 0 (never null), and with
 *    "grad" arrays of length d (a "df" line: d_lower and d_upper only); a "quantile" record also a number "q"
 *    and "q_err" >= 0 (null: inf); a "sample" record instead of p its N
 *    rows of d entries ("samples") and "accept_rate" in [0, 1];
 *  - every other record carries a "message" string;
 *  - the id, when the line had one, is echoed unchanged.
 * Memory safety and leaks (every path frees what it allocates) are the
 * sanitizers' part (make fuzz).  To keep an input fast the line's maxpts
 * is capped at 20000; derivatives, t probabilities ("df"; with "grad"
 * 2d t probabilities of dimension d - 1), quantiles (several
 * probabilities with derivatives) are asked for only up to d = 4, and "sample" at most 200 draws (the
 * line is then a probability, or draws fewer rows); the program's
 * defaults are abseps 1e-3, maxpts 5000.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz.h"

/* As cli/main.c's is_skipped: blank lines and comments get no record. */
static int is_skipped(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        ++i;
    return i == len || s[i] == '#';
}

static int known_status(const char *s)
{
    if (strcmp(s, "error") == 0)
        return 1;
    for (int k = 0; k < mvn_status_count(); ++k)
        if (strcmp(s, cli_status_name(k)) == 0)
            return 1;
    return 0;
}

static double number_or_fail(const json_t *rec, const char *key, const char *status)
{
    const json_t *v = json_object_get(rec, key);
    if (!json_is_number(v))
        fuzz_fail("status \"%s\" but \"%s\" is not a number", status, key);
    return json_number_value(v);
}

static void check_array(const json_t *rec, const char *key, size_t d, int matrix)
{
    const json_t *a = json_object_get(rec, key);
    if (!json_is_array(a) || json_array_size(a) != d)
        fuzz_fail("\"%s\" is not an array of %zu entries", key, d);
    for (size_t i = 0; matrix && i < d; ++i)
        if (!json_is_array(json_array_get(a, i)) ||
            json_array_size(json_array_get(a, i)) != d)
            fuzz_fail("\"%s\"[%zu] is not an array of %zu entries", key, i, d);
}

/* The one record the line wrote. */
/* What kind of line the record answers (the checks differ). */
typedef struct {
    size_t d;
    int grad, quantile;
    size_t sample; /* rows asked for, 0 when not a sample line */
    int t;         /* a "df" line: its derivatives are d_lower, d_upper only */
} line_kind;

/* A "sample" record: n rows of d numbers (null: NaN rows past a budget)
   and an acceptance rate in [0, 1]. */
static void check_samples(const json_t *rec, const line_kind *k, const char *s)
{
    const json_t *rows = json_object_get(rec, "samples");
    if (!json_is_array(rows) || json_array_size(rows) != k->sample)
        fuzz_fail("status \"%s\" but \"samples\" is not %zu rows", s, k->sample);
    for (size_t r = 0; r < k->sample; ++r) {
        const json_t *row = json_array_get(rows, r);
        if (!json_is_array(row) || json_array_size(row) != k->d)
            fuzz_fail("\"samples\"[%zu] is not an array of %zu entries", r, k->d);
    }
    const double rate = number_or_fail(rec, "accept_rate", s);
    if (!(rate >= 0.0 && rate <= 1.0))
        fuzz_fail("accept_rate = %.17g", rate);
}

static void check_record(const char *out, size_t len, const json_t *id, const line_kind *k)
{
    const size_t d = k->d;
    const int grad = k->grad;
    if (len == 0 || out[len - 1] != '\n')
        fuzz_fail("no record, or a record not ended by a newline (%zu bytes)", len);
    if (memchr(out, '\n', len - 1))
        fuzz_fail("more than one line written: %.*s", (int)len, out);
    json_error_t jerr;
    json_t *rec = json_loadb(out, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(rec))
        fuzz_fail("the record is not a JSON object (%s): %.*s", jerr.text, (int)len, out);
    const json_t *line = json_object_get(rec, "line");
    const json_t *status = json_object_get(rec, "status");
    if (!json_is_integer(line) || json_integer_value(line) != 1)
        fuzz_fail("\"line\" is not 1: %.*s", (int)len, out);
    if (!json_is_string(status) || !known_status(json_string_value(status)))
        fuzz_fail("no known \"status\": %.*s", (int)len, out);
    const char *s = json_string_value(status);
    const int answered = strcmp(s, "ok") == 0 || strcmp(s, "etol") == 0;
    if (answered && k->sample)
        check_samples(rec, k, s);
    if (answered && k->quantile) {
        number_or_fail(rec, "q", s);
        const json_t *qe = json_object_get(rec, "q_err");
        if (!json_is_null(qe) && !(number_or_fail(rec, "q_err", s) >= 0.0))
            fuzz_fail("q_err < 0: %.*s", (int)len, out);
    }
    if (answered && !k->sample) {
        double p = number_or_fail(rec, "p", s);
        /* abserr = inf (written null) was a finding of the exact
           kernels (fixed; its reproducer is corpus/cli/abserr-inf-*). */
        if (json_is_null(json_object_get(rec, "abserr")))
            fuzz_fail_new("abserr-inf", "status \"%s\" but \"abserr\" is null: %.*s", s,
                          (int)len, out);
        double e = json_is_null(json_object_get(rec, "abserr"))
                       ? 0.0 : number_or_fail(rec, "abserr", s);
        /* log P = -inf is written null: only where P = 0. */
        double lp = p == 0.0 && json_is_null(json_object_get(rec, "logp"))
                        ? -INFINITY : number_or_fail(rec, "logp", s);
        if (!(p >= 0.0 && p <= 1.0) || lp > 0.0 || e < 0.0)
            fuzz_fail("p = %.17g, logp = %.17g, abserr = %.17g with status %s", p, lp,
                      e, s);
        if (grad) {
            check_array(rec, "d_lower", d, 0);
            check_array(rec, "d_upper", d, 0);
            check_array(rec, "d_cov", d, 1);
            if (!k->t)
                check_array(rec, "d_mean", d, 0);
            else if (json_object_get(rec, "d_mean"))
                fuzz_fail("a t record with d_mean: %.*s", (int)len, out);
        }
    }
    if (strcmp(s, "ok") != 0 && !json_is_string(json_object_get(rec, "message")))
        fuzz_fail("status \"%s\" without a message: %.*s", s, (int)len, out);
    if (id && !json_equal((json_t *)id, json_object_get(rec, "id")))
        fuzz_fail("the id is not echoed unchanged: %.*s", (int)len, out);
    json_decref(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    size_t len = nl ? (size_t)(nl - text) : size;
    if (is_skipped(text, len))
        return 0;
    while (len > 0 && text[len - 1] == '\r')
        --len;

    cli_state st;
    memset(&st, 0, sizeof st);
    char *out = NULL;
    size_t out_len = 0;
    st.ctx = mvn_context_alloc();
    st.out = open_memstream(&out, &out_len);
    if (!st.ctx || !st.out) {
        mvn_context_free(st.ctx);
        if (st.out)
            fclose(st.out);
        free(out);
        return 0;
    }
    mvn_context_set(st.ctx, MVN_OPT_ABSEPS, 1e-3);
    mvn_context_set(st.ctx, MVN_OPT_MAXPTS, 5000);
    for (int k = 0; k < N_LINE_OPTIONS; ++k) {
        mvn_context_get(st.ctx, cli_line_options[k].option, &st.base[k]);
        st.current[k] = st.base[k];
    }

    /* handle_line of cli/main.c, with the cost capped. */
    json_t *obj;
    problem pb;
    char err[ERR_LEN];
    int rc = cli_read_problem(text, len, &obj, &pb, err);
    const json_t *id = pb.id;
    line_kind kind = {pb.d, 0, 0, 0, 0};
    if (rc != 0)
        cli_write_line_error(&st, 1, pb.id, rc, err);
    else {
        for (int k = 0; k < N_LINE_OPTIONS; ++k)
            if (cli_line_options[k].option == MVN_OPT_MAXPTS && pb.has_override[k] &&
                pb.override[k] > 20000)
                pb.override[k] = 20000;
        if (pb.d > 4)
            pb.grad = 0, pb.df = 0.0, pb.quantile = 0;
        if (pb.sample > 200)
            pb.sample = 200;
        kind.grad = pb.grad;
        kind.quantile = pb.quantile;
        kind.sample = pb.sample;
        kind.t = pb.df > 0.0;
        cli_run_problem(&st, 1, &pb);
    }
    fclose(st.out);
    /* The id is borrowed from obj: compare before freeing it. */
    check_record(out, out_len, id, &kind);
    cli_problem_free(&pb);
    json_decref(obj);
    free(out);
    mvn_context_free(st.ctx);
    return 0;
}
