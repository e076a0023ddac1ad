#!/usr/bin/env python3
# gen_refs_lowdim.py -- high-precision reference values for the d <= 3 kernel tests.
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage:  python3 tests/gen_refs_lowdim.py uni  > /tmp/uni_refs.h
#         python3 tests/gen_refs_lowdim.py bvn  > /tmp/bvn_refs.h
#         python3 tests/gen_refs_lowdim.py tvn  > /tmp/tvn_refs.h
# The output is C array text that was pasted into tests/test_*.c.  Every
# input is a double (printed with 17 significant digits, so it round-trips),
# and every reference is computed with mpmath at 40 digits for that exact
# double, so the references owe nothing to the code under test.
import random
import sys

import mpmath as mp

mp.mp.dps = 40


def d17(x):
    """A Python float printed so that C reads back the same double."""
    return repr(float(x))


def ref(x):
    if mp.isfinite(x) and abs(x) < mp.mpf(2) ** -1075:
        return "0.0"  # below half the smallest subnormal: rounds to 0
    return mp.nstr(x, 25, min_fixed=-1, max_fixed=1) if mp.isfinite(x) else (
        "-INFINITY" if x < 0 else "INFINITY")


def Phi(x):
    return mp.ncdf(mp.mpf(x))


def logPhi(x):
    # mpmath's erfc has an unbounded exponent range, so the plain formula
    # is accurate for any x (checked against the asymptotic series).
    x = mp.mpf(x)
    if x > 0:
        return mp.log1p(-mp.erfc(x / mp.sqrt(2)) / 2)
    return mp.log(mp.erfc(-x / mp.sqrt(2)) / 2)


def uni():
    rng = random.Random(20240601)
    xs = [0.0, -0.5, 0.5, -1.0, 1.0, -1e-300, 1e-10, -37.0, -37.5, -38.0, -38.4]
    xs += [rng.uniform(-38.4, 9.0) for _ in range(200)]
    print("/* x, Phi(x), Q(x) */")
    print("static const double uni_P[][3] = {")
    for x in xs:
        print("    {%s, %s, %s}," % (d17(x), ref(Phi(x)), ref(Phi(-mp.mpf(x)))))
    print("};")
    lxs = [-1e150, -1e100, -1e5, -1e3, -100.0, -40.0, -38.5, -37.000001,
           -36.99999, -20.0, -5.0, -1.0, 0.0, 1.0, 5.0, 8.0, 20.0, 37.0]
    lxs += [-10 ** rng.uniform(0, 6) for _ in range(60)]
    lxs += [rng.uniform(-40, 40) for _ in range(60)]
    print("/* x, log Phi(x) */")
    print("static const double uni_logP[][2] = {")
    for x in lxs:
        print("    {%s, %s}," % (d17(x), ref(logPhi(x))))
    print("};")
    # Quantiles: p spread over decades, both tails, and subnormal p.
    ps = [0.5, 0.25, 0.75, 0.075, 0.925, 0.0749999, 1e-300, 1e-310, 5e-324,
          1e-20, 1 - 2.0 ** -53, 0.9999999]
    ps += [10 ** rng.uniform(-320, -0.31) for _ in range(150)]
    ps += [1 - 10 ** rng.uniform(-15, -0.31) for _ in range(50)]
    print("/* p, Phi^-1(p) */")
    print("static const double uni_Pinv[][2] = {")
    for p in ps:
        p = float(p)
        print("    {%s, %s}," % (d17(p), ref(inv_p(mp.mpf(p)))))
    print("};")
    lps = [-1e300, -1e100, -1e10, -1e5, -1000.0, -745.5, -700.0, -690.5,
           -20.0, -1.0, -0.7, -0.5, -1e-5, -1e-300]
    lps += [-10 ** rng.uniform(-10, 8) for _ in range(80)]
    print("/* lp, Phi^-1(exp(lp)) */")
    print("static const double uni_logPinv[][2] = {")
    for lp in lps:
        x = inv_log(mp.mpf(lp))
        print("    {%s, %s}," % (d17(lp), ref(x)))
    print("};")
    iv = [(40.0, 41.0), (-41.0, -40.0), (1e3, mp.inf), (-mp.inf, -1e3),
          (40.0, 40.001), (-40.001, -40.0), (0.0, 1e-300), (-1e-8, 1e-8),
          (5.0, 5.5), (-0.1, 0.2), (-mp.inf, mp.inf), (-mp.inf, 0.0),
          (1.0, mp.inf), (-3.0, 2.0), (30.0, 30.5), (-8.0, -7.999),
          (2.0, 2.0 + 2.0 ** -40), (37.0, 45.0), (-1e5, -99999.999)]
    for _ in range(80):
        a = rng.uniform(-45, 45)
        w = 10 ** rng.uniform(-8, 1.5)
        iv.append((a, a + w))
    print("/* a, b, Phi(b) - Phi(a), log(Phi(b) - Phi(a)) */")
    print("static const double uni_diff[][4] = {")
    for a, b in iv:
        a = mp.mpf(float(a)) if mp.isfinite(a) else a
        b = mp.mpf(float(b)) if mp.isfinite(b) else b
        with mp.workdps(800):  # the difference may cancel up to 300 digits
            if b <= 0:
                v = Phi(b) - Phi(a)
            else:
                v = Phi(-a) - Phi(-b)
        v = +v
        # Direct integral as a cross-check for narrow intervals.
        if mp.isfinite(a) and mp.isfinite(b) and 1e-6 < b - a < 1:
            # Scaled so that quad's absolute tolerance is meaningful.
            c = a if a > 0 else (b if b < 0 else mp.mpf(0))
            v2 = mp.npdf(c) * mp.quad(lambda t: mp.exp(-(t - c) * (t + c) / 2), [a, b])
            assert abs(v2 - v) <= abs(v) * mp.mpf(10) ** -25, (a, b, v, v2)
        print("    {%s, %s, %s, %s}," % (
            d17(a) if mp.isfinite(a) else ("-INFINITY" if a < 0 else "INFINITY"),
            d17(b) if mp.isfinite(b) else ("-INFINITY" if b < 0 else "INFINITY"),
            ref(v), ref(mp.log(v))))
    print("};")


def inv_log(lp):
    """Phi^-1(exp(lp)) for lp < 0: Newton on log Phi in mpmath (at 40
    digits; log Phi has no cancellation in mpmath's exponent range)."""
    if lp > mp.log(mp.mpf(1) / 2):
        # p > 1/2: x = -Phi^-1(q) with q = 1 - p.
        return -inv_log(mp.log(-mp.expm1(lp)))
    x = -mp.sqrt(-2 * lp) if lp < -2 else mp.mpf(-0.5)
    for _ in range(200):
        lP = logPhi(x)
        dx = (lP - lp) / mp.exp(-x * x / 2 - mp.log(mp.sqrt(2 * mp.pi)) - lP)
        x -= dx
        if abs(dx) < abs(x) * mp.mpf(10) ** -36 + mp.mpf(10) ** -60:
            break
    else:
        raise RuntimeError("no convergence")
    return x


def inv_p(p):
    if p > mp.mpf(1) / 2:
        return -inv_log(mp.log(1 - p))
    return inv_log(mp.log(p))


def log_rect2(l1, h1, l2, h2, r):
    """log P(l1 < X < h1, l2 < Y < h2), correlation r (|r| < 1), by mpmath
    quadrature of phi(x) [Phi(b(x)) - Phi(a(x))] over x, with the integrand
    scaled by its maximum (so quad's absolute tolerance is relative to the
    result) and breakpoints around the maximum at several scales."""
    r = mp.mpf(r)
    s = mp.sqrt((1 - r) * (1 + r))

    def logdiff(a, b):
        # log(Phi(b) - Phi(a)) at the working precision, cancellation-free
        # enough thanks to the extra digits set by the caller.
        if a > 0:
            v = mp.erfc(a / mp.sqrt(2)) / 2 - mp.erfc(b / mp.sqrt(2)) / 2
        else:
            v = mp.erfc(-b / mp.sqrt(2)) / 2 - mp.erfc(-a / mp.sqrt(2)) / 2
        return mp.log(v) if v > 0 else mp.mpf("-inf")

    def L(x):
        return -x * x / 2 - mp.log(mp.sqrt(2 * mp.pi)) + logdiff(
            (l2 - r * x) / s, (h2 - r * x) / s)

    with mp.workdps(45):
        A = l1 if mp.isfinite(l1) else (min(h1, 0) - 60 if mp.isfinite(h1) else mp.mpf(-60))
        B = h1 if mp.isfinite(h1) else (max(l1, 0) + 60 if mp.isfinite(l1) else mp.mpf(60))
        A, B = mp.mpf(A), mp.mpf(B)
        # golden section for the maximum (L is concave)
        g = (mp.sqrt(5) - 1) / 2
        a, b = A, B
        for _ in range(110):
            x1, x2 = b - g * (b - a), a + g * (b - a)
            if L(x1) < L(x2):
                a = x1
            else:
                b = x2
        xm = (a + b) / 2
        M = L(xm)
        pts = [xm + d for d in (-30, -10, -3, -1, -0.3, -0.1, -0.03, -0.01, -0.001,
                                0, 0.001, 0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30)]
        lo = l1 if mp.isfinite(l1) else -mp.inf
        hi = h1 if mp.isfinite(h1) else mp.inf
        # The conditional probability steps where (b - r x)/s = 0, over a
        # width s/|r|: breakpoints there too (|r| -> 1 makes them sharp).
        for bnd in (l2, h2):
            if mp.isfinite(bnd) and r != 0:
                pts += [bnd / r + d * s / abs(r) for d in (-30, -10, -3, -1, 0, 1, 3, 10, 30)]
        pts = [lo] + sorted(p for p in pts if lo < p < hi) + [hi]
        v = mp.quad(lambda x: mp.exp(L(x) - M), pts)
        return M + mp.log(v)


def bvn_plackett(h, k, r):
    """Phi2(h, k; r) by the Sheppard/Plackett integral over asin(r), as an
    independent second route (60 digits)."""
    with mp.workdps(60):
        h, k, r = mp.mpf(h), mp.mpf(k), mp.mpf(r)
        base = mp.ncdf(h) * mp.ncdf(k)
        f = lambda t: mp.exp(-(h * h + k * k - 2 * h * k * mp.sin(t)) / (2 * mp.cos(t) ** 2))
        v = base + mp.quad(f, [0, mp.asin(r)]) / (2 * mp.pi)
    return v


def bvn():
    rng = random.Random(20240602)
    cases = [(0, 0, 0.5), (1, 2, 0.5), (-1, 1, -0.7), (0.5, -1.5, 0.3),
             (-3, -3, 0.9), (-5, -5, 0.5), (-8, -8, 0.5), (1, 1, 0.999),
             (2, -2, -0.95), (-2, -2, -0.95), (3, 3, -0.99), (-1, 0.5, 0.9999),
             (0.3, 0.3, -0.9999), (-6, -7, 0.98), (-10, -10, 0.5), (-4, 4, 0.925),
             (-4, 3, -0.925), (-4, -3, 0.3), (5, 5, 0.9), (-37, 1, 0.2)]
    for _ in range(100):
        band = rng.random()
        if band < 0.3:
            r = rng.uniform(-0.3, 0.3)
        elif band < 0.6:
            r = rng.choice([-1, 1]) * rng.uniform(0.3, 0.925)
        else:
            r = rng.choice([-1, 1]) * (1 - 10 ** rng.uniform(-6, -1.12))
        cases.append((rng.uniform(-7, 7), rng.uniform(-7, 7), r))
    print("/* h, k, r, Phi2(h, k; r), log Phi2 */")
    print("static const double bvn_cdf_refs[][5] = {")
    for h, k, r in cases:
        h, k, r = float(h), float(k), float(r)
        lv = log_rect2(-mp.inf, h, -mp.inf, k, r)
        v2 = bvn_plackett(h, k, r)
        v = mp.exp(lv)
        # The Plackett integrand is nearly singular at asin(r) when
        # |r| -> 1, where mpmath's quad is unreliable: check elsewhere.
        if abs(r) < 0.99:
            assert abs(v - v2) <= mp.mpf(10) ** -28 + abs(v) * mp.mpf(10) ** -20, (h, k, r, v, v2)
        print("    {%s, %s, %s, %s, %s}," % (d17(h), d17(k), d17(r), ref(v), ref(lv)))
    print("};")
    rects = [((-mp.inf, -mp.inf), (-10, -10), 0.5), ((-mp.inf, -mp.inf), (-40, -40), 0.5),
             ((40, 40), (mp.inf, mp.inf), 0.5), ((-1, -1), (1, 1), 0.5),
             ((2, -1), (2.5, 1), -0.8), ((30, -mp.inf), (31, 0), 0.99),
             ((-mp.inf, 5), (-5, mp.inf), -0.3), ((6, 6), (6.001, 6.001), 0.7),
             ((-mp.inf, -mp.inf), (-100, -100), 0.9), ((10, -mp.inf), (mp.inf, -10), -0.5),
             ((0, 0), (mp.inf, mp.inf), -0.999), ((1, 1), (mp.inf, mp.inf), -0.99)]
    for _ in range(60):
        r = rng.uniform(-0.999, 0.999)
        c1, c2 = rng.uniform(-30, 30), rng.uniform(-30, 30)
        w1, w2 = 10 ** rng.uniform(-3, 1.5), 10 ** rng.uniform(-3, 1.5)
        l1, h1 = c1 - w1, c1 + w1
        l2, h2 = c2 - w2, c2 + w2
        if rng.random() < 0.2:
            l1 = -mp.inf
        if rng.random() < 0.2:
            h2 = mp.inf
        rects.append(((l1, l2), (h1, h2), r))
    print("/* l1, l2, h1, h2, r, P, log P */")
    print("static const double bvn_rect_refs[][7] = {")
    for (l1, l2), (h1, h2), r in rects:
        vals = [mp.mpf(float(v)) if mp.isfinite(v) else v for v in (l1, l2, h1, h2)]
        r = float(r)
        lv = log_rect2(vals[0], vals[2], vals[1], vals[3], r)
        def c(v):
            return d17(v) if mp.isfinite(v) else ("-INFINITY" if v < 0 else "INFINITY")
        print("    {%s, %s, %s, %s, %s, %s, %s}," % (
            c(vals[0]), c(vals[1]), c(vals[2]), c(vals[3]), d17(r), ref(mp.exp(lv)), ref(lv)))
    print("};")


def log_onefactor(lo, hi, lam):
    """log P(lo < X < hi) for X_i = lam_i Z + sqrt(1 - lam_i^2) E_i (so
    r_ij = lam_i lam_j): mpmath quadrature over Z of
    phi(z) prod_i [Phi(b_i(z)) - Phi(a_i(z))], scaled by its maximum, with
    breakpoints where each conditional limit crosses 0."""
    with mp.workdps(40):
        lam = [mp.mpf(v) for v in lam]
        s = [mp.sqrt(1 - v * v) for v in lam]

        def logdiff(a, b):
            if a > 0:
                v = mp.erfc(a / mp.sqrt(2)) / 2 - mp.erfc(b / mp.sqrt(2)) / 2
            else:
                v = mp.erfc(-b / mp.sqrt(2)) / 2 - mp.erfc(-a / mp.sqrt(2)) / 2
            return mp.log(v) if v > 0 else mp.mpf("-inf")

        def L(z):
            t = -z * z / 2 - mp.log(mp.sqrt(2 * mp.pi))
            for i in range(len(lam)):
                t += logdiff((lo[i] - lam[i] * z) / s[i], (hi[i] - lam[i] * z) / s[i])
            return t

        a, b = mp.mpf(-80), mp.mpf(80)
        g = (mp.sqrt(5) - 1) / 2
        for _ in range(120):
            x1, x2 = b - g * (b - a), a + g * (b - a)
            if L(x1) < L(x2):
                a = x1
            else:
                b = x2
        zm = (a + b) / 2
        M = L(zm)
        pts = [zm + d for d in (-40, -20, -10, -3, -1, -0.3, -0.1, -0.01, 0, 0.01, 0.1, 0.3, 1, 3, 10, 20, 40)]
        for i in range(len(lam)):
            for bnd in (lo[i], hi[i]):
                if mp.isfinite(bnd) and lam[i] != 0:
                    pts += [bnd / lam[i] + d * s[i] / abs(lam[i]) for d in (-10, -3, -1, 0, 1, 3, 10)]
        pts = [-mp.inf] + sorted(set(pts)) + [mp.inf]
        v = mp.quad(lambda z: mp.exp(L(z) - M), pts)
        return M + mp.log(v)


def tvn_conditional(h, r):
    """Phi3(h; R) = int_{-inf}^{h1} phi(t) Phi2(conditional) dt, the inner
    bivariate by the Plackett integral (accurate for |rho| < 0.99), 25 digits."""
    with mp.workdps(25):
        h = [mp.mpf(v) for v in h]
        r12, r13, r23 = [mp.mpf(v) for v in r]
        s2, s3 = mp.sqrt(1 - r12 ** 2), mp.sqrt(1 - r13 ** 2)
        rho = (r23 - r12 * r13) / (s2 * s3)
        assert abs(rho) < 0.99

        def f(t):
            return mp.npdf(t) * bvn_plackett((h[1] - r12 * t) / s2, (h[2] - r13 * t) / s3, rho)
        pts = [-mp.inf] + [v for v in (-8, -4, -2, -1, 0, 1, 2, 4) if v < h[0]] + [h[0]]
        return mp.quad(f, pts)


def tvn():
    rng = random.Random(20240603)
    # Random one-factor correlation structures and rectangles, many in the
    # tails; the one-factor integral gives log P with relative accuracy.
    print("/* lo[3], hi[3], r12, r13, r23, P, log P (one-factor structures) */")
    print("static const double tvn_rect_refs[][11] = {")
    cases = [((-mp.inf,) * 3, (-8.0, -8.0, -8.0), (0.5, 0.5, 0.5)),
             ((-mp.inf,) * 3, (-20.0, -15.0, -18.0), (0.7, -0.3, 0.6)),
             ((1.0, 2.0, 3.0), (mp.inf,) * 3, (0.9, 0.8, 0.7)),
             ((-1.0, -1.0, -1.0), (1.0, 1.0, 1.0), (0.5, -0.5, 0.5)),
             ((-mp.inf,) * 3, (0.0, 0.0, 0.0), (0.9, 0.9, 0.9)),
             ((-mp.inf,) * 3, (-40.0, -40.0, -40.0), (0.8, 0.8, 0.8))]
    for _ in range(40):
        lam = [rng.uniform(-0.95, 0.95) for _ in range(3)]
        lo, hi = [], []
        for i in range(3):
            c = rng.uniform(-12, 12)
            w = 10 ** rng.uniform(-2, 1.5)
            l, u = c - w, c + w
            if rng.random() < 0.25:
                l = -mp.inf
            elif rng.random() < 0.25:
                u = mp.inf
            lo.append(l)
            hi.append(u)
        cases.append((tuple(lo), tuple(hi), tuple(lam)))

    def c(v):
        return d17(v) if mp.isfinite(v) else ("-INFINITY" if v < 0 else "INFINITY")
    for lo, hi, lam in cases:
        lo = [mp.mpf(float(v)) if mp.isfinite(v) else v for v in lo]
        hi = [mp.mpf(float(v)) if mp.isfinite(v) else v for v in hi]
        lam = [float(v) for v in lam]
        # r as doubles; the reference uses lam exactly, so r_ij must be the
        # double nearest lam_i lam_j: the difference (<1e-16 relative) is
        # far below the test tolerances.
        r = [lam[0] * lam[1], lam[0] * lam[2], lam[1] * lam[2]]
        lv = log_onefactor(lo, hi, lam)
        print("    {%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s}," % (
            c(lo[0]), c(lo[1]), c(lo[2]), c(hi[0]), c(hi[1]), c(hi[2]),
            d17(r[0]), d17(r[1]), d17(r[2]), ref(mp.exp(lv)), ref(lv)))
    print("};")
    # General (not one-factor) correlation matrices: cdf by the conditional
    # route.
    print("/* h[3], r12, r13, r23, Phi3 (general matrices) */")
    print("static const double tvn_cdf_refs[][7] = {")
    n = 0
    while n < 12:
        r = [rng.uniform(-0.9, 0.9) for _ in range(3)]
        det = 1 - r[0] ** 2 - r[1] ** 2 - r[2] ** 2 + 2 * r[0] * r[1] * r[2]
        s2, s3 = (1 - r[0] ** 2) ** 0.5, (1 - r[1] ** 2) ** 0.5
        if det < 0.02 or abs((r[2] - r[0] * r[1]) / (s2 * s3)) > 0.98:
            continue
        h = [rng.uniform(-3, 3) for _ in range(3)]
        v = tvn_conditional(h, r)
        print("    {%s, %s, %s, %s, %s, %s, %s}," % (
            d17(h[0]), d17(h[1]), d17(h[2]), d17(r[0]), d17(r[1]), d17(r[2]), ref(v)))
        n += 1
    print("};")


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "uni"
    {"uni": uni, "bvn": bvn, "tvn": tvn}[what]()
