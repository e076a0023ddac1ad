## Agreement with mvtnorm's pmvnorm within the stated errors.
library(gaussprob)
if (!requireNamespace("mvtnorm", quietly = TRUE))
    exit_file("mvtnorm is not installed")
source("helpers.R")

set.seed(20261201)
for (d in c(2, 3, 5, 10, 20, 50, 100)) {
    R <- one_factor(d)
    upper <- runif(d, 1, 3)
    lower <- ifelse(seq_len(d) %% 2 == 0, -Inf, -runif(d, 1, 3))
    mean <- rnorm(d, 0, 0.1)
    sd <- sqrt(runif(d, 0.5, 2))
    S <- R * tcrossprod(sd)
    ours <- gaussprob::pmvnorm(lower, upper, mean, sigma = S,
                               algorithm = GenzBretz(maxpts = 1e6, abseps = 1e-4))
    theirs <- mvtnorm::pmvnorm(lower, upper, mean, sigma = S,
                               algorithm = mvtnorm::GenzBretz(maxpts = 1e6, abseps = 1e-4))
    tol <- 3 * (attr(ours, "error") + attr(theirs, "error")) + 1e-12
    expect_true(abs(ours - theirs) <= tol,
                info = sprintf("d = %d: ours %.7f theirs %.7f, tolerance %.2g",
                               d, ours, theirs, tol))
    expect_equal(attr(ours, "msg"), "Normal Completion", info = paste("d =", d))
    expect_true(attr(ours, "error") <= 1e-4, info = paste("error, d =", d))
    ## the same through corr (standardized limits), and the vectorized form
    lc <- (lower - mean) / sd
    uc <- (upper - mean) / sd
    viacorr <- gaussprob::pmvnorm(lc, uc, corr = R,
                                  algorithm = GenzBretz(maxpts = 1e6, abseps = 1e-4))
    expect_true(abs(viacorr - theirs) <= tol, info = paste("corr, d =", d))
    v <- mvn_prob(lower, upper, mean, sigma = S, abseps = 1e-4)
    expect_true(abs(v - theirs) <= 3 * (attr(v, "error") + attr(theirs, "error")) + 1e-12,
                info = paste("mvn_prob, d =", d))
}

## The Genz 1992 / mvtnorm R-News trivariate example (exact 0.82798489745683348).
R3 <- diag(3)
R3[lower.tri(R3)] <- c(3/5, 1/3, 11/15)
R3[upper.tri(R3)] <- t(R3)[upper.tri(R3)]
x <- gaussprob::pmvnorm(-Inf, c(1, 4, 2), corr = R3)
expect_equal(as.numeric(x), 0.82798489745683348, tolerance = 1e-12)
y <- mvtnorm::pmvnorm(-Inf, c(1, 4, 2), corr = R3)
expect_true(abs(x - y) <= attr(y, "error") + 1e-7)
