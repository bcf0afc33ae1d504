"""Comparing an answer's Jacobian with the oracle's: exact shape, scale-aware tolerance."""

from __future__ import annotations

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


def tolerance(expected: np.ndarray) -> np.ndarray:
    """atol + rtol*|expected|, with atol relative to the Jacobian's largest entry.

    Relative atol keeps the check meaningful for tiny Jacobians (a product of 50
    numbers has entries near 1e-21); the floor applies only when all entries are zero.
    """
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    # Below ~1e-302 the relative atol would underflow to 0 (denormals): keep it positive.
    atol = max(ATOL_SCALE * scale, float(np.finfo(np.float64).tiny)) if scale > 0 else ATOL_FLOOR
    return np.asarray(atol + RTOL * np.abs(expected))


def compare(
    yours: np.ndarray,
    expected: np.ndarray,
    wrt: str,
    point: int,
    n_out: int,
    shown: int = SHOWN,
    kind: str = "jacobian",
) -> Comparison:
    """Compare exactly-shaped arrays; never broadcast. Non-finite entries always fail.

    The first `n_out` axes index the output, the rest the input `wrt`.
    """
    if yours.shape != expected.shape:
        return Comparison(False, shape_error=f"{yours.shape}")
    yours = yours.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        bad = ~(np.abs(yours - expected) <= tolerance(expected))
    bad |= ~np.isfinite(yours)
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
