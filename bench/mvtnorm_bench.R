# Times mvtnorm::pmvnorm (GenzBretz) on problems read from a binary file; driven by adapter_mvtnorm.py.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: Rscript mvtnorm_bench.R IN.bin OUT.csv TOLS MAXPTS DIM_BUDGET REP_BUDGET
#   IN.bin   float64 little-endian: n, then per problem d, lower[d],
#            upper[d], sigma[d*d] (row-major; symmetric anyway)
#   TOLS     comma-separated absolute tolerances, loose to tight
#   MAXPTS   evaluation budget per call (GenzBretz maxpts)
#   (with TOLS = "throughput", each problem is run once with abseps = 0.)
# Wall and CPU time are measured inside R, so R start-up and package loading are excluded.
# The rules mirror bench/timing.py: best of up to 5 blocks of repeated calls
# (each block >= 10 ms), the first call's value is the scored value, and
# the tolerance ladder stops when the next tolerance would overrun the
# time budget or when no
# instance met the previous tolerance.

suppressPackageStartupMessages(library(mvtnorm))

args <- commandArgs(trailingOnly = TRUE)
con <- file(args[1], "rb")
n <- as.integer(readBin(con, "double", 1, endian = "little"))
probs <- vector("list", n)
for (k in seq_len(n)) {
  d <- as.integer(readBin(con, "double", 1, endian = "little"))
  lower <- readBin(con, "double", d, endian = "little")
  upper <- readBin(con, "double", d, endian = "little")
  sigma <- matrix(readBin(con, "double", d * d, endian = "little"), d, d)
  probs[[k]] <- list(d = d, lower = lower, upper = upper, sigma = sigma)
}
close(con)
out_path <- args[2]
throughput_mode <- args[3] == "throughput"
tols <- if (throughput_mode) 0 else as.numeric(strsplit(args[3], ",")[[1]])
maxpts <- as.numeric(args[4])
dim_budget <- as.numeric(args[5])
rep_budget <- as.numeric(args[6])

now <- function() proc.time()[["elapsed"]]
cpu_now <- function() { t <- proc.time(); t[["user.self"]] + t[["sys.self"]] }

set.seed(1)
run_one <- function(p, tol) {
  alg <- GenzBretz(maxpts = maxpts, abseps = tol, releps = 0)
  call <- function() pmvnorm(lower = p$lower, upper = p$upper,
                             mean = rep(0, p$d), sigma = p$sigma,
                             algorithm = alg)
  # proc.time has 1 ms resolution: single calls shorter than that count as
  # 1 ms, and blocks of repeated calls are grown to >= 10 ms.
  timed <- function(n) {
    w0 <- now(); c0 <- cpu_now()
    for (i in seq_len(n)) call()
    c(now() - w0, cpu_now() - c0)
  }
  w0 <- now(); c0 <- cpu_now()
  first <- call()
  block <- now() - w0
  best <- max(block, 1e-3)
  best_cpu <- max(cpu_now() - c0, 1e-3)
  calls <- 1
  inner <- 1
  while (block < 0.01 && inner < 1e6) {
    inner <- inner * 10
    t <- timed(inner)
    block <- t[1]
    if (block >= 0.01) {
      best <- min(best, t[1] / inner); best_cpu <- min(best_cpu, t[2] / inner)
    }
    calls <- calls + inner
  }
  reps <- if (throughput_mode) 0 else max(0, min(4, floor(rep_budget / block)))
  for (r in seq_len(reps)) {
    t <- timed(inner)
    best <- min(best, t[1] / inner); best_cpu <- min(best_cpu, t[2] / inner)
    calls <- calls + inner
  }
  ok <- identical(attr(first, "msg"), "Normal Completion")
  data.frame(tol = tol, time = best, cpu = best_cpu, value = as.numeric(first), converged = ok,
             calls = calls)
}

rows <- list()
spent <- 0
last_round <- 0
for (ti in seq_along(tols)) {
  # A tighter tolerance costs at least as much as the last one did.
  if (ti > 1 && spent + last_round > dim_budget) break
  conv <- FALSE
  t_round <- now()
  for (k in seq_len(n)) {
    r <- run_one(probs[[k]], tols[ti])
    r$problem <- k - 1
    rows[[length(rows) + 1]] <- r
    conv <- conv || r$converged
  }
  last_round <- now() - t_round
  spent <- spent + last_round
  if (!conv) break
}
write.csv(do.call(rbind, rows), out_path, row.names = FALSE)
