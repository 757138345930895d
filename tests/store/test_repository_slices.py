"""Slices: numbered versions with ordered, immutable membership."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from frontier.store import NotFoundError, SliceImmutableError, SliceRecord, Store, StoreError
from frontier.store.models import SliceMemberRow
from tests.store.builders import FRONTIER, seeded, task


def _tasks(store: Store, n: int) -> list[str]:
    frontier = seeded(store)
    tasks = [task() for _ in range(n)]
    store.add_tasks(frontier, tasks)
    return [t.id for t in tasks]


def test_a_published_slice_keeps_its_members_in_order(store: Store) -> None:
    ids = _tasks(store, 4)
    members = [ids[2], ids[0], ids[3]]
    published = store.publish_slice(FRONTIER, 1, members, stats={"families": {"product": 3}})
    assert published.task_ids == tuple(members)
    assert (published.version, published.parent_version, published.size) == (1, None, 3)
    assert store.get_slice(FRONTIER, 1) == published
    assert store.latest_slice(FRONTIER) == published


def test_republishing_the_same_version_and_members_is_a_no_op(store: Store) -> None:
    ids = _tasks(store, 2)
    first = store.publish_slice(FRONTIER, 1, ids)
    again = store.publish_slice(FRONTIER, 1, ids, stats={"ignored": True})
    assert again == first


@pytest.mark.parametrize(
    "change",
    [
        lambda ids: ids[:1],
        lambda ids: list(reversed(ids)),
        lambda ids: [*ids, "extra"],
    ],
    ids=["fewer", "reordered", "more"],
)
def test_a_published_version_cannot_change_its_members(store: Store, change) -> None:  # type: ignore[no-untyped-def]
    ids = _tasks(store, 3)
    store.publish_slice(FRONTIER, 1, ids)
    with pytest.raises(
        SliceImmutableError, match="immutable; publish a new version \\(next is 2\\)"
    ):
        store.publish_slice(FRONTIER, 1, change(ids))
    assert store.get_slice(FRONTIER, 1).task_ids == tuple(ids)  # type: ignore[union-attr]


def test_a_published_version_cannot_change_its_parent(store: Store) -> None:
    ids = _tasks(store, 2)
    store.publish_slice(FRONTIER, 1, ids)
    store.publish_slice(FRONTIER, 2, ids, parent_version=1)
    with pytest.raises(SliceImmutableError):
        store.publish_slice(FRONTIER, 2, ids, parent_version=None)


def test_versions_list_oldest_first_and_the_next_version_follows_the_latest(store: Store) -> None:
    ids = _tasks(store, 3)
    assert store.latest_slice(FRONTIER) is None
    assert store.next_slice_version(FRONTIER) == 1
    store.publish_slice(FRONTIER, 1, ids[:1])
    store.publish_slice(FRONTIER, 2, ids, parent_version=1)
    assert store.slice_versions(FRONTIER) == [1, 2]
    assert [s.task_ids for s in store.slices(FRONTIER)] == [tuple(ids[:1]), tuple(ids)]
    assert store.latest_slice(FRONTIER).version == 2  # type: ignore[union-attr]
    assert store.get_slice(FRONTIER, 1).task_ids == tuple(ids[:1])  # type: ignore[union-attr]
    assert store.next_slice_version(FRONTIER) == 3


def test_an_empty_slice_can_be_published(store: Store) -> None:
    seeded(store)
    assert store.publish_slice(FRONTIER, 1, []).task_ids == ()


def test_a_slice_naming_unknown_tasks_is_refused_naming_them(store: Store) -> None:
    ids = _tasks(store, 1)
    with pytest.raises(NotFoundError, match="ghost"):
        store.publish_slice(FRONTIER, 1, [ids[0], "ghost"])
    assert store.get_slice(FRONTIER, 1) is None


def test_a_slice_listing_a_task_twice_is_refused(store: Store) -> None:
    ids = _tasks(store, 1)
    with pytest.raises(StoreError, match="twice"):
        store.publish_slice(FRONTIER, 1, [ids[0], ids[0]])


def test_a_missing_parent_version_is_refused(store: Store) -> None:
    ids = _tasks(store, 1)
    with pytest.raises(NotFoundError, match="parent slice version 4"):
        store.publish_slice(FRONTIER, 1, ids, parent_version=4)


def test_slice_versions_start_at_1(store: Store) -> None:
    seeded(store)
    with pytest.raises(StoreError, match="numbered from 1"):
        store.publish_slice(FRONTIER, 0, [])


def test_members_of_a_large_slice_are_stored_in_order(store: Store) -> None:
    ids = _tasks(store, 6_000)
    assert store.publish_slice(FRONTIER, 1, ids[::-1]).task_ids == tuple(ids[::-1])


def test_membership_rows_cannot_be_duplicated_even_by_hand(store: Store) -> None:
    ids = _tasks(store, 2)
    store.publish_slice(FRONTIER, 1, ids)
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(update(SliceMemberRow).values(task_id=ids[0]))


def test_two_writers_publishing_the_same_version_at_once_both_get_the_one_slice(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _tasks(store, 50)
    results: list[object] = []
    barrier = threading.Barrier(4)
    read_slice = Store._slice

    def slow_when_absent(self: Store, conn: Any, fid: int, version: int) -> SliceRecord | None:
        found = read_slice(self, conn, fid, version)
        if found is None:
            time.sleep(0.2)  # every writer sees "not published yet" before any inserts
        return found

    monkeypatch.setattr(Store, "_slice", slow_when_absent)

    def publish() -> None:
        barrier.wait()
        try:
            results.append(store.publish_slice(FRONTIER, 1, ids))
        except BaseException as exc:  # pragma: no cover - asserted below
            results.append(exc)

    threads = [threading.Thread(target=publish) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(not isinstance(r, BaseException) for r in results), results
    assert {r.task_ids for r in results} == {tuple(ids)}  # type: ignore[attr-defined]
    assert store.slice_versions(FRONTIER) == [1]


def test_slice_families_counts_each_versions_tasks_by_family_from_its_members(
    store: Store,
) -> None:
    frontier = seeded(store)
    products = [task(family="product") for _ in range(3)]
    vouchers = [task(family="voucher") for _ in range(2)]
    store.add_tasks(frontier, [*products, *vouchers])
    store.publish_slice(FRONTIER, 1, [products[0].id, vouchers[0].id], stats={})
    store.publish_slice(
        FRONTIER, 2, [t.id for t in (*products, vouchers[1])], parent_version=1, stats={}
    )
    store.publish_slice(FRONTIER, 3, [], parent_version=2)
    other = seeded(store, "default/other")
    store.add_tasks(other, [products[0].model_copy(update={"family": "web"})])
    store.publish_slice(other, 1, [products[0].id])
    assert store.slice_families(FRONTIER) == {
        1: {"product": 1, "voucher": 1},
        2: {"product": 3, "voucher": 1},
        3: {},
    }
    assert store.slice_families(other) == {1: {"web": 1}}
