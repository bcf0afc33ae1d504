"""Where puzzle sets live, and loading one: from its YAML, or from the spec cache.

A set is a folder holding `set.yaml` (order, rules, defaults) and one `<id>.yaml` per
puzzle. Loading never imports jax: shapes come from the declared dims alone.
"""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from ..errors import UsageError
from .model import DEFAULT_SET, PuzzleSet

SPEC_CACHE_FORMAT = 3  # bump when the resolved model changes


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


def load_set_dir(folder: Path) -> PuzzleSet:
    """Load a set folder, reporting every problem at once (file and line) as a SpecError.

    A valid set is also kept, as msgpack, in the user's cache folder under a name made
    from every file's path, size and modification time: an unchanged folder loads
    without parsing YAML again, and any edit is seen at once.
    """
    from .. import caches
    from .parse import parse_set_dir

    stamp = _stamp(folder)
    cached = caches.spec_path(stamp) if stamp else None
    if cached is not None:
        try:
            return msgspec.msgpack.decode(cached.read_bytes(), type=PuzzleSet)
        except (OSError, msgspec.DecodeError, msgspec.ValidationError):
            pass
    pset = parse_set_dir(folder)
    if cached is not None:
        caches.write_atomically(cached, msgspec.msgpack.encode(pset))
    return pset


def _stamp(folder: Path) -> str | None:
    try:
        files = sorted(folder.glob("*.yaml"))
        parts = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    except OSError:
        return None
    return repr((SPEC_CACHE_FORMAT, parts))
