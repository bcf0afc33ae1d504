"""A warm start for answer processes: one process imports jax once, then forks one
fresh answer process per request.

The server runs only adgrader's own code. It imports jax and the answer-side modules
but never starts jax's backend (forking after that deadlocks, and the jail must go on
before any thread exists) and never runs a submission: each forked child becomes a
session of its own, then runs exactly the steps of a freshly started answer process
(limits, jail, backend, guards, the submission). So one submission can never see
another's state, and each child starts without paying for the jax import.

The server dies with the grading process (parent-death signal), and its children
die with it. Protocol: `protocol.Spawn`/`Wait` over a Unix packet socket pair, with
the child's descriptors (requests, events, output) attached to `Spawn`.
"""

from __future__ import annotations

import os
import signal
import socket
import sys

from . import protocol

MAX_MESSAGE = 65536


def serve(sock: socket.socket) -> None:
    """Import what answer processes need, say so, then fork children on request."""
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    # imported here so that children start warm; jet too, whose rules each child's
    # guards replace
    import jax.experimental.jet  # noqa: F401
    import numpy  # noqa: F401

    from . import warm, worker  # noqa: F401

    warm.import_ahead()
    warm.look_for_plugins()
    warm.freeze_heap()
    sock.sendall(b"ready")
    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, MAX_MESSAGE, 3)
        except OSError:
            return
        if not message:
            return
        try:
            request = protocol.server_request_decoder.decode(message[protocol.HEADER.size :])
        except Exception:  # only the grading process talks to us; stop on nonsense
            return
        if isinstance(request, protocol.Spawn) and len(fds) == 3:
            pid = _fork(request, fds, sock)
            reply: protocol.ServerReply = protocol.Spawned(pid)
        elif isinstance(request, protocol.Wait):
            reply = protocol.Waited(_reap(request.pid))
        else:
            return
        for fd in fds:
            os.close(fd)
        sock.sendall(protocol.encode(reply))


def _reap(pid: int) -> int | None:
    """The child's exit status (negative for a signal), once it has ended."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _fork(request: protocol.Spawn, fds: list[int], sock: socket.socket) -> int:
    requests_fd, events_fd, output_fd = fds
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    # The child: a session of its own, its own folder, output and token, then the worker.
    try:
        sock.close()
        os.setsid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(output_fd, 1)
        os.dup2(output_fd, 2)
        from .launch import TOKEN_VAR

        os.environ.update(
            {"HOME": request.workdir, "TMPDIR": request.workdir, TOKEN_VAR: request.token}
        )
        os.chdir(request.workdir)
        from .worker import run

        run(requests_fd, events_fd, parent)
    finally:
        os._exit(70)
    return 0  # not reached


def main() -> None:
    """Entry point of the server: `python -I -c BOOT PACKAGE_PARENT SOCKET_FD PARENT_PID`."""
    sock = socket.socket(fileno=int(sys.argv[1]))
    from .jail import die_with_parent

    die_with_parent(int(sys.argv[2]))
    serve(sock)
