"""What reading a submission yields: the parts of `Submission` (see `read`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# A notebook cell as read: (cell type, text).
Cell = tuple[str, str]

# What a submission is: a Python file, or a notebook of either version (or neither).
Kind = Literal["file", "notebook-2024", "notebook-2022", "notebook"]
KINDS: tuple[Kind, ...] = ("file", "notebook-2024", "notebook-2022", "notebook")


@dataclass(frozen=True)
class Unusable:
    """Why a submission (or, in a notebook, one puzzle's cell) cannot be graded.

    `status` is what each puzzle concerned gets: `error` (unreadable, a syntax error)
    or `missing` (an empty file). `message` is said once: its first line is a summary
    of at most 60 columns, the next lines (at most 80 columns each) show the line and
    a caret when there is one, and say what to do.
    """

    status: Literal["error", "missing"]
    message: str
    line: int | None = None  # in the file, or in the cell for a notebook
    cell: int | None = None

    @property
    def summary(self) -> str:
        return self.message.splitlines()[0] if self.message else ""


@dataclass(frozen=True)
class Note:
    """Something the reading noticed, worded for the learner: `warn` notes are worth
    showing in every report (a cell skipped, an answer graded twice, an answer taken by
    order); `info` notes say how each notebook answer was matched (for --verbose, JSON)."""

    message: str
    cell: int | None = None
    line: int | None = None  # in the cell for a notebook, else in the file
    level: Literal["warn", "info"] = "warn"

    def __str__(self) -> str:
        """`cell 7: ...` (or `line 12: ...`), later lines indented under the first."""
        where = (
            f"cell {self.cell}: "
            if self.cell is not None
            else f"line {self.line}: "
            if self.line is not None
            else ""
        )
        return where + self.message.replace("\n", "\n  ")


@dataclass(frozen=True)
class Scope:
    """A run of top-level statements of `Submission.source` (lines `first` to `last`)
    and the puzzle whose givens are bound while they run: in a notebook, the puzzle of
    the cell they come from (or of the last answer cell above it); None for a `.py`
    file's top level and a notebook's cells before its first puzzle."""

    first: int
    last: int
    puzzle: str | None
    cell: int | None = None


@dataclass(frozen=True)
class Origin:
    """Where a top-level name of the source is (last) defined: its line in `source`,
    the scope's puzzle, and for a notebook the cell and the line in that cell."""

    line: int
    puzzle: str | None = None
    cell: int | None = None
    cell_line: int | None = None

    def where(self) -> str:
        """`cell 7, line 3` in a notebook, else `line 12`."""
        if self.cell is not None:
            return f"cell {self.cell}, line {self.cell_line}"
        return f"line {self.line}"
