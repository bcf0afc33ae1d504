"""Gradescope's `results.json`: the overall score and one visible test per puzzle.

Gradescope knows two test statuses, so only `passed` maps to passed; every other
verdict is failed, with the details (message, wrong entries, rules) as Markdown.
"""

from __future__ import annotations

import json
from typing import Any

from ..result import PuzzleResult, Report
from ..spec import PuzzleSet
from .common import isolation_warning, md_details, progress_text
from .json import _finite


def as_dict(report: Report, pset: PuzzleSet | None = None) -> dict[str, Any]:
    return {
        "score": report.score,
        "max_score": report.max_score,
        "execution_time": round(report.duration),
        "output": "\n\n".join(t for t in (progress_text(report), isolation_warning(report)) if t),
        "output_format": "md",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test(p, k, pset) for k, p in enumerate(report.puzzles, start=1)],
    }


def test(p: PuzzleResult, number: int, pset: PuzzleSet | None = None) -> dict[str, Any]:
    """One puzzle as a Gradescope test; `number` is its position in the report."""
    return {
        "name": f"{p.id} · {p.title}",
        "number": str(number),
        "score": p.score,
        "max_score": p.max_score,
        "status": "passed" if p.passed else "failed",
        "output": md_details(p, pset),
        "output_format": "md",
        "visibility": "visible",
    }


def render(report: Report, pset: PuzzleSet | None = None) -> str:
    """results.json text; non-finite numbers become strings, so it is strict JSON."""
    return json.dumps(_finite(as_dict(report, pset)), indent=2, allow_nan=False) + "\n"
