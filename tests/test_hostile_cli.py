"""Attacks on the grader run as a process of its own (`check`, `grade`): signals,
its environment, its report files, a class whose members reach for each other, and
submissions that are not files."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from adgrader.cli import main

from .hostile_cases import (
    CASES,
    CLASS,
    CLOCK,
    HOSTILE,
    TIMEOUT,
    check_verdicts,
    env_for,
    filled,
    json_report,
)
from .hostile_tools import (
    assert_none_carry,
    assert_unchanged,
    run_cli,
)

# graded in fresh processes, seconds each: started first
pytestmark = pytest.mark.slow


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


@pytest.mark.timeout(180)
def test_what_xla_does_its_own_way_is_graded_as_jax_computes_it(
    tmp_path: Path, cache_home: Path
) -> None:
    """Graded by `check` in its own answer process, started cold: one forked from the
    fork server inherits a CPU mode that flushes subnormals in numpy too, which would
    hide a numpy run that does not do it XLA's way."""
    case = CASES["xla_edges.py"]
    run = run_cli(
        ["check", str(HOSTILE / "xla_edges.py"), "--set", "jax", "--format", "json", *CLOCK]
        + [arg for p in case.puzzles for arg in ("-p", p)],
        tmp_path,
        env_for(cache_home),
    )
    assert run.code == 1, run.err
    check_verdicts(json_report(run.out), case.kernel)
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
