"""Feedback for another try (report/feedback.py): every status, and no value given away."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adgrader
from adgrader.answers.client import AnswerInfo, Outcome
from adgrader.grading.oracle import Expected, Sample
from adgrader.grading.verdict import verdict
from adgrader.report.common import number
from adgrader.report.feedback import HIDDEN, feedback
from adgrader.result import STATUSES, Finding, Mismatch, PuzzleResult, ShapeCheck

from .conftest import ANSWERS, Grade

JAX = adgrader.load_set("jax")
RELU = JAX.get("relu")
MUL = JAX.get("mul")


def wrong_values(**changes: object) -> PuzzleResult:
    """relu failed on its diagonal: 12 wrong entries, the first 10 kept."""
    result = PuzzleResult(
        "relu",
        "ReLU",
        "failed",
        form="jac",
        message="12 of 100 entries wrong at point 2 of 3",
        mismatch_total=12,
        mismatches=[Mismatch("x", (k,), (k,), 0.0, 0.25 + k, point=1) for k in range(10)],
        diagnosis="right except at o = 0 and the last o",
    )
    for key, value in changes.items():
        setattr(result, key, value)
    return result


def test_passed_says_so_and_lists_warnings() -> None:
    result = PuzzleResult(
        "relu",
        "ReLU",
        "passed",
        score=1.0,
        warnings=[Finding("max-columns", "line is 93 columns long (limit 80)", 2, "warn")],
    )
    text = feedback(result)
    assert text.startswith("relu: passed: every entry is right at every sample point.\n")
    assert "warning [max-columns] line 2: line is 93 columns long (limit 80)" in text
    assert result.reward == 1.0


def test_wrong_shape_gives_both_shapes() -> None:
    result = PuzzleResult(
        "relu",
        "ReLU",
        "failed",
        message="wrong shape for d/dx: expected (O, I) = (10, 10), got (10,)",
        diagnosis="got the shape of the input x only; the Jacobian is output shape + input shape",
        shape=ShapeCheck("d/dx", (10, 10), (10,), ("O", "I")),
    )
    text = feedback(result, RELU)
    lines = text.splitlines()
    assert lines[0] == "relu: failed: wrong shape."
    assert lines[1] == "Shape of d/dx: expected (O, I) = (10, 10), yours (10,)."
    assert lines[2].startswith("Looks like: got the shape of the input x only")
    assert "wrong shape for d/dx" not in text  # the shape line says it once
    assert result.reward == 0.0


def test_wrong_shape_without_the_record_keeps_the_message() -> None:
    result = PuzzleResult("relu", "ReLU", "failed", message="wrong shape for d/dx: expected ...")
    assert feedback(result).splitlines()[:2] == [
        "relu: failed: wrong shape.",
        "wrong shape for d/dx: expected ...",
    ]


def test_wrong_values_give_count_positions_and_diagnosis_but_no_values() -> None:
    text = feedback(wrong_values(), RELU)
    assert text.splitlines() == [
        "relu: failed: wrong values in the Jacobian.",
        "12 of 100 entries wrong at point 2 of 3",
        "Shapes: right (d/dx is (O, I) = (10, 10)).",
        "Wrong entries of d/dx, at [o, i]: (0, 0), (1, 1), (2, 2), (3, 3), (4, 4),",
        "  (5, 5), (6, 6), (7, 7), (8, 8), (9, 9).",
        "And 2 more wrong entries.",
        "Looks like: right except at o = 0 and the last o",
    ]
    assert "expected" not in text and "yours" not in text
    assert all(len(line) <= 80 for line in text.splitlines())


def test_limit_shows_fewer_positions() -> None:
    text = feedback(wrong_values(), limit=3)
    assert "at [out, in]: (0, 0), (1, 1), (2, 2).\nAnd 9 more wrong entries." in text


def test_reveal_adds_yours_and_expected_per_entry() -> None:
    text = feedback(wrong_values(), RELU, reveal=True, limit=2)
    assert "Wrong entries of d/dx, at [o, i]:\n  (0, 0): yours 0, expected 0.25\n" in text
    assert "  (1, 1): yours 0, expected 1.25\n" in text
    assert "And 10 more wrong entries." in text


def test_two_inputs_are_told_apart() -> None:
    result = PuzzleResult(
        "mul",
        "Mul",
        "failed",
        message="3 of 200 entries wrong",
        mismatch_total=3,
        mismatches=[
            Mismatch("x", (1,), (1,), 0.5, 1.5),
            Mismatch("y", (2,), (2,), 0.5, 2.5),
            Mismatch("y", (4,), (4,), 0.5, 3.5),
        ],
    )
    text = feedback(result, MUL)
    assert "Wrong entries of d/dx, at [o, i]: (1, 1).\n" in text
    assert "Wrong entries of d/dy, at [o, j]: (2, 2), (4, 4).\n" in text


def test_backward_gradients_and_forward_values() -> None:
    vjp = PuzzleResult(
        "relu",
        "ReLU",
        "failed",
        message="2 of 10 gradient entries wrong",
        mismatch_total=2,
        mismatches=[Mismatch("x", (), (3,), 1.0, 2.0, kind="vjp")],
        diagnosis="g (d_out) is multiplied in twice",
    )
    text = feedback(vjp, RELU)
    assert text.startswith("relu: failed: wrong gradient values.\n")
    assert "Wrong entries of the gradient of x, at [i]: (3,).\nAnd 1 more wrong entry.\n" in text
    value = PuzzleResult(
        "relu",
        "ReLU",
        "failed",
        message="forward returns 1 of 10 output entries wrong",
        mismatch_total=1,
        mismatches=[Mismatch("f", (4,), (), 1.0, 2.0, kind="value")],
    )
    text = feedback(value, RELU)
    assert text.startswith("relu: failed: forward returns wrong values.\n")
    assert "Wrong entries of f's value, at [o]: (4,).\n" in text


def test_a_scalar_entry_is_the_only_entry() -> None:
    result = PuzzleResult(
        "cos",
        "Cos",
        "failed",
        message="1 of 1 entries wrong",
        mismatch_total=1,
        mismatches=[Mismatch("x", (), (), 0.3, -0.4)],
    )
    assert "1 of 1 entries wrong\nShapes: right.\nThe only entry of d/dx is wrong.\n" in (
        feedback(result)
    )
    assert "The only entry of d/dx is wrong: yours 0.3, expected -0.4." in (
        feedback(result, reveal=True)
    )


@pytest.mark.parametrize(
    ("status", "message", "head"),
    [
        ("error", "ZeroDivisionError: division by zero (line 2)", "raised an error"),
        ("timeout", "did not finish within 10 s", "did not finish in time"),
        ("missing", "no answer: define def jac_relu(x)", "there is no answer to grade"),
    ],
)
def test_error_timeout_missing_carry_the_message(status: str, message: str, head: str) -> None:
    text = feedback(PuzzleResult("relu", "ReLU", status, message=message, line=2))
    first, second = text.splitlines()[:2]
    assert first.startswith(f"relu: {status}: ") and head in first
    assert second == message


def test_violation_names_the_rule() -> None:
    result = PuzzleResult(
        "neg",
        "Neg",
        "violation",
        message="right values, but it breaks the no-array-literal rule",
        violations=[Finding("no-array-literal", "np.array builds the Jacobian", 2)],
    )
    text = feedback(result)
    assert text.splitlines()[0] == (
        "neg: violation: the values are right, but a rule is broken (no credit)."
    )
    assert "rule broken [no-array-literal] line 2: np.array builds the Jacobian" in text
    assert result.reward == 0.0


def test_every_status_has_its_own_headline() -> None:
    heads = {
        s: feedback(PuzzleResult("relu", "ReLU", s, message="m")).splitlines()[0] for s in STATUSES
    }
    assert len(set(heads.values())) == len(STATUSES)
    assert all(h.startswith(f"relu: {s}: ") for s, h in heads.items())


def test_values_quoted_by_a_message_or_diagnosis_are_hidden() -> None:
    result = wrong_values(
        message="expected 0.25 at (0, 0), got 0.0",
        diagnosis="every entry is 2.5 times the expected value, e.g. 1.2500",
    )
    text = feedback(result)
    assert "expected [hidden] at (0, 0), got [hidden]" in text
    assert "every entry is 2.5 times the expected value, e.g. [hidden]" in text
    assert "0.25" in feedback(result, reveal=True)


def _spellings(value: float) -> set[str]:
    """How a value could be written as a decimal: the forms worth hiding."""
    forms = {repr(value), f"{value:.6g}", f"{value:.4g}", f"{value:.3g}", number(value)}
    forms |= {f.lstrip("-") for f in forms}
    return {f for f in forms if re.search(r"\d\.\d|\de", f)}


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)


@settings(max_examples=200, deadline=None)
@given(
    expected=st.lists(finite, min_size=1, max_size=12),
    yours=st.lists(finite, min_size=1, max_size=12),
    total=st.integers(min_value=0, max_value=500),
)
def test_no_expected_or_returned_value_appears_without_reveal(
    expected: list[float], yours: list[float], total: int
) -> None:
    pairs = list(zip(expected, yours * len(expected), strict=False))
    mismatches = [Mismatch("x", (k,), (k,), y, e) for k, (e, y) in enumerate(pairs)]
    quoted = ", ".join(f"{e!r} / {number(e)} / {e:.3g} vs {y}" for e, y in pairs)
    result = PuzzleResult(
        "relu",
        "ReLU",
        "failed",
        message=f"{len(pairs) + total} of 100 entries wrong: {quoted}",
        mismatch_total=len(pairs) + total,
        mismatches=mismatches,
        diagnosis=f"expected {quoted}",
        violations=[Finding("no-array-literal", f"np.array([{quoted}])", 3)],
        arrays={"x": (np.array(yours), np.array(expected))},
    )
    text = feedback(result, RELU)
    for value in [*expected, *yours]:
        for spelling in _spellings(value):
            assert spelling not in text, (spelling, text)
    assert f"{len(pairs) + total} of 100 entries wrong" in text
    assert HIDDEN in text or not any(_spellings(v) for v in [*expected, *yours])


def test_verdict_records_the_wrong_shape() -> None:
    x = np.linspace(-1.0, 1.0, 10)
    sample = Sample(
        points=[{"x": x, "g": np.ones(10)}],
        expected=[Expected(jac={"x": np.diag(1.0 * (x > 0))}, value=x, vjp={})],
        redrawn=[],
    )
    outcome = Outcome("ok", arrays=[{"x": 1.0 * (x > 0)}])
    result = verdict(RELU, outcome, sample, AnswerInfo("jac", "jac_relu", 1, []))
    assert result.status == "failed"
    assert result.shape == ShapeCheck("d/dx", (10, 10), (10,), ("O", "I"))
    assert feedback(result, RELU).splitlines()[1] == (
        "Shape of d/dx: expected (O, I) = (10, 10), yours (10,)."
    )


def test_feedback_on_graded_wrong_answers_hides_every_value(grade: Grade) -> None:
    report = grade(ANSWERS / "jax_wrong.py", "jax")
    failed = [p for p in report.puzzles if p.mismatches]
    assert failed
    for p in report.puzzles:
        text = feedback(p, JAX.get(p.id))
        assert text.startswith(f"{p.id}: {p.status}: ")
        for m in p.mismatches:
            for spelling in _spellings(m.expected):
                assert spelling not in text, (p.id, spelling)
        revealed = feedback(p, JAX.get(p.id), reveal=True)
        if p.mismatches:
            assert f"expected {number(p.mismatches[0].expected)}" in revealed
