"""The version-1 JSON report (DESIGN.md): stable keys, puzzles in set order."""

from __future__ import annotations

import json
from typing import Any

from ..result import Finding, PuzzleResult, Report

VERSION = 1


def finding(f: Finding) -> dict[str, Any]:
    return {"rule": f.rule, "message": f.message, "line": f.line, "cell": f.cell}


def puzzle(p: PuzzleResult) -> dict[str, Any]:
    return {
        "id": p.id,
        "title": p.title,
        "form": p.form,
        "status": p.status,
        "score": p.score,
        "max_score": p.max_score,
        "message": p.message,
        "diagnosis": p.diagnosis,
        "line": p.line,
        "cell": p.cell,
        "warnings": [finding(w) for w in p.warnings],
        "violations": [finding(v) for v in p.violations],
        "mismatches": {
            "total": p.mismatch_total,
            "shown": [
                {
                    "wrt": m.wrt,
                    "out": list(m.out),
                    "in": list(m.inp),
                    "yours": m.yours,
                    "expected": m.expected,
                    "point": m.point,
                    "kind": m.kind,
                }
                for m in p.mismatches
            ],
        },
    }


def as_dict(report: Report) -> dict[str, Any]:
    return {
        "version": VERSION,
        "submission": report.submission,
        "set": report.set,
        "seed": report.seed,
        "points": report.points,
        "isolation": report.isolation,
        "set_note": report.set_note,
        "problem": report.problem,
        "notes": report.notes,
        "hint": report.hint,
        "score": report.score,
        "max_score": report.max_score,
        "puzzles": [puzzle(p) for p in report.puzzles],
    }


def render(report: Report) -> str:
    """The report as JSON text; an answer's non-finite numbers become "NaN", "Infinity"."""
    return json.dumps(_finite(as_dict(report)), indent=2, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return "NaN"
    if isinstance(value, float) and value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
