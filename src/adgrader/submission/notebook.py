"""Answers taken out of an Autodiff Puzzles notebook, as a Python module to grade.

Nothing from the notebook is ever run: cells are read with `nbformat` and parsed with
`ast`. The answers become a synthesized module holding the answer cells' imports and
one function per puzzle found, each with the learner's text unchanged except its name:

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

`Extracted.lines` maps each line of the module back to its cell, so a report can say
"cell 7, line 3".
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from ..errors import UsageError
from ..spec import Puzzle, PuzzleSet

# Imports the grader stands in for (or that only draw): never copied into the module.
SKIPPED_MODULES = frozenset(
    {"lib", "chalk", "IPython", "jaxtyping", "beartype", "torch", "matplotlib"}
)
# Names the 2022 notebook gave to two puzzles each, in notebook order.
SHARED_NAMES: dict[str, tuple[str, ...]] = {
    "fb_mean": ("mean", "mean_reduce"),
    "fb_conv": ("conv1d", "conv2d"),
}
_HEADER = re.compile(
    r"^[ \t]{0,3}#{1,6}[ \t]*Problem\b[ \t]*(\d*)[ \t]*[:.\-\u2013\u2014]?[ \t]*(.*?)[ \t#]*$"
)
_MAGIC = re.compile(r"^[ \t]*[!%]")
_TEXT_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(jac|jac_\w+|fb_\w+)[ \t]*\(")


@dataclass
class Extracted:
    """A notebook's answers as one module, and where each of its lines came from.

    `lines` maps a line of `source` (1-based) to (cell number, line within the cell),
    both 1-based, cells counted over all cells; lines the extraction adds (the set
    marker, blank separators) have no entry. `found` maps puzzle id to cell number.
    """

    source: str
    lines: dict[int, tuple[int, int]] = field(default_factory=dict)
    found: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def is_notebook(path: str | Path) -> bool:
    return Path(path).suffix.lower() == ".ipynb"


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
    puzzle: str | None = None
    header: str | None = None  # the header that named the puzzle, if any
    spent: _Header | None = None  # a header an earlier answer cell already took
    candidates: tuple[str, ...] = ()  # puzzles a reused 2022 name may stand for
    how: str = ""


@dataclass
class _Header:
    cell: int
    text: str
    puzzle: str | None
    used: bool = False  # headers name the first answer cell after them only


def extract(path: Path, pset: PuzzleSet) -> Extracted:
    """The answers of the notebook at `path` to the puzzles of `pset`, as a module."""
    cells = _read_cells(path)
    by_id = {p.id: p for p in pset.puzzles}
    titles = _title_index(pset)
    notes: list[str] = []
    imports: list[tuple[str, int, list[tuple[int, str]]]] = []  # (key, cell, rows)
    answers: list[_Answer] = []
    header: _Header | None = None

    for number, (kind, text) in enumerate(cells, start=1):
        if kind == "markdown":
            found_header = _last_header(text)
            if found_header is not None:
                title = _header_title(found_header)
                header = _Header(number, found_header, titles.get(_normal(title)))
            continue
        if kind != "code" or not text.strip():
            continue
        cleaned = _strip_magics(text)
        fresh = header if header is not None and not header.used else None
        try:
            tree = ast.parse(cleaned)
        except (SyntaxError, ValueError) as exc:
            broken = _broken_answer(number, cleaned, pset, by_id, fresh)
            if broken is None:
                notes.append(f"cell {number}: does not parse ({_syntax(exc)}); ignored")
                continue
            notes.append(
                f"cell {number}: does not parse ({_syntax(exc)}); its whole text is "
                "included so the grader reports the error"
            )
            _spend(header, [broken])
            answers.append(broken)
            continue
        rows = cleaned.split("\n")
        cell_answers = list(_answers_in(number, tree, rows, pset, by_id, fresh))
        if not cell_answers:
            continue
        _spend(header, cell_answers)
        answers.extend(cell_answers)
        imports.extend(_imports_in(number, tree, rows))
        extra = [
            stmt.name
            for stmt in tree.body
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            and stmt.name != "f"
            and all(stmt.name != a.name for a in cell_answers)
        ]
        if extra:
            notes.append(
                f"cell {number}: {', '.join(extra)} not included: only the answer "
                "functions (and imports) of a cell are graded"
            )

    _resolve(answers, pset, notes)

    winners: dict[str, _Answer] = {}
    for answer in answers:
        if answer.puzzle is None:
            continue
        earlier = winners.get(answer.puzzle)
        if earlier is not None:
            notes.append(
                f"cell {answer.cell}: answers puzzle {answer.puzzle} again (also in cell "
                f"{earlier.cell}); keeping the later one, cell {answer.cell}"
            )
        winners[answer.puzzle] = answer

    missing = [p.id for p in pset.puzzles if p.id not in winners]
    if missing:
        notes.append(f"no answer found for: {', '.join(missing)}")
    return _assemble(pset, imports, winners, notes)


def _spend(header: _Header | None, answers: list[_Answer]) -> None:
    """Mark the header taken; answers after a taken header go by order."""
    if header is None:
        return
    if header.used:
        for answer in answers:
            answer.spent = header
    header.used = True


# ---------------------------------------------------------------- reading cells


def _read_cells(path: Path) -> list[tuple[str, str]]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            book = nbformat.read(str(path), as_version=4)  # type: ignore[no-untyped-call]
    except OSError as exc:
        raise UsageError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    except Exception as exc:  # nbformat raises JSON, validation and version errors
        raise UsageError(f"{str(path)!r} is not a readable Jupyter notebook: {exc}") from None
    cells: list[tuple[str, str]] = []
    for cell in book.get("cells", []):
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append((str(cell.get("cell_type", "")), str(source)))
    return cells


def _strip_magics(text: str) -> str:
    """Blank out shell (`!`) and magic (`%`) lines, keeping the line numbers."""
    return "\n".join("" if _MAGIC.match(row) else row for row in text.split("\n"))


def _syntax(exc: Exception) -> str:
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
            first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
            answer = _Answer(cell, stmt.name, _Chunk(cell, _take(rows, first, stmt)), [])
            _name_puzzle(answer, None, pset, by_id, header)
            yield answer
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = stmt.name
            if not _answer_name(name, by_id):
                continue
            first = min([stmt.lineno, *(d.lineno for d in stmt.decorator_list)])
            chunk = _Chunk(cell, _take(rows, first, stmt))
            def_row = stmt.lineno - first
            match = re.compile(rf"def\s+({re.escape(name)})\b").search(
                chunk.rows[def_row][1], stmt.col_offset
            )
            renames = [(def_row, match.start(1), match.end(1))] if match else []
            answer = _Answer(cell, name, chunk, renames)
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
            chunk = _Chunk(cell, _take(rows, stmt.lineno, stmt))
            start = target.col_offset
            answer = _Answer(
                cell, target.id, chunk, [(0, start, start + len(target.id))] if start >= 0 else []
            )
            _name_puzzle(answer, None, pset, by_id, header)
            yield answer


def _take(rows: list[str], first: int, stmt: ast.stmt) -> list[tuple[int, str]]:
    """Whole lines first..end of `stmt`; on the last one, nothing after it but a comment."""
    last = stmt.end_lineno or stmt.lineno
    taken = [(n, rows[n - 1]) for n in range(first, last + 1)]
    end = stmt.end_col_offset
    if end is not None and taken:
        number, text = taken[-1]
        rest = text.encode("utf-8")[end:].decode("utf-8", errors="replace")
        if rest.strip() and not rest.strip().startswith("#"):
            taken[-1] = (number, text.encode("utf-8")[:end].decode("utf-8", errors="replace"))
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
        answer.puzzle, answer.how = own, f"{name} matched puzzle {own} by its name"
        return
    if name == "jac" or not _candidates(name, pset, by_id):
        if header is not None and header_puzzle is not None:
            answer.puzzle, answer.header = header_puzzle, header.text
            answer.how = f"problem header {header.text!r} matched puzzle {header_puzzle}"
        else:
            answer.header = header.text if header else None
        return
    candidates = _candidates(name, pset, by_id)
    if len(candidates) == 1:
        answer.puzzle = candidates[0]
        answer.how = f"{name} matched puzzle {candidates[0]} by its name"
        return
    if header_puzzle in candidates and header is not None:
        answer.puzzle, answer.header = header_puzzle, header.text
        answer.how = f"{name} with problem header {header.text!r} matched puzzle {header_puzzle}"
        return
    if node is not None:
        fitting = [pid for pid in candidates if _fits(node, by_id[pid])]
        if len(fitting) == 1:
            answer.puzzle = fitting[0]
            answer.how = f"{name} matched puzzle {fitting[0]} by its name and arguments"
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
    """A cell that does not parse but defines an answer: all of it, renamed by text."""
    rows = text.split("\n")
    while rows and not rows[-1].strip():
        rows.pop()
    chunk = _Chunk(cell, [(n, row) for n, row in enumerate(rows, start=1)])
    for number, row in enumerate(rows):
        match = _TEXT_DEF.match(row)
        if match and _answer_name(match.group(1), by_id):
            answer = _Answer(cell, match.group(1), chunk, [(number, *match.span(1))])
            _name_puzzle(answer, None, pset, by_id, header)
            return answer
    return None


# ---------------------------------------------------------------- imports


def _imports_in(
    cell: int, tree: ast.Module, rows: list[str]
) -> Iterator[tuple[str, int, list[tuple[int, str]]]]:
    for stmt in tree.body:
        if isinstance(stmt, ast.Import):
            kept = [a for a in stmt.names if a.name.split(".")[0] not in SKIPPED_MODULES]
            if not kept:
                continue
            if len(kept) < len(stmt.names):
                text = ast.unparse(ast.Import(names=kept))
                yield text, cell, [(stmt.lineno, text)]
            else:
                yield ast.dump(stmt), cell, _take(rows, stmt.lineno, stmt)
        elif isinstance(stmt, ast.ImportFrom):
            module = stmt.module or ""
            if stmt.level or module.split(".")[0] in SKIPPED_MODULES:
                continue
            yield ast.dump(stmt), cell, _take(rows, stmt.lineno, stmt)


# ---------------------------------------------------------------- order, then the module


def _resolve(answers: list[_Answer], pset: PuzzleSet, notes: list[str]) -> None:
    """Give the answers not named by header or name the next puzzle of the set in order.

    Puzzles named anywhere in the notebook are not handed out by order, so a renamed
    header does not take the puzzle of a cell further down.
    """
    order = [p.id for p in pset.puzzles]
    claimed = {a.puzzle for a in answers if a.puzzle is not None}
    taken: set[str] = set()
    previous = -1
    for answer in answers:
        if answer.puzzle is None and answer.candidates:
            free = [pid for pid in answer.candidates if pid not in taken and pid not in claimed]
            answer.puzzle = free[0] if free else answer.candidates[-1]
            answer.how = (
                f"{answer.name} matched puzzle {answer.puzzle} by its name and the "
                f"notebook's order ({' then '.join(answer.candidates)})"
            )
        elif answer.puzzle is None and answer.name != "jac":
            notes.append(
                f"cell {answer.cell}: {answer.name} ignored: it names no puzzle of set "
                f"{pset.id}, and no problem header before it does"
            )
            continue
        elif answer.puzzle is None:
            pick = next(
                (pid for pid in order[previous + 1 :] if pid not in taken and pid not in claimed),
                None,
            )
            if answer.header:
                said = f"header {answer.header!r} matches no puzzle of set {pset.id}"
            elif answer.spent:
                said = f"no problem header of its own since {answer.spent.text!r}"
            else:
                said = "no problem header before it"
            if pick is None and answer.spent is not None and answer.spent.puzzle is not None:
                answer.puzzle = answer.spent.puzzle
                answer.how = (
                    f"{answer.name} taken as another answer to puzzle {answer.puzzle}: {said}, "
                    "and no puzzle is left after the previous answer"
                )
            elif pick is None:
                notes.append(
                    f"cell {answer.cell}: {answer.name} ignored: {said}, and no puzzle "
                    "is left after the previous answer"
                )
                continue
            else:
                answer.puzzle = pick
                answer.how = f"{answer.name} taken as puzzle {pick}, the next in set order: {said}"
        notes.append(f"cell {answer.cell}: {answer.how}")
        taken.add(answer.puzzle)
        previous = order.index(answer.puzzle)


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


def _assemble(
    pset: PuzzleSet,
    imports: list[tuple[str, int, list[tuple[int, str]]]],
    winners: dict[str, _Answer],
    notes: list[str],
) -> Extracted:
    out: list[str] = [f"# adgrader: set={pset.id}"]
    lines: dict[int, tuple[int, int]] = {}

    def emit(cell: int, rows: list[tuple[int, str]]) -> None:
        for number, text in rows:
            out.append(text)
            lines[len(out)] = (cell, number)

    seen: set[str] = set()
    for key, cell, rows in imports:
        if key not in seen:
            seen.add(key)
            emit(cell, rows)
    done: set[int] = set()
    found: dict[str, int] = {}
    for puzzle in pset.puzzles:
        answer = winners.get(puzzle.id)
        if answer is None:
            continue
        found[puzzle.id] = answer.cell
        if id(answer.chunk) in done:
            continue
        done.add(id(answer.chunk))
        out.extend(["", ""])
        emit(answer.cell, _renamed(answer))
    return Extracted("\n".join(out) + "\n", lines, found, notes)
