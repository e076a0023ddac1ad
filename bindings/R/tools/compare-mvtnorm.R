## compare-mvtnorm.R -- gaussprob::pmvnorm next to mvtnorm::pmvnorm: value,
## error estimate, distance to the exact value and time, on the
## equicorrelated (rho = 1/2) orthant P(X > 0) = 1/(d + 1).
##   usage: Rscript tools/compare-mvtnorm.R    (gaussprob and mvtnorm installed)
## SPDX-License-Identifier: GPL-3.0-or-later
suppressMessages({ library(gaussprob); library(mvtnorm) })
time_it <- function(f, reps) {
    t <- vapply(seq_len(reps), function(i) system.time(f())[["elapsed"]], 0)
    median(t)
}
cat("| d | package | value | error estimate | |value - 1/(d+1)| | time (s) |\n")
cat("|---|---|---|---|---|---|\n")
for (d in c(5, 20, 100)) {
    R <- matrix(0.5, d, d); diag(R) <- 1
    exact <- 1 / (d + 1)
    for (pkg in c("gaussprob", "mvtnorm")) {
        f <- if (pkg == "gaussprob")
            function() gaussprob::pmvnorm(rep(0, d), rep(Inf, d), corr = R,
                algorithm = gaussprob::GenzBretz(maxpts = 1e7, abseps = 1e-4))
        else
            function() mvtnorm::pmvnorm(rep(0, d), rep(Inf, d), corr = R,
                algorithm = mvtnorm::GenzBretz(maxpts = 1e7, abseps = 1e-4))
        set.seed(1)
        v <- f()
        t <- time_it(f, 5)
        cat(sprintf("| %d | %s | %.7f | %.1e | %.1e | %.3f |\n", d, pkg, v,
                    attr(v, "error"), abs(v - exact), t))
    }
}
