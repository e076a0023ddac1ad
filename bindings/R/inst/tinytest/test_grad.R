## Gradients against central finite differences of the exact d <= 3 kernels.
library(gaussprob)
source("helpers.R")

P <- function(l, u, m, S) as.numeric(mvn_prob(l, u, m, sigma = S))
fd <- function(f, x, h = 1e-5) {
    vapply(seq_along(x), function(i) {
        e <- replace(numeric(length(x)), i, h)
        (f(x + e) - f(x - e)) / (2 * h)
    }, numeric(1))
}
cases <- list(
    list(l = c(-1, -0.5), u = c(1, 2), m = c(0.1, -0.2),
         S = matrix(c(1, 0.3, 0.3, 2), 2)),
    list(l = c(-1, -Inf, 0), u = c(0.5, 1, 2), m = c(0, 0.3, 0.1),
         S = matrix(c(1, 0.4, 0.2, 0.4, 1.5, -0.3, 0.2, -0.3, 0.8), 3))
)
for (cs in cases) {
    d <- length(cs$l)
    g <- mvn_grad(cs$l, cs$u, cs$m, sigma = cs$S)
    p0 <- P(cs$l, cs$u, cs$m, cs$S)
    expect_equal(g$value, p0, tolerance = 1e-14)
    fin <- is.finite(cs$u)
    expect_equal(as.numeric(g$upper)[fin],
                 fd(function(x) P(cs$l, x, cs$m, cs$S), cs$u)[fin],
                 tolerance = 1e-6, info = paste("d/dupper, d =", d))
    fin <- is.finite(cs$l)
    expect_equal(as.numeric(g$lower)[fin],
                 fd(function(x) P(x, cs$u, cs$m, cs$S), cs$l)[fin],
                 tolerance = 1e-6, info = paste("d/dlower, d =", d))
    expect_equal(as.numeric(g$mean),
                 fd(function(x) P(cs$l, cs$u, x, cs$S), cs$m),
                 tolerance = 1e-6, info = paste("d/dmean, d =", d))
    ## dSigma: G = H/2, so a symmetric change of sigma_ij = sigma_ji
    ## (i != j) changes P by 2 G_ij, a diagonal one by G_ii.
    G <- g$sigma[, , 1]
    expect_equal(G, t(G), tolerance = 1e-14)
    for (i in 1:d) for (j in i:d) {
        f <- function(x) {
            S <- cs$S
            S[i, j] <- S[j, i] <- x
            P(cs$l, cs$u, cs$m, S)
        }
        want <- fd(f, cs$S[i, j])
        got <- if (i == j) G[i, i] else 2 * G[i, j]
        expect_equal(got, want, tolerance = 1e-5,
                     info = sprintf("d/dSigma[%d,%d], d = %d", i, j, d))
    }
    ## log-gradients are the gradients divided by P
    lg <- mvn_grad(cs$l, cs$u, cs$m, sigma = cs$S, log = TRUE)
    expect_equal(lg$value, log(p0), tolerance = 1e-12)
    expect_equal(lg$upper, g$upper / p0, tolerance = 1e-8)
    expect_equal(lg$sigma, g$sigma / p0, tolerance = 1e-8)
    ## Cholesky input (R's upper factor, read without a copy) gives the
    ## same value and the same dSigma
    gc <- mvn_grad(cs$l, cs$u, cs$m, chol = chol(cs$S))
    expect_equal(gc$value, g$value, tolerance = 1e-12)
    expect_equal(gc$sigma, g$sigma, tolerance = 1e-10)
}

## Shapes and recycling: d x n matrices, one sigma for all problems, and a
## d x d x n array; a batch equals a loop of single calls bitwise (common
## random numbers).
S5 <- one_factor(5)
U <- cbind(rep(1, 5), rep(2, 5), c(1, 2, 3, 1, 2))
b <- mvn_grad(-Inf, U, 0, sigma = S5, seed = 7)
expect_equal(dim(b$upper), c(5L, 3L))
expect_equal(dim(b$sigma), c(5L, 5L, 3L))
for (t in 1:3) {
    one <- mvn_grad(-Inf, U[, t], 0, sigma = S5, seed = 7)
    expect_identical(b$value[t], one$value)
    expect_identical(b$upper[, t], one$upper[, 1])
}
arr <- array(S5, c(5, 5, 3))
expect_identical(mvn_prob(-Inf, U, sigma = arr, seed = 3),
                 mvn_prob(-Inf, U, sigma = S5, seed = 3))
## chol input without copy: also batched
expect_equal(as.numeric(mvn_prob(-Inf, U, chol = chol(S5), seed = 3)),
             as.numeric(mvn_prob(-Inf, U, sigma = S5, seed = 3)), tolerance = 1e-6)
