"""Answers run in a child process: one bad answer costs one puzzle, never the grading process."""

from __future__ import annotations

import pytest

from adgrader.errors import UsageError

from .conftest import HOSTILE, Grade

# Every grading here goes through the session's memo, answer processes forked warm.
pytestmark = pytest.mark.usefixtures("memo_grading")


def statuses(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {p.id: p.status for p in report.puzzles}


def test_syntax_error_fails_every_puzzle_with_line_and_text(grade: Grade) -> None:
    report = grade(HOSTILE / "syntax_error.py", "jax", puzzles=("neg", "relu"))
    assert statuses(report) == {"neg": "error", "relu": "error"}
    for p in report.puzzles:
        assert p.line == 5 and p.message == "syntax error at line 5: expected ':'"
    # said once for the whole file, with the line and a caret under the place
    assert report.problem.splitlines()[1:3] == [
        "  5 | def jac_relu(x)",
        "    |                ^",
    ]


def test_exit_while_loading_is_an_error_not_a_crash(grade: Grade) -> None:
    report = grade(HOSTILE / "exits_while_loading.py", "jax", puzzles=("neg",))
    (p,) = report.puzzles
    assert p.status == "error" and p.line == 3
    assert "SystemExit: not today" in report.problem and "3 | sys.exit" in report.problem


def test_import_error_at_the_top_names_the_module(grade: Grade) -> None:
    report = grade(HOSTILE / "import_error.py", "jax", puzzles=("neg", "relu"))
    assert statuses(report) == {"neg": "error", "relu": "error"}
    assert "No module named 'a_module_that_does_not_exist'" in report.problem
    assert report.puzzles[0].line == 1


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_endless_loop_times_out_and_the_next_answer_is_still_graded(grade: Grade) -> None:
    # each second of the limit is spent twice, spinning: in the batch, then alone; and
    # relu, alone in a fresh process, must load and pass within it on a busy machine too
    report = grade(HOSTILE / "endless_loop.py", "jax", puzzles=("neg", "relu"), timeout=2.0)
    assert statuses(report) == {"neg": "timeout", "relu": "passed"}
    assert "within 2 s" in report.puzzles[0].message


def test_an_answer_that_kills_its_process_costs_only_that_puzzle(grade: Grade) -> None:
    report = grade(HOSTILE / "kills_its_process.py", "jax", puzzles=("neg", "relu"))
    assert statuses(report) == {"neg": "error", "relu": "passed"}
    assert "exit code 3" in report.puzzles[0].message


def test_wrong_shapes_fail_and_are_explained_with_dim_names(grade: Grade) -> None:
    report = grade(HOSTILE / "wrong_shape.py", "jax", puzzles=("mean", "repeat"))
    mean, repeat = report.puzzles
    assert mean.status == "failed"
    assert mean.message == "wrong shape for d/dx: expected (1, I) = (1, 10), got (10,)"
    assert repeat.status == "failed"
    assert repeat.message == "wrong shape for d/dx: expected (O, 1) = (10, 1), got (1, 1)"


def test_empty_file_has_every_puzzle_missing(grade: Grade) -> None:
    report = grade(HOSTILE / "empty.py", "jax")
    assert {p.status for p in report.puzzles} == {"missing"}
    assert report.puzzles[0].message == "empty.py has no code yet"
    assert "adgrader init FILE" in report.problem


def test_each_answer_sees_its_own_puzzles_givens(grade: Grade) -> None:
    report = grade(HOSTILE / "givens_per_puzzle.py", "jax", puzzles=("mean", "index"))
    assert statuses(report) == {"mean": "passed", "index": "passed"}


def test_missing_file_and_folder_are_usage_errors(grade: Grade) -> None:
    with pytest.raises(UsageError, match="no such file"):
        grade(HOSTILE / "no_such_file.py", "jax")
    with pytest.raises(UsageError, match="is a folder"):
        grade(HOSTILE, "jax")


def test_common_slips_get_messages_that_say_what_to_fix(grade: Grade) -> None:
    report = grade(HOSTILE / "common_slips.py", "jax", puzzles=("neg", "relu", "cumsum", "mean"))
    by_id = {p.id: p for p in report.puzzles}
    assert by_id["neg"].status == "error" and by_id["neg"].line == 4
    assert "NameError: name 'Iss' is not defined" in by_id["neg"].message
    assert by_id["relu"].message == "jac_relu returned None, not an array of numbers"
    assert by_id["cumsum"].line == 11
    assert "dx takes 1 index argument(s), but this puzzle needs 2" in by_id["cumsum"].message
    assert "`dx = lambda i, o: ...`" in by_id["cumsum"].message
    assert by_id["mean"].status == "failed" and by_id["mean"].mismatch_total == 10


def test_two_answer_processes_share_the_puzzles_and_keep_them_apart() -> None:
    from adgrader.grading.stages import check_against
    from adgrader.options import Options
    from adgrader.spec import load_set

    report = check_against(
        HOSTILE / "kills_its_process.py",
        load_set("jax"),
        Options(puzzles=("neg", "relu", "mean"), processes=2),
    )
    assert statuses(report) == {"mean": "missing", "neg": "error", "relu": "passed"}
