"""The peer baseline: grade a jac-form submission the way the 2024 notebook's check() does.

One process, eager `jax.jacrev` of each puzzle's `f` at one uniform point, the answer
called on the same point, compared with `np.isclose`. No sandbox, no seed, no shape
check: this is what adgrader is measured against, not how it works.

Usage: python bench/notebook_baseline.py SUBMISSION [SET]
"""

from __future__ import annotations

import math
import sys
import types

import numpy as onp


def main() -> None:
    import jax
    import jax.numpy as np

    from adgrader.spec import load_set
    from adgrader.spec.scope import names_of

    path, set_name = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "jax")
    pset = load_set(set_name)

    class Annotation:
        def __class_getitem__(cls, item: object) -> type:
            return cls

    module: dict[str, object] = {"np": np, "math": math, "Shaped": Annotation, "Array": jax.Array}
    with open(path, encoding="utf-8") as handle:
        exec(compile(handle.read(), path, "exec"), module)
    passed = 0
    for puzzle in pset.puzzles:
        names = names_of(puzzle, jax)
        f = names["f"]
        fn = module[f"jac_{puzzle.id}"]
        assert isinstance(fn, types.FunctionType)
        jac = types.FunctionType(fn.__code__, {**module, **names})
        args = [np.array(onp.random.random(i.shape) - 0.5) for i in puzzle.inputs]
        ok = True
        for k in range(len(args)):
            want = jax.jacrev(f, k)(*args)
            got = jac(*args)
            got = got[k] if len(args) > 1 else got
            ok &= bool(np.isclose(want, got).all())
        passed += ok
    print(f"{passed}/{len(pset.puzzles)} passed")


if __name__ == "__main__":
    main()
