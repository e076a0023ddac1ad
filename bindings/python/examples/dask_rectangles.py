#!/usr/bin/python3
# 10^6 rectangle probabilities on a distributed.LocalCluster of worker processes, timed per worker
# count, checked bitwise against one in-process call.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Rectangle probabilities P(a < X < b), X ~ N(0, Sigma) with one shared
Sigma (d x d, equicorrelated with rho = 0.5) and n random rectangles,
computed

  1. in-process, by ONE call of mvnorm.numpy.normal_probability, and
  2. by mvnorm.dask on a distributed.LocalCluster of 1, 2, ... worker
     processes (one thread each, library threads per task from
     mvnorm.dask.threads_per_task), chunks of --chunk problems,

and checks that every distributed result equals the in-process one
bitwise.  Prints one line per worker count: seconds, problems per second.

    python3 dask_rectangles.py                    # n = 10**6, d = 4, workers 1,2
    python3 dask_rectangles.py --n 200000 --workers 1,2,4

Run from a checkout without installing: set MVNORM_LIBRARY to the built
lib/.libs/libmvnorm.so.1 and PYTHONPATH to bindings/python (the worker
processes inherit both).
"""

import argparse
import os
import sys
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=10**6, help="problems (default 10**6)")
    ap.add_argument("--d", type=int, default=4, help="dimension (default 4)")
    ap.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    ap.add_argument("--chunk", type=int, default=20000, help="problems per chunk")
    ap.add_argument("--abseps", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--skip-reference", action="store_true",
                    help="do not time the in-process call (no bitwise check)")
    args = ap.parse_args()

    import dask.array as da
    import distributed
    import mvnorm.dask as mvd
    import mvnorm.numpy as mvn

    n, d = args.n, args.d
    rng = np.random.default_rng(2024)
    sigma = np.full((d, d), 0.5) + 0.5 * np.eye(d)
    centre = rng.uniform(-1.0, 1.0, (n, d))
    half = rng.uniform(0.2, 1.5, (n, d))
    lower, upper = centre - half, centre + half
    kw = dict(abseps=args.abseps, releps=0.0, seed=args.seed)
    print("mvnorm.dask example: n = %d rectangles, d = %d, abseps = %g, %d usable CPUs"
          % (n, d, args.abseps, len(os.sched_getaffinity(0))))

    ref = None
    if not args.skip_reference:
        t = time.perf_counter()
        ref = mvn.normal_probability(lower=lower, upper=upper, covariance_matrix=sigma,
                                     n_jobs=1, **kw)
        dt = time.perf_counter() - t
        print("in-process, 1 call, 1 thread : %8.2f s  %10.0f problems/s" % (dt, n / dt))

    ok = True
    for w in (int(x) for x in args.workers.split(",")):
        with distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                      dashboard_address=":0", silence_logs=40) as cluster, \
                distributed.Client(cluster) as client:
            mvd.prepare_workers(client)          # load libmvnorm in each worker now
            threads = mvd.threads_per_task(client)
            lo = da.from_array(lower, chunks=(args.chunk, d))
            up = da.from_array(upper, chunks=(args.chunk, d))
            lazy = mvd.normal_probability(lower=lo, upper=up, covariance_matrix=sigma,
                                          n_jobs=threads, **kw)
            t = time.perf_counter()
            p = lazy.compute()
            dt = time.perf_counter() - t
        same = "" if ref is None else (
            "  bitwise equal to the in-process call: %s" % np.array_equal(p, ref))
        if ref is not None:
            ok = ok and np.array_equal(p, ref)
        print("LocalCluster %d worker%s x %d thread%s: %8.2f s  %10.0f problems/s%s"
              % (w, "s" if w > 1 else " ", threads, "s" if threads > 1 else " ", dt, n / dt,
                 same))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
