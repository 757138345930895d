"""Reading a manifest file as YAML, bounded the way the Kubernetes API server bounds an object.

Why not plain `yaml.safe_load_all`: it builds a "billion laughs" document (a few lines of
nested aliases) into a structure that validates as billions of values, silently takes the
last of two equal keys, and recurses until Python's stack gives out. A manifest is checked
for size, encoding, depth, duplicate keys and alias expansion before anything is built
from it, and each refusal is one line naming the file (and the line where there is one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node

MAX_BYTES = 1_572_864
"""1.5 MiB: the API server's default limit on one object's request."""
MAX_DEPTH = 100
"""Nesting of collections; a Frontier needs fewer than ten."""
MAX_VALUES = 100_000
"""Values after alias expansion (what validation walks); a Frontier has a few hundred."""


class ManifestError(ValueError):
    """The manifest file could not be read as one Frontier."""


class _TooDeep(yaml.YAMLError):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__()
        self.problem = f"nested deeper than {MAX_DEPTH} levels"
        self.problem_mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and nesting deeper than MAX_DEPTH."""

    depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader refuses it itself
                continue
            if duplicate:
                raise ConstructorError(
                    None, None, f"duplicate key {_short(key)}", key_node.start_mark
                )
        return super().construct_mapping(node, deep)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def _values(documents: list[Any]) -> int:
    """How many values a walk of the documents visits, counting a shared (aliased) value
    each time it is reached; stops counting past MAX_VALUES."""
    count, stack = 0, list(documents)
    while stack and count <= MAX_VALUES:
        value = stack.pop()
        count += 1
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return count


def load_documents(path: Path) -> list[Any]:
    """The non-empty YAML documents of `path`, or a ManifestError that says why not."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror}") from None
    if len(raw) > MAX_BYTES:
        raise ManifestError(
            f"{path}: {len(raw):,} bytes; a manifest may hold at most {MAX_BYTES:,} "
            "(1.5 MiB, the API server's limit on one object)"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError(
            f"{path}:{line}: not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        ) from None
    try:
        documents = [d for d in yaml.load_all(text, Loader=_BoundedLoader) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ManifestError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    except RecursionError:
        raise ManifestError(f"{path}: nested too deeply to read") from None
    if _values(documents) > MAX_VALUES:
        raise ManifestError(
            f"{path}: expands to more than {MAX_VALUES:,} values (YAML aliases repeat "
            "what they name); write the values out, or use fewer aliases"
        )
    return documents
