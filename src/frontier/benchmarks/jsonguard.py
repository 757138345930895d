"""What one decoded task line may hold, checked before it becomes a task.

A task record ends up in a database column, a prompt and a content hash. The stdlib
JSON decoder accepts things none of those can take: NaN and Infinity (PostgreSQL's
json type refuses them, so one such line aborted a whole run there), numbers that
overflow to infinity (1e999), NUL characters (PostgreSQL text cannot hold them),
lone surrogates (not encodable as UTF-8), a key given twice (the last silently won)
and nesting deep enough to overflow the decoder's recursion. Each is refused here as
one message naming the field, so the reader turns it into one LoadError at its line.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 100
"""Deepest nesting of arrays and objects in one record (the manifest reader's limit too)."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class RecordRefused(ValueError):
    """A decoded record holds something no task may hold; the message names the field."""


class _NonFinite:
    """Stands in for NaN, Infinity or an overflowing number until the field is known."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class _Duplicate(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _float(text: str) -> Any:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return out


DECODER = json.JSONDecoder(
    strict=False,  # raw control characters inside strings occur in public task files
    parse_float=_float,
    parse_constant=_NonFinite,
    object_pairs_hook=_object,
)


def too_deep(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether the JSON text nests arrays and objects deeper than `limit`.

    Checked before decoding, because the decoder recurses once per level. Most lines
    have fewer brackets than the limit and are answered by two counts.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub('""', text)):
        depth += 1 if match.group() in "[{" else -1
        if depth > limit:
            return True
    return False


def decode(text: str) -> Any:
    """Decode one line; RecordRefused says what is wrong, JSONDecodeError where.

    The value may still hold what `check` refuses (that needs the field's path).
    """
    if too_deep(text):
        raise RecordRefused(f"nested deeper than {MAX_DEPTH} levels")
    try:
        value = DECODER.decode(text)
    except _Duplicate as exc:
        raise RecordRefused(
            f"duplicate key {exc.key[:80]!r} (the last value would silently win)"
        ) from None
    except RecursionError:  # a guard should too_deep ever miss a case
        raise RecordRefused(f"nested deeper than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise RecordRefused(f"invalid number: {str(exc).split(':')[0]}") from None
    return value


def _field(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    shown = key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_\-]{0,79}", key) else repr(key[:40])
    return f"{path}.{shown}" if path else shown


def _check_text(text: str, field: str, what: str) -> None:
    where = f"{field}: " if field else ""
    if "\x00" in text:
        raise RecordRefused(
            f"{where}{what}contains a NUL character (U+0000), which PostgreSQL cannot store"
        )
    found = _SURROGATE.search(text)
    if found:
        raise RecordRefused(
            f"{where}{what}contains a lone surrogate (U+{ord(found.group()):04X}), "
            "which is not UTF-8 text"
        )


def check(value: Any, path: str = "") -> None:
    """Refuse NUL, lone surrogates and non-finite numbers anywhere in a decoded record."""
    if isinstance(value, _NonFinite):
        raise RecordRefused(
            f"{path or 'the record'}: {value.text[:40]} is not a finite number "
            "(NaN, Infinity and numbers beyond the float range cannot be stored)"
        )
    if isinstance(value, str):
        _check_text(value, path, "")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path, f"the key {key[:40]!r} ")
            check(item, _field(path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check(item, _field(path, i))
