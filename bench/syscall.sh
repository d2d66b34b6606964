#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What a runner's hooks cost every syscall of the host: `perf bench
# syscall basic` (getppid(2) in a loop, ns a call) untraced and while
# `runner run GADGET -o json` of each build runs, the setups alternated in
# each round; prints every round's figures and the median of each.  A
# syscall tracepoint attached anywhere puts every syscall of every task on
# the kernel's slow path, whatever it hooks.
#   BUILDS="build /path/to/other/build" bench/syscall.sh [GADGET] [ROUNDS] [LOOPS]
# GADGET: a gadget's folder (default tests/fixtures/ig_sockets: ig's
# socket enricher), built into an image by the first build's runner;
# default 5 rounds of 3000000 calls.
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a builds <<<"${BUILDS:-build}"
GADGET=${1:-tests/fixtures/ig_sockets}
ROUNDS=${2:-5}
LOOPS=${3:-3000000}
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
. bench/lock.sh

tmp=$(mktemp -d)
cleanup() {
	[ -n "${runner_pid:-}" ] && kill -INT "$runner_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

"${builds[0]}/runner" image build "$GADGET" -t syscall:bench \
	--store "$tmp/store" >/dev/null 2>&1

per_call() { # ns a call of perf bench syscall basic
	perf bench syscall basic -l "$LOOPS" |
		awk '/usecs\/op/ { printf "%.1f\n", $1 * 1000 }'
}

with_runner() { # build: per_call() while its runner runs the gadget
	rm -f "$tmp/ready"
	RUNNER_READY_FILE=$tmp/ready "$1/runner" run syscall:bench \
		--store "$tmp/store" -o json >/dev/null 2>"$tmp/runner.err" &
	runner_pid=$!
	while [ ! -f "$tmp/ready" ]; do
		kill -0 "$runner_pid" 2>/dev/null || {
			cat "$tmp/runner.err" >&2
			exit 1
		}
		sleep 0.05
	done
	per_call
	kill -INT "$runner_pid"
	wait "$runner_pid" || true
	runner_pid=
}

for ((r = 1; r <= ROUNDS; r++)); do
	echo "none $(per_call)" >>"$tmp/figures"
	for b in "${builds[@]}"; do
		echo "$b $(with_runner "$b")" >>"$tmp/figures"
	done
	echo "round $r: $(tail -n $((${#builds[@]} + 1)) "$tmp/figures" |
		tr '\n' ' ')"
done

echo "ns per syscall, median (runs):"
for s in none "${builds[@]}"; do
	awk -v s="$s" '$1 == s { print $2 }' "$tmp/figures" | sort -n |
		awk -v s="$s" '{ v[NR] = $1; all = all " " $1 }
			END {
				m = v[int((NR + 1) / 2)]
				if (NR % 2 == 0)
					m = (m + v[NR / 2 + 1]) / 2
				printf "%s: %.1f (%s )\n", s, m, all
			}'
done
