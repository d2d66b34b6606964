# SPDX-License-Identifier: Apache-2.0
"""Fixture of test_harness.py: a test that calls sys.exit(0)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import main, test  # noqa: E402


@test
def passes():
    pass


@test
def exits():
    sys.exit(0)


@test
def after_exit():
    pass


if __name__ == "__main__":
    main()
