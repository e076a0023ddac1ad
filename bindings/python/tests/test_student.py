# Multivariate t probabilities through mvnorm.numpy.t_probability (issue 16).
# SPDX-License-Identifier: GPL-3.0-or-later
import math

import numpy as np
import pytest
from scipy import stats

import mvnorm.numpy as mvn


@pytest.mark.parametrize("df", [1.0, 3.0, 4.5, 30.0])
def test_univariate_against_scipy(df):
    for lo, up in [(-np.inf, 0.7), (-np.inf, -2.2), (-0.4, 1.9), (0.3, np.inf)]:
        want = stats.t.cdf(up, df) - stats.t.cdf(lo, df)
        p, e = mvn.t_probability(lo, up, df=df, shape=[[1.0]], return_error=True)
        assert abs(p - want) <= 1e-11 * want + 1e-15
        assert e < 1e-10


def test_loc_is_scipy_shift_and_noncentrality_is_kshirsagar():
    # SciPy: multivariate_t(loc, shape, df) is loc + Y / W.
    p = mvn.t_probability(upper=1.5, df=4, loc=0.5, shape=[[2.0]])
    assert abs(p - stats.t.cdf((1.5 - 0.5) / math.sqrt(2.0), 4)) < 1e-12
    # mvtnorm's default: (Y + delta) / W is SciPy's noncentral t.
    p = mvn.t_probability(upper=1.5, df=4, noncentrality=0.8, shape=[[1.0]])
    assert abs(p - stats.nct.cdf(1.5, 4, 0.8)) < 1e-10


def test_orthants_and_log():
    R = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    for df in (1.0, 2.5, 7.0):
        assert abs(mvn.t_probability(lower=0, df=df, shape=R) - 0.25) < 1e-12
    lp = mvn.t_probability(upper=-1e30, df=3, shape=[[1.0]], log=True)
    assert abs(lp - stats.t.logcdf(-1e30, 3)) < 1e-12 * 207.2


def test_bad_input():
    with pytest.raises(ValueError, match="df"):
        mvn.t_probability(upper=1, df=0, shape=[[1.0]])
    with pytest.raises(ValueError, match="positive semidefinite"):
        mvn.t_probability(upper=[1, 1], df=3, shape=[[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="shape"):
        mvn.t_probability(upper=[1, 1], df=3, shape=np.eye(3))


def test_grad_univariate_is_scipy_density():
    g = mvn.t_probability_grad(lower=-1.0, upper=0.7, df=3, loc=0.2, shape=[[2.0]])
    s = math.sqrt(2.0)
    assert abs(g.upper[0] - stats.t.pdf((0.7 - 0.2) / s, 3) / s) < 1e-14
    assert abs(g.lower[0] + stats.t.pdf((-1.0 - 0.2) / s, 3) / s) < 1e-14
    assert abs(g.loc[0] + g.lower[0] + g.upper[0]) == 0.0
    assert g.status == 0


def test_grad_noncentral_is_scipy_nct_density():
    # (Y + delta) / W with Y ~ N(0, 2): T / sqrt(2) is nct(3, delta / sqrt(2)).
    g = mvn.t_probability_grad(lower=-1.0, upper=0.7, df=3, shape=[[2.0]],
                               noncentrality=0.5)
    s, nc = math.sqrt(2.0), 0.5 / math.sqrt(2.0)
    assert abs(g.upper[0] - stats.nct.pdf(0.7 / s, 3, nc) / s) < 1e-10
    assert abs(g.lower[0] + stats.nct.pdf(-1.0 / s, 3, nc) / s) < 1e-10
    p = mvn.t_probability(lower=-1.0, upper=0.7, df=3, shape=[[2.0]], noncentrality=0.5)
    assert g.probability == p and g.status == 0


def test_grad_matches_central_differences():
    R = np.array([[1.0, 0.4, 0.2], [0.4, 1.5, 0.3], [0.2, 0.3, 2.0]])
    lo, up = np.array([-1.0, -0.5, -2.0]), np.array([0.5, 1.0, 0.3])
    g = mvn.t_probability_grad(lo, up, df=5.5, shape=R)
    h = 1e-4
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        fd_u = (mvn.t_probability(lo, up + e, df=5.5, shape=R)
                - mvn.t_probability(lo, up - e, df=5.5, shape=R)) / (2 * h)
        fd_l = (mvn.t_probability(lo + e, up, df=5.5, shape=R)
                - mvn.t_probability(lo - e, up, df=5.5, shape=R)) / (2 * h)
        assert abs(g.upper[i] - fd_u) < 1e-8
        assert abs(g.lower[i] - fd_l) < 1e-8


def test_grad_shape_matches_central_differences():
    # dP/dshape (symmetric convention) against Richardson differences of the
    # exact d = 2 probabilities (abseps 1e-14), df below and above 2.
    R = np.array([[1.3, 0.6], [0.6, 0.9]])
    lo, up = np.array([-0.7, -1.3]), np.array([1.1, 0.4])
    for df in (1.0, 5.5):
        g = mvn.t_probability_grad(lo, up, df=df, shape=R, abseps=1e-14)
        assert g.shape.shape == (2, 2) and g.shape[0, 1] == g.shape[1, 0]
        for i, j in ((0, 0), (0, 1), (1, 1)):
            D = []
            for h in (2e-3, 1e-3):
                E = np.zeros((2, 2))
                E[i, j] = E[j, i] = h
                dp = (mvn.t_probability(lo, up, df=df, shape=R + E, abseps=1e-14)
                      - mvn.t_probability(lo, up, df=df, shape=R - E, abseps=1e-14))
                D.append(dp / (2 * h) / (1 if i == j else 2))
            assert abs(g.shape[i, j] - (4 * D[1] - D[0]) / 3) < 1e-11
