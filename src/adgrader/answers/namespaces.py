"""A submission's top level, run as the notebook ran it; answer-process side only.

The source runs once, one top-level statement at a time, along the job's scopes:
before a notebook cell's statements, its puzzle's givens are bound, as the cell ran
after its puzzle's set-up cell. Each puzzle then gets its own names: the names as
they stood after its cell (or at the end), its givens and `f` on top, and every
function of the submission rebound to them, so that an answer and each helper it
calls see the givens of the puzzle graded. A `.py` file's top-level statement that
fails on a puzzle's name (`eye = 1.0 * (Os == Is)`) is run again with each puzzle's
givens; any other failure of a `.py` file's top level is the file's load error, as
in Python, while a notebook cell's statement that fails is set aside and named
later when an answer needs what it would have defined.
"""

from __future__ import annotations
import __future__

import ast
import traceback
import types
from typing import Any

from ..spec.scope import puzzle_names
from .guard import opaque
from .protocol import Job
from .standins import submission_names


class AnswerError(Exception):
    """An answer misbehaved; the message is meant for the learner."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Namespaces:
    """The names each puzzle's answer sees, from one run of the submission's top level."""

    def __init__(self, job: Job, jax: Any, path: str) -> None:
        self.job = job
        self.jax = jax
        self.path = path
        self.puzzles = {p.id: p for p in job.puzzles}
        self.module: dict[str, Any] = {}
        self._givens: dict[str, dict[str, Any]] = {}
        self._after: dict[str, dict[str, Any]] = {}  # the names after each puzzle's cell
        self._again: list[ast.stmt] = []  # puzzle-less statements to run with givens
        self._failed: dict[str, tuple[int, str]] = {}  # name -> (line, why) it is missing
        self._scopes: dict[str, dict[str, Any]] = {}
        self._flags = 0

    # ------------------------------------------------------------ running

    def run(self, source: str) -> None:
        """Run the top level; AnswerError when it does not parse or a `.py` file's
        statement fails (other than on a puzzle's name)."""
        self.module = {"__name__": "submission", "__file__": self.path}
        self.module["__builtins__"] = __builtins__
        self.module.update(submission_names(self.jax))
        try:
            tree = ast.parse(source, self.path)
        except SyntaxError as exc:
            text = (exc.text or "").rstrip("\n")
            where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
            detail = f": {text.strip()}" if text.strip() else ""
            raise AnswerError(f"syntax error at {where}: {exc.msg}{detail}", exc.lineno) from None
        given = {n for p in self.job.puzzles for n in (*p.dims, *p.givens, "f")}
        for owner, body in self._runs(tree):
            if owner is not None:
                self.module.update(self.givens(owner))
            for stmt in body:
                error = self._exec(stmt, self.module)
                if error is None:
                    continue
                needs_givens = isinstance(error, NameError) and (
                    error.name in given or error.name in self._failed
                )
                if owner is None and not needs_givens:
                    raise AnswerError(
                        f"the submission failed while loading: {describe(error)}",
                        self.line_of(error) or stmt.lineno,
                    )
                if owner is None:
                    self._again.append(stmt)
                self._set_aside(stmt, error)
            if owner is not None:
                self._after[owner] = dict(self.module)

    def _runs(self, tree: ast.Module) -> list[tuple[str | None, list[ast.stmt]]]:
        """The statements in runs that share a puzzle (None: no givens), in order."""
        scopes = self.job.scopes
        runs: list[tuple[str | None, list[ast.stmt]]] = []
        for stmt in tree.body:
            owner = next((p for first, last, p in scopes if first <= stmt.lineno <= last), None)
            owner = owner if owner in self.puzzles else None
            if runs and runs[-1][0] == owner:
                runs[-1][1].append(stmt)
            else:
                runs.append((owner, [stmt]))
        return runs

    def _exec(self, stmt: ast.stmt, names: dict[str, Any]) -> BaseException | None:
        """Run one statement in `names`; the exception it raised, if any."""
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__future__, alias.name, None)
                self._flags |= getattr(feature, "compiler_flag", 0)
        module = ast.Module(body=[stmt], type_ignores=[])
        try:
            code = compile(module, self.path, "exec", flags=self._flags, dont_inherit=True)
            exec(code, names)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included
            return exc
        return None

    def _set_aside(self, stmt: ast.stmt, error: BaseException) -> None:
        why = describe(error)
        for name in _assigned(stmt):
            self._failed.setdefault(name, (stmt.lineno, why))

    # ------------------------------------------------------------ names

    def givens(self, pid: str) -> dict[str, Any]:
        """The puzzle's dims, givens and `f` (which gives no derivatives: see `opaque`)."""
        if pid not in self._givens:
            spec = self.puzzles[pid]
            names = puzzle_names(
                dims=spec.dims,
                givens=spec.givens,
                f=spec.f,
                arg_names=[i.name for i in spec.inputs],
                jax=self.jax,
                filename=spec.source,
            )
            names["f"] = opaque(names["f"], self.jax)
            self._givens[pid] = names
        return self._givens[pid]

    def of(self, pid: str) -> dict[str, Any]:
        """The names the puzzle's answer sees (see the module's docstring)."""
        if pid not in self._scopes:
            names = dict(self._after.get(pid, self.module))
            names.update(self.givens(pid))
            for stmt in self._again:
                self._exec(stmt, names)  # a failure is named if an answer needs it
            for key, value in list(names.items()):
                if isinstance(value, types.FunctionType) and value.__globals__ is self.module:
                    names[key] = rebind(value, names)
            self._scopes[pid] = names
        return self._scopes[pid]

    def bound(self, fn: Any, pid: str) -> Any:
        """`fn` with the puzzle's names as its globals, if the submission defined it."""
        if isinstance(fn, types.FunctionType) and fn.__globals__ is self.module:
            return rebind(fn, self.of(pid))
        return fn

    def why_missing(self, exc: BaseException) -> str:
        """For a NameError on a name whose statement failed: which and why, else ""."""
        name = getattr(exc, "name", None)
        if not isinstance(exc, NameError) or name not in self._failed:
            return ""
        line, why = self._failed[name]
        return f" ({name} is set at line {line}, which failed: {why})"

    def line_of(self, exc: BaseException | None) -> int | None:
        """The last line of the submission on the traceback of `exc`."""
        if exc is None:
            return None
        if isinstance(exc, SyntaxError) and exc.filename == self.path:
            return exc.lineno
        line = None
        for frame, lineno in traceback.walk_tb(exc.__traceback__):
            if frame.f_code.co_filename == self.path:
                line = lineno
        return line


def _assigned(stmt: ast.stmt) -> list[str]:
    """The top-level names a statement defines."""
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [stmt.name]
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        return [(a.asname or a.name).split(".")[0] for a in stmt.names]
    targets: list[ast.expr] = []
    if isinstance(stmt, ast.Assign):
        targets = list(stmt.targets)
    elif isinstance(stmt, (ast.AnnAssign, ast.AugAssign)):
        targets = [stmt.target]
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def rebind(fn: types.FunctionType, scope: dict[str, Any]) -> types.FunctionType:
    """The same function (code, defaults, closure) with `scope` as its globals."""
    new = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def describe(exc: BaseException) -> str:
    """`NameError: name 'Os' is not defined`: the exception's kind and first line."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
