"""How a grading runs: every option and its default, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .errors import UsageError

DEFAULT_SEED = 0
DEFAULT_POINTS = 3
DEFAULT_TIMEOUT = 10.0
MAX_POINTS = 1000  # an answer process sends at most a few thousand points back at once


@dataclass(frozen=True)
class Limits:
    """What one submission's answer processes may use."""

    timeout: float = DEFAULT_TIMEOUT  # seconds of wall clock per answer, and for loading
    file_timeout: float | None = None  # the whole file; default 60 s + timeout per puzzle
    memory_mb: int = 2048  # data size (heap and anonymous mappings)
    file_mb: int = 64  # largest file the answers may write
    output_kb: int = 64  # printed output kept; the rest is counted and dropped
    result_mb: int = 16  # largest message an answer process may send back

    def whole_file(self, puzzles: int) -> float:
        """Seconds the whole file may take for this many puzzles."""
        return self.file_timeout or 60.0 + self.timeout * puzzles


@dataclass(frozen=True)
class Options:
    """One grading's choices: which puzzles, at which points, under which limits."""

    seed: int | None = None  # None: $ADGRADER_SEED, else DEFAULT_SEED
    points: int = DEFAULT_POINTS
    strict: bool = False
    puzzles: tuple[str, ...] = ()  # the selection; empty means every puzzle
    limits: Limits = field(default_factory=Limits)
    processes: int | None = None  # answer processes per submission; None: by cores
    # an answer still equal to its starter is `todo` and does not run (validate runs it)
    starters_are_todo: bool = True
    # refuse to grade unless the kernel jails answers (default: $ADGRADER_REQUIRE_ISOLATION)
    require_isolation: bool = field(default_factory=lambda: env_flag("ADGRADER_REQUIRE_ISOLATION"))

    def __post_init__(self) -> None:
        if not 1 <= self.points <= MAX_POINTS:
            raise UsageError(f"--points must be between 1 and {MAX_POINTS}")
        if self.limits.timeout <= 0:
            raise UsageError("--timeout must be positive")

    @property
    def timeout(self) -> float:
        return self.limits.timeout

    def resolved_seed(self) -> int:
        """The seed to grade with: the option, else $ADGRADER_SEED, else the default."""
        return default_seed() if self.seed is None else self.seed


def default_seed() -> int:
    """$ADGRADER_SEED when set (CI can keep a secret one), else the fixed default."""
    value = os.environ.get("ADGRADER_SEED", "").strip()
    if not value:
        return DEFAULT_SEED
    try:
        return int(value)
    except ValueError:
        raise UsageError(f"ADGRADER_SEED must be a whole number, got {value!r}") from None


def env_flag(name: str) -> bool:
    """Whether an environment variable is set to a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")
