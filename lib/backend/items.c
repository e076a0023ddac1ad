/*
 * backend/items.c -- what the CPU executor computes per problem:
 * probabilities (with the error of log P) and derivatives, written through
 * any strides.  The entry points choose one of these and hand it to
 * mvni_cpu_run.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend/items.h"
#include "grad/grad.h"
#include "solve/solve.h"

int mvni_prob_item(void *user, size_t t, size_t d, const double *a,
                   const double *b, const double *sigma,
                   const mvni_solve_options *opt, mvni_result *res)
{
    (void)user;
    (void)t;
    return mvni_solve(d, a, b, sigma, opt, res);
}

/* mvn_logprob_batch: the per-problem solve also writes the relative
   error estimate, which is the error estimate of log P. */
int mvni_logprob_item(void *user, size_t t, size_t d, const double *a,
                      const double *b, const double *sigma,
                      const mvni_solve_options *opt, mvni_result *res)
{
    const mvni_logerr_out *o = (const mvni_logerr_out *)user;
    int st = mvni_solve(d, a, b, sigma, opt, res);
    if (o->logerr)
        o->logerr[(ptrdiff_t)t * o->stride] =
            st == MVN_OK || st == MVN_ETOL ? res->relerr : NAN;
    return st;
}

void mvni_logprob_on_error(void *user, size_t t, size_t d)
{
    const mvni_logerr_out *o = (const mvni_logerr_out *)user;
    (void)d;
    if (o->logerr)
        o->logerr[(ptrdiff_t)t * o->stride] = NAN;
}

/* The item-major contiguous layout of the 0.1 entry points. */
mvni_grad_array mvni_grad_vec(double *x, size_t d)
{
    mvni_grad_array a = {x, {(ptrdiff_t)d, 1, 0}};
    return a;
}

mvni_grad_array mvni_grad_mat(double *x, size_t d)
{
    mvni_grad_array a = {x, {(ptrdiff_t)(d * d), (ptrdiff_t)d, 1}};
    return a;
}

const mvni_grad_array mvni_grad_none = {NULL, {0, 0, 0}};

/* Problem t's block of a, when it is laid out contiguously (vectors with
   element stride 1, matrices row-major with row stride d); else NULL. */
static double *direct(const mvni_grad_array *a, size_t t, size_t d, int matrix)
{
    if (a->x == NULL)
        return NULL;
    int contiguous = matrix ? a->s[1] == (ptrdiff_t)d && a->s[2] == 1 : a->s[1] == 1;
    return contiguous ? a->x + (ptrdiff_t)t * a->s[0] : NULL;
}

/* Copies problem t's block from contiguous scratch into a (strided). */
static void scatter(const mvni_grad_array *a, size_t t, size_t d, int matrix,
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

static void fill_nan(const mvni_grad_array *a, size_t t, size_t d, int matrix)
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

void mvni_grad_on_error(void *user, size_t t, size_t d)
{
    const mvni_grad_user *u = (const mvni_grad_user *)user;
    /* The caller's arrays of d (or d*d) values per problem have a
       trustworthy size only when d itself is valid. */
    if (d < 1 || d > MVN_MAX_DIM)
        return;
    fill_nan(&u->d_lower, t, d, 0);
    fill_nan(&u->d_upper, t, d, 0);
    fill_nan(&u->d_mean, t, d, 0);
    fill_nan(&u->d_sigma, t, d, 1);
    fill_nan(&u->h_upper, t, d, 1);
    fill_nan(&u->err_lower, t, d, 0);
    fill_nan(&u->err_upper, t, d, 0);
    fill_nan(&u->err_sigma, t, d, 1);
}

/* The eight outputs of one problem in their order in mvni_grad_user. */
enum { N_OUT = 8 };

int mvni_grad_item(void *user, size_t t, size_t d, const double *a,
                   const double *b, const double *sigma,
                   const mvni_solve_options *opt, mvni_result *res)
{
    const mvni_grad_user *u = (const mvni_grad_user *)user;
    const mvni_grad_array *arr[N_OUT] = {&u->d_lower, &u->d_upper, &u->d_mean,
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
    out.d_mean = want_mean ? dst[2] : NULL;
    int st = mvni_grad_solve(u->route, d, a, b, sigma, opt, res, &out);
    for (int k = 0; k < N_OUT; ++k)
        if (scattered[k])
            scatter(arr[k], t, d, is_matrix[k], dst[k]);
    free(tmp);
    return st;
}

mvni_grad_array mvni_grad_strided(double *x, const ptrdiff_t *s, int matrix)
{
    mvni_grad_array a = {x, {s[0], s[1], matrix ? s[2] : 0}};
    return a;
}

