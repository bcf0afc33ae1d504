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
    "adgrader check (scalar set)": [*ADGRADER, "check", "submissions/scalar_solution.py"],
    "adgrader check (tensor set)": [*ADGRADER, "check", "submissions/tensor_solution.py"],
    "same, in one process, no isolation": [
        PY,
        "bench/in_process.py",
        "submissions/jax_solution.py",
    ],
    "notebook-style check (jax set)": [
        PY,
        "bench/notebook_baseline.py",
        "submissions/jax_solution.py",
    ],
}


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """As on a user's machine: bytecode is cached (the warm-up writes it); CPU jax."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"JAX_PLATFORMS": "cpu", **(extra or {})})
    return env


def run_once(argv: list[str], env: dict[str, str], fresh_cache: bool = False) -> float:
    """Seconds for one run; with `fresh_cache`, in an empty cache folder (a first run ever)."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**env, "XDG_CACHE_HOME": cache} if fresh_cache else env
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
        elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: some puzzle failed, as intended for mistakes
        sys.stderr.write(f"warning: {' '.join(argv)} exited {done.returncode}\n")
    return elapsed


def batch(count: int) -> None:
    """`adgrader grade` of `count` submissions against `count` serial `adgrader check` runs."""
    env = environment()
    sources = [ROOT / "submissions" / "jax_solution.py", ROOT / "submissions" / "jax_mistakes.py"]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        files = []
        for k in range(count):
            target = folder / f"student{k:03d}.py"
            target.write_text(sources[k % 2].read_text())
            files.append(target)
        run_once([*ADGRADER, "check", str(files[0])], env)  # warm-up
        serial = sum(run_once([*ADGRADER, "check", str(f)], env) for f in files)
        run_once([*ADGRADER, "grade", str(folder), "--out", str(Path(tmp) / "warm")], env)
        graded = run_once([*ADGRADER, "grade", str(folder), "--out", str(Path(tmp) / "out")], env)
    print(f"{count} serial `adgrader check` runs          {serial:7.2f} s")
    print(f"`adgrader grade` of the same {count} files     {graded:7.2f} s")
    print(f"grade / serial checks                    {graded / serial:6.2f}x   (target <= 0.35x)")


def watch_latency(saves: int) -> None:
    """Seconds from saving the file to the new verdict, as `adgrader watch` works."""
    import threading

    from adgrader.grading.watch import watch
    from adgrader.spec import load_set

    sources = [
        (ROOT / "submissions" / name).read_text() for name in ("jax_solution.py", "jax_mistakes.py")
    ]
    verdicts: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "answers.py"
        path.write_text(sources[1])
        stop = threading.Event()
        worker = threading.Thread(
            target=watch,
            args=(path, load_set("jax"), lambda report: verdicts.append(time.perf_counter())),
            kwargs={"stop": stop},
        )
        worker.start()
        while not verdicts:
            time.sleep(0.01)
        latencies = []
        for k in range(saves):
            time.sleep(0.3)
            seen = len(verdicts)
            saved = time.perf_counter()
            path.write_text(sources[k % 2])
            while len(verdicts) == seen:
                time.sleep(0.005)
            latencies.append(verdicts[-1] - saved)
        stop.set()
        worker.join()
    print(
        f"watch: save to verdict, median of {saves}      {statistics.median(latencies):7.3f} s"
        "   (target <= 1 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--cold", action="store_true", help="also time check without caches")
    parser.add_argument(
        "--batch",
        type=int,
        metavar="N",
        help="instead: time `grade` of N submissions against N serial checks",
    )
    parser.add_argument(
        "--watch",
        action="store_true",
        help="instead: time save-to-verdict in `watch` (after the first grading)",
    )
    args = parser.parse_args()
    if args.batch:
        batch(args.batch)
        return
    if args.watch:
        watch_latency(args.runs)
        return
    plan: dict[str, tuple[list[str], dict[str, str], bool]] = {
        name: (argv, environment(), False) for name, argv in COMMANDS.items()
    }
    if args.cold:
        check = COMMANDS["adgrader check (jax set)"]
        plan["check (jax), oracle recomputed"] = (
            check,
            environment({"ADGRADER_NO_CACHE": "1"}),
            False,
        )
        plan["check (jax), first run, empty caches"] = (check, environment(), True)
    for argv, env, _ in plan.values():
        run_once(argv, env)  # warm-up: bytecode and caches
    # Round-robin, so a busy moment of the machine weighs on every command alike.
    times: dict[str, list[float]] = {name: [] for name in plan}
    for _ in range(args.runs):
        for name, (argv, env, fresh) in plan.items():
            times[name].append(run_once(argv, env, fresh))
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, value in medians.items():
        print(f"{name:40s} {value:7.3f} s")
    jax_s = medians["import jax"]
    check_jax = medians["adgrader check (jax set)"]
    notebook = medians["notebook-style check (jax set)"]
    print()
    print(f"check (jax) / import jax                 {check_jax / jax_s:6.2f}x   (target <= 2x)")
    print(
        f"check (jax) / notebook-style             {check_jax / notebook:6.2f}x   "
        "(target well under 0.1x)"
    )
    isolation = check_jax / medians["same, in one process, no isolation"]
    print(f"check (jax) / in one process             {isolation:6.2f}x   (cost of isolation)")
    ratio = medians["adgrader list"] / medians["import click, rich, yaml"]
    print(f"list / import click, rich, yaml          {ratio:6.2f}x   (target <= 1.5x)")


if __name__ == "__main__":
    main()
