#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A clsact qdisc the runner shares with others: another tool's filter
put on the runner's clsact stays after the run, with its qdisc; two
runners on one interface each take off their own filters only, and the
last out removes the clsact a runner made; a clsact made before the run
stays, empty as it was.  The runner marks a clsact it made with a filter
of its own ("runner_clsact", tc shows it) and takes it off when it
leaves the qdisc to another tool's filters.  A runner killed (SIGKILL)
leaves its filters: the next runner on the interface removes them (its
program array emptied by the kernel tells a runner gone), so that the
clsact goes with the last runner all the same, and a live runner's
filters stay.

Each runner runs in a namespace of this test (ip netns exec), with the
gadget tests/fixtures/ig_tc (one event per UDP datagram to or from
--port) on its lo (--iface lo).  The other tool is tc from iproute2: a
u32 filter that matches no packet (this kernel has cls_bpf and u32, no
matchall nor actions).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (Runner, bpftool, check, eq, main, sh,  # noqa: E402
                     test)
from gadget_env import (fixture_env, fixture_env_teardown,  # noqa: E402
                        stop, stop_all, wait_until)

NS = f"tcsh{os.getpid()}"
PORT = 9000 + os.getpid() % 1000
# another tool's filter: a u32 that matches no IPv4 header
FOREIGN = "pref 3 u32 match u32 0x12345678 0xffffffff at 0 classid 1:1"


def setup():
    return fixture_env("tcsh", ["ig_tc"], NS)


def runner(env, ro_run=False, extra=()):
    """A runner of ig_tc on lo (ro_run: with /run read-only, as in
    deploy/'s pod, which mounts the host's so)."""
    ro = ("unshare", "-m", "--propagation", "private", "sh", "-c",
          'mount --bind /run /run && mount -o remount,bind,ro /run &&'
          ' exec "$@"', "sh") if ro_run else ()
    return Runner(["run", "ig_tc:latest", "--store", env.store, "-o",
                   "json", "--port", str(PORT), "--iface", "lo", *extra],
                  prefix=("ip", "netns", "exec", NS) + ro)


def clsact(env):
    return "clsact" in env.ns.run("tc qdisc show dev lo")


def filters(env):
    """tc's filters on lo, ingress and egress."""
    return "".join(env.ns.run(f"tc filter show dev lo {d}")
                   for d in ("ingress", "egress"))


def runners_filters(env):
    """How many filters of runners (their dispatchers) lo has."""
    return filters(env).count("netns_disp:[")


def send(env, sport):
    """A datagram from port sport to PORT on lo."""
    env.ns.run("python3 -c 'import socket; s = socket.socket(socket.AF_INET,"
               f" socket.SOCK_DGRAM); s.bind((\"127.0.0.1\", {sport}));"
               f" s.sendto(b\"x\", (\"127.0.0.1\", {PORT}))'")


def sees(r, sport):
    """Wait until r saw the datagram from sport leave lo (fail if it
    does not)."""
    def seen(e):
        return (e.get("sport"), e.get("dport"),
                e.get("ingress")) == (sport, PORT, 0)
    check(any(seen(e) for e in r.wait_for(seen)),
          f"the runner did not see the datagram from port {sport}")


def one_run(env, sport, meanwhile="", ro_run=False):
    """A runner that sees a datagram from sport (after tc runs meanwhile,
    if given), then stops; tc's filters on lo while it ran."""
    r = runner(env, ro_run)
    try:
        during = filters(env)
        if meanwhile:
            env.ns.run(f"tc {meanwhile}")
        send(env, sport)
        sees(r, sport)
    finally:
        stop(r)
    return during


def nothing_left(env):
    """Check that no filter is on lo, nor a clsact."""
    eq(filters(env), "", "tc's filters on lo after the runs")
    check(not clsact(env), "a clsact on lo after the runs")


def clean(env):
    env.ns.run("tc qdisc del dev lo clsact", check_rc=False)


@test
def a_foreign_filter_on_the_runners_clsact_stays(env):
    """A filter another tool adds to the clsact the runner made, while
    the runner runs, is there after the run, with the qdisc (the
    runner's filters and its mark gone); the runner's filters work
    beside it."""
    check(not clsact(env), "a clsact on lo before the run")
    try:
        during = one_run(env, 40001, f"filter add dev lo ingress {FOREIGN}")
        check("netns_disp" in during and "runner_clsact" in during,
              f"the runner's filters and mark while it ran: {during!r}")
        after = filters(env)
        check(clsact(env), "the clsact with another tool's filter went")
        check("u32" in after, f"the other tool's filter went: {after!r}")
        check("netns_disp" not in after and "runner_clsact" not in after,
              f"the runner's filters or mark left behind: {after!r}")
    finally:
        clean(env)


@test
def two_runners_on_one_interface(env):
    """Two runners on lo: the first (which made the clsact) stops, the
    second's filters stay and its events still arrive; the second stops
    and no clsact is left, as none was there before."""
    check(not clsact(env), "a clsact on lo before the runs")
    try:
        runners = [runner(env)]
        try:
            runners.append(runner(env))
            first, second = runners
            both = runners_filters(env)
            send(env, 40002)
            sees(first, 40002)
            sees(second, 40002)
            stop(runners.pop(0))
            left = runners_filters(env)
            send(env, 40003)
            sees(second, 40003)
        finally:
            stop_all(runners)
        eq((both, left), (4, 2),
           "runners' filters on lo with both, then with the second")
        check(not clsact(env),
              f"clsact left behind by the last: {filters(env)!r}")
    finally:
        clean(env)


@test
def a_clsact_made_before_stays(env):
    """A clsact another tool made before the run is not the runner's:
    the runner puts no mark on it and leaves it as it was (empty)."""
    env.ns.run("tc qdisc add dev lo clsact")
    try:
        during = one_run(env, 40004)
        eq((during.count("netns_disp:["), "runner_clsact" in during),
           (2, False), f"filters while it ran: {during!r}")
        check(clsact(env), "the clsact made before the run went")
        eq(filters(env).strip(), "", "filters after the run")
    finally:
        clean(env)


@test
def a_read_only_run_still_attaches_and_cleans_up(env):
    """With /run read-only (deploy/'s DaemonSet mounts the host's so), a
    runner has no lock file to share with others: it attaches, sees its
    traffic and removes its filters and the clsact it made all the same,
    where it failed at the start ("open /run/runner/tc.lock")."""
    clean(env)
    during = one_run(env, 40403, ro_run=True)
    eq(during.count("netns_disp:["), 2, "the runner's filters while it ran")
    nothing_left(env)


def dispatchers(env):
    """The runners' filters on lo, as tc names them ("netns_disp:[ID]")."""
    return set(re.findall(r"netns_disp:\[\d+\]", filters(env)))


def emptied(names):
    """Has the kernel emptied the program arrays of the dispatchers
    names ("netns_disp:[ID]"), as it does once no process holds one?"""
    for n in names:
        prog = bpftool("prog", "show", "id", n[len("netns_disp:["):-1])
        if any(bpftool("map", "dump", "id", str(m))
               for m in prog["map_ids"]):
            return False
    return True


def killed_runner(env):
    """A runner on lo killed by SIGKILL once attached; its filters stay
    (checked); their names as tc shows them ("netns_disp:[ID]"), once the
    kernel emptied their arrays (a work item after the exit)."""
    before = dispatchers(env)
    r = runner(env)
    try:
        ids = dispatchers(env) - before
    finally:
        r.proc.kill()
        r.proc.wait()
    eq(len(dispatchers(env) - before), 2,
       f"the killed runner's filters on lo: {filters(env)!r}")
    wait_until(lambda: emptied(ids), what="the killed runner's arrays "
               "emptied")
    return ids


def told_removed(r, ids):
    """Did r say at -v that it removed the filters ids, each once?"""
    told = [ln for ln in r.stderr().splitlines()
            if "a runner that is gone" in ln]
    eq(sorted(re.findall(r"netns_disp:\[\d+\]", "\n".join(told))),
       sorted(ids), f"filters told removed: {told}")


@test
def a_killed_runners_filters_go_with_the_next_runner(env):
    """A runner killed by SIGKILL leaves its filters and the marked
    clsact; the next runner on lo removes them as it starts (says so at
    -v), sees its traffic, and leaves nothing behind when it stops.  The
    killed runner's filters counted as a live runner's before, so the
    clsact stayed for ever, their dispatchers run on every packet."""
    check(not clsact(env), "a clsact on lo before the runs")
    try:
        ids = killed_runner(env)
        r = runner(env, extra=("-v",))
        try:
            during = runners_filters(env)
            send(env, 40005)
            sees(r, 40005)
        finally:
            stop(r)
        eq(during, 2, "runners' filters on lo with the next one running")
        told_removed(r, ids)
        nothing_left(env)
    finally:
        clean(env)


@test
def a_live_runners_filters_stay_beside_a_killed_ones(env):
    """A live runner on lo, another killed beside it: a third that
    starts and stops removes the killed one's filters and not the live
    one's, whose events still arrive; once it stops, nothing is left."""
    check(not clsact(env), "a clsact on lo before the runs")
    try:
        live = runner(env)
        try:
            ids = killed_runner(env)
            r = runner(env, extra=("-v",))
            try:
                during = runners_filters(env)
            finally:
                stop(r)
            after = runners_filters(env)
            send(env, 40006)
            sees(live, 40006)
        finally:
            stop(live)
        eq((during, after), (4, 2),
           "runners' filters on lo with the third, then after it")
        told_removed(r, ids)
        nothing_left(env)
    finally:
        clean(env)


if __name__ == "__main__":
    main(setup, fixture_env_teardown)
