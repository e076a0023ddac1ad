#!/usr/bin/env python3
# Torch-MvNorm's README example, unchanged, then timings of P and of its full gradient at d = 10 and 20.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run:  python3 torch_mvnorm_dropin.py [--dims 10 20] [--repeat 3]

The first block is Torch-MvNorm's example verbatim (only the import now
resolves to this package).  Then, for each d, it times P = Phi(x, m, C) and
the full gradient grad(P, (x, m, C)) with the default mvnorm.integration
settings (abseps = releps = 1e-6), the figures Torch-MvNorm users compare.
"""

import argparse
import time

import torch
from torch.autograd import grad

import mvnorm
from mvnorm import multivariate_normal_cdf as Phi


def example():
    # ---- Torch-MvNorm's example, unchanged ----
    d = 3
    x = torch.randn(d); m = torch.zeros(d)
    Croot = torch.randn(d, d); C = Croot.mm(Croot.t()) + torch.diag(torch.ones(d))
    x.requires_grad = True; m.requires_grad = True; C.requires_grad = True
    P = Phi(x, m, C)
    dPdx, dPdm, dPdC = grad(P, (x, m, C))   # dPdx == -dPdm
    # ---- end of the example ----
    print("P     =", P.item())
    print("dPdx  =", dPdx.tolist())
    print("dPdm  =", dPdm.tolist())
    print("dPdx == -dPdm:", bool(torch.equal(dPdx, -dPdm)))
    print("dPdC  =", dPdC.tolist())


def timing(d, repeat):
    x = torch.randn(d); m = torch.zeros(d)
    Croot = torch.randn(d, d); C = Croot.mm(Croot.t()) + torch.diag(torch.ones(d))
    x.requires_grad = True; m.requires_grad = True; C.requires_grad = True
    t_cdf, t_grad = [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        P = Phi(x, m, C)
        t1 = time.perf_counter()
        grad(P, (x, m, C))
        t2 = time.perf_counter()
        t_cdf.append(t1 - t0)
        t_grad.append(t2 - t1)
    P, err = mvnorm.normal_probability(upper=x.detach(), loc=m.detach(),
                                       covariance_matrix=0.5 * (C + C.t()).detach(),
                                       return_error=True)
    print("d = %2d: P = %.8f (abserr %.1e)  CDF %.1f ms  full gradient %.1f ms  (best of %d)"
          % (d, P.item(), err.item(), 1e3 * min(t_cdf), 1e3 * min(t_grad), repeat))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dims", type=int, nargs="*", default=[10, 20])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    print("libmvnorm %s at %s; %r" % (mvnorm.library_version, mvnorm.library_path,
                                      mvnorm.integration))
    example()
    for d in args.dims:
        timing(d, args.repeat)


if __name__ == "__main__":
    main()
