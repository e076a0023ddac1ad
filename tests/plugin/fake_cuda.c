/* fake_cuda.c -- a test-only backend module: implements the plugin ABI
   (mvnorm_plugin.h) on the CPU, through the public library, under the
   CUDA backend's file name, so that the loader can be tested on every
   machine.  MVN_TEST_PLUGIN_MODE makes it misbehave on purpose:
     abi   reports ABI version 999        size  reports an 8-byte struct
     init  refuses in init                (unset or ok: behaves) */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvnorm.h"
#include "mvnorm_plugin.h"

static const char *mode(void)
{
    const char *m = getenv("MVN_TEST_PLUGIN_MODE");
    return m ? m : "ok";
}

static int fake_init(const mvn_plugin_host *host, void **state, char *reason,
                     size_t reason_size)
{
    if (host == NULL || host->struct_size < sizeof *host || host->lattice_count() < 1) {
        snprintf(reason, reason_size, "test plugin: no host services");
        return 1;
    }
    if (strcmp(mode(), "init") == 0) {
        snprintf(reason, reason_size, "test plugin: init refused (MVN_TEST_PLUGIN_MODE=init)");
        return 1;
    }
    *state = mvn_context_alloc();
    return *state == NULL;
}

static void fake_fini(void *state) { mvn_context_free((mvn_context *)state); }

static int fake_compute(void *state, mvn_plugin_call *call)
{
    mvn_context *c = (mvn_context *)state;
    for (int o = 1; o <= MVN_OPTION_MAX; ++o)
        if (o != MVN_OPT_BACKEND)
            mvn_context_set(c, o, call->option[o]);
    mvn_context_set(c, MVN_OPT_BACKEND, MVN_BACKEND_CPU);
    mvn_context_set_progress(c, call->progress, call->progress_user);
    int st = mvn_batch_compute(c, call->computation, call->desc);
    call->evaluations = mvn_context_evaluations(c);
    snprintf(call->message, call->message_size, "%s", mvn_context_message(c));
    return st;
}

const mvn_plugin *mvn_plugin_entry(void);

const mvn_plugin *mvn_plugin_entry(void)
{
    static mvn_plugin desc;
    desc.abi_version = strcmp(mode(), "abi") == 0 ? 999u : (unsigned)MVN_PLUGIN_ABI_VERSION;
    desc.struct_size = strcmp(mode(), "size") == 0 ? 8 : sizeof desc;
    desc.name = "cuda";
    desc.backend = MVN_BACKEND_CUDA;
    desc.computations = (1u << MVN_COMPUTE_PROB) | (1u << MVN_COMPUTE_GRAD) |
                        (1u << MVN_COMPUTE_LOG_GRAD);
    desc.memories = 1u << MVN_MEMORY_HOST;
    desc.init = fake_init;
    desc.fini = fake_fini;
    desc.compute = fake_compute;
    return &desc;
}
