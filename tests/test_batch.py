"""`adgrader grade`: a class of mixed good, wrong and hostile submissions, graded at once."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from adgrader.cli import main
from adgrader.grading.batch import find_submissions, report_name

from .conftest import HOSTILE, ROOT

CLASS = {
    "alice/answers.py": ROOT / "submissions" / "jax_solution.py",
    "bob/answers.py": ROOT / "submissions" / "jax_mistakes.py",
    "carol/answers.py": HOSTILE / "never_returns.py",  # hangs (idle, not spinning)
    "dave/answers.py": HOSTILE / "syntax_error.py",
    "erin/answers.py": Path(__file__).parent / "hostile" / "forks.py",
    "frank/answers.py": Path(__file__).parent / "hostile" / "prints_a_lot.py",
}
EXPECTED = {  # submission: statuses of (neg, relu, cumsum)
    "alice": ["passed", "passed", "passed"],
    "bob": ["passed", "passed", "failed"],
    "carol": ["timeout", "passed", "missing"],
    "dave": ["error", "error", "error"],
    "erin": ["error", "passed", "missing"],
    "frank": ["passed", "missing", "missing"],
}


# The class is graded once, in the first test's set-up: early.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    root = tmp_path_factory.mktemp("class")
    for name, source in CLASS.items():
        (root / name).parent.mkdir(parents=True)
        shutil.copy(source, root / name)
    (root / "notes.txt").write_text("not a submission")
    out = root / "grades"
    result = CliRunner().invoke(
        main,
        [
            "grade",
            str(root),
            "--out",
            str(out),
            "--set",
            "jax",
            "-p",
            "neg",
            "-p",
            "relu",
            "-p",
            "cumsum",
            "--timeout",
            "2",  # carol's hang costs it twice (in the batch, then alone)
            "--jobs",
            "2",
        ],
        env={"COLUMNS": "80"},
        catch_exceptions=False,
    )
    return out, result.stdout, result.exit_code


def test_every_submission_gets_a_json_report(graded: tuple[Path, str, int]) -> None:
    out, _, code = graded
    assert code == 1  # some puzzles did not pass
    names = sorted(p.name for p in (out / "reports").iterdir())
    assert names == sorted(f"{who}__answers.json" for who in EXPECTED)
    for who, statuses in EXPECTED.items():
        data = json.loads((out / "reports" / f"{who}__answers.json").read_text())
        assert [p["status"] for p in data["puzzles"]] == statuses, who


def test_grades_csv_is_the_gradebook(graded: tuple[Path, str, int]) -> None:
    out, _, _ = graded
    rows = list(csv.DictReader((out / "grades.csv").read_text().splitlines()))
    assert list(rows[0]) == ["submission", "set", "score", "max_score", "neg", "relu", "cumsum"]
    by_who = {Path(r["submission"]).parent.name: r for r in rows}
    assert sorted(by_who) == sorted(EXPECTED)
    for who, statuses in EXPECTED.items():
        row = by_who[who]
        assert [row["neg"], row["relu"], row["cumsum"]] == statuses
        assert float(row["score"]) == statuses.count("passed")
        assert row["max_score"] == "3"


def test_the_closing_table_shows_pass_rates(graded: tuple[Path, str, int]) -> None:
    _, out, _ = graded
    assert "pass rate per puzzle" in out
    assert "6 submissions graded" in out and "1 with every puzzle passed" in out
    relu = next(line for line in out.splitlines() if line.strip().startswith("relu"))
    assert "4/6" in relu and "67%" in relu


def test_finding_submissions(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.py").write_text("")
    (tmp_path / "a" / "y.ipynb").write_text("{}")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "y.py").write_text("")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "z.py").write_text("")
    assert find_submissions([tmp_path]) == [tmp_path / "a" / "x.py", tmp_path / "a" / "y.ipynb"]
    assert report_name(tmp_path / "a" / "x.py", tmp_path) == "a__x.json"


def test_nothing_to_grade_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["grade", str(tmp_path)])
    assert result.exit_code == 2 and "no .py or .ipynb files" in result.stderr
