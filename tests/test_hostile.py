"""The hostile corpus: each file in tests/hostile/ attacks the grader one way; none may
pass, break the grading, reach another submission or outlive the grading.

`CASES` is the table: for each file, the puzzles it is graded on and each puzzle's
expected status with words its message must contain, where the kernel jails answers
(`kernel`, this machine) and where it does not (`python`: the job asks for no jail and
nothing kept is trusted; see `hostile_tools.python_isolation`). A file not run without
the jail (`python=None`) attacks the machine itself (signals, memory, processes): the
README's trust model says what the Python guards do there, as measured.

Files that name the grader's paths have placeholders (`@CACHE@`, `@CLASS@`,
`@TARGETS@`), filled in with this run's paths as an attacker who knows the grader's
machine would write them. Every grading runs with a temporary XDG_CACHE_HOME.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pytest
from click.testing import CliRunner

from adgrader.cli import main
from adgrader.grading.stages import check_against
from adgrader.options import Limits, Options
from adgrader.result import Report
from adgrader.spec import load_set

from .conftest import SUBMISSIONS, Grade
from .hostile_tools import (
    RecordingLauncher,
    assert_none_carry,
    assert_unchanged,
    carrying,
    run_cli,
)

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
    "endless_event.py": Case(
        ("neg", "relu"),
        {"neg": ("timeout", "did not finish within 3 s"), "relu": ("passed", "")},
        python="same",
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


@pytest.fixture(scope="session")
def cache_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The XDG_CACHE_HOME of every grading of the corpus: never the user's own."""
    return tmp_path_factory.mktemp("xdg-cache")


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


def test_every_file_in_the_corpus_has_a_case() -> None:
    files = {p.name for p in HOSTILE.iterdir() if p.is_file() and not p.is_symlink()}
    assert files == {*CASES, "slow_file.py"}
    in_class = {p.name for p in (HOSTILE / "class").iterdir()}
    made = {"fifo.py", "outlives_grading.py", "signals_grader.py"}  # by the test, from above
    assert in_class == set(CLASS) - made
    for name, case in CASES.items():
        assert set(case.kernel) == set(case.puzzles), name
        if isinstance(case.python, dict):
            assert set(case.python) == set(case.puzzles), name
        if case.test:
            assert case.test in globals(), (name, case.test)


def table_cases(python: bool) -> list[str]:
    return sorted(
        name
        for name, case in CASES.items()
        if not case.test and (not python or case.python is not None)
    )


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", table_cases(python=False))
def test_hostile_file_gets_its_verdicts_at_kernel_isolation(
    graded: object, cache_home: Path, name: str
) -> None:
    case = CASES[name]
    report, tokens = graded(  # type: ignore[operator]
        HOSTILE / name, "jax", env=env_for(cache_home), puzzles=case.puzzles, timeout=case.timeout
    )
    check_verdicts(report, case.kernel, name)
    ran_at(report, tokens, "kernel")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", table_cases(python=True))
def test_hostile_file_gets_its_verdicts_at_python_isolation(
    graded: object, tmp_path_factory: pytest.TempPathFactory, name: str
) -> None:
    case = CASES[name]
    home = tmp_path_factory.mktemp("xdg-python")
    report, tokens = graded(  # type: ignore[operator]
        HOSTILE / name,
        "jax",
        python=True,
        env=env_for(home),
        puzzles=case.puzzles,
        timeout=case.timeout,
    )
    check_verdicts(report, case.kernel if case.python == "same" else case.python, name)  # type: ignore[arg-type]
    ran_at(report, tokens, "python")


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
    options = Options(puzzles=CASES[name].puzzles, limits=Limits(timeout=CASES[name].timeout))
    check_against(HOSTILE / name, load_set("jax"), options, launcher)
    assert launcher.tokens, "no answer process was started"
    assert carrying(launcher.tokens) == []


# ---------------------------------------------------------------- through the command line


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


@pytest.mark.timeout(180)
def test_nothing_outlives_check(tmp_path: Path, cache_home: Path) -> None:
    """A process the answer starts would rewrite the report once the grader exits."""
    report = tmp_path / "report.json"
    attack = filled(HOSTILE / "outlives_grading.py", tmp_path / "attack.py", TARGETS=str(report))
    case = CASES["outlives_grading.py"]
    run = run_cli(
        ["check", str(attack), "-p", "neg", "--format", "json", "-o", str(report), *CLOCK],
        tmp_path,
        env_for(cache_home),
    )
    assert run.code == 1, run.err
    check_verdicts(json_report(report.read_text()), case.kernel)
    assert_unchanged({report: report.read_bytes()})
    assert_none_carry(run.tokens)


@pytest.mark.timeout(180)
def test_the_grader_cannot_be_signalled(tmp_path: Path, cache_home: Path) -> None:
    """SIGKILL and SIGSTOP to the grader, its group, through a pidfd: all refused, and
    the grader lives to write its report (the attack runs in a grader of its own)."""
    run = run_cli(
        ["check", str(HOSTILE / "signals_grader.py"), "-p", "neg", "--format", "json", *CLOCK],
        tmp_path,
        env_for(cache_home),
    )
    assert run.code == 1, (run.code, run.err)  # neither killed (-9) nor stopped (timeout)
    report = json_report(run.out)
    check_verdicts(report, CASES["signals_grader.py"].kernel)
    refused = re.search(r"all (\d+) refused", report.puzzles[0].message)
    assert refused and int(refused[1]) >= 30  # its neighbours were looked for too
    assert_none_carry(run.tokens)


@pytest.mark.timeout(180)
def test_the_graders_environment_stays_secret(tmp_path: Path, cache_home: Path) -> None:
    canary = "canary-" + os.urandom(8).hex()
    case = CASES["reads_environ.py"]
    run = run_cli(
        ["check", str(HOSTILE / "reads_environ.py"), "--format", "json", *CLOCK]
        + [arg for p in case.puzzles for arg in ("-p", p)],
        tmp_path,
        {**env_for(cache_home), "CI_TOKEN": canary},
    )
    assert run.code == 1, run.err
    check_verdicts(json_report(run.out), case.kernel)
    assert canary not in run.out + run.err
    assert_none_carry(run.tokens)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("make", "words"),
    [
        (os.mkfifo, "is a named pipe (FIFO), not a file"),
        (lambda path: path.symlink_to("/dev/zero"), "is a symbolic link"),
    ],
    ids=["FIFO", "link to /dev/zero"],
)
def test_a_submission_that_is_not_a_file_is_refused(
    tmp_path: Path, make: object, words: str
) -> None:
    path = tmp_path / "answers.py"
    make(path)  # type: ignore[operator]
    run = run_cli(["check", str(path), "--set", "jax", "-p", "neg"], tmp_path)
    assert run.code == 1, run.err
    assert words in run.out
    assert run.tokens == []  # nothing ran


@pytest.mark.timeout(300)
def test_a_class_cannot_copy_break_or_outlive_each_other(tmp_path: Path, cache_home: Path) -> None:
    """`grade` of a class where one copies another, links to theirs, is a FIFO or
    /dev/zero, signals the fork server, and outlives grading to rewrite the grades:
    the honest one still passes, every file has its row, nothing is left running."""
    folder = tmp_path / "class"
    shutil.copytree(HOSTILE / "class", folder, symlinks=True)
    out = tmp_path / "out"
    targets = [out / "grades.csv", out / "reports" / "victim.json"]
    filled(folder / "copier.py", folder / "copier.py", CLASS=str(folder))
    filled(
        HOSTILE / "outlives_grading.py",
        folder / "outlives_grading.py",
        TARGETS=os.pathsep.join(map(str, targets)),
    )
    shutil.copy(HOSTILE / "signals_grader.py", folder)
    os.mkfifo(folder / "fifo.py")
    run = run_cli(
        [
            "grade",
            str(folder),
            "--out",
            str(out),
            "--set",
            "jax",
            "-p",
            "neg",
            "-p",
            "relu",
            *CLOCK,
        ],
        tmp_path,
        env_for(cache_home),
    )
    assert run.code == 1, run.err
    with (out / "grades.csv").open(encoding="utf-8") as handle:
        rows = {Path(r["submission"]).name: r for r in csv.DictReader(handle)}
    assert set(rows) == set(CLASS)
    for name, expected in CLASS.items():
        assert {p: rows[name][p] for p in expected} == {p: s for p, (s, _) in expected.items()}
        report = json_report((out / "reports" / name.replace(".py", ".json")).read_text())
        check_verdicts(report, expected, name)
    assert rows["victim.py"]["score"] == "2"
    assert_unchanged({path: path.read_bytes() for path in targets})
    assert_none_carry(run.tokens)


# ---------------------------------------------------------------- caches


STUB = """\
def jac_neg(x):
    return 0.0 * (Os == Is)


def jac_relu(x):
    return 0.0 * (Os == Is)
"""


@pytest.mark.timeout(600)
@pytest.mark.parametrize("isolation", ["kernel", "python"])
def test_caches_can_be_neither_read_nor_poisoned(
    graded: object, tmp_path: Path, isolation: str
) -> None:
    """The oracle's kept results cannot be read; every way to poison what later runs
    read is refused; and later runs (new processes, the same cache folder) still grade
    a stub 0 and the reference solution full marks, at a seed graded before and at
    seeds the attack planted results for."""
    home = tmp_path / "xdg"
    python = isolation == "python"
    env = {**env_for(home), **({"ADGRADER_TEST_PYTHON_ISOLATION": "1"} if python else {})}
    reference = SUBMISSIONS / "jax_solution.py"
    stub = tmp_path / "stub.py"
    stub.write_text(STUB, encoding="utf-8")

    def later(path: Path, seed: int) -> tuple[int, Report]:
        run = run_cli(
            [
                "check",
                str(path),
                "--set",
                "jax",
                "-p",
                "neg",
                "-p",
                "relu",
                "--format",
                "json",
                "--seed",
                str(seed),
                *CLOCK,
            ],
            tmp_path,
            env,
        )
        assert_none_carry(run.tokens)
        return run.code, json_report(run.out)

    code, first = later(reference, 0)  # results for seed 0 are kept (at kernel isolation)
    assert code == 0 and first.score == 2
    for name in ("reads_caches.py", "poisons_caches.py"):
        case = CASES[name]
        attack = filled(HOSTILE / name, tmp_path / name, CACHE=str(home))
        report, tokens = graded(  # type: ignore[operator]
            attack, "jax", python=python, env=env_for(home), puzzles=case.puzzles, timeout=TIMEOUT
        )
        expected = case.kernel if not python else case.python
        check_verdicts(report, expected, name)  # type: ignore[arg-type]
        assert_none_carry(tokens)
    if not python:
        kept = sorted(p.name for p in (home / "adgrader" / "results").iterdir())
        assert len(kept) == 2 and all(n.startswith(("neg-", "relu-")) for n in kept)
    for seed in (0, 4):
        code, report = later(stub, seed)
        assert code == 1 and report.score == 0 and {p.status for p in report.puzzles} == {"failed"}
        code, report = later(reference, seed)
        assert code == 0 and report.score == 2


@pytest.mark.timeout(120)
@pytest.mark.parametrize("python", [False, True], ids=["kernel", "python"])
def test_deep_folders_are_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, python: bool, cache_home: Path
) -> None:
    """1200 nested folders left in the answer's folder: graded, and all removed (Python's
    rmtree raised RecursionError out of `check`, and left them)."""
    from .hostile_tools import python_isolation

    jobs = tmp_path / "jobs"
    jobs.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(jobs))
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    launcher = RecordingLauncher()
    options = Options(puzzles=("neg",), limits=Limits(timeout=TIMEOUT))
    with python_isolation() if python else contextlib.nullcontext():
        report = check_against(HOSTILE / "deep_folders.py", load_set("jax"), options, launcher)
    check_verdicts(report, CASES["deep_folders.py"].kernel)
    assert list(jobs.iterdir()) == []
    assert_none_carry(launcher.tokens)


# ---------------------------------------------------------------- files that exhaust the reader


def deep_json(depth: int) -> str:
    return '{"cells": [], "metadata": ' + "[" * depth + "]" * depth + "}"


def empty_objects(megabytes: int) -> str:
    count = (megabytes << 20) // 3
    return '{"cells": [], "metadata": {"x": [' + ",".join(["{}"] * count) + "]}}"


# file name: (its text, made here, and words of the message that refuses it)
EXHAUSTING = {
    "long_sum.py": ("x = 1" + " + 1" * 5000 + "\n", "nested too deeply for Python to read"),
    "deep_json.py": (deep_json(100_000), "Python cannot run the file"),
    "deep.ipynb": (deep_json(100_000), "nested too deeply for Python to read"),
    "empty_objects.ipynb": (empty_objects(12), "JSON objects and lists, more than any"),
    "big_literal.py": ("x = [" + "{}," * (400 << 10) + "]\n", "a submission may be 1 MB at most"),
    "big_cells.ipynb": (
        json.dumps({"cells": [{"cell_type": "code", "source": "x = 0\n" * 200_000}]}),
        "hold 1.1 MB of text",
    ),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(EXHAUSTING))
def test_a_file_that_would_exhaust_the_reader_is_refused(tmp_path: Path, name: str) -> None:
    """Legal or not, each is said to be unusable, in bounded memory: a 5000-term sum
    and a JSON list nested 100000 deep raised RecursionError out of `check`, and
    12 MB of empty JSON objects took 300 MB to read."""
    import tracemalloc

    from adgrader.submission import read_submission

    text, words = EXHAUSTING[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    tracemalloc.start()
    try:
        sub = read_submission(path, load_set("jax"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sub.unusable is not None and sub.unusable.status == "error"
    assert words in sub.unusable.message, sub.unusable.message
    assert peak < 8 * len(text) + (16 << 20), f"{peak / 2**20:.0f} MB to read {name}"
    report = check_against(path, load_set("jax"), Options(puzzles=("neg",)), RecordingLauncher())
    assert [p.status for p in report.puzzles] == ["error"] and report.problem


# ---------------------------------------------------------------- reports


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
