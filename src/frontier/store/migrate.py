"""Schema migrations: `upgrade(dsn)`, `current(dsn)` and the check `Store.connect` makes.

The Alembic configuration is built in code and the revisions live inside the
package, so `frontier db upgrade` works from an installed wheel. On Postgres an
advisory lock serializes upgrades, so many worker Jobs starting at once upgrade
the schema exactly once; on SQLite a BEGIN IMMEDIATE transaction does the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from frontier.store.engine import WRITE_OPTION, check_reachable, make_engine, safe_dsn
from frontier.store.errors import SchemaError
from frontier.store.retry import retry_transient

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "frontier_schema_version"
_PG_LOCK_KEY = 0x46524F4E54  # "FRONT": one advisory lock id for schema upgrades


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def migration_options() -> dict[str, Any]:
    """Options for `MigrationContext.configure` so the version table is recognized as ours."""
    return {"version_table": VERSION_TABLE}


def head() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the package always ships a revision
        raise SchemaError("the package ships no migrations")
    return revision


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


@dataclass(frozen=True)
class SchemaState:
    current: str | None
    head: str
    has_tables: bool
    known: bool
    """Whether this package knows the current revision (False: the database is newer)."""

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def upgradable(self) -> bool:
        """An upgrade can bring it to head: an empty database, or a known older revision."""
        if self.current is None:
            return not self.has_tables
        return self.known


def state(connection: Connection) -> SchemaState:
    context = MigrationContext.configure(connection, opts=migration_options())
    current_revision = context.get_current_revision()
    tables = set(inspect(connection).get_table_names()) - {VERSION_TABLE}
    return SchemaState(
        current=current_revision,
        head=head(),
        has_tables=bool(tables),
        known=current_revision is None or current_revision in _known_revisions(),
    )


def state_of(engine: Engine) -> SchemaState:
    with engine.connect() as conn:
        return state(conn)


def check(engine: Engine) -> SchemaState:
    """Raise a SchemaError that says what to run unless the schema is at this package's head."""
    found = state_of(engine)
    if found.up_to_date:
        return found
    where = safe_dsn(engine.url)
    fix = f"run `frontier db upgrade --db '{where}'`"
    if found.current is None:
        what = (
            "has tables but no frontier schema version"
            if found.has_tables
            else "has no frontier schema yet"
        )
        raise SchemaError(f"database {where} {what}; {fix}")
    if not found.known:
        raise SchemaError(
            f"database {where} is at schema revision {found.current}, which this version of "
            f"frontier does not know (its newest is {found.head}); upgrade frontier"
        )
    raise SchemaError(
        f"database {where} is at schema revision {found.current}, this version of frontier "
        f"needs {found.head}; {fix}"
    )


@retry_transient
def upgrade_engine(engine: Engine, revision: str = "head") -> str | None:
    """Upgrade under a lock; returns the revision the database is at afterwards.

    A database at a revision this package does not know (written by a newer frontier)
    is refused with a SchemaError rather than handed to Alembic.
    """
    found = state_of(engine)
    if not found.known:
        raise SchemaError(
            f"database {safe_dsn(engine.url)} is at schema revision {found.current}, which this "
            f"version of frontier does not know (its newest is {found.head}); upgrade frontier"
        )
    with engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            command.upgrade(alembic_config(conn), revision)
        return state(conn).current


def upgrade(dsn: str, revision: str = "head") -> str | None:
    """Upgrade the database at `dsn`; StoreUnavailableError if it cannot be reached."""
    engine = make_engine(dsn)
    try:
        check_reachable(engine)
        return upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def current(dsn: str) -> str | None:
    """The revision of the database at `dsn` (None: no frontier schema)."""
    return describe(dsn).current


def describe(dsn: str) -> SchemaState:
    """The schema state of the database at `dsn`; StoreUnavailableError if it cannot be reached."""
    engine = make_engine(dsn)
    try:
        check_reachable(engine)
        return state_of(engine)
    finally:
        engine.dispose()


def check_dsn(dsn: str) -> SchemaState:
    """Like `check`, for a DSN: raise SchemaError saying what to run unless the schema is current."""
    engine = make_engine(dsn)
    try:
        check_reachable(engine)
        return check(engine)
    finally:
        engine.dispose()
