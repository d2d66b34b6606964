#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile input and faults (issue 9): output that cannot be written is an
error with an honest count and never half a line; strings from images
reach the terminal escaped; gadget.yaml limits are hit fast; bad flag and
environment values are refused instead of ignored."""
import base64
import http.client
import http.server
import io
import json
import os
import threading
import hashlib
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, RUNNER, check, eq, main, test  # noqa: E402
import registry_env as renv  # noqa: E402

SNAP = "hostile.test/snap:v1"
DNS = "hostile.test/dns:v1"


class Ctx:
    pass


def setup():
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="hostile-e2e-")
    ctx.store = os.path.join(ctx.tmp, "store")
    try:
        run(ctx, ["image", "build", f"{ROOT}/examples/snapshot_process",
                  "-t", SNAP], want=0)
        run(ctx, ["image", "build", f"{ROOT}/gadget/trace_dns", "-t", DNS],
            want=0)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def env(ctx, extra=None):
    e = dict(os.environ, RUNNER_STORE=ctx.store, HOME=ctx.tmp)
    for k in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "XDG_RUNTIME_DIR",
              "RUNNER_READY_FILE", "COLUMNS"):
        e.pop(k, None)
    e.update(extra or {})
    return e


def run(ctx, args, want=None, stdout=subprocess.PIPE, extra_env=None,
        preexec_fn=None, **kw):
    p = subprocess.run([RUNNER] + args, stdout=stdout,
                       stderr=subprocess.PIPE, text=True,
                       env=env(ctx, extra_env), timeout=120,
                       preexec_fn=preexec_fn, **kw)
    if want is not None:
        eq(p.returncode, want, f"`runner {' '.join(args)}` exit status "
           f"({p.stderr.strip()})")
    return p


def store_snapshot(ctx):
    """Every file of the store with its size and content hash."""
    out = {}
    for d, _, files in os.walk(ctx.store):
        for f in files:
            p = os.path.join(d, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, ctx.store)] = hash(fh.read())
    return out


# ---- item 3: output that cannot be written --------------------------------

@test
def run_into_a_full_device_fails(ctx):
    full = os.path.join(ctx.tmp, "full")
    os.mknod(full, 0o666 | stat.S_IFCHR, os.makedev(1, 7))
    with open(full, "w") as fh:
        p = run(ctx, ["run", SNAP, "-o", "json"], stdout=fh)
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("No space left on device" in p.stderr, p.stderr)
    check("0 written whole" in p.stderr, p.stderr)
    check("events, 0 lost" not in p.stderr, "a summary claims events: "
          + p.stderr)


def limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1500, 1500))


@test
def run_into_a_file_that_fills_keeps_whole_lines(ctx):
    """A file that cannot grow past 1500 bytes (RLIMIT_FSIZE: the write
    that crosses it is cut short, the next fails with EFBIG, as on a full
    disk): exit 1, the file holds whole JSON lines only, and the error
    says how many."""
    out = os.path.join(ctx.tmp, "out.json")
    for mode in ("json", "columns"):
        with open(out, "w") as fh:
            p = run(ctx, ["run", SNAP, "-o", mode], stdout=fh,
                    preexec_fn=limit_file_size)
        eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
        check("File too large" in p.stderr, p.stderr)
        with open(out) as fh:
            data = fh.read()
        check(data.endswith("\n"), f"{mode}: half a line at the end: "
              f"{data[-80:]!r}")
        lines = data.splitlines()
        n = len(lines) - (1 if mode == "columns" else 0)
        if mode == "json":
            for line in lines:
                json.loads(line)
        check(f"({n} written whole)" in p.stderr,
              f"{mode}: {n} events in the file, stderr: {p.stderr}")


@test
def run_with_stdout_closed_fails_and_writes_nothing_elsewhere(ctx):
    before = store_snapshot(ctx)
    p = subprocess.run([RUNNER, "run", SNAP, "-o", "json"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, env=env(ctx), timeout=60,
                       preexec_fn=lambda: os.close(1))
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("Bad file descriptor" in p.stderr, p.stderr)
    eq(store_snapshot(ctx), before, "the store changed")


@test
def run_into_a_closed_pipe_stops_quietly(ctx):
    p = subprocess.Popen([RUNNER, "run", SNAP, "-o", "json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env(ctx))
    p.stdout.readline()
    p.stdout.close()
    err = p.stderr.read().decode()
    eq(p.wait(timeout=60), 0, f"exit status ({err.strip()})")
    check("runner:" not in err, err)


@test
def image_list_into_a_full_device_fails(ctx):
    with open("/dev/full", "w") as fh:
        p = run(ctx, ["image", "list"], stdout=fh)
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("write standard output" in p.stderr, p.stderr)


@test
def summary_says_one_event(ctx):
    p = run(ctx, ["run", SNAP, "-o", "json", "-F", f"pid=={os.getpid()}"],
            want=0)
    eq(len(p.stdout.splitlines()), 1, "events")
    check("snap: 1 event, 0 lost" in p.stderr, p.stderr)


# ---- item 2: credentials stay with the registry ----------------------------

class Relay:
    """An HTTP relay to a registry on bind_ip.  It records the
    Authorization headers it receives; it may rewrite upload Locations to
    point at another relay (another host: a storage backend), and may add
    credentials of its own upstream (as a signed URL would stand for)."""

    def __init__(self, upstream_port, bind_ip="127.0.0.1", upstream_auth=None):
        self.upstream = upstream_port
        self.auth_seen = []
        self.requests = 0
        self.location_to = None  # "http://host:port" of another relay
        self.upstream_auth = upstream_auth
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                relay._handle(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = _any

        self.httpd = http.server.ThreadingHTTPServer((bind_ip, 0), Handler)
        self.port = self.httpd.server_address[1]
        self.host = f"{bind_ip}:{self.port}"
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _handle(self, h):
        self.requests += 1
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else None
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in ("host", "connection")}
        if "Authorization" in h.headers:
            self.auth_seen.append(h.headers["Authorization"])
        if self.upstream_auth:
            headers["Authorization"] = self.upstream_auth
        c = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=30)
        c.request(h.command, h.path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        h.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-length", "connection",
                             "transfer-encoding"):
                continue
            if k.lower() == "location" and self.location_to and \
                    "/blobs/uploads/" in v:
                path = v.split("://", 1)[-1]
                path = path[path.index("/"):] if "://" in v else v
                v = self.location_to + path
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@test
def push_credentials_never_follow_an_upload_location_elsewhere(ctx):
    users = {"alice": "s3cret"}
    reg = renv.Registry(ctx.tmp, "basic-push", htpasswd_users=users)
    basic = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    front = Relay(reg.port)
    other = Relay(reg.port, bind_ip="127.0.0.2", upstream_auth=basic)
    front.location_to = f"http://{other.host}"
    auth = os.path.join(ctx.tmp, "push-auth.json")
    insecure = f"{front.host},{other.host}"
    try:
        run(ctx, ["login", front.host, "-u", "alice", "--password-stdin",
                  "--authfile", auth, "--insecure-registries", insecure],
            input="s3cret\n", want=0)
        ref = f"{front.host}/hostile/snap:v1"
        run(ctx, ["image", "tag", SNAP, ref], want=0)
        p = run(ctx, ["image", "push", ref, "--authfile", auth,
                      "--insecure-registries", insecure])
        check(other.requests > 0, "no upload went to the other host: "
              + p.stderr)
        eq(other.auth_seen, [], "credentials sent to the other host")
        check(any(a.startswith("Basic ") for a in front.auth_seen),
              "the registry itself got no credentials")
        eq(p.returncode, 0, f"push ({p.stderr.strip()})")
    finally:
        front.stop()
        other.stop()
        reg.stop()


# ---- item 9: registry waits are bounded -----------------------------------

class Silent:
    """Accepts connections on 127.0.0.1 and never answers a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.host = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.conns = []
        self.stopped = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.stopped:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def stop(self):
        self.stopped = True
        self.sock.close()
        for c in self.conns:
            c.close()


class Scripted:
    """A registry of a few canned answers on 127.0.0.1: path -> (status,
    headers, body, declared Content-Length or None); request bodies are not
    read."""

    def __init__(self, routes):
        self.routes = routes
        self.hits = []
        self.auth_seen = []  # the Authorization header of each request
        srv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                srv.hits.append(self.path)
                srv.auth_seen.append(self.headers.get("Authorization"))
                # the query (an upload's ?mount=) does not route
                status, headers, body, clen = srv.routes.get(
                    self.path, srv.routes.get(self.path.split("?")[0],
                                              (404, {}, b"", None)))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length",
                                 str(len(body) if clen is None else clen))
                self.end_headers()
                if self.command != "HEAD":
                    try:
                        self.wfile.write(body)
                        self.wfile.flush()
                    except OSError:
                        pass
                if clen is not None:
                    self.close_connection = True

            do_GET = do_HEAD = do_POST = _any

            def handle(self):
                try:
                    super().handle()
                except ConnectionResetError:
                    pass  # the client cut an answer short, as it may

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.httpd.daemon_threads = True
        self.host = f"127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def pull(ctx, host, ref, extra=None):
    e = {"RUNNER_INSECURE_REGISTRIES": host, "RUNNER_REGISTRY_TIMEOUT": "2",
         "RUNNER_REGISTRY_RETRIES": "3"}
    e.update(extra or {})
    return run(ctx, ["image", "pull", f"{host}/{ref}", "--store",
                     os.path.join(ctx.tmp, "pull-store")], extra_env=e)


@test
def a_registry_that_never_answers_is_asked_twice_at_most(ctx):
    srv = Silent()
    try:
        p = pull(ctx, srv.host, "x:v1")
    finally:
        srv.stop()
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("imeout" in p.stderr or "timed out" in p.stderr, p.stderr)
    # 3 retries allowed, but a silent server is asked once more only
    check(1 <= len(srv.conns) <= 2,
          f"{len(srv.conns)} connections to a silent server")


MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def manifest_with(layer_size, layer_digest="sha256:" + "ab" * 32,
                  cfg=b"name: x\n"):
    cfg_d = "sha256:" + hashlib.sha256(cfg).hexdigest()
    m = {"schemaVersion": 2, "mediaType": MT_MANIFEST,
         "artifactType": "application/vnd.gadget.v1+binary",
         "config": {"mediaType": "application/vnd.gadget.config.v1+yaml",
                    "digest": cfg_d, "size": len(cfg)},
         "layers": [{"mediaType":
                     "application/vnd.gadget.ebpf.program.v1+binary",
                     "digest": layer_digest, "size": layer_size}]}
    return json.dumps(m).encode(), cfg_d


@test
def announced_lengths_beyond_limits_fail_at_once(ctx):
    ok = (200, {}, b"{}", None)
    m, cfg_d = manifest_with(4 << 30)  # a 4 GiB program layer
    huge = (200, {"Content-Type": MT_MANIFEST}, b"{}", 10 ** 15)
    srv = Scripted({
        "/v2/": ok,
        "/v2/a/manifests/v1": huge,
        "/v2/b/manifests/v1": (200, {"Content-Type": MT_MANIFEST}, m, None),
        f"/v2/b/blobs/{cfg_d}": (200, {}, b"name: x\n", None),
    })
    try:
        p = pull(ctx, srv.host, "a:v1")
        eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
        check("announces 1000000000000000 bytes, more than the 4194304 "
              "allowed" in p.stderr, p.stderr)
        eq(srv.hits.count("/v2/a/manifests/v1"), 1, "manifest asked again")
        p = pull(ctx, srv.host, "b:v1")
        eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
        check("4294967296 bytes, more than the 67108864 allowed" in
              p.stderr, p.stderr)
        check(not [h for h in srv.hits if "/blobs/sha256:abab" in h],
              f"the 4 GiB blob was asked for: {srv.hits}")
    finally:
        srv.stop()


@test
def a_blob_longer_than_its_descriptor_fails_at_once(ctx):
    prog = b"\x7fELF" + b"\0" * 60
    prog_d = "sha256:" + hashlib.sha256(prog).hexdigest()
    m, cfg_d = manifest_with(len(prog), prog_d)
    srv = Scripted({
        "/v2/": (200, {}, b"{}", None),
        "/v2/c/manifests/v1": (200, {"Content-Type": MT_MANIFEST}, m, None),
        f"/v2/c/blobs/{cfg_d}": (200, {}, b"name: x\n", None),
        f"/v2/c/blobs/{prog_d}": (200, {}, prog, 10 ** 15),
    })
    try:
        p = pull(ctx, srv.host, "c:v1")
    finally:
        srv.stop()
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("announces 1000000000000000 bytes, the descriptor 64" in p.stderr,
          p.stderr)


@test
def a_blob_of_a_zero_size_descriptor_is_held_to_it(ctx):
    m, cfg_d = manifest_with(0, renv._sha(b""))
    body = b"\0" * (1 << 20)
    srv = Scripted({
        "/v2/z/manifests/v1": (200, {"Content-Type": MT_MANIFEST}, m, None),
        f"/v2/z/blobs/{cfg_d}": (200, {}, b"name: x\n", None),
        f"/v2/z/blobs/{renv._sha(b'')}": (200, {}, body, None),
    })
    try:
        p = pull(ctx, srv.host, "z:v1")
    finally:
        srv.stop()
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    # refused at its Content-Length, not after taking it all in
    check("announces 1048576 bytes, the descriptor 0" in p.stderr, p.stderr)


@test
def an_error_page_past_the_body_limit_keeps_its_status(ctx):
    prog = b"\x7fELF" + b"\0" * 60
    prog_d = renv._sha(prog)
    m, cfg_d = manifest_with(len(prog), prog_d)
    page = b"<html>" + b"busy " * 40000 + b"</html>"  # 200 KB
    srv = Scripted({
        "/v2/d/manifests/v1": (200, {"Content-Type": MT_MANIFEST}, m, None),
        f"/v2/d/blobs/{cfg_d}": (200, {}, b"name: x\n", None),
        f"/v2/d/blobs/{prog_d}": (503, {"Retry-After": "0",
                                        "Content-Type": "text/html"},
                                  page, None),
    })
    try:
        p = pull(ctx, srv.host, "d:v1")
    finally:
        srv.stop()
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check(p.stderr.strip().endswith("503 Service Unavailable"), p.stderr)
    eq(srv.hits.count(f"/v2/d/blobs/{prog_d}"), 4, "GETs (3 retries)")


@test
def credentials_never_answer_a_challenge_from_where_a_redirect_led(ctx):
    # the registry sends blobs to a storage backend; its 401 names a
    # realm of its own: the registry's credentials must not go there
    prog = b"\x7fELF" + b"\0" * 60
    m, cfg_d = manifest_with(len(prog), renv._sha(prog))
    realm = Scripted({})
    backend = Scripted({f"/v2/r/blobs/{cfg_d}": (401, {
        "WWW-Authenticate": f'Bearer realm="http://{realm.host}/token"'},
        b"", None)})
    srv = Scripted({
        "/v2/r/manifests/v1": (200, {"Content-Type": MT_MANIFEST}, m, None),
        f"/v2/r/blobs/{cfg_d}": (307, {
            "Location": f"http://{backend.host}/v2/r/blobs/{cfg_d}"},
            b"", None),
    })
    auth = os.path.join(ctx.tmp, "redirect-auth.json")
    with open(auth, "w") as fh:
        json.dump({"auths": {srv.host: {"auth": base64.b64encode(
            b"alice:s3cret").decode()}}}, fh)
    try:
        p = pull(ctx, srv.host, "r:v1", extra={
            "REGISTRY_AUTH_FILE": auth, "RUNNER_INSECURE_REGISTRIES":
            f"{srv.host},{backend.host},{realm.host}"})
    finally:
        srv.stop()
        backend.stop()
        realm.stop()
    eq(realm.auth_seen, [], "requests to the backend's realm")
    eq(backend.auth_seen, [None], "credentials sent to the backend")
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("401 Unauthorized, from where the registry sent us" in p.stderr,
          p.stderr)


def nested_image(repo, n, levels):
    """Scripted routes of repo:v1, indexes levels deep, each naming the
    next one n times, down to one manifest: n**levels paths to it."""
    prog = b"\x7fELF" + b"\0" * 60
    prog_d = renv._sha(prog)
    m, cfg_d = manifest_with(len(prog), prog_d)
    routes = {f"/v2/{repo}/blobs/{cfg_d}": (200, {}, b"name: x\n", None),
              f"/v2/{repo}/blobs/{prog_d}": (200, {}, prog, None)}

    def doc(mt, body):
        d = {"mediaType": mt, "digest": renv._sha(body), "size": len(body)}
        routes[f"/v2/{repo}/manifests/{d['digest']}"] = \
            (200, {"Content-Type": mt}, body, None)
        return d

    d = doc(MT_MANIFEST, m)
    for _ in range(levels):
        d = doc(renv.MT_INDEX, renv._compact({
            "schemaVersion": 2, "mediaType": renv.MT_INDEX,
            "manifests": [d] * n}))
    routes[f"/v2/{repo}/manifests/v1"] = \
        routes[f"/v2/{repo}/manifests/{d['digest']}"]
    return routes


@test
def an_image_naming_one_manifest_many_times_is_walked_once(ctx):
    # 40 names at each of 5 levels: 40**5 walks (hours) for a pull, push
    # or import that does not remember what it walked; 6 documents else
    srv = Scripted(nested_image("n", 40, 5))
    reg = renv.Registry(ctx.tmp, "nested")
    relay = Relay(reg.port)
    store = os.path.join(ctx.tmp, "store-nested")
    # uploads go to the registry itself (its Location)
    e = {"RUNNER_INSECURE_REGISTRIES":
         f"{srv.host},{relay.host},{reg.host}"}
    try:
        run(ctx, ["image", "pull", f"{srv.host}/n:v1", "--store", store],
            extra_env=e, want=0)
        ref = f"{relay.host}/n:v1"
        run(ctx, ["image", "tag", f"{srv.host}/n:v1", ref, "--store", store],
            want=0)
        run(ctx, ["image", "push", ref, "--store", store], extra_env=e,
            want=0)
        # 2 blobs (HEAD, POST, PUT) and 6 documents (PUT)
        check(relay.requests <= 20, f"{relay.requests} requests to push")
        tar = os.path.join(ctx.tmp, "nested.tar")
        run(ctx, ["image", "export", ref, tar, "--store", store], want=0)
        run(ctx, ["image", "import", tar, "--store",
                  os.path.join(ctx.tmp, "store-nested2")], want=0)
    finally:
        srv.stop()
        relay.stop()
        reg.stop()


@test
def an_upload_location_that_is_no_url_is_told(ctx):
    srv = Scripted({
        "/v2/bad/blobs/uploads/": (202, {"Location": "http://[oops"}, b"",
                                   None),
        "/v2/none/blobs/uploads/": (202, {}, b"", None),
    })
    e = {"RUNNER_INSECURE_REGISTRIES": srv.host}
    try:
        for repo, why in (("bad", 'unusable Location "http://[oops"'),
                          ("none", "202 answer without a Location")):
            ref = f"{srv.host}/{repo}:v1"
            run(ctx, ["image", "tag", SNAP, ref], want=0)
            p = run(ctx, ["image", "push", ref], extra_env=e, want=1)
            check(f"start upload: {why}" in p.stderr, p.stderr)
    finally:
        srv.stop()


# ---- items 4 and 8: the store stays consistent and bounded ----------------

def export_tree(ctx, name):
    """SNAP exported and unpacked into a folder: (folder, index dict)."""
    out = os.path.join(ctx.tmp, f"{name}.tar")
    run(ctx, ["image", "export", SNAP, out], want=0)
    d = os.path.join(ctx.tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with tarfile.open(out) as t:
        t.extractall(d)
    with open(os.path.join(d, "index.json")) as fh:
        return d, json.load(fh)


def pack(d, idx, path):
    with open(os.path.join(d, "index.json"), "w") as fh:
        json.dump(idx, fh)
    with tarfile.open(path, "w") as t:
        for n in os.listdir(d):
            t.add(os.path.join(d, n), arcname=n)


def stored_blobs(store):
    return set(os.listdir(os.path.join(store, "blobs", "sha256")))


@test
def import_keeps_only_referenced_blobs(ctx):
    d, idx = export_tree(ctx, "extra")
    junk = os.urandom(1 << 20)
    junk_hex = hashlib.sha256(junk).hexdigest()
    with open(os.path.join(d, "blobs", "sha256", junk_hex), "wb") as fh:
        fh.write(junk)
    for m in idx["manifests"]:
        m["annotations"]["org.opencontainers.image.ref.name"] = \
            "hostile.test/extra:v1"
    tar = os.path.join(ctx.tmp, "extra-in.tar")
    pack(d, idx, tar)
    store = os.path.join(ctx.tmp, "store-extra")
    run(ctx, ["image", "import", tar, "--store", store], want=0)
    check(junk_hex not in stored_blobs(store),
          "an unreferenced blob of the archive entered the store")
    eq(os.listdir(os.path.join(store, "ingest")), [], "ingest leftovers")
    run(ctx, ["run", "hostile.test/extra:v1", "--store", store, "-o", "json",
              "--verify-image=false"], want=0)


def zeros_tar_gz(path, n):
    """A gzip'd OCI layout whose one blob is n zero bytes, named by its
    digest (the archive is about n/1000 bytes)."""
    h = hashlib.sha256()
    chunk = bytes(1 << 20)
    for i in range(0, n, len(chunk)):
        h.update(chunk[:n - i])

    class Zeros(io.RawIOBase):
        def __init__(self):
            self.left = n

        def readable(self):
            return True

        def readinto(self, b):
            k = min(len(b), self.left)
            b[:k] = bytes(k)
            self.left -= k
            return k

    with tarfile.open(path, "w:gz", compresslevel=1) as t:
        layout = b'{"imageLayoutVersion":"1.0.0"}'
        info = tarfile.TarInfo("oci-layout")
        info.size = len(layout)
        t.addfile(info, io.BytesIO(layout))
        info = tarfile.TarInfo("blobs/sha256/" + h.hexdigest())
        info.size = n
        t.addfile(info, io.BufferedReader(Zeros()))


@test
def a_full_store_keeps_what_it_holds_and_each_command_says_why(ctx):
    """A store on a 4 MiB tmpfs (private mount namespace) filled to the
    last block: tag, build, import and pull (from a registry of our own)
    each fail with one line naming what they did and the full device; a
    pull of an image stored whole works (it writes nothing); every file of
    the store stays as it was, nothing is left in ingest/.  A remove of
    every image works all the same (it gives up the store's space
    reserve to write index.json), deletes their blobs and makes the
    reserve again; so does one after a remove killed at its index.json's
    rename (no reserve left, the device filled again: the killed one's
    temp file is collected for room); once room is made, each command
    works."""
    good = os.path.join(ctx.tmp, "full-good.tar")
    run(ctx, ["image", "export", SNAP, good], want=0)
    other = os.path.join(ctx.tmp, "full-other.tar")
    run(ctx, ["image", "export", DNS, other], want=0)
    reg = renv.Registry(ctx.tmp, "full-reg")
    try:
        src = os.path.join(ctx.tmp, "store-full-src")
        pushed = f"{reg.host}/g/dns:v1"
        stored = f"{reg.host}/g/snap:v1"
        run(ctx, ["image", "import", other, "-t", pushed, "--store", src],
            want=0)
        run(ctx, ["image", "import", good, "-t", stored, "--store", src],
            want=0)
        for r in (pushed, stored):
            run(ctx, ["image", "push", r, "--insecure-registries",
                      reg.host, "--store", src], want=0)
        store = os.path.join(ctx.tmp, "store-full")
        os.makedirs(store, exist_ok=True)
        out = os.path.join(ctx.tmp, "full-out")
        cmds = [("tag", f"image tag {SNAP} hostile.test/t:v2"),
                ("build", f"image build {ROOT}/examples/snapshot_process "
                          "-t hostile.test/b:v1"),
                ("import", f"image import {other}"),
                ("pull", f"image pull {pushed} --insecure-registries "
                         f"{reg.host}")]
        script = """
mount -t tmpfs -o size=4m tmpfs "$S"
"$R" image import "$GOOD" --store "$S/s" >/dev/null
"$R" image pull "$STORED" --insecure-registries "$REG" --store "$S/s" \
    >/dev/null
dd if=/dev/zero of="$S/filler" bs=4k 2>/dev/null || true
sums() { (cd "$S/s" && find . -type f | sort | xargs sha256sum); }
sums >"$O.before"
"""
        every = cmds + [("again", 'image pull "$STORED" '
                                  '--insecure-registries "$REG"'),
                        ("remove", f'image remove {SNAP} "$STORED"')]
        for name, cmd in every:
            if name == "remove":
                script += f"""sums >"$O.after"
ls -A "$S/s/ingest" >"$O.ingest"
strace -f -qq -o /dev/null -e trace=rename \\
    -e inject=rename:signal=KILL:when=1 "$R" {cmd} --store "$S/s" \\
    >/dev/null 2>&1 || true
"$R" image list -o json --store "$S/s" >"$O.killed.list"
ls -A "$S/s" >"$O.killed.files"
dd if=/dev/zero of="$S/filler2" bs=4k 2>/dev/null || true
"""
            script += (f'rc=0; "$R" {cmd} --store "$S/s" >/dev/null '
                       f'2>"$O.{name}.err" || rc=$?\n'
                       f'echo $rc >"$O.{name}.rc"\n')
        script += """"$R" image list -o json --store "$S/s" >"$O.list"
ls -A "$S/s" "$S/s/blobs/sha256" "$S/s/ingest" >"$O.files"
rm "$S/filler" "$S/filler2"
"$R" image import "$GOOD" --store "$S/s" >/dev/null
"""
        for name, cmd in cmds + [("remove", f"image remove {SNAP}")]:
            script += f'"$R" {cmd} --store "$S/s" >/dev/null\n'
        p = subprocess.run(
            ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
             script], env=env(ctx, {"R": RUNNER, "S": store, "O": out,
                                    "GOOD": good, "STORED": stored,
                                    "REG": reg.host}),
            capture_output=True, text=True, timeout=600)
    finally:
        reg.stop()
    eq(p.returncode, 0, f"script: {p.stderr.strip()[-300:]}")

    def read(ext):
        with open(out + ext) as fh:
            return fh.read()
    names = {"tag": SNAP, "build": "hostile.test/b:v1", "import": other,
             "pull": pushed}
    for name, _ in cmds:
        err = read(f".{name}.err")
        eq(read(f".{name}.rc").strip(), "1", f"{name} exit status ({err!r})")
        eq(len(err.strip().splitlines()), 1, f"{name}: one line: {err!r}")
        check(err.startswith("runner: ") and names[name] in err and
              "No space left on device" in err, f"{name}: {err!r}")
    eq(read(".again.rc").strip(), "0",
       f"pull of an image stored whole ({read('.again.err').strip()})")
    eq(read(".after"), read(".before"), "the store changed")
    eq(read(".ingest"), "", "ingest leftovers")
    eq(len(json.loads(read(".killed.list"))), 2,
       "images after a remove killed at its index.json's rename")
    check("runner-reserve" not in read(".killed.files"),
          f"the killed remove gave up the reserve: {read('.killed.files')!r}")
    eq(read(".remove.rc").strip(), "0",
       f"remove on the full store ({read('.remove.err').strip()})")
    eq(json.loads(read(".list")), [], "images after the remove")
    files = read(".files")
    check("runner-reserve\n" in files and ".tmp." not in files and
          files.endswith("/blobs/sha256:\n\n" + f"{store}/s/ingest:\n"),
          f"after the remove, the reserve made again, no blob, no "
          f"temp file: {files!r}")


@test
def import_of_a_blob_past_every_cap_writes_nothing(ctx):
    """A 64 MiB + 1 blob in a 70 KB archive, into a store on a 32 MiB
    tmpfs (private mount namespace): refused at its header, before the
    store's device fills; what the store held stays."""
    big = os.path.join(ctx.tmp, "zeros.tar.gz")
    zeros_tar_gz(big, (64 << 20) + 1)
    good = os.path.join(ctx.tmp, "small-good.tar")
    run(ctx, ["image", "export", SNAP, good], want=0)
    store = os.path.join(ctx.tmp, "store-small")
    os.makedirs(store, exist_ok=True)
    out = os.path.join(ctx.tmp, "small-out")
    p = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-ec", """
mount -t tmpfs -o size=32m tmpfs "$S"
"$R" image import "$GOOD" --store "$S/s" >/dev/null
(cd "$S/s" && find . -type f | sort | xargs sha256sum) >"$O.before"
rc=0; "$R" image import "$BIG" --store "$S/s" 2>"$O.err" || rc=$?
echo $rc >"$O.rc"
(cd "$S/s" && find . -type f | sort | xargs sha256sum) >"$O.after"
ls -A "$S/s/ingest" >"$O.ingest"
"""], env=env(ctx, {"R": RUNNER, "S": store, "O": out, "GOOD": good,
                     "BIG": big}),
        capture_output=True, text=True, timeout=120)
    eq(p.returncode, 0, f"script: {p.stderr.strip()[-300:]}")

    def read(ext):
        with open(out + ext) as fh:
            return fh.read()
    err = read(".err")
    eq(read(".rc").strip(), "1", f"import exit status ({err.strip()})")
    check("67108865 bytes, more than the 67108864 a blob may have" in err,
          err)
    eq(len(err.strip().splitlines()), 1, f"one error line: {err!r}")
    eq(read(".after"), read(".before"), "the store changed")
    eq(read(".ingest"), "", "ingest leftovers")


@test
def import_keeps_the_stored_blobs_a_remove_deletes_meanwhile(ctx):
    """An archive holding only an image index, its manifests and programs
    already stored (by another image): held by strace at its commit's lock,
    the import sees the other image removed and its blobs deleted; it must
    still store the whole image (it kept what it needs), not fail nor name
    blobs that are gone."""
    store = os.path.join(ctx.tmp, "store-need")
    full = os.path.join(ctx.tmp, "need-full.tar")
    run(ctx, ["image", "export", SNAP, full], want=0)
    run(ctx, ["image", "import", full, "-t", "hostile.test/full:v1",
              "--store", store], want=0)
    d, idx = export_tree(ctx, "need")
    top = idx["manifests"][0]["digest"][7:]
    for n in os.listdir(os.path.join(d, "blobs", "sha256")):
        if n != top:
            os.unlink(os.path.join(d, "blobs", "sha256", n))
    for m in idx["manifests"]:
        m["annotations"]["org.opencontainers.image.ref.name"] = \
            "hostile.test/partial:v1"
    tar = os.path.join(ctx.tmp, "need-in.tar")
    pack(d, idx, tar)
    imp = renv.HeldAtCommit([RUNNER, "image", "import", tar, "--store",
                             store], store, env(ctx))
    try:
        run(ctx, ["image", "remove", "hostile.test/full:v1", "--store",
                  store], want=0)
    finally:
        rc, err = imp.release()
    eq(rc, 0, f"import exit status ({err.strip()})")
    out = run(ctx, ["image", "list", "-o", "json", "--store", store],
              want=0).stdout
    eq([i["reference"] for i in json.loads(out)], ["hostile.test/partial:v1"],
       "images after the import")
    eq(os.listdir(os.path.join(store, "ingest")), [], "ingest leftovers")
    run(ctx, ["run", "hostile.test/partial:v1", "--store", store, "-o",
              "json", "--verify-image=false"], want=0)


@test
def import_refuses_a_ref_digest_of_other_content(ctx):
    d, idx = export_tree(ctx, "lying")
    for m in idx["manifests"]:
        m["annotations"]["org.opencontainers.image.ref.name"] = \
            "hostile.test/x@sha256:" + "a" * 64
    tar = os.path.join(ctx.tmp, "lying-in.tar")
    pack(d, idx, tar)
    store = os.path.join(ctx.tmp, "store-lying")
    p = run(ctx, ["image", "import", tar, "--store", store])
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("hostile.test/x@sha256:aaaa" in p.stderr and
          idx["manifests"][0]["digest"] in p.stderr, p.stderr)
    q = run(ctx, ["image", "list", "--store", store], want=0)
    check("hostile.test/x" not in q.stdout, q.stdout)


@test
def remove_by_digest_of_several_tags_needs_force(ctx):
    store = os.path.join(ctx.tmp, "store-rm")
    tar = os.path.join(ctx.tmp, "rm.tar")
    run(ctx, ["image", "export", SNAP, tar], want=0)
    run(ctx, ["image", "import", tar, "--store", store], want=0)
    run(ctx, ["image", "tag", SNAP, "hostile.test/other:v2", "--store",
              store], want=0)
    lst = json.loads(run(ctx, ["image", "list", "-o", "json", "--store",
                                store], want=0).stdout)
    digest = lst[0]["Digest"]
    p = run(ctx, ["image", "remove", digest, "--store", store])
    eq(p.returncode, 1, f"exit status ({p.stderr.strip()})")
    check("is tagged 2 times" in p.stderr and "--force" in p.stderr,
          p.stderr)
    eq(len(json.loads(run(ctx, ["image", "list", "-o", "json", "--store",
                                store], want=0).stdout)), 2, "images left")
    run(ctx, ["image", "remove", "--force", digest, "--store", store],
        want=0)
    eq(json.loads(run(ctx, ["image", "list", "-o", "json", "--store",
                            store], want=0).stdout), [], "images left")


@test
def remove_by_digest_counts_the_tags_added_before_its_lock(ctx):
    """image remove DIGEST held by strace at its lock while a second tag
    of the digest is added: it counts the tags under the lock, so it
    refuses without --force and both tags stay."""
    store = os.path.join(ctx.tmp, "store-rm-race")
    tar = os.path.join(ctx.tmp, "rm-race.tar")
    run(ctx, ["image", "export", SNAP, tar], want=0)
    run(ctx, ["image", "import", tar, "--store", store], want=0)
    digest = json.loads(run(ctx, ["image", "list", "-o", "json", "--store",
                                  store], want=0).stdout)[0]["Digest"]
    rm = renv.HeldAtCommit([RUNNER, "image", "remove", digest, "--store",
                            store], store, env(ctx), at=1, staged=False)
    try:
        run(ctx, ["image", "tag", SNAP, "hostile.test/late:v1", "--store",
                  store], want=0)
    finally:
        rc, err = rm.release()
    eq(rc, 1, f"remove exit status ({err.strip()})")
    check("is tagged 2 times" in err and "--force" in err, err)
    eq(sorted(i["reference"] for i in json.loads(
        run(ctx, ["image", "list", "-o", "json", "--store", store],
            want=0).stdout)), ["hostile.test/late:v1", SNAP], "images left")


@test
def a_tag_racing_a_remove_says_the_image_was_removed(ctx):
    """image tag held by strace at its commit's lock while its image is
    removed: it fails with one line that says so, and tags nothing."""
    store = os.path.join(ctx.tmp, "store-tag-race")
    tar = os.path.join(ctx.tmp, "tag-race.tar")
    run(ctx, ["image", "export", SNAP, tar], want=0)
    run(ctx, ["image", "import", tar, "--store", store], want=0)
    tag = renv.HeldAtCommit([RUNNER, "image", "tag", SNAP,
                             "hostile.test/late:v1", "--store", store],
                            store, env(ctx), at=1, staged=False)
    try:
        run(ctx, ["image", "remove", SNAP, "--store", store], want=0)
    finally:
        rc, err = tag.release()
    eq(rc, 1, f"tag exit status ({err.strip()})")
    eq(err.strip(), f"runner: tag {SNAP} as hostile.test/late:v1: {SNAP} "
       "was removed from the store meanwhile", "tag error")
    eq(json.loads(run(ctx, ["image", "list", "-o", "json", "--store",
                            store], want=0).stdout), [], "images left")


@test
def pull_replaces_a_corrupt_stored_blob_and_ingest_leftovers_go(ctx):
    reg = renv.Registry(ctx.tmp, "plain")
    proxy = renv.Proxy(reg.port, mode="trickle")
    store = os.path.join(ctx.tmp, "store-rot")
    e = {"RUNNER_INSECURE_REGISTRIES": f"{reg.host},{proxy.host}"}
    try:
        ref = f"{reg.host}/hostile/snap:v1"
        run(ctx, ["image", "tag", SNAP, ref], want=0)
        run(ctx, ["image", "push", ref], extra_env=e, want=0)
        run(ctx, ["image", "pull", ref, "--store", store], extra_env=e,
            want=0)
        # rot every stored blob but the index and manifests' documents
        rotten = []
        for h in stored_blobs(store):
            path = os.path.join(store, "blobs", "sha256", h)
            with open(path, "rb") as fh:
                data = fh.read()
            if data.startswith(b"{"):
                continue
            with open(path, "wb") as fh:
                fh.write(bytes([data[0] ^ 0xff]) + data[1:])
            rotten.append(h)
        check(rotten, "no blob to corrupt")
        run(ctx, ["image", "pull", ref, "--store", store], extra_env=e,
            want=0)
        for h in rotten:
            with open(os.path.join(store, "blobs", "sha256", h), "rb") as fh:
                eq(hashlib.sha256(fh.read()).hexdigest(), h,
                   "a corrupt blob was left after a pull")
        # run --pull always: the same check, then the gadget runs
        for h in rotten:
            path = os.path.join(store, "blobs", "sha256", h)
            with open(path, "r+b") as fh:
                first = fh.read(1)
                fh.seek(0)
                fh.write(bytes([first[0] ^ 0xff]))
        q = run(ctx, ["run", ref, "--store", store, "--pull", "always",
                      "--verify-image=false", "-o", "json",
                      "-F", f"pid=={os.getpid()}"], extra_env=e, want=0)
        eq(len(q.stdout.splitlines()), 1, "events of the pulled gadget")
        for h in rotten:
            with open(os.path.join(store, "blobs", "sha256", h), "rb") as fh:
                eq(hashlib.sha256(fh.read()).hexdigest(), h,
                   "a corrupt blob was left after run --pull always")
        # a pull killed mid-blob leaves ingest files; the next change
        # to the store (under its lock) removes those no writer holds
        for h in rotten:
            os.unlink(os.path.join(store, "blobs", "sha256", h))
        pref = f"{proxy.host}/hostile/snap:v1"
        p = subprocess.Popen([RUNNER, "image", "pull", pref, "--store",
                              store], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL,
                             env=env(ctx, e))
        try:
            proxy.wait_blob_started(p)
        finally:
            p.kill()
            p.wait()
        ingest = os.path.join(store, "ingest")
        left = os.listdir(ingest)
        check(left, "the killed pull left nothing to clean")
        old = os.stat(ingest).st_mtime - 3600  # as if killed long ago
        for n in left:
            os.utime(os.path.join(ingest, n), (old, old))
        run(ctx, ["image", "tag", ref, "hostile.test/again:v1", "--store",
                  store], want=0)
        eq(os.listdir(ingest), [], "ingest leftovers stayed")
    finally:
        proxy.stop()
        reg.stop()


def imported(ctx, name, config, programs):
    """A gadget image hostile.test/NAME:v1 of config (gadget.yaml) and
    programs ({arch: bytes}) imported into a store of its own: (ref,
    store)."""
    tar = os.path.join(ctx.tmp, f"{name}.tar")
    ref = f"hostile.test/{name}:v1"
    renv.gadget_tar(tar, ref, config, programs)
    store = os.path.join(ctx.tmp, f"store-{name}")
    run(ctx, ["image", "import", tar, "--store", store], want=0)
    return ref, store


@test
def a_program_that_is_no_ebpf_object_is_refused_with_its_reason(ctx):
    ref, store = imported(ctx, "noelf", "name: noelf\n",
                          {"amd64": b"\x7fELF-no-object",
                           "arm64": b"\x7fELF-no"})
    p = run(ctx, ["run", ref, "--store", store, "--verify-image=false"],
            want=1)
    # refused before libbpf (objinfo_check()); libbpf's own codes (4000
    # and up) would be no errno strerror() knows
    check("eBPF object: " in p.stderr and
          "Unknown error" not in p.stderr, p.stderr)


@test
def malformed_ebpf_objects_are_refused_with_one_line_not_a_crash(ctx):
    """The objects in tests/fuzz/crashes/objopen crash libbpf 1.1's
    bpf_object__open_mem(); run refuses each before libbpf sees it."""
    crashes = os.path.join(ROOT, "tests", "fuzz", "crashes", "objopen")
    names = sorted(os.listdir(crashes))
    check(len(names) >= 3, f"too few crash inputs: {names}")
    for n in names:
        with open(os.path.join(crashes, n), "rb") as fh:
            obj = fh.read()
        ref, store = imported(ctx, f"crash-{n.lower()}", "name: crash\n",
                              {"amd64": obj, "arm64": obj})
        p = run(ctx, ["run", ref, "--store", store, "--verify-image=false",
                      "--timeout", "1"])
        lines = [ln for ln in p.stderr.splitlines()
                 if not ln.startswith("runner: warning: --verify-image")]
        eq(p.returncode, 1, f"{n}: exit status (stderr {p.stderr!r})")
        eq(len(lines), 1, f"{n}: error lines {lines!r}")
        check(lines[0].startswith("runner: ") and
              "eBPF object: " in lines[0], f"{n}: {lines[0]!r}")


@test
def inspect_and_run_tell_a_broken_gadget_yaml_alike(ctx):
    """image inspect --extra-info oci.metadata loads gadget.yaml with the
    loader run and build use (limits first): one line, file:line:col and
    libyaml's context, as run says it."""
    ref, store = imported(ctx, "badyaml",
                          "name: bad\nfields:\n  a: 1\n b: [x\n",
                          {"amd64": b"\x7fELF", "arm64": b"\x7fELF"})
    i = run(ctx, ["image", "inspect", ref, "--store", store,
                  "--extra-info", "oci.metadata"], want=1)
    r = run(ctx, ["run", ref, "--store", store, "--verify-image=false"],
            want=1)
    eq(i.stdout, "", "inspect's output")
    eq(i.stderr, "runner: gadget.yaml:4:2: did not find expected key while "
       "parsing a block mapping (gadget.yaml:1:1)\n", "inspect's error")
    check(r.stderr.endswith(f"runner: run {ref}: " + i.stderr[8:]),
          r.stderr)


# ---- values a user deserves an error for ----------------------------------

def usage(ctx, args, needle, extra_env=None, rc=2):
    p = run(ctx, args, extra_env=extra_env)
    eq(p.returncode, rc, f"`runner {' '.join(args)}` exit status "
       f"({p.stderr.strip()})")
    check(needle in p.stderr, f"`runner {' '.join(args)}`: {needle!r} not "
          f"in {p.stderr!r}")
    eq(p.stdout, "", "stdout")


@test
def bad_flag_values_are_usage_errors(ctx):
    t = ["--timeout", "5"]
    usage(ctx, ["run", DNS, "--ports", ""] + t, "param ports: no values")
    usage(ctx, ["run", DNS, "--ports", "0"] + t, "param ports: 0 in '0'")
    usage(ctx, ["run", DNS, "--ports", "53,,54"] + t, "an empty value")
    # unsigned values as ig's Go ParseUint takes them: no space, no sign
    # (" 5" and "+54" were taken)
    usage(ctx, ["run", DNS, "--unanswered-timeout", " 5"] + t,
          "param unanswered_timeout: invalid value ' 5' for a 4-byte "
          "unsigned integer")
    usage(ctx, ["run", DNS, "--ports", "53,+54"] + t,
          "param ports: invalid value '+54' for a 2-byte unsigned integer")
    # -F values as ig's ParseUint: no sign on an unsigned field
    usage(ctx, ["run", DNS, "-F", "qtype_raw==+1"] + t,
          'field qtype_raw: "+1" is not a number')
    usage(ctx, ["run", DNS, "-F", "qtype==+1"] + t,
          'field qtype: "+1" is not one of its names')
    # flags as pflag's int flags (Go's ParseInt(v, 0, 64)): no space
    # (strtoul() took " 5"), "08" is no octal number
    for v in (" 5", "08", "0x", "1__0"):
        usage(ctx, ["run", DNS, "--timeout", v],
              f"invalid --timeout '{v}': want 0..31536000")
    usage(ctx, ["run", DNS, "--max-events", " 1"] + t,
          "invalid --max-events ' 1'")
    # and what ig takes, which strtoul() refused: Go's 0b, 0o and _
    run(ctx, ["run", DNS, "--timeout", "0b1", "--max-events", "1_000",
              "-o", "json"], want=0)
    usage(ctx, ["run", DNS, "--nice", " 5"] + t,
          "--nice  5: want -20 to 19")
    usage(ctx, ["run", DNS, "-F", "qtype=="] + t, "field qtype: no value")
    usage(ctx, ["run", DNS, "-F", "qtype_raw==99999999999"] + t,
          "is out of range")
    usage(ctx, ["run", DNS, "-F", "latency_ns>1.5"] + t,
          "is not a duration")
    usage(ctx, ["run", DNS, "-c", ""] + t, "--containername: empty name")
    # a name longer than any runtime's is refused, in a list too
    usage(ctx, ["run", DNS, "-c", "n" * 277] + t,
          "--containername: a name of more than 276 bytes")
    usage(ctx, ["run", DNS, "-c", "a,!" + "n" * 277] + t,
          "--containername: a name of more than 276 bytes")
    usage(ctx, ["run", DNS, "--runtime-containername", "a,,b"] + t,
          "--containername: empty name in 'a,,b'")
    usage(ctx, ["run", DNS, "-c", "!"] + t, "--containername: empty name")
    usage(ctx, ["run", DNS, "--k8s-namespace", "demo,!"] + t,
          "--k8s-namespace: empty name in 'demo,!'")
    usage(ctx, ["run", DNS, "--k8s-selector", "app=x=y"] + t,
          "--k8s-selector: 'app=x=y': want key=value")
    usage(ctx, ["run", DNS, "--k8s-selector", "!=x"] + t,
          "--k8s-selector: '!=x': want key=value")
    usage(ctx, ["run", DNS, "--authfile", "/nonexistent"] + t,
          "--authfile /nonexistent: No such file or directory")
    usage(ctx, ["image", "pull", "--authfile", "/nonexistent",
                "localhost:1/x"],
          "--authfile /nonexistent: No such file or directory (runner "
          "login --authfile /nonexistent writes it)")


@test
def bool_values_as_ig_params_and_plain_flags_take_them(ctx):
    """One parser for every bool param of ig's (--host, --trace-pipe,
    --verify-image, --disallow-pulling, --otel-metrics-listen): what is
    no bool is the same one line in each pass that takes one; ig's plain
    (pflag) bools, --verbose and --oci-store-user, keep Go's ParseBool:
    tRuE, which the params take, is no bool there, as in ig."""
    t = ["--timeout", "5"]
    for flag in ("host", "trace-pipe", "verify-image", "disallow-pulling",
                 "otel-metrics-listen"):
        usage(ctx, ["run", DNS, f"--{flag}=yes"] + t,
              f"runner: invalid --{flag} 'yes': want true or false\n")
    for flag in ("verbose", "oci-store-user"):
        usage(ctx, ["run", DNS, f"--{flag}=tRuE"] + t,
              f"runner: invalid --{flag} 'tRuE': want true or false\n")


@test
def param_files_are_read_as_igs_params_read_them(ctx):
    """ig's --PARAM=@FILE: a file that cannot be read is one usage error
    line in ig's words naming the file and the param (ig's key), whichever
    pass takes the flag (a gadget param, -F, -c, the image's source, the
    trust); the bytes are the value as they are (a newline too, which
    --ports refuses as ig's ParseUint does; a NUL byte is refused); a
    flag that is no param in ig (-t, --max-events) keeps the '@'."""
    t = ["--timeout", "5"]
    gone = os.path.join(ctx.tmp, "no-such-file")
    for args, param in ((["--ports", "@" + gone], "ports"),
                        (["-F@" + gone], "filter"),
                        (["--fields=@" + gone], "fields"),
                        (["-c", "@" + gone], "containername"),
                        (["--runtime-containername", "@" + gone],
                         "containername"),
                        (["--pull", "@" + gone], "pull"),
                        (["--disallow-pulling=@" + gone],
                         "disallow-pulling"),
                        (["--public-keys=@" + gone], "public-keys"),
                        (["--verify-image=@" + gone], "verify-image")):
        p = run(ctx, ["run", DNS] + args + t)
        eq((p.returncode, p.stdout, p.stderr),
           (2, "", f'runner: reading file "{gone}" for parameter '
            f'"{param}": No such file or directory\n'), f"{args}")
    usage(ctx, ["run", DNS, "-E", "@" + ctx.tmp] + t,
          f'reading file "{ctx.tmp}" for parameter "filter-expr": Is a '
          "directory")

    def value(name, data):
        path = os.path.join(ctx.tmp, name)
        with open(path, "wb") as f:
            f.write(data)
        return "@" + path

    usage(ctx, ["run", DNS, "--ports", value("nl", b"53\n")] + t,
          "param ports: invalid value '53\\x0a'")
    nul = value("nul", b"53\0")
    usage(ctx, ["run", DNS, "--ports", nul] + t,
          f'reading file "{nul[1:]}" for parameter "ports": it holds a NUL'
          " byte")
    big = value("big", b"5" * ((1 << 20) + 1))
    usage(ctx, ["run", DNS, "--ports", big] + t,
          f'reading file "{big[1:]}" for parameter "ports": larger than '
          "1 MiB")
    five = value("five", b"5")
    usage(ctx, ["run", DNS, "--timeout", five],
          f"invalid --timeout '{five}'")
    usage(ctx, ["run", DNS, "--max-events", five] + t,
          f"invalid --max-events '{five}'")


@test
def unknown_and_valueless_flags_say_where_to_look(ctx):
    """A flag getopt cannot take is one line in the runner's words that
    names the --help to read (for run, the gadget's, which lists its own
    flags), not getopt's "unrecognized option"."""
    t = ["--timeout", "5"]
    for args, line in (
            (["run", DNS, "--bogus=1"], f"runner: run {DNS}: unknown flag"
             f" '--bogus' (see `runner run {DNS} --help`)"),
            # (kubectl gadget's -n, -p, -l and -A get a hint of their own:
            # test_doc_examples)
            (["run", DNS, "-z", "demo"], f"runner: run {DNS}: unknown flag"
             f" '-z' (see `runner run {DNS} --help`)"),
            (["run", DNS, "--fields"], f"runner: run {DNS}: flag '--fields'"
             f" needs a value (see `runner run {DNS} --help`)"),
            (["image", "list", "-x"], "runner: image list: unknown flag"
             " '-x' (see `runner image list --help`)"),
            # inside a cluster after a long flag: the short one named
            (["image", "list", "--no-trunc", "-xq"], "runner: image list:"
             " unknown flag '-x' (see `runner image list --help`)"),
            (["image", "list", "--no-trunc=1"], "runner: image list: flag"
             " '--no-trunc' takes no value (see `runner image list --help`)"),
            (["run", DNS, "--k8s=1"], f"runner: run {DNS}: flag '--k8s'"
             f" takes no value (see `runner run {DNS} --help`)"),
            (["image", "build", "-t"], "runner: image build: flag '-t'"
             " needs a value (see `runner image build --help`)")):
        # the flag last: a value after it would be taken for its own
        p = run(ctx, (args[:2] + t + args[2:]) if args[0] == "run" else
                args)
        eq((p.returncode, p.stdout, p.stderr), (2, "", line + "\n"),
           f"`runner {' '.join(args)}`")


@test
def every_command_takes_verbose_as_ig(ctx):
    """ig's -v/--verbose is a persistent flag of its root command: every
    command takes it, before or after the command's name, with a value in
    any spelling of Go's ParseBool; only `run` took it (the rest: unknown
    flag, exit 2).  What it prints is the same as without it here."""
    cmds = (["image", "list"], ["image", "inspect", SNAP],
            ["list-containers", "-o", "json"], ["version"],
            ["config", "view"])
    for cmd in cmds:
        want = run(ctx, cmd, want=0).stdout
        for args in (cmd + ["-v"], ["-v"] + cmd, cmd + ["--verbose"],
                     [cmd[0], "--verbose=T"] + cmd[1:],
                     cmd + ["--verbose=false"]):
            p = run(ctx, args, want=0)
            if cmd[0] != "list-containers":  # containers come and go
                eq(p.stdout, want, f"`runner {' '.join(args)}` output")
        usage(ctx, cmd + ["--verbose=maybe"],
              "invalid --verbose 'maybe': want true or false")
    usage(ctx, ["--verbose=maybe", "version"],
          "invalid --verbose 'maybe': want true or false")


@test
def abbreviated_flags_are_usage_errors(ctx):
    """getopt_long() took "--allowed-gad" for --allowed-gadgets, which the
    trust check reads by its full name only: the image ran, not allowed.
    ig takes no abbreviations either."""
    t = ["--timeout", "5"]
    usage(ctx, ["run", DNS, "--allowed-gad=nothing"] + t,
          f"runner: run {DNS}: unknown flag '--allowed-gad': flags are "
          "spelled in full (--allowed-gadgets)")
    usage(ctx, ["run", DNS, "--sto", "/nonexistent"] + t,
          "unknown flag '--sto'")
    usage(ctx, ["run", DNS, "--por", "53"] + t, "(--ports)")


@test
def bad_environment_values_are_usage_errors(ctx):
    usage(ctx, ["image", "pull", "localhost:1/x"],
          "invalid RUNNER_REGISTRY_RETRIES 'abc'",
          {"RUNNER_REGISTRY_RETRIES": "abc"})
    usage(ctx, ["run", SNAP], "invalid RUNNER_REGISTRY_TIMEOUT '-5'",
          {"RUNNER_REGISTRY_TIMEOUT": "-5"})


@test
def image_list_of_a_missing_store_creates_nothing(ctx):
    typo = os.path.join(ctx.tmp, "typo")
    p = run(ctx, ["image", "list", "-o", "json", "--store", typo], want=0)
    eq(json.loads(p.stdout), [], "images of a missing store")
    check(not os.path.exists(typo), "the store folder was created")
    usage(ctx, ["image", "inspect", SNAP], "No such file or directory",
          {"RUNNER_STORE": typo}, rc=1)
    check(not os.path.exists(typo), "the store folder was created")


@test
def build_refuses_what_run_refuses(ctx):
    with open(f"{ROOT}/examples/snapshot_process/gadget.yaml") as fh:
        snap = fh.read()
    with open(f"{ROOT}/examples/trace_exec/gadget.yaml") as fh:
        exe = fh.read()
    cases = [
        ("width", "snapshot_process",
         snap.replace('columns.width: "7"', 'columns.width: "2147483647"'),
         'bad value "2147483647" of annotation columns.width'),
        ("default", "trace_exec",
         exe.replace('defaultValue: "true"', 'defaultValue: "banana"'),
         "'banana' is not true or false"),
    ]
    for name, src, y, needle in cases:
        d = gadget_dir(ctx, f"bad-{name}", y, src)
        p = run(ctx, ["image", "build", d, "-t", f"hostile.test/{name}:v1"])
        eq(p.returncode, 1, f"{name}: exit status ({p.stderr.strip()})")
        check(needle in p.stderr, f"{name}: {needle!r} not in {p.stderr!r}")
        check("Successfully built" not in p.stderr, p.stderr)
    # a field the event lacks: run notes it and goes on (as ig, whose
    # operators add such fields); build says the same
    d = gadget_dir(ctx, "bad-missing", snap + "      nope:\n"
                   "        annotations:\n          description: x\n",
                   "snapshot_process")
    p = run(ctx, ["image", "build", d, "-t", "hostile.test/missing:v1"],
            want=0)
    note = [ln for ln in p.stderr.splitlines() if 'field nope' in ln]
    check(note, "build did not note the missing field: " + p.stderr)
    q = run(ctx, ["run", "hostile.test/missing:v1", "-o", "json"], want=0)
    check(note[0] in q.stderr, f"run says otherwise: {q.stderr!r}")


def waiting_on_a_lock(pid):
    """Whether pid waits for a file lock (a "->" line of /proc/locks)."""
    with open("/proc/locks") as fh:
        return any(ln.split()[1] == "->" and ln.split()[5] == str(pid)
                   for ln in fh)


@test
def a_build_during_a_remove_keeps_its_built_mark(ctx):
    """image remove rewrites runner-built (marks of images gone) while a
    build appends its own: held by strace just before its rename, the
    remove must not drop the mark of an image built meanwhile, or that
    image no longer runs unsigned."""
    store = os.path.join(ctx.tmp, "store-mark")
    run(ctx, ["image", "build", f"{ROOT}/examples/snapshot_process", "-t",
              "hostile.test/first:v1", "--store", store], want=0)
    with open(f"{ROOT}/examples/snapshot_process/gadget.yaml") as fh:
        y = fh.read()
    # an image of its own: its removal drops its mark (a remove that
    # drops none leaves runner-built alone)
    gone = gadget_dir(ctx, "mark-gone", y + "# gone\n", "snapshot_process")
    run(ctx, ["image", "build", gone, "-t", "hostile.test/gone:v1",
              "--store", store], want=0)
    d = gadget_dir(ctx, "mark-src", y + "# another digest\n",
                   "snapshot_process")
    # the remove's second rename (untag's index.json is the first) puts
    # the pruned runner-built in place: held until strace is stopped
    renames = "rename,renameat,renameat2"
    rm = subprocess.Popen(
        ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + renames,
         "-e", f"inject={renames}:delay_enter=600000000:when=2", RUNNER,
         "image", "remove", "hostile.test/gone:v1", "--store", store],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env(ctx))
    build = None
    try:
        for _ in range(600):
            if any(n.startswith("runner-built.tmp")
                   for n in os.listdir(store)) or rm.poll() is not None:
                break
            time.sleep(0.1)
        check(rm.poll() is None, "the remove was not held before its rename")
        build = subprocess.Popen(
            [RUNNER, "image", "build", d, "-t", "hostile.test/second:v1",
             "--store", store], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=env(ctx))
        # done, or waiting for the store's lock, which the remove holds
        for _ in range(1200):
            if build.poll() is not None or waiting_on_a_lock(build.pid):
                break
            time.sleep(0.1)
        rm.kill()  # strace killed lets go: the held rename runs
        _, rm_err = rm.communicate(timeout=60)
        _, build_err = build.communicate(timeout=120)
    finally:
        for p in (rm, build):
            if p and p.poll() is None:
                p.kill()
                p.wait()
    eq(build.returncode, 0, f"build: {build_err.strip()}")
    check(not any(n.startswith("runner-built.tmp")
                  for n in os.listdir(store)), "temp file left")
    out = run(ctx, ["image", "list", "-o", "json", "--store", store],
              want=0).stdout
    built = {i["reference"]: i["builtHere"] for i in json.loads(out)}
    eq(built, {"hostile.test/first:v1": True,
               "hostile.test/second:v1": True}, "builtHere after the remove")
    run(ctx, ["run", "hostile.test/second:v1", "-o", "json", "--store",
              store], want=0)


# ---- interrupted build -----------------------------------------------------

def nth_call(ctx, argv, syscalls, needle):
    """Run argv (a store-changing command of the runner) under strace, not
    its children: the number of the first of its syscalls (of the set)
    whose line (file descriptors named, -y) holds needle.  A run of the
    same command on a copy of the store makes the same calls."""
    log = os.path.join(ctx.tmp, "nth.strace")
    subprocess.run(["strace", "-qq", "-y", "-o", log, "-e",
                    "trace=" + syscalls] + argv, env=env(ctx),
                   capture_output=True, check=True, timeout=300)
    with open(log) as fh:
        lines = [ln for ln in fh if ln.split("(")[0] in syscalls.split(",")]
    return 1 + next(i for i, ln in enumerate(lines) if needle in ln)


def build_killed_at_its_mark(ctx, name, inject):
    """A store holding hostile.test/mark:v1 built, then a build of other
    sources to that tag with inject (an strace action) at the call that
    writes (write) or puts in place (rename) runner-built's temp file.
    (store, sources, the build's result)."""
    store = os.path.join(ctx.tmp, f"store-{name}")
    run(ctx, ["image", "build", f"{ROOT}/examples/snapshot_process", "-t",
              "hostile.test/mark:v1", "--store", store], want=0)
    with open(f"{ROOT}/examples/snapshot_process/gadget.yaml") as fh:
        y = fh.read()
    d = gadget_dir(ctx, f"{name}-src", y + f"# {name}\n", "snapshot_process")
    build = [RUNNER, "image", "build", d, "-t", "hostile.test/mark:v1",
             "--store"]
    syscalls = "rename,renameat,renameat2" if "signal" in inject else "write"
    # built once first: the BTF cache it fills is read by the runs below
    run(ctx, build[1:] + [store + "-warm"], want=0)
    probe = store + "-probe"
    shutil.copytree(store, probe)
    n = nth_call(ctx, build + [probe], syscalls, "runner-built.tmp.")
    p = subprocess.run(["strace", "-qq", "-o", "/dev/null", "-e",
                        "trace=" + syscalls, "-e",
                        f"inject={syscalls}:{inject}:when={n}"] +
                       build + [store], env=env(ctx), capture_output=True,
                       text=True, timeout=300)
    return store, d, p


def image_marks(ctx, store):
    out = run(ctx, ["image", "list", "-o", "json", "--store", store],
              want=0).stdout
    return {i["reference"]: (i["Digest"], i["builtHere"])
            for i in json.loads(out)}


@test
def a_build_killed_writing_its_built_mark_leaves_no_temp_file(ctx):
    """A build killed at the rename that puts runner-built in place: its
    temp file goes at the next change to the store, as an index.json one
    does, and the tag still names a runnable image."""
    store, d, p = build_killed_at_its_mark(ctx, "killmark", "signal=SIGKILL")
    left = [f for f in os.listdir(store) if ".tmp." in f]
    check(p.returncode != 0 and [f for f in left
                                 if f.startswith("runner-built.tmp.")],
          f"the build was not killed at its mark ({p.returncode}, {left})")
    run(ctx, ["run", "hostile.test/mark:v1", "-o", "json", "--store",
              store], want=0)
    run(ctx, ["image", "build", d, "-t", "hostile.test/other:v1", "--store",
              store], want=0)
    eq([f for f in os.listdir(store) if ".tmp." in f], [],
       "temp files after the next build")


@test
def a_build_whose_mark_cannot_be_written_leaves_its_tag(ctx):
    """The disk full (ENOSPC) as a build writes runner-built: one error
    line, exit 1, and the tag still names the image built before, marked
    built here, runnable; not the new one, unmarked (which could not run
    unsigned)."""
    store, d, p = build_killed_at_its_mark(ctx, "fullmark", "error=ENOSPC")
    eq(p.returncode, 1, f"build exit status ({p.stderr.strip()})")
    err = p.stderr.strip().splitlines()
    check(err and err[-1].startswith("runner: ") and
          "No space left on device" in err[-1], f"error line: {err!r}")
    marks = image_marks(ctx, store)
    eq(list(marks), ["hostile.test/mark:v1"], "images")
    eq(marks["hostile.test/mark:v1"][1], True, "builtHere")
    run(ctx, ["run", "hostile.test/mark:v1", "-o", "json", "--store",
              store], want=0)
    run(ctx, ["image", "build", d, "-t", "hostile.test/mark:v1", "--store",
              store], want=0)
    eq(image_marks(ctx, store)["hostile.test/mark:v1"][1], True,
       "builtHere once built")


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except OSError:
        return ""


@test
def ctrl_c_during_build_leaves_nothing(ctx):
    """Ctrl-C (SIGINT to the process group, as a terminal sends it) while
    clang compiles: exit non-zero, its temp folder gone, nothing stored."""
    tmp = os.path.join(ctx.tmp, "buildtmp")
    os.makedirs(tmp, exist_ok=True)
    store = os.path.join(ctx.tmp, "store-int")
    p = subprocess.Popen([RUNNER, "image", "build",
                          f"{ROOT}/examples/trace_exec", "-t",
                          "hostile.test/int:v1", "--store", store],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env(ctx, {"TMPDIR": tmp}),
                         start_new_session=True)
    try:
        for _ in range(2000):
            if any(comm(c) == "clang" for c in renv.children(p.pid)):
                break
            if p.poll() is not None:
                break
            os.sched_yield()
            time.sleep(0.01)
        check(p.poll() is None, "the build ended before clang ran")
        os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
    check(p.returncode != 0, "an interrupted build succeeded")
    check("interrupted" in err or "failed" in err, err)
    eq(os.listdir(tmp), [], "temp files left")
    q = run(ctx, ["image", "list", "--store", store])
    check("int" not in q.stdout, "the image was stored: " + q.stdout)


# ---- item 6: untrusted strings reach the terminal escaped ------------------

ESC = "\x1b[2J\x1b]0;owned\x07\u009b31m"


def gadget_dir(ctx, name, yaml_text, src="trace_exec"):
    d = os.path.join(ctx.tmp, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    shutil.copy(f"{ROOT}/examples/{src}/program.bpf.c", d)
    with open(os.path.join(d, "gadget.yaml"), "w") as fh:
        fh.write(yaml_text)
    return d


def no_controls(text, what):
    bad = [c for c in text if (ord(c) < 0x20 and c not in "\n") or
           0x7f <= ord(c) <= 0x9f]
    eq(bad, [], f"control characters in {what}")


# ESC as YAML double-quoted escapes: clear screen, window title, C1 CSI
YESC = r"\e[2J\e]0;owned\a\x9b31m"


@test
def help_texts_from_gadget_yaml_are_escaped(ctx):
    with open(f"{ROOT}/examples/trace_exec/gadget.yaml") as fh:
        y = fh.read()
    y = y.replace("description: Kept for compatibility",
                  f'description: "{YESC}Kept"\n      # ')
    y = y.replace("key: ignore-failed", f'key: "ignore{YESC}"')
    d = gadget_dir(ctx, "esc", y)
    p = run(ctx, ["image", "build", d, "-t", "hostile.test/esc:v1"])
    eq(p.returncode, 0, f"build ({p.stderr.strip()})")
    p = run(ctx, ["run", "hostile.test/esc:v1", "--help"])
    no_controls(p.stdout, "--help")
    no_controls(p.stderr, "--help's stderr")
    check("\\x1b[2J" in p.stdout + p.stderr,
          "the escaped texts are missing:\n" + p.stdout + p.stderr)


@test
def error_lines_with_names_from_archives_are_escaped(ctx):
    """An archive whose index names a ref with control characters: what
    the runner says about it, on stdout or stderr, is escaped."""
    out = os.path.join(ctx.tmp, "snap.tar")
    run(ctx, ["image", "export", SNAP, out], want=0)
    d = os.path.join(ctx.tmp, "evil")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with tarfile.open(out) as t:
        t.extractall(d)
    with open(os.path.join(d, "index.json")) as fh:
        idx = json.load(fh)
    for m in idx["manifests"]:
        m.setdefault("annotations", {})[
            "org.opencontainers.image.ref.name"] = f"evil{ESC}:v1"
    with open(os.path.join(d, "index.json"), "w") as fh:
        json.dump(idx, fh)
    evil = os.path.join(ctx.tmp, "evil.tar")
    with tarfile.open(evil, "w") as t:
        for n in os.listdir(d):
            t.add(os.path.join(d, n), arcname=n)
    p = run(ctx, ["image", "import", evil])
    no_controls(p.stdout, "import's stdout")
    no_controls(p.stderr, "import's stderr")
    check("\\x1b" in p.stdout + p.stderr,
          f"the name is not shown escaped: {p.stdout!r} {p.stderr!r}")
    p = run(ctx, ["image", "list"])
    no_controls(p.stdout, "image list")


if __name__ == "__main__":
    main(setup, teardown)
