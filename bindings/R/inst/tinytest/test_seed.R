## Reproducibility: the seed comes from R's RNG unless given.
library(gaussprob)
source("helpers.R")
R <- two_factor(10)  # QMC: the seed matters (one-factor is exact)
l <- rep(-1, 10); u <- rep(1.5, 10)
set.seed(42); a <- gaussprob::pmvnorm(l, u, corr = R)
set.seed(42); b <- gaussprob::pmvnorm(l, u, corr = R)
expect_identical(a, b)
set.seed(43); c3 <- gaussprob::pmvnorm(l, u, corr = R)
expect_false(identical(as.numeric(a), as.numeric(c3)))
## an explicit seed overrides R's RNG and leaves it untouched
set.seed(1); s1 <- mvn_prob(l, u, sigma = R, seed = 11); r1 <- runif(1)
set.seed(2); s2 <- mvn_prob(l, u, sigma = R, seed = 11)
set.seed(1); runif(1) -> r2
expect_identical(s1, s2)
expect_identical(r1, r2)
## seed = NULL advances R's RNG
set.seed(5); invisible(mvn_prob(l, u, sigma = R)); x <- runif(1)
set.seed(5); y <- runif(1)
expect_false(identical(x, y))
## results do not depend on the thread count
old <- options(gaussprob.threads = 2)
t2 <- mvn_prob(l, u, sigma = R, seed = 9)
options(old)
expect_identical(t2, mvn_prob(l, u, sigma = R, seed = 9))
