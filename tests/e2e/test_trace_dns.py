#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""trace_dns end to end: real namespaces, real DNS servers and clients.

A client namespace and a server namespace are joined by a veth pair
(10.77.0.0/24, fd77::/64).  dnsmasq answers in the server namespace, started
before the runner; unbound is started after it in a namespace made after it.
Clients: dig, busybox nslookup, getent, a raw UDP socket.  Each test checks
the JSON events of its own queries field by field.
"""
import datetime
import fcntl
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Fail, Netns, Runner,  # noqa: E402
                     check, eq, exit_status, kill_left, PRIVATE_MOUNTS, link,
                     main, sh, stop_procs, test, wakeups)

SRV4, CLI4 = "10.77.0.1", "10.77.0.2"
SRV6, CLI6 = "fd77::1", "fd77::2"
WEB4, WEB6 = "10.77.1.1", "fd77:1::1"
WEB2 = "10.77.1.2"
MANY = [f"10.77.3.{i}" for i in range(1, 11)]
NOBODY = 65534
# TTLs dnsmasq gives its local records and the CNAME
LOCAL_TTL, CNAME_TTL = 123, 77
# a TXT record of 8 strings: a response of ~2 KiB, past the veth's MTU
BIG_TXT = ",".join(chr(ord("a") + i) * 250 for i in range(8))
# namespace names unique per run: concurrent runs must not delete each
# other's hosts (addresses are per namespace and may repeat)
NS = f"tdns{os.getpid()}"


class Env:
    pass


def dnsmasq(ns, tmp, listen, name="dnsmasq", port=53, extra=""):
    """dnsmasq answering on listen (comma-separated addresses) in ns with
    the local records of these tests, plus the options in extra."""
    pidfile = os.path.join(tmp, f"{name}.pid")
    p = ns.popen("dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces"
                 f" --listen-address={listen} --pid-file={pidfile}"
                 f" --port={port} --local-ttl={LOCAL_TTL}"
                 f" --address=/web.test/{WEB4} --address=/web.test/{WEB6}"
                 " --address=/nx.test/"
                 f" --host-record=web2.test,{WEB2} --cname=alias.test,web2.test,"
                 f"{CNAME_TTL} --txt-record=big.test,{BIG_TXT}"
                 f" --edns-packet-max=4096 {extra}",
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(ns, listen.split(",")[0], p, port)
    return p


def unbound(ns, tmp, listen=("127.0.0.1",), allow=("127.0.0.0/8",),
            server="", rest=""):
    """unbound answering on the addresses listen from clients in allow,
    with many.test.'s records; server: more lines of its server: clause
    (two spaces in), rest: more clauses."""
    conf = os.path.join(tmp, "unbound.conf")
    with open(conf, "w") as f:
        f.write("server:\n")
        for a in listen:
            f.write(f"  interface: {a}\n")
        for a in allow:
            f.write(f"  access-control: {a} allow\n")
        f.write("  port: 53\n  do-daemonize: no\n"
                '  chroot: ""\n  username: ""\n'
                f'  directory: "{tmp}"\n  pidfile: "{tmp}/unbound.pid"\n'
                "  use-syslog: no\n  verbosity: 0\n"
                '  local-zone: "many.test." static\n')
        for a in MANY:
            f.write(f'  local-data: "many.test. 60 IN A {a}"\n')
        f.write(server)
        f.write("remote-control:\n  control-enable: no\n" + rest)
    p = ns.popen(f"unbound -d -c {conf}", stdout=subprocess.DEVNULL,
                 stderr=subprocess.DEVNULL)
    wait_port(ns, listen[0], p)
    return p


def wait_port(ns, addr, proc, port=53):
    """Wait until a DNS server answers on addr (it runs in ns)."""
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if proc.poll() is not None:
            raise Fail(f"DNS server in {ns.name} exited {proc.returncode}")
        out = ns.run(f"dig +time=1 +tries=1 -p {port} @{addr} web.test",
                     check_rc=False)
        if "status:" in out:
            return
        time.sleep(0.1)
    raise Fail(f"DNS server in {ns.name} does not answer on {addr}")


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="trace-dns-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs = []
    env.nss = []
    env.runner = None
    env.etc = f"/etc/netns/{NS}-cli"
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
    link(env.cli, env.srv, [f"{CLI4}/24", f"{CLI6}/64"],
         [f"{SRV4}/24", f"{SRV6}/64"], name="tdns")
    # a client host that has sent nothing yet: its neighbour is unresolved
    env.arp = Netns(f"{NS}-arp")
    env.nss.append(env.arp)
    link(env.arp, env.srv, ["10.77.6.2/24"], ["10.77.6.1/24"],
         name="tdnsarp")
    sh(f"ip -n {env.arp.name} route add default via 10.77.6.1")
    # a server whose sockets exist before the runner starts
    env.dnsmasq = dnsmasq(env.srv, env.tmp, f"{SRV4},{SRV6}")
    env.procs.append(env.dnsmasq)

    # busybox picks its applet from argv[0]: a symlink named nslookup
    env.bin = os.path.join(env.tmp, "bin")
    os.mkdir(env.bin)
    os.symlink(shutil.which("busybox"), os.path.join(env.bin, "nslookup"))

    # getent resolves through /etc/resolv.conf, which `ip netns exec`
    # replaces with /etc/netns/<name>/resolv.conf
    os.makedirs(env.etc, exist_ok=True)
    with open(os.path.join(env.etc, "resolv.conf"), "w") as f:
        f.write(f"nameserver {SRV4}\noptions timeout:2 attempts:1\n")

    env.runner = Runner(["run", "trace_dns", "-o", "json",
                         "--store", env.store])


def teardown(env):
    if env is None:
        return
    if env.runner:
        env.runner.stop()
    stop_procs(env.procs)
    for ns in env.nss:
        ns.delete()
    shutil.rmtree(env.etc, ignore_errors=True)
    shutil.rmtree(env.tmp, ignore_errors=True)


# ---- helpers ----------------------------------------------------------------


def run_client(ns, cmd):
    """Run a client in ns; return (pid, stdout).  The pid is the client's:
    `ip netns exec` and setpriv exec it in place."""
    p = ns.popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                 text=True)
    out, _ = p.communicate(timeout=30)
    return p.pid, out


def field(e, dotted):
    for k in dotted.split("."):
        e = e[k]
    return e


def pick(evs, **want):
    """Events whose dotted fields (proc__pid for proc.pid) equal want."""
    return [e for e in evs
            if all(field(e, k.replace("__", ".")) == v
                   for k, v in want.items())]


def one(evs, what, **want):
    got = pick(evs, **want)
    if len(got) != 1:
        raise Fail(f"{what}: {len(got)} events match {want}")
    return got[0]


def wait_events(r, pred, n=1, timeout=WAIT):
    """Events so far (since the test began) once n of them satisfy pred
    (fail after timeout)."""
    deadline = time.time() + timeout
    while True:
        evs = r.wait_for(pred, timeout=max(0.0, deadline - time.time()))
        if sum(1 for e in evs if pred(e)) >= n:
            return evs
        if time.time() > deadline:
            raise Fail(f"{sum(1 for e in evs if pred(e))} of {n} expected "
                       f"events after {timeout}s; stderr: {r.stderr()[-300:]}")
        time.sleep(0.1)


def check_endpoint(ep, addr, port, proto, what):
    eq(ep["addr"], addr, f"{what}.addr")
    if port is not None:
        eq(ep["port"], port, f"{what}.port")
    eq(ep["proto"], proto, f"{what}.proto")
    eq(ep["version"], 6 if ":" in addr else 4, f"{what}.version")


def ig_duration(ns):
    """A duration as ig's formatter writes it: ns below 1us, else Go's
    "%.2f" of the float64 count of us or ms (python's "%.2f" rounds the
    double the same way), else Go's Duration.String() (whole seconds and
    up to a minute here)."""
    if ns < 1000:
        return f"{ns}ns"
    if ns < 10**6:
        return "%.2f\u00b5s" % (ns / 1000)
    if ns < 10**9:
        return "%.2fms" % (ns / 10**6)
    assert ns < 60 * 10**9, ns
    s = f"{ns // 10**9}.{ns % 10**9:09d}".rstrip("0").rstrip(".")
    return s + "s"


def check_exchange(env, evs, *, pid, name, qtype, srv, cli, proto="UDP",
                   comm=None, uid=0, gid=0, rcode="Success", addresses="",
                   num_answers=None, server_comm="dnsmasq", server_pid=None,
                   cli_ns=None, srv_ns=None, server_port=53):
    """The four events of one query/response seen at both ends: the client's
    query (OUTGOING) and response (HOST) in its namespace, the server's
    query (HOST) and response (OUTGOING) in its own."""
    cli_ns = cli_ns or env.cli
    srv_ns = srv_ns or env.srv
    server_pid = server_pid or env.dnsmasq.pid
    mine = pick(evs, netns_id=cli_ns.inode(), proc__pid=pid, name=name,
                qtype=qtype)
    q = one(mine, "client query", pkt_type="OUTGOING", qr="Q")
    r = one(mine, "client response", pkt_type="HOST", qr="R")
    port = q["src"]["port"]
    check(port not in (0, 53), f"client port {port}")

    for e, what in ((q, "query"), (r, "response")):
        eq(e["proc"]["pid"], pid, f"client {what} proc.pid")
        eq(e["proc"]["creds"]["uid"], uid, f"client {what} proc.creds.uid")
        eq(e["proc"]["creds"]["gid"], gid, f"client {what} proc.creds.gid")
        if comm:
            eq(e["proc"]["comm"], comm, f"client {what} proc.comm")
        check(e["proc"]["tid"] > 0, f"client {what} proc.tid")
        check(e["proc"]["mntns_id"] > 0, f"client {what} proc.mntns_id")
        eq(e["netns_id"], cli_ns.inode(), f"client {what} netns_id")
        eq(e["opcode"], "Query", f"{what} opcode")
        eq(e["qclass"], 1, f"{what} qclass")
        check(e["timestamp_raw"] > 0, f"{what} timestamp_raw")
    check_endpoint(q["src"], cli, port, proto, "query src")
    check_endpoint(q["dst"], srv, server_port, proto, "query dst")
    check_endpoint(r["src"], srv, server_port, proto, "response src")
    check_endpoint(r["dst"], cli, port, proto, "response dst")
    eq(q["nameserver"]["addr"], srv, "query nameserver")
    eq(r["nameserver"]["addr"], srv, "response nameserver")
    eq(r["id"], q["id"], "response id")
    check(len(q["id"]) == 4, f"id {q['id']!r} is 4 hex digits")
    eq(q["qr_raw"], False, "query qr_raw")
    eq(r["qr_raw"], True, "response qr_raw")
    eq(q["rcode"], "", "query rcode")
    eq(q["addresses"], "", "query addresses")
    eq(q["num_answers"], 0, "query num_answers")
    eq(q["latency_ns_raw"], 0, "query latency_ns_raw")
    eq(q["latency_ns"], "0ns", "query latency_ns, as ig writes 0")
    eq(r["rcode"], rcode, "response rcode")
    eq(r["addresses"], addresses, "response addresses")
    if num_answers is not None:
        eq(r["num_answers"], num_answers, "response num_answers")
    check(r["latency_ns_raw"] > 0, "response latency_ns_raw > 0 at client")
    check(r["latency_ns_raw"] < 5 * 10**9, "response latency below 5 s")
    eq(r["latency_ns"], ig_duration(r["latency_ns_raw"]),
       "response latency_ns as ig writes it")

    # the same exchange at the server, owned by the server process
    theirs = pick(evs, netns_id=srv_ns.inode(), id=q["id"], name=name,
                  qtype=qtype)
    sq = one(theirs, "server query", pkt_type="HOST", qr="Q")
    sr = one(theirs, "server response", pkt_type="OUTGOING", qr="R")
    for e, what in ((sq, "server query"), (sr, "server response")):
        eq(e["proc"]["comm"], server_comm, f"{what} proc.comm")
        eq(e["proc"]["pid"], server_pid, f"{what} proc.pid")
        eq(e["src"]["port"] if e is sr else e["dst"]["port"], server_port,
           f"{what} server port")
    eq(sq["src"]["port"], port, "server query src.port")
    eq(sr["addresses"], addresses, "server response addresses")
    check(sr["latency_ns_raw"] > 0, "server response latency_ns_raw > 0")
    return q, r


def exchange_done(ns, pid, name, qtype):
    """pred: the client's response event has arrived."""
    inode = ns.inode()
    return lambda e: (e["netns_id"] == inode and e["proc"]["pid"] == pid and
                      e["name"] == name and e["qtype"] == qtype and
                      e["qr"] == "R")


def server_done(env, name, qtype, dns_id, ns=None):
    """pred: the server's response to the query with DNS id dns_id."""
    inode = (ns or env.srv).inode()
    return lambda e: (e["netns_id"] == inode and e["name"] == name and
                      e["qtype"] == qtype and e["qr"] == "R" and
                      e["id"] == dns_id and e["pkt_type"] == "OUTGOING")


def wait_exchange(env, r, ns, pid, name, qtype, srv_ns=None):
    """Events so far once the client's response and the server's response
    to the same query (its DNS id, as the client's query event says) have
    arrived."""
    evs = wait_events(r, exchange_done(ns, pid, name, qtype))
    inode = ns.inode()
    ids = {e["id"] for e in evs
           if e["netns_id"] == inode and e["proc"]["pid"] == pid and
           e["name"] == name and e["qtype"] == qtype and e["qr"] == "Q"}
    check(len(ids) == 1, f"DNS ids of {pid}'s {qtype} {name}: {ids}")
    return wait_events(r, server_done(env, name, qtype, ids.pop(),
                                      ns=srv_ns))


def before_marker(r, done, first=None, timeout=WAIT):
    """The events before the marker's first (the first event that satisfies
    first, or done), once its last (done) came: the marker is a query made
    after everything under test, so whatever else the runner would send
    has been sent by then (ring buffer order)."""
    first = first or done
    evs = wait_events(r, done, timeout=timeout)
    return evs[:next(i for i, e in enumerate(evs) if first(e))]


def dig(env, args, ns=None, prefix=""):
    ns = ns or env.cli
    pid, out = run_client(ns, f"{prefix}dig +time=2 +tries=1 {args}")
    check("status:" in out, f"dig {args} got no answer: {out[-300:]}")
    return pid, out


# ---- tests -----------------------------------------------------------------


@test
def a_and_aaaa_short_lived_busybox_client(env):
    nslookup = os.path.join(env.bin, "nslookup")
    pid, out = run_client(env.cli, f"{nslookup} web.test {SRV4}")
    check(WEB4 in out and WEB6 in out, f"nslookup output: {out}")
    r = env.runner
    wait_exchange(env, r, env.cli, pid, "web.test.", "A")
    evs = wait_exchange(env, r, env.cli, pid, "web.test.", "AAAA")
    check_exchange(env, evs, pid=pid, comm="nslookup", name="web.test.",
                   qtype="A", srv=SRV4, cli=CLI4, addresses=WEB4,
                   num_answers=1)
    check_exchange(env, evs, pid=pid, comm="nslookup", name="web.test.",
                   qtype="AAAA", srv=SRV4, cli=CLI4, addresses=WEB6,
                   num_answers=1)


@test
def unprivileged_client_uid_gid(env):
    pid, out = dig(env, f"@{SRV4} web.test",
                   prefix=f"setpriv --reuid {NOBODY} --regid {NOBODY} "
                   "--clear-groups ")
    check(WEB4 in out, f"dig output: {out[-300:]}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "web.test.", "A")
    check_exchange(env, evs, pid=pid, name="web.test.", qtype="A", srv=SRV4,
                   cli=CLI4, uid=NOBODY, gid=NOBODY, addresses=WEB4)


class Obj(list):
    """A JSON object as the (key, value) pairs it had, in their order."""


def unsorted_objects(pairs, path, seen):
    """The objects in pairs (an Obj or a YAML mapping's dict) and below
    whose keys are not in byte order, as (path, keys); seen counts every
    object looked at."""
    items = pairs if isinstance(pairs, Obj) else list(pairs.items())
    keys = [k for k, _ in items]
    bad = [] if keys == sorted(keys, key=lambda k: k.encode()) else \
        [(path or ".", keys)]
    seen.append(path)
    for k, v in items:
        if isinstance(v, (Obj, dict)):
            bad += unsorted_objects(v, f"{path}.{k}", seen)
    return bad


def other_mode_docs(r, mode):
    """The events a runner of -o jsonpretty or yaml wrote, key order kept."""
    text = r.stdout()
    if mode == "yaml":
        return [d for d in yaml.safe_load_all(text) if d is not None]
    dec, docs, i = json.JSONDecoder(object_pairs_hook=Obj), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text) or not text.endswith("}\n"):
            return docs
        doc, i = dec.raw_decode(text, i)
        docs.append(doc)


@test
def keys_in_byte_order_at_every_level_as_ig_writes_them(env):
    """ig's JSON formatter writes the keys of every object sorted by name,
    byte by byte (Go's strings.Compare), nested objects too, whatever
    order the struct has; its YAML is that JSON written by yaml.v2, whose
    order is the same for trace_dns's keys (no digits, no '_' where
    another key has a capital letter)."""
    modes = ("jsonpretty", "yaml")
    others = {m: Runner(["run", "trace_dns", "-o", m, "--store", env.store])
              for m in modes}
    try:
        pid, out = dig(env, f"@{SRV4} web.test")
        check(WEB4 in out, f"dig output: {out[-300:]}")
        wait_exchange(env, env.runner, env.cli, pid, "web.test.", "A")
        got = {"json": [json.loads(line, object_pairs_hook=Obj)
                        for line in env.runner._lines() if line.strip()]}
        deadline = time.time() + WAIT
        for m in modes:
            while True:
                got[m] = other_mode_docs(others[m], m)
                if any(dict(d)["qr"] == "R" and
                       dict(dict(d)["proc"])["pid"] == pid for d in got[m]):
                    break
                check(time.time() < deadline,
                      f"-o {m}: no response of dig {pid}")
                time.sleep(0.1)
    finally:
        for r in others.values():
            r.stop()
    for m, docs in got.items():
        seen = []
        bad = [b for d in docs for b in unsorted_objects(d, "", seen)]
        eq(bad[:1], [], f"-o {m}: objects whose keys are out of order")
        for nested in (".proc", ".proc.creds", ".proc.parent", ".src",
                       ".dst", ".runtime", ".k8s"):
            check(nested in seen, f"-o {m}: no {nested} object looked at")


@test
def nxdomain(env):
    pid, out = dig(env, f"@{SRV4} nx.test")
    check("NXDOMAIN" in out, f"dig output: {out[-300:]}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "nx.test.", "A")
    _, r = check_exchange(env, evs, pid=pid, name="nx.test.", qtype="A",
                          srv=SRV4, cli=CLI4, rcode="NameError",
                          num_answers=0)
    eq(r["rcode_raw"], 3, "rcode_raw")


@test
def tcp(env):
    pid, out = dig(env, f"+tcp @{SRV4} web.test")
    check(WEB4 in out, f"dig output: {out[-300:]}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "web.test.", "A")
    # the handshake and ACKs carry no DNS: exactly one event per message
    check_exchange(env, evs, pid=pid, name="web.test.", qtype="A", srv=SRV4,
                   cli=CLI4, proto="TCP", addresses=WEB4)


@test
def ipv6_transport(env):
    pid, out = dig(env, f"@{SRV6} AAAA web.test")
    check(WEB6 in out, f"dig output: {out[-300:]}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "web.test.", "AAAA")
    check_exchange(env, evs, pid=pid, name="web.test.", qtype="AAAA",
                   srv=SRV6, cli=CLI6, addresses=WEB6)


@test
def ipv6_tcp(env):
    pid, out = dig(env, f"+tcp @{SRV6} web.test")
    check(WEB4 in out, f"dig output: {out[-300:]}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "web.test.", "A")
    check_exchange(env, evs, pid=pid, name="web.test.", qtype="A", srv=SRV6,
                   cli=CLI6, proto="TCP", addresses=WEB4)


@test
def cname_then_address(env):
    pid, out = dig(env, f"@{SRV4} alias.test")
    check(WEB2 in out, f"dig output: {out[-300:]}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "alias.test.", "A")
    # the CNAME record's target and the A record after it read
    q, r = check_exchange(env, evs, pid=pid, name="alias.test.", qtype="A",
                          srv=SRV4, cli=CLI4, addresses=WEB2, num_answers=2)
    sr = one(pick(evs, netns_id=env.srv.inode(), id=q["id"], qr="R"),
             "server response")
    for e, what in ((r, "client response"), (sr, "server response")):
        eq(e["cnames"], "web2.test.", f"{what} cnames")
        # the smallest of the CNAME's and the address's TTLs
        eq(e["ttl"], min(CNAME_TTL, LOCAL_TTL), f"{what} ttl")
    eq(q["cnames"], "", "query cnames")
    eq(q["ttl"], 0, "query ttl")
    check(f"alias.test.\t\t{CNAME_TTL}\tIN\tCNAME\tweb2.test." in out,
          f"dig shows the CNAME's TTL: {out[-400:]}")


@test
def name_with_unusual_bytes(env):
    qname = r"a\.b\032c\\d.example."
    pid, out = dig(env, f"@{SRV4} '{qname}'")
    evs = wait_events(env.runner, exchange_done(env.cli, pid, qname, "A"))
    q = one(pick(evs, netns_id=env.cli.inode(), proc__pid=pid),
            "query", qr="Q")
    # printed as dig prints it: \. inside a label, \032 for a space, \\
    eq(q["name"], qname, "name")
    check(qname in out, f"dig prints {qname}: {out[-400:]}")


@test
def udp_response_in_fragments(env):
    """A UDP response past the link's MTU (EDNS, a 4 KiB buffer) travels
    in IP fragments, each of which a packet socket sees, never the
    datagram: decoded from its first fragment at both ends (header,
    question), matched with its query (latency), over IPv4 and IPv6."""
    for srv, cli in ((SRV4, CLI4), (SRV6, CLI6)):
        pid, out = dig(env, f"+bufsize=4096 +ignore @{srv} TXT big.test")
        size = re.search(r"MSG SIZE  rcvd: (\d+)", out)
        check(size and int(size[1]) > 1500 and "(UDP)" in out,
              f"dig got no UDP response past the MTU: {out[-300:]}")
        evs = wait_exchange(env, env.runner, env.cli, pid, "big.test.",
                            "TXT")
        check_exchange(env, evs, pid=pid, name="big.test.", qtype="TXT",
                       srv=srv, cli=cli, num_answers=1)


@test
def getent_through_resolv_conf(env):
    pid, out = run_client(env.cli, "getent ahostsv4 web.test")
    check(WEB4 in out, f"getent output: {out}")
    evs = wait_exchange(env, env.runner, env.cli, pid, "web.test.", "A")
    check_exchange(env, evs, pid=pid, comm="getent", name="web.test.",
                   qtype="A", srv=SRV4, cli=CLI4, addresses=WEB4)


@test
def unconnected_udp_client_first_packet(env):
    """A raw sendto() from a host whose neighbour is not resolved yet: the
    query leaves from softirq once ARP completes, still attributed."""
    late = env.arp
    out = sh(f"ip -n {late.name} neigh show")
    check("10.77.6.1" not in out, f"neighbour already known: {out}")
    code = ("import os,socket,struct;"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            "q=struct.pack('!6H',0x4242,0x100,1,0,0,0)"
            "+b'\\x03web\\x04test\\x00'+struct.pack('!HH',1,1);"
            f"s.sendto(q,('{SRV4}',53));s.settimeout(3);"
            "print(len(s.recv(512)))")
    pid, out = run_client(late, f'python3 -c "{code}"')
    check(out.strip().isdigit(), f"raw client: {out}")
    evs = wait_exchange(env, env.runner, late, pid, "web.test.", "A")
    q, r = check_exchange(env, evs, pid=pid, comm="python3", name="web.test.",
                          qtype="A", srv=SRV4, cli="10.77.6.2",
                          addresses=WEB4, cli_ns=late)
    eq(q["id"], "4242", "id as 4 hex digits")


SHARED_SOCKET_CLIENT = r"""
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
def ask(name):
    q = struct.pack("!6H", 0x4343, 0x100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    s.sendto(q + b"\0" + struct.pack("!HH", 1, 1), (sys.argv[1], 53))
    s.recv(512)
ask("p1.shared.test")
ask("p2.shared.test")
child = os.fork()
if child == 0:
    ask("c1.shared.test")
    os._exit(0)
os.waitpid(child, 0)
ask("p3.shared.test")
print(child, flush=True)
"""


@test
def unconnected_socket_used_by_a_child_then_its_parent_again(env):
    """One unconnected UDP socket: two queries from the parent, one from a
    child it forked, one more from the parent: each query is its sender's,
    the parent's last one after the child had taken the socket over."""
    pid, out = run_client(
        env.cli, f"python3 -c '{SHARED_SOCKET_CLIENT}' {SRV4}")
    check(out.strip().isdigit(), f"client: {out}")
    child = int(out)
    evs = wait_events(env.runner, lambda e: e["name"] == "p3.shared.test."
                      and e["netns_id"] == env.cli.inode() and
                      e["qr"] == "Q")
    for name, who in (("p1", pid), ("p2", pid), ("c1", child), ("p3", pid)):
        q = one(pick(evs, netns_id=env.cli.inode(), qr="Q",
                     name=f"{name}.shared.test."), f"{name} query")
        eq(q["proc"]["pid"], who, f"{name} query proc.pid")


CRAFTED_SERVER = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5353))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(512)
    # an mDNS-style answer: no question, cache-flush class, an owner name
    # in labels, then one as a compression pointer to it
    owner = b"\x05mdns1\x04test\x00"
    a = owner + struct.pack("!HHIH", 1, 0x8001, 120, 4) + bytes([10, 77, 4, 1])
    aaaa = (b"\xc0\x0c" + struct.pack("!HHIH", 28, 0x8001, 120, 16) +
            socket.inet_pton(socket.AF_INET6, "fd77:4::1"))
    s.sendto(q[:2] + struct.pack("!5H", 0x8400, 0, 2, 0, 0) + a + aaaa, peer)
"""

CRAFTED_CLIENT = r"""
import os, socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 5353))
s.settimeout(3)
hdr = struct.pack("!6H", int(sys.argv[2], 16), 0, 1, 0, 0, 0)
if sys.argv[3] == "loop":  # the question name points at itself
    s.send(hdr + b"\xc0\x0c" + struct.pack("!HH", 1, 1))
else:
    s.send(hdr + b"\x05mdns1\x04test\x00" + struct.pack("!HH", 255, 1))
print(len(s.recv(512)))
"""


@test
def crafted_messages(env):
    """Answers without a question, compression pointers in owner names, the
    mDNS class bit, and a question name that loops (decoded as far as it
    is sane, never hangs)."""
    srv_py = os.path.join(env.tmp, "crafted_server.py")
    cli_py = os.path.join(env.tmp, "crafted_client.py")
    with open(srv_py, "w") as f:
        f.write(CRAFTED_SERVER)
    with open(cli_py, "w") as f:
        f.write(CRAFTED_CLIENT)
    server = env.srv.popen(f"python3 {srv_py} {SRV4}", stdout=subprocess.PIPE,
                           text=True)
    env.procs.append(server)
    eq(server.stdout.readline().strip(), "ready", "crafted server")
    pid, out = run_client(env.cli, f"python3 {cli_py} {SRV4} 5e01 mdns")
    check(out.strip().isdigit(), f"crafted client: {out}")
    evs = wait_events(env.runner, lambda e: e["id"] == "5e01" and
                      e["qr"] == "R" and e["netns_id"] == env.cli.inode())
    mine = pick(evs, id="5e01", netns_id=env.cli.inode())
    q = one(mine, "query", qr="Q")
    r = one(mine, "response", qr="R")
    eq(q["name"], "mdns1.test.", "query name")
    eq(q["qtype"], "ALL", "query qtype (ig's name of ANY)")
    eq(q["proc"]["pid"], pid, "query proc.pid")
    eq(r["proc"]["pid"], pid, "response proc.pid")
    eq(r["name"], "", "response name (no question)")
    eq(r["num_answers"], 2, "num_answers")
    eq(r["addresses"], "10.77.4.1,fd77:4::1", "addresses")
    eq(r["aa"], True, "aa")
    check(r["latency_ns_raw"] > 0, "latency_ns_raw")
    sr = one(pick(evs, id="5e01", netns_id=env.srv.inode()),
             "server response", qr="R")
    eq(sr["proc"]["comm"], "python3", "server proc.comm")
    eq(sr["proc"]["pid"], server.pid, "server proc.pid")

    pid, out = run_client(env.cli, f"python3 {cli_py} {SRV4} 5e02 loop")
    evs = wait_events(env.runner, lambda e: e["id"] == "5e02" and
                      e["qr"] == "R" and e["netns_id"] == env.cli.inode())
    q = one(pick(evs, id="5e02", netns_id=env.cli.inode()), "query", qr="Q")
    eq(q["name"], "...", "looping name (none of it read, marked)")
    eq(q["qtype_raw"], 0, "qtype of a looping name")
    eq(q["proc"]["pid"], pid, "proc.pid")


# The far end of a tun device (no link-layer header: what the filter sees
# starts at the IP header): answers each IPv4/IPv6 UDP query it reads with
# the question and one A record of 10.77.7.7, from the address asked.
TUN_SERVER = r"""
import fcntl, os, socket, struct, sys
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, 0x400454CA, struct.pack("16sH", sys.argv[1].encode(),
                                        0x0001 | 0x1000))  # TUN, NO_PI
print("ready", flush=True)


def csum(b):
    b += b"\0" * (len(b) % 2)
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    s = (s & 0xFFFF) + (s >> 16)
    return ~((s & 0xFFFF) + (s >> 16)) & 0xFFFF


while True:
    p = os.read(fd, 2048)
    v6 = p[0] >> 4 == 6
    hl = 40 if v6 else (p[0] & 15) * 4
    if p[6 if v6 else 9] != 17:
        continue
    src, dst = (p[8:24], p[24:40]) if v6 else (p[12:16], p[16:20])
    sport, dport = struct.unpack("!HH", p[hl:hl + 4])
    q = p[hl + 8:]
    end = q.index(0, 12) + 5  # past the question
    m = (q[:2] + struct.pack("!5H", 0x8180, 1, 1, 0, 0) + q[12:end] +
         b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) +
         bytes([10, 77, 7, 7]))
    u = struct.pack("!4H", dport, sport, 8 + len(m), 0) + m
    if v6:
        c = csum(dst + src + struct.pack("!I3xB", len(u), 17) + u)
        u = u[:6] + struct.pack("!H", c) + u[8:]
        ip = struct.pack("!IHBB", 6 << 28, len(u), 17, 64) + dst + src
    else:
        ip = struct.pack("!BBHHHBBH", 0x45, 0, 20 + len(u), 0, 0, 64, 17,
                         0) + dst + src
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    os.write(fd, ip + u)
"""


@test
def tun_device_addresses_like_an_ethertype(env):
    """DNS over a device without a link-layer header (tun: VPNs,
    wireguard), between addresses whose bytes 4-5 (IPv4: 0-1) sit where
    an Ethernet header has its type: 8.0.0.0/16 reads as 0x0800,
    2001:db8:86dd::/48 as 0x86DD.  The kernel's mark of the network
    header tells where it is; the bytes alone took these for Ethernet
    frames and decoded nothing (both ends of each query lost)."""
    ns = Netns(f"{NS}-tun")
    env.nss.append(ns)
    srv_py = os.path.join(env.tmp, "tun_server.py")
    with open(srv_py, "w") as f:
        f.write(TUN_SERVER)
    server = ns.popen(f"python3 {srv_py} tdnstun", stdout=subprocess.PIPE,
                      text=True)
    env.procs.append(server)
    eq(server.stdout.readline().strip(), "ready", "tun server")
    sh(f"ip -n {ns.name} addr add 8.0.0.2/24 dev tdnstun")
    sh(f"ip -n {ns.name} addr add 2001:db8:86dd::2/64 dev tdnstun nodad")
    sh(f"ip -n {ns.name} link set tdnstun up")
    for srv, cli in (("8.0.0.53", "8.0.0.2"),
                     ("2001:db8:86dd::53", "2001:db8:86dd::2")):
        pid, out = dig(env, f"@{srv} tun.test", ns=ns)
        check("10.77.7.7" in out, f"dig through the tun: {out[-300:]}")
        evs = wait_events(env.runner,
                          exchange_done(ns, pid, "tun.test.", "A"))
        mine = pick(evs, netns_id=ns.inode(), proc__pid=pid)
        q = one(mine, "query", qr="Q", pkt_type="OUTGOING")
        r = one(mine, "response", qr="R", pkt_type="HOST")
        port = q["src"]["port"]
        check_endpoint(q["src"], cli, port, "UDP", "query src")
        check_endpoint(q["dst"], srv, 53, "UDP", "query dst")
        check_endpoint(r["src"], srv, 53, "UDP", "response src")
        check_endpoint(r["dst"], cli, port, "UDP", "response dst")
        eq(r["id"], q["id"], "response id")
        eq(q["nameserver"]["addr"], srv, "query nameserver")
        eq(r["addresses"], "10.77.7.7", "response addresses")
        eq(r["num_answers"], 1, "response num_answers")
        check(r["latency_ns_raw"] > 0, "response latency_ns_raw")
        eq(r["ttl"], 60, "response ttl")


# Frames sent as they are from the client namespace's veth (a packet
# socket), to the server's: IPv4/IPv6 + UDP + a query for argv[2]'s names.
RAW_SENDER = r"""
import socket, struct, sys
dev, dst_mac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
src_mac = s.getsockname()[4]
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xFFFF)
    return ~(t + (t >> 16)) & 0xFFFF
def query(name):
    q = struct.pack("!6H", 0x7e57, 0x100, 1, 0, 0, 0)
    for l in name.split("."):
        q += bytes([len(l)]) + l.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)
def v4(name, ulen=0, tot=0, frag=0):
    q = query(name)
    udp = struct.pack("!4H", 40053, 53, ulen or 8 + len(q), 0) + q
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot or 20 + len(udp), 1,
                     frag, 64, 17, 0, socket.inet_aton("10.77.0.2"),
                     socket.inet_aton("10.77.0.1"))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return dst_mac + src_mac + b"\x08\x00" + ip + udp
def v6(name, plen=0, frag=False):
    q = query(name)
    # a fragment's checksum covers the datagram: any but 0 (none)
    udp = struct.pack("!4H", 40053, 53, 8 + len(q), 0x5eed if frag else 0) + q
    ext, nxt = b"", 17
    if frag:  # offset 0, more fragments
        ext, nxt = struct.pack("!BBHI", 17, 0, 1, 42), 44
    ip = struct.pack("!IHBB16s16s", 6 << 28, plen or len(ext) + len(udp),
                     nxt, 64, socket.inet_pton(socket.AF_INET6, "fd77::2"),
                     socket.inet_pton(socket.AF_INET6, "fd77::1"))
    return dst_mac + src_mac + b"\x86\xdd" + ip + ext + udp
frames = {
    "udp-len-past-ip.bad.test": lambda n: v4(n, ulen=200),
    "udp-len-below-8.bad.test": lambda n: v4(n, ulen=7),
    "ip-len-past-frame.bad.test": lambda n: v4(n, tot=300),
    "first-fragment.raw.test": lambda n: v4(n, frag=0x2000),
    "v6-len-past-frame.bad.test": lambda n: v6(n, plen=300),
    "v6-first-fragment.raw.test": lambda n: v6(n, frag=True),
    "v6-no-udp-checksum.bad.test": v6,
    "good.raw.test": v4,
}
for name in sys.argv[3].split(","):
    s.send(frames[name](name))
print("sent", flush=True)
"""


def counted(r, name, least, timeout=WAIT):
    """The total of the gadget's counter name, as the runner tells it,
    once it is at least least."""
    deadline = time.time() + timeout
    while True:
        got = [int(n) for n in re.findall(
            rf"{name}: \d+ \((\d+) in total\)", r.stderr())]
        if got and got[-1] >= least:
            return got[-1]
        if time.time() > deadline:
            raise Fail(f"{name}: {got} after {timeout}s, want >= {least}")
        time.sleep(0.1)


@test
def packets_the_kernel_drops_are_counted_not_shown(env):
    """Frames the kernel's IP/UDP receive path drops (a UDP length past
    the IP payload or below 8, an IP total length past the frame, no UDP
    checksum over IPv6): no query event for them, counted as undecoded;
    a valid frame sent the same way is shown, and so are first fragments
    (IPv4, IPv6), decoded as far as they go."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store])
    py = os.path.join(env.tmp, "raw_sender.py")
    with open(py, "w") as f:
        f.write(RAW_SENDER)
    mac = json.loads(sh(f"ip -n {env.srv.name} -j link show tdnsb"))
    bad = ["udp-len-past-ip.bad.test", "udp-len-below-8.bad.test",
           "ip-len-past-frame.bad.test", "v6-len-past-frame.bad.test",
           "v6-no-udp-checksum.bad.test"]
    shown = ["first-fragment.raw.test", "v6-first-fragment.raw.test"]
    try:
        # the runner is ready once it shows a query
        dig(env, f"@{SRV4} ready.test")
        wait_events(r, lambda e: e["name"] == "ready.test.")
        _, out = run_client(env.cli, f"python3 {py} tdnsa "
                            f"{mac[0]['address']} {','.join(bad + shown)},"
                            "good.raw.test")
        eq(out.strip(), "sent", "raw sender")
        evs = before_marker(r, lambda e: e["name"] == "good.raw.test." and
                            e["netns_id"] == env.srv.inode())
        # each at both ends: leaving the client, arriving at the server
        total = counted(r, "undecoded", 2 * len(bad))
    finally:
        eq(r.stop(), 0, "exit code")
    for name in bad:
        eq(pick(evs, name=name + "."), [], f"events of {name}")
    for name in shown:
        e = one(pick(evs, netns_id=env.srv.inode(), name=name + "."),
                f"{name} at the server", qr="Q")
        eq(e["qtype"], "A", f"{name} qtype")
    eq(total, 2 * len(bad), "undecoded packets")
    check(re.search(rf", {total} undecoded", r.stderr()),
          f"summary with the undecoded count: {r.stderr()[-200:]}")


@test
def short_lived_binder_gives_the_port_back(env):
    """A process that binds port 53 on another address of the server's
    namespace and exits: the next query to dnsmasq is dnsmasq's again."""
    code = ("import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);"
            "s.bind(('127.0.0.1',53));print('bound',flush=True)")
    pid, out = run_client(env.srv, f'python3 -c "{code}"')
    eq(out.strip(), "bound", "binder")
    qpid, _ = dig(env, f"@{SRV4} after-binder.test")
    evs = wait_events(env.runner, lambda e: e["name"] == "after-binder.test."
                      and e["netns_id"] == env.srv.inode() and
                      e["pkt_type"] == "OUTGOING")
    sq = one(pick(evs, netns_id=env.srv.inode(), name="after-binder.test."),
             "server query", qr="Q")
    check(sq["proc"]["pid"] != pid, "the exited binder named as receiver")
    eq(sq["proc"]["pid"], env.dnsmasq.pid, "server query proc.pid")
    eq(sq["proc"]["comm"], "dnsmasq", "server query proc.comm")


@test
def longest_name_whole_and_one_too_long_to_show_marked(env):
    """A name of 255 bytes on the wire (the longest legal) is shown whole;
    one whose escaped form does not fit ends in "..." after its last
    whole label."""
    longest = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61]) + "."
    pid, _ = dig(env, f"@{SRV4} {longest}")
    evs = wait_events(env.runner, exchange_done(env.cli, pid, longest, "A"))
    q = one(pick(evs, netns_id=env.cli.inode(), proc__pid=pid), "query",
            qr="Q")
    eq(len(q["name"]), 254, "length of the longest name")
    eq(q["name"], longest, "the longest name")
    label = "\\001" * 60
    escaped = ".".join([label] * 4) + "."
    pid, _ = dig(env, f"@{SRV4} '{escaped}'")
    evs = wait_events(env.runner, lambda e: e["proc"]["pid"] == pid and
                      e["qr"] == "R")
    q = one(pick(evs, netns_id=env.cli.inode(), proc__pid=pid), "query",
            qr="Q")
    eq(q["name"], label + "...", "a name too long to show")
    eq(q["qtype"], "A", "qtype after it")


@test
def server_started_later_in_new_namespace(env):
    """A namespace made after the runner, with unbound started in it: both
    picked up (poll: the runner finds namespaces by rescanning)."""
    ns = Netns(f"{NS}-ub")
    env.nss.append(ns)
    ub = unbound(ns, env.tmp)
    env.procs.append(ub)
    inode = ns.inode()
    deadline = time.time() + WAIT
    pid = None
    while time.time() < deadline:
        pid, out = dig(env, "@127.0.0.1 many.test", ns=ns)
        evs = env.runner.wait_for(exchange_done(ns, pid, "many.test.", "A"),
                                  timeout=0.5)
        if any(exchange_done(ns, pid, "many.test.", "A")(e) for e in evs):
            break
    else:
        raise Fail("no event from a namespace created after the runner")
    evs = wait_exchange(env, env.runner, ns, pid, "many.test.", "A",
                        srv_ns=ns)
    # unbound rotates its answers: check the set, then that both ends agree
    cr = one(pick(evs, netns_id=inode, proc__pid=pid, qr="R",
                  pkt_type="HOST"), "client response")
    got = cr["addresses"].split(",")
    eq(len(got), 8, "addresses kept (at most 8)")
    eq(len(set(got)), 8, "distinct addresses")
    check(set(got) <= set(MANY), f"addresses {got} among {MANY}")
    eq(cr["num_answers"], 10, "num_answers")
    eq(cr["ttl"], 60, "ttl of unbound's local-data")
    eq(cr["cnames"], "", "cnames")
    # client and server share the namespace: each packet is seen leaving
    # (owned by its sender) and arriving (owned by its receiver) on lo
    check_exchange(env, evs, pid=pid, name="many.test.", qtype="A",
                   srv="127.0.0.1", cli="127.0.0.1", cli_ns=ns, srv_ns=ns,
                   server_comm="unbound", server_pid=ub.pid,
                   addresses=cr["addresses"], num_answers=10)


@test
def servers_sharing_the_port_on_other_addresses(env):
    """A second DNS server on port 53 of the server's namespace, bound to
    127.0.0.1 after the runner started (as systemd-resolved and a
    dnsmasq share a host, each on its addresses): the packets of each
    server are owned by it, over UDP and TCP, whichever of them bound or
    answered last."""
    second = dnsmasq(env.srv, env.tmp, "127.0.0.1", name="dnsmasq-lo")
    try:
        for proto in ("UDP", "TCP"):
            opt = "+tcp " if proto == "TCP" else ""
            pid, _ = dig(env, f"{opt}@{SRV4} web.test")
            evs = wait_exchange(env, env.runner, env.cli, pid, "web.test.",
                                "A")
            check_exchange(env, evs, pid=pid, name="web.test.", qtype="A",
                           srv=SRV4, cli=CLI4, proto=proto, addresses=WEB4)
            pid, _ = dig(env, f"{opt}@127.0.0.1 web2.test", ns=env.srv)
            evs = wait_exchange(env, env.runner, env.srv, pid, "web2.test.",
                                "A")
            check_exchange(env, evs, pid=pid, name="web2.test.", qtype="A",
                           srv="127.0.0.1", cli="127.0.0.1", proto=proto,
                           cli_ns=env.srv, srv_ns=env.srv,
                           server_pid=second.pid, addresses=WEB2)
    finally:
        stop_procs([second])


@test
def server_that_drops_privileges(env):
    """A server that binds as root, then runs as nobody (dnsmasq --user,
    as unbound and named do): its packets are owned by nobody from its
    first answer on, not by the root it bound as."""
    pidfile = os.path.join(env.tmp, "dnsmasq-nobody.pid")
    srv = env.srv.popen("dnsmasq --keep-in-foreground --no-resolv --no-hosts"
                        " --bind-interfaces --listen-address=127.0.0.1"
                        f" --user=nobody --group=nogroup --pid-file={pidfile}"
                        f" --address=/web.test/{WEB4}",
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(env.srv, "127.0.0.1", srv)  # its first answer
        pid, _ = dig(env, "@127.0.0.1 web.test", ns=env.srv)
        evs = wait_exchange(env, env.runner, env.srv, pid, "web.test.", "A",
                            srv_ns=env.srv)
        q, _ = check_exchange(env, evs, pid=pid, name="web.test.", qtype="A",
                              srv="127.0.0.1", cli="127.0.0.1",
                              cli_ns=env.srv, srv_ns=env.srv,
                              server_pid=srv.pid, addresses=WEB4)
        theirs = pick(evs, netns_id=env.srv.inode(), id=q["id"],
                      proc__pid=srv.pid)
        eq(len(theirs), 2, "server query and response")
        for e in theirs:
            eq(e["proc"]["creds"]["uid"], NOBODY, f"server {e['qr']} uid")
            eq(e["proc"]["creds"]["gid"], NOBODY, f"server {e['qr']} gid")
    finally:
        stop_procs([srv])


class HostNs:
    """The host's own network namespace (the one `make run` traces)."""
    name = "the host's network namespace"

    def run(self, cmd, **kw):
        return sh(cmd, **kw)

    def popen(self, cmd, **kw):
        return subprocess.Popen(f"exec {cmd}", shell=True, **kw)

    def inode(self):
        return os.stat("/proc/self/ns/net").st_ino


def free_port():
    """A UDP and TCP port on 127.0.0.1 that nothing uses right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            with socket.socket() as t:
                try:
                    t.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise Fail("no free port on 127.0.0.1")


@test
def host_network_namespace(env):
    """A server and a client in the host's own namespace, on loopback: the
    events carry the host's netns id, the client's and the server's pid."""
    host = HostNs()
    port = free_port()
    srv = dnsmasq(host, env.tmp, "127.0.0.1", name="dnsmasq-host",
                  port=port)
    env.procs.append(srv)
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--ports", str(port), "-F", f"netns_id=={host.inode()}"])
    try:
        pid, out = dig(env, f"-p {port} @127.0.0.1 web.test", ns=host)
        check(WEB4 in out, f"dig output: {out[-300:]}")
        evs = wait_exchange(env, r, host, pid, "web.test.", "A", srv_ns=host)
    finally:
        eq(r.stop(), 0, "exit code")
    check_exchange(env, evs, pid=pid, name="web.test.",
                   qtype="A", srv="127.0.0.1", cli="127.0.0.1", cli_ns=host,
                   srv_ns=host, server_pid=srv.pid, server_port=port,
                   addresses=WEB4)
    check(host.inode() not in (env.cli.inode(), env.srv.inode()),
          "the host's namespace is none of the test's")


SILENT4 = "10.77.0.3"  # the server's, with nothing on port 53

RETRANSMIT_CLIENT = r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
q = (struct.pack("!6H", 0x5150, 0x100, 1, 0, 0, 0) +
     b"\x05again\x04test\x00" + struct.pack("!HH", 1, 1))
for _ in range(3):
    s.sendto(q, (sys.argv[1], 53))
print(s.getsockname()[1], flush=True)
"""


@test
def unanswered_queries(env):
    """Queries to an address of the server namespace where nothing listens
    on port 53: after --unanswered-timeout 1 one event each (dig; a client
    that sends the same query three times), at the client (its process)
    and at the server; an answered query none.  -F unanswered==true keeps
    only those; the summary counts the queries not followed (none)."""
    sh(f"ip -n {env.srv.name} addr add {SILENT4}/32 dev lo")
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--unanswered-timeout", "1", "-F", "unanswered==true"])
    try:
        ok_pid, out = dig(env, f"@{SRV4} web.test")
        check(WEB4 in out, f"dig output: {out[-300:]}")
        pid, out = run_client(env.cli, "dig +time=1 +tries=1 "
                              f"@{SILENT4} silent.test")
        check("status:" not in out, f"dig got an answer: {out[-300:]}")
        rpid, port = run_client(env.cli, "python3 -c "
                                f"'{RETRANSMIT_CLIENT}' {SILENT4}")
        port = int(port)
        cli, srv = env.cli.inode(), env.srv.inode()

        def done(e):
            return e["netns_id"] == srv and e["name"] == "again.test."
        wait_events(r, done)
        # a marker: one more unanswered query, sent after all the others;
        # its event comes a sweep (once a second) or more after theirs, so
        # anything reported twice would be there before it
        _, out = run_client(env.cli, "dig +time=1 +tries=1 "
                            f"@{SILENT4} marker.test")
        check("status:" not in out, f"dig got an answer: {out[-300:]}")
        evs = wait_events(r, lambda e: e["netns_id"] == srv and
                          e["name"] == "marker.test.")
        one(evs, "the marker at the server", netns_id=srv,
            name="marker.test.")
        evs = evs[:next(i for i, e in enumerate(evs)
                        if e["name"] == "marker.test.")]
    finally:
        eq(r.stop(), 0, "exit code")
    for e in evs:
        eq(e["unanswered"], True, f"filtered event {e['name']}")
    eq(pick(evs, name="web.test."), [], "events of an answered query")

    q = one(evs, "dig's query at the client", netns_id=cli,
            name="silent.test.")
    eq(q["proc"]["pid"], pid, "client proc.pid")
    eq(q["pkt_type"], "OUTGOING", "client pkt_type")
    eq(q["qr"], "Q", "qr")
    eq(q["qtype"], "A", "qtype")
    eq(q["rcode"], "", "rcode")
    check_endpoint(q["src"], CLI4, None, "UDP", "src")
    check_endpoint(q["dst"], SILENT4, 53, "UDP", "dst")
    eq(q["nameserver"]["addr"], SILENT4, "nameserver")
    check(q["latency_ns_raw"] >= 10**9, "waited the timeout at least: "
          f"{q['latency_ns_raw']}")
    sq = one(evs, "dig's query at the server", netns_id=srv,
             name="silent.test.")
    eq(sq["id"], q["id"], "server id")
    eq(sq["pkt_type"], "HOST", "server pkt_type")
    eq(sq["src"]["port"], q["src"]["port"], "server src.port")
    check(sq["latency_ns_raw"] >= 10**9, "server waited the timeout")

    # sent three times with the same id and port: one event per side
    for ns, what in ((cli, "client"), (srv, "server")):
        e = one(evs, f"retransmitted query at the {what}", netns_id=ns,
                name="again.test.")
        eq(e["id"], "5150", f"{what} id")
        eq(e["src"]["port"], port, f"{what} src.port")
    eq(one(evs, "client", netns_id=cli, name="again.test.")["proc"]["pid"],
       rpid, "retransmitting client pid")
    last = r.stderr().strip().splitlines()[-1]
    check(re.fullmatch(r"trace_dns: \d+ events, 0 lost(, \d+ \w+)+", last)
          and ", 0 untracked" in last and ", 0 undecoded" in last
          and ", 0 oversized" in last and ", 0 tcp_skipped" in last,
          f"summary with the untracked count: {r.stderr()[-200:]}")


def epoch(ts):
    """Seconds since the epoch of an RFC 3339 timestamp with nanoseconds."""
    m = re.fullmatch(r"(.*T[0-9:]+)\.([0-9]{9})(Z|[+-][0-9:]+)", ts)
    check(m, f"timestamp {ts!r}")
    off = "+00:00" if m[3] == "Z" else m[3]
    return (datetime.datetime.fromisoformat(m[1] + off).timestamp() +
            int(m[2]) / 1e9)


def tshark(path):
    """The DNS packets of a pcap-ng file as tshark reads them."""
    cols = ["frame.interface_name", "frame.interface_description",
            "frame.comment", "frame.time_epoch", "ip.src", "udp.srcport",
            "dns.id", "dns.flags.response", "dns.qry.name", "dns.a",
            "dns.cname"]
    out = sh("tshark -r " + path + " -T fields -E separator=/t "
             "-E occurrence=a -E aggregator=, " +
             " ".join(f"-e {c}" for c in cols) + " 2>/dev/null")
    rows = [dict(zip(cols, line.split("\t")))
            for line in out.splitlines() if line.strip()]
    check(rows, f"tshark read no packets from {path}")
    return rows


@test
def pcapng_export(env):
    """-o pcap-ng writes the traced packets: tshark reads the same packets,
    names, ids and answers as the JSON events of the same traffic (the
    main runner's), one interface per network namespace named after it,
    each packet with its time and a comment naming process and netns;
    the JSON events carry no packet bytes (data_len 0)."""
    cli, srv = env.cli.inode(), env.srv.inode()
    r = Runner(["run", "trace_dns", "-o", "pcap-ng", "--store", env.store,
                "-F", r"name~^(web|alias)\.test\.$"])
    try:
        pid, out = dig(env, f"@{SRV4} web.test")
        check(WEB4 in out, f"dig output: {out[-300:]}")
        pid2, out = dig(env, f"@{SRV4} alias.test")
        check(WEB2 in out, f"dig output: {out[-300:]}")
        wait_exchange(env, env.runner, env.cli, pid, "web.test.", "A")
        evs = wait_exchange(env, env.runner, env.cli, pid2, "alias.test.",
                            "A")
    finally:
        eq(r.stop(), 0, "exit code")
    # other tests on this machine may ask for the same names elsewhere
    names = {cli: env.cli.name, srv: env.srv.name}
    rows = [x for x in tshark(r.out.name)
            if x["frame.interface_name"] in names.values()]
    ids = {e["id"] for e in evs if e["netns_id"] == cli and
           e["proc"]["pid"] in (pid, pid2)}
    eq(len(ids), 2, "DNS ids of the two queries")
    want = [e for e in evs if e["netns_id"] in names and e["id"] in ids and
            not e["unanswered"]]
    eq(len(want), 8, "JSON events of the two exchanges at both ends")
    eq(len(rows), 8, f"packets in the pcap-ng file: {rows}")
    for e in want:
        name = e["name"].rstrip(".")
        ns = e["netns_id"]
        # -o json: nobody reads the packet bytes, the kernel copies none
        eq(e["data_len"], 0, "data_len of a JSON event")
        got = [x for x in rows if int(x["dns.id"], 16) == int(e["id"], 16)
               and x["dns.flags.response"] == ("1" if e["qr_raw"] else "0")
               and x["frame.interface_name"] == names[ns]]
        check(len(got) == 1, f"one packet for {e['qr']} {e['id']}: {rows}")
        x = got[0]
        eq(x["dns.qry.name"], name, "query name")
        check(str(ns) in x["frame.interface_description"],
              f"netns id in {x['frame.interface_description']!r}")
        check(f"pid={e['proc']['pid']}" in x["frame.comment"] and
              f"netns={ns}({names[ns]})" in x["frame.comment"],
              f"comment {x['frame.comment']!r}")
        eq(x["ip.src"], e["src"]["addr"], "source address")
        eq(int(x["udp.srcport"]), e["src"]["port"], "source port")
        eq(x["dns.a"].split(",") if x["dns.a"] else [],
           e["addresses"].split(",") if e["addresses"] else [], "answers")
        eq(x["dns.cname"], e["cnames"].rstrip(".").replace(".,", ","),
           "CNAME targets")
        # the same packet, stamped by each runner's own program: the
        # same wall clock, give or take how long one program ran
        t = epoch(e["timestamp"])
        check(abs(float(x["frame.time_epoch"]) - t) < 0.01,
              f"time {x['frame.time_epoch']} vs {t}")


@test
def pcapng_cut_packet_keeps_its_length(env):
    """A packet cut to the gadget's 512 bytes keeps, in the pcap-ng file,
    the length its IP header says (the first fragment of a UDP response
    past the MTU, IPv4 and IPv6): tshark reads a packet cut during capture,
    not a malformed one."""
    r = Runner(["run", "trace_dns", "-o", "pcap-ng", "--store", env.store,
                "-F", r"name~^big\.test\.$"])
    try:
        for srv in (SRV4, SRV6):
            pid, out = dig(env, f"+bufsize=4096 +ignore @{srv} TXT big.test")
            wait_exchange(env, env.runner, env.cli, pid, "big.test.", "TXT")
    finally:
        eq(r.stop(), 0, "exit code")
    cols = ["frame.interface_name", "frame.len", "frame.cap_len", "ip.len",
            "ipv6.plen", "_ws.expert.message"]
    out = sh(f"tshark -r {r.out.name} -T fields -E separator=/t "
             "-E occurrence=a -E aggregator=/s " +
             " ".join(f"-e {c}" for c in cols) + " 2>/dev/null")
    rows = [dict(zip(cols, (v.split(" ")[0] if c != cols[-1] else v
                            for c, v in zip(cols, line.split("\t")))))
            for line in out.splitlines()]
    names = (env.cli.name, env.srv.name)
    cut = [x for x in rows if x["frame.interface_name"] in names and
           x["frame.cap_len"] == "512"]
    # each family's response, leaving the server and reaching the client
    eq(sorted(bool(x["ip.len"]) for x in cut), [False, False, True, True],
       f"cut packets: {rows}")
    for x in cut:
        ip = int(x["ip.len"]) if x["ip.len"] else int(x["ipv6.plen"]) + 40
        check(ip > 1400, f"a first fragment near the MTU: {x}")
        eq(int(x["frame.len"]), ip, f"length on the wire: {x}")
        check("exceeds" not in x["_ws.expert.message"],
              f"tshark's warning: {x}")


@test
def ports_param(env):
    """--ports replaces the DNS ports: 1053 traced, 53 no longer."""
    other = dnsmasq(env.srv, env.tmp, SRV4, name="dnsmasq-1053", port=1053)
    env.procs.append(other)
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--ports", "1053"])
    try:
        pid53, _ = dig(env, f"@{SRV4} web.test")
        pid, out = dig(env, f"-p 1053 @{SRV4} web.test")
        check(WEB4 in out, f"dig output: {out[-300:]}")
        evs = wait_exchange(env, r, env.cli, pid, "web.test.", "A")
    finally:
        eq(r.stop(), 0, "exit code")
    check_exchange(env, evs, pid=pid, name="web.test.", qtype="A", srv=SRV4,
                   cli=CLI4, addresses=WEB4, server_pid=other.pid,
                   server_port=1053)
    eq(pick(evs, proc__pid=pid53), [], "events of port 53")
    for e in evs:
        check(1053 in (e["src"]["port"], e["dst"]["port"]),
              f"event not on port 1053: {e['src']} -> {e['dst']}")


@test
def quiet_runner_sleeps_then_wakes_for_the_next_query(env):
    """With no DNS on its ports the runner's reader sleeps until the next
    record wakes it (it used to wake every 10 ms to look at the ring): a
    few wake-ups in 2 s, not ~200; the next query shows all the same."""
    other = dnsmasq(env.srv, env.tmp, SRV4, name="dnsmasq-1054", port=1054)
    env.procs.append(other)
    # in a mount namespace of its own: it wakes for every mount made
    # where it watches (new network namespaces), and other jobs on the
    # machine may start containers meanwhile
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--ports", "1054"], prefix=PRIVATE_MOUNTS)
    try:
        time.sleep(1)  # quiet by now: 10 polls found nothing
        before = wakeups(r.proc.pid)
        time.sleep(2)
        woke = wakeups(r.proc.pid) - before
        pid, out = dig(env, f"-p 1054 @{SRV4} web.test")
        check(WEB4 in out, f"dig output: {out[-300:]}")
        evs = wait_exchange(env, r, env.cli, pid, "web.test.", "A")
    finally:
        eq(r.stop(), 0, "exit code")
    # once a second the runner looks for new network namespaces
    check(woke < 20, f"the quiet runner woke {woke} times in 2 s")
    check_exchange(env, evs, pid=pid, name="web.test.", qtype="A", srv=SRV4,
                   cli=CLI4, addresses=WEB4, server_pid=other.pid,
                   server_port=1054)


@test
def comm_filter_param(env):
    """--comm keeps only the events whose local process has that name.
    A gadget flag may come before the image, as in ig (its value was taken
    for the image)."""
    r = Runner(["run", "--comm", "nslookup", "trace_dns", "-o", "json",
                "--store", env.store])
    nslookup = os.path.join(env.bin, "nslookup")
    try:
        dig_pid, _ = dig(env, f"@{SRV4} web.test")
        pid, _ = run_client(env.cli, f"{nslookup} -type=a web.test {SRV4}")
        # the marker: one more nslookup; what came before it is all
        marker, _ = run_client(env.cli, f"{nslookup} -type=a mark.web.test"
                               f" {SRV4}")
        evs = before_marker(r, exchange_done(env.cli, marker,
                                             "mark.web.test.", "A"),
                            lambda e: e["proc"]["pid"] == marker)
    finally:
        eq(r.stop(), 0, "exit code")
    eq(sorted(e["pkt_type"] for e in evs), ["HOST", "OUTGOING"],
       "the client's query and response only")
    for e in evs:
        eq(e["proc"]["comm"], "nslookup", "proc.comm")
        eq(e["proc"]["pid"], pid, "proc.pid")


@test
def filter_expr_as_ig(env):
    """-E takes ig's filter expressions (expr-lang, as its docs' example:
    "in [...]", "in cidr(...)", "matches", let): only the A queries
    nslookup sends to the server pass, not its AAAA query, dig's, the
    server's side nor the responses."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "-E", 'let clients = ["nslookup", "curl"]; proc.comm in '
                f'clients and dst.addr in cidr("{SRV4}/32", "8.8.8.8/32") '
                'and qtype matches "^A$" and qr == "Q"'])
    nslookup = os.path.join(env.bin, "nslookup")
    try:
        pid, _ = run_client(env.cli, f"{nslookup} -type=a web.test {SRV4}")
        run_client(env.cli, f"{nslookup} -type=aaaa web.test {SRV4}")
        dig(env, f"@{SRV4} web.test A")
        marker, _ = run_client(env.cli,
                               f"{nslookup} -type=a mark.web.test {SRV4}")
        evs = wait_events(r, lambda e: e["proc"]["pid"] == marker)
    finally:
        eq(r.stop(), 0, "exit code")
    eq([(e["proc"]["pid"], e["name"], e["qtype"], e["pkt_type"],
         e["dst"]["addr"]) for e in evs],
       [(pid, "web.test.", "A", "OUTGOING", SRV4),
        (marker, "mark.web.test.", "A", "OUTGOING", SRV4)],
       "events that passed -E")


@test
def fields_flag(env):
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--fields", "name,qr,proc.pid"])
    try:
        pid, _ = dig(env, f"@{SRV4} web.test")
        evs = wait_events(r, lambda e: e.get("name") == "web.test." and
                          e.get("proc", {}).get("pid") == pid and
                          e.get("qr") == "R")
    finally:
        eq(r.stop(), 0, "exit code")
    for e in evs:
        eq(sorted(e), ["name", "proc", "qr"], "JSON keys with --fields")
        eq(sorted(e["proc"]), ["pid"], "proc keys with --fields")


NAMED_CLIENT = r"""
import socket, struct, sys
with open("/proc/self/comm", "wb") as f:
    f.write(sys.argv[1].encode("utf-8"))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
q = struct.pack("!6H", 0x4243, 0x100, 1, 0, 0, 0)
s.sendto(q + b"\x03web\x04test\x00" + struct.pack("!HH", 1, 1),
         (sys.argv[2], 53))
print(len(s.recv(512)))
"""


def named_clients(env, r, names, pid_text):
    """Run NAMED_CLIENT as each of names, in turn, while r traces; wait
    until r wrote pid_text of the last one's pid; stop r.  Their pids."""
    pids = {}
    try:
        for n in names:
            pids[n], out = run_client(
                env.cli, f"python3 -c {shlex.quote(NAMED_CLIENT)} "
                f"{shlex.quote(n)} {SRV4}")
            check(out.strip().isdigit(), f"client {n!r}: {out}")
        deadline = time.time() + WAIT
        while pid_text.format(pids[names[-1]]) not in r.stdout():
            check(time.time() < deadline, "no event of the last client; "
                  f"stdout: {r.stdout()[-300:]!r}")
            time.sleep(0.1)
    finally:
        eq(r.stop(), 0, "exit code")
    return pids


@test
def filter_as_ig_and_yaml_of_any_name(env):
    """-F as ig reads it: "\\d" a digit (not a "d"), "053" the decimal 53
    (not octal 43); -o yaml parses whatever characters a process name has
    (a C1 control, U+2028), read back as they are."""
    r = Runner(["run", "trace_dns", "-o", "yaml", "--store", env.store,
                "--fields", "proc.comm,proc.pid",
                "-F", r"proc.comm~^q\d", "-F", "dst.port==053",
                "-F", "pkt_type==OUTGOING"])
    names = ["qd\u0085", "q7\u0085x", "q8\u2028y", "q9end"]
    pids = named_clients(env, r, names, "pid: {}\n")
    try:
        docs = [d for d in yaml.safe_load_all(r.stdout()) if d]
    except yaml.YAMLError as e:
        raise Fail(f"-o yaml does not parse: {e}")
    got = {d["proc"]["pid"]: d["proc"]["comm"] for d in docs}
    for n in names[1:]:
        eq(got.get(pids[n]), n, "proc.comm of a matching client")
    check(pids["qd\u0085"] not in got, f"qd matched q\\d: {got}")



@test
def filter_compares_strings_as_the_process_names_them(env):
    """-F on a string compares the process's name as it is (as ig does,
    and as -o json writes it), not the text the columns escape it to: a
    comm holding an ESC is matched by an ESC (RE2's "\\x1b" in "~"), and
    a comm that is the columns' text of that one ("e\\x1bx") is not."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--fields", "proc.comm,proc.pid", "-F", "pkt_type==OUTGOING",
                "-F", "proc.comm==e\x1bx", "-F", r"proc.comm~^e\x1bx$"])
    esc, text = "e\x1bx", "e\\x1bx"
    pids = named_clients(env, r, [text, esc], '"pid":{}')
    evs = [json.loads(line) for line in r.stdout().splitlines() if line]
    eq([(e["proc"]["pid"], e["proc"]["comm"]) for e in evs],
       [(pids[esc], esc)], "events that passed -F")


@test
def filter_regex_past_backtracking_limit__no_match_told(env):
    """-F "name!~((a?){8}){8}$" on a name of 63 "a": PCRE2 would backtrack
    for ages (RE2, ig's engine, never does); past its limits the text is
    taken as not matching, so "!~" passes the event, and the run says how
    many on stderr."""
    name = "a" * 63 + ".test"
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "-F", "name!~((a?){8}){8}$"])
    try:
        pid, _ = run_client(env.cli, f"dig +time=1 +tries=1 @{SRV4} {name}")
        r.wait_for(lambda e: e["proc"]["pid"] == pid and
                   e["name"] == name + ".")
        deadline = time.time() + WAIT
        while "-F: " not in r.stderr():
            check(time.time() < deadline,
                  f"nothing told: {r.stderr()[-300:]!r}")
            time.sleep(0.1)
    finally:
        eq(r.stop(), 0, "exit code")
    m = re.search(r"-F: (\d+) events taken as not matching: a regular "
                  r"expression backtracked past its limit \((\d+) in "
                  r"total\)", r.stderr())
    check(m and int(m.group(1)) >= 1, f"stderr: {r.stderr()[-300:]!r}")


@test
def yaml_strings_as_ig_read_back_as_json(env):
    """-o yaml writes strings as ig's (yaml.v2 from its JSON): plain where
    they read back as strings, quoted where they would read as another
    type or hold an indicator; every process name of real events reads
    back (PyYAML) as the -o json line of the same event has it."""
    fields = ["--fields", "proc.comm,proc.pid", "-F", "dst.port==053",
              "-F", "pkt_type==OUTGOING"]
    runners = {m: Runner(["run", "trace_dns", "-o", m, "--store", env.store]
                         + fields) for m in ("json", "yaml")}
    # name: how its line must look in -o yaml (None: only read back)
    names = {"plainname": "comm: plainname\n",
             "true": 'comm: "true"\n', "yes": 'comm: "yes"\n',
             "1.5": 'comm: "1.5"\n', "0x1f": 'comm: "0x1f"\n',
             "2026-1-2": 'comm: "2026-1-2"\n', "~": 'comm: "~"\n',
             "a: b": "comm: 'a: b'\n", "- x": "comm: '- x'\n",
             "#x": "comm: '#x'\n", "it's #1": "comm: 'it''s #1'\n",
             " lead": "comm: ' lead'\n", "t\tb": 'comm: "t\\tb"\n',
             "nl\nx": "comm: |-\n    nl\n    x\n",
             "q\u0085": 'comm: "q\\N"\n', "\u00e9t\u00e9": None,
             "a\u2028b": None, "[x]": None, "\"q\"": None, "%x": None}
    pids = {}
    try:
        for n in list(names) + ["yamlend"]:
            pids[n], out = run_client(
                env.cli, f"python3 -c {shlex.quote(NAMED_CLIENT)} "
                f"{shlex.quote(n)} {SRV4}")
            check(out.strip().isdigit(), f"client {n!r}: {out}")
        deadline = time.time() + WAIT
        for r in runners.values():
            while f"{pids['yamlend']}" not in r.stdout():
                check(time.time() < deadline, "no event of the last "
                      f"client; stdout: {r.stdout()[-300:]!r}")
                time.sleep(0.1)
    finally:
        for r in runners.values():
            eq(r.stop(), 0, "exit code")
    js = {e["proc"]["pid"]: e["proc"]["comm"]
          for e in (json.loads(line) for line in
                    runners["json"].stdout().splitlines() if line.strip())}
    text = runners["yaml"].stdout()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        raise Fail(f"-o yaml does not parse: {e}")
    ys = {d["proc"]["pid"]: d["proc"]["comm"] for d in docs}
    for n, line in names.items():
        eq(ys.get(pids[n]), js.get(pids[n]), f"proc.comm of {n!r}")
        eq(js.get(pids[n]), n, f"proc.comm of {n!r} in json")
        if line:
            check(line in text, f"{n!r}: no {line!r} in {text[-2000:]!r}")


def stuck_reader_run(env, extra):
    """`runner run trace_dns -o json EXTRA` writing to a pipe of 4 KiB that
    nobody reads, once a write of it waits (queries until then): its
    Popen and the pipe's read end (close it when done)."""
    rfd, wfd = os.pipe()
    fcntl.fcntl(wfd, 1031, 4096)  # F_SETPIPE_SZ
    ready = os.path.join(env.tmp, f"stuck-{len(extra)}.ready")
    if os.path.exists(ready):
        os.remove(ready)
    e = dict(os.environ, RUNNER_READY_FILE=ready)
    p = subprocess.Popen([RUNNER, "run", "trace_dns", "-o", "json",
                          "--store", env.store] + extra, stdout=wfd,
                         stderr=subprocess.PIPE, text=True, env=e)
    os.close(wfd)
    try:
        deadline = time.time() + 30
        while not os.path.exists(ready):
            check(p.poll() is None and time.time() < deadline,
                  "runner did not start")
            time.sleep(0.05)
        for _ in range(20):
            dig(env, f"@{SRV4} web.test")
            with open(f"/proc/{p.pid}/wchan") as f:
                if "pipe_write" in f.read():
                    return p, rfd
        raise Fail("the runner's writes never waited for the reader")
    except BaseException:
        p.kill()
        p.wait()
        os.close(rfd)
        raise


@test
def stops_while_its_reader_does_not_read(env):
    """A runner whose write waits for a reader that stopped reading stops
    on SIGINT, SIGTERM and at --timeout all the same, exit 0, with what
    did not fit dropped."""
    for sig, extra in ((signal.SIGINT, []), (signal.SIGTERM, []),
                       (None, ["--timeout", "3"])):
        p, rfd = stuck_reader_run(env, extra)
        try:
            if sig:
                p.send_signal(sig)
            try:
                _, err = p.communicate(timeout=WAIT)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise Fail(f"{sig or extra}: the runner did not stop while "
                           "its write waited")
        finally:
            os.close(rfd)
        eq(p.returncode, 0, f"{sig or extra}: exit code; stderr {err!r}")
        check("trace_dns: " in err, f"{sig or extra}: no summary: {err!r}")
        check("not written: the output was not read" in err,
              f"{sig or extra}: the dropped events not told: {err!r}")


@test
def stopped_with_a_slow_reader_writes_every_event_whole(env):
    """A reader that is slow, not gone: the runner stopped while its write
    waited still gives it every event it counted, each line whole."""
    p, rfd = stuck_reader_run(env, ["--max-events", "1000000"])
    chunks = []
    try:
        p.send_signal(signal.SIGINT)
        time.sleep(0.2)  # a slow reader: not reading yet
        while True:
            b = os.read(rfd, 65536)
            if not b:
                break
            chunks.append(b)
        _, err = p.communicate(timeout=30)
    finally:
        kill_left(p)
        os.close(rfd)
    eq(p.returncode, 0, f"exit code; stderr {err!r}")
    lines = b"".join(chunks).decode().splitlines()
    for ln in lines:
        json.loads(ln)  # raises on a cut line
    m = re.search(r"trace_dns: (\d+) events", err)
    check(m, f"summary: {err!r}")
    eq(len(lines), int(m.group(1)), "events read against the summary's")
    check("not written" not in err, f"events dropped: {err!r}")


@test
def stops_when_its_reader_goes_before_any_event(env):
    """`runner run trace_dns -F KEEPS_NOTHING | head -1`: head takes the
    header and goes; the runner, which has no event to write, stops
    anyway, exit 0, as it would at its next write (EPIPE)."""
    p = subprocess.Popen([RUNNER, "run", "trace_dns", "--store", env.store,
                          "-F", "name==nothing.invalid."],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        head = p.stdout.readline()
        check(head.startswith("RUNTIME.CONTAINERNAME"), f"header {head!r}")
        p.stdout.close()
        dig(env, f"@{SRV4} web.test")  # traffic the filter drops
        exit_status(p, WAIT, "the runner did not stop after its reader went")
        err = p.stderr.read()
    finally:
        kill_left(p)
    eq(p.returncode, 0, f"exit code; stderr {err!r}")
    check("trace_dns: 0 events" in err, f"summary: {err!r}")


@test
def timeout_flag(env):
    start = time.time()
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "-t", "2"])
    try:
        rc = r.proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        r.stop(signal.SIGKILL)
        raise Fail("runner did not stop after --timeout 2")
    eq(rc, 0, "exit code")
    check(time.time() - start >= 2, "stopped before the timeout")


@test
def timeout_zero_is_none(env):
    """--timeout 0 runs until stopped, as in ig (it was a usage error)."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--timeout", "0"])
    try:
        pid, _ = dig(env, f"@{SRV4} web.test")
        wait_events(r, lambda e: e["proc"]["pid"] == pid)
        time.sleep(1)
        check(r.proc.poll() is None, "the runner stopped by itself")
    finally:
        eq(r.stop(), 0, "exit code")


@test
def host_flag_as_in_ig(env):
    """--host, which ig needs to show the host's events, is taken (the
    runner shows them unless --host=false, test_containers), with a
    value as every bool param of ig's takes it here: Go's ParseBool
    spellings (TRUE) and ig's own, true or false in any case (tRuE, a
    usage error until December 2026); a --host that is no bool is
    refused."""
    for flag in ("--host", "--host=TRUE", "--host=tRuE"):
        r = Runner(["run", flag, "trace_dns", "-o", "json", "--store",
                    env.store])
        try:
            pid, _ = dig(env, f"@{SRV4} web.test")
            wait_events(r, lambda e: e["proc"]["pid"] == pid)
        finally:
            eq(r.stop(), 0, f"{flag}: exit code")
    p = subprocess.run([RUNNER, "run", "trace_dns", "--store", env.store,
                        "--host=maybe"], capture_output=True, text=True,
                       timeout=60)
    eq(p.returncode, 2, f"--host=maybe exit code ({p.stderr!r})")
    eq(p.stderr, "runner: invalid --host 'maybe': want true or false\n",
       "--host=maybe")


STEPS = ["main", "image opened", "gadget opened", "session opened",
         "loading", "maps made", "programs loaded", "gadget attached",
         "containers scanned", "ready"]


@test
def timeline_says_each_start_up_step_once_in_order(env):
    """RUNNER_TIMELINE=1 (bench/startup_steps.sh): every step of the
    start-up, once, in order, on the wall clock, within the run; none
    without it."""
    start = time.time()
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--timeout", "1"], env={"RUNNER_TIMELINE": "1"})
    eq(r.proc.wait(timeout=30), 0, "exit code")
    end = time.time()
    steps = [line.split(" at ") for line in r.stderr().splitlines()
             if line.startswith("runner: step ")]
    eq([s[0][len("runner: step "):] for s in steps], STEPS, "steps")
    at = [float(s[1]) for s in steps]
    eq(at, sorted(at), "times in order")
    check(start <= at[0] and at[-1] <= end,
          f"steps at {at[0]}..{at[-1]} outside the run {start}..{end}")
    quiet = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                    "--timeout", "1"])
    eq(quiet.proc.wait(timeout=30), 0, "exit code without the timeline")
    check("runner: step" not in quiet.stderr(),
          f"steps without RUNNER_TIMELINE: {quiet.stderr()[-300:]}")


@test
def sigint_stops_cleanly(env):
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store])
    load = env.cli.popen(f"sh -c 'while :; do dig +time=1 +tries=1 @{SRV4} "
                         "web.test >/dev/null; done'")
    try:
        wait_events(r, lambda e: e["netns_id"] == env.cli.inode(), n=20)
        rc = r.stop(signal.SIGINT)
    finally:
        load.kill()
        load.wait(timeout=60)
    eq(rc, 0, "exit code after SIGINT")
    out = r.stdout()
    check(out.endswith("\n"), "output ends with a complete line")
    lines = out.splitlines()
    check(len(lines) >= 20, f"{len(lines)} events")
    for line in lines:
        json.loads(line)  # every line, the last one included, is whole


@test
def main_runner_sigterm_exit_code_and_summary(env):
    """Last: the runner that traced every test above stops on SIGTERM with
    exit code 0, whole JSON lines, and its summary as the last stderr line
    (0 lost: it was never behind)."""
    r, env.runner = env.runner, None
    alive = r.proc.poll() is None
    rc = r.stop(signal.SIGTERM)
    err = r.stderr()
    check(alive, f"the main runner had ended ({rc}): {err[-300:]!r}")
    eq(rc, 0, f"exit code after SIGTERM; stderr {err[-300:]!r}")
    out = r.stdout()
    check(out == "" or out.endswith("\n"), "output ends with a whole line")
    lines = out.splitlines()
    for line in lines:
        json.loads(line)
    # undecoded: the frames of packets_the_kernel_drops_are_counted_not_shown
    last = err.splitlines()[-1]
    check(re.fullmatch(rf"trace_dns: {len(lines)} events, 0 lost"
                       r"(, \d+ \w+)+", last) and ", 0 untracked" in last
          and re.search(r", \d+ undecoded", last)
          and ", 0 oversized" in last and ", 0 tcp_skipped" in last,
          f"summary line: {last!r}")


if __name__ == "__main__":
    main(setup, teardown)
