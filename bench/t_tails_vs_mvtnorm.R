## bench/t_tails_vs_mvtnorm.R -- tiny multivariate t probabilities under a
## relative tolerance: libmvnorm (through the gaussprob R package) against
## mvtnorm's pmvt, in one R process, on the same problems.
##
## Usage (after `bash tests/run-r.sh --no-cran .`, which installs gaussprob
## into r-build/lib):
##   R_LIBS=r-build/lib Rscript bench/t_tails_vs_mvtnorm.R
##
## Problems: d = 4, equicorrelated 1/2, df 5, all lower limits x = 5, 30,
## 1000 (upper limits +inf), abseps 0, releps 1e-3, maxpts 1e7 for both.
## References: log P from a 2-D trapezoid rule in (log W, Z0) of the
## one-factor form (tests/test_student.c, t_factor_tail_log; stable to 12
## digits under step halving).  Each time is the mean of 3 calls; a
## benchmark, not a test.  About a minute.
## SPDX-License-Identifier: GPL-3.0-or-later
suppressMessages(library(mvtnorm))
suppressMessages(library(gaussprob))
tm <- function(f, n = 3) {
    t0 <- proc.time()[["elapsed"]]
    for (i in seq_len(n)) r <- f()
    list(t = (proc.time()[["elapsed"]] - t0) / n, r = r)
}
refs <- c(`5` = -9.03825306567, `30` = -17.7978063866, `1000` = -35.3246051038)
d <- 4
R <- matrix(0.5, d, d)
diag(R) <- 1
for (x in c(5, 30, 1000)) {
    lo <- rep(x, d)
    ref <- exp(refs[[as.character(x)]])
    a <- tm(function() gaussprob::pmvt(lo, rep(Inf, d), df = 5, corr = R, abseps = 0,
                                       releps = 1e-3, maxpts = 1e7))
    set.seed(1)
    b <- tm(function() mvtnorm::pmvt(lo, rep(Inf, d), df = 5, corr = R,
                                     algorithm = GenzBretz(maxpts = 1e7, abseps = 0,
                                                           releps = 1e-3)))
    cat(sprintf(paste0("d = 4, lower %g: P = %.6g | libmvnorm %.6g (rel. error %.1e, %s) ",
                       "%.1f ms | mvtnorm %.6g (rel. error %.1e, its estimate %.1e) %.1f ms\n"),
                x, ref, as.numeric(a$r), abs(as.numeric(a$r) / ref - 1), attr(a$r, "status"),
                1000 * a$t, as.numeric(b$r), abs(as.numeric(b$r) / ref - 1),
                attr(b$r, "error") / ref, 1000 * b$t))
}
