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
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError
from .puzzles import Puzzle, PuzzleSet, load_set, shape_text
from .result import Finding, PuzzleResult, Report
from .sandbox import AnswerInfo, AnswerProcess, Outcome

if TYPE_CHECKING:
    from .oracle import Sample

DEFAULT_POINTS = 3

DEFAULT_TIMEOUT = 10.0


def check(
    submission: str | os.PathLike[str],
    *,
    set: str | None = None,
    puzzles: Sequence[str] = (),
    seed: int | None = None,
    points: int = DEFAULT_POINTS,
    timeout: float = DEFAULT_TIMEOUT,
    puzzles_dir: str | os.PathLike[str] | None = None,
) -> Report:
    """Grade `submission` against a set; returns the result model every report renders."""
    pset = load_set(set, puzzles_dir)
    return check_against(
        submission, pset, puzzles=puzzles, seed=seed, points=points, timeout=timeout
    )


def check_against(
    submission: str | os.PathLike[str],
    pset: PuzzleSet,
    *,
    puzzles: Sequence[str] = (),
    seed: int | None = None,
    points: int = DEFAULT_POINTS,
    timeout: float = DEFAULT_TIMEOUT,
) -> Report:
    """Grade `submission` against an already loaded set."""
    started = time.monotonic()
    path = Path(submission)
    if not path.exists():
        raise UsageError(f"no such file: {str(path)!r}")
    if path.is_dir():
        raise UsageError(f"{str(path)!r} is a folder; give the submission file (a .py file)")
    if points < 1:
        raise UsageError("--points must be at least 1")
    if timeout <= 0:
        raise UsageError("--timeout must be positive")
    selection = pset.select(puzzles)
    with tempfile.TemporaryDirectory(prefix="adgrader-") as tmp:
        answers = AnswerProcess(
            path,
            list(selection),
            pset.form,
            Path(tmp),
            timeout=timeout,
            file_timeout=60.0 + timeout * len(selection),
        )
        try:
            answers.start()  # before numpy and the oracle load here, so the start-ups overlap
            from . import oracle
            from .sampling import default_seed

            seed = default_seed() if seed is None else seed
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
            results.append(verdict(p, outcome, samples[p.id], answers.answers.get(p.id)))
    return Report(
        submission=str(path),
        set=pset.id,
        seed=seed,
        points=points,
        puzzles=results,
        duration=time.monotonic() - started,
    )


def _merge(first: Outcome, again: Outcome, redrawn: list[int]) -> Outcome:
    if again.status != "ok":
        return again
    arrays = list(first.arrays)
    for slot, arr in zip(redrawn, again.arrays, strict=True):
        arrays[slot] = arr
    return Outcome("ok", arrays=arrays)


def verdict(
    puzzle: Puzzle, outcome: Outcome, sample: Sample, info: AnswerInfo | None
) -> PuzzleResult:
    """Decide one puzzle from the answer's arrays and the oracle's."""
    from .compare import compare

    result = PuzzleResult(
        id=puzzle.id,
        title=puzzle.title,
        status=outcome.status,
        form=info.form if info else None,
        line=info.line if info else None,
        max_score=puzzle.score,
    )
    if info and info.ignored:
        result.warnings.append(
            Finding(
                "answer",
                f"{info.name} is graded; {', '.join(info.ignored)} is ignored",
                info.line,
                "warn",
            )
        )
    if outcome.status == "missing":
        names = puzzle.answer_names()
        result.message = f"no answer: define {names['jac'][0]} or {names['dx'][0]}"
        return result
    if outcome.status != "ok":
        result.message = outcome.message
        result.line = outcome.line or result.line
        return result
    n_out = len(puzzle.out_shape)
    for k, (yours, expected) in enumerate(zip(outcome.arrays, sample.expected, strict=True)):
        for inp in puzzle.inputs:
            got = yours.get(inp.name)
            want = expected[inp.name]
            if got is None:
                result.status, result.message = "error", f"no Jacobian for {inp.name} came back"
                return result
            cmp = compare(got, want, inp.name, k, n_out)
            if cmp.shape_error:
                result.status = "failed"
                result.message = (
                    f"wrong shape for d/d{inp.name}: expected "
                    f"{shape_text(puzzle.jac_dims(inp.name), want.shape)}, got {got.shape}"
                )
                return result
            if not cmp.ok:
                result.status = "failed"
                result.mismatch_total += cmp.total
                result.mismatches.extend(cmp.mismatches)
        if result.status == "failed":
            wrong = result.mismatch_total
            size = sum(math.prod(puzzle.jac_shape(i.name)) for i in puzzle.inputs)
            where = f" at point {k + 1} of {len(outcome.arrays)}" if len(outcome.arrays) > 1 else ""
            result.message = f"{wrong} of {size} entries wrong{where}"
            result.mismatches = result.mismatches[:10]
            return result
    result.status = "passed"
    result.score = puzzle.score
    return result
