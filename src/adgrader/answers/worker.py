"""The answer process: runs a submission's answers and sends back plain arrays.

This module runs only in the child interpreter that `sandbox` starts; the grading
process never imports a submission. Protocol: the job is `job.json` in the working
folder; requests arrive as JSON lines on one pipe (`{"op": "eval", ...}`), events
leave as JSON lines on another; arrays travel as `.npz` files (never pickle).
"""

from __future__ import annotations

import json
import math
import os
import sys
import traceback
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..spec.scope import puzzle_names
from . import guard
from .backward import (
    Context,
    ScalarFunction,
    class_methods,
    is_class_answer,
    one_hots,
    split_gradients,
    stack_rows,
)
from .guard import AutodiffMonitor
from .indexfn import IndexFnError, jacobian_from_index_fn
from .standins import notebook_array
from .standins import torch as torch_stand_in

MAX_ENTRIES = 5_000_000


class AnswerError(Exception):
    """An answer misbehaved; the message is meant for the learner."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Annotation:
    """Stands in for jaxtyping's `Shaped[Array, "..."]` so notebook signatures load as written."""

    def __class_getitem__(cls, item: Any) -> type[_Annotation]:
        return cls


class Runner:
    """Loads one submission and evaluates its answers on request."""

    def __init__(self, workdir: Path, events: TextIO) -> None:
        self.workdir = workdir
        self.events = events
        self.job = json.loads((workdir / "job.json").read_text())
        self.path = self.job["submission"]
        self.puzzles = {p["id"]: p for p in self.job["puzzles"]}
        self.module: dict[str, Any] = {}
        self.load_error: AnswerError | None = None
        self._names: dict[str, dict[str, Any]] = {}
        self.monitor: AutodiffMonitor | None = None
        self._jitted: dict[tuple[str, int, bool], Any] = {}
        self._untraceable: dict[tuple[str, int, bool], bool] = {}

    def send(self, **event: Any) -> None:
        self.events.write(json.dumps(event) + "\n")
        self.events.flush()

    # ------------------------------------------------------------ loading

    def start_jax(self) -> None:
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
        import jax

        jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
        if self.job.get("cache_dir"):
            from ..caches import use_jax_cache

            use_jax_cache(jax, Path(self.job["cache_dir"]))
        self.jax = jax

    def load(self) -> None:
        """Execute the submission once, in a fresh module namespace."""
        jnp = self.jax.numpy
        self.module = {
            "__name__": "submission",
            "__file__": self.path,
            "__builtins__": __builtins__,
            "np": jnp,
            "math": math,
            "Shaped": _Annotation,
            "Float": _Annotation,
            "Array": self.jax.Array,
            "torch": torch_stand_in,
            "Context": Context,
            "ScalarFunction": ScalarFunction,
            "Function": ScalarFunction,
        }
        try:
            source = Path(self.path).read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            self.load_error = AnswerError(f"the file is not UTF-8 text (byte {exc.start})")
            return
        except OSError as exc:
            self.load_error = AnswerError(f"cannot read the submission: {exc.strerror}")
            return
        try:
            code = compile(source, self.path, "exec")
        except SyntaxError as exc:
            text = (exc.text or "").rstrip("\n")
            where = f"line {exc.lineno}" + (f", column {exc.offset}" if exc.offset else "")
            detail = f": {text.strip()}" if text.strip() else ""
            self.load_error = AnswerError(f"syntax error at {where}: {exc.msg}{detail}", exc.lineno)
            return
        folder = str(Path(self.path).resolve().parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)
        try:
            exec(code, self.module)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt included: report, go on
            self.load_error = AnswerError(
                f"the submission failed while loading: {describe(exc)}", self.line_of(exc)
            )

    def find_answers(self) -> dict[str, dict[str, Any]]:
        """For each puzzle: which function answers it, in which form, at which line."""
        found: dict[str, dict[str, Any]] = {}
        for pid, spec in self.puzzles.items():
            candidates = []
            for form in self.job["forms"]:
                for name in spec["names"][form]:
                    if callable(self.module.get(name)):
                        candidates.append((form, name))
                        break
            if candidates:
                form, name = candidates[0]
                line = self.def_line(self.module[name])
                ignored = [n for _, n in candidates[1:]]
                found[pid] = {"form": form, "name": name, "line": line, "ignored": ignored}
        return found

    # ------------------------------------------------------------ evaluating

    def names_for(self, pid: str) -> dict[str, Any]:
        if pid not in self._names:
            spec = self.puzzles[pid]
            self._names[pid] = puzzle_names(
                dims=spec["dims"],
                givens=spec["givens"],
                f=spec["f"],
                arg_names=[i["name"] for i in spec["inputs"]],
                jax=self.jax,
                filename=spec["source"],
            )
        return self._names[pid]

    def bound(self, fn: Any, pid: str) -> Any:
        """`fn` with the puzzle's givens and `f` visible, whatever else the file defines."""
        if not isinstance(fn, types.FunctionType):
            return fn
        scope = dict(self.module)
        scope.update(self.names_for(pid))
        new = types.FunctionType(fn.__code__, scope, fn.__name__, fn.__defaults__, fn.__closure__)
        new.__kwdefaults__ = fn.__kwdefaults__
        return new

    def evaluate(
        self, pid: str, answer: dict[str, Any], points: dict[str, np.ndarray]
    ) -> dict[str, np.ndarray]:
        spec = self.puzzles[pid]
        fn = self.bound(self.module[answer["name"]], pid)
        inputs = [i["name"] for i in spec["inputs"]]
        count = len(points[inputs[0]])
        arrays: dict[str, np.ndarray] = {}
        args: list[Any]
        for k in range(count):
            if answer["form"] == "backward":
                xs = [points[n][k] for n in inputs]
                found = self.call_backward(pid, fn, answer["name"], spec, xs, points["g"][k])
                arrays.update({f"{n}_{k}": arr for n, arr in found.items()})
                continue
            if answer["form"] == "jac":
                args = [self.jax.numpy.asarray(points[n][k]) for n in inputs]
                jacs = self.call_jac(pid, fn, args, answer["name"], inputs)
            else:
                args = [notebook_array(points[n][k]) for n in inputs]
                jacs = self.call_fb(fn, args, answer["name"], spec)
            for n, arr in jacs.items():
                arrays[f"{n}_{k}"] = arr
        return arrays

    def call_jac(
        self, pid: str, fn: Callable[..., Any], args: list[Any], name: str, inputs: list[str]
    ) -> dict[str, np.ndarray]:
        value = self.compiled(pid, fn, args)
        if value is None:
            value = self.guarded(fn, args, name)
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
        self, fn: Callable[..., Any], args: list[Any], name: str, spec: dict[str, Any]
    ) -> dict[str, np.ndarray]:
        inputs = spec["inputs"]
        value = self.guarded(fn, args, name)
        want = 1 + len(inputs)
        shape = ", ".join(["f"] + ["d" + i["name"] for i in inputs])
        if not isinstance(value, (tuple, list)) or len(value) != want:
            got = (
                f"{len(value)} values"
                if isinstance(value, (tuple, list))
                else describe_value(value)
            )
            raise AnswerError(f"{name} must return ({shape}), got {got}")
        out: dict[str, np.ndarray] = {}
        out_shape = tuple(spec["out_shape"])
        for inp, dfn in zip(inputs, value[1:], strict=True):
            label = "d" + inp["name"]
            if not callable(dfn):
                raise AnswerError(
                    f"{name}: {label} must be a function (lambda), got {describe_value(dfn)}"
                )
            self.check_arity(dfn, label, inp["index"], spec["out_index"])
            try:
                arr = jacobian_from_index_fn(
                    dfn, tuple(inp["shape"]), out_shape, inp["index"], spec["out_index"]
                )
            except IndexFnError as exc:
                line = self.line_of(exc.__cause__) or self.def_line(dfn)
                raise AnswerError(f"{label} {exc}", line) from None
            out[inp["name"]] = to_array(arr, f"{label} gave")
        return out

    def call_backward(
        self, pid: str, obj: Any, name: str, spec: dict[str, Any], xs: list[Any], g: Any
    ) -> dict[str, np.ndarray]:
        """Gradients for the point's `g` (`vjp_x`, ...), the Jacobians rebuilt from
        one-hot `g`s (`x`, ...) when the job asks, and for a class `forward`'s value."""
        inputs = [i["name"] for i in spec["inputs"]]
        out_shape = tuple(spec["out_shape"])
        cotangents = [np.asarray(g), *(one_hots(out_shape) if spec["reconstruct"] else [])]
        value = None
        if is_class_answer(obj):
            value, rows = self.run_class(pid, obj, name, spec, xs, cotangents)
        else:
            rows = self.run_vjp(pid, obj, name, xs, cotangents)
        out = {f"vjp_{n}": grad for n, grad in zip(inputs, rows[0], strict=True)}
        if len(rows) > 1:
            for j, n in enumerate(inputs):
                jac = stack_rows([row[j] for row in rows[1:]], out_shape)
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
        spec: dict[str, Any],
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
        jnp = self.jax.numpy

        def plain(a: Any) -> Any:
            return float(a) if spec["scalar"] else jnp.asarray(a)

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
        xs: list[Any],
        cotangents: list[np.ndarray],
    ) -> list[tuple[np.ndarray, ...]]:
        """`vjp_<id>(*inputs, g)` for every `g`: all at once, mapped over `g` and
        compiled, when the answer allows it; else one call per `g`."""
        jnp = self.jax.numpy
        spec = self.puzzles[pid]
        args = [jnp.asarray(x) for x in xs]
        stacked = np.stack(cotangents)
        batched = self.compiled(pid, fn, [*args, stacked], map_last=True)
        count = len(spec["inputs"])
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
            value = self.compiled(pid, fn, [*args, jnp.asarray(g)])
            if value is None:
                value = self.guarded(fn, [*args, jnp.asarray(g)], name)
            rows.append(self.gradients(value, name, spec))
        return rows

    def gradients(self, value: Any, name: str, spec: dict[str, Any]) -> tuple[np.ndarray, ...]:
        """One float64 array per input from a backward's return value."""
        inputs = [i["name"] for i in spec["inputs"]]
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

        Compiling costs one (cached) compilation per answer instead of one per jax
        operation. An answer that is not traceable (Python control flow on values,
        numpy conversions, non-array results) raises here and is run eagerly instead,
        where its own error, if any, is what the learner sees. `map_last` maps the
        answer over the first axis of its last argument.
        """
        key = (pid, id(getattr(fn, "__code__", fn)), map_last)
        if self._untraceable.get(key):
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
            self._untraceable[key] = True
            return None

    def guarded(self, fn: Callable[..., Any], args: list[Any], name: str) -> Any:
        try:
            return fn(*args)
        except BaseException as exc:
            line = self.line_of(exc) or self.def_line(fn)
            raise AnswerError(f"{name} raised {describe(exc)}", line) from None

    def check_arity(self, fn: Any, label: str, in_index: list[str], out_index: list[str]) -> None:
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

    # ------------------------------------------------------------ serving

    def protect(self) -> None:
        """Limits and guards, in place before any submission code runs."""
        limits = self.job.get("limits", {})
        self.monitor = AutodiffMonitor(self.jax) if self.job.get("forbid_autodiff") else None
        if self.monitor is not None:
            self.monitor.protect()
        guard.limit_resources(
            memory_bytes=int(limits.get("memory_mb", 2048)) * 1024 * 1024,
            cpu_seconds=int(limits.get("cpu_seconds", 600)),
            file_bytes=int(limits.get("file_mb", 64)) * 1024 * 1024,
        )
        writable = [self.workdir]
        if self.job.get("cache_dir"):
            writable.append(Path(self.job["cache_dir"]))
        guard.install_audit_hook(writable)

    def serve(self, requests: TextIO) -> None:
        self.start_jax()
        self.protect()
        self.send(event="ready")
        self.load()
        answers = {} if self.load_error else self.find_answers()
        self.send(
            event="loaded",
            answers=answers,
            error=str(self.load_error) if self.load_error else None,
            line=self.load_error.line if self.load_error else None,
        )
        for line in requests:
            request = json.loads(line)
            if request.get("op") != "eval":
                break
            self.handle(request, answers)

    def handle(self, request: dict[str, Any], answers: dict[str, Any]) -> None:
        seq, pid = request["seq"], request["id"]
        self.send(event="start", seq=seq)
        answer = answers.get(pid)
        if answer is None:
            self.send(event="result", seq=seq, status="missing")
            return
        with np.load(self.workdir / request["points"], allow_pickle=False) as data:
            points = {k: data[k] for k in data.files}
        if self.monitor is not None:
            self.monitor.used.clear()
        failure: AnswerError | None = None
        try:
            arrays = self.evaluate(pid, answer, points)
        except AnswerError as exc:
            failure = exc
        except BaseException as exc:  # never let an answer end the answer process quietly
            failure = AnswerError(f"{answer['name']} failed: {describe(exc)}", self.line_of(exc))
        if self.monitor is not None and (self.monitor.used or not self.monitor.intact()):
            line = failure.line if failure else answer.get("line")
            self.send(
                event="result",
                seq=seq,
                status="autodiff",
                line=line,
                message=f"{answer['name']} used jax's automatic differentiation, "
                "which the no-autodiff rule forbids",
            )
            return
        if failure is not None:
            self.send(
                event="result", seq=seq, status="error", message=str(failure), line=failure.line
            )
            return
        out = f"r{seq}.npz"
        np.savez(self.workdir / out, **arrays)  # type: ignore[arg-type]
        self.send(event="result", seq=seq, status="ok", file=out)


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


def describe_value(value: Any) -> str:
    if value is None:
        return "None"
    if isinstance(value, str):
        shown = value if len(value) <= 30 else value[:27] + "..."
        return f"a string {shown!r}"
    return f"a {type(value).__name__}"


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    if len(first) > 200:
        first = first[:197] + "..."
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def main() -> None:
    """Entry point of the answer process: `python -I -c ... WORKDIR REQUEST_FD EVENT_FD`."""
    workdir, request_fd, event_fd = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    os.chdir(workdir)
    events = os.fdopen(event_fd, "w", encoding="utf-8")
    requests = os.fdopen(request_fd, "r", encoding="utf-8")
    Runner(workdir, events).serve(requests)
    events.flush()
    os._exit(0)
