"""The `list` view: a set's puzzles with their shapes and answer names, and progress."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..puzzles import Input, Puzzle, PuzzleSet
from ..result import Report
from .text import progress_line, status_text


def dims_text(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def shapes(puzzle: Puzzle) -> str:
    """`x 4×4, y 4 → 16`: input and output shapes at a glance."""
    def one(inp: Input) -> str:
        return f"{inp.name} {dims_text(inp.shape)}"

    return ", ".join(one(i) for i in puzzle.inputs) + f" → {dims_text(puzzle.out_shape)}"


def answers(puzzle: Puzzle) -> str:
    names = puzzle.answer_names()
    return " · ".join([*names["jac"], *names["dx"]])


def set_table(pset: PuzzleSet, report: Report | None = None) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False,
                  title=Text(f"{pset.id} · {pset.title}", style="bold"), title_justify="left")
    table.add_column("#", justify="right", style="dim")
    table.add_column("id", style="bold", no_wrap=True)
    table.add_column("title")
    table.add_column("shapes", no_wrap=True)
    if report is None:
        table.add_column("answer with", style="dim")
    else:
        table.add_column("status", no_wrap=True)
    verdicts = {p.id: p for p in report.puzzles} if report else {}
    for p in pset.puzzles:
        last = answers(p) if report is None else status_text(verdicts[p.id].status)
        table.add_row(str(p.number), p.id, p.title, shapes(p), last)
    return table


def render(sets: list[PuzzleSet], console: Console, report: Report | None = None) -> None:
    """Print each set's table; with a report, each puzzle's status and the progress line."""
    for k, pset in enumerate(sets):
        if k:
            console.print()
        console.print(set_table(pset, report))
        if report is None:
            console.print(Text(
                f"{len(pset.puzzles)} puzzles · answers are {pset.form} form by default · "
                f"grade with: adgrader check FILE --set {pset.id}", style="dim"))
    if report is not None:
        console.print(progress_line(report, verb="solved"))
