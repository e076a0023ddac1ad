## Exact sampling from the truncated multivariate normal.
## SPDX-License-Identifier: GPL-3.0-or-later

rtmvnorm <- function(n, mean = rep(0, nrow(sigma)), sigma = diag(length(mean)),
                     lower = rep(-Inf, length(mean)),
                     upper = rep(Inf, length(mean)), seed = NULL) {
    if (!is.numeric(sigma))
        stop("'sigma' is not numeric", call. = FALSE)
    sigma <- as.matrix(sigma)
    d <- nrow(sigma)
    if (d < 1L || ncol(sigma) != d)
        stop("'sigma' must be a d x d matrix with d >= 1", call. = FALSE)
    vec <- function(x, nm) {
        if (!is.numeric(x) || !(length(x) %in% c(1L, d)))
            stop(sprintf("'%s' must be numeric of length 1 or d = %d", nm, d),
                 call. = FALSE)
        as.double(rep_len(x, d))
    }
    if (!is.numeric(n) || length(n) != 1L)
        stop("'n' must be a single number", call. = FALSE)
    s <- sigma
    storage.mode(s) <- "double"
    .Call(C_gp_sample, vec(lower, "lower"), vec(upper, "upper"),
          vec(mean, "mean"), s, as.double(n), seed)
}
