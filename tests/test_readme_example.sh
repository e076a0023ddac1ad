#!/bin/sh
# test_readme_example.sh -- the C example in README.md compiles (as C and
# as C++) against the build tree and prints the right probability, so the
# README stays true.
# SPDX-License-Identifier: GPL-3.0-or-later
srcdir=${MVN_TOP_SRCDIR:-$(dirname "$0")/..}
builddir=${MVN_TOP_BUILDDIR:-.}
cc=${CC:-cc}
if [ ! -f "$builddir/lib/.libs/libmvnorm.so" ] || ! command -v "$cc" >/dev/null 2>&1; then
    echo "1..0 # SKIP shared library or C compiler not available"
    exit 0
fi
tmp=${TMPDIR:-/tmp}/mvn-readme.$$
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
sed -n '/^```c$/,/^```$/p' "$srcdir/README.md" | sed '1d;$d' > "$tmp/example.c"
echo "1..4"
if [ -s "$tmp/example.c" ]; then echo "ok 1 - README has a C example"; else echo "not ok 1 - README has no C example"; fi
flags="-I$srcdir/lib -I$builddir/lib -L$builddir/lib/.libs -lmvnorm -lm"
# shellcheck disable=SC2086
if $cc -Wall -Werror "$tmp/example.c" -o "$tmp/example" $flags 2> "$tmp/cc.log"; then
    echo "ok 2 - the example compiles as C with -Wall -Werror"
else
    echo "not ok 2 - the example does not compile"; sed 's/^/# /' "$tmp/cc.log"
fi
# shellcheck disable=SC2086
if command -v c++ >/dev/null 2>&1 && c++ -x c++ -Wall -Werror "$tmp/example.c" -o "$tmp/example_cxx" $flags 2> "$tmp/cxx.log"; then
    echo "ok 3 - the example compiles as C++"
else
    echo "not ok 3 - the example does not compile as C++"; sed 's/^/# /' "$tmp/cxx.log" 2>/dev/null
fi
out=$(LD_LIBRARY_PATH="$builddir/lib/.libs" "$tmp/example" 2>&1)
rc=$?
echo "# $out"
# P = 0.6056404... +- abserr; exact 0.605640447919324 (REFERENCE_VALUES.md sec. 5).
if [ $rc -eq 0 ] && echo "$out" | awk '{ p = $3; e = $5; d = p - 0.605640447919324; if (d < 0) d = -d; exit !(d <= e && e <= 1e-5) }'; then
    echo "ok 4 - the example prints the exact value within its error estimate"
else
    echo "not ok 4 - the example's output is wrong (exit $rc)"
fi
