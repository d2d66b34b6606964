#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The test runner itself cannot lie: tests/run.sh on test files that exit
from a test, die in the middle, hang, fail their setup, state no plan, or
do not exist.
A runner built with ASan fails the test
after which it reported.
Each case checks the closing line "N passed, N failed" and the exit code
against what the fixture file (tests/e2e/lying/) really did."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import ROOT, Runner, check, eq, main, test  # noqa: E402

LYING = os.path.join(ROOT, "tests", "e2e", "lying")


def run_sh(*args, file_timeout=600, env=None):
    """tests/run.sh e2e args...: (exit code, output lines)."""
    e = dict(env or os.environ, FILE_TIMEOUT=str(file_timeout))
    p = subprocess.run([os.path.join(ROOT, "tests", "run.sh"), "e2e",
                        *args], capture_output=True, text=True, env=e,
                       timeout=file_timeout + 120)
    return p.returncode, p.stdout.splitlines()


def fixture(name):
    return os.path.join(LYING, name)


def with_mark(*args, **kw):
    """run_sh with $LYING_MARK naming a file the fixture's teardown writes;
    (exit code, output lines, whether the file was written)."""
    tmp = tempfile.mkdtemp(prefix="lying-")
    mark = os.path.join(tmp, "mark")
    os.environ["LYING_MARK"] = mark
    try:
        rc, out = run_sh(*args, **kw)
        return rc, out, os.path.exists(mark)
    finally:
        del os.environ["LYING_MARK"]
        shutil.rmtree(tmp, ignore_errors=True)


@test
def sys_exit_in_a_test_fails_it():
    rc, out = run_sh(fixture("exits_in_test.py"))
    eq(out[-1], "2 passed, 1 failed", "closing line")
    eq(rc, 1, "exit code")
    check(any(ln.startswith("not ok 2 - exits # the test called sys.exit")
              for ln in out), f"the exiting test named: {out}")


@test
def planned_tests_that_never_report_fail():
    rc, out = run_sh(fixture("dies.py"))
    # one passed, then SIGKILL: the 2 others of the plan never reported
    eq(out[-1], "1 passed, 2 failed", "closing line")
    eq(rc, 1, "exit code")


@test
def a_hanging_file_is_stopped_and_torn_down():
    rc, out, torn = with_mark(fixture("hangs.py"), file_timeout=5)
    # the hanging test fails, the one after it never ran: failed too
    eq(out[-1], "1 passed, 2 failed", "closing line")
    eq(rc, 1, "exit code")
    check(torn, "teardown did not run after the timeout")


@test
def failing_setup_fails_every_test_and_tears_down():
    rc, out, torn = with_mark(fixture("setup_fails.py"))
    eq(out[-1], "0 passed, 2 failed", "closing line")
    eq(rc, 1, "exit code")
    check(torn, "teardown did not run after setup failed")


@test
def output_without_a_plan_fails():
    rc, out = run_sh(fixture("no_plan.py"))
    eq(out[-1], "2 passed, 1 failed", "closing line")
    eq(rc, 1, "exit code")


@test
def missing_file_and_unknown_test_name_fail():
    rc, out = run_sh("test_no_such_file.py")
    eq(out[-1], "0 passed, 1 failed", "missing file: closing line")
    eq(rc, 1, "missing file: exit code")
    rc, out = run_sh(fixture("exits_in_test.py"), "passes", "pases")
    eq(out[-1], "1 passed, 1 failed", "misspelled test: closing line")
    eq(rc, 1, "misspelled test: exit code")


# Leaks what it allocates when given an argument.
LEAKY_C = r"""
#include <stdlib.h>
#include <string.h>
void *volatile kept;
int main(int argc, char **argv)
{
	kept = malloc(64);
	memset(kept, argc, 64);
	if (argc < 2)
		free(kept);
	kept = NULL;
	return 0;
}
"""


@test
def a_sanitizer_report_fails_the_test_after_which_it_was_written():
    """BUILD's runner built with ASan: the harness has each process write
    its report to a file and fails the test after which one was written;
    LeakSanitizer's notice that it cannot run under strace is no report."""
    tmp = tempfile.mkdtemp(prefix="harness-san-")
    try:
        src = os.path.join(tmp, "leaky.c")
        with open(src, "w") as f:
            f.write(LEAKY_C)
        subprocess.run(["cc", "-O0", "-g", "-fsanitize=address", "-o",
                        os.path.join(tmp, "runner"), src], check=True,
                       timeout=120)
        e = {k: v for k, v in os.environ.items()
             if k not in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")}
        e["BUILD"] = tmp
        rc, out = run_sh(fixture("sanitizer_report.py"), env=e)
        eq(out[-1], "2 passed, 1 failed", "closing line")
        eq(rc, 1, "exit code")
        check(any(ln.startswith("not ok 1 - leaks # 1 sanitizer report(s):")
                  and "LeakSanitizer: detected memory leaks" in ln
                  for ln in out), f"the leaking test named: {out}")
        check("ok 2 - leaks_under_strace" in out, f"under strace: {out}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@test
def output_read_mid_write_gives_whole_lines_and_strict_utf8():
    """Runner.stdout(), wait_for() on output read while the runner writes
    it: a line cut inside a character (Linux lets a reader see part of a
    write()) is a line still being written, not an error; a whole line
    that is no UTF-8 is one."""
    tmp = tempfile.mkdtemp(prefix="harness-")
    try:
        r = object.__new__(Runner)  # its output only: no runner started
        r.since = 0
        r.proc = subprocess.Popen(["true"])
        r.proc.wait()
        r.out = open(os.path.join(tmp, "stdout"), "wb+")
        whole = '{"a":"1.00\u00b5s"}\n{"b":"\u00e9"}\n'.encode()
        r.out.write(whole + '{"a":"1.00\u00b5s"}'.encode()[:11])
        evs = r.wait_for(lambda e: False, timeout=0)
        eq(evs, [{"a": "1.00\u00b5s"}, {"b": "\u00e9"}], "whole lines")
        check(r.stdout().startswith(whole.decode()), "stdout()")
        r.out.seek(0)
        r.out.truncate()
        r.out.write(b'{"a":"\xff"}\n')
        try:
            r.stdout()
        except UnicodeDecodeError:
            pass
        else:
            raise AssertionError("a whole line of no UTF-8 was read")
        r.out.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
