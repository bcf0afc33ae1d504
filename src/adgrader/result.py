"""The result model: every report format (text, JSON, ...) is a view of these dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["passed", "failed", "violation", "error", "timeout", "todo", "missing"]
Kind = Literal["pass", "failure", "error", "skip"]


@dataclass(frozen=True)
class Verdict:
    """How every view tells one status: its words, its mark, and what kind of outcome it
    is for a test report (JUnit: failure, error or skipped)."""

    label: str  # for terminals: "✓ passed"
    marker: str  # for plain text: "PASS"
    style: str  # rich style of the label
    kind: Kind
    plural: str  # "3 failed", "2 errors"
    meaning: str  # what it means, in a few words


VERDICTS: dict[Status, Verdict] = {
    "passed": Verdict("✓ passed", "PASS", "green", "pass", "passed", "every entry right"),
    "failed": Verdict("✗ failed", "FAIL", "red", "failure", "failed", "wrong shape or values"),
    "violation": Verdict(
        "✗ violation", "RULE BROKEN", "magenta", "failure", "violations", "right, but a rule broken"
    ),
    "error": Verdict("! error", "ERROR", "red", "error", "errors", "raised or returned no array"),
    "timeout": Verdict("⏱ timeout", "TIMEOUT", "yellow", "error", "timeouts", "ran out of time"),
    "todo": Verdict("· todo", "TODO", "dim", "skip", "todo", "the starter, not attempted yet"),
    "missing": Verdict("· missing", "MISSING", "dim", "skip", "missing", "no answer found"),
}
STATUSES: tuple[Status, ...] = tuple(VERDICTS)  # every status, in the order views list them
# What a wrong entry belongs to: a Jacobian, a backward's gradient for the point's
# upstream gradient g (no output index), or a forward's value (no input index).
MISMATCH_KINDS = ("jacobian", "vjp", "value")


@dataclass(frozen=True)
class Mismatch:
    """One wrong entry at sample point `point`: of the Jacobian d f[out] / d wrt[in],
    of the gradient for `wrt` at index `in` (kind `vjp`), or of f[out] (kind `value`)."""

    wrt: str
    out: tuple[int, ...]
    inp: tuple[int, ...]
    yours: float
    expected: float
    point: int = 0
    kind: str = "jacobian"


@dataclass(frozen=True)
class Finding:
    """A rule broken by an answer, at a line of the submission."""

    rule: str
    message: str
    line: int | None = None
    severity: str = "error"
    cell: int | None = None  # for a notebook: the cell, and `line` is the line in that cell


def where(line: int | None, cell: int | None) -> str:
    """`line 12`, or `cell 7, line 3` in a notebook; "" when unknown."""
    if cell is not None:
        return f"cell {cell}, line {line}" if line else f"cell {cell}"
    return f"line {line}" if line else ""


@dataclass(frozen=True)
class ShapeCheck:
    """A wrong shape: what came back for `of` (`d/dx`, `the gradient of x`, `f's value`)
    and what was expected there, with the puzzle's names for its dims (`("O", "I")`)."""

    of: str
    expected: tuple[int, ...]
    yours: tuple[int, ...]
    dims: tuple[str | int, ...] = ()


@dataclass
class PuzzleResult:
    """The verdict for one puzzle of the selection."""

    id: str
    title: str
    status: Status
    form: str | None = None
    message: str = ""
    line: int | None = None
    cell: int | None = None  # for a notebook: the cell, and `line` is the line in that cell
    score: float = 0.0
    max_score: float = 1.0
    warnings: list[Finding] = field(default_factory=list)
    violations: list[Finding] = field(default_factory=list)
    mismatch_total: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    diagnosis: str = ""  # what the mistake looks like, when it looks like a common one
    shape: ShapeCheck | None = None  # the wrong shape, when a shape was wrong
    # The whole Jacobians at the first failing point, {wrt: (yours, expected)}, for
    # pictures; numpy arrays, kept in memory only (never in a report file).
    arrays: dict[str, tuple[Any, Any]] = field(default_factory=dict, repr=False)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def reward(self) -> float:
        """1.0 for `passed`, else 0.0 (a `violation` too): a reward for training on."""
        return 1.0 if self.status == "passed" else 0.0


@dataclass
class Report:
    """The verdicts for one submission against one set."""

    submission: str
    set: str
    seed: int
    points: int
    puzzles: list[PuzzleResult]
    duration: float = 0.0
    # How the answers were isolated: `kernel` (jailed by the kernel: Landlock, seccomp),
    # `python` (guards in Python only; see README, "Trust model"), or `none` when no
    # code of the submission ran (it could not be read, or had no answers).
    isolation: str = "none"
    set_note: str = ""  # why this set, when it was not asked for: "named by its ... line"
    problem: str = ""  # why nothing could be graded (a syntax error...), said once
    notes: list[str] = field(default_factory=list)  # what reading the file noticed
    hint: str = ""  # e.g. "these look like classic answers: try --set classic"

    @property
    def score(self) -> float:
        return sum(p.score for p in self.puzzles)

    @property
    def max_score(self) -> float:
        return sum(p.max_score for p in self.puzzles)

    @property
    def passed(self) -> int:
        return sum(p.passed for p in self.puzzles)

    @property
    def all_passed(self) -> bool:
        return all(p.passed for p in self.puzzles)

    def count(self, status: Status) -> int:
        return sum(p.status == status for p in self.puzzles)

    def counts(self) -> dict[Status, int]:
        """How many puzzles have each status, for the statuses that occur, in order."""
        found = {s: self.count(s) for s in STATUSES}
        return {s: n for s, n in found.items() if n}
