"""The hostile corpus's table: each file in tests/hostile/ attacks the grader one way;
none may pass, break the grading, reach another submission or outlive the grading.

`CASES` is the table: for each file, the puzzles it is graded on and each puzzle's
expected status with words its message must contain, where the kernel jails answers
(`kernel`, this machine) and where it does not (`python`: the job asks for no jail and
nothing kept is trusted; see `hostile_tools.python_isolation`). A file not run without
the jail (`python=None`) attacks the machine itself (signals, memory, processes): the
README's trust model says what the Python guards do there, as measured. A case with
`test` is graded by that test of a test_hostile*.py file, which needs a set-up.

Files that name the grader's paths have placeholders (`@CACHE@`, `@CLASS@`,
`@TARGETS@`), filled in with this run's paths as an attacker who knows the grader's
machine would write them. Every grading runs with a temporary XDG_CACHE_HOME.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from adgrader.result import Report

from .hostile_tools import assert_none_carry

HOSTILE = Path(__file__).parent / "hostile"
# Generous, so that a busy machine never turns a right answer into a timeout; the
# cases about endless loops give their own, shorter one.
TIMEOUT = 30.0
SHORT = 3.0
CLOCK = ("--timeout", str(TIMEOUT))

Expect = dict[str, tuple[str, str]]  # puzzle -> (status, words in its message)


@dataclass(frozen=True)
class Case:
    puzzles: tuple[str, ...]
    kernel: Expect
    python: Expect | Literal["same"] | None = None  # None: not run without the jail
    timeout: float = TIMEOUT
    test: str = ""  # graded by this test instead of the table's (it needs a set-up)


AUTODIFF = ("violation", "automatic differentiation")

CASES: dict[str, Case] = {
    # ---------------------------------------------------------------- processes
    "starts_subprocess.py": Case(
        ("neg", "relu"),
        {"neg": ("error", "may not start other processes"), "relu": ("passed", "")},
    ),
    "forks.py": Case(
        ("neg", "relu"),
        {"neg": ("error", "may not start other processes"), "relu": ("passed", "")},
    ),
    "setsid_daemon.py": Case(("neg",), {"neg": ("passed", "")}),
    "non_daemon_thread.py": Case(("neg",), {"neg": ("passed", "")}),
    "ignores_sigterm.py": Case(
        ("neg", "relu"),
        {"neg": ("timeout", "did not finish within 3 s"), "relu": ("passed", "")},
        timeout=SHORT,
    ),
    "outlives_grading.py": Case(
        ("neg",), {"neg": ("failed", "entries wrong")}, test="test_nothing_outlives_check"
    ),
    "reads_stdin.py": Case(("neg", "relu"), {"neg": ("error", "EOFError"), "relu": ("passed", "")}),
    "exits_in_answers.py": Case(
        ("id", "cos", "mean", "prod", "repeat", "neg"),
        {
            "id": ("error", "SystemExit"),
            "cos": ("error", "KeyboardInterrupt"),
            "mean": ("error", "Escape: not an Exception"),
            "prod": ("error", "RecursionError"),
            "repeat": ("error", "MemoryError"),
            "neg": ("passed", ""),
        },
    ),
    # ---------------------------------------------------------------- the grader
    "signals_grader.py": Case(
        ("neg",), {"neg": ("error", "refused")}, test="test_the_grader_cannot_be_signalled"
    ),
    "reads_environ.py": Case(
        ("neg", "relu", "cumsum", "mean"),
        {
            "neg": ("error", "PermissionError"),
            "relu": ("error", "PermissionError"),
            "cumsum": ("error", "PermissionError"),
            "mean": ("error", "PermissionError"),
        },
        test="test_the_graders_environment_stays_secret",
    ),
    "prints_a_lot.py": Case(("neg",), {"neg": ("passed", "")}),
    "fake_report.py": Case(("neg",), {"neg": ("failed", "entries wrong")}),
    "overwrites_report.py": Case(("neg",), {"neg": ("failed", "entries wrong")}),
    "terminal_escapes.py": Case(
        ("neg",), {"neg": ("error", "ValueError: \\x1b[2J\\x1b[H20/20 passed")}, python="same"
    ),
    "deep_folders.py": Case(
        ("neg",), {"neg": ("failed", "entries wrong")}, test="test_deep_folders_are_removed"
    ),
    "deep_answer.py": Case(
        ("neg",), {"neg": ("error", "nested too deeply to check")}, python="same"
    ),
    "shared_memory.py": Case(
        ("neg", "relu"),
        {"neg": ("error", "PermissionError"), "relu": ("error", "PermissionError")},
    ),
    # ---------------------------------------------------------------- the protocol
    "forges_events.py": Case(
        ("neg", "relu", "cumsum", "repeat", "id"),
        {
            "neg": ("error", "does not match its shape"),
            "relu": ("error", "it sent `Ready` out of turn"),
            "cumsum": ("error", "it sent `Result` out of turn"),
            "repeat": ("error", "length <= 4096"),
            "id": ("error", "far too large"),
        },
        python="same",
    ),
    "forges_loaded.py": Case(
        ("neg", "relu"),
        {
            "neg": ("error", "named an answer the job did not ask for"),
            "relu": ("error", "named an answer the job did not ask for"),
        },
        python="same",
    ),
    "endless_event.py": Case(  # the clock is the grading side's, whatever the isolation
        ("neg", "relu"),
        {"neg": ("timeout", "did not finish within 3 s"), "relu": ("passed", "")},
        timeout=SHORT,
    ),
    # ---------------------------------------------------------------- caches
    "reads_caches.py": Case(
        ("neg",),
        {"neg": ("error", "PermissionError")},
        python={"neg": ("error", "FileNotFoundError")},  # nothing is kept there
        test="test_caches_can_be_neither_read_nor_poisoned",
    ),
    "poisons_caches.py": Case(
        ("neg", "relu"),
        {"neg": ("error", "all 9 refused"), "relu": ("error", "all 9 refused")},
        python={
            "neg": ("error", "done: plant results through a descriptor"),
            "relu": ("error", "done: plant results through a descriptor"),
        },
        test="test_caches_can_be_neither_read_nor_poisoned",
    ),
    # ---------------------------------------------------------------- autodiff
    "autodiff_hidden.py": Case(
        ("neg", "relu", "cumsum", "sort"),
        {"neg": AUTODIFF, "relu": AUTODIFF, "cumsum": AUTODIFF, "sort": AUTODIFF},
    ),
    "autodiff_beaten.py": Case(
        ("neg", "relu", "cumsum", "sort", "mean", "cos"),
        {
            "neg": AUTODIFF,
            "relu": AUTODIFF,
            "cumsum": AUTODIFF,
            "sort": ("failed", "entries wrong"),  # the given f: its derivatives are NaN
            "mean": AUTODIFF,
            "cos": AUTODIFF,
        },
        python="same",
    ),
    "autodiff_unwatched.py": Case(
        ("repeat", "neg"),
        {
            "repeat": ("error", "automatic differentiation"),
            "neg": ("error", "automatic differentiation"),
        },
        python="same",
    ),
    "monkeypatches.py": Case(("neg",), {"neg": ("failed", "10 of 100 entries wrong")}),
    "peeks.py": Case(("neg",), {"neg": ("failed", "entries wrong")}),
    "mutates_x.py": Case(("relu",), {"relu": ("failed", "entries wrong")}),
    "detects_tracing.py": Case(
        ("neg", "relu"), {"neg": ("passed", ""), "relu": ("failed", "entries wrong")}
    ),
    "xla_edges.py": Case(
        ("neg", "cumsum"),
        {"neg": ("passed", ""), "cumsum": ("failed", "entries wrong")},
        test="test_what_xla_does_its_own_way_is_graded_as_jax_computes_it",
    ),
    # ---------------------------------------------------------------- the file itself
    "array_literal.py": Case(
        ("neg", "relu", "cumsum"),
        {
            "neg": ("violation", "no-array-literal"),
            "relu": ("violation", "no-array-literal"),
            "cumsum": ("violation", "no-array-literal"),
        },
    ),
    "long_lines.py": Case(("neg", "relu"), {"neg": ("passed", ""), "relu": ("passed", "")}),
    "bad_returns.py": Case(
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
    ),
    "not_utf8.py": Case(("neg",), {"neg": ("error", "saved as UTF-16")}),
    "answers.txt": Case(("neg",), {"neg": ("error", "not a Python file")}),
}

# the class folder, graded with `grade`: file -> what each of neg and relu gets
CLASS: dict[str, Expect] = {
    "victim.py": {"neg": ("passed", ""), "relu": ("passed", "")},
    "copier.py": {"neg": ("error", "PermissionError"), "relu": ("error", "PermissionError")},
    "linked.py": {"neg": ("error", "symbolic link"), "relu": ("error", "symbolic link")},
    "zero.py": {"neg": ("error", "symbolic link"), "relu": ("error", "symbolic link")},
    "fifo.py": {"neg": ("error", "named pipe"), "relu": ("error", "named pipe")},
    "signals_grader.py": {"neg": ("error", "refused"), "relu": ("missing", "")},
    "outlives_grading.py": {"neg": ("failed", "entries wrong"), "relu": ("missing", "")},
}


def env_for(home: Path) -> dict[str, str]:
    return {"XDG_CACHE_HOME": str(home)}


def filled(source: Path, target: Path, **values: str) -> Path:
    """`source` copied to `target` with each @NAME@ replaced by its value."""
    text = source.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    assert "@" + "CACHE@" not in text and "@" + "CLASS@" not in text, "a placeholder is left"
    target.write_text(text, encoding="utf-8")
    return target


def check_verdicts(report: Report, expected: Expect, where: str = "") -> None:
    """Each puzzle has its expected status and words; only the expected ones pass."""
    got = {p.id: p for p in report.puzzles}
    for pid, (status, words) in expected.items():
        result = got[pid]
        said = [result.message] + [f"[{f.rule}] {f.message}" for f in result.violations]
        assert result.status == status, (where, pid, result.status, result.message)
        assert any(words in text for text in said), (where, pid, said)
    passed = {p.id for p in report.puzzles if p.passed}
    assert passed == {pid for pid, (status, _) in expected.items() if status == "passed"}


def ran_at(report: Report, tokens: list[str], isolation: str) -> None:
    """The answers ran at this isolation and nothing of them is left running; or,
    for a file settled without running anything, nothing ran."""
    if report.isolation == "none":
        assert tokens == []
    else:
        assert report.isolation == isolation
        assert_none_carry(tokens)


def json_report(text: str) -> Report:
    """The puzzles of a JSON report, as a Report with what `check_verdicts` reads."""
    from adgrader.result import PuzzleResult

    data = json.loads(text)
    puzzles = [
        PuzzleResult(
            id=p["id"],
            title=p.get("title", ""),
            status=p["status"],
            message=p.get("message", ""),
            score=p["score"],
            max_score=p["max_score"],
        )
        for p in data["puzzles"]
    ]
    return Report(submission="", set=data["set"], seed=0, points=3, puzzles=puzzles)
