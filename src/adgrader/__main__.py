"""The `adgrader` command (also `python -m adgrader`).

`check FILE` starts its answer process before anything else is imported: the process
loads jax (most of a second) while this one loads the command line, reads the file and
draws the points. Any other command goes straight to the command line.
"""

from __future__ import annotations

import sys


def run() -> None:
    """The console script's entry point."""
    import signal

    # Stopped (a CI job cancelled, `kill`): leave as from Ctrl-C, through every cleanup,
    # so that no answer process or job folder is left behind.
    signal.signal(signal.SIGTERM, _stopped)
    args = sys.argv[1:]
    if args[:1] == ["check"]:
        from .files import regular_file

        if any(regular_file(arg) for arg in args[1:]):
            from .answers.launch import head_start

            head_start()
    from .cli import main

    main()


def _stopped(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    run()
