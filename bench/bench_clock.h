/*
 * bench/bench_clock.h -- the clocks of the C benchmarks: wall time
 * (CLOCK_MONOTONIC) and the process's CPU time, in seconds.  On a shared
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

#endif
