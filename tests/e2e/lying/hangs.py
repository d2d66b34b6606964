# SPDX-License-Identifier: Apache-2.0
"""Fixture of test_harness.py: a test that hangs; teardown must still run
when the file's timeout stops it (it writes the file named in argv)."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import main, sh, test  # noqa: E402


def setup():
    return os.environ["LYING_MARK"]


def teardown(mark):
    with open(mark, "w") as f:
        f.write("torn down\n")


@test
def passes(mark):
    pass


@test
def hangs(mark):
    sh("sleep 1000")


@test
def never_runs(mark):
    time.sleep(1000)


if __name__ == "__main__":
    main(setup, teardown)
