"""The names a puzzle defines (dims, givens, `f`), built the same way for oracle and answers.

Both the grading process (for the oracle) and the answer process (for the answers) call
`puzzle_names`, so an answer sees exactly the `f` and givens the oracle differentiates.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Puzzle


class FieldError(Exception):
    """A given or `f` that fails to evaluate, with the field of the puzzle file it is
    (`("givens", "Is")`, `("f",)`); its message is the failure's own."""

    def __init__(self, field: tuple[str, ...], error: Exception) -> None:
        super().__init__(str(error))
        self.field = field
        self.error = error


def puzzle_names(
    *,
    dims: Mapping[str, int],
    givens: Mapping[str, str | int | float],
    f: str,
    arg_names: Sequence[str],
    jax: Any,
    filename: str = "<puzzle>",
) -> dict[str, Any]:
    """Evaluate dims, then givens in order, then `f`, with `np` bound to `jax.numpy`.

    Givens are index arrays such as `np.arange(I)[:, None]`: they are computed with
    numpy (the same values, without compiling a jax operation for each) and handed out
    as jax arrays; a given that numpy cannot compute is evaluated with jax.numpy. A
    failure raises as it is (see `names_of` for one that names its field).
    """
    try:
        return _evaluate(dims, givens, f, arg_names, jax, filename)
    except FieldError as failure:
        raise failure.error from None


def names_of(puzzle: Puzzle, jax: Any) -> dict[str, Any]:
    """`puzzle_names` for a loaded puzzle; a given or `f` that fails raises FieldError."""
    return _evaluate(puzzle.dims, puzzle.givens, puzzle.f, puzzle.arg_names, jax, puzzle.source)


def _evaluate(
    dims: Mapping[str, int],
    givens: Mapping[str, str | int | float],
    f: str,
    arg_names: Sequence[str],
    jax: Any,
    filename: str,
) -> dict[str, Any]:
    import numpy

    scope: dict[str, Any] = {
        "np": jax.numpy,
        "jax": jax,
        "math": math,
        "__builtins__": __builtins__,
    }
    names: dict[str, Any] = dict(dims)
    scope.update(names)
    plain = {**scope, "np": numpy}
    for name, value in givens.items():
        if isinstance(value, str):
            try:
                code = compile(value.strip(), f"{filename}:givens.{name}", "eval")
                try:
                    computed = eval(code, plain)
                    # device_put copies the array as it is; jnp.asarray would compile
                    # a conversion for every given, a few milliseconds each
                    value = (
                        jax.device_put(computed)
                        if isinstance(computed, numpy.ndarray)
                        else computed
                    )
                except Exception:
                    value = eval(code, scope)
            except Exception as exc:
                raise FieldError(("givens", name), exc) from exc
        names[name] = value
        scope[name] = value
        plain[name] = numpy.asarray(value) if hasattr(value, "shape") else value
    try:
        names["f"] = make_function(f, arg_names, scope, filename)
    except Exception as exc:
        raise FieldError(("f",), exc) from exc
    return names


def make_function(
    source: str, arg_names: Sequence[str], scope: dict[str, Any], filename: str
) -> Callable[..., Any]:
    """`f` from its spec source: an expression in the inputs, or a whole `def f(...)`."""
    text = source.strip()
    if text.startswith("def "):
        exec(compile(text, f"{filename}:f", "exec"), scope)
        fn = scope.pop("f", None)
        if not callable(fn):
            raise ValueError("the `f` source defines no function named f")
        return fn  # type: ignore[no-any-return]
    code = compile(f"lambda {', '.join(arg_names)}: ({text})", f"{filename}:f", "eval")
    fn = eval(code, scope)
    fn.__name__ = "f"
    return fn  # type: ignore[no-any-return]
