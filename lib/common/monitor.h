/*
 * common/monitor.h -- progress reports and cancellation of one call.
 *
 * A monitor lives on the stack of the batch driver for one public call.
 * The integrators call mvni_monitor_step between lattice sizes and the
 * driver calls mvni_monitor_problem_done after each problem, from any
 * worker thread; only the thread that called the library invokes the
 * user's callback, and a stop it requests is seen by every thread at its
 * next step.  Algorithms get a pointer to it in their options (NULL when
 * the caller set no callback: then nothing is counted).
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_COMMON_MONITOR_H
#define MVNI_COMMON_MONITOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mvnorm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds between two calls of the user's callback, at most one call per
   step or problem. */
#define MVNI_MONITOR_INTERVAL 0.02

typedef struct {
    mvn_progress_fn fn;
    void *user;
    pthread_t caller;       /* the thread that called the library */
    size_t problems;
    atomic_size_t done;     /* problems finished */
    atomic_uint_fast64_t evaluations;
    atomic_int stop;        /* set once the callback returned nonzero */
    double next_call;       /* monotonic time of the next allowed call;
                               read and written by the caller only */
} mvni_monitor;

void mvni_monitor_init(mvni_monitor *m, mvn_progress_fn fn, void *user,
                       size_t problems);

/* Between two lattice sizes: counts evals and reports when due.  Returns
   nonzero when the call must stop (the integrator then returns
   MVN_ECANCELED).  m may be NULL (returns 0). */
int mvni_monitor_step(mvni_monitor *m, double evals);

/* After each problem of a batch; returns nonzero when the call must stop. */
int mvni_monitor_problem_done(mvni_monitor *m);

/* Whether a stop was requested; m may be NULL. */
int mvni_monitor_stopped(mvni_monitor *m);

#ifdef __cplusplus
}
#endif

#endif
