#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run the unit tests (cmocka, TAP), the end-to-end tests (TAP) and the fuzz
# replays (every saved reproducer and seed through every fuzz target once),
# then print one closing line: "N passed, N failed".
#   tests/run.sh                 unit + e2e + fuzz
#   tests/run.sh unit|e2e|fuzz   one kind
#   tests/run.sh e2e test_trace_dns.py [test names...]
#
# Every test program states its plan first ("1..N").  A planned test that
# never reported, a program without a plan, a crash, a timeout and a test
# file that does not exist each count as failed: the last line is true.
# Each program runs under FILE_TIMEOUT seconds (600), its process group
# killed after that.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
UNIT_BUILD=${UNIT_BUILD:-$BUILD}
FUZZ_BUILD=${FUZZ_BUILD:-$BUILD}
FILE_TIMEOUT=${FILE_TIMEOUT:-600}
export BUILD

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E BUILD="$BUILD" UNIT_BUILD="$UNIT_BUILD" \
			FUZZ_BUILD="$FUZZ_BUILD" FILE_TIMEOUT="$FILE_TIMEOUT" \
			"$0" "$@"
	fi
	echo "tests: root is needed (eBPF, network namespaces)" >&2
	exit 1
fi

what=${1:-all}
shift || true
case $what in
all | unit | e2e | fuzz) ;;
*)
	echo "tests: unknown kind '$what' (all, unit, e2e, fuzz)" >&2
	exit 2
	;;
esac
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

fail() { # name why
	echo "not ok - $1 # $2"
	failed=$((failed + 1))
}

# Count the TAP lines of one program's output against its plan.
tally() { # name rc
	local ok notok plan reported before=$failed
	ok=$(grep -c '^ok ' "$log")
	notok=$(grep -c '^not ok ' "$log")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$log" | head -1)
	passed=$((passed + ok))
	failed=$((failed + notok))
	reported=$((ok + notok))
	[ "$2" -eq 124 ] && echo "# $1: stopped after ${FILE_TIMEOUT} s"
	if [ -z "$plan" ]; then
		fail "$1" "no plan (1..N) in its output"
	elif [ "$reported" -lt "$plan" ]; then
		echo "not ok - $1 # $((plan - reported)) of $plan planned" \
			"tests never reported (exit $2)"
		failed=$((failed + plan - reported))
	elif [ "$reported" -gt "$plan" ]; then
		fail "$1" "$reported test lines for a plan of $plan"
	fi
	if [ "$2" -ne 0 ] && [ "$failed" -eq "$before" ]; then
		fail "$1" "exited $2 without a failing test line"
	fi
	if [ "$2" -eq 0 ] && [ "$notok" -ne 0 ]; then
		fail "$1" "exited 0 after $notok failing tests"
	fi
}

# Run argv under the timeout (its process group killed), output in $log.
run_one() {
	timeout --kill-after=20 "$FILE_TIMEOUT" "$@" >"$log" 2>&1
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for src in tests/unit/test_*.c; do
		name=$(basename "$src" .c)
		t=$UNIT_BUILD/tests/$name
		echo "# unit: $name"
		if [ ! -x "$t" ]; then
			fail "$name" "$t is not built"
			continue
		fi
		CMOCKA_MESSAGE_OUTPUT=TAP run_one "$t"
		rc=$?
		sed 's/^/    /;s/^    \(ok\|not ok\)/\1/' "$log"
		tally "$name" $rc
	done
fi

if [ "$what" = all ] || [ "$what" = e2e ]; then
	files=()
	names=() # test names: run only these, in every file given
	for a in "$@"; do
		case $a in
		*.py) files+=("$a") ;;
		*) names+=("$a") ;;
		esac
	done
	[ ${#files[@]} -eq 0 ] && files=(tests/e2e/test_*.py)
	for t in "${files[@]}"; do
		case $t in */*) ;; *) t=tests/e2e/$t ;; esac
		echo "# e2e: $(basename "$t")"
		if [ ! -f "$t" ]; then
			fail "$(basename "$t")" "no such test file: $t"
			continue
		fi
		run_one python3 "$t" "${names[@]}"
		rc=$?
		cat "$log"
		tally "$(basename "$t")" $rc
	done
fi

if [ "$what" = all ] || [ "$what" = fuzz ]; then
	echo "# fuzz: replay of tests/fuzz/corpus and tests/fuzz/crashes"
	FUZZ_BUILD=$FUZZ_BUILD run_one tests/fuzz/replay.sh
	rc=$?
	cat "$log"
	tally "fuzz replay" $rc
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
