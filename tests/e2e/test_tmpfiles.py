#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A runner killed (SIGKILL, as the OOM killer or a timeout does) leaves
nothing behind for good: a run with the socket enricher keeps its BTF in
a memfd, not in a file of /tmp, and a killed writer's temp file in the
BTF cache goes with the next write.  (A killed pull or import:
test_hostile.py.)"""
import fcntl
import glob
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, Fail, Runner, check, eq, main,  # noqa: E402
                     test)
from gadget_env import fixture_env, fixture_env_teardown  # noqa: E402

PORT = 7000 + os.getpid() % 1000


def setup():
    env = fixture_env("tmpfiles", ["ig_sockets"])
    env.cache = os.path.join(env.tmp, "cache")
    return env


def teardown(env):
    fixture_env_teardown(env)


def tmpdir(env, name):
    """An empty folder for a runner's TMPDIR."""
    d = os.path.join(env.tmp, name)
    os.mkdir(d)
    return d


def runner_env(env, tmp):
    e = dict(os.environ, TMPDIR=tmp, RUNNER_CACHE_DIR=env.cache,
             HOME=env.tmp)
    e.pop("RUNNER_READY_FILE", None)
    return e


def btf_files():
    return set(glob.glob("/tmp/runner-btf-*"))


def nth_btf_write(env, argv, tmp):
    """The number of the runner's write(2) (main thread) that writes the
    socket enricher's BTF: to a runner-btf-* file or memfd."""
    log = os.path.join(env.tmp, "nth.strace")
    subprocess.run(["strace", "-qq", "-y", "-o", log, "-e", "trace=write"] +
                   argv, env=runner_env(env, tmp), capture_output=True,
                   check=True, timeout=300)
    with open(log) as fh:
        lines = [ln for ln in fh if ln.startswith("write(")]
    for i, ln in enumerate(lines):
        if "runner-btf-" in ln:
            return i + 1
    raise Fail(f"no write of the socket BTF in {len(lines)} writes")


@test
def a_run_killed_writing_its_socket_btf_leaves_no_file(env):
    """SIGKILL at the write of the kernel's BTF plus the enricher's value
    (before the gadget loads, when the BTF is in use): no runner-btf file
    is left in /tmp or in $TMPDIR."""
    tmp = tmpdir(env, "tmp-write")
    argv = [RUNNER, "run", "--store", env.store, "ig_sockets:latest",
            "--port", str(PORT), "-o", "json", "--timeout", "1"]
    # the first run fills the BTF cache the next ones read
    subprocess.run(argv, env=runner_env(env, tmp), capture_output=True,
                   check=True, timeout=300)
    n = nth_btf_write(env, argv, tmp)
    before = btf_files()
    p = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e",
                        "trace=write", "-e",
                        f"inject=write:signal=SIGKILL:when={n}"] + argv,
                       env=runner_env(env, tmp), capture_output=True,
                       text=True, timeout=300)
    check(p.returncode != 0, f"the runner was not killed: {p.stderr!r}")
    eq(sorted(btf_files() - before), [], "runner-btf files left in /tmp")
    eq(os.listdir(tmp), [], "files left in TMPDIR")


@test
def a_run_killed_once_ready_leaves_no_file(env):
    """SIGKILL once the gadget with the socket enricher runs."""
    tmp = tmpdir(env, "tmp-ready")
    before = btf_files()
    r = Runner(["run", "--store", env.store, "ig_sockets:latest", "--port",
                str(PORT), "-o", "json"], env=runner_env(env, tmp))
    eq(r.stop(signal.SIGKILL), -signal.SIGKILL, "runner's end")
    eq(sorted(btf_files() - before), [], "runner-btf files left in /tmp")
    eq(os.listdir(tmp), [], "files left in TMPDIR")


@test
def a_killed_writer_of_the_btf_cache_leaves_its_temp_file_to_the_next(env):
    """A runner killed between writing a file of the BTF cache and its
    rename leaves btf-HASH.XXXXXX there; the next runner that writes the
    cache removes it, and not one whose writer holds it (its flock)."""
    cache = tmpdir(env, "cache-killed")
    stale = os.path.join(cache, "btf-0123abcd.Ab12Cd")
    with open(stale, "w") as fh:
        fh.write("half a cache file")
    live = os.path.join(cache, "btf-0123abcd.Ef34Gh")
    fd = os.open(live, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        e = dict(runner_env(env, tmpdir(env, "tmp-cache")),
                 RUNNER_CACHE_DIR=cache)
        p = subprocess.run([RUNNER, "run", "--store", env.store,
                            "ig_sockets:latest", "--port", str(PORT), "-o",
                            "json", "--timeout", "1"], env=e,
                           capture_output=True, text=True, timeout=300)
        eq(p.returncode, 0, f"the run's exit status ({p.stderr})")
        names = os.listdir(cache)
        check(any("." not in n for n in names),
              f"the run wrote no cache file: {names}")
        check(os.path.basename(stale) not in names,
              f"the killed writer's temp file stayed: {names}")
        check(os.path.basename(live) in names,
              f"a held temp file was removed: {names}")
    finally:
        os.close(fd)


if __name__ == "__main__":
    main(setup, teardown)
