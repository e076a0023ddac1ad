/*
 * bench/bench_clock.h -- the clocks of the C benchmarks: wall time
 * (CLOCK_MONOTONIC), the process's and the calling thread's CPU time,
 * in seconds.  On a shared
 * machine the CPU time of a single-threaded run is the less disturbed
 * figure.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVN_BENCH_CLOCK_H
#define MVN_BENCH_CLOCK_H

#include <time.h>

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double bench_wall(void)
{
    return bench_clock(CLOCK_MONOTONIC);
}

static inline double bench_cpu(void)
{
    return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

/* The calling thread's CPU time: for runs on one thread of the library.
   The process's CPU time also counts OpenBLAS's server threads, which spin
   (sched_yield) for a while after the library is loaded even where no
   BLAS routine is called: in a 0.2 s run of bivariate batches they doubled
   the CPU time of the working thread. */
static inline double bench_thread_cpu(void)
{
    return bench_clock(CLOCK_THREAD_CPUTIME_ID);
}

#endif
