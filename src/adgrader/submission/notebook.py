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
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from .. import pyast
from ..spec import Puzzle, PuzzleSet
from .assemble import (
    Answer,
    Chunk,
    Extracted,
    Header,
    ParsedCell,
    assemble,
    statement_rows,
)
from .cells import read_cells
from .commented import commented_answers
from .model import Cell, Note, Unusable
from .syntax import syntax_message

# Names the 2022 notebook gave to two puzzles each, in notebook order.
SHARED_NAMES: dict[str, tuple[str, ...]] = {
    "fb_mean": ("mean", "mean_reduce"),
    "fb_conv": ("conv1d", "conv2d"),
}
_HEADER = re.compile(
    r"^[ \t]{0,3}#{1,6}[ \t]*Problem\b[ \t]*([\d.]*)[ \t]*[:.\-\u2013\u2014]?[ \t]*(.*?)[ \t#]*$"
)
# Shell (`!pip`), magics (`%time`, `%%time`) and IPython's `x = !ls` / `x = %who`.
_MAGIC = re.compile(r"^[ \t]*(?:[!%]|[A-Za-z_][\w, \t]*=[ \t]*[!%])")
_TEXT_DEF = re.compile(r"^(?:async[ \t]+)?def[ \t]+(jac|jac_\w+|fb_\w+|vjp_\w+)[ \t]*\(")


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
    parsed: list[ParsedCell] = []
    answers: list[Answer] = []
    header: Header | None = None
    first_header: int | None = None

    for number, (kind, text) in enumerate(cells, start=1):
        if kind == "markdown":
            found_header = _last_header(text)
            if found_header is not None:
                first_header = first_header or number
                title = _header_title(found_header)
                header = Header(number, found_header, titles.get(_normal(title)))
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
                parsed.append(ParsedCell(number, cleaned, None, [], text))
                continue
            broken.error = Unusable(
                "error",
                syntax_message(exc, cleaned, cell=number),
                line=getattr(exc, "lineno", None),
                cell=number,
            )
            _spend(header, [broken])
            answers.append(broken)
            parsed.append(ParsedCell(number, cleaned, None, [broken], text))
            continue
        rows = cleaned.split("\n")
        cell_answers = _own_cell(list(_answers_in(number, tree, rows, pset, by_id, fresh)))
        parsed.append(ParsedCell(number, cleaned, tree, cell_answers, text))
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

    winners: dict[str, Answer] = {}
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
    return assemble(pset, parsed, winners, notes, ignored, first_header)


def _own_cell(answers: list[Answer]) -> list[Answer]:
    """A cell's answers; an unknown `fb_` name beside an answer named for its puzzle
    is the learner's helper, not a second answer."""
    if not any(a.puzzle is not None and not a.header for a in answers):
        return answers
    return [a for a in answers if not a.unknown]


def _spend(header: Header | None, answers: list[Answer]) -> None:
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
    header: Header | None,
) -> Iterator[Answer]:
    for stmt in tree.body:
        if isinstance(stmt, ast.ClassDef) and _own_name(stmt.name, by_id) is not None:
            answer = Answer(cell, stmt.name, Chunk(cell, statement_rows(rows, stmt)), [], stmt)
            _name_puzzle(answer, None, pset, by_id, header)
            yield answer
        elif isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            name = stmt.name
            if not _answer_name(name, by_id):
                continue
            chunk = Chunk(cell, statement_rows(rows, stmt))
            def_row = next((k for k, (n, _) in enumerate(chunk.rows) if n == stmt.lineno), 0)
            text = chunk.rows[def_row][1]
            match = re.compile(rf"def\s+({re.escape(name)})\b").search(text)
            renames = [(def_row, match.start(1), match.end(1))] if match else []
            answer = Answer(cell, name, chunk, renames, stmt)
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
            chunk = Chunk(cell, statement_rows(rows, stmt))
            match = re.compile(rf"\b({re.escape(target.id)})\b").search(chunk.rows[0][1])
            renames = [(0, match.start(1), match.end(1))] if match else []
            answer = Answer(cell, target.id, chunk, renames, stmt)
            _name_puzzle(answer, None, pset, by_id, header)
            yield answer


def _name_puzzle(
    answer: Answer,
    node: ast.FunctionDef | ast.AsyncFunctionDef | None,
    pset: PuzzleSet,
    by_id: dict[str, Puzzle],
    header: Header | None,
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
    header: Header | None,
) -> Answer | None:
    """A cell that does not parse but defines an answer (found by its text)."""
    rows = text.split("\n")
    chunk = Chunk(cell, [(n, row) for n, row in enumerate(rows, start=1)])
    for number, row in enumerate(rows):
        match = _TEXT_DEF.match(row)
        if match and _answer_name(match.group(1), by_id):
            answer = Answer(cell, match.group(1), chunk, [(number, *match.span(1))])
            _name_puzzle(answer, None, pset, by_id, header)
            return answer
    return None


# ---------------------------------------------------------------- order


def _resolve(answers: list[Answer], pset: PuzzleSet, notes: list[Note]) -> list[str]:
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
