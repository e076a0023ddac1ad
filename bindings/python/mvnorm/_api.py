# Public functions: rectangle probabilities, log-probabilities, and the Torch-MvNorm drop-in CDF.
# SPDX-License-Identifier: GPL-3.0-or-later
"""User-facing functions.

Every function broadcasts its arguments (batch shapes ``...`` in front of
``d`` or ``d x d``), moves and casts them to float64 on the CPU with
ordinary (differentiable) torch operations, expands them to the common
batch shape, and hands them to one autograd Function, which makes ONE
batched C call.  The result is cast back to the caller's dtype and device.
"""

import math

import torch

from . import _library as L
from ._autograd import Probability
from ._settings import options_for

__all__ = ["normal_probability", "log_normal_probability", "multivariate_normal_cdf"]

_F64 = torch.float64


def _as_tensor(x, name):
    """x as a tensor.  Python numbers and lists become float64 tensors, not
    tensors of the default dtype: torch.as_tensor(0.1) is float32, and a
    limit of 0.1 became 0.10000000149 (P off by 1e-8 for a float64
    covariance).  They do not take part in the result's dtype (_typed)."""
    if x is None or isinstance(x, torch.Tensor):
        return x
    try:
        if _typed(x):
            return torch.as_tensor(x)
        return torch.as_tensor(x, dtype=_F64)
    except Exception as exc:
        raise TypeError("mvnorm: %s must be a tensor or a number, not %r" % (name, type(x))) from exc


def _typed(x):
    """Whether x carries a dtype of its own (a tensor, a NumPy array or
    scalar): such inputs decide the result's dtype; Python numbers and
    lists do not, as in torch's own type promotion."""
    return isinstance(x, torch.Tensor) or hasattr(x, "dtype")


def _result_type_of(args):
    """_result_type over the typed arguments (the default dtype when none
    is), the device of the first tensor."""
    return _result_type([torch.as_tensor(a) if not isinstance(a, torch.Tensor) else a
                         for a in args if a is not None and _typed(a)])


def _result_type(tensors):
    """Floating dtype and device of the result: the promoted floating dtype of
    the inputs (the default dtype when none is floating) and the device of
    the first tensor input."""
    dtype = None
    device = None
    for t in tensors:
        if t is None:
            continue
        if device is None:
            device = t.device
        if t.is_floating_point():
            dtype = t.dtype if dtype is None else torch.promote_types(dtype, t.dtype)
        elif t.is_complex():
            raise TypeError("mvnorm: complex inputs are not supported")
    return dtype or torch.get_default_dtype(), device or torch.device("cpu")


def _to_host(t):
    # Differentiable: autograd casts the gradient back to t's dtype and device.
    return t.to(device="cpu", dtype=_F64)


def _prepare(lower, upper, loc, covariance_matrix, scale_tril, what, symmetrize=None,
             result_type=None):
    """Broadcast and convert.  Returns (lower, upper, loc, sigma, kind, dtype,
    device, batch_shape) with float64 CPU tensors expanded to batch + (d,) or
    batch + (d, d) (lower/upper/loc may be None)."""
    if covariance_matrix is not None and scale_tril is not None:
        raise ValueError("mvnorm.%s: give covariance_matrix or scale_tril, not both" % what)
    mat = covariance_matrix if scale_tril is None else scale_tril
    mat_name = "covariance_matrix" if scale_tril is None else "scale_tril"
    dtype, device = result_type or _result_type_of((lower, upper, loc, mat))
    lower = _as_tensor(lower, "lower")
    upper = _as_tensor(upper, "upper")
    loc = _as_tensor(loc, "loc")
    mat = _as_tensor(mat, mat_name)
    kind = L.SIGMA_COV if scale_tril is None else L.SIGMA_CHOL

    vectors = (("lower", lower), ("upper", upper), ("loc", loc))
    if mat is not None:
        if mat.dim() < 2 or mat.shape[-1] != mat.shape[-2]:
            raise ValueError("mvnorm.%s: %s must have shape (..., d, d), got %s"
                             % (what, mat_name, tuple(mat.shape)))
        d = mat.shape[-1]
    else:
        dims = [t.shape[-1] for _, t in vectors if t is not None and t.dim() > 0]
        if not dims:
            raise ValueError("mvnorm.%s: cannot infer the dimension d: give a "
                             "covariance matrix or a limit/loc with a last dimension d" % what)
        d = max(dims)
    if d == 0:
        raise ValueError("mvnorm.%s: the dimension d must be at least 1" % what)
    shapes = []
    for name, t in vectors:
        if t is None:
            continue
        if t.dim() > 0 and t.shape[-1] not in (1, d):
            raise ValueError("mvnorm.%s: shape mismatch: %s has shape %s, whose last "
                             "dimension should be d = %d" % (what, name, tuple(t.shape), d))
        shapes.append(t.shape[:-1] if t.dim() > 0 else torch.Size())
    if mat is not None:
        shapes.append(mat.shape[:-2])
    try:
        batch = torch.broadcast_shapes(*shapes) if shapes else torch.Size()
    except RuntimeError as exc:
        raise ValueError("mvnorm.%s: shape mismatch: batch shapes %s do not broadcast"
                         % (what, [tuple(s) for s in shapes])) from exc
    vshape = batch + (d,)

    def vec(t):
        if t is None:
            return None
        return _to_host(t).expand(vshape)

    lower, upper, loc = vec(lower), vec(upper), vec(loc)
    if mat is None:
        sigma = torch.eye(d, dtype=_F64).expand(batch + (d, d))
        kind = L.SIGMA_COV
    else:
        sigma = _to_host(mat)
        if kind == L.SIGMA_COV and symmetrize is not False:
            # Computed covariances (A @ A.T, GP posteriors K - k K^-1 k^T,
            # anything rounded to float32) are symmetric only to rounding,
            # while the library insists on 1e-12 relative per entry.  So
            # asymmetry is judged here against the scale sqrt(S_ii S_jj)
            # (and reported as the library's MVN_EASYM), and what passes is
            # symmetrized; (S + S^T)/2 leaves the symmetric gradient G as is.
            _check_symmetric(sigma.detach(), what)
            sigma = 0.5 * (sigma + sigma.transpose(-1, -2))
        sigma = sigma.expand(batch + (d, d))
    return lower, upper, loc, sigma, kind, dtype, device, batch


def _check_symmetric(s, what):
    diff = (s - s.transpose(-1, -2)).abs()
    var = torch.diagonal(s, dim1=-2, dim2=-1).abs()
    scale = (var.unsqueeze(-1) * var.unsqueeze(-2)).sqrt()
    tol = 1e-5 if s.dtype != _F64 else 1e-10
    bad = diff > tol * scale
    if bool(bad.any()):
        idx = [int(i) for i in bad.nonzero()[0]]
        i, j = idx[-2], idx[-1]
        raise ValueError("mvnorm.%s: %s: covariance_matrix%s[%d][%d] = %r but [%d][%d] = %r"
                         % (what, L.strerror(7), str(idx[:-2]) if idx[:-2] else "",
                            i, j, s[tuple(idx)].item(), j, i,
                            s[tuple(idx[:-2] + [j, i])].item()))


def _run(lower, upper, loc, covariance_matrix, scale_tril, what, opts, symmetrize=None,
         result_type=None):
    lo, up, mu, sg, kind, dtype, device, batch = _prepare(
        lower, upper, loc, covariance_matrix, scale_tril, what, symmetrize, result_type)
    p, logp, err, logerr = Probability.apply(lo, up, mu, sg, kind, opts, what)
    return p, logp, err, logerr, dtype, device


def _back(t, dtype, device):
    return t.to(device=device, dtype=dtype)


def normal_probability(lower=None, upper=None, loc=None, covariance_matrix=None,
                       scale_tril=None, return_error=False, seed=None, *,
                       maxpts=None, abseps=None, releps=None, n_jobs=None, method=None):
    r"""P(lower < X < upper) for X ~ N(loc, Sigma), differentiable.

    Parameters
    ----------
    lower, upper : tensor (..., d), number or None
        Limits; None means -inf / +inf everywhere, and entries may be
        -inf / +inf.  A CDF is ``normal_probability(upper=x, ...)``.
    loc : tensor (..., d), number or None
        Mean (None: zero).
    covariance_matrix : tensor (..., d, d) or None
        Covariance Sigma.  None (and no scale_tril): the identity.
    scale_tril : tensor (..., d, d) or None
        Lower-triangular L with Sigma = L L^T, passed to the library as a
        Cholesky factor (Sigma is never formed).  Give at most one of
        covariance_matrix and scale_tril.
    return_error : bool
        Also return the library's absolute error estimate of P.
    seed : int or None
        Seed of the randomized QMC lattice (default: mvnorm.integration.seed).
    maxpts, abseps, releps, n_jobs : override mvnorm.integration for this call.
    method : "auto" (exact kernels where they apply, QMC otherwise) or "qmc".

    Returns
    -------
    P (batch shape, the promoted dtype of the inputs, on the device of the
    first tensor argument), or (P, abserr) with return_error=True.

    Gradients with respect to lower, upper, loc, covariance_matrix and
    scale_tril come from the library's gradient routine; second derivatives
    with respect to the limits and loc are available for CDF-type problems
    (see doc/python.md).
    """
    opts = options_for(maxpts, abseps, releps, n_jobs, seed, method)
    p, _, err, _, dtype, device = _run(lower, upper, loc, covariance_matrix, scale_tril,
                                    "normal_probability", opts)
    p = _back(p, dtype, device)
    if return_error:
        return p, _back(err, dtype, device)
    return p


def log_normal_probability(lower=None, upper=None, loc=None, covariance_matrix=None,
                           scale_tril=None, return_error=False, seed=None, *,
                           maxpts=None, abseps=None, releps=None, n_jobs=None, method=None):
    r"""log P(lower < X < upper), accurate where P underflows a double.

    Arguments as in normal_probability.  Unless abseps is given, the absolute
    tolerance is 0 so that only the relative tolerance ``releps`` (default
    mvnorm.integration.releps) governs the integration: an absolute
    tolerance is meaningless for tiny P.

    With return_error=True also returns the library's estimate of the
    absolute error of log P (the relative error of P, formed before P
    underflows, so it is meaningful for P = 1e-400 too).

    The gradient comes from the library's log-space derivatives
    (mvn_logprob_grad_batch), finite where P underflows.
    """
    if abseps is None:
        abseps = 0.0
    opts = options_for(maxpts, abseps, releps, n_jobs, seed, method)
    _, logp, _, logerr, dtype, device = _run(lower, upper, loc, covariance_matrix,
                                             scale_tril, "log_normal_probability", opts)
    out = _back(logp, dtype, device)
    if return_error:
        # The library's error estimate of log P (mvn_logprob_batch), formed
        # before P underflows.
        return out, _back(logerr, dtype, device)
    return out


_SQRT1_2 = math.sqrt(0.5)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _diagonal_cdf(value, loc, cov, d):
    """CDF of a (nearly) diagonal normal, in torch on the caller's device.

    P0 = prod_i Phi(z_i), z_i = (x_i - m_i) / sqrt(Sigma_ii), plus the first
    order term in the off-diagonal entries, sum_{i<j} Sigma_ij H_ij with
    H_ij = d2 P0 / dx_i dx_j = r_i r_j P0 (r_i = phi(z_i) / (s_i Phi(z_i))).
    At off-diagonal entries that are exactly 0 the term adds nothing to the
    value, but it gives the exact gradient with respect to them
    (dP/dSigma_ij = H_ij / 2, the library's convention), which the plain
    product would report as 0.
    """
    var = torch.diagonal(cov, dim1=-2, dim2=-1)
    s = var.sqrt()
    # Infinite limits are clamped for the correction term only (they give
    # P0 = 0 or a factor 1 exactly), keeping its value and gradient finite.
    z = ((value - loc) / s).clamp(-1e6, 1e6)
    logPhi = torch.special.log_ndtr(z)
    logp0 = logPhi.sum(-1)
    p0 = logp0.exp()
    if d == 1:
        return p0
    logr = -0.5 * z * z - _LOG_SQRT_2PI - torch.log(s) - logPhi
    r = logr.exp()
    off = cov - torch.diag_embed(var)
    # sum_{i != j} Sigma_ij r_i r_j / 2 = sum_{i<j} Sigma_ij r_i r_j.
    quad = 0.5 * (r.unsqueeze(-1) * off * r.unsqueeze(-2)).sum((-2, -1))
    return p0 * (1.0 + quad)


def multivariate_normal_cdf(value, loc=0.0, covariance_matrix=None, diagonality_tolerance=0.0):
    r"""Torch-MvNorm's drop-in: P(X <= value) for X ~ N(loc, covariance_matrix).

    value : tensor (..., d); loc : tensor (..., d) or a number (default 0);
    covariance_matrix : tensor (..., d, d) or None for the identity.  Batch
    dimensions broadcast.  When every off-diagonal entry of the covariance
    (over the whole batch) is at most diagonality_tolerance in absolute
    value, the result is computed in torch as a product of univariate normal
    CDFs (plus the first-order off-diagonal correction, which also makes
    the gradient with respect to the off-diagonal entries exact).  Settings
    come from mvnorm.integration.  Differentiable with respect to all three
    tensors; the covariance is symmetrized first, as Torch-MvNorm did.
    """
    typed_in = (value, loc, covariance_matrix)  # for the result's dtype
    value = _as_tensor(value, "value")
    loc = _as_tensor(loc, "loc")
    cov = _as_tensor(covariance_matrix, "covariance_matrix")
    if value is None:
        raise ValueError("mvnorm.multivariate_normal_cdf: value is required")
    if cov is None:
        d = value.shape[-1] if value.dim() > 0 else (loc.shape[-1] if loc.dim() > 0 else 1)
        dtype, device = _result_type_of(typed_in[:2])
        cov = torch.eye(d, dtype=dtype, device=device)
    elif cov.dim() < 2 or cov.shape[-1] != cov.shape[-2]:
        raise ValueError("mvnorm.multivariate_normal_cdf: covariance_matrix must have "
                         "shape (..., d, d), got %s" % (tuple(cov.shape),))
    d = cov.shape[-1]
    cov = 0.5 * (cov + cov.transpose(-1, -2))
    with torch.no_grad():
        off = cov - torch.diag_embed(torch.diagonal(cov, dim1=-2, dim2=-1))
        diagonal = bool((off.abs() <= diagonality_tolerance).all())
    if diagonal:
        dtype, device = _result_type_of(typed_in)
        value, loc, cov = (t.to(device=device, dtype=dtype) for t in (value, loc, cov))
        for name, t in (("value", value), ("loc", loc)):
            if t.dim() > 0 and t.shape[-1] not in (1, d):
                raise ValueError("mvnorm.multivariate_normal_cdf: shape mismatch: %s has "
                                 "shape %s, whose last dimension should be d = %d"
                                 % (name, tuple(t.shape), d))
        if bool((torch.diagonal(cov.detach(), dim1=-2, dim2=-1) <= 0).any()):
            raise ValueError("mvnorm.multivariate_normal_cdf: %s: a variance is not "
                             "positive" % L.strerror(6))
        try:
            shape = torch.broadcast_shapes(value.shape[:-1] if value.dim() else (),
                                           loc.shape[:-1] if loc.dim() else (),
                                           cov.shape[:-2])
        except RuntimeError as exc:
            raise ValueError("mvnorm.multivariate_normal_cdf: shape mismatch: batch "
                             "shapes do not broadcast") from exc
        for name, t, code in (("value", value, 4), ("loc", loc, 4), ("covariance_matrix", cov, 4)):
            if bool(torch.isnan(t.detach()).any()):
                raise ValueError("mvnorm.multivariate_normal_cdf: %s: NaN in %s"
                                 % (L.strerror(code), name))
        if bool(torch.isinf(loc.detach()).any()) or bool(torch.isinf(cov.detach()).any()):
            raise ValueError("mvnorm.multivariate_normal_cdf: %s: infinite loc or "
                             "covariance" % L.strerror(4))
        return _diagonal_cdf(value.expand(shape + (d,)), loc, cov, d)
    opts = options_for()
    p, _, _, _, dtype, device = _run(None, value, loc, cov, None, "multivariate_normal_cdf",
                                  opts, symmetrize=False,
                                  result_type=_result_type_of(typed_in))
    return _back(p, dtype, device)
