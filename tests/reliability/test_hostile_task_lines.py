"""A corpus of hostile task lines: each is one LoadError at its file:line, its neighbours kept.

Every fault below sits on line 2 of a ShoppingBench task file, between two good records.
With onError: skip the file loads the two good tasks and reports exactly one error at
FILE:2 saying what is wrong; with onError: fail the load stops with that same line. The
faults are what a task file from the wild, a broken export or a hostile author may hold:
encodings, NUL characters, depth, numbers JSON or PostgreSQL cannot take, duplicate keys,
records that are not objects.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from frontier.benchmarks.jsonlines import TaskFileError
from frontier.benchmarks.shoppingbench.loader import load_tasks
from tests.support.frontiers import dev_sample_dir

Record = dict[str, Any]


def good_records() -> list[Record]:
    path = dev_sample_dir() / "product.dev.jsonl"
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    return [json.loads(line) for line in lines[:3]]


def dumped(record: Record) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode()


def with_field(name: str, raw: str) -> Callable[[Record], bytes]:
    """The record with one more field whose JSON text is `raw`, verbatim."""
    return lambda r: dumped(r)[:-1] + f', "{name}": {raw}}}'.encode()


def query_with(raw: bytes) -> Callable[[Record], bytes]:
    """The record whose query holds `raw` bytes (JSON text, verbatim) in its middle."""

    def edit(r: Record) -> bytes:
        marker = "@@HERE@@"
        return dumped({**r, "query": r["query"] + marker}).replace(marker.encode(), raw)

    return edit


def reward_with(key: str, raw: str) -> Callable[[Record], bytes]:
    """The record whose reward (a product's expected fields) has `key` set to JSON `raw`."""

    def edit(r: Record) -> bytes:
        marker = "@@HERE@@"
        record = {**r, "reward": {**r["reward"], key: marker}}
        return dumped(record).replace(f'"{marker}"'.encode(), raw.encode())

    return edit


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


FAULTS: list[tuple[str, Callable[[Record], bytes], str]] = [
    # NUL characters: PostgreSQL text cannot hold them.
    ("nul escaped in the query", query_with(b"\\u0000"), "query: contains a NUL character"),
    ("nul byte raw in the query", query_with(b"\x00"), "query: contains a NUL character"),
    ("nul in a nested field", reward_with("title", '"a\\u0000b"'), "reward.title: contains a NUL"),
    ("nul in a key", with_field("x\\u0000y", "1"), "the key 'x\\x00y' contains a NUL"),
    # Depth: the decoder recurses once per level.
    ("a record nested 100,000 deep", lambda r: nested(100_000).encode(), "nested deeper than 100 levels"),
    ("a field nested 101 deep", with_field("extra", nested(101)), "nested deeper than 100 levels"),
    ("objects nested 5,000 deep", lambda r: ('{"a":' * 5000 + "1" + "}" * 5000).encode(), "nested deeper than 100 levels"),
    # Numbers JSON has no name for, or that overflow; PostgreSQL's json refuses them.
    ("NaN", with_field("score", "NaN"), "score: NaN is not a finite number"),
    ("Infinity", with_field("score", "Infinity"), "score: Infinity is not a finite number"),
    ("-Infinity in a nested field", reward_with("price", "-Infinity"), "reward.price: -Infinity is not a finite"),
    ("1e999", with_field("score", "1e999"), "score: 1e999 is not a finite number"),
    ("-1e999 in a list", with_field("scores", "[1, -1e999]"), "scores[1]: -1e999 is not a finite number"),
    ("an integer of 5,000 digits", with_field("n", "9" * 5000), "invalid number: Exceeds the limit"),
    # Encodings: each line is decoded on its own.
    ("a Latin-1 byte", query_with(b"caf\xe9"), "not UTF-8 (byte 0xe9"),
    ("a Windows-1252 quote", query_with(b"\x93quoted\x94"), "not UTF-8 (byte 0x93"),
    ("an overlong UTF-8 slash", query_with(b"\xc0\xaf"), "not UTF-8 (byte 0xc0"),
    ("a surrogate encoded as UTF-8 bytes", query_with(b"\xed\xa0\x80"), "not UTF-8 (byte 0xed"),
    ("a multibyte character cut short", lambda r: dumped(r)[:-1] + b', "x": "\xe2\x82"}', "not UTF-8 (byte 0xe2"),
    ("a lone high surrogate escape", query_with(b"\\ud800"), "query: contains a lone surrogate (U+D800)"),
    ("a lone low surrogate escape", reward_with("title", '"\\udc00"'), "reward.title: contains a lone surrogate (U+DC00)"),
    # Duplicate keys: the last value silently won.
    ("the query given twice", lambda r: dumped(r)[:-1] + b', "query": "something else"}', "duplicate key 'query'"),
    ("a nested key given twice", reward_with("title", '"a", "title": "b"'), "duplicate key 'title'"),
    # Not a record.
    ("a JSON array", lambda r: b"[1, 2, 3]", "expected a JSON object, got list"),
    ("a bare string", lambda r: b'"just text"', "expected a JSON object, got str"),
    ("null", lambda r: b"null", "expected a JSON object, got NoneType"),
    ("a trailing comma", lambda r: dumped(r)[:-1] + b", }", "invalid JSON: Expecting property name"),
    ("single quotes", lambda r: b"{'query': 'a lamp', 'reward': []}", "invalid JSON: Expecting property name"),
    ("two records on one line", lambda r: dumped(r) + dumped(r), "invalid JSON: Extra data"),
]  # fmt: skip


@pytest.fixture(scope="module")
def records() -> list[Record]:
    return good_records()


def task_file(tmp_path: Path, records: list[Record], fault: Callable[[Record], bytes]) -> Path:
    path = tmp_path / "product.dev.jsonl"
    path.write_bytes(
        b"\n".join([dumped(records[0]), fault(records[1]), dumped(records[2])]) + b"\n"
    )
    return path


def test_the_corpus_holds_at_least_twenty_distinct_faults() -> None:
    assert len(FAULTS) >= 20
    assert len({name for name, _, _ in FAULTS}) == len(FAULTS)


@pytest.mark.parametrize(("case", "fault", "message"), FAULTS, ids=[f[0] for f in FAULTS])
def test_with_skip_a_hostile_line_is_one_error_at_its_line_and_its_neighbours_load(
    tmp_path: Path,
    records: list[Record],
    case: str,
    fault: Callable[[Record], bytes],
    message: str,
) -> None:
    path = task_file(tmp_path, records, fault)
    loaded = load_tasks([str(path)], on_error="skip")
    assert [str(e).split(": ", 1)[0] for e in loaded.errors] == [f"{path}:2"]
    assert message in loaded.errors[0].message
    assert "\n" not in str(loaded.errors[0]) and len(str(loaded.errors[0])) < 300
    assert [t.payload for t in loaded.tasks] == [records[0], records[2]]


@pytest.mark.parametrize(("case", "fault", "message"), FAULTS, ids=[f[0] for f in FAULTS])
def test_with_fail_a_hostile_line_stops_the_load_naming_its_file_and_line(
    tmp_path: Path,
    records: list[Record],
    case: str,
    fault: Callable[[Record], bytes],
    message: str,
) -> None:
    path = task_file(tmp_path, records, fault)
    with pytest.raises(TaskFileError) as raised:
        load_tasks([str(path)], on_error="fail")
    assert str(raised.value).startswith(f"{path}:2: ")
    assert message in str(raised.value)
