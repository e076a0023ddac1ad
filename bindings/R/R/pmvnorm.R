## pmvnorm() compatible with package mvtnorm's: the same arguments, checks,
## messages and special cases; the computation is libmvnorm's.
## SPDX-License-Identifier: GPL-3.0-or-later

GenzBretz <- function(maxpts = 25000, abseps = 0.001, releps = 0)
    structure(list(maxpts = maxpts, abseps = abseps, releps = releps),
              class = "GenzBretz")

TVPACK <- function(abseps = 1e-6)
    structure(list(eps = abseps), class = "TVPACK")

Miwa <- function(steps = 128, checkCorr = TRUE, maxval = 1e3) {
    if (steps > 4097)
        stop("maximum number of steps is 4097")
    structure(list(steps = steps, checkCorr = checkCorr, maxval = maxval),
              class = "Miwa")
}

## Tolerances of an algorithm object, recognized by class so that objects
## made by mvtnorm's constructors work too.
.algorithm_options <- function(algorithm) {
    if (inherits(algorithm, "GenzBretz")) {
        list(abseps = algorithm$abseps, releps = algorithm$releps,
             ## the library's budget is at least 1000 evaluations
             maxpts = max(1000, algorithm$maxpts))
    } else if (inherits(algorithm, "TVPACK")) {
        list(abseps = algorithm$eps, releps = 0, maxpts = 1e7)
    } else if (inherits(algorithm, "Miwa")) {
        list(abseps = 1e-6, releps = 0, maxpts = 1e7)
    } else {
        stop("'algorithm' must be GenzBretz(), TVPACK() or Miwa()",
             call. = FALSE)
    }
}

## One covariance-like argument ("corr" or "sigma") against d = length(lower).
.check_cov <- function(m, what, d) {
    if (!is.numeric(m))
        stop(sQuote(what), " is not numeric")
    if (!is.matrix(m)) {
        if (length(m) != d)
            stop(sQuote(paste0("diag(", what, ")")), " and ", sQuote("lower"),
                 " are of different length")
        return(list(m = m, uni = length(m) == 1L))
    }
    if (length(m) == 1L) {
        if (d != 1L)
            stop(sQuote(what), " and ", sQuote("lower"),
                 " are of different length")
        return(list(m = m[1L, 1L], uni = TRUE))
    }
    if (length(diag(m)) != d)
        stop(sQuote(paste0("diag(", what, ")")), " and ", sQuote("lower"),
             " are of different length")
    if (what == "corr") {
        ok <- nrow(m) == ncol(m) && {
            one <- 1 + sqrt(.Machine$double.eps)
            x <- unname(m)
            storage.mode(x) <- "numeric"
            min(x) >= -one && max(x) <= one &&
                isTRUE(all.equal(diag(x), rep(1, d)))
        }
        if (!ok)
            stop(sQuote("corr"), " is not a correlation matrix")
    } else if (!isTRUE(all.equal(m, t(m))) || any(diag(m) < 0)) {
        stop(sQuote("sigma"), " is not a covariance matrix")
    }
    list(m = m, uni = FALSE)
}

## mvtnorm's argument checks and recycling, in the same order with the
## same messages.
.check_mvargs <- function(lower, upper, mean, corr, sigma) {
    if (!is.numeric(lower) || !is.vector(lower))
        stop(sQuote("lower"), " is not a numeric vector")
    if (!is.numeric(upper) || !is.vector(upper))
        stop(sQuote("upper"), " is not a numeric vector")
    if (!is.numeric(mean) || !is.vector(mean))
        stop(sQuote("mean"), " is not a numeric vector")
    if (anyNA(lower))
        stop(sQuote("lower"), " not specified or contains NA")
    if (anyNA(upper))
        stop(sQuote("upper"), " not specified or contains NA")
    ## cbind recycles the three to the longest (warning when not a multiple)
    rec <- cbind(lower, upper, mean)
    lower <- rec[, "lower"]
    upper <- rec[, "upper"]
    mean <- rec[, "mean"]
    if (!all(lower <= upper))
        stop("at least one element of ", sQuote("lower"),
             " is larger than ", sQuote("upper"))
    if (anyNA(mean))
        stop("mean contains NA")
    d <- length(lower)
    if (is.null(corr) && is.null(sigma))
        corr <- diag(d)
    if (!is.null(corr) && !is.null(sigma)) {
        sigma <- NULL
        warning("both ", sQuote("corr"), " and ", sQuote("sigma"),
                " specified: ignoring ", sQuote("sigma"))
    }
    uni <- FALSE
    if (!is.null(corr)) {
        ch <- .check_cov(corr, "corr", d)
        corr <- ch$m
        uni <- ch$uni
    } else {
        ch <- .check_cov(sigma, "sigma", d)
        sigma <- ch$m
        uni <- ch$uni
    }
    list(lower = lower, upper = upper, mean = mean, corr = corr,
         sigma = sigma, uni = uni)
}

pmvnorm <- function(lower = -Inf, upper = Inf, mean = rep(0, length(lower)),
                    corr = NULL, sigma = NULL, algorithm = GenzBretz(),
                    keepAttr = TRUE, seed = NULL, ...) {
    a <- .check_mvargs(lower, upper, mean, corr, sigma)
    if (...length() > 0L)
        algorithm <- GenzBretz(...)
    else if (is.function(algorithm) || is.character(algorithm))
        algorithm <- do.call(algorithm, list())
    alg_name <- class(algorithm)[1L]
    if (a$uni) {
        if (!is.null(a$corr))
            stop(sQuote("sigma"), " not specified: cannot compute pnorm")
        sd <- sqrt(a$sigma)
        value <- pnorm(a$upper, a$mean, sd) - pnorm(a$lower, a$mean, sd)
        res <- list(value = value, error = 0, msg = "univariate: using pnorm",
                    algorithm = NULL, logp = log(value), evaluations = 0,
                    status = "MVN_OK")
    } else {
        cov <- if (is.null(a$corr)) a$sigma else a$corr
        if (!is.matrix(cov)) {
            if (is.null(a$corr))
                stop("'V' is not a square numeric matrix")
            stop("dimension less then n = 2")
        }
        opts <- .algorithm_options(algorithm)
        ## mvtnorm's special cases, on the standardized limits as there
        sd <- sqrt(diag(cov))
        lo <- (a$lower - a$mean) / sd
        up <- (a$upper - a$mean) / sd
        if (any(abs(lo - up) < sqrt(.Machine$double.eps) * (abs(lo) + abs(up)) |
                lo == up)) {
            res <- list(value = 0, error = 0, msg = "lower == upper",
                        algorithm = alg_name, logp = -Inf, evaluations = 0,
                        status = "MVN_OK")
        } else if (all(is.infinite(lo) & lo < 0 & is.infinite(up) & up > 0)) {
            res <- list(value = 1, error = 0, msg = "Normal Completion",
                        algorithm = alg_name, logp = 0, evaluations = 0,
                        status = "MVN_OK")
        } else {
            p <- .prepare(a$lower, a$upper, a$mean, unname(cov), NULL)
            opts$threads <- .threads()
            r <- .compute(0L, p, opts, seed, interactive())
            msg <- switch(as.character(r$return),
                          "0" = "Normal Completion",
                          "1" = "Completion with error > abseps",
                          r$message)
            res <- list(value = r$p, error = r$abserr, msg = msg,
                        algorithm = alg_name, logp = r$logp,
                        evaluations = r$evaluations,
                        status = .status_name(r$status))
        }
    }
    if (!keepAttr)
        return(res$value)
    structure(res$value, error = res$error, msg = res$msg,
              algorithm = res$algorithm, logp = res$logp,
              evaluations = res$evaluations, status = res$status)
}
