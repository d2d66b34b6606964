#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Run the unit tests (cmocka, TAP) and the end-to-end tests (TAP), then
# print one closing line: "N passed, N failed".
#   tests/run.sh            unit + e2e
#   tests/run.sh unit|e2e   one kind
#   tests/run.sh e2e test_trace_dns.py [test names...]
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
UNIT_BUILD=${UNIT_BUILD:-$BUILD}
export BUILD

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E BUILD="$BUILD" UNIT_BUILD="$UNIT_BUILD" "$0" "$@"
	fi
	echo "tests: root is needed (eBPF, network namespaces)" >&2
	exit 1
fi

what=${1:-all}
shift || true
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# count TAP lines of one test program's output; a crash counts as a failure
tally() { # name rc
	local ok notok
	ok=$(grep -c '^ok ' "$log")
	notok=$(grep -c '^not ok ' "$log")
	if [ "$2" -ne 0 ] && [ "$notok" -eq 0 ]; then
		echo "not ok - $1 # exited $2 without a failing test line"
		notok=1
	fi
	passed=$((passed + ok))
	failed=$((failed + notok))
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$UNIT_BUILD"/tests/test_*; do
		[ -x "$t" ] || continue
		echo "# unit: $(basename "$t")"
		CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
		rc=$?
		sed 's/^/    /;s/^    \(ok\|not ok\)/\1/' "$log"
		tally "$(basename "$t")" $rc
	done
fi

if [ "$what" = all ] || [ "$what" = e2e ]; then
	files=("$@")
	[ ${#files[@]} -eq 0 ] && files=(tests/e2e/test_*.py)
	for t in "${files[@]}"; do
		case $t in */*) ;; *) t=tests/e2e/$t ;; esac
		[ -f "$t" ] || continue
		echo "# e2e: $(basename "$t")"
		python3 "$t" >"$log" 2>&1
		rc=$?
		cat "$log"
		tally "$(basename "$t")" $rc
	done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
