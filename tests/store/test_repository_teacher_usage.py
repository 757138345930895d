"""Teacher usage: what the teacher spent per round, parent and attempt at that parent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from frontier.store import Store, TeacherSpend
from tests.store.builders import FRONTIER, seeded

SPEND = TeacherSpend(
    model="teacher", requests=2, input_tokens=1000, output_tokens=200, cost_usd=0.012
)


def test_a_parents_spend_is_stored_with_its_round_and_read_back(store: Store) -> None:
    seeded(store)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 1, SPEND)
    (found,) = store.teacher_usage(FRONTIER)
    assert (found.round, found.parent_id, found.attempt, found.spend) == (1, "parent-a", 1, SPEND)


def test_the_same_attempt_stored_twice_counts_once(store: Store) -> None:
    seeded(store)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 1, SPEND)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 1, SPEND)
    assert len(store.teacher_usage(FRONTIER)) == 1


def test_a_redone_parent_counts_what_each_attempt_spent(store: Store) -> None:
    seeded(store)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 1, SPEND)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 2, SPEND)
    assert sum(u.spend.cost_usd for u in store.teacher_usage(FRONTIER)) == 2 * SPEND.cost_usd


def test_usage_is_read_by_round_and_since_a_moment(store: Store) -> None:
    seeded(store)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 1, SPEND)
    later = datetime.now(UTC) + timedelta(microseconds=1)
    store.record_teacher_usage(FRONTIER, 2, "parent-b", 1, SPEND)
    assert [u.parent_id for u in store.teacher_usage(FRONTIER, round=1)] == ["parent-a"]
    assert [u.round for u in store.teacher_usage(FRONTIER, since=later)] == [2]


def test_deleting_a_frontier_deletes_its_teacher_usage(store: Store) -> None:
    seeded(store)
    store.record_teacher_usage(FRONTIER, 1, "parent-a", 1, SPEND)
    store.delete_frontier(FRONTIER)
    seeded(store)
    assert store.teacher_usage(FRONTIER) == []
