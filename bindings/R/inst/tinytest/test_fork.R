## A forked child (parallel::mclapply) after a threaded call never hangs:
## the package's pthread_atfork handler drops the child to one thread.
library(gaussprob)
source("helpers.R")
if (.Platform$OS.type != "unix")
    exit_file("fork() is not available")
R <- one_factor(12)
old <- options(gaussprob.threads = 2)
parent <- mvn_prob(rep(-1, 12), 2, sigma = R, seed = 1)
job <- parallel::mcparallel({
    v <- mvn_prob(rep(-1, 12), 2, sigma = R, seed = 1)
    list(value = v, forked = gaussprob:::.forked_child())
})
res <- parallel::mccollect(job, wait = FALSE, timeout = 60)
if (is.null(res)) tools::pskill(job$pid)
expect_false(is.null(res), info = "the forked child finished within 60 s")
if (!is.null(res)) {
    r <- res[[1]]
    expect_identical(r$value, parent)
    expect_true(r$forked)
}
expect_false(gaussprob:::.forked_child())
## mclapply itself, two children
out <- parallel::mclapply(1:2, function(i)
    as.numeric(mvn_prob(rep(-1, 12), 2, sigma = R, seed = 1)), mc.cores = 2)
expect_equal(unlist(out), rep(as.numeric(parent), 2))
options(old)
