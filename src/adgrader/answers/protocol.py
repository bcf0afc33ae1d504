"""The one typed protocol between the grading process and an answer process.

Both sides import this module and nothing else of each other. Messages are msgspec
Structs sent as msgpack frames, each a 4-byte big-endian length and the body, over
two pipes: requests (the job, then one `Eval` at a time) go to the answer process;
events (`Ready`, `Loaded`, then one `Result` per `Eval`) come back. Arrays travel
inside the frames as raw bytes with their dtype and shape: never pickle, never files.

The grading side treats every byte that comes back as hostile: `FrameReader` bounds
each frame and the total per answer process before reading, decoding is strict (an
unknown or malformed message is an error) and bounded: every container and string of
an event has a length limit that msgspec checks before it builds anything, so a frame
never decodes to much more memory than its own size (a megabyte of empty maps would
otherwise become a gigabyte of dicts). `unpack` checks an array's dtype, shape and
size before it becomes a numpy array, converting only arrays of the shape the puzzle
expects, and `clean` makes text from the other side safe to show on a terminal.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Literal

import msgspec
from msgspec import Meta

if TYPE_CHECKING:
    import numpy as np

HEADER = struct.Struct(">I")
# Dtypes an answer's arrays may have: numbers and booleans, nothing that needs a codec.
DTYPES = frozenset(
    {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8", "<f2", "<f4", "<f8"}
)
MAX_DIMS = 32
MAX_ENTRIES = 5_000_000  # entries in one array: far more than any Jacobian here
MAX_POINTS = 4096  # points in one request (Options bounds --points well below this)
MAX_ARRAYS = 16  # arrays per point: x, y, vjp_x, vjp_y, value, ...
MAX_PUZZLES = 1024  # answers one process may report
MAX_TEXT = 4000  # a message or detail, in characters
MAX_NAME = 200  # an answer's or an array's name

# Bounded types: msgspec checks a length when it reads the container's header, before
# building any element, so these bound the memory a frame can decode to.
Text = Annotated[str, Meta(max_length=MAX_TEXT)]
Name = Annotated[str, Meta(max_length=MAX_NAME)]
Count = Annotated[int, Meta(ge=0, le=2**62)]
Line = Annotated[int, Meta(ge=0, le=2**31)]


class ProtocolError(Exception):
    """The other side sent something this protocol does not allow."""


# ---------------------------------------------------------------- arrays


class Array(msgspec.Struct, frozen=True, array_like=True):
    """An array as plain data: its dtype (numpy's `str`), shape and raw bytes."""

    dtype: Annotated[str, Meta(max_length=8)]
    shape: Annotated[tuple[Count, ...], Meta(max_length=MAX_DIMS)]
    data: bytes


def pack(value: np.ndarray) -> Array:
    """An array for sending, little-endian and C-ordered."""
    import numpy as np

    arr = np.asarray(value, order="C")  # (ascontiguousarray would make 0-d arrays 1-d)
    if arr.dtype.byteorder == ">":
        arr = arr.astype(arr.dtype.newbyteorder("<"))
    return Array(arr.dtype.str, tuple(int(n) for n in arr.shape), arr.tobytes())


def shape_of(array: Array) -> tuple[int, ...]:
    """The array's declared shape, checked to be a shape at all."""
    shape = array.shape
    if len(shape) > MAX_DIMS or any(n < 0 for n in shape):
        raise ProtocolError(f"an array with shape {shape[:MAX_DIMS]} is not a valid array")
    return shape


def unpack(array: Array, want: tuple[int, ...] | None = None) -> np.ndarray:
    """The float64 array that `array` describes, after checking it is one.

    With `want`, an array of another shape is not converted: a read-only stand-in of
    its shape comes back (zero bytes), which is all a wrong shape needs to be reported.
    """
    import numpy as np

    shape = shape_of(array)
    if math.prod(shape) > MAX_ENTRIES:  # the answer side never sends one (`to_array`)
        raise ProtocolError(f"an array of shape {shape} is far too large")
    if want is not None and shape != want:
        try:
            return np.broadcast_to(np.float64(np.nan), shape)
        except (ValueError, OverflowError):  # more entries than an address space holds
            raise ProtocolError(f"an array of shape {shape} is far too large") from None
    if array.dtype not in DTYPES:
        raise ProtocolError(f"an array of dtype {array.dtype!r} is not an array of numbers")
    dtype = np.dtype(array.dtype)
    if len(array.data) != math.prod(shape) * dtype.itemsize:
        raise ProtocolError(f"an array's data does not match its shape {shape}")
    return np.frombuffer(array.data, dtype=dtype).reshape(shape).astype(np.float64)


Arrays = Annotated[dict[Name, Array], Meta(max_length=MAX_ARRAYS)]


def clean(text: str, limit: int = MAX_TEXT) -> str:
    """Text from the answer process made safe to show: at most `limit` characters, and
    every character that is not printable (terminal escapes, other control and format
    characters, line breaks) shown as its escape (`\\x1b`) instead of acting."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


# ---------------------------------------------------------------- the job


class InputJob(msgspec.Struct, frozen=True):
    name: str
    shape: tuple[int, ...]
    index: tuple[str, ...]


class PuzzleJob(msgspec.Struct, frozen=True):
    """What the answer process needs of one puzzle: names, shapes, givens and `f`."""

    id: str
    names: dict[str, tuple[str, ...]]  # answer names a submission may define, per form
    inputs: tuple[InputJob, ...]
    out_shape: tuple[int, ...]
    out_index: tuple[str, ...]
    reconstruct: bool  # a backward answer's Jacobian is rebuilt from one-hot g
    scalar: bool  # every input and the output are single numbers
    dims: dict[str, int]
    givens: dict[str, str | int | float]
    f: str
    source: str


class ResourceLimits(msgspec.Struct, frozen=True):
    memory_mb: int
    file_mb: int
    cpu_seconds: int


class Job(msgspec.Struct, frozen=True):
    """The first message an answer process reads: what to load and how to run it."""

    folder: str  # the answer process's folder (absolute): it works and writes only there
    submission: str  # the submission's copy, inside that folder
    forms: tuple[str, ...]  # answer forms in the order they are looked for
    forbid_autodiff: bool
    jail: bool  # jail the process with the kernel's mechanisms (Linux)
    limits: ResourceLimits
    puzzles: tuple[PuzzleJob, ...]
    # (first line, last line, puzzle id or None): runs of top-level statements and the
    # puzzle whose givens are bound while they run, as a notebook cell ran after its
    # puzzle's set-up cell (see `submission.Submission`); none: one run, no givens
    scopes: tuple[tuple[int, int, str | None], ...] = ()


# ---------------------------------------------------------------- requests


class Eval(msgspec.Struct, frozen=True, tag="eval"):
    """Answer puzzle `puzzle` at the points given, stacked on a first axis (with `g`)."""

    seq: int
    puzzle: str
    points: Arrays


class EvalBatch(msgspec.Struct, frozen=True, tag="batch"):
    """Several `Eval`s at once, answered by one `Result` each, in order: the answers
    that allow it are compiled together, once."""

    items: tuple[Eval, ...]


Request = Eval | EvalBatch


# ---------------------------------------------------------------- events


class Ready(msgspec.Struct, frozen=True, tag="ready"):
    """The process is up and guarded; how it is isolated (`kernel` or `python`)."""

    isolation: Literal["kernel", "python"]
    detail: Text = ""


class Found(msgspec.Struct, frozen=True):
    """Which definition of the submission answers a puzzle, in which form, at which line."""

    form: Name
    name: Name
    line: Line | None = None  # for a class, its `backward`'s
    ignored: Annotated[tuple[Name, ...], Meta(max_length=8)] = ()
    forward_line: Line | None = None  # a class's `forward`


class Loaded(msgspec.Struct, frozen=True, tag="loaded"):
    """The submission ran; the answers found, or why it could not be loaded."""

    answers: Annotated[dict[Name, Found], Meta(max_length=MAX_PUZZLES)] = {}
    error: Text | None = None
    line: Line | None = None


class Result(msgspec.Struct, frozen=True, tag="result"):
    """The answer to one `Eval`: arrays per point (`x`, `y`, `vjp_x`, `value`, ...),
    or why there are none."""

    seq: Count
    status: Literal["ok", "error", "missing", "autodiff"]
    message: Text = ""
    line: Line | None = None
    arrays: Annotated[tuple[Arrays, ...], Meta(max_length=MAX_POINTS)] = ()


Event = Ready | Loaded | Result


def fit(event: Event) -> Event:
    """`event` with its text cut to the protocol's limits (the answer side sends what
    the grading side will accept: a message is one line for the learner anyway)."""
    if isinstance(event, Ready) and len(event.detail) > MAX_TEXT:
        return msgspec.structs.replace(event, detail=event.detail[: MAX_TEXT - 3] + "...")
    if isinstance(event, Loaded) and event.error is not None and len(event.error) > MAX_TEXT:
        return msgspec.structs.replace(event, error=event.error[: MAX_TEXT - 3] + "...")
    if isinstance(event, Result) and len(event.message) > MAX_TEXT:
        return msgspec.structs.replace(event, message=event.message[: MAX_TEXT - 3] + "...")
    return event


# What an answer sends back per point: Jacobians by input, and from a backward answer
# the gradients for the point's `g` and its forward's value.
RESULT_NAMES = ("x", "y", "vjp_x", "vjp_y", "value")


# ---------------------------------------------------------------- the outcome

Status = Literal["ok", "error", "timeout", "missing", "autodiff"]


@dataclass
class Outcome:
    """What became of one request, as the grading side read it: checked float64 arrays
    per point, or why there are none."""

    status: Status
    arrays: list[dict[str, np.ndarray]] = field(default_factory=list)
    message: str = ""
    line: int | None = None


# ---------------------------------------------------------------- the fork server


class Spawn(msgspec.Struct, frozen=True, tag="spawn"):
    """Fork an answer process working in `workdir` (descriptors attached); `token`
    goes in its environment, so anything it starts can be found and killed."""

    workdir: str
    token: str


class Wait(msgspec.Struct, frozen=True, tag="wait"):
    """Reap answer process `pid` (the caller has killed it) and tell its status."""

    pid: int


class Spawned(msgspec.Struct, frozen=True, tag="spawned"):
    pid: int


class Waited(msgspec.Struct, frozen=True, tag="waited"):
    status: int | None  # exit code, or minus the signal that ended it


ServerRequest = Spawn | Wait
ServerReply = Spawned | Waited


# ---------------------------------------------------------------- frames

_encoder = msgspec.msgpack.Encoder()
job_decoder = msgspec.msgpack.Decoder(Job)
request_decoder = msgspec.msgpack.Decoder(Request)
event_decoder = msgspec.msgpack.Decoder(Event)
server_request_decoder = msgspec.msgpack.Decoder(ServerRequest)
server_reply_decoder = msgspec.msgpack.Decoder(ServerReply)


def encode(message: msgspec.Struct) -> bytes:
    """A message as one frame: length, then body."""
    body = _encoder.encode(message)
    return HEADER.pack(len(body)) + body


def write_frame(fd: int, message: msgspec.Struct) -> None:
    """Send one message whole (blocking)."""
    view = memoryview(encode(message))
    while view:
        view = view[os.write(fd, view) :]


class FrameReader:
    """Reads frames from a descriptor, refusing any frame over `max_frame` bytes and
    more than `budget` bytes in all; raises ProtocolError for those, EOFError at the end.
    """

    def __init__(self, fd: int, max_frame: int, budget: int) -> None:
        self.fd = fd
        self.max_frame = max_frame
        self.left = budget

    def _exactly(self, count: int) -> bytes:
        parts = []
        while count:
            chunk = os.read(self.fd, min(count, 1 << 20))
            if not chunk:
                raise EOFError
            parts.append(chunk)
            count -= len(chunk)
        return b"".join(parts)

    def read(self) -> bytes:
        (size,) = HEADER.unpack(self._exactly(HEADER.size))
        if size > self.max_frame:
            raise ProtocolError(f"a message of {size:,} bytes, over the {self.max_frame:,} allowed")
        if size > self.left:
            raise ProtocolError("more data than any answer needs to send")
        self.left -= size
        return self._exactly(size)
