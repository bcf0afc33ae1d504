"""Verdicts (grading/verdict.py) on hand-built arrays: no answer process, no jax.

At each point the checks run in order (a class's forward value, the shapes of a
backward's gradients, the Jacobian, then the gradients for the point's `g`) and the
first that fails is what the learner is told."""

from __future__ import annotations

from dataclasses import replace

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from msgspec import structs

from adgrader.answers.protocol import Found, Outcome
from adgrader.grading.oracle import Expected, Sample
from adgrader.grading.verdict import expected_arrays, merge, value_scales, verdict
from adgrader.result import STATUSES, Finding
from adgrader.spec import load_set

RELU = load_set("jax").get("relu")  # x (10,) -> (10,)
MUL = load_set("scalar").get("mul")  # class Mul: x, y single numbers
SUM = load_set("tensor").get("sum")  # vjp_sum: x (3, 4) -> (3,)
JAC = Found("jac", "jac_relu", 4)
CLASS = Found("backward", "Mul", 7)
VJP = Found("backward", "vjp_sum", 2)


def relu_sample(points: int = 1) -> Sample:
    """relu at `points` points with every other entry negative: its Jacobian is diag(x > 0)."""
    xs = [np.linspace(-1.0, 1.0, 10) + 0.05 * k for k in range(points)]
    return Sample(
        points=[{"x": x, "g": np.ones(10)} for x in xs],
        expected=[
            Expected(jac={"x": np.diag((x > 0) * 1.0)}, value=np.maximum(x, 0), vjp={}) for x in xs
        ],
        redrawn=[],
    )


def relu_right(sample: Sample) -> Outcome:
    return Outcome("ok", arrays=[{"x": e.jac["x"].copy()} for e in sample.expected])


def mul_sample(x: float = 2.0, y: float = -3.0, g: float = 0.5) -> Sample:
    expected = Expected(
        jac={"x": np.array(y), "y": np.array(x)},
        value=np.array(x * y),
        vjp={"x": np.array(g * y), "y": np.array(g * x)},
    )
    return Sample([{"x": np.array(x), "y": np.array(y), "g": np.array(g)}], [expected], [])


def mul_arrays(sample: Sample, **changes: np.ndarray) -> Outcome:
    """What a right Mul class sends back, with `changes` put in."""
    e = sample.expected[0]
    arrays = {
        "value": e.value,
        "x": e.jac["x"],
        "y": e.jac["y"],
        "vjp_x": e.vjp["x"],
        "vjp_y": e.vjp["y"],
    }
    return Outcome("ok", arrays=[{**arrays, **changes}])


def replace_found(found: Found, **changes: object) -> Found:
    return msgspec.structs.replace(found, **changes)


# ---------------------------------------------------------------- the Jacobian


def test_right_jacobians_pass_and_score_the_puzzles_points() -> None:
    sample = relu_sample(3)
    result = verdict(RELU, relu_right(sample), sample, JAC)
    assert (result.status, result.score, result.max_score) == ("passed", 1.0, 1.0)
    assert (result.form, result.line, result.message) == ("jac", 4, "")
    assert result.mismatches == [] and result.violations == [] and result.warnings == []


def test_wrong_entries_fail_with_their_count_the_point_and_the_first_ten() -> None:
    sample = relu_sample(3)
    outcome = relu_right(sample)
    outcome.arrays[1]["x"] = np.eye(10)  # right at point 1, 5 entries wrong at point 2
    result = verdict(RELU, outcome, sample, JAC)
    assert result.status == "failed" and result.score == 0
    assert result.message == "5 of 100 entries wrong at point 2 of 3"
    assert result.mismatch_total == 5
    assert [(m.out, m.inp, m.yours, m.expected, m.point) for m in result.mismatches][:2] == [
        ((0,), (0,), 1.0, 0.0, 1),
        ((1,), (1,), 1.0, 0.0, 1),
    ]
    yours, expected = result.arrays["x"]
    assert (yours == np.eye(10)).all() and (expected == sample.expected[1].jac["x"]).all()
    outcome.arrays[1]["x"] = np.ones((10, 10))  # 95 wrong: only ten kept
    many = verdict(RELU, outcome, sample, JAC)
    assert many.mismatch_total == 95 and len(many.mismatches) == 10


def test_one_point_is_not_numbered() -> None:
    sample = relu_sample(1)
    result = verdict(RELU, Outcome("ok", arrays=[{"x": np.eye(10)}]), sample, JAC)
    assert result.message == "5 of 100 entries wrong"


def test_a_probe_is_named_as_one_and_the_seeded_points_are_counted_without_it() -> None:
    with_probe = structs.replace(RELU, probes=({"x": [0.5] * 10},))
    sample = relu_sample(3)  # two seeded points, then the probe
    outcome = relu_right(sample)
    outcome.arrays[2]["x"] = np.eye(10)
    assert verdict(with_probe, outcome, sample, JAC).message == (
        "5 of 100 entries wrong at fixed probe 1 of 1"
    )
    outcome.arrays[1]["x"] = np.eye(10)
    assert verdict(with_probe, outcome, sample, JAC).message == (
        "5 of 100 entries wrong at point 2 of 2"
    )


def test_a_single_wrong_entry_of_a_single_entry_is_the_one() -> None:
    neg = structs.replace(load_set("scalar").get("neg"), probes=())
    expected = Expected(jac={"x": np.array(-1.0)}, value=np.array(-2.0), vjp={})
    sample = Sample([{"x": np.array(2.0), "g": np.array(1.0)}], [expected], [])
    info = Found("jac", "jac_neg", 1)
    result = verdict(neg, Outcome("ok", arrays=[{"x": np.array(1.0)}]), sample, info)
    assert (result.status, result.message) == ("failed", "the one entry is wrong")


def test_a_wrong_shape_fails_before_any_value_and_is_recorded() -> None:
    sample = relu_sample(2)
    outcome = relu_right(sample)
    outcome.arrays[0]["x"] = np.zeros(10)
    result = verdict(RELU, outcome, sample, JAC)
    assert result.status == "failed"
    assert result.message == "wrong shape for d/dx: expected (O, I) = (10, 10), got (10,)"
    assert result.shape is not None
    assert (result.shape.of, result.shape.expected, result.shape.yours) == ("d/dx", (10, 10), (10,))
    assert result.mismatches == []


def test_an_array_that_did_not_come_back_is_an_error() -> None:
    sample = relu_sample(1)
    result = verdict(RELU, Outcome("ok", arrays=[{}]), sample, JAC)
    assert (result.status, result.message) == ("error", "no x array came back")


@settings(max_examples=40, deadline=None)
@given(wrong=st.sets(st.tuples(st.integers(0, 9), st.integers(0, 9)), max_size=12))
def test_exactly_the_changed_entries_are_wrong(wrong: set[tuple[int, int]]) -> None:
    sample = relu_sample(1)
    jac = sample.expected[0].jac["x"].copy()
    for o, i in wrong:
        jac[o, i] += 0.5
    result = verdict(RELU, Outcome("ok", arrays=[{"x": jac}]), sample, JAC)
    assert result.status == ("failed" if wrong else "passed")
    assert result.mismatch_total == len(wrong)
    assert {(m.out[0], m.inp[0]) for m in result.mismatches} <= wrong
    assert len(result.mismatches) == min(len(wrong), 10)


# ---------------------------------------------------------------- backward answers


def test_a_right_backward_class_passes() -> None:
    sample = mul_sample()
    assert expected_arrays(MUL, CLASS) == ["vjp_x", "vjp_y", "x", "y", "value"]
    result = verdict(MUL, mul_arrays(sample), sample, CLASS, prefer="backward")
    assert (result.status, result.form) == ("passed", "backward")


def test_the_forward_value_is_checked_first() -> None:
    sample = mul_sample()
    wrong_everything = mul_arrays(sample, value=np.array(1.0), x=np.array(9.0), vjp_x=np.array(9.0))
    result = verdict(MUL, wrong_everything, sample, CLASS)
    assert result.status == "failed"
    assert result.message == "forward returns the wrong value"
    assert [(m.kind, m.yours, m.expected) for m in result.mismatches] == [("value", 1.0, -6.0)]
    assert result.line == CLASS.line  # no forward line known: the class's
    placed = verdict(MUL, wrong_everything, sample, replace_found(CLASS, forward_line=3))
    assert placed.line == 3  # the forward is what is wrong
    jac_wrong = mul_arrays(sample, x=np.array(9.0))
    assert verdict(MUL, jac_wrong, sample, replace_found(CLASS, forward_line=3)).line == 7
    shaped = verdict(MUL, mul_arrays(sample, value=np.zeros(2)), sample, CLASS)
    assert shaped.message == "forward returns shape (2,), but f's output has shape ()"
    assert shaped.shape is not None and shaped.shape.of == "f's value"


def test_the_gradients_shapes_come_before_the_jacobian() -> None:
    sample = mul_sample()
    outcome = mul_arrays(sample, x=np.array(9.0), vjp_y=np.zeros(1))
    result = verdict(MUL, outcome, sample, CLASS)
    assert (
        result.message
        == "wrong shape for the gradient of y: expected () (the shape of y), got (1,)"
    )
    assert result.shape is not None and result.shape.of == "the gradient of y"


def test_the_jacobian_comes_before_the_gradients_for_g() -> None:
    sample = mul_sample()
    result = verdict(MUL, mul_arrays(sample, x=np.array(9.0), vjp_x=np.array(9.0)), sample, CLASS)
    assert result.message == "1 of 2 entries wrong"
    assert {m.kind for m in result.mismatches} == {"jacobian"}


def test_gradients_wrong_only_for_the_points_g_fail_last_with_a_diagnosis() -> None:
    sample = mul_sample(g=0.5)
    forgot_g = mul_arrays(sample, vjp_x=np.array(-3.0), vjp_y=np.array(2.0))  # times g left out
    result = verdict(MUL, forgot_g, sample, CLASS)
    assert result.status == "failed"
    assert result.message == "2 of 2 gradient entries wrong"
    assert {m.kind for m in result.mismatches} == {"vjp"}
    assert "not multiplied by g" in result.diagnosis


def test_without_a_rebuilt_jacobian_only_the_gradients_are_compared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from adgrader.spec import model

    monkeypatch.setattr(model, "REBUILD_LIMIT", 0)  # as for a puzzle with a huge output
    assert expected_arrays(SUM, VJP) == ["vjp_x"]
    x, g = np.arange(12.0).reshape(3, 4), np.array([1.0, 2.0, 3.0])
    expected = Expected(jac={}, value=x.sum(1), vjp={"x": np.repeat(g[:, None], 4, axis=1)})
    sample = Sample([{"x": x, "g": g}], [expected], [])
    right = verdict(SUM, Outcome("ok", arrays=[{"vjp_x": expected.vjp["x"]}]), sample, VJP)
    assert right.status == "passed"
    wrong = verdict(SUM, Outcome("ok", arrays=[{"vjp_x": np.ones((3, 4))}]), sample, VJP)
    assert (wrong.status, wrong.message) == ("failed", "8 of 12 gradient entries wrong")


def test_value_scales_are_the_largest_over_every_point() -> None:
    sample = Sample(
        [{}, {}],
        [
            Expected(jac={}, value=np.array(0.001), vjp={"x": np.array(-4.0)}),
            Expected(jac={}, value=np.array(-2.0), vjp={"x": np.array(1.0), "y": np.array(3.0)}),
        ],
        [],
    )
    assert value_scales(MUL, sample) == {"value": 2.0, "vjp_x": 4.0, "vjp_y": 3.0}


# ---------------------------------------------------------------- rules, and what passes through


def test_right_values_with_an_error_rule_broken_are_a_violation() -> None:
    sample = relu_sample(1)
    broken = Finding("no-array-literal", "calls `array(...)`", 5, "error")
    warned = Finding("max-columns", "91 columns wide; the limit is 80", 5, "warn")
    result = verdict(RELU, relu_right(sample), sample, JAC, [broken, warned])
    assert (result.status, result.score) == ("violation", 0.0)
    assert result.message == "right values, but it breaks the no-array-literal rule"
    assert result.violations == [broken] and result.warnings == [warned]
    other = replace(broken, rule="no-autodiff")
    two = verdict(RELU, relu_right(sample), sample, JAC, [broken, other])
    assert two.message == "right values, but it breaks the no-array-literal, no-autodiff rules"


def test_a_warning_alone_still_passes_and_wrong_values_stay_failed() -> None:
    sample = relu_sample(1)
    warned = Finding("max-columns", "91 columns wide; the limit is 80", 5, "warn")
    assert verdict(RELU, relu_right(sample), sample, JAC, [warned]).status == "passed"
    broken = Finding("no-array-literal", "calls `array(...)`", 5, "error")
    wrong = verdict(RELU, Outcome("ok", arrays=[{"x": np.eye(10)}]), sample, JAC, [broken])
    assert wrong.status == "failed" and wrong.violations == [broken]


def test_an_ignored_definition_is_a_warning() -> None:
    sample = relu_sample(1)
    info = Found("jac", "jac_relu", 4, ("fb_relu",))
    result = verdict(RELU, relu_right(sample), sample, info)
    assert result.status == "passed"
    assert [(w.rule, w.message, w.severity) for w in result.warnings] == [
        ("answer", "jac_relu is graded; fb_relu is ignored", "warn")
    ]


def test_missing_says_how_to_answer_in_the_sets_form() -> None:
    result = verdict(RELU, Outcome("missing"), relu_sample(1), None, prefer="jac")
    assert (result.status, result.form, result.line) == ("missing", None, None)
    assert result.message == "no answer: add def jac_relu(x)"
    backward = verdict(MUL, Outcome("missing"), mul_sample(), None, prefer="backward")
    assert (
        backward.message == "no answer: add class Mul (forward, backward)\nor def vjp_mul(x, y, g)"
    )


@pytest.mark.parametrize("status", ["error", "timeout"])
def test_errors_and_timeouts_pass_through_with_their_line(status: str) -> None:
    sample = relu_sample(1)
    said = verdict(RELU, Outcome(status, message="it broke", line=9), sample, JAC)  # type: ignore[arg-type]
    assert (said.status, said.message, said.line, said.score) == (status, "it broke", 9, 0.0)
    unplaced = verdict(RELU, Outcome(status, message="it broke"), sample, JAC)  # type: ignore[arg-type]
    assert unplaced.line == 4  # the answer's own line


def test_autodiff_used_while_running_is_a_violation() -> None:
    sample = relu_sample(1)
    result = verdict(RELU, Outcome("autodiff", message="answers may not use jax's ...", line=6),
                     sample, JAC)  # fmt: skip
    assert (result.status, result.line) == ("violation", 6)
    assert [(f.rule, f.line) for f in result.violations] == [("no-autodiff", 6)]


@pytest.mark.parametrize(
    "outcome",
    [
        Outcome("ok", arrays=[{"x": np.eye(10)}]),
        Outcome("ok", arrays=[{"x": np.zeros(3)}]),
        Outcome("ok", arrays=[{}]),
        Outcome("error", message="e"),
        Outcome("timeout", message="t"),
        Outcome("missing"),
        Outcome("autodiff", message="a"),
    ],
    ids=["wrong", "shape", "absent", "error", "timeout", "missing", "autodiff"],
)
def test_todo_never_comes_from_a_verdict(outcome: Outcome) -> None:
    """`todo` (an untouched starter) is settled before anything runs; a verdict is on
    what ran."""
    status = verdict(RELU, outcome, relu_sample(1), JAC).status
    assert status in STATUSES and status != "todo"


# ---------------------------------------------------------------- redrawn points


def test_merge_puts_the_redrawn_points_arrays_in_their_slots() -> None:
    first = Outcome("ok", arrays=[{"x": np.full(1, k)} for k in range(4)])
    again = Outcome("ok", arrays=[{"x": np.full(1, 10)}, {"x": np.full(1, 30)}])
    merged = merge(first, again, [1, 3])
    assert merged.status == "ok"
    assert [float(a["x"][0]) for a in merged.arrays] == [0, 10, 2, 30]
    assert [float(a["x"][0]) for a in first.arrays] == [0, 1, 2, 3]  # first is left as it was


def test_merge_keeps_a_failed_rerun() -> None:
    first = Outcome("ok", arrays=[{"x": np.zeros(1)}])
    again = Outcome("timeout", message="did not finish")
    assert merge(first, again, [0]) is again
    with pytest.raises(ValueError):  # one array per redrawn point, or it is a bug
        merge(first, Outcome("ok", arrays=[]), [0])
