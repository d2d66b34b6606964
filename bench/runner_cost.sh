#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The runner's own (userspace) cost, quicker than `make bench`: start-up
# (spawn to attached, from the local store) and RSS right after it; then,
# with the setup of bench/run.sh (dnsperf -> dnsmasq across a veth pair),
# the runner's CPU per event at a fixed rate for -o json to a file and
# columns to /dev/null, its peak RSS (VmHWM), and lost events at the max
# rate.  Phases alternate over ROUNDS rounds; medians.  RUNNER=path runs
# another build; RUNNER2=path compares a second one in the same run (or the
# same one: ARGS and ARGS2 are extra `runner run` flags for each, e.g.
# ARGS2="--ring-size 1M"); GADGET2=dir runs RUNNER2 on its own image of
# that gadget directory (GADGET: RUNNER's, default gadget/trace_dns), for
# builds whose gadget and runner change together.  Prints Markdown (with RUNNER2, then each
# round's CPU per event of both and their ratio).  SIZES="8M 4M ..." instead:
# only max-rate -o json phases of RUNNER with each --ring-size in turn
# (ARGS added), one line per run: size, events, lost, queries/s, RSS.
# KEEP_FILES=1: every -o json phase writes its own file (below).
#   bench/runner_cost.sh [ROUNDS] [SECONDS]     (default 3 rounds of 5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${1:-3}
SECS=${2:-5}
RATE=${RATE:-20000}
. bench/lib.sh
RUNNER=${RUNNER:-$BUILD/runner}
RUNNER2=${RUNNER2:-}
ARGS=${ARGS:-}
ARGS2=${ARGS2:-}
SIZES=${SIZES:-}
GADGET2=${GADGET2:-}
[ -z "$GADGET2" ] || "$BUILD/runner" image build "$GADGET2" \
	-t trace_dns:bench2 --store "$store" 2>/dev/null
median() { sort -g | awk '{ a[NR] = $1 } END { print NR ? a[int((NR + 1) / 2)] : "-" }'; }

stop() { # sets ev and lost
	kill -INT "$runner_pid"
	wait "$runner_pid" || true
	runner_pid=
	read -r ev lost < <(grep ' events, ' "$tmp/runner.err" | tail -n 1 |
		sed -E 's/.* ([0-9]+) events, ([0-9]+) lost.*/\1 \2/')
}

dnsperf_run() { # ARGS: prints completed queries
	ip netns exec $CLI_NS dnsperf -s 10.99.0.2 -d "$tmp/queries" \
		-l "$SECS" -c 4 -q 200 "$@" 2>/dev/null |
		awk '/Queries completed/ { print $3 + 0 }'
}

# phase NAME BIN load(fixed|max) OUT ARGS...: BIN runs $bench_img; appends
# "startup_ms rss_start_kb cpu_ns events lost hwm_kb" to $tmp/res.NAME.load
phase() {
	local name=$1 load=$3 out=$4 rss c0 c1 hwm ev lost
	bench_bin=$2
	shift 4
	bench_start_runner "$out" "$@"
	rss=$(awk '/VmRSS/ { print $2 }' /proc/"$runner_pid"/status)
	c0=$(cpu_ns "$runner_pid")
	if [ "$load" = max ]; then q=$(dnsperf_run); else
		q=$(dnsperf_run -Q "$RATE"); fi
	c1=$(cpu_ns "$runner_pid")
	hwm=$(awk '/VmHWM/ { print $2 }' /proc/"$runner_pid"/status)
	stop
	echo "$bench_ready_ms $rss $((c1 - c0)) $ev $lost $hwm $q" \
		>>"$tmp/res.$name.$load"
}

if [ -n "$SIZES" ]; then
	echo "ring sizes at the max rate, $(date -u '+%Y-%m-%d %H:%M UTC'),"\
		"$RUNNER $ARGS, $ROUNDS rounds of ${SECS}s (order reversed every other round)"
	echo
	echo "| ring | events | lost | queries/s | RSS attached, MB | CPU us/event |"
	echo "|---|---|---|---|---|---|"
	for ((r = 0; r < ROUNDS; r++)); do
		list=$SIZES
		((r % 2)) && list=$(echo "$SIZES" | tr ' ' '\n' | tac | paste -sd' ')
		for sz in $list; do
			# shellcheck disable=SC2086 # ARGS: words
			phase "size.$sz" "$RUNNER" max "$tmp/events.json" \
				-o json --ring-size "$sz" $ARGS
			tail -n 1 "$tmp/res.size.$sz.max" | awk -v sz="$sz" -v s="$SECS" \
				'{ printf "| %s | %d | %d | %.0f | %.1f | %.3f |\n", sz, $4, $5, $7 / s, $2 / 1024, $3 / ($4 ? $4 : 1) / 1000 }'
		done
	done
	exit 0
fi

# KEEP_FILES=1: each -o json phase writes a new file, all kept until the
# end (the page cache grows into memory no phase freed: a long run's
# case), instead of overwriting the last phase's file
json_out() {
	if [ -n "${KEEP_FILES:-}" ]; then echo "$tmp/events.$1.json"; else
		echo "$tmp/events.json"; fi
}
builds="a"
[ -n "$RUNNER2" ] && builds="a b"
bin_of() { if [ "$1" = a ]; then echo "$RUNNER"; else echo "$RUNNER2"; fi; }
args_of() { if [ "$1" = a ]; then echo "$ARGS"; else echo "$ARGS2"; fi; }
for ((r = 0; r < ROUNDS; r++)); do
	list=$builds
	((r % 2)) && list=$(echo "$builds" | tr ' ' '\n' | tac | paste -sd' ')
	for b in $list; do
		bench_img=trace_dns:bench
		[ "$b" = b ] && [ -n "$GADGET2" ] && bench_img=trace_dns:bench2
		# shellcheck disable=SC2046 # ARGS: words
		phase "$b.json" "$(bin_of "$b")" fixed "$(json_out "$r$b"f)" \
			-o json $(args_of "$b")
		# shellcheck disable=SC2046
		phase "$b.columns" "$(bin_of "$b")" fixed /dev/null \
			$(args_of "$b")
		# shellcheck disable=SC2046
		phase "$b.json" "$(bin_of "$b")" max "$(json_out "$r$b"m)" \
			-o json $(args_of "$b")
	done
done

col() { # file awk-expr
	[ -f "$tmp/res.$1" ] || { echo -; return; }
	awk "{ print $2 }" "$tmp/res.$1" | median
}
echo "runner cost, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)," \
	"$ROUNDS rounds of ${SECS}s, $RATE queries/s, medians"
echo
line="| | $RUNNER $ARGS |"
sep="|---|---|"
[ -n "$RUNNER2" ] && line+=" $RUNNER2 $ARGS2 |" && sep+="---|"
echo "$line"
echo "$sep"
row() { # title file expr fmt
	local l="| $1 |" b
	for b in $builds; do
		l+=" $(col "$b.$2" "$3" | awk -v f="$4" '{ if ($1 == "-") print "-"; else printf f, $1 }') |"
	done
	echo "$l"
}
row "spawn to attached, ms (all phases)" json.fixed '$1' "%d"
row "RSS when attached, MB" json.fixed '$2 / 1024' "%.1f"
row "CPU us per event, -o json > file ($RATE q/s)" json.fixed '$3 / $4 / 1000' "%.3f"
row "CPU us per event, columns > /dev/null ($RATE q/s)" columns.fixed '$3 / $4 / 1000' "%.3f"
row "CPU us per event, -o json > file (max rate)" json.max '$3 / $4 / 1000' "%.3f"
row "events at max rate" json.max '$4' "%d"
row "lost at max rate" json.max '$5' "%d"
row "peak RSS (VmHWM) after max rate, MB" json.max '$6 / 1024' "%.1f"
# per round, with RUNNER2: CPU us per event of each build and their ratio
if [ -n "$RUNNER2" ]; then
	echo
	echo "per round, CPU us per event (RUNNER / RUNNER2 = ratio):"
	for p in json.fixed columns.fixed json.max; do
		paste <(awk '{ printf "%.3f\n", $3 / ($4 ? $4 : 1) / 1000 }' "$tmp/res.a.$p") \
			<(awk '{ printf "%.3f\n", $3 / ($4 ? $4 : 1) / 1000 }' "$tmp/res.b.$p") |
			awk -v p="$p" '{ l = l sprintf(" %s/%s=%.2f", $1, $2, $2 / $1) }
				END { print "- " p ":" l }'
	done
fi
