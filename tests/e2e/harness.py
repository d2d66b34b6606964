# SPDX-License-Identifier: Apache-2.0
"""Tiny end-to-end test harness: TAP output, network namespaces, the runner.

Each tests/e2e/test_*.py registers functions with @test and calls main().
Every test prints one TAP line ("ok - name" or "not ok - name # why");
tests/run.sh counts them.  A test that cannot set up its environment fails.
"""
import fcntl
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback

# A tracer sees every network namespace of the host: `make bench` (which
# holds this lock exclusively) must not flood the tests' runners with its
# load, nor the tests disturb its numbers. Held shared for this file's run
# (in /dev/shm: chroots of the same machine share it).
_lockdir = "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir()
_traffic_lock = open(os.path.join(_lockdir, "runner-dns-traffic.lock"), "w")
fcntl.flock(_traffic_lock, fcntl.LOCK_SH)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
RUNNER = os.path.join(BUILD, "runner")

_tests = []


def test(fn):
    _tests.append(fn)
    return fn


class Fail(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Fail(msg)


def eq(got, want, what):
    if got != want:
        raise Fail(f"{what}: got {got!r}, want {want!r}")


def ok(p, what):
    """A finished `runner` (subprocess.run result) must have exited 0;
    its stdout."""
    if p.returncode != 0:
        raise Fail(f"{what}: exit {p.returncode}: {p.stderr.strip()[-400:]}")
    return p.stdout


def fails(p, what, *needles, code=1):
    """A finished `runner` must have failed with exit code and said so in
    one line `runner: ...` on stderr holding every needle, nothing on
    stdout; that line."""
    if p.returncode != code:
        raise Fail(f"{what}: exit {p.returncode}, want {code}: "
                   f"{p.stdout.strip()[-200:]} {p.stderr.strip()[-300:]}")
    err = p.stderr.strip()
    check(len(err.splitlines()) == 1, f"{what}: not one line: {err!r}")
    check(err.startswith("runner: "), f"{what}: {err!r}")
    for n in needles:
        check(n in err, f"{what}: {err!r} lacks {n!r}")
    check(p.stdout == "", f"{what}: stdout {p.stdout!r}")
    return err


def stop_procs(procs):
    """Terminate background processes (kill those that do not stop)."""
    for p in procs:
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()


def sh(cmd, check_rc=True, **kw):
    """Run a shell command, return its stdout; raise on failure."""
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True, **kw)
    if check_rc and p.returncode != 0:
        raise Fail(f"`{cmd}` exited {p.returncode}: {p.stderr.strip()[-400:]}")
    return p.stdout


def main(setup=None, teardown=None):
    only = sys.argv[1:]
    failed = 0
    ctx = None
    try:
        if setup:
            ctx = setup()
    except Exception as e:  # the environment could not be built: all fail
        for fn in _tests:
            print(f"not ok - {fn.__name__} # setup: {e}", flush=True)
        sys.exit(1)
    try:
        for fn in _tests:
            if only and fn.__name__ not in only:
                continue
            try:
                fn(ctx) if setup else fn()
                print(f"ok - {fn.__name__}", flush=True)
            except Exception as e:
                failed += 1
                detail = str(e) if isinstance(e, Fail) else traceback.format_exc()
                for line in detail.strip().splitlines()[:-1]:
                    print(f"# {line}", flush=True)
                print(f"not ok - {fn.__name__} # {detail.strip().splitlines()[-1] if detail.strip() else ''}", flush=True)
    finally:
        if teardown:
            teardown(ctx)
    sys.exit(1 if failed else 0)


class Netns:
    """A test host: a network namespace joined to others by veth pairs."""

    def __init__(self, name):
        self.name = name
        sh(f"ip netns del {name} 2>/dev/null", check_rc=False)
        sh(f"ip netns add {name}")
        sh(f"ip -n {name} link set lo up")

    def run(self, cmd, **kw):
        return sh(f"ip netns exec {self.name} {cmd}", **kw)

    def popen(self, cmd, **kw):
        return subprocess.Popen(f"exec ip netns exec {self.name} {cmd}",
                                shell=True, **kw)

    def inode(self):
        return os.stat(f"/run/netns/{self.name}").st_ino

    def delete(self):
        sh(f"ip netns del {self.name}", check_rc=False)


def link(a, b, a_addrs, b_addrs, name="veth"):
    """Join netns a and b with a veth pair and give each side addresses."""
    ia, ib = f"{name}a", f"{name}b"
    sh(f"ip -n {a.name} link add {ia} type veth peer name {ib} netns {b.name}")
    for ns, ifname, addrs in ((a, ia, a_addrs), (b, ib, b_addrs)):
        for addr in addrs:
            extra = " nodad" if ":" in addr else ""
            sh(f"ip -n {ns.name} addr add {addr} dev {ifname}{extra}")
        sh(f"ip -n {ns.name} link set {ifname} up")


class Runner:
    """build/runner run ... -o json in the background; events parsed."""

    def __init__(self, args, env=None):
        self.tmp = tempfile.mkdtemp(prefix="runner-e2e-")
        self.ready = os.path.join(self.tmp, "ready")
        self.out = open(os.path.join(self.tmp, "stdout"), "w+")
        self.err = open(os.path.join(self.tmp, "stderr"), "w+")
        e = dict(os.environ)
        e["RUNNER_READY_FILE"] = self.ready
        if env:
            e.update(env)
        self.proc = subprocess.Popen([RUNNER] + args, stdout=self.out,
                                     stderr=self.err, env=e)
        deadline = time.time() + 60
        while not os.path.exists(self.ready):
            if self.proc.poll() is not None:
                raise Fail(f"runner exited {self.proc.returncode}: {self.stderr()}")
            if time.time() > deadline:
                self.proc.kill()
                raise Fail("runner did not become ready")
            time.sleep(0.05)

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Fail("runner did not stop")
        return rc

    def stdout(self):
        self.out.flush()
        with open(self.out.name) as f:
            return f.read()

    def stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def events(self):
        evs = []
        for line in self.stdout().splitlines():
            if line.strip():
                evs.append(json.loads(line))
        return evs

    def wait_for(self, pred, timeout=10):
        """Wait until some event satisfies pred; return the events so far."""
        deadline = time.time() + timeout
        while True:
            evs = []
            for line in self.stdout().splitlines():
                try:
                    evs.append(json.loads(line))
                except ValueError:
                    pass  # a line still being written
            if any(pred(e) for e in evs):
                return evs
            if time.time() > deadline or self.proc.poll() is not None:
                return evs
            time.sleep(0.05)
