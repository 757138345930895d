"""Rounds: started once (a resumed round is the same round), phases, finishing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontier.store import ConcurrencyChange, NotFoundError, Store, StoreError
from tests.store.builders import FRONTIER, seeded


def test_a_started_round_is_running_with_its_trigger(store: Store) -> None:
    seeded(store)
    record = store.start_round(FRONTIER, 1, trigger="saturation", from_slice_version=None)
    assert (record.number, record.trigger, record.phase, record.finished_at) == (
        1,
        "saturation",
        "Running",
        None,
    )
    assert store.get_round(FRONTIER, 1) == record


def test_starting_a_round_again_returns_it_unchanged(store: Store) -> None:
    seeded(store)
    first = store.start_round(FRONTIER, 1, trigger="initial")
    store.set_round_phase(FRONTIER, 1, "Admitting")
    again = store.start_round(FRONTIER, 1, trigger="something else")
    assert (again.trigger, again.phase, again.started_at) == (
        "initial",
        "Admitting",
        first.started_at,
    )
    assert len(store.rounds(FRONTIER)) == 1


def test_rounds_are_listed_by_number(store: Store) -> None:
    seeded(store)
    for n in (3, 1, 2):
        store.start_round(FRONTIER, n)
    assert [r.number for r in store.rounds(FRONTIER)] == [1, 2, 3]


def test_round_numbers_start_at_1(store: Store) -> None:
    seeded(store)
    with pytest.raises(StoreError, match="numbered from 1"):
        store.start_round(FRONTIER, 0)


def test_phases_merge_stats_and_terminal_phases_finish_the_round(store: Store) -> None:
    seeded(store)
    store.start_round(FRONTIER, 1)
    store.set_round_phase(FRONTIER, 1, "Mutating", stats={"parents": 40})
    done = store.set_round_phase(FRONTIER, 1, "Succeeded", stats={"admitted": 7})
    assert done.stats == {"parents": 40, "admitted": 7}
    assert done.finished_at is not None


def test_finish_round_sets_the_phase_and_keeps_the_first_finish_time(store: Store) -> None:
    seeded(store)
    store.start_round(FRONTIER, 1)
    finished = store.finish_round(FRONTIER, 1, stats={"admitted": 3})
    assert (finished.phase, finished.stats) == ("Succeeded", {"admitted": 3})
    failed = store.finish_round(FRONTIER, 1, "Failed")
    assert failed.finished_at == finished.finished_at and failed.phase == "Failed"


def test_an_unknown_round_is_not_found(store: Store) -> None:
    seeded(store)
    assert store.get_round(FRONTIER, 5) is None
    with pytest.raises(NotFoundError, match="no round 5"):
        store.set_round_phase(FRONTIER, 5, "Running")


def test_a_round_keeps_its_teacher_endpoints_concurrency_changes_by_time(store: Store) -> None:
    seeded(store)
    assert store.start_round(FRONTIER, 1).concurrency_history == []
    at = datetime(2026, 3, 1, 12, tzinfo=UTC)
    store.record_round_concurrency(
        FRONTIER, 1, [ConcurrencyChange(at + timedelta(seconds=4), 2, "429")], shard=1
    )
    store.record_round_concurrency(FRONTIER, 1, [ConcurrencyChange(at, 4, "start")], shard=0)
    found = store.get_round(FRONTIER, 1)
    assert found is not None
    assert found.concurrency_history == [
        {"at": "2026-03-01T12:00:00.000000+00:00", "concurrency": 4, "reason": "start", "shard": 0},
        {"at": "2026-03-01T12:00:04.000000+00:00", "concurrency": 2, "reason": "429", "shard": 1},
    ]
    with pytest.raises(NotFoundError, match="no round 2"):
        store.record_round_concurrency(FRONTIER, 2, [ConcurrencyChange(at, 4)])
