/* qmc/sov.c -- Genz separation of variables integrated by randomized rank-1 lattice QMC, in log space.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Method (Genz 1992, "Numerical computation of multivariate normal
 * probabilities", J. Comput. Graph. Stat. 1:141-149; Genz & Bretz 2009,
 * "Computation of Multivariate Normal and t Probabilities", Springer LNS
 * 195, ch. 4).  With X = L Z, row i of the constraint a < L z < b reads
 * alpha_i < z_i < beta_i, alpha_i = (a_i - sum_{m<i} L_im z_m) / L_ii.
 * Writing z_i = Phi^-1(Phi(alpha_i) + w_i (Phi(beta_i) - Phi(alpha_i)))
 * turns P into the integral over w in [0,1)^(d-1) of
 * f(w) = prod_i e_i(w), e_i = Phi(beta_i) - Phi(alpha_i).
 *
 * Integration: the rank-1 lattice rules of lattice.c, M = opt->shifts
 * independent random shifts (mvni_uniform(seed, shift, coordinate)), the
 * tent (baker's) transformation x -> 1 - |2x - 1| and antithetic pairs
 * (w and 1 - w averaged), as in Genz & Bretz 2009 sec. 4.2.2.  Each lattice
 * size gives M independent unbiased estimates; their mean is the estimate
 * and their standard error times opt->error_factor is abserr.  Sizes are
 * tried in increasing order, each twice the last, and the sizes are
 * embedded (lattice.c): a size's points are the last size's plus as many
 * new ones, so each step evaluates only the new points (mvni_lattice_block
 * with odd set) and adds their sum to the running sum of its shift.  The
 * estimate of a size is the rule over all its points; a stop at size n
 * has cost 2 M n evaluations in all, where separate rules of every size
 * cost twice that.
 *
 * Narrow features (near-degenerate correlation): row i's limits move by
 * sqrt(sum_m L_im^2) / L_ii = kappa_i of its own standard deviations per
 * unit of the earlier z's, so its factor e_i passes from 0 to 1 within a
 * band of width about 3 / kappa_i in the unit cube (Phi spans 1e-4 ..
 * 1 - 1e-4 over 7.4 standard deviations, and dw = phi(z) dz <= 0.4 dz).
 * A lattice too coarse to put points in that band sees a smooth
 * integrand, all shifts agree, and the estimate stops early and wrong
 * (equicorrelated d = 5, 1 - rho = 1e-6: 0.49999997 +- 1.1e-7 after
 * 496 evaluations, exact 0.4995360).  So a size counts as resolving the
 * sharpest row only with at least 4 kappa points per shift; before that
 * its error is at least the band's mass 3 / kappa (the integrand is at
 * most 1), which lets a problem stop early only when that whole band is
 * within the tolerance, and keeps abserr honest when the budget ends
 * first.  A band that narrow makes the row a step, and a step is seen by
 * the shifts only where the region it cuts off holds points: a lattice of
 * n points per shift misses regions of mass below about 1/n in every
 * shift at once (the unfolded indicator of "Singular factors" below, 2-D,
 * 1 - rho = 5e-12, mean (0, 3): the step at w = 0.0027 fell between the
 * 31 points of all 8 shifts, 0.5 +- 9.5e-6 with status OK, exact
 * 0.4986501).  So stopping on an unresolved band
 * also needs n >= 1 / tolerance, where every region of mass above the
 * tolerance holds a point of each shift.  Benign problems (kappa <= 7,
 * correlations up to 0.99) are not affected: the first lattice already
 * has 31 points.
 *
 * Steps near the cube's boundary: resolving the band is not enough when
 * the step lies in the tail of an earlier z, where dw = phi(z) dz / e
 * makes the region beyond it narrow in w however wide the band is in z
 * (2-D, rho = 0.99988, X1 < 0 first and X2 > -4 second: the second
 * factor is 0 only for w1 < 6.3e-5, a region of mass 3.2e-5 that all 8
 * shifts of 256..2048 points missed, 0.5 +- 0 with status OK, exact
 * 0.4999683).  A region of width below 1/n can be missed by every shift
 * at once, and then the shifts agree and se says nothing.  So a steep
 * problem (kappa > SOV_STEP_KAPPA: the band spans under 0.5 of z, about
 * the width of a normal tail beyond 2 sd) stops only where a region of
 * width 1/n at the integrand's mean height, p / n, is within the
 * tolerance, and a stop on the budget before that reports abserr of at
 * least p / n.  The costs are n >= 1 / releps or p / abseps points per
 * shift for correlations above about 0.998 (1e-3: 1000 points).
 *
 * Steps in an earlier variable's tail: the rule above needs kappa > 16,
 * but a gentle step in a far tail is missed as well (2-D, corr 0.97,
 * X1 < 0 first and X2 > -4 second, kappa 4: the second factor falls from
 * 1 to 0 for z1 between -3.3 and -4.8, a region of mass 1e-3 of w1 whose
 * deficit, 1e-4, all 8 shifts of 64 points missed in 144 of 200 seeds,
 * up to 5e5 abserr off with status OK).  So the rows' limits are examined
 * once, before integrating (tail_features, qmc/tail_steps.h): row i's
 * limit term Phi((lim - c z_m) / tau), as a function of one earlier z_m
 * with the others taken as standard normals (tau^2 = 1 + their squared
 * coefficients), passes from saturated to saturated over the band
 * (lim -+ 3 tau) / c; when the band together with the side beyond it
 * holds a share mu < 1/4 of z_m's interval (its own limits where it has
 * no coefficients, the whole line otherwise), the integrand has a
 * feature of mass mu near the boundary.  A size stops only when every
 * feature with mu p above half the tolerance holds 8 / mu points per
 * shift, and abserr is at least the unresolved masses times p: those too
 * small to matter (at most the tolerance together, so a stop stays
 * within it) and, on the budget, the others.  This is a screen, not a proof: a step that
 * only a combination of several z's reaches in their joint tail is not
 * seen.  The benchmark families have no such feature (no extra size in
 * make bench); the 2-D example above now takes 8192 points per shift.
 *
 * Log space: a point's value is kept as f * 2^k with f renormalized
 * whenever it drops below 2^-500, and partial sums likewise carry their
 * own binary exponent, so log P is accurate where P underflows.  The
 * exponents are doubles holding integers: exact up to 2^53, and beyond
 * (log P below -6e15, a limit some 1e8 standard deviations out) rounded
 * to a relative 1e-16, never the undefined overflow of an integer type.  An
 * interval is evaluated on the side of zero where its probability has
 * relative accuracy (Q = 1 - Phi when alpha > 0); when even that underflows
 * (|limit| > 37.5 or so) the step is done with log Phi and mvn_norm_logPinv.
 *
 * Singular factors: a row with L_ii = 0 is the constraint
 * a_i <= sum_m L_im z_m <= b_i, an indicator (with a relative tolerance of
 * 1e-8 of the row's standard deviation for rounding), and uses no
 * integration variable.  As such it is a step, the limit of a narrow band
 * (kappa infinite): stopping would need n >= 1 / tolerance points per
 * shift (exactly singular 2-D, rho = 1, mean (0, 3): 0.5 +- 0 with status
 * OK when a 31-point lattice missed the step, exact 0.4986501).  So the
 * row is folded into the row j of its last nonzero coefficient on a sampled
 * column: a_i <= t + L_ij z_j <= b_i with t = sum_{m<j} L_im z_m bounds z_j
 * itself, so z_j is drawn from its own interval intersected with that
 * bound (fold_step) and the integrand stays continuous.  Only with a tilt,
 * or when L_ij is below 1e-8 of the row's norm, does the row stay a step.
 *
 * Tilting (Botev 2017, JRSS-B 79:125-148; see tilting.c): with a tilt
 * vector mu, z_i is drawn from N(mu_i, 1) truncated to [alpha_i, beta_i]
 * and the point's value is multiplied by exp(mu_i^2/2 - mu_i z_i), which
 * keeps the estimator unbiased for any mu.  It is implemented by running the
 * plain step on the shifted limits alpha_i - mu_i, beta_i - mu_i (so that
 * all tail-safe paths above apply unchanged) and then adding mu_i to the
 * sampled value and multiplying by exp(-mu_i^2/2 - mu_i y), y the shifted
 * sample; the value is renormalized after every tilted row because that
 * factor may exceed 1.  Without a tilt (mu == NULL) nothing of this runs.
 *
 * Determinism: the points of one lattice size are cut into chunks whose
 * length depends only on n; every chunk's partial sum is computed by one
 * thread and the partial sums are added in a fixed order, so the result is
 * bitwise the same for any number of threads.
 */
#ifdef HAVE_CONFIG_H
#include <config.h>
#endif

#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef MVN_HAVE_OPENMP
#include <omp.h>
#endif

#include "qmc/qmc.h"
#include "qmc/sov_row.h"
#include "qmc/tail_steps.h"
#include "mvnorm.h"
/* The per-row steps are the kernel sets of lib/simd (portable vector
   extensions, AVX2, AVX-512: bitwise the same numbers), chosen at run
   time; --disable-simd builds only the portable set. */
#include "simd/kernels.h"

/* Lattice points per block; a block evaluates 2 * SOV_BLOCK points (the
   antithetic partners) with arrays indexed [row][point] so the loops over
   points vectorize. */
#define SOV_BLOCK 32
#define SOV_LANES (2 * SOV_BLOCK)
_Static_assert(SOV_LANES == MVNI_SOV_LANES, "simd/kernels.h block size");
/* The multivariate t's chi variable takes lattice coordinate 0, the
   best one (see sov_integrate); the rows' coordinates follow it. */
#define SOV_CHI_DIM 0
/* Rows whose dot products are computed together (simd sov_dot_rows), and
   the shortest band over the finished columns for which that pays. */
#define SOV_GROUP 8
#define SOV_GROUP_MIN 64
/* At most this many chunks per shift and lattice size. */
#define SOV_MAX_CHUNKS 1024
/* A lattice size is spread over threads only when its estimated work,
   in units of one lane-row (about 1 ns of one core: the vector step plus
   the band's multiply-adds at 1/16 unit each), is at least this much.
   Below, the fork, the dynamic schedule and above all a worker thread
   that the OS has not scheduled yet (a time slice, milliseconds, on a
   loaded machine) cost more than the work; the small sizes also come
   first, so every call used to pay that several times.  Which sizes run
   in parallel never changes the numbers (see "Determinism"). */
#define SOV_PAR_MIN_WORK 4e5
/* Items taken at once by a thread: enough lane-rows (about 50 us) that
   the shared counter of the dynamic schedule is touched rarely. */
#define SOV_GRAB_WORK 5e4
/* Narrow features (see the comment at the top): a lattice size resolves
   the sharpest row when it has at least SOV_RESOLVE_POINTS * kappa points
   per shift; until then that row's transition band, of width about
   SOV_BAND_WIDTH / kappa in the unit cube, counts as unresolved mass. */
#define SOV_RESOLVE_POINTS 4.0
#define SOV_BAND_WIDTH 3.0
/* Steps near the boundary (see the comment at the top): a problem whose
   sharpest row has kappa above this stops only with n * tolerance >= p. */
#define SOV_STEP_KAPPA 16.0
#define SOV_TINY MVNI_SOV_TINY
/* Renormalization threshold of the running product. */
#define SOV_RENORM 0x1p-500
#define SOV_RENORM_EXP 500
#define SOV_LN2 0.69314718055994530942

/* A nonnegative number m * 2^e; e is an integer held in a double (see
   "Log space"). */
typedef struct {
    double m;
    double e;
} scaled;

static void scaled_add(scaled *acc, double m, double e)
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
    /* Keep the mantissa near 1 so that sums never overflow. */
    int ex;
    acc->m = frexp(acc->m, &ex);
    acc->e += ex;
}

/* Per-row data of the prepared problem. */
typedef struct {
    size_t first;   /* first column with a nonzero coefficient */
    size_t coef;    /* offset of coefficients first..i-1 in the packed array */
    double lo, hi;  /* limits divided by L_ii (raw limits for L_ii = 0) */
    double tol;     /* indicator tolerance for L_ii = 0 */
    int pos;        /* L_ii > 0 */
    int lo_inf, hi_inf;
    int wdim;       /* integration coordinate, or -1 */
    /* Constant rows (no coefficients): mode 0 lower side, 1 upper side,
       2 general (log) path; base = Phi(lo) or Q(lo), e the probability. */
    int cmode;
    double cbase, ce;
    /* Singular factors ("Singular factors" above): an indicator row folded
       into the row of its last coefficient has fold_to = that row (its
       coefficients and limits then divided by that coefficient), else -1;
       a row's own folded rows are folds[fold_first .. fold_first + nfold). */
    long fold_to;
    size_t fold_first, nfold;
    double tshift;  /* multivariate t: delta_i / L_ii, added to the row sum */
} sov_row;

typedef struct {
    size_t d;
    const sov_row *rows;
    const double *coef;
    const size_t *folds; /* folded rows, grouped by the row they fold into */
    const double *tilt; /* mu, length d, or NULL */
    /* Regression form (band.c, MVNI_SPARSE_REG): the row sums run over the
       sampled variables x_m = L_mm (s_m + z_m), which y then holds, with
       xdiag[m] = L_mm; NULL for the Cholesky form. */
    const double *xdiag;
    /* Vector kernels of the per-row step (simd/kernels.h); every set gives
       the same numbers, so the choice only affects speed. */
    const mvni_simd_kernels *k;
    /* The multivariate t (mvni_sov_qmc_t): the map from lattice
       coordinate SOV_CHI_DIM to log W, every row's limits scaled by W;
       NULL for the normal. */
    const mvni_chi_map *chi;
} sov_problem;

/* Multiplies f * 2^k by exp(le).  le = q ln 2 + r with 0 <= r <= ln 2;
   where |le| exceeds 2^53 the computed r carries the rounding of le
   (thousands for le = -1e19), and the clamp keeps exp(r) a number. */
static void mul_log(double *f, double *k, double le)
{
    if (!(le > -INFINITY)) {
        *f = 0.0;
        return;
    }
    double q = floor(le / SOV_LN2);
    *f *= exp(fmin(fmax(le - q * SOV_LN2, 0.0), SOV_LN2));
    *k += q;
}

/*
 * One SOV step through the log path, for limits where Phi underflows:
 * multiplies f * 2^k by Phi(be) - Phi(al) and returns the sampled z (if
 * need_y).  The interval is handled on the side of zero where it lies.
 */
static double step_log(double al, double be, double w, int need_y, double *f,
                       double *k)
{
    double le, y = 0.0;
    if (al > 0) {
        /* Upper side: Q(al) - w (Q(al) - Q(be)) = Q(al) (1 - w + w r). */
        double lqa = mvn_norm_logQ(al);
        double lqb = isinf(be) ? -INFINITY : mvn_norm_logQ(be);
        double r = exp(lqb - lqa);
        le = r < 1.0 ? lqa + log1p(-r) : -INFINITY;
        if (need_y)
            y = -mvn_norm_logPinv(lqa + log((1.0 - w) + w * r));
    } else {
        /* Lower side: Phi(al) + w (Phi(be) - Phi(al)) = Phi(be) (r + w (1 - r)). */
        double lpb = mvn_norm_logP(be);
        double lpa = isinf(al) ? -INFINITY : mvn_norm_logP(al);
        double r = exp(lpa - lpb);
        le = r < 1.0 ? lpb + log1p(-r) : -INFINITY;
        if (need_y)
            y = mvn_norm_logPinv(lpb + log(r + w * (1.0 - r)));
    }
    mul_log(f, k, le);
    if (need_y) {
        if (y < al)
            y = al;
        if (y > be)
            y = be;
    }
    return y;
}

/*
 * Row i with folded indicator rows: z_i is limited by its own interval
 * (lo - s, hi - s) and by each folded row r's, (lo_r - t_r, hi_r - t_r)
 * with t_r = sum_{m < i} c_rm z_m (coefficients and limits divided by
 * L_ri, the order of the limits swapped where L_ri < 0).  The
 * intersection is sampled through the log path, which is exact for any
 * interval; an empty one zeroes the lane.
 */
static void fold_step(const sov_problem *pb, const sov_row *row, size_t i,
                      const double *s, const double *w, int need_y, double *yi,
                      double *f, double *kexp)
{
    const double *y = yi - i * SOV_LANES;
    double al[SOV_LANES], be[SOV_LANES], t[SOV_LANES];
    for (size_t p = 0; p < SOV_LANES; ++p) {
        al[p] = row->lo - s[p];
        be[p] = row->hi - s[p];
    }
    for (size_t k = 0; k < row->nfold; ++k) {
        const sov_row *r = &pb->rows[pb->folds[row->fold_first + k]];
        pb->k->sov_dot(pb->coef + r->coef, r->first, i, y, t);
        for (size_t p = 0; p < SOV_LANES; ++p) {
            al[p] = fmax(al[p], r->lo - t[p]);
            be[p] = fmin(be[p], r->hi - t[p]);
        }
    }
    for (size_t p = 0; p < SOV_LANES; ++p) {
        if (!(al[p] < be[p]) || f[p] == 0.0) {
            f[p] = 0.0;
            yi[p] = 0.0;
            continue;
        }
        const double v = step_log(al[p], be[p], w[p], need_y, &f[p], &kexp[p]);
        yi[p] = need_y ? v : 0.0;
    }
}

/*
 * Evaluates the integrand at the points i0 .. i0+cnt-1 of the lattice
 * (n, z) shifted by `shift` (with odd set: the points 2 i + 1 for those i,
 * see mvni_lattice_block), and at their antithetic partners.  Adds the
 * sum over the cnt pairs of (f(w) + f(1-w)) / 2 to *acc.
 * ws: d * SOV_LANES doubles for z, 3 * SOV_LANES for s, f, w,
 * SOV_GROUP * SOV_LANES for the grouped dot products and SOV_LANES for
 * the t's W.
 */
static void eval_block(const sov_problem *pb, uint64_t n, const uint64_t *z,
                       const double *shift, uint64_t i0, size_t cnt, int odd,
                       double *ws, double *kexp, scaled *acc)
{
    const size_t d = pb->d;
    double *y = ws;
    double *s = ws + d * SOV_LANES;
    double *f = s + SOV_LANES;
    double *w = f + SOV_LANES;
    /* Rows gs .. ge-1 have their sums over the columns first .. gs-1
       (first shared by the group) in S, row by row. */
    double *S = w + SOV_LANES;
    size_t gs = 0, ge = 0;

    for (size_t p = 0; p < SOV_LANES; ++p) {
        f[p] = 1.0;
        kexp[p] = 0;
    }
    /* The t: W = S / sqrt(df) of each lane from its own lattice
       coordinate by inversion (chi.c), kept within 2^+-1000 so that a
       finite limit times W stays finite and an infinite one infinite. */
    double *sc = NULL;
    if (pb->chi != NULL) {
        sc = S + SOV_GROUP * SOV_LANES;
        mvni_lattice_block(n, z[SOV_CHI_DIM], shift[SOV_CHI_DIM], i0, SOV_BLOCK, odd, sc);
        pb->k->phiinv(SOV_LANES, sc, sc);
        for (size_t p = 0; p < SOV_LANES; ++p)
            sc[p] = fmin(fmax(exp(mvni_chi_map_log(pb->chi, sc[p])), 0x1p-1000), 0x1p1000);
    }

    for (size_t i = 0; i < d; ++i) {
        const sov_row *row = &pb->rows[i];
        double *yi = y + i * SOV_LANES;
        const int need_y = row->wdim >= 0;

        if (row->fold_to >= 0) {
            /* Enforced at the row it folds into. */
            for (size_t p = 0; p < SOV_LANES; ++p)
                yi[p] = 0.0;
            continue;
        }

        if (need_y) {
            /* Lattice coordinate, shifted, tent-transformed; antithetic
               partner in the upper half of the lanes. */
            const int j = row->wdim;
            mvni_lattice_block(n, z[j], shift[j], i0, SOV_BLOCK, odd, w);
        }

        /* s = sum_m c_im z_m over the row's band.  Long bands (dense
           factors) are summed for up to SOV_GROUP rows at once over the
           columns finished before the group, so the block's z values are
           read once per group instead of once per row; each row then
           continues its own sum over the group's earlier rows.  Every lane
           is summed in the order of m either way, so the numbers are
           bitwise those of the row-by-row sums. */
        if (i >= ge && i - row->first >= SOV_GROUP_MIN && i + 1 < d) {
            const double *cp[SOV_GROUP];
            size_t r = i;
            while (r < d && r < i + SOV_GROUP && pb->rows[r].first == row->first) {
                cp[r - i] = pb->coef + pb->rows[r].coef;
                ++r;
            }
            if (r - i >= 2) {
                pb->k->sov_dot_rows(r - i, cp, row->first, i, y, S);
                gs = i;
                ge = r;
            }
        }
        if (i < ge) {
            memcpy(s, S + (i - gs) * SOV_LANES, SOV_LANES * sizeof *s);
            pb->k->sov_dot_acc(pb->coef + row->coef + (gs - row->first), gs, i,
                               y, s);
        } else {
            pb->k->sov_dot(pb->coef + row->coef, row->first, i, y, s);
        }


        if (sc != NULL && row->tshift != 0.0)
            for (size_t p = 0; p < SOV_LANES; ++p)
                s[p] += row->tshift;

        if (!row->pos) {
            const double lo = row->lo - row->tol, hi = row->hi + row->tol;
            for (size_t p = 0; p < SOV_LANES; ++p) {
                if (!(s[p] >= lo && s[p] <= hi))
                    f[p] = 0.0;
                yi[p] = 0.0;
            }
            continue;
        }

        if (sc != NULL) {
            /* The t: the limits of lane p are lo W_p and hi W_p (no
               constant rows, folds or tilts: prepare and the caller). */
            double e[SOV_LANES];
            const int nlog = pb->k->sov_step_scaled(s, sc, row->lo, row->hi, w, SOV_TINY,
                                                    e, need_y ? yi : NULL);
            for (size_t p = 0; p < SOV_LANES; ++p)
                f[p] *= e[p] >= 0.0 ? e[p] : 1.0;
            for (size_t p = 0; nlog > 0 && p < SOV_LANES; ++p)
                if (e[p] < 0.0)
                    yi[p] = step_log(row->lo * sc[p] - s[p], row->hi * sc[p] - s[p], w[p],
                                     need_y, &f[p], &kexp[p]);
        } else if (row->nfold > 0) {
            fold_step(pb, row, i, s, w, need_y, yi, f, kexp);
        } else if (row->first == i && row->cmode < 2) {
            /* Constant limits: Phi was evaluated once at setup. */
            const double base = row->cbase, e = row->ce;
            for (size_t p = 0; p < SOV_LANES; ++p)
                f[p] *= e;
            if (need_y)
                pb->k->sov_const(base, e, row->cmode == 1, w, yi);
        } else {
            /* The vector step computes e = Phi(beta) - Phi(alpha) and the
               clamped inverse on the tail-safe side for all lanes; lanes
               whose Phi values underflow come back with e < 0 and are
               redone here in log space. */
            double e[SOV_LANES];
            const int nlog = pb->k->sov_step(s, row->lo, row->hi, w, SOV_TINY,
                                             e, need_y ? yi : NULL);
            for (size_t p = 0; p < SOV_LANES; ++p)
                f[p] *= e[p] >= 0.0 ? e[p] : 1.0;
            for (size_t p = 0; nlog > 0 && p < SOV_LANES; ++p)
                if (e[p] < 0.0)
                    yi[p] = step_log(row->lo - s[p], row->hi - s[p], w[p],
                                     need_y, &f[p], &kexp[p]);
        }
        if (pb->tilt != NULL && need_y && pb->tilt[i] != 0.0) {
            /* Undo the shift of the limits and apply the likelihood
               ratio exp(mu^2/2 - mu z) of the tilted draw, z = y + mu. */
            const double mu = pb->tilt[i], h = -0.5 * mu * mu;
            for (size_t p = 0; p < SOV_LANES; ++p) {
                if (f[p] > 0.0) {
                    const double t = h - mu * yi[p];
                    const double q = nearbyint(t * (1.0 / SOV_LN2));
                    const double r = fmin(fmax(t - q * SOV_LN2, -SOV_LN2), SOV_LN2);
                    int ex;
                    f[p] = frexp(f[p] * exp(r), &ex);
                    kexp[p] += q + ex;
                }
                yi[p] += mu;
            }
        }
        if (pb->xdiag != NULL && need_y) {
            const double sd = pb->xdiag[i];
            for (size_t p = 0; p < SOV_LANES; ++p)
                yi[p] = sd * (yi[p] + s[p]);
        }
        for (size_t p = 0; p < SOV_LANES; ++p) {
            if (f[p] < SOV_RENORM && f[p] > 0.0) {
                f[p] *= 0x1p500;
                kexp[p] -= SOV_RENORM_EXP;
            }
        }
    }

    /* Sum of the valid pairs, (f(w) + f(1-w)) / 2 each, in lane order. */
    double kmax = -INFINITY;
    for (size_t p = 0; p < cnt; ++p) {
        if (f[p] > 0.0 && kexp[p] > kmax)
            kmax = kexp[p];
        if (f[p + SOV_BLOCK] > 0.0 && kexp[p + SOV_BLOCK] > kmax)
            kmax = kexp[p + SOV_BLOCK];
    }
    if (kmax == -INFINITY)
        return;
    double sum = 0.0;
    for (size_t p = 0; p < cnt; ++p) {
        for (size_t h = 0; h < 2; ++h) {
            const size_t q = p + h * SOV_BLOCK;
            if (f[q] > 0.0) {
                const double de = kexp[q] - kmax;
                sum += de == 0 ? f[q] : de < -2000 ? 0.0 : ldexp(f[q], (int)de);
            }
        }
    }
    scaled_add(acc, 0.5 * sum, kmax);
}

/* Row i of the factor: the dense L, or the structured sf when L == NULL. */
static void factor_row(size_t d, const double *L, const mvni_sparse_factor *sf,
                       size_t i, size_t *first, const double **c, double *lii)
{
    if (L != NULL) {
        *first = mvni_sov_row_first(d, L, i);
        *c = L + i * d + *first;
        *lii = L[i * d + i];
    } else {
        *first = sf->first[i];
        *c = sf->coef + sf->off[i];
        *lii = sf->diag[i];
    }
}

/*
 * The sharpness of the integrand (see "Narrow features" above):
 * kappa = max over rows with L_ii > 0 of sqrt(sum_m L_im^2) / L_ii, the
 * conditional standard deviation of the row's limits in units of L_ii.
 * coef already holds L_im / L_ii.  0 for a factor without coefficients;
 * +inf when a row with L_ii = 0 has coefficients and is not folded: its
 * indicator is a step (band mass 0, never resolved, so stopping needs
 * n >= 1 / tolerance); a folded one counts with the coefficients of its
 * bound on the row it folds into.
 */
static double sharpest_row(size_t d, const sov_row *rows, const double *coef)
{
    double kappa = 0.0;
    for (size_t i = 0; i < d; ++i) {
        if (!rows[i].pos) {
            if (rows[i].fold_to >= 0) {
                /* Folded: the bound on z_j moves by sum_m c_m z_m. */
                double ss = 0.0;
                for (size_t m = rows[i].first; m < (size_t)rows[i].fold_to; ++m) {
                    const double c = coef[rows[i].coef + (m - rows[i].first)];
                    ss += c * c;
                }
                if (ss > kappa * kappa)
                    kappa = sqrt(ss);
            } else if (rows[i].first < i) {
                return INFINITY;
            }
            continue;
        }
        double ss = 0.0;
        for (size_t m = rows[i].first; m < i; ++m) {
            const double c = coef[rows[i].coef + (m - rows[i].first)];
            ss += c * c;
        }
        if (ss > kappa * kappa)
            kappa = sqrt(ss);
    }
    return kappa;
}

/* sharpest_row for the regression form, whose coefficients multiply the
   variables rather than independent z's: a row's limits then have the
   conditional standard deviation sqrt(1 - L_ii^2) (band.c's factors are
   of correlation matrices), so kappa_i = sqrt(1 - L_ii^2) / L_ii. */
static double regression_sharpest_row(const mvni_sparse_factor *sf)
{
    double kappa = 0.0;
    for (size_t i = 0; i < sf->d; ++i) {
        const double l = sf->diag[i];
        kappa = fmax(kappa, sqrt(fmax(1.0 - l * l, 0.0)) / l);
    }
    return kappa;
}

/*
 * Steps in an earlier variable's tail (see the comment at the top): the
 * features of every row with limits as functions of each earlier sampled
 * z_m (qmc/tail_steps.h), the other z's taken as standard normals.  z_m's
 * interval is its own limits for a row without coefficients or folded
 * rows, the whole line otherwise.  Returns the mask of their masses.
 */
static uint64_t tail_features(size_t d, const sov_row *rows, const double *coef)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < d; ++i) {
        const sov_row *row = &rows[i];
        if (!row->pos || row->first >= i || (row->lo_inf && row->hi_inf))
            continue;
        const double *c = coef + row->coef;
        double ss = 0.0;
        for (size_t m = row->first; m < i; ++m)
            if (rows[m].pos)
                ss += c[m - row->first] * c[m - row->first];
        for (size_t m = row->first; m < i; ++m) {
            const double cm = c[m - row->first];
            if (!rows[m].pos || cm == 0.0)
                continue;
            const int own = rows[m].first == m && rows[m].nfold == 0;
            mvni_tail_mark_pair(&mask, row->lo_inf ? -INFINITY : row->lo,
                                row->hi_inf ? INFINITY : row->hi, cm,
                                sqrt(fmax(1.0 + ss - cm * cm, 1.0)),
                                own ? rows[m].lo : -INFINITY, own ? rows[m].hi : INFINITY);
        }
    }
    return mask;
}

/* Folds each indicator row of a dense factor without tilt into the row of
   its last nonzero coefficient on a sampled column (see "Singular
   factors"), unless that coefficient is below SOV_FOLD_MIN of the row's
   norm (the row then stays a step).  Fills fold_to, fold_first, nfold and
   folds[0 .. d); folds[d .. 2d) is scratch. */
#define SOV_FOLD_MIN 1e-8
static void fold_indicators(size_t d, sov_row *rows, double *coef, size_t *folds)
{
    size_t *count = folds + d, *fill = folds + d;
    for (size_t i = 0; i < d; ++i)
        count[i] = 0;
    for (size_t i = 0; i < d; ++i) {
        sov_row *row = &rows[i];
        if (row->pos || row->first >= i)
            continue;
        double *c = coef + row->coef;
        double ss = 0.0;
        size_t j = i;
        for (size_t m = row->first; m < i; ++m)
            if (rows[m].pos && c[m - row->first] != 0.0) {
                ss += c[m - row->first] * c[m - row->first];
                j = m;
            }
        if (j == i || !(fabs(c[j - row->first]) > SOV_FOLD_MIN * sqrt(ss)))
            continue;
        const double lij = c[j - row->first];
        for (size_t m = row->first; m < j; ++m)
            c[m - row->first] /= lij;
        /* Exact limits: the indicator's rounding tolerance is not needed
           once the bound is on z_j (its rounding is relative). */
        double lo = row->lo / lij, hi = row->hi / lij;
        row->lo = lij > 0.0 ? lo : hi;
        row->hi = lij > 0.0 ? hi : lo;
        row->fold_to = (long)j;
        ++count[j];
    }
    size_t off = 0;
    for (size_t j = 0; j < d; ++j) {
        rows[j].fold_first = off;
        rows[j].nfold = count[j];
        fill[j] = off; /* overwrites count[j] */
        off += rows[j].nfold;
    }
    for (size_t i = 0; i < d; ++i)
        if (rows[i].fold_to >= 0)
            folds[fill[rows[i].fold_to]++] = i;
}

/* Sets the per-row data; returns the number of integration coordinates
   (the t's chi variable's included). */
static int prepare(size_t d, const double *L, const mvni_sparse_factor *sf,
                   const double *a, const double *b, const double *mu,
                   const double *tdelta, int t, sov_row *rows, double *coef,
                   size_t *folds)
{
    size_t off = 0;
    int nw = t ? SOV_CHI_DIM + 1 : 0; /* the rows' coordinates follow the chi's */
    for (size_t i = 0; i < d; ++i) {
        sov_row *row = &rows[i];
        size_t first;
        const double *Li;
        double lii;
        factor_row(d, L, sf, i, &first, &Li, &lii);
        row->first = first;
        row->coef = off;
        row->pos = lii > 0.0;
        const double scale = row->pos ? 1.0 / lii : 1.0;
        double ss = 0.0;
        for (size_t m = 0; m < i - first; ++m) {
            coef[off++] = Li[m] * scale;
            ss += Li[m] * Li[m];
        }
        row->lo = a[i] * scale;
        row->hi = b[i] * scale;
        if (mu != NULL && row->pos && i + 1 < d) {
            /* Tilted rows integrate over the shifted interval (the last
               row samples nothing, so its tilt is ignored). */
            row->lo -= mu[i];
            row->hi -= mu[i];
        }
        row->lo_inf = isinf(a[i]);
        row->hi_inf = isinf(b[i]);
        row->tol = row->pos ? 0.0 : 1e-8 * sqrt(ss);
        /* The last row's z is never used, so it needs no coordinate. */
        row->wdim = row->pos && i + 1 < d ? nw++ : -1;
        row->cmode = 2;
        row->cbase = row->ce = 0.0;
        row->tshift = tdelta != NULL ? tdelta[i] * scale : 0.0;
        if (row->pos && first == i && !t)
            mvni_sov_row_constant(row->lo, row->hi, row->lo_inf, row->hi_inf,
                                  &row->cmode, &row->cbase, &row->ce);
        row->fold_to = -1;
        row->fold_first = row->nfold = 0;
    }
    if (L != NULL && mu == NULL && !t)
        fold_indicators(d, rows, coef, folds);
    return nw;
}

static int sov_integrate(size_t d, const double *L,
                         const mvni_sparse_factor *sf, const double *a,
                         const double *b, const double *mu,
                         const mvni_chi_map *chi, const double *tdelta,
                         const mvni_qmc_options *opt, mvni_result *res);

int mvni_sov_qmc(size_t d, const double *L, const double *a, const double *b,
                 const mvni_qmc_options *opt, mvni_result *res)
{
    return sov_integrate(d, L, NULL, a, b, NULL, NULL, NULL, opt, res);
}

int mvni_sov_qmc_tilted(size_t d, const double *L, const double *a,
                        const double *b, const double *mu,
                        const mvni_qmc_options *opt, mvni_result *res)
{
    return sov_integrate(d, L, NULL, a, b, mu, NULL, NULL, opt, res);
}

int mvni_sov_qmc_sparse(const mvni_sparse_factor *f, const double *a,
                        const double *b, const mvni_qmc_options *opt,
                        mvni_result *res)
{
    return sov_integrate(f->d, NULL, f, a, b, NULL, NULL, NULL, opt, res);
}

int mvni_sov_qmc_t(size_t d, const double *L, const double *a, const double *b,
                   const double *delta, const mvni_chi_map *chi,
                   const mvni_qmc_options *opt, mvni_result *res)
{
    for (size_t i = 0; i < d; ++i)
        if (!(L[i * d + i] > 0.0))
            return MVNI_NOT_STRUCTURED;
    return sov_integrate(d, L, NULL, a, b, NULL, chi, delta, opt, res);
}

/* The integrator behind all four: L dense (d x d), or sf structured; chi
   set for the multivariate t (L dense, positive diagonal). */
static int sov_integrate(size_t d, const double *L,
                         const mvni_sparse_factor *sf, const double *a,
                         const double *b, const double *mu,
                         const mvni_chi_map *chi, const double *tdelta,
                         const mvni_qmc_options *opt, mvni_result *res)
{
    const int M = opt->shifts < 2 ? 2 : opt->shifts > 64 ? 64 : opt->shifts;
    int nthreads = opt->threads >= 1 ? opt->threads : 1;
#ifndef MVN_HAVE_OPENMP
    nthreads = 1;
#endif
    /* Per-thread workspaces start on their own 64-byte lines (wsz is a
       multiple of 8 doubles) so that threads never share a cache line. */
    const size_t wsz = d * SOV_LANES + (4 + SOV_GROUP) * SOV_LANES;
    /* Coefficients are packed from each row's first nonzero: the
       envelope of the factor, not d^2/2, is what the memory scales with. */
    size_t ncoef = 1;
    if (sf != NULL)
        ncoef += sf->nnz;
    else
        for (size_t i = 0; i < d; ++i)
            ncoef += i - mvni_sov_row_first(d, L, i);

    sov_row *rows = malloc(d * sizeof *rows);
    size_t *folds = malloc(2 * d * sizeof *folds);
    double *coef = malloc(ncoef * sizeof *coef);
    double *ws = aligned_alloc(64, (size_t)nthreads * wsz * sizeof *ws);
    double *kws = aligned_alloc(64, (size_t)nthreads * SOV_LANES * sizeof *kws);
    uint64_t *z = malloc((d + 1) * sizeof *z);
    double *shift = malloc((size_t)M * (d + 1) * sizeof *shift);
    scaled *part = malloc((size_t)M * SOV_MAX_CHUNKS * sizeof *part);
    int status = MVN_OK;
    if (!rows || !folds || !coef || !ws || !kws || !z || !shift || !part) {
        status = MVN_ENOMEM;
        res->p = res->logp = res->abserr = res->relerr = NAN;
        res->evals = 0;
        res->status = status;
        goto done;
    }

    /* The t's chi variable takes coordinate SOV_CHI_DIM = 0, the
       lattice's best (its generating vector is searched with weights
       falling with the coordinate, and every row depends on W), and the
       rows the ones
       after it (nw <= d, so the shift and generator arrays of d + 1 hold
       them).  Against the last coordinate, which it had before: 1.46
       times fewer evaluations in the geometric mean over 27 cells
       (rectangles and upper orthants, d = 4-20, df 2.5-20, abseps 1e-5;
       0.83-3.4 times), the same abserr. */
    const int nw = prepare(d, L, sf, a, b, mu, tdelta, chi != NULL, rows, coef, folds);
    /* Lane-rows of work per evaluation (see SOV_PAR_MIN_WORK): one per
       row plus the band's multiply-adds at 1/16 each. */
    double row_work = (double)d;
    for (size_t i = 0; i < d; ++i)
        row_work += (double)(i - rows[i].first) / 16.0;
    const sov_problem pb = {d, rows, coef, folds, mu,
                            sf != NULL && sf->form == MVNI_SPARSE_REG ? sf->diag : NULL,
                            mvni_simd_best(), chi};
    for (int j = 0; j < M; ++j)
        for (int c = 0; c < nw; ++c)
            shift[(size_t)j * (d + 1) + (size_t)c] =
                mvni_uniform(opt->seed, (uint64_t)j, (uint64_t)c);

    /* Narrow features: points per shift that resolve the sharpest row,
       and the mass that row's transition band can hold when they do not. */
    const double kappa = sf != NULL && sf->form == MVNI_SPARSE_REG
                         ? regression_sharpest_row(sf) : sharpest_row(d, rows, coef);
    const double resolve_n = SOV_RESOLVE_POINTS * kappa;
    const double band_mass = kappa > 0.0 ? SOV_BAND_WIDTH / kappa : 0.0;
    const int steep = kappa > SOV_STEP_KAPPA;
    int resolved = 0;
    /* Steps in an earlier variable's tail: the normal's plain integrand
       (a tilt or the t's chi variable moves the steps). */
    const uint64_t tails = mu == NULL && chi == NULL &&
                           !(sf != NULL && sf->form == MVNI_SPARSE_REG)
                           ? tail_features(d, rows, coef) : 0;
    double tail_mass = 0.0; /* unresolved tail features of the last size */

    const double tpm = 2.0 * (double)M; /* evaluations per lattice point */
    const int nsizes = mvni_lattice_count();
    double evals = 0.0;
    double mean = 0.0, se = 0.0;
    double err_m = 0.0; /* factor * se on the scale 2^E */
    double E = 0.0;
    int done_ok = 0;
    uint64_t n_done = 0; /* points per shift of the last size evaluated */

    /* Sizes that cannot stop are skipped, as far as the budget allows:
       those below resolve_n when the band matters at any p <= 1, and
       otherwise those below both resolve_n and the step's 1 / tolerance
       (the tolerance is at most max(abseps, releps) since p <= 1). */
    const double tol_max = opt->abseps > opt->releps ? opt->abseps : opt->releps;
    double min_stop_n = resolve_n;
    if (band_mass <= tol_max && tol_max > 0.0 && 1.0 / tol_max < min_stop_n)
        min_stop_n = 1.0 / tol_max;
    int k0 = 0;
    while (k0 + 1 < nsizes &&
           (double)mvni_lattice_points(k0) < min_stop_n &&
           tpm * (double)mvni_lattice_points(k0 + 1) <= opt->maxpts)
        ++k0;

    /* Running sums per shift over the points of the sizes done so far:
       each size after the first evaluates only the points it adds (the
       odd indices, half of its points) and adds their sum to these. */
    scaled run[64];
    for (int j = 0; j < M; ++j)
        run[j] = (scaled){0.0, 0};

    for (int k = k0; k < nsizes; ++k) {
        const uint64_t n = mvni_lattice_points(k);
        const int odd = k > k0;
        const uint64_t nnew = odd ? n / 2 : n; /* points evaluated now */
        for (int c = 0; c < nw; ++c)
            z[c] = mvni_lattice_generator(k, (size_t)c);

        /* Chunks of a fixed length (a multiple of the block) that depends
           only on n. */
        uint64_t nblocks = (nnew + SOV_BLOCK - 1) / SOV_BLOCK;
        uint64_t bpc = (nblocks + SOV_MAX_CHUNKS - 1) / SOV_MAX_CHUNKS;
        const uint64_t chunk = bpc * SOV_BLOCK;
        const long nchunks = (long)((nnew + chunk - 1) / chunk);
        const long nitems = nchunks * M;

        /* Threads only for sizes with enough work; items grabbed in runs
           of about SOV_GRAB_WORK lane-rows. */
        const double item_work = row_work * 2.0 * (double)chunk;
        const int par = nthreads > 1 && nitems > 1 &&
                        item_work * (double)nitems >= SOV_PAR_MIN_WORK;
        long grab = (long)(SOV_GRAB_WORK / item_work);
        if (grab < 1)
            grab = 1;
        if (grab > nitems / (4L * nthreads))
            grab = nitems / (4L * nthreads) > 1 ? nitems / (4L * nthreads) : 1;
        const int nt = nthreads < nitems ? nthreads : (int)nitems;
        (void)par;
        (void)grab;
        (void)nt;
#ifdef MVN_HAVE_OPENMP
#pragma omp parallel for schedule(dynamic, grab) num_threads(nt) if (par)
#endif
        for (long t = 0; t < nitems; ++t) {
            int tid = 0;
#ifdef MVN_HAVE_OPENMP
            tid = omp_get_thread_num();
#endif
            const long j = t / nchunks, c = t % nchunks;
            scaled acc = {0.0, 0};
            const uint64_t start = (uint64_t)c * chunk;
            const uint64_t end = start + chunk < nnew ? start + chunk : nnew;
            for (uint64_t i0 = start; i0 < end; i0 += SOV_BLOCK) {
                const size_t cnt = (size_t)(end - i0 < SOV_BLOCK ? end - i0 : SOV_BLOCK);
                eval_block(&pb, n, z, shift + (size_t)j * (d + 1), i0, cnt, odd,
                           ws + (size_t)tid * wsz, kws + (size_t)tid * SOV_LANES,
                           &acc);
            }
            part[t] = acc;
        }
        evals += tpm * (double)nnew;
        n_done = n;

        /* Shift sums, each m_j * 2^e_j: the earlier sizes' sum, then the
           new chunks, added in a fixed order. */
        scaled est[64];
        double emax = -INFINITY;
        for (int j = 0; j < M; ++j) {
            scaled acc = run[j];
            for (long c = 0; c < nchunks; ++c)
                scaled_add(&acc, part[(long)j * nchunks + c].m,
                           part[(long)j * nchunks + c].e);
            run[j] = est[j] = acc;
            if (acc.m > 0.0 && acc.e > emax)
                emax = acc.e;
        }
        if (emax == -INFINITY) {
            mean = se = 0.0;
            E = 0;
        } else {
            double v[64], sum = 0.0;
            for (int j = 0; j < M; ++j) {
                const double de = est[j].e - emax;
                v[j] = est[j].m == 0.0 || de < -2000 ? 0.0
                       : ldexp(est[j].m, (int)de) / (double)n;
                sum += v[j];
            }
            mean = sum / M;
            double ssq = 0.0;
            for (int j = 0; j < M; ++j)
                ssq += (v[j] - mean) * (v[j] - mean);
            se = sqrt(ssq / ((double)M * (M - 1)));
            E = emax;
        }

        /* Converged when factor * se * 2^E <= max(abseps, releps * p),
           compared on the scale 2^E so that underflow does not matter,
           and the sharpest row is resolved or its band mass is within
           the same tolerance ("Narrow features"). */
        resolved = (double)n >= resolve_n;
        err_m = opt->error_factor * se;
        /* abseps = 0 must never count as met, however small p is. */
        const double abs_m = opt->abseps == 0.0 ? 0.0
                           : E < -3000 ? INFINITY : E > 3000 ? 0.0
                           : ldexp(opt->abseps, (int)-E);
        const double rel_m = opt->releps * mean;
        /* The band is an absolute mass: compared with abseps as it is,
           with releps * p on the scale 2^E; an unresolved band also needs
           n >= 1 / tolerance (the step's regions above the tolerance hold
           points of every shift). */
        const int band_ok =
            resolved ||
            (band_mass <= opt->abseps && (double)n * opt->abseps >= 1.0) ||
            (E >= -3000 && (E > 3000 || (ldexp(band_mass, (int)-E) <= rel_m &&
                                         (double)n * ldexp(rel_m, (int)E) >= 1.0)));
        /* A steep problem: a region of width 1 / n at the mean height
           must be within the tolerance ("Steps near the boundary"). */
        const double tol_m = abs_m > rel_m ? abs_m : rel_m;
        const int step_ok = !steep || (double)n * tol_m >= mean;
        /* Steps in an earlier variable's tail: each feature whose mass
           times the mean exceeds the tolerance holds points. */
        const int tail_ok = mvni_tail_resolved(tails, mean > 0.0 ? tol_m / mean : INFINITY,
                                               (double)n, &tail_mass);
        if (band_ok && step_ok && tail_ok && err_m <= tol_m) {
            done_ok = 1;
            break;
        }
        /* The next size costs its new half: as many points as this size. */
        if (k + 1 >= nsizes ||
            evals + tpm * (double)mvni_lattice_points(k + 1) / 2.0 > opt->maxpts)
            break;
        if (mvni_monitor_step(opt->monitor, tpm * (double)nnew)) {
            status = MVN_ECANCELED;
            res->p = res->logp = res->abserr = res->relerr = NAN;
            res->evals = evals;
            res->status = status;
            goto done;
        }
    }

    status = done_ok ? MVN_OK : MVN_ETOL;
    if (mean > 0.0) {
        const int Ei = E < -100000 ? -100000 : E > 100000 ? 100000 : (int)E;
        res->p = ldexp(mean, Ei);
        res->logp = log(mean) + (double)E * SOV_LN2;
        res->abserr = ldexp(err_m, Ei);
        /* The relative error, on the scale 2^E: meaningful where p and
           abserr underflow (it is the error estimate of logp). */
        res->relerr = err_m / mean;
        /* Steep and stopped on the budget before n * tolerance >= p: a
           region of width 1 / n may have been missed by every shift. */
        if (steep && !done_ok && n_done > 0 &&
            err_m * (double)n_done < mean) {
            res->abserr = ldexp(mean / (double)n_done, Ei);
            res->relerr = 1.0 / (double)n_done;
        }
        /* Tail features left unresolved (on the budget, or too small to
           matter) may hold up to their masses times the mean. */
        if (tail_mass * mean > err_m) {
            res->abserr = fmax(res->abserr, ldexp(tail_mass * mean, Ei));
            res->relerr = fmax(res->relerr, tail_mass);
        }
        if (!resolved && band_mass > res->abserr) {
            /* An absolute bound: band_mass / p may overflow (inf). */
            res->abserr = band_mass;
            res->relerr = E < -3000 ? INFINITY
                        : E > 3000 ? 0.0 : ldexp(band_mass, (int)-E) / mean;
        }
    } else {
        /* No point saw any mass; an unresolved band may still hold some. */
        res->p = 0.0;
        res->logp = -INFINITY;
        res->abserr = resolved ? 0.0 : band_mass;
        res->relerr = resolved ? 0.0 : INFINITY;
    }
    res->evals = evals;
    res->status = status;

done:
    free(rows);
    free(folds);
    free(coef);
    free(ws);
    free(kws);
    free(z);
    free(shift);
    free(part);
    return status;
}
