## qmvnorm() compatible with package mvtnorm's: the equicoordinate
## quantile, computed by libmvnorm's mvn_quantile_equi.
## SPDX-License-Identifier: GPL-3.0-or-later

qmvnorm <- function(p, interval = NULL,
                    tail = c("lower.tail", "upper.tail", "both.tails"),
                    mean = 0, corr = NULL, sigma = NULL,
                    algorithm = GenzBretz(), ptol = 0.001, maxiter = 500,
                    trace = FALSE, seed = NULL, ...) {
    if (length(p) != 1L || !is.numeric(p) || is.na(p) || p < 0 || p > 1)
        stop(sQuote("p"), " is not a double between zero and one")
    tail <- match.arg(tail)
    ## mvtnorm's dimension: mean's length, or the matrix's
    dim <- length(mean)
    if (is.matrix(corr)) dim <- nrow(corr)
    if (is.matrix(sigma)) dim <- nrow(sigma)
    a <- .check_mvargs(rep(-Inf, dim), rep(Inf, dim), mean, corr, sigma)
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
    r <- .Call(C_gp_quantile, as.numeric(p), code, as.numeric(a$mean), cov,
               as.numeric(dim), opts, seed)
    msg <- if (r$return == 0L) "Normal Completion" else r$message
    ## mvtnorm's value (1.1: quantile, f.quantile, attribute message); the
    ## error estimate of the quantile rides along as an attribute
    structure(list(quantile = r$quantile, f.quantile = r$p_at_q - p),
              message = msg, estim.prec = r$q_err,
              status = .status_name(r$return), evaluations = r$evaluations)
}
