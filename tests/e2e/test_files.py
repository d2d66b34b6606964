#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Files the runner writes for the user (exports, auth files): a temp file
renamed over the target only when the target is a regular file of ours;
device nodes and FIFOs written through, symlinks followed, folders and
sockets refused; nothing the user had is replaced or lost.  The store's
own files are always replaced, never written through a link."""
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tarfile
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, RUNNER, check, eq, main, test  # noqa: E402
import registry_env as renv  # noqa: E402

REF = "files.test/gadget:v1"


class Ctx:
    pass


def setup():
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="files-e2e-")
    ctx.store = os.path.join(ctx.tmp, "store")
    ctx.registry = None
    try:
        run(ctx, ["image", "build", f"{ROOT}/examples/trace_exec", "-t",
                  REF], want=0)
        ctx.users = {"alice": "s3cret"}
        ctx.registry = renv.Registry(ctx.tmp, "basic",
                                     htpasswd_users=ctx.users)
    except BaseException:
        teardown(ctx)
        raise
    return ctx


def teardown(ctx):
    if ctx.registry:
        ctx.registry.stop()
    shutil.rmtree(ctx.tmp, ignore_errors=True)


def run(ctx, args, want=None, input=None):
    e = dict(os.environ, RUNNER_STORE=ctx.store, HOME=ctx.tmp)
    for k in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG", "XDG_RUNTIME_DIR"):
        e.pop(k, None)
    p = subprocess.run([RUNNER] + args, capture_output=True, text=True,
                       env=e, input=input, timeout=120)
    if want is not None:
        eq(p.returncode, want, f"`runner {' '.join(args)}` exit status "
           f"({p.stderr.strip()})")
    return p


def is_gadget_tar(path):
    with tarfile.open(path) as t:
        return "index.json" in t.getnames()


@test
def export_onto_a_device_node_writes_through(ctx):
    dev = os.path.join(ctx.tmp, "null")
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    run(ctx, ["image", "export", REF, dev], want=0)
    st = os.lstat(dev)
    check(stat.S_ISCHR(st.st_mode), "the device node was replaced")
    eq(os.major(st.st_rdev), 1, "major")
    eq(os.minor(st.st_rdev), 3, "minor")
    eq([n for n in os.listdir(ctx.tmp) if ".tmp." in n], [],
       "temp files left")


@test
def export_into_a_fifo_streams_the_archive(ctx):
    fifo = os.path.join(ctx.tmp, "fifo")
    os.mkfifo(fifo)
    got = os.path.join(ctx.tmp, "from-fifo.tar")

    def reader():
        with open(fifo, "rb") as src, open(got, "wb") as dst:
            shutil.copyfileobj(src, dst)
    t = threading.Thread(target=reader)
    t.start()
    run(ctx, ["image", "export", REF, fifo], want=0)
    t.join(timeout=30)
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced")
    check(is_gadget_tar(got), "the reader got no OCI archive")


@test
def export_through_a_symlink_keeps_the_link(ctx):
    target = os.path.join(ctx.tmp, "real.tar")
    with open(target, "w") as f:
        f.write("old")
    link = os.path.join(ctx.tmp, "link.tar")
    os.symlink(target, link)
    run(ctx, ["image", "export", REF, link], want=0)
    check(os.path.islink(link), "the symlink was replaced")
    eq(os.readlink(link), target, "link target")
    check(is_gadget_tar(target), "the link's target holds no archive")
    # a link to a file that does not exist yet creates that file
    fresh = os.path.join(ctx.tmp, "fresh.tar")
    dangling = os.path.join(ctx.tmp, "dangling.tar")
    os.symlink(fresh, dangling)
    run(ctx, ["image", "export", REF, dangling], want=0)
    check(os.path.islink(dangling), "the dangling symlink was replaced")
    check(is_gadget_tar(fresh), "the dangling link's target not written")


@test
def export_onto_a_folder_or_socket_is_refused(ctx):
    folder = os.path.join(ctx.tmp, "folder")
    os.mkdir(folder)
    sock_path = os.path.join(ctx.tmp, "sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(sock_path)
    try:
        for path, why in ((folder, "Is a directory"), (sock_path, "socket")):
            p = run(ctx, ["image", "export", REF, path], want=1)
            lines = p.stderr.splitlines()
            eq(len(lines), 1, f"stderr lines: {p.stderr!r}")
            check(lines[0].startswith("runner: ") and why in lines[0],
                  f"error line: {lines[0]!r}")
        check(stat.S_ISSOCK(os.lstat(sock_path).st_mode), "socket replaced")
        eq(os.listdir(folder), [], "the folder's content")
    finally:
        s.close()


@test
def a_store_copied_with_hard_links_keeps_its_twin(ctx):
    """cp -al (a cheap backup): tag, remove and build in the copy change
    its own index.json and runner-built, never the original's, and never
    in place."""
    copy = os.path.join(ctx.tmp, "store-copy")
    subprocess.run(["cp", "-al", ctx.store, copy], check=True)
    before = {n: open(os.path.join(ctx.store, n), "rb").read()
              for n in ("index.json", "runner-built")}
    run(ctx, ["image", "tag", REF, "files.test/other:v1", "--store", copy],
        want=0)
    run(ctx, ["image", "remove", REF, "--store", copy], want=0)
    run(ctx, ["image", "build", f"{ROOT}/examples/trace_exec", "-t",
              "files.test/built:v1", "--store", copy], want=0)
    for n, b in before.items():
        eq(open(os.path.join(ctx.store, n), "rb").read(), b,
           f"the original's {n}")
    out = run(ctx, ["image", "list", "-o", "json"], want=0).stdout
    eq([i["reference"] for i in json.loads(out)], [REF], "original's images")
    out = run(ctx, ["image", "list", "-o", "json", "--store", copy],
              want=0).stdout
    eq({i["reference"]: i["builtHere"] for i in json.loads(out)},
       {"files.test/other:v1": True, "files.test/built:v1": True},
       "the copy's images")


@test
def login_through_a_symlinked_auth_file_keeps_the_link(ctx):
    real = os.path.join(ctx.tmp, "dotfiles-auth.json")
    with open(real, "w") as f:
        f.write('{"auths": {"other.test": {"auth": "eDp5"}}}\n')
    link = os.path.join(ctx.tmp, "auth.json")
    os.symlink(real, link)
    run(ctx, ["login", ctx.registry.host, "-u", "alice", "--password-stdin",
              "--authfile", link, "--insecure-registries",
              ctx.registry.host], want=0, input="s3cret\n")
    check(os.path.islink(link), "the symlinked auth file was replaced")
    import json
    auths = json.load(open(real))["auths"]
    check(ctx.registry.host in auths, "the new entry is not in the target")
    eq(auths.get("other.test"), {"auth": "eDp5"}, "the other entry")


if __name__ == "__main__":
    main(setup, teardown)
