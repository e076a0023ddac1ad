/* test_cuda_plugin.c -- the CUDA backend module as built (cuda/.libs/
   mvnorm_cuda.so), on any machine: its exported entry symbol and ABI
   struct (dlopen'ed directly), nothing else exported, and the library
   loading it through MVN_PLUGIN_PATH.  Without a device (no driver, or
   none found): the probe and MVN_BACKEND_CUDA give MVN_EBACKEND with
   "no CUDA device: <the runtime's reason>", and AUTO with MVN_BACKEND=cuda
   falls back to the CPU with the CPU's numbers bitwise.  With a device
   those checks are SKIPped here (tests/test_cuda_gpu.c takes over). */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mvnorm.h"
#include "mvnorm_plugin.h"
#include "tap.h"

enum { D = 5, N = 4 };
static double sigma[D * D], upper[N * D];
static const ptrdiff_t vs[2] = {D, 1}, ss[3] = {0, D, 1};

static int batch(mvn_context *ctx, double *p, int *status)
{
    return mvn_prob_batch(ctx, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                          MVN_SIGMA_COV, p, NULL, NULL, status);
}

static mvn_context *fresh(int backend)
{
    mvn_context *c = mvn_context_alloc();
    mvn_context_set(c, MVN_OPT_ABSEPS, 1e-4);
    mvn_context_set(c, MVN_OPT_BACKEND, backend);
    return c;
}

int main(void)
{
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            sigma[i * D + j] = i == j ? 1.0 : 0.5;
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i)
            upper[t * D + i] = 0.2 * (t + i) - 0.3;

    const char *top = getenv("MVN_TOP_BUILDDIR");
    char dir[1024], file[1100];
    snprintf(dir, sizeof dir, "%s/cuda/.libs", top ? top : ".");
    snprintf(file, sizeof file, "%s/mvnorm_cuda.so", dir);
    if (access(file, F_OK) != 0)
        tap_skip_all("the CUDA module was not built (configure --with-cuda)");

    tap_ok(strstr(mvn_build_info(), "cuda_plugin=built\n") != NULL,
           "mvn_build_info says cuda_plugin=built");

    /* The module itself. */
    void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    tap_ok(h != NULL, "dlopen(%s, RTLD_NOW | RTLD_LOCAL): %s", file, h ? "ok" : dlerror());
    if (h == NULL)
        return tap_exit();
    void *sym = dlsym(h, MVN_PLUGIN_ENTRY_SYMBOL);
    tap_ok(sym != NULL, "exports " MVN_PLUGIN_ENTRY_SYMBOL);
    mvn_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const mvn_plugin *pl = sym ? entry() : NULL;
    tap_ok(pl != NULL && pl->abi_version == MVN_PLUGIN_ABI_VERSION,
           "abi_version == MVN_PLUGIN_ABI_VERSION (%u)", (unsigned)MVN_PLUGIN_ABI_VERSION);
    tap_ok(pl != NULL && pl->struct_size == sizeof(mvn_plugin), "struct_size == sizeof(mvn_plugin)");
    tap_ok(pl != NULL && pl->backend == MVN_BACKEND_CUDA && pl->name && strcmp(pl->name, "cuda") == 0,
           "backend MVN_BACKEND_CUDA, name \"cuda\"");
    tap_ok(pl != NULL && (pl->computations & (1u << MVN_COMPUTE_PROB)) &&
           (pl->memories & (1u << MVN_MEMORY_HOST)) && (pl->memories & (1u << MVN_MEMORY_CUDA)),
           "serves probabilities in host and device memory");
    tap_ok(pl != NULL && pl->init && pl->fini && pl->compute, "init, fini and compute are set");
    tap_ok(dlsym(h, "mvncu_sov_run") == NULL && dlsym(h, "mvncu_device_count") == NULL,
           "internal symbols are hidden");
    if (pl != NULL && pl->init) {
        char reason[256] = "";
        void *state = NULL;
        int r = pl->init(NULL, &state, reason, sizeof reason);
        tap_ok(r != 0 && reason[0] != '\0', "init without host services refuses: %s", reason);
    }
    dlclose(h);

    /* Through the library. */
    unsetenv("MVN_BACKEND");
    setenv("MVN_PLUGIN_PATH", dir, 1);
    char reason[512] = "";
    mvn_context *c = fresh(MVN_BACKEND_CUDA);
    int st = mvn_backend_probe(c, MVN_BACKEND_CUDA, reason, sizeof reason);
    mvn_context_free(c);
    if (st == MVN_OK) {
        tap_diag("a CUDA device is present: the no-device checks are skipped");
        tap_skip("probe: a CUDA device is present (tests/test_cuda_gpu.c runs the GPU checks)");
        return tap_exit();
    }
    tap_ok(st == MVN_EBACKEND && strstr(reason, "no CUDA device: ") != NULL &&
           strstr(reason, "(error ") != NULL,
           "probe: MVN_EBACKEND, reason names the runtime's error: %s", reason);
    tap_ok(strstr(reason, "mvnorm_cuda.so: init failed") != NULL,
           "the reason says which file was tried and that init failed");

    double p[N], p_cpu[N];
    int status[N];
    c = fresh(MVN_BACKEND_CPU);
    st = batch(c, p_cpu, status);
    tap_ok(st == MVN_OK, "the CPU reference batch");
    mvn_context_free(c);

    c = fresh(MVN_BACKEND_CUDA);
    for (int t = 0; t < N; ++t)
        p[t] = 0.0;
    st = batch(c, p, status);
    tap_ok(st == MVN_EBACKEND && isnan(p[0]) && isnan(p[N - 1]) && status[0] == MVN_EBACKEND,
           "MVN_BACKEND_CUDA: MVN_EBACKEND, NaN outputs and statuses");
    tap_ok(strstr(mvn_context_message(c), "no CUDA device") != NULL,
           "its message carries the reason: %s", mvn_context_message(c));
    mvn_batch_desc desc;
    mvn_batch_desc_init(&desc, N, D);
    desc.upper = upper;
    desc.upper_strides[0] = D;
    desc.upper_strides[1] = 1;
    desc.sigma = sigma;
    desc.sigma_strides[1] = D;
    desc.sigma_strides[2] = 1;
    desc.p = p;
    desc.p_stride = 1;
    desc.memory = MVN_MEMORY_CUDA;
    mvn_context_set(c, MVN_OPT_BACKEND, MVN_BACKEND_AUTO);
    st = mvn_batch_compute(c, MVN_COMPUTE_PROB, &desc);
    tap_ok(st == MVN_EBACKEND && strstr(mvn_context_message(c), "no CUDA device") != NULL,
           "device memory under AUTO without a device: MVN_EBACKEND with the reason");
    mvn_context_free(c);

    setenv("MVN_BACKEND", "cuda", 1);
    c = fresh(MVN_BACKEND_AUTO);
    st = batch(c, p, status);
    int same = st == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= p[t] == p_cpu[t];
    tap_ok(same && mvn_context_backend(c) == MVN_BACKEND_CPU,
           "AUTO with MVN_BACKEND=cuda and no device: the CPU answers, same numbers bitwise");
    st = mvn_backend_probe(c, MVN_BACKEND_CUDA, reason, sizeof reason);
    tap_ok(st == MVN_EBACKEND && strstr(reason, "no CUDA device") != NULL,
           "after the fallback the probe still gives the reason");
    mvn_context_free(c);
    unsetenv("MVN_BACKEND");
    return tap_exit();
}
