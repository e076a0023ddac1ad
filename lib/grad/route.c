/*
 * grad/route.c -- the choice between the two derivative routes, above
 * both: the closed form by conditioning (grad/closed_form.c) and the
 * derivative of the QMC estimator (grad/estimator.c).  The estimator
 * declines the problems it cannot serve well (d <= 3, zero variances or
 * a singular factor, log-space gradients of tiny probabilities), and the
 * closed form answers them; the Hessian in the limits always comes from
 * the closed form.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "grad/grad.h"

/* The estimator's answer, then the Hessian from the closed form. */
static int estimator_route(size_t d, const double *a, const double *b,
                           const double *sigma, const mvni_solve_options *opt,
                           mvni_result *res, const mvni_grad_out *out)
{
    mvni_grad_out est = *out;
    est.h_upper = NULL;
    int status = mvni_grad_estimator(d, a, b, sigma, opt, res, &est);
    if (status == MVNI_GRAD_DECLINED) {
        const double spent = res->evals;
        status = mvni_grad_closed(d, a, b, sigma, opt, res, out);
        res->evals += spent;
        return status;
    }
    if ((status != MVN_OK && status != MVN_ETOL) || out->h_upper == NULL)
        return status;
    mvni_grad_out h;
    mvni_result r;
    memset(&h, 0, sizeof h);
    h.h_upper = out->h_upper;
    h.log_space = out->log_space;
    int s = mvni_grad_closed(d, a, b, sigma, opt, &r, &h);
    if (s != MVN_OK && s != MVN_ETOL) {
        mvni_grad_out_nan(d, out);
        return s;
    }
    res->evals += r.evals;
    if (s == MVN_ETOL)
        status = res->status = MVN_ETOL;
    return status;
}

int mvni_grad_solve(int route, size_t d, const double *a, const double *b,
                    const double *sigma, const mvni_solve_options *opt,
                    mvni_result *res, const mvni_grad_out *out)
{
    if (route == MVN_GRADIENT_ESTIMATOR)
        return estimator_route(d, a, b, sigma, opt, res, out);
    return mvni_grad_closed(d, a, b, sigma, opt, res, out);
}
