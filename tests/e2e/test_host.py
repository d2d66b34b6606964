#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The runner on a host as a fresh machine has it: nothing mounted on
tracefs, debugfs or bpffs (a private mount namespace with them unmounted),
as a user without the privileges it needs, and on kernels without what a
gadget needs (BTF, kprobes)."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, RUNNER, WAIT, Fail, check, eq, main, sh, test  # noqa: E402
import gadget_env as genv  # noqa: E402
from registry_env import free_port  # noqa: E402

NS = f"host{os.getpid()}"
SRV, CLI = "10.66.1.1", "10.66.1.2"
FS = ("/sys/kernel/tracing", "/sys/kernel/debug/tracing", "/sys/kernel/debug",
      "/sys/fs/bpf")
TRACEFS_MAGIC = 0x74726163


def setup():
    # trace_dns needs no tracefs: trace_exec's tracepoint does
    env = genv.dns_pair(NS, SRV, CLI, "hostfs", ("trace_dns", "trace_exec"))
    try:
        sh(f"{RUNNER} image build {ROOT}/tests/fixtures/kprobe"
           f" -t kprobe:latest --store {env.store}")
    except BaseException:
        genv.dns_pair_teardown(env)
        raise
    os.chmod(env.tmp, 0o755)
    return env


# tracefs, debugfs and bpffs unmounted, each as often as it is stacked
UMOUNTS = "; ".join(f"while mountpoint -q {p}; do umount -l {p}; done"
                    for p in FS)


def in_bare_mount_ns(cmd):
    """cmd in a private mount namespace where tracefs, debugfs and bpffs
    are unmounted, as on a fresh host."""
    return (f"exec unshare -m --propagation private sh -c "
            f"'{UMOUNTS}; exec {cmd}'")


def start_bare(env, gadget):
    """`runner run GADGET -o json` in a bare mount namespace; returns
    (process, stdout path, stderr path) once it is attached."""
    ready = os.path.join(env.tmp, f"{gadget}.ready")
    out = os.path.join(env.tmp, f"{gadget}.json")
    err = os.path.join(env.tmp, f"{gadget}.err")
    probe = os.path.join(env.tmp, f"{gadget}.probe")
    # the shell records what was mounted before the runner ran, then the
    # runner replaces it
    cmd = in_bare_mount_ns(
        f"sh -c \"(mountpoint -q /sys/kernel/tracing && echo tracefs;"
        f" mountpoint -q /sys/fs/bpf && echo bpffs) > {probe};"
        f" exec {RUNNER} run {gadget} -o json --store {env.store}"
        f" --timeout 60\"")
    e = dict(os.environ, RUNNER_READY_FILE=ready)
    with open(out, "w") as fo, open(err, "w") as fe:
        p = subprocess.Popen(cmd, shell=True, stdout=fo, stderr=fe, env=e)
    deadline = time.time() + WAIT
    while not os.path.exists(ready):
        if p.poll() is not None or time.time() > deadline:
            p.kill()
            raise Fail(f"runner did not start: {open(err).read()}")
        time.sleep(0.05)
    eq(open(probe).read(), "", "mounted before the runner started")
    return p, out, err


def stop_bare(p):
    if p.poll() is None:
        p.send_signal(2)
    eq(p.wait(timeout=30), 0, "runner exit status")


def wait_lines(path, pred, timeout=WAIT):
    deadline = time.time() + timeout
    while True:
        evs = genv.json_lines(open(path).read())
        if any(pred(e) for e in evs) or time.time() > deadline:
            return evs
        time.sleep(0.1)


@test
def traces_dns_where_nothing_is_mounted(env):
    """`runner run trace_dns` in a mount namespace with no tracefs, debugfs
    or bpffs traces DNS (it needs none of them, and says nothing)."""
    p, out, err = start_bare(env, "trace_dns")
    try:
        pid, _ = genv.run_client(env.cli, f"dig +time=2 +tries=1 @{SRV}"
                                 " web.test A")
        evs = wait_lines(out, lambda e: e["proc"]["pid"] == pid and
                         e["qr"] == "R")
        genv.one(genv.pick(evs, proc__pid=pid, qr="R"), "dig's response",
                 name="web.test.", qtype="A")
    finally:
        stop_bare(p)
    check("mounted tracefs" not in open(err).read(),
          "trace_dns mounted tracefs it does not need")


@test
def mounts_tracefs_for_a_tracepoint_and_says_so_once(env):
    """trace_exec's tracepoint needs tracefs: in a bare mount namespace
    the runner mounts it, says so once on stderr, and sees the exec."""
    p, out, err = start_bare(env, "trace_exec")
    try:
        marker = f"host-e2e-{os.getpid()}"
        child = subprocess.run(["/bin/echo", marker], capture_output=True,
                               timeout=30)
        eq(child.returncode, 0, "echo")
        evs = wait_lines(out, lambda e: marker in str(e.get("args", "")))
        check(any(marker in str(e.get("args", "")) for e in evs),
              f"no exec event of /bin/echo {marker}")
    finally:
        stop_bare(p)
    lines = [ln for ln in open(err).read().splitlines()
             if "mounted tracefs" in ln]
    eq(lines, ["runner: mounted tracefs on /sys/kernel/tracing"
               " (nothing was there)"], "the mount notice on stderr")


def one_error_line(cmd, *needles, gadget="trace_dns"):
    p = subprocess.run(cmd, shell=True, capture_output=True, text=True,
                       timeout=60)
    eq(p.returncode, 1, f"`{cmd}` exit status")
    eq(p.stdout, "", "stdout")
    lines = p.stderr.splitlines()
    eq(len(lines), 1, f"stderr lines ({p.stderr!r})")
    for n in needles:
        check(n in lines[0], f"{n!r} not in {lines[0]!r}")
    check(lines[0].startswith(f"runner: run {gadget}: "), lines[0])
    return lines[0]


@test
def unprivileged_user_told_what_is_missing(env):
    line = one_error_line(
        f"setpriv --reuid nobody --regid nogroup --clear-groups"
        f" {RUNNER} run trace_dns --store {env.store} --timeout 5",
        "missing privileges: CAP_BPF, CAP_PERFMON, CAP_NET_RAW,"
        " CAP_SYS_ADMIN")
    check("libbpf" not in line, line)


def no_registry():
    """A registry prefix where nothing listens: a host without network,
    whatever this one has."""
    return f"RUNNER_REGISTRY_PREFIX=127.0.0.1:{free_port()}/gadget/"


@test
def unprivileged_user_without_the_image_told_privileges_before_a_pull(env):
    """Without the image stored (a store it cannot even create, or an
    empty one) a user without privileges hears of them, not of a store or
    a registry: a run could not load what a pull would bring."""
    empty = os.path.join(env.tmp, "empty-store")
    sh(f"{RUNNER} image list --store {empty}")
    for store in (os.path.join(env.tmp, "no", "store"), empty):
        one_error_line(
            f"{no_registry()} setpriv --reuid nobody --regid nogroup"
            f" --clear-groups {RUNNER} run trace_dns --store {store}",
            "missing privileges: CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN"
            " (run as root")


@test
def image_not_stored_and_no_registry_says_how_to_build_it(env):
    empty = os.path.join(env.tmp, "empty-store2")
    line = one_error_line(
        f"{no_registry()} {RUNNER} run trace_dns --store {empty}",
        f"not in store {empty}: pull 127.0.0.1:",
        "; build it from its folder with `runner image build FOLDER -t"
        " trace_dns`")
    check("Failed to connect" in line or "Couldn't connect" in line, line)


@test
def store_that_cannot_be_read_is_not_called_missing(env):
    """An index.json that does not parse is said as it is: no "not in
    store", no advice to build what may well be stored."""
    store = os.path.join(env.tmp, "bad-store")
    os.makedirs(os.path.join(store, "blobs", "sha256"))
    with open(os.path.join(store, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(store, "index.json"), "w") as f:
        f.write("{bad")
    line = one_error_line(f"{no_registry()} {RUNNER} run trace_dns"
                          f" --store {store}", "index.json: line 1")
    check("not in store" not in line and "build it" not in line, line)


@test
def typo_in_the_image_name_suggests_the_stored_image(env):
    """trace_dsn for the stored trace_dns: whether a pull was tried (and
    failed) or not, the line names the stored image."""
    reg = no_registry()
    prefix = reg.split("=", 1)[1]
    sh(f"{RUNNER} image tag trace_dns {prefix}trace_dns --store {env.store}")
    try:
        for flags in ("", "--pull never", "--disallow-pulling"):
            line = one_error_line(
                f"{reg} {RUNNER} run trace_dsn {flags} --store {env.store}",
                "; did you mean trace_dns? (`runner image list` lists",
                gadget="trace_dsn")
            check(flags or f"not in store {env.store}: pull {prefix}"
                  "trace_dsn:latest: " in line, line)
        one_error_line(
            f"{reg} {RUNNER} run trace_dns:v2 --pull never"
            f" --store {env.store}",
            "the pull policy is never; did you mean trace_dns?",
            gadget="trace_dns:v2")
    finally:
        sh(f"{RUNNER} image remove {prefix}trace_dns --store {env.store}")


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
        f" /sys/kernel && exec {RUNNER} run trace_exec --store {env.store}"
        f" --timeout 5'",
        "tracefs is not mounted on /sys/kernel/tracing",
        "mount -t tracefs tracefs /sys/kernel/tracing", gadget="trace_exec")


@test
def kernel_without_btf_is_named(env):
    """No kernel BTF (a tmpfs hides /sys/kernel/btf): one line saying so,
    not a libbpf error from deep inside the load."""
    one_error_line(
        f"unshare -m --propagation private sh -c 'mount -t tmpfs none"
        f" /sys/kernel/btf && exec {RUNNER} run trace_dns"
        f" --store {env.store} --timeout 5'",
        "the kernel's BTF is missing (/sys/kernel/btf/vmlinux",
        "CONFIG_DEBUG_INFO_BTF")


@test
def kernel_without_kprobes_is_named(env):
    """A gadget with a kprobe program where the kernel has no kprobes (this
    kernel has none; on others a tmpfs hides the kprobe PMU and tracefs
    is unmounted): one line naming the program and what is missing,
    before anything is loaded, not libbpf's "No such file or directory"
    from the attach."""
    line = one_error_line(
        f"unshare -m --propagation private sh -c 'mount -t tmpfs none"
        f" /sys/bus/event_source/devices; {UMOUNTS}; exec {RUNNER} run"
        f" kprobe --store {env.store} --timeout 5'",
        "this kernel has no kprobes", "CONFIG_KPROBE_EVENTS",
        "program on_nanosleep (kprobe/do_nanosleep)", gadget="kprobe")
    check("load" not in line and "attach" not in line, line)


def hooks_in_own_cgroup(env, name, inner):
    """Shell text inner (ending in the exec of a runner) run in a child
    cgroup of the host's root under a cgroup namespace and mount namespace
    of its own; once the runner is ready, the names of its programs on the
    host's root and on its own cgroup, then stopped; with its stderr."""
    root = genv.cgroup2_root()
    mine = os.path.join(root, f"runner-{name}-{os.getpid()}")
    os.mkdir(mine)
    ready = os.path.join(env.tmp, f"{name}.ready")
    err = os.path.join(env.tmp, f"{name}.err")
    cmd = (f"echo $$ > {mine}/cgroup.procs; exec unshare -C -m"
           f" --propagation private sh -c '{inner}'")
    try:
        with open(err, "w") as fe:
            p = subprocess.Popen(["sh", "-c", cmd], stderr=fe,
                                 env=dict(os.environ, RUNNER_READY_FILE=ready))
        try:
            deadline = time.time() + WAIT
            while not os.path.exists(ready):
                if p.poll() is not None or time.time() > deadline:
                    raise Fail(f"runner did not start: {open(err).read()}")
                time.sleep(0.05)
            eq(sh(f"readlink /proc/{p.pid}/ns/cgroup") ==
               sh("readlink /proc/self/ns/cgroup"), False,
               "the runner in a cgroup namespace of its own")
            ids = genv.prog_ids(p.pid)
            at_root = genv.cgroup_progs(root, ids)
            at_mine = genv.cgroup_progs(mine, ids)
        finally:
            stop_bare(p)
        return at_root, at_mine, open(err).read()
    finally:
        os.rmdir(mine)


def trace_dns_cmd(env):
    return (f"exec {RUNNER} run trace_dns -o json --store {env.store}"
            " --timeout 60 > /dev/null")


@test
def in_a_cgroup_namespace_the_hooks_attach_at_the_hosts_root(env):
    """A runner in a cgroup namespace of its own (a pod's, with the host's
    /sys/fs/cgroup mounted in: its mountinfo reads the root "/..") attaches
    trace_dns's socket hooks at the host's cgroup v2 root, where they see
    every process, not at its namespace's root (its own cgroup), where
    they saw only its own."""
    at_root, at_mine, err = hooks_in_own_cgroup(env, "cgns",
                                                trace_dns_cmd(env))
    check({"sendmsg4", "connect4"} <= at_root,
          f"trace_dns's hooks at the host's root: {sorted(at_root)}"
          f" (at its own cgroup: {sorted(at_mine)})")
    eq(at_mine & {"sendmsg4", "connect4"}, set(),
       "trace_dns's hooks at its own cgroup")
    check("cgroup namespace" not in err, err)


@test
def in_a_cgroup_namespace_without_the_hosts_hierarchy_its_own_is_told(env):
    """A runner in a cgroup namespace with only its own cgroup2 mounted
    (no host hierarchy) and /run read-only (nowhere to mount one) runs on
    its namespace's mount, as before da8b97d, and says once that its
    socket hooks see only its own cgroup; it failed at the start
    ("mkdir /run/runner: Read-only file system")."""
    inner = ("for m in $(findmnt -rn -t cgroup2 -o TARGET); do umount -l $m;"
             " done; mount -t cgroup2 none /sys/fs/cgroup/unified 2>/dev/null"
             " || mount -t cgroup2 none /sys/fs/cgroup;"
             " mount -t tmpfs -o ro tmpfs /run; " + trace_dns_cmd(env))
    at_root, at_mine, err = hooks_in_own_cgroup(env, "cgown", inner)
    check({"sendmsg4", "connect4"} <= at_mine,
          f"trace_dns's hooks at its own cgroup: {sorted(at_mine)}")
    eq(at_root, set(), "trace_dns's hooks at the host's root")
    eq(err.count("cgroup namespace of its own"), 1, f"told once: {err}")

if __name__ == "__main__":
    main(setup, genv.dns_pair_teardown)
