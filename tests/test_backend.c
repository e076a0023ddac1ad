/* test_backend.c -- the backend seam: names and build information, the
   plugin loader (found through MVN_PLUGIN_PATH, rejected for a wrong ABI
   version, a wrong struct size or a failing init, each with its reason),
   MVN_BACKEND_CUDA without a module (MVN_EBACKEND with the loader's
   reason), AUTO staying on the CPU unless MVN_BACKEND=cuda opts in and
   falling back when the module fails, the backend that answered, and the
   plugin ABI's struct layout pinned by offsetof.  The module is the test
   plugin tests/plugin/fake_cuda.c (the CPU behind the plugin ABI). */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mvnorm.h"
#include "mvnorm_plugin.h"
#include "tap.h"

enum { D = 5, N = 6 };
static double sigma[D * D], upper[N * D];
static const ptrdiff_t vs[2] = {D, 1}, ss[3] = {0, D, 1};

static int batch(mvn_context *ctx, double *p, double *dl)
{
    if (dl == NULL)
        return mvn_prob_batch(ctx, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                              MVN_SIGMA_COV, p, NULL, NULL, NULL);
    return mvn_prob_grad_batch(ctx, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                               MVN_SIGMA_COV, p, NULL, NULL, NULL, NULL, dl, NULL, NULL);
}

static mvn_context *fresh(int backend)
{
    mvn_context *c = mvn_context_alloc();
    mvn_context_set(c, MVN_OPT_ABSEPS, 1e-4);
    mvn_context_set(c, MVN_OPT_BACKEND, backend);
    return c;
}

/* The probe's reason for CUDA under MVN_TEST_PLUGIN_MODE = mode. */
static int probe_mode(const char *mode, char *reason, size_t size)
{
    setenv("MVN_TEST_PLUGIN_MODE", mode, 1);
    mvn_context *c = fresh(MVN_BACKEND_CUDA);
    int st = mvn_backend_probe(c, MVN_BACKEND_CUDA, reason, size);
    mvn_context_free(c);
    return st;
}

int main(void)
{
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            sigma[i * D + j] = i == j ? 1.0 : 0.5;
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i)
            upper[t * D + i] = 0.1 * (t + i);

    /* Layout of the plugin ABI, pinned (LP64). */
    tap_ok(offsetof(mvn_plugin, abi_version) == 0 && offsetof(mvn_plugin, struct_size) == 8 &&
           offsetof(mvn_plugin, name) == 16 && offsetof(mvn_plugin, backend) == 24 &&
           offsetof(mvn_plugin, computations) == 28 && offsetof(mvn_plugin, memories) == 32 &&
           offsetof(mvn_plugin, init) == 40 && offsetof(mvn_plugin, fini) == 48 &&
           offsetof(mvn_plugin, compute) == 56 && sizeof(mvn_plugin) == 64,
           "mvn_plugin layout pinned (ABI field first)");
    tap_ok(offsetof(mvn_plugin_call, struct_size) == 0 &&
           offsetof(mvn_plugin_call, computation) == 8 && offsetof(mvn_plugin_call, desc) == 16 &&
           offsetof(mvn_plugin_call, option) == 24 &&
           offsetof(mvn_plugin_call, progress) == 24 + 8 * (MVN_OPTION_MAX + 1),
           "mvn_plugin_call layout pinned");
    tap_ok(offsetof(mvn_plugin_host, struct_size) == 0 &&
           offsetof(mvn_plugin_host, load_problem) == 8 &&
           offsetof(mvn_plugin_host, chol_reorder) == 16 &&
           offsetof(mvn_plugin_host, lattice_count) == 24 &&
           offsetof(mvn_plugin_host, uniform) == 48 && sizeof(mvn_plugin_host) == 56,
           "mvn_plugin_host layout pinned");
    tap_ok(offsetof(mvn_batch_desc, struct_size) == 0 && offsetof(mvn_batch_desc, n) == 8 &&
           offsetof(mvn_batch_desc, d) == 16 && offsetof(mvn_batch_desc, memory) == 24 &&
           offsetof(mvn_batch_desc, sigma_kind) == 28 && offsetof(mvn_batch_desc, stream) == 32 &&
           offsetof(mvn_batch_desc, lower) == 40 && offsetof(mvn_batch_desc, p) == 40 + 4 * 8 + 9 * 8,
           "mvn_batch_desc layout pinned (struct_size first)");

    const char *info = mvn_build_info();
    char want[64];
    snprintf(want, sizeof want, "version=%s\n", mvn_version_string());
    tap_ok(strstr(info, want) != NULL && strstr(info, "plugin_abi=1\n") != NULL &&
           strstr(info, "openmp=") != NULL && strstr(info, "plugin_dir=/") != NULL,
           "mvn_build_info names the version, OpenMP, SIMD sets, plugin dir and ABI");
    tap_ok(strcmp(mvn_backend_name(MVN_BACKEND_CPU), "cpu") == 0 &&
           strcmp(mvn_backend_name(MVN_BACKEND_CUDA), "cuda") == 0 &&
           mvn_backend_name(MVN_BACKEND_COUNT) == NULL, "backend names");

    /* No module anywhere. */
    unsetenv("MVN_BACKEND");
    setenv("MVN_PLUGIN_PATH", "/nonexistent-mvn-plugins", 1);
    char reason[512];
    mvn_context *c = fresh(MVN_BACKEND_CUDA);
    int st = mvn_backend_probe(c, MVN_BACKEND_CUDA, reason, sizeof reason);
    tap_ok(st == MVN_EBACKEND && strstr(reason, "mvnorm_cuda.so") != NULL,
           "no module: probe gives MVN_EBACKEND: %s", reason);
    tap_ok(mvn_backend_probe(c, MVN_BACKEND_CPU, reason, sizeof reason) == MVN_OK,
           "the CPU backend is always available");
    double p[N], p_cpu[N], dl[N * D], dl_cpu[N * D];
    for (int t = 0; t < N; ++t)
        p[t] = 0.0;
    st = batch(c, p, NULL);
    tap_ok(st == MVN_EBACKEND && isnan(p[0]) && isnan(p[N - 1]),
           "MVN_BACKEND_CUDA without a module: MVN_EBACKEND, NaN outputs: %s",
           mvn_context_message(c));
    tap_ok(strstr(mvn_context_message(c), "mvnorm_cuda.so") != NULL,
           "the message carries the loader's reason");
    double h[D * D], p1;
    st = mvn_prob_hessian(c, D, NULL, upper, NULL, sigma, &p1, h);
    tap_ok(st == MVN_EBACKEND, "Hessian with CUDA required and no module: MVN_EBACKEND");
    mvn_context_free(c);
    c = fresh(MVN_BACKEND_AUTO);
    st = batch(c, p_cpu, NULL);
    tap_ok(st == MVN_OK && mvn_context_backend(c) == MVN_BACKEND_CPU,
           "AUTO without MVN_BACKEND: the CPU answers");
    st = batch(c, NULL, dl_cpu);
    tap_ok(st == MVN_OK, "CPU gradients for comparison");
    mvn_context_free(c);

    /* The test module. */
    const char *top = getenv("MVN_TOP_BUILDDIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/tests/plugin/.libs", top ? top : ".");
    char file[1100];
    snprintf(file, sizeof file, "%s/mvnorm_cuda.so", dir);
    if (access(file, F_OK) != 0) {
        tap_skip("test plugin module not built (static-only build): loader tests skipped");
        return tap_exit();
    }
    setenv("MVN_PLUGIN_PATH", dir, 1);
    tap_ok(probe_mode("ok", reason, sizeof reason) == MVN_OK, "test module loads from MVN_PLUGIN_PATH");
    st = probe_mode("abi", reason, sizeof reason);
    tap_ok(st == MVN_EBACKEND && strstr(reason, "ABI version 999") != NULL,
           "wrong ABI version rejected: %s", reason);
    st = probe_mode("size", reason, sizeof reason);
    tap_ok(st == MVN_EBACKEND && strstr(reason, "struct of 8 bytes") != NULL,
           "wrong struct size rejected: %s", reason);
    st = probe_mode("init", reason, sizeof reason);
    tap_ok(st == MVN_EBACKEND && strstr(reason, "init refused") != NULL,
           "failing init gives its reason: %s", reason);
    setenv("MVN_TEST_PLUGIN_MODE", "init", 1);
    c = fresh(MVN_BACKEND_CUDA);
    st = batch(c, p, NULL);
    tap_ok(st == MVN_EBACKEND && strstr(mvn_context_message(c), "init refused") != NULL,
           "CUDA required, init fails: MVN_EBACKEND with the reason");
    mvn_context_free(c);

    setenv("MVN_TEST_PLUGIN_MODE", "ok", 1);
    c = fresh(MVN_BACKEND_CUDA);
    st = batch(c, p, NULL);
    int same = st == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= p[t] == p_cpu[t];
    tap_ok(same && mvn_context_backend(c) == MVN_BACKEND_CUDA,
           "the module answers (backend cuda) with the CPU's numbers bitwise");
    st = batch(c, NULL, dl);
    same = st == MVN_OK;
    for (int i = 0; i < N * D; ++i)
        same &= dl[i] == dl_cpu[i];
    tap_ok(same && mvn_context_backend(c) == MVN_BACKEND_CUDA,
           "gradients through the module: same numbers bitwise");
    st = mvn_prob_hessian(c, D, NULL, upper, NULL, sigma, &p1, h);
    tap_ok(st == MVN_EUNSUPPORTED, "Hessian with CUDA required: MVN_EUNSUPPORTED (CPU only): %s",
           mvn_context_message(c));
    mvn_context_free(c);

    /* AUTO: opt-in through the environment, fallback when the module fails. */
    c = fresh(MVN_BACKEND_AUTO);
    st = batch(c, p, NULL);
    tap_ok(st == MVN_OK && mvn_context_backend(c) == MVN_BACKEND_CPU,
           "AUTO with a module present but no opt-in: the CPU answers");
    mvn_context_free(c);
    setenv("MVN_BACKEND", "cuda", 1);
    c = fresh(MVN_BACKEND_AUTO);
    st = batch(c, p, NULL);
    tap_ok(st == MVN_OK && mvn_context_backend(c) == MVN_BACKEND_CUDA,
           "AUTO with MVN_BACKEND=cuda: the module answers");
    mvn_context_free(c);
    setenv("MVN_TEST_PLUGIN_MODE", "init", 1);
    c = fresh(MVN_BACKEND_AUTO);
    st = batch(c, p, NULL);
    same = st == MVN_OK;
    for (int t = 0; t < N; ++t)
        same &= p[t] == p_cpu[t];
    tap_ok(same && mvn_context_backend(c) == MVN_BACKEND_CPU,
           "AUTO with MVN_BACKEND=cuda and a failing module: falls back to the CPU");
    mvn_context_free(c);
    unsetenv("MVN_BACKEND");
    unsetenv("MVN_TEST_PLUGIN_MODE");
    return tap_exit();
}
