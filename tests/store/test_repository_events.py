"""Events: stored in order, filtered, the most recent ones on request, secrets redacted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontier.store import Store, StoreError
from tests.store.builders import FRONTIER, seeded

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def test_events_come_back_oldest_first_with_their_data(store: Store) -> None:
    seeded(store)
    store.add_event(FRONTIER, "RoundStarted", "round 1", data={"round": 1}, at=T0)
    store.add_event(
        FRONTIER, "SaturationDetected", "slice saturated", type="Warning", at=T0 + timedelta(1)
    )
    events = store.events(FRONTIER)
    assert [(e.reason, e.type, e.data) for e in events] == [
        ("RoundStarted", "Normal", {"round": 1}),
        ("SaturationDetected", "Warning", {}),
    ]
    assert events[0].at == T0


def test_events_filter_by_reason_and_time_and_limit_keeps_the_newest(store: Store) -> None:
    seeded(store)
    for i in range(5):
        store.add_event(FRONTIER, "Tick" if i % 2 else "Tock", f"event {i}", at=T0 + timedelta(i))
    assert [e.message for e in store.events(FRONTIER, reason="Tick")] == ["event 1", "event 3"]
    assert [e.message for e in store.events(FRONTIER, since=T0 + timedelta(3))] == [
        "event 3",
        "event 4",
    ]
    assert [e.message for e in store.events(FRONTIER, limit=2)] == ["event 3", "event 4"]


def test_timestamps_come_back_timezone_aware_in_utc(store: Store) -> None:
    seeded(store)
    local = datetime(2026, 6, 1, 14, 0, tzinfo=UTC).astimezone(
        __import__("datetime").timezone(timedelta(hours=2))
    )
    store.add_event(FRONTIER, "R", "m", at=local)
    (event,) = store.events(FRONTIER)
    assert event.at == local and event.at.tzinfo == UTC


def test_a_naive_timestamp_is_refused(store: Store) -> None:
    seeded(store)
    with pytest.raises(Exception, match="timezone-aware"):
        store.add_event(FRONTIER, "R", "m", at=datetime(2026, 1, 1))


def test_an_unknown_event_type_is_refused(store: Store) -> None:
    seeded(store)
    with pytest.raises(StoreError, match="Normal or Warning"):
        store.add_event(FRONTIER, "R", "m", type="Error")  # type: ignore[arg-type]
