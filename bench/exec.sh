#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Cost of the runner's exec hook (runner/engine/bpf/containers.bpf.c) on an
# exec-heavy load: N x /bin/true (fork + exec), then N x `unshare -m
# /bin/true` (a new mount namespace each time: a note per exec, the worst
# case), untraced and with `runner run trace_dns` in alternate rounds.
# Prints the median time per phase, the ratio, and the hook's own time per
# exec from the kernel's BPF statistics (kernel.bpf_stats_enabled).
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

# The runner's exec hook: the sched_process_exec program that appeared
# when it started (other runners may be running).
hook_id() {
	comm -13 "$tmp/ids" <(bpftool prog show -j | jq '.[].id' | sort) |
		while read -r id; do
			bpftool prog show id "$id" -j |
				jq -r 'select(.name == "sched_process_exec") | .id'
		done | tail -n 1
}

# "run_time_ns run_cnt" of program $1 (0 0 without one)
hook_stats() {
	[ -n "$1" ] || { echo 0 0; return; }
	bpftool prog show id "$1" -j |
		jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

sysctl -q kernel.bpf_stats_enabled=1
for load in "/bin/true" "unshare -m /bin/true"; do
	: >"$tmp/base"
	: >"$tmp/traced"
	ns=0
	cnt=0
	for ((r = 0; r < ROUNDS; r++)); do
		# shellcheck disable=SC2086
		secs $load >>"$tmp/base"
		bpftool prog show -j | jq '.[].id' | sort >"$tmp/ids"
		start_runner
		id=$(hook_id)
		read -r ns0 cnt0 < <(hook_stats "$id")
		# shellcheck disable=SC2086
		secs $load >>"$tmp/traced"
		read -r ns1 cnt1 < <(hook_stats "$id")
		stop_runner
		ns=$((ns + ns1 - ns0))
		cnt=$((cnt + cnt1 - cnt0))
	done
	awk -v load="$load" -v n="$N" -v b="$(median <"$tmp/base")" \
		-v t="$(median <"$tmp/traced")" -v ns="$ns" -v cnt="$cnt" 'BEGIN {
		printf "%-22s %d execs: untraced %.3fs, traced %.3fs, " \
			"ratio %.3f; hook %.0f ns per exec (%d runs)\n",
			load, n, b, t, t / b, cnt ? ns / cnt : 0, cnt }'
done
