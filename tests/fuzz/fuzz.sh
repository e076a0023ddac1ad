#!/bin/sh
# fuzz.sh -- `make fuzz`: builds the fuzz targets with clang and libFuzzer
# under AddressSanitizer + UBSan in $builddir/fuzz-build, then runs each
# target for FUZZ_SECONDS on the seed corpus (doc/testing.md, "Fuzzing").
# New inputs go to $builddir/fuzz-out/<target>/corpus (never into the
# repository); a crash, leak, UB report or broken contract is written to
# $builddir/fuzz-out/<target>/ and makes the run fail.
#
# The Makefile passes, in the environment:
#   FUZZ_SRCDIR FUZZ_BUILDDIR  the trees
#   FUZZ_CC          clang (default clang; Debian: clang + libclang-rt-14-dev)
#   FUZZ_SECONDS     seconds per target (default 60)
#   FUZZ_TARGETS     targets to run (default "api cli")
#   FUZZ_FLAGS       more libFuzzer flags (-jobs=N, -dict=..., ...)
#   FUZZ_SEED        libFuzzer's -seed (default: a random one)
#   FUZZ_RUNS        per-target run counts, "api=6000 cli=100000": each
#                    target stops after its count (or FUZZ_SECONDS, which
#                    comes first); with FUZZ_SEED, a reproducible run
#   FUZZ_LIB_SOURCES, FUZZ_AVX2_SOURCES, FUZZ_AVX512_SOURCES, FUZZ_CLI_SOURCES
#                    the library's and the program's sources (from Makefile.am)
#   FUZZ_LIBS        BLAS/LAPACKE and jansson link flags; FUZZ_CPPFLAGS
# SPDX-License-Identifier: GPL-3.0-or-later
set -u
src=${FUZZ_SRCDIR:?}
build=${FUZZ_BUILDDIR:?}
cc=${FUZZ_CC:-clang}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-api cli}
obj=$build/fuzz-build
out=$build/fuzz-out

# -fsanitize=fuzzer-no-link instruments the library; the link adds the
# libFuzzer main.  Undefined behaviour aborts (no recovery), so that
# libFuzzer keeps the input.
san="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
cflags="-std=c11 -O1 -g $san -D_GNU_SOURCE -DHAVE_CONFIG_H"

if ! command -v "$cc" >/dev/null 2>&1; then
    echo "make fuzz: $cc not found: install clang and libclang-rt-14-dev (tools/install-deps-debian.sh), or set FUZZ_CC" >&2
    exit 1
fi
mkdir -p "$obj" "$out" || exit 1
printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' > "$obj/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$obj/probe.c" -o "$obj/probe" >"$obj/probe.log" 2>&1; then
    echo "make fuzz: $cc cannot link with -fsanitize=fuzzer,address,undefined (install libclang-rt-14-dev):" >&2
    sed 's/^/  /' "$obj/probe.log" >&2
    exit 1
fi

# The build's config.h without OpenMP (the targets use one thread, and
# clang's libomp is another package) and with assertions on.
{ cat "$build/config.h"; printf '#undef MVN_HAVE_OPENMP\n#undef NDEBUG\n'; } > "$obj/config.h.new"
if cmp -s "$obj/config.h.new" "$obj/config.h"; then rm -f "$obj/config.h.new"; else mv "$obj/config.h.new" "$obj/config.h"; fi
inc="-I$obj -I$src/lib -I$build/lib -I$src/cli -I$src/tests/fuzz"

# Compiles $1 (relative to $src) with extra flags $2 unless its object is
# newer than the source, every header and this script.
newest_header=$(ls -t "$obj/config.h" "$0" $(find "$src/lib" "$src/cli" "$src/tests/fuzz" -name '*.h') 2>/dev/null | head -n 1)
compile() {
    o=$obj/$(echo "$1" | tr '/' '_' | sed 's/\.c$/.o/')
    if [ ! -f "$o" ] || [ "$src/$1" -nt "$o" ] || [ "$newest_header" -nt "$o" ]; then
        echo "  CC (fuzz) $1"
        # shellcheck disable=SC2086
        "$cc" $cflags $inc ${FUZZ_CPPFLAGS:-} $2 -c "$src/$1" -o "$o" || return 1
    fi
    echo "$o" >> "$obj/objects.$3"
}
c_only() { for f in "$@"; do case $f in *.c) echo "$f";; esac; done; }

rm -f "$obj"/objects.*
fail=0
lib_flags="-fsanitize=fuzzer-no-link -DMVN_BUILDING_LIBRARY -DMVN_PLUGIN_DIR=\"/nonexistent\""
for f in $(c_only ${FUZZ_LIB_SOURCES:-}); do compile "$f" "$lib_flags" lib || fail=1; done
for f in $(c_only ${FUZZ_AVX2_SOURCES:-}); do compile "$f" "$lib_flags -mavx2" lib || fail=1; done
for f in $(c_only ${FUZZ_AVX512_SOURCES:-}); do compile "$f" "$lib_flags -mavx512f" lib || fail=1; done
for f in $(c_only ${FUZZ_CLI_SOURCES:-}); do compile "$f" "-fsanitize=fuzzer-no-link" cli || fail=1; done
compile tests/fuzz/fuzz_api.c "-fsanitize=fuzzer-no-link" api || fail=1
compile tests/fuzz/fuzz_cli.c "-fsanitize=fuzzer-no-link" cli_target || fail=1
[ "$fail" -eq 0 ] || { echo "make fuzz: compilation failed" >&2; exit 1; }
# shellcheck disable=SC2046,SC2086
"$cc" -fsanitize=fuzzer $san -o "$obj/fuzz_api" $(cat "$obj/objects.api" "$obj/objects.lib") ${FUZZ_LIBS:-} -lm &&
"$cc" -fsanitize=fuzzer $san -o "$obj/fuzz_cli" $(cat "$obj/objects.cli_target" "$obj/objects.cli" "$obj/objects.lib") ${FUZZ_LIBS:-} -lm ||
    { echo "make fuzz: link failed" >&2; exit 1; }
echo "make fuzz: built $obj/fuzz_api and $obj/fuzz_cli"
[ "$seconds" -gt 0 ] 2>/dev/null || exit 0

# Known findings not fixed yet pass (tests/fuzz/pending/known), unless
# the caller set MVN_FUZZ_KNOWN itself (to "" for the whole contract).
if [ -z "${MVN_FUZZ_KNOWN+set}" ] && [ -f "$src/tests/fuzz/pending/known" ]; then
    MVN_FUZZ_KNOWN=$(grep -v '^#' "$src/tests/fuzz/pending/known" | tr '\n' ' ')
fi
export MVN_FUZZ_KNOWN
echo "make fuzz: known findings let pass: ${MVN_FUZZ_KNOWN:-none}"

# Each target for $seconds: a scratch corpus first (libFuzzer writes new
# inputs only there), then the seed corpus of the repository, read only.
status=0
for t in $targets; do
    mkdir -p "$out/$t/corpus"
    dict=
    [ -f "$src/tests/fuzz/$t.dict" ] && dict="-dict=$src/tests/fuzz/$t.dict"
    runs=
    for r in ${FUZZ_RUNS:-}; do
        case $r in "$t="*) runs="-runs=${r#*=}";; esac
    done
    seed=
    [ -n "${FUZZ_SEED:-}" ] && seed="-seed=$FUZZ_SEED"
    echo "make fuzz: $t for $seconds s${runs:+ or ${runs#-runs=} runs}${seed:+, seed ${FUZZ_SEED}} (new inputs in $out/$t/corpus)"
    # shellcheck disable=SC2086
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1} \
    nice -n 19 "$obj/fuzz_$t" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
        -max_len=4096 -print_final_stats=1 -artifact_prefix="$out/$t/" $dict $seed $runs ${FUZZ_FLAGS:-} \
        "$out/$t/corpus" "$src/tests/fuzz/corpus/$t" > "$out/$t/log" 2>&1
    rc=$?
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs)' "$out/$t/log" | sed "s/^/  $t: /"
    if [ "$rc" -ne 0 ]; then
        status=1
        echo "make fuzz: $t FAILED (exit $rc); the end of $out/$t/log:" >&2
        tail -n 40 "$out/$t/log" >&2
        for a in "$out/$t"/crash-* "$out/$t"/leak-* "$out/$t"/timeout-* "$out/$t"/oom-*; do
            [ -f "$a" ] && echo "  reproducer: $a (replay: $obj/fuzz_$t $a)" >&2
        done
    else
        echo "make fuzz: $t passed"
    fi
done
exit $status
