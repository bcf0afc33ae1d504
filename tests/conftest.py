"""Shared, expensive set-up: each submission is graded once per session and reused."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import adgrader
from adgrader.result import Report

if TYPE_CHECKING:
    from adgrader.spec.validate import Validation

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"
ANSWERS = Path(__file__).parent / "answers"
HOSTILE = Path(__file__).parent / "submissions"
GOLDEN = Path(__file__).parent / "golden"

Grade = Callable[..., Report]


@pytest.fixture(scope="session")
def grade() -> Grade:
    """grade(path, set_name, **options) -> Report, memoized for the whole session."""
    cache: dict[Any, Report] = {}

    def run(path: Path, set_name: str | None = None, **options: Any) -> Report:
        key = (str(path), set_name, tuple(sorted(options.items())))
        if key not in cache:
            cache[key] = adgrader.check(path, set=set_name, **options)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def builtin_validation() -> Validation:
    """`validate` of the built-in sets, once per session: the oracle at two seeds for every
    puzzle, and the starter of every form graded, for all four sets."""
    from adgrader.spec.validate import validate

    return validate(ROOT / "puzzles")


def machine_neutral(text: str) -> str:
    """`text` as on a machine whose kernel jails answers, wherever it was rendered: the
    isolation a report states depends on the kernel, and golden files must not."""
    text = text.replace("isolation python", "isolation kernel")
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith("warning: not jailed")
    )


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead. The
    text is made `machine_neutral` first."""
    text = machine_neutral(text)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {name} was missing and has been written; check it in")
    assert text == path.read_text(encoding="utf-8"), f"output differs from tests/golden/{name}"


@pytest.fixture(scope="session")
def graded() -> Callable[..., tuple[Report, list[str]]]:
    """For untrusted files: graded(path, set_name, python=False, env={}, **options) ->
    (report, the token of every answer process it started), memoized for the session,
    so a test can also look for processes that outlived the grading. `python=True`
    grades as where the kernel cannot jail answers; `env` is set while grading."""
    import contextlib

    from adgrader.grading.stages import check_against
    from adgrader.options import Limits, Options
    from adgrader.spec import load_set

    from .hostile_tools import RecordingLauncher, python_isolation

    cache: dict[Any, tuple[Report, list[str]]] = {}

    def run(
        path: Path,
        set_name: str,
        python: bool = False,
        env: dict[str, str] | None = None,
        puzzles: tuple[str, ...] = (),
        timeout: float = 10.0,
        **options: Any,
    ) -> tuple[Report, list[str]]:
        key = (str(path), set_name, python, tuple(sorted((env or {}).items())), puzzles, timeout)
        key += tuple(sorted(options.items()))
        if key not in cache:
            launcher = RecordingLauncher()
            chosen = Options(puzzles=puzzles, limits=Limits(timeout=timeout), **options)
            with pytest.MonkeyPatch.context() as patch:
                for name, value in (env or {}).items():
                    patch.setenv(name, value)
                with python_isolation() if python else contextlib.nullcontext():
                    report = check_against(path, load_set(set_name), chosen, launcher)
            cache[key] = (report, launcher.tokens)
        return cache[key]

    return run
