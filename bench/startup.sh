#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Start-up alone: spawn to attached (RUNNER_READY_FILE written) of
# `runner run trace_dns -o json > /dev/null` from a throwaway local store,
# no traffic; ROUNDS rounds alternating two setups, medians and all runs;
# and the runner's CPU time then: its cpuacct group's usage when cgroup v1's
# cpuacct is mounted (every thread, those that ended too), else the
# schedstat of the threads alive then.
# Setup a: RUNNER (default build/runner) with the image of GADGET (default
# gadget/trace_dns); setup b: RUNNER2 / GADGET2 (each defaults to a's).
#   bench/startup.sh [ROUNDS]       (default 9)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
ROUNDS=${1:-9}
RUNNER=${RUNNER:-build/runner}
GADGET=${GADGET:-gadget/trace_dns}
RUNNER2=${RUNNER2:-$RUNNER}
GADGET2=${GADGET2:-$GADGET}
. bench/spawn.sh
cg=/sys/fs/cgroup/cpuacct/runner-startup.$$
mkdir "$cg" 2>/dev/null || cg=
spawn_extra_cleanup() { [ -z "$cg" ] || rmdir "$cg" 2>/dev/null || true; }

"$RUNNER" image build "$GADGET" -t trace_dns:a --store "$tmp/store" \
	2>/dev/null
"$RUNNER" image build "$GADGET2" -t trace_dns:b --store "$tmp/store" \
	2>/dev/null

once() { # BIN TAG: appends ms to $tmp/ms.TAG, CPU ms to $tmp/cpu.TAG
	local t0 t1 cpu
	rm -f "$tmp/ready"
	[ -z "$cg" ] || echo 0 >"$cg/cpuacct.usage"
	t0=${EPOCHREALTIME//[!0-9]/}
	(
		[ -z "$cg" ] || echo "$BASHPID" >"$cg/tasks"
		RUNNER_READY_FILE=$tmp/ready exec "$1" run "trace_dns:$2" \
			--store "$tmp/store" -o json >/dev/null 2>"$tmp/err" 7<&-
	) &
	pid=$!
	bench_await_ready "$pid" "$tmp/err"
	t1=${EPOCHREALTIME//[!0-9]/}
	if [ -n "$cg" ]; then
		cpu=$(($(cat "$cg/cpuacct.usage") / 1000000))
	else
		cpu=$(cat /proc/"$pid"/task/*/schedstat | awk '{ s += $1 } END { print int(s / 1e6) }')
	fi
	spawn_stop
	echo $(((t1 - t0) / 1000)) >>"$tmp/ms.$2"
	echo "$cpu" >>"$tmp/cpu.$2"
}

for _ in $(seq 1 "$ROUNDS"); do
	once "$RUNNER" a
	once "$RUNNER2" b
done
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "| spawn to attached, ms | median | runs | CPU ms then | runs |"
echo "|---|---|---|---|---|"
for t in a b; do
	if [ $t = a ]; then name="$RUNNER $GADGET"; else name="$RUNNER2 $GADGET2"; fi
	echo "| $t: $name | $(median <"$tmp/ms.$t") | $(paste -sd' ' "$tmp/ms.$t") |" \
		"$(median <"$tmp/cpu.$t") | $(paste -sd' ' "$tmp/cpu.$t") |"
done
