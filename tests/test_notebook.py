# ruff: noqa: E501, W291
"""Answers taken out of the two Autodiff Puzzles notebooks (built here, cell for cell).

The notebooks mirror the real ones: a library cell with `!pip install`, Markdown
headers with the notebook's own numbering (gaps, repeats, mixed levels), and
`f`/`jac`/`check(...)` cells (2024) or `fb_<name>` cells followed by `in_out(...)` /
`zip(...)` (2022). Blank notebooks keep the stubs; filled ones carry the answers of
`submissions/`. Each synthesized module is graded once.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import nbformat
import pytest

from adgrader.result import Report
from adgrader.spec import PuzzleSet, load_set
from adgrader.submission.assemble import Extracted
from adgrader.submission.cells import is_notebook
from adgrader.submission.notebook import extract

from .conftest import Grade

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"

# ---------------------------------------------------------------- the 2024 notebook

JAX_LIBRARY = """\
# @title Library Code (hide)
!pip install -qqq beartype git+https://github.com/chalk-diagrams/chalx jaxtyping
import jax
import jax.numpy as np
import numpy as onp
import random
import chalk
from chalk import square, make_path
from jaxtyping import Shaped, jaxtyped
from beartype import beartype as typechecker
import IPython

Array = np.ndarray


def check(f, jac, in_shape, in_shape2=None):
    fp_x = jax.jacrev(f, 0)
    x = np.array(onp.random.random(in_shape) - 0.5)
    j_x = jac(x)
    if not np.isclose(fp_x(x), j_x).all():
        print("x check failed")
"""

_ONE = 'x: Shaped[Array, "{0}"]'
_GIVENS_IO = """\
I = {I}
O = {O}
Is = np.arange(I)
Os = np.arange(O)[:, None]
"""
_GIVENS_MAT = """\
I = 4
J = 4
O = {O}
Is = np.arange(I)[:, None]
Js = np.arange(J)
Os = np.arange(O)[:, None, None]
"""


def _jax_cell(givens: str, f: str, jac: str, check: str) -> str:
    return f"{givens}\n\n{f}\n\n{jac}\n\n{check}\n"


def _one_arg(inp: str, out: str, body: str, jout: str, stub: str) -> tuple[str, str]:
    f = f'def f(x: Shaped[Array, "{inp}"]) -> Shaped[Array, "{out}"]:\n    return {body}'
    jac = (
        f'def jac(x: Shaped[Array, "{inp}"]) -> Shaped[Array, "{jout}"]:\n'
        f"    return {stub}  # fill in"
    )
    return f, jac


def _two_arg(a: str, b: str, out: str, body: str, ja: str, jb: str, stub: str) -> tuple[str, str]:
    f = (
        f'def f(x: Shaped[Array, "{a}"], y: Shaped[Array, "{b}"]) -> Shaped[Array, "{out}"]:\n'
        f"    {body}"
    )
    jac = (
        f'def jac(\n    x: Shaped[Array, "{a}"], y: Shaped[Array, "{b}"]\n'
        f') -> tuple[Shaped[Array, "{ja}"], Shaped[Array, "{jb}"]]:\n'
        f"    return {stub}  # fill in"
    )
    return f, jac


_CHECK = "check(f, jac, in_shape=Is.shape)"
_CHECK2 = "check(f, jac, in_shape=Is.shape, in_shape2=Is.shape)"
_CHECK_MAT = "check(f, jac, in_shape=(I, J))"
_STUB_IO = "0 * (Os + Is)"

# (puzzle id, header line, code cell) in notebook order, as in the 2024 notebook.
JAX_PUZZLES: list[tuple[str, str, str]] = [
    (
        "id",
        "### Problem 1: Id",
        _jax_cell("\nIs = np.arange(1)", *_one_arg("1", "1", "2 * x", "1 1", "2 + Is[None, :]"), _CHECK),
    ),
    (
        "cos",
        "### Problem 2: Cosine",
        _jax_cell("", *_one_arg("1", "1", "np.cos(x)", "1 1", "0. * Is[None, :]"), "check(f, jac, in_shape=1)").lstrip(),
    ),
    (
        "mean",
        "### Problem 3: Mean",
        _jax_cell(
            "I = 10\nIs = np.arange(I)",
            *_one_arg("I", "1", "np.mean(x, axis=0, keepdims=True)", "1 I", "0 * Is[None, :]"),
            _CHECK,
        ),
    ),
    (
        "prod",
        "### Problem 4: Product",
        _jax_cell("", *_one_arg("I", "1", "np.prod(x, keepdims=True)", "1 I", "0 * Is[None, :]"), _CHECK).lstrip(),
    ),
    (
        "repeat",
        "### Problem 5: Repeat",
        _jax_cell(
            "Is = np.arange(1)\nO = 10\nOs = np.arange(O)[:, None]",
            *_one_arg("1", "O", "(x + (Os * 0 + 1))[:, 0]", "O 1", "0 * Os"),
            _CHECK,
        ),
    ),
    (
        "repeat_scale",
        "### Problem 6: Repeat and Scale",
        _jax_cell(
            "Is = np.arange(1)\nO = 10\nOs = np.arange(O)[:, None]",
            *_one_arg("1", "O", "x * (Os / O)[:, 0]", "O 1", "0 * Os"),
            _CHECK,
        ),
    ),
    ("neg", "## Problem 7: Negation", _jax_cell(_GIVENS_IO.format(I=10, O=10), *_one_arg("I", "O", "-x", "O I", _STUB_IO), _CHECK)),
    ("relu", "## Problem 8: ReLU", _jax_cell(_GIVENS_IO.format(I=10, O=10), *_one_arg("I", "O", "x * (x > 0)", "O I", _STUB_IO), _CHECK)),
    ("index", "## Problem 9: Index", _jax_cell(_GIVENS_IO.format(I=25, O=15), *_one_arg("I", "O", "x[10:]", "O I", _STUB_IO), _CHECK)),
    ("cumsum", "## Problem 10: Cumsum", _jax_cell(_GIVENS_IO.format(I=10, O=10), *_one_arg("I", "O", "np.cumsum(x) / 20", "O I", _STUB_IO), _CHECK)),
    (
        "running_mean",
        "## Problem 11: Running Mean",
        _jax_cell(
            _GIVENS_IO.format(I=10, O=8) + "W = 3",
            *_one_arg("I", "O", 'np.convolve(x, np.ones(W) / W, mode="valid")', "O I", _STUB_IO),
            _CHECK,
        ),
    ),
    ("sort", "## Problem 12: Sort", _jax_cell(_GIVENS_IO.format(I=10, O=10), *_one_arg("I", "O", "np.sort(x)", "O I", _STUB_IO), _CHECK)),
    (
        "emean",
        "Next we move on to functions of two arguments. For these you will produce two "
        "derivatives.\n\n## Problem 13: Elementwise mean",
        _jax_cell(
            _GIVENS_IO.format(I=10, O=10),
            *_two_arg("I", "I", "O", "return (x + y) / 2", "O I", "O I", f"{_STUB_IO}, {_STUB_IO}"),
            _CHECK2,
        ),
    ),
    (
        "mul",
        "## Problem 14: Elementwise mul",
        _jax_cell(
            _GIVENS_IO.format(I=10, O=10),
            *_two_arg("I", "I", "O", "return x * y", "O I", "O I", f"{_STUB_IO}, {_STUB_IO}"),
            _CHECK2,
        ),
    ),
    (
        "conv1d",
        "## Problem 15: 1D Convolution",
        _jax_cell(
            "I = 10\nO = 6\nW = 5\nIs = np.arange(I)\nOs = np.arange(O)[:, None]\nWs = np.arange(W)",
            *_two_arg(
                "I", "W", "O", 'return np.convolve(x, y, mode="valid") / W', "O I", "O W",
                "0 * (Is + Os), 0 * (Os + Ws)",
            ),
            "check(f, jac, in_shape=Is.shape, in_shape2=Ws.shape)",
        ),
    ),
    (
        "view",
        "## Problem 15: View",
        _jax_cell(
            _GIVENS_MAT.format(O=16),
            *_one_arg("I J", "O", "x.reshape((O,))", "O I J", "0 * Os + Is + Js"),
            _CHECK_MAT,
        ),
    ),
    (
        "transpose",
        "## Problem 16: Transpose",
        _jax_cell(
            _GIVENS_MAT.format(O=4) + "P = 4\nPs = np.arange(P)[:, None, None, None]",
            *_one_arg("I J", "O P", "x.T", "O P I J", "0 * (Os + Is + Ps + Js)"),
            _CHECK_MAT,
        ),
    ),
    (
        "mean_reduce",
        "## Problem 18: Mean Reduce",
        _jax_cell(
            _GIVENS_MAT.format(O=4),
            *_one_arg("I J", "O", "np.mean(x, axis=0)", "O I J", "0 * (Is + Os + Js)"),
            _CHECK_MAT,
        ),
    ),
    (
        "matmul",
        "## Problem 19: Matmul as vectors",
        _jax_cell(
            "I = 4\nJ = 4\nO = 4\nIs = np.arange(I)\nJs = np.arange(J)\nOs = np.arange(O)[:, None]",
            *_two_arg(
                "I", "J", "O ", "return (x.reshape(2, 2) @ y.reshape(2, 2)).reshape(O)", "O I",
                "O J", "0 * (Os == Is), 0 * (Os == Js)",
            ),
            "check(f, jac, in_shape=Is.shape, in_shape2=Js.shape)",
        ),
    ),
    (
        "conv2d",
        "## Problem 20: 2D Conv",
        _jax_cell(
            "from jax.scipy.signal import convolve2d\n\nI = 16  # 4*4\nJ = 4  # 2*2\n"
            "O = 16  # 4*4\nIs = np.arange(I)\nJs = np.arange(J)\nOs = np.arange(O)[:, None]",
            *_two_arg(
                "I", "J", "O",
                "X = x.reshape(4, 4)\n    Y = y.reshape(2, 2)\n\n"
                '    return convolve2d(X, Y, mode="same").reshape(-1) / (2 * 2)',
                "O I", "O J", "0 * (Os + Is), 0 * (Os + Js)",
            ),
            "check(f, jac, in_shape=Is.shape, in_shape2=Js.shape)",
        ),
    ),
]  # fmt: skip

# ---------------------------------------------------------------- the 2022 notebook

CLASSIC_LIBRARY = """\
# Library code - SKIP ME
!pip install -qqq git+https://github.com/chalk-diagrams/chalk
!wget -q https://github.com/srush/GPU-Puzzles/raw/main/robot.png https://github.com/srush/GPU-Puzzles/raw/main/lib.py

import torch
import sys
sys.setrecursionlimit(10000)
from lib import *
"""

# (puzzle id, header line, code cell, solution function) in notebook order.
CLASSIC_PUZZLES: list[tuple[str, str, str, str]] = [
    ("id", "### Problem 1: Id", """\
def fb_id(x):
    f = lambda o: x
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_id, overlap=False, y=gy[1:2], out_shape=1)""", "fb_id"),
    ("cos", "### Problem 2: Cosine", """\
def fb_cos(x):
    f = lambda o: math.cos(x)
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_cos, overlap=False, y=gy[1:2], out_shape=1)""", "fb_cos"),
    ("mean", "### Problem 3: Mean", """\
def fb_mean(x):
    N = x.shape[0]
    f = lambda o: sum(x[i] for i in range(N)) / N
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_mean, overlap=False,  out_shape=1)""", "fb_mean"),
    ("prod", "### Problem 4: Product", """\
def fb_prod(x):
    pr = torch.prod(x)
    f = lambda o: pr
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_prod, overlap=False,  out_shape=1)""", "fb_prod"),
    ("repeat", "### Problem 5: Repeat", """\
def fb_repeat(x):
    f = lambda o: x
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_repeat, overlap=False, y=gy[1:2], out_shape=50)""", "fb_repeat"),
    ("repeat_scale", "### Problem 6: Repeat and Scale", """\
def fb_repeat_scale(x):
    N = 50
    f = lambda o: x * (o / N)
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_repeat_scale, overlap=False, y=gy[1:2], out_shape=50)""", "fb_repeat_scale"),
    ("neg", "## Problem 7: Negation", """\
def fb_neg(x):
    f = lambda o: -x[o]
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_neg)""", "fb_neg"),
    ("relu", "### Problem 8: ReLU", """\
def fb_relu(x):
    f = lambda o: (x[o] > 0) * x[o] 
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_relu)""", "fb_relu"),
    ("index", "### Problem 9: Index", """\
def fb_index(x):
    f = lambda o: x[o+10]
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_index, overlap=False, out_shape=25)""", "fb_index"),
    ("cumsum", "Note: for the next several problems the visualization changes.\n\n"
     "### Problem 9: Cumsum", """\
def fb_cumsum(x):
    out = torch.cumsum(x, 0)
    f = lambda o: out[o] / 20
    dx = lambda o, i: 0 # Fill in this line
    return f, dx
in_out(fb_cumsum, [20, 35, 40], overlap=True, diff=20)""", "fb_cumsum"),
    ("running_mean", "### Problem 10: Running Mean", """\
def fb_running(x):
    W = 10
    f = lambda o: sum([x[o-do] for do in range(W) if o-do >= 0]) / W
    dx = lambda i, o: 0 # Fill in this line
    return f, dx

in_out(fb_running, [0, 20, 35], diff=4)""", "fb_running"),
    ("sort", "### Problem 11: Sort", """\
def fb_sort(x):
    sort, argsort = torch.sort(x, 0)
    f = lambda o: sort[o]
    dx = lambda i, o: 0 # Fill in this line
    return f, dx
in_out(fb_sort, overlap=False)""", "fb_sort"),
    ("emean", "Next we move on to functions of two arguments.\n\n"
     "### Problem 12: Elementwise mean", """\
def fb_emean(x, y):
    f = lambda o: (x[o] + y[o]) / 2
    dx = lambda i, o: 0 # Fill in this line
    dy = lambda j, o: 0 # Fill in this line
    return f, dx, dy
zip(fb_emean)""", "fb_emean"),
    ("mul", "### Problem 13: Elementwise mul", """\
def fb_mul(x, y):
    f = lambda o: x[o] * y[o]
    dx = lambda i, o: 0 # Fill in this line
    dy = lambda j, o: 0 # Fill in this line
    return f, dx, dy

zip(fb_mul)""", "fb_mul"),
    ("conv1d", "### Problem 14: 1D Convolution", """\
def fb_conv(x, y):
    W = 5
    f = lambda o: sum((x[o + j] * y[j]) / W for j in range(W))
    dx = lambda i, o: 0 # Fill in this line
    dy = lambda j, o: 0 # Fill in this line
    return f, dx, dy

SHOW_KERNEL = False
zip(fb_conv, split=45, out_shape=39, pos1=[10, 20, 30], pos2=[5] if SHOW_KERNEL else [], 
    diff=5, overlap=True)""", "fb_conv1d"),
    ("view", "For these next problems, the input is a matrix and an optional vector.\n\n"
     "## Problem 15: View", """\
def fb_view(x, y):
    f = lambda o, p: x[o, p]
    dx = lambda i, j, o, p: 0 # Fill in this line
    dy = lambda j, o, p: 0 # Fill in this line
    return f, dx, dy

zip(make_mat(fb_view, (4, 10), (4, 10)), split=40, out_shape=40, gaps=[10 * i for i in range(4)])""",
     "fb_view"),
    ("transpose", "### Problem 16: Transpose", """\
def fb_trans(x, y):
    f = lambda o, p: x[p, o]
    dx = lambda i, j, o, p: 0 # Fill in this line
    dy = lambda j, o, p: 0 # Fill in this line
    return f, dx, dy
zip(make_mat(fb_trans,  in_shape=(4, 10), out_shape=(10, 4)), split=40, out_shape=40, gaps=[10 * i for i in range(4)])""",
     "fb_trans"),
    ("broadcast", "### Problem 17: Broadcast ", """\
def fb_broad(x, y):
    f = lambda o, p: x[o, p] * y[p]
    dx = lambda i, j, o, p: 0 # Fill in this line
    dy = lambda j, o, p: 0 # Fill in this line
    return f, dx, dy
zip(make_mat(fb_broad,  in_shape=(4, 10), out_shape=(4, 10)), split=40, out_shape=40, gaps=[10 * i for i in range(4)])""",
     "fb_broad"),
    ("mean_reduce", "### Problem 18: Mean Reduce", """\
def fb_mean(x, y):
    R = x.shape[0]
    f = lambda o, p: sum(x[di, p] for di in range(R)) / R
    dx = lambda i, j, o, p: 0 # Fill in this line
    dy = lambda j, o, p: 0 # Fill in this line
    return f, dx, dy
zip(make_mat(fb_mean,  in_shape=(4, 10), out_shape=(1, 10)), 
    split=40, out_shape=10, gaps=[10 * i for i in range(4)])""", "fb_mean_reduce"),
    ("matmul", "### Problem 19: Matmul", """\
def fb_mm(x, y):
    _, M = x.shape
    f = lambda o, p: sum(x[o, d] * y[d, p] for d in range(M)) / M 
    dx = lambda i, j, o, p: 0 # Fill in this line
    dy = lambda i, j, o, p: 0 # Fill in this line
    return f, dx, dy

zip(make_mat2(fb_mm,  in_shape=(5, 5), in_shape2=(5, 5), out_shape=(5, 5)), 
    split=25, out_shape=25, gaps=[5 * i for i in range(5)],  
    pos1=None, pos2=None)""", "fb_mm"),
    ("conv2d", "### Problem 20: 2D Conv", """\
def fb_conv(x, y):
    kh, kw = y.shape
    f = lambda o, p: sum(x[o + di, p + dj] * y[di, dj] / (kh * kw)
                         for di in range(kh) for dj in range(kw)) 
    dx = lambda i, j, o, p: 0 # Fill in this line
    dy = lambda i, j, o, p: 0 # Fill in this line
    return f, dx, dy

zip(make_mat2(fb_conv,  in_shape=(7, 7), in_shape2=(3, 3), out_shape=(5, 5)), 
    split=49, out_shape=25, gaps=[7 * i for i in range(7)], 
    y=torch.cat(2*[gy.abs() + 0.2],0)[:58], 
    pos1=[23, 36], pos2=[])""", "fb_conv2d"),
]  # fmt: skip


# ---------------------------------------------------------------- building notebooks


def _solution_functions(name: str) -> dict[str, str]:
    source = (SUBMISSIONS / name).read_text(encoding="utf-8")
    tree = ast.parse(source)
    return {
        node.name: ast.get_source_segment(source, node) or ""
        for node in tree.body
        if isinstance(node, ast.FunctionDef)
    }


JAX_SOLUTION = _solution_functions("jax_solution.py")
CLASSIC_SOLUTION = _solution_functions("classic_solution.py")


def _fill_jax(pid: str, code: str) -> str:
    answer = re.sub(rf"^def jac_{pid}\(", "def jac(", JAX_SOLUTION[f"jac_{pid}"])
    filled = re.sub(r"^def jac\(.*?# fill in$", lambda _: answer, code, flags=re.S | re.M)
    assert filled != code
    return filled


def _fill_classic(solution: str, code: str) -> str:
    lines = {
        m.group(1): m.group(0)
        for m in re.finditer(r"^    (d[xy]) = lambda .*$", CLASSIC_SOLUTION[solution], re.M)
    }
    return re.sub(
        r"^    (d[xy]) = lambda .*# Fill in this line$",
        lambda m: lines[m.group(1)],
        code,
        flags=re.M,
    )


@dataclass(frozen=True)
class Block:
    """A Markdown header cell (if any) and the code cell after it."""

    pid: str | None
    header: str | None
    code: str


def jax_blocks(filled: bool) -> list[Block]:
    return [
        Block(pid, header, _fill_jax(pid, code) if filled else code)
        for pid, header, code in JAX_PUZZLES
    ]


def classic_blocks(filled: bool) -> list[Block]:
    return [
        Block(pid, header, _fill_classic(solution, code) if filled else code)
        for pid, header, code, solution in CLASSIC_PUZZLES
    ]


def write_notebook(
    path: Path, library: str, blocks: list[Block]
) -> tuple[Path, dict[str, int], dict[str, str]]:
    """The notebook, each puzzle's answer cell number, and each answer cell's text."""
    cells = [
        nbformat.v4.new_markdown_cell("# Autodiff Puzzles\n\n- by [Sasha Rush](...)"),
        nbformat.v4.new_code_cell(library),
    ]
    where: dict[str, int] = {}
    texts: dict[str, str] = {}
    for block in blocks:
        if block.header is not None:
            cells.append(nbformat.v4.new_markdown_cell(block.header))
        cells.append(nbformat.v4.new_code_cell(block.code))
        if block.pid is not None:
            where[block.pid] = len(cells)
            texts[block.pid] = block.code
    book = nbformat.v4.new_notebook()
    book.cells = cells
    nbformat.write(book, str(path))
    return path, where, texts


def _line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` that contains `needle`."""
    return next(n for n, row in enumerate(text.split("\n"), start=1) if needle in row)


def _source_line(source: str, needle: str) -> int:
    return _line_of(source, needle)


def _grade(
    grade: Grade, tmp: Path, extracted: Extracted, set_name: str, puzzles: tuple[str, ...] = ()
) -> Report:
    path = tmp / f"from_notebook_{set_name}.py"
    path.write_text(extracted.source, encoding="utf-8")
    return grade(path, set_name, puzzles=puzzles)


_READ_FROM: dict[int, Path] = {}


def _cell_texts(got: Extracted) -> dict[int, str]:
    """The cells of the notebook `got` was extracted from, by number."""
    book = nbformat.read(str(_READ_FROM[id(got)]), as_version=4)
    return {n: c.source for n, c in enumerate(book.cells, start=1)}


def _assert_clean(extracted: Extracted, set_name: str) -> None:
    ast.parse(extracted.source)
    assert extracted.source.startswith(f"# adgrader: set={set_name}\n")
    for bad in ("check(", "in_out(", "zip(", "!pip", "!wget", "def f(", "import torch", "from lib"):
        assert bad not in extracted.source
    assert set(extracted.lines) <= set(range(1, len(extracted.source.splitlines()) + 1))


@pytest.fixture(scope="module")
def jax_set() -> PuzzleSet:
    return load_set("jax")


@pytest.fixture(scope="module")
def classic_set() -> PuzzleSet:
    return load_set("classic")


# ---------------------------------------------------------------- 2024, blank


def test_is_notebook() -> None:
    assert is_notebook(Path("autodiff_puzzlers.ipynb"))
    assert is_notebook(Path("A.IPYNB"))
    assert not is_notebook(Path("answers.py"))


def test_blank_jax_notebook(tmp_path: Path, jax_set: PuzzleSet, grade: Grade) -> None:
    path, where, texts = write_notebook(tmp_path / "blank.ipynb", JAX_LIBRARY, jax_blocks(False))
    got = extract(path, jax_set)
    assert got.found == where
    assert len(got.found) == 20
    _assert_clean(got, "jax")
    for pid in where:
        assert f"def jac_{pid}(" in got.source
    assert "from jax.scipy.signal import convolve2d" in got.source
    assert "jaxtyping" not in got.source and "chalk" not in got.source
    # the notebook's numbering: two "Problem 15", no 17; matched by title
    view = f"cell {where['view']}: jac is view, by the header 'Problem 15: View'"
    assert view in [str(n) for n in got.notes]
    # a stub line maps back to its cell and line
    line = _source_line(got.source, "return 0 * Os + Is + Js  # fill in")
    assert got.lines[line] == (where["view"], _line_of(texts["view"], "# fill in"))
    line = _source_line(got.source, "def jac_relu(")
    assert got.lines[line] == (where["relu"], _line_of(texts["relu"], "def jac("))

    report = _grade(grade, tmp_path, got, "jax", puzzles=("id", "cos", "relu", "view", "conv2d"))
    status = {p.id: p.status for p in report.puzzles}
    assert status["id"] == "passed"  # the 2024 notebook's stub for Id is already right
    assert all(status[p] == "todo" for p in ("cos", "relu", "view", "conv2d"))


# ---------------------------------------------------------------- 2024, filled and edited


@pytest.fixture(scope="module")
def messy_jax(
    tmp_path_factory: pytest.TempPathFactory, jax_set: PuzzleSet, grade: Grade
) -> tuple[Extracted, dict[str, int], dict[str, str], Report]:
    """Filled, with a renamed header, two puzzles swapped, extra cells, one puzzle left out,
    one answered twice, one already named the adgrader way and the Sort header gone."""
    tmp = tmp_path_factory.mktemp("messy_jax")
    blocks = jax_blocks(True)
    at = {b.pid: i for i, b in enumerate(blocks)}
    blocks[at["relu"]] = replace(blocks[at["relu"]], header="## Problem 8: My relu attempt")
    blocks[at["cumsum"]] = replace(
        blocks[at["cumsum"]], code=blocks[at["cumsum"]].code.replace("def jac(", "def jac_cumsum(")
    )
    blocks[at["sort"]] = replace(blocks[at["sort"]], header=None)
    blocks[at["conv1d"]], blocks[at["view"]] = blocks[at["view"]], blocks[at["conv1d"]]
    wrong_neg = Block(None, "## Problem 7: Negation", JAX_PUZZLES[6][2])  # the stub first
    blocks.insert(at["neg"], wrong_neg)
    blocks.insert(
        at["mean_reduce"] + 1,
        Block(None, "Scratch: trying things out", "%timeit np.arange(3)\nprint(np.arange(3))"),
    )
    blocks.insert(3, Block(None, None, "x = (\n"))  # a scratch cell that does not parse
    del blocks[[b.pid for b in blocks].index("prod")]
    path, where, texts = write_notebook(tmp / "messy.ipynb", JAX_LIBRARY, blocks)
    got = extract(path, jax_set)
    _READ_FROM[id(got)] = path
    return got, where, texts, _grade(grade, tmp, got, "jax")


def test_messy_jax_found(
    messy_jax: tuple[Extracted, dict[str, int], dict[str, str], Report],
) -> None:
    got, where, _, _ = messy_jax
    assert got.found == where
    assert "prod" not in got.found
    _assert_clean(got, "jax")
    assert "def jac_relu(" in got.source and "def jac_cumsum(" in got.source
    assert got.source.count("def jac_neg(") == 1
    notes = [str(n) for n in got.notes]
    warned = [str(n) for n in got.notes if n.level == "warn"]
    assert any(
        "jac is graded as relu, the next puzzle in order" in n and "My relu attempt" in n
        for n in warned
    )
    assert any(
        "graded as sort" in n and "no Problem header since 'Problem 11: Running Mean'" in n
        for n in warned
    )
    assert any(f"cell {where['neg']}: answers neg again" in n for n in warned)
    assert any("has a syntax error" in n and "so it is skipped" in n for n in warned)
    assert not any("prod" in n for n in notes)  # a missing answer is the report's to say
    # every line of a note fits an 80-column terminal
    assert all(len(row) <= 80 for n in notes for row in n.splitlines())


def test_messy_jax_lines(
    messy_jax: tuple[Extracted, dict[str, int], dict[str, str], Report],
) -> None:
    got, where, texts, _ = messy_jax
    answer = "return (Os == Is) * (x > 0)"
    assert got.lines[_source_line(got.source, answer)] == (
        where["relu"],
        _line_of(texts["relu"], answer),
    )
    answer = "dx = np.pad(y.reshape(2, 2), (0, 5))"
    assert got.lines[_source_line(got.source, answer)] == (
        where["conv2d"],
        _line_of(texts["conv2d"], answer),
    )
    # every line taken from a cell is that cell's line, renamed or not
    rows = got.source.split("\n")
    cells = _cell_texts(got)
    for number, (cell, line) in got.lines.items():
        original = cells[cell].split("\n")[line - 1]
        assert (
            rows[number - 1] == original
            or re.sub(r"\bjac_\w+\(", "jac(", rows[number - 1]) == original
        )


def test_messy_jax_grades(
    messy_jax: tuple[Extracted, dict[str, int], dict[str, str], Report],
) -> None:
    got, _, _, report = messy_jax
    status = {p.id: p.status for p in report.puzzles}
    assert status["prod"] == "missing"
    assert {pid: s for pid, s in status.items() if pid != "prod"} == {
        pid: "passed" for pid in got.found
    }


# ---------------------------------------------------------------- 2024, broken and bare


def test_jax_answer_that_does_not_parse(tmp_path: Path, jax_set: PuzzleSet, grade: Grade) -> None:
    """One answer cell that does not parse is that puzzle's error, said once with its
    cell, line and a caret; the other puzzles are graded."""
    blocks = jax_blocks(True)[:8]
    broken = blocks[7].code.replace("return (Os == Is) * (x > 0)", "return (Os == Is) * (x > 0")
    blocks[7] = replace(blocks[7], code="%%time\n" + broken)
    path, where, _ = write_notebook(tmp_path / "broken.ipynb", JAX_LIBRARY, blocks)
    got = extract(path, jax_set)
    assert "relu" not in got.found and "def jac_relu(" not in got.source
    assert "%%time" not in got.source
    ast.parse(got.source)  # the rest still parses
    problem = got.broken["relu"]
    cell_line = _line_of("%%time\n" + broken, "return (Os == Is) * (x > 0")
    assert (problem.status, problem.cell, problem.line) == ("error", where["relu"], cell_line)
    first, shown, caret, *_ = problem.message.splitlines()
    assert first == f"syntax error at cell {where['relu']}, line {cell_line}: '(' was never closed"
    assert shown.endswith("return (Os == Is) * (x > 0")
    assert caret.index("^") == shown.index("(x > 0")
    assert all(len(row) <= 80 for row in problem.message.splitlines())
    report = _grade(grade, tmp_path, got, "jax", puzzles=("neg", "relu"))
    assert [p.status for p in report.puzzles] == ["passed", "missing"]


def test_jax_notebook_without_headers_goes_by_order(tmp_path: Path, jax_set: PuzzleSet) -> None:
    blocks = [replace(b, header=None) for b in jax_blocks(False)]
    del blocks[3]  # prod
    path, where, _ = write_notebook(tmp_path / "bare.ipynb", JAX_LIBRARY, blocks)
    got = extract(path, jax_set)
    # without headers the order decides: the answer after mean is taken as prod
    order = [p.id for p in jax_set.puzzles]
    assert list(got.found) == order[:-1]
    assert list(got.found.values()) == list(where.values())


# ---------------------------------------------------------------- 2022


def test_blank_classic_notebook(tmp_path: Path, classic_set: PuzzleSet, grade: Grade) -> None:
    path, where, _ = write_notebook(
        tmp_path / "blank.ipynb", CLASSIC_LIBRARY, classic_blocks(False)
    )
    got = extract(path, classic_set)
    assert got.found == where
    assert len(got.found) == 21
    _assert_clean(got, "classic")
    for pid in ("relu", "mean", "mean_reduce", "conv1d", "conv2d", "running_mean", "matmul"):
        assert f"def fb_{pid}(" in got.source
    assert "def fb_conv(" not in got.source and "def fb_mm(" not in got.source
    line = _source_line(got.source, "def fb_mean_reduce(")
    assert got.lines[line] == (where["mean_reduce"], 1)
    line = _source_line(got.source, "def fb_conv2d(")
    assert got.lines[line + 4] == (where["conv2d"], 5)  # its dx line
    report = _grade(grade, tmp_path, got, "classic", puzzles=("relu", "mean_reduce", "conv2d"))
    assert [p.status for p in report.puzzles] == ["todo", "todo", "todo"]


@pytest.fixture(scope="module")
def messy_classic(
    tmp_path_factory: pytest.TempPathFactory, classic_set: PuzzleSet, grade: Grade
) -> tuple[Extracted, dict[str, int], dict[str, str], Report]:
    """Filled, no 1D-conv header, 2D conv before 1D conv, sort left out, extra cells,
    a renamed header and one cell already named the adgrader way."""
    tmp = tmp_path_factory.mktemp("messy_classic")
    blocks = classic_blocks(True)
    at = {b.pid: i for i, b in enumerate(blocks)}
    blocks[at["relu"]] = replace(blocks[at["relu"]], header="### Problem 8: my attempt")
    running = blocks[at["running_mean"]]
    blocks[at["running_mean"]] = replace(
        running, code=running.code.replace("fb_running(", "fb_running_mean(")
    )
    blocks[at["conv1d"]] = replace(blocks[at["conv1d"]], header=None)
    conv2d = blocks.pop(at["conv2d"])
    blocks.insert(at["conv1d"], conv2d)
    blocks.insert(5, Block(None, "A note", "!ls\nprint(gy[:3])"))
    del blocks[[b.pid for b in blocks].index("sort")]
    path, where, texts = write_notebook(tmp / "messy.ipynb", CLASSIC_LIBRARY, blocks)
    got = extract(path, classic_set)
    return got, where, texts, _grade(grade, tmp, got, "classic")


def test_messy_classic(
    messy_classic: tuple[Extracted, dict[str, int], dict[str, str], Report],
) -> None:
    got, where, _, report = messy_classic
    assert got.found == where
    _assert_clean(got, "classic")
    line = _source_line(got.source, "dx = lambda i, j, o, p: {i - o, j - p}")
    assert got.lines[line] == (where["conv2d"], 5)
    status = {p.id: p.status for p in report.puzzles}
    assert status.pop("sort") == "missing"
    assert status == {pid: "passed" for pid in got.found}


def test_classic_without_headers(tmp_path: Path, classic_set: PuzzleSet) -> None:
    """The reused names still land right: fb_mean by its arguments, fb_conv by its dx."""
    blocks = [replace(b, header=None) for b in classic_blocks(False)]
    conv2d = blocks.pop()
    blocks.insert(0, conv2d)  # 2D before 1D: the dx lambda's four indices tell them apart
    path, where, _ = write_notebook(tmp_path / "bare.ipynb", CLASSIC_LIBRARY, blocks)
    got = extract(path, classic_set)
    assert got.found == where


def test_adgrader_names_and_imports(tmp_path: Path, jax_set: PuzzleSet) -> None:
    code = (
        "import jax.numpy as np, torch\n"
        "from jaxtyping import Shaped\n"
        "import numpy as onp\n"
        "def helper(x):\n    return x\n\n"
        "def jac_relu(x):\n    return (Os == Is) * (x > 0)\n\n"
        "jac_neg = lambda x: -1.0 * (Os == Is)\n"
        "check(f, jac_relu, in_shape=Is.shape)\n"
    )
    path, _, _ = write_notebook(
        tmp_path / "named.ipynb",
        JAX_LIBRARY,
        [Block(None, "## Problem 1: Id", code), Block(None, None, "import numpy as onp\njac = 3")],
    )
    got = extract(path, jax_set)
    assert got.found == {"neg": 4, "relu": 4}
    assert "import jax.numpy as np\n" in got.source
    assert got.source.count("import numpy as onp") == 1
    assert "torch" not in got.source and "Shaped" not in got.source
    assert "def jac_relu(x):" in got.source and "jac_neg = lambda x:" in got.source
    assert "def helper(x):" in got.source  # the learner's own code stands
    assert "jac = 3" in got.source  # an assignment, kept as written
    ast.parse(got.source)


@pytest.mark.usefixtures("memo_grading")
def test_check_grades_a_notebook_and_reports_cells(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from adgrader.cli import main

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("!pip install -qqq chalk\nimport jax.numpy as np"),
        nbformat.v4.new_markdown_cell("## Problem 8: ReLU"),
        nbformat.v4.new_code_cell(
            "def f(x):\n    return x * (x > 0)\n\n\ndef jac(x):\n"
            "    return (Os == Is) * (x > 0) * 2  # wrong factor\n\n\ncheck(f, jac, in_shape=Is.shape)"
        ),
    ]
    path = tmp_path / "autodiff_puzzlers.ipynb"
    nbformat.write(notebook, path)
    result = CliRunner().invoke(
        main,
        ["check", str(path), "-p", "relu", "-p", "neg", "--format", "json"],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    relu = next(p for p in data["puzzles"] if p["id"] == "relu")
    assert relu["status"] == "failed" and (relu["cell"], relu["line"]) == (3, 5)  # def jac
    assert next(p for p in data["puzzles"] if p["id"] == "neg")["status"] == "missing"


def test_an_unreadable_notebook_is_an_error_for_every_puzzle(tmp_path: Path, grade: Grade) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json")
    report = grade(path, "jax", puzzles=("relu",))
    assert report.puzzles[0].status == "error" and "notebook" in report.puzzles[0].message
