"""Each bad puzzle folder under tests/specs/ is rejected with the file, line and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from adgrader.errors import SpecError
from adgrader.spec import load_set_dir

SPECS = Path(__file__).parent / "specs"

# folder: (file the problem is in, line or None, words the message must contain)
CASES = {
    "yaml_syntax": ("neg.yaml", 5, "not valid YAML"),
    "unknown_field": ("neg.yaml", 2, "unknown field `titel`"),
    "missing_field": ("neg.yaml", 1, "missing required field `f`"),
    "unknown_dim": ("neg.yaml", 6, "unknown dim 'K'"),
    "unlisted_file": ("extra.yaml", None, "not listed in set.yaml"),
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
