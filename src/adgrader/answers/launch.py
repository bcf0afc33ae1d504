"""Starting answer processes, and removing every trace of them.

Two launchers give the same `Child`: `ColdStart` starts a fresh interpreter per
answer process; `ForkServer` keeps one warm process with jax imported (its backend
never started) that forks a fresh answer process on request, for `grade`, `watch`
and the library's `Grader`. Either way each answer process has its own session,
folder, output pipe and token, and dies with whoever started it.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from . import protocol

from ..xla import quick_compile

STARTUP_TIMEOUT = 120.0
SERVER_TIMEOUT = 30.0  # for the fork server to fork or reap one answer process
BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); from adgrader.answers.{} import main; main()"
)
TOKEN_VAR = "ADGRADER_ANSWER_PROCESS"
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def child_env(workdir: Path) -> dict[str, str]:
    """A scrubbed environment: only what an interpreter and jax on the CPU need."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "XLA_FLAGS": f"--xla_force_host_platform_device_count=1 {quick_compile()}",
        "OPENBLAS_NUM_THREADS": "1",  # no thread pool: the fork server must stay forkable
        "OMP_NUM_THREADS": "1",
    }


class BoundedOutput:
    """What the answer process prints: read as it comes (so the process never blocks on
    a full pipe), the first `limit` bytes kept, the rest dropped."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.kept = bytearray()

    def drain(self, fd: int) -> None:
        with os.fdopen(fd, "rb", buffering=0) as stream:
            while chunk := stream.read(65536):
                self.kept += chunk[: max(0, self.limit - len(self.kept))]


_SUBREAPER = False


def become_subreaper() -> None:
    """Orphans of answer processes become ours, so none outlives grading (Linux only)."""
    global _SUBREAPER
    if _SUBREAPER or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _SUBREAPER = libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        _SUBREAPER = False


def kill_strays(token: str) -> None:
    """Kill every process still carrying this token in its environment, and reap ours.

    Only matters where the kernel cannot jail answers (they cannot start processes
    there): a process a submission started in a new session escapes the group kill,
    and the token it inherited finds it.
    """
    if not os.path.isdir("/proc"):
        return
    me = os.getpid()
    marker = f"{TOKEN_VAR}={token}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if marker not in handle.read().split(b"\0"):
                    continue
            os.kill(int(entry), signal.SIGKILL)
        except (OSError, ValueError):
            continue
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(int(entry), 0)  # ours only when it was reparented to us


@dataclass
class Child:
    """A running answer process: its pid (and process group), its token, how to reap it."""

    pid: int
    token: str
    reap: Callable[[], int | None]

    def kill(self) -> int | None:
        """Kill the process, its group and anything carrying its token; its status."""
        for kill in (os.killpg, os.kill):  # the group, and the process if not yet its leader
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill(self.pid, signal.SIGKILL)
        code = self.reap()
        kill_strays(self.token)
        return code


@dataclass
class Started:
    """A new answer process and the grading side's ends of its three pipes."""

    child: Child
    requests: int  # written to: the job, then requests
    events: int  # read from: what the process says
    output: int  # read from: what it prints

    def discard(self) -> None:
        """Kill the process (see `Child.kill`) and close our ends of its pipes."""
        self.child.kill()
        for fd in (self.requests, self.events, self.output):
            os.close(fd)


def with_pipes(spawn: Callable[[int, int, int], Child]) -> Started:
    """Make the pipes, call `spawn` with the process's ends (requests, events,
    output), keep ours; the process's ends are closed here whatever happens."""
    req_r, req_w = os.pipe()
    evt_r, evt_w = os.pipe()
    out_r, out_w = os.pipe()
    try:
        child = spawn(req_r, evt_w, out_w)
    except BaseException:
        for fd in (req_w, evt_r, out_r):
            os.close(fd)
        raise
    finally:
        for fd in (req_r, evt_w, out_w):
            os.close(fd)
    return Started(child, req_w, evt_r, out_r)


class Launcher(Protocol):
    """Starts answer processes, each working in `workdir` once it has read its job;
    `warm` when starting one costs little (forked with jax imported), not an import."""

    @property
    def warm(self) -> bool: ...

    def start(self, workdir: Path) -> Started: ...

    def close(self) -> None: ...


class Spawner:
    """A launcher that starts each process with `spawn`, given the process's ends of
    its pipes (`with_pipes` makes them)."""

    def start(self, workdir: Path) -> Started:
        return with_pipes(functools.partial(self.spawn, workdir))

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        raise NotImplementedError


class ColdStart(Spawner):
    """A fresh `python -I` interpreter per answer process."""

    warm = False

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        become_subreaper()
        token = secrets.token_hex(8)
        proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                BOOT.format("worker"),
                PACKAGE_PARENT,
                str(requests_fd),
                str(events_fd),
                str(os.getpid()),
            ],
            stdin=subprocess.DEVNULL,
            stdout=output_fd,
            stderr=output_fd,
            cwd=workdir,
            env={**child_env(workdir), TOKEN_VAR: token},
            pass_fds=(requests_fd, events_fd),
            start_new_session=True,
        )
        return Child(proc.pid, token, proc.wait)

    def close(self) -> None:
        pass


class ForkServer(Spawner):
    """A warm process that forks answer processes with jax already imported.

    Thread-safe: one request at a time goes over the socket. The server runs only
    adgrader's code and dies with this process (see `forkserver`).
    """

    warm = True

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        # what /proc/<pid>/environ shows for the server and every process forked from
        # it (an environment changed after exec does not show there)
        self._token = secrets.token_hex(8)
        self._closed = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        become_subreaper()
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                BOOT.format("forkserver"),
                PACKAGE_PARENT,
                str(theirs.fileno()),
                str(os.getpid()),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=workdir,
            env={**child_env(workdir), TOKEN_VAR: self._token},
            pass_fds=(theirs.fileno(),),
            start_new_session=True,
        )
        theirs.close()
        self._sock = ours
        self._lock = threading.Lock()
        ours.settimeout(STARTUP_TIMEOUT)
        try:
            ready = ours.recv(64)
        except OSError:
            ready = b""
        ours.settimeout(None)
        if ready != b"ready":
            self.close()
            raise OSError("the fork server did not start")

    @property
    def token(self) -> str:
        """The token the server's processes carry: found in /proc, it finds them all."""
        return self._token

    @property
    def pid(self) -> int:
        return self._proc.pid

    def _ask(
        self, request: protocol.ServerRequest, fds: tuple[int, ...] = ()
    ) -> protocol.ServerReply:
        from . import protocol

        with self._lock:
            # The server only forks and reaps: a reply slower than this means it is
            # stuck, and the answer process is then graded as not started.
            self._sock.settimeout(SERVER_TIMEOUT)
            try:
                socket.send_fds(self._sock, [protocol.encode(request)], list(fds))
                frame = self._sock.recv(4096)
            except TimeoutError:
                raise OSError("the fork server did not answer") from None
        if len(frame) < protocol.HEADER.size:
            raise OSError("the fork server stopped")
        reply: protocol.ServerReply = protocol.server_reply_decoder.decode(
            frame[protocol.HEADER.size :]
        )
        return reply

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        from . import protocol

        token = secrets.token_hex(8)
        reply = self._ask(protocol.Spawn(str(workdir), token), (requests_fd, events_fd, output_fd))
        if not isinstance(reply, protocol.Spawned):
            raise OSError("the fork server could not start an answer process")
        return Child(reply.pid, token, functools.partial(self.reap, reply.pid))

    def reap(self, pid: int) -> int | None:
        """The exit status of an answer process the server started, once it has ended;
        None when the server was closed first (a batch stopped midway), which killed
        the process with everything else it started. A server that failed on its own
        is an OSError: adgrader's fault, not the answer's."""
        from . import protocol

        try:
            answer = self._ask(protocol.Wait(pid))
        except OSError:
            if self._closed:
                return None
            raise
        return answer.status if isinstance(answer, protocol.Waited) else None

    def close(self) -> None:
        """Stop the server and everything it started."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        kill_strays(self._token)


class EarlyStart:
    """Cold starts, the first begun at once, in a folder of its own: `check` makes one
    before it reads the submission, so that the interpreter and jax load while the
    grading side reads, checks and samples (an answer process imports jax before it
    reads its job, and then works in the folder the job names). What is unused is
    killed at `close`, and the folder removed.
    """

    warm = False

    def __init__(self) -> None:
        import tempfile

        self._folder = Path(tempfile.mkdtemp(prefix="adgrader-"))
        self._cold = ColdStart()
        self._ahead: Started | None = self._cold.start(self._folder)

    def start(self, workdir: Path) -> Started:
        ahead, self._ahead = self._ahead, None
        return ahead if ahead is not None else self._cold.start(workdir)

    def close(self) -> None:
        from .folders import remove_tree

        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            ahead.discard()
        remove_tree(self._folder)


_HEAD_START: list[EarlyStart] = []  # started by `head_start`, not yet claimed


def head_start() -> None:
    """Start an answer process now, for a `check` whose command line is not even
    parsed yet (see `adgrader.__main__`): `started_early` claims it, and if nothing
    does, it is killed when this process exits."""
    if not _HEAD_START:
        import atexit

        _HEAD_START.append(EarlyStart())
        atexit.register(_unclaimed)


def _unclaimed() -> None:
    while _HEAD_START:
        _HEAD_START.pop().close()


@contextlib.contextmanager
def started_early(ahead: bool = True) -> Iterator[Launcher]:
    """An `EarlyStart` (the one `head_start` made, else a new one), or, not `ahead`,
    plain cold starts; leaving kills what is still unused."""
    early = _HEAD_START.pop() if _HEAD_START else None
    if not ahead:
        if early is not None:
            early.close()
        yield ColdStart()
        return
    early = early or EarlyStart()
    try:
        yield early
    finally:
        early.close()


def warm_launcher(folder: Path) -> Launcher:
    """A fork server where the platform has one (jax imported once for many answer
    processes); without it, every process starts cold."""
    if hasattr(os, "fork"):
        try:
            return ForkServer(folder)
        except OSError:
            pass
    return ColdStart()
