"""Grading without isolation, for measuring what the answer process costs.

Runs the same steps as `adgrader check` (oracle, answers, comparison) but evaluates
the answers inside this process, with no child process, guards or pipes. Never do
this with untrusted code: it exists only so bench.py can report the cost of isolation.

Usage: python bench/in_process.py SUBMISSION [SET]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main() -> None:
    from adgrader.answers import protocol
    from adgrader.answers.client import puzzle_job
    from adgrader.answers.evaluate import AnswerError, Submission
    from adgrader.answers.worker import import_jax, start_backend
    from adgrader.grading import oracle
    from adgrader.grading.verdict import verdict
    from adgrader.spec import form_order, load_set

    path, set_name = Path(sys.argv[1]).resolve(), (sys.argv[2] if len(sys.argv) > 2 else "jax")
    pset = load_set(set_name)
    job = protocol.Job(
        folder=str(path.parent),
        submission=str(path),
        forms=form_order(pset.form),
        forbid_autodiff=False,
        jail=False,
        limits=protocol.ResourceLimits(memory_mb=2048, file_mb=64, cpu_seconds=600),
        puzzles=tuple(puzzle_job(p) for p in pset.puzzles),
    )
    jax = import_jax()
    start_backend(jax)
    submission = Submission(job, jax, str(path))
    submission.load(path.read_text(encoding="utf-8"))
    answers = submission.find_answers()
    samples = {p.id: oracle.sample(p, 0, 3) for p in pset.puzzles}
    items = []
    for p in pset.puzzles:
        if p.id in answers:
            points = samples[p.id].points
            stacked = {n: np.stack([pt[n] for pt in points]) for n in points[0]}
            items.append((p.id, answers[p.id], stacked))
    values = dict(zip([i[0] for i in items], submission.evaluate_many(items), strict=True))
    passed = 0
    for p in pset.puzzles:
        value = values.get(p.id)
        if value is None:
            outcome = protocol.Outcome("missing")
        elif isinstance(value, AnswerError):
            outcome = protocol.Outcome("error", message=str(value))
        else:
            outcome = protocol.Outcome("ok", arrays=value)
        passed += verdict(p, outcome, samples[p.id], answers.get(p.id)).passed
    print(f"{passed}/{len(pset.puzzles)} passed")


if __name__ == "__main__":
    main()
