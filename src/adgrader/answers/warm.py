"""What the fork server does once so that no answer process does it again.

Every answer process would otherwise import, after the fork, the modules that jax
loads lazily when it first lowers or dispatches a computation (the MLIR dialect of
XLA's operations, the multi-host helpers its dispatch checks) and the one the jail
looks the account's home folder up with: tens of milliseconds each time. Importing
them here runs only jax's and adgrader's own code, starts no thread and does not
start jax's backend, so the server stays safe to fork.
"""

from __future__ import annotations

import gc
import importlib

# Found by listing the modules an answer process imports after the fork while it
# grades the jax set (each a lazy import inside jax).
LAZY_MODULES = (
    "jax.experimental.multihost_utils",  # dispatch, at the first computation
    "jaxlib.mlir.dialects.mhlo",  # lowering, when the first MLIR context is made
    "jaxlib.mlir.dialects.builtin",  # lowering, the module every computation is in
    "pwd",  # the account's home folder, which the jail keeps the answers out of
)


def import_ahead() -> None:
    """Import what answer processes would import lazily; one that is missing (another
    jax version) is left to be imported when needed, as before."""
    for name in LAZY_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            continue


def freeze_heap() -> None:
    """Set everything imported so far aside from the garbage collector: a forked
    answer process then never walks the server's hundreds of thousands of objects in
    a collection (each walk costs milliseconds and copies the pages it touches)."""
    gc.collect()
    gc.freeze()
