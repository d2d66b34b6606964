#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The runner on a host as a fresh machine has it: nothing mounted on
tracefs, debugfs or bpffs (a private mount namespace with them unmounted),
and as a user without the privileges it needs."""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, ROOT, Fail, Netns, check, eq, link, main,  # noqa: E402
                     sh, test)
import gadget_env as genv  # noqa: E402

NS = f"host{os.getpid()}"
SRV, CLI = "10.66.1.1", "10.66.1.2"
FS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing", "/sys/kernel/debug",
      "/sys/fs/bpf")
TRACEFS_MAGIC = 0x74726163


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="host-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.nss, env.procs = [], []
    try:
        sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns -t trace_dns:latest"
           f" --store {env.store}")
        env.srv, env.cli = Netns(f"{NS}-srv"), Netns(f"{NS}-cli")
        env.nss += [env.srv, env.cli]
        link(env.cli, env.srv, [f"{CLI}/24"], [f"{SRV}/24"], name="hostfs")
        env.procs.append(genv.dnsmasq(env.srv, env.tmp, SRV))
        os.chmod(env.tmp, 0o755)
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    for p in env.procs:
        p.kill()
        p.wait()
    for ns in env.nss:
        ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


def in_bare_mount_ns(cmd):
    """cmd in a private mount namespace where tracefs, debugfs and bpffs
    are unmounted (each as often as it is stacked), as on a fresh host."""
    umounts = "; ".join(f"while mountpoint -q {p}; do umount -l {p}; done"
                        for p in FS)
    return (f"exec unshare -m --propagation private sh -c "
            f"'{umounts}; exec {cmd}'")


@test
def traces_where_nothing_is_mounted(env):
    """`runner run trace_dns` in a mount namespace with no tracefs, debugfs
    or bpffs: it mounts tracefs itself, says so once, and traces DNS."""
    ready = os.path.join(env.tmp, "ready")
    out = os.path.join(env.tmp, "out.json")
    err = os.path.join(env.tmp, "err")
    probe = os.path.join(env.tmp, "probe")
    # the shell records what was mounted before the runner ran, then the
    # runner replaces it
    cmd = in_bare_mount_ns(
        f"sh -c \"(mountpoint -q /sys/kernel/tracing && echo tracefs;"
        f" mountpoint -q /sys/fs/bpf && echo bpffs) > {probe};"
        f" exec {RUNNER} run trace_dns -o json --store {env.store}"
        f" --timeout 60\"")
    e = dict(os.environ, RUNNER_READY_FILE=ready)
    with open(out, "w") as fo, open(err, "w") as fe:
        p = subprocess.Popen(cmd, shell=True, stdout=fo, stderr=fe, env=e)
    try:
        deadline = time.time() + 30
        while not os.path.exists(ready):
            if p.poll() is not None or time.time() > deadline:
                raise Fail(f"runner did not start: {open(err).read()}")
            time.sleep(0.05)
        eq(open(probe).read(), "", "mounted before the runner started")
        pid, _ = genv.run_client(env.cli, f"dig +time=2 +tries=1 @{SRV}"
                                 " web.test A")
        deadline = time.time() + 10
        evs = []
        while time.time() < deadline:
            evs = genv.json_lines(open(out).read())
            if genv.pick(evs, proc__pid=pid, qr="R"):
                break
            time.sleep(0.1)
        genv.one(genv.pick(evs, proc__pid=pid, qr="R"), "dig's response",
                 name="web.test.", qtype="A")
    finally:
        if p.poll() is None:
            p.send_signal(2)
        rc = p.wait(timeout=30)
    eq(rc, 0, "runner exit status")
    lines = [ln for ln in open(err).read().splitlines()
             if "mounted tracefs" in ln]
    eq(lines, ["runner: mounted tracefs on /sys/kernel/tracing"
               " (nothing was there)"], "the mount notice on stderr")


def one_error_line(cmd, *needles):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=60)
    eq(p.returncode, 1, f"`{cmd}` exit status")
    eq(p.stdout, "", "stdout")
    lines = p.stderr.splitlines()
    eq(len(lines), 1, f"stderr lines ({p.stderr!r})")
    for n in needles:
        check(n in lines[0], f"{n!r} not in {lines[0]!r}")
    check(lines[0].startswith("runner: run trace_dns: "), lines[0])
    return lines[0]


@test
def unprivileged_user_told_what_is_missing(env):
    line = one_error_line(
        f"setpriv --reuid nobody --regid nogroup --clear-groups"
        f" {RUNNER} run trace_dns --store {env.store} --timeout 5",
        "missing privileges: CAP_BPF, CAP_PERFMON, CAP_NET_RAW,"
        " CAP_SYS_ADMIN")
    check("libbpf" not in line, line)


@test
def root_without_some_capabilities_told_which(env):
    one_error_line(
        f"setpriv --bounding-set -net_raw,-perfmon"
        f" {RUNNER} run trace_dns --store {env.store} --timeout 5",
        "missing privileges: CAP_PERFMON, CAP_NET_RAW (")


@test
def tracefs_that_cannot_be_mounted_names_the_fix(env):
    """No /sys/kernel/tracing to mount on (a tmpfs hides /sys/kernel): one
    line naming what is missing and the command that fixes it."""
    one_error_line(
        f"unshare -m --propagation private sh -c 'mount -t tmpfs none"
        f" /sys/kernel && exec {RUNNER} run trace_dns --store {env.store}"
        f" --timeout 5'",
        "tracefs is not mounted on /sys/kernel/tracing",
        "mount -t tracefs tracefs /sys/kernel/tracing")


if __name__ == "__main__":
    main(setup, teardown)
