"""Commands that grade: `check` (one submission), `grade` (a class, or a file of model
replies) and `merge` (the outputs of a graded batch's shards)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import click

from .. import spec
from ..errors import UsageError
from ..options import Options
from ..report import FORMATS
from .base import (
    finish,
    grading_options,
    isolation_option,
    main,
    points_option,
    progress_bar,
    puzzle_option,
    puzzles_option,
    screen,
    seed_option,
    set_option,
    strict_option,
    submission_set,
    timeout_option,
    warn_unjailed,
    write_atomically,
)


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
@isolation_option
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
    require_isolation: bool,
    plot_dir: str | None,
    puzzles_dir: str | None,
) -> None:
    """Grade every answer in SUBMISSION (a .py file or a notebook) against jax.

    Each answer is checked at --points seeded points spread over each input's bounds:
    first the exact shape (no broadcasting), then every entry, with a tolerance scaled
    to the Jacobian. Wrong entries are listed with their (out, in) indices, and what
    the mistake looks like when it looks like a common one.

    \b
    Examples:
      adgrader check answers.py
      adgrader check answers.py -p relu -p sort
      adgrader check notebook.ipynb --set classic --format json -o report.json

    \b
    Exit status: 0 every puzzle passed, 1 some did not (or the file cannot be
    loaded), 2 a usage, isolation or puzzle-file error.
    """
    from ..answers.launch import started_early
    from ..files import regular_file
    from ..grading.stages import grade_submission

    if output and not Path(output).resolve().parent.is_dir():
        raise UsageError(f"cannot write {output!r}: its folder does not exist")
    options = grading_options(seed, points, strict, puzzle_ids, timeout, require_isolation)
    # an answer process loads jax while the file is read here (unless it is no file)
    with started_early(ahead=regular_file(submission)) as launcher:
        sub, pset, why = submission_set(submission, set_name, puzzles_dir)
        report = grade_submission(sub, pset, options, launcher, set_note=why)
    from .. import report as views
    from ..report import text

    if fmt == "text":
        if output:
            buffer = io.StringIO()
            text.render(report, screen(file=buffer, width=100), pset)
            write_atomically(Path(output), buffer.getvalue())
        text.render(report, screen(), pset)
    else:
        rendered = views.render(fmt, report, pset)
        if output:
            write_atomically(Path(output), rendered)
        if not output or fmt == "github":
            if fmt == "github":  # annotations go beside the human report in the job log
                text.render(report, screen(), pset)
            click.echo(rendered, nl=False)
        else:
            text.render(report, screen(), pset)
        if fmt == "github":
            append_step_summary(report, pset)
    if plot_dir:
        from ..report.png import write_pngs

        pictures = write_pngs(report, pset, Path(plot_dir))
        click.echo(f"wrote {len(pictures)} picture(s) to {plot_dir}", err=True)
    finish(report.all_passed)


def append_step_summary(report: Any, pset: Any) -> None:
    """Add the Markdown summary to the GitHub Actions job page, when running there."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    from ..report import github

    try:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(github.summary(report, pset) + "\n")
    except OSError as exc:
        click.echo(f"warning: cannot append to $GITHUB_STEP_SUMMARY: {exc.strerror}", err=True)


@main.command()
@click.argument("paths", nargs=-1, metavar="PATH...")
@set_option
@puzzle_option
@click.option(
    "--jsonl",
    "jsonl_file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Grade model replies instead: FILE has one JSON object per line, "
    '{"id": ..., "puzzle": ..., "set": ..., "reply": ...} (set optional).',
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    metavar="N",
    help="Submissions (or replies) graded at once. Default: one per core.",
)
@click.option(
    "--out",
    "out",
    metavar="PATH",
    help="Where results go: a folder for reports/<submission>.json and grades.csv "
    "(default adgrader-grades), or with --jsonl the results file (default "
    "results.jsonl).",
)
@click.option(
    "--shard",
    metavar="K/N",
    help="Grade only the K-th of N deterministic shares of the submissions (or lines), "
    "so N machines can share a batch; join their outputs with `adgrader merge`.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Keep the rows of --out/grades.csv from an earlier, interrupted run of the same "
    "batch and grade only the submissions it lacks.",
)
@click.option(
    "--reveal",
    is_flag=True,
    help="With --jsonl: put the expected values of wrong entries in the feedback.",
)
@seed_option
@points_option
@timeout_option
@strict_option
@isolation_option
@puzzles_option
def grade(
    paths: tuple[str, ...],
    set_name: str | None,
    puzzle_ids: tuple[str, ...],
    jsonl_file: str | None,
    jobs: int | None,
    out: str | None,
    shard: str | None,
    resume: bool,
    reveal: bool,
    seed: int | None,
    points: int,
    timeout: float,
    strict: bool,
    require_isolation: bool,
    puzzles_dir: str | None,
) -> None:
    """Grade a class: every .py and .ipynb file under PATH..., each in isolation, in
    parallel; or, with --jsonl, a file of model replies.

    A class: each submission is graded against its own `# adgrader: set=NAME` line, or
    --set, or the set its answers fit. Its JSON report goes to OUT/reports/ and its row
    to OUT/grades.csv (submission, set, score, max_score, one status per puzzle) as
    soon as it is graded; at the end, each puzzle's pass rate across the class. A
    broken, hanging or hostile submission is graded like any other and never stops
    the batch.

    Replies: one result line per input line, in order, in OUT (JSON Lines): status,
    reward (1.0 for passed, else 0.0), feedback without the expected values, message.

    \b
    Examples:
      adgrader grade submissions/ --out grades
      adgrader grade class/*/answers.py --jobs 4 --shard 2/8
      adgrader grade --jsonl replies.jsonl --out results.jsonl
      adgrader merge shard-*/grades.csv -o grades.csv

    \b
    Exit status: 0 every puzzle of every submission passed, 1 some did not,
    2 a usage, isolation or puzzle-file error.
    """
    from ..shards import parse_shard

    parts = parse_shard(shard) if shard else None
    if not require_isolation:
        warn_unjailed()
    options = grading_options(seed, points, strict, puzzle_ids, timeout, require_isolation)
    if jsonl_file is not None:
        if paths:
            raise UsageError("give either PATH... (a class) or --jsonl FILE (replies), not both")
        if resume:
            raise UsageError("--resume is for a class's grades.csv, not for --jsonl")
        target = out or "results.jsonl"
        _grade_replies(jsonl_file, target, set_name, puzzles_dir, options, jobs, parts, reveal)
    if not paths:
        raise UsageError("give the submissions to grade (files or folders), or --jsonl FILE")
    target = out or "adgrader-grades"
    _grade_class(paths, target, set_name, puzzles_dir, options, jobs, parts, resume)


def _grade_class(
    paths: tuple[str, ...],
    out_dir: str,
    set_name: str | None,
    puzzles_dir: str | None,
    options: Options,
    jobs: int | None,
    shard: Any,
    resume: bool,
) -> None:
    from ..grading.batch import find_submissions, grade_many
    from ..report import classview
    from ..report import json as json_report
    from ..shards import shard_files

    found = find_submissions(paths)
    if not found:
        raise UsageError(f"no .py or .ipynb files under {', '.join(paths)}")
    root = Path(os.path.commonpath([f.absolute().parent for f in found]))
    files = shard_files(found, shard) if shard is not None else found
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out_dir!r} is a file; give a folder")
    sets: dict[str, spec.PuzzleSet] = {}

    def set_of(path: Path) -> spec.PuzzleSet:
        if set_name is not None or not path.is_file():
            pset = spec.load_set(set_name, puzzles_dir)
        else:  # its own set line, else the set its answers fit
            pset = submission_set(str(path), None, puzzles_dir)[1]
        if pset.id not in sets:
            pset.select(options.puzzles)  # an unknown id is a usage error at once
            sets[pset.id] = pset
        return sets[pset.id]

    out_screen = screen()
    done: list[Path] = []

    def on_report(path: Path, row: Any) -> None:
        done.append(path)
        progress.advance(task)

    with progress_bar(out_screen) as progress:
        task = progress.add_task("grading", total=len(files))
        try:
            batch = grade_many(
                files,
                set_of,
                options,
                out,
                json_report.render,
                root=root,
                jobs=jobs,
                resume=resume,
                on_report=on_report,
            )
        except (KeyboardInterrupt, SystemExit):  # Ctrl-C, or a CI job cancelled
            if done:
                click.echo(
                    f"stopped: {len(done)} of {len(files)} submissions graded, their rows in "
                    f"{out / 'grades.csv'}; the same command with --resume grades the rest",
                    err=True,
                )
            else:
                click.echo("stopped before any submission was graded", err=True)
            raise
    where = f"reports in {out / 'reports'}, grades in {out / 'grades.csv'}"
    classview.render(batch, out_screen, where)
    finish(batch.all_passed)


def _grade_replies(
    source: str,
    target: str,
    set_name: str | None,
    puzzles_dir: str | None,
    options: Options,
    jobs: int | None,
    shard: Any,
    reveal: bool,
) -> None:
    from rich.text import Text

    from ..grader import grade_replies

    if not Path(source).is_file():
        raise UsageError(f"no such file: {source!r}")
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"--out {target!r} is a folder; with --jsonl, --out names a file")
    out_screen = screen()
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with progress_bar(out_screen) as progress, partial.open("wb") as stream:
            task = progress.add_task("grading replies", total=None)
            totals = grade_replies(
                source,
                stream,
                set=set_name,
                puzzles_dir=puzzles_dir,
                options=options,
                jobs=jobs,
                shard=shard,
                reveal=reveal,
                on_count=lambda n: progress.update(task, total=n),
                on_result=lambda record: progress.advance(task),
            )
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    unread = f" · {totals.unreadable} unreadable" if totals.unreadable else ""
    said = f"{totals.passed}/{totals.lines} replies passed{unread} · results in {path}"
    out_screen.print(Text(said, style="bold"))
    finish(totals.all_passed)


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "-o",
    "--output",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Write the merged file here (default: to stdout).",
)
@click.option(
    "--input",
    "input_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, exists=True),
    help="The replies.jsonl the shards graded: every one of its lines must have a result.",
)
def merge(paths: tuple[str, ...], output: str | None, input_file: str | None) -> None:
    """Join the outputs of a batch graded in shards (`grade --shard K/N`).

    PATH... are the shards' grades.csv files (or their --out folders), or their
    results.jsonl files: the result is what one unsharded run would have written,
    rows in submission order, result lines in input order. A submission or line graded
    twice is an error (exit 2); lines missing from every shard are listed (exit 1).

    \b
    Examples:
      adgrader merge shard-1/ shard-2/ shard-3/ -o grades.csv
      adgrader merge part-*.jsonl --input replies.jsonl -o results.jsonl
    """
    from ..shards import merge_paths

    merged = merge_paths(paths, input=input_file)
    if output:
        write_atomically(Path(output), merged.text)
        click.echo(f"merged {len(paths)} shard output(s) into {output}", err=True)
    else:
        sys.stdout.write(merged.text)
    for problem in merged.problems():
        click.echo(f"warning: {problem}", err=True)
    finish(not merged.problems())
