## qmvnorm() and qmvt() compatible with package mvtnorm's: equicoordinate
## quantiles, computed by libmvnorm's mvn_quantile_equi and
## mvn_quantile_equi_t.
## SPDX-License-Identifier: GPL-3.0-or-later

qmvnorm <- function(p, interval = NULL,
                    tail = c("lower.tail", "upper.tail", "both.tails"),
                    mean = 0, corr = NULL, sigma = NULL,
                    algorithm = GenzBretz(), ptol = 0.001, maxiter = 500,
                    trace = FALSE, seed = NULL, ...) {
    .check_p(p)
    .equi_quantile(p, match.arg(tail), Inf, mean, FALSE, corr, sigma,
                   algorithm, ptol, seed, ...)
}

## type "Kshirsagar" (mvtnorm's default): T = (Y + delta) / W;
## type "shifted": T = delta + Y / W.  df = 0 or Inf is the normal
## (qmvnorm with mean delta), as in mvtnorm.
qmvt <- function(p, interval = NULL,
                 tail = c("lower.tail", "upper.tail", "both.tails"),
                 df = 1, delta = 0, corr = NULL, sigma = NULL,
                 algorithm = GenzBretz(),
                 type = c("Kshirsagar", "shifted"),
                 ptol = 0.001, maxiter = 500, trace = FALSE, seed = NULL, ...) {
    .check_p(p)
    if (length(df) != 1L || !is.numeric(df) || is.na(df) || df < 0)
        stop(sQuote("df"), " must be a non-negative number")
    tail <- match.arg(tail)
    type <- match.arg(type)
    if (df == 0) df <- Inf
    .equi_quantile(p, tail, df, delta, type == "Kshirsagar" && is.finite(df),
                   corr, sigma, algorithm, ptol, seed, ...)
}

.check_p <- function(p) {
    if (length(p) != 1L || !is.numeric(p) || is.na(p) || p < 0 || p > 1)
        stop(sQuote("p"), " is not a double between zero and one")
}

## The common part: `centre` is the location (noncentral = FALSE) or the
## t's Kshirsagar noncentrality (noncentral = TRUE); df = Inf the normal.
.equi_quantile <- function(p, tail, df, centre, noncentral, corr, sigma,
                           algorithm, ptol, seed, ...) {
    ## mvtnorm's dimension: the centre's length, or the matrix's
    dim <- length(centre)
    if (is.matrix(corr)) dim <- nrow(corr)
    if (is.matrix(sigma)) dim <- nrow(sigma)
    a <- .check_mvargs(rep(-Inf, dim), rep(Inf, dim), centre, corr, sigma)
    if (...length() > 0L)
        algorithm <- GenzBretz(...)
    else if (is.function(algorithm) || is.character(algorithm))
        algorithm <- do.call(algorithm, list())
    cov <- if (is.null(a$corr)) a$sigma else a$corr
    cov <- matrix(as.numeric(cov), dim, dim)
    opts <- .algorithm_options(algorithm)
    ## mvtnorm stops when the probability is within ptol of p
    opts$abseps <- min(opts$abseps, ptol)
    opts$threads <- .threads()
    code <- match(tail, c("lower.tail", "upper.tail", "both.tails")) - 1L
    ctr <- as.numeric(a$mean)
    r <- if (noncentral)
        .Call(C_gp_quantile, as.numeric(p), code, rep(0, dim), cov,
              as.numeric(dim), opts, seed, as.numeric(df), ctr)
    else
        .Call(C_gp_quantile, as.numeric(p), code, ctr, cov, as.numeric(dim),
              opts, seed, as.numeric(df), NULL)
    msg <- if (r$return == 0L) "Normal Completion" else r$message
    ## mvtnorm's value (1.1: quantile, f.quantile, attribute message); the
    ## error estimate of the quantile rides along as an attribute
    structure(list(quantile = r$quantile, f.quantile = r$p_at_q - p),
              message = msg, estim.prec = r$q_err,
              status = .status_name(r$return), evaluations = r$evaluations)
}
