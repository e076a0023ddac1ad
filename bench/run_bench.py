#!/usr/bin/env python3
# Benchmark driver: libmvnorm vs SciPy vs R mvtnorm at matched true accuracy; writes a table and a plot.
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run the libmvnorm benchmark (see bench/README.md).

  python3 bench/run_bench.py --lib _build/lib/.libs/libmvnorm.so.1 [--quick]
                             [--outdir DIR] [--dims 10,100] [--no-scipy] [--no-r]

Writes DIR/benchmarks.md, DIR/benchmarks.png and DIR/benchmarks.csv and
prints the markdown.  This is a benchmark, not a test: it asserts nothing
about speed (it does refuse to run if a reference value fails its own
convergence check).
"""

import os

# Single-threaded BLAS for the references and for SciPy before numpy loads;
# libmvnorm's own threads are set per context through MVN_OPT_THREADS.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import csv
import datetime
import math
import platform
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep the source tree clean under make bench

import numpy as np  # noqa: E402

import problems as problems_mod  # noqa: E402
import timing  # noqa: E402

# libmvnorm also runs half-decade tolerances, so that matching a competitor's
# achieved error does not force a jump of a whole decade, and tighter ones,
# so that a competitor that over-achieves can still be matched.
FULL = dict(dims=[2, 3, 5, 10, 20, 50, 100, 250, 1000], n_random=4,
            tols=[1e-3, 1e-4, 1e-5, 1e-6],
            lib_tols=[1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 3e-7, 1e-7, 1e-8],
            call_cap=3.0, dim_budget=20.0, rep_budget=0.3)
QUICK = dict(dims=[3, 10, 100, 1000], n_random=2,
             tols=[1e-3, 1e-4, 1e-5],
             lib_tols=[1e-3, 3e-4, 1e-4, 3e-5, 1e-5, 3e-6, 1e-6, 1e-7],
             call_cap=1.0, dim_budget=4.0, rep_budget=0.05)
THROUGHPUT_DIMS = [10, 100, 1000]
# MVTDST spends a fixed minimum of several CPU seconds per call at d = 1000
# whatever maxpts is, so the competitors' per-point cost is measured at
# d <= 100 only (their caps at larger d extrapolate from d = 100).
COMPETITOR_THROUGHPUT_MAX_D = 100
# Fewer random instances where a competitor call costs many seconds.
LARGE_D, N_RANDOM_LARGE = 250, 2
PLOT_DIMS = [5, 10, 20, 50, 100, 1000]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{model}, {os.cpu_count()} logical cores, "
            f"{platform.system()} {platform.release()}, {platform.machine()}")


def source_commit():
    try:
        r = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, check=True)
        return r.stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def default_lib():
    return os.environ.get("MVN_LIB") or os.path.join(
        HERE, os.pardir, "_build", "lib", ".libs", "libmvnorm.so.1")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lib", default=default_lib(), help="path of libmvnorm.so")
    ap.add_argument("--quick", action="store_true", help="about 2 minutes")
    ap.add_argument("--outdir", default=".", help="where the outputs go")
    ap.add_argument("--dims", help="comma-separated dimensions (overrides the mode)")
    ap.add_argument("--no-scipy", action="store_true")
    ap.add_argument("--no-r", action="store_true")
    ap.add_argument("--no-lib", action="store_true",
                    help="competitors only (for testing the harness)")
    return ap.parse_args()


# ------------------------------------------------------------------ adapters

class Impl:
    """Uniform face over the adapters: name, max_dim, run_dimension, throughput."""

    def __init__(self, name, max_dim, version, run_dim, throughput, competitor):
        self.name, self.max_dim, self.version = name, max_dim, version
        self.run_dim, self.throughput, self.competitor = run_dim, throughput, competitor
        self.ns_ppd = {}  # measured ns per point per dimension, by d
        self.adapter = None  # the LibMvnorm object, for libmvnorm only


def build_impls(args):
    impls = []
    if not args.no_lib:
        import adapter_libmvnorm as L
        for threads in (1, 0):
            lib = L.LibMvnorm(args.lib, threads)
            impls.append(Impl(
                lib.name, L.MAX_DIM, lib.version(),
                (lambda lib: lambda ps, tols, mp, db, rb: timing.sweep(
                    lib.name, ps, tols, lambda d: mp, lib.run_one, db, rb))(lib),
                lib.throughput, False))
            impls[-1].adapter = lib
    if not args.no_scipy:
        import adapter_scipy as S
        impls.append(Impl(
            S.NAME, S.MAX_DIM, S.version(),
            lambda ps, tols, mp, db, rb: timing.sweep(
                S.NAME, ps, tols, lambda d: mp, S.run_one, db, rb),
            S.throughput, True))
    if not args.no_r:
        import adapter_mvtnorm as M
        if M.available():
            impls.append(Impl(M.NAME, M.MAX_DIM, M.version(), M.run_dimension,
                              M.throughput, True))
        else:
            log("Rscript or mvtnorm not found: skipping mvtnorm")
    return impls


# ---------------------------------------------------------------- throughput

def measure_throughput(impls, dims):
    """ns per point per dimension with the tolerance disabled (abseps = 0),
    on the first one-factor instance of each d: CPU time for the single-
    threaded implementations, wall time for libmvnorm on all threads."""
    rows = []
    for d in dims:
        p = problems_mod.make_one_factor(d, 0)
        for im in impls:
            if d > im.max_dim or (im.competitor and d > COMPETITOR_THROUGHPUT_MAX_D):
                continue
            # About 0.3 s at the Fortran codes' 100-200 ns/point/dim.
            maxpts = max(1000, int(2e6 / d))
            secs, evals = im.throughput(p, maxpts)
            ns = secs / (evals * d) * 1e9
            im.ns_ppd[d] = ns
            rows.append(dict(impl=im.name, d=d, seconds=secs, points=evals, ns=ns))
            log(f"throughput {im.name:14s} d={d:5d}: {ns:8.2f} ns/point/dim "
                f"({evals:.0f} points, {secs:.3f} s)")
    return rows


def measure_scaling(impls, dims):
    """Wall time of the same fixed-budget call (abseps = 0) on one thread and
    on all threads, first one-factor instance: the speed-up of threads."""
    libs = {im.name: im for im in impls if not im.competitor}
    if "libmvnorm-1t" not in libs or "libmvnorm-all" not in libs:
        return []
    rows = []
    for d in dims:
        p = problems_mod.make_one_factor(d, 0)
        maxpts = max(20000, int(2e7 / d))
        t1, e1 = libs["libmvnorm-1t"].adapter.wall_throughput(p, maxpts)
        ta, ea = libs["libmvnorm-all"].adapter.wall_throughput(p, maxpts)
        rows.append(dict(d=d, t1=t1, tall=ta, points=e1, speedup=t1 / ta,
                         threads=os.cpu_count()))
        log(f"scaling d={d:5d}: 1 thread {t1:.3f} s, all {ta:.3f} s, "
            f"speed-up {t1 / ta:.2f} ({e1:.0f} / {ea:.0f} points)")
    return rows


def measure_batch(impls, n2=1000000, n3=100000):
    """Problems per second of mvn_prob_batch for d = 2 and 3."""
    rows = []
    for im in impls:
        if im.competitor:
            continue
        for d, n in ((2, n2), (3, n3)):
            for kind in ("orthant", "rect"):
                rate, _ = im.adapter.batch_rate(d, n, kind)
                rows.append(dict(impl=im.name, d=d, kind=kind, n=n, rate=rate))
                log(f"batch {im.name:14s} d={d} {kind:8s}: {rate / 1e6:.3f} M/s")
    return rows


def maxpts_for(im, d, call_cap):
    """Evaluation cap so that one call lasts at most about call_cap seconds,
    from the implementation's measured throughput at the nearest d."""
    if not im.ns_ppd:
        return 10_000_000
    near = min(im.ns_ppd, key=lambda k: abs(math.log(k) - math.log(d)))
    pts = call_cap / (im.ns_ppd[near] * 1e-9 * d)
    return int(min(1e8, max(1000, pts)))


# ------------------------------------------------------------------ analysis

def cells(results):
    """(impl, d, tol) -> dict(time = mean over instances, err = max, conv, n)."""
    groups = {}
    for r in results:
        groups.setdefault((r.impl, r.d, r.tol), []).append(r)
    out = {}
    for key, rs in groups.items():
        out[key] = dict(time=float(np.mean([r.time for r in rs])),
                        cpu=float(np.mean([r.cpu for r in rs])),
                        err=max(r.error for r in rs),
                        conv=all(r.converged for r in rs), n=len(rs),
                        maxpts=rs[0].maxpts)
    return out


def matched(cellmap, lib, d, err_target, metric):
    """The fastest lib cell at d whose achieved error <= err_target."""
    cands = [(c[metric], tol, c) for (im, dd, tol), c in cellmap.items()
             if im == lib and dd == d and c["err"] <= err_target and c["n"] > 0]
    return min(cands, key=lambda x: x[0]) if cands else None


def fmt_t(s):
    if s is None or not math.isfinite(s):
        return "-"
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.3g} ms"
    return f"{s * 1e6:.3g} us"


def fmt_e(e):
    return "0" if e == 0 else f"{e:.1e}"


def ratio_table(cellmap, impls, dims, tols, metric="time"):
    """Rows: per d and competitor tolerance, the competitors' cells, the
    matched libmvnorm cells and the ratios against the faster competitor."""
    comps = [im.name for im in impls if im.competitor]
    libs = [im.name for im in impls if not im.competitor]
    rows = []
    for d in dims:
        for tol in tols:
            row = dict(d=d, tol=tol, comp={}, lib={}, ratio={})
            for c in comps:
                row["comp"][c] = cellmap.get((c, d, tol))
            for lname in libs:
                best = None  # ratio vs the faster competitor after matching
                for c in comps:
                    cc = row["comp"][c]
                    if cc is None:
                        continue
                    m = matched(cellmap, lname, d, cc["err"], metric)
                    if m is None:
                        continue
                    r = cc[metric] / m[0]
                    if best is None or r < best[0]:
                        best = (r, c, m)
                row["ratio"][lname] = best
            if any(v is not None for v in row["comp"].values()):
                rows.append(row)
    return rows


def headline(rows, lib):
    """Per d: min, median and max ratio over the competitor tolerances."""
    out = {}
    for row in rows:
        b = row["ratio"].get(lib)
        if b is not None:
            out.setdefault(row["d"], []).append(b[0])
    return {d: (min(v), float(np.median(v)), max(v)) for d, v in out.items()}


# ----------------------------------------------------------------- reporting

def write_markdown(path, args, cfg, impls, results, notes, tp_rows, rows, rows_cpu,
                   command, started, elapsed, load, scaling_rows=(), batch_rows=()):
    cellmap = cells(results)
    libs = [im.name for im in impls if not im.competitor]
    comps = [im.name for im in impls if im.competitor]
    L = []
    L.append("# libmvnorm benchmarks\n")
    L.append("Generated by `bench/run_bench.py` (see bench/README.md); do not edit by hand.\n")
    L.append(f"- Command: `{command}`")
    L.append(f"- Date: {started} (run took {elapsed / 60:.1f} min)")
    L.append(f"- Machine: {machine()}; load average at start / end: {load[0]} / {load[1]}")
    for im in impls:
        L.append(f"- {im.name}: {im.version}")
    if not args.no_lib:
        L.append(f"- libmvnorm loaded from `{args.lib}`; source tree at commit {source_commit()}")
    L.append(f"- Mode: {'quick' if args.quick else 'full'}; dimensions "
             f"{', '.join(map(str, cfg['dims']))}; {cfg['n_random']} random instances per d "
             f"(one-factor and AR(1), alternating; {N_RANDOM_LARGE} for d >= {LARGE_D}) plus the equicorrelated rho = 1/2 "
             f"orthant (and the tridiagonal -1/2 orthant for d <= 5); releps = 0; "
             f"per-call cap about {cfg['call_cap']:g} s through maxpts, "
             f"{cfg['dim_budget']:g} s per implementation and d.")
    L.append("")
    L.append("Errors are true errors |P - P_exact| against exact references "
             "(closed forms, or 1-D / chained 1-D quadrature checked to 1e-13); "
             "a cell's error is the largest over its instances, its time the mean "
             "over instances of the best-of-k time per call. Wall time is the primary "
             "measure; CPU time is shown too because the machine is shared, and for "
             "single-threaded runs it is the less disturbed measure.\n")

    if libs and comps:
        L.append("## Speed-up at matched accuracy\n")
        L.append("For each competitor cell (d, requested abseps), libmvnorm's fastest "
                 "tolerance whose achieved error is <= the competitor's achieved error; "
                 "ratio = competitor time / libmvnorm time, against the faster of "
                 f"{' and '.join(comps)} after matching. Per d: min / median / max "
                 "over the requested tolerances (1e-3 ... 1e-6 where the competitors "
                 "ran them).\n")
        cols = [(f"{ln} wall", headline(rows, ln)) for ln in libs]
        cols.insert(1, (f"{libs[0]} CPU", headline(rows_cpu, libs[0])))
        L.append("| d | " + " | ".join(c for c, _ in cols) + " |")
        L.append("|---" * (len(cols) + 1) + "|")
        for d in cfg["dims"]:
            cellsd = []
            for _, h in cols:
                h = h.get(d)
                cellsd.append("-" if h is None else
                              f"{h[0]:.2g}x / {h[1]:.2g}x / {h[2]:.2g}x")
            L.append(f"| {d} | " + " | ".join(cellsd) + " |")
        L.append("")

    if tp_rows:
        L.append("## Inner-loop throughput\n")
        L.append("ns per point per dimension = time / (points * d), tolerance disabled "
                 "(abseps = 0) so that each call spends its whole budget; first one-factor "
                 "instance. libmvnorm points come from mvn_context_evaluations (CPU time "
                 "on one thread, wall time on all threads). SciPy and mvtnorm report no "
                 "count: their cost per point is the CPU-time difference between calls "
                 "forced to spend 4 maxpts and maxpts points, divided by 3 maxpts, at "
                 f"d <= {COMPETITOR_THROUGHPUT_MAX_D} (at d = 1000 MVTDST spends a fixed "
                 "minimum of several seconds per call whatever maxpts is).\n")
        dims_tp = sorted({r["d"] for r in tp_rows})
        names = [im.name for im in impls]
        L.append("| implementation | " + " | ".join(f"d = {d}" for d in dims_tp) + " |")
        L.append("|---" * (len(dims_tp) + 1) + "|")
        for n in names:
            vals = {r["d"]: r["ns"] for r in tp_rows if r["impl"] == n}
            L.append(f"| {n} | " + " | ".join(
                f"{vals[d]:.2f}" if d in vals else "n/a" for d in dims_tp) + " |")
        L.append("")

    if scaling_rows:
        L.append("## Threads\n")
        L.append("Wall time of one call with the tolerance disabled (abseps = 0, a fixed "
                 "budget of points), first one-factor instance, on one thread and on all "
                 f"{scaling_rows[0]['threads']} logical cores (MVN_OPT_THREADS = 0); "
                 "best of up to 3. Perfect scaling is a speed-up equal to the core count; "
                 "other jobs on the machine lower it.\n")
        L.append("| d | points | 1 thread | all threads | speed-up |")
        L.append("|---|---|---|---|---|")
        for r in scaling_rows:
            L.append(f"| {r['d']} | {r['points']:.0f} | {fmt_t(r['t1'])} | "
                     f"{fmt_t(r['tall'])} | {r['speedup']:.2f}x |")
        L.append("")
    if batch_rows:
        L.append("## Batches of bivariate and trivariate probabilities\n")
        L.append("One mvn_prob_batch call over n random problems, each with its own "
                 "correlation matrix (d = 2: r uniform in (-0.9, 0.9); d = 3: r12 uniform "
                 "in (-0.6, 0.9), r13 = r23 = 0.3); orthant: P(X < b), b uniform in "
                 "(-3, 3); rect: both limits finite, uniform in (-3, 3). These go to the "
                 "exact kernels (lib/bivariate.c, lib/trivariate.c; about 1e-15 absolute, "
                 "relative accuracy kept in the tails by a log-space path, see "
                 "doc/algorithms/). Millions of problems per second, wall time, best of 3; "
                 "per core = the all-threads rate divided by the core count.\n")
        L.append("| implementation | d = 2 orthant | d = 2 rect | d = 3 orthant | d = 3 rect |")
        L.append("|---|---|---|---|---|")
        for name in sorted({r["impl"] for r in batch_rows}):
            v = {(r["d"], r["kind"]): r["rate"] for r in batch_rows if r["impl"] == name}
            L.append(f"| {name} | " + " | ".join(
                f"{v[k] / 1e6:.3g}" if k in v else "n/a"
                for k in ((2, "orthant"), (2, "rect"), (3, "orthant"), (3, "rect"))) + " |")
        L.append("")

    L.append("## All cells\n")
    L.append("wall time per call (CPU time), means over instances, and max true error; `*` = the "
             "implementation reported the tolerance not met on some instance.\n")
    for d in cfg["dims"]:
        L.append(f"### d = {d}\n")
        L.append("| implementation | " + " | ".join(f"abseps {t:g}" for t in cfg["lib_tols"]) + " |")
        L.append("|---" * (len(cfg["lib_tols"]) + 1) + "|")
        for im in impls:
            if d > im.max_dim:
                L.append(f"| {im.name} | not supported (d > {im.max_dim}) |" +
                         " |" * (len(cfg["lib_tols"]) - 1))
                continue
            cs = []
            for t in cfg["lib_tols"]:
                c = cellmap.get((im.name, d, t))
                cs.append("" if c is None else
                          f"{fmt_t(c['time'])} ({fmt_t(c['cpu'])}), "
                          f"{fmt_e(c['err'])}{'' if c['conv'] else '*'}")
            L.append(f"| {im.name} | " + " | ".join(cs) + " |")
        for (n, dd), note in notes.items():
            if dd == d and note:
                L.append(f"\n{n}: {note}.")
        L.append("")
        if libs and comps:
            L.append("| abseps | " + " | ".join(comps) + " | "
                     + " | ".join(f"{ln} matched (tol, time, err) | ratio" for ln in libs) + " |")
            L.append("|---" * (1 + len(comps) + 2 * len(libs)) + "|")
            for row in rows:
                if row["d"] != d:
                    continue
                cc = [("-" if row["comp"][c] is None else
                       f"{fmt_t(row['comp'][c]['time'])}, {fmt_e(row['comp'][c]['err'])}")
                      for c in comps]
                lc = []
                for ln in libs:
                    b = row["ratio"][ln]
                    if b is None:
                        lc += ["no tolerance as accurate", "-"]
                    else:
                        r, c, (t, tol, cell) = b
                        lc += [f"{tol:g}, {fmt_t(t)}, {fmt_e(cell['err'])}",
                               f"{r:.2g}x vs {c}"]
                L.append(f"| {row['tol']:g} | " + " | ".join(cc) + " | " + " | ".join(lc) + " |")
            L.append("")
    L.append("![accuracy vs time](benchmarks.png)\n")
    L.append("## Caveats\n")
    L.append("- Wall times on a shared machine; the best of up to 5 repeats per instance "
             "damps, but does not remove, interference from other processes.")
    L.append("- R start-up is excluded (timing inside R); R's per-call interpreter "
             "overhead of pmvnorm is included, as a user pays it.")
    L.append("- SciPy 1.10 returns 0.0 "
             "without a warning for d > 500 (MVNDST's limit), so d > 500 is not run.")
    L.append("- BLAS threads are pinned to 1 (OPENBLAS_NUM_THREADS=1); SciPy's and "
             "mvtnorm's integrators are single-threaded Fortran.")
    L.append("- For d <= 3 libmvnorm uses exact (non-QMC) kernels, SciPy and mvtnorm an exact "
             "bivariate routine at d = 2; times there are dominated by call overhead "
             "(ctypes about 1 us, R's pmvnorm wrapper tens of us).")
    L.append("- SciPy is timed at _mvn.mvnun, the Fortran call that multivariate_normal.cdf "
             "makes in SciPy 1.10; cdf()'s Python layer and PSD check are left out.")
    L.append("- Each cell's error is a maximum over a handful of instances: randomized "
             "QMC errors fluctuate, so ratios between neighbouring tolerances are noisy.")
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")
    return "\n".join(L)


def plot(path, impls, results, dims):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    cellmap = cells(results)
    have = [d for d in dims if any(k[1] == d for k in cellmap)]
    if not have:
        return
    ncol = min(3, len(have))
    nrow = math.ceil(len(have) / ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.6 * ncol, 3.8 * nrow), squeeze=False)
    styles = {"libmvnorm-1t": ("C0", "o-"), "libmvnorm-all": ("C0", "o--"),
              "SciPy": ("C1", "s-"), "mvtnorm": ("C2", "^-")}
    for ax, d in zip(axes.ravel(), have):
        for im in impls:
            pts = sorted((tol, c) for (n, dd, tol), c in cellmap.items()
                         if n == im.name and dd == d)
            if not pts:
                continue
            color, st = styles.get(im.name, ("k", "x-"))
            ts = [c["time"] for _, c in pts]
            es = [max(c["err"], 1e-17) for _, c in pts]
            ax.loglog(ts, es, st, color=color, label=im.name, ms=4)
        ax.set_title(f"d = {d}")
        ax.set_xlabel("time per call [s]")
        ax.set_ylabel("max true error")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes.ravel()[len(have):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("Accuracy vs time; points: requested abseps, loose to tight", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def write_csv(path, results):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["impl", "d", "problem", "family", "tol", "maxpts", "time_s",
                    "cpu_s", "value", "exact", "abs_error", "converged", "evaluations", "calls"])
        for r in results:
            w.writerow([r.impl, r.d, r.problem, r.family, r.tol, r.maxpts,
                        f"{r.time:.6g}", f"{r.cpu:.6g}", repr(r.value), repr(r.exact),
                        f"{r.error:.3g}", int(r.converged), r.evaluations, r.calls])


# ---------------------------------------------------------------------- main

def main():
    args = parse_args()
    cfg = dict(QUICK if args.quick else FULL)
    if args.dims:
        cfg["dims"] = [int(x) for x in args.dims.split(",")]
    command = " ".join(shlex.quote(a) for a in [os.path.basename(sys.executable)] + sys.argv)
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t_start = time.time()
    load0 = "%.2f" % os.getloadavg()[0]
    os.makedirs(args.outdir, exist_ok=True)

    problems_mod.self_check()
    impls = build_impls(args)
    for im in impls:
        log(f"{im.name}: {im.version}")

    tp_rows = measure_throughput(impls, THROUGHPUT_DIMS)
    scaling_rows = measure_scaling(impls, THROUGHPUT_DIMS)
    batch_rows = measure_batch(impls, *((200000, 20000) if args.quick else (1000000, 100000)))
    results, notes = [], {}
    for d in cfg["dims"]:
        t0 = time.time()
        probs = problems_mod.problems_for(
            d, cfg["n_random"] if d < LARGE_D else min(cfg["n_random"], N_RANDOM_LARGE))
        log(f"d={d}: {len(probs)} problems, references in {time.time() - t0:.1f} s")
        for im in impls:
            if d > im.max_dim:
                notes[(im.name, d)] = f"not run, d > {im.max_dim}"
                continue
            tols = cfg["tols"] if im.competitor else cfg["lib_tols"]
            mp = maxpts_for(im, d, cfg["call_cap"])
            t1 = time.time()
            res, note = im.run_dim(probs, tols, mp, cfg["dim_budget"], cfg["rep_budget"])
            results += res
            notes[(im.name, d)] = note
            log(f"  {im.name:14s} maxpts={mp:<10d} {time.time() - t1:6.1f} s {note}")

    comps_tols = cfg["tols"]
    rows = ratio_table(cells(results), impls, cfg["dims"], comps_tols)
    rows_cpu = ratio_table(cells(results), impls, cfg["dims"], comps_tols, "cpu")
    load = (load0, "%.2f" % os.getloadavg()[0])
    elapsed = time.time() - t_start
    md = write_markdown(os.path.join(args.outdir, "benchmarks.md"), args, cfg, impls,
                        results, notes, tp_rows, rows, rows_cpu, command, started,
                        elapsed, load, scaling_rows, batch_rows)
    write_csv(os.path.join(args.outdir, "benchmarks.csv"), results)
    plot(os.path.join(args.outdir, "benchmarks.png"), impls, results,
         [d for d in PLOT_DIMS if d in cfg["dims"]] or cfg["dims"])
    print(md)


if __name__ == "__main__":
    main()
