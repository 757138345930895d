"""Tasks: idempotent adds, lineage and payload round-trip unchanged, filters, order."""

from __future__ import annotations

import pytest

from frontier.domain.tasks import Lineage
from frontier.store import Store, StoreError
from tests.store.builders import child, seeded, task

NASTY_TEXTS = [
    "Robert'); DROP TABLE tasks;--",
    "a \"quoted\" 'single' `backtick` $(rm -rf /) && echo $HOME | tee /etc/passwd; \\n \\",
    "100% _wildcards_ LIKE '%' ESCAPE '\\'",
    "ünïcödé 日本語の商品 emoji 🛒🧪 RTL עברית zero\u200bwidth",
    "line one\nline two\r\n\ttabbed",
    '{"json": [1, 2]} ${VAR} %s %(name)s ? :param',
]


def test_added_tasks_come_back_equal_in_the_order_added(store: Store) -> None:
    frontier = seeded(store)
    tasks = [task() for _ in range(5)]
    assert store.add_tasks(frontier, tasks) == 5
    assert store.get_tasks(frontier) == tasks
    assert store.task_ids(frontier) == [t.id for t in tasks]
    assert store.count_tasks(frontier) == 5


def test_adding_the_same_tasks_again_adds_nothing(store: Store) -> None:
    frontier = seeded(store)
    tasks = [task() for _ in range(3)]
    store.add_tasks(frontier, tasks)
    extra = task()
    assert store.add_tasks(frontier, [*tasks, extra, extra]) == 1
    assert store.count_tasks(frontier) == 4


def test_adding_from_a_generator_stores_every_task(store: Store) -> None:
    frontier = seeded(store)
    tasks = [task() for _ in range(4)]
    assert store.add_tasks(frontier, (t for t in tasks)) == 4
    assert store.get_tasks(frontier) == tasks


def test_task_text_with_quotes_sql_shell_and_unicode_round_trips_unchanged(store: Store) -> None:
    frontier = seeded(store)
    tasks = [
        task(text, payload={"query": text, "nested": {"k'ey\"": [text, None, 1.5, True]}})
        for text in NASTY_TEXTS
    ]
    store.add_tasks(frontier, tasks)
    back = store.get_tasks(frontier)
    assert back == tasks
    assert [t.query for t in back] == NASTY_TEXTS
    assert store.count_tasks(frontier) == len(NASTY_TEXTS)


def test_lineage_is_stored_with_the_task(store: Store) -> None:
    frontier = seeded(store)
    parent = task()
    kid = child(parent, round=2, motif="add_voucher")
    store.add_tasks(frontier, [parent, kid])
    stored = store.get_task(frontier, kid.id)
    assert stored is not None
    assert stored.lineage == Lineage(
        origin="procedural",
        parent_id=parent.id,
        root_id=parent.id,
        motif="add_voucher",
        round=2,
        depth=1,
    )
    assert stored.root_id == parent.id


def test_tasks_filter_by_origin_round_family_and_ids(store: Store) -> None:
    frontier = seeded(store)
    base = [task(family="product"), task(family="shop")]
    r1 = child(base[0], round=1)
    r2 = child(base[1], round=2)
    store.add_tasks(frontier, [*base, r1, r2])
    assert store.get_tasks(frontier, origin="base") == base
    assert store.get_tasks(frontier, origin="procedural", round=2) == [r2]
    assert store.get_tasks(frontier, family="shop") == [base[1], r2]
    assert store.get_tasks(frontier, ids=[r2.id, base[0].id, "missing"]) == [base[0], r2]
    assert store.task_ids(frontier, origin="procedural") == [r1.id, r2.id]
    assert store.count_tasks(frontier, origin="base") == 2
    assert store.get_task(frontier, "missing") is None


def test_tasks_of_one_frontier_are_invisible_to_another(store: Store) -> None:
    a = seeded(store, "a")
    b = seeded(store, "b")
    shared = task()
    store.add_tasks(a, [shared])
    assert store.get_tasks(b) == []
    assert store.add_tasks(b, [shared]) == 1


def test_more_ids_than_one_in_list_holds_are_fetched_in_chunks(store: Store) -> None:
    frontier = seeded(store)
    tasks = [task() for _ in range(6_000)]
    assert store.add_tasks(frontier, tasks) == 6_000
    wanted = [t.id for t in tasks[::2]]
    assert [t.id for t in store.get_tasks(frontier, ids=wanted)] == wanted
    assert store.add_tasks(frontier, tasks) == 0


def test_a_value_longer_than_its_column_is_refused_on_every_backend_naming_the_field(
    store: Store,
) -> None:
    frontier = seeded(store)
    parent = task()
    too_long = child(parent, motif="m" * 129)
    with pytest.raises(StoreError, match=r"tasks\.motif holds at most 128 characters, got 129"):
        store.add_tasks(frontier, [parent, too_long])
    assert store.count_tasks(frontier) == 0
    with pytest.raises(StoreError, match=r"events\.reason holds at most 128"):
        store.add_event(frontier, "R" * 200, "message")
    with pytest.raises(StoreError, match=r"rounds\.trigger"):
        store.start_round(frontier, 1, trigger="t" * 129)


def test_a_task_whose_text_holds_a_nul_character_is_refused_naming_the_field(
    store: Store,
) -> None:
    frontier = seeded(store)
    with pytest.raises(StoreError, match=r"tasks\.query contains a NUL character"):
        store.add_tasks(frontier, [task("bad\x00query")])
    assert store.count_tasks(frontier) == 0


def test_a_nul_character_inside_a_payload_round_trips(store: Store) -> None:
    frontier = seeded(store)
    t = task("fine", payload={"raw": "a\x00b"})
    store.add_tasks(frontier, [t])
    assert store.get_tasks(frontier) == [t]
