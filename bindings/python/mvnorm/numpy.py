# The NumPy API: probabilities, log-probabilities and gradients on NumPy arrays, without torch.
# SPDX-License-Identifier: GPL-3.0-or-later
"""NumPy arrays in, NumPy arrays out; no torch needed.

The same names and keywords as the torch API::

    import mvnorm.numpy as mvn
    p = mvn.normal_probability(lower=a, upper=b, loc=m, covariance_matrix=S)
    lp, lerr = mvn.log_normal_probability(upper=x, scale_tril=L, return_error=True)
    g = mvn.normal_probability_grad(upper=x, covariance_matrix=S)   # g.value, g.upper, ...

Arguments broadcast as NumPy does: limits and ``loc`` have shape
``batch + (d,)`` (a scalar or a last axis of 1 broadcasts along d), the
covariance (or its Cholesky factor) ``batch + (d, d)``; the result has the
broadcast batch shape.  Every call is ONE call of the library's
``mvn_batch_compute`` with the arrays' own strides (a covariance broadcast
over the batch keeps stride 0 and is factored once).  A problem's result
depends only on its own inputs, the options and the seed -- not on its
position in the batch nor on the thread count -- so any partition of a
batch (mvnorm.dask) gives bitwise the same numbers as one call.

Errors: with ``errors="raise"`` (the default, as the torch API) an invalid
problem raises ValueError; with ``errors="nan"`` each invalid problem gets
NaN values and its status (``return_status=True`` returns the per-problem
``int32`` statuses, names in ``mvnorm.numpy.STATUS``) and the other
problems are computed as usual.  A missed tolerance (MVN_ETOL) warns
(ToleranceWarning) and returns the values in both modes.
"""

import collections

import numpy as np

from . import _library as L
from ._settings import options_for

__all__ = ["normal_probability", "log_normal_probability", "normal_probability_grad",
           "log_normal_probability_grad", "equicoordinate_quantile", "t_equicoordinate_quantile",
           "t_probability", "t_probability_grad", "TGradient",
           "Gradient", "Quantile", "STATUS"]

STATUS = dict(L.STATUS)
_F64 = np.float64
_ITEM = 8
_UNSET = -1                        # status written before the call
_EASYM = 7

Gradient = collections.namedtuple(
    "Gradient", ["value", "lower", "upper", "loc", "covariance_matrix", "scale_tril",
                 "error", "status"])
Gradient.__doc__ = """Result of normal_probability_grad / log_normal_probability_grad.

value: P (or log P), batch shape.  lower, upper, loc: batch + (d,);
covariance_matrix or scale_tril: batch + (d, d) (the symmetric convention
G = H/2 of the torch API for the covariance; tril(2 G L) for scale_tril).
Each derivative is the derivative of that problem's value with respect to
its own (broadcast) inputs; a field not requested is None.  error: the
error estimate of value (with return_error=True); status: int32 per
problem (with return_status=True)."""


def _array(x, name):
    if x is None:
        return None
    a = np.asarray(x)
    if a.dtype.kind == "c":
        raise TypeError("mvnorm: complex inputs are not supported (%s)" % name)
    if a.dtype.kind not in "fiub":
        raise TypeError("mvnorm: %s must be a number or an array of numbers, not %s"
                        % (name, a.dtype))
    return a.astype(_F64, copy=False)


def _asymmetric(s):
    """Per problem of s (..., d, d): whether s is asymmetric beyond
    rounding, judged against sqrt(S_ii S_jj) as the torch API does."""
    diff = np.abs(s - np.swapaxes(s, -1, -2))
    var = np.abs(np.diagonal(s, axis1=-2, axis2=-1))
    scale = np.sqrt(var[..., :, None] * var[..., None, :])
    with np.errstate(invalid="ignore"):
        bad = diff > 1e-10 * scale
    return bad.any(axis=(-2, -1))


def _prepare(lower, upper, loc, covariance_matrix, scale_tril, what, errors):
    """Broadcast.  Returns (lower, upper, loc, sigma, kind, batch, d, asym)
    with float64 arrays broadcast to batch + (d,) / batch + (d, d) (views
    where possible; lower/upper/loc may be None) and asym a boolean array
    of the batch shape (or None) marking asymmetric covariances."""
    if errors not in ("raise", "nan"):
        raise ValueError("mvnorm.%s: errors must be 'raise' or 'nan', not %r" % (what, errors))
    if covariance_matrix is not None and scale_tril is not None:
        raise ValueError("mvnorm.%s: give covariance_matrix or scale_tril, not both" % what)
    lower, upper, loc = _array(lower, "lower"), _array(upper, "upper"), _array(loc, "loc")
    kind = L.SIGMA_COV if scale_tril is None else L.SIGMA_CHOL
    mat_name = "covariance_matrix" if scale_tril is None else "scale_tril"
    mat = _array(covariance_matrix if scale_tril is None else scale_tril, mat_name)
    vectors = (("lower", lower), ("upper", upper), ("loc", loc))
    if mat is not None:
        if mat.ndim < 2 or mat.shape[-1] != mat.shape[-2]:
            raise ValueError("mvnorm.%s: %s must have shape (..., d, d), got %s"
                             % (what, mat_name, mat.shape))
        d = mat.shape[-1]
    else:
        dims = [a.shape[-1] for _, a in vectors if a is not None and a.ndim > 0]
        if not dims:
            raise ValueError("mvnorm.%s: cannot infer the dimension d: give a covariance "
                             "matrix or a limit/loc with a last dimension d" % what)
        d = max(dims)
    if d == 0:
        raise ValueError("mvnorm.%s: the dimension d must be at least 1" % what)
    shapes = []
    for name, a in vectors:
        if a is None:
            continue
        if a.ndim > 0 and a.shape[-1] not in (1, d):
            raise ValueError("mvnorm.%s: shape mismatch: %s has shape %s, whose last "
                             "dimension should be d = %d" % (what, name, a.shape, d))
        shapes.append(a.shape[:-1] if a.ndim > 0 else ())
    if mat is not None:
        shapes.append(mat.shape[:-2])
    try:
        batch = np.broadcast_shapes(*shapes) if shapes else ()
    except ValueError as exc:
        raise ValueError("mvnorm.%s: shape mismatch: batch shapes %s do not broadcast"
                         % (what, shapes)) from exc
    vshape = batch + (d,)
    lower, upper, loc = (None if a is None else np.broadcast_to(a, vshape)
                         for _, a in vectors)
    asym = None
    if mat is None:
        sigma = np.broadcast_to(np.eye(d), batch + (d, d))
    else:
        if kind == L.SIGMA_COV:
            # As the torch API: asymmetry beyond rounding is an error
            # (MVN_EASYM), what passes is symmetrized -- on the array as
            # given, before broadcasting, so a shared matrix stays shared.
            bad = _asymmetric(mat)
            if bool(np.any(bad)):
                if errors == "raise":
                    idx = np.argwhere(bad)[0] if bad.ndim else ()
                    raise ValueError("mvnorm.%s: %s: covariance_matrix%s is not symmetric"
                                     % (what, L.strerror(_EASYM),
                                        list(map(int, idx)) if len(idx) else ""))
                asym = np.broadcast_to(bad, batch)
            mat = 0.5 * (mat + np.swapaxes(mat, -1, -2))
        sigma = np.broadcast_to(mat, batch + (d, d))
    return lower, upper, loc, sigma, kind, batch, d, asym


def _flat(a, n, tail):
    """a as (n,) + tail with strides that are whole elements (a view when
    NumPy can make one: broadcast axes keep stride 0)."""
    if a is None:
        return None
    v = a.reshape((n,) + tail)
    if not v.flags.aligned or any(s % _ITEM for s in v.strides):
        v = np.ascontiguousarray(v)
    return v


def _ptr(a):
    return None if a is None else a.ctypes.data


def _set_strides(field, a):
    for k, s in enumerate(a.strides):
        field[k] = s // _ITEM


def compute(lower, upper, loc, sigma, kind, batch, d, asym, options, what, computation,
            need=(False, False, False, False), errors="raise"):
    """One mvn_batch_compute for prepared (broadcast) inputs.  Returns a dict
    with p, logp, abserr, logerr, status (batch shape) and, for gradient
    computations, the requested d_lower, d_upper, d_mean, d_sigma."""
    n = 1
    for s in batch:
        n *= s
    out = {k: np.full(n, np.nan) for k in ("p", "logp", "abserr", "logerr")}
    out["status"] = np.full(n, _UNSET, dtype=np.int32)
    grads = (("d_lower", (d,)), ("d_upper", (d,)), ("d_mean", (d,)), ("d_sigma", (d, d)))
    if computation != L.COMPUTE_PROB:
        for k, (name, tail) in enumerate(grads):
            if need[k]:
                out[name] = np.empty((n,) + tail, dtype=_F64)
    if n > 0:
        ins = [_flat(lower, n, (d,)), _flat(upper, n, (d,)), _flat(loc, n, (d,)),
               _flat(sigma, n, (d, d))]
        desc = L.new_batch_desc(n, d)
        desc.sigma_kind = kind
        for name, a in zip(("lower", "upper", "mean", "sigma"), ins):
            if a is not None:
                setattr(desc, name, _ptr(a))
                _set_strides(getattr(desc, name + "_strides"), a)
        for name in ("p", "logp", "abserr", "logerr"):
            setattr(desc, name, _ptr(out[name]))
            setattr(desc, name + "_stride", 1)
        desc.status = _ptr(out["status"])
        desc.status_stride = 1
        for name, _ in grads:
            if name in out:
                setattr(desc, name, _ptr(out[name]))
                _set_strides(getattr(desc, name + "_strides"), out[name])
        status = out["status"]
        if asym is not None:
            # Asymmetric covariances (errors="nan"): their problems get
            # MVN_EASYM and NaN; the library computes the others.
            bad_asym = asym.reshape(n)
        else:
            bad_asym = None
        with L.Context(options) as ctx:
            st = L.batch_compute(ctx, computation, desc)
            unset = status == _UNSET
            if errors == "raise" or (st not in (0, 1) and bool(unset.all())):
                # errors="nan" still raises a failure that belongs to no
                # problem (out of memory, an invalid option).
                L.check_status(ctx, st, what, status)
            elif bool((status == 1).any()):
                L.check_status(ctx, 1, what, status)
        if computation != L.COMPUTE_PROB:
            # mvn_batch_compute fills logerr for MVN_COMPUTE_PROB only (0.2):
            # for the gradient computations the error of log P is formed
            # here as abserr / P, in logs (inf where P underflows).
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                out["logerr"][:] = np.exp(np.log(out["abserr"]) - out["logp"])
        if bad_asym is not None:
            status[bad_asym] = _EASYM
        bad = (status != 0) & (status != 1)
        if bool(bad.any()):
            for name, a in out.items():
                if name != "status":
                    a[bad] = np.nan
    res = {}
    for name, a in out.items():
        res[name] = a.reshape(batch + a.shape[1:])
    return res


def _options(maxpts, abseps, releps, n_jobs, seed, method):
    return options_for(maxpts, abseps, releps, n_jobs, seed, method)


def _result(value, error, status, return_error, return_status):
    out = (value,)
    if return_error:
        out += (error,)
    if return_status:
        out += (status,)
    return out[0] if len(out) == 1 else out


def _scalar(a):
    # 0-d results as NumPy scalars (np.float64), as NumPy reductions do.
    return a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a


def normal_probability(lower=None, upper=None, loc=None, covariance_matrix=None,
                       scale_tril=None, return_error=False, seed=None, *,
                       maxpts=None, abseps=None, releps=None, n_jobs=None, method=None,
                       errors="raise", return_status=False):
    """P(lower < X < upper) for X ~ N(loc, Sigma), on NumPy arrays.

    Arguments as mvnorm.normal_probability (the torch API), plus
    errors ("raise" or "nan") and return_status.  Returns P (float64, the
    broadcast batch shape), followed by the absolute error estimate with
    return_error=True and the int32 statuses with return_status=True.
    """
    what = "normal_probability"
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    prep = _prepare(lower, upper, loc, covariance_matrix, scale_tril, what, errors)
    r = compute(*prep, opts, what, L.COMPUTE_PROB, errors=errors)
    return _result(_scalar(r["p"]), _scalar(r["abserr"]), r["status"], return_error,
                   return_status)


def log_normal_probability(lower=None, upper=None, loc=None, covariance_matrix=None,
                           scale_tril=None, return_error=False, seed=None, *,
                           maxpts=None, abseps=None, releps=None, n_jobs=None, method=None,
                           errors="raise", return_status=False):
    """log P(lower < X < upper), accurate where P underflows a double.

    As mvnorm.log_normal_probability: unless abseps is given it is 0 (only
    releps governs); the error estimate (return_error=True) is that of
    log P.  errors and return_status as in normal_probability.
    """
    what = "log_normal_probability"
    if abseps is None:
        abseps = 0.0
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    prep = _prepare(lower, upper, loc, covariance_matrix, scale_tril, what, errors)
    r = compute(*prep, opts, what, L.COMPUTE_PROB, errors=errors)
    return _result(_scalar(r["logp"]), _scalar(r["logerr"]), r["status"], return_error,
                   return_status)


_WRT = ("lower", "upper", "loc", "matrix")


def _need(wrt, given, what):
    """(lower, upper, loc, matrix) flags from wrt (names or None: every
    argument given)."""
    if wrt is None:
        return tuple(given)
    if isinstance(wrt, str):
        wrt = (wrt,)
    need = [False] * 4
    for w in wrt:
        k = {"lower": 0, "upper": 1, "loc": 2, "covariance_matrix": 3, "scale_tril": 3,
             "matrix": 3}.get(w)
        if k is None:
            raise ValueError("mvnorm.%s: wrt names lower, upper, loc, covariance_matrix "
                             "or scale_tril, not %r" % (what, w))
        need[k] = True
    return tuple(need)


def _grad(log, lower, upper, loc, covariance_matrix, scale_tril, return_error, seed,
          maxpts, abseps, releps, n_jobs, method, errors, return_status, wrt, what):
    if log and abseps is None:
        abseps = 0.0
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    prep = _prepare(lower, upper, loc, covariance_matrix, scale_tril, what, errors)
    given = (lower is not None, upper is not None, loc is not None,
             covariance_matrix is not None or scale_tril is not None)
    need = _need(wrt, given, what)
    comp = L.COMPUTE_LOG_GRAD if log else L.COMPUTE_GRAD
    r = compute(*prep, opts, what, comp, need=need, errors=errors)
    return _gradient(r, need, prep[4], prep[3], log, return_error, return_status)


def _gradient(r, need, kind, sigma, log, return_error, return_status):
    """The Gradient tuple from compute()'s dict."""
    dmat = r.get("d_sigma") if need[3] else None
    cov = tril = None
    if dmat is not None:
        if kind == L.SIGMA_CHOL:
            # Sigma = L L^T: dP/dL = 2 G L, on the lower triangle (the only
            # part the library reads), as the torch API.
            tril = np.tril(2.0 * (dmat @ np.tril(sigma)))
        else:
            cov = dmat
    return Gradient(
        value=_scalar(r["logp"] if log else r["p"]),
        lower=r.get("d_lower") if need[0] else None,
        upper=r.get("d_upper") if need[1] else None,
        loc=r.get("d_mean") if need[2] else None,
        covariance_matrix=cov, scale_tril=tril,
        error=_scalar(r["logerr"] if log else r["abserr"]) if return_error else None,
        status=r["status"] if return_status else None)


def normal_probability_grad(lower=None, upper=None, loc=None, covariance_matrix=None,
                            scale_tril=None, return_error=False, seed=None, *, wrt=None,
                            maxpts=None, abseps=None, releps=None, n_jobs=None,
                            method=None, errors="raise", return_status=False):
    """P and its derivatives, as a Gradient named tuple.

    wrt: names among "lower", "upper", "loc", "covariance_matrix" /
    "scale_tril" (default: the arguments given).  The derivatives are per
    problem, of the broadcast batch shape (sum over broadcast axes for the
    gradient of a sum, as autograd does).  The derivative with respect to
    the covariance is the costly one: leave it out of wrt when not needed.
    """
    return _grad(False, lower, upper, loc, covariance_matrix, scale_tril, return_error,
                 seed, maxpts, abseps, releps, n_jobs, method, errors, return_status, wrt,
                 "normal_probability_grad")


def log_normal_probability_grad(lower=None, upper=None, loc=None, covariance_matrix=None,
                                scale_tril=None, return_error=False, seed=None, *,
                                wrt=None, maxpts=None, abseps=None, releps=None,
                                n_jobs=None, method=None, errors="raise",
                                return_status=False):
    """log P and its derivatives (computed in log space by the library,
    finite where P underflows), as normal_probability_grad; abseps
    defaults to 0 as in log_normal_probability."""
    return _grad(True, lower, upper, loc, covariance_matrix, scale_tril, return_error,
                 seed, maxpts, abseps, releps, n_jobs, method, errors, return_status, wrt,
                 "log_normal_probability_grad")


Quantile = collections.namedtuple("Quantile", ["quantile", "error", "probability",
                                               "probability_error", "status"])
Quantile.__doc__ = """Result of equicoordinate_quantile.

quantile: q; error: its error estimate (the error of P at q propagated
through dP/dq); probability: P at q (mvtnorm's f.quantile is probability -
p); probability_error: the error estimate of that P; status: the library's
status (0, or 1 for a missed tolerance, which also warns)."""

_TAILS = {"lower": L.TAIL_LOWER, "lower.tail": L.TAIL_LOWER,
          "upper": L.TAIL_UPPER, "upper.tail": L.TAIL_UPPER,
          "both": L.TAIL_BOTH, "both.tails": L.TAIL_BOTH}


def _quantile_matrix(tail, matrix, name, what):
    """The tail checked and the (d, d) matrix as a C-contiguous array."""
    if tail not in _TAILS:
        raise ValueError("mvnorm.%s: tail must be one of %s, not %r"
                         % (what, ", ".join(sorted(_TAILS)), tail))
    sigma = _array(matrix, name)
    if sigma is None or sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1]:
        raise ValueError("mvnorm.%s: %s must have shape (d, d)" % (what, name))
    return np.ascontiguousarray(sigma)


def equicoordinate_quantile(p, loc=None, covariance_matrix=None, tail="lower", seed=None, *,
                            maxpts=None, abseps=None, releps=None, n_jobs=None, method=None):
    """The equicoordinate quantile q of X ~ N(loc, Sigma) (mvtnorm's qmvnorm).

    tail "lower": P(X_i < q for all i) = p; "upper": P(X_i > q for all i)
    = p; "both": P(-q < X_i < q for all i) = p, q >= 0 (mvtnorm's names
    "lower.tail", "upper.tail", "both.tails" are accepted too).  The
    limits are on X itself, with its mean loc (shape (d,), default 0);
    covariance_matrix has shape (d, d).  P at q equals p within the
    tolerance (abseps, releps as for a probability).  Returns a Quantile
    (quantile, error, probability, probability_error, status).
    """
    what = "equicoordinate_quantile"
    sigma = _quantile_matrix(tail, covariance_matrix, "covariance_matrix", what)
    d = sigma.shape[0]
    mean = _array(loc, "loc")
    if mean is not None:
        mean = np.ascontiguousarray(np.broadcast_to(mean, (d,)))
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    out = np.full(4, np.nan)
    with L.Context(opts) as ctx:
        st = L.quantile_equi(ctx.ptr, d, float(p), _TAILS[tail],
                             None if mean is None else _ptr(mean), _ptr(sigma),
                             *(_ptr(out[k:]) for k in range(4)))
        L.check_status(ctx, st, what)
    return Quantile(float(out[0]), float(out[1]), float(out[2]), float(out[3]), int(st))


def t_equicoordinate_quantile(p, df=1.0, loc=None, shape=None, tail="lower", seed=None, *,
                              noncentrality=None, maxpts=None, abseps=None, releps=None,
                              n_jobs=None, method=None):
    """The equicoordinate quantile of the multivariate t (mvtnorm's qmvt).

    T = loc + (Y + noncentrality) / W with Y ~ N(0, shape), W =
    sqrt(chi2_df / df) (SciPy's multivariate_t is loc alone; mvtnorm's
    Kshirsagar type is noncentrality alone, its "shifted" type loc alone).
    tail as for equicoordinate_quantile; df >= 0.01, real (inf: the
    normal with mean loc + noncentrality).  Returns a Quantile.
    """
    what = "t_equicoordinate_quantile"
    sigma = _quantile_matrix(tail, shape, "shape", what)
    d = sigma.shape[0]
    shift = _vector(loc, "loc", d, what)
    delta = _vector(noncentrality, "noncentrality", d, what)
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    out = np.full(4, np.nan)
    with L.Context(opts) as ctx:
        st = L.quantile_equi_t(ctx.ptr, d, float(df), float(p), _TAILS[tail], _ptr(shift),
                               _ptr(delta), _ptr(sigma), *(_ptr(out[k:]) for k in range(4)))
        L.check_status(ctx, st, what)
    return Quantile(float(out[0]), float(out[1]), float(out[2]), float(out[3]), int(st))


def _vector(x, name, d, what):
    if x is None:
        return None
    a = _array(x, name)
    try:
        return np.ascontiguousarray(np.broadcast_to(a, (d,)))
    except ValueError as exc:
        raise ValueError("mvnorm.%s: %s has shape %s, expected (%d,)" % (what, name, a.shape, d)) \
            from exc


def _t_problem(lower, upper, loc, shape, noncentrality, what):
    """d, the scale matrix, the limits shifted by loc, the noncentrality."""
    sigma = _array(shape, "shape")
    if sigma is None or sigma.ndim != 2 or sigma.shape[0] != sigma.shape[1]:
        raise ValueError("mvnorm.%s: shape must have shape (d, d)" % what)
    d = sigma.shape[0]
    sigma = np.ascontiguousarray(sigma)
    lo, up = _vector(lower, "lower", d, what), _vector(upper, "upper", d, what)
    shift = _vector(loc, "loc", d, what)
    if shift is not None:
        lo = None if lo is None else lo - shift
        up = None if up is None else up - shift
    return d, sigma, lo, up, _vector(noncentrality, "noncentrality", d, what)


TGradient = collections.namedtuple("TGradient", ["probability", "error", "lower", "upper",
                                                 "loc", "status", "shape"])
TGradient.__doc__ = """Result of t_probability_grad: P, its error estimate, dP/dlower,
dP/dupper and dP/dloc (arrays of shape (d,)), the library status, and dP/dshape
((d, d), symmetric: dP = sum_ij shape_ij dS_ij for a symmetric change dS, the
convention of Gradient.covariance_matrix)."""


def t_probability_grad(lower=None, upper=None, df=1.0, loc=None, shape=None, seed=None, *,
                       noncentrality=None, maxpts=None, abseps=None, releps=None,
                       n_jobs=None, method=None):
    """P(lower < T < upper) for the multivariate t with its derivatives in
    the limits, in loc and in the scale matrix (mvn_prob_t_grad_sigma):
    T = loc + (Y + noncentrality) / W as in t_probability.  Central t:
    each limit derivative is the t density at a limit times a
    (d-1)-dimensional t probability with df + 1 degrees of freedom, exact
    to about 1e-12 for d <= 4; each off-diagonal scale derivative a sum
    over four corners of (d-2)-dimensional t probabilities with df degrees
    of freedom, exact for d <= 5.  Noncentral: the normal's derivatives
    under the integral over the chi variable, exact to about 1e-12 for
    d <= 3 (doc/manual.md, section 5d).  The derivative in the
    noncentrality is not returned.  Returns a TGradient.
    """
    what = "t_probability_grad"
    d, sigma, lo, up, delta = _t_problem(lower, upper, loc, shape, noncentrality, what)
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    out = np.full(3, np.nan)
    dl, du = np.full(d, np.nan), np.full(d, np.nan)
    ds = np.full((d, d), np.nan)
    with L.Context(opts) as ctx:
        st = L.prob_t_grad_sigma(ctx.ptr, d, float(df), _ptr(lo), _ptr(up), _ptr(delta),
                                 _ptr(sigma), _ptr(out[0:]), _ptr(out[1:]), _ptr(out[2:]),
                                 _ptr(dl), _ptr(du), _ptr(ds))
        L.check_status(ctx, st, what)
    return TGradient(float(out[0]), float(out[2]), dl, du, -(dl + du), int(st), ds)


def t_probability(lower=None, upper=None, df=1.0, loc=None, shape=None, return_error=False,
                  seed=None, *, noncentrality=None, log=False, maxpts=None, abseps=None,
                  releps=None, n_jobs=None, method=None):
    """P(lower < T < upper) for the multivariate t (one problem).

    SciPy's parametrization (scipy.stats.multivariate_t): T = loc + Y / W
    with Y ~ N(0, shape), W = sqrt(chi2_df / df); or mvtnorm's pmvt with
    Kshirsagar's noncentrality: T = (Y + noncentrality) / W.  df > 0 (any
    real; inf is the normal); shape (d, d); limits, loc and noncentrality
    (d,) or scalars (None: -inf, +inf, 0).  Returns P, or log P with
    log=True (accurate where P underflows), followed by its error estimate
    with return_error=True.  Exact to about 1e-12 relative for d <= 3;
    beyond, lattice QMC with the chi variable as one more coordinate
    (doc/manual.md, section 5d).
    """
    what = "t_probability"
    d, sigma, lo, up, delta = _t_problem(lower, upper, loc, shape, noncentrality, what)
    if log and abseps is None:
        abseps = 0.0
    opts = _options(maxpts, abseps, releps, n_jobs, seed, method)
    out = np.full(3, np.nan)
    with L.Context(opts) as ctx:
        st = L.prob_t(ctx.ptr, d, float(df), _ptr(lo), _ptr(up), _ptr(delta), _ptr(sigma),
                      _ptr(out[0:]), _ptr(out[1:]), _ptr(out[2:]))
        L.check_status(ctx, st, what)
    value = out[1] if log else out[0]
    error = (out[2] / out[0] if out[0] > 0 else np.inf) if log else out[2]
    return (float(value), float(error)) if return_error else float(value)
