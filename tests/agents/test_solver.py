"""The OpenAI solver over real HTTP against the scripted server."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from frontier.agents.base import build_agent
from frontier.agents.endpoint import EndpointPool
from frontier.domain.specs import ModelRef, Pricing
from tests.agents.toy_benchmark import ToyBenchmark, make_task
from tests.support.openai_server import (
    Drop,
    Hang,
    Raw,
    Reply,
    ScriptedOpenAIServer,
    Status,
    ToolCall,
    text,
    text_tool_call,
    tool_call,
)

TASK = make_task(42)
ModelFor = Callable[..., ModelRef]


async def test_native_tool_calls_play_the_episode_to_a_graded_success(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        tool_call("probe", {"guess": 50}),
        Reply(tool_calls=(ToolCall("hint", {}), ToolCall("probe", {"guess": 42}))),
        tool_call("submit", {"number": 42}),
    )
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, seed=1)
    assert rollout.ok and rollout.reward == 1.0 and rollout.success is True
    trace = rollout.trace
    assert trace["stop_reason"] == "final" and trace["steps"] == 3
    assert [(c["name"], c["arguments"], c["result"]) for c in trace["tool_calls"]] == [
        ("probe", {"guess": 50}, "lower"),
        ("hint", {}, "even"),
        ("probe", {"guess": 42}, "correct"),
        ("submit", {"number": 42}, "submitted"),
    ]
    # The second request carried the tools and the first tool result back to the model.
    second = server.requests[1].body
    assert [t["function"]["name"] for t in second["tools"]] == ["probe", "hint", "submit"]
    assert second["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_0_0",
        "content": "lower",
    }
    assert second["temperature"] == 0.0


async def test_text_protocol_parses_tags_and_returns_tool_responses(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        text_tool_call("probe", {"guess": 42}, prefix="Let me check. "),
        text_tool_call("submit", {"number": 42}),
    )
    rollout = await build_agent(model_for(protocol="text"), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    first, second = server.requests[0].body, server.requests[1].body
    assert "tools" not in first
    assert "<tool_call>" in first["messages"][0]["content"]  # the tag format is taught
    assert '"name": "probe"' in first["messages"][0]["content"]
    last = second["messages"][-1]
    assert last["role"] == "user"
    assert '<tool_response name="probe" status="ok">\ncorrect\n</tool_response>' in last["content"]


async def test_malformed_arguments_go_back_to_the_model_as_a_tool_error(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        tool_call("probe", '{"guess": 4'),  # truncated JSON
        tool_call("probe", "[1, 2]"),  # not an object
        tool_call("submit", {"number": 42}),
    )
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert rollout.trace["malformed_tool_calls"] == 2
    fed_back = server.requests[1].body["messages"][-1]
    assert fed_back["role"] == "tool" and fed_back["content"].startswith(
        "Error: the arguments of probe are not valid JSON"
    )
    assert "must be a JSON object" in server.requests[2].body["messages"][-1]["content"]
    rejected = rollout.trace["tool_calls"][0]
    assert rejected["malformed"] is True and rejected["arguments_raw"] == '{"guess": 4'


async def test_malformed_text_protocol_call_is_fed_back_not_raised(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        text("<tool_call>{not json}</tool_call>"), text_tool_call("submit", {"number": 42})
    )
    rollout = await build_agent(model_for(protocol="text"), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert rollout.trace["malformed_tool_calls"] == 1
    assert 'status="error"' in server.requests[1].body["messages"][-1]["content"]


async def test_unknown_tools_and_tool_exceptions_are_the_models_and_counted(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        tool_call("teleport", {}),
        tool_call("probe", {"gues": 1}),  # the toy raises KeyError on a missing key
        tool_call("submit", {"number": 42}),
    )
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert rollout.trace["unknown_tool_calls"] == 1 and rollout.trace["tool_exceptions"] == 1
    assert "no tool named 'teleport'" in server.requests[1].body["messages"][-1]["content"]
    assert "KeyError" in server.requests[2].body["messages"][-1]["content"]


async def test_running_out_of_steps_is_a_graded_model_failure_not_an_error(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(text("thinking..."), tool_call("hint", {}), tool_call("hint", {}))
    rollout = await build_agent(model_for(max_steps=3), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "ok" and rollout.error is None
    assert rollout.reward == 0.0 and rollout.success is False
    assert rollout.trace["stop_reason"] == "max_steps" and rollout.trace["answered"] is False
    assert rollout.trace["turns_without_tool_call"] == 1
    assert server.request_count == 3


async def test_tokens_and_cost_are_summed_over_the_steps(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        tool_call("probe", {"guess": 42}, prompt_tokens=1000, completion_tokens=200),
        tool_call("submit", {"number": 42}, prompt_tokens=3000, completion_tokens=50),
    )
    model = model_for(pricing=Pricing(input_per_million=2.0, output_per_million=10.0))
    rollout = await build_agent(model, pool=pool).rollout(toy, TASK, 0, 1)
    assert (rollout.input_tokens, rollout.output_tokens) == (4000, 250)
    assert rollout.cost_usd == pytest.approx((4000 * 2.0 + 250 * 10.0) / 1e6)
    usage = rollout.trace["usage"]
    assert usage["requests"] == 2 and usage["missing_usage"] == 0
    assert rollout.latency_seconds > 0 and rollout.trace["wall_seconds"] == rollout.latency_seconds


async def test_a_reply_without_usage_is_counted_as_missing_not_zero(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(tool_call("submit", {"number": 42}, include_usage=False))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.trace["usage"]["missing_usage"] == 1


async def test_429_with_retry_after_is_waited_out_and_counted(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Status(429, {"Retry-After": "1"}), tool_call("submit", {"number": 42}))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    gap = server.requests[1].received_at - server.requests[0].received_at
    assert gap >= 1.0  # the fast test backoff is 0.01 s: only Retry-After explains this wait
    assert rollout.trace["retries"] == 1
    [event] = rollout.trace["retry_events"]
    assert event["status"] == 429 and event["retry_after"] == 1.0


async def test_server_errors_are_retried_with_backoff(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Status(500), Status(503), tool_call("submit", {"number": 42}))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert rollout.trace["retries"] == 2
    assert [e["status"] for e in rollout.trace["retry_events"]] == [500, 503]


async def test_spent_retry_budget_is_an_error_rollout_with_its_cause(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(tool_call("hint", {}), *[Status(502)] * 3)
    rollout = await build_agent(model_for(max_retries=2), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and rollout.reward is None and rollout.success is None
    assert "HTTP 502" in (rollout.error or "") and "retry budget of 2 spent" in (
        rollout.error or ""
    )
    assert server.request_count == 4
    # what happened before the failure is kept
    assert rollout.trace["tool_calls"][0]["name"] == "hint"
    assert rollout.trace["stop_reason"] == "harness_error"


async def test_timeouts_end_in_an_error_rollout_after_the_budget(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Hang(10), Hang(10))
    model = model_for(timeout_seconds=0.3, max_retries=1)
    rollout = await build_agent(model, pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and rollout.reward is None
    assert (rollout.error or "").startswith("timeout: no response within 0.3s")
    assert rollout.trace["retries"] == 1 and server.request_count == 2


async def test_a_client_error_is_not_retried(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Status(401, message="bad key"))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and "HTTP 401" in (rollout.error or "")
    assert server.request_count == 1


async def test_an_unreachable_endpoint_is_an_error_rollout(
    model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    model = model_for(base_url="http://127.0.0.1:9/v1", max_retries=1)
    rollout = await build_agent(model, pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and (rollout.error or "").startswith("connection:")


async def test_an_environment_that_raises_is_a_harness_error(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(tool_call("probe", {"guess": 1}))
    task = make_task(42, backend_down=True)
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, task, 0, 1)
    assert rollout.status == "error"
    assert rollout.error == "tool probe failed: ConnectionError: toy backend unreachable"


async def test_the_api_key_never_reaches_the_trace_or_the_logs(
    server: ScriptedOpenAIServer,
    model_for: ModelFor,
    pool: EndpointPool,
    toy: ToyBenchmark,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = "sk-planted-0123456789abcdef"
    monkeypatch.setenv("SCRIPTED_KEY", secret)
    # A careless server that echoes the key in its error body, then fails for good.
    server.enqueue(
        tool_call("probe", {"guess": 1}),
        Status(500, message=f"upstream rejected {secret}"),
        Status(400, message=f"invalid key {secret}"),
    )
    caplog.set_level(logging.DEBUG)
    rollout = await build_agent(model_for(api_key_env="SCRIPTED_KEY"), pool=pool).rollout(
        toy, TASK, 0, 1
    )
    assert server.requests[0].headers["Authorization"] == f"Bearer {secret}"  # it was used
    assert rollout.status == "error" and "[redacted]" in (rollout.error or "")
    dumped = rollout.model_dump_json()
    assert secret not in dumped
    assert secret not in caplog.text
    assert "[redacted]" in caplog.text  # the retry was logged, with the key scrubbed


async def test_a_dropped_connection_is_retried(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Drop(), tool_call("submit", {"number": 42}))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    [event] = rollout.trace["retry_events"]
    assert event["kind"] == "connection" and event["status"] is None


async def test_a_reply_that_is_not_a_completion_is_an_error_rollout_with_its_cause(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Raw("<html>gateway says hello</html>", content_type="text/html"))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and rollout.reward is None
    assert (rollout.error or "").startswith(
        "invalid_response: the reply is not a chat completion (content-type text/html"
    )
    assert server.request_count == 1  # a misconfigured URL is not hammered


async def test_a_truncated_json_body_is_an_error_rollout_not_a_crash(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(Raw('{"id": "chatcmpl-1", "choices": [{"index"'))
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and "JSONDecodeError" in (rollout.error or "")


async def test_the_timeout_is_per_request_not_per_rollout(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        tool_call("hint", {}, delay=0.25),
        tool_call("probe", {"guess": 42}, delay=0.25),
        tool_call("submit", {"number": 42}, delay=0.25),
    )
    model = model_for(timeout_seconds=0.6, max_retries=0)
    rollout = await build_agent(model, pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert rollout.latency_seconds >= 0.75 and rollout.trace["retries"] == 0


async def test_a_429_without_retry_after_waits_for_the_rate_limit_reset(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        Status(429, {"x-ratelimit-reset-requests": "700ms", "x-ratelimit-remaining-requests": "0"}),
        tool_call("submit", {"number": 42}),
    )
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert server.requests[1].received_at - server.requests[0].received_at >= 0.69
    [event] = rollout.trace["retry_events"]
    assert event["retry_after"] == pytest.approx(0.7)


async def test_rate_limits_that_outlast_the_budget_are_an_error_and_shrink_the_limit(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(*[Status(429, {"retry-after-ms": "20"})] * 3)
    model = model_for(max_retries=2, concurrency=8)
    rollout = await build_agent(model, pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.status == "error" and rollout.reward is None and rollout.success is None
    assert (rollout.error or "").startswith("rate_limited (HTTP 429)")
    assert "retry budget of 2 spent" in (rollout.error or "")
    history = pool.history()[server.url]
    assert [c.limit for c in history] == [8, 4, 2, 1]  # each 429 came under the new limit
    assert rollout.trace["concurrency_limit"] == 1


async def test_text_protocol_plays_several_calls_of_one_turn_and_stops_at_the_final_one(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = [
        ("hint", {}),
        ("teleport", {"to": "mars"}),
        ("probe", {"guess": 42}),
    ]
    first = "".join(text_tool_call(n, a).content or "" for n, a in calls)
    last = text_tool_call("submit", {"number": 42}).content or ""
    after = text_tool_call("probe", {"guess": 1}).content or ""
    server.enqueue(text(first), text(last + after))
    rollout = await build_agent(model_for(protocol="text"), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.ok and rollout.success is True
    assert [c["name"] for c in rollout.trace["tool_calls"]] == [
        "hint",
        "teleport",
        "probe",
        "submit",
    ]
    assert rollout.trace["unknown_tool_calls"] == 1
    responses = server.requests[1].body["messages"][-1]["content"]
    assert responses.count("<tool_response") == 3
    assert '<tool_response name="teleport" status="error">' in responses


async def test_native_calls_after_the_final_one_are_not_played(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        Reply(tool_calls=(ToolCall("submit", {"number": 42}), ToolCall("probe", {"guess": 1})))
    )
    rollout = await build_agent(model_for(), pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.success is True
    assert [c["name"] for c in rollout.trace["tool_calls"]] == ["submit"]
    assert server.request_count == 1


async def test_replies_cut_by_max_tokens_are_counted(
    server: ScriptedOpenAIServer, model_for: ModelFor, pool: EndpointPool, toy: ToyBenchmark
) -> None:
    server.enqueue(
        text('<tool_call>{"name": "probe", "argu', finish_reason="length"),
        text_tool_call("submit", {"number": 42}),
    )
    model = model_for(protocol="text", max_tokens=16)
    rollout = await build_agent(model, pool=pool).rollout(toy, TASK, 0, 1)
    assert rollout.success is True
    assert rollout.trace["truncated_replies"] == 1 and rollout.trace["malformed_tool_calls"] == 1
    assert server.requests[0].body["max_tokens"] == 16
