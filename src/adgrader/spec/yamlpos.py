"""YAML documents that remember where each value stood, so problems can name the line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

from .schema import Where

try:
    _Loader: Any = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader


@dataclass
class LocatedDocument:
    """The plain data of a YAML file together with its node tree."""

    data: Any
    root: yaml.Node | None

    def node_at(self, where: Where) -> yaml.Node | None:
        """The deepest node along `where` that the document has."""
        node = self.root
        for step in where:
            child = _child(node, step)
            if child is None:
                break
            node = child
        return node

    def has(self, where: Where) -> bool:
        """Whether the document has a value at `where`."""
        node = self.root
        for step in where:
            node = _child(node, step)
            if node is None:
                return False
        return True

    def line_of(self, where: Where) -> int | None:
        """The line of the value at `where`, or of the deepest part of it the file has."""
        node = self.node_at(where)
        return node.start_mark.line + 1 if node is not None else None


def _child(node: yaml.Node | None, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == step or (isinstance(step, int) and key.value == str(step)):
                return value  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None


def parse_located(text: str) -> LocatedDocument:
    """Parse one YAML document (safe loader), keeping the node tree for line lookups."""
    root = yaml.compose(text, Loader=_Loader)
    if root is None:
        return LocatedDocument(None, None)
    data = yaml.constructor.SafeConstructor().construct_document(root)
    return LocatedDocument(data, root)
