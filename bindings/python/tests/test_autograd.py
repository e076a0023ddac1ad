# Gradients: gradcheck on exact kernels, finite differences through QMC, second derivatives and their errors.
# SPDX-License-Identifier: GPL-3.0-or-later
import math

import pytest
import torch
from torch.autograd import grad, gradcheck, gradgradcheck

import mvnorm
from conftest import F64, spd, randn

SIGMA_MSG = "second derivatives with respect to the covariance are not supported"


def sym(c):
    # gradcheck perturbs one entry at a time; the library requires symmetry.
    return 0.5 * (c + c.transpose(-1, -2))


@pytest.mark.parametrize("d", [2, 3])
def test_gradcheck_cdf_all_arguments(d):
    # d <= 3: exact kernels, so finite differences at eps = 1e-6 are clean.
    x = randn(2, d, seed=d).requires_grad_()
    m = randn(d, seed=10 + d).mul(0.3).requires_grad_()
    c = spd(d, seed=d).requires_grad_()
    f = lambda x, m, c: mvnorm.normal_probability(upper=x, loc=m, covariance_matrix=sym(c))
    assert gradcheck(f, (x, m, c), atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("d", [2, 3])
def test_gradcheck_rectangle_and_scale_tril(d):
    a = randn(d, seed=1).sub(1.0).requires_grad_()
    b = randn(d, seed=2).abs().add(0.2).requires_grad_()
    l = torch.linalg.cholesky(spd(d, seed=3)).requires_grad_()
    f = lambda a, b, l: mvnorm.normal_probability(lower=a, upper=b, scale_tril=torch.tril(l))
    assert gradcheck(f, (a, b, l), atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("d", [2, 3])
def test_gradgradcheck_value_and_loc(d):
    c = spd(d, seed=4)
    x = randn(d, seed=5).requires_grad_()
    m = randn(d, seed=6).mul(0.2).requires_grad_()
    f = lambda x, m: mvnorm.normal_probability(upper=x, loc=m, covariance_matrix=c)
    assert gradgradcheck(f, (x, m), atol=1e-7, rtol=1e-5)
    # Upper-orthant (lower limits) and one-sided-per-coordinate problems too.
    g = lambda a: mvnorm.normal_probability(lower=a, covariance_matrix=c)
    assert gradgradcheck(g, (x,), atol=1e-7, rtol=1e-5)
    inf = torch.tensor([math.inf], dtype=F64)
    h = lambda a, b: mvnorm.normal_probability(lower=torch.cat([a[:1], -inf.expand(d - 1)]),
                                               upper=torch.cat([inf, b[1:]]),
                                               covariance_matrix=c)
    assert gradgradcheck(h, (x, m), atol=1e-7, rtol=1e-5)


def test_hessian_matches_heat_equation():
    # dP/dSigma_ij = (1/2) d2P/dx_i dx_j off the diagonal and
    # dP/dSigma_ii = (1/2) d2P/dx_i^2 on it (heat equation), with G = H/2.
    d = 3
    c = spd(d, seed=7).requires_grad_()
    x = randn(d, seed=8)
    hess = torch.autograd.functional.hessian(
        lambda x: mvnorm.normal_probability(upper=x, covariance_matrix=c.detach()), x)
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    (gc,) = grad(p, (c,))
    assert torch.allclose(gc, 0.5 * hess, atol=1e-10, rtol=1e-8)
    # The Hessian in loc of a CDF equals the Hessian in x.
    hm = torch.autograd.functional.hessian(
        lambda m: mvnorm.normal_probability(upper=x, loc=m, covariance_matrix=c.detach()),
        torch.zeros(d, dtype=F64))
    assert torch.allclose(hm, hess, atol=1e-12)


def test_second_derivative_covariance_raises():
    d = 2
    c = spd(d, seed=9).requires_grad_()
    x = randn(d, seed=10).requires_grad_()
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    (gc,) = grad(p, (c,), create_graph=True)
    with pytest.raises(RuntimeError, match=SIGMA_MSG):
        grad(gc.sum(), (x,))
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    (gx,) = grad(p, (x,), create_graph=True)
    with pytest.raises(RuntimeError, match=SIGMA_MSG):
        grad(gx.sum(), (c,))
    # ... but a covariance that merely requires grad does not block d2P/dx2.
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    (gx,) = grad(p, (x,), create_graph=True)
    (hx,) = grad(gx[0], (x,))
    assert torch.isfinite(hx).all() and hx.abs().sum() > 0


def test_second_derivative_two_sided_raises():
    c = spd(2, seed=11)
    a = torch.tensor([-1.0, -0.5], dtype=F64, requires_grad=True)
    b = torch.tensor([0.5, 1.0], dtype=F64, requires_grad=True)
    p = mvnorm.normal_probability(lower=a, upper=b, covariance_matrix=c)
    (gb,) = grad(p, (b,), create_graph=True)
    with pytest.raises(RuntimeError, match="at most one finite limit"):
        grad(gb.sum(), (b,))


def test_third_derivative_raises():
    c = spd(2, seed=12)
    x = randn(2, seed=13).requires_grad_()
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    (g,) = grad(p, (x,), create_graph=True)
    (h,) = grad(g[0], (x,), create_graph=True)
    with pytest.raises(RuntimeError, match="third"):
        grad(h[1], (x,))


@pytest.mark.parametrize("d", [4, 5])
def test_qmc_gradient_against_finite_differences(d):
    # d >= 4 runs randomized lattice QMC.  With a fixed seed the estimate is
    # a smooth function of the inputs, so central differences with h = 1e-3
    # measure the derivative to about the integration error / h.
    kw = dict(abseps=1e-6, releps=0, seed=3)
    c = spd(d, seed=20 + d).requires_grad_()
    x = randn(d, seed=30 + d).requires_grad_()
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c, **kw)
    gx, gc = grad(p, (x, c))
    assert torch.allclose(gc, gc.T)
    h = 1e-3
    f = lambda x, c: mvnorm.normal_probability(upper=x, covariance_matrix=c, **kw).item()
    u = randn(d, seed=40 + d)
    e = randn(d, d, seed=50 + d)
    e = sym(e)
    x0, c0 = x.detach(), c.detach()
    fd_x = (f(x0 + h * u, c0) - f(x0 - h * u, c0)) / (2 * h)
    fd_c = (f(x0, c0 + h * e) - f(x0, c0 - h * e)) / (2 * h)
    assert abs(fd_x - (gx * u).sum().item()) < 2e-5
    assert abs(fd_c - (gc * e).sum().item()) < 2e-5


def test_log_probability_gradient():
    d = 3
    c = spd(d, seed=14)
    x = randn(d, seed=15).sub(2.0).requires_grad_()
    f = lambda x: mvnorm.log_normal_probability(upper=x, covariance_matrix=c)
    assert gradcheck(f, (x,), atol=1e-8, rtol=1e-6)
    assert gradgradcheck(f, (x,), atol=1e-7, rtol=1e-5)
    p = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    (gp,) = grad(p, (x,))
    (gl,) = grad(f(x), (x,))
    assert torch.allclose(gl, gp / p.detach(), rtol=1e-12)


def test_dropin_example_gradients():
    # The Torch-MvNorm example, unchanged (float32 tensors).
    from torch.autograd import grad as tgrad
    from mvnorm import multivariate_normal_cdf as Phi
    torch.manual_seed(0)
    d = 3
    x = torch.randn(d); m = torch.zeros(d)
    Croot = torch.randn(d, d); C = Croot.mm(Croot.t()) + torch.diag(torch.ones(d))
    x.requires_grad = True; m.requires_grad = True; C.requires_grad = True
    P = Phi(x, m, C)
    dPdx, dPdm, dPdC = tgrad(P, (x, m, C))
    assert P.dtype == torch.float32 and P.shape == ()
    assert dPdx.dtype == torch.float32 and dPdC.shape == (d, d)
    assert torch.equal(dPdx, -dPdm)
    ref = mvnorm.normal_probability(upper=x.detach().double(), covariance_matrix=C.detach().double())
    assert abs(P.item() - ref.item()) < 1e-6
    assert torch.allclose(dPdC, dPdC.T)


def test_broadcast_gradients_sum_back():
    # One x per batch item against a single covariance and a scalar loc:
    # gradients come back in the original shapes, summed over the batch.
    c = spd(3, seed=16).requires_grad_()
    x = randn(4, 3, seed=17).requires_grad_()
    m = torch.tensor(0.1, dtype=F64, requires_grad=True)
    p = mvnorm.normal_probability(upper=x, loc=m, covariance_matrix=c)
    assert p.shape == (4,)
    gx, gm, gc = grad(p.sum(), (x, m, c))
    assert gx.shape == x.shape and gm.shape == () and gc.shape == c.shape
    gc_loop = sum(grad(mvnorm.normal_probability(upper=x[k], loc=m, covariance_matrix=c), (c,))[0]
                  for k in range(4))
    assert torch.allclose(gc, gc_loop, atol=1e-15, rtol=1e-12)
    assert abs(gm.item() + gx.sum().item()) < 1e-14


def test_diagonal_shortcut_gradient_is_exact():
    # The torch-side diagonal shortcut must report the true dP/dSigma_ij
    # (= H_ij / 2), not 0, for off-diagonal entries.
    var = torch.tensor([0.7, 1.3, 2.0], dtype=F64)
    c = torch.diag(var).requires_grad_()
    x = torch.tensor([0.3, -0.2, 1.1], dtype=F64, requires_grad=True)
    p = mvnorm.multivariate_normal_cdf(x, 0.0, c)
    gx, gc = grad(p, (x, c))
    p2 = mvnorm.normal_probability(upper=x, covariance_matrix=c)
    gx2, gc2 = grad(p2, (x, c))
    assert abs(p.item() - p2.item()) < 1e-15
    assert torch.allclose(gx, gx2, atol=1e-14)
    assert torch.allclose(gc, gc2, atol=1e-13)


def test_log_probability_gradient_where_p_underflows():
    # P ~ 1e-1000: dP underflows, but the library computes d log P in log
    # space (mvn_logprob_grad_batch), so the gradient is finite.
    # Diagonal covariance: log P = sum log Phi(x_i / s_i), so the exact
    # gradient is phi(z) / (s Phi(z)), from torch's log_ndtr in float64.
    var = torch.tensor([1.0, 4.0, 0.25], dtype=F64)
    z = torch.tensor([-40.0, -38.0, -42.0], dtype=F64)
    x = (z * var.sqrt()).requires_grad_()
    c = torch.diag(var)
    lp = mvnorm.log_normal_probability(upper=x, covariance_matrix=c)
    (gl,) = grad(lp, (x,))
    exact = torch.exp(-0.5 * z * z - 0.5 * math.log(2 * math.pi)
                      - torch.special.log_ndtr(z)) / var.sqrt()
    assert mvnorm.normal_probability(upper=x.detach(), covariance_matrix=c).item() == 0.0
    assert torch.isfinite(gl).all()
    assert torch.allclose(gl, exact, rtol=1e-10, atol=0)
    # Correlated, d = 3 (exact kernels, log P accurate): central differences
    # of log P itself.
    c = torch.tensor([[1.0, 0.5, 0.3], [0.5, 1.0, 0.4], [0.3, 0.4, 1.0]], dtype=F64)
    x = torch.tensor([-40.0, -41.0, -39.5], dtype=F64, requires_grad=True)
    f = lambda x: mvnorm.log_normal_probability(upper=x, covariance_matrix=c)
    (gl,) = grad(f(x), (x,))
    h = 1e-4
    for i in range(3):
        e = torch.zeros(3, dtype=F64)
        e[i] = h
        fd = (f(x.detach() + e) - f(x.detach() - e)).item() / (2 * h)
        assert abs(gl[i].item() - fd) < 1e-5 * max(1.0, abs(fd))
    assert gl.min().item() > 1.0  # a real tail gradient, not zeros
