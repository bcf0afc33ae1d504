"""`adgrader watch`: grade a submission again each time it is saved.

A fork server started once keeps jax imported, and the oracle stays in this process,
so each new verdict costs only the answers: a fresh answer process is forked for every
grading (never the same one twice, never this process).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from ..answers.launch import warm_launcher
from ..errors import UsageError
from ..options import Options
from ..result import Report
from ..spec import PuzzleSet
from .stages import check_against

DEBOUNCE_MS = 50


def watch(
    path: Path,
    pset: PuzzleSet,
    on_report: Callable[[Report], None],
    on_missing: Callable[[str], None] = lambda message: None,
    options: Options | None = None,
    *,
    stop: threading.Event | None = None,
    busy: Callable[[], AbstractContextManager[object]] = nullcontext,
    reload: Callable[[], PuzzleSet] | None = None,
) -> None:
    """Grade `path` now and after every change to it, until `stop` is set (or Ctrl-C).

    Each grading runs inside `busy()` (the command line shows a spinner there); with
    `reload`, the set is loaded again first, so an edited puzzle is graded as edited
    (the spec cache makes an unchanged set cost a few milliseconds).
    """
    try:
        from watchfiles import watch as file_changes
    except ImportError:
        raise UsageError("watch needs watchfiles: pip install watchfiles") from None
    target = path.resolve()
    with tempfile.TemporaryDirectory(prefix="adgrader-watch-") as tmp:
        launcher = warm_launcher(Path(tmp))

        def grade() -> None:
            try:
                with busy():
                    current = reload() if reload is not None else pset
                    report = check_against(target, current, options, launcher)
                on_report(report)
            except UsageError as exc:  # saved as a new file: missing for a moment
                on_missing(str(exc))

        try:
            grade()
            for changes in file_changes(
                target.parent,
                debounce=DEBOUNCE_MS,
                step=20,
                stop_event=stop,
                watch_filter=lambda change, name: Path(name).resolve() == target,
            ):
                if changes:
                    grade()
        finally:
            launcher.close()
