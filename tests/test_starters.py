"""Starter code (spec/starters.py): every stub of every form of every built-in puzzle
compiles, runs with the names an answer sees, and gives zeros of exactly the right
shape, so a learner's first check is a table of wrong entries, not an error. numpy
stands in for jax.numpy: no answer process, no jax."""

from __future__ import annotations

import inspect
import types
from typing import Any

import numpy as np
import pytest

from adgrader.answers.backward import Context
from adgrader.answers.standins import submission_names
from adgrader.spec import FORMS, Puzzle, available_sets, load_set
from adgrader.spec.scope import puzzle_names
from adgrader.spec.starters import (
    STARTERS,
    backward_starter,
    comment,
    dx_starter,
    jac_starter,
    notebook_blanks,
    starter_file,
)
from adgrader.submission.marker import declared_in

NUMPY_JAX = types.SimpleNamespace(numpy=np, Array=np.ndarray)
PUZZLES = [(s, p) for s in available_sets() for p in load_set(s).puzzles]


def run_stub(puzzle: Puzzle, form: str) -> dict[str, Any]:
    """The names after running the stub where an answer runs: np, math, the puzzle's dims
    and givens, `f`, ScalarFunction..."""
    names = submission_names(NUMPY_JAX)
    names.update(
        puzzle_names(
            dims=puzzle.dims,
            givens=puzzle.givens,
            f=puzzle.f,
            arg_names=puzzle.arg_names,
            jax=NUMPY_JAX,
        )
    )
    exec(compile(STARTERS[form](puzzle), f"<{puzzle.id} {form} starter>", "exec"), names)
    return names


def inputs(puzzle: Puzzle) -> list[np.ndarray]:
    return [np.full(i.shape, 0.5) for i in puzzle.inputs]


def zeros_of(value: Any, shape: tuple[int, ...]) -> bool:
    arr = np.asarray(value)
    return arr.shape == shape and not arr.any()


@pytest.mark.parametrize(("set_name", "puzzle"), PUZZLES, ids=lambda v: getattr(v, "id", v))
def test_the_jac_starter_returns_zero_jacobians(set_name: str, puzzle: Puzzle) -> None:
    returned = run_stub(puzzle, "jac")[f"jac_{puzzle.id}"](*inputs(puzzle))
    parts = returned if len(puzzle.inputs) > 1 else (returned,)
    assert len(parts) == len(puzzle.inputs)
    for inp, part in zip(puzzle.inputs, parts, strict=True):
        assert zeros_of(part, puzzle.jac_shape(inp.name)), (inp.name, np.shape(part))


@pytest.mark.parametrize(("set_name", "puzzle"), PUZZLES, ids=lambda v: getattr(v, "id", v))
def test_the_dx_starter_returns_f_and_a_zero_lambda_per_input(
    set_name: str, puzzle: Puzzle
) -> None:
    f, *derivatives = run_stub(puzzle, "dx")[f"fb_{puzzle.id}"](*inputs(puzzle))
    assert callable(f) and len(inspect.signature(f).parameters) == len(puzzle.out_index)
    assert len(derivatives) == len(puzzle.inputs)
    for inp, d in zip(puzzle.inputs, derivatives, strict=True):
        arity = len(inp.index) + len(puzzle.out_index)
        assert len(inspect.signature(d).parameters) == arity, inp.name
        assert d(*[0] * arity) == 0


@pytest.mark.parametrize(("set_name", "puzzle"), PUZZLES, ids=lambda v: getattr(v, "id", v))
def test_the_backward_starter_returns_zero_gradients(set_name: str, puzzle: Puzzle) -> None:
    names = run_stub(puzzle, "backward")
    if puzzle.scalar:
        cls = names[puzzle.backward_class]
        ctx = Context()
        args = [0.5 + 0.25 * k for k in range(len(puzzle.inputs))]
        value = cls.forward(ctx, *args)
        assert np.isclose(value, names["f"](*args))  # forward is done: it is f
        grads = cls.backward(ctx, 1.0)
        grads = grads if len(puzzle.inputs) > 1 else (grads,)
        assert [float(g) for g in grads] == [0.0] * len(puzzle.inputs)
        return
    grads = names[f"vjp_{puzzle.id}"](*inputs(puzzle), np.ones(puzzle.out_shape))
    grads = grads if len(puzzle.inputs) > 1 else (grads,)
    assert len(grads) == len(puzzle.inputs)
    for inp, g in zip(puzzle.inputs, grads, strict=True):
        assert zeros_of(g, inp.shape), (inp.name, np.shape(g))


def test_the_starters_read_as_the_notebooks_stub_them() -> None:
    jax, scalar, tensor = load_set("jax"), load_set("scalar"), load_set("tensor")
    assert jac_starter(jax.get("mul")) == (
        "def jac_mul(x, y):\n    return np.zeros((O, I)), np.zeros((O, I))  # fill in\n"
    )
    dx = dx_starter(jax.get("relu"))
    assert dx.startswith("def fb_relu(x):\n    f = lambda o: ")
    assert "    dx = lambda i, o: 0  # fill in\n    return f, dx\n" in dx
    sum_vjp = backward_starter(tensor.get("sum"))
    assert sum_vjp.startswith("def vjp_sum(x, g):\n") and "np.zeros((A, B))" in sum_vjp
    log = backward_starter(scalar.get("log"))
    assert log.startswith("class Log(ScalarFunction):\n")
    assert "(x,) = ctx.saved_values" in log and log.endswith("        return 0.0\n")
    assert "x, y = ctx.saved_values" in backward_starter(scalar.get("mul"))


@pytest.mark.parametrize("set_name", available_sets())
@pytest.mark.parametrize("form", FORMS)
def test_a_starter_file_names_its_set_and_stubs_every_puzzle(set_name: str, form: str) -> None:
    pset = load_set(set_name)
    text = starter_file(pset, form)
    compile(text, "starter.py", "exec")
    assert declared_in(text) == (set_name, 1)
    for puzzle in pset.puzzles:
        assert STARTERS[form](puzzle) in text
        assert comment(puzzle) in text


def test_a_comment_is_the_title_the_statement_in_plain_text_and_the_shapes() -> None:
    relu = load_set("jax").get("relu")
    lines = comment(relu).splitlines()
    assert lines[0] == f"# {relu.number}. {relu.title} (relu)"
    assert lines[-1] == "# inputs: x (I,) = (10,); output (O,) = (10,)"
    assert all(line.startswith("#") and len(line) <= 80 for line in lines)
    assert not any("$" in line for line in lines)  # formulas made plain


def test_notebook_blanks_are_per_form_and_puzzle() -> None:
    jax = load_set("jax")
    assert notebook_blanks(jax.get("cos"), "jac") == ("0. * Is[None, :]",)
    assert notebook_blanks(jax.get("prod"), "dx") == ("lambda i, o: 1",)
    assert notebook_blanks(jax.get("relu"), "dx") == ()
    assert notebook_blanks(jax.get("relu"), "backward") == ()
