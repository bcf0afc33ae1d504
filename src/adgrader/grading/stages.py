"""Grading one submission, in its stages.

1. read the submission (a .py file, or a notebook's answers, parsed and never run):
   a file that cannot be graded at all is said once, and nothing runs;
2. static checks, on the parsed source: which puzzles have no answer (with "did you
   mean"), which are still the starter (`todo`: nothing to run), the rules;
3. the answer pool: the remaining answers run in jailed child processes, started
   first so that their start-up overlaps the next stage;
4. points and oracle: seeded points go to the answers as soon as they are drawn, the
   oracle's expected values are computed here meanwhile, redrawn points follow;
5. verdicts: each puzzle's status from its outcome, the oracle and the rules.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import caches, pyast
from ..answers.client import AnswerPool, Setup, default_processes
from ..answers.folders import job_folder
from ..answers.launch import ColdStart, Launcher
from ..answers.protocol import Outcome
from ..errors import IsolationError
from ..options import DEFAULT_POINTS, DEFAULT_TIMEOUT, Limits, Options
from ..result import Finding, PuzzleResult, Report, Status
from ..spec import Puzzle, PuzzleSet, available_sets, load_set
from ..submission import (
    Submission,
    from_text,
    missing_message,
    read_submission,
    suggest,
    todo_message,
    untouched,
    usual_form,
)
from . import rules
from .verdict import merge, verdict

if TYPE_CHECKING:
    from .oracle import Sample


def check(
    submission: str | os.PathLike[str],
    *,
    set: str | None = None,
    puzzles: Sequence[str] = (),
    seed: int | None = None,
    points: int = DEFAULT_POINTS,
    timeout: float = DEFAULT_TIMEOUT,
    strict: bool = False,
    puzzles_dir: str | os.PathLike[str] | None = None,
) -> Report:
    """Grade `submission` against a set (default: its marker line, else the set its
    answers fit); returns the result model every report renders."""
    sub = read_submission(submission)
    pset, why = choose_set(sub, set, puzzles_dir)
    options = Options(
        seed=seed,
        points=points,
        strict=strict,
        puzzles=tuple(puzzles),
        limits=Limits(timeout=timeout),
    )
    return grade_submission(sub, pset, options, set_note=why)


def choose_set(
    sub: Submission,
    name: str | None,
    puzzles_dir: str | os.PathLike[str] | None = None,
) -> tuple[PuzzleSet, str]:
    """The set to grade `sub` against, and why: `name` when given, else its marker
    line, else the set its answers fit best (the default set on a tie)."""
    if name is not None:
        return load_set(name, puzzles_dir), ""
    from ..submission import infer_set

    sets = [load_set(n, puzzles_dir) for n in available_sets(puzzles_dir)]
    chosen, why = infer_set(sub, sets)
    named = sub.declared == chosen  # its own set line: nothing to explain
    return next(s for s in sets if s.id == chosen), "" if named else why


def check_against(
    submission: str | os.PathLike[str],
    pset: PuzzleSet,
    options: Options | None = None,
    launcher: Launcher | None = None,
) -> Report:
    """Grade the submission file against an already loaded set, in the stages above.

    `launcher` starts the answer processes (default: a fresh interpreter each; batch
    grading and `watch` pass a fork server).
    """
    return grade_submission(read_submission(submission, pset), pset, options, launcher)


def grade_source(
    text: str,
    name: str,
    pset: PuzzleSet,
    options: Options | None = None,
    launcher: Launcher | None = None,
) -> Report:
    """Grade Python source given as text (a model's reply); `name` names it in reports."""
    return grade_submission(from_text(name, text), pset, options, launcher)


def grade_submission(
    sub: Submission,
    pset: PuzzleSet,
    options: Options | None = None,
    launcher: Launcher | None = None,
    *,
    set_note: str = "",
) -> Report:
    """Grade a submission already read: the stages from the static checks on."""
    options = options or Options()
    if options.require_isolation:
        require_isolation()
    started = time.monotonic()
    sub = sub.for_set(pset)
    selection = pset.select(options.puzzles)
    seed = options.resolved_seed()
    report = Report(
        submission=str(sub.path),
        set=pset.id,
        seed=seed,
        points=options.points,
        puzzles=[],
        set_note=set_note,
        notes=[str(n) for n in sub.notes if n.level == "warn"],
    )
    if sub.unusable is not None:
        report.problem = sub.unusable.message
        report.puzzles = [
            PuzzleResult(
                id=p.id,
                title=p.title,
                status=sub.unusable.status,
                message=sub.unusable.summary,
                line=sub.unusable.line,
                cell=sub.unusable.cell,
                max_score=p.score,
            )
            for p in selection
        ]
        report.duration = time.monotonic() - started
        return report
    static = static_checks(sub, pset, selection, options)
    to_run = [p for p in selection if p.id not in static.settled]
    results: dict[str, PuzzleResult] = dict(static.settled)
    if to_run:
        ran = run_answers(sub, pset, to_run, options, seed, static, launcher)
        report.isolation = ran.isolation
        if options.require_isolation and ran.isolation != "kernel":
            raise IsolationError(f"{sub.path}: an answer process was not jailed by the kernel")
        if ran.load_error is not None:  # the file as a whole: said once, like a syntax error
            report.problem = load_problem(sub, ran.load_error)
            report.puzzles = [
                PuzzleResult(
                    id=p.id,
                    title=p.title,
                    status="error",
                    message=report.problem.splitlines()[0],
                    line=ran.load_error.line,
                    max_score=p.score,
                )
                for p in selection
            ]
            report.duration = time.monotonic() - started
            return report
        results.update(ran.results)
    report.puzzles = [place(results[p.id], sub) for p in selection]
    report.hint = better_set_hint(sub, pset, report)
    report.duration = time.monotonic() - started
    return report


@dataclass
class Static:
    """What the source alone says: puzzles settled without running anything (no
    answer, a starter, a cell that does not parse), and each answer's rule findings."""

    settled: dict[str, PuzzleResult] = field(default_factory=dict)
    findings: dict[str, tuple[str, list[Finding]]] = field(default_factory=dict)


def static_checks(
    sub: Submission, pset: PuzzleSet, selection: Sequence[Puzzle], options: Options
) -> Static:
    """Stage 2: settle what needs no running, and find the rules each answer breaks."""
    found = Static()
    try:
        tree = pyast.parse(sub.source)
    except (SyntaxError, ValueError):
        return found  # the answer process reports it, with its line
    form = usual_form(tree, pset)
    for p in selection:
        result = PuzzleResult(id=p.id, title=p.title, status="missing", max_score=p.score)
        broken = sub.broken.get(p.id)
        answer = rules.find_answer(tree, p, pset.form) if broken is None else None
        try:
            if broken is not None:
                result.status, result.message = broken.status, broken.message
                result.line, result.cell = broken.line, broken.cell
            elif answer is None:
                result.message = missing_message(p, sub.kind, form, suggest(sub.defined, p, pset))
            elif options.starters_are_todo and untouched(answer.node, p, answer.form):
                result.status, result.message = "todo", todo_message(p, sub.kind, answer.form)
                result.line, result.form = answer.node.lineno, answer.form
            else:
                found.findings[p.id] = (
                    answer.name,
                    rules.check(sub.source, answer, p, pset.rules, options.strict),
                )
                continue
        except RecursionError:  # an expression of hundreds of terms: too deep to check
            assert answer is not None
            result.status, result.line = "error", answer.node.lineno
            result.message = f"{answer.name} is nested too deeply to check: split the expression"
        found.settled[p.id] = result
    return found


@dataclass
class Ran:
    """What running the answers gave: a verdict per puzzle, the isolation the answer
    processes had, and why the file could not load, if it could not."""

    results: dict[str, PuzzleResult]
    isolation: str
    load_error: Outcome | None = None


def run_answers(
    sub: Submission,
    pset: PuzzleSet,
    selection: Sequence[Puzzle],
    options: Options,
    seed: int,
    static: Static,
    launcher: Launcher | None,
) -> Ran:
    """Stages 3 to 5 for the puzzles that need running."""
    oracle_ready = caches.oracle_ready(selection, seed, options.points)
    launcher = launcher or ColdStart()
    processes = options.processes or default_processes(len(selection), oracle_ready, launcher.warm)
    setup = Setup(
        source=sub.source,
        form=pset.form,
        forbid_autodiff=forbids_autodiff(pset, options.strict),
        jail=True,
        limits=options.limits,
        scopes=tuple((s.first, s.last, s.puzzle) for s in sub.scopes),
    )
    with (
        job_folder() as tmp,  # removed however deep or odd what the answers left there is
        AnswerPool(setup, selection, tmp, launcher, processes) as pool,
    ):
        samples, outcomes = answer_and_sample(pool, selection, seed, options.points, oracle_ready)
        isolation = pool.isolation
        answers = pool.answers
        load_error = pool.load_error
    if load_error is not None:
        return Ran({}, isolation, load_error)
    results = {}
    for p in selection:
        parsed, found = static.findings.get(p.id, ("", []))
        info = answers.get(p.id)
        if info is None or parsed != info.name:
            found = []  # the process graded another definition than the one parsed
        results[p.id] = verdict(p, outcomes[p.id], samples[p.id], info, found, pset.form)
    return Ran(results, isolation)


def load_problem(sub: Submission, error: Outcome) -> str:
    """The file's load error, said once: what failed, where, the line, what to do."""
    cell, line = sub.place(error.line)
    where = f"cell {cell}, line {line}" if cell is not None else f"line {line}"
    message = error.message.removeprefix("the submission failed while loading: ")
    lines = [
        f"the file failed while loading, at {where}:" if line else "the file failed while loading:",
        f"  {message}",
    ]
    if error.line is not None:
        text = sub.source.split("\n")[error.line - 1 : error.line]
        if text and text[0].strip():
            lines.append(f"  {line} | {text[0].strip()[:70]}")
    lines.append("Fix it: the file's top level must run before any answer can be graded.")
    return "\n".join(lines)


def require_isolation() -> None:
    """Raise IsolationError unless this machine's kernel can jail answer processes."""
    from ..answers.jail import supported

    found = supported()
    if found.level != "kernel":
        raise IsolationError(
            f"the kernel cannot jail answers here ({found.detail}), and isolation is "
            "required (--require-isolation, ADGRADER_REQUIRE_ISOLATION)"
        )


def answer_and_sample(
    pool: AnswerPool, selection: Sequence[Puzzle], seed: int, points: int, oracle_ready: bool
) -> tuple[dict[str, Sample], dict[str, Outcome]]:
    """Each puzzle's sample and its answer's outcome at every point of it.

    With the oracle's results kept, every point is known at once and goes to the
    answers in one round. Otherwise the first points go to the answers while the
    oracle is computed here, and points redrawn at kinks follow.
    """
    from . import oracle

    if oracle_ready:
        samples = {p.id: oracle.sample(p, seed, points) for p in selection}
        asked = {p.id: pool.request(p.id, samples[p.id].points) for p in selection}
        found = pool.finish()
        return samples, {p.id: found[asked[p.id]] for p in selection}
    first = {p.id: pool.request(p.id, oracle.first_points(p, seed, points)) for p in selection}
    oracle.prepare(selection, seed, points)
    samples = {p.id: oracle.sample(p, seed, points) for p in selection}
    again = {
        p.id: pool.request(p.id, [samples[p.id].points[i] for i in samples[p.id].redrawn])
        for p in selection
        if samples[p.id].redrawn
    }
    found = pool.finish()
    outcomes = {}
    for p in selection:
        outcome = found[first[p.id]]
        if p.id in again and outcome.status == "ok":
            outcome = merge(outcome, found[again[p.id]], samples[p.id].redrawn)
        outcomes[p.id] = outcome
    return samples, outcomes


def place(result: PuzzleResult, sub: Submission) -> PuzzleResult:
    """A notebook's lines told as (cell, line in the cell); a file's stay as they are."""
    if not sub.is_notebook:
        return result
    if result.cell is None:
        result.cell, result.line = sub.place(result.line)
    for findings in (result.warnings, result.violations):
        for k, f in enumerate(findings):
            cell, line = sub.place(f.line)
            findings[k] = replace(f, cell=cell, line=line)
    return result


def better_set_hint(sub: Submission, pset: PuzzleSet, report: Report) -> str:
    """`these look like classic answers: try --set classic`, when they clearly do and
    not everything passed; else ""."""
    if report.all_passed:
        return ""
    from ..submission import better_set
    from ..submission import better_set_hint as hint

    try:
        sets = [load_set(n) for n in available_sets()]
    except Exception:  # another folder of sets, or a broken one: no hint
        return ""
    if pset.id not in {s.id for s in sets}:
        return ""
    other = better_set(sub, pset.id, sets)
    return hint(other, sets) if other is not None else ""


def uniform_report(
    path: Path,
    pset: PuzzleSet,
    selection: Sequence[Puzzle],
    seed: int,
    points: int,
    started: float,
    status: Status,
    message: str,
) -> Report:
    """A report giving every selected puzzle the same status, the message said once."""
    return Report(
        submission=str(path),
        set=pset.id,
        seed=seed,
        points=points,
        duration=time.monotonic() - started,
        problem=message,
        puzzles=[
            PuzzleResult(
                id=p.id,
                title=p.title,
                status=status,
                message=message.splitlines()[0] if message else "",
                max_score=p.score,
            )
            for p in selection
        ],
    )


def forbids_autodiff(pset: PuzzleSet, strict: bool) -> bool:
    """Whether the answer process refuses autodiff: the rule is on at error severity."""
    return any(
        r.name == "no-autodiff" and (r.severity == "error" or (strict and r.severity != "off"))
        for r in pset.rules
    )
