"""JSON Lines in and out: replies to grade, one per line, and one result per reply.

Input (`replies.jsonl`), one object per line::

    {"id": "r1", "puzzle": "relu", "set": "jax", "reply": "...", "model": "m-7b"}

`id` (a string or a whole number), `puzzle` and `reply` are required; `set` defaults
to the command's set; other keys are kept and echoed back under `extra`. A line that
cannot be read (bad JSON, a missing field, a wrong type, an unknown set or puzzle)
becomes a `BadLine` for that line alone. Blank lines are no records and are skipped.

Output (`results.jsonl`): one `Result` per record, in input order, each written as
soon as it and every record before it are known (`ResultWriter`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import msgspec

from .errors import UsageError
from .replies import Extraction
from .result import Finding, PuzzleResult
from .spec import PuzzleSet, load_set

MAX_LINE_BYTES = 4 * 1024 * 1024  # a longer line is a BadLine, not read
REQUIRED = ("id", "puzzle", "reply")
KNOWN = (*REQUIRED, "set")


class Reply(msgspec.Struct, frozen=True, kw_only=True):
    """One well-formed input line: a reply to grade for one puzzle of one set."""

    line: int  # 1-based line of the input
    id: str | int
    puzzle: str
    set: str  # the set's id, the command's set when the line names none
    reply: str
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


class BadLine(msgspec.Struct, frozen=True, kw_only=True):
    """An input line that cannot be graded, what could be read of it, and why."""

    line: int
    message: str
    id: str | int | None = None
    puzzle: str | None = None
    set: str | None = None
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


Item = Reply | BadLine


class RuleRecord(msgspec.Struct, frozen=True):
    """A rule the answer broke (or a warning): the rule, what is wrong, the line."""

    rule: str
    message: str
    line: int | None


class Result(msgspec.Struct, frozen=True, kw_only=True):
    """One line of `results.jsonl`: the verdict on one input line.

    `reward` is 1.0 for `passed`, else 0.0 (a `violation` too). `graded` is false for
    an input line that could not be read (then `status` is `error`). Lines (`line` of
    the rules, `reply_line`) are the reply's. `extra` echoes the input's other keys.
    """

    id: str | int | None
    puzzle: str | None
    set: str | None
    status: str
    reward: float
    score: float
    max_score: float
    feedback: str
    message: str
    diagnosis: str
    seed: int | None
    points: int | None
    form: str | None = None
    wrong_entries: int = 0
    violations: list[RuleRecord] = msgspec.field(default_factory=list)
    warnings: list[RuleRecord] = msgspec.field(default_factory=list)
    block: int | None = None  # the reply's code block that was graded
    reply_line: int | None = None  # the reply's line the message points at
    note: str = ""  # which block was taken, and what was changed in it
    graded: bool = True
    line: int = 0  # the input's line
    extra: dict[str, Any] = msgspec.field(default_factory=dict)


# ---------------------------------------------------------------- reading


class Sets:
    """Puzzle sets by name, each loaded once; `None` names the command's set."""

    def __init__(
        self, default: str | None = None, puzzles_dir: str | os.PathLike[str] | None = None
    ) -> None:
        self.puzzles_dir = puzzles_dir
        self._loaded: dict[str, PuzzleSet] = {}
        self.default = self._load(default)

    def __call__(self, name: str | None) -> PuzzleSet:
        """The set `name`; raises UsageError for one that does not exist."""
        return self.default if name is None else self._load(name)

    def _load(self, name: str | None) -> PuzzleSet:
        if name is not None and name in self._loaded:
            return self._loaded[name]
        pset = load_set(name, self.puzzles_dir)
        self._loaded[pset.id] = pset
        return pset


def read_replies(
    source: str | os.PathLike[str] | IO[bytes] | Iterable[bytes | str],
    sets: Sets | Callable[[str | None], PuzzleSet],
    *,
    max_line: int = MAX_LINE_BYTES,
) -> Iterator[Item]:
    """One `Reply` or `BadLine` per record of `source` (a path, a binary file, or
    lines), in order. `sets(name)` gives a set (`None`: the command's set) or raises
    UsageError."""
    for number, raw in _numbered_lines(source, max_line):
        if raw is None:
            yield BadLine(
                line=number,
                message=f"line {number}: longer than {max_line} bytes, so not read: "
                "split the reply or shorten it",
            )
        elif raw.strip():
            yield parse_line(number, raw, sets)


def parse_line(
    number: int, raw: bytes | str, sets: Sets | Callable[[str | None], PuzzleSet]
) -> Item:
    """One input line as a `Reply`, or a `BadLine` saying what is wrong with it."""
    at = f"line {number}"
    try:
        data = msgspec.json.decode(raw)
    except RecursionError:
        return BadLine(line=number, message=f"{at}: JSON nested too deeply to read")
    except UnicodeDecodeError:
        return BadLine(line=number, message=f"{at}: not UTF-8 text: write the file as UTF-8")
    except msgspec.DecodeError as exc:
        return BadLine(
            line=number, message=f"{at}: not valid JSON ({exc}): write one JSON object per line"
        )
    if not isinstance(data, dict):
        return BadLine(
            line=number,
            message=f"{at}: a JSON object is expected, got {_json_type(data)}: "
            'write {"id": ..., "puzzle": ..., "reply": ...}',
        )
    extra = {k: v for k, v in data.items() if k not in KNOWN}
    ident, puzzle, set_name = data.get("id"), data.get("puzzle"), data.get("set")
    ident_ok = isinstance(ident, (str, int)) and not isinstance(ident, bool)

    def bad(message: str) -> BadLine:
        return BadLine(
            line=number,
            message=f"{at}: {message}",
            id=ident if ident_ok else None,
            puzzle=puzzle if isinstance(puzzle, str) else None,
            set=set_name if isinstance(set_name, str) else None,
            extra=extra,
        )

    absent = [k for k in REQUIRED if k not in data]
    if absent:
        listed = " and ".join(f'"{k}"' for k in absent)
        return bad(f'no {listed}: each line needs "id", "puzzle" and "reply"')
    for key, want, ok in (
        ("id", "a string or a whole number", ident_ok),
        ("puzzle", "a string", isinstance(puzzle, str)),
        ("reply", "a string", isinstance(data["reply"], str)),
        ("set", "a string", set_name is None or isinstance(set_name, str)),
    ):
        if not ok:
            return bad(f'"{key}" must be {want}, got {_json_type(data[key])}')
    try:
        pset = sets(set_name)
    except UsageError as exc:
        return bad(str(exc))
    if all(p.id != puzzle for p in pset.puzzles):
        return bad(
            f"no puzzle {puzzle!r} in set {pset.id!r}: `adgrader list --set {pset.id}` lists them"
        )
    assert isinstance(ident, (str, int)) and isinstance(puzzle, str)
    return Reply(
        line=number, id=ident, puzzle=puzzle, set=pset.id, reply=data["reply"], extra=extra
    )


def _json_type(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true or false"}
    if value is None:
        return "null"
    if isinstance(value, bool):
        return names[bool]
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return names.get(type(value), type(value).__name__)


def _numbered_lines(
    source: str | os.PathLike[str] | IO[bytes] | Iterable[bytes | str], max_line: int
) -> Iterator[tuple[int, bytes | str | None]]:
    """(1-based number, line) pairs; None for a line longer than `max_line` bytes."""
    if isinstance(source, (str, os.PathLike)):
        with Path(source).open("rb") as stream:
            yield from _bounded(stream, max_line)
        return
    if hasattr(source, "readline"):
        yield from _bounded(source, max_line)  # type: ignore[arg-type]
        return
    for number, line in enumerate(source, start=1):
        size = len(line.encode("utf-8")) if isinstance(line, str) else len(line)
        yield number, (None if size > max_line else line)


def _bounded(stream: IO[bytes], max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """Lines of a binary stream, never holding more than `max_line` bytes of one."""
    number = 0
    while True:
        line = stream.readline(max_line + 1)
        if not line:
            return
        number += 1
        if len(line) > max_line and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the long line
                line = stream.readline(1 << 20)
            yield number, None
        else:
            yield number, line


# ---------------------------------------------------------------- results


def result_record(
    item: Reply,
    result: PuzzleResult,
    *,
    seed: int,
    points: int,
    feedback: str,
    extraction: Extraction | None = None,
) -> Result:
    """The output line for a graded reply. Lines in `result` are taken to be the
    reply's already (grade `Extraction.padded`, whose lines are the reply's)."""
    return Result(
        id=item.id,
        puzzle=item.puzzle,
        set=item.set,
        status=result.status,
        reward=result.reward,
        score=result.score,
        max_score=result.max_score,
        feedback=feedback,
        message=result.message,
        diagnosis=result.diagnosis,
        seed=seed,
        points=points,
        form=result.form,
        wrong_entries=result.mismatch_total,
        violations=[_rule(f) for f in result.violations],
        warnings=[_rule(f) for f in result.warnings],
        block=extraction.block if extraction else None,
        reply_line=result.line,
        note=extraction.note if extraction else "",
        line=item.line,
        extra=item.extra,
    )


def bad_line_record(bad: BadLine, *, seed: int | None = None) -> Result:
    """The output line for an input line that could not be graded: an `error`."""
    return Result(
        id=bad.id,
        puzzle=bad.puzzle,
        set=bad.set,
        status="error",
        reward=0.0,
        score=0.0,
        max_score=0.0,
        feedback="",
        message=bad.message,
        diagnosis="",
        seed=seed,
        points=None,
        graded=False,
        line=bad.line,
        extra=bad.extra,
    )


def _rule(f: Finding) -> RuleRecord:
    return RuleRecord(f.rule, f.message, f.line)


_ENCODER = msgspec.json.Encoder()


def encode(record: Result) -> bytes:
    """One JSON line, newline included."""
    return _ENCODER.encode(record) + b"\n"


def decode(line: bytes | str) -> Result:
    """A `Result` back from its JSON line."""
    return msgspec.json.decode(line, type=Result)


class ResultWriter:
    """Writes results in input order as soon as each one's turn comes.

    `put(k, record)` hands over the result of the k-th record (0-based) in any order;
    it is written, with every waiting one after it, once all before it are written.
    """

    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.written = 0
        self._waiting: dict[int, bytes] = {}

    @property
    def pending(self) -> int:
        """Results held back, waiting for an earlier one."""
        return len(self._waiting)

    def put(self, index: int, record: Result) -> int:
        """Take the result of record `index`; returns how many lines were written now."""
        if index < self.written or index in self._waiting:
            raise ValueError(f"a result for record {index} was already given")
        self._waiting[index] = encode(record)
        before = self.written
        while self.written in self._waiting:
            self.out.write(self._waiting.pop(self.written))
            self.written += 1
        if self.written > before:
            self.out.flush()
        return self.written - before

    def finish(self, total: int) -> None:
        """Check that every one of `total` records was written."""
        if self.written != total or self._waiting:
            missing = self.written
            raise ValueError(f"no result for record {missing} of {total}; {self.pending} waiting")
