#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`runner image build` as `ig image build` builds: build.yaml (or -f FILE)
naming the eBPF source, the metadata, clang flags and a prebuilt wasm
module; SOURCE_DATE_EPOCH for reproducible digests; gadget.yaml's own
annotations in the image, and the annotations on every descriptor ig puts
them on; a bad build.yaml or gadget folder is one error line and stores
nothing.  The images are read back from the store's blobs, and through a
real registry with skopeo.
"""
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, ROOT, check, eq, fails, main, ok,  # noqa
                     read_pty, test)
import registry_env as env  # noqa: E402

FIXTURE = os.path.join(ROOT, "tests", "fixtures", "raw_tp")
MT_WASM = "application/vnd.gadget.wasm.program.v1+binary"
WASM = b"\0asm\1\0\0\0"  # the smallest module: magic and version


class Ctx:
    pass


def setup():
    ctx = Ctx()
    ctx.tmp = tempfile.mkdtemp(prefix="runner-image-")
    ctx.store = os.path.join(ctx.tmp, "store")
    return ctx


def teardown(ctx):
    if ctx is not None:
        shutil.rmtree(ctx.tmp, ignore_errors=True)


def runner(ctx, args, extra=None):
    e = dict(os.environ)
    e.pop("SOURCE_DATE_EPOCH", None)
    e.update(extra or {})
    return subprocess.run([RUNNER] + args + ["--store", ctx.store],
                          capture_output=True, text=True, env=e, timeout=300)


def on_terminal(ctx, args):
    """runner's stdout on a terminal (a pty), as a user sees it."""
    import pty
    master, slave = pty.openpty()
    try:
        p = subprocess.run([RUNNER] + args + ["--store", ctx.store],
                           stdout=slave, stderr=subprocess.PIPE, text=True,
                           timeout=60)
    finally:
        os.close(slave)
        out = read_pty(master)
    eq(p.returncode, 0, f"{args}: {p.stderr}")
    return out.decode().replace("\r\n", "\n")


def blob(ctx, digest):
    with open(os.path.join(ctx.store, "blobs", "sha256", digest[7:]),
              "rb") as f:
        return f.read()


def stored_index(ctx, ref):
    """The digest and the parsed index the store's ref names."""
    out = ok(runner(ctx, ["image", "list", "-o", "json"]), "list")
    for e in json.loads(out):
        if e["reference"] == ref:
            return e["Digest"], json.loads(blob(ctx, e["Digest"]))
    raise AssertionError(f"{ref} not in the store: {out}")


def renamed_gadget(ctx, name):
    """raw_tp's gadget under other file names, its program compiling only
    with -DRUNNER_CFLAG, a wasm module, and gadget.yaml annotations."""
    d = os.path.join(ctx.tmp, name)
    os.makedirs(d)
    with open(os.path.join(FIXTURE, "program.bpf.c")) as f:
        src = f.read()
    with open(os.path.join(d, "other.bpf.c"), "w") as f:
        f.write("#ifndef RUNNER_CFLAG\n#error cflags were not passed\n"
                "#endif\n#ifdef RUNNER_INC\n#include <runner_inc.h>\n"
                "#endif\n" + src)
    # found only through build.yaml's -Iinc, relative to the folder
    os.makedirs(os.path.join(d, "inc"))
    with open(os.path.join(d, "inc", "runner_inc.h"), "w") as f:
        f.write("#define RUNNER_INC_FOUND 1\n")
    with open(os.path.join(FIXTURE, "gadget.yaml")) as f:
        meta = f.read()
    meta += ("annotations:\n  enable-containers-datasource: true\n"
             "  io.example/team: a team\n")
    with open(os.path.join(d, "meta.yaml"), "w") as f:
        f.write(meta)
    with open(os.path.join(d, "mod.wasm"), "wb") as f:
        f.write(WASM)
    return d, meta.encode()


@test
def build_yaml_names_source_metadata_cflags_and_wasm(ctx):
    d, meta = renamed_gadget(ctx, "renamed")
    spec = ("ebpfsource: other.bpf.c\nmetadata: meta.yaml\n"
            "cflags: -DRUNNER_CFLAG -DRUNNER_INC -Iinc\n"
            "wasm: mod.wasm\nsomething-newer: ignored\n")
    mine = os.path.join(ctx.tmp, "mybuild.yaml")  # -f: a file elsewhere
    with open(mine, "w") as f:
        f.write(spec)
    with open(os.path.join(d, "build.yaml"), "w") as f:
        f.write(spec)
    for how, args in (("-f", ["-f", mine]), ("DIR/build.yaml", [])):
        ref = f"localhost:5000/renamed:{'f' if args else 'dir'}"
        ok(runner(ctx, ["image", "build", d, "-t", ref] + args), how)
        _, idx = stored_index(ctx, ref)
        eq(sorted(m["platform"]["architecture"] for m in idx["manifests"]),
           ["amd64", "arm64"], f"{how}: platforms")
        for m in idx["manifests"]:
            man = json.loads(blob(ctx, m["digest"]))
            eq(blob(ctx, man["config"]["digest"]), meta,
               f"{how}: config is meta.yaml")
            eq([la["mediaType"] for la in man["layers"]],
               [env.MT_PROGRAM, MT_WASM], f"{how}: layers")
            wasm = man["layers"][1]
            eq(wasm["digest"], "sha256:" + hashlib.sha256(WASM).hexdigest(),
               f"{how}: wasm layer digest")
            eq(man["annotations"].get("enable-containers-datasource"),
               "true", f"{how}: gadget.yaml annotation")
            eq(man["annotations"].get("io.example/team"), "a team",
               f"{how}: gadget.yaml annotation")
    # what the build made runs: the wasm layer is not in the way
    p = subprocess.run([RUNNER, "run", "localhost:5000/renamed:dir",
                        "--store", ctx.store, "-o", "json",
                        "--max-events", "1", "--timeout", "20"],
                       capture_output=True, text=True, timeout=60)
    ok(p, "run")
    check(json.loads(p.stdout.splitlines()[0])["syscall_nr"] >= 0,
          p.stdout[:200])
    check("WebAssembly module is not run" in p.stderr, p.stderr)


@test
def build_output_keeps_the_objects_as_ig(ctx):
    """ig image build's -o/--output DIR (unknown here before): each
    architecture's object as DIR/<arch>.bpf.o, the bytes of that
    architecture's layer; kept too when the object then fails its checks
    (the thing to look at), and DIR must exist."""
    out = os.path.join(ctx.tmp, "objects")
    os.makedirs(out)
    ref = "localhost:5000/objects:v1"
    ok(runner(ctx, ["image", "build", FIXTURE, "-t", ref, "-o", out]),
       "build -o")
    eq(sorted(os.listdir(out)), ["amd64.bpf.o", "arm64.bpf.o"], "DIR")
    _, idx = stored_index(ctx, ref)
    for m in idx["manifests"]:
        arch = m["platform"]["architecture"]
        man = json.loads(blob(ctx, m["digest"]))
        with open(os.path.join(out, f"{arch}.bpf.o"), "rb") as f:
            eq(f.read(), blob(ctx, man["layers"][0]["digest"]),
               f"{arch}.bpf.o is the {arch} layer")
    # an object the metadata does not fit: no image, the objects kept
    d = os.path.join(ctx.tmp, "misfit")
    shutil.copytree(FIXTURE, d)
    with open(os.path.join(d, "gadget.yaml"), "a") as f:
        f.write("    no_such_variable:\n      key: nope\n")
    out2 = os.path.join(ctx.tmp, "objects-misfit")
    os.makedirs(out2)
    p = runner(ctx, ["image", "build", d, "-t", "localhost:5000/misfit:v1",
                     "-o", out2])
    check(p.returncode != 0, f"a misfit built: {p.stdout}")
    check("no_such_variable" in p.stderr, p.stderr)
    eq(sorted(os.listdir(out2)), ["amd64.bpf.o"],
       "the object that failed its check kept")
    fails(runner(ctx, ["image", "build", FIXTURE, "-t", ref, "-o",
                       os.path.join(ctx.tmp, "no-such-dir")]),
          "-o a missing folder", "-o ", "no-such-dir: No such file or "
          "directory")


@test
def annotations_on_every_descriptor_as_ig(ctx):
    """ig's build gives the index, each manifest, each manifest's
    descriptor in the index and the config's descriptor one map."""
    ok(runner(ctx, ["image", "build", FIXTURE, "-t", "ann:v1"]), "build")
    _, idx = stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/ann:v1")
    want = idx["annotations"]
    eq(want["org.opencontainers.image.title"], "raw tp fixture", "title")
    check(want["io.inspektor-gadget.builder.version"].startswith("runner-"),
          f"builder version: {want}")
    for m in idx["manifests"]:
        eq(m.get("annotations"), want, "descriptor in the index")
        man = json.loads(blob(ctx, m["digest"]))
        eq(man["annotations"], want, "manifest")
        eq(man["config"].get("annotations"), want, "config descriptor")


@test
def source_date_epoch_makes_the_same_digest(ctx):
    digests = []
    # read as ig's strconv.ParseInt(v, 10, 64): "01000" is 1000, not octal
    for tag, v in (("sde:a", "1000"), ("sde:b", "01000"), ("sde:d", "+1000")):
        sde = {"SOURCE_DATE_EPOCH": v}
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", tag], sde), tag)
        dg, idx = stored_index(ctx,
                               f"ghcr.io/inspektor-gadget/gadget/{tag}")
        eq(idx["annotations"]["org.opencontainers.image.created"],
           "1970-01-01T00:16:40Z", f"{tag}: created")
        digests.append(dg)
    eq(digests[0], digests[1], "digests of two builds")
    eq(digests[0], digests[2], "digests of two builds")
    before = env.store_snapshot(ctx.store)
    for bad in ("", "soon", "-1", "1e9", "253402300800", " 1000", "0x3e8",
                "1_000"):
        p = runner(ctx, ["image", "build", FIXTURE, "-t", "sde:c"],
                   {"SOURCE_DATE_EPOCH": bad})
        fails(p, f"SOURCE_DATE_EPOCH={bad!r}", "SOURCE_DATE_EPOCH", code=2)
    eq(env.store_snapshot(ctx.store), before, "store after refusals")


@test
def bad_build_yaml_or_folder_is_one_line_and_stores_nothing(ctx):
    d, _ = renamed_gadget(ctx, "bad")
    shutil.copy(os.path.join(FIXTURE, "program.bpf.c"), d)
    shutil.copy(os.path.join(FIXTURE, "gadget.yaml"), d)
    ok(runner(ctx, ["image", "build", d, "-t", "keep:v1"]), "first build")
    before = env.store_snapshot(ctx.store)
    by = os.path.join(d, "build.yaml")
    cases = [
        ("ebpfsource: [a\n", "build.yaml:2:1"),
        ("- ebpfsource\n", "must be a mapping"),
        ("ebpfsource: [a.c]\n", "ebpfsource must be a scalar"),
        ("metadata: ''\n", "metadata is empty"),
        ("ebpfsource: nope.bpf.c\n", "nope.bpf.c: No such file"),
        ("metadata: nope.yaml\n", "nope.yaml: No such file"),
        ("wasm: module.py\n", "unsupported wasm file type: module.py"),
        ("wasm: nope.wasm\n", "nope.wasm: No such file"),
        ("ebpfsource: other.bpf.c\n", "cflags were not passed"),
    ]
    for text, needle in cases:
        with open(by, "w") as f:
            f.write(text)
        p = runner(ctx, ["image", "build", d, "-t", "keep:v1"])
        # clang's own diagnostics come first; the runner says one line
        lines = p.stderr.strip().splitlines()
        eq(p.returncode, 1, f"{text!r}: exit ({p.stderr.strip()})")
        check(lines and lines[-1].startswith("runner: image build "),
              f"{text!r}: {p.stderr!r}")
        check(needle in p.stderr, f"{text!r}: {needle!r} not in "
              f"{p.stderr!r}")
        if "cflags" not in needle:
            fails(p, text, needle)
        eq(env.store_snapshot(ctx.store), before, f"{text!r}: store")
    os.unlink(by)
    p = runner(ctx, ["image", "build", d, "-f", by, "-t", "keep:v1"])
    fails(p, "-f of a missing file", "build.yaml: No such file")
    # a wasm source is not built here: said, and the eBPF image is made
    with open(by, "w") as f:
        f.write("wasm: go/program.go\n")
    p = runner(ctx, ["image", "build", d, "-t", "gowasm:v1"])
    ok(p, "wasm source")
    check("wasm go/program.go is not built" in p.stderr, p.stderr)
    _, idx = stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/gowasm:v1")
    man = json.loads(blob(ctx, idx["manifests"][0]["digest"]))
    eq([la["mediaType"] for la in man["layers"]], [env.MT_PROGRAM],
       "layers without a built module")


def todo_fields(*names):
    return "".join(f"      {n}:\n        annotations:\n          description:"
                   " 'TODO: Fill field description'\n" for n in names)


def todo_params(*names):
    return "".join(f"    {n}:\n      key: {n}\n      defaultValue: \"\"\n"
                   "      description: 'TODO: Fill parameter description'\n"
                   for n in names)


# What ig's `image build --update-metadata` writes for raw_tp's program
# and no gadget.yaml (checked against ig's code: types.Populate's
# placeholders for the five top-level scalars, every member of the
# tracer's struct, every GADGET_PARAM (gadget/filter.h's targ_* too);
# yaml.v2's Marshal: GadgetMetadata's struct order, map keys sorted,
# indent 2, defaultValue and description never omitted).
IG_RAW_TP = (
    "name: 'TODO: Fill the gadget name'\n"
    "description: 'TODO: Fill the gadget description'\n"
    "homepageURL: 'TODO: Fill the gadget homepage URL'\n"
    "documentationURL: 'TODO: Fill the gadget documentation URL'\n"
    "sourceURL: 'TODO: Fill the gadget source code URL'\n"
    "datasources:\n  sysenter:\n    fields:\n"
    + todo_fields("proc", "syscall_nr", "timestamp_raw")
    + "params:\n  ebpf:\n"
    + todo_params("syscall_nr", "targ_comm", "targ_gid", "targ_pid",
                  "targ_tid", "targ_uid"))
TARGS = ("targ_comm", "targ_gid", "targ_pid", "targ_tid", "targ_uid")


def gadget_dir(ctx, name, meta=None):
    """raw_tp's program in a folder of its own, with meta as gadget.yaml
    (None: none)."""
    d = os.path.join(ctx.tmp, name)
    os.makedirs(d)
    shutil.copy(os.path.join(FIXTURE, "program.bpf.c"), d)
    if meta is not None:
        with open(os.path.join(d, "gadget.yaml"), "w") as f:
            f.write(meta)
    return d


def stored_config(ctx, ref):
    """The gadget.yaml the stored image ref holds (its amd64 config)."""
    _, idx = stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/" + ref)
    man = json.loads(blob(ctx, idx["manifests"][0]["digest"]))
    return blob(ctx, man["config"]["digest"]).decode()


@test
def update_metadata_writes_igs_gadget_yaml_and_the_image_runs(ctx):
    """No gadget.yaml: --update-metadata writes ig's text, owned as its
    folder (ig's copyFileOwner), and builds the image with it, which
    runs."""
    d = gadget_dir(ctx, "fresh")
    os.chown(d, 4321, 4322)
    ok(runner(ctx, ["image", "build", d, "-t", "fresh:v1",
                    "--update-metadata"]), "build")
    path = os.path.join(d, "gadget.yaml")
    with open(path) as f:
        eq(f.read(), IG_RAW_TP, "gadget.yaml")
    st = os.stat(path)
    eq((st.st_uid, st.st_gid, st.st_mode & 0o7777), (4321, 4322, 0o644),
       "owner and mode")
    eq(sorted(os.listdir(d)), ["gadget.yaml", "program.bpf.c"], "files")
    eq(stored_config(ctx, "fresh:v1"), IG_RAW_TP, "the image's config")
    p = runner(ctx, ["run", "fresh:v1", "-o", "json", "--max-events", "1",
                     "--timeout", "60"])
    e = json.loads(ok(p, "run").splitlines()[0])
    check(isinstance(e["syscall_nr"], int) and e["proc"]["pid"] > 0, e)
    # its params are flags under their keys, with the placeholder
    p = runner(ctx, ["run", "fresh:v1", "--help"])
    check("--targ_pid" in ok(p, "help") and
          "TODO: Fill parameter description" in p.stdout, p.stdout)


@test
def update_metadata_adds_what_is_missing_and_keeps_the_authors(ctx):
    """A gadget.yaml that lacks fields and params: they are added after
    the author's entries, which stay as written (the comments go, as in
    ig), with the file's mode and owner; a second update changes
    nothing."""
    with open(os.path.join(FIXTURE, "gadget.yaml")) as f:
        meta = f.read()
    d = gadget_dir(ctx, "partial", meta)
    path = os.path.join(d, "gadget.yaml")
    os.chmod(path, 0o600)
    os.chown(path, 4321, 4322)
    ok(runner(ctx, ["image", "build", d, "-t", "partial:v1",
                    "--update-metadata"]), "build")
    with open(path) as f:
        got = f.read()
    author = meta.split("\n", 1)[1]  # its SPDX comment goes
    fields, params = author.split("params:\n")
    want = (fields.replace("Number of the system call\n",
                           "Number of the system call\n"
                           + todo_fields("proc", "timestamp_raw"))
            + "params:\n" + params + todo_params(*TARGS))
    eq(got, want, "gadget.yaml")
    st = os.stat(path)
    eq((st.st_uid, st.st_gid, st.st_mode & 0o7777), (4321, 4322, 0o600),
       "owner and mode")
    eq(stored_config(ctx, "partial:v1"), want, "the image's config")
    # the author's param key and default still make the flag
    p = runner(ctx, ["run", "partial:v1", "--help"])
    check("--syscall" in ok(p, "help") and "default -1" in p.stdout,
          p.stdout)
    ok(runner(ctx, ["image", "build", d, "-t", "partial:v2",
                    "--update-metadata"]), "again")
    with open(path) as f:
        eq(f.read(), want, "gadget.yaml updated twice")


@test
def update_metadata_refuses_a_wrong_or_unwritable_gadget_yaml(ctx):
    """A gadget.yaml the program contradicts is refused in one line and
    left byte for byte; so is a folder that cannot be written (a
    read-only mount): nothing is stored, no file is left behind."""
    with open(os.path.join(FIXTURE, "gadget.yaml")) as f:
        meta = f.read() + "    nosuch:\n      key: nosuch\n"
    d = gadget_dir(ctx, "wrong", meta)
    before = env.store_snapshot(ctx.store)
    p = runner(ctx, ["image", "build", d, "-t", "wrong:v1",
                     "--update-metadata"])
    fails(p, "wrong gadget.yaml", "--update-metadata: ",
          "gadget.yaml is wrong, fix it first",
          "param nosuch has no GADGET_PARAM")
    with open(os.path.join(d, "gadget.yaml")) as f:
        eq(f.read(), meta, "the wrong gadget.yaml")
    eq(env.store_snapshot(ctx.store), before, "store")
    for name, m in (("rofresh", None), ("roold", meta.split("    nosuch")[0])):
        d = gadget_dir(ctx, name, m)
        script = ('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" '
                  '"$1" && shift && exec "$@"')
        p = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "sh", "-c", script,
             "sh", d, RUNNER, "image", "build", d, "-t", name + ":v1",
             "--update-metadata", "--store", ctx.store],
            capture_output=True, text=True, timeout=300)
        fails(p, name, "--update-metadata: ", "Read-only file system")
        eq(sorted(os.listdir(d)),
           (["gadget.yaml"] if m else []) + ["program.bpf.c"], "files")
        if m:
            with open(os.path.join(d, "gadget.yaml")) as f:
                eq(f.read(), m, "gadget.yaml in a read-only folder")
        eq(env.store_snapshot(ctx.store), before, f"{name}: store")


@test
def image_list_says_ages_as_ig_and_keeps_columns_aligned(ctx):
    """Ages in ig's words (go-units' HumanDuration); the images are built
    with SOURCE_DATE_EPOCH far from every boundary between two words."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "ages")
    try:
        now = int(time.time())
        # built a day ahead (another machine's clock): ig's words for
        # a negative age (it showed the time itself)
        ages = {"hour:v1": (4500, "about an hour ago"),
                "weeks:v1": (20 * 86400, "2 weeks ago"),
                "days:v1": (4 * 86400 + 7200, "4 days ago"),
                "ahead:v1": (-86400, "less than a second ago")}
        for tag, (age, _) in ages.items():
            ok(runner(ctx, ["image", "build", FIXTURE, "-t", tag],
                      {"SOURCE_DATE_EPOCH": str(now - age)}), tag)
        lines = on_terminal(ctx, ["image", "list"]).splitlines()
        head = lines[0]
        for ln in lines[1:]:
            tag = ln.split()[0] + ":" + ln.split()[1]
            eq(ln[head.index("CREATED"):], ages[tag][1], f"CREATED of {tag}")
            for col in ("TAG", "DIGEST", "CREATED"):
                at = head.index(col)
                check(ln[at - 1] == " " and ln[at] != " ",
                      f"{col} not aligned: {ln!r} under {head!r}")
        # ig's build writes its local time: the offset counts
        now = time.time()
        zoned = {
            "plus": (time.strftime("%Y-%m-%dT%H:%M:%S+05:00",
                                   time.gmtime(now - 2 * 3600 + 5 * 3600)),
                     "2 hours ago"),
            "minus": (time.strftime("%Y-%m-%dT%H:%M:%S.123-03:30",
                                    time.gmtime(now - 3 * 3600
                                                - 3.5 * 3600)),
                      "3 hours ago"),
        }
        # an offset that is not +HH:MM is no time: shown as it is
        bad = time.strftime("%Y-%m-%dT%H:%M:%S+ 5:00", time.gmtime(now))
        zoned["spaced"] = (bad, bad)
        for name, (created, _) in zoned.items():
            tar = os.path.join(ctx.tmp, f"zoned-{name}.tar")
            env.gadget_tar(tar, f"localhost:1/zoned/{name}:v1", "name: z\n",
                           {"amd64": name.encode()}, created=created)
            ok(runner(ctx, ["image", "import", tar]), f"import {name}")
        out = on_terminal(ctx, ["image", "list"])
        head = out.splitlines()[0]
        for ln in out.splitlines()[1:]:
            if "/zoned/" in ln:
                name = ln.split()[0].rsplit("/", 1)[1]
                eq(ln[head.index("CREATED"):], zoned[name][1],
                   f"CREATED of {zoned[name][0]}")
        # -o json on one line and -o jsonpretty, as ig's list
        one = ok(runner(ctx, ["image", "list", "-o", "json"]), "json")
        eq(len(one.splitlines()), 1, "json lines")
        pretty = ok(runner(ctx, ["image", "list", "-o", "jsonpretty"]),
                    "jsonpretty")
        check(len(pretty.splitlines()) > 3, pretty)
        eq(json.loads(pretty), json.loads(one), "jsonpretty")
        fails(runner(ctx, ["image", "list", "-o", "yaml"]), "-o yaml",
              "jsonpretty", code=2)
    finally:
        ctx.store = store


@test
def image_list_shows_what_igs_list_shows(ctx):
    """ig's list: the repository without ghcr.io/inspektor-gadget/gadget/,
    the whole digest and creation time when stdout is no terminal or with
    --no-trunc, 12 digits and an age on a terminal; its JSON keys."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "iglist")
    try:
        epoch = int(time.time()) - 3 * 86400 - 7200
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
        for ref in ("short:v1", "localhost:5000/ns/other:v2"):
            ok(runner(ctx, ["image", "build", FIXTURE, "-t", ref],
                      {"SOURCE_DATE_EPOCH": str(epoch)}), ref)
        lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"]),
                            "json"))
        digests = {e["reference"]: e["Digest"] for e in lst}
        ig = {"Repository", "Tag", "Digest", "Created"}
        eq(sorted((e["Repository"], e["Tag"], e["Created"]) for e in lst),
           [("localhost:5000/ns/other", "v2", created),
            ("short", "v1", created)], "ig's keys")
        for e in lst:
            check(e["Digest"].startswith("sha256:") and
                  len(e["Digest"]) == 71, f"whole digest: {e}")
            eq(sorted(k for k in e if k[0].isupper()), sorted(ig),
               "ig's keys, capitalised as its Go fields")
            check(not {k.lower() for k in ig} & set(e),
                  f"no other spelling of ig's keys: {e}")
        short = digests["ghcr.io/inspektor-gadget/gadget/short:v1"]
        other = digests["localhost:5000/ns/other:v2"]
        whole = [["localhost:5000/ns/other", "v2", other, created],
                 ["short", "v1", short, created]]
        for flags in ([], ["--no-trunc"]):
            out = ok(runner(ctx, ["image", "list"] + flags), "pipe")
            lines = out.splitlines()
            eq(lines[0].split(), ["REPOSITORY", "TAG", "DIGEST", "CREATED"],
               "header")
            eq(sorted(ln.split() for ln in lines[1:]), whole,
               f"into a pipe {flags}")
        eq(sorted(ln.split() for ln in on_terminal(
            ctx, ["image", "list", "--no-trunc"]).splitlines()[1:]),
           whole, "--no-trunc on a terminal")
        out = on_terminal(ctx, ["image", "list"])
        eq(sorted(ln.split(None, 3) for ln in out.splitlines()[1:]),
           [["localhost:5000/ns/other", "v2", other[7:19], "3 days ago"],
            ["short", "v1", short[7:19], "3 days ago"]], "on a terminal")
    finally:
        ctx.store = store


@test
def image_list_sorts_by_reference_as_ig(ctx):
    """ig lists its store's tags sorted (byte order of the whole
    reference), and its import names the archive's so; the list kept the
    order index.json has, the order the images came in, and import the
    archive's."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "sorted")
    try:
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "zeta:v1"]), "build")
        for ref in ("localhost:5000/b/c:v1", "alpha:v2", "alpha:v1",
                    "ghcr.io/a/b:v1"):
            ok(runner(ctx, ["image", "tag", "zeta:v1", ref]), ref)
        want = ["ghcr.io/a/b:v1", "ghcr.io/inspektor-gadget/gadget/alpha:v1",
                "ghcr.io/inspektor-gadget/gadget/alpha:v2",
                "ghcr.io/inspektor-gadget/gadget/zeta:v1",
                "localhost:5000/b/c:v1"]
        lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"]),
                            "json"))
        eq([e["reference"] for e in lst], want, "-o json")
        rows = ok(runner(ctx, ["image", "list"]), "columns").splitlines()
        eq([r.split()[:2] for r in rows[1:]],
           [["ghcr.io/a/b", "v1"], ["alpha", "v1"], ["alpha", "v2"],
            ["zeta", "v1"], ["localhost:5000/b/c", "v1"]], "columns")
        # import names what it stored in that order too (ig: the
        # archive's tags, sorted), whatever the archive's order
        tar = os.path.join(ctx.tmp, "sorted.tar")
        ok(runner(ctx, ["image", "export", "zeta:v1", "localhost:5000/b/c:v1",
                        "alpha:v1", tar]), "export")
        ctx.store = os.path.join(ctx.tmp, "sorted-import")
        got = ok(runner(ctx, ["image", "import", tar]), "import")
        eq(got, "Successfully imported images:\n" +
           "".join(f"  {r}\n" for r in (want[1], want[3], want[4])),
           "import")
        ctx.store = os.path.join(ctx.tmp, "sorted-import-json")
        got = ok(runner(ctx, ["image", "import", tar, "-o", "json"]), "json")
        eq(json.loads(got), [want[1], want[3], want[4]], "import -o json")
    finally:
        ctx.store = store


@test
def image_inspect_shows_igs_extra_info(ctx):
    """ig's inspect: jsonpretty by default; --extra-info KEY shows one of
    its oci.* entries, JSON and YAML ones as documents in the -o format,
    text ones as they are; a key not offered is one error line."""
    import yaml
    epoch = int(time.time()) - 86400
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    ok(runner(ctx, ["image", "build", FIXTURE, "-t", "insp:v3"],
              {"SOURCE_DATE_EPOCH": str(epoch)}), "build")
    out = ok(runner(ctx, ["image", "inspect", "insp:v3"]), "inspect")
    check(len(out.splitlines()) > 10, f"jsonpretty by default: {out[:200]}")
    doc = json.loads(out)
    eq(doc, json.loads(ok(runner(ctx, ["image", "inspect", "insp:v3", "-o",
                                       "json"]), "-o json")), "-o json")
    host = {"x86_64": "amd64", "aarch64": "arm64"}[os.uname().machine]
    man = [m["manifest"] for m in doc["manifests"]
           if m["platform"]["architecture"] == host][0]
    with open(os.path.join(FIXTURE, "gadget.yaml")) as f:
        meta = yaml.safe_load(f)

    def info(key, *fmt):
        return ok(runner(ctx, ["image", "inspect", "insp:v3",
                               "--extra-info", key, *fmt]), key)
    eq(json.loads(info("oci.manifest")), man, "oci.manifest")
    eq(json.loads(info("oci.manifest", "-o", "json")), man, "json")
    eq(len(info("oci.manifest", "-o", "json").splitlines()), 1, "one line")
    eq(yaml.safe_load(info("oci.manifest", "-o", "yaml")), man, "yaml")
    eq(json.loads(info("oci.metadata")), meta, "oci.metadata")
    eq(yaml.safe_load(info("oci.metadata", "-o", "yaml")), meta, "yaml")
    # ig writes these documents from Go maps: every object's keys sorted
    for key in ("oci.manifest", "oci.metadata", "ebpf.variables"):
        for fmt in ("json", "jsonpretty"):
            unsorted = []

            def pairs(kv):
                if [k for k, _ in kv] != sorted(k for k, _ in kv):
                    unsorted.append([k for k, _ in kv])
                return dict(kv)
            json.loads(info(key, "-o", fmt), object_pairs_hook=pairs)
            eq(unsorted, [], f"{key} -o {fmt}: objects with unsorted keys")
    eq(info("oci.manifest", "-o", "yaml").splitlines()[0], "annotations:",
       "oci.manifest -o yaml: its first key")
    texts = {"oci.repository": "insp", "oci.tag": "v3",
             "oci.digest": man["config"]["digest"], "oci.created": created}
    for key, want in texts.items():
        for fmt in ([], ["-o", "json"], ["-o", "yaml"]):
            eq(info(key, *fmt), want + "\n", f"{key} {fmt}")
    ok(runner(ctx, ["image", "tag", "insp:v3", "insp"]), "tag")
    eq(ok(runner(ctx, ["image", "inspect", "ghcr.io/inspektor-gadget/gadget/"
                       "insp", "--extra-info", "oci.tag"]), "no tag"),
       "latest\n", "oci.tag of a name without one")
    fails(runner(ctx, ["image", "inspect", "insp:v3", "--extra-info",
                       "wasm.upcalls"]), "wasm.upcalls",
          'extra info "wasm.upcalls" not found', "ebpf.maps",
          "ebpf.flowchart", "ebpf.sequence")


@test
def image_inspect_yaml_keeps_every_digit_of_a_real(ctx):
    """A real number of gadget.yaml in `inspect --extra-info oci.metadata
    -o yaml` reads back as itself, written as ig's YAML writes it (Go's
    shortest digits, an exponent from 1e6 on): %g kept six digits, so pi
    was 3.14159 and 1234567.5 was 1.23457e+06."""
    import yaml
    d = os.path.join(ctx.tmp, "reals")
    shutil.copytree(FIXTURE, d)
    with open(os.path.join(d, "gadget.yaml"), "a") as f:
        f.write("x-reals:\n  big: 1234567.5\n  pi: 3.14159265358979\n"
                "  small: 0.000125\n")
    ok(runner(ctx, ["image", "build", d, "-t", "reals:v1"]), "build")
    out = ok(runner(ctx, ["image", "inspect", "reals:v1", "--extra-info",
                          "oci.metadata", "-o", "yaml"]), "inspect")
    with open(os.path.join(d, "gadget.yaml")) as f:
        want = yaml.safe_load(f)
    eq(yaml.safe_load(out)["x-reals"], want["x-reals"], "reals read back")
    for line in ("  big: 1.2345675e+06\n", "  pi: 3.14159265358979\n",
                 "  small: 0.000125\n"):
        check(line in out, f"{line!r} not in {out!r}")


def built_elf(ctx, ref, src):
    """`runner image build SRC -t REF`; the path of a copy of its eBPF
    layer (the first layer, read from the store's blob)."""
    ok(runner(ctx, ["image", "build", src, "-t", ref]), f"build {ref}")
    digest = json.loads(ok(runner(
        ctx, ["image", "inspect", ref, "--extra-info", "oci.manifest",
              "--jsonpath", ".layers[0]"]), "layer"))["digest"]
    elf = os.path.join(ctx.tmp, ref.replace(":", "-") + ".o")
    with open(elf, "wb") as f:
        f.write(blob(ctx, digest))
    return elf


def btf_types(path):
    """The BTF types of the ELF at path, by id, as bpftool reads them."""
    p = subprocess.run(["bpftool", "-j", "btf", "dump", "file", path],
                       capture_output=True, text=True, timeout=60)
    eq(p.returncode, 0, f"bpftool btf dump: {p.stderr}")
    return {t["id"]: t for t in json.loads(p.stdout)["types"]}


def map_type_names():
    """The kernel's enum bpf_map_type: value -> name without its prefix."""
    types = btf_types("/sys/kernel/btf/vmlinux").values()
    enum = [t for t in types
            if t["kind"] == "ENUM" and t["name"] == "bpf_map_type"][0]
    return {v["val"]: v["name"][len("BPF_MAP_TYPE_"):]
            for v in enum["values"]}


@test
def image_inspect_shows_igs_ebpf_sections_maps_and_variables(ctx):
    """ig's ebpf.sections (every ELF section of the program layer, "" of
    the null one first), ebpf.maps (the .maps maps in order with cilium's
    type names, then data sections but .rodata and .bss) and
    ebpf.variables (the global symbols of the data sections)."""
    d = os.path.join(ctx.tmp, "withdata")
    shutil.copytree(FIXTURE, d)
    with open(os.path.join(d, "program.bpf.c"), "a") as f:
        # a .data section, a static and a hidden symbol that are no
        # variables
        f.write("\n__u64 runner_hits = 1;\nstatic __u64 runner_quiet = 2;\n"
                "__attribute__((visibility(\"hidden\"))) __u64 runner_hid = 3;"
                "\n")
    images = {"td:v1": os.path.join(ROOT, "gadget", "trace_dns"),
              "wd:v1": d}
    kinds = map_type_names()
    for ref, src in images.items():
        elf = built_elf(ctx, ref, src)
        p = subprocess.run(["llvm-objdump", "-h", elf], capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, f"llvm-objdump: {p.stderr}")
        rows = p.stdout.split("Idx Name", 1)[1].splitlines()[1:]
        want = [r.split()[1] if r.split()[1:] and r.split()[1][0] != "0"
                else "" for r in rows if r.strip()]
        got = json.loads(ok(runner(ctx, ["image", "inspect", ref,
                                         "--extra-info", "ebpf.sections",
                                         "-o", "json"]), "sections"))
        eq(got, want, f"{ref} ebpf.sections")
        eq(got[0], "", "the null section first")
        # the maps of .maps, their types from each map's BTF `type`
        types = btf_types(elf)
        sec = [t for t in types.values()
               if t["kind"] == "DATASEC" and t["name"] == ".maps"][0]
        want = []
        for v in sec["vars"]:
            var = types[v["type_id"]]
            st = types[var["type_id"]]
            ptr = [m for m in st["members"] if m["name"] == "type"][0]
            arr = types[types[ptr["type_id"]]["type_id"]]
            want.append((var["name"], kinds[arr["nr_elems"]]))
        if ref == "wd:v1":
            want.append((".data", "ARRAY"))
        maps = json.loads(ok(runner(ctx, ["image", "inspect", ref,
                                          "--extra-info", "ebpf.maps"]),
                             "maps"))
        eq([(m["Name"], m["Type"].upper()) for m in maps],
           [(n, t.replace("_", "")) for n, t in want], f"{ref} ebpf.maps")
        eq(sorted(m for m in maps[0]), ["Name", "Type"], "ig's keys")
        # variables: llvm-objdump -t's global objects of data sections
        p = subprocess.run(["llvm-objdump", "-t", elf], capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, f"llvm-objdump -t: {p.stderr}")
        want = []
        for line in p.stdout.splitlines():
            f = line.split()
            if len(f) == 6 and f[1] in ("g", "w") and f[2] == "O" and (
                    f[3] in (".bss", ".data") or f[3].startswith(".rodata")):
                want.append({"Name": f[5], "Offset": int(f[0], 16),
                             "Size": int(f[4], 16), "Map": f[3]})
        got = json.loads(ok(runner(ctx, ["image", "inspect", ref,
                                         "--extra-info", "ebpf.variables"]),
                            "variables"))
        eq(sorted(got, key=lambda v: v["Name"]),
           sorted(want, key=lambda v: v["Name"]), f"{ref} ebpf.variables")
        check(len(got) > 2, f"{ref}: variables {got}")
    byname = {m["Name"]: m["Type"] for m in maps}
    eq(byname["events"], "RingBuf", "cilium's spelling")
    names = [v["Name"] for v in got]
    check("runner_hits" in names and "syscall_nr" in names, f"{names}")
    check("runner_quiet" not in names and "runner_hid" not in names,
          f"static and hidden: {names}")
    eq(ok(runner(ctx, ["image", "inspect", "td:v1", "--extra-info",
                       "ebpf.maps", "--jsonpath", "[0].Name"]), "jsonpath"),
       "addr_owners\n", "--jsonpath on ebpf.maps")


def helper_names():
    """cilium's names of the kernel's helpers by number: "Fn" and the
    name in CamelCase, from the order of linux/bpf.h's __BPF_FUNC_MAPPER
    (as the enum bpf_func_id numbers them)."""
    with open("/usr/include/linux/bpf.h") as f:
        text = f.read()
    body = text.split("#define __BPF_FUNC_MAPPER(FN)", 1)[1]
    body = body.split("\n\n", 1)[0]
    names = re.findall(r"FN\((\w+)", body)
    check(len(names) > 150 and names[0] == "unspec", f"helpers: {names[:3]}")
    return ["Fn" + "".join(w[:1].upper() + w[1:] for w in n.split("_"))
            for n in names]


def objdump_insns(elf, section):
    """llvm-objdump -d -r of one section: {offset: (text, relocation
    symbol or None)}."""
    p = subprocess.run(["llvm-objdump", "-d", "-r", "--no-show-raw-insn",
                        f"--section={section}", elf], capture_output=True,
                       text=True, timeout=60)
    eq(p.returncode, 0, f"llvm-objdump -d: {p.stderr}")
    out, last = {}, None
    for line in p.stdout.splitlines():
        m = re.match(r"^\s+(\d+):\t(.*)$", line)
        if m:
            last = int(m.group(1))
            out[last] = (m.group(2).strip(), None)
            continue
        m = re.match(r"^\s+[0-9a-f]+:\s+R_BPF_\w+\s+(\S+)", line)
        if m and last is not None:
            out[last] = (out[last][0], m.group(1))
    return out


def cilium_insns(source):
    """The instructions of a cilium Source text: {offset: text}."""
    return {int(m.group(1)): m.group(2) for m in
            re.finditer(r"^\t *(\d+): (.*)$", source, re.M)}


def object_symbols(elf):
    """llvm-objdump -t: name -> (section, value, flags)."""
    p = subprocess.run(["llvm-objdump", "-t", elf], capture_output=True,
                       text=True, timeout=60)
    eq(p.returncode, 0, f"llvm-objdump -t: {p.stderr}")
    out = {}
    for line in p.stdout.splitlines():
        f = line.split()
        if len(f) >= 5 and re.match(r"^[0-9a-f]{16}$", f[0]):
            out[f[-1]] = (f[-3], int(f[0], 16), " ".join(f[1:-3]))
    return out


@test
def image_inspect_shows_igs_ebpf_programs(ctx):
    """ig's ebpf.programs, read from the eBPF layer without loading it:
    each program (a global function of an executable section but .text)
    with its section, its instructions as cilium writes them (every one
    llvm-objdump shows at the same offset: helpers by cilium's names,
    maps and data sections by the relocations, loads, stores, moves),
    its BTF.ext source lines, the functions it calls or points to
    (bpf_loop callbacks) after it under their labels, and
    SourceWithRelocation with the same instructions."""
    fixture = os.path.join(ROOT, "tests", "fixtures", "ig_syscalls")
    images = {"prs:v1": fixture,
              "prd:v1": os.path.join(ROOT, "gadget", "trace_dns")}
    helpers = helper_names()
    regs = {f"r{i}": f"r{i}" for i in range(10)}
    regs["r10"] = "rfp"
    sizes = {"u8": "B", "u16": "H", "u32": "W", "u64": "DW"}
    for ref, src in images.items():
        elf = built_elf(ctx, ref, src)
        progs = json.loads(ok(runner(ctx, ["image", "inspect", ref,
                                           "--extra-info", "ebpf.programs"]),
                              "programs"))
        syms = object_symbols(elf)
        p = subprocess.run(["llvm-objdump", "-h", elf], capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, f"llvm-objdump -h: {p.stderr}")
        execs = [r.split()[1] for r in p.stdout.splitlines()
                 if len(r.split()) > 4 and r.split()[-1] == "TEXT"]
        eq([pr["Section"] for pr in progs],
           [x for x in execs if x != ".text"], f"{ref}: program sections")
        eq(json.loads(ok(runner(ctx, ["image", "inspect", ref,
                                      "--extra-info", "ebpf.programs",
                                      "--jsonpath", "[*].Section"]), "[*]")),
           [pr["Section"] for pr in progs], "ig's example: [*].Section")
        for pr in progs:
            eq(sorted(pr), ["Section", "Source", "SourceWithRelocation"],
               "ig's keys")
            mine = cilium_insns(pr["Source"])
            offs = sorted(mine)
            eq(offs[0], 0, "first offset")
            for a, b in zip(offs, offs[1:]):
                wide = mine[a].startswith(("LoadMap", "LdImmDW"))
                eq(b - a, 2 if wide else 1, f"{pr['Section']}: after {a}")
            labels = re.findall(r"^(\S+):$", pr["Source"], re.M)
            eq(syms[labels[0]][0], pr["Section"], "the program's label")
            for f in re.findall(r"(?:Call -1|imm: -1) <(\S+)>",
                                pr["Source"]):
                check(f in labels, f"{pr['Section']}: {f} not after it")
            check(all(syms[x][0] == ".text" for x in labels[1:]),
                  f"{pr['Section']}: subprograms {labels[1:]}")
            relo = [x for x in pr["SourceWithRelocation"].splitlines()
                    if not x.startswith("; ")]
            eq(relo, [mine[o] for o in offs],
               f"{pr['Section']}: SourceWithRelocation")
        if ref == "prd:v1":
            socket = [pr for pr in progs if pr["Section"] == "socket"][0]
            check(re.search(r"LdImmDW dst: r2 imm: -1 <\w+_step>",
                            socket["Source"]),
                  "a bpf_loop callback's pointer")
            continue
        eq(len(progs), 1, "one program")
        pr = progs[0]
        check(pr["Source"].startswith("sys_enter:\n"), pr["Source"][:80])
        with open(os.path.join(fixture, "program.bpf.c")) as f:
            code = f.read()
        first = re.search(r"^\t *; (.*)$", pr["Source"], re.M).group(1)
        eq(first, "int sys_enter(struct trace_event_raw_sys_enter *ctx)",
           "first source line")
        check(first in code, "a line of the fixture's source")
        mine = cilium_insns(pr["Source"])
        theirs = objdump_insns(elf, pr["Section"])
        eq(sorted(mine), sorted(theirs), "instruction offsets")
        checked = 0
        for off, (text, sym) in theirs.items():
            got = mine[off]
            m = re.match(r"^call (\d+)$", text)
            ld = re.match(r"^(r\d+) = \*\((u\d+) \*\)\((r\d+) ([+-]) "
                          r"(\d+)\)$", text)
            st = re.match(r"^\*\((u\d+) \*\)\((r\d+) ([+-]) (\d+)\) = "
                          r"(r\d+)$", text)
            mov = re.match(r"^(r\d+) = (-?\d+)$", text)
            if sym and syms[sym][0] == ".maps":
                want = f"LoadMapPtr dst: {regs[text.split()[0]]} fd: 0 " \
                       f"<{sym}>"
            elif sym:
                want = f"LoadMapValue dst: {regs[text.split()[0]]}, fd: 0 " \
                       f"off: {syms[sym][1]} <{syms[sym][0]}>"
            elif m:
                want = f"Call {helpers[int(m.group(1))]}"
            elif text == "exit":
                want = "Exit"
            elif ld:
                d, sz, s_, sign, n = ld.groups()
                want = (f"LdXMem{sizes[sz]} dst: {regs[d]} src: {regs[s_]} "
                        f"off: {'-' if sign == '-' else ''}{n} imm: 0")
            elif st:
                sz, d, sign, n, s_ = st.groups()
                want = (f"StXMem{sizes[sz]} dst: {regs[d]} src: {regs[s_]} "
                        f"off: {'-' if sign == '-' else ''}{n} imm: 0")
            elif mov:
                want = f"MovImm dst: {regs[mov.group(1)]} imm: {mov.group(2)}"
            else:
                continue
            eq(got, want, f"at {off}: {text}")
            checked += 1
        check(checked > 40, f"only {checked} instructions compared")
        check("<gadget_mntns_filter_map>" in pr["Source"] and
              "Call FnGetCurrentPidTgid" in pr["Source"], "map, helper")


def btf_members(types, struct_id, prefix="", base=0):
    """fullName -> (offset, size) of every member of a struct, nested
    struct members under their dotted names, as ig names fields (members
    named __X are none)."""
    def resolve(tid):
        t = types[tid]
        while t["kind"] in ("TYPEDEF", "CONST", "VOLATILE", "RESTRICT"):
            t = types[t["type_id"]]
        return t

    def size(t):
        if t["kind"] == "ARRAY":
            return t["nr_elems"] * size(resolve(t["type_id"]))
        return t["size"]
    out = {}
    for m in types[struct_id]["members"]:
        if m["name"].startswith("__"):
            continue
        t = resolve(m["type_id"])
        off = base + m["bits_offset"] // 8
        out[prefix + m["name"]] = (off, size(t))
        if t["kind"] in ("STRUCT", "UNION"):
            out.update(btf_members(types, t["id"], prefix + m["name"] + ".",
                                   off))
    return out


# ig's expected ebpf.flowchart and ebpf.sequence of its image_inspect test
# gadget (gadgets/ci/image_inspect/test/unit/image_inspect_test.go), whose
# programs and map accesses tests/fixtures/ig_inspect has: ig's format,
# checked by hand against ig's pkg/utils/ebpf2graph.
IG_FLOWCHART = """flowchart LR
map1[("map1")]
map2[("map2")]
consume_skb -- "Lookup+Delete" --> map2
consume_skb["consume_skb"]
kfree_skb["kfree_skb"]
qdisc_dequeue -- "Lookup+Update" --> map1
qdisc_dequeue["qdisc_dequeue"]
qdisc_enqueue -- "Update" --> map2
qdisc_enqueue["qdisc_enqueue"]
"""
IG_SEQUENCE = """sequenceDiagram
box eBPF Programs
participant consume_skb
participant kfree_skb
participant qdisc_dequeue
participant qdisc_enqueue
end
box eBPF Maps
participant map2
participant map1
end
consume_skb->>map2: Lookup
consume_skb->>map2: Delete
qdisc_dequeue->>map1: Lookup
qdisc_dequeue->>map1: Update
qdisc_enqueue->>map2: Update
"""


@test
def image_inspect_shows_igs_ebpf_flowchart_and_sequence(ctx):
    """ig's ebpf.flowchart and ebpf.sequence (mermaid text of which program
    calls which map helper on which map), from the eBPF layer without
    loading it: ig's own expected text for its test gadget's programs,
    written as ig writes a text entry (with a newline after it, whatever
    -o) and raw with ig's `-o custom` (its gadgets' dev.md); for
    trace_dns, every program and every map of ebpf.programs and
    ebpf.maps in it, each edge a map helper call the program's code
    makes on that map."""
    ok(runner(ctx, ["image", "build", os.path.join(
        ROOT, "tests", "fixtures", "ig_inspect"), "-t", "graph:v1"]), "build")

    def info(ref, key, *more):
        return ok(runner(ctx, ["image", "inspect", ref, "--extra-info", key,
                               *more]), f"{ref} {key} {more}")
    for fmt in ([], ["-o", "json"], ["-o", "jsonpretty"], ["-o", "yaml"]):
        eq(info("graph:v1", "ebpf.flowchart", *fmt), IG_FLOWCHART + "\n",
           f"ebpf.flowchart {fmt}")
        eq(info("graph:v1", "ebpf.sequence", *fmt), IG_SEQUENCE + "\n",
           f"ebpf.sequence {fmt}")
    eq(info("graph:v1", "ebpf.flowchart", "-o", "custom"), IG_FLOWCHART,
       "-o custom: the text as it is")
    eq(info("graph:v1", "ebpf.sequence", "-o", "custom"), IG_SEQUENCE,
       "-o custom: the sequence as it is")
    fails(runner(ctx, ["image", "inspect", "graph:v1", "--extra-info",
                       "ebpf.flowchart", "--jsonpath", ".x"]), "jsonpath",
          "ebpf.flowchart is text")
    # trace_dns: its programs and maps, by what its code calls
    ok(runner(ctx, ["image", "build", os.path.join(ROOT, "gadget",
                                                   "trace_dns"),
                    "-t", "gdns:v1"]), "build trace_dns")
    flow = info("gdns:v1", "ebpf.flowchart", "-o", "custom")
    seq = info("gdns:v1", "ebpf.sequence", "-o", "custom")
    maps = [m["Name"] for m in json.loads(info("gdns:v1", "ebpf.maps"))]
    progs = json.loads(info("gdns:v1", "ebpf.programs"))
    names = sorted(re.match(r"^(\w+):", p["Source"]).group(1) for p in progs)
    lines = flow.splitlines()
    eq(lines[0], "flowchart LR", "flowchart's first line")
    eq(lines[1:1 + len(maps)], [f'{m}[("{m}")]' for m in sorted(maps)],
       "a node per map, sorted")
    eq([ln.split("[")[0] for ln in lines if ln.endswith('"]')], names,
       "a node per program, sorted")
    edges = set()
    for ln in lines[1 + len(maps):]:
        m = re.match(r'^(\w+) -- "([\w+]+)" --> (\w+)$', ln)
        if m:
            check(m.group(3) in maps, f"edge to a map: {ln}")
            edges.update((m.group(1), v, m.group(3))
                         for v in m.group(2).split("+"))
        else:
            check(re.match(r'^\w+\["\w+"\]$', ln), f"flowchart line {ln}")
    msgs = set(re.findall(r"^(\w+)->>(\w+): (\w+)$", seq, re.M))
    eq(edges, {(p, v, m) for p, m, v in msgs}, "flowchart = sequence")
    for want in (("trace_dns", "Lookup", "scratches"),
                 ("sock_release", "Delete", "sockets"),
                 ("seed_sockets", "Update", "sockets")):
        check(want in edges, f"{want} not in {sorted(edges)}")
    # each edge is a helper call after the map's pointer went to r1
    helpers = {"Lookup": "FnMapLookupElem", "Update": "FnMapUpdateElem",
               "Delete": "FnMapDeleteElem"}
    for p in progs:
        name = re.match(r"^(\w+):", p["Source"]).group(1)
        made, last = set(), None
        for ln in p["Source"].splitlines():
            m = re.search(r"LoadMapPtr dst: r1 fd: 0 <(\w+)>", ln)
            if m:
                last = m.group(1)
            for v, h in helpers.items():
                if ln.endswith(f"Call {h}") and last:
                    made.add((name, v, last))
        eq({e for e in edges if e[0] == name}, made, f"{name}'s edges")


@test
def image_inspect_output_custom_is_the_raw_entry(ctx):
    """ig's `-o custom` (before 2025; its gadgets' Makefile still writes
    dev.md with it): an extra info entry's content as ig holds it, no
    newline added: a text as it is, oci.metadata the stored gadget.yaml,
    a document as Go's json.Marshal writes it (compact, ig's member
    order, <, > and & escaped); it needs --extra-info and takes no
    --jsonpath."""
    fixture = os.path.join(ROOT, "tests", "fixtures", "ig_inspect")
    ok(runner(ctx, ["image", "build", fixture, "-t", "cust:v1"]), "build")

    def custom(key):
        return ok(runner(ctx, ["image", "inspect", "cust:v1", "-o", "custom",
                               "--extra-info", key]), f"{key} -o custom")
    eq(custom("oci.tag"), "v1", "a text without a newline")
    eq(custom("ebpf.flowchart"), IG_FLOWCHART, "ebpf.flowchart")
    with open(os.path.join(fixture, "gadget.yaml")) as f:
        eq(custom("oci.metadata"), f.read(), "the gadget.yaml as stored")
    maps = custom("ebpf.maps")
    eq(maps, '[{"Name":"map1","Type":"Hash"},{"Name":"map2","Type":"Hash"}]',
       "ebpf.maps as Go's json.Marshal writes ig's []extraInfoMap")
    progs = custom("ebpf.programs")
    check("\n" not in progs and progs.startswith('[{"Section":'),
          f"compact, ig's member order: {progs[:80]}")
    check("\\u003cmap1\\u003e" in progs and "<" not in progs,
          f"< and > as Go escapes them: {progs[:300]}")
    eq(json.loads(progs), json.loads(ok(runner(
        ctx, ["image", "inspect", "cust:v1", "--extra-info",
              "ebpf.programs"]), "programs")), "the same document")
    man = json.loads(custom("oci.manifest"))
    ann = man["config"]["annotations"]
    eq(list(ann), sorted(ann), "annotations sorted, as a Go map")
    eq(list(man)[:2], ["schemaVersion", "mediaType"], "struct order")
    for args in (["-o", "custom"],
                 ["-o", "custom", "--extra-info", "ebpf.maps", "--jsonpath",
                  "[0]"]):
        fails(runner(ctx, ["image", "inspect", "cust:v1", *args]),
              f"{args}", "-o custom wants --extra-info", code=2)


@test
def image_inspect_shows_datasources_as_ig(ctx):
    """ig's --show-datasources: the data sources sorted by name (type 1 a
    stream, 2 a snapshot), each field as ig's api.Field: the event's own
    with the offset and size BTF gives them (static member flag 16,
    parent's index and flag 8 when nested, tags name:/src:ebpf), the ones
    derived from them (a formatted X, enrichment) as strings in payloads
    of their own, gadget.yaml's annotations as written; from the image
    alone, with not one bpf(2) call; --jsonpath on it; with --extra-info a
    usage error."""
    images = {"sds:v1": os.path.join(ROOT, "tests", "fixtures",
                                     "ig_syscalls"),
              "sps:v1": os.path.join(ROOT, "examples", "snapshot_process")}
    elfs = {ref: built_elf(ctx, ref, src) for ref, src in images.items()}
    elf = elfs["sds:v1"]
    types = btf_types(elf)
    event = [t for t in types.values()
             if t["kind"] == "STRUCT" and t["name"] == "event"][0]
    want = btf_members(types, event["id"])
    log = os.path.join(ctx.tmp, "sds.strace")
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", log,
                        RUNNER, "image", "inspect", "sds:v1",
                        "--show-datasources", "--store", ctx.store],
                       capture_output=True, text=True, timeout=120)
    dss = json.loads(ok(p, "show-datasources"))
    with open(log) as f:
        eq([line for line in f if "bpf(" in line], [], "bpf(2) calls")
    eq(json.loads(ok(runner(ctx, ["image", "inspect", "sds:v1",
                                  "--show-datasources", "-o", "json"]),
                     "json")), dss, "-o json")
    import yaml
    eq(yaml.safe_load(ok(runner(ctx, ["image", "inspect", "sds:v1",
                                      "--show-datasources", "-o", "yaml"]),
                         "yaml")), dss, "-o yaml")
    eq([(d["name"], d["type"]) for d in dss], [("syscalls", 1)], "sources")
    fields = dss[0]["fields"]
    byname = {f["fullName"]: f for f in fields}
    eq([f.get("index", 0) for f in fields], list(range(len(fields))),
       "index")
    for name, (off, size) in want.items():
        f = byname.get(name)
        check(f is not None, f"{name} of the BTF not shown: {list(byname)}")
        eq((f.get("offs", 0), f.get("size", 0)), (off, size), name)
        check(f["flags"] & 16, f"{name}: static member flag: {f}")
        eq(f["name"], name.rsplit(".", 1)[-1], f"{name}: name")
        check(f"name:{f['name']}" in f["tags"] and "src:ebpf" in f["tags"],
              f"{name}: tags {f['tags']}")
        if "." in name:
            parent = fields[f["parent"]]["fullName"]
            eq(parent, name.rsplit(".", 1)[0], f"{name}: parent")
            check(f["flags"] & 8, f"{name}: has-parent flag: {f}")
        else:
            check("parent" not in f, f"{name}: no parent: {f}")
    kinds = {"syscall_raw": 9, "proc.pid": 8, "proc.comm": 13, "pi": 10,
             "big": 11, "proc": 14, "syscall": 12, "runtime.containerName":
             12}
    for name, kind in kinds.items():
        eq(byname[name].get("kind"), kind, f"{name}: ig's kind")
    for name in ("syscall", "runtime.containerName"):
        f = byname[name]
        check(name not in want and not f.get("flags", 0) & 16 and
              f.get("payloadIndex", 0) > 0 and "offs" not in f,
              f"{name}: derived, in a payload of its own: {f}")
    eq(byname["syscall"]["annotations"]["description"],
       "name of the system call", "gadget.yaml's annotation")
    eq(byname["syscall_raw"]["tags"][0], "type:gadget_syscall", "type tag")
    check(byname["syscall_raw"]["flags"] & 4 and
          byname["syscall_raw"]["annotations"]["columns.hidden"] == "true",
          f"hidden: {byname['syscall_raw']}")
    i = fields.index(byname["proc.pid"])
    eq(ok(runner(ctx, ["image", "inspect", "sds:v1", "--show-datasources",
                       "--jsonpath", f"[0].fields[{i}].fullName"]),
          "jsonpath"), "proc.pid\n", "--jsonpath (a string as it is)")
    eq(json.loads(ok(runner(ctx, ["image", "inspect", "sds:v1",
                                  "--show-datasources", "--jsonpath",
                                  "[0].fields[*].fullName"]), "[*]")),
       [f["fullName"] for f in fields], "ig's example: every fullName")
    sps = json.loads(ok(runner(ctx, ["image", "inspect", "sps:v1",
                                     "--show-datasources"]), "snapshot"))
    eq([(d["name"], d["type"]) for d in sps], [("processes", 2)],
       "a snapshot's type")
    fails(runner(ctx, ["image", "inspect", "sds:v1", "--show-datasources",
                       "--jsonpath", "[3]"]), "no such data source",
          'path "[3]" not found in the data sources')
    fails(runner(ctx, ["image", "inspect", "sds:v1", "--show-datasources",
                       "--extra-info", "oci.tag"]), "both",
          "--extra-info and --show-datasources", code=2)


@test
def image_inspect_jsonpath_picks_from_the_extra_info(ctx):
    """ig's --jsonpath ("$" + PATH) on an --extra-info document: .key,
    ["key"] and [N] steps; a text result as it is; a path that names
    nothing, a step not offered, text or no --extra-info: one error line."""
    import yaml
    ok(runner(ctx, ["image", "build", FIXTURE, "-t", "jp:v1"]), "build")
    man = json.loads(ok(runner(ctx, ["image", "inspect", "jp:v1",
                                     "--extra-info", "oci.manifest"]), "m"))
    with open(os.path.join(FIXTURE, "gadget.yaml")) as f:
        meta = yaml.safe_load(f)

    def jp(key, path, *fmt):
        return runner(ctx, ["image", "inspect", "jp:v1", "--extra-info", key,
                            "--jsonpath", path, *fmt])
    eq(ok(jp("oci.manifest", ".layers[0].digest"), "digest"),
       man["layers"][0]["digest"] + "\n", ".layers[0].digest")
    eq(json.loads(ok(jp("oci.manifest", '["config"]'), "config")),
       man["config"], '["config"]')
    eq(yaml.safe_load(ok(jp("oci.manifest", ".config['annotations']", "-o",
                            "yaml"), "yaml")),
       man["config"]["annotations"], "-o yaml")
    # as ig's YAML (Go's yaml.Marshal): no "---" before the document,
    # a number alone on its line
    eq(ok(jp("oci.manifest", ".layers[0].size", "-o", "yaml"), "size"),
       f'{man["layers"][0]["size"]}\n', "a number as YAML")
    out = ok(jp("oci.manifest", ".config", "-o", "yaml"), "config")
    eq(out.splitlines()[0], "annotations:",
       "the first line of a YAML document (its first key, sorted)")
    ds = sorted(meta["datasources"])[0]
    eq(json.loads(ok(jp("oci.metadata", f".datasources.{ds}.fields"),
                     "fields")),
       meta["datasources"][ds]["fields"], "metadata's fields")
    eq(json.loads(ok(jp("oci.manifest", ".layers[*].mediaType"), "[*]")),
       [x["mediaType"] for x in man["layers"]], "[*]: each member's")
    eq(json.loads(ok(jp("oci.manifest", ".config[*]"), "object [*]")),
       [man["config"][k] for k in sorted(man["config"])],
       "[*] of an object: its values in key order")
    fails(jp("oci.manifest", ".layers[9]"), "missing",
          'path ".layers[9]" not found in extra info "oci.manifest"')
    fails(jp("oci.manifest", "..digest"), "deep scan", '"..digest"')
    fails(jp("oci.tag", ".x"), "text", "oci.tag is text")
    fails(runner(ctx, ["image", "inspect", "jp:v1", "--jsonpath", ".x"]),
          "no --extra-info", "--jsonpath needs --extra-info or "
          "--show-datasources", code=2)


@test
def skopeo_reads_the_wasm_layer_from_a_registry(ctx):
    d, _ = renamed_gadget(ctx, "pushed")
    with open(os.path.join(d, "build.yaml"), "w") as f:
        f.write("ebpfsource: other.bpf.c\nmetadata: meta.yaml\n"
                "cflags: -DRUNNER_CFLAG\nwasm: mod.wasm\n")
    reg = env.Registry(ctx.tmp, "reg")
    try:
        ref = f"{reg.host}/g/pushed:v1"
        ok(runner(ctx, ["image", "build", d, "-t", ref]), "build")
        ok(runner(ctx, ["image", "push", ref, "--insecure-registries",
                        reg.host]), "push")
        p = subprocess.run(["skopeo", "inspect", "--tls-verify=false",
                            "--raw", "--override-arch", "arm64",
                            f"docker://{ref}"], capture_output=True,
                           text=True, timeout=120)
        idx = json.loads(ok(p, "skopeo inspect index"))
        arm = [m for m in idx["manifests"]
               if m["platform"]["architecture"] == "arm64"][0]
        p = subprocess.run(["skopeo", "inspect", "--tls-verify=false",
                            "--raw", f"docker://{reg.host}/g/pushed@"
                            f"{arm['digest']}"], capture_output=True,
                           text=True, timeout=120)
        man = json.loads(ok(p, "skopeo inspect manifest"))
        eq([la["mediaType"] for la in man["layers"]],
           [env.MT_PROGRAM, MT_WASM], "layers skopeo reads")
    finally:
        reg.stop()


@test
def push_and_pull_by_digest_say_the_digest_once(ctx):
    ok(runner(ctx, ["image", "build", FIXTURE, "-t", "bydigest:v1"]),
       "build")
    dg, _ = stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/bydigest:v1")
    reg = env.Registry(ctx.tmp, "digests")
    try:
        ins = ["--insecure-registries", reg.host]
        by_digest = f"{reg.host}/g/bydigest@{dg}"
        out = ok(runner(ctx, ["image", "push", "bydigest:v1", by_digest]
                        + ins), "push to a digest")
        eq(out, f"Successfully pushed {by_digest}\n", "push says")
        out = ok(runner(ctx, ["image", "push", "bydigest:v1",
                              f"{reg.host}/g/bydigest:v1"] + ins), "push")
        eq(out, f"Successfully pushed {reg.host}/g/bydigest:v1@{dg}\n",
           "push of a tag says")
        for ref in (by_digest, f"{reg.host}/g/bydigest:v1@{dg}"):
            out = ok(runner(ctx, ["image", "pull", ref] + ins), "pull")
            eq(out, f"Successfully pulled {ref}\n", "pull says")
    finally:
        reg.stop()


@test
def pull_and_sign_of_a_bare_digest_are_usage_errors(ctx):
    dg = "sha256:" + "ab" * 32
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "digest-store")
    try:
        fails(runner(ctx, ["image", "pull", dg]), "pull",
              f"image pull: '{dg}' names no repository", code=2)
        fails(runner(ctx, ["image", "sign", dg, "--key", "/nonexistent"]),
              "sign", f"image sign: '{dg}' names no repository", code=2)
        check(not os.path.exists(ctx.store), "no store made")
    finally:
        ctx.store = store


@test
def an_invalid_reference_is_a_usage_error_in_every_image_command(ctx):
    """Each command that takes an image reference says why a bad one is
    none in one line and exits 2 (bad usage), as `run` and `build -t`
    did, before it opens a store or a registry or writes a file."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "badref-store")
    key, pub = env.keypair(ctx.tmp, "badref")
    tar = os.path.join(ctx.tmp, "badref.tar")
    bad, why = "Gadgets/Trace", 'invalid reference "Gadgets/Trace"'
    good = "localhost:5000/g/ok:v1"
    try:
        for args in (["image", "pull", bad],
                     ["image", "push", bad],
                     ["image", "push", good, bad],
                     ["image", "tag", bad, good],
                     ["image", "tag", good, bad],
                     ["image", "inspect", bad],
                     ["image", "remove", good, bad],
                     ["image", "export", bad, tar],
                     ["image", "import", tar, "-t", bad],
                     ["image", "sign", bad, "--key", key],
                     ["image", "verify", bad, "--public-keys", pub],
                     ["image", "build", FIXTURE, "-t", bad],
                     ["run", bad]):
            fails(runner(ctx, args), " ".join(args), why, code=2)
        check(not os.path.exists(ctx.store), "a store was made")
        check(not os.path.exists(tar), "export wrote its file")
    finally:
        ctx.store = store


@test
def export_of_a_name_given_twice_holds_it_once(ctx):
    ok(runner(ctx, ["image", "build", FIXTURE, "-t", "twice:v1"]), "build")
    tar = os.path.join(ctx.tmp, "twice.tar")
    out = ok(runner(ctx, ["image", "export", "twice:v1",
                          "ghcr.io/inspektor-gadget/gadget/twice:v1", tar]),
             "export")
    eq(out, f"Successfully exported images to {tar}\n", "export says, as ig")
    layout = os.path.join(ctx.tmp, "twice")
    os.makedirs(layout)
    subprocess.run(["tar", "-C", layout, "-xf", tar], check=True,
                   timeout=60)
    p = subprocess.run(["umoci", "ls", "--layout", layout],
                       capture_output=True, text=True, timeout=60)
    eq(ok(p, "umoci ls"), "ghcr.io/inspektor-gadget/gadget/twice:v1\n",
       "names umoci lists")
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "twice-store")
    try:
        out = ok(runner(ctx, ["image", "import", tar]), "import")
        eq(out, "Successfully imported images:\n"
           "  ghcr.io/inspektor-gadget/gadget/twice:v1\n", "import says, as ig")
    finally:
        ctx.store = store


@test
def export_of_a_rotten_stored_blob_fails_and_writes_no_file(ctx):
    """A stored blob whose bytes no longer hash to its digest (same size)
    fails the export, as the store's other reads of it do: it made an
    archive, said "Successfully exported", and the import failed."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "rotten-store")
    tar = os.path.join(ctx.tmp, "rotten.tar")
    try:
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "rotten:v1"]),
           "build")
        digest, idx = stored_index(
            ctx, "ghcr.io/inspektor-gadget/gadget/rotten:v1")
        manifest = json.loads(blob(ctx, idx["manifests"][0]["digest"]))
        layer = manifest["layers"][0]["digest"]
        path = os.path.join(ctx.store, "blobs", "sha256", layer[7:])
        with open(path, "r+b") as f:
            f.seek(64)
            b = f.read(1)
            f.seek(64)
            f.write(bytes([b[0] ^ 0xff]))
        fails(runner(ctx, ["image", "export", "rotten:v1", tar]), "export",
              f"blob {layer} is corrupt")
        check(not os.path.exists(tar), "export left its file")
        p = subprocess.run([RUNNER, "image", "export", "rotten:v1", "-",
                            "--store", ctx.store], capture_output=True,
                           timeout=60)
        eq(p.returncode, 1, f"export to stdout: {p.stderr}")
        check(f"blob {layer} is corrupt".encode() in p.stderr, p.stderr)
    finally:
        ctx.store = store


@test
def export_and_import_errors_say_why(ctx):
    """An export to a full disk (/dev/full, written through as a device)
    said libarchive's "Write error" alone, an import of a folder "Error
    reading" alone: both now say the system's why; `image import ""`
    read stdin (libarchive's meaning of an empty name) and is now a usage
    error, as `image export IMAGE ""` is (a run-time error before)."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "why-store")
    try:
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "why:v1"]),
           "build")
        fails(runner(ctx, ["image", "export", "why:v1", "/dev/full"]),
              "export to /dev/full", "Write error: No space left on device")
        d = os.path.join(ctx.tmp, "a-folder")
        os.makedirs(d)
        fails(runner(ctx, ["image", "import", d]), "import a folder",
              f"import {d}", "Is a directory")
        # stdin holds an archive: an empty path must not read it
        tar = os.path.join(ctx.tmp, "why.tar")
        ok(runner(ctx, ["image", "export", "why:v1", tar]), "export")
        with open(tar, "rb") as f:
            p = subprocess.run([RUNNER, "image", "import", "", "-t",
                                "fromstdin:v1", "--store", ctx.store],
                               stdin=f, capture_output=True, text=True,
                               timeout=60)
        fails(p, 'import ""', "an empty path", code=2)
        fails(runner(ctx, ["image", "export", "why:v1", ""]), 'export ""',
              "image export: an empty path", code=2)
    finally:
        ctx.store = store


@test
def import_from_a_terminal_is_refused(ctx):
    """`image import -` with stdin on a terminal is a usage error, as
    export's tar to a terminal: it waited for a tar to be typed in."""
    import pty
    primary, secondary = pty.openpty()
    try:
        p = subprocess.run([RUNNER, "image", "import", "-", "--store",
                            ctx.store], stdin=secondary, capture_output=True,
                           text=True, timeout=30)
    finally:
        os.close(secondary)
        os.close(primary)
    fails(p, "import - from a terminal", "read a tar from a terminal",
          code=2)


@test
def build_names_the_image_after_its_folder_even_dot(ctx):
    """`image build .` (ig's docs build so) names the image after the
    folder the shell is in; a folder name that is no image name, or a -t
    with a digest, is a usage error before anything is compiled."""
    d = os.path.join(ctx.tmp, "dotname")
    shutil.copytree(FIXTURE, d)
    p = subprocess.run([os.path.abspath(RUNNER), "image", "build", ".",
                        "--store", ctx.store],
                       capture_output=True, text=True, cwd=d, timeout=300)
    ok(p, "build .")
    stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/dotname:latest")
    before = env.store_snapshot(ctx.store)
    up = os.path.join(ctx.tmp, "Upper")
    shutil.copytree(FIXTURE, up)
    fails(runner(ctx, ["image", "build", up]), "folder Upper",
          '"Upper" is no image name', "-t REF", code=2)
    dg = "sha256:" + "0" * 64
    for t in (f"x@{dg}", f"x:v1@{dg}"):
        fails(runner(ctx, ["image", "build", d, "-t", t]), t,
              "built under a tag, not a digest", code=2)
    # without -t, the folder's name is the one to tell (it said "-t (null)")
    named = os.path.join(ctx.tmp, f"x@{dg}")
    shutil.copytree(FIXTURE, named)
    line = fails(runner(ctx, ["image", "build", named]), "folder x@digest",
                 f'the folder\'s name "x@{dg}"', "built under a tag",
                 code=2)
    check("(null)" not in line, line)
    eq(env.store_snapshot(ctx.store), before, "store after refusals")


@test
def a_gadget_without_gadget_yaml_builds_and_runs_as_ig(ctx):
    """ig's hello-world gadget starts as program.bpf.c alone: ig builds it
    with the empty config, and its fields come from BTF; its inspect
    shows that config as the metadata: {} (it said null)."""
    d = os.path.join(ctx.tmp, "nometa")
    os.makedirs(d)
    shutil.copy(os.path.join(FIXTURE, "program.bpf.c"), d)
    ok(runner(ctx, ["image", "build", d, "-t", "nometa:v1"]), "build")
    _, idx = stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/nometa:v1")
    for m in idx["manifests"]:
        man = json.loads(blob(ctx, m["digest"]))
        eq(man["config"]["mediaType"], "application/vnd.oci.empty.v1+json",
           "config media type")
        eq(blob(ctx, man["config"]["digest"]), b"{}", "config")
    # ig's oci.metadata is the config read as YAML, whatever its type
    for fmt, want in (("jsonpretty", "{}\n"), ("json", "{}\n")):
        eq(ok(runner(ctx, ["image", "inspect", "nometa:v1", "--extra-info",
                           "oci.metadata", "-o", fmt]), fmt), want,
           f"oci.metadata -o {fmt}")
    p = subprocess.run([RUNNER, "run", "nometa:v1", "--store", ctx.store,
                        "-o", "json", "--max-events", "1", "--timeout", "20"],
                       capture_output=True, text=True, timeout=60)
    ev = json.loads(ok(p, "run").splitlines()[0])
    check(ev["syscall_nr"] >= 0 and ev["proc"]["pid"] > 0, p.stdout[:200])


@test
def a_signed_image_is_one_image_to_list_import_and_remove(ctx):
    """Its signature (sha256-<hex>.sig) and its referrers index
    (sha256-<hex>) are no images of their own: `signed` says they are
    there, as ig's list leaves them out."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "signed")
    try:
        key, _ = env.keypair(ctx.tmp, "sign")
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "signed:v1"]),
           "build")
        ok(runner(ctx, ["image", "sign", "signed:v1", "--key", key]), "sign")
        idx = json.loads(open(os.path.join(ctx.store, "index.json")).read())
        check(len(idx["manifests"]) >= 2, f"signatures stored: {idx}")
        lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"]),
                            "list"))
        eq([(e["Tag"], e["signed"]) for e in lst], [("v1", True)],
           "JSON list")
        out = ok(runner(ctx, ["image", "list"]), "list")
        eq([ln.split()[1] for ln in out.splitlines()[1:]], ["v1"],
           "rows' tags")
        # import -o json names the images, as ig's import: not their
        # signatures, which come along
        tar = os.path.join(ctx.tmp, "signed.tar")
        ok(runner(ctx, ["image", "export", "signed:v1", tar]), "export")
        ref = "ghcr.io/inspektor-gadget/gadget/signed:v1"
        other = os.path.join(ctx.tmp, "signed-imported")
        for mode in ("json", "jsonpretty"):
            p = subprocess.run([RUNNER, "image", "import", tar, "-o", mode,
                                "--store", other], capture_output=True,
                               text=True, timeout=60)
            eq(json.loads(ok(p, mode)), [ref], f"import -o {mode}")
            eq(len(p.stdout.splitlines()) > 1, mode == "jsonpretty",
               f"lines of {mode}")
        p = subprocess.run([RUNNER, "image", "import", tar, "--store",
                            other], capture_output=True, text=True,
                           timeout=60)
        eq(ok(p, "import"), f"Successfully imported images:\n  {ref}\n",
           "import says")
        fails(runner(ctx, ["image", "import", tar, "-o", "yaml"]),
              "import -o yaml", "want json or jsonpretty", code=2)
        # -t names the image of a signed export; an archive from ig names
        # the signatures by a bare tag: both import, signed and verified
        bare = os.path.join(ctx.tmp, "signed-bare.tar")

        def bare_sigs(i):
            for m in i["manifests"]:
                a = m["annotations"]
                n = a["org.opencontainers.image.ref.name"]
                if n.split(":")[-1].startswith("sha256-"):
                    a["org.opencontainers.image.ref.name"] = n.split(":")[-1]
            return i
        with_index(tar, bare, bare_sigs)
        pub = os.path.join(ctx.tmp, "sign.pub")
        subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                       check=True, capture_output=True, timeout=60)
        for name, archive, extra, want in (
                ("renamed", tar, ["-t", "localhost:5000/renamed:v2"],
                 "localhost:5000/renamed:v2"),
                ("bare", bare, [], ref)):
            st = os.path.join(ctx.tmp, f"signed-{name}")
            p = subprocess.run([RUNNER, "image", "import", archive, "--store",
                                st] + extra, capture_output=True, text=True,
                               timeout=60)
            eq(ok(p, f"import {name}"),
               f"Successfully imported images:\n  {want}\n", name)
            p = subprocess.run([RUNNER, "image", "list", "-o", "json",
                                "--store", st], capture_output=True,
                               text=True, timeout=60)
            eq([(e["reference"], e["signed"])
                for e in json.loads(ok(p, "list"))], [(want, True)], name)
            p = subprocess.run([RUNNER, "image", "verify", want,
                                "--public-keys", pub, "--store", st],
                               capture_output=True, text=True, timeout=60)
            check("cosign signature" in ok(p, f"verify {name}"), p.stdout)
        # ig's store keeps signature tags bare ("sha256-<hex>.sig", no
        # repository): such a store lists the image signed, and verifies
        igs = os.path.join(ctx.tmp, "ig-layout")
        shutil.copytree(ctx.store, igs)
        path = os.path.join(igs, "index.json")
        idx = json.loads(open(path).read())
        for m in idx["manifests"]:
            a = m["annotations"]
            name = a["org.opencontainers.image.ref.name"]
            if name.split(":")[-1].startswith("sha256-"):
                a["org.opencontainers.image.ref.name"] = name.split(":")[-1]
        with open(path, "w") as f:
            json.dump(idx, f)
        p = subprocess.run([RUNNER, "image", "list", "-o", "json",
                            "--store", igs], capture_output=True, text=True,
                           timeout=60)
        eq([(e["Tag"], e["signed"]) for e in json.loads(ok(p, "list"))],
           [("v1", True)], "ig's layout listed")
        p = subprocess.run([RUNNER, "image", "verify", "signed:v1",
                            "--public-keys", pub, "--store", igs],
                           capture_output=True, text=True, timeout=60)
        check("cosign signature" in ok(p, "verify in ig's layout"), p.stdout)
        # and exported from there, the signatures travel with the image
        igtar = os.path.join(ctx.tmp, "from-ig-layout.tar")
        ok(subprocess.run([RUNNER, "image", "export", "signed:v1", igtar,
                           "--store", igs], capture_output=True, text=True,
                          timeout=60), "export from ig's layout")
        back = os.path.join(ctx.tmp, "from-ig-layout")
        ok(subprocess.run([RUNNER, "image", "import", igtar, "--store",
                           back], capture_output=True, text=True,
                          timeout=60), "import")
        p = subprocess.run([RUNNER, "image", "verify", "signed:v1",
                            "--public-keys", pub, "--store", back],
                           capture_output=True, text=True, timeout=60)
        out = ok(p, "verify what came from ig's layout")
        check("cosign signature" in out and "sigstore bundle" in out, out)
        # and pushed from there, the signature tag goes along
        reg = env.Registry(ctx.tmp, "from-ig-layout")
        try:
            dest = f"{reg.host}/ig/signed:v1"
            ok(subprocess.run([RUNNER, "image", "push", "signed:v1", dest,
                               "--insecure-registries", reg.host, "--store",
                               igs], capture_output=True, text=True,
                              timeout=60), "push from ig's layout")
            p = subprocess.run(["skopeo", "list-tags", "--tls-verify=false",
                                f"docker://{reg.host}/ig/signed"],
                               capture_output=True, text=True, timeout=60)
            tags = json.loads(ok(p, "skopeo list-tags"))["Tags"]
            check(any(t.endswith(".sig") for t in tags), f"tags: {tags}")
        finally:
            reg.stop()
        # the signatures go with the image's last name, not before
        ok(runner(ctx, ["image", "tag", "signed:v1", "signed:v2"]), "tag")
        ok(runner(ctx, ["image", "remove", "signed:v1"]), "remove v1")
        lst = json.loads(ok(runner(ctx, ["image", "list", "-o", "json"]),
                            "list"))
        eq([(e["Tag"], e["signed"]) for e in lst], [("v2", True)],
           "after removing v1")
        ok(runner(ctx, ["image", "remove", "signed:v2"]), "remove v2")
        idx = json.loads(open(os.path.join(ctx.store, "index.json")).read())
        eq(idx["manifests"], [], "entries left: signatures of no image")
        eq(os.listdir(os.path.join(ctx.store, "blobs", "sha256")), [],
           "blobs left")
    finally:
        ctx.store = store


@test
def signatures_of_what_no_name_holds_go_at_the_next_remove(ctx):
    """A build over a signed tag leaves the old image's signatures, which
    list shows no more: the next remove drops them (and their blobs); a
    signature of one architecture's manifest of a named index stays."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "orphans")
    try:
        key, _ = env.keypair(ctx.tmp, "orphan")
        name = "ghcr.io/inspektor-gadget/gadget/moved"
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "moved:v1"],
                  {"SOURCE_DATE_EPOCH": "1"}), "build 1")
        old, idx = stored_index(ctx, f"{name}:v1")
        ok(runner(ctx, ["image", "sign", "moved:v1", "--key", key]), "sign")
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "moved:v1"],
                  {"SOURCE_DATE_EPOCH": "2"}), "build 2")
        new, idx = stored_index(ctx, f"{name}:v1")
        child = idx["manifests"][0]["digest"]
        p = runner(ctx, ["image", "sign", f"{name}@{child}", "--key", key])
        ok(p, "sign a manifest of the index")
        eq(p.stderr, f"Signed {name}@{child}\n", "sign by digest says")
        pub = os.path.join(ctx.tmp, "orphan.pub")
        subprocess.run(["openssl", "ec", "-in", key, "-pubout", "-out", pub],
                       check=True, capture_output=True, timeout=60)
        out = ok(runner(ctx, ["image", "verify", f"{name}@{child}",
                              "--public-keys", pub]), "verify by digest")
        check(out.startswith(f"Verifying image: {name}@{child}\n"
                             f"Verified {name}@{child}: cosign"), out)
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "other:v1"]),
           "build other")
        ok(runner(ctx, ["image", "remove", "other:v1"]), "remove other")

        def refs():
            path = os.path.join(ctx.store, "index.json")
            return sorted(m["annotations"]["org.opencontainers.image.ref."
                                           "name"]
                          for m in json.loads(open(path).read())["manifests"])
        eq(refs(), sorted([f"{name}:v1", f"{name}:sha256-{child[7:]}.sig",
                           f"{name}:sha256-{child[7:]}"]),
           "references after the remove")
        check(not os.path.exists(os.path.join(ctx.store, "blobs", "sha256",
                                              old[7:])),
              "the old image's index is gone")
    finally:
        ctx.store = store


@test
def remove_by_digest_names_each_tag_it_removed(ctx):
    """A digest (or NAME@DIGEST) names tags: remove says which, one line
    each, not the digest it was given."""
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "by-digest")
    try:
        g = "ghcr.io/inspektor-gadget/gadget/"
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "one:v1"]), "build")
        digest, _ = stored_index(ctx, f"{g}one:v1")
        for t in ("one:v2", "one:v3", "two:v1"):
            # ig's line: the new reference with the digest it names
            eq(ok(runner(ctx, ["image", "tag", "one:v1", t]), f"tag {t}"),
               f"Successfully tagged with {g}{t}@{digest}\n", f"tag {t} says")
        out = ok(runner(ctx, ["image", "remove", f"{g}one@{digest}"]),
                 "remove NAME@DIGEST")
        lines = out.splitlines()
        eq(sorted(lines[:-1]),
           [f"Untagged: {g}one:{t}" for t in ("v1", "v2", "v3")],
           "remove NAME@DIGEST says")
        eq(lines[-1:], [f"Successfully removed {g}one@{digest}"],
           "remove NAME@DIGEST's last line (ig's)")
        ok(runner(ctx, ["image", "tag", "two:v1", "two:v2"]), "tag two:v2")
        out = ok(runner(ctx, ["image", "remove", digest, "--force"]),
                 "remove DIGEST")
        lines = out.splitlines()
        eq(sorted(lines[:-1]),
           [f"Untagged: {g}two:{t}" for t in ("v1", "v2")],
           "remove DIGEST says")
        eq(lines[-1:], [f"Successfully removed {digest}"],
           "remove DIGEST's last line (ig's)")
        eq(json.loads(ok(runner(ctx, ["image", "list", "-o", "json"]),
                         "list")), [], "the store after")
    finally:
        ctx.store = store


def with_index(src, dst, edit):
    """Copy the layout tar src to dst with index.json changed by edit."""
    with tarfile.open(src) as t, tarfile.open(dst, "w") as out:
        for m in t.getmembers():
            data = t.extractfile(m).read() if m.isfile() else None
            if m.name == "index.json":
                data = json.dumps(edit(json.loads(data))).encode()
                m.size = len(data)
            out.addfile(m, io.BytesIO(data) if data is not None else None)


@test
def import_of_a_name_given_twice(ctx):
    """Stored once when it names one content; refused when it names two,
    and nothing is stored."""
    src = os.path.join(ctx.tmp, "dup-src.tar")
    ref = "localhost:1/dup/g:v1"
    env.gadget_tar(src, ref, "name: dup\n",
                   {"amd64": b"\x7fELF-dup-amd64", "arm64": b"\x7fELF-dup"})
    same = os.path.join(ctx.tmp, "dup-same.tar")
    with_index(src, same, lambda i: dict(i, manifests=i["manifests"] * 2))
    store = ctx.store
    ctx.store = os.path.join(ctx.tmp, "dup-store")
    try:
        out = ok(runner(ctx, ["image", "import", same]), "import")
        eq(out, f"Successfully imported images:\n  {ref}\n", "import says")
        idx = json.loads(open(os.path.join(ctx.store, "index.json")).read())
        eq(len(idx["manifests"]), 1, "entries of the store")

        def other(i):
            first = i["manifests"][0]
            arch = json.loads(subprocess.run(
                ["tar", "-xOf", src, "blobs/sha256/" + first["digest"][7:]],
                capture_output=True, check=True, timeout=60).stdout)
            m = dict(arch["manifests"][0], annotations=first["annotations"])
            del m["platform"]
            return dict(i, manifests=[first, m])
        clash = os.path.join(ctx.tmp, "dup-clash.tar")
        with_index(src, clash, other)
        ctx.store = os.path.join(ctx.tmp, "dup-store2")
        ok(runner(ctx, ["image", "build", FIXTURE, "-t", "kept:v1"]), "build")
        before = env.store_snapshot(ctx.store)
        fails(runner(ctx, ["image", "import", clash]), "clash",
              f"names {ref} twice")
        eq(env.store_snapshot(ctx.store), before, "store after the refusal")
    finally:
        ctx.store = store


@test
def build_checks_the_gadget_without_the_kernel(ctx):
    """`image build` checks the gadget as `run` opens it, but loads
    nothing: a gadget with runtime.* fields started the container
    tracker's eBPF loader there (29 bpf(2) calls for snapshot_process)."""
    log = os.path.join(ctx.tmp, "build.strace")
    p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o", log,
                        RUNNER, "image", "build",
                        os.path.join(ROOT, "examples", "snapshot_process"),
                        "-t", "nokernel:v1", "--store", ctx.store],
                       capture_output=True, text=True, timeout=300)
    ok(p, "build under strace")
    stored_index(ctx, "ghcr.io/inspektor-gadget/gadget/nokernel:v1")
    with open(log) as f:
        calls = [line for line in f if "bpf(" in line]
    eq(len(calls), 0, f"bpf(2) calls (the first: {calls[:1]})")


if __name__ == "__main__":
    main(setup, teardown)
