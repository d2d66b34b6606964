# SPDX-License-Identifier: Apache-2.0
# Sourced by startup.sh and startup_steps.sh: $tmp (removed at exit, with
# the runner $pid stopped and spawn_extra_cleanup run when defined), the
# wait for $tmp/ready and the runner's stop.  The wait naps on a FIFO
# nobody writes (bash's read times out, no fork): a `sleep 0.001` forked
# every millisecond kept most of one of this 2-CPU machine's CPUs busy
# beside the runner's helper threads.  Callers time with bash's
# $EPOCHREALTIME right before the spawn and right after spawn_wait_ready:
# a `date` forked at each end added 3-8 ms here.
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
mkfifo "$tmp/nap"
exec 9<>"$tmp/nap"

spawn_wait_ready() { # ERRFILE: shown if the runner exits first
	while [ ! -f "$tmp/ready" ]; do
		kill -0 "$pid" 2>/dev/null || { cat "$1" >&2; exit 1; }
		read -r -t 0.001 -u 9 _ || true
	done
}

spawn_stop() {
	kill -INT "$pid"
	wait "$pid" || true
	pid=
}
