#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The runner follows network namespaces: one filtered packet socket per
namespace, taken when a namespace appears and let go when it disappears
(the socket would otherwise keep a deleted namespace alive)."""
import json
import os
import re
import shutil
import tempfile
import time

import nosys
from harness import ROOT, RUNNER, Fail, Netns, Runner, check, main, sh, test

NS = f"rnetns{os.getpid()}"
# the mount table as a kernel before 6.8 gives it: /proc/self/mountinfo
# only (statmount(2), listmount(2) fail ENOSYS)
NO_LISTMOUNT = nosys.prefix(457, 458)


def packet_sockets(pid):
    """Inodes of the sockets process pid holds (its packet sockets are the
    only ones that come and go with namespaces)."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def packet_sockets_in(ns_name, pid):
    """Inodes of pid's packet sockets that live in netns ns_name (a name
    in /run/netns, or the path of a namespace)."""
    path = ns_name if "/" in ns_name else f"/run/netns/{ns_name}"
    out = sh(f"nsenter --net='{path}' ss -0 -a -p -e -H", check_rc=False)
    inodes = set()
    for line in out.splitlines():
        m = re.search(r"ino:(\d+)", line)
        if f"pid={pid}," in line and m:
            inodes.add(int(m.group(1)))
    return inodes


def wait_until(pred, what, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise Fail(f"timed out waiting for {what}")


def setup():
    tmp = tempfile.mkdtemp(prefix="netns-e2e-")
    store = os.path.join(tmp, "store")
    try:
        sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns"
           f" -t trace_dns:latest --store {store}")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"store": store, "tmp": tmp}


def teardown(env):
    if env:
        shutil.rmtree(env["tmp"], ignore_errors=True)


@test
def namespace_taken_then_let_go(env):
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]])
    ns = None
    try:
        pid = r.proc.pid
        start = time.monotonic()
        ns = Netns(NS)
        # a new namespace gets one packet socket of the runner: at its
        # bind mount (else at a rescan, every second)
        wait_until(lambda: len(packet_sockets_in(NS, pid)) == 1,
                   "the runner's packet socket in the new namespace")
        # measured, not asserted (a loaded machine is slower)
        print(f"# new namespace picked up in "
              f"{time.monotonic() - start:.2f} s", flush=True)
        (ino,) = packet_sockets_in(NS, pid)
        check(ino in packet_sockets(pid), "socket not among the runner's")
        ns.delete()
        ns = None
        wait_until(lambda: ino not in packet_sockets(pid),
                   "the runner to close its socket of the deleted namespace")
        check(r.proc.poll() is None, "runner exited")
    finally:
        if ns:
            ns.delete()
        rc = r.stop()
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")



@test
def empty_file_in_run_netns_passed_over(env):
    """A file in /run/netns with no namespace mounted on it (`ip netns
    add` killed halfway, a namespace unmounted but not removed) is passed
    over at the start and at each scan, where setns() on it failed the
    run ("enter network namespace: Invalid argument")."""
    os.makedirs("/run/netns", exist_ok=True)
    stale = f"/run/netns/{NS}-stale"
    open(stale, "w").close()
    try:
        r = Runner(["run", "trace_dns", "-o", "json", "--store",
                    env["store"]])
        try:
            time.sleep(1.5)  # a scan (once a second) after the start
            check(r.proc.poll() is None, f"runner exited: {r.stderr()}")
        finally:
            rc = r.stop()
        check(rc == 0, f"runner exited {rc}: {r.stderr()}")
    finally:
        os.unlink(stale)


def private_mounts(cmds):
    """A prefix for Runner: the runner in a mount namespace of its own
    (propagation private), after the shell commands cmds ran there; what
    the test mounts there reaches no other runner on the machine, and
    goes with the runner."""
    return ["unshare", "-m", "--propagation", "private", "sh", "-c",
            f"{cmds} && exec \"$@\"", "sh"]


def namespaces_in(pid, tmp, n):
    """n network namespaces bind-mounted in runner pid's mount namespace
    (under tmp, a tmpfs there): nobody else sees or keeps them."""
    sh(f"nsenter --mount=/proc/{pid}/ns/mnt sh -c 'i=0;"
       f" while [ $i -lt {n} ]; do i=$((i+1)); touch {tmp}/n$i &&"
       f" unshare --net={tmp}/n$i true || exit 1; done'", timeout=120)


@test
def other_kind_of_namespace_in_run_netns_passed_over(env):
    """A UTS namespace bind-mounted in /run/netns (an nsfs file, but no
    network namespace): setns(CLONE_NEWNET) refuses it with EINVAL, which
    failed the run at its start ("enter network namespace N: Invalid
    argument"); it is passed over."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               prefix=private_mounts(
                   "mkdir -p /run/netns && mount -t tmpfs none /run/netns &&"
                   " touch /run/netns/uts &&"
                   " mount --bind /proc/self/ns/uts /run/netns/uts"))
    check(r.proc.poll() is None, f"runner exited: {r.stderr()}")
    rc = r.stop()
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")


# namespaces past the descriptors the runner had at its start (~60) under
# the limit of 64 below
MANY = 80


@test
def namespaces_past_the_fd_limit_do_not_end_the_run(env):
    """More namespaces than the runner may open descriptors for (its
    hard RLIMIT_NOFILE): the socket of one more failed the run (EMFILE:
    "packet socket in netns N: Too many open files", at ~1000 namespaces
    under Debian's limit of 1024); the namespaces past it are told and
    left out, the others stay traced."""
    tmp = env["tmp"] + "/many"
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               prefix=private_mounts(f"mkdir -p {tmp} &&"
                                     f" mount -t tmpfs none {tmp} &&"
                                     f" prlimit --pid $$ --nofile=64:64"))
    try:
        namespaces_in(r.proc.pid, tmp, MANY)
        wait_until(lambda: "not traced until a later try" in r.stderr() or
                   r.proc.poll() is not None,
                   "the runner to tell of a namespace left out")
        check(r.proc.poll() is None, f"runner exited: {r.stderr()}")
    finally:
        rc = r.stop()
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")


@test
def fd_soft_limit_raised_for_namespaces(env):
    """A soft RLIMIT_NOFILE below the hard one is raised to it (as Go's
    runtime does for ig): every namespace is taken in, where the soft
    limit of 64 left most of them out."""
    tmp = env["tmp"] + "/many"
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               prefix=private_mounts(f"mkdir -p {tmp} &&"
                                     f" mount -t tmpfs none {tmp} &&"
                                     f" prlimit --pid $$ --nofile=64:4096"))
    try:
        before = len(packet_sockets(r.proc.pid))
        namespaces_in(r.proc.pid, tmp, MANY)
        wait_until(lambda: len(packet_sockets(r.proc.pid)) == before + MANY
                   or r.proc.poll() is not None,
                   f"{MANY} more packet sockets of the runner")
        check(r.proc.poll() is None, f"runner exited: {r.stderr()}")
    finally:
        rc = r.stop()
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")


def dig_in(ns_name, qname):
    """dig in ns_name, asking 127.0.0.1 where no server listens: one query,
    refused at once."""
    sh(f"ip netns exec {ns_name} dig +tries=1 +time=1 @127.0.0.1 {qname}",
       check_rc=False)


def dig_marker(r, marker):
    """A query for marker in NS, once runner r is surely attached there:
    returns when its event came, after those of every query before it."""
    wait_until(lambda: len(packet_sockets_in(NS, r.proc.pid)) == 1,
               "the runner's packet socket in the marker's namespace")
    dig_in(NS, marker)
    wait_until(lambda: f'"name":"{marker}"' in r.stdout(),
               "the marker query's event")


def stopped_events(r, rc):
    """The events of runner r, which exited rc (0)."""
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")
    return [json.loads(ln) for ln in r.stdout().splitlines() if ln.strip()]


def first_query_seen(env, prefix=()):
    """`ip netns add` then at once `ip netns exec ... dig`: the bind mount
    of the new namespace wakes the runner, which takes the namespace in
    before dig runs (not at its next scan).  Returns the runner's
    stderr."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               env={"RUNNER_DEBUG": "2"}, prefix=prefix)
    ns = None
    first, marker = f"first{os.getpid()}.test.", f"marker{os.getpid()}.test."
    try:
        ns = Netns(NS)
        dig_in(NS, first)
        # the marker, once the namespace is surely taken in: the events
        # before its own are all the runner will show of the first query
        dig_marker(r, marker)
        inode = ns.inode()
    finally:
        if ns:
            ns.delete()
        rc = r.stop()
    evs = stopped_events(r, rc)
    mine = [e for e in evs if e["name"] == first]
    check(mine, "no event of dig's first query: the namespace was taken "
          "in after it")
    check(all(e["netns_id"] == inode for e in mine),
          f"first query in namespaces {[e['netns_id'] for e in mine]}")
    # the sent packet's (the one received on lo has no process): dig's,
    # or one of its threads' (isc-net-0000, ...)
    check(any(e["proc"]["comm"] == "dig" or
              e["proc"]["comm"].startswith("isc-") for e in mine),
          f"process of the first query: {[e['proc'] for e in mine]}")
    return r.stderr()


def mount_table_notes(stderr):
    return [ln for ln in stderr.splitlines() if "mount table" in ln]


@test
def first_query_of_a_new_namespace_seen(env):
    """The mounts made since the last change read by id (listmount(2))."""
    err = first_query_seen(env)
    check("mount table read by id" in err,
          f"mount table not read by id: {mount_table_notes(err)}")


@test
def first_query_seen_without_listmount(env):
    """A kernel before 6.8 (no listmount(2)): the whole mount table is
    read at a change, the first query seen as well."""
    err = first_query_seen(env, prefix=NO_LISTMOUNT)
    check("mount table read whole" in err,
          f"listmount(2) not failed by the test: {mount_table_notes(err)}")


@test
def namespace_at_a_path_with_a_space_taken_in(env):
    """A namespace bind-mounted where mountinfo escapes the path (a space,
    \\040) and no process runs: the runner reads its mount point by id
    (statmount(2)), as it is, and takes it in at once and at each scan
    after; mountinfo's escaped line was passed over, the namespace never
    taken in."""
    tmp = tempfile.mkdtemp(prefix="netns e2e ")
    path = os.path.join(tmp, "a namespace")
    open(path, "w").close()
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]])
    mounted = False
    try:
        sh(f"unshare --net='{path}' true")
        mounted = True
        wait_until(lambda: len(packet_sockets_in(path, r.proc.pid)) == 1,
                   "the runner's packet socket in the namespace")
        (ino,) = packet_sockets_in(path, r.proc.pid)
        time.sleep(1.5)  # a scan of every namespace (once a second)
        check(ino in packet_sockets(r.proc.pid),
              "namespace let go at the scan after its mount")
        check(r.proc.poll() is None, f"runner exited: {r.stderr()}")
    finally:
        if mounted:
            sh(f"umount '{path}'", check_rc=False)
        shutil.rmtree(tmp, ignore_errors=True)
        rc = r.stop()
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")



# one shot in a namespace of its own that nobody bind-mounts: its inode,
# then dnsmasq (daemon: back once it listens) answering on lo and dig's
# query to it; the namespace ends with dnsmasq, within a fraction of a
# second, long before the runner's next scan
ONE_SHOT = ("readlink /proc/self/ns/net; ip link set lo up &&"
            " dnsmasq --conf-file=/dev/null --no-resolv --no-hosts"
            " --bind-interfaces --listen-address=127.0.0.1"
            " --pid-file={pid} --address=/{name}/192.0.2.7 &&"
            " dig +tries=1 +time=2 @127.0.0.1 {name};"
            " kill $(cat {pid})")


def one_shot(tmp, name):
    """`unshare -n sh -c ONE_SHOT`: the inode of its namespace."""
    pid = os.path.join(tmp, f"{name}pid")
    out = sh(f"unshare -n sh -c '{ONE_SHOT.format(pid=pid, name=name)}'",
             timeout=60)
    m = re.match(r"net:\[(\d+)\]", out)
    check(m, f"no namespace inode in {out!r}")
    return int(m.group(1))


@test
def unshare_one_shot_query_and_response_seen(env):
    """`unshare -n sh -c '...; dnsmasq ...; dig ...'`, three times: a
    namespace the process makes itself, bind-mounted nowhere, where a
    server and a client are done before the next scan.  The first exec
    there (sh's) wakes the runner (its exec hook), which attaches before
    dnsmasq and dig have loaded: the query and the response of each, in
    that namespace, with dig behind the query."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]])
    tag = f"{os.getpid()}.test."
    names = [f"shot{i}-{tag}" for i in range(3)]
    marker = f"marker-{tag}"
    ns = None
    try:
        inodes = {n: one_shot(env["tmp"], n) for n in names}
        # the marker, in a namespace surely taken in: the events before
        # its own are all the runner will show of the shots
        ns = Netns(NS)
        dig_marker(r, marker)
    finally:
        if ns:
            ns.delete()
        rc = r.stop()
    evs = stopped_events(r, rc)
    for n, ino in inodes.items():
        mine = [e for e in evs if e["name"] == n]
        got = sorted({e["qr"] for e in mine})
        check(got == ["Q", "R"], f"{n}: events {got}, not a query and a "
              "response: the namespace was taken in after them")
        check(all(e["netns_id"] == ino for e in mine),
              f"{n} in namespaces {[e['netns_id'] for e in mine]}, not {ino}")
        check(any(e["qr"] == "R" and e["addresses"] == "192.0.2.7"
                  for e in mine), f"{n}: no response with 192.0.2.7")
        check(any(e["qr"] == "Q" and (e["proc"]["comm"] == "dig" or
                                      e["proc"]["comm"].startswith("isc-"))
                  for e in mine),
              f"{n}: processes of the query {[e['proc'] for e in mine]}")

if __name__ == "__main__":
    main(setup, teardown)
