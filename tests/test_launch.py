"""Starting answer processes ahead of their job: `check` starts one before it reads the
submission; the process imports jax meanwhile, then works in the folder its job names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adgrader.answers import launch
from adgrader.answers.launch import ColdStart, EarlyStart, started_early
from adgrader.grading.stages import grade_source
from adgrader.options import Options
from adgrader.spec import load_set

from .hostile_tools import carrying

# An answer that is right only where the process works in the folder its job named
# (`answers0` of the submission's job folder), with its home and temporary folder there.
IN_ITS_FOLDER = """
import os
import jax.numpy as jnp

def jac_neg(x):
    here = os.getcwd()
    assert os.path.basename(here) == "answers0", here
    assert os.environ["HOME"] == here and os.environ["TMPDIR"] == here
    return {sign} * jnp.eye(x.shape[0])
"""


def test_the_first_start_gets_the_process_started_ahead_the_next_start_cold(
    tmp_path: Path,
) -> None:
    launcher = EarlyStart()
    ahead = launcher._ahead
    assert ahead is not None and not launcher.warm
    first = launcher.start(tmp_path)
    second = launcher.start(tmp_path)
    try:
        assert first is ahead
        assert second.child.pid != first.child.pid
    finally:
        first.discard()
        second.discard()
        launcher.close()
    assert carrying([first.child.token, second.child.token]) == []


def test_a_process_started_ahead_and_never_used_is_killed_on_leaving() -> None:
    with started_early() as launcher:
        assert isinstance(launcher, EarlyStart)
        ahead = launcher._ahead
        assert ahead is not None
    assert carrying([ahead.child.token]) == []
    with pytest.raises(ChildProcessError):
        os.waitpid(ahead.child.pid, os.WNOHANG)  # reaped, not left a zombie


def test_nothing_is_started_ahead_when_not_asked() -> None:
    with started_early(ahead=False) as launcher:
        assert isinstance(launcher, ColdStart)


@pytest.mark.parametrize(("sign", "status"), [("-1.0", "passed"), ("1.0", "failed")])
def test_a_process_started_ahead_grades_in_the_folder_its_job_names(sign: str, status: str) -> None:
    pset = load_set("jax")
    with started_early() as launcher:
        report = grade_source(
            IN_ITS_FOLDER.format(sign=sign), "ahead.py", pset, Options(puzzles=("neg",)), launcher
        )
    assert [(p.id, p.status) for p in report.puzzles] == [("neg", status)], report.puzzles


def test_a_head_start_is_claimed_by_the_check_that_follows_or_killed() -> None:
    launch.head_start()
    claimed = launch._HEAD_START[0]
    with started_early() as launcher:
        assert launcher is claimed
    assert not launch._HEAD_START
    launch.head_start()  # and a check of something that is no file: nothing runs
    ahead = launch._HEAD_START[0]._ahead
    assert ahead is not None
    with started_early(ahead=False) as launcher:
        assert isinstance(launcher, ColdStart)
    assert not launch._HEAD_START and carrying([ahead.child.token]) == []


@pytest.mark.parametrize(
    "when", ["adgrader-*", "adgrader-*/answers0/submission.py"], ids=["head start", "grading"]
)
def test_check_stopped_with_sigterm_leaves_no_process_or_folder(tmp_path: Path, when: str) -> None:
    """A cancelled CI job stops `check` with SIGTERM: it leaves as from Ctrl-C, the
    head start's process killed and every folder removed, whenever it comes."""
    import signal
    import subprocess
    import sys
    import time

    from .conftest import SUBMISSIONS

    env = {**os.environ, "TMPDIR": str(tmp_path), "JAX_PLATFORMS": "cpu"}
    command = [sys.executable, "-m", "adgrader", "check", str(SUBMISSIONS / "jax_solution.py")]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(600):  # until the head start has its folder (at most a minute)
        if list(tmp_path.glob(when)) or proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert list(tmp_path.iterdir()) == []
    marker = f"TMPDIR={tmp_path}".encode()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    assert not any(v.startswith(marker) for v in handle.read().split(b"\0"))
            except OSError:
                continue


def test_an_answer_process_of_a_closed_fork_server_is_reaped_as_gone() -> None:
    """A batch stopped midway closes its fork server (which kills every process it
    started) while answers are still being graded: reaping one then says "unknown"
    instead of raising out of the thread that grades it. A server that stopped on its
    own is adgrader's fault, and says so."""
    import socket
    import threading

    server = launch.ForkServer.__new__(launch.ForkServer)  # its socket only: no process
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    server._sock, server._lock, server._closed = ours, threading.Lock(), False
    theirs.close()  # the server's end: it died
    with pytest.raises(OSError):
        server.reap(os.getpid())
    server._closed = True  # as `close` leaves it, the socket closed too
    ours.close()
    assert server.reap(os.getpid()) is None
