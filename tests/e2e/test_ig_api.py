#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Inspektor Gadget's gadget API and the host services its gadgets expect,
through fixture gadgets written the way ig's gadgets are (tests may not
download ig's own; docs/ig-compat.md records those):

- tests/fixtures/ig_sockets: kernel UAPI headers (asm/types.h from the
  multiarch folder), a "socket1" program in a network namespace of this
  test, the socket enricher (gadget_sockets) naming the process behind each
  datagram, and a map iterator counting datagrams per namespace.
- tests/fixtures/ig_files: full paths of file descriptors (filesystem.h),
  user and kernel stacks, log2 histogram slots (bits.bpf.h) and
  bpf_map_lookup_or_try_init (maps.bpf.h) in a map iterator, a perf_event
  sampler whose event and frequency gadget.yaml's programs: give (as ig's
  profile_cpu; checked in the perf_event_open(2) calls strace sees), and
  a param whose gadget.yaml default is "" (the program's own value stays,
  as in ig).
- tests/fixtures/ig_tc: tc classifiers ("classifier/<dir>/<name>") with a
  packet filter stub (packetfilter.h) on the interfaces of the runner's
  network namespace.
- tests/fixtures/ig_stacks: kernel and user stacks resolved to symbols
  (gadget_kernel_stack X_raw gets X, struct gadget_user_stack gets
  addresses, buildid and symbols), from a program with known functions.
- tests/fixtures/ig_pf: packet filters (packetfilter.h) as ig's tcpdump
  uses them, with tcpdump expressions (--pf, --pf-extra) on real traffic;
  its gadget.yaml declares tcpdump's output modes (cli.*).
- tests/fixtures/ig_arrays: map iterators whose records a test decides
  (fchmod calls per mode) or that count their own fetches, for ig's sort
  and limiter operators (--sort, --max-entries), the map-fetch params,
  gadget.yaml paramDefaults and ig's cli.* annotations (--annotate).
- tests/fixtures/ig_syscalls: syscall numbers (gadget_syscall X_raw gets
  X, the name), checked against the kernel's UAPI header; ig's templates;
  uids and gids of a gadget's own (gadget_uid X_raw gets X, the user).

Every value is checked against what the test did (pids, ports, paths,
modes, the executable's inode) or against the kernel's own view (/proc,
the namespace's inode).
"""
import json
import os
import pty
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Fail, Netns, Runner,  # noqa: E402
                     all_stopped, bpftool, check, eq, fdinfos, link, main,
                     read_pty, sh, test)
from gadget_env import (fixture_env, fixture_env_teardown,  # noqa: E402
                        header_cell, run_sync, stop, usage_error)

NS = f"igapi{os.getpid()}"
PORT = 7000 + os.getpid() % 1000


def setup():
    return fixture_env("ig-api", ["ig_sockets", "ig_files", "ig_tc", "ig_pf",
                                  "ig_stacks", "ig_arrays", "ig_syscalls"],
                       NS)


def run(env, image, *args, netns=None):
    argv = ["run", "--store", env.store, image, "-o", "json"] + list(args)
    if netns:  # the runner itself in the test's namespace
        return _runner_in(netns, argv)
    return Runner(argv)


def _runner_in(netns, argv):
    """A Runner whose process is `ip netns exec NETNS runner ARGV`."""
    return Runner(argv, prefix=("ip", "netns", "exec", netns))


# A UDP exchange in the namespace: a server bound to PORT, a client that
# sends one datagram and gets one back.  Prints pid and client port.
UDP_PAIR = f"""
import os, socket
srv = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
srv.bind(("127.0.0.1", {PORT}))
cli = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
cli.sendto(b"ping", ("127.0.0.1", {PORT}))
data, peer = srv.recvfrom(16)
srv.sendto(b"pong", peer)
cli.recv(16)
print(os.getpid(), cli.getsockname()[1],
      os.stat("/proc/self/ns/mnt").st_ino, flush=True)
"""


def udp_pair(env):
    """Run UDP_PAIR in the namespace: its pid, client port, mount ns."""
    out = env.ns.run(f"python3 -c '{UDP_PAIR}'")
    pid, cport, mntns = (int(x) for x in out.split())
    return pid, cport, mntns


@test
def socket_filter_enricher_and_map_iterator(env):
    """ig's networking conventions: the datagrams of a process in a
    namespace this test made, each with that process (from the enricher)
    and the namespace's inode (from the dispatcher), and the map iterator's
    per-namespace count once the runner stops."""
    r = run(env, "ig_sockets:latest", "--port", str(PORT))
    try:
        pid, cport, mntns = udp_pair(env)
        evs = r.wait_for(lambda e: e.get("sport") == PORT
                         and e.get("ingress") == 1)
    finally:
        stop(r)
    evs = r.events()
    ino = env.ns.inode()
    mine = [e for e in evs if "dport" in e and e["netns_id"] == ino]
    # ping out, ping in, pong out, pong in (lo shows both directions)
    eq(len(mine), 4, f"datagrams in namespace {ino}: {mine}")
    for e in mine:
        eq(e["found"], 1, f"enricher knew the socket of {e}")
        eq(e["proc"]["pid"], pid, "pid of the socket's process")
        eq(e["proc"]["comm"], "python3", "comm")
        eq(e["proc"]["mntns_id"], mntns, "mount namespace")
    got = sorted((e["sport"], e["dport"], e["ingress"]) for e in mine)
    eq(got, sorted([(cport, PORT, 0), (cport, PORT, 1),
                    (PORT, cport, 0), (PORT, cport, 1)]),
       "ports and directions")
    counts = [e for e in evs if "datagrams" in e and e["netns_id"] == ino]
    # a gadget_netns_id brings the pod of the namespace (k8s.*): none here
    for e in counts:
        eq(e.pop("k8s", {}).get("podName"), "", "k8s.podName of the test's "
           "namespace")
    eq(counts, [{"netns_id": ino, "datagrams": 4}],
       "map iterator record of the namespace")


@test
def filters_and_fields_go_to_the_data_sources_that_have_them(env):
    """-F, -c and --fields apply to the data sources with those fields, as
    in ig: the map iterator beside the datagrams lacks dport and the
    runtime.* fields, which made them unknown-field errors."""
    r = run(env, "ig_sockets:latest", "--port", str(PORT), "-F",
            f"dport=={PORT}")
    c = run(env, "ig_sockets:latest", "--port", str(PORT), "-c", "nothing",
            "--fields", "sport,dport")
    # ig's "ds:" prefixes, and ";" between the lists of two data sources
    d = run(env, "ig_sockets:latest", "--port", str(PORT), "-F",
            f"datagrams:dport=={PORT}", "--fields",
            "datagrams:dport,ingress;per_netns:netns_id,datagrams")
    try:
        udp_pair(env)
        r.wait_for(lambda e: e.get("dport") == PORT
                   and e.get("ingress") == 1)
        d.wait_for(lambda e: e.get("ingress") == 1)
    finally:
        stop(r)
        stop(c)
        stop(d)
    ino = env.ns.inode()
    for runner, what in ((r, f"-F dport=={PORT}"), (c, "-c nothing")):
        evs = [e for e in runner.events() if e["netns_id"] == ino
               or "netns_id" not in e]
        counts = [e["datagrams"] for e in evs if "datagrams" in e]
        eq(counts, [4], f"{what}: map iterator records of the namespace")
        dgrams = [e for e in evs if "datagrams" not in e]
        if runner is r:
            eq(sorted((e["dport"], e["ingress"]) for e in dgrams),
               [(PORT, 0), (PORT, 1)], f"{what}: datagrams to the server")
        else:
            eq(dgrams, [], f"{what}: datagrams (no container)")
    evs = d.events()
    eq(sorted((e["dport"], e["ingress"]) for e in evs if "dport" in e),
       [(PORT, 0), (PORT, 1)], "ds: prefixes: datagrams to the server")
    eq([e for e in evs if "datagrams" in e and e["netns_id"] == ino],
       [{"netns_id": ino, "datagrams": 4}], "ds: prefixes: map iterator")


# A server started after the runner: tells its pid, waits to be moved to a
# cgroup of its own (before it makes its socket: a socket belongs to its
# maker's cgroup), binds PORT on the address argv[1] (its family's), tells
# its mount namespace and cgroup, then waits for one datagram and sends
# nothing.
BIND_LATE = f"""
import os, socket, sys
print(os.getpid(), flush=True)
sys.stdin.readline()
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
srv = socket.socket(fam, socket.SOCK_DGRAM)
srv.bind((sys.argv[1], {PORT}))
with open("/proc/self/cgroup") as f:
    cg = [ln.split(":", 2)[2].strip() for ln in f if ln.startswith("0::")]
print(os.stat("/proc/self/ns/mnt").st_ino, cg[0], flush=True)
srv.settimeout(30)
srv.recvfrom(16)
"""

# One datagram to PORT at argv[1], from a socket never bound.
SEND_ONE = f"""
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
socket.socket(fam, socket.SOCK_DGRAM).sendto(b"ping", (sys.argv[1], {PORT}))
"""


def cgroup2_mount():
    """Where the cgroup v2 hierarchy is mounted (the runner mounts it if
    nothing had)."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ", 1)
            if post.split()[0] == "cgroup2" and pre.split()[3] == "/":
                return pre.split()[4]
    raise Fail("no cgroup2 mount")


def bind_late(env, addr):
    """A BIND_LATE server on addr in the test's namespace and a cgroup of
    its own, sent one datagram once bound: its pid, mount namespace and
    cgroup."""
    cg = os.path.join(cgroup2_mount(), f"igapi-bind-{os.getpid()}")
    os.mkdir(cg)
    srv = None
    try:
        # (ip netns exec mounts a /sys of the namespace's: moved from here)
        srv = env.ns.popen(f"python3 -c '{BIND_LATE}' {addr}",
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
        pid = srv.stdout.readline().strip()
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write(pid)
        srv.stdin.write("bind\n")
        srv.stdin.flush()
        mntns, cgroup = srv.stdout.readline().split()
        env.ns.run(f"python3 -c '{SEND_ONE}' {addr}")
        eq(srv.wait(timeout=30), 0, f"server on {addr} got the datagram")
        return int(pid), int(mntns), cgroup
    finally:
        if srv is not None and srv.poll() is None:
            srv.kill()
            srv.wait(timeout=30)
        os.rmdir(cg)


@test
def enricher_knows_a_server_bound_after_start_in_another_netns_and_cgroup(
        env):
    """bind(2) of a server started after the runner, in a network
    namespace and a cgroup v2 of its own, IPv4 and IPv6: the datagram it
    receives (seen before the server reads it, so only bind can have told
    the enricher) names it.  The enricher hooks bind with cgroup programs
    on the cgroup v2 root, not with syscall tracepoints (which would put
    every syscall of the host on the slow path): the runner has none."""
    r = run(env, "ig_sockets:latest", "--port", str(PORT))
    try:
        perf = [p for p in bpftool("perf", "show")
                if p.get("pid") == r.proc.pid]
        eq([p for p in perf if p.get("tracepoint", "").startswith("sys_")],
           [], "syscall tracepoints of the runner")
        mine = {int(i["prog_id"]) for i in fdinfos(r.proc.pid)
                if "prog_id" in i}
        # beside others' programs (BPF_F_ALLOW_MULTI), as allowing ones
        hooked = {(p["name"], p["attach_type"], p["attach_flags"]) for p in
                  bpftool("cgroup", "show", cgroup2_mount())
                  if p["id"] in mine and "post_bind" in p["attach_type"]}
        eq(sorted(hooked),
           [("post_bind4", "cgroup_inet4_post_bind", "multi"),
            ("post_bind6", "cgroup_inet6_post_bind", "multi")],
           "the runner's hooks on bind, on the cgroup v2 root")
        servers = {}
        for ipv6, addr in ((0, "127.0.0.1"), (1, "::1")):
            servers[ipv6] = bind_late(env, addr)
            r.wait_for(lambda e: e.get("dport") == PORT
                       and e.get("ingress") == 1 and e.get("ipv6") == ipv6)
    finally:
        stop(r)
    ino = env.ns.inode()
    for ipv6, (pid, mntns, cgroup) in servers.items():
        check(cgroup not in ("/", ""), f"server in a cgroup of its own: "
              f"{cgroup}")
        got = [e for e in r.events() if e.get("dport") == PORT
               and e.get("ingress") == 1 and e.get("ipv6") == ipv6]
        eq(len(got), 1, f"datagrams to the server, ipv6={ipv6}: {got}")
        e = got[0]
        eq(e["netns_id"], ino, "namespace of the datagram")
        eq(e["found"], 1, f"enricher knew the server bound after start: {e}")
        eq(e["proc"]["pid"], pid, "pid of the server")
        eq(e["proc"]["comm"], "python3", "comm")
        eq(e["proc"]["mntns_id"], mntns, "mount namespace of the server")

# fchmod(2) with known modes on a known file, then a busy second.
FILES = """
import os, sys, time
fd = os.open(sys.argv[1], os.O_CREAT | os.O_RDWR, 0o600)
for m in (0o640, 0o600, 1, 0):
    os.fchmod(fd, m)
st = os.stat("/proc/self/exe")
print(os.getpid(), st.st_ino, os.major(st.st_dev), os.minor(st.st_dev),
      flush=True)
t = time.time()
while time.time() - t < 1.5:
    pass
"""


def log2_slot(v):
    return 0 if v == 0 else v.bit_length()


def mount_tree_prefix():
    """Where this process's root sits in its mount tree: "" normally; in a
    chroot made of a bind mount (as fresh-check makes) the kernel's path
    walk, like ig's, goes up to the mount tree's root and includes it."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            if fields[4] == "/":
                return "" if fields[3] == "/" else fields[3]
    return ""


@test
def paths_stacks_histograms_perf_and_empty_default(env):
    path = os.path.join(env.tmp, "dir with space", "file")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    r = run(env, "ig_files:latest", "--collect-ustack", "true")
    try:
        out = subprocess.run(["python3", "-c", FILES, path], check=True,
                             capture_output=True, text=True).stdout
        pid, ino, major, minor = (int(x) for x in out.split())
        r.wait_for(lambda e: e.get("proc", {}).get("pid") == pid
                   and e.get("mode") == 0)
    finally:
        stop(r)
    evs = r.events()
    mine = [e for e in evs if "path" in e and e["proc"]["pid"] == pid]
    eq([e["mode"] for e in mine], [0o640, 0o600, 1, 0], "modes")
    full = mount_tree_prefix() + os.path.realpath(path)
    for e in mine:
        eq(e["path"], full, "full path of the fd")
        eq(e["path_len"], len(full) + 1, "path length")
        # gadget.yaml says defaultValue: "": the program's 0777 stays
        eq(e["mask"], 0o777, "mode_mask param")
        u = e["ustack"]
        eq((u["inode"], u["major"], u["minor"]), (ino, major, minor),
           "executable of the user stack")
        eq(u["tgid_level0"], pid, "pid of the user stack")
        check(u["stack_id"] > 0, f"user stack id {u['stack_id']}")
        check(e["kstack"] >= 0, f"kernel stack id {e['kstack']}")
    hists = [e for e in evs if "slots" in e and e["pid"] == pid]
    eq(len(hists), 1, f"histogram records of pid {pid}: {hists}")
    want = [0] * 16
    for m in (0o640, 0o600, 1, 0):
        want[log2_slot(m)] += 1
    eq(hists[0]["calls"], 4, "calls")
    eq(hists[0]["slots"], want, "log2 slots of the modes")
    samples = sum(e["samples"] for e in evs
                  if "samples" in e and e["pid"] == pid)
    check(samples > 0, f"no perf_event sample of the busy pid {pid}")


@test
def empty_default_overridden_by_flag(env):
    """--mode-mask still sets the param whose default is "": 56 (0o70),
    in decimal as ig's params are (0070 would be 70)."""
    path = os.path.join(env.tmp, "masked")
    r = run(env, "ig_files:latest", "--mode-mask", "56")
    try:
        out = subprocess.run(["python3", "-c", FILES, path], check=True,
                             capture_output=True, text=True).stdout
        pid = int(out.split()[0])
        r.wait_for(lambda e: e.get("proc", {}).get("pid") == pid
                   and e.get("mode") == 0)
    finally:
        stop(r)
    mine = [e for e in r.events()
            if "path" in e and e["proc"]["pid"] == pid]
    eq([e["mode"] for e in mine], [0o640 & 0o70, 0, 0, 0], "masked modes")
    eq({e["mask"] for e in mine}, {0o70}, "mode_mask param")


@test
def tc_classifiers_on_the_namespace_interfaces(env):
    """classifier/ingress and classifier/egress on lo of the runner's
    namespace: each datagram seen leaving and arriving, with its size,
    the namespace's inode in skb->cb[0] (the runner's dispatcher, as
    ig's) and so the process of the socket (ig's socket enricher)."""
    r = run(env, "ig_tc:latest", "--port", str(PORT), netns=NS)
    try:
        pid, cport, mntns = udp_pair(env)
        r.wait_for(lambda e: e.get("sport") == PORT and e.get("ingress"))
    finally:
        stop(r)
    mine = [e for e in r.events() if cport in (e["sport"], e["dport"])]
    got = sorted((e["sport"], e["dport"], e["ingress"], e["len"])
                 for e in mine)
    # Ethernet 14 + IPv4 20 + UDP 8 + 4 bytes of payload
    eq(got, sorted([(cport, PORT, 0, 46), (cport, PORT, 1, 46),
                    (PORT, cport, 0, 46), (PORT, cport, 1, 46)]),
       "datagrams by direction")
    eq({e["ifindex"] for e in mine}, {1}, "interface (lo of the namespace)")
    eq({e["netns_id"] for e in mine}, {env.ns.inode()}, "skb->cb[0]")
    # but the first datagram leaving: the client's socket, bound by that
    # sendto(), is not in the enricher's map yet
    eq({(e["proc"]["pid"], e["proc"]["mntns_id"]) for e in mine
        if (e["sport"], e["ingress"]) != (cport, 0)},
       {(pid, mntns)}, "process of the sockets (server and client)")
    out = env.ns.run("tc qdisc show dev lo")
    check("clsact" not in out, f"clsact left behind on lo: {out!r}")


@test
def tc_classifiers_on_the_iface_only(env):
    """--iface NAME (ig's ebpf operator's flag, for gadgets with tc
    programs): the classifiers go on that interface only, not on the
    namespace's others (a veth pair here), which they go on without it;
    an interface that does not exist fails the run, as in ig."""
    env.ns.run("ip link add rfa type veth peer name rfb")
    try:
        qdiscs = {}
        for flags in ([], ["--iface", "lo"]):
            r = run(env, "ig_tc:latest", "--port", str(PORT), *flags,
                    netns=NS)
            try:
                qdiscs[len(flags)] = {
                    d: "clsact" in env.ns.run(f"tc qdisc show dev {d}")
                    for d in ("lo", "rfa", "rfb")}
                pid, cport, _ = udp_pair(env)
                r.wait_for(lambda e: e.get("sport") == PORT and
                           e.get("ingress"))
            finally:
                stop(r)
            mine = [e for e in r.events() if cport in (e["sport"],
                                                       e["dport"])]
            eq(len(mine), 4, f"{flags}: datagrams on lo")
            eq({e["ifindex"] for e in mine}, {1}, f"{flags}: interface")
    finally:
        env.ns.run("ip link del rfa")
    eq(qdiscs, {0: {"lo": True, "rfa": True, "rfb": True},
                2: {"lo": True, "rfa": False, "rfb": False}},
       "interfaces with a clsact qdisc while it ran")
    rc, out, err = run_sync(["run", "--store", env.store, "ig_tc:latest",
                             "--iface", "nosuch0"])
    eq(rc, 1, f"exit status of --iface nosuch0 (stderr {err!r})")
    eq(err, "runner: run ig_tc:latest: --iface nosuch0: No such device\n",
       "its error")
    usage_error(["run", "--store", env.store, "ig_files:latest", "--iface",
                 "lo"], "--iface: ig_files:latest has no tc classifier")


# Traffic on lo for the packet filters, in this order: a UDP datagram to
# PORT, a TCP exchange on PORT + 1, datagrams "CD" then "AB" to 5353, and a
# last TCP connection from MARK_PORT that marks the end.  Prints the UDP
# client's port and the first TCP client's.
MARK_PORT = PORT + 2
PF_TRAFFIC = f"""
import socket
A = ("127.0.0.1", {PORT})
T = ("127.0.0.1", {PORT + 1})
M = ("127.0.0.1", 5353)
sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sink.bind(A)
mdns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mdns.bind(M)
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(T)
ls.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"xx", A)
sink.recv(4)
c = socket.create_connection(T)
a = ls.accept()[0]
c.sendall(b"hello")
a.recv(5)
tport = c.getsockname()[1]
c.close()
a.close()
u.sendto(b"CD", M)
mdns.recv(4)
u.sendto(b"AB", M)
mdns.recv(4)
m = socket.socket()
m.bind(("127.0.0.1", {MARK_PORT}))
m.connect(T)
ls.accept()[0].close()
m.close()
print(u.getsockname()[1], tport, flush=True)
"""


def pf_run(env, *args, wait):
    """ig_pf in the namespace with args while PF_TRAFFIC runs; waits for
    an event satisfying wait.  The events and the two client ports."""
    r = run(env, "ig_pf:latest", *args, netns=NS)
    try:
        uport, tport = (int(x) for x in
                        env.ns.run(f"python3 -c '{PF_TRAFFIC}'").split())
        r.wait_for(wait)
    finally:
        stop(r)
    return r.events(), uport, tport


def _marked(e):
    return e.get("sport") == MARK_PORT and e.get("ingress") == 1


@test
def packet_filter_expressions(env):
    """--pf and --pf-extra (gadget_pf_ and gadget_pf_extra): libpcap's
    compile of a tcpdump expression, translated and put in place of the
    stub at load.  Without a filter every packet comes; with `udp port
    5353` exactly the two datagrams to 5353, each leaving and arriving
    (the named filter `udp[8:2] = 0x4142` keeps only "AB"); with `tcp`
    only TCP segments."""
    evs, uport, tport = pf_run(env, wait=_marked)
    kinds = {(e["proto"], e["sport"], e["dport"]) for e in evs}
    for k in ((17, uport, PORT), (6, tport, PORT + 1), (17, uport, 5353)):
        check(k in kinds, f"without a filter, {k} missing: {kinds}")
    check(all(e["extra"] == 1 for e in evs),
          "the unset named filter keeps everything")

    seen = []

    def ab_both(e):
        if e.get("dport") == 5353 and e.get("extra") == 1:
            seen.append(e["ingress"])
        return sorted(set(seen)) == [0, 1]
    evs, uport, _ = pf_run(env, "--pf", "udp port 5353", "--pf-extra",
                           "udp[8:2] = 0x4142", wait=ab_both)
    got = sorted((e["proto"], e["sport"], e["dport"], e["ingress"],
                  e["extra"], e["len"]) for e in evs)
    # Ethernet 14 + IPv4 20 + UDP 8 + 2 bytes
    eq(got, sorted([(17, uport, 5353, d, x, 44)
                    for d in (0, 1) for x in (0, 1)]),
       "udp port 5353: its datagrams only, AB marked")

    evs, _, tport = pf_run(env, "--pf", "tcp", wait=_marked)
    eq({e["proto"] for e in evs}, {6}, "tcp: protocols")
    check({(tport, PORT + 1, 0), (tport, PORT + 1, 1)} <=
          {(e["sport"], e["dport"], e["ingress"]) for e in evs},
          "tcp: the first connection's segments")


def lo_datagram(port, data, then=""):
    """A script that sends data (a Python expression) to port on lo,
    receives it, then runs then."""
    return f"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", {port}))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto({data}, ("127.0.0.1", {port}))
s.recv(400)
{then}"""


# One 300-byte datagram to PORT + 3 on lo.
BIG_DGRAM = lo_datagram(PORT + 3, 'b"x" * 300')


def pcapng_capture(env, pf, script, cols, n, tshark=""):
    """ig_pf -o pcap-ng in the namespace with --pf pf while script runs
    there, until tshark (with options tshark) reads n frames of it: the
    frames' cols, the times before and after, and the file."""
    t0 = time.time()
    r = _runner_in(NS, ["run", "--store", env.store, "ig_pf:latest",
                        "-o", "pcap-ng", "--pf", pf])
    cmd = (f"tshark -r {r.out.name} {tshark} -T fields -E separator=/t " +
           " ".join(f"-e {c}" for c in cols) + " 2>/dev/null")
    try:
        env.ns.run(f"python3 -c '{script}'")
        deadline = time.time() + WAIT
        while (len(sh(cmd, check_rc=False).splitlines()) < n and
               time.time() < deadline):
            time.sleep(0.2)
    finally:
        stop(r)
    t1 = time.time()
    rows = [dict(zip(cols, line.split("\t")))
            for line in sh(cmd).splitlines()]
    return rows, t0, t1, r.out.name


@test
def pcapng_of_ethernet_frames(env):
    """-o pcap-ng of a data source with ig's pcap.* annotations (ig's
    tcpdump, here ig_pf): Ethernet frames, which tshark and tcpdump decode
    down to UDP, each cut to the fixture's 128 bytes with its length on
    the wire (pcap.packet-length) and its time, on an interface of ig's
    (named "virtual", below)."""
    cols = ["frame.len", "frame.cap_len", "eth.type", "ip.src",
            "udp.dstport", "frame.interface_name", "frame.time_epoch"]
    rows, t0, t1, path = pcapng_capture(env, f"udp port {PORT + 3}",
                                        BIG_DGRAM, cols, 2)
    eq([(x["frame.len"], x["frame.cap_len"], x["eth.type"], x["ip.src"],
         x["udp.dstport"], x["frame.interface_name"]) for x in rows],
       [("342", "128", "0x0800", "127.0.0.1", str(PORT + 3), "virtual")] * 2,
       "frames: Ethernet 14 + IPv4 20 + UDP 8 + 300, 128 captured")
    for x in rows:
        check(t0 <= float(x["frame.time_epoch"]) <= t1,
              f"time {x['frame.time_epoch']} in [{t0}, {t1}]")
    out = sh(f"tcpdump -nn -r {path} 2>&1")
    check("link-type EN10MB" in out and
          out.count(f"127.0.0.1.{PORT + 3}: UDP, length 300") == 2,
          f"tcpdump: {out}")


# A datagram to 127.0.0.1 (lo: leaving and arriving) and one to the peer
# over the veth (leaving only), both to port PORT + 4.
TWO_WAYS = lo_datagram(
    PORT + 4, 'b"over lo"',
    f'u.sendto(b"over the veth", ("10.231.0.2", {PORT + 4}))')


@test
def pcapng_interfaces_by_key(env):
    """ig's pcap.interface-key and pcap.interface-var (ig_pf's gadget.yaml
    as ig's tcpdump's: ifindex is the key, the direction a variable): a
    pcap-ng interface for each ifindex and direction that packets came
    by (lo out, lo in, the veth out), each ig's "virtual" one described by
    "direction=EGRESS" or "direction=INGRESS"; each packet's time is its
    timestamp's (pcap.timestamp) and its bytes are the datagram sent."""
    peer = Netns(f"igapp{os.getpid()}")
    try:
        link(env.ns, peer, ["10.231.0.1/24"], ["10.231.0.2/24"],
             name=f"ip{os.getpid()}")
        cols = ["frame.interface_id", "frame.interface_name",
                "frame.interface_description", "frame.time_epoch",
                "ip.dst", "data.data"]
        rows, t0, t1, _ = pcapng_capture(
            env, f"udp dst port {PORT + 4}", TWO_WAYS, cols, 3,
            tshark=f"-d udp.port=={PORT + 4},data")
    finally:
        peer.delete()
    lo = [x for x in rows if x["ip.dst"] == "127.0.0.1"]
    veth = [x for x in rows if x["ip.dst"] == "10.231.0.2"]
    eq((len(lo), len(veth), len(rows)), (2, 1, 3), f"frames: {rows}")
    eq(sorted(x["frame.interface_description"] for x in lo),
       ["direction=EGRESS", "direction=INGRESS"], "lo: each way")
    eq(veth[0]["frame.interface_description"], "direction=EGRESS",
       "the veth: out")
    ids = {x["frame.interface_id"] for x in rows}
    eq(len(ids), 3, f"an interface per ifindex and direction: {rows}")
    check("0" not in ids, "interface 0 (the runner's namespace) unused")
    for x in rows:
        eq(x["frame.interface_name"], "virtual", "ig's interface name")
        check(t0 <= float(x["frame.time_epoch"]) <= t1,
              f"time {x['frame.time_epoch']} in [{t0}, {t1}]")
    eq([x["data.data"] for x in lo], [b"over lo".hex()] * 2, "lo's bytes")
    eq(veth[0]["data.data"], b"over the veth".hex(), "the veth's bytes")


# One datagram "payload, as sent" to PORT + 5 on lo.
PAYLOAD_DGRAM = lo_datagram(PORT + 5, 'b"payload, as sent"')


@test
def payload_in_json_and_columns(env):
    """ig's payload field (ebpf.rest.name), as ig's JSON writes bytes: a
    hex string, here the Ethernet frame of the datagram sent (its IPv4
    ethertype, its ports, its bytes last), payload_len bytes of it; in
    columns ig's "<N bytes>": 14 + 20 + 8 + 16."""
    sent = b"payload, as sent"
    pf = ["--pf", f"udp dst port {PORT + 5}"]
    r = run(env, "ig_pf:latest", *pf, netns=NS)
    try:
        env.ns.run(f"python3 -c '{PAYLOAD_DGRAM}'")
        r.wait_for(lambda e: e.get("ingress") == 1)
    finally:
        stop(r)
    evs = r.events()
    eq(sorted(e["ingress"] for e in evs), [0, 1], f"each way on lo: {evs}")
    evs = [e for e in evs if e["ingress"] == 1]
    frame = bytes.fromhex(evs[0]["payload"])
    eq(len(frame), evs[0]["payload_len"], "payload_len bytes")
    eq((frame[12:14], int.from_bytes(frame[36:38], "big"), frame[-16:]),
       (b"\x08\x00", PORT + 5, sent), f"the frame: {frame.hex()}")
    eq(len(frame), 14 + 20 + 8 + len(sent), "the whole frame")

    r = _runner_in(NS, ["run", "--store", env.store, "ig_pf:latest",
                        "-o", "columns", "--fields", "dport,payload"] + pf)
    try:
        env.ns.run(f"python3 -c '{PAYLOAD_DGRAM}'")
        deadline = time.time() + WAIT
        while (r.stdout().count("bytes>") < 2 and
               time.time() < deadline):
            time.sleep(0.1)
    finally:
        stop(r)
    eq([line.split(None, 1) for line in r.stdout().splitlines()],
       [["DPORT", "PAYLOAD"]] + [[str(PORT + 5), "<58 bytes>"]] * 2,
       "columns")


@test
def pcapng_without_packets(env):
    """-o pcap-ng that writes no packet still writes an interface, which
    libpcap needs to read the file: tcpdump reads none, no error."""
    r = _runner_in(NS, ["run", "--store", env.store, "ig_pf:latest",
                        "-o", "pcap-ng", "--pf", "udp port 1"])
    stop(r)
    p = subprocess.run(["tcpdump", "-r", r.out.name], capture_output=True,
                       text=True, timeout=60)
    eq((p.returncode, p.stdout), (0, ""), f"tcpdump: {p.stderr}")


@test
def packet_filter_errors(env):
    """An expression libpcap refuses stops the run with its reason and
    the param's name."""
    p = subprocess.run([RUNNER, "run", "--store", env.store, "ig_pf:latest",
                        "--pf", "udp port"], capture_output=True, text=True,
                       timeout=60)
    eq(p.returncode, 1, "exit status")
    check("pf udp port" in p.stderr and "syntax error" in p.stderr,
          f"stderr: {p.stderr!r}")


# A program whose user stack at fchmod(2) is known: main calls
# stack_outer, which calls stack_inner, which makes the syscall itself
# (frame pointers kept, nothing inlined).  It prints its pid, waits for a
# line, calls, and waits again so that its maps are there when the
# runner renders the event.
STACK_PROG = r"""
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>
__attribute__((noinline)) long stack_inner(int fd)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret)
			 : "0"((long)SYS_fchmod), "D"((long)fd), "S"(0600L)
			 : "rcx", "r11", "memory");
	return ret;
}
__attribute__((noinline)) long stack_outer(int fd)
{
	return stack_inner(fd) + 1;
}
int main(int argc, char **argv)
{
	char c;
	int fd = open(argv[1], O_RDONLY);
	printf("%d\n", getpid());
	fflush(stdout);
	if (read(0, &c, 1) != 1 || stack_outer(fd) != 1)
		return 1;
	return read(0, &c, 1) < 0;
}
"""


@test
def stacks_resolved_to_symbols(env):
    """A kernel stack id becomes its /proc/kallsyms names ("sym; sym; "),
    a user stack its addresses and the names of the functions of the
    program (read from its ELF symbol table through /proc/PID/maps), as
    ig renders them."""
    if os.uname().machine != "x86_64":
        raise Fail("the test program makes its syscall in x86-64 assembly")
    src = os.path.join(env.tmp, "stackprog.c")
    exe = os.path.join(env.tmp, "stackprog")
    target = os.path.join(env.tmp, "stack-target")
    with open(src, "w") as f:
        f.write(STACK_PROG)
    open(target, "w").close()
    subprocess.run(["gcc", "-O0", "-fno-omit-frame-pointer", "-o", exe,
                    src], check=True, timeout=60)
    # ig's name of gadget/user_stack_map.h's collect_ustack (its
    # pkg/operators/ebpf/params.go), not the variable's
    usage_error(["run", "--store", env.store, "ig_stacks:latest",
                 "--collect_ustack", "true"],
                "unknown flag '--collect_ustack'")
    r = run(env, "ig_stacks:latest", "--collect-ustack", "true")
    prog = subprocess.Popen([exe, target], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        pid = int(prog.stdout.readline())
        prog.stdin.write("g")
        prog.stdin.flush()
        evs = r.wait_for(lambda e: e.get("proc", {}).get("pid") == pid)
    finally:
        stop(r)
        prog.stdin.close()
        prog.wait(timeout=10)
    e = [e for e in evs if e["proc"]["pid"] == pid][0]
    syms = e["ustack"]["symbols"].split("; ")
    eq(syms[:3], ["stack_inner", "stack_outer", "main"], "user symbols")
    addrs = e["ustack"]["addresses"].split("; ")
    eq(len(addrs), len(syms), "one address per symbol")
    check(all(len(a) == 18 and a.startswith("0x") for a in addrs[:-1]),
          f"addresses as 0x%016x: {addrs}")
    eq(e["ustack"]["buildid"], "", "build ids (not collected)")
    with open("/proc/kallsyms") as f:
        names = {line.split()[2] for line in f}
    ks = e["kstack"].split("; ")
    eq(ks[-1], "", "kernel stack ends with '; '")
    check(len(ks) > 2 and all(k in names for k in ks[:-1]),
          f"kernel stack names not in /proc/kallsyms: {ks}")
    check("do_syscall_64" in ks, f"kernel stack: {ks}")
    check(isinstance(e["kstack_raw"], int), "the id stays in kstack_raw")
    check("kstack" not in r.stderr(), f"stderr: {r.stderr()!r}")


# ig_arrays counts fchmod calls on this descriptor (none is open: EBADF)
MARKER_FD = 100000 + os.getpid() % 100000
FCHMODS = """
import os, sys
for item in sys.argv[2:]:
    mode, n = (int(x) for x in item.split("x"))
    for _ in range(n):
        try:
            os.fchmod(int(sys.argv[1]), mode)
        except OSError:
            pass
"""


def fchmods(plan, fd=MARKER_FD):
    """fchmod(fd, mode) n times for each (mode, n) of plan, in order."""
    subprocess.run(["python3", "-c", FCHMODS, str(fd)] +
                   [f"{m}x{n}" for m, n in plan], check=True, timeout=30)


def modes_batch(env, plan, *args, image="ig_arrays:latest"):
    """The modes records of a run that fetches only when stopped (its
    flush-on-stop annotation): one batch, the calls of plan."""
    r = run(env, image, "--map-fetch-interval", "0", *args)
    try:
        fchmods(plan)
    finally:
        stop(r)
    # ticks has no ebpf.map.flush-on-stop: never fetched, as in ig
    eq([e for e in r.events() if "bpf_calls" in e], [], "ticks records")
    return [e for e in r.events() if "mode" in e]


PLAN = [(5, 3), (7, 1), (2, 3), (9, 2)]  # (mode, calls)


@test
def sort_and_limit_each_batch(env):
    """ig's sort and limiter operators on a map iterator's batch: by
    several fields, descending with -, numbers as numbers and text as
    text; the first N records of the batch; per data source (ds:)."""
    got = modes_batch(env, PLAN, "--fd", str(MARKER_FD),
                      "--sort", "-calls,mode", "--max-entries", "3")
    eq([(e["mode"], e["calls"]) for e in got], [(2, 3), (5, 3), (9, 2)],
       "sorted by calls descending, then mode; the first 3")
    # name is "z" for mode 0, "y" for 1...: text order, not the modes'
    got = modes_batch(env, PLAN, "--fd", str(MARKER_FD), "--sort", "name")
    eq([(e["name"], e["mode"]) for e in got],
       [("q", 9), ("s", 7), ("u", 5), ("x", 2)], "sorted by name")
    got = modes_batch(env, PLAN, "--fd", str(MARKER_FD), "--sort",
                      "modes:-neg", "--max-entries", "modes:2")
    eq([(e["neg"], e["mode"]) for e in got], [(-2, 2), (-5, 5)],
       "a signed field descending, the first 2 (ds: prefixes)")
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--sort", "calls,bpf_calls"], "--sort",
                'unknown field "bpf_calls"')
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--max-entries", "-2"], "--max-entries", '"-2"')
    # numbers as ig's strconv.Atoi reads them: no space (strtol took it)
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--max-entries", " 3"], "--max-entries", '" 3"')
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--map-fetch-count", " 2"], "--map-fetch-count", '" 2"')
    # as in ig, a gadget without array data sources has no such flags;
    # the error says why, not "unrecognized option"
    usage_error(["run", "--store", env.store, "ig_tc:latest",
                 "--sort", "len"],
                "--sort: ig_tc:latest has no snapshot or map iterator")
    usage_error(["run", "--store", env.store, "ig_tc:latest",
                 "--map-fetch-count=2"],
                "--map-fetch-count: ig_tc:latest has no map iterator")


@test
def filters_per_data_source(env):
    """ig's --filter.DS and --filter-expr.DS (its filter operator's flags
    per data source): -F and -E for data source DS only; a field of
    another data source is unknown there."""
    got = modes_batch(env, PLAN, "--fd", str(MARKER_FD),
                      "--filter.modes", "calls>=3",
                      "--filter-expr.modes", "mode != 5")
    eq([(e["mode"], e["calls"]) for e in got], [(2, 3)],
       "the modes records that pass both")
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--filter.ticks", "calls>=3"], 'unknown field "calls"')
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--filter-expr.ticks", "calls >= 3"],
                'unknown field "calls"')
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--filter.nosuch", "calls>=3"],
                "unknown flag '--filter.nosuch'")


def ticks(out):
    """The ticks records in JSON lines: one per fetch of the map."""
    return [e for e in (json.loads(line) for line in out.splitlines())
            if "bpf_calls" in e]


@test
def map_fetch_interval_and_count(env):
    """--map-fetch-count N fetches N times, every --map-fetch-interval,
    then the run ends by itself; interval 0 and count 1: once at the
    start; count and interval per data source."""
    for args, n in ((["--map-fetch-interval", "50ms",
                      "--map-fetch-count", "3"], 3),
                    (["--map-fetch-interval", "0",
                      "--map-fetch-count", "1"], 1),
                    (["--map-fetch-interval", "ticks:20ms,modes:10ms",
                      "--map-fetch-count", "ticks:2,modes:1"], 2)):
        rc, out, err = run_sync(["run", "--store", env.store,
                                 "ig_arrays:latest", "-o", "json"] + args)
        eq(rc, 0, f"{args}: exit status ({err.strip()[-200:]!r})")
        got = ticks(out)
        eq(len(got), n, f"{args}: fetches of ticks")
        check(all(e["bpf_calls"] >= 1 for e in got),
              f"{args}: each fetch saw its own bpf(2) call: {got}")
    rc, out, err = run_sync(["run", "--store", env.store,
                             "ig_arrays:latest", "--map-fetch-interval",
                             "0", "--map-fetch-count", "2"])
    eq(rc, 1, f"count 2 with interval 0: exit status ({err!r})")
    check(len(err.splitlines()) == 1 and "--map-fetch-interval" in err,
          f"count 2 with interval 0: {err!r}")
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--map-fetch-interval", "soon"], "--map-fetch-interval",
                '"soon"')
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "--map-fetch-count", "nothing:2"], "--map-fetch-count",
                "no data source nothing")


def arrays_variant(env, tag, defaults):
    """ig_arrays built with a gadget.yaml that adds paramDefaults; the
    build's result."""
    d = os.path.join(env.tmp, tag)
    os.makedirs(d, exist_ok=True)
    src = os.path.join(ROOT, "tests/fixtures/ig_arrays")
    with open(os.path.join(src, "program.bpf.c")) as f, \
            open(os.path.join(d, "program.bpf.c"), "w") as g:
        g.write(f.read())
    with open(os.path.join(src, "gadget.yaml")) as f, \
            open(os.path.join(d, "gadget.yaml"), "w") as g:
        g.write(f.read() + "paramDefaults:\n" +
                "".join(f"  {k}: {v!r}\n" for k, v in defaults.items()))
    return subprocess.run([RUNNER, "image", "build", d, "-t",
                           f"{tag}:latest", "--store", env.store],
                          capture_output=True, text=True, timeout=120)


# ticks fetched 3 times, then the run ends; modes (empty) once
THREE_TICKS = ["--map-fetch-interval", "20ms",
               "--map-fetch-count", "ticks:3,modes:1"]


def arrays_run(env, *args):
    """ig_arrays with THREE_TICKS and args, to its end, stdout a pipe."""
    rc, out, err = run_sync(["run", "--store", env.store,
                             "ig_arrays:latest"] + THREE_TICKS + list(args))
    eq(rc, 0, f"{args}: exit status ({err.strip()[-300:]!r})")
    return out, err


def json_ticks(out):
    """The ticks records of the JSON lines in out (other lines skipped)."""
    return [e for e in (json.loads(line) for line in out.splitlines()
                        if line.startswith("{")) if "bpf_calls" in e]


@test
def configured_runtimes_are_ignored_without_containers(env):
    """ig's configuration's runtimes and containerd-namespace are its
    LocalManager's global params: a gadget without runtime.* fields
    (ig_arrays) runs with them, as in ig; on the command line they stay
    usage errors there."""
    path = os.path.join(env.tmp, "localmanager.yaml")
    with open(path, "w") as f:
        f.write("operator:\n  localmanager:\n    runtimes: docker\n"
                "    containerd-namespace: other\n")
    out, _ = arrays_run(env, "--config", path, "-o", "json")
    eq(len(json_ticks(out)), 3, f"ticks as JSON lines: {out!r}")
    for flag in (["-r", "docker"], ["--containerd-namespace", "other"]):
        usage_error(["run", "--store", env.store, "ig_arrays:latest",
                     "--config", path] + THREE_TICKS + flag,
                    "no data source has runtime.* fields")


@test
def output_modes_of_each_data_source(env):
    """ig's cli.supported-output-modes and cli.default-output-mode: the
    default mode of a data source (its annotation, else columns, else its
    first supported mode in name order); -o per data source (ds:mode); a
    mode a data source does not support skips it with ig's warning, and
    is an error when no data source supports it; ig_pf declares ig's
    tcpdump's modes in its gadget.yaml."""
    usage_error(["run", "--store", env.store, "ig_pf:latest",
                 "-o", "jsonpretty"],
                'output mode "jsonpretty" for data source "packets" is not '
                "supported", "pcap-ng,columns,json,yaml")
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "-o", "bogus"], "invalid output mode 'bogus'")
    rc, out, _ = run_sync(["run", "--store", env.store, "ig_pf:latest",
                           "--help"], safety=False)
    check(re.search(r"(?m)^OUTPUT MODES \(-o\)\n +packets +columns "
                    r"\(default\), json, pcap-ng, yaml$", out),
          f"--help: the modes of the data source: {out}")
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "-o", "nothing:json"],
                'runner: -o: "nothing:json": no data source nothing')
    # each error names the flag, as --max-entries' do (this one did not)
    usage_error(["run", "--store", env.store, "ig_arrays:latest",
                 "-o", "json,ticks:yaml"],
                'runner: -o: "json,ticks:yaml": values with and without a '
                "data source name mixed")
    # the default of one data source: JSON for ticks, columns for modes
    out, _ = arrays_run(env, "--annotate", "ticks:cli.default-output-mode=json")
    lines = out.splitlines()
    check(lines and lines[0].split() == ["MODE", "CALLS", "NEG", "NAME"],
          f"modes' columns header first: {out!r}")
    eq(len(json_ticks(out)), 3, f"ticks as JSON lines: {out!r}")
    eq(len(lines), 4, f"nothing else: {out!r}")
    # without columns among its modes: the first by name (json < yaml)
    ann = ["--annotate", "ticks:cli.supported-output-modes=yaml,json"]
    out, _ = arrays_run(env, *ann)
    eq(len(json_ticks(out)), 3, f"ticks as JSON lines: {out!r}")
    rc, out, _ = run_sync(["run", "--store", env.store, "ig_arrays:latest",
                           "--help"] + ann, safety=False)
    check(re.search(r"(?m)^ +ticks +json \(default\), yaml$", out),
          f"--help: ticks' modes in name order: {out}")
    # -o for one data source, the other keeps its default
    out, _ = arrays_run(env, "-o", "ticks:yaml")
    eq(out.splitlines()[0].split(), ["MODE", "CALLS", "NEG", "NAME"],
       "modes' columns header")
    eq(len(re.findall(r"(?m)^bpf_calls: \d+$", out)), 3,
       f"ticks as YAML: {out!r}")
    # -o json where ticks has columns only: skipped with ig's warning
    out, err = arrays_run(env, "-o", "json", "--annotate",
                          "ticks:cli.supported-output-modes=columns")
    eq(out, "", "nothing printed (modes is empty, ticks skipped)")
    check('output mode "json" for data source "ticks" is not supported; '
          "skipping data source" in err, f"the warning: {err!r}")
    # a default it does not support: skipped, as in ig
    out, err = arrays_run(env, "--annotate",
                          "ticks:cli.supported-output-modes=json,"
                          "ticks:cli.default-output-mode=yaml")
    check("BPF_CALLS" not in out and "bpf_calls" not in out,
          f"ticks skipped: {out!r}")
    check('default output mode "yaml" for data source "ticks" is not '
          "supported; skipping data source" in err, f"the warning: {err!r}")
    # an empty cli.supported-output-modes: no mode at all, skipped with a
    # note that says so (it printed a default mode "(null)")
    ann = ["--annotate", "ticks:cli.supported-output-modes="]
    out, err = arrays_run(env, *ann)
    check("BPF_CALLS" not in out and "bpf_calls" not in out,
          f"ticks skipped: {out!r}")
    eq([line for line in err.splitlines() if "ticks" in line],
       ['runner: data source "ticks" supports no output mode (its '
        'cli.supported-output-modes lists none); skipping data source'],
       "the note")
    out, err = arrays_run(env, "--annotate",
                          "ticks:cli.supported-output-modes=,,")
    check('"ticks" supports no output mode' in err,
          f"commas only, no mode: {err!r}")
    rc, out, _ = run_sync(["run", "--store", env.store, "ig_arrays:latest",
                           "--help"] + ann, safety=False)
    check(re.search(r"(?m)^ +ticks +\(no output mode\)$", out),
          f"--help: ticks has no mode: {out}")


CLEAR = "\x1b[H\x1b[2J"  # ig's: cursor home, erase the screen


def on_pty(args):
    """`runner ARGS` to its end with stdout on a pseudo-terminal: (rc,
    what it wrote there with \\r\\n as \\n, stderr)."""
    e = dict(os.environ)
    e.pop("RUNNER_READY_FILE", None)
    m, s = pty.openpty()
    p = subprocess.Popen([RUNNER] + args + ["--timeout", "30"], stdout=s,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                         env=e)
    os.close(s)
    out = read_pty(m)
    err = p.stderr.read()
    p.wait(timeout=30)
    return p.returncode, out.decode().replace("\r\n", "\n"), err.decode()


@test
def clear_screen_before_each_batch(env):
    """ig's cli.clear-screen-before on an array data source in columns:
    on a terminal, the screen cleared and the header written at the start
    and before each batch (ig's top gadgets); in a pipe the header at the
    start and before each batch, without the terminal's escape; not asked,
    no clear, and the header before each batch only, as for every array
    (the modes data source's one fetch, no records: its header alone)."""
    args = ["run", "--store", env.store, "ig_arrays:latest"] + THREE_TICKS
    ann = ["--annotate", "ticks:cli.clear-screen-before=true"]
    rc, out, err = on_pty(args + ann)
    eq(rc, 0, f"exit status ({err.strip()[-300:]!r})")
    screens = out.split(CLEAR)
    eq(len(screens), 5, f"cleared at the start and before 3 batches: {out!r}")
    eq(screens[0], "", "nothing before the first clear")
    eq([ln.split() for ln in screens[1].splitlines()],
       [["ID", "BPF_CALLS"], ["MODE", "CALLS", "NEG", "NAME"]],
       "the header at the start, then modes' with its (empty) batch")
    for sc in screens[2:]:
        rows = sc.splitlines()
        eq(rows[0].split(), ["ID", "BPF_CALLS"], f"the header first: {sc!r}")
        eq(len(rows), 2, f"then the batch's one record: {sc!r}")
    rc, out, err = run_sync(args + ann)
    eq(rc, 0, f"in a pipe: exit status ({err.strip()[-300:]!r})")
    check("\x1b" not in out, f"no escape in a pipe: {out!r}")
    eq([ln.split() for ln in out.splitlines()
        if ln.startswith("ID")], [["ID", "BPF_CALLS"]] * 4,
       f"in a pipe: the header at the start and before each batch: {out!r}")
    rc, out, err = on_pty(args)
    eq(rc, 0, f"not asked: exit status ({err.strip()[-300:]!r})")
    check(CLEAR not in out, f"not asked: no clear: {out!r}")
    rows = [ln.split()[0] for ln in out.splitlines()]
    eq(rows.count("ID"), 3, f"not asked: a header per batch: {out!r}")
    eq([rows[i + 1] for i, r in enumerate(rows) if r == "ID"], ["0"] * 3,
       f"not asked: each header followed by its batch's record: {out!r}")
    eq(rows.count("MODE"), 1, f"not asked: modes' one batch: {out!r}")


@test
def param_defaults_of_gadget_yaml(env):
    """gadget.yaml paramDefaults (ig's full param names, any case) are
    the defaults of the map-fetch params, --sort, --max-entries and the
    gadget's own params; flags still override them; a bad value fails
    the build with one line."""
    b = arrays_variant(env, "arrays_defaults", {
        "operator.oci.ebpf.map-fetch-interval": "20ms",
        "operator.oci.ebpf.Map-Fetch-Count": "2",
        "operator.oci.ebpf.fd": str(MARKER_FD),
        "operator.sort.sort": "-calls",
        "operator.limiter.max-entries": "1"})
    eq(b.returncode, 0, f"build: {b.stderr.strip()[-300:]!r}")
    rc, out, err = run_sync(["run", "--store", env.store,
                             "arrays_defaults:latest", "-o", "json"])
    eq(rc, 0, f"exit status ({err.strip()[-200:]!r})")
    eq(len(ticks(out)), 2, "fetches of ticks (paramDefaults: 2)")
    got = modes_batch(env, [(5, 1), (7, 4), (2, 2)],
                      "--map-fetch-count", "0",
                      image="arrays_defaults:latest")
    eq([(e["mode"], e["calls"]) for e in got], [(7, 4)],
       "fd, sort and max-entries from paramDefaults")
    rc, out, _ = run_sync(["run", "--store", env.store,
                           "arrays_defaults:latest", "--help"], safety=False)
    check(re.search(r"--map-fetch-interval .*\(default 20ms\)", out) and
          re.search(r"--fd .*\(default " + str(MARKER_FD) + r"\)", out),
          f"defaults in --help: {out}")
    b = arrays_variant(env, "arrays_bad", {
        "operator.oci.ebpf.map-fetch-interval": "soon"})
    check(b.returncode != 0, "a bad paramDefaults value was built")
    last = b.stderr.strip().splitlines()[-1] if b.stderr.strip() else ""
    check(last.startswith("runner: ") and "paramDefaults" in last and
          "map-fetch-interval" in last and '"soon"' in last,
          f"build error: {b.stderr!r}")


@test
def undeclared_helper_fails_the_build_clearly(env):
    """A call to a function no header declares (as PT_REGS_PARM6_CORE_SYSCALL
    was with libbpf 1.1) stops `runner image build` with clang's error,
    not with an object that does not open."""
    d = os.path.join(env.tmp, "undeclared")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "program.bpf.c"), "w") as f:
        f.write("#include <vmlinux.h>\n#include <bpf/bpf_helpers.h>\n"
                "SEC(\"tracepoint/syscalls/sys_enter_getpid\")\n"
                "int p(void *ctx) { return no_such_helper(ctx); }\n"
                "char LICENSE[] SEC(\"license\") = \"GPL\";\n")
    with open(os.path.join(d, "gadget.yaml"), "w") as f:
        f.write("name: undeclared\n")
    p = subprocess.run([RUNNER, "image", "build", d, "-t", "undeclared:x",
                        "--store", env.store], capture_output=True,
                       text=True, timeout=120)
    eq(p.returncode, 1, "exit status")
    check("implicit declaration of function 'no_such_helper'" in p.stderr,
          f"clang's reason not shown: {p.stderr[-400:]!r}")
    check("does not open" not in p.stderr, f"stderr: {p.stderr[-300:]!r}")


def kernel_syscall_names():
    """Syscall names by number, from the kernel's UAPI header of this CPU
    (linux-libc-dev), which the runner does not read."""
    path = f"/usr/include/{os.uname().machine}-linux-gnu/asm/unistd_64.h"
    names = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            if len(w) == 3 and w[0] == "#define" and w[1].startswith("__NR_"):
                names[int(w[2])] = w[1][len("__NR_"):]
    check(len(names) > 300, f"{path}: only {len(names)} syscalls")
    return names


# Makes the system calls whose numbers it is given, once a line comes on
# stdin (the runner has started), then exit_group (the marker, last).
SYSCALLS = """
import ctypes, os, sys
libc = ctypes.CDLL(None)
print(os.getpid(), flush=True)
sys.stdin.readline()
for n in sys.argv[1:]:
    libc.syscall(int(n))
"""


def fixture_variant(env, fixture, name, old, new):
    """A copy of tests/fixtures/FIXTURE in env.tmp/NAME whose gadget.yaml
    has old replaced by new; its folder."""
    d = os.path.join(env.tmp, name)
    os.makedirs(d, exist_ok=True)
    for f in ("program.bpf.c", "gadget.yaml"):
        with open(f"{ROOT}/tests/fixtures/{fixture}/{f}") as src:
            text = src.read()
        if f == "gadget.yaml":
            check(old in text, f"{old!r} not in {fixture}'s gadget.yaml")
            text = text.replace(old, new)
        with open(os.path.join(d, f), "w") as dst:
            dst.write(text)
    return d


def build_refused(env, d, want):
    """`runner image build D` fails with one line that has want in it."""
    p = subprocess.run([RUNNER, "image", "build", d, "-t", "refused:x",
                        "--store", env.store], capture_output=True,
                       text=True, timeout=120)
    eq(p.returncode, 1, f"{d}: exit status; {p.stderr}")
    lines = p.stderr.strip().splitlines()
    eq(len(lines), 1, f"{d}: one line: {p.stderr!r}")
    check(lines[0].startswith("runner: ") and want in lines[0],
          f"{d}: {want!r} not in {lines[0]!r}")


def traced_syscalls(env, image, calls, prefix=(), output="json",
                    runner_env=None, args=()):
    """A process (run under prefix) that makes the system calls calls,
    traced by image (--pid, and args) from before the first: its pid and
    the stopped Runner (runner_env added to its environment), whose output
    has the process's exit_group."""
    child = subprocess.Popen(
        list(prefix) + ["python3", "-c", SYSCALLS] + [str(n) for n in calls],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(child.stdout.readline())
        r = Runner(["run", "--store", env.store, image, "-o", output,
                    "--pid", str(pid)] + list(args), env=runner_env)
        try:
            child.stdin.write("\n")
            child.stdin.flush()
            eq(child.wait(timeout=30), 0, "the process's exit status")
            deadline = time.time() + WAIT
            while "SYS_EXIT_GROUP" not in r.stdout() and \
                    time.time() < deadline:
                time.sleep(0.05)
        finally:
            stop(r)
    finally:
        child.kill()
        child.wait()
    check("SYS_EXIT_GROUP" in r.stdout(), f"no exit_group: {r.stderr()}")
    return pid, r


@test
def syscall_numbers_shown_by_name(env):
    """gadget_syscall syscall_raw gets syscall, "SYS_" and the name in
    upper case as ig's formatter shows it, "SYS_UNKNOWN" for a number
    without a name: every system call of a process this test runs, named
    as the kernel's header names its number."""
    names = kernel_syscall_names()
    nr = {v: k for k, v in names.items()}
    unknown = 1000
    check(unknown not in names, f"{unknown} has a name")
    pid, r = traced_syscalls(env, "ig_syscalls:latest",
                             [nr["getppid"], unknown])
    mine = [e for e in r.events() if e["proc"]["pid"] == pid]
    raws = [e["syscall_raw"] for e in mine]
    check(nr["exit_group"] in raws, f"no exit_group of pid {pid}: {raws}")
    check(nr["getppid"] in raws and unknown in raws,
          f"getppid or {unknown} missing: {raws}")
    for e in mine:
        want = (f"SYS_{names[e['syscall_raw']].upper()}"
                if e["syscall_raw"] in names else "SYS_UNKNOWN")
        eq(e["syscall"], want, f"syscall {e['syscall_raw']}")


@test
def formatted_field_named_by_target_annotation(env):
    """ig's formatters.syscall.target names the field a syscall number is
    shown in (as formatters.<kind>.target, ebpf.formatter.kstack and
    ebpf.formatter.enum do for theirs): that field, and no X."""
    d = fixture_variant(env, "ig_syscalls", "ig_target",
                        "    fields:\n",
                        "    fields:\n      syscall_raw:\n"
                        "        annotations:\n"
                        "          formatters.syscall.target: call\n")
    sh(f"{RUNNER} image build {d} -t ig_target:latest --store {env.store}")
    nr = {v: k for k, v in kernel_syscall_names().items()}
    pid, r = traced_syscalls(env, "ig_target:latest", [nr["getppid"]])
    mine = [e for e in r.events() if e["proc"]["pid"] == pid
            and e["syscall_raw"] == nr["getppid"]]
    check(mine, f"no getppid of pid {pid}: {r.events()[-3:]}")
    for e in mine:
        eq(e.get("call"), "SYS_GETPPID", "the target field")
        check("syscall" not in e, f"a syscall field too: {e}")


@test
def timestamp_in_a_go_layout(env):
    """formatters.timestamp.format: the time of each call written by a Go
    layout (here with the zone's offset and name, TZ=Asia/Kolkata), within
    the test's own clock readings around the calls."""
    import datetime
    layout = "Mon 2006-01-02 15:04:05.000000 -0700 MST"
    d = fixture_variant(env, "ig_syscalls", "ig_tsformat", "    fields:\n",
                        "    fields:\n      timestamp_raw:\n"
                        "        annotations:\n"
                        f"          formatters.timestamp.format: {layout}\n")
    sh(f"{RUNNER} image build {d} -t ig_tsformat:latest --store {env.store}")
    nr = {v: k for k, v in kernel_syscall_names().items()}
    t0 = time.time()
    pid, r = traced_syscalls(env, "ig_tsformat:latest", [nr["getppid"]],
                             runner_env={"TZ": "Asia/Kolkata"})
    t1 = time.time()
    mine = [e for e in r.events() if e["proc"]["pid"] == pid]
    check(mine, f"no event of pid {pid}")
    for e in mine:
        ts = e["timestamp"]
        check(ts.endswith(" +0530 IST"), f"zone of {ts!r}")
        t = datetime.datetime.strptime(ts[:-4], "%a %Y-%m-%d %H:%M:%S.%f %z")
        check(t.strftime("%a") == ts[:3], f"weekday of {ts!r}")
        check(t0 - 0.05 <= t.timestamp() <= t1 + 0.05,
              f"{ts!r} not between {t0} and {t1}")


@test
def uid_gid_raw_named(env):
    """A gadget_uid (gadget_gid) member X_raw gets X, the user (group)
    name, as ig's uidgidresolver names it (ig's fsnotify has tracee_uid_raw
    and tracer_uid_raw): those of a process this test runs as 65534,
    named as this host's passwd and group files name them."""
    import grp
    import pwd
    nr = {v: k for k, v in kernel_syscall_names().items()}
    pid, r = traced_syscalls(env, "ig_syscalls:latest", [nr["getppid"]],
                             prefix=["setpriv", "--reuid=65534",
                                     "--regid=65534", "--clear-groups"])
    mine = [e for e in r.events() if e["proc"]["pid"] == pid
            and e["syscall_raw"] == nr["getppid"]]
    check(mine, f"no getppid of pid {pid}")
    for e in mine:
        eq((e["caller_uid_raw"], e["caller_gid_raw"]), (65534, 65534),
           "ids")
        eq((e["caller_uid"], e["caller_gid"]),
           (pwd.getpwuid(65534).pw_name, grp.getgrgid(65534).gr_name),
           "names")


@test
def ig_templates_in_columns(env):
    """ig's templates: `template: syscall` in gadget.yaml (as ig's
    traceloop has) makes the column 18 wide, and a gadget_ppid member is
    hidden from the default columns (ig's ppid template), as ig shows
    them; so are uids and gids with their names (ig's uidgidresolver)."""
    old = "          description: name of the system call\n"
    d = fixture_variant(env, "ig_syscalls", "ig_templates", old,
                        old + "          template: syscall\n")
    sh(f"{RUNNER} image build {d} -t ig_templates:latest --store {env.store}")
    nr = {v: k for k, v in kernel_syscall_names().items()}
    _, r = traced_syscalls(env, "ig_templates:latest", [nr["getppid"]],
                           output="columns")
    lines = r.stdout().splitlines()
    header = lines[0]
    # 18 wide, then the one space between columns
    check(re.search(r"(?<!\S)SYSCALL {12}\S", header),
          f"SYSCALL is not 18 wide: {header!r}")
    # no PPID, no caller ids nor names
    eq(header.split(), ["RUNTIME.CONTAINERNAME", "SYSCALL", "COMM", "PID",
                        "PI", "TENTH", "BIG", "BAD"], "default columns")
    check(any(header_cell(header, ln, "SYSCALL") == "SYS_GETPPID"
              for ln in lines[1:]), f"no SYS_GETPPID row: {lines}")


# Busy on a CPU until a line comes on stdin (a thread reads it).
BUSY = """
import os, sys, threading
print(os.getpid(), flush=True)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set())).start()
while not done.is_set():
    pass
"""


@test
def float_precision_in_columns(env):
    """columns.precision: a float's decimals in columns, as ig writes them
    (strconv.FormatFloat 'f'), none without it (as ig's columns of a data
    source); JSON keeps the whole value; on a field that is not a float it
    is refused at build."""
    d = fixture_variant(env, "ig_syscalls", "ig_precision",
                        "    fields:\n",
                        "    fields:\n      pi:\n        annotations:\n"
                        "          columns.precision: \"2\"\n")
    sh(f"{RUNNER} image build {d} -t ig_precision:latest"
       f" --store {env.store}")
    nr = {v: k for k, v in kernel_syscall_names().items()}
    _, r = traced_syscalls(env, "ig_precision:latest", [nr["getppid"]],
                           output="columns")
    lines = r.stdout().splitlines()
    cells = {header_cell(lines[0], ln, "PI") for ln in lines[1:]}
    eq(cells, {"3.14"}, "pi with 2 decimals")
    _, r = traced_syscalls(env, "ig_syscalls:latest", [nr["getppid"]],
                           output="columns",
                           args=["--fields", "syscall,pi,tenth"])
    lines = r.stdout().splitlines()
    rows = {tuple(ln.split()) for ln in lines[1:]
            if ln.startswith("SYS_GETPPID")}
    eq(rows, {("SYS_GETPPID", "3", "0")},
       "floats without columns.precision: no decimals, as in ig")
    _, r = traced_syscalls(env, "ig_syscalls:latest", [nr["getppid"]])
    eq({e["pi"] for e in r.events()}, {3.1415927},
       "pi in JSON, as ig writes a float32: its fewest digits")
    d = fixture_variant(env, "ig_syscalls", "ig_precision_bad",
                        "    fields:\n",
                        "    fields:\n      ppid:\n        annotations:\n"
                        "          columns.precision: \"2\"\n")
    build_refused(env, d, "field ppid: columns.precision on a field that "
                  "is not a float")


@test
def floats_and_bad_utf8_as_ig_writes_them(env):
    """Floats in the fewest digits that read back at the field's size, as
    ig's JSON (Go's encoding/json) writes them: a float 0.1 is 0.1 (not
    0.10000000149011612), a double 1e20 is 100000000000000000000; in YAML
    both read back as numbers (1e20 as 1.0e+20: a YAML 1.1 reader takes
    1e+20 for a string); each byte of a string that is not UTF-8 is
    U+FFFD (\\ufffd), as in ig; -F tenth==0.1 keeps the float 0.1, as ig
    reads the value at the field's size."""
    import yaml
    nr = {v: k for k, v in kernel_syscall_names().items()}
    _, r = traced_syscalls(env, "ig_syscalls:latest", [nr["getppid"]],
                           args=["--fields", "syscall,tenth,big,bad"])
    lines = [ln for ln in r.stdout().splitlines() if "SYS_GETPPID" in ln]
    check(lines, f"no getppid: {r.stdout()[-300:]}")
    eq(lines[0], '{"bad":"a\\ufffd\\ufffd\\ufffdb",'
       '"big":100000000000000000000,"syscall":"SYS_GETPPID","tenth":0.1}',
       "the JSON line (keys in ig's order)")
    _, r = traced_syscalls(env, "ig_syscalls:latest", [nr["getppid"]],
                           output="yaml",
                           args=["--fields", "syscall,tenth,big,bad"])
    text = r.stdout()
    check("big: 1.0e+20\n" in text, f"big in YAML: {text[-300:]}")
    docs = [d for d in yaml.safe_load_all(text) if d]
    mine = [d for d in docs if d["syscall"] == "SYS_GETPPID"]
    check(mine, f"no getppid in YAML: {text[-300:]}")
    eq((mine[0]["tenth"], mine[0]["big"], mine[0]["bad"]),
       (0.1, 1e20, "a\ufffd\ufffd\ufffdb"), "read back from YAML")
    check(isinstance(mine[0]["big"], float), "big read back as a number")
    _, r = traced_syscalls(env, "ig_syscalls:latest", [nr["getppid"]],
                           args=["-F", "tenth==0.1"])
    check(any(e["syscall"] == "SYS_GETPPID" for e in r.events()),
          "-F tenth==0.1 keeps getppid")


@test
def perf_sampling_from_programs(env):
    """gadget.yaml programs.sampler (ig's keys: perf.type, perf.config,
    perf.sampleType, sampler.frequency) is how the perf_event program in
    section perf_event/sampler samples: one perf_event_open(2) per CPU
    with those values, as strace decodes them (besides the tracepoint's),
    and samples of a busy process come."""
    log = os.path.join(env.tmp, "perf.strace")
    r = Runner(["run", "--store", env.store, "ig_files:latest", "-o", "json"],
               prefix=["strace", "-f", "-qq", "-v", "-e",
                       "trace=perf_event_open", "-o", log])
    with open(f"/proc/{r.proc.pid}/task/{r.proc.pid}/children") as f:
        runner_pid = int(f.read().split()[0])
    busy = subprocess.Popen(["python3", "-c", BUSY], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        pid = int(busy.stdout.readline())
        r.wait_for(lambda e: "samples" in e and e["pid"] == pid)
    finally:
        busy.communicate("\n", timeout=30)
        # strace keeps fatal signals from a traced command: the runner's
        os.kill(runner_pid, signal.SIGINT)
        eq(r.stop(), 0, "runner exit code")
    samples = sum(e["samples"] for e in r.events()
                  if "samples" in e and e["pid"] == pid)
    check(samples > 0, f"no sample of the busy pid {pid}")
    with open(log) as f:
        calls = [line for line in f if "perf_event_open(" in line
                 and "PERF_TYPE_TRACEPOINT" not in line]  # fchmod's
    eq(len(calls), os.cpu_count(), f"perf events: {calls}")
    for c in calls:
        for want in ("type=PERF_TYPE_SOFTWARE",
                     "config=PERF_COUNT_SW_CPU_CLOCK",
                     "sample_type=PERF_SAMPLE_RAW", "sample_freq=997",
                     " freq=1,"):
            check(want in c, f"{want} not in {c}")


@test
def bad_perf_programs_refused_at_build(env):
    """What ig refuses in programs.<name> of a perf_event program (a
    perf.type, config or sampleType it does not know, a key left out, a
    frequency of 0 or no number, or one with a space or a sign) stops `runner image build` with one line
    naming the key; an entry for no perf_event program is not read."""
    cases = [
        ("type: software", "type: hardware",
         'programs.sampler: perf.type "hardware" is not supported'),
        ("config: count_sw_cpu_clock", "config: count_sw_page_faults",
         'programs.sampler: perf.config "count_sw_page_faults" is not'),
        ("      sampleType: sample_raw\n", "",
         "programs.sampler: perf.sampleType is not given"),
        ("frequency: 997", "frequency: 0",
         'programs.sampler: sampler.frequency "0" is not a number'),
        ("frequency: 997", "frequency: often",
         'programs.sampler: sampler.frequency "often" is not a number'),
        # as ig's ParseUint: no space, no sign (" -5" was 2^64 - 5)
        ("frequency: 997", 'frequency: " -5"',
         'programs.sampler: sampler.frequency " -5" is not a number'),
        ("frequency: 997", 'frequency: "+997"',
         'programs.sampler: sampler.frequency "+997" is not a number'),
        ("  sampler:\n    perf:", "  other:\n    perf:", None),
    ]
    for old, new, want in cases:
        d = fixture_variant(env, "ig_files", "bad_perf", old, new)
        if want:
            build_refused(env, d, want)
        else:
            sh(f"{RUNNER} image build {d} -t bad_perf:x --store {env.store}")


def attached_tracepoints(pid, prog):
    """The tracepoints the kernel has program prog (by name) of process
    pid attached to (bpftool perf: perf events with a program)."""
    ids = {p["id"] for p in json.loads(sh("bpftool prog show -j"))
           if p.get("name") == prog}
    return sorted(e["tracepoint"] for e in json.loads(sh("bpftool perf -j"))
                  if e.get("pid") == pid and e.get("prog_id") in ids
                  and "tracepoint" in e)


@test
def programs_attach_to_from_gadget_yaml(env):
    """gadget.yaml programs.<name>.attach_to, as ig reads it: a
    tracepoint program is attached where it says (the kernel shows it on
    sys_exit, not its section's sys_enter; events still come), ig's
    gadget_program_disabled leaves the program out (the gadget runs
    without it), and a tracepoint that is no CATEGORY/NAME is refused at
    build with one line."""
    head = "name: ig_syscalls\n"
    variants = {
        "at_exit": "programs:\n  sys_enter:\n"
                   "    attach_to: raw_syscalls/sys_exit\n",
        "off": "programs:\n  sys_enter:\n"
               "    attach_to: gadget_program_disabled\n",
    }
    for tag, yaml in variants.items():
        d = fixture_variant(env, "ig_syscalls", f"attach_{tag}", head,
                            head + yaml)
        sh(f"{RUNNER} image build {d} -t attach:{tag} --store {env.store}")
    want = {"ig_syscalls:latest": ["sys_enter"], "attach:at_exit":
            ["sys_exit"], "attach:off": []}
    for image, tps in want.items():
        r = Runner(["run", "--store", env.store, image, "-o", "json",
                    "--pid", str(os.getpid())])
        try:
            eq(attached_tracepoints(r.proc.pid, "sys_enter"), tps, image)
            if tps:  # this process's getppid, seen where it is attached
                os.getppid()
                r.wait_for(lambda e: e.get("syscall") == "SYS_GETPPID")
        finally:
            eq(r.stop(), 0, f"{image}: runner exit code")
    d = fixture_variant(env, "ig_syscalls", "attach_bad", head,
                        head + "programs:\n  sys_enter:\n"
                        "    attach_to: sys_exit\n")
    build_refused(env, d, 'programs.sys_enter.attach_to: "sys_exit": a '
                  "tracepoint is CATEGORY/NAME")



# datagrams sent at once, each an event leaving and one arriving on lo
BURST = 20


@test
def max_events_with_a_perf_buffer(env):
    """--max-events N with a perf buffer (ig_pf's): the records one read
    of the buffers returns were all printed, past N (40 for 1 here: the
    run stops only between reads, and a perf buffer's callback cannot
    stop its read); exactly N now, as with a ring buffer.  The burst is
    sent while the runner is stopped: one read finds it whole."""
    r = run(env, "ig_pf:latest", "--max-events", "1", netns=NS)
    try:
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            deadline = time.time() + WAIT
            while not all_stopped(r.proc.pid):
                check(time.time() < deadline, "the runner did not stop")
                time.sleep(0.05)
            env.ns.run("python3 -c 'import socket; s = socket.socket("
                       "socket.AF_INET, socket.SOCK_DGRAM); "
                       f"[s.sendto(b\"x\", (\"127.0.0.1\", {PORT + 2})) "
                       f"for _ in range({BURST})]'")
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)
        rc = r.proc.wait(timeout=30)
    finally:
        if r.proc.poll() is None:
            r.stop()
    eq(rc, 0, "runner exit code")
    eq(len(r.events()), 1, "events printed with --max-events 1")

if __name__ == "__main__":
    main(setup, fixture_env_teardown)
