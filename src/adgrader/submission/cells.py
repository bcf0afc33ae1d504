"""The cells of a Jupyter notebook, read as data: never run.

A notebook of format 4 (every Jupyter and Colab since 2015) is read as plain JSON;
older ones are converted by `nbformat`, imported only then. What the cells hold
becomes a module in `notebook`.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from ..errors import UsageError
from .model import Cell

NotebookKind = Literal["notebook-2024", "notebook-2022", "notebook"]


def is_notebook(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".ipynb"


def read_cells(data: bytes, name: str) -> tuple[Cell, ...]:
    """The cells of a notebook file's bytes: (kind, text) each, in order.

    Notebooks of format 4 (every Jupyter and Colab since 2015) are read as plain JSON;
    older ones are converted by `nbformat`, imported only then.
    """
    try:
        book = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{name} is not a Jupyter notebook: byte {exc.start} is not UTF-8 text"
        ) from None
    except json.JSONDecodeError as exc:
        hint = ""
        if _looks_like_python(data):
            hint = "\nIt holds Python code: rename it to .py."
        else:
            hint = "\nDownload it again from Jupyter or Colab (File > Download > .ipynb)."
        raise UsageError(
            f"{name} is not a readable Jupyter notebook (line {exc.lineno}, column "
            f"{exc.colno}: {exc.msg}).{hint}"
        ) from None
    if not isinstance(book, dict) or not isinstance(
        book.get("cells", book.get("worksheets")), list
    ):
        raise UsageError(f"{name} is not a Jupyter notebook: it has no cells")
    if book.get("nbformat", 4) != 4 or "cells" not in book:
        book = _upgraded(data, name)
    cells: list[Cell] = []
    for cell in book.get("cells", []):
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        cells.append((str(cell.get("cell_type", "")), str(source).replace("\r\n", "\n")))
    return tuple(cells)


def _upgraded(data: bytes, name: str) -> dict[str, object]:
    import nbformat

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = nbformat.reads(data.decode("utf-8-sig"), as_version=4)  # type: ignore[no-untyped-call]
    except Exception as exc:  # nbformat raises JSON, validation and version errors
        raise UsageError(f"{name} is not a readable Jupyter notebook: {exc}") from None
    return dict(book)


def _looks_like_python(data: bytes) -> bool:
    head = data[:2000].decode("utf-8", errors="replace")
    return bool(re.search(r"^(def|class|import|from)\s", head, re.M))


def notebook_kind(cells: Sequence[Cell]) -> NotebookKind:
    """Which notebook this is: 2024 (`def jac` cells), 2022 (`def fb_...`), or neither."""
    jac = fb = 0
    for kind, text in cells:
        if kind == "code":
            jac += len(re.findall(r"^def[ \t]+jac[ \t]*\(", text, re.M))
            fb += len(re.findall(r"^def[ \t]+fb_\w+[ \t]*\(", text, re.M))
    if jac == fb == 0:
        return "notebook"
    return "notebook-2024" if jac >= fb else "notebook-2022"


def declared_in_cells(cells: Sequence[Cell]) -> tuple[str | None, int | None]:
    """The set a code cell names with `# adgrader: set=NAME`, and that cell's number."""
    from .marker import declared_in

    for number, (kind, text) in enumerate(cells, start=1):
        if kind == "code":
            found = declared_in(text)
            if found is not None:
                return found[0], number
    return None, None
