"""What adgrader keeps between runs, and where: all of it under the user's cache folder.

- `specs/`: validated puzzle sets, one msgpack file per set. An entry holds the
  resolved model (`PuzzleSet`: names, numbers, shapes, and `f`, givens and index
  forms as source text) together with its key: the format, the folder as given, and
  each YAML file's name and SHA-256. It is named by a hash of that key and checked
  against it when read, so an edit to any file (even one keeping its size and time),
  an added or a removed file, is seen at once;
- `results/`: the oracle's points and Jacobians (`.npz` of plain float arrays), named
  by everything they depend on;
- `jax-oracle-2/`: jax's compiled code of the oracle (answer processes keep nothing).

Each kind has a budget on disk (`BUDGETS`): past it, the entries least recently used
go (a hit counts as a use), checked once per process when it first stores one; jax's
folder, when the oracle first needs jax, the oldest written first.

Reading an entry back runs nothing: a spec entry is decoded by msgspec into the typed
model (never pickle, never eval) and anything that does not fit is ignored, and
results are read with `allow_pickle=False` and their shapes checked. An entry is
opened only as a regular file, never through a link (`read`: a FIFO planted there
would block the grading forever), size-bounded, and results only as an uncompressed
zip (`read_results`: a compressed member could claim gigabytes); anything else, and
any failure to read, is a cache miss. An entry is
trusted as much as the puzzle folder, though: `f` and the givens are Python that
grading evaluates, so whoever can write this folder can change what is graded. So
answer processes can neither read nor write any of it (the kernel's jail keeps them
to their own folder), and where there is no such jail (isolation `python`) nothing
here is used at all, since an answer could have written it. Nor is anything kept by
an adgrader from before answers were jailed (specs of format 4 and below, results
of format 3 and below, the `jax-oracle/` folder): its answers ran with Python guards
only and could write here. A cache folder shared with a place where answers are not
jailed (another machine, a container without Landlock) is written by answers there:
give each its own.

`ADGRADER_NO_CACHE=1` turns off the first two (jax's cache stays: it only saves time).
This module imports nothing heavy: the grading process asks it questions before numpy
or jax are loaded.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import write_atomically

if TYPE_CHECKING:
    from .spec import Puzzle

# bump when the points, the oracle's method or the stored layout change; 4: the first
# format only ever written while answers were jailed
RESULTS_FORMAT = 4
JAX_ORACLE = "jax-oracle-2"  # `jax-oracle` was written while answers were not jailed


def sha256_hex(data: bytes) -> str:
    """SHA-256 of `data`, in hex."""
    return str(_sha256()(data).hexdigest())


@functools.cache
def _sha256() -> Any:
    """Python's own SHA-256 when it has one: hashlib loads OpenSSL, which costs
    `adgrader list` a tenth of its time."""
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            from hashlib import sha256
    return sha256


def cache_dir(kind: str) -> Path:
    """The folder for one kind of cached thing (`$XDG_CACHE_HOME/adgrader/<kind>`)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "adgrader" / kind


@functools.cache
def trusted() -> bool:
    """Whether anything kept between runs can be trusted: only where the kernel jails
    answer processes, so that none of them can have written it (README, Trust model)."""
    from .answers.jail import supported

    return supported().level == "kernel"


def enabled() -> bool:
    """Whether specs and the oracle's results are kept and read back: where caches can
    be trusted, unless ADGRADER_NO_CACHE is set."""
    return trusted() and not os.environ.get("ADGRADER_NO_CACHE")


MAX_ENTRY = 64 * 1024 * 1024  # the largest entry read back: results of 1000 points fit
# The most each kind may take on disk. Results of the jax set at one seed take about
# 0.3 MiB, so these keep several hundred seeds, and every set a course could have.
BUDGETS = {"results": 256 << 20, "specs": 64 << 20, JAX_ORACLE: 256 << 20}


def read(path: Path, limit: int | None = None) -> bytes | None:
    """An entry's bytes, or None when it is not a regular file of at most `limit` bytes
    (default MAX_ENTRY) or cannot be read: a link, a FIFO, a device, too large."""
    limit = MAX_ENTRY if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
        if os.utime in os.supports_fd:  # used now: the last to go when over budget
            with contextlib.suppress(OSError):
                os.utime(fd)
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) <= limit else None


def read_results(path: Path) -> io.BytesIO | None:
    """Kept results as `np.load` takes them: an uncompressed zip (what `np.savez`
    writes), so that no member holds more than the file; else None."""
    import zipfile  # here: `list` and `--help` never read results

    data = read(path)
    if data is None:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None
    if any(m.compress_type != zipfile.ZIP_STORED for m in members):
        return None
    return io.BytesIO(data)


def use_jax_cache(jax: Any, directory: Path) -> None:
    """Keep every compiled computation in `directory`; without one, all still works, slower."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(directory))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    except (OSError, AttributeError):
        return
    # jax's own budget needs the filelock package; by age of writing, then, here
    _pruned_once(directory)


def spec_key(puzzle: Puzzle) -> str:
    """Everything the oracle's values depend on, so a changed spec is never served stale."""
    return repr(
        (
            puzzle.id,
            puzzle.f,
            sorted(puzzle.givens.items()),
            sorted(puzzle.dims.items()),
            [(i.name, i.shape, i.bounds) for i in puzzle.inputs],
            puzzle.out_shape,
            puzzle.probes,
        )
    )


@functools.cache
def installed_versions() -> tuple[tuple[str, int, int], ...] | None:
    """Which jax, jaxlib and numpy are installed, without importing them.

    Each package's version file, with its size and modification time: any reinstall
    or upgrade changes it, and it costs a stat instead of an import or a metadata read.
    """
    import importlib.util

    found = []
    for name in ("jax", "jaxlib", "numpy"):
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            return None
        version_file = Path(spec.origin).parent / "version.py"
        try:
            info = version_file.stat()
        except OSError:
            return None
        found.append((str(version_file), info.st_size, info.st_mtime_ns))
    return tuple(found)


def results_path(puzzle: Puzzle, seed: int, k: int) -> Path | None:
    """Where the oracle's results for these points are kept, or None when not kept."""
    versions = installed_versions()
    if not enabled() or versions is None:
        return None
    text = repr((spec_key(puzzle), seed, k, versions, RESULTS_FORMAT))
    digest = sha256_hex(text.encode())[:32]
    return cache_dir("results") / f"{puzzle.id}-{digest}.npz"


def oracle_ready(puzzles: Sequence[Puzzle], seed: int, k: int) -> bool:
    """Whether the oracle's results for all these puzzles are kept already."""
    for puzzle in puzzles:
        stored = results_path(puzzle, seed, k)
        if stored is None or not stored.exists():
            return False
    return True


def spec_path(key: str) -> Path | None:
    """Where a validated set with this key (its folder, files and their hashes) is kept."""
    if not enabled():
        return None
    return cache_dir("specs") / f"{sha256_hex(key.encode())[:32]}.msgpack"


def store(path: Path, data: bytes) -> None:
    """Keep `data` at `path`, whole or not at all; a cache that cannot be written only
    costs time, so failing to is not an error. The first entry a process stores in a
    folder keeps that folder within its budget."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data, durable=False)
    except OSError:
        return
    _pruned_once(path.parent)


@functools.cache
def _pruned_once(folder: Path) -> int:
    return prune(folder, BUDGETS.get(folder.name, min(BUDGETS.values())))


def prune(folder: Path, budget: int) -> int:
    """Remove the files of `folder` least recently used (written, or read back) until
    the rest take at most `budget` bytes; how many were removed. The folder is not
    followed if it is a link; links, folders and files that cannot be removed inside it
    are left alone; a file another grader removed meanwhile counts as removed; a time
    in the future counts as now."""
    import time

    flags = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(folder, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return 0
    try:
        return _prune_open(fd, budget, time.time_ns())
    finally:
        os.close(fd)


def _prune_open(fd: int, budget: int, now: int) -> int:
    found: list[tuple[int, int, str]] = []
    with os.scandir(fd) as entries:
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False):
                    info = entry.stat(follow_symlinks=False)
                    found.append((min(info.st_mtime_ns, now), info.st_size, entry.name))
            except OSError:  # gone meanwhile
                continue
    total = sum(size for _, size, _ in found)
    removed = 0
    for _, size, name in sorted(found):  # the least recently used first
        if total <= budget:
            break
        try:
            os.unlink(name, dir_fd=fd)
            removed += 1
        except FileNotFoundError:  # another grader pruning at the same time
            pass
        except OSError:
            continue
        total -= size
    return removed
