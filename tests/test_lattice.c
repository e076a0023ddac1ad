/* test_lattice.c -- rank-1 lattice table and counter-based uniform generator.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qmc/qmc.h"
#include "exact/exact.h"
#include "tap.h"

/* Error of the unshifted rule of N = 2 n_k points on the periodic test
   function prod_j (1 + g_j 2 pi^2 B2(x_j)), B2(x) = x^2 - x + 1/6, whose
   integral is exactly 1 (B2 has mean zero over a period). */
static double periodic_error(int k, int s)
{
    const double pi = 3.14159265358979323846;
    uint64_t N = 2 * mvni_lattice_points(k), z[16], r[16];
    for (int j = 0; j < s; ++j) {
        z[j] = mvni_lattice_generator(k, (size_t)j);
        r[j] = 0;
    }
    double sum = 0.0;
    for (uint64_t i = 0; i < N; ++i) {
        double prod = 1.0;
        for (int j = 0; j < s; ++j) {
            double x = (double)r[j] / (double)N;
            prod *= 1.0 + 2.0 * pi * pi / ((j + 1.0) * (j + 1.0)) * (x * x - x + 1.0 / 6.0);
            r[j] += z[j];
            if (r[j] >= N)
                r[j] -= N;
        }
        sum += prod;
    }
    return fabs(sum / (double)N - 1.0);
}

int main(void)
{
    (void)tap_rel; /* tap.h helpers this program does not need */
    (void)tap_skip_all;
    const int count = mvni_lattice_count();
    tap_ok(count >= 15, "at least 15 lattice sizes (%d)", count);

    int ok_pow2 = 1, ok_double = 1;
    for (int k = 0; k < count; ++k) {
        uint64_t n = mvni_lattice_points(k);
        ok_pow2 &= n >= 2 && (n & (n - 1)) == 0;
        if (k > 0)
            ok_double &= n == 2 * mvni_lattice_points(k - 1);
    }
    tap_ok(ok_pow2, "every size is a power of 2");
    tap_ok(ok_double, "each size doubles the last");
    tap_ok(mvni_lattice_points(0) <= 128 && mvni_lattice_points(count - 1) >= (1u << 23),
           "sizes span 2^7 .. 2^23 pairs at least (%llu .. %llu)",
           (unsigned long long)mvni_lattice_points(0),
           (unsigned long long)mvni_lattice_points(count - 1));

    /* Components: odd, in [1, 2n), defined for any j, the same vector at
       every size (z mod 2n_k is z mod 2n_(k+1) reduced), and, for rules of
       N >= 65536 points, distinct up to sign over the first 1024
       dimensions (smaller rules have only N / 4 odd classes up to sign, and
       the Korobov continuation's powers fill most of those with N / 4
       <= 1024: there a component of the search may repeat one of them). */
    int ok_range = 1, ok_odd = 1, ok_distinct = 1, ok_first = 1, ok_nested = 1;
    static unsigned char seen[1u << 26];
    for (int k = 0; k < count; ++k) {
        uint64_t N = 2 * mvni_lattice_points(k);
        ok_first &= mvni_lattice_generator(k, 0) == 1;
        size_t lim = N >= 65536 ? 1024 : 0;
        memset(seen, 0, (size_t)N);
        for (size_t j = 0; j < 3000; ++j) {
            uint64_t z = mvni_lattice_generator(k, j);
            ok_range &= z >= 1 && z < N;
            ok_odd &= (z & 1u) == 1;
            if (k + 1 < count)
                ok_nested &= mvni_lattice_generator(k + 1, j) % N == z;
            /* z and N - z give the same tent-transformed projection. */
            if (j < lim) {
                ok_distinct &= !seen[z] && !seen[N - z];
                seen[z] = 1;
            }
        }
        uint64_t zbig = mvni_lattice_generator(k, (size_t)123456789);
        ok_range &= zbig >= 1 && zbig < N;
    }
    tap_ok(ok_first, "z_0 = 1 for every size");
    tap_ok(ok_range, "components in [1, 2n) for any j");
    tap_ok(ok_odd, "components odd (coprime with the power-of-2 rule)");
    tap_ok(ok_nested, "one generating vector for every size (embedded rules)");
    tap_ok(ok_distinct, "components distinct up to sign over the first 1024 dimensions (N >= 65536)");

    /* The points: a block with `odd` set gives the odd-indexed points of
       the full block, the even-indexed points of size k + 1 are the points
       of size k, and point i + n of the 2n-point rule is the antithetic
       partner 1 - w of point i (tent(x + 1/2) = 1 - tent(x)), so the n
       pairs of a size are exactly the rule's 2n points. */
    {
        int ok_odd_pts = 1, ok_embed = 1, ok_pair = 1;
        for (int k = 0; k + 1 < count && k < 8; ++k) {
            const uint64_t n = mvni_lattice_points(k);
            double full[2 * 512], half[2 * 256], small[2 * 256], all[2 * 512];
            for (size_t j = 0; j < 40; j += 7) {
                const double sh = mvni_uniform(3, j, (uint64_t)k);
                const uint64_t z1 = mvni_lattice_generator(k + 1, j);
                const size_t c = n < 256 ? (size_t)n : 256;
                mvni_lattice_block(2 * n, z1, sh, 0, 2 * c, 0, full);
                mvni_lattice_block(2 * n, z1, sh, 0, c, 1, half);
                mvni_lattice_block(n, mvni_lattice_generator(k, j), sh, 0, c, 0, small);
                for (size_t p = 0; p < c; ++p) {
                    ok_odd_pts &= half[p] == full[2 * p + 1];
                    ok_embed &= fabs(small[p] - full[2 * p]) < 1e-15;
                }
                if (n <= 256) {
                    /* The whole rule of 2n points, in index order. */
                    const uint64_t z = mvni_lattice_generator(k, j);
                    mvni_lattice_block(n, z, sh, 0, (size_t)n, 0, all);
                    double rule[512];
                    for (uint64_t i = 0; i < 2 * n; ++i) {
                        double x = (double)((i * z) % (2 * n)) / (double)(2 * n) + sh;
                        x -= x >= 1.0;
                        rule[i] = 1.0 - fabs(2.0 * x - 1.0);
                    }
                    for (uint64_t i = 0; i < n; ++i)
                        ok_pair &= fabs(all[i] - rule[i]) < 1e-15 &&
                                   fabs(all[n + i] - rule[n + i]) < 1e-15;
                }
            }
        }
        tap_ok(ok_odd_pts, "odd-indexed blocks are the new points of the larger size");
        tap_ok(ok_embed, "a size's points are the even-indexed points of the next");
        tap_ok(ok_pair, "the antithetic partners are the other half of the 2n-point rule");
    }

    /* Convergence on a smooth periodic function in 8 dimensions: the
       worst-case error in the alpha = 2 Korobov space decays like
       n^(-2 + eps) for good lattices, and the error of this function is
       bounded by it.  In this range of n the (log n)^s factors still
       matter: the search criterion (tools/lattice-cbc.c) falls by a
       factor of about 2.4 per doubling, a slope of about -1.3.  The
       least-squares slope of log error against log N over rules of
       2^10 .. 2^17 points must be below -1.2; Monte Carlo would give -0.5
       and a poor generator (a repeated component) no decay at all. */
    {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int m = 0;
        for (int k = 0; k < count; ++k) {
            uint64_t N = 2 * mvni_lattice_points(k);
            if (N < 1000 || N > 140000)
                continue;
            double e = periodic_error(k, 8);
            double x = log((double)N), y = log(e);
            tap_diag("N = %llu: periodic test error %.3e", (unsigned long long)N, e);
            sx += x;
            sy += y;
            sxx += x * x;
            sxy += x * y;
            ++m;
        }
        double slope = (m * sxy - sx * sy) / (m * sxx - sx * sx);
        tap_ok(m >= 6 && slope < -1.2, "convergence slope %.2f < -1.2", slope);
    }

    /* mvni_uniform: range, determinism, moments and independence. */
    {
        const int N = 200000;
        int ok_r = 1;
        double s1 = 0, s2 = 0, sc = 0, ss = 0, sseed = 0;
        double prev = mvni_uniform(7, 3, 0);
        for (int i = 0; i < N; ++i) {
            double u = mvni_uniform(7, 3, (uint64_t)i);
            ok_r &= u >= 0.0 && u < 1.0;
            s1 += u;
            s2 += u * u;
            if (i > 0)
                sc += (u - 0.5) * (prev - 0.5);
            prev = u;
            ss += (u - 0.5) * (mvni_uniform(7, 4, (uint64_t)i) - 0.5);
            sseed += (u - 0.5) * (mvni_uniform(8, 3, (uint64_t)i) - 0.5);
        }
        tap_ok(ok_r, "mvni_uniform in [0, 1)");
        tap_ok(mvni_uniform(1, 2, 3) == mvni_uniform(1, 2, 3) &&
               mvni_uniform(1, 2, 3) != mvni_uniform(1, 3, 2) &&
               mvni_uniform(1, 2, 3) != mvni_uniform(2, 2, 3),
               "mvni_uniform is a pure function of distinct inputs");
        /* Standard errors: mean 1/sqrt(12 N), second moment about
           0.3/sqrt(N), products 1/(12 sqrt(N)); 5 sigma bounds. */
        double sd = 1.0 / sqrt((double)N);
        tap_close(s1 / N, 0.5, 5 * sd / sqrt(12.0), "mean 1/2");
        tap_close(s2 / N, 1.0 / 3.0, 5 * 0.3 * sd, "second moment 1/3");
        tap_close(sc / N, 0.0, 5 * sd / 12.0, "no lag-1 correlation along the index");
        tap_close(ss / N, 0.0, 5 * sd / 12.0, "no correlation between neighbouring streams");
        tap_close(sseed / N, 0.0, 5 * sd / 12.0, "no correlation between neighbouring seeds");
        /* The 53-bit mantissa: the low bit is set about half the time. */
        int odd = 0;
        for (int i = 0; i < 10000; ++i)
            odd += ((uint64_t)(mvni_uniform(0, 0, (uint64_t)i) * 0x1p53) & 1u) != 0;
        tap_ok(odd > 4700 && odd < 5300, "53 random bits (low bit set %d / 10000)", odd);
    }
    return tap_exit();
}
