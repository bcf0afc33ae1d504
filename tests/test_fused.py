"""A submission's traceable answers, traced together and run with numpy (`fused`), give
what each answer gives compiled by itself, in the answer process's own code, without a
child process: right answers and wrong ones alike, and a file that uses jax's loops
keeps them as loops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import numpy as np
import pytest

from adgrader.answers import interpret, protocol
from adgrader.answers.client import puzzle_job
from adgrader.answers.evaluate import Submission
from adgrader.spec import form_order, load_set

jax.config.update("jax_enable_x64", True)  # as in the answer process

ROOT = Path(__file__).resolve().parent.parent
PUZZLES = ("cumsum", "running_mean", "sort", "matmul", "conv2d")


def submission(tmp_path: Path, source: str) -> tuple[Submission, list[tuple[str, Any, Any]]]:
    """The loaded submission and its answers' work items, two seeded points each."""
    pset = load_set("jax")
    puzzles = [p for p in pset.puzzles if p.id in PUZZLES]
    job = protocol.Job(
        folder=str(tmp_path),
        submission="submission.py",
        forms=form_order("jac"),
        forbid_autodiff=False,
        jail=False,
        limits=protocol.ResourceLimits(memory_mb=1024, file_mb=1, cpu_seconds=60),
        puzzles=tuple(puzzle_job(p) for p in puzzles),
    )
    path = tmp_path / "submission.py"
    path.write_text(source, encoding="utf-8")
    sub = Submission(job, jax, str(path))
    sub.load(source)
    found = sub.find_answers()
    rng = np.random.default_rng(0)
    items = [
        (p.id, found[p.id], {i.name: rng.normal(size=(2, *i.shape)) for i in p.inputs})
        for p in puzzles
        if p.id in found
    ]
    return sub, items


def fused_and_alone(sub: Submission, items: list[tuple[str, Any, Any]]) -> list[Any]:
    """Each answer's arrays, fused, beside the same answer evaluated alone (compiled)."""
    fused = list(sub.evaluate_many(items))
    alone = [sub.evaluate(pid, answer, points) for pid, answer, points in items]
    return list(zip(fused, alone, strict=True))


def same(a: list[dict[str, np.ndarray]], b: list[dict[str, np.ndarray]]) -> bool:
    return all(
        x.keys() == y.keys() and all(np.allclose(x[k], y[k], rtol=1e-14, atol=0) for k in x)
        for x, y in zip(a, b, strict=True)
    )


@pytest.fixture
def traced(monkeypatch: pytest.MonkeyPatch) -> list[set[str]]:
    """The primitives of each computation given to numpy (once per point)."""
    seen: list[set[str]] = []
    run = interpret.run

    def spy(closed: Any, args: Any) -> Any:
        names: set[str] = set()
        for eqn in closed.jaxpr.eqns:
            names.add(eqn.primitive.name)
        seen.append(names)
        return run(closed, args)

    monkeypatch.setattr(interpret, "run", spy)
    return seen


@pytest.mark.parametrize("name", ["jax_solution.py", "jax_mistakes.py"])
def test_fused_answers_give_what_each_gives_alone(
    tmp_path: Path, traced: list[set[str]], name: str
) -> None:
    sub, items = submission(tmp_path, (ROOT / "submissions" / name).read_text())
    pairs = fused_and_alone(sub, items)
    assert len(pairs) == len(PUZZLES) and traced  # run with numpy, not compiled
    for (pid, _, _), (fused, alone) in zip(items, pairs, strict=True):
        assert same(fused, alone), pid
    assert "jit" not in set().union(*traced)  # jax.numpy's own jits traced inline


def test_a_wrong_answer_gives_other_values(tmp_path: Path) -> None:
    right, items = submission(tmp_path, (ROOT / "submissions" / "jax_solution.py").read_text())
    wrong, _ = submission(tmp_path, (ROOT / "submissions" / "jax_mistakes.py").read_text())
    ours = list(right.evaluate_many(items))
    theirs = list(wrong.evaluate_many([(p, wrong.find_answers()[p], x) for p, _, x in items]))
    verdicts = [same(a, b) for a, b in zip(ours, theirs, strict=True)]
    assert True in verdicts and False in verdicts  # the mistakes file is wrong on some


LOOPS = """
from jax import lax

def jac_cumsum(x):
    return lax.fori_loop(0, 20, lambda k, acc: acc + (Os == Is + k), 0.0 * (Os == Is))

def jac_sort(x):
    return 1.0 * (np.argsort(x)[Os] == Is)
"""


def test_a_file_that_uses_jax_loops_keeps_them(tmp_path: Path, traced: list[set[str]]) -> None:
    sub, items = submission(tmp_path, LOOPS)
    assert [pid for pid, _, _ in items] == ["cumsum", "sort"]
    for (pid, _, _), (fused, alone) in zip(items, fused_and_alone(sub, items), strict=True):
        assert same(fused, alone), pid
    names = set().union(*traced)
    assert "scan" in names or "while" in names  # traced as a loop, not step by step
