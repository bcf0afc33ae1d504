"""An answer process's folder is removed whatever it left there: deep chains of folders,
links to files outside, folders without permissions, all without following a link."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from adgrader.answers.folders import job_folder, remove_tree


def deep_chain(root: Path, depth: int) -> None:
    """`depth` nested folders under `root`, made through descriptors (no path limit)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(os.open("bottom.txt", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
    os.close(fd)


def test_a_chain_deeper_than_the_recursion_limit_is_removed(tmp_path: Path) -> None:
    root = tmp_path / "job"
    root.mkdir()
    depth = sys.getrecursionlimit() + 100
    deep_chain(root, depth)
    with pytest.raises(RecursionError):  # what the grading used to do
        shutil.rmtree(root)
    assert remove_tree(root)
    assert not root.exists()


def test_links_are_removed_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    root = tmp_path / "job"
    (root / "sub").mkdir(parents=True)
    (root / "to-folder").symlink_to(outside)
    (root / "sub" / "to-file").symlink_to(outside / "keep.txt")
    os.link(outside / "keep.txt", root / "hard-link")
    os.mkfifo(root / "fifo")
    assert remove_tree(root)
    assert not root.exists()
    assert (outside / "keep.txt").read_text() == "mine"


def test_folders_without_permissions_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "job"
    root.mkdir()
    for name, mode in (("unreadable", 0o300), ("unwritable", 0o500), ("closed", 0o000)):
        (root / name).mkdir()
        (root / name / "inner").mkdir()
        (root / name / "inner" / "file.txt").write_text("x")
        (root / name).chmod(mode)
    assert remove_tree(root)
    assert not root.exists()


def test_a_missing_folder_is_already_gone(tmp_path: Path) -> None:
    assert remove_tree(tmp_path / "never-made")


def test_job_folder_is_private_and_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    with job_folder() as folder:
        assert folder.parent == tmp_path
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        deep_chain(folder, 50)
    assert list(tmp_path.iterdir()) == []
