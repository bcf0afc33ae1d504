"""The command group, the options commands share, and the one place where the core's
errors become messages and exit codes.

Exit codes: 0 every selected puzzle passed; 1 any did not (including a submission that
cannot be loaded); 2 a usage, isolation or puzzle-spec error.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from .. import __version__
from ..errors import AdgraderError, SpecError, UsageError
from ..options import DEFAULT_POINTS, DEFAULT_TIMEOUT

F = TypeVar("F", bound=Callable[..., Any])

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_STOPPED = 130  # Ctrl-C, as shells report it (SIGTERM leaves with 143, see __main__)


class Group(click.Group):
    """Turns the core's errors into one-line messages and exit code 2, and Ctrl-C into
    130 (click's own 1 would read as "some puzzles failed"), in one place."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            sys.exit(EXIT_STOPPED)
        except SpecError as exc:
            lines = [f"error: invalid puzzle folder ({len(exc.problems)} problem(s)):"]
            lines += [f"  {p}" for p in exc.problems]
            fail("\n".join(lines))
        except AdgraderError as exc:
            fail(f"error: {exc}")


def fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_USAGE)


def finish(passed: bool) -> NoReturn:
    sys.exit(EXIT_PASSED if passed else EXIT_FAILED)


@click.group(
    cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 88}
)
@click.version_option(__version__, prog_name="adgrader")
def main() -> None:
    """Grade Autodiff Puzzles answers against jax: every entry of every Jacobian.

    \b
    Start here:
      adgrader list                         the sets and their puzzles
      adgrader init answers.py              a starter file, every puzzle stubbed
      adgrader check answers.py             grade every answer in a file or notebook
      adgrader check answers.py -p relu     grade one puzzle
      adgrader watch answers.py             grade again on every save
      adgrader show relu / hint relu        a puzzle's statement, then hints

    \b
    Answer forms (every set takes every form): FORMS

    \b
    For a class or a model's replies: adgrader grade DIR, adgrader grade --jsonl FILE.
    """


def _forms_help() -> str:
    """The answer forms, one line each, from the one table of them."""
    from ..spec.model import ANSWER_FORMS

    return "".join(f"\n      {f.names:23} {f.gives:39} {f.where}" for f in ANSWER_FORMS.values())


assert main.help is not None
main.help = main.help.replace(" FORMS", _forms_help())


def set_option(fn: F) -> F:
    return click.option(
        "--set",
        "set_name",
        metavar="SET",
        help="Puzzle set: jax (2024 notebook), classic (2022 notebook), scalar or tensor "
        "(backward passes). Default: the submission's `# adgrader: set=NAME` line, else "
        "the set its answers fit, else jax.",
    )(fn)


def puzzles_option(fn: F) -> F:
    return click.option(
        "--puzzles",
        "puzzles_dir",
        metavar="DIR",
        envvar="ADGRADER_PUZZLES",
        help="Load puzzle sets from DIR (a set folder, or a folder of them) instead of the "
        "built-in ones. Env: ADGRADER_PUZZLES.",
    )(fn)


seed_option = click.option(
    "--seed", type=int, help="Seed for the sample points (default 0, or $ADGRADER_SEED)."
)
points_option = click.option(
    "--points",
    "-k",
    type=click.IntRange(min=1),
    default=DEFAULT_POINTS,
    show_default=True,
    help="Seeded points per puzzle, spread over each input's bounds.",
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
isolation_option = click.option(
    "--require-isolation",
    is_flag=True,
    envvar="ADGRADER_REQUIRE_ISOLATION",
    help="Refuse to grade (exit 2) unless the kernel jails the answers (Linux: Landlock "
    "and seccomp). Env: ADGRADER_REQUIRE_ISOLATION=1.",
)


def screen(file: Any = None, width: int | None = None) -> Any:
    from rich.console import Console

    return Console(file=file, width=width, highlight=False, soft_wrap=False)


def submission_set(
    submission: str, set_name: str | None, puzzles_dir: str | None
) -> tuple[Any, Any, str]:
    """The submission read (never run), the set to grade it against, and why that set:
    --set, else its `# adgrader: set=NAME` line, else the set its answers fit."""
    from ..grading.stages import choose_set
    from ..submission import read_submission

    sub = read_submission(submission)
    pset, why = choose_set(sub, set_name, puzzles_dir)
    return sub, pset, why


def puzzle_set(puzzle_id: str, set_name: str | None, puzzles_dir: str | None) -> Any:
    """The set of puzzle `puzzle_id`: --set, else the default set if it has one by that
    id, else the one other set that has it (said on stderr)."""
    from .. import spec

    if set_name is not None:
        return spec.load_set(set_name, puzzles_dir)
    sets = [spec.load_set(n, puzzles_dir) for n in spec.available_sets(puzzles_dir)]
    having = [s for s in sets if any(p.id == puzzle_id for p in s.puzzles)]
    if not having:
        raise UsageError(f"no puzzle {puzzle_id!r} in any set; `adgrader list` shows them all")
    if having[0] is not sets[0]:
        click.secho(f"{puzzle_id} is in set {having[0].id}", err=True, dim=True)
    return having[0]


def write_atomically(path: Path, text: str) -> None:
    """Write the whole report or nothing; a file that cannot be written is a usage error."""
    from ..files import write_atomically as write

    try:
        write(path, text)
    except OSError as exc:
        raise UsageError(f"cannot write {str(path)!r}: {exc.strerror}") from None


def warn_unjailed() -> None:
    """Say on stderr, once, when this machine cannot jail answer processes."""
    from ..answers.jail import supported

    found = supported()
    if found.level != "kernel":
        click.secho(
            f"warning: answers will not be jailed by the kernel here ({found.detail}); "
            "they run with Python guards only (see README, Trust model). "
            "--require-isolation makes this an error.",
            fg="yellow",
            err=True,
        )


def grading_options(
    seed: int | None,
    points: int,
    strict: bool,
    puzzle_ids: tuple[str, ...],
    timeout: float,
    require_isolation: bool,
) -> Any:
    """The core's options from the command line's."""
    from ..options import Limits, Options

    return Options(
        seed=seed,
        points=points,
        strict=strict,
        puzzles=puzzle_ids,
        limits=Limits(timeout=timeout),
        require_isolation=require_isolation,
    )


def progress_bar(console: Any) -> Any:
    """The progress bar of long commands: what, a bar, how many of how many, how long."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    columns = (
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    return Progress(*columns, console=console, transient=False)
