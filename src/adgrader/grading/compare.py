"""Comparing an answer's arrays with the oracle's: exact shape, one scale-aware tolerance."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..result import Mismatch

RTOL = 1e-5
ATOL_SCALE = 1e-6
ATOL_FLOOR = 1e-12
SHOWN = 10


@dataclass
class Comparison:
    """Whether one Jacobian matches, and the wrong entries if not."""

    ok: bool
    shape_error: str = ""
    total: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def largest(arrays: Iterable[np.ndarray]) -> float:
    """The largest finite |entry| over all `arrays` (0 when there is none).

    The scale of a tolerance: of one Jacobian for the Jacobian checks, of one array over
    every point of a puzzle for the value checks (`verdict`), where a single point's
    value may be near 0 (log x at x = 1) and its own scale would leave no atol at all.
    """
    found = 0.0
    for a in arrays:
        v = np.abs(np.asarray(a, dtype=np.float64))
        v = v[np.isfinite(v)]
        if v.size:
            found = max(found, float(v.max()))
    return found


def tolerance(expected: np.ndarray, scale: float | None = None) -> np.ndarray:
    """atol + rtol*|expected|, with atol = ATOL_SCALE * scale (max |expected| by default).

    Relative atol keeps the check meaningful for tiny Jacobians (a product of 50
    numbers has entries near 1e-21); the floor applies only when the scale is zero.
    """
    expected = np.asarray(expected, dtype=np.float64)
    if scale is None:
        scale = largest([expected])
    # Below ~1e-302 the relative atol would underflow to 0 (denormals): keep it positive.
    atol = max(ATOL_SCALE * scale, float(np.finfo(np.float64).tiny)) if scale > 0 else ATOL_FLOOR
    return np.asarray(atol + RTOL * np.abs(expected))


def within(yours: np.ndarray, expected: np.ndarray, scale: float | None = None) -> np.ndarray:
    """Entry by entry, whether yours is right: |yours - expected| <= `tolerance`.

    The one test of "right" that grading, diagnoses and pictures share. Booleans count
    as 0 and 1; an entry where either side is NaN or infinite is never right. The two
    arrays must have the same shape: nothing is ever broadcast.
    """
    y = np.asarray(yours, dtype=np.float64)
    e = np.asarray(expected, dtype=np.float64)
    if y.shape != e.shape:
        raise ValueError(f"shapes differ: {y.shape} and {e.shape}")
    with np.errstate(invalid="ignore", over="ignore"):
        right = np.abs(y - e) <= tolerance(e, scale)
    return np.asarray(right & np.isfinite(y) & np.isfinite(e))


def compare(
    yours: np.ndarray,
    expected: np.ndarray,
    wrt: str,
    point: int,
    n_out: int,
    shown: int = SHOWN,
    kind: str = "jacobian",
    scale: float | None = None,
) -> Comparison:
    """Compare exactly-shaped arrays; never broadcast. Non-finite entries always fail.

    The first `n_out` axes index the output, the rest the input `wrt`. `scale` sets
    atol (see `within`); by default it is the largest entry of `expected`.
    """
    if yours.shape != expected.shape:
        return Comparison(False, shape_error=f"{yours.shape}")
    yours = yours.astype(np.float64)
    bad = ~within(yours, expected, scale)
    total = int(bad.sum())
    if total == 0:
        return Comparison(True)
    entries = []
    for idx in np.argwhere(bad)[:shown]:
        key = tuple(int(v) for v in idx)
        entries.append(
            Mismatch(
                wrt=wrt,
                out=key[:n_out],
                inp=key[n_out:],
                yours=float(yours[key]),
                expected=float(expected[key]),
                point=point,
                kind=kind,
            )
        )
    return Comparison(False, total=total, mismatches=entries)
