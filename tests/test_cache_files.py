"""Entries of the cache folder are read only as what adgrader writes there: a regular
file (never a link, a FIFO or a device), size-bounded, results an uncompressed zip.
Anything else someone planted there is a cache miss: never a hang, never a traceback."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from adgrader import caches
from adgrader.grading import oracle
from adgrader.grading.oracle import Expected, Sample
from adgrader.spec import load_set
from adgrader.spec.load import load_set_dir

K = 3


@pytest.fixture
def neg() -> object:
    return load_set("jax").select(["neg"])[0]


def kept(path: Path, puzzle: object) -> None:
    """Results as `oracle._save` keeps them (zeros: only the layout matters here)."""
    count = K + len(puzzle.probes)  # type: ignore[attr-defined]
    point = {"x": np.zeros(10), "g": np.zeros(10)}
    expected = Expected(jac={"x": np.zeros((10, 10))}, value=np.zeros(10), vjp={"x": np.zeros(10)})
    oracle._save(path, Sample([point] * count, [expected] * count, []))


def test_kept_results_are_read_back(tmp_path: Path, neg: object) -> None:
    kept(tmp_path / "r.npz", neg)
    found = oracle._load(tmp_path / "r.npz", neg, K)  # type: ignore[arg-type]
    assert found is not None and found.expected[0].jac["x"].shape == (10, 10)


def planted(tmp_path: Path, neg: object, kind: str) -> Path:
    path = tmp_path / "r.npz"
    if kind == "a FIFO":
        os.mkfifo(path)
    elif kind == "a link to kept results":
        kept(tmp_path / "real.npz", neg)
        path.symlink_to(tmp_path / "real.npz")
    elif kind == "a link to /dev/zero":
        path.symlink_to("/dev/zero")
    elif kind == "not a zip":
        path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    elif kind == "a bad CRC":
        kept(path, neg)
        data = bytearray(path.read_bytes())
        at = data.index(b"\x93NUMPY") + 200  # inside the first array's data
        data[at] ^= 0xFF
        path.write_bytes(bytes(data))
    elif kind == "compressed":
        kept(tmp_path / "real.npz", neg)
        with np.load(tmp_path / "real.npz") as data:
            np.savez_compressed(path, **dict(data))
    elif kind == "a folder":
        path.mkdir()
    return path


KINDS = [
    "a FIFO",
    "a link to kept results",
    "a link to /dev/zero",
    "not a zip",
    "a bad CRC",
    "compressed",
    "a folder",
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", KINDS)
def test_planted_results_are_a_cache_miss(tmp_path: Path, neg: object, kind: str) -> None:
    path = planted(tmp_path, neg, kind)
    assert oracle._load(path, neg, K) is None  # type: ignore[arg-type]


def test_a_compressed_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    """A compressed member can claim far more than the file holds: refused unread."""
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, jac_x_0=np.zeros(64 << 20, dtype=np.uint8))
    assert path.stat().st_size < 1 << 20
    assert caches.read(path) is not None
    assert caches.read_results(path) is None


def test_results_over_the_size_bound_are_a_cache_miss(
    tmp_path: Path, neg: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept(tmp_path / "r.npz", neg)
    monkeypatch.setattr(caches, "MAX_ENTRY", 1000)
    assert caches.read(tmp_path / "r.npz") is None
    assert oracle._load(tmp_path / "r.npz", neg, K) is None  # type: ignore[arg-type]


@pytest.mark.timeout(30)
def test_a_fifo_in_place_of_a_kept_set_is_a_cache_miss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ADGRADER_NO_CACHE", raising=False)
    monkeypatch.setattr(caches, "trusted", lambda: True)
    folder = load_set("jax").puzzles[0].source
    set_dir = Path(folder).parent
    first = load_set_dir(set_dir)  # parsed, and kept
    entries = list((tmp_path / "cache" / "adgrader" / "specs").iterdir())
    assert len(entries) == 1
    entries[0].unlink()
    os.mkfifo(entries[0])
    assert load_set_dir(set_dir) == first  # parsed again, not blocked on the FIFO


# ---------------------------------------------------------------- budgets


def entries(folder: Path, sizes: dict[str, int]) -> None:
    """Files of these sizes, written in this order, a second apart."""
    for age, (name, size) in enumerate(reversed(sizes.items())):
        (folder / name).write_bytes(b"x" * size)
        os.utime(folder / name, (1_000_000 - age, 1_000_000 - age))


def test_a_folder_over_its_budget_loses_the_entries_least_recently_used(tmp_path: Path) -> None:
    entries(tmp_path, {"old": 400, "middle": 400, "new": 400})
    (tmp_path / "link").symlink_to(tmp_path / "new")
    (tmp_path / "sub").mkdir()
    assert caches.prune(tmp_path, 1000) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "middle", "new", "sub"]
    assert caches.prune(tmp_path, 1000) == 0  # within it now
    assert caches.prune(tmp_path, 0) == 2  # links and folders are never removed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link", "sub"]


def test_an_entry_read_back_counts_as_used(tmp_path: Path) -> None:
    entries(tmp_path, {"old": 400, "new": 400})
    assert caches.read(tmp_path / "old") is not None  # a hit: now the newest
    caches.prune(tmp_path, 500)
    assert [p.name for p in tmp_path.iterdir()] == ["old"]


def test_storing_keeps_the_folder_within_its_budget_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "results"
    folder.mkdir()
    entries(folder, {"a": 300, "b": 300})
    monkeypatch.setitem(caches.BUDGETS, "results", 500)
    caches._pruned_once.cache_clear()
    try:
        caches.store(folder / "c", b"y" * 200)
        assert sorted(p.name for p in folder.iterdir()) == ["b", "c"]
        caches.store(folder / "d", b"y" * 300)  # not looked at again in this process
        assert sorted(p.name for p in folder.iterdir()) == ["b", "c", "d"]
    finally:
        caches._pruned_once.cache_clear()


def test_two_graders_pruning_at_once_keep_the_budgets_worth(tmp_path: Path) -> None:
    """Entries the other grader removed first count as removed: before, each went on
    to newer entries and the two emptied the folder."""
    entries(tmp_path, {f"e{k:03d}": 1000 for k in range(200)})
    real_unlink = os.unlink
    first = sorted(tmp_path.iterdir(), key=lambda p: p.stat().st_mtime_ns)[:100]

    def unlink(name: str, *, dir_fd: int | None = None) -> None:
        for path in first:  # the other grader, a step ahead
            if path.exists():
                real_unlink(path)
        real_unlink(name, dir_fd=dir_fd)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(os, "unlink", unlink)
        caches.prune(tmp_path, 100_000)
    assert len(list(tmp_path.iterdir())) == 100


def test_an_entry_gone_during_the_scan_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries(tmp_path, {f"e{k:02d}": 1000 for k in range(50)})
    real_scandir = os.scandir

    def scandir(fd: int) -> Iterator[os.DirEntry[str]]:
        with real_scandir(fd) as found:
            for k, entry in enumerate(found):
                if k == 3:
                    os.unlink(entry.name, dir_fd=fd)  # another grader's prune
                yield entry

    monkeypatch.setattr(os, "scandir", lambda fd: contextlib.closing(scandir(fd)))
    caches.prune(tmp_path, 10_000)
    assert len(list(tmp_path.iterdir())) == 10


def test_a_linked_folder_is_not_followed_nor_a_future_time_kept_first(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    entries(victim, {"a": 1000, "b": 1000})
    (tmp_path / "results").symlink_to(victim)
    assert caches.prune(tmp_path / "results", 0) == 0
    assert sorted(p.name for p in victim.iterdir()) == ["a", "b"]
    os.utime(victim / "a", (4e9, 4e9))  # the year 2096: a clock skewed, or a copy
    (victim / "fresh").write_bytes(b"f" * 1000)
    caches.prune(victim, 2000)
    assert (victim / "fresh").exists()
