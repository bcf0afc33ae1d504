"""`adgrader ARGS`, then this process's peak resident memory in KiB, written to the file
named by $ADGRADER_BENCH_PEAK: the grading side's own memory, without the answer
processes and the fork server (each a process of its own)."""

from __future__ import annotations

import atexit
import os
import resource
from pathlib import Path


def _write_peak() -> None:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    Path(os.environ["ADGRADER_BENCH_PEAK"]).write_text(f"{peak}\n", encoding="utf-8")


if __name__ == "__main__":
    import sys

    atexit.register(_write_peak)
    sys.argv[0] = "adgrader"
    from adgrader.__main__ import run

    run()
