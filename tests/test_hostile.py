"""The hostile corpus graded file by file, at kernel and at python isolation, each
against its row of `hostile_cases.CASES`; and the limits of time a file cannot
stretch."""

from __future__ import annotations

from pathlib import Path

import pytest

from adgrader.grading.stages import check_against
from adgrader.options import Limits, Options
from adgrader.spec import load_set

from .conftest import Grade
from .hostile_cases import (
    CASES,
    CLASS,
    HOSTILE,
    TIMEOUT,
    check_verdicts,
    env_for,
    ran_at,
)
from .hostile_tools import (
    TESTS,
    RecordingLauncher,
    carrying,
)

# graded in fresh processes, seconds each: started first
pytestmark = pytest.mark.slow


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
            defined = [f"def {case.test}(" in p.read_text() for p in TESTS.glob("test_hostile*.py")]
            assert any(defined), (name, case.test)


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
@pytest.mark.parametrize("name", ["starts_subprocess.py", "forks.py", "setsid_daemon.py"])
def test_nothing_keeps_running_after_grading(name: str) -> None:
    """The attacks that leave processes of their own behind, graded by an answer
    process started cold, as `check` starts it (the table grades every attack, these
    too, in processes forked from a server and checks that nothing of them runs on).
    An answer that only keeps its own process alive (a thread, SIGTERM ignored) dies
    with it, however that process was started."""
    launcher = RecordingLauncher()
    # the attacking answer alone: the others are the table's
    options = Options(puzzles=CASES[name].puzzles[:1], limits=Limits(timeout=CASES[name].timeout))
    check_against(HOSTILE / name, load_set("jax"), options, launcher)
    assert launcher.tokens, "no answer process was started"
    assert carrying(launcher.tokens) == []


@pytest.mark.timeout(60)
def test_the_whole_file_has_a_time_limit_too() -> None:
    """Each answer may take 20 s, the whole file 4 s: the file's clock stops it (the
    answers' clock would have said "within 20 s")."""
    report = check_against(
        HOSTILE / "slow_file.py",
        load_set("jax"),
        Options(puzzles=("neg", "relu"), limits=Limits(timeout=20, file_timeout=4)),
    )
    assert [p.status for p in report.puzzles] == ["timeout", "timeout"]
    assert "20 s" not in report.puzzles[0].message, report.puzzles[0].message
    assert report.puzzles[1].message == "not graded: the whole file ran out of time"
