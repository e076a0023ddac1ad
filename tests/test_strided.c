/* test_strided.c -- the batch descriptor: mvn_batch_compute with strided
   outputs (including negative strides and column-major matrices) gives
   bitwise the numbers of the contiguous pointer-argument entry points
   (mvn_logprob_batch, mvn_prob_grad_err_batch, mvn_logprob_grad_batch);
   device memory on the CPU backend is MVN_EUNSUPPORTED; a descriptor that
   is NULL, too small or names an unknown computation is MVN_EINVAL. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "tap.h"

enum { D = 5, N = 7 };

static double sigma[D * D], lower[N * D], upper[N * D];

static int equal(const double *a, const double *b, size_t n)
{
    return memcmp(a, b, n * sizeof(double)) == 0;
}

/* Problem t, element i of a strided vector output laid out backwards
   (item stride -2 * D from the last block, element stride -1 ... ). */
int main(void)
{
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            sigma[i * D + j] = i == j ? 1.0 + 0.1 * i : 0.3;
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i) {
            lower[t * D + i] = i == 2 ? -INFINITY : -1.0 - 0.1 * t;
            upper[t * D + i] = 0.5 + 0.05 * (t + i);
        }
    const ptrdiff_t vs[2] = {D, 1}, ss[3] = {0, D, 1};
    mvn_context *ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-4);

    /* Reference: the contiguous 0.1 entry points. */
    double p0[N], lp0[N], e0[N], le0[N];
    int s0[N];
    mvn_logprob_batch(ctx, N, D, lower, vs, upper, vs, NULL, NULL, sigma, ss, MVN_SIGMA_COV,
                      p0, lp0, e0, le0, s0);
    static double gl0[N * D], gu0[N * D], gm0[N * D], gs0[N * D * D], el0[N * D], eu0[N * D],
        es0[N * D * D];
    double gp0[N];
    mvn_prob_grad_err_batch(ctx, N, D, lower, vs, upper, vs, NULL, NULL, sigma, ss,
                            MVN_SIGMA_COV, gp0, NULL, NULL, NULL, gl0, gu0, gm0, gs0, el0, eu0,
                            es0);
    static double ll0[N * D], lu0[N * D], lm0[N * D], ls0[N * D * D];
    mvn_logprob_grad_batch(ctx, N, D, lower, vs, upper, vs, NULL, NULL, sigma, ss,
                           MVN_SIGMA_COV, NULL, NULL, NULL, NULL, ll0, lu0, lm0, ls0);

    /* Probabilities: outputs interleaved in one array with stride 4,
       statuses backwards. */
    double packed[4 * N];
    int st_back[N];
    mvn_batch_desc b;
    mvn_batch_desc_init(&b, N, D);
    tap_ok(b.struct_size == sizeof b && b.n == N && b.d == D && b.memory == MVN_MEMORY_HOST &&
           b.p == NULL && b.d_sigma == NULL, "mvn_batch_desc_init zeroes and sets the size");
    b.lower = lower; memcpy(b.lower_strides, vs, sizeof vs);
    b.upper = upper; memcpy(b.upper_strides, vs, sizeof vs);
    b.sigma = sigma; memcpy(b.sigma_strides, ss, sizeof ss);
    b.p = packed; b.p_stride = 4;
    b.logp = packed + 1; b.logp_stride = 4;
    b.abserr = packed + 2; b.abserr_stride = 4;
    b.logerr = packed + 3; b.logerr_stride = 4;
    b.status = st_back + N - 1; b.status_stride = -1;
    int st = mvn_batch_compute(ctx, MVN_COMPUTE_PROB, &b);
    int same = st == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= packed[4 * t] == p0[t] && packed[4 * t + 1] == lp0[t] &&
                packed[4 * t + 2] == e0[t] && packed[4 * t + 3] == le0[t] &&
                st_back[N - 1 - t] == s0[t];
    tap_ok(same, "MVN_COMPUTE_PROB: interleaved and backward outputs bitwise equal to "
           "mvn_logprob_batch");

    /* Gradients: vectors column-major (d x n, element stride N... as
       Julia and R hold them), matrices transposed and walked backwards. */
    static double gl[N * D], gu[N * D], gm[N * D], gs[N * D * D], el[N * D], eu[N * D],
        es[N * D * D];
    double gp[N];
    mvn_batch_desc_init(&b, N, D);
    b.lower = lower; memcpy(b.lower_strides, vs, sizeof vs);
    b.upper = upper; memcpy(b.upper_strides, vs, sizeof vs);
    b.sigma = sigma; memcpy(b.sigma_strides, ss, sizeof ss);
    b.p = gp; b.p_stride = 1;
    b.d_lower = gl; b.d_lower_strides[0] = 1; b.d_lower_strides[1] = N;
    b.d_upper = gu; b.d_upper_strides[0] = 1; b.d_upper_strides[1] = N;
    b.d_mean = gm + N * D - 1; b.d_mean_strides[0] = -D; b.d_mean_strides[1] = -1;
    b.d_sigma = gs + N * D * D - 1;
    b.d_sigma_strides[0] = -D * D; b.d_sigma_strides[1] = -1; b.d_sigma_strides[2] = -D;
    b.err_lower = el; b.err_lower_strides[0] = 1; b.err_lower_strides[1] = N;
    b.err_upper = eu; b.err_upper_strides[0] = D; b.err_upper_strides[1] = 1;
    b.err_sigma = es; b.err_sigma_strides[0] = D * D; b.err_sigma_strides[1] = 1;
    b.err_sigma_strides[2] = D;
    st = mvn_batch_compute(ctx, MVN_COMPUTE_GRAD, &b);
    same = st == MVN_OK && equal(gp, gp0, N);
    int sl = 1, sm = 1, ssg = 1, se = 1;
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i) {
            sl &= gl[i * N + t] == gl0[t * D + i] && gu[i * N + t] == gu0[t * D + i];
            sm &= gm[N * D - 1 - (t * D + i)] == gm0[t * D + i];
            se &= el[i * N + t] == el0[t * D + i] && eu[t * D + i] == eu0[t * D + i];
            for (int j = 0; j < D; ++j) {
                ssg &= gs[N * D * D - 1 - (t * D * D + i + j * D)] == gs0[t * D * D + i * D + j];
                se &= es[t * D * D + i + j * D] == es0[t * D * D + i * D + j];
            }
        }
    tap_ok(same && sl, "MVN_COMPUTE_GRAD: column-major d_lower, d_upper bitwise equal");
    tap_ok(sm && ssg, "MVN_COMPUTE_GRAD: negative strides for d_mean and a transposed, "
           "backward d_sigma bitwise equal");
    tap_ok(se, "MVN_COMPUTE_GRAD: error estimates, strided, bitwise equal to "
           "mvn_prob_grad_err_batch");

    static double ll[N * D], ls[N * D * D];
    mvn_batch_desc_init(&b, N, D);
    b.lower = lower; memcpy(b.lower_strides, vs, sizeof vs);
    b.upper = upper; memcpy(b.upper_strides, vs, sizeof vs);
    b.sigma = sigma; memcpy(b.sigma_strides, ss, sizeof ss);
    b.d_lower = ll; b.d_lower_strides[0] = 1; b.d_lower_strides[1] = N;
    b.d_sigma = ls; b.d_sigma_strides[0] = D * D; b.d_sigma_strides[1] = D;
    b.d_sigma_strides[2] = 1;
    st = mvn_batch_compute(ctx, MVN_COMPUTE_LOG_GRAD, &b);
    same = st == MVN_OK && equal(ls, ls0, N * D * D);
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i)
            same &= ll[i * N + t] == ll0[t * D + i];
    tap_ok(same, "MVN_COMPUTE_LOG_GRAD: bitwise equal to mvn_logprob_grad_batch");

    /* Refusals. */
    b.memory = MVN_MEMORY_CUDA;
    mvn_context_set(ctx, MVN_OPT_BACKEND, MVN_BACKEND_CPU);
    st = mvn_batch_compute(ctx, MVN_COMPUTE_PROB, &b);
    tap_ok(st == MVN_EUNSUPPORTED, "device memory on the CPU backend: MVN_EUNSUPPORTED: %s",
           mvn_context_message(ctx));
    b.memory = MVN_MEMORY_HOST;
    tap_ok(mvn_batch_compute(ctx, 7, &b) == MVN_EINVAL, "unknown computation: MVN_EINVAL");
    b.memory = 5;
    tap_ok(mvn_batch_compute(ctx, MVN_COMPUTE_PROB, &b) == MVN_EINVAL,
           "unknown memory space: MVN_EINVAL");
    b.memory = MVN_MEMORY_HOST;
    b.struct_size = 16;
    st = mvn_batch_compute(ctx, MVN_COMPUTE_PROB, &b);
    tap_ok(st == MVN_EINVAL && strstr(mvn_context_message(ctx), "mvn_batch_desc_init") != NULL,
           "too small struct_size: MVN_EINVAL naming mvn_batch_desc_init");
    tap_ok(mvn_batch_compute(ctx, MVN_COMPUTE_PROB, NULL) == MVN_EINVAL &&
           mvn_batch_compute(NULL, MVN_COMPUTE_PROB, &b) == MVN_EINVAL,
           "NULL descriptor or context: MVN_EINVAL");
    /* A bad input in one problem: NaN in the strided outputs, others fine. */
    mvn_batch_desc_init(&b, N, D);
    double bad_upper[N * D];
    memcpy(bad_upper, upper, sizeof bad_upper);
    bad_upper[3 * D + 1] = NAN;
    b.upper = bad_upper; memcpy(b.upper_strides, vs, sizeof vs);
    b.sigma = sigma; memcpy(b.sigma_strides, ss, sizeof ss);
    b.p = packed; b.p_stride = 2;
    b.status = st_back; b.status_stride = 1;
    st = mvn_batch_compute(ctx, MVN_COMPUTE_PROB, &b);
    tap_ok(st == MVN_ENAN && isnan(packed[6]) && st_back[3] == MVN_ENAN && st_back[2] == MVN_OK &&
           packed[4] > 0, "a NaN input: that problem's strided outputs NaN, the others computed");
    mvn_context_free(ctx);
    return tap_exit();
}
