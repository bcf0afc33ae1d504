"""Value checks take their scale from the whole puzzle, so a right answer is not failed
where its value crosses 0: MiniTorch's own `Log` (its `operators.log` is
`math.log(x + 1e-6)`) passes at every seed 0-99, and a wrong `Log` fails at every one.

The verdicts are judged on arrays built with numpy at the real points (log's derivative
is known), checked once against the oracle; two real gradings show the same path."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import cache

import numpy as np
import pytest

from adgrader.answers.client import AnswerInfo, Outcome
from adgrader.grading import oracle, verdict
from adgrader.result import PuzzleResult
from adgrader.spec import load_set

from .conftest import ANSWERS, Grade

SEEDS = range(100)
LOG = load_set("scalar").get("log")
EPS = 1e-6  # MiniTorch's operators.EPS

Forward = Callable[[float], float]
Backward = Callable[[float, float], float]  # (x, d_out) -> the gradient for x

MINITORCH = (lambda x: np.log(x + EPS), lambda x, d: d / (x + EPS))
WRONG: dict[str, tuple[Forward, Backward]] = {
    "log(x) + 1e-3": (lambda x: np.log(x) + 1e-3, lambda x, d: d / x),
    "backward forgets d_out": (MINITORCH[0], lambda x, d: 1.0 / (x + EPS)),
}


@cache
def sample(seed: int) -> oracle.Sample:
    """log's points at `seed` (the probe included) and, built with numpy, what the
    oracle expects there: log x, its derivative 1/x, and g/x."""
    points = oracle.first_points(LOG, seed, 3)
    expected = [
        oracle.Expected(jac={"x": 1 / p["x"]}, value=np.log(p["x"]), vjp={"x": p["g"] / p["x"]})
        for p in points
    ]
    return oracle.Sample(points, expected, [])


def judged(forward: Forward, backward: Backward, seed: int) -> PuzzleResult:
    """The verdict on a `Log` class: its forward, the Jacobian rebuilt with g = 1, and
    its gradient for each point's own g, as the answer process sends them."""
    found = sample(seed)
    arrays = [
        {
            "value": np.asarray(forward(float(p["x"]))),
            "x": np.asarray(backward(float(p["x"]), 1.0)),
            "vjp_x": np.asarray(backward(float(p["x"]), float(p["g"]))),
        }
        for p in found.points
    ]
    info = AnswerInfo("backward", "Log", 1, [])
    return verdict.verdict(LOG, Outcome("ok", arrays=arrays), found, info)


def test_the_hand_built_expectations_are_the_oracles() -> None:
    real = oracle.compute_sample(LOG, 3, 3)
    assert real.redrawn == []
    for mine, its in zip(sample(3).expected, real.expected, strict=True):
        assert np.allclose(mine.value, its.value, rtol=1e-14, atol=0)
        assert np.allclose(mine.jac["x"], its.jac["x"], rtol=1e-14, atol=0)
        assert np.allclose(mine.vjp["x"], its.vjp["x"], rtol=1e-14, atol=0)


def test_some_seeds_put_a_point_where_log_crosses_zero() -> None:
    # what the puzzle-wide scale is for: |log x| < 0.05 at a point of these seeds
    near = [s for s in SEEDS if any(abs(float(e.value)) < 0.05 for e in sample(s).expected)]
    assert len(near) >= 5


def test_minitorchs_own_log_passes_at_every_seed() -> None:
    failing = {s: r.message for s in SEEDS if not (r := judged(*MINITORCH, s)).passed}
    assert failing == {}


@pytest.mark.parametrize("mistake", WRONG)
def test_a_wrong_log_fails_at_every_seed(mistake: str) -> None:
    passing = [s for s in SEEDS if judged(*WRONG[mistake], s).status != "failed"]
    assert passing == []


def test_the_value_scale_is_the_largest_over_every_point_probes_included() -> None:
    scales = verdict.value_scales(LOG, sample(0))
    assert scales["value"] == max(abs(float(e.value)) for e in sample(0).expected)
    assert scales["value"] == pytest.approx(np.log(3.5))  # at seed 0, the probe x = 3.5
    assert scales["vjp_x"] == max(abs(float(e.vjp["x"])) for e in sample(0).expected)


def test_with_a_per_point_scale_minitorchs_log_would_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    # the check above can fail: at one point's own scale, atol vanishes near x = 1
    # a scale of None: `compare` takes each array's own
    monkeypatch.setattr(verdict, "value_scales", lambda puzzle, sample: defaultdict(lambda: None))
    failing = [s for s in SEEDS if not judged(*MINITORCH, s).passed]
    assert failing and judged(*MINITORCH, failing[0]).message.startswith("forward returns")


@pytest.mark.parametrize(
    ("name", "status"), [("scalar_minitorch_log.py", "passed"), ("scalar_log_off.py", "failed")]
)
def test_graded_for_real(grade: Grade, name: str, status: str) -> None:
    # seed 3 fails MiniTorch's Log at one point's own scale
    report = grade(ANSWERS / name, "scalar", puzzles=("log",), seed=3)
    (log,) = report.puzzles
    assert log.status == status
    if status == "failed":
        assert log.message.startswith("forward returns the wrong value at point")
        assert {m.kind for m in log.mismatches} == {"value"}
