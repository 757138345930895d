"""Engines: DSN handling, the JSON serializer, SQLite settings for a multi-threaded writer, Postgres pooling,
and a clear error (without the password) for a database that cannot be reached."""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text

from frontier.store import Store, StoreError, StoreUnavailableError, default_dsn, safe_dsn
from frontier.store.engine import (
    DSN_ENV,
    RawJSON,
    check_reachable,
    compact_json,
    make_engine,
    parse_dsn,
    stable_json,
)
from tests.store.builders import ok, profile_run


def test_the_default_dsn_is_frontier_db_or_an_sqlite_file_under_dot_frontier(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(DSN_ENV, raising=False)
    assert default_dsn() == "sqlite:///.frontier/frontier.db"
    monkeypatch.setenv(DSN_ENV, "postgresql://u@db/frontier")
    assert default_dsn() == "postgresql://u@db/frontier"


def test_a_bare_postgresql_dsn_uses_psycopg_3() -> None:
    assert parse_dsn("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_dsn("postgres://u@h/db").drivername == "postgresql+psycopg"


def test_an_unsupported_database_is_named_and_the_password_hidden() -> None:
    with pytest.raises(StoreError, match="unsupported database 'mysql'") as raised:
        parse_dsn("mysql://user:hunter2@h/db")
    assert "hunter2" not in str(raised.value)


def test_an_unparseable_dsn_shows_an_example() -> None:
    with pytest.raises(StoreError, match=r"invalid database DSN: expected e\.g\. sqlite:///"):
        parse_dsn("not a dsn")


def test_safe_dsn_masks_the_password() -> None:
    assert safe_dsn("postgresql://bob:hunter2@db:5432/f") == "postgresql://bob:***@db:5432/f"
    assert safe_dsn("::") == "<invalid DSN>"


def test_an_sqlite_engine_creates_the_folder_and_uses_wal_foreign_keys_and_a_busy_timeout(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deep" / "er" / "f.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_a_postgres_engine_pings_connections_before_use_and_bounds_its_pool() -> None:
    engine = make_engine("postgresql://u@127.0.0.1:5432/db")
    try:
        assert engine.pool._pre_ping is True
        assert engine.pool.size() == 5  # type: ignore[attr-defined]
        assert engine.pool._recycle == 1800
    finally:
        engine.dispose()


def test_an_unreachable_database_is_a_store_unavailable_error_without_the_password() -> None:
    with pytest.raises(StoreUnavailableError, match="cannot reach database") as raised:
        Store.connect("postgresql://bob:hunter2@127.0.0.1:1/frontier")
    assert "hunter2" not in str(raised.value)
    assert "bob:***@127.0.0.1:1/frontier" in str(raised.value)


def test_threads_writing_to_one_store_at_once_lose_nothing(store: Store) -> None:
    run = profile_run(store)
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for a in range(25):
                store.ingest_rollouts(run.name, [ok(f"task-{worker}", a, 0.5)])
                store.add_event(run.frontier, "Tick", f"{worker}:{a}")
        except BaseException as exc:  # pragma: no cover - asserted below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_rollouts(run.name) == 100
    assert len(store.events(run.frontier)) == 100


def test_a_connection_to_a_new_file_another_writer_holds_waits_for_it(tmp_path: Path) -> None:
    # a file still in rollback-journal mode whose writer holds its RESERVED lock (as a
    # concurrent `db upgrade` does while the file is new): switching to WAL needs the
    # EXCLUSIVE lock, for which SQLite does not wait (no busy handler), so it is retried
    path = tmp_path / "new.db"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (1)")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    release.start()
    engine = make_engine(f"sqlite:///{path}")
    try:
        check_reachable(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        release.join()
        engine.dispose()
        holder.close()


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**63 - 1)
        | st.text()
        | st.floats(allow_nan=False, allow_infinity=False),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=20,
    )
)
def test_compact_json_reads_back_as_the_stdlib_encoders_text_does(value: Any) -> None:
    assert json.loads(compact_json(value)) == json.loads(stable_json(value))


def test_compact_json_takes_what_only_the_stdlib_took_and_writes_non_finite_floats_as_null() -> (
    None
):
    huge = {"digits": 2**70, 3: "an integer key", "lone": "\ud800"}
    assert compact_json(huge) == stable_json(huge)
    assert compact_json({"x": float("nan"), "y": float("inf")}) == '{"x":null,"y":null}'
    assert compact_json(RawJSON('{"kept" : true}')) == '{"kept" : true}'
