"""`adgrader grade`: a class of mixed good, wrong and hostile submissions, graded at once."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from adgrader.cli import main
from adgrader.errors import UsageError
from adgrader.grading import batch
from adgrader.grading.batch import Gradebook, Row, find_submissions, grade_many, report_name
from adgrader.options import Options
from adgrader.result import PuzzleResult, Report
from adgrader.spec import PuzzleSet, load_set

from .conftest import HOSTILE, ROOT
from .hostile_tools import RECORDING_CLI, assert_none_carry

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


# ---------------------------------------------------------------- a batch keeps what it has
#
# `grade_many` with each submission's grading replaced by a hand-built report: which
# files it grades, and what is on disk meanwhile, without jax or answer processes.


class Stopped(BaseException):
    """The batch stopped from outside while grading a file (Ctrl-C, a CI job cancelled)."""


class Fakes:
    """Stands in for the grading of each file; `stop_at` names the file whose grading
    is interrupted."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.graded: list[str] = []
        self.stop_at = ""
        self.servers = 0
        self.oracles = 0

    def check_against(
        self, path: Path, pset: PuzzleSet, options: Options, launcher: object
    ) -> Report:
        if path.name == self.stop_at:
            raise Stopped
        self.graded.append(path.name)
        status = "passed" if "right" in path.name else "failed"
        puzzle = PuzzleResult("neg", "Neg", status, score=float(status == "passed"))
        return Report(str(path), pset.id, 0, 3, [puzzle])

    def warm_launcher(self, folder: Path) -> object:
        self.servers += 1
        return _NoServer()


class _NoServer:
    warm = True

    def close(self) -> None:
        pass


@pytest.fixture
def fakes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Fakes:
    fake = Fakes(tmp_path / "out")
    monkeypatch.setattr(batch, "check_against", fake.check_against)
    monkeypatch.setattr(batch, "warm_launcher", fake.warm_launcher)

    def oracle(*args: object) -> None:
        fake.oracles += 1

    monkeypatch.setattr("adgrader.grading.oracle.prepare", oracle)
    monkeypatch.setattr("adgrader.grading.oracle.sample", oracle)
    return fake


def _class(tmp_path: Path) -> list[Path]:
    names = ["a_right.py", "b_wrong.py", "c_right.py", "d_wrong.py"]
    for name in names:
        (tmp_path / name).write_text("", encoding="utf-8")
    return [tmp_path / n for n in names]


def _grade(
    files: list[Path],
    fakes: Fakes,
    resume: bool = False,
    on_report: Callable[[Path, Row], None] | None = None,
) -> batch.Batch:
    pset = load_set("jax")
    return grade_many(
        files,
        lambda f: pset,
        Options(puzzles=("neg",)),
        fakes.out,
        lambda report: f'{{"score": {report.score}}}',
        root=files[0].parent,
        jobs=1,
        resume=resume,
        on_report=on_report,
    )


def _rows(out: Path) -> list[list[str]]:
    return list(csv.reader((out / "grades.csv").read_text(encoding="utf-8").splitlines()))[1:]


def test_each_row_and_report_is_on_disk_as_soon_as_its_submission_is_graded(
    tmp_path: Path, fakes: Fakes
) -> None:
    files = _class(tmp_path)
    seen: list[tuple[str, list[str], list[str]]] = []

    def on_report(path: Path, row: Row) -> None:
        reports = sorted(p.name for p in (fakes.out / "reports").iterdir())
        seen.append((path.name, [r[0] for r in _rows(fakes.out)], reports))

    _grade(files, fakes, on_report=on_report)
    for name, rows, reports in seen:  # whatever the order they finished in
        assert str(tmp_path / name) in rows
        assert name.replace(".py", ".json") in reports
    assert [len(rows) for _, rows, _ in seen] == [1, 2, 3, 4]
    assert [r[2] for r in _rows(fakes.out)] == ["1", "0", "1", "0"]


def test_a_stopped_batch_keeps_its_rows_and_resume_grades_only_the_rest(
    tmp_path: Path, fakes: Fakes
) -> None:
    files = _class(tmp_path)
    fakes.stop_at = "c_right.py"
    with pytest.raises(Stopped):
        _grade(files, fakes)
    kept = [r[0] for r in _rows(fakes.out)]
    assert kept[:2] == [str(f) for f in files[:2]] and str(files[2]) not in kept
    reports = {p.name for p in (fakes.out / "reports").iterdir()}
    assert {"a_right.json", "b_wrong.json"} <= reports and "c_right.json" not in reports

    fakes.stop_at, fakes.graded = "", []
    done = _grade(files, fakes, resume=True)
    assert fakes.graded == [f.name for f in files if str(f) not in kept]
    assert [r.submission for r in done.rows] == [str(f) for f in files]
    assert [r[0] for r in _rows(fakes.out)] == [str(f) for f in files]  # in class order
    assert [r.score for r in done.rows] == [1, 0, 1, 0]

    fakes.graded, servers, oracles = [], fakes.servers, fakes.oracles
    _grade(files, fakes, resume=True)  # nothing left: no server, no oracle, no grading
    assert fakes.graded == [] and fakes.servers == servers and fakes.oracles == oracles
    assert len(_rows(fakes.out)) == 4


def test_without_resume_a_batch_starts_afresh(tmp_path: Path, fakes: Fakes) -> None:
    files = _class(tmp_path)
    _grade(files[:2], fakes)
    fakes.graded = []
    _grade(files[:2], fakes)
    assert fakes.graded == ["a_right.py", "b_wrong.py"]


def test_resume_refuses_a_gradebook_of_other_puzzles(tmp_path: Path) -> None:
    (tmp_path / "grades.csv").write_text("submission,set,score,max_score,relu\n", "utf-8")
    with pytest.raises(UsageError, match="written for other puzzles or sets"):
        Gradebook(tmp_path, ["neg"], resume=True)
    (tmp_path / "grades.csv").write_text("submission,set,score,max_score,neg\nx.py,jax,one,1\n")
    with pytest.raises(UsageError, match="cannot be read"):
        Gradebook(tmp_path, ["neg"], resume=True)


def test_a_gradebook_row_reads_back_as_written() -> None:
    row = Row("a.py", "jax", 1.5, 3.0, {"neg": "passed", "relu": "failed"})
    ids = ["neg", "relu", "cumsum"]
    header = [*batch.HEAD, *ids]
    assert Row.parse(header, row.cells(ids)) == row


def test_a_stopped_grade_says_how_to_pick_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _class(tmp_path)

    def stopped_midway(files: list[Path], *args: object, **kwargs: Any) -> None:
        kwargs["on_report"](files[0], None)
        raise SystemExit(143)  # as SIGTERM leaves: a CI job cancelled

    monkeypatch.setattr(batch, "grade_many", stopped_midway)
    result = CliRunner().invoke(main, ["grade", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 143
    assert f"stopped: 1 of {len(files)} submissions graded" in result.stderr
    assert "the same command with --resume grades the rest" in result.stderr

    def stopped_at_once(files: list[Path], *args: object, **kwargs: Any) -> None:
        raise KeyboardInterrupt  # Ctrl-C

    monkeypatch.setattr(batch, "grade_many", stopped_at_once)
    result = CliRunner().invoke(main, ["grade", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 130  # not 1, which says "some puzzles failed"
    assert "stopped before any submission was graded" in result.stderr
    assert "--resume" not in result.stderr


def test_a_batch_stopped_with_sigterm_keeps_its_rows_and_leaves_nothing_running(
    tmp_path: Path,
) -> None:
    """`grade` as a CI job cancelled midway: the finished row is kept, the answers still
    running (each would hang until its 30 s limit) are killed at once, the queued one is
    never started, and no process or folder is left."""
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(ROOT / "submissions" / "jax_solution.py", folder / "a.py")
    for name in ("b.py", "c.py", "d.py"):
        shutil.copy(HOSTILE / "never_returns.py", folder / name)
    out, tokens, jobs = tmp_path / "out", tmp_path / "tokens.txt", tmp_path / "jobs"
    jobs.mkdir()
    tokens.touch()
    env = {**os.environ, "ADGRADER_TEST_TOKENS": str(tokens), "TMPDIR": str(jobs)}
    args = ["grade", str(folder), "--out", str(out), "-p", "neg", "--jobs", "2"]
    proc = subprocess.Popen(
        [sys.executable, str(RECORDING_CLI), *args, "--timeout", "30"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    book = out / "grades.csv"
    for _ in range(1200):  # until a's row is written (at most two minutes)
        if (book.is_file() and book.read_text().count("\n") > 1) or proc.poll() is not None:
            break
        time.sleep(0.1)
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("grade went on for a minute after SIGTERM")
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert time.monotonic() - stopped < 20, "it waited for the answers' limit"
    assert "stopped: 1 of 4 submissions graded" in err
    assert [r[0] for r in _rows(out)] == [str(folder / "a.py")]
    assert_none_carry(tokens.read_text().split())
    assert list(jobs.iterdir()) == []
