"""Diagnoses: what a wrong Jacobian looks like, in words a learner can act on.

`values` looks at the whole Jacobians of a failing answer (yours and expected, per
input) and names the common mistake it resembles; `shape` explains a wrong shape with
the puzzle's dim names. Each returns "" when nothing fits.
"""

from __future__ import annotations

from typing import Any

from .puzzles import Puzzle


def values(puzzle: Puzzle, arrays: dict[str, tuple[Any, Any]]) -> str:
    """A diagnosis of wrong values: {wrt: (yours, expected)} at the first failing point."""
    return ""


def shape(puzzle: Puzzle, wrt: str, got: tuple[int, ...]) -> str:
    """A diagnosis of a wrong shape for the Jacobian with respect to `wrt`."""
    return ""
