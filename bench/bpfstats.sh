#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Kernel cost of trace_dns per program: the setup of bench/run.sh (dnsperf ->
# dnsmasq across a veth pair), traced, with kernel.bpf_stats_enabled=1;
# prints the runs and average ns per run of each program of the runner
# (netns_disp includes the trace_dns filter it tail-calls) during the load,
# and the total per DNS query.  LOAD: dns (dnsperf at max rate), dns20k
# (20k queries/s), stub (bench/stubq.py: a new UDP socket per query, one
# query at a time, as stub resolvers send), tcp (iperf3) or udp (sockperf
# ping-pong): no DNS.
# For DNS loads also the machine's CPU per query (all of it, other
# sessions included) and the traffic's own: dnsperf's and dnsmasq's CPU,
# which holds the softirqs run in their context (the taps on their
# packets, inside bpf_stats or not); and how often the runner slept and
# was woken.
#   bench/bpfstats.sh [SECONDS] [LOAD]      (default 10 dns)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
LOAD=${2:-dns}
. bench/lib.sh
srv_pid=
bench_cleanup_extra() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null || true
}

bench_start_runner /dev/null -o json

# {name: [run_time_ns, run_cnt]} over the programs the runner holds and
# those that use its maps (the per-namespace dispatchers)
snap() {
	local ids maps
	ids=$(grep -h '^prog_id:' /proc/"$runner_pid"/fdinfo/* |
		awk '{ print $2 }' | sort -u | paste -sd, -)
	maps=$(grep -h '^map_id:' /proc/"$runner_pid"/fdinfo/* |
		awk '{ print $2 }' | sort -u | paste -sd, -)
	bpftool prog show -j | jq -c --argjson ids "[$ids]" \
		--argjson maps "[$maps]" '
		[.[] | select((.id as $i | $ids | index($i)) or
			any(.map_ids[]?; . as $m | $maps | index($m)))] |
		group_by(.name) |
		map({key: .[0].name, value: [(map(.run_time_ns // 0) | add),
			(map(.run_cnt // 0) | add)]}) | from_entries'
}

case $LOAD in
tcp)
	ip netns exec $SRV_NS iperf3 -s -B 10.99.0.2 >/dev/null 2>&1 &
	srv_pid=$!
	sleep 0.3
	;;
udp)
	ip netns exec $SRV_NS sockperf sr -i 10.99.0.2 -p 11111 \
		>/dev/null 2>&1 &
	srv_pid=$!
	sleep 0.3
	;;
esac
bench_bpf_stats_on
s0=$(snap)
# busy clock ticks of the machine (user, nice, system, irq, softirq, steal)
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }
# times the runner's threads went to sleep and were woken again
wakes() {
	cat /proc/"$runner_pid"/task/*/status |
		awk '/^voluntary_ctxt_switches/ { s += $2 } END { print s }'
}
b0=$(busy)
w0=$(wakes)
queries=0
case $LOAD in
dns | dns20k | stub)
	rate=()
	[ "$LOAD" = dns20k ] && rate=(-Q 20000)
	srv0=$(awk '{ print $1 }' /proc/"$(cat "$tmp/dnsmasq.pid")"/schedstat)
	# `times`: the subshell's children's CPU (the client), last line
	out=$(
		if [ "$LOAD" = stub ]; then
			ip netns exec $CLI_NS bench/stubq.py 10.99.0.2 "$SECS" \
				"$tmp/queries"
		else
			ip netns exec $CLI_NS dnsperf -s 10.99.0.2 \
				-d "$tmp/queries" -l "$SECS" -c 4 -q 200 \
				"${rate[@]}" 2>/dev/null
		fi
		times
	)
	srv1=$(awk '{ print $1 }' /proc/"$(cat "$tmp/dnsmasq.pid")"/schedstat)
	queries=$(awk '/Queries completed/ { print $3 }' <<<"$out")
	printf 'traced QPS %s\n' "$(awk '/Queries per second/ { print $4 }' <<<"$out")"
	# the traffic's own CPU (both ends' processes, and the softirqs that
	# run in their context: the hooks on their packets included)
	tail -n 1 <<<"$out" | tr 'ms' '  ' | awk -v q="$queries" \
		-v srv="$((srv1 - srv0))" '{
		c = ($1 * 60 + $2 + $3 * 60 + $4) * 1e9
		printf "traffic CPU %.2f us per query (client %.2f, server %.2f)\n",
			(c + srv) / 1e3 / q, c / 1e3 / q, srv / 1e3 / q }'
	;;
tcp)
	ip netns exec $CLI_NS iperf3 -c 10.99.0.2 -t "$SECS" |
		grep receiver
	;;
udp)
	ip netns exec $CLI_NS sockperf pp -i 10.99.0.2 -p 11111 -t "$SECS" |
		grep -E 'Summary|percentile 50.000'
	;;
esac
b1=$(busy)
w1=$(wakes)
s1=$(snap)
echo "runner wake-ups $(((w1 - w0) / SECS)) a second"
[ "$queries" -gt 0 ] 2>/dev/null &&
	awk -v b="$((b1 - b0))" -v hz="$(getconf CLK_TCK)" -v q="$queries" \
		'BEGIN { printf "machine CPU %.1f us per query\n", b / hz * 1e6 / q }'
jq -nr --argjson a "$s0" --argjson b "$s1" --argjson q "$queries" '
	[$b | to_entries[] | .key as $k |
	 [.value[0] - ($a[$k][0] // 0), .value[1] - ($a[$k][1] // 0)] as [$t, $n] |
	 select($n > 0) | {k: $k, t: $t, n: $n}] |
	(.[] | "\(.k)\t\(.n) runs\t\(.t / .n | floor) ns/run\t\(.t / 1e6 | floor) ms"),
	"all\t\(map(.n) | add // 0) runs\t\(map(.t) | add // 0 | . / 1e6 | floor) ms\t" +
	(if $q > 0 then "\(map(.t) | add // 0 | . / $q | floor) ns per query" else "" end)' |
	column -t -s $'\t'
