## Multivariate t probabilities (pmvt): invariants, the normal limit, and
## agreement with mvtnorm's pmvt within the stated errors.
library(gaussprob)

## Orthants keep the normal's values for any df: 1/(d + 1) at rho = 1/2.
R3 <- diag(3) / 2 + 0.5
for (df in c(1, 2.5, 30)) {
    p <- pmvt(lower = rep(0, 3), df = df, corr = R3)
    expect_true(abs(p - 0.25) < 1e-12, info = paste("orthant, df =", df))
}
## Univariate: pt.
expect_true(abs(pmvt(upper = 0.7, df = 3, sigma = 1) - pt(0.7, 3)) < 1e-12)
expect_true(abs(pmvt(upper = 1.5, delta = 0.8, df = 4, sigma = 1) -
                pt(1.5, 4, ncp = 0.8)) < 1e-9)
## df = 0 is the normal, as in mvtnorm.
expect_equal(as.numeric(pmvt(upper = c(1, 2), df = 0, corr = R3[1:2, 1:2], seed = 1)),
             as.numeric(pmvnorm(upper = c(1, 2), corr = R3[1:2, 1:2], seed = 1)))
expect_error(pmvt(upper = 1, df = -1, sigma = 1), "df")

## mvtnorm's pmvt (integer df there), both types.
if (requireNamespace("mvtnorm", quietly = TRUE)) {
    R <- matrix(c(1, .5, .3, .5, 1, .2, .3, .2, 1), 3)
    S4 <- matrix(c(4, 3, 2, 1, 3, 5, -1, 1, 2, -1, 4, 2, 1, 1, 2, 5), 4)
    cases <- list(
        list(lower = c(-1, -2, -Inf), upper = c(1.5, 0.5, 2), delta = c(0.2, -0.1, 0.3),
             df = 4, sigma = R),
        list(lower = rep(-Inf, 4), upper = c(1, 2, 3, 4), delta = rep(0, 4), df = 3,
             sigma = S4),
        list(lower = c(-1, 0, -2, -Inf), upper = c(2, 3, 1, 1), delta = c(0.5, 0, -0.5, 1),
             df = 7, sigma = S4))
    for (k in seq_along(cases)) {
        a <- cases[[k]]
        for (type in c("Kshirsagar", "shifted")) {
            set.seed(k)
            theirs <- mvtnorm::pmvt(a$lower, a$upper, a$delta, a$df, sigma = a$sigma,
                                    type = type,
                                    algorithm = mvtnorm::GenzBretz(maxpts = 2e5, abseps = 1e-4))
            ours <- pmvt(a$lower, a$upper, a$delta, a$df, sigma = a$sigma, type = type,
                         seed = k, algorithm = GenzBretz(maxpts = 2e5, abseps = 1e-4))
            tol <- 3 * (attr(ours, "error") + attr(theirs, "error")) + 1e-9
            expect_true(abs(ours - theirs) <= tol,
                        info = sprintf("case %d, %s: %.8f vs mvtnorm %.8f (tol %.2g)", k,
                                       type, ours, theirs, tol))
        }
    }
}

## mvt_grad: d = 1 is R's dt; d = 3 against central differences of pmvt
## (exact kernels); d(loc) = -(d lower + d upper).
g <- mvt_grad(-1, 0.7, df = 3, loc = 0.2, sigma = matrix(2))
expect_true(abs(g$upper - dt(0.5 / sqrt(2), 3) / sqrt(2)) < 1e-14)
expect_true(abs(g$lower + dt(-1.2 / sqrt(2), 3) / sqrt(2)) < 1e-14)
expect_equal(g$loc, -(g$lower + g$upper))
S3 <- matrix(c(1, .4, .2, .4, 1.5, .3, .2, .3, 2), 3)
lo <- c(-1, -0.5, -2); up <- c(0.5, 1, 0.3)
g3 <- mvt_grad(lo, up, df = 5.5, sigma = S3)
h <- 1e-4
for (i in 1:3) {
    e <- replace(numeric(3), i, h)
    fd <- (pmvt(lo, up + e, df = 5.5, sigma = S3) - pmvt(lo, up - e, df = 5.5, sigma = S3)) /
        (2 * h)
    expect_true(abs(g3$upper[i] - fd) < 1e-8, info = paste("upper", i))
}
expect_error(mvt_grad(0, 1, df = 0, sigma = matrix(1)), "df")
## Noncentral: central differences of pmvt (Kshirsagar, exact kernels) at
## d = 3; d = 1 (Y ~ N(0, 1)) is R's dt with ncp.
dn <- c(0.4, -0.3, 0.1)
g3n <- mvt_grad(lo, up, df = 5.5, sigma = S3, delta = dn)
expect_equal(g3n$status, "MVN_OK")
for (i in 1:3) {
    e <- replace(numeric(3), i, h)
    fd <- (pmvt(lo, up + e, delta = dn, df = 5.5, sigma = S3) -
           pmvt(lo, up - e, delta = dn, df = 5.5, sigma = S3)) / (2 * h)
    expect_true(abs(g3n$upper[i] - fd) < 1e-8, info = paste("noncentral upper", i))
}
g1n <- mvt_grad(-Inf, 0.7, df = 3, sigma = matrix(1), delta = 0.5)
expect_true(abs(g1n$upper - dt(0.7, 3, ncp = 0.5)) < 1e-9 * dt(0.7, 3, ncp = 0.5))
expect_error(mvt_grad(c(0, 0), c(1, 1), df = 3, sigma = diag(2), delta = c(1, 2, 3)),
             "delta")

## mvt_grad's sigma: Richardson differences of the exact d = 2 pmvt
## (abseps 1e-14), df below and above 2; symmetric.
S2 <- matrix(c(1.3, .6, .6, .9), 2)
lo2 <- c(-0.7, -1.3); up2 <- c(1.1, 0.4)
for (df in c(1, 5.5)) {
    g2 <- mvt_grad(lo2, up2, df = df, sigma = S2, abseps = 1e-14)
    expect_equal(dim(g2$sigma), c(2L, 2L))
    expect_identical(g2$sigma[1, 2], g2$sigma[2, 1])
    for (ij in list(c(1, 1), c(1, 2), c(2, 2))) {
        D <- sapply(c(2e-3, 1e-3), function(h) {
            E <- matrix(0, 2, 2); E[ij[1], ij[2]] <- E[ij[2], ij[1]] <- h
            (pmvt(lo2, up2, df = df, sigma = S2 + E,
                  algorithm = GenzBretz(abseps = 1e-14)) -
             pmvt(lo2, up2, df = df, sigma = S2 - E,
                  algorithm = GenzBretz(abseps = 1e-14))) /
                (2 * h) / (if (ij[1] == ij[2]) 1 else 2)
        })
        expect_true(abs(g2$sigma[ij[1], ij[2]] - (4 * D[2] - D[1]) / 3) < 1e-11,
                    info = paste("sigma", ij[1], ij[2], "df", df))
    }
}
