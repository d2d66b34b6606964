#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""trace_dns on a Kubernetes node without a cluster: the runtimes the
kubelet drives (containerd, docker through cri-dockerd, podman's kube
play), set up the way the kubelet sets them up, and the k8s.* fields
(node, namespace, podName, containerName, hostnetwork, podLabels, podUID),
the K8S.* columns and the --k8s-* selection flags; `runner list-containers`
with a pod's containers.

Each daemon is started by the test with its own root, state and socket
(a runtime already on the machine is left alone); one that cannot start
fails the test.  Images are made offline from a busybox-static root
filesystem (`podman import`, `podman save` + `ctr image import`, `docker
import`).  A pod is a sandbox ("pause": sleep) holding a network namespace
and an application container joined to it; dnsmasq answers on 127.0.0.1
inside that namespace (entered with nsenter), and the application's
one-shot nslookup asks it: pods start after the runner.
"""
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, Fail, Runner, all_stopped,  # noqa: E402
                     check, eq, fdinfos, main, sh, test)
from gadget_env import (build_images, dnsmasq, header_cell,  # noqa: E402
                        json_lines, json_stream, wait_json, wait_until)

PID = os.getpid()
TAG = f"k8s{PID}"
IMAGE = f"localhost/k8s-test-bb:{TAG}"
NODE = f"node-e2e-{PID}"
DOCKER = "/usr/bin/docker"


class PodNet:
    """A pod's network namespace, entered through a process in it (the
    interface gadget_env.dnsmasq() wants from a Netns)."""

    def __init__(self, pid):
        self.pid = pid
        self.name = f"pid {pid}"
        self.inode = os.stat(f"/proc/{pid}/ns/net").st_ino

    def run(self, cmd, **kw):
        return sh(f"nsenter -t {self.pid} -n {cmd}", **kw)

    def popen(self, cmd, **kw):
        return subprocess.Popen(f"exec nsenter -t {self.pid} -n {cmd}",
                                shell=True, **kw)


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="k8s-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs, env.daemons = [], []
    env.pods = []  # podman pods
    env.image = False
    try:
        build_images(env.store, {"trace_dns:latest":
                                 f"{ROOT}/gadget/trace_dns",
                                 "trace_exec:latest":
                                 f"{ROOT}/examples/trace_exec"})
        root = os.path.join(env.tmp, "rootfs")
        os.makedirs(os.path.join(root, "bin"))
        os.makedirs(os.path.join(root, "sync"))
        shutil.copy2("/bin/busybox", os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "nslookup", "sleep"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        env.rootfs = root
        sh(f"tar -C {root} -c . | podman import - {IMAGE}")
        env.image = True
        env.archive = os.path.join(env.tmp, "image.tar")
        sh(f"podman save --format docker-archive -o {env.archive} {IMAGE}")
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    for d in env.daemons:
        d.stop()
    for p in env.pods:
        sh(f"podman pod rm -f {p}", check_rc=False)
    if env.image:
        sh(f"podman rmi -f {IMAGE}", check_rc=False)
    for p in env.procs:
        if p.poll() is None:
            p.terminate()
            p.wait(timeout=5)
    shutil.rmtree(env.tmp, ignore_errors=True)


def hexid():
    return uuid.uuid4().hex + uuid.uuid4().hex


def tracer(env, *flags, mode="json", netns=None):
    args = ["run", "trace_dns", "-o", mode, "--store", env.store]
    if netns:
        args += ["-F", f"netns_id=={netns}"]
    r = Runner(args + list(flags), env={"NODE_NAME": NODE})
    r.json = mode == "json"
    return r


def stop_all(runners):
    """Stop every runner; each must exit 0 (its stderr tells why not)."""
    errs = []
    for r in runners:
        try:
            rc = r.stop()
            if rc != 0:
                errs.append(f"runner exited {rc}: {r.stderr()[-300:]!r}")
        except Fail as e:
            errs.append(str(e))
    if errs:
        raise Fail("; ".join(errs))


def named(name):
    return lambda e: e["name"] == f"{name}.web.test." and e["qr"] == "R"


def server(env, net):
    p = dnsmasq(net, env.tmp, "127.0.0.1", name=f"dnsmasq-{net.pid}")
    env.procs.append(p)
    return p


def attached(net, runners, probe=None):
    """Wait until every runner traces the pod's new network namespace (the
    runner finds new namespaces once a second): ask dnsmasq there until
    each runner shows a query.  probe() asks (default: dig from the host
    side, no container's process)."""
    def seen():
        if probe:
            probe()
        else:
            net.run("dig +time=1 +tries=1 @127.0.0.1 probe.web.test",
                    check_rc=False)
        return all(any(e["name"] == "probe.web.test." and
                       e["netns_id"] == net.inode
                       for e in json_lines(r.stdout()))
                   if r.json else "probe.web.test." in r.stdout()
                   for r in runners)
    wait_until(seen, what="the runners tracing the pod's netns", step=0.2)


def settle(runners, probe, name="marker"):
    """Ask probe() (a query for NAME.web.test) until every runner shows it:
    what came before it has been written."""
    def seen():
        probe()
        return all(any(e["name"] == f"{name}.web.test."
                       for e in json_lines(r.stdout()))
                   if r.json else f"{name}.web.test." in r.stdout()
                   for r in runners)
    wait_until(seen, what=f"the runners showing {name}.web.test", step=0.2)


def packet_socket_in(net, runner):
    """Whether runner has its packet socket in net's namespace (it traces
    that namespace)."""
    out = net.run("ss -0 -n -p", check_rc=False)
    return f"pid={runner.proc.pid}," in out


def release(fifo):
    """Let a container held on fifo go on (it reads it once)."""
    def opened():
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # ENXIO: not reading yet
            return None
    fd = wait_until(opened, what=f"a reader of {fifo}")
    os.write(fd, b"go\n")
    os.close(fd)


def wait_daemon(proc, cmd, log, what):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            break
        if subprocess.run(cmd, shell=True, capture_output=True).returncode \
                == 0:
            return
        time.sleep(0.2)
    log.flush()
    with open(log.name) as f:
        tail = f.read()[-600:]
    raise Fail(f"{what} did not start: {tail}")


def check_k8s(evs, what, want):
    check(evs, f"{what}: no events")
    for e in evs:
        eq(e["k8s"], want, f"{what}: k8s of {e['proc']['comm']} "
           f"{e['name']} {e['qr']} (pid {e['proc']['pid']})")


def queries_of(evs, comm, name):
    """The A and AAAA queries and responses of comm for name."""
    mine = [e for e in evs if e["proc"]["comm"] == comm and
            e["name"] == f"{name}.web.test."]
    eq(sorted((e["qtype"], e["qr"]) for e in mine),
       [("A", "Q"), ("A", "R"), ("AAAA", "Q"), ("AAAA", "R")],
       f"{comm} events of {name}")
    return mine


# ---- containerd -------------------------------------------------------------


class Containerd:
    """containerd with its own root, state and sockets, no CRI plugin:
    the test makes the containers the CRI plugin would, with its
    annotations, in namespace k8s.io."""

    def __init__(self, tmp):
        self.dir = tempfile.mkdtemp(prefix="containerd-", dir=tmp)
        self.sock = os.path.join(self.dir, "containerd.sock")
        conf = os.path.join(self.dir, "config.toml")
        with open(conf, "w") as f:
            f.write(f'version = 2\nroot = "{self.dir}/root"\n'
                    f'state = "{self.dir}/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n'
                    f'[grpc]\n  address = "{self.sock}"\n'
                    f'[ttrpc]\n  address = "{self.sock}.ttrpc"\n'
                    f'[debug]\n  address = "{self.dir}/debug.sock"\n')
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(["containerd", "--config", conf],
                                     stdout=self.log,
                                     stderr=subprocess.STDOUT)
        self.ids = []
        wait_daemon(self.proc, f"ctr -a {self.sock} version", self.log,
                    "containerd")

    def ctr(self, args, ns="k8s.io", **kw):
        return sh(f"ctr -a {self.sock} -n {ns} {args}", **kw)

    def run(self, cid, annotations, args, detach=False, netns_pid=None,
            image=IMAGE, labels=None, cgroup=None, ns="k8s.io"):
        self.ids.append((ns, cid))
        flags = " ".join(f"--annotation {k}={v}"
                         for k, v in annotations.items())
        if cgroup:
            flags += f" --cgroup {cgroup}"
        flags += "".join(f" --label '{k}={v}'"
                         for k, v in (labels or {}).items())
        if netns_pid:
            flags += f" --with-ns network:/proc/{netns_pid}/ns/net"
        return self.ctr(f"run {'-d ' if detach else ''}{flags} {image} "
                        f"{cid} {args}", ns=ns)

    def pid(self, cid, ns="k8s.io"):
        for line in self.ctr("task ls", ns=ns).splitlines()[1:]:
            f = line.split()
            if f[0] == cid:
                return int(f[1])
        raise Fail(f"containerd task {cid} not found")

    def stop(self):
        for ns, cid in self.ids:
            self.ctr(f"task kill -s KILL {cid}", ns=ns, check_rc=False)
        for ns, cid in self.ids:
            self.ctr(f"task rm -f {cid}", ns=ns, check_rc=False)
            self.ctr(f"container rm {cid}", ns=ns, check_rc=False)
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.log.close()


def containerd(env, ns="k8s.io"):
    """A Containerd of the test's own, stopped by teardown() unless the
    test stops it first (own_containerd()), with IMAGE imported into
    namespace ns (None: no image)."""
    d = Containerd(env.tmp)
    env.daemons.append(d)
    if ns:
        d.ctr(f"image import {env.archive}", ns=ns)
    return d


@contextlib.contextmanager
def own_containerd(env, d, *runners, after=None):
    """The end of a test that stops its containerd d itself: the block
    gets a list of runners, those given and any it adds, which are
    stopped first (each must exit 0, as stop_all()), then d, then
    after() cleans up what is left, each even when one before failed."""
    runners = [r for r in runners if r]
    try:
        yield runners
    finally:
        try:
            stop_all(runners)
        finally:
            try:
                d.stop()
                env.daemons.remove(d)
            finally:
                if after:
                    after()


def cri_annotations(kind, sandbox, pod, ns, uid, container=None):
    a = {"io.kubernetes.cri.container-type": kind,
         "io.kubernetes.cri.sandbox-id": sandbox,
         "io.kubernetes.cri.sandbox-name": pod,
         "io.kubernetes.cri.sandbox-namespace": ns,
         "io.kubernetes.cri.sandbox-uid": uid}
    if container:
        a["io.kubernetes.cri.container-name"] = container
    return a


def cri_sandbox_labels(pod, ns, uid, labels):
    """The containerd labels the CRI plugin gives a sandbox container: the
    pause image's (here OCI ones and a maintainer's), the kubelet's pod
    labels (the pod's own, its name, namespace and uid), its kind."""
    return dict({"org.opencontainers.image.version": "3.9",
                 "maintainer": "Pause Maintainers <pause@example.org>",
                 "io.kubernetes.pod.name": pod,
                 "io.kubernetes.pod.namespace": ns,
                 "io.kubernetes.pod.uid": uid,
                 "io.cri-containerd.kind": "sandbox"}, **labels)


@test
def containerd_pod_events_carry_k8s_fields(env):
    d = containerd(env)
    pod, ns, uid = f"mypod-{PID}", "demo", str(uuid.uuid4())
    sb, app = hexid(), hexid()
    # another pod, its labels not selected by app=mine
    pod2, uid2, sb2, app2 = f"yourpod-{PID}", str(uuid.uuid4()), hexid(), \
        hexid()
    mine = f"mine-{PID}"
    r = tracer(env)
    cols = tracer(env, mode="columns")
    sel = tracer(env, "--k8s-namespace", f"kube-system,{ns}",
                 "--k8s-podname", pod)
    other = tracer(env, "--k8s-podname", "other")
    lab = tracer(env, "--k8s-selector", f"app={mine}")
    ctr = None
    try:
        # the pod starts after the runner: sandbox, then the application
        d.run(sb, cri_annotations("sandbox", sb, pod, ns, uid),
              "/bin/sleep 1000", detach=True,
              labels=cri_sandbox_labels(pod, ns, uid,
                                        {"app": mine, "tier": "front"}))
        net = PodNet(d.pid(sb))
        srv = server(env, net)
        # from the sandbox: a process of the selected pod (trace_dns
        # filters by mount namespace in the kernel, as the selection does)
        n = [0]

        def probe(name="probe", in_sb=sb):
            n[0] += 1
            d.ctr(f"task exec --exec-id p{n[0]} {in_sb} /bin/nslookup "
                  f"{name}.web.test 127.0.0.1", check_rc=False)
        attached(net, [r, cols, sel, lab], probe)
        # the other pod, traced by the label selection too (its packet
        # socket there): only the selection keeps its queries out
        d.run(sb2, cri_annotations("sandbox", sb2, pod2, ns, uid2),
              "/bin/sleep 1000", detach=True,
              labels=cri_sandbox_labels(pod2, ns, uid2,
                                        {"app": f"yours-{PID}",
                                         "tier": "front"}))
        net2 = PodNet(d.pid(sb2))
        server(env, net2)
        attached(net2, [r])
        wait_until(lambda: packet_socket_in(net2, lab),
                   what="the label selection tracing the other pod's netns")
        # started once the pod's netns exists: it traces it from the start
        ctr = tracer(env, "--k8s-containername", "app")
        out = d.run(app, cri_annotations("container", sb, pod, ns, uid,
                                         "app"),
                    f"/bin/nslookup {pod}.web.test 127.0.0.1",
                    netns_pid=net.pid)
        check("10.77.1.1" in out, f"nslookup in the pod: {out}")
        out = d.run(app2, cri_annotations("container", sb2, pod2, ns, uid2,
                                          "app"),
                    f"/bin/nslookup {pod2}.web.test 127.0.0.1",
                    netns_pid=net2.pid)
        check("10.77.1.1" in out, f"nslookup in the other pod: {out}")
        for x in (r, sel, ctr, lab):
            wait_json(x, named(pod), n=4 if x is r else 2)
        wait_json(r, named(pod2), n=4)
        # a last query of the pod, after the other pod's: what the
        # runners had to say before it is out
        settle([r, cols, sel, lab], lambda: probe("marker"))
    finally:
        stop_all([x for x in (r, cols, sel, other, ctr, lab) if x])
    want = {"node": NODE, "namespace": ns, "podName": pod,
            "containerName": "app", "hostnetwork": False,
            "podLabels": f"app={mine},tier=front", "podUID": uid}
    evs = json_lines(r.stdout())
    mine = queries_of(evs, "nslookup", pod)
    check_k8s(mine, "one-shot nslookup in the pod", want)
    for e in mine:
        eq(e["netns_id"], net.inode, "netns_id of the pod's query")
        eq(e["runtime"]["runtimeName"], "containerd", "runtime.runtimeName")
        eq(e["runtime"]["containerId"], app, "runtime.containerId")
        eq(e["runtime"]["containerName"], "app", "runtime.containerName")
    # dnsmasq is no container's process: the pod's netns names the pod
    dns = [e for e in evs if e["proc"]["pid"] == srv.pid and
           e["name"] == f"{pod}.web.test."]
    eq(len(dns), 4, "dnsmasq's events in the pod's network namespace")
    check_k8s(dns, "dnsmasq in the pod's netns",
              dict(want, containerName=""))
    # host processes elsewhere: the node only
    for e in evs:
        if e["netns_id"] not in (net.inode, net2.inode) and \
                e["proc"]["mntns_id"] == \
                os.stat("/proc/self/ns/mnt").st_ino:
            eq(e["k8s"]["podName"], "", f"host event {e['name']}")
            eq(e["k8s"]["node"], NODE, "k8s.node of a host event")
    # the selection keeps the pod's containers' events, and only them:
    # trace_dns filters by mount namespace in the kernel, dnsmasq is no
    # container's process
    sevs = json_lines(sel.stdout())
    eq(len([e for e in sevs if e["name"] == f"{pod}.web.test."]), 4,
       "selected: the pod's events (nslookup's)")
    for e in sevs:
        eq((e["k8s"]["namespace"], e["k8s"]["podName"]), (ns, pod),
           "selected events' pod")
    cevs = json_lines(ctr.stdout())
    eq(len(queries_of(cevs, "nslookup", pod)), 4,
       "--k8s-containername app: nslookup's events")
    for e in cevs:
        eq(e["k8s"]["containerName"], "app", "--k8s-containername app")
    eq(json_lines(other.stdout()), [], "--k8s-podname other: no events")
    # the other pod: its labels, and the label selection leaves it out
    check_k8s(queries_of(evs, "nslookup", pod2), "the other pod",
              dict(want, podName=pod2, podUID=uid2,
                   podLabels=f"app=yours-{PID},tier=front"))
    levs = json_lines(lab.stdout())
    check_k8s(queries_of(levs, "nslookup", pod),
              f"--k8s-selector app={mine}", want)
    for e in levs:
        eq(e["k8s"]["podName"], pod, f"--k8s-selector app={mine}: {e}")
    # NODE_NAME set: the Kubernetes columns lead
    lines = cols.stdout().splitlines()
    eq(lines[0].split()[:5], ["K8S.NODE", "K8S.NAMESPACE", "K8S.PODNAME",
                              "K8S.CONTAINERNAME", "SRC"],
       "columns on a node")
    rows = [ln for ln in lines[1:] if f"{pod}.web.test." in ln and
            header_cell(lines[0], ln, "COMM") == "nslookup"]
    eq(len(rows), 4, "nslookup rows")
    for ln in rows:
        eq([header_cell(lines[0], ln, h) for h in
            ("K8S.NODE", "K8S.NAMESPACE", "K8S.PODNAME",
             "K8S.CONTAINERNAME")], [NODE, ns, pod, "app"], f"row {ln!r}")


@test
def containerd_busy_at_start_pod_labels_come_later(env):
    """containerd stopped (SIGSTOP: busy, its socket there) while the
    runner starts: the pod's labels, asked at its first scan, time out;
    once containerd answers again, a later scan asks again and the pod's
    events carry them (before, the socket was left alone for 10 s and the
    container never asked again: no labels for its whole life)."""
    d = Containerd(env.tmp)
    env.daemons.append(d)
    d.ctr(f"image import {env.archive}")
    pod, ns, uid, sb = f"busypod-{PID}", "demo", str(uuid.uuid4()), hexid()
    d.run(sb, cri_annotations("sandbox", sb, pod, ns, uid),
          "/bin/sleep 1000", detach=True,
          labels=cri_sandbox_labels(pod, ns, uid, {"app": f"busy-{PID}"}))
    net = PodNet(d.pid(sb))
    server(env, net)
    r = None
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        r = tracer(env)  # ready: its first scan has asked containerd
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    try:
        check("asked again later" in r.stderr(),
              f"containerd's timeout said: {r.stderr()[-300:]!r}")

        def labelled():
            net.run("dig +time=1 +tries=1 @127.0.0.1 later.web.test",
                    check_rc=False)
            return [e for e in json_lines(r.stdout())
                    if e["name"] == "later.web.test." and
                    e["k8s"]["podLabels"]]
        evs = wait_until(labelled, what="the pod's labels on its events",
                         step=0.5)
    finally:
        stop_all([x for x in (r,) if x])
    check_k8s(evs, "a query in the pod's netns once containerd answers",
              {"node": NODE, "namespace": ns, "podName": pod,
               "containerName": "", "hostnetwork": False,
               "podLabels": f"app=busy-{PID}", "podUID": uid})


def remove_cgroups(paths):
    """rmdir each cgroup path (deepest first) in every hierarchy, if
    empty."""
    roots = [os.path.join("/sys/fs/cgroup", h)
             for h in os.listdir("/sys/fs/cgroup")] + ["/sys/fs/cgroup"]
    for path in paths:
        for r in roots:
            try:
                os.rmdir(r + path)
            except OSError:
                pass


@test
def containerd_kubelet_cgroupfs_pod_named(env):
    """A kubelet with the cgroupfs driver (k3s, older kubeadm) gives
    containerd's containers /kubepods/<qos>/pod<uid>/<id>, a bare id that
    names no runtime: its pod's container is still named, as with the
    systemd driver's cri-containerd-<id>.scope."""
    d = containerd(env)
    pod, ns, uid = f"cgfs-{PID}", "demo", str(uuid.uuid4())
    sb, app = hexid(), hexid()
    parent = f"/kubepods/besteffort/pod{uid}"
    r = tracer(env)
    with own_containerd(env, d, r, after=lambda: remove_cgroups(
            [parent, "/kubepods/besteffort", "/kubepods"])):
        d.run(sb, cri_annotations("sandbox", sb, pod, ns, uid),
              "/bin/sleep 1000", detach=True, cgroup=f"{parent}/{sb}")
        net = PodNet(d.pid(sb))
        server(env, net)
        attached(net, [r])
        out = d.run(app, cri_annotations("container", sb, pod, ns, uid,
                                         "app"),
                    f"/bin/nslookup {pod}.web.test 127.0.0.1",
                    netns_pid=net.pid, cgroup=f"{parent}/{app}")
        check("10.77.1.1" in out, f"nslookup in the pod: {out}")
        wait_json(r, named(pod), n=4)
        settle([r], lambda: net.run("dig +time=1 +tries=1 @127.0.0.1 "
                                    "marker.web.test", check_rc=False))
    mine = queries_of(json_lines(r.stdout()), "nslookup", pod)
    check_k8s(mine, "nslookup in the pod",
              {"node": NODE, "namespace": ns, "podName": pod,
               "containerName": "app", "hostnetwork": False,
               "podLabels": "", "podUID": uid})
    for e in mine:
        eq(e["runtime"]["runtimeName"], "containerd", "runtime.runtimeName")
        eq(e["runtime"]["containerId"], app, "runtime.containerId")
        eq(e["runtime"]["containerName"], "app", "runtime.containerName")


@test
def containerd_in_a_container_named_as_its_own(env):
    """containerd run inside a container (kind's and k3d's nodes, here a
    podman container's cgroup) nests its containers' cgroups under that
    container's: an exec in them is the inner container's, whether it
    started before the runner (/proc's whole path) or after (the exec
    hook's last levels), not the outer one's."""
    outer = f"outer-{PID}"
    d = containerd(env)
    # privileged, as kind's and k3d's nodes: its devices cgroup lets
    # the inner containers have theirs
    sh(f"podman run --runtime runc --ulimit nofile=1024:1024 --ulimit"
       f" nproc=1024:1024 -d --privileged --network none --name {outer}"
       f" {IMAGE} sleep 1000")
    before, after = hexid(), hexid()
    cg = None
    mark = f"{TAG}-nested"

    def cleanup():
        if cg:
            remove_cgroups([f"{cg}/k8s.io"])
        sh(f"podman rm -f {outer}", check_rc=False)
    with own_containerd(env, d, after=cleanup) as runners:
        pid = sh(f"podman inspect -f '{{{{.State.Pid}}}}' {outer}").strip()
        outer_id = sh(f"podman inspect -f '{{{{.Id}}}}' {outer}").strip()
        with open(f"/proc/{pid}/cgroup") as f:
            cg = next(ln.split(":", 2)[2].strip() for ln in f
                      if "libpod-" in ln)
        d.run(before, {}, "/bin/sleep 1000", detach=True,
              cgroup=f"{cg}/k8s.io/{before}")
        r = Runner(["run", "trace_exec", "-o", "json", "--store",
                    env.store])
        runners.append(r)
        start = f"{TAG}-started"
        wait_until(lambda: sh(f"/bin/true {start}") is not None and any(
            start in e["args"] for e in json_lines(r.stdout())),
            what="the runner tracing execs")
        d.ctr(f"task exec --exec-id e1 {before} /bin/sh -c 'exit 0'")
        d.run(after, {}, "/bin/sh -c 'exit 0'",
              cgroup=f"{cg}/k8s.io/{after}")
        sh(f"/bin/true {mark}")
        evs = wait_json(r, lambda e: mark in e["args"])
    # the execs named as the test's containers (other jobs on the machine
    # may run sh in theirs): an inner one named as the outer fails too
    ours = (before, after, outer_id)
    sh_evs = [e for e in evs if e["proc"]["comm"] == "sh"]
    got = sorted((e["runtime"]["runtimeName"], e["runtime"]["containerId"])
                 for e in sh_evs if e["runtime"]["containerId"] in ours)
    eq(got, sorted([("containerd", before), ("containerd", after)]),
       "runtime of the execs in the inner containers")


def filter_map_keys(runner_pid):
    """The mount namespaces in the gadget_mntns_filter_map of a runner
    (found by the map ids its file descriptors hold; it reuses the exec
    hook's mntns_filter)."""
    ids = {int(i["map_id"]) for i in fdinfos(runner_pid) if "map_id" in i}
    maps = json.loads(sh("bpftool -j map show"))
    # the gadget's map, or the exec hook's that it reuses
    mine = [m["id"] for m in maps if m["id"] in ids and
            m.get("name") in ("gadget_mntns_fi", "mntns_filter")]
    eq(len(mine), 1, "the runner's gadget_mntns_filter_map")
    dump = json.loads(sh(f"bpftool -j map dump id {mine[0]}"))
    return {int.from_bytes(bytes(int(b, 16) for b in e["key"]), "little")
            for e in dump}


@test
def containerd_pod_selection_in_the_kernel(env):
    """trace_exec filters by mount namespace (gadget/mntns_filter.h): the
    runner turns the filter on and keeps its map to the selected pods'
    containers, those from before it and those that come later."""
    d = containerd(env)
    sel, other, ns = f"sel-{PID}", f"other-{PID}", "demo"
    uid1, uid2 = str(uuid.uuid4()), str(uuid.uuid4())
    sb, app, osb = hexid(), hexid(), hexid()
    d.run(sb, cri_annotations("sandbox", sb, sel, ns, uid1),
          "/bin/sleep 1000", detach=True)
    d.run(osb, cri_annotations("sandbox", osb, other, ns, uid2),
          "/bin/sleep 1000", detach=True)
    r = Runner(["run", "trace_exec", "-o", "json", "--store", env.store,
                "--k8s-podname", sel], env={"NODE_NAME": NODE})
    try:
        sb_pid = d.pid(sb)
        mnt = lambda pid: os.stat(f"/proc/{pid}/ns/mnt").st_ino  # noqa
        eq(filter_map_keys(r.proc.pid), {mnt(sb_pid)},
           "filter map: the selected pod's sandbox (from before)")
        d.run(app, cri_annotations("container", sb, sel, ns, uid1, "app"),
              "/bin/sleep 1000", detach=True, netns_pid=sb_pid)
        app_mnt = mnt(d.pid(app))
        wait_until(lambda: filter_map_keys(r.proc.pid) ==
                   {mnt(sb_pid), app_mnt},
                   what="the new container of the selected pod in the map")
        d.ctr(f"task exec --exec-id x{PID} {osb} /bin/sleep 0")
        d.ctr(f"task exec --exec-id y{PID} {app} /bin/sleep 0")
        r.wait_for(lambda e: e["proc"]["mntns_id"] == app_mnt and
                   e["proc"]["comm"] == "sleep")
        # a last exec in the selected app: what came before it is out
        d.ctr(f"task exec --exec-id z{PID} {app} /bin/sh -c :")
        r.wait_for(lambda e: e["proc"]["mntns_id"] == app_mnt and
                   e["proc"]["comm"] == "sh")
    finally:
        stop_all([r])
    evs = json_lines(r.stdout())
    mine = [e for e in evs if e["proc"]["mntns_id"] == app_mnt]
    check(mine, f"no exec events of the selected pod's app: {evs}")
    for e in evs:
        eq((e["k8s"]["podName"], e["k8s"]["containerName"]),
           (sel, "app") if e["proc"]["mntns_id"] == app_mnt else (sel, ""),
           f"pod of exec event {e['proc']}")


# ---- docker (cri-dockerd's labels and names) --------------------------------


class Dockerd:
    """dockerd with its own data root, exec root, pid file and socket."""

    def __init__(self, tmp):
        self.dir = tempfile.mkdtemp(prefix="docker-", dir=tmp)
        self.sock = os.path.join(self.dir, "docker.sock")
        self.log = open(os.path.join(self.dir, "log"), "w+")
        self.proc = subprocess.Popen(
            ["dockerd", "--iptables=false", "--bridge=none",
             "-H", f"unix://{self.sock}",
             "--data-root", os.path.join(self.dir, "data"),
             "--exec-root", os.path.join(self.dir, "exec"),
             "--pidfile", os.path.join(self.dir, "docker.pid")],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.names = []
        wait_daemon(self.proc, f"{DOCKER} -H unix://{self.sock} version",
                    self.log, "dockerd")

    def cli(self, args, **kw):
        return sh(f"{DOCKER} -H unix://{self.sock} {args}", **kw)

    def stop(self):
        for n in self.names:
            self.cli(f"rm -f {n}", check_rc=False)
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.log.close()


@test
def docker_cri_dockerd_pod_events_carry_k8s_fields(env):
    d = Dockerd(env.tmp)
    env.daemons.append(d)
    sh(f"tar -C {env.rootfs} -c . | {DOCKER} -H unix://{d.sock} import - "
       f"k8s-test-bb:{TAG}")
    pod, ns, uid = f"web-{PID}", "shop", str(uuid.uuid4())
    sbname = f"k8s_POD_{pod}_{ns}_{uid}_0"
    appname = f"k8s_client_{pod}_{ns}_{uid}_0"
    kube = (f"--label io.kubernetes.pod.name={pod} "
            f"--label io.kubernetes.pod.namespace={ns} "
            f"--label io.kubernetes.pod.uid={uid}")
    r = tracer(env)
    yes = tracer(env, "--k8s-selector", "app=web,tier=front")
    no = tracer(env, "--k8s-selector", "app=other")
    try:
        d.names += [sbname, appname]
        sb = d.cli(f"run -d --network none --name {sbname} {kube} "
                   "--label io.kubernetes.docker.type=podsandbox "
                   "--label app=web --label tier=front "
                   "--label annotation.kubernetes.io/config.source=api "
                   f"k8s-test-bb:{TAG} /bin/sleep 1000").strip()
        net = PodNet(int(d.cli(f"inspect -f '{{{{.State.Pid}}}}' {sbname}")))
        server(env, net)
        attached(net, [r, yes], lambda: d.cli(
            f"exec {sbname} /bin/nslookup probe.web.test 127.0.0.1",
            check_rc=False))
        # a one-shot container, gone before the runner reads its state:
        # found from the exec hook's cgroup and the docker folder the
        # sandbox showed
        out = d.cli(f"run --network container:{sbname} --name {appname} "
                    f"{kube} --label io.kubernetes.docker.type=container "
                    "--label io.kubernetes.container.name=client "
                    f"--label io.kubernetes.sandbox.id={sb} "
                    f"k8s-test-bb:{TAG} "
                    f"/bin/nslookup {pod}.web.test 127.0.0.1")
        check("10.77.1.1" in out, f"nslookup in the pod: {out}")
        wait_json(r, named(pod), n=4)
        wait_json(yes, named(pod), n=2)
        settle([r, yes], lambda: d.cli(
            f"exec {sbname} /bin/nslookup marker.web.test 127.0.0.1",
            check_rc=False))
    finally:
        stop_all([r, yes, no])
    want = {"node": NODE, "namespace": ns, "podName": pod,
            "containerName": "client", "hostnetwork": False,
            "podLabels": "app=web,tier=front", "podUID": uid}
    mine = queries_of(json_lines(r.stdout()), "nslookup", pod)
    check_k8s(mine, "docker pod", want)
    for e in mine:
        eq(e["runtime"]["runtimeName"], "docker", "runtime.runtimeName")
        eq(e["runtime"]["containerName"], appname, "runtime.containerName")
        eq(e["runtime"]["containerImageName"], f"k8s-test-bb:{TAG}",
           "runtime.containerImageName (another data root)")
    check_k8s(queries_of(json_lines(yes.stdout()), "nslookup", pod),
              "--k8s-selector app=web,tier=front", want)
    eq(json_lines(no.stdout()), [], "--k8s-selector app=other: no events")


# ---- podman kube play -------------------------------------------------------


def kube_play_client(tmp, pod, labels=None, sidecar=False):
    """`podman kube play` a Pod whose container client waits on a FIFO
    (release(fifo)) then asks nslookup for POD.web.test at 127.0.0.1 in
    the pod's netns (sidecar: and a container "sidecar" that sleeps, for
    podman exec); returns (fifo, the pod's netns as a PodNet)."""
    sync = os.path.join(tmp, "sync")
    os.makedirs(sync, exist_ok=True)
    fifo = os.path.join(sync, "go")
    os.mkfifo(fifo)
    manifest = os.path.join(tmp, "pod.yaml")
    side = (f"  - name: sidecar\n    image: {IMAGE}\n"
            '    command: ["/bin/sleep", "1000"]\n') if sidecar else ""
    meta = f"  name: {pod}\n"
    if labels:
        meta += "  labels:\n" + "".join(f"    {k}: {v}\n"
                                          for k, v in labels.items())
    with open(manifest, "w") as f:
        f.write(f"""apiVersion: v1
kind: Pod
metadata:
{meta}spec:
  restartPolicy: Never
  containers:
  - name: client
    image: {IMAGE}
    command: ["/bin/sh", "-c",
              "read x < /sync/go; exec nslookup {pod}.web.test 127.0.0.1"]
    volumeMounts:
    - name: sync
      mountPath: /sync
{side}  volumes:
  - name: sync
    hostPath:
      path: {sync}
""")
    conf = os.path.join(tmp, "containers.conf")
    with open(conf, "w") as f:
        f.write('[containers]\ndefault_ulimits = ["nofile=1024:1024", '
                '"nproc=1024:1024"]\n[engine]\nruntime = "runc"\n')
    sh(f"CONTAINERS_CONF={conf} podman kube play --network none "
       f"{manifest}")
    infra = sh(f"podman pod inspect -f '{{{{.InfraContainerID}}}}' "
               f"{pod}").strip()
    return fifo, PodNet(int(sh(f"podman inspect -f '{{{{.State.Pid}}}}' "
                               f"{infra}")))


@test
def podman_kube_play_pod_events_carry_k8s_fields(env):
    pod, pod2 = f"kube-{PID}", f"kube2-{PID}"
    r = tracer(env)
    lab = tracer(env, "--k8s-selector", f"app={pod}")
    # ig's -r: podman's containers not known, nor their pod by its netns
    other = tracer(env, "-r", "docker")
    try:
        env.pods += [pod, pod2]
        fifo, net = kube_play_client(env.tmp, pod,
                                     {"app": pod, "tier": "front"},
                                     sidecar=True)
        server(env, net)

        def probe(name="probe"):
            sh(f"podman exec {pod}-sidecar /bin/nslookup {name}.web.test "
               "127.0.0.1", check_rc=False)
        attached(net, [r, lab, other], probe)
        # another kube pod, traced by the label selection too
        tmp2 = os.path.join(env.tmp, "pod2")
        os.makedirs(tmp2)
        fifo2, net2 = kube_play_client(tmp2, pod2, {"app": pod2,
                                                    "tier": "front"})
        server(env, net2)
        attached(net2, [r])
        wait_until(lambda: packet_socket_in(net2, lab),
                   what="the label selection tracing the other pod's netns")
        release(fifo)
        release(fifo2)
        wait_json(r, named(pod), n=4)
        wait_json(r, named(pod2), n=4)
        wait_json(lab, named(pod), n=2)
        settle([r, lab, other], lambda: probe("marker"))
    finally:
        stop_all([r, lab, other])
    want = {"node": NODE, "namespace": "", "podName": pod,
            "containerName": "client", "hostnetwork": False,
            "podLabels": f"app={pod},tier=front", "podUID": ""}
    evs = json_lines(r.stdout())
    mine = queries_of(evs, "nslookup", pod)
    check_k8s(mine, "podman kube play", want)
    for e in mine:
        eq(e["runtime"]["containerName"], f"{pod}-client",
           "runtime.containerName")
    dns = [e for e in evs if e["proc"]["comm"] == "dnsmasq" and
           e["name"] == f"{pod}.web.test."]
    check_k8s(dns, "dnsmasq in the kube pod's netns",
              dict(want, containerName=""))
    check_k8s(queries_of(evs, "nslookup", pod2), "the other kube pod",
              dict(want, podName=pod2, podLabels=f"app={pod2},tier=front"))
    levs = json_lines(lab.stdout())
    check_k8s(queries_of(levs, "nslookup", pod), f"--k8s-selector app={pod}",
              want)
    for e in levs:
        eq(e["k8s"]["podName"], pod, f"--k8s-selector app={pod}: {e}")
    oevs = json_lines(other.stdout())
    none = dict(want, podName="", containerName="", podLabels="")
    check_k8s(queries_of(oevs, "nslookup", pod), "-r docker", none)
    check_k8s([e for e in oevs if e["proc"]["comm"] == "dnsmasq" and
               e["name"] == f"{pod}.web.test."],
              "-r docker: dnsmasq in the kube pod's netns", none)
    for e in queries_of(oevs, "nslookup", pod):
        eq(e["runtime"]["containerName"], "", "-r docker: runtime")


@test
def list_containers_shows_a_kube_play_pod(env):
    """list-containers --k8s-podname POD: the pod's containers with their
    k8s.* members, checked against podman's own view of the pod (its infra
    container, which names no pod here, is not selected)."""
    pod = f"kubels-{PID}"
    tmp = os.path.join(env.tmp, "ls")
    os.makedirs(tmp)
    env.pods.append(pod)
    fifo, _ = kube_play_client(tmp, pod, {"app": pod}, sidecar=True)
    try:
        ids = {}
        for line in sh(f"podman pod inspect -f '{{{{range .Containers}}}}"
                       f"{{{{.Id}}}} {{{{.Name}}}}\n{{{{end}}}}' {pod}"
                       ).split("\n"):
            if line.strip():
                cid, name = line.split()
                ids[cid] = name
        infra = sh(f"podman pod inspect -f '{{{{.InfraContainerID}}}}' "
                   f"{pod}").strip()
        check(infra in ids and len(ids) == 3, f"pod containers {ids}")
        p = subprocess.run([RUNNER, "list-containers", "-o", "json",
                            "--k8s-podname", pod], capture_output=True,
                           text=True, timeout=120)
        eq(p.returncode, 0, f"list-containers: {p.stderr}")
        got = {c["runtime"]["containerId"]: c for c in json.loads(p.stdout)}
        eq(sorted(got), sorted(i for i in ids if i != infra),
           "the pod's containers listed")
        for cid, c in got.items():
            eq(c["runtime"]["containerName"], ids[cid], "containerName")
            eq(c["runtime"]["runtimeName"], "podman", "runtimeName")
            k8s = c["k8s"]
            eq((k8s["podName"], k8s["containerName"], k8s["podLabels"]),
               (pod, ids[cid][len(pod) + 1:], {"app": pod}),
               f"k8s of {ids[cid]}")
    finally:
        release(fifo)


@test
def list_containers_shows_a_containerd_pod_without_its_sandbox(env):
    """A CRI pod: its application container listed with the pod's k8s.*
    and the pid containerd reports (`ctr task ls`); its sandbox left out,
    as ig leaves sandboxes out."""
    d = containerd(env)
    pod, ns, uid = f"lspod-{PID}", "demo", str(uuid.uuid4())
    sb, app = hexid(), hexid()
    d.run(sb, cri_annotations("sandbox", sb, pod, ns, uid),
          "/bin/sleep 1000", detach=True,
          labels=cri_sandbox_labels(pod, ns, uid, {"app": pod}))
    d.run(app, cri_annotations("container", sb, pod, ns, uid, "app"),
          "/bin/sleep 1000", detach=True, netns_pid=d.pid(sb))
    p = subprocess.run([RUNNER, "list-containers", "-o", "json",
                        "--k8s-namespace", ns, "--k8s-podname", pod],
                       capture_output=True, text=True, timeout=120)
    eq(p.returncode, 0, f"list-containers: {p.stderr}")
    got = json.loads(p.stdout)
    eq([c["runtime"]["containerId"] for c in got], [app],
       "the pod's containers listed (its sandbox left out)")
    pid = d.pid(app)
    rt = got[0]["runtime"]
    check(rt.pop("containerStartedAt", 0) > 0, f"no start time: {rt}")
    eq(rt, dict({"runtimeName": "containerd", "containerId": app,
                 "containerName": "app", "containerPid": pid},
                **containerd_image(d, app)),
       "runtime of the application container")
    # the spec containerd keeps, as the bundle's config.json holds it;
    # the pod's sandbox, as the CRI annotations name it
    info = json.loads(d.ctr(f"container info {app}"))
    eq(json.loads(got[0]["ociConfig"]), info["Spec"], "ociConfig")
    eq(got[0]["sandboxId"], sb, "sandboxId")
    eq(got[0]["k8s"], {"namespace": ns, "podName": pod,
                       "podLabels": {"app": pod}, "containerName": "app",
                       "podUID": uid}, "k8s of the application container")
    eq((got[0]["mntns"], got[0]["netns"]),
       (os.stat(f"/proc/{pid}/ns/mnt").st_ino,
        os.stat(f"/proc/{d.pid(sb)}/ns/net").st_ino),
       "mntns, and the pod's netns")


class Watch:
    """`runner list-containers --watch -o json` (flags), its stdout and
    stderr in files of the test's folder."""

    def __init__(self, env, *flags):
        self.out = os.path.join(env.tmp, f"watch-{hexid()[:8]}.json")
        self.err = self.out + ".err"
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen(
                [RUNNER, "list-containers", "--watch", "-o", "json",
                 *flags], stdout=out, stderr=err)

    def stderr(self):
        with open(self.err) as f:
            return f.read()

    def told(self, event, cid):
        """The events of that kind about container cid so far."""
        with open(self.out) as f:
            return [e["container"] for e in json_stream(f.read())
                    if e["event"] == event and
                    e["container"]["runtime"]["containerId"] == cid]

    def stop(self):
        """SIGTERM (a stopped watch continued first); its exit status must
        be 0."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGCONT)
            self.proc.terminate()
        eq(self.proc.wait(timeout=60), 0,
           f"exit status of --watch ({self.stderr()[-300:]!r})")


def cri_pod(d, pod, ns, uid, labels):
    """A CRI pod of containerd d: its sandbox with the pod's labels, and
    its application container "app" (ids)."""
    sb, app = hexid(), hexid()
    d.run(sb, cri_annotations("sandbox", sb, pod, ns, uid),
          "/bin/sleep 1000", detach=True,
          labels=cri_sandbox_labels(pod, ns, uid, labels))
    d.run(app, cri_annotations("container", sb, pod, ns, uid, "app"),
          "/bin/sleep 1000", detach=True, netns_pid=d.pid(sb))
    return sb, app


def check_told_whole(d, w, app, pod, ns, uid, labels):
    """w told CREATED once for app, a container of pod: its runtime and
    image, its pod and the pod's labels, all of them on that event."""
    created = w.told("CREATED", app)
    eq(len(created), 1, "CREATED events of the application container")
    check_whole(d, created[0], app, pod, ns, uid, labels)


def check_whole(d, c, app, pod, ns, uid, labels):
    """c, container app of pod as listed or told: its runtime and image,
    its pod and the pod's labels."""
    want = dict({"runtimeName": "containerd", "containerId": app,
                 "containerName": "app"}, **containerd_image(d, app))
    eq({k: c["runtime"].get(k) for k in want}, want,
       "runtime and image")
    eq(c["k8s"], {"namespace": ns, "podName": pod, "podLabels": labels,
                  "containerName": "app", "podUID": uid}, "k8s")


@test
def list_containers_watch_tells_a_new_pod_container_once_containerd_answers(
        env):
    """A pod started while --watch runs, whose first exec the watch reads
    while containerd is busy (SIGSTOP: the watch stopped too until then,
    the hook's note waiting in its ring): the pod's labels and the image,
    which containerd's API tells, time out and are asked again at a later
    scan.  Its one CREATED event carries them, as ig tells a container
    once its runtime enricher has asked (before, CREATED came at once
    without them, and nothing after)."""
    d = containerd(env)
    pod, ns, uid = f"wpod-{PID}", "demo", str(uuid.uuid4())
    first, sb, app = hexid(), hexid(), hexid()
    labels = {"app": pod, "tier": "front"}
    d.run(first, {}, "/bin/sleep 1000", detach=True)
    w = Watch(env, "-r", "containerd")
    stopped = False
    try:
        # listed: the hook is loaded, its notes are read from now on
        wait_until(lambda: w.told("CREATED", first), what="the list")
        os.kill(w.proc.pid, signal.SIGSTOP)
        d.run(sb, cri_annotations("sandbox", sb, pod, ns, uid),
              "/bin/sleep 1000", detach=True,
              labels=cri_sandbox_labels(pod, ns, uid, labels))
        d.run(app, cri_annotations("container", sb, pod, ns, uid, "app"),
              "/bin/sleep 1000", detach=True, netns_pid=d.pid(sb))
        os.kill(d.proc.pid, signal.SIGSTOP)
        stopped = True
        os.kill(w.proc.pid, signal.SIGCONT)
        wait_until(lambda: "asked again later" in w.stderr(),
                   what="the watch asking a busy containerd")
        os.kill(d.proc.pid, signal.SIGCONT)
        stopped = False
        wait_until(lambda: w.told("CREATED", app), what="app CREATED")
        check_told_whole(d, w, app, pod, ns, uid, labels)
        d.ctr(f"task kill -s KILL {app}")
        wait_until(lambda: w.told("DELETED", app), what="app DELETED")
        check_told_whole(d, w, app, pod, ns, uid, labels)
        eq(w.told("CREATED", sb), [], "the sandbox, left out")
    finally:
        if stopped:
            os.kill(d.proc.pid, signal.SIGCONT)
        w.stop()


@test
def list_containers_watch_lists_a_pod_container_once_containerd_answers(
        env):
    """A pod there before --watch, which starts while containerd is busy
    (SIGSTOP): what containerd did not tell at the first scan is asked
    again later, and the container is listed (CREATED) once it has been
    told, selected by what it is then: --containerimage-id, which the
    image's id from containerd's API matches, lists it too (before:
    listed at once without its labels and image, and nothing after; by
    the image's id, never)."""
    d = containerd(env)
    pod, ns, uid = f"wlpod-{PID}", "demo", str(uuid.uuid4())
    labels = {"app": pod}
    _, app = cri_pod(d, pod, ns, uid, labels)
    image_id = containerd_image(d, app)["containerImageId"]
    os.kill(d.proc.pid, signal.SIGSTOP)
    stopped, ws = True, []
    try:
        ws.append(Watch(env, "--k8s-podname", pod))
        ws.append(Watch(env, "--containerimage-id", image_id))
        for w in ws:
            wait_until(lambda: "asked again later" in w.stderr(),
                       what="the watch asking a busy containerd")
        os.kill(d.proc.pid, signal.SIGCONT)
        stopped = False
        for w in ws:
            wait_until(lambda: w.told("CREATED", app), what="app CREATED")
            check_told_whole(d, w, app, pod, ns, uid, labels)
    finally:
        if stopped:
            os.kill(d.proc.pid, signal.SIGCONT)
        for w in ws:
            w.stop()


@test
def list_containers_lists_a_pod_container_once_containerd_answers(env):
    """A list without --watch started while containerd is busy (SIGSTOP):
    what containerd did not tell at the first scan (the pod's labels, the
    image) is asked again at later scans, and the container is listed
    once it is told, as ig's list waits for its runtime enricher (before:
    listed at once without them)."""
    d = containerd(env)
    pod, ns, uid = f"lpod-{PID}", "demo", str(uuid.uuid4())
    labels = {"app": pod}
    _, app = cri_pod(d, pod, ns, uid, labels)
    out = os.path.join(env.tmp, f"list-{app[:8]}.json")
    os.kill(d.proc.pid, signal.SIGSTOP)
    stopped, p = True, None
    try:
        with open(out, "w") as o, open(out + ".err", "w") as e:
            p = subprocess.Popen([RUNNER, "list-containers", "-o", "json",
                                  "--k8s-podname", pod], stdout=o, stderr=e)
        wait_until(lambda: "asked again later" in open(out + ".err").read(),
                   what="the list asking a busy containerd")
        os.kill(d.proc.pid, signal.SIGCONT)
        stopped = False
        eq(p.wait(timeout=120), 0, f"list-containers: "
           f"{open(out + '.err').read()[-300:]}")
        with open(out) as f:
            got = json.load(f)
        eq([c["runtime"]["containerId"] for c in got], [app], "listed")
        check_whole(d, got[0], app, pod, ns, uid, labels)
    finally:
        if stopped:
            os.kill(d.proc.pid, signal.SIGCONT)
        if p and p.poll() is None:
            p.kill()
            p.wait()


@test
def list_containers_with_containerd_stopped_lists_what_is_known(env):
    """containerd stopped (SIGSTOP) through a list and a watch of five of
    its containers: each container's image call times out, and the calls
    are made one at a time (the socket's back-off after a timeout).
    Neither waits for more than containerd's first few timeouts in a row:
    the list ends and the watch tells every container, without the image
    containerd did not tell (before, the last of N waited for 4 N
    timeouts in a row, minutes).  A generous timeout of the list's
    (harness) catches a stall, no time is measured."""
    d = containerd(env)
    ids = sorted(hexid() for _ in range(5))
    for cid in ids:
        d.run(cid, {}, "/bin/sleep 1000", detach=True)
    os.kill(d.proc.pid, signal.SIGSTOP)
    w = None
    try:
        p = subprocess.run([RUNNER, "list-containers", "-o", "json",
                            "-r", "containerd"], capture_output=True,
                           text=True, timeout=120)
        eq(p.returncode, 0, f"list-containers: {p.stderr[-300:]}")
        check("asked again later" in p.stderr,
              f"containerd was not found busy: {p.stderr[-300:]}")
        got = {c["runtime"]["containerId"]: c["runtime"]
               for c in json.loads(p.stdout)}
        eq(sorted(c for c in got if c in ids), ids, "every one listed")
        for cid in ids:
            check(not got[cid].get("containerImageName"),
                  f"{cid}: an image without containerd: {got[cid]}")
        w = Watch(env, "-r", "containerd")
        wait_until(lambda: all(w.told("CREATED", c) for c in ids),
                   what="every one CREATED with containerd stopped")
        for cid in ids:
            rt = w.told("CREATED", cid)[0]["runtime"]
            check(not rt.get("containerImageName"),
                  f"{cid}: told with an image: {rt}")
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
        if w:
            w.stop()


def containerd_image(d, cid):
    """runtime.containerImage{Name,Id,Digest} of containerd container cid
    as ctr tells them: the container's image, the digest that name points
    at (`ctr images ls`), the config of its manifest (of this machine's
    platform, when the digest is an index's)."""
    return containerd_image_named(
        d, json.loads(d.ctr(f"container info {cid}"))["Image"])


def containerd_image_named(d, name):
    """containerd_image() of image name."""
    rows = [ln.split() for ln in d.ctr("images ls").splitlines()[1:]]
    digest = next(r[2] for r in rows if r[0] == name)
    doc = json.loads(d.ctr(f"content get {digest}"))
    if "manifests" in doc:
        check(len(doc["manifests"]) == 1, f"one manifest in {doc}")
        doc = json.loads(d.ctr(f"content get "
                               f"{doc['manifests'][0]['digest']}"))
    return {"containerImageName": name,
            "containerImageId": doc["config"]["digest"],
            "containerImageDigest": digest}


def containerd_with_index(env, tag):
    """A containerd with IMAGE, and IMAGE again as an OCI index named
    localhost/k8s-test-TAG (returned)."""
    d = containerd(env)
    oci = os.path.join(env.tmp, f"image-{tag}.tar")
    sh(f"podman save --format oci-archive -o {oci} {IMAGE}")
    index = f"localhost/k8s-test-{tag}:{TAG}"
    d.ctr(f"image import --index-name {index} {oci}")
    return d, index


@test
def list_containers_shows_containerd_images(env):
    """containerd containers (no pod) of an image whose name points at a
    manifest and of one whose name points at an index: the image's name,
    id and digest as ctr tells them (ig's containerd client asks
    containerd the same)."""
    d, index = containerd_with_index(env, "index")
    ids = {hexid(): IMAGE, hexid(): index}
    for cid, image in ids.items():
        d.run(cid, {}, "/bin/sleep 1000", detach=True, image=image)
    got = {c["runtime"]["containerId"]: c["runtime"] for c in json.loads(
        subprocess.run([RUNNER, "list-containers", "-o", "json", "-r",
                        "containerd"], capture_output=True, text=True,
                       timeout=120, check=True).stdout or "null") or []}
    for cid in ids:
        check(cid in got, f"{cid} not listed: {list(got)}")
        want = containerd_image(d, cid)
        eq({k: got[cid].get(k) for k in want}, want, f"image of {cid}")
    eq(len({got[cid]["containerImageDigest"] for cid in ids}), 2,
       "a manifest's digest and an index's")


@test
def containerd_container_of_any_id_named_and_selected_by_image(env):
    """Containers `ctr run` made with ids that are not 64 hex characters
    (containerd takes any of its identifiers) outside pods: named by their
    whole id and their image by containerd's API (no CRI annotation), as
    ig's containerd client names them, in run and list-containers, one
    from before the runner and a one-shot one after it; run's
    --containerimage-id and --containerimage-digest select them by what
    ctr tells of their images (an image and an index of the same image:
    one id, two digests)."""
    d, index = containerd_with_index(env, "index-sel")
    img, idx = containerd_image_named(d, IMAGE), \
        containerd_image_named(d, index)
    eq(img["containerImageId"], idx["containerImageId"], "one image id")
    before, after = f"lcfc{PID}", f"lcfc-{PID}.after_1"
    other = f"other{PID}"
    d.run(before, {}, "/bin/sleep 1000", detach=True)
    d.run(other, {}, "/bin/sleep 1000", detach=True, image=index)
    got = {c["runtime"]["containerId"]: c for c in json.loads(
        subprocess.run([RUNNER, "list-containers", "-o", "json", "-r",
                        "containerd"], capture_output=True, text=True,
                       timeout=120, check=True).stdout or "null") or []}
    for cid, image in ((before, img), (other, idx)):
        check(cid in got, f"{cid} not listed: {list(got)}")
        eq({k: got[cid]["runtime"].get(k)
            for k in ("containerName", "runtimeName", *image)},
           dict({"containerName": cid, "runtimeName": "containerd"},
                **image), f"list-containers: {cid}")
    flags = {"all": [],
             "id": ["--containerimage-id", img["containerImageId"]],
             "digest": ["--containerimage-digest",
                        img["containerImageDigest"][7:19]],
             "not digest": ["--runtime-containerimage-digest",
                            "!" + img["containerImageDigest"]],
             "id, not digest": ["--runtime-containerimage-id",
                                "sha256:" + idx["containerImageId"][7:19],
                                "--containerimage-digest",
                                "!" + img["containerImageDigest"]]}
    rs = {}
    with own_containerd(env, d) as runners:
        for what, f in flags.items():
            rs[what] = Runner(["run", "trace_exec", "-o", "json",
                               "--store", env.store, *f])
            runners.append(rs[what])
        d.ctr(f"task exec --exec-id e1 {before} /bin/sh -c 'exit 0'")
        d.ctr(f"task exec --exec-id e1 {other} /bin/sh -c 'exit 0'")
        d.run(after, {}, "/bin/sh -c 'exit 0'")
        # the last exec: every other was written before it
        d.ctr(f"task exec --exec-id e2 {other} /bin/sh -c 'exit 1'",
              check_rc=False)
        for what in ("all", "not digest", "id, not digest"):
            wait_json(rs[what], lambda e: e["proc"]["comm"] == "sh" and
                      e["runtime"]["containerId"] == other and
                      "exit 1" in e["args"])
        # after ended after every exec but that last one
        for what in ("id", "digest"):
            wait_json(rs[what], lambda e: e["proc"]["comm"] == "sh" and
                      e["runtime"]["containerId"] == after)
    names = {before: img, after: img, other: idx}
    want = {"all": {before, after, other}, "id": {before, after, other},
            "digest": {before, after}, "not digest": {other},
            "id, not digest": {other}}
    # (other tests' containers may run beside these)
    for what, r in rs.items():
        evs = [e for e in json_lines(r.stdout())
               if e["runtime"]["containerId"] in names]
        if what != "all":
            eq([e["proc"]["comm"] for e in json_lines(r.stdout())
                if not e["runtime"]["containerId"]], [],
               f"{what}: the host's events")
        eq({e["runtime"]["containerId"] for e in evs
            if e["proc"]["comm"] == "sh"}, want[what],
           f"{what}: the containers of the execs")
        for e in evs:
            rt = e["runtime"]
            eq((rt["containerName"], rt["runtimeName"],
                rt["containerImageName"]),
               (rt["containerId"], "containerd",
                names[rt["containerId"]]["containerImageName"]),
               f"{what}: runtime of {rt['containerId']}")


@test
def containerd_one_shot_container_selected_by_image_after_its_task_went(env):
    """A one-shot `ctr run` container whose task, and with it its bundle,
    is gone when the runner reads its first exec (a runner behind on a
    loaded machine; here stopped from before the container's start until
    `ctr run` has returned, the bundle checked gone): its image asked of
    containerd all the same (the container is still there), which selects
    it by --containerimage-id; named by its id, its image's name shown.
    The containerd is known to the runner by a container from before it."""
    d = containerd(env)
    img = containerd_image_named(d, IMAGE)
    before, after = f"gone{PID}", f"gone-{PID}.after_1"
    bundles = os.path.join(d.dir, "state", "io.containerd.runtime.v2.task",
                           "k8s.io")
    d.run(before, {}, "/bin/sleep 1000", detach=True)
    r = Runner(["run", "trace_exec", "-o", "json", "--store", env.store,
                "--containerimage-id", img["containerImageId"]])
    with own_containerd(env, d, r):
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            wait_until(lambda: all_stopped(r.proc.pid),
                       what="runner stopped")
            d.run(after, {}, "/bin/sh -c 'exit 0'")
            check(not os.path.exists(os.path.join(bundles, after)),
                  f"the bundle of {after} gone")
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)
        # the marker: every exec under test was written before it
        d.ctr(f"task exec --exec-id e1 {before} /bin/sh -c 'exit 1'",
              check_rc=False)
        wait_json(r, lambda e: e["proc"]["comm"] == "sh" and
                  e["runtime"]["containerId"] == before and
                  "exit 1" in e["args"])
    evs = [e for e in json_lines(r.stdout())
           if e["proc"]["comm"] == "sh"]
    eq({e["runtime"]["containerId"] for e in evs}, {before, after},
       "the containers of the execs")
    for e in evs:
        rt = e["runtime"]
        eq((rt["containerName"], rt["runtimeName"], rt["containerImageName"]),
           (rt["containerId"], "containerd", IMAGE),
           f"runtime of {rt['containerId']}")


def long_id(tag):
    """An id of 76 characters, the longest containerd takes."""
    return (f"{tag}-{PID}." + uuid.uuid4().hex * 3)[:76]


def ask(d, cid, ns, name, n=[0]):
    """nslookup NAME.web.test from a new process of container cid."""
    n[0] += 1
    d.ctr(f"task exec --exec-id q{n[0]} {cid} /bin/nslookup "
          f"{name}.web.test 127.0.0.1", ns=ns, check_rc=False)


def ask_until_seen(runner, d, cid, ns, name):
    """ask() until runner shows the answer (it traces the namespace)."""
    def seen():
        ask(d, cid, ns, name)
        return any(named(name)(e) for e in json_lines(runner.stdout()))
    wait_until(seen, what=f"{name}.web.test from {cid}", step=0.2)


@test
def containerd_namespaces_and_long_ids_named_as_ig(env):
    """Containers of containerd namespaces default and k8s.io with ids of
    76 characters (containerd's longest; cgroups /default/<id> and
    /k8s.io/<id>), one of default started after the runners: each is
    known by its whole id; as ig, the containers of the namespace
    --containerd-namespace names (default k8s.io) are named by their ids,
    runtime containerd, their image from containerd's API; those of the
    other are known by their ids only (ig's runc hook: no name, no
    runtime, no image); -c selects by those names, in run and
    list-containers; no k8s fields (no CRI annotations); list-containers
    --watch tells the one started after it CREATED, then DELETED; a
    namespace of 76 characters is asked for its container's image."""
    d = containerd(env, ns=None)
    # and a namespace of 76 characters too
    longns, third = long_id("ns"), long_id("third")
    for ns in ("default", "k8s.io", longns):
        d.ctr(f"image import {env.archive}", ns=ns)
    dflt, k8s, after = long_id("dflt"), long_id("k8s"), long_id("after")
    eq([len(x) for x in (dflt, k8s, after, longns)], [76] * 4, "ids of 76")
    d.run(third, {}, "/bin/sleep 1000", detach=True, ns=longns)
    d.run(dflt, {}, "/bin/sleep 1000", detach=True, ns="default")
    net = PodNet(d.pid(dflt, ns="default"))
    server(env, net)
    d.run(k8s, {}, "/bin/sleep 1000", detach=True, netns_pid=net.pid)
    ig = {"k8s.io": tracer(env),
          "default": tracer(env, "--containerd-namespace", "default")}
    sel = {"k8s.io": tracer(env, "-c", k8s),
           "default": tracer(env, "--containerd-namespace", "default",
                             "-c", dflt)}
    wpath = os.path.join(env.tmp, f"watch-{PID}.json")
    with open(wpath, "w") as wout:
        watch = subprocess.Popen([RUNNER, "list-containers", "--watch", "-o",
                                  "json", "--containerd-namespace",
                                  "default"], stdout=wout,
                                 stderr=subprocess.PIPE, text=True)

    def told(event, cid):
        with open(wpath) as f:
            out = json_stream(f.read())
        return [e["container"]["runtime"] for e in out
                if e["event"] == event and
                e["container"]["runtime"]["containerId"] == cid]
    try:
        # the watch lists what is there: then it is told of what comes
        wait_until(lambda: told("CREATED", dflt), what="--watch listing")
        attached(net, list(ig.values()))
        ask_until_seen(sel["k8s.io"], d, k8s, "k8s.io", "k8s")
        ask_until_seen(sel["default"], d, dflt, "default", "dflt")
        ask(d, dflt, "default", "dflt")
        ask(d, k8s, "k8s.io", "k8s")
        d.run(after, {}, "/bin/sh -c 'nslookup after.web.test "
                    "127.0.0.1; exec sleep 1000'", detach=True,
                    netns_pid=net.pid, ns="default")
        for r in ig.values():
            wait_json(r, named("after"), n=2)
        rt = wait_until(lambda: told("CREATED", after),
                        what="--watch: after CREATED")[0]
        eq((rt["containerName"], rt["runtimeName"]), (after, "containerd"),
           "--watch: the container started after it")
        # the last queries: every other was written before them
        ask_until_seen(sel["default"], d, dflt, "default", "marker")
        ask_until_seen(sel["k8s.io"], d, k8s, "k8s.io", "marker")
        listed = {}
        for ns in ("k8s.io", "default"):
            p = subprocess.run([RUNNER, "list-containers", "-o", "json",
                                "--containerd-namespace", ns],
                               capture_output=True, text=True, timeout=120)
            eq(p.returncode, 0, f"list-containers: {p.stderr}")
            listed[ns] = {c["runtime"]["containerId"]: c
                          for c in json.loads(p.stdout) or []}
        p = subprocess.run([RUNNER, "list-containers", "-o", "json",
                            "--containerd-namespace", "default", "-c",
                            dflt], capture_output=True, text=True,
                           timeout=120)
        eq([c["runtime"]["containerId"] for c in json.loads(p.stdout)],
           [dflt], "list-containers -c of a default container")
        p = subprocess.run([RUNNER, "list-containers", "-o", "json",
                            "--containerd-namespace", longns, "-c", third],
                           capture_output=True, text=True, timeout=120)
        eq([{k: c["runtime"].get(k) for k in ("containerName",
                                              "runtimeName",
                                              "containerImageName")}
            for c in json.loads(p.stdout) or []],
           [{"containerName": third, "runtimeName": "containerd",
             "containerImageName": IMAGE}],
           "list-containers --containerd-namespace of 76 characters")
        d.ctr(f"task kill -s KILL {after}", ns="default")
        wait_until(lambda: told("DELETED", after),
                   what="--watch: after DELETED")
        eq(watch.poll(), None, "--watch ended")
    finally:
        watch.terminate()
        _, werr = watch.communicate(timeout=60)
        stop_all(list(ig.values()) + list(sel.values()))
    eq(watch.returncode, 0, f"exit status of --watch ({werr})")
    image = json.loads(d.ctr(f"container info {dflt}", ns="default"))[
        "Image"]
    of = {dflt: "default", k8s: "k8s.io", after: "default"}
    for asked, r in ig.items():
        evs = [e for e in json_lines(r.stdout())
               if e["runtime"]["containerId"] in of]
        eq({e["runtime"]["containerId"] for e in evs
            if e["proc"]["comm"] == "nslookup"}, set(of),
           f"--containerd-namespace {asked}: the containers' queries")
        for e in evs:
            cid = e["runtime"]["containerId"]
            rt = {k: e["runtime"][k] for k in
                  ("containerName", "runtimeName", "containerImageName")}
            want = (dict(containerName=cid, runtimeName="containerd",
                         containerImageName=image)
                    if of[cid] == asked else
                    dict(containerName="", runtimeName="",
                         containerImageName=""))
            eq(rt, want, f"--containerd-namespace {asked}: {cid}")
            eq((e["k8s"]["podName"], e["k8s"]["containerName"]), ("", ""),
               f"k8s of {cid}")
        # as listed
        for cid in (dflt, k8s, after):
            check(cid in listed[asked], f"{cid} not listed: "
                  f"{list(listed[asked])}")
            rt = listed[asked][cid]["runtime"]
            eq((rt.get("containerName", ""), rt.get("runtimeName", "")),
               (cid, "containerd") if of[cid] == asked else ("", ""),
               f"list-containers --containerd-namespace {asked}: {cid}")
    for asked, r in sel.items():
        mine = dflt if asked == "default" else k8s
        evs = json_lines(r.stdout())
        eq({e["runtime"]["containerId"] for e in evs}, {mine},
           f"-c {mine} (--containerd-namespace {asked})")
        eq({e["name"] for e in evs if e["qr"] == "R"},
           {f"{'dflt' if mine == dflt else 'k8s'}.web.test.",
            "marker.web.test."}, f"-c {mine}: its queries")


@test
def containerd_namespaces_past_sixteen_all_listed_and_named(env):
    """The runner finds a containerd container's bundle, and the socket
    of the containerd to ask, in the folder of its namespace's bundles
    (.../io.containerd.runtime.v2.task/<namespace>), learned from the
    container's shim: one per namespace of each containerd, as many as
    the host has.  With 19 namespaces of one containerd and one of
    another, each container is listed, that of the namespace asked named
    (its id) with its image from its containerd; others by id.  The
    runner kept 16 folders and 16 sockets: past them a container of
    another containerd was not listed at all, and its containerd or
    that of a namespace went unasked (no image)."""
    a, b = containerd(env, ns=None), containerd(env, ns=None)
    of = {f"many{i}-{PID}": a for i in range(19)}
    of[f"other-{PID}"] = b
    with own_containerd(env, a), own_containerd(env, b, after=lambda: (
            remove_cgroups([p for ns in of
                            for p in (f"/{ns}/c-{ns}", f"/{ns}")]))):
        for ns, d in of.items():  # b's last: its process the newest
            d.ctr(f"image import {env.archive}", ns=ns)
            d.run(f"c-{ns}", {}, "/bin/sleep 1000", detach=True, ns=ns)
        image = json.loads(b.ctr(f"container info c-other-{PID}",
                                 ns=f"other-{PID}"))["Image"]
        for asked in of:
            got = {c["runtime"]["containerId"]: c["runtime"]
                   for c in json.loads(sh(
                       f"{RUNNER} list-containers -o json "
                       f"--containerd-namespace {asked}")) or []}
            for ns in of:
                rt = got.get(f"c-{ns}")
                check(rt is not None, f"c-{ns} not listed (asked {asked}): "
                      f"{sorted(got)}")
                eq((rt.get("containerName", ""), rt.get("runtimeName", ""),
                    rt.get("containerImageName", "")),
                   (f"c-{ns}", "containerd", image) if ns == asked else
                   ("", "", ""), f"c-{ns} (asked {asked})")

def hierarchies():
    """The mount points of the host's cgroup hierarchies (v1 and v2)."""
    out = []
    for line in open("/proc/self/mountinfo"):
        f = line.split()
        if (f[f.index("-") + 1] in ("cgroup", "cgroup2") and f[3] == "/"
                and f[4].startswith("/sys/fs/cgroup")):
            out.append(f[4])
    return out


def in_cgroup_ns(cgroup, argv):
    """argv's output, run from cgroup (made in every hierarchy, as a
    runtime's container is in each) under a cgroup namespace of its own
    (`unshare -C`), whose root that cgroup is."""
    made = []
    try:
        for h in hierarchies():
            path = h + cgroup
            if not os.path.isdir(path):
                os.makedirs(path)
                made.append(path)
            for cs in ("cpuset.cpus", "cpuset.mems"):
                # a v1 cpuset's new cgroup has none: no task joins it
                if os.path.exists(os.path.join(path, cs)):
                    with open(os.path.join(os.path.dirname(path), cs)) as f:
                        want = f.read()
                    with open(os.path.join(path, cs), "w") as f:
                        f.write(want)
        joins = "".join(f"echo $$ > {h}{cgroup}/cgroup.procs && "
                        for h in hierarchies())
        return sh(f"{joins}exec unshare -C {' '.join(argv)}")
    finally:
        for path in reversed(made):
            os.rmdir(path)


@test
def containerd_cgroupfs_named_from_a_cgroup_namespace(env):
    """A runner in a cgroup namespace of its own (a pod's, `unshare -C`)
    reads other processes' cgroups relative to its root: a `ctr run`
    container of namespace default, cgroup /default/<id> (containerd's
    cgroupfs layout), reads "/../default/<id>" from a namespace rooted at
    a cgroup beside it, "/../<id>" from one rooted in /default itself.
    list-containers names it from both as from the host's namespace: the
    runner reads cgroups in the host's cgroup namespace, as ig."""
    d = containerd(env, ns="default")
    cid = f"cgns-{PID}"
    d.run(cid, {}, "/bin/sleep 1000", detach=True, ns="default")
    pid = d.pid(cid, ns="default")
    ls = [RUNNER, "list-containers", "-o", "json", "--containerd-namespace",
          "default"]
    with own_containerd(env, d, after=lambda: remove_cgroups(
            [f"/default/{cid}", "/default"])):
        want = {c["runtime"]["containerId"]: c["runtime"]
                for c in json.loads(sh(" ".join(ls))) or []}.get(cid)
        eq((want or {}).get("containerName"), cid,
           "list-containers in the host's cgroup namespace")
        for where, seen in ((f"/runner-{PID}", f"0::/../default/{cid}"),
                            (f"/default/runner-{PID}", f"0::/../{cid}")):
            text = in_cgroup_ns(where, ["cat", f"/proc/{pid}/cgroup"])
            check(seen in text.splitlines(),
                  f"the container's cgroup from {where}: {text!r}")
            got = {c["runtime"]["containerId"]: c["runtime"]
                   for c in json.loads(in_cgroup_ns(where, ls)) or []}
            eq(got.get(cid), want, f"list-containers from {where}")

if __name__ == "__main__":
    main(setup, teardown)
