"""The `# adgrader: set=NAME` line a submission may carry near its top."""

from __future__ import annotations

import re
from pathlib import Path

_MARKER = re.compile(r"^#\s*adgrader:\s*set\s*=\s*([A-Za-z0-9_.-]+)\s*$")
LINES = 20  # the marker counts only near the top


def declared_in(text: str, lines: int = LINES) -> tuple[str, int] | None:
    """The set named by a marker line among the first `lines` lines, and its line."""
    for number, line in enumerate(text.split("\n")[:lines], start=1):
        match = _MARKER.match(line.strip().lstrip("\ufeff"))
        if match:
            return match.group(1), number
    return None


def declared_set(path: str | Path) -> str | None:
    """The set a submission's marker names, if any: read as `read_submission` reads
    (never a FIFO, a device or a link; a notebook's code cells for a notebook)."""
    from ..errors import UsageError
    from .read import read_submission

    try:
        return read_submission(path).declared
    except UsageError:
        return None
