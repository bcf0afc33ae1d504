"""Grading without isolation, for measuring what the answer process costs.

Runs the same steps as `adgrader check` (oracle, answers, comparison) but evaluates
the answers inside this process, with no child process, guards or pipes. Never do
this with untrusted code: it exists only so bench.py can report the cost of isolation.

Usage: python bench/in_process.py SUBMISSION [SET]
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np


def main() -> None:
    from adgrader.answers.client import AnswerInfo, Outcome, job_for
    from adgrader.answers.worker import AnswerError, Runner
    from adgrader.caches import cache_dir
    from adgrader.grading import oracle
    from adgrader.grading.verdict import verdict
    from adgrader.spec import load_set

    path, set_name = Path(sys.argv[1]).resolve(), (sys.argv[2] if len(sys.argv) > 2 else "jax")
    pset = load_set(set_name)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        job = {
            "submission": str(path),
            "form": pset.form,
            "cache_dir": str(cache_dir("jax-answers")),
            "puzzles": [job_for(p) for p in pset.puzzles],
        }
        (work / "job.json").write_text(json.dumps(job))
        runner = Runner(work, sys.stderr)
        runner.start_jax()
        runner.load()
        answers = runner.find_answers()
        passed = 0
        for p in pset.puzzles:
            sample = oracle.sample(p, 0, 3)
            answer = answers.get(p.id)
            info = (
                AnswerInfo(answer["form"], answer["name"], answer["line"], []) if answer else None
            )
            stacked = {i.name: np.stack([pt[i.name] for pt in sample.points]) for i in p.inputs}
            try:
                arrays = runner.evaluate(p.id, answer, stacked) if answer else None
            except AnswerError as exc:
                outcome = Outcome("error", message=str(exc))
            else:
                outcome = (
                    Outcome("missing")
                    if arrays is None
                    else Outcome(
                        "ok",
                        arrays=[
                            {i.name: arrays[f"{i.name}_{k}"] for i in p.inputs}
                            for k in range(len(sample.points))
                        ],
                    )
                )
            passed += verdict(p, outcome, sample, info).passed
    print(f"{passed}/{len(pset.puzzles)} passed")


if __name__ == "__main__":
    main()
