#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Where start-up goes: ROUNDS starts of `runner run trace_dns -o json >
# /dev/null` from a throwaway local store, no traffic, with
# RUNNER_TIMELINE=1 (each step's wall clock on stderr); per step, the
# median of its time since the spawn (bash's $EPOCHREALTIME right before
# it) and of the time since the step before.
#   bench/startup_steps.sh [ROUNDS]      (default 15; RUNNER, GADGET)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
ROUNDS=${1:-15}
RUNNER=${RUNNER:-build/runner}
GADGET=${GADGET:-gadget/trace_dns}
. bench/spawn.sh

"$RUNNER" image build "$GADGET" -t trace_dns:steps --store "$tmp/store" \
	2>/dev/null
for r in $(seq 1 "$ROUNDS"); do
	rm -f "$tmp/ready"
	t0=${EPOCHREALTIME//[!0-9]/}
	RUNNER_TIMELINE=1 RUNNER_READY_FILE=$tmp/ready "$RUNNER" run \
		trace_dns:steps --store "$tmp/store" -o json >/dev/null \
		2>"$tmp/err.$r" 7<&- &
	pid=$!
	bench_await_ready "$pid" "$tmp/err.$r"
	t1=${EPOCHREALTIME//[!0-9]/}
	spawn_stop
	echo "spawn $t0" >"$tmp/t.$r"
	sed -n 's/^runner: step \(.*\) at \([0-9]*\)\.\([0-9]*\)$/\1|\2\3/p' \
		"$tmp/err.$r" | tr ' ' _ | tr '|' ' ' >>"$tmp/t.$r"
	echo "ready_file_seen $t1" >>"$tmp/t.$r"
done
echo "| step | ms since spawn | ms since the step before |"
echo "|---|---|---|"
cat "$tmp"/t.* | awk '
	$1 == "spawn" { t0 = $2; prev = $2; next }
	{
		if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 }
		at[$1, ++cnt[$1]] = ($2 - t0) / 1000
		gap[$1, cnt[$1]] = ($2 - prev) / 1000
		prev = $2
	}
	function median(a, k, c,   i, j, v, t) {
		for (i = 1; i <= c; i++) v[i] = a[k, i]
		for (i = 2; i <= c; i++)
			for (j = i; j > 1 && v[j - 1] > v[j]; j--) {
				t = v[j]; v[j] = v[j - 1]; v[j - 1] = t
			}
		return v[int((c + 1) / 2)]
	}
	END {
		for (i = 1; i <= n; i++) {
			s = order[i]
			printf "| %s | %.1f | %.1f |\n", s, median(at, s, cnt[s]),
				median(gap, s, cnt[s])
		}
	}' | tr _ ' '
