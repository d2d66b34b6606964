#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every example command of the README, of the man page's EXAMPLES and of
every `--help`, taken from the docs as they are written and run as a
newcomer would run them, each checked against what the text says it does.

The commands run in a scratch folder that looks like a checkout (gadget/
and examples/ link to this tree's, build/runner and runner on PATH are the
built binary), with their own store ($RUNNER_STORE), HOME and auth file.
What the docs cannot have on this machine is given to them by rewriting
the command, never its meaning: localhost:5000 is a docker-registry the
test starts, ghcr.io (login, push) is that registry too, and the metrics
examples run in a network namespace of their own (port 2224 is theirs).
DNS comes from dig in a client namespace asking dnsmasq in another, and a
podman container named test-trace-dns asks for the `-c` examples.

An example no check here knows fails the test: a new example in a doc
needs a check of what it says.  The few that cannot run here are listed in
SKIPPED with the reason.

The last tests hold the docs against the code: the flags of every
`--help` against runner(1)'s sections both ways, its ENVIRONMENT against
the variables the code reads, the paths and links of README.md and
docs/*.md against the tree, and docs/architecture.md's functions and
modules against the sources.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, Fail, Netns, check, eq, link,  # noqa: E402
                     main, sh, test)
import gadget_env as genv  # noqa: E402
from registry_env import Registry, free_port  # noqa: E402

NS = f"docx{os.getpid()}"
SRV, CLI = "10.66.9.1", "10.66.9.2"
CTR = "test-trace-dns"
CTR_IMAGE = f"localhost/docex-bb:{os.getpid()}"
PODMAN_RUN = ("podman run --runtime runc --ulimit nofile=1024:1024"
              " --ulimit nproc=1024:1024")
TIMEOUT = 60

# example -> why it does not run here
SKIPPED = {
    "runner login ghcr.io -u me":
        "asks for the password on a terminal",
    "runner image pull trace_dns":
        "pulls ig's image from ghcr.io (no network in tests)",
}


class Env:
    pass


# ---- the examples, from the docs --------------------------------------

def readme_examples():
    """(command, sample output or None) of the README: the lines of its
    ```sh blocks that run the runner or curl, comments cut, and the `$ `
    commands of its output samples with the lines that follow them."""
    text = open(os.path.join(ROOT, "README.md")).read()
    out = []
    for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S):
        lines = body.splitlines()
        if lang == "sh":
            for ln in lines:
                cmd = re.split(r"\s+#\s", ln)[0].strip()
                if re.match(r"(build/runner|curl|openssl) ", cmd):
                    out.append((cmd, None))
        elif lines and lines[0].startswith("$ build/runner "):
            cmd, rest = lines[0][2:], lines[1:]
            while cmd.endswith("\\"):
                cmd = cmd[:-1] + rest.pop(0).strip()
            out.append((cmd, rest))
    return out


def joined(lines):
    """Code lines with their continuations (a trailing \\ or |) joined."""
    cmds, cur = [], ""
    for ln in lines:
        ln = ln.strip()
        if cur.endswith("\\"):
            cur = cur[:-1].rstrip() + " " + ln
        elif cur.endswith("|"):
            cur += " " + ln
        else:
            if cur:
                cmds.append(cur)
            cur = ln
    if cur:
        cmds.append(cur)
    return cmds


def man_text():
    """runner(1) as man renders it, one paragraph a line."""
    e = dict(os.environ, MANWIDTH="1000", LC_ALL="C.UTF-8")
    return subprocess.run(["man", "-P", "cat", "-l",
                           os.path.join(ROOT, "docs/runner.1")],
                          capture_output=True, text=True, env=e,
                          timeout=TIMEOUT).stdout


def man_examples():
    text = man_text()
    m = re.search(r"^EXAMPLES\n(.*?)^\S", text, re.M | re.S)
    check(m, "no EXAMPLES section in the man page")
    code = [ln for ln in m.group(1).splitlines() if ln.startswith(" " * 10)]
    return joined(code)


def help_text(*cmd):
    """`runner CMD... --help`."""
    return subprocess.run([RUNNER, *cmd, "--help"], capture_output=True,
                          text=True, timeout=TIMEOUT).stdout


def command_paths():
    """(), ("run",), ("image",), ("image", "build"), ... as the help of
    each level lists them."""
    def names(*cmd):
        m = re.search(r"^(?:SUB)?COMMANDS\n((?:  \S.*\n)+)",
                      help_text(*cmd), re.M)
        return [ln.split()[0] for ln in m.group(1).splitlines()]

    paths = [()]
    for c in names():
        if c in ("image", "config"):
            paths += [(c,)] + [(c, s) for s in names(c)]
        else:
            paths.append((c,))
    return paths


def help_examples():
    """{"runner image list --help": [commands]} for every command."""
    out = {}
    for p in command_paths():
        text = help_text(*p)
        m = re.search(r"^EXAMPLES\n((?:  .*\n)+)", text, re.M)
        if m:
            out[" ".join(("runner",) + p + ("--help",))] = joined(
                m.group(1).splitlines())
    return out


# ---- the scratch checkout and what runs there --------------------------

def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="docex-e2e-")
    env.nss, env.procs, env.image = [], [], False
    try:
        env.cwd = os.path.join(env.tmp, "work")
        env.home = os.path.join(env.tmp, "home")
        for d in (env.cwd, env.home, os.path.join(env.tmp, "bin"),
                  os.path.join(env.cwd, "build")):
            os.makedirs(d)
        for d in ("gadget", "examples"):
            os.symlink(os.path.join(ROOT, d), os.path.join(env.cwd, d))
        binary = os.path.abspath(RUNNER)
        os.symlink(binary, os.path.join(env.cwd, "build", "runner"))
        os.symlink(binary, os.path.join(env.tmp, "bin", "runner"))
        env.store = os.path.join(env.tmp, "store")
        env.auth = os.path.join(env.tmp, "auth.json")
        env.vars = dict(os.environ, RUNNER_STORE=env.store, HOME=env.home,
                        REGISTRY_AUTH_FILE=env.auth,
                        RUNNER_KEYS_DIR=os.path.join(env.tmp, "keys"),
                        TOKEN="docex-token",
                        PATH=f"{env.tmp}/bin:{os.environ['PATH']}")
        for k in ("RUNNER_REGISTRY_PREFIX", "NODE_NAME",
                  "INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE"):
            env.vars.pop(k, None)
        env.reg = Registry(env.tmp, "registry")
        env.procs.append(env.reg)
        env.srv, env.cli = Netns(f"{NS}-srv"), Netns(f"{NS}-cli")
        env.metrics = Netns(f"{NS}-met")
        env.nss += [env.srv, env.cli, env.metrics]
        link(env.cli, env.srv, [f"{CLI}/24"], [f"{SRV}/24"], name="docx")
        env.dnsmasq = genv.dnsmasq(env.srv, env.tmp, SRV)
        rootfs = genv.busybox_rootfs(env.tmp)
        sh(f"tar -C {rootfs} -c . | podman import - {CTR_IMAGE}")
        env.image = True
        env.examples = collect()
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    p = getattr(env, "dnsmasq", None)
    if p:
        p.kill()
        p.wait()
    for r in env.procs:
        r.stop()
    for ns in env.nss:
        ns.delete()
    sh(f"podman rm -f {CTR}", check_rc=False)
    if env.image:
        sh(f"podman rmi {CTR_IMAGE}", check_rc=False)
    shutil.rmtree(env.tmp, ignore_errors=True)


def collect():
    """[(where, command, sample)] in the order a reader meets them."""
    ex = [("README.md", c, s) for c, s in readme_examples()]
    ex += [("runner(1) EXAMPLES", c, None) for c in man_examples()]
    for where, cmds in help_examples().items():
        ex += [(where, c, None) for c in cmds]
    return ex


def local(env, cmd):
    """cmd as it runs here: localhost:5000 is the test's registry."""
    return cmd.replace("localhost:5000", env.reg.host)


def run(env, cmd, input=None, ns=None):
    """cmd (a shell line of the docs) to its end, in the scratch folder."""
    if ns:
        cmd = f"ip netns exec {ns.name} bash -c {shq(cmd)}"
    p = subprocess.run(["bash", "-c", cmd], cwd=env.cwd, env=env.vars,
                       capture_output=True, text=True, input=input,
                       timeout=TIMEOUT)
    return p


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


def ok(p, cmd):
    eq(p.returncode, 0, f"`{cmd}` exit status ({p.stderr.strip()[-300:]})")
    return p.stdout


# the runners of Trace still running: an example whose check failed
# leaves its runner to run_examples, which stops it before the next
LIVE = []


def stop_live():
    while LIVE:
        p = LIVE.pop()
        if p.poll() is None:
            p.kill()
            p.wait()


class Trace:
    """A `runner run` of the docs in the background, until it ends or is
    stopped with Ctrl-C (SIGINT)."""

    def __init__(self, env, cmd, ns=None):
        self.ready = os.path.join(env.tmp, "ready")
        if os.path.exists(self.ready):
            os.unlink(self.ready)
        self.out = tempfile.TemporaryFile("w+", dir=env.tmp)
        self.err = tempfile.TemporaryFile("w+", dir=env.tmp)
        e = dict(env.vars, RUNNER_READY_FILE=self.ready)
        if ns:
            cmd = f"exec ip netns exec {ns.name} bash -c {shq('exec ' + cmd)}"
        else:
            cmd = "exec " + cmd
        self.cmd = cmd
        self.proc = subprocess.Popen(["bash", "-c", cmd], cwd=env.cwd, env=e,
                                     stdout=self.out, stderr=self.err)
        LIVE.append(self.proc)
        genv.wait_until(lambda: os.path.exists(self.ready) or
                        self.proc.poll() is not None, what="runner ready")
        if self.proc.poll() is not None:
            raise Fail(f"`{cmd}` exited {self.proc.returncode}: "
                       f"{self.stderr()}")

    def stdout(self):
        self.out.seek(0)
        return self.out.read()

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def wait_for(self, pred, what):
        genv.wait_until(lambda: pred(self.stdout()), what=what)

    def end(self, interrupt=True):
        """Exit status 0 and the summary on stderr, as the README says of
        Ctrl-C, --timeout and --max-events; stdout."""
        if interrupt:
            self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=TIMEOUT)
        eq(rc, 0, f"`{self.cmd}` exit status ({self.stderr()[-300:]})")
        check(re.search(r"^trace_dns: \d+ events?, \d+ lost", self.stderr(),
                        re.M), f"no summary on stderr: {self.stderr()!r}")
        return self.stdout()


def dig(env, name="web.test", qtype="A"):
    pid, out = genv.run_client(env.cli, f"dig +time=2 +tries=1 @{SRV}"
                               f" {name} {qtype}")
    return pid


def columns(text):
    """Header words and rows (lists of words) of columns output."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    check(lines, "no output")
    return lines[0].split(), [ln.split() for ln in lines[1:]]


def json_keys(obj, prefix=""):
    """{dotted key: JSON type name} of obj."""
    out = {}
    for k, v in obj.items():
        if isinstance(v, dict):
            out.update(json_keys(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = type(v).__name__
    return out


def readme_json_sample():
    text = open(os.path.join(ROOT, "README.md")).read()
    m = re.search(r"^```json\n(\{.*\})\n```", text, re.M)
    check(m, "no JSON event in the README")
    return json.loads(m.group(1))


def full_ref(ref):
    """ref as the store names it: ig's default prefix for a bare name,
    :latest without a tag."""
    first = ref.split("/")[0]
    if "/" not in ref or not ("." in first or ":" in first or
                              first == "localhost"):
        ref = "ghcr.io/inspektor-gadget/gadget/" + ref
    return ref if ":" in ref.rsplit("/", 1)[1] else ref + ":latest"


def listing(env):
    out = ok(run(env, "runner image list -o json"), "image list -o json")
    return json.loads(out)


def in_store(env, ref):
    return any(i["reference"] == full_ref(ref) for i in listing(env))


# ---- the checks: what each example says it does ------------------------

def check_build(env, cmd, sample):
    m = re.search(r" -t (\S+)", cmd)
    out = ok(run(env, local(env, cmd)), cmd)
    check(re.match(r"Successfully built \S+@sha256:[0-9a-f]{64}$",
                   out.strip()), f"`{cmd}` printed {out!r}")
    tag = local(env, m.group(1))
    check(in_store(env, tag), f"{tag} not in `image list` after `{cmd}`")


def readme_sample(env, cmd):
    """The first line of the README's sample output of cmd."""
    got = [s for _, c, s in env.examples if c == cmd and s]
    check(got, f"no sample output of `{cmd}` in the README")
    return got[0][0].split()


def check_run_columns(env, cmd, sample):
    """`run trace_dns` (any image of it): columns until Ctrl-C, with the
    README's sample's header, the dig's response among the rows."""
    t = Trace(env, local(env, cmd))
    pid = dig(env)
    t.wait_for(lambda o: o.count("web.test.") >= 2, "the dig's rows")
    head, rows = columns(t.end())
    eq(head, readme_sample(env, "build/runner run trace_dns"),
       f"`{cmd}` header against the README's sample")
    check(any(str(pid) in r and "R" in r and genv.WEB4 in r for r in rows),
          f"no response row of dig (pid {pid}): {rows}")


def check_run_container(env, cmd, sample):
    """-c test-trace-dns: the container's events only, none of the host
    (dig) nor of another container."""
    t = Trace(env, cmd)
    dig(env)  # left out: the host's
    sh(f"podman rm -f {CTR}", check_rc=False)
    p = subprocess.run(f"{PODMAN_RUN} --rm --name {CTR} {CTR_IMAGE} sh -c"
                       " 'sleep 2; nslookup -timeout=1 -retry=1"
                       " www.example.test 10.88.0.1'", shell=True,
                       capture_output=True, text=True, timeout=TIMEOUT)
    check("Error:" not in p.stderr, f"podman run: {p.stderr}")
    t.wait_for(lambda o: "www.example.test." in o, "the container's query")
    head, rows = columns(t.end())
    eq(head, readme_sample(env, "build/runner run trace_dns --containername"
                           f" {CTR}"), "header against the README's sample")
    check(rows and all(r[0] == CTR for r in rows),
          f"`{cmd}`: rows not of {CTR}: {rows}")
    check(not any("web.test." in r for r in rows), "the host's dig shown")


def check_run_json(env, cmd, sample):
    """-o json --timeout 10: one JSON object per line, ends by itself;
    its keys and their types are the README's sample's."""
    t = Trace(env, cmd)
    pid = dig(env)
    out = t.end(interrupt=False)
    evs = [json.loads(ln) for ln in out.splitlines()]
    resp = [e for e in evs if e["name"] == "web.test." and e["qr"] == "R"
            and e["proc"]["pid"] == pid]
    check(resp, f"no response to dig in {len(evs)} events")
    eq(json_keys(resp[0]), json_keys(readme_json_sample()),
       "keys and types against the README's JSON event")
    eq(list(resp[0]), sorted(resp[0]), "keys sorted by name")


def check_run_fields(env, cmd, sample):
    """--fields (and -F): those columns, in that order, and only the
    events the filters keep."""
    m = re.search(r"--fields (\S+)", cmd)
    filters = re.findall(r"-F '?([^' ]+)'?", cmd)
    t = Trace(env, cmd)
    if filters:
        dig(env, "web.test", "AAAA")  # not example.com.
        dig(env, "www.example.com", "A")  # not AAAA
        dig(env, "www.example.com", "AAAA")
        # its query and response, each at the client and the server
        t.wait_for(lambda o: o.count("www.example.com.") >= 4,
                   "the AAAA query of www.example.com")
    else:
        dig(env)
        t.wait_for(lambda o: o.count("web.test.") >= 2, "the dig's rows")
    head, rows = columns(t.end())
    if m:
        eq(head, [f.upper() for f in m.group(1).split(",")],
           f"`{cmd}` header")
    if filters:
        # the A query of the same name came and went before: its rows
        # would come first
        check(len(rows) == 4 and all("www.example.com." in r for r in rows),
              f"rows the filters should drop: {rows}")


def check_run_help(env, cmd, sample):
    """The gadget's flags and fields."""
    out = ok(run(env, cmd), cmd)
    for s in ("\nGADGET FLAGS\n", "\n      --unanswered-timeout",
              "\nFIELDS (dns)\n", "\n  latency_ns "):
        check(s in out, f"{s!r} not in `{cmd}`")


def check_run_pull_always(env, cmd, sample):
    """--pull always: the image comes from the registry, whose copy is
    pulled again (a registry that is gone makes the run fail)."""
    check_run_columns(env, cmd, sample)
    env.reg.stop()
    try:
        p = run(env, local(env, cmd) + " --timeout 1")
        eq(p.returncode, 1, f"`{cmd}` without its registry ({p.stderr})")
    finally:
        env.reg.start()


def check_run_pulls(env, cmd, sample):
    """An image of the registry: it runs here, where it was built; from a
    store without it the same line pulls it (plain HTTP: the flag is
    enough) and runs it only signed by a trusted key, as its comment
    says."""
    check_run_columns(env, cmd, sample)
    fresh = os.path.join(env.tmp, "fresh-store")
    p = run(env, f"RUNNER_STORE={fresh} {local(env, cmd)} --timeout 1")
    check("plain HTTP" not in p.stderr, f"`{cmd}`: {p.stderr.strip()}")
    if p.returncode:
        eq(p.returncode, 1, f"`{cmd}` from an empty store")
        check("no public key to verify its signature" in p.stderr,
              f"`{cmd}` from an empty store: {p.stderr.strip()}")
    shutil.rmtree(fresh, ignore_errors=True)


def check_run_metrics(env, cmd, sample):
    """--otel-metrics-listen: /metrics on :2224 (and events unless -o
    none); --annotate dns:metrics.print=true: a table, no events.  The
    README's curl line is run against it."""
    t = Trace(env, cmd, ns=env.metrics)
    dig(env)
    if "metrics.print" in cmd:
        t.wait_for(lambda o: "\nQ\tA\t" in o, "a metrics table with the Q")
        out = t.end()
        check("dns_messages" in out.splitlines()[1], out[:300])
        check("web.test." not in out, "events with metrics.print")
        return
    curl = [c for _, c, _ in env.examples if c.startswith("curl ")]
    check(curl, "no curl example for the metrics")
    genv.wait_until(lambda: re.search(
        r'^dns_messages_total\{qr="R",qtype="A",rcode="Success"',
        run(env, curl[0], ns=env.metrics).stdout, re.M),
        what="the dig's response counted on /metrics")
    out = t.end()
    if "-o none" in cmd:
        eq(out, "", "stdout of -o none")
    else:
        check("web.test." in out, "no events with --otel-metrics-listen")


def check_curl(env, cmd, sample):
    pass  # run by check_run_metrics, while a runner serves


def check_list_containers(env, cmd, sample):
    """The containers -c matches: a podman container of the test's, by
    name; -o json adds mntns, netns; -o columns=... those columns; -w
    prints it as CREATED."""
    sh(f"podman rm -f {CTR}", check_rc=False)
    sh(f"{PODMAN_RUN} -d --name {CTR} {CTR_IMAGE} sleep 600")
    try:
        cmd = cmd.replace("mycontainer", CTR)
        if "--watch" in cmd or " -w" in cmd:
            p = subprocess.Popen(["bash", "-c", "exec " + cmd], cwd=env.cwd,
                                 env=env.vars, stdout=subprocess.PIPE,
                                 text=True)
            line = ""
            while CTR not in line:
                line = p.stdout.readline()
                check(line, "list-containers --watch ended")
            p.send_signal(signal.SIGINT)
            eq(p.wait(timeout=TIMEOUT), 0, "--watch exit status at Ctrl-C")
            check(" CREATED " in line, line)
            return
        out = ok(run(env, cmd), cmd)
        if "-o json" in cmd:
            cs = json.loads(out)
            check(cs and all(c["runtime"]["containerName"] == CTR
                             for c in cs), f"`{cmd}`: {cs}")
            check("mntns" in cs[0] and "netns" in cs[0], cs[0])
            return
        head, rows = columns(out)
        m = re.search(r"-o columns=(\S+)", cmd)
        want = [c.upper() for c in m.group(1).split(",")] if m else \
            readme_sample(env, "build/runner list-containers")
        eq(head, want, f"`{cmd}` header")
        check(any(CTR in r for r in rows), f"{CTR} not listed: {rows}")
    finally:
        sh(f"podman rm -f -t 0 {CTR}", check_rc=False)


def check_image_list(env, cmd, sample):
    if "-o json" in cmd:
        out = ok(run(env, cmd), cmd)
        check("latest" in out.split(), f"`{cmd}`: {out!r}")
        return
    head, rows = columns(ok(run(env, cmd), cmd))
    eq(head, ["REPOSITORY", "TAG", "DIGEST", "CREATED"], "image list header")
    check(["trace_dns", "latest"] in [r[:2] for r in rows], f"rows {rows}")


def check_push(env, cmd, sample):
    """The tag is in the registry after the push (ghcr.io: the test's
    registry, with the flag its plain HTTP needs)."""
    cmd = local(env, cmd)
    if "ghcr.io" in cmd:
        cmd = cmd.replace("ghcr.io", env.reg.host) + \
            f" --insecure-registries {env.reg.host}"
    m = re.search(r"--authfile (\S+)", cmd)
    if m and not os.path.exists(os.path.join(env.cwd, m.group(1))):
        # the file `runner login --authfile` writes, as a user has it
        ok(run(env, f"echo pw | runner login {env.reg.host} -u me"
               f" --password-stdin --authfile {m.group(1)}"
               f" --insecure-registries {env.reg.host}"), "login")
    out = ok(run(env, cmd), cmd)
    check(out.startswith("Successfully pushed "), out)
    dest = cmd.split()[4] if not cmd.split()[4].startswith("-") else \
        cmd.split()[3]
    repo, tag = dest.split("/", 1)[1].rsplit(":", 1)
    tags = json.loads(sh(f"curl -sf http://{env.reg.host}/v2/{repo}/tags/list"))
    check(tag in tags["tags"], f"{tag} not in the registry's {tags}")


def check_pull(env, cmd, sample):
    ref = local(env, cmd.split()[3])
    if in_store(env, ref):
        ok(run(env, f"runner image remove {ref}"), "image remove")
    ok(run(env, local(env, cmd)), cmd)
    check(in_store(env, ref), f"{ref} not stored after `{cmd}`")


def check_inspect(env, cmd, sample):
    out = ok(run(env, cmd), cmd)
    if "--jsonpath '.layers[0].digest'" in cmd:
        check(re.fullmatch(r"sha256:[0-9a-f]{64}\n", out), out)
    elif "--jsonpath '[0].fields[*].fullName'" in cmd:
        names = json.loads(out)
        check({"name", "qtype", "latency_ns"} <= set(names), names)
    elif "ebpf.flowchart" in cmd:
        lines = out.splitlines()
        eq(lines[0], "flowchart LR", "ebpf.flowchart's first line")
        check('events[("events")]' in lines, f"no events node: {out[:300]}")
        check('trace_dns -- "Lookup" --> scratches' in lines,
              f"no edge of trace_dns: {out[:600]}")
        check(not out.endswith("\n\n"), "-o custom adds no newline")
    elif "ebpf.maps" in cmd:
        maps = json.loads(out)
        check(maps and all(m["Name"] and m["Type"] for m in maps), out[:200])
    elif "oci.metadata" in cmd:
        eq(json.loads(out)["name"], "trace dns", "oci.metadata name")
    elif "jq -r .metadata" in cmd:
        check(re.search(r"^name: trace dns$", out, re.M), out[:200])
    elif "-o yaml" in cmd:
        keys = re.findall(r"^(\w+):", out, re.M)
        for k in ("index", "manifests", "metadata"):  # the README's list
            check(k in keys, f"no {k} in `{cmd}`: {keys}")
        check("org.opencontainers.image.title" in out, "annotations")
    else:
        eq(json.loads(out)["reference"], full_ref("trace_dns"), "reference")


def check_tag_remove(env, cmd, sample):
    if "&&" in cmd:
        out = ok(run(env, cmd), cmd)
        check("Untagged: ghcr.io/inspektor-gadget/gadget/mine:v2" in out, out)
        check(not in_store(env, "mine:v2"), "mine:v2 still listed")
        return
    words = cmd.split()
    if words[2] == "tag":
        ok(run(env, local(env, cmd)), cmd)
        check(in_store(env, local(env, words[4])), f"{words[4]} not listed")
        return
    # remove: what the help shows (the digest: of an image of its own);
    # trace_dns is built again for the examples after it
    refs = [local(env, w) for w in words[3:]]
    if "sha256:<digest>" in refs:
        ok(run(env, "runner image build examples/trace_exec"
               " -t docex-digest:v1"), "build")
        digest = [i["Digest"] for i in listing(env)
                  if i["reference"] == full_ref("docex-digest:v1")][0]
        refs[refs.index("sha256:<digest>")] = digest
    for r in refs:
        if not r.startswith("sha256:") and not in_store(env, r):
            ok(run(env, f"runner image tag trace_dns {r}"), "tag")
    out = ok(run(env, "runner image remove " + " ".join(refs)), cmd)
    eq(out.count("Untagged: "), len(refs), f"`{cmd}` stdout")
    left = {(i["reference"], i["Digest"]) for i in listing(env)}
    for r in refs:
        check(not any(full_ref(r) == ref or r == d for ref, d in left),
              f"{r} still listed after `{cmd}`")
    ok(run(env, "runner image build gadget/trace_dns -t trace_dns:latest"),
       "build trace_dns again")


def check_export_import(env, cmd, sample):
    """export writes the tar; import stores what it holds; skopeo reads
    and writes the same format (the test's registry is plain HTTP, as
    the examples' localhost:5000)."""
    cmd = local(env, cmd)
    for part in cmd.split(" && "):
        out = ok(run(env, part), part)
        if " export " in part:
            tar = part.split()[-1]
            check(os.path.getsize(os.path.join(env.cwd, tar)) > 0, tar)
            check(out.startswith("Successfully exported"), out)
        elif " import " in part:
            m = re.search(r" -t (\S+)", part)
            check(out.startswith("Successfully imported images:\n  "), out)
            if m:
                check(in_store(env, m.group(1)), f"{m.group(1)} not stored")


def check_skopeo(env, cmd, sample):
    ok(run(env, local(env, cmd)), cmd)


def check_login(env, cmd, sample):
    """The credentials land in the auth file the command names
    (--authfile, else $REGISTRY_AUTH_FILE); ghcr.io is the test's
    registry."""
    cmd = local(env, cmd)
    if "ghcr.io" in cmd:
        cmd = cmd.replace("ghcr.io", f"{env.reg.host} --insecure-registries"
                          f" {env.reg.host}")
    if "< pw" in cmd or "< secret" in cmd:
        with open(os.path.join(env.cwd, cmd.split("< ")[1]), "w") as f:
            f.write("docex-password\n")
    out = ok(run(env, cmd), cmd)
    eq(out, "Login Succeeded\n", f"`{cmd}` stdout (ig's line)")
    m = re.search(r"--authfile (\S+)", cmd)
    path = os.path.join(env.cwd, m.group(1)) if m else env.auth
    auths = json.load(open(path))["auths"]
    check(env.reg.host in auths, f"{env.reg.host} not in {path}: {auths}")


def check_logout(env, cmd, sample):
    cmd = cmd.replace("ghcr.io", env.reg.host)
    out = ok(run(env, local(env, cmd)), cmd)
    eq(out, "Logout Succeeded\n", f"`{cmd}` stdout (ig's line)")
    m = re.search(r"--authfile (\S+)", cmd)
    path = os.path.join(env.cwd, m.group(1)) if m else env.auth
    if os.path.exists(path) and "--all" not in cmd:
        check(env.reg.host not in json.load(open(path)).get("auths", {}),
              f"{env.reg.host} left in {path}")


def check_openssl(env, cmd, sample):
    ok(run(env, cmd), cmd)
    for f in re.findall(r"-out (\S+)", cmd):
        check(os.path.getsize(os.path.join(env.cwd, f)) > 0, f)


def check_sign(env, cmd, sample):
    """The signature's reference on stdout (the legacy .sig tag)."""
    p = run(env, local(env, cmd))
    ref = local(env, cmd.split()[3]).rsplit(":", 1)[0]
    check(re.fullmatch(rf"{re.escape(ref)}:sha256-[0-9a-f]{{64}}\.sig\n",
                       ok(p, cmd)), p.stdout)
    check(p.stderr.startswith("Signed "), p.stderr)


def check_verify(env, cmd, sample):
    """verify: the pushed image's signature from the registry too."""
    out = ok(run(env, local(env, cmd)), cmd)
    check(re.search(r"^Verified \S+: cosign signature .* by my\.pub$", out,
                    re.M), out)


def check_version(env, cmd, sample):
    out = ok(run(env, cmd), cmd)
    for lib in ("libbpf", "libcurl", "libarchive", "libyaml", "jansson"):
        check(re.search(rf"^{lib} \d", out, re.M), f"no {lib} in {out!r}")


def check_completion(env, cmd, sample):
    """completion: the script it prints registers _runner for runner,
    sourced (the bash_completion.d example writes to a scratch file)."""
    cmd = cmd.replace("/etc/bash_completion.d/runner", "completion.bash")
    if ">" in cmd:
        ok(run(env, cmd), cmd)
        cmd = "source completion.bash"
    out = ok(run(env, cmd + " && complete -p runner"), cmd)
    eq(out, "complete -F _runner runner\n", "what it registers")


def check_config(env, cmd, sample):
    if "config default" in cmd:
        out = ok(run(env, cmd), cmd)
        eq(out, "", "stdout")
        text = open(os.path.join(env.home, ".ig", "config.yaml")).read()
        check("verify-image:" in text, text)
        return
    if "./ig.yaml" in cmd:
        with open(os.path.join(env.cwd, "ig.yaml"), "w") as f:
            f.write("operator:\n  oci:\n    verify-image: false\n")
    out = ok(run(env, cmd), cmd)
    if "./ig.yaml" in cmd:
        check("verify-image: false" in out, out)


def check_build_own(env, cmd, sample):
    """`image build . -f mybuild.yaml`: a folder of the user's own, with
    its build file naming the source."""
    d = os.path.join(env.tmp, "mine")
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "examples/trace_exec/program.bpf.c"),
                os.path.join(d, "prog.bpf.c"))
    with open(os.path.join(d, "mybuild.yaml"), "w") as f:
        f.write("ebpfsource: prog.bpf.c\n")
    p = subprocess.run(["bash", "-c", local(env, cmd)], cwd=d, env=env.vars,
                       capture_output=True, text=True, timeout=TIMEOUT)
    out = ok(p, cmd)
    check(out.startswith("Successfully built "), out)
    check(in_store(env, local(env, cmd.split()[-1])), "not stored")


def check_build_update(env, cmd, sample):
    """`image build mygadget --update-metadata`: a folder with a program
    and no gadget.yaml gets one written from it (ig's placeholders, the
    program's data source), and the image named after the folder."""
    d = os.path.join(env.tmp, "upd", "mygadget")
    os.makedirs(d, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "examples/trace_exec/program.bpf.c"), d)
    p = subprocess.run(["bash", "-c", local(env, cmd)],
                       cwd=os.path.dirname(d), env=env.vars,
                       capture_output=True, text=True, timeout=TIMEOUT)
    out = ok(p, cmd)
    check(out.startswith("Successfully built "), out)
    with open(os.path.join(d, "gadget.yaml")) as f:
        meta = f.read()
    check(meta.startswith("name: 'TODO: Fill the gadget name'\n") and
          "\ndatasources:\n  " in meta, meta)
    check(in_store(env, "mygadget"), "not stored")


CHECKS = [
    (r"(build/)?runner image build \. -f .*", check_build_own),
    (r"(build/)?runner image build mygadget --update-metadata",
     check_build_update),
    (r"(build/)?runner image build \S+ -t \S+", check_build),
    (r"(build/)?runner run \S+ --help", check_run_help),
    (r"(build/)?runner run trace_dns -o json --timeout 10", check_run_json),
    (r"(build/)?runner run trace_dns( --fields \S+)?( -F \S+)+|"
     r"(build/)?runner run trace_dns --fields \S+", check_run_fields),
    (r"(build/)?runner run trace_dns (--containername|-c) test-trace-dns",
     check_run_container),
    (r"(build/)?runner run trace_dns (--otel-metrics-listen|--annotate"
     r" dns:metrics\.print=true).*", check_run_metrics),
    (r"curl -s localhost:2224/metrics \| .*", check_curl),
    (r"(build/)?runner run \S+ --pull always .*", check_run_pull_always),
    (r"(build/)?runner run snapshot_process --sort -proc\.pid"
     r" --max-entries 5", None),
    (r"(build/)?runner run localhost:5000/\S+ --insecure-registries"
     r" localhost:5000", check_run_pulls),
    (r"(build/)?runner run \S+( --public-keys my\.pub)?", check_run_columns),
    (r"(build/)?runner list-containers.*", check_list_containers),
    (r"(build/)?runner image list( -o json \| jq .*)?", check_image_list),
    (r"(build/)?runner image push .*", check_push),
    (r"(build/)?runner image pull .*", check_pull),
    (r"(build/)?runner image inspect .*", check_inspect),
    (r"(build/)?runner image (tag|remove) .*", check_tag_remove),
    (r"(build/)?runner image (export|import) .*", check_export_import),
    (r"skopeo copy .*", check_skopeo),
    (r"(echo .*\| )?(build/)?runner login .*", check_login),
    (r"(build/)?runner logout.*", check_logout),
    (r"openssl .*", check_openssl),
    (r"(build/)?runner image sign .*", check_sign),
    (r"(build/)?runner image verify .*", check_verify),
    (r"(build/)?runner version", check_version),
    (r"(source <\()?(build/)?runner completion bash.*", check_completion),
    (r"(mkdir -p ~/\.ig && )?(build/)?runner config .*", check_config),
]


def check_snapshot(env, cmd, sample):
    """--sort -proc.pid --max-entries 5: five processes, highest pid
    first, then it ends (a snapshot)."""
    p = run(env, cmd)
    head, rows = columns(ok(p, cmd))
    pid = head.index("PID")
    pids = [int(r[pid - len(head)]) for r in rows]
    eq(len(pids), 5, f"rows of `{cmd}`")
    eq(pids, sorted(pids, reverse=True), "pids sorted descending")


CHECKS = [(rx, fn or check_snapshot) for rx, fn in CHECKS]


def checker(cmd):
    for rx, fn in CHECKS:
        if re.fullmatch(rx, cmd):
            return fn
    return None


@test
def every_example_has_a_check(env):
    eq([f"{w}: {c}" for w, c, _ in env.examples
        if c not in SKIPPED and not checker(c)], [],
       "examples no check here knows (add one saying what they do)")
    check(len(env.examples) > 40, f"only {len(env.examples)} examples")
    for c in SKIPPED:
        check(any(c == e for _, e, _ in env.examples),
              f"SKIPPED lists {c!r}, which no doc shows any more")


def run_examples(env, where):
    failed, done = [], set()
    for w, cmd, sample in env.examples:
        if not w.startswith(where) or cmd in SKIPPED or cmd in done:
            continue
        done.add(cmd)
        fn = checker(cmd)
        if not fn:
            continue
        try:
            fn(env, cmd, sample)
        except Fail as e:
            failed.append(f"{w}: `{cmd}`: {e}")
        except (subprocess.TimeoutExpired, OSError, ValueError,
                KeyError) as e:
            failed.append(f"{w}: `{cmd}`: {type(e).__name__}: {e}")
        finally:
            stop_live()
    eq(failed, [], f"{where} examples that do not do what they say")


@test
def man_page_examples_do_what_they_say(env):
    run_examples(env, "runner(1)")


@test
def readme_examples_do_what_they_say(env):
    run_examples(env, "README.md")


@test
def help_examples_do_what_they_say(env):
    run_examples(env, "runner ")


def readme_sh_lines(pattern):
    """The lines of the README's ```sh blocks that match pattern."""
    text = open(os.path.join(ROOT, "README.md")).read()
    return [ln for lang, body in re.findall(r"^```(\w*)\n(.*?)^```", text,
                                            re.M | re.S)
            if lang == "sh" for ln in body.splitlines()
            if re.match(pattern, ln)]


@test
def readme_registry_recipe_serves_the_readme_push(env):
    """The README's registry at localhost:5000 (Debian's docker-registry
    with the config its recipe writes, here on a free port) answers plain
    HTTP without a password: its API answers 200 and the README's push
    goes through, which the packaged config (htpasswd) refuses; the
    REGISTRY_AUTH_FILE of the clients (set here) does not reach it."""
    lines = readme_sh_lines(r"(printf|(env -u \S+ )?docker-registry) ")
    eq(len(lines), 2, f"the README's registry recipe: {lines}")
    port = free_port()
    data = os.path.join(env.tmp, "recipe-registry")
    script = "\n".join(lines).replace("localhost:5000", f"localhost:{port}")
    check(f"localhost:{port}" in script, f"no localhost:5000 in {lines}")
    script = script.replace("/var/tmp/registry", data) + "\necho $!"
    p = run(env, script)
    pid = int(ok(p, "the README's registry recipe").split()[-1])
    ref = f"localhost:{port}/docex/recipe:v1"
    try:
        genv.wait_until(lambda: sh(f"curl -s -o /dev/null -w %{{http_code}}"
                                   f" http://localhost:{port}/v2/",
                                   check_rc=False).strip() == "200", 20,
                        "the README's registry answering 200 on /v2/")
        ok(run(env, f"runner image build gadget/trace_dns -t {ref}"),
           "image build")
        out = ok(run(env, f"runner image push {ref} --insecure-registries"
                     f" localhost:{port}"), "push to the README's registry")
        check(out.startswith("Successfully pushed "), out)
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        run(env, f"runner image remove {ref}")


@test
def guide_kubectl_flags_are_named_as_ig_compat_says(env):
    """docs/ig-compat.md's table of the reference guide: kubectl gadget's
    -n, -p, -l are --k8s-namespace, --k8s-podname, --k8s-selector here and
    -A is the default; typed from the guide, each is a usage error that
    says what to write instead."""
    text = open(os.path.join(ROOT, "docs/ig-compat.md")).read()
    m = re.search(r"^\| `kubectl gadget run trace_dns -n demo -p mypod` \|"
                  r" `runner run trace_dns (--\S+) demo (--\S+) mypod`.*"
                  r"`-n`, `-p`, `-l` and `-A` are kubectl-gadget's", text,
                  re.M)
    check(m, "ig-compat.md's row of `kubectl gadget run ... -n -p`")
    if not in_store(env, "trace_dns"):
        ok(run(env, "runner image build gadget/trace_dns -t trace_dns"),
           "image build")
    for short, says in (("-n", m.group(1)), ("-p", m.group(2)),
                        ("-l", "--k8s-selector"),
                        ("-A", "every namespace is the default")):
        p = run(env, f"runner run trace_dns {short} x --timeout 1")
        eq(p.returncode, 2, f"`{short}` exit status ({p.stderr.strip()})")
        check(f"unknown flag '{short}': kubectl gadget's, {says} here"
              in p.stderr, f"`{short}`: {p.stderr.strip()}")


# ---- the docs against the code -----------------------------------------
#
# What the docs say of the binary and of the tree, checked without running
# anything but `--help`: a flag, a variable, a file or a function that a
# doc names and the code no longer has (or one the code has and its doc
# does not name) fails here, so that the docs cannot go stale silently.

# told once for every command, in runner(1)'s DESCRIPTION
GLOBAL_FLAGS = ("-h", "--help", "-v", "--verbose")
# a flag, not a family of them (--k8s-*)
FLAG = r"(?<![\w-])(--?[a-zA-Z][\w.-]*[a-zA-Z])(?![\w*-])"
# the docs that describe the tree, and the folders of a path they name
TREE_DOCS = ("README.md", "docs/CONVENTIONS.md", "docs/limits.md",
             "docs/ig-compat.md", "docs/architecture.md", "deploy/README.md")
TOP = ("common", "metadata", "oci", "runner", "gadget", "examples", "tests",
       "bench", "deploy", "docs", "tools")
TREE_PATH = (r"(?<![\w./-])((?:" + "|".join(TOP) +
             r")/[\w./-]*[\w/])([<*{]?)")
# the docs that describe this code's functions, and the functions they
# name that are libbpf's, the kernel's or libc's
CODE_DOCS = ("README.md", "docs/CONVENTIONS.md", "docs/limits.md",
             "docs/architecture.md")
NOT_OURS = {"bpf_object__open_mem", "bpf_object__load", "bpf_loop",
            "bpf_ringbuf_output", "bpf_printk", "btf__new", "setns", "dlopen",
            "dlclose", "_dl_debug_state",
            "fsmount", "move_mount", "posix_fallocate"}


def has_flag(text, flag):
    return re.search(r"(?<![\w-])" + re.escape(flag) + r"(?![\w-])", text)


def man_section(man, name):
    m = re.search(rf"^{name}\n(.*?)^\S", man, re.M | re.S)
    check(m, f"no {name} section in runner(1)")
    return m.group(1)


def man_commands(man):
    """{("run",): text, ("image", "build"): text, ...}: the subsections of
    COMMANDS in runner(1), by the command words of their titles
    ("runner config view | default" is both config commands')."""
    out, cur = {}, []
    for ln in man_section(man, "COMMANDS").splitlines():
        m = re.match(r"^   runner ([a-z][a-z |-]*?)(?= [A-Z\[]|$)", ln)
        if m:
            words = m.group(1).split()
            if words[0] in ("image", "config"):
                cur = [(words[0], s.strip()) for s in
                       " ".join(words[1:]).split("|")]
            else:
                cur = [(words[0],)]
            for k in cur:
                out[k] = ""
            continue
        for k in cur:
            out[k] += ln + "\n"
    return out


def tag_flags(text, indent):
    """The flags that items of a list name: the first column (up to two
    spaces) of lines that start with `-` after indent spaces."""
    out = set()
    for ln in text.splitlines():
        if re.match(rf"^ {{{indent}}}-", ln):
            out |= set(re.findall(FLAG, re.split(r"\s{2,}", ln.strip())[0]))
    return out


def help_flags(path):
    """The flags `runner PATH --help` lists as options, and the others it
    names (an option's other spelling, "also ..."); its EXAMPLES left
    out."""
    text = help_text(*path).split("\nEXAMPLES\n")[0]
    options = tag_flags(text, "2,8") - set(GLOBAL_FLAGS)
    return options, set(re.findall(FLAG, text)) - options - set(GLOBAL_FLAGS)


@test
def help_flags_are_in_the_man_page(env):
    """Every option of every `--help` is an item of its command's section
    of runner(1), and every other flag it names is in that section's text
    (a group's: in one of its commands'; the top level's: in the SYNOPSIS
    or DESCRIPTION); -h, --help, -v and --verbose once, in the
    DESCRIPTION."""
    man = man_text()
    secs = man_commands(man)
    top = man_section(man, "SYNOPSIS") + man_section(man, "DESCRIPTION")
    missing = [f"DESCRIPTION: {f}" for f in GLOBAL_FLAGS
               if not has_flag(man_section(man, "DESCRIPTION"), f)]
    paths = command_paths()
    for p in paths:
        if p == ("help",):
            continue
        if not p:
            where = top
        elif p in secs:
            where = secs[p]
        elif any(k[:len(p)] == p for k in secs):
            where = "".join(v for k, v in secs.items() if k[:len(p)] == p)
        else:
            missing.append(f"runner {' '.join(p)}: no section")
            continue
        options, named = help_flags(p)
        items = "\n".join(tag_flags(where, 5))
        missing += [f"runner {' '.join(p)}: {f}" for f in sorted(options)
                    if not has_flag(items if p else where, f)]
        missing += [f"runner {' '.join(p)}: {f}" for f in sorted(named)
                    if not has_flag(where, f)]
    check(len(paths) > 15, f"only {len(paths)} commands: {paths}")
    eq(missing, [], "flags of --help that runner(1) does not tell")


@test
def man_page_flags_are_in_help(env):
    """Every flag runner(1) lists as an item of a command's section is in
    that command's `--help`: a flag gone from the binary (or renamed) goes
    from the man page too."""
    stale, n = [], 0
    for cmd, body in man_commands(man_text()).items():
        text = help_text(*cmd)
        for f in sorted(tag_flags(body, 5)):
            n += 1
            if not has_flag(text, f):
                stale.append(f"runner {' '.join(cmd)}: {f}")
    check(n > 80, f"only {n} flags found in runner(1)'s sections")
    eq(stale, [], "flags of runner(1) that --help does not list")


def sources(*exts):
    """{path: text} of the tree's own sources (no tests, no build)."""
    out = {}
    for top in ("common", "metadata", "oci", "runner", "gadget"):
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(exts):
                    path = os.path.join(d, f)
                    out[os.path.relpath(path, ROOT)] = open(path).read()
    return out


@test
def environment_in_the_man_page_is_what_the_code_reads(env):
    """runner(1)'s ENVIRONMENT lists every variable the code reads
    (getenv() and the registry's number variables), and no other (ig's
    INSPEKTOR_GADGET_<KEY> are made from the flag names)."""
    read = set()
    for text in sources(".c", ".h").values():
        read |= set(re.findall(
            r"\b(?:getenv|env_ulong)\(\s*\"([A-Z][A-Z0-9_]+)\"", text))
    man = man_section(man_text(), "ENVIRONMENT")
    items = [ln for ln in man.splitlines() if re.match(r"^ {5}[A-Z]", ln)]
    told = set()
    for ln in items:
        told |= set(re.findall(r"\b([A-Z][A-Z0-9_]{2,})\b",
                               re.split(r"\s{2,}", ln.strip())[0]))
    told = {v for v in told if not v.startswith("INSPEKTOR_GADGET_")}
    check(len(read) > 15, f"only {len(read)} variables read: {read}")
    eq(sorted(read - told), [], "variables the code reads, not in ENVIRONMENT")
    eq(sorted(told - read), [], "ENVIRONMENT variables no code reads")


def slug(heading):
    """A Markdown heading's anchor, as GitHub makes it."""
    s = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return s.replace(" ", "-")


@test
def files_and_links_in_the_docs_exist(env):
    """Every path of the tree that README.md and docs/*.md name exists (a
    path before <, * or { as a prefix of one), as in the tree, under
    gadget/include/ (an #include's) or built; every relative link leads
    to a file, and an anchor to a heading of it."""
    bad, n = [], 0
    for doc in TREE_DOCS:
        text = open(os.path.join(ROOT, doc)).read()
        for m in re.finditer(TREE_PATH, text):
            p, after = m.group(1), m.group(2)
            n += 1
            if after:
                found = any(os.path.exists(os.path.join(ROOT, d, p)) or
                            glob.glob(os.path.join(ROOT, d, p) + "*")
                            for d in ("", "gadget/include"))
            else:
                found = any(os.path.exists(os.path.join(ROOT, d, p))
                            for d in ("", "gadget/include", "build"))
            if not found:
                bad.append(f"{doc}: {p}")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            path = os.path.normpath(os.path.join(ROOT, os.path.dirname(doc),
                                                 path)) if path else \
                os.path.join(ROOT, doc)
            if not os.path.exists(path):
                bad.append(f"{doc}: link {target}")
            elif anchor and path.endswith(".md"):
                heads = re.findall(r"^#+ (.*)$", open(path).read(), re.M)
                if anchor not in [slug(h) for h in heads]:
                    bad.append(f"{doc}: anchor {target}")
    check(n > 100, f"only {n} paths found in the docs")
    eq(bad, [], "paths and links of the docs that lead nowhere")


@test
def functions_named_in_the_docs_exist(env):
    """Every function the docs of this code name as `name()` is defined
    or declared in the tree (a C function, a BPF program, a macro, a
    command's handler, an e2e or unit test helper), but the few of
    libbpf, the kernel and libc in NOT_OURS."""
    src = "\n".join(sources(".c", ".h").values())
    for t, ext in (("tests/e2e", (".py",)), ("tests/unit", (".c", ".h"))):
        for d, _, files in os.walk(os.path.join(ROOT, t)):
            src += "\n".join(open(os.path.join(d, f)).read()
                             for f in files if f.endswith(ext))
    missing, n = [], 0
    for doc in CODE_DOCS:
        text = open(os.path.join(ROOT, doc)).read()
        for f in sorted(set(re.findall(r"`(\w+)\(\)`", text)) - NOT_OURS):
            n += 1
            if not re.search(rf"^[A-Za-z_][\w \*]*\b{f}\(|"
                             rf"^#define {f}\(|BPF_PROG\({f}\b|"
                             rf"\(\*{f}\)\(|^def {f}\(", src, re.M):
                missing.append(f"{doc}: {f}()")
    check(n > 60, f"only {n} functions named")
    eq(missing, [], "functions the docs name that the tree lacks")


@test
def architecture_places_every_engine_file(env):
    """docs/architecture.md names every file of the engine and every BPF
    program of the runner: a new module gets its line there."""
    text = open(os.path.join(ROOT, "docs/architecture.md")).read()
    files = sorted(
        glob.glob(os.path.join(ROOT, "runner/engine/*.c")) +
        glob.glob(os.path.join(ROOT, "runner/engine/bpf/*.bpf.c")))
    check(len(files) > 50, f"only {len(files)} engine files")
    eq([f for f in (os.path.relpath(p, ROOT) for p in files)
        if f"`{f}`" not in text], [],
       "engine files architecture.md does not place")

if __name__ == "__main__":
    main(setup, teardown)
