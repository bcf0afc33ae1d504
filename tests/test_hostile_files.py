"""What the grader keeps and reads: its caches cannot be read or poisoned, the
answers' folders are removed however deep, and a file that would exhaust the reader
is refused in bounded memory."""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from adgrader.grading.stages import check_against
from adgrader.options import Limits, Options
from adgrader.spec import load_set

from .conftest import SUBMISSIONS, Gradings
from .hostile_cases import (
    CASES,
    CLOCK,
    HOSTILE,
    TIMEOUT,
    check_verdicts,
    env_for,
    filled,
)
from .hostile_tools import (
    RecordingLauncher,
    assert_none_carry,
    run_cli,
)

# ---------------------------------------------------------------- caches

# graded in fresh processes, seconds each: started first
pytestmark = pytest.mark.slow


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
    later = tmp_path / "later"
    later.mkdir()
    reference = shutil.copy(SUBMISSIONS / "jax_solution.py", later / "reference.py")
    (later / "stub.py").write_text(STUB, encoding="utf-8")

    def grade_later(seed: int) -> dict[str, str]:
        """Each file's score, graded by a new process with the same cache folder."""
        out = tmp_path / f"grades-{seed}-{time.monotonic_ns()}"
        args = ["grade", str(later), "--out", str(out), "--set", "jax", "-p", "neg", "-p", "relu"]
        run = run_cli([*args, "--seed", str(seed), *CLOCK], tmp_path, env)
        assert run.code == 1, run.err  # the stub fails
        assert_none_carry(run.tokens)
        with (out / "grades.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        return {Path(r["submission"]).name: f"{r['score']} {r['neg']} {r['relu']}" for r in rows}

    if not python:  # results for seed 0 are kept, for the attack to find (none are at python)
        args = ["check", str(reference), "--set", "jax", "-p", "neg", "-p", "relu", "--seed", "0"]
        first = run_cli(args, tmp_path, env)
        assert first.code == 0, first.out
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
    # kernel: a seed graded before the attack, and one it planted results for; python:
    # nothing was graded before, and it planted results for both
    for seed in (0, 4) if not python else (4,):
        assert grade_later(seed) == {
            "reference.py": "2 passed passed",
            "stub.py": "0 failed failed",
        }


@pytest.mark.timeout(120)
@pytest.mark.parametrize("python", [False, True], ids=["kernel", "python"])
def test_deep_folders_are_removed(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    python: bool,
    cache_home: Path,
    gradings: Gradings,
) -> None:
    """1200 nested folders left in the answer's folder: graded, and all removed (Python's
    rmtree raised RecursionError out of `check`, and left them). The grading side makes
    and removes the folder, however the answer process was started: here it is forked
    from the session's server."""
    from .hostile_tools import python_isolation

    jobs = tmp_path / "jobs"
    jobs.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(jobs))
    made: list[str] = []

    def mkdtemp(*args: Any, **kwargs: Any) -> str:
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    real_mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr("tempfile.mkdtemp", mkdtemp)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    launcher = RecordingLauncher(gradings.launcher)
    options = Options(puzzles=("neg",), limits=Limits(timeout=TIMEOUT))
    with python_isolation() if python else contextlib.nullcontext():
        report = check_against(HOSTILE / "deep_folders.py", load_set("jax"), options, launcher)
    check_verdicts(report, CASES["deep_folders.py"].kernel)
    assert made and all(Path(m).parent == jobs for m in made)  # the folder was made here
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
