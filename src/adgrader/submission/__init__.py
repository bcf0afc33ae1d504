"""Reading a submission (a .py file or a notebook) without running any of it."""

from __future__ import annotations

from .marker import declared_set

__all__ = ["declared_set"]
