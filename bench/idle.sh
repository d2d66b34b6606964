#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# A quiet runner: `runner run trace_dns -o json` from a throwaway local
# store with no DNS on its ports (--ports 1057), then, for each setup in
# turn: its wake-ups (voluntary context switches of all its threads) and
# CPU time a second over SECONDS, from 2 s after attached; the time from
# sending one query to reading its event on a pipe, for QUERIES queries
# each after 1.5 s of quiet (a UDP query of its own name to 127.0.0.1:1057,
# which nothing answers); and, with --otel-metrics-listen, the same
# wake-ups and the time a scrape of /metrics takes.
# Setup a: RUNNER (default build/runner) with the image of GADGET (default
# gadget/trace_dns); setup b, if RUNNER2 or GADGET2 is set: RUNNER2 /
# GADGET2 (each defaults to a's).
#   bench/idle.sh [SECONDS] [QUERIES]       (default 10 s, 10 queries)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || exec tools/asroot.sh "$0" "$@"
SECS=${1:-10}
QUERIES=${2:-10}
RUNNER=${RUNNER:-build/runner}
GADGET=${GADGET:-gadget/trace_dns}
setups=a
[ -z "${RUNNER2:-}${GADGET2:-}" ] || setups="a b"
RUNNER2=${RUNNER2:-$RUNNER}
GADGET2=${GADGET2:-$GADGET}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# images built by this tree's runner (a copied binary finds no headers)
for t in a b; do
	if [ $t = a ]; then g=$GADGET; else g=$GADGET2; fi
	build/runner image build "$g" -t trace_dns:$t --store "$tmp/store" \
		>"$tmp/build.log" 2>&1 || { cat "$tmp/build.log" >&2; exit 1; }
done

echo "| setup | idle wake-ups/s | idle CPU ms/s | first event after quiet, ms (median; all) | /metrics idle wake-ups/s | scrape ms (median; all) |"
echo "|---|---|---|---|---|---|"
for t in $setups; do
	if [ "$t" = a ]; then bin=$RUNNER name="$RUNNER $GADGET"; else
		bin=$RUNNER2 name="$RUNNER2 $GADGET2"
	fi
	python3 - "$bin" "trace_dns:$t" "$tmp" "$SECS" "$QUERIES" "$name" <<'EOF'
import os, random, socket, statistics, struct, subprocess, sys, time
import urllib.request

runner, image, tmp, secs, queries, name = sys.argv[1:]
secs, queries = int(secs), int(queries)
ready = os.path.join(tmp, "ready")


def start(*args, out=subprocess.PIPE):
    if os.path.exists(ready):
        os.unlink(ready)
    p = subprocess.Popen([runner, "run", image, "--store",
                          os.path.join(tmp, "store"), "--ports", "1057",
                          *args], stdout=out, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, RUNNER_READY_FILE=ready))
    while not os.path.exists(ready):
        if p.poll() is not None:
            sys.exit(f"{runner} exited {p.returncode}")
        time.sleep(0.01)
    return p


def usage(pid):
    """(voluntary context switches, CPU ns) of all threads of pid."""
    w = c = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{t}/schedstat") as f:
            c += int(f.read().split()[0])
        with open(f"/proc/{pid}/task/{t}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    w += int(line.split()[1])
    return w, c


def idle(p):
    time.sleep(2)
    w0, c0 = usage(p.pid)
    time.sleep(secs)
    w1, c1 = usage(p.pid)
    return (w1 - w0) / secs, (c1 - c0) / 1e6 / secs


def stop(p):
    p.send_signal(2)
    p.wait()


def ms(xs):
    return "%.2f; %s" % (statistics.median(xs),
                         " ".join("%.1f" % x for x in xs))


p = start("-o", "json")
wakes, cpu = idle(p)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
lat = []
for i in range(queries):
    time.sleep(1.5 + random.uniform(0, 0.02))  # off the poll's phase
    label = b"q%d-%d" % (i, os.getpid())
    q = (struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 0) + bytes([len(label)])
         + label + b"\x04idle\x04test\x00" + struct.pack(">HH", 1, 1))
    t0 = time.monotonic()
    s.sendto(q, ("127.0.0.1", 1057))
    while label not in p.stdout.readline():
        pass
    lat.append((time.monotonic() - t0) * 1e3)
stop(p)

ls = socket.socket()
ls.bind(("127.0.0.1", 0))
port = ls.getsockname()[1]
ls.close()
p = start("-o", "none", "--otel-metrics-listen",
          "--otel-metrics-listen-address", f"127.0.0.1:{port}",
          out=subprocess.DEVNULL)
mwakes, _ = idle(p)
scrape = []
for i in range(queries):
    time.sleep(1.2 + random.uniform(0, 0.02))
    t0 = time.monotonic()
    urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                           timeout=5).read()
    scrape.append((time.monotonic() - t0) * 1e3)
stop(p)
print(f"| {name} | {wakes:.1f} | {cpu:.2f} | {ms(lat)} | {mwakes:.1f} | "
      f"{ms(scrape)} |")
EOF
done
