"""`adgrader validate` over fixture folders, one per kind of mistake, and the built-in sets."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from adgrader.cli import main
from adgrader.spec.validate import validate

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


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_mistake_is_found_with_file_and_line(name: str) -> None:
    found = validate(FIXTURES / name)
    expected = CASES[name]
    if expected is None:
        assert found.ok and [s.id for s in found.sets] == ["valid"]
        return
    line, words = expected
    assert len(found.problems) == 1, found.problems
    (problem,) = found.problems
    assert Path(problem.file).name == "neg.yaml" and problem.line == line
    assert words in problem.message


def test_validate_reports_every_folder_at_once_and_exits_2() -> None:
    result = CliRunner().invoke(main, ["validate", str(FIXTURES)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    for name, expected in CASES.items():
        if expected:
            assert f"{name}/neg.yaml:{expected[0]}:" in result.stdout
    assert "6 problem(s)" in result.stdout


def test_a_valid_folder_exits_0() -> None:
    result = CliRunner().invoke(main, ["validate", str(FIXTURES / "valid")])
    assert result.exit_code == 0 and "is valid" in result.stdout


@pytest.mark.timeout(120)
def test_the_built_in_sets_are_valid() -> None:
    found = validate(Path(__file__).resolve().parent.parent / "puzzles")
    assert found.problems == []
    assert sorted(s.id for s in found.sets) == ["classic", "jax", "scalar", "tensor"]
