"""Commands for puzzle authors: `validate`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import spec
from .base import EXIT_USAGE, main, puzzles_option, screen


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

    from ..spec.validate import validate as run_validation

    target = Path(folder) if folder else spec.puzzles_dir(puzzles_dir)
    found = run_validation(target)
    console = screen()
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
