"""Migrations: `upgrade head` on an empty database yields exactly the models' schema, on
both backends; a missing, older or newer schema is reported with what to do."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from frontier.store import SchemaError, Store, migrate
from frontier.store.engine import make_engine
from frontier.store.models import Base


def _schema_diffs(dsn: str) -> list[Any]:
    engine = make_engine(dsn)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={**migrate.migration_options(), "compare_type": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_head_on_an_empty_database_yields_exactly_the_models_schema(
    empty_dsn: str,
) -> None:
    assert migrate.upgrade(empty_dsn) == migrate.head()
    assert _schema_diffs(empty_dsn) == []


def test_the_schema_check_sees_a_table_the_models_lack(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    engine = make_engine(empty_dsn)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE tasks ADD COLUMN stray INTEGER"))
    engine.dispose()
    assert _schema_diffs(empty_dsn) != []


def test_the_database_has_one_table_per_model_and_the_version_table(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    engine = make_engine(empty_dsn)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert tables == set(Base.metadata.tables) | {migrate.VERSION_TABLE}


def test_current_is_none_before_and_head_after_an_upgrade(empty_dsn: str) -> None:
    assert migrate.current(empty_dsn) is None
    migrate.upgrade(empty_dsn)
    assert migrate.current(empty_dsn) == migrate.head()


def test_upgrading_twice_is_a_no_op(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    assert migrate.upgrade(empty_dsn) == migrate.head()
    assert _schema_diffs(empty_dsn) == []


def test_downgrade_to_base_and_upgrade_again_round_trips(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    engine = make_engine(empty_dsn)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "base")
        assert set(inspect(engine).get_table_names()) <= {migrate.VERSION_TABLE}
    finally:
        engine.dispose()
    migrate.upgrade(empty_dsn)
    assert _schema_diffs(empty_dsn) == []


def test_concurrent_upgrades_of_one_database_both_succeed_once(empty_dsn: str) -> None:
    results: list[str | None] = []
    errors: list[BaseException] = []

    def upgrade() -> None:
        try:
            results.append(migrate.upgrade(empty_dsn))
        except BaseException as exc:  # pragma: no cover - the failure is asserted below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == [migrate.head()] * 3
    assert _schema_diffs(empty_dsn) == []


def test_connecting_to_an_empty_database_says_to_run_frontier_db_upgrade(empty_dsn: str) -> None:
    with pytest.raises(SchemaError, match="has no frontier schema yet; run `frontier db upgrade"):
        Store.connect(empty_dsn)


def test_connecting_with_auto_upgrade_creates_the_schema(empty_dsn: str) -> None:
    with Store.connect(empty_dsn, auto_upgrade=True) as store:
        store.upsert_frontier("shop", {})
    assert migrate.current(empty_dsn) == migrate.head()


def test_a_database_with_foreign_tables_and_no_version_is_not_auto_upgraded(
    empty_dsn: str,
) -> None:
    engine = make_engine(empty_dsn)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE someone_elses (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(SchemaError, match="has tables but no frontier schema version"):
        Store.connect(empty_dsn, auto_upgrade=True)


def test_a_database_at_an_older_revision_says_to_upgrade(
    empty_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate.upgrade(empty_dsn)
    installed = migrate.head()
    monkeypatch.setattr(migrate, "head", lambda: "0099")
    monkeypatch.setattr(migrate, "_known_revisions", lambda: {installed, "0099"})
    with pytest.raises(SchemaError) as raised:
        Store.connect(empty_dsn)
    message = str(raised.value)
    assert f"at schema revision {installed}" in message and "needs 0099" in message
    assert "frontier db upgrade" in message


def test_a_database_newer_than_this_package_says_to_upgrade_frontier(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn)
    engine = make_engine(empty_dsn)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'f00d'"))
    engine.dispose()
    with pytest.raises(SchemaError, match="f00d, which this version of frontier does not know"):
        Store.connect(empty_dsn, auto_upgrade=True)


def test_rounds_stored_before_0002_get_an_empty_concurrency_history(empty_dsn: str) -> None:
    migrate.upgrade(empty_dsn, "0001")
    engine = make_engine(empty_dsn)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO frontiers (id, namespace, name, spec, generation, created_at,"
                    " updated_at) VALUES (1, 'default', 'shop', '{}', 1, :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
            conn.execute(
                text(
                    "INSERT INTO rounds (frontier_id, number, trigger, phase, stats, started_at)"
                    " VALUES (1, 1, 'manual', 'Running', '{}', :now)"
                ),
                {"now": "2026-01-01 00:00:00"},
            )
    finally:
        engine.dispose()
    migrate.upgrade(empty_dsn)
    with Store.connect(empty_dsn) as store:
        found = store.get_round("default/shop", 1)
    assert found is not None and found.concurrency_history == []


def test_upgrading_to_0010_sums_the_rollouts_already_stored(empty_dsn: str) -> None:
    """A database upgraded past 0010 bands its old runs as a full scan would."""
    from frontier.domain.specs import BandSpec
    from tests.store.builders import error, ok, profile_run

    migrate.upgrade(empty_dsn)
    with Store.connect(empty_dsn) as store:
        run = profile_run(store).name
        store.ingest_rollouts(
            run,
            [ok("a", 0, 1.0), ok("a", 1, 1.0), ok("b", 0, 0.5), error("b", 1), error("c", 0)]
            + [ok("d", a, 0.0) for a in range(3)],
        )
        before = (store.band_counts(run, BandSpec()), store.task_bands(run, BandSpec()))
    engine = make_engine(empty_dsn)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0009")
        assert "rollout_sums" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
    migrate.upgrade(empty_dsn)
    with Store.connect(empty_dsn) as store:
        after = (store.band_counts(run, BandSpec()), store.task_bands(run, BandSpec()))
    assert after == before
    assert before[0].as_dict() == {
        "saturated": 1,
        "hillclimbable": 1,
        "unreachable": 1,
        "total": 3,
    }


def test_0011_adds_a_null_prior_and_its_downgrade_keeps_the_rollouts(empty_dsn: str) -> None:
    """Old runs band by the observed mean (no prior); dropping the column loses no rollout."""
    from frontier.domain.specs import BandSpec
    from tests.store.builders import ok, profile_run

    migrate.upgrade(empty_dsn)
    with Store.connect(empty_dsn) as store:
        run = profile_run(store).name
        store.ingest_rollouts(run, [ok("a", 0, 1.0), ok("b", 0, 0.0)])
        store.set_run_prior(run, [1.0] * 101)
        before = store.band_counts(run, BandSpec())
    engine = make_engine(empty_dsn)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0010")
        assert "prior" not in {c["name"] for c in inspect(engine).get_columns("runs")}
    finally:
        engine.dispose()
    migrate.upgrade(empty_dsn)
    with Store.connect(empty_dsn) as store:
        assert store.require_run(run).prior is None
        assert store.task_sums(run) == {"a": (1, 1.0), "b": (1, 0.0)}
        assert store.band_counts(run, BandSpec()).total == before.total == 2
