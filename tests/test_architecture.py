"""The tree tells the architecture: the grading side never loads the answer side."""

from __future__ import annotations

import subprocess
import sys

from .conftest import SUBMISSIONS

# Modules that run only inside the untrusted answer process (or the fork server).
ANSWER_SIDE = (
    "adgrader.answers.worker",
    "adgrader.answers.evaluate",
    "adgrader.answers.namespaces",
    "adgrader.answers.guard",
    "adgrader.answers.standins",
    "adgrader.answers.backward",
    "adgrader.answers.indexfn",
    "adgrader.answers.interpret",
    "adgrader.answers.forkserver",
)


def test_grading_never_imports_the_answer_side() -> None:
    """A whole `check`, every report format and the batch module, in a fresh process:
    none of the answer side's modules is ever loaded there."""
    code = f"""
import sys, adgrader
from adgrader import report
from adgrader.cli import main
from adgrader.grading import batch
from adgrader.grader import Grader
got = adgrader.check({str(SUBMISSIONS / "jax_mistakes.py")!r}, set="jax", puzzles=["relu", "cos"])
assert [p.status for p in got.puzzles] == ["failed", "passed"], got.puzzles
for fmt in report.FORMATS:
    if fmt != "text":
        report.render(fmt, got, adgrader.load_set("jax"))
loaded = [m for m in {ANSWER_SIDE!r} if m in sys.modules]
assert not loaded, loaded
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_the_answer_side_is_what_the_worker_loads() -> None:
    """The list above is not empty talk: the answer process's entry point loads them."""
    code = "import sys, adgrader.answers.worker; print(sorted(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    modules = ("worker", "evaluate", "interpret", "namespaces", "guard", "standins")
    for module in (*modules, "backward", "indexfn"):
        assert f"adgrader.answers.{module}" in done.stdout
