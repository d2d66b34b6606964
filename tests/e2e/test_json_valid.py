#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""-o json, jsonpretty and yaml are valid UTF-8 whatever the packets and
processes hold: DNS names with every byte (NUL, '.', '\\', 0x80-0xff) in
their labels, CNAME targets and TXT data of such bytes, a malformed
response, an unanswered query, a TCP message cut short, and a client and a
server whose comm (prctl PR_SET_NAME) is bytes that are no UTF-8.  Every
line is decoded strictly as UTF-8 and read back (json.loads per line,
one object after another for jsonpretty, yaml.safe_load_all)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Fail, Netns, Runner, check, link,  # noqa: E402
                     main, sh, stop_procs, test)

SRV4, CLI4 = "10.77.9.1", "10.77.9.2"
NS = f"jv{os.getpid()}"
MODES = ("json", "jsonpretty", "yaml")

# A comm of 15 bytes that are no UTF-8 (and some that are, or escape).
COMM = b"\xff\xfe\"\\\x1b\x80\xc3(\xed\xa0\x80\xe2\x80\xa8\x7f"

# What both ends run: the DNS wire format of hostile names and records.
COMMON = r'''
import ctypes, socket, struct, sys

def set_comm(b):
    ctypes.CDLL(None).prctl(15, ctypes.c_char_p(b), 0, 0, 0)  # PR_SET_NAME

def wire(labels):
    return b"".join(bytes([len(lb)]) + lb for lb in labels) + b"\0"

# every byte in the labels of names: 6 names of 2 labels of 22 bytes
def hostile_labels(i):
    lo = 44 * i
    return [bytes((lo + k) % 256 for k in range(22)),
            bytes((lo + 22 + k) % 256 for k in range(22)), b"hostile"]

SPECIALS = [b"\xe2\x80\xa8", b"\xed\xa0\x80", b"\xc2\x85", b"\xf4\x90\x80\x80",
            b"\xc3", b"\x00", b"\"\\", b"."]
'''

SERVER = COMMON + r'''
import select, threading

def rr(owner, rtype, rdata, ttl=60):
    return owner + struct.pack("!HHIH", rtype, 1, ttl, len(rdata)) + rdata

def qname(msg):
    pos, lbls = 12, []
    while pos < len(msg) and msg[pos]:
        lbls.append(msg[pos + 1:pos + 1 + msg[pos]])
        pos += 1 + msg[pos]
    return lbls, pos + 5

def answer(q):
    lbls, end = qname(q)
    first = lbls[0] if lbls else b""
    if first == b"silent":
        return None
    hdr = q[:2] + struct.pack("!H", 0x8180)
    question = q[12:end]
    if first == b"bad":  # a record whose owner's label runs past the end
        return hdr + struct.pack("!HHHH", 1, 3, 0, 0) + question + \
            b"\x3f\xff\xfe\x00\x80"
    n = sum(map(len, lbls)) % 6
    t1 = wire(hostile_labels((n + 1) % 6))
    t2 = wire([b"x" + s + b"y" for s in SPECIALS])
    txt = bytes([255]) + bytes(range(256))[1:256]
    an = [rr(b"\xc0\x0c", 5, t1), rr(t1, 5, t2),
          rr(t2, 16, txt), rr(t2, 1, bytes([10, 0, 0, 1]))]
    return hdr + struct.pack("!HHHH", 1, len(an), 0, 0) + question + \
        b"".join(an)

def tcp_conn(c):
    with c:
        buf = b""
        while True:
            d = c.recv(4096)
            if not d:
                return
            buf += d
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                n = struct.unpack("!H", buf[:2])[0]
                a = answer(buf[2:2 + n])
                buf = buf[2 + n:]
                if a:
                    c.sendall(struct.pack("!H", len(a)) + a)

def main():
    set_comm(bytes.fromhex(sys.argv[2]))
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind((sys.argv[1], 53))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind((sys.argv[1], 53))
    t.listen(16)
    print("ready", flush=True)
    while True:
        r, _, _ = select.select([u, t], [], [])
        if u in r:
            q, peer = u.recvfrom(4096)
            a = answer(q)
            if a:
                u.sendto(a, peer)
        if t in r:
            c, _ = t.accept()
            threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()

main()
'''

CLIENT = COMMON + r'''
def query(labels, qid, qtype=1):
    return struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + wire(labels) + \
        struct.pack("!HH", qtype, 1)

def udp(srv, labels, qid, wait=True):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(query(labels, qid), (srv, 53))
    if wait:
        s.recv(4096)
    s.close()

def tcp(srv, data):
    s = socket.create_connection((srv, 53), timeout=5)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
    while s.recv(4096):
        pass
    s.close()

def main():
    srv, what = sys.argv[1], sys.argv[2]
    set_comm(bytes.fromhex(sys.argv[3]))
    if what == "marker":
        udp(srv, [b"marker", b"test"], 7)
        return
    if what == "silent":
        udp(srv, [b"silent", b"\xff\x00\xc3", b"test"], 8, wait=False)
        return
    for i in range(6):
        udp(srv, hostile_labels(i), 100 + i)
    udp(srv, [b"a" + s for s in SPECIALS] + [b"test"], 110)
    udp(srv, [b"bad", b"\x80\xff", b"test"], 111)
    q = query(hostile_labels(3), 112)
    tcp(srv, struct.pack("!H", len(q)) + q)
    # a TCP message cut short: 200 bytes announced, 30 sent
    tcp(srv, struct.pack("!H", 200) + query([b"cut\xff\xfe", b"test"], 113)[:30])

main()
'''


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="json-valid-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs, env.nss, env.runners = [], [], {}
    try:
        build_env(env)
    except BaseException:
        teardown(env)
        raise
    return env


def build_env(env):
    sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns -t trace_dns:latest"
       f" --store {env.store}")
    env.srv = Netns(f"{NS}-srv")
    env.cli = Netns(f"{NS}-cli")
    env.nss += [env.srv, env.cli]
    link(env.cli, env.srv, [f"{CLI4}/24"], [f"{SRV4}/24"], name="jv")
    for name, text in (("server.py", SERVER), ("client.py", CLIENT)):
        with open(os.path.join(env.tmp, name), "w") as f:
            f.write(text)
    p = env.srv.popen(f"python3 {env.tmp}/server.py {SRV4} {COMM.hex()}",
                      stdout=subprocess.PIPE, text=True)
    env.procs.append(p)
    if p.stdout.readline().strip() != "ready":
        raise Fail("the DNS server did not start")
    for mode in MODES:
        env.runners[mode] = Runner(["run", "trace_dns", "-o", mode,
                                    "--unanswered-timeout", "1",
                                    "--store", env.store])


def teardown(env):
    if env is None:
        return
    for r in env.runners.values():
        r.stop()
    stop_procs(env.procs)
    for ns in env.nss:
        ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


def client(env, what):
    env.cli.run(f"python3 {env.tmp}/client.py {SRV4} {what} {COMM.hex()}",
                timeout=60)


def raw(r):
    r.out.flush()
    with open(r.out.name, "rb") as f:
        return f.read()


def wait_all(env, pattern, n, what, timeout=WAIT):
    """Until each runner's output has n matches of pattern (bytes regex,
    keys quoted or not, as each mode writes them)."""
    deadline = time.time() + timeout
    for mode, r in env.runners.items():
        while len(re.findall(pattern, raw(r))) < n:
            if time.time() > deadline or r.proc.poll() is not None:
                raise Fail(f"-o {mode}: no {what}; stderr: "
                           f"{r.stderr()[-300:]}")
            time.sleep(0.05)


def docs(mode, data):
    """The objects of one runner's output, each line or document read from
    text decoded strictly as UTF-8 (UnicodeDecodeError: a failure)."""
    text = data.decode("utf-8", errors="strict")
    if mode == "yaml":
        return list(yaml.safe_load_all(text))
    if mode == "json":
        lines = text.split("\n")
        check(lines[-1] == "", "the output ends with a whole line")
        return [json.loads(line) for line in lines[:-1]]
    out, dec, pos = [], json.JSONDecoder(), 0
    while pos < len(text):
        while pos < len(text) and text[pos] in " \n":
            pos += 1
        if pos < len(text):
            obj, pos = dec.raw_decode(text, pos)
            out.append(obj)
    return out


@test
def hostile_names_records_and_comm_stay_utf8_json(env):
    client(env, "silent")
    # the unanswered query is reported after --unanswered-timeout 1
    wait_all(env, rb'"?unanswered"?: ?true', 1, "unanswered query")
    client(env, "hostile")
    client(env, "marker")
    # the marker's query and response, at the client and at the server
    wait_all(env, rb'marker\.test\.', 4, "marker")
    for mode, r in env.runners.items():
        # stopped first: a file read while it grows may end in part of
        # a write (harness.whole_lines_text())
        check(r.stop() == 0, f"-o {mode}: exit code")
        try:
            evs = docs(mode, raw(r))
        except (UnicodeDecodeError, ValueError, yaml.YAMLError) as e:
            raise Fail(f"-o {mode}: {e}")
        check(all(isinstance(e, dict) for e in evs), f"-o {mode}: objects")
        comms = {e["proc"]["comm"] for e in evs}
        # the hostile comm, each byte that starts no sequence as U+FFFD
        check(any("\ufffd" in c and "\u2028" in c for c in comms),
              f"-o {mode}: no event of the hostile comm: {comms}")
        names = [e["name"] for e in evs]
        # every byte of a label written as dig writes it (\DDD)
        check(any(n.startswith("\\000\\001") for n in names),
              f"-o {mode}: no name with a NUL in a label: {names[:8]}")
        check(any("\\255" in e["cnames"] for e in evs),
              f"-o {mode}: no CNAME with a byte 255")
        check(any(e["unanswered"] and "silent" in e["name"] for e in evs),
              f"-o {mode}: no unanswered query")
        check(any(e["src"]["proto"] == "TCP" for e in evs),
              f"-o {mode}: no TCP event")


if __name__ == "__main__":
    main(setup, teardown)
