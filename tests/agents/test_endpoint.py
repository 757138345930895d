"""Endpoint behaviour over HTTP: adaptive concurrency under 429s, reset headers, the pool."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from frontier.agents.base import build_agent
from frontier.agents.endpoint import EndpointPool, RequestStats
from frontier.domain.specs import ModelRef
from tests.agents.conftest import FAST_RETRIES
from tests.agents.toy_benchmark import ToyBenchmark, make_task
from tests.support.openai_server import (
    RecordedRequest,
    Reply,
    ScriptedOpenAIServer,
    Status,
    tool_call,
)

ModelFor = Callable[..., ModelRef]


async def test_concurrency_shrinks_on_429_and_grows_back_slowly(
    server: ScriptedOpenAIServer, model_for: ModelFor, toy: ToyBenchmark
) -> None:
    in_flight = 0
    peak_after_shrink = 0

    async def handler(request: RecordedRequest) -> Reply | Status:
        nonlocal in_flight, peak_after_shrink
        if request.index < 4:
            await asyncio.sleep(0.05)  # the four first requests overlap, and all hit the limit
            return Status(429, {"retry-after": "0"})
        in_flight += 1
        peak_after_shrink = max(peak_after_shrink, in_flight)
        await asyncio.sleep(0.03)
        in_flight -= 1
        return tool_call("submit", {"number": 42})

    server.set_handler(handler)
    model = model_for(concurrency=4)
    async with EndpointPool(FAST_RETRIES, grow_after=3) as pool:
        agent = build_agent(model, pool=pool)
        limiter = pool.get(model).limiter
        first = await asyncio.gather(*(agent.rollout(toy, make_task(42), a, 0) for a in range(4)))
        assert all(r.ok and r.success for r in first)
        assert sum(r.trace["retries"] for r in first) == 4
        # after the burst the limit was 2 and grew by one per 3 successes: 4 successes -> 3
        assert peak_after_shrink <= 2
        assert limiter.limit == 3
        for attempt in range(3):
            await agent.rollout(toy, make_task(42), 10 + attempt, 0)
        assert limiter.limit == 4
        history = pool.history()[server.url]
    assert [(c.limit, c.reason.split(" ")[0]) for c in history] == [
        (4, "start"),
        (2, "rate_limited"),
        (3, "recovered"),
        (4, "recovered"),
    ]


async def test_an_exhausted_budget_header_pauses_the_endpoint(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(
        Reply(
            content="ok",
            headers={"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "300ms"},
        ),
        Reply(content="ok"),
    )
    model = model_for()
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model)
        params = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        await endpoint.chat(params, timeout=5, max_retries=0)
        await endpoint.chat(params, timeout=5, max_retries=0)
        assert endpoint.limiter.history[-1].reason == "rate_limit_reset 0.3s"
        assert endpoint.limiter.limit == model.concurrency
    gap = server.requests[1].received_at - server.requests[0].received_at
    assert gap >= 0.29


async def test_models_on_one_endpoint_share_it_and_different_keys_do_not(
    server: ScriptedOpenAIServer, model_for: ModelFor, monkeypatch: object
) -> None:
    async with EndpointPool() as pool:
        a = pool.get(model_for(name="a", model="model-a"))
        b = pool.get(model_for(name="b", model="model-b"))
        assert a is b
        assert set(pool.history()) == {server.url}


async def test_retries_record_kind_status_and_delay(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(Status(500), Reply(content="ok"))
    stats = RequestStats()
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for())
        completion = await endpoint.chat(
            {"model": "m", "messages": [{"role": "user", "content": "hi"}]},
            timeout=5,
            max_retries=2,
            stats=stats,
        )
    assert completion.choices[0].message.content == "ok"
    [event] = stats.events
    assert event["kind"] == "server_error" and event["status"] == 500
    assert 0 < event["delay"] <= FAST_RETRIES.base_delay


async def test_a_retry_after_pauses_every_rollout_on_the_endpoint(
    server: ScriptedOpenAIServer, model_for: ModelFor, toy: ToyBenchmark
) -> None:
    def handler(request: RecordedRequest) -> Reply | Status:
        if request.index == 0:
            return Status(429, {"retry-after": "0.6"})
        return tool_call("submit", {"number": 42})

    server.set_handler(handler)
    async with EndpointPool(FAST_RETRIES) as pool:
        agent = build_agent(model_for(), pool=pool)
        first = asyncio.create_task(agent.rollout(toy, make_task(42), 0, 0))
        while server.request_count == 0:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # the 429 has arrived; a second rollout starts now
        second = await agent.rollout(toy, make_task(42), 1, 0)
        assert (await first).success and second.success
        assert second.trace["retries"] == 0  # it waited, it was not refused
        reasons = [c.reason for c in pool.history()[server.url]]
    limited = server.requests[0].received_at
    assert all(r.received_at - limited >= 0.59 for r in server.requests[1:])
    assert reasons[-1] == "rate_limited retry_after=0.6s"
