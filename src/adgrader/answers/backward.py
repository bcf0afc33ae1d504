"""The `backward` answer form, answer-process side.

An answer is a class with static `forward(ctx, *inputs)` and `backward(ctx, g)` (as
the MiniTorch course writes scalar functions) or a function `vjp_<id>(*inputs, g)`.
Both are called with upstream gradients `g`: one-hot ones, which rebuild the whole
Jacobian row by row, and the point's seeded `g`, which checks that the answer is
linear in `g` (a backward that forgets to multiply by `g` is right for one-hot ones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


class Context:
    """What `forward` saves for `backward`: `ctx.save_for_backward(a, b)`, then
    `a, b = ctx.saved_values` (or `ctx.saved_tensors`)."""

    def __init__(self) -> None:
        self.saved_values: tuple[Any, ...] = ()

    def save_for_backward(self, *values: Any) -> None:
        self.saved_values = values

    @property
    def saved_tensors(self) -> tuple[Any, ...]:
        return self.saved_values


class ScalarFunction:
    """The base class a backward answer names (`class Sigmoid(ScalarFunction)`).

    It is here so that course code runs as written; a class answers whether or not it
    derives from it. `apply` runs `forward` with a fresh context.
    """

    @classmethod
    def apply(cls, *inputs: Any) -> Any:
        return cls.forward(Context(), *inputs)  # type: ignore[attr-defined]


def is_class_answer(obj: Any) -> bool:
    return isinstance(obj, type)


def one_hots(out_shape: Sequence[int]) -> np.ndarray:
    """Every one-hot upstream gradient of the output's shape, stacked: (N, *out_shape)."""
    size = int(np.prod(out_shape, dtype=np.int64))
    return np.eye(size).reshape((size, *out_shape))


def split_gradients(value: Any, count: int) -> tuple[Any, ...] | None:
    """One gradient per input from what backward returned, or None if it is not that.

    A single input's gradient may come bare or as a 1-tuple, as MiniTorch allows.
    """
    if count == 1:
        if isinstance(value, tuple) and len(value) == 1:
            return (value[0],)
        return (value,)
    if isinstance(value, (tuple, list)) and len(value) == count:
        return tuple(value)
    return None


def stack_rows(rows: list[np.ndarray], out_shape: Sequence[int]) -> np.ndarray | None:
    """The Jacobian from the gradients for each one-hot g, or None when their shapes
    differ (the gradient for the seeded g then shows the learner what is wrong)."""
    shapes = {r.shape for r in rows}
    if len(shapes) != 1:
        return None
    (shape,) = shapes
    return np.stack(rows).reshape((*out_shape, *shape))


def class_methods(cls: type, name: str) -> tuple[Callable[..., Any], Callable[..., Any]] | str:
    """The class's `forward` and `backward`, or what is wrong with the class."""
    missing = [m for m in ("forward", "backward") if not callable(getattr(cls, m, None))]
    if missing:
        return (
            f"class {name} has no {' or '.join(missing)}: a backward answer defines "
            "static methods forward(ctx, ...) and backward(ctx, g)"
        )
    return cls.forward, cls.backward  # type: ignore[attr-defined]
