"""The `list` view: a set's puzzles with their shapes and answer names, and progress."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from ..spec import ANSWER_FORMS, Input, Puzzle, PuzzleSet

if TYPE_CHECKING:  # the results' model and views only matter given a report
    from ..result import Report


def dims_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) or "()"


def shapes(puzzle: Puzzle) -> str:
    """`x 4×4, y 4 → 16`: input and output shapes at a glance (`()` for one number)."""

    def one(inp: Input) -> str:
        return f"{inp.name} {dims_text(inp.shape)}"

    return ", ".join(one(i) for i in puzzle.inputs) + f" → {dims_text(puzzle.out_shape)}"


def aliases(pset: PuzzleSet) -> str:
    return ", ".join(a for p in pset.puzzles for a in p.aliases)


def set_table(pset: PuzzleSet, report: Report | None = None) -> Text:
    """The set's puzzles as columns: #, id, title, shapes (and status, with a report).

    Laid out by hand rather than with rich's Table: `adgrader list` is a command people
    run to look something up, and drawing four tables cell by cell cost most of its
    time.
    """
    verdicts = {p.id: p for p in report.puzzles} if report is not None else {}
    head = ["#", "id", "title", "shapes"] + (["status"] if report is not None else [])
    rows: list[list[Text]] = []
    for p in pset.puzzles:
        cells = [Text(str(p.number), style="dim"), Text(p.id, style="bold"), Text(p.title)]
        cells.append(Text(shapes(p)))
        if report is not None:
            from .text import status_text

            cells.append(status_text(verdicts[p.id].status))
        rows.append(cells)
    widths = [max(len(h), *(len(r[k]) for r in rows)) for k, h in enumerate(head)]
    out = Text(f"{pset.id} · {pset.title}", style="bold")
    out.append("\n\n")
    out.append_text(_line([Text(h, style="bold") for h in head], widths))
    out.append("\n " + "─" * (sum(widths) + 3 * (len(widths) - 1)) + " ")
    for cells in rows:
        out.append("\n")
        out.append_text(_line(cells, widths))
    return out


def _line(cells: list[Text], widths: list[int]) -> Text:
    """One row: the number right-aligned, the rest left, three spaces between."""
    line = Text(" ")
    for k, (cell, width) in enumerate(zip(cells, widths, strict=True)):
        if k:
            line.append("   ")
        pad = " " * (width - len(cell))
        line.append_text(Text(pad) + cell if k == 0 else cell + Text(pad))
    return line + Text(" ")


def render(sets: list[PuzzleSet], console: Console, report: Report | None = None) -> None:
    """Print each set's table; with a report, each puzzle's status and the progress line."""
    for k, pset in enumerate(sets):
        if k:
            console.print()
        console.print(set_table(pset, report), soft_wrap=True)  # laid out to fit already
        if report is None:
            lines = [
                f"Answers: {ANSWER_FORMS[pset.form].names} (any form works). "
                "Grade: adgrader check FILE"
            ]
            if aliases(pset):
                lines.append(f"Notebook names: {aliases(pset)}")
            console.print(Text("\n".join(lines), style="dim"))
    if report is not None:
        from .text import progress

        console.print(progress(report, verb="solved"))
