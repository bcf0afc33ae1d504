"""Reading a submission, a `.py` file or a notebook, into one `Submission`, running nothing.

The file is opened only when it is a regular file (never a FIFO, a device or a
symbolic link: `lstat` first, then `O_NOFOLLOW | O_NONBLOCK` and an `fstat` check on
what was opened) and read up to a size bound. Text is decoded as Python would (a UTF-8
BOM, as Windows editors write, and a `# coding:` line are honoured; CRLF and CR line
ends become LF, keeping every line number), then parsed once: a syntax error is one
message with the line, its text and a caret, not one per puzzle.

A notebook's answers depend on the set (its headers name puzzles by title, its `jac`
cells go by the set's order): `read_submission(path)` reads the cells and knows the
notebook's kind and declared set; `Submission.for_set(pset)` (or passing `pset`)
takes the answers out for that set.
"""

from __future__ import annotations

import codecs
import io
import json
import os
import stat
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .. import pyast
from ..errors import UsageError
from ..spec import PuzzleSet
from .commented import commented_answers
from .marker import declared_in
from .model import Cell, Kind, Note, Origin, Scope, Unusable
from .syntax import show_line, syntax_message

# answers fit in kilobytes; more is the wrong file. Parsed, a megabyte of Python can
# take 560 MB (`x = [{}, {}, ...]`), so this bounds the grading process's memory too;
# a notebook's code cells, together, have the same bound
MAX_FILE_BYTES = 1024 * 1024
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024  # a notebook carries its outputs (pictures)
# JSON objects and lists in a notebook: each costs ~60 bytes once read, so 50 MB of
# `{},` would take 1.3 GB; pictures are strings, and a notebook has a few per cell
MAX_NOTEBOOK_CONTAINERS = 1_000_000
SUFFIXES = {".py": "file", ".ipynb": "notebook"}


@dataclass(frozen=True, eq=False)
class Submission:
    """A submission as read, before anything runs.

    `source` is the code to run: the file's text (decoded, LF line ends), or a
    notebook's answers as a module (see `notebook`); the pipeline always runs this
    text, never the original file. `unusable` says why nothing can be graded (every
    selected puzzle gets its status, and the message is said once). For a notebook,
    `lines` maps a line of `source` to (cell, line in cell), `found` maps each puzzle
    answered to its cell, and `broken` holds the puzzles whose answer cell does not
    parse. `notes` are worded for the learner.

    `scopes` say how the answer process is to run `source`, so that a learner's own
    code stands as in the notebook (tests/test_submission.py `run_by_scopes` does it
    plainly):

    1. run the top-level statements scope by scope, in order, each statement on its
       own (`compile(ast.Module([stmt], []), ...)` keeps its line); before a scope with
       a puzzle, bind that puzzle's givens, as its notebook cell did. A statement that
       fails is kept aside with its error, never fatal;
    2. after a scope with a puzzle, keep a copy of the names: that puzzle's names;
    3. for each puzzle graded: its copy (else the final names), its givens over them,
       then again the failed statements of puzzle-less scopes (a `.py` file's
       `eye = 1.0 * (Os == Is)` fails while loading and runs here with the givens);
       every function the submission defined is rebound to these names, so a helper
       called by the answer sees the givens of the puzzle graded.

    An answer that then fails on a name whose statement failed says which and where:
    `names[name].where()` ("cell 7, line 11" or "line 12") and the kept error.
    """

    path: Path
    kind: Kind
    source: str = ""
    declared: str | None = None  # the set a `# adgrader: set=NAME` line names
    declared_at: str = ""  # where: `line 1`, or `cell 2` in a notebook
    unusable: Unusable | None = None
    set: str | None = None  # a notebook: the set its answers were taken for
    lines: Mapping[int, tuple[int, int]] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()
    found: Mapping[str, int] = field(default_factory=dict)
    broken: Mapping[str, Unusable] = field(default_factory=dict)
    scopes: tuple[Scope, ...] = ()
    names: Mapping[str, Origin] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()  # answer-like names no puzzle goes by (notebook)
    cells: tuple[Cell, ...] = ()  # a notebook's cells as read

    @property
    def is_notebook(self) -> bool:
        return self.kind != "file"

    @property
    def needs_set(self) -> bool:
        """A notebook whose answers are not yet taken out for a set (see `for_set`)."""
        return self.is_notebook and self.set is None and self.unusable is None

    @property
    def defined(self) -> tuple[str, ...]:
        """Every top-level name the learner defined, including a notebook's answer-like
        names that answer no puzzle (for "did you mean")."""
        return (*self.names, *self.ignored)

    def place(self, line: int | None) -> tuple[int | None, int | None]:
        """(cell, line in cell) of a line of `source` in a notebook; (None, line) else."""
        if line is None:
            return None, None
        if not self.is_notebook:
            return None, line
        return self.lines.get(line, (None, None))

    def for_set(self, pset: PuzzleSet) -> Submission:
        """The same submission with a notebook's answers taken out for `pset`."""
        if not self.is_notebook or self.unusable is not None or self.set == pset.id:
            return self
        from .notebook import extract

        code = sum(len(text) for kind, text in self.cells if kind == "code")
        if code > MAX_FILE_BYTES:
            return replace(
                self,
                set=pset.id,
                unusable=Unusable(
                    "error",
                    f"the code cells of {self.path.name} hold {code / 2**20:.1f} MB of "
                    f"text; answers take a few kilobytes\nIs it the right notebook?",
                ),
            )
        try:
            got = extract(self.cells, pset)
        except (RecursionError, MemoryError):
            return replace(self, set=pset.id, unusable=_too_deep(self.path.name))
        unusable = None
        if not got.found and not got.broken:
            unusable = Unusable(
                "missing",
                "no answers found in the notebook\n"
                + (
                    "Fill in the jac cells under the Problem headers."
                    if self.kind == "notebook-2024"
                    else "Fill in the dx lines of the fb_ cells."
                    if self.kind == "notebook-2022"
                    else "Define answers such as def jac_relu(x) in its code cells."
                ),
            )
        return replace(
            self,
            source=got.source,
            set=pset.id,
            unusable=unusable,
            lines=got.lines,
            notes=tuple(got.notes),
            found=got.found,
            broken=got.broken,
            scopes=tuple(got.scopes),
            names=got.names,
            ignored=tuple(got.ignored),
        )


def read_submission(path: str | os.PathLike[str], pset: PuzzleSet | None = None) -> Submission:
    """Read the submission at `path` (a `.py` file or a notebook) without running it.

    Raises UsageError when there is no such file or it is a folder (the command was
    mistyped); everything else that keeps it from being graded is `unusable`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    kind = SUFFIXES.get(suffix)
    try:
        data = read_bytes(path, notebook=kind == "notebook")
    except Unreadable as exc:
        return Submission(path, "notebook" if kind == "notebook" else "file", unusable=exc.unusable)
    if kind is None:
        return Submission(path, "file", unusable=_not_a_submission(path, data))
    if kind == "notebook":
        submission = _read_notebook(path, data)
        return submission.for_set(pset) if pset is not None else submission
    return _read_file(path, data)


# ---------------------------------------------------------------- the bytes, safely


class Unreadable(Exception):
    """The file cannot be read as a submission; carries what to tell the learner."""

    def __init__(self, unusable: Unusable) -> None:
        super().__init__(unusable.message)
        self.unusable = unusable


def read_bytes(path: Path, notebook: bool = False) -> bytes:
    """The file's bytes, read only if it is a regular file within the size bound.

    Raises UsageError for no such file or a folder, Unreadable for the rest (a link,
    a FIFO, a device, too large, not readable).
    """
    name = path.name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise UsageError(f"no such file: {str(path)!r}") from None
    except OSError as exc:
        raise Unreadable(_cannot(name, exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{str(path)!r} is a folder; give the submission file (.py or .ipynb)")
    if stat.S_ISLNK(info.st_mode):
        try:
            target = f": {os.readlink(path)}"
        except OSError:
            target = ""
        raise Unreadable(
            Unusable(
                "error",
                f"{name} is a symbolic link, which adgrader does not follow\n"
                f"Give the file it points to instead{target}",
            )
        )
    if not stat.S_ISREG(info.st_mode):
        raise Unreadable(_special(name, info.st_mode))
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    limit = MAX_NOTEBOOK_BYTES if notebook else MAX_FILE_BYTES
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise Unreadable(_cannot(name, exc)) from None
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):  # swapped since lstat
            raise Unreadable(_special(name, opened.st_mode))
        if opened.st_size > limit:
            raise Unreadable(_too_large(name, opened.st_size, limit, notebook))
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # grew while being read
                raise Unreadable(_too_large(name, total, limit, notebook))
    except OSError as exc:
        raise Unreadable(_cannot(name, exc)) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _cannot(name: str, exc: OSError) -> Unusable:
    return Unusable("error", f"cannot read {name}: {exc.strerror or exc}")


def _special(name: str, mode: int) -> Unusable:
    what = (
        "a named pipe (FIFO)"
        if stat.S_ISFIFO(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "not a regular file"
    )
    return Unusable("error", f"{name} is {what}, not a file\nGive the path of your answers file.")


def _too_large(name: str, size: int, limit: int, notebook: bool) -> Unusable:
    mb = f"{size / 2**20:.1f} MB"
    if notebook:
        return Unusable(
            "error",
            f"{name} is {mb}; a notebook may be {limit // 2**20} MB at most\n"
            "Clear its outputs (Edit > Clear all outputs), save it and try again.",
        )
    return Unusable(
        "error",
        f"{name} is {mb}; a submission may be {limit // 2**20} MB at most\n"
        "Is it the right file? Answers take a few kilobytes.",
    )


def _too_deep(name: str) -> Unusable:
    return Unusable(
        "error",
        f"{name} is nested too deeply for Python to read (a single expression of\n"
        "thousands of terms, or brackets inside brackets inside brackets...)\n"
        "Split it into several statements.",
    )


def _containers(data: bytes) -> int:
    """How many JSON objects and lists `data` could hold, at most (brackets in
    strings count too): a bound found without reading it."""
    return data.count(b"{") + data.count(b"[")


def _not_a_submission(path: Path, data: bytes) -> Unusable:
    hint = ""
    if _is_notebook_json(data):
        hint = f"\nIt holds a Jupyter notebook: rename it to {path.stem}.ipynb."
    elif path.suffix.lower() in ("", ".txt") and b"def " in data:
        hint = f"\nIf it holds your Python answers, rename it to {path.stem}.py."
    return Unusable(
        "error",
        f"{path.name} is not a Python file or a notebook\n"
        "A submission is a .py file defining answers such as def jac_relu(x),\n"
        f"or a Jupyter notebook (.ipynb).{hint}",
    )


def _is_notebook_json(data: bytes) -> bool:
    head = data.lstrip()[:1]
    if head != b"{" or _containers(data) > MAX_NOTEBOOK_CONTAINERS:
        return False
    try:
        book = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return False
    return isinstance(book, dict) and ("cells" in book or "worksheets" in book)


# ---------------------------------------------------------------- a .py file


def decode(data: bytes) -> str | Unusable:
    """The file's text as Python reads it: a BOM or a `# coding:` line honoured, LF
    line ends; or why it is not text Python can read (which byte, what to do)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return Unusable(
            "error",
            "the file is saved as UTF-16 text, which Python cannot run\n"
            "Save it as UTF-8 (in most editors: File > Save with Encoding > UTF-8).",
        )
    encoding = "utf-8"
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        if "unknown encoding" in str(exc) or "encoding problem" in str(exc):
            return Unusable(
                "error",
                f"its coding line names an encoding Python does not know ({exc})\n"
                "Remove the line and save the file as UTF-8.",
                line=1,
            )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        return _not_utf8(data, exc.start, encoding)
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _not_utf8(data: bytes, start: int, encoding: str) -> Unusable:
    line = data.count(b"\n", 0, start) + 1
    begin = data.rfind(b"\n", 0, start) + 1
    end = data.find(b"\n", start)
    row = data[begin : end if end >= 0 else len(data)].decode("utf-8", errors="replace")
    column = len(data[begin:start].decode("utf-8", errors="replace")) + 1
    name = "UTF-8" if encoding.replace("_", "-").lower().startswith("utf-8") else encoding
    return Unusable(
        "error",
        "\n".join(
            [
                f"line {line}, column {column}: byte {data[start]:#04x} is not {name} text",
                *show_line(row, line, column),
                "The file was saved in another encoding (Latin-1 or Windows-1252?).",
                "Save it as UTF-8 (in most editors: File > Save with Encoding > UTF-8).",
            ]
        ),
        line=line,
    )


def _read_file(path: Path, data: bytes) -> Submission:
    text = decode(data)
    if isinstance(text, Unusable):  # the marker line is still read, for the report's set
        marker = declared_in(data[:4096].decode("utf-8", errors="replace"))
        declared, declared_at = (marker[0], f"line {marker[1]}") if marker else (None, "")
        return Submission(path, "file", declared=declared, declared_at=declared_at, unusable=text)
    return from_text(path, text)


def from_text(path: str | os.PathLike[str], text: str) -> Submission:
    """A `.py` submission given as text (a model's reply, say); `path` names it."""
    path = Path(path)
    data = text.encode("utf-8", errors="replace")
    marker = declared_in(text)
    declared, declared_at = (marker[0], f"line {marker[1]}") if marker else (None, "")
    base = Submission(path, "file", text, declared, declared_at)
    if _is_notebook_json(data):
        return replace(
            base,
            unusable=Unusable(
                "error",
                f"{path.name} holds a Jupyter notebook, not Python code\n"
                f"Rename it to {path.stem}.ipynb.",
            ),
        )
    try:
        tree = pyast.parse(text, filename=path.name)
    except (SyntaxError, ValueError) as exc:
        return replace(
            base,
            unusable=Unusable(
                "error", syntax_message(exc, text), line=getattr(exc, "lineno", None)
            ),
        )
    except (RecursionError, MemoryError):  # `x = 1 + 1 + ...` of thousands of terms
        return replace(base, unusable=_too_deep(path.name))
    if not tree.body:
        return replace(
            base,
            unusable=Unusable(
                "missing",
                f"{path.name} has no code yet\n"
                "Write your answers in it (def jac_relu(x): ...), or start from the\n"
                "starter file that `adgrader init FILE` writes.",
            ),
        )
    from .assemble import bound_names

    names: dict[str, Origin] = {}
    for stmt in tree.body:
        for name in bound_names(stmt):
            names[name] = Origin(stmt.lineno)
    notes = tuple(
        Note(f"{name} is commented out, so it is not graded", line=line)
        for line, name in commented_answers(text)
        if name not in names
    )
    last = len(text.split("\n")) - (1 if text.endswith("\n") else 0)
    return replace(base, names=names, notes=notes, scopes=(Scope(1, max(last, 1), None),))


# ---------------------------------------------------------------- a notebook


def _read_notebook(path: Path, data: bytes) -> Submission:
    from .cells import declared_in_cells, notebook_kind, read_cells

    containers = _containers(data)
    if containers > MAX_NOTEBOOK_CONTAINERS:
        why = Unusable(
            "error",
            f"{path.name} holds {containers:,} JSON objects and lists, more than any "
            "notebook needs\nClear its outputs (Edit > Clear all outputs), save it and try again.",
        )
        return Submission(path, "notebook", unusable=why)
    try:
        cells = read_cells(data, path.name)
    except UsageError as exc:
        return Submission(path, "notebook", unusable=Unusable("error", str(exc)))
    except (RecursionError, MemoryError):
        return Submission(path, "notebook", unusable=_too_deep(path.name))
    declared, cell = declared_in_cells(cells)
    return Submission(
        path,
        notebook_kind(cells),
        declared=declared,
        declared_at=f"cell {cell}" if cell else "",
        cells=cells,
    )
