"""Fixtures of the store tests: every repository test runs on SQLite and on PostgreSQL.

PostgreSQL is the real server at 127.0.0.1:5432 (`FRONTIER_TEST_POSTGRES` may name
another server's maintenance DSN). A database with a random name is created for the
session, migrated once, emptied with TRUNCATE before each test, and dropped at the end.
If the server is not reachable the Postgres half fails with how to start it; only
FRONTIER_TEST_POSTGRES=skip skips it, on purpose.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError

from frontier.store import Store, migrate
from frontier.store.models import Base

DEFAULT_PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
START_POSTGRES = (
    "PostgreSQL is not reachable at {dsn} ({error}). The store tests need it: start it with "
    "`scripts/ensure-postgres` (or `pg_ctlcluster 15 main start`), point "
    "FRONTIER_TEST_POSTGRES at another server's postgres database, or set "
    "FRONTIER_TEST_POSTGRES=skip to skip the Postgres half on purpose."
)
BACKENDS = ("sqlite", "postgresql")


def _pg_admin_url() -> URL | None:
    setting = os.environ.get("FRONTIER_TEST_POSTGRES", "")
    if setting == "skip":
        return None
    return make_url(setting or DEFAULT_PG_ADMIN)


class PostgresServer:
    """Creates and drops uniquely named databases on the test server."""

    def __init__(self, admin: URL) -> None:
        self.admin = admin
        self.engine = create_engine(admin, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
        self.created: list[str] = []

    def check(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            error = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            pytest.fail(
                START_POSTGRES.format(dsn=self.admin.render_as_string(), error=error),
                pytrace=False,
            )

    def create_database(self, prefix: str = "frontier_test") -> str:
        """A new empty database; returns its DSN."""
        name = f"{prefix}_{secrets.token_hex(6)}"
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.admin.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self.engine.connect() as conn:
            for name in self.created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()
        self.engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    admin = _pg_admin_url()
    if admin is None:
        pytest.skip("FRONTIER_TEST_POSTGRES=skip: the Postgres half of the store tests is off")
    server = PostgresServer(admin)
    server.check()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def postgres_dsn(postgres_server: PostgresServer) -> str:
    """A session database migrated to head."""
    dsn = postgres_server.create_database()
    migrate.upgrade(dsn)
    return dsn


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once; each test gets a copy."""
    path = tmp_path_factory.mktemp("sqlite-template") / "frontier.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_cleaner(postgres_dsn: str) -> Iterator[Engine]:
    engine = create_engine(postgres_dsn.replace("postgresql://", "postgresql+psycopg://", 1))
    yield engine
    engine.dispose()


def _empty_all(engine: Engine) -> None:
    """DELETE, children first: on a few rows much faster than TRUNCATE, and ids need not restart."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def dsn(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A DSN of an empty, migrated database of the test's backend."""
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "frontier.db"
        shutil.copyfile(template, path)
        return f"sqlite:///{path}"
    _empty_all(request.getfixturevalue("postgres_cleaner"))
    return str(request.getfixturevalue("postgres_dsn"))


@pytest.fixture
def store(dsn: str) -> Iterator[Store]:
    with Store.connect(dsn) as opened:
        yield opened


@pytest.fixture(scope="session")
def postgres_scratch_dsn(postgres_server: PostgresServer) -> str:
    """A session database whose schemas the migration tests use as empty databases."""
    return postgres_server.create_database("frontier_scratch")


@pytest.fixture
def empty_dsn(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A DSN of a database with nothing in it, of the test's backend.

    On Postgres it is a fresh schema that the DSN's search_path makes the only one
    visible: as empty as a new database, and far cheaper to create and drop.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = make_url(request.getfixturevalue("postgres_scratch_dsn"))
    schema = f"empty_{secrets.token_hex(6)}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield base.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()
