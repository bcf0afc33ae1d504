"""Where puzzle sets live, and loading one: from its YAML, or from the spec cache.

A set is a folder holding `set.yaml` (order, rules, defaults) and one `<id>.yaml` per
puzzle. Loading never imports jax: shapes come from the declared dims alone.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import msgspec

from .. import caches
from ..errors import UsageError
from .model import DEFAULT_SET, PuzzleSet

# bump when the resolved model or the entry's layout changes; 5: the first format only
# ever written while answers were jailed (an entry holds source the grading side runs)
SPEC_CACHE_FORMAT = 5
MAX_SPEC_ENTRY = 16 * 1024 * 1024  # a cached set is kilobytes; more is not ours


_READ_ONCE: dict[str, PuzzleSet] | None = None  # see `read_once`


@contextlib.contextmanager
def read_once() -> Iterator[None]:
    """Within this, each set folder is loaded once and then served as it was read.

    A batch grades every submission against the same sets: re-reading and hashing
    every YAML file of every set for each submission (to choose its set, then to
    suggest a better one) was about a sixth of the grading side's work, and an edit
    made while the batch runs would reach only the submissions graded after it.
    """
    global _READ_ONCE
    outer = _READ_ONCE
    if outer is None:
        _READ_ONCE = {}
    try:
        yield
    finally:
        _READ_ONCE = outer


def builtin_dir() -> Path:
    """The folder of the built-in sets: inside the installed package, else the source tree."""
    packaged = Path(__file__).resolve().parents[1] / "puzzles"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "puzzles"


def puzzles_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The folder to load sets from: `override`, then $ADGRADER_PUZZLES, then the built-ins."""
    chosen = override or os.environ.get("ADGRADER_PUZZLES") or None
    if chosen is None:
        return builtin_dir()
    path = Path(chosen)
    if not path.is_dir():
        raise UsageError(f"puzzle folder {str(path)!r} does not exist or is not a folder")
    return path


def set_dirs(root: Path) -> dict[str, Path]:
    """Map set id (folder name) to folder; `root` may itself be one set folder."""
    if (root / "set.yaml").is_file():
        return {root.name: root}
    return {d.name: d for d in sorted(root.iterdir()) if (d / "set.yaml").is_file()}


def find_set_dirs(root: Path) -> list[Path]:
    """Every set folder at or under `root`, at any depth, in path order.

    Hidden folders (`.git`) and `__pycache__` are skipped, and links to folders are not
    followed, so a walk always ends.
    """
    found = []
    for here, subdirs, names in os.walk(root):
        subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d != "__pycache__")
        if "set.yaml" in names:
            found.append(Path(here))
    return sorted(found)


def available_sets(override: str | os.PathLike[str] | None = None) -> list[str]:
    """Set ids in the folder, the default set (`jax`) first."""
    return sorted(set_dirs(puzzles_dir(override)), key=lambda name: (name != DEFAULT_SET, name))


def load_set(name: str | None = None, override: str | os.PathLike[str] | None = None) -> PuzzleSet:
    """Load and validate one set; `name` None means the only set, or `jax` among several."""
    root = puzzles_dir(override)
    dirs = set_dirs(root)
    if not dirs:
        raise UsageError(f"no puzzle sets in {str(root)!r} (a set folder holds a set.yaml)")
    if name is None:
        name = DEFAULT_SET if DEFAULT_SET in dirs else next(iter(dirs))
    if name not in dirs:
        raise UsageError(f"no puzzle set {name!r}; the sets are: {', '.join(dirs)}")
    return load_set_dir(dirs[name])


def read_files(folder: Path) -> dict[str, bytes | OSError]:
    """Every `*.yaml` file of `folder` by name, its bytes or why they cannot be read."""
    found: dict[str, bytes | OSError] = {}
    for path in sorted(folder.glob("*.yaml")):
        try:
            found[path.name] = path.read_bytes()
        except OSError as exc:
            found[path.name] = exc
    return found


def load_set_dir(folder: Path) -> PuzzleSet:
    """Load a set folder, reporting every problem at once (file and line) as a SpecError.

    A valid set is also kept in the user's cache folder (see `caches`), keyed by the
    folder and the SHA-256 of every YAML file's bytes, and checked against that key
    when read: an unchanged folder loads without parsing YAML, and any edit, added or
    removed file is seen at once, in this process as in the next.
    """
    kept = _READ_ONCE
    if kept is not None:
        pset = kept.get(str(folder))
        if pset is None:
            pset = kept[str(folder)] = _load_set_dir(folder)
        return pset
    return _load_set_dir(folder)


def _load_set_dir(folder: Path) -> PuzzleSet:
    files = read_files(folder)
    key = _key(folder, files)
    cached = caches.spec_path(msgspec.json.encode(key).decode()) if key else None
    if key is not None and cached is not None:
        data = caches.read(cached, MAX_SPEC_ENTRY)  # a regular file, never a FIFO or link
        try:
            entry = msgspec.msgpack.decode(data, type=_Entry) if data is not None else None
        except (msgspec.DecodeError, msgspec.ValidationError):
            entry = None
        if entry is not None and entry.key == key:
            return entry.set
    from .parse import parse_set_dir  # here: an unchanged set is never parsed

    pset = parse_set_dir(folder, files)
    if key is not None and cached is not None:
        caches.store(cached, msgspec.msgpack.encode(_Entry(key, pset)))
    return pset


class _Key(msgspec.Struct, frozen=True, array_like=True):
    """What a cached set was read from: the cache's format, the folder as given (the
    model holds paths made from it) and each YAML file's name and SHA-256."""

    format: int
    folder: str
    files: tuple[tuple[str, str], ...]


class _Entry(msgspec.Struct, frozen=True, array_like=True):
    key: _Key
    set: PuzzleSet


def _key(folder: Path, files: Mapping[str, bytes | OSError]) -> _Key | None:
    """The key of a folder's files as read; None when one could not be read."""
    digests = []
    for name, data in files.items():
        if isinstance(data, OSError):
            return None
        digests.append((name, caches.sha256_hex(data)))
    return _Key(SPEC_CACHE_FORMAT, str(folder), tuple(digests))
