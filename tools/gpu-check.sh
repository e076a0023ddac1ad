#!/bin/sh
# tools/gpu-check.sh -- on a machine with an NVIDIA GPU: configure and
# build only what the CUDA checks need, run the CUDA tests and the CUDA
# benchmark, and print a summary; meant to finish in under 5 minutes in
# one call (each step has its own timeout).
#
#   tools/gpu-check.sh              build in ./_gpucheck (reused if present)
#   BUILD=/tmp/b JOBS=16 CUDA_ARCH="-gencode arch=compute_90,code=sm_90" \
#   BENCH_SCALE=1 tools/gpu-check.sh
#
# CUDA_ARCH defaults to the native architecture of device 0 (from
# nvidia-smi), else sm_90 (H200).  Exit status: 0 when no test failed and
# test_cuda_gpu ran (its SKIP counts as a failure here: on a GPU machine it
# must run), 1 otherwise.  The no-device checks of test_cuda_plugin and
# test_cuda_cli.sh skip on a GPU machine by design.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
# A source tree configured in place cannot host a VPATH build: reuse it.
if [ -z "${BUILD:-}" ] && [ -f "$SRC/config.status" ]; then
    BUILD=$SRC
fi
BUILD=${BUILD:-$SRC/_gpucheck}
JOBS=${JOBS:-16}
BENCH_SCALE=${BENCH_SCALE:-1}
T0=$(date +%s)

elapsed() { echo $(( $(date +%s) - T0 )); }
step() { echo "== [$(elapsed)s] $*"; }

OUT=$BUILD/gpu-check-out
mkdir -p "$BUILD" "$OUT"
LOG=$OUT/build.log
: > "$LOG"

step "device"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv,noheader || true
else
    echo "nvidia-smi not found"
fi
if [ -z "${CUDA_ARCH:-}" ]; then
    cc=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' .' || true)
    case $cc in
    [0-9][0-9]|[0-9][0-9][0-9]) CUDA_ARCH="-gencode arch=compute_$cc,code=sm_$cc" ;;
    *) CUDA_ARCH="-gencode arch=compute_90,code=sm_90" ;;
    esac
fi
echo "arch: $CUDA_ARCH"
command -v nvcc >/dev/null 2>&1 || PATH=$PATH:/usr/local/cuda/bin
command -v nvcc >/dev/null 2>&1 || { echo "FAIL: nvcc not found (PATH, /usr/local/cuda/bin)"; exit 1; }

step "configure"
if [ ! -x "$SRC/configure" ]; then
    (cd "$SRC" && timeout 120 autoreconf -fi) >>"$LOG" 2>&1 || { echo "FAIL: autoreconf (see $LOG)"; tail -20 "$LOG"; exit 1; }
fi
cd "$BUILD"
if [ ! -f Makefile ] || [ "${RECONFIGURE:-no}" = yes ]; then
    timeout 180 "$SRC/configure" --with-cuda --with-cuda-arch="$CUDA_ARCH" --disable-static \
        >>"$LOG" 2>&1 || { echo "FAIL: configure (see $LOG)"; tail -30 "$LOG"; exit 1; }
fi
grep -q '^#define MVN_HAVE_CUDA_PLUGIN 1' config.h ||
    { echo "FAIL: $BUILD is configured without CUDA (RECONFIGURE=yes, or BUILD=another dir)"; exit 1; }

step "build (only what the CUDA checks need, -j$JOBS)"
timeout 300 make -j"$JOBS" lib/libmvnorm.la cuda/mvnorm_cuda.la cli/mvnorm \
    tests/test_cuda_plugin tests/test_cuda_gpu tests/test_cuda_emul bench/cuda_bench \
    >>"$LOG" 2>&1 || { echo "FAIL: build (see $LOG)"; tail -30 "$LOG"; exit 1; }
readelf -d cuda/.libs/mvnorm_cuda.so | grep NEEDED || true

export MVN_TOP_SRCDIR="$SRC" MVN_TOP_BUILDDIR="$BUILD" MVN_PLUGIN_PATH="$BUILD/cuda/.libs"
unset MVN_BACKEND || true
pass=0 fail=0 skip=0
run_tap() { # NAME TIMEOUT COMMAND...
    name=$1 limit=$2
    shift 2
    step "$name"
    out=$OUT/$name.tap
    set +e
    timeout "$limit" "$@" > "$out" 2>&1
    rc=$?
    set -e
    cat "$out"
    p=$(grep -c '^ok ' "$out" || true)
    s=$(grep -c -i '# SKIP' "$out" || true)
    f=$(grep -c '^not ok ' "$out" || true)
    p=$((p - $(grep '^ok ' "$out" | grep -c -i '# SKIP' || true)))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "not ok - $name exited with $rc (124: timeout)"; fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    echo "-- $name: $p passed, $f failed, $s skipped"
}
run_tap test_cuda_plugin 120 ./tests/test_cuda_plugin
run_tap test_cuda_gpu 240 ./tests/test_cuda_gpu
run_tap test_cuda_cli 60 "$SRC/tests/test_cuda_cli.sh"

step "benchmark (bench/cuda_bench $BENCH_SCALE)"
set +e
timeout 150 ./bench/cuda_bench "$BENCH_SCALE" | tee "$OUT/cuda_bench.txt"
brc=$?
set -e
[ "$brc" -eq 0 ] || echo "benchmark exited with $brc (124: timeout)"

step "summary"
echo "tests: $pass passed, $fail failed, $skip skipped; benchmark exit $brc; $(elapsed) s in all"
echo "outputs: $OUT (*.tap, cuda_bench.txt, build.log)"
if grep -q '^1\.\.0' "$OUT/test_cuda_gpu.tap"; then
    echo "FAIL: test_cuda_gpu skipped: the GPU path was not exercised"
    exit 1
fi
[ "$fail" -eq 0 ]
