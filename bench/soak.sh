#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Soak: `runner run trace_dns -o json > file` for MINUTES under dnsperf ->
# dnsmasq at QPS queries/s across the veth pair of bench/lib.sh, sampled
# every SAMPLE seconds (default 30): the runner's RSS and VmHWM, its CPU
# per event (schedstat, all threads), the BPF run time of its programs per
# query (kernel.bpf_stats_enabled; dispatchers included, as in run.sh),
# events written (bytes of the output file at the mean event size), lost
# (the runner's "lost N events (M in total)" notices), the answered QPS
# (the server's veth tx packets) and how busy the machine was.  Start-up
# (spawn to RUNNER_READY_FILE) is timed before and
# after the soak from the same store.  Prints Markdown and a last line
# with the last/first third ratios; reports, never asserts.
# OUTPUT=columns: `-o columns` to the file instead (a header line counts
# as an event).  What the runner wrote is punched out of the output file
# every second, so a long run does not fill the disk: small punches, as
# one punch of 30 s of output (~2.4 GB at 20k/s) holds the file's lock
# long enough to stall the runner's write() for hundreds of ms, and not
# none: a file that keeps growing by 80 MB/s costs ~5x more per byte here,
# in the copy into fresh page-cache pages (a VM's first touch of guest
# memory; bench/RESULTS.md).  TMPDIR=/dev/shm puts the file on tmpfs.
#   bench/soak.sh [MINUTES] [QPS]      (default 10 20000)
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-10}
QPS=${2:-20000}
SAMPLE=${SAMPLE:-30}
OUTPUT=${OUTPUT:-json}
STARTUP_RUNS=${STARTUP_RUNS:-3}
. bench/lib.sh
perf_pid=
punch_pid=
bench_cleanup_extra() {
	[ -n "$perf_pid" ] && kill "$perf_pid" 2>/dev/null || true
	[ -n "$punch_pid" ] && kill "$punch_pid" 2>/dev/null || true
}

# spawn to attached, ms, appended to $tmp/startup.$1
startup() {
	bench_start_runner /dev/null -o json
	bench_stop_runner
	echo "$bench_ready_ms" >>"$tmp/startup.$1"
}

runner_cpu() {
	cat /proc/"$runner_pid"/task/*/schedstat 2>/dev/null |
		awk '{ s += $1 } END { printf "%.0f\n", s }'
}

# One sample, appended to $tmp/samples: t_ns rss_kb hwm_kb cpu_ns bpf_ns
# bytes_written lost_total answers machine_busy machine_all (jiffies).
# Events per interval: its bytes at the run's mean bytes per event (reading
# the file to count lines would compete with the runner for the CPUs).
sample() {
	local size lost rss hwm
	size=$(stat -c %s "$tmp/events")
	lost=$({ grep -o 'lost [0-9]* events ([0-9]* in' \
		"$tmp/runner.err" || :; } | tail -n 1 | sed 's/.*(//; s/ in//')
	read -r rss hwm < <(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 }
		END { print r, h }' /proc/"$runner_pid"/status)
	echo "$(date +%s%N) $rss $hwm $(runner_cpu) $(bpf_ns "$runner_pid" | cut -d" " -f1) $size" \
		"${lost:-0} $(ip netns exec $SRV_NS \
			cat /sys/class/net/veth1/statistics/tx_packets)" \
		"$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9,
			$2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)" \
		>>"$tmp/samples"
}
# Punch out what the runner wrote, every second.
puncher() {
	local size punched=0
	while sleep 1; do
		size=$(stat -c %s "$tmp/events")
		((size > punched)) || continue
		fallocate -p -o "$punched" -l $((size - punched)) "$tmp/events"
		punched=$size
	done
}

echo "soak: start-up x$STARTUP_RUNS before" >&2
for _ in $(seq 1 "$STARTUP_RUNS"); do startup before; done

bench_bpf_stats_on
bench_start_runner "$tmp/events" -o "$OUTPUT"
puncher &
punch_pid=$!
secs=$((MINUTES * 60))
echo "soak: ${MINUTES} min at $QPS queries/s, a sample every ${SAMPLE}s" >&2
sample
t0=$(date +%s)
# one second more than the samples span, so the last interval is loaded
ip netns exec $CLI_NS dnsperf -s 10.99.0.2 -d "$tmp/queries" \
	-l $((secs + 1)) -c 4 -q 200 -Q "$QPS" >"$tmp/dnsperf" 2>&1 &
perf_pid=$!
for ((k = SAMPLE; k < secs + SAMPLE; k += SAMPLE)); do
	((k > secs)) && k=$secs
	while (($(date +%s) < t0 + k)); do sleep 0.2; done
	sample
done
wait "$perf_pid" || true
perf_pid=
sleep 1 # the last responses' events
sample
bench_stop_runner
kill "$punch_pid"
wait "$punch_pid" 2>/dev/null || true
punch_pid=
summary=$(grep ' events, ' "$tmp/runner.err" | tail -n 1)
events=$(sed -E 's/.* ([0-9]+) events?, .*/\1/' <<<"$summary")
bench_bpf_stats_off

echo "soak: start-up x$STARTUP_RUNS after" >&2
for _ in $(seq 1 "$STARTUP_RUNS"); do startup after; done
: >"$tmp/runner.err"

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "trace_dns soak, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)," \
	"$(nproc) CPUs, commit $(git rev-parse --short HEAD 2>/dev/null || echo -)," \
	"\`bench/soak.sh $MINUTES $QPS\`, -o $OUTPUT to a file"
echo
# rows: one per interval but the last (only the tail of the load)
awk -v epb="$(tail -n 1 "$tmp/samples" |
	awk -v e="$events" '{ print $6 ? e / $6 : 0 }')" '
	NR > 1 && p != "" {
		split(p, a); dt = ($1 - a[1]) / 1e9; ev = ($6 - a[6]) * epb
		q = $8 - a[8]
		printf "| %d | %.0f | %.0f | %.1f | %.1f | %s | %s | %s | %.0f |\n",
			($1 - t0) / 1e9, q / dt, ev / dt, $2 / 1024, $3 / 1024,
			ev ? sprintf("%.2f", ($4 - a[4]) / ev / 1000) : "-",
			q ? sprintf("%.2f", ($5 - a[5]) / q / 1000) : "-", $7,
			($10 > a[10] ? 100 * ($9 - a[9]) / ($10 - a[10]) : 0)
	}
	NR == 1 { t0 = $1 }
	{ p = $0 }' "$tmp/samples" | head -n -1 >"$tmp/rows"
echo "| s | answered QPS | events/s | RSS MB | VmHWM MB | runner CPU us/event | BPF us/query | lost (total) | machine busy % |"
echo "|---|---|---|---|---|---|---|---|---|"
cat "$tmp/rows"
echo
echo "Runner summary: $summary; $(tail -n 1 "$tmp/samples" |
	awk '{ print $6 }') bytes written."
echo "dnsperf: $(awk '/Queries completed|Queries lost/ { $1 = $1; printf "%s; ", $0 }' "$tmp/dnsperf")"
echo "Start-up, spawn to attached, ms: before $(paste -sd' ' "$tmp/startup.before")" \
	"(median $(median <"$tmp/startup.before")), after" \
	"$(paste -sd' ' "$tmp/startup.after") (median $(median <"$tmp/startup.after"))."
echo
# last third / first third of the rows, means
awk -F' *\\| *' -v lost="$(tail -n 1 "$tmp/samples" | awk '{ print $7 }')" '
	{ r[NR] = $5; c[NR] = $7; b[NR] = $8; h[NR] = $6 }
	function m(x, lo, hi,  s, i) { for (i = lo; i <= hi; i++) s += x[i]; return s / (hi - lo + 1) }
	function ratio(x) { return m(x, NR - t + 1, NR) / m(x, 1, t) }
	function word(v) { return v <= 1.1 && v >= 0.9 ? "flat" : (v > 1 ? "grew" : "fell") }
	END {
		t = int(NR / 3); if (t < 1) t = 1
		printf "Last/first third: RSS %.2f (%s), VmHWM %.2f (%s), CPU/event %.2f (%s), BPF/query %.2f (%s); lost %d in total.\n",
			ratio(r), word(ratio(r)), ratio(h), word(ratio(h)),
			ratio(c), word(ratio(c)), ratio(b), word(ratio(b)), lost
	}' "$tmp/rows"
