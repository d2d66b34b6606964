#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Mount churn: the CPU time of a runner (`run trace_dns -o json`, no
# traffic) in a private mount namespace of MOUNTS bind mounts (default
# 1000) while PAIRS bind+umount pairs (default 300) are made there, one
# `mount`/`umount` process each as a shell makes them (BURST=1: by one
# process's mount(2)/umount2(2) calls, back to back, as a container's start
# makes them); its CPU in an idle window as long, the churn's wall time.
# CPU: the schedstat run time of the runner's threads.  ROUNDS rounds
# alternating RUNNER (default build/runner) and RUNNER2 (default the same),
# medians and all runs.
#   bench/mount_churn.sh [ROUNDS]       (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
# the runner follows the mount namespace it runs in: a private one
[ -n "${MOUNT_CHURN_NS:-}" ] ||
	exec env MOUNT_CHURN_NS=1 unshare -m --propagation private "$0" "$@"
ROUNDS=${1:-5}
RUNNER=${RUNNER:-build/runner}
RUNNER2=${RUNNER2:-$RUNNER}
MOUNTS=${MOUNTS:-1000}
PAIRS=${PAIRS:-300}
BURST=${BURST:-0}
. bench/spawn.sh

"$RUNNER" image build gadget/trace_dns -t trace_dns:latest \
	--store "$tmp/store" >/dev/null 2>&1
m=$tmp/m
mkdir "$m"
spawn_extra_cleanup() { umount -R "$m" 2>/dev/null || true; }
mount -t tmpfs churn "$m"
mkdir "$m/src" "$m/dst"
for i in $(seq 1 "$MOUNTS"); do
	mkdir "$m/$i"
	mount --bind "$m/$i" "$m/$i"
done

churn() {
	if [ "$BURST" = 1 ]; then
		python3 - "$m/src" "$m/dst" "$PAIRS" <<'PY'
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
src, dst, n = sys.argv[1].encode(), sys.argv[2].encode(), int(sys.argv[3])
for _ in range(n):
    if libc.mount(src, dst, None, 4096, None) or libc.umount2(dst, 0):
        sys.exit("mount: " + os.strerror(ctypes.get_errno()))
PY
	else
		for _ in $(seq 1 "$PAIRS"); do
			mount --bind "$m/src" "$m/dst"
			umount "$m/dst"
		done
	fi
}
cpu_ns() { cat /proc/"$pid"/task/*/schedstat | awk '{ s += $1 } END { printf "%d\n", s }'; }

once() { # BIN TAG: appends churn CPU ms, idle CPU ms, churn wall ms
	local c0 c1 c2 t0 t1
	rm -f "$tmp/ready"
	(RUNNER_READY_FILE=$tmp/ready exec "$1" run trace_dns:latest \
		--store "$tmp/store" -o json >/dev/null 2>"$tmp/err" 7<&-) &
	pid=$!
	bench_await_ready "$pid" "$tmp/err"
	bench_nap 1.2 # past the first refresh
	c0=$(cpu_ns)
	t0=${EPOCHREALTIME//[!0-9]/}
	churn
	t1=${EPOCHREALTIME//[!0-9]/}
	bench_nap 0.05 # the last change read
	c1=$(cpu_ns)
	bench_nap "$(awk -v us=$((t1 - t0)) 'BEGIN { printf "%.3f", us / 1e6 + 0.05 }')"
	c2=$(cpu_ns)
	spawn_stop
	echo $(((c1 - c0) / 1000000)) >>"$tmp/churn.$2"
	echo $(((c2 - c1) / 1000000)) >>"$tmp/idle.$2"
	echo $(((t1 - t0) / 1000)) >>"$tmp/wall.$2"
}

for _ in $(seq 1 "$ROUNDS"); do
	once "$RUNNER" a
	once "$RUNNER2" b
done
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "| $MOUNTS mounts, $PAIRS pairs$([ "$BURST" = 1 ] && echo ", burst") | CPU ms in churn | runs | CPU ms idle as long | churn wall ms | runs |"
echo "|---|---|---|---|---|---|"
for t in a b; do
	if [ $t = a ]; then name=$RUNNER; else name=$RUNNER2; fi
	echo "| $t: $name | $(median <"$tmp/churn.$t") | $(paste -sd' ' "$tmp/churn.$t") |" \
		"$(median <"$tmp/idle.$t") | $(median <"$tmp/wall.$t") | $(paste -sd' ' "$tmp/wall.$t") |"
done
