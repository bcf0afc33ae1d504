"""Grading one submission, in its stages.

1. read the submission (a .py file, or a notebook's answers, parsed and never run);
2. static checks: the rules, on the parsed source;
3. the answer pool: the answers run in jailed child processes, started first so that
   their start-up overlaps the next stage;
4. points and oracle: seeded points go to the answers as soon as they are drawn, the
   oracle's expected values are computed here meanwhile, redrawn points follow;
5. verdicts: each puzzle's status from its outcome, the oracle and the rules.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import caches
from ..answers.client import AnswerPool, Setup, default_processes
from ..answers.launch import ColdStart, Launcher
from ..answers.protocol import Outcome
from ..errors import IsolationError, UsageError
from ..options import DEFAULT_POINTS, DEFAULT_TIMEOUT, Limits, Options
from ..result import Finding, PuzzleResult, Report, Status
from ..spec import Puzzle, PuzzleSet, load_set
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
    """Grade `submission` against a set; returns the result model every report renders."""
    pset = load_set(set, puzzles_dir)
    options = Options(
        seed=seed,
        points=points,
        strict=strict,
        puzzles=tuple(puzzles),
        limits=Limits(timeout=timeout),
    )
    return check_against(submission, pset, options)


def check_against(
    submission: str | os.PathLike[str],
    pset: PuzzleSet,
    options: Options | None = None,
    launcher: Launcher | None = None,
) -> Report:
    """Grade `submission` against an already loaded set, in the stages above.

    `launcher` starts the answer processes (default: a fresh interpreter each; batch
    grading and `watch` pass a fork server).
    """
    path = Path(submission)
    return grade_source(read_source(path, pset), str(path), pset, options, launcher)


def grade_source(
    source: Source,
    name: str,
    pset: PuzzleSet,
    options: Options | None = None,
    launcher: Launcher | None = None,
) -> Report:
    """Grade code already read (a file's, a notebook's answers, a model's reply);
    `name` is what the report calls the submission."""
    options = options or Options()
    if options.require_isolation:
        require_isolation()
    started = time.monotonic()
    path = Path(name)
    selection = pset.select(options.puzzles)
    seed = options.resolved_seed()
    if source.unusable is not None:
        status, message = source.unusable
        return uniform_report(path, pset, selection, seed, options.points, started, status, message)
    findings = rule_findings(source.text, pset, selection, options.strict)
    oracle_ready = caches.oracle_ready(selection, seed, options.points)
    processes = options.processes or default_processes(len(selection), oracle_ready)
    setup = Setup(
        source=source.text,
        form=pset.form,
        forbid_autodiff=forbids_autodiff(pset, options.strict),
        jail=True,
        limits=options.limits,
    )
    with (
        tempfile.TemporaryDirectory(prefix="adgrader-") as tmp,
        AnswerPool(setup, selection, Path(tmp), launcher or ColdStart(), processes) as pool,
    ):
        samples, outcomes = answer_and_sample(pool, selection, seed, options.points, oracle_ready)
        isolation = pool.isolation
        answers = pool.answers
    if options.require_isolation and isolation != "kernel":
        raise IsolationError(f"{name}: an answer process was not jailed by the kernel")
    results = []
    for p in selection:
        parsed, found = findings.get(p.id, ("", []))
        info = answers.get(p.id)
        if info is None or parsed != info.name:
            found = []  # the process graded another definition than the one parsed
        result = verdict(p, outcomes[p.id], samples[p.id], info, found, pset.form)
        results.append(relocate(result, source.cells) if source.cells is not None else result)
    return Report(
        submission=name,
        set=pset.id,
        seed=seed,
        points=options.points,
        puzzles=results,
        duration=time.monotonic() - started,
        isolation=isolation,
    )


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


@dataclass(frozen=True)
class Source:
    """The code to grade, why there is none (status, message), and for a notebook where
    each line of that code stands in it (line -> (cell, line in cell))."""

    text: str = ""
    unusable: tuple[Status, str] | None = None
    cells: dict[int, tuple[int, int]] | None = None


def read_source(path: Path, pset: PuzzleSet) -> Source:
    """Only reads the file: a notebook's answers are taken by parsing, never by running
    it. A non-Python or empty file has every puzzle `missing`; a file that is not UTF-8,
    or a notebook that cannot be read, has every puzzle `error`.
    """
    if not path.exists():
        raise UsageError(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder; give the submission file (.py or .ipynb)")
    from ..submission import notebook

    if notebook.is_notebook(path):
        try:
            extracted = notebook.extract(path, pset)
        except UsageError as exc:  # not a readable notebook: every puzzle gets the error
            return Source(unusable=("error", str(exc)))
        if not extracted.found:
            return Source(unusable=("missing", "no answers found in the notebook"))
        return Source(extracted.source, cells=extracted.lines)
    if path.suffix != ".py":
        why = f"{path.name} is not a Python file or notebook: answers go in a .py or .ipynb file"
        return Source(unusable=("missing", why))
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Source(unusable=("error", f"cannot read the submission: {exc.strerror}"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        why = f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"
        return Source(unusable=("error", why))
    if not text.strip():
        return Source(text, unusable=("missing", "the file is empty"))
    return Source(text)


def relocate(result: PuzzleResult, cells: dict[int, tuple[int, int]]) -> PuzzleResult:
    """Lines of the extracted notebook code, told as (cell, line) of the notebook."""

    def place(line: int | None) -> tuple[int | None, int | None]:
        return cells.get(line, (None, None)) if line is not None else (None, None)

    result.cell, result.line = place(result.line)
    for findings in (result.warnings, result.violations):
        for k, f in enumerate(findings):
            cell, line = place(f.line)
            findings[k] = replace(f, cell=cell, line=line)
    return result


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
    """A report giving every selected puzzle the same status and message."""
    return Report(
        submission=str(path),
        set=pset.id,
        seed=seed,
        points=points,
        duration=time.monotonic() - started,
        puzzles=[
            PuzzleResult(id=p.id, title=p.title, status=status, message=message, max_score=p.score)
            for p in selection
        ],
    )


def forbids_autodiff(pset: PuzzleSet, strict: bool) -> bool:
    """Whether the answer process refuses autodiff: the rule is on at error severity."""
    return any(
        r.name == "no-autodiff" and (r.severity == "error" or (strict and r.severity != "off"))
        for r in pset.rules
    )


def rule_findings(
    source: str, pset: PuzzleSet, selection: Sequence[Puzzle], strict: bool
) -> dict[str, tuple[str, list[Finding]]]:
    """For each answered puzzle: the answer's name and the rules it breaks, from the source."""
    tree = rules.parse(source)
    if tree is None:
        return {}
    found: dict[str, tuple[str, list[Finding]]] = {}
    for p in selection:
        answer = rules.find_answer(tree, p, pset.form)
        if answer is not None:
            found[p.id] = (answer.name, rules.check(source, answer, p, pset.rules, strict))
    return found
