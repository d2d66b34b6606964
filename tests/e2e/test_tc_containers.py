#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""tc classifiers (ig's tcpdump: classifier/ingress, classifier/egress)
on containers, as ig's tc handler attaches them: on the host side of each
container's veth pair, the egress program on the peer's ingress (what
the container sends), with the container's network namespace in
skb->cb[0], so that the socket enricher names the sending process and
its container; a container started after the runner too; with -c NAME
only that container's interfaces; a veth added to a namespace that a
second container then shares attached too; the filters (and the clsact
qdisc the runner made) gone when the container goes and when the run ends, in
the container's namespace as on the host side.  A container started
after the runner sends once the runner's filters are on its host side:
the runner takes it in at the exec hook's note, which wakes it.

The gadget is tests/fixtures/ig_tc (one event per UDP datagram to or from
--port).  Containers are busybox (podman import) on podman's own
network; each waits on a FIFO for the address to send to, then sends
TFTP requests (UDP) to PORT there with busybox's tftp for a second.
"""
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, Fail, Netns, Runner, check, eq,  # noqa: E402
                     main, sh, test)
from gadget_env import (PODMAN_RUN, build_images,  # noqa: E402
                        busybox_rootfs, podman_remove, stop, wait_until)
from gadget_env import cname as _cname  # noqa: E402

TAG = f"e2e{os.getpid()}"
IMAGE = f"localhost/tc-test-bb:{TAG}"
PORT = 9000 + os.getpid() % 1000


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="tc-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.sync = os.path.join(env.tmp, "sync")
    os.mkdir(env.sync)
    env.containers = []
    env.image = False
    env.ns = None
    try:
        sh("podman --version")
        build_images(env.store,
                     {"ig_tc:latest": f"{ROOT}/tests/fixtures/ig_tc"})
        root = busybox_rootfs(env.tmp)
        for applet in ("tftp", "timeout"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        sh(f"tar -C {root} -c . | podman import - {IMAGE}")
        env.image = True
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    podman_remove(env.containers, IMAGE if env.image else None)
    if env.ns:
        env.ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


def cname(tag):
    return _cname(tag, "t")


class Sender:
    """A container that reads an address from its FIFO, sends UDP (tftp)
    to PORT there for a second, then sleeps (exits, with stay=False)."""

    def __init__(self, env, name, network="", stay=True):
        self.name = name
        self.fifo = os.path.join(env.sync, self.name)
        os.mkfifo(self.fifo)
        then = "; exec sleep 600" if stay else ""
        script = (f"read ip < /sync/{self.name}; timeout 1 tftp -g -r "
                  f"{self.name} -l /dev/null $ip {PORT}{then}")
        env.containers.append(self.name)
        sh(f"{PODMAN_RUN} -d {network} --name {self.name}"
           f" -v {env.sync}:/sync {IMAGE} sh -c '{script}'")
        self.pid = int(sh(f"podman inspect -f '{{{{.State.Pid}}}}'"
                          f" {self.name}").strip())
        self.netns = os.stat(f"/proc/{self.pid}/ns/net").st_ino
        eth0 = self.ip("-j link show eth0")[0]
        # the host side of its veth pair
        self.ifindex = eth0["link_index"]
        self.host_if = next(x["ifname"] for x in json.loads(
            sh("ip -j link show")) if x["ifindex"] == self.ifindex)

    def ip(self, args):
        return json.loads(sh(f"nsenter -t {self.pid} -n ip {args}"))

    def gateway(self):
        return next(r["gateway"] for r in
                    self.ip("-j route show default"))

    def attached(self):
        """Wait until the runner's filters are on its host side: the
        runner takes in a container started after it at the exec hook's
        note, which wakes it."""
        wait_until(lambda: tc_state(f"dev {self.host_if}") == "ours",
                   what=f"the runner's filters on {self.host_if}")

    def send(self, to):
        with open(self.fifo, "w") as f:
            f.write(to + "\n")

    def qdiscs(self):
        """tc on the host side of its veth pair and in the container."""
        return (tc_state(f"dev {self.host_if}"),
                tc_state("dev eth0", f"nsenter -t {self.pid} -n "))


def tc_state(dev, prefix=""):
    """What tc shows on an interface: "ours" (a filter of the runner's
    dispatcher), "clsact" (the qdisc, no filter: one left behind),
    "other" (another tool's filters: other tests run beside this one), or
    "none"."""
    if "clsact" not in sh(f"{prefix}tc qdisc show {dev}"):
        return "none"
    filters = "".join(sh(f"{prefix}tc filter show {dev} {d}")
                      for d in ("ingress", "egress"))
    return ("ours" if "netns_disp" in filters else
            "other" if filters.strip() else "clsact")


def runner(env, *flags):
    return Runner(["run", "ig_tc:latest", "--store", env.store, "-o",
                   "json", "--port", str(PORT), *flags])


def sent(evs, c):
    """c's datagrams to PORT as the runner saw them leave c."""
    return [e for e in evs if e.get("dport") == PORT and
            e["runtime"]["containerName"] == c.name]


def check_sent(evs, c, what):
    mine = sent(evs, c)
    check(mine, f"{what}: no datagram of {c.name}")
    for e in mine:
        eq((e["ingress"], e["ifindex"], e["netns_id"]),
           (0, c.ifindex, c.netns),
           f"{what}: direction, interface (host side), cb[0] of {c.name}")
        eq((e["proc"]["comm"], e["runtime"]["runtimeName"]),
           ("tftp", "podman"), f"{what}: process and runtime of {c.name}")


@test
def containers_before_and_after_the_runner(env):
    """A container started before the runner and one after: the
    datagrams each sends to the host (podman's bridge) are seen leaving
    it on the host side of its veth, with its container and process;
    while the runner runs, the host sides have a clsact qdisc and the
    containers' namespaces none; after it, none anywhere."""
    a = Sender(env, cname("a"))
    before = a.qdiscs()
    check("ours" not in before, f"tc on {a.name} before the run: {before}")
    r = runner(env)
    try:
        b = Sender(env, cname("b"))
        b.attached()
        a.send(a.gateway())
        r.wait_for(lambda e: sent([e], a))
        b.send(b.gateway())
        r.wait_for(lambda e: sent([e], b))
        during = (a.qdiscs(), b.qdiscs())
    finally:
        stop(r)
    evs = r.events()
    check_sent(evs, a, "started before")
    check_sent(evs, b, "started after")
    eq([x == "ours" for x in during[0] + during[1]],
       [True, False, True, False],
       f"the runner's filters (host side, inside) while it ran: {during}")
    after = a.qdiscs() + b.qdiscs()
    check(not {"ours", "clsact"} & set(after),
          f"filters or clsact left behind: {after}")


@test
def dash_c_attaches_to_that_container_only(env):
    """-c NAME: the classifiers go on that container's interfaces only
    (as ig attaches only to the containers it selects), not on the
    others' nor on the host's: only its datagrams are seen, though
    another container sends first."""
    a = Sender(env, cname("o"))
    name = cname("x")
    r = runner(env, "-c", name)
    try:
        b = Sender(env, name)
        b.attached()
        a.send(a.gateway())
        b.send(b.gateway())
        r.wait_for(lambda e: sent([e], b))
        during = a.qdiscs() + b.qdiscs() + (tc_state("dev lo"),)
    finally:
        stop(r)
    evs = r.events()
    check_sent(evs, b, "-c")
    eq({e["runtime"]["containerName"] for e in evs}, {b.name},
       "containers of the events")
    eq([x == "ours" for x in during], [False, False, True, False, False],
       f"the runner's filters on the other, the selected one, the host's"
       f" lo: {during}")
    after = b.qdiscs()
    check(not {"ours", "clsact"} & set(after),
          f"filters or clsact left behind: {after}")


@test
def a_container_that_goes_is_detached(env):
    """A container in a namespace of this test whose veth peer is on
    the host (the pair outlives the container): once it ended, its
    classifiers and the clsact qdisc the runner made are gone from the
    peer while the runner goes on."""
    env.ns = Netns(f"tcx{os.getpid()}")
    host_if = f"tcx{os.getpid()}"[:15]
    sh(f"ip link add {host_if} type veth peer name eth0 netns {env.ns.name}")
    try:
        sh(f"ip addr add 10.213.0.1/30 dev {host_if}")
        sh(f"ip link set {host_if} up")
        env.ns.run("ip addr add 10.213.0.2/30 dev eth0")
        env.ns.run("ip link set eth0 up")
        r = runner(env)
        try:
            c = Sender(env, cname("g"), f"--network ns:/run/netns/{env.ns.name}",
                       stay=False)
            eq(c.host_if, host_if, "host side of its pair")
            c.attached()
            c.send("10.213.0.1")
            r.wait_for(lambda e: sent([e], c))
            sh(f"podman wait {c.name}", timeout=30)
            wait_until(lambda: tc_state(f"dev {host_if}") == "none",
                       what=f"tc gone from {host_if}")
            check(r.proc.poll() is None, "runner still running")
        finally:
            stop(r)
        check_sent(r.events(), c, "a container that went")
    finally:
        sh(f"ip link del {host_if}", check_rc=False)


def pair(ns, host_if, inner, net):
    """A veth pair, up, from the host (host_if, NET.1) into ns (inner,
    NET.2)."""
    sh(f"ip link add {host_if} type veth peer name {inner} netns {ns.name}")
    sh(f"ip addr add {net}.1/30 dev {host_if}")
    sh(f"ip link set {host_if} up")
    ns.run(f"ip addr add {net}.2/30 dev {inner}")
    ns.run(f"ip link set {inner} up")


@test
def a_second_container_in_a_namespace_gets_its_new_veth(env):
    """Two containers in one network namespace of this test, the second
    started after a veth was added there: as ig's tc handler, which
    lists the peers of each container it attaches, the new veth's host
    side gets the classifiers too, and the second container's datagrams
    through it are seen."""
    ns = Netns(f"tcs{os.getpid()}")
    first, second = f"tcs{os.getpid()}a"[:15], f"tcs{os.getpid()}b"[:15]
    net = f"--network ns:/run/netns/{ns.name}"
    try:
        pair(ns, first, "eth0", "10.215.0")
        r = runner(env)
        try:
            a = Sender(env, cname("p"), net)
            eq(a.host_if, first, "host side of the first pair")
            a.attached()
            pair(ns, second, "eth1", "10.216.0")
            b = Sender(env, cname("q"), net)
            b.host_if = second
            b.ifindex = int(sh(f"cat /sys/class/net/{second}/ifindex"))
            b.attached()
            b.send("10.216.0.1")
            r.wait_for(lambda e: sent([e], b))
        finally:
            stop(r)
        check_sent(r.events(), b, "the second container, by the new veth")
    finally:
        for host_if in (first, second):
            sh(f"ip link del {host_if}", check_rc=False)
        ns.delete()


if __name__ == "__main__":
    main(setup, teardown)
