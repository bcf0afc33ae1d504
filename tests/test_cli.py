"""The command line through CliRunner: output at 80 columns (golden files), formats, exit codes.

The commands marked `memo_grading` grade through the session's memo: jax_mistakes.py is
graded once for every format, and the views, files and exit codes are the command's own.
The others grade for real, with answer processes started cold as `check` starts them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from adgrader.cli import main
from adgrader.result import STATUSES

from .conftest import HOSTILE, ROOT, check_golden

ENV = {"COLUMNS": "80", "ADGRADER_SEED": "", "ADGRADER_PUZZLES": ""}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=ENV, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_list_shows_every_set_and_puzzle() -> None:
    code, out, _ = run("list")
    assert code == 0
    check_golden("list.txt", out)


def test_list_of_one_set() -> None:
    code, out, _ = run("list", "--set", "classic")
    assert code == 0
    assert "jax ·" not in out and "21   conv2d" in out


@pytest.mark.parametrize("argv", [["--help"], ["list"], ["check", "--help"]])
def test_help_and_list_never_import_jax(argv: list[str]) -> None:
    code = (
        "import sys\n"
        "from adgrader.cli import main\n"
        f"try:\n    main({argv!r})\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "assert 'jax' not in sys.modules, 'jax was imported'\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_grading_loads_without_numpy_so_answers_start_first() -> None:
    code = (
        "import sys, adgrader.grading.stages\n"
        "assert 'numpy' not in sys.modules, 'numpy was imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


@pytest.mark.usefixtures("memo_grading")
def test_check_text_report_of_typical_mistakes() -> None:
    code, out, _ = run("check", "submissions/jax_mistakes.py")
    assert code == 1
    check_golden("check_jax_mistakes.txt", out)


@pytest.mark.usefixtures("memo_grading")
def test_check_passes_a_full_solution_with_exit_0() -> None:
    code, out, _ = run("check", "submissions/classic_solution.py")
    assert code == 0
    assert "21/21 passed" in out and "set classic" in out


@pytest.mark.usefixtures("memo_grading")
def test_json_report_follows_version_1(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    code, out, _ = run(
        "check", "submissions/jax_mistakes.py", "--format", "json", "-o", str(target)
    )
    assert code == 1
    assert "passed" in out  # the terminal still gets the text report
    data = json.loads(target.read_text())
    assert list(data) == [
        "version",
        "submission",
        "set",
        "seed",
        "points",
        "isolation",
        "set_note",
        "problem",
        "notes",
        "hint",
        "score",
        "max_score",
        "puzzles",
    ]
    assert (data["version"], data["set"], data["seed"], data["points"]) == (1, "jax", 0, 3)
    assert data["isolation"] in ("kernel", "python")
    assert [p["id"] for p in data["puzzles"]][:3] == ["id", "cos", "mean"]
    assert len(data["puzzles"]) == 20
    assert data["score"] == sum(p["score"] for p in data["puzzles"])
    assert data["max_score"] == 20.0
    failed = [p for p in data["puzzles"] if p["status"] == "failed"]
    assert failed
    for p in data["puzzles"]:
        assert set(p) >= {
            "id",
            "title",
            "form",
            "status",
            "score",
            "max_score",
            "message",
            "warnings",
            "violations",
            "mismatches",
        }
        assert p["status"] in STATUSES
    shown = next(p for p in failed if p["mismatches"]["shown"])["mismatches"]
    assert shown["total"] >= len(shown["shown"]) >= 1
    assert set(shown["shown"][0]) == {
        "wrt",
        "out",
        "in",
        "yours",
        "expected",
        "point",
        "kind",
    }


def test_json_goes_to_stdout_without_o() -> None:
    code, out, _ = run("check", "submissions/jax_solution.py", "--format", "json", "-p", "relu")
    assert code == 0
    data = json.loads(out)
    assert [p["id"] for p in data["puzzles"]] == ["relu"] and data["puzzles"][0][
        "status"
    ] == "passed"


@pytest.mark.usefixtures("memo_grading")
def test_seed_and_points_are_recorded() -> None:
    code, out, _ = run(
        "check",
        "submissions/jax_solution.py",
        "--format",
        "json",
        "-p",
        "sort",
        "--seed",
        "7",
        "--points",
        "2",
    )
    assert code == 0
    data = json.loads(out)
    assert (data["seed"], data["points"]) == (7, 2)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["check", "nope.py"], "no such file: 'nope.py'"),
        (["check", "submissions/jax_solution.py", "--set", "nope"], "no puzzle set 'nope'"),
        (["check", "submissions/jax_solution.py", "-p", "nope"], "no puzzle 'nope' in set 'jax'"),
        (
            ["check", "submissions/jax_solution.py", "--puzzles", "tests/specs/unknown_dim"],
            "unknown dim 'K'",
        ),
        (["check", "submissions/jax_solution.py", "--puzzles", "no/such/dir"], "does not exist"),
        (
            ["check", "submissions/jax_solution.py", "-o", "no/such/dir/r.json"],
            "folder does not exist",
        ),
        (["list", "--set", "nope"], "no puzzle set 'nope'"),
    ],
)
def test_usage_and_spec_errors_exit_2_with_a_message(argv: list[str], words: str) -> None:
    code, out, err = run(*argv)
    assert code == 2
    assert words in err and out == ""


def test_unloadable_submission_exits_1_with_a_full_report() -> None:
    code, out, _ = run("check", str(HOSTILE / "syntax_error.py"), "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert len(data["puzzles"]) == 20
    assert {p["status"] for p in data["puzzles"]} == {"error"}
    assert data["puzzles"][0]["line"] == 5


@pytest.mark.usefixtures("memo_grading")
def test_set_marker_in_the_file_picks_the_set() -> None:
    code, out, _ = run("list", "tests/answers/classic_jac.py")
    assert code == 0
    assert "21/21 solved" in out


@pytest.mark.usefixtures("memo_grading")
def test_junit_goes_to_a_file_and_the_text_report_to_the_terminal(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    target = tmp_path / "junit.xml"
    code, out, _ = run(
        "check", "submissions/jax_mistakes.py", "--format", "junit", "-o", str(target)
    )
    assert code == 1 and "14/20 passed" in out
    suite = ET.fromstring(target.read_text()).find("testsuite")
    assert suite is not None and suite.get("failures") == "6" and suite.get("tests") == "20"


@pytest.mark.usefixtures("memo_grading")
def test_github_prints_annotations_and_appends_the_job_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier steps\n")
    env = {**ENV, "GITHUB_STEP_SUMMARY": str(summary)}
    result = CliRunner().invoke(
        main,
        ["check", "submissions/jax_mistakes.py", "--format", "github"],
        env=env,
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(errors) == 6
    assert errors[0].startswith(
        "::error file=submissions/jax_mistakes.py,line=9,title=cos%3A failed::"
    )
    text = summary.read_text()
    assert text.startswith("earlier steps\n") and "| cos · Cosine | FAIL | 0/1 |" in text


@pytest.mark.usefixtures("memo_grading")
def test_gradescope_results_go_to_stdout() -> None:
    code, out, _ = run("check", "submissions/jax_mistakes.py", "--format", "gradescope")
    assert code == 1
    data = json.loads(out)
    assert data["score"] == 14.0 and data["max_score"] == 20.0 and len(data["tests"]) == 20


@pytest.mark.usefixtures("memo_grading")
def test_plot_writes_a_picture_per_wrong_puzzle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adgrader.report import png

    monkeypatch.setattr(png, "DPI", 20)  # small pictures: what is tested is which are written
    pics = tmp_path / "pics"
    selection = ["-p", "cos", "-p", "relu", "-p", "cumsum"]  # relu is right
    result = CliRunner().invoke(
        main,
        ["check", "submissions/jax_mistakes.py", *selection, "--plot", str(pics)],
        env=ENV,
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert sorted(p.name for p in pics.iterdir()) == ["cos.png", "cumsum.png"]
    assert f"wrote 2 picture(s) to {pics}" in result.stderr
