#!/usr/bin/python3
"""error_coverage.py -- how often the QMC error estimate covers the true error, and at what cost.

SPDX-License-Identifier: GPL-3.0-or-later

Not a test: it prints tables and asserts nothing.  It gives the numbers a
choice of MVN_OPT_ERROR_FACTOR (abserr = factor * standard error over the
shifts) rests on.

Problems: one-factor correlations R_ij = l_i l_j (i != j) with loadings of
either sign, |l| uniform in (0.3, 0.9), upper limits uniform in (0, 2.5),
each lower limit open with probability 0.6 and otherwise uniform in
(-3, -0.5); four per d.  Their exact values come from the one-factor route
(METHOD_AUTO, about 1e-13); the QMC runs use --method qmc, so the lattice
integrator answers a problem whose truth is known.

Two measures, one thread, ten seeds per problem:
  1. a fixed budget (abseps = 0): the quantiles of |error| / standard
     error, and the share of runs that abserr would cover with the error
     factors 2, 2.5 and 3.5 (no stopping rule involved);
  2. a requested tolerance (abseps 1e-4 and 1e-5) with error factors 3.5
     (the default) and 2.5: the share of runs with |error| <= abserr (the
     stopping rule included) and the evaluations they took.

Usage:
  /usr/bin/python3 bench/error_coverage.py cli/mvnorm [--dims 5,10,20,50]
"""
import argparse
import json
import math
import subprocess

import numpy as np


def problems(dims, per_d=4, seed=11):
    rng = np.random.default_rng(seed)
    out = []
    for d in dims:
        for t in range(per_d):
            lam = rng.uniform(0.3, 0.9, d) * rng.choice([-1.0, 1.0], d)
            R = np.outer(lam, lam)
            np.fill_diagonal(R, 1.0)
            upper = rng.uniform(0.0, 2.5, d).tolist()
            lower = [None if rng.random() < 0.6 else float(x)
                     for x in rng.uniform(-3.0, -0.5, d)]
            out.append(dict(id="d%dt%d" % (d, t), d=d, lower=lower, upper=upper,
                            cov=R.tolist()))
    return out


def run(cli, lines, *opts):
    r = subprocess.run([cli, "--threads", "1", *opts], input="\n".join(lines) + "\n",
                       capture_output=True, text=True)
    return [json.loads(x) for x in r.stdout.splitlines()]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("cli")
    ap.add_argument("--dims", default="5,10,20,50")
    ap.add_argument("--seeds", type=int, default=10)
    a = ap.parse_args()
    dims = [int(x) for x in a.dims.split(",")]
    probs = problems(dims)

    def line(p, **kw):
        q = dict(id=p["id"], lower=p["lower"], upper=p["upper"], cov=p["cov"])
        q.update(kw)
        return json.dumps(q)

    exact = {}
    for p, r in zip(probs, run(a.cli, [line(p, abseps=0, releps=1e-12) for p in probs])):
        assert r["abserr"] <= 1e-11 * max(r["p"], 1e-300) + 1e-14, r
        exact[p["id"]] = r["p"]

    print("## 1. Fixed budget (abseps = 0): |error| / standard error\n")
    print("| d | evaluations | median | 90 % | 95 % | 99 % | covered at factor 2 / 2.5 / 3.5 |")
    print("|---|---|---|---|---|---|---|")
    for budget in [2.7e5, 4.3e6]:
        lines = [line(p, abseps=0, maxpts=budget, seed=s)
                 for p in probs for s in range(a.seeds)]
        res = run(a.cli, lines, "--method", "qmc")
        for d in dims + ["all"]:
            z = []
            for r in res:
                if d != "all" and not r["id"].startswith("d%dt" % d):
                    continue
                se = r["abserr"] / 3.5
                z.append(abs(r["p"] - exact[r["id"]]) / se)
            z = np.array(z)
            cov = " / ".join("%.0f %%" % (100 * np.mean(z <= f)) for f in (2.0, 2.5, 3.5))
            print("| %s | %.3g | %.2f | %.2f | %.2f | %.2f | %s |"
                  % (d, res[0]["evaluations"], *np.quantile(z, [0.5, 0.9, 0.95, 0.99]), cov))

    print("\n## 2. A requested tolerance: coverage with the stopping rule, and cost\n")
    print("| d | abseps | factor | covered | evaluations (geometric mean) |")
    print("|---|---|---|---|---|")
    for eps in [1e-4, 1e-5]:
        lines = [line(p, abseps=eps, seed=s) for p in probs for s in range(a.seeds)]
        for factor in ["3.5", "2.5"]:
            res = run(a.cli, lines, "--method", "qmc", "--error-factor", factor)
            for d in dims + ["all"]:
                sel = [r for r in res if d == "all" or r["id"].startswith("d%dt" % d)]
                cov = np.mean([abs(r["p"] - exact[r["id"]]) <= r["abserr"] for r in sel])
                ev = math.exp(np.mean([math.log(r["evaluations"]) for r in sel]))
                print("| %s | %g | %s | %.0f %% | %.3g |" % (d, eps, factor, 100 * cov, ev))


if __name__ == "__main__":
    main()
