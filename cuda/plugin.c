/*
 * cuda/plugin.c -- the CUDA backend module (mvnorm_cuda.so): the plugin
 * ABI of mvnorm_plugin.h around the GPU integrator of sov.cu.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * What runs where, per problem of a probability batch (MVN_COMPUTE_PROB):
 *  - validation and canonical form: host->load_problem (the CPU's own
 *    checks and messages);
 *  - the decisions of lib/solve/solve.c that need no integration: empty
 *    intervals, point masses, coordinates with both limits infinite,
 *    standardization to a correlation matrix;
 *  - problems that the CPU answers with exact kernels or splits into
 *    independent blocks under MVN_METHOD_AUTO (at most 3 active
 *    coordinates, or a block-diagonal Sigma), and every problem under
 *    MVN_METHOD_TILTED, are answered by the public CPU library on the
 *    module's private context (never the caller's), so they get exactly
 *    the CPU's numbers;
 *  - the rest: GGE Cholesky factor by host->chol_reorder, then SOV/QMC on
 *    the GPU with the CPU's lattice (host->lattice_*) and shifts
 *    (host->uniform), agreeing with the CPU within the error estimates.
 *    Under AUTO the CPU may tilt such a problem when P is tiny (tilting.c);
 *    the GPU does not tilt yet (doc/cuda.md).
 * Gradients (MVN_COMPUTE_GRAD, LOG_GRAD) are computed by the CPU library
 * inside the module for now.  Batches in device memory are staged through
 * host memory (one copy of each array each way, on desc->stream).
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "mvnorm.h"
#include "mvnorm_plugin.h"
#include "gpu.h"
#include "qmc/tail_steps.h"

typedef struct {
    const mvn_plugin_host *host;
    mvn_context *cpu; /* private: the CPU answers on it, never on the caller's */
    char device[256];
} cuda_state;

static void msgf(mvn_plugin_call *call, const char *fmt, ...)
{
    if (call->message == NULL || call->message_size == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(call->message, call->message_size, fmt, ap);
    va_end(ap);
}

static int cuda_init(const mvn_plugin_host *host, void **state, char *reason,
                     size_t reason_size)
{
    *state = NULL;
    if (host == NULL || host->struct_size < sizeof *host) {
        snprintf(reason, reason_size, "the library lends no host services of the expected size");
        return 1;
    }
    int count = 0;
    int err = mvncu_device_count(&count);
    if (err != 0) {
        snprintf(reason, reason_size, "no CUDA device: %s (error %d)", mvncu_error_string(err),
                 err);
        return 1;
    }
    if (count < 1) {
        snprintf(reason, reason_size, "no CUDA device: the runtime found 0 devices");
        return 1;
    }
    cuda_state *st = calloc(1, sizeof *st);
    if (st == NULL || (st->cpu = mvn_context_alloc()) == NULL) {
        free(st);
        snprintf(reason, reason_size, "out of memory");
        return 1;
    }
    st->host = host;
    mvncu_device_describe(st->device, sizeof st->device);
    *state = st;
    return 0;
}

static void cuda_fini(void *state)
{
    cuda_state *st = state;
    if (st == NULL)
        return;
    mvn_context_free(st->cpu);
    free(st);
}

/* ------------------------------------------------------------------ */
/* Device-memory batches: staged through host memory                   */
/* ------------------------------------------------------------------ */

/* The span of a strided array: offsets lo .. hi (elements) from its
   pointer over sizes dims[]. */
static void span(const ptrdiff_t *strides, const size_t *dims, int rank, ptrdiff_t *lo,
                 ptrdiff_t *hi)
{
    *lo = *hi = 0;
    for (int r = 0; r < rank; ++r) {
        if (dims[r] == 0)
            continue;
        ptrdiff_t ext = strides[r] * (ptrdiff_t)(dims[r] - 1);
        if (ext < 0)
            *lo += ext;
        else
            *hi += ext;
    }
}

typedef struct {
    void *host_buf;       /* what we allocated */
    void *dev_base;       /* device address of element offset lo */
    size_t bytes;
    int output;
} staged;

#define MAX_STAGED 20

typedef struct {
    staged s[MAX_STAGED];
    int count;
} stage_set;

/* Copies one device array into a host buffer; returns the host pointer
   that plays the device pointer's role, or NULL on failure (*err set). */
static void *stage_in(stage_set *set, const void *dev, size_t elem, const ptrdiff_t *strides,
                      const size_t *dims, int rank, int output, void *stream, int *err)
{
    if (dev == NULL || *err)
        return NULL;
    ptrdiff_t lo, hi;
    span(strides, dims, rank, &lo, &hi);
    const size_t bytes = (size_t)(hi - lo + 1) * elem;
    char *buf = malloc(bytes);
    if (buf == NULL) {
        *err = -MVN_ENOMEM;
        return NULL;
    }
    char *base = (char *)dev + lo * (ptrdiff_t)elem;
    int e = mvncu_copy_to_host(buf, base, bytes, stream);
    if (e != 0) {
        free(buf);
        *err = e;
        return NULL;
    }
    staged *s = &set->s[set->count++];
    s->host_buf = buf;
    s->dev_base = base;
    s->bytes = bytes;
    s->output = output;
    return buf - lo * (ptrdiff_t)elem;
}

static int stage_out(stage_set *set, void *stream)
{
    int err = 0;
    for (int i = 0; i < set->count; ++i) {
        if (set->s[i].output && err == 0)
            err = mvncu_copy_to_device(set->s[i].dev_base, set->s[i].host_buf,
                                       set->s[i].bytes, stream);
        free(set->s[i].host_buf);
    }
    set->count = 0;
    return err;
}

/* A host twin of a device descriptor. */
static int stage_desc(stage_set *set, const mvn_batch_desc *dd, mvn_batch_desc *hd,
                      int computation)
{
    *hd = *dd;
    hd->memory = MVN_MEMORY_HOST;
    hd->stream = NULL;
    const size_t n = dd->n, d = dd->d;
    const size_t vdims[2] = {n, d}, mdims[3] = {n, d, d}, odims[1] = {n};
    void *st = dd->stream;
    int err = 0;
    hd->lower = stage_in(set, dd->lower, 8, dd->lower_strides, vdims, 2, 0, st, &err);
    hd->upper = stage_in(set, dd->upper, 8, dd->upper_strides, vdims, 2, 0, st, &err);
    hd->mean = stage_in(set, dd->mean, 8, dd->mean_strides, vdims, 2, 0, st, &err);
    hd->sigma = stage_in(set, dd->sigma, 8, dd->sigma_strides, mdims, 3, 0, st, &err);
    hd->p = stage_in(set, dd->p, 8, &dd->p_stride, odims, 1, 1, st, &err);
    hd->logp = stage_in(set, dd->logp, 8, &dd->logp_stride, odims, 1, 1, st, &err);
    hd->abserr = stage_in(set, dd->abserr, 8, &dd->abserr_stride, odims, 1, 1, st, &err);
    hd->logerr = stage_in(set, dd->logerr, 8, &dd->logerr_stride, odims, 1, 1, st, &err);
    hd->status = stage_in(set, dd->status, sizeof(int), &dd->status_stride, odims, 1, 1, st,
                          &err);
    if (computation != MVN_COMPUTE_PROB) {
        hd->d_lower = stage_in(set, dd->d_lower, 8, dd->d_lower_strides, vdims, 2, 1, st, &err);
        hd->d_upper = stage_in(set, dd->d_upper, 8, dd->d_upper_strides, vdims, 2, 1, st, &err);
        hd->d_mean = stage_in(set, dd->d_mean, 8, dd->d_mean_strides, vdims, 2, 1, st, &err);
        hd->d_sigma = stage_in(set, dd->d_sigma, 8, dd->d_sigma_strides, mdims, 3, 1, st, &err);
        hd->err_lower = stage_in(set, dd->err_lower, 8, dd->err_lower_strides, vdims, 2, 1, st,
                                 &err);
        hd->err_upper = stage_in(set, dd->err_upper, 8, dd->err_upper_strides, vdims, 2, 1, st,
                                 &err);
        hd->err_sigma = stage_in(set, dd->err_sigma, 8, dd->err_sigma_strides, mdims, 3, 1, st,
                                 &err);
    }
    return err;
}

/* ------------------------------------------------------------------ */
/* The CPU on the private context                                      */
/* ------------------------------------------------------------------ */

static void cpu_options(cuda_state *st, const mvn_plugin_call *call)
{
    for (int o = 1; o <= MVN_OPTION_MAX; ++o)
        if (o != MVN_OPT_BACKEND)
            mvn_context_set(st->cpu, o, call->option[o]);
    mvn_context_set(st->cpu, MVN_OPT_BACKEND, MVN_BACKEND_CPU);
}

/* Problem t alone, through the CPU, outputs written in place. */
static int cpu_one(cuda_state *st, const mvn_batch_desc *b, size_t t, double *evals)
{
    const ptrdiff_t ti = (ptrdiff_t)t;
    mvn_batch_desc one = *b;
    one.n = 1;
    if (one.lower)
        one.lower += ti * b->lower_strides[0];
    if (one.upper)
        one.upper += ti * b->upper_strides[0];
    if (one.mean)
        one.mean += ti * b->mean_strides[0];
    if (one.sigma)
        one.sigma += ti * b->sigma_strides[0];
    if (one.p)
        one.p += ti * b->p_stride;
    if (one.logp)
        one.logp += ti * b->logp_stride;
    if (one.abserr)
        one.abserr += ti * b->abserr_stride;
    if (one.logerr)
        one.logerr += ti * b->logerr_stride;
    if (one.status)
        one.status += ti * b->status_stride;
    int s = mvn_batch_compute(st->cpu, MVN_COMPUTE_PROB, &one);
    *evals += mvn_context_evaluations(st->cpu);
    return s;
}

/* ------------------------------------------------------------------ */
/* Probabilities                                                       */
/* ------------------------------------------------------------------ */

static void put(const mvn_batch_desc *b, size_t t, double p, double logp, double abserr,
                double relerr, int status)
{
    const ptrdiff_t ti = (ptrdiff_t)t;
    if (b->p)
        b->p[ti * b->p_stride] = p;
    if (b->logp)
        b->logp[ti * b->logp_stride] = logp;
    if (b->abserr)
        b->abserr[ti * b->abserr_stride] = abserr;
    if (b->logerr)
        b->logerr[ti * b->logerr_stride] = relerr;
    if (b->status)
        b->status[ti * b->status_stride] = status;
}

/* Union-find root with path halving. */
static size_t root(size_t *parent, size_t i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

enum { ROUTE_DONE = 0, ROUTE_CPU = 1, ROUTE_GPU = 2 };

typedef struct {
    size_t d;
    double *a, *b, *sigma, *corr, *L, *work, *aa, *bb;
    size_t *active, *parent, *perm;
} scratch;

/*
 * solve.c's decisions for problem t (already loaded into s->a, s->b,
 * s->sigma).  ROUTE_DONE: the answer was written (empty region, no active
 * coordinate, or an error status in *status); ROUTE_CPU: the CPU answers;
 * ROUTE_GPU: the factor and limits of m active coordinates are in s->L,
 * s->aa, s->bb (m returned in *m).
 */
static int classify(const mvn_plugin_host *host, const mvn_batch_desc *b, size_t t,
                    int method, int reorder, scratch *s, size_t *m, int *status)
{
    const size_t d = s->d;
    const int use_qmc = method == MVN_METHOD_QMC;
    *status = MVN_OK;
    if (method == MVN_METHOD_TILTED)
        return ROUTE_CPU;
    size_t na = 0;
    int empty = 0;
    for (size_t i = 0; i < d; ++i) {
        const double v = s->sigma[i * d + i];
        if (v == 0.0) {
            if (!(s->a[i] <= 0.0 && 0.0 <= s->b[i]))
                empty = 1;
        } else if (s->a[i] == s->b[i]) {
            empty = 1;
        } else if (use_qmc || isfinite(s->a[i]) || isfinite(s->b[i])) {
            s->active[na++] = i;
        }
    }
    if (empty) {
        put(b, t, 0.0, -INFINITY, 0.0, 0.0, MVN_OK);
        return ROUTE_DONE;
    }
    if (na == 0) {
        put(b, t, 1.0, 0.0, 0.0, 0.0, MVN_OK);
        return ROUTE_DONE;
    }
    if (!use_qmc) {
        /* Exact kernels, and independent blocks: the CPU's business. */
        if (na <= 3)
            return ROUTE_CPU;
        for (size_t k = 0; k < na; ++k)
            s->parent[k] = k;
        for (size_t k = 0; k < na; ++k)
            for (size_t l = 0; l < k; ++l)
                if (s->sigma[s->active[k] * d + s->active[l]] != 0.0) {
                    size_t rk = root(s->parent, k), rl = root(s->parent, l);
                    if (rk != rl)
                        s->parent[rk > rl ? rk : rl] = rk < rl ? rk : rl;
                }
        for (size_t k = 1; k < na; ++k)
            if (root(s->parent, k) != 0)
                return ROUTE_CPU;
    }
    /* solve_block: standardized to unit variances, then the GGE factor. */
    for (size_t i = 0; i < na; ++i) {
        const size_t ii = s->active[i];
        const double sd = sqrt(s->sigma[ii * d + ii]);
        /* solve.c standardize_limit: an overflowing finite limit is
           +-1e300, never an infinity of the wrong meaning. */
        const double ya = s->a[ii] / sd, yb = s->b[ii] / sd;
        s->aa[i] = isinf(ya) && isfinite(s->a[ii]) ? copysign(1e300, ya) : ya;
        s->bb[i] = isinf(yb) && isfinite(s->b[ii]) ? copysign(1e300, yb) : yb;
        s->work[i] = sd;
    }
    for (size_t i = 0; i < na; ++i) {
        s->corr[i * na + i] = 1.0;
        for (size_t j = 0; j < i; ++j) {
            double c = s->sigma[s->active[i] * d + s->active[j]] / (s->work[i] * s->work[j]);
            c = fmax(-1.0, fmin(1.0, c));
            s->corr[i * na + j] = s->corr[j * na + i] = c;
        }
    }
    int st = host->chol_reorder(na, s->corr, s->aa, s->bb, reorder, s->L, s->perm, s->work);
    if (st != MVN_OK) {
        *status = st;
        return ROUTE_DONE;
    }
    *m = na;
    return ROUTE_GPU;
}

/* sov.c's tail_features for the prepared rows of one problem: each row's
   limits as functions of each earlier sampled z (kind >= 0), whose
   interval is its own limits where its row has no coefficients. */
static uint64_t tail_features(size_t d, const double *lo, const double *hi, const int *first,
                              const int *kind, const double *coef)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < d; ++i) {
        if (kind[i] == -2 || (size_t)first[i] >= i || (isinf(lo[i]) && isinf(hi[i])))
            continue;
        const double *c = coef + i * (i - 1) / 2;
        double ss = 0.0;
        for (size_t m = (size_t)first[i]; m < i; ++m)
            if (kind[m] >= 0)
                ss += c[m] * c[m];
        for (size_t m = (size_t)first[i]; m < i; ++m) {
            if (kind[m] < 0 || c[m] == 0.0)
                continue;
            const int own = (size_t)first[m] == m;
            mvni_tail_mark_pair(&mask, lo[i], hi[i], c[m],
                                sqrt(fmax(1.0 + ss - c[m] * c[m], 1.0)),
                                own ? lo[m] : -INFINITY, own ? hi[m] : INFINITY);
        }
    }
    return mask;
}

/* sov.c's prepare() for one problem of m rows, padded to d rows.  Also
   its tail features (*tails), the factor's sharpest row (*kappa, sov.c
   "Narrow features") and the
   error bound of the pivots the factorization dropped (*dropped, solve.c
   add_dropped_pivot_error: 3 sqrt of the largest dropped conditional
   variance of the unit-diagonal matrix). */
static void prepare(size_t d, size_t m, const double *L, const double *a, const double *b,
                    double *lo, double *hi, double *tol, int *first, int *kind, double *coef,
                    uint64_t *tails, double *kappa, double *dropped)
{
    int nw = 0;
    double kmax = 0.0, smax = 0.0;
    for (size_t i = 0; i < d; ++i) {
        double *c = coef + i * (i - 1) / 2;
        if (i >= m) {
            lo[i] = -INFINITY;
            hi[i] = INFINITY;
            tol[i] = 0.0;
            first[i] = (int)i;
            kind[i] = -1;
            for (size_t j = 0; j < i; ++j)
                c[j] = 0.0;
            continue;
        }
        const double *Li = L + i * m;
        const double lii = Li[i];
        size_t f = 0;
        while (f < i && Li[f] == 0.0)
            ++f;
        const int pos = lii > 0.0;
        const double scale = pos ? 1.0 / lii : 1.0;
        double ss = 0.0;
        for (size_t j = 0; j < i; ++j) {
            c[j] = j >= f ? Li[j] * scale : 0.0;
            ss += Li[j] * Li[j];
        }
        first[i] = (int)f;
        lo[i] = a[i] * scale;
        hi[i] = b[i] * scale;
        tol[i] = pos ? 0.0 : 1e-8 * sqrt(ss);
        kind[i] = !pos ? -2 : i + 1 < m ? nw++ : -1;
        if (pos && ss > 0.0 && sqrt(ss) * scale > kmax)
            kmax = sqrt(ss) * scale;
        if (!pos && 1.0 - ss > smax)
            smax = 1.0 - ss;
        if (!pos && f < i)
            kmax = INFINITY; /* an indicator with coefficients: a step */
    }
    *kappa = kmax;
    *dropped = 3.0 * sqrt(smax);
    *tails = tail_features(d, lo, hi, first, kind, coef);
}

/* Progress between lattice sizes, at most every 20 ms (as the CPU). */
typedef struct {
    const mvn_plugin_call *call;
    size_t problems, done_before;
    double evals_before;
    struct timespec last;
} progress_state;

static int between(void *user, size_t done, double evals)
{
    progress_state *ps = user;
    if (ps->call->progress == NULL)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const double dt = (double)(now.tv_sec - ps->last.tv_sec) +
                      1e-9 * (double)(now.tv_nsec - ps->last.tv_nsec);
    if (dt < 0.02)
        return 0;
    ps->last = now;
    mvn_progress info = {ps->problems, ps->done_before + done, ps->evals_before + evals};
    return ps->call->progress(ps->call->progress_user, &info) != 0;
}

/* Problems per GPU run: bounded so that the prepared arrays stay near
   512 MiB of host and device memory. */
static size_t run_size(size_t d)
{
    const double per = (double)d * (3 * 8 + 2 * 4) + (double)d * (double)(d - 1) / 2 * 8 + 64;
    double r = (double)((size_t)512 << 20) / per;
    return r < 1 ? 1 : r > 1e7 ? 10000000 : (size_t)r;
}

static int prob_batch(cuda_state *st, mvn_plugin_call *call, const mvn_batch_desc *b)
{
    const mvn_plugin_host *host = st->host;
    const size_t n = b->n, d = b->d;
    if (d < 1 || d > MVN_MAX_DIM) {
        msgf(call, "dimension d = %zu is outside 1 .. %d", d, MVN_MAX_DIM);
        for (size_t t = 0; t < n; ++t)
            put(b, t, NAN, NAN, NAN, NAN, MVN_EDIM);
        return MVN_EDIM;
    }
    const int method = (int)call->option[MVN_OPT_METHOD];
    const int reorder = (int)call->option[MVN_OPT_REORDER];
    const int M = (int)call->option[MVN_OPT_SHIFTS];
    const size_t ncoef = d * (d - 1) / 2;
    const size_t R = run_size(d) < n ? run_size(d) : n;
    const int nsizes = host->lattice_count();
    double evals = 0.0;
    int first_bad = MVN_OK, any_etol = 0, ret = MVN_OK;
    size_t first_bad_t = 0;
    char bad_msg[512] = "";

    int nth = (int)call->option[MVN_OPT_THREADS];
    nth = nth < 1 ? 1 : nth > 256 ? 256 : nth;
#ifndef _OPENMP
    nth = 1;
#endif
    scratch *scr = calloc((size_t)nth, sizeof *scr);
    double *mem = malloc((size_t)nth * (3 * d * d + 7 * d) * sizeof(double));
    size_t *imem = malloc((size_t)nth * 3 * d * sizeof(size_t));
    int *rt = malloc(R * sizeof(int)), *pstat = malloc(R * sizeof(int));
    /* Per run: prepared rows and outputs. */
    double *lo = malloc(R * d * sizeof(double)), *hi = malloc(R * d * sizeof(double));
    double *tol = malloc(R * d * sizeof(double));
    double *kappa = malloc(R * sizeof(double)), *dropped = malloc(R * sizeof(double));
    uint64_t *tails = malloc(R * sizeof(uint64_t));
    double *coef = malloc((R * ncoef + 1) * sizeof(double));
    int *first = malloc(R * d * sizeof(int)), *kind = malloc(R * d * sizeof(int));
    size_t *which = malloc(R * sizeof(size_t));
    double *out = malloc(5 * R * sizeof(double));
    int *ostatus = malloc(R * sizeof(int));
    double *shift = malloc((size_t)M * d * sizeof(double));
    uint64_t *npoints = malloc((size_t)nsizes * sizeof(uint64_t));
    uint64_t *gen = malloc((size_t)nsizes * d * sizeof(uint64_t));
    if (!scr || !rt || !pstat || !mem || !imem || !lo || !hi || !tol || !kappa || !tails || !dropped ||
        !coef || !first || !kind || !which || !out ||
        !ostatus || !shift || !npoints || !gen) {
        msgf(call, "out of memory preparing %zu problems of dimension %zu", R, d);
        for (size_t t = 0; t < n; ++t)
            put(b, t, NAN, NAN, NAN, NAN, MVN_ENOMEM);
        ret = MVN_ENOMEM;
        goto done;
    }
    for (int k = 0; k < nth; ++k) {
        scratch *sc = &scr[k];
        double *mk = mem + (size_t)k * (3 * d * d + 7 * d);
        size_t *ik = imem + (size_t)k * 3 * d;
        sc->d = d;
        sc->a = mk;
        sc->b = sc->a + d;
        sc->aa = sc->b + d;
        sc->bb = sc->aa + d;
        sc->work = sc->bb + d; /* 3 d */
        sc->sigma = sc->work + 3 * d;
        sc->corr = sc->sigma + d * d;
        sc->L = sc->corr + d * d;
        sc->active = ik;
        sc->parent = ik + d;
        sc->perm = ik + 2 * d;
    }

    /* The CPU's lattice and shifts (sov.c: shift j of coordinate c is
       uniform(seed, j, c)). */
    const uint64_t seed = (uint64_t)call->option[MVN_OPT_SEED];
    for (int j = 0; j < M; ++j)
        for (size_t c = 0; c < d; ++c)
            shift[(size_t)j * d + c] = host->uniform(seed, (uint64_t)j, (uint64_t)c);
    for (int k = 0; k < nsizes; ++k) {
        npoints[k] = host->lattice_points(k);
        for (size_t c = 0; c < d; ++c)
            gen[(size_t)k * d + c] = host->lattice_generator(k, c);
    }

    progress_state ps;
    ps.call = call;
    ps.problems = n;
    ps.done_before = 0;
    ps.evals_before = 0.0;
    clock_gettime(CLOCK_MONOTONIC, &ps.last);

    for (size_t t0 = 0; t0 < n && ret != MVN_ECANCELED;) {
        /* Phase 1, in parallel over the window's problems (MVN_OPT_THREADS
           threads): validation, routing and, for the GPU's problems, the
           GGE factor and the prepared rows, each in its own slot.  Only
           pure host services run here; the private CPU context is not
           touched. */
        const size_t W = n - t0 < R ? n - t0 : R;
        size_t ng = 0, t = t0 + W;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 64) num_threads(nth) if (nth > 1 && W > 64)
#endif
        for (long q = 0; q < (long)W; ++q) {
            int tid = 0;
#ifdef _OPENMP
            tid = omp_get_thread_num();
#endif
            scratch *sc = &scr[tid];
            const size_t tq = t0 + (size_t)q;
            char msg[8];
            int pst = host->load_problem(b, tq, sc->a, sc->b, sc->sigma, msg, sizeof msg);
            size_t m = 0;
            int route = ROUTE_DONE;
            if (pst == MVN_OK)
                route = classify(host, b, tq, method, reorder, sc, &m, &pst);
            if (pst != MVN_OK) {
                put(b, tq, NAN, NAN, NAN, NAN, pst);
                route = ROUTE_DONE;
            }
            if (route == ROUTE_GPU)
                prepare(d, m, sc->L, sc->aa, sc->bb, lo + q * d, hi + q * d, tol + q * d,
                        first + q * d, kind + q * d, coef + q * ncoef, tails + q, kappa + q,
                        dropped + q);
            rt[q] = route;
            pstat[q] = pst;
        }
        /* Phase 2, in order: the first failure's message (redone to get
           its full text), the CPU's problems, the GPU's slots compacted. */
        for (size_t q = 0; q < W; ++q) {
            const size_t tq = t0 + q;
            if (pstat[q] != MVN_OK) {
                if (first_bad == MVN_OK) {
                    char msg[512] = "";
                    size_t m = 0;
                    int pst = host->load_problem(b, tq, scr[0].a, scr[0].b, scr[0].sigma, msg,
                                                 sizeof msg);
                    if (pst == MVN_OK)
                        (void)classify(host, b, tq, method, reorder, &scr[0], &m, &pst);
                    if (pst == MVN_ENOTPD && !msg[0])
                        snprintf(msg, sizeof msg, "Sigma is not positive semidefinite");
                    first_bad = pstat[q];
                    first_bad_t = tq;
                    snprintf(bad_msg, sizeof bad_msg, "%s", msg);
                }
                continue;
            }
            if (rt[q] == ROUTE_CPU) {
                int cst = cpu_one(st, b, tq, &evals);
                if (cst == MVN_ETOL)
                    any_etol = 1;
                else if (cst != MVN_OK && first_bad == MVN_OK) {
                    first_bad = cst;
                    first_bad_t = tq;
                    snprintf(bad_msg, sizeof bad_msg, "%s", mvn_context_message(st->cpu));
                }
                continue;
            }
            if (rt[q] == ROUTE_GPU) {
                if (q != ng) {
                    memcpy(lo + ng * d, lo + q * d, d * sizeof *lo);
                    memcpy(hi + ng * d, hi + q * d, d * sizeof *hi);
                    memcpy(tol + ng * d, tol + q * d, d * sizeof *tol);
                    memcpy(first + ng * d, first + q * d, d * sizeof *first);
                    memcpy(kind + ng * d, kind + q * d, d * sizeof *kind);
                    memcpy(coef + ng * ncoef, coef + q * ncoef, ncoef * sizeof *coef);
                    kappa[ng] = kappa[q];
                    tails[ng] = tails[q];
                    dropped[ng] = dropped[q];
                }
                which[ng++] = tq;
            }
        }
        if (ng > 0) {
            mvncu_sov_job job;
            memset(&job, 0, sizeof job);
            job.nprob = ng;
            job.d = d;
            job.shifts = M;
            job.error_factor = call->option[MVN_OPT_ERROR_FACTOR];
            job.abseps = call->option[MVN_OPT_ABSEPS];
            job.releps = call->option[MVN_OPT_RELEPS];
            job.maxpts = call->option[MVN_OPT_MAXPTS];
            job.lo = lo;
            job.hi = hi;
            job.tol = tol;
            job.coef = coef;
            job.first = first;
            job.kind = kind;
            job.kappa = kappa;
            job.tails = tails;
            job.shift = shift;
            job.nsizes = nsizes;
            job.npoints = npoints;
            job.gen = gen;
            job.stream = b->stream;
            job.between = between;
            job.user = &ps;
            ps.done_before = t0 + (t - t0 - ng); /* answered outside the GPU */
            job.p = out;
            job.logp = out + R;
            job.abserr = out + 2 * R;
            job.relerr = out + 3 * R;
            job.evals = out + 4 * R;
            job.status = ostatus;
            char gmsg[512] = "";
            int gst = mvncu_sov_run(&job, gmsg, sizeof gmsg);
            if (gst == MVN_EBACKEND || gst == MVN_ENOMEM) {
                msgf(call, "%s", gst == MVN_ENOMEM ? "out of memory" : gmsg);
                for (size_t q = 0; q < n; ++q)
                    put(b, q, NAN, NAN, NAN, NAN, gst);
                ret = gst;
                goto done;
            }
            for (size_t q = 0; q < ng; ++q) {
                /* The dropped pivots' bound joins abserr, as on the CPU
                   (solve.c add_dropped_pivot_error). */
                if ((job.status[q] == MVN_OK || job.status[q] == MVN_ETOL) &&
                    dropped[q] > job.abserr[q]) {
                    job.abserr[q] = dropped[q];
                    job.relerr[q] = job.p[q] > 0.0 ? dropped[q] / job.p[q] : INFINITY;
                    if (!(dropped[q] <= fmax(job.abseps, job.releps * job.p[q])))
                        job.status[q] = MVN_ETOL;
                }
                put(b, which[q], job.p[q], job.logp[q], job.abserr[q], job.relerr[q],
                    job.status[q]);
                evals += job.evals[q];
                if (job.status[q] == MVN_ETOL)
                    any_etol = 1;
            }
            if (gst == MVN_ECANCELED) {
                for (size_t q = t; q < n; ++q)
                    put(b, q, NAN, NAN, NAN, NAN, MVN_ECANCELED);
                size_t fin = 0;
                for (size_t q = 0; q < ng; ++q)
                    fin += job.status[q] != MVN_ECANCELED;
                msgf(call, "canceled by the progress callback after %zu of %zu problems",
                     t - ng + fin, n);
                ret = MVN_ECANCELED;
            }
            ps.evals_before = evals;
        }
        t0 = t;
    }
    if (ret == MVN_OK) {
        if (first_bad != MVN_OK) {
            msgf(call, "problem %zu: %s", first_bad_t, bad_msg);
            ret = first_bad;
        } else if (any_etol) {
            msgf(call, "the tolerance was not reached within maxpts for some problems");
            ret = MVN_ETOL;
        } else {
            msgf(call, "%s", "");
        }
    }
done:
    call->evaluations = evals;
    free(scr);
    free(rt);
    free(pstat);
    free(mem);
    free(imem);
    free(lo);
    free(hi);
    free(tol);
    free(kappa);
    free(tails);
    free(dropped);
    free(coef);
    free(first);
    free(kind);
    free(which);
    free(out);
    free(ostatus);
    free(shift);
    free(npoints);
    free(gen);
    return ret;
}

static int cuda_compute(void *state, mvn_plugin_call *call)
{
    cuda_state *st = state;
    const mvn_batch_desc *desc = call->desc;
    mvn_batch_desc hd;
    stage_set set;
    set.count = 0;
    call->evaluations = 0.0;
    if (desc->n == 0) {
        msgf(call, "%s", "");
        return MVN_OK;
    }
    if (desc->memory == MVN_MEMORY_CUDA) {
        int err = stage_desc(&set, desc, &hd, call->computation);
        if (err != 0) {
            stage_out(&set, NULL);
            if (err == -MVN_ENOMEM) {
                msgf(call, "out of memory staging a device batch");
                return MVN_ENOMEM;
            }
            msgf(call, "copying the device batch to the host failed: %s (error %d)",
                 mvncu_error_string(err), err);
            return MVN_EBACKEND;
        }
        desc = &hd;
    }
    cpu_options(st, call);
    int ret;
    if (call->computation == MVN_COMPUTE_PROB) {
        ret = prob_batch(st, call, desc);
    } else {
        /* Gradients: the CPU library, inside the module, for now. */
        mvn_context_set_progress(st->cpu, call->progress, call->progress_user);
        ret = mvn_batch_compute(st->cpu, call->computation, desc);
        mvn_context_set_progress(st->cpu, NULL, NULL);
        call->evaluations = mvn_context_evaluations(st->cpu);
        msgf(call, "%s", mvn_context_message(st->cpu));
    }
    if (set.count > 0) {
        int err = stage_out(&set, call->desc->stream);
        if (err != 0) {
            msgf(call, "copying the results to the device failed: %s (error %d)",
                 mvncu_error_string(err), err);
            return MVN_EBACKEND;
        }
    }
    return ret;
}

const mvn_plugin *mvn_plugin_entry(void) __attribute__((visibility("default")));

const mvn_plugin *mvn_plugin_entry(void)
{
    static const mvn_plugin plugin = {
        MVN_PLUGIN_ABI_VERSION,
        sizeof(mvn_plugin),
        "cuda",
        MVN_BACKEND_CUDA,
        (1u << MVN_COMPUTE_PROB) | (1u << MVN_COMPUTE_GRAD) | (1u << MVN_COMPUTE_LOG_GRAD),
        (1u << MVN_MEMORY_HOST) | (1u << MVN_MEMORY_CUDA),
        cuda_init,
        cuda_fini,
        cuda_compute,
    };
    return &plugin;
}
