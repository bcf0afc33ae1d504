"""The command line: parse, call the core, render. Errors become messages and exit codes here.

Exit codes: 0 every selected puzzle passed; 1 any did not (including a submission that
cannot be loaded); 2 a usage or puzzle-spec error.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from . import __version__, spec
from .errors import AdgraderError, SpecError, UsageError
from .options import DEFAULT_POINTS, DEFAULT_TIMEOUT, Limits, Options
from .report import FORMATS

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class Group(click.Group):
    """Turns the core's errors into one-line messages and exit code 2, in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SpecError as exc:
            lines = [f"error: invalid puzzle folder ({len(exc.problems)} problem(s)):"]
            lines += [f"  {p}" for p in exc.problems]
            fail("\n".join(lines))
        except UsageError as exc:
            fail(f"error: {exc}")
        except AdgraderError as exc:
            fail(f"error: {exc}")


def write_atomically(path: Path, text: str) -> None:
    """Write the whole report or nothing: a temporary file renamed over the target."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise UsageError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def append_step_summary(report: Any, pset: Any) -> None:
    """Add the Markdown summary to the GitHub Actions job page, when running there."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from .report import github

    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(github.summary(report, pset) + "\n")
    except OSError as exc:
        click.echo(f"warning: cannot append to $GITHUB_STEP_SUMMARY: {exc.strerror}", err=True)


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_USAGE)


def puzzles_option(fn: F) -> F:
    return click.option(
        "--puzzles",
        "puzzles_dir",
        metavar="DIR",
        envvar="ADGRADER_PUZZLES",
        help="Load puzzle sets from DIR (a set folder, or a folder of them) instead of the "
        "built-in ones. Env: ADGRADER_PUZZLES.",
    )(fn)


def set_option(fn: F) -> F:
    return click.option(
        "--set",
        "set_name",
        metavar="SET",
        help="Puzzle set: jax (2024 notebook) or classic (2022 notebook). Default: the "
        "submission's `# adgrader: set=NAME` line, else jax.",
    )(fn)


@click.group(
    cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 88}
)
@click.version_option(__version__, prog_name="adgrader")
def main() -> None:
    """Grade Autodiff Puzzles answers against jax.jacfwd.

    \b
    Start here:
      adgrader list                         the puzzles of each set
      adgrader check submission.py          grade every answer in a file
      adgrader check submission.py -p relu  grade one puzzle

    An answer is a function `jac_<id>(x)` returning the whole Jacobian, or
    `fb_<id>(x)` returning `(f, dx)` where `dx = lambda i, o: ...` gives one entry.
    """


seed_option = click.option(
    "--seed", type=int, help="Seed for the sample points (default 0, or $ADGRADER_SEED)."
)
points_option = click.option(
    "--points",
    "-k",
    type=click.IntRange(min=1),
    default=DEFAULT_POINTS,
    show_default=True,
    help="Random points per puzzle.",
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    metavar="SECONDS",
    help="Wall-clock limit for each answer.",
)
puzzle_option = click.option(
    "-p",
    "--puzzle",
    "puzzle_ids",
    multiple=True,
    metavar="ID",
    help="Grade only this puzzle (repeat for more).",
)
strict_option = click.option(
    "--strict", is_flag=True, help="Treat every rule as an error: a warning becomes a violation."
)


def _resolve_set(set_name: str | None, submission: str | None) -> str | None:
    if set_name or not submission:
        return set_name
    from .submission import declared_set

    return declared_set(submission)


def _console(file: Any = None, width: int | None = None) -> Any:
    from rich.console import Console

    return Console(file=file, width=width, highlight=False, soft_wrap=False)


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
    from .report import listing

    console = _console()
    name = _resolve_set(set_name, submission)
    if submission is None:
        names = [name] if name else spec.available_sets(puzzles_dir)
        listing.render([spec.load_set(n, puzzles_dir) for n in names], console)
        return
    from .grading.stages import check_against

    pset = spec.load_set(name, puzzles_dir)
    report = check_against(submission, pset, Options(seed=seed))
    listing.render([pset], console, report)
    sys.exit(EXIT_PASSED if report.all_passed else EXIT_FAILED)


@main.command()
@click.argument("submission", metavar="SUBMISSION")
@set_option
@puzzle_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    metavar="FORMAT",
    default="text",
    show_default=True,
    help="text (for people), json, junit, gradescope (for machines: to stdout, or to -o "
    "FILE with the text report on the terminal), or github (annotations beside the text "
    "report, and a summary in $GITHUB_STEP_SUMMARY).",
)
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Write the report in --format to FILE; the terminal still shows the text report.",
)
@seed_option
@points_option
@timeout_option
@strict_option
@click.option(
    "--plot",
    "plot_dir",
    metavar="DIR",
    help="Write a PNG of each wrong Jacobian (yours | expected | difference) to DIR. "
    "Needs matplotlib: pip install 'adgrader[plot]'.",
)
@puzzles_option
def check(
    submission: str,
    set_name: str | None,
    puzzle_ids: tuple[str, ...],
    fmt: str,
    output: str | None,
    seed: int | None,
    points: int,
    timeout: float,
    strict: bool,
    plot_dir: str | None,
    puzzles_dir: str | None,
) -> None:
    """Grade every answer in SUBMISSION (a .py file or a notebook) against jax.jacfwd.

    Each answer is checked at --points seeded random points: first the exact shape
    (no broadcasting), then every entry, with a tolerance scaled to the Jacobian.
    Wrong entries are listed with their (out, in) indices.

    \b
    Examples:
      adgrader check answers.py
      adgrader check answers.py -p relu -p sort
      adgrader check answers.py --set classic --format json -o report.json

    \b
    Exit status: 0 every puzzle passed, 1 some did not (or the file cannot be
    loaded), 2 a usage or puzzle-file error.
    """
    from .grading.stages import check_against

    pset = spec.load_set(_resolve_set(set_name, submission), puzzles_dir)
    if output and not Path(output).resolve().parent.is_dir():
        raise UsageError(f"cannot write {output!r}: its folder does not exist")
    options = Options(
        seed=seed, points=points, strict=strict, puzzles=puzzle_ids, limits=Limits(timeout=timeout)
    )
    report = check_against(submission, pset, options)
    from . import report as views
    from .report import text

    if fmt == "text":
        if output:
            buffer = io.StringIO()
            text.render(report, _console(file=buffer, width=100), pset)
            write_atomically(Path(output), buffer.getvalue())
        text.render(report, _console(), pset)
    else:
        rendered = views.render(fmt, report, pset)
        if output:
            write_atomically(Path(output), rendered)
        if not output or fmt == "github":
            if fmt == "github":  # annotations go beside the human report in the job log
                text.render(report, _console(), pset)
            click.echo(rendered, nl=False)
        else:
            text.render(report, _console(), pset)
        if fmt == "github":
            append_step_summary(report, pset)
    if plot_dir:
        from .report.png import write_pngs

        pictures = write_pngs(report, pset, Path(plot_dir))
        click.echo(f"wrote {len(pictures)} picture(s) to {plot_dir}", err=True)
    sys.exit(EXIT_PASSED if report.all_passed else EXIT_FAILED)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@set_option
@puzzle_option
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Submissions graded at once. Default: one per core.",
)
@click.option(
    "--out",
    "out_dir",
    default="adgrader-grades",
    show_default=True,
    metavar="DIR",
    help="Folder for reports/<submission>.json and grades.csv.",
)
@seed_option
@points_option
@timeout_option
@strict_option
@puzzles_option
def grade(
    paths: tuple[str, ...],
    set_name: str | None,
    puzzle_ids: tuple[str, ...],
    jobs: int | None,
    out_dir: str,
    seed: int | None,
    points: int,
    timeout: float,
    strict: bool,
    puzzles_dir: str | None,
) -> None:
    """Grade every .py and .ipynb file under PATH... (a class), each in isolation, in parallel.

    Writes one JSON report per submission to DIR/reports/ and a gradebook,
    DIR/grades.csv (submission, score, max_score, one status column per puzzle),
    then shows each puzzle's pass rate across the class. A broken, hanging or
    hostile submission is graded like any other and never stops the batch.

    \b
    Examples:
      adgrader grade submissions/ --set jax --out grades
      adgrader grade class/*/answers.py --jobs 4

    \b
    Exit status: 0 every puzzle of every submission passed, 1 some did not,
    2 a usage or puzzle-file error.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .grading.batch import find_submissions, grade_many, write_outputs
    from .report import classview
    from .report import json as json_report

    files = find_submissions(paths)
    if not files:
        raise UsageError(f"no .py or .ipynb files under {', '.join(paths)}")
    pset = spec.load_set(set_name, puzzles_dir)
    pset.select(puzzle_ids)  # an unknown id is a usage error before any work
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out_dir!r} is a file; give a folder")
    console = _console()
    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"grading ({pset.id})", total=len(files))
        options = Options(
            seed=seed,
            points=points,
            strict=strict,
            puzzles=puzzle_ids,
            limits=Limits(timeout=timeout),
        )
        batch = grade_many(
            files, pset, options, jobs=jobs, on_report=lambda _: progress.advance(task)
        )
    root = Path(os.path.commonpath([f.resolve().parent for f in files]))
    written = list(write_outputs(batch, out, root, json_report.render))
    classview.render(batch, console, f"reports in {out / 'reports'}, grades in {written[-1]}")
    every = all(r.all_passed for r in batch.reports)
    sys.exit(EXIT_PASSED if every else EXIT_FAILED)


@main.command()
@click.argument("folder", required=False, metavar="[DIR]")
@puzzles_option
def validate(folder: str | None, puzzles_dir: str | None) -> None:
    """Check a puzzle folder (a set, or a folder of sets) and report every problem.

    Beyond the YAML schema: givens evaluate, f traces at the declared input shapes
    to the declared output shape, jacfwd agrees with central finite differences at
    sampled points and at every probe (bounds on a kink fail), each index form
    matches f, and the starter of each answer form runs. DIR defaults to --puzzles,
    $ADGRADER_PUZZLES, or the built-in sets.

    \b
    Exit status: 0 the folder is valid, 2 it has problems (each listed with its
    file and line).
    """
    from rich.text import Text

    from .spec.validate import validate as run_validation

    target = Path(folder) if folder else spec.puzzles_dir(puzzles_dir)
    found = run_validation(target)
    console = _console()
    for pset in found.sets:
        bad = {Path(p.file).stem for p in found.problems if Path(p.file).parent == Path(pset.path)}
        mark = Text("✓ ", style="green") if not bad else Text("✗ ", style="red")
        console.print(
            mark
            + Text(
                f"{pset.id}: {len(pset.puzzles)} puzzles, "
                f"{len(pset.puzzles) - len(bad - {'set'})} without problems"
            )
        )
    for problem in found.problems:
        console.print(Text(f"  {problem}", style="red"), soft_wrap=True)
    if found.problems:
        console.print(Text(f"{len(found.problems)} problem(s) in {target}", style="bold red"))
        sys.exit(EXIT_USAGE)
    console.print(Text(f"{target} is valid", style="bold green"))


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
    from .report import show as view

    pset = spec.load_set(set_name, puzzles_dir)
    view.render(pset.get(puzzle_id), pset, _console())


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
    from .spec.starters import starter_file

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

    from . import hints
    from .spec.formula import plain_math

    pset = spec.load_set(_resolve_set(set_name, submission), puzzles_dir)
    puzzle = pset.get(puzzle_id)
    folder = Path(submission).resolve().parent if submission else Path.cwd()
    if reset:
        hints.reset(puzzle, pset.id, folder)
        click.echo(f"hints for {puzzle.id} reset")
        return
    shown, total = hints.reveal(puzzle, pset.id, folder)
    console = _console()
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

    from .grading.watch import watch as run_watch
    from .report import text

    if not Path(submission).is_file():
        raise UsageError(f"no such file: {submission!r}")
    pset = spec.load_set(_resolve_set(set_name, submission), puzzles_dir)
    console = _console()

    def show(report: Any) -> None:
        console.clear()
        text.render_focus(report, console, pset)
        console.print(
            Text(f"watching {submission}: save to grade again, Ctrl-C to stop", style="dim")
        )

    def missing(message: str) -> None:
        console.print(Text(f"{message}; waiting for the file to come back", style="yellow"))

    try:
        options = Options(seed=seed, limits=Limits(timeout=timeout))
        run_watch(Path(submission), pset, show, missing, options)
    except KeyboardInterrupt:
        console.print(Text("stopped watching", style="dim"))
