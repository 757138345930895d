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


def test_a_byte_that_is_not_utf8_costs_its_line_and_the_rest_of_the_file_is_read(
    tmp_path: Path,
) -> None:
    f = tmp_path / "t.jsonl"
    f.write_bytes(b'{"a": 1}\n{"a": "caf\xe9"}\n{"a": 3}\n')
    first, (line, err), last = read(f)
    assert first == (1, {"a": 1}) and last == (3, {"a": 3})
    assert line == 2 and isinstance(err, LoadError)
    assert str(err) == f"{f}:2: not UTF-8 (byte 0xe9 at column 11); task files must be UTF-8"


def test_a_line_that_is_not_utf8_is_never_joined_to_a_broken_string_before_it(
    tmp_path: Path,
) -> None:
    f = tmp_path / "t.jsonl"
    f.write_bytes(b'{"a": "never closed\nstill \xff open"}\n{"b": 2}\n')
    (l1, e1), (l2, e2), ok = read(f)
    assert isinstance(e1, LoadError) and l1 == 1 and "truncated" in e1.message
    assert isinstance(e2, LoadError) and l2 == 2 and "not UTF-8 (byte 0xff" in e2.message
    assert ok == (3, {"b": 2})


def test_a_utf8_byte_order_mark_at_the_start_is_not_part_of_the_first_record(
    tmp_path: Path,
) -> None:
    f = tmp_path / "t.jsonl"
    f.write_bytes(b'\xef\xbb\xbf{"a": 1}\n{"a": 2}\n')
    assert read(f) == [(1, {"a": 1}), (2, {"a": 2})]


def test_what_no_task_may_hold_is_an_error_at_its_line_naming_the_field(tmp_path: Path) -> None:
    f = tmp_path / "t.jsonl"
    f.write_text('{"a": 1}\n{"query": "x\\u0000"}\n{"p": NaN}\n' + "[" * 10_000 + "\n")
    ok, (l2, nul), (l3, nan), (l4, deep) = read(f)
    assert ok == (1, {"a": 1})
    assert (
        isinstance(nul, LoadError) and l2 == 2 and nul.message.startswith("query: contains a NUL")
    )
    assert (
        isinstance(nan, LoadError) and l3 == 3 and nan.message.startswith("p: NaN is not a finite")
    )
    assert (
        isinstance(deep, LoadError) and l4 == 4 and deep.message == "nested deeper than 100 levels"
    )
