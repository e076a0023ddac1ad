# Benchmark problems with exact reference values, independent of every implementation.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Problem families for the libmvnorm benchmark and their exact references.

Every reference is a closed form or a one-dimensional integral (or a chain
of one-dimensional integrals) evaluated by composite Gauss-Legendre
quadrature, and each quadrature value is recomputed on a finer grid; the
two must agree to REF_TOL or the harness refuses to run.  No multivariate
normal code (SciPy, mvtnorm, libmvnorm) is used to compute a reference.

Families
  one-factor   Sigma = D + l l^T with unit variances (l_i in +-[0.2, 0.95]),
               X_i = l_i T + s_i E_i, T, E_i iid N(0, 1), s_i = sqrt(1 - l_i^2).
               Conditioning on T gives (Dunnett & Sobel 1955; Tong 1990,
               "The Multivariate Normal Distribution", sec. 8.2)
                 P = int phi(t) prod_i [Phi((b_i - l_i t)/s_i) - Phi((a_i - l_i t)/s_i)] dt.
  ar1          Sigma_ij = rho^|i-j|: X is a Gaussian Markov chain,
               X_k = rho X_{k-1} + s E_k, s = sqrt(1 - rho^2), so P is the
               chain of 1-D integrals  int_{a_1}^{b_1} phi(x_1)
               int_{a_2}^{b_2} phi((x_2 - rho x_1)/s)/s ... dx_d ... dx_1,
               evaluated by a forward recursion on quadrature nodes.
  equi-orthant Sigma = (I + 1 1^T)/2 (equicorrelated rho = 1/2), P(X > 0)
               = 1/(d+1) exactly (Steck & Owen 1962; REFERENCE_VALUES.md 3a).
  tridiag-orthant  rho_{i,i+1} = -1/2, P(X > 0) = 1/(d+1)! exactly
               (REFERENCE_VALUES.md 3b).  Used only for d <= 5, where the
               value is large enough for absolute tolerances to matter.

Random instances are drawn from numpy's default_rng with a fixed seed per
(family, d, index).  Limits are b_i = c + delta_i and (for about half of the
coordinates) a_i = -(c + delta'_i), with the common shift c solved so that
the exact probability hits a target drawn from U(0.1, 0.6): absolute
tolerances are then meaningful at every d, including d = 1000.
"""

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq
from scipy.special import ndtr, log_ndtr

# Two quadrature grids must agree to this absolute tolerance.
REF_TOL = 1e-13
# Truncation of infinite limits for the quadratures: phi(9) ~ 1e-18, so
# cutting the standard normal at +-9 changes P by < 1e-17 per coordinate.
TRUNC = 9.0


@dataclass
class Problem:
    """One problem P(lower < X < upper), X ~ N(0, sigma), with its exact value."""

    name: str
    family: str
    d: int
    lower: np.ndarray
    upper: np.ndarray
    sigma: np.ndarray
    exact: float
    note: str = ""
    meta: dict = field(default_factory=dict)


def phi_interval(lo, hi):
    """Phi(hi) - Phi(lo) elementwise, without cancellation in either tail."""
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    upper_tail = lo > 0
    # In the upper tail use Phi(-lo) - Phi(-hi) (the Q function): both
    # terms are small there and their difference is accurate.
    direct = ndtr(hi) - ndtr(lo)
    mirrored = ndtr(-lo) - ndtr(-hi)
    return np.maximum(np.where(upper_tail, mirrored, direct), 0.0)


def gauss_legendre_panels(a, b, panels, order):
    """Nodes and weights of composite Gauss-Legendre on [a, b]."""
    x, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(a, b, panels + 1)
    half = 0.5 * np.diff(edges)
    mid = 0.5 * (edges[:-1] + edges[1:])
    nodes = (mid[:, None] + half[:, None] * x[None, :]).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    return nodes, weights


# ---------------------------------------------------------------- one-factor

def one_factor_prob(loadings, lower, upper, panels=72, order=20):
    """Exact P for the one-factor covariance by quadrature over the factor."""
    lam = np.asarray(loadings, dtype=float)
    s = np.sqrt(1.0 - lam * lam)
    t, w = gauss_legendre_panels(-TRUNC, TRUNC, panels, order)
    # The product over d terms is accumulated in logs so that it cannot
    # underflow to 0 early for large d; np.log(0) = -inf is harmless here.
    with np.errstate(divide="ignore"):
        logs = np.zeros_like(t)
        for lo_i, hi_i, l_i, s_i in zip(lower, upper, lam, s):
            logs += np.log(phi_interval((lo_i - l_i * t) / s_i,
                                        (hi_i - l_i * t) / s_i))
    dens = np.exp(-0.5 * t * t) / np.sqrt(2.0 * np.pi)
    return float(np.sum(w * dens * np.exp(logs)))


def checked(fn, *args, **kw):
    """fn on its default grid and on a grid twice as fine; they must agree."""
    coarse = fn(*args, **kw)
    fine_kw = dict(kw)
    fine_kw["panels"] = 2 * kw.get("panels", fn.__defaults__[0])
    fine = fn(*args, **fine_kw)
    if not abs(fine - coarse) <= REF_TOL:
        raise RuntimeError(f"{fn.__name__}: reference not converged "
                           f"({coarse!r} vs {fine!r})")
    return fine


def one_factor_sigma(loadings):
    lam = np.asarray(loadings, dtype=float)
    sigma = np.outer(lam, lam)
    np.fill_diagonal(sigma, 1.0)
    return sigma


# ---------------------------------------------------------------------- AR(1)

def ar1_prob(rho, lower, upper, panels=None, order=16):
    """Exact P for Sigma_ij = rho^|i-j| by the Markov forward recursion.

    f_1(x) = phi(x) on [a_1, b_1]; f_k(x) = int f_{k-1}(y) K(x, y) dy with
    K(x, y) = phi((x - rho y)/s)/s; P = int f_d.  Each f_k lives on the
    Gauss-Legendre nodes of its own (truncated) interval.  Panels are about
    as wide as the kernel width s, which makes 16-point rules accurate to
    rounding; checked() confirms it by doubling the panel count.
    """
    s = np.sqrt(1.0 - rho * rho)
    lo = np.maximum(np.asarray(lower, dtype=float), -TRUNC)
    hi = np.minimum(np.asarray(upper, dtype=float), TRUNC)
    if panels is None:
        panels = 1
    grids = []
    for a, b in zip(lo, hi):
        n_pan = max(1, int(np.ceil((b - a) / s * panels)))
        grids.append(gauss_legendre_panels(a, b, n_pan, order))
    x, w = grids[0]
    f = np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)
    log_scale = 0.0  # f is kept normalized to avoid underflow at large d
    for xk, wk in grids[1:]:
        z = (xk[:, None] - rho * x[None, :]) / s
        kern = np.exp(-0.5 * z * z) / (s * np.sqrt(2.0 * np.pi))
        f = kern @ (w * f)
        m = f.max()
        if m <= 0.0:
            return 0.0
        f /= m
        log_scale += np.log(m)
        x, w = xk, wk
    return float(np.exp(log_scale) * np.sum(w * f))


def ar1_sigma(d, rho):
    idx = np.arange(d)
    return rho ** np.abs(idx[:, None] - idx[None, :])


def ar1_checked(rho, lower, upper):
    coarse = ar1_prob(rho, lower, upper, panels=1)
    fine = ar1_prob(rho, lower, upper, panels=2)
    if not abs(fine - coarse) <= REF_TOL:
        raise RuntimeError(f"ar1_prob: reference not converged "
                           f"({coarse!r} vs {fine!r})")
    return fine


# ------------------------------------------------------------ random limits

def _limits(rng, d, c):
    """Limits pattern: b_i = c + delta_i, half of a_i = -(c + delta'_i)."""
    delta = rng.uniform(0.0, 1.5, d)
    two_sided = rng.uniform(size=d) < 0.5
    delta_lo = rng.uniform(0.0, 1.5, d)
    def at(shift):
        upper = shift + delta
        lower = np.where(two_sided, -(shift + delta_lo), -np.inf)
        return lower, upper
    return at


def _solve_shift(prob_of_shift, target):
    """Common shift c with prob_of_shift(c) = target (monotone increasing)."""
    lo, hi = -3.0, 8.0
    return brentq(lambda c: prob_of_shift(c) - target, lo, hi, xtol=1e-3)


def make_one_factor(d, index, seed=20260):
    rng = np.random.default_rng([seed, 1, d, index])
    lam = rng.uniform(0.2, 0.95, d) * np.where(rng.uniform(size=d) < 0.8, 1, -1)
    at = _limits(rng, d, 0.0)
    target = rng.uniform(0.1, 0.6)
    c = _solve_shift(lambda c: one_factor_prob(lam, *at(c), panels=24, order=12),
                     target)
    lower, upper = at(c)
    exact = checked(one_factor_prob, lam, lower, upper, panels=72, order=20)
    return Problem(f"one-factor#{index}", "one-factor", d, lower, upper,
                   one_factor_sigma(lam), exact)


def make_ar1(d, index, seed=20260):
    rng = np.random.default_rng([seed, 2, d, index])
    rho = rng.uniform(0.5, 0.9)
    at = _limits(rng, d, 0.0)
    target = rng.uniform(0.1, 0.6)
    c = _solve_shift(lambda c: ar1_prob(rho, *at(c), panels=1, order=8), target)
    lower, upper = at(c)
    exact = ar1_checked(rho, lower, upper)
    return Problem(f"ar1#{index}", "ar1", d, lower, upper, ar1_sigma(d, rho),
                   exact, note=f"rho={rho:.3f}", meta={"rho": rho})


def make_equi_orthant(d):
    lam = np.full(d, np.sqrt(0.5))
    lower = np.zeros(d)
    upper = np.full(d, np.inf)
    exact = 1.0 / (d + 1)
    # The closed form also validates the one-factor quadrature code.
    quad = checked(one_factor_prob, lam, lower, upper, panels=72, order=20)
    if not abs(quad - exact) <= REF_TOL:
        raise RuntimeError(f"one-factor quadrature {quad!r} != 1/(d+1) at d={d}")
    return Problem("equi-orthant", "equi-orthant", d, lower, upper,
                   one_factor_sigma(lam), exact, note="rho=1/2, P(X>0)=1/(d+1)")


def make_tridiag_orthant(d):
    sigma = np.eye(d)
    i = np.arange(d - 1)
    sigma[i, i + 1] = sigma[i + 1, i] = -0.5
    exact = 1.0 / float(np.prod(np.arange(1, d + 2, dtype=float)))
    return Problem("tridiag-orthant", "tridiag-orthant", d, np.zeros(d),
                   np.full(d, np.inf), sigma, exact,
                   note="rho_{i,i+1}=-1/2, P(X>0)=1/(d+1)!")


def problems_for(d, n_random):
    """The instance list for dimension d: n_random one-factor and AR(1)
    instances (alternating, one-factor first), the equicorrelated orthant,
    and the tridiagonal orthant where d <= 5."""
    out = []
    for k in range(n_random):
        out.append(make_one_factor(d, k // 2) if k % 2 == 0 else make_ar1(d, k // 2))
    out.append(make_equi_orthant(d))
    if d <= 5:
        out.append(make_tridiag_orthant(d))
    return out


def self_check():
    """Checks of the reference code against closed forms and each other."""
    # AR(1) chain vs the one-factor integral where both apply: d = 2 with
    # correlation rho is both AR(1) and one-factor (l = (sqrt rho, sqrt rho)).
    rho = 0.6
    lower = np.array([-0.3, -np.inf])
    upper = np.array([1.1, 0.4])
    a = ar1_checked(rho, lower, upper)
    b = checked(one_factor_prob, np.full(2, np.sqrt(rho)), lower, upper,
                panels=72, order=20)
    assert abs(a - b) <= 1e-13, (a, b)
    # Orthant of AR(1), d = 2: 1/4 + asin(rho)/(2 pi).
    exact = 0.25 + np.arcsin(rho) / (2 * np.pi)
    c = ar1_checked(rho, np.zeros(2), np.full(2, np.inf))
    assert abs(c - exact) <= 1e-13, (c, exact)
    # Trivariate orthant with r12 = r23 = rho, r13 = rho^2 (AR(1), d = 3).
    exact3 = 0.125 + (2 * np.arcsin(rho) + np.arcsin(rho * rho)) / (4 * np.pi)
    c3 = ar1_checked(rho, np.full(3, -np.inf), np.zeros(3))
    assert abs(c3 - exact3) <= 1e-13, (c3, exact3)
    # REFERENCE_VALUES.md 4: d = 5, rho = 0.5, (-1, 3)^5.
    v = checked(one_factor_prob, np.full(5, np.sqrt(0.5)), np.full(5, -1.0),
                np.full(5, 3.0), panels=72, order=20)
    assert abs(v - 0.5800476516960114) <= 1e-13, v
    return True


if __name__ == "__main__":
    self_check()
    for d in (2, 3, 5, 10, 100, 1000):
        for p in problems_for(d, 2):
            print(f"d={d:5d} {p.name:16s} exact={p.exact:.16g} {p.note}")
