"""`adgrader check` with the kernel's jail left out, to measure what the jail costs.

The grader has no switch for this (a grader that can be told to skip its jail is one
mistake away from doing it in production), so this script grades through the library
with the answer processes' set-up changed to ask for no jail. Never grade untrusted
code this way.

Usage: python bench/no_jail.py SUBMISSION
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    import adgrader
    from adgrader.answers import client
    from adgrader.grading import stages

    def unjailed(**fields: Any) -> client.Setup:
        return client.Setup(**{**fields, "jail": False})

    stages.Setup = unjailed  # type: ignore[assignment,misc]
    report = adgrader.check(sys.argv[1])
    assert report.isolation == "python", report.isolation
    print(f"{report.passed}/{len(report.puzzles)} passed, isolation {report.isolation}")


if __name__ == "__main__":
    main()
