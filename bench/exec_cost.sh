#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What the hook of uprobes named by library (runner/engine/bpf/
# uprobe_maps.bpf.c) costs every exec of a dynamic program: N x /bin/true
# from this shell while each build's runner runs GADGET (default
# tests/fixtures/ig_uprobe, "uprobe/libc:strfry"), the builds alternated
# in each round.  Per build: the hook's programs' runs per exec and ns a
# run from the kernel's BPF statistics (kernel.bpf_stats_enabled), summed
# over the rounds, and their total BPF time per exec.
#   BUILDS="DIR..." bench/exec_cost.sh [ROUNDS] [N]   (default build; 5, 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
ROUNDS=${1:-5}
N=${2:-2000}
GADGET=${GADGET:-tests/fixtures/ig_uprobe}
read -r -a builds <<<"${BUILDS:-build}"
. bench/lock.sh

tmp=$(mktemp -d)
stats=$(sysctl -n kernel.bpf_stats_enabled)
runner_pid=
cleanup() {
	[ -z "$runner_pid" ] || kill -INT "$runner_pid" 2>/dev/null || true
	[ -z "$runner_pid" ] || wait "$runner_pid" 2>/dev/null || true
	sysctl -q kernel.bpf_stats_enabled="$stats"
	rm -rf "$tmp"
}
trap cleanup EXIT

"${builds[0]}/runner" image build "$GADGET" -t exec-cost:bench \
	--store "$tmp/store" 2>/dev/null
hooks=(uprobe_loader uprobe_exec uprobe_mmap)

# "ns runs" of the runner's program named $1 (0 0 without one): the one
# that appeared when it started (other runners may be running)
hook_stats() {
	comm -13 "$tmp/ids" <(bpftool prog show -j | jq '.[].id' | sort) |
		while read -r id; do
			{ bpftool prog show id "$id" -j 2>/dev/null || true; } |
				jq -r --arg n "$1" 'select(.name == $n) |
				"\(.run_time_ns // 0) \(.run_cnt // 0)"'
		done | tail -n 1 | grep . || echo 0 0
}

sysctl -q kernel.bpf_stats_enabled=1
for ((r = 0; r < ROUNDS; r++)); do
	for b in "${!builds[@]}"; do
		bpftool prog show -j | jq '.[].id' | sort >"$tmp/ids"
		rm -f "$tmp/ready"
		RUNNER_READY_FILE=$tmp/ready "${builds[$b]}/runner" run \
			exec-cost:bench --store "$tmp/store" -o json \
			>/dev/null 2>"$tmp/err" &
		runner_pid=$!
		while [ ! -f "$tmp/ready" ]; do
			kill -0 "$runner_pid" 2>/dev/null ||
				{ cat "$tmp/err" >&2; exit 1; }
			sleep 0.05
		done
		for h in "${hooks[@]}"; do hook_stats "$h" >"$tmp/0.$h"; done
		for ((i = 0; i < N; i++)); do /bin/true; done
		for h in "${hooks[@]}"; do
			read -r ns0 c0 <"$tmp/0.$h"
			read -r ns1 c1 < <(hook_stats "$h")
			echo "$b $h $((ns1 - ns0)) $((c1 - c0))" >>"$tmp/all"
		done
		kill -INT "$runner_pid"
		wait "$runner_pid" || true
		runner_pid=
	done
done
for b in "${!builds[@]}"; do
	echo "${builds[$b]}: $ROUNDS rounds of $N execs"
	awk -v b="$b" -v n="$((N * ROUNDS))" '$1 == b {
		ns[$2] += $3; cnt[$2] += $4 }
	END {
		for (h in ns) {
			if (!cnt[h])
				continue
			printf "  %-14s %5.2f runs per exec, %6.0f ns a run\n",
				h, cnt[h] / n, ns[h] / cnt[h]
			tot += ns[h]
		}
		printf "  BPF per exec   %.2f us\n", tot / n / 1000 }' \
		"$tmp/all"
done
