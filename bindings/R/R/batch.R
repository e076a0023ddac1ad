## Vectorized functions: one column per problem (the d x n convention of
## the derivative outputs).
## SPDX-License-Identifier: GPL-3.0-or-later

## Checks shapes and types; the library checks the values.
.prepare <- function(lower, upper, mean, sigma, chol) {
    if (is.null(sigma) == is.null(chol))
        stop("give exactly one of 'sigma' and 'chol'", call. = FALSE)
    what <- if (is.null(chol)) "sigma" else "chol"
    S <- if (is.null(chol)) sigma else chol
    if (!is.numeric(S))
        stop(sQuote(what), " is not numeric", call. = FALSE)
    dm <- dim(S)
    if (is.null(dm)) {
        if (length(S) != 1L)
            stop(sQuote(what), " must be a d x d matrix or a d x d x n array",
                 call. = FALSE)
        dm <- c(1L, 1L)
    }
    if (!(length(dm) %in% 2:3) || dm[1L] != dm[2L])
        stop(sQuote(what), " must be a d x d matrix or a d x d x n array",
             call. = FALSE)
    d <- dm[1L]
    if (d < 1L)
        stop("dimension d = 0: at least one variable is needed", call. = FALSE)
    cols <- function(x, nm) {
        if (!is.numeric(x))
            stop(sQuote(nm), " is not numeric", call. = FALSE)
        if (is.matrix(x)) {
            if (nrow(x) != d)
                stop(sprintf("'%s' has %d rows: expected d = %d", nm,
                             nrow(x), d), call. = FALSE)
            return(ncol(x))
        }
        if (!(length(x) %in% c(1L, d)))
            stop(sprintf(paste("'%s' has length %d: expected 1, d = %d,",
                               "or a d x n matrix"), nm, length(x), d),
                 call. = FALSE)
        1L
    }
    counts <- c(lower = cols(lower, "lower"), upper = cols(upper, "upper"),
                mean = cols(mean, "mean"),
                sigma = if (length(dm) == 3L) dm[3L] else 1L)
    n <- max(counts)
    if (any(counts != 1L & counts != n) || any(counts == 0L))
        stop("the numbers of problems (columns of lower, upper and mean, ",
             "slices of ", what, ") must be 1 or the same n: ",
             paste(names(counts), counts, sep = " = ", collapse = ", "),
             call. = FALSE)
    dbl <- function(x) { if (!is.double(x)) storage.mode(x) <- "double"; x }
    list(lower = dbl(lower), upper = dbl(upper), mean = dbl(mean),
         sigma = dbl(S), chol = !is.null(chol), d = d, n = n)
}

.options <- function(abseps, releps, maxpts, control) {
    o <- list(abseps = abseps, releps = releps, maxpts = maxpts,
              threads = .threads())
    if (length(control)) {
        if (!is.list(control) || is.null(names(control)) ||
            any(!nzchar(names(control))))
            stop("'control' must be a named list of libmvnorm options",
                 call. = FALSE)
        o[names(control)] <- control
    }
    o
}

.compute <- function(what, a, options, seed, progress, cancel_after = -1L)
    .Call(C_gp_compute, as.integer(what), a$lower, a$upper, a$mean, a$sigma,
          a$chol, a$d, a$n, options, seed, isTRUE(progress),
          as.integer(cancel_after))

mvn_prob <- function(lower = -Inf, upper = Inf, mean = 0, sigma = NULL,
                     chol = NULL, abseps = 1e-5, releps = 0, maxpts = 1e7,
                     seed = NULL, control = list(), progress = interactive()) {
    a <- .prepare(lower, upper, mean, sigma, chol)
    r <- .compute(0L, a, .options(abseps, releps, maxpts, control), seed,
                  progress)
    structure(r$p, error = r$abserr, logp = r$logp,
              status = .status_name(r$status), evaluations = r$evaluations)
}

mvn_logprob <- function(lower = -Inf, upper = Inf, mean = 0, sigma = NULL,
                        chol = NULL, abseps = 0, releps = 1e-4, maxpts = 1e7,
                        seed = NULL, control = list(),
                        progress = interactive()) {
    a <- .prepare(lower, upper, mean, sigma, chol)
    r <- .compute(0L, a, .options(abseps, releps, maxpts, control), seed,
                  progress)
    structure(r$logp, error = r$logerr, p = r$p, p_error = r$abserr,
              status = .status_name(r$status), evaluations = r$evaluations)
}

mvn_grad <- function(lower = -Inf, upper = Inf, mean = 0, sigma = NULL,
                     chol = NULL, log = FALSE, abseps = if (log) 0 else 1e-5,
                     releps = if (log) 1e-4 else 0, maxpts = 1e7, seed = NULL,
                     control = list(), progress = interactive()) {
    a <- .prepare(lower, upper, mean, sigma, chol)
    r <- .compute(if (isTRUE(log)) 2L else 1L, a,
                  .options(abseps, releps, maxpts, control), seed, progress)
    d <- a$d
    n <- a$n
    m <- function(x) if (is.null(x)) NULL else matrix(x, d, n)
    arr <- function(x) if (is.null(x)) NULL else array(x, c(d, d, n))
    list(value = if (isTRUE(log)) r$logp else r$p,
         error = if (isTRUE(log)) r$logerr else r$abserr,
         lower = m(r$d_lower), upper = m(r$d_upper), mean = m(r$d_mean),
         sigma = arr(r$d_sigma),
         err_lower = m(r$err_lower), err_upper = m(r$err_upper),
         err_sigma = arr(r$err_sigma),
         status = .status_name(r$status), evaluations = r$evaluations)
}

## Test hook: runs mvn_prob's computation with a progress callback that
## asks the library to stop after `after` calls (the path Ctrl-C takes).
.cancel_test <- function(lower, upper, sigma, after = 0L, ...) {
    a <- .prepare(lower, upper, 0, sigma, NULL)
    .compute(0L, a, .options(0, 1e-9, 1e7, list(...)), 1, FALSE,
             cancel_after = after)
}

## Whether this process is a forked child (the fork handler ran).
.forked_child <- function() .Call(C_gp_forked)
