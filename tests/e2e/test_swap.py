#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Round trip and version swap through a real registry with `runner run`.

trace_dns v1 (gadget/trace_dns as it is) and v2 (a copy whose program
fills one more event field, dns_len, and whose gadget.yaml has another
description and describes that field) are built by one runner binary,
pushed to Debian's docker-registry on 127.0.0.1, and run from fresh
stores by that same binary: `runner run REF` pulls what is missing and
traces DNS exchanges that a crafted UDP client makes against dnsmasq in
network namespaces of this test.

The binary is a copy of build/runner made at setup, so that a rebuild of
the tree while the tests run cannot swap it under them; its sha256 is
checked against build/runner then, and against /proc/PID/exe of each
running tracer.
"""
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (BUILD, ROOT, WAIT, Fail, Netns, check, eq, fails,  # noqa: E402
                     link, main, ok, stop_procs, test)
import registry_env as env  # noqa: E402

SRV4, CLI4 = "10.78.0.1", "10.78.0.2"
WEB4 = "10.78.1.1"
NS = f"swap{os.getpid()}"
REPO = "gadgets/trace_dns"
V2_DESCRIPTION = ("trace_dns v2 - DNS queries and responses, with the length "
                  "of each DNS message")
V2_FIELD_DESCRIPTION = "Length of the DNS message in bytes (added in v2)"

# A DNS client whose every byte is known: one A question, no EDNS.  It
# prints what it sent and received, so events can be checked against the
# real packets.
CLIENT = r'''
import json, socket, struct, sys
name, server, qid = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in name.split(".") if l)
q += b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.sendto(q, (server, 53))
r, _ = s.recvfrom(65535)
print(json.dumps({"qlen": len(q), "rlen": len(r), "port": s.getsockname()[1],
                  "rid": struct.unpack(">H", r[:2])[0],
                  "ancount": struct.unpack(">H", r[6:8])[0]}))
'''


class Ctx:
    pass


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def runner(ctx, args, timeout=120):
    if args[:1] == ["run"]:
        args = args + UNVERIFIED
    return subprocess.run([ctx.bin] + args, capture_output=True, text=True,
                          timeout=timeout)


def insecure(ctx):
    return ["--insecure-registries", ctx.reg.host]


# These images are pulled unsigned: signatures are test_sign.py's subject.
UNVERIFIED = ["--verify-image=false"]


def fresh_store(ctx, name):
    d = os.path.join(ctx.tmp, "stores", name)
    shutil.rmtree(d, ignore_errors=True)
    return d


def ref(ctx, tag):
    return f"{ctx.reg.host}/{REPO}:{tag}"


def stored(ctx, store, r):
    """The digest of r in store, or None when the store does not hold it."""
    p = runner(ctx, ["image", "inspect", r, "--store", store])
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)["digest"]


def make_v2(src, dst):
    """Copy the gadget folder src to dst and turn it into v2."""
    shutil.copytree(src, dst)

    def edit(path, old, new, regex=False):
        with open(path) as f:
            text = f.read()
        if regex:
            text, n = re.subn(old, new, text, count=1, flags=re.M)
        else:
            n = text.count(old)
            text = text.replace(old, new)
        if n != 1:
            raise Fail(f"v2: {os.path.basename(path)}: {old!r} found {n} "
                       "times, want 1")
        with open(path, "w") as f:
            f.write(text)

    prog = os.path.join(dst, "program.bpf.c")
    # among the fields every record fills, before the variable ones
    edit(prog, "\tbool unanswered;\n",
         "\tbool unanswered;\n"
         "\t__u32 dns_len; /* v2: bytes of the DNS message */\n")
    edit(prog, "\tev->latency_ns_raw = latency;\n",
         "\tev->latency_ns_raw = latency;\n\tev->dns_len = l4->dns_len;\n")
    meta = os.path.join(dst, "gadget.yaml")
    edit(meta, r"^description: >-\n(?:  .*\n)+",
         f"description: {V2_DESCRIPTION}\n", regex=True)
    edit(meta, "\nparams:\n",
         "\n      dns_len:\n"
         "        annotations:\n"
         f"          description: {V2_FIELD_DESCRIPTION}\n"
         '          columns.width: "7"\n'
         "params:\n")


def setup():
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="runner-swap-")
    ctx.procs, ctx.nss, ctx.reg, ctx.bgs = [], [], None, []
    try:
        build_env(ctx)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def build_env(ctx):
    check(os.access(harness.RUNNER, os.X_OK), f"{harness.RUNNER} not built")
    # one binary for everything: a snapshot of build/runner
    os.makedirs(os.path.join(ctx.tmp, "bin"))
    ctx.bin = os.path.join(ctx.tmp, "bin", "runner")
    shutil.copy2(harness.RUNNER, ctx.bin)
    ctx.sha = sha256_file(ctx.bin)
    eq(sha256_file(harness.RUNNER), ctx.sha, "build/runner changed while "
       "copied")
    harness.RUNNER = ctx.bin  # harness.Runner starts this one

    # no credentials, registries or stores from the caller's environment
    for k in ("REGISTRY_AUTH_FILE", "RUNNER_INSECURE_REGISTRIES",
              "RUNNER_REGISTRY_PREFIX", "RUNNER_STORE", "DOCKER_CONFIG",
              "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        os.environ.pop(k, None)
    os.environ["HOME"] = os.path.join(ctx.tmp, "home")
    os.makedirs(os.environ["HOME"])
    os.environ["RUNNER_REGISTRY_TIMEOUT"] = "5"
    os.environ["RUNNER_REGISTRY_RETRIES"] = "1"
    # the copy is not next to gadget/include and build/include
    os.environ["RUNNER_GADGET_INCLUDE"] = os.path.join(ROOT, "gadget",
                                                       "include")
    if os.path.exists(os.path.join(BUILD, "include", "vmlinux.h")):
        os.environ["RUNNER_VMLINUX_DIR"] = os.path.join(BUILD, "include")
    # else the copy writes one next to itself from the kernel's BTF

    ctx.reg = env.Registry(ctx.tmp, "registry")

    # v1 and v2 built by the same binary into one store, then pushed
    ctx.build = os.path.join(ctx.tmp, "stores", "build")
    src = os.path.join(ROOT, "gadget", "trace_dns")
    ctx.v2src = os.path.join(ctx.tmp, "trace_dns_v2")
    make_v2(src, ctx.v2src)
    ctx.digest = {}
    for tag, folder in (("v1", src), ("v2", ctx.v2src)):
        ok(runner(ctx, ["image", "build", folder, "-t", ref(ctx, tag),
                        "--store", ctx.build]), f"build {tag}")
        out = ok(runner(ctx, ["image", "push", ref(ctx, tag), "--store",
                              ctx.build] + insecure(ctx)), f"push {tag}")
        m = re.fullmatch("Successfully pushed " + re.escape(ref(ctx, tag)) +
                         r"@(sha256:[0-9a-f]{64})",
                         out.strip())
        check(m, f"push {tag} output: {out!r}")
        ctx.digest[tag] = m.group(1)
        eq(stored(ctx, ctx.build, ref(ctx, tag)), ctx.digest[tag],
           f"built {tag} digest")

    # a client host and a server host with dnsmasq
    ctx.srv = Netns(f"{NS}-srv")
    ctx.nss.append(ctx.srv)
    ctx.cli = Netns(f"{NS}-cli")
    ctx.nss.append(ctx.cli)
    link(ctx.cli, ctx.srv, [f"{CLI4}/24"], [f"{SRV4}/24"], name="swp")
    pidfile = os.path.join(ctx.tmp, "dnsmasq.pid")
    ctx.dnsmasq = ctx.srv.popen(
        "dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces"
        f" --listen-address={SRV4} --pid-file={pidfile}"
        f" --address=/web.test/{WEB4}",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ctx.procs.append(ctx.dnsmasq)
    ctx.client = os.path.join(ctx.tmp, "client.py")
    with open(ctx.client, "w") as f:
        f.write(CLIENT)
    deadline = time.time() + WAIT
    while f"{SRV4}:53" not in ctx.srv.run("ss -Hnlu"):
        if ctx.dnsmasq.poll() is not None:
            raise Fail(f"dnsmasq exited {ctx.dnsmasq.returncode}")
        if time.time() > deadline:
            raise Fail(f"dnsmasq does not listen on {SRV4}:53")
        time.sleep(0.05)
    exchange(ctx, "ready.web.test.")


def teardown(ctx):
    if ctx is None:
        return
    for bg in ctx.bgs:
        bg.stop()
    stop_procs(ctx.procs)
    for ns in ctx.nss:
        ns.delete()
    if ctx.reg:
        ctx.reg.stop()
    if not os.environ.get("KEEP_TMP"):
        shutil.rmtree(ctx.tmp, ignore_errors=True)


# ---- helpers ----------------------------------------------------------------


def exchange(ctx, name):
    """One query for name from the client host; what went over the wire."""
    qid = secrets.randbelow(65536)
    p = ctx.cli.popen(f"python3 {ctx.client} {name} {SRV4} {qid}",
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                      text=True)
    out, err = p.communicate(timeout=20)
    if p.returncode != 0:
        raise Fail(f"client for {name}: exit {p.returncode}: "
                   f"{err.strip()[-300:]}")
    x = json.loads(out)
    eq(x["rid"], qid, "response id")
    eq(x["ancount"], 1, f"answers to {name}")
    x.update(pid=p.pid, id=f"{qid:04x}", name=name)
    return x


def start(ctx, r, store, extra=()):
    """runner run r -o json in the background, pulling into store."""
    bg = harness.Runner(["run", r, "-o", "json", "--store", store] +
                        insecure(ctx) + UNVERIFIED + list(extra))
    ctx.bgs.append(bg)
    return bg


def stop(ctx, bg):
    rc = bg.stop()
    ctx.bgs.remove(bg)
    eq(rc, 0, "runner exit status")
    return bg.stderr()


def running_sha(bg):
    return sha256_file(f"/proc/{bg.proc.pid}/exe")


def four_events(ctx, bg, x, timeout=WAIT):
    """The query and response of exchange x at the client and the server."""
    cli, srv = ctx.cli.inode(), ctx.srv.inode()
    want = {(cli, "OUTGOING", "Q"): "client query",
            (cli, "HOST", "R"): "client response",
            (srv, "HOST", "Q"): "server query",
            (srv, "OUTGOING", "R"): "server response"}

    def mine(e):
        return (e.get("name") == x["name"] and e.get("id") == x["id"] and
                (e.get("netns_id"), e.get("pkt_type"), e.get("qr")) in want)

    deadline = time.time() + timeout
    while True:
        evs = [e for e in bg.wait_for(mine, timeout=0) if mine(e)]
        if len(evs) >= 4 or time.time() > deadline or \
                bg.proc.poll() is not None:
            break
        time.sleep(0.05)
    got = {}
    for e in evs:
        k = (e["netns_id"], e["pkt_type"], e["qr"])
        check(k not in got, f"{want[k]} seen twice: {e}")
        got[k] = e
    missing = [w for k, w in want.items() if k not in got]
    if missing:
        raise Fail(f"{x['name']}: no {', '.join(missing)} event after "
                   f"{timeout}s; stderr: {bg.stderr()[-300:]}")
    return {want[k]: e for k, e in got.items()}


def check_exchange(ctx, evs, x):
    """The events describe exchange x as the client saw it."""
    q, r = evs["client query"], evs["client response"]
    for e in (q, r):
        eq(e["proc"]["pid"], x["pid"], "client proc.pid")
        eq(e["proc"]["comm"], "python3", "client proc.comm")
        eq(e["qtype"], "A", "qtype")
    eq(q["src"]["addr"], CLI4, "query src.addr")
    eq(q["src"]["port"], x["port"], "query src.port")
    eq(q["dst"]["addr"], SRV4, "query dst.addr")
    eq(q["dst"]["port"], 53, "query dst.port")
    eq(r["addresses"], WEB4, "response addresses")
    eq(r["rcode"], "Success", "response rcode")
    check(r["latency_ns_raw"] > 0, "client response latency_ns_raw > 0")
    for what in ("server query", "server response"):
        eq(evs[what]["proc"]["pid"], ctx.dnsmasq.pid, f"{what} proc.pid")
    eq(evs["server response"]["addresses"], WEB4, "server addresses")


def check_dns_len(evs, x):
    """v2's events carry the length of the message each packet held."""
    for what, want in (("client query", x["qlen"]),
                       ("server query", x["qlen"]),
                       ("client response", x["rlen"]),
                       ("server response", x["rlen"])):
        check("dns_len" in evs[what], f"v2 {what} lacks dns_len: "
              f"{sorted(evs[what])}")
        eq(evs[what]["dns_len"], want, f"v2 {what} dns_len")


def run_help(ctx, r, store, extra=()):
    return ok(runner(ctx, ["run", r, "--store", store, "--help"] +
                     insecure(ctx) + list(extra)), f"run {r} --help")


# ---- round trip --------------------------------------------------------------


@test
def run__pulls_missing_image_from_registry_and_traces(ctx):
    store = fresh_store(ctx, "roundtrip")
    bg = start(ctx, ref(ctx, "v1"), store)
    eq(running_sha(bg), ctx.sha, "running binary")
    x = exchange(ctx, f"rt-{secrets.token_hex(4)}.web.test.")
    evs = four_events(ctx, bg, x)
    err = stop(ctx, bg)
    check_exchange(ctx, evs, x)
    for what, e in evs.items():
        check("dns_len" not in e, f"v1 {what} has dns_len")
    check(re.search(r"^trace_dns: \d+ events, 0 lost(, \d+ \w+)*$", err,
                    re.M),
          f"summary: {err!r}")
    # the pull stored exactly what was pushed, under the same reference
    eq(stored(ctx, store, ref(ctx, "v1")), ctx.digest["v1"], "pulled digest")
    lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json",
                                     "--store", store]), "list"))
    eq(len(lst), 1, f"images in the store: {lst}")


@test
def run__insecure_registries_from_environment(ctx):
    store = fresh_store(ctx, "envvar")
    e = dict(os.environ, RUNNER_INSECURE_REGISTRIES=ctx.reg.host,
             RUNNER_STORE=store)
    p = subprocess.run([ctx.bin, "run", ref(ctx, "v2"), "--help"] +
                       UNVERIFIED,
                       capture_output=True, text=True, env=e, timeout=60)
    ok(p, "run --help with RUNNER_INSECURE_REGISTRIES")
    check("dns_len" in p.stdout, "v2 --help lists dns_len")
    eq(stored(ctx, store, ref(ctx, "v2")), ctx.digest["v2"], "pulled digest")


@test
def run__plain_http_registry_needs_insecure_flag(ctx):
    store = fresh_store(ctx, "secure")
    p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store, "--help"])
    fails(p, "run without --insecure-registries", ctx.reg.host)
    eq(stored(ctx, store, ref(ctx, "v1")), None, "nothing stored")


@test
def run__pull_never_on_empty_store_fails_one_line(ctx):
    store = fresh_store(ctx, "never")
    p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store, "--pull",
                     "never", "-o", "json"] + insecure(ctx))
    fails(p, "--pull never", "never", ref(ctx, "v1"))
    eq(stored(ctx, store, ref(ctx, "v1")), None, "nothing pulled")
    # --pull=never spelled with = behaves the same
    p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store,
                     "--pull=never"] + insecure(ctx))
    fails(p, "--pull=never", "never")


@test
def run__stored_image_needs_no_registry_unless_pull_always(ctx):
    # an image tagged for a registry where nothing listens
    store = fresh_store(ctx, "offline")
    dead = f"127.0.0.1:{env.free_port()}"
    ok(runner(ctx, ["image", "pull", ref(ctx, "v1"), "--store", store] +
              insecure(ctx)), "pull")
    gone = f"{dead}/{REPO}:v1"
    ok(runner(ctx, ["image", "tag", ref(ctx, "v1"), gone, "--store", store]),
       "tag")
    for policy in ("missing", "never"):
        out = ok(runner(ctx, ["run", gone, "--store", store, "--pull",
                              policy, "--help",
                              "--insecure-registries", dead]),
                 f"--pull {policy} offline")
        check("FIELDS (dns)" in out, f"--pull {policy}: help lists fields")
    p = runner(ctx, ["run", gone, "--store", store, "--pull", "always",
                     "--help", "--insecure-registries", dead])
    fails(p, "--pull always with the registry gone", dead)


@test
def run__disallow_pulling_refuses_every_pull_as_ig(ctx):
    """ig's --disallow-pulling: a run that would pull fails ("pulling is
    disallowed"), whatever the policy; one that finds its image runs."""
    store = fresh_store(ctx, "disallow")
    p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store, "--help",
                     "--disallow-pulling"] + insecure(ctx))
    fails(p, "--disallow-pulling, image missing", "pulling is disallowed",
          f"image {ref(ctx, 'v1')} is not in store {store}")
    eq(stored(ctx, store, ref(ctx, "v1")), None, "nothing pulled")
    run_help(ctx, ref(ctx, "v1"), store, ["--disallow-pulling=false"])
    eq(stored(ctx, store, ref(ctx, "v1")), ctx.digest["v1"],
       "--disallow-pulling=false pulled")
    out = run_help(ctx, ref(ctx, "v1"), store, ["--disallow-pulling=true"])
    check("FIELDS (dns)" in out, "--disallow-pulling, image stored: runs")
    p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store, "--help",
                     "--pull", "always", "--disallow-pulling"] +
               insecure(ctx))
    fails(p, "--pull always --disallow-pulling", "pulling is disallowed")
    p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store, "--help",
                     "--disallow-pulling=maybe"] + insecure(ctx))
    fails(p, "--disallow-pulling=maybe", "invalid --disallow-pulling "
          "'maybe'", code=2)


@test
def run__bad_pull_value_exits_2(ctx):
    store = fresh_store(ctx, "badpull")
    for bad in ("sometimes", "Always", ""):
        p = runner(ctx, ["run", ref(ctx, "v1"), "--store", store,
                         "--pull", bad] + insecure(ctx))
        fails(p, f"--pull {bad!r}", "pull", code=2)
    eq(stored(ctx, store, ref(ctx, "v1")), None, "nothing pulled")


@test
def run__pull_always_follows_a_moved_tag(ctx):
    moving = ref(ctx, f"moving-{secrets.token_hex(3)}")
    ok(runner(ctx, ["image", "tag", ref(ctx, "v1"), moving, "--store",
                    ctx.build]), "tag v1")
    ok(runner(ctx, ["image", "push", moving, "--store", ctx.build] +
              insecure(ctx)), "push v1 as moving")
    store = fresh_store(ctx, "moving")
    out = run_help(ctx, moving, store)
    check("dns_len" not in out, "v1 --help lists no dns_len")
    eq(stored(ctx, store, moving), ctx.digest["v1"], "first pull")

    # the tag moves to v2 in the registry
    ok(runner(ctx, ["image", "tag", ref(ctx, "v2"), moving, "--store",
                    ctx.build]), "tag v2")
    ok(runner(ctx, ["image", "push", moving, "--store", ctx.build] +
              insecure(ctx)), "push v2 as moving")
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                          f"docker://{moving}"], capture_output=True,
                              timeout=300)
    check(raw.returncode == 0, f"skopeo: {raw.stderr[-300:]}")
    eq("sha256:" + hashlib.sha256(raw.stdout).hexdigest(), ctx.digest["v2"],
       "registry digest of the moved tag")

    # missing: the stored v1 stays
    out = run_help(ctx, moving, store, ["--pull", "missing"])
    check("dns_len" not in out, "--pull missing ran v2")
    eq(stored(ctx, store, moving), ctx.digest["v1"], "after --pull missing")

    # always: v2 is pulled and v2 runs
    bg = start(ctx, moving, store, ["--pull", "always"])
    x = exchange(ctx, f"mv-{secrets.token_hex(4)}.web.test.")
    evs = four_events(ctx, bg, x)
    stop(ctx, bg)
    check_exchange(ctx, evs, x)
    check_dns_len(evs, x)
    eq(stored(ctx, store, moving), ctx.digest["v2"], "after --pull always")

    # v1 stays reachable by its digest after the tag moved
    pinned = f"{ctx.reg.host}/{REPO}@{ctx.digest['v1']}"
    store = fresh_store(ctx, "pinned")
    out = run_help(ctx, pinned, store, ["--pull", "always"])
    check("FIELDS (dns)" in out and "dns_len" not in out,
          "run by v1's digest: v1's fields")
    eq(stored(ctx, store, pinned), ctx.digest["v1"], "pulled by digest")


# ---- version swap ------------------------------------------------------------


@test
def swap__v1_and_v2_from_the_registry_on_one_binary(ctx):
    check(ctx.digest["v1"] != ctx.digest["v2"], "v1 and v2 are one image")
    s1, s2 = fresh_store(ctx, "swap-v1"), fresh_store(ctx, "swap-v2")
    # both run at once and see the same packets
    b1 = start(ctx, ref(ctx, "v1"), s1)
    b2 = start(ctx, ref(ctx, "v2"), s2)
    sha1, sha2 = running_sha(b1), running_sha(b2)
    eq(sha1, sha2, "sha256 of the binary running v1 and v2")
    eq(sha1, ctx.sha, "sha256 of the running binary")
    x = exchange(ctx, f"swap-{secrets.token_hex(4)}.web.test.")
    e1 = four_events(ctx, b1, x)
    e2 = four_events(ctx, b2, x)
    stop(ctx, b1)
    stop(ctx, b2)
    eq(stored(ctx, s1, ref(ctx, "v1")), ctx.digest["v1"], "v1 pulled")
    eq(stored(ctx, s2, ref(ctx, "v2")), ctx.digest["v2"], "v2 pulled")
    check_exchange(ctx, e1, x)
    check_exchange(ctx, e2, x)
    check_dns_len(e2, x)
    for what in e1:
        a, b = e1[what], e2[what]
        eq(sorted(set(b) - set(a)), ["dns_len"], f"{what}: v2's extra keys")
        eq(sorted(set(a) - set(b)), [], f"{what}: keys v2 lost")
        for k in ("id", "name", "src", "dst", "proc", "addresses",
                  "netns_id", "num_answers", "rcode"):
            eq(b[k], a[k], f"{what}: {k} in v2 and v1")
    # the query is smaller than its answer: the lengths are the packets'
    check(x["qlen"] < x["rlen"], f"lengths {x['qlen']} {x['rlen']}")


@test
def swap__inspect_and_help_show_each_versions_metadata(ctx):
    docs, helps = {}, {}
    for tag in ("v1", "v2"):
        store = fresh_store(ctx, f"meta-{tag}")
        ok(runner(ctx, ["image", "pull", ref(ctx, tag), "--store", store] +
                  insecure(ctx)), f"pull {tag}")
        docs[tag] = json.loads(ok(runner(ctx, ["image", "inspect",
                                               ref(ctx, tag), "--store",
                                               store]), f"inspect {tag}"))
        helps[tag] = run_help(ctx, ref(ctx, tag), store)
    d1, d2 = docs["v1"], docs["v2"]
    ann = "org.opencontainers.image.description"
    eq(d2["index"]["annotations"][ann], V2_DESCRIPTION, "v2 description")
    check(d1["index"]["annotations"][ann].startswith("Trace DNS queries"),
          f"v1 description: {d1['index']['annotations'][ann]!r}")
    check(V2_FIELD_DESCRIPTION in d2["metadata"], "v2 metadata: dns_len")
    check("dns_len" not in d1["metadata"], "v1 metadata has dns_len")
    with open(os.path.join(ROOT, "gadget", "trace_dns", "gadget.yaml")) as f:
        eq(d1["metadata"], f.read(), "v1 metadata is gadget.yaml")
    with open(os.path.join(ctx.v2src, "gadget.yaml")) as f:
        eq(d2["metadata"], f.read(), "v2 metadata is the edited gadget.yaml")
    # the program layers differ, the image format does not
    for d, tag in ((d1, "v1"), (d2, "v2")):
        eq(d["digest"], ctx.digest[tag], f"{tag} digest")
    layers = {tag: sorted(l["digest"] for m in docs[tag]["manifests"]
                          for l in m["manifest"]["layers"])
              for tag in docs}
    check(not set(layers["v1"]) & set(layers["v2"]),
          f"v1 and v2 share a program layer: {layers}")
    # --help: the field and its description only in v2
    line = [l for l in helps["v2"].splitlines() if l.split()[:1] == ["dns_len"]]
    check(len(line) == 1 and V2_FIELD_DESCRIPTION in line[0],
          f"v2 --help dns_len line: {line}")
    check(not re.search(r"^\s*dns_len\b", helps["v1"], re.M),
          "v1 --help lists dns_len")


@test
def swap__skopeo_sees_oci_media_types_of_v2(ctx):
    raw = subprocess.run(["skopeo", "inspect", "--raw", "--tls-verify=false",
                          f"docker://{ref(ctx, 'v2')}"], capture_output=True,
                              timeout=300)
    check(raw.returncode == 0, f"skopeo: {raw.stderr[-300:]}")
    eq("sha256:" + hashlib.sha256(raw.stdout).hexdigest(), ctx.digest["v2"],
       "index digest in the registry")
    idx = json.loads(raw.stdout)
    eq(idx["schemaVersion"], 2, "schemaVersion")
    eq(idx["mediaType"], env.MT_INDEX, "index mediaType")
    eq(idx["annotations"]["org.opencontainers.image.description"],
       V2_DESCRIPTION, "index description annotation")
    eq(sorted((m["platform"]["os"], m["platform"]["architecture"])
              for m in idx["manifests"]),
       [("linux", "amd64"), ("linux", "arm64")], "platforms")
    for m in idx["manifests"]:
        eq(m["mediaType"], env.MT_MANIFEST, "manifest entry mediaType")
        raw = subprocess.run(["skopeo", "inspect", "--raw",
                              "--tls-verify=false",
                              f"docker://{ctx.reg.host}/{REPO}@{m['digest']}"],
                             capture_output=True, timeout=300)
        check(raw.returncode == 0, f"skopeo manifest: {raw.stderr[-300:]}")
        eq("sha256:" + hashlib.sha256(raw.stdout).hexdigest(), m["digest"],
           "manifest digest")
        man = json.loads(raw.stdout)
        eq(man["mediaType"], env.MT_MANIFEST, "manifest mediaType")
        eq(man["artifactType"], env.ARTIFACT, "artifactType")
        eq(man["config"]["mediaType"], env.MT_CONFIG, "config mediaType")
        eq([l["mediaType"] for l in man["layers"]], [env.MT_PROGRAM],
           "layer mediaTypes")


if __name__ == "__main__":
    main(setup, teardown)
