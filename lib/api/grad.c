/*
 * api/grad.c -- public entry points for derivatives: mvn_prob_grad,
 * mvn_prob_grad_batch, mvn_logprob_grad_batch, mvn_prob_hessian,
 * mvn_prob_hessian_batch.  Validation, threads over
 * problems, statuses and messages are those of mvn_prob (the shared batch
 * driver of batch.c); what is computed per problem is gradient.h's.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/batch.h"
#include "api/compute.h"
#include "grad/grad.h"

/* One derivative output: element (t, i) of a vector at
   x[t * s[0] + i * s[1]], element (t, i, j) of a matrix at
   x[t * s[0] + i * s[1] + j * s[2]].  NULL = not wanted. */
typedef struct {
    double *x;
    ptrdiff_t s[3];
} grad_array;

/* Where the derivatives of problem t go; route -1 means the context's
   MVN_OPT_GRADIENT. */
typedef struct {
    int route;
    grad_array d_lower, d_upper, d_mean, d_sigma, h_upper;
    int log_space; /* derivatives of log P (mvn_logprob_grad_batch) */
    grad_array err_lower, err_upper, err_sigma; /* mvn_prob_grad_err_batch */
} grad_user;

/* The item-major contiguous layout of the 0.1 entry points. */
static grad_array vec(double *x, size_t d)
{
    grad_array a = {x, {(ptrdiff_t)d, 1, 0}};
    return a;
}

static grad_array mat(double *x, size_t d)
{
    grad_array a = {x, {(ptrdiff_t)(d * d), (ptrdiff_t)d, 1}};
    return a;
}

static const grad_array none = {NULL, {0, 0, 0}};

/* Problem t's block of a, when it is laid out contiguously (vectors with
   element stride 1, matrices row-major with row stride d); else NULL. */
static double *direct(const grad_array *a, size_t t, size_t d, int matrix)
{
    if (a->x == NULL)
        return NULL;
    int contiguous = matrix ? a->s[1] == (ptrdiff_t)d && a->s[2] == 1 : a->s[1] == 1;
    return contiguous ? a->x + (ptrdiff_t)t * a->s[0] : NULL;
}

/* Copies problem t's block from contiguous scratch into a (strided). */
static void scatter(const grad_array *a, size_t t, size_t d, int matrix,
                    const double *from)
{
    double *base = a->x + (ptrdiff_t)t * a->s[0];
    size_t rows = matrix ? d : 1, cols = d;
    for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < cols; ++j) {
            ptrdiff_t off = matrix ? (ptrdiff_t)i * a->s[1] + (ptrdiff_t)j * a->s[2]
                                   : (ptrdiff_t)j * a->s[1];
            base[off] = from[i * cols + j];
        }
}

static void fill_nan(const grad_array *a, size_t t, size_t d, int matrix)
{
    if (a->x == NULL)
        return;
    double *base = a->x + (ptrdiff_t)t * a->s[0];
    size_t rows = matrix ? d : 1;
    for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < d; ++j)
            base[matrix ? (ptrdiff_t)i * a->s[1] + (ptrdiff_t)j * a->s[2]
                        : (ptrdiff_t)j * a->s[1]] = NAN;
}

static void grad_on_error(void *user, size_t t, size_t d)
{
    const grad_user *u = (const grad_user *)user;
    fill_nan(&u->d_lower, t, d, 0);
    fill_nan(&u->d_upper, t, d, 0);
    fill_nan(&u->d_mean, t, d, 0);
    fill_nan(&u->d_sigma, t, d, 1);
    fill_nan(&u->h_upper, t, d, 1);
    fill_nan(&u->err_lower, t, d, 0);
    fill_nan(&u->err_upper, t, d, 0);
    fill_nan(&u->err_sigma, t, d, 1);
}

/* The eight outputs of one problem in their order in grad_user. */
enum { N_OUT = 8 };

static int grad_item(void *user, size_t t, size_t d, const double *a,
                     const double *b, const double *sigma,
                     const mvni_solve_options *opt, mvni_result *res)
{
    const grad_user *u = (const grad_user *)user;
    const grad_array *arr[N_OUT] = {&u->d_lower, &u->d_upper, &u->d_mean,
                                    &u->d_sigma, &u->h_upper, &u->err_lower,
                                    &u->err_upper, &u->err_sigma};
    static const int is_matrix[N_OUT] = {0, 0, 0, 1, 1, 0, 0, 1};
    double *dst[N_OUT];
    int scattered[N_OUT];
    size_t scratch = 0;
    for (int k = 0; k < N_OUT; ++k) {
        dst[k] = direct(arr[k], t, d, is_matrix[k]);
        scattered[k] = arr[k]->x != NULL && dst[k] == NULL;
        if (scattered[k])
            scratch += is_matrix[k] ? d * d : d;
    }
    /* dP/dmean = -(dP/dlower + dP/dupper) needs both vectors. */
    const int want_mean = arr[2]->x != NULL;
    if (want_mean && dst[0] == NULL && !scattered[0])
        scratch += d;
    if (want_mean && dst[1] == NULL && !scattered[1])
        scratch += d;
    double *tmp = NULL;
    if (scratch > 0) {
        tmp = (double *)malloc(scratch * sizeof(double));
        if (tmp == NULL)
            return MVN_ENOMEM;
    }
    double *next = tmp;
    for (int k = 0; k < N_OUT; ++k)
        if (scattered[k]) {
            dst[k] = next;
            next += is_matrix[k] ? d * d : d;
        }
    for (int k = 0; k < 2; ++k)
        if (want_mean && dst[k] == NULL) {
            dst[k] = next;
            next += d;
        }
    mvni_grad_out out;
    memset(&out, 0, sizeof out);
    out.d_lower = dst[0];
    out.d_upper = dst[1];
    out.g_sigma = dst[3];
    out.h_upper = dst[4];
    out.log_space = u->log_space;
    out.err_lower = dst[5];
    out.err_upper = dst[6];
    out.err_sigma = dst[7];
    int st = mvni_grad_solve(u->route, d, a, b, sigma, opt, res, &out);
    if (want_mean)
        for (size_t i = 0; i < d; ++i)
            dst[2][i] = -(out.d_lower[i] + out.d_upper[i]);
    for (int k = 0; k < N_OUT; ++k)
        if (scattered[k])
            scatter(arr[k], t, d, is_matrix[k], dst[k]);
    free(tmp);
    return st;
}

/* The shared body of every entry point: arguments as mvn_prob_grad_batch.
   Outputs are NaN on every failure that leaves d trustworthy. */
static int grad_run(mvn_context *ctx, size_t n, size_t d,
                    const double *lower, const ptrdiff_t *lower_strides,
                    const double *upper, const ptrdiff_t *upper_strides,
                    const double *mean, const ptrdiff_t *mean_strides,
                    const double *sigma, const ptrdiff_t *sigma_strides,
                    int sigma_kind, double *p, double *logp, double *abserr,
                    int *status, grad_user *u)
{
    if (ctx != NULL && u->route < 0)
        u->route = (int)ctx->option[MVN_OPT_GRADIENT];
    /* A plugin backend gets the call as a descriptor; the Hessian is
       computed on the CPU only (h_upper is not part of the descriptor). */
    if (ctx != NULL && u->h_upper.x == NULL && mvni_wants_plugin(ctx)) {
        mvni_context_begin(ctx);
        mvn_batch_desc desc;
        int st = mvni_desc_checked(ctx, &desc, n, d, lower, lower_strides, upper,
                                   upper_strides, mean, mean_strides, sigma,
                                   sigma_strides, sigma_kind, p, logp, abserr, status);
        if (st != MVN_OK) {
            mvni_fail_outputs(n, d, p, logp, abserr, status, NULL, st, grad_on_error, u);
            return st;
        }
        desc.d_lower = u->d_lower.x;
        desc.d_upper = u->d_upper.x;
        desc.d_mean = u->d_mean.x;
        desc.d_sigma = u->d_sigma.x;
        desc.err_lower = u->err_lower.x;
        desc.err_upper = u->err_upper.x;
        desc.err_sigma = u->err_sigma.x;
        return mvni_compute(ctx, u->log_space ? MVN_COMPUTE_LOG_GRAD : MVN_COMPUTE_GRAD,
                            &desc);
    }
    return mvni_batch_entry(ctx, n, d, lower, lower_strides, upper,
                            upper_strides, mean, mean_strides, sigma,
                            sigma_strides, sigma_kind, grad_item, grad_on_error,
                            u, p, logp, abserr, status, NULL);
}

/* Sets the outputs of a one-problem call to NaN before anything can fail
   (only when d is a valid dimension: otherwise the caller's arrays have
   no trustworthy size). */
static void set_nan(double *x)
{
    if (x)
        *x = NAN;
}

static void one_nan(size_t d, double *p, double *logp, double *abserr,
                    grad_user *u)
{
    set_nan(p);
    set_nan(logp);
    set_nan(abserr);
    if (d >= 1 && d <= MVN_MAX_DIM)
        grad_on_error(u, 0, d);
}

/* One problem with a row-major covariance: a batch of one.  The outputs
   are NaN before anything can fail (mvni_batch_entry checks sigma). */
static int grad_one(mvn_context *ctx, size_t d, const double *lower,
                    const double *upper, const double *mean,
                    const double *sigma, double *p, double *logp,
                    double *abserr, grad_user *u)
{
    one_nan(d, p, logp, abserr, u);
    const ptrdiff_t vs[2] = {0, 1};
    const ptrdiff_t ss[3] = {0, (ptrdiff_t)d, 1};
    return grad_run(ctx, 1, d, lower, vs, upper, vs, mean, vs, sigma, ss,
                    MVN_SIGMA_COV, p, logp, abserr, NULL, u);
}

MVN_API int mvn_prob_grad(mvn_context *ctx, size_t d, const double *lower,
                          const double *upper, const double *mean,
                          const double *sigma, double *p, double *logp,
                          double *abserr, double *d_lower, double *d_upper,
                          double *d_mean, double *d_sigma)
{
    grad_user u = {-1, vec(d_lower, d), vec(d_upper, d), vec(d_mean, d), mat(d_sigma, d),
                   none, 0, none, none, none};
    return grad_one(ctx, d, lower, upper, mean, sigma, p, logp, abserr, &u);
}

MVN_API int mvn_prob_grad_batch(mvn_context *ctx, size_t n, size_t d,
                                const double *lower, const ptrdiff_t *lower_strides,
                                const double *upper, const ptrdiff_t *upper_strides,
                                const double *mean, const ptrdiff_t *mean_strides,
                                const double *sigma, const ptrdiff_t *sigma_strides,
                                int sigma_kind, double *p, double *logp,
                                double *abserr, int *status, double *d_lower,
                                double *d_upper, double *d_mean, double *d_sigma)
{
    grad_user u = {-1, vec(d_lower, d), vec(d_upper, d), vec(d_mean, d), mat(d_sigma, d),
                   none, 0, none, none, none};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}

MVN_API int mvn_prob_hessian(mvn_context *ctx, size_t d, const double *lower,
                             const double *upper, const double *mean,
                             const double *sigma, double *p, double *h_upper)
{
    /* The Hessian always comes from the closed form (route 1). */
    grad_user u = {MVN_GRADIENT_CLOSED_FORM, none, none, none, none, mat(h_upper, d), 0,
                   none, none, none};
    return grad_one(ctx, d, lower, upper, mean, sigma, p, NULL, NULL, &u);
}

MVN_API int mvn_logprob_grad_batch(mvn_context *ctx, size_t n, size_t d,
                                   const double *lower, const ptrdiff_t *lower_strides,
                                   const double *upper, const ptrdiff_t *upper_strides,
                                   const double *mean, const ptrdiff_t *mean_strides,
                                   const double *sigma, const ptrdiff_t *sigma_strides,
                                   int sigma_kind, double *p, double *logp,
                                   double *abserr, int *status, double *d_lower,
                                   double *d_upper, double *d_mean,
                                   double *d_sigma)
{
    grad_user u = {-1, vec(d_lower, d), vec(d_upper, d), vec(d_mean, d), mat(d_sigma, d),
                   none, 1, none, none, none};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}

MVN_API int mvn_prob_hessian_batch(mvn_context *ctx, size_t n, size_t d,
                                   const double *lower, const ptrdiff_t *lower_strides,
                                   const double *upper, const ptrdiff_t *upper_strides,
                                   const double *mean, const ptrdiff_t *mean_strides,
                                   const double *sigma, const ptrdiff_t *sigma_strides,
                                   int sigma_kind, double *p, int *status,
                                   double *h_upper)
{
    /* The Hessian always comes from the closed form (route 1), as for
       mvn_prob_hessian, so item t equals the single call bitwise. */
    grad_user u = {MVN_GRADIENT_CLOSED_FORM, none, none, none, none, mat(h_upper, d), 0,
                   none, none, none};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    NULL, NULL, status, &u);
}

MVN_API int mvn_prob_grad_err_batch(mvn_context *ctx, size_t n, size_t d,
                                    const double *lower, const ptrdiff_t *lower_strides,
                                    const double *upper, const ptrdiff_t *upper_strides,
                                    const double *mean, const ptrdiff_t *mean_strides,
                                    const double *sigma, const ptrdiff_t *sigma_strides,
                                    int sigma_kind, double *p, double *logp,
                                    double *abserr, int *status, double *d_lower,
                                    double *d_upper, double *d_mean, double *d_sigma,
                                    double *err_lower, double *err_upper,
                                    double *err_sigma)
{
    grad_user u = {-1, vec(d_lower, d), vec(d_upper, d), vec(d_mean, d), mat(d_sigma, d),
                   none, 0, vec(err_lower, d), vec(err_upper, d), mat(err_sigma, d)};
    return grad_run(ctx, n, d, lower, lower_strides, upper, upper_strides,
                    mean, mean_strides, sigma, sigma_strides, sigma_kind, p,
                    logp, abserr, status, &u);
}

static grad_array strided(double *x, const ptrdiff_t *s, int matrix)
{
    grad_array a = {x, {s[0], s[1], matrix ? s[2] : 0}};
    return a;
}

int mvni_grad_desc(mvn_context *ctx, const mvn_batch_desc *b, int log_space)
{
    grad_user u = {-1,
                   strided(b->d_lower, b->d_lower_strides, 0),
                   strided(b->d_upper, b->d_upper_strides, 0),
                   strided(b->d_mean, b->d_mean_strides, 0),
                   strided(b->d_sigma, b->d_sigma_strides, 1),
                   none, log_space,
                   strided(b->err_lower, b->err_lower_strides, 0),
                   strided(b->err_upper, b->err_upper_strides, 0),
                   strided(b->err_sigma, b->err_sigma_strides, 1)};
    const ptrdiff_t os[4] = {b->p_stride, b->logp_stride, b->abserr_stride,
                             b->status_stride};
    u.route = (int)ctx->option[MVN_OPT_GRADIENT];
    return mvni_batch_entry(ctx, b->n, b->d, b->lower, b->lower_strides, b->upper,
                            b->upper_strides, b->mean, b->mean_strides, b->sigma,
                            b->sigma_strides, b->sigma_kind, grad_item,
                            grad_on_error, &u, b->p, b->logp, b->abserr,
                            b->status, os);
}
