"""Fixtures of the agent tests: the toy benchmark, a scripted OpenAI server, model refs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from frontier.agents.endpoint import EndpointPool
from frontier.agents.retry import RetryPolicy
from frontier.domain.specs import ModelRef
from tests.agents.toy_benchmark import ToyBenchmark
from tests.support.openai_server import ScriptedOpenAIServer

FAST_RETRIES = RetryPolicy(base_delay=0.01, max_delay=0.05, max_retry_after=5.0)


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
