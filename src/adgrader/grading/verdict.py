"""Verdicts: one puzzle's status from the answer's arrays, the oracle's, and the rules.

At each point, in order: a backward class's forward value, the shapes of a backward's
gradients, the Jacobian (given, or rebuilt from one-hot `g`s), then a backward's
gradients for the point's own `g`. The first thing wrong is what the learner sees.
Each Jacobian is compared at its own scale; the values (forward's, and the gradients
for `g`) at a scale taken from all the puzzle's points (`value_scales`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..answers.protocol import Found, Outcome
from ..result import Finding, PuzzleResult, ShapeCheck, Status
from ..spec import Puzzle, shape_text
from . import diagnose

if TYPE_CHECKING:  # numpy loads only when values are compared, after answers have started
    import numpy as np

    from .compare import Comparison
    from .oracle import Expected, Sample

    Arrays = dict[str, np.ndarray]


@dataclass(frozen=True)
class _At:
    """The point being judged: its number, how to say where it is, its `g`, and the
    puzzle's scales for the value checks (`value_scales`)."""

    k: int
    where: str
    g: np.ndarray
    scales: dict[str, float]


def value_scales(puzzle: Puzzle, sample: Sample) -> dict[str, float]:
    """The atol scale of each value check, taken over every point of the puzzle.

    `value` (f, for a class's `forward`) and `vjp_<input>` (a backward's gradients for
    the point's own `g`) are single numbers for a scalar puzzle; a per-point scale would
    shrink atol to nothing where they cross 0 (log x near x = 1). The largest |expected|
    over all points keeps atol in proportion to the puzzle instead. The Jacobian checks
    keep each Jacobian's own scale.
    """
    from .compare import largest

    scales = {"value": largest(e.value for e in sample.expected)}
    for n in puzzle.arg_names:
        scales[f"vjp_{n}"] = largest(e.vjp[n] for e in sample.expected if n in e.vjp)
    return scales


def merge(first: Outcome, again: Outcome, redrawn: list[int]) -> Outcome:
    """The first run's arrays with the redrawn points' arrays put in their slots."""
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
    info: Found | None,
    findings: Sequence[Finding] = (),
    prefer: str = "jac",
) -> PuzzleResult:
    """Decide one puzzle from the answer's arrays, the oracle's, and the rules it breaks.

    Right values with an error-severity rule broken make a `violation`, not a pass.
    """
    # provisional for an answer that ran: the checks below say failed if anything is wrong
    status: Status = (
        outcome.status if outcome.status in ("missing", "timeout", "error") else "passed"
    )
    result = PuzzleResult(
        id=puzzle.id,
        title=puzzle.title,
        status=status,
        form=info.form if info else None,
        line=info.line if info else None,
        max_score=puzzle.score,
    )
    if outcome.status == "missing":
        result.message = puzzle.missing_message(prefer)
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
    _compare_values(puzzle, outcome, sample, result, info)
    if result.status == "passed" and result.violations:
        result.status = "violation"
        rules_broken = sorted({f.rule for f in result.violations})
        result.message = f"right values, but it breaks the {', '.join(rules_broken)} rule" + (
            "s" if len(rules_broken) > 1 else ""
        )
    if result.status == "passed":
        result.score = puzzle.score
    return result


def expected_arrays(puzzle: Puzzle, info: Found | None) -> list[str]:
    """The arrays an answer of this form must send back for each point."""
    if info is None or info.form != "backward":
        return list(puzzle.arg_names)
    names = [f"vjp_{n}" for n in puzzle.arg_names]
    if puzzle.rebuilds_jacobian:
        names += puzzle.arg_names
    if info.name == puzzle.backward_class:
        names.append("value")
    return names


def _where(k: int, count: int, probes: int) -> str:
    """` at point 2 of 3` for a seeded point, ` at fixed probe 1 of 2` for a probe (the
    points the puzzle's author chose, after the seeded ones)."""
    drawn = count - probes
    if k >= drawn:
        return f" at fixed probe {k - drawn + 1} of {probes}"
    return f" at point {k + 1} of {drawn}" if drawn > 1 else ""


def entries(wrong: int, size: int, kind: str = "") -> str:
    """`3 of 100 entries wrong` (`kind`: `3 of 10 gradient entries wrong`), and `the one
    entry is wrong` when there is just one."""
    kind = f"{kind} " if kind else ""
    return (
        f"the one {kind}entry is wrong" if size == 1 else f"{wrong} of {size} {kind}entries wrong"
    )


def _compare_values(
    puzzle: Puzzle, outcome: Outcome, sample: Sample, result: PuzzleResult, info: Found | None
) -> None:
    """Set `result` to passed, or failed with the first failing point's wrong entries."""
    needed = expected_arrays(puzzle, info)
    count = len(outcome.arrays)
    scales = value_scales(puzzle, sample)
    for k, (yours, expected) in enumerate(zip(outcome.arrays, sample.expected, strict=True)):
        absent = [n for n in needed if n not in yours]
        if absent:
            result.status, result.message = "error", f"no {absent[0]} array came back"
            return
        at = _At(k, _where(k, count, len(puzzle.probes)), sample.points[k]["g"], scales)
        for check in (_value, _gradient_shapes, _jacobian, _gradients):
            if check(puzzle, yours, expected, at, result):
                if check is _value and info is not None and info.forward_line:
                    result.line = info.forward_line  # the forward is what is wrong
                return
    result.status = "passed"


def _value(
    puzzle: Puzzle, yours: Arrays, expected: Expected, at: _At, result: PuzzleResult
) -> bool:
    """A backward class's `forward` must return f's value."""
    from .compare import compare

    if "value" not in yours:
        return False
    got = yours["value"]
    n_out = len(puzzle.out_shape)
    cmp = compare(got, expected.value, "f", at.k, n_out, kind="value", scale=at.scales["value"])
    if cmp.ok:
        return False
    result.status = "failed"
    if cmp.shape_error:
        want = shape_text(puzzle.output_dims, puzzle.out_shape)
        result.message = f"forward returns shape {got.shape}, but f's output has shape {want}"
        result.shape = ShapeCheck("f's value", puzzle.out_shape, got.shape, puzzle.output_dims)
        return True
    size = max(puzzle.out_size, 1)
    result.message = (
        f"forward returns the wrong value{at.where}"
        if size == 1
        else f"forward returns {entries(cmp.total, size, 'output')}{at.where}"
    )
    result.mismatch_total, result.mismatches = cmp.total, cmp.mismatches
    return True


def _gradient_shapes(
    puzzle: Puzzle, yours: Arrays, expected: Expected, at: _At, result: PuzzleResult
) -> bool:
    """A backward's gradient for each input has exactly that input's shape."""
    for inp in puzzle.inputs:
        got = yours.get(f"vjp_{inp.name}")
        if got is not None and got.shape != inp.shape:
            result.status = "failed"
            result.message = (
                f"wrong shape for the gradient of {inp.name}: expected "
                f"{shape_text(inp.dims, inp.shape)} (the shape of {inp.name}), got {got.shape}"
            )
            result.shape = ShapeCheck(f"the gradient of {inp.name}", inp.shape, got.shape, inp.dims)
            return True
    return False


def _jacobian(
    puzzle: Puzzle, yours: Arrays, expected: Expected, at: _At, result: PuzzleResult
) -> bool:
    """The Jacobians, entry by entry, with the same tables for every form."""
    from .compare import compare

    if not all(n in yours for n in puzzle.arg_names):
        return False  # a backward answer whose Jacobian is too big to rebuild
    n_out = len(puzzle.out_shape)
    for inp in puzzle.inputs:
        got, want = yours[inp.name], expected.jac[inp.name]
        cmp = compare(got, want, inp.name, at.k, n_out)
        if cmp.shape_error:
            result.status = "failed"
            result.message = (
                f"wrong shape for d/d{inp.name}: expected "
                f"{shape_text(puzzle.jac_dims(inp.name), want.shape)}, got {got.shape}"
            )
            result.diagnosis = diagnose.shape(puzzle, inp.name, got.shape)
            result.shape = ShapeCheck(
                f"d/d{inp.name}", want.shape, got.shape, puzzle.jac_dims(inp.name)
            )
            return True
        _count(cmp, result)
    if result.status != "failed":
        return False
    result.arrays = {n: (yours[n], expected.jac[n]) for n in puzzle.arg_names}
    result.diagnosis = diagnose.values(puzzle, result.arrays)
    size = sum(math.prod(puzzle.jac_shape(i.name)) for i in puzzle.inputs)
    result.message = f"{entries(result.mismatch_total, size)}{at.where}"
    result.mismatches = result.mismatches[:10]
    return True


def _count(cmp: Comparison, result: PuzzleResult) -> None:
    """A comparison's wrong entries added to the result's (which then has failed)."""
    if not cmp.ok:
        result.status = "failed"
        result.mismatch_total += cmp.total
        result.mismatches.extend(cmp.mismatches)


def _gradients(
    puzzle: Puzzle, yours: Arrays, expected: Expected, at: _At, result: PuzzleResult
) -> bool:
    """A backward's gradients for the point's own `g`: they catch a backward that is
    right for one-hot `g`s but not linear in `g` (one that forgets to multiply by it)."""
    from .compare import compare

    names = [n for n in puzzle.arg_names if f"vjp_{n}" in yours]
    if not names:
        return False
    for n in names:
        scale = at.scales[f"vjp_{n}"]
        cmp = compare(yours[f"vjp_{n}"], expected.vjp[n], n, at.k, 0, kind="vjp", scale=scale)
        _count(cmp, result)
    if result.status != "failed":
        return False
    size = sum(puzzle.input(n).size for n in names)
    rebuilt = all(n in yours for n in puzzle.arg_names)
    result.message = f"{entries(result.mismatch_total, size, 'gradient')}{at.where}"
    result.diagnosis = diagnose.cotangent(
        {n: (yours[f"vjp_{n}"], expected.vjp[n]) for n in names}, at.g, rebuilt
    )
    result.mismatches = result.mismatches[:10]
    return True
