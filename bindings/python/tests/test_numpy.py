# The NumPy API (mvnorm.numpy): agreement with the torch API, broadcasting, strides, errors, no torch.
# SPDX-License-Identifier: GPL-3.0-or-later
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import mvnorm
import mvnorm.numpy as mvn
from conftest import PKG_ROOT

FAST = dict(abseps=1e-4, releps=1e-4)


def problems(n, d, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((n, d, d))
    s = a @ np.swapaxes(a, -1, -2) / d + np.eye(d)
    x = rng.standard_normal((n, d)) + 0.5
    return x, s


def test_imports_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import mvnorm, mvnorm.numpy as mvn, mvnorm.dask\n"
            "p = mvn.normal_probability(upper=[0.0, 0.0], covariance_matrix=[[1, .5], [.5, 1]])\n"
            "assert abs(p - 1/3) < 1e-14, p\n"
            "try:\n    mvnorm.normal_probability\nexcept ImportError as e:\n"
            "    assert 'mvnorm.numpy' in str(e)\nelse:\n    raise SystemExit('no ImportError')\n"
            "print('ok')\n")
    env = dict(os.environ, PYTHONPATH=PKG_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "ok"


def test_import_mvnorm_numpy_does_not_import_torch():
    code = "import sys, mvnorm.numpy, mvnorm.dask; print('torch' in sys.modules)"
    env = dict(os.environ, PYTHONPATH=PKG_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "False"


def test_exact_value_and_scalar_result():
    p = mvn.normal_probability(upper=[0, 0], covariance_matrix=[[1, 0.5], [0.5, 1]])
    assert isinstance(p, np.float64) and abs(p - 1 / 3) < 1e-15
    lp, lerr = mvn.log_normal_probability(upper=[0, 0], covariance_matrix=[[1, .5], [.5, 1]],
                                          return_error=True)
    assert abs(lp - np.log(1 / 3)) < 1e-14 and lerr >= 0


def test_bitwise_equal_to_torch_api():
    torch = pytest.importorskip("torch")
    x, s = problems(40, 5)
    a = -np.abs(x) - 0.2
    p, e = mvn.normal_probability(lower=a, upper=x + 1, covariance_matrix=s, return_error=True,
                                  **FAST)
    pt, et = mvnorm.normal_probability(lower=torch.tensor(a), upper=torch.tensor(x + 1),
                                       covariance_matrix=torch.tensor(s), return_error=True,
                                       **FAST)
    assert np.array_equal(p, pt.numpy()) and np.array_equal(e, et.numpy())
    lp = mvn.log_normal_probability(upper=x, scale_tril=np.linalg.cholesky(s), **FAST)
    lt = mvnorm.log_normal_probability(upper=torch.tensor(x),
                                       scale_tril=torch.tensor(np.linalg.cholesky(s)), **FAST)
    assert np.array_equal(lp, lt.numpy())


@pytest.mark.parametrize("log", [False, True])
@pytest.mark.parametrize("tril", [False, True])
def test_gradients_match_torch_autograd(log, tril):
    torch = pytest.importorskip("torch")
    x, s = problems(12, 4, seed=1)
    a = -np.abs(x) - 0.3
    m = np.linspace(-0.2, 0.2, 4)
    mat = np.linalg.cholesky(s) if tril else s
    key = "scale_tril" if tril else "covariance_matrix"
    fn = mvn.log_normal_probability_grad if log else mvn.normal_probability_grad
    g = fn(lower=a, upper=x, loc=m, **{key: mat}, **FAST)
    ta, tx, tm, tS = (torch.tensor(v, requires_grad=True) for v in (a, x, m, mat))
    tfn = mvnorm.log_normal_probability if log else mvnorm.normal_probability
    v = tfn(lower=ta, upper=tx, loc=tm, **{key: tS}, **FAST)
    v.sum().backward()
    if log:
        # log P of the log-gradient computation is solved to the relative
        # tolerance max(abseps, releps) (mvn_logprob_grad_batch), log P of
        # the forward pass to max(abseps, releps * P): two integrations
        # that may stop at different lattice sizes, each within 1e-4.
        assert np.allclose(g.value, v.detach().numpy(), rtol=0, atol=3e-4)
    else:
        assert np.array_equal(g.value, v.detach().numpy())
    assert np.allclose(g.lower, ta.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert np.allclose(g.upper, tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    # loc is shared (broadcast): per-problem derivatives, summed as autograd does.
    assert g.loc.shape == (12, 4)
    assert np.allclose(g.loc.sum(0), tm.grad.numpy(), rtol=1e-9, atol=1e-12)
    gm = g.scale_tril if tril else g.covariance_matrix
    assert (g.covariance_matrix is None) == tril
    assert np.allclose(gm, tS.grad.numpy(), rtol=1e-8, atol=1e-11)


def test_wrt_selects_and_scale_invariance_of_shapes():
    x, s = problems(6, 3)
    g = mvn.normal_probability_grad(upper=x, covariance_matrix=s, wrt="upper")
    assert g.upper.shape == (6, 3) and g.covariance_matrix is None and g.lower is None
    with pytest.raises(ValueError):
        mvn.normal_probability_grad(upper=x, wrt="sigma")


@pytest.mark.parametrize("xshape,cshape,mshape,out", [
    ((3,), (3, 3), (), ()),
    ((5, 3), (3, 3), (3,), (5,)),
    ((3,), (4, 3, 3), (), (4,)),
    ((2, 1, 3), (4, 3, 3), (4, 3), (2, 4)),
    ((6, 3), (6, 3, 3), (1, 3), (6,)),
])
def test_broadcasting(xshape, cshape, mshape, out):
    rng = np.random.default_rng(2)
    x = rng.standard_normal(xshape)
    _, s = problems(int(np.prod(cshape[:-2])) if len(cshape) > 2 else 1, 3, seed=3)
    s = s.reshape(cshape)
    m = rng.standard_normal(mshape) if mshape else 0.25
    p = mvn.normal_probability(upper=x, loc=m, covariance_matrix=s)
    assert np.shape(p) == out
    full = np.broadcast_shapes(x.shape[:-1], np.shape(m)[:-1], s.shape[:-2])
    xe = np.broadcast_to(x, full + (3,)).reshape(-1, 3)
    me = np.broadcast_to(m, full + (3,)).reshape(-1, 3)
    se = np.broadcast_to(s, full + (3, 3)).reshape(-1, 3, 3)
    one = [mvn.normal_probability(upper=xe[k], loc=me[k], covariance_matrix=se[k])
           for k in range(len(xe))]
    assert np.array_equal(np.reshape(p, -1), np.array(one))


def test_any_strides_give_the_same_numbers():
    x, s = problems(30, 5, seed=4)
    big = np.zeros((60, 12))
    big[::2, 2:12:2] = x[:, ::-1]
    view = big[::2, 10:0:-2]           # reversed, strided, non-contiguous view of x
    assert np.array_equal(view, x) and not view.flags.c_contiguous
    sf = np.asfortranarray(s)
    p1 = mvn.normal_probability(upper=view, covariance_matrix=sf, **FAST)
    p2 = mvn.normal_probability(upper=np.ascontiguousarray(x), covariance_matrix=s, **FAST)
    assert np.array_equal(p1, p2)
    p3 = mvn.normal_probability(upper=x.astype(np.float32), covariance_matrix=s, **FAST)
    assert np.array_equal(p3, mvn.normal_probability(upper=x.astype(np.float32).astype(float),
                                                     covariance_matrix=s, **FAST))


def test_bad_problems_nan_and_status_or_raise():
    x, s = problems(10, 4, seed=5)
    x[2, 1] = np.nan
    s[4] = -np.eye(4)
    s[6, 0, 1] += 1.0                  # asymmetric
    good = mvn.normal_probability(upper=x, covariance_matrix=s, errors="nan", **FAST)
    p, st = mvn.normal_probability(upper=x, covariance_matrix=s, errors="nan",
                                   return_status=True, **FAST)
    names = [mvn.STATUS[int(c)] for c in st]
    assert names[2] == "MVN_ENAN" and names[4] == "MVN_ENOTPD" and names[6] == "MVN_EASYM"
    ok = [k for k in range(10) if k not in (2, 4, 6)]
    assert all(names[k] == "MVN_OK" for k in ok)
    assert np.isnan(p[[2, 4, 6]]).all() and np.isfinite(p[ok]).all()
    assert np.array_equal(p, good, equal_nan=True)
    # The others equal a call without the bad problems, bitwise.
    ref = mvn.normal_probability(upper=x[ok], covariance_matrix=s[ok], **FAST)
    assert np.array_equal(p[ok], ref)
    g = mvn.log_normal_probability_grad(upper=x, covariance_matrix=s, errors="nan",
                                        return_status=True, **FAST)
    assert np.isnan(g.upper[2]).all() and np.isnan(g.covariance_matrix[4]).all()
    assert np.isfinite(g.upper[ok]).all() and np.array_equal(g.status, st)
    with pytest.raises(ValueError, match="NaN|nan"):
        mvn.normal_probability(upper=x[:3], covariance_matrix=s[:3])
    with pytest.raises(ValueError, match="symmetric"):
        mvn.normal_probability(upper=x[6], covariance_matrix=s[6])
    with pytest.raises(ValueError):
        mvn.normal_probability(upper=x, errors="ignore")


def test_settings_and_seed():
    x, s = problems(8, 6, seed=6)
    kw = dict(upper=x, covariance_matrix=s, abseps=1e-3, releps=0.0)
    base = mvn.normal_probability(**kw)
    mvnorm.integration.seed = 0
    assert np.array_equal(base, mvn.normal_probability(**kw))
    mvnorm.integration.seed = 7
    other = mvn.normal_probability(**kw)
    assert np.array_equal(other, mvn.normal_probability(**kw, seed=7))
    assert not np.array_equal(base, other)
    # Thread count never changes the numbers.
    assert np.array_equal(mvn.normal_probability(**kw, n_jobs=2), other)


def test_tolerance_warning_with_status():
    x, s = problems(3, 8, seed=7)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        p, st = mvn.normal_probability(upper=x, covariance_matrix=s, abseps=1e-12,
                                       releps=0.0, maxpts=2000, return_status=True)
    assert any(issubclass(i.category, mvnorm.ToleranceWarning) for i in w)
    assert (st == 1).any() and np.isfinite(p).all()
