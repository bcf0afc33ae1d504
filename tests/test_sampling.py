"""The sample points cover each input's bounds, so an answer right on only part of them
fails at every seed: the sampling itself on hand-built puzzles and on every built-in
puzzle's shapes, then answers right only for x > 0, only for x < 0 and only away from
the edges, judged at the oracle's points for seeds 0-99, and graded for real twice."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adgrader.answers.client import AnswerInfo, Outcome
from adgrader.grading import oracle, verdict
from adgrader.grading.sampling import EDGE, Draws, strata
from adgrader.result import PuzzleResult
from adgrader.spec import Input, Puzzle, load_set

from .conftest import ANSWERS, SUBMISSIONS, Grade

SEEDS = range(100)
SETS = ("jax", "classic", "scalar", "tensor")


def hand_built(shapes: dict[str, tuple[int, ...]], bounds: tuple[float, float], pid: str) -> Puzzle:
    """A puzzle with only what sampling reads: its id and its inputs' shapes and bounds."""
    inputs = tuple(
        Input(name, shape, shape, tuple(f"i{k}" for k in range(len(shape))), bounds)
        for name, shape in shapes.items()
    )
    return Puzzle(
        id=pid, title=pid, statement="", number=1, inputs=inputs, output_dims=(),
        out_shape=(), out_index=(), dims={}, givens={}, f="x", index_form="x",
        probes=(), aliases=(), score=1.0, source="",
    )  # fmt: skip


def unit(points: list[dict[str, np.ndarray]], inp: Input) -> np.ndarray:
    """Input `inp` at each point as fractions of its bounds' width: shape (K, *shape)."""
    lo, hi = inp.bounds
    return (np.stack([p[inp.name] for p in points]) - lo) / (hi - lo)


def assert_covered(puzzle: Puzzle, points: list[dict[str, np.ndarray]]) -> None:
    """Every entry of every input has a value in each outer quarter of its bounds
    (so also in each half), and all values lie inside the bounds."""
    for inp in puzzle.inputs:
        u = unit(points, inp)
        assert np.all((u >= 0) & (u <= 1))
        assert np.all(np.min(u, axis=0) < EDGE), (puzzle.id, inp.name, "lower quarter")
        assert np.all(np.max(u, axis=0) >= 1 - EDGE), (puzzle.id, inp.name, "upper quarter")


# ---------------------------------------------------------------- the strata


def test_strata_put_the_outer_quarters_first_and_last() -> None:
    assert strata(1).tolist() == [[0.0, 1.0]]
    assert strata(2).tolist() == [[0.0, 0.25], [0.75, 1.0]]
    assert strata(3).tolist() == [[0.0, 0.25], [0.25, 0.75], [0.75, 1.0]]
    assert strata(4).tolist() == [[0.0, 0.25], [0.25, 0.5], [0.5, 0.75], [0.75, 1.0]]
    for k in range(3, 12):
        rows = strata(k)
        assert len(rows) == k and rows[0, 0] == 0.0 and rows[-1, 1] == 1.0
        assert np.allclose(rows[1:, 0], rows[:-1, 1])  # contiguous from K = 3 on
        assert rows[0, 1] <= EDGE and rows[-1, 0] >= 1 - EDGE


@settings(max_examples=80, deadline=None)
@given(
    shape=st.lists(st.integers(1, 4), max_size=3).map(tuple),
    low=st.floats(-100, 100),
    width=st.floats(1e-3, 100),
    k=st.integers(2, 9),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_entry_takes_each_stratum_once_and_redraws_stay_in_it(
    shape: tuple[int, ...], low: float, width: float, k: int, seed: int
) -> None:
    puzzle = hand_built({"x": shape, "y": (2,)}, (low, low + width), "any")
    draws = Draws(puzzle, seed, k)
    points = [draws.point(j) for j in range(k)]
    rows = strata(k)
    for inp in puzzle.inputs:
        slots = draws.slots[inp.name]
        each = np.arange(k).reshape(k, *([1] * len(inp.shape)))
        assert np.array_equal(np.sort(slots, axis=0), np.broadcast_to(each, slots.shape))
        for j in range(k):
            for again in (points[j], draws.point(j)):  # the first draw and a redraw
                u = unit([again], inp)[0]
                # within the slot's stratum, up to the rounding of lo + u * width
                assert np.all(u >= rows[slots[j], 0] - 1e-9)
                assert np.all(u <= rows[slots[j], 1] + 1e-9)
    assert_covered(puzzle, points)


def test_the_same_seed_and_puzzle_give_the_same_points_and_another_seed_others() -> None:
    puzzle = hand_built({"x": (5,)}, (-1.0, 1.0), "same")
    a, b, c = Draws(puzzle, 7, 3), Draws(puzzle, 7, 3), Draws(puzzle, 8, 3)
    first = [a.point(j)["x"] for j in range(3)]
    assert all(np.array_equal(p, b.point(j)["x"]) for j, p in enumerate(first))
    assert not np.array_equal(first[0], c.point(0)["x"])
    other = Draws(hand_built({"x": (5,)}, (-1.0, 1.0), "other"), 7, 3)
    assert not np.array_equal(first[0], other.point(0)["x"])  # each puzzle its own stream


def test_one_point_is_drawn_from_the_whole_bounds() -> None:
    puzzle = hand_built({"x": (2000,)}, (-1.0, 1.0), "one")
    x = Draws(puzzle, 0, 1).point(0)["x"]
    assert -1 <= x.min() < -0.9 and 0.9 < x.max() <= 1  # no stratum: anywhere at all


@pytest.mark.parametrize("set_name", SETS)
def test_every_built_in_puzzle_is_covered_at_every_seed(set_name: str) -> None:
    for puzzle in load_set(set_name).puzzles:
        for seed in SEEDS:
            assert_covered(puzzle, oracle.first_points(puzzle, seed, 3)[:3])


def test_points_do_not_depend_on_the_other_puzzles_graded() -> None:
    # `-p relu` grades at the points of a full run: the points are a function of
    # (seed, puzzle), whichever puzzles are drawn before
    jax = load_set("jax")
    relu = jax.get("relu")
    alone = oracle.first_points(relu, 3, 3)
    for p in jax.puzzles:
        oracle.first_points(p, 3, 3)
    again = oracle.first_points(relu, 3, 3)
    assert all(np.array_equal(a["x"], b["x"]) for a, b in zip(alone, again, strict=True))


# ---------------------------------------------------------------- answers right on part


Answer = Callable[[np.ndarray], np.ndarray]
LAST = 9  # relu's last coordinate: the wrong answers are wrong only through it
Is, Os = np.arange(10), np.arange(10)[:, None]

COS: dict[str, Answer] = {
    "right": lambda x: -np.sin(x)[None],
    "x > 0": lambda x: -np.abs(np.sin(x))[None],
    "x < 0": lambda x: np.abs(np.sin(x))[None],
    "middle": lambda x: np.where(np.abs(x) < 0.25, -np.sin(x), 0.0)[None],
}


def relu_wrong_at(c: int) -> dict[str, Answer]:
    """ReLU answers right everywhere except through x[c]: for x[c] < 0, for x[c] > 0,
    or for |x[c]| >= 0.25 (a quarter of the width from the middle, and beyond)."""
    return {
        "right": lambda x: (Os == Is) * (x > 0),
        "x > 0": lambda x: (Os == Is) * np.where(Is == c, 1.0, x > 0),
        "x < 0": lambda x: (Os == Is) * np.where(Is == c, 0.0, x > 0),
        "middle": lambda x: (Os == Is) * np.where((Is == c) & (np.abs(x) >= 0.25), 0.5, x > 0),
    }


@cache
def sample(puzzle_id: str, seed: int) -> oracle.Sample:
    """The oracle's points and Jacobians for a jax puzzle, with redraws, uncached on disk."""
    return oracle.compute_sample(load_set("jax").get(puzzle_id), seed, 3)


def judged(puzzle_id: str, answer: Answer, seed: int) -> PuzzleResult:
    """What `verdict` makes of `answer` at the oracle's points: the grading without the
    answer process."""
    puzzle = load_set("jax").get(puzzle_id)
    found = sample(puzzle_id, seed)
    arrays = [{"x": np.asarray(answer(p["x"]), dtype=np.float64)} for p in found.points]
    info = AnswerInfo("jac", f"jac_{puzzle_id}", 1, [])
    return verdict.verdict(puzzle, Outcome("ok", arrays=arrays), found, info)


@pytest.mark.parametrize("right_on", ["right", "x > 0", "x < 0", "middle"])
@pytest.mark.parametrize("puzzle_id", ["cos", "relu"])
def test_an_answer_right_on_part_of_the_bounds_fails_at_every_seed(
    puzzle_id: str, right_on: str
) -> None:
    answer = (COS if puzzle_id == "cos" else relu_wrong_at(LAST))[right_on]
    statuses = {seed: judged(puzzle_id, answer, seed).status for seed in SEEDS}
    want = "passed" if right_on == "right" else "failed"
    assert {s for s in statuses if statuses[s] != want} == set()


@pytest.mark.parametrize("c", range(10))
def test_each_coordinate_of_relu_reaches_every_wrong_region(c: int) -> None:
    # wrong only through x[c]: the points (after any redraw) reach each region at every seed
    answers = relu_wrong_at(c)
    for seed in SEEDS:
        points = sample("relu", seed).points[:3]
        for right_on in ("x > 0", "x < 0", "middle"):
            assert any(
                not np.array_equal(answers[right_on](p["x"]), answers["right"](p["x"]))
                for p in points
            ), (seed, right_on)


@pytest.mark.parametrize(
    ("path", "seed", "right_on"),
    [
        (ANSWERS / "jax_right_above_zero.py", 6, "x > 0"),
        (ANSWERS / "jax_right_in_the_middle.py", 8, "middle"),
    ],
    ids=["above-zero", "middle"],
)
def test_graded_for_real_they_fail_as_judged(
    grade: Grade, path: Path, seed: int, right_on: str
) -> None:
    # seeds 6 and 8: where three uniform draws from [-0.5, 0.5] all fell above 0
    report = grade(path, "jax", puzzles=("cos", "relu"), seed=seed)
    right = grade(SUBMISSIONS / "jax_solution.py", "jax", puzzles=("cos", "relu"), seed=seed)
    assert {p.id: p.status for p in right.puzzles} == {"cos": "passed", "relu": "passed"}
    answers = {"cos": COS[right_on], "relu": relu_wrong_at(LAST)[right_on]}
    for got in report.puzzles:
        want = judged(got.id, answers[got.id], seed)
        assert (got.status, got.message) == (want.status, want.message) != ("passed", "")
        assert got.mismatches == want.mismatches
