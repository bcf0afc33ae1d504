"""JSON Lines in and out (adgrader.jsonl): reading replies, writing results in order."""

from __future__ import annotations

import io
import json
from pathlib import Path

import msgspec
import pytest

from adgrader.jsonl import (
    BadLine,
    Reply,
    Result,
    ResultWriter,
    Sets,
    bad_line_record,
    decode,
    encode,
    read_replies,
    result_record,
)
from adgrader.replies import extract
from adgrader.result import Finding, PuzzleResult

SETS = Sets("jax")


def read(*lines: str) -> list[Reply | BadLine]:
    return list(read_replies(lines, SETS))


def line(**fields: object) -> str:
    return json.dumps(fields)


def test_a_good_line_is_a_reply_with_the_commands_set_and_its_extra_keys() -> None:
    (item,) = read(line(id="r1", puzzle="relu", reply="```python\n```", model="m", k=3))
    assert item == Reply(
        line=1,
        id="r1",
        puzzle="relu",
        set="jax",
        reply="```python\n```",
        extra={"model": "m", "k": 3},
    )


def test_a_line_may_name_its_set_and_use_a_number_as_id() -> None:
    (item,) = read(line(id=7, puzzle="broadcast", set="classic", reply="x"))
    assert isinstance(item, Reply) and (item.id, item.set) == (7, "classic")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{not json", "line 1: not valid JSON ("),
        ("[1, 2]", "line 1: a JSON object is expected, got a list"),
        pytest.param("[" * 100_000 + "]" * 100_000, "nested too deeply to read", id="deep"),
        (line(id="a", reply="x"), 'line 1: no "puzzle": each line needs "id", "puzzle" and'),
        (line(reply="x"), 'no "id" and "puzzle":'),
        (
            line(id=True, puzzle="relu", reply="x"),
            '"id" must be a string or a whole number, got true',
        ),
        (
            line(id=1.5, puzzle="relu", reply="x"),
            '"id" must be a string or a whole number, got the',
        ),
        (line(id="a", puzzle=3, reply="x"), '"puzzle" must be a string, got the number 3'),
        (line(id="a", puzzle="relu", reply=None), '"reply" must be a string, got null'),
        (line(id="a", puzzle="relu", set=["jax"], reply="x"), '"set" must be a string, got a'),
        (line(id="a", puzzle="relu", set="nope", reply="x"), "line 1: no puzzle set 'nope'"),
        (line(id="a", puzzle="reluu", reply="x"), "no puzzle 'reluu' in set 'jax': `adgrader"),
        (line(id="a", puzzle="broadcast", reply="x"), "no puzzle 'broadcast' in set 'jax'"),
    ],
)
def test_a_malformed_line_is_a_bad_line_saying_why(text: str, words: str) -> None:
    (item,) = read(text)
    assert isinstance(item, BadLine) and item.line == 1
    assert words in item.message


def test_a_bad_line_keeps_what_could_be_read() -> None:
    (item,) = read(line(id="a7", puzzle="reluu", reply="x", model="m"))
    assert isinstance(item, BadLine)
    assert (item.id, item.puzzle, item.set, item.extra) == ("a7", "reluu", None, {"model": "m"})


def test_one_bad_line_spoils_only_itself_and_blank_lines_are_skipped() -> None:
    items = read(
        line(id=1, puzzle="relu", reply="a"),
        "",
        "{oops",
        "   ",
        line(id=2, puzzle="neg", reply="b") + "\r\n",
    )
    assert [(type(i).__name__, i.line) for i in items] == [
        ("Reply", 1),
        ("BadLine", 3),
        ("Reply", 5),
    ]


def test_long_lines_are_bad_and_the_next_line_is_read(tmp_path: Path) -> None:
    good = line(id=2, puzzle="relu", reply="ok")
    long = line(id=1, puzzle="relu", reply="x" * 5000)
    path = tmp_path / "replies.jsonl"
    path.write_text(f"{long}\n{good}\n", encoding="utf-8")
    for source in (path, io.BytesIO(path.read_bytes()), [long, good]):
        items = list(read_replies(source, SETS, max_line=1000))
        assert isinstance(items[0], BadLine) and "longer than 1000 bytes" in items[0].message
        assert isinstance(items[1], Reply) and items[1].line == 2


def test_bytes_that_are_not_utf8_are_a_bad_line() -> None:
    (item,) = list(read_replies([b'{"id": "a", "puzzle": "relu", "reply": "\xff"}'], SETS))
    assert (
        isinstance(item, BadLine)
        and item.message == "line 1: not UTF-8 text: write the file as UTF-8"
    )


# ---------------------------------------------------------------- results


def reply(**changes: object) -> Reply:
    fields: dict[str, object] = dict(
        line=4, id="r1", puzzle="relu", set="jax", reply="...", extra={"model": "m"}
    )
    fields.update(changes)
    return Reply(**fields)  # type: ignore[arg-type]


def test_result_record_of_a_pass_and_of_a_violation() -> None:
    text = "```python\ndef jac(x):\n    return np.eye(10)\n```\n"
    extraction = extract(text, SETS.default.get("relu"))
    passed = PuzzleResult("relu", "ReLU", "passed", form="jac", score=1.0)
    record = result_record(
        reply(), passed, seed=0, points=3, feedback="relu: passed", extraction=extraction
    )
    assert (record.status, record.reward, record.score, record.block, record.line) == (
        "passed",
        1.0,
        1.0,
        1,
        4,
    )
    assert record.note == "jac renamed jac_relu" and record.extra == {"model": "m"}
    broken = PuzzleResult(
        "relu",
        "ReLU",
        "violation",
        message="right values, but it breaks the no-array-literal rule",
        line=3,
        violations=[Finding("no-array-literal", "np.array builds it", 3)],
    )
    record = result_record(reply(), broken, seed=5, points=1, feedback="f")
    assert (record.status, record.reward, record.reply_line) == ("violation", 0.0, 3)
    assert record.violations[0].rule == "no-array-literal" and record.graded


def test_a_bad_line_gives_an_ungraded_error() -> None:
    (bad,) = read("{oops")
    assert isinstance(bad, BadLine)
    record = bad_line_record(bad, seed=0)
    assert (record.status, record.reward, record.graded, record.line) == ("error", 0.0, False, 1)
    assert record.message.startswith("line 1: not valid JSON")


def test_records_round_trip_as_one_json_line_each() -> None:
    record = result_record(
        reply(extra={"nested": {"a": [1, 2]}}),
        PuzzleResult("relu", "ReLU", "failed", message="2 of 100 entries wrong", mismatch_total=2),
        seed=0,
        points=3,
        feedback="relu: failed: wrong values in the Jacobian.\n",
    )
    data = encode(record)
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    assert decode(data) == record
    keys = list(json.loads(data))
    assert keys[:6] == ["id", "puzzle", "set", "status", "reward", "score"]
    assert {"feedback", "message", "diagnosis", "seed", "line", "extra"} <= set(keys)


def _record(k: int) -> Result:
    return bad_line_record(BadLine(line=k + 1, message=f"m{k}"))


def test_writer_keeps_input_order_and_writes_as_soon_as_it_can() -> None:
    out = io.BytesIO()
    writer = ResultWriter(out)
    assert writer.put(2, _record(2)) == 0 and writer.pending == 1
    assert writer.put(1, _record(1)) == 0 and out.getvalue() == b""
    assert writer.put(0, _record(0)) == 3 and writer.pending == 0
    assert writer.put(3, _record(3)) == 1
    writer.finish(4)
    lines = [msgspec.json.decode(x)["line"] for x in out.getvalue().splitlines()]
    assert lines == [1, 2, 3, 4]


def test_writer_refuses_a_second_result_and_notices_a_missing_one() -> None:
    writer = ResultWriter(io.BytesIO())
    writer.put(0, _record(0))
    writer.put(2, _record(2))
    with pytest.raises(ValueError, match="already given"):
        writer.put(0, _record(0))
    with pytest.raises(ValueError, match="already given"):
        writer.put(2, _record(2))
    with pytest.raises(ValueError, match="no result for record 1 of 3"):
        writer.finish(3)
