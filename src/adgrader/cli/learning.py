"""Commands for learning: `list`, `show`, `init`, `hint` and `watch`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .. import spec
from ..errors import UsageError
from ..options import Limits, Options
from .base import (
    finish,
    main,
    puzzle_set,
    puzzles_option,
    screen,
    seed_option,
    set_option,
    submission_set,
    timeout_option,
    write_atomically,
)


@main.command("list")
@click.argument("submission", required=False, metavar="[SUBMISSION]")
@set_option
@puzzles_option
@seed_option
def list_cmd(
    submission: str | None, set_name: str | None, puzzles_dir: str | None, seed: int | None
) -> None:
    """List the puzzles of each set, or, given a SUBMISSION, each puzzle's status.

    \b
    Examples:
      adgrader list                  every set
      adgrader list --set classic    one set
      adgrader list answers.py       what is solved so far
    """
    from ..report import listing

    console = screen()
    if submission is None:
        names = [set_name] if set_name else spec.available_sets(puzzles_dir)
        listing.render([spec.load_set(n, puzzles_dir) for n in names], console)
        return
    from ..grading.stages import grade_submission

    sub, pset, why = submission_set(submission, set_name, puzzles_dir)
    report = grade_submission(sub, pset, Options(seed=seed), set_note=why)
    listing.render([pset], console, report)
    finish(report.all_passed)


@main.command()
@click.argument("puzzle_id", metavar="ID")
@set_option
@puzzles_option
def show(puzzle_id: str, set_name: str | None, puzzles_dir: str | None) -> None:
    """Show one puzzle: its statement, shapes, givens, rules and starter code.

    \b
    Examples:
      adgrader show relu
      adgrader show conv2d --set classic
    """
    from ..report import show as view

    pset = puzzle_set(puzzle_id, set_name, puzzles_dir)
    view.render(pset.get(puzzle_id), pset, screen())


@main.command()
@click.argument("file", metavar="FILE")
@set_option
@click.option(
    "--form",
    type=click.Choice(("jac", "dx", "backward")),
    help="Answer form of the stubs. Default: the set's (jax: jac, classic: dx, "
    "scalar and tensor: backward).",
)
@click.option("--force", is_flag=True, help="Overwrite FILE if it exists.")
@puzzles_option
def init(
    file: str, set_name: str | None, form: str | None, force: bool, puzzles_dir: str | None
) -> None:
    """Write a starter submission: every puzzle of the set stubbed, as the notebook does.

    Each stub runs and returns zeros of the right shape (a Jacobian, or a backward's
    gradients), so the first check fails and shows the entries to fill in; each
    carries its statement as a comment. FILE is never overwritten without --force.

    \b
    Examples:
      adgrader init answers.py
      adgrader init answers.py --set classic --form jac
      adgrader init backward.py --set scalar
    """
    from ..spec.starters import starter_file

    pset = spec.load_set(set_name, puzzles_dir)
    target = Path(file)
    if target.exists() and not force:
        raise UsageError(f"{file!r} exists; use --force to overwrite it")
    if target.suffix != ".py":
        raise UsageError(f"{file!r}: a submission is a .py file")
    write_atomically(target, starter_file(pset, form or pset.form))
    click.echo(
        f"wrote {file}: {len(pset.puzzles)} puzzles of set {pset.id}, {form or pset.form} "
        f"form. Next: adgrader check {file}"
    )


@main.command()
@click.argument("puzzle_id", metavar="ID")
@set_option
@click.option(
    "--file",
    "submission",
    metavar="SUBMISSION",
    help="Keep the count of hints shown beside this file (default: this folder).",
)
@click.option("--reset", is_flag=True, help="Forget the hints shown for ID.")
@puzzles_option
def hint(
    puzzle_id: str,
    set_name: str | None,
    submission: str | None,
    reset: bool,
    puzzles_dir: str | None,
) -> None:
    """Reveal the next hint for puzzle ID (and the ones shown before).

    How many hints were shown is kept per puzzle in .adgrader-hints.json next to
    the submission, so each call goes one step further.
    """
    from rich.markdown import Markdown

    from .. import hints
    from ..spec.formula import plain_math

    if submission is not None and set_name is None:
        set_name = submission_set(submission, None, puzzles_dir)[1].id
    pset = puzzle_set(puzzle_id, set_name, puzzles_dir)
    puzzle = pset.get(puzzle_id)
    folder = Path(submission).resolve().parent if submission else Path.cwd()
    if reset:
        hints.reset(puzzle, pset.id, folder)
        click.echo(f"hints for {puzzle.id} reset")
        return
    shown, total = hints.reveal(puzzle, pset.id, folder)
    console = screen()
    if not total:
        console.print(f"{puzzle.id} has no hints; try: adgrader show {puzzle.id}")
        return
    for number, text in enumerate(shown, start=1):
        console.print(Markdown(f"**Hint {number}/{total}.** {plain_math(text)}"))
    if len(shown) < total:
        console.print(f"[dim]Run again for hint {len(shown) + 1}.[/dim]")
    else:
        console.print("[dim]That was the last hint.[/dim]")


@main.command()
@click.argument("submission", metavar="SUBMISSION")
@set_option
@seed_option
@timeout_option
@puzzles_option
def watch(
    submission: str, set_name: str | None, seed: int | None, timeout: float, puzzles_dir: str | None
) -> None:
    """Grade SUBMISSION, then again every time it is saved, on one screen.

    The screen shows how many puzzles are solved, the summary, and the details of
    the first unsolved puzzle. A syntax error while you edit is shown, and watching
    goes on. Ctrl-C stops.
    """
    from rich.text import Text

    from ..grading.watch import watch as run_watch
    from ..report import text

    if not Path(submission).is_file():
        raise UsageError(f"no such file: {submission!r}")
    pset = submission_set(submission, set_name, puzzles_dir)[1]
    console = screen()

    def show(report: Any) -> None:
        console.clear()
        text.render_focus(report, console, pset)
        console.print(
            Text(f"watching {submission}: save to grade again, Ctrl-C to stop", style="dim")
        )

    def missing(message: str) -> None:
        console.print(Text(f"{message}; waiting for the file to come back", style="yellow"))

    def busy() -> Any:
        return console.status(f"grading {submission}…", spinner="dots")

    try:
        options = Options(seed=seed, limits=Limits(timeout=timeout))
        run_watch(
            Path(submission),
            pset,
            show,
            missing,
            options,
            busy=busy,
            reload=lambda: spec.load_set(pset.id, puzzles_dir),
        )
    except KeyboardInterrupt:
        console.print(Text("stopped watching", style="dim"))
