"""The one exception tree of the core; the CLI maps each kind to a message and exit code."""

from __future__ import annotations

from dataclasses import dataclass


class AdgraderError(Exception):
    """Base of every error the core raises on purpose."""


class UsageError(AdgraderError):
    """The request cannot be served as asked: no such file, set or puzzle (exit code 2)."""


class IsolationError(UsageError):
    """Grading was asked to require the kernel's jail, and this machine has none (exit 2)."""


@dataclass(frozen=True)
class Problem:
    """One problem in a puzzle folder: its file, line and message.

    `field` is where in the file's YAML the problem lies (mapping keys and list
    indexes, such as `("givens", "Is")`), when the check that found it knows: a problem
    found while running a puzzle has no line yet, and `validate` finds it from there.
    """

    file: str
    line: int | None
    message: str
    field: tuple[str | int, ...] = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class SpecError(AdgraderError):
    """A puzzle folder is invalid; carries every problem found, each with file and line (exit 2)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
