#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A container started after the runner, on podman's network: how long
# from `podman run` to the runner's tc classifiers on the host side of its
# veth (runner/engine/tc.c).  ROUNDS times: the runner on
# tests/fixtures/ig_tc with -c NAME and RUNNER_TIMELINE=1, ready; then
# `podman run -d` of a busybox container NAME that sleeps; the time from
# just before `podman run`, and from the start podman tells (its
# StartedAt, set once runc started the container's process), to the
# runner's step "tc container attached".
#   bench/tc_attach.sh [ROUNDS]   (default 7; RUNNER)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
ROUNDS=${1:-7}
RUNNER=${RUNNER:-build/runner}
. bench/spawn.sh
name=tcatt$$
image=localhost/tc-attach:$$
spawn_extra_cleanup() {
	podman rm -f -t 0 "$name" >/dev/null 2>&1 || true
	podman rmi "$image" >/dev/null 2>&1 || true
}

# the image built by the tree's runner (a copy elsewhere lacks the gadget API)
build/runner image build tests/fixtures/ig_tc -t ig_tc:attach \
	--store "$tmp/store" 2>/dev/null
mkdir -p "$tmp/root/bin"
cp /bin/busybox "$tmp/root/bin/busybox"
ln -s busybox "$tmp/root/bin/sh"
ln -s busybox "$tmp/root/bin/sleep"
tar -C "$tmp/root" -c . | podman import - "$image" >/dev/null 2>&1

for r in $(seq 1 "$ROUNDS"); do
	bench_spawn_selecting ig_tc:attach "$tmp/err.$r"
	t0=${EPOCHREALTIME//[!0-9]/}
	bench_podman_run --name "$name" "$image" sleep 600
	started=$(podman inspect -f '{{.State.StartedAt.UnixNano}}' "$name")
	bench_await_step 'tc container attached' "$tmp/err.$r"
	spawn_stop
	podman rm -f -t 0 "$name" >/dev/null
	sed -n 's/^runner: step tc container attached at \([0-9]*\)\.\([0-9]*\)$/\1\2/p' \
		"$tmp/err.$r" | head -1 | awk -v t0="$t0" -v s="$started" \
		'{ printf "%.1f %.1f\n", ($1 - t0) / 1000,
			($1 - s / 1000) / 1000 }'
done >"$tmp/rounds"
echo "$ROUNDS rounds; ms, median (min-max)"
echo "| podman run to the filters on its veth peer | podman's StartedAt to them |"
echo "|---|---|"
echo "| $(bench_median "$tmp/rounds" 1) | $(bench_median "$tmp/rounds" 2) |"
