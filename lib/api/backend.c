/*
 * api/backend.c -- which backend serves a call: the names, the probe
 * that bindings use to list backends, what the build contains, and the
 * choice made for each call (GPU use is opt-in).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <string.h>

#include "api/backend.h"
#include "api/batch.h"
#include "common/format.h"

MVN_API const char *mvn_backend_name(int backend)
{
    return mvn_option_value_name(MVN_OPT_BACKEND, backend);
}

/* Loads (once per context) the CUDA module. */
static int load_cuda(mvn_context *ctx)
{
    return mvni_plugin_load(&ctx->cuda, MVN_BACKEND_CUDA, "cuda");
}

MVN_API int mvn_backend_probe(mvn_context *ctx, int backend, char *reason,
                              size_t reason_size)
{
    if (reason && reason_size)
        reason[0] = '\0';
    if (ctx == NULL)
        return MVN_EINVAL;
    switch (backend) {
    case MVN_BACKEND_AUTO:
    case MVN_BACKEND_CPU:
        return MVN_OK;
    case MVN_BACKEND_CUDA: {
        int st = load_cuda(ctx);
        if (st != MVN_OK && reason && reason_size)
            mvni_format(reason, reason_size, "%s", ctx->cuda.reason);
        return st;
    }
    default:
        if (reason && reason_size)
            mvni_format(reason, reason_size, "unknown backend %d", backend);
        return MVN_EINVAL;
    }
}

#define MVNI_STR2(x) #x
#define MVNI_STR(x) MVNI_STR2(x)

MVN_API const char *mvn_build_info(void)
{
    return "version=" MVN_VERSION_STRING "\n"
#ifdef MVN_HAVE_OPENMP
           "openmp=yes\n"
#else
           "openmp=no\n"
#endif
#if defined(MVN_SIMD_X86)
           "simd=generic,avx2,avx512\n"
#else
           "simd=generic\n"
#endif
#ifdef MVN_HAVE_CUDA_PLUGIN
           "cuda_plugin=built\n"
#else
           "cuda_plugin=not built\n"
#endif
           "plugin_dir=" MVNI_PLUGIN_DIR "\n"
           "plugin_abi=" MVNI_STR(MVN_PLUGIN_ABI_VERSION) "\n";
}

/* The CPU executor as a backend entry: the computations of
   mvn_batch_compute on host memory, with the context as state (it holds
   the options, the callback and the message buffer the executor uses). */
static int cpu_compute(void *state, mvn_plugin_call *call)
{
    mvn_context *ctx = (mvn_context *)state;
    int st;
    switch (call->computation) {
    case MVN_COMPUTE_PROB:
        st = mvni_prob_desc(ctx, call->desc);
        break;
    case MVN_COMPUTE_GRAD:
        st = mvni_grad_desc(ctx, call->desc, 0);
        break;
    default:
        st = mvni_grad_desc(ctx, call->desc, 1);
        break;
    }
    call->evaluations = ctx->evaluations;
    return st;
}

static const mvn_plugin cpu_backend = {
    MVN_PLUGIN_ABI_VERSION, sizeof(mvn_plugin), "cpu", MVN_BACKEND_CPU,
    (1u << MVN_COMPUTE_PROB) | (1u << MVN_COMPUTE_GRAD) | (1u << MVN_COMPUTE_LOG_GRAD),
    1u << MVN_MEMORY_HOST, NULL, NULL, cpu_compute,
};

const mvn_plugin *mvni_backend_entry(mvn_context *ctx, int backend, void **state)
{
    if (backend == MVN_BACKEND_CPU) {
        *state = ctx;
        return &cpu_backend;
    }
    *state = ctx->cuda.state;
    return ctx->cuda.plugin;
}

int mvni_backend_select(mvn_context *ctx, int computation, int memory,
                        int *chosen)
{
    int want = (int)ctx->option[MVN_OPT_BACKEND];
    *chosen = MVN_BACKEND_CPU;
    if (want == MVN_BACKEND_CPU) {
        if (memory != MVN_MEMORY_HOST)
            return mvni_fail(ctx, MVN_EUNSUPPORTED,
                             "the CPU backend serves host memory only; this batch is in "
                             "device memory (memory = %d)", memory);
        return MVN_OK;
    }
    /* AUTO asks for CUDA only when the environment opted in or the data
       already lives on the device. */
    const int required = want == MVN_BACKEND_CUDA;
    if (!required && ctx->env_backend != MVN_BACKEND_CUDA && memory == MVN_MEMORY_HOST)
        return MVN_OK;
    int st = load_cuda(ctx);
    const mvn_plugin *pl = ctx->cuda.plugin;
    if (st == MVN_OK && (pl->computations & (1u << computation)) &&
        (pl->memories & (1u << memory))) {
        *chosen = MVN_BACKEND_CUDA;
        return MVN_OK;
    }
    if (st != MVN_OK && (required || memory != MVN_MEMORY_HOST))
        return mvni_fail(ctx, MVN_EBACKEND, "the CUDA backend is not available: %s",
                         ctx->cuda.reason);
    if (st == MVN_OK && (required || memory != MVN_MEMORY_HOST))
        return mvni_fail(ctx, MVN_EUNSUPPORTED,
                         "the CUDA backend does not serve computation %d in memory %d",
                         computation, memory);
    /* AUTO with MVN_BACKEND=cuda: the CPU answers; the reason stays
       available through mvn_backend_probe. */
    return MVN_OK;
}
