"""Shard progress: a resumed stage skips done shards; restarts count attempts."""

from __future__ import annotations

from frontier.store import Store
from tests.store.builders import FRONTIER, seeded


def test_a_started_shard_is_running_on_its_first_attempt(store: Store) -> None:
    seeded(store)
    record = store.shard_started(FRONTIER, "rollouts", "run-1", 0)
    assert (record.status, record.attempts, record.finished_at) == ("running", 1, None)


def test_restarting_a_shard_counts_attempts_and_clears_the_finish(store: Store) -> None:
    seeded(store)
    store.shard_started(FRONTIER, "rollouts", "run-1", 0)
    store.shard_failed(FRONTIER, "rollouts", "run-1", 0, error="OOMKilled")
    again = store.shard_started(FRONTIER, "rollouts", "run-1", 0)
    assert (again.status, again.attempts, again.finished_at) == ("running", 2, None)


def test_done_shards_are_those_finished_done_for_the_stage_and_scope(store: Store) -> None:
    seeded(store)
    for shard in range(4):
        store.shard_started(FRONTIER, "rollouts", "run-1", shard)
    store.shard_done(FRONTIER, "rollouts", "run-1", 0, detail={"tasks": 10})
    store.shard_done(FRONTIER, "rollouts", "run-1", 2)
    store.shard_failed(FRONTIER, "rollouts", "run-1", 3, error="boom")
    store.shard_done(FRONTIER, "rollouts", "run-2", 1)
    store.shard_done(FRONTIER, "mutate", "run-1", 1)
    assert store.done_shards(FRONTIER, "rollouts", "run-1") == {0, 2}
    records = store.shards(FRONTIER, "rollouts", "run-1")
    assert [(r.shard, r.status) for r in records] == [
        (0, "done"),
        (1, "running"),
        (2, "done"),
        (3, "failed"),
    ]
    assert records[0].detail == {"tasks": 10}
    assert records[3].detail == {"error": "boom"}
    assert records[0].finished_at is not None


def test_a_shard_may_be_marked_done_without_being_started(store: Store) -> None:
    seeded(store)
    record = store.shard_done(FRONTIER, "verify", "slice-1", 5)
    assert (record.status, record.attempts) == ("done", 1)
