"""The endpoint's aiohttp transport: what the OpenAI SDK's client did for us, done the same.

Every failure of the transport is a HarnessError with the same kind and status
the SDK's exceptions were mapped to (never a crash, never a model failure); the
session is opened in the running loop and closed with the pool; the key goes
in the Authorization header and nowhere else; replies are read like the SDK
read them, leniently.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings
from collections.abc import Callable

import pytest

from frontier.agents.endpoint import Endpoint, EndpointPool, RequestStats
from frontier.agents.errors import HarnessError
from frontier.domain.specs import ModelRef
from tests.agents.conftest import FAST_RETRIES
from tests.support.openai_server import (
    Drop,
    Hang,
    Raw,
    Reply,
    ScriptedOpenAIServer,
    Status,
    ToolCall,
    tool_call,
)

ModelFor = Callable[..., ModelRef]
PARAMS = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}


async def test_a_dropped_connection_is_a_retryable_connection_failure(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(Drop(), Drop())
    stats = RequestStats()
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for())
        with pytest.raises(HarnessError) as info:
            await endpoint.chat(PARAMS, timeout=5, max_retries=1, stats=stats)
    assert info.value.cause.startswith("connection: ")
    assert "retry budget of 1 spent" in info.value.cause
    assert info.value.status is None and info.value.retries == 1
    assert [e["kind"] for e in stats.events] == ["connection"]


async def test_a_refused_connection_is_a_connection_failure_naming_its_cause(
    model_for: ModelFor,
) -> None:
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for(base_url="http://127.0.0.1:9/v1"))
        with pytest.raises(HarnessError) as info:
            await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    assert info.value.cause.startswith("connection: ClientConnectorError")
    assert info.value.status is None


async def test_no_response_within_the_timeout_is_a_timeout_failure(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(Hang(10), Hang(10))
    stats = RequestStats()
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for())
        with pytest.raises(HarnessError) as info:
            await endpoint.chat(PARAMS, timeout=0.2, max_retries=1, stats=stats)
    assert info.value.cause == "timeout: no response within 0.2s (retry budget of 1 spent)"
    assert [e["kind"] for e in stats.events] == ["timeout"]
    assert endpoint.limiter.in_flight == 0  # the slot came back after each failure


async def test_a_cancelled_request_gives_its_slot_back(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(Hang(10), Reply(content="ok"))
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for(concurrency=1))
        waiting = asyncio.create_task(endpoint.chat(PARAMS, timeout=5, max_retries=0))
        while server.request_count == 0:
            await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert endpoint.limiter.in_flight == 0
        completion = await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    assert completion.choices[0].message.content == "ok"


async def test_an_error_status_carries_the_body_message_like_the_sdk(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(Status(401, message="bad key"), Raw("<html>down</html>", status=503))
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for())
        with pytest.raises(HarnessError) as unauthorized:
            await endpoint.chat(PARAMS, timeout=5, max_retries=0)
        with pytest.raises(HarnessError) as unavailable:
            await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    assert unauthorized.value.cause == "http_error (HTTP 401): Error code: 401 - bad key"
    assert unauthorized.value.status == 401
    assert unavailable.value.cause.startswith("server_error (HTTP 503): Error code: 503 (retry")
    assert unavailable.value.status == 503


async def test_replies_are_read_leniently_like_the_sdk_read_them(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    off_spec = (
        '{"id": "x", "choices": [{"index": 0, "finish_reason": "eos", '
        '"message": {"role": "assistant", "content": "hello", "reasoning": "r"}}]}'
    )
    server.enqueue(
        Raw(off_spec, content_type="text/plain"),  # no created/model/object, an unknown reason
        Reply(tool_calls=(ToolCall("probe", {"guess": 3}),), include_usage=False),
        Raw('{"id": "x", "choices": []}'),
        Raw('{"id": "x", "choices": [{"index": 0, "message": null}]}'),
        Raw("[1, 2]"),
    )
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for())
        lenient = await endpoint.chat(PARAMS, timeout=5, max_retries=0)
        strict = await endpoint.chat(PARAMS, timeout=5, max_retries=0)
        failures = []
        for _ in range(3):
            with pytest.raises(HarnessError) as info:
                await endpoint.chat(PARAMS, timeout=5, max_retries=0)
            failures.append(info.value.cause)
    assert lenient.choices[0].message.content == "hello"
    assert lenient.choices[0].finish_reason == "eos"
    assert lenient.usage is None
    [call] = strict.choices[0].message.tool_calls or []
    assert call.function.name == "probe" and call.function.arguments == '{"guess": 3}'
    assert strict.usage is None
    assert failures == [
        "invalid_response: the reply is a completion without choices",
        "invalid_response: the reply is a completion whose choices have no message",
        "invalid_response: the reply is not a chat completion (content-type "
        "application/json: [1, 2])",
    ]
    assert server.request_count == 5  # none of them retried


async def test_the_key_goes_in_the_authorization_header_and_the_body_as_given(
    server: ScriptedOpenAIServer, model_for: ModelFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSPORT_KEY", "sk-transport-0123456789")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-1")  # the SDK sent these whenever set
    monkeypatch.delenv("OPENAI_PROJECT_ID", raising=False)
    server.enqueue(Reply(content="ok"))
    params = {**PARAMS, "temperature": 0.5, "max_tokens": 7, "tools": [{"type": "function"}]}
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for(api_key_env="TRANSPORT_KEY"))
        await endpoint.chat(params, timeout=5, max_retries=0)
    [request] = server.requests
    assert request.headers["Authorization"] == "Bearer sk-transport-0123456789"
    assert request.headers["OpenAI-Organization"] == "org-1"
    assert "OpenAI-Project" not in request.headers
    assert request.body == params
    assert request.path == "/v1/chat/completions"


async def test_credentials_in_the_url_are_sent_as_basic_auth_and_never_shown(
    server: ScriptedOpenAIServer,
) -> None:
    url = server.url.replace("http://", "http://user:pa55word-secret@")
    server.enqueue(Reply(content="ok"), Status(400, message="no"))
    endpoint = Endpoint(url, "sk-unused-0123456789abcdef", policy=FAST_RETRIES)
    try:
        await endpoint.chat(PARAMS, timeout=5, max_retries=0)
        with pytest.raises(HarnessError) as info:
            await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    finally:
        await endpoint.aclose()
    # as the SDK's httpx client did: the URL's credentials win over the bearer key
    assert server.requests[0].headers["Authorization"] == "Basic dXNlcjpwYTU1d29yZC1zZWNyZXQ="
    assert "pa55word" not in str(info.value)


async def test_the_environment_proxy_is_used(
    server: ScriptedOpenAIServer, model_for: ModelFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("NO_PROXY", "no_proxy", "http_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", server.url.removesuffix("/v1"))
    server.enqueue(Reply(content="via the proxy"))
    async with EndpointPool(FAST_RETRIES) as pool:
        endpoint = pool.get(model_for(base_url="http://model.invalid/v1"))
        completion = await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    assert completion.choices[0].message.content == "via the proxy"
    assert server.requests[0].headers["Host"] == "model.invalid"


async def test_closing_the_pool_closes_every_session_without_a_warning(
    server: ScriptedOpenAIServer,
    model_for: ModelFor,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTHER_KEY", "other-key-0123")
    server.enqueue(*[tool_call("submit", {"number": 1})] * 4)
    caplog.set_level(logging.DEBUG, logger="asyncio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        async with EndpointPool(FAST_RETRIES) as pool:
            first = pool.get(model_for())
            second = pool.get(model_for(api_key_env="OTHER_KEY"))
            unused = pool.get(model_for(base_url="http://127.0.0.1:9/v1"))
            await asyncio.gather(
                *(e.chat(PARAMS, timeout=5, max_retries=0) for e in (first, second) * 2)
            )
            sessions = [first.session, second.session]
        assert all(s.closed for s in sessions)
        assert unused._session is None  # never used, never opened
        del pool, first, second, unused, sessions
        gc.collect()
        await asyncio.sleep(0)
    assert "Unclosed" not in caplog.text
    assert not [w for w in caught if "nclosed" in str(w.message)]


async def test_a_pool_closed_then_used_again_opens_a_new_session(
    server: ScriptedOpenAIServer, model_for: ModelFor
) -> None:
    server.enqueue(Reply(content="one"), Reply(content="two"))
    pool = EndpointPool(FAST_RETRIES)
    endpoint = pool.get(model_for())
    await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    await endpoint.aclose()
    again = await endpoint.chat(PARAMS, timeout=5, max_retries=0)
    await pool.aclose()
    assert again.choices[0].message.content == "two"
