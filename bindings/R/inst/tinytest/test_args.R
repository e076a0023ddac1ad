## mvtnorm's argument checks, recycling and special cases; bad inputs give
## R errors (never a crash).
library(gaussprob)
source("helpers.R")
has_mvtnorm <- requireNamespace("mvtnorm", quietly = TRUE)
msg_of <- function(expr) tryCatch({ expr; "" }, error = conditionMessage)

## The same error messages as mvtnorm for the same bad calls.
bad <- list(
    quote(pmvnorm(lower = "a", upper = 1)),
    quote(pmvnorm(lower = c(0, NA), upper = c(1, 1))),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, NA))),
    quote(pmvnorm(lower = c(2, 0), upper = c(1, 1))),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, 1), mean = c(0, NA))),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, 1), corr = diag(3))),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, 1), corr = matrix(c(1, 2, 2, 1), 2))),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, 1), sigma = matrix(c(1, 0.5, 0, 1), 2))),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, 1), sigma = diag(3))),
    quote(pmvnorm(lower = 0, upper = 1)),
    quote(pmvnorm(lower = 0, upper = 1, corr = 1)),
    quote(pmvnorm(lower = c(0, 0), upper = c(1, 1), sigma = matrix(1)))
)
for (e in bad) {
    ours <- msg_of(eval(e, list(pmvnorm = gaussprob::pmvnorm)))
    expect_true(nzchar(ours), info = deparse(e))
    if (has_mvtnorm) {
        theirs <- msg_of(eval(e, list(pmvnorm = mvtnorm::pmvnorm)))
        expect_equal(ours, theirs, info = deparse(e))
    }
}

## Recycling: lower of length 1 against upper of length 3.
R3 <- equicorr(3)
x <- gaussprob::pmvnorm(0, c(Inf, Inf, Inf), corr = R3)
expect_equal(as.numeric(x), 0.25, tolerance = 1e-12)
expect_warning(gaussprob::pmvnorm(c(0, 0, 0), Inf, corr = R3, sigma = R3),
               "ignoring")

## Special cases.
z <- gaussprob::pmvnorm(c(1, 0), c(1, 2), corr = equicorr(2))
expect_equal(as.numeric(z), 0)
expect_equal(attr(z, "msg"), "lower == upper")
o <- gaussprob::pmvnorm(rep(-Inf, 4), Inf, corr = equicorr(4))
expect_equal(as.numeric(o), 1)
expect_equal(attr(o, "msg"), "Normal Completion")
u <- gaussprob::pmvnorm(-1, 2, mean = 0.5, sigma = 4)
expect_equal(as.numeric(u), pnorm(2, 0.5, 2) - pnorm(-1, 0.5, 2))
expect_equal(attr(u, "msg"), "univariate: using pnorm")
v <- gaussprob::pmvnorm(-1, 2, mean = 0.5, sigma = 4, keepAttr = FALSE)
expect_equal(unname(v), as.numeric(u))
expect_null(attr(v, "msg"))

## Attributes mvtnorm users and ours.
p <- gaussprob::pmvnorm(c(-1, -1, -1, -1), 1, corr = equicorr(4))
expect_true(all(c("error", "msg", "algorithm", "logp", "evaluations", "status")
                %in% names(attributes(p))))
expect_equal(attr(p, "algorithm"), "GenzBretz")
expect_equal(attr(p, "logp"), log(as.numeric(p)), tolerance = 1e-12)
expect_equal(attr(p, "status"), "MVN_OK")

## Algorithm objects by class, by name, as functions, and through `...`.
for (alg in list(GenzBretz(), TVPACK(), Miwa(), "GenzBretz", GenzBretz,
                 if (has_mvtnorm) mvtnorm::GenzBretz(abseps = 1e-4),
                 if (has_mvtnorm) mvtnorm::Miwa())) {
    if (is.null(alg)) next
    q <- gaussprob::pmvnorm(-Inf, c(1, 4, 2), corr = equicorr(3), algorithm = alg)
    expect_equal(as.numeric(q), as.numeric(p <- mvn_prob(-Inf, c(1, 4, 2), sigma = equicorr(3))),
                 tolerance = 1e-6)
}
expect_equal(attr(gaussprob::pmvnorm(-Inf, rep(0, 3), corr = equicorr(3),
                                     algorithm = TVPACK()), "algorithm"), "TVPACK")
q <- gaussprob::pmvnorm(rep(-1, 6), 1, corr = equicorr(6), abseps = 1e-5, maxpts = 1e6)
expect_true(attr(q, "error") <= 1e-5)
expect_error(gaussprob::pmvnorm(-1, c(1, 1), corr = equicorr(2), algorithm = list()),
             "algorithm")
## A missed tolerance is reported as mvtnorm reports it (a QMC problem:
## a one-factor matrix is answered exactly whatever the budget).
t <- gaussprob::pmvnorm(rep(-1, 30), 1, corr = two_factor(30),
                        algorithm = GenzBretz(maxpts = 1000, abseps = 1e-9))
expect_equal(attr(t, "msg"), "Completion with error > abseps")
expect_equal(attr(t, "status"), "MVN_ETOL")

## Bad inputs of the vectorized functions: R errors with the library's message.
S <- equicorr(3)
expect_error(mvn_prob(c(0, NA, 0), Inf, sigma = S), "NaN")
expect_error(mvn_prob(c(0, NaN, 0), Inf, sigma = S), "NaN")
expect_error(mvn_prob(0, Inf, sigma = matrix(c(1, 2, 0, 2, 1, 0, 0, 0, 1), 3)),
             "positive")
expect_error(mvn_prob(c(0, 0), Inf, sigma = S), "length")
expect_error(mvn_prob(matrix(0, 3, 2), matrix(1, 3, 4), sigma = S), "problems")
expect_error(mvn_prob(0, Inf, sigma = matrix(1, 2, 3)), "d x d")
expect_error(mvn_prob(0, Inf), "exactly one")
expect_error(mvn_prob(1, 0, sigma = S), "exceeds")
expect_error(mvn_prob(0, Inf, sigma = S, abseps = -1), "bounds")
expect_error(mvn_prob(0, Inf, sigma = S, control = list(nosuch = 1)), "unknown")
expect_error(mvn_prob(0, Inf, sigma = S, control = list(method = "nosuch")), "valid")
expect_error(mvn_grad(0, Inf, sigma = "a"), "numeric")
expect_equal(length(mvn_prob(0, Inf, sigma = S, control = list(method = "tilted"))), 1L)
