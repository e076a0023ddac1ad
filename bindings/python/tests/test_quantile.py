# Equicoordinate quantiles through mvnorm.numpy (issue 16).
# SPDX-License-Identifier: GPL-3.0-or-later
import math
import warnings

import numpy as np
import pytest

import mvnorm.numpy as mvn
from mvnorm import ToleranceWarning


def _phi_inv(p):
    # Bisection on erfc: an independent inverse for the closed forms.
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if 0.5 * math.erfc(-mid / math.sqrt(2)) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@pytest.mark.parametrize("d", [1, 2, 5])
@pytest.mark.parametrize("tail", ["lower", "upper", "both"])
def test_independent_closed_form(d, tail):
    root = 0.9 ** (1.0 / d)
    want = {"lower": _phi_inv(root), "upper": -_phi_inv(root),
            "both": _phi_inv(0.5 + 0.5 * root)}[tail]
    r = mvn.equicoordinate_quantile(0.9, covariance_matrix=np.eye(d), tail=tail)
    assert r.status == 0
    assert abs(r.quantile - want) <= 1e-9
    assert abs(r.probability - 0.9) <= 1e-8
    assert 0 <= r.error < 1e-6


def test_mvtnorm_documented_example():
    # qmvnorm(0.95, sigma = diag(2), tail = "both") = 2.236477
    r = mvn.equicoordinate_quantile(0.95, covariance_matrix=np.eye(2), tail="both.tails")
    assert abs(r.quantile - 2.236477) < 5e-7


def test_round_trip_with_mean():
    S = np.array([[4, 3, 2, 1], [3, 5, -1, 1], [2, -1, 4, 2], [1, 1, 2, 5]], float)
    mu = np.array([0.5, -1, 2, 0])
    r = mvn.equicoordinate_quantile(0.8, loc=mu, covariance_matrix=S, tail="both",
                                    abseps=1e-5)
    assert r.status == 0
    p, e = mvn.normal_probability(lower=-r.quantile, upper=r.quantile, loc=mu,
                                  covariance_matrix=S, return_error=True, seed=3, abseps=1e-5)
    assert abs(p - 0.8) <= 1e-5 + 3 * e + r.probability_error


def test_upper_is_minus_lower_of_negated_mean():
    S = np.array([[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]])
    m = np.array([0.3, -0.2, 1.0])
    qu = mvn.equicoordinate_quantile(0.25, loc=m, covariance_matrix=S, tail="upper").quantile
    ql = mvn.equicoordinate_quantile(0.25, loc=-m, covariance_matrix=S, tail="lower").quantile
    assert qu == -ql


def test_bad_input():
    with pytest.raises(ValueError, match="tail"):
        mvn.equicoordinate_quantile(0.5, covariance_matrix=np.eye(2), tail="left")
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        mvn.equicoordinate_quantile(1.0, covariance_matrix=np.eye(2))
    with pytest.raises(ValueError, match="positive semidefinite"):
        mvn.equicoordinate_quantile(0.5, covariance_matrix=[[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="shape"):
        mvn.equicoordinate_quantile(0.5, covariance_matrix=np.ones(3))


def test_missed_tolerance_warns():
    # A zero variance makes P jump across p: MVN_ETOL, a warning, q at the jump.
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        r = mvn.equicoordinate_quantile(0.5, loc=[0, 0.5], covariance_matrix=[[1, 0], [0, 0]])
    assert r.status == 1 and abs(r.quantile - 0.5) < 1e-12
    assert any(issubclass(x.category, ToleranceWarning) for x in w)


# The multivariate t (mvtnorm's qmvt): R's qt for d = 1 (central,
# noncentral, all tails), the location shift, and round trips through
# t_probability at d = 2 and 3 (exact kernels).
@pytest.mark.parametrize("df,p,tail,nc,want", [
    (5.0, 0.95, "lower", None, 2.0150483733330224),
    (5.0, 0.95, "upper", None, -2.0150483733330224),
    (5.0, 0.95, "both", None, 2.5705818356363137),
    (4.0, 0.8, "lower", 1.5, 2.856452676834337),
])
def test_t_univariate(df, p, tail, nc, want):
    r = mvn.t_equicoordinate_quantile(p, df=df, shape=[[1.0]], tail=tail, noncentrality=nc)
    assert r.status == 0
    assert abs(r.quantile - want) < 1e-9
    shifted = mvn.t_equicoordinate_quantile(p, df=df, loc=2.0, shape=[[1.0]], tail=tail,
                                            noncentrality=nc)
    if tail != "both":
        assert abs(shifted.quantile - r.quantile - 2.0) < 1e-9


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("tail", ["lower", "upper", "both"])
def test_t_round_trip(d, tail):
    shape = np.full((d, d), 0.4) + 0.6 * np.eye(d)
    loc = np.linspace(-0.3, 0.4, d)
    r = mvn.t_equicoordinate_quantile(0.85, df=7.5, loc=loc, shape=shape, tail=tail)
    q = r.quantile
    lo = {"lower": None, "upper": np.full(d, q), "both": np.full(d, -q)}[tail]
    up = {"lower": np.full(d, q), "upper": None, "both": np.full(d, q)}[tail]
    p = mvn.t_probability(lo, up, df=7.5, loc=loc, shape=shape)
    assert abs(p - 0.85) < 1e-9
    assert r.error < 1e-8


def test_t_bad_df():
    with pytest.raises(ValueError, match="degrees of freedom"):
        mvn.t_equicoordinate_quantile(0.5, df=0.001, shape=np.eye(2))
