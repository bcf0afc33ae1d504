"""Python source parsed to `ast` trees, safely from many threads.

CPython 3.11 keeps the depth of its conversion from parse tree to `ast` objects in
state shared by the whole interpreter: two threads parsing at once can fail with
"SystemError: AST constructor recursion depth mismatch" (python/cpython#106905), as
`grade --jobs 2` did on an ordinary file now and then. Every parse on the grading
side goes through here, one at a time; a parse takes about a millisecond.
"""

from __future__ import annotations

import ast
import threading

_ONE_AT_A_TIME = threading.Lock()


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    """`ast.parse` of a module, serialized."""
    with _ONE_AT_A_TIME:
        return ast.parse(source, filename)


def parse_expression(source: str) -> ast.Expression:
    """`ast.parse` of one expression (mode "eval"), serialized."""
    with _ONE_AT_A_TIME:
        return ast.parse(source, mode="eval")
