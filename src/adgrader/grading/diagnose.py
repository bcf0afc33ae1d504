"""Diagnoses: what a wrong Jacobian looks like, in words a learner can act on.

`values` looks at the whole Jacobians of a failing answer (yours and expected, per
input) and names the common mistake it resembles; `shape` explains a wrong shape with
the puzzle's dim names. Each returns "" when nothing fits.

A diagnosis is given only when it fits exactly: every entry compared is within the
grading tolerance (`compare.within`) after the transformation it names. numpy is
imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..spec import Input, Puzzle, shape_text

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Array = NDArray[Any]

MAX_SHIFT = 3
FEW = 3  # at most this many wrong entries are listed one by one ...
MANY = 10  # ... in a Jacobian with more entries than this


def values(puzzle: Puzzle, arrays: dict[str, tuple[Any, Any]]) -> str:
    """A diagnosis of wrong values: {wrt: (yours, expected)} at the first failing point."""
    import numpy as np

    wrong: list[tuple[Input, str]] = []
    right: list[str] = []
    for inp in puzzle.inputs:
        if inp.name not in arrays:
            return ""
        try:
            yours, expected = (np.asarray(a, dtype=np.float64) for a in arrays[inp.name])
        except (TypeError, ValueError):
            return ""
        if yours.shape != expected.shape:
            return ""
        if _matches(yours, expected):
            right.append(inp.name)
        else:
            wrong.append((inp, _one(puzzle, inp, yours, expected)))
    if not wrong:
        return ""
    if right:
        inp, diag = wrong[0]
        head = f"d/d{right[0]} is right; d/d{inp.name} is wrong"
        return f"{head}: {diag}" if diag else head
    if len(wrong) == 1:
        return wrong[0][1]
    return "; ".join(f"d/d{inp.name}: {diag}" for inp, diag in wrong if diag)


def shape(puzzle: Puzzle, wrt: str, got: tuple[int, ...]) -> str:
    """A diagnosis of a wrong shape for the Jacobian with respect to `wrt`."""
    inp = puzzle.input(wrt)
    want, dims = puzzle.jac_shape(wrt), puzzle.jac_dims(wrt)
    got = tuple(int(g) for g in got)
    out = puzzle.out_shape
    if got == want:
        return ""
    if got == inp.shape + out:
        expected = shape_text(dims, want)
        return f"expected {expected}, got {got}: transposed? The output's axes come first."
    for k, size in enumerate(want):
        if size == 1 and got == want[:k] + want[k + 1 :]:
            outs = (
                "one output entry"
                if math.prod(out) == 1
                else f"{_times(puzzle.output_dims)} outputs"
            )
            ins = "one input" if inp.size == 1 else f"{_times(inp.dims)} inputs"
            return f"missing the axis of size 1: {shape_text(dims, want)} means {outs} by {ins}"
    for k, size in enumerate(got):
        if size == 1 and got[:k] + got[k + 1 :] == want:
            return f"an extra axis of size 1 (axis {k}); the Jacobian is {shape_text(dims, want)}"
    whole = "the Jacobian is output shape + input shape"
    if got == out == inp.shape:
        return f"got the shape of the output (or of the input) only; {whole}"
    if got == out:
        return f"got the shape of the output only; {whole}"
    if got == inp.shape:
        return f"got the shape of the input {wrt} only; {whole}"
    if math.prod(got) == math.prod(want):
        return f"same number of entries, other layout: reshape to {_tuple(dims)}"
    return ""


# ---------------------------------------------------------------- one Jacobian


def _one(puzzle: Puzzle, inp: Input, yours: Array, expected: Array) -> str:
    """The first diagnosis that fits one wrong Jacobian exactly, or ""."""
    names = puzzle.out_index + inp.index
    bad = ~_close(yours, expected)
    checks: list[Callable[[], str]] = [
        lambda: _non_finite(yours, expected),
        lambda: _sign(yours, expected),
        lambda: _factor(yours, expected),
        lambda: _transposed(puzzle, inp, yours, expected),
        lambda: _swapped_pair(puzzle, inp, yours, expected),
        lambda: _shifted(yours, expected, names, len(puzzle.out_shape)),
        lambda: _boundary(bad, names),
        lambda: _few(bad, names),
    ]
    for check in checks:
        found = check()
        if found:
            return found
    return ""


def _non_finite(yours: Array, expected: Array) -> str:
    import numpy as np

    count = int((~np.isfinite(yours) & np.isfinite(expected)).sum())
    if not count:
        return ""
    return (
        f"{count} non-finite entr{'y' if count == 1 else 'ies'} (NaN or infinity) where the "
        "expected values are finite: does something overflow, like exp of a large input "
        "(subtract the maximum first), or divide by zero?"
    )


def _sign(yours: Array, expected: Array) -> str:
    if _matches(yours, -expected):  # never when expected is all zero: then yours matched
        return "wrong sign: every entry is the negative of the expected value"
    return ""


def _factor(yours: Array, expected: Array) -> str:
    import numpy as np

    nonzero = expected != 0
    if int(nonzero.sum()) < 2:  # one entry fits any factor: no evidence of one
        return ""
    e = expected[nonzero]
    with np.errstate(invalid="ignore", over="ignore"):
        c = float(np.sum(yours[nonzero] * e) / np.sum(e * e))
    if not math.isfinite(c) or abs(c) < 1e-6 or abs(c - 1) <= 1e-5 or abs(c + 1) <= 1e-5:
        return ""
    if not _matches(yours, c * expected):
        return ""
    return f"every entry is {_number(c)} times the expected value"


def _transposed(puzzle: Puzzle, inp: Input, yours: Array, expected: Array) -> str:
    n_out, n_in = len(puzzle.out_shape), len(inp.shape)
    o, i = ", ".join(puzzle.out_index), ", ".join(inp.index)
    if puzzle.out_shape == inp.shape:
        block = (*range(n_out, n_out + n_in), *range(n_out))
        if _matches(yours, expected.transpose(block)):
            return (
                f"transposed: you have d f[{i}] / d {inp.name}[{o}]; swap the roles of {o} and {i}"
            )
    if n_out != 2 or n_in != 2:
        return ""
    outs = puzzle.out_shape[0] == puzzle.out_shape[1] and _matches(
        yours, expected.transpose(1, 0, 2, 3)
    )
    ins = inp.shape[0] == inp.shape[1] and _matches(yours, expected.transpose(0, 1, 3, 2))
    if outs and ins:
        return f"the output axes {o} are swapped (equivalently, the input axes {i})"
    if outs:
        return f"the output axes {o} are swapped"
    if ins:
        return f"the input axes {i} are swapped"
    if (
        puzzle.out_shape[0] == puzzle.out_shape[1]
        and inp.shape[0] == inp.shape[1]
        and _matches(yours, expected.transpose(1, 0, 3, 2))
    ):
        return f"both the output axes {o} and the input axes {i} are swapped"
    return ""


def _swapped_pair(puzzle: Puzzle, inp: Input, yours: Array, expected: Array) -> str:
    """Two axes of the same size swapped, among the output's or among the input's
    (a contraction's gradient transposed the wrong way)."""
    import itertools

    n_out = len(puzzle.out_shape)
    sides = (
        ("input", inp.index, inp.shape, n_out),
        ("output", puzzle.out_index, puzzle.out_shape, 0),
    )
    found = []
    for side, names, shape, offset in sides:
        for a, b in itertools.combinations(range(len(shape)), 2):
            if shape[a] != shape[b]:
                continue
            order = list(range(yours.ndim))
            order[offset + a], order[offset + b] = order[offset + b], order[offset + a]
            if _matches(yours, expected.transpose(order)):
                found.append(f"{side} axes {names[a]} and {names[b]}")
                break
    if not found:
        return ""
    also = f" (equivalently, the {found[1]})" if len(found) > 1 else ""
    return f"the {found[0]} are swapped{also}"


def _shifted(yours: Array, expected: Array, names: Sequence[str], n_out: int) -> str:
    """yours[.., t, ..] == expected[.., t - k, ..] where both exist, and not unshifted."""
    import numpy as np

    for axis, n in enumerate(expected.shape):
        for k in [s * d for d in range(1, MAX_SHIFT + 1) for s in (1, -1)]:
            m = n - abs(k)
            if m < 2 or 2 * m <= n:  # the overlap must be more than half the axis
                continue
            lead = (slice(None),) * axis
            mine = lead + ((slice(k, n),) if k > 0 else (slice(0, m),))
            theirs = lead + ((slice(0, m),) if k > 0 else (slice(-k, n),))
            source = expected[theirs]
            if not np.any(source != 0) or not _matches(yours[mine], source):
                continue
            if _matches(yours[mine], expected[mine]):  # shift-invariant there: no evidence
                continue
            moved = list(names)
            moved[axis] = f"{names[axis]} - {k}" if k > 0 else f"{names[axis]} + {-k}"
            kind = "output" if axis < n_out else "input"
            return (
                f"shifted by {k:+d} along {names[axis]} ({kind} index): "
                f"yours[{', '.join(names)}] matches expected[{', '.join(moved)}]"
            )
    return ""


def _boundary(bad: Array, names: Sequence[str]) -> str:
    """Wrong only in the first and/or last slice along one axis, right in between."""
    import numpy as np

    if bad.size > MANY and int(bad.sum()) <= FEW:
        return ""  # `_few` lists these entries, which says more
    for axis, n in enumerate(bad.shape):
        where = set(np.flatnonzero(np.moveaxis(bad, axis, 0).reshape(n, -1).any(axis=1)).tolist())
        name = names[axis]
        if where == {0} and n >= 2:
            return f"right except at {name} = 0"
        if where == {n - 1} and n >= 2:
            return f"right except at the last {name}"
        if where == {0, n - 1} and n >= 3:
            return f"right except at {name} = 0 and the last {name}"
    return ""


def _few(bad: Array, names: Sequence[str]) -> str:
    import numpy as np

    count = int(bad.sum())
    if bad.size <= MANY or not 1 <= count <= FEW:
        return ""
    spots = [
        "(" + ", ".join(f"{n}={int(v)}" for n, v in zip(names, idx, strict=True)) + ")"
        for idx in np.argwhere(bad)
    ]
    return "right except at " + ", ".join(spots)


def cotangent(arrays: dict[str, tuple[Any, Any]], g: Any, rebuilt: bool) -> str:
    """What a backward's wrong gradients for the upstream gradient `g` look like.

    `arrays` maps each input to (yours, expected) gradients; `rebuilt` says the
    Jacobian rebuilt from one-hot `g`s was right, so the fault lies in how `g` is used.
    """
    import numpy as np

    g = np.asarray(g)
    if g.size == 1 and float(g.reshape(())) != 0:
        gv = float(g.reshape(()))
        if all(_matches(y, e / gv) for y, e in arrays.values()):
            return "the gradient is not multiplied by g (d_out): yours is the derivative alone"
        if all(_matches(y, e * gv) for y, e in arrays.values()):
            return "g (d_out) is multiplied in twice"
    if rebuilt:
        return (
            "right for every one-hot g but not for this g, so the gradient is not linear "
            "in g: multiply by g (d_out) and do nothing else with it"
        )
    return ""


# ---------------------------------------------------------------- helpers


def _close(yours: Array, target: Array) -> Array:
    """Entry by entry: within the grading tolerance of `target` (never looser), and finite."""
    from .compare import within

    return within(yours, target)


def _matches(yours: Array, target: Array) -> bool:
    return bool(_close(yours, target).all())


def _number(c: float) -> str:
    """A short faithful spelling: 2, 0.25, 1.5, 1/3, -2."""
    if abs(c - round(c)) <= 1e-6 * abs(c):
        return str(round(c))
    for digits in range(1, 5):
        text = f"{c:.{digits}g}"
        if abs(float(text) - c) <= 1e-6 * abs(c):
            return text
    inverse = 1 / c
    if abs(inverse - round(inverse)) <= 1e-6 * abs(inverse):
        return f"{'-' if c < 0 else ''}1/{abs(round(inverse))}"
    return f"{c:.6g}"


def _times(dims: Sequence[str | int]) -> str:
    return "×".join(str(d) for d in dims)


def _tuple(items: Sequence[object]) -> str:
    inner = ", ".join(str(i) for i in items)
    return f"({inner},)" if len(items) == 1 else f"({inner})"
