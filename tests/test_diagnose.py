"""Diagnoses of wrong Jacobians: each kind of mistake by its exact text, and no false ones."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from adgrader.grading import diagnose
from adgrader.grading.compare import within
from adgrader.spec import Puzzle, load_set

from .conftest import SUBMISSIONS, Grade

JAX = load_set("jax")
CLASSIC = load_set("classic")
CUMSUM = JAX.get("cumsum")  # (O, I) = (10, 10), one input
EMEAN = JAX.get("emean")  # x and y, index names o; i and j
TRANSPOSE = JAX.get("transpose")  # (O, P, I, J) = (4, 4, 4, 4)
RUNNING = JAX.get("running_mean")  # (O, I) = (8, 10)

SIGN = "wrong sign: every entry is the negative of the expected value"
TRANSPOSED = "transposed: you have d f[i] / d x[o]; swap the roles of o and i"


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.5, 2.0, shape) * np.sign(
        np.random.default_rng(seed + 1).uniform(-1, 1, shape)
    )


def one(puzzle: Puzzle, yours: np.ndarray, expected: np.ndarray) -> str:
    return diagnose.values(puzzle, {"x": (yours, expected)})


def close(yours: np.ndarray, target: np.ndarray) -> bool:
    return bool(within(yours, target).all())


# ---------------------------------------------------------------- one input


def test_sign() -> None:
    e = np.tril(np.ones((10, 10))) / 20
    assert one(CUMSUM, -e, e) == SIGN


@pytest.mark.parametrize(
    ("factor", "text"), [(2.0, "2"), (0.25, "0.25"), (1 / 3, "1/3"), (-2.0, "-2"), (1.5, "1.5")]
)
def test_factor(factor: float, text: str) -> None:
    e = np.tril(np.ones((10, 10))) / 20
    assert one(CUMSUM, factor * e, e) == f"every entry is {text} times the expected value"


def test_transposed_square() -> None:
    e = np.tril(np.ones((10, 10))) / 20
    assert one(CUMSUM, e.T, e) == TRANSPOSED


def test_two_axes_of_a_higher_rank_jacobian_swapped() -> None:
    tensordot = load_set("tensor").get("tensordot")  # x: (D0, J0, D1, J1) = (3, 2, 2, 2)
    ex, ey = rand(2, 2, 2, 3, 3, 2, 2, 2), rand(2, 2, 2, 3, 2, 2, 3, 3, seed=5)

    def told(x_yours: np.ndarray) -> str:
        return diagnose.values(tensordot, {"x": (x_yours, ex), "y": (ey, ey)})

    right_y = "d/dy is right; d/dx is wrong: "
    assert told(np.swapaxes(ex, 5, 7)) == right_y + "the input axes j0 and j1 are swapped"
    assert told(np.swapaxes(ex, 0, 1)) == right_y + "the output axes o and p are swapped"
    assert told(np.swapaxes(ex, 1, 5)) == "d/dy is right; d/dx is wrong"  # out p with in j0


def test_shifted_along_input_and_output() -> None:
    e = rand(10, 10)
    yours = np.zeros_like(e)
    yours[:, 1:] = e[:, :-1]
    assert one(CUMSUM, yours, e) == (
        "shifted by +1 along i (input index): yours[o, i] matches expected[o, i - 1]"
    )
    yours = np.full_like(e, 7.0)
    yours[:-2] = e[2:]
    assert one(CUMSUM, yours, e) == (
        "shifted by -2 along o (output index): yours[o, i] matches expected[o + 2, i]"
    )


def test_no_shift_claimed_where_expected_does_not_change_along_the_axis() -> None:
    e = np.ones((8, 10))
    yours = e.copy()
    yours[:, 0] = 3.0  # looks like a shift of a constant, but it is a wrong first column
    assert one(RUNNING, yours, e) == "right except at i = 0"


def test_boundary() -> None:
    e = rand(8, 10)
    yours = e.copy()
    yours[0] += 1
    assert one(RUNNING, yours, e) == "right except at o = 0"
    yours = e.copy()
    yours[:, -1] = 0
    assert one(RUNNING, yours, e) == "right except at the last i"
    yours = e.copy()
    yours[[0, -1]] *= 3
    assert one(RUNNING, yours, e) == "right except at o = 0 and the last o"


def test_a_few_entries() -> None:
    e = rand(10, 10)
    yours = e.copy()
    yours[3, 3] += 1
    yours[5, 5] += 1
    assert one(CUMSUM, yours, e) == "right except at (o=3, i=3), (o=5, i=5)"
    yours[0, 0] += 1  # a single wrong entry at a corner is listed, not called a boundary
    yours[3, 3] = e[3, 3]
    assert one(CUMSUM, yours, e) == "right except at (o=0, i=0), (o=5, i=5)"
    yours[[1, 2, 7], [1, 2, 7]] += 1  # five wrong entries: too many to list
    assert one(CUMSUM, yours, e) == ""


def test_differences_within_tolerance_are_not_mistakes() -> None:
    e = rand(10, 10)
    assert one(CUMSUM, e * (1 + 1e-7), e) == ""


@pytest.mark.parametrize("puzzle", [CUMSUM, RUNNING, TRANSPOSE], ids=lambda p: p.id)
def test_noise_gets_no_diagnosis(puzzle: Puzzle) -> None:
    shape = puzzle.jac_shape("x")
    assert one(puzzle, rand(*shape, seed=1), rand(*shape, seed=5)) == ""


# ---------------------------------------------------------------- two inputs


def test_one_input_right_the_other_wrong() -> None:
    e = np.eye(10) / 2
    assert diagnose.values(EMEAN, {"x": (e, e), "y": (2 * e, e)}) == (
        "d/dx is right; d/dy is wrong: every entry is 2 times the expected value"
    )
    assert diagnose.values(EMEAN, {"x": (rand(10, 10), e), "y": (e, e)}) == (
        "d/dy is right; d/dx is wrong"
    )


def test_both_inputs_wrong() -> None:
    e = np.tril(np.ones((10, 10)))
    assert diagnose.values(EMEAN, {"x": (-e, e), "y": (e.T, e)}) == (
        f"d/dx: {SIGN}; d/dy: transposed: you have d f[j] / d y[o]; swap the roles of o and j"
    )
    assert diagnose.values(EMEAN, {"x": (rand(10, 10), e), "y": (rand(10, 10, seed=3), e)}) == ""


# ---------------------------------------------------------------- matrices


@pytest.mark.parametrize(
    ("axes", "text"),
    [
        ((1, 0, 2, 3), "the output axes o, p are swapped"),
        ((0, 1, 3, 2), "the input axes i, j are swapped"),
        ((1, 0, 3, 2), "both the output axes o, p and the input axes i, j are swapped"),
        (
            (2, 3, 0, 1),
            "transposed: you have d f[i, j] / d x[o, p]; swap the roles of o, p and i, j",
        ),
    ],
)
def test_matrix_axes(axes: tuple[int, ...], text: str) -> None:
    e = rand(4, 4, 4, 4)
    assert one(TRANSPOSE, e.transpose(axes), e) == text


def test_forgetting_to_transpose() -> None:
    eye = np.eye(4)
    expected = np.einsum("oj,pi->opij", eye, eye)  # f[o, p] = x[p, o]
    identity = np.einsum("oi,pj->opij", eye, eye)
    assert one(TRANSPOSE, identity, expected) == (
        "the output axes o, p are swapped (equivalently, the input axes i, j)"
    )


def test_classic_matrix_puzzles_with_an_unused_input() -> None:
    view = CLASSIC.get("view")  # out (R, C), x (R, C), y (C,) unused
    e = rand(4, 10, 4, 10)
    zero = np.zeros(view.jac_shape("y"))
    assert diagnose.values(view, {"x": (e.transpose(2, 3, 0, 1), e), "y": (zero, zero)}) == (
        "d/dy is right; d/dx is wrong: "
        "transposed: you have d f[i, j] / d x[o, p]; swap the roles of o, p and i, j"
    )
    transpose = CLASSIC.get("transpose")  # out (C, R), x (R, C): no axis swap fits the shapes
    e = rand(*transpose.jac_shape("x"))
    zero = np.zeros(transpose.jac_shape("y"))
    assert diagnose.values(transpose, {"x": (-e, e), "y": (zero, zero)}) == (
        f"d/dy is right; d/dx is wrong: {SIGN}"
    )
    noise = rand(*transpose.jac_shape("x"), seed=9)
    assert diagnose.values(transpose, {"x": (noise, e), "y": (zero, zero)}) == (
        "d/dy is right; d/dx is wrong"
    )


# ---------------------------------------------------------------- properties

FACTORS = {2.0: "2", 3.0: "3", 0.5: "0.5", 0.25: "0.25", 10.0: "10", -2.0: "-2", 1.5: "1.5"}
entries = st.integers(-1000, 1000).map(lambda v: v / 100)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (10, 10), elements=entries), st.sampled_from(sorted(FACTORS)))
def test_an_exactly_scaled_copy_names_its_factor(e: np.ndarray, factor: float) -> None:
    assume(np.count_nonzero(e) >= 2)
    assert (
        one(CUMSUM, factor * e, e) == f"every entry is {FACTORS[factor]} times the expected value"
    )


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, (10, 10), elements=entries),
    arrays(np.float64, (10, 10), elements=entries),
    st.booleans(),
)
def test_transposed_only_when_it_is(e: np.ndarray, other: np.ndarray, flip: bool) -> None:
    yours = e.T.copy() if flip else other
    assume(not close(yours, e))
    text = one(CUMSUM, yours, e)
    if "transposed" in text:
        assert close(yours, e.T)
    if flip and not text.startswith(("wrong sign", "every entry")):
        assert text == TRANSPOSED


# ---------------------------------------------------------------- shapes


def test_shape_diagnoses() -> None:
    mean = JAX.get("mean")
    assert diagnose.shape(RUNNING, "x", (10, 8)) == (
        "expected (O, I) = (8, 10), got (10, 8): transposed? The output's axes come first."
    )
    assert diagnose.shape(mean, "x", (10,)) == (
        "missing the axis of size 1: (1, I) = (1, 10) means one output entry by I inputs"
    )
    whole = "the Jacobian is output shape + input shape"
    assert diagnose.shape(RUNNING, "x", (8,)) == f"got the shape of the output only; {whole}"
    assert diagnose.shape(RUNNING, "x", (10,)) == f"got the shape of the input x only; {whole}"
    assert diagnose.shape(CUMSUM, "x", (10,)) == (
        f"got the shape of the output (or of the input) only; {whole}"
    )
    assert diagnose.shape(RUNNING, "x", (80,)) == (
        "same number of entries, other layout: reshape to (O, I)"
    )
    assert diagnose.shape(TRANSPOSE, "x", (16, 16)) == (
        "same number of entries, other layout: reshape to (O, P, I, J)"
    )
    assert diagnose.shape(RUNNING, "x", (1, 8, 10)) == (
        "an extra axis of size 1 (axis 0); the Jacobian is (O, I) = (8, 10)"
    )
    assert diagnose.shape(JAX.get("conv1d"), "y", (5, 6)) == (
        "expected (O, W) = (6, 5), got (5, 6): transposed? The output's axes come first."
    )
    assert diagnose.shape(RUNNING, "x", (3, 3)) == ""
    assert diagnose.shape(RUNNING, "x", (8, 10)) == ""


# ---------------------------------------------------------------- end to end


def test_the_example_with_mistakes_is_diagnosed(grade: Grade) -> None:
    report = grade(SUBMISSIONS / "jax_mistakes.py", "jax")
    found = {p.id: p.diagnosis for p in report.puzzles}
    assert found["emean"] == (
        "d/dx is right; d/dy is wrong: every entry is 2 times the expected value"
    )
    assert found["cumsum"] == TRANSPOSED
    assert found["mean"] == (
        "missing the axis of size 1: (1, I) = (1, 10) means one output entry by I inputs"
    )
    assert found["cos"] == SIGN
    assert all(not p.diagnosis for p in report.puzzles if p.passed)
