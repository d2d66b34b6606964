# SPDX-License-Identifier: Apache-2.0
# Sourced by bench/run.sh and bench/other.sh after bench/lib.sh: the
# tracers a phase runs (start_TRACER / stop_TRACER), and the non-DNS
# traffic (iperf3 and sockperf across the pair, both ends on one CPU).

# At exit (bench/lib.sh's cleanup): the tracers and servers still running.
tracer_pids=()
bench_cleanup_extra() {
	local p
	for p in "${tracer_pids[@]}" ${iperf_pid:-} ${sockperf_pid:-}; do
		kill "$p" 2>/dev/null || true
	done
}

# Tracers.  start_TRACER sets tracer_pids (the processes whose CPU counts)
# and bpf_pid (whose BPF programs count, or empty).
start_none() { tracer_pids=(); bpf_pid=; }
stop_none() { lost=0; events=0; }

start_runner_json() {
	bench_start_runner "$tmp/events.json" -o json
	tracer_pids=("$runner_pid")
	bpf_pid=$runner_pid
}
start_runner_columns() {
	bench_start_runner /dev/null
	tracer_pids=("$runner_pid")
	bpf_pid=$runner_pid
}
stop_runner_any() {
	rss=$(awk '/VmHWM/ { print $2 }' /proc/"$runner_pid"/status)
	bench_stop_runner
	# "NAME: N events, L lost[, U untracked]"
	read -r events lost < <(grep ' events, ' "$tmp/runner.err" |
		tail -n 1 | sed -E 's/.* ([0-9]+) events, ([0-9]+) lost.*/\1 \2/')
	tracer_pids=()
}
stop_runner_json() { stop_runner_any; }
stop_runner_columns() { stop_runner_any; }

# wait until file $1 has a line matching $2
wait_line() {
	local i
	for ((i = 0; i < 400; i++)); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.025
	done
	echo "bench: no '$2' in $1" >&2
	cat "$1" >&2
	return 1
}

start_tcpdump() {
	local ns dev
	tracer_pids=()
	bpf_pid=
	for ns in $CLI_NS:veth0 $SRV_NS:veth1; do
		dev=${ns#*:}
		ns=${ns%:*}
		ip netns exec "$ns" tcpdump -i "$dev" -n -w /dev/null \
			udp port 53 2>"$tmp/tcpdump.$dev" &
		tracer_pids+=("$!")
		wait_line "$tmp/tcpdump.$dev" listening
	done
}
stop_tcpdump() {
	local p
	for p in "${tracer_pids[@]}"; do
		kill -INT "$p"
		wait "$p" || true
	done
	tracer_pids=()
	events=$(cat "$tmp"/tcpdump.veth* |
		awk '/packets captured/ { s += $1 } END { print s + 0 }')
	lost=$(cat "$tmp"/tcpdump.veth* |
		awk '/dropped by kernel/ { s += $1 } END { print s + 0 }')
}

start_tshark() {
	ip netns exec $SRV_NS tshark -i veth1 -n -l -f 'udp port 53' \
		-T fields -e dns.id -e dns.qry.name >"$tmp/tshark.out" \
		2>"$tmp/tshark.err" &
	tracer_pids=("$!")
	bpf_pid=
	wait_line "$tmp/tshark.err" Capturing
	# tshark captures through its child dumpcap
	tracer_pids+=($(pgrep -P "${tracer_pids[0]}" || true))
}
stop_tshark() {
	kill -INT "${tracer_pids[0]}"
	wait "${tracer_pids[0]}" || true
	tracer_pids=()
	events=$(wc -l <"$tmp/tshark.out")
	# the server's end sees a query and a response per completed query
	lost=$((2 * done_q > events ? 2 * done_q - events : 0))
}

# Other traffic.  Each tool's client and server on one CPU (PIN_CPU): a
# round trip is then that CPU's serial work, to which each tracer's
# per-packet cost adds.  Across both CPUs the scheduler's placement of the
# two ends moved the same setup's RTT by up to 20 % from one phase to the
# next, more than the tracers differ.  Callers keep
# kernel.bpf_stats_enabled off while it runs: its clock reads around every
# program run cost the runner's round trip ~2 %, tcpdump's ~1 %.
PIN_CPU=${PIN_CPU:-0}
pinned() { local ns=$1; shift; ip netns exec "$ns" taskset -c "$PIN_CPU" "$@"; }
# The servers, in iperf_pid and sockperf_pid (not through pinned(): $!
# must be the server itself; ip and taskset exec it).
other_servers_start() {
	ip netns exec $SRV_NS taskset -c "$PIN_CPU" iperf3 -s -B 10.99.0.2 \
		>/dev/null 2>&1 &
	iperf_pid=$!
	ip netns exec $SRV_NS taskset -c "$PIN_CPU" sockperf sr \
		-i 10.99.0.2 -p 11111 >/dev/null 2>&1 &
	sockperf_pid=$!
	sleep 0.5
}
# sockperf ping-pong for SECS: "p50_us round_trips"
pingpong() {
	pinned $CLI_NS sockperf pp -i 10.99.0.2 -p 11111 -t "$SECS" 2>&1 |
		awk '/percentile 50.000/ { p = $NF }
		/\[Total Run\]/ { sub(/.*ReceivedMessages=/, ""); n = $1 }
		END { print p, n + 0 }'
}
