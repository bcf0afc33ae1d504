"""`adgrader validate`: everything that can be wrong with a puzzle folder, all at once.

Every set at any depth under the folder is read, each puzzle of it even when others
(or the set's own file) are not valid. Beyond the schema that loading checks, each
valid puzzle's givens must evaluate, `f` must trace at the declared input shapes to the
declared output shape, jacfwd must agree with finite differences at sampled points
(bounds on a kink fail here) and at every fixed probe, the index form must give the
same values as `f`, and the starter of each answer form must run (and fail, as a stub
does) when graded. Each problem knows the field of the puzzle file it is about, and
is located by it.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import Problem, SpecError, UsageError
from ..grading import oracle
from . import Puzzle, PuzzleSet, find_set_dirs
from .parse import read_set
from .scope import names_of
from .starters import STARTERS, starter_file

if TYPE_CHECKING:
    from ..answers.launch import ForkServer
    from .schema import Where
    from .yamlpos import LocatedDocument

SEEDS = (0, 1)
POINTS = 3
STARTER_TIMEOUT = 20.0


@dataclass
class Validation:
    """What `validate` found: the sets whose YAML is valid, and every problem."""

    sets: list[PuzzleSet] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(folder: Path) -> Validation:
    """Check every set in `folder` (itself a set folder, or a folder of them at any depth)."""
    if not folder.is_dir():
        raise UsageError(f"no such folder: {str(folder)!r}")
    found = Validation()
    dirs = find_set_dirs(folder)
    if not dirs:
        found.problems.append(Problem(str(folder), None, "no set.yaml here or in its folders"))
    with (
        tempfile.TemporaryDirectory(prefix="adgrader-validate-") as tmp,
        _starters(Path(tmp)) as grade_starters,
    ):
        for directory in dirs:
            reading = read_set(directory)
            problems = list(reading.problems)
            healthy = []
            oracle.build_ahead(reading.pset.puzzles)
            for puzzle in reading.pset.puzzles:
                mistakes = check_puzzle(puzzle)
                problems += mistakes
                if not mistakes:
                    healthy.append(puzzle.id)
            if healthy:
                problems += grade_starters(reading.pset, healthy)
            problems = [located(p, reading.docs) for p in problems]
            found.problems += sorted(problems, key=_order)
            if reading.ok:
                found.sets.append(reading.pset)
    return found


def _order(problem: Problem) -> tuple[bool, str, int]:
    """A set's own file first, then each file's problems by line."""
    return (Path(problem.file).name != "set.yaml", problem.file, problem.line or 0)


def located(problem: Problem, docs: dict[str, LocatedDocument]) -> Problem:
    """The problem with the line of the field it is about, when its file has that field."""
    if problem.line is not None or not problem.field:
        return problem
    doc = docs.get(problem.file)
    if doc is None or not doc.has(problem.field[:1]):
        return problem
    return replace(problem, line=doc.line_of(problem.field))


def check_puzzle(puzzle: Puzzle) -> list[Problem]:
    """The oracle at fresh points, the probes, and the index form against `f`.

    Each seed's points are new, but the oracle (the compiled jacfwd of `f`) is built
    once per puzzle and used for both.
    """
    problems = []
    for seed in SEEDS:
        try:
            sample = oracle.compute_sample(puzzle, seed, POINTS)
        except SpecError as exc:
            return exc.problems
        if seed == SEEDS[0]:
            for k in sample.kinked_probes:
                problems.append(
                    Problem(
                        puzzle.source,
                        None,
                        f"probe {k - POINTS + 1} sits on a kink of f (jacfwd and finite "
                        "differences disagree there): move it where f is smooth",
                        ("probes", k - POINTS),
                    )
                )
            problems += check_index_form(puzzle, sample.points[0], sample.expected[0].value)
    return problems


def check_index_form(
    puzzle: Puzzle, point: dict[str, np.ndarray], value: np.ndarray
) -> list[Problem]:
    """The `index_form` (the `f` of the dx starter) must agree entry by entry with `value`,
    what `f` gives at `point`."""
    jax = oracle.init_jax()
    names = names_of(puzzle, jax)
    scope: dict[str, Any] = {
        **names,
        **{n: np.array(point[n]) for n in puzzle.arg_names},
        "math": math,
        "np": jax.numpy,
    }
    scope.update({k: np.asarray(v) for k, v in names.items() if hasattr(v, "shape")})
    code = compile(puzzle.index_form, f"{puzzle.source}:index_form", "eval")
    value = np.asarray(value)
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
                    ("index_form",),
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
                    ("index_form",),
                )
            ]
    return []


def starter_field(puzzle: Puzzle, form: str) -> Where:
    """The field a form's starter is made from, where a starter that fails is located:
    the index form for the dx lambda and a scalar class's `forward`, else the shapes."""
    if form == "dx" or (form == "backward" and puzzle.scalar):
        return ("index_form",)
    return ("output",) if form == "jac" else ("inputs",)


def check_starters(
    pset: PuzzleSet, ids: list[str], server: ForkServer | None = None
) -> list[Problem]:
    """Every form's starter must run when graded: each stub `failed` (or `passed`), none
    `error`. With a fork server, each grading forks a warm answer process."""
    from ..grading.stages import check_against
    from ..options import Limits, Options

    problems = []
    with tempfile.TemporaryDirectory(prefix="adgrader-starters-") as tmp:
        for form in STARTERS:
            path = Path(tmp) / f"starter_{form}.py"
            path.write_text(starter_file(pset, form), encoding="utf-8")
            report = check_against(
                path,
                pset,
                Options(
                    puzzles=tuple(ids),
                    limits=Limits(timeout=STARTER_TIMEOUT),
                    processes=1,
                    starters_are_todo=False,  # the starters must run, and fail
                ),
                server,
            )
            for result in report.puzzles:
                if result.status not in ("failed", "passed"):
                    puzzle = pset.get(result.id)
                    message = f"the {form} starter does not run ({result.status}): {result.message}"
                    problems.append(
                        Problem(puzzle.source, None, message, starter_field(puzzle, form))
                    )
    return problems


@contextmanager
def _starters(workdir: Path) -> Iterator[Callable[[PuzzleSet, list[str]], list[Problem]]]:
    """`check_starters` for each set, sharing one fork server (started when first
    needed, where the platform has one): a warm answer process for the whole run."""
    servers: list[ForkServer | None] = []

    def grade(pset: PuzzleSet, ids: list[str]) -> list[Problem]:
        if not servers:
            servers.append(_fork_server(workdir))
        return check_starters(pset, ids, servers[0])

    try:
        yield grade
    finally:
        for server in servers:
            if server is not None:
                server.close()


def _fork_server(workdir: Path) -> ForkServer | None:
    if not hasattr(os, "fork"):
        return None
    from ..answers.launch import ForkServer

    try:
        return ForkServer(workdir)
    except OSError:
        return None
