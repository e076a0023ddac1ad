## Shared by the test files (sourced by each).
one_factor <- function(d, lo = 0.3, hi = 0.8) {
    v <- seq(lo, hi, length.out = d)
    R <- tcrossprod(v)
    diag(R) <- 1
    R
}
equicorr <- function(d, rho = 0.5) {
    R <- matrix(rho, d, d)
    diag(R) <- 1
    R
}
