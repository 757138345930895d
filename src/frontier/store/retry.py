"""Retrying a write transaction that failed for a reason that goes away by itself.

Many worker Jobs write to one Postgres, and threads of one process write to one
SQLite file, so a write can lose a serialization or deadlock race, find SQLite
still locked after its busy timeout, or meet a connection the server just
dropped. Each Store write is one transaction that an error rolls back, and each
is idempotent (upserts keyed by natural keys), so running it again is safe.
Anything else (a constraint violation, bad SQL, a wrong password) is raised at once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

log = logging.getLogger(__name__)

ATTEMPTS = 5
FIRST_DELAY_SECONDS = 0.05
MAX_DELAY_SECONDS = 2.0
CONNECTION_PATIENCE_SECONDS = 30.0

_PG_TRANSIENT_SQLSTATES = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available
        "57P01",  # admin_shutdown
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now
    }
)
_SQLITE_TRANSIENT = ("database is locked", "database table is locked", "database is busy")

P = ParamSpec("P")
R = TypeVar("R")

_enclosing = threading.local()
"""Per thread: how many units of work (one shared transaction) are open."""


@contextmanager
def enclosed() -> Iterator[None]:
    """Inside, on this thread, wrapped calls run once: their transaction belongs to an enclosing
    unit of work, which a failure has already spoilt, so only the whole unit can be retried."""
    _enclosing.depth = getattr(_enclosing, "depth", 0) + 1
    try:
        yield
    finally:
        _enclosing.depth -= 1


def is_connection_error(exc: BaseException) -> bool:
    """The server went away or could not be reached: worth waiting for (a restart, a failover)."""
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03")
    # psycopg reports "connection refused" or "server closed the connection" with no sqlstate
    module = type(exc.orig).__module__ if exc.orig is not None else ""
    return isinstance(exc, OperationalError) and module.startswith("psycopg")


def is_transient(exc: BaseException) -> bool:
    """Whether running the same transaction again may succeed."""
    if not isinstance(exc, DBAPIError):
        return False
    if is_connection_error(exc):
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in _PG_TRANSIENT_SQLSTATES
    if isinstance(exc, OperationalError):
        message = str(exc.orig).lower()
        return any(text in message for text in _SQLITE_TRANSIENT)
    return False


def retry_transient(
    fn: Callable[P, R],
    *,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Callable[P, R]:
    """Wrap a method that runs one transaction so transient failures are retried.

    A lost race (serialization, deadlock, a locked SQLite file) is retried up to
    `attempts` times; a lost connection is retried for up to
    CONNECTION_PATIENCE_SECONDS, long enough for a database restart or failover.
    `sleep` defaults to time.sleep, looked up at each retry.
    """

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if getattr(_enclosing, "depth", 0):
            return fn(*args, **kwargs)
        delay = FIRST_DELAY_SECONDS
        started = clock()
        attempt = 0
        while True:
            attempt += 1
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                patient = is_connection_error(exc)
                if patient and clock() - started >= CONNECTION_PATIENCE_SECONDS:
                    raise
                if not patient and attempt >= attempts:
                    raise
                log.warning(
                    "store call %s failed transiently (attempt %d), retrying: %s",
                    fn.__name__,
                    attempt,
                    type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                )
                (sleep or time.sleep)(delay)
                delay = min(delay * 2, MAX_DELAY_SECONDS)

    return wrapper
