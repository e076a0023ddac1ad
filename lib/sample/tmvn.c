/*
 * sample/tmvn.c -- exact draws of Y ~ N(0, L L^T) conditioned on
 * a < Y < b by minimax-tilted acceptance-rejection (Botev 2017, "The
 * normal law under linear restrictions: simulation and estimation via
 * minimax tilting", JRSS B 79:125-148, section 4; TruncatedNormal's
 * mvrandn).
 *
 * With C_kj = L_kj / L_kk, l_k = a_k / L_kk, u_k = b_k / L_kk, Y = L z
 * lies in the box iff every z_k lies in [l_k - s_k, u_k - s_k],
 * s_k = sum_{j<k} C_kj z_j.  A proposal draws z_k in turn from N(mu_k, 1)
 * truncated to that interval; its density is the target's times
 * exp(-psi(z, mu)) / P with
 *
 *   psi(z, mu) = sum_k [ log(Phi(u_k - s_k - mu_k) - Phi(l_k - s_k - mu_k))
 *                        + mu_k^2 / 2 - mu_k z_k ],
 *
 * the importance weight of qmc/tilting.c.  Accepting with probability
 * exp(psi(z, mu) - psi*) for a constant psi* >= max_z psi(z, mu) leaves
 * exactly the target law; the acceptance rate is P / exp(psi*).  At
 * Botev's minimax point (x*, mu*) (mvni_tilt_solve), psi(., mu*) is
 * concave with its maximum at x*, so psi* = psi(x*, mu*) is the smallest
 * valid constant, and P / exp(psi*) stays bounded away from 0 as the box
 * moves into a tail (Botev, Theorem 4.1): deep-tail regions are sampled
 * at a useful rate where naive rejection would never accept.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sample/sample.h"
#include "exact/univariate.h"
#include "qmc/qmc.h"
#include "common/format.h"

/* Proposals per round: drawn in parallel, then scanned in order.  The
   round size never changes which proposals are accepted (each is a pure
   function of its number), only how many are drawn past the last one
   needed. */
#define ROUND_MIN 16
#define ROUND_MAX 1024

int mvni_tmvn_setup(mvni_tmvn *t, size_t d, const double *L, const double *a,
                    const double *b, char *msg, size_t msg_size)
{
    memset(t, 0, sizeof *t);
    double *mem = malloc((2 * d * d + 3 * d) * sizeof *mem);
    double *work = malloc((2 * d * d + 13 * d) * sizeof *work);
    if (mem == NULL || work == NULL) {
        free(mem);
        free(work);
        mvni_format(msg, msg_size, "cannot allocate the sampler for d = %zu", d);
        return MVN_ENOMEM;
    }
    t->d = d;
    t->L = mem;
    t->C = mem + d * d;
    t->l = t->C + d * d;
    t->u = t->l + d;
    t->mu = t->u + d;
    memcpy(t->L, L, d * d * sizeof *L);
    for (size_t k = 0; k < d; ++k) {
        const double s = 1.0 / L[k * d + k];
        for (size_t j = 0; j < k; ++j)
            t->C[k * d + j] = L[k * d + j] * s;
        t->l[k] = a[k] * s;
        t->u[k] = b[k] * s;
    }
    int iters = 0;
    int st = mvni_tilt_solve(d, L, a, b, t->mu, NULL, &t->psistar, &iters, work);
    free(work);
    if (st != MVN_OK) {
        mvni_format(msg, msg_size,
                    "the minimax tilt did not converge in %d Newton steps, so "
                    "acceptance-rejection would have no valid bound", iters);
        st = MVN_EUNSUPPORTED;
    } else if (!isfinite(t->psistar)) {
        mvni_format(msg, msg_size,
                    "the box lies too far from the mean: the bound log P <= %g "
                    "is not finite", t->psistar);
        st = MVN_EUNSUPPORTED;
    }
    if (st != MVN_OK)
        mvni_tmvn_free(t);
    return st;
}

void mvni_tmvn_free(mvni_tmvn *t)
{
    free(t->L);
    memset(t, 0, sizeof *t);
}

int mvni_tmvn_propose(const mvni_tmvn *t, uint64_t seed, uint64_t attempt,
                      double *z)
{
    const size_t d = t->d;
    mvni_rng r;
    mvni_rng_init(&r, seed, attempt);
    double psi = 0.0;
    for (size_t k = 0; k < d; ++k) {
        const double *Ck = t->C + k * d;
        double s = t->mu[k];
        for (size_t j = 0; j < k; ++j)
            s += Ck[j] * z[j];
        const double lt = t->l[k] - s, ut = t->u[k] - s;
        z[k] = t->mu[k] + mvni_trandn(lt, ut, &r);
        psi += mvni_log_norm_diff(lt, ut) + t->mu[k] * (0.5 * t->mu[k] - z[k]);
    }
    /* Accept with probability exp(psi - psi*): -log U is exponential. */
    return -log(mvni_rng_uniform(&r)) > t->psistar - psi;
}

int mvni_tmvn_sample(const mvni_tmvn *t, uint64_t seed, size_t n,
                     double max_attempts, int threads, double *y,
                     size_t *accepted, double *attempts)
{
    const size_t d = t->d;
    double *z = malloc(ROUND_MAX * d * sizeof *z);
    unsigned char *ok = malloc(ROUND_MAX);
    *accepted = 0;
    *attempts = 0.0;
    if (z == NULL || ok == NULL) {
        free(z);
        free(ok);
        return MVN_ENOMEM;
    }
    uint64_t next = 0; /* the number of the next proposal */
    size_t got = 0;
    while (got < n && (double)next < max_attempts) {
        /* Twice what is still needed at acceptance 1/2, within the
           budget. */
        const double left = max_attempts - (double)next;
        size_t round = 2 * (n - got);
        round = round < ROUND_MIN ? ROUND_MIN : round > ROUND_MAX ? ROUND_MAX : round;
        if ((double)round > left)
            round = (size_t)left;
        const long nr = (long)round;
        (void)threads;
#ifdef MVN_HAVE_OPENMP
#pragma omp parallel for schedule(static) num_threads(threads) if (threads > 1)
#endif
        for (long i = 0; i < nr; ++i)
            ok[i] = (unsigned char)mvni_tmvn_propose(t, seed, next + (uint64_t)i,
                                                    z + (size_t)i * d);
        for (size_t i = 0; i < round && got < n; ++i) {
            if (!ok[i])
                continue;
            /* y = L z, row by row. */
            const double *zi = z + i * d;
            double *yi = y + got * d;
            for (size_t k = 0; k < d; ++k) {
                const double *Lk = t->L + k * d;
                double s = 0.0;
                for (size_t j = 0; j <= k; ++j)
                    s += Lk[j] * zi[j];
                yi[k] = s;
            }
            ++got;
            *attempts = (double)(next + i + 1);
        }
        next += round;
    }
    *accepted = got;
    int st = MVN_OK;
    if (got < n) {
        *attempts = (double)next;
        for (size_t i = got * d; i < n * d; ++i)
            y[i] = NAN;
        st = MVN_ETOL;
    }
    free(z);
    free(ok);
    return st;
}
