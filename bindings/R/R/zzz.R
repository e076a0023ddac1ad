## Load-time checks and cached tables.
## SPDX-License-Identifier: GPL-3.0-or-later

.gp <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
    info <- .Call(C_gp_info)
    run <- info$version_number
    built <- info$compiled_version_number
    ## The library loaded must be the major version the package was built
    ## against, and at least its minor version.
    if (run %/% 10000L != built %/% 10000L || run %/% 100L < built %/% 100L)
        stop(sprintf(paste("gaussprob was built against libmvnorm %s but",
                           "libmvnorm %s is loaded: reinstall gaussprob"),
                     info$compiled_version, info$version), call. = FALSE)
    .gp$status_names <- .Call(C_gp_status_names)
    invisible()
}

## Status code(s) -> names ("MVN_OK", "MVN_ETOL", ...), from the library.
.status_name <- function(code) .gp$status_names[code + 1L]
