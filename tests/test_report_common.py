"""The pieces every report view shares (report/common.py), on hand-built results."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adgrader.report import common
from adgrader.result import Finding, Mismatch, PuzzleResult, Report
from adgrader.spec import load_set

JAX = load_set("jax")
TENSOR = load_set("tensor")
SCALAR = load_set("scalar")


def report(*statuses: str, isolation: str = "kernel") -> Report:
    puzzles = [
        PuzzleResult(f"p{k}", f"P{k}", s, score=1.0 if s == "passed" else 0.0)  # type: ignore[arg-type]
        for k, s in enumerate(statuses)
    ]
    return Report("a.py", "jax", 0, 3, puzzles, isolation=isolation)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.nan, "nan"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (-0.5, "-0.5"),
        (1 / 3, "0.333333"),
        (123456.0, "1.235e+05"),
        (1e-21, "1e-21"),
        (0.00099, "0.00099"),
        (math.inf, "inf"),
    ],
)
def test_number(value: float, text: str) -> None:
    assert common.number(value) == text


def test_index_and_names() -> None:
    assert common.index((3,)) == "3"
    assert common.index((3, 1)) == "(3, 1)"
    assert common.names(("o",)) == "o"
    assert common.names(("o", "p")) == "(o, p)"


def test_progress_score_and_the_others_by_status() -> None:
    r = report("passed", "failed", "error", "error", "missing", "passed")
    assert common.progress_head(r) == "2/6 passed"
    assert common.progress_head(r, "solved") == "2/6 solved"
    assert common.score_text(r) == "score 2/6"
    assert common.others_text(r) == "1 failed, 2 errors, 1 missing"
    assert common.progress_text(r) == "2/6 passed · score 2/6 · 1 failed, 2 errors, 1 missing"
    assert common.progress_text(report("passed")) == "1/1 passed · score 1/1"


def test_the_isolation_warning_is_only_for_python_guards() -> None:
    assert common.isolation_warning(report("passed", isolation="python")) == (
        common.ISOLATION_WARNING
    )
    assert common.isolation_warning(report("passed", isolation="kernel")) == ""
    assert common.isolation_warning(report("passed", isolation="none")) == ""
    assert len(common.ISOLATION_WARNING) <= 80


def test_message_with_a_diagnosis_or_a_stand_in() -> None:
    wrong = PuzzleResult("cos", "Cos", "failed", message="1 of 1 entries wrong")
    assert common.message(wrong) == "1 of 1 entries wrong"
    wrong.diagnosis = "the sign is flipped"
    assert common.message(wrong) == "1 of 1 entries wrong\nLooks like: the sign is flipped"
    assert common.message(PuzzleResult("cos", "Cos", "missing")) == "no answer found"
    assert common.message(PuzzleResult("cos", "Cos", "passed")) == "all entries match"
    assert common.message(PuzzleResult("cos", "Cos", "timeout")) == "timeout"


def test_first_line() -> None:
    assert common.first_line("\n\n  first\nsecond") == "first"
    assert common.first_line("   \n ") == ""
    assert common.first_line("x" * 300) == "x" * 197 + "..."
    assert common.first_line("abcdef", width=5) == "ab..."


def test_puzzle_of_never_raises() -> None:
    result = PuzzleResult("relu", "ReLU", "failed")
    assert common.puzzle_of(result, JAX) is JAX.get("relu")
    assert common.puzzle_of(result, None) is None
    assert common.puzzle_of(PuzzleResult("nope", "N", "failed"), JAX) is None


def jacobian_wrong() -> PuzzleResult:
    return PuzzleResult(
        "matmul",
        "Matmul",
        "failed",
        message="3 of 32 entries wrong",
        mismatch_total=12,
        mismatches=[
            Mismatch("x", (0, 1), (1, 0), 2.0, 0.5),
            Mismatch("y", (1, 0), (0, 1), math.nan, 1.0),
        ],
    )


def test_a_jacobians_grid_carries_the_puzzles_index_names() -> None:
    header, rows = common.mismatch_grid(jacobian_wrong(), JAX)
    assert header == ["wrt", "out o", "in i / j", "yours", "expected"]
    assert rows == [["x", "(0, 1)", "(1, 0)", "2", "0.5"], ["y", "(1, 0)", "(0, 1)", "nan", "1"]]
    bare, _ = common.mismatch_grid(jacobian_wrong(), None, wrt=False)
    assert bare == ["out", "in", "yours", "expected"]


def test_a_gradients_grid_and_a_values_grid() -> None:
    vjp = PuzzleResult(
        "sum", "Sum", "failed", mismatches=[Mismatch("x", (), (2, 3), 1.0, 0.0, kind="vjp")]
    )
    header, rows = common.mismatch_grid(vjp, TENSOR)
    assert header == ["gradient", "in (a, b)", "yours", "expected"]
    assert rows == [["x", "(2, 3)", "1", "0"]]
    value = PuzzleResult(
        "sum", "Sum", "failed", mismatches=[Mismatch("f", (1,), (), 5.0, 6.0, kind="value")]
    )
    assert common.mismatch_grid(value, TENSOR) == (
        ["out o", "yours", "expected"],
        [["1", "5", "6"]],
    )


def test_a_scalar_puzzles_grid_leaves_out_the_empty_index_columns() -> None:
    mul = PuzzleResult(
        "mul", "Mul", "failed", mismatches=[Mismatch("y", (), (), 0.0, 2.0, kind="vjp")]
    )
    assert common.mismatch_grid(mul, SCALAR) == (
        ["gradient", "yours", "expected"],
        [["y", "0", "2"]],
    )


def test_mismatch_line_for_each_kind() -> None:
    assert common.mismatch_line(Mismatch("x", (3,), (4,), 0.0, 1.0)) == (
        "d/dx out 3, in 4: yours 0, expected 1"
    )
    assert common.mismatch_line(Mismatch("x", (), (1, 2), 0.0, 1.0, kind="vjp")) == (
        "gradient of x at (1, 2): yours 0, expected 1"
    )
    assert common.mismatch_line(Mismatch("f", (0,), (), 2.0, 1.0, kind="value")) == (
        "forward's value at 0: yours 2, expected 1"
    )


def test_more_entries() -> None:
    p = jacobian_wrong()
    assert common.more_entries(p) == "+10 more wrong entries"
    assert common.more_entries(p, shown=1) == "+11 more wrong entries"
    p.mismatch_total = 2
    assert common.more_entries(p) == ""


def test_finding_lines_say_warning_or_rule_broken_and_where() -> None:
    assert common.finding_line(Finding("max-columns", "91 wide", 7, "warn")) == (
        "warning [max-columns] line 7: 91 wide"
    )
    assert common.finding_line(Finding("no-autodiff", "uses `grad`", 3, "error", cell=5)) == (
        "rule broken [no-autodiff] cell 5, line 3: uses `grad`"
    )
    assert common.finding_line(Finding("no-autodiff", "uses `grad`")) == (
        "rule broken [no-autodiff] uses `grad`"
    )


def test_plain_details_message_table_more_and_findings_in_that_order() -> None:
    p = jacobian_wrong()
    p.warnings = [Finding("max-columns", "91 wide", 7, "warn")]
    text = common.plain_details(p)
    parts = text.split("\n\n")
    assert parts[0] == "3 of 32 entries wrong"
    assert parts[1].splitlines()[0].split() == ["wrt", "out", "in", "yours", "expected"]
    assert parts[2:] == ["+10 more wrong entries", "warning [max-columns] line 7: 91 wide"]


def test_markdown_tables_code_blocks_and_messages() -> None:
    assert common.md_table(["a", "b|c"], [["1", "x*y"]], align="lr") == (
        "| a | b\\|c |\n| --- | ---: |\n| 1 | x\\*y |"
    )
    assert common.md_code_block("say ``` here") == "````text\nsay ``` here\n````"
    assert common.md_code_block("plain") == "```text\nplain\n```"
    assert common.md_message("one line_here") == "one line\\_here"
    assert common.md_message("Traceback:\n  line 1").startswith("```text\nTraceback:")


def test_md_details_limits_the_table_and_counts_the_rest() -> None:
    p = jacobian_wrong()
    text = common.md_details(p, limit=1)
    assert text.count("\n| x |") == 1 and "| y |" not in text
    assert "+11 more wrong entries" in text


@given(st.text())
def test_a_markdown_cell_is_one_line_with_every_special_character_escaped(text: str) -> None:
    cell = common.md_cell(text)
    assert "\n" not in cell and "\r" not in cell
    unescaped = cell.replace("\\\\", "")
    for special in "|`*_[]<>~&":
        assert special not in unescaped.replace("\\" + special, "")
