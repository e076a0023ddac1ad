## The cancel path: the progress callback asks the library to stop (the
## path Ctrl-C takes, through R_ToplevelExec(R_CheckUserInterrupt)).
library(gaussprob)
source("helpers.R")
if (!gaussprob_info()$cancel)
    exit_file("libmvnorm has no progress callback (ABI 0.1)")
R <- two_factor(10)  # QMC, whose steps report progress
r <- gaussprob:::.cancel_test(rep(-1, 10), rep(1, 10), R, after = 0L)
expect_equal(r$return, 11L)               # MVN_ECANCELED
expect_equal(gaussprob:::.status_name(r$status), "MVN_ECANCELED")
expect_true(is.nan(r$p))
expect_true(nzchar(r$message))
## a callback that never cancels changes nothing
full <- gaussprob:::.cancel_test(rep(-1, 10), rep(1, 10), R, after = -1L,
                                 maxpts = 1e5)
expect_true(full$return %in% 0:1)         # MVN_OK or MVN_ETOL
expect_identical(full$p, as.numeric(mvn_prob(rep(-1, 10), rep(1, 10), sigma = R,
                                             abseps = 0, releps = 1e-9,
                                             maxpts = 1e5, seed = 1)))
## cancelling later keeps the call's other outputs NaN as well
late <- gaussprob:::.cancel_test(rep(-1, 10), rep(1, 10), R, after = 2L)
expect_equal(late$return, 11L)
expect_true(is.nan(late$logp))
