"""Starter code for a puzzle in either answer form, as the notebooks stub it.

Each stub runs and returns a zero Jacobian of the right shape, so a learner's first
check fails (it does not error) and says which entries are wrong.
"""

from __future__ import annotations

from .puzzles import Puzzle, PuzzleSet


def _shape(dims: tuple[str | int, ...]) -> str:
    parts = [str(d) for d in dims]
    return f"({parts[0]},)" if len(parts) == 1 else f"({', '.join(parts)})"


def jac_starter(puzzle: Puzzle) -> str:
    """`def jac_<id>(x): return np.zeros(...)`, one zero Jacobian per input."""
    args = ", ".join(puzzle.arg_names)
    zeros = ", ".join(f"np.zeros({_shape(puzzle.jac_dims(i.name))})" for i in puzzle.inputs)
    what = "the Jacobian" if len(puzzle.inputs) == 1 else "(d/dx, d/dy)"
    return f"def jac_{puzzle.id}({args}):\n    return {zeros}  # fill in: {what}\n"


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


def starter_file(pset: PuzzleSet, form: str) -> str:
    """A whole submission stubbing every puzzle of the set in one form."""
    render = jac_starter if form == "jac" else dx_starter
    head = f"# adgrader: set={pset.id}\n# {pset.title}: every answer is a stub to fill in.\n"
    return head + "".join(f"\n\n{render(p)}" for p in pset.puzzles)
