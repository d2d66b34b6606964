#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The runner follows network namespaces: one filtered packet socket per
namespace, taken when a namespace appears and let go when it disappears
(the socket would otherwise keep a deleted namespace alive)."""
import ctypes
import fcntl
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

import nosys
from harness import (ROOT, RUNNER, WAIT, Fail, Netns, Runner, all_stopped, check,
                     main, sh, test)

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


def packet_sockets_in(ns_name, pid, mounted=False):
    """Inodes of pid's packet sockets that live in netns ns_name (a name
    in /run/netns, or the path of a namespace; mounted: a path in runner
    pid's mount namespace)."""
    path = ns_name if "/" in ns_name else f"/run/netns/{ns_name}"
    enter = f"nsenter -t {pid} -m -r " if mounted else ""
    out = sh(f"{enter}nsenter --net='{path}' ss -0 -a -p -e -H",
             check_rc=False)
    inodes = set()
    for line in out.splitlines():
        m = re.search(r"ino:(\d+)", line)
        if f"pid={pid}," in line and m:
            inodes.add(int(m.group(1)))
    return inodes


def wait_until(pred, what, timeout=WAIT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise Fail(f"timed out waiting for {what}")


# a process in a network namespace that only the runner's scan of every
# namespace (/proc/*/ns/net, once a second) finds: unshared with no exec,
# fork or socket after (the runner's hooks), and bind-mounted nowhere
SCAN_PROBE = ("import ctypes, time\n"
              "if ctypes.CDLL(None, use_errno=True).unshare(0x40000000):\n"
              "    raise SystemExit('unshare: ' + str(ctypes.get_errno()))\n"
              "print(flush=True)\n"
              "time.sleep(600)\n")


def scan_passed(r):
    """Return once runner r's scan of every namespace ran after the call:
    what "a scan" means to a test that checks what the scan kept, where
    a time to sleep would be too short on a loaded machine (and the test
    would pass whatever the scan does)."""
    p = subprocess.Popen([sys.executable, "-c", SCAN_PROBE],
                         stdout=subprocess.PIPE, text=True)
    try:
        check(p.stdout.readline() == "\n", "the scan probe did not start")

        def taken():  # read in /proc, not by entering it
            with open(f"/proc/{p.pid}/net/packet") as f:
                theirs = {int(ln.split()[-1]) for ln in f.readlines()[1:]}
            return theirs & packet_sockets(r.proc.pid)
        wait_until(taken, "the runner's scan of every namespace")
    finally:
        p.kill()
        p.wait()


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
            scan_passed(r)  # a scan after the start
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
    sh(f"nsenter -t {pid} -m -r sh -c 'i=0;"
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


def limited_runner(env, tmp, nofile=None):
    """A runner under RLIMIT_NOFILE nofile ("soft:hard"; none: as it is),
    in a mount namespace of its own with a tmpfs on tmp."""
    cmds = f"mkdir -p {tmp} && mount -t tmpfs none {tmp}"
    if nofile:
        cmds += f" && prlimit --pid $$ --nofile={nofile}"
    return Runner(["run", "trace_dns", "-o", "json", "--store",
                   env["store"]], prefix=private_mounts(cmds))


# namespaces past the descriptors the runner may open
MANY = 80


@test
def namespaces_past_the_fd_limit_do_not_end_the_run(env):
    """More namespaces than the runner may open descriptors for (its
    hard RLIMIT_NOFILE): the socket of one more failed the run (EMFILE:
    "packet socket in netns N: Too many open files", at ~1000 namespaces
    under Debian's limit of 1024); the namespaces past it are told and
    left out, the others stay traced."""
    tmp = env["tmp"] + "/many"
    r = limited_runner(env, tmp)
    try:
        # the limit a few descriptors past those it holds once attached
        # (one per namespace of the host: how many depends on the host)
        n = len(os.listdir(f"/proc/{r.proc.pid}/fd")) + 16
        sh(f"prlimit --pid {r.proc.pid} --nofile={n}:{n}")
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
    r = limited_runner(env, tmp, "64:4096")
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


def syscalls_in(pid, name, seconds):
    """How many times process pid calls syscall name in the next seconds
    (perf stat on its syscall tracepoint, in pid's mount namespace: the
    tracefs the runner mounts where none was is there)."""
    out = sh(f"nsenter -t {pid} -m -r perf stat -x,"
             f" -e syscalls:sys_enter_{name} -p {pid} -- sleep {seconds}"
             " 2>&1", timeout=seconds + 30)
    for line in out.splitlines():
        if f"sys_enter_{name}" in line:
            return int(line.split(",")[0])
    raise Fail(f"no count of {name} in perf's output: {out!r}")


@test
def idle_scan_reads_no_mount(env):
    """The scan once a second read every mount (statmount(2) each, ~0.3
    us a mount: ~30 calls a second here, thousands on a node of
    containers) to see which namespaces are still mounted; with no mount
    made or undone since its last read, it now reads none, and keeps
    those it found mounted then.  A namespace only a mount keeps is still
    let go at the scan after its umount."""
    tmp = env["tmp"] + "/idle"
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               prefix=private_mounts(f"mkdir -p {tmp} &&"
                                     f" mount -t tmpfs none {tmp}"))
    try:
        namespaces_in(r.proc.pid, tmp, 1)
        # the runner's socket in that namespace (others come and go with
        # the namespaces of other tests on the machine)
        mine = set()

        def socket_in_n1():
            mine.update(packet_sockets_in(f"{tmp}/n1", r.proc.pid, True))
            return len(mine) == 1
        wait_until(socket_in_n1, "the runner's socket in the mounted namespace")
        # windows of two scans or so, nothing mounted or undone: the
        # scan after the mount above reads them all (in the first window,
        # or before it), none after
        calls = [syscalls_in(r.proc.pid, "statmount", 2.5)]
        while calls[-1] and len(calls) < 3:
            calls.append(syscalls_in(r.proc.pid, "statmount", 2.5))
        check(calls[-1] == 0,
              f"statmount(2) calls with no mount made: {calls}")
        check(mine <= packet_sockets(r.proc.pid),
              "the mounted namespace let go by a scan")
        sh(f"nsenter -t {r.proc.pid} -m -r umount {tmp}/n1")
        wait_until(lambda: not mine & packet_sockets(r.proc.pid),
                   "the runner to let go of the unmounted namespace")
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


def then_marker(r, marker, fn):
    """fn(), then a query for marker in a namespace surely taken in: the
    events of runner r before the marker's are all it will show of what
    fn did.  Stops r; returns fn's value and r's events."""
    ns = None
    try:
        value = fn()
        ns = Netns(NS)
        dig_marker(r, marker)
    finally:
        if ns:
            ns.delete()
        rc = r.stop()
    return value, stopped_events(r, rc)


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
        scan_passed(r)
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
    inodes, evs = then_marker(
        r, marker, lambda: {n: one_shot(env["tmp"], n) for n in names})
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


CLONE_NEWNET = 0x40000000
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
LIBC = ctypes.CDLL(None, use_errno=True)


def unshare_net():
    """unshare(CLONE_NEWNET) of the calling thread only (no fork, no
    exec): the inode of its new namespace."""
    if LIBC.unshare(CLONE_NEWNET):
        e = ctypes.get_errno()
        raise OSError(e, f"unshare: {os.strerror(e)}")
    return os.stat("/proc/thread-self/ns/net").st_ino


def lo_up():
    """ip link set lo up, in the calling thread's namespace."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x",
                              fcntl.ioctl(s, SIOCGIFFLAGS, req))[1]
        fcntl.ioctl(s, SIOCSIFFLAGS,
                    struct.pack("16sH14x", b"lo", flags | IFF_UP))


def send_query(qname):
    """One DNS query (A) for qname to 127.0.0.1:53 from the calling
    thread's namespace, where no server listens."""
    q = struct.pack("!HHHHHH", os.getpid() & 0xffff, 0x0100, 1, 0, 0, 0)
    for label in qname.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(q, ("127.0.0.1", 53))


def thread_attached(pid):
    """Has runner pid a packet socket in the calling thread's namespace?
    (read in /proc, not by entering it, which would tell the runner)"""
    with open("/proc/thread-self/net/packet") as f:
        mine = {int(ln.split()[-1]) for ln in f.readlines()[1:]}
    return bool(mine & packet_sockets(pid))


def in_thread(fn):
    """Run fn in a thread of its own; its exception, re-raised here."""
    out = {}

    def body():
        try:
            out["value"] = fn()
        except BaseException as e:  # noqa: B036 -- handed to the caller
            out["error"] = e

    t = threading.Thread(target=body)
    t.start()
    t.join(timeout=60)
    check(not t.is_alive(), "the thread did not end")
    if "error" in out:
        raise out["error"]
    return out.get("value")


@test
def thread_namespace_taken_in_and_kept(env):
    """A thread that makes a namespace of its own (unshare(2), as Go's
    netns users do on a locked thread), no fork, no exec: the scan of
    /proc sees the namespaces of processes (their first threads) only,
    so it was never taken in, and its queries never seen.  The hook
    tells the runner at the first socket made there (lo_up()'s), which
    attaches there; the scan keeps it while the thread is in it (a query
    after a scan seen too)."""
    thread_namespace(env)


@test
def thread_namespace_taken_in_without_tracefs(env):
    """The same with no tracefs mounted (a fresh machine; trace_dns needs
    none, so the runner mounts none): the hook needs none either (a
    first version's syscall tracepoints on unshare and setns did)."""
    thread_namespace(env, private_mounts(
        "for m in /sys/kernel/debug/tracing /sys/kernel/tracing; do"
        " while mountpoint -q $m; do umount -l $m || exit 1; done; done"))


def thread_namespace(env, prefix=()):
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               prefix=prefix)
    tag = f"{os.getpid()}.test."
    first, later = f"thread-{tag}", f"thread-later-{tag}"
    marker = f"marker-thread-{tag}"

    def body():
        ino = unshare_net()
        lo_up()
        wait_until(lambda: thread_attached(r.proc.pid),
                   "the runner's packet socket in the thread's namespace")
        send_query(first)
        scan_passed(r)
        check(thread_attached(r.proc.pid),
              "the thread's namespace let go at a scan")
        send_query(later)
        return ino

    ino, evs = then_marker(r, marker, lambda: in_thread(body))
    for name in (first, later):
        mine = [e for e in evs if e["name"] == name]
        check(mine and all(e["netns_id"] == ino for e in mine),
              f"{name}: events in namespaces "
              f"{[e['netns_id'] for e in mine]}, not {ino}")


def told_again(env, again):
    """Thread 1 makes a namespace and a socket there (told by the hook)
    and ends while the runner is stopped,
    the namespace kept by what it leaves (an open descriptor, and without
    again a thread of its own); the runner reads its note, finds it gone,
    and the hook forgets the namespace; then a new thread enters it (made
    by that thread, or again(fd) in one made outside, which makes a
    socket there): told again, taken in."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env["store"]],
               env={"RUNNER_DEBUG": "2"})
    go_on = threading.Event()
    found = {}

    def kept():
        go_on.wait(timeout=60)
        in_thread(lambda: (again and again(found["fd"]), wait_until(
            lambda: thread_attached(r.proc.pid),
            "the runner's packet socket after the note told again")))
        found["ok"] = True

    def first():
        found["ino"] = unshare_net()
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
        found["tid"] = threading.get_native_id()
        found["fd"] = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        if again:
            return None
        t = threading.Thread(target=kept)
        t.start()
        return t

    try:
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: all_stopped(r.proc.pid),
                       "every thread of the runner to stop")
            t2 = in_thread(first)
            if again:  # made outside the namespace
                t2 = threading.Thread(target=kept)
                t2.start()
            # Python's join returns before the kernel's thread has ended
            wait_until(lambda: not os.path.exists(
                f"/proc/self/task/{found['tid']}"), "thread 1 to end")
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)
        gone = f"netns {found['ino']}: task {found['tid']} gone"
        try:
            wait_until(lambda: gone in r.stderr(),
                       "the runner to read the note of the gone thread")
        finally:
            go_on.set()
            t2.join(timeout=60)
        check(found.get("ok"), "the namespace was not told again")
    finally:
        if "fd" in found:
            os.close(found["fd"])
        rc = r.stop()
    check(rc == 0, f"runner exited {rc}: {r.stderr()}")


@test
def note_of_a_gone_thread_told_again(env):
    """The hook tells of a namespace once; a note whose task is gone when
    the runner reads it is forgotten by the hook, to be told again at the
    next fork, exec or socket made there: here a thread made in it by
    the one thread left there."""
    told_again(env, None)


@test
def namespace_entered_by_setns_told(env):
    """A namespace kept by an open descriptor only, which a thread enters
    with setns(2), no fork, no exec after it: told at the first socket
    it makes there (nothing else would: the scan looks at processes and
    mounts)."""
    def enter(fd):
        if LIBC.setns(fd, CLONE_NEWNET):
            e = ctypes.get_errno()
            raise OSError(e, f"setns: {os.strerror(e)}")
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()

    told_again(env, enter)


if __name__ == "__main__":
    main(setup, teardown)
