"""A concurrency limit per endpoint that adapts to rate limits.

A fixed limit is either too low (slow) or too high (a storm of 429s and
retries). Like Inspect's adaptive connections, the limit halves when the
endpoint answers 429, pauses every request while a Retry-After or a
rate-limit reset is pending, and grows back by one after a run of successes.
Every change is kept in `history`, stamped with the wall-clock time it happened,
so a run can store how its limit moved and when.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import NamedTuple


class LimitChange(NamedTuple):
    time: float
    """Unix time of the change (wall clock, not the monotonic clock that times pauses)."""
    limit: int
    reason: str

    @property
    def at(self) -> datetime:
        """The time of the change as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time, UTC)


class HistoryWatch:
    """The changes of one limiter from the moment it is watched, led by the limit then.

    A limiter outlives a shard when a pool is shared (a local loop, a test), so
    a shard stores what it saw, not the limiter's whole past.
    """

    def __init__(self, history: list[LimitChange], start: LimitChange) -> None:
        self._history = history
        self._mark = len(history)
        self._start = start

    def changes(self) -> list[LimitChange]:
        return [self._start, *self._history[self._mark :]]


class AdaptiveConcurrency:
    """At most `limit` requests in flight; `min_limit <= limit <= max_limit`.

    `acquire()` returns a generation token; pass it to `on_rate_limited` so a
    burst of 429s from requests issued under the same limit halves it once,
    not once per request.
    """

    def __init__(
        self,
        max_limit: int,
        *,
        min_limit: int = 1,
        initial: int | None = None,
        grow_after: int = 10,
        max_pause_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if max_limit < 1 or min_limit < 1 or min_limit > max_limit:
            raise ValueError(f"need 1 <= min_limit ({min_limit}) <= max_limit ({max_limit})")
        if grow_after < 1:
            raise ValueError("grow_after must be at least 1")
        self.max_limit = max_limit
        self.min_limit = min_limit
        self.limit = max(min_limit, min(max_limit, initial if initial is not None else max_limit))
        self.grow_after = grow_after
        self.max_pause_seconds = max_pause_seconds
        self._clock = clock
        self._wall = wall_clock
        self.in_flight = 0
        self.paused_until = 0.0
        self._generation = 0
        self._successes = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.history: list[LimitChange] = [LimitChange(self._wall(), self.limit, "start")]

    # slots ------------------------------------------------------------------------

    async def acquire(self) -> int:
        while True:
            wait = self.paused_until - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            if self.in_flight < self.limit:
                self.in_flight += 1
                return self._generation
            future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(future)
            try:
                await future
            finally:
                if future in self._waiters:
                    self._waiters.remove(future)

    def release(self) -> None:
        self.in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        free = self.limit - self.in_flight
        while free > 0 and self._waiters:
            future = self._waiters.popleft()
            if not future.done():
                future.set_result(None)
                free -= 1

    # feedback ----------------------------------------------------------------------

    def on_success(self) -> None:
        self._successes += 1
        if self.limit < self.max_limit and self._successes >= self.grow_after:
            self._set(self.limit + 1, "recovered")
            self._wake()

    def on_rate_limited(self, generation: int, retry_after: float | None = None) -> None:
        """A 429 for a request issued under `generation`: halve the limit (once per burst), pause."""
        note = "rate_limited"
        if retry_after is not None and retry_after > 0:
            self.pause(retry_after)
            note += f" retry_after={retry_after:g}s"
        self._successes = 0
        if generation == self._generation and self.limit > self.min_limit:
            self._set(max(self.min_limit, self.limit // 2), note)
        elif retry_after:
            self.history.append(LimitChange(self._wall(), self.limit, note))

    def on_reset_pending(self, seconds: float, reason: str = "rate_limit_reset") -> None:
        """The endpoint said its budget is spent until a reset: pause without shrinking."""
        if seconds > 0:
            self.pause(seconds)
            self.history.append(LimitChange(self._wall(), self.limit, f"{reason} {seconds:g}s"))

    def pause(self, seconds: float) -> None:
        seconds = min(seconds, self.max_pause_seconds)
        self.paused_until = max(self.paused_until, self._clock() + seconds)

    def _set(self, limit: int, reason: str) -> None:
        self.limit = limit
        self._generation += 1
        self._successes = 0
        self.history.append(LimitChange(self._wall(), limit, reason))

    def watch(self) -> HistoryWatch:
        """Start collecting the changes from now on (see HistoryWatch)."""
        return HistoryWatch(self.history, LimitChange(self._wall(), self.limit, "start"))

    def history_records(self) -> list[dict[str, object]]:
        """The history as JSON-ready records (for the run's status or the store)."""
        return [{"time": c.time, "limit": c.limit, "reason": c.reason} for c in self.history]
