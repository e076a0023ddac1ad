/*
 * cuda/sov_point.h -- the integrand at one lattice point and the estimate
 * of one problem from its per-shift sums: the arithmetic of the GPU
 * integrator, shared by the CUDA kernels (sov.cu, compiled by nvcc) and by
 * the host emulation that tests the module on machines without a GPU
 * (tests/plugin/gpu_emul.c, compiled by the C compiler), so that the tests
 * run everywhere exercise exactly this code.  Under nvcc Phi and Phi^-1
 * are CUDA's normcdf/normcdfinv and the lower tail of log Phi comes from
 * erfcx; in the host emulation they are the library's mvn_norm_P,
 * mvn_norm_Pinv and mvn_norm_logP.
 * Not installed.  C99 and CUDA C++.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNCU_SOV_POINT_H
#define MVNCU_SOV_POINT_H

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define MVNCU_FN __device__ static
#define MVNCU_PHI(x) normcdf(x)
#define MVNCU_PHIINV(p) normcdfinv(p)
/* log Phi(x) for x <= -5: Phi(x) = erfcx(-x/sqrt2) exp(-x^2/2) / 2. */
#define MVNCU_LOGPHI_TAIL(x) (log(0.5 * erfcx(-(x) * M_SQRT1_2)) - 0.5 * (x) * (x))
#else
#include "mvnorm.h"
#define MVNCU_FN static
#define MVNCU_PHI(x) mvn_norm_P(x)
#define MVNCU_PHIINV(p) mvn_norm_Pinv(p)
#define MVNCU_LOGPHI_TAIL(x) mvn_norm_logP(x)
#endif

/* The tail-feature rule of the CPU (qmc/tail_steps.h): its point count
   runs in finish_one, on the device. */
#define MVNI_TAIL_DEVICE_FN MVNCU_FN
#include "qmc/tail_steps.h"

#define SOV_TINY 1e-300
#define SOV_LN2 0.69314718055994530942
#define SOV_LOG_2PI 1.8378770664093454836

/* Status values of mvnorm.h, for the CUDA side that does not include it. */
enum { MVNCU_OK = 0, MVNCU_ETOL = 1, MVNCU_ENOMEM = 8, MVNCU_EBACKEND = 9,
       MVNCU_ECANCELED = 11 };

/* A nonnegative number m * 2^e (sov.c's `scaled`): e is an integer held
   in a double, exact to 2^53 and never the undefined overflow of an
   integer type (sov.c, "Log space"). */
typedef struct {
    double m;
    double e;
} mvncu_scaled;

MVNCU_FN void scaled_add(mvncu_scaled *acc, double m, double e)
{
    if (m == 0.0)
        return;
    if (acc->m == 0.0) {
        acc->m = m;
        acc->e = e;
        return;
    }
    if (e > acc->e) {
        double de = acc->e - e;
        acc->m = (de < -2000 ? 0.0 : ldexp(acc->m, (int)de)) + m;
        acc->e = e;
    } else {
        double de = e - acc->e;
        acc->m += de < -2000 ? 0.0 : ldexp(m, (int)de);
    }
    int ex;
    acc->m = frexp(acc->m, &ex);
    acc->e += ex;
}

/* log Phi(x), finite far into the lower tail. */
MVNCU_FN double log_phi(double x)
{
    if (x > 0.0)
        return log1p(-MVNCU_PHI(-x));
    if (x > -5.0)
        return log(MVNCU_PHI(x));
    if (isinf(x))
        return -INFINITY;
    return MVNCU_LOGPHI_TAIL(x);
}

/* Phi^-1(exp(lp)) for lp <= 0, where exp(lp) may underflow: the
   asymptotic start y^2 = -2 lp - log(2 pi y^2), then Newton on log Phi. */
MVNCU_FN double log_pinv(double lp)
{
    if (lp > -600.0)
        return MVNCU_PHIINV(exp(lp));
    if (isinf(lp))
        return -INFINITY;
    double y = -sqrt(-2.0 * lp);
    y = -sqrt(-2.0 * lp - SOV_LOG_2PI - log(y * y));
    for (int it = 0; it < 8; ++it) {
        const double lphi = log_phi(y);
        const double lpdf = -0.5 * y * y - 0.5 * SOV_LOG_2PI;
        const double step = (lphi - lp) / exp(lpdf - lphi);
        y -= step;
        if (fabs(step) <= 1e-15 * fabs(y))
            break;
    }
    return y;
}

/* Multiplies f * 2^k by exp(le). */
MVNCU_FN void mul_log(double *f, double *k, double le)
{
    if (!(le > -INFINITY)) {
        *f = 0.0;
        return;
    }
    const double q = floor(le / SOV_LN2);
    *f *= exp(le - q * SOV_LN2);
    *k += q;
}

/* sov.c's step_log: one step for limits where Phi underflows. */
MVNCU_FN double step_log(double al, double be, double w, int need_y, double *f, double *k)
{
    double le, y = 0.0;
    if (al > 0) {
        const double lqa = log_phi(-al);
        const double lqb = isinf(be) ? -INFINITY : log_phi(-be);
        const double r = exp(lqb - lqa);
        le = r < 1.0 ? lqa + log1p(-r) : -INFINITY;
        if (need_y)
            y = -log_pinv(lqa + log((1.0 - w) + w * r));
    } else {
        const double lpb = log_phi(be);
        const double lpa = isinf(al) ? -INFINITY : log_phi(al);
        const double r = exp(lpa - lpb);
        le = r < 1.0 ? lpb + log1p(-r) : -INFINITY;
        if (need_y)
            y = log_pinv(lpb + log(r + w * (1.0 - r)));
    }
    mul_log(f, k, le);
    if (need_y) {
        y = y < al ? al : y;
        y = y > be ? be : y;
    }
    return y;
}

/* The prepared problems (layout of mvncu_sov_job in gpu.h) and the
   lattice of the current size. */
typedef struct {
    size_t d, ncoef;
    int shifts;
    const double *lo, *hi, *tol, *coef;
    const int *first, *kind;
    const double *shift; /* shifts * d */
    const double *kappa; /* per problem: sov.c's sharpest row */
    const uint64_t *tails; /* per problem: sov.c's tail features */
    const uint64_t *z;   /* d generator components of this size */
    uint64_t n;
    int bpp;
    const int *done;     /* per problem */
    mvncu_scaled *part;  /* (problem * shifts + j) * bpp + block */
    double *yscratch;    /* global z values (d > SOV_LOCAL_D) */
} mvncu_kparams;

/*
 * f(w) * 2^k at lattice point i of shift j for problem t, pass 0 (w) or 1
 * (the antithetic 1 - w).  y: the rows' z values, element m at
 * y[m * ystride].  Mirrors sov.c's eval_block for one lane.
 */
MVNCU_FN double eval_point(const mvncu_kparams *P, size_t t, uint64_t i, int j, int pass,
                           double *y, size_t ystride, double *kexp)
{
    const size_t d = P->d;
    const double *lo = P->lo + t * d, *hi = P->hi + t * d, *tol = P->tol + t * d;
    const int *first = P->first + t * d, *kind = P->kind + t * d;
    const double *coef = P->coef + t * P->ncoef;
    const double *shift = P->shift + (size_t)j * d;
    const double invn = 1.0 / (double)(2 * P->n); /* the rule has 2n points */
    double f = 1.0;
    double k = 0.0;
    for (size_t r = 0; r < d; ++r) {
        const int kd = kind[r];
        const double *c = coef + r * (r - 1) / 2;
        double s = 0.0;
        for (size_t m = (size_t)first[r]; m < r; ++m)
            s += c[m] * y[m * ystride];
        if (kd == -2) {
            if (!(s >= lo[r] - tol[r] && s <= hi[r] + tol[r])) {
                f = 0.0;
                break;
            }
            y[r * ystride] = 0.0;
            continue;
        }
        const int need_y = kd >= 0;
        double w = 0.0;
        if (need_y) {
            /* lattice.c's mvni_lattice_block: point i of the rule of 2n
               points, shifted, tent-transformed, clamped into
               [2^-60, 1 - 2^-53]; the partner is 1 - w. */
            const uint64_t n2 = 2 * P->n;
            const uint64_t rr = (i % n2) * P->z[kd] % n2;
            double x = (double)rr * invn + shift[kd];
            if (x >= 1.0)
                x -= 1.0;
            double tt = 1.0 - fabs(2.0 * x - 1.0);
            tt = tt < 0x1p-60 ? 0x1p-60 : tt;
            tt = tt > 1.0 - 0x1p-53 ? 1.0 - 0x1p-53 : tt;
            w = pass ? 1.0 - tt : tt;
        }
        const double al = lo[r] - s, be = hi[r] - s;
        double e, yv = 0.0;
        if (al > 0) {
            const double qa = MVNCU_PHI(-al);
            const double qb = MVNCU_PHI(-be);
            if (qa < SOV_TINY) {
                yv = step_log(al, be, w, need_y, &f, &k);
                goto next;
            }
            e = qa - qb;
            if (need_y)
                yv = -MVNCU_PHIINV(qa - w * e);
        } else {
            const double pa = MVNCU_PHI(al);
            const double pb = MVNCU_PHI(be);
            if (pb < SOV_TINY) {
                yv = step_log(al, be, w, need_y, &f, &k);
                goto next;
            }
            e = pb - pa;
            if (need_y)
                yv = MVNCU_PHIINV(pa + w * e);
        }
        f *= e > 0.0 ? e : 0.0;
        if (need_y) {
            yv = yv < al ? al : yv;
            yv = yv > be ? be : yv;
        }
    next:
        if (!(f > 0.0))
            break;
        if (need_y)
            y[r * ystride] = yv;
        if (f < 0x1p-500) {
            f *= 0x1p500;
            k -= 500;
        }
    }
    *kexp = k;
    return f > 0.0 ? f : 0.0;
}

/* Per-problem outputs. */
typedef struct {
    double *p, *logp, *abserr, *relerr, *evals;
    int *status, *done;
    unsigned *notdone;
} mvncu_kout;

/* sov.c's narrow-feature rule ("Narrow features"): a size resolves the
   sharpest row with at least MVNCU_RESOLVE_POINTS * kappa points per
   shift; until then that row's band holds up to MVNCU_BAND_WIDTH / kappa,
   and stopping on it also needs n >= 1 / tolerance. */
#define MVNCU_RESOLVE_POINTS 4.0
#define MVNCU_BAND_WIDTH 3.0
/* sov.c's steps near the boundary ("Steps near the boundary"): with kappa
   above this, stopping also needs n * tolerance >= p, and a stop on the
   budget before that reports abserr >= p / n. */
#define MVNCU_STEP_KAPPA 16.0

/*
 * sov.c's estimate and stopping rule for problem t from its per-shift
 * sums est[0..M) of n points, kappa the problem's sharpest row, tails its
 * tail features (sov.c "Steps in an earlier variable's tail"): writes the
 * outputs; returns 1 when the tolerance is met.
 */
MVNCU_FN int finish_one(const mvncu_scaled *est, int M, uint64_t n, double error_factor,
                        double abseps, double releps, double kappa, uint64_t tails,
                        double tpm_n, const mvncu_kout *O, size_t t)
{
    double emax = -INFINITY;
    for (int j = 0; j < M; ++j)
        if (est[j].m > 0.0 && est[j].e > emax)
            emax = est[j].e;
    double mean = 0.0, se = 0.0;
    double E = 0.0;
    if (emax != -INFINITY) {
        double v[64], sum = 0.0;
        for (int j = 0; j < M; ++j) {
            const double de = est[j].e - emax;
            v[j] = est[j].m == 0.0 || de < -2000 ? 0.0 : ldexp(est[j].m, (int)de) / (double)n;
            sum += v[j];
        }
        mean = sum / M;
        double ssq = 0.0;
        for (int j = 0; j < M; ++j)
            ssq += (v[j] - mean) * (v[j] - mean);
        se = sqrt(ssq / ((double)M * (M - 1)));
        E = emax;
    }
    const double band_mass = kappa > 0.0 ? MVNCU_BAND_WIDTH / kappa : 0.0;
    const int resolved = (double)n >= MVNCU_RESOLVE_POINTS * kappa;
    const double err_m = error_factor * se;
    const double abs_m = abseps == 0.0 ? 0.0
                         : E < -3000 ? INFINITY : E > 3000 ? 0.0 : ldexp(abseps, (int)-E);
    const double rel_m = releps * mean;
    const int band_ok = resolved || (band_mass <= abseps && (double)n * abseps >= 1.0) ||
                        (E >= -3000 && (E > 3000 || (ldexp(band_mass, (int)-E) <= rel_m &&
                                                     (double)n * ldexp(rel_m, (int)E) >= 1.0)));
    const double tol_m = abs_m > rel_m ? abs_m : rel_m;
    const int steep = kappa > MVNCU_STEP_KAPPA;
    double tail_mass = 0.0;
    const int tail_ok = mvni_tail_resolved(tails, mean > 0.0 ? tol_m / mean : INFINITY,
                                           (double)n, &tail_mass);
    const int ok = band_ok && (!steep || (double)n * tol_m >= mean) && tail_ok &&
                   err_m <= tol_m;
    O->evals[t] += tpm_n;
    if (mean > 0.0) {
        const int Ei = E < -100000 ? -100000 : E > 100000 ? 100000 : (int)E;
        O->p[t] = ldexp(mean, Ei);
        O->logp[t] = log(mean) + E * SOV_LN2;
        O->abserr[t] = ldexp(error_factor * se, Ei);
        O->relerr[t] = error_factor * se / mean;
        if (steep && !ok && err_m * (double)n < mean) {
            O->abserr[t] = ldexp(mean / (double)n, Ei);
            O->relerr[t] = 1.0 / (double)n;
        }
        if (tail_mass * mean > err_m) {
            O->abserr[t] = fmax(O->abserr[t], ldexp(tail_mass * mean, Ei));
            O->relerr[t] = fmax(O->relerr[t], tail_mass);
        }
        if (!resolved && band_mass > O->abserr[t]) {
            O->abserr[t] = band_mass;
            O->relerr[t] = E < -3000 ? INFINITY
                         : E > 3000 ? 0.0 : ldexp(band_mass, (int)-E) / mean;
        }
    } else {
        O->p[t] = 0.0;
        O->logp[t] = -INFINITY;
        O->abserr[t] = resolved ? 0.0 : band_mass;
        O->relerr[t] = resolved ? 0.0 : INFINITY;
    }
    O->status[t] = ok ? MVNCU_OK : MVNCU_ETOL;
    return ok;
}

#endif
