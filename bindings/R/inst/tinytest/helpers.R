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
## Two factors: neither one-factor nor a chain, so the library integrates
## it by QMC (one-factor and AR(1) matrices have exact routes).
two_factor <- function(d) {
    v <- seq(0.3, 0.6, length.out = d)
    w <- 0.4 * sin(seq_len(d))
    R <- tcrossprod(v) + tcrossprod(w)
    diag(R) <- 1
    R
}
