#!/bin/sh
# test_abi.sh -- the exported symbols of libmvnorm are exactly the list in
# tests/abi_symbols.txt (and all of them are declared in mvnorm.h), so that
# an accidental ABI change fails the build.  When the ABI changes on
# purpose: update abi_symbols.txt and the libtool -version-info.
# SPDX-License-Identifier: GPL-3.0-or-later
srcdir=${MVN_TOP_SRCDIR:-$(dirname "$0")/..}
builddir=${MVN_TOP_BUILDDIR:-.}
lib=$(ls "$builddir"/lib/.libs/libmvnorm.so.* 2>/dev/null | head -n 1)
if [ -z "$lib" ] || ! command -v nm >/dev/null 2>&1; then
    echo "1..0 # SKIP shared library or nm not available"
    exit 0
fi
echo "1..3"
tmp=${TMPDIR:-/tmp}/mvn-abi.$$
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed "s/@.*//" | LC_ALL=C sort -u > "$tmp.got"
if diff -u "$srcdir/tests/abi_symbols.txt" "$tmp.got" > "$tmp.diff"; then
    echo "ok 1 - exported symbols match tests/abi_symbols.txt"
else
    echo "not ok 1 - exported symbols differ from tests/abi_symbols.txt"
    sed 's/^/# /' "$tmp.diff"
fi
missing=0
for s in $(cat "$srcdir/tests/abi_symbols.txt"); do
    grep -q "MVN_API.*[ *]$s(" "$srcdir/lib/mvnorm.h" || { echo "# $s not declared in mvnorm.h"; missing=1; }
done
if [ $missing = 0 ]; then echo "ok 2 - every exported symbol is declared in mvnorm.h"; else echo "not ok 2 - undeclared exports"; fi
if nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | grep -q '@@MVNORM_'; then
    echo "ok 3 - symbols carry the MVNORM_ version node"
else
    echo "not ok 3 - symbols are not versioned"
fi
rm -f "$tmp.got" "$tmp.diff"
