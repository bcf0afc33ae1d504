"""Running a submission's answers in each form; answer-process side only.

`Submission` executes the file once, finds which definition answers each puzzle,
and calls it at the points the grading side sends: a `jac` function (compiled with
jax when it allows, else eagerly), a `dx` index lambda (turned into the whole
Jacobian), or a backward pass (a class with forward/backward, or `vjp_<id>`). Each
answer, and every function of the file it calls, runs with its own puzzle's givens
and `f`, as each notebook cell did.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from . import interpret
from .backward import (
    Context,
    class_methods,
    is_class_answer,
    one_hots,
    split_gradients,
    stack_rows,
)
from .indexfn import IndexFnError, jacobian_from_index_fn
from .namespaces import AnswerError, Namespaces, describe
from .protocol import MAX_ENTRIES, Found, Job, PuzzleJob
from .standins import notebook_array

Arrays = dict[str, np.ndarray]
# Under `disable_jit` a learner's own `jax.jit` would run its function as plain Python
# (with static arguments it could not have), and jax's loops (`lax.scan`, `fori_loop`,
# `while_loop`, `lax.map`) would unroll, step by step, while tracing: a file that names
# either is traced as it is written.
INLINE_JIT_UNLESS = ("jit", "lax")
# Points a traced computation is run at with numpy (`TracedRunner`); at more, compiled.
# Grading runs 3 points and a puzzle's probes by default.
INTERPRET_RUNS = 12


class Submission:
    """One submission, loaded once, its answers evaluated on request."""

    def __init__(self, job: Job, jax: Any, path: str) -> None:
        self.job = job
        self.jax = jax
        self.path = path
        self.puzzles = {p.id: p for p in job.puzzles}
        self.names = Namespaces(job, jax, path)
        self.lines: list[str] = []
        self.inline_jit = False  # see `fused`
        self._jitted: dict[tuple[str, int, bool], Any] = {}
        self._untraceable: set[tuple[str, int, bool]] = set()

    @property
    def module(self) -> dict[str, Any]:
        return self.names.module

    def load(self, source: str) -> None:
        """Run the submission's top level (see `namespaces`); AnswerError if it cannot."""
        self.lines = source.split("\n")
        self.inline_jit = not any(word in source for word in INLINE_JIT_UNLESS)
        self.names.run(source)

    def bound(self, fn: Any, pid: str) -> Any:
        return self.names.bound(fn, pid)

    def line_of(self, exc: BaseException | None) -> int | None:
        return self.names.line_of(exc)

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
                answer = self.module[name]
                forward = getattr(answer, "forward", None) if isinstance(answer, type) else None
                found[pid] = Found(
                    form=form,
                    name=name,
                    line=self.def_line(answer),
                    ignored=tuple(n for _, n in candidates[1:]),
                    forward_line=self.def_line(forward) if forward is not None else None,
                )
        return found

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
        """Several answers at their points, in order: every `jac` and `vjp_<id>` answer
        that traces is compiled together with the others, once (one compilation
        instead of one per answer); the rest run one by one, as `evaluate`.
        """
        fused = self.fused(items)
        for k, (pid, answer, points) in enumerate(items):
            try:
                values = fused.get(k)
                if values is None:
                    yield self.evaluate(pid, answer, points)
                elif answer.form == "jac":
                    inputs = [i.name for i in self.puzzles[pid].inputs]
                    tree = self.jax.tree
                    yield [
                        self.jac_arrays(tree.map(np.asarray, value), answer.name, inputs)
                        for value in values
                    ]
                else:
                    yield self.fused_backward(pid, answer, points, values)
            except AnswerError as exc:
                yield exc

    def fused(self, items: list[tuple[str, Found, Arrays]]) -> dict[int, list[Any]]:
        """The `jac` and `vjp_<id>` answers among `items` that trace, traced as one
        computation and run once per point: item number -> its value at each point.
        An answer that does not trace is left out (it runs on its own, where its error
        is reported).

        Each answer is traced at one point's shapes, as `evaluate` calls it (a
        `vjp_<id>` mapped over its `g`s, as `run_vjp` calls it), and the computation
        is run again for every point (items with fewer points repeat their last one,
        its values dropped): no answer is mapped over a batch of points, whose
        tracing cost about as much as compiling. The traced computation runs with
        numpy where `interpret` does all of it, else compiled by XLA (`TracedRunner`).

        The functions of jax.numpy that are compiled computations of their own
        (`where`, `floor_divide`, `remainder`, indexing, ...) are traced inline
        (`disable_jit`): each would otherwise be traced as a computation of its
        own, about half the cost of tracing a submission, for the same operations.
        Not for a file that names `jit` or `lax` (see `INLINE_JIT_UNLESS`).
        """
        chosen: list[tuple[int, Any, list[Any], int]] = []
        for k, (pid, answer, points) in enumerate(items):
            spec = self.puzzles[pid]
            fn = self.module[answer.name]
            inputs = [points[i.name] for i in spec.inputs]
            if answer.form == "backward" and not is_class_answer(fn):
                gs = [np.stack(point_cotangents(spec, g)) for g in points["g"]]
                fn = self.jax.vmap(self.bound(fn, pid), in_axes=(None,) * len(inputs) + (0,))
                chosen.append((k, fn, [*inputs, gs], len(gs)))
            elif answer.form == "jac":
                chosen.append((k, self.bound(fn, pid), inputs, len(inputs[0])))
        if not chosen:
            return {}
        traced: set[int] = set()

        def together(*groups: Any) -> list[Any]:
            outs = []
            for (k, fn, _, _), group in zip(chosen, groups, strict=True):
                try:
                    outs.append(fn(*group))
                    traced.add(k)
                except BaseException:  # not traceable: it runs alone, and says why there
                    outs.append(None)
            return outs

        rounds = max(count for _, _, _, count in chosen)
        args = [
            [[a[min(j, count - 1)] for a in inputs] for _, _, inputs, count in chosen]
            for j in range(rounds)
        ]
        inline = self.jax.disable_jit() if self.inline_jit else contextlib.nullcontext()
        try:
            with inline:
                closed, shapes = self.jax.make_jaxpr(together, return_shape=True)(*args[0])
            tree = self.jax.tree.structure(shapes)
            runner = TracedRunner(self.jax, closed, rounds)
            runs = [tree.unflatten(runner(self.jax.tree.leaves(a))) for a in args]
        except BaseException:
            return {}
        return {
            k: [run[n] for run in runs[:count]]
            for n, (k, _, _, count) in enumerate(chosen)
            if k in traced
        }

    def fused_backward(
        self, pid: str, answer: Found, points: Arrays, values: list[Any]
    ) -> list[Arrays]:
        """A `vjp_<id>` answer's arrays at each point from its values mapped over the
        `g`s; if any is not what `run_vjp` takes at once, the answer runs as
        `evaluate` runs it, which says what is wrong."""
        spec = self.puzzles[pid]
        fn = self.bound(self.module[answer.name], pid)
        inputs = [i.name for i in spec.inputs]
        count = len(point_cotangents(spec, points["g"][0]))
        rows = [self.vjp_rows(value, answer.name, spec, count) for value in values]
        if any(r is None for r in rows):
            return self.evaluate(pid, answer, points)
        return [
            self.call_backward(
                pid, fn, answer.name, spec, [points[n][k] for n in inputs], points["g"][k], r
            )
            for k, r in enumerate(rows)
        ]

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
        self,
        pid: str,
        obj: Any,
        name: str,
        spec: PuzzleJob,
        xs: list[Any],
        g: Any,
        rows: list[tuple[np.ndarray, ...]] | None = None,
    ) -> Arrays:
        """Gradients for the point's `g` (`vjp_x`, ...), the Jacobians rebuilt from
        one-hot `g`s (`x`, ...) when the job asks, and for a class `forward`'s value.
        `rows`: a `vjp_<id>`'s gradients for each of `cotangents`, already computed."""
        inputs = [i.name for i in spec.inputs]
        value = None
        if rows is None and is_class_answer(obj):
            value, rows = self.run_class(pid, obj, name, spec, xs, point_cotangents(spec, g))
        elif rows is None:
            rows = self.run_vjp(pid, obj, name, spec, xs, point_cotangents(spec, g))
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
        at_once = self.vjp_rows(batched, name, spec, len(cotangents))
        if at_once is not None:
            return at_once
        rows = []
        for g in cotangents:
            value = self.compiled(pid, fn, [*args, device_put(g)])
            if value is None:
                value = self.guarded(fn, [*args, device_put(g)], name)
            rows.append(self.gradients(value, name, spec))
        return rows

    def vjp_rows(
        self, batched: Any, name: str, spec: PuzzleJob, count: int
    ) -> list[tuple[np.ndarray, ...]] | None:
        """The gradients for each of `count` `g`s from a `vjp_<id>`'s value mapped
        over them; None (run it once per `g` instead) unless that value is one array
        per input with a row per `g`."""
        parts = split_gradients(batched, len(spec.inputs)) if batched is not None else None
        if parts is None:
            return None
        try:
            arrays = [to_array(p, f"{name} returned") for p in parts]
        except AnswerError:
            return None
        if arrays and all(a.shape[:1] == (count,) for a in arrays):
            return [tuple(a[r] for a in arrays) for r in range(count)]
        return None

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
            why = self.names.why_missing(exc)
            raise AnswerError(f"{name} raised {describe(exc)}{why}", line) from None

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
        if code is None or code.co_filename != self.path:
            return None
        line: int = code.co_firstlineno  # a decorated function's starts at its decorator
        while line <= len(self.lines) and self.lines[line - 1].lstrip().startswith("@"):
            line += 1
        return line


class TracedRunner:
    """Runs one traced computation (a closed jaxpr) at each point it is given: with
    numpy where `interpret` does all of it, else compiled by XLA, once, as `jax.jit`
    would have compiled it. Either way what runs is the traced computation, never
    the answers' Python again."""

    def __init__(self, jax: Any, closed: Any, runs: int = 1) -> None:
        self.jax = jax
        self.closed = closed
        self.compiled: Any = None
        # numpy pays for every run, XLA's compile once: past a few runs (many
        # `--points`), compiling costs less
        self.interpret = runs <= INTERPRET_RUNS

    def __call__(self, args: list[Any]) -> list[Any]:
        # once compiled, XLA runs every later point: numpy would redo, at each, the
        # work it gave up on (up to `interpret.MAX_OPERATIONS` operations) before XLA
        if self.compiled is None and self.interpret:
            try:
                return interpret.run(self.closed, args)
            except Exception:  # left to XLA (see `interpret`), or a fault of the interpreter's
                pass
        if self.compiled is None:
            from jax.extend.core import jaxpr_as_fun

            self.compiled = self.jax.jit(jaxpr_as_fun(self.closed))
        return list(self.compiled(*args))


def point_cotangents(spec: PuzzleJob, g: Any) -> list[np.ndarray]:
    """The `g`s a backward answer is called with at one point: the point's own, then
    the one-hot ones that rebuild the Jacobian when the job asks for it."""
    return [np.asarray(g), *(one_hots(spec.out_shape) if spec.reconstruct else [])]


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
