"""`adgrader check` with the kernel's jail left out, to measure what the jail costs.

The grader has no switch for this (a grader that can be told to skip its jail is one
mistake away from doing it in production), so this script grades as `adgrader check`
does (head start, reading, grading, the text report) with the answer processes' set-up
changed to ask for no jail. Never grade untrusted code this way.

Usage: python bench/no_jail.py SUBMISSION
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    from adgrader.answers.launch import head_start, started_early

    head_start()  # as `adgrader check FILE` does, before anything else
    from adgrader.answers import client
    from adgrader.cli.base import screen, submission_set
    from adgrader.grading import stages
    from adgrader.options import Options
    from adgrader.report import text

    def unjailed(**fields: Any) -> client.Setup:
        return client.Setup(**{**fields, "jail": False})

    stages.Setup = unjailed  # type: ignore[assignment,misc]
    with started_early() as launcher:
        sub, pset, why = submission_set(sys.argv[1], None, None)
        report = stages.grade_submission(sub, pset, Options(), launcher, set_note=why)
    assert report.isolation == "python", report.isolation
    text.render(report, screen(), pset)


if __name__ == "__main__":
    main()
