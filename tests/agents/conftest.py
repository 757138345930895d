"""Fixtures of the agent tests: the toy benchmark, a scripted OpenAI server, model refs,
and the real ShoppingBench dev sample."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from frontier.agents.endpoint import EndpointPool
from frontier.agents.retry import RetryPolicy
from frontier.benchmarks.registry import load_benchmark
from frontier.domain.interfaces import Benchmark
from frontier.domain.specs import ModelRef
from frontier.domain.tasks import Task
from tests.agents.toy_benchmark import ToyBenchmark
from tests.support.frontiers import dev_sample_dir
from tests.support.openai_server import ScriptedOpenAIServer

FAST_RETRIES = RetryPolicy(base_delay=0.01, max_delay=0.05, max_retry_after=5.0)


@pytest.fixture(scope="session")
def dev_tasks() -> list[Task]:
    """Every task of the ShoppingBench dev sample (malformed lines skipped, as a run would)."""
    found = dev_sample_dir()
    paths = [str(p) for p in sorted(found.glob("*.dev.jsonl"))]
    loaded = load_benchmark("shoppingbench", {}).load(paths, on_error="skip")
    assert len(loaded.tasks) > 300, f"the dev sample in {found} lost its tasks"
    return loaded.tasks


def shoppingbench_for(tasks: list[Task], seed: int = 0) -> Benchmark:
    """A fresh ShoppingBench whose embedded catalog is built from `tasks`."""
    bench = load_benchmark("shoppingbench", {"seed": seed})
    bench.prepare(tasks)
    return bench


@pytest.fixture
def toy() -> ToyBenchmark:
    return ToyBenchmark()


@pytest.fixture
def server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer() as running:
        yield running


@pytest.fixture
async def pool() -> AsyncIterator[EndpointPool]:
    async with EndpointPool(FAST_RETRIES, grow_after=3) as created:
        yield created


@pytest.fixture
def model_for(server: ScriptedOpenAIServer) -> Callable[..., ModelRef]:
    """A ModelRef on the scripted server; keyword arguments override its fields."""

    def make(**overrides: Any) -> ModelRef:
        fields: dict[str, Any] = {
            "name": "scripted",
            "provider": "openai",
            "base_url": server.url,
            "model": "scripted-model",
            "temperature": 0.0,
            "max_steps": 6,
            "timeout_seconds": 5.0,
            "max_retries": 3,
        }
        fields.update(overrides)
        return ModelRef(**fields)

    return make
