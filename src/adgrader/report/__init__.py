"""Views of the result model: each module renders a `Report` in one format."""

from __future__ import annotations

FORMATS = ("text", "json")
