"""Whether an answer is still its starter: not attempted yet, which is not the same as wrong.

An answer is compared with its starters as code (its syntax tree), never as text:
comments, docstrings, annotations, whitespace and the spelling of a number (`0`, `0.`,
`0.0`) do not count, and a lambda's argument names do not either (`lambda i, o: 0` is
`lambda o, i: 0`). Only the part a learner fills in is compared:

- `jac` form: the function's body (or a lambda's expression);
- `dx` form: the `dx`/`dy` lambdas (the `f = lambda ...` line is given, not an answer);
- `backward` form: the `backward` method of the class, or the `vjp_` function's body.

The starters are the `adgrader init` stub of the form (`spec.starters.STARTERS`), the
notebooks' blank answer cells (`spec.starters.NOTEBOOK_BLANKS`) and a body that only
says "not done yet" (`pass`, `...`, `raise NotImplementedError(...)`, as MiniTorch's
own starters do).
"""

from __future__ import annotations

import ast
import copy
from functools import lru_cache

from .. import pyast
from ..spec import Puzzle
from ..spec.starters import STARTERS, notebook_blanks

AnswerNode = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda


def untouched(answer: AnswerNode, puzzle: Puzzle, form: str) -> bool:
    """Whether `answer` (the definition that answers `puzzle` in `form`, as
    `grading.rules.find_answer` locates it) is still one of its starters."""
    if form not in STARTERS:
        return False
    if _placeholder(answer):
        return True
    mine = _answer_part(answer, form, puzzle)
    if mine is None:
        return False
    if form == "dx":
        allowed = _dx_starters(puzzle)
        return len(mine) == len(allowed) and all(
            part in choices for part, choices in zip(mine, allowed, strict=True)
        )
    return mine in _starters(puzzle, form)


# ---------------------------------------------------------------- the part a learner fills in


def _answer_part(node: AnswerNode, form: str, puzzle: Puzzle) -> tuple[str, ...] | None:
    """The canonical text of what a learner fills in, or None when the definition
    does not have the starter's shape at all (so it cannot be the starter)."""
    if form == "dx":
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            return None
        lambdas = _index_lambdas(node)
        parts = []
        for name in puzzle.arg_names:
            lam = lambdas.get(f"d{name}")
            if lam is None:
                return None
            parts.append(canonical(lam))
        return tuple(parts)
    if isinstance(node, ast.Lambda):
        return (canonical(node.body),)
    if isinstance(node, ast.ClassDef):
        method = _method(node, "backward")
        return None if method is None else _body(method)
    return _body(node)


def _body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    """A function's statements, a lone `return E` told as the expression E, so that
    `def jac(x): return E` and `jac = lambda x: E` compare equal."""
    body = _without_docstring(node.body)
    if len(body) == 1 and isinstance(body[0], ast.Return) and body[0].value is not None:
        return (canonical(body[0].value),)
    return tuple(canonical(stmt) for stmt in body)


def _method(node: ast.ClassDef, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    found = None
    for stmt in node.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and stmt.name == name:
            found = stmt  # the last definition is the one Python keeps
    return found


def _index_lambdas(node: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, ast.Lambda]:
    """The last `dx = lambda ...` (and `dy`) assigned in the function's own body."""
    found: dict[str, ast.Lambda] = {}
    for stmt in node.body:
        if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = stmt.value
        elif (
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.value, ast.Lambda)
            and isinstance(stmt.target, ast.Name)
        ):
            found[stmt.target.id] = stmt.value
    return found


def _placeholder(node: AnswerNode) -> bool:
    """A body that only says "not done yet": `pass`, `...` or `raise NotImplementedError`."""
    if isinstance(node, ast.Lambda):
        return False
    if isinstance(node, ast.ClassDef):
        method = _method(node, "backward")
        if method is None:
            return False
        node = method
    body = _without_docstring(node.body)
    if len(body) != 1:
        return False
    stmt = body[0]
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
        return stmt.value.value is Ellipsis
    if isinstance(stmt, ast.Raise) and stmt.exc is not None:
        exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
        return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"
    return False


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return body[1:]
    return body


# ---------------------------------------------------------------- the starters, canonical


def _starters(puzzle: Puzzle, form: str) -> frozenset[tuple[str, ...]]:
    """The answer parts of every `jac` or `backward` starter of the puzzle."""
    return _starter_parts(STARTERS[form](puzzle), form, notebook_blanks(puzzle, form))


def _dx_starters(puzzle: Puzzle) -> tuple[frozenset[str], ...]:
    """For each input, the `d<input>` lambdas a starter holds."""
    return _dx_parts(STARTERS["dx"](puzzle), puzzle.arg_names, notebook_blanks(puzzle, "dx"))


@lru_cache(maxsize=512)
def _starter_parts(stub: str, form: str, blanks: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    found: set[tuple[str, ...]] = {(_blank(b),) for b in blanks}
    node = _definition(stub)
    if isinstance(node, ast.ClassDef):
        method = _method(node, "backward")
        if method is not None:
            found.add(_body(method))
    elif node is not None and not isinstance(node, ast.Lambda):
        found.add(_body(node))
    return frozenset(found)


@lru_cache(maxsize=512)
def _dx_parts(
    stub: str, arg_names: tuple[str, ...], blanks: tuple[str, ...]
) -> tuple[frozenset[str], ...]:
    node = _definition(stub)
    assert isinstance(node, ast.FunctionDef)
    lambdas = _index_lambdas(node)
    extra = {_blank(b) for b in blanks}
    return tuple(frozenset({canonical(lambdas[f"d{name}"]), *extra}) for name in arg_names)


def _blank(source: str) -> str:
    return canonical(pyast.parse_expression(source).body)


def _definition(source: str) -> AnswerNode | None:
    for stmt in pyast.parse(source).body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            return stmt
    return None


def canonical(node: ast.AST) -> str:
    """The node as code, without what does not change what it computes: annotations,
    docstrings, how a number is spelled, a lambda's argument names."""
    tree = _Canonical().visit(copy.deepcopy(node))
    return ast.dump(tree, annotate_fields=False, include_attributes=False)


class _Canonical(ast.NodeTransformer):
    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        value = node.value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return ast.Constant(value=float(value))
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.annotation = None
        node.type_comment = None
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.returns = None
        node.type_comment = None
        node.body = _without_docstring(node.body) or [ast.Pass()]
        return self.generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        node.returns = None
        node.type_comment = None
        node.body = _without_docstring(node.body) or [ast.Pass()]
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST | None:
        if node.value is None:
            return None  # `x: int` alone computes nothing
        plain = ast.Assign(targets=[node.target], value=node.value)
        return self.generic_visit(plain)

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        args = [*node.args.posonlyargs, *node.args.args]
        names = {a.arg: f"_{k}" for k, a in enumerate(args)}
        for a in args:
            a.arg = names[a.arg]
        node.body = _Rename(names).visit(node.body)
        return self.generic_visit(node)


class _Rename(ast.NodeTransformer):
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.names:
            node.id = self.names[node.id]
        return node

    def visit_Lambda(self, node: ast.Lambda) -> ast.AST:
        inner = {a.arg for a in (*node.args.posonlyargs, *node.args.args)}
        kept = {k: v for k, v in self.names.items() if k not in inner}
        node.body = _Rename(kept).visit(node.body)
        return node
