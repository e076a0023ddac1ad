/* run.c -- running one problem through the library: the line's options into the context, the right entry point (probability, log-probability, gradient), the answer into a result for write.c. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Puts the options for this line into the context: the line's overrides
   where given, the command line's values elsewhere.  On a refused value,
   writes the reason to err and returns the status. */
static int apply_line_options(cli_state *st, const problem *pb, char *err)
{
    int k, k_abs = -1, k_rel = -1;
    for (k = 0; k < N_LINE_OPTIONS; ++k) {
        if (cli_line_options[k].option == MVN_OPT_ABSEPS)
            k_abs = k;
        if (cli_line_options[k].option == MVN_OPT_RELEPS)
            k_rel = k;
    }
    /* A relative tolerance alone means relative accuracy (cli_state,
       abseps_given). */
    const double releps = pb->has_override[k_rel] ? pb->override[k_rel]
                                                  : st->base[k_rel];
    const int relative_only = releps > 0.0 && !st->abseps_given &&
                              !pb->has_override[k_abs];
    for (k = 0; k < N_LINE_OPTIONS; ++k) {
        double want = pb->has_override[k] ? pb->override[k] : st->base[k];
        int rc;
        if (k == k_abs && relative_only)
            want = 0.0;
        if (want == st->current[k])
            continue;
        rc = mvn_context_set(st->ctx, cli_line_options[k].option, want);
        if (rc != MVN_OK) {
            const char *msg = mvn_context_message(st->ctx);
            snprintf(err, ERR_LEN, "\"%s\": %.17g: %s%s%s",
                     cli_line_options[k].key, want, mvn_strerror(rc),
                     (msg && *msg) ? ": " : "", (msg && *msg) ? msg : "");
            return rc;
        }
        st->current[k] = want;
    }
    return MVN_OK;
}

/* A result with the library's status and what the context says about the
   call (evaluations, backend, message); everything else empty. */
static cli_result result_from_context(const cli_state *st, int status, size_t d)
{
    cli_result res = {0};
    res.status = status;
    res.p = res.logp = res.abserr = res.logerr = NAN;
    res.evaluations = mvn_context_evaluations(st->ctx);
    res.backend = mvn_context_backend(st->ctx);
    res.message = mvn_context_message(st->ctx);
    res.d = d;
    return res;
}

/* A "sample" line: pb->sample exact draws from the truncated normal. */
static void run_sample(cli_state *st, unsigned long line, const problem *pb)
{
    const size_t d = pb->d, n = pb->sample;
    double *x = d > 0 && n <= SIZE_MAX / sizeof(double) / d
                ? malloc(n * d * sizeof *x) : NULL;
    if (x == NULL && d > 0) {
        cli_write_line_error(st, line, pb->id, MVN_ENOMEM,
                             "out of memory for the samples");
        return;
    }
    double rate;
    const int rc = mvn_sample_truncated(st->ctx, d, pb->lower, pb->upper, pb->mean,
                                        pb->sigma, n, x, &rate);
    cli_result res = result_from_context(st, rc, d);
    res.accept_rate = rate;
    res.n_samples = n;
    res.samples = x;
    cli_write_result(st, line, pb->id, &res);
    free(x);
}

/* A "df" line: the multivariate t probability (mvn_prob_t), with its
   derivatives in the limits and the scale matrix when asked
   (mvn_prob_t_grad_sigma: central or noncentral). */
static void run_student(cli_state *st, unsigned long line, const problem *pb)
{
    double p = NAN, logp = NAN, abserr = NAN;
    const int grad = pb->grad || st->grad_all;
    const size_t d = pb->d ? pb->d : 1;
    double *dl = grad ? malloc((2 * d + d * d) * sizeof *dl) : NULL;
    if (grad && !dl) {
        cli_write_line_error(st, line, pb->id, MVN_ENOMEM, "out of memory for the derivatives");
        return;
    }
    double *du = dl ? dl + d : NULL, *ds = dl ? dl + 2 * d : NULL;
    const int rc = grad ? mvn_prob_t_grad_sigma(st->ctx, pb->d, pb->df, pb->lower, pb->upper,
                                                pb->mean, pb->sigma, &p, &logp, &abserr, dl,
                                                du, ds)
                        : mvn_prob_t(st->ctx, pb->d, pb->df, pb->lower, pb->upper, pb->mean,
                                     pb->sigma, &p, &logp, &abserr);
    cli_result res = result_from_context(st, rc, pb->d);
    res.p = p;
    res.logp = logp;
    res.abserr = abserr;
    res.logerr = p > 0.0 ? abserr / p : NAN;
    res.grad = grad;
    res.d_lower = dl;
    res.d_upper = du;
    res.d_cov = ds;
    cli_write_result(st, line, pb->id, &res);
    free(dl);
}

/* A "quantile" line: the equicoordinate quantile, with P at it; with
   "df" that of the multivariate t ("mean" the noncentrality, as on a
   "df" line). */
static void run_quantile(cli_state *st, unsigned long line, const problem *pb)
{
    double q = NAN, q_err = NAN, p = NAN, abserr = NAN;
    const int rc = pb->df > 0.0
                   ? mvn_quantile_equi_t(st->ctx, pb->d, pb->df, pb->quantile_p, pb->tail,
                                         NULL, pb->mean, pb->sigma, &q, &q_err, &p, &abserr)
                   : mvn_quantile_equi(st->ctx, pb->d, pb->quantile_p, pb->tail, pb->mean,
                                       pb->sigma, &q, &q_err, &p, &abserr);
    cli_result res = result_from_context(st, rc, pb->d);
    res.quantile = 1;
    res.q = q;
    res.q_err = q_err;
    res.p = p;
    res.logp = log(p);
    res.abserr = abserr;
    res.logerr = p > 0.0 ? abserr / p : NAN;
    cli_write_result(st, line, pb->id, &res);
}

void cli_run_problem(cli_state *st, unsigned long line, const problem *pb)
{
    size_t d = pb->d;
    int grad = pb->grad || st->grad_all;
    double p = NAN, logp = NAN, abserr = NAN, logerr = NAN;
    double *dl = NULL, *du = NULL, *dm = NULL, *ds = NULL;
    char err[ERR_LEN];
    int rc;
    cli_result res;

    rc = apply_line_options(st, pb, err);
    if (rc != MVN_OK) {
        cli_write_line_error(st, line, pb->id, rc, err);
        return;
    }
    if (pb->sample) {
        run_sample(st, line, pb);
        return;
    }
    if (pb->quantile) {
        run_quantile(st, line, pb);
        return;
    }
    if (pb->df > 0.0) {
        run_student(st, line, pb);
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
            cli_write_line_error(st, line, pb->id, MVN_ENOMEM,
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
    if (grad && p > 0.0)
        logerr = abserr / p; /* the gradient calls give no logerr */

    res = result_from_context(st, rc, d);
    res.p = p;
    res.logp = logp;
    res.abserr = abserr;
    res.logerr = logerr;
    res.grad = grad;
    res.d_lower = dl;
    res.d_upper = du;
    res.d_mean = dm;
    res.d_cov = ds;
    cli_write_result(st, line, pb->id, &res);
    free(dl); free(du); free(dm); free(ds);
}
