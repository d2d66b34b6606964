# SPDX-License-Identifier: Apache-2.0
# Shared by the bench scripts (sourced): two test hosts in network
# namespaces joined by a veth pair, dnsmasq answering on one, a dnsperf
# query file, the trace_dns image in a throwaway store, and cleanup.
# Before sourcing: cd to the repo root; BUILD and GADGET may be set.
BUILD=${BUILD:-build}
GADGET=${GADGET:-gadget/trace_dns}
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
# Load at full rate reaches every host-wide tracer on the machine: no
# end-to-end test runs meanwhile.
. bench/lock.sh

tmp=$(mktemp -d)
# per run: other benchmarks may be running on the machine
SRV_NS=bsrv$$
CLI_NS=bcli$$
store=$tmp/store
runner_pid=
bench_cleanup_extra() { :; }
bench_stats_was=
bench_cleanup() {
	bench_cleanup_extra
	[ -n "$bench_stats_was" ] &&
		sysctl -qw kernel.bpf_stats_enabled="$bench_stats_was" || true
	[ -s "$tmp/runner.err" ] && tail -n 3 "$tmp/runner.err" >&2
	[ -n "$runner_pid" ] && kill -INT "$runner_pid" 2>/dev/null || true
	[ -f "$tmp/dnsmasq.pid" ] && kill "$(cat "$tmp/dnsmasq.pid")" 2>/dev/null || true
	ip netns del $SRV_NS 2>/dev/null || true
	ip netns del $CLI_NS 2>/dev/null || true
	rm -rf "$tmp"
}
trap bench_cleanup EXIT

. bench/nap.sh
# Wait for the ready file of the runner just started (runner_pid); its
# errors, and exit, if it ended instead.
bench_wait_ready() { bench_await_ready "$runner_pid" "$tmp/runner.err"; }

ip netns add $SRV_NS
ip netns add $CLI_NS
ip -n $CLI_NS link add veth0 type veth peer name veth1 netns $SRV_NS
ip -n $CLI_NS addr add 10.99.0.1/24 dev veth0
ip -n $SRV_NS addr add 10.99.0.2/24 dev veth1
for ns in $CLI_NS $SRV_NS; do
	ip -n $ns link set lo up
done
ip -n $CLI_NS link set veth0 up
ip -n $SRV_NS link set veth1 up

ip netns exec $SRV_NS dnsmasq --no-resolv --no-hosts --bind-interfaces \
	--listen-address=10.99.0.2 --address=/bench.test/10.1.2.3 \
	--cache-size=10000 --pid-file="$tmp/dnsmasq.pid" --user=root
for i in $(seq 1 100); do echo "host$i.bench.test A"; done >"$tmp/queries"

"$BUILD/runner" image build "$GADGET" -t trace_dns:bench \
	--store "$store" 2>/dev/null

# The runner binary and image bench_start_runner runs (runner_cost.sh
# changes both between phases).
bench_bin=$BUILD/runner
bench_img=trace_dns:bench
# Start `$bench_bin run $bench_img ARGS...` (stdout to $out), wait until
# it is attached; its pid is in runner_pid, the ms from spawn to attached
# in bench_ready_ms (bash's $EPOCHREALTIME right before the spawn and
# right after the ready file is seen: a `date` forked at each end added
# 3-8 ms here).
bench_start_runner() {
	local out=$1 t0 t1
	shift
	rm -f "$tmp/ready"
	# emptied before the clock starts: the shell's O_TRUNC of the last
	# phase's output (~1 GB of -o json) took ~150 ms inside the measure
	[ "$out" = /dev/null ] || : >"$out"
	t0=${EPOCHREALTIME//[!0-9]/}
	RUNNER_READY_FILE=$tmp/ready "$bench_bin" run "$bench_img" \
		--store "$store" "$@" >"$out" 2>"$tmp/runner.err" &
	runner_pid=$!
	bench_wait_ready
	t1=${EPOCHREALTIME//[!0-9]/}
	bench_ready_ms=$(((t1 - t0) / 1000))
}

# Stop the runner started above; its closing summary is the last line of
# $tmp/runner.err.
bench_stop_runner() {
	kill -INT "$runner_pid"
	wait "$runner_pid" || true
	runner_pid=
}

# "run_time_ns run_cnt" summed over the BPF programs of process $1: those
# it holds, and those that use its maps (the per-namespace dispatchers,
# whose time includes the socket filter they tail-call)
bpf_ns() {
	local ids maps
	ids=$(grep -h '^prog_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '{ print $2 }' | sort -u | paste -sd, -)
	maps=$(grep -h '^map_id:' /proc/"$1"/fdinfo/* 2>/dev/null |
		awk '{ print $2 }' | sort -u | paste -sd, -)
	bpftool prog show -j | jq -r --argjson ids "[$ids]" \
		--argjson maps "[$maps]" '
		[.[] | select((.id as $i | $ids | index($i)) or
			any(.map_ids[]?; . as $m | $maps | index($m)))] |
		"\(map(.run_time_ns // 0) | add // 0) \(map(.run_cnt // 0) | add // 0)"'
}

# CPU ns of the processes (all their threads) given
cpu_ns() {
	local p t sum=0 v
	for p in "$@"; do
		for t in /proc/"$p"/task/*/schedstat; do
			read -r v _ <"$t" 2>/dev/null || continue
			sum=$((sum + v))
		done
	done
	echo "$sum"
}

# kernel.bpf_stats_enabled on (off again: bench_bpf_stats_off, or at exit,
# as it was before)
bench_bpf_stats_on() {
	[ -n "$bench_stats_was" ] ||
		bench_stats_was=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
}
# off for a while: bench_bpf_stats_on again after (the exit still restores
# the value from before the bench)
bench_bpf_stats_pause() { sysctl -qw kernel.bpf_stats_enabled=0; }
bench_bpf_stats_off() {
	[ -n "$bench_stats_was" ] &&
		sysctl -qw kernel.bpf_stats_enabled="$bench_stats_was"
	bench_stats_was=
}
