"""The command line: parse, call the core, render. A thin layer: the core (the rest of
the package) knows nothing of click or rich; errors become messages and exit codes in
`base.Group`, in one place."""

from __future__ import annotations

from . import authoring, grading, learning
from .base import EXIT_FAILED, EXIT_PASSED, EXIT_USAGE, main

__all__ = ["EXIT_FAILED", "EXIT_PASSED", "EXIT_USAGE", "authoring", "grading", "learning", "main"]
