#!/bin/sh
# test_julia_ccall.sh -- every ccall of the Julia binding names a symbol the
# built library exports, with the number of arguments and the types that
# lib/mvnorm.h declares (tools/julia-check/check_ccalls.py).  The checker is
# tested on itself: fixtures with a wrong type, a wrong arity, an unknown
# symbol and a wrong return type must be reported; a header with one C
# signature changed, or an export list without one called symbol, must
# break the package check.  Julia structs marked "# C: name" must match the
# C struct field by field (a fixture with a wrong field type is reported),
# and every @cfunction marked "# C: typedef" must match that function-pointer
# type (a fixture with a wrong argument type is reported).
# SPDX-License-Identifier: GPL-3.0-or-later
srcdir=${MVN_TOP_SRCDIR:-$(dirname "$0")/..}
builddir=${MVN_TOP_BUILDDIR:-.}
python=${MVN_PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || python=python3
lib=$(ls "$builddir"/lib/.libs/libmvnorm.so.[0-9]* 2>/dev/null | head -n 1)
if [ -z "$lib" ] || ! command -v nm >/dev/null 2>&1 || ! command -v "$python" >/dev/null 2>&1; then
    echo "1..0 # SKIP shared library, nm or python3 not available"
    exit 0
fi
checker="$srcdir/tools/julia-check/check_ccalls.py"
header="$srcdir/lib/mvnorm.h"
fix="$srcdir/tests/julia_fixtures"
tmp=${TMPDIR:-/tmp}/mvn-julia-ccall.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
notok() { n=$((n + 1)); echo "not ok $n - $*"; }
show() { sed 's/^/# /' "$1"; }
run() { "$python" "$checker" --header "$header" "$@" > "$tmp/out" 2>&1; }

echo "1..11"
# 1. The package itself (at least 8 calls: a vacuous scan must fail).
if run --library "$lib" --min-calls 8 "$srcdir/bindings/julia"; then
    ok "every ccall in bindings/julia matches mvnorm.h and the exports of $(basename "$lib")"
else
    notok "ccalls in bindings/julia do not match mvnorm.h / the library"
fi
show "$tmp/out"

# 2. A correct fixture passes.
if run --library "$lib" "$fix/ccall_good.jl"; then ok "fixture ccall_good.jl passes"
else notok "fixture ccall_good.jl passes"; show "$tmp/out"; fi

# 3-7. Wrong fixtures are reported, each for its own reason.
expect_fail() {
    fixture=$1 pattern=$2
    if run --library "$lib" "$fix/$fixture"; then
        notok "$fixture is reported (the checker passed it)"
        show "$tmp/out"
    elif grep -q "$pattern" "$tmp/out"; then
        ok "$fixture is reported: $(grep -m 1 '^ERROR' "$tmp/out" | sed 's/^ERROR [^ ]* //')"
    else
        notok "$fixture is reported with '$pattern'"
        show "$tmp/out"
    fi
}
expect_fail ccall_wrong_type.jl "argument 3 is Cint, the header declares double"
expect_fail ccall_wrong_type_tuple.jl "argument 4 is Ptr{Cint}, the header declares const ptrdiff_t"
expect_fail ccall_wrong_arity.jl "8 argument(s) and 8 type(s) given, the header declares 9"
expect_fail ccall_unknown_symbol.jl "mvn_prob_fast is not exported"
expect_fail ccall_wrong_return.jl "returns Cint, the header declares double"

# 8. One C signature changed in a copy of the header breaks the package check.
sed 's/int mvn_context_set(mvn_context \*ctx, int option, double value)/int mvn_context_set(mvn_context *ctx, int option, float value)/' \
    "$header" > "$tmp/mvnorm.h"
if cmp -s "$header" "$tmp/mvnorm.h"; then
    notok "a changed C signature breaks the check (the sed found no mvn_context_set prototype to change)"
elif "$python" "$checker" --header "$tmp/mvnorm.h" --library "$lib" "$srcdir/bindings/julia" > "$tmp/out" 2>&1; then
    notok "a changed C signature (mvn_context_set value: float) breaks the check"
    show "$tmp/out"
else
    ok "a changed C signature breaks the check: $(grep -m 1 '^ERROR' "$tmp/out" | sed 's/^ERROR [^ ]* //')"
fi

# 9. A symbol the package calls (the last one test 1 listed), missing from
#    the exports, breaks it.
sym=$("$python" "$checker" --header "$header" --library "$lib" "$srcdir/bindings/julia" 2>/dev/null \
      | sed -n 's/^ok .*: \(mvn_[a-z0-9_]*\) (.*/\1/p' | tail -n 1)
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed 's/@.*//' \
    | grep -v "^${sym:-none}\$" > "$tmp/exports"
if [ -z "$sym" ]; then
    notok "a symbol missing from the library breaks the check (no called symbol found)"
elif run --exports-file "$tmp/exports" "$srcdir/bindings/julia"; then
    notok "a symbol missing from the library ($sym) breaks the check"
else
    ok "a symbol missing from the library breaks the check: $(grep -m 1 '^ERROR' "$tmp/out" | sed 's/^ERROR [^ ]* //')"
fi

# 10. A Julia struct that mirrors a C struct with a wrong field type.
if run --library "$lib" --min-calls 0 "$fix/struct_wrong.jl"; then
    notok "struct_wrong.jl is reported (the checker passed it)"
    show "$tmp/out"
elif grep -q "field problems_done::Cint does not match mvn_progress.problems_done" "$tmp/out"; then
    ok "struct_wrong.jl is reported: $(grep -m 1 '^ERROR' "$tmp/out" | sed 's/^ERROR [^ ]* //')"
else
    notok "struct_wrong.jl is reported for its field problems_done"
    show "$tmp/out"
fi

# 11. A callback (@cfunction) whose types do not match its C typedef.
if run --library "$lib" --min-calls 0 "$fix/cfunction_wrong.jl"; then
    notok "cfunction_wrong.jl is reported (the checker passed it)"
    show "$tmp/out"
elif grep -q "argument 2 is Ptr{Cdouble}, the typedef declares const mvn_progress" "$tmp/out"; then
    ok "cfunction_wrong.jl is reported: $(grep -m 1 '^ERROR' "$tmp/out" | sed 's/^ERROR [^ ]* //')"
else
    notok "cfunction_wrong.jl is reported for its argument 2"
    show "$tmp/out"
fi
