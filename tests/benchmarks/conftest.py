"""Fixtures of the benchmark tests: the ShoppingBench dev sample and record builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.domain.interfaces import LoadResult
from frontier.domain.tasks import Task

ROOT = Path(__file__).parents[2]
DEV_SAMPLE_DIRS = [
    ROOT / "data" / "shoppingbench",
    ROOT / ".." / "shared" / "data" / "shoppingbench",
]
EXAMPLES = ROOT / "examples" / "jsonl"


def dev_dir() -> Path | None:
    return next((d for d in DEV_SAMPLE_DIRS if list(d.glob("*.dev.jsonl"))), None)


@pytest.fixture(scope="session")
def dev_paths() -> list[str]:
    found = dev_dir()
    if found is None:
        pytest.skip(f"no ShoppingBench dev sample in {', '.join(map(str, DEV_SAMPLE_DIRS))}")
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
