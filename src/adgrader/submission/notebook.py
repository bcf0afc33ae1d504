"""Answers taken out of an Autodiff Puzzles notebook, as a Python module to grade.

Nothing from the notebook is ever run: cells are read as JSON and parsed with `ast`.
The answers become a module holding, in notebook order, what the learner's cells
define: imports, functions, classes and assignments (never drawing or `check(...)`
calls, shell lines, magics or bare expressions, nor the puzzle's own `f` and givens,
which the grader binds itself). Each answer keeps the learner's text, renamed:

- the 2024 (JAX) notebook defines `jac` in every puzzle cell, under a Markdown header
  `Problem N: Title`; the title (never N: the notebook's numbering has gaps and
  repeats) names the puzzle of the first answer cell after it, else the set's order
  does (the next puzzle not named anywhere else), and `jac` becomes `jac_<id>`;
- the 2022 notebook defines `fb_<name>` functions, named after the puzzle (or one of
  its aliases) except two names it reuses: `fb_mean` (mean, then mean_reduce) and
  `fb_conv` (conv1d, then conv2d), told apart by header, signature, then order;
  each becomes `fb_<id>`;
- answers already named the adgrader way (`jac_relu`, `fb_relu`, and in the backward
  form `vjp_relu` or the puzzle's class, `class ReLU`) are kept as they are.

A code cell before the first `Problem` header that installs with `!pip` or imports
what only draws (the notebook's library cell) gives only its imports. A cell that
does not parse is left out: if it holds an answer, that puzzle is `broken` (one
message with the cell, line and a caret); the other puzzles are graded.

Where things came from: `lines` maps each module line to (cell, line in cell);
`scopes` says, for each run of module lines, the puzzle whose givens were in force
when its cell ran in the notebook (its own puzzle for an answer cell, else the last
answer cell's above it), so a helper such as `eye = 1.0 * (Os == Is)` in the ReLU
cell is computed with ReLU's `Os` and `Is`.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .. import pyast
from ..errors import UsageError
from ..spec import Puzzle, PuzzleSet
from .commented import commented_answers
from .model import Cell, Note, Origin, Scope, Unusable
from .syntax import syntax_message

# Imports the grader stands in for (or that only draw): never copied into the module.
SKIPPED_MODULES = frozenset(
    {"lib", "chalk", "IPython", "jaxtyping", "beartype", "torch", "matplotlib"}
)
# Names the 2022 notebook gave to two puzzles each, in notebook order.
SHARED_NAMES: dict[str, tuple[str, ...]] = {
    "fb_mean": ("mean", "mean_reduce"),
    "fb_conv": ("conv1d", "conv2d"),
}
# The notebooks' own helpers: an assignment from one of these only draws or checks.
NOTEBOOK_CALLS = frozenset(
    {"check", "in_out", "zip", "make_mat", "make_mat2", "draw", "display", "print"}
)
_HEADER = re.compile(
    r"^[ \t]{0,3}#{1,6}[ \t]*Problem\b[ \t]*([\d.]*)[ \t]*[:.\-\u2013\u2014]?[ \t]*(.*?)[ \t#]*$"
)
# Shell (`!pip`), magics (`%time`, `%%time`) and IPython's `x = !ls` / `x = %who`.
_MAGIC = re.compile(r"^[ \t]*(?:[!%]|[A-Za-z_][\w, \t]*=[ \t]*[!%])")
_TEXT_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(jac|jac_\w+|fb_\w+|vjp_\w+)[ \t]*\(")

NotebookKind = Literal["notebook-2024", "notebook-2022", "notebook"]


@dataclass
class Extracted:
    """A notebook's answers as one module, and where each of its lines came from.

    `lines` maps a line of `source` (1-based) to (cell number, line within the cell),
    both 1-based, cells counted over all cells; lines the extraction adds (the set
    marker, blank separators) have no entry. `found` maps puzzle id to the cell of
    its answer; `broken` holds the puzzles whose answer cell does not parse (they
    are not in `found`). `scopes` and `names` say where the module's statements and
    names come from (see the module's docstring). `ignored` lists answer-like names
    that answer no puzzle, as written in the notebook.
    """

    source: str
    lines: dict[int, tuple[int, int]] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    broken: dict[str, Unusable] = field(default_factory=dict)
    scopes: list[Scope] = field(default_factory=list)
    names: dict[str, Origin] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def is_notebook(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".ipynb"


# ---------------------------------------------------------------- reading cells


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


# ---------------------------------------------------------------- internal model


@dataclass
class _Chunk:
    """Text taken from one cell: (line within the cell, text) pairs."""

    cell: int
    rows: list[tuple[int, str]]


@dataclass
class _Answer:
    """One answer definition in a cell, and the puzzle it answers once resolved."""

    cell: int
    name: str  # as written in the notebook
    chunk: _Chunk
    renames: list[tuple[int, int, int]]  # (row index in chunk, start, end) of the name
    node: ast.stmt | None = None  # None: the cell does not parse
    puzzle: str | None = None
    header: str | None = None  # the header that named the puzzle, if any
    spent: _Header | None = None  # a header an earlier answer cell already took
    candidates: tuple[str, ...] = ()  # puzzles a reused 2022 name may stand for
    how: str = ""
    by_order: bool = False
    unknown: bool = False  # an `fb_` name no puzzle goes by: only a header can place it
    error: Unusable | None = None  # the cell's syntax error, for an answer in a broken cell


@dataclass
class _Header:
    cell: int
    text: str
    puzzle: str | None
    used: bool = False  # headers name the first answer cell after them only


@dataclass
class _Parsed:
    """One code cell: its text without magics, and its tree (None: does not parse)."""

    number: int
    text: str
    tree: ast.Module | None
    answers: list[_Answer]
    raw: str = ""  # with its shell and magic lines


def extract(notebook: Path | Sequence[Cell], pset: PuzzleSet) -> Extracted:
    """The answers of a notebook (its path, or its cells) to the puzzles of `pset`."""
    if isinstance(notebook, Path | str):
        from .read import read_bytes

        path = Path(notebook)
        cells = read_cells(read_bytes(path, notebook=True), path.name)
    else:
        cells = tuple(notebook)
    by_id = {p.id: p for p in pset.puzzles}
    titles = _title_index(pset)
    notes: list[Note] = []
    parsed: list[_Parsed] = []
    answers: list[_Answer] = []
    header: _Header | None = None
    first_header: int | None = None

    for number, (kind, text) in enumerate(cells, start=1):
        if kind == "markdown":
            found_header = _last_header(text)
            if found_header is not None:
                first_header = first_header or number
                title = _header_title(found_header)
                header = _Header(number, found_header, titles.get(_normal(title)))
            continue
        if kind != "code" or not text.strip():
            continue
        cleaned = _strip_magics(text)
        fresh = header if header is not None and not header.used else None
        try:
            tree = pyast.parse(cleaned)
        except (SyntaxError, ValueError) as exc:
            broken = _broken_answer(number, cleaned, pset, by_id, fresh)
            if broken is None:
                notes.append(
                    Note(
                        f"has a syntax error, so it is skipped:\n{_short_syntax(exc)}",
                        cell=number,
                        line=getattr(exc, "lineno", None),
                    )
                )
                parsed.append(_Parsed(number, cleaned, None, [], text))
                continue
            broken.error = Unusable(
                "error",
                syntax_message(exc, cleaned, cell=number),
                line=getattr(exc, "lineno", None),
                cell=number,
            )
            _spend(header, [broken])
            answers.append(broken)
            parsed.append(_Parsed(number, cleaned, None, [broken], text))
            continue
        rows = cleaned.split("\n")
        cell_answers = _own_cell(list(_answers_in(number, tree, rows, pset, by_id, fresh)))
        parsed.append(_Parsed(number, cleaned, tree, cell_answers, text))
        if not cell_answers:
            for line, name in commented_answers(cleaned)[:1]:
                notes.append(
                    Note(
                        f"{name} is commented out (line {line}), so it is not graded;\n"
                        "remove the # to have it graded",
                        cell=number,
                        line=line,
                    )
                )
            continue
        _spend(header, cell_answers)
        answers.extend(cell_answers)

    ignored = _resolve(answers, pset, notes)

    winners: dict[str, _Answer] = {}
    for answer in answers:
        if answer.puzzle is None:
            continue
        earlier = winners.get(answer.puzzle)
        if earlier is not None and earlier.cell != answer.cell:
            notes.append(
                Note(
                    f"answers {answer.puzzle} again (cell {earlier.cell} did too); "
                    "this later cell is graded",
                    cell=answer.cell,
                )
            )
        winners[answer.puzzle] = answer
    notes.sort(key=lambda n: n.cell or 0)
    return _assemble(pset, parsed, winners, notes, ignored, first_header)


def _own_cell(answers: list[_Answer]) -> list[_Answer]:
    """A cell's answers; an unknown `fb_` name beside an answer named for its puzzle
    is the learner's helper, not a second answer."""
    if not any(a.puzzle is not None and not a.header for a in answers):
        return answers
    return [a for a in answers if not a.unknown]


def _spend(header: _Header | None, answers: list[_Answer]) -> None:
    """Mark the header taken; answers after a taken header go by order."""
    if header is None:
        return
    if header.used:
        for answer in answers:
            answer.spent = header
    header.used = True


def _strip_magics(text: str) -> str:
    """Blank out shell (`!`) and magic (`%`) lines, keeping the line numbers."""
    return "\n".join("" if _MAGIC.match(row) else row for row in text.split("\n"))


def _quote(text: str, width: int = 36) -> str:
    """A header as quoted in a note, cut to fit a line."""
    return repr(text if len(text) <= width else text[: width - 1] + "…")


def _short_syntax(exc: Exception) -> str:
    if isinstance(exc, SyntaxError):
        return f"line {exc.lineno}: {exc.msg}"
    return str(exc)


# ---------------------------------------------------------------- headers and names


def _normal(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _title_index(pset: PuzzleSet) -> dict[str, str]:
    index: dict[str, str] = {}
    for puzzle in pset.puzzles:
        index.setdefault(_normal(puzzle.id), puzzle.id)
    for puzzle in pset.puzzles:  # titles win over ids
        index[_normal(puzzle.title)] = puzzle.id
    return index


def _last_header(text: str) -> str | None:
    """The last `Problem N: Title` header of a Markdown cell, as written."""
    found = None
    for row in text.split("\n"):
        match = _HEADER.match(row)
        if match:
            found = row.strip().strip("#").strip()
    return found


def _header_title(header: str) -> str:
    match = _HEADER.match("# " + header)
    return match.group(2) if match else header


def _answer_name(name: str, by_id: dict[str, Puzzle]) -> bool:
    """Whether a top-level name is an answer: `jac`, `jac_<id>`, `vjp_<id>`, any
    `fb_<name>`, or a puzzle's backward class."""
    if name == "jac" or name.startswith("fb_"):
        return True
    return _own_name(name, by_id) is not None


def _own_name(name: str, by_id: dict[str, Puzzle]) -> str | None:
    """The puzzle an answer named the adgrader way (`jac_<id>`, `vjp_<id>`, or the
    backward class) answers, else None."""
    if name[:4] in ("jac_", "vjp_") and name[4:] in by_id:
        return name[4:]
    return next((p.id for p in by_id.values() if p.backward_class == name), None)


def _candidates(name: str, pset: PuzzleSet, by_id: dict[str, Puzzle]) -> tuple[str, ...]:
    """The puzzles a 2022 `fb_` name can stand for, in set order (empty: unknown name)."""
    if name in SHARED_NAMES:
        shared = tuple(pid for pid in SHARED_NAMES[name] if pid in by_id)
        if shared:
            return shared
    if name[3:] in by_id:
        return (name[3:],)
    return tuple(p.id for p in pset.puzzles if name in p.aliases)


# ---------------------------------------------------------------- answers in a cell


def _answers_in(
    cell: int,
    tree: ast.Module,
    rows: list[str],
    pset: PuzzleSet,
    by_id: dict[str, Puzzle],
    header: _Header | None,
) -> Iterator[_Answer]:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and _own_name(stmt.name, by_id) is not None:
            answer = _Answer(cell, stmt.name, _Chunk(cell, statement_rows(rows, stmt)), [], stmt)
            _name_puzzle(answer, None, pset, by_id, header)
            yield answer
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            name = stmt.name
            if not _answer_name(name, by_id):
                continue
            chunk = _Chunk(cell, statement_rows(rows, stmt))
            def_row = next((k for k, (n, _) in enumerate(chunk.rows) if n == stmt.lineno), 0)
            text = chunk.rows[def_row][1]
            match = re.compile(rf"def\s+({re.escape(name)})\b").search(text)
            renames = [(def_row, match.start(1), match.end(1))] if match else []
            answer = _Answer(cell, name, chunk, renames, stmt)
            _name_puzzle(answer, stmt, pset, by_id, header)
            yield answer
        elif (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Lambda)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and _answer_name(stmt.targets[0].id, by_id)
        ):
            target = stmt.targets[0]
            chunk = _Chunk(cell, statement_rows(rows, stmt))
            match = re.compile(rf"\b({re.escape(target.id)})\b").search(chunk.rows[0][1])
            renames = [(0, match.start(1), match.end(1))] if match else []
            answer = _Answer(cell, target.id, chunk, renames, stmt)
            _name_puzzle(answer, None, pset, by_id, header)
            yield answer


def statement_rows(rows: list[str], stmt: ast.stmt) -> list[tuple[int, str]]:
    """The lines of a top-level statement (decorators included), as (line, text):
    whole lines, except another statement sharing its first or last line (`a = 1;
    b = 2`) is cut off; a trailing comment stays."""
    decorators = getattr(stmt, "decorator_list", [])
    first = min([stmt.lineno, *(d.lineno for d in decorators)])
    last = stmt.end_lineno or stmt.lineno
    taken = [(n, rows[n - 1]) for n in range(first, last + 1)]
    if not taken:
        return taken
    end = stmt.end_col_offset
    if end is not None:
        number, text = taken[-1]
        raw = text.encode("utf-8")
        rest = raw[end:].decode("utf-8", errors="replace")
        if rest.strip() and not rest.strip().startswith("#"):
            taken[-1] = (number, raw[:end].decode("utf-8", errors="replace"))
    start = stmt.col_offset if not decorators else min(d.col_offset for d in decorators) - 1
    if start > 0 and first == stmt.lineno:
        number, text = taken[0]
        raw = text.encode("utf-8")
        taken[0] = (number, raw[start:].decode("utf-8", errors="replace"))
    return taken


def _name_puzzle(
    answer: _Answer,
    node: ast.FunctionDef | ast.AsyncFunctionDef | None,
    pset: PuzzleSet,
    by_id: dict[str, Puzzle],
    header: _Header | None,
) -> None:
    """Settle the puzzle now when the name or header says it; else leave it to order."""
    name = answer.name
    header_puzzle = header.puzzle if header else None
    own = _own_name(name, by_id)
    if own is not None:
        answer.puzzle, answer.how = own, f"{name} is {own}, by its name"
        return
    if name == "jac" or not _candidates(name, pset, by_id):
        answer.unknown = name != "jac"
        if header is not None and header_puzzle is not None:
            answer.puzzle, answer.header = header_puzzle, header.text
            answer.how = f"{name} is {header_puzzle}, by the header {_quote(header.text)}"
        else:
            answer.header = header.text if header else None
        return
    candidates = _candidates(name, pset, by_id)
    if len(candidates) == 1:
        answer.puzzle = candidates[0]
        answer.how = f"{name} is {candidates[0]}, by its name"
        return
    if header_puzzle in candidates and header is not None:
        answer.puzzle, answer.header = header_puzzle, header.text
        answer.how = f"{name} is {header_puzzle}, by the header {_quote(header.text)}"
        return
    if node is not None:
        fitting = [pid for pid in candidates if _fits(node, by_id[pid])]
        if len(fitting) == 1:
            answer.puzzle = fitting[0]
            answer.how = f"{name} is {fitting[0]}, by its name and arguments"
            return
    answer.candidates = candidates  # the order decides


def _fits(node: ast.FunctionDef | ast.AsyncFunctionDef, puzzle: Puzzle) -> bool:
    """Whether `fb_...(x[, y])` and its `dx` lambda take as many arguments as the puzzle."""
    args = node.args
    if len(args.posonlyargs) + len(args.args) != len(puzzle.inputs):
        return False
    for inner in ast.walk(node):
        if (
            isinstance(inner, ast.Assign)
            and isinstance(inner.value, ast.Lambda)
            and any(isinstance(t, ast.Name) and t.id == "dx" for t in inner.targets)
        ):
            lam = inner.value.args
            arity = len(lam.posonlyargs) + len(lam.args)
            wanted = len(puzzle.inputs[0].index) + len(puzzle.out_index)
            if arity != wanted:
                return False
    return True


def _broken_answer(
    cell: int,
    text: str,
    pset: PuzzleSet,
    by_id: dict[str, Puzzle],
    header: _Header | None,
) -> _Answer | None:
    """A cell that does not parse but defines an answer (found by its text)."""
    rows = text.split("\n")
    chunk = _Chunk(cell, [(n, row) for n, row in enumerate(rows, start=1)])
    for number, row in enumerate(rows):
        match = _TEXT_DEF.match(row)
        if match and _answer_name(match.group(1), by_id):
            answer = _Answer(cell, match.group(1), chunk, [(number, *match.span(1))])
            _name_puzzle(answer, None, pset, by_id, header)
            return answer
    return None


# ---------------------------------------------------------------- order


def _resolve(answers: list[_Answer], pset: PuzzleSet, notes: list[Note]) -> list[str]:
    """Give the answers not named by header or name the next puzzle of the set in order;
    returns the answer names that answer no puzzle, as written.

    Puzzles named anywhere in the notebook are not handed out by order, so a renamed
    header does not take the puzzle of a cell further down.
    """
    order = [p.id for p in pset.puzzles]
    claimed = {a.puzzle for a in answers if a.puzzle is not None}
    taken: set[str] = set()
    ignored: list[str] = []
    previous = -1
    for answer in answers:
        if answer.puzzle is None and answer.candidates:
            free = [pid for pid in answer.candidates if pid not in taken and pid not in claimed]
            answer.puzzle = free[0] if free else answer.candidates[-1]
            answer.how = (
                f"{answer.name} is {answer.puzzle}, by its name and the notebook's order\n"
                f"({' then '.join(answer.candidates)})"
            )
        elif answer.puzzle is None and answer.name != "jac":
            ignored.append(answer.name)
            notes.append(
                Note(
                    f"{answer.name} is not graded: no puzzle of set {pset.id} has that "
                    "name,\nand no Problem header above it names one",
                    cell=answer.cell,
                )
            )
            continue
        elif answer.puzzle is None:
            pick = next(
                (pid for pid in order[previous + 1 :] if pid not in taken and pid not in claimed),
                None,
            )
            if answer.header:
                said = f"its header {_quote(answer.header)} names no puzzle of set {pset.id}"
            elif answer.spent:
                said = f"it has no Problem header since {_quote(answer.spent.text)}"
            else:
                said = "no Problem header is above it"
            example = pset.get(pick).title if pick else pset.puzzles[0].title
            advice = f"\nA header such as '## Problem: {example}' above it names its puzzle."
            if pick is None and answer.spent is not None and answer.spent.puzzle is not None:
                answer.puzzle = answer.spent.puzzle
                answer.how = (
                    f"jac is graded as {answer.puzzle} again, as no puzzle is left:\n{said}{advice}"
                )
            elif pick is None:
                notes.append(
                    Note(
                        f"jac is not graded, as no puzzle is left for it:\n{said}{advice}",
                        cell=answer.cell,
                    )
                )
                continue
            else:
                answer.puzzle = pick
                answer.how = f"jac is graded as {pick}, the next puzzle in order:\n{said}{advice}"
            answer.by_order = True
        notes.append(
            Note(answer.how, cell=answer.cell, level="warn" if answer.by_order else "info")
        )
        assert answer.puzzle is not None
        taken.add(answer.puzzle)
        previous = order.index(answer.puzzle)
    return ignored


# ---------------------------------------------------------------- the module


def _renamed(answer: _Answer) -> list[tuple[int, str]]:
    assert answer.puzzle is not None
    rows = list(answer.chunk.rows)
    for index, start, end in answer.renames:
        old = rows[index][1][start:end]
        if old == "jac":
            new = f"jac_{answer.puzzle}"
        elif old.startswith("fb_"):
            new = f"fb_{answer.puzzle}"
        else:
            new = old
        number, text = rows[index]
        rows[index] = (number, text[:start] + new + text[end:])
    return rows


def given_names(pset: PuzzleSet) -> frozenset[str]:
    """Names the grader binds for every answer itself: `f`, the dims and the givens."""
    names = {"f"}
    for puzzle in pset.puzzles:
        names.update(puzzle.dims)
        names.update(puzzle.givens)
    return frozenset(names)


def _kept(stmt: ast.stmt, givens: frozenset[str]) -> bool:
    """Whether a top-level statement of a learner's cell goes into the module: imports
    (but not of what only draws), definitions and assignments (but not of `f`, the
    givens, or from the notebook's drawing and checking calls)."""
    if isinstance(stmt, ast.Import):
        return any(a.name.split(".")[0] not in SKIPPED_MODULES for a in stmt.names)
    if isinstance(stmt, ast.ImportFrom):
        return not stmt.level and (stmt.module or "").split(".")[0] not in SKIPPED_MODULES
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return stmt.name != "f"
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
        if isinstance(stmt, ast.AnnAssign) and stmt.value is None:
            return False
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
        if names and names <= givens:
            return False
        value = stmt.value
        return value is None or not any(
            isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in NOTEBOOK_CALLS
            for n in ast.walk(value)
        )
    return False


def _without_skipped(stmt: ast.stmt) -> ast.stmt:
    """An `import` statement without the modules the grader skips."""
    if isinstance(stmt, ast.Import):
        kept = [a for a in stmt.names if a.name.split(".")[0] not in SKIPPED_MODULES]
        return ast.Import(names=kept)
    return stmt


def _import_rows(stmt: ast.stmt, rows: list[str]) -> list[tuple[int, str]]:
    """An import without the modules the grader skips (`import jax.numpy as np, torch`)."""
    if isinstance(stmt, ast.Import):
        kept = [a for a in stmt.names if a.name.split(".")[0] not in SKIPPED_MODULES]
        if len(kept) < len(stmt.names):
            return [(stmt.lineno, ast.unparse(ast.Import(names=kept)))]
    return statement_rows(rows, stmt)


def bound_names(stmt: ast.stmt) -> list[str]:
    """The top-level names a statement binds."""
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [stmt.name]
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names if a.name != "*"]
    if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        return [
            n.id
            for t in targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        ]
    return []


def _assemble(
    pset: PuzzleSet,
    parsed: list[_Parsed],
    winners: dict[str, _Answer],
    notes: list[Note],
    ignored: list[str],
    first_header: int | None,
) -> Extracted:
    """The module: the kept statements of every cell that parses, in notebook order."""
    out: list[str] = [f"# adgrader: set={pset.id}"]
    lines: dict[int, tuple[int, int]] = {}
    scopes: list[Scope] = []
    names: dict[str, Origin] = {}
    givens = given_names(pset)
    winning = {id(a): pid for pid, a in winners.items()}
    found: dict[str, int] = {}
    broken: dict[str, Unusable] = {}
    for pid, answer in winners.items():
        if answer.error is not None:
            broken[pid] = answer.error
        else:
            found[pid] = answer.cell
    seen_imports: set[str] = set()
    scope: str | None = None

    for cell in parsed:
        if cell.tree is None:
            continue
        before = first_header is None or cell.number < first_header
        library = before and not cell.answers and _library(cell)
        mine = [winning[id(a)] for a in cell.answers if id(a) in winning]
        if mine:
            scope = mine[0]
        rows = cell.text.split("\n")
        by_node = {id(a.node): a for a in cell.answers}
        first_line = len(out) + 1
        emitted: list[tuple[int, str]] = []
        for stmt in cell.tree.body:
            found_answer = by_node.get(id(stmt))
            if found_answer is not None:
                if id(found_answer) not in winning:
                    continue
                taken = _renamed(found_answer)
                bound = [_module_name(found_answer)]
            elif isinstance(stmt, ast.Import | ast.ImportFrom):
                key = ast.dump(stmt)
                if key in seen_imports or not _kept(stmt, givens):
                    continue
                seen_imports.add(key)
                taken = _import_rows(stmt, rows)
                bound = bound_names(_without_skipped(stmt))
            elif not library and _kept(stmt, givens):
                taken = statement_rows(rows, stmt)
                bound = bound_names(stmt)
            else:
                continue
            if not taken:
                continue
            if not emitted:
                out.append("")
                first_line = len(out) + 1
            for number, text in taken:
                out.append(text)
                lines[len(out)] = (cell.number, number)
            emitted.extend(taken)
            for name in bound:
                names[name] = Origin(len(out) - len(taken) + 1, scope, cell.number, taken[0][0])
        if emitted:
            scopes.append(Scope(first_line, len(out), scope, cell.number))
    return Extracted("\n".join(out) + "\n", lines, found, notes, broken, scopes, names, ignored)


def _library(cell: _Parsed) -> bool:
    """Whether a cell before the first puzzle is the notebook's library cell (it
    installs with `!pip`, or imports what only draws): only its imports are taken."""
    if cell.tree is None:
        return True
    shell = any(row.lstrip().startswith("!") for row in cell.raw.split("\n"))
    drawing = any(
        isinstance(stmt, ast.Import | ast.ImportFrom) and not _kept(stmt, frozenset())
        for stmt in cell.tree.body
    )
    return shell or drawing


def _module_name(answer: _Answer) -> str:
    """The name an answer has in the module, once renamed."""
    if answer.name == "jac":
        return f"jac_{answer.puzzle}"
    if answer.name.startswith("fb_"):
        return f"fb_{answer.puzzle}"
    return answer.name
