"""Grading a whole class: many submissions, in parallel, each in isolation.

One fork server keeps jax imported for the answer processes; the oracle is computed
once per puzzle and shared; each submission still gets fresh answer processes, its own
folders and limits, so one broken, hanging or hostile file never affects another or
stops the batch. Results: one JSON report per submission, `grades.csv`, and per-puzzle
pass rates.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path

from ..answers.launch import ColdStart, ForkServer, Launcher
from ..errors import AdgraderError, UsageError
from ..options import Options
from ..result import Report
from ..spec import PuzzleSet
from .stages import check_against, uniform_report

SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRS = {"__pycache__", "node_modules", ".git", ".venv", "venv"}


def find_submissions(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Every submission file named or found under `paths`, sorted, each once."""
    found: dict[Path, None] = {}
    for item in map(Path, paths):
        if not item.exists():
            raise UsageError(f"no such file or folder: {str(item)!r}")
        if item.is_file():
            found[item] = None
            continue
        for root, dirs, files in os.walk(item):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(SUFFIXES) and not name.startswith("."):
                    found[Path(root) / name] = None
    return list(found)


@dataclass
class Batch:
    """The reports of a batch, in the order of the submissions."""

    pset: PuzzleSet
    reports: list[Report]

    def pass_rates(self) -> list[tuple[str, int, int]]:
        """(puzzle id, passed, graded) for each puzzle of the set, in set order."""
        rates = []
        for p in self.pset.puzzles:
            verdicts = [r for report in self.reports for r in report.puzzles if r.id == p.id]
            if verdicts:
                rates.append((p.id, sum(v.passed for v in verdicts), len(verdicts)))
        return rates

    def csv(self) -> str:
        """`grades.csv`: submission, score, max_score, then one status column per puzzle."""
        ids = [
            p.id
            for p in self.pset.puzzles
            if any(r.id == p.id for report in self.reports for r in report.puzzles)
        ]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["submission", "score", "max_score", *ids])
        for report in self.reports:
            status = {r.id: r.status for r in report.puzzles}
            writer.writerow(
                [
                    report.submission,
                    f"{report.score:g}",
                    f"{report.max_score:g}",
                    *(status.get(i, "") for i in ids),
                ]
            )
        return out.getvalue()


def report_name(path: Path, root: Path | None) -> str:
    """A file name for a submission's JSON report, unique within the batch."""
    try:
        relative = path.resolve().relative_to(root) if root else path
    except ValueError:
        relative = path
    stem = "__".join(relative.with_suffix("").parts).lstrip("_") or "submission"
    return f"{stem}.json"


def grade_many(
    files: Sequence[Path],
    pset: PuzzleSet,
    options: Options | None = None,
    *,
    jobs: int | None = None,
    on_report: Callable[[Report], None] | None = None,
) -> Batch:
    """Grade every file, `jobs` at a time; `on_report` hears of each as it is done."""
    options = replace(options or Options(), processes=1)
    options = replace(options, seed=options.resolved_seed())
    jobs = jobs or os.cpu_count() or 1
    selection = pset.select(options.puzzles)
    from . import oracle

    assert options.seed is not None
    for p in selection:  # once, before the workers share it
        oracle.sample(p, options.seed, options.points)
    reports: dict[Path, Report] = {}
    with tempfile.TemporaryDirectory(prefix="adgrader-batch-") as tmp:
        launcher = _launcher(Path(tmp))
        try:
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                futures = {pool.submit(_grade_one, f, pset, options, launcher): f for f in files}
                for future in as_completed(futures):
                    report = future.result()
                    reports[futures[future]] = report
                    if on_report:
                        on_report(report)
        finally:
            launcher.close()
    return Batch(pset, [reports[f] for f in files])


def _launcher(folder: Path) -> Launcher:
    """A fork server where the platform has one; without it every process starts cold."""
    if hasattr(os, "fork"):
        try:
            return ForkServer(folder)
        except OSError:
            pass
    return ColdStart()


def _grade_one(path: Path, pset: PuzzleSet, options: Options, launcher: Launcher) -> Report:
    """One submission's report; whatever goes wrong becomes that report, never the batch's."""
    started = time.monotonic()
    try:
        return check_against(path, pset, options, launcher)
    except (AdgraderError, OSError) as exc:
        selection = pset.select(options.puzzles)
        seed = options.resolved_seed()
        message = f"not graded: {exc}"
        return uniform_report(
            path, pset, selection, seed, options.points, started, "error", message
        )


def write_outputs(
    batch: Batch, out: Path, root: Path | None, render_json: Callable[[Report], str]
) -> Iterator[Path]:
    """Write one JSON report per submission and `grades.csv` into `out`; yield each path."""
    reports_dir = out / "reports"
    reports_dir.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    for report in batch.reports:
        name = report_name(Path(report.submission), root)
        while name in taken:
            name = f"_{name}"
        taken.add(name)
        target = reports_dir / name
        target.write_text(render_json(report), encoding="utf-8")
        yield target
    grades = out / "grades.csv"
    grades.write_text(batch.csv(), encoding="utf-8")
    yield grades
