# SPDX-License-Identifier: Apache-2.0
"""Tiny end-to-end test harness: TAP output, network namespaces, the runner.

Each tests/e2e/test_*.py registers functions with @test and calls main().
main() first prints the plan ("1..N", from the registered tests), then one
TAP line per test ("ok 3 - name" or "not ok 3 - name # why"); tests/run.sh
counts a planned test that never reported as failed.  A test that cannot set
up its environment fails; nothing is skipped.
"""
import atexit
import fcntl
import json
import os
import shutil
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
BUILD = os.path.abspath(os.environ.get("BUILD", os.path.join(ROOT, "build")))
RUNNER = os.path.join(BUILD, "runner")

# A build elsewhere than build/ (make BUILD=build/asan SANITIZE=1) finds no
# gadget API headers next to itself: image build is told where they are.
if not os.path.isfile(os.path.join(BUILD, "..", "gadget", "include",
                                   "gadget", "macros.h")):
    os.environ.setdefault("RUNNER_GADGET_INCLUDE",
                          os.path.join(ROOT, "gadget", "include"))


def _sanitized(path):
    """Was path built with SANITIZE=1 (AddressSanitizer linked in)?"""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


# A runner built with SANITIZE=1 writes each process's ASan (leak, overflow,
# use after free) or UBSan report to a file of SANITIZER_LOGS; main() fails
# the test after which one holds a report.  ASAN_OPTIONS or UBSAN_OPTIONS
# that already say log_path= are left alone.
SANITIZER_LOGS = None

# LeakSanitizer cannot run under ptrace: at exit it says so and exits with
# ASan's exitcode (1), whatever the process's own status was.  What the
# tests run under `strace` (found in PATH) runs with leak checks off, the
# rest of ASan on.
_STRACE_NO_LEAKS = """#!/bin/sh
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
exec %s "$@"
"""

if _sanitized(RUNNER):
    SANITIZER_LOGS = tempfile.mkdtemp(prefix="runner-e2e-san-")
    os.chmod(SANITIZER_LOGS, 0o1777)  # a runner run as nobody reports too
    atexit.register(shutil.rmtree, SANITIZER_LOGS, ignore_errors=True)
    for _var, _name in (("ASAN_OPTIONS", "asan"), ("UBSAN_OPTIONS", "ubsan")):
        _opts = os.environ.get(_var, "")
        if "log_path=" not in _opts:
            _log = f"log_path={os.path.join(SANITIZER_LOGS, _name)}"
            os.environ[_var] = f"{_opts}:{_log}" if _opts else _log
    _strace = shutil.which("strace")
    if _strace:
        _bin = tempfile.mkdtemp(prefix="runner-e2e-bin-")
        atexit.register(shutil.rmtree, _bin, ignore_errors=True)
        with open(os.path.join(_bin, "strace"), "w") as _f:
            _f.write(_STRACE_NO_LEAKS % _strace)
        os.chmod(os.path.join(_bin, "strace"), 0o755)
        os.environ["PATH"] = f"{_bin}:{os.environ.get('PATH', '')}"


def sanitizer_reports():
    """The reports the sanitized runners wrote since the last call (each
    file's text), their files removed; [] for a runner built without."""
    if not SANITIZER_LOGS:
        return []
    reports = []
    for name in sorted(os.listdir(SANITIZER_LOGS)):
        path = os.path.join(SANITIZER_LOGS, name)
        with open(path, errors="replace") as f:
            text = f.read()
        os.unlink(path)
        if text.strip():
            reports.append(text)
    return reports


def _check_sanitizers():
    """Fail when a sanitized runner reported something; its first lines
    are printed as TAP comments."""
    reports = sanitizer_reports()
    if not reports:
        return
    for text in reports:
        for line in text.strip().splitlines()[:40]:
            print(f"# {line}", flush=True)
    first = next((ln for ln in reports[0].splitlines() if "ERROR" in ln
                  or "runtime error" in ln), reports[0].splitlines()[0])
    raise Fail(f"{len(reports)} sanitizer report(s): {first.strip()}")

_tests = []


def test(fn):
    """Register fn as a test; the plan is the list of registered tests."""
    _tests.append(fn)
    return fn


class Fail(Exception):
    pass


class Stopped(BaseException):
    """SIGTERM (tests/run.sh's timeout) or SIGINT: stop, tear down, report."""


SH_TIMEOUT = 300  # seconds; an external command that hangs fails its test

# Seconds a test waits for what must come (the runner ready, an event, a
# server listening): it goes on as soon as it came, so this only bounds a
# hang.  On a loaded machine (CI's 2 cores, other suites running) what
# takes 50 ms alone can take seconds: a few seconds' deadline there fails
# a test whose feature works.
WAIT = 60


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


def kill_left(p):
    """Kill and reap p if it still runs (a test's finally: it failed)."""
    if p.poll() is None:
        p.kill()
        p.wait()


def exit_status(p, timeout, what):
    """p's exit status once it ended; Fail(what) if it still runs after
    timeout seconds."""
    try:
        return p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Fail(what)


def read_pty(fd):
    """What was written to the other end of pseudo-terminal fd (pty's
    openpty() primary), read until its last writer closed it; fd is
    closed."""
    out = b""
    try:
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: the last writer closed it
                break
            if not data:
                break
            out += data
    finally:
        os.close(fd)
    return out


def sh(cmd, check_rc=True, timeout=SH_TIMEOUT, **kw):
    """Run a shell command, return its stdout; raise on failure or when it
    runs longer than timeout seconds (its whole process group is killed)."""
    p = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True,
                         start_new_session=True, **kw)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _killpg(p)
        raise Fail(f"`{cmd}` still running after {timeout} s: killed")
    except BaseException:
        _killpg(p)
        raise
    if check_rc and p.returncode != 0:
        raise Fail(f"`{cmd}` exited {p.returncode}: {err.strip()[-400:]}")
    return out


def _killpg(p):
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except OSError:
        pass
    try:
        p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        pass


def _stop(signum, frame):
    raise Stopped(f"stopped by signal {signum}")


def _last_line(e):
    if isinstance(e, Fail):
        detail = str(e)
    elif isinstance(e, SystemExit):
        detail = f"the test called sys.exit({e.code!r})"
    elif isinstance(e, Stopped):
        detail = f"{e} (the file's timeout?)"
    else:
        detail = traceback.format_exc()
    lines = detail.strip().splitlines() or [type(e).__name__]
    for line in lines[:-1]:
        print(f"# {line}", flush=True)
    return lines[-1]


def main(setup=None, teardown=None):
    """Print the plan (1..N), run each test, print one TAP line each.

    N counts the selected tests (argv names, else all) plus any name that is
    no test, which fails.  A failing setup fails every test; teardown runs
    whatever happened.  Exits 0 only when every planned test passed."""
    only = sys.argv[1:]
    names = [fn.__name__ for fn in _tests]
    run = [fn for fn in _tests if not only or fn.__name__ in only]
    unknown = [n for n in only if n not in names]
    print(f"1..{len(run) + len(unknown)}", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    failed = 0
    n = 0
    for name in unknown:
        n += 1
        failed += 1
        print(f"not ok {n} - {name} # no such test in "
              f"{os.path.basename(sys.argv[0])}", flush=True)
    ctx = None
    why = None
    try:
        try:
            if setup:
                ctx = setup()
        except KeyboardInterrupt:
            raise
        except BaseException as e:  # the environment could not be built
            why = "setup: " + _last_line(e)
        for fn in run:
            n += 1
            if why:
                failed += 1
                print(f"not ok {n} - {fn.__name__} # {why}", flush=True)
                continue
            try:
                Runner.test_begins()
                fn(ctx) if setup else fn()
                _check_sanitizers()
                print(f"ok {n} - {fn.__name__}", flush=True)
            except KeyboardInterrupt:
                raise
            except BaseException as e:
                failed += 1
                print(f"not ok {n} - {fn.__name__} # {_last_line(e)}",
                      flush=True)
                try:  # this test's reports, not the next one's
                    _check_sanitizers()
                except Fail as san:
                    print(f"# {san}", flush=True)
                if isinstance(e, Stopped):
                    why = f"not run: {e}"
    finally:
        if teardown:
            try:
                teardown(ctx)
            except BaseException as e:
                failed += 1
                print(f"# teardown failed: {_last_line(e)}", flush=True)
        try:
            _check_sanitizers()
        except Fail as e:
            failed += 1
            print(f"# after the last test: {e}", flush=True)
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


def wakeups(pid):
    """Times the threads of pid went to sleep and were woken so far
    (voluntary context switches)."""
    n = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{t}/status") as f:
            for line in f:
                if line.startswith("voluntary_ctxt_switches:"):
                    n += int(line.split()[1])
    return n


def bpftool(*args):
    """bpftool -j ARGS, its JSON parsed."""
    out = subprocess.run(["bpftool", "-j", *args], capture_output=True,
                         text=True, check=True, timeout=300).stdout
    return json.loads(out)


def fdinfos(pid):
    """/proc/PID/fdinfo of each open file of process pid, as dicts
    (map_id, prog_id, map_type, max_entries... for BPF objects)."""
    infos = []
    d = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(d):
        try:
            with open(os.path.join(d, fd)) as f:
                infos.append({k: v.strip() for k, v in
                              (ln.split(":", 1) for ln in f if ":" in ln)})
        except OSError:
            pass  # closed meanwhile
    return infos


def whole_lines_text(data):
    """The runner's output read while it writes: its whole lines decoded
    strictly as UTF-8 (a line that is not fails), the line after them as
    far as it came.  A reader of a growing file can see part of one
    write(): Linux copies it page by page, so the bytes read may end in a
    character cut short (the "\u00b5" of a latency), which is no
    fault of the line."""
    cut = data.rfind(b"\n") + 1
    return (data[:cut].decode("utf-8", errors="strict") +
            data[cut:].decode("utf-8", errors="replace"))


# Runner(prefix=...): the runner in a mount namespace of its own, whose
# mount table the machine's other mounts do not change (unshare execs it:
# the same pid)
PRIVATE_MOUNTS = ("unshare", "--mount", "--propagation", "private")


def all_stopped(pid):
    """Are all threads of process pid stopped?  (SIGSTOP stops them one
    by one, after kill() has returned.)"""
    states = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                states.append(f.read().rsplit(")", 1)[1].split()[0])
        except OSError:
            continue
    return bool(states) and all(st == "T" for st in states)


class Runner:
    """build/runner run ... -o json in the background; events parsed.

    A runner that outlives a test (one started by the setup) shows the
    next test only what it printed after that test began: an earlier
    test's query that happens to match (a dig's random id, a name asked
    again) is never taken for the next one's."""

    live = []
    since = 0  # where this test's events begin in the output

    @classmethod
    def test_begins(cls):
        for r in cls.live:
            if r.proc.poll() is None and os.path.exists(r.out.name):
                r.since = r.mark()

    def __init__(self, args, env=None, prefix=()):
        """prefix: a command the runner runs under (e.g. strace)."""
        self.since = 0
        Runner.live.append(self)
        self.tmp = tempfile.mkdtemp(prefix="runner-e2e-")
        atexit.register(shutil.rmtree, self.tmp, ignore_errors=True)
        self.ready = os.path.join(self.tmp, "ready")
        self.out = open(os.path.join(self.tmp, "stdout"), "w+")
        self.err = open(os.path.join(self.tmp, "stderr"), "w+")
        e = dict(os.environ)
        e["RUNNER_READY_FILE"] = self.ready
        if env:
            e.update(env)
        self.proc = subprocess.Popen(list(prefix) + [RUNNER] + args,
                                     stdout=self.out,
                                     stderr=self.err, env=e)
        deadline = time.time() + WAIT
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
            rc = self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Fail("runner did not stop")
        return rc

    def stdout(self):
        self.out.flush()
        with open(self.out.name, "rb") as f:
            return whole_lines_text(f.read())

    def stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def mark(self):
        """Where the output is now: the start of the next test's events."""
        self.out.flush()
        with open(self.out.name, "rb") as f:
            data = f.read()
        return data.rfind(b"\n") + 1  # after the last whole line

    def _lines(self):
        """The output's lines since the test began."""
        self.out.flush()
        with open(self.out.name, "rb") as f:
            f.seek(self.since)
            return whole_lines_text(f.read()).splitlines()

    def events(self):
        evs = []
        for line in self._lines():
            if line.strip():
                evs.append(json.loads(line))
        return evs

    def wait_for(self, pred, timeout=WAIT):
        """Wait until some event satisfies pred; return the events so far."""
        deadline = time.time() + timeout
        while True:
            evs = []
            for line in self._lines():
                try:
                    evs.append(json.loads(line))
                except ValueError:
                    pass  # a line still being written
            if any(pred(e) for e in evs):
                return evs
            if time.time() > deadline or self.proc.poll() is not None:
                return evs
            time.sleep(0.05)
