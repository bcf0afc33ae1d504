"""The oracle: seeded points, redraws at kinks, and results kept between runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adgrader import caches
from adgrader.errors import SpecError
from adgrader.grading import oracle, sampling
from adgrader.spec import Puzzle, load_set, load_set_dir

SET = "id: tiny\ntitle: Tiny\nbounds: [-1, 1]\npuzzles: [{name}]\n"
PUZZLE = """id: {name}
title: Tiny
statement: a test puzzle
dims: {{I: 4, O: 4}}
inputs:
  x: [I]
output: [O]
f: {f}
index_form: "0"
"""


def tiny(tmp_path: Path, name: str, f: str, bounds: str = "") -> Puzzle:
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "set.yaml").write_text(SET.format(name=name))
    (folder / f"{name}.yaml").write_text(PUZZLE.format(name=name, f=f) + bounds)
    return load_set_dir(folder).puzzles[0]


def test_points_depend_only_on_seed_and_puzzle() -> None:
    relu = load_set("jax").get("relu")
    a = oracle.first_points(relu, 0, 3)
    b = oracle.first_points(relu, 0, 3)
    c = oracle.first_points(relu, 1, 3)
    assert all(np.array_equal(p["x"], q["x"]) for p, q in zip(a, b, strict=True))
    assert not np.array_equal(a[0]["x"], c[0]["x"])
    assert all(np.all((p["x"] >= -0.5) & (p["x"] < 0.5)) for p in a)


def test_expected_jacobian_is_float64_jacfwd() -> None:
    cumsum = load_set("jax").get("cumsum")
    found = oracle.sample(cumsum, 0, 2)
    assert found.expected[0].jac["x"].dtype == np.float64
    assert np.array_equal(found.expected[0].jac["x"], np.tril(np.ones((10, 10))) / 20)


def test_a_point_on_a_kink_is_redrawn_in_its_own_strata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    puzzle = tiny(tmp_path, "kinked_relu", "x * (x > 0)")
    kinked = {"x": np.array([0.3, 1e-9, -0.2, 0.4])}  # 1e-9: finite differences straddle 0
    calls: list[int] = []

    class Kinked(sampling.Draws):
        def point(self, slot: int) -> dict[str, np.ndarray]:
            calls.append(slot)
            return dict(kinked) if len(calls) == 1 else super().point(slot)

    monkeypatch.setattr(oracle, "Draws", Kinked)
    monkeypatch.setenv("ADGRADER_NO_CACHE", "1")
    found = oracle.sample(puzzle, 0, 2)
    assert found.redrawn == [0] and calls == [0, 1, 0]
    x = found.points[0]["x"]
    assert np.min(np.abs(x)) > 1e-6
    assert np.array_equal(found.expected[0].jac["x"], np.diag(1.0 * (x > 0)))
    # the redraw is in the strata slot 0 holds, as a first draw there would be
    strata = sampling.strata(2)[sampling.Draws(puzzle, 0, 2).slots["x"][0]]
    unit = (x + 1) / 2  # bounds [-1, 1]
    assert np.all((strata[:, 0] <= unit) & (unit < strata[:, 1]))


def test_bounds_that_sit_on_a_kink_are_a_spec_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADGRADER_NO_CACHE", "1")
    puzzle = tiny(tmp_path, "abs_at_zero", "np.abs(x)", "bounds: [-1.0e-7, 1.0e-7]\n")
    with pytest.raises(SpecError, match="disagree"):
        oracle.sample(puzzle, 0, 1)


def test_a_wrong_output_declaration_is_a_spec_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADGRADER_NO_CACHE", "1")
    puzzle = tiny(tmp_path, "too_long", "np.concatenate([x, x])")
    with pytest.raises(SpecError, match="declares"):
        oracle.sample(puzzle, 0, 1)


def test_results_are_kept_on_disk_and_a_broken_file_is_recomputed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    puzzle = tiny(tmp_path, "double", "2 * x")
    path = caches.results_path(puzzle, 5, 2)
    assert path is not None and not path.exists()
    found = oracle.compute_sample(puzzle, 5, 2)
    oracle._save(path, found)
    loaded = oracle._load(path, puzzle, 2)
    assert loaded is not None
    assert all(
        np.array_equal(a.jac["x"], b.jac["x"])
        for a, b in zip(loaded.expected, found.expected, strict=True)
    )
    assert caches.results_path(puzzle, 6, 2) != path  # another seed, another file
    path.write_bytes(b"not an npz")
    assert oracle._load(path, puzzle, 2) is None


@pytest.mark.parametrize(("set_name", "puzzle_id"), [("jax", "sort"), ("jax", "conv1d")])
def test_the_expected_vjp_and_value_are_jaxs_own(
    set_name: str, puzzle_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`g` contracted with the Jacobian is what `jax.vjp` gives, at every point."""
    from adgrader.spec.scope import names_of

    monkeypatch.setenv("ADGRADER_NO_CACHE", "1")
    puzzle = load_set(set_name).get(puzzle_id)
    jax = oracle.init_jax()
    f = names_of(puzzle, jax)["f"]
    found = oracle.compute_sample(puzzle, 3, 2)
    for point, expected in zip(found.points, found.expected, strict=True):
        args = [point[n] for n in puzzle.arg_names]
        value, pullback = jax.vjp(f, *args)
        np.testing.assert_allclose(expected.value, value, rtol=0, atol=1e-15)
        for name, vjp in zip(puzzle.arg_names, pullback(point["g"]), strict=True):
            assert expected.vjp[name].shape == vjp.shape
            np.testing.assert_allclose(expected.vjp[name], vjp, rtol=1e-12, atol=1e-15)


def test_building_ahead_leaves_a_broken_puzzle_to_be_reported_in_its_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADGRADER_NO_CACHE", "1")
    broken = tiny(tmp_path, "too_long", "np.concatenate([x, x])")
    cumsum = load_set("jax").get("cumsum")
    oracle.build_ahead([broken, cumsum])  # no error here
    assert caches.spec_key(cumsum) in oracle._ORACLES
    assert caches.spec_key(broken) not in oracle._ORACLES
    assert np.array_equal(
        oracle.compute_sample(cumsum, 0, 2).expected[0].jac["x"], np.tril(np.ones((10, 10))) / 20
    )
    with pytest.raises(SpecError, match="declares"):
        oracle.compute_sample(broken, 0, 2)
