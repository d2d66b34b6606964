# SPDX-License-Identifier: Apache-2.0
"""Fixture of test_harness.py: setup fails; every test fails and teardown
still runs."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import Fail, main, test  # noqa: E402


def setup():
    raise Fail("no environment today")


def teardown(ctx):
    with open(os.environ["LYING_MARK"], "w") as f:
        f.write(f"torn down {ctx!r}\n")


@test
def one(ctx):
    pass


@test
def two(ctx):
    pass


if __name__ == "__main__":
    main(setup, teardown)
