"""adgrader: grade Autodiff Puzzles answers against `jax.jacfwd`.

Library use::

    import adgrader
    report = adgrader.check("submission.py", set="jax")
    print(report.passed, "of", len(report.puzzles))

    with adgrader.Grader(set="jax", jobs=2) as grader:  # many answers, e.g. model replies
        result = grader.grade(reply_text, puzzle="relu")
        print(result.status, result.reward, result.feedback)

Importing the package is cheap: the parts load when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "AdgraderError",
    "Graded",
    "Grader",
    "Report",
    "SpecError",
    "UsageError",
    "check",
    "load_set",
]

from .errors import AdgraderError, SpecError, UsageError

if TYPE_CHECKING:
    from .grader import Graded, Grader
    from .grading.stages import check
    from .result import Report
    from .spec import load_set
else:
    _LAZY = {
        "check": "grading.stages",
        "load_set": "spec",
        "Report": "result",
        "Grader": "grader",
        "Graded": "grader",
    }

    def __getattr__(name: str) -> Any:
        if name in _LAZY:
            from importlib import import_module

            return getattr(import_module(f".{_LAZY[name]}", __name__), name)
        raise AttributeError(f"module 'adgrader' has no attribute {name!r}")
