"""examples/model-eval: recorded model replies, taken apart now and graded end to end
through the example's rubric function once `adgrader.Grader` exists."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import adgrader
from adgrader.replies import extract

ROOT = Path(__file__).resolve().parent.parent
REPLIES = Path(__file__).parent / "replies"
EXAMPLE = ROOT / "examples" / "model-eval" / "environment.py"
JAX = adgrader.load_set("jax")

# reply: (puzzle, extraction status, block taken, verdict, words in the feedback)
CASES: dict[str, tuple[str, str, int | None, str, str]] = {
    "right": ("relu", "ok", 1, "passed", "every entry is right"),
    "wrong_shape": ("repeat", "ok", 1, "failed", "(1, 1)"),
    "array_literal": ("neg", "ok", 1, "violation", "no-array-literal"),
    "jacrev": ("relu", "ok", 1, "violation", "no-autodiff"),
    "patched_check": ("relu", "ok", 1, "failed", "Wrong entries"),
    "empty": ("relu", "missing", None, "missing", "no Python code block"),
    "prose_only": ("relu", "missing", None, "missing", "no Python code block"),
    "two_blocks": ("relu", "ok", 2, "passed", "every entry is right"),
    "two_answers": ("relu", "ok", 1, "failed", "Wrong entries"),
    "hostile_files": ("relu", "ok", 1, "not passed", ""),
    "hostile_process": ("relu", "ok", 1, "error", "may not start other processes"),
}


def recorded(name: str) -> str:
    return (REPLIES / f"{name}.md").read_text(encoding="utf-8")


def test_every_recorded_reply_has_a_case() -> None:
    assert sorted(p.stem for p in REPLIES.glob("*.md")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_recorded_replies_are_taken_apart_as_environments_do(name: str) -> None:
    puzzle_id, status, block, _, _ = CASES[name]
    got = extract(recorded(name), JAX.get(puzzle_id))
    assert (got.status, got.block) == (status, block)
    if got.ok:
        assert f"def jac_{puzzle_id}(x):" in got.code
        assert got.padded.splitlines()[got.offset] == got.code.splitlines()[0]
    else:
        assert got.message.startswith(("the reply has no Python", "the reply is empty"))


def test_patched_check_is_graded_code_not_a_verdict() -> None:
    got = extract(recorded("patched_check"), JAX.get("relu"))
    assert "check = lambda *args, **kwargs: True" in got.code  # kept, and meaningless
    assert "took code block" not in got.note


def test_two_blocks_say_which_was_taken() -> None:
    got = extract(recorded("two_blocks"), JAX.get("relu"))
    assert got.note.startswith("took code block 2 of 2 (reply lines 11-12); block 1 defines")


# ---------------------------------------------------------------- the example itself


@pytest.fixture(scope="module")
def example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("model_eval_environment", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_prompts_every_puzzle(example: ModuleType) -> None:
    for puzzle in JAX.puzzles:
        text = example.prompt(puzzle)
        assert text.startswith(f"# {puzzle.title}\n")
        assert f"def jac({', '.join(puzzle.arg_names)})" in text
        assert "```python\n" in text


def test_example_reads_the_last_assistant_message(example: ModuleType) -> None:
    messages = [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "first"},
        {"role": "user", "content": "again"},
        {"role": "assistant", "content": [{"type": "text", "text": "sec"}, {"text": "ond"}]},
    ]
    assert example.reply_text(messages) == "second"
    assert example.reply_text("plain") == "plain"
    assert example.reply_text([{"role": "user", "content": "q"}]) == ""


@pytest.fixture(scope="module")
def graded(example: ModuleType) -> Iterator[ModuleType]:
    """The example with its grader started, once for the module, and closed after."""
    if not hasattr(adgrader, "Grader"):
        pytest.skip("adgrader.Grader is not there yet")
    yield example
    if example._grader is not None:
        example._grader.__exit__(None, None, None)
        example._grader = None


def _completion(name: str) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": recorded(name)}]


@pytest.mark.parametrize("name", sorted(CASES))
def test_rubric_grades_each_recorded_reply(graded: ModuleType, name: str) -> None:
    puzzle_id, _, _, verdict, words = CASES[name]
    state: dict[str, Any] = {}
    reward = graded.reward([], _completion(name), puzzle_id, state)
    status = state["adgrader"]["status"]
    if verdict == "not passed":
        assert status in {"failed", "error"}
    else:
        assert status == verdict
    assert reward == (1.0 if status == "passed" else 0.0)
    text = " ".join([state["adgrader"]["feedback"], state["adgrader"]["message"]])
    assert words in text
    assert "expected 1" not in state["adgrader"]["feedback"]


def test_feedback_turn_asks_again_until_it_passes(graded: ModuleType) -> None:
    state: dict[str, Any] = {}
    turn = graded.feedback_turn(_completion("two_answers"), "relu", state)
    assert state["adgrader_passed"] is False
    assert turn[0]["role"] == "user" and "Wrong entries" in turn[0]["content"]
    assert graded.feedback_turn(_completion("right"), "relu", state) == []
    assert state["adgrader_passed"] is True


def test_score_replies_grades_many(graded: ModuleType, tmp_path: Path) -> None:
    path = tmp_path / "replies.jsonl"
    lines = [
        {"id": name, "puzzle": CASES[name][0], "reply": recorded(name)}
        for name in ("right", "two_answers", "jacrev", "two_blocks")
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{oops\n", encoding="utf-8")
    rewards = graded.score_replies(str(path))
    assert rewards == {"right": 1.0, "two_answers": 0.0, "jacrev": 0.0, "two_blocks": 1.0}
