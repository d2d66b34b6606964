#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A raw tracepoint gadget (tests/fixtures/raw_tp: sys_enter, one event per
system call) run by the runner: the --pid, --tid and --gid filters of
gadget/filter.h, lost events counted and reported as they happen when the
reader is stopped (its ring buffer is 16 KiB), and SIGTERM stopping with
the summary line.

The traced processes are our own python children that make getppid(2)
calls on command, from their main thread or from another thread, so that
the test knows how many events each pid, tid and gid must give.  Every
count is exact: "nothing else arrived" is checked with a marker call made
after everything else, never with a sleep.
"""
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, WAIT, Runner, check, eq, fdinfos, main, test  # noqa: E402
from gadget_env import build_images, json_lines, wait_json  # noqa: E402

NOBODY = 65534
GETPPID = {"x86_64": 110, "aarch64": 173}[platform.machine()]

CHILD = r"""
import os, sys, threading
def calls(n):
    for _ in range(n):
        os.getppid()
print("ready", flush=True)
for line in sys.stdin:
    where, n = line.split()
    if where == "main":
        calls(int(n))
        tid = threading.get_native_id()
    else:
        got = []
        t = threading.Thread(target=lambda: (calls(int(n)),
                             got.append(threading.get_native_id())))
        t.start()
        t.join()
        tid = got[0]
    print("done", tid, flush=True)
"""


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="raw-tp-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.children = []
    try:
        env.child_py = os.path.join(env.tmp, "child.py")
        with open(env.child_py, "w") as f:
            f.write(CHILD)
        os.chmod(env.tmp, 0o755)
        os.chmod(env.child_py, 0o644)
        build_images(env.store, {"raw_tp:latest":
                                 f"{ROOT}/tests/fixtures/raw_tp"})
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    for c in env.children:
        if c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait(timeout=10)
    shutil.rmtree(env.tmp, ignore_errors=True)


class Child:
    """A python process that makes n getppid() calls when told to."""

    def __init__(self, env, gid=None):
        kw = {} if gid is None else {"group": gid, "extra_groups": []}
        self.proc = subprocess.Popen([sys.executable, env.child_py],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, **kw)
        env.children.append(self)
        self.pid = self.proc.pid
        eq(self.proc.stdout.readline().strip(), "ready", "child")

    def calls(self, n, where="main"):
        """n getppid() calls from the main thread or a new one; its tid."""
        self.proc.stdin.write(f"{where} {n}\n")
        self.proc.stdin.flush()
        words = self.proc.stdout.readline().split()
        check(len(words) == 2 and words[0] == "done", f"child: {words}")
        return int(words[1])


def tracer(env, *flags):
    return Runner(["run", "raw_tp", "-o", "json", "--store", env.store,
                   "--syscall", str(GETPPID), *flags])


def stop(r, sig=signal.SIGINT):
    """Stop r; its exit code must be 0 and its last stderr line the
    summary; returns (events, lost) of the summary."""
    rc = r.stop(sig)
    err = r.stderr()
    eq(rc, 0, f"exit code after signal {sig}; stderr {err[-300:]!r}")
    last = err.splitlines()[-1] if err.strip() else ""
    m = re.fullmatch(r"raw_tp: (\d+) events, (\d+) lost", last)
    check(m, f"summary line: {last!r}")
    out = r.stdout()
    check(out == "" or out.endswith("\n"), "output ends with a whole line")
    eq(int(m.group(1)), len(out.splitlines()), "summary events = lines")
    return int(m.group(1)), int(m.group(2))


def check_event(e, pid, tid, what):
    eq(e["proc"]["pid"], pid, f"{what}: proc.pid")
    eq(e["proc"]["tid"], tid, f"{what}: proc.tid")
    eq(e["proc"]["comm"], "python3", f"{what}: proc.comm")
    eq(e["syscall_nr"], GETPPID, f"{what}: syscall_nr")
    check(e["timestamp_raw"] > 0, f"{what}: timestamp_raw")


@test
def pid_and_tid_filters_keep_one_process_and_one_thread(env):
    a, b = Child(env), Child(env)
    rp = tracer(env, "--pid", str(a.pid))
    rt = tracer(env, "--tid", str(a.pid))  # a's main thread
    try:
        other = a.calls(5, "thread")
        a.calls(4)
        b.calls(3)
        b.calls(2, "thread")
        a.calls(1)  # the marker: after everything else
        wait_json(rp, lambda e: True, n=10)
        wait_json(rt, lambda e: True, n=5)
    finally:
        np, _ = stop(rp)
        nt, _ = stop(rt)
    check(other != a.pid, "a's other thread has its own tid")
    evs = json_lines(rp.stdout())
    eq(np, 10, "--pid: events (5 + 4 + 1 of a)")
    tids = [e["proc"]["tid"] for e in evs]
    eq(tids, [other] * 5 + [a.pid] * 5, "--pid: tids in order")
    for e in evs:
        check_event(e, a.pid, e["proc"]["tid"], "--pid")
    evs = json_lines(rt.stdout())
    eq(nt, 5, "--tid: events (4 + 1 of a's main thread)")
    for e in evs:
        check_event(e, a.pid, a.pid, "--tid")


@test
def gid_filter_keeps_one_group(env):
    root, nobody = Child(env), Child(env, gid=NOBODY)
    r = tracer(env, "--gid", str(NOBODY))
    try:
        nobody.calls(3)
        root.calls(4)
        nobody.calls(1)  # the marker
        wait_json(r, lambda e: True, n=4)
    finally:
        n, _ = stop(r)
    eq(n, 4, "--gid: events (3 + 1 of the nobody group)")
    for e in json_lines(r.stdout()):
        check_event(e, nobody.pid, nobody.pid, "--gid")
        eq(e["proc"]["creds"]["gid"], NOBODY, "--gid: proc.creds.gid")
        eq(e["proc"]["creds"]["uid"], 0, "--gid: proc.creds.uid")


@test
def lost_events_reported_as_they_happen_and_counted(env):
    """A stopped reader: the 16 KiB ring fills; what does not fit is lost,
    reported on stderr while the runner runs, and counted in the summary:
    events + lost = the calls made, exactly."""
    a = Child(env)
    r = tracer(env, "--pid", str(a.pid))
    calls = 20000
    try:
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            a.calls(calls)
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)
        deadline = time.time() + WAIT
        while "lost" not in r.stderr() and time.time() < deadline:
            time.sleep(0.05)
        running = r.proc.poll() is None
        err = r.stderr()
    finally:
        n, lost = stop(r, signal.SIGTERM)
    check(running, "the runner ended before it reported lost events")
    m = re.search(r"^runner: lost (\d+) events \((\d+) in total\)$", err,
                  re.M)
    check(m, f"no lost-events line while running: {err[-300:]!r}")
    check(int(m.group(1)) > 0, f"lost line: {m.group(0)}")
    check(lost >= int(m.group(2)), f"summary lost {lost} < {m.group(2)}")
    check(0 < n < calls, f"{n} events of {calls} calls")
    eq(n + lost, calls, "events + lost")
    for e in json_lines(r.stdout()):
        check_event(e, a.pid, a.pid, "event")


@test
def sigterm_stops_cleanly_with_the_summary(env):
    a = Child(env)
    r = tracer(env, "--pid", str(a.pid))
    try:
        a.calls(7)
        wait_json(r, lambda e: True, n=7)
    finally:
        n, lost = stop(r, signal.SIGTERM)
    eq((n, lost), (7, 0), "summary after SIGTERM")
    for line in r.stdout().splitlines():
        json.loads(line)


def prog_names(pid):
    """The names of the BPF programs process pid holds (its fds)."""
    names = set()
    for i in {int(i["prog_id"]) for i in fdinfos(pid) if "prog_id" in i}:
        out = subprocess.run(["bpftool", "-j", "prog", "show", "id", str(i)],
                             capture_output=True, text=True, check=True)
        names.add(json.loads(out.stdout)["name"])
    return names


@test
def program_marked_not_to_load_is_neither_loaded_nor_attached(env):
    """The fixture's second program on sys_enter, its iterator and its
    socket filter are SEC("?..."): the runner starts without them, and
    each call gives one event."""
    a = Child(env)
    r = tracer(env, "--pid", str(a.pid))
    try:
        a.calls(3)
        wait_json(r, lambda e: True, n=3)
        names = prog_names(r.proc.pid)
        a.calls(1)  # the marker: after everything else
        wait_json(r, lambda e: True, n=4)
    finally:
        n, _ = stop(r)
    check("sys_enter" in names, f"the runner's programs: {sorted(names)}")
    for opt in ("sys_enter_opt", "task_opt", "socket_opt", "netns_disp"):
        check(opt not in names, f"the runner's programs: {sorted(names)}")
    eq(n, 4, "events: one per call")


if __name__ == "__main__":
    main(setup, teardown)
