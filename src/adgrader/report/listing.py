"""The `list` view: a set's puzzles with their shapes and answer names, and progress."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..result import Report
from ..spec import ANSWER_FORMS, Input, Puzzle, PuzzleSet
from .text import progress, status_text


def dims_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape) or "()"


def shapes(puzzle: Puzzle) -> str:
    """`x 4×4, y 4 → 16`: input and output shapes at a glance (`()` for one number)."""

    def one(inp: Input) -> str:
        return f"{inp.name} {dims_text(inp.shape)}"

    return ", ".join(one(i) for i in puzzle.inputs) + f" → {dims_text(puzzle.out_shape)}"


def aliases(pset: PuzzleSet) -> str:
    return ", ".join(a for p in pset.puzzles for a in p.aliases)


def set_table(pset: PuzzleSet, report: Report | None = None) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title=Text(f"{pset.id} · {pset.title}", style="bold"),
        title_justify="left",
    )
    table.add_column("#", justify="right", style="dim")
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("shapes", no_wrap=True)
    if report is None:
        for p in pset.puzzles:
            table.add_row(str(p.number), p.id, p.title, shapes(p))
        return table
    table.add_column("status", no_wrap=True)
    verdicts = {p.id: p for p in report.puzzles}
    for p in pset.puzzles:
        table.add_row(str(p.number), p.id, p.title, shapes(p), status_text(verdicts[p.id].status))
    return table


def render(sets: list[PuzzleSet], console: Console, report: Report | None = None) -> None:
    """Print each set's table; with a report, each puzzle's status and the progress line."""
    for k, pset in enumerate(sets):
        if k:
            console.print()
        console.print(set_table(pset, report))
        if report is None:
            lines = [
                f"Answers: {ANSWER_FORMS[pset.form].names} (any form works). "
                "Grade: adgrader check FILE"
            ]
            if aliases(pset):
                lines.append(f"Notebook names: {aliases(pset)}")
            console.print(Text("\n".join(lines), style="dim"))
    if report is not None:
        console.print(progress(report, verb="solved"))
