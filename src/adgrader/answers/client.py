"""The grading side of the answer process: start it, feed it points, time it, judge
nothing it says without checking.

The grading side owns every clock: each phase (start-up, loading, each answer) has a
deadline set here when the phase begins, and nothing the answer process sends can
move it. One request is in flight at a time, so an answer's clock starts when the
process is known to be free. Every event is decoded strictly; one that is malformed,
unknown, oversized or out of order kills the process, and the request it was working
on gets `error`. A puzzle that runs past its timeout, or an answer that kills its
process, costs that puzzle only: a new process picks up the remaining requests.
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import select
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import msgspec

from ..options import Limits
from ..spec import Puzzle, form_order
from . import protocol
from .launch import STARTUP_TIMEOUT, BoundedOutput, Child, Launcher
from .protocol import Found, Outcome, Status

if TYPE_CHECKING:
    import numpy as np

    from ..grading.sampling import Point

AnswerInfo = Found
SUBMISSION_NAME = "submission.py"
E = TypeVar("E", protocol.Ready, protocol.Loaded, protocol.Result)
_ENDED = {
    "startup": "the answer process ended before it was ready ({how})",
    "load": "the submission ended the answer process while loading ({how})",
    "answer": "the answer ended its process ({how})",
}


@dataclass
class _Request:
    seq: int
    puzzle: str
    eval: protocol.Eval
    count: int
    alone: bool = False  # sent on its own, not in a batch (a batch it was in failed)


def puzzle_job(puzzle: Puzzle) -> protocol.PuzzleJob:
    """What the answer process needs to know of a puzzle."""
    return protocol.PuzzleJob(
        id=puzzle.id,
        names=puzzle.answer_names(),
        inputs=tuple(protocol.InputJob(i.name, i.shape, i.index) for i in puzzle.inputs),
        out_shape=puzzle.out_shape,
        out_index=puzzle.out_index,
        reconstruct=puzzle.rebuilds_jacobian,
        scalar=puzzle.scalar,
        dims=puzzle.dims,
        givens=puzzle.givens,
        f=puzzle.f,
        source=puzzle.source,
    )


def result_shapes(puzzle: Puzzle) -> dict[str, tuple[int, ...]]:
    """The shape of each array an answer may send back for one point of `puzzle`."""
    shapes = {i.name: puzzle.jac_shape(i.name) for i in puzzle.inputs}
    shapes.update({f"vjp_{i.name}": i.shape for i in puzzle.inputs})
    shapes["value"] = puzzle.out_shape
    return shapes


@dataclass(frozen=True)
class Setup:
    """What every answer process of one submission shares."""

    source: str  # the code to run (for a notebook: its answers, extracted)
    form: str  # the set's own answer form, looked for first
    forbid_autodiff: bool
    jail: bool
    limits: Limits
    scopes: tuple[tuple[int, int, str | None], ...] = ()


class AnswerProcess:
    """Runs a submission's answers for some puzzles in an answer process, one at a time.

    A thread of its own drives the process, so answers are computed while the caller
    works (the oracle); `request` queues work, `finish` waits for all of it.
    """

    def __init__(
        self, setup: Setup, puzzles: Sequence[Puzzle], workdir: Path, launcher: Launcher
    ) -> None:
        self.workdir = workdir
        self.launcher = launcher
        self.timeout = setup.limits.timeout
        self.deadline = time.monotonic() + setup.limits.whole_file(len(puzzles))
        self.output = BoundedOutput(setup.limits.output_kb * 1024)
        self.shapes = {p.id: result_shapes(p) for p in puzzles}
        self.names = {p.id: p.answer_names() for p in puzzles}
        largest = max((_bytes(s) for p in self.shapes.values() for s in p.values()), default=0)
        self._max_frame = max(setup.limits.result_mb * 1024 * 1024, 64 * largest + 65536)
        self.answers: dict[str, Found] = {}
        self.isolation: protocol.Ready | None = None
        self.outcomes: dict[int, Outcome] = {}
        self._pending: list[_Request] = []
        self._incoming: queue.Queue[_Request | None] = queue.Queue()
        self._seq = 0
        self._child: Child | None = None
        self._failure: Outcome | None = None  # why every request fails from now on
        self.load_error: Outcome | None = None  # the submission itself failed to load
        self._events: queue.Queue[tuple[float, protocol.Event | Exception | None]] = queue.Queue()
        self._stop = threading.Event()  # tells the current process's event reader to stop
        self._requests_fd: int | None = None
        self._driver: threading.Thread | None = None
        self._inflight: list[_Request] = []
        (workdir / SUBMISSION_NAME).write_text(setup.source, encoding="utf-8")
        job = protocol.Job(
            folder=str(workdir),
            submission=SUBMISSION_NAME,
            forms=form_order(setup.form),
            forbid_autodiff=setup.forbid_autodiff,
            jail=setup.jail,
            limits=protocol.ResourceLimits(
                memory_mb=setup.limits.memory_mb,
                file_mb=setup.limits.file_mb,
                cpu_seconds=int(setup.limits.whole_file(len(puzzles))) + 5,
            ),
            puzzles=tuple(puzzle_job(p) for p in puzzles),
            scopes=setup.scopes,
        )
        self._job = protocol.encode(job)

    # ------------------------------------------------------------ the caller's side

    def start(self) -> None:
        """Start the answer process now, so its start-up overlaps the caller's work."""
        if self._driver is None:
            self._driver = threading.Thread(target=self._drive, daemon=True)
            self._driver.start()

    def request(self, puzzle_id: str, points: list[Point]) -> int:
        """Ask for the answer to `puzzle_id` at `points`; returns the request's number."""
        import numpy as np

        seq = self._seq
        self._seq += 1
        stacked = {n: protocol.pack(np.stack([p[n] for p in points])) for n in points[0]}
        self._incoming.put(
            _Request(seq, puzzle_id, protocol.Eval(seq, puzzle_id, stacked), len(points))
        )
        self.start()
        return seq

    def finish(self) -> dict[int, Outcome]:
        """Every request answered, the process ended; the outcomes by request number."""
        self.start()
        self._incoming.put(None)
        assert self._driver is not None
        self._driver.join()
        return self.outcomes

    # ------------------------------------------------------------ the driver's side

    def _drive(self) -> None:
        """Start the process, then answer requests as they come until `finish`,
        killing and restarting it as timeouts, deaths and broken messages demand."""
        try:
            self._boot()
            while self._next():
                if self._failure is not None:
                    request = self._pending.pop(0)
                    failure = self._failure
                    self.outcomes[request.seq] = Outcome(
                        failure.status, message=failure.message, line=failure.line
                    )
                elif self._child is None:
                    self._boot()
                else:
                    self._answer([r for r in self._pending if not r.alone] or self._pending[:1])
        except Exception as exc:  # a fault of adgrader's own: every request still gets an outcome
            self._kill()
            why = f"not graded: adgrader failed while running the answers ({type(exc).__name__})"
            self._failure = Outcome("error", message=why)
            while self._next():
                self.outcomes[self._pending.pop(0).seq] = Outcome("error", message=why)
        finally:
            self.close()

    def _next(self) -> bool:
        """Whether a request is pending, waiting for one; False once `finish` was called.
        Every request already queued is taken, so they can go as one batch."""
        while not self._pending:
            item = self._incoming.get()
            if item is None:
                self._incoming.put(None)  # seen again once these are answered
                return False
            self._pending.append(item)
        while not self._incoming.empty():
            item = self._incoming.get_nowait()
            if item is None:
                self._incoming.put(None)
                break
            self._pending.append(item)
        return True

    def _boot(self) -> None:
        """A fresh process, up to the submission loaded (or the reason it is not)."""
        self._spawn()
        started = time.monotonic()
        if not self._send(self._job, started + STARTUP_TIMEOUT, "startup"):
            return
        ready = self._expect(protocol.Ready, started + STARTUP_TIMEOUT, "startup")
        if ready is None:
            return
        self.isolation = msgspec.structs.replace(ready, detail=protocol.clean(ready.detail))
        loaded = self._expect(protocol.Loaded, time.monotonic() + self.timeout, "load")
        if loaded is None:
            return
        if loaded.error is not None:
            self._kill()
            self._failure = Outcome("error", message=protocol.clean(loaded.error), line=loaded.line)
            self.load_error = self._failure
            return
        wrong = self._unasked(loaded.answers)
        if wrong:
            self._kill()
            self._settle("load", "error", f"the answer process broke the protocol: {wrong}")
            return
        self.answers.update(loaded.answers)

    def _unasked(self, answers: dict[str, Found]) -> str:
        """Why `answers` is not an answer to this job (a puzzle, form or name it did
        not ask for), or "" when every entry is one."""
        for pid, found in answers.items():
            names = self.names.get(pid)
            if names is None:
                return "it answered a puzzle it was not given"
            allowed = {n for form in names.values() for n in form}
            if found.name not in names.get(found.form, ()) or not allowed.issuperset(found.ignored):
                return "it named an answer the job did not ask for"
        return ""

    def _answer(self, requests: list[_Request]) -> None:
        """One request, or several as one batch, within one answer's time.

        A batch that fails (time, death, a broken message) costs nobody: its unanswered
        requests go again one by one, where whatever failed is blamed on its own answer.
        """
        self._inflight = requests
        begun = time.monotonic()
        message: protocol.Request = (
            requests[0].eval
            if len(requests) == 1
            else protocol.EvalBatch(tuple(r.eval for r in requests))
        )
        if not self._send(protocol.encode(message), begun + self.timeout, "answer"):
            return
        for request in requests:
            result = self._expect(protocol.Result, begun + self.timeout, "answer", request.seq)
            if result is None:
                return
            try:
                outcome = self._outcome(request, result)
            except protocol.ProtocolError as exc:  # arrays no answer process could send
                self._kill()
                self._settle("answer", "error", f"the answer's arrays could not be read: {exc}")
                return
            self._pending.remove(request)
            self.outcomes[request.seq] = outcome

    def _spawn(self) -> None:
        started = self.launcher.start(self.workdir)
        self._child = started.child
        os.set_blocking(started.requests, False)
        self._requests_fd = started.requests
        evt_r = started.events
        threading.Thread(target=self.output.drain, args=(started.output,), daemon=True).start()
        # at most one event read ahead: what a process sends waits in its pipe, not here
        self._events = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        reader = protocol.FrameReader(evt_r, self._max_frame, 16 * self._max_frame)
        threading.Thread(
            target=_read_events, args=(reader, self._events, self._stop), daemon=True
        ).start()

    def _send(self, message: bytes, deadline: float, phase: str) -> bool:
        """Write a whole message before `deadline`; False (the process killed, the
        requests settled) if it will not read it in time."""
        view = memoryview(message)
        fd = self._requests_fd
        while view and fd is not None:
            bound = min(deadline, self.deadline)
            left = bound - time.monotonic()
            if left <= 0:
                self._kill()
                which = phase if bound == deadline else "file"
                self._settle(which, "timeout", self._timeout_message(which))
                return False
            poller = select.poll()  # (select() fails on descriptors past 1023)
            poller.register(fd, select.POLLOUT)
            if poller.poll(left * 1000):
                try:
                    view = view[os.write(fd, view) :]
                except (BlockingIOError, InterruptedError):
                    continue
                except OSError:
                    return True  # the process is gone: its end of the events says how
        return True

    def _expect(
        self, kind: type[E], deadline: float, phase: str, seq: int | None = None
    ) -> E | None:
        """The next event if it is a `kind` (a Result: for request `seq`) before the
        deadline; otherwise the process is killed, the requests settled, and None."""
        bound = min(deadline, self.deadline)
        try:
            _, event = self._events.get(timeout=max(0.0, bound - time.monotonic()))
        except queue.Empty:
            self._kill()
            which = phase if bound == deadline else "file"
            self._settle(which, "timeout", self._timeout_message(which))
            return None
        if event is None:
            code = self._kill()
            how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
            self._settle(phase, "error", _ENDED[phase].format(how=how))
            return None
        if isinstance(event, Exception):
            self._kill()
            why = protocol.clean(str(event), 300)
            self._settle(phase, "error", f"the answer process broke the protocol: {why}")
            return None
        if not isinstance(event, kind) or (isinstance(event, protocol.Result) and event.seq != seq):
            self._kill()
            why = f"it sent `{type(event).__name__}` out of turn"
            self._settle(phase, "error", f"the answer process broke the protocol: {why}")
            return None
        return event

    # ------------------------------------------------------------ what went wrong

    def _timeout_message(self, phase: str) -> str:
        if phase == "answer":
            return f"did not finish within {self.timeout:g} s (an endless loop?)"
        if phase == "load":
            return (
                f"the submission did not finish loading within {self.timeout:g} s "
                "(an endless loop at the top?)"
            )
        if phase == "startup":
            return "the answer process did not start (is jax installed?)"
        return "not graded: the whole file ran out of time"

    def _settle(self, phase: str, status: Status, message: str) -> None:
        """After the process is killed: the request in flight gets the blame; before an
        answer ran (start-up, loading) or when the whole file's time is up, every
        request does."""
        left = [r for r in self._inflight if r in self._pending]
        if phase == "answer" and len(self._inflight) > 1:
            for request in left:
                request.alone = True
        elif phase == "answer":
            self._pending.remove(left[0])
            self.outcomes[left[0].seq] = Outcome(status, message=message)
        else:
            self._failure = Outcome(status, message=message)

    # ------------------------------------------------------------ results

    def _outcome(self, request: _Request, result: protocol.Result) -> Outcome:
        """The result as arrays, each checked before it is converted (see `unpack`);
        ProtocolError for arrays that no answer process sends (an honest one sends one
        set per point, named as the puzzle's, numbers, each at most MAX_ENTRIES)."""
        if result.status == "missing":
            return Outcome("missing")
        if result.status != "ok":
            return Outcome(result.status, message=protocol.clean(result.message), line=result.line)
        if len(result.arrays) != request.count:
            raise protocol.ProtocolError(
                f"{len(result.arrays)} sets of arrays for {request.count} points"
            )
        shapes = self.shapes[request.puzzle]
        arrays: list[dict[str, np.ndarray]] = []
        for point in result.arrays:
            unknown = set(point) - set(shapes)
            if unknown:
                name = protocol.clean(sorted(unknown)[0], 40)
                raise protocol.ProtocolError(f"an array named {name!r}")
            try:
                arrays.append({n: protocol.unpack(a, shapes[n]) for n, a in point.items()})
            except (ValueError, TypeError, OverflowError, MemoryError) as exc:
                raise protocol.ProtocolError(f"an array numpy cannot read ({exc})") from None
        return Outcome("ok", arrays=arrays)

    # ------------------------------------------------------------ ending

    def _kill(self) -> int | None:
        self._stop.set()
        child, self._child = self._child, None
        if self._requests_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._requests_fd)
            self._requests_fd = None
        return child.kill() if child is not None else None

    def close(self) -> None:
        """Kill the answer process if one is running; safe to call twice."""
        if self._child is not None:
            self._kill()


def _read_events(
    reader: protocol.FrameReader,
    events: queue.Queue[tuple[float, protocol.Event | Exception | None]],
    stop: threading.Event,
) -> None:
    """Decode events as they come, one at a time (the queue holds one); stop at the
    first bad one, at the end, or when the process is killed (`stop`)."""

    def put(item: protocol.Event | Exception | None) -> bool:
        while not stop.is_set():
            with contextlib.suppress(queue.Full):
                events.put((time.monotonic(), item), timeout=0.1)
                return True
        return False

    try:
        while put(_decode(reader.read())):
            pass
    except (EOFError, OSError):
        put(None)
    except protocol.ProtocolError as exc:
        put(exc)
    finally:
        with contextlib.suppress(OSError):
            os.close(reader.fd)


def _decode(frame: bytes) -> protocol.Event:
    try:
        event: protocol.Event = protocol.event_decoder.decode(frame)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise protocol.ProtocolError(f"a message it could not decode ({exc})") from None
    return event


def _bytes(shape: tuple[int, ...]) -> int:
    return 8 * math.prod(shape)


class AnswerPool:
    """Several answer processes sharing out the puzzles of one submission.

    Each process loads the whole file and answers its own share of the puzzles, so on
    a machine with spare cores the answers are evaluated side by side. Every process
    has its own folder and limits; one that dies or hangs costs only its own puzzles.
    A context manager: leaving it kills whatever still runs.
    """

    def __init__(
        self,
        setup: Setup,
        puzzles: Sequence[Puzzle],
        workdir: Path,
        launcher: Launcher,
        processes: int = 1,
    ) -> None:
        count = max(1, min(processes, len(puzzles)))
        shares = [list(puzzles[k::count]) for k in range(count)]
        self._owner = {p.id: k for k, share in enumerate(shares) for p in share}
        self._members = []
        for k, share in enumerate(shares):
            folder = workdir / f"answers{k}"
            folder.mkdir()
            self._members.append(AnswerProcess(setup, share, folder, launcher))

    def __enter__(self) -> AnswerPool:
        for member in self._members:
            member.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for member in self._members:
            member.close()

    def request(self, puzzle_id: str, points: list[Point]) -> tuple[int, int]:
        k = self._owner[puzzle_id]
        return k, self._members[k].request(puzzle_id, points)

    def finish(self) -> dict[tuple[int, int], Outcome]:
        """Every request answered; the processes work side by side."""
        outcomes: dict[tuple[int, int], Outcome] = {}
        for k, member in enumerate(self._members):
            outcomes.update({(k, seq): o for seq, o in member.finish().items()})
        return outcomes

    @property
    def answers(self) -> dict[str, Found]:
        return {pid: info for m in self._members for pid, info in m.answers.items()}

    @property
    def load_error(self) -> Outcome | None:
        """Why the submission could not be loaded, if it could not (the same in every
        process: the file's top level failed)."""
        return next((m.load_error for m in self._members if m.load_error is not None), None)

    @property
    def isolation(self) -> str:
        """`kernel` when every process that ran was jailed by the kernel, else `python`."""
        levels = {m.isolation.isolation for m in self._members if m.isolation is not None}
        return "kernel" if levels == {"kernel"} else "python"


def default_processes(puzzles: int, oracle_ready: bool, warm: bool) -> int:
    """Two answer processes when each can have a core of its own, else one.

    A process started cold costs an interpreter and jax's import, most of a second of
    CPU: a second one pays only with a core for each beside the grading process's.
    Forked warm, with the oracle's results already kept (the grading process mostly
    waits), two cores are enough. Measured with bench/bench.py.
    """
    cores = os.cpu_count() or 1
    spare = cores >= 3 or (cores >= 2 and warm and oracle_ready)
    return 2 if spare and puzzles >= 8 else 1
