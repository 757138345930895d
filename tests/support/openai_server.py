"""A scripted OpenAI-compatible chat-completions server for tests and harness benchmarks.

The agents are tested through the real `openai` client over real HTTP, so the
retry, timeout and header handling under test is the code that runs in
production. The server runs aiohttp in its own thread and event loop on
127.0.0.1 with an ephemeral port, so sync and async tests (and throughput
benchmarks) can share it without sharing an event loop.

Replies come from a script (a queue consumed one per request) or from a
handler callable that sees each request and returns a reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

# --- replies -----------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """One function call in an assistant reply; a str `arguments` is sent verbatim (malformed JSON)."""

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """A successful chat completion: text, tool calls, or both, with usage numbers."""

    content: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    prompt_tokens: int = 10
    completion_tokens: int = 5
    include_usage: bool = True
    finish_reason: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to wait before answering (slow, but within a client's timeout)."""


@dataclass(frozen=True)
class Status:
    """An HTTP error reply, e.g. 429 with {"retry-after": "1"} or a 500."""

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str = "scripted error"


@dataclass(frozen=True)
class Hang:
    """Do not answer for `seconds` (the client's timeout should fire first), then answer 504."""

    seconds: float = 30.0


@dataclass(frozen=True)
class Raw:
    """A verbatim HTTP reply, e.g. a 200 whose body is not a chat completion."""

    body: str
    status: int = 200
    content_type: str = "application/json"


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering (the client sees a connection error)."""


ScriptItem = Reply | Status | Hang | Raw | Drop
Handler = Callable[["RecordedRequest"], ScriptItem | Awaitable[ScriptItem]]


def text(content: str, **kwargs: Any) -> Reply:
    return Reply(content=content, **kwargs)


def tool_call(name: str, arguments: Mapping[str, Any] | str | None = None, **kwargs: Any) -> Reply:
    return Reply(tool_calls=(ToolCall(name, {} if arguments is None else arguments),), **kwargs)


def text_tool_call(
    name: str, arguments: Mapping[str, Any], prefix: str = "", **kwargs: Any
) -> Reply:
    """A text-protocol reply: the call written inside <tool_call> tags in the content."""
    body = json.dumps({"name": name, "arguments": dict(arguments)})
    return Reply(content=f"{prefix}<tool_call>{body}</tool_call>", **kwargs)


# --- recorded requests --------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    index: int
    path: str
    headers: Mapping[str, str]
    body: dict[str, Any]
    received_at: float

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


# --- the server ----------------------------------------------------------------


class ScriptedOpenAIServer:
    """An OpenAI-compatible server whose replies are scripted.

    Usage::

        with ScriptedOpenAIServer([tool_call("probe", {"guess": 5}), text("done")]) as server:
            client = AsyncOpenAI(base_url=server.url, api_key="x")
    """

    def __init__(
        self,
        script: Iterable[ScriptItem] = (),
        *,
        handler: Handler | None = None,
        model: str = "scripted-model",
        record_requests: bool = True,
    ) -> None:
        self._script: deque[ScriptItem] = deque(script)
        self._handler = handler
        self.model = model
        self.record_requests = record_requests
        self.requests: list[RecordedRequest] = []
        self.request_count = 0
        self.max_in_flight = 0
        self._in_flight = 0
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._stopping: asyncio.Event | None = None
        self._port: int | None = None

    # lifecycle ------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the scripted server is not started")
        return f"http://127.0.0.1:{self._port}/v1"

    def start(self) -> ScriptedOpenAIServer:
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._serve())
            except BaseException as exc:  # reported to start()
                failure.append(exc)
                ready.set()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            loop.close()

        self._thread = threading.Thread(target=run, name="scripted-openai-server", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise RuntimeError("the scripted server failed to start") from failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        loop = self._loop
        if self._stopping is not None:
            loop.call_soon_threadsafe(self._stopping.set)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(10)
        self._thread = None
        self._loop = None

    def __enter__(self) -> ScriptedOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    async def __aenter__(self) -> ScriptedOpenAIServer:
        return self.start()

    async def __aexit__(self, *exc: object) -> None:
        self.stop()

    # scripting ------------------------------------------------------------------

    def enqueue(self, *items: ScriptItem) -> None:
        with self._lock:
            self._script.extend(items)

    def set_handler(self, handler: Handler | None) -> None:
        self._handler = handler

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._script)

    # serving --------------------------------------------------------------------

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def _shutdown(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _models(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"object": "list", "data": [{"id": self.model, "object": "model"}]}
        )

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        index = next(self._counter)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            body = await request.json()
            recorded = RecordedRequest(
                index=index,
                path=request.path,
                headers=dict(request.headers),
                body=body,
                received_at=time.monotonic(),
            )
            with self._lock:
                self.request_count += 1
                if self.record_requests:
                    self.requests.append(recorded)
            item = await self._next_item(recorded)
            return await self._respond(item, recorded, request)
        finally:
            self._in_flight -= 1

    async def _next_item(self, request: RecordedRequest) -> ScriptItem | None:
        if self._handler is not None:
            result = self._handler(request)
            if inspect.isawaitable(result):
                result = await result
            return result
        with self._lock:
            return self._script.popleft() if self._script else None

    async def _respond(
        self, item: ScriptItem | None, request: RecordedRequest, http_request: web.Request
    ) -> web.StreamResponse:
        if item is None:
            # Not retryable, so a test that under-scripts fails fast with a clear message.
            return _error(400, f"scripted server has no reply left for request {request.index}")
        if isinstance(item, Status):
            return _error(item.status, item.message, item.headers)
        if isinstance(item, Hang):
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=item.seconds)
            return _error(504, "scripted hang finished")
        if isinstance(item, Raw):
            return web.Response(
                status=item.status, body=item.body.encode(), content_type=item.content_type
            )
        if isinstance(item, Drop):
            transport = http_request.transport
            if transport is not None:
                transport.abort()
            return web.Response(status=500)  # never reaches the client
        if item.delay > 0:
            await asyncio.sleep(item.delay)
        return web.json_response(self._completion(item, request), headers=dict(item.headers))

    def _completion(self, reply: Reply, request: RecordedRequest) -> dict[str, Any]:
        calls = [
            {
                "id": f"call_{request.index}_{n}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.arguments
                    if isinstance(call.arguments, str)
                    else json.dumps(dict(call.arguments)),
                },
            }
            for n, call in enumerate(reply.tool_calls)
        ]
        message: dict[str, Any] = {"role": "assistant", "content": reply.content}
        if calls:
            message["tool_calls"] = calls
        finish = reply.finish_reason or ("tool_calls" if calls else "stop")
        completion: dict[str, Any] = {
            "id": f"chatcmpl-{request.index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.body.get("model", self.model),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        }
        if reply.include_usage:
            completion["usage"] = {
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "total_tokens": reply.prompt_tokens + reply.completion_tokens,
            }
        return completion


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> web.Response:
    body = {"error": {"message": message, "type": "scripted_error", "code": status}}
    return web.json_response(body, status=status, headers=dict(headers or {}))
