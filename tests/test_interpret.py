"""The numpy interpreter of traced answers agrees with XLA: each program is traced once,
then run by `interpret` and compiled by jax, and the two must give the same arrays
(integers and bools exactly, floats to the last bits); what it does not do the XLA
way it refuses (`Unsupported`), and the caller's XLA run then gives XLA's values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax

from adgrader.answers import evaluate, interpret
from adgrader.answers.evaluate import TracedRunner

jax.config.update("jax_enable_x64", True)  # as in the answer process

X = np.array([0.3, -1.2, 2.5, 0.0, 4.1, -0.7])
Y = np.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])
I4 = np.arange(4)


def idioms(x: Any, y: Any) -> Any:
    """What jac answers are made of: index grids, integer arithmetic, selection."""
    os_ = jnp.arange(6)[:, None]
    is_ = jnp.arange(6)[None, :]
    return (
        1.0 * (os_ == is_),
        (os_ <= is_) * (is_ < os_ + 3) / 3,
        (os_ // 2 == is_ // 2) * x[os_ % 2 * 2 + is_ % 2],
        (-os_) // 4,
        (-os_) % 4,
        jnp.where(x > 0, x, 0.0) ** 3,
        x**-2,
        jnp.sign(x) * jnp.abs(x),
        jnp.clip(x, -1, 1),
        jnp.maximum(x, 0.5) - jnp.minimum(x, -0.5),
        (x > 0) & (x < 3) | (x == 0),
        ~(x > 1),
        x.astype(jnp.int32) * 2,
        (x * 10).astype(jnp.int64),
        jnp.round(x * 3),
        jnp.floor(x) + jnp.ceil(x),
        jnp.fmod(x, 0.7) + jnp.remainder(x, 0.7),
    )


def shapes(x: Any, y: Any) -> Any:
    """Reshaping, slicing, padding, joining and reducing."""
    m = x.reshape(2, 3)
    return (
        m.T,
        jnp.transpose(jnp.stack([m, m * 2]), (2, 0, 1)),
        x[::-1],
        x[1:5:2],
        m[:, 1],
        jnp.pad(m, (1, 2)),
        jnp.pad(m, ((0, 1), (2, 0)), constant_values=7.0),
        lax.pad(x, 0.0, [(-1, 2, 1)]),
        jnp.concatenate([x, x * 2]),
        jnp.expand_dims(m, 0),
        jnp.squeeze(m[None]),
        jnp.sum(m, axis=0),
        jnp.mean(m),
        jnp.prod(m, axis=1),
        jnp.max(m) - jnp.min(m, axis=0),
        jnp.all(m > -5),
        jnp.any(m > 4, axis=1),
        jnp.argmax(x),
        jnp.argmin(m, axis=1),
        jnp.cumsum(x),
        jnp.cumsum(x[::-1])[::-1],
        jnp.cumprod(m, axis=1),
        jnp.split(x, [2, 5]),
        lax.dynamic_slice(x, (jnp.argmax(x),), (3,)),
        lax.dynamic_update_slice(x, jnp.ones(2), (jnp.argmin(x) + 9,)),
        jnp.full((2, 2), 3.0),
        jnp.zeros_like(y),
    )


@jax.custom_vjp
def doubled_sine(x: Any) -> Any:
    return jnp.sin(x) * 2


doubled_sine.defvjp(lambda x: (doubled_sine(x), x), lambda x, g: (2 * g * jnp.cos(x),))


def products(x: Any, y: Any) -> Any:
    """Products, sorting and transcendental functions."""
    m = x.reshape(3, 2)
    return (
        m @ y,
        jnp.dot(x, x),
        jnp.outer(x, x[:3]),
        jnp.einsum("ij,jk->ik", y, m),
        jnp.einsum("bij,bjk->bik", jnp.stack([y, y]), jnp.stack([m, m])),
        jnp.sort(x),
        jnp.argsort(x),
        jnp.argsort(-x, stable=True),
        jnp.argsort(jnp.array([0.0, -0.0, jnp.nan, 1.0, -jnp.nan, 0.0])),
        jnp.sort(jnp.array([0.0, -0.0, jnp.nan, 1.0, -jnp.nan, -1.0])),
        jnp.sin(x) + jnp.cos(x) + jnp.tan(x / 4),
        jnp.exp(x) - jnp.log1p(jnp.abs(x)) + jnp.expm1(x / 10),
        jnp.log(jnp.abs(x) + 1),
        jnp.tanh(x) + jnp.sqrt(jnp.abs(x)) + jnp.arctan2(x, 2.0),
        jax.nn.relu(x),
        jax.nn.sigmoid(x),
        jax.nn.softmax(x) + jax.nn.softplus(x) + jax.nn.gelu(x),
        jnp.linalg.norm(y),
        doubled_sine(x),
        jnp.square(x),
    )


def indexing(x: Any, y: Any) -> Any:
    """Gathers: array indices, negative and out-of-range ones, take with fill."""
    idx = jnp.array([0, 2, -1, 5, 7, -9])
    os_ = jnp.arange(6)[:, None]
    is_ = jnp.arange(3)[None, :]
    padded = jnp.pad(y, (0, 3))
    return (
        x[idx],
        x[jnp.array([[1, 2], [3, 4]])],
        y[jnp.array([1, 0, 1]), jnp.array([2, 2, 0])],
        y[:, jnp.array([2, 0])],
        padded[os_ // 3 - is_ // 2, os_ % 3 - is_ % 2],
        jnp.take(x, jnp.array([1, 9, -2]), mode="fill", fill_value=-1.0),
        jnp.take(x, jnp.array([1, 9, -2]), mode="clip"),
        jnp.take(x, jnp.array([1, 9])),
        y.at[1, jnp.array([0, 2])].get(mode="fill", fill_value=0.5),
        jnp.take_along_axis(y, jnp.array([[2, 0, 1], [0, 0, 2]]), axis=1),
    )


def control(x: Any, y: Any) -> Any:
    """Calls, a vmapped answer, conditionals and a short loop."""

    @jax.jit
    def inner(v: Any) -> Any:
        return v * jnp.arange(v.shape[0])

    def vjp(v: Any, g: Any) -> Any:
        return g[::-1] * v[jnp.arange(3) * 2]

    gs = jnp.eye(3)
    return (
        inner(x),
        jax.vmap(vjp, in_axes=(None, 0))(x, gs),
        jax.vmap(lambda row: row[jnp.array([2, 0])])(y),
        lax.cond(x[0] > 0, lambda v: v * 2, lambda v: v - 1, x),
        lax.switch(7, [lambda v: v, lambda v: -v], x),
        lax.fori_loop(0, 5, lambda k, acc: acc + k * x, jnp.zeros_like(x)),
        lax.scan(lambda c, v: (c + v, c * v), 0.0, x, reverse=True),
        lax.while_loop(lambda c: c[0] < 4, lambda c: (c[0] + 1, c[1] * 2), (0, x)),
    )


PROGRAMS: dict[str, Callable[..., Any]] = {
    "idioms": idioms,
    "shapes": shapes,
    "products": products,
    "indexing": indexing,
    "control": control,
}


def assert_same(mine: Any, xla: Any) -> None:
    ours, theirs = np.asarray(mine), np.asarray(xla)
    assert (ours.dtype, ours.shape) == (theirs.dtype, theirs.shape)
    if ours.dtype.kind == "f":
        np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-300)
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_numpy_gives_what_xla_gives(name: str) -> None:
    program = PROGRAMS[name]
    closed, shape = jax.make_jaxpr(program, return_shape=True)(X, Y)
    mine = interpret.run(closed, [X, Y])
    xla = jax.tree.leaves(jax.jit(program)(X, Y))
    assert len(mine) == len(xla) == len(jax.tree.leaves(shape))
    for k, (ours, theirs) in enumerate(zip(mine, xla, strict=True)):
        try:
            assert_same(ours, theirs)
        except AssertionError as exc:
            raise AssertionError(f"{name}, output {k}: {exc}") from None


def test_a_wrong_value_is_told_apart() -> None:
    """The comparison above can fail: one product computed differently is caught."""
    closed = jax.make_jaxpr(lambda x: x * 3.0)(X)
    (mine,) = interpret.run(closed, [X])
    with pytest.raises(AssertionError):
        assert_same(mine, X * 3.0000001)


UNSUPPORTED: dict[str, tuple[Callable[..., Any], list[Any]]] = {
    "integer division by zero": (lambda a, b: a // b, [I4, np.array([1, 0, 2, 3])]),
    "integer remainder by zero": (lax.rem, [I4, np.zeros(4, dtype=int)]),
    "NaN to an integer": (lambda v: v.astype(jnp.int32), [np.array([1.0, np.nan])]),
    "a float too large for int32": (lambda v: v.astype(jnp.int32), [np.array([3e9])]),
    "a long loop": (
        lambda v: lax.while_loop(lambda c: c[0] < 20_000, lambda c: (c[0] + 1, c[1]), (0, v)),
        [X],
    ),
    "a long computation": (
        lambda v: lax.fori_loop(0, 8000, lambda k, acc: jnp.sin(acc) * 0.5 + v, v),
        [X],
    ),
    "a function it does not know": (lax.erf, [X]),
    "a convolution": (lambda v: jnp.convolve(v, jnp.ones(3), mode="valid"), [X]),
    "a print": (lambda v: jax.debug.print("{}", v) or v, [X]),
    # XLA flushes subnormals to zero: 1e-310 is not above 0 there, its log is -inf
    "a subnormal result": (lambda v: jnp.log(v * 1e-300), [np.array([1e-10, 1.0])]),
    "a subnormal input": (lambda v: (v > 0) * 1.0, [np.array([1e-310, 1.0])]),
    "a subnormal literal": (lambda v: v * np.float32(1e-39), [np.ones(2, np.float32)]),
    "an unstable sort with NaNs": (
        lambda v: jnp.argsort(v, stable=False),
        [np.where(np.arange(40) % 3 == 0, np.nan, np.cos(np.arange(40.0)))],
    ),
    "a float16 sum": (jnp.cumsum, [(np.arange(4000) % 7 * 0.1).astype(np.float16)]),
    "exp2 at 1024": (jnp.exp2, [np.array([1024.0, 1.0])]),  # XLA's is finite there
    "uint64 indices beyond int64": (
        lambda v, i: jnp.take(v, i, mode="clip"),
        [X, np.array([2**64 - 1, 3], dtype=np.uint64)],
    ),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED))
def test_what_xla_does_its_own_way_is_left_to_xla(case: str) -> None:
    program, args = UNSUPPORTED[case]
    closed = jax.make_jaxpr(program)(*args)
    with pytest.raises(interpret.Unsupported):
        interpret.run(closed, args)


@pytest.mark.parametrize(
    "case",
    [
        "integer division by zero",
        "NaN to an integer",
        "a float too large for int32",
        "a subnormal result",
        "a subnormal input",
        "uint64 indices beyond int64",
    ],
)
def test_the_runner_then_gives_xlas_own_values(case: str) -> None:
    program, args = UNSUPPORTED[case]
    closed = jax.make_jaxpr(program)(*args)
    runner = TracedRunner(jax, closed)
    (value,) = runner(args)
    assert runner.compiled is not None  # it was compiled, not interpreted
    assert_same(value, jax.jit(program)(*args))


def test_once_compiled_the_runner_stays_with_xla(monkeypatch: pytest.MonkeyPatch) -> None:
    """A computation numpy gave up on is not tried with numpy again at every later
    point: a long one would cost up to its whole operation budget each time."""
    program, args = UNSUPPORTED["integer division by zero"]
    runner = TracedRunner(jax, jax.make_jaxpr(program)(*args))
    tries: list[int] = []
    run = interpret.run

    def counted(closed: Any, values: Any) -> Any:
        tries.append(1)
        return run(closed, values)

    monkeypatch.setattr(interpret, "run", counted)
    for _ in range(3):
        (value,) = runner(args)
    assert len(tries) == 1
    assert_same(value, jax.jit(program)(*args))


def signed_zeros(x: Any) -> Any:
    """max, min and what is made of them, on zeros of both signs (and NaN)."""
    return (
        jnp.maximum(x, -x),
        jnp.minimum(x, -x),
        jnp.maximum(x, 0.0),
        jnp.minimum(0.0, x),
        lax.clamp(-0.0, x, 0.0),
        jnp.clip(x, 0.0, 1.0),
        jnp.max(x[:2]),
        jnp.min(x[:2]),
        jnp.max(jnp.stack([x, -x]), axis=0),
        lax.cummax(x),
        lax.cummin(x),
        lax.cummax(x, reverse=True),
        jax.nn.relu(-x),
    )


@pytest.mark.parametrize(
    "x", [np.array([0.0, -0.0, 0.0, np.nan, -0.0]), np.array([-0.0, 0.0, -0.0, 1.0, -1.0])]
)
def test_zeros_keep_xlas_signs(x: np.ndarray) -> None:
    """XLA's max takes 0.0 over -0.0 and its min -0.0 over 0.0 (numpy's either takes
    the second): the sign shows, in 1/x, in atan2, in a learner's sign test."""
    closed = jax.make_jaxpr(signed_zeros)(x)
    mine = interpret.run(closed, [x])
    for k, (ours, theirs) in enumerate(zip(mine, jax.jit(signed_zeros)(x), strict=True)):
        assert_same(ours, theirs)
        ours, theirs = np.asarray(ours), np.asarray(theirs)
        zeros = theirs == 0
        assert np.array_equal(np.signbit(ours[zeros]), np.signbit(theirs[zeros])), f"output {k}"


def test_the_runner_uses_numpy_when_it_can() -> None:
    closed = jax.make_jaxpr(idioms)(X, Y)
    runner = TracedRunner(jax, closed)
    values = runner([X, Y])
    assert runner.compiled is None
    for ours, theirs in zip(values, jax.tree.leaves(jax.jit(idioms)(X, Y)), strict=True):
        assert_same(ours, theirs)


def test_at_many_points_the_runner_compiles_once_instead() -> None:
    closed = jax.make_jaxpr(idioms)(X, Y)
    few = TracedRunner(jax, closed, runs=evaluate.INTERPRET_RUNS)
    many = TracedRunner(jax, closed, runs=evaluate.INTERPRET_RUNS + 1)
    for ours, theirs in zip(few([X, Y]), many([X, Y]), strict=True):
        assert_same(ours, theirs)
    assert few.compiled is None and many.compiled is not None
