"""What can be learned about a submission without running it."""

from __future__ import annotations

import re
from pathlib import Path

_MARKER = re.compile(r"^#\s*adgrader:\s*set\s*=\s*([A-Za-z0-9_.-]+)\s*$")


def declared_set(path: str | Path, lines: int = 20) -> str | None:
    """The set named by a `# adgrader: set=NAME` line near the top of the file, if any."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for _, line in zip(range(lines), handle, strict=False):
                match = _MARKER.match(line.strip())
                if match:
                    return match.group(1)
    except OSError:
        return None
    return None
