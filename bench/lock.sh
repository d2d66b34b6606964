# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the bench scripts whose figures other load would move: wait
# until no end-to-end test runs (they hold this lock shared), and keep
# them waiting while the bench runs. /dev/shm: shared with chroots too.
# bench/designs.sh holds it over all its runs (BENCH_LOCK_HELD=1).
lockdir=/dev/shm
[ -d $lockdir ] || lockdir=${TMPDIR:-/tmp}
if [ -z "${BENCH_LOCK_HELD:-}" ]; then
	exec 9>"$lockdir/runner-dns-traffic.lock"
	flock -x 9
fi
