"""Terminal pictures of a failing Jacobian: yours, expected and where they differ.

The Jacobian J[o..., i...] is drawn flattened to 2-D, as the Autodiff Puzzles notebook
shows it: one row per output entry and one column per input entry (both row-major).
Each entry is a cell of one or two characters whose background is a diverging colour:
blue for negative, near-white for zero, red for positive, on a scale that yours and
expected share. The third panel marks the entries outside the grader's tolerance.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.color import Color
from rich.console import Console, Group, RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..grading.compare import within
from ..result import PuzzleResult
from ..spec import Puzzle
from .common import names, number

MAX_ROWS = 60
TICK_EVERY = 5
GAP = 2  # columns between panels side by side
SPREAD = 4.0  # yours may stretch the colour scale up to this many times max |expected|

# RdBu reversed (ColorBrewer): blue for negative, near-white for zero, red for positive.
_STOPS = (
    (-1.0, (33, 102, 172)),
    (-0.5, (146, 197, 222)),
    (0.0, (247, 247, 247)),
    (0.5, (244, 165, 130)),
    (1.0, (178, 24, 43)),
)
_NONFINITE = Style(color="black", bgcolor=Color.from_rgb(255, 215, 0), bold=True)
_WRONG = Style(color="white", bgcolor=Color.from_rgb(214, 39, 160), bold=True)
_RIGHT = Style(color="grey42", bgcolor=Color.from_rgb(58, 58, 58))


def colour(t: float) -> tuple[int, int, int]:
    """The RGB of a value already divided by the scale (clipped to [-1, 1])."""
    t = max(-1.0, min(1.0, t))
    for (a, ca), (b, cb) in itertools.pairwise(_STOPS):
        if t <= b:
            w = (t - a) / (b - a)
            r, g, bl = (round(x + w * (y - x)) for x, y in zip(ca, cb, strict=True))
            return (r, g, bl)
    return _STOPS[-1][1]


def _cell_style(value: float, scale: float) -> Style:
    if not math.isfinite(value):
        return _NONFINITE
    return Style(bgcolor=Color.from_rgb(*colour(value / scale)))


def flat(array: Any, n_out: int) -> np.ndarray:
    """J[o..., i...] as a 2-D array: rows = output entries, columns = input entries."""
    a = np.asarray(array, dtype=np.float64)
    rows = math.prod(a.shape[:n_out])
    return a.reshape(rows, -1) if a.size else a.reshape(rows, 0)


def scale_of(yours: np.ndarray, expected: np.ndarray) -> float:
    """The colour scale shared by yours and expected: max |expected| (finite entries).

    When yours goes beyond it by at most SPREAD times (a factor of 2, say), max |yours|
    instead, so the two do not both saturate and look alike; a wilder yours is clipped
    rather than washing expected out. Falls back to max |yours|, then 1, for zeros.
    """
    big = [_max_abs(expected), _max_abs(yours)]
    if big[0] > 0:
        return big[1] if big[0] < big[1] <= SPREAD * big[0] else big[0]
    return big[1] if big[1] > 0 else 1.0


def _max_abs(a: np.ndarray) -> float:
    finite = np.abs(a[np.isfinite(a)])
    return float(finite.max()) if finite.size else 0.0


def wrong_mask(yours: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """True where an entry is outside the tolerance `compare` uses (or not finite)."""
    return ~within(yours, expected)


@dataclass(frozen=True)
class _Layout:
    cell: int  # characters per entry
    side_by_side: bool


def _label_width(rows: int, out_label: str) -> int:
    return max(len(str(max(rows - 1, 0))), len(out_label) + 1) + 1


def _panel_width(rows: int, cols: int, cell: int, out_label: str) -> int:
    return _label_width(rows, out_label) + cols * cell + 1


def _layout(rows: int, cols: int, out_label: str, max_width: int) -> _Layout | None:
    if rows > MAX_ROWS or rows == 0 or cols == 0:
        return None
    for cell, side in ((2, True), (1, True), (2, False), (1, False)):
        width = _panel_width(rows, cols, cell, out_label)
        if side:
            width = 3 * width + 2 * GAP
        if width <= max_width:
            return _Layout(cell, side)
    return None


def tick_step(shape: tuple[int, ...]) -> int:
    """Ticks every 5 entries; for several axes, where the first axis steps (`(i, j)`: i)."""
    inner = math.prod(shape[1:])
    return inner if len(shape) > 1 and inner > 1 else TICK_EVERY


def _ticks(cols: int, cell: int, step: int) -> str:
    """`0    5    10` with each number starting over its column (two-char cells: wider)."""
    line = [" "] * (cols * cell + 4)
    for k in range(0, cols, step):
        label = str(k)
        start = k * cell
        if any(c != " " for c in line[max(start - 1, 0) : start + len(label)]):
            continue
        line[start : start + len(label)] = label
    return "".join(line).rstrip()


def _panel(
    title: Text,
    values: list[list[tuple[str, Style]]],
    out_label: str,
    in_label: str,
    cell: int,
    steps: tuple[int, int],
) -> Text:
    rows = len(values)
    cols = len(values[0]) if values else 0
    lw = _label_width(rows, out_label)
    text = Text(no_wrap=True, overflow="crop")
    text.append_text(title)
    text.append("\n")
    text.append(" " * lw)
    text.append(f"{in_label} →", style="bold cyan")
    text.append("\n")
    text.append(f"{out_label}↓".rjust(lw - 1) + " ", style="bold cyan")
    text.append(_ticks(cols, cell, steps[1]), style="cyan")
    for r, row in enumerate(values):
        text.append("\n")
        tick = str(r) if r % steps[0] == 0 else ""
        text.append(tick.rjust(lw - 1) + " ", style="cyan")
        for glyph, style in row:
            text.append(glyph.ljust(cell)[:cell], style=style)
    return text


def _value_cells(a: np.ndarray, scale: float) -> list[list[tuple[str, Style]]]:
    cells = []
    for row in a:
        out = []
        for v in row:
            v = float(v)
            glyph = "?" if math.isnan(v) else ("∞" if math.isinf(v) else "")
            out.append((glyph, _cell_style(v, scale)))
        cells.append(out)
    return cells


def _diff_cells(bad: np.ndarray) -> list[list[tuple[str, Style]]]:
    return [[("✗", _WRONG) if b else ("·", _RIGHT) for b in row] for row in bad]


def _legend(scale: float, n_wrong: int, total: int) -> Text:
    text = Text(no_wrap=True, overflow="crop")
    text.append(f"-{number(scale)} ", style="dim")
    for k in range(-6, 7):
        text.append(" ", style=Style(bgcolor=Color.from_rgb(*colour(k / 6))))
    text.append(f" +{number(scale)}", style="dim")
    text.append("   ")
    text.append("✗", style=_WRONG)
    text.append(f" wrong ({n_wrong} of {total})  ")
    text.append("·", style=_RIGHT)
    text.append(" right")
    return text


def heatmap(
    puzzle: Puzzle, wrt: str, yours: Any, expected: Any, max_width: int = 80
) -> RenderableType | None:
    """Three panels (yours, expected, wrong entries) for d f / d `wrt`, or None if too big.

    Side by side when they fit in `max_width` columns, else stacked; None when even
    stacked they do not fit, or the Jacobian has more than MAX_ROWS output entries.
    """
    n_out = len(puzzle.out_shape)
    ys = flat(yours, n_out)
    ex = flat(expected, n_out)
    if ys.shape != ex.shape:
        return None
    rows, cols = ex.shape
    out_label = names(puzzle.out_index) if puzzle.out_index else "o"
    inp = puzzle.input(wrt)
    in_label = names(inp.index) if inp.index else "i"
    layout = _layout(rows, cols, out_label, max_width)
    if layout is None:
        return None
    scale = scale_of(ys, ex)
    bad = wrong_mask(ys, ex)
    axes = (out_label, in_label, layout.cell, (tick_step(puzzle.out_shape), tick_step(inp.shape)))
    panels = [
        _panel(Text("yours", style="bold red"), _value_cells(ys, scale), *axes),
        _panel(Text("expected", style="bold green"), _value_cells(ex, scale), *axes),
        _panel(Text("wrong entries", style="bold"), _diff_cells(bad), *axes),
    ]
    shape = " × ".join(str(n) for n in (rows, cols))
    head = Text()
    head.append(f"{puzzle.id}", style="bold")
    head.append(f" · d/d{wrt}", style="bold")
    head.append(f": {shape}, rows {out_label}", style="dim")
    if len(puzzle.out_shape) > 1:
        head.append(f" in {_dims(puzzle.out_shape)}", style="dim")
    head.append(f", columns {in_label}", style="dim")
    if len(inp.shape) > 1:
        head.append(f" in {_dims(inp.shape)}", style="dim")
    if len(puzzle.out_shape) > 1 or len(inp.shape) > 1:
        head.append(", row-major", style="dim")
    legend = _legend(scale, int(bad.sum()), bad.size)
    if layout.side_by_side:
        grid = Table.grid(padding=(0, GAP, 0, 0))
        for _ in panels:
            grid.add_column(no_wrap=True)
        grid.add_row(*panels)
        body: RenderableType = grid
    else:
        parts: list[RenderableType] = []
        for k, panel in enumerate(panels):
            if k:
                parts.append(Text())
            parts.append(panel)
        body = Group(*parts)
    return Group(head, body, legend)


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(n) for n in shape)


def render_heatmaps(result: PuzzleResult, puzzle: Puzzle, console: Console) -> None:
    """Print a heatmap per input in `result.arrays` (nothing when it is empty, or when
    each Jacobian is one entry, which the table already shows)."""
    if all(np.size(e) <= 1 for _, e in result.arrays.values()):
        return
    for wrt, (yours, expected) in result.arrays.items():
        n_out = len(puzzle.out_shape)
        ys, ex = flat(yours, n_out), flat(expected, n_out)
        shape = " × ".join(str(n) for n in ex.shape)
        where = f"{puzzle.id} · d/d{wrt}: "
        if ys.shape == ex.shape and not wrong_mask(ys, ex).any():
            console.print(Text(f"{where}all {ex.size} entries right", style="dim"))
            continue
        picture = heatmap(puzzle, wrt, yours, expected, max_width=console.width)
        if picture is None:
            console.print(Text(f"{where}{shape} is too large to draw here", style="dim"))
        else:
            console.print(picture)
        console.print()
