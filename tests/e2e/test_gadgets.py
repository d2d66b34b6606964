#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Gadgets other than trace_dns, run by the same runner binary, and the
generic side of `runner run`: output modes, --fields, -F, gadget params,
--max-events, --help, gadget.yaml errors, user and group names.

examples/trace_exec (a tracepoint stream) and examples/snapshot_process
(an iterator snapshot) are built into a temporary store with trace_dns.
The tests run commands whose pid, name, arguments and credentials they
know (subprocess), and check every value against that ground truth, or
against /proc, the password and group files and the clocks: never against
another output of the runner.  trace_dns runs against two dnsmasq servers
in a network namespace of this test (127.0.0.1, ports 53 and 5300).
"""
import grp
import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (ROOT, WAIT, Fail, Netns, Runner, bpftool, check,  # noqa: E402
                     eq, main, stop_procs, test)
from gadget_env import (build_images, dnsmasq, header_cell,  # noqa: E402
                        json_lines, one, pick, rfc3339, run_client, run_sync,
                        stop, stop_all, usage_error, wait_json, wait_until)

NS = f"gad{os.getpid()}"
MARK = f"ge{os.getpid()}"  # in the arguments of every command we trace
NOBODY = 65534
COMM_W, PID_W = 16, 7  # the comm and pid templates
CTR_W = 30  # runtime.containerName: the container template, as in ig


class Env:
    pass


def setup():
    env = Env()
    env.tmp = tempfile.mkdtemp(prefix="gadgets-e2e-")
    env.store = os.path.join(env.tmp, "store")
    env.procs = []
    env.ns = None
    env.cache = {}
    try:
        build_images(env.store, {
            "trace_exec:latest": f"{ROOT}/examples/trace_exec",
            "snapshot_process:latest": f"{ROOT}/examples/snapshot_process",
            "trace_dns:latest": f"{ROOT}/gadget/trace_dns"})
        env.yaml = {}
        for name, d in (("trace_exec", "examples/trace_exec"),
                        ("snapshot_process", "examples/snapshot_process"),
                        ("trace_dns", "gadget/trace_dns")):
            with open(f"{ROOT}/{d}/gadget.yaml") as f:
                env.yaml[name] = yaml.safe_load(f)
        env.ns = Netns(f"{NS}-dns")
        for name, port in (("dnsmasq53", 53), ("dnsmasq5300", 5300)):
            env.procs.append(dnsmasq(env.ns, env.tmp, "127.0.0.1", name=name,
                                     port=port))
    except BaseException:
        teardown(env)
        raise
    return env


def teardown(env):
    if env is None:
        return
    stop_procs(env.procs)
    if env.ns:
        env.ns.delete()
    shutil.rmtree(env.tmp, ignore_errors=True)


# ---- helpers ----------------------------------------------------------------

_marks = [0]


def mark():
    """A fresh argument that no other process on the machine has."""
    _marks[0] += 1
    return f"{MARK}m{_marks[0]}x"


def only(m):
    """-F args~... for the commands with mark m, but not for the runner
    whose own command line holds this filter."""
    return f"args~{m[:-1]}[{m[-1]}]"


def tracer(env, gadget, *flags, mode="json", extra_env=None):
    return Runner(["run", gadget, "-o", mode, "--store", env.store,
                   *flags], env=extra_env)


def run_cmd(argv, uid=None, gid=None):
    """Run argv to its end; return what we know of its execve: pid, the
    task name the kernel gives it (basename, 15 bytes), argv, uid, gid."""
    kw = {}
    if uid is not None:
        kw = {"user": uid, "group": gid, "extra_groups": []}
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, **kw)
    p.wait(timeout=60)
    return {"pid": p.pid, "comm": os.path.basename(argv[0])[:15],
            "argv": list(argv), "args": " ".join(argv),
            "uid": os.getuid() if uid is None else uid,
            "gid": os.getgid() if gid is None else gid}


def rerun(c):
    """Command c again (a new pid), as the same user: a marker."""
    root = c["uid"] == os.getuid()
    return run_cmd(c["argv"], uid=None if root else c["uid"],
                   gid=None if root else c["gid"])


def before(r, is_marker, timeout=WAIT):
    """r's events before the first marker event (of something done after
    everything under test), once it came: by then anything else the
    runner would show has been shown (ring buffer order)."""
    evs = wait_json(r, is_marker, timeout=timeout)
    return evs[:next(i for i, e in enumerate(evs) if is_marker(e))]


def before_marker(r, pid, timeout=WAIT):
    """r's events before the first of process pid, the marker."""
    return before(r, lambda e: e["proc"]["pid"] == pid, timeout)


def self_comm(pid="self"):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().rstrip("\n")


def mntns(pid="self"):
    return os.stat(f"/proc/{pid}/ns/mnt").st_ino


def without_time(e):
    """An event without the fields each runner stamps by itself."""
    return {k: v for k, v in e.items() if k not in ("timestamp",
                                                     "timestamp_raw")}


def check_exec_event(e, c, what):
    """An exec event against what we know of the command."""
    eq(e["proc"]["pid"], c["pid"], f"{what}: proc.pid")
    eq(e["proc"]["tid"], c["pid"], f"{what}: proc.tid")
    eq(e["proc"]["comm"], c["comm"], f"{what}: proc.comm")
    eq(e["args"], c["args"], f"{what}: args")
    eq(e["args_count"], len(c["argv"]), f"{what}: args_count")
    eq(e["args_size"], sum(len(a.encode()) + 1 for a in c["argv"]),
       f"{what}: args_size")
    eq(e["proc"]["creds"]["uid"], c["uid"], f"{what}: proc.creds.uid")
    eq(e["proc"]["creds"]["gid"], c["gid"], f"{what}: proc.creds.gid")
    eq(e["proc"]["parent"]["pid"], os.getpid(), f"{what}: proc.parent.pid")


# ---- trace_exec and snapshot_process ---------------------------------------


@test
def trace_exec_sees_a_command(env):
    m = mark()
    r = tracer(env, "trace_exec", "-F", only(m))
    try:
        t0 = time.time()
        c = run_cmd(["/bin/true", m, "two words", 'x"y', "back\\slash"])
        t1 = time.time()
        evs = wait_json(r, lambda e: e["proc"]["pid"] == c["pid"])
    finally:
        stop(r)
    e = one(evs, "the exec event", proc__pid=c["pid"])
    check_exec_event(e, c, "exec")
    eq(e["proc"]["parent"]["comm"], self_comm(), "proc.parent.comm")
    eq(e["proc"]["mntns_id"], mntns(), "proc.mntns_id")
    eq(e["proc"]["creds"]["user"], pwd.getpwuid(os.getuid()).pw_name,
       "proc.creds.user")
    eq(e["proc"]["creds"]["group"], grp.getgrgid(os.getgid()).gr_name,
       "proc.creds.group")
    eq(e["runtime"]["containerName"], "", "runtime.containerName of a host "
       "process")
    # timestamp_raw: wall-clock Unix ns, as ig rewrites it (not the
    # CLOCK_BOOTTIME the gadget stamped)
    raw = e["timestamp_raw"]
    check(t0 - 0.05 <= raw / 1e9 <= t1 + 0.05,
          f"timestamp_raw {raw} is not between {t0} and {t1} (wall clock "
          "around the command)")
    ts = rfc3339(e["timestamp"])
    check(t0 - 0.05 <= ts <= t1 + 0.05,
          f"timestamp {e['timestamp']} not between {t0} and {t1}")
    frac = e["timestamp"].split(".")[1][:9]
    eq(frac, f"{raw % 1000000000:09d}", "timestamp's nanoseconds are "
       "timestamp_raw's")
    check(abs(ts - raw / 1e9) < 1e-6,
          f"timestamp {e['timestamp']} is not timestamp_raw {raw}")


@test
def timestamp_in_local_time_zone(env):
    """Timestamps are local wall-clock time: TZ=Asia/Kolkata is +05:30."""
    m = mark()
    r = tracer(env, "trace_exec", "-F", only(m),
               extra_env={"TZ": "Asia/Kolkata"})
    try:
        t0 = time.time()
        c = run_cmd(["/bin/true", m])
        t1 = time.time()
        evs = wait_json(r, lambda e: e["proc"]["pid"] == c["pid"])
    finally:
        stop(r)
    ts = one(evs, "the exec event", proc__pid=c["pid"])["timestamp"]
    check(ts.endswith("+05:30"), f"timestamp {ts} in Asia/Kolkata")
    check(t0 - 0.05 <= rfc3339(ts) <= t1 + 0.05,
          f"timestamp {ts} not between {t0} and {t1}")


THREADED = ("import threading, time\n"
            "for _ in range(3):\n"
            "    threading.Thread(target=time.sleep, args=(60,),"
            " daemon=True).start()\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n")


@test
def snapshot_process_lists_this_process(env):
    """One record per process, ours and a child with 4 threads among them;
    the snapshot ends by itself with exit status 0."""
    child = subprocess.Popen([sys.executable, "-c", THREADED],
                             stdout=subprocess.PIPE, text=True)
    try:
        eq(child.stdout.readline().strip(), "ready", "threaded child")
        child_threads = len(os.listdir(f"/proc/{child.pid}/task"))
        child_comm = self_comm(child.pid)
        my_threads = len(os.listdir("/proc/self/task"))
        start = time.time()
        rc, out, err = run_sync(["run", "snapshot_process", "-o", "json",
                                 "--store", env.store])
        took = time.time() - start
        rc2, cols, _ = run_sync(["run", "snapshot_process", "--store",
                                 env.store])
    finally:
        child.kill()
        child.wait(timeout=60)
    eq(rc, 0, f"exit status (stderr {err.strip()[-200:]!r})")
    check(took < 10, f"the snapshot took {took:.1f}s to end")
    evs = json_lines(out)
    check(out.endswith("\n") and len(evs) == len(out.splitlines()),
          "one JSON object per line")
    check(f"snapshot_process: {len(evs)} events, 0 lost" in err,
          f"summary of {len(evs)} events in {err!r}")
    pids = [e["proc"]["pid"] for e in evs]
    eq(len(pids), len(set(pids)), "each process once")
    for e in evs:
        eq(e["proc"]["tid"], e["proc"]["pid"], "a thread-group leader")
    me = one(evs, "this process", proc__pid=os.getpid())
    eq(me["proc"]["comm"], self_comm(), "proc.comm")
    eq(me["proc"]["parent"]["pid"], os.getppid(), "proc.parent.pid")
    eq(me["proc"]["creds"]["uid"], os.getuid(), "proc.creds.uid")
    eq(me["proc"]["creds"]["gid"], os.getgid(), "proc.creds.gid")
    eq(me["proc"]["mntns_id"], mntns(), "proc.mntns_id")
    eq(me["threads"], my_threads, "threads of this process")
    kid = one(evs, "the child", proc__pid=child.pid)
    eq(kid["proc"]["comm"], child_comm, "child proc.comm")
    eq(kid["proc"]["parent"]["pid"], os.getpid(), "child proc.parent.pid")
    eq(child_threads, 4, "threads the child made")
    eq(kid["threads"], 4, "child threads")

    # columns: THREADS right-aligned in 7 (gadget.yaml), rss_pages hidden
    eq(rc2, 0, "exit status, columns")
    lines = cols.splitlines()
    header = lines[0]
    check("THREADS" in header.split() and "RSS_PAGES" not in header,
          f"header {header!r}")
    end = header.index("THREADS") + len("THREADS")
    row = [ln for ln in lines[1:]
           if header_cell(header, ln, "PID") == str(child.pid)]
    eq(len(row), 1, f"rows of pid {child.pid}")
    eq(row[0][end - 7:end], "4".rjust(7), "THREADS cell, right-aligned")


@test
def snapshot_sorted_and_limited(env):
    """ig's --sort and --max-entries on a snapshot (one batch): the 3
    processes of highest pid, highest first; this one's pid is among the
    live ones, so the first is at least as high."""
    rc, out, err = run_sync(["run", "snapshot_process", "-o", "json",
                             "--store", env.store, "--sort", "-proc.pid",
                             "--max-entries", "3"])
    eq(rc, 0, f"exit status (stderr {err.strip()[-200:]!r})")
    pids = [e["proc"]["pid"] for e in json_lines(out)]
    eq(len(pids), 3, f"records: {pids}")
    eq(pids, sorted(pids, reverse=True), "pids, highest first")
    check(pids[0] >= os.getpid(), f"highest pid {pids[0]} < {os.getpid()}")


# ---- output modes -----------------------------------------------------------


def outputs(env):
    """The same two commands seen by four runners, one per output mode.
    Computed once, checked by the four tests that follow."""
    if "outputs" in env.cache:
        return env.cache["outputs"]
    m = mark()
    runners = {mode: tracer(env, "trace_exec", "-F", only(m), mode=mode)
               for mode in ("columns", "json", "jsonpretty", "yaml")}
    try:
        # YAML- and JSON-special characters; the second is longer than the
        # ARGS column (40)
        c1 = run_cmd(["/bin/true", m, 'x"y', "b\\s", "#: -"])
        c2 = run_cmd(["/bin/true", m, "L" * 60])
        pids = (c1["pid"], c2["pid"])
        seen = {
            "columns": lambda t: all(re.search(rf" {p} ", t) for p in pids),
            "json": lambda t: all(f'"pid":{p},' in t for p in pids),
            "jsonpretty": lambda t: all(f'"pid": {p},' in t for p in pids),
            "yaml": lambda t: all(f"pid: {p}\n" in t for p in pids),
        }
        for mode, r in runners.items():
            wait_until(lambda: seen[mode](r.stdout()),
                       what=f"both commands in -o {mode}")
    finally:
        stop_all(runners.values())
    res = {mode: r.stdout() for mode, r in runners.items()}
    res["cmds"] = (c1, c2)
    env.cache["outputs"] = res
    return res


@test
def output_columns(env):
    o = outputs(env)
    c1, c2 = o["cmds"]
    lines = o["columns"].splitlines()
    eq(len(lines), 3, f"header and two rows: {lines}")
    header = lines[0]
    # the visible fields of trace_exec: on a host, as in ig, the container
    # name (empty for these host processes) first, then those gadget.yaml
    # does not hide, the comm and pid templates (16 left, 7 right), ARGS
    # 40 wide
    args_w = int(env.yaml["trace_exec"]["datasources"]["exec"]["fields"]
                 ["args"]["annotations"]["columns.width"])
    eq(header.split(), ["RUNTIME.CONTAINERNAME", "COMM", "PID", "ARGS"],
       "default columns")
    ctr = " " * CTR_W + " "
    eq(header.rstrip(), "RUNTIME.CONTAINERNAME".ljust(CTR_W) + " " +
       "COMM".ljust(COMM_W) + " " + "PID".rjust(PID_W) + " ARGS",
       "header layout")
    # a cell is its text as Go's strconv.Quote writes it, without the
    # quotes (ig's textcolumns): '"' and '\\' escaped
    quoted = c1["args"].replace("\\", "\\\\").replace('"', '\\"')
    eq(lines[1].rstrip(), ctr + "true".ljust(COMM_W) + " " +
       str(c1["pid"]).rjust(PID_W) + " " + quoted, "row 1")
    cut = c2["args"][:args_w - 1] + "…"
    eq(lines[2].rstrip(), ctr + "true".ljust(COMM_W) + " " +
       str(c2["pid"]).rjust(PID_W) + " " + cut, "row 2 (ARGS cut at 40)")


@test
def columns_not_fitted_in_a_pipe_whatever_columns_says(env):
    """ig's columns formatter fits its table to a terminal only (none
    when stdout is not one); $COLUMNS fitted it in a pipe too."""
    base = ["run", "snapshot_process", "--store", env.store, "-o",
            "columns"]
    heads = {}
    for cols in ("", "40"):  # empty: unset
        rc, out, err = run_sync(base, env={"COLUMNS": cols})
        eq(rc, 0, f"COLUMNS={cols}: exit status ({err[-200:]!r})")
        heads[cols] = out.splitlines()[0]
    check(len(heads[""]) > 40, f"a header wider than 40: {heads['']!r}")
    eq(heads["40"], heads[""], "the header with COLUMNS=40 in a pipe")


@test
def output_json(env):
    o = outputs(env)
    text = o["json"]
    check(text.endswith("}\n"), "ends with a whole line")
    lines = text.splitlines()
    eq(len(lines), 2, "one line per event")
    evs = []
    for line in lines:
        check(line.startswith("{") and line.endswith("}"), f"line {line!r}")
        evs.append(json.loads(line))
    for e, c in zip(evs, o["cmds"]):
        check_exec_event(e, c, "-o json")
        eq(sorted(e), sorted(["timestamp", "timestamp_raw", "proc",
                              "args_count", "args_size", "args", "runtime",
                              "k8s"]),
           "top-level keys")
        check(isinstance(e["timestamp"], str), "timestamp is a string")
        rfc3339(e["timestamp"])


def pretty_objects(text):
    """Consecutive JSON values of a text (jsonpretty output)."""
    dec, objs, i = json.JSONDecoder(), [], 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i == len(text):
            return objs
        obj, i = dec.raw_decode(text, i)
        objs.append(obj)


@test
def output_jsonpretty(env):
    o = outputs(env)
    text = o["jsonpretty"]
    objs = pretty_objects(text)
    eq(len(objs), 2, "objects")
    check(text.endswith("}\n"), "ends with a whole object")
    check(len(text.splitlines()) > 10 * len(objs), "one key per line")
    check(text.startswith("{\n  \""), "indented")
    flat = json_lines(o["json"])
    for p, f, c in zip(objs, flat, o["cmds"]):
        check_exec_event(p, c, "-o jsonpretty")
        eq(without_time(p), without_time(f), "same event as -o json")
        rfc3339(p["timestamp"])


@test
def output_yaml(env):
    o = outputs(env)
    text = o["yaml"]
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as e:
        raise Fail(f"-o yaml does not parse: {e}")
    eq(len(docs), 2, "YAML documents")
    eq(len(re.findall(r"^---$", text, re.M)), 2, "one --- per event")
    flat = json_lines(o["json"])
    for d, f, c in zip(docs, flat, o["cmds"]):
        # "true" must stay a string, not become a YAML boolean
        check_exec_event(d, c, "-o yaml")
        eq(without_time(d), without_time(f), "same event as -o json")
        check(isinstance(d["timestamp"], str), "timestamp is a string")
        rfc3339(d["timestamp"])


# ---- --fields ---------------------------------------------------------------


@test
def fields_forms(env):
    """A plain list replaces and orders, +f adds, -f removes; names match
    regardless of case."""
    m = mark()
    specs = {
        "list": ("columns", "args,PROC.COMM"),
        "list_json": ("json", "Args,proc.PID"),
        "edit": ("columns", "+ARGS_COUNT,-Proc.Pid"),
        "add": ("columns", "+proc.creds.uid"),
        "remove": ("columns", "-args"),
    }
    rs = {k: tracer(env, "trace_exec", "-F", only(m), "--fields", f,
                    mode=mode) for k, (mode, f) in specs.items()}
    try:
        c = run_cmd(["/bin/true", m, "x"], uid=NOBODY, gid=NOBODY)
        for k, r in rs.items():
            n = 1 if specs[k][0] == "json" else 2  # columns: a header
            wait_until(lambda: len(r.stdout().splitlines()) >= n,
                       what=f"the event with --fields {specs[k][1]}")
    finally:
        stop_all(rs.values())
    out = {k: r.stdout().splitlines() for k, r in rs.items()}

    hdr, row = out["list"][0], out["list"][1]
    eq(hdr.split(), ["ARGS", "COMM"], "--fields args,PROC.COMM header")
    eq(row[:40].rstrip(), c["args"], "ARGS cell")
    eq(row[41:].rstrip(), "true", "COMM cell")

    eq(json.loads(out["list_json"][0]),
       {"args": c["args"], "proc": {"pid": c["pid"]}},
       "--fields Args,proc.PID -o json")

    hdr, row = out["edit"][0], out["edit"][1]
    cols = hdr.split()
    eq(sorted(cols), ["ARGS", "ARGS_COUNT", "COMM", "RUNTIME.CONTAINERNAME"],
       "--fields +ARGS_COUNT,-Proc.Pid columns")
    check(cols.index("COMM") < cols.index("ARGS"), "default order kept")
    eq(header_cell(hdr, row, "ARGS_COUNT"), str(len(c["argv"])),
       "ARGS_COUNT cell")
    eq(header_cell(hdr, row, "COMM"), "true", "COMM cell")

    hdr, row = out["add"][0], out["add"][1]
    cols = hdr.split()
    defaults = ("RUNTIME.CONTAINERNAME", "COMM", "PID", "ARGS")
    added = [x for x in cols if x not in defaults]
    eq([x for x in cols if x not in added], list(defaults),
       "--fields +proc.creds.uid keeps the defaults in order")
    check(len(added) == 1 and added[0].endswith("UID"),
          f"one UID column added: {hdr!r}")
    eq(header_cell(hdr, row, added[0]), str(NOBODY), "the added UID cell")

    eq(out["remove"][0].split(), ["RUNTIME.CONTAINERNAME", "COMM", "PID"],
       "--fields -args")
    eq(out["remove"][1].split(), ["true", str(c["pid"])], "row without args")


@test
def fields_unknown_is_usage_error(env):
    for spec in ("nope", "+nope", "-nope", "args,nope", "proc.nope"):
        usage_error(["run", "trace_exec", "--store", env.store,
                     "--fields", spec], "nope")


# ---- -F ---------------------------------------------------------------------

# name: (-F expression or a list of them, which events of ours it keeps).
# Every runner also gets -F only(mark): repeated -F flags are ANDed.
FILTERS = {
    "comm_eq": ("proc.comm==true", lambda c: c["comm"] == "true"),
    # "=" is "==", as in ig
    "comm_eq_single": ("proc.comm=echo", lambda c: c["comm"] == "echo"),
    "comm_ne": ("proc.comm!=true", lambda c: c["comm"] != "true"),
    # strings compare as strings
    "comm_gt": ("proc.comm>false", lambda c: c["comm"] > "false"),
    "comm_le": ("proc.comm<=false", lambda c: c["comm"] <= "false"),
    "comm_regex": ("proc.comm~^(tr|ec)", lambda c: re.match("^(tr|ec)",
                                                           c["comm"])),
    # numbers compare as numbers: as strings, "12" < "9"
    "count_gt": ("args_count>9", lambda c: len(c["argv"]) > 9),
    "count_lt": ("args_count<4", lambda c: len(c["argv"]) < 4),
    "count_range": ("args_count>=4,args_count<=11",
                    lambda c: 4 <= len(c["argv"]) <= 11),
    "uid": ("proc.creds.uid==65534", lambda c: c["uid"] == NOBODY),
    "user": ("proc.creds.user==" + pwd.getpwuid(NOBODY).pw_name,
             lambda c: c["uid"] == NOBODY),
    "and": ("proc.comm==true,proc.creds.uid==0",
            lambda c: c["comm"] == "true" and c["uid"] == 0),
    "repeated": (["proc.comm==true", "args_count<4"],
                 lambda c: c["comm"] == "true" and len(c["argv"]) < 4),
    "args_regex": (r"args~^/bin/(false|echo) ",
                   lambda c: re.match("^/bin/(false|echo) ", c["args"])),
    # \, is a comma inside a value
    "args_not_regex": (r"args!~c\,d", lambda c: "c,d" not in c["args"]),
}


@test
def filters(env):
    m = mark()
    rs = {}
    witness = tracer(env, "trace_exec", "-F", only(m))
    try:
        for name, (expr, _) in FILTERS.items():
            flags = ["-F", only(m)]
            for x in expr if isinstance(expr, list) else [expr]:
                flags += ["-F", x]
            rs[name] = tracer(env, "trace_exec", *flags)
        cmds = [run_cmd(["/bin/true", m, "a"]),
                run_cmd(["/bin/false", m, "b", "c,d"]),
                run_cmd(["/bin/true", m] + [str(i) for i in range(10)],
                        uid=NOBODY, gid=NOBODY),
                run_cmd(["/bin/echo", m, "e"])]
        # markers: each filter's first kept command once more, after all
        # the others; what a runner shows before its marker is all
        markers = {}
        for name, (_, keep) in FILTERS.items():
            c = next((c for c in cmds if keep(c)), None)
            check(c, f"filter {name} keeps something")
            markers[name] = rerun(c)
        last = list(markers.values())[-1]["pid"]
        witnessed = before_marker(witness, last)
        shown = {name: before_marker(rs[name], markers[name]["pid"])
                 for name in FILTERS}
    finally:
        stop_all([witness] + list(rs.values()))
    mpids = {m["pid"] for m in markers.values()}
    eq(sorted(e["proc"]["pid"] for e in witnessed
              if e["proc"]["pid"] not in mpids),
       sorted(c["pid"] for c in cmds), "events without a filter")
    bad = []
    for name, (expr, keep) in FILTERS.items():
        got = sorted((e["proc"]["pid"], e["proc"]["comm"])
                     for e in shown[name] if e["proc"]["pid"] not in mpids)
        want = sorted((c["pid"], c["comm"]) for c in cmds if keep(c))
        if got != want:
            bad.append(f"-F {expr}: got {got}, want {want}")
    if bad:
        raise Fail("; ".join(bad))


@test
def filter_errors_are_usage_errors(env):
    for expr, needle in (("proc.comm=~x", "proc.comm=~x"),
                         ("proc.comm=>x", "proc.comm=>x"),
                         ("proc.comm!x", "proc.comm!x"),
                         ("proc.comm", "proc.comm"),
                         ("nope==1", "nope"),
                         ("proc.nope==1", "proc.nope"),
                         ("proc.comm==true,nope==1", "nope"),
                         ("args_count>abc", "abc"),
                         ("args~(", "args~(")):
        usage_error(["run", "trace_exec", "--store", env.store, "-F", expr],
                    needle)


# ---- --max-events -----------------------------------------------------------


@test
def max_events_stops_after_exactly_n(env):
    m = mark()
    r = tracer(env, "trace_exec", "-F", only(m), "--max-events", "3")
    try:
        cmds = [run_cmd(["/bin/true", m, str(i)]) for i in range(5)]
        try:
            rc = r.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            raise Fail("runner still running after 3 events")
    finally:
        stop(r)
    eq(rc, 0, "exit status")
    evs = json_lines(r.stdout())
    check(r.stdout().endswith("\n"), "whole lines")
    eq([e["proc"]["pid"] for e in evs], [c["pid"] for c in cmds[:3]],
       "the first 3 events, no more")
    check("trace_exec: 3 events" in r.stderr(), f"summary: {r.stderr()!r}")


# ---- params -----------------------------------------------------------------


def prog_ids(name):
    return {p["id"] for p in bpftool("prog", "show") if p.get("name") == name}


def rodata(prog_id):
    """The .rodata values a loaded program sees, from the kernel (BTF)."""
    for mid in bpftool("prog", "show", "id", str(prog_id)).get("map_ids", []):
        mp = bpftool("map", "show", "id", str(mid))
        if not mp.get("name", "").endswith(".rodata"):
            continue
        vals = {}
        for item in bpftool("map", "dump", "id", str(mid))[0]["formatted"][
                "value"][".rodata"]:
            vals.update(item)
        return vals
    return {}


def kernel_params(before, name):
    """.rodata of the programs called name loaded since `before`; one that
    is gone by the time it is read (another runner on the machine that
    stopped) is left out."""
    vals = []
    for i in sorted(prog_ids(name) - before):
        try:
            vals.append(rodata(i))
        except subprocess.CalledProcessError:
            pass
    return vals


@test
def trace_exec_uid_and_comm_params_filter_in_kernel(env):
    """--uid and --comm (the well-known filter params of gadget/filter.h)
    are flags of every gadget, set in the program before it loads."""
    m = mark()
    before = prog_ids("sched_process_exec")
    ru = tracer(env, "trace_exec", "-F", only(m), "--uid", str(NOBODY))
    rc = tracer(env, "trace_exec", "-F", only(m), "--comm", "false")
    try:
        seen = kernel_params(before, "sched_process_exec")
        cmds = [run_cmd(["/bin/true", m]),
                run_cmd(["/bin/false", m]),
                run_cmd(["/bin/true", m, "x"], uid=NOBODY, gid=NOBODY)]
        su = before_marker(ru, rerun(cmds[2])["pid"])
        sc = before_marker(rc, rerun(cmds[1])["pid"])
    finally:
        stop_all([ru, rc])
    eq([e["proc"]["pid"] for e in su], [cmds[2]["pid"]],
       "--uid 65534 keeps the command run as nobody")
    eq([e["proc"]["pid"] for e in sc], [cmds[1]["pid"]],
       "--comm false keeps /bin/false")
    # the runner's own exec hook (container tracking) is also a
    # sched_process_exec program: keep the gadget's, which have params
    seen = [v for v in seen if "targ_comm" in v]
    comms = [bytes(v["targ_comm"]).split(b"\0")[0] for v in seen]
    check(any(v.get("targ_uid") == NOBODY for v in seen),
          f"targ_uid {NOBODY} in the loaded program: {seen}")
    check(b"false" in comms, f"targ_comm 'false' in the loaded program: "
          f"{seen}")


def write_file(env, name, data):
    path = os.path.join(env.tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


@test
def params_read_from_files_as_ig(env):
    """ig's --PARAM=@FILE (cmd/common/params.go): a gadget param (--comm)
    and operators' params (-F, --fields) take their value from FILE, byte
    for byte: the loaded program holds the file's comm, a last newline
    too, and the events are those the files' filter and fields say."""
    m = mark()
    comm = write_file(env, "comm.txt", b"false")
    comm_nl = write_file(env, "comm_nl.txt", b"false\n")
    flt = write_file(env, "filter.txt", only(m).encode())
    fields = write_file(env, "fields.txt", b"proc.pid,args")
    before = prog_ids("sched_process_exec")
    r = tracer(env, "trace_exec", f"-F@{flt}", f"--comm=@{comm}",
               "--fields", f"@{fields}")
    rnl = tracer(env, "trace_exec", "-F", only(m), "--comm", f"@{comm_nl}")
    try:
        seen = kernel_params(before, "sched_process_exec")
        cmds = [run_cmd(["/bin/true", m]), run_cmd(["/bin/false", m])]
        evs = before_marker(r, rerun(cmds[1])["pid"])
    finally:
        stop_all([r, rnl])
    eq(evs, [{"proc": {"pid": cmds[1]["pid"]}, "args": cmds[1]["args"]}],
       "--comm=@FILE, -F@FILE, --fields @FILE: /bin/false with the mark, "
       "proc.pid and args")
    comms = [bytes(v["targ_comm"]).split(b"\0")[0] for v in seen
             if "targ_comm" in v]
    check(b"false" in comms and b"false\n" in comms,
          f"targ_comm 'false' and 'false\\n' in the loaded programs: "
          f"{comms}")


def ignore_failed_in_kernel(env, argvs):
    """For each argv (`runner run` with it, trace_exec among it, all
    running at once): (the argv joined, trace_exec's ignore_failed as the
    loaded programs hold it)."""
    got = []
    rs = []
    try:
        for argv in argvs:
            before = prog_ids("sched_process_exec")
            rs.append(Runner(["run", "-o", "json", "--store", env.store]
                             + argv))
            vals = [v["ignore_failed"] for v in
                    kernel_params(before, "sched_process_exec")
                    if "ignore_failed" in v]
            got.append((" ".join(argv), vals))
    finally:
        stop_all(rs)
    return got


@test
def bool_param_alone_is_true(env):
    """A bool param's flag alone is true, as in ig (it took the next
    argument for its value, or wanted one), after a false one too, and
    before the image; "--flag false" and "--flag=0" still read theirs."""
    got = ignore_failed_in_kernel(env, (
        ["trace_exec", "--ignore-failed", "false"],
        ["trace_exec", "--ignore-failed=0"],
        ["trace_exec", "--ignore-failed=0", "--ignore-failed", "-F",
         "args~x"],
        ["trace_exec", "--ignore-failed=0", "--ignore-failed"],
        ["--ignore-failed=0", "--ignore-failed", "--comm", "true",
         "trace_exec"]))
    eq(got, [("trace_exec --ignore-failed false", [False]),
             ("trace_exec --ignore-failed=0", [False]),
             ("trace_exec --ignore-failed=0 --ignore-failed -F args~x",
              [True]),
             ("trace_exec --ignore-failed=0 --ignore-failed", [True]),
             ("--ignore-failed=0 --ignore-failed --comm true trace_exec",
              [True])],
       "ignore_failed in the kernel")


@test
def bool_param_takes_every_ig_spelling(env):
    """A gadget's bool param takes what every bool param of ig's takes
    here: Go's ParseBool spellings, as before, and ig's own (pkg/params
    ValidateBool: true or false in any case, tRuE too, which was a usage
    error), on the line and from @FILE; whatever the spelling, the loaded
    program holds a bool (bpftool reads it back as true or false).  Each
    true comes after a false: ignore_failed's default is true."""
    mixed = write_file(env, "mixed_bool.txt", b"TrUe")
    got = ignore_failed_in_kernel(env, (
        ["trace_exec", "--ignore-failed=fAlSe"],
        ["trace_exec", "--ignore-failed=0", "--ignore-failed=tRuE"],
        ["trace_exec", "--ignore-failed=FALSE", f"--ignore-failed=@{mixed}"]))
    eq(got, [("trace_exec --ignore-failed=fAlSe", [False]),
             ("trace_exec --ignore-failed=0 --ignore-failed=tRuE", [True]),
             ("trace_exec --ignore-failed=FALSE "
              f"--ignore-failed=@{mixed}", [True])],
       "ignore_failed in the kernel")
    usage_error(["run", "trace_exec", "--store", env.store,
                 "--ignore-failed=tru"],
                "--ignore-failed: param ignore_failed: 'tru' is not true "
                "or false")


@test
def trace_dns_ports_param_and_port_filters(env):
    """--ports picks the DNS ports in the kernel; -F on src.port/dst.port
    (nested numbers) in the runner."""
    ns, inode = env.ns, env.ns.inode()
    only = ["-F", f"netns_id=={inode}"]
    r5300 = tracer(env, "trace_dns", *only, "--ports", "5300")
    rsrc = tracer(env, "trace_dns", *only, "--ports", "53,5300",
                  "-F", "src.port==5300")
    rdst = tracer(env, "trace_dns", *only, "--ports", "53,5300",
                  "-F", "dst.port!=5300,qr==Q")
    rdef = tracer(env, "trace_dns", *only)
    try:
        p53, out53 = run_client(ns, "dig +time=2 +tries=1 @127.0.0.1 web.test")
        p5300, out5300 = run_client(ns, "dig +time=2 +tries=1 -p 5300 "
                                    "@127.0.0.1 web.test")
        check("status: NOERROR" in out53 and "status: NOERROR" in out5300,
              f"dig: {out53[-200:]} {out5300[-200:]}")
        # markers, one per port, after the queries under test
        for args in ("", "-p 5300 "):
            name = "m5300" if args else "m53"
            _, out = run_client(ns, f"dig +time=2 +tries=1 {args}"
                                f"@127.0.0.1 {name}.web.test")
            check("status: NOERROR" in out, f"marker dig: {out[-200:]}")
        m53 = lambda e: e["name"] == "m53.web.test."  # noqa: E731
        m5300 = lambda e: e["name"] == "m5300.web.test."  # noqa: E731
        e5300 = before(r5300, m5300)
        esrc = before(rsrc, m5300)
        edst = before(rdst, m53)
        edef = before(rdef, m53)
    finally:
        stop_all([r5300, rsrc, rdst, rdef])
    evs = e5300
    check(pick(evs, proc__pid=p5300, qr="Q"), "--ports 5300: the query")
    for e in evs:
        check(5300 in (e["src"]["port"], e["dst"]["port"]),
              f"--ports 5300: event on {e['src']} -> {e['dst']}")
    evs = esrc
    check(len(evs) >= 2, "responses from port 5300, both ends")
    for e in evs:
        eq(e["src"]["port"], 5300, "-F src.port==5300: src.port")
        eq(e["qr"], "R", "-F src.port==5300: only responses")
    evs = edst
    check(pick(evs, proc__pid=p53), "-F dst.port!=5300: dig on port 53")
    for e in evs:
        check(e["dst"]["port"] != 5300 and e["qr"] == "Q",
              f"-F dst.port!=5300,qr==Q: {e['dst']} {e['qr']}")
    evs = edef
    check(pick(evs, proc__pid=p53, qr="Q"), "default ports: port 53 query")
    eq(pick(evs, proc__pid=p5300), [], "default ports: nothing of port 5300")


@test
def param_values_are_checked(env):
    base = ["run", "trace_dns", "--store", env.store]
    usage_error(base + ["--uid", "abc"], "abc")
    usage_error(base + ["--uid", "4294967296"], "4294967296")
    usage_error(base + ["--pid", "-1"], "-1")
    usage_error(base + ["--ports", "70000"], "70000")
    usage_error(["run", "trace_exec", "--store", env.store,
                 "--ignore-failed=maybe"], "maybe")


# ---- --help -----------------------------------------------------------------


def squash(s):
    return " ".join(str(s).split())


@test
def help_lists_gadget_flags_and_fields(env):
    for gadget, ds in (("trace_exec", "exec"), ("trace_dns", "dns"),
                       ("snapshot_process", "processes")):
        rc, out, err = run_sync(["run", gadget, "--store", env.store,
                                 "--help"], safety=False)
        eq(rc, 0, f"{gadget} --help exit status ({err.strip()[-200:]!r})")
        lines = [squash(ln) for ln in out.splitlines()]
        md = env.yaml[gadget]
        for var, p in (md.get("params") or {}).get("ebpf", {}).items():
            flag = f"--{p.get('key', var)}"
            ln = [x for x in lines if x.split(" ")[0] == flag]
            eq(len(ln), 1, f"{gadget} --help: lines of flag {flag}")
            if p.get("description"):
                check(squash(p["description"]) in ln[0],
                      f"{gadget}: description of {flag} in {ln[0]!r}")
            if "defaultValue" in p:
                check(f"(default {p['defaultValue']})" in ln[0],
                      f"{gadget}: default of {flag} in {ln[0]!r}")
        names = {x.split(" ")[0] for x in lines}
        for fname, f in md["datasources"][ds]["fields"].items():
            desc = ((f or {}).get("annotations") or {}).get("description")
            if not desc:
                continue
            ln = [x for x in lines if x.split(" ")[0] == fname]
            if not ln and any(n.startswith(fname + ".") for n in names):
                continue  # a struct: its members are the fields
            eq(len(ln), 1, f"{gadget} --help: lines of field {fname}")
            check(squash(desc) in ln[0],
                  f"{gadget}: description of {fname} in {ln[0]!r}")
        # fields the metadata does not describe come from the BTF
        check("proc.comm" in names and "proc.pid" in names,
              f"{gadget} --help lists proc.comm and proc.pid")


@test
def help_loads_nothing_into_the_kernel(env):
    """`runner run GADGET --help` reads the image and describes it; it
    loaded the gadget's programs ahead and started the container tracker
    (31 bpf(2) calls for trace_dns), as a run does."""
    from harness import RUNNER
    log = os.path.join(env.tmp, "help.strace")
    for args in (["--help"], ["--ports", "53", "-h"]):
        p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o",
                            log, RUNNER, "run", "trace_dns", "--store",
                            env.store] + args, capture_output=True,
                           text=True, timeout=60)
        eq(p.returncode, 0, f"{args} exit status ({p.stderr[-200:]!r})")
        check("--ports" in p.stdout and "latency_ns" in p.stdout,
              f"{args}: the gadget's flags and fields: {p.stdout[-300:]!r}")
        with open(log) as f:
            calls = [line for line in f if "bpf(" in line]
        eq(len(calls), 0, f"{args}: bpf(2) calls (the first: {calls[:1]})")



@test
def bad_flag_loads_nothing_into_the_kernel(env):
    """A flag refused (unknown, or a value the gadget's param refuses) is
    refused before any kernel work: `runner run trace_dns --bogus` made
    the gadget's maps ahead and loaded the container tracker (31 bpf(2)
    calls) before it said the flag was unknown."""
    from harness import RUNNER, fails
    log = os.path.join(env.tmp, "badflag.strace")
    for args, needle in ((["--bogus"], "unknown flag '--bogus'"),
                         (["--ports", "abc"], "abc"),
                         (["--ports", "@/nonexistent"],
                          'reading file "/nonexistent" for parameter '
                          '"ports"')):
        p = subprocess.run(["strace", "-f", "-qq", "-e", "trace=bpf", "-o",
                            log, RUNNER, "run", "trace_dns", "--store",
                            env.store] + args, capture_output=True,
                           text=True, timeout=60)
        fails(p, f"{args}", needle, code=2)
        with open(log) as f:
            calls = [line for line in f if "bpf(" in line]
        eq(len(calls), 0, f"{args}: bpf(2) calls (the first: {calls[:1]})")


@test
def help_whatever_valid_flags(env):
    """`--help` prints the help (exit 0) whatever valid flags come with
    it, as ig's: -r and --containerd-namespace are not applied to the
    session that only describes (they were refused there: "no data
    source has runtime.* fields")."""
    for args in (["-r", "docker"], ["--containerd-namespace", "x"],
                 ["-c", "nosuch", "-r", "containerd,docker"]):
        rc, out, err = run_sync(["run", "trace_dns", "--store", env.store,
                                 "--help"] + args, safety=False)
        eq(rc, 0, f"{args} exit status ({err.strip()[-200:]!r})")
        check("GADGET FLAGS" in out and "--ports" in out,
              f"{args}: the gadget's help: {out[-300:]!r}")

# ---- gadget.yaml errors -----------------------------------------------------


def broken_copy(env, name, edit):
    d = os.path.join(env.tmp, name)
    shutil.copytree(f"{ROOT}/examples/trace_exec", d)
    path = os.path.join(d, "gadget.yaml")
    with open(path) as f:
        lines = f.read().split("\n")
    edit(lines)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return d


@test
def bad_yaml_build_names_file_line_column(env):
    for lineno in (1, 11):
        def edit(lines):
            # "key: a: b": a mapping value where a scalar goes
            k, v = lines[lineno - 1].split(": ", 1)
            lines[lineno - 1] = f"{k}: {v.split()[0]}: {v}"
        d = broken_copy(env, f"badyaml{lineno}", edit)
        with open(os.path.join(d, "gadget.yaml")) as f:
            line = f.read().split("\n")[lineno - 1]
        col = line.index(":", line.index(": ") + 2) + 1  # second colon
        rc, out, err = run_sync(["image", "build", d, "-t", f"bad{lineno}",
                                 "--store", env.store], safety=False)
        check(rc != 0, f"image build of a broken gadget.yaml exited {rc}")
        lines = err.splitlines()
        eq(len(lines), 1, f"one line on stderr: {err!r}")
        check(re.search(rf"gadget\.yaml:{lineno}:{col}: ", lines[0]),
              f"gadget.yaml:{lineno}:{col}: in {lines[0]!r}")
        check(lines[0].startswith("runner: "), f"{lines[0]!r}")


@test
def metadata_field_missing_from_program(env):
    """As in ig, gadget.yaml may name fields something else adds (WASM
    modules, operators): the gadget runs without them and says so once."""
    def edit(lines):
        i = lines.index("      args:")
        lines[i:i] = ["      nosuchfield:", "        annotations:",
                      "          description: not in the program"]
    d = broken_copy(env, "nosuchfield", edit)
    rc, out, err = run_sync(["image", "build", d, "-t", "nosuchfield:1",
                             "--store", env.store], safety=False)
    eq(rc, 0, f"image build exit status (stderr {err!r})")
    rc, out, err = run_sync(["run", "nosuchfield:1", "--store", env.store,
                             "-o", "json", "--max-events", "1"], timeout=5)
    eq(rc, 0, f"exit status (stderr {err!r})")
    notes = [x for x in err.splitlines()
             if x.startswith("runner:") and "nosuchfield" in x]
    eq(len(notes), 1, f"one note naming the field: {err!r}")
    check(notes[0].startswith("runner: note: data source exec:"),
          f"the data source named in {notes[0]!r}")
    check(all("nosuchfield" not in e for e in json_lines(out)),
          "the field is not in the events")


@test
def metadata_param_missing_from_program(env):
    def edit(lines):
        i = lines.index("    ignore_failed:")
        lines[i:i] = ["    nosuchparam:", "      key: nosuch",
                      "      description: not in the program"]
    d = broken_copy(env, "nosuchparam", edit)
    rc, out, err = run_sync(["image", "build", d, "-t", "nosuchparam:1",
                             "--store", env.store], safety=False)
    if rc == 0:
        rc, out, err = run_sync(["run", "nosuchparam:1", "--store",
                                 env.store], timeout=5)
    eq(rc, 1, f"exit status (stderr {err!r})")
    lines = err.splitlines()
    eq(len(lines), 1, f"one line on stderr: {err!r}")
    check(lines[0].startswith("runner: ") and "nosuchparam" in lines[0],
          f"the param named in {lines[0]!r}")


def trace_exec_with(env, name, code):
    """examples/trace_exec with code after its first statement, built as
    image NAME:1."""
    d = os.path.join(env.tmp, name)
    shutil.copytree(f"{ROOT}/examples/trace_exec", d)
    path = os.path.join(d, "program.bpf.c")
    with open(path) as f:
        src = f.read()
    at = "bpf_get_current_task();\n"
    check(at in src, f"no {at!r} in {path}")
    with open(path, "w") as f:
        f.write(src.replace(at, at + code, 1))
    rc, out, err = run_sync(["image", "build", d, "-t", f"{name}:1",
                             "--store", env.store], safety=False)
    eq(rc, 0, f"image build exit status (stderr {err!r})")


@test
def verbose_shows_the_verifier_log(env):
    """ig's -v/--verbose says more on stderr: here what RUNNER_DEBUG=1
    shows, libbpf's messages with the verifier's log of a program it
    refuses (a load from address 0x1000); without it, one line.  A
    persistent flag of ig's: also before the command, in any spelling of
    Go's ParseBool."""
    trace_exec_with(env, "badload",
                    "\tif (*(volatile char *)0x1000 == 7)\n\t\treturn 1;\n")
    base = ["run", "badload:1", "--store", env.store]
    quiet = {"RUNNER_DEBUG": ""}  # empty: unset
    for flags in ([], ["--verbose=false"], ["-v", "--verbose=0"],
                  ["--verbose=F"]):
        rc, out, err = run_sync(base + flags, timeout=10, safety=False,
                                env=quiet)
        eq(rc, 1, f"{flags}: exit status (stderr {err!r})")
        lines = err.splitlines()
        eq(len(lines), 1, f"{flags}: one line on stderr: {err!r}")
        check("-v or RUNNER_DEBUG=1 shows the verifier log" in lines[0],
              f"{flags}: how to see more, in {lines[0]!r}")
    for flags in (["-v"], ["--verbose"], ["--verbose=true"],
                  ["--verbose=True"], ["-v", "BEFORE"]):
        args = ["-v"] + base if "BEFORE" in flags else base + flags
        rc, out, err = run_sync(args, timeout=10, safety=False, env=quiet)
        eq(rc, 1, f"{flags}: exit status (stderr {err!r})")
        check("-- BEGIN PROG LOAD LOG --" in err and
              "invalid mem access" in err,
              f"{flags}: the verifier's log on stderr: {err[-500:]!r}")
        eq(err.splitlines()[-1][:8], "runner: ", f"{flags}: the error last")
    usage_error(base + ["--verbose=x"], "invalid --verbose 'x'")
    # ig's root flag from its configuration (verbose: true), which the
    # command line overrides
    cfg = os.path.join(env.tmp, "verbose.yaml")
    with open(cfg, "w") as f:
        f.write("verbose: true\n")
    for flags, log in ((["--config", cfg], True),
                       (["--config", cfg, "--verbose=false"], False)):
        rc, out, err = run_sync(base + flags, timeout=10, safety=False,
                                env=quiet)
        eq(rc, 1, f"{flags}: exit status (stderr {err!r})")
        eq("-- BEGIN PROG LOAD LOG --" in err, log,
           f"{flags}: the verifier's log on stderr: {err[-500:]!r}")
    rc, out, err = run_sync(base, timeout=10, safety=False,
                            env=dict(quiet, INSPEKTOR_GADGET_VERBOSE="1"))
    check("-- BEGIN PROG LOAD LOG --" in err,
          f"INSPEKTOR_GADGET_VERBOSE=1: the verifier's log: {err[-500:]!r}")


@test
def trace_pipe_on_stderr(env):
    """ig's --trace-pipe: what the gadget's programs bpf_printk() (the
    kernel's trace pipe; here MARK-PID at each exec) on stderr while it
    runs; not without it.  A run without it leaves the line of an exec it
    traced in the pipe: a run with it started after the first stopped
    shows that line, before the line of an exec of its own (the marker:
    the pipe gives its lines in order), where a first run that read the
    pipe would have taken it."""
    trace_exec_with(env, "printk", f'\tbpf_printk("{MARK}-%d", (int)'
                    '(bpf_get_current_pid_tgid() >> 32));\n')

    def traced_exec(r):
        """A new process's exec, once r showed it: its pid."""
        c = run_cmd(["true", mark()])
        wait_json(r, lambda e: e["proc"]["pid"] == c["pid"])
        return c["pid"]

    def printed(r, pid):
        """r's stderr lines of what the exec of pid printed."""
        return [x for x in r.stderr().splitlines()
                if x.endswith(f"bpf_trace_printk: {MARK}-{pid}")]

    args = ["run", "printk:1", "--store", env.store, "-o", "json"]
    quiet = Runner(args)
    try:
        first = traced_exec(quiet)
    finally:
        eq(quiet.stop(), 0, "without --trace-pipe: exit status")
    loud = Runner(args + ["--trace-pipe"])
    try:
        last = traced_exec(loud)
        wait_until(lambda: printed(loud, last),
                   what=f"the line of pid {last} on stderr")
    finally:
        eq(loud.stop(), 0, "--trace-pipe: exit status")
    eq(printed(quiet, first), [], "without --trace-pipe: its line")
    said, left, marker = (loud.stderr().splitlines(), printed(loud, first),
                          printed(loud, last)[0])
    check(left and said.index(left[0]) < said.index(marker),
          f"the line of pid {first}, left in the pipe by the run without "
          f"--trace-pipe, not shown before the marker's: {said[-5:]}")
    check(marker.startswith("runner: trace pipe: "),
          f"the trace pipe's line: {marker!r}")
    usage_error(["run", "printk:1", "--store", env.store, "--trace-pipe=x"],
                "invalid --trace-pipe 'x'")


# ---- user and group names ---------------------------------------------------


def named_ids():
    """A uid and a gid that have names, the group's name not the user's."""
    for u in sorted(pwd.getpwall(), key=lambda p: p.pw_uid):
        if u.pw_uid == 0:
            continue
        for g in sorted(grp.getgrall(), key=lambda g: g.gr_gid):
            if g.gr_gid not in (0, u.pw_gid) and g.gr_name != u.pw_name:
                return u, g
    raise Fail("no named user and group")


def unnamed(ids):
    n = 4242
    while n in ids:
        n += 1
    return n


@test
def uid_and_gid_names(env):
    u, g = named_ids()
    nu = unnamed({p.pw_uid for p in pwd.getpwall()})
    ng = unnamed({x.gr_gid for x in grp.getgrall()})
    m = mark()
    r = tracer(env, "trace_exec", "-F", only(m))
    try:
        named = run_cmd(["/bin/true", m, "named"], uid=u.pw_uid,
                        gid=g.gr_gid)
        anon = run_cmd(["/bin/true", m, "anon"], uid=nu, gid=ng)
        evs = wait_json(r, lambda e: True, n=2)
    finally:
        stop(r)
    e = one(evs, "named", proc__pid=named["pid"])
    eq(e["proc"]["creds"]["uid"], u.pw_uid, "uid")
    eq(e["proc"]["creds"]["gid"], g.gr_gid, "gid")
    eq(e["proc"]["creds"]["user"], u.pw_name, f"user of uid {u.pw_uid}")
    eq(e["proc"]["creds"]["group"], g.gr_name, f"group of gid {g.gr_gid}")
    e = one(evs, "unnamed", proc__pid=anon["pid"])
    eq(e["proc"]["creds"]["uid"], nu, "uid without a name")
    check(e["proc"]["creds"]["user"] in ("", str(nu)),
          f"user of uid {nu} without a name: {e['proc']['creds']['user']!r}")
    check(e["proc"]["creds"]["group"] in ("", str(ng)),
          f"group of gid {ng} without a name: "
          f"{e['proc']['creds']['group']!r}")


if __name__ == "__main__":
    main(setup, teardown)
