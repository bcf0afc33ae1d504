"""The spec cache: keyed by every YAML file's bytes, so an edit is seen at once, in this
process and the next, and an unchanged set loads without parsing YAML."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import adgrader
from adgrader.errors import SpecError
from adgrader.spec import load_set_dir

VALID = Path(__file__).parent / "validate" / "valid"


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of a valid one-puzzle set (`f: -x`), with a cache folder of its own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ADGRADER_NO_CACHE", raising=False)
    target = tmp_path / "valid"
    shutil.copytree(VALID, target)
    return target


def entries(folder: Path) -> list[Path]:
    return sorted((folder.parent / "cache" / "adgrader" / "specs").glob("*.msgpack"))


def edit_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Change the file's text but not its size or modification time, as a restored backup
    (`cp -p`) or a quick edit within the file system's time resolution may."""
    assert len(old) == len(new)
    before = path.stat()
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)


def test_an_edit_is_seen_by_the_same_process(folder: Path) -> None:
    assert load_set_dir(folder).get("neg").f == "-x"
    assert len(entries(folder)) == 1
    edit_keeping_size_and_time(folder / "neg.yaml", "f: -x", "f: +x")
    assert load_set_dir(folder).get("neg").f == "+x"
    assert len(entries(folder)) == 2  # the new contents are kept beside the old


def test_an_edit_is_seen_by_the_next_process(folder: Path) -> None:
    assert load_set_dir(folder).get("neg").f == "-x"
    edit_keeping_size_and_time(folder / "neg.yaml", "f: -x", "f: +x")
    package_parent = str(Path(adgrader.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": package_parent}
    code = (
        "import sys; from pathlib import Path; from adgrader.spec import load_set_dir; "
        "print(load_set_dir(Path(sys.argv[1])).get('neg').f)"
    )
    ran = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ran.stdout.strip() == "+x"


def test_an_unchanged_set_is_not_parsed_again(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_set_dir(folder)

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the YAML parser was called")

    monkeypatch.setattr(yaml, "compose", no_parsing)
    assert load_set_dir(folder) == first
    edit_keeping_size_and_time(folder / "neg.yaml", "f: -x", "f: +x")
    with pytest.raises(AssertionError, match="parser was called"):
        load_set_dir(folder)


def test_added_and_removed_files_are_seen(folder: Path) -> None:
    load_set_dir(folder)
    extra = folder / "extra.yaml"
    shutil.copy(folder / "neg.yaml", extra)
    with pytest.raises(SpecError, match=r"extra\.yaml is not listed"):
        load_set_dir(folder)
    extra.unlink()
    assert load_set_dir(folder).get("neg").f == "-x"


def test_an_entry_that_does_not_fit_is_ignored_and_replaced(folder: Path) -> None:
    expected = load_set_dir(folder)
    (entry,) = entries(folder)
    for damaged in (b"", b"\x93\x01\x02", entry.read_bytes()[:-5]):
        entry.write_bytes(damaged)
        assert load_set_dir(folder) == expected
        assert entry.read_bytes() != damaged


def test_an_entry_of_other_files_is_not_served(folder: Path, tmp_path: Path) -> None:
    """An entry is checked against its key, not only found by it: one written for other
    contents, under this set's name, is not taken for this set."""
    load_set_dir(folder)
    (entry,) = entries(folder)
    good = entry.read_bytes()
    edit_keeping_size_and_time(folder / "neg.yaml", "f: -x", "f: +x")
    load_set_dir(folder)
    (other,) = [e for e in entries(folder) if e != entry]
    other.write_bytes(good)  # the `-x` entry, where the `+x` contents' entry belongs
    assert load_set_dir(folder).get("neg").f == "+x"


def test_an_invalid_set_is_never_kept(folder: Path) -> None:
    (folder / "neg.yaml").write_text("id: neg\n", encoding="utf-8")
    with pytest.raises(SpecError):
        load_set_dir(folder)
    assert entries(folder) == []


def test_a_batch_reads_each_set_once(folder: Path) -> None:
    """Within `read_once` (a batch) the set is served as first read, edit or not; after
    it, the edit is seen."""
    from adgrader.spec.load import read_once

    with read_once():
        assert load_set_dir(folder).get("neg").f == "-x"
        edit_keeping_size_and_time(folder / "neg.yaml", "f: -x", "f: +x")
        assert load_set_dir(folder).get("neg").f == "-x"
    assert load_set_dir(folder).get("neg").f == "+x"
