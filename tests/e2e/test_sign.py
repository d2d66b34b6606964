#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Signed gadgets end to end: sign, push, pull, verify, refuse.

A real docker-registry on 127.0.0.1, real images built by `runner image
build` (examples/snapshot_process, which runs once and ends), ECDSA P-256
keys made by openssl.  The tampering is done the way an attacker with
write access to the registry would do it: through the registry's HTTP API.

Interoperability: cosign's legacy signature format is implemented here
again, independently, with Python's `cryptography`, from the format's
description (simple-signing payload in a layer of media type
application/vnd.dev.cosign.simplesigning.v1+json, base64 DER ECDSA P-256
SHA-256 signature of the payload bytes in the layer annotation
dev.cosignproject.cosign/signature, tag sha256-<hex>.sig), and so are the
two OCI 1.1 forms ig verifies too: that manifest as a referrer of the
image (artifact type application/vnd.dev.cosign.artifact.sig.v1+json), and
a sigstore bundle (DSSE over an in-toto statement) as one, listed where
Debian's docker-registry (no referrers API) keeps referrers: in an index
under the referrers tag sha256-<hex>.  skopeo reads the signature tag.
"""
import base64
import hashlib
import http.client
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, ROOT, test, main, check, eq, Fail,  # noqa: E402
                     ok)
import registry_env as env  # noqa: E402

MT_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
ANN_SIGNATURE = "dev.cosignproject.cosign/signature"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_SIG_ARTIFACT = "application/vnd.dev.cosign.artifact.sig.v1+json"
MT_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
MT_EMPTY = "application/vnd.oci.empty.v1+json"
MT_INTOTO = "application/vnd.in-toto+json"
PRED_SIGN = "https://sigstore.dev/cosign/sign/v1"
GADGET = os.path.join(ROOT, "examples", "snapshot_process")


class Ctx:
    pass


def runner(ctx, args, store, keys_dir=None, timeout=120, prefix=()):
    e = dict(os.environ)
    for k in ("REGISTRY_AUTH_FILE", "RUNNER_REGISTRY_PREFIX",
              "RUNNER_READY_FILE", "RUNNER_STORE"):
        e.pop(k, None)
    e["HOME"] = ctx.home
    e["RUNNER_KEYS_DIR"] = keys_dir or ctx.no_keys
    e["RUNNER_INSECURE_REGISTRIES"] = ctx.reg.host
    e["RUNNER_REGISTRY_TIMEOUT"] = "5"
    return subprocess.run(list(prefix) + [RUNNER] + args + ["--store", store],
                          capture_output=True, text=True, env=e,
                          timeout=timeout)


WARNING = ("runner: warning: --verify-image=false: image signatures are "
           "not verified")


def refused(p, what, *needles, stdout=""):
    """Exit 1, one line on stderr naming the image digest and the reason
    (after the warning of --verify-image=false), and no event printed
    (stdout: what is, as `image verify`'s first line)."""
    if p.returncode != 1:
        raise Fail(f"{what}: exit {p.returncode}, want 1: "
                   f"{p.stdout.strip()[-200:]} {p.stderr.strip()[-300:]}")
    err = "\n".join(line for line in p.stderr.strip().splitlines()
                    if line != WARNING)
    check(len(err.splitlines()) == 1, f"{what}: not one line: {err!r}")
    check(err.startswith("runner: "), f"{what}: {err!r}")
    for n in needles:
        check(n in err, f"{what}: {err!r} lacks {n!r}")
    eq(p.stdout, stdout, f"{what}: stdout")
    return err


def tree(store):
    """Every file of a store and its bytes: compared before and after."""
    out = {}
    for d, _, files in os.walk(store):
        for f in files:
            path = os.path.join(d, f)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, store)] = fh.read()
    return out


def new_store(ctx, name):
    d = os.path.join(ctx.tmp, "stores", name)
    shutil.rmtree(d, ignore_errors=True)
    return d


def run_args(ref, *extra):
    return ["run", ref, "-o", "json", "--timeout", "20"] + list(extra)


def events(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


# ---- the registry's HTTP API, as a client of our own ----

class Reg:
    def __init__(self, host):
        self.host = host

    def req(self, method, path, body=None, headers=None):
        h, port = self.host.split(":")
        c = http.client.HTTPConnection(h, int(port), timeout=30)
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        data = r.read()
        hdrs = dict(r.getheaders())
        c.close()
        return r.status, hdrs, data

    def manifest(self, repo, ref):
        st, h, data = self.req("GET", f"/v2/{repo}/manifests/{ref}", headers={
            "Accept": ", ".join([env.MT_INDEX, env.MT_MANIFEST])})
        if st != 200:
            raise Fail(f"GET manifest {repo}:{ref}: {st}")
        return data, h.get("Content-Type")

    def has_manifest(self, repo, ref):
        return self.req("HEAD", f"/v2/{repo}/manifests/{ref}", headers={
            "Accept": ", ".join([env.MT_INDEX, env.MT_MANIFEST])})[0] == 200

    def blob(self, repo, digest):
        st, _, data = self.req("GET", f"/v2/{repo}/blobs/{digest}")
        if st != 200:
            raise Fail(f"GET blob {digest}: {st}")
        return data

    def put_blob(self, repo, data):
        d = sha(data)
        st, h, _ = self.req("POST", f"/v2/{repo}/blobs/uploads/")
        if st != 202:
            raise Fail(f"POST upload: {st}")
        loc = h["Location"]
        loc = loc.split(self.host, 1)[1] if self.host in loc else loc
        sep = "&" if "?" in loc else "?"
        st, _, _ = self.req("PUT", f"{loc}{sep}digest={d}", body=data,
                            headers={"Content-Type":
                                     "application/octet-stream"})
        if st != 201:
            raise Fail(f"PUT blob: {st}")
        return d

    def put_manifest(self, repo, ref, data, mt):
        st, _, body = self.req("PUT", f"/v2/{repo}/manifests/{ref}",
                               body=data, headers={"Content-Type": mt})
        if st != 201:
            raise Fail(f"PUT manifest {ref}: {st} {body[:200]!r}")
        return sha(data)


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def sig_tag(digest):
    return digest.replace(":", "-") + ".sig"


# ---- cosign's legacy format, written again from its description ----

def pae(ptype, body):
    t = ptype.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(body), body)


def load_key(key_path):
    with open(key_path, "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def py_sig_manifest(reg, repo, digest, key_path, identity, config_mt,
                    subject=None, tamper=False):
    """Push the payload and config of a legacy signature manifest of
    digest signed with key_path; returns the manifest (bytes).  With
    tamper, the payload stored is not the one signed."""
    key = load_key(key_path)
    # another spelling of the same JSON than the runner's: spaces, key
    # order; the signature covers these exact bytes
    payload = json.dumps({
        "optional": {"creator": "test_sign.py"},
        "critical": {"type": "cosign container image signature",
                     "image": {"docker-manifest-digest": digest},
                     "identity": {"docker-reference": identity}},
    }, indent=1).encode()
    sig = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    if tamper:
        payload += b" "
    pd = reg.put_blob(repo, payload)
    config = json.dumps({"architecture": "", "os": "", "config": {},
                         "rootfs": {"type": "layers",
                                    "diff_ids": [pd]}}).encode()
    cd = reg.put_blob(repo, config)
    m = {
        "schemaVersion": 2, "mediaType": env.MT_MANIFEST,
        "config": {"mediaType": config_mt, "digest": cd,
                   "size": len(config)},
        "layers": [{"mediaType": MT_SIMPLESIGNING, "digest": pd,
                    "size": len(payload),
                    "annotations": {
                        ANN_SIGNATURE: base64.b64encode(sig).decode()}}],
    }
    if subject:
        m["subject"] = subject
    return json.dumps(m).encode()


def py_sign(reg, repo, digest, key_path, identity):
    """Sign digest with the private key at key_path and push the .sig."""
    manifest = py_sig_manifest(reg, repo, digest, key_path, identity,
                               MT_OCI_CONFIG)
    reg.put_manifest(repo, sig_tag(digest), manifest, env.MT_MANIFEST)


def subject_of(reg, repo, digest):
    top, mt = reg.manifest(repo, digest)
    return {"mediaType": mt, "digest": digest, "size": len(top)}


def referrers_tag(digest):
    return digest.replace(":", "-")


def list_referrer(reg, repo, digest, manifest, artifact_type):
    """List a referrer of digest in the index under its referrers tag, as
    cosign and oras do on a registry without the referrers API."""
    tag = referrers_tag(digest)
    idx = {"schemaVersion": 2, "mediaType": env.MT_INDEX, "manifests": []}
    if reg.has_manifest(repo, tag):
        idx = json.loads(reg.manifest(repo, tag)[0])
    idx["manifests"].append({"mediaType": env.MT_MANIFEST,
                             "digest": sha(manifest), "size": len(manifest),
                             "artifactType": artifact_type})
    reg.put_manifest(repo, tag, env._compact(idx), env.MT_INDEX)


def py_oci11_sign(reg, repo, digest, key_path, identity, tag=True,
                  tamper=False, via=None):
    """cosign's OCI 1.1 signature: the legacy signature manifest with its
    config's media type as artifact type and the image as subject, pushed
    by digest (through via if given; listed under the referrers tag with
    tag)."""
    m = py_sig_manifest(reg, repo, digest, key_path, identity,
                        MT_SIG_ARTIFACT, subject_of(reg, repo, digest),
                        tamper)
    (via or reg).put_manifest(repo, sha(m), m, env.MT_MANIFEST)
    if tag:
        list_referrer(reg, repo, digest, m, MT_SIG_ARTIFACT)
    return sha(m)


def py_bundle(reg, repo, digest, key_path, identity,
              predicate_type=PRED_SIGN, tag=True, tamper=False, via=None):
    """A sigstore bundle v0.3 of digest signed with key_path, as a
    referrer manifest of the image (pushed through via if given, and
    listed under the referrers tag with tag).  With tamper, the statement
    is not the one signed."""
    key = load_key(key_path)
    stmt = json.dumps({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": identity,
                     "digest": {"sha256": digest[7:]}}],
        "predicateType": predicate_type, "predicate": {}}).encode()
    sig = key.sign(pae(MT_INTOTO, stmt), ec.ECDSA(hashes.SHA256()))
    if tamper:
        stmt += b" "
    bundle = json.dumps({
        "mediaType": MT_BUNDLE,
        "verificationMaterial": {"publicKey": {"hint": ""}},
        "dsseEnvelope": {
            "payload": base64.b64encode(stmt).decode(),
            "payloadType": MT_INTOTO,
            "signatures": [{"sig": base64.b64encode(sig).decode()}]},
    }).encode()
    bd = reg.put_blob(repo, bundle)
    ed = reg.put_blob(repo, b"{}")
    m = env._compact({
        "schemaVersion": 2, "mediaType": env.MT_MANIFEST,
        "artifactType": MT_BUNDLE,
        "config": {"mediaType": MT_EMPTY, "digest": ed, "size": 2},
        "layers": [{"mediaType": MT_BUNDLE, "digest": bd,
                    "size": len(bundle)}],
        "subject": subject_of(reg, repo, digest),
        "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
                        "dev.sigstore.bundle.predicateType":
                        predicate_type}})
    (via or reg).put_manifest(repo, sha(m), m, env.MT_MANIFEST)
    if tag:
        list_referrer(reg, repo, digest, m, MT_BUNDLE)
    return sha(m)


def py_verify(reg, repo, tag, pub_path):
    """Verify the signature of repo:tag found at its .sig tag; returns
    the payload."""
    with open(pub_path, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    data, _ = reg.manifest(repo, tag)
    digest = sha(data)
    sm, mt = reg.manifest(repo, sig_tag(digest))
    m = json.loads(sm)
    check(m["layers"], "signature manifest without layers")
    for layer in m["layers"]:
        eq(layer["mediaType"], MT_SIMPLESIGNING, "layer media type")
        payload = reg.blob(repo, layer["digest"])
        eq(sha(payload), layer["digest"], "payload digest")
        sig = base64.b64decode(layer["annotations"][ANN_SIGNATURE])
        try:
            pub.verify(sig, payload, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            continue
        p = json.loads(payload)
        eq(p["critical"]["type"], "cosign container image signature",
           "critical.type")
        eq(p["critical"]["image"]["docker-manifest-digest"], digest,
           "critical.image.docker-manifest-digest")
        check(p["critical"]["identity"]["docker-reference"],
              "critical.identity.docker-reference")
        return p
    raise Fail("no layer verifies with the public key")


# ---- setup ----

def setup():
    ctx = Ctx()
    check(os.access(RUNNER, os.X_OK), f"{RUNNER} not built")
    ctx.tmp = tempfile.mkdtemp(prefix="runner-sign-")
    ctx.home = os.path.join(ctx.tmp, "home")
    os.makedirs(ctx.home)
    ctx.no_keys = os.path.join(ctx.tmp, "no-keys")
    os.makedirs(ctx.no_keys)
    ctx.reg = env.Registry(ctx.tmp, "reg")
    ctx.api = Reg(ctx.reg.host)
    ctx.key, ctx.pub = env.keypair(ctx.tmp, "trusted")
    ctx.other_key, ctx.other_pub = env.keypair(ctx.tmp, "other")
    ctx.keys_dir = os.path.join(ctx.tmp, "keys")
    os.makedirs(ctx.keys_dir)
    shutil.copy(ctx.pub, os.path.join(ctx.keys_dir, "trusted.pub"))
    # one build of the real gadget; every test image is a tag of it
    ctx.build = new_store(ctx, "build")
    ctx.base = f"{ctx.reg.host}/g/snap:base"
    ok(runner(ctx, ["image", "build", GADGET, "-t", ctx.base], ctx.build),
       "image build")
    ctx.digest = json.loads(ok(runner(ctx, ["image", "inspect", ctx.base],
                                      ctx.build), "inspect"))["digest"]
    # the same image in a store that no signature ever enters: tests sign
    # it in ctx.build under many names, and a push carries a signature of
    # its digest from another repository to one without
    ctx.clean = new_store(ctx, "clean")
    tar = os.path.join(ctx.tmp, "clean.tar")
    ok(runner(ctx, ["image", "export", ctx.base, tar], ctx.build), "export")
    ok(runner(ctx, ["image", "import", tar], ctx.clean), "import")
    return ctx


def teardown(ctx):
    if not ctx:
        return
    ctx.reg.stop()
    if not os.environ.get("KEEP_TMP"):
        shutil.rmtree(ctx.tmp, ignore_errors=True)


def publish(ctx, repo, key=None):
    """Tag the built image as reg/repo:v1 (signed with key if given, else
    from the store without signatures) and push it; returns the
    reference."""
    ref = f"{ctx.reg.host}/{repo}:v1"
    store = ctx.build if key else ctx.clean
    ok(runner(ctx, ["image", "tag", ctx.base, ref], store), "tag")
    if key:
        ok(runner(ctx, ["image", "sign", ref, "--key", key], store), "sign")
    ok(runner(ctx, ["image", "push", ref], store), "push")
    return ref


def empty_store(ctx, name):
    """A store that exists (layout written) and holds nothing: made by a
    command that stores images (an import), then emptied; `image list`
    creates no store."""
    s = new_store(ctx, name)
    tar = os.path.join(ctx.tmp, "empty-store.tar")
    if not os.path.exists(tar):
        ok(runner(ctx, ["image", "export", ctx.base, tar], ctx.build),
           "export")
    ok(runner(ctx, ["image", "import", tar], s), "import")
    ok(runner(ctx, ["image", "remove", ctx.base], s), "remove")
    return s


def refused_intact(ctx, store, args, what, *needles, keys_dir=None):
    before = tree(store)
    err = refused(runner(ctx, args, store, keys_dir=keys_dir), what,
                  *needles)
    eq(tree(store), before, f"{what}: store changed")
    return err


# ---- round trip ----

@test
def sign_push_remove_run__with_key_runs_other_key_refused(ctx):
    store = new_store(ctx, "rt")
    ref = f"{ctx.reg.host}/g/rt:v1"
    ok(runner(ctx, ["image", "build", GADGET, "-t", ref], store), "build")
    digest = json.loads(ok(runner(ctx, ["image", "inspect", ref], store),
                           "inspect"))["digest"]
    lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"], store),
                        "list"))
    eq([e["builtHere"] for e in lst if e["reference"] == ref], [True],
       "built here")
    out = ok(runner(ctx, ["image", "sign", ref, "--key", ctx.key], store),
             "sign")
    eq(out.strip(), f"{ctx.reg.host}/g/rt:{sig_tag(digest)}", "sign output")
    ok(runner(ctx, ["image", "push", ref], store), "push")
    # remove locally: the image is gone, and so is its "built here" mark
    ok(runner(ctx, ["image", "remove", ref], store), "remove")
    out = ok(runner(ctx, run_args(ref, "--public-keys", ctx.pub), store),
             "run with the key")
    check(any(e["proc"]["pid"] == os.getpid() for e in events(out)),
          "snapshot_process shows this test's process")
    lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"], store),
                        "list"))
    mine = [e for e in lst if e["reference"] == ref]
    eq([(e["Digest"], e["builtHere"], e["signed"]) for e in mine],
       [(digest, False, True)], "pulled image: digest, builtHere, signed")
    # the same store, the image removed again: another key is refused
    ok(runner(ctx, ["image", "remove", ref], store), "remove")
    refused_intact(ctx, store, run_args(ref, "--public-keys",
                                        ctx.other_pub),
                   "other key", digest, "does not verify with",
                   ctx.other_pub)
    # the keys folder works as well as the flag
    ok(runner(ctx, run_args(ref), new_store(ctx, "rt-dir"),
              keys_dir=ctx.keys_dir), "run with the keys folder")
    # and a key given as PEM contents, with another key beside it
    with open(ctx.pub) as a, open(ctx.other_pub) as b:
        pems = b.read() + "," + a.read()
    ok(runner(ctx, run_args(ref, "--public-keys", pems),
              new_store(ctx, "rt-pem")), "run with PEM contents")


@test
def run__other_key_refused(ctx):
    ref = publish(ctx, "g/otherkey", ctx.other_key)
    store = empty_store(ctx, "otherkey")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub),
                   "other key", ctx.digest, "does not verify with",
                   ctx.pub)


@test
def run__unsigned_refused_and_without_verification_runs(ctx):
    ref = publish(ctx, "g/unsigned")
    store = empty_store(ctx, "unsigned")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub),
                   "unsigned", ctx.digest, "no signature",
                   sig_tag(ctx.digest),
                   f"referrer under tag {referrers_tag(ctx.digest)})")
    # no key at all: said so
    refused_intact(ctx, store, run_args(ref), "no key", ctx.digest,
                   "no public key", "--verify-image=false runs it")
    p = runner(ctx, run_args(ref, "--verify-image=false"), store)
    ok(p, "--verify-image=false")
    eq([line for line in p.stderr.splitlines() if "warning" in line],
       [WARNING], "warned once")


@test
def run__broken_signature_tag_matters_only_when_verifying(ctx):
    """A .sig tag that is no signature manifest (here an index) refused
    even `--verify-image=false`, which reads no signature."""
    ref = publish(ctx, "g/brokensig", ctx.key)
    idx_raw, _ = ctx.api.manifest("g/brokensig", "v1")
    ctx.api.put_manifest("g/brokensig", sig_tag(ctx.digest), idx_raw,
                         env.MT_INDEX)
    store = empty_store(ctx, "brokensig")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub),
                   "broken signature", sig_tag(ctx.digest))
    p = runner(ctx, run_args(ref, "--verify-image=false"), store)
    ok(p, "--verify-image=false with a broken signature tag")
    listed = runner(ctx, ["image", "list", "--no-trunc"], store).stdout
    check("g/brokensig" in listed, f"the image stored: {listed!r}")


@test
def pull__broken_signature_tag_left_out_with_a_warning(ctx):
    """`image pull` of an image whose .sig tag is no signature manifest
    (here an index) pulls the image, as ig's pull does (a signature is no
    requirement to pull), with one warning line naming the tag; the rest
    of its signatures (the bundle) come along and verify it."""
    ref = publish(ctx, "g/pullbroken", ctx.key)
    idx_raw, _ = ctx.api.manifest("g/pullbroken", "v1")
    ctx.api.put_manifest("g/pullbroken", sig_tag(ctx.digest), idx_raw,
                         env.MT_INDEX)
    store = new_store(ctx, "pullbroken")
    p = runner(ctx, ["image", "pull", ref], store)
    ok(p, "pull with a broken signature tag")
    err = p.stderr.strip().splitlines()
    eq(len(err), 1, f"stderr lines: {err!r}")
    check(err[0].startswith(f"runner: warning: a signature of {ref} was "
                            f"left out: signature {sig_tag(ctx.digest)}: "
                            "media type"), err[0])
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify")
    eq(verified_forms(out), ["sigstore bundle"], f"verify: {out!r}")


@test
def run__broken_referrers_tag_matters_only_when_verifying(ctx):
    """A referrers tag that is no index (here a manifest) is refused by a
    verified run, in one line naming it, and left out unverified."""
    ref = publish(ctx, "g/brokenref", ctx.key)
    sig, mt = ctx.api.manifest("g/brokenref", sig_tag(ctx.digest))
    ctx.api.put_manifest("g/brokenref", referrers_tag(ctx.digest), sig, mt)
    store = empty_store(ctx, "brokenref")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub),
                   "broken referrers tag",
                   f"referrers tag {referrers_tag(ctx.digest)}: media type")
    ok(runner(ctx, run_args(ref, "--verify-image=false"), store),
       "--verify-image=false with a broken referrers tag")


@test
def run__allowed_gadgets(ctx):
    ref = publish(ctx, "g/allowed", ctx.key)
    store = empty_store(ctx, "allowed")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub,
                                        "--allowed-gadgets",
                                        f"{ctx.reg.host}/g/other:v1"),
                   "allowed-gadgets", "not in --allowed-gadgets", ctx.digest)
    refused_intact(ctx, store, run_args(ref, "--verify-image=false",
                                        "--allowed-gadgets",
                                        f"{ctx.reg.host}/x/*"),
                   "allowed-gadgets prefix", "not in --allowed-gadgets")
    # an empty list allows every image, as in ig (its flag is a list)
    for allowed in (ref, ctx.digest, f"{ctx.reg.host}/g/allow*",
                    f"x:v1,{ref}@{ctx.digest}", ""):
        s = new_store(ctx, "allowed-ok")
        ok(runner(ctx, run_args(ref, "--public-keys", ctx.pub,
                                "--allowed-gadgets", allowed), s),
           f"allowed {allowed}")


def tamper(ctx, repo, edit):
    """Push a changed copy of the signed image repo:v1 under the same tag,
    with the original signature copied to the new digest's .sig tag (what
    an attacker would try).  edit(kind, bytes) changes blobs."""
    idx_raw, _ = ctx.api.manifest(repo, "v1")
    idx = json.loads(idx_raw)
    new_manifests = []
    for d in idx["manifests"]:
        m_raw, _ = ctx.api.manifest(repo, d["digest"])
        m = json.loads(m_raw)
        for part in [m["config"]] + m["layers"]:
            data = ctx.api.blob(repo, part["digest"])
            kind = "config" if part is m["config"] else "layer"
            new = edit(kind, data)
            if new != data:
                part["digest"] = ctx.api.put_blob(repo, new)
                part["size"] = len(new)
        new_raw = edit("manifest", env._compact(m))
        nd = ctx.api.put_manifest(repo, sha(new_raw), new_raw, env.MT_MANIFEST)
        new_manifests.append(dict(d, digest=nd, size=len(new_raw)))
    idx["manifests"] = new_manifests
    new_idx = env._compact(idx)
    check(new_idx != idx_raw, "nothing was changed")
    digest = ctx.api.put_manifest(repo, "v1", new_idx, env.MT_INDEX)
    sig, mt = ctx.api.manifest(repo, sig_tag(ctx.digest))
    ctx.api.put_manifest(repo, sig_tag(digest), sig, mt)
    return digest


def tamper_case(ctx, name, edit):
    ref = publish(ctx, f"g/t-{name}", ctx.key)
    digest = tamper(ctx, f"g/t-{name}", edit)
    store = empty_store(ctx, f"t-{name}")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub),
                   f"tampered {name}", digest,
                   f"the signed payload is for {ctx.digest}")


@test
def run__tampered_config_refused(ctx):
    tamper_case(ctx, "config", lambda kind, b:
                b + b"\n# changed\n" if kind == "config" else b)


@test
def run__tampered_layer_refused(ctx):
    tamper_case(ctx, "layer", lambda kind, b:
                b + b"\0" if kind == "layer" else b)


@test
def run__tampered_manifest_refused(ctx):
    def edit(kind, b):
        if kind != "manifest":
            return b
        m = json.loads(b)
        m["annotations"]["org.opencontainers.image.description"] = "evil"
        return env._compact(m)
    tamper_case(ctx, "manifest", edit)


@test
def run__tampered_payload_refused(ctx):
    repo = "g/t-payload"
    ref = publish(ctx, repo)
    m = py_sig_manifest(ctx.api, repo, ctx.digest, ctx.key,
                        f"{ctx.reg.host}/{repo}", MT_OCI_CONFIG, tamper=True)
    ctx.api.put_manifest(repo, sig_tag(ctx.digest), m, env.MT_MANIFEST)
    store = empty_store(ctx, "t-payload")
    refused_intact(ctx, store, run_args(ref, "--public-keys", ctx.pub),
                   "tampered payload", ctx.digest, "does not verify")


def pushed_with_sig_of(ctx, repo, signed):
    """Another image A pushed as repo:v1, its signature tag holding the
    signature of the built image kept in repo signed: (A's reference, its
    digest)."""
    a_store = new_store(ctx, f"{repo.replace('/', '-')}-src")
    a_ref = f"{ctx.reg.host}/{repo}:v1"
    tar = os.path.join(ctx.tmp, f"{repo.replace('/', '-')}.tar")
    a = env.gadget_tar(tar, a_ref, f"name: {repo}\n",
                       {"amd64": b"\x7fELF-not-loaded", "arm64": b"x"})
    ok(runner(ctx, ["image", "import", tar], a_store), "import A")
    ok(runner(ctx, ["image", "push", a_ref], a_store), "push A")
    sig, mt = ctx.api.manifest(signed, sig_tag(ctx.digest))
    for part in [json.loads(sig)["config"]] + json.loads(sig)["layers"]:
        ctx.api.put_blob(repo, ctx.api.blob(signed, part["digest"]))
    ctx.api.put_manifest(repo, sig_tag(a), sig, mt)
    return a_ref, a


@test
def run__signature_of_another_digest_refused(ctx):
    # a signed image B, and its signature copied to image A's tag
    publish(ctx, "g/another-b", ctx.key)
    a_ref, a = pushed_with_sig_of(ctx, "g/another", "g/another-b")
    store = empty_store(ctx, "another")
    refused_intact(ctx, store, run_args(a_ref, "--public-keys", ctx.pub),
                   "signature of another digest", a,
                   f"the signed payload is for {ctx.digest}")


@test
def tag_then_push__the_signature_of_the_same_digest_goes_along(ctx):
    """`image sign SRC`, `image tag SRC DST`, `image push DST`: SRC's
    signatures (the legacy tag and the bundle) are of DST's digest, so
    they go to DST's repository (ig's store keeps signatures by digest
    alone: a tag verifies as its source does), and a pull of DST verifies
    with the key, each form; a stored signature whose payload names
    another digest stays behind."""
    store = new_store(ctx, "carry")
    tar = os.path.join(ctx.tmp, "clean.tar")
    ok(runner(ctx, ["image", "import", tar], store), "import")
    src = f"{ctx.reg.host}/g/carry-src:v1"
    dst = f"{ctx.reg.host}/g/carry-dst:v1"
    ok(runner(ctx, ["image", "tag", ctx.base, src], store), "tag src")
    ok(runner(ctx, ["image", "sign", src, "--key", ctx.key], store), "sign")
    ok(runner(ctx, ["image", "tag", src, dst], store), "tag dst")
    ok(runner(ctx, ["image", "push", dst], store), "push dst")
    check(not ctx.api.has_manifest("g/carry-src", "v1"), "src was pushed")
    payload = py_verify(ctx.api, "g/carry-dst", "v1", ctx.pub)
    eq(payload["critical"]["image"]["docker-manifest-digest"], ctx.digest,
       "signed digest")
    idx = json.loads(ctx.api.manifest("g/carry-dst",
                                      referrers_tag(ctx.digest))[0])
    eq([d["artifactType"] for d in idx["manifests"]], [MT_BUNDLE],
       "the referrers pushed")
    pulled = new_store(ctx, "carry-pulled")
    ok(runner(ctx, ["image", "pull", dst], pulled), "pull dst")
    out = ok(runner(ctx, ["image", "verify", dst, "--public-keys", ctx.pub],
                    pulled), "verify dst")
    eq(verified_forms(out), ["cosign signature", "sigstore bundle"],
       f"{out!r}")
    # image A whose signature tag holds a signature of the built image
    a_ref, a = pushed_with_sig_of(ctx, "g/carry-a", "g/carry-dst")
    store = new_store(ctx, "carry-other-pulled")
    ok(runner(ctx, ["image", "pull", a_ref], store), "pull A")
    with open(os.path.join(store, "index.json")) as f:
        names = [m.get("annotations", {}).get(
            "org.opencontainers.image.ref.name")
            for m in json.load(f)["manifests"]]
    check(f"{ctx.reg.host}/g/carry-a:{sig_tag(a)}" in names,
          f"the pull did not keep A's signature tag: {names}")
    a2 = f"{ctx.reg.host}/g/carry-a2:v1"
    ok(runner(ctx, ["image", "tag", a_ref, a2], store), "tag A")
    ok(runner(ctx, ["image", "push", a2], store), "push A's tag")
    check(ctx.api.has_manifest("g/carry-a2", "v1"), "A's tag not pushed")
    check(not ctx.api.has_manifest("g/carry-a2", sig_tag(a)),
          "a signature of another digest went along")


@test
def run__stored_unsigned_image_refused_built_one_runs(ctx):
    # an image that came by import is not built here: refused offline
    tar = os.path.join(ctx.tmp, "unsigned.tar")
    ok(runner(ctx, ["image", "export", ctx.base, tar], ctx.build), "export")
    store = new_store(ctx, "imported-unsigned")
    ok(runner(ctx, ["image", "import", tar], store), "import")
    refused_intact(ctx, store, run_args(ctx.base, "--pull", "never",
                                        "--public-keys", ctx.pub),
                   "imported unsigned", ctx.digest, "no signature")
    # the store that built it runs it without any key
    ok(runner(ctx, run_args(ctx.base, "--pull", "never"), ctx.build),
       "built here")


# ---- offline: export / import carry the signature ----

def signed_tar(ctx, name):
    """The built image tagged reg/g/NAME:v1, signed with the trusted key
    and exported with its signatures: its reference and the tar."""
    ref = f"{ctx.reg.host}/g/{name}:v1"
    ok(runner(ctx, ["image", "tag", ctx.base, ref], ctx.build), "tag")
    ok(runner(ctx, ["image", "sign", ref, "--key", ctx.key], ctx.build),
       "sign")
    tar = os.path.join(ctx.tmp, f"{name}.tar")
    ok(runner(ctx, ["image", "export", ref, tar], ctx.build), "export")
    return ref, tar


@test
def export_import__signature_travels_verifies_offline(ctx):
    ref, tar = signed_tar(ctx, "offline")
    store = new_store(ctx, "offline")
    out = ok(runner(ctx, ["image", "import", tar], store), "import")
    eq(out, f"Successfully imported images:\n  {ref}\n", "import names the image, not its "
       "signatures")
    lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"], store),
                        "list"))
    eq([(e["reference"], e["signed"]) for e in lst], [(ref, True)],
       "the signature travelled")
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify")
    check("cosign signature" in out and "sigstore bundle" in out,
          f"verify: {out!r}")
    # ig's lines around ours, the image as given
    lines = out.splitlines()
    eq(lines[0], f"Verifying image: {ref}", "ig's first line")
    eq(lines[-1], "Image verified successfully!", "ig's last line")
    eq(len(lines), 4, f"a line for each form between: {out!r}")
    refused(runner(ctx, ["image", "verify", ref, "--public-keys",
                         ctx.other_pub], store), "verify other key",
            ctx.digest, "does not verify",
            stdout=f"Verifying image: {ref}\n")
    ok(runner(ctx, run_args(ref, "--pull", "never", "--public-keys",
                            ctx.pub), store), "run offline")


def store_opens(trace, store):
    """The store's files a run under strace -e openat opened (relative
    paths, as often as opened)."""
    with open(trace) as f:
        return [line.split(f'"{store}/', 1)[1].split('"', 1)[0]
                for line in f
                if f'"{store}/' in line and "ENOENT" not in line]


@test
def run_verify__store_of_many_images__no_other_image_read(ctx):
    """run and image verify of a signed image in a store of many other
    images open only that image's blobs and its signatures': its
    signatures, found by their tags, are looked up in index.json, not by
    reading every stored image's manifest (which made a run's start-up grow
    with the store); index.json is read once, not once per lookup."""
    ref, tar = signed_tar(ctx, "many")
    with tarfile.open(tar) as t:
        own = {os.path.basename(n) for n in t.getnames()
               if n.startswith("blobs/sha256/") and n.count("/") == 2}
    store = new_store(ctx, "many")
    ok(runner(ctx, ["image", "import", tar], store), "import")
    for i in range(12):
        other = os.path.join(ctx.tmp, f"other{i}.tar")
        env.gadget_tar(other, f"{ctx.reg.host}/g/other{i}:v1",
                       f"name: other {i}\n", {"amd64": b"prog%d" % i})
        ok(runner(ctx, ["image", "import", other], store), "import other")
    trace = os.path.join(ctx.tmp, "many.strace")
    strace = ["strace", "-f", "-qq", "-e", "trace=openat", "-o", trace]
    for what, args in (
            ("verify", ["image", "verify", ref, "--public-keys", ctx.pub]),
            ("run", ["run", ref, "-o", "json", "--timeout", "1",
                     "--pull", "never", "--public-keys", ctx.pub])):
        ok(runner(ctx, args, store, prefix=strace), what)
        files = store_opens(trace, store)
        opened = {os.path.basename(p) for p in files
                  if p.startswith("blobs/sha256/")}
        check(opened, f"{what}: no blob opened: strace saw nothing")
        eq(files.count("index.json"), 1, f"{what}: index.json reads")
        eq(sorted(opened - own), [],
           f"{what}: blobs opened that are not the image's or its "
           "signatures'")


# ---- interoperability ----

@test
def interop__python_signature_verifies_with_runner(ctx):
    ref = publish(ctx, "g/pysigned")
    py_sign(ctx.api, "g/pysigned", ctx.digest, ctx.key,
            f"{ctx.reg.host}/g/pysigned")
    store = new_store(ctx, "pysigned")
    ok(runner(ctx, run_args(ref, "--public-keys", ctx.pub), store),
       "run a Python-signed image")
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify")
    check("Verified" in out, out)
    # signed by Python with the other key: refused
    ref2 = publish(ctx, "g/pysigned-other")
    py_sign(ctx.api, "g/pysigned-other", ctx.digest, ctx.other_key,
            f"{ctx.reg.host}/g/pysigned-other")
    store = empty_store(ctx, "pysigned-other")
    refused_intact(ctx, store, run_args(ref2, "--public-keys", ctx.pub),
                   "python, other key", "does not verify")


@test
def interop__runner_signature_verifies_with_python(ctx):
    ref = publish(ctx, "g/runnersigned", ctx.key)
    p = py_verify(ctx.api, "g/runnersigned", "v1", ctx.pub)
    eq(p["critical"]["identity"]["docker-reference"],
       f"{ctx.reg.host}/g/runnersigned", "docker-reference")
    try:
        py_verify(ctx.api, "g/runnersigned", "v1", ctx.other_pub)
        raise Fail("verified with the other key")
    except Fail as e:
        check("no layer verifies" in str(e), str(e))
    check(ref, "ref")


@test
def interop__skopeo_reads_the_signature_tag(ctx):
    publish(ctx, "g/skopeo", ctx.key)
    tags = json.loads(subprocess.run(
        ["skopeo", "list-tags", "--tls-verify=false",
         f"docker://{ctx.reg.host}/g/skopeo"], check=True,
        capture_output=True, text=True).stdout)["Tags"]
    check(sig_tag(ctx.digest) in tags, f"tags: {tags}")
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--tls-verify=false",
         f"docker://{ctx.reg.host}/g/skopeo:{sig_tag(ctx.digest)}"],
        capture_output=True, text=True)
    check(raw.returncode == 0, f"skopeo: {raw.stderr[-300:]}")
    m = json.loads(raw.stdout)
    eq(m["layers"][0]["mediaType"], MT_SIMPLESIGNING, "layer media type")
    check(ANN_SIGNATURE in m["layers"][0]["annotations"], "annotation")
    eq(m["config"]["mediaType"], MT_OCI_CONFIG, "config media type")


def py_verify_bundles(reg, repo, idx, pub_path):
    """Check every bundle referrer idx lists with Python; their count."""
    with open(pub_path, "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    found = 0
    for d in idx["manifests"]:
        eq(d["artifactType"], MT_BUNDLE, "artifactType")
        raw, _ = reg.manifest(repo, d["digest"])
        m = json.loads(raw)
        eq(m["subject"]["digest"], sha(reg.manifest(repo, "v1")[0]),
           "subject")
        bundle = json.loads(reg.blob(repo, m["layers"][0]["digest"]))
        eq(bundle["mediaType"], MT_BUNDLE, "mediaType")
        envl = bundle["dsseEnvelope"]
        eq(envl["payloadType"], MT_INTOTO, "payloadType")
        payload = base64.b64decode(envl["payload"])
        sig = base64.b64decode(envl["signatures"][0]["sig"])
        pub.verify(sig, pae(envl["payloadType"], payload),
                   ec.ECDSA(hashes.SHA256()))
        st = json.loads(payload)
        eq(st["subject"][0]["digest"]["sha256"], m["subject"]["digest"][7:],
           "statement subject")
        found += 1
    return found


@test
def push__registry_without_referrers_api_gets_the_referrers_tag(ctx):
    """Debian's docker-registry has no referrers API: the bundle goes to
    the referrers tag schema (an index under sha256-<hex>), merged with
    what is there, and comes back with a pull."""
    repo = "g/referrers"
    ref = f"{ctx.reg.host}/{repo}:v1"
    ok(runner(ctx, ["image", "tag", ctx.base, ref], ctx.build), "tag")
    ok(runner(ctx, ["image", "sign", ref, "--key", ctx.key], ctx.build),
       "sign")
    ok(runner(ctx, ["image", "push", ref], ctx.build), "push")
    st, _, _ = ctx.api.req("GET", f"/v2/{repo}/referrers/{ctx.digest}")
    check(st != 200, f"the registry answers the referrers API ({st})")
    check(ctx.api.has_manifest(repo, sig_tag(ctx.digest)),
          "the signature tag was pushed")
    # another client's referrer already there stays; ours is added once
    other = py_oci11_sign(ctx.api, repo, ctx.digest, ctx.other_key, ref)
    for i in range(2):
        ok(runner(ctx, ["image", "push", ref], ctx.build), f"push {i}")
    idx = json.loads(ctx.api.manifest(repo, referrers_tag(ctx.digest))[0])
    check(other in [d["digest"] for d in idx["manifests"]], "theirs kept")
    eq(len(idx["manifests"]), 2, "ours listed once")
    eq(py_verify_bundles(ctx.api, repo, dict(idx, manifests=[
        d for d in idx["manifests"] if d["artifactType"] == MT_BUNDLE]),
        ctx.pub), 1, "bundles that verify with Python")
    store = new_store(ctx, "referrers-tag")
    ok(runner(ctx, ["image", "pull", ref], store), "pull")
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify")
    check("sigstore bundle" in out, f"verify: {out!r}")


class ReferrersProxy(env.Proxy):
    """The registry behind a proxy that adds the OCI 1.1 referrers API:
    manifests pushed with a subject are listed as its referrers."""

    def __init__(self, upstream_port):
        self.referrers = {}  # (repo, subject digest) -> [descriptor]
        super().__init__(upstream_port)

    def _reply(self, h, status, body=b"", ctype=None, extra=None):
        h.send_response(status)
        if ctype:
            h.send_header("Content-Type", ctype)
        for k, v in (extra or {}).items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h):
        path = h.path.split("?")[0]
        if h.command == "GET" and "/referrers/sha256:" in path:
            repo, digest = path[4:].split("/referrers/")
            body = env._compact({
                "schemaVersion": 2, "mediaType": env.MT_INDEX,
                "manifests": self.referrers.get((repo, digest), [])})
            self._reply(h, 200, body, env.MT_INDEX)
            return
        if h.command == "PUT" and "/manifests/" in path:
            n = int(h.headers.get("Content-Length") or 0)
            body = h.rfile.read(n)
            c = http.client.HTTPConnection("127.0.0.1", self.upstream,
                                           timeout=30)
            c.request("PUT", h.path, body=body, headers={
                "Content-Type": h.headers.get("Content-Type")})
            r = c.getresponse()
            data = r.read()
            c.close()
            m = json.loads(body)
            if r.status == 201 and "subject" in m:
                repo = path[4:].split("/manifests/")[0]
                self.referrers.setdefault(
                    (repo, m["subject"]["digest"]), []).append({
                        "mediaType": m["mediaType"], "digest": sha(body),
                        "size": len(body),
                        "artifactType": m.get("artifactType")})
            self._reply(h, r.status, data, extra={
                "Docker-Content-Digest": sha(body)})
            return
        super()._handle(h)


@test
def push_pull__bundle_as_referrer_verifies_with_python(ctx):
    proxy = ReferrersProxy(ctx.reg.port)
    try:
        ref = f"{proxy.host}/g/bundle:v1"
        # the registry's upload URLs name itself, not the proxy
        flags = ["--insecure-registries", f"{proxy.host},{ctx.reg.host}"]
        ok(runner(ctx, ["image", "tag", ctx.base, ref], ctx.build), "tag")
        ok(runner(ctx, ["image", "sign", ref, "--key", ctx.key],
                  ctx.build), "sign")
        p = runner(ctx, ["image", "push", ref] + flags, ctx.build)
        ok(p, "push")
        check("referrers" not in p.stderr, f"stderr: {p.stderr!r}")
        check(proxy.referrers.get(("g/bundle", ctx.digest)),
              "no referrer pushed")
        # the bundle comes back with a pull and verifies offline
        store = new_store(ctx, "bundle-pull")
        ok(runner(ctx, ["image", "pull", ref] + flags, store), "pull")
    finally:
        proxy.stop()
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify the pulled image")
    check("sigstore bundle" in out, f"verify: {out!r}")
    # the referrers the store lists for the image, as pushed
    idx = json.loads(ok(runner(ctx, [
        "image", "inspect", f"{proxy.host}/g/bundle:"
        f"{ctx.digest.replace(':', '-')}"], ctx.build), "inspect"))
    check(py_verify_bundles(ctx.api, "g/bundle", idx["index"], ctx.pub) >= 1,
          "no bundle")


def push_proxied(ctx, proxy, repo):
    """The built image pushed unsigned as repo:v1 through proxy; its
    reference there and the flags to reach it."""
    ref = f"{proxy.host}/{repo}:v1"
    # the registry's upload URLs name itself, not the proxy
    flags = ["--insecure-registries", f"{proxy.host},{ctx.reg.host}"]
    ok(runner(ctx, ["image", "tag", ctx.base, ref], ctx.clean), "tag")
    ok(runner(ctx, ["image", "push", ref] + flags, ctx.clean), "push")
    return ref, flags


@test
def verify__attestation_bundle_is_not_a_signature(ctx):
    """An SBOM attestation of the image by the trusted key, a sigstore
    bundle kept as a referrer as cosign attest keeps it: `image verify`
    does not report it as a signature bundle."""
    proxy = ReferrersProxy(ctx.reg.port)
    try:
        repo = "g/attest"
        ref, flags = push_proxied(ctx, proxy, repo)
        py_sign(ctx.api, repo, ctx.digest, ctx.key, f"{proxy.host}/{repo}")
        py_bundle(ctx.api, repo, ctx.digest, ctx.key, f"{proxy.host}/{repo}",
                  predicate_type="https://cyclonedx.org/bom", tag=False,
                  via=Reg(proxy.host))
        check(proxy.referrers.get((repo, ctx.digest)), "no referrer")
        store = new_store(ctx, "attest-pull")
        ok(runner(ctx, ["image", "pull", ref] + flags, store), "pull")
    finally:
        proxy.stop()
    idx = json.loads(ok(runner(ctx, [
        "image", "inspect", f"{proxy.host}/{repo}:"
        f"{ctx.digest.replace(':', '-')}"], store), "inspect referrers"))
    eq(len(idx["index"]["manifests"]), 1, "the attestation was pulled")
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify")
    check("cosign signature" in out, f"verify: {out!r}")
    check("sigstore bundle" not in out, f"an SBOM taken as a signature: "
          f"{out!r}")


# ---- the OCI 1.1 forms ig verifies, made by Python ----

def verified_forms(out):
    """The forms `image verify` reports, one a line."""
    return [line.split(": ", 1)[1].split(" (")[0] if "(OCI" not in line
            else "oci 1.1" for line in out.splitlines()
            if line.startswith("Verified ")]


def one_form(ctx, repo, sign, form, what):
    """repo:v1 signed by sign(repo) in one form alone, with the trusted
    key: runs with it, `image verify` names that form only, and another
    key is refused in one line naming what; returns the store."""
    ref = publish(ctx, repo)
    sign(repo)
    store = new_store(ctx, repo.replace("/", "-"))
    ok(runner(ctx, run_args(ref, "--public-keys", ctx.pub), store),
       f"run an image signed as {form}")
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    store), "verify")
    eq(verified_forms(out), [form], f"verify: {out!r}")
    refused_intact(ctx, empty_store(ctx, repo.replace("/", "-") + "-other"),
                   run_args(ref, "--public-keys", ctx.other_pub),
                   f"{form}, other key", ctx.digest, what,
                   "does not verify with", ctx.other_pub)
    return ref, store


def refused_form(ctx, repo, sign, what, *needles):
    """repo:v1 signed by sign(repo) badly: refused in one line."""
    ref = publish(ctx, repo)
    sign(repo)
    refused_intact(ctx, empty_store(ctx, repo.replace("/", "-")),
                   run_args(ref, "--public-keys", ctx.pub), what,
                   ctx.digest, *needles)


@test
def run__oci11_signature_under_referrers_tag(ctx):
    """cosign's OCI 1.1 signature, found through the referrers tag (the
    registry has no referrers API): runs with its key, refused with
    another or tampered; the image lists as signed."""
    def sign(repo, **kw):
        py_oci11_sign(ctx.api, repo, ctx.digest, ctx.key,
                      f"{ctx.reg.host}/{repo}", **kw)
    ref, store = one_form(ctx, "g/oci11", sign, "oci 1.1",
                          "OCI 1.1 signature")
    lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"], store),
                        "list"))
    eq([(e["reference"], e["signed"]) for e in lst], [(ref, True)],
       "listed once, signed")
    refused_form(ctx, "g/oci11-tampered", lambda r: sign(r, tamper=True),
                 "OCI 1.1, tampered payload", "OCI 1.1 signature",
                 "does not verify with")


@test
def run__bundle_under_referrers_tag(ctx):
    """A sigstore bundle alone, found through the referrers tag: runs
    with its key; another key, a tampered statement, an attestation in
    place of a signature are refused."""
    def sign(repo, **kw):
        py_bundle(ctx.api, repo, ctx.digest, ctx.key,
                  f"{ctx.reg.host}/{repo}", **kw)
    one_form(ctx, "g/bundle-tag", sign, "sigstore bundle", "sigstore bundle")
    refused_form(ctx, "g/bundle-tampered", lambda r: sign(r, tamper=True),
                 "bundle, tampered", "sigstore bundle",
                 "does not verify with")
    refused_form(ctx, "g/bundle-sbom", lambda r: sign(
        r, predicate_type="https://cyclonedx.org/bom"),
        "bundle, an attestation", "no signature")


@test
def run__oci11_signature_through_referrers_api(ctx):
    """A registry with the referrers API lists cosign's OCI 1.1 signature
    by its subject (no referrers tag): pulled with the image, verified."""
    proxy = ReferrersProxy(ctx.reg.port)
    try:
        repo = "g/oci11-api"
        ref, flags = push_proxied(ctx, proxy, repo)
        py_oci11_sign(ctx.api, repo, ctx.digest, ctx.key, ref, tag=False,
                      via=Reg(proxy.host))
        check(proxy.referrers.get((repo, ctx.digest)), "no referrer")
        check(not ctx.api.has_manifest(repo, referrers_tag(ctx.digest)),
              "a referrers tag")
        store = new_store(ctx, "oci11-api")
        ok(runner(ctx, run_args(ref, "--public-keys", ctx.pub) + flags,
                  store), "run")
        refused_intact(ctx, empty_store(ctx, "oci11-api-other"),
                       run_args(ref, "--public-keys", ctx.other_pub) + flags,
                       "other key", "OCI 1.1 signature", "does not verify")
    finally:
        proxy.stop()


@test
def oci11_signature_travels_with_export_import_and_push(ctx):
    """An image pulled with its OCI 1.1 signature and bundle (no legacy
    tag) is exported, imported elsewhere and verified offline, then pushed
    to another repository, where a pull verifies it again."""
    repo = "g/oci11-travel"
    ref = publish(ctx, repo)
    ident = f"{ctx.reg.host}/{repo}"
    py_oci11_sign(ctx.api, repo, ctx.digest, ctx.key, ident)
    py_bundle(ctx.api, repo, ctx.digest, ctx.key, ident)
    src = new_store(ctx, "oci11-travel-src")
    ok(runner(ctx, ["image", "pull", ref], src), "pull")
    tar = os.path.join(ctx.tmp, "oci11.tar")
    ok(runner(ctx, ["image", "export", ref, tar], src), "export")
    dst = new_store(ctx, "oci11-travel-dst")
    eq(ok(runner(ctx, ["image", "import", tar], dst), "import"),
       f"Successfully imported images:\n  {ref}\n",
       "import names the image only")
    out = ok(runner(ctx, ["image", "verify", ref, "--public-keys", ctx.pub],
                    dst), "verify the import")
    eq(verified_forms(out), ["oci 1.1", "sigstore bundle"], f"{out!r}")
    ok(runner(ctx, run_args(ref, "--pull", "never", "--public-keys",
                            ctx.pub), dst), "run the import offline")
    copy = f"{ctx.reg.host}/g/oci11-copy:v1"
    ok(runner(ctx, ["image", "push", ref, copy], dst), "push elsewhere")
    idx = json.loads(ctx.api.manifest("g/oci11-copy",
                                      referrers_tag(ctx.digest))[0])
    eq(sorted(d["artifactType"] for d in idx["manifests"]),
       [MT_SIG_ARTIFACT, MT_BUNDLE], "the referrers pushed")
    ok(runner(ctx, run_args(copy, "--public-keys", ctx.pub),
              new_store(ctx, "oci11-copy")), "run the copy")


def py_cosign_add(reg, repo, digest, key_path, identity):
    """Add a signature by key_path to the registry's legacy signature
    manifest of digest, as cosign sign does (a layer appended, the
    config's diff_ids following)."""
    old = json.loads(reg.manifest(repo, sig_tag(digest))[0])
    layer = json.loads(py_sig_manifest(reg, repo, digest, key_path, identity,
                                       MT_OCI_CONFIG))["layers"][0]
    layers = old["layers"] + [layer]
    config = json.dumps({"architecture": "", "os": "", "config": {},
                         "rootfs": {"type": "layers", "diff_ids":
                                    [x["digest"] for x in layers]}}).encode()
    old["config"] = {"mediaType": MT_OCI_CONFIG, "size": len(config),
                     "digest": reg.put_blob(repo, config)}
    old["layers"] = layers
    reg.put_manifest(repo, sig_tag(digest), json.dumps(old).encode(),
                     env.MT_MANIFEST)


@test
def push__keeps_the_registry_s_other_signatures(ctx):
    """cosign signs an image we pushed with another key (a layer added to
    its sha256-<hex>.sig); our push of the image again (a new tag, from a
    store that never saw that signature) adds our signature to the
    registry's instead of replacing it: both keys verify a pull."""
    ref = publish(ctx, "g/cosigned", ctx.key)
    py_cosign_add(ctx.api, "g/cosigned", ctx.digest, ctx.other_key,
                  f"{ctx.reg.host}/g/cosigned")
    v2 = f"{ctx.reg.host}/g/cosigned:v2"
    ok(runner(ctx, ["image", "tag", ref, v2], ctx.build), "tag")
    ok(runner(ctx, ["image", "push", v2], ctx.build), "push again")
    layers = json.loads(ctx.api.manifest("g/cosigned",
                                         sig_tag(ctx.digest))[0])["layers"]
    eq(len(layers), 2, "signature layers in the registry")
    store = new_store(ctx, "cosigned")
    ok(runner(ctx, ["image", "pull", v2], store), "pull")
    for pub in (ctx.pub, ctx.other_pub):
        out = ok(runner(ctx, ["image", "verify", v2, "--public-keys", pub],
                        store), f"verify with {pub}")
        check("cosign signature" in out, f"verify with {pub}: {out!r}")
    # pushed once more: nothing new to add, still both
    ok(runner(ctx, ["image", "push", v2], store), "push the pulled image")
    eq(json.loads(ctx.api.manifest("g/cosigned", sig_tag(ctx.digest))[0])
       ["layers"], layers, "layers after a push that adds nothing")


@test
def sign__key_formats(ctx):
    ref = f"{ctx.reg.host}/g/keys:v1"
    ok(runner(ctx, ["image", "tag", ctx.base, ref], ctx.build), "tag")
    # SEC1 "EC PRIVATE KEY" as openssl writes it
    sec1 = os.path.join(ctx.tmp, "sec1.key")
    subprocess.run(["openssl", "ec", "-in", ctx.key, "-out", sec1],
                   check=True, capture_output=True)
    with open(sec1) as f:
        check("BEGIN EC PRIVATE KEY" in f.read(), "not SEC1")
    ok(runner(ctx, ["image", "sign", ref, "--key", sec1], ctx.build),
       "sign SEC1")
    bad = os.path.join(ctx.tmp, "cosign.key")
    with open(bad, "w") as f:
        f.write("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
                "eyJrZGYiOnt9fQ==\n"
                "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n")
    refused(runner(ctx, ["image", "sign", ref, "--key", bad], ctx.build),
            "cosign key", "not supported")


if __name__ == "__main__":
    main(setup, teardown)
