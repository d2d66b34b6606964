#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`runner run` when what surrounds it fails: real faults of the kernel's.

- output: trace_dns under steady DNS traffic into a full tmpfs (a mount
  namespace of the test's own), into `head -1`, and into a pipe nobody
  reads when a signal (twice) stops it: one line and exit 1 for the full
  disk, a quiet exit 0 for the reader gone, a prompt exit 0 for the stop,
  and nothing of the runner's left in the kernel (its programs freed);
  a stop (SIGTERM, --timeout) while the header waits on a pipe full
  before the run: exit 0.
- signals: SIGHUP, SIGTERM and SIGINT (twice) as soon as the tc filters of
  tests/fixtures/ig_tc are on the interfaces of a network namespace of the
  test's (the run still starting), and once it runs: exit 0, no filter,
  no clsact qdisc left.
- /proc not mounted: one line that says so, exit 1.
- a low limit on open files: one line naming it, exit 1.
- `image build` stopped by SIGHUP while clang runs: its temp folder gone.
- a store on a full disk: test_hostile.py's full-store test.
"""
import fcntl
import os
import resource
import signal
import subprocess
import sys
import termios

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (RUNNER, ROOT, Fail, Netns, check, eq,  # noqa: E402
                     exit_status, fdinfos, kill_left, main, test)
from gadget_env import (build_images, dns_pair,  # noqa: E402
                        dns_pair_teardown, wait_until)

TAG = f"flt{os.getpid() % 100000}"
SRV, CLI = "10.231.91.1", "10.231.91.2"

# a DNS query for web.test. sent as fast as answers come, for SECONDS
LOAD = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.2)
q = bytes.fromhex("123401000001000000000000037765620474657374000001"
                  "0001")
end = time.time() + float(sys.argv[2])
while time.time() < end:
    s.sendto(q, (sys.argv[1], 53))
    try:
        s.recv(512)
    except OSError:
        pass
"""


def setup():
    env = dns_pair(TAG, SRV, CLI, f"{TAG}v")
    try:
        build_images(env.store,
                     {"ig_tc:latest": f"{ROOT}/tests/fixtures/ig_tc"})
        env.load_py = os.path.join(env.tmp, "load.py")
        with open(env.load_py, "w") as f:
            f.write(LOAD)
        env.tcns = Netns(f"{TAG}-tc")
        env.nss.append(env.tcns)
    except BaseException:
        dns_pair_teardown(env)
        raise
    return env


def load(env, seconds=120):
    """Steady DNS traffic from the client namespace, until stopped."""
    return env.cli.popen(f"python3 {env.load_py} {SRV} {seconds}",
                         stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)


def stop_load(p):
    p.kill()
    p.wait()


def run_args(env, image="trace_dns:latest"):
    return [RUNNER, "run", image, "--store", env.store, "-o", "json"]


def prog_ids(pid):
    return {i["prog_id"] for i in fdinfos(pid) if "prog_id" in i}


def progs_left(ids):
    """Which of the program ids the kernel still holds."""
    return {i for i in ids
            if subprocess.run(["bpftool", "prog", "show", "id", i],
                              capture_output=True, timeout=60).returncode
            == 0}


def check_freed(ids):
    check(ids, "the runner held no programs")
    wait_until(lambda: not progs_left(ids), 30,
               f"programs of the runner freed ({sorted(progs_left(ids))} "
               "left)")


def wait_ready(p, ready):
    def up():
        if p.poll() is not None:
            raise Fail(f"runner exited {p.returncode}: "
                       f"{p.stderr.read().decode().strip()}")
        return os.path.exists(ready)
    wait_until(up, 60, "runner ready")


def pipe_full(fd):
    """Does the pipe whose read end is fd hold as much as it takes?"""
    buf = bytearray(4)
    fcntl.ioctl(fd, termios.FIONREAD, buf)
    held = int.from_bytes(buf, sys.byteorder)
    return held >= fcntl.fcntl(fd, 1032) - 4096  # F_GETPIPE_SZ


@test
def a_reader_that_stops_reading_cannot_hold_a_stop(ctx):
    """Events into a pipe nobody reads, under steady traffic, until the
    pipe is full and the runner waits on it; then SIGTERM twice: exit 0
    (the stop is the user's), one line says how many events were not
    written, and the runner's programs are freed.  It once waited a
    second per buffer of the events that kept coming, for ever."""
    ready = os.path.join(ctx.tmp, "ready-pipe")
    r, w = os.pipe()
    lp = load(ctx)
    try:
        p = subprocess.Popen(run_args(ctx), stdout=w, stderr=subprocess.PIPE,
                             env=dict(os.environ, RUNNER_READY_FILE=ready))
        os.close(w)
        try:
            wait_ready(p, ready)
            ids = prog_ids(p.pid)
            wait_until(lambda: pipe_full(r), 30, "the pipe full")
            for _ in range(2):
                p.send_signal(signal.SIGTERM)
            rc = exit_status(p, 60, "the runner did not stop with its "
                             "output unread")
        finally:
            kill_left(p)
        err = p.stderr.read().decode()
    finally:
        stop_load(lp)
        os.close(r)
    eq(rc, 0, f"exit status ({err.strip()[-300:]})")
    lines = [ln for ln in err.splitlines() if "not written" in ln]
    eq(len(lines), 1, f"lines on the events not written: {err[-500:]}")
    check("trace_dns: " in err, f"no summary: {err[-300:]}")
    check_freed(ids)


@test
def a_full_disk_ends_the_run_with_one_line(ctx):
    """-o json > a 64 KiB tmpfs under steady traffic: exit 1, one line
    naming the full device and the events written whole, the file ends
    with a whole event, the runner's programs are freed."""
    mnt = os.path.join(ctx.tmp, "full")
    os.mkdir(mnt)
    out = os.path.join(mnt, "out.json")
    script = (f'mount -t tmpfs -o size=64k tmpfs "{mnt}" && '
              f'exec "$@" > "{out}"; exit 99')
    lp = load(ctx)
    try:
        p = subprocess.run(["unshare", "--mount", "--propagation",
                            "private", "sh", "-c", script, "sh",
                            *run_args(ctx)], capture_output=True,
                           text=True, timeout=120)
    finally:
        stop_load(lp)
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    lines = p.stderr.strip().splitlines()
    eq(len(lines), 1, f"error lines: {p.stderr}")
    check("No space left on device" in lines[0] and
          "written whole" in lines[0], lines[0])


@test
def head_ends_the_run_quietly(ctx):
    """-o json | head -1: exit 0, no error line, one event read."""
    lp = load(ctx)
    try:
        p = subprocess.run(["bash", "-c", '"$@" | head -1; '
                            'exit "${PIPESTATUS[0]}"', "bash",
                            *run_args(ctx)], capture_output=True,
                           text=True, timeout=120)
        q = subprocess.Popen(run_args(ctx), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        q.stdout.readline()
        q.stdout.close()
        err = q.stderr.read().decode()
        rc = q.wait(timeout=60)
    finally:
        stop_load(lp)
    eq(p.returncode, 0, f"exit status into head ({p.stderr.strip()})")
    eq(len(p.stdout.splitlines()), 1, "lines through head")
    check("runner:" not in p.stderr, p.stderr)
    eq(rc, 0, f"exit status after the reader went ({err.strip()})")
    check("runner:" not in err, err)


def writing_to(pid, fd):
    """Is pid in a write() to its fd (blocked on it)?"""
    try:
        with open(f"/proc/{pid}/syscall") as f:
            nr, arg0 = f.read().split()[:2]
    except (OSError, ValueError):
        return False
    return nr == "1" and int(arg0, 16) == fd


def into_full_pipe(argv, meanwhile=None):
    """Run argv with its stdout a pipe full before the run, nobody reading
    it; meanwhile(p) while it runs; it must end by itself then: its exit
    status and stderr."""
    r, w = os.pipe()
    fcntl.fcntl(w, fcntl.F_SETFL, os.O_NONBLOCK)
    try:
        while True:
            os.write(w, b"x" * 4096)
    except BlockingIOError:
        pass
    fcntl.fcntl(w, fcntl.F_SETFL, 0)
    try:
        p = subprocess.Popen(argv, stdout=w, stderr=subprocess.PIPE)
        os.close(w)
        try:
            if meanwhile:
                meanwhile(p)
            rc = exit_status(p, harness.WAIT,
                             "the runner did not stop, its header unread")
        finally:
            kill_left(p)
        return rc, p.stderr.read().decode()
    finally:
        os.close(r)


@test
def a_stop_while_the_header_waits_ends_the_run(ctx):
    """Columns into a pipe already full before the run (a filter nothing
    matches: no event): the header's write waits on it; SIGTERM then ends
    the run, exit 0 with the summary, and no line counts the header
    dropped as an event not written.  The outputs heeded the stop only
    from session_run() on, so the write was retried after the signal for
    ever; then the header was told as "1 event not written"."""
    def term(p):
        wait_until(lambda: writing_to(p.pid, 1) or
                   p.poll() is not None, harness.WAIT,
                   "the header's write waiting on the pipe")
        check(p.poll() is None, "the run ended before its header")
        p.send_signal(signal.SIGTERM)

    rc, err = into_full_pipe([RUNNER, "run", "trace_dns:latest", "--store",
                              ctx.store, "-F", "name==no.such.invalid."],
                             term)
    eq(rc, 0, f"exit status ({err.strip()[-300:]})")
    check("trace_dns: " in err, f"no summary: {err[-300:]}")
    check("not written" not in err, f"the header told as an event: {err}")


@test
def a_timeout_ends_a_run_whose_header_waits(ctx):
    """Columns into a pipe full before the run, under steady DNS traffic,
    with --timeout 3: the header's write waits on the pipe, the events
    behind it; the timeout ends the run all the same, exit 0 with the
    summary and one line on the events not written.  The alarm was armed
    after the start, which wrote the header: the run waited for ever."""
    lp = load(ctx)
    try:
        rc, err = into_full_pipe([RUNNER, "run", "trace_dns:latest",
                                  "--store", ctx.store, "--timeout", "3"])
    finally:
        stop_load(lp)
    eq(rc, 0, f"exit status ({err.strip()[-300:]})")
    check("trace_dns: " in err, f"no summary: {err[-300:]}")
    lines = [ln for ln in err.splitlines() if "not written" in ln]
    eq(len(lines), 1, f"lines on the events not written: {err[-500:]}")


def tc_left(ns):
    """The runner's tc filters or a clsact qdisc on lo of ns, as tc shows
    them ("" if none)."""
    return (ns.run("tc filter show dev lo ingress") +
            ns.run("tc filter show dev lo egress") +
            ("clsact" if "clsact" in ns.run("tc qdisc show dev lo") else ""))


def stop_tc_run(ctx, sig, twice, early):
    ns = ctx.tcns
    ready = os.path.join(ctx.tmp, f"ready-tc-{sig}")
    eq(tc_left(ns).strip(), "", "tc on lo before the run")
    p = subprocess.Popen(["ip", "netns", "exec", ns.name] +
                         run_args(ctx, "ig_tc:latest"),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=dict(os.environ, RUNNER_READY_FILE=ready))
    try:
        if early:  # the filters there, the run still starting
            wait_until(lambda: "netns_disp" in tc_left(ns) or
                       p.poll() is not None, 60, "tc filters attached",
                       step=0.001)
        else:
            wait_ready(p, ready)
        p.send_signal(sig)
        if twice:
            p.send_signal(sig)
        rc = p.wait(timeout=60)
    finally:
        kill_left(p)
    err = p.stderr.read().decode()
    left = tc_left(ns)
    if left.strip():  # for the next test
        ns.run("tc qdisc del dev lo clsact", check_rc=False)
    eq(rc, 0, f"{sig.name}: exit status ({err.strip()[-300:]})")
    eq(left.strip(), "", f"{sig.name}: tc left on lo")
    check("ig_tc: " in err, f"{sig.name}: no summary: {err[-300:]}")


@test
def a_hangup_detaches_as_ctrl_c_does(ctx):
    """SIGHUP (the terminal gone) once the run is ready: exit 0 and the tc
    filters and their clsact qdisc gone from lo, as after Ctrl-C.  The
    signal once killed the runner and left them attached."""
    stop_tc_run(ctx, signal.SIGHUP, False, False)
    stop_tc_run(ctx, signal.SIGINT, True, False)


@test
def a_stop_while_attaching_detaches(ctx):
    """SIGHUP, SIGTERM, SIGINT twice, each as soon as the filters are on
    lo (before the run is ready): exit 0, nothing left on lo."""
    stop_tc_run(ctx, signal.SIGHUP, False, True)
    stop_tc_run(ctx, signal.SIGTERM, False, True)
    stop_tc_run(ctx, signal.SIGINT, True, True)


@test
def a_missing_proc_is_named(ctx):
    """/proc unmounted in a mount namespace of the run's: one line naming
    it and the fix, exit 1 (it was libbpf's ENOENT, under a hint to look
    at the verifier's log)."""
    e = dict(os.environ)
    if harness.SANITIZER_LOGS:  # LeakSanitizer finds threads in /proc
        e["ASAN_OPTIONS"] += ":detect_leaks=0"
    p = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        "sh", "-c", 'umount -l /proc && exec "$@"; exit 99',
                        "sh", *run_args(ctx)], capture_output=True,
                       text=True, timeout=120, env=e)
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    # a sanitized runner's ASan warns of the executable's name, unread
    lines = [ln for ln in p.stderr.strip().splitlines()
             if not (harness.SANITIZER_LOGS and ln.startswith("=="))]
    eq(len(lines), 1, f"error lines: {p.stderr}")
    check("/proc is not mounted" in lines[0], lines[0])


def few_files():
    resource.setrlimit(resource.RLIMIT_NOFILE, (16, 16))


@test
def a_low_open_files_limit_is_named(ctx):
    """A hard limit of 16 open files (the runner raises the soft one to
    it): one line naming the limit to raise, exit 1, where it sent the
    user to the verifier's log."""
    p = subprocess.run(run_args(ctx), capture_output=True, text=True,
                       timeout=120, preexec_fn=few_files)
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    lines = p.stderr.strip().splitlines()
    eq(len(lines), 1, f"error lines: {p.stderr}")
    check("Too many open files" in lines[0] and "ulimit -Hn" in lines[0]
          and "verifier" not in lines[0], lines[0])


def clang_runs(pid):
    """Is a child of pid named clang?"""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return False
    for k in kids:
        try:
            with open(f"/proc/{k}/comm") as f:
                if f.read().strip().startswith("clang"):
                    return True
        except OSError:
            pass
    return False


@test
def a_hangup_during_build_leaves_nothing(ctx):
    """SIGHUP while clang compiles: exit 1, one line saying so, the build's
    temp folder gone and nothing stored.  It once killed the build and
    left its temp folder."""
    tmp = os.path.join(ctx.tmp, "buildtmp")
    os.mkdir(tmp)
    store = os.path.join(ctx.tmp, "store-hup")
    p = subprocess.Popen([RUNNER, "image", "build",
                          f"{ROOT}/examples/trace_exec", "-t",
                          "faults.test/hup:v1", "--store", store],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=dict(os.environ, TMPDIR=tmp))
    try:
        wait_until(lambda: clang_runs(p.pid) or p.poll() is not None, 60,
                   "clang running", step=0.005)
        check(p.poll() is None, "the build ended before clang ran")
        p.send_signal(signal.SIGHUP)
        _, err = p.communicate(timeout=120)
    finally:
        kill_left(p)
    eq(p.returncode, 1, f"exit status ({err.strip()})")
    check("interrupted by SIGHUP" in err, err)
    eq(os.listdir(tmp), [], "temp files left")
    q = subprocess.run([RUNNER, "image", "list", "--store", store],
                       capture_output=True, text=True, timeout=60)
    check("hup" not in q.stdout, "the image was stored: " + q.stdout)


def teardown(ctx):
    dns_pair_teardown(ctx)


if __name__ == "__main__":
    main(setup, teardown)
