"""Running a submission's answers in each form; answer-process side only.

`Submission` executes the file once, finds which definition answers each puzzle,
and calls it at the points the grading side sends: a `jac` function (compiled with
jax when it allows, else eagerly), a `dx` index lambda (turned into the whole
Jacobian), or a backward pass (a class with forward/backward, or `vjp_<id>`). Each
answer, and every function of the file it calls, runs with its own puzzle's givens
and `f`, as each notebook cell did.
"""

from __future__ import annotations

import ast
import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..spec.scope import puzzle_names
from .backward import (
    Context,
    class_methods,
    is_class_answer,
    one_hots,
    split_gradients,
    stack_rows,
)
from .guard import opaque
from .indexfn import IndexFnError, jacobian_from_index_fn
from .protocol import Found, Job, PuzzleJob
from .standins import notebook_array, submission_names

MAX_ENTRIES = 5_000_000
Arrays = dict[str, np.ndarray]


class AnswerError(Exception):
    """An answer misbehaved; the message is meant for the learner."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class Submission:
    """One submission, loaded once, its answers evaluated on request."""

    def __init__(self, job: Job, jax: Any, path: str) -> None:
        self.job = job
        self.jax = jax
        self.path = path
        self.puzzles = {p.id: p for p in job.puzzles}
        self.module: dict[str, Any] = {}
        self._names: dict[str, dict[str, Any]] = {}
        self._scopes: dict[str, dict[str, Any]] = {}
        self._jitted: dict[tuple[str, int, bool], Any] = {}
        self._untraceable: set[tuple[str, int, bool]] = set()

    # ------------------------------------------------------------ loading

    def load(self, source: str) -> None:
        """Execute the submission's top level once, in a fresh namespace; AnswerError
        if it does not parse or fails. A statement the job assigns to a puzzle (a
        notebook cell's helper) runs with that puzzle's givens, as in the notebook."""
        self.module = {
            "__name__": "submission",
            "__file__": self.path,
            "__builtins__": __builtins__,
        }
        self.module.update(submission_names(self.jax))
        try:
            tree = ast.parse(source, self.path)
        except SyntaxError as exc:
            text = (exc.text or "").rstrip("\n")
            where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
            detail = f": {text.strip()}" if text.strip() else ""
            raise AnswerError(f"syntax error at {where}: {exc.msg}{detail}", exc.lineno) from None
        scopes = dict(self.job.statement_puzzles)
        parts = [tree.body] if not scopes else [[stmt] for stmt in tree.body]
        flags = 0
        try:
            for body in parts:
                owner = scopes.get(body[0].lineno) if body else None
                if owner in self.puzzles:
                    self.module.update(self.names_for(owner))
                flags |= _future_flags(body)
                module = ast.Module(body=body, type_ignores=[])
                exec(
                    compile(module, self.path, "exec", flags=flags, dont_inherit=True), self.module
                )
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: report, go on
            raise AnswerError(
                f"the submission failed while loading: {describe(exc)}", self.line_of(exc)
            ) from None

    def find_answers(self) -> dict[str, Found]:
        """For each puzzle: which definition answers it, in which form, at which line."""
        found: dict[str, Found] = {}
        for pid, spec in self.puzzles.items():
            candidates = []
            for form in self.job.forms:
                for name in spec.names.get(form, ()):
                    if callable(self.module.get(name)):
                        candidates.append((form, name))
                        break
            if candidates:
                form, name = candidates[0]
                line = self.def_line(self.module[name])
                ignored = tuple(n for _, n in candidates[1:])
                found[pid] = Found(form=form, name=name, line=line, ignored=ignored)
        return found

    # ------------------------------------------------------------ scopes

    def names_for(self, pid: str) -> dict[str, Any]:
        """The puzzle's dims, givens and `f` (which gives no derivatives: see `opaque`)."""
        if pid not in self._names:
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
            self._names[pid] = names
        return self._names[pid]

    def scope(self, pid: str) -> dict[str, Any]:
        """The submission's names with the puzzle's on top, every function of the file
        bound to it: an answer, and each helper it calls, sees this puzzle's givens."""
        if pid not in self._scopes:
            scope = dict(self.module)
            scope.update(self.names_for(pid))
            for key, value in list(scope.items()):
                if isinstance(value, types.FunctionType) and value.__globals__ is self.module:
                    scope[key] = rebind(value, scope)
            self._scopes[pid] = scope
        return self._scopes[pid]

    def bound(self, fn: Any, pid: str) -> Any:
        """`fn` with the puzzle's givens and `f` visible, whatever else the file defines."""
        if isinstance(fn, types.FunctionType) and fn.__globals__ is self.module:
            return rebind(fn, self.scope(pid))
        return fn

    # ------------------------------------------------------------ evaluating

    def evaluate(self, pid: str, answer: Found, points: Arrays) -> list[Arrays]:
        """The answer's arrays at each point (`points` stacked on a first axis)."""
        spec = self.puzzles[pid]
        fn = self.bound(self.module[answer.name], pid)
        inputs = [i.name for i in spec.inputs]
        count = len(points[inputs[0]])
        out: list[Arrays] = []
        for k in range(count):
            if answer.form == "backward":
                xs = [points[n][k] for n in inputs]
                out.append(self.call_backward(pid, fn, answer.name, spec, xs, points["g"][k]))
            elif answer.form == "jac":
                args = [self.jax.device_put(points[n][k]) for n in inputs]
                out.append(self.call_jac(pid, fn, args, answer.name, inputs))
            else:
                args = [notebook_array(points[n][k]) for n in inputs]
                out.append(self.call_fb(fn, args, answer.name, spec))
        return out

    def evaluate_many(
        self, items: list[tuple[str, Found, Arrays]]
    ) -> Iterator[list[Arrays] | AnswerError]:
        """Several answers at their points, in order: every `jac` answer that traces is
        compiled together with the others, once, mapped over its points (one
        compilation instead of one per answer); the rest run one by one, as `evaluate`.
        """
        fused = self.fused_jacobians(items)
        for k, (pid, answer, points) in enumerate(items):
            try:
                if k in fused:
                    value, count = fused[k]
                    inputs = [i.name for i in self.puzzles[pid].inputs]
                    yield [
                        self.jac_arrays(
                            self.jax.tree.map(lambda a, j=j: a[j], value), answer.name, inputs
                        )
                        for j in range(count)
                    ]
                else:
                    yield self.evaluate(pid, answer, points)
            except AnswerError as exc:
                yield exc

    def fused_jacobians(self, items: list[tuple[str, Found, Arrays]]) -> dict[int, tuple[Any, int]]:
        """The `jac` answers among `items` that trace, compiled and run as one computation:
        item number -> (value mapped over the points, number of points). An answer that
        does not trace is left out (it runs on its own, where its error is reported)."""
        jax = self.jax
        chosen = []
        for k, (pid, answer, points) in enumerate(items):
            if answer.form == "jac":
                fn = self.bound(self.module[answer.name], pid)
                inputs = [i.name for i in self.puzzles[pid].inputs]
                args = [jax.device_put(points[n]) for n in inputs]
                chosen.append((k, fn, args, len(points[inputs[0]])))
        if len(chosen) < 2:
            return {}
        traced: set[int] = set()

        def together(*groups: Any) -> list[Any]:
            outs = []
            for (k, fn, _, _), group in zip(chosen, groups, strict=True):
                try:
                    outs.append(jax.vmap(fn)(*group))
                    traced.add(k)
                except BaseException:  # not traceable: it runs alone, and says why there
                    outs.append(None)
            return outs

        try:
            values = jax.jit(together)(*[args for _, _, args, _ in chosen])
        except BaseException:
            return {}
        return {
            k: (value, count)
            for (k, _, _, count), value in zip(chosen, values, strict=True)
            if k in traced
        }

    def call_jac(
        self, pid: str, fn: Callable[..., Any], args: list[Any], name: str, inputs: list[str]
    ) -> Arrays:
        value = self.compiled(pid, fn, args)
        if value is None:
            value = self.guarded(fn, args, name)
        return self.jac_arrays(value, name, inputs)

    def jac_arrays(self, value: Any, name: str, inputs: list[str]) -> Arrays:
        """The Jacobians a `jac` answer returned: one array, or one per input."""
        if len(inputs) == 1:
            return {"x": to_array(value, f"{name} returned")}
        if not isinstance(value, (tuple, list)) or len(value) != len(inputs):
            got = (
                f"a {type(value).__name__} of length {len(value)}"
                if isinstance(value, (tuple, list))
                else describe_value(value)
            )
            raise AnswerError(f"{name} must return a pair (d/dx, d/dy), got {got}")
        return {
            n: to_array(v, f"{name} returned for d/d{n}")
            for n, v in zip(inputs, value, strict=True)
        }

    def call_fb(
        self, fn: Callable[..., Any], args: list[Any], name: str, spec: PuzzleJob
    ) -> Arrays:
        value = self.guarded(fn, args, name)
        want = 1 + len(spec.inputs)
        shape = ", ".join(["f"] + ["d" + i.name for i in spec.inputs])
        if not isinstance(value, (tuple, list)) or len(value) != want:
            got = (
                f"{len(value)} values"
                if isinstance(value, (tuple, list))
                else describe_value(value)
            )
            raise AnswerError(f"{name} must return ({shape}), got {got}")
        out: Arrays = {}
        for inp, dfn in zip(spec.inputs, value[1:], strict=True):
            label = "d" + inp.name
            if not callable(dfn):
                raise AnswerError(
                    f"{name}: {label} must be a function (lambda), got {describe_value(dfn)}"
                )
            self.check_arity(dfn, label, inp.index, spec.out_index)
            try:
                arr = jacobian_from_index_fn(
                    dfn, inp.shape, spec.out_shape, inp.index, spec.out_index
                )
            except IndexFnError as exc:
                line = self.line_of(exc.__cause__) or self.def_line(dfn)
                raise AnswerError(f"{label} {exc}", line) from None
            out[inp.name] = to_array(arr, f"{label} gave")
        return out

    def call_backward(
        self, pid: str, obj: Any, name: str, spec: PuzzleJob, xs: list[Any], g: Any
    ) -> Arrays:
        """Gradients for the point's `g` (`vjp_x`, ...), the Jacobians rebuilt from
        one-hot `g`s (`x`, ...) when the job asks, and for a class `forward`'s value."""
        inputs = [i.name for i in spec.inputs]
        cotangents = [np.asarray(g), *(one_hots(spec.out_shape) if spec.reconstruct else [])]
        value = None
        if is_class_answer(obj):
            value, rows = self.run_class(pid, obj, name, spec, xs, cotangents)
        else:
            rows = self.run_vjp(pid, obj, name, spec, xs, cotangents)
        out = {f"vjp_{n}": grad for n, grad in zip(inputs, rows[0], strict=True)}
        if len(rows) > 1:
            for j, n in enumerate(inputs):
                jac = stack_rows([row[j] for row in rows[1:]], spec.out_shape)
                if jac is None:
                    raise AnswerError(
                        f"{name} returned gradients of different shapes for d/d{n} "
                        "as g changed; each must have the shape of the input"
                    )
                out[n] = jac
        if value is not None:
            out["value"] = value
        return out

    def run_class(
        self,
        pid: str,
        cls: type,
        name: str,
        spec: PuzzleJob,
        xs: list[Any],
        cotangents: list[np.ndarray],
    ) -> tuple[np.ndarray, list[tuple[np.ndarray, ...]]]:
        """`forward` with a fresh context, then `backward`, once per `g`.

        Scalar puzzles pass plain Python floats, as the course's scalar functions get.
        """
        methods = class_methods(cls, name)
        if isinstance(methods, str):
            raise AnswerError(methods, self.def_line(cls))
        forward, backward = (self.bound(m, pid) for m in methods)
        device_put = self.jax.device_put

        def plain(a: Any) -> Any:
            return float(a) if spec.scalar else device_put(np.asarray(a, dtype=np.float64))

        args = [plain(x) for x in xs]
        value: np.ndarray | None = None
        rows = []
        for g in cotangents:
            ctx = Context()
            result = self.guarded(forward, [ctx, *args], f"{name}.forward")
            if value is None:
                value = to_array(result, f"{name}.forward returned")
            grads = self.guarded(backward, [ctx, plain(g)], f"{name}.backward")
            rows.append(self.gradients(grads, f"{name}.backward", spec))
        assert value is not None
        return value, rows

    def run_vjp(
        self,
        pid: str,
        fn: Callable[..., Any],
        name: str,
        spec: PuzzleJob,
        xs: list[Any],
        cotangents: list[np.ndarray],
    ) -> list[tuple[np.ndarray, ...]]:
        """`vjp_<id>(*inputs, g)` for every `g`: all at once, mapped over `g` and
        compiled, when the answer allows it; else one call per `g`."""
        device_put = self.jax.device_put
        args = [device_put(x) for x in xs]
        stacked = np.stack(cotangents)
        batched = self.compiled(pid, fn, [*args, device_put(stacked)], map_last=True)
        count = len(spec.inputs)
        parts = split_gradients(batched, count) if batched is not None else None
        if parts is not None:
            try:
                arrays = [to_array(p, f"{name} returned") for p in parts]
            except AnswerError:
                arrays = []
            if arrays and all(a.shape[:1] == (len(cotangents),) for a in arrays):
                return [tuple(a[r] for a in arrays) for r in range(len(cotangents))]
        rows = []
        for g in cotangents:
            value = self.compiled(pid, fn, [*args, device_put(g)])
            if value is None:
                value = self.guarded(fn, [*args, device_put(g)], name)
            rows.append(self.gradients(value, name, spec))
        return rows

    def gradients(self, value: Any, name: str, spec: PuzzleJob) -> tuple[np.ndarray, ...]:
        """One float64 array per input from a backward's return value."""
        inputs = [i.name for i in spec.inputs]
        parts = split_gradients(value, len(inputs))
        if parts is None:
            got = (
                f"{len(value)} values"
                if isinstance(value, (tuple, list))
                else describe_value(value)
            )
            raise AnswerError(
                f"{name} must return one gradient per input ({', '.join(inputs)}), got {got}"
            )
        return tuple(
            to_array(p, f"{name} returned for {n}") for n, p in zip(inputs, parts, strict=True)
        )

    def compiled(
        self, pid: str, fn: Callable[..., Any], args: list[Any], map_last: bool = False
    ) -> Any:
        """The answer run as one compiled jax computation, or None to run it eagerly.

        Compiling costs one compilation per answer instead of one per jax operation.
        An answer that is not traceable (Python control flow on values, numpy
        conversions, non-array results) raises here and is run eagerly instead, where
        its own error, if any, is what the learner sees. `map_last` maps the answer
        over the first axis of its last argument.
        """
        key = (pid, id(getattr(fn, "__code__", fn)), map_last)
        if key in self._untraceable:
            return None
        try:
            if key not in self._jitted:
                mapped = fn
                if map_last:
                    axes = (None,) * (len(args) - 1) + (0,)
                    mapped = self.jax.vmap(fn, in_axes=axes)
                self._jitted[key] = self.jax.jit(mapped)
            return self._jitted[key](*args)
        except BaseException:  # whatever it was, the eager run reports it properly
            self._untraceable.add(key)
            return None

    def guarded(self, fn: Callable[..., Any], args: list[Any], name: str) -> Any:
        try:
            return fn(*args)
        except BaseException as exc:
            line = self.line_of(exc) or self.def_line(fn)
            raise AnswerError(f"{name} raised {describe(exc)}", line) from None

    def check_arity(
        self, fn: Any, label: str, in_index: tuple[str, ...], out_index: tuple[str, ...]
    ) -> None:
        """An index lambda takes the input's index components, then the output's."""
        code = getattr(fn, "__code__", None)
        if not isinstance(fn, types.FunctionType) or code is None or code.co_flags & 0x04:
            return  # not a plain function, or takes *args: let the call decide
        want = len(in_index) + len(out_index)
        if code.co_argcount != want:
            example = ", ".join([*in_index, *out_index])
            raise AnswerError(
                f"{label} takes {code.co_argcount} index argument(s), but this puzzle needs "
                f"{want}: the input's index, then the output's, as in "
                f"`{label} = lambda {example}: ...`",
                self.def_line(fn),
            )

    def def_line(self, fn: Any) -> int | None:
        """The line where `fn` is defined (for a class: its `backward`), if it is
        defined in the submission."""
        if isinstance(fn, type):
            fn = getattr(fn, "backward", None)
        code = getattr(fn, "__code__", None)
        return code.co_firstlineno if code is not None and code.co_filename == self.path else None

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


def _future_flags(body: list[ast.stmt]) -> int:
    """Compiler flags of the `from __future__` imports among these statements."""
    import __future__

    flags = 0
    for stmt in body:
        if isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__":
            for alias in stmt.names:
                feature = getattr(__future__, alias.name, None)
                flags |= getattr(feature, "compiler_flag", 0)
    return flags


def rebind(fn: types.FunctionType, scope: dict[str, Any]) -> types.FunctionType:
    """The same function (code, defaults, closure) with `scope` as its globals."""
    new = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    return new


def to_array(value: Any, what: str) -> np.ndarray:
    """A plain float64 numpy array from an answer's value, or a clear AnswerError."""
    if value is None or isinstance(value, (str, bytes, dict, set)) or callable(value):
        raise AnswerError(f"{what} {describe_value(value)}, not an array of numbers")
    try:
        arr = np.asarray(value)
    except Exception as exc:
        raise AnswerError(
            f"{what} something that is not an array of numbers ({describe(exc)})"
        ) from None
    if arr.dtype.kind == "c":
        raise AnswerError(f"{what} complex numbers; a Jacobian here is real")
    if arr.dtype.kind not in "biuf":
        kind = "ragged or nested lists" if arr.dtype.kind == "O" else f"values of type {arr.dtype}"
        raise AnswerError(f"{what} {kind}, not an array of numbers")
    if arr.size > MAX_ENTRIES:
        raise AnswerError(f"{what} an array of {arr.size:,} entries, far larger than the Jacobian")
    return arr.astype(np.float64)


_KINDS = {
    tuple: "tuple",
    list: "list",
    dict: "dict",
    set: "set",
    int: "whole number",
    float: "number",
    bool: "boolean",
}


def describe_value(value: Any) -> str:
    """What a value is, as a learner would say it: "None", "a string 'abc'", "a tuple"."""
    if value is None:
        return "None"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"a string {shown!r}"
    kind = _KINDS.get(type(value))
    if kind is None:
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple):
            return f"an array of shape {shape}"
        kind = "function" if callable(value) else type(value).__name__
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
