## bench/t_vs_mvtnorm.R -- multivariate t probabilities and quantiles:
## libmvnorm (through the gaussprob R package) against mvtnorm's pmvt and
## qmvt, in one R process, on the same problems.
##
## Usage (after `bash tests/run-r.sh --no-cran .`, which installs gaussprob
## into r-build/lib):
##   R_LIBS=r-build/lib Rscript bench/t_vs_mvtnorm.R
##
## Problems: equicorrelated 1/2 scale matrices, limits (-1.5 - i/20,
## 1 + i/10), df = 5 (mvtnorm 1.1 takes integer df only), abseps 1e-5.
## The reference is libmvnorm at abseps 1e-8 (its error estimate is
## printed), checked against mvtnorm at abseps 1e-7 for d <= 5 (an
## independent code; their difference is printed).  Each time is the mean
## of 5 calls; a benchmark, not a test.  About 2 minutes.
## SPDX-License-Identifier: GPL-3.0-or-later
suppressMessages(library(mvtnorm))
suppressMessages(library(gaussprob))
tm <- function(f, n = 5) {
    t0 <- proc.time()[["elapsed"]]
    for (i in seq_len(n)) f()
    (proc.time()[["elapsed"]] - t0) / n
}
cat("pmvt, df 5, abseps 1e-5: time (ms) and |error| against the reference\n")
for (d in c(4, 5, 8, 10, 20)) {
    R <- matrix(0.5, d, d); diag(R) <- 1
    up <- 1 + 0.1 * seq_len(d); lo <- -1.5 - 0.05 * seq_len(d)
    rg <- gaussprob::pmvt(lo, up, df = 5, corr = R, abseps = 1e-8, maxpts = 1e9, seed = 99)
    ref <- as.numeric(rg)
    set.seed(1)
    check <- if (d <= 5) abs(mvtnorm::pmvt(lo, up, df = 5, corr = R, abseps = 1e-7,
                                           maxpts = 1e9) - ref) else NA
    set.seed(2)
    t_m <- tm(function() mvtnorm::pmvt(lo, up, df = 5, corr = R, abseps = 1e-5, maxpts = 1e8))
    pm <- mvtnorm::pmvt(lo, up, df = 5, corr = R, abseps = 1e-5, maxpts = 1e8)
    t_g <- tm(function() gaussprob::pmvt(lo, up, df = 5, corr = R, abseps = 1e-5, maxpts = 1e8))
    pg <- gaussprob::pmvt(lo, up, df = 5, corr = R, abseps = 1e-5, maxpts = 1e8)
    cat(sprintf(paste("d %2d: reference %.9f +- %.1e (mvtnorm at 1e-7: %.1e off) |",
                      "mvtnorm %8.1f ms, error %.1e | libmvnorm %7.1f ms, error %.1e |",
                      "time ratio %.1f\n"),
                d, ref, attr(rg, "error"), check, 1000 * t_m, abs(pm - ref),
                1000 * t_g, abs(pg - ref), t_m / t_g))
}
cat("\nqmvt, df 5, p 0.95, two-sided: time (ms), q, and P at q minus p\n")
for (d in c(3, 5, 8)) {
    R <- matrix(0.5, d, d); diag(R) <- 1
    set.seed(3)
    t_m <- tm(function() mvtnorm::qmvt(0.95, df = 5, corr = R, tail = "both.tails"), 3)
    qm <- mvtnorm::qmvt(0.95, df = 5, corr = R, tail = "both.tails")
    t_g <- tm(function() gaussprob::qmvt(0.95, df = 5, corr = R, tail = "both.tails"), 3)
    qg <- gaussprob::qmvt(0.95, df = 5, corr = R, tail = "both.tails")
    pq <- function(q) gaussprob::pmvt(rep(-q, d), rep(q, d), df = 5, corr = R, abseps = 1e-8,
                                      maxpts = 1e9, seed = 5)
    cat(sprintf(paste("d %d: mvtnorm %7.1f ms, q %.6f, P(q) - p %.1e | libmvnorm %7.1f ms,",
                      "q %.6f, P(q) - p %.1e\n"),
                d, 1000 * t_m, qm$quantile, pq(qm$quantile) - 0.95, 1000 * t_g, qg$quantile,
                pq(qg$quantile) - 0.95))
}
