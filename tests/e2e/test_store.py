#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The local store and references as a user meets them: the default store
(/var/lib/runner/oci-store, in a private mount namespace over a tmpfs so
that the machine's own store is never touched), bare names normalised with
and without $RUNNER_REGISTRY_PREFIX, `image list` columns, `image inspect
-o yaml` checked against the image this test wrote itself, and containers'
auth.json end to end with skopeo (the reference client of that file) and a
basic-auth docker-registry.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, RUNNER, check, eq, fails, main, ok, test  # noqa: E402
import registry_env as env  # noqa: E402

DEFAULT_PREFIX = "ghcr.io/inspektor-gadget/gadget"
CONFIG = ("name: store fixture\ndescription: a gadget of test_store\n"
          "datasources:\n  x:\n    fields: {}\n")


class Ctx:
    pass


def clean_env(ctx, extra=None):
    e = dict(os.environ)
    for k in ("REGISTRY_AUTH_FILE", "RUNNER_INSECURE_REGISTRIES",
              "RUNNER_REGISTRY_PREFIX", "RUNNER_STORE", "DOCKER_CONFIG",
              "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        e.pop(k, None)
    e["HOME"] = ctx.home
    e["RUNNER_REGISTRY_TIMEOUT"] = "5"
    e["RUNNER_REGISTRY_RETRIES"] = "1"
    e.update(extra or {})
    return e


def runner(ctx, args, extra=None, input=None):
    return subprocess.run([RUNNER] + args, capture_output=True, text=True,
                          env=clean_env(ctx, extra), input=input,
                          timeout=120)


def setup():
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="runner-store-")
    ctx.regs = []
    try:
        ctx.home = os.path.join(ctx.tmp, "home")
        os.makedirs(ctx.home)
        ctx.users = {"alice": "pw-of-alice"}
        ctx.anon = env.Registry(ctx.tmp, "anon")
        ctx.regs.append(ctx.anon)
        ctx.basic = env.Registry(ctx.tmp, "basic",
                                 htpasswd_users=ctx.users)
        ctx.regs.append(ctx.basic)
        ctx.tar = os.path.join(ctx.tmp, "fixture.tar")
        ctx.progs = {"amd64": b"\x7fELF-store-amd64" + os.urandom(3000),
                     "arm64": b"\x7fELF-store-arm64" + os.urandom(3000)}
        ctx.digest = env.gadget_tar(ctx.tar, "localhost:1/fixture/g:v1",
                                    CONFIG, ctx.progs, title="store fixture")
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    if ctx is None:
        return
    for r in ctx.regs:
        r.stop()
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def in_private_var_lib(ctx, script, extra=None):
    """Run script (sh) in a new mount namespace where /var/lib is an empty
    tmpfs: the default store is real there, and private."""
    p = subprocess.run(["unshare", "--mount", "--propagation", "private",
                        "sh", "-ec", "mount -t tmpfs tmpfs /var/lib\n" +
                        script],
                       capture_output=True, text=True, timeout=120,
                       env=clean_env(ctx, dict(extra or {}, R=RUNNER,
                                               TAR=ctx.tar)))
    check(p.returncode == 0, f"script exit {p.returncode}: "
          f"{p.stderr.strip()[-400:]}")
    return p.stdout


@test
def default_store_and_bare_names(ctx):
    """No --store, no $RUNNER_STORE: /var/lib/runner/oci-store.  A bare
    name gets ig's prefix, or $RUNNER_REGISTRY_PREFIX."""
    pfx = f"{ctx.anon.host}/pfx"
    out = in_private_var_lib(ctx, f"""
$R image import "$TAR" >&2
$R image tag localhost:1/fixture/g:v1 bare >&2
RUNNER_REGISTRY_PREFIX={pfx} $R image tag localhost:1/fixture/g:v1 mine:v3 >&2
RUNNER_REGISTRY_PREFIX={pfx} $R image push mine:v3 \
    --insecure-registries {ctx.anon.host} >&2
cat /var/lib/runner/oci-store/oci-layout >&2
cat /var/lib/runner/oci-store/index.json
""")
    idx = json.loads(out)
    refs = sorted(m["annotations"]["org.opencontainers.image.ref.name"]
                  for m in idx["manifests"])
    eq(refs, sorted(["localhost:1/fixture/g:v1",
                     f"{DEFAULT_PREFIX}/bare:latest",
                     f"{pfx}/mine:v3"]), "refs in the default store")
    for m in idx["manifests"]:
        eq(m["digest"], ctx.digest, "digest of each tag")
    # the bare name went to the prefix's registry, as the prefix says
    with urllib.request.urlopen(f"http://{ctx.anon.host}/v2/pfx/mine/"
                                "tags/list", timeout=60) as r:
        eq(json.load(r).get("tags"), ["v3"], "tags pushed under the prefix")
    # and the machine's own default store was never touched
    check(not os.path.exists(f"/var/lib/runner/oci-store/blobs/sha256/"
                             f"{ctx.digest[7:]}"),
          "the fixture reached the machine's default store")


def store_with_tags(ctx, name, *tags):
    store = os.path.join(ctx.tmp, name)
    ok(runner(ctx, ["image", "import", ctx.tar, "--store", store]), "import")
    for t in tags:
        ok(runner(ctx, ["image", "tag", "localhost:1/fixture/g:v1", t,
                        "--store", store]), f"tag {t}")
    return store


@test
def image_list_columns(ctx):
    store = store_with_tags(ctx, "list", "bare", "localhost:5000/a/b:v2")
    out = ok(runner(ctx, ["image", "list", "--store", store]), "list")
    lines = out.splitlines()
    eq(lines[0].split(), ["REPOSITORY", "TAG", "DIGEST", "CREATED"],
       "header")
    rows = sorted(ln.split(None, 3) for ln in lines[1:])
    want = sorted([["localhost:1/fixture/g", "v1"],
                   ["bare", "latest"],  # ig cuts its own prefix
                   ["localhost:5000/a/b", "v2"]])
    eq([r[:2] for r in rows], want, "repository and tag of each row")
    head = lines[0]
    for r, line in zip(rows, sorted(lines[1:])):
        # into a pipe, as ig: the whole digest, the time as stored
        eq(r[2], ctx.digest, "DIGEST: the index's, whole")
        check(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", r[3]),
              f"CREATED: {r[3]!r}")
    for line in lines[1:]:  # cells start under their heading
        for col in ("TAG", "DIGEST", "CREATED"):
            at = head.index(col)
            check(line[at - 1] == " " and line[at] != " ",
                  f"{col} not aligned: {line!r} under {head!r}")


def tar_contents(path):
    """What this test wrote in its fixture: index, manifests, blobs."""
    with tarfile.open(path) as t:
        blobs = {"sha256:" + m.name.split("/")[-1]: t.extractfile(m).read()
                 for m in t.getmembers() if m.name.startswith("blobs/")}
    return blobs


@test
def image_inspect_yaml_matches_the_image(ctx):
    store = store_with_tags(ctx, "inspect")
    out = ok(runner(ctx, ["image", "inspect", "localhost:1/fixture/g:v1",
                          "-o", "yaml", "--store", store]), "inspect")
    doc = yaml.safe_load(out)
    blobs = tar_contents(ctx.tar)
    for d, b in blobs.items():  # the fixture is what it claims
        eq("sha256:" + hashlib.sha256(b).hexdigest(), d, "fixture blob")
    index = json.loads(blobs[ctx.digest])
    eq(doc["reference"], "localhost:1/fixture/g:v1", "reference")
    eq(doc["digest"], ctx.digest, "digest")
    eq(doc["size"], len(blobs[ctx.digest]), "size")
    eq(doc["mediaType"], "application/vnd.oci.image.index.v1+json",
       "mediaType")
    eq(doc["index"], index, "index")
    eq(len(doc["manifests"]), 2, "manifests")
    for got, desc in zip(doc["manifests"], index["manifests"]):
        eq(got["digest"], desc["digest"], "manifest digest")
        eq(got["size"], desc["size"], "manifest size")
        eq(got["platform"], desc["platform"], "platform")
        m = json.loads(blobs[desc["digest"]])
        eq(got["manifest"], m, "manifest")
        arch = desc["platform"]["architecture"]
        layer = m["layers"][0]
        eq(layer["digest"], "sha256:" + hashlib.sha256(
            ctx.progs[arch]).hexdigest(), f"{arch} program digest")
        eq(got["metadata"], CONFIG, "metadata")


@test
def containers_auth_json_end_to_end(ctx):
    """skopeo login writes ${XDG_RUNTIME_DIR}/containers/auth.json: the
    runner pushes and pulls with it; runner login writes the file named
    by $REGISTRY_AUTH_FILE: skopeo reads it."""
    host = ctx.basic.host
    xdg = os.path.join(ctx.tmp, "xdg")
    os.makedirs(xdg, mode=0o700)
    e = clean_env(ctx, {"XDG_RUNTIME_DIR": xdg})
    p = subprocess.run(["skopeo", "login", "--tls-verify=false", "-u",
                        "alice", "--password-stdin", host],
                       input=ctx.users["alice"], capture_output=True,
                       text=True, env=e, timeout=60)
    check(p.returncode == 0, f"skopeo login: {p.stderr.strip()}")
    check(os.path.exists(os.path.join(xdg, "containers", "auth.json")),
          "skopeo wrote no auth.json under XDG_RUNTIME_DIR")
    store = store_with_tags(ctx, "auth", f"{host}/a/g:v1")
    flags = ["--insecure-registries", host, "--store", store]
    p = runner(ctx, ["image", "push", f"{host}/a/g:v1"] + flags)
    check(p.returncode == 1 and "401" in p.stderr,
          f"push without credentials: {p.returncode} {p.stderr.strip()}")
    ok(runner(ctx, ["image", "push", f"{host}/a/g:v1"] + flags,
              {"XDG_RUNTIME_DIR": xdg}), "push with skopeo's auth.json")
    store2 = os.path.join(ctx.tmp, "auth2")
    ok(runner(ctx, ["image", "pull", f"{host}/a/g:v1", "--store", store2,
                    "--insecure-registries", host],
              {"XDG_RUNTIME_DIR": xdg}), "pull with skopeo's auth.json")
    out = ok(runner(ctx, ["image", "list", "-o", "json", "--store",
                          store2]), "list")
    eq([i["Digest"] for i in json.loads(out)], [ctx.digest], "pulled")

    authfile = os.path.join(ctx.tmp, "runner-auth.json")
    ok(runner(ctx, ["login", host, "-u", "alice", "--password-stdin",
                    "--insecure-registries", host],
              {"REGISTRY_AUTH_FILE": authfile},
              input=ctx.users["alice"] + "\n"), "runner login")
    p = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw",
                        f"docker://{host}/a/g:v1"], capture_output=True,
                       env=clean_env(ctx, {"REGISTRY_AUTH_FILE": authfile}),
                       timeout=60)
    check(p.returncode == 0, f"skopeo with the runner's auth file: "
          f"{p.stderr.decode().strip()[-300:]}")
    eq("sha256:" + hashlib.sha256(p.stdout).hexdigest(), ctx.digest,
       "digest skopeo got")


def stored_refs(store):
    with open(os.path.join(store, "index.json")) as f:
        return sorted(m.get("annotations", {}).get(
            "org.opencontainers.image.ref.name")
            for m in json.load(f)["manifests"])


@test
def store_of_old_runners__docker_hub_names_without_library(ctx):
    """Runners before 8817789 stored docker.io/busybox (and
    index.docker.io/busybox) under that name, where it is now
    docker.io/library/busybox: such a store keeps working (list, inspect,
    run, tag, remove by either spelling) and the first change writes the
    names in today's spelling."""
    store = os.path.join(ctx.tmp, "old-hub")
    ok(runner(ctx, ["image", "build",
                    os.path.join(ROOT, "examples", "snapshot_process"),
                    "-t", "localhost:1/x/snap:v1", "--store", store]),
       "build")
    index = os.path.join(store, "index.json")
    with open(index) as f:
        idx = json.load(f)
    entry = idx["manifests"][0]
    digest = entry["digest"]
    # as the old runner wrote it: one entry per tag, compact JSON
    old = [dict(entry, annotations={
        "org.opencontainers.image.ref.name": name})
        for name in ("docker.io/busybox:latest",
                     "index.docker.io/busybox:v2")]
    with open(index, "w") as f:
        json.dump(dict(idx, manifests=old), f, separators=(",", ":"))
    got = json.loads(ok(runner(ctx, ["image", "list", "-o", "json",
                                     "--store", store]), "list"))
    eq(sorted(e["reference"] for e in got),
       ["docker.io/library/busybox:latest", "docker.io/library/busybox:v2"],
       "listed")
    for ref in ("docker.io/busybox", "busybox:v2"):
        out = ok(runner(ctx, ["image", "inspect", ref, "--store", store],
                        {"RUNNER_REGISTRY_PREFIX": "docker.io"}),
                 f"inspect {ref}")
        eq(json.loads(out)["digest"], digest, f"digest of {ref}")
    out = ok(runner(ctx, ["run", "docker.io/busybox", "--pull", "never",
                          "-o", "json", "--store", store]), "run")
    pids = {json.loads(line)["proc"]["pid"] for line in out.splitlines()}
    check(os.getpid() in pids, f"this test's process not in: {out[:300]}")
    eq(stored_refs(store), ["docker.io/busybox:latest",
                            "index.docker.io/busybox:v2"],
       "reading changed nothing")
    ok(runner(ctx, ["image", "tag", "docker.io/busybox:v2",
                    "index.docker.io/busybox:v3", "--store", store]), "tag")
    eq(stored_refs(store), ["docker.io/library/busybox:latest",
                            "docker.io/library/busybox:v2",
                            "docker.io/library/busybox:v3"],
       "written in today's spelling")
    ok(runner(ctx, ["image", "remove", "docker.io/busybox:v2",
                    "--store", store]), "remove")
    ok(runner(ctx, ["image", "remove", "docker.io/library/busybox:v3",
                    "--store", store]), "remove")
    eq(stored_refs(store), ["docker.io/library/busybox:latest"], "left")
    out = ok(runner(ctx, ["image", "inspect", "docker.io/busybox",
                          "--store", store]), "inspect after the removes")
    eq(json.loads(out)["digest"], digest, "digest kept")


def user_ns(ctx, uid, home, script, extra=None):
    """Run script (sh, $R the runner) in a new mount namespace where
    /var/lib is an empty tmpfs and /etc/passwd has a user "rstore" of
    uid whose home is home (ig's user store is found there, not in
    $HOME)."""
    pw = os.path.join(ctx.tmp, "passwd")
    with open("/etc/passwd") as src, open(pw, "w") as dst:
        dst.write(src.read() + f"rstore:x:{uid}:{uid}::{home}:/bin/sh\n")
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c",
         f"mount -t tmpfs tmpfs /var/lib && mount --bind {pw} /etc/passwd"
         " || exit 99\n" + script],
        capture_output=True, text=True, timeout=300,
        env=clean_env(ctx, {"R": RUNNER, **(extra or {})}))


def tree_for_user(ctx):
    """The runner, the gadget API headers, vmlinux.h and gadget/trace_dns
    copied where any user can read them, laid out as in the repository
    (the checkout may be under a home only root enters, as /root): the
    runner and the gadget's folder."""
    top = os.path.join(ctx.tmp, "usertree")
    os.makedirs(os.path.join(top, "build", "include"))
    shutil.copy2(RUNNER, os.path.join(top, "build", "runner"))
    shutil.copy2(os.path.join(os.path.dirname(RUNNER), "include",
                              "vmlinux.h"),
                 os.path.join(top, "build", "include", "vmlinux.h"))
    for d in ("include", "trace_dns"):
        shutil.copytree(os.path.join(ROOT, "gadget", d),
                        os.path.join(top, "gadget", d))
    for d, dirs, files in os.walk(top):
        os.chmod(d, 0o755)
    return (os.path.join(top, "build", "runner"),
            os.path.join(top, "gadget", "trace_dns"))


def owned_tree(top):
    """(path, uid, size, mtime) of everything under top."""
    out = []
    for d, dirs, files in os.walk(top):
        for n in sorted(dirs + files):
            st = os.lstat(os.path.join(d, n))
            out.append((os.path.relpath(os.path.join(d, n), top),
                        st.st_uid, st.st_size, st.st_mtime_ns))
    return sorted(out)


@test
def user_store_for_users_and_oci_store_user_for_sudo(ctx):
    """As ig keeps a store per user (~/.ig/oci-store), a user who is not
    root builds into ~/.runner/oci-store (the home of /etc/passwd): that
    build failed, the default store (/var/lib/runner/oci-store) being
    root's.  As root under sudo, `run --oci-store-user` (ig's flag) runs
    from the store of sudo's user, as ig does: read only (--pull=never
    forced, a --pull of another policy refused), and what the user built
    is not trusted as built on this machine (the user's word); without
    sudo's $SUDO_USER it is refused."""
    uid = 64000 + os.getpid() % 1000
    os.chmod(ctx.tmp, 0o711)
    home = os.path.join(ctx.tmp, "rstore-home")
    os.makedirs(home)
    os.chown(home, uid, uid)
    store = os.path.join(home, ".runner", "oci-store")
    user = f"setpriv --reuid {uid} --regid {uid} --clear-groups"
    runner, gadget = tree_for_user(ctx)
    p = user_ns(ctx, uid, home, f"""
{user} $R image build {gadget} -t mine:v1 || exit 1
test ! -e /var/lib/runner || {{ echo "system store made" >&2; exit 1; }}
""", {"R": runner})
    out = ok(p, "build as a user")
    check(re.fullmatch(rf"Successfully built {DEFAULT_PREFIX}/mine:v1"
                       r"@sha256:[0-9a-f]{64}\n", out), out)
    check(os.path.exists(os.path.join(store, "index.json")),
          f"no store in {store}")
    tree = owned_tree(home)
    eq([t[0] for t in tree if t[1] != uid], [], "files not the user's")
    lst = json.loads(ok(user_ns(ctx, uid, home,
                                f"{user} $R image list -o json",
                                {"R": runner}),
                        "list as the user"))
    eq([e["reference"] for e in lst], [f"{DEFAULT_PREFIX}/mine:v1"],
       "the user's store listed")

    # root: its own store, where the image is not
    fails(user_ns(ctx, uid, home, "$R run mine:v1 --pull never"),
          "root without --oci-store-user",
          "not in store /var/lib/runner/oci-store")
    sudo = {"SUDO_USER": "rstore"}
    warn = "runner: warning: --oci-store-user is set: forcing --pull=\"never\""
    p = user_ns(ctx, uid, home, "$R run mine:v1 --oci-store-user "
                "--timeout 1 -o none", sudo)
    eq(p.returncode, 1, f"not trusted as built here: {p.stderr}")
    lines = p.stderr.splitlines()
    eq(lines[0], warn, "ig's warning")
    check("no public key to verify its signature" in lines[1], lines[1])
    p = user_ns(ctx, uid, home, "$R run mine:v1 --oci-store-user "
                "--timeout 1 -o none --verify-image=false", sudo)
    ok(p, "run from the user's store")
    lines = p.stderr.splitlines()
    eq(lines[0], warn, "ig's warning")
    check(lines[-1].startswith("mine: "), f"summary: {p.stderr!r}")
    ok(user_ns(ctx, uid, home, "$R run mine:v1 --oci-store-user "
               "--pull never --timeout 1 -o none --verify-image=false",
               sudo), "--pull never given")
    fails(user_ns(ctx, uid, home, "$R run mine:v1 --oci-store-user "
                  "--pull always", sudo), "--pull always",
          "--oci-store-user requires --pull=never: pulling as root would "
          "create root-owned files in the user's store", code=2)
    fails(user_ns(ctx, uid, home, "$R run mine:v1 --oci-store-user"),
          "without sudo", "--oci-store-user requires being run with sudo",
          code=2)
    fails(user_ns(ctx, uid, home, "$R run mine:v1 --oci-store-user "
                  "--store /nonexistent", sudo), "with --store",
          "--oci-store-user and --store exclude each other", code=2)
    eq(owned_tree(home), tree, "the user's store after root's runs")


if __name__ == "__main__":
    main(setup, teardown)
