"""The built-in puzzle sets: order, shapes, and `index_form` agreeing with `f`."""

from __future__ import annotations

import itertools
import math
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from msgspec.structs import replace

from adgrader.spec import RULE_NAMES, Puzzle, load_set
from adgrader.spec.model import rule_name
from adgrader.spec.scope import names_of, puzzle_names

JAX_IDS = [
    "id",
    "cos",
    "mean",
    "prod",
    "repeat",
    "repeat_scale",
    "neg",
    "relu",
    "index",
    "cumsum",
    "running_mean",
    "sort",
    "emean",
    "mul",
    "conv1d",
    "view",
    "transpose",
    "mean_reduce",
    "matmul",
    "conv2d",
]
CLASSIC_IDS = [
    "id",
    "cos",
    "mean",
    "prod",
    "repeat",
    "repeat_scale",
    "neg",
    "relu",
    "index",
    "cumsum",
    "running_mean",
    "sort",
    "emean",
    "mul",
    "conv1d",
    "view",
    "transpose",
    "broadcast",
    "mean_reduce",
    "matmul",
    "conv2d",
]
ALIASES = {
    "running_mean": ("fb_running",),
    "transpose": ("fb_trans",),
    "broadcast": ("fb_broad",),
    "matmul": ("fb_mm",),
}

# id: (x shape, y shape or None, out shape, x index, y index, out index)
CLASSIC_SHAPES: dict[str, tuple[Any, ...]] = {
    "id": ((1,), None, (1,), "i", "", "o"),
    "cos": ((1,), None, (1,), "i", "", "o"),
    "mean": ((50,), None, (1,), "i", "", "o"),
    "prod": ((50,), None, (1,), "i", "", "o"),
    "repeat": ((1,), None, (50,), "i", "", "o"),
    "repeat_scale": ((1,), None, (50,), "i", "", "o"),
    "neg": ((50,), None, (50,), "i", "", "o"),
    "relu": ((50,), None, (50,), "i", "", "o"),
    "index": ((50,), None, (25,), "i", "", "o"),
    "cumsum": ((50,), None, (50,), "i", "", "o"),
    "running_mean": ((50,), None, (50,), "i", "", "o"),
    "sort": ((50,), None, (50,), "i", "", "o"),
    "emean": ((25,), (25,), (25,), "i", "j", "o"),
    "mul": ((25,), (25,), (25,), "i", "j", "o"),
    "conv1d": ((45,), (5,), (39,), "i", "j", "o"),
    "view": ((4, 10), (10,), (4, 10), "ij", "j", "op"),
    "transpose": ((4, 10), (10,), (10, 4), "ij", "j", "op"),
    "broadcast": ((4, 10), (10,), (4, 10), "ij", "j", "op"),
    "mean_reduce": ((4, 10), (10,), (1, 10), "ij", "j", "op"),
    "matmul": ((5, 5), (5, 5), (5, 5), "ij", "ij", "op"),
    "conv2d": ((7, 7), (3, 3), (5, 5), "ij", "ij", "op"),
}

SCALAR_IDS = [
    "add",
    "mul",
    "neg",
    "inv",
    "log",
    "exp",
    "sigmoid",
    "relu",
    "lt",
    "eq",
    "max",
    "mul_log",
]
TENSOR_IDS = [
    "sum",
    "mean",
    "permute",
    "view",
    "add_broadcast",
    "mul",
    "matmul",
    "tensordot",
    "log_softmax",
    "cross_entropy",
]
SETS = {name: load_set(name) for name in ("jax", "classic", "scalar", "tensor")}
CASES = [(s, p) for s, ps in SETS.items() for p in ps.puzzles]


@pytest.fixture(scope="session")
def jax() -> Any:
    import jax

    jax.config.update("jax_enable_x64", True)
    return jax


def test_set_order_and_counts() -> None:
    assert [p.id for p in SETS["jax"].puzzles] == JAX_IDS
    assert [p.id for p in SETS["classic"].puzzles] == CLASSIC_IDS
    assert SETS["jax"].form == "jac"
    assert SETS["classic"].form == "dx"
    assert {r.name for r in SETS["classic"].rules} == {"one-line", "max-columns", "no-autodiff"}


def test_the_backward_sets() -> None:
    scalar, tensor = SETS["scalar"], SETS["tensor"]
    assert [p.id for p in scalar.puzzles] == SCALAR_IDS
    assert [p.id for p in tensor.puzzles] == TENSOR_IDS
    assert scalar.form == tensor.form == "backward"
    assert all(p.scalar for p in scalar.puzzles)
    assert not any(p.scalar for p in tensor.puzzles)
    classes = {p.id: p.backward_class for p in scalar.puzzles}
    assert (classes["relu"], classes["lt"], classes["eq"], classes["mul_log"]) == (
        "ReLU",
        "LT",
        "EQ",
        "MulLog",
    )
    # log and inv are sampled away from 0, where they are differentiable
    assert min(scalar.get("log").input("x").bounds) > 0
    assert min(scalar.get("inv").input("x").bounds) > 0


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_set_survives_its_spec_cache(name: str) -> None:
    import msgspec

    from adgrader.spec import PuzzleSet

    pset = SETS[name]
    assert msgspec.msgpack.decode(msgspec.msgpack.encode(pset), type=PuzzleSet) == pset


@pytest.mark.parametrize(("set_id", "puzzle"), CASES, ids=[f"{s}-{p.id}" for s, p in CASES])
def test_aliases(set_id: str, puzzle: Puzzle) -> None:
    notebook = set_id in ("jax", "classic")  # only the notebooks' sets have aliases
    assert puzzle.aliases == (ALIASES.get(puzzle.id, ()) if notebook else ())


@pytest.mark.parametrize("puzzle", SETS["classic"].puzzles, ids=lambda p: p.id)
def test_classic_shapes_and_index_names(puzzle: Puzzle) -> None:
    x_shape, y_shape, out_shape, x_idx, y_idx, out_idx = CLASSIC_SHAPES[puzzle.id]
    assert puzzle.input("x").shape == x_shape
    assert puzzle.input("x").index == tuple(x_idx)
    assert puzzle.input("x").bounds == (-1.0, 1.0)
    if y_shape is None:
        assert puzzle.arg_names == ("x",)
    else:
        assert puzzle.input("y").shape == y_shape
        assert puzzle.input("y").index == tuple(y_idx)
    assert puzzle.out_shape == out_shape
    assert puzzle.out_index == tuple(out_idx)
    assert not puzzle.givens


# numpy stands in for jax.numpy (the puzzles' `f`, givens and index forms use the
# functions both have): an index form is evaluated entry by entry, where jax would
# dispatch an operation per entry. `validate` of the built-in sets checks f with jax.
NUMPY_AS_JAX = SimpleNamespace(numpy=np, Array=np.ndarray)


@pytest.mark.parametrize(("set_id", "puzzle"), CASES, ids=[f"{s}-{p.id}" for s, p in CASES])
def test_index_form_matches_f(jax: Any, set_id: str, puzzle: Puzzle) -> None:
    # `jax`: float64 for an `f` that calls jax itself (conv2d's convolve2d)
    names = puzzle_names(
        dims=puzzle.dims,
        givens=puzzle.givens,
        f=puzzle.f,
        arg_names=puzzle.arg_names,
        jax=NUMPY_AS_JAX,
    )
    rng = np.random.default_rng(sum(map(ord, f"{set_id}/{puzzle.id}")))
    point = {inp.name: rng.uniform(*inp.bounds, size=inp.shape) for inp in puzzle.inputs}

    value = np.asarray(names["f"](*(point[n] for n in puzzle.arg_names)))
    assert value.shape == puzzle.out_shape
    assert value.dtype == np.float64

    scope = {**names, **point, "math": math, "np": np}
    code = compile(
        f"lambda {', '.join(puzzle.out_index)}: ({puzzle.index_form})",
        f"{puzzle.source}:index_form",
        "eval",
    )
    entry = eval(code, scope)
    for idx in itertools.product(*(range(n) for n in puzzle.out_shape)):
        expected = float(entry(*idx))
        assert value[idx] == pytest.approx(expected, abs=1e-9, rel=1e-9), (puzzle.id, idx)


def test_every_rule_a_set_may_list_has_a_check() -> None:
    from adgrader.grading import rules

    assert set(rules._RULES) == set(RULE_NAMES)
    assert rule_name("max-columns") == "max-columns" and rule_name("max-column") is None


def test_a_failing_given_names_its_field_but_answers_see_the_error_itself(jax: Any) -> None:
    from adgrader.spec.scope import FieldError

    neg = SETS["jax"].get("neg")
    broken = {**neg.givens, "Os": "np.arange(K)[:, None]"}
    with pytest.raises(FieldError) as info:
        names_of(replace(neg, givens=broken), jax)
    assert info.value.field == ("givens", "Os") and "'K' is not defined" in str(info.value)
    with pytest.raises(NameError):  # what the answer process reports, as before
        puzzle_names(dims=neg.dims, givens=broken, f=neg.f, arg_names=neg.arg_names, jax=jax)
    with pytest.raises(FieldError) as info:
        names_of(replace(neg, f="def g(x):\n    return x"), jax)
    assert info.value.field == ("f",)
