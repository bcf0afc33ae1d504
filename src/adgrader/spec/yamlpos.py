"""YAML documents that remember where each value stood, so errors can name the line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

_PATH = re.compile(r" - at `(\$[^`]*)`$")
_KEY_IN = re.compile(r" - at `key` in `(\$[^`]*)`$")
_STEP = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+|\.\.\.)\]")


@dataclass
class LocatedDocument:
    """The plain data of a YAML file together with its node tree."""

    data: Any
    root: yaml.Node | None

    def node_at(self, path: tuple[str | int, ...]) -> yaml.Node | None:
        """The deepest node along `path` (mapping keys and sequence indexes)."""
        node = self.root
        for step in path:
            child = _child(node, step)
            if child is None:
                break
            node = child
        return node

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        node = self.node_at(path)
        return node.start_mark.line + 1 if node is not None else None

    def locate_error(self, message: str) -> tuple[str, int | None]:
        """Turn a msgspec validation message into (readable message, line)."""
        text, path = message, cast("tuple[str | int, ...]", ())
        m = _KEY_IN.search(message) or _PATH.search(message)
        if m:
            text, path = message[: m.start()], _parse_path(m.group(1))
            if "[...]" in m.group(1):
                path = self._guess_entry(path, text)
        unknown = re.search(r"unknown field `([^`]+)`", text)
        if unknown:
            path = (*path, unknown.group(1))
        text = text.replace("Object missing required field", "missing required field")
        text = text.replace("Object contains unknown field", "unknown field")
        where = ".".join(str(step) for step in path)
        return (f"{text} (at {where})" if where else text), self.line_of(path)

    def _guess_entry(self, path: tuple[str | int, ...], text: str) -> tuple[str | int, ...]:
        """msgspec hides which mapping entry failed (`[...]`); find one of the wrong type."""
        got = re.search(r"got `(\w+)`", text)
        container = self.data
        for step in path:
            try:
                container = container[step]
            except (KeyError, IndexError, TypeError):
                return path
        if got and isinstance(container, dict):
            names = {
                "str": str,
                "int": int,
                "float": float,
                "bool": bool,
                "array": list,
                "object": dict,
                "null": type(None),
            }
            kind = names.get(got.group(1))
            for key, value in container.items():
                if kind is not None and type(value) is kind:
                    return (*path, key)
        return path


def _parse_path(text: str) -> tuple[str | int, ...]:
    steps: list[str | int] = []
    for name, index in _STEP.findall(text[1:]):
        if name:
            steps.append(name)
        elif index != "...":
            steps.append(int(index))
        else:
            break
    return tuple(steps)


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == step or (isinstance(step, int) and key.value == str(step)):
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def load_located(path: Path) -> LocatedDocument:
    """Parse one YAML file (safe loader), keeping the node tree for line lookups."""
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=_Loader)
    if root is None:
        return LocatedDocument(None, None)
    data = yaml.constructor.SafeConstructor().construct_document(root)
    return LocatedDocument(data, root)
