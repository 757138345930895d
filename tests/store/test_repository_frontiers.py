"""Frontiers: created once, spec updates bump the generation, keys parse, deletes cascade."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from frontier.domain.specs import TaskSetRef
from frontier.store import NotFoundError, Store, StoreError, parse_frontier_key
from frontier.store.models import AttemptFailureRow
from tests.store.builders import error, model, ok, profile_run, task


def test_upsert_creates_a_frontier_at_generation_1(store: Store) -> None:
    record = store.upsert_frontier("shop", {"benchmark": {"name": "shoppingbench"}})
    assert (record.namespace, record.name, record.generation) == ("default", "shop", 1)
    assert record.key == "default/shop"
    assert store.get_frontier("shop") == record


def test_upsert_with_the_same_spec_keeps_the_generation(store: Store) -> None:
    first = store.upsert_frontier("team/shop", {"a": 1, "b": [1, 2]})
    again = store.upsert_frontier("team/shop", {"b": [1, 2], "a": 1})
    assert again.generation == first.generation == 1
    assert again.updated_at == first.updated_at


def test_upsert_with_a_changed_spec_bumps_the_generation_and_stores_it(store: Store) -> None:
    store.upsert_frontier("shop", {"slice": {"size": 150}})
    changed = store.upsert_frontier("shop", {"slice": {"size": 100}})
    assert changed.generation == 2
    assert store.get_frontier("default/shop").spec == {"slice": {"size": 100}}  # type: ignore[union-attr]


def test_namespace_keyword_and_namespace_slash_name_name_the_same_frontier(store: Store) -> None:
    a = store.upsert_frontier("shop", {"x": 1}, namespace="team")
    b = store.upsert_frontier("team/shop", {"x": 1})
    assert a.key == b.key == "team/shop"
    assert [f.key for f in store.frontiers()] == ["team/shop"]


def test_frontiers_are_listed_by_namespace_then_name(store: Store) -> None:
    for key in ("b/z", "a/y", "b/a"):
        store.upsert_frontier(key, {})
    assert [f.key for f in store.frontiers()] == ["a/y", "b/a", "b/z"]


@pytest.mark.parametrize("bad", ["", "/", "ns/", "/name"])
def test_a_malformed_frontier_key_is_a_store_error_quoting_it(bad: str) -> None:
    with pytest.raises(StoreError, match="invalid frontier name"):
        parse_frontier_key(bad)


def test_a_bare_name_is_in_the_default_namespace() -> None:
    assert parse_frontier_key("shop") == ("default", "shop")
    assert parse_frontier_key("team/shop") == ("team", "shop")


def test_methods_on_an_unknown_frontier_raise_not_found_naming_it(store: Store) -> None:
    assert store.get_frontier("nope") is None
    with pytest.raises(NotFoundError, match="default/nope"):
        store.add_tasks("nope", [task()])
    with pytest.raises(NotFoundError, match="default/nope"):
        store.get_tasks("nope")


def test_deleting_a_frontier_removes_everything_it_owns(store: Store) -> None:
    run = profile_run(store)
    t = task()
    store.add_tasks(run.frontier, [t])
    store.ingest_rollouts(run.name, [ok(t.id, 0, 0.5), error(t.id, 1)])
    store.record_candidates(run.frontier, 1, [t])
    store.start_round(run.frontier, 1)
    store.publish_slice(run.frontier, 1, [t.id])
    store.add_event(run.frontier, "RoundStarted", "round 1")
    store.shard_started(run.frontier, "rollouts", run.name, 0)
    other = store.upsert_frontier("other", {})
    store.create_run(
        "other-run", frontier=other.key, kind="profile", model=model(), task_set=TaskSetRef(), k=1
    )

    assert store.delete_frontier(run.frontier) is True

    assert store.get_frontier(run.frontier) is None
    assert store.get_run(run.name) is None
    with store.engine.connect() as conn:
        failures = conn.execute(select(func.count()).select_from(AttemptFailureRow)).scalar_one()
    assert failures == 0
    assert store.get_run("other-run") is not None
    assert store.delete_frontier(run.frontier) is False
    recreated = store.upsert_frontier(run.frontier, {})
    assert store.get_tasks(recreated.key) == []
    assert store.get_slice(recreated.key) is None
    assert store.events(recreated.key) == []
