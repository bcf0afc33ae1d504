"""Each bad puzzle folder under tests/specs/ is rejected with the file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from adgrader.errors import SpecError
from adgrader.spec import load_set_dir
from adgrader.spec.parse import read_set
from adgrader.spec.schema import _RawPuzzle, _RawSet, json_path, problems_in

SPECS = Path(__file__).parent / "specs"

# folder: (file the problem is in, line or None, words the message must contain)
CASES = {
    "yaml_syntax": ("neg.yaml", 5, "not valid YAML"),
    "unknown_field": ("neg.yaml", 2, "unknown field `titel`"),
    "missing_field": ("neg.yaml", 1, "missing required field `f`"),
    "unknown_dim": ("neg.yaml", 6, "unknown dim 'K'"),
    "unlisted_file": ("set.yaml", 3, "extra.yaml is not listed"),
    "missing_file": ("set.yaml", 3, "has no file relu.yaml"),
    "bad_expression": ("neg.yaml", 8, "not a Python expression"),
    "id_mismatch": ("neg.yaml", 1, "must match the file name"),
    "wrong_type": ("neg.yaml", 4, "Expected `int`, got `str` (at dims.I)"),
    "bad_rule": ("set.yaml", 4, "unknown rule 'one-liner'"),
    "bad_input_name": ("neg.yaml", 6, "must be named x or y"),
}


def test_every_fixture_folder_has_a_case() -> None:
    assert sorted(p.name for p in SPECS.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("folder", sorted(CASES))
def test_bad_folder_is_reported_with_file_and_line(folder: str) -> None:
    file, line, words = CASES[folder]
    with pytest.raises(SpecError) as info:
        load_set_dir(SPECS / folder)
    problems = info.value.problems
    assert any(
        Path(p.file).name == file and p.line == line and words in p.message for p in problems
    ), "\n".join(str(p) for p in problems)


def test_every_schema_problem_is_found_where_it_is() -> None:
    data = {
        "id": "week1",
        "title": "Week 1",
        "puzzles": ["a", {"id": "b", "scor": 2}, {"score": 1}, 3],
        "rules": {"one-line": {"severity": "loud"}},
        "bounds": [0, "one"],
        "titel": "again",
    }
    found = dict(problems_in(data, _RawSet))
    assert found == {
        ("puzzles", 1, "scor"): "unknown field `scor` (at puzzles.1); did you mean `score`?",
        ("puzzles", 2): "missing required field `id` (at puzzles.2)",
        ("puzzles", 3): "Expected `str | object`, got `int` (at puzzles.3)",
        ("rules", "one-line", "severity"): "Invalid enum value 'loud' (at rules.one-line.severity)",
        ("bounds", 1): "Expected `float`, got `str` (at bounds.1)",
        ("titel",): "unknown field `titel`",  # `title` is there: no one to mistake it for
    }
    assert problems_in({"id": "w", "title": "W", "puzzles": []}, _RawSet) == []


def test_a_misspelt_field_is_one_problem_not_two() -> None:
    data = {"id": "neg", "title": "N", "statment": "s", "inputs": {"x": ["I"]}, "output": ["I"]}
    found = dict(problems_in({**data, "f": "-x", "index_form": "-x[o]"}, _RawPuzzle))
    assert found == {("statment",): "unknown field `statment`; did you mean `statement`?"}


def test_mapping_entries_are_named_though_msgspec_does_not_name_them() -> None:
    data = {"givens": {"Is": "np.arange(I)", "A": [1]}, "bounds": {"x": [0, 1], "y": [0, "a"]}}
    found = dict(problems_in(data, _RawPuzzle))
    assert found[("givens", "A")] == "Expected `int | float | str`, got `array` (at givens.A)"
    assert found[("bounds", "y", 1)] == "Expected `float`, got `str` (at bounds.y.1)"
    assert ("givens", "Is") not in found and ("bounds", "x") not in found


def test_msgspec_paths_become_keys_and_indexes() -> None:
    assert json_path("$.inputs.x[1]") == ("inputs", "x", 1)
    assert json_path("$.rules.max-columns.limit") == ("rules", "max-columns", "limit")
    assert json_path("$.givens[...]") == ("givens",)
    assert json_path("$") == ()


def test_a_set_file_that_does_not_parse_still_lets_its_puzzles_be_read(tmp_path: Path) -> None:
    folder = tmp_path / "week"
    folder.mkdir()
    (folder / "set.yaml").write_text("id: week\npuzzles: [neg\n", encoding="utf-8")
    (folder / "neg.yaml").write_text((SPECS / "unknown_dim" / "neg.yaml").read_text())
    (folder / "pos.yaml").write_text(
        (SPECS / "unknown_dim" / "neg.yaml").read_text().replace("[K]", "[I]").replace("neg", "pos")
    )
    reading = read_set(folder)
    assert [(Path(p.file).name, p.line) for p in reading.problems] == [
        ("set.yaml", 3),
        ("neg.yaml", 6),
    ]
    assert [p.id for p in reading.pset.puzzles] == ["pos"]
