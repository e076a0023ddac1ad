/*
 * backend/plugin.c -- the plugin loader (dlopen, ABI checks, reasons).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend/plugin.h"
#include "backend/validate.h"
#include "common/format.h"
#include "qmc/qmc.h"

/* load_problem of mvn_plugin_host: one problem of a host descriptor in
   canonical form, through the executor's own validation. */
static int host_load_problem(const mvn_batch_desc *b, size_t t, double *a, double *bb,
                             double *sigma, char *msg, size_t msg_size)
{
    const ptrdiff_t ti = (ptrdiff_t)t;
    mvni_input in;
    in.lower = b->lower ? b->lower + ti * b->lower_strides[0] : NULL;
    in.lower_stride = b->lower_strides[1];
    in.upper = b->upper ? b->upper + ti * b->upper_strides[0] : NULL;
    in.upper_stride = b->upper_strides[1];
    in.mean = b->mean ? b->mean + ti * b->mean_strides[0] : NULL;
    in.mean_stride = b->mean_strides[1];
    in.sigma = b->sigma ? b->sigma + ti * b->sigma_strides[0] : NULL;
    in.sigma_row_stride = b->sigma_strides[1];
    in.sigma_col_stride = b->sigma_strides[2];
    in.sigma_kind = b->sigma_kind;
    int st = mvni_check_dim(b->d, msg, msg_size);
    if (st != MVN_OK)
        return st;
    return mvni_load_problem(b->d, &in, a, bb, sigma, msg, msg_size);
}

static const mvn_plugin_host host_services = {
    sizeof(mvn_plugin_host), host_load_problem, mvni_chol_reorder,
    mvni_lattice_count, mvni_lattice_points, mvni_lattice_generator, mvni_uniform,
};

/* Tries one file; returns MVN_OK when the module is accepted, else writes
   the reason and returns MVN_EBACKEND.  A file that does not exist gives
   reason "" (the search goes on without comment). */
static int try_file(mvni_plugin_slot *slot, int backend, const char *path)
{
    slot->reason[0] = '\0';
    if (access(path, F_OK) != 0)
        return MVN_EBACKEND;
    mvni_format(slot->path, sizeof slot->path, "%s", path);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *e = dlerror();
        mvni_format(slot->reason, sizeof slot->reason, "%s: dlopen failed: %s", path,
                    e ? e : "unknown error");
        return MVN_EBACKEND;
    }
    mvn_plugin_entry_fn entry;
    /* The ISO C way to turn a data pointer into a function pointer. */
    void *sym = dlsym(h, MVN_PLUGIN_ENTRY_SYMBOL);
    memcpy(&entry, &sym, sizeof entry);
    const mvn_plugin *pl = sym ? entry() : NULL;
    const char *why = NULL;
    char buf[256];
    if (sym == NULL)
        why = "no symbol " MVN_PLUGIN_ENTRY_SYMBOL;
    else if (pl == NULL)
        why = MVN_PLUGIN_ENTRY_SYMBOL "() returned NULL";
    else if (pl->abi_version != MVN_PLUGIN_ABI_VERSION) {
        mvni_format(buf, sizeof buf, "plugin ABI version %u, this library speaks %u",
                    pl->abi_version, (unsigned)MVN_PLUGIN_ABI_VERSION);
        why = buf;
    } else if (pl->struct_size < sizeof(mvn_plugin)) {
        mvni_format(buf, sizeof buf, "plugin struct of %zu bytes, this library needs %zu",
                    pl->struct_size, sizeof(mvn_plugin));
        why = buf;
    } else if (pl->backend != backend) {
        mvni_format(buf, sizeof buf, "the module implements backend %d, not %d",
                    pl->backend, backend);
        why = buf;
    } else if (pl->init == NULL || pl->compute == NULL) {
        why = "the module lacks init or compute";
    }
    if (why) {
        mvni_format(slot->reason, sizeof slot->reason, "%s: rejected: %s", path, why);
        dlclose(h);
        return MVN_EBACKEND;
    }
    char init_reason[384] = "";
    void *state = NULL;
    if (pl->init(&host_services, &state, init_reason, sizeof init_reason) != 0) {
        mvni_format(slot->reason, sizeof slot->reason, "%s: init failed: %s", path,
                    init_reason[0] ? init_reason : "no reason given");
        dlclose(h);
        return MVN_EBACKEND;
    }
    slot->handle = h;
    slot->plugin = pl;
    slot->state = state;
    return MVN_OK;
}

int mvni_plugin_load(mvni_plugin_slot *slot, int backend, const char *name)
{
    const char *plugin_dir = MVNI_PLUGIN_DIR;
    if (slot->tried)
        return slot->status;
    slot->tried = 1;
    slot->path[0] = '\0';
    char file[64], path[1024], first_reason[512] = "", searched[512] = "";
    mvni_format(file, sizeof file, "mvnorm_%s.so", name);
    const char *env = getenv("MVN_PLUGIN_PATH");
    /* Directories: MVN_PLUGIN_PATH's, then plugin_dir.  The first
       rejection is the one reported when nothing loads. */
    const char *lists[2] = {env, plugin_dir};
    for (int l = 0; l < 2; ++l) {
        const char *s = lists[l];
        while (s && *s) {
            const char *colon = strchr(s, ':');
            size_t len = colon ? (size_t)(colon - s) : strlen(s);
            if (len > 0 && len < sizeof path - sizeof file - 2) {
                mvni_format(path, sizeof path, "%.*s/%s", (int)len, s, file);
                size_t used = strlen(searched);
                mvni_format(searched + used, sizeof searched - used, "%s%.*s",
                            used ? ", " : "", (int)len, s);
                if (try_file(slot, backend, path) == MVN_OK) {
                    slot->status = MVN_OK;
                    slot->reason[0] = '\0';
                    return MVN_OK;
                }
                if (slot->reason[0] && !first_reason[0])
                    memcpy(first_reason, slot->reason, sizeof first_reason);
            }
            s = colon ? colon + 1 : NULL;
        }
    }
    slot->status = MVN_EBACKEND;
    if (first_reason[0])
        memcpy(slot->reason, first_reason, sizeof slot->reason);
    else
        mvni_format(slot->reason, sizeof slot->reason,
                    "no module %s in %s (MVN_PLUGIN_PATH%s, then the installed plugin "
                    "directory); this build %s", file, searched[0] ? searched : "no directory",
                    env ? "" : " unset",
#ifdef MVN_HAVE_CUDA_PLUGIN
                    "installs the CUDA plugin: is it installed?"
#else
                    "was configured without CUDA (--with-cuda)"
#endif
                    );
    return MVN_EBACKEND;
}

void mvni_plugin_unload(mvni_plugin_slot *slot)
{
    if (slot->handle) {
        if (slot->plugin && slot->plugin->fini)
            slot->plugin->fini(slot->state);
        dlclose(slot->handle);
    }
    memset(slot, 0, sizeof *slot);
}
