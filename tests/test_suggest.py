"""Did you mean: a missing answer points at a misspelled name, and says what to write
in the learner's kind of submission, in lines that fit."""

from __future__ import annotations

import ast
from typing import get_args

import pytest

from adgrader.spec import FORMS, PuzzleSet, available_sets, load_set
from adgrader.submission import Kind
from adgrader.submission.suggest import (
    missing_message,
    notebook_2022_name,
    suggest,
    todo_message,
    usual_form,
)

from .conftest import ANSWERS, SUBMISSIONS

KINDS: tuple[Kind, ...] = get_args(Kind)


@pytest.fixture(scope="module")
def sets() -> dict[str, PuzzleSet]:
    return {name: load_set(name) for name in available_sets()}


@pytest.mark.parametrize(
    ("set_name", "pid", "typo"),
    [
        ("jax", "relu", "jac_rleu"),
        ("classic", "cumsum", "fb_cumsun"),
        ("scalar", "sigmoid", "Sigmod"),
        ("tensor", "matmul", "vjp_matmull"),
        ("scalar", "relu", "Relu"),  # the class is ReLU
        ("jax", "running_mean", "jac_runing_mean"),
    ],
)
def test_a_close_misspelling_is_suggested(
    sets: dict[str, PuzzleSet], set_name: str, pid: str, typo: str
) -> None:
    pset = sets[set_name]
    assert suggest(["helper", typo, "eye"], pset.get(pid), pset) == typo
    others = [p for p in pset.puzzles if p.id != pid]
    assert all(suggest([typo], p, pset) is None for p in others)


def test_a_name_that_answers_a_puzzle_is_never_suggested(sets: dict[str, PuzzleSet]) -> None:
    jax = sets["jax"]
    assert suggest(["jac_emean", "jac_mean_reduce"], jax.get("mean"), jax) is None
    assert suggest(["fb_running"], sets["classic"].get("running_mean"), sets["classic"]) is None
    assert suggest(["jac_mea"], jax.get("mean"), jax) == "jac_mea"
    assert suggest(["jac_mea"], jax.get("emean"), jax) is None  # closer to mean's name
    assert suggest(["Inf", "helper", "x"], sets["scalar"].get("inv"), sets["scalar"]) is None


def test_the_message_names_the_misspelling_and_the_right_name(sets: dict[str, PuzzleSet]) -> None:
    message = missing_message(sets["jax"].get("relu"), "file", "jac", "jac_rleu")
    assert message.splitlines() == [
        "no answer: did you mean jac_relu?",
        "jac_rleu is defined, but no puzzle goes by that name; rename it.",
    ]
    scalar = missing_message(sets["scalar"].get("relu"), "file", "backward", "Relu")
    assert scalar.startswith("no answer: did you mean ReLU?")


def test_missing_answers_are_named_per_kind_of_submission(sets: dict[str, PuzzleSet]) -> None:
    jax, classic = sets["jax"], sets["classic"]
    assert missing_message(jax.get("relu"), "file", "jac") == "no answer: add def jac_relu(x)"
    assert missing_message(jax.get("emean"), "file", "dx") == "no answer: add def fb_emean(x, y)"
    assert (
        missing_message(jax.get("repeat"), "notebook-2024", "jac")
        == "no answer: fill in jac under the Repeat header"
    )
    assert (
        missing_message(classic.get("running_mean"), "notebook-2022", "dx")
        == "no answer: fill in dx in fb_running\n(the cell under the Running Mean header)"
    )
    assert (
        missing_message(classic.get("conv2d"), "notebook-2022", "dx")
        == "no answer: fill in dx and dy in fb_conv\n(the cell under the 2D Conv header)"
    )
    assert missing_message(sets["scalar"].get("mul_log"), "file", "backward") == (
        "no answer: add class MulLog (forward, backward)\nor def vjp_mul_log(x, y, g)"
    )
    assert (
        missing_message(sets["tensor"].get("log_softmax"), "file", "backward")
        == "no answer: add def vjp_log_softmax(x, g)"
    )


def test_every_message_fits_and_names_its_form(sets: dict[str, PuzzleSet]) -> None:
    for pset in sets.values():
        for puzzle in pset.puzzles:
            for kind in KINDS:
                for form in FORMS:
                    message = missing_message(puzzle, kind, form)
                    rows = message.splitlines()
                    assert len(rows[0]) <= 60 and all(len(r) <= 80 for r in rows), message
                    assert "define def" not in message
                    if kind == "notebook-2024":
                        assert puzzle.title in message and "jac" in message
                    elif kind == "notebook-2022":
                        assert notebook_2022_name(puzzle) in message
                    elif form == "backward":
                        assert f"vjp_{puzzle.id}" in message or puzzle.backward_class in message
                        assert "jac_" not in message and "fb_" not in message
                    todo = todo_message(puzzle, kind, form)
                    assert len(todo) <= 60 and todo.startswith("not attempted yet")


def test_the_2022_names_are_the_notebooks(sets: dict[str, PuzzleSet]) -> None:
    classic = sets["classic"]
    names = {p.id: notebook_2022_name(p) for p in classic.puzzles}
    assert names["mean_reduce"] == "fb_mean" and names["conv1d"] == "fb_conv"
    assert names["transpose"] == "fb_trans" and names["broadcast"] == "fb_broad"
    assert names["relu"] == "fb_relu"


def test_missing_answers_are_named_the_way_the_learner_writes(
    sets: dict[str, PuzzleSet],
) -> None:
    jax = sets["jax"]
    dx_answers = ast.parse((ANSWERS / "jax_dx.py").read_text(encoding="utf-8"))
    assert usual_form(dx_answers, jax) == "dx"
    jac_answers = ast.parse((SUBMISSIONS / "jax_solution.py").read_text(encoding="utf-8"))
    assert usual_form(jac_answers, jax) == "jac"
    assert usual_form(ast.parse("x = 1\n"), jax) == "jac"  # none: the set's own form
    assert usual_form(None, sets["scalar"]) == "backward"
