# Locate libmvnorm with ctypes, declare the C signatures used, wrap contexts and statuses.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Low-level access to libmvnorm.

Nothing here knows about torch.  The library is searched, in order, at

1. the path in the environment variable ``MVNORM_LIBRARY`` (a file, or a
   directory holding ``libmvnorm.so.1``); when it is set, nothing else is
   tried, so that a test harness never silently picks another copy;
2. ``ctypes.util.find_library("mvnorm")`` (the system library, as ldconfig
   knows it);
3. the versioned soname ``libmvnorm.so.1`` (the dynamic loader's own search:
   ``LD_LIBRARY_PATH``, the ld.so cache, the default directories);
4. the libtool build trees next to this source tree
   (``_build/lib/.libs`` and ``lib/.libs``), for running from a checkout.

The first copy that loads and passes the version check is used; otherwise
ImportError lists every attempt and why it failed.
"""

import ctypes
import ctypes.util
import os
import threading
import warnings

__all__ = [
    "lib", "library_path", "version", "version_number", "Context",
    "check_status", "ToleranceWarning", "has_gradients", "has_hessian",
    "OPT", "SIGMA_COV", "SIGMA_CHOL", "STATUS",
]

# The library series this binding was written for: MAJOR * 10000 + MINOR * 100.
# A 0.x library may change its ABI at each minor release, so both must match;
# from 1.0 on, any minor release at or above this one is accepted.
_REQUIRED_MAJOR = 0
_REQUIRED_MINOR = 2
_SONAME = "libmvnorm.so.1"

MVN_OK, MVN_ETOL = 0, 1

SIGMA_COV = 0
SIGMA_CHOL = 1


class ToleranceWarning(UserWarning):
    """The requested tolerance was not reached within the evaluation budget
    (status MVN_ETOL); the values and error estimates are still returned."""


def _candidates():
    """Yield (description, path-or-name) pairs in search order."""
    env = os.environ.get("MVNORM_LIBRARY")
    if env:
        path = os.path.join(env, _SONAME) if os.path.isdir(env) else env
        yield "MVNORM_LIBRARY=%s" % env, path
        return
    found = ctypes.util.find_library("mvnorm")
    if found:
        yield "ctypes.util.find_library('mvnorm')", found
    else:
        yield "ctypes.util.find_library('mvnorm')", None
    yield "soname", _SONAME
    here = os.path.dirname(os.path.abspath(__file__))
    top = os.path.normpath(os.path.join(here, "..", "..", ".."))
    for sub in ("_build", "."):
        path = os.path.normpath(os.path.join(top, sub, "lib", ".libs", _SONAME))
        if os.path.exists(path):
            yield "build tree", path


def _load():
    tried = []
    for how, name in _candidates():
        if name is None:
            tried.append("%s: not found" % how)
            continue
        try:
            handle = ctypes.CDLL(name)
        except OSError as exc:
            tried.append("%s (%s): %s" % (how, name, exc))
            continue
        try:
            fn = handle.mvn_version_number
        except AttributeError:
            tried.append("%s (%s): no symbol mvn_version_number" % (how, name))
            continue
        fn.argtypes = []
        fn.restype = ctypes.c_uint
        number = fn()
        major, minor = number // 10000, (number // 100) % 100
        ok = (major == _REQUIRED_MAJOR and
              (minor == _REQUIRED_MINOR if major == 0 else minor >= _REQUIRED_MINOR))
        if not ok:
            tried.append("%s (%s): version %d.%d.%d, this binding needs %d.%d%s"
                         % (how, name, major, minor, number % 100,
                            _REQUIRED_MAJOR, _REQUIRED_MINOR,
                            "" if _REQUIRED_MAJOR == 0 else " or later"))
            continue
        path = getattr(handle, "_name", name)
        return handle, path, number
    raise ImportError(
        "mvnorm: cannot load libmvnorm.  Tried:\n  " + "\n  ".join(tried) +
        "\nInstall libmvnorm (and run ldconfig), or set MVNORM_LIBRARY to the "
        "path of libmvnorm.so.1.")


lib, library_path, version_number = _load()

_c_int, _c_double, _c_size, _vp = ctypes.c_int, ctypes.c_double, ctypes.c_size_t, ctypes.c_void_p
_pd = ctypes.POINTER(ctypes.c_ssize_t)  # ptrdiff_t strides


def _declare(name, restype, argtypes, required=True):
    try:
        fn = getattr(lib, name)
    except AttributeError:
        if required:
            raise ImportError("mvnorm: %s lacks the symbol %s" % (library_path, name))
        return None
    fn.restype = restype
    fn.argtypes = argtypes
    return fn


_declare("mvn_version_string", ctypes.c_char_p, [])
_declare("mvn_strerror", ctypes.c_char_p, [_c_int])
_declare("mvn_context_alloc", _vp, [])
_declare("mvn_context_free", None, [_vp])
_declare("mvn_context_set", _c_int, [_vp, _c_int, _c_double])
_declare("mvn_context_get", _c_int, [_vp, _c_int, ctypes.POINTER(_c_double)])
_declare("mvn_context_message", ctypes.c_char_p, [_vp])
_declare("mvn_context_evaluations", _c_double, [_vp])
# All data pointers are passed as void * (integers from Tensor.data_ptr(), or
# None for NULL); the C side sees double * / int *.
_batch_args = [_vp, _c_size, _c_size,
               _vp, _pd, _vp, _pd, _vp, _pd, _vp, _pd, _c_int,
               _vp, _vp, _vp, _vp]
_declare("mvn_prob_batch", _c_int, _batch_args)
# The derivative routines are written separately from the probability ones;
# a library without them still serves probabilities.
_grad_batch = _declare("mvn_prob_grad_batch", _c_int,
                       _batch_args + [_vp, _vp, _vp, _vp], required=False)
_hessian = _declare("mvn_prob_hessian", _c_int,
                    [_vp, _c_size, _vp, _vp, _vp, _vp, _vp, _vp], required=False)
# Added in the second gradient step: gradients of log P computed in log
# space, and the batched Hessian.  Older libraries lack them; the binding
# then divides dP by P and loops over mvn_prob_hessian.
_logprob_grad_batch = _declare("mvn_logprob_grad_batch", _c_int,
                               _batch_args + [_vp, _vp, _vp, _vp], required=False)
# log P with the error estimate of log P (formed before P underflows).
_logprob_batch = _declare("mvn_logprob_batch", _c_int, _batch_args[:-1] + [_vp, _vp],
                          required=False)
_hessian_batch = _declare("mvn_prob_hessian_batch", _c_int,
                          [_vp, _c_size, _c_size, _vp, _pd, _vp, _pd, _vp, _pd,
                           _vp, _pd, _c_int, _vp, _vp, _vp], required=False)

# Equicoordinate quantiles (0.2): ctx, d, p, tail, mean, sigma, q, q_err,
# p_at_q, p_err.
_quantile_equi = _declare("mvn_quantile_equi", _c_int,
                          [_vp, _c_size, _c_double, _c_int, _vp, _vp, _vp, _vp, _vp, _vp],
                          required=False)
TAIL_LOWER, TAIL_UPPER, TAIL_BOTH = 0, 1, 2
# Multivariate t (0.2): ctx, d, df, lower, upper, delta, sigma, p, logp, abserr.
_prob_t = _declare("mvn_prob_t", _c_int,
                   [_vp, _c_size, _c_double, _vp, _vp, _vp, _vp, _vp, _vp, _vp],
                   required=False)


# ... with d_lower, d_upper (0.2).
_prob_t_grad = _declare("mvn_prob_t_grad", _c_int,
                        [_vp, _c_size, _c_double, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp, _vp],
                        required=False)


# ... with d_lower, d_upper, d_sigma (0.2).
_prob_t_grad_sigma = _declare("mvn_prob_t_grad_sigma", _c_int,
                              [_vp, _c_size, _c_double, _vp, _vp, _vp, _vp, _vp, _vp, _vp,
                               _vp, _vp, _vp],
                              required=False)


def prob_t_grad_sigma(*args):
    """mvn_prob_t_grad_sigma, or ImportError from a library without it."""
    if _prob_t_grad_sigma is None:
        raise ImportError("mvnorm: %s lacks mvn_prob_t_grad_sigma (libmvnorm 0.2)"
                          % library_path)
    return _prob_t_grad_sigma(*args)


def prob_t_grad(*args):
    """mvn_prob_t_grad, or ImportError from a library without it."""
    if _prob_t_grad is None:
        raise ImportError("mvnorm: %s lacks mvn_prob_t_grad (libmvnorm 0.2)" % library_path)
    return _prob_t_grad(*args)


def prob_t(*args):
    """mvn_prob_t, or ImportError from a library older than 0.2."""
    if _prob_t is None:
        raise ImportError("mvnorm: %s lacks mvn_prob_t (libmvnorm 0.2)" % library_path)
    return _prob_t(*args)


# ctx, d, df, p, tail, loc, delta, sigma, q, q_err, p_at_q, p_err (0.2).
_quantile_equi_t = _declare("mvn_quantile_equi_t", _c_int,
                            [_vp, _c_size, _c_double, _c_double, _c_int, _vp, _vp, _vp,
                             _vp, _vp, _vp, _vp], required=False)


def quantile_equi_t(*args):
    """mvn_quantile_equi_t, or ImportError from a library without it."""
    if _quantile_equi_t is None:
        raise ImportError("mvnorm: %s lacks mvn_quantile_equi_t (libmvnorm 0.2)"
                          % library_path)
    return _quantile_equi_t(*args)


def quantile_equi(*args):
    """mvn_quantile_equi, or ImportError from a library older than 0.2."""
    if _quantile_equi is None:
        raise ImportError("mvnorm: %s lacks mvn_quantile_equi (libmvnorm 0.2)" % library_path)
    return _quantile_equi(*args)


version = lib.mvn_version_string().decode()


# The batch descriptor (mvnorm.h section 12, 0.2): every array as pointer +
# element strides, used by the NumPy API so that arrays of any strides
# (broadcast views with stride 0, reversed or sliced views) go to C uncopied.
_P2 = ctypes.c_ssize_t * 2
_P3 = ctypes.c_ssize_t * 3


class BatchDesc(ctypes.Structure):
    _fields_ = [
        ("struct_size", _c_size), ("n", _c_size), ("d", _c_size),
        ("memory", _c_int), ("sigma_kind", _c_int), ("stream", _vp),
        ("lower", _vp), ("lower_strides", _P2),
        ("upper", _vp), ("upper_strides", _P2),
        ("mean", _vp), ("mean_strides", _P2),
        ("sigma", _vp), ("sigma_strides", _P3),
        ("p", _vp), ("p_stride", ctypes.c_ssize_t),
        ("logp", _vp), ("logp_stride", ctypes.c_ssize_t),
        ("abserr", _vp), ("abserr_stride", ctypes.c_ssize_t),
        ("logerr", _vp), ("logerr_stride", ctypes.c_ssize_t),
        ("status", _vp), ("status_stride", ctypes.c_ssize_t),
        ("d_lower", _vp), ("d_lower_strides", _P2),
        ("d_upper", _vp), ("d_upper_strides", _P2),
        ("d_mean", _vp), ("d_mean_strides", _P2),
        ("d_sigma", _vp), ("d_sigma_strides", _P3),
        ("err_lower", _vp), ("err_lower_strides", _P2),
        ("err_upper", _vp), ("err_upper_strides", _P2),
        ("err_sigma", _vp), ("err_sigma_strides", _P3),
    ]


COMPUTE_PROB, COMPUTE_GRAD, COMPUTE_LOG_GRAD = 0, 1, 2
_desc_init = _declare("mvn_batch_desc_init", None,
                      [ctypes.POINTER(BatchDesc), _c_size, _c_size], required=False)
_batch_compute = _declare("mvn_batch_compute", _c_int,
                          [_vp, _c_int, ctypes.POINTER(BatchDesc)], required=False)


def new_batch_desc(n, d):
    """A BatchDesc initialized by the library (mvn_batch_desc_init)."""
    if _desc_init is None:
        raise RuntimeError("mvnorm: the loaded libmvnorm (%s) has no mvn_batch_desc_init"
                           % library_path)
    # Room for fields a later library may append (init zeroes its own
    # sizeof): they stay zero, which means absent.
    room = ctypes.sizeof(BatchDesc) + 1024
    buf = ctypes.create_string_buffer(room)
    desc = BatchDesc.from_buffer(buf)  # keeps buf alive
    _desc_init(ctypes.byref(desc), n, d)
    if not ctypes.sizeof(BatchDesc) <= desc.struct_size <= room:
        raise RuntimeError("mvnorm: libmvnorm's mvn_batch_desc has %d bytes, this "
                           "binding expects %d" % (desc.struct_size, ctypes.sizeof(BatchDesc)))
    return desc


def batch_compute(ctx, computation, desc):
    return _batch_compute(ctx.ptr, computation, ctypes.byref(desc))

# Status and option names come from the library itself (mvn_status_name,
# mvn_option_name), so that no table is copied here.
_declare("mvn_status_count", _c_int, [])
_declare("mvn_status_name", ctypes.c_char_p, [_c_int])
_declare("mvn_status_from_name", _c_int, [ctypes.c_char_p])
_declare("mvn_option_name", ctypes.c_char_p, [_c_int])
_declare("mvn_option_from_name", _c_int, [ctypes.c_char_p])
_declare("mvn_option_parse", _c_int, [_c_int, ctypes.c_char_p, ctypes.POINTER(_c_double)])

STATUS = {s: lib.mvn_status_name(s).decode() for s in range(lib.mvn_status_count())}
# Statuses that mean "the caller's input is wrong": these become ValueError.
_INPUT_ERRORS = frozenset(lib.mvn_status_from_name(n) for n in
                          (b"EINVAL", b"EDIM", b"ENAN", b"EBOUNDS", b"ENOTPD", b"EASYM"))


class OPT:
    """Option identifiers (mvn_option in mvnorm.h), read from the library:
    ``OPT.ABSEPS``, ``OPT.THREADS``, ... (one attribute per option name,
    upper case)."""


def _option_names():
    o = 1
    while True:
        name = lib.mvn_option_name(o)
        if name is None:
            return
        setattr(OPT, name.decode().upper(), o)
        o += 1


_option_names()


def option_value(option, text):
    """The value of ``option`` written as text ("qmc", "1e-6"), parsed by
    the library (mvn_option_parse); ValueError when it is not valid."""
    value = _c_double()
    if lib.mvn_option_parse(int(option), str(text).encode(), ctypes.byref(value)) != MVN_OK:
        raise ValueError("mvnorm: %r is not a valid value of option %s"
                         % (text, lib.mvn_option_name(int(option)).decode()))
    return value.value


def has_gradients():
    return _grad_batch is not None


def has_hessian():
    return _hessian is not None


def has_logprob_grad():
    return _logprob_grad_batch is not None


def has_hessian_batch():
    return _hessian_batch is not None


def strerror(status):
    return lib.mvn_strerror(int(status)).decode()


class Context:
    """One mvn_context, owned by one call (contexts are not thread-safe).

    Use as a context manager: the C context is freed on exit, also when an
    exception is raised.
    """

    __slots__ = ("ptr",)

    def __init__(self, options=()):
        self.ptr = lib.mvn_context_alloc()
        if not self.ptr:
            raise MemoryError("mvnorm: mvn_context_alloc failed")
        try:
            for opt, value in options:
                st = lib.mvn_context_set(self.ptr, opt, float(value))
                if st != MVN_OK:
                    raise ValueError("mvnorm: invalid value %r for option %d: %s"
                                     % (value, opt, strerror(st)))
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.ptr:
            lib.mvn_context_free(self.ptr)
            self.ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def message(self):
        msg = lib.mvn_context_message(self.ptr)
        return msg.decode(errors="replace") if msg else ""

    def evaluations(self):
        return lib.mvn_context_evaluations(self.ptr)


_warn_lock = threading.Lock()


def check_status(ctx, status, what, statuses=None):
    """Turn a return status into a warning or an exception.

    MVN_ETOL warns once per call (with the number of problems concerned when
    the per-problem statuses are at hand); input errors raise ValueError and
    the others RuntimeError, each with the library's message.
    """
    if status == MVN_OK:
        return
    if status == MVN_ETOL:
        count = ""
        if statuses is not None:
            k = int((statuses == MVN_ETOL).sum())
            total = statuses.numel() if hasattr(statuses, "numel") else statuses.size
            count = " (%d of %d problems)" % (k, total)
        msg = ctx.message()
        warnings.warn("mvnorm.%s: tolerance not reached within maxpts%s%s; the "
                      "values and error estimates are returned"
                      % (what, count, ": " + msg if msg else ""),
                      ToleranceWarning, stacklevel=4)
        return
    msg = ctx.message()
    # The context message states the reason with details (index, value);
    # strerror is the fallback when there is none.
    text = "mvnorm.%s: %s" % (what, msg if msg else strerror(status))
    if status in _INPUT_ERRORS:
        raise ValueError(text)
    if status == 8:
        raise MemoryError(text)
    raise RuntimeError(text)


def require_gradients():
    if _grad_batch is None:
        raise RuntimeError("mvnorm: the loaded libmvnorm (%s) has no mvn_prob_grad_batch; "
                           "gradients are not available" % library_path)


def require_hessian():
    if _hessian is None:
        raise RuntimeError("mvnorm: the loaded libmvnorm (%s) has no mvn_prob_hessian; "
                           "second derivatives are not available" % library_path)


def strides(*values):
    """A ptrdiff_t[] holding the given strides."""
    arr = (ctypes.c_ssize_t * len(values))(*values)
    return arr


prob_batch = lib.mvn_prob_batch


def has_logprob_batch():
    return _logprob_batch is not None


def logprob_batch(*args):
    return _logprob_batch(*args)


def grad_batch(*args):
    require_gradients()
    return _grad_batch(*args)


def hessian(*args):
    require_hessian()
    return _hessian(*args)


def logprob_grad_batch(*args):
    require_gradients()
    return _logprob_grad_batch(*args)


def hessian_batch(*args):
    require_hessian()
    return _hessian_batch(*args)
