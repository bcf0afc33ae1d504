"""How XLA compiles adgrader's programs: every one is tiny (a puzzle's Jacobian at a few
points, a learner's answer), compiled once and run a few times, so compiling fast
matters and optimising the machine code does not."""

from __future__ import annotations

import os

# XLA's newer CPU fusion emitters took about twice the CPU to compile a submission
QUICK_COMPILE = (
    "--xla_backend_optimization_level=0 --xla_llvm_disable_expensive_passes=true "
    "--xla_cpu_use_fusion_emitters=false"
)


def compile_quickly() -> None:
    """Ask XLA for quick compiles in this process, unless the user set XLA_FLAGS. Takes
    effect when jax starts its backend, so call it before the first computation."""
    os.environ.setdefault("XLA_FLAGS", QUICK_COMPILE)
