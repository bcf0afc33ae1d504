"""Seeded sample points for a puzzle, stratified so that they cover its bounds.

The same seed and puzzle always give the same points: each puzzle has its own random
generator, seeded by the seed and the puzzle id, so selecting a few puzzles with `-p`
grades them at the same points as a full run.

Coverage, with K >= 2 points: the bounds [lo, hi] of each input are cut into K strata,
and every entry of every input takes a value in each stratum once across the K points
(a Latin hypercube: each entry gets its own random order of the strata). The two outer
strata are the outer quarter of the width on each side (the outer 1/K when K > 4); the
other K - 2 split the middle half evenly. So every entry takes a value below
lo + (hi - lo)/4 and one above hi - (hi - lo)/4: an answer that is right only on part
of the bounds (only above the middle, only below it, or only within a quarter of the
width of the middle) is wrong at one of the points, at every seed. With the default
K = 3 the strata are the lower quarter, the middle half and the upper quarter; with
K = 2, the two outer quarters.

With K = 1 the one point is drawn from the whole bounds: one point cannot cover both
halves. A point redrawn where jacfwd and finite differences disagree (a kink, a tie)
is drawn again in its own strata, so a redraw keeps the coverage. Fixed probes are
taken as the puzzle's author gave them.
"""

from __future__ import annotations

import zlib

import numpy as np

from ..spec import Puzzle

Point = dict[str, np.ndarray]  # the inputs by name, and `g`, the upstream gradient

EDGE = 0.25  # the outer strata lie within this fraction of the width from each bound


def strata(k: int) -> np.ndarray:
    """K strata of [0, 1] as rows (low, high): fractions of the bounds' width.

    The outer two are [0, e) and [1 - e, 1) with e = min(EDGE, 1/K); the other K - 2
    split [e, 1 - e) evenly. K = 1 gives the whole interval, K = 2 the two outer
    quarters (nothing in between), K >= 4 equal strata.
    """
    if k < 1:
        return np.zeros((0, 2))
    if k == 1:
        return np.array([[0.0, 1.0]])
    edge = min(EDGE, 1.0 / k)
    inner = np.linspace(edge, 1.0 - edge, max(k - 1, 2))
    cuts = np.concatenate([[0.0], inner, [1.0]])
    rows = np.stack([cuts[:-1], cuts[1:]], axis=1)
    return rows[[0, -1]] if k == 2 else rows


class Draws:
    """The K random points of one puzzle at one seed, one slot per point.

    `point(slot)` draws a point inside the strata that slot holds for each entry;
    calling it again for the same slot is a redraw in the same strata. The strata
    are assigned, and every point drawn, in a fixed order from one generator, so the
    seed, the puzzle and the order of calls fix every point.
    """

    def __init__(self, puzzle: Puzzle, seed: int, k: int) -> None:
        self.puzzle = puzzle
        self.k = k
        self.strata = strata(k)
        self._rng = np.random.default_rng([seed, zlib.crc32(puzzle.id.encode())])
        # slots[name][j] is the stratum of each entry of input `name` at point j
        self.slots = {
            inp.name: self._rng.permuted(
                np.broadcast_to(np.arange(k).reshape(k, *([1] * len(inp.shape))), (k, *inp.shape)),
                axis=0,
            )
            for inp in puzzle.inputs
        }

    def point(self, slot: int) -> Point:
        """A fresh point in `slot`'s strata, as float64 arrays of the declared shapes."""
        out: Point = {}
        for inp in self.puzzle.inputs:
            stratum = self.slots[inp.name][slot]
            low, high = self.strata[stratum, 0], self.strata[stratum, 1]
            unit = low + self._rng.random(inp.shape) * (high - low)
            lo, hi = inp.bounds
            out[inp.name] = np.asarray(lo + unit * (hi - lo), dtype=np.float64)
        return out


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
