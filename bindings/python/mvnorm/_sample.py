# Exact sampling from the truncated multivariate normal (mvn_sample_truncated), on NumPy arrays.
# SPDX-License-Identifier: GPL-3.0-or-later
"""sample_truncated: exact draws of X ~ N(mean, cov) given lower < X < upper.

NumPy in and out, no torch needed; torch tensors in give a torch tensor out.
"""

import ctypes

import numpy as np

from . import _library as L
from ._settings import options_for

_F64 = np.float64

# None for a library older than the function: the call then says so.
_sample = L._declare("mvn_sample_truncated", ctypes.c_int,
           [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p,
            ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_double)], required=False)


def _is_torch(x):
    return type(x).__module__.split(".")[0] == "torch"


def _vector(x, name, d):
    """A contiguous float64 vector of length d (a scalar broadcasts), or None."""
    if x is None:
        return None
    if _is_torch(x):
        x = x.detach().cpu().numpy()
    a = np.asarray(x, dtype=_F64)
    if a.ndim > 1 or (a.ndim == 1 and a.shape[0] not in (1, d)):
        raise ValueError("mvnorm.sample_truncated: %s must be a scalar or have shape "
                         "(%d,), got %s" % (name, d, a.shape))
    return np.ascontiguousarray(np.broadcast_to(a, (d,)))


def sample_truncated(lower, upper, mean, cov, n, seed=None, n_jobs=None,
                     return_accept_rate=False):
    """n exact samples of X ~ N(mean, cov) conditioned on lower < X < upper.

    Botev's minimax-tilted acceptance-rejection (the library's
    mvn_sample_truncated): the law of the rows is exactly the truncated
    normal, also for boxes far in a tail (probabilities of 1e-20 and
    below), where the acceptance rate stays useful.

    lower, upper, mean: length d (or scalars; None = -inf, +inf, 0; -inf
    and +inf entries allowed in the limits).  cov: (d, d) positive
    definite.  n: the number of samples.  seed: an integer in [0, 2^53]
    (default mvnorm.integration.seed): the rows depend only on the inputs
    and the seed, never on n_jobs, and the first m rows of n >= m samples
    are the m samples of n = m.

    Returns an (n, d) float64 array (a torch tensor when any input is
    one), and the acceptance rate too with return_accept_rate=True.
    Raises ValueError for invalid input (NaN, lower >= upper somewhere,
    a covariance that is not positive semidefinite, n < 1) and
    RuntimeError for a request the library refuses (a singular
    covariance).  A proposal budget that runs out warns
    (ToleranceWarning) and leaves the undrawn rows NaN.
    """
    if _sample is None:
        raise RuntimeError("mvnorm: the loaded libmvnorm (%s) has no "
                           "mvn_sample_truncated" % L.library_path)
    torch_out = any(_is_torch(x) for x in (lower, upper, mean, cov))
    if _is_torch(cov):
        cov = cov.detach().cpu().numpy()
    c = np.ascontiguousarray(np.asarray(cov, dtype=_F64))
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError("mvnorm.sample_truncated: cov must have shape (d, d), got %s"
                         % (c.shape,))
    d = c.shape[0]
    if int(n) != n or n < 1:
        raise ValueError("mvnorm.sample_truncated: n must be a positive integer, not %r"
                         % (n,))
    n = int(n)
    lo, hi, mu = (_vector(lower, "lower", d), _vector(upper, "upper", d),
                  _vector(mean, "mean", d))
    x = np.empty((n, d), dtype=_F64)
    rate = ctypes.c_double()

    def ptr(a):
        return None if a is None else a.ctypes.data

    with L.Context(options_for(seed=seed, n_jobs=n_jobs)) as ctx:
        st = _sample(ctx.ptr, d, ptr(lo), ptr(hi), ptr(mu), ptr(c), n, ptr(x),
                     ctypes.byref(rate))
        L.check_status(ctx, st, "sample_truncated")
    if torch_out:
        import torch
        x = torch.from_numpy(x)
    return (x, rate.value) if return_accept_rate else x
