"""The set is found, not guessed wrong: the marker line wins, else the answers' names,
arguments and forms decide, for files and for both notebooks."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from adgrader.spec import PuzzleSet, available_sets, load_set
from adgrader.submission import Submission, read_submission
from adgrader.submission.infer import better_set, better_set_hint, fit, infer_set

from .conftest import ANSWERS, HOSTILE, SUBMISSIONS
from .test_notebook import (
    CLASSIC_LIBRARY,
    JAX_LIBRARY,
    classic_blocks,
    jax_blocks,
    write_notebook,
)

EXAMPLES = sorted(SUBMISSIONS.glob("*.py")) + sorted(ANSWERS.glob("*.py"))


@pytest.fixture(scope="module")
def sets() -> list[PuzzleSet]:
    return [load_set(name) for name in available_sets()]


def _unmarked(path: Path) -> Submission:
    return replace(read_submission(path), declared=None, declared_at="")


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_is_found_without_its_marker(path: Path, sets: list[PuzzleSet]) -> None:
    marked = read_submission(path).declared or "jax"  # the unmarked ones are jax answers
    got, why = infer_set(_unmarked(path), sets)
    assert got == marked, why
    assert len(why) <= 72 and f"set {marked}" in why


def test_the_marker_line_wins(tmp_path: Path, sets: list[PuzzleSet]) -> None:
    path = tmp_path / "answers.py"
    path.write_text("# adgrader: set=classic\ndef jac_neg(x):\n    return -1\n", encoding="utf-8")
    assert infer_set(read_submission(path), sets) == (
        "classic",
        "named by its `# adgrader: set=classic` line (line 1)",
    )
    path.write_text("# adgrader: set=clasic\ndef fb_neg(x):\n    return 0\n", encoding="utf-8")
    got, why = infer_set(read_submission(path), sets)
    assert got == "classic"
    assert why.startswith("its set=clasic line names no set (did you mean classic?); ")


def test_names_decide_between_sets_that_share_ids(tmp_path: Path, sets: list[PuzzleSet]) -> None:
    """jax's puzzles are classic's too: the form, an extra id and the arguments tell."""
    cases = {
        "def jac_relu(x):\n    return 1\n": "jax",  # the jac form is jax's own
        "def fb_relu(x):\n    f = lambda o: x[o]\n    dx = lambda i, o: 1\n    return f, dx\n": (
            "classic"
        ),
        "def jac_relu(x):\n    return 1\ndef jac_broadcast(x, y):\n    return 1, 1\n": "classic",
        "def jac_view(x, y):\n    return 1, 1\n": "classic",  # classic's View takes x, y
        "def vjp_mul(x, y, g):\n    return g, g\ndef vjp_sum(x, g):\n    return g\n": "tensor",
        "class Sigmoid(ScalarFunction):\n    pass\n": "scalar",
        "def helper():\n    pass\n": "jax",  # nothing to go by: the default set
    }
    for source, expected in cases.items():
        path = tmp_path / "answers.py"
        path.write_text(source, encoding="utf-8")
        assert infer_set(read_submission(path), sets)[0] == expected, source


def test_a_file_with_a_syntax_error_goes_by_its_names(
    tmp_path: Path, sets: list[PuzzleSet]
) -> None:
    path = tmp_path / "answers.py"
    path.write_text("def fb_neg(x)\n    return 0\n\ndef fb_broad(x, y):\n", encoding="utf-8")
    assert infer_set(read_submission(path), sets)[0] == "classic"
    assert infer_set(read_submission(HOSTILE / "syntax_error.py"), sets)[0] == "jax"


@pytest.mark.parametrize("filled", [True, False], ids=["filled", "blank"])
def test_notebooks_are_found_by_version(
    tmp_path: Path, sets: list[PuzzleSet], filled: bool
) -> None:
    path, _, _ = write_notebook(tmp_path / "a.ipynb", JAX_LIBRARY, jax_blocks(filled))
    got, why = infer_set(read_submission(path), sets)
    assert (got, why) == (
        "jax",
        "a 2024 notebook: its jac cells fit 20 of the 20 puzzles of set jax",
    )
    path, _, _ = write_notebook(tmp_path / "b.ipynb", CLASSIC_LIBRARY, classic_blocks(filled))
    got, why = infer_set(read_submission(path), sets)
    assert got == "classic" and why.startswith("a 2022 notebook: its fb_ cells fit 21 of the 21")


def test_a_notebook_with_few_answers_is_still_found(tmp_path: Path, sets: list[PuzzleSet]) -> None:
    blocks = [b for b in classic_blocks(True) if b.pid in ("running_mean", "transpose")]
    path, _, _ = write_notebook(tmp_path / "b.ipynb", CLASSIC_LIBRARY, blocks)
    assert infer_set(read_submission(path), sets)[0] == "classic"
    blocks = [b for b in jax_blocks(True) if b.pid in ("view", "relu")]
    path, _, _ = write_notebook(tmp_path / "a.ipynb", JAX_LIBRARY, blocks)
    assert infer_set(read_submission(path), sets)[0] == "jax"


@pytest.mark.parametrize(
    ("name", "asked", "better"),
    [
        ("classic_solution.py", "jax", "classic"),
        ("classic_solution.py", "classic", None),
        ("jax_solution.py", "classic", "jax"),
        ("jax_solution.py", "jax", None),
        ("scalar_solution.py", "tensor", "scalar"),
        ("tensor_solution.py", "scalar", "tensor"),
        ("tensor_solution.py", "tensor", None),
    ],
)
def test_a_better_fitting_set_is_named(
    name: str, asked: str, better: str | None, sets: list[PuzzleSet]
) -> None:
    assert better_set(_unmarked(SUBMISSIONS / name), asked, sets) == better


def test_answers_in_another_form_are_not_sent_elsewhere(sets: list[PuzzleSet]) -> None:
    """Classic puzzles answered as jac functions are classic answers still."""
    assert better_set(_unmarked(ANSWERS / "classic_jac.py"), "classic", sets) is None
    assert better_set(_unmarked(ANSWERS / "classic_jac.py"), "jax", sets) == "classic"


def test_the_marker_names_the_better_set(sets: list[PuzzleSet]) -> None:
    marked = read_submission(ANSWERS / "jax_dx.py")  # says jax; its fb_ names fit classic too
    assert better_set(marked, "jax", sets) is None
    assert better_set(marked, "classic", sets) == "jax"


def test_the_hint_fits_a_table_cell(sets: list[PuzzleSet]) -> None:
    hint = better_set_hint("classic", sets)
    assert hint == "these look like classic answers: try --set classic"
    assert len(hint) <= 60


def test_misfits_are_counted(tmp_path: Path, sets: list[PuzzleSet]) -> None:
    path = tmp_path / "answers.py"
    path.write_text("def jac_view(x):\n    return 1\ndef jac_nope(x):\n    return 1\n", "utf-8")
    sub = read_submission(path)
    jax = next(s for s in sets if s.id == "jax")
    classic = next(s for s in sets if s.id == "classic")
    assert fit(sub, jax, sets).answered == ("view",)
    assert fit(sub, jax, sets).misfits == ("jac_nope",)
    assert fit(sub, classic, sets).misfits == ("jac_view", "jac_nope")


def test_a_2022_notebook_checked_as_jax_is_told_to_try_classic(
    tmp_path: Path, sets: list[PuzzleSet]
) -> None:
    path, _, _ = write_notebook(tmp_path / "b.ipynb", CLASSIC_LIBRARY, classic_blocks(True))
    sub = read_submission(path)
    assert better_set(sub, "jax", sets) == "classic"
    assert better_set(sub, "classic", sets) is None
