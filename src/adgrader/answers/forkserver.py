"""A warm start for answer processes: one process imports jax once, then forks one
fresh answer process per submission.

The server runs only adgrader's own code. It imports jax and the answer-side modules
but never starts jax's backend (forking after that deadlocks) and never runs a
submission: each forked child sets up its limits and guards, then loads its one
submission, exactly as a freshly started answer process does. So one submission can
never see another's state, and each child starts without paying for the jax import.

Protocol, over a Unix packet socket pair: the grading process sends one JSON message
per request, with the descriptors (requests, events, output) attached, and waits for
the server's one JSON answer. Requests: `spawn` (workdir) -> `{"pid": N}`;
`wait` (pid) -> `{"status": N}` after reaping that child (the caller kills it first).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
from typing import Any

MAX_MESSAGE = 65536


def serve(sock: socket.socket) -> None:
    """Import what answer processes need, say so, then fork children on request."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    import jax  # noqa: F401  (imported here so that children start warm)
    import numpy  # noqa: F401

    from . import worker  # noqa: F401

    sock.sendall(b'{"ready": true}')
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        if request.get("op") == "spawn" and len(fds) == 3:
            pid = _fork(request, fds, sock)
            for fd in fds:
                os.close(fd)
            sock.sendall(json.dumps({"pid": pid}).encode())
        elif request.get("op") == "wait":
            sock.sendall(json.dumps({"status": _reap(int(request["pid"]))}).encode())
        else:
            for fd in fds:
                os.close(fd)
            sock.sendall(b'{"error": "unknown request"}')


def _reap(pid: int) -> int | None:
    """The child's exit status (negative for a signal), once it has ended."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _fork(request: dict[str, Any], fds: list[int], sock: socket.socket) -> int:
    requests_fd, events_fd, output_fd = fds
    pid = os.fork()
    if pid:
        return pid
    # The child: a session of its own, its own folder and output, then the answer runner.
    try:
        sock.close()
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        workdir = request["workdir"]
        os.environ.update({"HOME": workdir, "TMPDIR": workdir})
        os.chdir(workdir)
        sys.argv = ["adgrader-answers", workdir, str(requests_fd), str(events_fd)]
        from .worker import main

        main()
    finally:
        os._exit(70)
    return 0  # not reached


def main() -> None:
    """Entry point of the server process: `python -I -c BOOT PACKAGE_PARENT SOCKET_FD`."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    serve(sock)
