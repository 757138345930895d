"""Runs: created idempotently, a conflicting re-create names the differing fields, phases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from frontier.domain.specs import TaskSetRef
from frontier.store import ConcurrencyChange, ConflictError, NotFoundError, Store, StoreError
from tests.store.builders import FRONTIER, model, ok, profile_run, seeded

AT = datetime(2026, 3, 1, 12, 0, 0, 250_000, tzinfo=UTC)


def test_a_created_run_has_its_settings_and_is_pending(store: Store) -> None:
    run = profile_run(store, k=3)
    assert (run.name, run.frontier, run.kind, run.model_name, run.k, run.shards) == (
        "shop-profile-1",
        FRONTIER,
        "profile",
        "solver",
        3,
        1,
    )
    assert run.phase == "Pending" and run.finished_at is None
    assert run.task_set == {"kind": "base"}
    assert run.model_spec["name"] == "solver"
    assert store.get_run(run.name) == run
    assert store.require_run(run.name) == run


def test_creating_the_same_run_again_returns_it_unchanged(store: Store) -> None:
    first = profile_run(store)
    store.set_run_phase(first.name, "Running")
    again = profile_run(store)
    assert again.phase == "Running"
    assert again.created_at == first.created_at
    assert len(store.runs(FRONTIER)) == 1


def test_creating_a_run_of_the_same_name_with_other_settings_names_the_fields(
    store: Store,
) -> None:
    profile_run(store, k=4)
    with pytest.raises(ConflictError) as raised:
        profile_run(store, k=8, model_ref=model("other-solver"))
    message = str(raised.value)
    assert "'shop-profile-1'" in message
    assert "model_name" in message and "model_spec" in message and "k" in message
    assert "task_set" not in message and "shards" not in message


def test_a_run_of_the_same_name_under_another_frontier_is_a_conflict_naming_frontier(
    store: Store,
) -> None:
    profile_run(store)
    seeded(store, "other")
    with pytest.raises(ConflictError, match="other frontier"):
        store.create_run(
            "shop-profile-1",
            frontier="other",
            kind="profile",
            model=model(),
            task_set=TaskSetRef(kind="base"),
            k=4,
        )


@pytest.mark.parametrize(
    ("kind", "k", "shards", "match"),
    [
        ("bogus", 4, 1, "run kind must be"),
        ("profile", 0, 1, "k and shards must be at least 1"),
        ("profile", 4, 0, "k and shards must be at least 1"),
    ],
)
def test_invalid_run_settings_are_rejected_before_writing(
    store: Store, kind: str, k: int, shards: int, match: str
) -> None:
    seeded(store)
    with pytest.raises(StoreError, match=match):
        store.create_run(
            "bad",
            frontier=FRONTIER,
            kind=kind,  # type: ignore[arg-type]
            model=model(),
            task_set={"kind": "base"},
            k=k,
            shards=shards,
        )
    assert store.get_run("bad") is None


def test_runs_are_listed_in_creation_order_and_filter_by_kind(store: Store) -> None:
    seeded(store)
    for name, kind in (("p", "profile"), ("v1", "verification"), ("v2", "verification")):
        store.create_run(
            name,
            frontier=FRONTIER,
            kind=kind,  # type: ignore[arg-type]
            model=model(name),
            task_set={"kind": "base"},
            k=2,
        )
    assert [r.name for r in store.runs(FRONTIER)] == ["p", "v1", "v2"]
    assert [r.name for r in store.runs(FRONTIER, kind="verification")] == ["v1", "v2"]


def test_a_terminal_phase_finishes_the_run_and_stats_merge(store: Store) -> None:
    run = profile_run(store)
    running = store.set_run_phase(run.name, "Running", stats={"a": 1})
    assert running.finished_at is None
    done = store.set_run_phase(run.name, "Succeeded", stats={"b": 2})
    assert done.phase == "Succeeded"
    assert done.stats == {"a": 1, "b": 2}
    assert done.finished_at is not None
    again = store.set_run_phase(run.name, "Succeeded")
    assert again.finished_at == done.finished_at
    reopened = store.set_run_phase(run.name, "Running")
    assert reopened.finished_at is None
    forced = store.set_run_phase(run.name, "Paused", finished=True)
    assert forced.finished_at is not None


def test_concurrency_changes_are_kept_at_the_times_they_happened(store: Store) -> None:
    run = profile_run(store)
    store.record_concurrency(
        run.name,
        [ConcurrencyChange(AT, 8, "start"), ConcurrencyChange(AT + timedelta(seconds=3), 4, "429")],
        shard=0,
    )
    history = store.require_run(run.name).concurrency_history
    assert history == [
        {"at": "2026-03-01T12:00:00.250000+00:00", "concurrency": 8, "reason": "start", "shard": 0},
        {"at": "2026-03-01T12:00:03.250000+00:00", "concurrency": 4, "reason": "429", "shard": 0},
    ]


def test_shards_recorded_in_any_order_merge_into_one_history_ordered_by_time(
    store: Store,
) -> None:
    run = profile_run(store)
    late = [ConcurrencyChange(AT + timedelta(seconds=s), c) for s, c in ((1, 8), (5, 4))]
    early = [ConcurrencyChange(AT + timedelta(seconds=s), c) for s, c in ((0, 8), (2, 2))]
    store.record_concurrency(run.name, late, shard=1)
    store.record_concurrency(run.name, early, shard=0)
    history = store.require_run(run.name).concurrency_history
    assert [(h["shard"], h["concurrency"]) for h in history] == [(0, 8), (1, 8), (0, 2), (1, 4)]


def test_a_concurrency_change_without_a_time_zone_is_refused(store: Store) -> None:
    run = profile_run(store)
    with pytest.raises(StoreError, match="timezone-aware"):
        store.record_concurrency(run.name, [ConcurrencyChange(datetime(2026, 3, 1), 8)])


def test_unknown_runs_are_not_found_by_name(store: Store) -> None:
    assert store.get_run("ghost") is None
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.require_run("ghost")
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.set_run_phase("ghost", "Running")
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.ingest_rollouts("ghost", [ok("t", 0, 0.5)])
    with pytest.raises(NotFoundError, match="'ghost'"):
        store.count_rollouts("ghost")
