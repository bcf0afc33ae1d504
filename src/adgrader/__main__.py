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

            _HELD.append(0)  # a stop waits until the head start is whole, then cleans up
            try:
                head_start()
            finally:
                _HELD.clear()
            if _HELD_STOP:
                raise SystemExit(128 + _HELD_STOP[0])
    from .cli import main

    main()


_HELD: list[int] = []  # not empty while a stop must wait
_HELD_STOP: list[int] = []  # the signal that came meanwhile


def _stopped(signum: int, frame: object) -> None:
    if _HELD:
        _HELD_STOP.append(signum)
        return
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    run()
