# Wall-clock timing and the tolerance sweep shared by the in-process adapters.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Timing rules shared by every adapter (mvtnorm_bench.R follows the same).

A call is timed (wall clock, and CPU time of the process) as the best over up to `max_reps` blocks; a block repeats
the call enough times to last at least MIN_BLOCK seconds, so that
microsecond calls are not lost in timer resolution.  The value scored for
accuracy is the value of the first call (one sample per instance for every
implementation, so error statistics are comparable).

The sweep runs tolerances from loose to tight and stops early when the
next tolerance would overrun the dimension's time budget (it is assumed
to cost at least as much as the previous one), or when every instance at the previous
tolerance exhausted its evaluation budget (a tighter tolerance would spend
the same budget again and reach the same accuracy).
"""

import math
import time
from dataclasses import dataclass

MIN_BLOCK = 0.01


@dataclass
class Result:
    impl: str
    problem: str
    family: str
    d: int
    tol: float
    maxpts: int
    time: float          # best wall seconds per call
    cpu: float           # best CPU seconds per call (all threads of the process)
    value: float         # first call's value
    exact: float
    converged: bool      # the implementation reports the tolerance met
    evaluations: float = float("nan")
    calls: int = 1

    @property
    def error(self):
        return abs(self.value - self.exact)


def _block(call, n):
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    return time.perf_counter() - w0, time.process_time() - c0


def measure(call, rep_budget, max_reps=5):
    """(best wall seconds per call, best CPU seconds per call, first value,
    number of calls timed).  CPU time is the process's (all its threads)."""
    w0, c0 = time.perf_counter(), time.process_time()
    first = call()
    block, cpu = time.perf_counter() - w0, time.process_time() - c0
    best, best_cpu, calls, inner = block, cpu, 1, 1
    # Grow the block (timeit's autorange) until it lasts MIN_BLOCK.
    while block < MIN_BLOCK and inner < 1_000_000:
        inner *= 10
        block, cpu = _block(call, inner)
        best, best_cpu = min(best, block / inner), min(best_cpu, cpu / inner)
        calls += inner
    reps = max(0, min(max_reps - 1, int(rep_budget / block)))
    for _ in range(reps):
        w, c = _block(call, inner)
        best, best_cpu = min(best, w / inner), min(best_cpu, c / inner)
        calls += inner
    return best, best_cpu, first, calls


def sweep(impl, problems, tols, maxpts_of, run_one, dim_budget, rep_budget):
    """Run run_one(problem, tol, maxpts, rep_budget) -> Result over the
    tolerance ladder with the stopping rules above; returns (results,
    note) where note says why the ladder stopped early ("" if it did not)."""
    results = []
    spent = last_round = 0.0
    for k, tol in enumerate(tols):
        # A tighter tolerance costs at least as much as the last one did.
        if k > 0 and spent + last_round > dim_budget:
            return results, f"stopped before tol {tol:g}: time budget spent"
        batch = []
        t_round = time.perf_counter()
        for p in problems:
            batch.append(run_one(p, tol, maxpts_of(p.d), rep_budget))
        last_round = time.perf_counter() - t_round
        spent += last_round
        results.extend(batch)
        if not any(r.converged for r in batch) and k + 1 < len(tols):
            return results, (f"stopped after tol {tol:g}: evaluation budget "
                             f"exhausted on every instance")
    return results, ""
