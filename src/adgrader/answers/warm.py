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
import os
import pkgutil
from typing import Any

# Found by listing the modules an answer process imports after the fork while it
# grades the jax set (each a lazy import inside jax).
LAZY_MODULES = (
    "jax.experimental.multihost_utils",  # dispatch, at the first computation
    "jaxlib.mlir.dialects.mhlo",  # lowering, when the first MLIR context is made
    "jaxlib.mlir.dialects.builtin",  # lowering, the module every computation is in
    "pwd",  # the account's home folder, which the jail keeps the answers out of
    "jax.extend.core",  # answers compiled when numpy cannot run them (`evaluate`)
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


def look_for_plugins() -> None:
    """Tell jax that there are no hardware plugins to load, when there are none.

    Starting the backend first looks for PJRT plugins, reading every installed
    package's entry points (about 7 ms in each answer process). With none installed
    (as for the CPU jax the answers run on), looking once here finds the same nothing
    and loads nothing. With any, each answer process still looks for itself: loading
    a plugin's library before forking is not known to be safe.
    """
    try:
        from importlib.metadata import entry_points

        from jax._src import xla_bridge

        namespace = getattr(xla_bridge, "jax_plugins", None)
        modules = list(pkgutil.iter_modules(namespace.__path__)) if namespace else []
        advertised = list(entry_points(group="jax_plugins"))
        if modules or advertised or os.environ.get("PJRT_NAMES_AND_LIBRARY_PATHS"):
            return
        discover: Any = xla_bridge._discover_and_register_pjrt_plugins
        discover()
    except Exception:  # another jax: each answer process looks, as before
        return
