#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Throughput cost of tracing: dnsperf -> dnsmasq across a veth pair, first
# untraced, then with `runner run trace_dns -o json > file`, in the same
# run (machines are noisy: compare the ratio, not the absolute numbers).
#   bench/run.sh [SECONDS]      (default 10 per phase)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
SECS=${1:-10}
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"

tmp=$(mktemp -d)
store=$tmp/store
cleanup() {
	[ -n "${runner_pid:-}" ] && kill -INT "$runner_pid" 2>/dev/null || true
	[ -f "$tmp/dnsmasq.pid" ] && kill "$(cat "$tmp/dnsmasq.pid")" 2>/dev/null || true
	ip netns del bench-srv 2>/dev/null || true
	ip netns del bench-cli 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add bench-srv
ip netns add bench-cli
ip -n bench-cli link add veth0 type veth peer name veth1 netns bench-srv
ip -n bench-cli addr add 10.99.0.1/24 dev veth0
ip -n bench-srv addr add 10.99.0.2/24 dev veth1
for ns in bench-cli bench-srv; do
	ip -n $ns link set lo up
done
ip -n bench-cli link set veth0 up
ip -n bench-srv link set veth1 up

ip netns exec bench-srv dnsmasq --no-resolv --no-hosts --bind-interfaces \
	--listen-address=10.99.0.2 --address=/bench.test/10.1.2.3 \
	--cache-size=10000 --pid-file="$tmp/dnsmasq.pid" --user=root
for i in $(seq 1 100); do echo "host$i.bench.test A"; done >"$tmp/queries"

"$BUILD/runner" image build gadget/trace_dns -t trace_dns:bench \
	--store "$store" 2>/dev/null

qps() {
	ip netns exec bench-cli dnsperf -s 10.99.0.2 -d "$tmp/queries" \
		-l "$SECS" -c 4 -q 200 2>/dev/null |
		awk '/Queries per second/ { print $4 }'
}

base=$(qps)
RUNNER_READY_FILE=$tmp/ready "$BUILD/runner" run trace_dns:bench \
	--store "$store" -o json >"$tmp/events.json" 2>"$tmp/runner.err" &
runner_pid=$!
while [ ! -f "$tmp/ready" ]; do sleep 0.05; done
traced=$(qps)
kill -INT "$runner_pid"
wait "$runner_pid" || true
runner_pid=
events=$(wc -l <"$tmp/events.json")
summary=$(tail -n 1 "$tmp/runner.err")

ratio=$(awk -v a="$traced" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
printf 'untraced QPS %s, traced QPS %s, ratio %s\n' "$base" "$traced" "$ratio"
printf 'runner: %s (%s JSON lines)\n' "$summary" "$events"
