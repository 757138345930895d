"""Transient write failures are retried; anything else is raised at once."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg.errors
import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from frontier.store import Store
from frontier.store import retry as retry_module
from frontier.store.retry import is_transient, retry_transient
from tests.store.builders import ok, profile_run


def _operational(orig: Exception) -> OperationalError:
    return OperationalError("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    ("exc", "transient"),
    [
        (_operational(sqlite3.OperationalError("database is locked")), True),
        (_operational(sqlite3.OperationalError("no such table: tasks")), False),
        (_operational(psycopg.errors.SerializationFailure("could not serialize")), True),
        (_operational(psycopg.errors.DeadlockDetected("deadlock detected")), True),
        (_operational(psycopg.errors.AdminShutdown("terminating connection")), True),
        (_operational(psycopg.OperationalError("connection refused")), True),
        (IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation("duplicate key")), False),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
    ],
    ids=[
        "sqlite-locked",
        "sqlite-no-table",
        "pg-serialization",
        "pg-deadlock",
        "pg-admin-shutdown",
        "pg-no-sqlstate",
        "pg-unique-violation",
        "connection-invalidated",
    ],
)
def test_which_database_errors_count_as_transient(exc: DBAPIError, transient: bool) -> None:
    assert is_transient(exc) is transient


def test_a_transient_failure_is_retried_with_growing_delays_until_it_succeeds() -> None:
    sleeps: list[float] = []
    calls = iter([True, True, False])

    def write() -> str:
        if next(calls):
            raise _operational(sqlite3.OperationalError("database is locked"))
        return "done"

    assert retry_transient(write, sleep=sleeps.append)() == "done"
    assert sleeps == [retry_module.FIRST_DELAY_SECONDS, retry_module.FIRST_DELAY_SECONDS * 2]


def test_a_persistent_transient_failure_is_raised_after_the_last_attempt() -> None:
    attempts: list[int] = []

    def write() -> None:
        attempts.append(1)
        raise _operational(sqlite3.OperationalError("database is locked"))

    with pytest.raises(OperationalError, match="database is locked"):
        retry_transient(write, attempts=3, sleep=lambda _: None)()
    assert len(attempts) == 3


def test_a_non_transient_failure_is_raised_at_once() -> None:
    attempts: list[int] = []

    def write() -> None:
        attempts.append(1)
        raise IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed"))

    with pytest.raises(IntegrityError):
        retry_transient(write, sleep=lambda _: None)()
    assert attempts == [1]


def test_a_store_write_that_hits_a_lock_once_stores_a_generator_of_rollouts_fully(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = profile_run(store)
    monkeypatch.setattr("frontier.store.retry.time.sleep", lambda _: None)
    real_run_id = Store._run_id
    failures = iter([True])

    def flaky_run_id(self: Store, conn: Any, name: str) -> tuple[int, str]:
        if next(failures, False):
            raise _operational(sqlite3.OperationalError("database is locked"))
        return real_run_id(self, conn, name)

    monkeypatch.setattr(Store, "_run_id", flaky_run_id)
    stored = store.ingest_rollouts(run.name, (ok("t", a, 0.5) for a in range(4)))
    assert stored == 4
    assert store.count_rollouts(run.name) == 4
