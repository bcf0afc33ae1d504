"""How XLA compiles adgrader's programs: every one is tiny (a puzzle's Jacobian at a few
points, a learner's answer), compiled once and run a few times, so compiling fast
matters and optimising the machine code does not.

XLA stops the whole process on a flag it does not know, so a flag that only some
releases have is given only to the releases it was measured with.
"""

from __future__ import annotations

import functools
import os

# LLVM's optimisation off: in every jaxlib adgrader supports (0.4.30 and later)
_LIGHT_LLVM = "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true"
# XLA's classic CPU fusion emitters: the newer ones took about twice the CPU to compile
# a submission's answers; the flag is not in older jaxlibs and may leave newer ones
_CLASSIC_EMITTERS = "--xla_cpu_use_fusion_emitters=false"
_CLASSIC_EMITTERS_MEASURED = frozenset({(0, 10)})  # jaxlib (major, minor) series


@functools.cache
def quick_compile() -> str:
    """The XLA_FLAGS for quick compiles with the installed jaxlib."""
    if _jaxlib_series() in _CLASSIC_EMITTERS_MEASURED:
        return f"{_LIGHT_LLVM} {_CLASSIC_EMITTERS}"
    return _LIGHT_LLVM


def compile_quickly() -> None:
    """Ask XLA for quick compiles in this process, unless the user set XLA_FLAGS. Takes
    effect when jax starts its backend, so call it before the first computation."""
    os.environ.setdefault("XLA_FLAGS", quick_compile())


def _jaxlib_series() -> tuple[int, int] | None:
    """The installed jaxlib's (major, minor), read from its metadata without importing it."""
    from importlib import metadata

    try:
        major, minor = metadata.version("jaxlib").split(".")[:2]
        return int(major), int(minor)
    except (metadata.PackageNotFoundError, ValueError):
        return None
