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
import math
import os
import time

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
        _sz_p = ctypes.POINTER(ctypes.c_ssize_t)
        lib.mvn_prob_batch.argtypes = ([ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
                                       + [_dbl_p, _sz_p] * 4
                                       + [ctypes.c_int, _dbl_p, _dbl_p, _dbl_p,
                                          ctypes.POINTER(ctypes.c_int)])
        lib.mvn_prob_batch.restype = ctypes.c_int
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

    def batch_rate(self, d, n, kind, seed=1):
        """Problems per second of one mvn_prob_batch call over n random
        d-variate problems (d = 2 or 3), each with its own correlation
        matrix (item stride d*d), wall time, best of 3.  kind "orthant":
        P(X < b), b uniform in (-3, 3); "rect": P(a < X < b), both limits
        finite.  Correlations uniform in (-0.9, 0.9) for d = 2; for d = 3
        r12 uniform in (-0.6, 0.9) and r13 = r23 = 0.3 (positive definite).
        Returns (rate, sum of p) -- the sum only guards against a broken
        call."""
        rng = np.random.default_rng(seed)
        u = rng.uniform(-3.0, 3.0, size=(n, d))
        if kind == "orthant":
            lower = np.full((n, d), -np.inf)
            upper = u
        else:
            v = rng.uniform(-3.0, 3.0, size=(n, d))
            lower, upper = np.minimum(u, v), np.maximum(u, v) + 1e-3
        sigma = np.empty((n, d, d))
        sigma[:] = np.eye(d)
        if d == 2:
            r = rng.uniform(-0.9, 0.9, size=n)
            sigma[:, 0, 1] = sigma[:, 1, 0] = r
        else:
            r = rng.uniform(-0.6, 0.9, size=n)
            sigma[:, 0, 1] = sigma[:, 1, 0] = r
            sigma[:, 0, 2] = sigma[:, 2, 0] = sigma[:, 1, 2] = sigma[:, 2, 1] = 0.3
        lower, upper = np.ascontiguousarray(lower), np.ascontiguousarray(upper)
        sigma = np.ascontiguousarray(sigma)
        p = np.empty(n)
        status = np.empty(n, dtype=np.intc)
        vs = (ctypes.c_ssize_t * 2)(d, 1)
        ss = (ctypes.c_ssize_t * 3)(d * d, d, 1)
        self._set(OPT_ABSEPS, 1e-5)
        args = (self.ctx, n, d, lower.ctypes.data_as(_dbl_p), vs,
                upper.ctypes.data_as(_dbl_p), vs, None, None,
                sigma.ctypes.data_as(_dbl_p), ss, 0, p.ctypes.data_as(_dbl_p),
                None, None, status.ctypes.data_as(ctypes.POINTER(ctypes.c_int)))
        best = math.inf
        for _ in range(3):
            t0 = time.perf_counter()
            st = self.lib.mvn_prob_batch(*args)
            best = min(best, time.perf_counter() - t0)
            if st not in (MVN_OK, MVN_ETOL):
                raise RuntimeError(f"mvn_prob_batch status {st}: "
                                   + self.lib.mvn_context_message(self.ctx).decode())
        return n / best, float(p.sum())

    def wall_throughput(self, problem, maxpts):
        """(wall seconds, evaluations) of one call forced to spend maxpts
        points (best of up to 3), for the thread-scaling table."""
        self._set(OPT_ABSEPS, 0.0)
        self._set(OPT_MAXPTS, max(1000, int(maxpts)))
        call, _ = self._caller(problem)
        wall, _, _, _ = measure(call, rep_budget=0.5, max_reps=3)
        return wall, self.lib.mvn_context_evaluations(self.ctx)

    def throughput(self, problem, maxpts):
        """(seconds, evaluations) of one call forced to spend maxpts points:
        wall seconds for all threads, CPU seconds for one thread."""
        self._set(OPT_ABSEPS, 0.0)
        self._set(OPT_MAXPTS, max(1000, int(maxpts)))
        call, _ = self._caller(problem)
        wall, cpu, _, _ = measure(call, rep_budget=0.5, max_reps=3)
        return (cpu if self.threads == 1 else wall), \
            self.lib.mvn_context_evaluations(self.ctx)
