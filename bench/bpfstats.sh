#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Kernel cost of trace_dns per program: the setup of bench/run.sh (dnsperf ->
# dnsmasq across a veth pair), traced, with kernel.bpf_stats_enabled=1;
# prints the average ns per run of each program the runner loaded during
# the load (netns_disp includes the trace_dns filter it tail-calls).
#   bench/bpfstats.sh [SECONDS]      (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
. bench/lib.sh
stats_was=$(sysctl -n kernel.bpf_stats_enabled)
bench_cleanup_extra() {
	sysctl -qw kernel.bpf_stats_enabled="$stats_was" || true
}

bpftool prog show -j | jq '.[].id' | sort >"$tmp/before"
bench_start_runner /dev/null -o json
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
