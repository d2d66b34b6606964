#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""trace_dns and real containers: podman (and docker when its daemon can
start), with the container fields runtime.containerName, containerId,
runtimeName and containerImageName, and -c/--containername; `runner
list-containers`, which lists them as `ig list-containers` does.

Images are made offline: a root filesystem with busybox-static (sh,
nslookup, sleep) imported with `podman import` / `docker import`.  Podman
containers join a network namespace of this test (--network ns:...),
where dnsmasq answers on 127.0.0.1.  Most containers wait on a FIFO before
they exec nslookup, so that the test knows their id, host pid and mount
namespace (from podman and /proc) before the query: the ground truth the
events are checked against.  Each container asks for its own name,
NAME.web.test, so that events tell which container made them.
"""
import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, Fail, Netns, Runner, check,  # noqa: E402
                     eq, main, sh, stop_procs, test)
from registry_env import Registry  # noqa: E402
from gadget_env import (PODMAN_RUN, WEB4, build_images,  # noqa: E402
                        busybox_rootfs, cname, dnsmasq, header_cell,
                        json_lines, json_stream, podman_remove, run_client,
                        stop_all, usage_error, wait_json, wait_until)

TAG = f"e2e{os.getpid()}"
IMAGE = f"localhost/trace-dns-test-bb:{TAG}"
DOCKER_IMAGE = f"trace-dns-test-bb:{TAG}"
NS = f"ctr{os.getpid()}"
DOCKER = "/usr/bin/docker"  # Debian's client, whatever else is on PATH


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="containers-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.sync = os.path.join(env.tmp, "sync")
    os.mkdir(env.sync)
    env.procs = []
    env.containers = []
    env.image = False
    env.ns = None
    env.docker = None
    env.other_podman = None
    try:
        sh("podman --version")
        build_images(env.store, {"trace_dns:latest":
                                 f"{ROOT}/gadget/trace_dns",
                                 "trace_exec:latest":
                                 f"{ROOT}/examples/trace_exec"})
        env.ns = Netns(f"{NS}-dns")
        env.inode = env.ns.inode()
        env.dnsmasq = dnsmasq(env.ns, env.tmp, "127.0.0.1")
        env.procs.append(env.dnsmasq)
        env.rootfs = busybox_rootfs(env.tmp)
        sh(f"tar -C {env.rootfs} -c . | podman import - {IMAGE}")
        env.image = True
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    podman_remove(env.containers, IMAGE if env.image else None)
    if env.other_podman:
        sh(f"{env.other_podman} rm -af", check_rc=False)
        sh(f"{env.other_podman} rmi -af", check_rc=False)
    if env.docker:
        env.docker.stop()
    stop_procs(env.procs)
    if env.ns:
        env.ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


# ---- helpers ----------------------------------------------------------------

def qname(name):
    return f"{name}.web.test."


def tracer(env, *flags, mode="json"):
    return Runner(["run", "trace_dns", "-o", mode, "--store", env.store,
                   "-F", f"netns_id=={env.inode}", *flags])


class Held:
    """A container that waits on a FIFO, then execs nslookup NAME.web.test
    (asking server): while it waits, its id, host pid and mount namespace
    are known.  podman's with rm: run with --rm."""

    def __init__(self, env, name, engine="podman", network=None,
                 image=IMAGE, server="127.0.0.1", rm=False):
        self.name, self.engine = name, engine
        self.fifo = os.path.join(env.sync, name)
        os.mkfifo(self.fifo)
        script = (f"read x < /sync/{name}; "
                  f"exec nslookup {name}.web.test {server}")
        if engine == "podman":
            env.containers.append(name)
            net = network or f"ns:/run/netns/{env.ns.name}"
            out = sh(f"{PODMAN_RUN} -d{' --rm' if rm else ''}"
                     f" --network {net} --name {name}"
                     f" -v {env.sync}:/sync {image} sh -c '{script}'")
            self.cli = "podman"
        else:
            d = env.docker
            out = d.cli(f"run -d --network none --name {name}"
                        f" -v {env.sync}:/sync {DOCKER_IMAGE}"
                        f" sh -c '{script}'")
            self.cli = f"{DOCKER} -H unix://{d.sock}"
        self.id = out.strip().splitlines()[-1]
        check(len(self.id) == 64 and
              all(c in "0123456789abcdef" for c in self.id),
              f"{engine} run -d printed {out!r}")
        eq(self.inspect("{{.Id}}"), self.id, f"{engine} inspect .Id")
        self.pid = int(self.inspect("{{.State.Pid}}"))
        check(self.pid > 0, f"{name} is not running")
        self.mntns = os.stat(f"/proc/{self.pid}/ns/mnt").st_ino

    def inspect(self, fmt):
        return sh(f"{self.cli} inspect -f '{fmt}' {self.name}").strip()

    def image(self):
        """podman's image name, id and digest of it."""
        return (self.inspect("{{.ImageName}}"), self.inspect("{{.Image}}"),
                self.inspect("{{.ImageDigest}}"))

    def times(self):
        """When the runtime created it and says it started it (ns)."""
        if self.engine == "podman":
            return (int(self.inspect("{{.Created.UnixNano}}")),
                    int(self.inspect("{{.State.StartedAt.UnixNano}}")))
        return (rfc3339_ns(self.inspect("{{.Created}}")),
                rfc3339_ns(self.inspect("{{.State.StartedAt}}")))

    def go(self):
        """Let it query."""
        def opened():
            try:
                return os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:  # ENXIO: not reading yet
                return None
        fd = wait_until(opened, what=f"{self.name} reading its FIFO")
        os.write(fd, b"go\n")
        os.close(fd)

    def release(self):
        """Let it query; wait for its end; its exit status must be 0."""
        self.go()
        rc = sh(f"{self.cli} wait {self.name}").strip()
        eq(rc, "0", f"exit status of nslookup in {self.name}")


def upto_marker(env, r, ns=None):
    """r's events before a marker: one more host nslookup of a name of its
    own, made after everything under test; once its response came, any
    other event the runner would send has been sent (ring buffer order)."""
    nslookup = os.path.join(env.tmp, "nslookup")
    if not os.path.exists(nslookup):
        os.symlink("/bin/busybox", nslookup)
    name = cname("m")
    _, out = run_client(ns or env.ns, f"{nslookup} {name}.web.test 127.0.0.1")
    check(WEB4 in out, f"marker nslookup: {out}")
    evs = wait_json(r, responded(name), n=2)
    return evs[:next(i for i, e in enumerate(evs)
                     if e["name"] == qname(name))]


def check_container_events(evs, c, what, image=IMAGE, runtime="podman"):
    """nslookup's four events (A and AAAA, query and response) carry the
    container's name, id, runtime and image, its pid and mount ns."""
    mine = [e for e in evs if e["name"] == qname(c.name) and
            e["proc"]["comm"] == "nslookup"]
    eq(sorted((e["qtype"], e["qr"]) for e in mine),
       [("A", "Q"), ("A", "R"), ("AAAA", "Q"), ("AAAA", "R")],
       f"{what}: nslookup events of {c.name}")
    for e in mine:
        eq(e["proc"]["pid"], c.pid, f"{what}: proc.pid")
        eq(e["proc"]["mntns_id"], c.mntns, f"{what}: proc.mntns_id")
        rt = e["runtime"]
        eq(rt["containerName"], c.name, f"{what}: runtime.containerName")
        eq(rt["containerId"], c.id, f"{what}: runtime.containerId")
        eq(rt["runtimeName"], runtime, f"{what}: runtime.runtimeName")
        eq(rt["containerImageName"], image,
           f"{what}: runtime.containerImageName")


def responded(name, pid=None):
    """The predicate of nslookup's responses (A and AAAA) to NAME."""
    return lambda e: (e["name"] == qname(name) and e["qr"] == "R" and
                      e["proc"]["comm"] == "nslookup" and
                      (pid is None or e["proc"]["pid"] == pid))


def wait_responses(runs):
    """Wait, in each (what, runner, name) of runs, for name's responses."""
    for what, x, name in runs:
        try:
            wait_json(x, responded(name), n=2)
        except Fail as e:
            raise Fail(f"{what}, {name}'s responses: {e}")


def check_host_events(evs, what):
    for e in evs:
        eq(e["runtime"], {"containerName": "", "containerId": "",
                          "runtimeName": "", "containerImageName": ""},
           f"{what}: runtime of {e['proc']['comm']} {e['proc']['pid']}")


# ---- podman -----------------------------------------------------------------


@test
def podman_container_events_carry_runtime_fields(env):
    c = None
    r = tracer(env)
    try:
        c = Held(env, cname("a"))
        c.release()
        evs = wait_json(r, responded(c.name), n=2)
        evs = upto_marker(env, r)
    finally:
        stop_all([r])
    check_container_events(evs, c, "podman")
    # dnsmasq answers from the host, in the same network namespace
    srv = [e for e in evs if e["name"] == qname(c.name) and
           e["proc"]["pid"] == env.dnsmasq.pid]
    eq(len(srv), 4, "dnsmasq events of the container's queries")
    check_host_events(srv, "dnsmasq")


@test
def containername_flag_keeps_one_container(env):
    b, c = cname("b"), cname("c")
    r = tracer(env)
    rc = tracer(env, "-c", b)
    rl = tracer(env, "--containername", b)
    try:
        cb, cc = Held(env, b), Held(env, c)
        cc.release()
        cb.release()
        wait_responses((("no filter", r, b), ("no filter", r, c),
                        (f"-c {b}", rc, b), (f"--containername {b}", rl, b)))
        # c ended before b started: b's responses are the marker after
        # which nothing of c can come
    finally:
        stop_all([r, rc, rl])
    evs = json_lines(r.stdout())
    check_container_events(evs, cc, "no filter")
    check_container_events(evs, cb, "no filter")
    for flag, x in (("-c", rc), ("--containername", rl)):
        evs = json_lines(x.stdout())
        check_container_events(evs, cb, f"{flag} {b}")
        for e in evs:
            eq(e["runtime"]["containerName"], b,
               f"{flag} {b}: runtime.containerName of {e['proc']['comm']} "
               f"{e['proc']['pid']} ({e['name']} {e['qr']})")


@test
def containername_list_and_exclusion_as_ig(env):
    """As ig's -c: "B,C" keeps both containers, "!C" every container but C
    (and no event of the host: dnsmasq answers from it), and
    --runtime-containername is -c's other name; --host=false, ig's
    default, keeps every container and no event of the host."""
    b, c, d = cname("b"), cname("c"), cname("d")
    both = tracer(env, "-c", f"{b},{c}")
    but = tracer(env, "-c", f"!{c}")
    rt = tracer(env, "--runtime-containername", b)
    nohost = tracer(env, "--host=false")
    try:
        cb, cc, cd = Held(env, b), Held(env, c), Held(env, d)
        cc.release()
        cd.release()
        cb.release()
        wait_responses(((f"-c {b},{c}", both, b), (f"-c !{c}", but, b),
                        (f"--runtime-containername {b}", rt, b),
                        ("--host=false", nohost, b)))
        # c and d ended before b started: b's responses are the marker
        # after which nothing of theirs can come
    finally:
        stop_all([both, but, rt, nohost])
    for what, x, want, shown in ((f"-c {b},{c}", both, {b, c}, (cb, cc)),
                                 (f"-c !{c}", but, {b, d}, (cb, cd)),
                                 (f"--runtime-containername {b}", rt, {b},
                                  (cb,)),
                                 ("--host=false", nohost, {b, c, d},
                                  (cb, cc, cd))):
        evs = json_lines(x.stdout())
        for ctr in shown:
            check_container_events(evs, ctr, what)
        eq({e["runtime"]["containerName"] for e in evs}, want,
           f"{what}: the containers of its events")


@test
def host_beside_a_selection_filters_nothing_as_ig(env):
    """--host -c B, as ig's --host: ig sets no mount namespace filter then
    and filters no event by -c, so the host's events (dnsmasq answers
    from it) and another container's (C) show with B's.  They used to be
    left out, as by -c B alone."""
    b, c = cname("b"), cname("c")
    r = tracer(env, "--host", "-c", b)
    try:
        cb, cc = Held(env, b), Held(env, c)
        cc.release()
        cb.release()
        # c ended before b started: b's responses are the marker
        wait_responses(((f"--host -c {b}", r, b),))
    finally:
        stop_all([r])
    evs = json_lines(r.stdout())
    check_container_events(evs, cb, f"--host -c {b}")
    check_container_events(evs, cc, f"--host -c {b}")
    srv = [e for e in evs if e["name"] == qname(b) and
           e["proc"]["pid"] == env.dnsmasq.pid]
    eq(len(srv), 4, "dnsmasq events of B's queries")
    check_host_events(srv, "dnsmasq")


@test
def runtimes_flag_knows_only_those_containers_as_ig(env):
    """ig's -r/--runtimes: the containers of other runtimes are not known
    (ig does not watch them): with -r docker,containerd a podman
    container's events are the host's (no runtime.* names, so that -c and
    --host=false leave them out); with -r podman they carry its names."""
    b, c = cname("b"), cname("c")
    pod = tracer(env, "-r", "podman")
    other = tracer(env, "--runtimes", "docker,containerd")
    try:
        cb, cc = Held(env, b), Held(env, c)
        cc.release()
        cb.release()
        # c ended before b started: b's responses are the marker
        wait_responses((("-r podman", pod, b),
                        ("--runtimes docker,containerd", other, b)))
    finally:
        stop_all([pod, other])
    evs = json_lines(pod.stdout())
    check_container_events(evs, cb, "-r podman")
    check_container_events(evs, cc, "-r podman")
    evs = [e for e in json_lines(other.stdout())
           if e["name"] in (qname(b), qname(c))]
    eq(sorted({e["proc"]["pid"] for e in evs if e["proc"]["comm"] ==
               "nslookup"}), sorted([cb.pid, cc.pid]),
       "--runtimes docker,containerd: the containers' nslookups are seen")
    check_host_events(evs, "--runtimes docker,containerd")
    usage_error(["run", "trace_dns", "--store", env.store, "-r", "rkt"],
                "--runtimes: runtime 'rkt' is not supported")


@test
def containerimage_flags_select_as_ig(env):
    """run's --containerimage-id and --containerimage-digest (and their
    --runtime-containerimage-* names) as ig's: the containers of the
    images podman inspect tells (.Image, .ImageDigest), 12 characters
    after sha256: compared, !ITEM leaving one out, and no event of the
    host (dnsmasq answers from it); a container of another image (the
    same files, another config) is told apart."""
    other = f"localhost/trace-dns-test-bb2:{TAG}"
    sh(f"tar -C {env.rootfs} -c . | podman import --change ENV=OTHER=1"
       f" - {other}")
    o1, b, o2 = cname("o"), cname("i"), cname("p")
    rs = {}
    try:
        ids = {}
        for image in (IMAGE, other):
            ids[image] = sh(f"podman image inspect -f '{{{{.Id}}}}"
                            f" {{{{.Digest}}}}' {image}").split()
        (iid, idig), (oid, odig) = ids[IMAGE], ids[other]
        check(iid != oid and idig != odig, f"two images: {ids}")
        flags = {"id": ["--containerimage-id", iid],
                 "id cut": ["--runtime-containerimage-id",
                            f"x,sha256:{iid[:12]}"],
                 "digest": ["--containerimage-digest", idig[7:19]],
                 "not id": ["--containerimage-id", f"!{iid}"],
                 "not digest": ["--runtime-containerimage-digest",
                                f"!{idig},{odig}"]}
        for what, f in flags.items():
            rs[what] = tracer(env, *f)
        co1 = Held(env, o1, image=other)
        cb = Held(env, b)
        co2 = Held(env, o2, image=other)
        eq(cb.image()[1:], (iid, idig), f"podman inspect of {b}")
        eq(co1.image()[1:], (oid, odig), f"podman inspect of {o1}")
        # o1, then b, then o2: b's responses come after all of o1's, o2's
        # after all of b's
        co1.release()
        cb.release()
        co2.release()
        wait_responses([(w, rs[w], b) for w in ("id", "id cut", "digest")] +
                       [(w, rs[w], o2) for w in ("not id", "not digest")])
    finally:
        stop_all(list(rs.values()))
        sh(f"podman rm -f {o1} {b} {o2}", check_rc=False)
        sh(f"podman rmi {other}", check_rc=False)
    for what, x in rs.items():
        evs = json_lines(x.stdout())
        mine = (cb,) if what in ("id", "id cut", "digest") else (co1, co2)
        for c in mine:
            check_container_events(evs, c, what,
                                   image=IMAGE if c is cb else other)
        eq({e["runtime"]["containerName"] for e in evs},
           {c.name for c in mine}, f"{what}: the containers of its events")
    p = subprocess.run([RUNNER, "run", "trace_dns", "--store", env.store,
                        "--containerimage-digest", "a,,b"],
                       capture_output=True, text=True, timeout=60)
    eq(p.returncode, 2, "exit status of --containerimage-digest a,,b")
    eq(p.stderr.count("\n"), 1, f"one error line: {p.stderr!r}")


@test
def default_columns_lead_with_container_name(env):
    """As `ig run trace_dns` on a host: RUNTIME.CONTAINERNAME first."""
    c = None
    r = tracer(env, mode="columns")
    try:
        c = Held(env, cname("d"))
        c.release()
        pids = (c.pid, env.dnsmasq.pid)

        def rows():
            lines = r.stdout().splitlines()
            if len(lines) < 9:
                return None
            got = [ln for ln in lines[1:]
                   if header_cell(lines[0], ln, "PID") in map(str, pids)]
            return (lines[0], got) if len(got) >= 8 else None
        header, got = wait_until(rows, what="8 rows of the query")
    finally:
        stop_all([r])
    eq(header.split(),
       ["RUNTIME.CONTAINERNAME", "SRC", "DST", "COMM", "PID", "QR", "QTYPE",
        "NAME", "RCODE", "ADDRESSES", "LATENCY_NS", "UNANSWERED"],
       "the default columns")
    for row in got:
        pid = header_cell(header, row, "PID")
        want = c.name if pid == str(c.pid) else ""
        eq(header_cell(header, row, "RUNTIME.CONTAINERNAME"), want,
           f"RUNTIME.CONTAINERNAME of pid {pid} in {row!r}")
    eq(sum(1 for row in got if header_cell(header, row, "PID") ==
           str(c.pid)), 4, "rows of the container's nslookup")


@test
def host_processes_have_empty_container_fields(env):
    nslookup = os.path.join(env.tmp, "nslookup")
    if not os.path.exists(nslookup):
        os.symlink("/bin/busybox", nslookup)
    name = cname("h")
    r = tracer(env)
    try:
        pid, out = run_client(env.ns, f"{nslookup} {name}.web.test 127.0.0.1")
        check(WEB4 in out, f"host nslookup: {out}")
        evs = wait_json(r, responded(name), n=2)
        evs = upto_marker(env, r)
    finally:
        stop_all([r])
    mine = [e for e in evs if e["name"] == qname(name)]
    eq(sorted({e["proc"]["pid"] for e in mine}),
       sorted([pid, env.dnsmasq.pid]), "client and server of the query")
    eq(len(mine), 8, "events of the query")
    check_host_events(mine, "host process")


@test
def short_lived_containers_each_named(env):
    """`podman run --name N IMAGE nslookup ...` three times in a row, as a
    user would: nslookup ends within milliseconds of its last packet (the
    runner may not have seen the process yet), and the kernel gives the
    next container the same mount namespace number at once (a name kept
    for that number would be the previous container's)."""
    r = tracer(env)
    names, ids = [], {}
    try:
        for tag in "xyz":
            n = cname(tag)
            names.append(n)
            env.containers.append(n)
            out = sh(f"{PODMAN_RUN} --network ns:/run/netns/{env.ns.name}"
                     f" --name {n} {IMAGE} nslookup {n}.web.test 127.0.0.1")
            check(WEB4 in out, f"nslookup in {n}: {out}")
            ids[n] = sh(f"podman inspect -f '{{{{.Id}}}}' {n}").strip()
        for n in names:
            wait_json(r, responded(n), n=2)
        evs = upto_marker(env, r)
    finally:
        stop_all([r])
    bad = []
    for n in names:
        got = {(e["runtime"]["containerName"], e["runtime"]["containerId"])
               for e in evs if e["name"] == qname(n) and
               e["proc"]["comm"] == "nslookup"}
        if got != {(n, ids[n])}:
            shown = ", ".join(f"{a!r} {b[:12]!r}" for a, b in sorted(got))
            bad.append(f"{n} ({ids[n][:12]}) shown as {shown}")
    if bad:
        raise Fail("events of " + "; ".join(bad))


def stopped_waiting(pid):
    """SIGSTOP pid (a runner) while it waits for events in epoll_wait
    (its loop between two batches, no scan under way); True once it is
    stopped there, else it goes on and False."""
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1]
               .split()[0] == "T", 10, f"runner {pid} stopped")
    with open(f"/proc/{pid}/syscall") as f:
        if f.read().split()[0] in ("232", "281", "441"):  # epoll_*wait
            return True
    os.kill(pid, signal.SIGCONT)
    return False


def take_mntns_number(number):
    """Processes in new mount namespaces (unshare -m, then an exec in it)
    until one has number, which the kernel gives to the next namespace
    made once it is free (the lowest free number); the others hold lower
    numbers meanwhile.  All of them, the last the one with number; none
    when another process took it first (and keeps it)."""
    procs = []
    try:
        for _ in range(200):
            p = subprocess.Popen(["unshare", "-m", "sleep", "600"])
            procs.append(p)
            wait_until(lambda: open(f"/proc/{p.pid}/comm").read() ==
                       "sleep\n", what="unshare -m sleep")
            if os.stat(f"/proc/{p.pid}/ns/mnt").st_ino == number:
                return procs
    except BaseException:
        stop_procs(procs)
        raise
    stop_procs(procs)
    return []


@test
def a_lagging_runner_names_a_container_whose_number_was_reused(env):
    """The runner reads events behind the kernel (a loaded machine): a
    container's queries and responses wait in the ring while it ends and
    the kernel gives its mount namespace number to a new namespace, whose
    first exec the hook tells.  Those events are still the container's:
    a namespace told after an event is not taken in before it, nor is the
    /proc scan (due when the runner goes on) made before the events are
    read (the runner is stopped meanwhile, in its wait for events, which
    then fails with EINTR).  Another process (another test) may take the
    number first: then again, with another container."""
    r = tracer(env)
    holders = []
    try:
        for _ in range(5):
            c = Held(env, cname("l"))
            wait_until(lambda: stopped_waiting(r.proc.pid),
                       what="runner stopped in its wait for events")
            stopped = time.monotonic()
            try:
                c.release()
                holders = take_mntns_number(c.mntns)
                # stopped for over a second: its scan is due on SIGCONT
                time.sleep(max(0.0, stopped + 1.2 - time.monotonic()))
            finally:
                os.kill(r.proc.pid, signal.SIGCONT)
            if holders:
                break
        else:
            raise Fail("each container's mount namespace number was taken"
                       " by another process first")
        wait_json(r, responded(c.name), n=2)
        evs = upto_marker(env, r)
    finally:
        stop_all([r])
        stop_procs(holders)
    check_container_events(evs, c, "events read after the reuse")


@test
def one_shot_containers_exec_events(env):
    """trace_exec and `podman run --rm` three times in a row: the first
    exec in each container (its sh) carries that container's name and id,
    though the kernel often gives each the mount namespace number of the
    one before; the execs of podman, conmon and runc on the host carry none,
    though runc execs a copy of itself from the container's cgroup.  A
    runner started before it attaches trace_exec's hook on the exec first:
    the kernel runs the hooks of a tracepoint in the order they were first
    attached, so the runner's exec events are made before its own exec
    hook's note of the same exec, which for a number given again waits
    behind the events made before it, but for its own process's."""
    host = os.stat("/proc/self/ns/mnt").st_ino
    rs = [Runner(["run", "trace_exec", "-o", "json", "--store", env.store])]
    names, ids = [], {}
    try:
        r = Runner(["run", "trace_exec", "-o", "json", "--store", env.store])
        rs.append(r)
        for tag in "uvw":
            n = cname(tag)
            names.append(n)
            cid = os.path.join(env.tmp, f"{n}.cid")
            sh(f"{PODMAN_RUN} --rm --network none --cidfile {cid}"
               f" --name {n} {IMAGE} sh -c 'exit 0'")
            with open(cid) as f:
                ids[n] = f.read().strip()
        wait_json(r, lambda e: e["runtime"]["containerName"] == names[-1])
        # the marker: one more exec on the host, after the containers
        mark = f"{TAG}-mark"
        sh(f"/bin/true {mark}")
        evs = wait_json(r, lambda e: mark in e["args"])
        evs = evs[:next(i for i, e in enumerate(evs) if mark in e["args"])]
    finally:
        stop_all(rs)
    for n in names:
        got = [(e["proc"]["comm"], e["runtime"]["containerId"])
               for e in evs if e["runtime"]["containerName"] == n]
        eq(got, [("sh", ids[n])], f"exec events named {n}")
    check_host_events([e for e in evs if e["proc"]["mntns_id"] == host],
                      "host exec")
    check(any(e["proc"]["comm"] in ("podman", "conmon", "runc", "exe")
              and e["proc"]["mntns_id"] == host for e in evs),
          "no exec of the container runtime on the host was seen")


@test
def podman_with_another_storage_root_named(env):
    """podman keeps its containers where storage.conf says (graphroot,
    here with --root and the vfs driver, as rootless podman keeps them in
    the user's home): a container there is named from that storage, as
    one in /var/lib/containers, not by its short id without an image.
    The storage is learned from the container's conmon, so the container
    lives a second before its query (docs/limits.md, Containers)."""
    store = os.path.join(env.tmp, "podman-root")
    podman = (f"podman --root {store}/root --runroot {store}/run"
              f" --tmpdir {store}/tmp --storage-driver vfs")
    env.other_podman = podman
    sh(f"tar -C {env.rootfs} -c . | {podman} import - {IMAGE}")
    n = cname("o")
    r = tracer(env)
    try:
        out = sh(f"{podman} {PODMAN_RUN[len('podman '):]}"
                 f" --network ns:/run/netns/{env.ns.name} --name {n}"
                 f" {IMAGE} sh -c 'sleep 1; exec nslookup {n}.web.test"
                 f" 127.0.0.1'")
        check(WEB4 in out, f"nslookup in {n}: {out}")
        cid = sh(f"{podman} inspect -f '{{{{.Id}}}}' {n}").strip()
        wait_json(r, responded(n), n=2)
        evs = upto_marker(env, r)
    finally:
        stop_all([r])
    mine = [e["runtime"] for e in evs if e["name"] == qname(n) and
            e["proc"]["comm"] == "nslookup"]
    eq(len(mine), 4, f"nslookup events of {n}")
    for rt in mine:
        eq(rt, {"containerName": n, "containerId": cid,
                "runtimeName": "podman", "containerImageName": IMAGE},
           f"runtime of {n}")


@test
def unanswered_query_of_an_ended_container_named(env):
    """A `podman run --rm` container asks 127.0.0.2, where nothing answers
    (refused at once), and ends; the gadget reports the query unanswered
    seconds later, when the runner has seen the container's mount
    namespace go from /proc: the event of the sent query (the one
    received on lo has no process) still carries the container's name
    and id, and -c NAME keeps it.  The test holds the namespace (an open
    fd, no process in it), so that no other namespace made meanwhile on
    the machine takes its number."""
    n = cname("q")
    r = tracer(env)
    rc = tracer(env, "-c", n)
    held = None

    def unanswered(e):
        return e["name"] == qname(n) and e["unanswered"]

    def sent(e):
        return unanswered(e) and e["proc"]["comm"] == "nslookup"
    try:
        c = Held(env, n, server="127.0.0.2", rm=True)
        held = os.open(f"/proc/{c.pid}/ns/mnt", os.O_RDONLY)
        c.go()
        wait_until(lambda: not sh(f"podman ps -aq --filter name=^{n}$")
                   .strip(), what=f"{n} ended and removed (--rm)")
        evs = [e for e in wait_json(r, sent) if sent(e)]
        for e in evs:
            eq((e["runtime"]["containerName"], e["runtime"]["containerId"],
                e["proc"]["mntns_id"]), (n, c.id, c.mntns),
               f"container of the unanswered {e['qtype']} query")
        # the same events: in the -c runner by now, or never
        kept = [e for e in wait_json(rc, sent, n=len(evs))
                if unanswered(e)]
    finally:
        if held is not None:
            os.close(held)
        stop_all([r, rc])
    eq(len(kept), len(evs), f"-c {n}: its unanswered events")
    eq({e["runtime"]["containerName"] for e in kept}, {n},
       f"-c {n}: the containers of its events")


# A host process that unshares its mounts and never execs (the exec hook
# tells nothing of its namespace), then asks NAME<i>.web.test from netns
# argv[1] every 0.2 s; it prints its mount namespace first.
UNSHARED = r"""
import ctypes, os, socket, struct, sys, time
libc = ctypes.CDLL(None, use_errno=True)
if libc.setns(os.open(sys.argv[1], os.O_RDONLY), 0x40000000) or \
        libc.unshare(0x00020000):
    sys.exit("setns, unshare: " + os.strerror(ctypes.get_errno()))
print(os.stat("/proc/self/ns/mnt").st_ino, flush=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
for i in range(100):
    q = struct.pack(">6H", i, 0x100, 1, 0, 0, 0) + b"".join(
        bytes([len(p)]) + p.encode()
        for p in f"{sys.argv[2]}{i}.web.test".split(".")) + b"\0\0\1\0\1"
    s.sendto(q, ("127.0.0.1", 53))
    try:
        s.recv(512)
    except OSError:
        pass
    time.sleep(0.2)
"""


@test
def unshared_namespace_after_a_container_not_named(env):
    """The kernel gives a freed mount namespace number to the next
    namespace at once; when that is a host process's that never execs,
    the exec hook does not tell it: it is not the ended container's for
    longer than the next scan of /proc."""
    p = None
    r = tracer(env)
    try:
        for attempt in range(5):
            c = Held(env, cname("n"))
            c.release()
            p = subprocess.Popen(
                [sys.executable, "-c", UNSHARED,
                 f"/run/netns/{env.ns.name}", c.name],
                stdout=subprocess.PIPE, text=True)
            if int(p.stdout.readline()) == c.mntns:
                break
            p.kill()  # another namespace took the number: again
            p.wait()
            p = None
        check(p, "no namespace got an ended container's number")
        wait_json(r, lambda e: e["proc"]["pid"] == p.pid and
                  e["runtime"]["containerName"] == "")
    finally:
        if p:
            p.kill()
            p.wait()
        stop_all([r])


def first_query(env, name, run):
    """run(): a container NAME whose first action is nslookup
    NAME.web.test 127.0.0.1 in a network namespace of its own (no server
    there: the query is refused at once, nothing is asked again).  That
    query is seen in the container's namespace, with its process and
    name: the runtime bind-mounted the namespace before the process ran,
    and the runner took it in at that mount, not at its next scan."""
    host = os.stat("/proc/self/ns/net").st_ino
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store],
               env={"RUNNER_DOCKER_ROOT": env.docker.root}
               if env.docker else None)
    try:
        run()
        evs = upto_marker(env, r)
    finally:
        stop_all([r])
    mine = [e for e in evs if e["name"] == qname(name) and e["qr"] == "Q"]
    check(mine, f"no event of {name}'s query in its namespace: the "
          "namespace was taken in after the container's process ran")
    for e in mine:
        check(e["netns_id"] not in (host, env.inode),
              f"{name}'s query in namespace {e['netns_id']}")
    # the sent packet's (the one received on lo has no process)
    got = {(e["proc"]["comm"], e["runtime"]["containerName"]) for e in mine}
    check(("nslookup", name) in got,
          f"process and container of {name}'s query: {sorted(got)}")


@test
def podman_first_query_seen_in_its_own_namespace(env):
    """`podman run --rm IMAGE nslookup ...` on podman's own network."""
    name = cname("f")
    env.containers.append(name)
    first_query(env, name, lambda: sh(
        f"{PODMAN_RUN} --rm --name {name} {IMAGE}"
        f" nslookup {name}.web.test 127.0.0.1", check_rc=False))


@test
def podman_network_none_first_query_seen(env):
    """`podman run --rm --network none IMAGE nslookup ...`: runc makes the
    namespace and nobody bind-mounts it; the runner takes it in at the
    container's first exec (its exec hook), before nslookup sends."""
    name = cname("n")
    env.containers.append(name)
    first_query(env, name, lambda: sh(
        f"{PODMAN_RUN} --rm --network none --name {name} {IMAGE}"
        f" nslookup {name}.web.test 127.0.0.1", check_rc=False))


@test
def docker_first_query_seen_in_its_own_namespace(env):
    """`docker run --rm --network none IMAGE nslookup ...`: docker
    bind-mounts the namespace under its exec root."""
    def run(env, d):
        docker_image(env, d)
        name = cname("g")
        d.names.append(name)
        first_query(env, name, lambda: sh(
            f"{DOCKER} -H unix://{d.sock} run --rm --network none"
            f" --name {name} {DOCKER_IMAGE}"
            f" nslookup {name}.web.test 127.0.0.1", check_rc=False))
    with_docker(env, run)


# ---- list-containers --------------------------------------------------------


def list_containers(*flags, env=None):
    """`runner list-containers FLAGS`: its stdout (exit status 0)."""
    p = subprocess.run([RUNNER, "list-containers", *flags],
                       capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, **(env or {})))
    eq(p.returncode, 0, f"list-containers {flags}: {p.stderr}")
    return p.stdout


def listed(*flags, env=None):
    """`list-containers -o json FLAGS`, by container id (none: null, as
    ig prints it)."""
    out = json.loads(list_containers("-o", "json", *flags, env=env))
    check(out is None or (isinstance(out, list) and out),
          f"-o json printed {out!r}")
    return {c["runtime"]["containerId"]: c for c in out or []}


def check_listed(c, entry, runtime, image, image_id, digest=None):
    """A list-containers entry against what the runtime (inspect) and /proc
    tell of c: its runtime.* (image_id, digest as the runtime reports
    them), namespaces, start and cgroups."""
    want = {"runtimeName": runtime, "containerId": c.id,
            "containerName": c.name, "containerPid": c.pid,
            "containerImageName": image, "containerImageId": image_id,
            "containerStartedAt": entry["runtime"].get("containerStartedAt")}
    if digest:  # left out when none, as Go's omitempty leaves it
        want["containerImageDigest"] = digest
    eq(entry["runtime"], want, f"runtime of {c.name}")
    eq(entry["mntns"], c.mntns, f"mntns of {c.name}")
    eq(entry["netns"], os.stat(f"/proc/{c.pid}/ns/net").st_ino,
       f"netns of {c.name}")
    # its first process started between the container's creation and the
    # moment the runtime says it started it (after `runc create` made it)
    created, started = c.times()
    at = entry["runtime"]["containerStartedAt"]
    check(created <= at <= started,
          f"containerStartedAt {at} of {c.name} not within its creation "
          f"{created} and start {started}")
    check_cgroups(c, entry)


def check_cgroups(c, entry):
    """cgroupV1 (name=systemd), cgroupV2, cgroupPath and cgroupID as
    /proc/PID/cgroup, the mount table and the cgroup's folder tell."""
    v1 = v2 = ""
    with open(f"/proc/{c.pid}/cgroup") as f:
        for line in f.read().splitlines():
            n, ctl, path = line.split(":", 2)
            path = "" if path == "/" else path
            if ctl == "name=systemd":
                v1 = path
            elif n == "0" and ctl == "":
                v2 = path
    with open("/proc/self/mounts") as f:
        mounts = {ln.split()[1]: ln.split()[2] for ln in f}
    mnt = next(m for m in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")
               if mounts.get(m) == "cgroup2")
    check(v2, f"no cgroup v2 path for {c.name}")
    want = {"cgroupPath": mnt + v2,
            "cgroupID": os.stat(mnt + v2).st_ino,  # kernfs: the id
            "cgroupV2": v2}
    if v1:
        want["cgroupV1"] = v1
    eq({k: entry.get(k) for k in ("cgroupPath", "cgroupID", "cgroupV1",
                                  "cgroupV2") if k in entry or k in want},
       want, f"cgroups of {c.name}")


def rfc3339_ns(text):
    """Nanoseconds since 1970 of an RFC 3339 time with up to 9 digits of
    fraction (docker inspect's)."""
    m = re.fullmatch(r"(.*?)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)", text)
    check(m, f"not an RFC 3339 time: {text!r}")
    zone = "+00:00" if m.group(3) == "Z" else m.group(3)
    sec = datetime.datetime.fromisoformat(m.group(1) + zone).timestamp()
    return int(sec) * 10**9 + int((m.group(2) or "0").ljust(9, "0"))


@test
def list_containers_shows_podman_container(env):
    c = Held(env, cname("l"))
    try:
        got = listed()
        check(c.id in got, f"{c.name} ({c.id}) not in {list(got)}")
        check_listed(c, got[c.id], "podman", *c.image())
        # the OCI config podman gave its runtime, and its bundle
        config = c.inspect("{{.OCIConfigPath}}")
        with open(config) as f:
            eq((got[c.id].get("ociConfig"), got[c.id].get("bundle")),
               (f.read(), os.path.dirname(config)), "ociConfig, bundle")
        check("sandboxId" not in got[c.id], "a sandbox of no CRI pod")
        # the columns: ig's header, the container's row
        rows = [ln.split() for ln in list_containers().splitlines()]
        eq(rows[0], ["RUNTIME.RUNTIMENAME", "RUNTIME.CONTAINERID",
                     "RUNTIME.CONTAINERNAME", "RUNTIME.CONTAINERPID",
                     "RUNTIME.CONTAINERIMAGENAME"], "header")
        check(["podman", c.id, c.name, str(c.pid), IMAGE] in rows,
              f"no row of {c.name} in {rows}")
        rows = [ln.split() for ln in list_containers(
            "-o", "columns=runtime.containerName,mntns").splitlines()]
        eq(rows[0], ["RUNTIME.CONTAINERNAME", "MNTNS"], "columns= header")
        check([c.name, str(c.mntns)] in rows, f"{c.name} in {rows}")
        # ig's hidden runtime columns; the start as ig's types.Time prints
        at = got[c.id]["runtime"]["containerStartedAt"]
        local = datetime.datetime.fromtimestamp(at // 10**9).astimezone()
        zone = local.strftime("%z")
        zone = "Z" if zone == "+0000" else f"{zone[:3]}:{zone[3:]}"
        rows = [ln.split() for ln in list_containers(
            "-c", c.name, "-o", "columns=runtime.containerImageID,"
            "runtime.containerImageDigest,runtime.containerStartedAt"
        ).splitlines()]
        eq(rows, [["RUNTIME.CONTAINERIMAGEID", "RUNTIME.CONTAINERIMAGEDIGEST",
                   "RUNTIME.CONTAINERSTARTEDAT"],
                  [c.inspect("{{.Image}}"), c.inspect("{{.ImageDigest}}"),
                   local.strftime("%Y-%m-%dT%H:%M:%S")
                   + f".{at % 10**9:09d}{zone}"]], "hidden columns")
    finally:
        c.release()


@test
def list_containers_json_of_none_is_null(env):
    """No container selected: -o json prints null, as ig marshals its
    empty (nil) list; the columns, the header alone."""
    eq(list_containers("-o", "json", "-c", "no-such-container"), "null\n",
       "-o json of none")
    eq(list_containers("-c", "no-such-container").split(),
       ["RUNTIME.RUNTIMENAME", "RUNTIME.CONTAINERID",
        "RUNTIME.CONTAINERNAME", "RUNTIME.CONTAINERPID",
        "RUNTIME.CONTAINERIMAGENAME"], "columns of none")


@test
def list_containers_c_filters_as_run(env):
    a, b = Held(env, cname("f")), Held(env, cname("g"))
    try:
        eq(list(listed("-c", a.name)), [a.id], f"-c {a.name}")
        eq(sorted(listed("--containername", f"{a.name},{b.name}")),
           sorted([a.id, b.id]), "-c A,B")
        got = listed("-c", f"!{a.name}")
        check(b.id in got and a.id not in got, f"-c !{a.name}: {got}")
        eq(listed("-c", a.name, "-r", "docker"), {}, "-r docker")
        eq(list(listed("-c", a.name, "-r", "docker,podman")), [a.id],
           "-r docker,podman")
        eq(listed("-c", a.name, "--k8s-namespace", "default"), {},
           "a podman container is in no pod")
        # the image, as ig compares it: 12 characters after sha256:
        _, image_id, digest = a.image()
        both = sorted([a.id, b.id])
        for flag, value, want in (
                ("--containerimage-id", image_id, both),
                ("--containerimage-id", f"sha256:{image_id[:12]}", both),
                ("--runtime-containerimage-id", f"x,{image_id[:12]}zz",
                 both),
                ("--containerimage-id", f"!{image_id}", []),
                ("--containerimage-digest", digest, both),
                ("--containerimage-digest", digest[7:19], both),
                ("--runtime-containerimage-digest", f"!{digest}", []),
                ("--containerimage-digest", image_id, [])):
            got = sorted(i for i in listed(flag, value, "-c",
                                           f"{a.name},{b.name}"))
            eq(got, want, f"{flag} {value}")
    finally:
        a.release()
        b.release()
    for bad in (["-r", "rkt"], ["--containerimage-id", "a,,b"],
                ["--containerimage-digest", "!"]):
        p = subprocess.run([RUNNER, "list-containers", *bad],
                           capture_output=True, text=True, timeout=60)
        eq(p.returncode, 2, f"exit status of {bad}")
        eq(p.stderr.count("\n"), 1, f"one error line: {p.stderr!r}")


@test
def list_containers_watch_ends_when_its_reader_goes(env):
    """--watch | a reader that goes away: the next event's write fails
    (EPIPE) and the watch ends with status 0, as run does, not killed by
    SIGPIPE."""
    w = subprocess.Popen([RUNNER, "list-containers", "--watch"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    c = None
    try:
        check(w.stdout.readline().startswith(b"TIMESTAMP"), "header")
        w.stdout.close()  # the reader goes
        c = Held(env, cname("p"))  # an event to write
        rc = w.wait(timeout=60)
    finally:
        if w.poll() is None:
            w.kill()
            w.wait()
        if c:
            c.release()
    eq(rc, 0, f"exit status ({w.stderr.read().decode()!r})")


@test
def list_containers_loads_nothing_but_watch_loads_the_hook(env):
    """A list reads /proc and the runtimes' state: no bpf(2) call.  A watch
    loads the exec hook that tells a new container at its first exec."""
    def bpf_calls(*flags):
        log = os.path.join(env.tmp, "strace.log")
        sh(f"strace -f -qq -o {log} -e trace=bpf {RUNNER} list-containers "
           + " ".join(flags))
        with open(log) as f:
            return [ln for ln in f if "bpf(" in ln]
    calls = bpf_calls()
    eq(len(calls), 0, f"bpf(2) calls of a list (the first: {calls[:1]})")
    calls = bpf_calls("--watch", "--timeout", "1")
    check(any("BPF_PROG_LOAD" in c for c in calls),
          f"--watch loaded no program: {calls[:5]}")


@test
def list_containers_watch_tells_created_and_deleted(env):
    a = Held(env, cname("w"))
    path = os.path.join(env.tmp, "watch.json")
    with open(path, "w") as out:
        w = subprocess.Popen([RUNNER, "list-containers", "--watch",
                              "-o", "json"], stdout=out,
                             stderr=subprocess.PIPE, text=True)
    b = None

    def events():
        with open(path) as f:
            return json_stream(f.read())

    def told(event, c):
        return [e for e in events() if e["event"] == event and
                e["container"]["runtime"]["containerId"] == c.id]
    try:
        # the containers there before it: listed as CREATED
        e = wait_until(lambda: told("CREATED", a), what="a listed")[0]
        check_listed(a, e["container"], "podman", *a.image())
        t0 = int(time.time())
        b = Held(env, cname("w"))
        e = wait_until(lambda: told("CREATED", b), what="b CREATED")[0]
        t1 = time.time()
        check_listed(b, e["container"], "podman", *b.image())
        # the time it was told, as Go's time.RFC3339 writes the local time
        check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d"
                           r"(Z|[+-]\d\d:\d\d)", e["timestamp"]),
              f"timestamp {e['timestamp']!r}")
        ts = datetime.datetime.fromisoformat(
            e["timestamp"].replace("Z", "+00:00")).timestamp()
        check(t0 <= ts <= t1, f"timestamp {e['timestamp']!r} not between "
              f"{t0} and {t1}")
        b.release()  # it ends
        e = wait_until(lambda: told("DELETED", b), what="b DELETED")[0]
        eq(e["container"]["runtime"]["containerName"], b.name,
           "name of the deleted")
        check(not told("DELETED", a), "a told DELETED while it runs")
        eq(w.poll(), None, "watch ended")
    finally:
        w.terminate()
        _, err = w.communicate(timeout=60)
        a.release()
    eq(w.returncode, 0, f"exit status of --watch ({err})")


@test
def list_containers_watch_selects_as_run(env):
    """--watch with -c and --containerimage-id: each must hold, for the
    containers listed at its start and those it is told of after (run's
    container_select_match() in both)."""
    x = Held(env, cname("s"))
    _, image_id, _ = x.image()
    path = os.path.join(env.tmp, "watch-select.json")
    with open(path, "w") as out:
        w = subprocess.Popen([RUNNER, "list-containers", "--watch",
                              "-o", "json", "-c", f"!{x.name}",
                              "--containerimage-id", image_id[:12]],
                             stdout=out, stderr=subprocess.PIPE, text=True)
    y = None

    def told(event, c):
        with open(path) as f:
            return [e for e in json_stream(f.read()) if e["event"] == event
                    and e["container"]["runtime"]["containerId"] == c.id]
    try:
        y = Held(env, cname("s"))
        wait_until(lambda: told("CREATED", y), what="y CREATED")
        y, gone = None, y
        gone.release()
        wait_until(lambda: told("DELETED", gone), what="y DELETED")
        eq(told("CREATED", x) + told("DELETED", x), [],
           f"events of {x.name}, left out by -c")
    finally:
        w.terminate()
        _, err = w.communicate(timeout=60)
        x.release()
        if y:
            y.release()
    eq(w.returncode, 0, f"exit status of --watch ({err})")


@test
def list_containers_watch_reads_a_listed_container_once(env):
    """--watch -o json lists the containers there, then takes them in
    quietly: a listed one is taken in as listed, its image, start and
    cgroups not read again (podman's images.json opened once)."""
    a = Held(env, cname("o"))
    log = os.path.join(env.tmp, "strace-watch.log")
    try:
        out = sh(f"strace -f -qq -o {log} -e trace=openat {RUNNER}"
                 f" list-containers --watch -o json -c {a.name}"
                 " --timeout 1")
        e = [e for e in json_stream(out) if e["event"] == "CREATED"]
        eq(len(e), 1, f"CREATED events: {out!r}")
        check_listed(a, e[0]["container"], "podman", *a.image())
    finally:
        a.release()
    with open(log) as f:
        opens = [ln for ln in f if "overlay-images/images.json" in ln]
    eq(len(opens), 1, f"opens of images.json: {opens}")


# ---- docker (when its daemon can start) -------------------------------------


class PidNet:
    """The network namespace of a process, for dnsmasq() and dig."""

    def __init__(self, pid):
        self.path = f"/proc/{pid}/ns/net"
        self.name = f"net namespace of pid {pid}"

    def run(self, cmd, **kw):
        return sh(f"nsenter --net={self.path} {cmd}", **kw)

    def popen(self, cmd, **kw):
        return subprocess.Popen(f"exec nsenter --net={self.path} {cmd}",
                                shell=True, **kw)

    def inode(self):
        return os.stat(self.path).st_ino


class Docker:
    """dockerd started by the test, its own in everything, so that it runs
    next to any Docker already on the machine: data root, exec root,
    socket, pid file and containerd namespaces in the test's folder; no
    iptables, no bridge.  The runner is told the data root (where it reads
    container names) by RUNNER_DOCKER_ROOT."""

    def __init__(self, tmp):
        self.dir = tempfile.mkdtemp(prefix="docker-", dir=tmp)  # one each
        self.sock = os.path.join(self.dir, "docker.sock")
        self.root = os.path.join(self.dir, "data")
        self.log = open(os.path.join(self.dir, "dockerd.log"), "w+")
        self.proc = subprocess.Popen(
            ["dockerd", "--iptables=false", "--ip6tables=false",
             "--bridge=none", "-H", f"unix://{self.sock}",
             "--pidfile", os.path.join(self.dir, "docker.pid"),
             "--data-root", self.root,
             "--exec-root", os.path.join(self.dir, "exec"),
             "--containerd-namespace", f"{TAG}-moby",
             "--containerd-plugins-namespace", f"{TAG}-plugins"],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.names, self.image = [], False

    def wait_ready(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            p = subprocess.run(f"{DOCKER} -H unix://{self.sock} version",
                               shell=True, capture_output=True, timeout=300)
            if p.returncode == 0:
                return True
            time.sleep(0.2)
        return False

    def cli(self, args):
        return sh(f"{DOCKER} -H unix://{self.sock} {args}")

    def why(self):
        self.log.flush()
        with open(self.log.name) as f:
            lines = [ln.strip() for ln in f if ln.strip()]
        return lines[-1][-200:] if lines else "no log"

    def stop(self):
        for n in self.names:
            sh(f"{DOCKER} -H unix://{self.sock} rm -f {n}", check_rc=False)
        if self.image:
            sh(f"{DOCKER} -H unix://{self.sock} rmi {DOCKER_IMAGE}",
               check_rc=False)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=60)
        self.log.close()


def with_docker(env, fn):
    """fn(env, d) with a dockerd d of the test's own, stopped after."""
    check(shutil.which("dockerd") and os.path.exists(DOCKER),
          "dockerd or /usr/bin/docker is not installed (docker.io)")
    d = env.docker = Docker(env.tmp)
    try:
        fn(env, d)
    finally:
        env.docker = None
        d.stop()


@test
def docker_container_events_carry_runtime_fields(env):
    with_docker(env, docker_query)


def docker_image(env, d):
    """Once d is ready, the busybox image imported there."""
    if not d.wait_ready():
        raise Fail(f"dockerd did not start: {d.why()}")
    sh(f"tar -C {env.rootfs} -c . | {DOCKER} -H unix://{d.sock}"
       f" import - {DOCKER_IMAGE}")
    d.image = True


def docker_query(env, d):
    docker_image(env, d)
    name = cname("k")
    d.names.append(name)
    c = Held(env, name, engine="docker")
    # its network namespace is its own (--network none): a server there
    net = PidNet(c.pid)
    srv = dnsmasq(net, env.tmp, "127.0.0.1", name="dnsmasq-docker")
    env.procs.append(srv)
    rs = [Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                  "-F", f"netns_id=={net.inode()}", *f],
                 env={"RUNNER_DOCKER_ROOT": d.root})
          for f in ([], ["--containerimage-id", c.inspect("{{.Image}}")])]
    r, sel = rs
    try:
        c.release()
        wait_json(r, responded(name), n=2)
        sevs = wait_json(sel, responded(name), n=2)
        evs = upto_marker(env, r, ns=PidNet(srv.pid))
    finally:
        stop_all(rs)
        srv.terminate()
        srv.wait(timeout=60)
    check_container_events(evs, c, "docker", image=DOCKER_IMAGE,
                           runtime="docker")
    # by the image id docker inspect tells: the container's events only
    what = "--containerimage-id (docker)"
    check_container_events(sevs, c, what, image=DOCKER_IMAGE,
                           runtime="docker")
    eq({e["runtime"]["containerName"] for e in sevs}, {name},
       f"{what}: the containers of its events")
    check_host_events([e for e in evs if e["proc"]["pid"] == srv.pid],
                      "dnsmasq")


@test
def list_containers_shows_docker_container(env):
    with_docker(env, docker_list)


def docker_list(env, d):
    docker_image(env, d)
    name = cname("d")
    d.names.append(name)  # d.stop() removes it, still waiting
    c = Held(env, name, engine="docker")
    got = listed("-r", "docker", env={"RUNNER_DOCKER_ROOT": d.root})
    check(c.id in got, f"{name} ({c.id}) not in {list(got)}")
    # an image never pushed or pulled has no digest
    eq(sh(f"{c.cli} image inspect -f '{{{{.RepoDigests}}}}' "
          f"{DOCKER_IMAGE}").strip(), "[]", "RepoDigests before a push")
    check_listed(c, got[c.id], "docker", c.inspect("{{.Config.Image}}"),
                 c.inspect("{{.Image}}"))
    # the spec dockerd gave its containerd, as the bundle holds it
    sock = os.path.join(d.dir, "exec", "containerd", "containerd.sock")
    spec = json.loads(sh(f"ctr -a {sock} -n {TAG}-moby container info"
                         f" {c.id}"))["Spec"]
    eq(json.loads(got[c.id]["ociConfig"]), spec, "ociConfig")
    # pushed: the digest the registry gave, as docker's RepoDigests says
    reg = Registry(env.tmp, "registry")
    try:
        ref = f"{reg.host}/bb:{TAG}"
        d.cli(f"tag {DOCKER_IMAGE} {ref}")
        d.cli(f"push {ref}")
        digest = sh(f"{c.cli} image inspect -f '{{{{index .RepoDigests 0}}}}'"
                    f" {DOCKER_IMAGE}").strip().split("@")[1]
        got = listed("-r", "docker", env={"RUNNER_DOCKER_ROOT": d.root})
        check_listed(c, got[c.id], "docker", c.inspect("{{.Config.Image}}"),
                     c.inspect("{{.Image}}"), digest)
        # run by name@digest: the name, as ig's docker client cuts it
        by_digest = cname("e")
        d.names.append(by_digest)
        cid = d.cli(f"run -d --network none --name {by_digest}"
                    f" {reg.host}/bb@{digest} sleep 1000").strip()
        eq(sh(f"{c.cli} inspect -f '{{{{.Config.Image}}}}' {by_digest}"
              ).strip(), f"{reg.host}/bb@{digest}", "docker's Config.Image")
        got = listed("-r", "docker", "-c", by_digest,
                     env={"RUNNER_DOCKER_ROOT": d.root})
        eq(got[cid]["runtime"]["containerImageName"], f"{reg.host}/bb",
           "image name of a container run by name@digest")
        d.cli(f"rmi {ref}")
    finally:
        reg.stop()


if __name__ == "__main__":
    main(setup, teardown)
