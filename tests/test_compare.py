"""The comparison: exact shapes, a tolerance that scales with the Jacobian, no false passes."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from adgrader.grading.compare import compare, tolerance


def test_equal_arrays_pass_and_a_wrong_entry_fails_with_its_indices() -> None:
    expected = np.eye(4)
    assert compare(expected.copy(), expected, "x", 0, n_out=1).ok
    wrong = expected.copy()
    wrong[2, 3] = 0.5
    result = compare(wrong, expected, "x", 0, n_out=1)
    assert not result.ok
    assert result.total == 1
    (m,) = result.mismatches
    assert (m.out, m.inp, m.yours, m.expected) == ((2,), (3,), 0.5, 0.0)


def test_shapes_must_match_exactly_never_broadcast() -> None:
    expected = np.ones((10, 1))
    result = compare(np.ones((1, 1)), expected, "x", 0, n_out=1)
    assert not result.ok and result.shape_error
    assert not compare(np.ones(10), expected, "x", 0, n_out=1).ok
    assert not compare(np.ones((1, 10)), expected, "x", 0, n_out=1).ok


def test_tiny_jacobians_are_checked_at_their_own_scale() -> None:
    # The classic product puzzle: 50 numbers in [-1, 1] give a Jacobian near 1e-21.
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 50)
    expected = (np.prod(x) / x)[None, :]
    assert np.max(np.abs(expected)) < 1e-15
    right = np.array([[np.prod(np.delete(x, i)) for i in range(50)]])
    assert compare(right, expected, "x", 0, n_out=1).ok
    assert not compare(2 * right, expected, "x", 0, n_out=1).ok
    assert not compare(np.zeros_like(right), expected, "x", 0, n_out=1).ok
    assert not compare(-right, expected, "x", 0, n_out=1).ok


def test_all_zero_jacobian_uses_a_tiny_floor() -> None:
    expected = np.zeros((3, 3))
    assert compare(np.full((3, 3), 1e-14), expected, "y", 0, n_out=1).ok
    assert not compare(np.full((3, 3), 1e-9), expected, "y", 0, n_out=1).ok


def test_non_finite_entries_always_fail() -> None:
    expected = np.ones((2, 2))
    for bad in (np.nan, np.inf, -np.inf):
        yours = expected.copy()
        yours[0, 1] = bad
        result = compare(yours, expected, "x", 0, n_out=1)
        assert not result.ok and result.total == 1


def test_booleans_count_as_zero_and_one() -> None:
    expected = np.eye(3)
    assert compare(np.eye(3, dtype=bool), expected, "x", 0, n_out=1).ok
    assert not compare(~np.eye(3, dtype=bool), expected, "x", 0, n_out=1).ok


def test_only_the_first_ten_mismatches_are_kept_but_all_are_counted() -> None:
    expected = np.ones((5, 5))
    result = compare(np.zeros((5, 5)), expected, "x", 0, n_out=1)
    assert result.total == 25 and len(result.mismatches) == 10


# Entries a float64 Jacobian can hold with full precision: zero, or 1e-300 and up in size
# (subnormal numbers below ~1e-308 lose digits; no tolerance can be scale-aware there).
finite = st.one_of(st.just(0.0), st.floats(1e-300, 1e6), st.floats(-1e6, -1e-300))


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=finite),
    st.floats(1e-3, 1e3),
)
def test_identical_passes_and_a_scaled_nonzero_answer_fails(
    expected: np.ndarray, factor: float
) -> None:
    assert compare(expected.copy(), expected, "x", 0, n_out=1).ok
    if np.max(np.abs(expected)) > 0 and abs(factor - 1) > 1e-3:
        assert not compare(expected * factor, expected, "x", 0, n_out=1).ok


@settings(max_examples=60, deadline=None)
@given(
    arrays(
        np.float64,
        st.integers(1, 20),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    )
)
def test_tolerance_is_positive_and_scales_with_the_largest_entry(expected: np.ndarray) -> None:
    tol = tolerance(expected)
    assert np.all(tol > 0)
    assert np.all(tol >= 1e-6 * np.max(np.abs(expected)))
