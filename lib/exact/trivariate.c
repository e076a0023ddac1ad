/* exact/trivariate.c -- standard trivariate normal cdf (Genz 2004) and rectangle probabilities with logs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * mvni_tvn_cdf follows the trivariate method of Genz (2004), Statistics and
 * Computing 14:251-260: order the variables so that r23 has the largest
 * magnitude, start from the matrix with r12 = r13 = 0, where
 * P = Phi(h1) Phi2(h2, h3; r23), and integrate Plackett's (1954) identity
 * dP/dr_ij = phi2(h_i, h_j; r_ij) Phi(conditional limit) along the path
 * r12(t) = sin(t asin r12), r13(t) = sin(t asin r13), t in [0, 1].  The
 * sine substitution cancels the 1/sqrt(1 - r^2) factor of phi2.  The 1-D
 * integral is computed by adaptive Gauss-Legendre quadrature to 1e-15
 * absolute.  Singular matrices (r23 = +-1, zero blocks) use exact
 * reductions.  See doc/algorithms/trivariate.md.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <float.h>
#include <math.h>

#include "exact/exact.h"
#include "mvnorm.h"

#define TVN_TWOPI 6.28318530717958647693

/* The 10-point Gauss-Legendre weights of gauss_legendre.h (embedded in
   the Kronrod rule below). */
#include "exact/kronrod.h"

/*
 * cos(t) phi2(ba, bb; r) Phi(conditional limit of the third variable) * 2 pi,
 * with r = sin(t), rr = cos(t)^2 = 1 - r^2 (computed from cos for accuracy
 * near |r| = 1), ra = corr(a, c), rb = corr(b, c).  The conditional
 * variance of c given (a, b) is det(R) / rr; dt = rr det(R).
 */
static double plackett_term(double ba, double bb, double bc, double ra,
                            double rb, double r, double rr)
{
    double dt = rr * (rr - (ra - rb) * (ra - rb) - 2.0 * ra * rb * (1.0 - r));
    if (!(dt > 0.0))
        return 0.0;
    double ft = (ba - r * bb) * (ba - r * bb) / rr + bb * bb;
    if (ft > 1400.0) /* exp(-700): far below the 1e-15 target */
        return 0.0;
    double bt = (bc * rr + ba * (r * rb - ra) + bb * (r * ra - rb)) / sqrt(dt);
    return exp(-0.5 * ft) * mvn_norm_P(bt);
}

typedef struct {
    double h1, h2, h3, r23, a12, a13;
} tvn_path;

static double tvn_integrand(double t, const tvn_path *c)
{
    double f = 0.0;
    double r12 = sin(c->a12 * t), r13 = sin(c->a13 * t);
    if (c->a12 != 0.0) {
        double cs = cos(c->a12 * t);
        f += c->a12 * plackett_term(c->h1, c->h2, c->h3, r13, c->r23, r12, cs * cs);
    }
    if (c->a13 != 0.0) {
        double cs = cos(c->a13 * t);
        f += c->a13 * plackett_term(c->h1, c->h3, c->h2, r12, c->r23, r13, cs * cs);
    }
    return f;
}

/* The 21-point Gauss-Kronrod rule (kr21_*) is in gauss_legendre.h; a
   panel costs 21 evaluations instead of the 30 of separate 20- and
   10-point Gauss rules. */

static double tvn_panel(const tvn_path *c, double a, double b, double *err)
{
    double m = 0.5 * (a + b), h = 0.5 * (b - a);
    double sk = kr21_w0 * tvn_integrand(m, c), sg = 0.0;
    for (int i = 0; i < 10; ++i) {
        double v = tvn_integrand(m - h * kr21_x[i], c) + tvn_integrand(m + h * kr21_x[i], c);
        sk += kr21_w[i] * v;
        if (i & 1)
            sg += gl10_w[i >> 1] * v;
    }
    *err = h * fabs(sk - sg);
    return h * sk;
}

#define TVN_MAXPANELS 100

/* Integral over [0, 1] to 2 pi 1e-15 absolute by the 10-point estimate (the
   21-point Kronrod result kept is far better), or TVN_MAXPANELS panels. */
static double tvn_path_integral(const tvn_path *c)
{
    double pa[TVN_MAXPANELS], pb[TVN_MAXPANELS], ps[TVN_MAXPANELS], pe[TVN_MAXPANELS];
    int np = 1;
    pa[0] = 0.0, pb[0] = 1.0;
    ps[0] = tvn_panel(c, 0.0, 1.0, &pe[0]);
    for (;;) {
        double tot = 0.0, err = 0.0;
        int worst = 0;
        for (int i = 0; i < np; ++i) {
            tot += ps[i];
            err += pe[i];
            if (pe[i] > pe[worst])
                worst = i;
        }
        if (err <= TVN_TWOPI * 1e-15 || np == TVN_MAXPANELS)
            return tot;
        double a = pa[worst], b = pb[worst], mid = 0.5 * (a + b);
        pb[worst] = mid;
        ps[worst] = tvn_panel(c, a, mid, &pe[worst]);
        pa[np] = mid, pb[np] = b;
        ps[np] = tvn_panel(c, mid, b, &pe[np]);
        ++np;
    }
}

static void swap(double *a, double *b)
{
    double t = *a;
    *a = *b;
    *b = t;
}

double mvni_tvn_cdf(const double b[3], const double r[3])
{
    double h1 = b[0], h2 = b[1], h3 = b[2];
    double r12 = r[0], r13 = r[1], r23 = r[2];
    if (isnan(h1) || isnan(h2) || isnan(h3) || isnan(r12) || isnan(r13) || isnan(r23))
        return NAN;
    /* As in mvni_bvn_cdf: a limit beyond 40 standard deviations is
       infinite to double precision, and the formulas would square it. */
    h1 = h1 > 40.0 ? INFINITY : h1;
    h2 = h2 > 40.0 ? INFINITY : h2;
    h3 = h3 > 40.0 ? INFINITY : h3;
    if (h1 < -40.0 || h2 < -40.0 || h3 < -40.0)
        return 0.0;
    /* An infinite upper limit removes its variable. */
    if (h1 == INFINITY)
        return mvni_bvn_cdf(h2, h3, r23);
    if (h2 == INFINITY)
        return mvni_bvn_cdf(h1, h3, r13);
    if (h3 == INFINITY)
        return mvni_bvn_cdf(h1, h2, r12);
    /* Make r23 the largest in magnitude (Genz's ordering): the closed-form
       start then carries the strongest dependence. */
    if (fabs(r12) > fabs(r13)) {
        swap(&h2, &h3);
        swap(&r12, &r13);
    }
    if (fabs(r13) > fabs(r23)) {
        swap(&h1, &h2);
        swap(&r13, &r23);
    }
    if (r12 == 0.0 && r13 == 0.0)
        return mvn_norm_P(h1) * mvni_bvn_cdf(h2, h3, r23);
    if (r23 >= 1.0) /* X3 = X2 (then r12 = r13 for a valid matrix) */
        return mvni_bvn_cdf(h1, fmin(h2, h3), r12);
    if (r23 <= -1.0) { /* X3 = -X2: -h3 < X2 < h2 */
        if (!(h2 > -h3))
            return 0.0;
        double p = mvni_bvn_cdf(h1, h2, r12) - mvni_bvn_cdf(h1, -h3, r12);
        return p < 0.0 ? 0.0 : p;
    }
    if (h1 == 0.0 && h2 == 0.0 && h3 == 0.0) /* orthant closed form */
        return 0.125 + (asin(r12) + asin(r13) + asin(r23)) / (2.0 * TVN_TWOPI);
    tvn_path c = {h1, h2, h3, r23, asin(r12), asin(r13)};
    double p = mvn_norm_P(h1) * mvni_bvn_cdf(h2, h3, r23) + tvn_path_integral(&c) / TVN_TWOPI;
    if (p < 0.0)
        p = 0.0;
    return p > 1.0 ? 1.0 : p;
}

/* ------------------------------------------------------------------ */
/* Rectangles                                                          */
/* ------------------------------------------------------------------ */

typedef struct {
    int i, j, k;              /* conditioning variable i, the others j, k */
    double lo[3], hi[3];
    double rij, rik, sj, sk, rho; /* conditional standardization */
} tvn_slice;

/* log of phi(x) P(lo_j < X_j < hi_j, lo_k < X_k < hi_k | X_i = x). */
static double tvn_slice_log(double x, const void *vctx)
{
    const tvn_slice *c = (const tvn_slice *)vctx;
    double lo[2] = {(c->lo[c->j] - c->rij * x) / c->sj, (c->lo[c->k] - c->rik * x) / c->sk};
    double hi[2] = {(c->hi[c->j] - c->rij * x) / c->sj, (c->hi[c->k] - c->rik * x) / c->sk};
    double p, lp;
    mvni_bvn_rect(lo, hi, c->rho, &p, &lp);
    return -0.5 * x * x - MVNI_LN_SQRT_2PI + lp;
}

/* Below this probability the corner sum (absolute error ~1e-15 per
   corner) is replaced by the log-space quadrature. */
#define TVN_SMALL 1e-5

double mvni_tvn_rect(const double lo[3], const double hi[3],
                     const double r[3], double *p, double *logp)
{
    double l[3] = {lo[0], lo[1], lo[2]}, h[3] = {hi[0], hi[1], hi[2]};
    /* Correlation matrix entries, R[i][j]. */
    double R[3][3] = {{1.0, r[0], r[1]}, {r[0], 1.0, r[2]}, {r[1], r[2], 1.0}};
    for (int i = 0; i < 3; ++i) {
        if (!(l[i] < h[i])) {
            *p = 0.0;
            *logp = -INFINITY;
            return 0.0;
        }
    }
    /* A variable without limits drops out. */
    for (int i = 0; i < 3; ++i) {
        if (l[i] == -INFINITY && h[i] == INFINITY) {
            int j = (i + 1) % 3, k = (i + 2) % 3;
            if (j > k) {
                int t = j;
                j = k, k = t;
            }
            double l2[2] = {l[j], l[k]}, h2[2] = {h[j], h[k]};
            return mvni_bvn_rect(l2, h2, R[j][k], p, logp);
        }
    }
    /* Reflect variables whose interval leans to the upper side, so that all
       corner terms are lower-tail probabilities and every upper limit is
       finite. */
    for (int i = 0; i < 3; ++i) {
        if (l[i] > -h[i]) {
            double t = l[i];
            l[i] = -h[i], h[i] = -t;
            for (int j = 0; j < 3; ++j)
                if (j != i) {
                    R[i][j] = -R[i][j];
                    R[j][i] = -R[j][i];
                }
        }
    }
    double rr[3] = {R[0][1], R[0][2], R[1][2]};
    double q = 0.0;
    int nterms = 0;
    for (int s = 0; s < 8; ++s) {
        double c[3];
        int neg = 0, skip = 0;
        for (int i = 0; i < 3; ++i) {
            if (s & (1 << i)) {
                if (l[i] == -INFINITY) {
                    skip = 1;
                    break;
                }
                c[i] = l[i];
                neg ^= 1;
            } else {
                c[i] = h[i];
            }
        }
        if (skip)
            continue;
        double v = mvni_tvn_cdf(c, rr);
        q += neg ? -v : v;
        ++nterms;
    }
    double err = 5e-14 * nterms;
    if (q > TVN_SMALL) {
        *p = q;
        *logp = log(q);
        return err;
    }
    /* Small probability: integrate over the variable whose correlations
       with the others are smallest, so the conditional pair is far from
       singular. */
    int best = -1;
    double bestm = 1.0;
    for (int i = 0; i < 3; ++i) {
        double m = fmax(fabs(R[i][(i + 1) % 3]), fabs(R[i][(i + 2) % 3]));
        if (m < bestm)
            bestm = m, best = i;
    }
    if (best < 0) { /* singular in every direction: keep the corner sum */
        *p = q > 0.0 ? q : 0.0;
        *logp = log(*p);
        return err;
    }
    tvn_slice c;
    c.i = best;
    c.j = (best + 1) % 3;
    c.k = (best + 2) % 3;
    for (int i = 0; i < 3; ++i)
        c.lo[i] = l[i], c.hi[i] = h[i];
    c.rij = R[c.i][c.j];
    c.rik = R[c.i][c.k];
    c.sj = sqrt((1.0 - c.rij) * (1.0 + c.rij));
    c.sk = sqrt((1.0 - c.rik) * (1.0 + c.rik));
    c.rho = (R[c.j][c.k] - c.rij * c.rik) / (c.sj * c.sk);
    if (c.rho > 1.0)
        c.rho = 1.0;
    if (c.rho < -1.0)
        c.rho = -1.0;
    double rel;
    double lq = mvni_log_integrate_concave(tvn_slice_log, &c, l[c.i], h[c.i], &rel);
    double big = 0.0;
    for (int i = 0; i < 3; ++i) {
        if (isfinite(l[i]))
            big = fmax(big, fabs(l[i]));
        big = fmax(big, fabs(h[i]));
    }
    *logp = lq;
    *p = exp(lq);
    /* As in bivariate.c: quadrature estimate plus the conditioning of the
       problem in its limits (eps limit^2), plus the inner rectangles'
       own relative error (1e-13). */
    if (*p == 0.0) /* also where big^2 overflows: no inf * 0 */
        return 0.0;
    return (rel + 1e-13 + 16.0 * DBL_EPSILON * (1.0 + big * big)) * *p;
}
