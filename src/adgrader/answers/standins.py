"""Names the notebooks' answer cells expect, standing in for what adgrader does not load.

`Shaped`, `Float` and `Array` let the 2024 notebook's jaxtyping signatures load as
written. The 2022 cells compute helpers with torch before the line a learner fills in
(`pr = torch.prod(x)`, `out = torch.cumsum(x, 0)`, `sort, argsort = torch.sort(x, 0)`):
answers get a numpy stand-in as `torch` unless they import the real one, so those
cells run unchanged without installing torch.
"""

from __future__ import annotations

import types
from typing import Any, NamedTuple

import numpy as np


class SortResult(NamedTuple):
    values: np.ndarray
    indices: np.ndarray


def sort(x: Any, dim: int = -1, descending: bool = False) -> SortResult:
    arr = np.asarray(x)
    idx = np.argsort(-arr if descending else arr, axis=dim, kind="stable")
    return SortResult(np.take_along_axis(arr, idx, axis=dim), idx)


def prod(x: Any, dim: int | None = None) -> Any:
    return np.prod(np.asarray(x), axis=dim)


def cumsum(x: Any, dim: int) -> Any:
    return np.cumsum(np.asarray(x), axis=dim)


class NotebookArray(np.ndarray):
    """A float64 numpy array that, like the 2022 notebook's 1-element torch tensors,
    converts to a Python float when it holds one number, so `math.cos(x)` keeps working.
    """

    def __float__(self) -> float:
        if self.size != 1:
            raise TypeError(
                f"only an array of one number converts to float, not shape {self.shape}"
            )
        return float(self.reshape(()).view(np.ndarray))


def notebook_array(values: Any) -> NotebookArray:
    """A fresh float64 copy of `values` as a NotebookArray."""
    return np.array(values, dtype=np.float64).view(NotebookArray)


class _TorchStandIn(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        raise AttributeError(
            f"torch.{name} is not available: adgrader's numpy stand-in for torch has only "
            "prod, cumsum and sort; write the answer with np or math instead"
        )


torch = _TorchStandIn("torch", "numpy stand-in for the torch calls of the 2022 notebook")
torch.prod = prod  # type: ignore[attr-defined]
torch.cumsum = cumsum  # type: ignore[attr-defined]
torch.sort = sort  # type: ignore[attr-defined]


class Annotation:
    """Stands in for jaxtyping's `Shaped[Array, "..."]` so notebook signatures load as written."""

    def __class_getitem__(cls, item: Any) -> type[Annotation]:
        return cls


def submission_names(jax: Any) -> dict[str, Any]:
    """What every submission sees before its own first line runs."""
    import math

    from .backward import Context, ScalarFunction

    return {
        "np": jax.numpy,
        "math": math,
        "Shaped": Annotation,
        "Float": Annotation,
        "Array": jax.Array,
        "torch": torch,
        "Context": Context,
        "ScalarFunction": ScalarFunction,
        "Function": ScalarFunction,
    }
