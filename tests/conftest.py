"""Shared, expensive set-up: each submission is graded once per session and reused.

Every grading a test asks for through `grade` (the library's `check`) or, with
`memo_grading`, through a command (`check`, `list`) goes through one memo keyed by the
submission's path and text, the set and the options: the same file graded twice with
the same options is graded once, and the command line's views are rendered from the
very Report the library's tests read. Those gradings fork their answer processes from
one warm fork server per session (jax imported once), as `grade` and `watch` do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import adgrader
from adgrader.result import Report

if TYPE_CHECKING:
    from adgrader.answers.launch import Launcher
    from adgrader.options import Options
    from adgrader.spec import PuzzleSet
    from adgrader.submission import Submission

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = ROOT / "submissions"
ANSWERS = Path(__file__).parent / "answers"
HOSTILE = Path(__file__).parent / "submissions"
GOLDEN = Path(__file__).parent / "golden"

Grade = Callable[..., Report]


class Gradings:
    """`grade_submission` with a memo, answer processes forked from one warm server.

    A grading that passes its own launcher (a test of launchers, `watch`, a batch)
    is not memoized: it runs as asked.
    """

    def __init__(self, launcher: Launcher) -> None:
        from adgrader.grading import stages

        self.real = stages.grade_submission
        self.launcher = launcher
        self.reports: dict[Any, Report] = {}

    def grade_submission(
        self,
        sub: Submission,
        pset: PuzzleSet,
        options: Options | None = None,
        launcher: Launcher | None = None,
        *,
        set_note: str = "",
    ) -> Report:
        from adgrader.options import Options

        if launcher is not None:
            return self.real(sub, pset, options, launcher, set_note=set_note)
        options = options or Options()
        key = (_digest(sub), pset.id, pset.path, options, options.resolved_seed())
        found = self.reports.get(key)
        if found is None or not _renamable(found, str(sub.path)):
            found = self.reports[key] = self.real(sub, pset, options, self.launcher)
        # the same file named another way (relative, absolute) is the same grading; and
        # set_note says only how the set was chosen
        return dataclasses.replace(found, submission=str(sub.path), set_note=set_note)

    @contextlib.contextmanager
    def active(self) -> Iterator[None]:
        """Within: every `grade_submission` without a launcher of its own is memoized,
        and `check` starts no answer process ahead (a memoized grading needs none;
        `test_launch` and the CLI tests in fresh processes test the head start)."""
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("adgrader.grading.stages.grade_submission", self.grade_submission)
            patch.setattr("adgrader.answers.launch.started_early", _no_head_start)
            yield


@contextlib.contextmanager
def _no_head_start(ahead: bool = True) -> Iterator[None]:
    yield None


def _digest(sub: Submission) -> tuple[str, str]:
    """The file (however named) or the name, and a hash of what was read: the code
    graded and, for a file, its bytes (a notebook's cells place the answers)."""
    digest = hashlib.sha256(sub.source.encode("utf-8", "surrogatepass"))
    path = Path(sub.path)
    try:
        digest.update(path.read_bytes())
    except OSError:
        return str(sub.path), digest.hexdigest()
    return str(path.resolve()), digest.hexdigest()


def _renamable(report: Report, name: str) -> bool:
    """Whether `report` can stand for the same file named `name`: its own name for the
    file appears nowhere but in `submission`."""
    if report.submission == name:
        return True
    return report.submission not in repr(dataclasses.replace(report, submission=""))


def pytest_configure(config: pytest.Config) -> None:
    """adgrader's modules compiled to bytecode once, before any test process starts:
    the suite starts a few hundred interpreters (commands, answer processes, fork
    servers), and where PYTHONDONTWRITEBYTECODE is set (CI images often do) each one
    compiled every module again, about 50 ms apiece."""
    if not hasattr(config, "workerinput"):  # the controlling process, once
        import compileall

        compileall.compile_dir(ROOT / "src", quiet=1)
        _session_cache(config)


def _session_cache(config: pytest.Config) -> None:
    """One XDG_CACHE_HOME for the whole session, made here before the test processes
    start so that they all inherit it: no test reads or writes the user's own caches,
    a run here starts as cold as on a fresh CI machine, and what one process compiles
    (the oracles of the built-in sets) the others read instead of compiling again."""
    import shutil
    import tempfile

    home = tempfile.mkdtemp(prefix="adgrader-test-cache-")
    os.environ["XDG_CACHE_HOME"] = home
    config.add_cleanup(lambda: shutil.rmtree(home, ignore_errors=True))


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one process more than the cores, at most 4 (pyproject.toml). Some tests
    wait on an answer's time limit, and the extra process fills the core meanwhile
    (on 2 cores the suite took 104 s with 2 processes, 86-94 s with 3).
    PYTEST_XDIST_AUTO_NUM_WORKERS still chooses."""
    chosen = os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS", "").strip()
    if chosen.isdigit():
        return int(chosen)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `slow` run first (in the order collected): spread over processes
    (`-n`), the long ones start at once and the short ones fill in at the end, so that
    no process is left finishing a long one alone."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def gradings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gradings]:
    """The session's memo. Its fork server is started here, by the thread that runs the
    tests: it dies with the thread that started it."""
    from adgrader.answers.launch import warm_launcher

    launcher = warm_launcher(tmp_path_factory.mktemp("forkserver"))
    try:
        yield Gradings(launcher)
    finally:
        launcher.close()


@pytest.fixture(scope="session")
def grade(gradings: Gradings) -> Grade:
    """grade(path, set_name, **options) -> Report: `adgrader.check`, memoized for the
    whole session (by the file's text too, so a file rewritten is graded again)."""

    def run(path: Path, set_name: str | None = None, **options: Any) -> Report:
        with gradings.active():
            return adgrader.check(path, set=set_name, **options)

    return run


@pytest.fixture(scope="session")
def cache_home() -> Path:
    """The XDG_CACHE_HOME of every grading of the corpus: the session's (see
    `_session_cache`), never the user's own."""
    return Path(os.environ["XDG_CACHE_HOME"])


@pytest.fixture
def memo_grading(gradings: Gradings) -> Iterator[Gradings]:
    """Commands run in this test grade through the session's memo (see `Gradings`)."""
    with gradings.active():
        yield gradings


def machine_neutral(text: str) -> str:
    """`text` as on a machine whose kernel jails answers, wherever it was rendered: the
    isolation a report states depends on the kernel, and golden files must not."""
    text = text.replace("isolation python", "isolation kernel")
    return "".join(
        line
        for line in text.splitlines(keepends=True)
        if not line.startswith("warning: not jailed")
    )


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/NAME; UPDATE_GOLDEN=1 rewrites the file instead. The
    text is made `machine_neutral` first."""
    text = machine_neutral(text)
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            pytest.fail(f"golden file {name} was missing and has been written; check it in")
    assert text == path.read_text(encoding="utf-8"), f"output differs from tests/golden/{name}"


@pytest.fixture(scope="session")
def graded(gradings: Gradings) -> Callable[..., tuple[Report, list[str]]]:
    """For untrusted files: graded(path, set_name, python=False, env={}, **options) ->
    (report, the token of every answer process it started), memoized for the session,
    so a test can also look for processes that outlived the grading. `python=True`
    grades as where the kernel cannot jail answers; `env` is set while grading. The
    answer processes are forked from the session's fork server, as in `grade`: an
    attack on it would break every later grading of the session."""
    import contextlib

    from adgrader.grading.stages import check_against
    from adgrader.options import Limits, Options
    from adgrader.spec import load_set

    from .hostile_tools import RecordingLauncher, python_isolation

    cache: dict[Any, tuple[Report, list[str]]] = {}

    def run(
        path: Path,
        set_name: str,
        python: bool = False,
        env: dict[str, str] | None = None,
        puzzles: tuple[str, ...] = (),
        timeout: float = 10.0,
        **options: Any,
    ) -> tuple[Report, list[str]]:
        key = (str(path), set_name, python, tuple(sorted((env or {}).items())), puzzles, timeout)
        key += tuple(sorted(options.items()))
        if key not in cache:
            launcher = RecordingLauncher(gradings.launcher)
            chosen = Options(puzzles=puzzles, limits=Limits(timeout=timeout), **options)
            with pytest.MonkeyPatch.context() as patch:
                for name, value in (env or {}).items():
                    patch.setenv(name, value)
                with python_isolation() if python else contextlib.nullcontext():
                    report = check_against(path, load_set(set_name), chosen, launcher)
            cache[key] = (report, launcher.tokens)
        return cache[key]

    return run
