# Multivariate t probabilities on torch tensors, differentiable in the limits, loc and shape.
# SPDX-License-Identifier: GPL-3.0-or-later
"""mvnorm.t_probability: the torch face of mvnorm.numpy.t_probability.

Arguments broadcast to a batch shape in front of d (limits, loc) and d x d
(shape), as normal_probability's do; each problem of the batch is one call
of mvn_prob_t (or, when a gradient is needed, mvn_prob_t_grad_sigma).  loc
is subtracted from the limits with torch operations, so its gradient is
-(dP/dlower + dP/dupper) by autograd; the Function below differentiates in
the shifted limits and the scale matrix (mvn_prob_grad's symmetric
convention, as normal_probability's covariance_matrix).
"""

import math

import numpy as np
import torch
from torch.autograd import Function

from . import numpy as _np_api
from ._api import _as_tensor, _result_type_of, _to_host, _back

__all__ = ["t_probability"]


class _TProbability(Function):
    """P for a batch of central t problems; backward from the cached
    derivatives (computed in forward only when an input needs them)."""

    @staticmethod
    def forward(ctx, lower, upper, shape, df, kw, nc):
        need = ctx.needs_input_grad[0] or ctx.needs_input_grad[1] or ctx.needs_input_grad[2]
        n, d = lower.shape
        lo, up, sg = lower.detach().numpy(), upper.detach().numpy(), shape.detach().numpy()
        p = np.empty(n)
        err = np.empty(n)
        dl = np.zeros((n, d)) if need else None
        du = np.zeros((n, d)) if need else None
        ds = np.zeros((n, d, d)) if need else None
        for i in range(n):
            delta = None if nc is None else nc[i]
            if need:
                g = _np_api.t_probability_grad(lo[i], up[i], df, shape=sg[i],
                                               noncentrality=delta, **kw)
                p[i], err[i] = g.probability, g.error
                dl[i], du[i], ds[i] = g.lower, g.upper, g.shape
            else:
                p[i], err[i] = _np_api.t_probability(lo[i], up[i], df, shape=sg[i],
                                                     return_error=True, noncentrality=delta,
                                                     **kw)
        if need:
            ctx.save_for_backward(torch.from_numpy(dl), torch.from_numpy(du),
                                  torch.from_numpy(ds))
        return torch.from_numpy(p), torch.from_numpy(err)

    @staticmethod
    def backward(ctx, grad_p, grad_err):
        dl, du, ds = ctx.saved_tensors
        g = grad_p.unsqueeze(-1)
        # Infinite limits have derivative 0 (never NaN from 0 * inf).
        return g * dl, g * du, g.unsqueeze(-1) * ds, None, None, None


def t_probability(lower=None, upper=None, df=1.0, loc=None, shape=None,
                  return_error=False, seed=None, *, noncentrality=None, maxpts=None,
                  abseps=None, releps=None, n_jobs=None, method=None):
    r"""P(lower < T < upper) for the multivariate t, differentiable.

    T = loc + (Y + noncentrality) / W with Y ~ N(0, shape) and
    W = sqrt(chi2_df / df): SciPy's multivariate_t without noncentrality
    (mvtnorm's pmvt with type "shifted"), mvtnorm's Kshirsagar type with
    it.

    Parameters
    ----------
    lower, upper : tensor (..., d), number or None
        Limits (None: -inf / +inf).
    df : float
        Degrees of freedom, any real >= 0.01 (inf: the normal).  Not
        differentiable.
    loc : tensor (..., d), number or None
        Location (None: zero).
    shape : tensor (..., d, d)
        Scale matrix.
    noncentrality : tensor (..., d), number or None
        Kshirsagar's noncentrality delta (None: the central t).  Not
        differentiable.
    return_error, seed, maxpts, abseps, releps, n_jobs, method :
        as normal_probability.

    Returns
    -------
    P (batch shape, the promoted dtype of the inputs, on the device of the
    first tensor argument), or (P, abserr) with return_error=True.

    Gradients with respect to lower, upper, loc and shape come from
    mvn_prob_t_grad_sigma (central t: exact for d <= 4 in the limits and
    d <= 5 in shape; noncentral: exact for d <= 3, the normal's derivatives
    under the integral over the chi variable); the gradient in shape is
    symmetric, in
    normal_probability's convention.  Each problem of the batch is one
    library call (doc/python.md).
    """
    if isinstance(df, torch.Tensor):
        if df.requires_grad:
            raise ValueError("mvnorm.t_probability: derivatives in df are not implemented")
        df = float(df)
    df = float(df)
    dtype, device = _result_type_of((lower, upper, loc, shape))
    lower, upper, loc, shape = (_as_tensor(lower, "lower"), _as_tensor(upper, "upper"),
                                _as_tensor(loc, "loc"), _as_tensor(shape, "shape"))
    if shape is None or shape.dim() < 2 or shape.shape[-1] != shape.shape[-2]:
        raise ValueError("mvnorm.t_probability: shape must be a tensor (..., d, d)")
    d = shape.shape[-1]
    sg = _to_host(shape)
    lo = _to_host(lower) if lower is not None else torch.full((d,), -math.inf, dtype=torch.float64)
    up = _to_host(upper) if upper is not None else torch.full((d,), math.inf, dtype=torch.float64)
    if lo.dim() == 0:
        lo = lo.expand(d)
    if up.dim() == 0:
        up = up.expand(d)
    if loc is not None:
        mu = _to_host(loc)
        if mu.dim() == 0:
            mu = mu.expand(d)
        lo, up = lo - mu, up - mu
    ncv = None
    if noncentrality is not None:
        if isinstance(noncentrality, torch.Tensor) and noncentrality.requires_grad:
            raise ValueError("mvnorm.t_probability: derivatives in the noncentrality are "
                             "not implemented")
        ncv = _to_host(_as_tensor(noncentrality, "noncentrality"))
        if ncv.dim() == 0:
            ncv = ncv.expand(d)
        if ncv.shape[-1] != d:
            raise ValueError("mvnorm.t_probability: noncentrality must have d = %d entries "
                             "(the size of shape)" % d)
    try:
        batch = torch.broadcast_shapes(lo.shape[:-1], up.shape[:-1], sg.shape[:-2],
                                       () if ncv is None else ncv.shape[:-1])
    except RuntimeError as exc:
        raise ValueError("mvnorm.t_probability: the batch shapes do not broadcast: %s" % exc)
    if lo.shape[-1] != d or up.shape[-1] != d:
        raise ValueError("mvnorm.t_probability: lower, upper and loc must have d = %d "
                         "entries (the size of shape)" % d)
    n = int(np.prod(batch)) if len(batch) else 1
    lo = lo.expand(batch + (d,)).reshape(n, d)
    up = up.expand(batch + (d,)).reshape(n, d)
    sg = sg.expand(batch + (d, d)).reshape(n, d, d)
    nc = None if ncv is None else ncv.expand(batch + (d,)).reshape(n, d).numpy()
    kw = dict(seed=seed, maxpts=maxpts, abseps=abseps, releps=releps, n_jobs=n_jobs,
              method=method)
    p, err = _TProbability.apply(lo, up, sg, df, kw, nc)
    p, err = p.reshape(batch), err.reshape(batch)
    p = _back(p, dtype, device)
    if return_error:
        return p, _back(err.detach(), dtype, device)
    return p
