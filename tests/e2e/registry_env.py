# SPDX-License-Identifier: Apache-2.0
"""Registries for the end-to-end tests, all on 127.0.0.1.

- Registry: Debian's docker-registry (distribution 2.8) with filesystem
  storage in a temporary folder: anonymous, htpasswd basic auth, TLS with a
  self-signed certificate (and client certificates of a CA, if asked), or
  token auth against a TokenServer.
- TokenServer: a small token endpoint (python http.server) issuing RS256
  JWTs whose x5c chain ends in the certificate the registry trusts.
- Proxy: an HTTP proxy in front of a registry that can corrupt blobs,
  stall, drop connections, trickle, or serve a schema 1 manifest.
- gadget_tar(): an OCI layout tar in the gadget image format, so that the
  tests do not depend on the compiler to have images.
"""
import base64
import hashlib
import http.client
import http.server
import io
import json
import os
import re
import secrets
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

from harness import WAIT

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.gadget.config.v1+yaml"
MT_PROGRAM = "application/vnd.gadget.ebpf.program.v1+binary"
ARTIFACT = "application/vnd.gadget.v1+binary"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortTaken(RuntimeError):
    """Another process listens on the port (it took it between
    free_port() and the server's bind)."""


def listener_pids(port):
    """The pids of the processes listening on TCP 127.0.0.1:port."""
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"],
                         capture_output=True, text=True, check=True,
                         timeout=300).stdout
    return {int(m) for line in out.splitlines()
            if f"127.0.0.1:{port} " in line
            for m in re.findall(r"pid=(\d+)", line)}


def wait_port(port, proc, timeout=WAIT):
    """Wait until proc listens on 127.0.0.1:port; PortTaken if proc ended
    while another process listens there (a connection would reach that
    one: a server of another test)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pids = listener_pids(port)
        if proc.pid in pids:
            return
        if proc.poll() is not None:
            if pids:
                raise PortTaken(f"127.0.0.1:{port} taken by pid {pids}")
            raise RuntimeError(f"process exited {proc.returncode}")
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def self_signed(folder, name, cn, ip=None):
    """A key and a self-signed certificate (usable as its own CA)."""
    key = os.path.join(folder, f"{name}.key")
    crt = os.path.join(folder, f"{name}.crt")
    cmd = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
           "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={cn}"]
    if ip:
        cmd += ["-addext", f"subjectAltName=IP:{ip}"]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return key, crt


def signed_by(folder, name, cn, ca_key, ca_crt):
    """A key and a certificate NAME.cert signed by the CA (a client's)."""
    key = os.path.join(folder, f"{name}.key")
    csr = os.path.join(folder, f"{name}.csr")
    crt = os.path.join(folder, f"{name}.cert")
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", key, "-out", csr, "-subj",
                    f"/CN={cn}"], check=True, capture_output=True,
                   timeout=300)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt,
                    "-CAkey", ca_key, "-CAcreateserial", "-out", crt,
                    "-days", "2"], check=True, capture_output=True,
                   timeout=300)
    return key, crt


def htpasswd(path, users):
    with open(path, "w") as f:
        for user, password in users.items():
            out = subprocess.run(["htpasswd", "-Bbn", user, password],
                                 check=True, capture_output=True, text=True,
                                     timeout=300)
            f.write(out.stdout.strip() + "\n")


class Registry:
    """docker-registry serve CONFIG.yml on a free 127.0.0.1 port."""

    def __init__(self, tmp, name, htpasswd_users=None, tls=False,
                 token=None, client_ca=None, accesslog=False):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.ca = None
        cfg = [
            "version: 0.1",
            "log:",
            "  level: error",
            "  accesslog:",
            f"    disabled: {'false' if accesslog else 'true'}",
            "storage:",
            "  filesystem:",
            f"    rootdirectory: {self.dir}/data",
            "  delete:",
            "    enabled: true",
            "http:",
            "  addr: {addr}",  # the port: at start()
            f"  secret: {secrets.token_hex(16)}",
        ]
        if tls:
            key, crt = self_signed(self.dir, "server", "127.0.0.1",
                                   "127.0.0.1")
            self.ca = crt
            cfg += ["  tls:", f"    certificate: {crt}", f"    key: {key}"]
            if client_ca:
                cfg += ["    clientcas:", f"      - {client_ca}"]
        if htpasswd_users:
            path = os.path.join(self.dir, "htpasswd")
            htpasswd(path, htpasswd_users)
            cfg += ["auth:", "  htpasswd:", "    realm: test",
                    f"    path: {path}"]
        if token:
            cfg += ["auth:", "  token:",
                    f"    realm: {token.realm}",
                    f"    service: {token.service}",
                    f"    issuer: {token.issuer}",
                    f"    rootcertbundle: {token.cert}"]
        self.config = os.path.join(self.dir, "config.yml")
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = None
        # docker-registry binds the port of its config: free a moment ago,
        # it may be another test's by then; again with another one
        for _ in range(10):
            self.port = free_port()
            self.host = f"127.0.0.1:{self.port}"
            with open(self.config, "w") as f:
                f.write("\n".join(cfg).replace("{addr}", self.host) + "\n")
            try:
                self.start()
                return
            except PortTaken:
                continue
        raise RuntimeError("no port of 10 stayed free for docker-registry")

    def start(self):
        """Start it (again) on self.port."""
        self.log.flush()
        since = os.fstat(self.log.fileno()).st_size  # this start's lines
        self.proc = subprocess.Popen(["docker-registry", "serve",
                                      self.config],
                                     stdout=self.log, stderr=self.log)
        try:
            wait_port(self.port, self.proc)
        except PortTaken:
            raise
        except RuntimeError:
            self.log.flush()
            with open(self.log.name) as f:
                f.seek(since)
                if "address already in use" in f.read():
                    # a connection's port, say: bound, not listening
                    raise PortTaken(f"127.0.0.1:{self.port} in use")
            raise

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=60)

    def requests(self):
        """(method, path, status) of each request the access log holds
        (accesslog=True), in order."""
        self.log.flush()
        with open(self.log.name) as f:
            return [(m[1], m[2], int(m[3])) for m in
                    re.finditer(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d+)',
                                f.read())]

    def cert_dir(self, tmp):
        """A --cert-dir folder holding this registry's CA."""
        d = os.path.join(tmp, f"certs-{self.port}")
        os.makedirs(os.path.join(d, self.host), exist_ok=True)
        with open(self.ca) as src, \
                open(os.path.join(d, self.host, "ca.crt"), "w") as dst:
            dst.write(src.read())
        return d


def _b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class TokenServer:
    """GET /token?service=S&scope=repository:NAME:ACTIONS -> {"token": JWT}.

    Users with the right password get what they ask for (those in
    pull_only: pull only); anonymous requests get pull only
    (allow_anonymous) or a 401; a wrong password gets a 401.
    POST /token with an OAuth2 refresh-token grant (docker's identity
    token): identity_tokens maps each token to its user; another gets a
    400 invalid_grant.  Every request is logged (scope, user) in self.requests.
    """

    service = "test-registry"
    issuer = "test-issuer"

    def __init__(self, tmp, users, allow_anonymous=True, pull_only=(),
                 identity_tokens=None):
        self.dir = os.path.join(tmp, "token")
        os.makedirs(self.dir, exist_ok=True)
        key, self.cert = self_signed(self.dir, "signer", "token-signer")
        with open(key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        with open(self.cert, "rb") as f:
            der = x509.load_pem_x509_certificate(f.read()).public_bytes(
                serialization.Encoding.DER)
        self.x5c = base64.b64encode(der).decode()
        self.users = users
        self.allow_anonymous = allow_anonymous
        self.pull_only = set(pull_only)
        self.identity_tokens = identity_tokens or {}
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                server._handle(self)

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                form = urllib.parse.parse_qs(self.rfile.read(n).decode())
                server._handle(self, form)

        # port 0: the kernel's pick, bound at once (a port found free,
        # then bound, can be taken by another test between the two)
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.port = self.httpd.server_address[1]
        self.realm = f"http://127.0.0.1:{self.port}/token"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _jwt(self, sub, access):
        now = int(time.time())
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self.x5c]}
        claims = {"iss": self.issuer, "sub": sub, "aud": self.service,
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": secrets.token_hex(8), "access": access}
        signing = (_b64url(json.dumps(header).encode()) + "." +
                   _b64url(json.dumps(claims).encode()))
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(),
                            hashes.SHA256())
        return signing + "." + _b64url(sig)

    def _refuse(self, h, q, user, status, body, grant=None):
        self.requests.append({"scope": q.get("scope"), "user": user,
                              "grant": grant, "ok": False})
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h, form=None):
        url = urllib.parse.urlparse(h.path)
        q = form if form is not None else urllib.parse.parse_qs(url.query)
        user = None
        auth = h.headers.get("Authorization", "")
        if form is not None:
            user = self.identity_tokens.get(
                q.get("refresh_token", [""])[0])
            if q.get("grant_type") != ["refresh_token"] or not user:
                return self._refuse(h, q, user, 400,
                                    b'{"error":"invalid_grant"}',
                                    q.get("grant_type"))
        elif auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if self.users.get(u) != p:
                return self._refuse(h, q, u, 401,
                                    b'{"details":"wrong password"}')
            user = u
        elif not self.allow_anonymous:
            h.send_response(401)
            h.end_headers()
            return
        access = []
        for scope in q.get("scope", []):
            for one in scope.split(" "):
                parts = one.split(":")
                if len(parts) < 3 or parts[0] != "repository":
                    continue
                name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
                if user is None or user in self.pull_only:
                    actions = [a for a in actions if a == "pull"]
                access.append({"type": "repository", "name": name,
                               "actions": actions})
        self.requests.append({"scope": q.get("scope"), "user": user,
                              "grant": form and form.get("grant_type"),
                              "ok": True})
        tok = self._jwt(user or "", access)
        body = json.dumps({"token": tok, "access_token": tok,
                           "expires_in": 300}).encode()
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Proxy:
    """An HTTP proxy to a plain-HTTP registry that misbehaves on blobs.

    mode: None (pass through), "corrupt" (flip a byte of every blob),
    "stall" (send half a blob, then nothing), "drop" (send half a blob,
    then close), "trickle" (send blobs 512 bytes every 50 ms), "schema1"
    (answer manifest requests by tag with a schema 1 manifest),
    "fail_once" (answer the first GET of each manifest and blob 500),
    "slowloris" (send manifests by tag a byte every 50 ms: 20 times what
    a no-progress check of 1 byte a second needs, 30 s for an index),
    "redirect_loop" (redirect manifest requests by tag to themselves),
    "excess" (follow the manifest by tag, past its Content-Length, with
    a forged answer for the next request on the connection).
    """

    def __init__(self, upstream_port, mode=None):
        self.upstream = upstream_port
        self.mode = mode
        self.blob_gets = 0
        self.failed = 0  # answers made 500 ("fail_once")
        self.gets = set()  # paths asked once ("fail_once")
        self.blob_bytes_sent = 0  # of blobs, in "trickle" mode
        self.stop_event = threading.Event()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                try:
                    proxy._handle(self)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client went away

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = _any
            do_DELETE = _any

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                                     Handler)
        self.port = self.httpd.server_address[1]
        self.host = f"127.0.0.1:{self.port}"
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def _handle(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else None
        headers = {k: v for k, v in h.headers.items()
                   if k.lower() not in ("host", "connection")}
        c = http.client.HTTPConnection("127.0.0.1", self.upstream, timeout=30)
        try:
            c.request(h.command, h.path, body=body, headers=headers)
            r = c.getresponse()
            data = r.read()
        except OSError:
            h.send_response(502)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        finally:
            c.close()
        is_blob = "/blobs/sha256:" in h.path and h.command == "GET" and \
            r.status == 200
        is_tag_manifest = ("/manifests/" in h.path and h.command == "GET" and
                           "sha256:" not in h.path)
        if self.mode == "fail_once" and h.command == "GET" and \
                r.status == 200 and h.path not in self.gets and \
                ("/blobs/" in h.path or "/manifests/" in h.path):
            self.gets.add(h.path)
            self.failed += 1
            h.send_response(500)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if self.mode == "redirect_loop" and is_tag_manifest:
            h.send_response(302)
            h.send_header("Location", h.path)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        if self.mode == "schema1" and is_tag_manifest:
            data = json.dumps({"schemaVersion": 1, "name": "x", "tag": "v",
                               "architecture": "amd64",
                               "fsLayers": []}).encode()
            h.send_response(200)
            h.send_header("Content-Type", "application/vnd.docker."
                          "distribution.manifest.v1+prettyjws")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
            return
        h.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() in ("content-length", "connection",
                             "transfer-encoding"):
                continue
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if h.command == "HEAD":
            return
        if is_blob:
            self.blob_gets += 1
        if is_blob and self.mode == "corrupt" and data:
            data = bytes([data[0] ^ 0xff]) + data[1:]
        if is_blob and self.mode in ("stall", "drop") and len(data) > 1:
            h.wfile.write(data[:len(data) // 2])
            h.wfile.flush()
            if self.mode == "stall":
                self.stop_event.wait(120)
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if is_tag_manifest and self.mode == "excess" and r.status == 200:
            h.wfile.write(data)
            h.wfile.flush()
            time.sleep(0.2)  # a read of its own for the client
            forged = b"{}"
            h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: " +
                          MT_MANIFEST.encode() + b"\r\nContent-Length: " +
                          str(len(forged)).encode() + b"\r\n\r\n" + forged)
            return
        if is_tag_manifest and self.mode == "slowloris":
            for i in range(len(data)):
                if self.stop_event.wait(0.05):
                    h.close_connection = True
                    return
                h.wfile.write(data[i:i + 1])
                h.wfile.flush()
            return
        if is_blob and self.mode == "trickle":
            for i in range(0, len(data), 512):
                if self.stop_event.is_set():
                    h.close_connection = True
                    return
                h.wfile.write(data[i:i + 512])
                h.wfile.flush()
                self.blob_bytes_sent += len(data[i:i + 512])
                time.sleep(0.05)
            return
        h.wfile.write(data)

    def wait_blob_started(self, proc, timeout=10):
        """Wait until some bytes of a blob went to the client (trickle
        mode) while proc still runs: a download is under way."""
        deadline = time.time() + timeout
        while self.blob_bytes_sent == 0:
            if proc.poll() is not None:
                raise RuntimeError(f"the pull ended ({proc.returncode})"
                                     " before any blob byte was sent")
            if time.time() > deadline:
                raise RuntimeError(f"no blob byte sent in {timeout} s")
            time.sleep(0.02)

    def stop(self):
        self.stop_event.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def _sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def _compact(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def gadget_tar(path, ref, config, programs, title="test gadget",
               created="2024-01-02T03:04:05Z"):
    """Write an OCI layout tar holding one gadget image tagged ref.

    programs: {arch: bytes}.  Returns the index digest.
    """
    blobs = {}

    def add(b):
        d = _sha(b)
        blobs[d] = b
        return {"digest": d, "size": len(b)}

    ann = {"org.opencontainers.image.title": title,
           "org.opencontainers.image.created": created}
    cfg = add(config.encode() if isinstance(config, str) else config)
    manifests = []
    for arch, prog in programs.items():
        layer = add(prog)
        m = _compact({"schemaVersion": 2, "mediaType": MT_MANIFEST,
                      "artifactType": ARTIFACT,
                      "config": dict(mediaType=MT_CONFIG, **cfg),
                      "layers": [dict(mediaType=MT_PROGRAM, **layer)],
                      "annotations": ann})
        md = add(m)
        manifests.append(dict(mediaType=MT_MANIFEST, **md,
                              platform={"architecture": arch,
                                        "os": "linux"}))
    index = _compact({"schemaVersion": 2, "mediaType": MT_INDEX,
                      "manifests": manifests, "annotations": ann})
    idx = add(index)
    top = _compact({"schemaVersion": 2, "mediaType": MT_INDEX, "manifests": [
        dict(mediaType=MT_INDEX, **idx,
             annotations={"org.opencontainers.image.ref.name": ref})]})
    with tarfile.open(path, "w") as t:
        def member(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        member("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        member("index.json", top)
        for d, b in blobs.items():
            member("blobs/sha256/" + d[7:], b)
    return idx["digest"]


def store_snapshot(store):
    """What a store holds: index.json bytes and the set of blob names."""
    try:
        with open(os.path.join(store, "index.json"), "rb") as f:
            index = f.read()
    except FileNotFoundError:
        index = None
    try:
        blobs = set(os.listdir(os.path.join(store, "blobs", "sha256")))
    except FileNotFoundError:
        blobs = set()
    return index, blobs


SYSCALL_NR = {"x86_64": {"flock": 73, "connect": 42},
              "aarch64": {"flock": 32, "connect": 203}}[os.uname().machine]


def children(pid):
    """The child processes of pid."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as fh:
            return [int(x) for x in fh.read().split()]
    except OSError:
        return []


def in_syscall(pid, name="flock"):
    """Whether pid is stopped at, or in, system call name."""
    try:
        with open(f"/proc/{pid}/syscall") as fh:
            return fh.read().split()[0] == str(SYSCALL_NR[name])
    except (OSError, IndexError):
        return False


def descendants(pid):
    """The processes below pid."""
    out = []
    for c in children(pid):
        out += [c] + descendants(c)
    return out


class HeldAtCommit:
    """A runner command that writes to store, held by strace at its second
    flock (its staging folder's is the first, its commit's lock the
    second) until release(): what it read of the store may change
    meanwhile.  argv starts with the runner.  A command that stages
    nothing (tag, remove) is held at its first (at=1, staged=False); one
    that takes no lock (push) at another system call (syscall)."""

    def __init__(self, argv, store, environ, at=2, staged=True,
                 syscall="flock"):
        # sh tells the runner's exit status: strace's is its own
        self.p = subprocess.Popen(
            ["strace", "-f", "-qq", "-o", "/dev/null", "-e",
             f"trace={syscall}", "-e",
             f"inject={syscall}:delay_enter=600000000:when={at}", "sh",
             "-c", '"$@"; echo "exit $?" >&2', "sh"] + argv,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=environ)
        ingest = os.path.join(store, "ingest")
        deadline = time.time() + 60
        while self.p.poll() is None and time.time() < deadline:
            if (not staged or (os.path.isdir(ingest) and
                               os.listdir(ingest))) and \
                    any(in_syscall(c, syscall)
                        for c in descendants(self.p.pid)):
                return
            time.sleep(0.1)
        self.release()
        raise RuntimeError("the command was not held at its commit")

    def release(self):
        """strace killed lets go: the commit goes on.  The command's
        exit status and its stderr."""
        if self.p.poll() is None:
            self.p.kill()
        _, err = self.p.communicate(timeout=120)
        lines = err.splitlines()
        if not lines or not lines[-1].startswith("exit "):
            return None, err
        return int(lines[-1][5:]), "\n".join(lines[:-1])


def keypair(tmp, name):
    """A P-256 key made by openssl in folder tmp: (PKCS#8 private key,
    public PEM) file names."""
    key = os.path.join(tmp, f"{name}.key")
    pub = os.path.join(tmp, f"{name}.pub")
    sec1 = subprocess.run(["openssl", "ecparam", "-name", "prime256v1",
                           "-genkey", "-noout"], check=True,
                          capture_output=True, timeout=60).stdout
    subprocess.run(["openssl", "pkcs8", "-topk8", "-nocrypt", "-out", key],
                   input=sec1, check=True, capture_output=True, timeout=60)
    subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                   check=True, capture_output=True, timeout=60)
    return key, pub
