#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Replay every saved input through every fuzz target once (-runs=0): the
# seeds (tests/fuzz/corpus/*/) and the reproducers of earlier findings
# (tests/fuzz/crashes/*/), so that a regression of a fixed finding fails
# `make check` at once.  Each target gets every input, not only its own:
# a target must survive any bytes.  TAP: the plan, then one line per
# target.  The targets are built by `make fuzz-bin` (FUZZ_BUILD=build);
# dns_bpf runs the trace_dns socket filter in the kernel, so root.
set -u
cd "$(dirname "$0")/../.."
FUZZ_BUILD=${FUZZ_BUILD:-${BUILD:-build}}

targets=()
for src in tests/fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	targets+=("${t#fuzz_}")
done
echo "1..${#targets[@]}"

# One copy of each distinct input, named by its hash: the targets' corpus
# folder.  libFuzzer may write to it; the sources stay untouched.
inputs=$(mktemp -d)
scratch=$(mktemp -d "$([ -w /dev/shm ] && echo /dev/shm || echo /tmp)/runner-replay.XXXXXX")
trap 'rm -rf "$inputs" "$scratch"' EXIT
find tests/fuzz/corpus tests/fuzz/crashes -type f ! -name '*.md' \
	-exec sh -c 'for f; do cp "$f" "$0/$(sha1sum <"$f" | cut -c1-40)"; done' \
	"$inputs" {} +
total=$(find "$inputs" -type f | wc -l)
export FUZZ_TMPDIR=$scratch

n=0
failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	bin=$FUZZ_BUILD/fuzz/fuzz_$t
	log=$scratch/$t.log
	if [ ! -x "$bin" ]; then
		echo "not ok $n - $t: $bin is not built (make fuzz-bin)"
		failed=$((failed + 1))
		continue
	fi
	work=$scratch/corpus-$t
	art=$scratch/artifacts-$t
	mkdir -p "$art"
	cp -r "$inputs" "$work"
	timeout 300 "$bin" -runs=0 -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$art/" "$work" \
		>"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $rc -eq 0 ] && [ "${runs:-0}" -ge "$total" ]; then
		echo "ok $n - $t: $total inputs replayed ($runs runs)"
		continue
	fi
	failed=$((failed + 1))
	if [ $rc -eq 0 ]; then
		echo "not ok $n - $t: ${runs:-no} runs for $total inputs"
	else
		echo "not ok $n - $t: exit $rc"
	fi
	grep -m3 -E 'ERROR: |invariant|runtime error|Abort|deadly signal' \
		"$log" | sed 's/^/# /'
	for f in "$art"/*; do
		[ -f "$f" ] || continue
		orig=$(sha1sum "$f" | cut -c1-40)
		was=$(find tests/fuzz/corpus tests/fuzz/crashes -type f \
			-exec sha1sum {} + | grep "^$orig " | sed 's/^[0-9a-f]*  //')
		echo "# input: ${was:-$(basename "$f")}"
	done
done
[ "$failed" -eq 0 ]
