"""Grading one submission: answers in a child process, the oracle here, verdicts here.

The answer process starts first and works on the first sample points while this
process imports jax and computes the oracle, so the two overlap.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from .. import caches
from ..answers.client import AnswerPool, Limits, default_processes
from ..answers.launch import ForkServer
from ..errors import UsageError
from ..result import Finding, PuzzleResult, Report
from ..spec import Puzzle, PuzzleSet, load_set
from . import rules
from .verdict import merge, verdict

DEFAULT_POINTS = 3

DEFAULT_TIMEOUT = 10.0
DEFAULT_SEED = 0


def default_seed() -> int:
    """$ADGRADER_SEED when set (CI can keep a secret one), else the fixed default."""
    value = os.environ.get("ADGRADER_SEED", "").strip()
    if not value:
        return DEFAULT_SEED
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"ADGRADER_SEED must be a whole number, got {value!r}") from None


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
    return check_against(
        submission, pset, puzzles=puzzles, seed=seed, points=points, timeout=timeout, strict=strict
    )


def check_against(
    submission: str | os.PathLike[str],
    pset: PuzzleSet,
    *,
    puzzles: Sequence[str] = (),
    seed: int | None = None,
    points: int = DEFAULT_POINTS,
    timeout: float = DEFAULT_TIMEOUT,
    strict: bool = False,
    limits: Limits | None = None,
    processes: int | None = None,
    server: ForkServer | None = None,
) -> Report:
    """Grade `submission` against an already loaded set.

    `processes` answer processes share out the puzzles (default: two on a machine with
    cores to spare, one for a few puzzles); batch grading passes 1.
    """
    started = time.monotonic()
    path = Path(submission)
    if not path.exists():
        raise UsageError(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder; give the submission file (.py or .ipynb)")
    if points < 1:
        raise UsageError("--points must be at least 1")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    selection = pset.select(puzzles)
    limits = limits or Limits(timeout=timeout)
    seed = default_seed() if seed is None else seed
    source, unusable, cells = read_source(path, pset)
    if unusable is not None:
        status, message = unusable
        return uniform_report(path, pset, selection, seed, points, started, status, message)
    findings = rule_findings(source, pset, selection, strict)
    if processes is None:
        oracle_ready = all(
            (stored := caches.results_path(p, seed, points)) is not None and stored.exists()
            for p in selection
        )
        processes = default_processes(len(selection), oracle_ready)
    with tempfile.TemporaryDirectory(prefix="adgrader-") as tmp:
        runnable = path
        if cells is not None:  # a notebook: its answers, extracted, are what runs
            runnable = Path(tmp) / "notebook_answers.py"
            runnable.write_text(source, encoding="utf-8")
        answers = AnswerPool(
            runnable,
            list(selection),
            pset.form,
            Path(tmp),
            limits,
            forbid_autodiff=forbids_autodiff(pset, strict),
            processes=processes,
            server=server,
        )
        try:
            answers.start()  # before numpy and the oracle load here, so the start-ups overlap
            from . import oracle

            first = {
                p.id: answers.request(p.id, oracle.first_points(p, seed, points)) for p in selection
            }
            samples = {p.id: oracle.sample(p, seed, points) for p in selection}
            again = {
                p.id: answers.request(
                    p.id, [samples[p.id].points[i] for i in samples[p.id].redrawn]
                )
                for p in selection
                if samples[p.id].redrawn
            }
            outcomes = answers.finish()
        finally:
            answers.close()
        results = []
        for p in selection:
            outcome = outcomes[first[p.id]]
            if p.id in again and outcome.status == "ok":
                outcome = merge(outcome, outcomes[again[p.id]], samples[p.id].redrawn)
            info = answers.answers.get(p.id)
            name, found = findings.get(p.id, ("", []))
            if info is None or name != info.name:
                found = []  # the process graded another definition than the one parsed
            result = verdict(p, outcome, samples[p.id], info, found, pset.form)
            results.append(relocate(result, cells) if cells is not None else result)
    return Report(
        submission=str(path),
        set=pset.id,
        seed=seed,
        points=points,
        puzzles=results,
        duration=time.monotonic() - started,
    )


def read_source(
    path: Path, pset: PuzzleSet
) -> tuple[str, tuple[str, str] | None, dict[int, tuple[int, int]] | None]:
    """The code to grade, why there is none (status, message), and for a notebook where
    each line of that code stands in it (line -> (cell, line in cell)).

    Only reads the file: a notebook's answers are taken by parsing, never by running
    it. A non-Python or empty file has every puzzle `missing`; a file that is not UTF-8,
    or a notebook that cannot be read, has every puzzle `error`.
    """
    from ..submission import notebook

    if notebook.is_notebook(path):
        try:
            extracted = notebook.extract(path, pset)
        except UsageError as exc:  # not a readable notebook: every puzzle gets the error
            return "", ("error", str(exc)), None
        if not extracted.found:
            return "", ("missing", "no answers found in the notebook"), None
        return extracted.source, None, extracted.lines
    if path.suffix != ".py":
        return (
            "",
            (
                "missing",
                f"{path.name} is not a Python file or notebook: answers go in a .py or .ipynb file",
            ),
            None,
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        return "", ("error", f"cannot read the submission: {exc.strerror}"), None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (
            "",
            ("error", f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"),
            None,
        )
    if not text.strip():
        return text, ("missing", "the file is empty"), None
    return text, None, None


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
    status: str,
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
