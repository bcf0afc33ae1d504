"""The learner's loop: show, init, hint, watch, and progress at the end of check and list."""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from adgrader.cli import main
from adgrader.grading.watch import watch
from adgrader.options import Options
from adgrader.result import Report
from adgrader.spec import load_set

from .conftest import ROOT, SUBMISSIONS, Grade, check_golden

ENV = {"COLUMNS": "80", "ADGRADER_SEED": "", "ADGRADER_PUZZLES": ""}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env=ENV, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_show_tells_everything_about_a_puzzle() -> None:
    code, out, _ = run("show", "relu")
    assert code == 0
    check_golden("show_relu.txt", out)


def test_show_makes_formulas_readable() -> None:
    code, out, _ = run("show", "conv2d", "--set", "classic")
    assert code == 0
    flat = " ".join(out.split())
    assert "f(x, y)[o,p] = 1/(KH · KW) Σ[a, b] x[o + a, p + b] y[a,b]" in flat
    assert "def jac_conv2d(x, y):" in out and "def fb_conv2d(x, y):" in out
    assert run("show", "nope")[0] == 2


def test_init_writes_stubs_that_run_and_fail(tmp_path: Path, grade: Grade) -> None:
    target = tmp_path / "answers.py"
    code, out, _ = run("init", str(target), "--set", "classic", "--form", "jac")
    assert code == 0 and "21 puzzles of set classic, jac form" in out
    text = target.read_text()
    assert text.startswith("# adgrader: set=classic\n")
    zeros = "np.zeros((M, M, M, M))"
    assert f"def jac_matmul(x, y):\n    return {zeros}, {zeros}" in text
    assert "# 20. Matmul (matmul)" in text
    report = grade(target, "classic", puzzles=("id", "sort", "matmul"))
    # untouched, the stubs are not attempted yet: no table of wrong entries, no score
    assert [p.status for p in report.puzzles] == ["todo", "todo", "todo"]
    assert report.puzzles[0].message == "not attempted yet: still the starter"
    # one changed stub is an attempt, graded and failed like any other answer
    target.write_text(
        text.replace(
            "def jac_id(x):\n    return np.zeros((1, 1))",
            "def jac_id(x):\n    return 2 + np.zeros((1, 1))",
        )
    )
    again = grade(target, "classic", puzzles=("id",), seed=1)
    assert again.puzzles[0].status == "failed"


def test_init_never_overwrites_without_force(tmp_path: Path) -> None:
    target = tmp_path / "answers.py"
    target.write_text("# my work\n")
    code, _, err = run("init", str(target))
    assert code == 2 and "exists; use --force" in err
    assert target.read_text() == "# my work\n"
    assert run("init", str(target), "--force")[0] == 0
    assert "def jac_relu(x):" in target.read_text()


def test_hints_are_revealed_one_more_each_time(tmp_path: Path) -> None:
    submission = tmp_path / "answers.py"
    submission.write_text("")
    relu = load_set("jax").get("relu")
    assert len(relu.hints) >= 2
    code, first, _ = run("hint", "relu", "--file", str(submission))
    assert code == 0 and "Hint 1/" in first and "Hint 2/" not in first
    code, second, _ = run("hint", "relu", "--file", str(submission))
    assert "Hint 1/" in second and "Hint 2/" in second
    assert (tmp_path / ".adgrader-hints.json").read_text().count('"jax/relu": 2') == 1
    run("hint", "relu", "--file", str(submission), "--reset")
    assert "Hint 2/" not in run("hint", "relu", "--file", str(submission))[1]


def test_every_built_in_puzzle_has_at_least_two_hints() -> None:
    for set_id in ("jax", "classic"):
        assert all(len(p.hints) >= 2 for p in load_set(set_id).puzzles), set_id


@pytest.mark.usefixtures("memo_grading")  # one grading for both commands
def test_check_and_list_end_with_the_same_progress() -> None:
    _, checked, _ = run("check", "submissions/jax_mistakes.py")
    _, listed, _ = run("list", "submissions/jax_mistakes.py")
    assert "14/20 passed · score 14/20 · 6 failed" in checked
    assert "14/20 solved · score 14/20 · 6 failed" in listed
    assert "━" in checked.splitlines()[-2] and "━" in listed.splitlines()[-1]


@pytest.mark.timeout(90)  # against a hang only: nothing here waits for a set time
def test_watch_grades_again_on_every_save_and_survives_a_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    shutil.copy(SUBMISSIONS / "jax_mistakes.py", path)
    reports: queue.Queue[Report] = queue.Queue()
    stop = threading.Event()
    options = Options(puzzles=("id", "cos", "relu"))  # cos is one of the mistakes
    worker = threading.Thread(
        target=watch,
        args=(path, load_set("jax"), reports.put),
        kwargs={"stop": stop, "options": options},
    )
    worker.start()

    def saved(text: str, wanted: Callable[[Report], bool]) -> Report:
        """Save `text` until a verdict that is `wanted` comes: a save made before the
        watcher watches (or merged with one before it) is simply made again."""
        while True:
            path.write_text(text)
            with contextlib.suppress(queue.Empty):
                while not wanted(report := reports.get(timeout=1)):
                    pass
                return report

    try:
        first = reports.get()  # the grading when watch starts
        assert [p.status for p in first.puzzles] == ["passed", "failed", "passed"]
        broken = saved(
            "def jac_id(x)\n    return 2\n",
            lambda r: {p.status for p in r.puzzles} == {"error"},
        )
        assert "syntax error at line 1" in broken.puzzles[0].message
        solved = saved(
            (ROOT / "submissions" / "jax_solution.py").read_text(), lambda r: r.passed > 0
        )
        assert solved.all_passed and len(solved.puzzles) == 3
    finally:
        stop.set()
        worker.join()


def test_the_watch_screen_shows_progress_the_unsolved_and_the_first_in_full(grade: Grade) -> None:
    import io

    from rich.console import Console

    from adgrader.report.text import render_focus

    report = grade(SUBMISSIONS / "jax_mistakes.py", "jax")
    # The header names the file; a relative name keeps the wrapping independent of the checkout.
    report = dataclasses.replace(report, submission="submissions/jax_mistakes.py")
    console = Console(file=io.StringIO(), width=80)
    render_focus(report, console, load_set("jax"))
    check_golden("watch_screen.txt", console.file.getvalue())


def test_the_watch_screen_says_a_file_wide_error_once(grade: Grade) -> None:
    import io

    from rich.console import Console

    from adgrader.report.text import render_focus

    from .conftest import HOSTILE

    report = grade(HOSTILE / "syntax_error.py", "jax")
    console = Console(file=io.StringIO(), width=80)
    render_focus(report, console, load_set("jax"))
    out = console.file.getvalue()
    assert out.count("syntax error at line 5") == 1 and "5 | def jac_relu(x)" in out
    assert "Negation" not in out  # no table of twenty copies of the same error
