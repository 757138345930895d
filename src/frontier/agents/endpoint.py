"""One OpenAI-compatible endpoint: a client, its adaptive concurrency limit, and our retries.

Solver and teacher requests go through `Endpoint.chat`, so rate limits,
timeouts and retries are handled once. Endpoints are shared through an
`EndpointPool` keyed by base URL and key, so every model on one server shares
one limit. A pool belongs to one event loop (its HTTP connections do): create
one per `asyncio.run` and close it at the end.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from frontier.agents.credentials import redact, resolve_api_key
from frontier.agents.errors import HarnessError
from frontier.agents.limiter import AdaptiveConcurrency, LimitChange
from frontier.agents.retry import (
    RETRYABLE_STATUS,
    RetryPolicy,
    budget_exhausted,
    retry_after_seconds,
)
from frontier.domain.redaction import redact_deep, redact_url
from frontier.domain.specs import ModelRef

log = logging.getLogger(__name__)

_MESSAGE_LIMIT = 300


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
        # max_retries=0: our retries are the only ones, so every retry is counted.
        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, max_retries=0)

    def redact(self, value: Any) -> Any:
        """The key itself, and anything credential-shaped (a masked echo of it, a `?key=`
        in a URL), replaced: nothing of a key is kept."""
        return redact_deep(redact(value, self._api_key))

    async def aclose(self) -> None:
        await self.client.close()

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
                raw = await self.client.chat.completions.with_raw_response.create(
                    **params, timeout=timeout
                )
                headers: Mapping[str, str] = raw.headers
                completion = _parse_completion(raw)
                failure = None
            except _NotACompletion as exc:
                failure = _Failure("invalid_response", str(exc), False)
            except openai.APIStatusError as exc:
                failure = _status_failure(exc)
            except openai.APITimeoutError:
                failure = _Failure("timeout", f"no response within {timeout:g}s", True)
            except openai.APIConnectionError as exc:
                failure = _Failure("connection", _cause_text(exc), True)
            except openai.APIError as exc:  # e.g. a response that is not a completion
                failure = _Failure("invalid_response", _cause_text(exc), False)
            finally:
                self.limiter.release()
            if failure is None:
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


class _NotACompletion(Exception):
    """A 2xx reply whose body is not a chat completion (a proxy's HTML page, truncated JSON)."""


def _parse_completion(raw: Any) -> ChatCompletion:
    try:
        parsed = raw.parse()
    except (ValueError, TypeError) as exc:  # JSONDecodeError and pydantic errors are ValueErrors
        raise _NotACompletion(
            f"the reply is not a chat completion ({type(exc).__name__}: {exc})"
        ) from None
    if not isinstance(parsed, ChatCompletion):
        content_type = raw.headers.get("content-type", "unknown")
        raise _NotACompletion(
            f"the reply is not a chat completion (content-type {content_type}: {str(parsed)!r})"
        )
    if not parsed.choices:
        raise _NotACompletion("the reply is a completion without choices")
    return parsed


def _cause_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    cause = exc.__cause__
    if cause is not None and str(cause):
        text = f"{text} ({type(cause).__name__}: {cause})"
    return text


def _status_failure(exc: openai.APIStatusError) -> _Failure:
    status = exc.status_code
    headers = exc.response.headers
    message = str(exc)
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
