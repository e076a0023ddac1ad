#!/bin/sh
# test_julia_parse.sh -- every .jl file of the Julia binding (and the
# checker's fixtures) parses with a real Julia grammar (Pluto's
# @plutojl/lezer-julia, run by node); a fixture with a syntax error must be
# rejected, so the check cannot pass vacuously.  Needs node and
# `npm ci --prefix tools/julia-check` (.ci/run does both); without them it
# prints a TAP SKIP with the reason, never a pass.
# SPDX-License-Identifier: GPL-3.0-or-later
srcdir=${MVN_TOP_SRCDIR:-$(dirname "$0")/..}
tool=$srcdir/tools/julia-check
if ! command -v node >/dev/null 2>&1; then
    echo "1..0 # SKIP node not found (apt-get install nodejs npm, or tools/install-deps-debian.sh)"
    exit 0
fi
if [ ! -f "$tool/node_modules/@plutojl/lezer-julia/package.json" ]; then
    echo "1..0 # SKIP $tool/node_modules missing: run npm ci --prefix tools/julia-check"
    exit 0
fi
files=$(find "$srcdir/bindings/julia" "$srcdir/tests/julia_fixtures" -name '*.jl' ! -name 'syntax_error.jl' | LC_ALL=C sort)
if [ -z "$files" ]; then
    echo "1..1"
    echo "not ok 1 - no .jl files found under $srcdir/bindings/julia"
    exit 0
fi
# parse.mjs prints the TAP plan and one line per file; its exit status is
# not needed (tap-driver.sh reads the lines).  When node cannot even load the
# grammar (a broken install) there is no plan: report that as a failure.
out=${TMPDIR:-/tmp}/mvn-julia-parse.$$
# shellcheck disable=SC2086
node "$tool/parse.mjs" $files --expect-error "$srcdir/tests/julia_fixtures/syntax_error.jl" > "$out" 2>&1
if grep -q '^1\.\.[0-9]' "$out"; then
    cat "$out"
else
    echo "1..1"
    echo "not ok 1 - node could not run tools/julia-check/parse.mjs (reinstall: npm ci --prefix tools/julia-check)"
    sed 's/^/# /' "$out"
fi
rm -f "$out"
exit 0
