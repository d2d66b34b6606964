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
# OTHERS=N: the store holds N other images too (the examples and test
# fixtures, built with N creation times); SIGNED=1: both images are
# signed with a throwaway key and imported (not built in the store, so a
# run verifies their signatures, --public-keys).
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

OTHERS=${OTHERS:-0}
SIGNED=${SIGNED:-0}
keys=()
if [ "$SIGNED" = 1 ]; then
	openssl ecparam -name prime256v1 -genkey -noout |
		openssl pkcs8 -topk8 -nocrypt -out "$tmp/key"
	openssl ec -in "$tmp/key" -pubout -out "$tmp/pub" 2>/dev/null
	keys=(--public-keys "$tmp/pub")
	for t in a b; do
		g=$GADGET
		[ $t = a ] || g=$GADGET2
		"$RUNNER" image build "$g" -t trace_dns:$t --store "$tmp/src" \
			2>/dev/null
		"$RUNNER" image sign trace_dns:$t --key "$tmp/key" \
			--store "$tmp/src" 2>/dev/null >&2
	done
	"$RUNNER" image export trace_dns:a trace_dns:b "$tmp/ab.tar" \
		--store "$tmp/src" >/dev/null
	"$RUNNER" image import "$tmp/ab.tar" --store "$tmp/store" >/dev/null
else
	"$RUNNER" image build "$GADGET" -t trace_dns:a --store "$tmp/store" \
		2>/dev/null
	"$RUNNER" image build "$GADGET2" -t trace_dns:b --store "$tmp/store" \
		2>/dev/null
fi
others=(examples/* tests/fixtures/*)
for i in $(seq 1 "$OTHERS"); do
	d=${others[$((i % ${#others[@]}))]}
	SOURCE_DATE_EPOCH=$((1000000 + i)) "$RUNNER" image build "$d" \
		-t "other/${d##*/}:v$i" --store "$tmp/store" 2>/dev/null
done

once() { # BIN TAG: appends ms to $tmp/ms.TAG, CPU ms to $tmp/cpu.TAG
	local t0 t1 cpu
	rm -f "$tmp/ready"
	[ -z "$cg" ] || echo 0 >"$cg/cpuacct.usage"
	t0=${EPOCHREALTIME//[!0-9]/}
	(
		[ -z "$cg" ] || echo "$BASHPID" >"$cg/tasks"
		RUNNER_READY_FILE=$tmp/ready exec "$1" run "trace_dns:$2" \
			--store "$tmp/store" "${keys[@]}" -o json \
			>/dev/null 2>"$tmp/err" 7<&-
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
