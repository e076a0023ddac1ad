/*
 * cuda/sov.cu -- separation of variables + randomized rank-1 lattice QMC
 * on the GPU: the same integrand, lattice, shifts, tent transform,
 * antithetic pairs, error estimate and stopping rule as lib/qmc/sov.c
 * (read that file's header for the method and its references), so that
 * GPU and CPU agree within their error estimates (not bitwise: Phi and
 * Phi^-1 are CUDA's normcdf/normcdfinv, and sums are grouped differently).
 *
 * Layout of the work.  For each lattice size, one kernel launch evaluates
 * every unfinished problem: problem t gets `bpp` blocks (a function of the
 * lattice size and d only, never of the batch, so a problem's numbers do
 * not depend on its neighbours); thread g of those bpp * SOV_THREADS
 * threads evaluates points g, g + G, ... of every shift; each block reduces
 * its threads' sums in a fixed tree order and writes one partial sum per
 * shift.  A second kernel (one thread per problem) adds the partial sums in
 * block order, forms the shift means, the standard error and the stopping
 * test, and writes the problem's result; finished problems are skipped by
 * later sizes.  Small batches of one large problem thus spread the lattice
 * points over the whole GPU, and large batches of small problems get one
 * block per problem.  Every sum is formed in a fixed order: results are
 * deterministic on a given GPU.
 *
 * Log space as on the CPU: a point's value is f * 2^k, renormalized below
 * 2^-500; partial sums carry their own binary exponent.  Steps whose Phi
 * values underflow go through log Phi (from erfcx) and a Newton inverse.
 *
 * Not yet executed on a GPU when this was written (no device was
 * available): compiled with nvcc 13 only.  tools/gpu-check.sh runs the
 * agreement tests on a machine that has one.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <cuda_runtime.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu.h"
#include "sov_point.h"

#define SOV_THREADS 128
#define SOV_MAX_BPP 1024
/* Problems with d <= SOV_LOCAL_D keep their z values in a per-thread
   array; longer ones in a global scratch array interleaved by thread. */
#define SOV_LOCAL_D 32
/* Bytes of global scratch for the z values of one launch. */
#define SOV_SCRATCH_BYTES ((size_t)256 << 20)
/* Bytes of per-block partial sums of one launch. */
#define SOV_PART_BYTES ((size_t)64 << 20)

extern "C" int mvncu_device_count(int *count)
{
    int n = 0; /* left unwritten by the runtime when there is no driver */
    cudaError_t e = cudaGetDeviceCount(&n);
    *count = e == cudaSuccess ? n : 0;
    return (int)e;
}

extern "C" const char *mvncu_error_string(int err)
{
    return cudaGetErrorString((cudaError_t)err);
}

extern "C" void mvncu_device_describe(char *buf, size_t size)
{
    int dev = 0;
    cudaDeviceProp prop;
    if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&prop, dev) != cudaSuccess) {
        snprintf(buf, size, "unknown device");
        return;
    }
    snprintf(buf, size, "%s (sm_%d%d, %d SMs)", prop.name, prop.major, prop.minor,
             prop.multiProcessorCount);
}

static int copy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, void *stream)
{
    if (bytes == 0)
        return 0;
    cudaStream_t s = (cudaStream_t)stream;
    cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, s);
    if (e == cudaSuccess)
        e = cudaStreamSynchronize(s);
    return (int)e;
}

extern "C" int mvncu_copy_to_host(void *dst, const void *src, size_t bytes, void *stream)
{
    return copy(dst, src, bytes, cudaMemcpyDeviceToHost, stream);
}

extern "C" int mvncu_copy_to_device(void *dst, const void *src, size_t bytes, void *stream)
{
    return copy(dst, src, bytes, cudaMemcpyHostToDevice, stream);
}

/* ------------------------------------------------------------------ */
/* Kernels (the arithmetic is in sov_point.h)                          */
/* ------------------------------------------------------------------ */

/* Blocks (t0 + b / bpp, b % bpp) of the launch; see the header. */
template <bool LOCAL_Y>
__global__ void __launch_bounds__(SOV_THREADS) sov_eval(mvncu_kparams P, size_t t0, size_t nt)
{
    __shared__ double sm[SOV_THREADS];
    __shared__ double se[SOV_THREADS];
    const size_t bl = blockIdx.x / (unsigned)P.bpp;
    const int b = (int)(blockIdx.x % (unsigned)P.bpp);
    const size_t t = t0 + bl;
    if (bl >= nt || P.done[t])
        return; /* the whole block leaves together */
    const uint64_t g = (uint64_t)b * SOV_THREADS + threadIdx.x;
    const uint64_t G = (uint64_t)P.bpp * SOV_THREADS;
    double ylocal[LOCAL_Y ? SOV_LOCAL_D : 1];
    double *y;
    size_t ystride;
    if (LOCAL_Y) {
        y = ylocal;
        ystride = 1;
    } else {
        const size_t T = (size_t)gridDim.x * SOV_THREADS;
        y = P.yscratch + (size_t)blockIdx.x * SOV_THREADS + threadIdx.x;
        ystride = T;
    }
    for (int j = 0; j < P.shifts; ++j) {
        mvncu_scaled acc = {0.0, 0};
        for (uint64_t i = g; i < P.n; i += G) {
            for (int pass = 0; pass < 2; ++pass) {
                double k;
                const double f = eval_point(&P, t, i, j, pass, y, ystride, &k);
                scaled_add(&acc, 0.5 * f, k);
            }
        }
        /* Fixed-order tree reduction of the block's sums. */
        sm[threadIdx.x] = acc.m;
        se[threadIdx.x] = acc.e;
        __syncthreads();
        for (int h = SOV_THREADS / 2; h > 0; h >>= 1) {
            if ((int)threadIdx.x < h) {
                mvncu_scaled a = {sm[threadIdx.x], se[threadIdx.x]};
                scaled_add(&a, sm[threadIdx.x + h], se[threadIdx.x + h]);
                sm[threadIdx.x] = a.m;
                se[threadIdx.x] = a.e;
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            mvncu_scaled r = {sm[0], se[0]};
            P.part[((size_t)bl * P.shifts + j) * P.bpp + b] = r;
        }
        __syncthreads();
    }
}

/* One thread per problem t0 + tid: the block sums added in block order,
   then sov.c's estimate and stopping rule (finish_one). */
__global__ void sov_finish(mvncu_kparams P, mvncu_kout O, size_t t0, size_t nt,
                           double error_factor, double abseps, double releps, double tpm_n)
{
    const size_t bl = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (bl >= nt)
        return;
    const size_t t = t0 + bl;
    if (O.done[t])
        return;
    const int M = P.shifts;
    mvncu_scaled est[64];
    for (int j = 0; j < M; ++j) {
        mvncu_scaled acc = {0.0, 0};
        for (int b = 0; b < P.bpp; ++b) {
            const mvncu_scaled q = P.part[((size_t)bl * M + j) * P.bpp + b];
            scaled_add(&acc, q.m, q.e);
        }
        est[j] = acc;
    }
    if (finish_one(est, M, P.n, error_factor, abseps, releps, P.kappa[t], P.tails[t], tpm_n,
                   &O, t))
        O.done[t] = 1;
    else
        atomicAdd(O.notdone, 1u);
}

/* ------------------------------------------------------------------ */
/* Host side of a run                                                  */
/* ------------------------------------------------------------------ */

/* Blocks per problem: about 4 points per thread and shift, at most
   SOV_MAX_BPP, and for scratch-backed problems at most what fits
   SOV_SCRATCH_BYTES for one problem.  Depends on n and d only. */
static int blocks_per_problem(uint64_t n, size_t d)
{
    uint64_t bpp = (n + 4 * SOV_THREADS - 1) / (4 * SOV_THREADS);
    if (bpp > SOV_MAX_BPP)
        bpp = SOV_MAX_BPP;
    if (d > SOV_LOCAL_D) {
        const uint64_t cap = SOV_SCRATCH_BYTES / ((uint64_t)SOV_THREADS * d * sizeof(double));
        if (bpp > cap)
            bpp = cap;
    }
    return bpp < 1 ? 1 : (int)bpp;
}

#define CK(call)                                                                     \
    do {                                                                             \
        cudaError_t e_ = (call);                                                     \
        if (e_ != cudaSuccess) {                                                     \
            snprintf(msg, msg_size, "CUDA error in %s: %s (error %d)", #call,        \
                     cudaGetErrorString(e_), (int)e_);                               \
            status = MVNCU_EBACKEND;                                                    \
            goto done;                                                               \
        }                                                                            \
    } while (0)

template <typename T>
static cudaError_t upload(T **dev, const T *host, size_t count, cudaStream_t s)
{
    cudaError_t e = cudaMalloc((void **)dev, (count ? count : 1) * sizeof(T));
    if (e == cudaSuccess && host && count)
        e = cudaMemcpyAsync(*dev, host, count * sizeof(T), cudaMemcpyHostToDevice, s);
    return e;
}

extern "C" int mvncu_sov_run(const mvncu_sov_job *job, char *msg, size_t msg_size)
{
    const size_t N = job->nprob, d = job->d;
    const size_t ncoef = d * (d - 1) / 2;
    const int M = job->shifts < 2 ? 2 : job->shifts > 64 ? 64 : job->shifts;
    cudaStream_t s = (cudaStream_t)job->stream;
    int status = MVNCU_OK;
    double *d_lo = NULL, *d_hi = NULL, *d_tol = NULL, *d_coef = NULL, *d_shift = NULL;
    double *d_kappa = NULL;
    uint64_t *d_tails = NULL;
    int *d_first = NULL, *d_kind = NULL, *d_done = NULL, *d_status = NULL;
    uint64_t *d_z = NULL;
    double *d_out = NULL, *d_y = NULL;
    mvncu_scaled *d_part = NULL;
    unsigned *d_notdone = NULL;
    mvncu_kparams P;
    mvncu_kout O;
    const int local = d <= SOV_LOCAL_D;
    /* Problems per launch, chosen per lattice size: as many as the
       partial sums (SOV_PART_BYTES) and, for scratch-backed z values,
       SOV_SCRATCH_BYTES hold at that size's blocks per problem. */
    double evals = 0.0, spent = 0.0;
    size_t active = N, part_elems, scratch_elems = 0;
    int bpp_max;

    if (N == 0)
        return MVNCU_OK;
    bpp_max = blocks_per_problem(job->npoints[job->nsizes - 1], d);
    part_elems = (size_t)SOV_PART_BYTES / sizeof(mvncu_scaled);
    if (part_elems > N * (size_t)M * bpp_max)
        part_elems = N * (size_t)M * bpp_max;
    if (!local) {
        scratch_elems = (size_t)SOV_SCRATCH_BYTES / sizeof(double);
        if (scratch_elems > N * (size_t)bpp_max * SOV_THREADS * d)
            scratch_elems = N * (size_t)bpp_max * SOV_THREADS * d;
    }

    CK(upload(&d_lo, job->lo, N * d, s));
    CK(upload(&d_hi, job->hi, N * d, s));
    CK(upload(&d_tol, job->tol, N * d, s));
    CK(upload(&d_coef, job->coef, N * ncoef, s));
    CK(upload(&d_first, job->first, N * d, s));
    CK(upload(&d_kind, job->kind, N * d, s));
    CK(upload(&d_shift, job->shift, (size_t)M * d, s));
    CK(upload(&d_kappa, job->kappa, N, s));
    CK(upload(&d_tails, job->tails, N, s));
    CK(upload(&d_z, (const uint64_t *)NULL, d, s));
    CK(upload(&d_out, (const double *)NULL, 5 * N, s));
    CK(upload(&d_done, (const int *)NULL, N, s));
    CK(upload(&d_status, (const int *)NULL, N, s));
    CK(upload(&d_notdone, (const unsigned *)NULL, 1, s));
    CK(upload(&d_part, (const mvncu_scaled *)NULL, part_elems, s));
    if (!local)
        CK(upload(&d_y, (const double *)NULL, scratch_elems, s));
    CK(cudaMemsetAsync(d_done, 0, N * sizeof(int), s));
    CK(cudaMemsetAsync(d_out, 0, 5 * N * sizeof(double), s));
    CK(cudaMemsetAsync(d_status, 0, N * sizeof(int), s));

    P.d = d;
    P.ncoef = ncoef;
    P.shifts = M;
    P.lo = d_lo;
    P.hi = d_hi;
    P.tol = d_tol;
    P.coef = d_coef;
    P.first = d_first;
    P.kind = d_kind;
    P.shift = d_shift;
    P.kappa = d_kappa;
    P.tails = d_tails;
    P.z = d_z;
    P.done = d_done;
    P.part = d_part;
    P.yscratch = d_y;
    O.p = d_out;
    O.logp = d_out + N;
    O.abserr = d_out + 2 * N;
    O.relerr = d_out + 3 * N;
    O.evals = d_out + 4 * N;
    O.status = d_status;
    O.done = d_done;
    O.notdone = d_notdone;

    for (int k = 0; k < job->nsizes; ++k) {
        const uint64_t n = job->npoints[k];
        P.n = n;
        P.bpp = blocks_per_problem(n, d);
        CK(cudaMemcpyAsync(d_z, job->gen + (size_t)k * d, d * sizeof(uint64_t),
                           cudaMemcpyHostToDevice, s));
        CK(cudaMemsetAsync(d_notdone, 0, sizeof(unsigned), s));
        const double tpm_n = 2.0 * M * (double)n;
        size_t per_launch = part_elems / ((size_t)M * P.bpp);
        if (!local && per_launch > scratch_elems / ((size_t)P.bpp * SOV_THREADS * d))
            per_launch = scratch_elems / ((size_t)P.bpp * SOV_THREADS * d);
        if (per_launch < 1)
            per_launch = 1; /* both buffers hold one problem at any size */
        for (size_t t0 = 0; t0 < N; t0 += per_launch) {
            const size_t nt = N - t0 < per_launch ? N - t0 : per_launch;
            const size_t blocks = nt * (size_t)P.bpp;
            if (local)
                sov_eval<true><<<(unsigned)blocks, SOV_THREADS, 0, s>>>(P, t0, nt);
            else
                sov_eval<false><<<(unsigned)blocks, SOV_THREADS, 0, s>>>(P, t0, nt);
            CK(cudaGetLastError());
            sov_finish<<<(unsigned)((nt + 127) / 128), 128, 0, s>>>(
                P, O, t0, nt, job->error_factor, job->abseps, job->releps, tpm_n);
            CK(cudaGetLastError());
        }
        unsigned notdone = 0;
        CK(cudaMemcpyAsync(&notdone, d_notdone, sizeof notdone, cudaMemcpyDeviceToHost, s));
        CK(cudaStreamSynchronize(s));
        evals += tpm_n * (double)active; /* a progress figure */
        spent += tpm_n;
        active = notdone;
        if (notdone == 0 || k + 1 >= job->nsizes)
            break;
        /* sov.c: stop before a size that would exceed maxpts. */
        if (spent + 2.0 * M * (double)job->npoints[k + 1] > job->maxpts)
            break;
        if (job->between && job->between(job->user, N - notdone, evals)) {
            status = MVNCU_ECANCELED;
            break;
        }
    }

    CK(cudaMemcpyAsync(job->p, O.p, N * sizeof(double), cudaMemcpyDeviceToHost, s));
    CK(cudaMemcpyAsync(job->logp, O.logp, N * sizeof(double), cudaMemcpyDeviceToHost, s));
    CK(cudaMemcpyAsync(job->abserr, O.abserr, N * sizeof(double), cudaMemcpyDeviceToHost, s));
    CK(cudaMemcpyAsync(job->relerr, O.relerr, N * sizeof(double), cudaMemcpyDeviceToHost, s));
    CK(cudaMemcpyAsync(job->evals, O.evals, N * sizeof(double), cudaMemcpyDeviceToHost, s));
    CK(cudaMemcpyAsync(job->status, d_status, N * sizeof(int), cudaMemcpyDeviceToHost, s));
    if (status == MVNCU_ECANCELED) {
        /* Unfinished problems: canceled, their outputs NaN. */
        int *done_h = (int *)malloc(N * sizeof(int));
        if (done_h == NULL) {
            status = MVNCU_ENOMEM;
            goto done;
        }
        CK(cudaMemcpyAsync(done_h, d_done, N * sizeof(int), cudaMemcpyDeviceToHost, s));
        CK(cudaStreamSynchronize(s));
        for (size_t t = 0; t < N; ++t)
            if (!done_h[t]) {
                job->status[t] = MVNCU_ECANCELED;
                job->p[t] = job->logp[t] = job->abserr[t] = job->relerr[t] = NAN;
            }
        free(done_h);
    }
    CK(cudaStreamSynchronize(s));

done:
    cudaFree(d_lo);
    cudaFree(d_hi);
    cudaFree(d_tol);
    cudaFree(d_coef);
    cudaFree(d_first);
    cudaFree(d_kind);
    cudaFree(d_shift);
    cudaFree(d_kappa);
    cudaFree(d_tails);
    cudaFree(d_z);
    cudaFree(d_out);
    cudaFree(d_done);
    cudaFree(d_status);
    cudaFree(d_notdone);
    cudaFree(d_part);
    cudaFree(d_y);
    return status;
}
