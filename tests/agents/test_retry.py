"""Backoff delays and the wait hints endpoints send (Retry-After, rate-limit resets)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from frontier.agents.retry import (
    RetryPolicy,
    budget_exhausted,
    parse_duration,
    retry_after_seconds,
)

NOW = 1_800_000_000.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        ("1.5", 1.5),
        ("20ms", 0.02),
        ("6m0s", 360.0),
        ("1h2m3.5s", 3723.5),
        ("-3", 0.0),
        (str(NOW + 12), 12.0),
        (format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True), 30.0),
    ],
    ids=["seconds", "fraction", "ms", "go-duration", "hours", "negative", "unix-time", "http-date"],
)
def test_header_durations_are_read_in_every_common_form(value: str, seconds: float) -> None:
    assert parse_duration(value, now=NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "soon", "5 parsecs", "1x"])
def test_unreadable_durations_are_none(value: str) -> None:
    assert parse_duration(value, now=NOW) is None


def test_retry_after_ms_wins_over_retry_after_which_wins_over_resets() -> None:
    headers = {"Retry-After-Ms": "250", "Retry-After": "9", "x-ratelimit-reset-requests": "30s"}
    assert retry_after_seconds(headers) == 0.25
    assert retry_after_seconds({"retry-after": "9", "x-ratelimit-reset-tokens": "30s"}) == 9
    assert retry_after_seconds({}) is None


def test_without_retry_after_the_longest_reset_is_used() -> None:
    headers = {"x-ratelimit-reset-requests": "2s", "x-ratelimit-reset-tokens": "1m"}
    assert retry_after_seconds(headers) == 60.0


def test_a_spent_budget_after_a_success_reports_its_reset() -> None:
    spent = {"x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "1.5s"}
    assert budget_exhausted(spent) == 1.5
    left = {"x-ratelimit-remaining-tokens": "10", "x-ratelimit-reset-tokens": "1.5s"}
    assert budget_exhausted(left) is None


def test_backoff_grows_exponentially_with_jitter_up_to_the_maximum() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=8.0)
    rng = random.Random(0)
    for retry, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (3, 8.0), (6, 8.0)]:
        delays = [policy.delay(retry, None, rng) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered


def test_retry_after_overrides_the_backoff_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_retry_after=60.0)
    rng = random.Random(0)
    assert 7.0 <= policy.delay(0, 7.0, rng) <= 7.1
    assert 60.0 <= policy.delay(0, 3600.0, rng) <= 60.1
