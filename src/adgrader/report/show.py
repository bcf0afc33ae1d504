"""The `show` view: one puzzle, its formula readable in a terminal, and both starters."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.markdown import Markdown
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..spec import Puzzle, PuzzleSet, form_order, shape_text
from ..spec.formula import plain_math
from ..spec.starters import STARTERS


def facts(puzzle: Puzzle, pset: PuzzleSet) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    for inp in puzzle.inputs:
        table.add_row(
            f"input {inp.name}",
            shape_text(inp.dims, inp.shape)
            + f", sampled in [{inp.bounds[0]:g}, {inp.bounds[1]:g})",
        )
    table.add_row("output", shape_text(puzzle.output_dims, puzzle.out_shape))
    if pset.form == "backward":
        out = shape_text(puzzle.output_dims, puzzle.out_shape)
        table.add_row("g (d_out)", f"{out}, the output's shape; each gradient has its input's")
    for inp in puzzle.inputs:
        table.add_row(
            f"d/d{inp.name}", shape_text(puzzle.jac_dims(inp.name), puzzle.jac_shape(inp.name))
        )
    givens = [f"{k} = {v}" for k, v in puzzle.dims.items()]
    givens += [f"{k} = {v}" for k, v in puzzle.givens.items()]
    if givens:
        table.add_row("givens", "\n".join(givens))
    table.add_row("f", puzzle.f)
    rules = [f"{r.name} ({r.severity})" for r in pset.rules if r.severity != "off"]
    if rules:
        table.add_row("rules", ", ".join(rules))
    names = puzzle.answer_names()
    shown = [
        f"class {n}" if n == puzzle.backward_class else n
        for form in form_order(pset.form)
        for n in names[form]
    ]
    table.add_row("answer with", " or ".join(shown))
    if puzzle.hints:
        table.add_row("hints", f"{len(puzzle.hints)}: adgrader hint {puzzle.id}")
    return table


def shown_forms(pset: PuzzleSet) -> tuple[str, ...]:
    """The starters to show: both Jacobian forms, or for a backward set its own and jac."""
    return ("backward", "jac") if pset.form == "backward" else ("jac", "dx")


def render(puzzle: Puzzle, pset: PuzzleSet, console: Console) -> None:
    parts: list[RenderableType] = [
        Text(f"{puzzle.number}. {puzzle.title} ({puzzle.id}) · set {pset.id}", style="bold"),
        Markdown(plain_math(puzzle.statement)),
        Text(""),
        facts(puzzle, pset),
    ]
    console.print(Group(*parts))
    for form in shown_forms(pset):
        title, code = f"{form} form", STARTERS[form](puzzle)
        console.print(
            Panel(
                Syntax(
                    code, "python", theme="ansi_dark", background_color="default", word_wrap=True
                ),
                title=title,
                title_align="left",
                expand=False,
            )
        )
