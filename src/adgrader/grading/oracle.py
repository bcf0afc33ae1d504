"""The oracle: float64 `jax.jacfwd` of a puzzle's own `f`, checked against finite differences.

This is the only module of the grading side that imports jax, and it does so lazily.
Each puzzle compiles one function that, at a point, returns the Jacobians, `f`
itself and central finite differences (one point at a time: batching the points
would add a layer to every traced operation and cost more to trace and compile than
the calls it saves); a point where the Jacobians and the
differences disagree sits on a kink or a tie and is redrawn. What a backward answer
must return, the vector-Jacobian product with the point's upstream gradient `g`, is
`g` contracted with the Jacobian: what `jax.vjp` computes (jax's reverse mode is the
transpose of its forward rules), without tracing and compiling it a second time.

Compiling is most of a first run's time and XLA does it without Python's lock, so
`prepare` traces every puzzle here while a thread compiles the ones already traced.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import caches
from ..errors import Problem, SpecError
from ..spec import Puzzle
from ..spec.scope import FieldError, names_of
from ..xla import compile_quickly
from .sampling import Draws, Point, cotangents, probe_points

FD_STEP = 1e-6
FD_RTOL = 1e-4
MAX_REDRAWS = 50

Jacobians = dict[str, np.ndarray]


def init_jax(cache: Path | None = None) -> Any:
    """Import jax on the CPU with float64, quick compiles and a persistent compilation
    cache."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    compile_quickly()
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]
    if caches.trusted():  # compiled code no answer process can have written
        caches.use_jax_cache(jax, cache or caches.cache_dir(caches.JAX_ORACLE))
    return jax


@dataclass
class Oracle:
    """The expected Jacobians of one puzzle at sampled points (its function compiled by
    a thread; `evaluate` waits for it)."""

    puzzle: Puzzle
    _compiled: Future[Any]

    @classmethod
    def build(cls, puzzle: Puzzle) -> Oracle:
        """Trace and lower the puzzle's function here; compile it in the background."""
        jax = init_jax()
        jnp = jax.numpy
        try:
            names = names_of(puzzle, jax)
        except Exception as exc:
            where = exc.field if isinstance(exc, FieldError) else ()
            raise SpecError(
                [Problem(puzzle.source, None, f"givens or f fail to evaluate: {exc}", where)]
            ) from exc
        f = names["f"]
        _check_output(puzzle, f, jax)
        argnums = tuple(range(len(puzzle.inputs)))
        out_shape = puzzle.out_shape

        def with_value(*args: Any) -> tuple[Any, Any]:
            out = f(*args)
            return out, out

        def one_point(*args: Any) -> tuple[Any, Any, Any]:
            jacs, value = jax.jacfwd(with_value, argnums=argnums, has_aux=True)(*args)
            fds = []
            for k, a in enumerate(args):
                basis = (jnp.eye(a.size, dtype=a.dtype) * FD_STEP).reshape((a.size, *a.shape))

                def moved(d: Any, k: int = k) -> Any:
                    return f(*(b + d if j == k else b for j, b in enumerate(args)))

                diff = (jax.vmap(moved)(basis) - jax.vmap(moved)(-basis)) / (2 * FD_STEP)
                fds.append(jnp.moveaxis(diff, 0, -1).reshape(out_shape + a.shape))
            return jacs, tuple(fds), value

        specs = [jax.ShapeDtypeStruct(i.shape, jnp.float64) for i in puzzle.inputs]
        try:
            lowered = jax.jit(one_point).trace(*specs).lower()
        except Exception as exc:
            raise SpecError(
                [Problem(puzzle.source, None, f"f fails on sample inputs: {exc}", ("f",))]
            ) from exc
        return cls(puzzle, _compiler().submit(lowered.compile))

    def evaluate(self, points: list[Point]) -> list[Expected]:
        """What is expected at each point, and whether finite differences agree there."""
        names = self.puzzle.arg_names
        found: list[Expected] = []
        for point in points:
            args = [np.asarray(point[n], dtype=np.float64) for n in names]
            try:
                jacs, fds, value = self._compiled.result()(*args)
            except Exception as exc:
                raise SpecError(
                    [Problem(self.puzzle.source, None, f"f fails on sample inputs: {exc}", ("f",))]
                ) from exc
            jac = {n: np.asarray(j) for n, j in zip(names, jacs, strict=True)}
            g = point["g"]
            found.append(
                Expected(
                    jac=jac,
                    value=np.asarray(value),
                    vjp={n: np.tensordot(g, jac[n], axes=g.ndim) for n in names},
                    agrees=all(
                        _close(np.asarray(d), jac[n]) for d, n in zip(fds, names, strict=True)
                    ),
                )
            )
        return found


_COMPILER: ThreadPoolExecutor | None = None


def _compiler() -> ThreadPoolExecutor:
    """The thread that compiles oracles while the next puzzle is traced: one is enough
    to keep up with tracing, and leaves the other cores to the answer processes."""
    global _COMPILER
    if _COMPILER is None:
        _COMPILER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="adgrader-oracle")
    return _COMPILER


def _check_output(puzzle: Puzzle, f: Callable[..., Any], jax: Any) -> None:
    """`f` must trace at the declared input shapes to the declared output shape."""
    specs = [jax.ShapeDtypeStruct(i.shape, jax.numpy.float64) for i in puzzle.inputs]
    try:
        out = jax.eval_shape(f, *specs)
    except Exception as exc:
        raise SpecError(
            [Problem(puzzle.source, None, f"f fails at the declared input shapes: {exc}", ("f",))]
        ) from exc
    shape = tuple(getattr(out, "shape", ()))
    if shape != puzzle.out_shape:
        raise SpecError(
            [
                Problem(
                    puzzle.source,
                    None,
                    f"f returns shape {shape}, but `output` declares {puzzle.out_shape}",
                    ("output",),
                )
            ]
        )


def _close(fd: np.ndarray, jac: np.ndarray) -> bool:
    scale = float(np.max(np.abs(jac))) if jac.size else 0.0
    if not np.all(np.isfinite(jac)) or not np.all(np.isfinite(fd)):
        return False
    return bool(np.all(np.abs(fd - jac) <= FD_RTOL * (scale + np.abs(jac)) + 1e-300))


@dataclass
class Expected:
    """The oracle at one point: the Jacobians, `f`, and `jax.vjp` with the point's `g`."""

    jac: Jacobians
    value: np.ndarray
    vjp: Jacobians
    agrees: bool = True  # whether central finite differences agree with the Jacobians


@dataclass
class Sample:
    """The points a puzzle is graded at and what the oracle expects there."""

    points: list[Point]
    expected: list[Expected]
    redrawn: list[int]
    kinked_probes: list[int] = field(default_factory=list)  # probes where jacfwd and FD differ


def first_points(puzzle: Puzzle, seed: int, k: int) -> list[Point]:
    """The K first draws and the probes: what answers first run at."""
    return _draw(puzzle, seed, k)[0]


def _draw(puzzle: Puzzle, seed: int, k: int) -> tuple[list[Point], Draws]:
    """The first points (each with its `g`) and the draws they came from, which
    redraws continue."""
    draws = Draws(puzzle, seed, k)
    points = [draws.point(j) for j in range(k)] + probe_points(puzzle)
    for point, g in zip(points, cotangents(puzzle, seed, len(points)), strict=True):
        point["g"] = g
    return points, draws


_ORACLES: dict[str, Oracle] = {}  # by the puzzle's spec key
# Samples kept in memory, the most recently used last: a batch or a watch grades the
# same puzzles many times; a long-lived grader given many seeds keeps only the newest.
_SAMPLES: OrderedDict[tuple[str, int, int], Sample] = OrderedDict()
KEPT_SAMPLES = 512
_LOCK = threading.Lock()  # threads grading side by side share the oracle


def prepare(puzzles: Sequence[Puzzle], seed: int, k: int) -> None:
    """Build the oracles of the puzzles whose results at these points are not known
    yet (see `build_ahead`), so that `sample` finds them compiled or compiling."""
    with _LOCK:
        unknown = [
            p
            for p in puzzles
            if (caches.spec_key(p), seed, k) not in _SAMPLES
            and not caches.oracle_ready([p], seed, k)
        ]
    build_ahead(unknown)


def build_ahead(puzzles: Sequence[Puzzle]) -> None:
    """Build each puzzle's oracle, one after the other: each compiles in the background
    while the next is traced. One that cannot be built is left for `sample` or
    `compute_sample` to report, in its turn."""
    with _LOCK:
        for puzzle in puzzles:
            with contextlib.suppress(SpecError):
                _oracle(puzzle)


def _oracle(puzzle: Puzzle) -> Oracle:
    key = caches.spec_key(puzzle)
    if key not in _ORACLES:
        _ORACLES[key] = Oracle.build(puzzle)
    return _ORACLES[key]


def sample(puzzle: Puzzle, seed: int, k: int) -> Sample:
    """Grade points and their expected Jacobians, redrawing points at kinks or ties.

    A redrawn point is drawn again in its own strata from the same seeded generator
    (see `sampling`), so a seed fixes every point and redraws keep the coverage. Fixed
    probes are kept as the puzzle's author chose them. Results are kept for the life of
    the process (a batch or a watch grades the same puzzles many times).
    """
    key = (caches.spec_key(puzzle), seed, k)
    with _LOCK:
        if key not in _SAMPLES:
            stored = caches.results_path(puzzle, seed, k)
            found = _load(stored, puzzle, k) if stored else None
            if found is None:
                found = compute_sample(puzzle, seed, k)
                if stored:
                    _save(stored, found)
            _SAMPLES[key] = found
            while len(_SAMPLES) > KEPT_SAMPLES:
                _SAMPLES.popitem(last=False)
        _SAMPLES.move_to_end(key)
        return _SAMPLES[key]


def _save(path: Path, found: Sample) -> None:
    arrays: dict[str, np.ndarray] = {"redrawn": np.asarray(found.redrawn, dtype=np.int64)}
    for j, (point, expected) in enumerate(zip(found.points, found.expected, strict=True)):
        arrays.update({f"point_{name}_{j}": value for name, value in point.items()})
        arrays.update({f"jac_{name}_{j}": value for name, value in expected.jac.items()})
        arrays.update({f"vjp_{name}_{j}": value for name, value in expected.vjp.items()})
        arrays[f"value_{j}"] = expected.value
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]
    caches.store(path, buffer.getvalue())


def _load(path: Path, puzzle: Puzzle, k: int) -> Sample | None:
    count = k + len(puzzle.probes)
    stored = caches.read_results(path)
    if stored is None:
        return None
    try:
        names = (*puzzle.arg_names, "g")
        with np.load(stored, allow_pickle=False) as data:
            points = [{n: data[f"point_{n}_{j}"] for n in names} for j in range(count)]
            expected = [
                Expected(
                    jac={n: data[f"jac_{n}_{j}"] for n in puzzle.arg_names},
                    value=data[f"value_{j}"],
                    vjp={n: data[f"vjp_{n}_{j}"] for n in puzzle.arg_names},
                )
                for j in range(count)
            ]
            redrawn = [int(v) for v in data["redrawn"]]
    except Exception:  # a broken entry (bad CRC, wrong members, ...) is a cache miss
        return None
    shapes_ok = all(
        p[i.name].shape == i.shape
        and e.jac[i.name].shape == puzzle.jac_shape(i.name)
        and e.vjp[i.name].shape == i.shape
        and p["g"].shape == e.value.shape == puzzle.out_shape
        for p, e in zip(points, expected, strict=True)
        for i in puzzle.inputs
    )
    return Sample(points, expected, redrawn) if shapes_ok else None


def compute_sample(puzzle: Puzzle, seed: int, k: int) -> Sample:
    """`sample` without any cache: what `validate` runs to check a puzzle afresh."""
    points, draws = _draw(puzzle, seed, k)
    oracle = _oracle(puzzle)
    expected = oracle.evaluate(points)
    redrawn: set[int] = set()
    for _ in range(MAX_REDRAWS):
        bad = [i for i in range(k) if not expected[i].agrees]
        if not bad:
            kinked = [i for i in range(k, len(points)) if not expected[i].agrees]
            return Sample(points, expected, sorted(redrawn), kinked_probes=kinked)
        for i in bad:
            points[i] = {**draws.point(i), "g": points[i]["g"]}
            redrawn.add(i)
        for i, e in zip(bad, oracle.evaluate([points[i] for i in bad]), strict=True):
            expected[i] = e
    raise SpecError(
        [
            Problem(
                puzzle.source,
                None,
                f"jacfwd and finite differences disagree at {MAX_REDRAWS} draws in a row: "
                "do the bounds sit on a kink of f?",
                ("bounds",),
            )
        ]
    )
