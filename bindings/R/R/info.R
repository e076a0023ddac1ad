## SPDX-License-Identifier: GPL-3.0-or-later

gaussprob_info <- function() {
    info <- .Call(C_gp_info)
    bi <- info$build_info
    list(version = info$version,
         compiled_version = info$compiled_version,
         build_info = if (nzchar(bi)) strsplit(bi, "\n", fixed = TRUE)[[1L]]
                      else character(),
         status_names = .gp$status_names,
         cancel = info$progress,
         threads = .threads())
}

## The number of library threads: options(gaussprob.threads = ), default 1.
.threads <- function() {
    th <- getOption("gaussprob.threads", 1L)
    if (!is.numeric(th) || length(th) != 1L || is.na(th) || th < 0 ||
        th != round(th))
        stop("option 'gaussprob.threads' must be a non-negative integer ",
             "(0: as many as OpenMP offers)")
    as.numeric(th)
}
