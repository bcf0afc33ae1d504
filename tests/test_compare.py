"""The comparison: exact shapes, a tolerance that scales with the Jacobian, no false passes,
and one predicate of "right" that grading, diagnoses and pictures share."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from adgrader.grading.compare import compare, largest, tolerance, within
from adgrader.grading.diagnose import _close
from adgrader.report.heatmap import wrong_mask


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


# ---------------------------------------------------------------- the one predicate


def test_within_is_the_tolerance_entry_by_entry() -> None:
    expected = np.array([1.0, -2.0, 0.0, 1e-3])
    tol = 1e-6 * 2.0 + 1e-5 * np.abs(expected)  # atol from the largest entry, 2
    assert within(expected + 0.99 * tol, expected).all()
    assert not within(expected + 1.01 * tol, expected).any()
    assert not within(expected - 1.01 * tol, expected).any()


def test_a_tiny_jacobian_is_checked_at_its_own_scale() -> None:
    expected = np.array([[3e-21, -1e-21, 2e-21]])
    assert within(expected * (1 + 5e-6), expected).all()
    assert not within(expected * (1 + 5e-5), expected).any()
    assert not within(np.zeros_like(expected), expected).any()  # no absolute floor here


def test_subnormal_entries_keep_a_positive_tolerance() -> None:
    expected = np.array([5e-320, 0.0])  # subnormal: 1e-6 of it underflows to 0
    assert np.all(tolerance(expected) > 0)
    assert within(expected.copy(), expected).all()
    assert not within(np.array([1e-300, 0.0]), expected)[0]


def test_all_zero_uses_the_floor() -> None:
    expected = np.zeros(4)
    assert within(np.full(4, 1e-13), expected).all()
    assert not within(np.full(4, 1e-11), expected).any()


def test_nan_and_infinity_are_never_within_on_either_side() -> None:
    expected = np.array([1.0, 2.0, 3.0])
    for bad in (np.nan, np.inf, -np.inf):
        yours = expected.copy()
        yours[1] = bad
        assert within(yours, expected).tolist() == [True, False, True]
        assert within(expected, yours).tolist() == [True, False, True]  # nor scale the rest
    assert not within(np.array([np.inf]), np.array([np.inf])).any()


def test_booleans_are_zero_and_one() -> None:
    assert within(np.array([True, False]), np.array([1.0, 0.0])).all()
    assert not within(np.array([True, False]), np.array([0.0, 1.0])).any()


def test_shapes_must_agree_even_where_numpy_would_broadcast() -> None:
    with pytest.raises(ValueError, match="shapes differ"):
        within(np.ones((1, 1)), np.ones((10, 1)))


def test_a_given_scale_sets_atol_for_values_near_zero() -> None:
    # log x at x = 1 + 1e-3 against MiniTorch's log(x + 1e-6): right within the
    # puzzle's scale (its largest value over all points), wrong at the point's own
    expected = np.array(np.log(1.001))
    yours = np.array(np.log(1.001 + 1e-6))
    assert not within(yours, expected).all()
    assert within(yours, expected, scale=1.25).all()
    assert not within(np.array(np.log(1.001) + 1e-3), expected, scale=1.25).all()
    assert compare(yours, expected, "f", 0, 0, kind="value", scale=1.25).ok
    assert not compare(yours, expected, "f", 0, 0, kind="value").ok


def test_largest_is_the_largest_finite_entry_over_every_array() -> None:
    assert largest([np.array([1.0, -3.0]), np.array(2.0), np.array([np.inf, np.nan])]) == 3.0
    assert largest([np.zeros(3)]) == largest([]) == 0.0


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=finite),
    arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=finite),
)
def test_grading_diagnoses_and_pictures_agree_on_every_entry(
    expected: np.ndarray, noise: np.ndarray
) -> None:
    if noise.shape != expected.shape:
        noise = np.resize(noise, expected.shape)
    yours = expected + noise * 1e-5
    right = within(yours, expected)
    assert np.array_equal(_close(yours, expected), right)
    assert np.array_equal(wrong_mask(yours, expected), ~right)
    result = compare(yours, expected, "x", 0, n_out=1)
    assert result.total == int((~right).sum()) and result.ok == bool(right.all())
