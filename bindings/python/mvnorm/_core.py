# Batched calls into libmvnorm on float64 CPU tensors: one C call per batch, strides passed through.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Thin, torch-aware wrappers of the batch C functions.

Inputs are float64 CPU tensors already broadcast to a common batch shape
(``batch + (d,)`` for vectors, ``batch + (d, d)`` for matrices), or None.
They are flattened to ``(n, d)`` / ``(n, d, d)``: a view when the batch
dimensions merge (in particular a tensor expanded from a single item keeps
stride 0, so one Sigma is factored once by the library), a copy otherwise.
The element strides of the flattened tensors go to C unchanged.
"""

import torch

from . import _library as L

_F64 = torch.float64


def _flat(t, n, tail):
    """View (or copy) of t as (n,) + tail with non-negative strides."""
    if t is None:
        return None
    v = t.reshape((n,) + tail)
    if v.dtype != _F64 or v.device.type != "cpu":
        raise TypeError("mvnorm internal error: expected float64 CPU tensors")
    return v


def _ptr(t):
    return None if t is None else t.data_ptr()


def _vec_strides(t):
    return None if t is None else L.strides(*t.stride())


def _common_args(lower, upper, loc, sigma, n, d):
    lo = _flat(lower, n, (d,))
    up = _flat(upper, n, (d,))
    mu = _flat(loc, n, (d,))
    sg = _flat(sigma, n, (d, d))
    keep = (lo, up, mu, sg)  # keep the views alive across the C call
    args = (_ptr(lo), _vec_strides(lo), _ptr(up), _vec_strides(up),
            _ptr(mu), _vec_strides(mu), _ptr(sg), L.strides(*sg.stride()))
    return keep, args


def prob(lower, upper, loc, sigma, kind, options, what):
    """P, log P, abserr and the error estimate of log P (each of the batch
    shape) for the broadcast problems."""
    batch = sigma.shape[:-2]
    d = sigma.shape[-1]
    n = 1
    for s in batch:
        n *= s
    p = torch.empty(n, dtype=_F64)
    logp = torch.empty(n, dtype=_F64)
    err = torch.empty(n, dtype=_F64)
    logerr = torch.empty(n, dtype=_F64)
    if n == 0:
        return (p.reshape(batch), logp.reshape(batch), err.reshape(batch),
                logerr.reshape(batch))
    status = torch.empty(n, dtype=torch.int32)
    keep, args = _common_args(lower, upper, loc, sigma, n, d)
    with L.Context(options) as ctx:
        if L.has_logprob_batch():
            st = L.logprob_batch(ctx.ptr, n, d, *args, kind, p.data_ptr(), logp.data_ptr(),
                                 err.data_ptr(), logerr.data_ptr(), status.data_ptr())
        else:
            st = L.prob_batch(ctx.ptr, n, d, *args, kind, p.data_ptr(), logp.data_ptr(),
                              err.data_ptr(), status.data_ptr())
            # Older libraries: abserr / P in logs (lost where abserr underflows).
            logerr = torch.exp(torch.log(err) - logp)
        L.check_status(ctx, st, what, status)
    del keep
    return (p.reshape(batch), logp.reshape(batch), err.reshape(batch),
            logerr.reshape(batch))


def grad(lower, upper, loc, sigma, kind, options, what, need, log=False,
         with_p=False):
    """dP/dlower, dP/dupper, dP/dloc, dP/dSigma (G = H/2 convention), each
    None unless requested in need = (lower, upper, loc, sigma).

    log=True: the derivatives of log P instead, from mvn_logprob_grad_batch
    (computed in log space by the library, finite where P underflows); with
    an older library that lacks it, dP / P.  with_p=True appends P (batch
    shape) to the returned tuple."""
    batch = sigma.shape[:-2]
    d = sigma.shape[-1]
    n = 1
    for s in batch:
        n *= s
    outs = [torch.empty((n, d), dtype=_F64) if need[k] else None for k in range(3)]
    outs.append(torch.empty((n, d, d), dtype=_F64) if need[3] else None)
    p = torch.empty(n, dtype=_F64)
    if n > 0:
        status = torch.empty(n, dtype=torch.int32)
        keep, args = _common_args(lower, upper, loc, sigma, n, d)
        native_log = log and L.has_logprob_grad()
        fn = L.logprob_grad_batch if native_log else L.grad_batch
        with L.Context(options) as ctx:
            st = fn(ctx.ptr, n, d, *args, kind,
                    p.data_ptr(), None, None, status.data_ptr(),
                    *[_ptr(o) for o in outs])
            L.check_status(ctx, st, what + " (gradient)", status)
        del keep
        if log and not native_log:
            for o in outs:
                if o is not None:
                    o /= p.reshape((n,) + (1,) * (o.dim() - 1))
    res = tuple(None if o is None else o.reshape(batch + o.shape[1:]) for o in outs)
    if with_p:
        res = res + (p.reshape(batch),)
    return res


def hessian_cdf(lower, upper, loc, sigma, kind, options, what):
    """Per problem, the Hessian Hc of P with respect to the finite limits.

    Each coordinate must have at most one finite limit; c_i is that limit
    (lower_i or upper_i).  Coordinates whose finite limit is a lower one are
    reflected (X_i -> -X_i), which turns the problem into a CDF, for which
    mvn_prob_hessian gives the Hessian in the upper limits; reflecting back
    multiplies entry (i, j) by s_i s_j.  Returns (Hc, flipped) with Hc of
    shape batch + (d, d) and flipped (bool) of shape batch + (d,).
    Rows and columns of coordinates with no finite limit are zero.

    One call of mvn_prob_hessian_batch for the whole batch (a Python loop
    over mvn_prob_hessian with an older library that lacks it).
    """
    batch = sigma.shape[:-2]
    d = sigma.shape[-1]
    n = 1
    for s in batch:
        n *= s
    inf = float("inf")
    lo = (torch.full((n, d), -inf, dtype=_F64) if lower is None
          else lower.reshape(n, d))
    up = (torch.full((n, d), inf, dtype=_F64) if upper is None
          else upper.reshape(n, d))
    mu = torch.zeros((n, d), dtype=_F64) if loc is None else loc.reshape(n, d)
    sg = sigma.reshape(n, d, d)
    if kind == L.SIGMA_CHOL:
        tl = torch.tril(sg)
        sg = tl @ tl.transpose(-1, -2)
    lo_fin = torch.isfinite(lo)
    up_fin = torch.isfinite(up)
    if bool((lo_fin & up_fin).any()):
        raise RuntimeError(
            "mvnorm: second derivatives are only available when every coordinate "
            "has at most one finite limit (CDF-type problems); this problem has "
            "both a finite lower and a finite upper limit")
    flipped = lo_fin
    s = torch.where(flipped, -1.0, 1.0).to(_F64)
    up2 = torch.where(flipped, -lo, up).contiguous()
    mu2 = (s * mu).contiguous()
    sg2 = (s.unsqueeze(-1) * sg * s.unsqueeze(-2)).contiguous()
    h = torch.empty((n, d, d), dtype=_F64)
    step_v, step_m = d * 8, d * d * 8
    if L.has_hessian_batch():
        if n > 0:
            status = torch.empty(n, dtype=torch.int32)
            vs = L.strides(d, 1)
            with L.Context(options) as ctx:
                st = L.hessian_batch(ctx.ptr, n, d, None, vs, up2.data_ptr(), vs,
                                     mu2.data_ptr(), vs, sg2.data_ptr(),
                                     L.strides(d * d, d, 1), L.SIGMA_COV, None,
                                     status.data_ptr(), h.data_ptr())
                L.check_status(ctx, st, what + " (Hessian)", status)
    else:
        _hessian_loop(options, what, n, d, up2, mu2, sg2, h, step_v, step_m)
    finite = lo_fin | up_fin
    mask = (finite.unsqueeze(-1) & finite.unsqueeze(-2)).to(_F64)
    hc = s.unsqueeze(-1) * h * s.unsqueeze(-2) * mask
    return hc.reshape(batch + (d, d)), flipped.reshape(batch + (d,))


def _hessian_loop(options, what, n, d, up2, mu2, sg2, h, step_v, step_m):
    """One mvn_prob_hessian call per problem (libraries without the batch)."""
    with L.Context(options) as ctx:
        missed = 0
        for t in range(n):
            st = L.hessian(ctx.ptr, d, None, up2.data_ptr() + t * step_v,
                           mu2.data_ptr() + t * step_v, sg2.data_ptr() + t * step_m,
                           None, h.data_ptr() + t * step_m)
            if st == L.MVN_ETOL:
                missed += 1
            elif st != L.MVN_OK:
                L.check_status(ctx, st, what + " (Hessian)")
        if missed:
            # One warning for the whole batch.
            L.check_status(ctx, L.MVN_ETOL, what + " (Hessian, %d of %d problems)"
                           % (missed, n))
