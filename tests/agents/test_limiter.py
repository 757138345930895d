from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from frontier.agents.limiter import AdaptiveConcurrency


async def run_jobs(limiter: AdaptiveConcurrency, jobs: int, seconds: float = 0.01) -> int:
    peak = 0

    async def job() -> None:
        nonlocal peak
        await limiter.acquire()
        try:
            peak = max(peak, limiter.in_flight)
            await asyncio.sleep(seconds)
        finally:
            limiter.release()

    await asyncio.gather(*(job() for _ in range(jobs)))
    return peak


async def test_never_more_requests_in_flight_than_the_limit() -> None:
    limiter = AdaptiveConcurrency(3)
    assert await run_jobs(limiter, 20) == 3
    assert limiter.in_flight == 0


async def test_a_burst_of_429s_under_one_limit_halves_it_once() -> None:
    limiter = AdaptiveConcurrency(8)
    generations = [await limiter.acquire() for _ in range(4)]
    for generation in generations:
        limiter.release()
        limiter.on_rate_limited(generation)
    assert limiter.limit == 4
    assert [(c.limit, c.reason) for c in limiter.history] == [(8, "start"), (4, "rate_limited")]
    assert await run_jobs(limiter, 12) == 4


async def test_429s_under_the_new_limit_halve_it_again_down_to_the_minimum() -> None:
    limiter = AdaptiveConcurrency(4, min_limit=1)
    for _ in range(4):
        generation = await limiter.acquire()
        limiter.release()
        limiter.on_rate_limited(generation)
    assert [c.limit for c in limiter.history] == [4, 2, 1]


async def test_limit_grows_back_by_one_after_a_run_of_successes_up_to_the_maximum() -> None:
    limiter = AdaptiveConcurrency(4, grow_after=3)
    limiter.on_rate_limited(await limiter.acquire())
    limiter.release()
    assert limiter.limit == 2
    for _ in range(2):
        limiter.on_success()
    assert limiter.limit == 2
    limiter.on_success()
    assert limiter.limit == 3
    for _ in range(10):
        limiter.on_success()
    assert limiter.limit == 4
    assert [(c.limit, c.reason) for c in limiter.history][-2:] == [
        (3, "recovered"),
        (4, "recovered"),
    ]


async def test_a_429_resets_the_run_of_successes() -> None:
    limiter = AdaptiveConcurrency(4, grow_after=3, initial=2)
    limiter.on_success()
    limiter.on_success()
    stale = -1  # from an older generation: no shrink, but the run restarts
    limiter.on_rate_limited(stale)
    limiter.on_success()
    assert limiter.limit == 2


async def test_retry_after_pauses_every_new_request() -> None:
    limiter = AdaptiveConcurrency(4)
    limiter.on_rate_limited(await limiter.acquire(), retry_after=0.2)
    limiter.release()
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.19
    assert limiter.history[-1].reason == "rate_limited retry_after=0.2s"


async def test_a_pending_reset_pauses_without_shrinking() -> None:
    limiter = AdaptiveConcurrency(4)
    limiter.on_reset_pending(0.15)
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started >= 0.14
    assert limiter.limit == 4
    assert limiter.history[-1].reason == "rate_limit_reset 0.15s"


async def test_pauses_are_capped() -> None:
    limiter = AdaptiveConcurrency(2, max_pause_seconds=0.05)
    limiter.pause(3600)
    started = time.monotonic()
    await limiter.acquire()
    assert time.monotonic() - started < 1


def test_bounds_are_validated() -> None:
    with pytest.raises(ValueError, match="min_limit"):
        AdaptiveConcurrency(2, min_limit=3)


def test_history_records_are_json_ready() -> None:
    limiter = AdaptiveConcurrency(2)
    [record] = limiter.history_records()
    assert record["limit"] == 2 and record["reason"] == "start"
    assert isinstance(record["time"], float)


async def test_each_change_is_stamped_with_the_wall_clock_not_the_pause_clock() -> None:
    wall = iter([1_700_000_000.0, 1_700_000_007.5])
    limiter = AdaptiveConcurrency(4, clock=lambda: 5.0, wall_clock=lambda: next(wall))
    generation = await limiter.acquire()
    limiter.release()
    limiter.on_rate_limited(generation)
    assert [(c.time, c.limit) for c in limiter.history] == [
        (1_700_000_000.0, 4),
        (1_700_000_007.5, 2),
    ]
    assert limiter.history[1].at == datetime(2023, 11, 14, 22, 13, 27, 500_000, tzinfo=UTC)


async def test_a_watch_sees_the_limit_when_it_began_and_only_the_changes_after() -> None:
    wall = iter(float(t) for t in range(100, 110))
    limiter = AdaptiveConcurrency(8, clock=lambda: 0.0, wall_clock=lambda: next(wall))
    limiter.on_rate_limited(await limiter.acquire())
    limiter.release()
    watch = limiter.watch()
    limiter.on_rate_limited(await limiter.acquire())
    limiter.release()
    assert [(c.time, c.limit, c.reason) for c in watch.changes()] == [
        (102.0, 4, "start"),
        (103.0, 2, "rate_limited"),
    ]
