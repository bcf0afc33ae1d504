"""Not attempted is its own thing: an answer still equal to a starter, as code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from adgrader.grading.rules import find_answer
from adgrader.spec import Puzzle, PuzzleSet, available_sets, load_set
from adgrader.spec.starters import NOTEBOOK_BLANKS, STARTERS
from adgrader.submission import read_submission
from adgrader.submission.untouched import untouched

from .conftest import ANSWERS, HOSTILE, SUBMISSIONS
from .test_notebook import CLASSIC_LIBRARY, JAX_LIBRARY, classic_blocks, jax_blocks, write_notebook

SETS = available_sets()


def _answer_in(source: str, puzzle: Puzzle, form: str) -> bool:
    """Whether the answer to `puzzle` in `source` is untouched (it must be found)."""
    found = find_answer(ast.parse(source), puzzle, form)
    assert found is not None, source
    return untouched(found.node, puzzle, found.form)


@pytest.mark.parametrize("set_name", SETS)
@pytest.mark.parametrize("form", list(STARTERS))
def test_every_init_starter_is_untouched(set_name: str, form: str) -> None:
    for puzzle in load_set(set_name).puzzles:
        assert _answer_in(STARTERS[form](puzzle), puzzle, form), (set_name, puzzle.id, form)


def _changed(stub: str) -> list[str]:
    """Near-starters: the same code with one constant or call changed."""
    return [
        changed
        for changed in (
            stub.replace("np.zeros(", "np.ones(", 1),
            re.sub(r": 0  # fill in", ": 2  # fill in", stub, count=1),
            stub.replace("return 0.0", "return 1.0", 1),
            stub.replace("return 0.0", "return 0.0 * d_out", 1),
        )
        if changed != stub
    ]


@pytest.mark.parametrize("set_name", SETS)
@pytest.mark.parametrize("form", list(STARTERS))
def test_a_changed_constant_is_an_attempt(set_name: str, form: str) -> None:
    for puzzle in load_set(set_name).puzzles:
        stub = STARTERS[form](puzzle)
        variants = _changed(stub)
        assert variants, (puzzle.id, form)
        for source in variants:
            assert not _answer_in(source, puzzle, form), source


def test_comments_docstrings_annotations_and_spelling_do_not_count() -> None:
    jax = load_set("jax")
    relu, emean = jax.get("relu"), jax.get("emean")
    same = [
        'def jac_relu(x: Shaped[Array, "I"]) -> Shaped[Array, "O I"]:\n'
        '    """My answer."""\n    return np.zeros((O, I))  # TODO\n',
        "def jac_relu(x):\n    return np.zeros( (O,I) )\n",
        "def jac_relu(x):\n    return np.zeros((O, I,))\n",
        "jac_relu = lambda x: np.zeros((O, I))\n",
        "def jac_relu(x):\n    return 0.0 * (Os + Is)\n",  # the 2024 notebook's blank, as 0.0
        "def jac_relu(y):\n    return 0 * (Os + Is)\n",
    ]
    for source in same:
        assert _answer_in(source, relu, "jac"), source
    assert _answer_in(
        "def fb_emean(x, y):\n    f = lambda q: 0\n    dx = lambda a, b: 0.0\n"
        "    dy = lambda o, j: 0  # untouched\n    return f, dx, dy\n",
        emean,
        "dx",
    )
    different = [
        "def jac_relu(x):\n    return np.zeros((I, O))\n",
        "def jac_relu(x):\n    return 0 * (Os + Is) + 1\n",
        "def jac_relu(x):\n    return (Os == Is) * (x > 0)\n",
        "def jac_relu(x):\n    z = np.zeros((O, I))\n    return z\n",
    ]
    for source in different:
        assert not _answer_in(source, relu, "jac"), source
    half_done = (
        "def fb_emean(x, y):\n    f = lambda o: 0\n    dx = lambda i, o: (i == o) / 2\n"
        "    dy = lambda j, o: 0\n    return f, dx, dy\n"
    )
    assert not _answer_in(half_done, emean, "dx")


@pytest.mark.parametrize(
    "body",
    ["pass", "...", 'raise NotImplementedError("Need to implement for Task 1.4")',
     "raise NotImplementedError", '"""TODO"""\n        raise NotImplementedError()'],
)  # fmt: skip
def test_a_body_that_says_not_done_yet_is_untouched(body: str) -> None:
    """MiniTorch's own starters raise NotImplementedError."""
    sigmoid = load_set("scalar").get("sigmoid")
    source = (
        "class Sigmoid(ScalarFunction):\n    @staticmethod\n    def forward(ctx, x):\n"
        "        return 1 / (1 + math.exp(-x))\n\n    @staticmethod\n"
        f"    def backward(ctx, d_out):\n        {body}\n"
    )
    assert _answer_in(source, sigmoid, "backward")
    raised = source.replace(body.splitlines()[-1].strip(), 'raise ValueError("no")')
    assert not _answer_in(raised, sigmoid, "backward")


def test_the_free_points_of_lt_and_eq_end() -> None:
    """Their gradients are zero, so their zero stubs passed; a stub is not an answer."""
    scalar = load_set("scalar")
    solution = (SUBMISSIONS / "scalar_solution.py").read_text(encoding="utf-8")
    for pid in ("lt", "eq"):
        puzzle = scalar.get(pid)
        assert _answer_in(STARTERS["backward"](puzzle), puzzle, "backward")
        assert not _answer_in(solution, puzzle, "backward")


def _sources() -> list[Path]:
    return [
        *sorted(SUBMISSIONS.glob("*.py")),
        *sorted(ANSWERS.glob("*.py")),
        HOSTILE / "notebook_2022_cells.py",
        HOSTILE / "notebook_2024_cells.py",
        HOSTILE / "helpers_use_givens.py",
    ]


@pytest.mark.parametrize("path", _sources(), ids=lambda p: p.name)
def test_real_answers_are_attempts(path: Path) -> None:
    """Every answer of the examples, right or wrong, is an attempt."""
    source = read_submission(path).source
    tree = ast.parse(source)
    found = 0
    for set_name in SETS:
        pset = load_set(set_name)
        for puzzle in pset.puzzles:
            answer = find_answer(tree, puzzle, pset.form)
            if answer is not None:
                found += 1
                assert not untouched(answer.node, puzzle, answer.form), (set_name, puzzle.id)
    assert found


def _module_answers(source: str, pset: PuzzleSet) -> dict[str, bool]:
    tree = ast.parse(source)
    out = {}
    for puzzle in pset.puzzles:
        answer = find_answer(tree, puzzle, pset.form)
        if answer is not None:
            out[puzzle.id] = untouched(answer.node, puzzle, answer.form)
    return out


def test_the_2024_notebooks_blank_cells_are_untouched(tmp_path: Path) -> None:
    jax = load_set("jax")
    path, _, _ = write_notebook(tmp_path / "blank.ipynb", JAX_LIBRARY, jax_blocks(False))
    got = _module_answers(read_submission(path, jax).source, jax)
    assert len(got) == 20
    # one published version stubbed Id with its right answer: that one is an attempt
    assert got == {pid: pid != "id" for pid in got}
    assert set(NOTEBOOK_BLANKS["jac"]) == set(got)
    real_id_blank = 'def jac_id(x: Shaped[Array, "1"]) -> Shaped[Array, "1 1"]:\n'
    assert _answer_in(
        real_id_blank + "    return 0 *  Is[None, :]  # fill in\n", jax.get("id"), "jac"
    )
    path, _, _ = write_notebook(tmp_path / "filled.ipynb", JAX_LIBRARY, jax_blocks(True))
    assert not any(_module_answers(read_submission(path, jax).source, jax).values())


def test_the_2022_notebooks_blank_cells_are_untouched(tmp_path: Path) -> None:
    classic = load_set("classic")
    path, _, _ = write_notebook(tmp_path / "blank.ipynb", CLASSIC_LIBRARY, classic_blocks(False))
    got = _module_answers(read_submission(path, classic).source, classic)
    assert got == {p.id: True for p in classic.puzzles}
    prod = classic.get("prod")
    later_blank = (  # a later version stubbed Product's dx with 1
        "def fb_prod(x):\n    pr = torch.prod(x)\n    f = lambda o: pr\n"
        "    dx = lambda i, o: 1  # Fill in this line\n    return f, dx\n"
    )
    assert _answer_in(later_blank, prod, "dx")
    path, _, _ = write_notebook(tmp_path / "filled.ipynb", CLASSIC_LIBRARY, classic_blocks(True))
    assert not any(_module_answers(read_submission(path, classic).source, classic).values())


def test_the_learner_notebooks_blank_cell_is_untouched() -> None:
    jax = load_set("jax")
    got = _module_answers(read_submission(HOSTILE / "learner_2024.ipynb", jax).source, jax)
    assert got == {"id": False, "neg": False, "relu": False, "index": False, "emean": True}


def test_an_annotated_lambda_is_an_answer_too() -> None:
    relu = load_set("jax").get("relu")
    assert _answer_in("jac_relu: Callable = lambda x: np.zeros((O, I))\n", relu, "jac")
    assert not _answer_in("jac_relu: Callable = lambda x: (Os == Is) * (x > 0)\n", relu, "jac")
