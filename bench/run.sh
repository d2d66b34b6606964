#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Throughput cost of tracing: dnsperf -> dnsmasq across a veth pair, first
# untraced, then with `runner run trace_dns -o json > file`, in the same
# run (machines are noisy: compare the ratio, not the absolute numbers).
#   bench/run.sh [SECONDS]      (default 10 per phase)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
. bench/lib.sh

qps() {
	ip netns exec bench-cli dnsperf -s 10.99.0.2 -d "$tmp/queries" \
		-l "$SECS" -c 4 -q 200 2>/dev/null |
		awk '/Queries per second/ { print $4 }'
}

base=$(qps)
bench_start_runner "$tmp/events.json" -o json
traced=$(qps)
bench_stop_runner
events=$(wc -l <"$tmp/events.json")
summary=$(tail -n 1 "$tmp/runner.err")

ratio=$(awk -v a="$traced" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
printf 'untraced QPS %s, traced QPS %s, ratio %s\n' "$base" "$traced" "$ratio"
printf 'runner: %s (%s JSON lines)\n' "$summary" "$events"
