"""The answer processes' plumbing: their environment, their output, how they start
(fresh, or forked from a warm server) and how every trace of them is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STARTUP_TIMEOUT = 120.0
BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); from adgrader.answers.{} import main; main()"
)


def child_env(workdir: Path) -> dict[str, str]:
    """A scrubbed environment: only what an interpreter and jax on the CPU need."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(workdir),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
        "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        "XLA_FLAGS": "--xla_force_host_platform_device_count=1",
        "OPENBLAS_NUM_THREADS": "1",  # no thread pool: the fork server must stay forkable
        "OMP_NUM_THREADS": "1",
    }
    return env


TOKEN_VAR = "ADGRADER_ANSWER_PROCESS"


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
    """Orphans of the answer process become ours, so none outlives grading (Linux only)."""
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
    """Kill every process still carrying this answer process's token, and reap ours.

    A process the submission started in a new session escapes the process-group kill;
    the token in its environment (inherited) finds it.
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
    """A running answer process: its pid (and process group) and how to collect its status."""

    pid: int
    wait: Callable[[], int | None]


class ForkServer:
    """A warm process that forks answer processes with jax already imported.

    Used when many submissions are graded in one run; see `forkserver`. Thread-safe:
    one request at a time goes over the socket.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._token = secrets.token_hex(8)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        package_parent = str(Path(__file__).resolve().parents[2])
        self._proc = subprocess.Popen(
            [
                sys.executable,
                "-I",
                "-c",
                BOOT.format("forkserver"),
                package_parent,
                str(theirs.fileno()),
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
            ready = json.loads(ours.recv(4096) or b"{}")
        except (OSError, ValueError):
            ready = {}
        ours.settimeout(None)
        if not ready.get("ready"):
            self.close()
            raise OSError("the fork server did not start")

    def _ask(self, request: dict[str, Any], fds: tuple[int, ...] = ()) -> dict[str, Any]:
        with self._lock:
            socket.send_fds(self._sock, [json.dumps(request).encode()], list(fds))
            answer = json.loads(self._sock.recv(4096) or b"{}")
        return answer if isinstance(answer, dict) else {}

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        answer = self._ask(
            {"op": "spawn", "workdir": str(workdir)}, (requests_fd, events_fd, output_fd)
        )
        pid = int(answer["pid"])
        return Child(pid, lambda: self._ask({"op": "wait", "pid": pid}).get("status"))

    def close(self) -> None:
        """Stop the server and everything it started."""
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        kill_strays(self._token)
