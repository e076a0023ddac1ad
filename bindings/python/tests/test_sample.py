# Tests of mvnorm.sample_truncated (exact sampling from the truncated normal).
# SPDX-License-Identifier: GPL-3.0-or-later
"""References are closed forms (the moments of the univariate truncated
normal) and the library's own bivariate probabilities for a marginal cdf;
tolerances are 5 standard errors of the sample statistic."""

import math
import warnings

import numpy as np
import pytest

import mvnorm
import mvnorm.numpy as mvn

R = np.array([[1.0, 0.5], [0.5, 1.0]])


def test_shape_box_and_univariate_moments():
    # N(1, 4) given 0 < X < 3: a = -0.5, b = 1 in standard units.
    n = 100000
    x, rate = mvnorm.sample_truncated(0.0, 3.0, 1.0, [[4.0]], n, seed=3,
                                      return_accept_rate=True)
    assert x.shape == (n, 1) and x.dtype == np.float64
    assert rate == 1.0
    assert x.min() >= 0.0 and x.max() <= 3.0
    a, b = -0.5, 1.0
    phi = lambda t: math.exp(-t * t / 2) / math.sqrt(2 * math.pi)
    Phi = lambda t: 0.5 * math.erfc(-t / math.sqrt(2))
    z = Phi(b) - Phi(a)
    m1 = (phi(a) - phi(b)) / z
    var = 1 + (a * phi(a) - b * phi(b)) / z - m1 * m1
    mean, sd = 1 + 2 * m1, 2 * math.sqrt(var)
    assert abs(x.mean() - mean) <= 5 * sd / math.sqrt(n)
    # The variance of the sample variance: (mu4 - sigma^4) / n <= 2 sigma^4 / n
    # for a distribution no heavier-tailed than the normal.
    assert abs(x.var() - sd * sd) <= 5 * math.sqrt(2.0 / n) * sd * sd


def test_bivariate_marginal_ks_against_library_cdf():
    lo, hi = np.array([0.5, -1.0]), np.array([2.0, np.inf])
    n, low = 1000, 0
    den = mvn.normal_probability(lower=lo, upper=hi, covariance_matrix=R)
    for seed in range(10):
        x = mvnorm.sample_truncated(lo, hi, None, R, n, seed=seed)
        assert (x >= lo).all() and (x <= hi).all()
        t = np.sort(x[:, 0])
        u = np.stack([np.minimum(t, hi[0]), np.full(n, np.inf)], axis=-1)
        F = mvn.normal_probability(lower=lo, upper=u, covariance_matrix=R) / den
        i = np.arange(n)
        D = max((F - i / n).max(), ((i + 1) / n - F).max())
        lam = (math.sqrt(n) + 0.12 + 0.11 / math.sqrt(n)) * D
        p = sum(2 * (-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
        low += p < 0.01
    # P(more than 2 of 10 below 0.01) = 1.1e-4 under the right law.
    assert low <= 2


def test_reproducible_and_thread_independent():
    lo = np.full(4, 1.0)
    cov = np.full((4, 4), 0.3) + 0.7 * np.eye(4)
    a = mvnorm.sample_truncated(lo, None, None, cov, 500, seed=9)
    b = mvnorm.sample_truncated(lo, None, None, cov, 500, seed=9, n_jobs=2)
    c = mvnorm.sample_truncated(lo, None, None, cov, 100, seed=9)
    d = mvnorm.sample_truncated(lo, None, None, cov, 500, seed=10)
    assert np.array_equal(a, b) and np.array_equal(a[:100], c)
    assert not np.array_equal(a, d)


def test_deep_tail():
    # d = 10, equicorrelated 0.5, all X_i > 6: P = 8.5e-20.
    d = 10
    cov = np.full((d, d), 0.5) + 0.5 * np.eye(d)
    x, rate = mvnorm.sample_truncated(np.full(d, 6.0), None, None, cov, 2000, seed=1,
                                      return_accept_rate=True)
    assert (x >= 6.0).all() and rate > 0.05


def test_torch_in_torch_out():
    torch = pytest.importorskip("torch")
    x = mvnorm.sample_truncated(torch.zeros(2), None, None, torch.tensor(R), 10, seed=1)
    assert isinstance(x, torch.Tensor) and x.shape == (10, 2)
    assert torch.equal(x, torch.from_numpy(
        mvnorm.sample_truncated(np.zeros(2), None, None, R, 10, seed=1)))


@pytest.mark.parametrize("kw, exc, words", [
    (dict(lower=[np.nan, 0]), ValueError, "NaN"),
    (dict(lower=[1, 0], upper=[1, 2]), ValueError, "empty"),
    (dict(lower=[1, 0], upper=[0, 2]), ValueError, "exceeds"),
    (dict(cov=[[1, 2], [2, 1]]), ValueError, "semidefinite"),
    (dict(cov=[[1, 1], [1, 1]]), RuntimeError, "singular"),
    (dict(n=0), ValueError, "positive"),
    (dict(cov=[1, 2]), ValueError, "shape"),
])
def test_bad_input(kw, exc, words):
    args = dict(lower=[0, 0], upper=None, mean=None, cov=R, n=5)
    args.update(kw)
    with pytest.raises(exc, match=words):
        mvnorm.sample_truncated(args["lower"], args["upper"], args["mean"], args["cov"],
                                args["n"], seed=1)
