#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Cost of the runner's exec hooks (runner/engine/bpf/containers.bpf.c,
# runner/engine/bpf/netns_exec.bpf.c) on an exec-heavy load: N x /bin/true
# (fork + exec), then N x `unshare -m /bin/true` (a new mount namespace
# each time: a container note per exec), then N x `unshare -n /bin/true`
# (a new network namespace each time: a netns note per exec, which the
# runner attaches to), untraced and with `runner run trace_dns` in
# alternate rounds.  Prints the median time per phase, the ratio, each
# hook's own time per exec from the kernel's BPF statistics
# (kernel.bpf_stats_enabled) and the runner's CPU time per exec.
#   bench/exec.sh [N] [ROUNDS]      (default 2000 execs, 5 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${1:-2000}
ROUNDS=${2:-5}
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"

tmp=$(mktemp -d)
stats=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[ -n "${runner_pid:-}" ] && kill -INT "$runner_pid" 2>/dev/null || true
	sysctl -q kernel.bpf_stats_enabled="$stats"
	rm -rf "$tmp"
}
trap cleanup EXIT

"$BUILD/runner" image build gadget/trace_dns -t trace_dns:bench \
	--store "$tmp/store" 2>/dev/null

now() { date +%s%N; }

secs() { # command...: seconds for N runs of it
	local t0 i
	t0=$(now)
	for ((i = 0; i < N; i++)); do "$@"; done
	awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

start_runner() {
	rm -f "$tmp/ready"
	RUNNER_READY_FILE=$tmp/ready "$BUILD/runner" run trace_dns:bench \
		--store "$tmp/store" -o json >/dev/null 2>"$tmp/runner.err" &
	runner_pid=$!
	while [ ! -f "$tmp/ready" ]; do sleep 0.05; done
}

stop_runner() {
	kill -INT "$runner_pid"
	wait "$runner_pid" || true
	runner_pid=
}

# The runner's exec hook named $1: the program of that name that appeared
# when it started (other runners may be running).
hook_id() {
	comm -13 "$tmp/ids" <(bpftool prog show -j | jq '.[].id' | sort) |
		while read -r id; do
			# one gone since (a dispatcher of a namespace let go)
			{ bpftool prog show id "$id" -j 2>/dev/null || true; } |
				jq -r --arg n "$1" 'select(.name == $n) | .id'
		done | tail -n 1
}

# the runner's CPU time so far, in clock ticks
runner_ticks() { awk '{ print $14 + $15 }' "/proc/$runner_pid/stat"; }

# "run_time_ns run_cnt" of program $1 (0 0 without one)
hook_stats() {
	[ -n "$1" ] || { echo 0 0; return; }
	bpftool prog show id "$1" -j |
		jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

sysctl -q kernel.bpf_stats_enabled=1
hooks=(sched_process_exec netns_exec netns_fork)
for load in "/bin/true" "unshare -m /bin/true" "unshare -n /bin/true"; do
	: >"$tmp/base"
	: >"$tmp/traced"
	declare -A ns=() cnt=()
	ticks=0
	for ((r = 0; r < ROUNDS; r++)); do
		# shellcheck disable=SC2086
		secs $load >>"$tmp/base"
		bpftool prog show -j | jq '.[].id' | sort >"$tmp/ids"
		start_runner
		declare -A id=() ns0=() cnt0=()
		for h in "${hooks[@]}"; do
			id[$h]=$(hook_id "$h")
			read -r "ns0[$h]" "cnt0[$h]" < <(hook_stats "${id[$h]}")
		done
		t0=$(runner_ticks)
		# shellcheck disable=SC2086
		secs $load >>"$tmp/traced"
		ticks=$((ticks + $(runner_ticks) - t0))
		for h in "${hooks[@]}"; do
			read -r ns1 cnt1 < <(hook_stats "${id[$h]}")
			ns[$h]=$((${ns[$h]:-0} + ns1 - ${ns0[$h]}))
			cnt[$h]=$((${cnt[$h]:-0} + cnt1 - ${cnt0[$h]}))
		done
		stop_runner
	done
	awk -v load="$load" -v n="$N" -v b="$(median <"$tmp/base")" \
		-v t="$(median <"$tmp/traced")" -v ticks="$ticks" \
		-v hz="$(getconf CLK_TCK)" -v rounds="$ROUNDS" 'BEGIN {
		printf "%-22s %d execs: untraced %.3fs, traced %.3fs, " \
			"ratio %.3f; runner %.0f us CPU per exec\n",
			load, n, b, t, t / b, ticks / hz * 1e6 / (n * rounds) }'
	for h in "${hooks[@]}"; do
		awk -v h="$h" -v ns="${ns[$h]}" -v cnt="${cnt[$h]}" 'BEGIN {
			printf "  %-20s %.0f ns per exec (%d runs)\n", h,
				cnt ? ns / cnt : 0, cnt }'
	done
	unset ns cnt
done
