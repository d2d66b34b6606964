#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""trace_dns: DNS over TCP as a stream, end to end.

A client namespace and a server namespace joined by a veth pair; unbound
answers over TCP in the server namespace on a port of this run's own (the
runner traces only it: other DNS traffic on the machine changes no
counter here).  The clients (/usr/bin/python3, TCP_NODELAY) write a length
and its message in separate segments, a message in three segments, several
queries in one segment; every write after the first waits until the bytes
before it are acknowledged, so each is a segment of its own.  Each message
is checked at both ends: name, id, qr, rcode, latency and process.  A
response past 2 KiB is decoded from its first 2 KiB and counted; a TCP
query nobody answers is reported unanswered.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, Fail, Netns, Runner, check, eq,  # noqa: E402
                     link, main, sh, test)
import gadget_env  # noqa: E402

tdns = gadget_env.tdns
SRV, CLI, SILENT = "10.78.0.1", "10.78.0.2", "10.78.0.3"
PORT = 20000 + os.getpid() % 20000  # this run's DNS ports
QUIET_PORT = PORT + 1  # the silent server's (the process of a port is
# known per namespace and port, whatever the address)
NS = f"tcps{os.getpid()}"
ADDR = {f"{n}.tcp.test.": f"10.78.1.{i}"
        for i, n in enumerate(["s1", "s2", "p1", "p2", "m1", "m2", "m3"], 1)}
TXT = "x" * 250
BIG_RECORDS = 12  # TXT records of 250 bytes: a response of about 3 KiB

CLIENT = r"""
import fcntl, json, socket, struct, sys, termios, time

mode, srv, port, id0 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4], 16)
names = sys.argv[5:]
TYPES = {"A": 1, "TXT": 16}


def query(i, spec):
    name, _, qtype = spec.partition("/")
    labels = b"".join(bytes([len(l)]) + l.encode() for l in name.split("."))
    return (struct.pack("!6H", id0 + i, 0x0100, 1, 0, 0, 0) + labels +
            b"\0" + struct.pack("!HH", TYPES[qtype or "A"], 1))


def acked(s):
    # every byte written so far acknowledged: the next write is a segment
    # of its own
    deadline = time.time() + 60  # only a hang: a loaded machine is slow
    buf = bytearray(4)
    while True:
        fcntl.ioctl(s, termios.TIOCOUTQ, buf)
        if struct.unpack("i", buf)[0] == 0:
            return
        if time.time() > deadline:
            sys.exit("bytes not acknowledged")
        time.sleep(0.001)


def send(s, *pieces):
    for i, p in enumerate(pieces):
        if i:
            acked(s)
        s.sendall(p)


s = socket.create_connection((srv, port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
msgs = [query(i, n) for i, n in enumerate(names)]
framed = [struct.pack("!H", len(m)) + m for m in msgs]
if mode == "pipeline":
    send(s, b"".join(framed))
for m, fm in zip(msgs, framed):
    if mode == "split":
        send(s, fm[:2], fm[2:])
    elif mode == "spread":
        send(s, fm[:7], fm[7:19], fm[19:])
    elif mode == "noanswer":
        send(s, fm[:2], fm[2:])
        acked(s)
        print(json.dumps({"port": s.getsockname()[1]}), flush=True)
        sys.exit(0)
got = {}
for _ in msgs:
    n = struct.unpack("!H", f.read(2))[0]
    r = f.read(n)
    got[r[0] << 8 | r[1]] = {"rcode": r[3] & 15, "len": n}
print(json.dumps({"port": s.getsockname()[1], "answers": got}))
"""

SILENT_SERVER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen()
print("ready", flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)  # read by the kernel, never answered
"""


class Env:
    pass


def unbound(ns, tmp):
    conf = os.path.join(tmp, "unbound.conf")
    with open(conf, "w") as f:
        f.write("server:\n"
                f"  interface: {SRV}\n  port: {PORT}\n  do-daemonize: no\n"
                '  chroot: ""\n  username: ""\n'
                f'  directory: "{tmp}"\n  pidfile: "{tmp}/unbound.pid"\n'
                "  use-syslog: no\n  verbosity: 0\n  do-ip6: no\n"
                "  access-control: 10.78.0.0/16 allow\n"
                '  local-zone: "tcp.test." static\n')
        for name, addr in ADDR.items():
            f.write(f'  local-data: "{name} 60 IN A {addr}"\n')
        for i in range(BIG_RECORDS):
            f.write(f"  local-data: 'big.tcp.test. 60 IN TXT "
                    f"\"{i:02d}{TXT[2:]}\"'\n")
        f.write("remote-control:\n  control-enable: no\n")
    p = ns.popen(f"unbound -d -c {conf}", stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
    tdns.wait_port(ns, SRV, p, port=PORT)
    return p


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="tcp-stream-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs, env.nss, env.runner = [], [], None
    env.etc = os.path.join(env.tmp, "etc")  # none: tdns.teardown removes it
    try:
        sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns "
           f"-t trace_dns:latest --store {env.store}")
        env.srv = Netns(f"{NS}-srv")
        env.cli = Netns(f"{NS}-cli")
        env.nss += [env.srv, env.cli]
        link(env.cli, env.srv, [f"{CLI}/24"], [f"{SRV}/24"], name="tcps")
        sh(f"ip -n {env.srv.name} addr add {SILENT}/32 dev lo")
        env.client = os.path.join(env.tmp, "client.py")
        with open(env.client, "w") as f:
            f.write(CLIENT)
        silent = os.path.join(env.tmp, "silent.py")
        with open(silent, "w") as f:
            f.write(SILENT_SERVER)
        env.silent = env.srv.popen(f"/usr/bin/python3 {silent} {SILENT} "
                                   f"{QUIET_PORT}", stdout=subprocess.PIPE,
                                   text=True)
        env.procs.append(env.silent)
        eq(env.silent.stdout.readline().strip(), "ready", "silent server")
        env.runner = Runner(["run", "trace_dns", "-o", "json", "--store",
                             env.store, "--ports", f"{PORT},{QUIET_PORT}",
                             "--unanswered-timeout", "1"])
        # started after the runner: its sockets are known from bind(2)
        env.ub = unbound(env.srv, env.tmp)
        env.procs.append(env.ub)
    except BaseException:
        teardown(env)
        raise
    return env


teardown = tdns.teardown


def client(env, mode, id0, *names, server=SRV, port=PORT):
    """Run the client; (pid, its JSON output)."""
    pid, out = tdns.run_client(env.cli, f"/usr/bin/python3 {env.client} "
                               f"{mode} {server} {port} {id0:04x} "
                               + " ".join(names))
    try:
        return pid, json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise Fail(f"client {mode}: {out[-300:]}")


def exchanges(env, pid, out, id0, names, rcodes=None):
    """Every message of one client at both ends: name, id, qr, rcode,
    latency, client and server process, addresses."""
    r = env.runner
    for i, spec in enumerate(names):
        name, _, qtype = spec.partition("/")
        name, qtype = name + ".", qtype or "A"
        dns_id = f"{id0 + i:04x}"
        rcode = (rcodes or {}).get(name, "Success")
        eq(out["answers"][str(id0 + i)]["rcode"],
           0 if rcode == "Success" else 3, f"{name} rcode at the client")
        evs = tdns.wait_exchange(env, r, env.cli, pid, name, qtype,
                                 srv_ns=env.srv)
        q, resp = tdns.check_exchange(
            env, evs, pid=pid, name=name, qtype=qtype, srv=SRV, cli=CLI,
            proto="TCP", comm="python3", rcode=rcode,
            addresses=ADDR.get(name, ""), server_comm="unbound",
            server_pid=env.ub.pid, cli_ns=env.cli, srv_ns=env.srv,
            server_port=PORT)
        eq(q["id"], dns_id, f"{name} id")
        eq(q["src"]["port"], out["port"], f"{name} client port")
        eq(resp["qr"], "R", f"{name} qr")


@test
def length_alone_then_message(env):
    names = ["s1.tcp.test", "s2.tcp.test", "nx1.tcp.test"]
    pid, out = client(env, "split", 0x7100, *names)
    exchanges(env, pid, out, 0x7100, names,
              rcodes={"nx1.tcp.test.": "NameError"})


@test
def message_across_three_segments(env):
    names = ["p1.tcp.test", "p2.tcp.test"]
    pid, out = client(env, "spread", 0x7200, *names)
    exchanges(env, pid, out, 0x7200, names)


@test
def pipelined_queries_in_one_segment(env):
    names = ["m1.tcp.test", "m2.tcp.test", "m3.tcp.test"]
    pid, out = client(env, "pipeline", 0x7300, *names)
    exchanges(env, pid, out, 0x7300, names)


@test
def oversized_response_decoded_and_counted(env):
    """About 3 KiB of TXT records: decoded from the first 2 KiB (the
    question, the header's count) at both ends, counted once at each."""
    pid, out = client(env, "split", 0x7400, "big.tcp.test/TXT")
    check(out["answers"][str(0x7400)]["len"] > 2048,
          f"response of {out['answers']} bytes")
    exchanges(env, pid, out, 0x7400, ["big.tcp.test/TXT"])
    evs = env.runner.events()
    for ns in (env.cli, env.srv):
        r = tdns.one(tdns.pick(evs, netns_id=ns.inode(), id="7400", qr="R"),
                     f"big response in {ns.name}")
        eq(r["num_answers"], BIG_RECORDS, "num_answers")
        eq(r["ttl"], 60, "ttl")


@test
def unanswered_tcp_query(env):
    """A query to a TCP server that reads and never answers: reported
    unanswered after --unanswered-timeout 1, at both ends."""
    pid, out = client(env, "noanswer", 0x7500, "quiet.tcp.test",
                      server=SILENT, port=QUIET_PORT)
    cli, srv = env.cli.inode(), env.srv.inode()
    evs = tdns.wait_events(env.runner, lambda e: e["unanswered"] and
                           e["name"] == "quiet.tcp.test.", n=2)
    for ns, what in ((cli, "client"), (srv, "server")):
        e = tdns.one(evs, f"unanswered at the {what}", netns_id=ns,
                     name="quiet.tcp.test.", unanswered=True)
        eq(e["id"], "7500", f"{what} id")
        eq(e["src"]["proto"], "TCP", f"{what} proto")
        eq(e["src"]["port"], out["port"], f"{what} client port")
        eq(e["dst"]["port"], QUIET_PORT, f"{what} server port")
        check(e["latency_ns_raw"] >= 10**9, f"{what} waited the timeout")
    e = tdns.one(evs, "client", netns_id=cli, name="quiet.tcp.test.",
                 unanswered=True)
    eq(e["proc"]["pid"], pid, "client proc.pid")
    e = tdns.one(evs, "server", netns_id=srv, name="quiet.tcp.test.",
                 unanswered=True)
    eq(e["proc"]["pid"], env.silent.pid, "server proc.pid")


@test
def summary_counts(env):
    """Last: the runner stops with the big response counted once per
    side, and nothing skipped (no segment was lost or out of order)."""
    r, env.runner = env.runner, None
    eq(r.stop(), 0, "exit code")
    last = r.stderr().strip().splitlines()[-1]
    m = re.search(r", (\d+) oversized", last)
    check(m, f"oversized in the summary: {last!r}")
    eq(int(m[1]), 2, f"oversized messages in {last!r}")
    check(", 0 tcp_skipped" in last, f"nothing skipped: {last!r}")


if __name__ == "__main__":
    main(setup, teardown)
