"""Reading JSON Lines task files with errors that name the file and the line.

Shared by every benchmark here. Public task files are not always clean: some
ShoppingBench web records contain raw control characters, and a few were split
by a stray line break inside a string (a U+0085 turned into a newline). We read
records leniently (control characters allowed inside strings), re-join a record
whose string was broken across lines, and report anything still unreadable as a
LoadError at the line where the record starts.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from frontier.domain.tasks import LoadError

MAX_JOINED_LINES = 20


class TaskFileError(ValueError):
    """A task file could not be read in `fail` mode; the message names file:line."""

    def __init__(self, error: LoadError) -> None:
        super().__init__(str(error))
        self.error = error


def read_records(path: str | Path) -> Iterator[tuple[int, dict[str, Any] | LoadError]]:
    """Yield (line number, record or LoadError) for each non-blank record in a JSONL file."""
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except FileNotFoundError:
        yield 0, LoadError(file=str(path), line=0, message="file not found")
        return
    except UnicodeDecodeError as exc:
        yield 0, LoadError(file=str(path), line=0, message=f"not UTF-8: {exc}")
        return
    lines = text.split("\n")
    decoder = json.JSONDecoder(strict=False)
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        start = i
        chunk = lines[i]
        while True:
            try:
                value = decoder.decode(chunk)
                break
            except json.JSONDecodeError as exc:
                nxt = i + 1
                broken_string = "Unterminated string" in exc.msg
                if (
                    broken_string
                    and nxt < len(lines)
                    and nxt - start < MAX_JOINED_LINES
                    and not lines[nxt].lstrip().startswith("{")
                ):
                    i = nxt
                    chunk = chunk + "\n" + lines[i]
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
        if not isinstance(value, LoadError) and not isinstance(value, dict):
            value = LoadError(
                file=str(path),
                line=start + 1,
                message=f"expected a JSON object, got {type(value).__name__}",
            )
        yield start + 1, value
        i += 1
