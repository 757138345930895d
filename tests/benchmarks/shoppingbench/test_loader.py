"""Loading ShoppingBench task files: every dev task, and malformed lines named by file:line."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from frontier.benchmarks.jsonlines import TaskFileError
from frontier.benchmarks.shoppingbench.loader import load_tasks
from frontier.domain.interfaces import LoadResult
from tests.benchmarks.conftest import broken_copy


def test_every_dev_task_loads_with_no_line_skipped(
    dev_load: LoadResult, dev_paths: list[str]
) -> None:
    # JSON Lines end at "\n" only: str.splitlines would also split at the U+2028 and U+0085
    # that some web records carry inside their strings.
    total_lines = sum(
        1 for p in dev_paths for line in Path(p).read_text().split("\n") if line.strip()
    )
    assert Counter(t.family for t in dev_load.tasks) == {
        "product": 100,
        "shop": 100,
        "voucher": 100,
        "web": 60,
    }
    assert dev_load.errors == []
    assert total_lines == 360
    assert len({t.id for t in dev_load.tasks}) == len(dev_load.tasks)


def test_in_skip_mode_broken_records_are_named_and_the_rest_of_the_file_loads(
    dev_paths: list[str], tmp_path: Path
) -> None:
    web = broken_copy(next(p for p in dev_paths if p.endswith("web.dev.jsonl")), tmp_path)
    loaded = load_tasks([web], on_error="skip")
    assert [(Path(e.file).name, e.line) for e in loaded.errors] == [
        ("web.dev.jsonl", 17),
        ("web.dev.jsonl", 23),
    ]
    assert len(loaded.tasks) == 58


def test_in_fail_mode_the_first_malformed_line_raises_with_file_and_line(
    dev_paths: list[str], tmp_path: Path
) -> None:
    web = broken_copy(next(p for p in dev_paths if p.endswith("web.dev.jsonl")), tmp_path)
    with pytest.raises(TaskFileError, match=r"web\.dev\.jsonl:17: invalid JSON"):
        load_tasks([web], on_error="fail")


def write(tmp_path: Path, *records: object) -> str:
    f = tmp_path / "tasks.jsonl"
    f.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n")
    return str(f)


GOOD = {"query": "a bottle", "reward": {"product_id": "1", "title": ["Bottle"]}}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"reward": GOOD["reward"]}, "query: missing or empty"),
        ({"query": "q"}, "reward: missing"),
        ({"query": "q", "reward": {"title": ["x"]}}, "reward.product_id: missing"),
        (
            {"query": "q", "reward": {"product_id": "1", "price": [{"about": [1, 2]}]}},
            "price bound mode",
        ),
        (
            {"query": "q", "reward": {"product_id": "1", "price": [{"between": [9, 2]}]}},
            "low 9.0 > high 2.0",
        ),
        (
            {"query": "q", "reward": {"product_id": "1", "service": ["teleport"]}},
            "unknown service 'teleport'",
        ),
        (
            {"query": "q", "reward": [GOOD["reward"], GOOD["reward"]]},
            "the same product_id appears twice",
        ),
        (
            {
                "query": "q",
                "reward": [GOOD["reward"]],
                "voucher": {
                    "voucher_type": "platform",
                    "threshold": 1,
                    "discount_type": "fixed",
                    "budget": 5,
                },
            },
            "face_value: required",
        ),
        (
            {"query": "q", "Knowledge_Attribute": "", "reward": {"product_id": "1", "title": "x"}},
            "Knowledge_Attribute: missing",
        ),
        ("{not json", "invalid JSON"),
    ],
)
def test_a_malformed_record_is_reported_at_its_line_naming_the_field(
    tmp_path: Path, bad: object, message: str
) -> None:
    path = write(tmp_path, GOOD, bad)
    result = load_tasks([path], on_error="skip")
    assert len(result.tasks) == 1
    [error] = result.errors
    assert (error.file, error.line) == (path, 2)
    assert message in error.message
    with pytest.raises(TaskFileError, match=r"tasks\.jsonl:2: "):
        load_tasks([path], on_error="fail")


def test_an_unknown_on_error_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="on_error must be 'fail' or 'skip'"):
        load_tasks([], on_error="ignore")


def test_the_same_record_twice_is_one_task(tmp_path: Path) -> None:
    assert len(load_tasks([write(tmp_path, GOOD, GOOD)]).tasks) == 1
