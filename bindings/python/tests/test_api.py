# Shapes, dtypes, devices, settings, seeds, the distribution class, errors and library loading.
# SPDX-License-Identifier: GPL-3.0-or-later
import math
import os
import subprocess
import sys
import warnings

import pytest
import torch

import mvnorm
from conftest import F64, PKG_ROOT, spd, randn


def test_library_loaded_and_versioned():
    assert os.path.exists(mvnorm.library_path) or mvnorm.library_path.startswith("libmvnorm")
    assert mvnorm.library_version_number // 100 == 2  # 0.2.x
    assert mvnorm.library_version.startswith("0.2.")


def test_names_come_from_the_library():
    from mvnorm import _library
    assert _library.STATUS[0] == "MVN_OK" and _library.STATUS[11] == "MVN_ECANCELED"
    assert _library.OPT.ABSEPS == 1 and _library.OPT.GRADIENT == 11
    assert _library.option_value(_library.OPT.METHOD, "tilted") == 2
    with pytest.raises(ValueError):
        _library.option_value(_library.OPT.METHOD, "fastest")


def test_default_is_one_thread():
    assert mvnorm.integration.n_jobs == 1


def test_import_error_lists_attempts():
    env = dict(os.environ, MVNORM_LIBRARY="/nonexistent/libmvnorm.so.1",
               PYTHONPATH=PKG_ROOT)
    r = subprocess.run([sys.executable, "-c", "import mvnorm"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "MVNORM_LIBRARY=/nonexistent" in r.stderr


@pytest.mark.parametrize("xshape,cshape,mshape,out", [
    ((3,), (3, 3), (), ()),
    ((5, 3), (3, 3), (3,), (5,)),
    ((3,), (4, 3, 3), (), (4,)),
    ((2, 1, 3), (4, 3, 3), (4, 3), (2, 4)),
    ((6, 3), (6, 3, 3), (1, 3), (6,)),
])
def test_broadcasting_shapes(xshape, cshape, mshape, out):
    x = randn(*xshape, seed=1)
    c = spd(3, batch=cshape[:-2], seed=2)
    m = randn(*mshape, seed=3) if mshape else torch.tensor(0.25, dtype=F64)
    p = mvnorm.normal_probability(upper=x, loc=m, covariance_matrix=c)
    assert p.shape == out
    # Same numbers as problem-by-problem calls (the library uses common random
    # numbers, so a batch equals a loop bitwise; d = 3 is exact anyway).
    full = torch.broadcast_shapes(x.shape[:-1], m.shape[:-1] if m.dim() else (), c.shape[:-2])
    xe = x.expand(full + (3,)).reshape(-1, 3)
    me = m.expand(full + (3,)).reshape(-1, 3)
    ce = c.expand(full + (3, 3)).reshape(-1, 3, 3)
    loop = torch.stack([mvnorm.normal_probability(upper=xe[k], loc=me[k], covariance_matrix=ce[k])
                        for k in range(xe.shape[0])])
    assert torch.equal(p.reshape(-1), loop)


def test_batch_equals_loop_qmc():
    c = spd(6, seed=4)
    x = randn(3, 6, seed=5).add(0.5)
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c, seed=7)
    loop = torch.stack([mvnorm.normal_probability(upper=x[k], covariance_matrix=c, seed=7)
                        for k in range(3)])
    assert torch.equal(p, loop)


def test_seed_reproducible_and_effective():
    c = spd(6, seed=6)
    x = randn(6, seed=7).add(0.5)
    kw = dict(upper=x, covariance_matrix=c, return_error=True)
    p1, e1 = mvnorm.normal_probability(seed=1, **kw)
    p2, _ = mvnorm.normal_probability(seed=1, **kw)
    p3, e3 = mvnorm.normal_probability(seed=2, **kw)
    assert torch.equal(p1, p2)
    assert p1.item() != p3.item()
    assert abs(p1.item() - p3.item()) < 3 * (e1.item() + e3.item())
    mvnorm.integration.seed = 1
    assert torch.equal(mvnorm.normal_probability(upper=x, covariance_matrix=c), p1)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_round_trip(dtype):
    c = spd(3, seed=8).to(dtype).requires_grad_()
    x = randn(2, 3, seed=9).to(dtype).requires_grad_()
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    assert p.dtype == dtype and p.device == x.device
    gx, gc = torch.autograd.grad(p.sum(), (x, c))
    assert gx.dtype == dtype and gc.dtype == dtype
    ref = mvnorm.normal_probability(upper=x.detach().double(), covariance_matrix=c.detach().double())
    tol = 1e-6 if dtype == torch.float32 else 1e-15
    assert torch.allclose(p.double(), ref, atol=tol, rtol=0)


def test_mixed_dtypes_promote_and_integers():
    x = torch.tensor([0, 1], dtype=torch.int64)
    p = mvnorm.normal_probability(upper=x)
    assert p.dtype == torch.get_default_dtype()
    p = mvnorm.normal_probability(upper=x.float(), covariance_matrix=torch.eye(2, dtype=F64))
    assert p.dtype == F64


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_round_trip():
    x = randn(4, 3, seed=10).cuda().requires_grad_()
    c = spd(3, seed=11).cuda()
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    assert p.device == x.device
    (g,) = torch.autograd.grad(p.sum(), (x,))
    assert g.device == x.device


def test_identity_default_and_limits():
    d = 4
    x = torch.tensor([0.1, -0.3, 0.7, 1.2], dtype=F64)
    ref = torch.special.ndtr(x).prod()
    assert abs(mvnorm.normal_probability(upper=x).item() - ref.item()) < 1e-15
    assert abs(mvnorm.multivariate_normal_cdf(x).item() - ref.item()) < 1e-15
    # Open rectangles: +inf upper is the whole line, lower=None is -inf.
    inf = math.inf
    p = mvnorm.normal_probability(lower=torch.tensor([-inf, 0.0], dtype=F64),
                                  upper=torch.tensor([inf, inf], dtype=F64))
    assert abs(p.item() - 0.5) < 1e-15
    p = mvnorm.normal_probability(lower=torch.zeros(d, dtype=F64))
    assert abs(p.item() - 0.5 ** d) < 1e-15


def test_return_error_and_log():
    c = spd(5, seed=12)
    x = randn(5, seed=13)
    p, err = mvnorm.normal_probability(upper=x, covariance_matrix=c, return_error=True)
    assert 0 <= err.item() < 1e-5
    lp, lerr = mvnorm.log_normal_probability(upper=x, covariance_matrix=c, return_error=True,
                                             releps=1e-5)
    assert abs(lp.item() - math.log(p.item())) < 3e-5
    assert 0 <= lerr.item() < 3e-5


def test_log_probability_far_tail_underflow():
    # P(X < -40) in d = 2 independent: log P = 2 log Phi(-40), P underflows.
    x = torch.full((2,), -40.0, dtype=F64)
    lp = mvnorm.log_normal_probability(upper=x)
    ref = 2 * torch.special.log_ndtr(torch.tensor(-40.0, dtype=F64)).item()
    assert abs(lp.item() / ref - 1) < 1e-13
    c = torch.tensor([[1.0, 0.5], [0.5, 1.0]], dtype=F64)
    lp = mvnorm.log_normal_probability(upper=x, covariance_matrix=c)
    assert math.isfinite(lp.item()) and lp.item() < -800


def test_log_probability_error_where_p_underflows():
    # Tridiagonal -1/2 orthant, d = 200: P = 1/201! underflows a double; the
    # error estimate of log P must still be an ordinary number covering the
    # true error (exact log P = -lgamma(202)).
    d = 200
    c = torch.eye(d, dtype=F64)
    idx = torch.arange(d - 1)
    c[idx, idx + 1] = c[idx + 1, idx] = -0.5
    lp, lerr = mvnorm.log_normal_probability(lower=torch.zeros(d, dtype=F64),
                                             covariance_matrix=c, return_error=True,
                                             releps=1e-2)
    exact = -math.lgamma(d + 2)
    assert 0 < lerr.item() <= 1e-2
    assert abs(lp.item() - exact) <= lerr.item()


def test_multivariate_normal_distribution():
    d = 3
    loc = randn(d, seed=14).mul(0.3).requires_grad_()
    c = spd(d, seed=15).requires_grad_()
    dist = mvnorm.MultivariateNormal(loc, covariance_matrix=c)
    assert isinstance(dist, torch.distributions.MultivariateNormal)
    x = randn(4, d, seed=16)
    p = dist.cdf(x)
    ref = mvnorm.normal_probability(upper=x, loc=loc, covariance_matrix=c)
    assert p.shape == (4,)
    assert torch.allclose(p, ref, atol=1e-14)
    assert torch.allclose(dist.log_cdf(x), ref.log(), atol=1e-12)
    a = x - 1.0
    pr = dist.probability(a, x)
    assert torch.allclose(pr, mvnorm.normal_probability(lower=a, upper=x, loc=loc,
                                                        covariance_matrix=c), atol=1e-14)
    assert torch.equal(dist.prob_rectangle(a, x), pr)
    gl, gc = torch.autograd.grad(p.sum(), (loc, c))
    gl2, gc2 = torch.autograd.grad(ref.sum(), (loc, c))
    assert torch.allclose(gl, gl2, atol=1e-13) and torch.allclose(gc, gc2, atol=1e-12)
    # Batched distributions and expand keep the subclass.
    batched = mvnorm.MultivariateNormal(torch.zeros(2, d, dtype=F64), scale_tril=torch.eye(d, dtype=F64))
    assert batched.cdf(torch.zeros(d, dtype=F64)).shape == (2,)
    assert isinstance(batched.expand((5, 2)), mvnorm.MultivariateNormal)
    assert torch.allclose(batched.cdf(torch.zeros(d, dtype=F64)), torch.full((2,), 0.125, dtype=F64))


def test_settings_object():
    s = mvnorm.integration
    assert (s.abseps, s.releps) == (1e-6, 1e-6)
    s.maxpts = 5000
    s.abseps = 1e-12
    s.releps = 0.0
    s.n_jobs = 1
    c = spd(8, seed=17)
    with pytest.warns(mvnorm.ToleranceWarning):
        mvnorm.multivariate_normal_cdf(randn(8, seed=18), 0.0, c)
    with pytest.raises(AttributeError, match="relesp"):
        s.relesp = 1e-3
    s.maxpts = 10  # below the library's minimum (1000)
    with pytest.raises(ValueError):
        mvnorm.multivariate_normal_cdf(randn(8, seed=18), 0.0, c)


def test_tolerance_warning_once_per_call():
    c = spd(7, seed=19)
    x = randn(5, 7, seed=20)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        mvnorm.normal_probability(upper=x, covariance_matrix=c, maxpts=1000, abseps=1e-12, releps=0)
    tol = [w for w in rec if issubclass(w.category, mvnorm.ToleranceWarning)]
    assert len(tol) == 1 and "5 of 5" in str(tol[0].message)


@pytest.mark.parametrize("kwargs,match", [
    (dict(upper=torch.tensor([0.0, float("nan")], dtype=F64),
          covariance_matrix=torch.tensor([[1.0, 0.3], [0.3, 1.0]], dtype=F64)), "(?i)nan"),
    (dict(upper=torch.zeros(2, dtype=F64),
          covariance_matrix=torch.tensor([[1.0, 2.0], [2.0, 1.0]], dtype=F64)), "(?i)definite|pivot"),
    (dict(upper=torch.zeros(2, dtype=F64),
          covariance_matrix=torch.tensor([[1.0, 0.3], [0.2, 1.0]], dtype=F64)), "(?i)symmetric"),
    (dict(lower=torch.ones(2, dtype=F64), upper=torch.zeros(2, dtype=F64)), "(?i)lower"),
    (dict(upper=torch.zeros(3, dtype=F64), covariance_matrix=torch.eye(2, dtype=F64)), "shape mismatch"),
    (dict(upper=torch.zeros(4, 2, dtype=F64), covariance_matrix=torch.eye(2, dtype=F64).expand(3, 2, 2)),
     "do not broadcast"),
    (dict(upper=torch.zeros(2), covariance_matrix=torch.eye(2), scale_tril=torch.eye(2)), "not both"),
])
def test_bad_inputs_raise_value_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        mvnorm.normal_probability(**kwargs)


def test_bad_inputs_dropin():
    c = torch.tensor([[1.0, 0.5], [0.5, 1.0]])
    with pytest.raises(ValueError, match="(?i)nan"):
        mvnorm.multivariate_normal_cdf(torch.tensor([0.0, float("nan")]), 0.0, c)
    with pytest.raises(ValueError, match="(?i)nan"):
        mvnorm.multivariate_normal_cdf(torch.tensor([0.0, float("nan")]))
    with pytest.raises(ValueError, match="(?i)definite|pivot"):
        mvnorm.multivariate_normal_cdf(torch.zeros(2), 0.0, torch.tensor([[1.0, 3.0], [3.0, 1.0]]))


def test_dropin_matches_new_api_and_diagonal_tolerance():
    c = torch.tensor([[1.0, 1e-9, 0.0], [1e-9, 2.0, 0.0], [0.0, 0.0, 0.5]], dtype=F64)
    x = randn(3, seed=21)
    exact = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    fast = mvnorm.multivariate_normal_cdf(x, 0.0, c, diagonality_tolerance=1e-8)
    assert abs(exact.item() - fast.item()) < 1e-15
    assert abs(mvnorm.multivariate_normal_cdf(x, 0.0, c).item() - exact.item()) < 1e-15


def test_examples_run():
    env = dict(os.environ, PYTHONPATH=PKG_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ex = os.path.join(PKG_ROOT, "examples")
    r = subprocess.run([sys.executable, os.path.join(ex, "torch_mvnorm_dropin.py"),
                        "--dims", "5", "--repeat", "1"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "dPdx == -dPdm: True" in r.stdout and "d =  5:" in r.stdout
    r = subprocess.run([sys.executable, os.path.join(ex, "expected_improvement.py"),
                        "--batch", "4", "--steps", "2"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "qPI =" in r.stdout
