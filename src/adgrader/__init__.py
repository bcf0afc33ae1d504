"""adgrader: grade Autodiff Puzzles answers against `jax.jacfwd`.

Library use::

    import adgrader
    report = adgrader.check("submission.py", set="jax")
    print(report.passed, "of", len(report.puzzles))
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["AdgraderError", "Report", "SpecError", "UsageError", "check", "load_set"]

from .errors import AdgraderError, SpecError, UsageError
from .puzzles import load_set
from .result import Report

if TYPE_CHECKING:
    from .grading import check
else:

    def __getattr__(name: str) -> Any:
        if name == "check":
            from .grading import check

            return check
        raise AttributeError(name)
