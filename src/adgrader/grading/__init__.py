"""Grading: the oracle and its points, comparing arrays, rules on the source, verdicts,
and the stages that turn one submission (or a class of them) into the result model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .stages import check, check_against  # noqa: F401
else:

    def __getattr__(name: str) -> Any:
        if name in ("check", "check_against"):
            from . import stages

            return getattr(stages, name)
        raise AttributeError(f"module 'adgrader.grading' has no attribute {name!r}")
