/*
 * common/monitor.c -- progress reports and cancellation of one call.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <time.h>

#include "common/monitor.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mvni_monitor_init(mvni_monitor *m, mvn_progress_fn fn, void *user,
                       size_t problems)
{
    m->fn = fn;
    m->user = user;
    m->caller = pthread_self();
    m->problems = problems;
    atomic_init(&m->done, 0);
    atomic_init(&m->evaluations, 0);
    atomic_init(&m->stop, 0);
    m->next_call = now() + MVNI_MONITOR_INTERVAL;
}

/* Calls the user's callback when this is the calling thread and the
   interval has passed. */
static int report(mvni_monitor *m)
{
    if (atomic_load_explicit(&m->stop, memory_order_relaxed))
        return 1;
    if (m->fn == NULL || !pthread_equal(pthread_self(), m->caller))
        return 0;
    const double t = now();
    if (t < m->next_call)
        return 0;
    mvn_progress info;
    info.problems = m->problems;
    info.problems_done = atomic_load(&m->done);
    info.evaluations = (double)atomic_load(&m->evaluations);
    if (m->fn(m->user, &info) != 0) {
        atomic_store(&m->stop, 1);
        return 1;
    }
    m->next_call = now() + MVNI_MONITOR_INTERVAL;
    return 0;
}

int mvni_monitor_step(mvni_monitor *m, double evals)
{
    if (m == NULL)
        return 0;
    atomic_fetch_add_explicit(&m->evaluations, (uint_fast64_t)evals,
                              memory_order_relaxed);
    return report(m);
}

int mvni_monitor_problem_done(mvni_monitor *m)
{
    if (m == NULL)
        return 0;
    atomic_fetch_add_explicit(&m->done, 1, memory_order_relaxed);
    return report(m);
}

int mvni_monitor_stopped(mvni_monitor *m)
{
    return m != NULL && atomic_load_explicit(&m->stop, memory_order_relaxed);
}
