"""A grading's options (options.py) and the set-marker line (submission/marker.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adgrader.errors import UsageError
from adgrader.options import (
    DEFAULT_POINTS,
    DEFAULT_SEED,
    DEFAULT_TIMEOUT,
    Limits,
    Options,
    default_seed,
    env_flag,
)
from adgrader.submission.marker import LINES, declared_in, declared_set

# ---------------------------------------------------------------- options


def test_the_defaults() -> None:
    options = Options()
    assert (options.seed, options.points, options.strict, options.puzzles) == (
        None,
        DEFAULT_POINTS,
        False,
        (),
    )
    assert options.timeout == options.limits.timeout == DEFAULT_TIMEOUT
    assert options.starters_are_todo and options.processes is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"points": 0}, "--points must be between 1 and 1000"),
        ({"points": 1001}, "--points must be between 1 and 1000"),
        ({"limits": Limits(timeout=0)}, "--timeout must be positive"),
        ({"limits": Limits(timeout=-1.5)}, "--timeout must be positive"),
    ],
)
def test_impossible_options_are_usage_errors(changes: dict[str, object], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        Options(**changes)  # type: ignore[arg-type]


def test_the_seed_is_the_option_else_the_environment_else_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("ADGRADER_SEED", raising=False)
    assert Options().resolved_seed() == DEFAULT_SEED == default_seed()
    monkeypatch.setenv("ADGRADER_SEED", " 42 ")
    assert Options().resolved_seed() == 42
    assert Options(seed=7).resolved_seed() == 7
    assert Options(seed=0).resolved_seed() == 0  # 0 is a seed, not "unset"
    monkeypatch.setenv("ADGRADER_SEED", "  ")
    assert Options().resolved_seed() == DEFAULT_SEED


def test_a_seed_that_is_not_a_number_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADGRADER_SEED", "secret")
    with pytest.raises(UsageError, match="ADGRADER_SEED must be a whole number, got 'secret'"):
        Options().resolved_seed()
    assert Options(seed=3).resolved_seed() == 3  # never read when the option is given


@pytest.mark.parametrize(
    ("value", "on"),
    [("1", True), ("true", True), (" Yes ", True), ("ON", True), ("0", False), ("", False),
     ("no", False), ("off", False), ("2", False)],
)  # fmt: skip
def test_env_flag(monkeypatch: pytest.MonkeyPatch, value: str, on: bool) -> None:
    monkeypatch.setenv("ADGRADER_TEST_FLAG", value)
    assert env_flag("ADGRADER_TEST_FLAG") is on


def test_require_isolation_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ADGRADER_REQUIRE_ISOLATION", raising=False)
    assert not Options().require_isolation
    monkeypatch.setenv("ADGRADER_REQUIRE_ISOLATION", "1")
    assert Options().require_isolation
    assert not Options(require_isolation=False).require_isolation


def test_the_whole_file_gets_a_minute_plus_the_timeout_per_puzzle() -> None:
    assert Limits().whole_file(20) == 60.0 + DEFAULT_TIMEOUT * 20
    assert Limits(timeout=2.0).whole_file(3) == 66.0
    assert Limits(file_timeout=5.0).whole_file(20) == 5.0


# ---------------------------------------------------------------- the marker line


@pytest.mark.parametrize(
    ("line", "named"),
    [
        ("# adgrader: set=jax", "jax"),
        ("#adgrader:set=classic", "classic"),
        ("  #  adgrader:  set = my-course_2.v1  ", "my-course_2.v1"),
        ("\ufeff# adgrader: set=scalar", "scalar"),
        ("# adgrader: set=jax extra words", None),
        ("# adgrader set=jax", None),
        ("x = 1  # adgrader: set=jax", None),
        ("# adgrader: set=", None),
        ("# adgrader: puzzles=jax", None),
    ],
)
def test_the_marker_line(line: str, named: str | None) -> None:
    found = declared_in(f'"""My answers."""\n{line}\nimport numpy as np\n')
    assert found == ((named, 2) if named else None)


def test_the_marker_counts_only_near_the_top() -> None:
    def at(n: int) -> str:
        return "\n" * (n - 1) + "# adgrader: set=classic\n"

    assert LINES == 20
    assert declared_in(at(20)) == ("classic", 20)
    assert declared_in(at(21)) is None
    assert declared_in(at(5), lines=4) is None


def test_the_first_marker_wins() -> None:
    assert declared_in("# adgrader: set=jax\n# adgrader: set=classic\n") == ("jax", 1)


@given(st.text())
def test_a_found_marker_is_a_line_of_the_text(text: str) -> None:
    found = declared_in(text)
    if found is not None:
        name, line = found
        assert name in text.split("\n")[line - 1]


def test_declared_set_reads_a_file_and_never_raises(tmp_path: Path) -> None:
    path = tmp_path / "answers.py"
    path.write_text("# adgrader: set=tensor\ndef vjp_sum(x, g):\n    return g\n")
    assert declared_set(path) == "tensor"
    assert declared_set(str(path)) == "tensor"
    path.write_text("def jac_relu(x):\n    return 0\n")
    assert declared_set(path) is None
    assert declared_set(tmp_path / "missing.py") is None
    assert declared_set(tmp_path) is None  # a folder
