"""`write_atomically`: the whole new contents or the old ones, never a part, nothing left over."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adgrader import caches
from adgrader.files import write_atomically


def test_writes_bytes_and_text_and_replaces_what_was_there(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    write_atomically(target, b"first\n")
    assert target.read_bytes() == b"first\n"
    write_atomically(target, "second: \u2713\n")
    assert target.read_text(encoding="utf-8") == "second: \u2713\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_the_umask_applies_as_for_any_new_file(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "a", "x")
    finally:
        os.umask(old)
    assert (tmp_path / "a").stat().st_mode & 0o777 == 0o644


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "grades.csv"
    target.write_text("old\n", encoding="utf-8")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError):
        write_atomically(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["grades.csv"]


def test_a_missing_folder_is_the_callers_to_handle(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "nowhere" / "file", b"x")


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_bytes(b"")
    caches.store(blocker / "sub" / "entry", b"data")  # a file stands where a folder must
    caches.store(tmp_path / "made" / "entry", b"data")
    assert (tmp_path / "made" / "entry").read_bytes() == b"data"
