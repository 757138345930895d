"""The agent's tools: ShoppingBench's schemas, argument errors that say what to fix, the answer."""

from __future__ import annotations

import json

import pytest

from frontier.benchmarks.shoppingbench import ShoppingBench
from frontier.domain.interfaces import Episode
from frontier.domain.tasks import Task
from tests.benchmarks.conftest import product_record, task_of


@pytest.fixture
def bench_and_task() -> tuple[ShoppingBench, Task]:
    bench = ShoppingBench()
    task = task_of(product_record(price=[{"between": [100, 200]}], service=["COD"]))
    bench.prepare([task])
    return bench, task


def names(episode: Episode) -> list[str]:
    return [t["function"]["name"] for t in episode.tools()]


def test_an_episode_offers_shoppingbench_tools_and_web_search_only_for_web_tasks(
    bench_and_task: tuple[ShoppingBench, Task], dev_bench: ShoppingBench, dev_tasks: list[Task]
) -> None:
    bench, task = bench_and_task
    episode = bench.episode(task)
    assert isinstance(episode, Episode)
    assert names(episode) == [
        "find_product",
        "view_product_information",
        "recommend_product",
        "terminate",
    ]
    assert episode.user_prompt() == task.query
    web = next(t for t in dev_tasks if t.family == "web")
    assert names(dev_bench.episode(web))[-1] == "web_search"


async def test_find_product_searches_with_filters(
    bench_and_task: tuple[ShoppingBench, Task],
) -> None:
    bench, task = bench_and_task
    episode = bench.episode(task)
    out = await episode.call(
        "find_product", {"q": "steel water bottle", "page": 1, "price": "100-200", "service": "COD"}
    )
    hits = json.loads(out.content)
    assert not out.is_error and "1000000001" in [h["product_id"] for h in hits]
    assert all(100 <= h["price"] <= 200 and "COD" in h["service"] for h in hits)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"page": 1}, "q is required"),
        ({"q": "x", "page": 6}, "page must be from 1 to 5"),
        ({"q": "x", "page": "two"}, "page must be an integer"),
        ({"q": "x", "page": 1, "sort": "cheapest"}, "sort must be one of"),
        ({"q": "x", "page": 1, "price": "cheap"}, 'price must look like "lo-hi"'),
        ({"q": "x", "page": 1, "service": "teleport"}, "unknown service 'teleport'"),
    ],
)
async def test_bad_search_arguments_are_errors_that_say_what_to_fix(
    bench_and_task: tuple[ShoppingBench, Task], args: dict[str, object], message: str
) -> None:
    bench, task = bench_and_task
    out = await bench.episode(task).call("find_product", args)
    assert out.is_error and message in out.content and not out.final


async def test_recommend_product_is_the_final_answer_in_order(
    bench_and_task: tuple[ShoppingBench, Task],
) -> None:
    bench, task = bench_and_task
    episode = bench.episode(task)
    assert episode.answer() is None
    out = await episode.call("recommend_product", {"product_ids": "1000000001, 42"})
    assert out.final and not out.is_error
    answer = episode.answer()
    assert answer is not None and answer.content == {"product_ids": ["1000000001", "42"]}
    assert bench.grade(task, answer).success


async def test_view_and_terminate_and_unknown_tools(
    bench_and_task: tuple[ShoppingBench, Task],
) -> None:
    bench, task = bench_and_task
    episode = bench.episode(task)
    info = json.loads(
        (await episode.call("view_product_information", {"product_ids": "1000000001"})).content
    )
    assert info[0]["product_id"] == "1000000001" and "sku_options" in info[0]
    empty = await episode.call("view_product_information", {"product_ids": ""})
    assert empty.is_error
    unknown = await episode.call("checkout", {})
    assert unknown.is_error and "available tools: find_product" in unknown.content
    assert (await episode.call("web_search", {"query": "x"})).is_error  # not a web task
    done = await episode.call("terminate", {})
    assert done.final and episode.answer() is None
