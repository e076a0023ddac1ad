# libmvnorm adapter: the public C API (mvn_prob) through ctypes.
# SPDX-License-Identifier: GPL-3.0-or-later
"""libmvnorm adapter.

Calls mvn_prob through ctypes with MVN_OPT_ABSEPS = tol, MVN_OPT_RELEPS = 0,
MVN_OPT_MAXPTS = the same evaluation cap the competitors get, and
MVN_OPT_THREADS = 1 (single thread) or 0 (all threads the OpenMP runtime
offers).  The point count of a call is mvn_context_evaluations.  The ctypes
call itself costs about a microsecond, which matters only for d <= 3 where
the exact kernels answer in well under that.
"""

import ctypes
import os

import numpy as np

from timing import Result, measure

MAX_DIM = 100000
# Option values pinned in lib/mvnorm.h.
OPT_ABSEPS, OPT_RELEPS, OPT_MAXPTS, OPT_SEED, OPT_THREADS = 1, 2, 3, 4, 5
MVN_OK, MVN_ETOL = 0, 1

_dbl_p = ctypes.POINTER(ctypes.c_double)


class LibMvnorm:
    """One loaded library and one context; threads = 1 or 0 (all)."""

    def __init__(self, path, threads):
        self.lib = lib = ctypes.CDLL(os.path.abspath(path))
        self.threads = threads
        self.name = "libmvnorm-1t" if threads == 1 else "libmvnorm-all"
        lib.mvn_context_alloc.restype = ctypes.c_void_p
        lib.mvn_context_free.argtypes = [ctypes.c_void_p]
        lib.mvn_context_set.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_double]
        lib.mvn_context_set.restype = ctypes.c_int
        lib.mvn_context_evaluations.argtypes = [ctypes.c_void_p]
        lib.mvn_context_evaluations.restype = ctypes.c_double
        lib.mvn_context_message.argtypes = [ctypes.c_void_p]
        lib.mvn_context_message.restype = ctypes.c_char_p
        lib.mvn_version_string.restype = ctypes.c_char_p
        lib.mvn_prob.argtypes = [ctypes.c_void_p, ctypes.c_size_t] + [_dbl_p] * 7
        lib.mvn_prob.restype = ctypes.c_int
        self.ctx = lib.mvn_context_alloc()
        if not self.ctx:
            raise MemoryError("mvn_context_alloc")
        self._set(OPT_THREADS, threads)
        self._set(OPT_RELEPS, 0.0)

    def __del__(self):
        if getattr(self, "ctx", None):
            self.lib.mvn_context_free(self.ctx)
            self.ctx = None

    def version(self):
        return "libmvnorm " + self.lib.mvn_version_string().decode()

    def _set(self, option, value):
        st = self.lib.mvn_context_set(self.ctx, option, float(value))
        if st != MVN_OK:
            raise ValueError(f"mvn_context_set({option}, {value}) -> {st}")

    def _caller(self, problem):
        """A zero-argument function computing P for problem."""
        d = problem.d
        lower = np.ascontiguousarray(problem.lower, dtype=np.float64)
        upper = np.ascontiguousarray(problem.upper, dtype=np.float64)
        sigma = np.ascontiguousarray(problem.sigma, dtype=np.float64)
        out = np.zeros(3)
        args = [lower, upper, None, sigma, out[0:], None, out[2:]]
        ptrs = [a.ctypes.data_as(_dbl_p) if a is not None else None for a in args]
        prob, ctx, status = self.lib.mvn_prob, self.ctx, [MVN_OK]

        def call():
            status[0] = prob(ctx, d, *ptrs)
            return out[0]
        return call, status

    def run_one(self, problem, tol, maxpts, rep_budget):
        self._set(OPT_ABSEPS, tol)
        self._set(OPT_MAXPTS, max(1000, int(maxpts)))
        self._set(OPT_SEED, 0)
        call, status = self._caller(problem)
        first = call()
        first_status = status[0]
        if first_status not in (MVN_OK, MVN_ETOL):
            raise RuntimeError(f"mvn_prob status {first_status}: "
                               + self.lib.mvn_context_message(self.ctx).decode())
        evals = self.lib.mvn_context_evaluations(self.ctx)
        best, cpu, _, calls = measure(call, rep_budget)
        return Result(self.name, problem.name, problem.family, problem.d, tol,
                      int(maxpts), best, cpu, float(first), problem.exact,
                      first_status == MVN_OK, evaluations=evals, calls=calls)

    def throughput(self, problem, maxpts):
        """(seconds, evaluations) of one call forced to spend maxpts points:
        wall seconds for all threads, CPU seconds for one thread."""
        self._set(OPT_ABSEPS, 0.0)
        self._set(OPT_MAXPTS, max(1000, int(maxpts)))
        call, _ = self._caller(problem)
        wall, cpu, _, _ = measure(call, rep_budget=0.5, max_reps=3)
        return (cpu if self.threads == 1 else wall), \
            self.lib.mvn_context_evaluations(self.ctx)
