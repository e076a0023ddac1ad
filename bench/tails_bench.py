#!/usr/bin/python3
"""Tail accuracy: |error in log P| against log P for libmvnorm, SciPy and
mvtnorm on problems with exact log references (doc/tails.md, issue 13).

Usage: /usr/bin/python3 bench/tails_bench.py [--out doc] [--peer-max-d 100]

Run from the build tree (uses cli/mvnorm).  Every tool is asked what a user
who wants relative accuracy would ask: abseps = 0, releps = 1e-4, one
thread; the peers get a budget of 2e6 evaluations (maxpts).  The
references, none computed by libmvnorm:
  - tridiagonal -1/2 orthant: log P = -log((d+1)!);
  - tridiagonal +1/2 orthant: log(E_(d+1)/(d+1)!), Euler's zigzag numbers
    by their convolution recursion;
  - equicorrelated rho = 1/2, X > c: the one-factor integral in log space
    (composite Gauss-Legendre, two grids must agree);
  - AR(1) rho = 1/2, X > c: the Markov forward recursion in log space
    (bench/problems.py's grids, two panel counts must agree).
Writes OUT/tails.md (the table) and OUT/tails.png (the plot; needs
matplotlib).
SPDX-License-Identifier: GPL-3.0-or-later
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from scipy.special import log_ndtr

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from problems import gauss_legendre_panels, TRUNC  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RELEPS = 1e-4
PEER_MAXPTS = 2_000_000


def logsumexp(v):
    m = np.max(v)
    return float(m + np.log(np.sum(np.exp(v - m))))


def log_zigzag_ratio(n):
    a = [1.0, 1.0]
    for m in range(1, n):
        a.append(math.fsum(a[k] * a[m - k] for k in range(m + 1)) / (2 * (m + 1)))
    return math.log(a[n])


def equi_upper_log(d, c, rho=0.5, panels=200, order=20):
    lam, s = math.sqrt(rho), math.sqrt(1 - rho)
    t, w = gauss_legendre_panels(-40.0, 40.0, panels, order)
    v = np.log(w) - 0.5 * t * t - 0.5 * math.log(2 * math.pi) + d * log_ndtr(-(c - lam * t) / s)
    return logsumexp(v)


def ar1_upper_log(d, rho, c, panels=1, order=16):
    s = math.sqrt(1 - rho * rho)
    n_pan = max(1, int(math.ceil((TRUNC - c) / s * panels)))
    x, w = gauss_legendre_panels(c, TRUNC, n_pan, order)
    lf = np.log(w) - 0.5 * x * x - 0.5 * math.log(2 * math.pi)
    z = (x[:, None] - rho * x[None, :]) / s
    lk = -0.5 * z * z - math.log(s * math.sqrt(2 * math.pi))
    for _ in range(d - 1):
        m = lf.max()
        f = np.exp(lk + (lf - m)[None, :]).sum(axis=1)
        lf = np.log(w) + np.log(f) + m
    return logsumexp(lf)


def checked(a, b, what):
    if not abs(a - b) <= 1e-10 * max(1.0, abs(a)):
        raise RuntimeError(f"{what}: reference not converged ({a!r} vs {b!r})")
    return b


def problems():
    out = []
    for d in (5, 20, 50, 100, 300, 1000):
        for rho in (-0.5, 0.5):
            S = np.eye(d)
            i = np.arange(d - 1)
            S[i, i + 1] = S[i + 1, i] = rho
            ref = -math.lgamma(d + 2) if rho < 0 else log_zigzag_ratio(d + 1)
            out.append((f"tridiagonal {rho:+.1f} orthant", d, np.zeros(d), S, ref))
    for d, c in ((5, 3.0), (20, 3.0), (100, 3.0), (20, 5.0), (100, 5.0)):
        S = np.full((d, d), 0.5)
        np.fill_diagonal(S, 1.0)
        ref = checked(equi_upper_log(d, c), equi_upper_log(d, c, panels=400), "equi")
        out.append((f"equicorrelated 0.5, X > {c:g}", d, np.full(d, c), S, ref))
    for d, c in ((20, 1.0), (100, 1.0), (100, 2.0), (1000, 1.0)):
        idx = np.arange(d)
        S = 0.5 ** np.abs(idx[:, None] - idx[None, :])
        ref = checked(ar1_upper_log(d, 0.5, c), ar1_upper_log(d, 0.5, c, panels=2), "ar1")
        out.append((f"AR(1) 0.5, X > {c:g}", d, np.full(d, c), S, ref))
    return out


def run_ours(d, lower, S):
    line = json.dumps({"lower": list(map(float, lower)), "cov": S.tolist()})
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write(line + "\n")
        path = f.name
    t0 = time.perf_counter()
    r = subprocess.run([os.path.join(ROOT, "cli", "mvnorm"), "--threads", "1", "--abseps", "0",
                        "--releps", repr(RELEPS), path], capture_output=True, text=True)
    t = time.perf_counter() - t0
    os.unlink(path)
    o = json.loads(r.stdout)
    lp = o["logp"] if o["logp"] is not None else -math.inf
    return lp, t


def run_scipy(d, lower, S):
    from scipy.stats import multivariate_normal
    t0 = time.perf_counter()
    p = multivariate_normal.cdf(np.full(d, np.inf), mean=np.zeros(d), cov=S, lower_limit=lower,
                                maxpts=PEER_MAXPTS, abseps=0.0, releps=RELEPS)
    return (math.log(p) if p > 0 else -math.inf), time.perf_counter() - t0


R_SCRIPT = r"""
suppressPackageStartupMessages(library(mvtnorm))
a <- commandArgs(trailingOnly = TRUE)
d <- as.integer(a[2]); v <- scan(a[1], quiet = TRUE)
lower <- v[1:d]; S <- matrix(v[(d + 1):(d + d * d)], d, d)
set.seed(1)
t0 <- proc.time()[["elapsed"]]
p <- pmvnorm(lower = lower, upper = rep(Inf, d), sigma = S,
             algorithm = GenzBretz(maxpts = as.numeric(a[3]), abseps = 0, releps = as.numeric(a[4])))
cat(sprintf("%.17g %.6f\n", as.numeric(p), proc.time()[["elapsed"]] - t0))
"""


def run_mvtnorm(d, lower, S):
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "p.txt")
        np.savetxt(src, np.concatenate([lower, S.ravel(order="F")]))
        scr = os.path.join(tmp, "run.R")
        with open(scr, "w") as f:
            f.write(R_SCRIPT)
        r = subprocess.run(["Rscript", scr, src, str(d), str(PEER_MAXPTS), repr(RELEPS)],
                           capture_output=True, text=True, check=True)
    p, t = map(float, r.stdout.split())
    return (math.log(p) if p > 0 else -math.inf), t


def fmt_err(e):
    return "failed (P = 0)" if not math.isfinite(e) else f"{e:.1e}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "doc"))
    ap.add_argument("--peer-max-d", type=int, default=100)
    ap.add_argument("--replot", metavar="JSON", help="only redraw the plot from a run's results")
    args = ap.parse_args()
    if args.replot:
        with open(args.replot) as f:
            write_plot(json.load(f), args.out)
        return
    rows = []
    tools = (("libmvnorm", run_ours), ("SciPy", run_scipy), ("mvtnorm", run_mvtnorm))
    for name, d, lower, S, ref in problems():
        row = {"problem": name, "d": d, "ref": ref}
        for tool, fn in tools:
            if tool != "libmvnorm" and d > args.peer_max_d:
                row[tool] = None
                continue
            lp, t = fn(d, lower, S)
            row[tool] = (abs(lp - ref) if math.isfinite(lp) else math.inf, t)
        rows.append(row)
        print(name, d, ref, {k: row[k] for k in ("libmvnorm", "SciPy", "mvtnorm")}, flush=True)
    with open(os.path.join(args.out, "tails_results.json"), "w") as f:
        json.dump(rows, f, indent=1, default=lambda v: None)
    write_table(rows, args.out)
    write_plot(rows, args.out)


def write_table(rows, out):
    lines = ["| problem | d | exact log P | libmvnorm: error, time | SciPy: error, time | mvtnorm: error, time |",
             "| --- | ---: | ---: | --- | --- | --- |"]
    for r in rows:
        cells = []
        for tool in ("libmvnorm", "SciPy", "mvtnorm"):
            v = r[tool]
            cells.append("not run" if v is None else f"{fmt_err(v[0])}, {v[1]:.2f} s")
        lines.append(f"| {r['problem']} | {r['d']} | {r['ref']:.6f} | " + " | ".join(cells) + " |")
    with open(os.path.join(out, "tails_table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_plot(rows, out):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib missing: no plot", file=sys.stderr)
        return
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    fail_y = 1e4
    for tool, marker, color in (("libmvnorm", "o", "C0"), ("SciPy", "s", "C1"), ("mvtnorm", "^", "C2")):
        xs, ys = [], []
        for r in rows:
            if r[tool] is None:
                continue
            xs.append(-r["ref"])
            err = r[tool][0]
            ys.append(fail_y if err is None or not math.isfinite(err) else max(err, 1e-16))
        ax.scatter(xs, ys, marker=marker, color=color, label=tool, alpha=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.axhline(RELEPS, color="grey", lw=0.8, ls="--")
    ax.text(1.1, RELEPS * 1.5, "releps 1e-4 requested", color="grey", fontsize=8)
    ax.axhline(fail_y / 10, color="grey", lw=0.5)
    ax.text(1.1, fail_y * 2, "P = 0 returned (log P = -inf)", color="grey", fontsize=8)
    ax.text(1.1, 1e-16 / 8, "error 0 plotted at 1e-16", color="grey", fontsize=8)
    ax.set_xlabel("-log P (exact)")
    ax.set_ylabel("|error in log P|")
    ax.set_title("Tail accuracy: abseps = 0, releps = 1e-4, one thread")
    ax.legend(loc="center right")
    fig.tight_layout()
    fig.savefig(os.path.join(out, "tails.png"), dpi=110)


if __name__ == "__main__":
    main()
