## pmvt() compatible with package mvtnorm's: the multivariate t
## probability, computed by libmvnorm's mvn_prob_t.
## SPDX-License-Identifier: GPL-3.0-or-later

pmvt <- function(lower = -Inf, upper = Inf, delta = rep(0, length(lower)),
                 df = 1, corr = NULL, sigma = NULL, algorithm = GenzBretz(),
                 type = c("Kshirsagar", "shifted"), keepAttr = TRUE,
                 seed = NULL, ...) {
    type <- match.arg(type)
    if (length(df) != 1L || !is.numeric(df) || is.na(df) || df < 0)
        stop(sQuote("df"), " must be a non-negative number")
    if (...length() > 0L)
        algorithm <- GenzBretz(...)
    else if (is.function(algorithm) || is.character(algorithm))
        algorithm <- do.call(algorithm, list())
    ## mvtnorm: df = 0 (or Inf) is the normal
    if (df == 0 || is.infinite(df))
        return(pmvnorm(lower, upper, mean = delta, corr = corr, sigma = sigma,
                       algorithm = algorithm, keepAttr = keepAttr, seed = seed))
    a <- .check_mvargs(lower, upper, delta, corr, sigma)
    d <- length(a$lower)
    cov <- if (is.null(a$corr)) a$sigma else a$corr
    cov <- matrix(as.numeric(cov), d, d)
    lo <- as.numeric(a$lower)
    up <- as.numeric(a$upper)
    dl <- as.numeric(a$mean)
    if (type == "shifted") {
        ## T = delta + Y / W: the central t of the shifted limits
        lo <- lo - dl
        up <- up - dl
        dl <- rep(0, d)
    }
    opts <- .algorithm_options(algorithm)
    opts$threads <- .threads()
    r <- .Call(C_gp_student, lo, up, dl, cov, as.numeric(d), as.numeric(df), opts, seed,
               FALSE)
    msg <- switch(as.character(r$return),
                  "0" = "Normal Completion",
                  "1" = "Completion with error > abseps",
                  r$message)
    if (!keepAttr)
        return(r$p)
    structure(r$p, error = r$abserr, msg = msg, algorithm = class(algorithm)[1L],
              logp = r$logp, evaluations = r$evaluations,
              status = .status_name(r$return))
}

## The multivariate t probability T = loc + (Y + delta) / W with its
## derivatives in the limits and in loc (libmvnorm's mvn_prob_t_grad):
## central (delta = 0): each is the t density at a limit times a
## (d-1)-dimensional t probability with df + 1 degrees of freedom, exact
## to about 1e-12 for d <= 4; noncentral: the normal's derivatives under
## the integral over the chi variable, exact to about 1e-12 for d <= 3;
## and in the scale matrix (mvn_prob_t_grad_sigma, symmetric as
## mvn_grad's sigma; NULL from a library without it).  Arguments as
## mvn_grad's, with df, the noncentrality delta (pmvt's Kshirsagar type)
## and the scale matrix sigma.
mvt_grad <- function(lower = -Inf, upper = Inf, df = 1, loc = 0, sigma = NULL,
                     abseps = 1e-5, releps = 0, maxpts = 1e7, seed = NULL,
                     control = list(), delta = 0) {
    if (length(df) != 1L || !is.numeric(df) || is.na(df) || df <= 0)
        stop(sQuote("df"), " must be a positive number (Inf: the normal)")
    a <- .check_mvargs(lower, upper, loc, NULL, sigma)
    d <- length(a$lower)
    if (!is.numeric(delta) || !(length(delta) %in% c(1L, d)) || anyNA(delta))
        stop(sQuote("delta"), " must be a number or a vector of length ", d)
    cov <- matrix(as.numeric(a$sigma), d, d)
    lo <- as.numeric(a$lower) - as.numeric(a$mean)
    up <- as.numeric(a$upper) - as.numeric(a$mean)
    r <- .Call(C_gp_student, lo, up, rep_len(as.numeric(delta), d), cov, as.numeric(d),
               as.numeric(df),
               .options(abseps, releps, maxpts, control), seed, TRUE)
    list(value = r$p, error = r$abserr, lower = r$d_lower, upper = r$d_upper,
         loc = -(r$d_lower + r$d_upper), sigma = r$d_sigma,
         status = .status_name(r$return), evaluations = r$evaluations)
}
