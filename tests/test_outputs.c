/* test_outputs.c -- every entry point writes its outputs on every path
   (issue 14, finding 6): batches and plans that fail early (d = 0,
   d > MVN_MAX_DIM, a required backend that is not there, a NULL context,
   NULL strides, a NULL plan) set p, logp, abserr to NaN and status[t] to
   the status, as the header promises. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

enum { N = 4, D = 3 };
static double p[N], lp[N], ae[N], le[N];
static int st[N];
static double sigma[D * D], upper[N * D];
static const ptrdiff_t vs[2] = {D, 1}, ss[3] = {0, D, 1};

static void poison(void)
{
    for (int t = 0; t < N; ++t) {
        p[t] = lp[t] = ae[t] = le[t] = 0.5;
        st[t] = -7;
    }
}

/* All outputs NaN and every status = want. */
static int failed(int want)
{
    int ok = 1;
    for (int t = 0; t < N; ++t)
        ok &= isnan(p[t]) && isnan(lp[t]) && isnan(ae[t]) && st[t] == want;
    return ok;
}

int main(void)
{
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            sigma[i * D + j] = i == j ? 1.0 : 0.25;
    for (int k = 0; k < N * D; ++k)
        upper[k] = 0.3;
    mvn_context *ctx = mvn_context_alloc();

    poison();
    int r = mvn_prob_batch(ctx, N, 0, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                           MVN_SIGMA_COV, p, lp, ae, st);
    tap_ok(r == MVN_EDIM && failed(MVN_EDIM), "batch with d = 0: NaN outputs, MVN_EDIM statuses");
    poison();
    r = mvn_logprob_batch(ctx, N, (size_t)MVN_MAX_DIM + 1, NULL, NULL, upper, vs, NULL, NULL,
                          sigma, ss, MVN_SIGMA_COV, p, lp, ae, le, st);
    tap_ok(r == MVN_EDIM && failed(MVN_EDIM), "logprob batch with d > MVN_MAX_DIM: NaN outputs");
    /* logerr has one value per problem, whatever d is: it is written too
       (found by tests/fuzz/fuzz_api.c). */
    tap_ok(isnan(le[0]) && isnan(le[N - 1]), "  and NaN logerr");
    poison();
    r = mvn_logprob_batch(ctx, N, 0, NULL, NULL, upper, vs, NULL, NULL,
                          sigma, ss, MVN_SIGMA_COV, p, lp, ae, le, st);
    tap_ok(r == MVN_EDIM && failed(MVN_EDIM) && isnan(le[0]) && isnan(le[N - 1]),
           "logprob batch with d = 0: NaN outputs and logerr");
    poison();
    r = mvn_prob_batch(NULL, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                       MVN_SIGMA_COV, p, lp, ae, st);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "NULL context: NaN outputs, MVN_EINVAL statuses");
    poison();
    r = mvn_prob_batch(ctx, N, D, NULL, NULL, upper, NULL, NULL, NULL, sigma, ss,
                       MVN_SIGMA_COV, p, lp, ae, st);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "NULL strides: NaN outputs");

    mvn_plan *plan = mvn_plan_alloc(ctx, D, sigma, ss + 1, MVN_SIGMA_COV, NULL);
    poison();
    r = mvn_plan_prob(ctx, NULL, N, NULL, NULL, upper, vs, NULL, NULL, p, lp, ae, st);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "NULL plan: NaN outputs");
    poison();
    r = mvn_plan_prob(NULL, plan, N, NULL, NULL, upper, vs, NULL, NULL, p, lp, ae, st);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "plan with NULL context: NaN outputs");
    poison();
    r = mvn_plan_prob(ctx, plan, N, NULL, NULL, upper, NULL, NULL, NULL, p, lp, ae, st);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "plan with NULL strides: NaN outputs");

    /* A required backend that is not there. */
    setenv("MVN_PLUGIN_PATH", "/nonexistent-mvn-plugins", 1);
    mvn_context_set(ctx, MVN_OPT_BACKEND, MVN_BACKEND_CUDA);
    poison();
    r = mvn_prob_batch(ctx, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                       MVN_SIGMA_COV, p, lp, ae, st);
    tap_ok(r == MVN_EBACKEND && failed(MVN_EBACKEND), "missing backend: NaN outputs");
    poison();
    r = mvn_plan_prob(ctx, plan, N, NULL, NULL, upper, vs, NULL, NULL, p, lp, ae, st);
    tap_ok(r == MVN_EBACKEND && failed(MVN_EBACKEND), "plan, missing backend: NaN outputs");
    double g[N * D];
    for (int k = 0; k < N * D; ++k)
        g[k] = 0.5;
    poison();
    r = mvn_prob_grad_batch(ctx, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                            MVN_SIGMA_COV, p, lp, ae, st, NULL, g, NULL, NULL);
    int gnan = 1;
    for (int k = 0; k < N * D; ++k)
        gnan &= isnan(g[k]);
    tap_ok(r == MVN_EBACKEND && failed(MVN_EBACKEND) && gnan,
           "gradient batch, missing backend: NaN values and derivatives");
    mvn_context_set(ctx, MVN_OPT_BACKEND, MVN_BACKEND_AUTO);

    /* The descriptor: an unknown computation still writes host outputs. */
    mvn_batch_desc b;
    mvn_batch_desc_init(&b, N, D);
    b.upper = upper; memcpy(b.upper_strides, vs, sizeof vs);
    b.sigma = sigma; memcpy(b.sigma_strides, ss, sizeof ss);
    b.p = p; b.p_stride = 1; b.status = st; b.status_stride = 1;
    b.logp = lp; b.logp_stride = 1; b.abserr = ae; b.abserr_stride = 1;
    poison();
    r = mvn_batch_compute(ctx, 42, &b);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "descriptor, unknown computation: NaN outputs");
    poison();
    b.d = 0;
    r = mvn_batch_compute(ctx, MVN_COMPUTE_PROB, &b);
    tap_ok(r == MVN_EDIM && failed(MVN_EDIM), "descriptor with d = 0: NaN outputs");
    /* A NULL context has no message, but the outputs are still written
       (found by tests/fuzz/fuzz_api.c). */
    b.logerr = le; b.logerr_stride = 1;
    poison();
    r = mvn_batch_compute(NULL, MVN_COMPUTE_PROB, &b);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL) && isnan(le[0]) && isnan(le[N - 1]),
           "descriptor with a NULL context (and d = 0): NaN outputs and logerr");
    poison();
    b.d = D;
    r = mvn_batch_compute(NULL, MVN_COMPUTE_GRAD, &b);
    tap_ok(r == MVN_EINVAL && failed(MVN_EINVAL), "gradient descriptor with a NULL context: NaN outputs");
    mvn_plan_free(plan);
    mvn_context_free(ctx);
    return tap_exit();
}
