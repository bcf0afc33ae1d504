"""Reading a submission into one Submission, as learners' files really come: BOM, CRLF,
other encodings, empty, the wrong kind of file, FIFOs, devices and links, syntax
errors, and notebooks with scratch cells, helper cells and commented-out answers."""

from __future__ import annotations

import ast
import builtins
import contextlib
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import numpy
import pytest

from adgrader.errors import UsageError
from adgrader.spec import PuzzleSet, load_set
from adgrader.submission import Submission, read_submission
from adgrader.submission.read import MAX_FILE_BYTES

from .conftest import HOSTILE, ROOT, SUBMISSIONS

LEARNER_NOTEBOOK = HOSTILE / "learner_2024.ipynb"


@pytest.fixture(scope="module")
def jax_set() -> PuzzleSet:
    return load_set("jax")


def _fits(message: str) -> None:
    """A message said once: a summary line for a table cell, then lines of a terminal."""
    rows = message.splitlines()
    assert len(rows[0]) <= 80
    assert all(len(row) <= 80 for row in rows), message


# ---------------------------------------------------------------- .py files


def test_a_python_file_is_read_as_it_is() -> None:
    path = SUBMISSIONS / "classic_solution.py"
    got = read_submission(path)
    assert got.kind == "file" and got.unusable is None
    assert got.source == path.read_text(encoding="utf-8")
    assert (got.declared, got.declared_at) == ("classic", "line 1")
    assert got.names["fb_relu"].line == _line(got.source, "def fb_relu(")
    assert got.scopes[0].puzzle is None and got.scopes[0].first == 1
    assert got.place(12) == (None, 12)
    assert not got.needs_set and got.for_set(load_set("jax")) is got


def test_a_bom_file_reads_as_python_runs_it() -> None:
    path = HOSTILE / "bom.py"
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    got = read_submission(path)
    assert got.unusable is None
    assert not got.source.startswith("\ufeff")
    assert got.declared == "jax"  # the marker is found behind the BOM
    ast.parse(got.source)
    assert got.names["jac_relu"].line == 9


def test_crlf_line_ends_keep_every_line_number() -> None:
    path = HOSTILE / "crlf.py"
    raw = path.read_bytes()
    assert b"\r\n" in raw
    got = read_submission(path)
    assert got.unusable is None and "\r" not in got.source
    rows = raw.decode("utf-8").split("\r\n")
    number = next(n for n, row in enumerate(rows, start=1) if row.startswith("def jac_relu"))
    assert got.names["jac_relu"].line == number
    assert got.source.split("\n")[number - 1] == rows[number - 1]


def test_old_mac_line_ends_are_lines_too(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    path.write_bytes(b"def jac_neg(x):\r    return -1.0 * (Os == Is)\r")
    got = read_submission(path)
    assert got.unusable is None and got.names["jac_neg"].line == 1


def test_a_latin1_file_says_which_byte_and_what_to_do() -> None:
    got = read_submission(HOSTILE / "latin1.py")
    assert got.unusable is not None and got.unusable.status == "error"
    rows = got.unusable.message.splitlines()
    assert rows[0] == "line 3, column 4: byte 0xe9 is not UTF-8 text"
    assert rows[1].startswith("  3 | # R") and rows[2].index("^") == rows[1].index("�")
    assert "Save it as UTF-8" in got.unusable.message
    assert got.unusable.line == 3
    assert got.declared == "jax"  # still known, so the report names the right set
    _fits(got.unusable.message)


def test_a_coding_line_is_honoured(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    path.write_bytes(b"# -*- coding: latin-1 -*-\n# R\xe9sum\xe9\ndef jac_neg(x):\n    return -1\n")
    got = read_submission(path)
    assert got.unusable is None and "Résumé" in got.source


def test_a_utf16_file_is_told_to_be_saved_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    path.write_bytes("def jac_neg(x):\n    return -1\n".encode("utf-16"))
    got = read_submission(path)
    assert got.unusable is not None and "UTF-16" in got.unusable.summary
    assert "UTF-8" in got.unusable.message


@pytest.mark.parametrize("text", ["", "\n\n", "# my answers\n# (later)\n"])
def test_an_empty_file_is_missing_once(tmp_path: Path, text: str) -> None:
    path = tmp_path / "answers.py"
    path.write_text(text, encoding="utf-8")
    got = read_submission(path)
    assert got.unusable is not None and got.unusable.status == "missing"
    assert got.unusable.summary == "answers.py has no code yet"
    assert "adgrader init" in got.unusable.message
    _fits(got.unusable.message)


def test_a_text_file_is_told_what_a_submission_is(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("no answers here\n", encoding="utf-8")
    got = read_submission(notes)
    assert got.unusable is not None and got.unusable.status == "error"
    assert got.unusable.summary == "notes.txt is not a Python file or a notebook"
    assert ".py file" in got.unusable.message and ".ipynb" in got.unusable.message
    _fits(got.unusable.message)
    code = tmp_path / "answers.txt"
    code.write_text("def jac_neg(x):\n    return -1\n", encoding="utf-8")
    assert "rename it to answers.py" in str(read_submission(code).unusable)


def test_a_notebook_under_the_wrong_name_is_told_its_name(tmp_path: Path) -> None:
    book = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    for name in ("answers.py", "answers.txt"):
        (tmp_path / name).write_text(book, encoding="utf-8")
        got = read_submission(tmp_path / name)
        assert got.unusable is not None
        assert "rename it to answers.ipynb" in got.unusable.message.lower()
    (tmp_path / "code.ipynb").write_text("def jac_neg(x):\n    return -1\n", encoding="utf-8")
    got = read_submission(tmp_path / "code.ipynb")
    assert got.unusable is not None and "rename it to .py" in got.unusable.message


def test_no_such_file_or_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        read_submission(tmp_path / "nope.py")
    with pytest.raises(UsageError, match="is a folder"):
        read_submission(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "answers.py"
    os.mkfifo(fifo)  # opening it to read would wait for a writer forever
    got = read_submission(fifo)
    assert got.unusable is not None and "named pipe" in got.unusable.summary


@pytest.mark.skipif(not Path("/dev/null").exists(), reason="needs /dev/null")
def test_a_device_is_refused() -> None:
    got = read_submission("/dev/null")
    assert got.unusable is not None and "a device" in got.unusable.summary


def test_a_symbolic_link_is_refused_and_its_target_named(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_text("def jac_neg(x):\n    return -1\n", encoding="utf-8")
    link = tmp_path / "answers.py"
    link.symlink_to(target)
    got = read_submission(link)
    assert got.unusable is not None and "symbolic link" in got.unusable.summary
    assert str(target) in got.unusable.message


def test_a_file_too_large_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    with open(path, "wb") as handle:
        handle.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing is written
    got = read_submission(path)
    assert got.unusable is not None and "1 MB at most" in got.unusable.summary


def test_a_syntax_error_is_one_message_with_a_caret() -> None:
    got = read_submission(HOSTILE / "syntax_error.py")
    assert got.unusable is not None
    assert (got.unusable.status, got.unusable.line) == ("error", 5)
    assert got.unusable.message.splitlines() == [
        "syntax error at line 5: expected ':'",
        "  5 | def jac_relu(x)",
        "    |                ^",
        "Fix this line: Python cannot run the file, so no puzzle is graded.",
    ]


def test_a_caret_stays_under_its_column_in_long_lines_tabs_and_accents(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    long = "x = " + " + ".join(f"a{k}" for k in range(60)) + " +* 2\n"
    path.write_text("def jac_neg(x):\n\treturn (é é)\n" + long, encoding="utf-8")
    message = read_submission(path).unusable
    assert message is not None
    _, shown, caret, _ = message.message.splitlines()
    assert shown == "  2 |     return (é é)" and caret[shown.index("é")] == "^"
    path.write_text(long, encoding="utf-8")
    message = read_submission(path).unusable
    assert message is not None
    _, shown, caret, _ = message.message.splitlines()
    _fits(message.message)
    assert shown[caret.index("^")] == "*"


def test_a_nul_byte_is_said_plainly(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    path.write_bytes(b"def jac_neg(x):\n    return -1\x00\n")
    got = read_submission(path)
    assert got.unusable is not None and "NUL byte at line 2" in got.unusable.summary


def test_a_commented_out_answer_is_noted(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    path.write_text(
        "def jac_neg(x):\n    return -1\n\n# def jac_relu(x):\n#     return 1\n", encoding="utf-8"
    )
    notes = [str(n) for n in read_submission(path).notes]
    assert notes == ["line 4: jac_relu is commented out, so it is not graded"]


def test_python_files_never_load_nbformat() -> None:
    """nbformat and jsonschema cost ~170 ms: a .py file (and a format-4 notebook,
    read as plain JSON) is read, and its set inferred, without them."""
    code = (
        "import sys\n"
        "from adgrader.spec import available_sets, load_set\n"
        "from adgrader.submission import read_submission\n"
        "from adgrader.submission.infer import infer_set\n"
        "sets = [load_set(n) for n in available_sets()]\n"
        f"for path in ({str(SUBMISSIONS / 'jax_solution.py')!r}, {str(LEARNER_NOTEBOOK)!r}):\n"
        "    infer_set(read_submission(path), sets)\n"
        "print(sorted(m for m in ('nbformat', 'jsonschema') if m in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


# ---------------------------------------------------------------- notebooks


def test_a_notebook_is_read_then_taken_out_for_a_set(jax_set: PuzzleSet) -> None:
    read = read_submission(LEARNER_NOTEBOOK)
    assert read.kind == "notebook-2024" and read.needs_set and read.source == ""
    got = read.for_set(jax_set)
    assert not got.needs_set and got.set == "jax"
    assert read_submission(LEARNER_NOTEBOOK, jax_set).source == got.source
    assert got.found == {"id": 4, "neg": 7, "relu": 10, "index": 12, "emean": 19}
    ast.parse(got.source)
    # the library cell gives its imports only; the scratch cell its assignment only
    assert "import numpy as onp" in got.source and "get_cmap" not in got.source
    assert "def check(" not in got.source and "print(" not in got.source
    assert "x0 = np.ones(3)" in got.source and "%timeit" not in got.source
    # the learner's own code stands, each name with the puzzle whose cell ran it
    assert (got.names["eye"].puzzle, got.names["eye"].where()) == ("neg", "cell 7, line 11")
    assert (got.names["shifted"].puzzle, got.names["shifted"].cell) == ("neg", 8)
    assert got.names["jac_index"].puzzle == "index"
    assert got.place(got.names["jac_relu"].line) == (10, 11)


def test_a_notebook_says_what_it_skipped(jax_set: PuzzleSet) -> None:
    got = read_submission(LEARNER_NOTEBOOK, jax_set)
    warned = [str(n) for n in got.notes if n.level == "warn"]
    assert warned == [
        "cell 14: jac is commented out (line 11), so it is not graded;\n"
        "  remove the # to have it graded",
        "cell 15: has a syntax error, so it is skipped:\n  line 1: '(' was never closed",
    ]
    sort = got.broken["sort"]
    assert (sort.status, sort.cell, sort.line) == ("error", 17, 12)
    assert sort.message.splitlines()[0] == "syntax error at cell 17, line 12: '(' was never closed"
    assert "sort" not in got.found and "def jac_sort" not in got.source
    for note in got.notes:
        _fits(str(note))
    _fits(sort.message)


def test_a_notebook_that_is_not_json_cannot_be_graded(tmp_path: Path) -> None:
    path = tmp_path / "broken.ipynb"
    path.write_text("{ not json", encoding="utf-8")
    got = read_submission(path)
    assert got.unusable is not None and got.unusable.status == "error"
    assert "not a readable Jupyter notebook (line 1, column 3" in got.unusable.message
    assert not got.needs_set


def test_an_old_notebook_format_is_converted(tmp_path: Path) -> None:
    old = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {},
        "worksheets": [
            {
                "cells": [
                    {"cell_type": "markdown", "source": ["## Problem 8: ReLU"], "metadata": {}},
                    {
                        "cell_type": "code",
                        "input": ["def jac(x):\n", "    return (Os == Is) * (x > 0)\n"],
                        "language": "python",
                        "outputs": [],
                        "metadata": {},
                    },
                ],
                "metadata": {},
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(old), encoding="utf-8")
    got = read_submission(path, load_set("jax"))
    assert got.found == {"relu": 2}


def test_a_notebook_marker_in_a_cell_is_its_declared_set(tmp_path: Path) -> None:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [
        nbformat.v4.new_markdown_cell("# Answers"),
        nbformat.v4.new_code_cell("# adgrader: set=classic\nimport math"),
    ]
    path = tmp_path / "mine.ipynb"
    nbformat.write(book, str(path))
    got = read_submission(path)
    assert (got.declared, got.declared_at, got.kind) == ("classic", "cell 2", "notebook")


def test_which_statements_of_a_cell_are_kept(jax_set: PuzzleSet) -> None:
    """Definitions, assignments and imports, in order; not the puzzle's own `f` and
    givens, nor checks, drawing, loops, shell lines or imports of what only draws."""
    from adgrader.submission.notebook import extract

    cell = (
        "I = 10; eye = 1.0 * (Os == Is); k = 2  # two of mine beside a given\n"
        "!pip install chalk\n"
        "@decorated\n"
        "def helper(v):\n"
        "    return v\n"
        "def jac(x): return eye * (x > 0)\n"
        "for i in range(3):\n"
        "    pass\n"
        "import torch as T, math\n"
        "from lib import *\n"
        "f = lambda x: x\n"
        "shown = check(f, jac)\n"
        "Is2 = Is[:, None]\n"
        "print(Is2)\n"
    )
    got = extract([("markdown", "## Problem 8: ReLU"), ("code", cell)], jax_set)
    assert got.source.split("\n")[2:-1] == [
        "eye = 1.0 * (Os == Is)",
        "k = 2  # two of mine beside a given",
        "@decorated",
        "def helper(v):",
        "    return v",
        "def jac_relu(x): return eye * (x > 0)",
        "import math",
        "Is2 = Is[:, None]",
    ]
    assert got.lines[3] == got.lines[4] == (2, 1) and got.lines[10] == (2, 13)
    assert list(got.names) == ["eye", "k", "helper", "jac_relu", "math", "Is2"]
    assert [(s.puzzle, s.cell) for s in got.scopes] == [("relu", 2)]


def test_a_helper_cell_before_any_header_stands(jax_set: PuzzleSet) -> None:
    """Only the notebook's own library cell gives just its imports."""
    from adgrader.submission.notebook import extract

    cells = [
        ("code", "!pip install -qqq chalk\nimport chalk\nimport numpy as onp\nv = cmap()"),
        ("code", "def diag(v):\n    return v * (Os == Is)\nTWO = 2.0"),
        ("code", "def jac_relu(x):\n    return diag(x > 0)"),
    ]
    got = extract(cells, jax_set)
    assert "import numpy as onp" in got.source and "cmap" not in got.source
    assert "def diag(v):" in got.source and "TWO = 2.0" in got.source
    assert got.names["diag"].puzzle is None and got.names["jac_relu"].puzzle == "relu"


# ---------------------------------------------------------------- helpers and their givens


def _givens(pset: PuzzleSet, pid: str) -> dict[str, Any]:
    puzzle = pset.get(pid)
    names: dict[str, Any] = dict(puzzle.dims)
    for name, value in puzzle.givens.items():
        names[name] = eval(str(value), {"np": numpy, **names})
    return names


def run_by_scopes(sub: Submission, pset: PuzzleSet) -> dict[str, dict[str, Any]]:
    """How the answer process is to run a submission, written out plainly (numpy for
    jax): each puzzle's names, with its answers and helpers bound to its givens.

    1. Run the top-level statements scope by scope, in order, one statement at a time;
       before a scope with a puzzle, bind that puzzle's givens (as its notebook cell
       did). A statement that fails is kept aside, not fatal.
    2. After a scope with a puzzle, keep a copy of the names: that puzzle's names.
    3. For each puzzle: its copy (or the final names), then its givens over them; run
       again there the statements of puzzle-less scopes that failed (a `.py` file's
       `eye = 1.0 * (Os == Is)`); rebind every function the submission defined to
       these names, so a helper sees the givens of the puzzle being graded.
    """
    tree = ast.parse(sub.source)
    shared: dict[str, Any] = {"__builtins__": builtins, "np": numpy, "math": math}
    retry: list[ast.stmt] = []
    snapshots: dict[str, dict[str, Any]] = {}
    for scope in sub.scopes:
        if scope.puzzle is not None:
            shared.update(_givens(pset, scope.puzzle))
        for stmt in tree.body:
            if scope.first <= stmt.lineno <= scope.last:
                try:
                    exec(compile(ast.Module([stmt], []), "<sub>", "exec"), shared)
                except Exception:
                    if scope.puzzle is None:
                        retry.append(stmt)
        if scope.puzzle is not None:
            snapshots[scope.puzzle] = dict(shared)
    result = {}
    for puzzle in pset.puzzles:
        names = dict(snapshots.get(puzzle.id, shared))
        names.update(_givens(pset, puzzle.id))
        for stmt in retry:
            with contextlib.suppress(Exception):  # still failing: said when an answer uses it
                exec(compile(ast.Module([stmt], []), "<sub>", "exec"), names)
        for key, value in list(names.items()):
            if isinstance(value, types.FunctionType) and value.__globals__ is shared:
                names[key] = types.FunctionType(value.__code__, names, value.__name__)
        result[puzzle.id] = names
    return result


def test_a_python_files_helpers_see_the_givens_of_the_puzzle_graded(
    jax_set: PuzzleSet,
) -> None:
    sub = read_submission(HOSTILE / "helpers_use_givens.py")
    names = run_by_scopes(sub, jax_set)
    x = numpy.linspace(-0.5, 0.5, 10)
    assert numpy.array_equal(names["neg"]["jac_neg"](x), -numpy.eye(10))
    assert numpy.array_equal(names["relu"]["jac_relu"](x), numpy.diag(x > 0))
    assert numpy.array_equal(names["emean"]["jac_emean"](x, x)[0], 0.5 * numpy.eye(10))
    assert names["index"]["jac_index"](numpy.zeros(25)).shape == (15, 25)
    # the same helper, called for another puzzle, sees that puzzle's givens
    assert names["index"]["diag"](1.0).shape == (15, 25)


def test_a_notebooks_helpers_see_the_givens_of_their_cells(jax_set: PuzzleSet) -> None:
    sub = read_submission(LEARNER_NOTEBOOK, jax_set)
    names = run_by_scopes(sub, jax_set)
    x = numpy.linspace(-0.5, 0.5, 10)
    assert numpy.array_equal(names["neg"]["jac_neg"](x), -numpy.eye(10))  # eye, neg's cell
    assert numpy.array_equal(names["relu"]["jac_relu"](x), numpy.diag(x > 0))
    index = names["index"]["jac_index"](numpy.zeros(25))  # a helper from neg's cell
    assert index.shape == (15, 25) and numpy.array_equal(index, numpy.eye(15, 25, 10))


def _line(text: str, needle: str) -> int:
    return next(n for n, row in enumerate(text.split("\n"), start=1) if needle in row)


def test_a_notebook_without_answers_is_missing_once(tmp_path: Path, jax_set: PuzzleSet) -> None:
    import nbformat

    book = nbformat.v4.new_notebook()
    book.cells = [nbformat.v4.new_code_cell("import math\nprint(math.pi)")]
    path = tmp_path / "empty.ipynb"
    nbformat.write(book, str(path))
    got = read_submission(path, jax_set)
    assert got.unusable is not None and got.unusable.status == "missing"
    assert got.unusable.summary == "no answers found in the notebook"
    _fits(got.unusable.message)
