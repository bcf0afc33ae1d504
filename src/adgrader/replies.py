"""Code taken out of a model's reply, the way evaluation environments take it.

A reply is Markdown: prose and fenced code blocks. The code graded for a puzzle is the
first fenced Python block (```` ```python ````, ```` ```py ````, or a bare fence whose
text parses as Python; ``~~~`` fences too) that defines an answer to that puzzle at its
top level: `jac`, `jac_<id>`, `fb_<id>` or one of the puzzle's aliases, its backward
class or `vjp_<id>`. A notebook-style `def jac(x)` becomes `jac_<id>` (and so does
every use of that module-level name), on the same lines: line L of the code is line
L + `Extraction.offset` of the reply, and grading `Extraction.padded` (the code after
`offset` blank lines) makes every line the grader reports the reply's own.

Everything here is string and `ast` work: nothing in the reply is ever run.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from . import pyast
from .result import PuzzleResult
from .spec import Puzzle

PYTHON_TAGS = frozenset({"python", "py", "python3", "py3", "ipython", "ipython3"})
MAX_REPLY_CHARS = 1_000_000  # longer replies are not read (an `error`)
THINK_END = "</think>"

_NEWLINE = re.compile(r"\r\n|\r|\n")
# An opening fence, possibly after a list item's marker: `1. ```python`, `- ~~~py`.
_OPEN = re.compile(
    r"^(?P<lead>[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?)(?P<fence>`{3,}|~{3,})(?P<info>.*)$"
)
_CLOSE = re.compile(r"^[ \t]*(?P<fence>`{3,}|~{3,})[ \t]*$")


@dataclass(frozen=True)
class Block:
    """One fenced block of a reply; lines are the reply's, 1-based."""

    number: int  # among all fenced blocks of the reply, 1-based
    tag: str  # the info string's first word, lowercased; "" for a bare fence
    fence: int  # the line of the opening fence; the text starts on the next line
    end: int | None  # the line of the closing fence; None when the reply ends first
    text: str  # the lines between the fences, the fence's indentation taken off

    @property
    def python(self) -> bool:
        return self.tag in PYTHON_TAGS

    @property
    def last(self) -> int:
        """The reply's last line of the block's text."""
        return self.fence + max(self.text.count("\n") + 1, 1) if self.text else self.fence

    def span(self) -> str:
        """`reply lines 4-9`, where the block's text stands."""
        first, last = self.fence + 1, self.last
        if last <= first:
            return f"reply line {first}"
        return f"reply lines {first}-{last}"


@dataclass(frozen=True)
class Extraction:
    """What a reply gives to grade for one puzzle: code, or why there is none.

    `status` is `ok` with `code` (ready to grade, `jac` renamed) taken from block
    `block`; a line L of `code` is line L + `offset` of the reply. Otherwise `status` is
    `missing` (no answer in the reply) or `error` (the answer's block does not parse,
    or the reply cannot be read), with `message` saying why and `line`, a line of the
    reply, where. `note` says which block was taken and what was changed.
    """

    status: Literal["ok", "missing", "error"]
    code: str = ""
    block: int | None = None
    offset: int = 0
    name: str = ""  # the answer's name as the reply wrote it: `jac`, `jac_relu`, `Relu`
    note: str = ""
    message: str = ""
    line: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def reply_line(self, line: int | None) -> int | None:
        """The reply's line for a line of `code` (None stays None)."""
        return None if line is None else line + self.offset

    @property
    def padded(self) -> str:
        """`code` after `offset` blank lines: graded as it is, every line the grader
        reports (rules, tracebacks, messages) is the reply's own."""
        return "\n" * self.offset + self.code if self.ok else ""

    def as_result(self, puzzle: Puzzle) -> PuzzleResult:
        """The verdict for a reply with nothing to grade: `missing` or `error`."""
        if self.status == "ok":
            raise ValueError("the reply has code to grade")
        return PuzzleResult(
            id=puzzle.id,
            title=puzzle.title,
            status=self.status,
            message=self.message,
            line=self.line,
            max_score=puzzle.score,
        )


def split_lines(text: str) -> list[str]:
    """Lines as Python counts them: `\\r\\n`, `\\r` and `\\n` each end one."""
    return _NEWLINE.split(text)


def blocks(reply: str) -> list[Block]:
    """Every fenced block of `reply`, in order; an unclosed one runs to the end.

    Fences follow CommonMark closely: three or more backticks or tildes, closed by a
    fence of the same character at least as long; a backtick fence's info string has
    no backtick (so ```` ```a``` ```` inside prose is no fence). A fence may stand in
    a list item (`1. ```python`); as much indentation as the fence has is taken off
    each line of its text.
    """
    lines = split_lines(reply)
    found: list[Block] = []
    k = 0
    while k < len(lines):
        match = _OPEN.match(lines[k])
        if match is None or (match["fence"][0] == "`" and "`" in match["info"]):
            k += 1
            continue
        fence, lead = match["fence"], match["lead"]
        end = None
        for j in range(k + 1, len(lines)):
            close = _CLOSE.match(lines[j])
            if close and close["fence"][0] == fence[0] and len(close["fence"]) >= len(fence):
                end = j
                break
        body = lines[k + 1 : len(lines) if end is None else end]
        text = "\n".join(_unindent(row, len(lead)) for row in body)
        found.append(Block(len(found) + 1, _tag(match["info"]), k + 1, _one_based(end), text))
        k = len(lines) if end is None else end + 1
    return found


def extract(
    reply: str,
    puzzle: Puzzle,
    *,
    form: str = "jac",
    think: bool = True,
    max_chars: int = MAX_REPLY_CHARS,
) -> Extraction:
    """The code to grade for `puzzle` in `reply`, or why there is none.

    `form` is the set's own form, named first in what a `missing` message asks for.
    With `think`, a reasoning model's `<think>...</think>` section is skipped, as
    the environments' parsers do: only the text after the last `</think>` counts.
    """
    if len(reply) > max_chars:
        return Extraction(
            "error",
            message=f"the reply is too long to read ({len(reply)} characters; "
            f"the limit is {max_chars})",
        )
    if not reply.strip():
        return Extraction(
            "missing",
            message=f"the reply is empty, so it has no Python code block: "
            f"{_define_hint(puzzle, form)}",
        )
    reply, after = _after_think(reply) if think else (reply, "")
    found = blocks(reply)
    names = _accepted(puzzle)
    skipped: list[str] = []  # tags of blocks in other languages
    broken: list[tuple[Block, SyntaxError]] = []  # Python blocks that do not parse
    others: list[tuple[Block, list[str]]] = []  # Python blocks with no answer, and their names
    for block in found:
        if block.tag and not block.python:
            skipped.append(block.tag)
            continue
        tree, text, error = _parse(block.text)
        if tree is None:
            assert error is not None
            if block.python or _defines_by_text(text, names):
                broken.append((block, error))
            continue
        defined = _top_level_names(tree)
        answers = [n for n in defined if n in names]
        if answers:
            return _taken(block, len(found), tree, text, answers, puzzle, broken, others, after)
        others.append((block, defined))
    for block, error in broken:
        if _defines_by_text(_parse(block.text)[1], names):
            return _does_not_parse(block, error)
    hint = _define_hint(puzzle, form)
    if others or broken:
        count = len(others) + len(broken)
        head = (
            f"the reply's code defines no answer to {puzzle.id}"
            if count == 1
            else f"none of the reply's {count} code blocks defines an answer to {puzzle.id}"
        )
        defined = list(dict.fromkeys(n for _, names_in in others for n in names_in))
        if defined:
            head += f" (it defines {', '.join(defined)})"
        message = f"{head}: {hint}"
        if broken:
            broken_text = _syntax_text(*broken[0])
            message += f". {broken_text[0].upper()}{broken_text[1:]}"
        first = min([b.fence for b, _ in others] + [b.fence for b, _ in broken])
        return Extraction("missing", message=message, line=first + 1)
    tail = f" after {THINK_END}" if after else ""
    only = f" (only {', '.join(dict.fromkeys(skipped))})" if skipped else ""
    return Extraction(
        "missing",
        message=f"the reply has no Python code block{tail}{only}: {hint}",
    )


# ---------------------------------------------------------------- blocks


def _unindent(row: str, width: int) -> str:
    """`row` less up to `width` leading blanks (a fence's indentation, CommonMark-style)."""
    cut = 0
    while cut < width and cut < len(row) and row[cut] in " \t":
        cut += 1
    return row[cut:]


def _tag(info: str) -> str:
    """`python` from `python title="a.py"`, `{.python}` or `Python`."""
    words = info.strip().split()
    return words[0].strip("{}.").lower() if words else ""


def _one_based(index: int | None) -> int | None:
    return None if index is None else index + 1


def _after_think(reply: str) -> tuple[str, str]:
    """The reply with everything up to the last `</think>` blanked (lines kept)."""
    at = reply.rfind(THINK_END)
    if at < 0:
        return reply, ""
    before = reply[: at + len(THINK_END)]
    kept = "\n" * len(split_lines(before)[:-1])
    return kept + reply[at + len(THINK_END) :], THINK_END


# ---------------------------------------------------------------- parsing


def _parse(text: str) -> tuple[ast.Module | None, str, SyntaxError | None]:
    """The block's module, or the error; text indented as a whole is dedented first."""
    try:
        return pyast.parse(text), text, None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        first = exc if isinstance(exc, SyntaxError) else SyntaxError(str(exc) or type(exc).__name__)
    dedented = textwrap.dedent(text)
    if dedented != text:
        try:
            return pyast.parse(dedented), dedented, None
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return None, text, first


def _top_level_names(tree: ast.Module | None) -> list[str]:
    """Names a module binds at its top level by def, class or assignment, in order."""
    names: list[str] = []
    for stmt in tree.body if tree is not None else ():
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(stmt.name)
        elif isinstance(stmt, ast.Assign):
            names += [t.id for t in stmt.targets if isinstance(t, ast.Name)]
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.target, ast.Name)
            and stmt.value is not None
        ):
            names.append(stmt.target.id)
    return list(dict.fromkeys(names))


def _accepted(puzzle: Puzzle) -> tuple[str, ...]:
    """The names that answer `puzzle`: its own in every form, then the notebook's `jac`."""
    own = [n for names in puzzle.answer_names().values() for n in names]
    return (*dict.fromkeys(own), "jac")


def _defines_by_text(text: str, names: Sequence[str]) -> bool:
    """Whether text that does not parse still defines one of `names` at its top level."""
    text = textwrap.dedent(text)
    alternatives = "|".join(re.escape(n) for n in names)
    pattern = re.compile(
        rf"^(?:(?:async[ \t]+)?def[ \t]+(?:{alternatives})[ \t]*\("
        rf"|class[ \t]+(?:{alternatives})\b"
        rf"|(?:{alternatives})[ \t]*(?::[^=]*)?=(?!=))",
        re.MULTILINE,
    )
    return pattern.search(text) is not None


def _syntax_text(block: Block, error: SyntaxError) -> str:
    """`code block 2 does not parse (invalid syntax, line 3 of the block, reply line 12)`."""
    line = error.lineno
    where = f", line {line} of the block, reply line {block.fence + line}" if line else ""
    text = f"code block {block.number} does not parse ({error.msg}{where})"
    if block.end is None:
        text += " and has no closing fence (was the reply cut off?)"
    return text


def _does_not_parse(block: Block, error: SyntaxError) -> Extraction:
    return Extraction(
        "error",
        block=block.number,
        offset=block.fence,
        message=f"{_syntax_text(block, error)}: fix it so that it runs as Python",
        line=block.fence + (error.lineno or 1),
    )


def _define_hint(puzzle: Puzzle, form: str) -> str:
    """What to write: `define jac_relu(x) (or jac(x)) in a ```python block`."""
    args = ", ".join(puzzle.arg_names)
    if form == "dx":
        return f"define fb_{puzzle.id}({args}) in a ```python block"
    if form == "backward":
        return (
            f"define class {puzzle.backward_class} or vjp_{puzzle.id}({args}, g) "
            "in a ```python block"
        )
    return f"define jac_{puzzle.id}({args}) (or jac({args})) in a ```python block"


# ---------------------------------------------------------------- the block taken


def _taken(
    block: Block,
    count: int,
    tree: ast.Module,
    text: str,
    answers: list[str],
    puzzle: Puzzle,
    broken: list[tuple[Block, SyntaxError]],
    others: list[tuple[Block, list[str]]],
    after: str,
) -> Extraction:
    """The extraction of `block`, the first to define an answer (one of `answers`)."""
    notes: list[str] = []
    if count > 1:
        before = sorted(
            [(b.number, "defines no answer") for b, _ in others]
            + [(b.number, "does not parse") for b, _ in broken]
        )
        why = "".join(f"; block {n} {what}" for n, what in before)
        notes.append(f"took code block {block.number} of {count} ({block.span()}){why}")
    if block.end is None:
        notes.append(f"code block {block.number} has no closing fence: taken to the reply's end")
    if after:
        notes.append(f"only the text after {after} was read")
    own = f"jac_{puzzle.id}"
    code = text
    name = answers[0]
    if "jac" in answers and own not in answers:
        renamed = rename_global(text, tree, "jac", own)
        if renamed is not None:
            code = renamed
            notes.append(f"jac renamed {own}")
        else:
            notes.append(f"jac could not be renamed {own}")
    elif "jac" in answers:
        notes.append(f"jac is not graded: the block also defines {own}")
        name = own
    if code and not code.endswith("\n"):
        code += "\n"
    return Extraction(
        "ok", code=code, block=block.number, offset=block.fence, name=name, note="; ".join(notes)
    )


def rename_global(text: str, tree: ast.Module, old: str, new: str) -> str | None:
    """`text` with every use of the module-level name `old` renamed `new`, on the same
    lines: `def old`, `old = ...`, and each reference that resolves to the module's
    `old` (not a parameter or local of that name). None if the result would not bind
    `new` at the top level (then nothing is renamed)."""
    rows = [row.encode("utf-8") for row in text.split("\n")]
    spots = sorted(set(_Uses(old, rows).module(tree)), reverse=True)
    for line, start, end in spots:
        row = rows[line - 1]
        if row[start:end] == old.encode():
            rows[line - 1] = row[:start] + new.encode() + row[end:]
    result = "\n".join(row.decode("utf-8") for row in rows)
    try:
        if new not in _top_level_names(pyast.parse(result)):
            return None
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return result


# ---------------------------------------------------------------- scopes


_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
Spot = tuple[int, int, int]  # line, start byte, end byte


class _Uses:
    """Where a module-level name is used, scope by scope (Python's rules, simplified:
    a function's parameter or assignment of the name hides the module's)."""

    def __init__(self, name: str, rows: list[bytes]) -> None:
        self.name = name
        self.rows = rows

    def module(self, tree: ast.Module) -> Iterator[Spot]:
        yield from self.walk(tree.body, here=True, inner=True, top=True)

    def walk(
        self, nodes: Sequence[ast.AST], *, here: bool, inner: bool, top: bool
    ) -> Iterator[Spot]:
        """Uses in `nodes`; `here`: the name is the module's in this scope; `inner`: in
        scopes nested here (a class body's names do not reach its methods); `top`: at
        the module's top level."""
        for node in nodes:
            yield from self.node(node, here=here, inner=inner, top=top)

    def node(self, node: ast.AST, *, here: bool, inner: bool, top: bool) -> Iterator[Spot]:
        name = self.name
        if isinstance(node, ast.Name):
            if node.id == name and here and node.end_col_offset is not None:
                yield node.lineno, node.col_offset, node.end_col_offset
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            outside = [*node.decorator_list, *_defaults(node.args), *_annotations(node)]
            yield from self.walk(outside, here=here, inner=inner, top=top)
            if node.name == name and here and top:
                yield from self.find(node, rb"\bdef\s+(" + re.escape(name.encode()) + rb")\b")
            local, declared = _binding(node.body, node.args, name)
            seen = declared == "global" or (inner and not local and declared != "nonlocal")
            yield from self.walk(node.body, here=seen, inner=seen, top=False)
        elif isinstance(node, ast.Lambda):
            yield from self.walk(_defaults(node.args), here=here, inner=inner, top=top)
            seen = inner and name not in _params(node.args)
            yield from self.node(node.body, here=seen, inner=seen, top=False)
        elif isinstance(node, ast.ClassDef):
            outside = [*node.decorator_list, *node.bases, *(k.value for k in node.keywords)]
            yield from self.walk(outside, here=here, inner=inner, top=top)
            if node.name == name and here and top:
                yield from self.find(node, rb"\bclass\s+(" + re.escape(name.encode()) + rb")\b")
            local, declared = _binding(node.body, None, name)
            seen = declared == "global" or (inner and not local)
            yield from self.walk(node.body, here=seen, inner=inner, top=False)
        elif isinstance(node, _COMPREHENSIONS):
            first, *rest = node.generators
            yield from self.node(first.iter, here=here, inner=inner, top=top)
            targets = {
                n.id for g in node.generators for n in ast.walk(g.target) if isinstance(n, ast.Name)
            }
            seen = inner and name not in targets
            parts: list[ast.AST] = [first.target, *first.ifs]
            for gen in rest:
                parts += [gen.target, gen.iter, *gen.ifs]
            parts += [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
            yield from self.walk(parts, here=seen, inner=seen, top=False)
        elif isinstance(node, ast.Global):
            if name in node.names and here:
                yield from self.find(node, rb"\b(" + re.escape(name.encode()) + rb")\b")
        else:
            for child in ast.iter_child_nodes(node):
                yield from self.node(child, here=here, inner=inner, top=top)

    def find(self, node: ast.stmt, pattern: bytes) -> Iterator[Spot]:
        """Where `pattern`'s group stands on the node's first line, after its start."""
        if node.lineno > len(self.rows):
            return
        match = re.compile(pattern).search(self.rows[node.lineno - 1], node.col_offset)
        if match:
            yield node.lineno, match.start(1), match.end(1)


def _defaults(args: ast.arguments) -> list[ast.AST]:
    return [*args.defaults, *(d for d in args.kw_defaults if d is not None)]


def _annotations(node: ast.FunctionDef | ast.AsyncFunctionDef) -> list[ast.AST]:
    args = node.args
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    found: list[ast.AST] = [a.annotation for a in every if a is not None and a.annotation]
    return [*found, node.returns] if node.returns is not None else found


def _params(args: ast.arguments) -> set[str]:
    every = [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]
    return {a.arg for a in every if a is not None}


def _binding(body: Sequence[ast.stmt], args: ast.arguments | None, name: str) -> tuple[bool, str]:
    """Whether a scope binds `name` itself, and how it declares it: `global`,
    `nonlocal` or ""."""
    local = args is not None and name in _params(args)
    declared = ""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            declared = "global" if isinstance(node, ast.Global) else "nonlocal"
        elif isinstance(node, ast.Name):
            local = local or (node.id == name and not isinstance(node.ctx, ast.Load))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            local = local or node.name == name
            continue  # its body is a scope of its own
        elif isinstance(node, (ast.Lambda, *_COMPREHENSIONS)):
            continue
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            local = local or any((a.asname or a.name.split(".")[0]) == name for a in node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)):
            local = local or node.name == name
        stack.extend(ast.iter_child_nodes(node))
    return local, declared
