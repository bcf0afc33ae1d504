"""The Autodiff Puzzles as a verifiers-style environment, with adgrader as the reward.

Each task is one puzzle of a set; the model's reply is graded the way adgrader grades
a learner's file: the first ```python block that defines the answer (`jac`,
`jac_<id>`, ...) runs in a jailed answer process, its Jacobian is compared, shape
first, with `jax.jacfwd` at seeded sample points, and the rules are enforced (no
autodiff, no array literals). Reward: 1.0 for `passed`, else 0.0. For several turns,
adgrader's feedback (what is wrong and where, never the expected values) is the
next user message.

Only `load_environment` needs `verifiers` and `datasets`; the rest needs adgrader.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Sequence
from typing import Any

import adgrader
from adgrader.spec import Puzzle

SET = "jax"
SEED = 0  # fixed, so a verdict can be reproduced; vary it per epoch if you like
JOBS = 2  # answer processes graded at once
RETRY = "Fix the answer and reply with the whole function again in a ```python block."

_grader: Any = None
_lock = threading.Lock()


def grader() -> Any:
    """One warm grader for the whole run (answer processes stay up), closed at exit."""
    global _grader
    with _lock:
        if _grader is None:
            started = adgrader.Grader(set=SET, jobs=JOBS)  # type: ignore[attr-defined]
            started.__enter__()
            atexit.register(started.__exit__, None, None, None)
            _grader = started
    return _grader


def reply_text(completion: str | Sequence[dict[str, Any]]) -> str:
    """The model's last reply: a plain completion, or the last assistant message."""
    if isinstance(completion, str):
        return completion
    for message in reversed(completion):
        if message.get("role") == "assistant":
            content = message.get("content") or ""
            if isinstance(content, list):  # content given as parts
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content)
    return ""


def reward(prompt: Any, completion: Any, answer: str, state: dict[str, Any]) -> float:
    """The rubric function: grade the reply's answer to puzzle `answer` (its id)."""
    result = grader().grade(reply_text(completion), puzzle=answer, seed=SEED)
    state["adgrader"] = {
        "status": result.status,
        "feedback": result.feedback,
        "message": result.message,
        "diagnosis": result.diagnosis,
    }
    return float(result.reward)


def feedback_turn(messages: Any, answer: str, state: dict[str, Any]) -> list[dict[str, str]]:
    """For several turns: grade the last reply; [] once it passes, else the feedback
    as the next user message."""
    result = grader().grade(reply_text(messages), puzzle=answer, seed=SEED)
    state["adgrader_passed"] = result.status == "passed"
    if result.status == "passed":
        return []
    return [{"role": "user", "content": f"{result.feedback}\n{RETRY}"}]


def score_replies(path: str) -> dict[Any, float]:
    """Rewards for recorded replies (a `replies.jsonl`), graded `JOBS` at a time:
    {id: reward}. A line that cannot be read gets no reward."""
    from adgrader.jsonl import Reply, Sets, read_replies

    items = list(read_replies(path, Sets(SET)))
    rewards: dict[Any, float] = {i.id: 0.0 for i in items if i.id is not None}
    replies = [i for i in items if isinstance(i, Reply)]
    for result in grader().grade_many(replies):
        rewards[result.id] = float(result.reward)
    return rewards


def prompt(puzzle: Puzzle) -> str:
    """The task for one puzzle: its statement, shapes, givens and the rules."""
    args = ", ".join(puzzle.arg_names)
    shapes = "; ".join(f"{i.name} has shape {_dims(i.dims)} = {i.shape}" for i in puzzle.inputs)
    jacobians = "; ".join(
        f"d/d{i.name} has shape {_dims(puzzle.jac_dims(i.name))}" for i in puzzle.inputs
    )
    givens = "\n".join(f"{name} = {value}" for name, value in puzzle.givens.items())
    returns = "the Jacobian" if len(puzzle.inputs) == 1 else "the pair of Jacobians"
    return (
        f"# {puzzle.title}\n\n{puzzle.statement.strip()}\n\n"
        f"In code (`np` is `jax.numpy`): `f({args}) = {puzzle.f}`\n"
        f"Shapes: {shapes}; f's output has shape {_dims(puzzle.output_dims)}.\n"
        f"Givens you may use:\n```python\n{givens}\n```\n"
        f"Write `def jac({args})` returning {returns} ({jacobians}), "
        "built from the givens with basic operators: no autodiff "
        "(jax.grad, jacfwd, jacrev, ...) and no np.array of entries. One line "
        "of at most 80 columns is the spirit. Reason first, then give the function "
        "in a ```python block."
    )


def _dims(dims: Sequence[str | int]) -> str:
    inner = ", ".join(str(d) for d in dims)
    return f"({inner},)" if len(dims) == 1 else f"({inner})"


def load_environment(puzzles: Sequence[str] = (), max_turns: int = 1, **kwargs: Any) -> Any:
    """The environment: one task per puzzle of the set, answer = the puzzle's id.

    With `max_turns` > 1 the model sees adgrader's feedback after each failed try.
    verifiers' multi-turn hooks have changed between releases: adapt the two methods
    of `Retry` to the one you use.
    """
    import verifiers as vf
    from datasets import Dataset

    pset = adgrader.load_set(SET)
    rows = [
        {"prompt": [{"role": "user", "content": prompt(p)}], "answer": p.id}
        for p in pset.select(list(puzzles))
    ]
    rubric = vf.Rubric(funcs=[reward], weights=[1.0])
    dataset = Dataset.from_list(rows)
    if max_turns <= 1:
        return vf.SingleTurnEnv(dataset=dataset, rubric=rubric, **kwargs)

    class Retry(vf.MultiTurnEnv):  # type: ignore[misc]
        async def env_response(self, messages: Any, state: Any, **kw: Any) -> Any:
            return feedback_turn(messages, state["answer"], state)

        async def is_completed(self, messages: Any, state: Any, **kw: Any) -> bool:
            return bool(state.get("adgrader_passed")) or await super().is_completed(
                messages, state, **kw
            )

    return Retry(dataset=dataset, rubric=rubric, max_turns=max_turns, **kwargs)
