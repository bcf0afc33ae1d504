"""The terminal report (rich): a summary table, then the wrong entries of each failing puzzle."""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from ..result import VERDICTS, PuzzleResult, Report, Status, where
from ..spec import PuzzleSet
from .common import (
    finding_line,
    isolation_warning,
    mismatch_grid,
    others_text,
    progress_head,
    puzzle_of,
    score_text,
)


def status_text(status: Status) -> Text:
    verdict = VERDICTS[status]
    return Text(verdict.label, style=verdict.style)


def summary(report: Report, unsolved_only: bool = False) -> Table:
    """One row per puzzle (or per puzzle not yet passed): number, id, form, status, why."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("puzzle", no_wrap=True)
    table.add_column("form", style="dim")
    table.add_column("status", no_wrap=True)
    table.add_column("details", overflow="fold")
    for number_, p in enumerate(report.puzzles, start=1):
        if unsolved_only and p.passed and not p.warnings:
            continue
        title = Text(p.id, style="bold")
        table.add_row(str(number_), title, p.form or "", status_text(p.status), short_reason(p))
    return table


def short_reason(p: PuzzleResult) -> str:
    if p.status == "passed":
        n = len(p.warnings)
        return f"{n} warning{'s' if n > 1 else ''}" if n else ""
    text = p.message.splitlines()[0] if p.message else ""
    return text if len(text) <= 60 else text[:57] + "..."


def mismatch_table(p: PuzzleResult, pset: PuzzleSet | None) -> Table:
    """The wrong entries: which input (when there are two), indices, yours, expected."""
    puzzle = puzzle_of(p, pset)
    two_inputs = (puzzle is not None and len(puzzle.inputs) > 1) or len(
        {m.wrt for m in p.mismatches}
    ) > 1
    header, rows = mismatch_grid(p, pset, wrt=two_inputs)
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for head in header:
        style = {"yours": "red", "expected": "green"}.get(head)
        left = head in ("wrt", "gradient")
        table.add_column(head, justify="left" if left else "right", style=style)
    for row in rows:
        table.add_row(*row)
    return table


def details(p: PuzzleResult, pset: PuzzleSet | None) -> RenderableType:
    head = Text()
    head.append(f"{p.id}", style="bold")
    head.append(f" · {p.title}")
    if where(p.line, p.cell):
        head.append(f" · {where(p.line, p.cell)}", style="dim")
    if p.message:
        head.append("\n")
        head.append(p.message, style=VERDICTS[p.status].style)
    if p.diagnosis:
        head.append("\nLooks like: ", style="bold cyan")
        head.append(p.diagnosis, style="cyan")
    parts: list[RenderableType] = [head]
    if p.mismatches:
        parts.append(mismatch_table(p, pset))
        rest = p.mismatch_total - len(p.mismatches)
        if rest > 0:
            parts.append(Text(f"+{rest} more wrong entries", style="dim"))
    for finding in [*p.violations, *p.warnings]:
        style = "magenta" if finding.severity == "error" else "yellow"
        parts.append(Text(finding_line(finding), style=style))
    return Group(*parts)


def progress_line(report: Report, verb: str = "passed") -> Text:
    """`12/20 passed · score 12/20 · 3 failed, 5 missing`, styled."""
    text = Text()
    text.append(progress_head(report, verb), style="bold green" if report.all_passed else "bold")
    text.append(f" · {score_text(report)}")
    if others_text(report):
        text.append(f" · {others_text(report)}", style="dim")
    return text


def header(report: Report) -> Text:
    text = Text()
    text.append("adgrader ", style="bold")
    text.append(report.submission)
    text.append(
        f"\nset {report.set} · seed {report.seed} · "
        f"{report.points} point{'s' if report.points != 1 else ''} · "
        f"isolation {report.isolation}",
        style="dim",
    )
    if report.set_note:
        text.append(f"\nset {report.set}: {report.set_note}", style="dim")
    warning = isolation_warning(report)
    if warning:
        text.append(f"\nwarning: {warning}", style="yellow")
    for note in report.notes:
        text.append(f"\nnote: {note}", style="yellow")
    return text


def problem(report: Report) -> Text:
    """Why nothing could be graded, said once: the summary, the line and a caret, what
    to do."""
    first, _, rest = report.problem.partition("\n")
    text = Text(first, style="bold red")
    if rest:
        text.append("\n" + rest)
    return text


def progress(report: Report, verb: str = "passed") -> Table:
    """A bar of the puzzles passed, then `12/20 passed · score ... · 3 failed`."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    bar = ProgressBar(
        total=max(len(report.puzzles), 1),
        completed=report.passed,
        width=24,
        complete_style="green",
        finished_style="bold green",
    )
    grid.add_row(bar, progress_line(report, verb))
    return grid


def show_heatmaps(console: Console) -> bool:
    """Pictures of the Jacobians go to a colour terminal only (never into files or CI logs)."""
    return console.is_terminal and console.color_system is not None


def render(report: Report, console: Console, pset: PuzzleSet | None = None) -> None:
    """Print the whole report: header, summary table, details of each failing puzzle, totals.

    In a colour terminal, a failing puzzle's Jacobians are also drawn as heatmaps when
    they fit the screen.
    """
    from .heatmap import render_heatmaps

    console.print(header(report))
    if report.problem:
        console.print(problem(report))
        console.print(progress(report))
        return
    console.print(summary(report))
    for p in report.puzzles:
        if p.status in ("failed", "error", "timeout", "violation") or p.warnings:
            console.print(details(p, pset))
            if pset is not None and p.arrays and show_heatmaps(console):
                render_heatmaps(p, pset.get(p.id), console)
            console.print()
    console.print(progress(report))
    if report.hint:
        console.print(Text(report.hint, style="yellow"))
    hint = next_step(report)
    if hint:
        console.print(Text(hint, style="dim"))


def render_focus(report: Report, console: Console, pset: PuzzleSet | None = None) -> None:
    """One screen for a learner at work: progress, the summary, then only the first
    unsolved puzzle in full."""
    console.print(header(report))
    console.print(progress(report, "solved"))
    if report.problem:  # the file as a whole cannot run (a syntax error mid-edit)
        console.print(problem(report))
        return
    solved = [p.id for p in report.puzzles if p.passed and not p.warnings]
    if solved:
        console.print(Text("✓ " + "  ".join(solved), style="green"))
    if len(solved) < len(report.puzzles):
        console.print(summary(report, unsolved_only=True))
    first = next((p for p in report.puzzles if not p.passed), None)
    if first is None:
        console.print(Text("Every puzzle solved.", style="bold green"))
        return
    console.print(details(first, pset))
    if pset is not None and first.arrays and show_heatmaps(console):
        from .heatmap import render_heatmaps

        render_heatmaps(first, pset.get(first.id), console)


def next_step(report: Report) -> str:
    """What to do next: the first puzzle to work on (none when nothing can run)."""
    if report.all_passed or report.problem:
        return ""
    first = next(p for p in report.puzzles if not p.passed)
    if report.count("missing") == len(report.puzzles):
        todo = first.message.splitlines()[0].removeprefix("no answer: ")
        return (
            f"No answers found yet. Start with {first.id}: {todo} "
            "(`adgrader init FILE` writes a starter for every puzzle)."
        )
    return f"Next: {first.id} ({first.title}). Re-run with -p {first.id} to check just that one."
