/*
 * exact/kronrod.h -- the Gauss-Legendre and Gauss-Kronrod rules of the exact kernels.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNORM_GAUSS_LEGENDRE_H
#define MVNORM_GAUSS_LEGENDRE_H

#include <math.h>

/*
 * Gauss-Legendre rules on [-1, 1], positive half (the rules are symmetric):
 * 6, 12 and 20 points, the sizes Genz (2004) uses for |r| < 0.3, < 0.75 and
 * above, and the 10-point rule for error estimates in the adaptive
 * quadrature below.  Computed by us with mpmath at 40 digits (Newton on the
 * three-term Legendre recurrence from the Tricomi starting values); each
 * rule's weights sum to 2 within 1e-40.  The bivariate tests (cdf within
 * 1.1e-16 of mpmath in every |r| band) exercise every rule.
 */
static const double gl6_x[3] = {0.932469514203152027812, 0.661209386466264513661,
                                0.238619186083196908631};
static const double gl6_w[3] = {0.17132449237917034504, 0.36076157304813860757,
                                0.46791393457269104739};
static const double gl12_x[6] = {0.981560634246719250691, 0.904117256370474856678,
                                 0.769902674194304687037, 0.587317954286617447297,
                                 0.367831498998180193753, 0.125233408511468915472};
static const double gl12_w[6] = {0.0471753363865118271946, 0.10693932599531843096,
                                 0.160078328543346226335, 0.203167426723065921749,
                                 0.233492536538354808761, 0.249147045813402785001};
static const double gl20_x[10] = {
    0.993128599185094924786, 0.963971927277913791268, 0.912234428251325905868,
    0.839116971822218823395, 0.746331906460150792614, 0.636053680726515025453,
    0.510867001950827098004, 0.373706088715419560673, 0.22778585114164507808,
    0.0765265211334973337546};
static const double gl20_w[10] = {
    0.0176140071391521183119, 0.040601429800386941331, 0.0626720483341090635695,
    0.0832767415767047487248, 0.101930119817240435037, 0.118194531961518417312,
    0.131688638449176626898, 0.142096109318382051329, 0.149172986472603746788,
    0.152753387130725850698};
static const double gl10_x[5] = {0.973906528517171720078, 0.865063366688984510732,
                                 0.679409568299024406234, 0.433395394129247190799,
                                 0.148874338981631210885};
static const double gl10_w[5] = {0.0666713443086881375936, 0.149451349150580593146,
                                 0.219086362515982043996, 0.269266719309996355091,
                                 0.295524224714752870174};

/*
 * The 21-point Gauss-Kronrod rule extending the 10-point Gauss-Legendre
 * rule (Kronrod 1965; the rule of QUADPACK's qk21, Piessens et al. 1983).
 * Positive nodes in decreasing order; the odd entries (kr21_x[1], [3], ...)
 * are the Gauss nodes gl10_x, whose Gauss weights are gl10_w.  Computed by
 * us with mpmath at 60 digits: the Kronrod nodes are the roots of the
 * Stieltjes polynomial E_11 (monic, odd, orthogonal to x^k P_10 for
 * k < 10), the weights solve the moment equations for degrees 0..20; the
 * rule then integrates every monomial of degree <= 31 on [-1, 1] to 4e-60
 * (degree 32: 4e-12, as it must fail), its weights sum to 2 within 3e-61,
 * and the nodes and weights agree with QUADPACK's published 33-digit table.
 * Each panel thus costs 21 evaluations of the integrand instead of the 30
 * of separate 20- and 10-point Gauss rules.
 */
static const double kr21_x[10] = {
    9.95657163025808080736e-1, 9.73906528517171720078e-1, 9.30157491355708226001e-1,
    8.65063366688984510732e-1, 7.80817726586416897064e-1, 6.79409568299024406234e-1,
    5.62757134668604683339e-1, 4.33395394129247190799e-1, 2.94392862701460198131e-1,
    1.48874338981631210885e-1};
static const double kr21_w[10] = {
    0.0116946388673718742781, 0.0325581623079647274788, 0.0547558965743519960314,
    0.0750396748109199527670, 0.0931254545836976055351, 0.109387158802297641899,
    0.123491976262065851078, 0.134709217311473325928, 0.142775938577060080797,
    0.147739104901338491375};
static const double kr21_w0 = 0.149445554002916905665;

/* The error of a 21-point panel from kg = |Kronrod - Gauss| and the
   Kronrod value k of a positive integrand, scaled as QUADPACK's qk21
   scales it (with |k| for its resasc): min(kg, |k| (200 kg / |k|)^1.5),
   the error of the 21-point result rather than of the 10-point rule.  The
   t's outer quadratures (api/student_t.c, api/student_t_noncentral.c). */
static inline double mvni_kr21_error(double kg, double k)
{
    const double ak = k < 0.0 ? -k : k;
    return ak > 0.0 ? fmin(kg, ak * pow(200.0 * kg / ak, 1.5)) : kg;
}

#endif
