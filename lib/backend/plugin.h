/*
 * backend/plugin.h -- the plugin loader: finds a backend module, opens it
 * with dlopen(RTLD_NOW | RTLD_LOCAL), checks its ABI and calls its init,
 * and records why it did or did not load.  One slot per context and
 * backend: there is no global registry.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_BACKEND_PLUGIN_H
#define MVNI_BACKEND_PLUGIN_H

#include "mvnorm_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int tried;                 /* a load was attempted */
    int status;                /* MVN_OK when loaded, else MVN_EBACKEND */
    void *handle;              /* dlopen handle */
    const mvn_plugin *plugin;  /* the module's description */
    void *state;               /* from the module's init */
    char path[1024];           /* the file that was loaded, or tried last */
    char reason[512];          /* why the load failed ("" when it did not) */
} mvni_plugin_slot;

/*
 * Loads the module for `backend` (file name mvnorm_<name>.so) into slot,
 * once: later calls return the recorded outcome.  The search order is
 * each directory of MVN_PLUGIN_PATH (colon-separated), then
 * MVNI_PLUGIN_DIR.
 * A module is rejected when it cannot be opened, lacks the entry symbol,
 * has another ABI version, a struct smaller than mvn_plugin, another
 * backend value, or an init that fails; the reason is kept in
 * slot->reason.  Returns MVN_OK or MVN_EBACKEND.
 */
int mvni_plugin_load(mvni_plugin_slot *slot, int backend, const char *name);

/* The installed plugin directory (configure's $(pkglibdir)). */
#ifdef MVN_PLUGIN_DIR
#define MVNI_PLUGIN_DIR MVN_PLUGIN_DIR
#else
#define MVNI_PLUGIN_DIR "/usr/local/lib/libmvnorm"
#endif

/* Calls the module's fini and closes it; the slot is then empty. */
void mvni_plugin_unload(mvni_plugin_slot *slot);

#ifdef __cplusplus
}
#endif

#endif
