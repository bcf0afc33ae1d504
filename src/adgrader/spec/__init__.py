"""Puzzle specs: the model, its YAML schema, loading (with the spec cache) and validation.

Nothing here imports jax; `validate` and `scope` do, lazily, when they run.
"""

from __future__ import annotations

from .load import (
    available_sets,
    builtin_dir,
    find_set_dirs,
    load_set,
    load_set_dir,
    puzzles_dir,
    set_dirs,
)
from .model import (
    ANSWER_FORMS,
    DEFAULT_SET,
    FORMS,
    INPUT_NAMES,
    REBUILD_LIMIT,
    RULE_NAMES,
    AnswerForm,
    Form,
    Input,
    Puzzle,
    PuzzleSet,
    Rule,
    RuleName,
    Severity,
    form_order,
    shape_text,
)

__all__ = [
    "ANSWER_FORMS",
    "DEFAULT_SET",
    "FORMS",
    "INPUT_NAMES",
    "REBUILD_LIMIT",
    "RULE_NAMES",
    "AnswerForm",
    "Form",
    "Input",
    "Puzzle",
    "PuzzleSet",
    "Rule",
    "RuleName",
    "Severity",
    "available_sets",
    "builtin_dir",
    "find_set_dirs",
    "form_order",
    "load_set",
    "load_set_dir",
    "puzzles_dir",
    "set_dirs",
    "shape_text",
]
