# Agreement with exact references (closed forms, exact families) and with SciPy.
# SPDX-License-Identifier: GPL-3.0-or-later
import math
import warnings

import pytest
import torch

import mvnorm
from conftest import F64, spd, randn


def equicorrelated(d, rho):
    return (1 - rho) * torch.eye(d, dtype=F64) + rho * torch.ones(d, d, dtype=F64)


def test_bivariate_orthant_closed_form_batched():
    # P(X1 < 0, X2 < 0) = 1/4 + asin(rho) / (2 pi) (Sheppard); one batched call.
    rhos = torch.tensor([-0.99, -0.7, -0.3, 0.0, 0.2, 0.5, 0.9, 0.999], dtype=F64)
    cov = torch.eye(2, dtype=F64).repeat(len(rhos), 1, 1)
    cov[:, 0, 1] = rhos
    cov[:, 1, 0] = rhos
    p = mvnorm.normal_probability(upper=torch.zeros(2, dtype=F64), covariance_matrix=cov)
    ref = 0.25 + torch.asin(rhos) / (2 * math.pi)
    assert p.shape == rhos.shape
    assert torch.allclose(p, ref, rtol=0, atol=1e-14)


@pytest.mark.parametrize("d", [2, 3, 4, 5, 6])
def test_equicorrelated_orthant(d):
    # rho = 1/2: P(X < 0) = 1/(d+1) (exchangeable: the maximum of d+1 iid normals).
    p, err = mvnorm.normal_probability(upper=torch.zeros(d, dtype=F64),
                                       covariance_matrix=equicorrelated(d, 0.5),
                                       return_error=True, abseps=1e-6, releps=0)
    ref = 1.0 / (d + 1)
    if d <= 3:
        # Exact kernels (Genz 2004 bivariate / trivariate), error <= 5e-14.
        assert abs(p.item() - ref) < 1e-13
    else:
        assert err.item() <= 1e-6
        assert abs(p.item() - ref) < max(3 * err.item(), 1e-7)


def test_log_probability_tiny_tail_tridiagonal():
    # Tridiagonal correlation rho_{i,i+1} = -1/2, d = 10: P(X > 0) = 1/11!,
    # log P = -17.502307845873887 (shared/REFERENCE_VALUES.md).
    d = 10
    c = torch.eye(d, dtype=F64)
    idx = torch.arange(d - 1)
    c[idx, idx + 1] = -0.5
    c[idx + 1, idx] = -0.5
    ref = -17.502307845873887
    # Plain QMC needs many points for a relative 1e-3 here; a small budget
    # keeps the test fast, and the check uses the returned error estimate.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mvnorm.ToleranceWarning)
        logp, lerr = mvnorm.log_normal_probability(lower=torch.zeros(d, dtype=F64),
                                                   covariance_matrix=c, releps=1e-3,
                                                   maxpts=1000000, return_error=True)
        p = mvnorm.normal_probability(lower=torch.zeros(d, dtype=F64), covariance_matrix=c,
                                      abseps=0, releps=1e-3, maxpts=1000000)
    assert lerr.item() < 0.05
    assert abs(logp.item() - ref) <= max(3 * lerr.item(), 1e-6)
    assert abs(logp.item() - ref) <= 1e-3 * abs(ref)
    # The same number through P: 1/11! = 2.505210838544172e-8.
    assert abs(p.item() * math.factorial(11) - 1) < 3 * lerr.item()


def test_diagonal_is_product_of_univariates():
    x = randn(4, 3, seed=1)
    var = torch.tensor([0.5, 2.0, 1.5], dtype=F64)
    p = mvnorm.normal_probability(upper=x, covariance_matrix=torch.diag(var))
    ref = torch.special.ndtr(x / var.sqrt()).prod(-1)
    assert torch.allclose(p, ref, rtol=1e-13, atol=0)


@pytest.mark.parametrize("d", [3, 4, 5])
def test_agrees_with_scipy(d):
    stats = pytest.importorskip("scipy.stats")
    cov = spd(d, seed=d)
    mean = randn(d, seed=10 + d)
    xs = randn(3, d, seed=20 + d) + 0.5
    ours = mvnorm.normal_probability(upper=xs, loc=mean, covariance_matrix=cov,
                                     abseps=1e-6, releps=0)
    for k in range(xs.shape[0]):
        ref = stats.multivariate_normal.cdf(xs[k].numpy(), mean=mean.numpy(), cov=cov.numpy(),
                                            abseps=1e-6, releps=0)
        # SciPy 1.10 runs Genz's Fortran MVNDST: both sides are within ~1e-6.
        assert abs(ours[k].item() - ref) < 1e-5


def test_rectangle_inclusion_exclusion():
    # P(a < X < b) in d = 2 from four CDF values.
    cov = spd(2, seed=3)
    a = torch.tensor([-0.4, -1.0], dtype=F64)
    b = torch.tensor([0.8, 0.3], dtype=F64)
    cdf = lambda u: mvnorm.normal_probability(upper=u, covariance_matrix=cov)
    ref = (cdf(b) - cdf(torch.stack([a[0], b[1]])) - cdf(torch.stack([b[0], a[1]])) + cdf(a))
    p = mvnorm.normal_probability(lower=a, upper=b, covariance_matrix=cov)
    assert abs(p.item() - ref.item()) < 1e-14


def test_scale_tril_equals_covariance():
    cov = spd(4, batch=(2,), seed=5)
    x = randn(2, 4, seed=6)
    l = torch.linalg.cholesky(cov)
    kw = dict(abseps=1e-7, releps=0, seed=11)
    p1 = mvnorm.normal_probability(upper=x, covariance_matrix=cov, **kw)
    p2 = mvnorm.normal_probability(upper=x, scale_tril=l, **kw)
    assert torch.allclose(p1, p2, rtol=0, atol=1e-7)
