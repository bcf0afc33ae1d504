"""The hostile corpus: each file in tests/hostile/ misbehaves one way; none may pass.

Every case is graded with a short timeout. The table gives each puzzle's expected
status and, where it matters, words its message must contain.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from adgrader.answers.launch import TOKEN_VAR, Child, ColdStart
from adgrader.cli import main
from adgrader.grading.stages import check_against
from adgrader.options import Limits, Options
from adgrader.spec import load_set

from .conftest import Grade

HOSTILE = Path(__file__).parent / "hostile"
# Generous, so that a busy machine never turns a right answer into a timeout; the
# cases about endless loops give their own, shorter one.
TIMEOUT = 30.0
SHORT = 3.0

# file: (puzzles to grade, {puzzle: (status, words in the message)}, options)
CASES: dict[str, tuple[tuple[str, ...], dict[str, tuple[str, str]], dict[str, object]]] = {
    "starts_subprocess.py": (
        ("neg", "relu"),
        {"neg": ("error", "may not start other processes"), "relu": ("passed", "")},
        {},
    ),
    "forks.py": (
        ("neg", "relu"),
        {"neg": ("error", "may not start other processes"), "relu": ("passed", "")},
        {},
    ),
    "setsid_daemon.py": (("neg",), {"neg": ("passed", "")}, {}),
    "non_daemon_thread.py": (("neg",), {"neg": ("passed", "")}, {}),
    "ignores_sigterm.py": (
        ("neg", "relu"),
        {"neg": ("timeout", "did not finish within 3 s"), "relu": ("passed", "")},
        {"timeout": SHORT},
    ),
    "reads_stdin.py": (("neg", "relu"), {"neg": ("error", "EOFError"), "relu": ("passed", "")}, {}),
    "exits_in_answers.py": (
        ("id", "cos", "mean", "prod", "repeat", "neg"),
        {
            "id": ("error", "SystemExit"),
            "cos": ("error", "KeyboardInterrupt"),
            "mean": ("error", "Escape: not an Exception"),
            "prod": ("error", "RecursionError"),
            "repeat": ("error", "MemoryError"),
            "neg": ("passed", ""),
        },
        {},
    ),
    "prints_a_lot.py": (("neg",), {"neg": ("passed", "")}, {}),
    "mutates_x.py": (("relu",), {"relu": ("failed", "entries wrong")}, {}),
    "monkeypatches.py": (("neg",), {"neg": ("failed", "10 of 100 entries wrong")}, {}),
    "fake_report.py": (("neg",), {"neg": ("failed", "entries wrong")}, {}),
    "peeks.py": (("neg",), {"neg": ("failed", "entries wrong")}, {}),
    "overwrites_report.py": (("neg",), {"neg": ("failed", "entries wrong")}, {}),
    "autodiff_hidden.py": (
        ("neg", "relu", "cumsum", "sort"),
        {
            "neg": ("violation", "automatic differentiation"),
            "relu": ("violation", "automatic differentiation"),
            "cumsum": ("violation", "automatic differentiation"),
            "sort": ("violation", "automatic differentiation"),
        },
        {},
    ),
    "autodiff_beaten.py": (
        ("neg", "relu", "cumsum", "sort", "mean", "cos"),
        {
            "neg": ("violation", "automatic differentiation"),
            "relu": ("violation", "automatic differentiation"),
            "cumsum": ("violation", "automatic differentiation"),
            "sort": ("failed", "entries wrong"),  # the given f: its derivatives are NaN
            "mean": ("violation", "automatic differentiation"),
            "cos": ("violation", "automatic differentiation"),
        },
        {},
    ),
    "autodiff_unwatched.py": (
        ("repeat", "neg"),
        {
            "repeat": ("error", "automatic differentiation"),
            "neg": ("error", "automatic differentiation"),
        },
        {},
    ),
    "array_literal.py": (
        ("neg", "relu", "cumsum"),
        {
            "neg": ("violation", "no-array-literal"),
            "relu": ("violation", "no-array-literal"),
            "cumsum": ("violation", "no-array-literal"),
        },
        {},
    ),
    "long_lines.py": (("neg", "relu"), {"neg": ("passed", ""), "relu": ("passed", "")}, {}),
    "bad_returns.py": (
        (
            "id",
            "cos",
            "mean",
            "prod",
            "repeat",
            "repeat_scale",
            "neg",
            "relu",
            "index",
            "emean",
            "cumsum",
            "sort",
        ),
        {
            "id": ("error", "a string '0.5', not an array of numbers"),
            "cos": ("error", "a dict, not an array of numbers"),
            "mean": ("error", "not an array of numbers"),
            "prod": ("error", "complex numbers"),
            "repeat": ("failed", "10 of 10 entries wrong"),
            "repeat_scale": ("failed", "10 of 10 entries wrong"),
            "neg": ("error", "far larger than the Jacobian"),
            "relu": ("error", "must return (f, dx), got 3 values"),
            "index": ("error", "dx raised ZeroDivisionError at i=0, o=3"),
            "emean": ("error", "must return a pair (d/dx, d/dy)"),
            "cumsum": ("error", "returned None"),
            "sort": ("violation", "no-array-literal"),
        },
        {},
    ),
    "not_utf8.py": (("neg",), {"neg": ("error", "saved as UTF-16")}, {}),
    "answers.txt": (("neg",), {"neg": ("error", "not a Python file")}, {}),
}


def test_every_file_in_the_corpus_has_a_case() -> None:
    files = {p.name for p in HOSTILE.iterdir() if p.is_file()}
    assert files == {*CASES, "slow_file.py"}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_submission_gets_its_expected_verdicts(grade: Grade, name: str) -> None:
    puzzles, expected, options = CASES[name]
    report = grade(HOSTILE / name, "jax", puzzles=puzzles, **{"timeout": TIMEOUT, **options})
    got = {p.id: (p.status, p.message) for p in report.puzzles}
    for pid, (status, words) in expected.items():
        assert got[pid][0] == status, (pid, got[pid])
        assert words in got[pid][1] or any(
            words in f"[{f.rule}] {f.message}"
            for p in report.puzzles
            if p.id == pid
            for f in p.violations
        ), (pid, got[pid])
    passed = {p.id for p in report.puzzles if p.passed}
    assert passed == {pid for pid, (status, _) in expected.items() if status == "passed"}


def test_long_lines_warn_and_strict_makes_them_violations(grade: Grade) -> None:
    report = grade(HOSTILE / "long_lines.py", "jax", puzzles=("neg", "relu"), timeout=TIMEOUT)
    neg, relu = report.puzzles
    assert [w.rule for w in neg.warnings] == ["max-columns"] and neg.warnings[0].line == 2
    assert [w.rule for w in relu.warnings] == ["one-line"] and relu.warnings[0].line == 6
    strict = grade(
        HOSTILE / "long_lines.py", "jax", puzzles=("neg", "relu"), timeout=TIMEOUT, strict=True
    )
    assert [p.status for p in strict.puzzles] == ["violation", "violation"]
    assert strict.score == 0


class RecordingLauncher(ColdStart):
    """Starts answer processes as `check` does, and keeps each one's token."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        child = super().spawn(workdir, requests_fd, events_fd, output_fd)
        self.tokens.append(child.token)
        return child


def carrying(tokens: list[str]) -> list[str]:
    """Processes whose environment carries one of these grading tokens."""
    markers = {f"{TOKEN_VAR}={t}".encode() for t in tokens}
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if markers & set(handle.read().split(b"\0")):
                        found.append(entry)
            except OSError:
                continue
    return found


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "name",
    [
        "starts_subprocess.py",
        "forks.py",
        "setsid_daemon.py",
        "non_daemon_thread.py",
        "ignores_sigterm.py",
    ],
)
def test_nothing_keeps_running_after_grading(name: str) -> None:
    launcher = RecordingLauncher()
    timeout = float(CASES[name][2].get("timeout", TIMEOUT))  # type: ignore[arg-type]
    options = Options(puzzles=CASES[name][0], limits=Limits(timeout=timeout))
    check_against(HOSTILE / name, load_set("jax"), options, launcher)
    assert launcher.tokens, "no answer process was started"
    assert carrying(launcher.tokens) == []


def test_the_report_file_cannot_be_forged(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = CliRunner().invoke(
        main,
        [
            "check",
            str(HOSTILE / "overwrites_report.py"),
            "-p",
            "neg",
            "--format",
            "json",
            "-o",
            str(target),
            "--timeout",
            str(TIMEOUT),
        ],
        env={"COLUMNS": "80"},
    )
    assert result.exit_code == 1
    data = json.loads(target.read_text())
    assert data["puzzles"][0]["status"] == "failed" and data["score"] == 0


def test_printed_output_never_reaches_the_report() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "adgrader",
            "check",
            str(HOSTILE / "fake_report.py"),
            "-p",
            "neg",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "80"},
    )
    assert done.returncode == 1
    data = json.loads(done.stdout)
    assert data["puzzles"][0]["status"] == "failed"
    assert "::notice::" not in done.stdout + done.stderr


@pytest.mark.timeout(60)
def test_the_whole_file_has_a_time_limit_too() -> None:
    started = time.monotonic()
    report = check_against(
        HOSTILE / "slow_file.py",
        load_set("jax"),
        Options(puzzles=("neg", "relu"), limits=Limits(timeout=20, file_timeout=4)),
    )
    assert time.monotonic() - started < 10
    assert [p.status for p in report.puzzles] == ["timeout", "timeout"]
    assert report.puzzles[1].message == "not graded: the whole file ran out of time"
