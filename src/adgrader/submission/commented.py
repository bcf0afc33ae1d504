"""Answers a learner commented out: worth a word, since they are silently not graded."""

from __future__ import annotations

import re

_COMMENTED = re.compile(
    r"^[ \t]*#+[ \t]*(?:(?:async[ \t]+)?def[ \t]+(jac|jac_\w+|fb_\w+|vjp_\w+)[ \t]*\("
    r"|class[ \t]+(\w+)[ \t]*\([^)]*Function[^)]*\))"
)


def commented_answers(text: str) -> list[tuple[int, str]]:
    """Each commented-out answer definition, as (line, name): `# def jac_relu(x):`,
    `# def jac(x):`, `# class Sigmoid(ScalarFunction):`."""
    found = []
    for number, row in enumerate(text.split("\n"), start=1):
        match = _COMMENTED.match(row)
        if match:
            found.append((number, match.group(1) or match.group(2)))
    return found
