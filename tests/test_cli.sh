#!/bin/sh
# test_cli.sh -- TAP tests of the mvnorm command-line program.
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Runs $MVN_TOP_BUILDDIR/cli/mvnorm on small JSON Lines inputs and checks
# the records with Python's json module.  Numeric references are closed
# forms (orthant probabilities, products of univariate terms, Plackett's
# derivative identity) or values computed independently (the Genz 4-D
# example, an mpmath rectangle), never outputs of mvnorm itself.

srcdir_default=$(cd "$(dirname "$0")/.." && pwd)
MVN_TOP_SRCDIR=${MVN_TOP_SRCDIR:-$srcdir_default}
MVN_TOP_BUILDDIR=${MVN_TOP_BUILDDIR:-$MVN_TOP_SRCDIR/_build}
MVNORM=$MVN_TOP_BUILDDIR/cli/mvnorm
EXAMPLES=$MVN_TOP_SRCDIR/examples/problems.jsonl

if [ ! -x "$MVNORM" ]; then
    echo "1..0 # SKIP mvnorm not built"
    exit 0
fi
PY=${MVN_PYTHON:-/usr/bin/python3}
if ! command -v "$PY" >/dev/null 2>&1; then
    echo "1..0 # SKIP no python to read the JSON output"
    exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/test_cli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT INT TERM

n=0
failed=0

# report STATUS DESCRIPTION: one TAP line; STATUS 0 is a pass.
report() {
    n=$((n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $n - $2"
    else
        echo "not ok $n - $2"
        failed=$((failed + 1))
        if [ -s "$T/out" ]; then
            sed 's/^/#   out: /' "$T/out" | head -20
        fi
        if [ -s "$T/err" ]; then
            sed 's/^/#   err: /' "$T/err" | head -5
        fi
    fi
}

# run ARGS...: runs mvnorm with standard input from $T/in (fill it first),
# output in $T/out and $T/err, exit status in $rc.
run() {
    "$MVNORM" "$@" <"$T/in" >"$T/out" 2>"$T/err"
    rc=$?
}

# check DESCRIPTION EXPRESSION: a Python expression over r, the list of
# output records; math and the helpers near(a, b, tol) are available.
check() {
    "$PY" - "$T/out" "$2" <<'EOF'
import json, math, sys
def near(a, b, tol):
    return a is not None and b is not None and abs(a - b) <= tol
try:
    with open(sys.argv[1]) as f:
        r = [json.loads(line) for line in f]
    ok = bool(eval(sys.argv[2]))
except Exception as e:
    print("# exception: %r" % (e,))
    ok = False
if not ok:
    print("# failed: " + sys.argv[2])
sys.exit(0 if ok else 1)
EOF
    report $? "$1"
}

# check_rc DESCRIPTION WANT: the last run's exit status is WANT.
check_rc() {
    [ "$rc" -eq "$2" ]
    st=$?
    [ $st -eq 0 ] || echo "# exit status $rc, want $2"
    report $st "$1"
}

R05='[[1, 0.5], [0.5, 1]]'
GENZ='[[4, 3, 2, 1], [3, 5, -1, 1], [2, -1, 4, 2], [1, 1, 2, 5]]'

# --- Values ----------------------------------------------------------

# Orthant: 1/4 + asin(rho)/(2 pi) = 1/3 for rho = 1/2.
cat >"$T/in" <<EOF
{"upper": [0, 0], "cov": $R05}
{"upper": [0, 0, 0], "cov": [[1, 0, 0], [0, 1, 0], [0, 0, 1]]}
{"upper": [1, 2], "mean": [1, 2], "cov": $R05}
{"upper": [3], "mean": [3], "cov": [[4]]}
{"upper": [0, 0], "chol": [[1, 0], [0.5, 0.8660254037844386]]}
{"upper": [0, 0], "chol": [[1], [0.5, 0.8660254037844386]]}
EOF
run
check_rc "valid problems: exit status 0" 0
check "bivariate orthant rho=1/2 is 1/3 to 1e-15" \
    'r[0]["status"] == "ok" and r[0]["status_code"] == 0 and near(r[0]["p"], 1/3, 1e-15)'
check "logp of the orthant is log(1/3) to 2e-15 relative" \
    'near(r[0]["logp"], math.log(1/3), 2e-15 * math.log(3))'
check "abserr and evaluations are reported" \
    'all(x["abserr"] >= 0 and x["abserr"] <= 1e-5 and x["evaluations"] >= 0 for x in r)'
check "identity 3-D CDF at 0 is 1/8" 'near(r[1]["p"], 0.125, 1e-16)'
check "mean shift: P(X < mu) with rho=1/2 is 1/3; 1-D P(X < mu) = 1/2" \
    'near(r[2]["p"], 1/3, 1e-15) and near(r[3]["p"], 0.5, 1e-16)'
check "chol input (full and triangular rows) equals cov input" \
    'near(r[4]["p"], 1/3, 1e-14) and near(r[5]["p"], 1/3, 1e-14)'
check "every record carries its line number" \
    '[x["line"] for x in r] == [1, 2, 3, 4, 5, 6]'

# Infinite limits: null entries, a null array, omitted arrays.
cat >"$T/in" <<EOF
{"lower": [null, null], "upper": [0, null], "cov": $R05}
{"lower": [0, null], "cov": $R05}
{"lower": null, "upper": [null, 0], "cov": $R05}
{"cov": $R05}
{"lower": [1], "upper": [1], "cov": [[1]]}
EOF
run
check "null limits: P(X1 < 0) = P(X1 > 0) = P(X2 < 0) = 1/2" \
    'all(near(r[i]["p"], 0.5, 1e-16) for i in range(3))'
check "all limits omitted: P = 1" 'near(r[3]["p"], 1.0, 1e-16)'
check "P = 0 gives logp null (JSON has no -inf)" \
    'r[4]["p"] == 0 and r[4]["logp"] is None'

# Huge finite limits and means (issue 14, finding 2): numbers, never
# "status": "ok" with "p": null (NaN).
cat >"$T/in" <<EOF
{"upper": [-1.5e154], "cov": [[1]]}
{"lower": [1e300, 0], "cov": $R05}
{"upper": [0, 0], "mean": [-1e300, 1e300], "cov": $R05}
{"lower": [-1e300, -1e300], "upper": [1e300, 1e300], "cov": $R05}
EOF
run
check "huge finite limits and means: P is 0 or 1 with status ok, never null" \
    '[x["p"] for x in r] == [0, 0, 0, 1] and all(x["status"] == "ok" and x["abserr"] is not None for x in r) and r[0]["logp"] < -1e308'

# id: any JSON value is copied; no id key without one.
cat >"$T/in" <<EOF
{"id": "a", "upper": [0], "cov": [[1]]}
{"id": 7, "upper": [0], "cov": [[1]]}
{"upper": [0], "cov": [[1]], "id": {"k": [1, null, "x"]}}
{"upper": [0], "cov": [[1]]}
{"id": "bad", "upper": [0, 0], "cov": [[1]]}
EOF
run
check "id echoed (string, number, object), absent when not given" \
    'r[0]["id"] == "a" and r[1]["id"] == 7 and r[2]["id"] == {"k": [1, None, "x"]} and "id" not in r[3]'
check "id echoed on an error record too" 'r[4]["id"] == "bad" and r[4]["status"] == "error"'

# --- Errors ----------------------------------------------------------

printf '%s\n' \
    '{"id": 1, "upper": [0], "cov": [[1]]}' \
    '# a comment' \
    '' \
    '{"upper": [0], "cov": [[1]' \
    '{"id": 5, "upper": [0], "cov": [[1]]}' >"$T/in"
run
check_rc "a malformed line gives exit status 1" 1
check "malformed JSON: error record naming line 4, next line answered" \
    'len(r) == 3 and r[1]["line"] == 4 and r[1]["status"] == "error" and r[1]["message"].startswith("line 4: not valid JSON") and r[2]["id"] == 5 and near(r[2]["p"], 0.5, 1e-16)'
check "an error record has no p" '"p" not in r[1]'

cat >"$T/in" <<EOF
{"lower": [0, 0, 0], "upper": [1, 1], "cov": $R05}
{"upper": [0, 0], "cov": [[1, 2], [2, 1]]}
{"upper": [0, "1"], "cov": $R05}
{"upper": [0, 0], "cov": [[1, 0.5], [0.5]]}
{"upper": [0, 0], "cov": $R05, "chol": $R05}
{"uper": [0, 0], "cov": $R05}
{"upper": [0, 0], "chol": [[1, 0.5], [0, 1]]}
{"upper": [0, 0]}
[1, 2]
{"upper": [0, 0], "cov": $R05, "maxpts": 5}
{"upper": [0, 0], "cov": $R05, "grad": "yes"}
{"upper": [1, 0], "lower": [2, 0], "cov": $R05}
EOF
run
check_rc "invalid problems give exit status 1" 1
check "length mismatch is named with both lengths" \
    'r[0]["status"] == "error" and "length mismatch between lower (3) and upper (2)" in r[0]["message"]'
check "non-positive-definite cov: status enotpd (6)" \
    'r[1]["status"] == "enotpd" and r[1]["status_code"] == 6 and "p" not in r[1] and r[1]["message"].startswith("line 2: ")'
check "a string where a number belongs is an error naming upper" \
    'r[2]["status"] == "error" and "\"upper\"[1]" in r[2]["message"]'
check "a ragged cov is not square" 'r[3]["status"] == "error" and "not square" in r[3]["message"]'
check "both cov and chol is an error" 'r[4]["status"] == "error" and "both" in r[4]["message"]'
check "an unknown key is an error" 'r[5]["status"] == "error" and "uper" in r[5]["message"]'
check "a nonzero upper triangle in chol is an error" \
    'r[6]["status"] == "error" and "lower triangular" in r[6]["message"]'
check "a missing cov/chol is an error" 'r[7]["status"] == "error" and "required" in r[7]["message"]'
check "a non-object line is an error" 'r[8]["status"] == "error" and r[8]["line"] == 9'
check "a refused per-line option: einval naming the key" \
    'r[9]["status"] == "einval" and "\"maxpts\"" in r[9]["message"]'
check "grad must be a boolean" 'r[10]["status"] == "error" and "grad" in r[10]["message"]'
check "lower > upper: status ebounds (5)" 'r[11]["status"] == "ebounds" and r[11]["status_code"] == 5'
check "one record per problem line, in order" \
    'len(r) == 12 and [x["line"] for x in r] == list(range(1, 13))'

# Huge arrays must not crash nor allocate d*d: a 10^6 lower against a
# 1-D cov, and a cov of 100001 empty rows (d above MVN_MAX_DIM).
"$PY" -c '
import json
print(json.dumps({"lower": [None] * 10**6, "cov": [[1]]}))
print(json.dumps({"cov": [[]] * 100001}))
print(json.dumps({"id": "after", "upper": [0], "cov": [[1]]}))
' >"$T/in"
run
check_rc "huge arrays: exit status 1, no crash" 1
check "huge arrays: mismatch error, edim above MVN_MAX_DIM, next line answered" \
    'r[0]["status"] == "error" and r[1]["status"] == "edim" and r[1]["status_code"] == 3 and near(r[2]["p"], 0.5, 1e-16)'

# --- Options ---------------------------------------------------------

: >"$T/in"
run --help
check_rc "--help: exit status 0" 0
missing=
for flag in --abseps --releps --maxpts --seed --threads --method --reorder \
            --shifts --error-factor --gradient --backend --option --grad \
            --input --output --help --version '"lower"' '"cov"' '"chol"' \
            '"backend"' tilted estimator cuda; do
    grep -q -e "$flag" "$T/out" || missing="$missing $flag"
done
[ -z "$missing" ]
report $? "--help lists every flag and the line format${missing:+ (missing:$missing)}"

run --version
check_rc "--version: exit status 0" 0
grep -q '^mvnorm (libmvnorm) [0-9]' "$T/out"
report $? "--version prints 'mvnorm (libmvnorm) VERSION'"

run --no-such-flag
check_rc "unknown flag: exit status 2" 2
[ ! -s "$T/out" ] && grep -q -e '--no-such-flag' "$T/err"
report $? "unknown flag: named on stderr, nothing on stdout"

run --maxpts 5
check_rc "--maxpts 5 (below the library's minimum): exit status 2" 2
grep -q -e '--maxpts' "$T/err"
report $? "out-of-range flag value: the message names the flag"

run --abseps abc
check_rc "--abseps abc: exit status 2" 2
run --method exact
check_rc "--method exact: exit status 2" 2
grep -q "auto, qmc, tilted" "$T/err"
report $? "--method exact: the message lists the library's names"

# Every library option has a flag: a valid value is accepted (exit 0), a
# bad one is a usage error (exit 2) naming the flag; for the enumerated
# options the message lists the accepted names.
echo '{"upper": [0, 0], "cov": [[1, 0.5], [0.5, 1]]}' >"$T/in"
for spec in "method tilted auto,qmc,tilted exact" "reorder none none,gge sideways" \
            "gradient estimator closed,estimator numeric" \
            "backend cpu auto,cpu,cuda gpu" "shifts 16 - 1" "shifts 4 - 65" \
            "error-factor 2.5 - 0.5" "threads 1 - -1" "seed 7 - 1.5"; do
    set -- $spec
    run "--$1" "$2"
    [ "$rc" -eq 0 ]
    report $? "--$1 $2: accepted"
    run "--$1" "$4"
    if [ "$3" = - ]; then
        [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && grep -q -e "--$1" "$T/err"
    else
        names=$(echo "$3" | sed 's/,/, /g')
        [ "$rc" -eq 2 ] && [ ! -s "$T/out" ] && grep -q -e "--$1" "$T/err" \
            && grep -q -e "$names" "$T/err"
    fi
    report $? "--$1 $4: exit status 2, the message names the flag${names:+ and lists $names}"
    names=
done
run --option reorder=none --option error_factor=2 --option SHIFTS=4
check_rc "--option NAME=VALUE accepts the library's option names" 0
run --option no_such=1
check_rc "--option with an unknown name: exit status 2" 2
grep -q "error_factor" "$T/err"
report $? "--option with an unknown name: the message lists the option names"
run --option shifts=100
check_rc "--option with a bad value: exit status 2" 2
run --option shifts
check_rc "--option without =VALUE: exit status 2" 2

# The backend that answered is in every answered record.
printf '%s\n' '{"upper": [0, 0], "cov": [[1, 0.5], [0.5, 1]]}' \
    '{"upper": [1, 2, 3, 4], "cov": [[4, 3, 2, 1], [3, 5, -1, 1], [2, -1, 4, 2], [1, 1, 2, 5]], "abseps": 1e-3}' >"$T/in"
run
check "backend key: \"cpu\" on every answered record" \
    'len(r) == 2 and all(x["backend"] == "cpu" for x in r)'
run --grad --backend cpu
check "backend key: \"cpu\" with --grad and --backend cpu" \
    'len(r) == 2 and all(x["backend"] == "cpu" for x in r)'

# --backend cuda without a CUDA module: an ebackend error record with the
# library's reason (where a CUDA module does load, the answer says cuda).
run --backend cuda
check "--backend cuda: ebackend (9) record with the library's message, or answered by cuda" \
    'len(r) == 2 and all((x["status"] == "ebackend" and x["status_code"] == 9 and "p" not in x and "backend" not in x and "CUDA" in x["message"] and x["message"].startswith("line ")) or x.get("backend") == "cuda" for x in r)'
run --backend cuda --grad
check "--backend cuda --grad: ebackend record too (or answered by cuda)" \
    'len(r) == 2 and all(x["status"] == "ebackend" or x.get("backend") == "cuda" for x in r)'

# --method tilted: a 4-D equicorrelated (rho = 1/2) orthant beyond 40,
# P ~ 1e-563, far below the smallest double.  Its log is
# -40^2 1'S^-1 1 / 2 = -1280 to leading order, minus O(log) terms.
echo '{"lower": [40, 40, 40, 40], "cov": [[1, 0.5, 0.5, 0.5], [0.5, 1, 0.5, 0.5], [0.5, 0.5, 1, 0.5], [0.5, 0.5, 0.5, 1]]}' >"$T/in"
run --method tilted --abseps 0 --releps 1e-3
check "--method tilted: finite logp of a probability that underflows (-1320 < logp < -1280)" \
    'r[0]["status"] == "ok" and r[0]["p"] == 0 and r[0]["logp"] is not None and -1320 < r[0]["logp"] < -1280 and r[0]["logerr"] <= 1e-3'

# A relative tolerance alone means relative accuracy (issue 13): a 10-D
# equicorrelated tail P(X > 5), log P = -32.847577943533682 (one-factor
# integral, tests/test_exact_families.c), P = 5.4e-15, far below the
# default abseps 1e-5.  --releps 1e-3 alone: logerr <= 1e-3 and the
# truth inside; with --abseps 1e-5 as well, the absolute tolerance is met
# at once (logerr above 1e-3); a line's "abseps" counts as given too.
echo '{"lower": [5, 5, 5, 5, 5, 5, 5, 5, 5, 5], "cov": [[1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1]]}' >"$T/tail"
cp "$T/tail" "$T/in"
run --releps 1e-3
check "--releps alone: relative accuracy (abseps 0): logerr <= 1e-3 and |logp - exact| <= logerr" \
    'r[0]["status"] == "ok" and r[0]["logerr"] <= 1e-3 and abs(r[0]["logp"] + 32.847577943533682) <= r[0]["logerr"]'
# (Under --method qmc: the default route answers this one-factor tail by
# one integral, to 1e-13 whatever the tolerance.)
run --releps 1e-3 --abseps 1e-5 --method qmc
check "--releps with --abseps: the absolute tolerance stops it first (logerr > 1e-3)" \
    'r[0]["status"] == "ok" and r[0]["logerr"] > 1e-3'
sed 's/^{/{"abseps": 1e-5, "releps": 1e-3, /' "$T/tail" >"$T/in"
run --method qmc
check "a line's releps with its own abseps: that abseps applies (logerr > 1e-3)" \
    'r[0]["status"] == "ok" and r[0]["logerr"] > 1e-3'

# --gradient estimator: the derivative of the QMC estimator agrees with
# the closed form (conditioning) on Genz's 4-D problem.
echo '{"upper": [1, 2, 3, 4], "cov": [[4, 3, 2, 1], [3, 5, -1, 1], [2, -1, 4, 2], [1, 1, 2, 5]]}' >"$T/in"
run --grad --abseps 1e-4
cp "$T/out" "$T/closed.jsonl"
run --grad --abseps 1e-4 --gradient estimator
cat "$T/closed.jsonl" "$T/out" >"$T/both.jsonl"
cp "$T/both.jsonl" "$T/out"
check "--gradient estimator: d_upper and d_cov within 1e-4 of the closed form" \
    'len(r) == 2 and all(x["status"] == "ok" for x in r) and r[0]["d_upper"] != r[1]["d_upper"] and all(near(a, b, 1e-4) for a, b in zip(r[0]["d_upper"], r[1]["d_upper"])) and all(near(a, b, 1e-4) for ra, rb in zip(r[0]["d_cov"], r[1]["d_cov"]) for a, b in zip(ra, rb))'

# A tolerance miss (MVN_ETOL) is a warning: reported, exit status 0.
echo "{\"upper\": [1, 2, 3, 4], \"cov\": $GENZ, \"abseps\": 1e-14, \"maxpts\": 1000}" >"$T/in"
run --method qmc
check_rc "tolerance not reached: exit status 0" 0
check "tolerance not reached: status etol (1) with p, abserr and a message" \
    'r[0]["status"] == "etol" and r[0]["status_code"] == 1 and near(r[0]["p"], 0.605640447919324, 1e-2) and r[0]["abserr"] > 0 and r[0]["message"].startswith("line 1: ")'

# A per-line option lasts for its line only: lines 2 and 3 both run with
# seed 0 and abseps 1e-3 and must agree bit for bit, whatever line 1 did.
cat >"$T/in" <<EOF
{"upper": [1, 2, 3, 4], "cov": $GENZ, "seed": 12345, "abseps": 1e-2}
{"upper": [1, 2, 3, 4], "cov": $GENZ}
{"upper": [1, 2, 3, 4], "cov": $GENZ, "seed": 0, "abseps": 1e-3}
EOF
run --abseps 1e-3
check "per-line seed/abseps do not leak into the next line" \
    'r[1]["p"] == r[2]["p"] and r[1]["abserr"] == r[2]["abserr"] and r[0]["status"] == "ok"'

# --- Gradients -------------------------------------------------------

# Bivariate orthant at 0, rho = 1/2 (Plackett): dP/du_i = phi(0) Phi(0)
# = phi(0)/2; G_12 = phi_2(0, 0; rho)/2; G_ii = -rho phi_2(0, 0; rho)/2
# (dP/dSigma_11 acts through rho = Sigma_12 / sqrt(Sigma_11 Sigma_22)).
cat >"$T/in" <<EOF
{"upper": [0, 0], "cov": $R05}
{"upper": [0, 0], "chol": [[1, 0], [0.5, 0.8660254037844386]]}
{"lower": [null, -1, null], "upper": [0.5, null, null], "cov": [[1, 0.3, 0.1], [0.3, 1, 0.2], [0.1, 0.2, 1]]}
EOF
run --grad
check_rc "--grad: exit status 0" 0
check "--grad: d_lower, d_upper, d_mean of length d, d_cov d x d" \
    'all(len(x["d_lower"]) == len(x["d_upper"]) == len(x["d_mean"]) == len(x["d_cov"]) == d and all(len(row) == d for row in x["d_cov"]) for x, d in zip(r, [2, 2, 3]))'
check "--grad: d_mean = -(d_lower + d_upper)" \
    'all(near(m, -(a + b), 1e-15) for x in r for a, b, m in zip(x["d_lower"], x["d_upper"], x["d_mean"]))'
check "bivariate orthant: dP/du_i = phi(0)/2 to 1e-13, dP/dl_i = 0" \
    'all(near(g, 0.5 / math.sqrt(2 * math.pi), 1e-13) for g in r[0]["d_upper"]) and r[0]["d_lower"] == [0, 0]'
check "bivariate orthant: d_cov = phi2/2 off the diagonal, -rho phi2/2 on it (1e-13)" \
    'near(r[0]["d_cov"][0][1], 1 / (4 * math.pi * math.sqrt(0.75)), 1e-13) and near(r[0]["d_cov"][1][0], r[0]["d_cov"][0][1], 0) and near(r[0]["d_cov"][0][0], -0.5 / (4 * math.pi * math.sqrt(0.75)), 1e-13)'
check "gradient from chol equals gradient from cov (1e-13)" \
    'all(near(a, b, 1e-13) for ra, rb in zip(r[0]["d_cov"], r[1]["d_cov"]) for a, b in zip(ra, rb)) and all(near(a, b, 1e-13) for a, b in zip(r[0]["d_upper"], r[1]["d_upper"]))'
check "derivatives with respect to infinite limits are 0" \
    'r[2]["d_lower"][0] == 0 and r[2]["d_lower"][2] == 0 and r[2]["d_upper"][1] == 0 and r[2]["d_upper"][2] == 0'

cat >"$T/in" <<EOF
{"upper": [0, 0], "cov": $R05, "grad": true}
{"upper": [0, 0], "cov": $R05}
EOF
run
check "per-line grad: derivatives on that line only" \
    '"d_upper" in r[0] and "d_cov" in r[0] and "d_upper" not in r[1]'

# --- Files -----------------------------------------------------------

printf '%s\n' '{"id": "f", "upper": [0, 0], "cov": [[1, 0.5], [0.5, 1]]}' >"$T/a.jsonl"
: >"$T/in"
run "$T/a.jsonl"
check "a file argument is read" 'r[0]["id"] == "f" and near(r[0]["p"], 1/3, 1e-15)'
run --input "$T/a.jsonl" --output "$T/o.jsonl"
[ "$rc" -eq 0 ] && [ ! -s "$T/out" ] && cp "$T/o.jsonl" "$T/out"
check "--input FILE --output FILE" 'r[0]["id"] == "f" and near(r[0]["p"], 1/3, 1e-15)'
printf '%s\n' '{"id": "s", "upper": [0], "cov": [[1]]}' >"$T/in"
run "$T/a.jsonl" -
check "FILE then - (standard input): both read in order, records name the file" \
    '[x["id"] for x in r] == ["f", "s"] and r[0]["file"].endswith("a.jsonl") and r[1]["file"] == "-"'
run "$T/does-not-exist.jsonl"
check_rc "an unreadable input file: exit status 1" 1

# The shipped examples, against their documented exact values.  The QMC
# answers (4-D, 10-D) must reach abseps 1e-4 (a looser tolerance than the
# default keeps the test fast) and lie within 3 abserr (about 10 standard
# errors) of the exact value.
if [ -r "$EXAMPLES" ]; then
    : >"$T/in"
    run --abseps 1e-4 "$EXAMPLES"
    cp "$T/out" "$T/ex.jsonl"
    check_rc "examples/problems.jsonl: exit status 0" 0
    check "examples: bivariate orthant is 1/3 to 1e-15" 'near(r[0]["p"], 1/3, 1e-15)'
    check "examples: Genz 4-D is 0.605640447919324 within 3 abserr, abserr <= 1e-4" \
        'r[1]["status"] == "ok" and r[1]["abserr"] <= 1e-4 and near(r[1]["p"], 0.605640447919324, 3 * r[1]["abserr"] + 1e-7)'
    check "examples: 10-D equicorrelated orthant is 1/11 within 3 abserr, abserr <= 1e-4" \
        'r[2]["status"] == "ok" and r[2]["abserr"] <= 1e-4 and near(r[2]["p"], 1/11, 3 * r[2]["abserr"] + 1e-7)'
    check "examples: rectangle with mean is 0.38455238678170159 (mpmath) to 1e-12" \
        'near(r[3]["p"], 0.38455238678170159, 1e-12) and len(r[3]["d_cov"]) == 3'
else
    echo "# $EXAMPLES not found"
    report 1 "examples/problems.jsonl is readable"
fi

# Central differences (h = 1e-5, exact 3-D kernel) check the rectangle's
# d_upper[0] and d_cov[0][1], whose closed forms this test does not know.
"$PY" - "$EXAMPLES" >"$T/in" <<'EOF'
import json, sys
base = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")][3]
base.pop("grad")
h = 1e-5
for s in (1, -1):
    x = json.loads(json.dumps(base)); x["upper"][0] += s * h; print(json.dumps(x))
for s in (1, -1):
    x = json.loads(json.dumps(base))
    x["cov"][0][1] += s * h; x["cov"][1][0] += s * h; print(json.dumps(x))
EOF
run
cp "$T/out" "$T/fd.jsonl"
cat "$T/ex.jsonl" "$T/fd.jsonl" >"$T/out"
check "rectangle: d_upper[0] and d_cov[0][1] match central differences (1e-8)" \
    'len(r) == 8 and all(x["status"] == "ok" for x in r) and near(r[3]["d_upper"][0], (r[4]["p"] - r[5]["p"]) / 2e-5, 1e-8) and near(r[3]["d_cov"][0][1], (r[6]["p"] - r[7]["p"]) / 4e-5, 1e-8)'

# Issue 14, finding 9: integers beyond int64 are valid JSON (numbers), the
# seed's range [0, 2^53] is enforced exactly, and a line that begins with a
# NUL byte gets an error record that names it.
cat >"$T/in" <<'EOF'
{"id": 1, "upper": [100000000000000000000], "cov": [[1]]}
{"id": 2, "lower": [-100000000000000000000, 0], "upper": [0, 100000000000000000000], "cov": [[1, 0], [0, 1]]}
{"id": 3, "upper": [0], "cov": [[1]], "seed": 9007199254740993}
{"id": 4, "upper": [0], "cov": [[1]], "seed": 9007199254740992}
{"id": 5, "upper": [0], "cov": [[1]], "seed": 100000000000000000000}
{"id": 6, "upper": [0], "cov": [[1]], "maxpts": 18446744073709551617}
{"id": 7, "upper": [0], "cov": [[1]], "seed": 9007199254740993.0}
{"id": 123456789012345678901234567890, "upper": [0], "cov": [[1]]}
{"id": 9, "upper": [0, 1], "cov": [[1, 100000000000000000000000], [100000000000000000000000, 1]]}
EOF
run
check "integers beyond int64 are numbers: P(X < 1e20) = 1, a 2-D product is 1/4" \
    'len(r) == 9 and r[0]["status"] == "ok" and r[0]["p"] == 1.0 and r[1]["status"] == "ok" and near(r[1]["p"], 0.25, 1e-15)'
check "an integer id on a line with integers beyond int64 is echoed as an integer" \
    'type(r[0]["id"]) is int and r[0]["id"] == 1 and type(r[1]["id"]) is int'
check "seed 2^53 + 1 is an error naming the seed; 2^53 is accepted" \
    'r[2]["status"] == "error" and "seed" in r[2]["message"] and "9007199254740993" in r[2]["message"] and r[3]["status"] == "ok"'
check "seed and maxpts beyond int64 are errors naming the option, not JSON errors" \
    'r[4]["status"] == "error" and "seed" in r[4]["message"] and "JSON" not in r[4]["message"] and r[5]["status"] == "error" and "maxpts" in r[5]["message"] and "JSON" not in r[5]["message"]'
check "a seed written as a real beyond 2^53 (rounded to 2^53) is an error" \
    'r[6]["status"] == "error" and "seed" in r[6]["message"]'
check "an integer id beyond int64 is never echoed rounded: an error that says so" \
    'r[7]["status"] == "error" and "\"id\"" in r[7]["message"] and "id" not in r[7]'
check "a huge integer covariance is judged by the library (not PSD), not refused as JSON" \
    'r[8]["status"] != "ok" and "JSON" not in r[8]["message"]'
run --seed 9007199254740993
check_rc "--seed 9007199254740993 (2^53 + 1): exit status 2" 2
grep -q -e "--seed" "$T/err"
report $? "--seed 9007199254740993: the message names the flag"
printf '\000{"upper": [0], "cov": [[1]]}\n{"upper": [0], "cov": [[1]]}\n\000\n' >"$T/in"
run
check "lines that start with a NUL byte give error records naming lines 1 and 3" \
    'len(r) == 3 and r[0]["line"] == 1 and r[0]["status"] == "error" and "NUL" in r[0]["message"] and r[1]["line"] == 2 and r[1]["status"] == "ok" and r[2]["line"] == 3 and r[2]["status"] == "error"'
check_rc "NUL lines: exit status 1 (some lines failed)" 1

# An unknown key longer than the 64 bytes quoted, cut inside a UTF-8
# character, and an invalid UTF-8 byte: every error record keeps a message
# (found by tests/fuzz/fuzz_cli.c).
"$PY" -c 'print("{\"a" + "\u00e9" * 40 + "\": 1, \"cov\": [[1]]}")' >"$T/in"
printf '{"cov": [[1]], "upper": [0]} \377\n' >>"$T/in"
run
check "error records keep their message when the reason quotes non-ASCII input" \
    'len(r) == 2 and all(x["status"] == "error" and "message" in x for x in r) and "unknown key" in r[0]["message"]'

# Equicoordinate quantiles ("quantile", "tail"): mvtnorm's documented
# qmvnorm(0.95, sigma = diag(2), tail = "both") = 2.236477, the 1-D
# closed form, the upper tail as minus the lower tail of -X, and the
# refusals.
cat >"$T/in" <<'EOF_Q'
{"quantile": 0.95, "tail": "both", "cov": [[1, 0], [0, 1]]}
{"quantile": 0.975, "cov": [[4]], "mean": [1]}
{"quantile": 0.3, "tail": "upper.tails", "cov": [[1]]}
{"quantile": 0.3, "tail": "upper", "cov": [[1, 0.5], [0.5, 1]], "mean": [1, -1]}
{"quantile": 0.3, "cov": [[1, 0.5], [0.5, 1]], "mean": [-1, 1]}
{"quantile": 0.3, "upper": [1], "cov": [[1]]}
{"tail": "both", "cov": [[1]]}
{"quantile": 1, "cov": [[1]]}
EOF_Q
run
check "quantile, both tails, identity 2-D: q = 2.236477 (mvtnorm), P(q) = 0.95" \
    'r[0]["status"] == "ok" and near(r[0]["q"], 2.236477, 5e-7) and near(r[0]["p"], 0.95, 1e-12) and r[0]["q_err"] < 1e-10'
check "quantile, 1-D lower tail: q = mean + sd * 1.959963985" \
    'near(r[1]["q"], 1 + 2 * 1.959963984540054, 1e-12)'
check "\"tail\": \"upper.tails\" (misspelt) is an error naming the choices" \
    'r[2]["status"] == "error" and "lower" in r[2]["message"]'
check "upper-tail q(mean) = -(lower-tail q(-mean))" \
    'r[3]["status"] == "ok" and near(r[3]["q"], -r[4]["q"], 1e-12)'
check "a quantile line with limits, a tail without quantile, quantile 1: errors" \
    'all(r[k]["status"] == "error" for k in (5, 6, 7)) and "quantile" in r[5]["message"] and "quantile" in r[6]["message"]'

# t quantiles ("quantile" with "df"): R's qt(0.95, 5) and qt(0.975, 5),
# "mean" as the noncentrality (R's qt(0.8, 4, ncp = 1.5)); "chol" refused.
cat >"$T/in" <<'EOF_QT'
{"quantile": 0.95, "df": 5, "cov": [[1]]}
{"quantile": 0.95, "df": 5, "tail": "both", "cov": [[1]]}
{"quantile": 0.8, "df": 4, "mean": [1.5], "cov": [[1]]}
{"quantile": 0.95, "df": 5, "chol": [[1]]}
EOF_QT
run
check "t quantiles: qt(0.95, 5), two-sided qt(0.975, 5), noncentral qt(0.8, 4, 1.5) to 1e-9" \
    'near(r[0]["q"], 2.0150483733330224, 1e-9) and near(r[1]["q"], 2.5705818356363137, 1e-9) and near(r[2]["q"], 2.856452676834337, 1e-8) and all(r[k]["status"] == "ok" for k in (0, 1, 2))'
check "a t quantile line with chol is an error" 'r[3]["status"] == "error" and "df" in r[3]["message"]'

# t derivatives ("df" with "grad"): SciPy's t.pdf for d = 1; the 2-D
# orthant f_4.5(0) / 2; a noncentral t.
cat >"$T/in" <<'EOF_TG'
{"df": 3, "grad": true, "lower": [-1], "upper": [0.7], "cov": [[2]]}
{"df": 4.5, "grad": true, "upper": [0, 0], "cov": [[1, 0.5], [0.5, 1]]}
{"df": 3, "grad": true, "upper": [0.7], "mean": [0.5], "cov": [[2]]}
EOF_TG
run
# d_cov of d = 1 from scale invariance: -(l dP/dl + u dP/du) / (2 S); of the
# orthant's off-diagonal 1 / (2 pi sqrt(3 / 4)) / 2 (Q = 0 at the corner).
check "t derivatives: t.pdf at the limits (d = 1), f(0) / 2 for the 2-D orthant, d_cov" \
    'near(r[0]["d_upper"][0], 0.22213531342053117, 1e-14) and near(r[0]["d_lower"][0], -0.19094615540416562, 1e-14) and near(r[1]["d_upper"][0], math.exp(math.lgamma(2.75) - math.lgamma(2.25)) / math.sqrt(4.5 * math.pi) / 2, 1e-13) and r[1]["d_lower"] == [0, 0] and near(r[0]["d_cov"][0][0], -(-r[0]["d_lower"][0] + 0.7 * r[0]["d_upper"][0]) / 4, 1e-15) and near(r[1]["d_cov"][0][1], 1 / (2 * math.pi * math.sqrt(0.75)) / 2, 1e-15) and "d_mean" not in r[0]'
# Noncentral ("mean" is delta): T / sqrt(2) is SciPy's nct(3, 0.5 / sqrt(2)),
# so dP/du = nct.pdf(0.7 / sqrt(2), 3, 0.5 / sqrt(2)) / sqrt(2) (SciPy 1.10.1).
check "t derivatives of a noncentral t: SciPy's nct.pdf" \
    'r[2]["status"] == "ok" and near(r[2]["d_upper"][0], 0.2510464944659046, 1e-10) and r[2]["d_lower"] == [0]'
# --- Exact sampling ("sample": N) -------------------------------------

# X ~ N(0, 1) given X > 0: mean sqrt(2/pi), standard deviation
# sqrt(1 - 2/pi) = 0.603, so 5 standard errors of a mean of 2000 draws
# are 0.068.
cat >"$T/in" <<EOF
{"id": "s", "lower": [1, 1], "upper": [2, null], "cov": $R05, "sample": 50, "seed": 7}
{"id": "s", "lower": [1, 1], "upper": [2, null], "cov": $R05, "sample": 50, "seed": 7}
{"lower": [1, 1], "upper": [2, null], "cov": $R05, "sample": 50, "seed": 8}
{"lower": [0], "cov": [[1]], "sample": 2000}
{"upper": [0, 0], "cov": $R05}
EOF
run
check_rc "sample lines: exit status 0" 0
check "a sample line gives N rows of d values inside the box, an acceptance rate, no p" \
    'r[0]["status"] == "ok" and len(r[0]["samples"]) == 50 and all(len(x) == 2 and 1 <= x[0] <= 2 and x[1] >= 1 for x in r[0]["samples"]) and 0 < r[0]["accept_rate"] <= 1 and "p" not in r[0] and r[0]["id"] == "s"'
check "the same seed gives the same samples, another seed others" \
    'r[0]["samples"] == r[1]["samples"] and r[0]["samples"] != r[2]["samples"]'
check "1-D: the mean of 2000 draws of N(0,1) given X > 0 is sqrt(2/pi) within 5 standard errors" \
    'near(sum(x[0] for x in r[3]["samples"]) / 2000, math.sqrt(2 / math.pi), 0.068) and min(x[0] for x in r[3]["samples"]) >= 0'
check "a line without \"sample\" still gives P" 'near(r[4]["p"], 1/3, 1e-15) and "samples" not in r[4]'

cat >"$T/in" <<EOF
{"lower": [0], "cov": [[1]], "sample": 0}
{"lower": [0], "cov": [[1]], "sample": 1.5}
{"lower": [0], "chol": [[1]], "sample": 2}
{"lower": [0], "cov": [[1]], "sample": 2, "grad": true}
{"lower": [1, 0], "upper": [1, 1], "cov": $R05, "sample": 2}
{"lower": [0, 0], "cov": [[1, 1], [1, 1]], "sample": 2}
{"lower": [0, 0], "cov": [[1, 0.9], [0.9, -1]], "sample": 2}
EOF
run
check_rc "bad sample lines: exit status 1" 1
check "\"sample\" must be a positive integer, with cov and without grad" \
    'all(r[i]["status"] == "error" and "sample" in r[i]["message"] for i in range(4))'
check "an empty box is ebounds, a singular cov eunsupported, a negative variance enotpd, with messages" \
    'r[4]["status"] == "ebounds" and "empty" in r[4]["message"] and r[5]["status"] == "eunsupported" and "singular" in r[5]["message"] and r[6]["status"] == "enotpd" and "samples" not in r[6]'

# Multivariate t ("df"): SciPy 1.10.1's stats.t.cdf(0.7, 3) and
# stats.nct.cdf(1.5, 4, 0.8), the equicorrelated orthant 1/4 for any df,
# and the refusals.
cat >"$T/in" <<'EOF_T'
{"upper": [0.7], "cov": [[1]], "df": 3}
{"upper": [1.5], "mean": [0.8], "cov": [[1]], "df": 4}
{"lower": [0, 0, 0], "cov": [[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]], "df": 2.5}
{"upper": [1], "cov": [[1]], "df": 0}
{"upper": [1], "chol": [[1]], "df": 3}
EOF_T
run
check "df = 3: P(T < 0.7) = SciPy's t.cdf 0.7328365008476182 to 1e-12" \
    'r[0]["status"] == "ok" and near(r[0]["p"], 0.7328365008476182, 1e-12)'
check "df = 4, mean = noncentrality 0.8: SciPy's nct.cdf 0.7048766285121866 to 1e-12" \
    'near(r[1]["p"], 0.7048766285121866, 1e-12)'
check "df = 2.5: equicorrelated 1/2 orthant P(T > 0) = 1/4" 'near(r[2]["p"], 0.25, 1e-13)'
check "df = 0 and df with chol are errors" \
    'r[3]["status"] == "error" and "df" in r[3]["message"] and r[4]["status"] == "error" and "df" in r[4]["message"]'

# --- Results independent of OpenBLAS's threads ------------------------
# The tilting's Newton steps (lib/qmc/tilting.c) ran through OpenBLAS's
# dlauum and dpotrf, whose multi-threaded code rounds differently: a Dask
# worker (OPENBLAS_NUM_THREADS=1) answered 1 ulp away from its client.
# Tilted problems (d = 5, 12, 200, and a gradient at d = 4), with 1 and 2
# BLAS and OpenMP threads, must be bitwise the same.
cat >"$T/in" <<'EOF_B'
{"lower": [1.2, 0.9, 1.1, 1.4, 1.0], "cov": [[1.6, 0.3, -0.4, 0.5, 0.2], [0.3, 1.9, 0.6, -0.2, 0.4], [-0.4, 0.6, 2.1, 0.3, -0.5], [0.5, -0.2, 0.3, 1.4, 0.6], [0.2, 0.4, -0.5, 0.6, 1.8]], "abseps": 1e-3, "releps": 1e-3, "seed": 3}
{"lower": [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2], "cov": [[1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.4], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 1, 0.5], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.5, 0.5, 1]], "abseps": 0, "releps": 1e-3}
{"upper": [1, 2, 3, 4], "cov": $GENZ, "abseps": 1e-4, "grad": true}
EOF_B
sed -i "s/\$GENZ/$GENZ/" "$T/in"
"$PY" -c 'import json, math; d = 200; print(json.dumps({"upper": [1.0 + 0.01 * i for i in range(d)], "cov": [[math.exp(-(i - j) ** 2 / 200.0) + 0.1 * (i == j) for j in range(d)] for i in range(d)], "abseps": 1e-3}))' >>"$T/in"
OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 "$MVNORM" --method tilted <"$T/in" >"$T/one" 2>"$T/err"
OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=2 "$MVNORM" --method tilted <"$T/in" >"$T/out" 2>>"$T/err"
cmp -s "$T/one" "$T/out" && [ "$(grep -c '"status":"ok"' "$T/out")" -eq 4 ]
report $? "tilted d = 5, 12, 200 and a gradient: bitwise the same with 1 and 2 OpenBLAS threads"

echo "1..$n"
[ "$failed" -eq 0 ]
