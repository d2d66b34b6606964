#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Registry end to end: push, pull, auth, TLS, tokens, archives, faults.

Real docker-registry instances on 127.0.0.1 (anonymous, htpasswd, TLS with
a self-signed certificate, token auth with our token server), skopeo as the
independent client, and a misbehaving proxy for the fault paths.
"""
import base64
import hashlib
import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import sys
import tarfile
import io
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, ROOT, test, main, check, eq, Fail,  # noqa: E402
                     fails, ok, read_pty)
import registry_env as env  # noqa: E402

CONFIG_V1 = "name: trace dns\ndescription: trace DNS v1\n"
AMD64 = b"\x7fELF-amd64-program-" + bytes(range(256)) * 8
ARM64 = b"\x7fELF-arm64-program-" + bytes(range(256)) * 8


class Ctx:
    pass


def runner_env(ctx, store=None, env_extra=None):
    e = dict(os.environ)
    for k in ("REGISTRY_AUTH_FILE", "RUNNER_INSECURE_REGISTRIES",
              "RUNNER_REGISTRY_PREFIX", "DOCKER_CONFIG", "XDG_RUNTIME_DIR",
              "XDG_CONFIG_HOME"):
        e.pop(k, None)
    e["HOME"] = ctx.home
    e["RUNNER_STORE"] = store or ctx.store
    e["RUNNER_REGISTRY_TIMEOUT"] = "3"
    e["RUNNER_REGISTRY_RETRIES"] = "1"
    if env_extra:
        e.update(env_extra)
    return e


def runner(ctx, args, store=None, env_extra=None, input=None, timeout=120,
           prefix=()):
    e = runner_env(ctx, store, env_extra)
    return subprocess.run(list(prefix) + [RUNNER] + args,
                          capture_output=True, text=True, env=e, input=input,
                          timeout=timeout)


def fresh_store(ctx, name):
    d = os.path.join(ctx.tmp, "stores", name)
    shutil.rmtree(d, ignore_errors=True)
    return d


def insecure(*regs):
    return ["--insecure-registries", ",".join(r.host for r in regs)]


def import_fixture(ctx, store, ref, programs=None, config=CONFIG_V1):
    tar = os.path.join(ctx.tmp, f"fixture-{abs(hash((ref, store)))}.tar")
    digest = env.gadget_tar(tar, ref, config,
                            programs or {"amd64": AMD64, "arm64": ARM64})
    ok(runner(ctx, ["image", "import", tar], store=store), "import")
    return digest


def image_list(ctx, store):
    return json.loads(ok(runner(ctx, ["image", "list", "-o", "json"],
                                store=store), "list"))


def inspect(ctx, store, ref):
    return json.loads(ok(runner(ctx, ["image", "inspect", ref],
                                store=store), "inspect"))


def setup():
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="runner-registry-")
    ctx.regs = []
    ctx.tokens = None
    try:
        check(os.access(RUNNER, os.X_OK), f"{RUNNER} not built")
        ctx.home = os.path.join(ctx.tmp, "home")
        os.makedirs(ctx.home)
        ctx.store = os.path.join(ctx.tmp, "store")
        # _json_key: a password of many lines, as a cloud JSON key file
        ctx.users = {"alice": "s3cret-pw",
                     "_json_key": '{\n  "type": "service_account",\n'
                                  '  "private_key": "k"\n}'}
        ctx.anon = env.Registry(ctx.tmp, "anon")
        ctx.regs.append(ctx.anon)
        ctx.basic = env.Registry(ctx.tmp, "basic", htpasswd_users=ctx.users)
        ctx.regs.append(ctx.basic)
        ctx.tls = env.Registry(ctx.tmp, "tls", tls=True)
        ctx.regs.append(ctx.tls)
        ctx.users["reader"] = "read-only-pw"
        ctx.tokens = env.TokenServer(ctx.tmp, ctx.users,
                                     pull_only=["reader"],
                                     identity_tokens={"rt-alice": "alice"})
        ctx.token = env.Registry(ctx.tmp, "token", token=ctx.tokens)
        ctx.regs.append(ctx.token)
        ctx.src = os.path.join(ctx.tmp, "src-store")
        ctx.digest = import_fixture(ctx, ctx.src,
                                    f"{ctx.anon.host}/g/trace_dns:v1")
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    if not ctx:
        return
    for r in ctx.regs:
        r.stop()
    if ctx.tokens:
        ctx.tokens.stop()
    if not os.environ.get("KEEP_TMP"):
        shutil.rmtree(ctx.tmp, ignore_errors=True)


def push_fixture(ctx, reg, repo="g/trace_dns:v1", extra=None, env_extra=None):
    ref = f"{reg.host}/{repo}"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1", ref],
              store=ctx.src), "tag")
    ok(runner(ctx, ["image", "push", ref] + (extra or insecure(reg)),
              store=ctx.src, env_extra=env_extra), "push")
    return ref


# ---- anonymous registry ----

@test
def push_remove_pull__round_trip_keeps_digest(ctx):
    ref = push_fixture(ctx, ctx.anon)
    store = fresh_store(ctx, "rt")
    out = ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.anon),
                    store=store), "pull")
    eq(out.strip(), f"Successfully pulled {ref}@{ctx.digest}", "pull output")
    doc = inspect(ctx, store, ref)
    eq(doc["digest"], ctx.digest, "pulled digest")
    eq(doc["metadata"], CONFIG_V1, "metadata")
    ok(runner(ctx, ["image", "remove", ref], store=store), "remove")
    eq(image_list(ctx, store), [], "list after remove")
    eq(os.listdir(os.path.join(store, "blobs", "sha256")), [],
       "blobs after remove")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.anon), store=store),
       "pull again")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest again")


def stderr_on_a_terminal(ctx, args, store):
    """runner args with stderr alone on a pseudo-terminal: (exit status,
    stdout, what the terminal showed)."""
    primary, secondary = pty.openpty()
    p = subprocess.Popen([RUNNER] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=secondary,
                         env=runner_env(ctx, store))
    os.close(secondary)
    term = read_pty(primary).decode(errors="replace")
    out = p.stdout.read().decode()
    p.stdout.close()
    return p.wait(timeout=60), out, term


@test
def pull_push__ig_s_pulling_line_on_stderr_when_a_terminal(ctx):
    """ig's image pull and push say "Pulling IMAGE..." ("Pushing") first,
    on stderr (cobra's cmd.Printf, cmd/common/image/pull.go, push.go):
    the same here where stderr is a terminal; stdout keeps its one
    "Successfully" line, and a stderr that is no terminal gets nothing
    (one error line when it fails)."""
    name = f"{ctx.anon.host}/g/pulling:v1"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1",
                    name], store=ctx.src), "tag")
    rc, out, term = stderr_on_a_terminal(
        ctx, ["image", "push", name] + insecure(ctx.anon), ctx.src)
    eq(rc, 0, f"push: {term!r}")
    eq(out, f"Successfully pushed {name}@{ctx.digest}\n", "push's stdout")
    check(term.startswith(f"Pushing {name}...\r\n"), f"push: {term!r}")
    store = fresh_store(ctx, "tty-pull")
    rc, out, term = stderr_on_a_terminal(
        ctx, ["image", "pull", name] + insecure(ctx.anon), store)
    eq(rc, 0, f"pull: {term!r}")
    eq(out, f"Successfully pulled {name}@{ctx.digest}\n", "pull's stdout")
    check(term.startswith(f"Pulling {name}...\r\n"), f"pull: {term!r}")
    p = runner(ctx, ["image", "pull", name] + insecure(ctx.anon),
               store=fresh_store(ctx, "tty-pipe"))
    eq((ok(p, "pull to pipes"), p.stderr),
       (f"Successfully pulled {name}@{ctx.digest}\n", ""), "pipes")


@test
def push__skopeo_sees_gadget_media_types(ctx):
    ref = push_fixture(ctx, ctx.anon)
    raw = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--raw",
                          f"docker://{ref}"], capture_output=True, text=True,
                              timeout=300)
    check(raw.returncode == 0, f"skopeo: {raw.stderr}")
    idx = json.loads(raw.stdout)
    eq(idx["mediaType"], env.MT_INDEX, "index media type")
    archs = sorted(m["platform"]["architecture"] for m in idx["manifests"])
    eq(archs, ["amd64", "arm64"], "platforms")
    for m in idx["manifests"]:
        eq(m["platform"]["os"], "linux", "os")
        raw = subprocess.run(["skopeo", "inspect", "--tls-verify=false",
                              "--raw", f"docker://{ref.rsplit(':', 1)[0]}@"
                              f"{m['digest']}"],
                             capture_output=True, text=True, timeout=300)
        check(raw.returncode == 0, f"skopeo manifest: {raw.stderr}")
        man = json.loads(raw.stdout)
        eq(man["mediaType"], env.MT_MANIFEST, "manifest media type")
        eq(man["artifactType"], env.ARTIFACT, "artifactType")
        eq(man["config"]["mediaType"], env.MT_CONFIG, "config media type")
        eq([l["mediaType"] for l in man["layers"]], [env.MT_PROGRAM],
           "layer media types")


@test
def export__skopeo_copies_archive_and_we_pull_it(ctx):
    tar = os.path.join(ctx.tmp, "export.tar")
    src = f"{ctx.anon.host}/g/trace_dns:v1"
    ok(runner(ctx, ["image", "export", src, tar], store=ctx.src), "export")
    dst = f"{ctx.anon.host}/skopeo/trace_dns:v7"
    p = subprocess.run(["skopeo", "copy", "--all", "--dest-tls-verify=false",
                        f"oci-archive:{tar}:{src}", f"docker://{dst}"],
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"skopeo copy: {p.stderr}")
    store = fresh_store(ctx, "skopeo")
    ok(runner(ctx, ["image", "pull", dst] + insecure(ctx.anon), store=store),
       "pull")
    eq(inspect(ctx, store, dst)["digest"], ctx.digest, "digest")


@test
def import__skopeo_oci_archive_named_by_tag(ctx):
    ref = push_fixture(ctx, ctx.anon)
    tar = os.path.join(ctx.tmp, "skopeo-out.tar")
    if os.path.exists(tar):
        os.unlink(tar)
    p = subprocess.run(["skopeo", "copy", "--all", "--src-tls-verify=false",
                        f"docker://{ref}", f"oci-archive:{tar}:v1"],
                       capture_output=True, text=True, timeout=300)
    check(p.returncode == 0, f"skopeo copy: {p.stderr}")
    store = fresh_store(ctx, "skopeo-import")
    fails(runner(ctx, ["image", "import", tar], store=store), "import",
          "not a full reference", "--tag")
    out = ok(runner(ctx, ["image", "import", tar, "-t", "mine:v1"],
                    store=store), "import -t")
    check("ghcr.io/inspektor-gadget/gadget/mine:v1" in out, out)
    eq(inspect(ctx, store, "mine:v1")["digest"], ctx.digest, "digest")


@test
def push__chunked_upload_round_trip(ctx):
    big = {"amd64": os.urandom(50_000), "arm64": os.urandom(30_000)}
    src = fresh_store(ctx, "chunk-src")
    ref = f"{ctx.anon.host}/g/big:v1"
    digest = import_fixture(ctx, src, ref, programs=big)
    ok(runner(ctx, ["image", "push", ref] + insecure(ctx.anon), store=src,
              env_extra={"RUNNER_PUSH_CHUNK_SIZE": "8192"}), "chunked push")
    store = fresh_store(ctx, "chunk-dst")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.anon), store=store),
       "pull")
    eq(inspect(ctx, store, ref)["digest"], digest, "digest")
    blob = "sha256:" + __import__("hashlib").sha256(big["amd64"]).hexdigest()
    with open(os.path.join(store, "blobs", "sha256", blob[7:]), "rb") as f:
        check(f.read() == big["amd64"], "program bytes differ")


def blob_uploads(reg, repo):
    """The requests reg's access log holds that upload or mount a blob
    into repo: (method, path, status)."""
    return [r for r in reg.requests()
            if r[1].startswith(f"/v2/{repo}/blobs/uploads/")]


def pulled_digest(ctx, reg, ref, name):
    """The digest of ref pulled from reg into a new store, name."""
    store = fresh_store(ctx, name)
    ok(runner(ctx, ["image", "pull", ref] + insecure(reg), store=store),
       f"pull {ref}")
    return inspect(ctx, store, ref)["digest"]


@test
def push__blobs_in_another_repository_are_mounted_not_uploaded(ctx):
    """An image the store also names in another repository of the same
    registry (pulled or pushed there): the push asks the registry to mount
    each blob from there (POST ...?mount=&from=, answered 201), as docker
    does, and sends no blob bytes (no PATCH or PUT of an upload); a repo
    the registry lacks the blobs in answers 202 and they are uploaded."""
    reg = env.Registry(ctx.tmp, "mount", accesslog=True)
    try:
        store = fresh_store(ctx, "mount")
        a, b = f"{reg.host}/g/a:v1", f"{reg.host}/g/b:v1"
        digest = import_fixture(ctx, store, a)
        ok(runner(ctx, ["image", "push", a] + insecure(reg), store=store),
           "push a")
        ups = blob_uploads(reg, "g/a")
        check(any(m == "PUT" for m, _, _ in ups), f"a not uploaded: {ups}")
        ok(runner(ctx, ["image", "tag", a, b], store=store), "tag")
        ok(runner(ctx, ["image", "push", b] + insecure(reg), store=store),
           "push b")
        ups = blob_uploads(reg, "g/b")
        check(ups, "no blob went to g/b")
        for m, path, status in ups:
            check(m == "POST" and "mount=sha256:" in path and
                  "from=g/a" in path and status == 201,
                  f"not a mount answered 201: {m} {path} {status}")
        eq(pulled_digest(ctx, reg, b, "mount-pulled"), digest, "digest of b")
        # the store names it in g/never, which the registry never had
        store = fresh_store(ctx, "mount-fallback")
        never, c = f"{reg.host}/g/never:v1", f"{reg.host}/g/c:v1"
        import_fixture(ctx, store, never)
        ok(runner(ctx, ["image", "tag", never, c], store=store), "tag")
        ok(runner(ctx, ["image", "push", c] + insecure(reg), store=store),
           "push c")
        ups = blob_uploads(reg, "g/c")
        posts = [r for r in ups if r[0] == "POST"]
        check(posts and all("from=g/never" in p and st == 202
                            for _, p, st in posts),
              f"mounts from g/never not answered 202: {posts}")
        eq(sum(m == "PUT" for m, _, _ in ups), len(posts),
           f"uploads after the 202s: {ups}")
        eq(pulled_digest(ctx, reg, c, "mount-fallback-pulled"), digest,
           "digest of c")
    finally:
        reg.stop()


@test
def push__a_layer_shared_with_another_image_is_mounted_from_its_repo(ctx):
    """y is another image than x (its own config) with x's two programs:
    pushed after x went to g/x, each program is mounted from g/x (POST
    ?mount=&from=g/x, answered 201), as docker mounts a layer from where
    it pushed or pulled it, and only y's config is uploaded."""
    reg = env.Registry(ctx.tmp, "mount-shared", accesslog=True)
    try:
        store = fresh_store(ctx, "mount-shared")
        x, y = f"{reg.host}/g/x:v1", f"{reg.host}/g/y:v1"
        import_fixture(ctx, store, x)
        digest = import_fixture(ctx, store, y,
                                config="name: y\ndescription: not x\n")
        for ref in (x, y):
            ok(runner(ctx, ["image", "push", ref] + insecure(reg),
                      store=store), f"push {ref}")
        ups = blob_uploads(reg, "g/y")
        mounts = sorted(re.search(r"mount=(sha256:[0-9a-f]{64})", p)[1]
                        for m, p, st in ups
                        if m == "POST" and "from=g/x" in p and st == 201)
        eq(mounts, sorted("sha256:" + hashlib.sha256(b).hexdigest()
                          for b in (AMD64, ARM64)),
           f"blobs mounted from g/x: {ups}")
        eq(sum(m == "PUT" for m, _, _ in ups), 1, f"uploads: {ups}")
        eq(pulled_digest(ctx, reg, y, "mount-shared-pulled"), digest,
           "digest of y")
    finally:
        reg.stop()


@test
def concurrent_pulls__both_succeed(ctx):
    ref = push_fixture(ctx, ctx.anon, "g/conc:v1")
    ref2 = push_fixture(ctx, ctx.anon, "g/conc:v2")
    store = fresh_store(ctx, "conc")
    procs = []
    for r in (ref, ref2, ref, ref2):
        e = dict(os.environ, RUNNER_STORE=store, HOME=ctx.home)
        procs.append(subprocess.Popen(
            [RUNNER, "image", "pull", r] + insecure(ctx.anon), env=e,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in procs:
        out, err = p.communicate(timeout=60)
        check(p.returncode == 0, f"concurrent pull: {err}")
    refs = sorted(e["reference"] for e in image_list(ctx, store))
    eq(refs, sorted([ref, ref2]), "refs")


@test
def pull_keeps_the_stored_blobs_a_remove_deletes_meanwhile(ctx):
    """v2 is v1's content under another tag: a pull of v2 into a store
    holding v1 keeps v1's blobs rather than fetching them.  Held by strace
    at its commit's lock, it sees v1 removed and those blobs deleted; it
    must still store the whole image, not fail with "vanished"."""
    v1 = push_fixture(ctx, ctx.anon, "g/keep:v1")
    v2 = push_fixture(ctx, ctx.anon, "g/keep:v2")
    store = fresh_store(ctx, "keep")
    ok(runner(ctx, ["image", "pull", v1] + insecure(ctx.anon), store=store),
       "pull v1")
    pull = env.HeldAtCommit([RUNNER, "image", "pull", v2] +
                            insecure(ctx.anon), store,
                            runner_env(ctx, store))
    try:
        ok(runner(ctx, ["image", "remove", v1], store=store), "remove v1")
    finally:
        rc, err = pull.release()
    eq(rc, 0, f"pull of v2 ({err.strip()})")
    eq([e["reference"] for e in image_list(ctx, store)], [v2], "images")
    eq(os.listdir(os.path.join(store, "ingest")), [], "ingest leftovers")
    # every blob there and whole: the registry checks each one pushed
    ok(runner(ctx, ["image", "push", v2, f"{ctx.anon.host}/g/keep-copy:v1"] +
              insecure(ctx.anon), store=store), "push of what was pulled")


@test
def push_racing_a_remove_says_the_image_was_removed(ctx):
    """A push held by strace at its first connect to the registry (the
    image's index and manifest read, its blobs not yet) while the image
    is removed: one line that says so, not "image is incomplete"."""
    ref = f"{ctx.anon.host}/g/push-race:v1"
    store = fresh_store(ctx, "push-race")
    import_fixture(ctx, store, ref)
    push = env.HeldAtCommit([RUNNER, "image", "push", ref] +
                            insecure(ctx.anon), store,
                            runner_env(ctx, store), at=1, staged=False,
                            syscall="connect")
    try:
        ok(runner(ctx, ["image", "remove", ref], store=store), "remove")
    finally:
        rc, err = push.release()
    eq(rc, 1, f"push exit status ({err.strip()})")
    eq(err.strip(), f"runner: push {ref}: {ref} was removed from the store "
       "meanwhile", "push error")


# ---- basic auth (htpasswd) ----

@test
def basic_auth__no_credentials__401(ctx):
    store = fresh_store(ctx, "basic-none")
    before = env.store_snapshot(ctx.src)
    ref = f"{ctx.basic.host}/g/trace_dns:v1"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1", ref],
              store=ctx.src), "tag")
    fails(runner(ctx, ["image", "push", ref] + insecure(ctx.basic),
                 store=ctx.src), "push", "401 Unauthorized",
          "authentication required")
    fails(runner(ctx, ["image", "pull", ref] + insecure(ctx.basic),
                 store=store), "pull", "401 Unauthorized")
    ok(runner(ctx, ["image", "remove", ref], store=ctx.src), "untag")
    eq(env.store_snapshot(ctx.src), before, "source store")


@test
def basic_auth__login_to_127_0_0_1__push_to_localhost_names_both(ctx):
    """Credentials go by the name a reference gives the registry (as in
    docker and podman): logged in to 127.0.0.1:PORT, a push to
    localhost:PORT has none, and the 401 says for which name they are."""
    authfile = os.path.join(ctx.tmp, "loopback-auth.json")
    ok(runner(ctx, ["login", ctx.basic.host, "-u", "alice",
                    "--password-stdin", "--authfile", authfile]
              + insecure(ctx.basic), input=ctx.users["alice"]), "login")
    local = ctx.basic.host.replace("127.0.0.1", "localhost")
    ref = f"{local}/g/loopback:v1"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1", ref],
              store=ctx.src), "tag")
    try:
        fails(runner(ctx, ["image", "push", ref, "--authfile", authfile,
                           "--insecure-registries", local], store=ctx.src),
              "push", "401 Unauthorized: authentication required (no "
              f"credentials for {local}, only for {ctx.basic.host}: see "
              f"runner login {local})")
    finally:
        ok(runner(ctx, ["image", "remove", ref], store=ctx.src), "untag")


@test
def basic_auth__wrong_password__clear_error_no_file(ctx):
    authfile = os.path.join(ctx.tmp, "wrong-auth.json")
    p = runner(ctx, ["login", ctx.basic.host, "-u", "alice",
                     "--password-stdin", "--authfile", authfile]
               + insecure(ctx.basic), input="not-the-password\n")
    err = fails(p, "login", "401 Unauthorized", "credentials rejected")
    check("not-the-password" not in err, "password printed")
    check(not os.path.exists(authfile), "auth file written on failure")


@test
def basic_auth__login_push_pull_logout(ctx):
    authfile = os.path.join(ctx.tmp, "auth.json")
    p = runner(ctx, ["login", ctx.basic.host, "-u", "alice",
                     "--password-stdin", "--authfile", authfile]
               + insecure(ctx.basic), input=ctx.users["alice"] + "\n")
    out = ok(p, "login")
    eq(out, "Login Succeeded\n", "login's stdout (ig's line)")
    check("s3cret" not in out + p.stderr, "password printed")
    eq(stat.S_IMODE(os.stat(authfile).st_mode), 0o600, "auth file mode")
    with open(authfile) as f:
        text = f.read()
    check("s3cret" not in text, "plain password in auth file")
    check(ctx.basic.host in json.load(open(authfile))["auths"], "entry")
    ref = push_fixture(ctx, ctx.basic,
                       extra=insecure(ctx.basic) + ["--authfile", authfile])
    store = fresh_store(ctx, "basic")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.basic),
              store=store, env_extra={"REGISTRY_AUTH_FILE": authfile}),
       "pull with REGISTRY_AUTH_FILE")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")
    eq(ok(runner(ctx, ["logout", ctx.basic.host, "--authfile", authfile]),
          "logout"), "Logout Succeeded\n", "logout's stdout (ig's line)")
    check(ctx.basic.host not in json.load(open(authfile))["auths"],
          "entry kept after logout")
    fails(runner(ctx, ["logout", ctx.basic.host, "--authfile", authfile]),
          "logout twice", "not logged in")
    store2 = fresh_store(ctx, "basic2")
    fails(runner(ctx, ["image", "pull", ref, "--authfile", authfile]
                 + insecure(ctx.basic), store=store2),
          "pull after logout", "401")


def auth_file_opens(ctx, name, args, user, password, store):
    """Run args (with --authfile, a file holding user:password for the
    basic registry) under strace; the process and how many times the auth
    file was opened."""
    authfile = os.path.join(ctx.tmp, f"{name}-auth.json")
    pair = base64.b64encode(f"{user}:{password}".encode()).decode()
    with open(authfile, "w") as f:
        json.dump({"auths": {ctx.basic.host: {"auth": pair}}}, f)
    trace = os.path.join(ctx.tmp, f"{name}.strace")
    p = runner(ctx, args + ["--authfile", authfile] + insecure(ctx.basic),
               store=store, prefix=["strace", "-f", "-qq", "-e",
                                    "trace=openat", "-o", trace])
    with open(trace) as f:
        return p, sum(f'"{authfile}"' in line and "ENOENT" not in line
                      for line in f)


@test
def basic_auth__auth_file_read_once_per_command__wrong_password_rejected(ctx):
    """A push and a pull with Basic auth (many requests each: blobs,
    manifests, signature tags) read the auth file once, not once per
    request; a wrong password is still sent again after the 401 and
    rejected as before."""
    alice = ctx.users["alice"]
    src = f"{ctx.anon.host}/g/trace_dns:v1"
    ref = f"{ctx.basic.host}/g/once:v1"
    ok(runner(ctx, ["image", "tag", src, ref], store=ctx.src), "tag")
    p, n = auth_file_opens(ctx, "push-once", ["image", "push", ref], "alice",
                           alice, ctx.src)
    ok(p, "push")
    eq(n, 1, "auth file opens of a push")
    store = fresh_store(ctx, "basic-once")
    p, n = auth_file_opens(ctx, "pull-once", ["image", "pull", ref], "alice",
                           alice, store)
    ok(p, "pull")
    eq(n, 1, "auth file opens of a pull")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")
    p, n = auth_file_opens(ctx, "pull-wrong", ["image", "pull", ref],
                           "alice", "not-her-password",
                           fresh_store(ctx, "basic-wrong"))
    fails(p, "pull with a wrong password", "401 Unauthorized",
          "credentials rejected")
    eq(n, 1, "auth file opens of a refused pull")
    ok(runner(ctx, ["image", "remove", ref], store=ctx.src), "untag")


@test
def login__whole_stdin_is_the_password_and_password_flag(ctx):
    """--password-stdin took the first line only: a JSON key file (docker
    login -u _json_key --password-stdin < key.json, and so ig) was
    refused; ig's and docker's -p/--password was an unknown flag."""
    key = ctx.users["_json_key"]
    authfile = os.path.join(ctx.tmp, "json-key-auth.json")
    ok(runner(ctx, ["login", ctx.basic.host, "-u", "_json_key",
                    "--password-stdin", "--authfile", authfile]
              + insecure(ctx.basic), input=key + "\n"), "login with a key")
    store = fresh_store(ctx, "json-key")
    ref = push_fixture(ctx, ctx.basic, "g/json-key:v1",
                       extra=insecure(ctx.basic) + ["--authfile", authfile])
    ok(runner(ctx, ["image", "pull", ref, "--authfile", authfile]
              + insecure(ctx.basic), store=store), "pull with the key")
    authfile = os.path.join(ctx.tmp, "password-flag-auth.json")
    p = runner(ctx, ["login", ctx.basic.host, "-u", "alice", "-p",
                     ctx.users["alice"], "--authfile", authfile]
               + insecure(ctx.basic), input="")
    ok(p, "login -p")
    check("warning: a password given with --password shows in the process "
          "list: use --password-stdin" in p.stderr, p.stderr)
    check(ctx.users["alice"] not in p.stdout + p.stderr, "password shown")
    ok(runner(ctx, ["image", "pull", ref, "--authfile", authfile]
              + insecure(ctx.basic), store=fresh_store(ctx, "pw-flag")),
       "pull after login -p")
    fails(runner(ctx, ["login", ctx.basic.host, "-u", "alice", "-p", "x",
                       "--password-stdin"], input="y"), "both",
          "--password and --password-stdin exclude each other", code=2)
    fails(runner(ctx, ["login", ctx.basic.host, "-u", "alice",
                       "--password-stdin"], input="x" * (100 * 1024 + 1)),
          "too long", "password too long (more than 102400 bytes)", code=2)


def hint_names_plain_http(p, what):
    """A login refused by a plain HTTP registry (TLS handshake failed)
    names login's own flag, --plain-http, as ig's has it
    (cmd/common/auth/auth.go); it named --insecure-registries, pull's
    and push's, until December 2026.  The error line."""
    err = fails(p, what, "(plain HTTP? see --plain-http)")
    check("--insecure-registries" not in err, f"{what}: {err}")
    return err


def login_as_alice(ctx, authfile, reg, *flags):
    return runner(ctx, ["login", reg.host, "-u", "alice", "--password-stdin",
                        "--authfile", authfile] + list(flags),
                  input=ctx.users["alice"])


@test
def login__ig_plain_http_and_tls_verify_flags(ctx):
    """ig login's --plain-http and --tls-verify=false (a local registry,
    one with a self-signed certificate) were unknown flags: --plain-http
    reaches the plain HTTP one, --tls-verify=false the self-signed one;
    without them the same login is refused."""
    authfile = os.path.join(ctx.tmp, "ig-flags-auth.json")

    def login(reg, *flags):
        return login_as_alice(ctx, authfile, reg, *flags)

    for flags in ((), ("--plain-http=false",)):
        hint_names_plain_http(login(ctx.basic, *flags),
                              f"plain HTTP with {flags or 'no flag'}")
    check(not os.path.exists(authfile), "auth file written on failure")
    eq(ok(login(ctx.basic, "--plain-http"), "--plain-http"),
       "Login Succeeded\n", "login's stdout")
    check(ctx.basic.host in json.load(open(authfile))["auths"], "entry")
    fails(login(ctx.tls), "self-signed without --tls-verify=false")
    fails(login(ctx.tls, "--tls-verify"), "--tls-verify (true)")
    fails(login(ctx.tls, "--tls-verify=true"), "--tls-verify=true")
    eq(ok(login(ctx.tls, "--tls-verify=false"), "--tls-verify=false"),
       "Login Succeeded\n", "login's stdout")
    check(ctx.tls.host in json.load(open(authfile))["auths"], "entry")
    # Go's bool spellings, as pflag takes them; anything else is refused
    ok(login(ctx.tls, "--tls-verify=F"), "--tls-verify=F")
    fails(login(ctx.tls, "--tls-verify=no"), "--tls-verify=no",
          "login: invalid --tls-verify 'no': want true or false", code=2)
    fails(login(ctx.basic, "--plain-http=maybe"), "--plain-http=maybe",
          "login: invalid --plain-http 'maybe'", code=2)


@test
def login__plain_http_never_tries_https(ctx):
    """As ig's login (cmd/common/auth/auth.go, checkAuth(): oras'
    PlainHTTP), --plain-http asks the registry over plain HTTP only: a
    TLS registry answers that with 400, whatever --tls-verify says.
    Until December 2026 it was --insecure-registries REGISTRY, which
    tried HTTPS (unchecked) first: these logins succeeded."""
    authfile = os.path.join(ctx.tmp, "plain-http-only-auth.json")
    for flags in (["--plain-http"], ["--plain-http", "--tls-verify=false"]):
        err = fails(login_as_alice(ctx, authfile, ctx.tls, *flags),
                    f"{flags} to HTTPS",
                    f"login over plain HTTP to {ctx.tls.host}: "
                    "400 Bad Request")
        check("https://" not in err, f"HTTPS tried: {err}")
    check(not os.path.exists(authfile), "auth file written on failure")
    ok(login_as_alice(ctx, authfile, ctx.basic, "--plain-http",
                      "--tls-verify=false"), "both flags, plain HTTP")


@test
def login__tls_verify_false_never_falls_back_to_plain_http(ctx):
    """As ig's login (checkAuth(): an http.Transport with
    InsecureSkipVerify, PlainHTTP false), --tls-verify=false asks the
    registry over HTTPS with its certificate unchecked, and a registry
    that speaks plain HTTP fails the TLS handshake.  Until December 2026
    it was --insecure-registries REGISTRY, which fell back to plain
    HTTP: this login succeeded.  A registry --insecure-registries lists
    still gets the fallback."""
    authfile = os.path.join(ctx.tmp, "tls-verify-only-auth.json")
    err = hint_names_plain_http(
        login_as_alice(ctx, authfile, ctx.basic, "--tls-verify=false"),
        "--tls-verify=false to plain HTTP")
    check(f"GET https://{ctx.basic.host}/v2/" in err, err)
    check("http://" not in err, f"plain HTTP tried: {err}")
    check(not os.path.exists(authfile), "auth file written on failure")
    ok(login_as_alice(ctx, authfile, ctx.basic, "--tls-verify=false",
                      "--insecure-registries", ctx.basic.host),
       "--tls-verify=false with --insecure-registries")


@test
def logout__all_empties_the_file_and_keeps_its_other_settings(ctx):
    """ig logout --all (and podman's): an unknown flag here."""
    authfile = os.path.join(ctx.tmp, "all-auth.json")
    with open(authfile, "w") as f:
        json.dump({"auths": {}, "currentContext": "default"}, f)
    for reg in (ctx.basic, ctx.token):
        ok(runner(ctx, ["login", reg.host, "-u", "alice", "--password-stdin",
                        "--authfile", authfile] + insecure(reg),
                  input=ctx.users["alice"]), f"login {reg.host}")
    eq(sorted(json.load(open(authfile))["auths"]),
       sorted([ctx.basic.host, ctx.token.host]), "entries")
    out = ok(runner(ctx, ["logout", "--all", "--authfile", authfile]),
             "logout --all")
    eq(out, "Logout Succeeded\n", "stdout (ig's)")
    eq(json.load(open(authfile)),
       {"auths": {}, "currentContext": "default"}, "the file")
    eq(stat.S_IMODE(os.stat(authfile).st_mode), 0o600, "auth file mode")
    fails(runner(ctx, ["image", "pull", f"{ctx.basic.host}/g/x:v1",
                       "--authfile", authfile] + insecure(ctx.basic),
                 store=fresh_store(ctx, "all")), "pull", "401")
    fails(runner(ctx, ["logout", "-a", ctx.basic.host]), "-a REGISTRY",
          "want one REGISTRY, or --all", code=2)
    fails(runner(ctx, ["logout"]), "no REGISTRY",
          "want one REGISTRY, or --all", code=2)


@test
def logout__all_without_a_file__claims_nothing_removed(ctx):
    """No credentials file: `ig logout --all` prints its "Logout
    Succeeded" (it claims nothing removed); so does the runner, and it
    makes no file."""
    authfile = os.path.join(ctx.tmp, "none", "auth.json")
    out = ok(runner(ctx, ["logout", "--all", "--authfile", authfile]),
             "logout --all, no file")
    eq(out, "Logout Succeeded\n", "stdout (ig's)")
    check(not os.path.exists(os.path.dirname(authfile)),
          f"{authfile}'s folder made")


@test
def login_logout__at_once__every_change_kept(ctx):
    """Many logins and logouts of one auth file at the same time: each
    reads the file, changes its entry and renames a new file over it; the
    file's lock keeps one from writing back what it read before another's
    change (the other's entry lost, or a logged-out one back)."""
    regs = [ctx.basic] + [env.Registry(ctx.tmp, f"many-{i}",
                                       htpasswd_users=ctx.users)
                          for i in range(6)]
    ctx.regs += regs[1:]
    try:
        authfile = os.path.join(ctx.tmp, "many", "auth.json")
        os.makedirs(os.path.dirname(authfile))
        # the same registries under two names: two entries each
        names = [f"{h}:{r.port}" for r in regs
                 for h in ("127.0.0.1", "localhost")]
        stale = [f"gone-{i}.example:5000" for i in range(6)]
        with open(authfile, "w") as f:
            json.dump({"auths": {s: {"auth": "eDp5"} for s in stale}}, f)
        e = dict(os.environ, HOME=ctx.home, RUNNER_REGISTRY_TIMEOUT="10")
        e.pop("REGISTRY_AUTH_FILE", None)
        procs = [subprocess.Popen(
            [RUNNER, "login", n, "-u", "alice", "--password-stdin",
             "--authfile", authfile, "--insecure-registries",
             ",".join(names)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=e) for n in names]
        procs += [subprocess.Popen(
            [RUNNER, "logout", s, "--authfile", authfile],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=e) for s in stale]
        for p in procs[:len(names)]:
            p.stdin.write(ctx.users["alice"])
            p.stdin.close()
            p.stdin = None
        for p in procs:
            out, err = p.communicate(timeout=120)
            check(p.returncode == 0,
                  f"{p.args[1]} {p.args[2]}: exit {p.returncode}: {err}")
        eq(sorted(json.load(open(authfile))["auths"]), sorted(names),
           "entries after the logins and logouts")
        eq(stat.S_IMODE(os.stat(authfile + ".lock").st_mode), 0o600,
           "lock file mode")
    finally:
        for r in regs[1:]:
            r.stop()
            ctx.regs.remove(r)


@test
def basic_auth__docker_config_json_is_read(ctx):
    import base64
    home = os.path.join(ctx.tmp, "home-docker")
    os.makedirs(os.path.join(home, ".docker"), exist_ok=True)
    auth = base64.b64encode(b"alice:" + ctx.users["alice"].encode()).decode()
    with open(os.path.join(home, ".docker", "config.json"), "w") as f:
        json.dump({"auths": {f"https://{ctx.basic.host}": {"auth": auth}}}, f)
    ref = push_fixture(ctx, ctx.basic, "g/docker-cfg:v1",
                       env_extra={"HOME": home})
    store = fresh_store(ctx, "docker-cfg")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.basic), store=store,
              env_extra={"HOME": home}), "pull")


def with_own_var_lib(ctx, script, **env_extra):
    """Run script (sh -e) in a mount namespace of its own, with a tmpfs
    over /var/lib and an empty /var/lib/ig in it: ig's auth file is
    /var/lib/ig/config.json, and the machine's is never touched.  Returns
    the finished process; the script echoes a marker per step."""
    e = dict(os.environ)
    for k in ("REGISTRY_AUTH_FILE", "RUNNER_INSECURE_REGISTRIES",
              "DOCKER_CONFIG", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        e.pop(k, None)
    e.update(HOME=ctx.home, R=RUNNER, RUNNER_REGISTRY_TIMEOUT="3",
             RUNNER_REGISTRY_RETRIES="1")
    e.update(env_extra)
    return subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
         "mount -t tmpfs -o size=4m,mode=0755 tmpfs /var/lib\n"
         "mkdir -m 0700 /var/lib/ig\n" + script],
        env=e, capture_output=True, text=True, timeout=300)


@test
def ig_auth_file__podman_login_there__push_pull_logout_login(ctx):
    """ig login writes /var/lib/ig/config.json, and ig run reads it first
    (docker's config.json when it is missing): podman login to that file
    let the runner push and pull without logging in again (it read
    containers' and docker's files only); runner logout removes the entry
    there, and root's runner login writes it, where ig (here skopeo, with
    the same file) finds it."""
    host = ctx.basic.host
    ref = f"{host}/g/ig-auth:v1"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1", ref],
              store=ctx.src), "tag")
    p = with_own_var_lib(ctx, """
IG=/var/lib/ig/config.json
printf %s "$PW" | podman login --tls-verify=false --authfile $IG \
    -u alice --password-stdin "$H" >/dev/null
echo STEP:podman-login
"$R" image push "$REF" --insecure-registries "$H" --store "$SRC"
echo STEP:push
"$R" image pull "$REF" --insecure-registries "$H" --store "$DST/1"
echo STEP:pull
"$R" logout "$H"
if grep -q "$H" $IG; then exit 9; fi
echo STEP:logout
if "$R" image pull "$REF" --insecure-registries "$H" --store "$DST/2" \
    2>/dev/null; then exit 9; fi
echo STEP:pull-after-logout-fails
printf %s "$PW" | "$R" login "$H" -u alice --password-stdin \
    --insecure-registries "$H"
echo STEP:runner-login
echo STEP:mode-$(stat -c %a $IG)
skopeo inspect --raw --tls-verify=false --authfile $IG "docker://$REF" \
    >/dev/null
echo STEP:skopeo-reads-it
""", PW=ctx.users["alice"], H=host, REF=ref, SRC=ctx.src,
        DST=os.path.join(ctx.tmp, "stores", "ig-auth"))
    steps = [w[5:] for w in p.stdout.split() if w.startswith("STEP:")]
    eq(steps, ["podman-login", "push", "pull", "logout",
               "pull-after-logout-fails", "runner-login", "mode-600",
               "skopeo-reads-it"], f"steps ({p.stderr.strip()[-400:]})")
    check(ctx.users["alice"] not in p.stdout + p.stderr, "password shown")


@test
def ig_auth_file__named_but_missing__docker_config_read(ctx):
    """ig run --authfile /var/lib/ig/config.json (its default, spelled out)
    reads docker's config.json when that file is missing; here it was a
    usage error (no such file)."""
    import base64
    home = os.path.join(ctx.tmp, "home-ig-missing")
    os.makedirs(os.path.join(home, ".docker"), exist_ok=True)
    auth = base64.b64encode(b"alice:" + ctx.users["alice"].encode()).decode()
    with open(os.path.join(home, ".docker", "config.json"), "w") as f:
        json.dump({"auths": {ctx.basic.host: {"auth": auth}}}, f)
    ref = push_fixture(ctx, ctx.basic, "g/ig-missing:v1",
                       env_extra={"HOME": home})
    p = with_own_var_lib(ctx, """
"$R" image pull "$REF" --authfile /var/lib/ig/config.json \
    --insecure-registries "$H" --store "$DST"
echo STEP:pull
if "$R" image pull "$REF" --authfile /var/lib/ig/other.json \
    --store "$DST" 2>"$DST.err"; then exit 9; fi
echo STEP:other-missing-refused
""", HOME=home, H=ctx.basic.host, REF=ref,
        DST=os.path.join(ctx.tmp, "stores", "ig-missing"))
    steps = [w[5:] for w in p.stdout.split() if w.startswith("STEP:")]
    eq(steps, ["pull", "other-missing-refused"],
       f"steps ({p.stderr.strip()[-400:]})")


@test
def credential_helpers__named_when_they_hold_what_is_missing(ctx):
    """docker login with a credsStore leaves an empty entry, and
    credHelpers name a helper per registry: the runner runs no helper,
    and its 401 said "no credentials for this registry"."""
    host = ctx.basic.host
    ref = f"{host}/g/trace_dns:v1"
    for name, cfg, needle in (
            ("store", {"auths": {host: {}}, "credsStore": "desktop"},
             "docker-credential-desktop (credsStore in "),
            ("helpers", {"credHelpers": {host: "pass"}},
             "docker-credential-pass (credHelpers in ")):
        home = os.path.join(ctx.tmp, f"home-{name}")
        os.makedirs(os.path.join(home, ".docker"), exist_ok=True)
        path = os.path.join(home, ".docker", "config.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        err = fails(runner(ctx, ["image", "pull", ref] + insecure(ctx.basic),
                           store=fresh_store(ctx, "helper"),
                           env_extra={"HOME": home}),
                    f"pull ({name})", "401 Unauthorized", needle + path,
                    f"runner login {host} stores them")
        eq(len(err.strip().splitlines()), 1, f"one line: {err!r}")


@test
def logout__credentials_in_another_file_it_reads_are_named(ctx):
    """As root, runner login writes ig's file: a logout of credentials
    that an older login (or podman) put in $XDG_RUNTIME_DIR's auth.json
    says where they are and how to remove them."""
    host = ctx.basic.host
    xdg = os.path.join(ctx.tmp, "xdg-logout")
    os.makedirs(xdg, mode=0o700, exist_ok=True)
    p = with_own_var_lib(ctx, """
printf %s "$PW" | "$R" login "$H" -u alice --password-stdin \
    --insecure-registries "$H" --authfile "$XDG/containers/auth.json" \
    >/dev/null
echo STEP:login
if "$R" logout "$H" 2>"$XDG/err"; then exit 9; fi
echo STEP:logout-refused
"$R" logout "$H" --authfile "$XDG/containers/auth.json" >/dev/null
echo STEP:logout-there
""", PW=ctx.users["alice"], H=host, XDG=xdg, XDG_RUNTIME_DIR=xdg)
    steps = [w[5:] for w in p.stdout.split() if w.startswith("STEP:")]
    eq(steps, ["login", "logout-refused", "logout-there"],
       f"steps ({p.stderr.strip()[-400:]})")
    f = os.path.join(xdg, "containers", "auth.json")
    with open(os.path.join(xdg, "err")) as fh:
        err = fh.read()
    check(f"not logged in to {host}" in err and
          f"runner reads credentials for it from {f}: runner logout {host} "
          f"--authfile {f} removes them" in err, err)


# ---- TLS ----

@test
def tls__self_signed_rejected_then_trusted_with_cert_dir(ctx):
    src = fresh_store(ctx, "tls-src")
    ref = f"{ctx.tls.host}/g/tls:v1"
    import_fixture(ctx, src, ref)
    fails(runner(ctx, ["image", "push", ref], store=src), "untrusted push",
          "certificate")
    certs = ctx.tls.cert_dir(ctx.tmp)
    ok(runner(ctx, ["image", "push", ref, "--cert-dir", certs], store=src),
       "push with --cert-dir")
    store = fresh_store(ctx, "tls")
    ok(runner(ctx, ["image", "pull", ref, "--cert-dir", certs], store=store),
       "pull with --cert-dir")
    store = fresh_store(ctx, "tls-insecure")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.tls), store=store),
       "pull insecure")


@test
def tls__certs_d_folder_read_as_podman_and_docker_read_it(ctx):
    """A certs.d folder as containers-certs.d(5) and docker lay it out:
    the registry's CA under any NAME.crt (not only ca.crt), and a client
    certificate NAME.cert with NAME.key, which a registry asking for one
    (docker-registry's http.tls.clientcas) gets."""
    d = os.path.join(ctx.tmp, "client-ca")
    os.makedirs(d, exist_ok=True)
    ca_key, ca_crt = env.self_signed(d, "clientca", "client-ca")
    reg = env.Registry(ctx.tmp, "mtls", tls=True, client_ca=ca_crt)
    ctx.regs.append(reg)
    certs = os.path.join(ctx.tmp, "certs-mtls")
    os.makedirs(os.path.join(certs, reg.host))
    shutil.copy(reg.ca, os.path.join(certs, reg.host, "my-registry.crt"))
    src = fresh_store(ctx, "mtls-src")
    ref = f"{reg.host}/g/mtls:v1"
    import_fixture(ctx, src, ref)
    # the one line says why, whichever text libcurl kept of the refused
    # handshake (7.88 keeps the first: at times a non-fatal getpeername()
    # failure of the connection the registry closed)
    fails(runner(ctx, ["image", "push", ref, "--cert-dir", certs],
                 store=src), "push without a client certificate",
          "the registry asked for a client certificate and none is in "
          f"{os.path.join(certs, reg.host)} (NAME.cert with NAME.key)")
    env.signed_by(os.path.join(certs, reg.host), "me", "me", ca_key, ca_crt)
    ok(runner(ctx, ["image", "push", ref, "--cert-dir", certs], store=src),
       "push with the client certificate")
    store = fresh_store(ctx, "mtls")
    ok(runner(ctx, ["image", "pull", ref, "--cert-dir", certs], store=store),
       "pull")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")


@test
def tls__plain_http_registry_not_insecure__hint(ctx):
    """pull and push name their flag, --insecure-registries (login's is
    --plain-http: hint_names_plain_http())."""
    store = fresh_store(ctx, "plain")
    ref = f"{ctx.anon.host}/g/trace_dns:v1"
    for args, st in ((["image", "pull", ref], store),
                     (["image", "push", ref], ctx.src)):
        fails(runner(ctx, args, store=st), args[1],
              "(plain HTTP? see --insecure-registries)")


@test
def insecure_registries__repeated_flags_add_up(ctx):
    # a list flag, as ig image pull/push take it: the first one counts too
    ref = push_fixture(ctx, ctx.anon, "g/repeat:v1",
                       extra=insecure(ctx.anon) +
                       ["--insecure-registries", "127.0.0.1:1"])
    store = fresh_store(ctx, "repeat")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.anon) +
              ["--insecure-registries=127.0.0.1:1"], store=store), "pull")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "pulled digest")


@test
def docker_hub__requests_go_to_its_api_host(ctx):
    """docker.io (and index.docker.io) in a reference is Docker Hub, whose
    API is at registry-1.docker.io (docker, podman and oras, hence ig, go
    there; https://docker.io/v2/ is no registry).  Run with no network
    (unshare -n): the one line names the URL asked, nothing leaves."""
    store = fresh_store(ctx, "hub")
    for ref in ("docker.io/gadgets/hub:v1", "index.docker.io/gadgets/hub:v1"):
        fails(runner(ctx, ["image", "pull", ref], store=store,
                     prefix=("unshare", "-n")), f"pull {ref}",
              "GET https://registry-1.docker.io/v2/gadgets/hub/manifests/v1:")
    fails(runner(ctx, ["login", "docker.io", "-u", "alice",
                       "--password-stdin", "--authfile",
                       os.path.join(ctx.tmp, "hub-auth.json")],
                 input="pw", prefix=("unshare", "-n")), "login",
          "login to docker.io: GET https://registry-1.docker.io/v2/:")


@test
def docker_hub__a_single_name_is_an_official_library_image(ctx):
    """docker.io/busybox is docker.io/library/busybox, as docker,
    containerd and ig (distribution/reference) normalise it: the store
    keeps and lists it so, the registry is asked for library/busybox, and
    a bare name where Docker Hub is the default registry goes there too;
    index.docker.io is docker.io."""
    store = fresh_store(ctx, "hub-library")
    src = f"{ctx.anon.host}/g/hub:v1"
    digest = import_fixture(ctx, store, src)
    ok(runner(ctx, ["image", "tag", src, "docker.io/busybox"], store=store),
       "tag docker.io/busybox")
    ok(runner(ctx, ["image", "tag", src, "index.docker.io/busybox:v2"],
              store=store), "tag index.docker.io/busybox:v2")
    ok(runner(ctx, ["image", "tag", src, "busybox:v3"], store=store,
              env_extra={"RUNNER_REGISTRY_PREFIX": "docker.io"}),
       "tag busybox:v3 with docker.io as the prefix")
    got = sorted((e["reference"], e["Repository"], e["Tag"], e["Digest"])
                 for e in image_list(ctx, store) if e["reference"] != src)
    eq(got, [("docker.io/library/busybox:latest", "docker.io/library/busybox",
              "latest", digest),
             ("docker.io/library/busybox:v2", "docker.io/library/busybox",
              "v2", digest),
             ("docker.io/library/busybox:v3", "docker.io/library/busybox",
              "v3", digest)], "stored names")
    for ref in ("docker.io/busybox:v2", "index.docker.io/library/busybox:v2"):
        eq(inspect(ctx, store, ref)["digest"], digest, f"inspect {ref}")
    fails(runner(ctx, ["image", "pull", "docker.io/busybox"], store=store,
                 prefix=("unshare", "-n")), "pull docker.io/busybox",
          "pull docker.io/library/busybox:latest: ",
          "GET https://registry-1.docker.io/v2/library/busybox/manifests/"
          "latest:")


# ---- token auth ----

@test
def token_auth__anonymous_pull_push_denied(ctx):
    ref = f"{ctx.token.host}/g/tok:v1"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1", ref],
              store=ctx.src), "tag")
    fails(runner(ctx, ["image", "push", ref] + insecure(ctx.token),
                 store=ctx.src), "anonymous push", "401 Unauthorized")


@test
def token_auth__login_push_pull_with_scoped_tokens(ctx):
    authfile = os.path.join(ctx.tmp, "tok-auth.json")
    ok(runner(ctx, ["login", ctx.token.host, "-u", "alice",
                    "--password-stdin", "--authfile", authfile]
              + insecure(ctx.token), input=ctx.users["alice"]), "login")
    n0 = len(ctx.tokens.requests)
    ref = push_fixture(ctx, ctx.token, "g/tok:v2",
                       extra=insecure(ctx.token) + ["--authfile", authfile])
    push_reqs = ctx.tokens.requests[n0:]
    check(any(r["scope"] and "repository:g/tok:pull,push" in r["scope"]
              and r["user"] == "alice" for r in push_reqs),
          f"no push-scoped token request: {push_reqs}")
    check(len(push_reqs) <= 3, f"tokens not cached: {len(push_reqs)}")
    store = fresh_store(ctx, "tok")
    ok(runner(ctx, ["image", "pull", ref, "--authfile", authfile]
              + insecure(ctx.token), store=store), "pull")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")
    # anonymous pull works too: the token server grants pull
    store = fresh_store(ctx, "tok-anon")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.token),
              store=store), "anonymous pull")


@test
def token_auth__a_mount_asks_to_pull_from_the_other_repository(ctx):
    """A blob mount needs pull rights on the repository it comes from: the
    push asks the token server for both scopes (one scope parameter each,
    as docker asks) and the registry mounts with that token."""
    authfile = os.path.join(ctx.tmp, "tok-mount-auth.json")
    ok(runner(ctx, ["login", ctx.token.host, "-u", "alice",
                    "--password-stdin", "--authfile", authfile]
              + insecure(ctx.token), input=ctx.users["alice"]), "login")
    flags = insecure(ctx.token) + ["--authfile", authfile]
    store = fresh_store(ctx, "tok-mount")
    a, b = f"{ctx.token.host}/g/ma:v1", f"{ctx.token.host}/g/mb:v1"
    digest = import_fixture(ctx, store, a)
    ok(runner(ctx, ["image", "push", a] + flags, store=store), "push a")
    ok(runner(ctx, ["image", "tag", a, b], store=store), "tag")
    n0 = len(ctx.tokens.requests)
    ok(runner(ctx, ["image", "push", b] + flags, store=store), "push b")
    scopes = [r["scope"] for r in ctx.tokens.requests[n0:] if r["ok"]]
    check(["repository:g/mb:pull,push", "repository:g/ma:pull"] in scopes,
          f"no token asked for both repositories: {scopes}")
    pulled = fresh_store(ctx, "tok-mount-pulled")
    ok(runner(ctx, ["image", "pull", b] + flags, store=pulled), "pull b")
    eq(inspect(ctx, pulled, b)["digest"], digest, "digest of b")


@test
def token_auth__push_beyond_the_user_s_rights_says_so(ctx):
    """A user the token server lets pull only: the registry answers the
    push with insufficient_scope, which read "credentials rejected" (the
    password was right)."""
    authfile = os.path.join(ctx.tmp, "tok-reader.json")
    ok(runner(ctx, ["login", ctx.token.host, "-u", "reader",
                    "--password-stdin", "--authfile", authfile]
              + insecure(ctx.token), input=ctx.users["reader"]), "login")
    ref = f"{ctx.token.host}/g/reader:v1"
    ok(runner(ctx, ["image", "tag", f"{ctx.anon.host}/g/trace_dns:v1", ref],
              store=ctx.src), "tag")
    err = fails(runner(ctx, ["image", "push", ref, "--authfile", authfile]
                       + insecure(ctx.token), store=ctx.src), "push",
                "401 Unauthorized: access denied: the registry's token "
                "for these credentials does not grant "
                "repository:g/reader:")
    # the scope as the registry's challenge gives it: docker-registry
    # lists the actions in either order (a Go map)
    check(re.search(r"repository:g/reader:(pull,push|push,pull) "
                    r"\(insufficient_scope\)", err), err)
    check("credentials rejected" not in err, err)


@test
def token_auth__identity_token_of_docker_login(ctx):
    """docker login to registries that answer with an OAuth2 refresh
    token (Azure's) stores it as "identitytoken", beside a user of zeros
    and no password; ig and podman trade it for a token (a POST of a
    refresh_token grant), the runner sent the empty password (401)."""
    import base64
    zeros = b"00000000-0000-0000-0000-000000000000:"
    authfile = os.path.join(ctx.tmp, "identity-auth.json")

    def write(token):
        with open(authfile, "w") as f:
            json.dump({"auths": {ctx.token.host: {
                "auth": base64.b64encode(zeros).decode(),
                "identitytoken": token}}}, f)
    write("rt-alice")
    n0 = len(ctx.tokens.requests)
    ref = push_fixture(ctx, ctx.token, "g/identity:v1",
                       extra=insecure(ctx.token) + ["--authfile", authfile])
    reqs = ctx.tokens.requests[n0:]
    check(reqs and all(r.get("grant") == ["refresh_token"] and r["ok"] and
                       r["user"] == "alice" for r in reqs),
          f"token requests: {reqs}")
    store = fresh_store(ctx, "identity")
    ok(runner(ctx, ["image", "pull", ref, "--authfile", authfile]
              + insecure(ctx.token), store=store), "pull")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")
    write("rt-revoked")
    fails(runner(ctx, ["image", "pull", ref, "--authfile", authfile]
                 + insecure(ctx.token), store=fresh_store(ctx, "revoked")),
          "pull with a revoked token", "400 Bad Request: identity token "
          "rejected")


@test
def token_auth__token_the_registry_refuses_says_so(ctx):
    """A registry that trusts another signer than its realm's refuses
    every token it gets (error="invalid_token"): that read "authentication
    required (no credentials for this registry; see runner login)", with
    credentials or without."""
    import types
    other = env.TokenServer(os.path.join(ctx.tmp, "other-signer"), ctx.users)
    t = ctx.tokens
    reg = env.Registry(ctx.tmp, "wrong-signer", token=types.SimpleNamespace(
        realm=t.realm, service=t.service, issuer=t.issuer, cert=other.cert))
    try:
        authfile = os.path.join(ctx.tmp, "wrong-signer-auth.json")
        fails(runner(ctx, ["login", reg.host, "-u", "alice",
                           "--password-stdin", "--authfile", authfile]
                     + insecure(reg), input=ctx.users["alice"]), "login",
              f"401 Unauthorized: the registry refused the token from "
              f"{t.realm} (invalid_token)")
        fails(runner(ctx, ["image", "pull", f"{reg.host}/g/x:v1"]
                     + insecure(reg), store=fresh_store(ctx, "wrong-signer")),
              "anonymous pull", f"401 Unauthorized: the registry refused "
              f"the token from {t.realm} (invalid_token)")
    finally:
        reg.stop()
        other.stop()


@test
def token_auth__tls_registry_with_plain_http_realm__named_then_allowed(ctx):
    """A TLS registry whose token realm is plain HTTP (docker-registry's
    token auth set up with an http:// realm): the password is not sent
    there unasked, in one line that names what to list in
    --insecure-registries (curl alone says 'Protocol "http" not
    supported'); listed, login, push and pull work."""
    reg = env.Registry(ctx.tmp, "tls-token", tls=True, token=ctx.tokens)
    ctx.regs.append(reg)
    realm_host = ctx.tokens.realm.split("/")[2]
    certs = ["--cert-dir", reg.cert_dir(ctx.tmp)]
    authfile = os.path.join(ctx.tmp, "tls-token-auth.json")
    login = ["login", reg.host, "-u", "alice", "--password-stdin",
             "--authfile", authfile] + certs
    n0 = len(ctx.tokens.requests)
    fails(runner(ctx, login, input=ctx.users["alice"]), "login",
          f"get token from {ctx.tokens.realm}",
          f"plain HTTP to {realm_host} refused (list it in "
          "--insecure-registries to allow it)")
    eq(ctx.tokens.requests[n0:], [], "token requests with the realm "
       "not listed")
    check(not os.path.exists(authfile), "credentials stored")
    allow = ["--insecure-registries", realm_host]
    ok(runner(ctx, login + allow, input=ctx.users["alice"]), "login")
    ref = push_fixture(ctx, reg, "g/tls-token:v1",
                       extra=certs + allow + ["--authfile", authfile])
    store = fresh_store(ctx, "tls-token")
    ok(runner(ctx, ["image", "pull", ref, "--authfile", authfile] + certs +
              allow, store=store), "pull")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")


@test
def token_auth__wrong_password(ctx):
    authfile = os.path.join(ctx.tmp, "tok-wrong.json")
    p = runner(ctx, ["login", ctx.token.host, "-u", "alice",
                     "--password-stdin", "--authfile", authfile]
               + insecure(ctx.token), input="nope")
    fails(p, "login", "credentials rejected")
    check(not os.path.exists(authfile), "auth file written")


# ---- faults ----

def pull_fails_store_unchanged(ctx, ref, flags, *needles, env_extra=None):
    store = fresh_store(ctx, "fault")
    import_fixture(ctx, store, "localhost:1/keep/me:v1",
                   programs={"amd64": b"keep"})
    before = env.store_snapshot(store)
    err = fails(runner(ctx, ["image", "pull", ref] + flags, store=store,
                       env_extra=env_extra), "pull", *needles)
    eq(env.store_snapshot(store), before, "store after failed pull")
    return err


def put_raw(reg, repo, blobs, manifests):
    """Upload blobs (bytes) and manifests ((reference, media type,
    bytes)) to reg as they are, past any check of ours."""
    base = f"http://{reg.host}/v2/{repo}"
    for b in blobs:
        req = urllib.request.Request(f"{base}/blobs/uploads/", data=b"",
                                     method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            loc = r.headers["Location"]
        loc = loc if loc.startswith("http") else f"http://{reg.host}{loc}"
        digest = "sha256:" + hashlib.sha256(b).hexdigest()
        req = urllib.request.Request(
            f"{loc}{'&' if '?' in loc else '?'}digest={digest}", data=b,
            method="PUT",
            headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req, timeout=30).close()
    for ref, mt, body in manifests:
        req = urllib.request.Request(f"{base}/manifests/{ref}", data=body,
                                     method="PUT",
                                     headers={"Content-Type": mt})
        urllib.request.urlopen(req, timeout=30).close()


@test
def fault__a_blob_two_descriptors_size_differently__refused(ctx):
    """The arm64 manifest gives the config both manifests share (which
    the store lacks) one byte more than it has: the pull fails and stores
    nothing (the amd64 one's, of the right size, was taken for both)."""
    config = b"name: two sizes\ndescription: a config stored nowhere\n"
    progs = {"amd64": AMD64, "arm64": ARM64}

    def manifest(arch, extra):
        return json.dumps({
            "schemaVersion": 2, "mediaType": env.MT_MANIFEST,
            "artifactType": env.ARTIFACT,
            "config": {"mediaType": env.MT_CONFIG,
                       "digest": "sha256:" + hashlib.sha256(config)
                       .hexdigest(), "size": len(config) + extra},
            "layers": [{"mediaType": env.MT_PROGRAM,
                        "digest": "sha256:" + hashlib.sha256(progs[arch])
                        .hexdigest(), "size": len(progs[arch])}]}).encode()

    mans = [manifest("amd64", 0), manifest("arm64", 1)]
    index = json.dumps({"schemaVersion": 2, "mediaType": env.MT_INDEX,
                        "manifests": [
                            {"mediaType": env.MT_MANIFEST,
                             "digest": "sha256:" +
                             hashlib.sha256(m).hexdigest(), "size": len(m),
                             "platform": {"architecture": a, "os": "linux"}}
                            for a, m in zip(progs, mans)]}).encode()
    put_raw(ctx.anon, "g/two-sizes", [config, AMD64, ARM64],
            [("sha256:" + hashlib.sha256(m).hexdigest(), env.MT_MANIFEST, m)
             for m in mans] + [("v1", env.MT_INDEX, index)])
    pull_fails_store_unchanged(
        ctx, f"{ctx.anon.host}/g/two-sizes:v1", insecure(ctx.anon),
        f"blob sha256:{hashlib.sha256(config).hexdigest()}",
        f"the descriptor {len(config) + 1}")


@test
def fault__missing_tag__404(ctx):
    pull_fails_store_unchanged(ctx, f"{ctx.anon.host}/g/trace_dns:nope",
                               insecure(ctx.anon), "404 Not Found",
                               "MANIFEST_UNKNOWN")


def proxied_pull_fails(ctx, mode, *needles):
    """The fixture pushed, its pull through a Proxy in mode fails saying
    needles, the store unchanged; the proxy (stopped)."""
    push_fixture(ctx, ctx.anon)
    proxy = env.Proxy(ctx.anon.port, mode)
    try:
        pull_fails_store_unchanged(ctx, f"{proxy.host}/g/trace_dns:v1",
                                   insecure(proxy), *needles)
    finally:
        proxy.stop()
    return proxy


@test
def fault__corrupt_blob__digest_mismatch(ctx):
    proxied_pull_fails(ctx, "corrupt", "digest mismatch")


@test
def fault__stalled_blob__times_out(ctx):
    push_fixture(ctx, ctx.anon)
    proxy = env.Proxy(ctx.anon.port, "stall")
    try:
        t = time.time()
        pull_fails_store_unchanged(ctx, f"{proxy.host}/g/trace_dns:v1",
                                   insecure(proxy), "after retries")
        check(time.time() - t < 30, "stall not detected in time")
    finally:
        proxy.stop()


@test
def fault__manifest_trickled_slowly__ends_at_the_deadline(ctx):
    """20 bytes a second keep curl's no-progress check (1 byte a second
    over RUNNER_REGISTRY_TIMEOUT) quiet; the request's deadline (6 x the
    timeout, 12 s, for a manifest) ends it, before the 30 s the whole
    answer takes."""
    push_fixture(ctx, ctx.anon)
    proxy = env.Proxy(ctx.anon.port, "slowloris")
    try:
        pull_fails_store_unchanged(ctx, f"{proxy.host}/g/trace_dns:v1",
                                   insecure(proxy), "get manifest v1",
                                   "Operation timed out", "after retries",
                                   env_extra={"RUNNER_REGISTRY_TIMEOUT":
                                              "2"})
    finally:
        proxy.stop()


@test
def fault__dropped_connection__retried_then_fails(ctx):
    proxy = proxied_pull_fails(ctx, "drop", "after retries")
    check(proxy.blob_gets >= 2, f"no retry: {proxy.blob_gets} GETs")


@test
def fault__500_once_each__retried_then_pulled(ctx):
    ref = push_fixture(ctx, ctx.anon, "g/flaky:v1")
    proxy = env.Proxy(ctx.anon.port, "fail_once")
    store = fresh_store(ctx, "flaky")
    try:
        ok(runner(ctx, ["image", "pull", f"{proxy.host}/g/flaky:v1"] +
                  insecure(proxy), store=store), "pull")
        check(proxy.failed >= 4, f"{proxy.failed} answers were 500")
    finally:
        proxy.stop()
    eq(inspect(ctx, store, f"{proxy.host}/g/flaky:v1")["digest"], ctx.digest,
       "digest")
    ok(runner(ctx, ["image", "push", f"{proxy.host}/g/flaky:v1", ref +
                    "-copy"] + insecure(ctx.anon), store=store),
       "push of what was pulled")


@test
def fault__redirect_loop__stops(ctx):
    proxied_pull_fails(ctx, "redirect_loop", "redirects followed")


@test
def fault__answer_past_its_length__never_stored(ctx):
    """Bytes past a manifest's Content-Length, on a kept-alive connection,
    are a forged answer to the next request: its digest betrays it.  (curl
    may also see them early and open another connection: then the pull
    is whole.)  Either way nothing forged is stored."""
    push_fixture(ctx, ctx.anon)
    proxy = env.Proxy(ctx.anon.port, "excess")
    store = fresh_store(ctx, "excess")
    import_fixture(ctx, store, "localhost:1/keep/me:v1",
                   programs={"amd64": b"keep"})
    before = env.store_snapshot(store)
    ref = f"{proxy.host}/g/trace_dns:v1"
    try:
        p = runner(ctx, ["image", "pull", ref] + insecure(proxy),
                   store=store)
    finally:
        proxy.stop()
    if p.returncode:
        fails(p, "pull", "digest mismatch")
        eq(env.store_snapshot(store), before, "store after failed pull")
    else:
        eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")
        ok(runner(ctx, ["image", "push", ref,
                        f"{ctx.anon.host}/g/excess-copy:v1"] +
                  insecure(ctx.anon), store=store), "push of what was pulled")


@test
def fault__registry_stopped_mid_pull(ctx):
    reg = env.Registry(ctx.tmp, "stopping")
    try:
        src = fresh_store(ctx, "stop-src")
        ref = f"{reg.host}/g/stop:v1"
        prog = os.urandom(60_000)
        import_fixture(ctx, src, ref, programs={"amd64": prog})
        ok(runner(ctx, ["image", "push", ref] + insecure(reg), store=src),
           "push")
        proxy = env.Proxy(reg.port, "trickle")
        store = fresh_store(ctx, "stop")
        import_fixture(ctx, store, "localhost:1/keep/me:v1",
                       programs={"amd64": b"keep"})
        before = env.store_snapshot(store)
        e = dict(os.environ, RUNNER_STORE=store, HOME=ctx.home,
                 RUNNER_REGISTRY_RETRIES="1", RUNNER_REGISTRY_TIMEOUT="3")
        p = subprocess.Popen([RUNNER, "image", "pull",
                              f"{proxy.host}/g/stop:v1"] + insecure(proxy),
                             env=e, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        proxy.wait_blob_started(p)
        sent = proxy.blob_bytes_sent
        check(p.poll() is None, "the pull ended while the blob was sent")
        reg.stop()
        proxy.stop()
        out, err = p.communicate(timeout=60)
        check(sent < 60_000, f"{sent} bytes sent before the stop: not mid-pull")
        check(p.returncode == 1, f"pull exit {p.returncode}: {err}")
        check(err.startswith(f"runner: pull {proxy.host}/g/stop:v1"), err)
        check(len(err.strip().splitlines()) == 1, f"not one line: {err!r}")
        # the program's blob, cut off; then the registry is gone
        for why in (f"get blob {env._sha(prog)}: ",
                    "Couldn't connect to server"):
            check(why in err, f"{err.strip()!r} lacks {why!r}")
        eq(env.store_snapshot(store), before, "store")
    finally:
        reg.stop()


@test
def fault__kill_9_mid_pull_then_pull_completes(ctx):
    ref = push_fixture(ctx, ctx.anon, "g/kill:v1")
    proxy = env.Proxy(ctx.anon.port, "trickle")
    store = fresh_store(ctx, "kill")
    import_fixture(ctx, store, "localhost:1/keep/me:v1",
                   programs={"amd64": b"keep"})
    before = env.store_snapshot(store)
    try:
        e = dict(os.environ, RUNNER_STORE=store, HOME=ctx.home)
        p = subprocess.Popen([RUNNER, "image", "pull",
                              f"{proxy.host}/g/kill:v1"] + insecure(proxy),
                             env=e, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        proxy.wait_blob_started(p)
        check(p.poll() is None, "the pull ended before the kill")
        p.send_signal(signal.SIGKILL)
        eq(p.wait(timeout=60), -signal.SIGKILL, "the pull's end")
        check(proxy.blob_gets >= 1, "no blob GET before the kill")
    finally:
        proxy.stop()
    eq(env.store_snapshot(store), before, "store after kill -9")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.anon), store=store),
       "pull after kill")
    eq(inspect(ctx, store, ref)["digest"], ctx.digest, "digest")


@test
def fault__unsupported_media_type(ctx):
    push_fixture(ctx, ctx.anon)
    proxy = env.Proxy(ctx.anon.port, "schema1")
    try:
        pull_fails_store_unchanged(ctx, f"{proxy.host}/g/trace_dns:v1",
                                   insecure(proxy), "unsupported media type")
    finally:
        proxy.stop()


@test
def fault__no_manifest_for_architecture(ctx):
    src = fresh_store(ctx, "arch-src")
    ref = f"{ctx.anon.host}/g/armonly:v1"
    import_fixture(ctx, src, ref, programs={"s390x": b"\x7fELF-s390x"})
    ok(runner(ctx, ["image", "push", ref] + insecure(ctx.anon), store=src),
       "push")
    pull_fails_store_unchanged(ctx, ref, insecure(ctx.anon) + ["--arch",
                                                               "host"],
                               "no manifest for architecture",
                               "(image has: s390x)")


def on_a_terminal(ctx, args, store):
    """runner args with stdin, stdout and stderr on a pseudo-terminal:
    (exit status, what the terminal showed)."""
    e = dict(os.environ, HOME=ctx.home, RUNNER_STORE=store)
    for k in ("REGISTRY_AUTH_FILE", "RUNNER_INSECURE_REGISTRIES"):
        e.pop(k, None)
    primary, secondary = pty.openpty()
    p = subprocess.Popen([RUNNER] + args, stdin=secondary, stdout=secondary,
                         stderr=secondary, env=e)
    os.close(secondary)
    out = read_pty(primary)
    return p.wait(timeout=60), out.decode(errors="replace")


@test
def run_pull__messages_start_their_own_line_on_a_terminal(ctx):
    ref = push_fixture(ctx, ctx.anon, "g/tty:v1")
    # refused unsigned (the error comes after the pull), then run
    # unverified (the warning comes during the pull)
    for flags, needle in (([], "runner: run "),
                          (["--verify-image=false"], "runner: warning: ")):
        store = fresh_store(ctx, "tty")
        rc, out = on_a_terminal(ctx, ["run", ref, "--pull", "always"] +
                                flags + insecure(ctx.anon), store)
        eq(rc, 1, f"exit status ({out!r})")
        check(" / " in out, f"no progress line: {out!r}")
        at = out.find(needle)
        check(at > 0 and out[at - 1] == "\n",
              f"{needle!r} not at the start of a line: {out!r}")


# ---- archives ----

def bad_tar(path, members):
    with tarfile.open(path, "w") as t:
        for info, data in members:
            t.addfile(info, io.BytesIO(data) if data is not None else None)


def reg_member(name, data):
    i = tarfile.TarInfo(name)
    i.size = len(data)
    return i, data


@test
def import__rejects_unsafe_or_corrupt_archives(ctx):
    store = fresh_store(ctx, "unsafe")
    import_fixture(ctx, store, "localhost:1/keep/me:v1",
                   programs={"amd64": b"keep"})
    before = env.store_snapshot(store)
    layout = reg_member("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
    cases = []
    cases.append(("absolute", [layout, reg_member("/etc/x", b"x")],
                  "absolute path"))
    cases.append(("dotdot", [layout, reg_member("blobs/../../x", b"x")],
                  '".."'))
    sym = tarfile.TarInfo("blobs/sha256/" + "a" * 64)
    sym.type = tarfile.SYMTYPE
    sym.linkname = "/etc/passwd"
    cases.append(("symlink", [layout, (sym, None)], "link"))
    hard = tarfile.TarInfo("index.json")
    hard.type = tarfile.LNKTYPE
    hard.linkname = "oci-layout"
    cases.append(("hardlink", [layout, (hard, None)], "link"))
    dev = tarfile.TarInfo("blobs/sha256/dev")
    dev.type = tarfile.CHRTYPE
    dev.devmajor, dev.devminor = 1, 3
    cases.append(("device", [layout, (dev, None)], "special file"))
    good = os.path.join(ctx.tmp, "good.tar")
    env.gadget_tar(good, "localhost:1/x/y:v1", CONFIG_V1, {"amd64": AMD64})
    members = []
    with tarfile.open(good) as t:
        for m in t.getmembers():
            data = t.extractfile(m).read()
            if data == AMD64:
                data = data[:-1] + b"!"
            members.append(reg_member(m.name, data))
    cases.append(("corrupt", members, "digest mismatch"))
    for name, mem, needle in cases:
        path = os.path.join(ctx.tmp, f"bad-{name}.tar")
        bad_tar(path, mem)
        fails(runner(ctx, ["image", "import", path], store=store),
              f"import {name}", needle)
        eq(env.store_snapshot(store), before, f"store after {name}")


def image_and_more(ctx, path, ref, extra, mode="w"):
    """The fixture image tagged ref, then the members extra yields
    ((name, bytes)), in one tar ("w:gz": gzip'd)."""
    good = os.path.join(ctx.tmp, "image-and-more.tar")
    env.gadget_tar(good, ref, CONFIG_V1, {"amd64": AMD64})
    with tarfile.open(good) as src, tarfile.open(path, mode) as t:
        for m in src.getmembers():
            t.addfile(m, src.extractfile(m))
        for name, data in extra:
            t.addfile(reg_member(name, data)[0], io.BytesIO(data))


@test
def import__many_blobs_under_a_low_open_files_limit(ctx):
    """Each staged blob held a descriptor until the commit: 1100 blobs hit
    ulimit -n 1024 (Too many open files)."""
    import hashlib
    import resource
    store = fresh_store(ctx, "many-blobs")
    path = os.path.join(ctx.tmp, "many-blobs.tar")
    blobs = [b"blob %d" % i for i in range(1100)]
    image_and_more(ctx, path, "localhost:1/many/blobs:v1",
                   (("blobs/sha256/" + hashlib.sha256(b).hexdigest(), b)
                    for b in blobs))

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
    e = dict(os.environ, RUNNER_STORE=store, HOME=ctx.home)
    p = subprocess.run([RUNNER, "image", "import", path], env=e, text=True,
                       capture_output=True, timeout=300,
                       preexec_fn=low_limit)
    ok(p, "import")
    eq([i["reference"] for i in image_list(ctx, store)],
       ["localhost:1/many/blobs:v1"], "images")
    # the blobs no image uses stay out, and nothing is left in ingest/
    eq(len(os.listdir(os.path.join(store, "blobs", "sha256"))), 4, "blobs")
    eq(os.listdir(os.path.join(store, "ingest")), [], "ingest leftovers")


@test
def import__archive_larger_than_the_bound_refused_store_unchanged(ctx):
    """Each blob was capped, the archive not: 16 members of 64 MiB after
    an image (a 1 MiB gzip'd tar) went through."""
    store = fresh_store(ctx, "too-large")
    import_fixture(ctx, store, "localhost:1/keep/me:v1",
                   programs={"amd64": b"keep"})
    before = env.store_snapshot(store)
    path = os.path.join(ctx.tmp, "too-large.tar.gz")
    zeros = bytes(64 << 20)
    image_and_more(ctx, path, "localhost:1/too/large:v1",
                   ((f"padding/{i}", zeros) for i in range(16)), "w:gz")
    check(os.path.getsize(path) < 2 << 20, "the archive is not small")
    fails(runner(ctx, ["image", "import", path], store=store), "import",
          "padding/15: the archive is larger than the 1073741824 bytes an "
          "import reads")
    eq(env.store_snapshot(store), before, "store after the refused import")
    eq(os.listdir(os.path.join(store, "ingest")), [], "ingest leftovers")


# ---- the real gadget ----

@test
def build_push_remove_pull__trace_dns(ctx):
    store = fresh_store(ctx, "build")
    ref = f"{ctx.anon.host}/gadgets/trace_dns:v1"
    ok(runner(ctx, ["image", "build", os.path.join(ROOT, "gadget",
                                                   "trace_dns"), "-t", ref],
              store=store, env_extra={"RUNNER_GADGET_INCLUDE": os.path.join(
                  ROOT, "gadget", "include")}), "build")
    digest = inspect(ctx, store, ref)["digest"]
    ok(runner(ctx, ["image", "push", ref] + insecure(ctx.anon), store=store),
       "push")
    ok(runner(ctx, ["image", "remove", ref], store=store), "remove")
    ok(runner(ctx, ["image", "pull", ref] + insecure(ctx.anon), store=store),
       "pull")
    doc = inspect(ctx, store, ref)
    eq(doc["digest"], digest, "digest after pull")
    check(doc.get("metadata"), "no gadget.yaml in the pulled image")


if __name__ == "__main__":
    main(setup, teardown)
