"""adgrader's speed on this machine: every target as a ratio against its baseline,
measured in the same run, and whether it is met.

    python bench/bench.py                 start-up and `check` figures (default)
    python bench/bench.py --cold          also a first `check` with empty caches
    python bench/bench.py --batch 40 160  `grade` of synthetic classes: CPU per submission
    python bench/bench.py --replies 200   `grade --jsonl` of model replies: replies per second
    python bench/bench.py --watch         `watch`: save to verdict
    python bench/bench.py --all           all of it

Each command runs in a fresh process, after a warm-up run that fills the caches a
user's machine keeps (Python bytecode, jax's compiled oracle, adgrader's results and
parsed sets). Runs are interleaved (round robin), so a busy moment of the machine
weighs on every command alike; figures are medians. CPU time is that of the command
and everything it started (answer processes, the fork server), from getrusage.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# the command users type: the script pip installs beside this Python (`python -m`
# finds the package through runpy, which costs `list` about a tenth more)
_SCRIPT = Path(PY).with_name("adgrader")
ADGRADER = [str(_SCRIPT)] if _SCRIPT.is_file() else [PY, "-m", "adgrader"]
JAX_SOLUTION = "submissions/jax_solution.py"

STARTUP: dict[str, list[str]] = {
    "import jax": [PY, "-c", "import jax"],
    "import click, rich, yaml": [PY, "-c", "import click, rich.console, rich.table, yaml"],
    "adgrader list": [*ADGRADER, "list"],
    "adgrader check (jax set)": [*ADGRADER, "check", JAX_SOLUTION],
    "check (jax), no jail": [PY, "bench/no_jail.py", JAX_SOLUTION],
    "check (classic set)": [*ADGRADER, "check", "submissions/classic_solution.py"],
    "check (scalar set)": [*ADGRADER, "check", "submissions/scalar_solution.py"],
    "check (tensor set)": [*ADGRADER, "check", "submissions/tensor_solution.py"],
    "same, in one process, no isolation": [PY, "bench/in_process.py", JAX_SOLUTION],
    "notebook-style check (jax set)": [PY, "bench/notebook_baseline.py", JAX_SOLUTION],
}


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """As on a user's machine: bytecode is cached (the warm-up writes it); CPU jax."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update({"JAX_PLATFORMS": "cpu", "COLUMNS": "80", **(extra or {})})
    return env


def run_once(
    argv: list[str], env: dict[str, str], expect: tuple[int, ...] = (0, 1)
) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and all it started) for one run; a
    run that exits otherwise than `expect` is reported (its time means nothing)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in expect:
        sys.stderr.write(f"warning: {' '.join(argv)} exited {done.returncode}\n")
        sys.stderr.write(done.stderr.decode(errors="replace")[-2000:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def verdict(name: str, value: float, target: float, unit: str = "x", less: bool = True) -> None:
    met = value <= target if less else value >= target
    sign = "<=" if less else ">="
    print(
        f"{name:44s} {value:8.2f}{unit}  target {sign} {target:g}{unit}  "
        f"{'met' if met else 'NOT MET'}"
    )


def interleaved(
    plan: dict[str, tuple[list[str], dict[str, str]]], runs: int, warm: bool = True
) -> dict[str, float]:
    """Median wall seconds of each command over `runs` round-robin runs."""
    if warm:
        for argv, env in plan.values():
            run_once(argv, env, expect=(0,))
    times: dict[str, list[float]] = {name: [] for name in plan}
    for _ in range(runs):
        for name, (argv, env) in plan.items():
            times[name].append(run_once(argv, env, expect=(0,))[0])
    return {name: statistics.median(values) for name, values in times.items()}


def startup(runs: int, cold: bool) -> None:
    plan = {name: (argv, environment()) for name, argv in STARTUP.items()}
    medians = interleaved(plan, runs)
    for name, value in medians.items():
        print(f"{name:44s} {value:8.3f} s")
    jax_s = medians["import jax"]
    check = medians["adgrader check (jax set)"]
    print()
    verdict(
        "list / import click, rich, yaml",
        medians["adgrader list"] / medians["import click, rich, yaml"],
        1.3,
    )
    verdict("check (jax, jailed, warm) / import jax", check / jax_s, 1.5)
    verdict("check jailed / check without the jail", check / medians["check (jax), no jail"], 1.10)
    notebook = medians["notebook-style check (jax set)"]
    verdict("check (jax) / notebook-style check", check / notebook, 0.1)
    print(
        f"{'check (jax) / in one process, no isolation':44s} "
        f"{check / medians['same, in one process, no isolation']:8.2f}x  (cost of isolation)"
    )
    if cold:
        firsts = []
        for _ in range(max(1, runs // 2)):
            with tempfile.TemporaryDirectory() as cache:
                env = environment({"XDG_CACHE_HOME": cache})
                firsts.append(run_once([*ADGRADER, "check", JAX_SOLUTION], env, expect=(0,))[0])
        first = statistics.median(firsts)
        print(f"{'check (jax), first run, empty caches':44s} {first:8.3f} s")
        verdict("first check (empty caches) / import jax", first / jax_s, 3.0)


def batch(counts: list[int], jobs: list[int]) -> None:
    """`adgrader grade` of synthetic classes: CPU per submission, wall, throughput, and
    the grading process's peak memory, which must not grow with the class."""
    sys.path.insert(0, str(ROOT / "bench"))
    from classgen import make_class

    with tempfile.TemporaryDirectory() as tmp:
        peak_file = Path(tmp) / "peak"
        env = environment({"ADGRADER_BENCH_PEAK": str(peak_file)})
        grade = [PY, str(ROOT / "bench" / "peak.py"), "grade"]
        peaks: dict[int, float] = {}
        for count in counts:
            folder = Path(tmp) / f"class{count}"
            make_class(folder, count)
            run_once([*grade, str(folder), "--out", str(Path(tmp) / "warm")], env)
            rates = {}
            for j in jobs:
                out = Path(tmp) / f"out{count}-{j}"
                peak_file.unlink(missing_ok=True)  # a run that fails leaves no old figure
                wall, cpu = run_once(
                    [*grade, str(folder), "--out", str(out), "--jobs", str(j)], env
                )
                rates[j] = count / wall
                peak = int(peak_file.read_text()) / 1024
                print(
                    f"grade {count:4d} submissions, --jobs {j}: {wall:7.2f} s wall, "
                    f"{cpu / count:5.3f} CPU-s per submission, {count / wall:5.2f} per second, "
                    f"grading process at most {peak:.0f} MiB"
                )
                if j == max(jobs):
                    peaks[count] = peak
                    verdict(f"CPU-s per submission ({count}, --jobs {j})", cpu / count, 0.25, " s")
            if len(jobs) > 1:
                low, high = min(jobs), max(jobs)
                verdict(
                    f"throughput --jobs {high} / --jobs {low} ({count})",
                    rates[high] / rates[low],
                    1.3,
                    "x",
                    less=False,
                )
        if len(peaks) > 1:  # the slope: a whole MiB of jax and XLA would hide a ratio's
            small, large = min(peaks), max(peaks)
            slope = (peaks[large] - peaks[small]) * 1024 / (large - small)
            verdict(f"grading memory growth, {small} to {large}", slope, 16, " KiB/submission")


REPLY_KINDS: dict[str, Callable[[str], str]] = {
    "right": lambda code: f"Here is the Jacobian.\n\n```python\n{code}\n```\n",
    "wrong": lambda code: f"```python\n{code}\n```",
    "prose": lambda code: "I think the Jacobian is the identity matrix.",
    "hostile": lambda code: (
        "```python\nimport os\n"
        "def jac(x):\n    os.system('true')\n    return open('/etc/passwd').read()\n```"
    ),
}


def replies(count: int, jobs: int) -> None:
    """`adgrader grade --jsonl` of model replies: right, wrong, prose, hostile."""
    sys.path.insert(0, str(ROOT / "bench"))
    from classgen import RIGHT, WRONG, answers

    right = answers(RIGHT[0])
    wrong = answers(WRONG[1])
    ids = sorted(set(right) & set(wrong))
    rng = random.Random(0)
    env = environment()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "replies.jsonl"
        with source.open("w") as out:
            for k in range(count):
                pid = rng.choice(ids)
                kind = rng.choices(list(REPLY_KINDS), weights=[5, 3, 1, 1])[0]
                code = (right if kind == "right" else wrong)[pid]
                line = {"id": k, "puzzle": pid, "reply": REPLY_KINDS[kind](code)}
                out.write(json.dumps(line) + "\n")
        results = Path(tmp) / "results.jsonl"
        argv = [
            *ADGRADER,
            "grade",
            "--jsonl",
            str(source),
            "--out",
            str(results),
            "--jobs",
            str(jobs),
        ]
        run_once(argv, env)  # warm-up
        wall, cpu = run_once(argv, env)
        statuses = [json.loads(line)["status"] for line in results.read_text().splitlines()]
    counts = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"grade --jsonl, {count} replies, --jobs {jobs}: {wall:.2f} s wall, {counts}")
    print(f"{'CPU-s per reply':44s} {cpu / count:8.3f} s")
    verdict("replies graded per second", count / wall, 10.0, "/s", less=False)


def watch_latency(saves: int) -> None:
    """Seconds from saving the file to the new verdict, as `adgrader watch` works."""
    from adgrader.grading.watch import watch
    from adgrader.spec import load_set

    sources = [
        (ROOT / "submissions" / n).read_text() for n in ("jax_solution.py", "jax_mistakes.py")
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
        for k in range(saves + 1):
            time.sleep(0.3)
            seen = len(verdicts)
            saved = time.perf_counter()
            path.write_text(sources[k % 2])
            while len(verdicts) == seen:
                time.sleep(0.005)
            if k:  # the first save after start-up warms the answer side: not counted
                latencies.append(verdicts[-1] - saved)
        stop.set()
        worker.join()
    verdict(f"watch: save to verdict (median of {saves})", statistics.median(latencies), 0.5, " s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (default 7)")
    parser.add_argument("--cold", action="store_true", help="also a first check, empty caches")
    parser.add_argument("--batch", type=int, nargs="*", metavar="N", help="grade classes of N")
    parser.add_argument("--jobs", type=int, nargs="*", default=[1, 2], help="--jobs for grade")
    parser.add_argument("--replies", type=int, metavar="N", help="grade N model replies")
    parser.add_argument("--watch", action="store_true", help="watch: save to verdict")
    parser.add_argument("--all", action="store_true", help="everything")
    args = parser.parse_args()
    os.environ["JAX_PLATFORMS"] = "cpu"
    only = args.batch is not None or args.replies or args.watch
    if args.all or not only:
        startup(args.runs, args.cold or args.all)
    if args.all or args.batch is not None:
        batch(args.batch or [40, 160], args.jobs)
    if args.all or args.replies:
        replies(args.replies or 200, max(args.jobs))
    if args.all or args.watch:
        watch_latency(args.runs)


if __name__ == "__main__":
    main()
