#!/usr/bin/python3
"""qmc_compare.py -- two builds of the mvnorm program on dense problems that only QMC answers.

SPDX-License-Identifier: GPL-3.0-or-later

Not a test: it prints tables and asserts nothing.  Meant for changes of the
QMC engine (lattice, error estimate): run the program of the build before
and of the build after on the same problems, in the same run.

Problems: the random correlation family of issue 12, R = normalized A A^T
with A = N(0, 1) + 1.5 I (dense, no structure any exact route takes),
upper limits uniform in (0, 3), each lower limit open with probability
0.7 and otherwise uniform in (-3, -1); six instances per d (seed 7).

Two measures, one thread, METHOD_AUTO (these go to QMC for d >= 4):
  1. equal cost: abseps = 0 and a fixed budget of evaluations, four
     seeds; the geometric mean over instances and seeds of the ratio of
     the error estimates (abserr after / abserr before).  Both builds
     spend the same evaluations, so the ratio is the error at equal cost.
  2. a requested tolerance: abseps 1e-4, 1e-5 (and 1e-6 for d <= 20),
     the evaluations and wall time each build needs, and whether it met
     the request within maxpts.

Usage:
  /usr/bin/python3 bench/qmc_compare.py BEFORE/cli/mvnorm AFTER/cli/mvnorm \
      [--dims 5,10,20] [--budgets 1050000,4200000]
"""
import argparse
import json
import math
import subprocess
import sys
import time

import numpy as np


def problems(dims, per_d=6, seed=7):
    rng = np.random.default_rng(seed)
    out = []
    for d in dims:
        for t in range(per_d):
            A = rng.normal(size=(d, d)) + 1.5 * np.eye(d)
            S = A @ A.T
            s = np.sqrt(np.diag(S))
            R = S / np.outer(s, s)
            upper = rng.uniform(0.0, 3.0, d).tolist()
            lower = [None if rng.random() < 0.7 else float(x)
                     for x in rng.uniform(-3.0, -1.0, d)]
            out.append(dict(id="d%dt%d" % (d, t), d=d, lower=lower,
                            upper=upper, cov=R.round(12).tolist()))
    return out


def run(cli, lines):
    """Runs the program on the JSON lines, one process per line (for a
    wall time per problem); returns the result objects with 'time'."""
    res = []
    for line in lines:
        t0 = time.perf_counter()
        r = subprocess.run([cli, "--threads", "1"], input=line + "\n",
                           capture_output=True, text=True)
        el = time.perf_counter() - t0
        o = json.loads(r.stdout)
        o["time"] = el
        res.append(o)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--dims", default="5,10,20")
    ap.add_argument("--budgets", default="1050000,4200000,16800000")
    ap.add_argument("--seeds", type=int, default=4)
    a = ap.parse_args()
    dims = [int(x) for x in a.dims.split(",")]
    probs = problems(dims)

    print("## Error at equal cost (abserr after / abserr before, geometric mean)\n")
    print("| evaluations | " + " | ".join("d = %d" % d for d in dims) + " | all |")
    print("|---" * (len(dims) + 2) + "|")
    for budget in [int(float(x)) for x in a.budgets.split(",")]:
        lines = []
        for p in probs:
            for s in range(a.seeds):
                q = dict(id=p["id"], lower=p["lower"], upper=p["upper"],
                         cov=p["cov"], abseps=0, maxpts=budget, seed=s)
                lines.append(json.dumps(q))
        rb, ra = run(a.before, lines), run(a.after, lines)
        logs = {}
        for x, y in zip(rb, ra):
            d = int(x["id"][1:].split("t")[0])
            r = math.log(y["abserr"] / x["abserr"])
            logs.setdefault(d, []).append(r)
            logs.setdefault("all", []).append(r)
        cells = ["%.2f" % math.exp(sum(logs[d]) / len(logs[d])) for d in dims + ["all"]]
        print("| %d / %d | " % (rb[0]["evaluations"], ra[0]["evaluations"]) +
              " | ".join(cells) + " |")
    sys.stdout.flush()

    print("\n## A requested tolerance (maxpts 4e7)\n")
    print("| d | abseps | evaluations before / after (geometric mean) "
          "| time before / after (s, sum) | met before / after |")
    print("|---|---|---|---|---|")
    for d in dims:
        for eps in ([1e-4, 1e-5, 1e-6] if d <= 20 else [1e-4, 1e-5]):
            lines = [json.dumps(dict(id=p["id"], lower=p["lower"], upper=p["upper"],
                                     cov=p["cov"], abseps=eps, maxpts=4e7))
                     for p in probs if p["d"] == d]
            rb, ra = run(a.before, lines), run(a.after, lines)
            gb = math.exp(sum(math.log(x["evaluations"]) for x in rb) / len(rb))
            ga = math.exp(sum(math.log(x["evaluations"]) for x in ra) / len(ra))
            tb, ta = sum(x["time"] for x in rb), sum(x["time"] for x in ra)
            mb = sum(x["status"] == "ok" for x in rb)
            ma = sum(x["status"] == "ok" for x in ra)
            print("| %d | %g | %.3g / %.3g | %.2f / %.2f | %d / %d of %d |"
                  % (d, eps, gb, ga, tb, ta, mb, ma, len(rb)))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
