#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The node agent: deploy/runner-agent.yaml checked against the Kubernetes
models offline (Debian's python3-kubernetes, tests/deploy/validate.py), and the agent image (tools/agent-image.sh, `make image`)
run with podman exactly as the DaemonSet says: its security context,
host namespaces, mounts, env (the downward API's node name, the
ConfigMap's gadget and flags) and resource limits become podman flags
here, read from the manifest, so that the two cannot drift.  The agent
traces a `podman kube play` pod's DNS with the pod's k8s.* fields.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import ROOT, Fail, check, eq, main, sh, test  # noqa: E402
from gadget_env import (build_images, cgroup2_root, cgroup_progs,  # noqa: E402
                        json_lines, prog_ids, wait_until)

# test_k8s's pods and images, without registering its tests here
_n = len(harness._tests)
import test_k8s as k8s  # noqa: E402
del harness._tests[_n:]

MANIFEST = os.path.join(ROOT, "deploy", "runner-agent.yaml")
BUILD = os.environ.get("BUILD", os.path.join(ROOT, "build"))
NODE = f"node-deploy-{os.getpid()}"
AGENT = f"runner-agent-test-{os.getpid()}"
# What this machine's podman needs whatever the manifest says (DESIGN.md:
# crun fails on its hybrid cgroups; podman's default rlimits are refused).
PODMAN_HOST = ["--runtime", "runc", "--ulimit", "nofile=1024:1024",
               "--ulimit", "nproc=1024:1024"]


def objects():
    with open(MANIFEST) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def one(kind):
    objs = [o for o in objects() if o["kind"] == kind]
    eq(len(objs), 1, f"{kind} objects in the manifest")
    return objs[0]


def podman_flags(ds, cm, node, store):
    """podman run flags for the DaemonSet's pod on node; the store's host
    path becomes store."""
    spec = ds["spec"]["template"]["spec"]
    ann = ds["spec"]["template"]["metadata"].get("annotations", {})
    eq(len(spec["containers"]), 1, "containers of the agent's pod")
    c = spec["containers"][0]
    flags = []
    if spec.get("hostPID"):
        flags.append("--pid=host")
    if spec.get("hostNetwork"):
        flags.append("--network=host")
    sc = c.get("securityContext", {})
    check(not sc.get("privileged"), "the agent is not privileged")
    caps = sc.get("capabilities", {})
    for cap in caps.get("drop", []):
        flags.append(f"--cap-drop={cap.lower()}")
    for cap in caps.get("add", []):
        flags.append(f"--cap-add=CAP_{cap}")
    if sc.get("seccompProfile", {}).get("type") == "Unconfined":
        flags += ["--security-opt", "seccomp=unconfined"]
    if ann.get(f"container.apparmor.security.beta.kubernetes.io/"
               f"{c['name']}") == "unconfined" or \
            sc.get("appArmorProfile", {}).get("type") == "Unconfined":
        flags += ["--security-opt", "apparmor=unconfined"]
    for key, val in sc.get("seLinuxOptions", {}).items():
        flags += ["--security-opt", f"label={key}:{val}"]
    if sc.get("allowPrivilegeEscalation") is False:
        flags += ["--security-opt", "no-new-privileges"]
    if sc.get("readOnlyRootFilesystem"):
        flags += ["--read-only", "--read-only-tmpfs=false"]
    if "runAsUser" in sc:
        flags.append(f"--user={sc['runAsUser']}")
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    for m in c.get("volumeMounts", []):
        v = vols[m["name"]]
        if "emptyDir" in v:
            flags += ["--tmpfs", m["mountPath"]]
            continue
        host = v["hostPath"]["path"]
        if v["hostPath"].get("type") == "DirectoryOrCreate":
            os.makedirs(host, exist_ok=True)
        if m["name"] == "store":
            host = store
        opts = ["ro" if m.get("readOnly") else "rw"]
        if m.get("mountPropagation") == "HostToContainer":
            opts.append("rslave")
        flags += ["-v", f"{host}:{m['mountPath']}:{','.join(opts)}"]
    for e in c.get("env", []):
        if "value" in e:
            val = e["value"]
        elif e["valueFrom"].get("fieldRef", {}).get("fieldPath") == \
                "spec.nodeName":
            val = node
        else:
            ref = e["valueFrom"]["configMapKeyRef"]
            eq(ref["name"], cm["metadata"]["name"], "ConfigMap of the env")
            val = cm["data"][ref["key"]]
        flags += ["-e", f"{e['name']}={val}"]
    lim = c.get("resources", {}).get("limits", {})
    if "memory" in lim:
        flags.append(f"--memory={lim['memory'].replace('Mi', 'm')}")
    if "cpu" in lim:
        flags.append(f"--cpus={lim['cpu']}")
    return flags, c["image"], c.get("command", []) + c.get("args", [])


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="deploy-e2e-")
    env.k = None
    env.agent = False
    try:
        env.k = k8s.setup()
        # the host's /var/lib/runner, with the store where the image's
        # $RUNNER_STORE says
        env.store = os.path.join(env.tmp, "varlib")
        store = os.path.join(env.store, "oci-store")
        # the gadget the ConfigMap names, in the store the agent mounts
        build_images(store, {one("ConfigMap")["data"]["gadget"]:
                                 f"{ROOT}/gadget/trace_dns"})
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    if env.agent:
        sh(f"podman rm -f {AGENT}", check_rc=False)
    if env.k:
        k8s.teardown(env.k)
    shutil.rmtree(env.tmp, ignore_errors=True)


VALIDATE = ["/usr/bin/python3", os.path.join(ROOT, "tests", "deploy",
                                             "validate.py")]


@test
def manifests_valid_kubernetes_objects(env):
    objs = objects()
    p = subprocess.run(VALIDATE, input=json.dumps(objs), capture_output=True,
                       text=True, timeout=120)
    eq(p.returncode, 0, f"validation: {p.stdout}{p.stderr}")
    eq(sorted(o["kind"] for o in objs),
       ["ConfigMap", "DaemonSet", "Namespace", "ServiceAccount"], "kinds")
    # the validator does refuse broken objects: a wrong type, an unknown
    # field, a missing required field
    broken = []
    ds = json.loads(json.dumps(one("DaemonSet")))
    ds["spec"]["template"]["spec"]["hostPID"] = "yes"
    broken.append((ds, "hostPID must be bool"))
    ds = json.loads(json.dumps(one("DaemonSet")))
    ds["spec"]["template"]["spec"]["hostPid"] = True
    broken.append((ds, "hostPid: no such field in V1PodSpec"))
    ds = json.loads(json.dumps(one("DaemonSet")))
    del ds["spec"]["selector"]
    broken.append((ds, "selector"))
    for obj, why in broken:
        p = subprocess.run(VALIDATE, input=json.dumps([obj]),
                           capture_output=True, text=True, timeout=120)
        check(p.returncode == 1 and why in p.stdout,
              f"a broken DaemonSet ({why}) passed: {p.stdout}{p.stderr}")


# What ig's chart (charts/gadget/templates/daemonset.yaml) grants its
# agent that this one needs too, and why; numbers from linux/capability.h.
IG_CAPS = {
    "SYS_ADMIN": (21, "setns(2) into every network namespace, mounts"),
    "SYS_PTRACE": (19, "/proc/<pid>/ns/* of other processes"),
    "NET_RAW": (13, "AF_PACKET sockets of the socket filters"),
    "DAC_READ_SEARCH": (2, "the runtimes' state files"),
    "SYS_RESOURCE": (24, "RLIMIT_MEMLOCK, raised on kernels before 5.11"),
    "IPC_LOCK": (14, "perf buffers past the locked-memory allowance"),
    "SYSLOG": (34, "kernel addresses in /proc/kallsyms (kernel stacks)"),
    "NET_ADMIN": (12, "qdiscs and filters of tc classifiers"),
}


@test
def daemonset_grants_what_igs_chart_grants_that_the_agent_needs(env):
    """The capabilities and SELinux type ig's chart gives its agent, for
    what this agent does too, reach the agent's process as the DaemonSet
    says (podman run with the manifest's security context)."""
    ds, cm = one("DaemonSet"), one("ConfigMap")
    sc = ds["spec"]["template"]["spec"]["containers"][0]["securityContext"]
    added = sc["capabilities"]["add"]
    for cap, (_, why) in IG_CAPS.items():
        check(cap in added, f"{cap} ({why}) not granted: {added}")
    eq(sc.get("seLinuxOptions"), {"type": "spc_t"},
       "SELinux type (host paths on an SELinux node)")
    flags, image, _ = podman_flags(ds, cm, NODE, env.store)
    check("label=type:spc_t" in flags, f"podman flags: {flags}")
    sh(f"{ROOT}/tools/agent-image.sh {BUILD} {image}")
    status = subprocess.run(
        ["podman", "run", "--rm"] + PODMAN_HOST + flags +
        ["--entrypoint", "/bin/busybox", image, "cat", "/proc/self/status"],
        check=True, capture_output=True, text=True, timeout=120).stdout
    eff = [int(ln.split()[1], 16) for ln in status.splitlines()
           if ln.startswith("CapEff:")]
    eq(len(eff), 1, f"CapEff in {status}")
    # podman grants what its caller has (a sandbox's root may lack one)
    with open("/proc/self/status") as f:
        bnd = [int(ln.split()[1], 16) for ln in f if ln.startswith("CapBnd:")]
    for cap, (bit, why) in IG_CAPS.items():
        check(eff[0] >> bit & 1 or not bnd[0] >> bit & 1,
              f"the agent runs without {cap} ({why}): CapEff {eff[0]:#x}")


@test
def agent_image_runs_as_the_daemonset_says(env):
    ds, cm = one("DaemonSet"), one("ConfigMap")
    flags, image, args = podman_flags(ds, cm, NODE, env.store)
    sh(f"{ROOT}/tools/agent-image.sh {BUILD} {image}")
    # what the runner loads on first use (registry, archives) is there too
    v = sh(" ".join(["podman run --rm"] + PODMAN_HOST +
                    [f"--entrypoint /usr/bin/runner {image} version"]))
    for lib in ("libcurl ", "libarchive "):
        check(lib in v, f"`runner version` in the image: {v}")
    pod = f"agentpod-{os.getpid()}"
    env.k.pods.append(pod)
    fifo, net = k8s.kube_play_client(env.tmp, pod)
    k8s.server(env.k, net)

    env.agent = True
    # a cgroup namespace of its own, as containerd and CRI-O give every
    # container on a cgroup v2 node: the socket hooks must still attach at
    # the host's cgroup root, the hostPath /sys/fs/cgroup
    subprocess.run(["podman", "run", "-d", "--name", AGENT,
                    "--cgroupns=private"] + PODMAN_HOST + flags + [image] +
                   args, check=True, capture_output=True)

    def logs():
        p = subprocess.run(["podman", "logs", AGENT], capture_output=True,
                           text=True)
        return p.stdout, p.stderr

    def traced():
        out, err = logs()
        state = sh(f"podman inspect -f '{{{{.State.Status}}}}' {AGENT}")
        if state.strip() != "running":
            raise Fail(f"the agent is {state.strip()}: {err[-400:]}")
        net.run("dig +time=1 +tries=1 @127.0.0.1 probe.web.test",
                check_rc=False)
        return any(e["name"] == "probe.web.test." for e in json_lines(out))
    wait_until(traced, what="the agent tracing the pod", step=0.3)
    # in its own cgroup namespace, its socket hooks at the host's root
    apid = sh(f"podman inspect -f '{{{{.State.Pid}}}}' {AGENT}").strip()
    check(sh(f"readlink /proc/{apid}/ns/cgroup") !=
          sh("readlink /proc/self/ns/cgroup"), "the agent's cgroup namespace")
    hooks = cgroup_progs(cgroup2_root(), prog_ids(apid))
    check({"sendmsg4", "connect4"} <= hooks,
          f"the agent's socket hooks at the host's cgroup root: {hooks}")
    k8s.release(fifo)
    want = f"{pod}.web.test."
    wait_until(lambda: sum(1 for e in json_lines(logs()[0])
                           if e["name"] == want and
                           e["proc"]["comm"] == "nslookup") >= 4,
               what="nslookup's four events in the agent's log")
    # the metrics where the pod's scrape annotations say
    ann = ds["spec"]["template"]["metadata"]["annotations"]
    eq(ann.get("prometheus.io/scrape"), "true", "scrape annotation")
    metrics = sh(f"podman exec {AGENT} /bin/busybox wget -qO- "
                 f"http://127.0.0.1:{ann['prometheus.io/port']}"
                 f"{ann['prometheus.io/path']}")
    check("# TYPE dns_messages_total counter" in metrics,
          f"the agent's metrics: {metrics[:300]}")
    sh(f"podman stop -t 10 {AGENT}")
    eq(sh(f"podman inspect -f '{{{{.State.ExitCode}}}}' {AGENT}").strip(),
       "0", "the agent's exit status after SIGTERM")
    out, err = logs()
    evs = json_lines(out)
    mine = k8s.queries_of(evs, "nslookup", pod)
    k8s.check_k8s(mine, "the agent", {
        "node": NODE, "namespace": "", "podName": pod,
        "containerName": "client", "hostnetwork": False, "podLabels": "",
        "podUID": ""})
    for e in mine:
        eq(e["runtime"]["containerName"], f"{pod}-client",
           "runtime.containerName")
        eq(e["netns_id"], net.inode, "netns_id")
    check("trace_dns:" in err and "events" in err,
          f"the agent's closing line: {err[-300:]}")


if __name__ == "__main__":
    main(setup, teardown)
