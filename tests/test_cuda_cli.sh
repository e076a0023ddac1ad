#!/bin/sh
# test_cuda_cli.sh -- `mvnorm --backend cuda` with the built CUDA module
# (cuda/.libs) and no device: an "ebackend" error record whose message
# carries the module's reason ("no CUDA device: ..."), exit status 1;
# MVN_BACKEND=cuda without --backend: the CPU answers ("backend":"cpu").
# With a device present the no-device checks are skipped.
# SPDX-License-Identifier: GPL-3.0-or-later

srcdir_default=$(cd "$(dirname "$0")/.." && pwd)
MVN_TOP_SRCDIR=${MVN_TOP_SRCDIR:-$srcdir_default}
MVN_TOP_BUILDDIR=${MVN_TOP_BUILDDIR:-$MVN_TOP_SRCDIR}
MVNORM=$MVN_TOP_BUILDDIR/cli/mvnorm
MODDIR=$MVN_TOP_BUILDDIR/cuda/.libs

if [ ! -x "$MVNORM" ]; then
    echo "1..0 # SKIP mvnorm not built"
    exit 0
fi
if [ ! -f "$MODDIR/mvnorm_cuda.so" ]; then
    echo "1..0 # SKIP the CUDA module was not built"
    exit 0
fi

P='{"upper":[0.5,1.0,0.2,0.3],"cov":[[1,0.5,0.5,0.5],[0.5,1,0.5,0.5],[0.5,0.5,1,0.5],[0.5,0.5,0.5,1]]}'
out=$(echo "$P" | MVN_PLUGIN_PATH=$MODDIR "$MVNORM" --backend cuda 2>/dev/null)
rc=$?
case $out in
*'"backend":"cuda"'*)
    echo "1..0 # SKIP a CUDA device is present (tests/test_cuda_gpu.c runs the GPU checks)"
    exit 0 ;;
esac

echo "1..4"
failed=0
check() { # STATUS DESCRIPTION
    if [ "$1" -eq 0 ]; then echo "ok $2"; else echo "not ok $2"; failed=$((failed + 1)); fi
}
case $out in *'"status":"ebackend"'*) s=0 ;; *) s=1 ;; esac
check $s "1 - --backend cuda without a device: an ebackend record"
case $out in *'no CUDA device: '*'(error '*) s=0 ;; *) s=1 ;; esac
check $s "2 - its message carries the module's reason"
[ "$rc" -eq 1 ]
check $? "3 - exit status 1 (got $rc)"
out2=$(echo "$P" | MVN_PLUGIN_PATH=$MODDIR MVN_BACKEND=cuda "$MVNORM" 2>/dev/null)
case $out2 in *'"status":"ok"'*'"backend":"cpu"'*) s=0 ;; *) s=1 ;; esac
check $s "4 - MVN_BACKEND=cuda without a device: the CPU answers"
[ $failed -eq 0 ] || { echo "# record: $out"; echo "# record: $out2"; }
exit 0
