"""Hints, revealed one at a time, with how many were shown kept in a small state file.

Like rustlings, the count lives beside the learner's work (`.adgrader-hints.json` in
the submission's folder), so asking again shows the next hint, not the first again.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError
from .files import write_atomically
from .spec import Puzzle

STATE_FILE = ".adgrader-hints.json"


def state_path(folder: Path) -> Path:
    return folder / STATE_FILE


def _read(path: Path) -> dict[str, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): int(v) for k, v in data.items() if isinstance(v, int)}


def _write(path: Path, counts: dict[str, int]) -> None:
    try:
        write_atomically(path, json.dumps(counts, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        message = f"cannot save which hints were shown in {str(path)!r}: {exc.strerror}"
        raise UsageError(message) from None


def reveal(puzzle: Puzzle, set_id: str, folder: Path) -> tuple[list[str], int]:
    """The hints shown so far including the next one, and how many there are in all."""
    if not puzzle.hints:
        return [], 0
    path = state_path(folder)
    counts = _read(path)
    key = f"{set_id}/{puzzle.id}"
    shown = min(counts.get(key, 0) + 1, len(puzzle.hints))
    counts[key] = shown
    _write(path, counts)
    return list(puzzle.hints[:shown]), len(puzzle.hints)


def reset(puzzle: Puzzle, set_id: str, folder: Path) -> None:
    """Forget the hints shown for one puzzle."""
    path = state_path(folder)
    counts = _read(path)
    if counts.pop(f"{set_id}/{puzzle.id}", None) is not None:
        _write(path, counts)
