/*
 * common/cholesky.h -- a small dense Cholesky factorization and solve in
 * fixed summation order (row-major lower triangles), for the places that
 * need numbers independent of any BLAS's threads and blocking: the
 * regression of the banded factor (qmc/band.c) and the tilting's Newton
 * steps up to d = 256 (qmc/tilting.c).  Header-only.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNI_COMMON_CHOLESKY_H
#define MVNI_COMMON_CHOLESKY_H

#include <math.h>
#include <stddef.h>

/* A = L L^T for the leading n x n block of A (row stride ld), in place in
   the lower triangle.  Returns 0, or k + 1 when the k-th pivot is not
   above min_pivot (LAPACK's info convention; A is then partly
   overwritten). */
static inline int mvni_cholesky_lower(size_t n, size_t ld, double *A, double min_pivot)
{
    for (size_t j = 0; j < n; ++j) {
        double *Aj = A + j * ld;
        double s = Aj[j];
        for (size_t k = 0; k < j; ++k)
            s -= Aj[k] * Aj[k];
        if (!(s > min_pivot))
            return (int)j + 1;
        const double ljj = sqrt(s);
        Aj[j] = ljj;
        for (size_t i = j + 1; i < n; ++i) {
            double *Ai = A + i * ld;
            double t = Ai[j];
            for (size_t k = 0; k < j; ++k)
                t -= Ai[k] * Aj[k];
            Ai[j] = t / ljj;
        }
    }
    return 0;
}

/* x = (L L^T)^-1 x with L from mvni_cholesky_lower. */
static inline void mvni_cholesky_solve(size_t n, size_t ld, const double *L, double *x)
{
    for (size_t i = 0; i < n; ++i) {
        double t = x[i];
        for (size_t k = 0; k < i; ++k)
            t -= L[i * ld + k] * x[k];
        x[i] = t / L[i * ld + i];
    }
    for (size_t i = n; i-- > 0;) {
        double t = x[i];
        for (size_t k = i + 1; k < n; ++k)
            t -= L[k * ld + i] * x[k];
        x[i] = t / L[i * ld + i];
    }
}

#endif
