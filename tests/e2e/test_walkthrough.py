#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The reference guide's cluster-DNS walkthrough (kubectl gadget run
trace_dns on minikube), on one machine: network namespaces and containerd
pods as a node.

    pod demo/mypod (10.244.1.4) --veth--+
                                        node: routes; DNAT 10.96.0.10:53
    pod kube-system/coredns-... --veth--+  (kube-dns) -> 10.244.2.2:53
       (10.244.2.2, dnsmasq forwarding)  |
                                        +--veth-- upstream 192.168.49.1

The pods are containerd containers in namespace k8s.io with the CRI
plugin's annotations (a sandbox holding each pod's network namespace);
"CoreDNS" is dnsmasq in a container of its own image (busybox, dnsmasq and
its libraries), forwarding without a cache; the upstream resolver is
dnsmasq in a namespace.  One `runner run trace_dns` shows the query at
every hop: leaving mypod for the service address, through the node before
and after the DNAT, arriving at CoreDNS, CoreDNS's own query upstream with
its own id, and the answers back with their latency.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Netns, Runner, check, eq, main, sh, test  # noqa: E402
from gadget_env import json_lines, wait_until  # noqa: E402

_n = len(harness._tests)
import test_k8s as k8s  # noqa: E402
del harness._tests[_n:]

PID = os.getpid()
NODE = "minikube-docker"
DNS_IMAGE = f"localhost/k8s-test-dns:{PID}"
SVC, CLIENT, COREDNS, UPSTREAM = ("10.96.0.10", "10.244.1.4", "10.244.2.2",
                                  "192.168.49.1")
NAME = "inspektor-gadget.io."
ANSWER = "104.21.11.16"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def readme_command():
    """The README's walkthrough command (its args after `runner`) and the
    header of its sample output."""
    text = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"^\$ NODE_NAME=(\S+) runner (run trace_dns .*?)\n(\S.*)\n",
                  re.sub(r"\\\n\s*", "", text), re.M)
    check(m, "no `$ NODE_NAME=... runner run trace_dns` in the README")
    eq(m.group(1), NODE, "the README's NODE_NAME")
    return shlex.split(m.group(2)), m.group(3).split()


def guide_command():
    """The reference guide's pods-and-CoreDNS command as
    docs/ig-compat.md says to write it here: kubectl gadget's `-n NS`
    as the flag its table names."""
    text = open(os.path.join(ROOT, "docs/ig-compat.md")).read()
    m = re.search(r"^\| `\.\.\. (-n \S+ -F .*? --fields=\S+)` \| .*?"
                  r"`(--k8s-[a-z]+) \S+` \|$", text, re.M)
    check(m, "no row of the guide's `... -n demo,kube-system -F ...` in "
          "docs/ig-compat.md")
    args = shlex.split(m.group(1).replace("\\|", "|"))
    eq(args[0], "-n", "the guide's namespace flag")
    return ["run", "trace_dns", m.group(2)] + args[1:]


class Env:
    pass


def dns_rootfs(tmp, base):
    """busybox's root plus dnsmasq and the libraries ldd lists."""
    root = os.path.join(tmp, "dnsroot")
    shutil.copytree(base, root, symlinks=True)
    os.makedirs(os.path.join(root, "usr", "sbin"))
    shutil.copy2("/usr/sbin/dnsmasq", os.path.join(root, "usr", "sbin"))
    for line in sh("ldd /usr/sbin/dnsmasq").splitlines():
        parts = line.split()
        lib = parts[2] if "=>" in parts and len(parts) > 2 else parts[0]
        if lib.startswith("/"):
            dst = os.path.join(root, lib.lstrip("/"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(lib, dst)
    os.makedirs(os.path.join(root, "etc"), exist_ok=True)
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/:/bin/sh\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\n")
    return root


def veth(a_ns, b_pid, a_name, a_addr, b_addr, b_gw):
    """A veth from netns a_ns (named) to the netns of process b_pid."""
    b_name = f"p{b_pid}"
    sh(f"ip -n {a_ns} link add {a_name} type veth peer name {b_name}")
    sh(f"ip -n {a_ns} link set {b_name} netns {b_pid}")
    sh(f"ip -n {a_ns} addr add {a_addr} dev {a_name}")
    sh(f"ip -n {a_ns} link set {a_name} up")
    nse = f"nsenter -t {b_pid} -n"
    sh(f"{nse} ip link set {b_name} name eth0")
    sh(f"{nse} ip addr add {b_addr} dev eth0")
    sh(f"{nse} ip link set eth0 up")
    sh(f"{nse} ip link set lo up")
    sh(f"{nse} ip route add default via {b_gw}")


def setup():
    env = Env()
    env.k = None
    env.nets = []
    try:
        env.k = k8s.setup()
        env.tmp = env.k.tmp
        root = dns_rootfs(env.tmp, env.k.rootfs)
        sh(f"tar -C {root} -c . | podman import - {DNS_IMAGE}")
        env.dns_archive = os.path.join(env.tmp, "dns.tar")
        sh(f"podman save --format docker-archive -o {env.dns_archive} "
           f"{DNS_IMAGE}")
        sh(f"podman rmi -f {DNS_IMAGE}")
        env.node = Netns(f"node{PID}")
        env.up = Netns(f"upstream{PID}")
        env.nets += [env.node, env.up]
        harness.link(env.node, env.up, ["192.168.49.2/24"],
                     [f"{UPSTREAM}/24"], name=f"u{PID}")
        env.node.run("sysctl -qw net.ipv4.ip_forward=1")
        env.up.run(f"ip route add 10.244.0.0/16 via 192.168.49.2")
        for proto in ("udp", "tcp"):  # kube-proxy's rule for kube-dns
            env.node.run(f"iptables -t nat -A PREROUTING -d {SVC}/32 -p "
                         f"{proto} --dport 53 -j DNAT --to-destination "
                         f"{COREDNS}:53")
        p = env.up.popen(
            "dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces"
            f" --listen-address={UPSTREAM} --address=/{NAME[:-1]}/{ANSWER}"
            f" --pid-file={env.tmp}/upstream.pid",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env.k.procs.append(p)
        env.d = k8s.Containerd(env.tmp)
        env.k.daemons.append(env.d)
        env.d.ctr(f"image import {env.k.archive}")
        env.d.ctr(f"image import {env.dns_archive}")
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    if env.k:
        k8s.teardown(env.k)
    for n in env.nets:
        n.delete()


def pod(env, name, ns, addr, gw, node_if, node_addr):
    """A pod sandbox wired to the node; returns (sandbox id, pid, uid)."""
    sb, uid = k8s.hexid(), str(uuid.uuid4())
    env.d.run(sb, k8s.cri_annotations("sandbox", sb, name, ns, uid),
              "/bin/sleep 1000", detach=True)
    pid = env.d.pid(sb)
    veth(env.node.name, pid, node_if, node_addr, addr, gw)
    return sb, pid, uid


def hops(evs, qid):
    """(netns, pkt_type, src, dst, qr) of the events of one DNS id."""
    return [(e["netns_id"], e["pkt_type"], e["src"]["addr"],
             e["dst"]["addr"], e["qr"]) for e in evs if e["id"] == qid]


@test
def cluster_dns_every_hop(env):
    d = env.d
    cdns = "coredns-7db6d8ff4d-r7hwl"
    csb, cpid, cuid = pod(env, cdns, "kube-system", f"{COREDNS}/24",
                          "10.244.2.1", f"d{PID}", "10.244.2.1/24")
    cid = k8s.hexid()
    d.run(cid, k8s.cri_annotations("container", csb, cdns, "kube-system",
                                   cuid, "coredns"),
          "/usr/sbin/dnsmasq --no-daemon --no-resolv --no-hosts "
          f"--cache-size=0 --bind-interfaces --listen-address={COREDNS} "
          f"--server={UPSTREAM} --user=root --pid-file=",
          detach=True, netns_pid=cpid, image=DNS_IMAGE)
    msb, mpid, muid = pod(env, "mypod", "demo", f"{CLIENT}/24", "10.244.1.1",
                          f"c{PID}", "10.244.1.1/24")
    nets = {"mypod": os.stat(f"/proc/{mpid}/ns/net").st_ino,
            "coredns": os.stat(f"/proc/{cpid}/ns/net").st_ino,
            "node": env.node.inode(), "upstream": env.up.inode()}
    wait_until(lambda: "status: NOERROR" in env.node.run(
        f"dig +time=1 +tries=1 @{COREDNS} {NAME}", check_rc=False),
        what="CoreDNS answering")

    # the namespaces exist already: each runner traces them from its start
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.k.store],
               env={"NODE_NAME": NODE})
    # the README's command, and the guide's as docs/ig-compat.md writes it
    readme_args, readme_head = readme_command()
    cols = Runner(readme_args + ["--store", env.k.store],
                  env={"NODE_NAME": NODE})
    guide = Runner(guide_command() + ["--store", env.k.store],
                   env={"NODE_NAME": NODE})
    try:
        # every namespace traced: a probe from mypod's netns shows in each
        def traced():
            sh(f"nsenter -t {mpid} -n dig +time=1 +tries=1 @{SVC} "
               "probe.test", check_rc=False)
            seen = {e["netns_id"] for e in json_lines(r.stdout())}
            return set(nets.values()) <= seen
        wait_until(traced, what="the runner tracing every hop", step=0.3)
        time.sleep(0.5)
        start = len(json_lines(r.stdout()))
        app = k8s.hexid()
        out = d.run(app, k8s.cri_annotations("container", msb, "mypod",
                                             "demo", muid, "mypod"),
                    f"/bin/nslookup -type=a {NAME} {SVC}",
                    netns_pid=mpid)
        check(ANSWER in out, f"nslookup in mypod: {out}")

        def answered():
            evs = json_lines(r.stdout())[start:]
            return any(e["proc"]["comm"] == "nslookup" and e["qr"] == "R"
                       and e["qtype"] == "A" for e in evs)
        wait_until(answered, what="nslookup's answer")
        time.sleep(0.5)
    finally:
        k8s.stop_all([r, cols, guide])
    evs = [e for e in json_lines(r.stdout())[start:]
           if e["qtype"] == "A" and e["name"] == NAME]
    mine = [e for e in evs if e["proc"]["comm"] == "nslookup"]
    check(mine, f"no events of nslookup: {evs}")
    qid = mine[0]["id"]
    got = hops(evs, qid)
    N, C, M, U = nets["node"], nets["coredns"], nets["mypod"], \
        nets["upstream"]
    for hop, what in (
            ((M, "OUTGOING", CLIENT, SVC, "Q"), "mypod -> kube-dns"),
            ((N, "HOST", CLIENT, SVC, "Q"), "node, before the DNAT"),
            ((N, "OUTGOING", CLIENT, COREDNS, "Q"), "node, after the DNAT"),
            ((C, "HOST", CLIENT, COREDNS, "Q"), "at CoreDNS"),
            ((C, "OUTGOING", COREDNS, CLIENT, "R"), "CoreDNS answers"),
            ((N, "OUTGOING", SVC, CLIENT, "R"), "node, un-DNATed"),
            ((M, "HOST", SVC, CLIENT, "R"), "the answer in mypod")):
        check(hop in got, f"{what}: {hop} not among the hops of {qid}: "
              f"{got}")
    up = [e for e in evs if e["id"] != qid and e["netns_id"] == C and
          e["qr"] == "Q" and e["pkt_type"] == "OUTGOING"]
    eq(len(up), 1, "CoreDNS's own query upstream")
    uid = up[0]["id"]
    eq((up[0]["src"]["addr"], up[0]["dst"]["addr"], up[0]["dst"]["port"],
        up[0]["proc"]["comm"]), (COREDNS, UPSTREAM, 53, "dnsmasq"),
       "CoreDNS's upstream query")
    ugot = hops(evs, uid)
    for hop in ((N, "HOST", COREDNS, UPSTREAM, "Q"),
                (U, "HOST", COREDNS, UPSTREAM, "Q"),
                (U, "OUTGOING", UPSTREAM, COREDNS, "R"),
                (C, "HOST", UPSTREAM, COREDNS, "R")):
        check(hop in ugot, f"upstream hop {hop} not among {ugot}")
    # who is who
    for e in evs:
        k = e["k8s"]
        eq(k["node"], NODE, "k8s.node")
        want = {M: ("demo", "mypod"), C: ("kube-system", cdns)}.get(
            e["netns_id"], ("", ""))
        eq((k["namespace"], k["podName"]), want,
           f"pod of {e['netns_id']} {e['pkt_type']} {e['qr']} {e['id']}")
    for e in mine:
        eq(e["k8s"]["containerName"], "mypod", "the client's container")
    eq({e["k8s"]["containerName"] for e in evs
        if e["proc"]["comm"] == "dnsmasq" and e["netns_id"] == C},
       {"coredns"}, "CoreDNS's container")
    # latency of the answers, where the query was seen
    for e in evs:
        if e["qr"] == "R" and (e["netns_id"], e["pkt_type"]) in \
                ((M, "HOST"), (C, "HOST")):
            check(e["latency_ns_raw"] > 0, f"latency of {e['id']} in "
                  f"{e['netns_id']}")
            eq(e["rcode"], "Success", "rcode")
    lines = cols.stdout().splitlines()
    eq(lines[0].split(), readme_head, "columns against the README's sample")
    check(len(lines) > 7 and all(NAME in ln for ln in lines[1:]),
          f"the README's command: {lines}")
    # the guide's: mypod's query and answer, CoreDNS's four, no other hop
    rows = [ln.split() for ln in guide.stdout().splitlines()[1:]]
    eq(sorted((r[1], r[2], r[6]) for r in rows),
       sorted([("demo", "mypod", "Q"), ("demo", "mypod", "R")] +
              [("kube-system", cdns, q) for q in "QQRR"]),
       f"the guide's pods of mypod and CoreDNS: {guide.stdout()}")
    if os.environ.get("WALKTHROUGH_OUT"):
        with open(os.environ["WALKTHROUGH_OUT"], "w") as f:
            f.write(cols.stdout())


if __name__ == "__main__":
    main(setup, teardown)
