/* gpu_emul.c -- cuda/gpu.h implemented on the host, for tests on machines
   without a GPU: linked with cuda/plugin.c into a test module
   (tests/plugin/emul/mvnorm_cuda.so), it runs the module's host logic
   (validation, routing, factorization, preparation of the rows, staging
   of "device" batches, statuses, messages, progress) and the integrator's
   per-point arithmetic and stopping rule (cuda/sov_point.h, the code the
   kernels run) serially.  "Device memory" is host memory here.  What it
   cannot check: kernel launches, the block reduction, CUDA's normcdf /
   normcdfinv / erfcx, and device memory management.
     MVN_TEST_EMUL_MODE=nodriver   mvncu_device_count fails with error 35
     MVN_TEST_EMUL_MODE=nodevice   it finds 0 devices */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "gpu.h"
#include "sov_point.h"

static const char *mode(void)
{
    const char *m = getenv("MVN_TEST_EMUL_MODE");
    return m ? m : "ok";
}

int mvncu_device_count(int *count)
{
    *count = 0;
    if (strcmp(mode(), "nodriver") == 0)
        return 35;
    if (strcmp(mode(), "nodevice") != 0)
        *count = 1;
    return 0;
}

const char *mvncu_error_string(int err)
{
    return err == 35 ? "CUDA driver version is insufficient for CUDA runtime version (emulated)"
                     : "emulated CUDA error";
}

void mvncu_device_describe(char *buf, size_t size)
{
    if (size)
        strncpy(buf, "host emulation (tests/plugin/gpu_emul.c)", size - 1), buf[size - 1] = '\0';
}

int mvncu_copy_to_host(void *dst, const void *src, size_t bytes, void *stream)
{
    (void)stream;
    if (bytes)
        memcpy(dst, src, bytes);
    return 0;
}

int mvncu_copy_to_device(void *dst, const void *src, size_t bytes, void *stream)
{
    (void)stream;
    if (bytes)
        memcpy(dst, src, bytes);
    return 0;
}

/* sov.cu's mvncu_sov_run, serially: the same sizes, per-point function,
   estimate, stopping rule, loop termination and cancellation. */
int mvncu_sov_run(const mvncu_sov_job *job, char *msg, size_t msg_size)
{
    (void)msg;
    (void)msg_size;
    const size_t N = job->nprob, d = job->d;
    const int M = job->shifts < 2 ? 2 : job->shifts > 64 ? 64 : job->shifts;
    int *done = calloc(N ? N : 1, sizeof *done);
    double *y = malloc(d * sizeof *y);
    if (done == NULL || y == NULL) {
        free(done);
        free(y);
        return MVNCU_ENOMEM;
    }
    unsigned notdone = 0;
    mvncu_kparams P;
    memset(&P, 0, sizeof P);
    P.d = d;
    P.ncoef = d * (d - 1) / 2;
    P.shifts = M;
    P.lo = job->lo;
    P.hi = job->hi;
    P.tol = job->tol;
    P.coef = job->coef;
    P.first = job->first;
    P.kind = job->kind;
    P.shift = job->shift;
    P.kappa = job->kappa;
    P.tails = job->tails;
    P.done = done;
    mvncu_kout O = {job->p, job->logp, job->abserr, job->relerr, job->evals, job->status,
                    done, &notdone};
    for (size_t t = 0; t < N; ++t) {
        job->p[t] = job->logp[t] = job->abserr[t] = job->relerr[t] = job->evals[t] = 0.0;
        job->status[t] = MVNCU_OK;
    }
    int status = MVNCU_OK;
    double evals = 0.0, spent = 0.0;
    size_t active = N;
    for (int k = 0; k < job->nsizes; ++k) {
        const uint64_t n = job->npoints[k];
        P.n = n;
        P.z = job->gen + (size_t)k * d;
        const double tpm_n = 2.0 * M * (double)n;
        notdone = 0;
        for (size_t t = 0; t < N; ++t) {
            if (done[t])
                continue;
            mvncu_scaled est[64];
            for (int j = 0; j < M; ++j) {
                mvncu_scaled acc = {0.0, 0};
                for (uint64_t i = 0; i < n; ++i)
                    for (int pass = 0; pass < 2; ++pass) {
                        double kk;
                        const double f = eval_point(&P, t, i, j, pass, y, 1, &kk);
                        scaled_add(&acc, 0.5 * f, kk);
                    }
                est[j] = acc;
            }
            if (finish_one(est, M, n, job->error_factor, job->abseps, job->releps,
                           job->kappa[t], job->tails[t], tpm_n, &O, t))
                done[t] = 1;
            else
                ++notdone;
        }
        evals += tpm_n * (double)active;
        spent += tpm_n;
        active = notdone;
        if (notdone == 0 || k + 1 >= job->nsizes)
            break;
        if (spent + 2.0 * M * (double)job->npoints[k + 1] > job->maxpts)
            break;
        if (job->between && job->between(job->user, N - notdone, evals)) {
            status = MVNCU_ECANCELED;
            break;
        }
    }
    if (status == MVNCU_ECANCELED)
        for (size_t t = 0; t < N; ++t)
            if (!done[t]) {
                job->status[t] = MVNCU_ECANCELED;
                job->p[t] = job->logp[t] = job->abserr[t] = job->relerr[t] = NAN;
            }
    free(done);
    free(y);
    return status;
}
