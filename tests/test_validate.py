"""`adgrader validate` over fixture folders (one per kind of mistake, and one with many
kinds at once) and over the built-in sets, validated once per session."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adgrader.answers.launch import Launcher
from adgrader.cli import main
from adgrader.errors import Problem
from adgrader.spec import find_set_dirs
from adgrader.spec import validate as validate_module
from adgrader.spec.validate import Validation, located, validate
from adgrader.spec.yamlpos import parse_located

from .conftest import Gradings

FIXTURES = Path(__file__).parent / "validate"

# folder: (line in neg.yaml, words of the one problem); None for the valid folder
CASES: dict[str, tuple[int, str] | None] = {
    "valid": None,
    "schema_error": (3, "unknown field `statment`"),
    "givens_fail": (9, "givens or f fail to evaluate: name 'K' is not defined"),
    "wrong_output": (7, "f returns shape (8,), but `output` declares (4,)"),
    "kink_bounds": (13, "finite differences disagree at 50 draws"),
    "probe_on_kink": (14, "probe 1 sits on a kink"),
    "index_form_wrong": (12, "index_form gives"),
}


def test_every_fixture_folder_has_a_case() -> None:
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(CASES)


class _Lent:
    """The session's fork server, lent to one `validate`: its owner closes it."""

    def __init__(self, server: Launcher) -> None:
        self.server = server

    def __getattr__(self, name: str) -> Any:
        return getattr(self.server, name)

    def close(self) -> None:
        pass


@contextlib.contextmanager
def session_server(gradings: Gradings) -> Iterator[None]:
    """Within, `validate` grades starters with answer processes forked from the
    session's server instead of starting a server of its own (a second of CPU each
    time); the built-in sets' run below starts its own, as `adgrader validate` does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate_module, "_fork_server", lambda workdir: _Lent(gradings.launcher))
        yield


@pytest.fixture
def lent_server(gradings: Gradings) -> Iterator[None]:
    with session_server(gradings):
        yield


@pytest.fixture(scope="module")
def found(gradings: Gradings) -> Validation:
    """One run over every fixture folder at once, which each case reads its part of."""
    with session_server(gradings):
        return validate(FIXTURES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_mistake_is_found_with_file_and_line(found: Validation, name: str) -> None:
    problems = [p for p in found.problems if Path(p.file).parent.name == name]
    expected = CASES[name]
    if expected is None:
        assert problems == [] and "valid" in [s.id for s in found.sets]
        return
    line, words = expected
    assert len(problems) == 1, problems
    (problem,) = problems
    assert Path(problem.file).name == "neg.yaml" and problem.line == line
    assert words in problem.message


def test_every_folder_is_checked_in_one_run(found: Validation) -> None:
    assert len(found.problems) == len([c for c in CASES.values() if c])
    # every set whose YAML is valid, problems found by running it or not
    assert sorted(s.id for s in found.sets) == sorted(set(CASES) - {"schema_error"})


@pytest.mark.usefixtures("lent_server")
def test_a_valid_folder_exits_0() -> None:
    result = CliRunner().invoke(main, ["validate", str(FIXTURES / "valid")])
    assert result.exit_code == 0 and "is valid" in result.stdout


# Every mistake of tests/validate_many, a folder of sets one to three levels down, as
# (file, line, words of the message): schema errors (three in one file), a set file that
# is not YAML, a missing and an unlisted puzzle file, an unknown rule, givens that fail,
# a wrong output shape, bounds and a probe on a kink, a wrong index form, and a starter
# that does not run.
MANY = Path(__file__).parent / "validate_many"
MISTAKES = [
    ("course/week1/set.yaml", 5, "puzzle 'twice' has no file twice.yaml"),
    ("course/week1/kink.yaml", 10, "disagree at 50 draws in a row"),
    ("course/week1/shifted.yaml", 9, "index_form gives"),
    ("course/week1/typo.yaml", 3, "unknown field `statment`; did you mean `statement`?"),
    ("course/week1/typo.yaml", 4, "Expected `int`, got `str` (at dims.I)"),
    ("course/week1/typo.yaml", 10, "Expected `float`, got `str` (at bounds.1)"),
    ("course/week2/set.yaml", 5, "not valid YAML"),
    ("course/week2/probe.yaml", 12, "probe 2 sits on a kink of f"),
    ("course/week2/shape.yaml", 7, "f returns shape (6,), but `output` declares (3,)"),
    ("more/deeper/scalars/set.yaml", 5, "extra.yaml is not listed"),
    ("more/deeper/scalars/set.yaml", 8, "unknown rule 'no-autodif'; did you mean 'no-autodiff'?"),
    ("more/deeper/scalars/grid.yaml", 10, "givens or f fail to evaluate: name 'K' is not defined"),
    ("more/deeper/scalars/square.yaml", 9, "the backward starter does not run (error)"),
]


@pytest.mark.usefixtures("lent_server")
def test_one_run_lists_every_mistake_of_a_nested_folder_with_file_and_line() -> None:
    result = CliRunner().invoke(main, ["validate", str(MANY)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    listed = [line.strip() for line in result.stdout.splitlines()]
    for file, line, words in MISTAKES:
        where = f"{MANY / file}:{line}: "
        assert any(s.startswith(where) and words in s for s in listed), (where, words)
    assert f"{len(MISTAKES)} problem(s)" in result.stdout


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_the_built_in_sets_are_valid_and_are_the_four() -> None:
    """One run of `validate` over the built-in folder (the oracle at two seeds for every
    puzzle, each form's starter graded): one test, so it runs once however the suite is
    spread over processes."""
    found = validate(Path(__file__).resolve().parent.parent / "puzzles")
    assert [str(p) for p in found.problems] == []
    assert found.ok
    assert sorted(s.id for s in found.sets) == ["classic", "jax", "scalar", "tensor"]


def test_a_problem_is_located_by_the_field_it_carries() -> None:
    doc = parse_located("id: neg\ngivens:\n  Is: np.arange(I)\n  Os: np.arange(K)\n")
    docs = {"neg.yaml": doc}
    given = Problem("neg.yaml", None, "givens or f fail", ("givens", "Os"))
    assert located(given, docs).line == 4
    # a field the file does not have (the set's default bounds): no line to point at
    assert located(Problem("neg.yaml", None, "kink", ("bounds",)), docs).line is None
    assert located(Problem("neg.yaml", None, "no field"), docs).line is None
    assert located(Problem("other.yaml", None, "m", ("id",)), docs).line is None


def test_sets_are_found_at_any_depth_but_not_in_hidden_folders(tmp_path: Path) -> None:
    for folder in ("a", "b/c", "b/c/d/e", ".git/x", "f/__pycache__"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "set.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "g").mkdir()
    found = [p.relative_to(tmp_path).as_posix() for p in find_set_dirs(tmp_path)]
    assert found == ["a", "b/c", "b/c/d/e"]
    assert find_set_dirs(tmp_path / "a") == [tmp_path / "a"]
