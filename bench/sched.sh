#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What a tracer costs the traced workload's scheduling: the setup of
# bench/run.sh (dnsperf -> dnsmasq across a veth pair), one dnsperf run per
# variant, rounds alternated, one line per run: QPS, and per query the
# machine's CPU, the traffic's (dnsperf + dnsmasq, the softirqs run in
# their context included), the tracer's, the runner's BPF programs' run
# time (kernel.bpf_stats_enabled; inside the traffic's), and the machine's rescheduling
# (RES), function-call (CAL) and irq-work (IWI) interrupts and context
# switches (deltas of /proc/interrupts and /proc/stat); the tracer's own
# context switches per second; lost events.
#   bench/sched.sh ROUNDS SECONDS max|QPS VARIANT...
# VARIANT: none | tcpdump | json[:ARG,ARG...] | columns[:ARG,...]: the
# runner, -o json to a file or columns to /dev/null, with runner run's
# ARGs (e.g. json:--nice,0); ARG idle or batch: the runner then moved to
# SCHED_IDLE / SCHED_BATCH once attached; ARG NAME=VALUE: in the
# runner's environment; ARG @TAG: image trace_dns:TAG,
# built from directory $GADGET_TAG (e.g. GADGET_v2=/tmp/g2).
# PERF_DIR=DIR: `perf record -a -g` during each run, into DIR/VARIANT.ROUND.data.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 4 ] || {
	echo "usage: $0 ROUNDS SECONDS max|QPS VARIANT..." >&2
	exit 2
}
ROUNDS=$1 SECS=$2 LOAD=$3
shift 3
. bench/lib.sh
bench_bpf_stats_on
tracer_pids=()
bench_cleanup_extra() {
	local p
	for p in "${tracer_pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
for v in "$@"; do
	tag=$(tr ',' '\n' <<<"${v#*:}" | sed -n 's/^@//p')
	[ -n "$tag" ] || continue
	var=GADGET_$tag
	"$BUILD/runner" image build "${!var}" -t "trace_dns:$tag" \
		--store "$store" 2>/dev/null
done

# context switches of the processes given (all their threads)
ctx_of() {
	local p
	for p in "$@"; do cat /proc/"$p"/task/*/status 2>/dev/null; done |
		awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'
}
# busy jiffies, context switches, RES, CAL, IWI (all CPUs)
counters() {
	awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9 } /^ctxt/ { c = $2 }
		END { printf "%d %d ", b, c }' /proc/stat
	awk '$1 ~ /^(RES|CAL|IWI):$/ { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; v[$1] = s }
		END { print v["RES:"], v["CAL:"], v["IWI:"] }' /proc/interrupts
}

start_variant() {
	local v=$1 kind args a img=trace_dns:bench out=/dev/null post=
	tracer_pids=()
	case $v in
	none) return ;;
	tcpdump)
		for a in bcli$$:veth0 bsrv$$:veth1; do
			ip netns exec "${a%:*}" tcpdump -i "${a#*:}" -n -w /dev/null \
				udp port 53 2>"$tmp/tcpdump.${a#*:}" &
			tracer_pids+=("$!")
			until grep -q listening "$tmp/tcpdump.${a#*:}"; do sleep 0.02; done
		done
		return
		;;
	esac
	kind=${v%%:*}
	args=() envs=()
	if [ "$kind" != "$v" ]; then
		for a in $(tr ',' ' ' <<<"${v#*:}"); do
			case $a in
			idle | batch) post=$a ;;
			@*) img=trace_dns:${a#@} ;;
			[A-Z]*=*) envs+=("$a") ;;
			*) args+=("$a") ;;
			esac
		done
	fi
	[ "$kind" = json ] && out=$tmp/events.json && args+=(-o json)
	rm -f "$tmp/ready"
	env "${envs[@]}" RUNNER_READY_FILE="$tmp/ready" "$BUILD/runner" run "$img" \
		--store "$store" "${args[@]}" >"$out" 2>"$tmp/runner.err" &
	runner_pid=$!
	while [ ! -f "$tmp/ready" ]; do sleep 0.05; done
	case $post in
	idle) chrt -a -i -p 0 "$runner_pid" >/dev/null ;;
	batch) chrt -a -b -p 0 "$runner_pid" >/dev/null ;;
	esac
	tracer_pids=("$runner_pid")
}
stop_variant() {
	local p
	lost=0
	case $1 in
	none) ;;
	tcpdump)
		for p in "${tracer_pids[@]}"; do
			kill -INT "$p"
			wait "$p" || true
		done
		lost=$(cat "$tmp"/tcpdump.veth* |
			awk '/dropped by kernel/ { s += $1 } END { print s + 0 }')
		;;
	*)
		bench_stop_runner
		lost=$(grep ' events, ' "$tmp/runner.err" | tail -n 1 |
			sed -E 's/.* ([0-9]+) lost.*/\1/')
		rm -f "$tmp/events.json"
		;;
	esac
	tracer_pids=()
}

phase() {
	local v=$1 rate=() c0 c1 k0 k1 s0 s1 x0 x1 bp0=0 bp1=0 out perf_pid=
	[ "$LOAD" = max ] || rate=(-Q "$LOAD")
	start_variant "$v"
	sleep 0.2
	c0=$(cpu_ns "${tracer_pids[@]}")
	x0=$(ctx_of "${tracer_pids[@]}")
	[ -n "$runner_pid" ] && read -r bp0 _ < <(bpf_ns "$runner_pid")
	s0=$(awk '{ print $1 }' /proc/"$(cat "$tmp/dnsmasq.pid")"/schedstat)
	k0=$(counters)
	if [ -n "${PERF_DIR:-}" ]; then
		perf record -a -g -F 1999 -o "$PERF_DIR/${v//[:,]/_}.$r.data" \
			-- sleep "$SECS" >/dev/null 2>&1 &
		perf_pid=$!
	fi
	out=$(
		ip netns exec $CLI_NS dnsperf -s 10.99.0.2 -d "$tmp/queries" \
			-l "$SECS" -c 4 -q 200 "${rate[@]}" 2>/dev/null
		times
	)
	k1=$(counters)
	[ -z "$perf_pid" ] || wait "$perf_pid"
	s1=$(awk '{ print $1 }' /proc/"$(cat "$tmp/dnsmasq.pid")"/schedstat)
	c1=$(cpu_ns "${tracer_pids[@]}")
	x1=$(ctx_of "${tracer_pids[@]}")
	[ -n "$runner_pid" ] && read -r bp1 _ < <(bpf_ns "$runner_pid")
	stop_variant "$v"
	awk -v v="$v" -v k0="$k0" -v k1="$k1" -v tr=$((c1 - c0)) \
		-v srv=$((s1 - s0)) -v tx=$((x1 - x0)) -v bpf=$((bp1 - bp0)) \
		-v secs="$SECS" -v hz="$(getconf CLK_TCK)" '
		/Queries completed/ { q = $3 }
		/Queries per second/ { qps = $4 }
		END {
			split(k0, a, " "); split(k1, b, " ")
			gsub(/[ms]/, " ", last); split(last, t, " ")
			cli = (t[1] * 60 + t[2] + t[3] * 60 + t[4]) * 1e9
			printf "%-24s qps %6.0f  us/query: machine %5.1f traffic %5.1f tracer %4.2f bpf %4.2f  per query: RES %.3f CAL %.3f IWI %.3f ctxt %.2f  tracer ctxt/s %d  lost %s\n",
				v, qps, (b[1] - a[1]) / hz * 1e6 / q, (cli + srv) / 1e3 / q,
				tr / 1e3 / q, bpf / 1e3 / q, (b[3] - a[3]) / q, (b[4] - a[4]) / q,
				(b[5] - a[5]) / q, (b[2] - a[2]) / q, tx / secs, lost }
		{ last = $0 }' lost="$lost" <<<"$out"
}

for ((r = 1; r <= ROUNDS; r++)); do
	list=("$@")
	if ((r % 2 == 0)); then
		list=()
		for ((i = $#; i >= 1; i--)); do list+=("${!i}"); done
	fi
	for v in "${list[@]}"; do phase "$v"; done
done
