# R mvtnorm adapter: runs bench/mvtnorm_bench.R once per dimension through Rscript.
# SPDX-License-Identifier: GPL-3.0-or-later
"""R mvtnorm adapter.

pmvnorm(lower, upper, sigma = , algorithm = GenzBretz(maxpts, abseps,
releps = 0)) runs Genz's Fortran MVTDST (randomized Korobov lattice rules,
Genz & Bretz 2002, 2009).  Problems travel to R in one binary file per
dimension; R times the calls itself (proc.time), so R start-up and package
loading are excluded.  Convergence is the "Normal Completion" message.
"""

import csv
import os
import shutil
import subprocess
import tempfile

import numpy as np

from timing import Result

NAME = "mvtnorm"
MAX_DIM = 1000
HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "mvtnorm_bench.R")


def available():
    if shutil.which("Rscript") is None:
        return False
    r = subprocess.run(["Rscript", "-e", "library(mvtnorm)"],
                       capture_output=True)
    return r.returncode == 0


def version():
    r = subprocess.run(["Rscript", "-e",
                        'cat(R.version.string, "; mvtnorm", '
                        'format(packageVersion("mvtnorm")))'],
                       capture_output=True, text=True)
    return r.stdout.strip() + " (pmvnorm, GenzBretz -> Fortran MVTDST)"


def _write_problems(path, problems):
    parts = [np.array([len(problems)], dtype="<f8")]
    for p in problems:
        parts += [np.array([p.d], dtype="<f8"), p.lower.astype("<f8"),
                  p.upper.astype("<f8"), np.ascontiguousarray(p.sigma, dtype="<f8").ravel()]
    with open(path, "wb") as f:
        for a in parts:
            f.write(a.tobytes())


def _run_r(problems, tols_arg, maxpts, dim_budget, rep_budget):
    with tempfile.TemporaryDirectory(prefix="mvnbench-") as tmp:
        src = os.path.join(tmp, "problems.bin")
        dst = os.path.join(tmp, "out.csv")
        _write_problems(src, problems)
        subprocess.run(["Rscript", SCRIPT, src, dst, tols_arg, str(int(maxpts)),
                        repr(dim_budget), repr(rep_budget)], check=True)
        with open(dst, newline="") as f:
            return list(csv.DictReader(f))


def run_dimension(problems, tols, maxpts, dim_budget, rep_budget):
    """All tolerances for the problems of one dimension in one Rscript run;
    returns (results, note)."""
    rows = _run_r(problems, ",".join(repr(t) for t in tols), maxpts,
                  dim_budget, rep_budget)
    out = []
    for row in rows:
        p = problems[int(row["problem"])]
        out.append(Result(NAME, p.name, p.family, p.d, float(row["tol"]),
                          int(maxpts), float(row["time"]), float(row["cpu"]),
                          float(row["value"]),
                          p.exact, row["converged"] == "TRUE",
                          calls=int(float(row["calls"]))))
    done = sorted({r.tol for r in out}, reverse=True)
    note = "" if len(done) == len(tols) else \
        f"stopped after tol {done[-1]:g}: budget (time or evaluations)"
    return out, note


def throughput(problem, maxpts):
    """CPU seconds per extra point, as adapter_scipy.throughput."""
    t = [float(_run_r([problem], "throughput", n, 0.0, 0.0)[0]["cpu"])
         for n in (maxpts, 4 * maxpts)]
    return t[1] - t[0], 3.0 * maxpts
