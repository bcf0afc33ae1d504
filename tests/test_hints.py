"""Hints (hints.py): one more each time, counted per set and puzzle in the
submission's folder, reset on request, and a damaged count file is started over."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from msgspec.structs import replace

from adgrader import hints
from adgrader.errors import UsageError
from adgrader.spec import load_set

JAX = load_set("jax")
RELU = replace(JAX.get("relu"), hints=("first", "second", "third"))
COS = replace(JAX.get("cos"), hints=("only",))


def counts(folder: Path) -> dict[str, int]:
    return json.loads(hints.state_path(folder).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_each_call_shows_one_more_hint_up_to_the_last(tmp_path: Path) -> None:
    assert hints.state_path(tmp_path) == tmp_path / ".adgrader-hints.json"
    assert hints.reveal(RELU, "jax", tmp_path) == (["first"], 3)
    assert counts(tmp_path) == {"jax/relu": 1}
    assert hints.reveal(RELU, "jax", tmp_path) == (["first", "second"], 3)
    assert hints.reveal(RELU, "jax", tmp_path) == (["first", "second", "third"], 3)
    assert hints.reveal(RELU, "jax", tmp_path) == (["first", "second", "third"], 3)
    assert counts(tmp_path) == {"jax/relu": 3}


def test_counts_are_kept_per_set_and_puzzle(tmp_path: Path) -> None:
    hints.reveal(RELU, "jax", tmp_path)
    hints.reveal(RELU, "jax", tmp_path)
    assert hints.reveal(RELU, "classic", tmp_path) == (["first"], 3)
    assert hints.reveal(COS, "jax", tmp_path) == (["only"], 1)
    assert counts(tmp_path) == {"jax/relu": 2, "classic/relu": 1, "jax/cos": 1}


def test_reset_forgets_one_puzzle_only(tmp_path: Path) -> None:
    hints.reveal(RELU, "jax", tmp_path)
    hints.reveal(RELU, "jax", tmp_path)
    hints.reveal(COS, "jax", tmp_path)
    hints.reset(RELU, "jax", tmp_path)
    assert counts(tmp_path) == {"jax/cos": 1}
    assert hints.reveal(RELU, "jax", tmp_path) == (["first"], 3)


def test_reset_of_a_puzzle_never_shown_writes_nothing(tmp_path: Path) -> None:
    hints.reset(RELU, "jax", tmp_path)
    assert not hints.state_path(tmp_path).exists()


def test_a_puzzle_without_hints_writes_nothing(tmp_path: Path) -> None:
    assert hints.reveal(replace(RELU, hints=()), "jax", tmp_path) == ([], 0)
    assert not hints.state_path(tmp_path).exists()


@pytest.mark.parametrize(
    "damaged",
    ["{not json", "[1, 2]", '"jax/relu"', "", '{"jax/relu": "two"}', "\xff\xfe"],
    ids=["not-json", "a-list", "a-string", "empty", "not-a-count", "not-utf8"],
)
def test_a_damaged_count_file_starts_over(tmp_path: Path, damaged: str) -> None:
    hints.state_path(tmp_path).write_bytes(damaged.encode("latin-1"))
    assert hints.reveal(RELU, "jax", tmp_path) == (["first"], 3)
    assert counts(tmp_path) == {"jax/relu": 1}


def test_other_entries_of_a_partly_damaged_file_are_kept(tmp_path: Path) -> None:
    hints.state_path(tmp_path).write_text('{"jax/cos": 1, "jax/relu": "x", "jax/id": 2}')
    hints.reveal(RELU, "jax", tmp_path)
    assert counts(tmp_path) == {"jax/cos": 1, "jax/id": 2, "jax/relu": 1}


def test_a_count_that_cannot_be_saved_is_a_usage_error(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "folder"
    with pytest.raises(UsageError, match=r"cannot save which hints were shown in '.*folder"):
        hints.reveal(RELU, "jax", missing)
