#!/usr/bin/python3
# fit_q.py -- computes the polynomial table of lib/simd/phi_impl.h (upper normal tail Q).
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Q(x) = 1 - Phi(x) for x >= 0 is written as
#     Q(x) = t exp(-x^2/2 + G(t)),   t = K / (K + x),   K = 3,
# which maps [0, inf) onto (0, 1].  G is smooth on [0, 1]; its limit at t = 0
# is -log(K sqrt(2 pi)) (Mills ratio).  G is interpolated at N Chebyshev
# nodes of u = 2t - 1 with mpmath at 50 digits, truncated to DEG + 1 terms,
# converted to powers of u and rounded to double.  The script then evaluates
# the rounded polynomial in double precision (Horner, no fused multiply-add,
# as the C kernel does) on a dense grid of t and reports the largest
# absolute error of G, which is the largest relative error this part adds
# to Q.  Run: /usr/bin/python3 lib/simd/fit_q.py
import mpmath as mp

mp.mp.dps = 50
K = mp.mpf(3)
N = 80
DEG = 24


def G(t):
    t = mp.mpf(t)
    if t == 0:
        return -mp.log(K * mp.sqrt(2 * mp.pi))
    x = K * (1 - t) / t
    q = mp.erfc(x / mp.sqrt(2)) / 2
    return mp.log(q / t) + x * x / 2


nodes = [mp.cos(mp.pi * (k + mp.mpf(1) / 2) / N) for k in range(N)]
vals = [G((u + 1) / 2) for u in nodes]
cheb = [2 * mp.fsum(vals[k] * mp.cos(mp.pi * j * (k + mp.mpf(1) / 2) / N)
                    for k in range(N)) / N for j in range(N)]
cheb[0] /= 2
# Chebyshev series -> power series in u (exact rational arithmetic in mpmath).
T = [[mp.mpf(1)], [mp.mpf(0), mp.mpf(1)]]
for n in range(2, DEG + 1):
    a = [mp.mpf(0)] + [2 * c for c in T[n - 1]]
    b = T[n - 2] + [mp.mpf(0)] * (len(a) - len(T[n - 2]))
    T.append([x - y for x, y in zip(a, b)])
mono = [mp.mpf(0)] * (DEG + 1)
for n in range(DEG + 1):
    for k, c in enumerate(T[n]):
        mono[k] += cheb[n] * c
coef = [float(c) for c in mono]


def horner(u):
    s = coef[DEG]
    for k in range(DEG - 1, -1, -1):
        s = s * u + coef[k]
    return s


worst = 0.0
for i in range(20001):
    t = i / 20000.0
    err = abs(horner(2.0 * t - 1.0) - G(t))
    worst = max(worst, float(err))
print("/* truncation: |c_%d..| = %s */" % (DEG + 1, ", ".join(
    "%.1e" % abs(float(c)) for c in cheb[DEG + 1:DEG + 5])))
print("/* max |G_double - G| on 20001 points of [0, 1]: %.2e */" % worst)
print("static const double mvni_q_g[%d] = {" % (DEG + 1))
for k in range(0, DEG + 1, 2):
    print("    " + ", ".join("%.17e" % c for c in coef[k:k + 2]) + ",")
print("};")
print("/* sum |coef| = %.3e */" % sum(abs(c) for c in coef))
