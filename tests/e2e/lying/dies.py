# SPDX-License-Identifier: Apache-2.0
"""Fixture of test_harness.py: the process dies in its second test."""
import os
import signal
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import main, test  # noqa: E402


@test
def passes():
    pass


@test
def killed():
    os.kill(os.getpid(), signal.SIGKILL)


@test
def never_runs():
    pass


if __name__ == "__main__":
    main()
