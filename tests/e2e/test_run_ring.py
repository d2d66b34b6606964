#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`runner run --ring-size`: the gadget's ring buffer is created in the
kernel at the size asked, not the one the gadget declares; bad sizes are
usage errors.  Events still arrive through the small ring."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (RUNNER, Runner, check, eq, fails,  # noqa: E402
                     fdinfos, main, test)
import gadget_env as genv  # noqa: E402

NS = f"ring{os.getpid()}"
SRV, CLI = "10.66.7.1", "10.66.7.2"
BPF_MAP_TYPE_RINGBUF = 27


def setup():
    return genv.dns_pair(NS, SRV, CLI, "ringfs")


def ring_sizes(pid):
    """max_entries of the ring buffer maps process pid holds."""
    return [int(i["max_entries"]) for i in fdinfos(pid)
            if int(i.get("map_type", "-1")) == BPF_MAP_TYPE_RINGBUF]


@test
def ring_size_flag__ring_created_that_size__events_flow(env):
    r = Runner(["run", "trace_dns", "-o", "json", "--store", env.store,
                "--ring-size", "64K"])
    try:
        sizes = ring_sizes(r.proc.pid)
        check(65536 in sizes, f"no 64K ring buffer among {sizes}")
        check(16 << 20 not in sizes, f"the declared 16M ring too: {sizes}")
        pid, _ = genv.run_client(env.cli, f"dig +time=2 +tries=1 @{SRV}"
                                 " web.test A")
        r.wait_for(lambda e: e["proc"]["pid"] == pid and e["qr"] == "R")
    finally:
        eq(r.stop(), 0, "runner exit code")


@test
def ring_size_flag__not_a_power_of_2__usage_error(env):
    for bad in ("3K", "2048", "2G", "0", "x"):
        fails(subprocess.run([RUNNER, "run", "trace_dns", "--store",
                              env.store, "--ring-size", bad],
                             capture_output=True, text=True),
              f"--ring-size {bad}", "--ring-size", code=2)


if __name__ == "__main__":
    main(setup, genv.dns_pair_teardown)
