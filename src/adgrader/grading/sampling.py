"""Seeded sample points for a puzzle: the same seed and puzzle always give the same points."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import numpy as np

from ..spec import Puzzle

Point = dict[str, np.ndarray]  # the inputs by name, and `g`, the upstream gradient


def point_stream(puzzle: Puzzle, seed: int) -> Iterator[Point]:
    """An endless stream of points drawn uniformly from the puzzle's bounds.

    Each puzzle has its own stream (seeded by the seed and the puzzle id), so selecting
    a few puzzles with `-p` grades them at the same points as a full run.
    """
    rng = np.random.default_rng([seed, zlib.crc32(puzzle.id.encode())])
    while True:
        yield {
            inp.name: rng.uniform(inp.bounds[0], inp.bounds[1], size=inp.shape)
            for inp in puzzle.inputs
        }


COTANGENT_SIZE = (0.2, 0.9)


def cotangents(puzzle: Puzzle, seed: int, count: int) -> list[np.ndarray]:
    """Upstream gradients `g` for backward answers, one per point slot.

    Entries are 0.2 to 0.9 in size with random signs: never near 0 (which hides a
    wrong gradient) nor near 1 (which hides a backward that forgets to multiply by g).
    A slot keeps its `g` when its point is redrawn.
    """
    rng = np.random.default_rng([seed, zlib.crc32(puzzle.id.encode()), 1])
    shape = puzzle.out_shape
    return [
        rng.uniform(*COTANGENT_SIZE, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        for _ in range(count)
    ]


def probe_points(puzzle: Puzzle) -> list[Point]:
    """The puzzle's fixed probe points, as float64 arrays of the declared shapes."""
    out = []
    for probe in puzzle.probes:
        out.append(
            {
                inp.name: np.asarray(probe[inp.name], dtype=np.float64).reshape(inp.shape)
                for inp in puzzle.inputs
            }
        )
    return out
