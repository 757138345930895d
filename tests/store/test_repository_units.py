"""Units of work: many store calls in one transaction, undone together, retried together."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.exc import IntegrityError, OperationalError

from frontier.store import Store
from frontier.store.models import utcnow
from frontier.store.tables import events


class Boom(Exception):
    pass


def _count_transactions(store: Store) -> list[int]:
    begun: list[int] = []

    @event.listens_for(store.engine, "begin")
    def _begin(_conn: Any) -> None:
        begun.append(1)

    return begun


def test_every_call_inside_atomically_shares_one_transaction(store: Store) -> None:
    begun = _count_transactions(store)

    def several() -> int:
        store.upsert_frontier("shop", {"a": 1})
        store.upsert_frontier("shop", {"a": 2})
        assert store.get_frontier("shop") is not None
        return len(store.frontiers())

    assert store.atomically(several) == 1
    assert len(begun) == 1
    assert store.get_frontier("shop").generation == 2  # type: ignore[union-attr]


def test_a_failure_inside_atomically_undoes_every_call_before_it(store: Store) -> None:
    def fails_after_writing() -> None:
        store.upsert_frontier("shop", {"a": 1})
        store.add_event("shop", "Note", "written, then undone")
        raise Boom

    with pytest.raises(Boom):
        store.atomically(fails_after_writing)
    assert store.get_frontier("shop") is None


def test_a_write_that_fails_inside_atomically_undoes_only_itself(store: Store) -> None:
    """Each write is a savepoint: a caller that handles a database error keeps the rest
    (on PostgreSQL a failed statement would otherwise spoil the whole transaction)."""

    def one_write_fails() -> None:
        store.upsert_frontier("shop", {"a": 1})
        with pytest.raises(IntegrityError), store._write() as conn:
            conn.execute(
                insert(events).values(
                    frontier_id=-1, at=utcnow(), type="Normal", reason="R", message="", data={}
                )
            )
        store.add_event("shop", "Note", "kept")

    store.atomically(one_write_fails)
    assert [e.message for e in store.events("shop")] == ["kept"]


def test_atomically_inside_atomically_joins_the_outer_transaction(store: Store) -> None:
    begun = _count_transactions(store)

    def outer() -> None:
        store.upsert_frontier("shop", {"a": 1})
        store.atomically(store.add_event, "shop", "Note", "inner")

    store.atomically(outer)
    assert len(begun) == 1
    assert [e.message for e in store.events("shop")] == ["inner"]


def test_a_transient_failure_inside_atomically_reruns_the_whole_unit_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("frontier.store.retry.time.sleep", lambda _: None)
    calls: list[int] = []

    def locked_the_first_time() -> None:
        calls.append(1)
        store.upsert_frontier("shop", {"a": len(calls)})
        if len(calls) == 1:
            # raised from inside a store call: that call must not retry on its own
            raise OperationalError("INSERT ...", {}, sqlite3.OperationalError("database is locked"))

    store.atomically(locked_the_first_time)
    assert len(calls) == 2
    record = store.get_frontier("shop")
    assert record is not None
    assert (record.spec, record.generation) == ({"a": 2}, 1)  # the first attempt left nothing


def test_a_store_call_inside_a_unit_is_not_retried_on_its_own(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("frontier.store.retry.time.sleep", lambda _: None)
    real = Store._frontier_id
    failures: list[int] = []

    def locked_once(self: Store, conn: Any, frontier: str) -> int:
        if not failures:
            failures.append(1)
            raise OperationalError("SELECT ...", {}, sqlite3.OperationalError("database is locked"))
        return real(self, conn, frontier)

    store.upsert_frontier("shop", {"a": 1})
    monkeypatch.setattr(Store, "_frontier_id", locked_once)
    units: list[int] = []

    def unit() -> None:
        units.append(1)
        store.add_event("shop", "Note", f"attempt {len(units)}")

    store.atomically(unit)
    assert len(units) == 2  # the unit ran again; the call inside did not retry alone
    assert [e.message for e in store.events("shop")] == ["attempt 2"]


def test_a_frontier_deleted_and_recreated_inside_a_unit_is_found_under_its_new_id(
    store: Store,
) -> None:
    store.upsert_frontier("shop", {"a": 1})

    def recreate() -> list[str]:
        store.add_event("shop", "Note", "before")
        store.delete_frontier("shop")
        store.upsert_frontier("shop", {"a": 2})
        store.add_event("shop", "Note", "after")
        return [e.message for e in store.events("shop")]

    assert store.atomically(recreate) == ["after"]
