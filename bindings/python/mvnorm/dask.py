# Dask scale-out: the NumPy API mapped over chunks of problems, lazily, with bitwise the numbers of one call.
# SPDX-License-Identifier: GPL-3.0-or-later
"""mvnorm.dask -- the NumPy API over Dask arrays.

The same names and keywords as mvnorm.numpy.  Problems lie along the first
axis: limits and ``loc`` of shape (n, d) (or (d,) / a scalar: shared by
every problem), the covariance (or ``scale_tril``) (n, d, d) (one per
problem) or (d, d) (one shared).  Dask arrays in: a lazy Dask array out
(one task per chunk of problems, ``blockwise``).  NumPy arrays in: they
are cut into chunks of ``chunks`` problems and computed at once with the
current scheduler (a ``distributed.Client`` when one is active), NumPy
arrays out.

The settings (tolerances, seed, method, threads per task) are read on the
client when the graph is built and travel in it: the workers' own
``mvnorm.integration`` is never consulted.  A problem's result depends
only on its inputs, the options and the seed, so every chunking gives
bitwise the same numbers as one in-process call of mvnorm.numpy.

``errors="nan"`` is the default here: a bad problem gets NaN and its
status (``return_status=True``), the rest of the array is intact, and one
bad row never fails a whole graph.  Torch is not needed on the workers.
"""

import os

import numpy as np
import dask
import dask.array as da

from . import _library as L
from . import numpy as _np_api
from ._settings import options_for

__all__ = ["normal_probability", "log_normal_probability", "normal_probability_grad",
           "log_normal_probability_grad", "threads_per_task", "prepare_workers",
           "DEFAULT_CHUNK"]

DEFAULT_CHUNK = 10000  # problems per chunk when NumPy arrays come in


def _is_dask(x):
    return isinstance(x, da.Array)


def _usable_cpus():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_per_task(client=None):
    """Library threads per task such that (tasks running at once) x threads
    never exceeds the cores, on every host.

    With a distributed client (the one given, or the active one): per host,
    the cores each worker process sees divided by the task slots of all
    workers on that host; the minimum over hosts.  Without one (the
    threaded or synchronous scheduler): the usable cores divided by the
    scheduler's worker threads (dask's ``num_workers``, default the cores).
    Never less than 1."""
    if client is None:
        try:
            from distributed import get_client
            client = get_client()
        except (ImportError, ValueError):
            client = None
    if client is None:
        slots = dask.config.get("num_workers", None) or _usable_cpus()
        return max(1, _usable_cpus() // int(slots))
    workers = client.scheduler_info()["workers"]
    cpus = client.run(_usable_cpus)
    slots, cores = {}, {}
    for addr, info in workers.items():
        host = info.get("host", addr)
        slots[host] = slots.get(host, 0) + int(info.get("nthreads", 1))
        cores[host] = min(cores.get(host, 1 << 30), int(cpus.get(addr, 1)))
    if not slots:
        return 1
    return max(1, min(cores[h] // slots[h] for h in slots))


def _worker_info():
    from . import _settings
    return {"library": L.library_path, "version": L.version,
            "forked_child": _settings._forked_child, "cpus": _usable_cpus(),
            "pid": os.getpid()}


def prepare_workers(client):
    """Load libmvnorm in every worker process of a distributed client now
    (once per process: the module is then cached), so that a missing or
    wrong library fails here with the loader's ImportError rather than in
    the middle of a computation.  Returns {worker address: {library,
    version, forked_child, cpus, pid}}.  The fork handler (one library
    thread in a forked child) is installed by the import itself."""
    return client.run(_worker_info)


# --- graph construction ----------------------------------------------------

_VEC, _MAT = 1, 2


def _classify(name, a, kind):
    """(array, per_problem) with a shared array reduced to its core shape."""
    core = _VEC if kind == _VEC else _MAT
    nd = a.ndim
    if nd == core + 1:
        if a.shape[0] == 1:
            return a[0], False
        return a, True
    if nd <= core:
        return a, False
    raise ValueError("mvnorm.dask: %s has shape %s: one batch axis at most (problems "
                     "along the first axis), (n, d) for limits and loc, (n, d, d) for "
                     "the covariance" % (name, a.shape))


def _block(*arrays, computation, layout, kind, options, errors, what, need, log, width):
    """One chunk: the NumPy API's computation, packed into an (m, width)
    float64 array (value, error, status, then the requested derivatives)."""
    it = iter(arrays)
    args = {name: (next(it) if present else None) for name, present in layout}
    prep = _np_api._prepare(args["lower"], args["upper"], args["loc"],
                            args["matrix"] if kind == L.SIGMA_COV else None,
                            args["matrix"] if kind == L.SIGMA_CHOL else None,
                            what, errors)
    r = _np_api.compute(*prep, options, what, computation, need=need, errors=errors)
    batch = prep[5]
    m = batch[0] if batch else 1
    cols = [(r["logp"] if log else r["p"]).reshape(m, 1),
            (r["logerr"] if log else r["abserr"]).reshape(m, 1),
            r["status"].astype(np.float64).reshape(m, 1)]
    if computation != L.COMPUTE_PROB:
        for k, name in enumerate(("d_lower", "d_upper", "d_mean", "d_sigma")):
            if need[k]:
                g = r[name]
                if k == 3 and kind == L.SIGMA_CHOL:
                    g = np.tril(2.0 * (g @ np.tril(prep[3])))
                cols.append(g.reshape(m, -1))
    out = np.concatenate(cols, axis=1)
    assert out.shape[1] == width
    return out


def _run(computation, log, what, lower, upper, loc, covariance_matrix, scale_tril,
         options, errors, need, chunks):
    if errors not in ("raise", "nan"):
        raise ValueError("mvnorm.dask.%s: errors must be 'raise' or 'nan'" % what)
    if covariance_matrix is not None and scale_tril is not None:
        raise ValueError("mvnorm.dask.%s: give covariance_matrix or scale_tril, not both"
                         % what)
    kind = L.SIGMA_COV if scale_tril is None else L.SIGMA_CHOL
    mat = covariance_matrix if scale_tril is None else scale_tril
    raw = (("lower", lower, _VEC), ("upper", upper, _VEC), ("loc", loc, _VEC),
           ("matrix", mat, _MAT))
    eager = not any(_is_dask(a) for _, a, _ in raw)
    items = []
    for name, a, k in raw:
        if a is None:
            items.append((name, None, False))
            continue
        if not _is_dask(a):
            a = np.asarray(a, dtype=np.float64)
        items.append((name,) + _classify(name, a, k))
    per = [(name, a) for name, a, p in items if a is not None and p]
    if mat is not None:
        d = items[3][1].shape[-1]
    else:
        dims = [a.shape[-1] for _, a, _ in items if a is not None and a.ndim > 0]
        if not dims:
            raise ValueError("mvnorm.dask.%s: cannot infer the dimension d" % what)
        d = max(dims)
    if not per:
        # One problem (or one shared set of inputs): nothing to distribute.
        raise ValueError("mvnorm.dask.%s: no input has a problem axis (n, d) or (n, d, d); "
                         "use mvnorm.numpy for a single problem" % what)
    ns = {a.shape[0] for _, a in per}
    if len(ns) != 1:
        raise ValueError("mvnorm.dask.%s: the problem axes differ: %s"
                         % (what, {name: a.shape[0] for name, a in per}))
    n = ns.pop()
    if chunks is None:
        dask_per = [a for _, a in per if _is_dask(a)]
        chunks = dask_per[0].chunks[0] if dask_per else min(max(n, 1), DEFAULT_CHUNK)
    layout, args = [], []
    for name, a, p in items:
        layout.append((name, a is not None))
        if a is None:
            continue
        if p:
            tail = (-1,) * (a.ndim - 1)
            if _is_dask(a):
                a = a.rechunk((chunks,) + tail)
            else:
                a = da.from_array(a, chunks=(chunks,) + tail)
            args += [a, "i" + "jk"[:a.ndim - 1]]
        else:
            if _is_dask(a):
                a = a.rechunk(-1) if a.ndim else a
            args += [a, "jk"[:a.ndim] if a.ndim else None]
    width = 3
    if computation != L.COMPUTE_PROB:
        width += d * (need[0] + need[1] + need[2]) + d * d * need[3]
    packed = da.blockwise(_block, "ic", *args, new_axes={"c": width}, dtype=np.float64,
                          concatenate=True, computation=computation, layout=tuple(layout),
                          kind=kind, options=options, errors=errors, what=what,
                          need=tuple(need), log=log, width=width,
                          name="mvnorm-" + what.replace("_", "-"))
    value = packed[:, 0]
    error = packed[:, 1]
    status = packed[:, 2].astype(np.int32)
    grads = {}
    col = 3
    if computation != L.COMPUTE_PROB:
        for k, name in enumerate(("lower", "upper", "loc", "matrix")):
            if need[k]:
                size = d * d if k == 3 else d
                g = packed[:, col:col + size]
                grads[name] = g.reshape((n, d, d) if k == 3 else (n, d))
                col += size
    return eager, value, error, status, grads, kind


def _opts(maxpts, abseps, releps, n_jobs, seed, method):
    if n_jobs == "auto":
        n_jobs = threads_per_task()
    return options_for(maxpts, abseps, releps, n_jobs, seed, method)


def _finish(eager, outs):
    if eager:
        return dask.compute(*outs) if isinstance(outs, tuple) else dask.compute(outs)[0]
    return outs


def _prob(log, what, lower, upper, loc, covariance_matrix, scale_tril, return_error, seed,
          maxpts, abseps, releps, n_jobs, method, errors, return_status, chunks):
    if log and abseps is None:
        abseps = 0.0
    opts = _opts(maxpts, abseps, releps, n_jobs, seed, method)
    eager, value, error, status, _, _ = _run(L.COMPUTE_PROB, log, what, lower, upper, loc,
                                             covariance_matrix, scale_tril, opts, errors,
                                             (False,) * 4, chunks)
    outs = (value,) + ((error,) if return_error else ()) + ((status,) if return_status else ())
    res = _finish(eager, outs)
    return res[0] if len(res) == 1 else tuple(res)


def normal_probability(lower=None, upper=None, loc=None, covariance_matrix=None,
                       scale_tril=None, return_error=False, seed=None, *, maxpts=None,
                       abseps=None, releps=None, n_jobs=None, method=None, errors="nan",
                       return_status=False, chunks=None):
    """mvnorm.numpy.normal_probability over chunks of problems (first axis).

    chunks: problems per chunk (default: the Dask input's chunks, or
    DEFAULT_CHUNK for NumPy input).  n_jobs: library threads per task
    (default mvnorm.integration.n_jobs, i.e. 1; "auto": threads_per_task()).
    Returns lazy Dask arrays for Dask input, NumPy arrays for NumPy input.
    """
    return _prob(False, "normal_probability", lower, upper, loc, covariance_matrix,
                 scale_tril, return_error, seed, maxpts, abseps, releps, n_jobs, method,
                 errors, return_status, chunks)


def log_normal_probability(lower=None, upper=None, loc=None, covariance_matrix=None,
                           scale_tril=None, return_error=False, seed=None, *, maxpts=None,
                           abseps=None, releps=None, n_jobs=None, method=None,
                           errors="nan", return_status=False, chunks=None):
    """mvnorm.numpy.log_normal_probability over chunks of problems."""
    return _prob(True, "log_normal_probability", lower, upper, loc, covariance_matrix,
                 scale_tril, return_error, seed, maxpts, abseps, releps, n_jobs, method,
                 errors, return_status, chunks)


def _grad(log, what, lower, upper, loc, covariance_matrix, scale_tril, return_error, seed,
          wrt, maxpts, abseps, releps, n_jobs, method, errors, return_status, chunks):
    if log and abseps is None:
        abseps = 0.0
    opts = _opts(maxpts, abseps, releps, n_jobs, seed, method)
    given = (lower is not None, upper is not None, loc is not None,
             covariance_matrix is not None or scale_tril is not None)
    need = _np_api._need(wrt, given, what)
    comp = L.COMPUTE_LOG_GRAD if log else L.COMPUTE_GRAD
    eager, value, error, status, grads, kind = _run(comp, log, what, lower, upper, loc,
                                                    covariance_matrix, scale_tril, opts,
                                                    errors, need, chunks)
    mat = grads.get("matrix")
    g = _np_api.Gradient(value=value, lower=grads.get("lower"), upper=grads.get("upper"),
                         loc=grads.get("loc"),
                         covariance_matrix=mat if kind == L.SIGMA_COV else None,
                         scale_tril=mat if kind == L.SIGMA_CHOL else None,
                         error=error if return_error else None,
                         status=status if return_status else None)
    if eager:
        fields = [k for k, v in zip(g._fields, g) if v is not None]
        values = dask.compute(*[getattr(g, k) for k in fields])
        g = g._replace(**dict(zip(fields, values)))
    return g


def normal_probability_grad(lower=None, upper=None, loc=None, covariance_matrix=None,
                            scale_tril=None, return_error=False, seed=None, *, wrt=None,
                            maxpts=None, abseps=None, releps=None, n_jobs=None,
                            method=None, errors="nan", return_status=False, chunks=None):
    """mvnorm.numpy.normal_probability_grad over chunks of problems: a
    Gradient named tuple of Dask arrays (NumPy arrays for NumPy input)."""
    return _grad(False, "normal_probability_grad", lower, upper, loc, covariance_matrix,
                 scale_tril, return_error, seed, wrt, maxpts, abseps, releps, n_jobs,
                 method, errors, return_status, chunks)


def log_normal_probability_grad(lower=None, upper=None, loc=None, covariance_matrix=None,
                                scale_tril=None, return_error=False, seed=None, *,
                                wrt=None, maxpts=None, abseps=None, releps=None,
                                n_jobs=None, method=None, errors="nan",
                                return_status=False, chunks=None):
    """mvnorm.numpy.log_normal_probability_grad over chunks of problems."""
    return _grad(True, "log_normal_probability_grad", lower, upper, loc,
                 covariance_matrix, scale_tril, return_error, seed, wrt, maxpts, abseps,
                 releps, n_jobs, method, errors, return_status, chunks)
