/*
 * cuda/gpu.h -- the C interface between the module's host logic
 * (cuda/plugin.c, compiled by the C compiler) and its CUDA code
 * (cuda/sov.cu, compiled by nvcc).  No CUDA header is needed to use it.
 * Not installed.
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#ifndef MVNCU_GPU_H
#define MVNCU_GPU_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* cudaGetDeviceCount with the count initialized to 0 (without a driver
   the runtime returns cudaErrorInsufficientDriver, 35, and leaves it
   unwritten).  Returns the cudaError_t value (0 on success). */
int mvncu_device_count(int *count);
/* cudaGetErrorString of a cudaError_t value. */
const char *mvncu_error_string(int err);
/* "name (sm_XY, N SMs)" of the current device, for messages. */
void mvncu_device_describe(char *buf, size_t size);

/* Copies between device and host memory ordered on stream (a
   cudaStream_t, NULL for the default stream) and waits for the copy.
   Returns the cudaError_t value. */
int mvncu_copy_to_host(void *dst, const void *src, size_t bytes, void *stream);
int mvncu_copy_to_device(void *dst, const void *src, size_t bytes, void *stream);

/*
 * A set of prepared problems for the SOV/QMC kernels, all with d rows
 * (shorter problems are padded at the end with rows that have infinite
 * limits and no integration coordinate, which multiply by exactly 1).
 * Row i of problem t is entry t*d + i of lo, hi, tol, first, kind:
 *   kind >= 0   L_ii > 0; kind is the integration coordinate of the row
 *   kind == -1  L_ii > 0, no coordinate (the last row; padding rows)
 *   kind == -2  L_ii == 0: the indicator lo - tol <= s <= hi + tol
 * lo, hi are the limits divided by L_ii (raw for kind -2); coefficients
 * c_im = L_im / L_ii (m < i) at coef[t*d*(d-1)/2 + i*(i-1)/2 + m], used
 * for m >= first only.
 * Lattice: nsizes sizes with npoints[k] points and generator components
 * gen[k*d + c] (c < d).  Shifts: shift[j*d + c], j < shifts, c < d.
 * Stopping rule as the CPU's sov.c.  Outputs (host arrays of nprob):
 * p, logp, abserr, relerr, evals, status (MVN_OK, MVN_ETOL, or
 * MVN_ECANCELED for problems not finished when the progress callback
 * asked to stop).
 */
typedef struct {
    size_t nprob, d;
    int shifts;
    double error_factor, abseps, releps, maxpts;
    const double *lo, *hi, *tol, *coef;
    const int *first, *kind;
    /* Per problem: the sharpness of its factor, max over rows with L_ii >
       0 of sqrt(sum_m c_im^2) (sov.c, "Narrow features"). */
    const double *kappa;
    /* Per problem: its features in an earlier variable's tail, the mask
       of qmc/tail_steps.h (sov.c, "Steps in an earlier variable's
       tail"). */
    const uint64_t *tails;
    const double *shift;
    int nsizes;
    const uint64_t *npoints, *gen;
    void *stream;
    /* Called on the calling thread between lattice sizes with the
       problems finished and the evaluations spent so far in this run;
       nonzero stops the run.  May be NULL. */
    int (*between)(void *user, size_t done, double evals);
    void *user;
    double *p, *logp, *abserr, *relerr, *evals;
    int *status;
} mvncu_sov_job;

/* Runs a job.  Returns 0 (MVN_OK), MVN_ECANCELED, or MVN_EBACKEND for a
   CUDA failure (reason in msg). */
int mvncu_sov_run(const mvncu_sov_job *job, char *msg, size_t msg_size);

#ifdef __cplusplus
}
#endif

#endif
