#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What tracing DNS costs, in one run (issue 10's tables): dnsperf ->
# dnsmasq across a veth pair, untraced, with the runner (-o json to a file,
# -o columns to /dev/null), with tcpdump on both ends of the pair, with
# tshark decoding DNS on one; at the server's max rate and at a fixed rate;
# then what the tracers cost other traffic (iperf3, sockperf) and the
# runner's start-up time and peak RSS.  Phases alternate over ROUNDS rounds
# (the order reversed every other round); every number is a median.  The
# machine is shared and noisy: compare columns of the same run.  Kernel
# side: kernel.bpf_stats_enabled run time of the runner's own programs
# (found through its file descriptors).  The stats cost every BPF program
# run (the runner's ~3 % of its max QPS, and tcpdump's filter too): they
# are off for the max-rate phases, whose BPF time comes from one more
# runner phase per round with them on, and for the other traffic (below).
# Prints Markdown.
#   bench/run.sh [ROUNDS] [SECONDS]      (default 3 rounds, 5 s per phase)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-5}
RATE=${RATE:-20000}
. bench/lib.sh
. bench/tracers.sh
bench_bpf_stats_on

median() { sort -g | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }'; }

# busy jiffies of the whole machine
machine_busy() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# dnsperf [ARGS]: "completed qps"
dnsperf_run() {
	ip netns exec $CLI_NS dnsperf -s 10.99.0.2 -d "$tmp/queries" \
		-l "$SECS" "$@" 2>/dev/null |
		awk '/Queries completed/ { c = $3 } /Queries per second/ { q = $4 }
		END { print c + 0, q + 0 }'
}

# One phase: tracer $1, load $2 (max | fixed); appends to $tmp/res.$2.$1:
# qps queries tracer_cpu_ns bpf_ns machine_busy_jiffies events lost rss
phase() {
	local tr=$1 load=$2 c0 c1 b0 b1 m0 m1 out bn0 bn1
	rss=0
	"start_$tr"
	c0=$(cpu_ns "${tracer_pids[@]}")
	[ -n "$bpf_pid" ] && read -r b0 bn0 < <(bpf_ns "$bpf_pid")
	m0=$(machine_busy)
	if [ "$load" != fixed ]; then
		out=$(dnsperf_run -c 4 -q 200)
	else
		out=$(dnsperf_run -c 4 -q 200 -Q "$RATE")
	fi
	m1=$(machine_busy)
	[ -n "$bpf_pid" ] && read -r b1 bn1 < <(bpf_ns "$bpf_pid")
	c1=$(cpu_ns "${tracer_pids[@]}")
	read -r done_q qps <<<"$out"
	"stop_$tr"
	echo "$qps $done_q $((c1 - c0)) $((${b1:-0} - ${b0:-0})) $((m1 - m0))" \
		"$events $lost $rss" >>"$tmp/res.$load.$tr"
}

# median of column $3 (1-based) of phase results $1.$2, through awk expr $4
col() {
	[ -f "$tmp/res.$1.$2" ] || { echo -; return; }
	awk -v hz="$(getconf CLK_TCK)" "{ \$0 = \$0; print $3 }" \
		"$tmp/res.$1.$2" | median
}

fmt() { awk -v v="$1" -v f="$2" 'BEGIN { if (v == "-") print "-"; else printf f, v }'; }

MAX_TRACERS="none runner_json runner_columns tcpdump tshark"
FIXED_TRACERS="none runner_json tcpdump"
run_rounds() { # load tracers...
	local load=$1 r t list
	shift
	for ((r = 0; r < ROUNDS; r++)); do
		list=$*
		((r % 2)) && list=$(echo "$list" | tr ' ' '\n' | tac | paste -sd' ')
		for t in $list; do
			phase "$t" "$load"
		done
	done
}

echo "bench: $ROUNDS rounds of ${SECS}s phases; max rate" >&2
bench_bpf_stats_pause
run_rounds max $MAX_TRACERS
bench_bpf_stats_on
echo "bench: max rate, the runner's BPF time" >&2
run_rounds maxbpf runner_json runner_columns
echo "bench: fixed rate $RATE/s" >&2
run_rounds fixed $FIXED_TRACERS

# ---- other traffic: iperf3 and sockperf across the pair ----
# (bench/tracers.sh: both ends on one CPU), kernel.bpf_stats_enabled off;
# the runner's BPF time comes from one more sockperf run of the same
# length with it on.
other_servers_start
other() { # tracer: appends "gbps rtt_us bpf_ns round_trips" to $tmp/other.$1
	local tr=$1 b0=0 b1=0 bps rtt trips=0
	"start_$tr"
	bps=$(pinned $CLI_NS iperf3 -c 10.99.0.2 -t "$SECS" -J |
		jq '.end.sum_received.bits_per_second')
	read -r rtt _ < <(pingpong)
	if [ -n "$bpf_pid" ]; then
		bench_bpf_stats_on
		read -r b0 _ < <(bpf_ns "$bpf_pid")
		read -r _ trips < <(pingpong)
		read -r b1 _ < <(bpf_ns "$bpf_pid")
		bench_bpf_stats_pause
	fi
	"stop_$tr"
	echo "$bps $rtt $((b1 - b0)) $trips" >>"$tmp/other.$tr"
}
bench_bpf_stats_pause
echo "bench: other traffic" >&2
for ((r = 0; r < ROUNDS; r++)); do
	list="none runner_json tcpdump"
	((r % 2)) && list="tcpdump runner_json none"
	for t in $list; do other "$t"; done
done

# ---- start-up: spawn to attached, from the local store ----
echo "bench: start-up" >&2
for ((r = 0; r < 5; r++)); do
	bench_start_runner /dev/null -o json
	bench_stop_runner
	echo "$bench_ready_ms" >>"$tmp/startup"
done

# ---- the tables ----
name() {
	case $1 in
	none) echo untraced ;;
	runner_json) echo "runner -o json > file" ;;
	runner_columns) echo "runner columns > /dev/null" ;;
	tcpdump) echo "tcpdump (both ends)" ;;
	tshark) echo "tshark (one end)" ;;
	esac
}
row() { # load title awk-expr format tracers...
	local load=$1 title=$2 expr=$3 f=$4 t line
	shift 4
	line="| $title |"
	for t in "$@"; do
		line+=" $(fmt "$(col "$load" "$t" "$expr")" "$f") |"
	done
	echo "$line"
}
header() {
	local line="| $1 |" sep="|---|" t
	shift
	for t in "$@"; do
		line+=" $(name "$t") |"
		sep+="---|"
	done
	echo "$line"
	echo "$sep"
}

echo "trace_dns bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)," \
	"$(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))," \
	"commit $(git rev-parse --short HEAD 2>/dev/null || echo -)," \
	"$ROUNDS rounds of ${SECS}s, medians"
echo
# columns: 1 qps 2 queries 3 tracer_ns 4 bpf_ns 5 busy 6 events 7 lost 8 rss
header "max rate (dnsperf -c 4 -q 200)" $MAX_TRACERS
row max "QPS" '$1' "%.0f" $MAX_TRACERS
row maxbpf "BPF us per query (other phases, stats on)" '$4 / $2 / 1000' "%.2f" $MAX_TRACERS | sed -e :a -e 's/| 0.00 |/| - |/;ta'
row max "tracer CPU us per query" '$3 / $2 / 1000' "%.2f" $MAX_TRACERS
row max "tracer CPU us per event" '$6 ? $3 / $6 / 1000 : 0' "%.2f" $MAX_TRACERS
row max "machine CPU us per query" '$5 / hz * 1e6 / $2' "%.1f" $MAX_TRACERS
row max "events (packets) per query" '$6 / $2' "%.2f" $MAX_TRACERS
row max "lost" '$7' "%d" $MAX_TRACERS
echo
header "fixed $RATE queries/s" $FIXED_TRACERS
row fixed "QPS" '$1' "%.0f" $FIXED_TRACERS
row fixed "machine CPU us per query" '$5 / hz * 1e6 / $2' "%.1f" $FIXED_TRACERS
row fixed "BPF us per query" '$4 / $2 / 1000' "%.2f" $FIXED_TRACERS | sed -e :a -e 's/| 0.00 |/| - |/;ta'
row fixed "tracer CPU us per query" '$3 / $2 / 1000' "%.2f" $FIXED_TRACERS
row fixed "tracer CPU us per event" '$6 ? $3 / $6 / 1000 : 0' "%.2f" $FIXED_TRACERS
row fixed "lost" '$7' "%d" $FIXED_TRACERS
echo
# other traffic: the median over rounds of each round's ratio to untraced
rounds_ratio() { # tracer field
	paste -d' ' "$tmp/other.$1" "$tmp/other.none" |
		awk -v f="$2" -v n="$(awk 'NR == 1 { print NF }' "$tmp/other.none")" \
			'{ if ($(f + n) > 0) printf "%.4f\n", $f / $(f + n) }' |
		median | awk '{ if ($1 == "-") print "-"; else printf "%.2f", $1 }'
}
b_gbps=$(awk '{ print $1 }' "$tmp/other.none" | median)
b_rtt=$(awk '{ print $2 }' "$tmp/other.none" | median)
echo "| other traffic (no DNS; client and server on CPU $PIN_CPU; medians of per-round ratios) | untraced | runner | tcpdump port 53 |"
echo "|---|---|---|---|"
line="| iperf3 TCP throughput (untraced $(fmt "$b_gbps" "%.3g" | awk '{ printf "%.1f", $1 / 1e9 }') Gbit/s) |"
for t in none runner_json tcpdump; do
	line+=" $(rounds_ratio "$t" 1) |"
done
echo "$line"
line="| sockperf UDP ping-pong latency p50, half a round trip (untraced $b_rtt us) |"
for t in none runner_json tcpdump; do
	line+=" $(rounds_ratio "$t" 2) |"
done
echo "$line"
echo "| runner BPF ns per round trip (one more sockperf run, stats on) | - |" \
	"$(awk '{ if ($4) printf "%.0f\n", $3 / $4 }' "$tmp/other.runner_json" |
		median) | - |"
echo
echo "| runner start-up and memory | |"
echo "|---|---|"
echo "| spawn to attached, from the local store (median of 5) | $(median <"$tmp/startup") ms |"
echo "| peak RSS (VmHWM) after the max-rate -o json phase | $(fmt "$(col max runner_json '$8 / 1024')" "%.1f") MB |"
if [ -x "$BUILD/bench/progrun" ]; then
	echo
	echo "The socket filter alone, BPF_PROG_TEST_RUN (best of 7 x 5000 runs):"
	echo
	"$BUILD/bench/progrun" "$BUILD/gadget/trace_dns/program.bpf.o" |
		sed 's/^/    /'
fi
