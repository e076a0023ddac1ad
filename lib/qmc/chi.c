/*
 * qmc/chi.c -- the chi variable of the multivariate t: its density in
 * u = log(S / sqrt(df)) (S ~ chi with df degrees of freedom), the range
 * and the integral of that density, and the map from a lattice
 * coordinate to W = S / sqrt(df) that puts the chi variable into the
 * lattice (qmc/sov.c, mvni_sov_qmc_t).
 *
 * Density.  S has density proportional to s^(df-1) exp(-s^2 / 2); in
 * u = log(S / sqrt(df)) it is proportional to
 *   c(u) = exp(df (u - expm1(2u) / 2)),
 * log-concave with its maximum 1 at u = 0, width 1 / sqrt(2 df) there;
 * it decays like e^(df u) to the left (the heavy tails of T come from
 * small S) and like exp(-e^(2u) / 2) to the right.  Its closed-form
 * constant (1 - df/2) log 2 - lgamma(df/2) + (df/2)(log df - 1) cancels to
 * 1e-9 absolute for df = 1e6, so the integral of c is taken by adaptive
 * 21-point Gauss-Kronrod instead (mvni_chi_log_integral), where no
 * constant cancels.
 *
 * The map.  The lattice coordinate w in [0, 1] becomes x = Phi^-1(w) and
 * then u(x) = F^-1(Phi(x)), F the distribution function of u, so that
 * W = exp(u(x)) has the law of S / sqrt(df) (inversion).  u(x) solves the
 * ordinary differential equation
 *   du/dx = phi(x) / c_norm(u),   c_norm = c / integral of c,
 * which is stable integrated from the tails towards the maximum (an error
 * in u is an error c_norm(u) du in the mass, small in the tails), so it
 * starts at x = -9 and x = 9 from u solving F(u) = Phi(-9) and
 * 1 - F(u) = Q(9) (tail integrals of c by Gauss-Kronrod, bisection) and
 * runs inwards to x* = Phi^-1(F(0)), where u = 0, by the classical
 * 4th-order Runge-Kutta method on a grid of step 1/512 (w from 1e-19 to
 * 1 - 1e-19); it is stored with du/dx at every node, so that u at any x is a cubic
 * Hermite interpolation of the two nodes around it (error h^4 / 384
 * |u''''|, about 1e-13 |u''''|).  Beyond +-9 u continues on the last
 * node's tangent (only w within 1e-19 of 0 or 1: the lattice's points
 * at w = 0 exactly).  Checked against the closed forms df = 1
 * (S = |N(0,1)|) and df = 2 (S^2 exponential) in tests/test_student.c.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <math.h>
#include <stdlib.h>

#include "exact/kronrod.h"
#include "mvnorm.h"
#include "qmc/qmc.h"

#define CHI_DROP 46.0        /* the range: c within e^-46 of its maximum */
#define CHI_XMAX 9.0         /* the map's grid: x in [-CHI_XMAX, CHI_XMAX] */
#define CHI_STEPS_PER_UNIT 512
#define CHI_LN_SQRT_2PI 0.91893853320467274178

double mvni_chi_log_weight(double df, double u)
{
    return df * (u - 0.5 * expm1(2.0 * u));
}

/* Whether log c at u = x is more than CHI_DROP below its maximum. */
static int below_drop(double df, double x)
{
    return df * x - 0.5 * df * expm1(2.0 * x) < -CHI_DROP;
}

double mvni_chi_range(double df, double dir)
{
    /* A bracket [hi / 2, hi] by doubling or halving (the width is
       1 / sqrt(2 df): 1e-150 at df = 1e300), then bisection. */
    double hi = 1.0;
    if (below_drop(df, dir * hi))
        while (hi > 1e-300 && below_drop(df, dir * 0.5 * hi))
            hi *= 0.5;
    else
        while (hi < 1e6 && !below_drop(df, dir * hi))
            hi *= 2.0;
    double lo = 0.5 * hi;
    for (int it = 0; it < 100; ++it) {
        const double mid = 0.5 * (lo + hi);
        if (below_drop(df, dir * mid))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

/* One Kronrod panel of c exp(-m) on [a, b]: the sum, and |Kronrod -
   Gauss| in *err. */
static double weight_panel(double df, double m, double a, double b, double *err)
{
    const double c = 0.5 * (a + b), h = 0.5 * (b - a);
    double k = kr21_w0 * exp(mvni_chi_log_weight(df, c) - m), g = 0.0;
    for (int j = 0; j < 10; ++j) {
        const double f = exp(mvni_chi_log_weight(df, c - h * kr21_x[j]) - m) +
                         exp(mvni_chi_log_weight(df, c + h * kr21_x[j]) - m);
        k += kr21_w[j] * f;
        if (j % 2 == 1)
            g += gl10_w[j / 2] * f;
    }
    *err = h * fabs(k - g);
    return h * k;
}

/* log of the integral of c over the panels [p0, p1] and [p1, p2] (one of
   them may be empty), relative to exp(m), by adaptive Gauss-Kronrod to
   1e-15 relative. */
static double log_integral(double df, double m, double p0, double p1, double p2)
{
    enum { MAXP = 256 };
    double pa[MAXP], pb[MAXP], pk[MAXP], pe[MAXP];
    int np = 2;
    pa[0] = p0, pb[0] = p1, pa[1] = p1, pb[1] = p2;
    for (int i = 0; i < np; ++i)
        pk[i] = weight_panel(df, m, pa[i], pb[i], &pe[i]);
    for (;;) {
        double tot = 0.0, err = 0.0;
        int w = 0;
        for (int i = 0; i < np; ++i) {
            tot += pk[i], err += pe[i];
            if (pe[i] > pe[w])
                w = i;
        }
        if (err <= 1e-15 * tot || np == MAXP)
            return m + log(tot);
        const double mid = 0.5 * (pa[w] + pb[w]);
        pa[np] = mid, pb[np] = pb[w];
        pk[np] = weight_panel(df, m, mid, pb[np], &pe[np]);
        pb[w] = mid;
        pk[w] = weight_panel(df, m, pa[w], mid, &pe[w]);
        ++np;
    }
}

double mvni_chi_log_integral(double df, double left, double right)
{
    return log_integral(df, 0.0, -left, 0.0, right);
}

double mvni_chi_log_left_bound(double df, double u)
{
    /* c is log-concave and rises left of 0, so its integral left of u is
       at most c(u) / (log c)'(u); the whole integral is about
       sqrt(pi / df) or more. */
    const double slope = -df * expm1(2.0 * u);
    return mvni_chi_log_weight(df, u) - log(slope) - 0.5 * log(M_PI / df);
}

/* log of the mass of c_norm beyond u: left of u (side < 0) or right of
   it, for u on that side of the maximum.  The integral runs over 60
   e-folds of c from u (c is log-concave: beyond its tangent at u). */
static double log_tail(double df, double logz, double u, int side)
{
    const double lw = mvni_chi_log_weight(df, u);
    const double sl = fabs(df * expm1(2.0 * u)); /* |d log c / du| at u */
    const double span = 60.0 / fmax(sl, 1e-300);
    const double far = side < 0 ? fmax(u - span, -1e300) : u + fmin(span, 50.0);
    return (side < 0 ? log_integral(df, lw, far, 0.5 * (far + u), u)
                     : log_integral(df, lw, u, 0.5 * (u + far), far)) - logz;
}

/* The u on the given side whose tail mass is exp(target) (< 1/2): the
   tail mass is monotone in u; bisection after a bracket by doubling. */
static double tail_root(double df, double logz, int side, double target)
{
    double near = 0.0, far = side * mvni_chi_range(df, side);
    while (log_tail(df, logz, far, side) > target && fabs(far) < 1e300)
        far *= 2.0;
    for (int it = 0; it < 200; ++it) {
        const double mid = 0.5 * (near + far);
        if (mid == near || mid == far)
            break;
        if (log_tail(df, logz, mid, side) > target)
            near = mid;
        else
            far = mid;
    }
    return 0.5 * (near + far);
}

/* du/dx = phi(x) / c_norm(u), in logs (both factors underflow in the
   tails, their ratio does not). */
static double slope(double df, double logz, double x, double u)
{
    return exp(-0.5 * x * x - CHI_LN_SQRT_2PI - mvni_chi_log_weight(df, u) + logz);
}

/* One Runge-Kutta step of length h from (x, u). */
static double rk4(double df, double logz, double x, double u, double h)
{
    const double k1 = slope(df, logz, x, u);
    const double k2 = slope(df, logz, x + 0.5 * h, u + 0.5 * h * k1);
    const double k3 = slope(df, logz, x + 0.5 * h, u + 0.5 * h * k2);
    const double k4 = slope(df, logz, x + h, u + h * k3);
    return u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
}

int mvni_chi_map_init(mvni_chi_map *m, double df)
{
    const size_t n = (size_t)(2.0 * CHI_XMAX * CHI_STEPS_PER_UNIT) + 1;
    m->u = (double *)malloc(2 * n * sizeof(double));
    if (m->u == NULL)
        return MVN_ENOMEM;
    m->du = m->u + n;
    m->n = n;
    m->h = 1.0 / CHI_STEPS_PER_UNIT;
    m->x0 = -CHI_XMAX;
    m->df = df;
    /* The mass of c left and right of its maximum. */
    const double left = mvni_chi_range(df, -1.0), right = mvni_chi_range(df, 1.0);
    const double ll = mvni_chi_log_integral(df, left, 0.0);
    const double lr = mvni_chi_log_integral(df, 0.0, right);
    const double logz = ll > lr ? ll + log1p(exp(lr - ll)) : lr + log1p(exp(ll - lr));
    m->logz = logz;
    /* x* = Phi^-1(F(0)), from the smaller side (full relative accuracy). */
    const double xs = ll < lr ? mvn_norm_logPinv(ll - logz) : -mvn_norm_logPinv(lr - logz);
    /* The equation is stable integrated towards x* from either end (an
       error in u moves the mass F(u) by c_norm(u) du, which shrinks
       towards the bulk and grows towards the tails): the end values come
       from the tail masses themselves, Phi(-9) = Q(9) = 1.1e-19, and the
       steps run inwards, the left part up to the last node below x*, the
       right part down to the first node at or above it. */
    const double tail = mvn_norm_logP(m->x0);
    m->u[0] = tail_root(df, logz, -1, tail);
    m->u[n - 1] = tail_root(df, logz, 1, tail);
    m->du[0] = slope(df, logz, m->x0, m->u[0]);
    m->du[n - 1] = slope(df, logz, -m->x0, m->u[n - 1]);
    for (size_t k = 1; k < n - 1; ++k) {
        const double xk = m->x0 + (double)k * m->h;
        if (xk >= xs)
            break;
        m->u[k] = rk4(df, logz, xk - m->h, m->u[k - 1], m->h);
        m->du[k] = slope(df, logz, xk, m->u[k]);
    }
    for (size_t k = n - 2; k > 0; --k) {
        const double xk = m->x0 + (double)k * m->h;
        if (xk < xs)
            break;
        m->u[k] = rk4(df, logz, xk + m->h, m->u[k + 1], -m->h);
        m->du[k] = slope(df, logz, xk, m->u[k]);
    }
    return MVN_OK;
}

void mvni_chi_map_free(mvni_chi_map *m)
{
    free(m->u);
    m->u = m->du = NULL;
}

double mvni_chi_map_log(const mvni_chi_map *m, double x)
{
    const double t = (x - m->x0) / m->h;
    if (!(t > 0.0))
        return isnan(x) ? x : m->u[0] + m->du[0] * (x - m->x0);
    if (!(t < (double)(m->n - 1)))
        return m->u[m->n - 1] + m->du[m->n - 1] * (x - (m->x0 + (double)(m->n - 1) * m->h));
    const size_t k = (size_t)t;
    const double s = t - (double)k, h = m->h;
    const double u0 = m->u[k], u1 = m->u[k + 1];
    const double d0 = m->du[k] * h, d1 = m->du[k + 1] * h;
    /* Cubic Hermite basis on [0, 1]. */
    const double s2 = s * s, s3 = s2 * s;
    return (2.0 * s3 - 3.0 * s2 + 1.0) * u0 + (s3 - 2.0 * s2 + s) * d0 +
           (-2.0 * s3 + 3.0 * s2) * u1 + (s3 - s2) * d1;
}
