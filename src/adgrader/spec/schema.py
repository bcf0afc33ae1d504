"""The raw shapes of the YAML files, as msgspec validates them before anything else, and
every place where a file does not fit them, found in one pass."""

from __future__ import annotations

import difflib
import re
import types
import typing
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


# ---------------------------------------------------------------- every problem at once

Where = tuple[str | int, ...]  # mapping keys and list indexes, from the top of a document

_AT = re.compile(r" - at (`key` in )?`(\$[^`]*)`$")
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")


def json_path(text: str) -> Where:
    """msgspec's path of a value (`$.inputs.x[1]`) as keys and indexes; a `[...]` (a
    mapping entry msgspec does not name) ends it."""
    steps: list[str | int] = []
    for name, index in _STEP.findall(text.removeprefix("$")):
        if name:
            steps.append(name)
        elif index == "...":
            break
        else:
            steps.append(int(index))
    return tuple(steps)


def problems_in(data: Any, kind: Any, where: Where = ()) -> list[tuple[Where, str]]:
    """Every place where `data` does not fit `kind`, each as (where, message).

    msgspec stops at the first mismatch, so this descends through the objects,
    mappings and lists that the data and the type share and reports each wrong part
    where it is: an unknown or missing field by its own check, a wrong value with the
    path msgspec gives for it.
    """
    try:
        msgspec.convert(data, kind)
        return []
    except msgspec.ValidationError as exc:
        first = _leaf(exc, where)
    for option in _options(kind):
        found = _descend(data, option, where)
        if found is not None:
            return found or [first]
    return [first]


def _leaf(exc: msgspec.ValidationError, where: Where) -> tuple[Where, str]:
    text = str(exc)
    match = _AT.search(text)
    if match is not None:
        where = (*where, *json_path(match.group(2)))
        text = text[: match.start()]
    return where, f"{text} (at {_dotted(where)})" if where else text


def _options(kind: Any) -> tuple[Any, ...]:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        return typing.get_args(kind)
    return (kind,)


def _descend(data: Any, kind: Any, where: Where) -> list[tuple[Where, str]] | None:
    """The problems inside `data` read as `kind`, or None when `kind` has no parts to
    look into (a number, a string) or is not the kind of container `data` is."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if isinstance(data, dict) and isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return _fields(data, kind, where)
    if isinstance(data, dict) and origin is dict:
        found: list[tuple[Where, str]] = []
        for key, value in data.items():
            place = (*where, key)
            try:
                msgspec.convert(key, args[0])
            except msgspec.ValidationError:
                found.append((place, f"{key!r} is not a name (at {_dotted(place)})"))
                continue
            found += problems_in(value, args[1], place)
        return found
    if isinstance(data, list) and origin is list:
        return [p for k, item in enumerate(data) for p in problems_in(item, args[0], (*where, k))]
    if isinstance(data, list) and origin is tuple and len(args) == len(data) != 0:
        return [p for k, item in enumerate(data) for p in problems_in(item, args[k], (*where, k))]
    return None


def _fields(
    data: dict[Any, Any], kind: type[msgspec.Struct], where: Where
) -> list[tuple[Where, str]]:
    fields = {f.encode_name: f for f in msgspec.structs.fields(kind)}
    found: list[tuple[Where, str]] = []
    missing = [name for name, f in fields.items() if f.required and name not in data]
    inside = f" (at {_dotted(where)})" if where else ""
    for key in data:
        if key in fields:
            found += problems_in(data[key], fields[key].type, (*where, key))
            continue
        close = difflib.get_close_matches(str(key), [n for n in fields if n not in data], 1, 0.7)
        if close and close[0] in missing:
            missing.remove(close[0])  # one problem for one misspelt field
        hint = f"; did you mean `{close[0]}`?" if close else ""
        found.append(((*where, key), f"unknown field `{key}`{inside}{hint}"))
    found += [(where, f"missing required field `{name}`{inside}") for name in missing]
    return found


def _dotted(where: Where) -> str:
    return ".".join(str(step) for step in where)
