"""The grading side of the answer process: start it, feed it points, time it, read arrays.

Answers run in a fresh interpreter (`python -I`) in its own session and working
folder, with stdin closed and a scrubbed environment. A puzzle that runs past its
timeout, or an answer that kills its process, costs that puzzle only: the process
group is killed and a new process picks up the remaining requests.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import caches
from ..spec import Puzzle, form_order
from .launch import (
    BOOT,
    STARTUP_TIMEOUT,
    TOKEN_VAR,
    BoundedOutput,
    Child,
    ForkServer,
    become_subreaper,
    child_env,
    kill_strays,
)

if TYPE_CHECKING:
    import numpy as np

    from ..grading.sampling import Point

MAX_RESULT_BYTES = 64 * 1024 * 1024
# What an answer sends back per point: Jacobians by input, and from a backward answer
# the gradients for the point's `g` and its forward's value.
RESULT_NAMES = ("x", "y", "vjp_x", "vjp_y", "value")


@dataclass
class Outcome:
    """What became of one request: arrays per point, or why there are none."""

    status: str  # ok | error | timeout | missing
    arrays: list[dict[str, np.ndarray]] = field(default_factory=list)
    message: str = ""
    line: int | None = None


@dataclass
class AnswerInfo:
    """Which function of the submission answers a puzzle, in which form, at which line."""

    form: str
    name: str
    line: int | None
    ignored: list[str]


@dataclass
class _Request:
    seq: int
    puzzle: str
    points_file: str
    count: int
    started: float | None = None


def job_for(puzzle: Puzzle) -> dict[str, Any]:
    """The plain-JSON description of a puzzle that the answer process needs."""
    return {
        "id": puzzle.id,
        "names": puzzle.answer_names(),
        "inputs": [
            {"name": i.name, "shape": list(i.shape), "index": list(i.index)} for i in puzzle.inputs
        ],
        "out_shape": list(puzzle.out_shape),
        "reconstruct": puzzle.rebuilds_jacobian,
        "scalar": puzzle.scalar,
        "out_index": list(puzzle.out_index),
        "dims": puzzle.dims,
        "givens": puzzle.givens,
        "f": puzzle.f,
        "source": puzzle.source,
    }


@dataclass(frozen=True)
class Limits:
    """What one submission's answer process may use."""

    timeout: float = 10.0  # seconds of wall clock per answer (and for loading the file)
    file_timeout: float | None = None  # for the whole file; default 60 s + timeout per puzzle
    memory_mb: int = 2048  # data size (heap and anonymous mappings)
    file_mb: int = 64  # largest file the answers may write
    output_kb: int = 64  # printed output kept; the rest is counted and dropped


class AnswerProcess:
    """Runs a submission's answers in child processes and collects their arrays."""

    def __init__(
        self,
        submission: Path,
        puzzles: list[Puzzle],
        form: str,
        workdir: Path,
        limits: Limits,
        forbid_autodiff: bool = True,
        server: ForkServer | None = None,
    ) -> None:
        self.submission = submission
        self.server = server
        self.workdir = workdir
        self.timeout = limits.timeout
        file_timeout = limits.file_timeout or 60.0 + limits.timeout * len(puzzles)
        self.deadline = time.monotonic() + file_timeout
        self.output = BoundedOutput(limits.output_kb * 1024)
        self._token = secrets.token_hex(8)
        self.answers: dict[str, AnswerInfo] = {}
        self.outcomes: dict[int, Outcome] = {}
        self._pending: list[_Request] = []
        self._seq = 0
        self._proc: Child | None = None
        self._events: queue.Queue[tuple[float, dict[str, Any] | None]] = queue.Queue()
        self._requests_w: Any = None
        self._ready_at: float | None = None
        self._loaded = False
        (workdir / "job.json").write_text(
            json.dumps(
                {
                    "submission": str(submission.resolve()),
                    "forms": form_order(form),
                    "cache_dir": str(caches.cache_dir("jax-answers")),
                    "forbid_autodiff": forbid_autodiff,
                    "limits": {
                        "memory_mb": limits.memory_mb,
                        "file_mb": limits.file_mb,
                        "cpu_seconds": int(file_timeout) + 5,
                    },
                    "puzzles": [job_for(p) for p in puzzles],
                }
            )
        )

    # ------------------------------------------------------------ requests

    def request(self, puzzle_id: str, points: list[Point]) -> int:
        """Ask for the answer to `puzzle_id` at `points`; returns the request's number."""
        import numpy as np

        seq = self._seq
        self._seq += 1
        name = f"p{seq}.npz"
        names = points[0].keys()
        np.savez(self.workdir / name, **{n: np.stack([p[n] for p in points]) for n in names})  # type: ignore[arg-type]
        req = _Request(seq, puzzle_id, name, len(points))
        self._pending.append(req)
        if self._proc is None:
            self._spawn()
        else:
            self._send(req)
        return seq

    def start(self) -> None:
        """Start the answer process now, so its start-up overlaps the caller's work."""
        if self._proc is None:
            self._spawn()

    def finish(self) -> dict[int, Outcome]:
        """Wait for every request, killing and restarting the child as timeouts demand."""
        try:
            while self._pending:
                if self._proc is None:
                    self._spawn()
                self._step()
        finally:
            self.close()
        return self.outcomes

    # ------------------------------------------------------------ the child

    def _spawn(self) -> None:
        req_r, req_w = os.pipe()
        evt_r, evt_w = os.pipe()
        out_r, out_w = os.pipe()
        if self.server is not None:
            self._proc = self.server.spawn(self.workdir, req_r, evt_w, out_w)
        else:
            package_parent = str(Path(__file__).resolve().parents[2])
            become_subreaper()
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-I",
                    "-c",
                    BOOT.format("worker"),
                    package_parent,
                    str(self.workdir),
                    str(req_r),
                    str(evt_w),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out_w,
                stderr=out_w,
                cwd=self.workdir,
                env={**child_env(self.workdir), TOKEN_VAR: self._token},
                pass_fds=(req_r, evt_w),
                start_new_session=True,
            )
            self._proc = Child(proc.pid, proc.wait)
        for fd in (req_r, evt_w, out_w):
            os.close(fd)
        threading.Thread(target=self.output.drain, args=(out_r,), daemon=True).start()
        self._requests_w = os.fdopen(req_w, "w", encoding="utf-8")
        self._events = queue.Queue()
        self._ready_at = None
        self._loaded = False
        started = time.monotonic()
        threading.Thread(target=self._read, args=(evt_r, self._events), daemon=True).start()
        self._spawned_at = started
        for req in self._pending:
            req.started = None
            self._send(req)

    def _send(self, req: _Request) -> None:
        try:
            self._requests_w.write(
                json.dumps(
                    {
                        "op": "eval",
                        "seq": req.seq,
                        "id": req.puzzle,
                        "points": req.points_file,
                    }
                )
                + "\n"
            )
            self._requests_w.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass  # the child is gone; _step notices and restarts it

    @staticmethod
    def _read(fd: int, events: queue.Queue[tuple[float, dict[str, Any] | None]]) -> None:
        with os.fdopen(fd, "r", encoding="utf-8", errors="replace") as stream:
            for line in stream:
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(event, dict):
                    events.put((time.monotonic(), event))
        events.put((time.monotonic(), None))

    def _current_deadline(self) -> tuple[float, str]:
        """The next deadline and what it is for; the whole file's deadline binds first."""
        if self._ready_at is None:
            own, phase = self._spawned_at + STARTUP_TIMEOUT, "startup"
        elif not self._loaded:
            own, phase = self._ready_at + self.timeout, "load"
        else:
            started = [r.started for r in self._pending if r.started is not None]
            own, phase = (
                (started[0] + self.timeout, "answer") if started else (self.deadline, "file")
            )
        return (own, phase) if own < self.deadline else (self.deadline, "file")

    def _step(self) -> None:
        deadline, phase = self._current_deadline()
        try:
            at, event = self._events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            self._on_timeout(phase)
            return
        if event is None:
            self._on_exit()
            return
        kind = event.get("event")
        if kind == "ready":
            self._ready_at = at
        elif kind == "loaded":
            self._on_loaded(event)
        elif kind == "start":
            req = self._find(event.get("seq"))
            if req is not None:
                req.started = at
        elif kind == "result":
            req = self._find(event.get("seq"))
            if req is not None:
                self._pending.remove(req)
                self.outcomes[req.seq] = self._outcome(req, event)

    def _on_loaded(self, event: dict[str, Any]) -> None:
        self._loaded = True
        if event.get("error"):
            line = event.get("line")
            for req in self._pending:
                self.outcomes[req.seq] = Outcome(
                    "error",
                    message=str(event["error"]),
                    line=line if isinstance(line, int) else None,
                )
            self._pending.clear()
            return
        for pid, info in (event.get("answers") or {}).items():
            if isinstance(info, dict):
                self.answers[str(pid)] = AnswerInfo(
                    form=str(info.get("form")),
                    name=str(info.get("name")),
                    line=info.get("line") if isinstance(info.get("line"), int) else None,
                    ignored=[str(n) for n in info.get("ignored") or []],
                )

    def _on_timeout(self, phase: str) -> None:
        self._kill()
        if phase == "answer":
            req = next(r for r in self._pending if r.started is not None)
            self._pending.remove(req)
            self.outcomes[req.seq] = Outcome(
                "timeout", message=f"did not finish within {self.timeout:g} s (an endless loop?)"
            )
            return
        if phase == "load":
            message = (
                f"the submission did not finish loading within {self.timeout:g} s "
                "(an endless loop at the top?)"
            )
        elif phase == "startup":
            message = "the answer process did not start (is jax installed?)"
        else:
            message = "not graded: the whole file ran out of time"
        for req in self._pending:
            self.outcomes[req.seq] = Outcome("timeout", message=message)
        self._pending.clear()

    def _on_exit(self) -> None:
        code = self._kill()
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        running = [r for r in self._pending if r.started is not None]
        if not self._loaded:
            message = f"the submission ended the answer process while loading ({how})"
            for req in self._pending:
                self.outcomes[req.seq] = Outcome("error", message=message)
            self._pending.clear()
            return
        if running:
            req = running[0]
            self._pending.remove(req)
            self.outcomes[req.seq] = Outcome(
                "error", message=f"the answer ended its process ({how})"
            )
        elif self._pending:
            # died between requests: blame the next one, so a restart cannot loop forever
            req = self._pending.pop(0)
            self.outcomes[req.seq] = Outcome("error", message=f"the answer process ended ({how})")

    def _outcome(self, req: _Request, event: dict[str, Any]) -> Outcome:
        status = event.get("status")
        if status == "missing":
            return Outcome("missing")
        if status != "ok":
            line = event.get("line")
            return Outcome(
                "autodiff" if status == "autodiff" else "error",
                message=str(event.get("message") or "failed"),
                line=line if isinstance(line, int) else None,
            )
        import numpy as np

        path = self.workdir / f"r{req.seq}.npz"
        try:
            if path.stat().st_size > MAX_RESULT_BYTES:
                return Outcome("error", message="the answer returned far more data than a Jacobian")
            with np.load(path, allow_pickle=False) as data:
                arrays: list[dict[str, np.ndarray]] = [{} for _ in range(req.count)]
                unpacked = sum(i.file_size for i in data.zip.infolist())
                if unpacked > MAX_RESULT_BYTES:
                    return Outcome(
                        "error", message="the answer returned far more data than a Jacobian"
                    )
                for key in data.files:
                    name, _, k = key.rpartition("_")
                    if name in RESULT_NAMES and k.isdigit() and int(k) < req.count:
                        value = np.asarray(data[key])
                        if value.dtype.kind not in "biuf":
                            return Outcome(
                                "error", message=f"the answer returned {value.dtype} values"
                            )
                        arrays[int(k)][name] = value.astype(np.float64)
        except (OSError, ValueError, KeyError) as exc:
            return Outcome("error", message=f"the answer's arrays could not be read: {exc}")
        return Outcome("ok", arrays=arrays)

    def _find(self, seq: Any) -> _Request | None:
        return next((r for r in self._pending if r.seq == seq), None)

    def _kill(self) -> int | None:
        proc, self._proc = self._proc, None
        if self._requests_w is not None:
            with contextlib.suppress(OSError):
                self._requests_w.close()
            self._requests_w = None
        if proc is None:
            return None
        for kill in (os.killpg, os.kill):  # the group, and the process if not yet its leader
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(proc.pid, signal.SIGKILL)
        code = proc.wait()
        if self.server is None:
            kill_strays(self._token)
        return code

    def close(self) -> None:
        """Kill the answer process group if one is running; safe to call twice."""
        if self._proc is not None:
            self._kill()


class AnswerPool:
    """Several answer processes sharing out the puzzles of one submission.

    Each process loads the whole file and answers its own share of the puzzles, so on
    a machine with spare cores the answers are evaluated side by side. Every process
    has its own folder and limits; one that dies or hangs costs only its own puzzles.
    """

    def __init__(
        self,
        submission: Path,
        puzzles: list[Puzzle],
        form: str,
        workdir: Path,
        limits: Limits,
        forbid_autodiff: bool = True,
        processes: int = 1,
        server: ForkServer | None = None,
    ) -> None:
        count = max(1, min(processes, len(puzzles)))
        shares = [puzzles[k::count] for k in range(count)]
        self._owner = {p.id: k for k, share in enumerate(shares) for p in share}
        self._members = []
        for k, share in enumerate(shares):
            folder = workdir / f"answers{k}"
            folder.mkdir()
            self._members.append(
                AnswerProcess(submission, share, form, folder, limits, forbid_autodiff, server)
            )

    def start(self) -> None:
        for member in self._members:
            member.start()

    def request(self, puzzle_id: str, points: list[Point]) -> tuple[int, int]:
        k = self._owner[puzzle_id]
        return k, self._members[k].request(puzzle_id, points)

    def finish(self) -> dict[tuple[int, int], Outcome]:
        outcomes: dict[tuple[int, int], Outcome] = {}
        for k, member in enumerate(self._members):
            outcomes.update({(k, seq): o for seq, o in member.finish().items()})
        return outcomes

    def close(self) -> None:
        for member in self._members:
            member.close()

    @property
    def answers(self) -> dict[str, AnswerInfo]:
        return {pid: info for m in self._members for pid, info in m.answers.items()}


def default_processes(puzzles: int, oracle_ready: bool) -> int:
    """Two answer processes when each can have a core of its own, else one.

    With the oracle's results already kept, the grading process mostly waits, so two
    cores are enough; when it must compute the oracle, two answer processes would
    compete with it for two cores and one is faster (measured with bench/bench.py).
    """
    cores = os.cpu_count() or 1
    spare = cores >= 3 or (cores >= 2 and oracle_ready)
    return 2 if spare and puzzles >= 8 else 1
