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
    rows: list[list[Cell]] = []
    for p in pset.puzzles:
        cells: list[Cell] = [(str(p.number), "dim"), (p.id, "bold"), (p.title, ""), (shapes(p), "")]
        if report is not None:
            from ..result import VERDICTS

            verdict = VERDICTS[verdicts[p.id].status]
            cells.append((verdict.label, verdict.style))
        rows.append(cells)
    widths = [max(len(h), *(len(r[k][0]) for r in rows)) for k, h in enumerate(head)]
    out = Text()
    out.append(f"{pset.id} · {pset.title}", style="bold")
    out.append("\n\n")
    _line(out, [(h, "bold") for h in head], widths)
    out.append("\n " + "─" * (sum(widths) + 3 * (len(widths) - 1)) + " ")
    for cells in rows:
        out.append("\n")
        _line(out, cells, widths)
    return out


Cell = tuple[str, str]  # text, style


def _line(out: Text, cells: list[Cell], widths: list[int]) -> None:
    """Append one row: the number right-aligned, the rest left, three spaces between
    (plain strings with styles: a Text per cell cost most of `list`'s drawing)."""
    out.append(" ")
    for k, ((text, style), width) in enumerate(zip(cells, widths, strict=True)):
        pad = " " * (width - len(text))
        if k == 0:
            out.append(pad)
            out.append(text, style=style or None)
        else:
            out.append("   ")
            out.append(text, style=style or None)
            out.append(pad)
    out.append(" ")


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
