#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`make install` / `make uninstall`, the man page, bash completion and
`runner version`, as a user meets them after installing.

`make install DESTDIR=<tmp> PREFIX=/usr` stages every file; the tests use
the staged binary, man page and completion script.  What the man page and
the completion must cover is asked from the binary itself (`runner
__complete` reads the CLI's command and flag tables, `--help` lists the
commands), never from a list written here.
"""
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (BUILD, ROOT, RUNNER, Fail, check, eq,  # noqa: E402
                     main, sh, test)

PREFIX = "/usr"
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"


class Env:
    pass


def make(target, destdir, *args):
    return sh(f"make -C {shlex.quote(ROOT)} --no-print-directory "
              f"BUILD={shlex.quote(BUILD)} DESTDIR={shlex.quote(destdir)} "
              f"{' '.join(args)} {target}")


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="install-e2e-")
    env.dest = os.path.join(env.tmp, "stage")
    env.store = os.path.join(env.tmp, "store")
    make("install", env.dest, f"PREFIX={PREFIX}")
    env.bin = f"{env.dest}{PREFIX}/bin/runner"
    env.man = f"{env.dest}{PREFIX}/share/man/man1/runner.1"
    env.comp = f"{env.dest}{PREFIX}/share/bash-completion/completions/runner"
    env.inc = f"{env.dest}{PREFIX}/share/runner/include"
    # images for the completion tests, built by the staged binary
    e = {k: v for k, v in os.environ.items()
         if k not in ("RUNNER_GADGET_INCLUDE", "RUNNER_VMLINUX_DIR")}
    env.builds = [run(env.bin, "image", "build", os.path.join(ROOT, d),
                      "-t", ref, "--store", env.store, env=e)
                  for d, ref in (("gadget/trace_dns", "trace_dns:latest"),
                                 ("examples/trace_exec",
                                  "localhost:5000/gadgets/trace_exec:v1"))]
    return env


def teardown(env):
    if env:
        shutil.rmtree(env.tmp, ignore_errors=True)


def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)


def files_under(d):
    return sorted(os.path.relpath(os.path.join(r, f), d)
                  for r, _, fs in os.walk(d) for f in fs)


def expected_files():
    hdrs = sorted(os.path.basename(h) for h in
                  glob.glob(os.path.join(ROOT, "gadget/include/gadget/*.h")))
    check(hdrs, "no gadget API headers in the tree")
    p = PREFIX.lstrip("/")
    return sorted([f"{p}/bin/runner", f"{p}/share/man/man1/runner.1",
                   f"{p}/share/bash-completion/completions/runner",
                   f"{p}/share/runner/include/vmlinux.h"] +
                  [f"{p}/share/runner/include/gadget/{h}" for h in hdrs])


@test
def install_stages_every_file(env):
    eq(files_under(env.dest), expected_files(), "files under DESTDIR")
    eq(os.stat(env.bin).st_mode & 0o777, 0o755, "mode of bin/runner")
    for f in (env.man, env.comp):
        eq(os.stat(f).st_mode & 0o777, 0o644, f"mode of {f}")
    with open(env.bin, "rb") as a, open(RUNNER, "rb") as b:
        check(a.read() == b.read(), "bin/runner is not the built runner")
    with open(env.comp) as a, open(os.path.join(ROOT, "runner/cli/completion.bash")) as b:
        eq(a.read(), b.read(), "the installed completion script")


@test
def install_default_prefix_is_usr_local(env):
    d = os.path.join(env.tmp, "default")
    make("install", d)
    check(os.path.isfile(f"{d}/usr/local/bin/runner"),
          f"no usr/local/bin/runner in {files_under(d)}")
    eq(len(files_under(d)), len(expected_files()), "files installed")
    make("uninstall", d)
    eq(files_under(d), [], "files left by uninstall")


@test
def installed_runner_builds_an_image(env):
    """The staged binary finds the API headers and vmlinux.h it was
    installed with (no RUNNER_GADGET_INCLUDE, no build tree nearby)."""
    for p in env.builds:
        eq(p.returncode, 0, f"{' '.join(p.args[1:4])}: {p.stderr}")
    out = run(env.bin, "image", "list", "--store", env.store).stdout
    check("trace_dns" in out and "trace_exec" in out, f"image list: {out}")
    check(not os.path.exists(os.path.dirname(env.bin) + "/include"),
          "image build wrote into the bin folder")


@test
def make_gadget_image_keeps_stdout_for_the_events(env):
    """`make run ARGS="-o json" > events.json`: the build before the run
    (make gadget-image) says what it built on stderr, stdout stays the
    events'."""
    store = os.path.join(env.tmp, "make-store")
    p = run("make", "-C", ROOT, "--no-print-directory", f"BUILD={BUILD}",
            "gadget-image", env=dict(os.environ, RUNNER_STORE=store))
    eq(p.returncode, 0, f"make gadget-image ({p.stderr})")
    eq(p.stdout, "", "stdout of make gadget-image")
    check(re.search(r"^Successfully built ghcr\.io/inspektor-gadget/gadget/"
                    r"trace_dns:latest@sha256:[0-9a-f]{64}$", p.stderr, re.M),
          p.stderr)


def man_text(path, width=1000):
    e = dict(os.environ, MANWIDTH=str(width), LC_ALL="C.UTF-8",
             MAN_KEEP_FORMATTING="")
    p = run("man", "--warnings", "-P", "cat", "-l", path, env=e)
    eq(p.returncode, 0, f"man -l exit status ({p.stderr})")
    eq(p.stderr, "", "warnings of man -l")
    return p.stdout


@test
def man_page_renders(env):
    text = man_text(env.man, 80)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS",
                    "ENVIRONMENT", "FILES", "EXIT STATUS", "EXAMPLES"):
        check(re.search(rf"^{section}$", text, re.M),
              f"no {section} section in the man page")
    check(re.search(r"^\s+runner — ", text, re.M), "NAME line")
    check(max(len(ln) for ln in text.splitlines()) <= 80,
          "a line wider than MANWIDTH")


# flags every command takes, as ig's root command's persistent flags: told
# once, in `runner --help` and the man page's own flags, not per command
EVERY_COMMAND = ("--help", "--verbose")


def complete(binary, *words, env=None):
    p = run(binary, "__complete", *words, env=env)
    eq(p.returncode, 0, f"__complete {words}: {p.stderr}")
    return p.stdout.split()


def help_commands(binary, *cmd):
    """The names under COMMANDS/SUBCOMMANDS in `runner [cmd] --help`."""
    out = run(binary, *cmd, "--help").stdout
    m = re.search(r"^(?:SUB)?COMMANDS\n((?:  \S.*\n)+)", out, re.M)
    check(m, f"no command list in `runner {' '.join(cmd)} --help`")
    return [ln.split()[0] for ln in m.group(1).splitlines()]


def cli_tree(binary):
    """[(command path, [flags])] from the binary's own tables."""
    cmds = complete(binary, "")
    eq(cmds, help_commands(binary), "commands: __complete vs --help")
    subs = complete(binary, "image", "")
    eq(subs, help_commands(binary, "image"), "image subcommands")
    tree = [((), complete(binary, "-"))]
    for c in cmds:
        if c == "image":
            tree += [(("image", s), complete(binary, "image", s, "-"))
                     for s in subs]
        else:
            tree.append(((c,), complete(binary, c, "-")))
    check(len(tree) > 10 and all(f for _, f in tree[:1]), f"tree {tree}")
    return tree


def man_sections(text):
    """{"image pull": text of the subsection `runner image pull ...`}."""
    out, name, buf = {}, None, []
    for ln in text.splitlines():
        m = re.match(r"^   runner ((?:[a-z][a-z-]*)(?: [a-z]+)?)\b", ln)
        if m or re.match(r"^\S", ln):
            if name:
                out[name] = "\n".join(buf)
            name, buf = None, []
            if m:
                words = m.group(1).split()
                name = " ".join(words if words[0] == "image" else words[:1])
        elif name:
            buf.append(ln)
    if name:
        out[name] = "\n".join(buf)
    return out


@test
def man_page_covers_every_command_and_flag(env):
    text = man_text(env.man)
    sections = man_sections(text)
    missing = []
    for path, flags in cli_tree(env.bin):
        if not path:  # runner's own flags: anywhere in the page
            missing += [f for f in flags if not re.search(
                rf"(?<![\w-]){re.escape(f)}(?![\w-])", text)]
            continue
        name = " ".join(path)
        if name not in sections:
            missing.append(f"section `runner {name}`")
            continue
        for f in flags:
            if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])",
                             sections[name]) and f not in EVERY_COMMAND:
                missing.append(f"runner {name} {f}")
    eq(missing, [], "not in the man page")


@test
def man_page_covers_every_environment_variable(env):
    names = set()
    for src in ("common", "oci", "metadata", "runner"):
        for f in glob.glob(os.path.join(ROOT, src, "**/*.c"), recursive=True):
            with open(f) as fh:
                names |= set(re.findall(r'getenv\("([A-Z_0-9]+)"\)', fh.read()))
    check("RUNNER_STORE" in names, f"getenv names {names}")
    env_section = re.search(r"^ENVIRONMENT\n(.*?)^\S", man_text(env.man),
                            re.M | re.S).group(1)
    eq(sorted(n for n in names if not re.search(rf"\b{n}\b", env_section)),
       [], "variables the runner reads, not in ENVIRONMENT")


@test
def every_help_lists_its_flags(env):
    missing = []
    for path, flags in cli_tree(env.bin):
        if not path or path == ("help",):
            continue
        out = run(env.bin, *path, "--help").stdout
        missing += [f"runner {' '.join(path)} {f}" for f in flags
                    if f not in EVERY_COMMAND and not re.search(
                        rf"(?<![\w-]){re.escape(f)}(?![\w-])", out)]
    eq(missing, [], "flags missing from --help")


@test
def every_help_wraps_its_descriptions_in_one_column(env):
    """A flag's description that goes on to the next line starts there in
    the column where the help's other descriptions start (the registry
    flags' block, shared by run, login, pull and push, was two columns
    right of the rest of `run --help`)."""
    columns = {}
    for path, _ in cli_tree(env.bin):
        out = run(env.bin, *path, "--help").stdout
        flags = out.split("\nFLAGS\n")[-1].split("\nEXAMPLES\n")[0]
        cols = {len(m.group(1)) for m in
                re.finditer(r"^( {12,})\S", flags, re.M)}
        if cols:
            columns[" ".join(path)] = sorted(cols)
    check("run" in columns and "login" in columns, f"no wrapped flag "
          f"descriptions found: {columns}")
    eq({p: c for p, c in columns.items() if len(c) != 1}, {},
       "helps whose wrapped descriptions start in more than one column")


@test
def help_of_a_command_is_its_help_as_ig(env):
    """`runner help CMD [SUB]` is `runner CMD [SUB] --help`, as ig's (cobra's)
    help command takes a command; it printed the list of commands."""
    for path, _ in cli_tree(env.bin):
        if not path or path == ("help",):
            continue
        got = run(env.bin, "help", *path)
        eq((got.returncode, got.stdout),
           (0, run(env.bin, *path, "--help").stdout), f"help {path}")
    got = run(env.bin, "help", "bogus")
    eq((got.returncode, got.stdout, got.stderr),
       (2, "", "runner: unknown command 'bogus' (see `runner --help`)\n"),
       "help of an unknown command")


def doc_section(path, heading):
    """The text of a Markdown file from heading to the next heading of its
    level or higher."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    level = len(heading) - len(heading.lstrip("#"))
    m = re.search(rf"^{re.escape(heading)}\n(.*?)(?=^#{{1,{level}}} |\Z)",
                  text, re.M | re.S)
    check(m, f"no '{heading}' in {path}")
    return m.group(1)


def names_flag(text, flag):
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text)


@test
def readme_and_ig_compat_name_every_run_flag(env):
    """README's table of `runner run` flags and ig-compat.md's list of
    ig's flags (each flag ig's, a difference, or added) name every flag
    run takes, as its own table says."""
    flags = [f for f in complete(env.bin, "run", "-") if f != "--help"]
    check("--output" in flags and "--k8s" in flags, f"run flags {flags}")
    table = doc_section("README.md", "### `runner run` flags")
    compat = doc_section("docs/ig-compat.md", "## The flags of `ig run`")
    eq([f for f in flags if not names_flag(table, f)], [],
       "run flags not in README's table")
    eq([f for f in flags if not names_flag(compat, f)], [],
       "run flags not in ig-compat.md's flags of ig run")


@test
def ig_compat_names_every_list_containers_flag(env):
    """ig-compat.md's section on list-containers names every flag the
    command takes."""
    flags = [f for f in complete(env.bin, "list-containers", "-")
             if f not in EVERY_COMMAND]
    check("--watch" in flags, f"list-containers flags {flags}")
    compat = doc_section("docs/ig-compat.md",
                         "## `ig list-containers` and `runner list-containers`")
    eq([f for f in flags if not names_flag(compat, f)], [],
       "list-containers flags not in ig-compat.md")


@test
def every_output_mode_is_documented(env):
    """The modes `-o` takes, as its usage error lists them, are in
    `runner run --help`, the man page's -o and README's table."""
    p = run(env.bin, "run", "trace_dns", "--store", env.store, "-o", "x")
    eq(p.returncode, 2, f"run -o x: {p.stderr}")
    m = re.search(r"want ([a-z-]+(?:, [a-z-]+)+)", p.stderr)
    check(m, f"no list of modes in {p.stderr!r}")
    modes = m.group(1).split(", ")
    check("pcap-ng" in modes and "none" in modes, f"modes {modes}")
    man = man_sections(man_text(env.man))["run"]
    man_o = re.search(r"-o, --output MODE\n(.*?)\n\n", man, re.S)
    check(man_o, "no -o in the man page's run section")
    help_o = re.search(r"-o, --output MODE(.*?)--fields",
                       run(env.bin, "run", "--help").stdout, re.S)
    check(help_o, "no -o in run --help")
    table = doc_section("README.md", "### `runner run` flags")
    readme_o = re.search(r"^\| `-o, --output MODE` \|(.*)$", table, re.M)
    check(readme_o, "no -o row in README's table")
    for name, text in (("man page", man_o.group(1)),
                       ("run --help", help_o.group(1)),
                       ("README", readme_o.group(1))):
        eq([mo for mo in modes if not names_flag(text, mo)], [],
           f"-o modes missing from the {name}")


def bash_complete(env, words, line=None, preamble="", comp=None):
    """Source the installed script (or comp), call _runner with
    COMP_WORDS = words (words[0] is the staged binary) and the cursor at
    the end of line, return COMPREPLY."""
    cword = len(words) - 1
    line = " ".join(words) if line is None else line
    script = f"""
{preamble}
source {shlex.quote(comp or env.comp)}
COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})
COMP_CWORD={cword}
COMP_LINE={shlex.quote(line)}
COMP_POINT={len(line)}
_runner
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    e = dict(os.environ, RUNNER_STORE=env.store)
    e.pop("RUNNER_REGISTRY_PREFIX", None)
    p = run("bash", "-c", script, env=e)
    eq(p.returncode, 0, f"bash: {p.stderr}")
    eq(p.stderr, "", "bash stderr")
    return [ln for ln in p.stdout.splitlines() if ln]


@test
def completion_commands(env):
    got = bash_complete(env, [env.bin, ""])
    eq(got, help_commands(env.bin), "commands")
    eq(bash_complete(env, [env.bin, "im"]), ["image"], "im<TAB>")
    eq(bash_complete(env, [env.bin, "--v"]), ["--verbose", "--version"],
       "--v<TAB>")


@test
def completion_command_prints_the_installed_script(env):
    """`ig completion bash` (cobra's) printed ig's script; `runner
    completion` was an unknown command.  It prints the script make install
    installs, which, sourced from there, completes as the installed one."""
    p = run(env.bin, "completion", "bash")
    eq(p.returncode, 0, p.stderr)
    with open(env.comp) as f:
        eq(p.stdout, f.read(), "the installed script")
    printed = os.path.join(env.tmp, "printed-completion.bash")
    with open(printed, "w") as f:
        f.write(p.stdout)
    eq(bash_complete(env, [env.bin, "im"], comp=printed), ["image"],
       "im<TAB> with the printed script")
    eq(bash_complete(env, [env.bin, "image", "l"], comp=printed),
       ["list"], "image l<TAB> with the printed script")
    for args, want in ((["completion", "zsh"], "no completion for 'zsh'"),
                       (["completion"], "want a SHELL (bash)")):
        p = run(env.bin, *args)
        eq(p.returncode, 2, f"{args}: {p.stderr}")
        check(want in p.stderr, p.stderr)


@test
def completion_subcommands(env):
    eq(bash_complete(env, [env.bin, "image", ""]),
       help_commands(env.bin, "image"), "image <TAB>")
    eq(bash_complete(env, [env.bin, "image", "p"]), ["pull", "push"],
       "image p<TAB>")


@test
def completion_flags(env):
    eq(sorted(bash_complete(env, [env.bin, "image", "pull", "--a"])),
       ["--arch", "--authfile"], "image pull --a<TAB>")
    got = bash_complete(env, [env.bin, "run", "--"])
    for f in ("--output", "--fields", "--filter", "--containername",
              "--timeout", "--max-events", "--store", "--pull"):
        check(f in got, f"run --<TAB>: {f} not in {got}")
    # a flag's value is a file name: the folder's entries are offered
    d = os.path.join(env.tmp, "files")
    os.makedirs(d, exist_ok=True)
    open(os.path.join(d, "auth.json"), "w").close()
    eq(bash_complete(env, [env.bin, "login", "--authfile", d + "/a"]),
       [d + "/auth.json"], "login --authfile DIR/a<TAB>")


@test
def completion_image_names_from_the_store(env):
    got = bash_complete(env, [env.bin, "run", ""])
    eq(sorted(got), sorted(["ghcr.io/inspektor-gadget/gadget/trace_dns:latest",
                            "trace_dns:latest",
                            "localhost:5000/gadgets/trace_exec:v1"]),
       "run <TAB> with $RUNNER_STORE")
    eq(bash_complete(env, [env.bin, "run", "tr"]), ["trace_dns:latest"],
       "run tr<TAB>")
    # --store on the line wins over $RUNNER_STORE
    empty = os.path.join(env.tmp, "empty-store")
    make_store = run(env.bin, "image", "list", "--store", empty)
    eq(make_store.returncode, 0, "an empty store")
    eq(bash_complete(env, [env.bin, "image", "inspect", "--store", empty, ""]),
       [], "image inspect --store EMPTY <TAB>")
    eq(bash_complete(env, [env.bin, "image", "remove", "trace_dns:latest",
                           "loc"]),
       ["localhost:5000/gadgets/trace_exec:v1"], "image remove A loc<TAB>")


@test
def completion_no_image_after_run_manifest(env):
    """`run -f FILE` takes its image from the manifest and refuses one on
    the line ("please only specify an image OR manifest"): after -f FILE,
    in each of its spellings, no image name is offered, run's flags are."""
    images = bash_complete(env, [env.bin, "run", ""])
    check("trace_dns:latest" in images, f"run <TAB>: {images}")
    own = complete(env.bin, "run", "--")
    for words in (["-f", "m.yaml"], ["--file", "m.yaml"], ["--file=m.yaml"],
                  ["-fm.yaml"], ["-f", "-"]):
        got = bash_complete(env, [env.bin, "run", *words, ""])
        eq(sorted(got), sorted(own), f"run {' '.join(words)} <TAB>")
        eq(bash_complete(env, [env.bin, "run", *words, "tr"]), [],
           f"run {' '.join(words)} tr<TAB>")


@test
def completion_gadget_flags_after_run_image(env):
    got = bash_complete(env, [env.bin, "run", "trace_dns", "--p"])
    own = complete(env.bin, "run", "--p")  # run's own, without an image
    check("--pull" in own, f"run --p: {own}")
    eq(sorted(got), sorted(own + ["--pid", "--ports"]),
       "run trace_dns --p<TAB>: run's flags and the gadget's")
    got = bash_complete(env, [env.bin, "run", "--store", env.store,
                              "localhost:5000/gadgets/trace_exec:v1", ""])
    check("--ignore-failed" in got and "--ports" not in got,
          f"trace_exec's flags after the image: {got}")
    check("--output" in got, f"run's own flags too: {got}")
    # an image run would not trust (imported, unsigned): no gadget flags,
    # unless the line says --verify-image=false, as run itself decides
    tar, other = os.path.join(env.tmp, "t.tar"), os.path.join(env.tmp, "other")
    for args in (("export", "trace_dns", tar, "--store", env.store),
                 ("import", tar, "--store", other)):
        p = run(env.bin, "image", *args)
        eq(p.returncode, 0, f"image {args[0]}: {p.stderr}")
    got = bash_complete(env, [env.bin, "run", "--store", other, "trace_dns",
                              "--p"])
    eq(sorted(got), sorted(own), "untrusted image: run's own flags only")
    got = bash_complete(env, [env.bin, "run", "--store", other,
                              "--verify-image=false", "trace_dns", "--p"])
    eq(sorted(got), sorted(own + ["--pid", "--ports"]),
       "--verify-image=false: the gadget's flags too")
    got = bash_complete(env, [env.bin, "image", "inspect", "trace_dns", "--"])
    check("--store" in got and "--ports" not in got,
          f"no gadget flags after another command's image: {got}")


@test
def completion_keeps_name_tag_whole_with_bash_completion(env):
    """bash splits "trace_dns:la" at ':'; with bash-completion loaded the
    script completes the tag and offers only what follows the colon."""
    check(os.path.exists(BASH_COMPLETION), f"{BASH_COMPLETION} missing")
    words = [env.bin, "run", "trace_dns", ":", "la"]
    got = bash_complete(env, words, line=f"{env.bin} run trace_dns:la",
                        preamble=f"source {BASH_COMPLETION}")
    eq(got, ["latest"], "run trace_dns:la<TAB>")


def pkg_version(name):
    return sh(f"pkg-config --modversion {name}").strip()


@test
def version_names_the_libraries_it_runs_with(env):
    p = run(env.bin, "version")
    eq(p.returncode, 0, f"runner version: {p.stderr}")
    lines = {ln.split()[0]: ln.split()[1] for ln in p.stdout.splitlines()}
    with open(os.path.join(ROOT, "common/version.h")) as f:
        want = re.search(r'RUNNER_VERSION "([^"]+)"', f.read()).group(1)
    eq(lines.get("runner"), want, "runner version")
    eq(lines.get("libbpf"), pkg_version("libbpf"), "libbpf")
    eq(lines.get("libcurl"), pkg_version("libcurl"), "libcurl")
    eq(lines.get("libarchive"), pkg_version("libarchive"), "libarchive")
    eq(lines.get("libyaml"), pkg_version("yaml-0.1"), "libyaml")
    eq(lines.get("jansson"), pkg_version("jansson"), "jansson")
    q = run(env.bin, "--version")
    eq((q.returncode, q.stdout), (0, p.stdout), "--version")
    eq(run(env.bin, "version", "x").returncode, 2, "version x: usage error")


@test
def uninstall_removes_every_file(env):
    make("uninstall", env.dest, f"PREFIX={PREFIX}")
    eq(files_under(env.dest), [], "files left by uninstall")
    check(not os.path.exists(f"{env.dest}{PREFIX}/share/runner"),
          "share/runner left behind")


if __name__ == "__main__":
    main(setup, teardown)
