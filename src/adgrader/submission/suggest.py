"""What to tell a learner when a puzzle has no answer, or only its starter.

Messages name what the learner must write in their kind of submission: a function
in a `.py` file (`def jac_relu(x)`, `def fb_relu(x)`, `class ReLU`, `def vjp_sum(x,
g)`), the `jac` cell under a header in a 2024 notebook, the `dx` line of an `fb_`
cell in a 2022 notebook. A name the learner defined that is a close misspelling of
the puzzle's answer name (`jac_rleu`, `fb_cumsun`, `class Sigmod`, `vjp_matmull`) is
pointed at. Each message's first line fits 60 columns (a report's table cell), the
others 80.
"""

from __future__ import annotations

import ast
import difflib
from collections import Counter
from collections.abc import Iterable

from ..spec import Puzzle, PuzzleSet
from .model import Kind

CUTOFF = 0.8  # how alike a defined name and an answer name must be (difflib ratio)


def suggest(names_defined: Iterable[str], puzzle: Puzzle, pset: PuzzleSet) -> str | None:
    """A name the learner defined that looks like a misspelling of one of `puzzle`'s
    answer names, or None. A name that answers some puzzle of the set is never
    suggested, nor one closer to another puzzle's name."""
    exact = {name for p in pset.puzzles for name in _names(p)}
    answers = {name.lower(): p.id for p in pset.puzzles for name in _names(p)}
    best: tuple[float, str] | None = None
    for name in names_defined:
        if name in exact:
            continue
        close = difflib.get_close_matches(name.lower(), list(answers), n=1, cutoff=CUTOFF)
        if not close or answers[close[0]] != puzzle.id:
            continue
        score = difflib.SequenceMatcher(None, name.lower(), close[0]).ratio()
        if best is None or score > best[0]:
            best = (score, name)
    return best[1] if best else None


def _names(puzzle: Puzzle) -> list[str]:
    return [name for names in puzzle.answer_names().values() for name in names]


def meant(name: str, puzzle: Puzzle) -> str:
    """The answer name of `puzzle` that `name` (a misspelling) is closest to."""
    names = _names(puzzle)
    return max(names, key=lambda n: difflib.SequenceMatcher(None, name.lower(), n.lower()).ratio())


def missing_message(puzzle: Puzzle, kind: Kind, form: str, suggestion: str | None = None) -> str:
    """What to write for a puzzle with no answer, in the learner's kind of submission
    and answer form (the form most of their answers use, see `usual_form`)."""
    if suggestion is not None:
        right = meant(suggestion, puzzle)
        return (
            f"no answer: did you mean {right}?\n"
            f"{suggestion} is defined, but no puzzle goes by that name; rename it."
        )
    if kind == "notebook-2024":
        return f"no answer: fill in jac under the {puzzle.title} header"
    if kind == "notebook-2022":
        cell = notebook_2022_name(puzzle)
        lines = " and ".join(f"d{i.name}" for i in puzzle.inputs)
        return f"no answer: fill in {lines} in {cell}\n(the cell under the {puzzle.title} header)"
    return puzzle.missing_message(form)


def todo_message(puzzle: Puzzle, kind: Kind, form: str) -> str:
    """For an answer still equal to its starter: not attempted yet."""
    if kind == "notebook-2024":
        return f"not attempted yet: {puzzle.title}'s jac is still blank"
    if kind == "notebook-2022" or form == "dx":
        lines = " and ".join(f"d{i.name}" for i in puzzle.inputs)
        return f"not attempted yet: {lines} still as given"
    return "not attempted yet: still the starter"


def notebook_2022_name(puzzle: Puzzle) -> str:
    """The name of the puzzle's cell function in the 2022 notebook: `fb_running`,
    `fb_mm`, the reused `fb_mean` and `fb_conv`, else `fb_<id>`."""
    from .notebook import SHARED_NAMES

    for name, ids in SHARED_NAMES.items():
        if puzzle.id in ids:
            return name
    return next((a for a in puzzle.aliases if a.startswith("fb_")), f"fb_{puzzle.id}")


def usual_form(tree: ast.Module | None, pset: PuzzleSet) -> str:
    """The form most of a submission's answers use (the set's own form on a tie, or
    when there are none): missing answers are then named the way the learner writes."""
    from ..grading.rules import find_answer

    if tree is None:
        return pset.form
    counts = Counter(
        answer.form for p in pset.puzzles if (answer := find_answer(tree, p, pset.form)) is not None
    )
    if not counts:
        return pset.form
    top = max(counts.values())
    return pset.form if counts[pset.form] == top else counts.most_common(1)[0][0]
