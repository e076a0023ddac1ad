## Exact references (../shared/REFERENCE_VALUES.md, doc/references.md).
library(gaussprob)
source("helpers.R")

## Equicorrelated rho = 1/2 orthants: P(X > 0) = 1/(d + 1).
for (d in c(3, 10, 100)) {
    R <- equicorr(d)
    eps <- if (d < 100) 1e-5 else 1e-4
    p <- gaussprob::pmvnorm(rep(0, d), rep(Inf, d), corr = R,
                            algorithm = GenzBretz(maxpts = 1e7, abseps = eps))
    expect_true(abs(p - 1 / (d + 1)) <= max(3 * attr(p, "error"), 1e-12),
                info = paste("orthant, d =", d))
    q <- mvn_prob(0, Inf, sigma = R, abseps = eps)
    expect_true(abs(q - 1 / (d + 1)) <= max(3 * attr(q, "error"), 1e-12),
                info = paste("mvn_prob orthant, d =", d))
}

## Tridiagonal rho_{i,i+1} = -1/2: P(X > 0) = 1/(d+1)!; log P far below
## what a double holds for d = 100.
tri <- function(d) {
    R <- diag(d)
    R[cbind(1:(d - 1), 2:d)] <- -0.5
    R[cbind(2:d, 1:(d - 1))] <- -0.5
    R
}
for (d in c(5, 20, 50, 100)) {
    lp <- mvn_logprob(0, Inf, sigma = tri(d), releps = if (d < 100) 1e-3 else 1e-2)
    exact <- -lgamma(d + 2)
    expect_true(abs(lp - exact) <= max(3 * attr(lp, "error"), 1e-10),
                info = sprintf("tridiagonal d = %d: %.10f vs %.10f", d, lp, exact))
}
expect_equal(as.numeric(lp), -368.35449607240474, tolerance = 1e-3)

## Bivariate closed form Phi2(0, 0; rho) = 1/4 + asin(rho)/(2 pi).
for (rho in c(-0.9, -0.5, 0.5, 0.9, 0.99)) {
    p <- mvn_prob(-Inf, 0, sigma = equicorr(2, rho))
    expect_equal(as.numeric(p), 0.25 + asin(rho) / (2 * pi), tolerance = 1e-14)
}
## log Phi2(-10, -10; 0.5)
expect_equal(as.numeric(mvn_logprob(-Inf, -10, sigma = equicorr(2))),
             -72.197267171540266, tolerance = 1e-10)
## Trivariate orthant closed form.
R3 <- diag(3)
R3[lower.tri(R3)] <- c(3/5, 1/3, 11/15)
R3[upper.tri(R3)] <- t(R3)[upper.tri(R3)]
expect_equal(as.numeric(mvn_prob(-Inf, 0, sigma = R3)), 0.26876068085314925,
             tolerance = 1e-12)
## Diagonal Sigma: the product of univariate terms.
expect_equal(as.numeric(mvn_prob(c(-1, 0, 0.5), c(1, 2, Inf), sigma = diag(3))),
             prod(pnorm(c(1, 2, Inf)) - pnorm(c(-1, 0, 0.5))), tolerance = 1e-13)

## One-factor (equicorrelated, general limits) references: exact 1-D
## representation (Dunnett-Sobel / Tong), REFERENCE_VALUES.md section 4.
p <- gaussprob::pmvnorm(rep(-1, 5), rep(3, 5), corr = equicorr(5),
                        algorithm = GenzBretz(maxpts = 1e6, abseps = 1e-6))
expect_true(abs(p - 0.5800476516960114) <= max(3 * attr(p, "error"), 1e-9))
p <- mvn_prob(-Inf, 1, sigma = equicorr(10), abseps = 1e-6)
expect_true(abs(p - 0.46056006112925259) <= max(3 * attr(p, "error"), 1e-9))
## gradient reference case: d = 5, rho = 0.3, b = (-0.5, 0, 0.5, 1, 1.5)
g <- mvn_grad(-Inf, c(-0.5, 0, 0.5, 1, 1.5), sigma = equicorr(5, 0.3),
              abseps = 1e-7)
expect_equal(g$value, 0.1566389479563935, tolerance = 1e-6)
expect_equal(as.numeric(g$upper),
             c(0.14504366511451425, 0.085382193159279758, 0.043180004510105016,
               0.018037272832688177, 0.0059983522372113874), tolerance = 1e-5)
## the symmetric parameter Sigma_15 = Sigma_51: 2 G_15
expect_equal(2 * g$sigma[1, 5, 1], 0.0078583001177108053, tolerance = 1e-4)
## tiny upper tails, in log space
lp <- mvn_logprob(5, Inf, sigma = equicorr(10), releps = 1e-4)
expect_equal(as.numeric(lp), -32.847577943533682, tolerance = 1e-5)
lp <- mvn_logprob(10, Inf, sigma = equicorr(10), releps = 1e-4)
expect_equal(as.numeric(lp), -105.59844052544872, tolerance = 1e-5)
