/* replay.c -- runs every file of a fuzz corpus through a fuzz target's LLVMFuzzerTestOneInput, without libFuzzer: a TAP test of `make check`. */
/* SPDX-License-Identifier: GPL-3.0-or-later */

/*
 * Usage: test_fuzz_replay_<target> [FILE | DIR]...
 * Without arguments it replays $MVN_TOP_SRCDIR/tests/fuzz/corpus/<target>
 * (FUZZ_TARGET, set at compile time), the seed corpus and every crash or
 * wrong answer found so far.  Each file is one test point, run in a child
 * process: a target that aborts (a broken contract, see fuzz.h) or
 * crashes fails that point and the replay goes on.  With `make fuzz`
 * libFuzzer runs the same function under ASan + UBSan; this driver, built
 * by the ordinary compiler, keeps the corpus passing on every `make check`
 * without clang.
 */

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

#ifndef FUZZ_TARGET
#error "FUZZ_TARGET (the corpus name: api or cli) must be defined"
#endif

static int n_points, n_failed;

static int read_file(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t cap = 4096, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        uint8_t *bigger = realloc(buf, cap * 2);
        if (!bigger) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = bigger;
        cap *= 2;
    }
    int err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        return -1;
    }
    *data = buf;
    *size = n;
    return 0;
}

/* One input in a child, so that an abort fails one point only. */
static void replay_one(const char *path)
{
    uint8_t *data;
    size_t size;
    int ok;
    const char *why = "";
    char buf[64];
    if (read_file(path, &data, &size) != 0) {
        ok = 0;
        why = " (cannot read it)";
    } else {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            LLVMFuzzerTestOneInput(data, size);
            _exit(0);
        }
        int ws = 0;
        ok = pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) &&
             WEXITSTATUS(ws) == 0;
        if (!ok && pid > 0 && WIFSIGNALED(ws)) {
            snprintf(buf, sizeof buf, " (signal %d)", WTERMSIG(ws));
            why = buf;
        }
        free(data);
    }
    ++n_points;
    n_failed += !ok;
    printf("%s %d - %s%s\n", ok ? "ok" : "not ok", n_points, path, why);
    fflush(stdout);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of a directory, in name order (stable test numbers). */
static void replay_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        printf("not ok %d - cannot open %s: %s\n", ++n_points, dir, strerror(errno));
        ++n_failed;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *path = malloc(len);
        struct stat sb;
        if (!path)
            break;
        snprintf(path, len, "%s/%s", dir, e->d_name);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(path);
            continue;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **bigger = realloc(names, cap * sizeof *names);
            if (!bigger) {
                free(path);
                break;
            }
            names = bigger;
        }
        names[n++] = path;
    }
    closedir(dp);
    if (n)
        qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; i < n; ++i) {
        replay_one(names[i]);
        free(names[i]);
    }
    free(names);
}

static void replay_path(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        replay_dir(path);
    else
        replay_one(path);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int i = 1; i < argc; ++i)
            replay_path(argv[i]);
    } else {
        const char *top = getenv("MVN_TOP_SRCDIR");
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", top ? top : ".",
                 FUZZ_TARGET);
        replay_dir(dir);
    }
    printf("1..%d\n", n_points);
    return n_failed != 0;
}
