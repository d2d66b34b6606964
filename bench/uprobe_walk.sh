#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A container selected (-c) on a busy host: the runner's walk of every
# process's mappings when it is selected (runner/engine/uprobes.c), with
# SLEEPERS extra processes (sleep(1), each mapping the host's libc) on
# the host.  ROUNDS times: the runner on tests/fixtures/ig_uprobe with
# -c NAME and RUNNER_TIMELINE=1, ready; then `podman run` of a container
# NAME whose program maps a libc of its image.  Per round, from the
# runner's steps: how long the event thread was held by the container's
# event ("uprobes container seen" to "uprobes container handled"), how
# long the walk took ("uprobes walk begun" to "done"), and the time from
# `podman run` to the walk's end (the container's libc attached).
#   bench/uprobe_walk.sh [ROUNDS] [SLEEPERS]   (default 7, 2000; RUNNER)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
ROUNDS=${1:-7}
SLEEPERS=${2:-2000}
RUNNER=${RUNNER:-build/runner}
. bench/spawn.sh
name=uwalk$$
image=localhost/uprobe-walk:$$
sleepers=()
spawn_extra_cleanup() {
	podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
	podman rmi "$image" >/dev/null 2>&1 || true
	[ ${#sleepers[@]} -eq 0 ] || kill "${sleepers[@]}" 2>/dev/null || true
	[ ${#sleepers[@]} -eq 0 ] || wait "${sleepers[@]}" 2>/dev/null || true
}

# the image built by the tree's runner (a copy elsewhere lacks the gadget API)
build/runner image build tests/fixtures/ig_uprobe -t ig_uprobe:walk \
	--store "$tmp/store" 2>/dev/null
# the container: a program that maps its image's libc and sleeps
printf '#include <unistd.h>\nint main(void) { pause(); return 0; }\n' \
	>"$tmp/p.c"
cc -O2 -o "$tmp/pause" "$tmp/p.c"
mkdir -p "$tmp/root/bin"
cp "$tmp/pause" "$tmp/root/bin/pause"
for lib in $(ldd "$tmp/pause" | grep -o '/[^ ]*'); do
	mkdir -p "$tmp/root$(dirname "$lib")"
	cp "$(realpath "$lib")" "$tmp/root$lib"
done
tar -C "$tmp/root" -c . | podman import - "$image" >/dev/null
for _ in $(seq 1 "$SLEEPERS"); do
	sleep 3600 &
	sleepers+=($!)
done

for r in $(seq 1 "$ROUNDS"); do
	bench_spawn_selecting ig_uprobe:walk "$tmp/err.$r"
	t0=${EPOCHREALTIME//[!0-9]/}
	bench_podman_run --network none --name "$name" "$image" /bin/pause
	# the walk after the container's selection, done
	bench_await_step 'uprobes walk done' "$tmp/err.$r"
	spawn_stop
	podman rm -f -t 0 "$name" >/dev/null
	echo "start $t0" >"$tmp/t.$r"
	sed -n 's/^runner: step uprobes \(.*\) at \([0-9]*\)\.\([0-9]*\)$/\1|\2\3/p' \
		"$tmp/err.$r" | tr ' ' _ | tr '|' ' ' >>"$tmp/t.$r"
done
# per round: the longest hold of the event thread by a container's event,
# the walk after podman run (the last one), podman run to its end
for r in $(seq 1 "$ROUNDS"); do
	awk '
		$1 == "start" { t0 = $2 }
		$1 == "container_seen" { seen = $2 }
		$1 == "container_handled" && $2 - seen > hold { hold = $2 - seen }
		$1 == "walk_begun" { begun = $2 }
		$1 == "walk_done" { walk = $2 - begun; done = $2 }
		END { printf "%.3f %.1f %.1f\n", hold / 1000, walk / 1000,
			(done - t0) / 1000 }' "$tmp/t.$r"
done >"$tmp/rounds"
echo "$ROUNDS rounds, $SLEEPERS sleepers; ms, median (min-max)"
echo "| event thread held by the container | walk | podman run to walked |"
echo "|---|---|---|"
echo "| $(bench_median "$tmp/rounds" 1) | $(bench_median "$tmp/rounds" 2) | $(bench_median "$tmp/rounds" 3) |"
