#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A runner killed (SIGKILL, as the OOM killer or a timeout does) leaves
nothing behind for good: a run with the socket enricher keeps its BTF in
a memfd, not in a file of /tmp; a killed `image build` or `login` leaves
its folder of $TMPDIR, which the next one removes, never one a live
process holds.  (A killed pull or import: test_hostile.py.)"""
import fcntl
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Fail, Runner, check,  # noqa: E402
                     eq, main, test)
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


def wait_until(cond, what):
    deadline = time.time() + WAIT
    while not cond():
        if time.time() > deadline:
            raise Fail(f"waited for {what}")
        time.sleep(0.01)


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


def held_dir(tmp, prefix):
    """A folder of prefix in tmp that this test holds as a live runner
    would (its flock): the next runner must leave it."""
    d = tempfile.mkdtemp(prefix=prefix, dir=tmp)
    fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return os.path.basename(d), fd


def killed_in(tmp, argv, e, prefix, ready):
    """Start argv (its own process group), SIGKILL the group once a folder
    prefix* of tmp not there before holds ready (a file name, or "" for
    the folder itself); the folder's name."""
    there = set(glob.glob(os.path.join(tmp, prefix + "*")))
    p = subprocess.Popen(argv, env=e, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
    found = []

    def made():
        found[:] = [n for n in glob.glob(os.path.join(tmp, prefix + "*"))
                    if n not in there
                    and os.path.exists(os.path.join(n, ready))]
        if not found and p.poll() is not None:
            raise Fail(f"{argv[1]} ended ({p.returncode}) before making "
                       f"its folder in TMPDIR")
        return found

    try:
        wait_until(made, f"{prefix}* in TMPDIR")
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
    return os.path.basename(found[0])


@test
def a_killed_build_leaves_its_folder_to_the_next_build(env):
    """A build killed while clang compiles leaves runner-build-* in
    $TMPDIR; the next build removes it, and not one a live build holds."""
    tmp = tmpdir(env, "tmp-build")
    e = runner_env(env, tmp)
    live, fd = held_dir(tmp, "runner-build-")
    try:
        build = [RUNNER, "image", "build", f"{ROOT}/tests/fixtures/ig_sockets",
                 "-t", "tmpfiles.test/b:v1", "--store", env.store]
        left = killed_in(tmp, build, e, "runner-build-", "")
        check(left in os.listdir(tmp), "the killed build left its folder")
        p = subprocess.run(build, env=e, capture_output=True, text=True,
                           timeout=300)
        eq(p.returncode, 0, f"the next build's exit status ({p.stderr})")
        eq(os.listdir(tmp), [live], "TMPDIR after the next build")
    finally:
        os.close(fd)


@test
def a_killed_login_leaves_its_credentials_to_the_next_login(env):
    """A login killed while it checks the credentials (a registry that
    never answers) leaves runner-login-*/auth.json in $TMPDIR; the next
    login removes it, and not a folder a live login holds."""
    tmp = tmpdir(env, "tmp-login")
    e = runner_env(env, tmp)
    live, fd = held_dir(tmp, "runner-login-")
    srv = socket.socket()
    try:
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)  # connections wait in the backlog: no answer
        host = f"127.0.0.1:{srv.getsockname()[1]}"
        login = [RUNNER, "login", host, "-u", "me", "-p", "secret",
                 "--plain-http", "--authfile",
                 os.path.join(env.tmp, "auth.json")]
        left = killed_in(tmp, login, e, "runner-login-", "auth.json")
        check(left in os.listdir(tmp), "the killed login left its folder")
        srv.close()  # the next login is refused at once
        p = subprocess.run(login, env=e, capture_output=True, text=True,
                           timeout=300)
        eq(p.returncode, 1, f"the next login's exit status ({p.stderr})")
        eq(os.listdir(tmp), [live], "TMPDIR after the next login")
    finally:
        srv.close()
        os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(setup, teardown)
