#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Build the libFuzzer targets (tests/fuzz/fuzz_*.c) and run each for a
# bounded time from its hand-written seeds, one TAP line per target, then
# "N passed, N failed".  A crash, leak, timeout or broken invariant fails
# the target; its reproducer is copied to tests/fuzz/crashes/<target>/,
# whose files are run first in later runs.
#   tests/fuzz/run.sh                  every target, FUZZ_SECONDS (20) each
#   FUZZ_SECONDS=300 tests/fuzz/run.sh dns_bpf archive
# Root is needed: fuzz_dns_bpf runs the trace_dns socket filter in the
# kernel (BPF_PROG_TEST_RUN).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
export BUILD

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		exec sudo -E BUILD="$BUILD" FUZZ_SECONDS="$FUZZ_SECONDS" "$0" "$@"
	fi
	echo "fuzz: root is needed (BPF_PROG_TEST_RUN)" >&2
	exit 1
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for src in tests/fuzz/fuzz_*.c; do
		t=$(basename "$src" .c)
		targets+=("${t#fuzz_}")
	done
fi

bins=()
for t in "${targets[@]}"; do
	bins+=("$BUILD/fuzz/fuzz_$t")
done
if ! make -s --no-print-directory BUILD="$BUILD" "${bins[@]}" \
	"$BUILD/gadget/trace_dns/program.bpf.o" >&2; then
	echo "not ok 1 - build the fuzz targets"
	echo "0 passed, 1 failed"
	exit 1
fi

top=$(pwd)
# scratch files of the targets; a crashing target leaves its own behind
FUZZ_TMPDIR=$(mktemp -d "$([ -w /dev/shm ] && echo /dev/shm || echo /tmp)/runner-fuzz.XXXXXX")
export FUZZ_TMPDIR
trap 'rm -rf "$FUZZ_TMPDIR"' EXIT
passed=0
failed=0
n=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	bin=$top/$BUILD/fuzz/fuzz_$t
	work=$top/$BUILD/fuzz/corpus/$t # what libFuzzer adds goes here
	art=$top/$BUILD/fuzz/artifacts/$t
	seeds=$top/tests/fuzz/corpus/$t
	log=$top/$BUILD/fuzz/fuzz_$t.log
	rm -rf "$art"
	mkdir -p "$work" "$art"
	dirs=("$work")
	[ -d "$seeds" ] && dirs+=("$seeds")
	# reproducers of earlier findings are seeds too: regressions fail
	[ -d "$top/tests/fuzz/crashes/$t" ] && dirs+=("$top/tests/fuzz/crashes/$t")
	"$bin" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" "${dirs[@]}" \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
	if [ $rc -eq 0 ]; then
		echo "ok $n - $t: ${runs:-?} runs in ${FUZZ_SECONDS} s (${rate:-?}/s, ${cov:-cov: ?})"
		passed=$((passed + 1))
	else
		echo "not ok $n - $t: exit $rc after ${runs:-?} runs (log $BUILD/fuzz/fuzz_$t.log)"
		grep -m1 -E 'ERROR: |invariant|runtime error|Abort|deadly signal' "$log" |
			sed 's/^/# /'
		for f in "$art"/*; do
			[ -f "$f" ] || continue
			# named <kind>-<sha1>: known when a saved file has that sha1
			known=$(sha1sum tests/fuzz/crashes/"$t"/* 2>/dev/null |
				grep "^${f##*-} " | sed 's/^[0-9a-f]*  //')
			if [ -n "$known" ]; then
				echo "# reproducer: $known (known)"
				continue
			fi
			mkdir -p "tests/fuzz/crashes/$t"
			cp "$f" "tests/fuzz/crashes/$t/"
			echo "# reproducer: tests/fuzz/crashes/$t/$(basename "$f")"
		done
		failed=$((failed + 1))
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
