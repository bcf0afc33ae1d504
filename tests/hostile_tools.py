"""What the hostile tests share: launchers that keep every grading token, the search for
processes that carry one, grading as at python isolation, and adgrader's command line
run as its own process with its tokens kept (`recording_cli.py`)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from adgrader.answers.launch import TOKEN_VAR, ColdStart, ForkServer, Launcher, Started

TESTS = Path(__file__).resolve().parent
RECORDING_CLI = TESTS / "recording_cli.py"


# Fork servers the tests keep running between gradings: each carries the token its
# answer processes show in /proc, and is not a process that outlived a grading.
SERVERS: set[int] = set()


class RecordingLauncher:
    """Starts answer processes with `inner` (by default cold, as `check` does), and
    keeps the tokens each one's processes show in /proc: its own (set before it starts,
    or before it starts a program), and for a process forked from a server, the
    server's too (nothing else forked from that server runs once a grading is over,
    in a test process that grades one file at a time). Closing it leaves `inner`
    running: its owner closes it."""

    def __init__(self, inner: Launcher | None = None) -> None:
        self.inner = inner or ColdStart()
        self.tokens: list[str] = []
        if isinstance(self.inner, ForkServer):
            SERVERS.add(self.inner.pid)

    @property
    def warm(self) -> bool:
        return self.inner.warm

    def start(self, workdir: Path) -> Started:
        started = self.inner.start(workdir)
        self.tokens.append(started.child.token)
        if isinstance(self.inner, ForkServer) and self.inner.token not in self.tokens:
            self.tokens.append(self.inner.token)
        return started

    def close(self) -> None:
        pass


def carrying(tokens: Sequence[str]) -> list[str]:
    """Processes whose environment carries one of these grading tokens."""
    markers = {f"{TOKEN_VAR}={t}".encode() for t in tokens}
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in SERVERS:
            try:
                with open(f"/proc/{entry}/environ", "rb") as handle:
                    if markers & set(handle.read().split(b"\0")):
                        found.append(entry)
            except OSError:
                continue
    return found


def assert_none_carry(tokens: Sequence[str], wait: float = 10.0) -> None:
    """No process carries these tokens, once the ones being killed have gone."""
    assert tokens, "no answer process was started"
    deadline = time.monotonic() + wait
    while carrying(tokens) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert carrying(tokens) == []


def assert_unchanged(files: dict[Path, bytes], wait: float = 3.0) -> None:
    """These files keep their contents for `wait` seconds (polled): long enough for a
    process that waited for the grading to end to try to rewrite them."""
    deadline = time.monotonic() + wait
    while True:
        for path, data in files.items():
            assert path.read_bytes() == data, f"{path} was rewritten after grading"
        if time.monotonic() >= deadline:
            return
        time.sleep(0.1)


@contextlib.contextmanager
def python_isolation() -> Iterator[None]:
    """Grade as where the kernel cannot jail answers: the job asks for no jail, and
    nothing kept between runs is trusted (see `caches.trusted`)."""
    import pytest

    from adgrader import caches
    from adgrader.answers.client import Setup
    from adgrader.grading import stages

    def unjailed(**fields: Any) -> Setup:
        return Setup(**{**fields, "jail": False})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(stages, "Setup", unjailed)
        patch.setattr(caches, "trusted", lambda: False)
        yield


@dataclass
class Run:
    """One run of the command line: exit code, output, and every grading token."""

    code: int
    out: str
    err: str
    tokens: list[str]


def run_cli(args: Sequence[str], tmp: Path, env: dict[str, str] | None = None) -> Run:
    """`adgrader ARGS` as a process of its own (an attack on the grader hits it, not the
    tests), through `recording_cli.py`, which keeps every token it gives out."""
    tokens = tmp / f"tokens-{time.monotonic_ns()}.txt"
    tokens.touch()
    done = subprocess.run(
        [sys.executable, str(RECORDING_CLI), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={
            **os.environ,
            "COLUMNS": "80",
            "ADGRADER_TEST_TOKENS": str(tokens),
            **(env or {}),
        },
    )
    return Run(done.returncode, done.stdout, done.stderr, tokens.read_text().split())
