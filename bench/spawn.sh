# SPDX-License-Identifier: Apache-2.0
# Sourced by startup.sh, startup_steps.sh and the container benches: $tmp (removed at exit, with
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

# column $2 of file $1 (numbers, one row a round): median (min-max)
bench_median() {
	cut -d' ' -f"$2" "$1" | sort -n | awk '
		{ v[NR] = $1 }
		END { printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'
}

# The container benches: RUNNER run $1 (from $tmp/store) -c $name with
# RUNNER_TIMELINE=1, its stderr to $2, in the background ($pid), ready.
bench_spawn_selecting() {
	rm -f "$tmp/ready"
	RUNNER_TIMELINE=1 RUNNER_READY_FILE=$tmp/ready "$RUNNER" run "$1" \
		--store "$tmp/store" -c "$name" -o json >/dev/null 2>"$2" 7<&- &
	pid=$!
	bench_await_ready "$pid" "$2"
}

# podman run -d as the tests run it (runc, their ulimits), then "$@".
bench_podman_run() {
	podman run --runtime runc --ulimit nofile=1024:1024 \
		--ulimit nproc=1024:1024 -d "$@" >/dev/null
}

# Until the runner $pid said step $1 on its stderr $2.
bench_await_step() {
	until grep -q "step $1" "$2"; do
		kill -0 "$pid" 2>/dev/null || { cat "$2" >&2; exit 1; }
		bench_nap 0.005
	done
}
