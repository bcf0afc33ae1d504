"""Feedback for another try: what is wrong with an answer, without giving it away.

For multi-turn use (a model, or a learner, tries again after reading it): the status
in words, the shape check, how many entries are wrong and where (their indices, per
input), the diagnosis, the grader's message and the rules broken. Unless `reveal`, no
value is shown, neither expected nor yours: with the diagnosis ("every entry is 2
times the expected value", "wrong sign") yours would give the expected away.

The diagnoses of `grading.diagnose` name transformations, indices and ratios, never
an entry's value; still, every decimal number in the message, the diagnosis and the
rule findings that rounds from an expected or returned entry is replaced by
`[hidden]`, so no wording there can leak one. Whole numbers are kept: they are
indices, counts and shapes (an entry that is a whole number, like a Jacobian's 1s and
0s, cannot be told from them anyway).
"""

from __future__ import annotations

import bisect
import math
import re
import textwrap
from collections.abc import Iterable, Iterator

from ..result import Mismatch, PuzzleResult, ShapeCheck
from ..spec import Puzzle, shape_text
from .common import finding_line, number

HIDDEN = "[hidden]"
WIDTH = 80
SECRET_LIMIT = 100_000  # entries of the kept arrays looked at for hiding

_HEADLINES = {
    "passed": "passed: every entry is right at every sample point.",
    "error": "error: the answer raised an error or returned something unusable.",
    "timeout": "timeout: the answer did not finish in time.",
    "missing": "missing: there is no answer to grade.",
    "violation": "violation: the values are right, but a rule is broken (no credit).",
}
_FAILED = {
    "shape": "failed: wrong shape.",
    "jacobian": "failed: wrong values in the Jacobian.",
    "vjp": "failed: wrong gradient values.",
    "value": "failed: forward returns wrong values.",
    "other": "failed: the answer is wrong.",
}
# A number as text: 12, -0.5, 1e-05, 3.25E+2 (not in a word like x1; `3.` ends a sentence).
_NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d+|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?(?!\w)")


def feedback(
    result: PuzzleResult,
    puzzle: Puzzle | None = None,
    *,
    reveal: bool = False,
    limit: int = 10,
) -> str:
    """Plain text on what to fix in one puzzle's answer; `reveal` adds yours and the
    expected value for each wrong entry shown. `puzzle` adds shapes and index names."""
    hide = (lambda text: text) if reveal else _Hider(result).hide
    parts = [_headline(result)]
    if result.message and result.shape is None:
        parts.append(_wrap(hide(result.message)))
    parts += _shape_lines(result, puzzle)
    parts += _wrong_entries(result, puzzle, reveal, limit)
    if result.diagnosis:
        parts.append(_wrap(f"Looks like: {hide(result.diagnosis)}"))
    parts += [_wrap(hide(finding_line(f))) for f in [*result.violations, *result.warnings]]
    return "\n".join(p for p in parts if p) + "\n"


def _headline(result: PuzzleResult) -> str:
    if result.status != "failed":
        words = _HEADLINES.get(result.status, f"{result.status}: not graded as passed.")
    elif result.shape is not None or (
        not result.mismatches
        and result.message.startswith(("wrong shape", "forward returns shape"))
    ):
        words = _FAILED["shape"]
    elif result.mismatches:
        words = _FAILED.get(result.mismatches[0].kind, _FAILED["other"])
    else:
        words = _FAILED["other"]
    return _wrap(f"{result.id}: {words}")


# ---------------------------------------------------------------- shapes


def _shape_lines(result: PuzzleResult, puzzle: Puzzle | None) -> list[str]:
    """The shape check: the wrong shape against the expected, or which shapes are right."""
    if result.shape is not None:
        return [_wrap(_wrong_shape(result.shape))]
    if result.status != "failed" or not result.mismatches:
        return []
    if puzzle is None or result.mismatches[0].kind != "jacobian":
        return ["Shapes: right."]
    right = [
        f"d/d{w} is {shape_text(puzzle.jac_dims(w), puzzle.jac_shape(w))}" for w in puzzle.arg_names
    ]
    return [_wrap(f"Shapes: right ({'; '.join(right)}).")]


def _wrong_shape(check: ShapeCheck) -> str:
    expected = shape_text(check.dims, check.expected) if check.dims else _tuple(check.expected)
    return f"Shape of {check.of}: expected {expected}, yours {_tuple(check.yours)}."


def _tuple(items: Iterable[int]) -> str:
    inner = [str(i) for i in items]
    return f"({inner[0]},)" if len(inner) == 1 else f"({', '.join(inner)})"


# ---------------------------------------------------------------- wrong entries


def _wrong_entries(
    result: PuzzleResult, puzzle: Puzzle | None, reveal: bool, limit: int
) -> list[str]:
    """Where the shown wrong entries are, by input; with `reveal`, their values."""
    if not result.mismatches:
        return [f"{result.mismatch_total} wrong entries."] if result.mismatch_total else []
    shown = result.mismatches[: max(limit, 0)]
    lines: list[str] = []
    if not result.message:
        lines.append(f"{result.mismatch_total} wrong entries.")
    groups: dict[tuple[str, str], list[Mismatch]] = {}
    for m in shown:
        groups.setdefault((m.kind, m.wrt), []).append(m)
    for (kind, wrt), entries in groups.items():
        head = f"Wrong entries of {_what(kind, wrt)}, at {_labels(kind, wrt, puzzle)}"
        if not _position(entries[0]):  # a single number: nothing to point at
            m = entries[0]
            values = f": yours {number(m.yours)}, expected {number(m.expected)}" if reveal else ""
            lines.append(f"The only entry of {_what(kind, wrt)} is wrong{values}.")
        elif reveal:
            lines.append(f"{head}:")
            lines += [
                f"  {_at(m)}: yours {number(m.yours)}, expected {number(m.expected)}"
                for m in entries
            ]
        else:
            lines.append(_listing(f"{head}:", [_at(m) for m in entries]))
    rest = result.mismatch_total - len(shown)
    if rest > 0:
        lines.append(f"And {rest} more wrong entr{'y' if rest == 1 else 'ies'}.")
    return lines


def _what(kind: str, wrt: str) -> str:
    if kind == "vjp":
        return f"the gradient of {wrt}"
    if kind == "value":
        return "f's value"
    return f"d/d{wrt}"


def _labels(kind: str, wrt: str, puzzle: Puzzle | None) -> str:
    """`[o, i]`, the index names the positions list (`[out, in]` without the puzzle)."""
    if puzzle is None or (wrt not in puzzle.arg_names and kind != "value"):
        names = {"vjp": ["in"], "value": ["out"]}.get(kind, ["out", "in"])
    else:
        ins = list(puzzle.input(wrt).index) if kind != "value" else []
        outs = list(puzzle.out_index) if kind != "vjp" else []
        names = [*outs, *ins]
    return f"[{', '.join(names)}]"


def _position(m: Mismatch) -> tuple[int, ...]:
    """A wrong entry's indices: the output's, then the input's."""
    return {"vjp": m.inp, "value": m.out}.get(m.kind, m.out + m.inp)


def _at(m: Mismatch) -> str:
    return _tuple(_position(m))


# ---------------------------------------------------------------- hiding values


class _Hider:
    """Replaces each decimal number that an entry of the result rounds to."""

    def __init__(self, result: PuzzleResult) -> None:
        self.values = sorted({abs(v) for v in _entries(result) if math.isfinite(v)})

    def hide(self, text: str) -> str:
        return _NUMBER.sub(self._one, text) if self.values else text

    def _one(self, match: re.Match[str]) -> str:
        token = match.group(0).lstrip("+-")
        if not any(c in token for c in ".eE"):
            return match.group(0)  # a whole number: an index, a count, a shape
        mantissa, _, exponent = token.replace("E", "e").partition("e")
        decimals = len(mantissa.partition(".")[2])
        try:
            value = abs(float(token))
            half = 0.5 * 10.0 ** (int(exponent or 0) - decimals)
        except (ValueError, OverflowError):
            return match.group(0)
        tolerance = half * (1 + 1e-9) + value * 1e-15  # the token's last digit, rounded
        k = bisect.bisect_left(self.values, value - tolerance)
        if k < len(self.values) and self.values[k] <= value + tolerance:
            return HIDDEN
        return match.group(0)


def _entries(result: PuzzleResult) -> Iterator[float]:
    """Every expected and returned value the result holds (the kept arrays, bounded)."""
    for m in result.mismatches:
        yield from (float(m.yours), float(m.expected))
    if not result.arrays:
        return
    import numpy as np

    budget = SECRET_LIMIT
    for pair in result.arrays.values():
        for arr in pair:
            try:
                flat = np.asarray(arr, dtype=np.float64).ravel()[:budget]
            except (TypeError, ValueError):
                continue
            budget -= flat.size
            yield from flat.tolist()


def _listing(head: str, items: list[str]) -> str:
    """`head a, b, c.` wrapped to 80 columns between items, never inside one."""
    lines, line = [], head
    for k, item in enumerate(items):
        word = f" {item}{'.' if k == len(items) - 1 else ','}"
        if len(line) + len(word) > WIDTH and line.strip():
            lines.append(line)
            line = " "
        line += word
    return "\n".join([*lines, line])


def _wrap(text: str) -> str:
    """A sentence wrapped to 80 columns, continuation lines indented, never inside
    brackets (`expected[o + 1, i]` stays on one line)."""
    if len(text) <= WIDTH or "\n" in text:
        return text
    glued = re.sub(r"[\[(][^\[\]()]*[\])]", lambda m: m.group(0).replace(" ", "\0"), text)
    wrapped = textwrap.fill(glued, WIDTH, subsequent_indent="  ", break_on_hyphens=False)
    return wrapped.replace("\0", " ")
