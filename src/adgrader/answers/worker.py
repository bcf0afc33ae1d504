"""The answer process: jails itself, loads one submission, answers the grading side.

This runs only in the child interpreter that `launch` starts (fresh, or forked from
the fork server); the grading process never imports it. In order, before any
submission code runs: die with the parent, import jax (a process started ahead of
its job does this meanwhile), read the job, move to the job's folder, set resource
limits, enter the kernel's jail (Linux), start jax's backend (its threads inherit
the jail), put up the Python guards, say `Ready`. Then load the submission (`Loaded`) and answer
one `Eval` at a time with a `Result` (see `protocol`).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import guard, jail, protocol
from .evaluate import Submission
from .namespaces import AnswerError, describe

MAX_REQUEST = 64 * 1024 * 1024  # the grading side is trusted; this only stops nonsense


class Worker:
    """One answer process's life, from the job to the last result."""

    def __init__(self, requests_fd: int, events_fd: int) -> None:
        self.requests = protocol.FrameReader(requests_fd, MAX_REQUEST, 1 << 62)
        self.events_fd = events_fd
        self.monitor: guard.AutodiffMonitor | None = None

    def send(self, event: protocol.Event) -> None:
        protocol.write_frame(self.events_fd, protocol.fit(event))

    def start(self, parent_pid: int) -> tuple[protocol.Job, Any, protocol.Ready]:
        """Everything before the submission: jax, the job, its folder, limits, jail,
        jax's backend, guards. jax is imported first, before the jail (importing reads
        many files and starts no thread) and before the job, so that a process started
        ahead of its job imports it meanwhile."""
        jax = import_jax()
        job = protocol.job_decoder.decode(self.requests.read())
        workdir = enter_folder(job.folder)
        guard.limit_resources(
            memory_bytes=job.limits.memory_mb * 1024 * 1024,
            cpu_seconds=job.limits.cpu_seconds,
            file_bytes=job.limits.file_mb * 1024 * 1024,
        )
        if job.jail:
            isolation = jail.enter(*jail.answer_paths(workdir), parent_pid=parent_pid)
        else:
            isolation = jail.Isolation("python", "the kernel's jail was not asked for")
        start_backend(jax)
        if job.forbid_autodiff:
            self.monitor = guard.AutodiffMonitor(jax)
            self.monitor.protect()
        guard.install_audit_hook([workdir])
        return job, jax, protocol.Ready(isolation.level, isolation.detail)

    def serve(self, parent_pid: int) -> None:
        try:
            job, jax, ready = self.start(parent_pid)
        except jail.JailError as exc:  # half jailed: run nothing of the submission
            self.send(protocol.Ready("python", str(exc)))
            why = f"not graded: the answer process could not enter the kernel's jail ({exc})"
            self.send(protocol.Loaded(error=why))
            return
        self.send(ready)
        path = str(Path.cwd() / job.submission)
        submission = Submission(job, jax, path)
        answers: dict[str, protocol.Found] = {}
        try:
            submission.load(read_text(path))
        except AnswerError as exc:
            self.send(protocol.Loaded(error=str(exc), line=exc.line))
        else:
            answers = submission.find_answers()
            self.send(protocol.Loaded(answers=answers))
        while True:
            try:
                request = protocol.request_decoder.decode(self.requests.read())
            except EOFError:
                return
            if isinstance(request, protocol.EvalBatch):
                for result in self.handle_many(submission, request.items, answers):
                    self.send(result)
            else:
                self.send(self.handle(submission, request, answers))

    def handle_many(
        self,
        submission: Submission,
        items: tuple[protocol.Eval, ...],
        answers: dict[str, protocol.Found],
    ) -> Iterator[protocol.Result]:
        """A batch: the answers compiled together where they allow it. Should autodiff
        have been reached while they were (the guards are per answer), each runs alone."""
        work = [
            (item, answers[item.puzzle], {n: protocol.unpack(a) for n, a in item.points.items()})
            for item in items
            if item.puzzle in answers
        ]
        if self.monitor is not None:
            self.monitor.used.clear()
        try:
            values = list(submission.evaluate_many([(i.puzzle, a, p) for i, a, p in work]))
        except BaseException:
            values = []
        if self.monitor is not None and (self.monitor.used or not self.monitor.intact()):
            values = []
        done = {id(item): value for (item, _, _), value in zip(work, values, strict=False)}
        for item in items:
            value = done.get(id(item))
            if value is None or isinstance(value, AnswerError):
                yield self.handle(submission, item, answers)
            else:
                packed = tuple({n: protocol.pack(a) for n, a in point.items()} for point in value)
                yield protocol.Result(item.seq, "ok", arrays=packed)

    def handle(
        self,
        submission: Submission,
        request: protocol.Eval,
        answers: dict[str, protocol.Found],
    ) -> protocol.Result:
        answer = answers.get(request.puzzle)
        if answer is None:
            return protocol.Result(request.seq, "missing")
        points = {name: protocol.unpack(a) for name, a in request.points.items()}
        if self.monitor is not None:
            self.monitor.used.clear()
        failure: AnswerError | None = None
        arrays: list[dict[str, Any]] = []
        try:
            arrays = submission.evaluate(request.puzzle, answer, points)
        except AnswerError as exc:
            failure = exc
        except BaseException as exc:  # never let an answer end the answer process quietly
            failure = AnswerError(f"{answer.name} failed: {describe(exc)}", submission.line_of(exc))
        if self.monitor is not None and (self.monitor.used or not self.monitor.intact()):
            return protocol.Result(
                request.seq,
                "autodiff",
                message=f"{answer.name} used jax's automatic differentiation, "
                "which the no-autodiff rule forbids",
                line=failure.line if failure else answer.line,
            )
        if failure is not None:
            return protocol.Result(request.seq, "error", message=str(failure), line=failure.line)
        packed = tuple({n: protocol.pack(a) for n, a in point.items()} for point in arrays)
        return protocol.Result(request.seq, "ok", arrays=packed)


def import_jax() -> Any:
    """jax, imported (already, when forked from the fork server), its backend not
    started, with what it would import lazily while answers run (see `warm`)."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax

    from . import warm

    warm.import_ahead()
    return jax


def enter_folder(folder: str) -> Path:
    """Work in the job's folder: the current folder, home and temporary folder."""
    os.chdir(folder)
    os.environ.update({"HOME": folder, "TMPDIR": folder})
    return Path.cwd()


def start_backend(jax: Any) -> None:
    """Start jax's backend on the CPU, in float64, with nothing kept on disk: its
    threads start here, after the jail, so they are jailed too. No compilation cache
    either (jax keys one for every compilation even with nowhere to keep it)."""
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_enable_compilation_cache", False)
    jax.devices()


def read_text(path: str) -> str:
    """The submission's copy (written by the grading side as UTF-8)."""
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def run(requests_fd: int, events_fd: int, parent_pid: int) -> None:
    """Serve one submission, then end the process (never return into a fork server)."""
    jail.die_with_parent(parent_pid)
    # EOF or a broken pipe: the grading side went away or stopped us; nothing to answer
    with contextlib.suppress(EOFError, BrokenPipeError):
        Worker(requests_fd, events_fd).serve(parent_pid)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)


def main() -> None:
    """Entry point: `python -I -c BOOT PACKAGE_PARENT REQUESTS_FD EVENTS_FD PARENT_PID`."""
    requests_fd, events_fd, parent_pid = (int(v) for v in sys.argv[1:4])
    run(requests_fd, events_fd, parent_pid)
