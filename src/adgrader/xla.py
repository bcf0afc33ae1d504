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
# Flags measured with one jaxlib series only (not in older jaxlibs, may leave newer ones):
# - XLA's classic CPU fusion emitters: the newer ones took about twice the CPU to
#   compile a submission's answers;
# - the machine code made in one piece rather than split into up to 32 modules
#   compiled side by side: each piece costs a code generator of its own, about 30% of
#   a submission's compile in CPU time for programs this small.
_SERIES_FLAGS = {
    (0, 10): "--xla_cpu_use_fusion_emitters=false --xla_cpu_parallel_codegen_split_count=1",
}  # jaxlib (major, minor) series -> its flags


@functools.cache
def quick_compile() -> str:
    """The XLA_FLAGS for quick compiles with the installed jaxlib."""
    series = _jaxlib_series()
    extra = _SERIES_FLAGS.get(series) if series is not None else None
    return f"{_LIGHT_LLVM} {extra}" if extra else _LIGHT_LLVM


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
