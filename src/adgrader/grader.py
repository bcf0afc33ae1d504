"""A long-lived grader for many answers: model replies, or source text, one puzzle each.

    with adgrader.Grader(set="jax", jobs=2) as grader:
        result = grader.grade(reply, puzzle="relu")
        result.status, result.reward, result.feedback

The grader keeps a warm fork server (jax imported once) and the oracle's values in
memory; every answer still runs in a fresh, jailed answer process of its own, so no
answer can see or change another's. `grade` is safe to call from several threads;
`grade_many` grades `jobs` answers at a time and yields each result as it finishes.
Seeds are fixed per call (the grader's, unless given), so a verdict can be reproduced.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from . import jsonl
from .answers.launch import Launcher, warm_launcher
from .errors import UsageError
from .options import DEFAULT_POINTS, DEFAULT_TIMEOUT, Limits, Options
from .replies import Extraction, extract
from .report.feedback import feedback
from .result import PuzzleResult, Status
from .shards import Shard
from .spec import PuzzleSet, load_set


@dataclass(frozen=True)
class Graded:
    """One answer's verdict, as a pipeline uses it."""

    id: Any  # the caller's id for the answer (None when not given)
    puzzle: str
    set: str
    status: Status
    reward: float  # 1.0 for passed, else 0.0 (a violation too)
    score: float
    max_score: float
    message: str
    diagnosis: str
    feedback: str  # what is wrong and where, without the expected values
    seed: int
    isolation: str  # kernel or python
    result: PuzzleResult  # the whole verdict, as every report renders it
    extraction: Extraction  # which code of the reply was graded, and how


class Grader:
    """Grades answers to the puzzles of one set, many at a time, in jailed processes."""

    def __init__(
        self,
        set: str | None = None,
        *,
        puzzles_dir: str | os.PathLike[str] | None = None,
        jobs: int | None = None,
        seed: int | None = None,
        points: int = DEFAULT_POINTS,
        timeout: float = DEFAULT_TIMEOUT,
        strict: bool = False,
        reveal: bool = False,
        require_isolation: bool = False,
        pset: PuzzleSet | None = None,
        launcher: Launcher | None = None,
    ) -> None:
        self.pset: PuzzleSet = pset or load_set(set, puzzles_dir)
        self.jobs = jobs or os.cpu_count() or 1
        self.reveal = reveal
        self.options = Options(
            seed=seed,
            points=points,
            strict=strict,
            limits=Limits(timeout=timeout),
            processes=1,
            require_isolation=require_isolation,
        )
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._launcher: Launcher | None = launcher
        self._owns_launcher = launcher is None

    # ------------------------------------------------------------ lifetime

    def __enter__(self) -> Grader:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        """Start the fork server (done by the first grading otherwise)."""
        if self._launcher is not None:
            return
        self._folder = tempfile.TemporaryDirectory(prefix="adgrader-grader-")
        self._launcher = warm_launcher(Path(self._folder.name))

    def close(self) -> None:
        """Stop the fork server and everything it started; safe to call twice."""
        launcher, self._launcher = self._launcher, None
        if launcher is not None and self._owns_launcher:
            launcher.close()
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    # ------------------------------------------------------------ grading

    def grade(self, text: str, puzzle: str, *, seed: int | None = None, id: Any = None) -> Graded:
        """Grade one answer to `puzzle`: a model's reply (the first fenced Python block
        that defines the answer is taken) or plain source text."""
        from .grading.stages import grade_source

        self.start()
        spec = self.pset.get(puzzle)
        options = Options(
            seed=self.options.seed if seed is None else seed,
            points=self.options.points,
            strict=self.options.strict,
            puzzles=(spec.id,),
            limits=self.options.limits,
            processes=1,
            require_isolation=self.options.require_isolation,
        )
        found = extract(text, spec, form=self.pset.form)
        if found.status != "ok":
            result = found.as_result(spec)
            isolation = "none"  # nothing ran
            run_seed = options.resolved_seed()
        else:
            report = grade_source(
                found.padded, f"{spec.id} reply", self.pset, options, self._launcher
            )
            result, isolation, run_seed = report.puzzles[0], report.isolation, report.seed
        return Graded(
            id=id,
            puzzle=spec.id,
            set=self.pset.id,
            status=result.status,
            reward=result.reward,
            score=result.score,
            max_score=result.max_score,
            message=result.message,
            diagnosis=result.diagnosis,
            feedback=feedback(result, spec, reveal=self.reveal),
            seed=run_seed,
            isolation=isolation,
            result=result,
            extraction=found,
        )

    def grade_many(
        self, items: Iterable[Any], *, jobs: int | None = None, seed: int | None = None
    ) -> Iterator[Graded]:
        """Grade many answers, `jobs` at a time, yielding each as it finishes.

        An item is an object with `reply` (or `source`) and `puzzle`, and optionally
        `id` (a `jsonl.Reply` is one), a mapping with those keys, or a (text, puzzle)
        pair.
        """
        self.start()
        with ThreadPoolExecutor(max_workers=jobs or self.jobs) as pool:
            futures: dict[Future[Graded], Any] = {}
            for item in items:
                text, puzzle, ident = _fields(item)
                futures[pool.submit(self.grade, text, puzzle, seed=seed, id=ident)] = item
            for future in as_completed(futures):
                yield future.result()


def _fields(item: Any) -> tuple[str, str, Any]:
    """(text, puzzle, id) of one item given to `grade_many`."""
    if isinstance(item, tuple) and len(item) == 2:
        return str(item[0]), str(item[1]), None
    if isinstance(item, Mapping):
        get = item.get
    else:

        def get(key: str, default: Any = None) -> Any:
            return getattr(item, key, default)

    text = get("reply", None)
    if text is None:
        text = get("source", None)
    puzzle = get("puzzle", None)
    if not isinstance(text, str) or not isinstance(puzzle, str):
        raise UsageError("each item needs `reply` (or `source`) text and a `puzzle` id")
    return text, puzzle, get("id", None)


@dataclass
class Totals:
    """What a run over a JSON Lines file of replies came to."""

    lines: int = 0
    passed: int = 0
    unreadable: int = 0  # input lines that could not be graded at all

    @property
    def all_passed(self) -> bool:
        return self.lines > 0 and self.passed == self.lines


def grade_replies(
    source: str | os.PathLike[str],
    out: BinaryIO,
    *,
    set: str | None = None,
    puzzles_dir: str | os.PathLike[str] | None = None,
    options: Options | None = None,
    jobs: int | None = None,
    shard: Shard | None = None,
    reveal: bool = False,
    on_result: Callable[[jsonl.Result], None] | None = None,
    on_count: Callable[[int], None] | None = None,
) -> Totals:
    """Grade every reply of a JSON Lines file (`{"id", "puzzle", "set", "reply"}` per
    line), writing one result line per input line to `out`, in input order, each as
    soon as its turn comes. A line that cannot be read gets an `error` line of its own.
    `shard` grades only its share of the lines; `on_count` hears how many there are.
    """
    options = options or Options()
    sets = jsonl.Sets(set, puzzles_dir)
    items = list(jsonl.read_replies(source, sets))
    if shard is not None:
        items = shard.take(items)
    if on_count:
        on_count(len(items))
    writer = jsonl.ResultWriter(out)
    totals = Totals(lines=len(items))
    with tempfile.TemporaryDirectory(prefix="adgrader-replies-") as tmp:
        launcher = warm_launcher(Path(tmp))
        graders: dict[str, Grader] = {}
        lock = threading.Lock()

        def grader_for(set_id: str) -> Grader:
            with lock:
                if set_id not in graders:
                    graders[set_id] = Grader(
                        pset=sets(set_id),
                        seed=options.seed,
                        points=options.points,
                        timeout=options.timeout,
                        strict=options.strict,
                        reveal=reveal,
                        launcher=launcher,
                    )
                return graders[set_id]

        def one(item: jsonl.Reply | jsonl.BadLine) -> jsonl.Result:
            if isinstance(item, jsonl.BadLine):
                return jsonl.bad_line_record(item, seed=options.resolved_seed())
            graded = grader_for(item.set).grade(item.reply, item.puzzle, id=item.id)
            return jsonl.result_record(
                item,
                graded.result,
                seed=graded.seed,
                points=options.points,
                feedback=graded.feedback,
                extraction=graded.extraction,
            )

        try:
            with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
                futures = {pool.submit(one, item): k for k, item in enumerate(items)}
                for future in as_completed(futures):
                    record = future.result()
                    writer.put(futures[future], record)
                    totals.passed += record.status == "passed"
                    totals.unreadable += not record.graded
                    if on_result:
                        on_result(record)
        finally:
            launcher.close()
    writer.finish(len(items))
    return totals
