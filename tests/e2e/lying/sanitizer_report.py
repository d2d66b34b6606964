# SPDX-License-Identifier: Apache-2.0
"""Fixture of test_harness.py: $BUILD/runner is a program built with ASan
that leaks when given an argument.  The test that runs it so, and looks
at nothing, fails on the leak report alone; the one that runs it under
strace (LeakSanitizer cannot run there: exit 0 wanted) and the clean one
pass."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import RUNNER, main, sh, test  # noqa: E402


@test
def leaks():
    sh(f"{RUNNER} leak", check_rc=False)


@test
def leaks_under_strace():
    sh(f"strace -f -qq -o /dev/null {RUNNER} leak")


@test
def clean():
    sh(RUNNER)


if __name__ == "__main__":
    main()
