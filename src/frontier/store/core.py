"""The unit of work that every aggregate of the store shares.

One place decides how a store call gets its connection (alone, or joining the open
unit of work of `atomically`) and how a frontier name becomes its row id, so the
methods of every aggregate commit, retry and lock alike.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ParamSpec, Self, TypeVar

from sqlalchemy import Connection, Engine, Select, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from frontier.store import migrate
from frontier.store.engine import WRITE_OPTION, check_reachable, make_engine
from frontier.store.errors import NotFoundError, SchemaError, StoreError
from frontier.store.retry import enclosed, retry_transient
from frontier.store.tables import frontiers as _frontiers
from frontier.store.tables import tasks as _tasks

DEFAULT_NAMESPACE = "default"
TERMINAL_PHASES = frozenset({"Succeeded", "Failed", "Completed"})
_CHUNK = 5000  # ids per IN (...) list; SQLite allows 32,766 parameters per statement

P = ParamSpec("P")
R = TypeVar("R")


def parse_frontier_key(frontier: str) -> tuple[str, str]:
    """`name` or `namespace/name` -> (namespace, name)."""
    namespace, sep, name = frontier.rpartition("/")
    if not sep:
        namespace = DEFAULT_NAMESPACE
    if not name or (sep and not namespace):
        raise StoreError(f"invalid frontier name {frontier!r}: expected 'name' or 'namespace/name'")
    return namespace, name


def chunks(values: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def id_chunks(ids: Iterable[str] | None) -> Iterator[Sequence[str] | None]:
    """None (all ids) once, or the distinct ids in IN-list sized chunks (none for no ids)."""
    if ids is None:
        yield None
    else:
        yield from chunks(sorted(set(ids)))


def rows_in(conn: Connection, query: Any, column: Any, ids: Iterable[str] | None) -> list[Any]:
    """The rows of `query` with `column` among `ids` (IN lists of bounded size); all when None."""
    if ids is None:
        return list(conn.execute(query))
    rows: list[Any] = []
    for chunk in chunks(sorted(set(ids))):
        rows.extend(conn.execute(query.where(column.in_(chunk))))
    return rows


def stored_task_ids(conn: Connection, fid: int, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are tasks of the frontier."""
    query = select(_tasks.c.id).where(_tasks.c.frontier_id == fid)
    return {row.id for row in rows_in(conn, query, _tasks.c.id, ids)}


class StoreCore:
    """An engine (a connection pool) and, per thread, the connection of an open unit of
    work (`atomically`); the aggregates' mixins build on it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._unit = threading.local()

    # --- lifecycle ------------------------------------------------------------

    @classmethod
    def connect(cls, dsn: str, *, auto_upgrade: bool = False) -> Self:
        """Open a store; raise SchemaError naming `frontier db upgrade` unless the schema is current.

        With `auto_upgrade` (meant for the embedded SQLite default) a missing or older
        schema is upgraded in place instead. A schema newer than this package always fails.
        """
        engine = make_engine(dsn)
        try:
            check_reachable(engine)
            try:
                migrate.check(engine)
            except SchemaError:
                if not auto_upgrade:
                    raise
                if not migrate.state_of(engine).upgradable:
                    raise
                migrate.upgrade_engine(engine)
                migrate.check(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def atomically(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        """`fn(*args, **kwargs)` with every call it makes to this store in one transaction.

        Each store method otherwise checks out a connection (pinged first), begins and
        commits on its own; a reconcile that makes dozens of small calls spends most of
        its database time on that. Inside, each write is a savepoint, so a write that
        fails undoes only itself, as it would alone. A transient failure spoils the whole
        transaction, so it is the unit that is retried (from the start), not the call.
        Nested units join the outer one.
        """
        if self._shared() is not None:
            return fn(*args, **kwargs)

        def unit() -> R:
            with self.engine.connect() as conn:
                conn.execution_options(**{WRITE_OPTION: True})
                with conn.begin(), enclosed():
                    self._unit.conn, self._unit.ids = conn, {}
                    try:
                        return fn(*args, **kwargs)
                    finally:
                        self._unit.conn = None

        unit.__name__ = f"atomically({getattr(fn, '__name__', 'fn')})"  # names it in retry logs
        return retry_transient(unit)()

    def _shared(self) -> Connection | None:
        """The connection of this thread's open unit of work, if any."""
        conn: Connection | None = getattr(self._unit, "conn", None)
        return conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        shared = self._shared()
        if shared is not None:
            with shared.begin_nested():
                yield shared
            return
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        shared = self._shared()
        if shared is not None:
            yield shared
            return
        with self.engine.connect() as conn, conn.begin():
            yield conn

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has on_conflict_do_update / _do_nothing."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # --- lookups and locks shared by the aggregates ---------------------------

    def _frontier_id(self, conn: Connection, frontier: str) -> int:
        """The frontier's row id; looked up once per unit of work (ids never change)."""
        cache: dict[str, int] | None = self._unit.ids if self._shared() is conn else None
        if cache is not None and frontier in cache:
            return cache[frontier]
        fid = self._lookup_frontier_id(conn, frontier)
        if cache is not None:
            cache[frontier] = fid
        return fid

    def _lookup_frontier_id(self, conn: Connection, frontier: str) -> int:
        namespace, name = parse_frontier_key(frontier)
        found = conn.execute(
            select(_frontiers.c.id).where(
                _frontiers.c.namespace == namespace, _frontiers.c.name == name
            )
        ).scalar_one_or_none()
        if found is None:
            raise NotFoundError(f"no frontier {namespace}/{name} in the store")
        return int(found)

    def _locked_row(self, conn: Connection, query: Select[Any], missing: str) -> Any:
        """The one row `query` selects, locked until the transaction ends (PostgreSQL)."""
        if self.dialect == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundError(missing)
        return row
