"""Turning a `dx = lambda i, o: ...` index function into a whole Jacobian array.

The fast path calls the lambda once with broadcast index arrays; a spot-check of
scalar calls confirms that the lambda means the same thing on arrays as on numbers
(`1 if i == o else 0` does not). Otherwise every index pair is called one by one.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

SPOT_CHECKS = 24


class IndexFnError(Exception):
    """The index function failed or returned a non-number; says at which indices."""


def jacobian_from_index_fn(
    fn: Callable[..., Any],
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    in_names: Sequence[str] = (),
    out_names: Sequence[str] = (),
) -> np.ndarray:
    """J[o..., i...] = fn(i..., o...) for every index, as a float64 array."""
    full = out_shape + in_shape
    fast = _broadcast(fn, in_shape, out_shape)
    if fast is not None and _spot_check(fn, fast, in_shape, out_shape):
        return fast
    return _loop(fn, in_shape, out_shape, list(in_names), list(out_names), full)


def _call(fn: Callable[..., Any], out_idx: Sequence[Any], in_idx: Sequence[Any]) -> Any:
    return fn(*in_idx, *out_idx)


def _broadcast(
    fn: Callable[..., Any], in_shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> np.ndarray | None:
    full = out_shape + in_shape
    grids = np.ogrid[tuple(slice(0, n) for n in full)] if full else []
    nout = len(out_shape)
    try:
        with np.errstate(all="ignore"):
            value = _call(fn, grids[:nout], grids[nout:])
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            return None
        return np.array(np.broadcast_to(arr, full), dtype=np.float64)
    except Exception:
        return None


def _spot_check(
    fn: Callable[..., Any], fast: np.ndarray, in_shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> bool:
    full = out_shape + in_shape
    total = math.prod(full)
    rng = np.random.default_rng(total)
    picks = {0, total - 1, *rng.integers(0, total, size=SPOT_CHECKS).tolist()}
    nout = len(out_shape)
    for flat in sorted(picks):
        idx = tuple(int(v) for v in np.unravel_index(flat, full)) if full else ()
        try:
            with np.errstate(all="ignore"):
                scalar = float(np.asarray(_call(fn, idx[:nout], idx[nout:]), dtype=np.float64))
        except Exception:
            return False
        want = fast[idx]
        same = scalar == want or (np.isnan(scalar) and np.isnan(want))
        if not same and not abs(scalar - want) <= 1e-12 * max(abs(scalar), abs(want)):
            return False
    return True


def _loop(
    fn: Callable[..., Any],
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    in_names: list[str],
    out_names: list[str],
    full: tuple[int, ...],
) -> np.ndarray:
    out = np.empty(full, dtype=np.float64)
    nout = len(out_shape)
    names = in_names or [f"i{k}" for k in range(len(in_shape))]
    onames = out_names or [f"o{k}" for k in range(nout)]
    for idx in itertools.product(*(range(n) for n in full)):
        o, i = idx[:nout], idx[nout:]
        try:
            with np.errstate(all="ignore"):
                value = _call(fn, o, i)
        except BaseException as exc:
            where = ", ".join(f"{n}={v}" for n, v in zip([*names, *onames], [*i, *o], strict=True))
            raise IndexFnError(f"raised {type(exc).__name__} at {where}: {exc}") from exc
        try:
            arr = np.asarray(value)
            if arr.shape != () or arr.dtype.kind not in "biuf":
                raise TypeError
            out[idx] = float(arr)
        except (TypeError, ValueError):
            where = ", ".join(f"{n}={v}" for n, v in zip([*names, *onames], [*i, *o], strict=True))
            raise IndexFnError(
                f"returned {_kind(value)} at {where}; it should return one number"
            ) from None
    return out


def _kind(value: Any) -> str:
    if value is None:
        return "None"
    arr = np.asarray(value, dtype=object) if not isinstance(value, np.ndarray) else value
    if getattr(arr, "shape", ()) != ():
        return f"an array of shape {tuple(arr.shape)}"
    return f"a {type(value).__name__}"
