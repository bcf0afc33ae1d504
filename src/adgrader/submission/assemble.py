"""A notebook's answers as one module: the parts `notebook` finds in each cell, and the
module assembled from the cells that parse, in notebook order, with where each line,
statement and name came from (see `notebook` for what is kept and renamed)."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..spec import PuzzleSet
from .model import Note, Origin, Scope, Unusable

# Imports the grader stands in for (or that only draw): never copied into the module.
SKIPPED_MODULES = frozenset(
    {"lib", "chalk", "IPython", "jaxtyping", "beartype", "torch", "matplotlib"}
)
# The notebooks' own helpers: an assignment from one of these only draws or checks.
NOTEBOOK_CALLS = frozenset(
    {"check", "in_out", "zip", "make_mat", "make_mat2", "draw", "display", "print"}
)


@dataclass
class Extracted:
    """A notebook's answers as one module, and where each of its lines came from.

    `lines` maps a line of `source` (1-based) to (cell number, line within the cell),
    both 1-based, cells counted over all cells; lines the extraction adds (the set
    marker, blank separators) have no entry. `found` maps puzzle id to the cell of
    its answer; `broken` holds the puzzles whose answer cell does not parse (they
    are not in `found`). `scopes` and `names` say where the module's statements and
    names come from (see `notebook`'s docstring). `ignored` lists answer-like names
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


@dataclass
class Chunk:
    """Text taken from one cell: (line within the cell, text) pairs."""

    cell: int
    rows: list[tuple[int, str]]


@dataclass
class Answer:
    """One answer definition in a cell, and the puzzle it answers once resolved."""

    cell: int
    name: str  # as written in the notebook
    chunk: Chunk
    renames: list[tuple[int, int, int]]  # (row index in chunk, start, end) of the name
    node: ast.stmt | None = None  # None: the cell does not parse
    puzzle: str | None = None
    header: str | None = None  # the header that named the puzzle, if any
    spent: Header | None = None  # a header an earlier answer cell already took
    candidates: tuple[str, ...] = ()  # puzzles a reused 2022 name may stand for
    how: str = ""
    by_order: bool = False
    unknown: bool = False  # an `fb_` name no puzzle goes by: only a header can place it
    error: Unusable | None = None  # the cell's syntax error, for an answer in a broken cell


@dataclass
class Header:
    cell: int
    text: str
    puzzle: str | None
    used: bool = False  # headers name the first answer cell after them only


@dataclass
class ParsedCell:
    """One code cell: its text without magics, and its tree (None: does not parse)."""

    number: int
    text: str
    tree: ast.Module | None
    answers: list[Answer]
    raw: str = ""  # with its shell and magic lines


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


def _renamed(answer: Answer) -> list[tuple[int, str]]:
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


def assemble(
    pset: PuzzleSet,
    parsed: list[ParsedCell],
    winners: dict[str, Answer],
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


def _library(cell: ParsedCell) -> bool:
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


def _module_name(answer: Answer) -> str:
    """The name an answer has in the module, once renamed."""
    if answer.name == "jac":
        return f"jac_{answer.puzzle}"
    if answer.name.startswith("fb_"):
        return f"fb_{answer.puzzle}"
    return answer.name
