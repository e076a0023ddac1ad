# SciPy adapter: the Fortran MVNDST behind scipy.stats.multivariate_normal.cdf (SciPy < 1.16).
# SPDX-License-Identifier: GPL-3.0-or-later
"""SciPy adapter.

In SciPy 1.10 multivariate_normal.cdf calls scipy.stats._mvn.mvnun, the
f2py wrapper of Genz's Fortran MVNDST (randomized Korobov lattice rules on
the separation-of-variables integrand, Genz 1992; Genz & Bretz 2009).
MVNDST is limited to d <= 500: for larger d SciPy 1.10 silently returns
0.0 with inform 0, so the adapter reports d > 500 as not supported.

Timing covers _mvn.mvnun(lower, upper, mean, cov, maxpts, abseps, releps),
the exact call multivariate_normal.cdf makes once per point in SciPy 1.10
(checked in scipy/stats/_multivariate.py, multivariate_normal_gen._cdf).
Calling it directly leaves out cdf()'s argument processing, its PSD check
(an eigendecomposition) and its Python overhead (tens of microseconds),
which favours SciPy, and returns MVNDST's inform flag from the timed call
itself (0: tolerance met).  MVNDST reports no evaluation count.
"""

import numpy as np
import scipy
from scipy.stats import _mvn

from timing import Result, measure

NAME = "SciPy"
MAX_DIM = 500


def version():
    return f"SciPy {scipy.__version__} (multivariate_normal.cdf -> _mvn.mvnun, Fortran MVNDST)"


def available():
    return True


def _caller(problem, tol, maxpts):
    mean = np.zeros((problem.d, 1))
    args = (problem.lower, problem.upper, mean, problem.sigma, int(maxpts),
            float(tol), 0.0)
    return lambda: _mvn.mvnun(*args)


def run_one(problem, tol, maxpts, rep_budget):
    call = _caller(problem, tol, maxpts)
    best, cpu, (value, inform), calls = measure(call, rep_budget)
    return Result(NAME, problem.name, problem.family, problem.d, tol, int(maxpts),
                  best, cpu, float(value), problem.exact, inform == 0, calls=calls)


def throughput(problem, maxpts):
    """CPU seconds per extra point: calls forced (abseps = 0) to spend maxpts
    and 4 maxpts points; the difference removes fixed per-call costs.
    MVNDST reports no point count, so maxpts is taken as the count."""
    t = [measure(_caller(problem, 0.0, n), rep_budget=0.0, max_reps=1)[1]
         for n in (maxpts, 4 * maxpts)]
    return t[1] - t[0], 3.0 * maxpts
