#!/bin/sh
# test_abi.sh -- the exported symbols of libmvnorm, each with its version
# node, are exactly the list in tests/abi_symbols.txt ("name NODE"), all of
# them are declared in mvnorm.h, and the version nodes chain (MVNORM_0.2
# inherits MVNORM_0.1), so that an accidental ABI change fails the build.
# When the ABI changes on purpose: update lib/mvnorm.map,
# tests/abi_symbols.txt and the libtool -version-info together.
# SPDX-License-Identifier: GPL-3.0-or-later
srcdir=${MVN_TOP_SRCDIR:-$(dirname "$0")/..}
builddir=${MVN_TOP_BUILDDIR:-.}
lib=$(ls "$builddir"/lib/.libs/libmvnorm.so.* 2>/dev/null | head -n 1)
if [ -z "$lib" ] || ! command -v nm >/dev/null 2>&1; then
    echo "1..0 # SKIP shared library or nm not available"
    exit 0
fi
echo "1..4"
tmp=${TMPDIR:-/tmp}/mvn-abi.$$
nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sed 's/@@*/ /' | LC_ALL=C sort -u > "$tmp.got"
if diff -u "$srcdir/tests/abi_symbols.txt" "$tmp.got" > "$tmp.diff"; then
    echo "ok 1 - exported symbols and their version nodes match tests/abi_symbols.txt"
else
    echo "not ok 1 - exported symbols differ from tests/abi_symbols.txt"
    sed 's/^/# /' "$tmp.diff"
fi
missing=0
for s in $(cut -d' ' -f1 "$srcdir/tests/abi_symbols.txt"); do
    grep -q "MVN_API.*[ *]$s(" "$srcdir/lib/mvnorm.h" || { echo "# $s not declared in mvnorm.h"; missing=1; }
done
if [ $missing = 0 ]; then echo "ok 2 - every exported symbol is declared in mvnorm.h"; else echo "not ok 2 - undeclared exports"; fi
if nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | grep -qv '@@MVNORM_'; then
    echo "not ok 3 - some symbols are not versioned"
else
    echo "ok 3 - every symbol carries an MVNORM_ version node"
fi
# The version definitions: MVNORM_0.2 names MVNORM_0.1 as its parent.
if command -v readelf >/dev/null 2>&1; then
    if readelf -V "$lib" | grep -A1 'Name: MVNORM_0.2' | grep -q 'Parent 1: MVNORM_0.1'; then
        echo "ok 4 - MVNORM_0.2 inherits MVNORM_0.1"
    else
        echo "not ok 4 - MVNORM_0.2 does not inherit MVNORM_0.1"
        readelf -V "$lib" | sed 's/^/# /' | head -n 30
    fi
else
    echo "ok 4 # SKIP readelf not available"
fi
rm -f "$tmp.got" "$tmp.diff"
