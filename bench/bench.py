"""Start-up and grading times of adgrader on this machine, as medians and ratios.

Run: python bench/bench.py [--runs N]

Each command runs in a fresh process, N times, after one warm-up run that fills the
caches a user's machine keeps between runs (Python bytecode, jax's compilation cache,
adgrader's oracle results and parsed puzzle sets). The table shows median wall-clock
seconds and the ratios the project's targets are stated in; `--cold` also times
`check` with adgrader's caches off (ADGRADER_NO_CACHE=1).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ADGRADER = [PY, "-m", "adgrader"]

COMMANDS: dict[str, list[str]] = {
    "import jax": [PY, "-c", "import jax"],
    "import click, rich, yaml": [PY, "-c", "import click, rich.console, rich.table, yaml"],
    "adgrader list": [*ADGRADER, "list"],
    "adgrader check (jax set)": [*ADGRADER, "check", "submissions/jax_solution.py"],
    "adgrader check (classic set)": [*ADGRADER, "check", "submissions/classic_solution.py"],
    "notebook-style check (jax set)": [
        PY,
        "bench/notebook_baseline.py",
        "submissions/jax_solution.py",
    ],
}


def time_command(
    argv: list[str], runs: int, extra: dict[str, str] | None = None, fresh_cache: bool = False
) -> float:
    """Median seconds of `argv` over `runs` runs, after one warm-up run.

    As on a user's machine, bytecode is cached (the warm-up writes it). With
    `fresh_cache`, every run gets an empty cache folder: a first run ever.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"JAX_PLATFORMS": "cpu", **(extra or {})})
    subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            if fresh_cache:
                env["XDG_CACHE_HOME"] = cache
            start = time.perf_counter()
            done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
            times.append(time.perf_counter() - start)
        if done.returncode != 0:
            sys.stderr.write(f"warning: {' '.join(argv)} exited {done.returncode}\n")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--cold", action="store_true", help="also time check without caches")
    args = parser.parse_args()
    medians = {}
    for name, argv in COMMANDS.items():
        medians[name] = time_command(argv, args.runs)
        print(f"{name:40s} {medians[name]:7.3f} s", flush=True)
    if args.cold:
        check = COMMANDS["adgrader check (jax set)"]
        for name, extra, fresh in (
            ("check (jax), oracle recomputed", {"ADGRADER_NO_CACHE": "1"}, False),
            ("check (jax), first run, empty caches", {}, True),
        ):
            medians[name] = time_command(check, args.runs, extra, fresh)
            print(f"{name:40s} {medians[name]:7.3f} s", flush=True)
    jax_s = medians["import jax"]
    check_jax = medians["adgrader check (jax set)"]
    notebook = medians["notebook-style check (jax set)"]
    print()
    print(f"check (jax) / import jax                 {check_jax / jax_s:6.2f}x   (target <= 2x)")
    print(
        f"check (jax) / notebook-style             {check_jax / notebook:6.2f}x   "
        "(target well under 0.1x)"
    )
    ratio = medians["adgrader list"] / medians["import click, rich, yaml"]
    print(f"list / import click, rich, yaml          {ratio:6.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
