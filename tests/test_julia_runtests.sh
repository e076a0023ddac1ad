#!/bin/sh
# test_julia_runtests.sh -- the Julia binding's own test suite
# (bindings/julia/test/runtests.jl, Julia's Test stdlib), against the
# library of this build tree.  It runs only where `julia` is on PATH and its
# package registry is reachable (for the test dependencies); elsewhere it is
# a visible TAP SKIP, never a pass.  Debian 12 packages no Julia.
# SPDX-License-Identifier: GPL-3.0-or-later
srcdir=${MVN_TOP_SRCDIR:-$(dirname "$0")/..}
builddir=${MVN_TOP_BUILDDIR:-.}
if ! command -v julia >/dev/null 2>&1; then
    echo "1..0 # SKIP no julia runtime on this machine"
    exit 0
fi
lib=$(ls "$builddir"/lib/.libs/libmvnorm.so.[0-9]* 2>/dev/null | head -n 1)
if [ -z "$lib" ]; then
    echo "1..0 # SKIP shared library not built"
    exit 0
fi
echo "1..1"
# Pkg writes a Manifest into the project: test a copy, never the source tree.
tmp=${TMPDIR:-/tmp}/mvn-julia-test.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
cp -R "$srcdir/bindings/julia" "$tmp/LibMvNorm"
chmod -R u+w "$tmp/LibMvNorm"
if MVNORM_LIBRARY=$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib") \
   julia --startup-file=no --project="$tmp/LibMvNorm" -e 'using Pkg; Pkg.test()' > "$tmp/log" 2>&1; then
    echo "ok 1 - bindings/julia/test/runtests.jl ($(julia --version))"
else
    echo "not ok 1 - bindings/julia/test/runtests.jl ($(julia --version))"
fi
sed 's/^/# /' "$tmp/log"
