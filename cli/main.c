/* main.c -- the mvnorm program's command line (options -> library context, usage, exit status) and its loop over input files and lines. */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* ------------------------------------------------------------------ */
/* Usage                                                               */
/* ------------------------------------------------------------------ */

/* The value names of an enumerated option joined by sep ("auto|qmc"),
   as the library spells them; "" for an option without names. */
static const char *value_names(int option, const char *sep)
{
    static char buf[256];
    size_t used = 0;
    int v;
    const char *name;
    buf[0] = '\0';
    for (v = 0; (name = mvn_option_value_name(option, v)) != NULL; ++v) {
        int n = snprintf(buf + used, sizeof buf - used, "%s%s",
                         v ? sep : "", name);
        if (n < 0 || (size_t)n >= sizeof buf - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

/* The name of an enumerated option's default value. */
static const char *default_name(int option)
{
    double def = 0;
    const char *name;
    mvn_option_bounds(option, NULL, NULL, &def);
    name = mvn_option_value_name(option, (int)def);
    return name ? name : "?";
}

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
"  --threads N      worker threads, 0 = all available (default 0)\n", f);
    fprintf(f,
"  --method M       %s (default %s): exact kernels where\n"
"                   possible, QMC always, or QMC with exponential tilting\n",
            value_names(MVN_OPT_METHOD, "|"), default_name(MVN_OPT_METHOD));
    fprintf(f,
"  --reorder R      %s (default %s): variable reordering for QMC\n",
            value_names(MVN_OPT_REORDER, "|"), default_name(MVN_OPT_REORDER));
    fputs(
"  --shifts N       independent random shifts of the lattice (default 8)\n"
"  --error-factor X abserr = X * standard error over the shifts (default 3.5)\n",
          f);
    fprintf(f,
"  --gradient G     %s (default %s): route for derivatives\n",
            value_names(MVN_OPT_GRADIENT, "|"), default_name(MVN_OPT_GRADIENT));
    fprintf(f,
"  --backend B      %s (default %s): where to compute\n",
            value_names(MVN_OPT_BACKEND, "|"), default_name(MVN_OPT_BACKEND));
    fputs(
"  --option NAME=VALUE  set any library option by its name\n"
"                   (abseps, ..., error_factor, gradient)\n"
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
"   \"evaluations\", \"backend\", \"message\", \"d_lower\", \"d_upper\", \"d_mean\",\n"
"   \"d_cov\"}\n"
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

/* Sets option from the text of a command-line value, parsed by the
   library (mvn_option_parse: a number, or a value name for the
   enumerated options).  A value it refuses is a usage error that names
   the flag and says what is accepted. */
static void set_option_arg(mvn_context *ctx, const char *flag, int option,
                           const char *text)
{
    double v, lo = 0, hi = 0;
    int rc;
    if (mvn_option_parse(option, text, &v) != MVN_OK) {
        char *end;
        double x;
        if (mvn_option_value_name(option, 0) != NULL)
            usage_error("%s: '%s' is not one of %s", flag, text,
                        value_names(option, ", "));
        mvn_option_bounds(option, &lo, &hi, NULL);
        x = strtod(text, &end);
        /* An integral x in range is a rounded value (2^53 + 1 reads as
           2^53): the text is out of range, not a fraction. */
        if (end != text && *end == '\0' && x >= lo && x <= hi && x != floor(x))
            usage_error("%s: '%s' is not an integer", flag, text);
        usage_error("%s: '%s' is not a number in [%.17g, %.17g]", flag, text,
                    lo, hi);
    }
    rc = mvn_context_set(ctx, option, v);
    if (rc != MVN_OK) {
        const char *msg = mvn_context_message(ctx);
        usage_error("%s %s: %s%s%s", flag, text, mvn_strerror(rc),
                    (msg && *msg) ? ": " : "", (msg && *msg) ? msg : "");
    }
}

/* --option NAME=VALUE: any library option by its name (as
   mvn_option_from_name accepts it). */
static int set_named_option(mvn_context *ctx, const char *arg)
{
    char name[64], flag[80];
    const char *eq = strchr(arg, '=');
    size_t n = eq ? (size_t)(eq - arg) : 0;
    int option;
    if (!eq || n == 0 || n >= sizeof name)
        usage_error("--option: '%s' is not NAME=VALUE", arg);
    memcpy(name, arg, n);
    name[n] = '\0';
    option = mvn_option_from_name(name);
    if (option == 0) {
        char list[256];
        size_t used = 0;
        int o;
        list[0] = '\0';
        for (o = 1; mvn_option_name(o) != NULL; ++o) {
            int k = snprintf(list + used, sizeof list - used, "%s%s",
                             o > 1 ? ", " : "", mvn_option_name(o));
            if (k < 0 || (size_t)k >= sizeof list - used)
                break;
            used += (size_t)k;
        }
        usage_error("--option: unknown option '%s'; the options are %s",
                    name, list);
    }
    snprintf(flag, sizeof flag, "--option %s", name);
    set_option_arg(ctx, flag, option, eq + 1);
    return option;
}

/* ------------------------------------------------------------------ */
/* Reading                                                             */
/* ------------------------------------------------------------------ */

/* Is the line (len bytes, which may include NUL bytes) blank or a
   comment?  A NUL byte is not blank: such a line gets an error record. */
static int is_skipped(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'
                       || s[i] == '\n'))
        ++i;
    return i == len || s[i] == '#';
}

static void handle_line(cli_state *st, unsigned long line, const char *text,
                        size_t len)
{
    json_t *obj;
    problem pb;
    char err[ERR_LEN];
    int rc;

    ++st->n_problems;
    rc = cli_read_problem(text, len, &obj, &pb, err);
    if (rc != 0)
        cli_write_line_error(st, line, pb.id, rc, err);
    else
        cli_run_problem(st, line, &pb);
    cli_problem_free(&pb);
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
        if (is_skipped(buf, len))
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
    enum { OPT_LIBRARY = 256, OPT_NAMED, OPT_GRAD, OPT_INPUT, OPT_OUTPUT };
    /* The flags that set one library option each; val is OPT_LIBRARY and
       the index in this table is the option's place in flag_options. */
    static const struct {
        const char *flag;
        int option;
    } flag_options[] = {
        {"abseps", MVN_OPT_ABSEPS},
        {"releps", MVN_OPT_RELEPS},
        {"maxpts", MVN_OPT_MAXPTS},
        {"seed", MVN_OPT_SEED},
        {"threads", MVN_OPT_THREADS},
        {"method", MVN_OPT_METHOD},
        {"backend", MVN_OPT_BACKEND},
        {"reorder", MVN_OPT_REORDER},
        {"error-factor", MVN_OPT_ERROR_FACTOR},
        {"shifts", MVN_OPT_SHIFTS},
        {"gradient", MVN_OPT_GRADIENT},
    };
    enum { N_FLAG_OPTIONS = sizeof flag_options / sizeof flag_options[0] };
    static struct option longopts[N_FLAG_OPTIONS + 8];
    cli_state st;
    const char **inputs;
    size_t n_inputs = 0, i;
    const char *output = NULL;
    int c, k, io_failed = 0, longindex;

    for (k = 0; k < N_FLAG_OPTIONS; ++k) {
        longopts[k].name = flag_options[k].flag;
        longopts[k].has_arg = required_argument;
        longopts[k].flag = NULL;
        longopts[k].val = OPT_LIBRARY;
    }
    longopts[k++] = (struct option){"option", required_argument, NULL, OPT_NAMED};
    longopts[k++] = (struct option){"grad", no_argument, NULL, OPT_GRAD};
    longopts[k++] = (struct option){"input", required_argument, NULL, OPT_INPUT};
    longopts[k++] = (struct option){"output", required_argument, NULL, OPT_OUTPUT};
    longopts[k++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[k++] = (struct option){"version", no_argument, NULL, 'V'};
    longopts[k] = (struct option){NULL, 0, NULL, 0};

    memset(&st, 0, sizeof st);
    st.ctx = mvn_context_alloc();
    if (!st.ctx) {
        fputs("mvnorm: out of memory\n", stderr);
        return EXIT_FAILED;
    }
    /* The library defaults to 1 thread (since 0.2) for the sake of
       programs that fork or run their own threads; this program is one
       process solving one problem at a time, so it uses every thread the
       OpenMP runtime offers unless --threads says otherwise. */
    if (mvn_context_set(st.ctx, MVN_OPT_THREADS, 0) != MVN_OK) {
        fprintf(stderr, "mvnorm: cannot set threads: %s\n",
                mvn_context_message(st.ctx));
        return EXIT_FAILED;
    }
    /* Every argument could be an input file: size the list for that. */
    inputs = malloc((size_t)(argc > 0 ? argc : 1) * sizeof *inputs);
    if (!inputs) {
        fputs("mvnorm: out of memory\n", stderr);
        return EXIT_FAILED;
    }

    opterr = 0; /* our own messages, with the usage hint */
    while ((c = getopt_long(argc, argv, ":hV", longopts, &longindex)) != -1) {
        switch (c) {
        case OPT_LIBRARY: {
            char flag[32];
            snprintf(flag, sizeof flag, "--%s", flag_options[longindex].flag);
            set_option_arg(st.ctx, flag, flag_options[longindex].option, optarg);
            st.abseps_given |= flag_options[longindex].option == MVN_OPT_ABSEPS;
            break;
        }
        case OPT_NAMED:
            st.abseps_given |= set_named_option(st.ctx, optarg) == MVN_OPT_ABSEPS;
            break;
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
        if (mvn_context_get(st.ctx, cli_line_options[k].option, &st.base[k]) != MVN_OK) {
            fprintf(stderr, "mvnorm: cannot read option %s: %s\n",
                    cli_line_options[k].key, mvn_context_message(st.ctx));
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
