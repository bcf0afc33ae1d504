"""`adgrader validate`: everything that can be wrong with a puzzle folder, all at once.

Beyond the schema that loading checks, each puzzle's givens must evaluate, `f` must
trace at the declared input shapes to the declared output shape, jacfwd must agree
with finite differences at sampled points (bounds on a kink fail here) and at every
fixed probe, the index form must give the same values as `f`, and the starter of each
answer form must run (and fail, as a stub does) when graded.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Problem, SpecError, UsageError
from ..grading import oracle
from . import Puzzle, PuzzleSet, load_set_dir, set_dirs
from .scope import names_of
from .starters import STARTERS, starter_file

SEEDS = (0, 1)
POINTS = 3


@dataclass
class Validation:
    """What `validate` found: the sets that loaded, and every problem."""

    sets: list[PuzzleSet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(folder: Path) -> Validation:
    """Check every set in `folder` (itself a set folder, or a folder of them)."""
    if not folder.is_dir():
        raise UsageError(f"no such folder: {str(folder)!r}")
    found = Validation()
    dirs = set_dirs(folder)
    if not dirs:
        found.problems.append(Problem(str(folder), None, "no set.yaml here or in its folders"))
    for directory in dirs.values():
        try:
            pset = load_set_dir(directory)
        except SpecError as exc:
            found.problems += exc.problems
            continue
        found.sets.append(pset)
        healthy = []
        for puzzle in pset.puzzles:
            before = len(found.problems)
            found.problems += check_puzzle(puzzle)
            if len(found.problems) == before:
                healthy.append(puzzle.id)
        if healthy:
            found.problems += check_starters(pset, healthy)
    return found


def check_puzzle(puzzle: Puzzle) -> list[Problem]:
    """The oracle at fresh points, the probes, and the index form against `f`."""
    problems = []
    for seed in SEEDS:
        try:
            sample = oracle.compute_sample(puzzle, seed, POINTS)
        except SpecError as exc:
            return [located(puzzle, p) for p in exc.problems]
        if seed == SEEDS[0]:
            for k in sample.kinked_probes:
                problems.append(
                    Problem(
                        puzzle.source,
                        None,
                        f"probe {k - POINTS + 1} sits on a kink: jacfwd and finite differences "
                        "disagree there, so either answer could be right",
                    )
                )
            problems += check_index_form(puzzle, sample.points[0])
    return [located(puzzle, p) for p in problems]


# Which field of the puzzle file a problem found by running it is about.
_FIELDS = (
    ("givens or f fail", ("givens",)),
    ("f returns shape", ("output",)),
    ("f fails", ("f",)),
    ("disagree at", ("bounds",)),
    ("index_form", ("index_form",)),
    ("dx starter", ("index_form",)),
    ("backward starter", ("index_form",)),
)


def located(puzzle: Puzzle, problem: Problem) -> Problem:
    """The problem with the line of the field it is about, when the message says which."""
    if problem.line is not None or problem.file != puzzle.source:
        return problem
    from .yamlpos import load_located

    if problem.message.startswith("probe "):
        path: tuple[str | int, ...] | None = ("probes", int(problem.message.split()[1]) - 1)
    else:
        path = next((p for words, p in _FIELDS if words in problem.message), None)
    if path is None:
        return problem
    try:
        doc = load_located(Path(puzzle.source))
    except (OSError, ValueError):
        return problem
    line = doc.line_of(path) if doc.node_at(path[:1]) is not doc.root else None
    return Problem(problem.file, line, problem.message)


def check_index_form(puzzle: Puzzle, point: dict[str, np.ndarray]) -> list[Problem]:
    """The `index_form` (the `f` of the dx starter) must agree with `f` at every entry."""
    jax = oracle.init_jax()
    names = names_of(puzzle, jax)
    value = np.asarray(names["f"](*(jax.numpy.asarray(point[n]) for n in puzzle.arg_names)))
    scope: dict[str, Any] = {
        **names,
        **{n: np.array(point[n]) for n in puzzle.arg_names},
        "math": math,
        "np": jax.numpy,
    }
    scope.update({k: np.asarray(v) for k, v in names.items() if hasattr(v, "shape")})
    code = compile(puzzle.index_form, f"{puzzle.source}:index_form", "eval")
    for idx in itertools.product(*(range(n) for n in puzzle.out_shape)):
        scope.update(zip(puzzle.out_index, idx, strict=True))
        try:
            got = float(np.asarray(eval(code, scope)))
        except Exception as exc:
            return [
                Problem(
                    puzzle.source,
                    None,
                    f"index_form fails at {dict(zip(puzzle.out_index, idx, strict=True))}: "
                    f"{type(exc).__name__}: {exc}",
                )
            ]
        want = float(value[idx])
        if not abs(got - want) <= 1e-9 * max(1.0, abs(want)):
            where = ", ".join(f"{n}={i}" for n, i in zip(puzzle.out_index, idx, strict=True))
            return [
                Problem(
                    puzzle.source,
                    None,
                    f"index_form gives {got:.6g} at {where}, but f gives {want:.6g}",
                )
            ]
    return []


def check_starters(pset: PuzzleSet, ids: list[str]) -> list[Problem]:
    """Every form's starter must run when graded: each stub `failed` (or `passed`), none
    `error`."""
    from ..grading.stages import check_against
    from ..options import Limits, Options

    problems = []
    with tempfile.TemporaryDirectory(prefix="adgrader-validate-") as tmp:
        for form in STARTERS:
            path = Path(tmp) / f"starter_{form}.py"
            path.write_text(starter_file(pset, form), encoding="utf-8")
            report = check_against(
                path, pset, Options(puzzles=tuple(ids), limits=Limits(timeout=20.0))
            )
            for result in report.puzzles:
                if result.status not in ("failed", "passed"):
                    puzzle = pset.get(result.id)
                    message = f"the {form} starter does not run ({result.status}): {result.message}"
                    problems.append(located(puzzle, Problem(puzzle.source, None, message)))
    return problems
