#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ig's gadget instance manifests: `runner run -f FILE` as `ig run -f FILE`.

trace_dns runs from a manifest shaped as ig's failed-dns-requests example
(a filter on failed responses, a field list, a KubeManager key that ig's
local run ignores) while dig asks a dnsmasq in a namespace of this test for
a name it knows and one it does not: only the failure may show, with only
the manifest's fields.  The same manifest from stdin and from a URL served
by a local HTTP server; every error case of ig's runwithspec_test.go, as a
file and as a URL, fails in one line before the store is even opened.
"""
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, RUNNER, WAIT, Fail, Netns, Runner,  # noqa: E402
                     check, eq, fails, link, main, sh, stop_procs, test)

NS = f"mfst{os.getpid()}"
SRV4, CLI4 = "10.78.0.1", "10.78.0.2"

# ig's examples/instance-manifests/dns/failed-dns-requests-all.yaml, in
# substance: failed responses, six fields, every Kubernetes namespace
FAILED = """apiVersion: 1
kind: instance-spec
image: trace_dns:latest
name: failed-dns-requests-all
paramValues:
  operator.KubeManager.all-namespaces: true
  operator.filter.filter: rcode!=Success,qr==R
  operator.cli.fields: k8s.namespace,k8s.podname,src,dst,name,rcode
"""
FAILED_KEYS = {"k8s", "src", "dst", "name", "rcode"}


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="manifest-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs, env.nss, env.http = [], [], None
    try:
        sh(f"{RUNNER} image build {ROOT}/gadget/trace_dns -t trace_dns:latest"
           f" --store {env.store}")
        env.srv, env.cli = Netns(f"{NS}-srv"), Netns(f"{NS}-cli")
        env.nss += [env.srv, env.cli]
        link(env.cli, env.srv, [f"{CLI4}/24"], [f"{SRV4}/24"], name=NS)
        env.procs.append(dnsmasq(env))
        # the manifests' server: files of env.tmp/www, port 0 then read
        env.www = os.path.join(env.tmp, "www")
        os.mkdir(env.www)
        handler = functools.partial(_Quiet, directory=env.www)
        env.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                   handler)
        threading.Thread(target=env.http.serve_forever, daemon=True).start()
        env.url = f"http://127.0.0.1:{env.http.server_address[1]}"
    except BaseException:
        teardown(env)
        raise
    return env


def dnsmasq(env):
    """dnsmasq in the server namespace: web.test is known, every name
    under nx.test fails (NXDOMAIN)."""
    p = env.srv.popen("dnsmasq --no-daemon --no-resolv --no-hosts"
                      f" --bind-interfaces --listen-address={SRV4}"
                      f" --pid-file={env.tmp}/dnsmasq.pid"
                      " --address=/web.test/10.78.1.1 --address=/nx.test/",
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if p.poll() is not None:
            raise Fail(f"dnsmasq exited {p.returncode}")
        out = env.srv.run(f"dig +time=1 +tries=1 @{SRV4} web.test",
                          check_rc=False)
        if "status:" in out:
            return p
        time.sleep(0.1)
    p.kill()
    raise Fail("dnsmasq does not answer")


def teardown(env):
    if env is None:
        return
    if env.http:
        env.http.shutdown()
    stop_procs(env.procs)
    for ns in env.nss:
        ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def put(env, name, text):
    """text as file name, in env.tmp and on the HTTP server: (path, url)."""
    for d in (env.tmp, env.www):
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return os.path.join(env.tmp, name), f"{env.url}/{name}"


def dig(env, name):
    out = env.cli.run(f"dig +time=2 +tries=1 @{SRV4} {name}", check_rc=False)
    check("status:" in out, f"dig {name} got no answer: {out[-300:]}")


def traced(env, r, names, marker):
    """dig names, then marker (a failing one), with r running: the events
    of this test up to the marker's."""
    for n in names + [marker]:
        dig(env, n)
    evs = r.wait_for(lambda e: e.get("name") == marker + ".")
    r.stop()
    check(any(e.get("name") == marker + "." for e in evs),
          f"no event of {marker}: {r.stderr()[-300:]}")
    return evs


def check_failed_only(env, r, what):
    """r runs FAILED: a known name and an unknown one asked; only the
    unknown one's response shows, with FAILED's fields only."""
    try:
        evs = traced(env, r, ["web.test", "nx.test"], "end.nx.test")
    finally:
        r.stop()
    names = {e["name"] for e in evs}
    check("nx.test." in names, f"{what}: no failed response: {names}")
    check("web.test." not in names, f"{what}: not filtered: {names}")
    for e in evs:
        eq(set(e), FAILED_KEYS, f"{what}: fields")
        check(e["rcode"] != "Success", f"{what}: {e}")


def run(env, *args, store=None):
    return subprocess.run([RUNNER, "run", *args, "--store",
                           store or env.store],
                          capture_output=True, text=True, timeout=120)


@test
def failed_dns_requests__filter_and_fields_from_the_file(env):
    path, _ = put(env, "failed.yaml", FAILED)
    r = Runner(["run", "-f", path, "-o", "json", "--store", env.store])
    check_failed_only(env, r, "file")


@test
def failed_dns_requests__from_stdin(env):
    path, _ = put(env, "stdin.yaml", FAILED)
    # the runner itself reads the file as its stdin (exec: its own pid)
    r = Runner(["run", "-f", "-", "-o", "json", "--store", env.store],
               prefix=("sh", "-c", f'exec "$@" < {path}', "sh"))
    check_failed_only(env, r, "stdin")


@test
def failed_dns_requests__from_a_url(env):
    _, url = put(env, "url.yaml", FAILED)
    r = Runner(["run", "--file", url, "-o", "json", "--store", env.store])
    check_failed_only(env, r, "URL")


@test
def command_line_flags_beside_the_manifest(env):
    """-F adds to the manifest's filter, --fields replaces its list; keys
    of what the runner does not have (another operator's, a param
    trace_dns lacks, the sort operator's, which is for arrays) are ignored,
    as ig ignores them."""
    path, _ = put(env, "cmdline.yaml", FAILED + """\
  operator.Nope.key: value
  operator.oci.ebpf.nosuch: x
  operator.sort.sort: name
""")
    r = Runner(["run", "-f", path, "-o", "json", "--fields", "name",
                "-F", "name~^other", "--store", env.store])
    try:
        evs = traced(env, r, ["nx.test"], "other.nx.test")
    finally:
        r.stop()
    eq({e["name"] for e in evs}, {"other.nx.test."}, "names")
    for e in evs:
        eq(set(e), {"name"}, "fields")


# ig's runwithspec_test.go, as a file and as a URL: (case, manifest,
# extra args, the message after "reading gadget runtime manifest file F: ")
IG_CASES = [
    ("image on the command line",
     "apiVersion: 1\nkind: instance-spec\nimage: trace_exec\n",
     ["trace_exec"], None),
    ("invalid version", "apiVersion: a", [],
     "parsing gadget spec (entry 1): yaml: unmarshal errors: line 1: "
     "cannot unmarshal !!str `a` into int"),
    ("invalid kind", "apiVersion: 1\nkind: yo", [],
     'expected kind "instance-spec" for entry 1 in manifest, got kind "yo"'),
    ("multiple specs without detach",
     "apiVersion: 1\nkind: instance-spec\nimage: demo\n---\n"
     "apiVersion: 1\nkind: instance-spec\nimage: demo\n", [], None),
    ("multiple specs, one invalid",
     "apiVersion: 1\nkind: instance-spec\nimage: demo\n---\napiVersion: x\n",
     [], "parsing gadget spec (entry 2): yaml: unmarshal errors: line 5: "
     "cannot unmarshal !!str `x` into int"),
    ("missing image", "apiVersion: 1\nkind: instance-spec\n", [],
     "no image specified in entry 1"),
    ("invalid id", "apiVersion: 1\nkind: instance-spec\nimage: demo\nid: 0\n",
     [], 'invalid instance id "0" in entry 1'),
    ("invalid name",
     "apiVersion: 1\nkind: instance-spec\nimage: demo\n"
     "name: invalid-#name*\n", [],
     'invalid instance name "invalid-#name*" in entry 1'),
    ("a comma in a tag",
     "apiVersion: 1\nkind: instance-spec\nimage: demo\ntags: [a, 'b,c']\n",
     [], 'invalid character "," in tag "b,c" of entry 1'),
]


@test
def ig_error_cases__one_line_before_the_store_is_opened(env):
    """A store that a run would create (run creates a missing one, as ig)
    is not there after any of them: nothing was even looked up."""
    for i, (case, text, extra, msg) in enumerate(IG_CASES):
        path, url = put(env, f"bad{i}.yaml", text)
        for where in (path, url):
            store = os.path.join(env.tmp, f"nostore{i}")
            p = run(env, "-f", where, "--pull", "never", *extra, store=store)
            if extra:
                want = "please only specify an image OR manifest"
            elif msg:
                want = f"reading gadget runtime manifest file {where}: {msg}"
            else:
                want = ("multiple gadget instance specs found in manifest "
                        f"{where}")
            err = fails(p, f"{case} ({where})", code=2)
            eq(err, f"runner: {want}", f"{case} ({where})")
            check(not os.path.exists(store), f"{case}: store created")
    # past the size limit, where a parser would spend its time
    big, _ = put(env, "big.yaml", "apiVersion: 1\nkind: instance-spec\n"
                 "image: demo\n" + "#" * (1 << 20) + "\n")
    err = fails(run(env, "-f", big), "1 MiB", code=2)
    eq(err, f"runner: reading gadget runtime manifest file {big}: larger "
       "than 1 MiB", "1 MiB")
    p = run(env, "-f", f"{env.url}/missing.yaml")
    err = fails(p, "404", code=1)
    eq(err, "runner: downloading gadget runtime manifest file "
       f"{env.url}/missing.yaml: unexpected status code: 404", "404")


def bpf_calls(env, path, *args):
    """The bpf(2) commands a run of manifest path made (strace)."""
    log = os.path.join(env.tmp, "strace.log")
    p = subprocess.run(["strace", "-f", "-e", "trace=bpf", "-o", log,
                        RUNNER, "run", "-f", path, "--store", env.store,
                        *args], capture_output=True, text=True, timeout=120)
    with open(log) as f:
        return p, f.read()


@test
def bad_values__named_by_key_and_nothing_loaded(env):
    # the control: a good manifest loads its programs
    good, _ = put(env, "good.yaml", FAILED)
    p, calls = bpf_calls(env, good, "--timeout", "1")
    eq(p.returncode, 0, f"good manifest: {p.stderr[-300:]}")
    check("BPF_PROG_LOAD" in calls, "strace saw no program loaded")

    path, _ = put(env, "badout.yaml", FAILED +
                  "  operator.cli.output: jsn\n")
    p, calls = bpf_calls(env, path)
    fails(p, "bad output mode", f"manifest {path}: operator.cli.output: "
          "-o: invalid output mode 'jsn'", code=2)
    check("BPF_PROG_LOAD" not in calls, "a program was loaded")

    path, _ = put(env, "badpull.yaml", FAILED +
                  "  operator.oci.pull: sometimes\n")
    fails(run(env, "-f", path), "bad pull policy",
          f"manifest {path}: operator.oci.pull: invalid pull policy "
          '"sometimes"', code=2)


# A key of each value that a check after the flags' pass refuses: the
# session's (fields, filters, selections, gadget params, ig's array flags),
# --annotate's (the metadata's), --authfile's (the file's)
LATER = [
    ("trace_dns:latest", "operator.cli.fields", "nosuch",
     'unknown field "nosuch"'),
    ("trace_dns:latest", "operator.filter.filter", "nosuch==1",
     'unknown field "nosuch"'),
    ("trace_dns:latest", "operator.filter.filter-expr", "nosuch",
     'unknown field "nosuch"'),
    ("trace_dns:latest", "operator.filter.filter.dns", "nosuch==1",
     'unknown field "nosuch"'),
    ("trace_dns:latest", "operator.filter.filter-expr.dns", "nosuch",
     'unknown field "nosuch"'),
    ("trace_dns:latest", "operator.oci.ebpf.ports", "abc",
     "invalid value 'abc'"),
    ("trace_dns:latest", "operator.LocalManager.containername", "a,,b",
     "empty name"),
    ("trace_dns:latest", "operator.LocalManager.k8s-selector", "===",
     "want key=value"),
    ("trace_dns:latest", "operator.LocalManager.runtime-containerimage-id",
     "a,,b", "empty name"),
    ("trace_dns:latest", "operator.oci.annotate", "bad",
     "want DS:KEY=VALUE"),
    ("snapshot_process:latest", "operator.sort.sort", "nosuch",
     'unknown field "nosuch"'),
    ("snapshot_process:latest", "operator.limiter.max-entries", "abc",
     "is not a number"),
]


@test
def values_checked_later__named_by_key(env):
    """Every key whose value is refused after the flags' pass, where its
    flag is applied, is named as those refused in it are (operator.oci.pull
    above), not by its flag alone."""
    sh(f"{RUNNER} image build {ROOT}/examples/snapshot_process"
       f" -t snapshot_process:latest --store {env.store}")
    for i, (image, key, value, why) in enumerate(LATER):
        text = FAILED.replace("trace_dns:latest", image).replace(
            "  operator.filter.filter: rcode!=Success,qr==R\n", "").replace(
            "  operator.cli.fields: k8s.namespace,k8s.podname,src,dst,name,"
            "rcode\n", "")
        path, _ = put(env, f"later{i}.yaml",
                      text + f'  {key}: "{value}"\n')
        fails(run(env, "-f", path, "--timeout", "1"), key,
              f"runner: manifest {path}: {key}: ", why, code=2)


@test
def at_file_value__taken_as_written(env):
    """ig reads no "@FILE" for a manifest's value (Params.CopyFromMap sets
    it as it is), as it does for a flag's."""
    fields = os.path.join(env.tmp, "fields")
    with open(fields, "w") as f:
        f.write("name")
    path, _ = put(env, "at.yaml", FAILED.replace(
        "k8s.namespace,k8s.podname,src,dst,name,rcode", f'"@{fields}"'))
    fails(run(env, "-f", path, "--timeout", "1"), "@FILE",
          f'unknown field "@{fields}"', code=2)


if __name__ == "__main__":
    main(setup, teardown)
