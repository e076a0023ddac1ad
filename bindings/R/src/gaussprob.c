/*
 * gaussprob.c -- .Call glue between R and libmvnorm.
 *
 * Copyright (C) 2026 The libmvnorm authors.
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every glue function is prefixed gp_ so that none can clash with the
 * library's mvn_* symbols.  R objects are validated (types, lengths) here
 * before any pointer reaches the library; the library checks the values
 * (NaN, bounds, positive definiteness) and its message becomes the R error.
 *
 * Memory.  Every R allocation is PROTECTed.  The library context is held
 * by an external pointer with a finalizer, so that it is freed even when an
 * R error unwinds the frame; it is also freed explicitly before returning.
 * Nothing longjmps through the library: the progress callback checks for
 * a user interrupt inside R_ToplevelExec and asks the library to stop.
 */
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>
#include <R_ext/Utils.h>

#include <mvnorm.h>

/* ------------------------------------------------------------------ */
/* Fork safety                                                         */
/* ------------------------------------------------------------------ */

/* Set in the child of fork() (parallel::mclapply).  The OpenMP runtime's
   thread pool does not survive fork, so a child uses one thread whatever
   it asks for.  glibc removes the handler when the DLL is unloaded
   (pthread_atfork records the DSO), so unloading the package is safe. */
static volatile sig_atomic_t gp_forked_child = 0;

static void gp_atfork_child(void)
{
    gp_forked_child = 1;
}

/* ------------------------------------------------------------------ */
/* Names of statuses and options                                       */
/* ------------------------------------------------------------------ */

#ifndef GP_HAVE_NAMES
/* Library 0.1 has no name functions: this table is the fallback only. */
static const char *const gp_status_table[] = {
    "MVN_OK", "MVN_ETOL", "MVN_EINVAL", "MVN_EDIM", "MVN_ENAN",
    "MVN_EBOUNDS", "MVN_ENOTPD", "MVN_EASYM", "MVN_ENOMEM",
    "MVN_EBACKEND", "MVN_EUNSUPPORTED", "MVN_ECANCELED"
};
static const char *const gp_option_table[] = {
    NULL, "abseps", "releps", "maxpts", "seed", "threads", "method",
    "backend", "reorder", "error_factor", "shifts", "gradient"
};
#endif

static const char *status_name(int s)
{
#ifdef GP_HAVE_NAMES
    return mvn_status_name(s);
#else
    if (s < 0 || s >= (int) (sizeof gp_status_table / sizeof *gp_status_table))
        return NULL;
    return gp_status_table[s];
#endif
}

static int option_from_name(const char *name)
{
#ifdef GP_HAVE_NAMES
    return mvn_option_from_name(name);
#else
    for (int o = 1; o < (int) (sizeof gp_option_table / sizeof *gp_option_table); o++)
        if (strcmp(name, gp_option_table[o]) == 0)
            return o;
    return 0;
#endif
}

/* The value of an enumerated option written as text ("tilted"). */
static int option_parse(int option, const char *text, double *value)
{
#ifdef GP_HAVE_NAMES
    return mvn_option_parse(option, text, value);
#else
    static const struct { int option; const char *name; int value; } t[] = {
        {MVN_OPT_METHOD, "auto", MVN_METHOD_AUTO},
        {MVN_OPT_METHOD, "qmc", MVN_METHOD_QMC},
        {MVN_OPT_METHOD, "tilted", MVN_METHOD_TILTED},
        {MVN_OPT_BACKEND, "auto", MVN_BACKEND_AUTO},
        {MVN_OPT_BACKEND, "cpu", MVN_BACKEND_CPU},
        {MVN_OPT_BACKEND, "cuda", MVN_BACKEND_CUDA},
        {MVN_OPT_REORDER, "none", MVN_REORDER_NONE},
        {MVN_OPT_REORDER, "gge", MVN_REORDER_GGE},
        {MVN_OPT_GRADIENT, "closed", MVN_GRADIENT_CLOSED_FORM},
        {MVN_OPT_GRADIENT, "estimator", MVN_GRADIENT_ESTIMATOR},
    };
    for (size_t k = 0; k < sizeof t / sizeof *t; k++)
        if (t[k].option == option && strcmp(t[k].name, text) == 0) {
            *value = t[k].value;
            return MVN_OK;
        }
    return MVN_EINVAL;
#endif
}

/* Status names indexed by code, for the R side (status attributes). */
static SEXP gp_status_names(void)
{
    int n = mvn_status_count();
    SEXP out = PROTECT(Rf_allocVector(STRSXP, n));
    for (int s = 0; s < n; s++) {
        const char *nm = status_name(s);
        SET_STRING_ELT(out, s, Rf_mkChar(nm ? nm : "unknown"));
    }
    UNPROTECT(1);
    return out;
}

/* Version of the library loaded and the one compiled against, the build
   information and which 0.2 features this build uses. */
static SEXP gp_info(void)
{
    const char *names[] = {"version", "version_number", "compiled_version",
                           "compiled_version_number", "build_info",
                           "names", "progress", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names));
    SET_VECTOR_ELT(out, 0, Rf_mkString(mvn_version_string()));
    SET_VECTOR_ELT(out, 1, Rf_ScalarInteger((int) mvn_version_number()));
    SET_VECTOR_ELT(out, 2, Rf_mkString(MVN_VERSION_STRING));
    SET_VECTOR_ELT(out, 3, Rf_ScalarInteger((int) MVN_VERSION_NUMBER));
#ifdef GP_HAVE_BUILD_INFO
    SET_VECTOR_ELT(out, 4, Rf_mkString(mvn_build_info()));
#else
    SET_VECTOR_ELT(out, 4, Rf_mkString(""));
#endif
#ifdef GP_HAVE_PROGRESS
    SET_VECTOR_ELT(out, 6, Rf_ScalarLogical(1));
#else
    SET_VECTOR_ELT(out, 6, Rf_ScalarLogical(0));
#endif
#ifdef GP_HAVE_NAMES
    SET_VECTOR_ELT(out, 5, Rf_ScalarLogical(1));
#else
    SET_VECTOR_ELT(out, 5, Rf_ScalarLogical(0));
#endif
    UNPROTECT(1);
    return out;
}

/* ------------------------------------------------------------------ */
/* The context, owned by an external pointer                           */
/* ------------------------------------------------------------------ */

static void gp_context_finalizer(SEXP ptr)
{
    mvn_context *ctx = (mvn_context *) R_ExternalPtrAddr(ptr);
    if (ctx) {
        mvn_context_free(ctx);
        R_ClearExternalPtr(ptr);
    }
}

/* ------------------------------------------------------------------ */
/* Progress: interrupts, the progress bar, the cancel test hook        */
/* ------------------------------------------------------------------ */

typedef struct {
    int bar;            /* draw a progress bar (interactive sessions) */
    int cancel_after;   /* test hook: cancel at call cancel_after + 1; -1 never */
    int calls;          /* callback calls so far */
    int interrupted;    /* the user pressed Ctrl-C */
    int drawn;          /* the bar is on the screen */
    double maxpts;      /* evaluation budget per problem, for single problems */
    double t0;          /* start time, seconds */
    double last;        /* time of the last redraw */
} gp_progress_state;

static double gp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + 1e-9 * (double) ts.tv_nsec;
}

#ifdef GP_HAVE_PROGRESS
static void gp_check_interrupt(void *unused)
{
    (void) unused;
    R_CheckUserInterrupt();
}

static void gp_draw_bar(gp_progress_state *st, double fraction)
{
    int width = 40, k;
    int filled = (int) (fraction * width + 0.5);
    if (filled > width) filled = width;
    if (filled < 0) filled = 0;
    REprintf("\r[");
    for (k = 0; k < width; k++)
        REprintf("%c", k < filled ? '=' : ' ');
    REprintf("] %3d%%", (int) (100 * fraction + 0.5));
    st->drawn = 1;
}

/* Called by the library on the calling thread, between lattice sizes and
   between problems.  It returns normally in every case: R_ToplevelExec
   catches the jump of an interrupt, which becomes a request to stop. */
static int gp_progress(void *user, const mvn_progress *info)
{
    gp_progress_state *st = (gp_progress_state *) user;
    st->calls++;
    if (st->cancel_after >= 0 && st->calls > st->cancel_after)
        return 1;
    if (!R_ToplevelExec(gp_check_interrupt, NULL)) {
        st->interrupted = 1;
        return 1;
    }
    if (st->bar) {
        double now = gp_now();
        /* Only computations longer than a second get a bar. */
        if (now - st->t0 > 1.0 && now - st->last > 0.1) {
            double f;
            if (info->problems > 1)
                f = (double) info->problems_done / (double) info->problems;
            else
                f = info->evaluations / st->maxpts;
            gp_draw_bar(st, f > 1 ? 1 : f);
            st->last = now;
        }
    }
    return 0;
}
#endif

/* ------------------------------------------------------------------ */
/* Argument helpers                                                    */
/* ------------------------------------------------------------------ */

/* Strides of a limit or mean argument of length 1 (one value for every
   coordinate and problem), d (one vector for every problem) or d * n (a
   d x n matrix, column t = problem t). */
static void vector_strides(SEXP x, const char *what, size_t d, size_t n,
                           ptrdiff_t *s)
{
    R_xlen_t len = XLENGTH(x);
    if (len == 1) {
        s[0] = 0; s[1] = 0;
    } else if ((size_t) len == d) {
        s[0] = 0; s[1] = 1;
    } else if ((size_t) len == d * n) {
        s[0] = (ptrdiff_t) d; s[1] = 1;
    } else {
        Rf_error("'%s' has %lld elements: expected 1, d = %lu or d * n = %lu",
                 what, (long long) len, (unsigned long) d,
                 (unsigned long) (d * n));
    }
}

static double scalar_real(SEXP x, const char *what)
{
    if (!Rf_isNumeric(x) || XLENGTH(x) != 1)
        Rf_error("'%s' must be a single number", what);
    return Rf_asReal(x);
}

/* The seed: drawn from R's RNG unless given (53 random bits fit the
   library's range [0, 2^53]). */
static double gp_seed(SEXP seed_)
{
    if (!Rf_isNull(seed_))
        return scalar_real(seed_, "seed");
    GetRNGstate();
    double seed = floor(unif_rand() * 2147483648.0) +
                  2147483648.0 * floor(unif_rand() * 4194304.0);
    PutRNGstate();
    return seed;
}

/* ------------------------------------------------------------------ */
/* The one computing entry point                                       */
/* ------------------------------------------------------------------ */

enum { GP_PROB = 0, GP_GRAD = 1, GP_LOG_GRAD = 2 };

/* A context for one call, owned by the external pointer holder (its
   finalizer frees it if an R error intervenes), with the options (a named
   list, or NULL for none: numbers set as they are, strings parsed as option values;
   names are the library's, mvn_option_from_name) and the seed (gp_seed).
   *maxpts receives the budget (for the progress bar). */
static mvn_context *gp_new_context(SEXP holder, SEXP options, SEXP seed_,
                                   double *maxpts)
{
    const double seed = gp_seed(seed_);
    R_RegisterCFinalizerEx(holder, gp_context_finalizer, TRUE);
    mvn_context *ctx = mvn_context_alloc();
    if (!ctx)
        Rf_error("libmvnorm: out of memory allocating a context");
    R_SetExternalPtrAddr(holder, ctx);

    SEXP onames = Rf_getAttrib(options, R_NamesSymbol);
    *maxpts = 1e7;
    if (!Rf_isNull(options) && !Rf_isNewList(options))
        Rf_error("'options' must be a list");
    const R_xlen_t n_options = Rf_isNull(options) ? 0 : XLENGTH(options);
    for (R_xlen_t k = 0; k < n_options; k++) {
        SEXP v = VECTOR_ELT(options, k);
        const char *name = Rf_isNull(onames) ? "" : CHAR(STRING_ELT(onames, k));
        int opt = option_from_name(name);
        double value;
        if (opt <= 0)
            Rf_error("unknown libmvnorm option '%s'", name);
        if (Rf_isString(v) && XLENGTH(v) == 1) {
            if (option_parse(opt, CHAR(STRING_ELT(v, 0)), &value) != MVN_OK)
                Rf_error("option %s: '%s' is not a valid value", name,
                         CHAR(STRING_ELT(v, 0)));
        } else {
            value = scalar_real(v, name);
        }
        if (opt == MVN_OPT_THREADS && gp_forked_child && value != 1)
            value = 1;    /* see gp_atfork_child */
        if (opt == MVN_OPT_MAXPTS)
            *maxpts = value;
        if (mvn_context_set(ctx, opt, value) != MVN_OK) {
            double lo = 0, hi = 0;
            mvn_option_bounds(opt, &lo, &hi, NULL);
            Rf_error("option %s = %g is out of its bounds [%g, %g]", name,
                     value, lo, hi);
        }
    }
    if (gp_forked_child)
        mvn_context_set(ctx, MVN_OPT_THREADS, 1);
    if (mvn_context_set(ctx, MVN_OPT_SEED, seed) != MVN_OK)
        Rf_error("seed = %.17g is not an integer in [0, 2^53]", seed);
    return ctx;
}

/* Frees the context of gp_new_context, after copying its message into
   msg (size bytes) -- the message must be copied before the context is
   freed -- and returns its evaluation count. */
static double gp_end_context(mvn_context *ctx, SEXP holder, char *msg, size_t size)
{
    strncpy(msg, mvn_context_message(ctx), size - 1);
    msg[size - 1] = '\0';
    double evaluations = mvn_context_evaluations(ctx);
    mvn_context_free(ctx);
    R_ClearExternalPtr(holder);
    return evaluations;
}

/* Library errors other than a missed tolerance become R errors with the
   library's message. */
static void gp_check_status(int ret, const char *msg)
{
    if (ret != MVN_OK && ret != MVN_ETOL) {
        const char *nm = status_name(ret);
        Rf_errorcall(R_NilValue, "libmvnorm: %s (%s)", msg[0] ? msg : mvn_strerror(ret),
                     nm ? nm : "unknown status");
    }
}

/*
 * gp_compute(what, lower, upper, mean, sigma, chol, d, n, options, seed,
 *            progress, cancel_after)
 *   what      0 probabilities (and log P, both error estimates);
 *             1 derivatives of P with their error estimates;
 *             2 derivatives of log P
 *   lower, upper, mean   double vectors, see vector_strides
 *   sigma     double, d*d (one matrix) or d*d*n (d x d x n array)
 *   chol      logical: sigma holds R's upper Cholesky factor U (chol()):
 *             U column-major is L = U^T row-major, read without a copy
 *   options   named list: numbers set as they are, strings parsed as
 *             option values ("tilted")
 *   seed      NULL (draw from R's RNG) or a number
 *   progress  logical: draw a progress bar
 *   cancel_after  integer, test hook (-1: off)
 * Returns a list (see the names below).  Library errors other than a
 * missed tolerance and a cancellation by the hook become R errors with the
 * library's message.
 */
static SEXP gp_compute(SEXP what_, SEXP lower, SEXP upper, SEXP mean,
                       SEXP sigma, SEXP chol_, SEXP d_, SEXP n_, SEXP options,
                       SEXP seed_, SEXP progress_, SEXP cancel_after_)
{
    int what = Rf_asInteger(what_);
    double dd = scalar_real(d_, "d"), nd = scalar_real(n_, "n");
    int is_chol = Rf_asLogical(chol_);
    int nprot = 0;

    if (what < GP_PROB || what > GP_LOG_GRAD)
        Rf_error("unknown computation %d", what);
    if (!(dd >= 1 && dd <= MVN_MAX_DIM && dd == floor(dd)))
        Rf_error("dimension d = %g must be an integer in [1, %d]", dd, MVN_MAX_DIM);
    if (!(nd >= 0 && nd == floor(nd) && nd * dd * dd < 4e15))
        Rf_error("number of problems n = %g is not valid", nd);
    size_t d = (size_t) dd, n = (size_t) nd;
    if (TYPEOF(lower) != REALSXP || TYPEOF(upper) != REALSXP ||
        TYPEOF(mean) != REALSXP || TYPEOF(sigma) != REALSXP)
        Rf_error("lower, upper, mean and sigma must be double vectors");
    if (is_chol == NA_LOGICAL)
        Rf_error("'chol' must be TRUE or FALSE");
    if (!Rf_isNewList(options))
        Rf_error("'options' must be a list");

    ptrdiff_t ls[2], us[2], ms[2], ss[3];
    vector_strides(lower, "lower", d, n, ls);
    vector_strides(upper, "upper", d, n, us);
    vector_strides(mean, "mean", d, n, ms);
    if ((size_t) XLENGTH(sigma) == d * d)
        ss[0] = 0;
    else if ((size_t) XLENGTH(sigma) == d * d * n)
        ss[0] = (ptrdiff_t) (d * d);
    else
        Rf_error("'sigma' has %lld elements: expected d * d = %lu or d * d * n = %lu",
                 (long long) XLENGTH(sigma), (unsigned long) (d * d),
                 (unsigned long) (d * d * n));
    /* Column-major (i, j) is at i + j*d.  For a covariance matrix that is
       all; R's chol() factor U is upper triangular, and L(i, j) = U(j, i)
       lies at j + i*d: strides (d, 1) read L without a copy. */
    if (is_chol) {
        ss[1] = (ptrdiff_t) d; ss[2] = 1;
    } else {
        ss[1] = 1; ss[2] = (ptrdiff_t) d;
    }

    /* Outputs, allocated before the context exists. */
    SEXP p = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n)); nprot++;
    SEXP logp = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n)); nprot++;
    SEXP abserr = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n)); nprot++;
    SEXP logerr = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) n)); nprot++;
    SEXP status = PROTECT(Rf_allocVector(INTSXP, (R_xlen_t) n)); nprot++;
    SEXP g_lower = R_NilValue, g_upper = R_NilValue, g_mean = R_NilValue,
         g_sigma = R_NilValue, e_lower = R_NilValue, e_upper = R_NilValue,
         e_sigma = R_NilValue;
    if (what != GP_PROB) {
        g_lower = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * n))); nprot++;
        g_upper = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * n))); nprot++;
        g_mean = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * n))); nprot++;
        g_sigma = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * d * n))); nprot++;
    }
    if (what == GP_GRAD) {
        e_lower = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * n))); nprot++;
        e_upper = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * n))); nprot++;
        e_sigma = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) (d * d * n))); nprot++;
    }
    const char *names[] = {"p", "logp", "abserr", "logerr", "status",
                           "return", "message", "evaluations", "interrupted",
                           "d_lower", "d_upper", "d_mean", "d_sigma",
                           "err_lower", "err_upper", "err_sigma", ""};
    SEXP out = PROTECT(Rf_mkNamed(VECSXP, names)); nprot++;

    /* The context, owned by an external pointer until freed below. */
    SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue)); nprot++;
    double maxpts;
    mvn_context *ctx = gp_new_context(holder, options, seed_, &maxpts);

    gp_progress_state st;
    memset(&st, 0, sizeof st);
    st.bar = Rf_asLogical(progress_) == 1;
    st.cancel_after = Rf_asInteger(cancel_after_);
    if (st.cancel_after == NA_INTEGER)
        st.cancel_after = -1;
    st.maxpts = maxpts;
    st.t0 = gp_now();
#ifdef GP_HAVE_PROGRESS
    mvn_context_set_progress(ctx, gp_progress, &st);
#endif

    const double *L = REAL(lower), *U = REAL(upper), *M = REAL(mean),
                 *S = REAL(sigma);
    int kind = is_chol ? MVN_SIGMA_CHOL : MVN_SIGMA_COV;
    int ret;
    if (n == 0) {
        ret = MVN_OK;
    } else if (what == GP_PROB) {
        ret = mvn_logprob_batch(ctx, n, d, L, ls, U, us, M, ms, S, ss, kind,
                                REAL(p), REAL(logp), REAL(abserr),
                                REAL(logerr), INTEGER(status));
    } else if (what == GP_GRAD) {
        ret = mvn_prob_grad_err_batch(ctx, n, d, L, ls, U, us, M, ms, S, ss,
                                      kind, REAL(p), REAL(logp), REAL(abserr),
                                      INTEGER(status), REAL(g_lower),
                                      REAL(g_upper), REAL(g_mean),
                                      REAL(g_sigma), REAL(e_lower),
                                      REAL(e_upper), REAL(e_sigma));
    } else {
        ret = mvn_logprob_grad_batch(ctx, n, d, L, ls, U, us, M, ms, S, ss,
                                     kind, REAL(p), REAL(logp), REAL(abserr),
                                     INTEGER(status), REAL(g_lower),
                                     REAL(g_upper), REAL(g_mean),
                                     REAL(g_sigma));
    }
    if (what != GP_PROB) {
        /* log P's error from P's relative error, as mvn_logprob_batch
           forms it where P does not underflow. */
        double *le = REAL(logerr), *pp = REAL(p), *ae = REAL(abserr);
        for (size_t t = 0; t < n; t++)
            le[t] = pp[t] > 0 ? ae[t] / pp[t]
                    : (REAL(logp)[t] == R_NegInf ? 0 : NA_REAL);
    }
    if (st.drawn)
        REprintf("\r%*s\r", 48, "");

    char msg[1024];
    double evaluations = gp_end_context(ctx, holder, msg, sizeof msg);
    if (st.interrupted)
        Rf_errorcall(R_NilValue, "interrupted by the user (%s)", msg);
    if (ret != MVN_ECANCELED)
        gp_check_status(ret, msg);

    SET_VECTOR_ELT(out, 0, p);
    SET_VECTOR_ELT(out, 1, logp);
    SET_VECTOR_ELT(out, 2, abserr);
    SET_VECTOR_ELT(out, 3, logerr);
    SET_VECTOR_ELT(out, 4, status);
    SET_VECTOR_ELT(out, 5, Rf_ScalarInteger(ret));
    SET_VECTOR_ELT(out, 6, Rf_mkString(msg));
    SET_VECTOR_ELT(out, 7, Rf_ScalarReal(evaluations));
    SET_VECTOR_ELT(out, 8, Rf_ScalarLogical(st.interrupted));
    SET_VECTOR_ELT(out, 9, g_lower);
    SET_VECTOR_ELT(out, 10, g_upper);
    SET_VECTOR_ELT(out, 11, g_mean);
    SET_VECTOR_ELT(out, 12, g_sigma);
    SET_VECTOR_ELT(out, 13, e_lower);
    SET_VECTOR_ELT(out, 14, e_upper);
    SET_VECTOR_ELT(out, 15, e_sigma);
    UNPROTECT(nprot);
    return out;
}

/* The dimension argument of a single-problem entry: an integer in
   [1, MVN_MAX_DIM]. */
static size_t gp_dimension(SEXP d_)
{
    const double dd = scalar_real(d_, "d");
    if (!(dd >= 1 && dd <= MVN_MAX_DIM && dd == floor(dd)))
        Rf_error("dimension d = %g must be an integer in [1, %d]", dd, MVN_MAX_DIM);
    return (size_t) dd;
}

/* The end of a call that returns scalars: frees the context (its message
   and evaluations kept), raises library errors other than a missed
   tolerance, and returns the list of the n values under their names,
   then "return", "message", "evaluations". */
static SEXP gp_scalar_result(mvn_context *ctx, SEXP holder, int ret,
                             const char *const *names, const double *values, int n)
{
    char msg[1024];
    double evaluations = gp_end_context(ctx, holder, msg, sizeof msg);
    gp_check_status(ret, msg);
    SEXP out = PROTECT(Rf_allocVector(VECSXP, n + 3));
    SEXP nm = PROTECT(Rf_allocVector(STRSXP, n + 3));
    for (int k = 0; k < n; k++) {
        SET_VECTOR_ELT(out, k, Rf_ScalarReal(values[k]));
        SET_STRING_ELT(nm, k, Rf_mkChar(names[k]));
    }
    SET_VECTOR_ELT(out, n, Rf_ScalarInteger(ret));
    SET_STRING_ELT(nm, n, Rf_mkChar("return"));
    SET_VECTOR_ELT(out, n + 1, Rf_mkString(msg));
    SET_STRING_ELT(nm, n + 1, Rf_mkChar("message"));
    SET_VECTOR_ELT(out, n + 2, Rf_ScalarReal(evaluations));
    SET_STRING_ELT(nm, n + 2, Rf_mkChar("evaluations"));
    Rf_setAttrib(out, R_NamesSymbol, nm);
    UNPROTECT(2);
    return out;
}

/*
 * gp_quantile(p, tail, mean, sigma, d, options, seed, df, delta): the
 * equicoordinate quantile (tail 0 lower, 1 upper, 2 both), as a list
 * quantile, q_err, p_at_q, p_err, return, message, evaluations.  df = Inf
 * is the normal with mean `mean` (mvn_quantile_equi); a finite df the
 * multivariate t loc + (Y + delta) / W with loc = mean and delta NULL or
 * a vector of length d (mvn_quantile_equi_t).  Library errors other than
 * a missed tolerance become R errors.
 */
static SEXP gp_quantile(SEXP p_, SEXP tail_, SEXP mean, SEXP sigma, SEXP d_,
                        SEXP options, SEXP seed_, SEXP df_, SEXP delta)
{
#ifdef GP_HAVE_QUANTILE
    const double p = scalar_real(p_, "p");
    const int tail = Rf_asInteger(tail_);
    const size_t d = gp_dimension(d_);
    const double df = scalar_real(df_, "df");
    if (TYPEOF(mean) != REALSXP || (size_t) XLENGTH(mean) != d)
        Rf_error("'mean' must be a double vector of length d = %lu", (unsigned long) d);
    if (TYPEOF(sigma) != REALSXP || (size_t) XLENGTH(sigma) != d * d)
        Rf_error("'sigma' must be a d x d double matrix");
    if (delta != R_NilValue && (TYPEOF(delta) != REALSXP || (size_t) XLENGTH(delta) != d))
        Rf_error("'delta' must be NULL or a double vector of length d = %lu", (unsigned long) d);
#ifndef GP_HAVE_QUANTILE_T
    if (!isinf(df))
        Rf_error("qmvt needs libmvnorm 0.2 with mvn_quantile_equi_t; this one has none");
#endif
    SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
    double maxpts, v[4];
    mvn_context *ctx = gp_new_context(holder, options, seed_, &maxpts);
    /* A symmetric matrix reads the same column-major. */
    int ret;
#ifdef GP_HAVE_QUANTILE_T
    if (!isinf(df))
        ret = mvn_quantile_equi_t(ctx, d, df, p, tail, REAL(mean),
                                  delta == R_NilValue ? NULL : REAL(delta), REAL(sigma),
                                  &v[0], &v[1], &v[2], &v[3]);
    else
#endif
        ret = mvn_quantile_equi(ctx, d, p, tail, REAL(mean), REAL(sigma),
                                &v[0], &v[1], &v[2], &v[3]);
    static const char *names[] = {"quantile", "q_err", "p_at_q", "p_err"};
    SEXP out = gp_scalar_result(ctx, holder, ret, names, v, 4);
    UNPROTECT(1);
    return out;
#else
    (void) p_; (void) tail_; (void) mean; (void) sigma; (void) d_; (void) options; (void) seed_;
    (void) df_; (void) delta;
    Rf_error("qmvnorm needs libmvnorm 0.2 (mvn_quantile_equi); this one is older");
    return R_NilValue;
#endif
}

/* ------------------------------------------------------------------ */
/* Exact sampling from the truncated normal                            */
/* ------------------------------------------------------------------ */

/*
 * gp_sample(lower, upper, mean, sigma, n, seed)
 *   lower, upper, mean  double vectors of length d (R recycles scalars)
 *   sigma     double d x d covariance (column-major = row-major)
 *   n         number of samples
 *   seed      NULL (draw from R's RNG) or a number
 * Returns the n x d matrix of samples with attribute "accept_rate".
 * Errors become R errors with the library's message; a proposal budget
 * that runs out (MVN_ETOL) a warning, the rows not drawn NA.
 */
static SEXP gp_sample(SEXP lower, SEXP upper, SEXP mean, SEXP sigma, SEXP n_,
                      SEXP seed_)
{
    if (TYPEOF(lower) != REALSXP || TYPEOF(upper) != REALSXP ||
        TYPEOF(mean) != REALSXP || TYPEOF(sigma) != REALSXP)
        Rf_error("lower, upper, mean and sigma must be double vectors");
    const size_t d = (size_t) XLENGTH(lower);
    const double nd = scalar_real(n_, "n");
    if (!(nd >= 1 && nd == floor(nd) && nd <= INT_MAX && nd * (double) d < 4e15))
        Rf_error("number of samples n = %g must be a positive integer", nd);
    if ((size_t) XLENGTH(upper) != d || (size_t) XLENGTH(mean) != d ||
        (size_t) XLENGTH(sigma) != d * d)
        Rf_error("lower, upper and mean must have length d and sigma d * d");
    const size_t n = (size_t) nd;

    SEXP out = PROTECT(Rf_allocMatrix(REALSXP, (int) n, (int) d));
    double *rows = (double *) R_alloc(n * d, sizeof(double));
    SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
    double maxpts;
    mvn_context *ctx = gp_new_context(holder, R_NilValue, seed_, &maxpts);
    double rate = NA_REAL;
#ifdef GP_HAVE_SAMPLE
    int ret = mvn_sample_truncated(ctx, d, REAL(lower), REAL(upper), REAL(mean),
                                   REAL(sigma), n, rows, &rate);
#else
    (void) rows;
    Rf_error("the libmvnorm this package was built against has no "
             "mvn_sample_truncated: reinstall gaussprob against libmvnorm 0.2");
    int ret = MVN_EUNSUPPORTED;
#endif
    char msg[1024];
    gp_end_context(ctx, holder, msg, sizeof msg);
    gp_check_status(ret, msg);
    if (ret == MVN_ETOL)
        Rf_warningcall(R_NilValue, "libmvnorm: %s", msg);
    /* Row-major samples into R's column-major n x d matrix. */
    double *x = REAL(out);
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < d; i++)
            x[r + i * n] = ISNAN(rows[r * d + i]) ? NA_REAL : rows[r * d + i];
    Rf_setAttrib(out, Rf_install("accept_rate"), Rf_ScalarReal(rate));
    UNPROTECT(2);
    return out;
}

/*
 * gp_student(lower, upper, delta, sigma, d, df, options, seed, grad): the
 * multivariate t probability (mvn_prob_t), as a list p, logp, abserr,
 * return, message, evaluations; with grad TRUE (mvn_prob_t_grad, the
 * central t) also d_lower and d_upper, and d_sigma (d x d) where the
 * library has mvn_prob_t_grad_sigma.  Library errors other than a
 * missed tolerance become R errors.
 */
static SEXP gp_student(SEXP lower, SEXP upper, SEXP delta, SEXP sigma, SEXP d_,
                       SEXP df_, SEXP options, SEXP seed_, SEXP grad_)
{
#ifdef GP_HAVE_T
    const double df = scalar_real(df_, "df");
    const size_t d = gp_dimension(d_);
    const int grad = Rf_asLogical(grad_) == TRUE;
    if (TYPEOF(lower) != REALSXP || TYPEOF(upper) != REALSXP || TYPEOF(delta) != REALSXP ||
        TYPEOF(sigma) != REALSXP || (size_t) XLENGTH(lower) != d ||
        (size_t) XLENGTH(upper) != d || (size_t) XLENGTH(delta) != d ||
        (size_t) XLENGTH(sigma) != d * d)
        Rf_error("lower, upper, delta must be double vectors of length d, sigma d x d");
#ifndef GP_HAVE_T_GRAD
    if (grad)
        Rf_error("t derivatives need libmvnorm 0.2 with mvn_prob_t_grad; this one has none");
#endif
    SEXP dl = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) d));
    SEXP du = PROTECT(Rf_allocVector(REALSXP, (R_xlen_t) d));
#ifdef GP_HAVE_T_GRAD_SIGMA
    SEXP ds = PROTECT(Rf_allocMatrix(REALSXP, (int) d, (int) d));
    const int nds = 1;
#else
    const int nds = 0;
#endif
    SEXP holder = PROTECT(R_MakeExternalPtr(NULL, R_NilValue, R_NilValue));
    double maxpts, v[3];
    mvn_context *ctx = gp_new_context(holder, options, seed_, &maxpts);
    /* A symmetric matrix reads the same column-major (sigma and d_sigma). */
    int ret;
#if defined(GP_HAVE_T_GRAD_SIGMA)
    if (grad)
        ret = mvn_prob_t_grad_sigma(ctx, d, df, REAL(lower), REAL(upper), REAL(delta),
                                    REAL(sigma), &v[0], &v[1], &v[2], REAL(dl), REAL(du),
                                    REAL(ds));
    else
#elif defined(GP_HAVE_T_GRAD)
    if (grad)
        ret = mvn_prob_t_grad(ctx, d, df, REAL(lower), REAL(upper), REAL(delta),
                              REAL(sigma), &v[0], &v[1], &v[2], REAL(dl), REAL(du));
    else
#endif
        ret = mvn_prob_t(ctx, d, df, REAL(lower), REAL(upper), REAL(delta), REAL(sigma),
                         &v[0], &v[1], &v[2]);
    static const char *names[] = {"p", "logp", "abserr"};
    SEXP out = PROTECT(gp_scalar_result(ctx, holder, ret, names, v, 3));
    if (grad) {
        /* The same list with d_lower, d_upper (and d_sigma) appended. */
        const R_xlen_t n = XLENGTH(out);
        SEXP ext = PROTECT(Rf_allocVector(VECSXP, n + 2 + nds));
        SEXP nm = PROTECT(Rf_allocVector(STRSXP, n + 2 + nds));
        SEXP old = Rf_getAttrib(out, R_NamesSymbol);
        for (R_xlen_t k = 0; k < n; k++) {
            SET_VECTOR_ELT(ext, k, VECTOR_ELT(out, k));
            SET_STRING_ELT(nm, k, STRING_ELT(old, k));
        }
        SET_VECTOR_ELT(ext, n, dl);
        SET_STRING_ELT(nm, n, Rf_mkChar("d_lower"));
        SET_VECTOR_ELT(ext, n + 1, du);
        SET_STRING_ELT(nm, n + 1, Rf_mkChar("d_upper"));
#ifdef GP_HAVE_T_GRAD_SIGMA
        SET_VECTOR_ELT(ext, n + 2, ds);
        SET_STRING_ELT(nm, n + 2, Rf_mkChar("d_sigma"));
#endif
        Rf_setAttrib(ext, R_NamesSymbol, nm);
        UNPROTECT(6 + nds);
        return ext;
    }
    UNPROTECT(4 + nds);
    return out;
#else
    (void) lower; (void) upper; (void) delta; (void) sigma; (void) d_; (void) df_;
    (void) options; (void) seed_; (void) grad_;
    Rf_error("pmvt needs libmvnorm 0.2 (mvn_prob_t); this one is older");
    return R_NilValue;
#endif
}

/* Whether this process is a forked child (for the tests). */
static SEXP gp_forked(void)
{
    return Rf_ScalarLogical(gp_forked_child != 0);
}

/* ------------------------------------------------------------------ */
/* Registration                                                        */
/* ------------------------------------------------------------------ */

static const R_CallMethodDef gp_call_methods[] = {
    {"gp_compute", (DL_FUNC) &gp_compute, 12},
    {"gp_status_names", (DL_FUNC) &gp_status_names, 0},
    {"gp_info", (DL_FUNC) &gp_info, 0},
    {"gp_forked", (DL_FUNC) &gp_forked, 0},
    {"gp_quantile", (DL_FUNC) &gp_quantile, 9},
    {"gp_student", (DL_FUNC) &gp_student, 9},
    {"gp_sample", (DL_FUNC) &gp_sample, 6},
    {NULL, NULL, 0}
};

void R_init_gaussprob(DllInfo *dll)
{
    R_registerRoutines(dll, NULL, gp_call_methods, NULL, NULL);
    R_useDynamicSymbols(dll, FALSE);
    R_forceSymbols(dll, TRUE);
    pthread_atfork(NULL, NULL, gp_atfork_child);
}
