"""The puzzle model: what a set and its puzzles are once their YAML is read and checked.

Everything here is plain data with a few derived facts (shapes, answer names); it
imports neither jax nor YAML, so every part of adgrader can use it cheaply.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Literal, get_args

import msgspec

from ..errors import UsageError

Severity = Literal["off", "warn", "error"]
Form = Literal["jac", "dx", "backward"]
FORMS: tuple[Form, ...] = ("jac", "dx", "backward")
INPUT_NAMES = ("x", "y")
DEFAULT_SET = "jax"
# A backward answer is called with every one-hot upstream gradient, to rebuild the
# whole Jacobian, when the output has at most this many entries.
REBUILD_LIMIT = 4096
# The rules a set may list; `grading.rules` checks each (its table is typed by RuleName).
RuleName = Literal["one-line", "max-columns", "no-autodiff", "no-array-literal"]
RULE_NAMES: tuple[RuleName, ...] = get_args(RuleName)


class AnswerForm(msgspec.Struct, frozen=True):
    """How answers of one form are written: what every message and help text says."""

    form: Form
    names: str  # what a submission defines: "jac_<id>(x)"
    gives: str  # what it gives back, in a few words
    where: str  # where the form comes from


ANSWER_FORMS: dict[Form, AnswerForm] = {
    "jac": AnswerForm("jac", "jac_<id>(x)", "returns the whole Jacobian", "set jax"),
    "dx": AnswerForm("dx", "fb_<id>(x)", "returns f and dx = lambda i, o: ...", "set classic"),
    "backward": AnswerForm(
        "backward", "class <Id> or vjp_<id>", "a backward pass: each input's gradient", "MiniTorch"
    ),
}

# ---------------------------------------------------------------- resolved model


class Input(msgspec.Struct, frozen=True):
    """One argument of a puzzle's `f`: its name, dims, concrete shape and index names."""

    name: str
    dims: tuple[str | int, ...]
    shape: tuple[int, ...]
    index: tuple[str, ...]
    bounds: tuple[float, float]

    @property
    def size(self) -> int:
        return math.prod(self.shape)


class Puzzle(msgspec.Struct, frozen=True):
    """One puzzle: the function, its shapes and givens, and how to sample it."""

    id: str
    title: str
    statement: str
    number: int
    inputs: tuple[Input, ...]
    output_dims: tuple[str | int, ...]
    out_shape: tuple[int, ...]
    out_index: tuple[str, ...]
    dims: dict[str, int]
    givens: dict[str, str | int | float]
    f: str
    index_form: str
    probes: tuple[dict[str, Any], ...]  # a value per input: a number or nested lists
    aliases: tuple[str, ...]
    score: float
    source: str
    hints: tuple[str, ...] = ()
    class_name: str = ""  # the `backward` form's class; "" means the id in CamelCase

    def jac_shape(self, wrt: str) -> tuple[int, ...]:
        """Shape of the Jacobian with respect to input `wrt`: output shape + input shape."""
        return self.out_shape + self.input(wrt).shape

    def jac_dims(self, wrt: str) -> tuple[str | int, ...]:
        return self.output_dims + self.input(wrt).dims

    def input(self, name: str) -> Input:
        for inp in self.inputs:
            if inp.name == name:
                return inp
        raise KeyError(name)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(inp.name for inp in self.inputs)

    @property
    def out_size(self) -> int:
        return math.prod(self.out_shape)

    @property
    def rebuilds_jacobian(self) -> bool:
        """Whether a backward answer's whole Jacobian is rebuilt from one-hot `g`s."""
        return self.out_size <= REBUILD_LIMIT

    @property
    def scalar(self) -> bool:
        """Whether every input and the output is a single number (a 0-d array)."""
        return self.out_shape == () and all(i.shape == () for i in self.inputs)

    @property
    def backward_class(self) -> str:
        """The class a `backward` answer defines: `class_name`, else `sigmoid` -> `Sigmoid`."""
        return self.class_name or "".join(part.title() for part in self.id.split("_"))

    def answer_names(self) -> dict[str, tuple[str, ...]]:
        """Names a submission may define for this puzzle, per form."""
        return {
            "jac": (f"jac_{self.id}",),
            "dx": (f"fb_{self.id}", *self.aliases),
            "backward": (self.backward_class, f"vjp_{self.id}"),
        }

    def answer_hint(self, form: str) -> str:
        """How an answer in `form` starts: `def jac_relu(x)`, `def fb_relu(x)`,
        `def vjp_sum(x, g)`, or for a puzzle of single numbers `class ReLU`."""
        args = ", ".join(self.arg_names)
        if form == "backward":
            if self.scalar:
                return f"class {self.backward_class}"
            return f"def vjp_{self.id}({args}, g)"
        return f"def {'fb' if form == 'dx' else 'jac'}_{self.id}({args})"

    def missing_message(self, prefer: str) -> str:
        """What to write when a submission has no answer, in the set's own form: a first
        line of at most 60 columns, then (a backward class) the other way to answer."""
        text = f"no answer: add {self.answer_hint(prefer)}"
        if prefer == "backward" and self.scalar:
            args = ", ".join((*self.arg_names, "g"))
            text += f" (forward, backward)\nor def vjp_{self.id}({args})"
        return text


class Rule(msgspec.Struct, frozen=True):
    """One rule of a set with its severity (and, for `max-columns`, the limit)."""

    name: RuleName
    severity: Severity
    limit: int | None = None


class PuzzleSet(msgspec.Struct, frozen=True):
    """An ordered list of puzzles sharing rules and defaults."""

    id: str
    title: str
    description: str
    form: Form
    path: str
    puzzles: tuple[Puzzle, ...]
    rules: tuple[Rule, ...] = ()

    def get(self, puzzle_id: str) -> Puzzle:
        for p in self.puzzles:
            if p.id == puzzle_id:
                return p
        known = ", ".join(p.id for p in self.puzzles)
        raise UsageError(f"no puzzle {puzzle_id!r} in set {self.id!r}; its puzzles are: {known}")

    def select(self, ids: Sequence[str]) -> tuple[Puzzle, ...]:
        """The puzzles named by `ids` in set order (all of them when `ids` is empty)."""
        if not ids:
            return self.puzzles
        wanted = {self.get(i).id for i in ids}
        return tuple(p for p in self.puzzles if p.id in wanted)

    @property
    def max_score(self) -> float:
        return sum(p.score for p in self.puzzles)


def rule_name(text: str) -> RuleName | None:
    """`text` as a rule's name, or None when no rule has that name."""
    return next((name for name in RULE_NAMES if name == text), None)


def form_order(prefer: str) -> tuple[str, ...]:
    """The forms to look for an answer in: the set's own first, then the others."""
    return (prefer, *(f for f in FORMS if f != prefer))


def shape_text(dims: Sequence[str | int], shape: Sequence[int]) -> str:
    """`(O, I) = (8, 10)` when dims are named, else `(8, 10)`."""

    def tup(items: Sequence[object]) -> str:
        inner = ", ".join(str(i) for i in items)
        return f"({inner},)" if len(items) == 1 else f"({inner})"

    if any(isinstance(d, str) for d in dims):
        return f"{tup(dims)} = {tup(shape)}"
    return tup(shape)
