"""The first round's endpoint transport, kept for the bench only: the OpenAI SDK's client.

`SdkEndpoint` is `frontier.agents.endpoint.Endpoint` with its request made the
way it was before the aiohttp transport: `AsyncOpenAI(...).chat.completions.
with_raw_response.create(**params)`, the SDK's exceptions mapped to the same
failures, the reply parsed by the SDK. The limiter, retries and redaction are
the Endpoint's own (inherited), so the only difference measured is the
transport. Two clients:

  httpx    the SDK's default (what shipped in the first round)
  aiohttp  the SDK on aiohttp (`openai.DefaultAioHttpClient`, the `aiohttp`
           extra): the route issue 21 asked to try first
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from frontier.agents.endpoint import Endpoint, _Failure, _NotACompletion
from frontier.agents.retry import RETRYABLE_STATUS, retry_after_seconds


class SdkEndpoint(Endpoint):
    """An Endpoint whose requests go through the OpenAI SDK (bench only, not production)."""

    def __init__(self, base_url: str, api_key: str, *, client: str, **kwargs: Any) -> None:
        super().__init__(base_url, api_key, **kwargs)
        http_client = openai.DefaultAioHttpClient() if client == "aiohttp" else None
        # max_retries=0: our retries are the only ones, as before
        self.client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, http_client=http_client
        )

    async def aclose(self) -> None:
        await self.client.close()
        await super().aclose()

    async def _post(
        self, params: Mapping[str, Any], timeout: float
    ) -> tuple[ChatCompletion | None, Mapping[str, str], _Failure | None]:
        try:
            raw = await self.client.chat.completions.with_raw_response.create(
                **params, timeout=timeout
            )
            return _parse_completion(raw), raw.headers, None
        except _NotACompletion as exc:
            return None, {}, _Failure("invalid_response", str(exc), False)
        except openai.APIStatusError as exc:
            return None, exc.response.headers, _status_failure(exc)
        except openai.APITimeoutError:
            return None, {}, _Failure("timeout", f"no response within {timeout:g}s", True)
        except openai.APIConnectionError as exc:
            return None, {}, _Failure("connection", str(exc), True)
        except openai.APIError as exc:
            return None, {}, _Failure("invalid_response", str(exc), False)


def _parse_completion(raw: Any) -> ChatCompletion:
    try:
        parsed = raw.parse()
    except (ValueError, TypeError) as exc:
        raise _NotACompletion(f"the reply is not a chat completion ({exc})") from None
    if not isinstance(parsed, ChatCompletion) or not parsed.choices:
        raise _NotACompletion("the reply is not a chat completion")
    return parsed


def _status_failure(exc: openai.APIStatusError) -> _Failure:
    status = exc.status_code
    return _Failure(
        kind="rate_limited" if status == 429 else "http_error",
        message=str(exc),
        retryable=status in RETRYABLE_STATUS,
        status=status,
        retry_after=retry_after_seconds(exc.response.headers)
        if status in RETRYABLE_STATUS
        else None,
    )
