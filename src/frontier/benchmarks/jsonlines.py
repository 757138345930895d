"""Reading JSON Lines task files with errors that name the file and the line.

Shared by every benchmark here. Public task files are not always clean: some
ShoppingBench web records contain raw control characters, and a few were split
by a stray line break inside a string (a U+0085 turned into a newline). We read
records leniently (control characters allowed inside strings), re-join a record
whose string was broken across lines, and report anything still unreadable as a
LoadError at the line where the record starts. Each line is decoded on its own, so
a byte that is not UTF-8 costs that line, not the file; what no task may hold (see
jsonguard) is one LoadError too.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from frontier.benchmarks.jsonguard import RecordRefused, check, decode
from frontier.domain.tasks import LoadError

MAX_JOINED_LINES = 20


class TaskFileError(ValueError):
    """A task file could not be read in `fail` mode; the message names file:line."""

    def __init__(self, error: LoadError) -> None:
        super().__init__(str(error))
        self.error = error


def _decode_lines(data: bytes) -> list[str | UnicodeDecodeError]:
    """The file's lines (split on "\\n" only), each decoded alone: one bad byte spoils one line."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    lines: list[str | UnicodeDecodeError] = []
    for raw in data.split(b"\n"):
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            lines.append(exc)
    return lines


def _not_utf8(exc: UnicodeDecodeError) -> str:
    byte = exc.object[exc.start : exc.start + 1].hex()
    return f"not UTF-8 (byte 0x{byte} at column {exc.start + 1}); task files must be UTF-8"


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | LoadError]]:
    """Yield (line number, record or LoadError) for each non-blank record in a JSONL file."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        yield 0, LoadError(file=str(path), line=0, message="file not found")
        return
    lines = _decode_lines(data)
    i = 0
    while i < len(lines):
        first = lines[i]
        if isinstance(first, UnicodeDecodeError):
            yield i + 1, LoadError(file=str(path), line=i + 1, message=_not_utf8(first))
            i += 1
            continue
        if not first.strip():
            i += 1
            continue
        start = i
        chunk = first
        value: Any
        while True:
            try:
                value = decode(chunk)
                break
            except RecordRefused as exc:
                value = LoadError(file=str(path), line=start + 1, message=str(exc))
                break
            except json.JSONDecodeError as exc:
                nxt = i + 1
                broken_string = "Unterminated string" in exc.msg
                following = lines[nxt] if nxt < len(lines) else None
                if (
                    broken_string
                    and isinstance(following, str)
                    and nxt - start < MAX_JOINED_LINES
                    and not following.lstrip().startswith("{")
                ):
                    i = nxt
                    chunk = chunk + "\n" + following
                    continue
                span = f" (record spans lines {start + 1}-{i + 1})" if i > start else ""
                hint = (
                    "; the record appears truncated (a string never closes before the next record)"
                    if broken_string
                    else ""
                )
                value = LoadError(
                    file=str(path),
                    line=start + 1,
                    message=f"invalid JSON: {exc.msg} (column {exc.colno}){span}{hint}",
                )
                break
        if not isinstance(value, LoadError):
            value = _checked(value, str(path), start + 1)
        yield start + 1, value
        i += 1


def _checked(value: Any, path: str, line: int) -> dict[str, Any] | LoadError:
    if not isinstance(value, dict):
        return LoadError(
            file=path, line=line, message=f"expected a JSON object, got {type(value).__name__}"
        )
    try:
        check(value)
    except RecordRefused as exc:
        return LoadError(file=path, line=line, message=str(exc))
    return value
