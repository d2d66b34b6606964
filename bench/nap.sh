# SPDX-License-Identifier: Apache-2.0
# Sourced once $tmp exists (bench/lib.sh, bench/spawn.sh): naps that fork
# nothing, bash's read timing out on a FIFO nobody writes (fd 7; close it,
# 7<&-, in the runner spawned).  A `sleep 0.001` forked every millisecond
# kept most of one of this 2-CPU machine's CPUs busy beside the runner
# being timed (its start-up read 35-70 ms long: bench/RESULTS.md, start17).
mkfifo "$tmp/nap"
exec 7<>"$tmp/nap"
bench_nap() { read -r -t "$1" -u 7 _ || true; }
# bench_await_ready PID ERRFILE: until $tmp/ready exists; if PID ended
# first, ERRFILE on stderr and exit.
bench_await_ready() {
	while [ ! -f "$tmp/ready" ]; do
		kill -0 "$1" 2>/dev/null || { cat "$2" >&2; exit 1; }
		bench_nap 0.001
	done
}
