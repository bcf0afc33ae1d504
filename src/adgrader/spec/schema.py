"""The raw shapes of the YAML files, as msgspec validates them before anything else."""

from __future__ import annotations

from typing import Any

import msgspec

from .model import Form, Severity


class _RawRule(msgspec.Struct, forbid_unknown_fields=True):
    severity: Severity
    limit: int | None = None


class _RawEntry(msgspec.Struct, forbid_unknown_fields=True):
    id: str
    score: float = 1.0


class _RawSet(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str
    description: str = ""
    form: Form = "jac"
    bounds: tuple[float, float] = (-0.5, 0.5)
    puzzles: list[str | _RawEntry]
    rules: dict[str, Severity | bool | _RawRule] = {}  # YAML reads a bare `off` as false


class _RawPuzzle(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    id: str
    title: str
    statement: str
    dims: dict[str, int] = {}
    inputs: dict[str, list[str | int]]
    output: list[str | int]
    index: dict[str, list[str]] = {}
    givens: dict[str, str | int | float] = {}
    f: str
    index_form: str
    bounds: tuple[float, float] | dict[str, tuple[float, float]] | None = None
    probes: list[dict[str, Any]] = []
    aliases: list[str] = []
    class_name: str | None = None
    hints: list[str] = []
