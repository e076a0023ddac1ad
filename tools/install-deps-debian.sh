#!/bin/sh
# install-deps-debian.sh -- the Debian 12 packages needed to build libmvnorm
# and run every test suite.  Run as root (or through sudo).  devscripts
# provides checkbashisms, which R CMD check --as-cran needs (tests/run-r.sh).
# nodejs and npm run the Julia binding's parse check (npm ci --prefix
# tools/julia-check, done by .ci/run; Debian 12 packages no Julia runtime).
# clang and libclang-rt-14-dev (libFuzzer and the sanitizer runtimes)
# build the fuzz targets of `make fuzz` (doc/testing.md, "Fuzzing").
#   --bench   also what `make bench` compares against (R mvtnorm, matplotlib)
# SPDX-License-Identifier: GPL-3.0-or-later
set -e
packages="build-essential autoconf automake libtool pkg-config
  libopenblas-dev liblapacke-dev libjansson-dev locales
  python3 python3-torch python3-scipy python3-numpy python3-pytest
  python3-dask python3-distributed
  r-base-dev r-cran-tinytest r-cran-mvtnorm devscripts
  clang libclang-rt-14-dev"
# node and npm: Debian's packages only where no node/npm is on PATH already
# (a NodeSource nodejs bundles npm and conflicts with Debian's npm).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    packages="$packages nodejs npm"
fi
if [ "${1:-}" = "--bench" ]; then
    packages="$packages python3-matplotlib"
fi
missing=
for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# A decimal-comma locale, so that tests can show that the library's
# messages do not follow LC_NUMERIC.
comma_locale() {
    locale -a 2>/dev/null | grep -qi '^de_DE.utf8$' && return 0
    [ -f /etc/locale.gen ] || return 0
    sed -i 's/^# *\(de_DE.UTF-8 UTF-8\)/\1/' /etc/locale.gen
    grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >/dev/null || echo "install-deps-debian: locale-gen failed (the locale test will SKIP)"
}
if [ -z "$missing" ]; then
    echo "install-deps-debian: all packages present"
    comma_locale
    exit 0
fi
echo "install-deps-debian: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
comma_locale
