"""The JUnit, GitHub and Gradescope views, on hand-built reports (fast) and one real grading."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import pytest

from adgrader.report import github, gradescope, junit
from adgrader.report.common import md_cell, md_escape, plain_table
from adgrader.result import Finding, Mismatch, PuzzleResult, Report
from adgrader.spec import load_set

from .conftest import SUBMISSIONS, Grade

NASTY = 'bad: 100% wrong, a,b\nsecond line\r\n<&>"'


def sample() -> Report:
    """Every status once, plus a passed-with-warning, a NaN and a two-input puzzle."""
    warn = Finding("max-columns", "line is 91 columns long", 7, "warn")
    return Report(
        submission="subs/answers.py",
        set="jax",
        seed=0,
        points=3,
        duration=2.6,
        puzzles=[
            PuzzleResult("id", "Id", "passed", "jac", line=3, score=1.0),
            PuzzleResult("relu", "ReLU", "passed", "jac", line=5, score=1.0, warnings=[warn]),
            PuzzleResult(
                "cos",
                "Cosine",
                "failed",
                "jac",
                message="1 of 1 entries wrong",
                line=9,
                mismatch_total=1,
                mismatches=[Mismatch("x", (0,), (0,), math.nan, -0.5)],
            ),
            PuzzleResult(
                "emean",
                "Elementwise mean",
                "failed",
                "jac",
                message="12 of 200 entries wrong",
                line=13,
                mismatch_total=12,
                mismatches=[Mismatch("y", (k,), (k,), 1.0, 0.5) for k in range(10)],
            ),
            PuzzleResult("mean", "Mean", "error", "jac", message=NASTY, line=None),
            PuzzleResult("sort", "Sort", "timeout", "dx", message="took over 10 s", line=20),
            PuzzleResult("prod", "Product", "missing"),
            PuzzleResult(
                "neg",
                "Negation",
                "violation",
                "jac",
                message="breaks a rule",
                line=30,
                violations=[Finding("no-autodiff", "calls jax.jacfwd", 31)],
            ),
        ],
    )


# ---------------------------------------------------------------- JUnit


def test_junit_parses_with_counts_and_names() -> None:
    report = sample()
    root = ET.fromstring(junit.render(report))
    assert root.tag == "testsuites"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == "jax"
    assert suite.get("tests") == "8"
    assert suite.get("failures") == "3"  # failed x2, violation
    assert suite.get("errors") == "2"  # error, timeout
    assert suite.get("skipped") == "1"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [p.id for p in report.puzzles]
    assert {c.get("classname") for c in cases} == {"jax"}
    assert len(suite.findall("testcase/failure")) == 3
    assert len(suite.findall("testcase/error")) == 2
    assert len(suite.findall("testcase/skipped")) == 1
    assert list(cases[0]) == [] and list(cases[1]) == []  # passed: empty testcases


def test_junit_properties_types_and_text() -> None:
    suite = ET.fromstring(junit.render(sample())).find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["seed"] == "0" and props["points"] == "3"
    assert props["score"] == "2" and props["max_score"] == "8"
    assert props["submission"] == "subs/answers.py"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    cos = cases["cos"].find("failure")
    assert cos is not None and cos.get("type") == "failed"
    assert "nan" in (cos.text or "") and "-0.5" in (cos.text or "")
    emean = cases["emean"].find("failure")
    assert emean is not None
    assert (emean.text or "").splitlines()[2].split() == ["wrt", "out", "in", "yours", "expected"]
    assert "+2 more wrong entries" in (emean.text or "")
    neg = cases["neg"].find("failure")
    assert neg is not None and neg.get("type") == "violation"
    assert "rule broken [no-autodiff] line 31: calls jax.jacfwd" in (neg.text or "")
    timeout = cases["sort"].find("error")
    assert timeout is not None and timeout.get("type") == "timeout"


def test_junit_escapes_markup_and_control_characters() -> None:
    report = sample()
    report.puzzles[4].message = NASTY + "\x1b[31m\x00"
    text = junit.render(report)
    error = ET.fromstring(text).find(".//testcase[@name='mean']/error")
    assert error is not None
    assert error.get("message") == "bad: 100% wrong, a,b"
    assert '<&>"' in (error.text or "")
    assert "\x1b" not in text and "\x00" not in text


def test_index_names_come_from_the_set() -> None:
    pset = load_set("jax")
    emean = ET.fromstring(junit.render(sample(), pset)).find(".//testcase[@name='emean']/failure")
    assert emean is not None
    header = (emean.text or "").splitlines()[2].split()
    assert header == ["wrt", "out", "o", "in", "j", "yours", "expected"]
    assert "| wrt | out o | in j | yours | expected |" in gradescope.render(sample(), pset)


# ---------------------------------------------------------------- GitHub


def test_github_annotations_errors_then_warnings() -> None:
    lines = github.annotations(sample()).splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["::error"] * 6 + ["::warning"]
    assert lines[0].startswith("::error file=subs/answers.py,line=9,title=cos%3A failed::")
    assert "line=" not in lines[2]  # the error puzzle has no line
    assert lines[5].startswith("::error file=subs/answers.py,line=31,title=neg%3A violation::")
    assert lines[6].startswith("::warning file=subs/answers.py,line=7,title=relu%3A warning::")


def test_github_annotations_limit_and_notice() -> None:
    lines = github.annotations(sample(), limit=2).splitlines()
    assert len(lines) == 3
    assert lines[-1] == "::notice::adgrader: 5 more annotations not shown; see the job summary"
    assert github.annotations(sample(), limit=0).splitlines() == [
        "::notice::adgrader: 7 more annotations not shown; see the job summary"
    ]
    passing = Report("a.py", "jax", 0, 3, [PuzzleResult("id", "Id", "passed", score=1.0)])
    assert github.annotations(passing) == ""


def test_github_escaping_is_exact() -> None:
    report = Report(
        "dir/a,b:c%.py",
        "jax",
        0,
        3,
        [PuzzleResult("mean", "Mean", "error", message=NASTY, line=4)],
    )
    assert github.annotations(report) == (
        "::error file=dir/a%2Cb%3Ac%25.py,line=4,title=mean%3A error::"
        'bad: 100%25 wrong, a,b%0Asecond line%0D%0A<&>"\n'
    )


def test_github_annotation_lists_up_to_three_mismatches() -> None:
    text = github.annotations(sample())
    assert "\r" not in text
    assert all(line.startswith("::") for line in text.splitlines())
    emean = next(line for line in text.splitlines() if "title=emean" in line)
    data = emean.split("::", 2)[2].split("%0A")
    assert data == [
        "12 of 200 entries wrong",
        "d/dy out 0, in 0: yours 1, expected 0.5",
        "d/dy out 1, in 1: yours 1, expected 0.5",
        "d/dy out 2, in 2: yours 1, expected 0.5",
        "+9 more wrong entries",
    ]


def test_github_summary_markdown() -> None:
    report = sample()
    report.puzzles[2].message = "a | b"
    text = github.summary(report)
    assert text.startswith("## adgrader: 2/8")
    assert "| # | puzzle | status | score | details |" in text
    assert "| 3 | cos · Cosine | FAIL | 0/1 | a \\| b |" in text
    assert "| 2 | relu · ReLU | PASS | 1/1 | 1 warning |" in text
    assert "| 7 | prod · Product | MISSING | 0/1 |" in text
    assert "### emean · Elementwise mean: FAIL" in text
    assert "| y | 4 | 4 | 1 | 0.5 |" in text and "| y | 5 | 5 |" not in text  # 5 rows
    assert "+7 more wrong entries" in text
    assert "### prod" not in text  # missing puzzles stay in the table
    assert "```" in text  # the two-line error message is a code block
    for line in text.splitlines():
        if line.startswith("|"):
            cells = line.replace("\\|", "").strip("|").split("|")
            assert len(cells) == 5


def test_markdown_helpers() -> None:
    assert md_escape("a|b\nc") == md_cell("a|b\nc") == "a\\|b c"
    assert md_cell("# x") == "# x" and md_escape("# x") == "\\# x"
    assert md_escape("- item") == "\\- item"
    assert md_escape("-0.5") == "-0.5"
    assert md_escape("1. x") == "1\\. x"
    assert plain_table(["a", "bb"], [["xyz", "1"]]) == "a    bb\nxyz   1"


# ---------------------------------------------------------------- Gradescope


def test_gradescope_results_json() -> None:
    report = sample()
    text = gradescope.render(report)
    assert "NaN" not in text and "Infinity" not in text
    data = json.loads(text)
    assert set(data) == {
        "score",
        "max_score",
        "execution_time",
        "output",
        "output_format",
        "visibility",
        "stdout_visibility",
        "tests",
    }
    assert data["score"] == 2.0 and data["max_score"] == 8.0
    assert data["execution_time"] == 3 and isinstance(data["execution_time"], int)
    assert data["output_format"] == "md" and data["stdout_visibility"] == "hidden"
    assert "\n" not in data["output"]
    tests = data["tests"]
    assert len(tests) == len(report.puzzles)
    assert sum(t["score"] for t in tests) == data["score"]
    assert sum(t["max_score"] for t in tests) == data["max_score"]
    for k, (t, p) in enumerate(zip(tests, report.puzzles, strict=True), start=1):
        assert set(t) >= {"name", "number", "score", "max_score", "status", "output"}
        assert t["number"] == str(k)
        assert t["name"] == f"{p.id} · {p.title}"
        assert t["status"] == ("passed" if p.passed else "failed")
        assert t["output_format"] == "md" and t["visibility"] == "visible"
    assert "| x | 0 | 0 | nan | -0.5 |" in tests[2]["output"]
    assert "rule broken \\[no-autodiff\\] line 31" in tests[7]["output"]


def test_gradescope_non_finite_scores_become_strings() -> None:
    report = Report(
        "a.py", "jax", 0, 3, [PuzzleResult("id", "Id", "failed", score=math.nan)], duration=0.2
    )
    data = json.loads(gradescope.render(report))
    assert data["tests"][0]["score"] == "NaN"
    assert data["execution_time"] == 0


# ---------------------------------------------------------------- end to end


def test_real_submission_renders_in_every_format(grade: Grade) -> None:
    report = grade(SUBMISSIONS / "jax_mistakes.py", "jax")
    failing = [p for p in report.puzzles if not p.passed]
    assert failing, "jax_mistakes.py should fail some puzzles"

    suite = ET.fromstring(junit.render(report)).find("testsuite")
    assert suite is not None
    bad = sum(report.count(s) for s in ("failed", "violation"))
    assert suite.get("failures") == str(bad) == str(len(suite.findall("testcase/failure")))
    assert suite.get("errors") == str(report.count("error") + report.count("timeout"))

    lines = github.annotations(report, limit=100).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == len(failing)
    assert github.summary(report).count("\n### ") == len(
        [p for p in failing if p.status != "missing"]
    )

    data = json.loads(gradescope.render(report))
    assert sum(t["status"] == "failed" for t in data["tests"]) == len(failing)
    assert data["score"] == pytest.approx(report.score)
