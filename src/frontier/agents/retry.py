"""When and how long to retry a request, and how to read an endpoint's wait hints.

Retries are ours alone (the openai client's are disabled) so every one is
counted in the trace. Transient failures (429, 5xx, 408, connection errors,
timeouts) back off exponentially with jitter; a Retry-After or rate-limit
reset header from the endpoint overrides the computed delay.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

RETRYABLE_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))


@dataclass(frozen=True)
class RetryPolicy:
    """Backoff delays; the number of retries comes from the ModelRef (`maxRetries`)."""

    base_delay: float = 1.0
    max_delay: float = 60.0
    max_retry_after: float = 300.0
    """A Retry-After longer than this is capped (a broken header must not stall a run for hours)."""

    def delay(self, retry: int, retry_after: float | None, rng: random.Random) -> float:
        """Seconds to wait before retry number `retry` (0-based)."""
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after) + rng.uniform(0, self.base_delay * 0.1)
        ceiling = min(self.max_delay, self.base_delay * (2**retry))
        return rng.uniform(ceiling / 2, ceiling)


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def parse_duration(value: str, *, now: float | None = None) -> float | None:
    """Seconds in a header value: '2', '1.5', '20ms', '6m0s', '1h2m3.5s', a unix time or an HTTP date."""
    value = value.strip()
    if not value:
        return None
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if number > 1e9:  # a unix timestamp (x-ratelimit-reset on some providers)
            return max(0.0, number - (now if now is not None else time.time()))
        return max(0.0, number)
    parts = _DURATION_PART.findall(value)
    if parts and "".join(n + u for n, u in parts) == value.replace(" ", ""):
        scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
        return sum(float(n) * scale[u] for n, u in parts)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (now if now is not None else time.time()))


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """The wait an error response asks for: retry-after-ms, retry-after, then rate-limit resets."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        ms = parse_duration(lowered["retry-after-ms"])
        if ms is not None:
            return ms / 1000
    if "retry-after" in lowered:
        seconds = parse_duration(lowered["retry-after"])
        if seconds is not None:
            return seconds
    return reset_seconds(lowered)


def reset_seconds(headers: Mapping[str, str]) -> float | None:
    """The longest x-ratelimit-reset* wait in `headers`, if any."""
    waits = [
        parse_duration(v) for k, v in headers.items() if k.lower().startswith("x-ratelimit-reset")
    ]
    known = [w for w in waits if w is not None]
    return max(known) if known else None


def budget_exhausted(headers: Mapping[str, str]) -> float | None:
    """After a success: the reset wait of any x-ratelimit-remaining-<kind> that is 0."""
    lowered = {k.lower(): v for k, v in headers.items()}
    waits: list[float] = []
    for key, value in lowered.items():
        if key.startswith("x-ratelimit-remaining") and value.strip() in {"0", "0.0"}:
            kind = key[len("x-ratelimit-remaining") :]
            reset = lowered.get("x-ratelimit-reset" + kind)
            wait = parse_duration(reset) if reset is not None else None
            if wait is not None:
                waits.append(wait)
    return max(waits) if waits else None
