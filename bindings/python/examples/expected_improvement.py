#!/usr/bin/env python3
# Batched multipoint probability of improvement on a toy Gaussian process, maximized by gradient ascent.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Multipoint (batch) Bayesian optimization criteria need q-dimensional
normal CDFs of the joint posterior at q candidate points, and their
gradients with respect to the points.  This example maximizes the
multipoint probability of improvement (minimization setting)

    qPI(X) = 1 - P(Y(x_1) >= T, ..., Y(x_q) >= T)
           = 1 - P(-Y(X) <= -T),   Y(X) ~ N(mu(X), K(X)) (GP posterior)

for a batch of B candidate sets of q points at once: ONE call of
mvnorm.normal_probability per step evaluates all B q-dimensional
probabilities, and autograd carries the library's gradients (with respect
to the mean and the covariance) back through the GP posterior to the
points.  qPI is the CDF building block of the q-EI formula of Chevalier &
Ginsbourger (2013), which adds (q-1)-dimensional terms of the same kind.

Run:  python3 expected_improvement.py [--q 4] [--batch 32] [--steps 40]
"""

import argparse
import math
import time

import torch

import mvnorm

F64 = torch.float64


def objective(x):
    return torch.sin(3 * x) + 0.5 * x ** 2


def kernel(a, b, ell=0.4, var=1.0):
    return var * torch.exp(-0.5 * (a.unsqueeze(-1) - b.unsqueeze(-2)) ** 2 / ell ** 2)


def posterior(xq, xo, yo, noise=1e-4):
    """GP posterior mean (..., q) and covariance (..., q, q) at points xq (..., q)."""
    koo = kernel(xo, xo) + noise * torch.eye(len(xo), dtype=F64)
    chol = torch.linalg.cholesky(koo)
    kqo = kernel(xq, xo)
    alpha = torch.cholesky_solve(yo.unsqueeze(-1), chol).squeeze(-1)
    mean = kqo @ alpha
    v = torch.cholesky_solve(kqo.transpose(-1, -2), chol)
    cov = kernel(xq, xq) - kqo @ v
    q = xq.shape[-1]
    return mean, cov + 1e-4 * torch.eye(q, dtype=F64)


def q_probability_of_improvement(xq, xo, yo, target):
    mean, cov = posterior(xq, xo, yo)
    # P(all Y >= T) = P(-Y <= -T) with -Y ~ N(-mean, cov).
    p_none = mvnorm.normal_probability(upper=torch.full_like(mean, -target), loc=-mean,
                                       covariance_matrix=cov, abseps=1e-4, releps=0)
    return 1.0 - p_none


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--q", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--steps", type=int, default=40)
    args = ap.parse_args()
    torch.manual_seed(0)
    xo = torch.tensor([-1.8, -0.9, 0.1, 0.8, 1.7], dtype=F64)
    yo = objective(xo)
    target = yo.min().item()
    x = (torch.rand(args.batch, args.q, dtype=F64) * 4 - 2).requires_grad_()
    opt = torch.optim.Adam([x], lr=0.05)
    t0 = time.perf_counter()
    for step in range(args.steps + 1):
        crit = q_probability_of_improvement(x, xo, yo, target)   # (batch,)
        if step % 10 == 0:
            print("step %3d: best qPI %.4f  mean qPI %.4f" % (step, crit.max().item(),
                                                              crit.mean().item()))
        if step == args.steps:
            break
        opt.zero_grad()
        (-crit.sum()).backward()          # one batched gradient call per step
        opt.step()
        with torch.no_grad():
            x.clamp_(-2.0, 2.0)
    dt = time.perf_counter() - t0
    best = crit.argmax()
    print("best batch of %d points: %s" % (args.q, [round(v, 3) for v in x[best].tolist()]))
    print("qPI = %.4f; objective there: %s (current best %.4f)"
          % (crit[best].item(), [round(v, 3) for v in objective(x[best]).tolist()], target))
    print("%d steps x %d candidate sets of q = %d in %.2f s" % (args.steps, args.batch, args.q, dt))
    assert math.isfinite(crit[best].item())


if __name__ == "__main__":
    main()
