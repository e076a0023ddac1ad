#!/usr/bin/env python3
# mkseeds.py -- writes the hand-made seeds of the fuzz corpus
# (tests/fuzz/corpus/api/seed-*, tests/fuzz/corpus/cli/seed-*): ordinary
# problems for every entry point, and the reproducers of issue 14's
# findings where they can be written as one input.  Inputs found by
# libFuzzer (crash-*, regress-*) are kept beside them and are not touched.
#   python3 tests/fuzz/mkseeds.py [--pending]   (from the source tree)
# The byte layout is the one fuzz_api.c decodes (see its header comment).
# SPDX-License-Identifier: GPL-3.0-or-later
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
INF = math.inf

# Entry points, in fuzz_api.c's order.
(PROB, CHOL, BATCH, LOGBATCH, PLAN, GRAD, GRAD_BATCH, GRAD_ERR_BATCH,
 LOGGRAD_BATCH, HESSIAN, COMPUTE, UNIVARIATE) = range(12)


def num(x):
    """A number as fuzz_value reads it: the raw-bytes tag and 8 bytes."""
    return b'\xc0' + struct.pack('<d', x)


def options(method='auto', reorder='gge', maxpts=20000, abseps=1e-5,
            releps=0.0, seed=0, gradient='closed'):
    m = {'auto': 0, 'qmc': 4, 'tilted': 6}[method]
    r = {'gge': 0, 'none': 1}[reorder]
    mp = max(0, min(254, round((maxpts - 1000) / 200)))
    a = [1e-5, 1e-4, 1e-3, 1e-6, 0.0, 1e-2, 1e-8].index(abseps)
    rl = {0.0: 0, 1e-3: 3, 1e-2: 4, 1e-1: 5, 1e-6: 6}[releps]
    g = {'closed': 0, 'estimator': 1}[gradient]
    # shifts and error factor: 7 and 10 leave the defaults (8, 3.5).
    return bytes([m, r, mp, a, rl, seed, 7, 10, g])


def problem(entry, d, sigma, lower=None, upper=None, mean=None, opts=None,
            flags=0, n=1, broadcast=0, col_major=0, variant=0, chol=None,
            dbyte=None):
    """sigma: a full d x d list (raw symmetric mode 0), or chol: a lower
    triangular L (mode 1, Sigma = L L^T)."""
    out = bytes([entry, flags, d if dbyte is None else dbyte])
    out += opts if opts is not None else options()
    if dbyte is not None and 236 <= dbyte < 248:
        out += bytes([d - 13])
    if chol is not None:
        out += bytes([1])
        for i in range(d):
            for j in range(i + 1):
                out += num(chol[i][j])
    else:
        out += bytes([0])
        for i in range(d):
            for j in range(i + 1):
                out += num(sigma[i][j])
    out += bytes([0])  # no perturbations
    lower = lower if lower is not None else [-INF] * d
    upper = upper if upper is not None else [INF] * d
    for i in range(d):
        kind = (1 if lower[i] == -INF else 0) | (2 if upper[i] == INF else 0)
        out += bytes([kind])
        if not kind & 1:
            out += num(lower[i])
        if not kind & 2:
            out += num(upper[i])
    mean = mean if mean is not None else [0.0] * d
    for i in range(d):
        out += num(mean[i])
    out += bytes([(n - 1) | broadcast << 2 | col_major << 3 | variant << 4])
    return out


def equi(d, rho, var=1.0):
    return [[var * (1.0 if i == j else rho) for j in range(d)] for i in range(d)]


GENZ = [[4, 3, 2, 1], [3, 5, -1, 1], [2, -1, 4, 2], [1, 1, 2, 5]]
S3 = [[2, 0.6, 0.3], [0.6, 1, 0.2], [0.3, 0.2, 1.5]]
ONEFAC5 = [[1.5 if i == j else 0.4 for j in range(5)] for i in range(5)]

api = {}
# Ordinary problems through every entry point.
api['prob-genz4'] = problem(PROB, 4, GENZ, upper=[1, 2, 3, 4])
api['prob-biv-orthant'] = problem(PROB, 2, equi(2, 0.5), upper=[0, 0])
api['prob-triv-rect'] = problem(PROB, 3, S3, lower=[-1, -INF, 0], upper=[1, 2, INF],
                                mean=[0.5, -0.5, 1])
api['prob-univariate'] = problem(PROB, 1, [[2.0]], lower=[-1], upper=[0.5])
api['prob-equi10'] = problem(PROB, 10, equi(10, 0.5), lower=[0] * 10)
api['prob-tilted-tail'] = problem(PROB, 6, equi(6, 0.5), lower=[3] * 6,
                                  opts=options(method='tilted', abseps=0.0, releps=1e-2))
api['prob-noreorder'] = problem(PROB, 5, ONEFAC5, upper=[1, 0, 2, -1, 0.5],
                                opts=options(reorder='none'))
api['prob-d0'] = problem(PROB, 0, [])
api['chol-row'] = problem(CHOL, 3, None, chol=[[1, 0, 0], [0.5, 1, 0], [0.2, 0.3, 1]],
                          upper=[0, 1, 2])
api['chol-col-zero-pivot'] = problem(CHOL, 3, None, chol=[[1, 0, 0], [1, 0, 0], [0.2, 0.3, 1]],
                                     upper=[0, 1, 2], col_major=1)
api['batch-3-copies'] = problem(BATCH, 4, GENZ, upper=[1, 2, 3, 4], n=3)
api['batch-broadcast'] = problem(BATCH, 3, S3, upper=[1, 1, 1], n=2, broadcast=1)
api['batch-chol'] = problem(BATCH, 3, None, chol=[[1, 0, 0], [0.5, 1, 0], [0.2, 0.3, 1]],
                            upper=[0, 1, 2], n=2, variant=1)
api['logbatch-tail'] = problem(LOGBATCH, 5, ONEFAC5, upper=[-6] * 5, n=2,
                               opts=options(abseps=0.0, releps=1e-2))
api['plan-genz4'] = problem(PLAN, 4, GENZ, upper=[1, 2, 3, 4], n=2)
api['grad-triv'] = problem(GRAD, 3, S3, lower=[-1, -INF, 0], upper=[1, 2, INF],
                           mean=[0.5, -0.5, 1])
api['grad-estimator-4'] = problem(GRAD, 4, GENZ, upper=[1, 2, 3, 4],
                                  opts=options(gradient='estimator'))
api['gradbatch-2'] = problem(GRAD_BATCH, 2, equi(2, -0.3), upper=[0.5, 1], n=2)
api['graderrbatch-4'] = problem(GRAD_ERR_BATCH, 4, GENZ, upper=[1, 2, 3, 4])
api['loggradbatch-tail'] = problem(LOGGRAD_BATCH, 3, S3, upper=[-10, -10, -10])
api['hessian-3'] = problem(HESSIAN, 3, S3, upper=[0.5, 1, 1.5])
api['compute-prob-backwards'] = problem(COMPUTE, 3, S3, upper=[0.5, 1, 1.5], n=3,
                                        col_major=1, variant=0)
api['compute-grad'] = problem(COMPUTE, 4, GENZ, upper=[1, 2, 3, 4], n=2, variant=1)
api['compute-loggrad'] = problem(COMPUTE, 2, equi(2, 0.9), upper=[-5, -5], variant=2)
# The univariate entry's byte after the problem chooses among the univariate
# helpers (0) and the 0.2 entry points (fuzz_api.c's LLVMFuzzerTestOneInput):
# 1 mvn_prob_t, 2 mvn_prob_t_grad_sigma, 3 the quantiles, 4 and 5 sampling.
(SUB_UNIVARIATE, SUB_T, SUB_T_GRAD, SUB_QUANTILE, SUB_SAMPLE) = range(5)


def quantile_bytes(p100, tail, t, df2=None):
    """run_quantile's bytes for p = p100 / 100, a tail (0 lower, 1 upper,
    2 both) and normal or t (df = df2 / 2)."""
    out = bytes([tail | t << 2, p100 - 1])
    return out + (bytes([df2 - 1]) if t else b'')


api['univariate'] = problem(UNIVARIATE, 0, []) + bytes([SUB_UNIVARIATE]) + \
    num(5e19) + num(1.5e154) + num(-1.5e154) + num(-40) + num(1e-300) + num(-1e300) + \
    num(38.5) + num(-38.5)
# run_t's byte: even, df = (1 + b % 60) / 2; bit 1: delta = the mean.
api['t-triv-df4.5'] = problem(UNIVARIATE, 3, S3, lower=[-1, -INF, 0], upper=[1, 2, INF]) + \
    bytes([SUB_T, 8])
api['t-genz4-df0.5-noncentral'] = problem(UNIVARIATE, 4, GENZ, upper=[1, 2, 3, 4],
                                          mean=[0.5, 0, -0.5, 1]) + bytes([SUB_T, 2])
api['t-grad-sigma-triv'] = problem(UNIVARIATE, 3, S3, lower=[-1, -INF, 0], upper=[1, 2, INF]) + \
    bytes([SUB_T_GRAD, 6])
api['t-grad-sigma-genz4'] = problem(UNIVARIATE, 4, GENZ, upper=[1, 2, 3, 4]) + \
    bytes([SUB_T_GRAD, 20])
api['quantile-normal-both-0.95'] = problem(UNIVARIATE, 3, S3) + \
    bytes([SUB_QUANTILE]) + quantile_bytes(95, 2, 0)
api['quantile-t-lower-0.9'] = problem(UNIVARIATE, 4, GENZ) + \
    bytes([SUB_QUANTILE]) + quantile_bytes(90, 0, 1, 9)
api['sample-triv-3'] = problem(UNIVARIATE, 3, S3, lower=[-1, -INF, 0], upper=[1, 2, INF], n=3) + \
    bytes([SUB_SAMPLE])
api['sample-tail-5'] = problem(UNIVARIATE, 5, ONEFAC5, lower=[3] * 5, n=2) + bytes([SUB_SAMPLE])
api['prob-d40-onefactor'] = problem(PROB, 40, equi(40, 0.3), upper=[1.0] * 40,
                                    dbyte=236 + 4, opts=options(maxpts=5000, abseps=1e-3))

# Issue 14, where a finding is one input (the numbers are the issue's).
# 1: near-degenerate correlation, d = 5, 1 - rho = 1e-6 and 1e-8, X < 0.
api['issue14-f1-equi5-1e-6'] = problem(PROB, 5, equi(5, 1 - 1e-6), upper=[0] * 5)
api['issue14-f1-equi5-1e-8'] = problem(PROB, 5, equi(5, 1 - 1e-8), upper=[0] * 5)
# 2: NaN with status OK for huge arguments.
api['issue14-f2-upper-1.5e154'] = problem(PROB, 1, [[1.0]], upper=[-1.5e154])
api['issue14-f2-mean-1e300-grad'] = problem(GRAD, 2, equi(2, 0.5), lower=[-1, -1],
                                            upper=[1, 1], mean=[1e300, -1e300])
api['issue14-f2-limits-1e300-grad'] = problem(GRAD, 3, S3, lower=[-1e300, 0, -1],
                                              upper=[1e300, 1e300, 1])
# 3: UB in the log-space multiplier: Genz 4-D with lower[0] = 1e10.
api['issue14-f3-genz-lower-1e10'] = problem(PROB, 4, GENZ, lower=[1e10, -INF, -INF, -INF],
                                            upper=[INF, 2, 3, 4])
api['issue14-f3-genz-lower-1e10-qmc'] = problem(PROB, 4, GENZ, lower=[1e10, -INF, -INF, -INF],
                                                upper=[INF, 2, 3, 4], opts=options(method='qmc'))
# 4: tiny variances with a nonzero off-diagonal entry.
api['issue14-f4-variances-1e-170'] = problem(PROB, 3, [[v * 1e-170 for v in r] for r in S3],
                                             upper=[1e-85, 0, 2e-85])
api['issue14-f4-variances-1e-300-qmc'] = problem(PROB, 4, [[v * 1e-300 for v in r] for r in GENZ],
                                                 upper=[1e-150, 2e-150, 3e-150, 4e-150],
                                                 opts=options(method='qmc'))
# 5: derivatives for variances from 1e155.
api['issue14-f5-grad-variances-1e155'] = problem(GRAD, 2, [[1e155, 0.5e155], [0.5e155, 1e155]],
                                                 upper=[1e77, 2e77])
# 6: batch and plan entry points that fail early.
api['issue14-f6-batch-d0'] = problem(BATCH, 0, [], n=3)
api['issue14-f6-logbatch-d0'] = problem(LOGBATCH, 0, [], n=2)
api['issue14-f6-logbatch-hugedim'] = problem(LOGBATCH, 4, None, n=2, dbyte=248,
                                             chol=[[1, 0, 0, 0]] * 4)
api['issue14-f6-plan-null-ctx'] = problem(PLAN, 3, S3, upper=[0, 0, 0], n=2, flags=0xe0)
api['issue14-f6-compute-null-ctx'] = problem(COMPUTE, 0, [], n=2, flags=0xe0)
api['issue14-f6-gradbatch-hugedim'] = problem(GRAD_BATCH, 4, None, dbyte=249,
                                              chol=[[1, 0, 0, 0]] * 4)
# 7: one cause, one status: an eigenvalue of -1e-11, single call vs batch vs gradient.
neg = [[1.0, 1.0 + 2e-11], [1.0 + 2e-11, 1.0]]
api['issue14-f7-eig-neg1e-11-batch'] = problem(BATCH, 2, neg, upper=[0, 0], n=2)
api['issue14-f7-eig-neg1e-11-grad'] = problem(GRAD, 2, neg, upper=[0, 0])
api['issue14-f7-nan-sigma-batch'] = problem(BATCH, 3, [[1, math.nan, 0], [math.nan, 1, 0], [0, 0, -1]],
                                            upper=[0, 0, 0], n=2)
# 8: rank-deficient 4-D Sigma with P = 0 (the cost of derivatives).
rank2 = [[1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 0, 0], [0, 1, 0, 0]]
api['issue14-f8-rankdef-grad-p0'] = problem(GRAD, 4, None, chol=rank2, lower=[0, -INF, 0, -INF],
                                            upper=[INF, -1, INF, -1])
api['issue14-f8-rankdef-hessian-p0'] = problem(HESSIAN, 4, None, chol=rank2, lower=[0, -INF, 0, -INF],
                                               upper=[INF, -1, INF, -1])

# Kept out of the replayed corpus until the code they exercise is fixed
# (tests/fuzz/pending/README.md).
# Findings fixed since are written to the corpus with the others (1b, the
# only one so far); pending stays for the next that cannot be fixed at once.
pending = {}
# 1b: METHOD_QMC on a 2-D Sigma with an eigenvalue below the singularity
# tolerance: P = 0 with status OK; exact 5.03e-7 (the exact-vs-QMC check).
r = 1 - 5e-12
api['issue14-f1b-qmc-singular-2d'] = problem(PROB, 2, [[1, r], [r, 1]], lower=[-INF, 0],
                                                 upper=[0, INF])

cli = {
    'ok-bivariate': '{"id": "bivariate-orthant", "upper": [0, 0], "cov": [[1, 0.5], [0.5, 1]]}',
    'ok-genz4': '{"id": "genz-4d", "upper": [1, 2, 3, 4], "cov": [[4, 3, 2, 1], [3, 5, -1, 1], [2, -1, 4, 2], [1, 1, 2, 5]]}',
    'ok-rect-grad': '{"id": 7, "lower": [-1, null, 0], "upper": [1, 2, null], "mean": [0.5, -0.5, 1], "cov": [[2, 0.6, 0.3], [0.6, 1, 0.2], [0.3, 0.2, 1.5]], "grad": true}',
    'ok-chol-lower-triangle': '{"lower": [0, 0, 0], "chol": [[1], [0.5, 1], [0.2, 0.3, 1]]}',
    'ok-options': '{"upper": [1, 1], "cov": [[1, 0.2], [0.2, 1]], "abseps": 0, "releps": 0.01, "maxpts": 20000, "seed": 42}',
    'ok-tail': '{"upper": [-20, -20, -20, -20], "cov": [[1,0.5,0.5,0.5],[0.5,1,0.5,0.5],[0.5,0.5,1,0.5],[0.5,0.5,0.5,1]], "abseps": 0, "releps": 0.01}',
    'err-not-json': '{"upper": [0, 0], "cov": [[1, 0], [0, 1]]',
    'err-unknown-key': '{"uper": [0], "cov": [[1]]}',
    'err-both-matrices': '{"cov": [[1]], "chol": [[1]]}',
    'err-length-mismatch': '{"upper": [0, 0, 0], "cov": [[1, 0], [0, 1]]}',
    'err-not-square': '{"cov": [[1, 0], [0]]}',
    'err-chol-upper': '{"chol": [[1, 0.5], [0.5, 1]]}',
    'err-not-object': '[1, 2, 3]',
    'err-duplicate-key': '{"cov": [[1]], "cov": [[2]]}',
    'err-grad-not-bool': '{"cov": [[1]], "grad": 1}',
    'err-nan-sigma-notpd': '{"upper": [0, 0], "cov": [[1, 2], [2, 1]]}',
    'err-bounds': '{"lower": [1], "upper": [0], "cov": [[1]]}',
    'err-d0': '{"cov": []}',
    'err-maxpts-low': '{"cov": [[1]], "maxpts": 10}',
    'err-unicode-key': '{"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9": 1, "cov": [[1]]}',
    # Found while writing fuzz_cli.c: a key cut inside a character lost the
    # error record's message.
    'regress-unknown-key-cut-utf8': '{"a' + '\u00e9' * 40 + '": 1, "cov": [[1]]}',
    'id-nested': '{"id": {"a": [1, "x", null]}, "cov": [[1]], "upper": [0]}',
    # Issue 14, finding 9.
    'issue14-f9-int-beyond-int64': '{"upper": [123456789012345678901234567890], "cov": [[1]]}',
    'issue14-f9-seed-2p53p1': '{"upper": [0], "cov": [[1]], "seed": 9007199254740993}',
    'issue14-f9-id-beyond-int64': '{"id": 123456789012345678901234567890, "upper": [1e400], "cov": [[1]]}',
    'issue14-f9-nul-first': '\0{"cov": [[1]]}',
    'issue14-f9-nul-inside': '{"cov": [[1]]\0}',
    # Finding 2 through the program: p must never be null with status ok.
    'issue14-f2-upper-huge': '{"upper": [-1.5e154], "cov": [[1]]}',
    'issue14-f2-mean-1e300-grad': '{"lower": [-1, -1], "upper": [1, 1], "mean": [1e300, -1e300], "cov": [[1, 0.5], [0.5, 1]], "grad": true}',
    'issue14-f4-tiny-variances': '{"upper": [0, 0], "cov": [[1e-170, 5e-171], [5e-171, 1e-170]]}',
    'crlf-line': '{"cov": [[1]], "upper": [0]}\r',
    'comment': '# a comment line writes nothing',
}


def write(dirname, items, binary):
    os.makedirs(dirname, exist_ok=True)
    for name, data in items.items():
        path = os.path.join(dirname, 'seed-' + name)
        with open(path, 'wb') as f:
            f.write(data if binary else data.encode('utf-8'))


if '--pending' in sys.argv:
    write(os.path.join(HERE, 'pending', 'api'), pending, True)
else:
    write(os.path.join(HERE, 'corpus', 'api'), api, True)
    write(os.path.join(HERE, 'corpus', 'cli'), cli, False)
    if pending:
        write(os.path.join(HERE, 'pending', 'api'), pending, True)
