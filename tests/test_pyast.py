"""Parsing from many threads: one parse at a time, and every parse of the grading side
goes through `pyast` (CPython 3.11 fails two parses at once now and then)."""

from __future__ import annotations

import ast
import threading
import time
from pathlib import Path

import pytest

from adgrader import pyast

SRC = Path(__file__).resolve().parent.parent / "src" / "adgrader"


def test_parses_run_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    real = ast.parse
    inside, most = 0, 0
    count = threading.Lock()

    def slow_parse(*args: object, **kwargs: object) -> ast.AST:
        nonlocal inside, most
        with count:
            inside += 1
            most = max(most, inside)
        time.sleep(0.002)  # long enough for another thread to come in, were it let
        with count:
            inside -= 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pyast.ast, "parse", slow_parse)
    trees: list[ast.AST] = []
    threads = [
        threading.Thread(
            target=lambda: trees.extend([pyast.parse("x = 1"), pyast.parse_expression("x + 1")] * 5)
        )
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(trees) == 40 and most == 1


def test_the_lock_is_what_keeps_them_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """The measure above can see two parses at once: without the lock, it does."""

    class NoLock:
        def __enter__(self) -> None:
            pass

        def __exit__(self, *exc: object) -> None:
            pass

    monkeypatch.setattr(pyast, "_ONE_AT_A_TIME", NoLock())
    with pytest.raises(AssertionError):
        test_parses_run_one_at_a_time(monkeypatch)


def test_the_grading_side_parses_only_through_pyast() -> None:
    """The answer process parses on its own (one thread); everything else uses pyast."""
    direct = [
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if path.name != "pyast.py"
        and path.parent.name != "answers"
        and "ast.parse(" in path.read_text(encoding="utf-8").replace("pyast.parse(", "")
    ]
    assert direct == []
