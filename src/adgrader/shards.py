"""A batch spread over machines: `--shard K/N` takes one share, `merge` joins them.

A share is taken round-robin over one stable order: input k (0-based) belongs to
shard k mod N + 1. For files the order is `order_key`, the order a walk of the folder
gives (a folder's files by name, then its subfolders by name), found from the paths
alone; for JSON Lines it is the input's line order. Nothing depends on the machine:
not the file system's listing order, not the absolute path of the checkout, not the
number of cores. Round-robin rather than a hash of each name: every shard gets the
same number of inputs, give or take one, and inputs that sit together (one student's
files, a run of replies to a slow puzzle) are spread over the shards instead of
weighing on one; a hash would only help to keep an input in its shard as inputs come
and go, and a split is always of one fixed input.

`merge` joins the shards' `grades.csv` (the header once, rows in `order_key` order,
a submission graded twice is an error) or `results.jsonl` (lines in input order by
their `line`, a line given twice is an error, lines missing are reported).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Literal, TypeVar

import msgspec

from .errors import UsageError

T = TypeVar("T")
_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


@dataclass(frozen=True)
class Shard:
    """The K-th (1-based) of N shares of a batch."""

    k: int
    n: int

    def take(self, items: Sequence[T]) -> list[T]:
        """This shard's share of `items` (already in their stable order)."""
        return list(items[self.k - 1 :: self.n])

    def __str__(self) -> str:
        return f"{self.k}/{self.n}"


ALL = Shard(1, 1)


def parse_shard(text: str) -> Shard:
    """`2/5` -> Shard(2, 5); a UsageError that says what is wrong otherwise."""
    match = _SHARD.match(text)
    if match is None:
        raise UsageError(f"--shard takes K/N, the K-th of N shares (like 2/5), not {text!r}")
    k, n = int(match[1]), int(match[2])
    if n < 1:
        raise UsageError(f"--shard {text}: N, the number of shards, must be at least 1")
    if not 1 <= k <= n:
        raise UsageError(f"--shard {text}: K must be between 1 and {n} (shards count from 1)")
    return Shard(k, n)


def order_key(path: str | PurePath) -> tuple[tuple[int, str], ...]:
    """Where a path stands in a walk: a folder's files by name, then its subfolders by
    name (`a/z.py` before `a/b/c.py`); the separator does not matter."""
    parts = PurePath(path).parts
    return (*((1, p) for p in parts[:-1]), (0, parts[-1] if parts else ""))


def shard_files(files: Sequence[T], shard: Shard) -> list[T]:
    """The shard's share of submission files, in `order_key` order."""
    ordered = sorted(files, key=lambda f: order_key(str(f)))
    return shard.take(ordered)


# ---------------------------------------------------------------- merging


class MergeError(UsageError):
    """Shards' outputs that cannot be joined (exit code 2, like other usage errors)."""


@dataclass
class Merged:
    """The joined output, and the input lines no shard had a result for."""

    kind: Literal["csv", "jsonl"]
    text: str
    missing: list[int] = field(default_factory=list)

    def problems(self) -> list[str]:
        """What to tell about the merge (empty when it is complete)."""
        if not self.missing:
            return []
        shown = ", ".join(str(n) for n in self.missing[:10])
        more = f" and {len(self.missing) - 10} more" if len(self.missing) > 10 else ""
        lines = "line" if len(self.missing) == 1 else "lines"
        return [f"no result for input {lines} {shown}{more}: is a shard's output missing?"]


def merge_csv(texts: Sequence[str], names: Sequence[str] | None = None) -> str:
    """Shards' `grades.csv` as one: the header once, rows in `order_key` order.

    A shard with no rows (more shards than files) may have a shorter header; every
    shard with rows must have the same header. A submission in two shards is an error.
    """
    names = list(names or (f"shard {k + 1}" for k in range(len(texts))))
    header: list[str] | None = None
    header_from = ""
    rows: dict[str, tuple[list[str], str]] = {}
    for text, name in zip(texts, names, strict=True):
        table = list(csv.reader(io.StringIO(text)))
        if not table:
            raise MergeError(f"{name} is empty: it should start with a header line")
        head, body = table[0], [r for r in table[1:] if r]
        if head[:1] != ["submission"]:
            raise MergeError(f"{name} is not a grades.csv (its header starts {head[:1]})")
        if not body:
            header = header or head
            continue
        if header is not None and header_from and head != header:
            raise MergeError(
                f"the header of {name} differs from that of {header_from}: grade every "
                "shard with the same --set and --puzzle options"
            )
        header, header_from = head, name
        for row in body:
            if row[0] in rows:
                raise MergeError(
                    f"submission {row[0]!r} is in both {rows[row[0]][1]} and {name}: "
                    "was it graded in two shards?"
                )
            rows[row[0]] = (row, name)
    if header is None:
        raise MergeError("nothing to merge: give the grades.csv of each shard")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for key in sorted(rows, key=order_key):
        writer.writerow(rows[key][0])
    return out.getvalue()


class _Numbered(msgspec.Struct):
    line: int


def merge_jsonl(
    texts: Sequence[bytes],
    names: Sequence[str] | None = None,
    expected: Collection[int] | None = None,
) -> Merged:
    """Shards' `results.jsonl` as one, in input order by each result's `line`.

    A line with two results is an error. `expected` (the input's record lines, see
    `input_lines`) makes any line without a result `missing`, and a result for a line
    not in it an error; without it, the gaps between the lines present are `missing`.
    """
    names = list(names or (f"shard {k + 1}" for k in range(len(texts))))
    found: dict[int, tuple[bytes, str]] = {}
    for text, name in zip(texts, names, strict=True):
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                line = msgspec.json.decode(raw, type=_Numbered).line
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
                raise MergeError(
                    f'{name}, line {number}: not a result line with a "line" number: '
                    "merge the results.jsonl files of `adgrader grade --jsonl`"
                ) from None
            if line in found:
                raise MergeError(
                    f"input line {line} has results in both {found[line][1]} and {name}: "
                    "was it graded in two shards?"
                )
            found[line] = (raw.rstrip(b"\r") + b"\n", name)
    if expected is not None:
        stray = sorted(set(found) - set(expected))
        if stray:
            raise MergeError(
                f"{found[stray[0]][1]} has a result for line {stray[0]}, which is no "
                "record of the input: is it the right input file?"
            )
        missing = sorted(set(expected) - set(found))
    else:
        missing = sorted(set(range(1, max(found, default=0) + 1)) - set(found))
    text = b"".join(found[n][0] for n in sorted(found))
    return Merged("jsonl", text.decode("utf-8", errors="replace"), missing)


def input_lines(path: str | os.PathLike[str]) -> list[int]:
    """The input's lines that are records (not blank), to check a merge against."""
    with Path(path).open("rb") as stream:
        return [n for n, raw in enumerate(stream, start=1) if raw.strip()]


def merge_paths(
    paths: Sequence[str | os.PathLike[str]], *, input: str | os.PathLike[str] | None = None
) -> Merged:
    """Join shard outputs given as files (`grades.csv`, `results.jsonl`) or as the
    folders that hold them; all must be of one kind. `input` is the JSON Lines input,
    to find missing lines exactly."""
    files = [_output_file(Path(p)) for p in paths]
    kinds = {f.suffix for f in files}
    if len(kinds) != 1:
        raise MergeError("give either grades.csv files or results.jsonl files, not both")
    names = [str(f) for f in files]
    if kinds == {".csv"}:
        return Merged("csv", merge_csv([f.read_text(encoding="utf-8") for f in files], names))
    expected = input_lines(input) if input is not None else None
    return merge_jsonl([f.read_bytes() for f in files], names, expected)


def _output_file(path: Path) -> Path:
    if path.is_dir():
        for name in ("grades.csv", "results.jsonl"):
            if (path / name).is_file():
                return path / name
        raise MergeError(f"{str(path)!r} holds neither grades.csv nor results.jsonl")
    if not path.is_file():
        raise MergeError(f"no such file or folder: {str(path)!r}")
    if path.suffix not in (".csv", ".jsonl"):
        raise MergeError(f"{str(path)!r} is neither a .csv nor a .jsonl file")
    return path
