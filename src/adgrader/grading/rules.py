"""The puzzles' rules, checked on the submission's source (parsed, never run).

`one-line` and `max-columns` keep answers to the notebook's one short line;
`no-autodiff` forbids jax's differentiation (also enforced while answers run, see
`guard`); `no-array-literal` forbids building the Jacobian entry by entry.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .. import pyast
from ..result import Finding
from ..spec import Puzzle, Rule, RuleName, form_order

# Called by name (`jacfwd(f)(x)`, after `from jax import jacfwd`) or as an attribute.
AUTODIFF_CALLS = frozenset(
    {
        "grad",
        "value_and_grad",
        "jacfwd",
        "jacrev",
        "jvp",
        "vjp",
        "linearize",
        "hessian",
        "linear_transpose",
    }
)
# Only as an attribute (`jax.jacobian`, `torch.autograd`): as bare names they are
# ordinary variable names a learner may well use.
AUTODIFF_ATTRIBUTES = AUTODIFF_CALLS | {"jacobian", "autograd", "backward"}
ARRAY_BUILDERS = frozenset({"array", "asarray", "asanyarray", "fromiter", "tensor"})
STACKERS = frozenset(
    {"stack", "vstack", "hstack", "dstack", "column_stack", "row_stack", "concatenate", "block"}
)
INDEX_LAMBDAS = frozenset({"dx", "dy"})


@dataclass(frozen=True)
class Answer:
    """Where one answer stands in the source: its function and the lines that are the answer."""

    name: str
    form: str
    node: ast.FunctionDef | ast.Lambda | ast.ClassDef
    lines: tuple[tuple[int, int], ...]  # (first, last) physical lines of each answer part


def parse(source: str) -> ast.Module | None:
    try:
        return pyast.parse(source)
    except (SyntaxError, ValueError):
        return None


def find_answer(tree: ast.Module, puzzle: Puzzle, prefer: str) -> Answer | None:
    """The top-level definition that answers `puzzle`, preferring the set's form; of
    several definitions of one name, the last (the one Python keeps)."""
    names = puzzle.answer_names()
    defs: dict[str, ast.FunctionDef | ast.Lambda | ast.ClassDef] = {}
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.ClassDef)):
            defs[stmt.name] = stmt
        elif isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Lambda):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    defs[target.id] = stmt.value
        elif (  # `jac_relu: Callable = lambda x: ...`
            isinstance(stmt, ast.AnnAssign)
            and isinstance(stmt.value, ast.Lambda)
            and isinstance(stmt.target, ast.Name)
        ):
            defs[stmt.target.id] = stmt.value
    for form in form_order(prefer):
        for name in names[form]:
            if name in defs:
                node = defs[name]
                return Answer(name, form, node, tuple(_answer_lines(node, form)))
    return None


def _answer_lines(
    node: ast.FunctionDef | ast.Lambda | ast.ClassDef, form: str
) -> Iterator[tuple[int, int]]:
    """The answer proper: a jac's or a vjp's body statements, a backward class's
    `forward` and `backward` statements, or the dx/dy lambda lines."""
    if isinstance(node, ast.Lambda):
        yield node.lineno, node.end_lineno or node.lineno
        return
    if isinstance(node, ast.ClassDef):
        for method in node.body:
            if isinstance(method, ast.FunctionDef) and method.name in ("forward", "backward"):
                yield from _answer_lines(method, "backward")
        return
    if form in ("jac", "backward"):
        for stmt in _body(node):
            yield stmt.lineno, stmt.end_lineno or stmt.lineno
        return
    for inner in ast.walk(node):
        if isinstance(inner, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in INDEX_LAMBDAS for t in inner.targets
        ):
            yield inner.lineno, inner.end_lineno or inner.lineno


def _body(node: ast.FunctionDef) -> list[ast.stmt]:
    body = list(node.body)
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # a docstring is not part of the answer
    return body


def check(
    source: str, answer: Answer, puzzle: Puzzle, rules: tuple[Rule, ...], strict: bool = False
) -> list[Finding]:
    """Every rule the answer breaks, each with its line and the rule's severity."""
    lines = source.splitlines()
    findings: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for rule in rules:
        if rule.severity == "off":
            continue
        severity = "error" if strict else rule.severity
        for line, message in _RULES[rule.name](answer, puzzle, lines, rule):
            if (rule.name, line) not in seen:  # one finding per rule and line
                seen.add((rule.name, line))
                findings.append(Finding(rule.name, message, line, severity))
    return findings


def _one_line(
    answer: Answer, puzzle: Puzzle, lines: list[str], rule: Rule
) -> Iterator[tuple[int, str]]:
    if answer.form == "backward":  # a backward pass is statements, each on one line
        for first, last in answer.lines:
            if last > first:
                yield first, f"a statement spans lines {first}-{last}; keep each to one line"
        return
    if answer.form == "jac" and isinstance(answer.node, ast.FunctionDef):
        body = _body(answer.node)
        allowed = len(puzzle.inputs)
        if len(body) > allowed:
            yield (
                body[0].lineno,
                (
                    f"{answer.name} has {len(body)} statements; the answer is one line "
                    f"({allowed} statement{'s' if allowed > 1 else ''} at most, one per Jacobian)"
                ),
            )
    for first, last in answer.lines:
        if last > first:
            what = "the answer" if answer.form == "jac" else "a dx/dy lambda"
            yield first, f"{what} spans lines {first}-{last}; keep it to one line"


def _max_columns(
    answer: Answer, puzzle: Puzzle, lines: list[str], rule: Rule
) -> Iterator[tuple[int, str]]:
    limit = rule.limit or 80
    for first, last in answer.lines:
        for number in range(first, last + 1):
            width = len(lines[number - 1].rstrip()) if number <= len(lines) else 0
            if width > limit:
                yield number, f"{width} columns wide; the limit is {limit}"


def _no_autodiff(
    answer: Answer, puzzle: Puzzle, lines: list[str], rule: Rule
) -> Iterator[tuple[int, str]]:
    # A backward answer may chain other answers' `.backward`, as a composite does.
    attributes = (
        AUTODIFF_ATTRIBUTES - {"backward"} if answer.form == "backward" else (AUTODIFF_ATTRIBUTES)
    )
    for node in ast.walk(answer.node):
        name = None
        if not isinstance(node, (ast.Attribute, ast.Call)):
            continue
        if isinstance(node, ast.Attribute) and node.attr in attributes:
            name = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in AUTODIFF_CALLS
        ):
            name = node.func.id
        if name:
            yield (
                node.lineno,
                f"uses `{name}`: answers compute derivatives by hand, not with autodiff",
            )


def _no_array_literal(
    answer: Answer, puzzle: Puzzle, lines: list[str], rule: Rule
) -> Iterator[tuple[int, str]]:
    for node in ast.walk(answer.node):
        if answer.form == "jac" and isinstance(node, (ast.ListComp, ast.List)):
            yield node.lineno, "lists entries: build the Jacobian from the givens with operators"
            continue
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name in ARRAY_BUILDERS:
            yield (
                node.lineno,
                f"calls `{name}(...)`: build the Jacobian from the givens with operators",
            )
        elif (
            name in STACKERS
            and node.args
            and isinstance(node.args[0], (ast.List, ast.Tuple, ast.ListComp, ast.GeneratorExp))
        ):
            yield (
                node.lineno,
                f"stacks a list with `{name}`: build the Jacobian without listing entries",
            )


# Every rule a set may list (`RuleName`, kept in the spec's model) and its check.
_RULES: dict[RuleName, Callable[[Answer, Puzzle, list[str], Rule], Iterator[tuple[int, str]]]] = {
    "one-line": _one_line,
    "max-columns": _max_columns,
    "no-autodiff": _no_autodiff,
    "no-array-literal": _no_array_literal,
}
