"""Which set a submission answers: the one its marker line names, else the one its
answers fit.

An answer fits a set when its name is one of a puzzle's answer names (`jac_<id>`,
`fb_<id>` or an alias, the backward class, `vjp_<id>`) and its arguments are that
puzzle's (one input or two; a `dx` lambda over the puzzle's index components; a
class's `forward(ctx, ...)`, a `vjp_` function's `g`). Sets are ranked by, in turn:
fewest answer-like names that fit none of their puzzles (`jac_broadcast` is no
`jax` puzzle; `def jac_view(x)` has one input where classic's View has two), most
puzzles answered, most answered in the set's own form (`jac_` for `jax`, `fb_` for
`classic`). A notebook is read for each set (its headers and `fb_` names place its
answers), and answers it could place only by order count against that set.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .. import pyast
from ..spec import Puzzle, PuzzleSet
from .read import Submission

FORM_NAMES = {"jac": "jac_ functions", "dx": "fb_ functions", "backward": "backward answers"}
_DEFINITION = re.compile(
    r"^(?:async[ \t]+)?(?:def|class)[ \t]+(\w+)|^(\w+)[ \t]*=[ \t]*lambda\b", re.M
)


@dataclass(frozen=True)
class Fit:
    """How well a submission's answers fit one set."""

    set: str
    answered: tuple[str, ...]  # puzzles with an answer whose arguments fit
    native: int  # of those, answered in the set's own form
    misfits: tuple[str, ...]  # answer-like names fitting no puzzle; notebook cells placed by order

    @property
    def rank(self) -> tuple[int, int, int]:
        """Larger is better."""
        return (-len(self.misfits), len(self.answered), self.native)


def fit(submission: Submission, pset: PuzzleSet, sets: Sequence[PuzzleSet] = ()) -> Fit:
    """How the submission's answers fit `pset`; `sets` (all the sets there are) tell
    which class names are answers at all."""
    if submission.is_notebook:
        return _notebook_fit(submission, pset, sets)
    tree = _parse(submission.source)
    if tree is None:  # a syntax error: go by the names its definitions start with
        return _names_fit(_DEFINITION.findall(submission.source), pset, sets)
    return _source_fit(tree, pset, sets, ())


def infer_set(submission: Submission, sets: Sequence[PuzzleSet]) -> tuple[str, str]:
    """The set to grade the submission against, and why (worded for a report line).

    The marker line wins when it names one of `sets`; otherwise the set the answers fit
    best, ties going to the earlier of `sets` (list the default set first). With no
    answers at all, the first of `sets`.
    """
    if not sets:
        raise ValueError("infer_set needs at least one set")
    ids = [s.id for s in sets]
    unknown = ""
    if submission.declared is not None:
        if submission.declared in ids:
            return submission.declared, (
                f"named by its `# adgrader: set={submission.declared}` line"
                + (f" ({submission.declared_at})" if submission.declared_at else "")
            )
        close = difflib.get_close_matches(submission.declared, ids, n=1, cutoff=0.6)
        unknown = f"its set={submission.declared} line names no set" + (
            f" (did you mean {close[0]}?); " if close else "; "
        )
    fits = [fit(submission, s, sets) for s in sets]
    best = max(fits, key=lambda f: f.rank)  # max keeps the first of equals
    if not best.answered:
        return sets[0].id, unknown + f"no answers recognised, so the default set {sets[0].id}"
    pset = sets[ids.index(best.set)]
    if submission.kind == "notebook-2024":
        what = "a 2024 notebook: its jac cells"
    elif submission.kind == "notebook-2022":
        what = "a 2022 notebook: its fb_ cells"
    else:
        what = f"inferred: its {FORM_NAMES[pset.form] if best.native else 'answers'}"
    total = len(pset.puzzles)
    return best.set, (
        unknown + f"{what} fit {len(best.answered)} of the {total} puzzles of set {best.set}"
    )


def better_set(submission: Submission, asked: str, sets: Sequence[PuzzleSet]) -> str | None:
    """Another set the submission's answers fit clearly better than `asked`, for the
    hint "these look like classic answers: try `--set classic`"; None when `asked`
    fits as well as any (or the file's marker line names `asked`)."""
    ids = [s.id for s in sets]
    if submission.declared in ids:
        return submission.declared if submission.declared != asked else None
    if asked not in ids:
        return None
    fits = {s.id: fit(submission, s, sets) for s in sets}
    mine = fits[asked]
    best = max(fits.values(), key=lambda f: f.rank)
    if best.set == asked or not best.answered:
        return None
    fewer_misfits = len(best.misfits) < len(mine.misfits)
    own_form = not mine.native and best.native and len(best.misfits) <= len(mine.misfits)
    if len(best.answered) >= len(mine.answered) and (fewer_misfits or own_form):
        return best.set
    return None


def better_set_hint(other: str, sets: Sequence[PuzzleSet]) -> str:
    """`these look like classic answers: try --set classic` (at most 60 columns)."""
    return f"these look like {other} answers: try --set {other}"


# ---------------------------------------------------------------- fitting


def _parse(source: str) -> ast.Module | None:
    try:
        return pyast.parse(source)
    except (SyntaxError, ValueError):
        return None


def _answer_like(name: str, classes: frozenset[str]) -> bool:
    return name.startswith(("jac_", "fb_", "vjp_")) or name in classes


def _classes(sets: Sequence[PuzzleSet], pset: PuzzleSet) -> frozenset[str]:
    return frozenset(p.backward_class for s in (*sets, pset) for p in s.puzzles)


def _source_fit(
    tree: ast.Module, pset: PuzzleSet, sets: Sequence[PuzzleSet], extra: tuple[str, ...]
) -> Fit:
    from ..grading.rules import find_answer

    defined = _top_level(tree)
    answered: list[str] = []
    native = 0
    used: set[str] = set()
    misfits = list(extra)
    for puzzle in pset.puzzles:
        answer = find_answer(tree, puzzle, pset.form)
        if answer is None:
            continue
        used.update(n for names in puzzle.answer_names().values() for n in names)
        if fits_arguments(answer.node, answer.form, puzzle):
            answered.append(puzzle.id)
            native += answer.form == pset.form
        else:
            misfits.append(answer.name)
    classes = _classes(sets, pset)
    misfits += [n for n in defined if _answer_like(n, classes) and n not in used]
    return Fit(pset.id, tuple(answered), native, tuple(misfits))


def _names_fit(found: list[tuple[str, str]], pset: PuzzleSet, sets: Sequence[PuzzleSet]) -> Fit:
    """A fit by names alone, for a file that does not parse."""
    defined = {a or b for a, b in found}
    answered: list[str] = []
    native = 0
    used: set[str] = set()
    for puzzle in pset.puzzles:
        names = puzzle.answer_names()
        forms = [form for form, own in names.items() if defined & set(own)]
        if forms:
            answered.append(puzzle.id)
            native += pset.form in forms
            used.update(n for own in names.values() for n in own)
    classes = _classes(sets, pset)
    misfits = tuple(n for n in defined if _answer_like(n, classes) and n not in used)
    return Fit(pset.id, tuple(answered), native, misfits)


def _notebook_fit(submission: Submission, pset: PuzzleSet, sets: Sequence[PuzzleSet]) -> Fit:
    from .notebook import extract

    got = extract(submission.cells, pset)
    tree = _parse(got.source)
    unplaced = tuple(
        f"cell {n.cell}" for n in got.notes if n.level == "warn" and n.message.startswith("jac ")
    )
    if tree is None:
        return Fit(pset.id, (), 0, ())
    found = _source_fit(tree, pset, sets, (*got.ignored, *unplaced))
    broken = tuple(pid for pid in got.broken if pid not in found.answered)
    return Fit(pset.id, (*found.answered, *broken), found.native, found.misfits)


def _top_level(tree: ast.Module) -> list[str]:
    from .assemble import bound_names

    return [name for stmt in tree.body for name in bound_names(stmt)]


def fits_arguments(
    node: ast.FunctionDef | ast.Lambda | ast.ClassDef, form: str, puzzle: Puzzle
) -> bool:
    """Whether an answer takes the puzzle's arguments: `jac_<id>(x[, y])`,
    `fb_<id>(x[, y])` with `dx` over the input's then the output's index components,
    `forward(ctx, x[, y])` of a class, `vjp_<id>(x[, y], g)`."""
    wanted = len(puzzle.inputs)
    if isinstance(node, ast.ClassDef):
        forward = next(
            (s for s in node.body if isinstance(s, ast.FunctionDef) and s.name == "forward"),
            None,
        )
        return forward is None or _takes(forward.args, wanted + 1)
    if form == "backward":
        return _takes(node.args, wanted + 1)
    if not _takes(node.args, wanted):
        return False
    if form != "dx" or isinstance(node, ast.Lambda):
        return True
    for inner in ast.walk(node):
        if isinstance(inner, ast.Assign) and isinstance(inner.value, ast.Lambda):
            for target in inner.targets:
                if isinstance(target, ast.Name) and target.id in ("dx", "dy"):
                    which = puzzle.inputs[0 if target.id == "dx" else -1]
                    if not _takes(inner.value.args, len(which.index) + len(puzzle.out_index)):
                        return False
    return True


def _takes(args: ast.arguments, count: int) -> bool:
    """Whether a function can be called with `count` positional arguments."""
    positional = len(args.posonlyargs) + len(args.args)
    required = positional - len(args.defaults)
    return required <= count and (count <= positional or args.vararg is not None)
