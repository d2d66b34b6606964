#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Iterators over a network namespace's sockets (iter/tcp, iter/udp) run in
every network namespace of the host, or in the selected containers' only
(-c), as ig runs them: examples/snapshot_socket, whose records carry the
netns of each socket as the kernel gives it.

Sockets are held by python3 processes this test starts: one in the test's
own namespace (the host's), one in an `ip netns` namespace, one in each of
two podman containers (--network none: a namespace of their own; python3
from the host's /usr, mounted read-only).  Each binds a TCP listener and a
UDP socket to 127.0.0.1 on ports the kernel picks, and writes them to a
file: those ports and the namespace inodes read from /proc and /run/netns
are the ground truth.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, Fail, Netns, check, eq, main, sh,  # noqa: E402
                     stop_procs, test)
from gadget_env import (build_images, busybox_rootfs,  # noqa: E402
                        json_lines, run_sync, wait_until)

TAG = f"itn{os.getpid()}"
IMAGE = f"localhost/iternetns-test:{TAG}"
PODMAN_RUN = ("podman run --runtime runc --ulimit nofile=1024:1024"
              " --ulimit nproc=1024:1024")
TCP_LISTEN, UDP_UNCONNECTED = 10, 7  # the kernel's state numbers

LISTEN_PY = """\
import os, socket, sys, time
t = socket.socket()
t.bind(("127.0.0.1", 0))
t.listen()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{t.getsockname()[1]} {u.getsockname()[1]}")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(3600)
"""


class Env:
    pass


def ports(path):
    wait_until(lambda: os.path.exists(path), what=f"{path} written")
    with open(path) as f:
        tcp, udp = f.read().split()
    return int(tcp), int(udp)


def netns_of(pid):
    return os.stat(f"/proc/{pid}/ns/net").st_ino


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="iternetns-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.sync = os.path.join(env.tmp, "sync")
    os.mkdir(env.sync)
    env.procs, env.containers, env.image, env.ns = [], [], False, None
    try:
        sh("podman --version")
        build_images(env.store, {"snapshot_socket:latest":
                                 f"{ROOT}/examples/snapshot_socket"})
        script = os.path.join(env.sync, "listen.py")
        with open(script, "w") as f:
            f.write(LISTEN_PY)
        # holders: name -> (tcp port, udp port, netns inode)
        env.held = {}
        host = subprocess.Popen([sys.executable, script,
                                 os.path.join(env.sync, "host")])
        env.procs.append(host)
        env.held["host"] = (*ports(os.path.join(env.sync, "host")),
                            netns_of(os.getpid()))
        env.ns = Netns(f"{TAG}-ns")
        p = env.ns.popen(f"{sys.executable} {script} {env.sync}/netns")
        env.procs.append(p)
        env.held["netns"] = (*ports(os.path.join(env.sync, "netns")),
                             env.ns.inode())
        root = busybox_rootfs(env.tmp)  # and python3 from /usr
        os.makedirs(os.path.join(root, "usr"))
        os.symlink("usr/lib", os.path.join(root, "lib"))
        os.symlink("usr/lib64", os.path.join(root, "lib64"))
        sh(f"tar -C {root} -c . | podman import - {IMAGE}")
        env.image = True
        for c in ("a", "b"):
            name = f"{TAG}{c}"
            env.containers.append(name)
            sh(f"{PODMAN_RUN} -d --network none --name {name}"
               f" -v /usr:/usr:ro -v {env.sync}:/sync {IMAGE}"
               f" /usr/bin/python3 /sync/listen.py /sync/{c}")
            pid = int(sh(f"podman inspect -f '{{{{.State.Pid}}}}' {name}"))
            env.held[c] = (*ports(os.path.join(env.sync, c)), netns_of(pid))
        check(len({h[2] for h in env.held.values()}) == 4,
              f"four namespaces: {env.held}")
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    for name in env.containers:
        sh(f"podman rm -f -t 0 {name}", check_rc=False)
    if env.image:
        sh(f"podman rmi {IMAGE}", check_rc=False)
    stop_procs(env.procs)
    if env.ns:
        env.ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


def snapshot(env, *flags):
    rc, out, err = run_sync(["run", "snapshot_socket", "-o", "json",
                             "--store", env.store, *flags])
    if rc != 0:
        raise Fail(f"runner exited {rc}: {err.strip()[-400:]}")
    return json_lines(out)


def held_sockets(evs, holder):
    """The records of holder's TCP listener and UDP socket (by port and
    protocol, on 127.0.0.1, in its namespace: other tests' namespaces on
    the host may hold a socket on the same port), each list as found."""
    tcp, udp, netns = holder
    pick = {}
    for proto, port in (("TCP", tcp), ("UDP", udp)):
        pick[proto] = [e for e in evs if e["src"]["port"] == port and
                       e["src"]["proto"] == proto and
                       e["src"]["addr"] == "127.0.0.1" and
                       e["netns_id"] == netns]
    return pick


def check_held(evs, name, holder):
    """One record of each of holder's sockets with holder's netns_id (a
    wrong one leaves none)."""
    for proto, found in held_sockets(evs, holder).items():
        eq(len(found), 1, f"{name}'s {proto} socket records")
        e = found[0]
        eq(e["state"], TCP_LISTEN if proto == "TCP" else UDP_UNCONNECTED,
           f"{name}'s {proto} socket: state")


@test
def sockets_of_every_namespace_with_their_netns(env):
    """Without a selection the tcp and udp iterators run in every
    namespace: the host's, the ip netns one and both containers' sockets
    are there, each with the namespace it is in."""
    evs = snapshot(env)
    for name, holder in env.held.items():
        check_held(evs, name, holder)


@test
def containername_keeps_that_containers_sockets(env):
    """-c NAME (a gadget without runtime.containerName, as ig's
    snapshot_socket): the iterators run in that container's namespace
    only, as in ig; nothing of the host, the other namespace or the other
    container."""
    name = f"{TAG}a"
    evs = snapshot(env, "-c", name)
    check_held(evs, "container a", env.held["a"])
    eq(sorted({e["netns_id"] for e in evs}), [env.held["a"][2]],
       "namespaces of the records")
    for other in ("host", "netns", "b"):
        for proto, found in held_sockets(evs, env.held[other]).items():
            eq(found, [], f"{other}'s {proto} socket with -c {name}")


@test
def host_beside_containername_takes_the_hosts_namespace_too(env):
    """--host -c NAME, as ig's --host attaches its host "container" (pid
    1) beside the selected ones: the iterators run in that container's
    namespace and in pid 1's (the runner's own where pid 1's is hidden:
    the host's listener's when the test runs there); not in the other
    namespace or the other container's."""
    name = f"{TAG}a"
    evs = snapshot(env, "--host", "-c", name)
    check_held(evs, "container a", env.held["a"])
    host = netns_of(1 if os.access("/proc/1/ns/net", os.R_OK)
                    else os.getpid())
    eq(sorted({e["netns_id"] for e in evs}),
       sorted({env.held["a"][2], host}), "namespaces of the records")
    if env.held["host"][2] == host:
        check_held(evs, "host", env.held["host"])
    for other in ("netns", "b"):
        for proto, found in held_sockets(evs, env.held[other]).items():
            eq(found, [], f"{other}'s {proto} socket with --host -c {name}")


@test
def containername_list_takes_each_namespace(env):
    """-c A,B: both containers' namespaces, each one once."""
    evs = snapshot(env, "-c", f"{TAG}a,{TAG}b")
    for c in ("a", "b"):
        check_held(evs, f"container {c}", env.held[c])
    eq(sorted({e["netns_id"] for e in evs}),
       sorted([env.held["a"][2], env.held["b"][2]]),
       "namespaces of the records")



@test
def host_false_keeps_every_containers_sockets(env):
    """--host=false (a gadget without runtime.containerId): the iterators
    run in every container's namespace, not in the ip netns one.  (Not
    checked: the host's own, which other tests' containers on the host's
    network, as `ctr run` makes them, share.)"""
    evs = snapshot(env, "--host=false")
    for c in ("a", "b"):
        check_held(evs, f"container {c}", env.held[c])
    for proto, found in held_sockets(evs, env.held["netns"]).items():
        eq(found, [], f"the ip netns {proto} socket with --host=false")
    check(env.held["netns"][2] not in {e["netns_id"] for e in evs},
          "a record of the ip netns namespace with --host=false")


@test
def containername_exclusion_takes_the_other_containers(env):
    """-c '!A' (every container but A): B's namespace, not A's, nor the
    ip netns one, whose process is no container's."""
    evs = snapshot(env, "-c", f"!{TAG}a")
    check_held(evs, "container b", env.held["b"])
    seen = {e["netns_id"] for e in evs}
    for other in ("a", "netns"):
        check(env.held[other][2] not in seen,
              f"a record of {other}'s namespace with -c '!{TAG}a'")

if __name__ == "__main__":
    main(setup, teardown)
