"""Running a traced computation with numpy instead of compiling it; answer-process side.

A submission's traceable answers are traced together once (a jaxpr) and run at a few
points. Compiling that jaxpr with XLA costs far more than running it: lowering it to
XLA's language and generating machine code took about half of an answer process's
CPU time, for a program run three times on arrays of a few dozen numbers. Here each
operation of the jaxpr is done by numpy instead, as XLA defines it.

Only what is known to agree with XLA's result is done here: the operations answers
use (arithmetic, comparisons, selection, indexing, reshaping, reductions, sorting,
products), on numbers, bools and integers. Anything else, and any case where XLA's
behaviour is its own (an integer divided by zero, a float that does not fit the
integer it is converted to, an unstable sort with ties, a loop that runs long),
raises
`Unsupported`, and the caller compiles the same jaxpr with XLA as before. Values then
agree with XLA's up to rounding: transcendental functions and sums may differ in the
last bit or so, as they do between XLA's own releases.

Runs inside the jailed answer process only; it executes nothing but numpy.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

MAX_LOOP = 10_000  # iterations of a `while` run here; a longer loop is XLA's to run
# Operations done here in one run: numpy pays microseconds for each where compiled code
# pays nanoseconds, so a long computation (loops, mostly) is XLA's to run. A whole
# submission's answers are a few thousand at most.
MAX_OPERATIONS = 20_000


class Unsupported(Exception):
    """This computation (or this input to it) is left to XLA."""


def run(closed: Any, args: Sequence[Any]) -> list[np.ndarray]:
    """The outputs of a closed jaxpr at `args`, computed with numpy; Unsupported if
    any part of it is not done here."""
    if closed.jaxpr.effects:
        raise Unsupported("effects")
    consts = [_array(c) for c in closed.consts]
    _DONE[0] = 0
    with np.errstate(all="ignore"):
        return _eval(closed.jaxpr, consts, [_array(a) for a in args])


_DONE = [0]  # operations done in the current run (the answer process runs one at a time)


def _array(value: Any) -> np.ndarray:
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf" or arr.dtype == np.float16:
        raise Unsupported(f"dtype {arr.dtype}")
    _normal(arr)
    return arr


_TINY = {np.dtype(t): np.finfo(t).tiny for t in (np.float16, np.float32, np.float64)}


def _normal(arr: np.ndarray) -> None:
    """XLA's CPU code flushes subnormal floats to zero, as inputs and as results
    (1e-310 > 0 is false there, exp(-740) is 0): a computation that meets one is
    XLA's to run."""
    if arr.dtype.kind == "f" and arr.size:
        magnitude = np.abs(arr)
        tiny = _TINY.get(arr.dtype) or np.finfo(arr.dtype).tiny
        if np.any((magnitude < tiny) & (magnitude != 0)):
            raise Unsupported("a subnormal float")


def _eval(jaxpr: Any, consts: Sequence[np.ndarray], args: Sequence[np.ndarray]) -> list[Any]:
    env: dict[Any, np.ndarray] = {}

    def read(atom: Any) -> np.ndarray:
        if hasattr(atom, "val"):  # a literal
            literal = np.asarray(atom.val, dtype=_dtype(atom.aval))
            _normal(literal)
            return literal
        return env[atom]

    for var, value in itertools.chain(
        zip(jaxpr.constvars, consts, strict=True), zip(jaxpr.invars, args, strict=True)
    ):
        env[var] = value
    for eqn in jaxpr.eqns:
        _DONE[0] += 1
        if _DONE[0] > MAX_OPERATIONS:
            raise Unsupported("a long computation")
        rule = RULES.get(eqn.primitive.name)
        if rule is None:
            raise Unsupported(eqn.primitive.name)
        ins = [read(v) for v in eqn.invars]
        outs = rule(*ins, **eqn.params)
        if not eqn.primitive.multiple_results:
            outs = [outs]
        for var, out in zip(eqn.outvars, outs, strict=True):
            out = np.asarray(out)
            aval = var.aval
            if out.shape != tuple(aval.shape) or out.dtype != _dtype(aval):
                raise Unsupported(f"{eqn.primitive.name} gave {out.dtype}{list(out.shape)}")
            _normal(out)
            if type(var).__name__ != "DropVar":
                env[var] = out
    return [read(v) for v in jaxpr.outvars]


def _dtype(aval: Any) -> np.dtype[Any]:
    dtype = getattr(aval, "dtype", None)
    if not isinstance(dtype, np.dtype) or dtype.kind not in "biuf" or dtype == np.float16:
        # float16: XLA computes in float32 and rounds where it likes (a cumsum of
        # 4000 float16s differs by percents from numpy's, rounded at each step)
        raise Unsupported(f"dtype {dtype}")
    return dtype


def _closed(closed: Any, *args: np.ndarray) -> list[np.ndarray]:
    return _eval(closed.jaxpr, [_array(c) for c in closed.consts], args)


# ---------------------------------------------------------------- elementwise


def _float_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    def rule(*xs: np.ndarray, accuracy: Any = None) -> Any:
        if accuracy is not None or any(x.dtype.kind != "f" for x in xs):
            raise Unsupported("float function of a non-float")
        return fn(*xs)

    return rule


def _same_kind(fn: Callable[..., Any]) -> Callable[..., Any]:
    def rule(x: np.ndarray, y: np.ndarray, out_dtype: Any = None) -> Any:
        if x.dtype != y.dtype or out_dtype is not None:
            raise Unsupported("operands or result of different types")
        return fn(x, y)

    return rule


def _division(floats: Callable[..., Any], integers: Callable[..., Any]) -> Callable[..., Any]:
    """`div` or `rem`: `floats` on floats; on integers, `integers` where XLA's result is
    defined (see `_integer_division_defined`)."""

    def rule(x: np.ndarray, y: np.ndarray) -> Any:
        if x.dtype != y.dtype:
            raise Unsupported("operands of different types")
        if x.dtype.kind == "f":
            return floats(x, y)
        if x.dtype.kind == "b":
            raise Unsupported("boolean division")
        _integer_division_defined(x, y)
        return integers(x, y)

    return rule


def _truncated_quotient(x: np.ndarray, y: np.ndarray) -> Any:
    """XLA truncates toward zero; floor_divide rounds down: one more where they differ."""
    quotient = np.floor_divide(x, y)
    inexact = (np.remainder(x, y) != 0) & ((x < 0) != (y < 0))
    return (quotient + inexact.astype(x.dtype)).astype(x.dtype)


def _integer_division_defined(x: np.ndarray, y: np.ndarray) -> None:
    """XLA gives integer division by zero (and MIN / -1) values of its own."""
    if np.any(y == 0):
        raise Unsupported("integer division by zero")
    if x.dtype.kind == "i" and np.any((x == np.iinfo(x.dtype).min) & (y == -1)):
        raise Unsupported("integer division overflow")


def _sign(x: np.ndarray) -> Any:
    if x.dtype.kind == "f":  # XLA keeps NaN and the sign of a zero
        return np.where((x == 0) | np.isnan(x), x, np.copysign(np.ones_like(x), x))
    if x.dtype.kind == "b":
        raise Unsupported("sign of a bool")
    return np.sign(x)


def _pow(x: np.ndarray, y: np.ndarray) -> Any:
    if x.dtype.kind != "f" or y.dtype != x.dtype:
        raise Unsupported("pow of non-floats")
    return np.power(x, y)


def _integer_pow(x: np.ndarray, y: int) -> np.ndarray:
    """x**y by the products jax's own lowering makes (so the rounding is XLA's)."""
    if x.dtype.kind == "b":
        raise Unsupported("power of a bool")
    if y == 0:
        return np.ones_like(x)
    if y < 0 and x.dtype.kind != "f":
        raise Unsupported("negative power of an integer")
    acc = None
    base = x
    n = abs(y)
    while n > 0:
        if n & 1:
            acc = base if acc is None else np.multiply(acc, base)
        n >>= 1
        if n > 0:
            base = np.multiply(base, base)
    assert acc is not None
    return np.true_divide(np.ones_like(acc), acc) if y < 0 else acc


def _exp2(x: np.ndarray) -> Any:
    out = np.exp2(x)
    if np.any(np.isinf(out) & np.isfinite(x)):  # XLA's gives the largest float at 1024
        raise Unsupported("exp2 at the edge of the range")
    return out


def _not(x: np.ndarray) -> Any:
    return np.logical_not(x) if x.dtype.kind == "b" else np.invert(x)


def _round(x: np.ndarray, rounding_method: Any = 0) -> Any:
    if x.dtype.kind != "f" or int(rounding_method) != 1:  # 1: to nearest even
        raise Unsupported("round away from zero")
    return np.rint(x)


def _convert(x: np.ndarray, new_dtype: Any, weak_type: bool = False, sharding: Any = None) -> Any:
    target = np.dtype(new_dtype)
    if target.kind not in "biuf":
        raise Unsupported(f"dtype {target}")
    if target.kind == "b":
        return x != 0
    if x.dtype.kind == "f" and target.kind in "iu":
        info = np.iinfo(target)
        # XLA saturates and sends NaN to 0; inside the range both truncate
        if not np.all(np.isfinite(x)) or np.any(x <= info.min - 1) or np.any(x >= info.max + 1):
            raise Unsupported("float out of the integer's range")
    return x.astype(target)


def _maximum(x: np.ndarray, y: np.ndarray) -> Any:
    """XLA's max: NaN if either is, and 0.0 above -0.0 (numpy's gives the second of
    two zeros)."""
    out = np.maximum(x, y)
    if out.dtype.kind == "f":
        zeros = (x == 0) & (y == 0)
        if np.any(zeros):
            out = np.where(zeros, x + y, out)  # -0.0 only if both are
    return out


def _minimum(x: np.ndarray, y: np.ndarray) -> Any:
    """XLA's min: NaN if either is, and -0.0 below 0.0."""
    out = np.minimum(x, y)
    if out.dtype.kind == "f":
        zeros = (x == 0) & (y == 0)
        if np.any(zeros):
            out = np.where(zeros, -(-x - y), out)  # 0.0 only if both are
    return out


def _clamp(low: np.ndarray, x: np.ndarray, high: np.ndarray) -> Any:
    if low.dtype != x.dtype or high.dtype != x.dtype:
        raise Unsupported("clamp of different types")
    return _minimum(_maximum(x, low), high)


def _select_n(which: np.ndarray, *cases: np.ndarray) -> np.ndarray:
    if which.dtype.kind == "b":
        if len(cases) != 2:
            raise Unsupported("select_n on a bool with more than two cases")
        return np.where(which, cases[1], cases[0])
    if np.any((which < 0) | (which >= len(cases))):
        raise Unsupported("select_n index out of range")
    return np.choose(which, cases)


def _copy(x: np.ndarray, **_: Any) -> np.ndarray:
    return np.array(x)


# ---------------------------------------------------------------- shapes


def _broadcast_in_dim(
    x: np.ndarray, shape: Sequence[int], broadcast_dimensions: Sequence[int], sharding: Any = None
) -> np.ndarray:
    expanded = [1] * len(shape)
    for axis, dim in enumerate(broadcast_dimensions):
        expanded[dim] = x.shape[axis]
    return np.broadcast_to(x.reshape(expanded), tuple(shape))


def _reshape(
    x: np.ndarray, new_sizes: Sequence[int], dimensions: Any = None, sharding: Any = None
) -> np.ndarray:
    if dimensions is not None:
        raise Unsupported("reshape with dimensions")
    return x.reshape(tuple(new_sizes))


def _squeeze(x: np.ndarray, dimensions: Sequence[int]) -> np.ndarray:
    return np.squeeze(x, axis=tuple(dimensions))


def _transpose(x: np.ndarray, permutation: Sequence[int]) -> np.ndarray:
    return np.transpose(x, tuple(permutation))


def _rev(x: np.ndarray, dimensions: Sequence[int]) -> np.ndarray:
    return np.flip(x, axis=tuple(dimensions)) if dimensions else x


def _pad(x: np.ndarray, value: np.ndarray, padding_config: Sequence[Any]) -> np.ndarray:
    """lax.pad: `interior` copies of the value between elements, then `low` and `high`
    on each side (negative: cut off)."""
    for axis, (low, high, interior) in enumerate(padding_config):
        low, high, interior = int(low), int(high), int(interior)
        if interior < 0:
            raise Unsupported("negative interior padding")
        n = x.shape[axis]
        if interior and n > 1:
            shape = list(x.shape)
            shape[axis] = n + (n - 1) * interior
            spread = np.full(shape, value, dtype=x.dtype)
            index = [slice(None)] * x.ndim
            index[axis] = slice(None, None, interior + 1)
            spread[tuple(index)] = x
            x = spread
        widths = [(0, 0)] * x.ndim
        widths[axis] = (max(low, 0), max(high, 0))
        x = np.pad(x, widths, constant_values=value)
        index = [slice(None)] * x.ndim
        index[axis] = slice(max(-low, 0), x.shape[axis] - max(-high, 0))
        if x.shape[axis] - max(-high, 0) < max(-low, 0):
            raise Unsupported("padding that cuts off more than the array")
        x = x[tuple(index)]
    return x


def _concatenate(*xs: np.ndarray, dimension: int) -> np.ndarray:
    return np.concatenate(xs, axis=dimension)


def _slice(
    x: np.ndarray,
    start_indices: Sequence[int],
    limit_indices: Sequence[int],
    strides: Sequence[int] | None = None,
) -> np.ndarray:
    steps = strides or [1] * x.ndim
    return x[
        tuple(slice(s, e, k) for s, e, k in zip(start_indices, limit_indices, steps, strict=True))
    ]


def _starts(x: np.ndarray, indices: Sequence[np.ndarray], sizes: Sequence[int]) -> list[int]:
    """XLA clamps a dynamic slice's start so that the slice fits."""
    return [
        min(max(int(i), 0), dim - size)
        for i, dim, size in zip(indices, x.shape, sizes, strict=True)
    ]


def _dynamic_slice(x: np.ndarray, *indices: np.ndarray, slice_sizes: Sequence[int]) -> np.ndarray:
    if len(indices) != x.ndim:
        raise Unsupported("dynamic slice with dynamic sizes")
    starts = _starts(x, indices, slice_sizes)
    return x[tuple(slice(s, s + n) for s, n in zip(starts, slice_sizes, strict=True))]


def _dynamic_update_slice(x: np.ndarray, update: np.ndarray, *indices: np.ndarray) -> np.ndarray:
    if len(indices) != x.ndim:
        raise Unsupported("dynamic update with dynamic sizes")
    starts = _starts(x, indices, update.shape)
    out = np.array(x)
    out[tuple(slice(s, s + n) for s, n in zip(starts, update.shape, strict=True))] = update
    return out


def _iota(dtype: Any, shape: Sequence[int], dimension: int, sharding: Any = None) -> np.ndarray:
    line = np.arange(shape[dimension], dtype=np.dtype(dtype))
    expanded = [1] * len(shape)
    expanded[dimension] = shape[dimension]
    return np.broadcast_to(line.reshape(expanded), tuple(shape))


def _stack(*xs: np.ndarray, axis: int) -> np.ndarray:
    return np.stack(xs, axis=axis)


def _split(x: np.ndarray, sizes: Sequence[int], axis: int) -> list[np.ndarray]:
    return np.split(x, np.cumsum(sizes)[:-1], axis=axis)


# ---------------------------------------------------------------- reductions


def _reduction(fn: Callable[..., Any], kinds: str) -> Callable[..., Any]:
    def rule(x: np.ndarray, axes: Sequence[int], out_sharding: Any = None) -> Any:
        if x.dtype.kind not in kinds:
            raise Unsupported("reduction of this type")
        return fn(x, axis=tuple(axes))

    return rule


def _sum(x: np.ndarray, axis: tuple[int, ...]) -> Any:
    return np.sum(x, axis=axis, dtype=x.dtype)


def _prod(x: np.ndarray, axis: tuple[int, ...]) -> Any:
    return np.prod(x, axis=axis, dtype=x.dtype)


def _max(x: np.ndarray, axis: tuple[int, ...]) -> Any:
    if x.size == 0:
        raise Unsupported("max of nothing")
    out = np.max(x, axis=axis)
    if x.dtype.kind == "f":  # a zero is 0.0 where any of those it was chosen from is
        out = np.where(out == 0, np.where(np.any(_positive_zero(x), axis=axis), 0.0, -0.0), out)
    return out.astype(x.dtype)


def _min(x: np.ndarray, axis: tuple[int, ...]) -> Any:
    if x.size == 0:
        raise Unsupported("min of nothing")
    out = np.min(x, axis=axis)
    if x.dtype.kind == "f":  # a zero is -0.0 where any of those it was chosen from is
        out = np.where(out == 0, np.where(np.any(_negative_zero(x), axis=axis), -0.0, 0.0), out)
    return out.astype(x.dtype)


def _positive_zero(x: np.ndarray) -> Any:
    return (x == 0) & ~np.signbit(x)


def _negative_zero(x: np.ndarray) -> Any:
    return (x == 0) & np.signbit(x)


def _cummax(x: np.ndarray, axis: int) -> Any:
    out = np.maximum.accumulate(x, axis=axis)
    if x.dtype.kind == "f":
        seen = np.logical_or.accumulate(_positive_zero(x), axis=axis)
        out = np.where(out == 0, np.where(seen, 0.0, -0.0), out).astype(x.dtype)
    return out


def _cummin(x: np.ndarray, axis: int) -> Any:
    out = np.minimum.accumulate(x, axis=axis)
    if x.dtype.kind == "f":
        seen = np.logical_or.accumulate(_negative_zero(x), axis=axis)
        out = np.where(out == 0, np.where(seen, -0.0, 0.0), out).astype(x.dtype)
    return out


def _arg(fn: Callable[..., Any]) -> Callable[..., Any]:
    def rule(x: np.ndarray, axes: Sequence[int], index_dtype: Any) -> np.ndarray:
        if len(axes) != 1 or x.shape[axes[0]] == 0 or x.dtype.kind == "b":
            raise Unsupported("arg reduction")
        return np.asarray(fn(x, axis=axes[0])).astype(np.dtype(index_dtype))

    return rule


def _cumulative(fn: Callable[..., Any]) -> Callable[..., Any]:
    def rule(x: np.ndarray, axis: int, reverse: bool = False) -> np.ndarray:
        if x.dtype.kind == "b":
            raise Unsupported("cumulative of bools")
        if reverse:
            return np.flip(fn(np.flip(x, axis), axis), axis)
        return np.asarray(fn(x, axis))

    return rule


def _sort(*operands: np.ndarray, dimension: int, is_stable: bool, num_keys: int) -> list[Any]:
    if num_keys != 1:
        raise Unsupported("sort on several keys")
    keys = operands[0]
    # jax compares float keys with -0.0 made 0.0 and every NaN one NaN, last: numpy's
    # order, in which equal keys keep their places when the sort is stable
    if not is_stable and len(operands) > 1 and _has_ties(keys, dimension):
        raise Unsupported("unstable sort with ties")
    order = np.argsort(keys, axis=dimension, kind="stable")
    return [np.take_along_axis(op, order, axis=dimension) for op in operands]


def _has_ties(keys: np.ndarray, dimension: int) -> bool:
    """Equal keys, NaNs among them (jax's comparison makes every NaN one)."""
    ordered = np.sort(keys, axis=dimension)
    if keys.dtype.kind == "f" and np.any(np.sum(np.isnan(keys), axis=dimension) > 1):
        return True
    return bool(np.any(np.diff(ordered, axis=dimension) == 0))


def _dot_general(
    lhs: np.ndarray,
    rhs: np.ndarray,
    dimension_numbers: Any,
    precision: Any = None,
    preferred_element_type: Any = None,
    out_sharding: Any = None,
    **_: Any,
) -> Any:
    (lc, rc), (lb, rb) = dimension_numbers
    if lhs.dtype != rhs.dtype or lhs.dtype.kind == "b":
        raise Unsupported("dot of different types")
    if preferred_element_type is not None and np.dtype(preferred_element_type) != lhs.dtype:
        raise Unsupported("dot with another result type")
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    left = [next(letters) for _ in range(lhs.ndim)]
    right = [next(letters) for _ in range(rhs.ndim)]
    for a, b in itertools.chain(zip(lc, rc, strict=True), zip(lb, rb, strict=True)):
        right[b] = left[a]
    batch = [left[a] for a in lb]
    free_l = [left[a] for a in range(lhs.ndim) if a not in lc and a not in lb]
    free_r = [right[b] for b in range(rhs.ndim) if b not in rc and b not in rb]
    spec = f"{''.join(left)},{''.join(right)}->{''.join(batch + free_l + free_r)}"
    # large products go through BLAS (as XLA's do through Eigen), small ones directly
    return np.einsum(spec, lhs, rhs, optimize=lhs.size * rhs.size > 1 << 16)


# ---------------------------------------------------------------- indexing


def _gather(
    operand: np.ndarray,
    indices: np.ndarray,
    *,
    dimension_numbers: Any,
    slice_sizes: Sequence[int],
    mode: Any,
    fill_value: Any = None,
    **_: Any,
) -> np.ndarray:
    """XLA's gather, the index vector on the last axis of `indices` (as jax makes it)."""
    dn = dimension_numbers
    mode_name = getattr(mode, "name", str(mode))
    if indices.dtype.kind not in "iu" or indices.ndim == 0:
        raise Unsupported("gather indices")
    if indices.dtype == np.uint64 and np.any(indices > np.iinfo(np.int64).max):
        raise Unsupported("gather indices beyond int64")  # they would wrap below zero
    batch_shape = indices.shape[:-1]
    count = math.prod(batch_shape)
    flat = indices.reshape(count, indices.shape[-1]).astype(np.int64)
    sizes = np.asarray(slice_sizes, dtype=np.int64)
    dims = np.asarray(operand.shape, dtype=np.int64)
    starts = np.zeros((count, operand.ndim), dtype=np.int64)
    starts[:, list(dn.start_index_map)] = flat
    if dn.operand_batching_dims:
        coords = np.indices(batch_shape).reshape(len(batch_shape), count).T
        for op_dim, idx_dim in zip(
            dn.operand_batching_dims, dn.start_indices_batching_dims, strict=True
        ):
            starts[:, op_dim] = coords[:, idx_dim]
    if mode_name not in ("PROMISE_IN_BOUNDS", "CLIP", "FILL_OR_DROP"):
        raise Unsupported(f"gather mode {mode_name}")
    upper = dims - sizes
    inside = np.all((starts >= 0) & (starts <= upper), axis=1)
    # XLA's gather clamps each start so that the slice fits (PROMISE_IN_BOUNDS and
    # CLIP); FILL_OR_DROP then replaces the slices that did not fit
    starts = np.clip(starts, 0, np.maximum(upper, 0))
    offsets = np.indices(tuple(slice_sizes)).reshape(operand.ndim, -1).T  # (slice, rank)
    where = starts[:, None, :] + offsets[None, :, :]
    values = operand[tuple(where[..., d] for d in range(operand.ndim))]
    values = values.reshape(*batch_shape, *slice_sizes)
    dropped = set(dn.collapsed_slice_dims) | set(dn.operand_batching_dims)
    nb = len(batch_shape)
    keep = [nb + d for d in range(operand.ndim) if d not in dropped]
    if any(slice_sizes[d] != 1 for d in dropped):
        raise Unsupported("collapsed slice of more than one element")
    values = values.reshape(*batch_shape, *(values.shape[k] for k in keep))
    rank = nb + len(keep)
    offset_dims = list(dn.offset_dims)
    if len(offset_dims) != len(keep):
        raise Unsupported("gather offset dims")
    batch_positions = [p for p in range(rank) if p not in offset_dims]
    order = [0] * rank
    for k, p in enumerate(batch_positions):
        order[p] = k
    for k, p in enumerate(offset_dims):
        order[p] = nb + k
    values = np.transpose(values, order)
    if mode_name == "FILL_OR_DROP" and not np.all(inside):
        fill = _fill_value(operand.dtype, fill_value)
        mask = inside.reshape(batch_shape)
        mask = np.expand_dims(mask, tuple(offset_dims)) if offset_dims else mask
        values = np.where(mask, values, fill)
    return values


def _fill_value(dtype: np.dtype[Any], fill_value: Any) -> Any:
    if fill_value is not None:
        return np.asarray(fill_value, dtype=dtype)
    if dtype.kind == "f":
        return np.asarray(np.nan, dtype=dtype)
    if dtype.kind == "b":
        return np.asarray(True)
    info = np.iinfo(dtype)
    return np.asarray(info.min if dtype.kind == "i" else info.max, dtype=dtype)


# ---------------------------------------------------------------- calls and control


def _call(*args: np.ndarray, jaxpr: Any, **_: Any) -> list[np.ndarray]:
    return _closed(jaxpr, *args)


def _custom_jvp(*args: np.ndarray, call_jaxpr: Any, **_: Any) -> list[np.ndarray]:
    return _closed(call_jaxpr, *args)


def _custom_vjp(*args: np.ndarray, **params: Any) -> list[np.ndarray]:
    closed = params.get("call_jaxpr", params.get("fun_jaxpr"))
    if closed is None:
        raise Unsupported("custom_vjp_call without its jaxpr")
    return _closed(closed, *args)


def _cond(index: np.ndarray, *args: np.ndarray, branches: Sequence[Any], **_: Any) -> Any:
    which = int(index)
    if not 0 <= which < len(branches):  # XLA runs the last branch
        which = len(branches) - 1
    return _closed(branches[which], *args)


def _while(
    *args: np.ndarray,
    cond_jaxpr: Any,
    body_jaxpr: Any,
    cond_nconsts: int,
    body_nconsts: int,
) -> list[np.ndarray]:
    cond_consts = args[:cond_nconsts]
    body_consts = args[cond_nconsts : cond_nconsts + body_nconsts]
    carry = list(args[cond_nconsts + body_nconsts :])
    for _ in range(MAX_LOOP):
        (go,) = _closed(cond_jaxpr, *cond_consts, *carry)
        if not bool(go):
            return carry
        carry = _closed(body_jaxpr, *body_consts, *carry)
    raise Unsupported("a long loop")


def _scan(
    *args: np.ndarray,
    jaxpr: Any,
    length: int,
    reverse: bool,
    num_consts: int,
    num_carry: int,
    **_: Any,
) -> list[np.ndarray]:
    if length > MAX_LOOP:
        raise Unsupported("a long loop")
    consts = args[:num_consts]
    carry = list(args[num_consts : num_consts + num_carry])
    xs = args[num_consts + num_carry :]
    ys: list[list[np.ndarray]] = []
    steps = range(length - 1, -1, -1) if reverse else range(length)
    for i in steps:
        out = _closed(jaxpr, *consts, *carry, *(x[i] for x in xs))
        carry, y = out[:num_carry], out[num_carry:]
        ys.append(y)
    if reverse:
        ys.reverse()
    avals = jaxpr.out_avals[num_carry:]
    stacked = [
        np.stack([y[k] for y in ys]) if ys else np.zeros((0, *a.shape), dtype=_dtype(a))
        for k, a in enumerate(avals)
    ]
    return [*carry, *stacked]


RULES: dict[str, Callable[..., Any]] = {
    "add": _same_kind(np.add),
    "sub": _same_kind(np.subtract),
    "mul": _same_kind(np.multiply),
    "div": _division(np.true_divide, _truncated_quotient),
    # fmod: the sign of the dividend, as C and XLA, for floats and integers alike
    "rem": _division(np.fmod, np.fmod),
    "max": _same_kind(_maximum),
    "min": _same_kind(_minimum),
    "pow": _pow,
    "integer_pow": _integer_pow,
    "square": lambda x: np.multiply(x, x),
    "atan2": _float_only(np.arctan2),
    "nextafter": _float_only(np.nextafter),
    "and": _same_kind(np.bitwise_and),
    "or": _same_kind(np.bitwise_or),
    "xor": _same_kind(np.bitwise_xor),
    "not": _not,
    "eq": _same_kind(np.equal),
    "ne": _same_kind(np.not_equal),
    "lt": _same_kind(np.less),
    "le": _same_kind(np.less_equal),
    "gt": _same_kind(np.greater),
    "ge": _same_kind(np.greater_equal),
    "neg": np.negative,
    "sign": _sign,
    "abs": np.abs,
    "floor": _float_only(np.floor),
    "ceil": _float_only(np.ceil),
    "round": _round,
    "is_finite": _float_only(np.isfinite),
    "exp": _float_only(np.exp),
    "exp2": _float_only(_exp2),
    "log": _float_only(np.log),
    "log1p": _float_only(np.log1p),
    "expm1": _float_only(np.expm1),
    "sin": _float_only(np.sin),
    "cos": _float_only(np.cos),
    "tan": _float_only(np.tan),
    "asin": _float_only(np.arcsin),
    "acos": _float_only(np.arccos),
    "atan": _float_only(np.arctan),
    "sinh": _float_only(np.sinh),
    "cosh": _float_only(np.cosh),
    "tanh": _float_only(np.tanh),
    "asinh": _float_only(np.arcsinh),
    "acosh": _float_only(np.arccosh),
    "atanh": _float_only(np.arctanh),
    "sqrt": _float_only(np.sqrt),
    "cbrt": _float_only(np.cbrt),
    "logistic": _float_only(lambda x: 1 / (1 + np.exp(-x))),
    "convert_element_type": _convert,
    "clamp": _clamp,
    "select_n": _select_n,
    "copy": _copy,
    "copy_p": _copy,
    "stop_gradient": _copy,
    "broadcast_in_dim": _broadcast_in_dim,
    "reshape": _reshape,
    "squeeze": _squeeze,
    "transpose": _transpose,
    "rev": _rev,
    "pad": _pad,
    "concatenate": _concatenate,
    "slice": _slice,
    "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice,
    "iota": _iota,
    "split": _split,
    "stack": _stack,
    "reduce_sum": _reduction(_sum, "iuf"),
    "reduce_prod": _reduction(_prod, "iuf"),
    "reduce_max": _reduction(_max, "biuf"),
    "reduce_min": _reduction(_min, "biuf"),
    "reduce_and": _reduction(np.all, "b"),
    "reduce_or": _reduction(np.any, "b"),
    "argmax": _arg(np.argmax),
    "argmin": _arg(np.argmin),
    "cumsum": _cumulative(lambda x, axis: np.cumsum(x, axis=axis, dtype=x.dtype)),
    "cumprod": _cumulative(lambda x, axis: np.cumprod(x, axis=axis, dtype=x.dtype)),
    "cummax": _cumulative(_cummax),
    "cummin": _cumulative(_cummin),
    "sort": _sort,
    "dot_general": _dot_general,
    "gather": _gather,
    "jit": _call,
    "pjit": _call,
    "custom_jvp_call": _custom_jvp,
    "custom_vjp_call": _custom_vjp,
    "cond": _cond,
    "while": _while,
    "scan": _scan,
}
