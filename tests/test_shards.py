"""Shards (adgrader.shards): every input in exactly one share; merged shards equal one run."""

from __future__ import annotations

import json
import random
from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

import adgrader
from adgrader.errors import UsageError
from adgrader.grading.batch import Batch, find_submissions
from adgrader.jsonl import Reply, Sets, bad_line_record, encode, read_replies, result_record
from adgrader.result import STATUSES, PuzzleResult, Report
from adgrader.shards import (
    MergeError,
    Shard,
    input_lines,
    merge_csv,
    merge_jsonl,
    merge_paths,
    order_key,
    parse_shard,
    shard_files,
)

JAX = adgrader.load_set("jax")
SETS = Sets("jax")


@pytest.mark.parametrize(("text", "shard"), [("1/1", Shard(1, 1)), (" 3 / 7 ", Shard(3, 7))])
def test_parse_shard(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard
    assert str(shard) == text.replace(" ", "")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("2-5", "--shard takes K/N, the K-th of N shares (like 2/5), not '2-5'"),
        ("a/b", "not 'a/b'"),
        ("-1/3", "not '-1/3'"),
        ("1/0", "N, the number of shards, must be at least 1"),
        ("0/3", "K must be between 1 and 3 (shards count from 1)"),
        ("4/3", "K must be between 1 and 3"),
    ],
)
def test_parse_shard_says_what_is_wrong(text: str, words: str) -> None:
    with pytest.raises(UsageError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_shard(text)


@pytest.mark.parametrize("n", range(1, 8))
@pytest.mark.parametrize("count", [0, 1, 5, 7, 20])
def test_every_input_is_in_exactly_one_shard(n: int, count: int) -> None:
    items = list(range(count))
    shares = [Shard(k, n).take(items) for k in range(1, n + 1)]
    together = sorted(x for share in shares for x in share)
    assert together == items
    sizes = [len(share) for share in shares]
    assert max(sizes) - min(sizes) <= 1


def _tree(root: Path) -> list[Path]:
    names = ["z.py", "a.ipynb", "b/c.py", "b/a.py", "b/d/e.py", "a2/x.py", "B/y.py"]
    for name in names:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("", encoding="utf-8")
    return [root / name for name in names]


def test_order_key_is_the_order_of_a_walk(tmp_path: Path) -> None:
    files = _tree(tmp_path / "subs")
    walked = find_submissions([tmp_path / "subs"])
    assert sorted(walked) == sorted(files)
    assert sorted(files, key=lambda p: order_key(str(p))) == walked
    assert order_key(PureWindowsPath("s\\b\\c.py")) == order_key(PurePosixPath("s/b/c.py"))


@pytest.mark.parametrize("n", range(1, 8))
def test_file_shares_do_not_depend_on_the_listing_order_or_the_root(n: int) -> None:
    names = [f"subs/{s}/{f}.py" for s in "qab" for f in "xyz"] + ["subs/top.py"]
    shuffled = random.Random(n).sample(names, len(names))
    for k in range(1, n + 1):
        mine = shard_files(names, Shard(k, n))
        assert shard_files(shuffled, Shard(k, n)) == mine
        elsewhere = shard_files([f"/home/ci/work/{x}" for x in shuffled], Shard(k, n))
        assert [x.removeprefix("/home/ci/work/") for x in elsewhere] == mine


# ---------------------------------------------------------------- merging grades.csv


def _reports(names: list[str]) -> list[Report]:
    reports = []
    for name in names:
        rng = random.Random(name)  # each submission's verdicts, whichever shard grades it
        results = []
        for p in JAX.puzzles[:4]:
            status = rng.choice(STATUSES)
            results.append(PuzzleResult(p.id, p.title, status, score=float(status == "passed")))
        reports.append(Report(name, "jax", 0, 3, results))
    return reports


@pytest.mark.parametrize("n", range(1, 8))
def test_merged_csv_shards_equal_the_whole_run(n: int) -> None:
    names = shard_files(
        [f"subs/{s}/{f}.py" for s in "ab" for f in "xyz"] + ["subs/t.py"], Shard(1, 1)
    )
    whole = Batch.of(JAX, _reports(names)).csv()
    texts = [
        Batch.of(JAX, _reports(shard_files(names, Shard(k, n)))).csv() for k in range(1, n + 1)
    ]
    assert merge_csv(list(reversed(texts))) == whole


def test_an_empty_shard_merges_even_with_a_shorter_header() -> None:
    names = ["subs/a.py", "subs/b.py"]
    whole = Batch.of(JAX, _reports(names)).csv()
    empty = Batch.of(JAX, []).csv()
    assert empty == "submission,set,score,max_score\n"
    assert merge_csv([empty, *(Batch.of(JAX, _reports([x])).csv() for x in names)]) == whole


def test_csv_merge_refuses_duplicates_and_other_headers() -> None:
    one = Batch.of(JAX, _reports(["subs/a.py"])).csv()
    with pytest.raises(MergeError, match=r"'subs/a.py' is in both shard 1 and shard 2: was it"):
        merge_csv([one, one])
    narrow = Report("subs/b.py", "jax", 0, 3, _reports(["subs/b.py"])[0].puzzles[:2])
    with pytest.raises(MergeError, match="header of shard 2 differs from that of shard 1"):
        merge_csv([one, Batch.of(JAX, [narrow]).csv()])
    with pytest.raises(MergeError, match=r"is not a grades\.csv"):
        merge_csv(["id,score\n1,2\n"])


# ---------------------------------------------------------------- merging results.jsonl


def _input(tmp_path: Path) -> Path:
    rows = []
    for k in range(13):
        rows.append(json.dumps({"id": k, "puzzle": JAX.puzzles[k % 20].id, "reply": f"r{k}"}))
        if k % 5 == 4:
            rows.append("")  # blank lines are no records
    rows[6] = "{broken"
    path = tmp_path / "replies.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def _results(path: Path, shard: Shard) -> bytes:
    items = shard.take(list(read_replies(path, SETS)))
    out = []
    for item in items:
        if isinstance(item, Reply):
            result = PuzzleResult(item.puzzle, "", "failed")
            out.append(encode(result_record(item, result, seed=0, points=3, feedback="f")))
        else:
            out.append(encode(bad_line_record(item)))
    return b"".join(out)


@pytest.mark.parametrize("n", range(1, 8))
def test_merged_jsonl_shards_equal_the_whole_run(tmp_path: Path, n: int) -> None:
    path = _input(tmp_path)
    whole = _results(path, Shard(1, 1))
    shards = [_results(path, Shard(k, n)) for k in range(1, n + 1)]
    merged = merge_jsonl(list(reversed(shards)), expected=input_lines(path))
    assert merged.text.encode() == whole
    assert merged.missing == [] and merged.problems() == []
    # Without the input, its blank lines look like lines without a result.
    assert merge_jsonl(shards).missing == [6, 12]


def test_jsonl_merge_reports_gaps_and_refuses_duplicates(tmp_path: Path) -> None:
    path = _input(tmp_path)
    shards = [_results(path, Shard(k, 3)) for k in (1, 2, 3)]
    lost = [int(json.loads(x)["line"]) for x in shards[1].splitlines()]
    merged = merge_jsonl([shards[0], shards[2]], expected=input_lines(path))
    assert merged.missing == lost
    assert merged.problems()[0].startswith("no result for input lines ")
    with pytest.raises(MergeError, match=r"input line \d+ has results in both shard 1 and shard 2"):
        merge_jsonl([shards[0], shards[0]])
    with pytest.raises(MergeError, match="which is no record of the input"):
        merge_jsonl(shards, expected=input_lines(path)[:-2])
    with pytest.raises(MergeError, match='shard 1, line 1: not a result line with a "line"'):
        merge_jsonl([b'{"id": 1}\n'])


def test_merge_paths_takes_files_or_their_folders(tmp_path: Path) -> None:
    path = _input(tmp_path)
    for k in (1, 2):
        folder = tmp_path / f"shard-{k}"
        folder.mkdir()
        (folder / "results.jsonl").write_bytes(_results(path, Shard(k, 2)))
    merged = merge_paths([tmp_path / "shard-2", tmp_path / "shard-1"], input=path)
    assert merged.kind == "jsonl" and merged.text.encode() == _results(path, Shard(1, 1))
    (tmp_path / "grades.csv").write_text("submission,score,max_score\n", encoding="utf-8")
    with pytest.raises(MergeError, match="not both"):
        merge_paths([tmp_path / "shard-1", tmp_path / "grades.csv"])
    with pytest.raises(MergeError, match="no such file or folder"):
        merge_paths([tmp_path / "shard-1", tmp_path / "shard-1" / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(MergeError, match=r"holds neither grades\.csv nor results\.jsonl"):
        merge_paths([tmp_path / "empty"])
