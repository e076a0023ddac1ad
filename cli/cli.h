/* cli.h -- declarations shared by the files of the mvnorm program: its state, a parsed problem, a result, and the functions of read.c, write.c and run.c. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * The mvnorm program reads problems as JSON Lines and writes one JSON
 * record per problem line.  It is split by job:
 *   read.c   one JSON line -> a problem (or the reason it is not one)
 *   run.c    a problem -> the library -> a result
 *   write.c  results and errors -> JSON records on the output
 *   main.c   the command line and the loop over input lines
 * It talks to libmvnorm only through the public header mvnorm.h.
 */

#ifndef MVNORM_CLI_H
#define MVNORM_CLI_H

#include <stddef.h>
#include <stdio.h>

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

/* Size of the buffers that hold the reason a line failed. */
#define ERR_LEN 512

/* Options that a line may override.  The command line sets the base
   values; each line's values apply to that line only. */
#define N_LINE_OPTIONS 4
typedef struct {
    const char *key; /* the key in an input line */
    int option;      /* MVN_OPT_* */
    int integral;    /* its values are integers (maxpts, seed) */
} cli_line_option;
extern const cli_line_option cli_line_options[N_LINE_OPTIONS]; /* read.c */

typedef struct {
    mvn_context *ctx;
    double base[N_LINE_OPTIONS];    /* values chosen on the command line */
    double current[N_LINE_OPTIONS]; /* values now set in ctx */
    int grad_all;
    /* abseps was set on the command line.  When it was not, a problem
       that asks for a relative tolerance (releps > 0, from the command
       line or its own line) gets abseps = 0: the default absolute 1e-5
       would be met at once by any P below it, and log P would come back
       with a relative error far above the releps asked for. */
    int abseps_given;
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
    double df;        /* "df": multivariate t degrees of freedom; 0: normal */
    int quantile;     /* "quantile" given: the equicoordinate quantile */
    double quantile_p; /* its probability */
    int tail;         /* MVN_TAIL_*, from "tail" (default lower) */
    size_t sample; /* "sample": N draws instead of P; 0 when not asked */
    int has_override[N_LINE_OPTIONS];
    double override[N_LINE_OPTIONS];
    const json_t *id; /* borrowed from the parsed line */
} problem;

/* What the library answered for one problem (run.c fills it, write.c
   writes it).  The values are meaningful when status is MVN_OK or
   MVN_ETOL; the derivatives when grad is set as well. */
typedef struct {
    int status;          /* MVN_* */
    double p, logp, abserr, logerr;
    double evaluations;
    int backend;         /* MVN_BACKEND_* that answered */
    const char *message; /* the library's message; may be NULL or "" */
    int grad;
    size_t d;
    const double *d_lower, *d_upper, *d_mean, *d_cov;
    int quantile;        /* q and q_err are set: a quantile problem */
    double q, q_err;
    size_t n_samples;       /* rows of samples (a "sample" line), else 0 */
    const double *samples;  /* n_samples x d, row-major */
    double accept_rate;
} cli_result;

/* read.c */
/* Decodes one input line (text, len bytes, no newline) into pb.  *obj
   receives the parsed JSON (NULL when it is not valid JSON); pb borrows
   from it, so free it with json_decref after pb is used.  Returns 0,
   LINE_ERROR with the reason in err (ERR_LEN bytes), or a library status
   (MVN_EDIM, MVN_ENOMEM) for a problem refused before allocating. */
int cli_read_problem(const char *text, size_t len, json_t **obj, problem *pb,
                     char *err);
void cli_problem_free(problem *pb);

/* write.c */
/* The name of a status in the output: the library's name without "MVN_",
   in lower case ("etol"). */
const char *cli_status_name(int status);
/* Error record for a line that gave no result.  status is LINE_ERROR
   (reported as "error") or a library status code.  Counts a failure. */
void cli_write_line_error(cli_state *st, unsigned long line, const json_t *id,
                          int status, const char *reason);
/* Record of the library's answer for a line.  Counts a failure or a
   warning as the status says. */
void cli_write_result(cli_state *st, unsigned long line, const json_t *id,
                      const cli_result *res);

/* run.c */
/* Sets the line's options, runs the problem through the library and
   writes its record. */
void cli_run_problem(cli_state *st, unsigned long line, const problem *pb);

#endif /* MVNORM_CLI_H */
