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

static int is_prime(uint64_t n)
{
    if (n < 2)
        return 0;
    for (uint64_t q = 2; q * q <= n; ++q)
        if (n % q == 0)
            return 0;
    return 1;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* Error of the unshifted lattice rule on the periodic test function
   prod_j (1 + g_j 2 pi^2 B2(x_j)), B2(x) = x^2 - x + 1/6, whose integral is
   exactly 1 (B2 has mean zero over a period). */
static double periodic_error(int k, int s)
{
    const double pi = 3.14159265358979323846;
    uint64_t n = mvni_lattice_points(k), z[16], r[16];
    for (int j = 0; j < s; ++j) {
        z[j] = mvni_lattice_generator(k, (size_t)j);
        r[j] = 0;
    }
    double sum = 0.0;
    for (uint64_t i = 0; i < n; ++i) {
        double prod = 1.0;
        for (int j = 0; j < s; ++j) {
            double x = (double)r[j] / (double)n;
            prod *= 1.0 + 2.0 * pi * pi / ((j + 1.0) * (j + 1.0)) * (x * x - x + 1.0 / 6.0);
            r[j] += z[j];
            if (r[j] >= n)
                r[j] -= n;
        }
        sum += prod;
    }
    return fabs(sum / (double)n - 1.0);
}

int main(void)
{
    (void)tap_rel; /* tap.h helpers this program does not need */
    (void)tap_skip_all;
    const int count = mvni_lattice_count();
    tap_ok(count >= 15, "at least 15 lattice sizes (%d)", count);

    int ok_prime = 1, ok_double = 1;
    for (int k = 0; k < count; ++k) {
        uint64_t n = mvni_lattice_points(k);
        ok_prime &= is_prime(n);
        if (k > 0) {
            double ratio = (double)n / (double)mvni_lattice_points(k - 1);
            ok_double &= ratio > 1.8 && ratio < 2.2;
        }
    }
    tap_ok(ok_prime, "every lattice size is prime");
    tap_ok(ok_double, "sizes roughly double");
    tap_ok(mvni_lattice_points(0) <= 128 && mvni_lattice_points(count - 1) >= (1u << 23),
           "sizes span 2^7 .. 2^23 at least (%llu .. %llu)",
           (unsigned long long)mvni_lattice_points(0),
           (unsigned long long)mvni_lattice_points(count - 1));

    /* Components: in [1, n), coprime with n, defined for any j, and distinct
       over the first min(n - 1, 1024) dimensions (the order condition of the
       search). */
    int ok_range = 1, ok_coprime = 1, ok_distinct = 1, ok_first = 1;
    static unsigned char seen[1u << 25];
    for (int k = 0; k < count; ++k) {
        uint64_t n = mvni_lattice_points(k);
        ok_first &= mvni_lattice_generator(k, 0) == 1;
        size_t lim = n - 1 < 1024 ? (size_t)(n - 1) : 1024;
        memset(seen, 0, (size_t)n);
        for (size_t j = 0; j < 3000; ++j) {
            uint64_t z = mvni_lattice_generator(k, j);
            ok_range &= z >= 1 && z < n;
            ok_coprime &= gcd(z, n) == 1;
            if (j < lim) {
                ok_distinct &= !seen[z];
                seen[z] = 1;
            }
        }
        uint64_t zbig = mvni_lattice_generator(k, (size_t)123456789);
        ok_range &= zbig >= 1 && zbig < n;
    }
    tap_ok(ok_first, "z_0 = 1 for every size");
    tap_ok(ok_range, "components in [1, n) for any j");
    tap_ok(ok_coprime, "components coprime with n");
    tap_ok(ok_distinct, "components distinct over the first min(n-1, 1024) dimensions");

    /* Convergence on a smooth periodic function in 8 dimensions: the
       worst-case error in the alpha = 2 Korobov space decays like
       n^(-2 + eps) for good lattices, and the error of this function is
       bounded by it.  In this range of n the (log n)^s factors still
       matter: the search criterion itself (tools/lattice-search.c output,
       32 dimensions) falls by a factor 2.3-2.6 per doubling, a slope of
       about -1.3.  The least-squares slope of log error against log n over
       sizes 2^9 .. 2^16 must be below -1.2; Monte Carlo would give -0.5
       and a poor generator (a repeated component) no decay at all. */
    {
        double sx = 0, sy = 0, sxx = 0, sxy = 0;
        int m = 0;
        for (int k = 0; k < count; ++k) {
            uint64_t n = mvni_lattice_points(k);
            if (n < 500 || n > 70000)
                continue;
            double e = periodic_error(k, 8);
            double x = log((double)n), y = log(e);
            tap_diag("n = %llu: periodic test error %.3e", (unsigned long long)n, e);
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
