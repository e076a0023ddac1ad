#!/bin/sh
# run-all.sh -- every test suite of libmvnorm, from a configured build tree:
# the C TAP tests (make check), the Python binding's pytest suite, the R
# package's tinytest suite (tests/run-r.sh), and the binding checks that
# need no runtime.  Prints per-suite counts and, last,
# the line "N passed, N failed" summed over all suites.  Exit status 0 only
# when nothing failed.
#   usage: tests/run-all.sh [BUILDDIR]      (default: the current directory)
# SPDX-License-Identifier: GPL-3.0-or-later
builddir=$(cd "${1:-.}" && pwd)
srcdir=$(sed -n 's/^abs_top_srcdir = //p' "$builddir/Makefile")
python=$(sed -n 's/^MVN_PYTHON = //p' "$builddir/Makefile")
passed=0
failed=0
skipped=0
log=${TMPDIR:-/tmp}/mvn-run-all.$$

# C TAP suites through Automake's harness; counts come from its summary.
make -C "$builddir" -j2 check > "$log" 2>&1
rc=$?
cat "$log"
count() { sed -n "s/^# $1: *\\([0-9]*\\)\$/\\1/p" "$log" | tail -n 1; }
pass=$(count PASS); fail=$(count FAIL); err=$(count ERROR); xpass=$(count XPASS); skip=$(count SKIP)
pass=${pass:-0}; fail=$(( ${fail:-0} + ${err:-0} + ${xpass:-0} )); skip=${skip:-0}
if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; echo "make check failed to run (exit $rc)"; fi
echo "C TAP suites: $pass passed, $fail failed, $skip skipped"
passed=$((passed + pass)); failed=$((failed + fail)); skipped=$((skipped + skip))

# Python binding (pytest), against the library in the build tree.
if [ -d "$srcdir/bindings/python/tests" ]; then
    if [ -n "$python" ] && "$python" -c 'import torch, pytest' >/dev/null 2>&1; then
        lib=$(ls "$builddir"/lib/.libs/libmvnorm.so.[0-9]* 2>/dev/null | head -n 1)
        MVNORM_LIBRARY=$lib PYTHONPATH="$srcdir/bindings/python" PYTHONDONTWRITEBYTECODE=1 \
            "$python" -m pytest -q -p no:cacheprovider "$srcdir/bindings/python/tests" > "$log" 2>&1
        rc=$?
        cat "$log"
        line=$(grep -E '^[=]* ?[0-9]+ (passed|failed)|[0-9]+ passed|[0-9]+ failed' "$log" | tail -n 1)
        pass=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) passed.*/\1/p')
        fail=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) failed.*/\1/p')
        errs=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) error.*/\1/p')
        skip=$(echo "$line" | sed -n 's/.*\b\([0-9][0-9]*\) skipped.*/\1/p')
        pass=${pass:-0}; fail=$(( ${fail:-0} + ${errs:-0} )); skip=${skip:-0}
        if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; echo "pytest failed to run (exit $rc)"; fi
        echo "Python suite: $pass passed, $fail failed, $skip skipped"
        passed=$((passed + pass)); failed=$((failed + fail)); skipped=$((skipped + skip))
    else
        echo "Python suite: SKIP (no interpreter with torch and pytest; install python3-torch python3-pytest)"
    fi
fi
# R package (bindings/R) through tests/run-r.sh: installed from a copy in
# the build tree against lib/.libs; counts from its "R suite:" line.
if [ -d "$srcdir/bindings/R" ]; then
    sh "$srcdir/tests/run-r.sh" "$builddir" > "$log" 2>&1
    rc=$?
    cat "$log"
    if [ "$rc" -eq 77 ]; then
        echo "R suite: SKIP (see the reason above)"
        skipped=$((skipped + 1))
    else
        line=$(grep '^R suite: [0-9]* passed, [0-9]* failed$' "$log" | tail -n 1)
        pass=$(echo "$line" | sed -n 's/^R suite: \([0-9]*\) passed.*/\1/p')
        fail=$(echo "$line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
        pass=${pass:-0}; fail=${fail:-0}
        if [ "$rc" -ne 0 ] && [ "$fail" -eq 0 ]; then fail=1; echo "R suite failed to run (exit $rc)"; fi
        passed=$((passed + pass)); failed=$((failed + fail))
    fi
fi
rm -f "$log"
echo "all suites: $skipped skipped"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
