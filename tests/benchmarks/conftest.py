"""Fixtures of the benchmark tests: the ShoppingBench dev sample and record builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.domain.interfaces import LoadResult
from frontier.domain.tasks import Task
from tests.support.frontiers import dev_sample_dir

ROOT = Path(__file__).parents[2]
EXAMPLES = ROOT / "examples" / "jsonl"


@pytest.fixture(scope="session")
def dev_paths() -> list[str]:
    found = dev_sample_dir()
    return [str(p) for p in sorted(found.glob("*.dev.jsonl"))]


@pytest.fixture(scope="session")
def dev_load(dev_paths: list[str]) -> LoadResult:
    return ShoppingBench().load(dev_paths, on_error="skip")


@pytest.fixture(scope="session")
def dev_tasks(dev_load: LoadResult) -> list[Task]:
    return dev_load.tasks


@pytest.fixture(scope="session")
def dev_bench(dev_tasks: list[Task]) -> ShoppingBench:
    """One benchmark whose embedded catalog holds the whole dev sample (seed 0)."""
    bench = ShoppingBench({"seed": 0})
    bench.prepare(dev_tasks)
    return bench


def product_record(**item: Any) -> dict[str, Any]:
    """A product-family native record; `item` is the reward object (product_id defaults)."""
    reward = {"product_id": "1000000001", "title": ["Steel Water Bottle 1L"], **item}
    return {"query": "Looking for a steel water bottle.", "reward": reward}


def task_of(record: dict[str, Any]) -> Task:
    from frontier.benchmarks.shoppingbench.models import parse_record

    return Task.create("shoppingbench", parse_record(record).family, record["query"], record)


def broken_copy(source: str, folder: Path, lines: tuple[int, ...] = (17, 23)) -> str:
    """`source` copied into `folder` with the records on `lines` (1-based) cut mid-string,
    the way a file split inside a record looks: the public sample has no broken line."""
    records = Path(source).read_text().rstrip("\n").split("\n")
    for number in lines:
        record = records[number - 1]
        records[number - 1] = record[: len(record) // 2]
    out = folder / Path(source).name
    out.write_text("\n".join(records) + "\n")
    return str(out)
