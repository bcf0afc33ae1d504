"""Pictures of failing Jacobians: terminal heatmaps (rich) and PNGs (matplotlib)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import adgrader
from adgrader.errors import UsageError
from adgrader.report.heatmap import heatmap, render_heatmaps
from adgrader.result import PuzzleResult, Report
from adgrader.spec import PuzzleSet

from .conftest import SUBMISSIONS, Grade

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def pset() -> PuzzleSet:
    return adgrader.load_set("jax")


@pytest.fixture(scope="module")
def mistakes(grade: Grade) -> Report:
    return grade(SUBMISSIONS / "jax_mistakes.py", "jax")


@pytest.fixture
def small_pngs(monkeypatch: pytest.MonkeyPatch) -> None:
    """PNGs at a low resolution: the tests are about which pictures are written."""
    from adgrader.report import png

    monkeypatch.setattr(png, "DPI", 20)


def console(width: int = 80) -> Console:
    return Console(width=width, record=True, force_terminal=True, color_system="truecolor")


def shown(renderable: object, width: int = 80) -> str:
    c = console(width)
    c.print(renderable)
    return c.export_text()


def test_heatmap_10x10(pset: PuzzleSet) -> None:
    cumsum = pset.get("cumsum")
    expected = np.tril(np.ones((10, 10)))
    yours = np.triu(np.ones((10, 10)))
    picture = heatmap(cumsum, "x", yours, expected)
    assert picture is not None
    text = shown(picture)
    assert "yours" in text and "expected" in text and "wrong entries" in text
    assert "i →" in text and "o↓" in text
    assert "wrong (90 of 100)" in text
    assert text.count("✗") == 90 + 1  # the cells, and the legend
    assert max(len(line) for line in text.splitlines()) <= 80
    # Side by side: the three titles on one line.
    assert any("yours" in line and "wrong entries" in line for line in text.splitlines())


def test_heatmap_4x4x4x4_labels_and_stacking(pset: PuzzleSet) -> None:
    transpose = pset.get("transpose")
    expected = np.einsum("pi,oj->opij", np.eye(4), np.eye(4))
    yours = expected.copy()
    yours[1, 2, 1, 2] = -1.0
    yours[0, 0, 0, 0] = np.nan
    picture = heatmap(transpose, "x", yours, expected)
    assert picture is not None
    text = shown(picture)
    assert "(i, j) →" in text and "(o, p)↓" in text
    assert "rows (o, p) in 4×4, columns (i, j) in 4×4" in text
    assert "wrong (2 of 256)" in text
    assert " 12 " in text  # ticks where the first axis steps: 0 4 8 12
    assert max(len(line) for line in text.splitlines()) <= 80
    # Narrower: the panels stack, still within the width.
    narrow = shown(heatmap(transpose, "x", yours, expected, max_width=50), width=50)
    lines = narrow.splitlines()
    assert not any("yours" in line and "expected" in line for line in lines)
    assert max(len(line) for line in lines) <= 50


def test_heatmap_too_large_is_none(pset: PuzzleSet) -> None:
    cumsum = pset.get("cumsum")
    wide = np.zeros((10, 100))
    assert heatmap(cumsum, "x", wide, wide) is None
    tall = np.zeros((61, 10))
    assert heatmap(cumsum, "x", tall, tall) is None
    assert heatmap(cumsum, "x", np.zeros((10, 10)), np.zeros((10, 10)), max_width=12) is None


def test_render_heatmaps(mistakes: Report, pset: PuzzleSet) -> None:
    emean = next(p for p in mistakes.puzzles if p.id == "emean")
    c = console()
    render_heatmaps(emean, pset.get("emean"), c)
    text = c.export_text()
    assert "emean · d/dx: all 100 entries right" in text
    assert "emean · d/dy: 10 × 10" in text and "j →" in text
    passed = next(p for p in mistakes.puzzles if p.passed)
    c = console()
    render_heatmaps(passed, pset.get(passed.id), c)
    assert c.export_text() == ""


@pytest.mark.usefixtures("small_pngs")
def test_write_pngs(mistakes: Report, pset: PuzzleSet, tmp_path: Path) -> None:
    from adgrader.report.png import write_pngs

    # a failed puzzle of one input and one of two, and two that passed, of the real report
    keep = {"id", "cos", "emean", "mul"}
    report = dataclasses.replace(mistakes, puzzles=[p for p in mistakes.puzzles if p.id in keep])
    assert [(p.id, p.status) for p in report.puzzles] == [
        ("id", "passed"), ("cos", "failed"), ("emean", "failed"), ("mul", "passed")
    ]  # fmt: skip
    paths = write_pngs(report, pset, tmp_path / "pngs")
    assert [p.name for p in paths] == ["cos.png", "emean.png"]
    assert sorted(f.name for f in (tmp_path / "pngs").iterdir()) == ["cos.png", "emean.png"]
    for path in paths:
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 1000, path.name


def test_write_pngs_nothing_failed(pset: PuzzleSet, tmp_path: Path) -> None:
    from adgrader.report.png import write_pngs

    report = Report("s.py", "jax", 0, 3, [PuzzleResult("id", "Identity", "passed", score=1.0)])
    assert write_pngs(report, pset, tmp_path) == []
    assert list(tmp_path.iterdir()) == []


@pytest.mark.usefixtures("small_pngs")
def test_write_pngs_multi_axis(pset: PuzzleSet, tmp_path: Path) -> None:
    from adgrader.report.png import write_pngs

    expected = np.einsum("pi,oj->opij", np.eye(4), np.eye(4))
    yours = expected.copy()
    yours[0, 0, 0, 0] = np.inf
    result = PuzzleResult(
        "transpose", "Transpose", "failed", message="1 of 256 entries wrong",
        arrays={"x": (yours, expected)},
    )  # fmt: skip
    (path,) = write_pngs(Report("s.py", "jax", 0, 3, [result]), pset, tmp_path)
    assert path.name == "transpose.png" and path.read_bytes().startswith(PNG_SIGNATURE)


def test_write_pngs_without_matplotlib(
    mistakes: Report, pset: PuzzleSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from adgrader.report.png import write_pngs

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(
        UsageError, match=r"pictures need matplotlib: pip install 'adgrader\[plot\]'"
    ):
        write_pngs(mistakes, pset, tmp_path)
