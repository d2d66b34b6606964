#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What a run from the local store starts with: none of the libraries only
image and registry commands use (common/lazylib.h loads them on first
use), while those commands still find theirs; events still flow; the
kernel's BTF is read only to fill the cache, the cgroup v2 root opened
once."""
import os
import signal
import subprocess
import sys
import tarfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import RUNNER, WAIT, Runner, check, eq, main, test  # noqa: E402
import gadget_env as genv  # noqa: E402

NS = f"start{os.getpid()}"
SRV, CLI = "10.66.9.1", "10.66.9.2"
# what registry, archive, signing, pcap-filter, syscall-name and -F "~"
# code links, and their own dependencies (gnutls comes with libcurl,
# libxml2 with libarchive)
ON_DEMAND = ("libcurl.so", "libarchive.so", "libcrypto.so", "libssl.so",
             "libpcap.so", "libgnutls.so", "libxml2.so", "libseccomp.so",
             "libpcre2-8.so")


def setup():
    return genv.dns_pair(NS, SRV, CLI, "startfs")


def mapped(pid):
    """File names of the shared objects process pid maps."""
    with open(f"/proc/{pid}/maps") as f:
        paths = [line.split()[-1] for line in f if "/" in line]
    return {os.path.basename(p) for p in paths if ".so" in p}


@test
def run_from_store__no_image_libraries_mapped__events_flow(env):
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store])
    try:
        libs = mapped(r.proc.pid)
        check(any(n.startswith("libbpf.so") for n in libs),
              f"maps read wrong: no libbpf among {sorted(libs)}")
        loaded = sorted(n for n in libs if n.startswith(ON_DEMAND))
        eq(loaded, [], "image libraries mapped by a run from the store")
        pid, _ = genv.run_client(env.cli, f"dig +time=2 +tries=1 @{SRV}"
                                 " start.test A")
        r.wait_for(lambda e: e["proc"]["pid"] == pid and e["qr"] == "R")
    finally:
        eq(r.stop(), 0, "runner exit code")


def nice_of(pid):
    """The nice value of process pid's main thread (proc(5) stat field 19)."""
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[16])


def wait_nice(r, want, what, timeout=WAIT):
    deadline = time.time() + timeout
    while nice_of(r.proc.pid) != want:
        check(time.time() < deadline, f"{what}: nice {nice_of(r.proc.pid)}"
              f", want {want}; {len(r.events())} events; {r.stderr()}")
        time.sleep(0.01)


@test
def run__raised_while_ring_half_full__then_back__bad_nice_refused(env):
    """Started at this test's nice, the runner stays there while it keeps up; its
    ring made to fill (a 64K ring, the runner stopped while ~160 events
    come), it runs at --nice (-10 by default, or as asked) until the ring
    has been below half full for 2 s, then as started again.  A --nice no higher
    in priority than the starting one never changes it."""
    base = os.getpriority(os.PRIO_PROCESS, 0)
    check(base > -3, f"this test runs at nice {base}: nothing to raise")
    for args, lagging in (([], -10), (["--nice", "-3"], -3),
                          (["--nice", str(min(base + 1, 19))], base)):
        r = Runner(["run", "trace_dns", "-o", "json", "--ring-size", "64K",
                    "--store", env.store] + args)
        try:
            eq(nice_of(r.proc.pid), base, f"nice of runner run {args}")
            os.kill(r.proc.pid, signal.SIGSTOP)
            genv.run_client(env.cli, "sh -c 'for i in $(seq 40); do dig "
                            f"+time=1 +tries=1 @{SRV} lag$i.test A; done'")
            os.kill(r.proc.pid, signal.SIGCONT)
            if lagging != base:
                wait_nice(r, lagging, f"runner run {args} lagging")
            else:  # its events read: the ring was seen full
                r.wait_for(lambda e: e["name"] == "lag40.test."
                           and e["qr"] == "R")
            wait_nice(r, base, f"runner run {args} caught up")
        finally:
            eq(r.stop(), 0, "runner exit code")
    p = subprocess.run([RUNNER, "run", "trace_dns", "--nice", "20",
                        "--store", env.store], capture_output=True, text=True)
    eq(p.returncode, 2, f"--nice 20: {p.stderr}")
    eq(p.stderr.strip().splitlines(), ["runner: --nice 20: want -20 to 19"],
       "--nice 20's error")


@test
def image_commands__load_their_libraries_on_first_use(env):
    out = os.path.join(env.tmp, "trace_dns.tar")
    p = subprocess.run([RUNNER, "image", "export", "trace_dns", out,
                        "--store", env.store], capture_output=True, text=True)
    eq(p.returncode, 0, f"image export: {p.stderr}")
    with tarfile.open(out) as t:  # written by libarchive
        check("index.json" in t.getnames(), f"no index.json: {t.getnames()}")
    p = subprocess.run([RUNNER, "version"], capture_output=True, text=True)
    eq(p.returncode, 0, f"version: {p.stderr}")
    for lib in ("libcurl ", "libarchive "):
        check(lib in p.stdout, f"no {lib.strip()} in: {p.stdout}")


KERNEL_BTF = "/sys/kernel/btf/vmlinux"


def traced_run(env, cache, log):
    """runner run trace_dns under strace (its files opened into log),
    with cache as RUNNER_CACHE_DIR, until one exchange is seen."""
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store],
               env={"RUNNER_CACHE_DIR": cache},
               prefix=["strace", "-f", "-qq", "-e", "trace=openat",
                       "-o", log])
    runner_pid = r.proc.pid
    try:
        with open(f"/proc/{r.proc.pid}/task/{r.proc.pid}/children") as f:
            runner_pid = int(f.read().split()[0])
        pid, _ = genv.run_client(env.cli, f"dig +time=2 +tries=1 @{SRV}"
                                 " cached.test A")
        r.wait_for(lambda e: e["proc"]["pid"] == pid and e["qr"] == "R")
        check(any(e["proc"]["pid"] == pid and e["qr"] == "R"
                  for e in r.events()), "no response event")
    finally:
        # strace keeps fatal signals from a traced command: the runner's
        os.kill(runner_pid, signal.SIGINT)
        eq(r.stop(), 0, "runner exit code")
    with open(log) as f:
        return f.read()


@test
def run__cached_kernel_btf__kernel_btf_not_read(env):
    # libbpf reads the kernel's BTF (5 MB) only to make the cache's files;
    # from then on the runner's btf__load_vmlinux_btf() gives it those
    cache = os.path.join(env.tmp, "cache")
    first = traced_run(env, cache, os.path.join(env.tmp, "strace1"))
    check(KERNEL_BTF in first, "the first run did not read the kernel BTF")
    made = sorted(n for n in os.listdir(cache) if n.startswith("btf-"))
    eq(len(made), 4, f"cache files (exec hooks for containers and network "
       f"namespaces, CO-RE, attach): {made}")
    second = traced_run(env, cache, os.path.join(env.tmp, "strace2"))
    opened = [ln for ln in second.splitlines() if KERNEL_BTF in ln]
    eq(opened, [], "kernel BTF opened with the cache made")
    eq(sorted(n for n in os.listdir(cache) if n.startswith("btf-")), made,
       "cache files after the second run")



def cgroup2_roots():
    """Where the root of the cgroup v2 hierarchy is mounted (mountinfo:
    "ID PARENT MAJ:MIN ROOT POINT ... - cgroup2 ..."), and where the runner
    mounts it when it is nowhere."""
    with open("/proc/self/mountinfo") as f:
        fields = [ln.split() for ln in f if " - cgroup2 " in ln]
    return {fs[4] for fs in fields if fs[3] == "/"} | {"/run/runner/cgroup2"}


@test
def run__cgroup2_root_opened_once(env):
    # trace_dns' cgroup programs and the netns exec hook's
    # cgroup/sock_create attach to the same root: found and opened once
    log = traced_run(env, os.path.join(env.tmp, "cache-cgroup2"),
                     os.path.join(env.tmp, "strace-cgroup2"))
    roots = cgroup2_roots()
    opened = [ln for ln in log.splitlines() if "O_DIRECTORY" in ln and
              any(f'"{r}"' in ln for r in roots)]
    eq(len(opened), 1, f"opens of the cgroup2 root ({sorted(roots)}): "
       f"{opened}")

if __name__ == "__main__":
    main(setup, genv.dns_pair_teardown)
