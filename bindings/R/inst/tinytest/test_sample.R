## rtmvnorm: exact samples from the truncated normal.  References are
## closed forms; tolerances are 5 standard errors.
library(gaussprob)
## N(1, 4) given 0 < X < 3: a = -0.5, b = 1 in standard units.
n <- 50000
x <- rtmvnorm(n, mean = 1, sigma = matrix(4), lower = 0, upper = 3, seed = 2)
expect_equal(dim(x), c(n, 1L))
expect_true(all(x >= 0 & x <= 3))
expect_equal(attr(x, "accept_rate"), 1)
a <- -0.5; b <- 1; z <- pnorm(b) - pnorm(a)
m1 <- (dnorm(a) - dnorm(b)) / z
v <- 1 + (a * dnorm(a) - b * dnorm(b)) / z - m1^2
expect_true(abs(mean(x) - (1 + 2 * m1)) <= 5 * 2 * sqrt(v / n))
## d = 3 in a tail: inside the box, reproducible from the seed
S <- matrix(0.5, 3, 3); diag(S) <- 1
y1 <- rtmvnorm(200, sigma = S, lower = c(3, 3, 3), seed = 7)
y2 <- rtmvnorm(200, sigma = S, lower = c(3, 3, 3), seed = 7)
y3 <- rtmvnorm(200, sigma = S, lower = c(3, 3, 3), seed = 8)
expect_identical(y1, y2)
expect_false(identical(y1, y3))
expect_true(all(y1 >= 3))
expect_true(attr(y1, "accept_rate") > 0.3)
## seed = NULL follows R's RNG
set.seed(4); s1 <- rtmvnorm(5, sigma = S)
set.seed(4); s2 <- rtmvnorm(5, sigma = S)
expect_identical(s1, s2)
## errors with the library's message
expect_error(rtmvnorm(5, sigma = S, lower = c(1, 0, 0), upper = c(1, 2, 2)), "empty")
expect_error(rtmvnorm(5, sigma = matrix(1, 2, 2)), "singular")
expect_error(rtmvnorm(5, sigma = S, lower = c(NA, 0, 0)), "NaN")
expect_error(rtmvnorm(0, sigma = S), "positive integer")
