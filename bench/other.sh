#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# What tracers cost traffic that is not DNS, and nothing else: sockperf UDP
# ping-pong p50 with both ends on one CPU (PIN_CPU, as in bench/run.sh),
# kernel.bpf_stats_enabled off, one phase per tracer, the order reversed
# every other round; per tracer, the median over rounds of its p50 over
# the first tracer's in the same round.  A tracer is none, tcpdump (port
# 53 on both ends), runner (gadget/trace_dns) or a gadget directory: the
# runner with that gadget, e.g. a copy with one program marked
# SEC("?cgroup/sendmsg4") (not loaded), to see what a part costs.
#   bench/other.sh ROUNDS SECONDS TRACER...    e.g. 16 2 none tcpdump runner DIR
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 3 ]; then
	echo "usage: bench/other.sh ROUNDS SECONDS TRACER..." >&2
	exit 2
fi
ROUNDS=$1
SECS=$2
shift 2
. bench/lib.sh
. bench/tracers.sh
# "DIR" -> its image, built once
declare -A image=([runner]=trace_dns:bench)
n=0
for t in "$@"; do
	case $t in none | tcpdump | runner) continue ;; esac
	[ -d "$t" ] || { echo "bench/other.sh: no gadget directory $t" >&2; exit 2; }
	n=$((n + 1))
	image[$t]=trace_dns:other$n
	"$BUILD/runner" image build "$t" -t "${image[$t]}" --store "$store" \
		>/dev/null
done
other_servers_start
bench_bpf_stats_on
bench_bpf_stats_pause
for ((r = 0; r < ROUNDS; r++)); do
	list=("$@")
	((r % 2)) && mapfile -t list < <(printf '%s\n' "$@" | tac)
	for t in "${list[@]}"; do
		case $t in
		none | tcpdump) "start_$t" ;;
		*) bench_img=${image[$t]} start_runner_json ;;
		esac
		read -r p50 _ < <(pingpong)
		echo "$r $t $p50" >>"$tmp/p50"
		case $t in
		none | tcpdump) "stop_$t" ;;
		*) stop_runner_any ;;
		esac
	done
done
echo "sockperf UDP ping-pong p50 over $1's, both ends on CPU $PIN_CPU," \
	"$ROUNDS rounds of ${SECS}s, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| tracer | median | quartiles | per round |"
echo "|---|---|---|---|"
for t in "$@"; do
	awk -v base="$1" -v t="$t" '
		{ p[$1, $2] = $3; if ($1 + 1 > R) R = $1 + 1 }
		END {
			for (r = 0; r < R; r++) {
				x[++c] = p[r, t] / p[r, base]
				each = each sprintf(" %.3f", x[c])
			}
			for (i = 2; i <= c; i++)
				for (j = i; j > 1 && x[j - 1] > x[j]; j--) {
					v = x[j]; x[j] = x[j - 1]; x[j - 1] = v
				}
			m = c % 2 ? x[(c + 1) / 2] : (x[c / 2] + x[c / 2 + 1]) / 2
			printf "| %s | %.3f | %.3f-%.3f |%s |\n", t, m,
				x[int(c / 4) + 1], x[int((3 * c + 3) / 4)], each
		}' "$tmp/p50"
done
