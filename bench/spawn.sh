# SPDX-License-Identifier: Apache-2.0
# Sourced by startup.sh and startup_steps.sh: $tmp (removed at exit, with
# the runner $pid stopped and spawn_extra_cleanup run when defined), the
# wait for $tmp/ready (bench/nap.sh) and the runner's stop.  Callers time
# with bash's $EPOCHREALTIME right before the spawn and right after
# bench_await_ready: a `date` forked at each end added 3-8 ms here.
tmp=$(mktemp -d)
pid=
spawn_cleanup() {
	[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null || true
	[ -n "$pid" ] && wait "$pid" 2>/dev/null || true
	if declare -F spawn_extra_cleanup >/dev/null; then
		spawn_extra_cleanup
	fi
	rm -rf "$tmp"
}
trap spawn_cleanup EXIT
. bench/nap.sh

spawn_stop() {
	kill -INT "$pid"
	wait "$pid" || true
	pid=
}
