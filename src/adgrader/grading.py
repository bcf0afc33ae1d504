"""Grading one submission: answers in a child process, the oracle here, verdicts here.

The answer process starts first and works on the first sample points while this
process imports jax and computes the oracle, so the two overlap.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from . import caches, diagnose, rules
from .children import ForkServer
from .errors import UsageError
from .puzzles import Puzzle, PuzzleSet, load_set, shape_text
from .result import Finding, PuzzleResult, Report
from .sandbox import AnswerInfo, AnswerPool, Limits, Outcome, default_processes

if TYPE_CHECKING:
    from .oracle import Sample

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
                outcome = _merge(outcome, outcomes[again[p.id]], samples[p.id].redrawn)
            info = answers.answers.get(p.id)
            name, found = findings.get(p.id, ("", []))
            if info is None or name != info.name:
                found = []  # the process graded another definition than the one parsed
            result = verdict(p, outcome, samples[p.id], info, found)
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
    from . import notebook

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


def _merge(first: Outcome, again: Outcome, redrawn: list[int]) -> Outcome:
    if again.status != "ok":
        return again
    arrays = list(first.arrays)
    for slot, arr in zip(redrawn, again.arrays, strict=True):
        arrays[slot] = arr
    return Outcome("ok", arrays=arrays)


def verdict(
    puzzle: Puzzle,
    outcome: Outcome,
    sample: Sample,
    info: AnswerInfo | None,
    findings: Sequence[Finding] = (),
) -> PuzzleResult:
    """Decide one puzzle from the answer's arrays, the oracle's, and the rules it breaks.

    Right values with an error-severity rule broken make a `violation`, not a pass.
    """
    result = PuzzleResult(
        id=puzzle.id,
        title=puzzle.title,
        status=outcome.status,
        form=info.form if info else None,
        line=info.line if info else None,
        max_score=puzzle.score,
    )
    if outcome.status == "missing":
        names = puzzle.answer_names()
        result.message = f"no answer: define {names['jac'][0]} or {names['dx'][0]}"
        return result
    if info and info.ignored:
        note = f"{info.name} is graded; {', '.join(info.ignored)} is ignored"
        result.warnings.append(Finding("answer", note, info.line, "warn"))
    result.violations = [f for f in findings if f.severity == "error"]
    result.warnings += [f for f in findings if f.severity != "error"]
    if outcome.status == "autodiff":
        result.violations.append(Finding("no-autodiff", outcome.message, outcome.line, "error"))
        result.status, result.message = "violation", outcome.message
        result.line = outcome.line or result.line
        return result
    if outcome.status != "ok":
        result.message = outcome.message
        result.line = outcome.line or result.line
        return result
    _compare_values(puzzle, outcome, sample, result)
    if result.status == "passed" and result.violations:
        result.status = "violation"
        rules_broken = sorted({f.rule for f in result.violations})
        result.message = f"right values, but it breaks the {', '.join(rules_broken)} rule" + (
            "s" if len(rules_broken) > 1 else ""
        )
    if result.status == "passed":
        result.score = puzzle.score
    return result


def _compare_values(puzzle: Puzzle, outcome: Outcome, sample: Sample, result: PuzzleResult) -> None:
    """Set `result` to passed, or failed with the first failing point's wrong entries."""
    from .compare import compare

    n_out = len(puzzle.out_shape)
    for k, (yours, expected) in enumerate(zip(outcome.arrays, sample.expected, strict=True)):
        for inp in puzzle.inputs:
            got = yours.get(inp.name)
            want = expected[inp.name]
            if got is None:
                result.status, result.message = "error", f"no Jacobian for {inp.name} came back"
                return
            cmp = compare(got, want, inp.name, k, n_out)
            if cmp.shape_error:
                result.status = "failed"
                result.message = (
                    f"wrong shape for d/d{inp.name}: expected "
                    f"{shape_text(puzzle.jac_dims(inp.name), want.shape)}, got {got.shape}"
                )
                result.diagnosis = diagnose.shape(puzzle, inp.name, got.shape)
                return
            if not cmp.ok:
                result.status = "failed"
                result.mismatch_total += cmp.total
                result.mismatches.extend(cmp.mismatches)
        if result.status == "failed":
            result.arrays = {n: (yours[n], expected[n]) for n in puzzle.arg_names}
            result.diagnosis = diagnose.values(puzzle, result.arrays)
            size = sum(math.prod(puzzle.jac_shape(i.name)) for i in puzzle.inputs)
            where = f" at point {k + 1} of {len(outcome.arrays)}" if len(outcome.arrays) > 1 else ""
            result.message = f"{result.mismatch_total} of {size} entries wrong{where}"
            result.mismatches = result.mismatches[:10]
            return
    result.status = "passed"
