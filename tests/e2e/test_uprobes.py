#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Uprobes named by library ("uprobe/libc:strfry", as ig's trace_malloc
names "uprobe/libc:malloc") on other files than the host's library: a copy
at another path mapped by a host process that starts after the runner,
podman containers (their libc a file of their image), a container there
before the runner; each file attached once however many processes map it,
and detached when its last process went; a bound on the files attached.

The fixture tests/fixtures/ig_uprobe probes libc's strfry(3), which only
this test's program calls, and sends the string it was given.  The program
(`calls GO TAG N [FORK]`) calls strfry("warm-TAG") every 20 ms until file
GO exists, then strfry("exact-TAG") N times and exits (with FORK: until
FORK exists, then forks, and its parent exits): a warm event says the
runner attached to its libc, the exact ones are counted (N each, never
twice: one attachment per file).  A marker, the same program on the host's
libc, ends each wait for what should not come.  The bound on the files is
measured with tests/fixtures/ig_uprobe_lib on libuptest.so, a library
that only this test's programs map (ucalls: the same program on it).  A
run that selects containers (-c) attaches only the files their processes
map (podman containers, a containerd one).  Libraries opened later
(dlopen()) are found only by the loaders' probe: dlseq opens a copy of
libuptest, or a wrapper that needs one (libupwrap.so), then another
after dlclose(); scalls, a static program of its own uptest_call, is
found by the exec hook alone once its file is named libuptest.so.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (ROOT, WAIT, Fail, Runner, check, eq, main,  # noqa: E402
                     sh, stop_procs, test)
from gadget_env import (build_images, json_lines, stop,  # noqa: E402
                        wait_json, wait_until)

_n = len(harness._tests)
import test_k8s as k8s  # noqa: E402  (its Containerd, not its tests)
del harness._tests[_n:]

TAG = f"up{os.getpid()}"
IMAGE = f"localhost/uprobe-test:{TAG}"
# the same program and libc in a layer of its own (another file)
IMAGE2 = f"localhost/uprobe-test2:{TAG}"
# spawn and ucalls, each child on a libuptest of its own (SPAWN)
IMAGE3 = f"localhost/uprobe-test3:{TAG}"
PODMAN_RUN = ("podman run --runtime runc --ulimit nofile=1024:1024"
              " --ulimit nproc=1024:1024 --network none")
MAX_FILES = 64  # runner/engine/uprobes.h UPROBES_MAX_FILES

PROGRAM = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef UPTEST /* ucalls: the same calls of libuptest's uptest_call */
char *uptest_call(char *s);
#define strfry uptest_call
#endif

int main(int argc, char **argv)
{
	char buf[32];
	int n;

	if (argc != 4 && argc != 5)
		return 2;
	n = atoi(argv[3]);
	/* with FORK: warm calls until file FORK exists, then the parent
	 * exits and its child goes on */
	while (argc == 5 && access(argv[4], F_OK)) {
		snprintf(buf, sizeof(buf), "warm-%s", argv[2]);
		strfry(buf);
		usleep(20000);
	}
	if (argc == 5 && fork())
		return 0;
	while (access(argv[1], F_OK)) {
		snprintf(buf, sizeof(buf), "warm-%s", argv[2]);
		strfry(buf);
		usleep(20000);
	}
	for (int i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "exact-%s", argv[2]);
		strfry(buf);
	}
	return 0;
}
"""

# `burst TAG N MS`: strfry("burst-TAG") N times from its start, MS ms
# apart, with no wait for the runner
BURST = r"""
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[32];

	if (argc != 4)
		return 2;
	for (int i = 0; i < atoi(argv[2]); i++) {
		if (i)
			usleep(atoi(argv[3]) * 1000);
		snprintf(buf, sizeof(buf), "burst-%s", argv[1]);
		strfry(buf);
	}
	return 0;
}
"""

# `dlseq GO TAG N LIB...`: for each LIB in turn (k from 0), once file
# GO.k.open exists: dlopen() it, call its (or its dependencies')
# uptest_call with "warm-TAG.k" every 20 ms until file GO.k exists, then
# with "exact-TAG.k" N times, and dlclose() it
DLSEQ = r"""
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *(*call)(char *);
	char buf[300];
	void *h;

	if (argc < 5)
		return 2;
	for (int k = 0; k + 4 < argc; k++) {
		snprintf(buf, sizeof(buf), "%s.%d.open", argv[1], k);
		while (access(buf, F_OK))
			usleep(20000);
		h = dlopen(argv[k + 4], RTLD_NOW);
		if (!h || !(call = (char *(*)(char *))dlsym(h, "uptest_call")))
			return 3;
		for (;;) {
			snprintf(buf, sizeof(buf), "%s.%d", argv[1], k);
			if (!access(buf, F_OK))
				break;
			snprintf(buf, sizeof(buf), "warm-%s.%d", argv[2], k);
			call(buf);
			usleep(20000);
		}
		for (int i = 0; i < atoi(argv[3]); i++) {
			snprintf(buf, sizeof(buf), "exact-%s.%d", argv[2], k);
			call(buf);
		}
		if (dlclose(h))
			return 4;
	}
	return 0;
}
"""

# libupwrap.so: a library that needs libuptest.so (in its own folder:
# its runpath is $ORIGIN), so that dlopen() of it maps libuptest after
# it, as a dependency
UPWRAP = r"""
char *uptest_call(char *s);
char *upwrap_call(char *s);

char *upwrap_call(char *s)
{
	return uptest_call(s);
}
"""

# with PROGRAM (-DUPTEST): a static program of its own uptest_call
STATIC_UPTEST = r"""
__attribute__((noipa)) char *uptest_call(char *s)
{
	return s;
}
"""

# libuptest.so: a library that only this test's programs map (ucalls)
LIBUPTEST = r"""
char *uptest_call(char *s);

char *uptest_call(char *s)
{
	return s;
}
"""

# `threaded GO TAG N LEADER`: as calls, the calls made by a second thread;
# the main thread ends (pthread_exit) once file LEADER exists, the process
# once its second thread made its calls.
THREADED = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char **args;

static void *calls(void *arg)
{
	char buf[32];

	(void)arg;
	while (access(args[1], F_OK)) {
		snprintf(buf, sizeof(buf), "warm-%s", args[2]);
		strfry(buf);
		usleep(20000);
	}
	for (int i = 0; i < atoi(args[3]); i++) {
		snprintf(buf, sizeof(buf), "exact-%s", args[2]);
		strfry(buf);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 5)
		return 2;
	args = argv;
	if (pthread_create(&t, NULL, calls, NULL))
		return 1;
	while (access(argv[4], F_OK))
		usleep(20000);
	pthread_exit(NULL);
}
"""


# `spawn TAG LIVE SHORT N`: LIVE + SHORT children, 5 ms apart, child i
# ucalls on /u/i/libuptest.so (a file of its own): the LIVE ones tagged
# TAG-i, warm until /sync/TAG exists, then N exact calls; the SHORT ones
# map theirs and exit at once.  Exits 0 when every child did.
SPAWN = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int live, all, st, bad = 0;
	char dir[32], tag[64], go[96];

	if (argc != 5)
		return 2;
	live = atoi(argv[2]);
	all = live + atoi(argv[3]);
	snprintf(go, sizeof(go), "/sync/%s", argv[1]);
	for (int i = 0; i < all; i++) {
		if (!fork()) {
			snprintf(dir, sizeof(dir), "/u/%d", i);
			snprintf(tag, sizeof(tag), "%s-%d", argv[1], i);
			setenv("LD_LIBRARY_PATH", dir, 1);
			execl("/bin/ucalls", "ucalls", i < live ? go : "/",
			      tag, i < live ? argv[4] : "0", (char *)NULL);
			_exit(127);
		}
		usleep(5000);
	}
	while (wait(&st) > 0)
		bad |= !WIFEXITED(st) || WEXITSTATUS(st);
	return bad;
}
"""
SPAWN_FILES = 60  # children of spawn, a file each (below MAX_FILES)


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="uprobes-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.sync = os.path.join(env.tmp, "sync")
    os.mkdir(env.sync)
    env.procs, env.containers, env.images, env.daemons = [], [], [], []
    try:
        sh("podman --version")
        build_images(env.store, {
            "ig_uprobe:latest": f"{ROOT}/tests/fixtures/ig_uprobe",
            "ig_uprobe_lib:latest": f"{ROOT}/tests/fixtures/ig_uprobe_lib"})
        env.calls = compile_c(env, "calls", PROGRAM)
        env.burst = compile_c(env, "burst", BURST)
        env.uptest = compile_c(env, "libuptest.so", LIBUPTEST,
                               "-shared -fPIC")
        env.ucalls = compile_c(env, "ucalls", PROGRAM,
                               f"-DUPTEST -L{env.tmp} -luptest")
        env.threaded = compile_c(env, "threaded", THREADED, "-pthread")
        env.dlseq = compile_c(env, "dlseq", DLSEQ, "-ldl")
        env.upwrap = compile_c(env, "libupwrap.so", UPWRAP,
                               f"-shared -fPIC -L{env.tmp} -luptest"
                               " -Wl,-rpath,'$ORIGIN'")
        env.scalls = compile_c(env, "scalls", PROGRAM + STATIC_UPTEST,
                               "-DUPTEST -static")
        make_image(env, IMAGE)
        make_image(env, IMAGE2, other=True)
        env.spawn = compile_c(env, "spawn", SPAWN)
        make_spawn_image(env)
    except BaseException:
        teardown(env)
        raise
    return env


def compile_c(env, name, text, flags=""):
    """C program text built as env.tmp/name; its path."""
    src = os.path.join(env.tmp, f"{name}.c")
    with open(src, "w") as f:
        f.write(text)
    out = os.path.join(env.tmp, name)
    sh(f"cc -O2 -Wall -Werror -o {out} {src} {flags}")
    return out


def make_image(env, image, other=False):
    """A container image of the program, its libc and loader (copies: not
    the host's files); other: with a file more, so that its layer, and its
    libc, is not the first image's."""
    root = os.path.join(env.tmp, "rootfs2" if other else "rootfs")
    os.makedirs(os.path.join(root, "bin"))
    if other:
        with open(os.path.join(root, "other"), "w") as f:
            f.write(image)
    os.makedirs(os.path.join(root, "sync"))
    shutil.copy2(env.calls, os.path.join(root, "bin", "calls"))
    shutil.copy2(env.burst, os.path.join(root, "bin", "burst"))
    libs = [w for w in sh(f"ldd {env.calls}").split() if w.startswith("/")]
    libc = [p for p in libs if os.path.basename(p).startswith("libc.so")]
    check(libc, f"ldd {env.calls}: no libc in {libs}")
    env.host_libc = libc[0]
    for p in libs:
        d = root + os.path.dirname(p)
        os.makedirs(d, exist_ok=True)
        shutil.copy2(os.path.realpath(p), d + "/" + os.path.basename(p))
    sh(f"tar -C {root} -c . | podman import - {image}")
    env.images.append(image)


def make_spawn_image(env):
    """IMAGE3: spawn, ucalls and its libraries, and SPAWN_FILES copies of
    libuptest.so, /u/0 to /u/N-1."""
    root = os.path.join(env.tmp, "rootfs3")
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(os.path.join(root, "sync"))
    shutil.copy2(env.spawn, os.path.join(root, "bin", "spawn"))
    shutil.copy2(env.ucalls, os.path.join(root, "bin", "ucalls"))
    out = sh(f"ldd {env.spawn}; LD_LIBRARY_PATH={env.tmp} ldd {env.ucalls}")
    for p in {w for w in out.split() if w.startswith("/")}:
        if os.path.basename(p) == "libuptest.so":
            continue
        d = root + os.path.dirname(p)
        os.makedirs(d, exist_ok=True)
        shutil.copy2(os.path.realpath(p), d + "/" + os.path.basename(p))
    for i in range(SPAWN_FILES):
        d = os.path.join(root, "u", str(i))
        os.makedirs(d)
        shutil.copy2(env.uptest, d)
    sh(f"tar -C {root} -c . | podman import - {IMAGE3}")
    env.images.append(IMAGE3)


def teardown(env):
    if env is None:
        return
    stop_procs(env.procs)
    for d in env.daemons:
        d.stop()
    for name in env.containers:
        sh(f"podman rm -f {name}", check_rc=False)
    for image in env.images:
        sh(f"podman rmi {image}", check_rc=False)
    shutil.rmtree(env.tmp, ignore_errors=True)


# ---- helpers ----------------------------------------------------------------

_tags = [0]


def tag(what):
    _tags[0] += 1
    return f"{what}{os.getpid()}n{_tags[0]}"


def tracer(env, *flags, image="ig_uprobe:latest"):
    return Runner(["run", image, "-o", "json", "--store", env.store,
                   *flags])


def libc_copy(env, name, lib=None):
    """A folder holding a copy of the host's libc (or of file lib): a
    file of its own."""
    d = os.path.join(env.tmp, name)
    os.mkdir(d)
    shutil.copy2(lib or env.host_libc, d)
    return d


def start_host(env, t, libdir=None, n=5, fork=None, prog=None):
    """The program (calls, or prog) on the host, on the libraries in
    libdir if given."""
    e = dict(os.environ)
    if libdir:
        e["LD_LIBRARY_PATH"] = libdir
    argv = [prog or env.calls, os.path.join(env.sync, t), t, str(n)]
    if fork:
        argv.append(os.path.join(env.sync, fork))
    p = subprocess.Popen(argv, env=e)
    env.procs.append(p)
    return p


def start_container(env, t, n=5, image=IMAGE):
    """The program in a podman container named t; its host pid."""
    env.containers.append(t)
    sh(f"{PODMAN_RUN} -d --name {t} -v {env.sync}:/sync {image}"
       f" /bin/calls /sync/{t} {t} {n}")
    pid = int(sh(f"podman inspect -f '{{{{.State.Pid}}}}' {t}").strip())
    check(pid > 0, f"container {t} is not running")
    return pid


def go(env, t):
    open(os.path.join(env.sync, t), "w").close()


def libc_mapped(pid):
    with open(f"/proc/{pid}/maps") as f:
        return "libc.so" in f.read()


def arg_is(a):
    return lambda e: e.get("arg") == a


def warm(r, t, timeout=WAIT):
    """Wait for a warm event of t (its libc is attached)."""
    wait_json(r, arg_is(f"warm-{t}"), timeout=timeout)


def upto_marker(env, r, libdir=None, prog=None):
    """r's events before a marker: the program on the host's libc (or
    prog on libdir's libraries, attached already), run to its end after
    everything under test; once its event came, every event made before
    it has been read."""
    m = tag("m")
    go(env, m)
    p = start_host(env, m, libdir, n=1, prog=prog)
    eq(p.wait(timeout=30), 0, "marker's exit status")
    evs = wait_json(r, arg_is(f"exact-{m}"))
    return evs[:next(i for i, e in enumerate(evs)
                     if e.get("arg") == f"exact-{m}")]


def traced_calls(env, r, t, libdir, n):
    """The events of n calls of the program on the libc in libdir, once
    it is attached (its warm event came)."""
    p = start_host(env, t, libdir, n=n)
    warm(r, t)
    go(env, t)
    eq(p.wait(timeout=30), 0, f"exit status of {t}")
    return exact(upto_marker(env, r), t)


def exact(evs, t):
    return [e for e in evs if e.get("arg") == f"exact-{t}"]


def links(r):
    """The fdinfo of the runner's BPF links, each as a dict."""
    return [i for i in harness.fdinfos(r.proc.pid) if "link_type" in i]


def lib_uprobes(r):
    """The runner's uprobes on libraries: one per program and file
    attached (not its probes of the loaders' _dl_debug_state, by its
    program uprobe_loader)."""
    ups = [k for k in links(r) if k.get("event_type") == "uprobe"]
    loader = {str(p["id"]) for p in harness.bpftool("prog", "show")
              if p.get("name") == "uprobe_loader"}
    return sum(1 for k in ups if k.get("prog_id") not in loader)


def syscall_hooks(r):
    """The runner's hooks on syscall tracepoints: each puts every syscall
    of the host on the kernel's slow path."""
    return [k for k in links(r) if k.get("tp_name", "").startswith("sys_")]


# ---- tests ------------------------------------------------------------------


@test
def copied_library_of_a_later_host_process_traced_once(env):
    """A host process that starts after the runner on a copy of libc at a
    new path is traced; one on the host's libc too, each call once (the
    host's libc is not attached a second time when mapped); the copy's
    attachment goes when its process ends."""
    r = tracer(env)
    try:
        eq(syscall_hooks(r), [], "hooks on syscall tracepoints")
        before = lib_uprobes(r)
        copy, host = tag("c"), tag("h")
        pc = start_host(env, copy, libc_copy(env, copy), n=5)
        ph = start_host(env, host, n=3)
        warm(r, copy)
        warm(r, host)
        eq(lib_uprobes(r), before + 1, "uprobes with the copy attached")
        go(env, copy)
        go(env, host)
        eq(pc.wait(timeout=30), 0, "exit status of the copy's process")
        eq(ph.wait(timeout=30), 0, "exit status of the host's process")
        evs = upto_marker(env, r)
        eq(len(exact(evs, copy)), 5, "calls on the copy")
        eq(len(exact(evs, host)), 3, "calls on the host's libc")
        check(all(e["proc"]["pid"] == pc.pid for e in exact(evs, copy)),
              "the copy's events name its process")
        wait_until(lambda: lib_uprobes(r) == before,
                   what="the copy detached once its process ended")
    finally:
        stop(r)


@test
def copy_behind_a_versioned_name_traced(env):
    """A libc whose file is named as glibc before 2.34 names it
    (libc-2.31.so, mapped through its libc.so.6 link) is found too."""
    t = tag("v")
    d = os.path.join(env.tmp, t)
    os.mkdir(d)
    shutil.copy2(env.host_libc, os.path.join(d, "libc-2.31.so"))
    os.symlink("libc-2.31.so", os.path.join(d, "libc.so.6"))
    r = tracer(env)
    try:
        eq(len(traced_calls(env, r, t, d, 2)), 2, "calls on libc-2.31.so")
    finally:
        stop(r)


@test
def child_of_a_process_that_ended_keeps_the_file_attached(env):
    """A process forked from one that mapped a copy of libc maps it too,
    without an mmap: when its parent exits, the copy stays attached until
    the child ends."""
    t = tag("k")
    r = tracer(env)
    try:
        before = lib_uprobes(r)
        p = start_host(env, t, libc_copy(env, t), n=4, fork=f"{t}.fork")
        warm(r, t)
        go(env, f"{t}.fork")
        eq(p.wait(timeout=30), 0, "the parent's exit status")
        # the runner takes its notes in order: once a later process's
        # copy is attached, it has taken in the parent's exit
        later = tag("l")
        eq(len(traced_calls(env, r, later, libc_copy(env, later), 1)), 1,
           "calls of a later process")
        wait_json(r, lambda e: e.get("arg") == f"warm-{t}" and
                  e["proc"]["pid"] != p.pid)
        go(env, t)
        wait_until(lambda: lib_uprobes(r) == before,
                   what="the copy detached once the child ended")
        eq(len(exact(upto_marker(env, r), t)), 4, "calls of the child")
    finally:
        go(env, f"{t}.fork")
        go(env, t)
        stop(r)


@test
def library_opened_later_traced(env):
    """Processes that dlopen() a library (a copy of libuptest) once they
    run, one started before the runner and one after: the loader's
    _dl_debug_state, which dlopen() calls, is probed; each call shows.
    glibc 2.36 calls it at RT_ADD once it mapped the library dlopen()
    names: a probe that walked at RT_ADD alone passes this test too, not
    library_needed_by_a_library_opened_later_traced."""
    t = [tag("d"), tag("e")]
    procs = []

    def start(i):
        lib = os.path.join(libc_copy(env, t[i], env.uptest), "libuptest.so")
        procs.append(start_dlseq(env, t[i], 3 + i, [lib]))
    start(0)
    r = tracer(env, image="ig_uprobe_lib:latest")
    try:
        start(1)
        for i in (0, 1):
            go(env, f"{t[i]}.0.open")
            warm(r, f"{t[i]}.0")
            go(env, f"{t[i]}.0")
            eq(procs[i].wait(timeout=30), 0, f"exit status of {t[i]}")
        stop(r)
        evs = r.events()
        for i in (0, 1):
            eq(len(exact(evs, f"{t[i]}.0")), 3 + i, f"calls of {t[i]}")
    finally:
        release_dlseq(env, t, 1)
        stop(r)


def start_dlseq(env, t, n, libs):
    """dlseq tagged t on libs, n exact calls each: its process."""
    p = subprocess.Popen([env.dlseq, os.path.join(env.sync, t), t, str(n),
                          *libs])
    env.procs.append(p)
    return p


def release_dlseq(env, ts, phases):
    """Let every phase of the dlseq processes tagged ts go to its end."""
    for t in ts:
        for k in range(phases):
            go(env, f"{t}.{k}.open")
            go(env, f"{t}.{k}")


def wrapped_copy(env, name):
    """A folder of its own holding libupwrap.so and a copy of libuptest.so,
    which it needs; the copy's path."""
    d = libc_copy(env, name, env.uptest)
    shutil.copy2(env.upwrap, d)
    return os.path.join(d, "libuptest.so")


def wrapper(copy):
    """The libupwrap.so beside copy (wrapped_copy())."""
    return os.path.join(os.path.dirname(copy), "libupwrap.so")


def mapped(pid, path):
    with open(f"/proc/{pid}/maps") as f:
        return path in f.read()


def attached_from(r, pid, path):
    """Did r's log (-v) tell of file path attached from process pid?"""
    ino = os.stat(path).st_ino
    return f"libuptest of pid {pid} (inode {ino}): 1 attached" in r.stderr()


def dlseq_phase(env, r, t, k, p, copy):
    """Phase k of dlseq p (tagged t): its dlopen() of the wrapper next to
    copy, which no process mapped before; the copy attached, from p, and
    p's calls traced.  Only the loaders' probe can find the copy: the
    process was running already, and glibc calls _dl_debug_state() at
    RT_ADD once the wrapper is mapped, before its dependencies."""
    check(not mapped(p.pid, copy), f"{copy} mapped before its dlopen()")
    go(env, f"{t}.{k}.open")
    warm(r, f"{t}.{k}")
    check(attached_from(r, p.pid, copy),
          f"no attachment of {copy} from pid {p.pid} in the log: "
          f"{r.stderr()[-300:]!r}")
    go(env, f"{t}.{k}")


@test
def library_needed_by_a_library_opened_later_traced(env):
    """A host process started after the runner that dlopen()s a library
    (libupwrap.so, at a path of its own) which needs a copy of libuptest
    (beside it, a path no other process maps), then calls into the copy:
    the copy is attached from that process, and each call shows, with its
    pid.  The copy is mapped after the loader's call of _dl_debug_state()
    at RT_ADD (glibc 2.36 makes it once it mapped the object dlopen()
    names, not its dependencies), before the one at RT_CONSISTENT: a probe
    that walked at RT_ADD alone would not find it (nor, with glibc's
    RT_ADD after the named object, a dlopen() of libuptest itself catch
    that; library_opened_later_traced)."""
    t = tag("n")
    r = tracer(env, "-v", image="ig_uprobe_lib:latest")
    try:
        eq(lib_uprobes(r), 0, "uprobes at start")
        copy = wrapped_copy(env, t)
        p = start_dlseq(env, t, 3, [wrapper(copy)])
        dlseq_phase(env, r, t, 0, p, copy)
        eq(p.wait(timeout=30), 0, f"exit status of {t}")
        got = exact(wait_json(r, arg_is(f"exact-{t}.0"), n=3), f"{t}.0")
        eq([e["proc"]["pid"] for e in got], [p.pid] * 3,
           "the calls on the copy, by pid")
        wait_until(lambda: lib_uprobes(r) == 0,
                   what="the copy detached once its process ended")
    finally:
        release_dlseq(env, [t], 1)
        stop(r)


@test
def library_opened_after_another_copy_closed_traced(env):
    """A process that dlopen()s a wrapper of a copy of libuptest (A),
    calls into it, dlclose()s it (A is unmapped), then dlopen()s another
    wrapper of another copy (B) and calls into B: B is attached from the
    process as A was (the process is followed already since A: its loader
    is walked all the same), and the calls on each copy show, once each;
    both go when the process ended."""
    t = tag("q")
    r = tracer(env, "-v", image="ig_uprobe_lib:latest")
    try:
        eq(lib_uprobes(r), 0, "uprobes at start")
        copies = [wrapped_copy(env, f"{t}a"), wrapped_copy(env, f"{t}b")]
        p = start_dlseq(env, t, 3, [wrapper(c) for c in copies])
        dlseq_phase(env, r, t, 0, p, copies[0])
        wait_until(lambda: not mapped(p.pid, copies[0]),
                   what=f"{copies[0]} unmapped by dlclose()")
        dlseq_phase(env, r, t, 1, p, copies[1])
        eq(p.wait(timeout=30), 0, f"exit status of {t}")
        evs = wait_json(r, arg_is(f"exact-{t}.1"), n=3)
        for k in (0, 1):
            eq([e["proc"]["pid"] for e in exact(evs, f"{t}.{k}")],
               [p.pid] * 3, f"the calls on copy {k}, by pid")
        wait_until(lambda: lib_uprobes(r) == 0,
                   what="both copies detached once their process ended")
    finally:
        release_dlseq(env, [t], 2)
        stop(r)


@test
def program_named_as_the_library_traced_at_exec(env):
    """A static program (no loader: no probe of one walks its mappings)
    whose file is named as the wanted library (a copy at a path of its
    own named libuptest.so, with its own uptest_call), started after the
    runner: the exec hook finds the program's own mapping, the copy is
    attached from it and its calls show, with its pid; it goes when the
    process ended."""
    t = tag("x")
    d = os.path.join(env.tmp, t)
    os.mkdir(d)
    prog = os.path.join(d, "libuptest.so")
    shutil.copy2(env.scalls, prog)
    r = tracer(env, "-v", image="ig_uprobe_lib:latest")
    try:
        eq(lib_uprobes(r), 0, "uprobes at start")
        p = start_host(env, t, n=3, prog=prog)
        warm(r, t)
        check(attached_from(r, p.pid, prog),
              f"no attachment of {prog} from pid {p.pid} in the log: "
              f"{r.stderr()[-300:]!r}")
        go(env, t)
        eq(p.wait(timeout=30), 0, f"exit status of {t}")
        got = exact(wait_json(r, arg_is(f"exact-{t}"), n=3), t)
        eq([e["proc"]["pid"] for e in got], [p.pid] * 3,
           "the calls of the program, by pid")
        wait_until(lambda: lib_uprobes(r) == 0,
                   what="the program's file detached once it ended")
    finally:
        go(env, t)
        stop(r)


@test
def containers_of_one_image_traced_once_with_their_names(env):
    """Two podman containers of one image, started after the runner: their
    libc (one file below the overlays) is attached once; each call shows
    once, with its container's name; detached when both ended."""
    r = tracer(env)
    try:
        before = lib_uprobes(r)
        a, b = tag("a"), tag("b")
        start_container(env, a, n=4)
        start_container(env, b, n=6)
        warm(r, a)
        warm(r, b)
        eq(lib_uprobes(r), before + 1, "uprobes with both containers")
        go(env, a)
        go(env, b)
        for c in (a, b):
            eq(sh(f"podman wait {c}").strip(), "0", f"exit status of {c}")
        evs = upto_marker(env, r)
        for c, n in ((a, 4), (b, 6)):
            got = exact(evs, c)
            eq(len(got), n, f"calls in {c}")
            eq({e["runtime"]["containerName"] for e in got}, {c},
               f"container name of {c}'s events")
        wait_until(lambda: lib_uprobes(r) == before,
                   what="the image's libc detached once both containers ended")
    finally:
        stop(r)


@test
def container_running_before_the_runner_traced(env):
    """A container whose process mapped its libc before the runner started
    is found by the runner's walk of the mappings there."""
    t = tag("s")
    pid = start_container(env, t, n=3)
    wait_until(lambda: libc_mapped(pid), what=f"{t}'s libc mapped")
    r = tracer(env)
    try:
        warm(r, t)
        go(env, t)
        eq(sh(f"podman wait {t}").strip(), "0", f"exit status of {t}")
        evs = upto_marker(env, r)
        eq(len(exact(evs, t)), 3, f"calls in {t}")
        eq({e["runtime"]["containerName"] for e in exact(evs, t)}, {t},
           "container name")
    finally:
        stop(r)


@test
def threads_after_their_main_thread_keep_the_file_attached(env):
    """A process whose main thread ended while another runs on (and
    calls the probed function) keeps its copy of libc attached: its calls
    are traced, and the copy goes when its last thread ended."""
    t = tag("t")
    r = tracer(env)
    try:
        before = lib_uprobes(r)
        e = dict(os.environ, LD_LIBRARY_PATH=libc_copy(env, t))
        p = subprocess.Popen([env.threaded, os.path.join(env.sync, t), t,
                              "3", os.path.join(env.sync, f"{t}.leader")],
                             env=e)
        env.procs.append(p)
        warm(r, t)
        go(env, f"{t}.leader")
        wait_until(lambda: leader_ended(p.pid),
                   what=f"the main thread of {p.pid} ended")
        # the runner takes its notes in order: once a later process's
        # copy is attached, it has taken in the main thread's exit
        later = tag("l")
        eq(len(traced_calls(env, r, later, libc_copy(env, later), 1)), 1,
           "calls of a later process")
        go(env, t)
        eq(p.wait(timeout=30), 0, "exit status of the threaded process")
        eq(len(exact(upto_marker(env, r), t)), 3,
           "calls of the thread after its main thread ended")
        wait_until(lambda: lib_uprobes(r) == before,
                   what="the copy detached once its last thread ended")
    finally:
        stop(r)


@test
def selected_container_alone_attached(env):
    """-c A with two containers of one image (A, B) and one of another
    (C), B and C there first: the host's libc is not attached, nor C's;
    A's file (B's too, one file below the overlays) is, once; only A's
    calls show; the file goes when A ended though B, not selected, runs
    on."""
    a, b, c = tag("a"), tag("b"), tag("c")
    r = tracer(env, "-c", a)
    try:
        eq(lib_uprobes(r), 0, "uprobes at start (no host libc)")
        pb = start_container(env, b, n=3)
        pc = start_container(env, c, n=3, image=IMAGE2)
        for pid, t in ((pb, b), (pc, c)):
            wait_until(lambda: libc_mapped(pid), what=f"{t}'s libc mapped")
        start_container(env, a, n=4)
        # the runner takes its notes in order: B's and C's came first
        warm(r, a)
        eq(lib_uprobes(r), 1, "uprobes with A's libc attached")
        go(env, a)
        eq(sh(f"podman wait {a}").strip(), "0", f"exit status of {a}")
        # B's calls, every 20 ms, went through A's attachment meanwhile
        evs = wait_json(r, arg_is(f"exact-{a}"), n=4)
        eq(len(exact(evs, a)), 4, f"calls in {a}")
        eq({e["runtime"]["containerName"] for e in evs}, {a},
           "the containers of the events")
        wait_until(lambda: lib_uprobes(r) == 0,
                   what="A's libc detached once A ended, B running on")
    finally:
        go(env, a)
        go(env, b)
        go(env, c)
        stop(r)


@test
def selected_container_calling_at_once_traced(env):
    """A selected container started after the runner whose program calls
    at once, with no wait for the runner (burst: at 0, 0.1, 0.2 and
    0.3 s from its start, then it exits), is traced: the exec hook's
    note on the container's first exec wakes the runner, which selects
    it and walks its processes within milliseconds.  Once it ended, the
    runner stops (its events drained) and the container must have had a
    call traced.  A runner that took a new container in only at its
    refresh would attach after the last call: its first refresh comes a
    second after its start, the container's last call ~0.5 s after it
    (podman run's ~0.2 s, then 0.3 s), and nothing else wakes that
    runner (its events are only the selected container's).  4 times,
    each with a runner of its own (the first container after the
    runner's start: a later one of the same image finds its libc
    attached already, the file being its image's), so that a start
    slow enough to meet the refresh does not pass it alone either."""
    untraced = []
    for _ in range(4):
        t = tag("s")
        r = tracer(env, "-c", t)
        try:
            env.containers.append(t)
            sh(f"{PODMAN_RUN} -d --name {t} {IMAGE} /bin/burst {t} 4 100")
            eq(sh(f"podman wait {t}").strip(), "0", f"exit status of {t}")
        finally:
            stop(r)
        evs = r.events()
        eq({e["runtime"]["containerName"] for e in evs} - {t}, set(),
           "other containers' events")
        if not [e for e in evs if e.get("arg") == f"burst-{t}"]:
            untraced.append(t)
    eq(untraced, [], "selected containers whose calls went untraced")


@test
def containerd_container_selected_traced(env):
    """A containerd container selected by its name (-c): its libc is
    attached and its calls show; another one's (of another image, there
    first) is not attached."""
    d = containerd(env, (IMAGE, IMAGE2))
    cid, other = tag("d"), tag("e")
    r = tracer(env, "-c", cid)
    try:
        d.run(other, {}, f"/bin/calls /sync/{other} {other} 1",
              detach=True, image=IMAGE2)
        pid = d.pid(other)
        wait_until(lambda: libc_mapped(pid), what=f"{other}'s libc mapped")
        got = containerd_calls(d, r, cid)
        eq({(e["runtime"]["containerName"], e["runtime"]["runtimeName"])
            for e in got}, {(cid, "containerd")}, "its name and runtime")
    finally:
        stop(r)


def containerd(env, images, ns="k8s.io"):
    """A containerd of the test's own, with images in its namespace ns."""
    d = k8s.Containerd(env.tmp)
    env.daemons.append(d)
    for i, image in enumerate(images):
        archive = os.path.join(env.tmp, f"{ns}-{len(env.daemons)}-{i}.tar")
        sh(f"podman save --format docker-archive -o {archive} {image}")
        d.ctr(f"image import {archive}", ns=ns)
    return d


def containerd_calls(d, r, cid, ns="k8s.io", alone=True):
    """Container cid of d's namespace ns, traced by r: its libc attached
    (alone: the one file attached), the events of
    its 3 calls."""
    d.run(cid, {}, f"/bin/calls /sync/{cid} {cid} 3", detach=True,
          image=IMAGE, ns=ns)
    warm(r, cid)
    if alone:
        eq(lib_uprobes(r), 1, "uprobes with its libc attached")
    # the file in its own /sync, through its root
    open(f"/proc/{d.pid(cid, ns=ns)}/root/sync/{cid}", "w").close()
    got = exact(wait_json(r, arg_is(f"exact-{cid}"), n=3), cid)
    eq(len(got), 3, f"calls in {cid}")
    return got


@test
def host_processes_not_attached_by_a_selection_that_leaves_them_out(env):
    """--host=false, and -c or --k8s-namespace that only leave one out:
    the host's processes are not selected (their events never show), so
    neither the host's libc (mapped by its processes before the runner)
    nor the copy a host process maps (H, before A) is attached; a
    container's (A) is.  The uprobes used to follow every mount namespace
    the runner knew that the flags did not refuse, the host's too.  What
    is attached is read from the runner's log (-v), by inode: the
    selections keep the containers of other tests too."""
    for flags in (["--host=false"], ["-c", f"!{tag('x')}"],
                  ["--k8s-namespace", f"!{tag('x')}"]):
        h, a = tag("h"), tag("a")
        r = tracer(env, "-v", *flags)
        try:
            copy = libc_copy(env, h)
            ph = start_host(env, h, copy, n=1)
            wait_until(lambda: libc_mapped(ph.pid), what=f"{h}'s libc mapped")
            pa = start_container(env, a, n=2)
            # the runner takes its notes in order: H's came first
            warm(r, a)
            log = r.stderr()
            check(f" of pid {pa} (inode " in log,
                  f"with {flags}: no attachment of {a} in the log: "
                  f"{log[-300:]!r}")
            for what, path in (("the host's libc", env.host_libc),
                               (f"{h}'s copy", os.path.join(
                                   copy, os.path.basename(env.host_libc)))):
                ino = os.stat(path).st_ino
                check(f"(inode {ino}): " not in log,
                      f"with {flags}: {what} attached")
            go(env, a)
            go(env, h)
            eq(ph.wait(timeout=30), 0, f"exit status of {h}")
            got = exact(wait_json(r, arg_is(f"exact-{a}"), n=2), a)
            eq({e["runtime"]["containerName"] for e in got}, {a},
               f"the container of A's events with {flags}")
        finally:
            go(env, a)
            go(env, h)
            stop(r)


@test
def host_attached_beside_a_selection_as_ig(env):
    """--host -c A, as ig's --host: the host is attached beside A (the
    host's libc at start, as ig attaches its pid 1's), and the events are
    not filtered by -c: a host process's calls show (no container), with
    A's.  The host used to be left out, as without --host."""
    h, a = tag("h"), tag("a")
    r = tracer(env, "--host", "-c", a)
    try:
        eq(lib_uprobes(r), 1, "uprobes at start (the host's libc)")
        ph = start_host(env, h, n=2)
        warm(r, h)
        start_container(env, a, n=3)
        warm(r, a)
        eq(lib_uprobes(r), 2, "uprobes with A's libc attached")
        go(env, h)
        go(env, a)
        eq(ph.wait(timeout=30), 0, f"exit status of {h}")
        eq(sh(f"podman wait {a}").strip(), "0", f"exit status of {a}")
        mine = (f"exact-{h}", f"exact-{a}")
        evs = [e for e in wait_json(r, lambda e: e.get("arg") in mine, n=5)
               if e.get("arg") in mine]
        eq(sorted((e["arg"], e["runtime"].get("containerName", ""))
                  for e in evs),
           sorted([(f"exact-{a}", a)] * 3 + [(f"exact-{h}", "")] * 2),
           "the calls of the host's process and of A, by container")
    finally:
        go(env, a)
        go(env, h)
        stop(r)


@test
def unnamed_container_kept_by_a_name_left_out(env):
    """-c '!x' keeps every container but x, as ig's selector: one of a
    containerd namespace that --containerd-namespace does not name, which
    has no name (as ig's runc hook knows it), too.  Its libc was attached
    but its events were left out (-c wanted a name)."""
    ns = f"other{os.getpid()}"
    d = containerd(env, (IMAGE,), ns)
    cid = tag("u")
    r = tracer(env, "-c", f"!{tag('x')}")
    try:
        # the other tests' containers are selected too: their files
        got = containerd_calls(d, r, cid, ns, alone=False)
        eq({(e["runtime"]["containerId"], e["runtime"]["containerName"])
            for e in got}, {(cid, "")}, "its id, and no name")
    finally:
        stop(r)


def leader_ended(pid):
    """Has process pid's main thread ended (a zombie while others run)?"""
    with open(f"/proc/{pid}/status") as f:
        state = next(ln for ln in f if ln.startswith("State:"))
    return state.split()[1] == "Z"


@test
def files_past_the_bound_told_and_not_traced(env):
    """With MAX_FILES files attached (copies of libuptest, which only this
    test's programs map: no other process's library takes a slot
    meanwhile), the next copy is not attached and a note on stderr names
    its process; once the others ended, a copy is attached again."""
    r = tracer(env, image="ig_uprobe_lib:latest")
    procs, tags = [], []

    def start(t, n):
        return start_host(env, t, libc_copy(env, t, env.uptest), n=n,
                          prog=env.ucalls)
    try:
        # the host has no libuptest to attach at start
        eq(lib_uprobes(r), 0, "uprobes at start")
        for _ in range(MAX_FILES):
            t = tag("f")
            procs.append(start(t, 1))
            tags.append(t)
            warm(r, t)
        over = tag("o")
        po = start(over, 2)
        wait_until(lambda: "files attached, the most" in r.stderr() and
                   f"of pid {po.pid} " in r.stderr(),
                   what=f"a note of the bound naming pid {po.pid}")
        eq(lib_uprobes(r), MAX_FILES, "uprobes at the bound")
        go(env, over)
        eq(po.wait(timeout=30), 0, "exit status past the bound")
        # the marker on a copy attached (its process runs on)
        evs = upto_marker(env, r, os.path.join(env.tmp, tags[0]),
                          env.ucalls)
        eq(exact(evs, over), [], "events of the file past the bound")
        for t in tags:
            go(env, t)
        for p in procs:
            eq(p.wait(timeout=30), 0, "exit status")
        wait_until(lambda: lib_uprobes(r) == 0,
                   what="the copies detached once their processes ended")
        g = tag("g")
        p = start_host(env, g, os.path.join(env.tmp, over), n=2,
                       prog=env.ucalls)
        warm(r, g)
        go(env, g)
        eq(p.wait(timeout=30), 0, f"exit status of {g}")
        evs = wait_json(r, arg_is(f"exact-{g}"), n=2)
        eq(len(exact(evs, g)), 2, "calls on a copy once slots freed")
    finally:
        for t in tags:
            go(env, t)
        stop(r)


def children_mapping(pid, lib):
    """The children of process pid that map a file named lib."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
    except OSError:
        return 0
    n = 0
    for k in kids:
        try:
            with open(f"/proc/{k}/maps") as f:
                n += lib in f.read()
        except OSError:
            pass  # gone meanwhile
    return n


@test
def processes_mapping_during_the_walk_attached_once(env):
    """A container selected (-c) on a host of 1500 more processes, whose
    first process starts 60 more, 5 ms apart, each on a libuptest of its
    own.  The runner is stopped (SIGSTOP) until 20 of them mapped theirs:
    those only its walk of the host's processes, once it learns of the
    container, finds; the others map theirs before, during or after that
    walk (which is off the thread that reads events).  Each of the 30
    that run on is attached (its warm calls show), once (its exact calls
    show once each); the 30 that exit at once, and then the others, leave
    nothing attached."""
    sleepers = []
    t = tag("w")
    r = tracer(env, "-c", t, image="ig_uprobe_lib:latest")
    try:
        for _ in range(1500):
            sleepers.append(subprocess.Popen(["sleep", "600"]))
        eq(lib_uprobes(r), 0, "uprobes at start")
        live = SPAWN_FILES // 2
        env.containers.append(t)
        os.kill(r.proc.pid, signal.SIGSTOP)
        try:
            sh(f"{PODMAN_RUN} -d --name {t} -v {env.sync}:/sync {IMAGE3}"
               f" /bin/spawn {t} {live} {SPAWN_FILES - live} 3")
            pid = int(sh(f"podman inspect -f '{{{{.State.Pid}}}}' {t}"))
            wait_until(lambda: children_mapping(pid, "libuptest") >= 20,
                       what="20 children mapping libuptest")
        finally:
            os.kill(r.proc.pid, signal.SIGCONT)
        for i in range(live):
            warm(r, f"{t}-{i}")
        eq(lib_uprobes(r), live, "uprobes with the live ones attached")
        go(env, t)
        eq(sh(f"podman wait {t}").strip(), "0", f"exit status of {t}")
        wait_until(lambda: lib_uprobes(r) == 0,
                   what="every file detached once its process ended")
        # every call was made: the runner reads to the end as it stops
        stop(r)
        got = {}
        for e in json_lines(r.stdout()):
            if e.get("arg", "").startswith(f"exact-{t}-"):
                got[e["arg"]] = got.get(e["arg"], 0) + 1
        eq(got, {f"exact-{t}-{i}": 3 for i in range(live)},
           "exact calls per process")
    finally:
        stop_procs(sleepers)
        go(env, t)
        stop(r)

if __name__ == "__main__":
    main(setup, teardown)
