#!/bin/sh
# run-r.sh -- the R package (bindings/R, package gaussprob) against the
# libmvnorm of a configured build tree: copies bindings/R into the build
# directory (R CMD INSTALL writes into its source tree), installs it into a
# private library there, building against lib/.libs through
# mvnorm-uninstalled.pc (the package's configure adds an rpath to it), and
# runs the tinytest suite; then R CMD build and R CMD check --as-cran of the
# tarball (about 30 s), counted as one more test.  The last line is
# "R suite: N passed, N failed".
#   usage: tests/run-r.sh [--no-cran | --cran-only] [BUILDDIR]
# The check runs offline (_R_CHECK_CRAN_INCOMING_REMOTE_=false; the NOTE
# "unable to verify current time" is expected) and with --no-manual when
# pdflatex is missing.  It needs checkbashisms (Debian: devscripts): without
# it R CMD check warns, so the check is reported as SKIP instead.
# Exit status: 0 when nothing failed, 77 (with "R suite: SKIP (reason)")
# when R or tinytest is missing, 1 otherwise.
# SPDX-License-Identifier: GPL-3.0-or-later
cran=yes
tests=yes
case "${1:-}" in
    --no-cran) cran=no; shift ;;
    --cran-only) tests=no; shift ;;
esac
builddir=$(cd "${1:-.}" && pwd)
srcdir=$(sed -n 's/^abs_top_srcdir = //p' "$builddir/Makefile")
srcdir=${srcdir:-$(cd "$(dirname "$0")/.." && pwd)}

if ! command -v Rscript >/dev/null 2>&1; then
    echo "R suite: SKIP (R not found; install r-base-dev r-cran-tinytest r-cran-mvtnorm)"
    exit 77
fi
if ! Rscript -e 'quit(status = !requireNamespace("tinytest", quietly = TRUE))' >/dev/null 2>&1; then
    echo "R suite: SKIP (R package tinytest not found; install r-cran-tinytest)"
    exit 77
fi
if [ ! -f "$builddir/mvnorm-uninstalled.pc" ] || [ ! -d "$builddir/lib/.libs" ]; then
    echo "R suite: the build tree $builddir has no built library (run make first)"
    echo "R suite: 0 passed, 1 failed"
    exit 1
fi

work=$builddir/r-build
rm -rf "$work"
mkdir -p "$work/lib"
cp -R "$srcdir/bindings/R" "$work/gaussprob"
rm -f "$work/gaussprob/src/Makevars" "$work/gaussprob/src/"*.o "$work/gaussprob/src/"*.so
PKG_CONFIG_PATH=$builddir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
LD_LIBRARY_PATH=$builddir/lib/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PKG_CONFIG_PATH LD_LIBRARY_PATH

passed=0
failed=0

# R CMD check --as-cran of the built tarball: one test.  Prints its status.
cran_check() {
    if ! command -v checkbashisms >/dev/null 2>&1; then
        echo "R CMD check --as-cran: SKIP (checkbashisms not found; install devscripts)"
        return 0
    fi
    manual=
    command -v pdflatex >/dev/null 2>&1 || manual=--no-manual
    (cd "$work" && R CMD build gaussprob > build.log 2>&1 &&
        _R_CHECK_CRAN_INCOMING_REMOTE_=false R CMD check --as-cran $manual \
            gaussprob_*.tar.gz > check.log 2>&1)
    status=$(sed -n 's/^Status: //p' "$work/gaussprob.Rcheck/00check.log" 2>/dev/null)
    grep -E '(NOTE|WARNING|ERROR)$' -A4 "$work/check.log" 2>/dev/null
    echo "R CMD check --as-cran $manual: ${status:-did not run (see $work/build.log, $work/check.log)}"
    case "$status" in
        *ERROR*|*WARNING*|"") failed=$((failed + 1)) ;;
        *) passed=$((passed + 1)) ;;
    esac
}

if [ "$tests" = no ]; then
    cran_check
    echo "R suite: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
fi

if ! R CMD INSTALL --no-test-load -l "$work/lib" "$work/gaussprob" > "$work/install.log" 2>&1; then
    cat "$work/install.log"
    echo "R suite: R CMD INSTALL failed"
    echo "R suite: 0 passed, 1 failed"
    exit 1
fi
grep '^gaussprob:' "$work/install.log"

R_LIBS=$work/lib Rscript -e '
  suppressMessages(library(tinytest))
  r <- run_test_dir(system.file("tinytest", package = "gaussprob"), verbose = 1)
  print(r[!as.logical(r)])
  df <- as.data.frame(r)
  cat(sprintf("tinytest: %d passed, %d failed\n", sum(df$result), sum(!df$result)))
' > "$work/test.log" 2>&1
rc=$?
cat "$work/test.log"
skips=$(grep -c 'Exited at' "$work/test.log")
[ "$skips" -gt 0 ] && echo "R suite: $skips test file(s) skipped (see [Exited at ...] above)"
if ! grep -q '^tinytest: [0-9]* passed, [0-9]* failed$' "$work/test.log"; then
    echo "R suite: the test run did not finish (exit $rc)"
    echo "R suite: 0 passed, 1 failed"
    exit 1
fi
line=$(grep '^tinytest: [0-9]* passed, [0-9]* failed$' "$work/test.log" | tail -n 1)
passed=$(echo "$line" | sed -n 's/^tinytest: \([0-9]*\) passed.*/\1/p')
failed=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
[ "$cran" = yes ] && cran_check
echo "R suite: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
