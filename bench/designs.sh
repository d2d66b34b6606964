#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Compare gadget designs by their kernel cost: bench/bpfstats.sh run for
# each gadget directory (a copy of gadget/trace_dns with one change) in
# turn, the order reversed every other round, under one hold of the
# traffic lock; one line per run: the netns dispatcher's ns per run (the
# trace_dns filter included), net_dev_queue's, sendmsg4's, all programs'
# ns per DNS query, the QPS, and the CPU per query of the machine, of the
# traffic (dnsperf + dnsmasq) and of the server alone, and the runner's
# wake-ups a second (see bpfstats.sh).
#   bench/designs.sh ROUNDS SECONDS LOAD DIR...     (LOAD: see bpfstats.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
[ $# -ge 4 ] || {
	echo "usage: $0 ROUNDS SECONDS LOAD DIR..." >&2
	exit 2
}
rounds=$1 secs=$2 load=$3
shift 3
. bench/lock.sh
export BENCH_LOCK_HELD=1
for r in $(seq 1 "$rounds"); do
	dirs=("$@")
	if [ $((r % 2)) -eq 0 ]; then
		dirs=()
		for ((i = $# ; i >= 1; i--)); do dirs+=("${!i}"); done
	fi
	for d in "${dirs[@]}"; do
		out=$(GADGET=$d bench/bpfstats.sh "$secs" "$load" 2>/dev/null)
		awk -v r="$r" -v d="$(basename "$d")" '
			/^traced QPS/ { qps = int($3) }
			/^netns_disp/ { disp = $4 }
			/^net_dev_queue/ { ndq = $4 }
			/^sendmsg4/ { smsg = $4 }
			/^machine CPU/ { mcpu = $3 }
			/^runner wake-ups/ { wk = $3 }
			/^traffic CPU/ { tcpu = $3; scpu = $10; sub(/\)/, "", scpu) }
			/^all/ { for (i = 1; i < NF; i++) if ($(i + 1) == "ns") q = $i }
			END { printf "r%d %-16s disp %5s ndq %4s sendmsg4 %4s ns/run  all %5s ns/query  qps %s  us/query: machine %s traffic %s server %s  wakes %s/s\n",
				r, d, disp, ndq, smsg, q, qps, mcpu, tcpu, scpu, wk }' <<<"$out"
	done
done
