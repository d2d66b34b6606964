# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of test_gadgets.py and test_containers.py.

- The DNS server and client helpers of test_trace_dns.py (dnsmasq(),
  run_client(), pick(), one(), wait_events(), ...), imported from it
  without registering its tests a second time.
- build_images(): `runner image build` of several gadgets at once.
- run_sync(): a runner command that must end by itself (usage errors,
  snapshots, --max-events), with a safety --timeout.
- rfc3339(): parse a timestamp as the runner prints it.
- wait_until(): poll a condition; json_lines(), wait_json(): the events of
  a JSON runner; stop(), stop_all(): stop runners, exit status 0.
- header_cell(): a cell of `-o columns` output, found under its header.
- busybox_rootfs(): a container root for `podman import` (busybox);
  PODMAN_RUN, cname(), podman_remove(): podman's run command as it works
  here, container names unique to a run, removing them and their image.
- fixture_env(), fixture_env_teardown(): a store with fixture gadgets
  (tests/fixtures) and a network namespace; and undoing it.
- dns_pair(), dns_pair_teardown(): a store with trace_dns (and other
  gadgets), a client and a server namespace joined by a veth, dnsmasq
  serving in the server one; and undoing all of it.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (RUNNER, ROOT, WAIT, Fail, Netns, check, eq, link,  # noqa: E402
                     sh)

# test_trace_dns registers its tests with @test when imported: keep its
# helpers, drop the registrations (they belong to its own run).
_n = len(harness._tests)
import test_trace_dns as tdns  # noqa: E402
del harness._tests[_n:]

dnsmasq = tdns.dnsmasq
run_client = tdns.run_client
field = tdns.field
pick = tdns.pick
one = tdns.one
wait_events = tdns.wait_events
WEB4, WEB6 = tdns.WEB4, tdns.WEB6


def build_images(store, images):
    """images: {ref: directory}; built in parallel into store."""
    procs = {ref: subprocess.Popen([RUNNER, "image", "build", d, "-t", ref,
                                    "--store", store],
                                   stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
             for ref, d in images.items()}
    for ref, p in procs.items():
        out, err = p.communicate(timeout=120)
        if p.returncode != 0:
            raise Fail(f"image build {ref} exited {p.returncode}: "
                       f"{err.strip()[-400:]}")


def run_sync(args, timeout=30, env=None, safety=True):
    """Run `runner ARGS` to its end; return (rc, stdout, stderr).  A
    command that should stop by itself gets --timeout so that a bug cannot
    hang the test (run_sync(..., safety=False) for usage errors and
    --help, where the flag would change what is tested)."""
    e = dict(os.environ)
    e.pop("RUNNER_READY_FILE", None)
    if env:
        e.update(env)
    argv = [RUNNER] + args
    if safety:
        argv += ["--timeout", str(timeout)]
    try:
        p = subprocess.run(argv, capture_output=True, text=True, env=e,
                           timeout=timeout + 10)
    except subprocess.TimeoutExpired:
        raise Fail(f"`runner {' '.join(args)}` did not stop")
    return p.returncode, p.stdout, p.stderr


def usage_error(args, *needles, rc=2):
    """`runner ARGS` must fail at once with exit rc and one line on stderr,
    `runner: ...`, that contains every needle; nothing on stdout."""
    got_rc, out, err = run_sync(args, timeout=10, safety=False)
    what = f"`runner {' '.join(args)}`"
    if got_rc != rc:
        raise Fail(f"{what} exited {got_rc}, want {rc}; stderr: "
                   f"{err.strip()[-300:]!r}")
    lines = err.splitlines()
    if len(lines) != 1 or not lines[0].startswith("runner: "):
        raise Fail(f"{what}: want one line `runner: ...` on stderr, "
                   f"got {err!r}")
    for n in needles:
        if n not in lines[0]:
            raise Fail(f"{what}: {n!r} not in {lines[0]!r}")
    if out:
        raise Fail(f"{what} printed on stdout: {out[:200]!r}")
    return lines[0]


_TS = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{9})"
                 r"(Z|[+-]\d\d:\d\d)$")


def rfc3339(ts):
    """Seconds since the epoch of an RFC 3339 timestamp with nanoseconds
    ("2024-05-06T07:08:09.123456789Z" or "...+05:30"); Fail otherwise."""
    m = _TS.fullmatch(ts) if isinstance(ts, str) else None
    if not m:
        raise Fail(f"timestamp {ts!r} is not RFC 3339 with nanoseconds")
    off = "+00:00" if m[3] == "Z" else m[3]
    base = datetime.datetime.fromisoformat(m[1] + off)
    return base.timestamp() + int(m[2]) / 1e9


def wait_until(cond, timeout=WAIT, what="condition", step=0.05):
    """Poll cond() until it returns a true value; return it."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() > deadline:
            raise Fail(f"{what}: not met after {timeout}s")
        time.sleep(step)


def json_lines(text):
    """Objects of complete lines (a last line still being written is
    left out)."""
    lines = text.split("\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


def json_stream(text):
    """The JSON values written one after another (indented) in text; a
    last one still being written is left out."""
    dec, out, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        try:
            v, i = dec.raw_decode(text, i)
        except ValueError:
            return out
        out.append(v)


def wait_json(r, pred, n=1, timeout=WAIT):
    """Events of a JSON runner once n of them satisfy pred."""
    def enough():
        evs = json_lines(r.stdout())
        return evs if sum(1 for e in evs if pred(e)) >= n else None
    try:
        return wait_until(enough, timeout, "events")
    except Fail:
        evs = json_lines(r.stdout())
        raise Fail(f"{sum(1 for e in evs if pred(e))} of {n} expected events "
                   f"after {timeout}s; stderr: {r.stderr()[-300:]!r}")


def stop(*runners):
    for r in runners:
        eq(r.stop(), 0, "runner exit code")


def stop_all(runners):
    """Stop every runner, even when one of them fails to stop."""
    errs = []
    for r in runners:
        try:
            stop(r)
        except Fail as e:
            errs.append(str(e))
    if errs:
        raise Fail("; ".join(errs))


def header_cell(header, row, name):
    """The value of a one-word cell of a columns row: the non-blank runs of
    row that overlap the header's label (left- or right-aligned alike)."""
    m = re.search(rf"(?<!\S){re.escape(name)}(?!\S)", header)
    check(m, f"column {name} not in header {header!r}")
    s, e = m.span()
    return " ".join(x.group() for x in re.finditer(r"\S+", row)
                    if x.start() < e and x.end() > s)


def busybox_rootfs(tmp):
    """A container's root in tmp/rootfs: busybox as sh, nslookup and
    sleep, and an empty /sync."""
    root = os.path.join(tmp, "rootfs")
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "sync"))
    shutil.copy2("/bin/busybox", os.path.join(root, "bin", "busybox"))
    for applet in ("sh", "nslookup", "sleep"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    return root


PODMAN_RUN = ("podman run --runtime runc --ulimit nofile=1024:1024"
              " --ulimit nproc=1024:1024")
_names = [0]


def cname(tag, prefix="c"):
    """A container name unique to this run (16 bytes at most)."""
    _names[0] += 1
    return f"{prefix}{os.getpid()}{tag}{_names[0]}"[:16]


def podman_remove(names, image=None):
    """Remove podman's containers names, then image."""
    for name in names:
        sh(f"podman rm -f {name}", check_rc=False)
    if image:
        sh(f"podman rmi {image}", check_rc=False)


class FixtureEnv:
    pass


def fixture_env(prefix, fixtures, ns=None):
    """A temporary folder (env.tmp) with a store (env.store) holding each
    of tests/fixtures/NAME as NAME:latest, and, given ns, a network
    namespace of that name (env.ns, else None); fixture_env_teardown(env)
    undoes it."""
    env = FixtureEnv()
    env.tmp = tempfile.mkdtemp(prefix=f"{prefix}-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.ns = None
    try:
        build_images(env.store, {f"{n}:latest": f"{ROOT}/tests/fixtures/{n}"
                                 for n in fixtures})
        if ns:
            env.ns = Netns(ns)
    except BaseException:
        fixture_env_teardown(env)
        raise
    return env


def fixture_env_teardown(env):
    if env is None:
        return
    if env.ns:
        env.ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


class DnsPair:
    pass


def dns_pair(ns, srv, cli, link_name, gadgets=("trace_dns",)):
    """A temporary folder (env.tmp) with a store (env.store) holding each
    gadget of this tree as NAME:latest, namespaces ns-srv (env.srv) and
    ns-cli (env.cli) joined by link_name with addresses srv and cli (/24),
    and dnsmasq answering on srv; dns_pair_teardown(env) undoes it."""
    env = DnsPair()
    env.tmp = tempfile.mkdtemp(prefix=f"{ns}-")
    env.store = os.path.join(env.tmp, "store")
    env.nss, env.procs = [], []
    try:
        for g in gadgets:
            d = "gadget" if g == "trace_dns" else "examples"
            sh(f"{RUNNER} image build {ROOT}/{d}/{g} -t {g}:latest"
               f" --store {env.store}")
        env.srv, env.cli = Netns(f"{ns}-srv"), Netns(f"{ns}-cli")
        env.nss += [env.srv, env.cli]
        link(env.cli, env.srv, [f"{cli}/24"], [f"{srv}/24"], name=link_name)
        env.procs.append(dnsmasq(env.srv, env.tmp, srv))
    except BaseException:
        dns_pair_teardown(env)
        raise
    return env


def dns_pair_teardown(env):
    for p in env.procs:
        p.kill()
        p.wait()
    for ns in env.nss:
        ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


def cgroup2_root():
    """Where the host's cgroup v2 hierarchy root is mounted."""
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if f[f.index("-") + 1] == "cgroup2" and f[3] == "/":
            return f[4]
    raise Fail("no cgroup2 mounted")


def cgroup_progs(path, ids):
    """The names of the programs attached to the cgroup at path whose ids
    are in ids (one runner's: others may run)."""
    out = sh(f"bpftool -j cgroup show {path}").strip()
    return {p["name"] for p in json.loads(out or "[]") if p["id"] in ids}


def prog_ids(pid):
    """The ids of the programs process pid holds (its links' too)."""
    ids = set()
    d = f"/proc/{pid}/fdinfo"
    for fd in os.listdir(d):
        try:
            for line in open(os.path.join(d, fd)):
                if line.startswith("prog_id:"):
                    ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids
