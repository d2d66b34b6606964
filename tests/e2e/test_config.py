#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""ig's configuration file and environment as flag defaults of `runner run`,
and `runner config view|default`.

ig (cmd/common/config.go, pkg/config) reads --config FILE, else
$HOME/.ig/config.yaml when it exists, binds INSPEKTOR_GADGET_<KEY> ('.'
and '-' as '_') to the same keys, and sets a flag the command line leaves
unset from them: flag > environment > file > default.  The run flags ig
reads so are its OCI operator's, under operator.oci.<flag>.  The image is
examples/snapshot_process built here (trusted as such), which runs once and
ends; operator.oci.allowed-gadgets decides whether it may run at all.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, ROOT, test, main, check, eq, ok,  # noqa: E402
                     fails)

GADGET = os.path.join(ROOT, "examples", "snapshot_process")
REF = "localhost/cfg/snap:v1"
ENV_ALLOWED = "INSPEKTOR_GADGET_OPERATOR_OCI_ALLOWED_GADGETS"


class Ctx:
    pass


def clean_env():
    """The environment without ig's or the runner's settings, but where
    image build finds the gadget API (set by the harness for a build
    outside build/)."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith(("INSPEKTOR_GADGET_", "RUNNER_"))
            or k == "RUNNER_GADGET_INCLUDE"}


def runner(ctx, *args, env=None, home=None, cwd=None):
    e = clean_env()
    e["HOME"] = home or ctx.home
    e["RUNNER_KEYS_DIR"] = ctx.no_keys
    e.update(env or {})
    return subprocess.run([RUNNER] + list(args), capture_output=True,
                          text=True, env=e, timeout=120, cwd=cwd)


def run_snap(ctx, *extra, **kw):
    return runner(ctx, "run", REF, "--store", ctx.store, "-o", "json",
                  "--timeout", "20", *extra, **kw)


def ran(p, what):
    """The run went through: exit 0 and snapshot_process's JSON events."""
    out = ok(p, what)
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    check(rows, f"{what}: no events")
    return rows


def refused(p, what):
    return fails(p, what, "not in --allowed-gadgets")


def write(ctx, name, text):
    path = os.path.join(ctx.tmp, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def setup():
    ctx = Ctx()
    check(os.access(RUNNER, os.X_OK), f"{RUNNER} not built")
    ctx.tmp = tempfile.mkdtemp(prefix="runner-config-")
    ctx.home = os.path.join(ctx.tmp, "home")  # no ~/.ig/config.yaml
    os.makedirs(ctx.home)
    ctx.no_keys = os.path.join(ctx.tmp, "no-keys")
    os.makedirs(ctx.no_keys)
    ctx.store = os.path.join(ctx.tmp, "store")
    ok(runner(ctx, "image", "build", GADGET, "-t", REF, "--store",
              ctx.store), "image build")
    ctx.deny = write(ctx, "deny.yaml", "operator:\n  oci:\n"
                     "    allowed-gadgets:\n      - localhost/other/*\n")
    ctx.allow = write(ctx, "allow.yaml", "operator:\n  oci:\n"
                      f"    allowed-gadgets: [{REF}]\n")
    return ctx


def teardown(ctx):
    if ctx and not os.environ.get("KEEP_TMP"):
        shutil.rmtree(ctx.tmp, ignore_errors=True)


@test
def file_sets_a_run_flag_default_and_the_flag_overrides_it(ctx):
    ran(run_snap(ctx), "no configuration")
    refused(run_snap(ctx, "--config", ctx.deny), "--config FILE")
    refused(runner(ctx, "--config=" + ctx.deny, "run", REF, "--store",
                   ctx.store, "-o", "json"), "--config=FILE first")
    ran(run_snap(ctx, "--config", ctx.deny, "--allowed-gadgets", REF),
        "--allowed-gadgets on the line")
    ran(run_snap(ctx, "--config", ctx.allow), "a file that allows it")


@test
def verify_image_from_the_file_reaches_the_run(ctx):
    """operator.oci.verify-image: false is --verify-image=false (which
    warns once); the flag on the line overrides it."""
    warning = "--verify-image=false: image signatures are not verified"
    path = write(ctx, "noverify.yaml",
                 "operator:\n  oci:\n    verify-image: false\n")
    p = run_snap(ctx, "--config", path)
    ran(p, "verify-image: false")
    check(warning in p.stderr, f"no warning: {p.stderr!r}")
    p = run_snap(ctx, "--config", path, "--verify-image")
    ran(p, "--verify-image over the file")
    check(warning not in p.stderr, f"warned: {p.stderr!r}")
    p = run_snap(ctx, env={"INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE":
                           "false"})
    ran(p, "variable")
    check(warning in p.stderr, f"no warning from the variable: {p.stderr!r}")


@test
def bool_params_take_every_ig_spelling(ctx):
    """A bool key of an operator (ig's bool param) takes what the flag
    takes: Go's ParseBool spellings and true or false in any case (ig's
    ValidateBool), in the file and the environment (fAlSe was refused);
    so do --verify-image and --disallow-pulling on the line.  The root
    key verbose is ig's pflag bool: ParseBool's spellings only."""
    warning = "--verify-image=false: image signatures are not verified"
    path = write(ctx, "mixed.yaml",
                 "operator:\n  oci:\n    verify-image: fAlSe\n")
    var = "INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE"
    for what, args, e in (("verify-image: fAlSe", ["--config", path], None),
                          ("variable FaLSE", [], {var: "FaLSE"}),
                          ("variable 0", [], {var: "0"}),
                          ("--verify-image=fALSE", ["--verify-image=fALSE"],
                           None)):
        p = run_snap(ctx, *args, env=e)
        ran(p, what)
        check(warning in p.stderr, f"{what}: no warning: {p.stderr!r}")
    p = run_snap(ctx, "--config", path, "--verify-image=tRuE")
    ran(p, "--verify-image=tRuE over the file")
    check(warning not in p.stderr, f"--verify-image=tRuE warned: "
          f"{p.stderr!r}")
    fails(runner(ctx, "run", "localhost/cfg/absent:v1", "--store",
                 ctx.store, "--disallow-pulling=tRuE"),
          "--disallow-pulling=tRuE", "pulling is disallowed", code=1)
    path = write(ctx, "verbose.yaml", "verbose: tRuE\n")
    p = runner(ctx, "--config", path, "version")
    eq((p.returncode, p.stdout, p.stderr),
       (2, "", f"runner: config {path}: verbose: invalid value 'tRuE': "
        "want true or false\n"), "verbose: tRuE")


@test
def params_from_files_as_ig_on_the_line_and_in_the_file(ctx):
    """ig's --PARAM=@FILE: --allowed-gadgets=@FILE on the line, and a
    configuration key or variable that sets a param (ig's
    setFlagsFromConfig() sets the flag, whose Set() reads "@FILE"), take
    the file's content: a list, a bool; a missing file is named with the
    key.  --config is no param: --config @NAME reads the file "@NAME"."""
    allow = write(ctx, "allow.txt", REF)
    deny = write(ctx, "deny.txt", "localhost/other/*")
    ran(run_snap(ctx, "--config", ctx.deny, "--allowed-gadgets=@" + allow),
        "--allowed-gadgets=@FILE that allows it")
    refused(run_snap(ctx, "--allowed-gadgets", "@" + deny),
            "--allowed-gadgets @FILE that denies it")
    path = write(ctx, "at.yaml", "operator:\n  oci:\n"
                 f"    allowed-gadgets: ['@{deny}']\n")
    refused(run_snap(ctx, "--config", path), "allowed-gadgets: [@FILE]")
    refused(run_snap(ctx, env={ENV_ALLOWED: "@" + deny}), "variable @FILE")
    warning = "--verify-image=false: image signatures are not verified"
    no = write(ctx, "false.txt", "false")
    p = run_snap(ctx, env={"INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE":
                           "@" + no})
    ran(p, "verify-image from a file")
    check(warning in p.stderr, f"no warning: {p.stderr!r}")
    gone = os.path.join(ctx.tmp, "gone.txt")
    path = write(ctx, "gone.yaml", f"operator:\n  oci:\n    pull: '@{gone}'\n")
    p = run_snap(ctx, "--config", path)
    eq((p.returncode, p.stdout, p.stderr),
       (2, "", f"runner: config {path}: operator.oci.pull: reading file "
        f'"{gone}" for parameter "pull": No such file or directory\n'),
       "pull: '@missing'")
    # --config is ig's plain flag: "@deny.yaml" is the file's name
    shutil.copy(ctx.deny, os.path.join(ctx.tmp, "@at-deny.yaml"))
    p = runner(ctx, "run", REF, "--store", ctx.store, "-o", "json",
               "--config", "@at-deny.yaml", cwd=ctx.tmp)
    refused(p, "--config @NAME: the file @NAME")


@test
def default_file_is_igs_under_home(ctx):
    """A user's ig configuration, ~/.ig/config.yaml, counts without
    --config; a named file replaces it."""
    home = os.path.join(ctx.tmp, "home-with-ig")
    os.makedirs(os.path.join(home, ".ig"), exist_ok=True)
    shutil.copy(ctx.deny, os.path.join(home, ".ig", "config.yaml"))
    refused(run_snap(ctx, home=home), "~/.ig/config.yaml")
    ran(run_snap(ctx, "--config", ctx.allow, home=home),
        "--config over the default file")


@test
def default_file_the_user_may_not_read_is_no_file(ctx):
    """A user whose HOME is root's (setpriv, sudo -u keep it) cannot open
    ~/.ig/config.yaml: as in ig, no default file, not an error (every
    command failed with "config: open ...: Permission denied")."""
    home = os.path.join(ctx.tmp, "home-of-root")
    os.makedirs(os.path.join(home, ".ig"), exist_ok=True)
    shutil.copy(ctx.deny, os.path.join(home, ".ig", "config.yaml"))
    os.chmod(home, 0o700)
    e = clean_env()
    e["HOME"] = home
    p = subprocess.run(["setpriv", "--reuid", "nobody", "--regid", "nogroup",
                        "--clear-groups", RUNNER, "config", "view"],
                       capture_output=True, text=True, env=e, timeout=60)
    eq((p.returncode, p.stdout, p.stderr), (0, "{}\n", ""),
       "config view as nobody with root's HOME")
    fails(runner(ctx, "config", "view", "--config",
                 os.path.join(home, "missing.yaml")),
          "a named file still counts", "missing.yaml", code=2)


@test
def environment_overrides_the_file_and_the_flag_both(ctx):
    ran(run_snap(ctx, "--config", ctx.deny, env={ENV_ALLOWED: REF}),
        "environment over the file")
    refused(run_snap(ctx, "--config", ctx.allow,
                     env={ENV_ALLOWED: "localhost/other/*"}),
            "environment over the file (refusing)")
    ran(run_snap(ctx, "--allowed-gadgets", REF,
                 env={ENV_ALLOWED: "localhost/other/*"}),
        "flag over the environment")
    # empty is unset, as viper reads it
    refused(run_snap(ctx, "--config", ctx.deny, env={ENV_ALLOWED: ""}),
            "an empty variable")


@test
def config_naming_a_missing_file_fails(ctx):
    missing = os.path.join(ctx.tmp, "nope.yaml")
    fails(run_snap(ctx, "--config", missing), "run --config MISSING",
          missing, "No such file", code=2)
    fails(runner(ctx, "--config", missing, "config", "view"),
          "config view --config MISSING", missing, code=2)
    fails(runner(ctx, "run", REF, "--config"), "--config without a FILE",
          "--config", code=2)


@test
def bad_values_fail_with_one_line_naming_file_and_key(ctx):
    cases = [
        ("operator:\n  oci:\n    verify-image: maybe\n",
         "operator.oci.verify-image", "'maybe'"),
        ("operator:\n  oci:\n    pull: sometimes\n",
         "operator.oci.pull", "'sometimes'"),
        ("operator:\n  oci:\n    public-keys: {a: b}\n",
         "operator.oci.public-keys", "want a list"),
        ("operator:\n  oci:\n    authfile: [a, b]\n",
         "operator.oci.authfile", "want a value"),
        # of the right type, refused by the flag: the flag's reason too
        ("operator:\n  localmanager:\n    runtimes: nosuch\n",
         "operator.localmanager.runtimes", "runtime 'nosuch'"),
        ("operator:\n  otel-metrics:\n    otel-metrics-listen-address: x\n",
         "operator.otel-metrics.otel-metrics-listen-address", '"x"'),
    ]
    for i, (text, key, why) in enumerate(cases):
        path = write(ctx, f"bad{i}.yaml", text)
        fails(run_snap(ctx, "--config", path), key, path, key, why, code=2)
    fails(run_snap(ctx, env={"INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE":
                             "maybe"}), "bad variable",
          "INSPEKTOR_GADGET_OPERATOR_OCI_VERIFY_IMAGE", "'maybe'", code=2)
    fails(run_snap(ctx, env={"INSPEKTOR_GADGET_OPERATOR_LOCALMANAGER_"
                             "RUNTIMES": "nosuch"}), "bad runtimes variable",
          "environment INSPEKTOR_GADGET_OPERATOR_LOCALMANAGER_RUNTIMES: ",
          "runtime 'nosuch'", code=2)
    # files that are no configuration, or hostile: one line, exit 2
    hostile = [("list.yaml", "- a\n", "want a mapping"),
               ("syntax.yaml", "a: [b\n", "syntax.yaml:"),
               ("bomb.yaml", "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n",
                "alias"),
               ("big.yaml", "a: " + "x" * (1 << 20) + "\n", "allowed")]
    for name, text, why in hostile:
        path = write(ctx, name, text)
        fails(run_snap(ctx, "--config", path), name, path, why, code=2)


@test
def unknown_keys_are_ignored_as_ig_does(ctx):
    path = write(ctx, "unknown.yaml",
                 "verbose: true\nfoo: {bar: [1, 2]}\noperator:\n"
                 "  ebpf:\n    x: 1\n  oci:\n    no-such-flag: 3\n"
                 f"    allowed-gadgets: {REF}\n")
    ran(run_snap(ctx, "--config", path), "unknown keys")
    # bools in every spelling ig (Go's ParseBool) takes
    for spelling in ("1", "t", "True", "FALSE", "0"):
        p = write(ctx, "bool.yaml", "operator:\n  oci:\n"
                  f"    verify-image: {spelling}\n"
                  f"    allowed-gadgets: {REF}\n")
        ran(run_snap(ctx, "--config", p), f"verify-image: {spelling}")


@test
def config_flag_completes_file_names(ctx):
    """--config, before the command or after it, takes a file name in
    completion as it does on the command line."""
    for words in (["--config", ""], ["run", "--config", ""],
                  ["config", "view", "--config", ""]):
        eq(ok(runner(ctx, "__complete", *words), words), ":files\n",
           f"__complete {words}")
    check("--config" in ok(runner(ctx, "__complete", "-"), "root flags"),
          "--config not among runner's own flags")


@test
def config_view_prints_the_file_as_ig_does(ctx):
    eq(ok(runner(ctx, "config", "view"), "view without a file"), "{}\n",
       "view without a file")
    path = write(ctx, "view.yaml",
                 "Operator:\n  oci:\n    verify-image: false\n"
                 "    public-keys:\n      - /k/a.pub\n      - /k/b.pub\n"
                 "    pull: 'never'\n"
                 "  OCI2: {annotate: []}\n"
                 "zeta: \"yes\"\nalpha: 10\nnothing:\nempty: ''\n"
                 "text: 'a: b'\n")
    want = ("alpha: 10\n"
            "empty: \"\"\n"
            "operator:\n"
            "    oci:\n"
            "        public-keys:\n"
            "            - /k/a.pub\n"
            "            - /k/b.pub\n"
            "        pull: never\n"
            "        verify-image: false\n"
            "    oci2:\n"
            "        annotate: []\n"
            "text: 'a: b'\n"
            "zeta: \"yes\"\n")
    eq(ok(runner(ctx, "config", "view", "--config", path), "view"), want,
       "config view")
    home = os.path.join(ctx.tmp, "home-view")
    os.makedirs(os.path.join(home, ".ig"), exist_ok=True)
    shutil.copy(path, os.path.join(home, ".ig", "config.yaml"))
    eq(ok(runner(ctx, "config", "view", home=home), "view default"), want,
       "config view of ~/.ig/config.yaml")


@test
def config_view_reads_back_as_the_same_settings(ctx):
    """What config view prints is YAML that reads as the settings it
    shows: a text ending in blank lines keeps them (|+), one whose first
    line begins with blanks, or with a character YAML reads as a line
    break (U+0085), is quoted, a key on one line (a long one explicit,
    '? '), an entry of nothing but nulls is {}, and of keys that differ
    in case only the last counts (as the runner reads them), a null one
    removing the setting."""
    long_key = "k" * 300
    path = write(ctx, "back.yaml",
                 "a:\n  - \"k1\\nk2\\n\\n\"\n  - \"  lead\\nx\"\n"
                 "  - \"x\\Ny\"\n  - {n: ~}\n"
                 "\"multi\\nkey\": 1\n"
                 f"{long_key}: 1\n"
                 "dup: 1\nDUP: 2\ngone: 3\nGone: ~\n")
    want = ("a:\n"
            "    - |+\n"
            "      k1\n"
            "      k2\n"
            "\n"
            "    - \"  lead\\nx\"\n"
            "    - \"x\\x85y\"\n"
            "    - {}\n"
            "dup: 2\n"
            f"? {long_key}\n"
            ": 1\n"
            "\"multi\\nkey\": 1\n")
    view = ok(runner(ctx, "config", "view", "--config", path), "view")
    eq(view, want, "config view")
    again = write(ctx, "back2.yaml", view)
    eq(ok(runner(ctx, "config", "view", "--config", again), "view of view"),
       want, "config view of the view")


@test
def localmanager_keys_set_runtimes_and_containerd_namespace(ctx):
    """ig's -r and --containerd-namespace are its LocalManager operator's
    global params: operator.localmanager.<flag> in the file (any case,
    as viper's keys) or INSPEKTOR_GADGET_OPERATOR_LOCALMANAGER_<FLAG>; a
    value the flag refuses shows that it was read; the flag, long or
    short, wins."""
    ns = write(ctx, "ns.yaml", "operator:\n  LocalManager:\n"
               "    containerd-namespace: bad..ns\n")
    fails(run_snap(ctx, "--config", ns), "containerd-namespace in the file",
          "'bad..ns' is not a containerd namespace", code=2)
    fails(run_snap(ctx, env={"INSPEKTOR_GADGET_OPERATOR_LOCALMANAGER_"
                             "CONTAINERD_NAMESPACE": "bad..ns"}),
          "containerd-namespace in the environment",
          "'bad..ns' is not a containerd namespace", code=2)
    ran(run_snap(ctx, "--config", ns, "--containerd-namespace", "k8s.io"),
        "--containerd-namespace over the file")
    rt = write(ctx, "rt.yaml", "operator:\n  localmanager:\n"
               "    runtimes: nosuch\n")
    fails(run_snap(ctx, "--config", rt), "runtimes in the file",
          "runtime 'nosuch' is not supported", code=2)
    for flag in (["-r", "docker"], ["-rdocker"], ["--runtimes=podman"]):
        ran(run_snap(ctx, "--config", rt, *flag), f"{flag} over the file")
    ran(run_snap(ctx, "--config", write(
        ctx, "rt2.yaml", "operator:\n  localmanager:\n    runtimes: "
        "docker,podman\n")), "a runtimes list the flag takes")


@test
def config_default_prints_the_keys_run_reads_as_ig_does(ctx):
    want = ("operator:\n"
            "    env:\n"
            "        env-vars: \"\"\n"
            "    localmanager:\n"
            "        containerd-namespace: k8s.io\n"
            "        runtimes: docker,containerd,cri-o,podman\n"
            "    oci:\n"
            "        allowed-gadgets: []\n"
            "        annotate: []\n"
            "        authfile: /var/lib/ig/config.json\n"
            "        disallow-pulling: \"false\"\n"
            "        insecure-registries: []\n"
            "        public-keys: []\n"
            "        pull: missing\n"
            "        verify-image: \"true\"\n"
            "    otel-metrics:\n"
            "        otel-metrics-listen: \"false\"\n"
            "        otel-metrics-listen-address: 0.0.0.0:2224\n"
            "verbose: \"false\"\n")
    eq(ok(runner(ctx, "config", "default"), "default"), want,
       "config default")
    # what it prints is a configuration that changes nothing
    path = write(ctx, "default.yaml", want)
    ran(run_snap(ctx, "--config", path), "run with config default's file")


if __name__ == "__main__":
    main(setup, teardown)
