## Equicoordinate quantiles (qmvnorm): closed forms, mvtnorm's documented
## example, round trips through pmvnorm, and mvtnorm's argument checks.
library(gaussprob)

## mvtnorm's example: qmvnorm(0.95, sigma = diag(2), tail = "both") = 2.236477
q <- qmvnorm(0.95, sigma = diag(2), tail = "both")
expect_true(abs(q$quantile - 2.236477) < 5e-7)
expect_equal(names(q), c("quantile", "f.quantile"))
expect_equal(attr(q, "message"), "Normal Completion")

## Independence: Phi^-1(p^(1/d)) for the lower tail, its negative for the upper.
for (d in c(1, 3, 6)) {
    ql <- qmvnorm(0.9, sigma = diag(d), tail = "lower.tail")$quantile
    qu <- qmvnorm(0.9, sigma = diag(d), tail = "upper.tail")$quantile
    expect_true(abs(ql - qnorm(0.9^(1 / d))) < 1e-9, info = paste("lower, d =", d))
    expect_true(abs(qu + qnorm(0.9^(1 / d))) < 1e-9, info = paste("upper, d =", d))
}

## Round trip with a mean and a correlation: pmvnorm at the quantile is p.
R <- matrix(0.5, 4, 4); diag(R) <- 1
m <- c(0.5, -1, 0, 1)
q <- qmvnorm(0.8, corr = R, mean = m, tail = "both.tails", seed = 1, maxpts = 1e6,
             abseps = 1e-5)
p <- pmvnorm(rep(-q$quantile, 4), rep(q$quantile, 4), mean = m, corr = R, seed = 2,
             maxpts = 1e7, abseps = 1e-5)
expect_true(abs(p - 0.8) <= 1e-5 + 3 * attr(p, "error") + abs(q$f.quantile))
expect_true(attr(q, "estim.prec") > 0 && attr(q, "estim.prec") < 1e-3)

## mvtnorm's checks
expect_error(qmvnorm(1.5, sigma = diag(2)), "between zero and one")
expect_error(qmvnorm(0.5, sigma = diag(2), tail = "sideways"))
expect_error(qmvnorm(0.5, corr = matrix(c(1, 2, 2, 1), 2)), "correlation")

## Agreement with mvtnorm's qmvnorm (its default ptol = 0.001 bounds the
## distance of its own probability from p; ours is within 1e-5 here).
if (requireNamespace("mvtnorm", quietly = TRUE)) {
    S <- matrix(c(4, 3, 2, 1, 3, 5, -1, 1, 2, -1, 4, 2, 1, 1, 2, 5), 4)
    cases <- list(list(sigma = diag(2), mean = 0, tail = "both.tails"),
                  list(sigma = R, mean = 0, tail = "both.tails"),
                  list(sigma = S, mean = c(0.5, -1, 2, 0), tail = "upper.tail"),
                  list(sigma = S, mean = 0, tail = "lower.tail"))
    for (k in seq_along(cases)) {
        a <- cases[[k]]
        set.seed(k)
        theirs <- mvtnorm::qmvnorm(0.9, sigma = a$sigma, mean = a$mean, tail = a$tail)
        ours <- qmvnorm(0.9, sigma = a$sigma, mean = a$mean, tail = a$tail, seed = k,
                        maxpts = 1e7, abseps = 1e-5)
        ## both within their probability tolerances: 1e-3 in P is at most
        ## 1e-3 / (dP/dq) in q, and dP/dq > 0.1 in these cases
        expect_true(abs(ours$quantile - theirs$quantile) < 1e-2,
                    info = sprintf("case %d: %.6f vs mvtnorm %.6f", k, ours$quantile,
                                   theirs$quantile))
        expect_true(abs(ours$f.quantile) <= 1e-5 && attr(ours, "status") == "MVN_OK",
                    info = paste("case", k))
    }
}

## qmvt: the univariate t's quantiles (central, noncentral, shifted), all
## tails; exact to about 1e-10 where the probabilities are (d <= 3).
for (df in c(1, 3.5, 30)) {
    expect_true(abs(qmvt(0.95, df = df)$quantile - qt(0.95, df)) < 1e-9, info = paste("df", df))
    expect_true(abs(qmvt(0.95, df = df, tail = "upper.tail")$quantile - qt(0.05, df)) < 1e-9)
    expect_true(abs(qmvt(0.9, df = df, tail = "both.tails")$quantile - qt(0.95, df)) < 1e-9)
}
expect_true(abs(qmvt(0.8, df = 4, delta = 1.5)$quantile - qt(0.8, 4, ncp = 1.5)) < 1e-8)
expect_true(abs(qmvt(0.8, df = 4, delta = 1.5, type = "shifted")$quantile - (1.5 + qt(0.8, 4))) < 1e-9)
## df = Inf is the normal with mean delta
expect_true(abs(qmvt(0.8, df = Inf, delta = 1)$quantile - qnorm(0.8, 1)) < 1e-9)

## Round trip: pmvt at the quantile is p (d = 2 and 3, exact kernels).
R2 <- matrix(c(1, 0.5, 0.5, 1), 2)
for (tl in c("lower.tail", "upper.tail", "both.tails")) {
    q <- qmvt(0.9, df = 6, corr = R2, delta = c(0.3, -0.2), tail = tl)$quantile
    lo <- switch(tl, lower.tail = rep(-Inf, 2), upper.tail = rep(q, 2), both.tails = rep(-q, 2))
    up <- switch(tl, lower.tail = rep(q, 2), upper.tail = rep(Inf, 2), both.tails = rep(q, 2))
    p <- pmvt(lo, up, delta = c(0.3, -0.2), df = 6, corr = R2)
    expect_true(abs(p - 0.9) < 1e-9, info = tl)
}
R3 <- matrix(0.5, 3, 3); diag(R3) <- 1
q3 <- qmvt(0.95, df = 10, corr = R3, tail = "both.tails")
expect_true(abs(pmvt(rep(-q3$quantile, 3), rep(q3$quantile, 3), df = 10, corr = R3) - 0.95) < 1e-9)
expect_true(attr(q3, "estim.prec") < 1e-8)

## Agreement with mvtnorm's qmvt (its ptol = 0.001 in P bounds its own
## error: 1e-3 / (dP/dq) in q, about 5e-3 here).
if (requireNamespace("mvtnorm", quietly = TRUE)) {
    set.seed(1)
    theirs <- mvtnorm::qmvt(0.95, df = 10, corr = R3, tail = "both.tails")$quantile
    expect_true(abs(q3$quantile - theirs) < 5e-3)
    theirs <- mvtnorm::qmvt(0.9, df = 4, delta = c(0.5, -0.2), corr = R2)$quantile
    ours <- qmvt(0.9, df = 4, delta = c(0.5, -0.2), corr = R2)$quantile
    expect_true(abs(ours - theirs) < 5e-3)
}
expect_error(qmvt(0.9, df = -1), "df")
expect_error(qmvt(0.9, df = 0.001, corr = R2), "degrees of freedom")
