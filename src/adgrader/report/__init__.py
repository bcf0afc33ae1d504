"""Views of the result model: each module renders a `Report` in one format.

`text` is the rich terminal report; `json`, `junit` and `gradescope` are files for
machines; `github` is workflow commands (annotations) for GitHub Actions, with a
Markdown job summary beside them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..result import Report
    from ..spec import PuzzleSet

FORMATS = ("text", "json", "junit", "github", "gradescope")


def render(fmt: str, report: Report, pset: PuzzleSet | None = None) -> str:
    """The report in a machine format (every format but `text`), as text to write."""
    if fmt == "json":
        from . import json

        return json.render(report)
    if fmt == "junit":
        from . import junit

        return junit.render(report, pset)
    if fmt == "github":
        from . import github

        return github.annotations(report)
    if fmt == "gradescope":
        from . import gradescope

        return gradescope.render(report, pset)
    raise ValueError(f"no machine format {fmt!r}")
