"""Starter code for a puzzle in each answer form, as the notebooks and courses stub it.

Each stub runs and returns zeros of the right shape (a Jacobian, or a backward's
gradients), so a learner's first check fails (it does not error) and says which
entries are wrong.
"""

from __future__ import annotations

import textwrap

from . import Puzzle, PuzzleSet, shape_text
from .formula import plain_math


def _shape(dims: tuple[str | int, ...]) -> str:
    parts = [str(d) for d in dims]
    return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"


def jac_starter(puzzle: Puzzle) -> str:
    """`def jac_<id>(x): return np.zeros(...)`, one zero Jacobian per input."""
    args = ", ".join(puzzle.arg_names)
    zeros = ", ".join(f"np.zeros({_shape(puzzle.jac_dims(i.name))})" for i in puzzle.inputs)
    return f"def jac_{puzzle.id}({args}):\n    return {zeros}  # fill in\n"


def dx_starter(puzzle: Puzzle) -> str:
    """`def fb_<id>(x): f = lambda o: ...; dx = lambda i, o: 0; return f, dx`."""
    args = ", ".join(puzzle.arg_names)
    out = ", ".join(puzzle.out_index)
    body = " ".join(puzzle.index_form.split())
    lines = [f"def fb_{puzzle.id}({args}):", f"    f = lambda {out}: {body}"]
    for inp in puzzle.inputs:
        lines.append(
            f"    d{inp.name} = lambda {', '.join((*inp.index, *puzzle.out_index))}: 0  # fill in"
        )
    lines.append(f"    return f, {', '.join('d' + i.name for i in puzzle.inputs)}")
    return "\n".join(lines) + "\n"


def backward_starter(puzzle: Puzzle) -> str:
    """For a puzzle of single numbers, a class with `forward` (done: it is `f`) and
    `backward` to fill in, as a course's scalar functions are written; otherwise
    `def vjp_<id>(x, g)` returning zero gradients."""
    args = ", ".join(puzzle.arg_names)
    if puzzle.scalar:
        zeros = ", ".join("0.0" for _ in puzzle.inputs)
        body = " ".join(puzzle.index_form.split())
        return (
            f"class {puzzle.backward_class}(ScalarFunction):\n"
            "    @staticmethod\n"
            f"    def forward(ctx, {args}):\n"
            f"        ctx.save_for_backward({args})\n"
            f"        return {body}\n"
            "\n"
            "    @staticmethod\n"
            "    def backward(ctx, d_out):\n"
            f"        {f'({args},)' if len(puzzle.inputs) == 1 else args} = ctx.saved_values\n"
            "        # fill in: the gradient for each input, times d_out\n"
            f"        return {zeros}\n"
        )
    zeros = ", ".join(f"np.zeros({_shape(i.dims)})" for i in puzzle.inputs)
    return (
        f"def vjp_{puzzle.id}({args}, g):\n"
        "    # fill in: the gradient for each input, shaped like it\n"
        f"    return {zeros}\n"
    )


STARTERS = {"jac": jac_starter, "dx": dx_starter, "backward": backward_starter}


def comment(puzzle: Puzzle) -> str:
    """The puzzle's title and statement as comment lines, formulas as plain text."""
    lines = [f"{puzzle.number}. {puzzle.title} ({puzzle.id})"]
    lines += textwrap.wrap(" ".join(plain_math(puzzle.statement).split()), 76)
    shapes = ", ".join(f"{i.name} {shape_text(i.dims, i.shape)}" for i in puzzle.inputs)
    lines.append(f"inputs: {shapes}; output {shape_text(puzzle.output_dims, puzzle.out_shape)}")
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def starter_file(pset: PuzzleSet, form: str) -> str:
    """A whole submission stubbing every puzzle of the set in one form, each with its
    statement as a comment; every stub runs and returns zeros."""
    render = STARTERS[form]
    head = (
        f"# adgrader: set={pset.id}\n"
        f"# {pset.title}.\n"
        f"# Fill in each answer, then: adgrader check <this file>\n"
        f"# adgrader show <id> explains a puzzle; adgrader hint <id> gives a hint.\n"
    )
    return head + "".join(f"\n\n{comment(p)}{render(p)}" for p in pset.puzzles)


# ---------------------------------------------------------------- the notebooks' blank cells

# What the notebooks' blank answer cells hold, per puzzle id, as the answer part of
# the form: the `jac` body's returned expression (2024 notebook, every published
# version), or one `dx`/`dy` lambda per input (2022 notebook). An answer still equal
# to one of these, or to its form's `adgrader init` stub, has not been attempted.
# The 2024 notebook once stubbed Id with `2 + Is[None, :]`, which is the right
# answer: it is left out, so nobody is told a right answer is "not attempted".
NOTEBOOK_BLANKS: dict[str, dict[str, tuple[str, ...]]] = {
    "jac": {
        "id": ("0 * Is[None, :]",),
        "cos": ("0. * Is[None, :]",),
        "mean": ("0 * Is[None, :]",),
        "prod": ("0 * Is[None, :]",),
        "repeat": ("0 * Os",),
        "repeat_scale": ("0 * Os",),
        "neg": ("0 * (Os + Is)",),
        "relu": ("0 * (Os + Is)",),
        "index": ("0 * (Os + Is)",),
        "cumsum": ("0 * (Os + Is)",),
        "running_mean": ("0 * (Os + Is)",),
        "sort": ("0 * (Os + Is)",),
        "emean": ("0 * (Os + Is), 0 * (Os + Is)",),
        "mul": ("0 * (Os + Is), 0 * (Os + Is)",),
        "conv1d": ("0 * (Is + Os), 0 * (Os + Ws)",),
        "view": ("0 * Os + Is + Js",),
        "transpose": ("0 * (Os + Is + Ps + Js)",),
        "mean_reduce": ("0 * (Is + Os + Js)",),
        "matmul": ("0 * (Os == Is), 0 * (Os == Js)",),
        "conv2d": ("0 * (Os + Is), 0 * (Os + Js)",),
    },
    # Every 2022 blank is `dx = lambda i, o: 0` (and `dy = ...: 0`), as the init
    # stub; one published version stubbed Product's with 1.
    "dx": {"prod": ("lambda i, o: 1",)},
}


def notebook_blanks(puzzle: Puzzle, form: str) -> tuple[str, ...]:
    """The notebooks' blank answer parts for `puzzle` in `form` (see NOTEBOOK_BLANKS)."""
    return NOTEBOOK_BLANKS.get(form, {}).get(puzzle.id, ())
