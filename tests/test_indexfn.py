"""Building a Jacobian from a `dx = lambda i, o: ...` index function."""

from __future__ import annotations

import numpy as np
import pytest

from adgrader.answers.indexfn import IndexFnError, jacobian_from_index_fn


def test_broadcastable_lambda_gives_the_full_jacobian() -> None:
    jac = jacobian_from_index_fn(lambda i, o: (i == o) * 4, (5,), (5,))
    assert np.array_equal(jac, 4 * np.eye(5))


def test_scalar_only_lambda_falls_back_to_the_loop() -> None:
    jac = jacobian_from_index_fn(lambda i, o: 1 if i == o + 1 else 0, (4,), (3,))
    assert np.array_equal(jac, np.eye(3, 4, k=1))


def test_constant_result_is_spread_over_every_entry() -> None:
    jac = jacobian_from_index_fn(lambda i, o: 0.1, (10,), (1,))
    assert jac.shape == (1, 10) and np.allclose(jac, 0.1)


def test_matrix_indices_are_input_first_then_output() -> None:
    jac = jacobian_from_index_fn(lambda i, j, o, p: (i == p) * (j == o), (2, 3), (3, 2))
    expected = np.zeros((3, 2, 2, 3))
    for o in range(3):
        for p in range(2):
            expected[o, p, p, o] = 1
    assert np.array_equal(jac, expected)


def test_a_lambda_that_means_something_else_on_arrays_is_caught_by_the_spot_check() -> None:
    # On arrays `min(i, o)` raises, but `np.minimum`-like tricks can silently differ:
    # here the array call returns a wrong constant while scalar calls are right.
    def sneaky(i, o):  # type: ignore[no-untyped-def]
        if isinstance(i, np.ndarray):
            return 7.0
        return float(i == o)

    jac = jacobian_from_index_fn(sneaky, (6,), (6,))
    assert np.array_equal(jac, np.eye(6))


def test_spot_check_always_includes_the_first_and_last_entries() -> None:
    def differs_in_the_middle(i, o):  # type: ignore[no-untyped-def]
        if isinstance(i, np.ndarray):
            return np.ones(np.broadcast(i, o).shape)
        return 0.0 if (i, o) == (0, 0) or (i, o) == (9, 9) else 1.0

    jac = jacobian_from_index_fn(differs_in_the_middle, (10,), (10,))
    assert jac[0, 0] == 0 and jac[9, 9] == 0 and jac[3, 4] == 1


def test_errors_name_the_failing_indices() -> None:
    with pytest.raises(IndexFnError, match=r"raised ZeroDivisionError at i=0, o=3"):
        jacobian_from_index_fn(lambda i, o: 1 / 0 if o == 3 else 0, (2,), (5,), ["i"], ["o"])


def test_non_numbers_are_reported() -> None:
    with pytest.raises(IndexFnError, match="returned None at i=0, o=0"):
        jacobian_from_index_fn(lambda i, o: None, (2,), (2,), ["i"], ["o"])
    with pytest.raises(IndexFnError, match="returned a str"):
        jacobian_from_index_fn(lambda i, o: "1", (2,), (2,), ["i"], ["o"])
