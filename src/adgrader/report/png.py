"""PNG pictures of failing Jacobians (matplotlib, the `plot` extra).

One file per failed puzzle that kept its Jacobians: for each input a row of three
panels, yours | expected | yours - expected (wrong entries only), each Jacobian
flattened to 2-D as in the terminal heatmap (rows = output entries, columns = input
entries, both row-major).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import UsageError
from ..result import PuzzleResult, Report
from ..spec import Puzzle, PuzzleSet
from .common import first_line, names
from .heatmap import flat, scale_of, wrong_mask

if TYPE_CHECKING:
    import os

MISSING = "pictures need matplotlib: pip install 'adgrader[plot]'"
DPI = 110
ALL_TICKS = 16  # label every entry up to this many rows/columns
ANNOTATE = 30  # write the values in the cells up to this many entries
MARK = 900  # else mark the wrong cells with a cross up to this many entries
NONFINITE = "#ffd700"  # nan / inf in yours: gold, as in the terminal
RIGHT = "#d4d4d4"  # entries within tolerance, in the difference panel


def _matplotlib() -> Any:
    """pyplot on the Agg backend, imported on first use; UsageError when not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise UsageError(MISSING) from e
    return plt


def write_pngs(report: Report, pset: PuzzleSet, folder: str | os.PathLike[str]) -> list[Path]:
    """Write `<puzzle id>.png` into `folder` for each failed puzzle with Jacobians.

    Returns the paths written, in report order (empty when nothing failed that way).
    Raises UsageError when matplotlib is not installed, even if there is nothing to draw.
    """
    plt = _matplotlib()
    failed = [p for p in report.puzzles if p.status == "failed" and p.arrays]
    written: list[Path] = []
    for result in failed:
        puzzle = next((q for q in pset.puzzles if q.id == result.id), None)
        if puzzle is None or not _blocks(result, puzzle):
            continue
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        fig = _figure(plt, result, puzzle)
        path = out / f"{result.id}.png"
        try:
            fig.savefig(path, dpi=DPI)
        finally:
            plt.close(fig)
        written.append(path)
    return written


def _panel_size(rows: int, cols: int) -> tuple[float, float]:
    """Inches for one panel's image: about 0.32 in per entry, kept between 1.4 and 4.2 in."""
    per = min(0.32, 4.2 / max(rows, cols, 1))
    width = min(max(cols * per, 1.4), 4.2)
    height = min(max(rows * per, 1.0), 4.2)
    return width, height


def _blocks(result: PuzzleResult, puzzle: Puzzle) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(input, yours, expected) flattened to 2-D, for the inputs whose shapes agree."""
    n_out = len(puzzle.out_shape)
    blocks = [(wrt, flat(y, n_out), flat(e, n_out)) for wrt, (y, e) in result.arrays.items()]
    return [(w, y, e) for w, y, e in blocks if y.shape == e.shape and e.size]


def _figure(plt: Any, result: PuzzleResult, puzzle: Puzzle) -> Any:
    blocks = _blocks(result, puzzle)
    sizes = [_panel_size(*e.shape) for _, _, e in blocks]
    pw = max(w for w, _ in sizes)
    heights = [h + 1.5 for _, h in sizes]  # room for the title, labels and ticks
    fig, axes = plt.subplots(
        len(blocks),
        3,
        figsize=(3 * (pw + 1.9), sum(heights) + 0.6),
        squeeze=False,
        gridspec_kw={"height_ratios": heights},
        layout="constrained",
    )
    values = plt.get_cmap("RdBu_r").with_extremes(bad=NONFINITE)
    diffs = plt.get_cmap("PuOr_r").with_extremes(bad=RIGHT)
    out_label = names(puzzle.out_index) if puzzle.out_index else "o"
    for row, (wrt, ys, ex) in enumerate(blocks):
        inp = puzzle.input(wrt)
        in_label = names(inp.index) if inp.index else "i"
        scale = scale_of(ys, ex)
        bad = wrong_mask(ys, ex)
        rows, cols = ex.shape
        aspect = "equal" if max(rows, cols) <= 4 * min(rows, cols) else "auto"
        ax_y, ax_e, ax_d = axes[row]
        shown = np.ma.masked_invalid(ys)
        image = ax_y.imshow(shown, cmap=values, vmin=-scale, vmax=scale, aspect=aspect)
        ax_e.imshow(ex, cmap=values, vmin=-scale, vmax=scale, aspect=aspect)
        with np.errstate(invalid="ignore", over="ignore"):
            diff = ys - ex
        wrong = np.ma.masked_where(~bad | ~np.isfinite(diff), diff)
        dscale = float(np.abs(wrong).max()) if wrong.count() else 1.0
        dimage = ax_d.imshow(wrong, cmap=diffs, vmin=-dscale, vmax=dscale, aspect=aspect)
        # Entries yours has as nan/inf: gold, over the grey of the right ones.
        nonfinite = np.ma.masked_where(np.isfinite(ys), np.ones_like(ys))
        if nonfinite.count():
            ax_d.imshow(nonfinite, cmap=_solid(NONFINITE), aspect=aspect)
        prefix = f"d/d{wrt}: " if len(puzzle.inputs) > 1 else ""
        n_bad = int(bad.sum())
        ax_y.set_title(f"{prefix}yours", color="#b2182b", fontweight="bold")
        ax_e.set_title(f"{prefix}expected", color="#1a7a1a", fontweight="bold")
        ax_d.set_title(
            f"{prefix}yours - expected ({n_bad} of {bad.size} wrong)"
            if n_bad
            else f"{prefix}all {bad.size} entries right",
            fontweight="bold",
        )
        for ax in (ax_y, ax_e, ax_d):
            _axes(ax, puzzle.out_shape, inp.shape, out_label, in_label)
        if rows * cols <= ANNOTATE:
            _annotate(ax_y, ys, scale)
            _annotate(ax_e, ex, scale)
            _annotate(ax_d, wrong.filled(np.nan), dscale)
        elif rows * cols <= MARK:
            _mark(ax_d, bad, wrong.filled(0.0), dscale)
            _annotate(ax_y, np.where(np.isfinite(ys), np.nan, ys), scale)  # nan, inf
        clipped = bool(np.any(np.abs(ys[np.isfinite(ys)]) > scale))
        bar = fig.colorbar(
            image,
            ax=[ax_y, ax_e],
            shrink=0.9,
            aspect=25,
            pad=0.02,
            extend="both" if clipped else "neither",
        )
        bar.ax.tick_params(labelsize=8)
        if n_bad:
            dbar = fig.colorbar(dimage, ax=ax_d, shrink=0.9, aspect=25, pad=0.02)
            dbar.ax.tick_params(labelsize=8)
    title = f"{result.id}: {first_line(result.message, 100)}"
    fig.suptitle(title, fontsize=13, fontweight="bold")
    return fig


def _solid(colour: str) -> Any:
    from matplotlib.colors import ListedColormap

    return ListedColormap([colour])


def _mark(ax: Any, bad: np.ndarray, diff: np.ndarray, scale: float) -> None:
    """A small × in each wrong cell, so a tiny difference still stands out from the grey."""
    strong = np.abs(diff) > 0.6 * scale
    for mask, colour in ((bad & strong, "white"), (bad & ~strong, "black")):
        rr, cc = np.nonzero(mask)
        ax.scatter(cc, rr, marker="x", s=14, c=colour, linewidths=1.0)


def _annotate(ax: Any, a: np.ndarray, scale: float) -> None:
    """Write each entry's value in its cell (small Jacobians only)."""
    for (r, c), v in np.ndenumerate(a):
        if np.isnan(v):
            continue
        light = np.isfinite(v) and abs(v) > 0.6 * scale
        text = f"{v:.3g}" if np.isfinite(v) else str(v)
        ax.text(
            c, r, text, ha="center", va="center", fontsize=8, color="white" if light else "black"
        )


def _ticks(n: int, shape: tuple[int, ...]) -> list[int]:
    """Every entry for small sizes, else a round step (for several axes: whole blocks)."""
    if n <= ALL_TICKS:
        return list(range(n))
    block = math.prod(shape[1:]) if len(shape) > 1 else 1
    step = next(
        block * k
        for k in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, n)
        if n / (block * k) <= ALL_TICKS
    )
    return list(range(0, n, step))


def _axes(
    ax: Any,
    out_shape: tuple[int, ...],
    in_shape: tuple[int, ...],
    out_label: str,
    in_label: str,
) -> None:
    rows, cols = math.prod(out_shape), math.prod(in_shape)
    ax.set_xticks(_ticks(cols, in_shape))
    ax.set_yticks(_ticks(rows, out_shape))
    ax.tick_params(labelsize=8, length=2)
    ax.xaxis.set_ticks_position("top")
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(f"{in_label} →", fontsize=9)
    ax.set_ylabel(f"{out_label} ↓", fontsize=9, rotation=0, ha="right", va="center")
    # Thin lines between the blocks of a multi-axis index (a new i in (i, j)).
    for shape, line in ((in_shape, ax.axvline), (out_shape, ax.axhline)):
        inner = math.prod(shape[1:])
        if len(shape) > 1 and inner > 1:
            for k in range(inner, math.prod(shape), inner):
                line(k - 0.5, color="#888888", linewidth=0.6)
