/* test_fork.c -- a call with 2 threads, fork(), and a call with 2 threads
   requested in the child must finish (libgomp's thread pool does not
   survive fork).  The child uses the handler that mvnorm.h documents: a
   pthread_atfork child handler that sets MVN_OPT_THREADS = 1 on the
   contexts the child uses.  An alarm turns a hang into a failure. */
/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mvnorm.h"
#include "tap.h"

static mvn_context *ctx;

/* The documented handler. */
static void child_handler(void) { mvn_context_set(ctx, MVN_OPT_THREADS, 1); }

enum { D = 10, N = 32 };

static int run(double *p)
{
    static double sigma[D * D], upper[N * D];
    for (int i = 0; i < D; ++i)
        for (int j = 0; j < D; ++j)
            sigma[i * D + j] = i == j ? 1.0 : 0.4;
    for (int t = 0; t < N; ++t)
        for (int i = 0; i < D; ++i)
            upper[t * D + i] = 0.5 + 0.02 * t;
    const ptrdiff_t vs[2] = {D, 1}, ss[3] = {0, D, 1};
    return mvn_prob_batch(ctx, N, D, NULL, NULL, upper, vs, NULL, NULL, sigma, ss,
                          MVN_SIGMA_COV, p, NULL, NULL, NULL);
}

int main(void)
{
    ctx = mvn_context_alloc();
    mvn_context_set(ctx, MVN_OPT_ABSEPS, 1e-4);
    mvn_context_set(ctx, MVN_OPT_THREADS, 2);
    pthread_atfork(NULL, NULL, child_handler);
    double parent[N], child[N];
    int st = run(parent);
    tap_ok(st == MVN_OK, "parent: batch with 2 threads");
    int fd[2];
    if (pipe(fd) != 0) {
        tap_skip("pipe() failed");
        return tap_exit();
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        alarm(60);
        mvn_context_set(ctx, MVN_OPT_THREADS, 2); /* what a naive child asks */
        child_handler();                          /* ...and what the handler enforces */
        int s = run(child);
        int same = s == MVN_OK;
        for (int t = 0; t < N; ++t)
            same &= child[t] == parent[t];
        char c = same ? 'y' : 'n';
        if (write(fd[1], &c, 1) != 1)
            _exit(2);
        _exit(0);
    }
    close(fd[1]);
    int wst = 0;
    waitpid(pid, &wst, 0);
    char c = '?';
    if (read(fd[0], &c, 1) != 1)
        c = '?';
    tap_ok(WIFEXITED(wst) && WEXITSTATUS(wst) == 0, "child finished (not killed by the alarm)");
    tap_ok(c == 'y', "child's results equal the parent's bitwise");
    mvn_context_free(ctx);
    return tap_exit();
}
