"""adgrader's command line, keeping every grading token it gives out.

`python tests/recording_cli.py ARGS...` runs `adgrader ARGS...`; each token of an
answer process or fork server is appended to the file named by $ADGRADER_TEST_TOKENS
as soon as it is given, so a test can look for processes that outlived the grading
even when this process was killed. With ADGRADER_TEST_PYTHON_ISOLATION=1 it grades as
where the kernel cannot jail answers (see `hostile_tools.python_isolation`).
"""

from __future__ import annotations

import os
from pathlib import Path

from adgrader.answers import launch
from adgrader.answers.launch import Child
from adgrader.grading import stages

RECORD = os.environ["ADGRADER_TEST_TOKENS"]


def note(token: str) -> None:
    with open(RECORD, "a", encoding="utf-8") as handle:
        handle.write(token + "\n")


class RecordingColdStart(launch.ColdStart):
    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        child = super().spawn(workdir, requests_fd, events_fd, output_fd)
        note(child.token)
        return child


class RecordingForkServer(launch.ForkServer):
    """Its children's /proc environ holds the server's token (they are forked from it,
    and an environment changed after exec does not show there): both are kept."""

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        note(self.token)

    def spawn(self, workdir: Path, requests_fd: int, events_fd: int, output_fd: int) -> Child:
        child = super().spawn(workdir, requests_fd, events_fd, output_fd)
        note(child.token)
        return child


stages.ColdStart = RecordingColdStart  # type: ignore[misc]
launch.ColdStart = RecordingColdStart  # type: ignore[misc]  # for warm_launcher
launch.ForkServer = RecordingForkServer  # type: ignore[misc]

if __name__ == "__main__":  # through the console script's entry point, as users run it
    from adgrader.__main__ import run

    if os.environ.get("ADGRADER_TEST_PYTHON_ISOLATION") == "1":
        from hostile_tools import python_isolation

        with python_isolation():
            run()
    else:
        run()
