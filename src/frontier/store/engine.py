"""Building a SQLAlchemy engine from a DSN, the same way for the repository and for migrations.

SQLite is the embedded default, so it gets the settings that make it behave
under a multi-threaded worker: WAL (readers never block the writer), foreign
keys on, a busy timeout, and write transactions opened with BEGIN IMMEDIATE so
two writers queue on the lock instead of failing with "database is locked" when
a read transaction tries to upgrade. A bare `postgresql://` DSN is pointed at
psycopg 3, the driver this package ships with.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from frontier.store.errors import StoreError, StoreUnavailableError

DSN_ENV = "FRONTIER_DB"
DEFAULT_SQLITE_PATH = Path(".frontier") / "frontier.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_OPTION = "frontier_write"
PG_CONNECT_TIMEOUT_SECONDS = 10
"""An unreachable server fails `Store.connect` in seconds instead of hanging a worker Job."""
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 10
PG_POOL_RECYCLE_SECONDS = 1800
"""Reopen connections older than this, before a proxy or load balancer drops them idle."""


def default_dsn() -> str:
    """$FRONTIER_DB, else an SQLite file `.frontier/frontier.db` under the current directory."""
    return os.environ.get(DSN_ENV) or f"sqlite:///{DEFAULT_SQLITE_PATH}"


class RawJSON(str):
    """JSON text serialized already (e.g. a redacted trace); the engine stores it as is."""

    __slots__ = ()


def compact_json(value: Any) -> str:
    """The engine's JSON serializer: no spaces, UTF-8 kept as is, RawJSON passed through.

    orjson writes it, about 7x faster than the stdlib encoder (docs/PERFORMANCE.md, Store).
    What orjson refuses and the stdlib takes (an integer beyond 64 bits, a lone surrogate,
    a type of its own) falls back to the stdlib encoder, so nothing is refused that was
    stored before; a non-finite float, which JSON has no word for, is written as null
    (the stdlib wrote `NaN`, which PostgreSQL's jsonb refuses).
    """
    if isinstance(value, RawJSON):
        return str(value)
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except (TypeError, orjson.JSONEncodeError):
        return stable_json(value)


def stable_json(value: Any) -> str:
    """The stdlib's compact JSON: byte-for-byte what earlier versions wrote, for digests
    that must not change across versions (a stored failure's fingerprint)."""
    return _COMPACT.encode(value)


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
"""One encoder for every call (json.dumps with options builds a new one each time)."""


def parse_dsn(dsn: str) -> URL:
    """The DSN as a URL, with `postgresql://` mapped to psycopg 3; errors never echo a password."""
    try:
        url = make_url(dsn)
    except ArgumentError:
        raise StoreError(
            "invalid database DSN: expected e.g. sqlite:///path/to/frontier.db or "
            "postgresql+psycopg://user@host:5432/dbname"
        ) from None
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise StoreError(
            f"unsupported database {backend!r} in DSN {safe_dsn(url)}: use sqlite or postgresql"
        )
    return url


def safe_dsn(url: URL | str) -> str:
    """A DSN fit for messages and logs: the password masked."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<invalid DSN>"
    return url.render_as_string(hide_password=True)


def make_engine(dsn: str) -> Engine:
    url = parse_dsn(dsn)
    kwargs: dict[str, Any] = {
        "pool_pre_ping": True,
        "json_serializer": compact_json,
        "future": True,
    }
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {
            "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            "check_same_thread": False,
        }
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, in_memory=database in ("", ":memory:"))
        return engine
    # A worker holds a few connections at most; pre-ping replaces connections the server
    # closed (a failover, an idle timeout) before a statement meets them.
    kwargs.update(
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_MAX_OVERFLOW,
        pool_recycle=PG_POOL_RECYCLE_SECONDS,
        pool_timeout=30,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_SECONDS,
            "application_name": "frontier",
        },
    )
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred-only).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                _enable_wal(cursor)
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _enable_wal(cursor: Any) -> None:
    """Switch the file to WAL, waiting for the lock as long as the busy timeout would.

    SQLite answers a journal-mode change that meets another connection's lock with
    "database is locked" at once, without its busy handler: a connection opened while
    another creates the schema of a new file (concurrent `db upgrade`s) would fail.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.01
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.5)


def check_reachable(engine: Engine) -> None:
    """Open one connection; raise StoreUnavailableError (DSN without password) if that fails."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise StoreUnavailableError(
            f"cannot reach database {safe_dsn(engine.url)}: {reason}"
        ) from None
