"""Grading a whole class: many submissions, in parallel, each in isolation.

One fork server keeps jax imported for the answer processes; the oracle is computed
once per puzzle and shared; each submission still gets fresh answer processes, its own
folders and limits, so one broken, hanging or hostile file never affects another or
stops the batch. Each submission's JSON report and its `grades.csv` row are written as
soon as it is graded, so a batch stopped halfway keeps what it finished, and a run
with `resume` grades only the rest. Memory does not grow with the batch: only the
rows are kept.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..answers.launch import Launcher, warm_launcher
from ..errors import AdgraderError, UsageError
from ..files import write_atomically
from ..options import Options
from ..result import Report
from ..spec import PuzzleSet
from ..spec.load import read_once
from .stages import check_against, uniform_report

SUFFIXES = (".py", ".ipynb")
SKIPPED_DIRS = {"__pycache__", "node_modules", ".git", ".venv", "venv"}
HEAD = ["submission", "set", "score", "max_score"]


def find_submissions(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """Every submission file named or found under `paths`, sorted, each once."""
    found: dict[Path, None] = {}
    for item in map(Path, paths):
        if not item.exists() and not item.is_symlink():
            raise UsageError(f"no such file or folder: {str(item)!r}")
        if not item.is_dir():
            found[item] = None
            continue
        for root, dirs, files in os.walk(item):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
            for name in sorted(files):
                if name.endswith(SUFFIXES) and not name.startswith("."):
                    found[Path(root) / name] = None
    return list(found)


@dataclass(frozen=True)
class Row:
    """One submission's line of `grades.csv`."""

    submission: str
    set: str
    score: float
    max_score: float
    statuses: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, report: Report) -> Row:
        return cls(
            report.submission,
            report.set,
            report.score,
            report.max_score,
            {p.id: p.status for p in report.puzzles},
        )

    def cells(self, ids: Sequence[str]) -> list[str]:
        return [
            self.submission,
            self.set,
            f"{self.score:g}",
            f"{self.max_score:g}",
            *(self.statuses.get(i, "") for i in ids),
        ]

    @classmethod
    def parse(cls, header: Sequence[str], cells: Sequence[str]) -> Row:
        """A row read back from a `grades.csv` with this header."""
        values = dict(zip(header, cells, strict=False))
        try:
            score, top = float(values["score"]), float(values["max_score"])
        except (KeyError, ValueError):
            raise UsageError(f"a grades.csv row that cannot be read: {list(cells)}") from None
        ids = header[len(HEAD) :]
        statuses = {i: values[i] for i in ids if values.get(i)}
        return cls(values["submission"], values.get("set", ""), score, top, statuses)


@dataclass
class Batch:
    """The rows of a batch, in the order of the submissions, and its puzzle columns."""

    ids: list[str]
    rows: list[Row]

    @classmethod
    def of(cls, pset: PuzzleSet, reports: Sequence[Report]) -> Batch:
        return cls(puzzle_columns([pset]), [Row.of(r) for r in reports])

    def pass_rates(self) -> list[tuple[str, int, int]]:
        """(puzzle id, passed, graded) for each puzzle column that some row grades."""
        rates = []
        for pid in self.ids:
            graded = [r.statuses[pid] for r in self.rows if pid in r.statuses]
            if graded:
                rates.append((pid, graded.count("passed"), len(graded)))
        return rates

    def csv(self) -> str:
        """`grades.csv`: submission, set, score, max_score, one status column per puzzle
        (a status is that puzzle's in the row's own set)."""
        ids = [i for i in self.ids if any(i in r.statuses for r in self.rows)]
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*HEAD, *ids])
        for row in self.rows:
            writer.writerow(row.cells(ids))
        return out.getvalue()

    @property
    def all_passed(self) -> bool:
        return all(
            all(s == "passed" for s in r.statuses.values()) and r.statuses for r in self.rows
        )


def puzzle_columns(psets: Sequence[PuzzleSet], selection: Sequence[str] = ()) -> list[str]:
    """The status columns for these sets (the selected puzzles only, if any): each
    puzzle id once, in set order."""
    return list(dict.fromkeys(p.id for pset in psets for p in pset.select(selection)))


class Gradebook:
    """`grades.csv` in `out`, a row appended as each submission is graded.

    With `resume`, the rows of an earlier run of the same batch are kept and their
    submissions not graded again. `close` rewrites the file whole, in submission order.
    """

    def __init__(self, out: Path, ids: list[str], resume: bool) -> None:
        self.path = out / "grades.csv"
        self.ids = ids
        self.done: dict[str, Row] = self._read() if resume else {}
        self._lock = threading.Lock()
        out.mkdir(parents=True, exist_ok=True)
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow([*HEAD, *ids])
        for row in self.done.values():
            self._writer.writerow(row.cells(ids))
        self._file.flush()

    def _read(self) -> dict[str, Row]:
        try:
            table = list(csv.reader(io.StringIO(self.path.read_text(encoding="utf-8"))))
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read {str(self.path)!r} to resume: {exc}") from None
        if not table:
            return {}
        header = table[0]
        if header != [*HEAD, *self.ids]:
            raise UsageError(
                f"{str(self.path)!r} was written for other puzzles or sets; resume with "
                "the same --set and --puzzle options, or give another --out"
            )
        rows = [Row.parse(header, cells) for cells in table[1:] if cells]
        return {r.submission: r for r in rows}

    def add(self, row: Row) -> None:
        with self._lock:
            self.done[row.submission] = row
            self._writer.writerow(row.cells(self.ids))
            self._file.flush()

    def close(self, order: Sequence[str]) -> Batch:
        """The whole gradebook, rewritten in `order` (submissions), as a Batch."""
        self._file.close()
        rows = [self.done[s] for s in order if s in self.done]
        batch = Batch(self.ids, rows)
        write_atomically(self.path, batch.csv())
        return batch


def report_name(path: Path, root: Path | None) -> str:
    """A file name for a submission's JSON report, unique within the batch."""
    try:  # never through a link: a link to a classmate's file would take their name
        relative = path.absolute().relative_to(root.absolute()) if root else path
    except ValueError:
        relative = path
    stem = "__".join(relative.with_suffix("").parts).lstrip("_") or "submission"
    return f"{stem}.json"


@read_once()  # every submission graded against the sets as they are now
def grade_many(
    files: Sequence[Path],
    set_of: Callable[[Path], PuzzleSet],
    options: Options,
    out: Path,
    render_json: Callable[[Report], str],
    *,
    root: Path | None = None,
    jobs: int | None = None,
    resume: bool = False,
    on_report: Callable[[Path, Row], None] | None = None,
) -> Batch:
    """Grade every file against its set, `jobs` at a time, writing each report to
    `out/reports/` and each row to `out/grades.csv` as soon as it is graded.

    `root` names the reports (the folder the class was found in); `on_report` hears of
    each submission as it is done (graded, or kept from an earlier run with `resume`).
    """
    options = replace(options, processes=1, seed=options.resolved_seed())
    assert options.seed is not None
    psets = {f: set_of(f) for f in files}
    sets = list({p.id: p for p in psets.values()}.values())
    book = Gradebook(out, puzzle_columns(sets, options.puzzles), resume)
    names = _report_names(files, root)
    reports = out / "reports"

    def keep(path: Path, report: Report) -> None:
        write_atomically(reports / names[path], render_json(report))
        row = Row.of(report)
        book.add(row)
        if on_report:
            on_report(path, row)

    try:
        reports.mkdir(parents=True, exist_ok=True)
        todo = [f for f in files if str(f) not in book.done]
        if on_report:
            for f in files:
                if str(f) in book.done:
                    on_report(f, book.done[str(f)])
        if todo:  # an empty shard, or a batch resumed when done, starts nothing
            _grade_all(todo, psets, options, jobs, keep)
    finally:
        batch = book.close([str(f) for f in files])
    return batch


def _grade_all(
    files: Sequence[Path],
    psets: dict[Path, PuzzleSet],
    options: Options,
    jobs: int | None,
    keep: Callable[[Path, Report], None],
) -> None:
    """Grade `files`, `jobs` at a time, with answer processes forked from one warm
    server, each report handed to `keep` as soon as it is done."""
    from . import oracle

    seed = options.resolved_seed()
    for pset in {psets[f].id: psets[f] for f in files}.values():  # before workers share it
        oracle.prepare(pset.select(options.puzzles), seed, options.points)
        for p in pset.select(options.puzzles):
            oracle.sample(p, seed, options.points)
    with tempfile.TemporaryDirectory(prefix="adgrader-batch-") as tmp:
        launcher = warm_launcher(Path(tmp))
        pool = ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1)
        try:
            futures = {pool.submit(_grade_one, f, psets[f], options, launcher): f for f in files}
            for future in as_completed(futures):
                keep(futures.pop(future), future.result())  # its report, kept no longer
        finally:
            # Stopped (Ctrl-C, SIGTERM): what is queued is not started, and closing a
            # fork server kills the answers running (cold ones run to their limits).
            pool.shutdown(wait=False, cancel_futures=True)
            launcher.close()
            pool.shutdown(wait=True)


def _report_names(files: Sequence[Path], root: Path | None) -> dict[Path, str]:
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for f in files:
        name = report_name(f, root)
        while name in taken:
            name = f"_{name}"
        taken.add(name)
        names[f] = name
    return names


def _grade_one(path: Path, pset: PuzzleSet, options: Options, launcher: Launcher) -> Report:
    """One submission's report; whatever goes wrong becomes that report, never the batch's."""
    started = time.monotonic()
    try:
        return check_against(path, pset, options, launcher)
    except (AdgraderError, OSError) as exc:
        why = f"not graded: {exc}"
    except Exception as exc:  # a fault of adgrader's own must not cost the other rows
        why = f"not graded: adgrader failed on this file ({type(exc).__name__}: {exc})"
    selection = pset.select(options.puzzles)
    seed = options.resolved_seed()
    return uniform_report(path, pset, selection, seed, options.points, started, "error", why)
