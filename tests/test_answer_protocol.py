"""The answer protocol attacked from the answer side, without jax.

A scripted process (a few lines of Python started by `ScriptedLauncher`) plays the
answer process: it reads the job like the real one, then sends what no honest answer
process sends: malformed, unknown, oversized, out-of-order and repeated events,
frames whose length lies, arrays whose bytes lie about their shape, dtypes that are
not numbers, monstrous shapes, results for another request. Each must end that
process and give its request `error` with a message (or `timeout` when the grading
side's clock runs out): never a traceback, a hang or a pass, and the grading side's
memory stays bounded whatever the frames claim.
"""

from __future__ import annotations

import math
import os
import secrets
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pytest

import adgrader
from adgrader.answers import protocol
from adgrader.answers.client import AnswerProcess, Setup
from adgrader.answers.launch import TOKEN_VAR, Child, Spawner
from adgrader.answers.protocol import Outcome
from adgrader.options import Limits
from adgrader.spec import Puzzle, load_set

from .hostile_tools import carrying

SRC = str(Path(adgrader.__file__).resolve().parents[1])
RIGHT = 30.0  # the clock for requests that must not time out
SHORT = 1.0  # the clock for requests that must

PRELUDE = r"""
import os, signal, struct, sys, time
sys.path.insert(0, sys.argv[1])
import msgspec
from adgrader.answers import protocol
from adgrader.answers.protocol import Array, Found, Loaded, Ready, Result

REQUESTS, EVENTS = int(sys.argv[2]), int(sys.argv[3])
reader = protocol.FrameReader(REQUESTS, 1 << 30, 1 << 62)
job = protocol.job_decoder.decode(reader.read())
PUZZLES = {p.id: p for p in job.puzzles}
encode = msgspec.msgpack.Encoder().encode


def raw(data):
    view = memoryview(data)
    while view:
        view = view[os.write(EVENTS, view):]


def frame(body):
    raw(protocol.HEADER.pack(len(body)) + body)


def send(event):
    raw(protocol.encode(event))


def ready():
    send(Ready("kernel", "scripted"))


def loaded():
    send(Loaded({p.id: Found("jac", f"jac_{p.id}", 1) for p in job.puzzles}))


def evals():
    # each Eval the grading side sends, one at a time (a batch's items in order)
    while True:
        try:
            request = protocol.request_decoder.decode(reader.read())
        except EOFError:
            return
        if isinstance(request, protocol.EvalBatch):
            yield from request.items
        else:
            yield request


def count(request):
    return next(iter(request.points.values())).shape[0]


def zeros(request):
    # an honest reply: a zero Jacobian per input, per point
    spec = PUZZLES[request.puzzle]
    point = {}
    for i in spec.inputs:
        shape = tuple(spec.out_shape) + tuple(i.shape)
        point[i.name] = Array("<f8", shape, bytes(8 * __import__("math").prod(shape)))
    return Result(request.seq, "ok", arrays=(point,) * count(request))


def forever():
    while True:
        time.sleep(60)


def empty_maps(seq, count):
    # a result whose arrays are `count` empty maps: one byte each on the wire
    head = encode({"type": "result", "seq": seq, "status": "ok"})
    size = struct.pack(">I", count)
    frame(b"\x84" + head[1:] + encode("arrays") + b"\xdd" + size + b"\x80" * count)
"""

HONEST = "ready()\nloaded()\nfor r in evals():\n    send(zeros(r))\n"


def answering(reply: str) -> str:
    """A script that is honest up to the answers, then replies to each with `reply`
    (Python code; `r` is the request)."""
    return "ready()\nloaded()\nfor r in evals():\n" + indent(reply)


def for_neg(reply: str) -> str:
    """A script that replies to puzzle neg with `reply`, honestly to the others."""
    return answering(f"if r.puzzle == 'neg':\n{indent(reply)}else:\n    send(zeros(r))")


def indent(code: str) -> str:
    return "".join(f"    {line}\n" for line in code.strip().splitlines())


class ScriptedLauncher(Spawner):
    """Starts a scripted answer process, as `ColdStart` starts the real one (own
    session, scrubbed environment with a token), and keeps every token."""

    warm = False

    def __init__(self, script: str) -> None:
        self.script = script
        self.tokens: list[str] = []

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        token = secrets.token_hex(8)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                PRELUDE + self.script,
                SRC,
                str(requests_fd),
                str(events_fd),
            ],
            stdin=subprocess.DEVNULL,
            stdout=output_fd,
            stderr=output_fd,
            cwd=workdir,
            env={"PATH": os.environ.get("PATH", ""), TOKEN_VAR: token},
            pass_fds=(requests_fd, events_fd),
            start_new_session=True,
        )
        self.tokens.append(token)
        return Child(proc.pid, token, proc.wait)

    def close(self) -> None:
        pass


def points(puzzle: Puzzle, count: int = 2) -> list[dict[str, np.ndarray]]:
    point = {i.name: np.zeros(i.shape) for i in puzzle.inputs}
    point["g"] = np.zeros(puzzle.out_shape)
    return [dict(point) for _ in range(count)]


def puzzles(*ids: str) -> list[Puzzle]:
    return list(load_set("jax").select(ids))


def run(
    tmp_path: Path,
    script: str,
    ids: tuple[str, ...] = ("neg",),
    timeout: float = RIGHT,
    file_timeout: float | None = None,
) -> tuple[list[Outcome], ScriptedLauncher]:
    """Each puzzle asked once, one request at a time (so none is batched with another),
    from a scripted answer process; the outcomes in order. Afterwards no process that
    carries one of its tokens is left."""
    launcher = ScriptedLauncher(script)
    chosen = puzzles(*ids)
    setup = Setup("", "jac", True, False, Limits(timeout=timeout, file_timeout=file_timeout))
    proc = AnswerProcess(setup, chosen, tmp_path, launcher)
    outcomes = []
    try:
        for puzzle in chosen:
            seq = proc.request(puzzle.id, points(puzzle))
            deadline = time.monotonic() + 60
            while seq not in proc.outcomes and time.monotonic() < deadline:
                time.sleep(0.01)
            outcomes.append(proc.outcomes[seq])
        proc.finish()
    finally:
        proc.close()
    assert launcher.tokens, "no scripted process was started"
    assert_nothing_left(launcher.tokens)
    return outcomes, launcher


def assert_nothing_left(tokens: list[str]) -> None:
    deadline = time.monotonic() + 10
    while carrying(tokens) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert carrying(tokens) == []


def broken(outcome: Outcome, *words: str) -> None:
    """The request failed with a message saying why (never a pass, never silent)."""
    assert outcome.status == "error", outcome
    assert outcome.arrays == []
    for word in words:
        assert word in outcome.message, outcome.message


# ---------------------------------------------------------------- the honest baseline


@pytest.mark.timeout(60)
def test_an_honest_scripted_process_is_answered(tmp_path: Path) -> None:
    (neg, emean), launcher = run(tmp_path, HONEST, ("neg", "emean"))
    assert neg.status == emean.status == "ok"
    assert [a["x"].shape for a in neg.arrays] == [(10, 10), (10, 10)]
    assert sorted(emean.arrays[0]) == ["x", "y"]
    assert len(launcher.tokens) == 1  # one process answered both


# ---------------------------------------------------------------- each broken event

# name: (script, what the message says)
BROKEN_EVENTS = {
    "not msgpack": ("ready()\nframe(b'\\xc1')\nforever()", "could not decode"),
    "an unknown event": ("ready()\nframe(encode({'type': 'hello'}))\nforever()", "decode"),
    "a field of the wrong type": (
        "ready()\nframe(encode({'type': 'loaded', 'answers': 7}))\nforever()",
        "could not decode",
    ),
    "a frame over the limit": ("ready()\nraw(struct.pack('>I', 2**32 - 1))\nforever()", "bytes"),
    "a result before loading": (
        "ready()\nsend(Result(0, 'ok'))\nforever()",
        "`Result` out of turn",
    ),
    "loaded before ready": ("loaded()\nforever()", "`Loaded` out of turn"),
    "an answer nobody asked for": (
        "ready()\nsend(Loaded({'neg': Found('jac', 'jac_relu')}))\nforever()",
        "did not ask for",
    ),
    "a puzzle it was not given": (
        "ready()\nsend(Loaded({'cumsum': Found('jac', 'jac_cumsum')}))\nforever()",
        "was not given",
    ),
    "an unknown form": (
        "ready()\nsend(Loaded({'neg': Found('magic', 'jac_neg')}))\nforever()",
        "did not ask for",
    ),
    "a load error of a megabyte": (
        "ready()\nsend(Loaded(error='x' * 1_000_000))\nforever()",
        "length <= 4000",
    ),
    "a length that lies, then the end": ("ready()\nraw(struct.pack('>I', 100) + b'abc')", "ended"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", sorted(BROKEN_EVENTS))
def test_a_broken_event_before_answers_fails_every_request(tmp_path: Path, case: str) -> None:
    script, words = BROKEN_EVENTS[case]
    (neg, relu), launcher = run(tmp_path, script, ("neg", "relu"))
    broken(neg, words)
    broken(relu, words)
    assert len(launcher.tokens) == 1  # the file as a whole failed: no second try


# name: (reply to each request, what the message says)
BROKEN_RESULTS = {
    "garbage": ("frame(b'\\x00\\xff' * 10)", "could not decode"),
    "ready again": ("ready()", "`Ready` out of turn"),
    "loaded again": ("loaded()", "`Loaded` out of turn"),
    "a result for another request": ("send(Result(r.seq + 1, 'ok'))", "`Result` out of turn"),
    "a status it may not send": (
        "frame(encode({'type': 'result', 'seq': r.seq, 'status': 'passed'}))",
        "could not decode",
    ),
    "arrays for fewer points": ("send(Result(r.seq, 'ok', arrays=zeros(r).arrays[:1]))", "for 2"),
    "an array of a name it may not send": (
        "send(Result(r.seq, 'ok', arrays=({'zz': zeros(r).arrays[0]['x']},) * 2))",
        "an array named 'zz'",
    ),
    "bytes that lie about the shape": (
        "send(Result(r.seq, 'ok', arrays=({'x': Array('<f8', (10, 10), bytes(8))},) * 2))",
        "does not match its shape",
    ),
    "a monster shape": (
        "send(Result(r.seq, 'ok', arrays=({'x': Array('<f8', (10**9, 10**9), b'')},) * 2))",
        "far too large",
    ),
    "too many axes": (
        "send(Result(r.seq, 'ok', arrays=({'x': Array('<f8', (1,) * 40, bytes(8))},) * 2))",
        "length <= 32",
    ),
    "a negative axis": (
        "send(Result(r.seq, 'ok', arrays=({'x': Array('<f8', (-1, 10), b'')},) * 2))",
        ">= 0",
    ),
    "a message of a megabyte": ("send(Result(r.seq, 'error', 'x' * 1_000_000))", "<= 4000"),
    "a million points": ("empty_maps(r.seq, 10**6)", "length <= 4096"),
}
DTYPES = ["|O", "<U4", "|V8", "<c16", "<M8[s]", "not a dtype"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", sorted(BROKEN_RESULTS))
def test_a_broken_result_fails_its_request_and_ends_the_process(tmp_path: Path, case: str) -> None:
    reply, words = BROKEN_RESULTS[case]
    (neg, relu), launcher = run(tmp_path, for_neg(reply), ("neg", "relu"))
    broken(neg, words)
    assert relu.status == "ok"  # answered by a fresh process: the broken one was ended
    assert len(launcher.tokens) == 2


@pytest.mark.timeout(60)
@pytest.mark.parametrize("dtype", DTYPES)
def test_arrays_that_are_not_numbers_fail(tmp_path: Path, dtype: str) -> None:
    reply = (
        f"send(Result(r.seq, 'ok', arrays=({{'x': Array({dtype!r}, (10, 10), bytes(800))}},) * 2))"
    )
    (neg,), _ = run(tmp_path, answering(reply))
    broken(neg, "not an array of numbers" if len(dtype) <= 8 else "could not decode")


@pytest.mark.timeout(60)
def test_a_replayed_result_is_out_of_turn(tmp_path: Path) -> None:
    script = answering(
        "first = first if 'first' in dir() else zeros(r)\nsend(first)"  # the first, again
    )
    (neg, relu), _ = run(tmp_path, script, ("neg", "relu"))
    assert neg.status == "ok"
    broken(relu, "`Result` out of turn")


@pytest.mark.timeout(60)
def test_text_from_the_answer_process_cannot_drive_the_terminal(tmp_path: Path) -> None:
    message = "\x1b[2J\x1b]52;c;cm0gLXJm\x07 all passed \u202e\r\n::error::x"
    script = answering(f"send(Result(r.seq, 'error', {message!r}, line=3))")
    (neg,), _ = run(tmp_path, script)
    assert neg.status == "error" and neg.line == 3
    assert neg.message.isprintable()
    assert "\\x1b[2J" in neg.message and "\\u202e" in neg.message and "\\n::error" in neg.message


# ---------------------------------------------------------------- clocks and ends


@pytest.mark.timeout(60)
def test_a_frame_that_never_ends_times_out(tmp_path: Path) -> None:
    script = answering(
        "raw(struct.pack('>I', 8 << 20))\nwhile True:\n    raw(b'\\x00')\n    time.sleep(0.05)"
    )
    (neg,), _ = run(tmp_path, script, timeout=SHORT)
    assert neg.status == "timeout" and "did not finish within 1 s" in neg.message


@pytest.mark.timeout(60)
def test_a_result_sent_byte_by_byte_does_not_stretch_the_clock(tmp_path: Path) -> None:
    script = answering(
        "for byte in protocol.encode(zeros(r)):\n    raw(bytes([byte]))\n    time.sleep(0.01)"
    )
    started = time.monotonic()
    (neg,), _ = run(tmp_path, script, timeout=SHORT)
    assert neg.status == "timeout"
    assert time.monotonic() - started < 30


@pytest.mark.timeout(60)
def test_a_silent_answer_times_out_and_the_next_gets_a_fresh_process(tmp_path: Path) -> None:
    script = "ready()\nloaded()\nfor r in evals():\n    forever()\n"
    (neg, relu), launcher = run(tmp_path, script, ("neg", "relu"), timeout=SHORT)
    assert neg.status == relu.status == "timeout"
    assert len(launcher.tokens) == 2


@pytest.mark.timeout(60)
def test_a_process_that_never_gets_ready_costs_only_the_file_time(tmp_path: Path) -> None:
    started = time.monotonic()
    (neg,), _ = run(tmp_path, "forever()", timeout=SHORT, file_timeout=2)
    assert neg.status == "timeout" and "whole file ran out of time" in neg.message
    assert time.monotonic() - started < 30


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    ("reply", "words"),
    [
        ("os._exit(0)", "ended its process (exit code 0)"),
        ("os.kill(os.getpid(), signal.SIGKILL)", "ended its process (signal 9)"),
        ("os.close(EVENTS)\nforever()", "ended its process"),
    ],
    ids=["exit", "killed", "closes its events"],
)
def test_an_answer_that_ends_its_process_costs_only_its_request(
    tmp_path: Path, reply: str, words: str
) -> None:
    (neg, relu), _ = run(tmp_path, for_neg(reply), ("neg", "relu"))
    broken(neg, words)
    assert relu.status == "ok"


# ---------------------------------------------------------------- memory


@pytest.mark.timeout(120)
def test_frames_decode_to_bounded_memory(tmp_path: Path) -> None:
    """Four megabytes of empty maps, as a result's arrays: 270 MB of dicts before
    the bounds; now the decoder stops at the array's header."""
    script = answering("empty_maps(r.seq, 4 << 20)")
    tracemalloc.start()
    try:
        (neg,), _ = run(tmp_path, script)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    broken(neg, "length <= 4096")
    assert peak < 64 << 20, f"{peak / 2**20:.0f} MB"


def empty_maps(count: int) -> bytes:
    """A Result frame body whose arrays are `count` empty maps (one byte each)."""
    head = msgspec.msgpack.encode({"type": "result", "seq": 0, "status": "ok"})
    return (
        b"\x84"
        + head[1:]
        + msgspec.msgpack.encode("arrays")
        + b"\xdd"
        + struct.pack(">I", count)
        + b"\x80" * count
    )


@pytest.mark.parametrize(
    "body",
    [
        empty_maps(4 << 20),
        b"\x84"
        + msgspec.msgpack.encode({"type": "result", "seq": 0, "status": "ok"})[1:]
        + msgspec.msgpack.encode("arrays")
        + b"\x91\x81\xa1x\x93\xa3<f8\xdd"
        + struct.pack(">I", 4 << 20)
        + b"\x00" * (4 << 20)
        + b"\xc4\x00",
        msgspec.msgpack.encode({"type": "loaded", "answers": {str(k): {} for k in range(1 << 16)}}),
        msgspec.msgpack.encode(
            {
                "type": "loaded",
                "answers": {"neg": {"form": "jac", "name": "jac_neg", "ignored": [""] * (4 << 20)}},
            }
        ),
    ],
    ids=["empty maps as points", "a shape of four million axes", "65536 answers", "ignored names"],
)
def test_the_decoder_refuses_before_building(body: bytes) -> None:
    tracemalloc.start()
    try:
        with pytest.raises(msgspec.ValidationError):
            protocol.event_decoder.decode(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak / 2**20:.1f} MB decoded from {len(body) / 2**20:.1f} MB"


# ---------------------------------------------------------------- frames and arrays


def pipe_with(data: bytes) -> int:
    read, write = os.pipe()

    def feed() -> None:
        with os.fdopen(write, "wb") as out:
            out.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return read


def test_frame_reader_bounds_each_frame_and_the_total() -> None:
    small = protocol.encode(protocol.Ready("kernel"))
    reader = protocol.FrameReader(pipe_with(small * 3), max_frame=1000, budget=2 * len(small))
    assert protocol.event_decoder.decode(reader.read()) == protocol.Ready("kernel")
    assert reader.read()
    with pytest.raises(protocol.ProtocolError, match="more data than any answer needs"):
        reader.read()
    big = protocol.FrameReader(pipe_with(struct.pack(">I", 1001)), max_frame=1000, budget=1 << 20)
    with pytest.raises(protocol.ProtocolError, match="1,001 bytes, over the 1,000 allowed"):
        big.read()
    cut = protocol.FrameReader(pipe_with(struct.pack(">I", 10) + b"abc"), 1000, 1 << 20)
    with pytest.raises(EOFError):
        cut.read()


def test_unpack_converts_only_what_it_checked() -> None:
    bools = protocol.pack(np.array([[True, False], [False, True]]))
    assert protocol.unpack(bools, (2, 2)).dtype == np.float64
    wrong = protocol.unpack(protocol.Array("|b1", (2000, 2000), b""), (2, 2))
    assert wrong.shape == (2000, 2000) and wrong.strides == (0, 0)  # nothing allocated
    with pytest.raises(protocol.ProtocolError, match="far too large"):
        protocol.unpack(protocol.Array("|b1", (10**5, 10**5), b""), (2, 2))
    with pytest.raises(protocol.ProtocolError, match="does not match its shape"):
        protocol.unpack(protocol.Array("<f8", (2, 2), bytes(31)), (2, 2))
    with pytest.raises(protocol.ProtocolError, match="not an array of numbers"):
        protocol.unpack(protocol.Array("|O", (2, 2), bytes(32)), (2, 2))
    big_endian = protocol.pack(np.arange(4.0, dtype=">f8").reshape(2, 2))
    assert protocol.unpack(big_endian, (2, 2)).tolist() == [[0.0, 1.0], [2.0, 3.0]]


def test_clean_shows_control_characters_and_cuts() -> None:
    assert protocol.clean("jac_neg raised ValueError: é ∂f/∂x") == (
        "jac_neg raised ValueError: é ∂f/∂x"
    )
    assert protocol.clean("a\x1bb\x00c\u2028d\te") == "a\\x1bb\\x00c\\u2028d\\te"
    assert protocol.clean("x" * 50, 10) == "xxxxxxx..."


def test_fit_keeps_the_answer_side_within_the_limits() -> None:
    long = "y" * (protocol.MAX_TEXT + 10)
    for event in (
        protocol.Result(0, "error", long),
        protocol.Loaded(error=long),
        protocol.Ready("python", long),
    ):
        decoded: Any = protocol.event_decoder.decode(protocol.encode(protocol.fit(event))[4:])
        text = getattr(decoded, "message", None) or getattr(decoded, "error", None)
        text = text or decoded.detail
        assert len(text) == protocol.MAX_TEXT and text.endswith("...")


def test_the_protocol_bounds_fit_the_largest_honest_reply() -> None:
    """Every built-in set's largest Jacobian, at the most points a grading asks, fits."""
    from adgrader.options import MAX_POINTS
    from adgrader.spec import available_sets

    largest = max(
        math.prod(p.jac_shape(i.name))
        for name in available_sets()
        for p in load_set(name).puzzles
        for i in p.inputs
    )
    assert largest <= protocol.MAX_ENTRIES
    assert MAX_POINTS + 64 <= protocol.MAX_POINTS  # points, and a puzzle's probes
