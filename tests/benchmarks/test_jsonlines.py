"""Reading JSONL task files: records, re-joined broken strings, and errors at file:line."""

from __future__ import annotations

from pathlib import Path

from frontier.benchmarks.jsonlines import read_records
from frontier.domain.tasks import LoadError


def read(path: Path) -> list[tuple[int, object]]:
    return list(read_records(path))


def test_records_come_with_their_line_numbers_and_blank_lines_are_skipped(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"a": 1}\n\n{"a": 2}\n')
    assert read(f) == [(1, {"a": 1}), (3, {"a": 2})]


def test_a_string_broken_across_lines_is_rejoined(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"a": "first\nsecond"}\n{"b": 1}\n')
    assert read(f) == [(1, {"a": "first\nsecond"}), (3, {"b": 1})]


def test_a_truncated_record_is_an_error_at_the_line_where_it_starts(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"a": 1}\n{"a": "never closed\nstill open\n{"b": 2}\n')
    out = read(f)
    line, err = out[1]
    assert line == 2 and isinstance(err, LoadError)
    assert str(err).startswith(f"{f}:2: invalid JSON")
    assert "lines 2-3" in err.message and "truncated" in err.message
    assert out[2] == (4, {"b": 2})


def test_a_line_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('[1, 2]\n{"a": 1}\n')
    (line, err), ok = read(f)
    assert (
        line == 1
        and isinstance(err, LoadError)
        and "expected a JSON object, got list" in err.message
    )
    assert ok == (2, {"a": 1})


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    [(line, err)] = read(tmp_path / "missing.jsonl")
    assert (
        line == 0
        and isinstance(err, LoadError)
        and err.message == "file not found"
        and "missing.jsonl" in err.file
    )
