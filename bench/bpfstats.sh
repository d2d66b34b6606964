#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Kernel cost of trace_dns per program: the setup of bench/run.sh (dnsperf ->
# dnsmasq across a veth pair), traced, with kernel.bpf_stats_enabled=1;
# prints the average ns per run of each program the runner loaded during
# the load (netns_disp includes the trace_dns filter it tail-calls).
#   bench/bpfstats.sh [SECONDS]      (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
GADGET=${GADGET:-gadget/trace_dns} # another version to compare
SECS=${1:-10}
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"

tmp=$(mktemp -d)
store=$tmp/store
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	sysctl -qw kernel.bpf_stats_enabled="$stats_was" || true
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

"$BUILD/runner" image build "$GADGET" -t trace_dns:bench \
	--store "$store" 2>/dev/null

bpftool prog show -j | jq '.[].id' | sort >"$tmp/before"
RUNNER_READY_FILE=$tmp/ready "$BUILD/runner" run trace_dns:bench \
	--store "$store" -o json >/dev/null 2>"$tmp/runner.err" &
runner_pid=$!
while [ ! -f "$tmp/ready" ]; do sleep 0.05; done
bpftool prog show -j | jq '.[].id' | sort >"$tmp/after"
ids=$(comm -13 "$tmp/before" "$tmp/after" | paste -sd, -)

# {name: [run_time_ns, run_cnt]} summed over the runner's programs
snap() {
	bpftool prog show -j | jq -c --argjson ids "[$ids]" '
		[.[] | select(.id as $i | $ids | index($i))] | group_by(.name) |
		map({key: .[0].name, value: [(map(.run_time_ns // 0) | add),
			(map(.run_cnt // 0) | add)]}) | from_entries'
}
sysctl -qw kernel.bpf_stats_enabled=1
s0=$(snap)
qps=$(ip netns exec bench-cli dnsperf -s 10.99.0.2 -d "$tmp/queries" \
	-l "$SECS" -c 4 -q 200 2>/dev/null | awk '/Queries per second/ { print $4 }')
s1=$(snap)
printf 'traced QPS %s\n' "$qps"
jq -nr --argjson a "$s0" --argjson b "$s1" '
	$b | to_entries[] | .key as $k |
	[.value[0] - $a[$k][0], .value[1] - $a[$k][1]] as [$t, $n] |
	select($n > 0) |
	"\($k)\t\($n) runs\t\($t / $n | floor) ns/run\t\($t / 1e9 * 100 | floor / 100) s"' |
	column -t -s $'\t'
