"""One OpenAI-compatible endpoint: an HTTP session, its adaptive concurrency limit, and our retries.

Solver and teacher requests go through `Endpoint.chat`, so rate limits,
timeouts and retries are handled once. Endpoints are shared through an
`EndpointPool` keyed by base URL and key, so every model on one server shares
one limit. A pool belongs to one event loop (its HTTP connections do): create
one per `asyncio.run` and close it at the end (`async with EndpointPool()`).

The transport is a plain aiohttp session: the request body is posted as JSON
bytes and the reply is read into the SDK's `ChatCompletion` type by pydantic
(`model_validate_json`; a reply the strict model rejects is read leniently, as
the SDK reads every reply). The OpenAI SDK's own client cost 5-10x the CPU of
the HTTP calls it makes (docs/PERFORMANCE.md, "Harness throughput"); what it
did for us (auth header, timeout, status errors, Retry-After) is here, with our
own retries as before.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import random
import ssl
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from openai.types.chat import ChatCompletion, ChatCompletionMessage
from pydantic import ValidationError
from yarl import URL

from frontier.agents.credentials import NO_KEY, redact, resolve_api_key
from frontier.agents.errors import HarnessError
from frontier.agents.limiter import AdaptiveConcurrency, LimitChange
from frontier.agents.retry import (
    RETRYABLE_STATUS,
    RetryPolicy,
    budget_exhausted,
    retry_after_seconds,
)
from frontier.domain.redaction import redact_deep, redact_text, redact_url
from frontier.domain.specs import ModelRef

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 300
_KEEPALIVE_SECONDS = 5.0
"""Idle connections are dropped after this (httpx's default), no later than uvicorn (which
serves vLLM) closes them, so a request is seldom sent on a connection the server is closing."""
_SDK_ENV_HEADERS = {"OpenAI-Organization": "OPENAI_ORG_ID", "OpenAI-Project": "OPENAI_PROJECT_ID"}


@dataclass
class RequestStats:
    """What the retries of one rollout (or teacher call) cost: counted, with their causes."""

    retries: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"retries": self.retries, "events": list(self.events)}


@dataclass(frozen=True)
class _Failure:
    kind: str
    message: str
    retryable: bool
    status: int | None = None
    retry_after: float | None = None


class Endpoint:
    """Chat completions against one base URL, with adaptive concurrency and counted retries."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        concurrency: int = 8,
        policy: RetryPolicy | None = None,
        grow_after: int = 10,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url
        self._api_key = api_key
        self.policy = policy or RetryPolicy()
        self.limiter = AdaptiveConcurrency(concurrency, grow_after=grow_after)
        self._rng = rng or random.Random()
        url = URL(base_url.rstrip("/") + "/chat/completions")
        authorization = f"Bearer {api_key}"
        if url.user is not None:  # credentials in the URL win, as they did with httpx
            userpass = f"{url.user}:{url.password or ''}".encode()
            authorization = f"Basic {base64.b64encode(userpass).decode()}"
            url = url.with_user(None)
        self._url = url
        self._headers = {
            "Authorization": authorization,
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        # sent by the SDK's client whenever these are set, whatever the endpoint
        for header, variable in _SDK_ENV_HEADERS.items():
            if value := os.environ.get(variable):
                self._headers[header] = value
        self._proxy = _env_proxy(url)
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def redact(self, value: Any) -> Any:
        """The key itself, and anything credential-shaped (a masked echo of it, a `?key=`
        in a URL), replaced: nothing of a key is kept."""
        return _redact_walk(value, self._api_key)

    @property
    def session(self) -> aiohttp.ClientSession:
        """The endpoint's HTTP session, opened on first use in the running event loop."""
        if self._session is None or self._session.closed:
            # No connection limit of its own: the limiter bounds the requests in flight.
            # The environment's proxy is looked up once (_env_proxy), not per request as
            # trust_env would (two thread hops a request, and a netrc entry's auth).
            connector = aiohttp.TCPConnector(
                limit=0, keepalive_timeout=_KEEPALIVE_SECONDS, ssl=_ssl_context(self._url)
            )
            self._session = aiohttp.ClientSession(connector=connector, headers=self._headers)
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        """Like the SDK's httpx timeout: `seconds` to connect and between reads, no total."""
        found = self._timeouts.get(seconds)
        if found is None:
            found = aiohttp.ClientTimeout(
                total=None, connect=seconds, sock_connect=seconds, sock_read=seconds
            )
            self._timeouts[seconds] = found
        return found

    async def _post(
        self, params: Mapping[str, Any], timeout: float
    ) -> tuple[ChatCompletion | None, Mapping[str, str], _Failure | None]:
        """One request: (the completion, headers, None), or (None, headers, why it failed)."""
        body = json.dumps(params, ensure_ascii=False).encode()
        try:
            async with self.session.post(
                self._url, data=body, timeout=self._timeout(timeout), proxy=self._proxy
            ) as reply:
                content = await reply.read()
                headers: Mapping[str, str] = reply.headers
                status = reply.status
        except TimeoutError:  # aiohttp's timeouts are TimeoutErrors (and client errors)
            return None, {}, _Failure("timeout", f"no response within {timeout:g}s", True)
        except aiohttp.ClientError as exc:  # refused, dropped, reset, bad HTTP, TLS
            return None, {}, _Failure("connection", _cause_text(exc), True)
        if not 200 <= status < 300:
            return None, headers, _status_failure(status, headers, content)
        try:
            completion = _parse_completion(content, headers.get("content-type", "unknown"))
        except _NotACompletion as exc:
            return None, headers, _Failure("invalid_response", str(exc), False)
        return completion, headers, None

    async def chat(
        self,
        params: Mapping[str, Any],
        *,
        timeout: float,
        max_retries: int,
        stats: RequestStats | None = None,
    ) -> ChatCompletion:
        """One chat completion; raises HarnessError when it fails for good (with its cause)."""
        stats = stats if stats is not None else RequestStats()
        retry = 0
        while True:
            generation = await self.limiter.acquire()
            started = time.monotonic()
            try:
                completion, headers, failure = await self._post(params, timeout)
            finally:
                self.limiter.release()
            if failure is None:
                assert completion is not None
                self.limiter.on_success()
                wait = budget_exhausted(headers)
                if wait is not None:
                    self.limiter.on_reset_pending(wait)
                return completion
            if failure.status == 429:
                self.limiter.on_rate_limited(generation, failure.retry_after)
            # redact the whole text first: a key cut in half would escape the exact match
            cause = self.redact(_describe(failure))[:_MESSAGE_LIMIT]
            if not failure.retryable:
                raise HarnessError(cause, retries=retry, status=failure.status)
            if retry >= max_retries:
                raise HarnessError(
                    f"{cause} (retry budget of {max_retries} spent)",
                    retries=retry,
                    status=failure.status,
                )
            delay = self.policy.delay(retry, failure.retry_after, self._rng)
            stats.retries += 1
            stats.events.append(
                {
                    "kind": failure.kind,
                    "status": failure.status,
                    "retry_after": failure.retry_after,
                    "delay": round(delay, 4),
                    "elapsed": round(time.monotonic() - started, 4),
                }
            )
            log.info(
                "endpoint %s: %s; retry %d/%d in %.2fs",
                redact_url(self.base_url),
                cause,
                retry + 1,
                max_retries,
                delay,
            )
            await asyncio.sleep(delay)
            retry += 1


def _env_proxy(url: URL) -> str | None:
    """The proxy the environment names for `url` (HTTP(S)_PROXY, NO_PROXY), as httpx used."""
    if url.host is None or urllib.request.proxy_bypass(url.host):
        return None
    return urllib.request.getproxies().get(url.scheme)


def _redact_walk(value: Any, key: str) -> Any:
    """`redact_deep(redact(value, key))` in one walk (a rollout's trace is redacted whole)."""
    if not key or key == NO_KEY or len(key) < 4:
        return redact_deep(value)
    kind = type(value)
    if kind is str:
        return redact_text(value.replace(key, "[redacted]"))
    if kind is dict:
        return {k: _redact_walk(v, key) for k, v in value.items()}
    if kind is list:
        return [_redact_walk(v, key) for v in value]
    if isinstance(value, str | dict | list | tuple):  # subclasses, tuples: the general path
        return redact_deep(redact(value, key))
    return value


def _ssl_context(url: URL) -> ssl.SSLContext | bool:
    """For https: the CA bundle httpx (and so the SDK) trusted, SSL_CERT_FILE/DIR first;
    for http, aiohttp's default (verified, should a redirect lead to https)."""
    if url.scheme != "https":
        return True
    cafile = os.environ.get("SSL_CERT_FILE")
    capath = os.environ.get("SSL_CERT_DIR")
    if cafile is None and capath is None:
        import certifi

        cafile = certifi.where()
    return ssl.create_default_context(cafile=cafile, capath=capath)


class _NotACompletion(Exception):
    """A 2xx reply whose body is not a chat completion (a proxy's HTML page, truncated JSON)."""


def _parse_completion(content: bytes, content_type: str) -> ChatCompletion:
    """The completion in a 2xx body: validated by pydantic, or read leniently like the SDK."""
    try:
        completion = ChatCompletion.model_validate_json(content)
    except ValidationError:
        completion = _lenient_completion(content, content_type)
    if not completion.choices:
        raise _NotACompletion("the reply is a completion without choices")
    return completion


def _lenient_completion(content: bytes, content_type: str) -> ChatCompletion:
    """A reply the strict model rejects (an unknown finish_reason, a missing field): read as
    the SDK reads every reply (`construct`), unless it is no completion at all."""
    try:
        data = json.loads(content)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        if "json" in content_type:
            raise _NotACompletion(
                f"the reply is not a chat completion ({type(exc).__name__}: {exc})"
            ) from None
        text = content.decode("utf-8", errors="replace")
        raise _NotACompletion(
            f"the reply is not a chat completion (content-type {content_type}: {text!r})"
        ) from None
    if not isinstance(data, dict):
        raise _NotACompletion(
            f"the reply is not a chat completion (content-type {content_type}: {data!r})"
        )
    completion = ChatCompletion.construct(**data)
    choices = completion.choices if isinstance(completion.choices, list) else None
    if choices and not all(
        isinstance(getattr(c, "message", None), ChatCompletionMessage) for c in choices
    ):
        raise _NotACompletion("the reply is a completion whose choices have no message")
    return completion


def _cause_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if not text.startswith(type(exc).__name__):
        text = f"{type(exc).__name__}: {text}"
    cause = exc.__cause__
    if cause is not None and str(cause):
        text = f"{text} ({type(cause).__name__}: {cause})"
    return text


def _status_failure(status: int, headers: Mapping[str, str], content: bytes) -> _Failure:
    """An error status, described as the SDK did: the code and the body's error message."""
    message = f"Error code: {status}"
    try:
        body = json.loads(content)
    except ValueError:
        body = None
    error = body.get("error", body) if isinstance(body, dict) else None
    text = error.get("message") if isinstance(error, dict) else None
    if isinstance(text, str) and text:
        message += f" - {text}"
    kind = "rate_limited" if status == 429 else ("server_error" if status >= 500 else "http_error")
    return _Failure(
        kind=kind,
        message=message,
        retryable=status in RETRYABLE_STATUS,
        status=status,
        retry_after=retry_after_seconds(headers) if status in RETRYABLE_STATUS else None,
    )


def _describe(failure: _Failure) -> str:
    if failure.status is not None:
        return f"{failure.kind} (HTTP {failure.status}): {failure.message}"
    return f"{failure.kind}: {failure.message}"


class EndpointPool:
    """The endpoints of one run, one per (base URL, API key); also their limit histories."""

    def __init__(self, policy: RetryPolicy | None = None, *, grow_after: int = 10) -> None:
        self.policy = policy or RetryPolicy()
        self.grow_after = grow_after
        self._endpoints: dict[tuple[str, str], Endpoint] = {}

    def get(self, model: ModelRef, base_url: str | None = None) -> Endpoint:
        """The endpoint for `model` (created on first use with the model's concurrency bound)."""
        url = base_url or model.base_url
        if url is None:
            raise ValueError(f"model {model.name!r} has no baseUrl")
        key = resolve_api_key(model)
        endpoint = self._endpoints.get((url, key))
        if endpoint is None:
            endpoint = Endpoint(
                url,
                key,
                concurrency=model.concurrency,
                policy=self.policy,
                grow_after=self.grow_after,
            )
            self._endpoints[(url, key)] = endpoint
        return endpoint

    def history(self) -> dict[str, list[LimitChange]]:
        """Each endpoint's concurrency history, keyed by base URL (never by key)."""
        result: dict[str, list[LimitChange]] = {}
        for (url, _), endpoint in self._endpoints.items():
            label = url
            n = 2
            while label in result:
                label = f"{url}#{n}"
                n += 1
            result[label] = list(endpoint.limiter.history)
        return result

    async def aclose(self) -> None:
        for endpoint in self._endpoints.values():
            await endpoint.aclose()
        self._endpoints.clear()

    async def __aenter__(self) -> EndpointPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
