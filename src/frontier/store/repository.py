"""The repository: every read and write the pipeline, operator and CLI make, over Postgres or SQLite.

Callers pass and receive domain values (Task, Rollout, BandSpec, Decision,
BandSummary, TaskMetrics) and the plain records of `frontier.store.records`;
no ORM object or session leaves this module. The hot paths use SQLAlchemy
Core: rollouts go in as one executemany INSERT .. ON CONFLICT (run, task,
attempt) DO UPDATE, so a retried shard overwrites its rows instead of adding
new ones, and band counts and task means are computed by the database.

A frontier is named by a string: `name` (namespace "default") or
`namespace/name`. Runs are named globally (the operator's Job names are).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ParamSpec, TypeVar, cast

from sqlalchemy import (
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from frontier.domain.admission import Decision
from frontier.domain.bands import Band, BandSummary
from frontier.domain.metrics import TaskMetrics
from frontier.domain.specs import BandSpec, ModelRef, SpecModel, TaskSetRef
from frontier.domain.tasks import Rollout, Task
from frontier.store import convert, migrate, queries
from frontier.store.engine import WRITE_OPTION, check_reachable, compact_json, make_engine
from frontier.store.errors import (
    ConflictError,
    NotFoundError,
    SchemaError,
    SliceImmutableError,
    StoreError,
)
from frontier.store.models import utcnow
from frontier.store.records import (
    CandidateCounts,
    CandidateOutcome,
    CandidateRecord,
    ConcurrencyChange,
    EventRecord,
    EventType,
    FrontierRecord,
    FrontierSummary,
    NewCandidate,
    RoundRecord,
    RunKind,
    RunRecord,
    RunSummary,
    RunTotals,
    ShardRecord,
    SliceRecord,
    TaskMean,
    TeacherSpend,
    TeacherUsageRecord,
)
from frontier.store.retry import enclosed, retry_transient
from frontier.store.scrub import scrub
from frontier.store.tables import attempt_failures as _attempt_failures
from frontier.store.tables import candidates as _candidates
from frontier.store.tables import events as _events
from frontier.store.tables import frontiers as _frontiers
from frontier.store.tables import members as _members
from frontier.store.tables import rollouts as _rollouts
from frontier.store.tables import rounds as _rounds
from frontier.store.tables import runs as _runs
from frontier.store.tables import shards as _shards
from frontier.store.tables import slices as _slices
from frontier.store.tables import tasks as _tasks
from frontier.store.tables import teacher_usage as _teacher_usage

DEFAULT_NAMESPACE = "default"
TERMINAL_PHASES = frozenset({"Succeeded", "Failed", "Completed"})
_COPY_AT_LEAST = 200
"""Batches this large go to PostgreSQL through COPY and one upsert, several times faster."""
_CHUNK = 5000  # ids per IN (...) list; SQLite allows 32,766 parameters per statement
PG_AGGREGATION_WORK_MEM = "64MB"
"""Memory a band aggregation may hash in (per sort or hash step of that one query)."""

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


def _chunks(values: Sequence[str], size: int = _CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _id_chunks(ids: Iterable[str] | None) -> Iterator[Sequence[str] | None]:
    """None (all ids) once, or the distinct ids in IN-list sized chunks (none for no ids)."""
    if ids is None:
        yield None
    else:
        yield from _chunks(sorted(set(ids)))


def _rows_in(conn: Connection, query: Any, column: Any, ids: Iterable[str] | None) -> list[Any]:
    """The rows of `query` with `column` among `ids` (IN lists of bounded size); all when None."""
    if ids is None:
        return list(conn.execute(query))
    rows: list[Any] = []
    for chunk in _chunks(sorted(set(ids))):
        rows.extend(conn.execute(query.where(column.in_(chunk))))
    return rows


def _stored_task_ids(conn: Connection, fid: int, ids: Iterable[str]) -> set[str]:
    """Which of `ids` are tasks of the frontier."""
    query = select(_tasks.c.id).where(_tasks.c.frontier_id == fid)
    return {row.id for row in _rows_in(conn, query, _tasks.c.id, ids)}


class Store:
    """The repository. Thread-safe: it holds an engine (a connection pool) and, per thread,
    the connection of an open unit of work (`atomically`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._unit = threading.local()

    # --- lifecycle ------------------------------------------------------------

    @classmethod
    def connect(cls, dsn: str, *, auto_upgrade: bool = False) -> Store:
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

    def __enter__(self) -> Store:
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

    def _room_to_aggregate(self, conn: Connection) -> None:
        """On PostgreSQL, let this transaction's per-task means hash in memory.

        A run's means group its rollouts by task: 250,000 tasks need about 60 MB, and
        with the server's default work_mem (4 MB) the planner sorts on disk instead,
        twice as slow. SET LOCAL ends with the transaction.
        """
        if self.dialect == "postgresql":
            conn.exec_driver_sql(f"SET LOCAL work_mem = '{PG_AGGREGATION_WORK_MEM}'")

    def _insert(self, table: Table) -> Any:
        """The dialect's INSERT, which has on_conflict_do_update / _do_nothing."""
        if self.dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # --- frontiers ------------------------------------------------------------

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

    @retry_transient
    def upsert_frontier(
        self,
        name: str,
        spec: SpecModel | Mapping[str, Any],
        *,
        namespace: str | None = None,
    ) -> FrontierRecord:
        """Create a frontier or update its spec; the generation goes up only when the spec changes.

        `name` may also be `namespace/name`. The spec is stored as its wire form with
        anything credential-like removed.
        """
        if namespace is None:
            namespace, name = parse_frontier_key(name)
        convert.check_text(_frontiers, [{"namespace": namespace, "name": name}])
        spec_json = convert.wire(spec)
        now = utcnow()
        with self._write() as conn:
            conn.execute(
                self._insert(_frontiers)
                .values(
                    namespace=namespace,
                    name=name,
                    spec=spec_json,
                    generation=1,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["namespace", "name"])
            )
            query = select(_frontiers).where(
                _frontiers.c.namespace == namespace, _frontiers.c.name == name
            )
            if self.dialect == "postgresql":
                query = query.with_for_update()
            row = conn.execute(query).one()
            if convert.canonical(row.spec) != convert.canonical(spec_json):
                conn.execute(
                    update(_frontiers)
                    .where(_frontiers.c.id == row.id)
                    .values(spec=spec_json, generation=row.generation + 1, updated_at=now)
                )
                row = conn.execute(query).one()
        return convert.frontier_record(row)

    @retry_transient
    def get_frontier(self, frontier: str) -> FrontierRecord | None:
        namespace, name = parse_frontier_key(frontier)
        with self._read() as conn:
            row = conn.execute(
                select(_frontiers).where(
                    _frontiers.c.namespace == namespace, _frontiers.c.name == name
                )
            ).one_or_none()
        return convert.frontier_record(row) if row is not None else None

    @retry_transient
    def frontiers(self) -> list[FrontierRecord]:
        with self._read() as conn:
            rows = conn.execute(
                select(_frontiers).order_by(_frontiers.c.namespace, _frontiers.c.name)
            ).all()
        return [convert.frontier_record(r) for r in rows]

    @retry_transient
    def delete_frontier(self, frontier: str) -> bool:
        """Delete a frontier and everything it owns; False if there was none."""
        namespace, name = parse_frontier_key(frontier)
        with self._write() as conn:
            fid = conn.execute(
                select(_frontiers.c.id).where(
                    _frontiers.c.namespace == namespace, _frontiers.c.name == name
                )
            ).scalar_one_or_none()
            if fid is None:
                return False
            run_ids = select(_runs.c.id).where(_runs.c.frontier_id == fid).scalar_subquery()
            conn.execute(delete(_rollouts).where(_rollouts.c.run_id.in_(run_ids)))
            conn.execute(delete(_attempt_failures).where(_attempt_failures.c.run_id.in_(run_ids)))
            slice_ids = select(_slices.c.id).where(_slices.c.frontier_id == fid).scalar_subquery()
            conn.execute(delete(_members).where(_members.c.slice_id.in_(slice_ids)))
            for table in (
                _runs,
                _slices,
                _tasks,
                _candidates,
                _rounds,
                _events,
                _shards,
                _teacher_usage,
            ):
                conn.execute(delete(table).where(table.c.frontier_id == fid))
            conn.execute(delete(_frontiers).where(_frontiers.c.id == fid))
            if self._shared() is conn:
                self._unit.ids.clear()
        return True

    # --- tasks ----------------------------------------------------------------

    def add_tasks(self, frontier: str, tasks: Iterable[Task]) -> int:
        """Add tasks that are not stored yet (by id); returns how many were new. Idempotent."""
        unique: dict[str, Task] = {}
        for task in tasks:
            unique.setdefault(task.id, task)
        if not unique:
            return 0
        return self._add_tasks(frontier, unique)

    @retry_transient
    def _add_tasks(self, frontier: str, unique: dict[str, Task]) -> int:
        now = utcnow()
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            existing = _stored_task_ids(conn, fid, unique)
            rows = [
                convert.task_row(fid, task, now)
                for tid, task in unique.items()
                if tid not in existing
            ]
            convert.check_text(_tasks, rows)
            if rows:
                conn.execute(
                    self._insert(_tasks).on_conflict_do_nothing(
                        index_elements=["frontier_id", "id"]
                    ),
                    rows,
                )
        return len(rows)

    @retry_transient
    def get_tasks(
        self,
        frontier: str,
        *,
        ids: Iterable[str] | None = None,
        origin: str | None = None,
        round: int | None = None,
        family: str | None = None,
    ) -> list[Task]:
        """Tasks in the order they were added, filtered; ids that are not stored are left out."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            base = select(_tasks).where(_tasks.c.frontier_id == fid)
            if origin is not None:
                base = base.where(_tasks.c.origin == origin)
            if round is not None:
                base = base.where(_tasks.c.round == round)
            if family is not None:
                base = base.where(_tasks.c.family == family)
            rows = _rows_in(conn, base, _tasks.c.id, ids)
        rows.sort(key=lambda r: r.seq)
        return [convert.task_of(r) for r in rows]

    def get_task(self, frontier: str, task_id: str) -> Task | None:
        found = self.get_tasks(frontier, ids=[task_id])
        return found[0] if found else None

    @retry_transient
    def task_ids(self, frontier: str, *, origin: str | None = None) -> list[str]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            query = select(_tasks.c.id).where(_tasks.c.frontier_id == fid)
            if origin is not None:
                query = query.where(_tasks.c.origin == origin)
            return list(conn.execute(query.order_by(_tasks.c.seq)).scalars())

    @retry_transient
    def count_tasks(self, frontier: str, *, origin: str | None = None) -> int:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            query = select(func.count()).select_from(_tasks).where(_tasks.c.frontier_id == fid)
            if origin is not None:
                query = query.where(_tasks.c.origin == origin)
            return int(conn.execute(query).scalar_one())

    # --- runs -----------------------------------------------------------------

    @retry_transient
    def create_run(
        self,
        name: str,
        *,
        frontier: str,
        kind: RunKind,
        model: ModelRef,
        task_set: TaskSetRef | Mapping[str, Any],
        k: int,
        shards: int = 1,
        seed: int = 0,
        phase: str = "Pending",
    ) -> RunRecord:
        """Create a run, or return the existing one of that name if its settings are the same.

        A run of the same name with other settings is a ConflictError naming the fields.
        """
        if kind not in ("profile", "verification", "candidates"):
            raise StoreError(f"run kind must be profile, verification or candidates, got {kind!r}")
        if k < 1 or shards < 1:
            raise StoreError(
                f"run {name!r}: k and shards must be at least 1 (k={k}, shards={shards})"
            )
        values: dict[str, Any] = {
            "kind": kind,
            "model_name": model.name,
            "model_spec": convert.wire(model),
            "task_set": convert.wire(task_set),
            "k": k,
            "shards": shards,
            "seed": seed,
        }
        convert.check_text(_runs, [{**values, "name": name, "phase": phase}])
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            conn.execute(
                self._insert(_runs)
                .values(
                    name=name,
                    frontier_id=fid,
                    phase=phase,
                    stats={},
                    concurrency_history=[],
                    created_at=utcnow(),
                    finished_at=None,
                    **values,
                )
                .on_conflict_do_nothing(index_elements=["name"])
            )
            row = conn.execute(queries.run_query().where(_runs.c.name == name)).one()
            differing = [
                field
                for field, value in (("frontier", fid), *values.items())
                if convert.canonical(getattr(row, "frontier_id" if field == "frontier" else field))
                != convert.canonical(value)
            ]
            if differing:
                raise ConflictError(
                    f"run {name!r} exists with other {', '.join(differing)}; "
                    "choose another name or delete the run"
                )
        return convert.run_record(row)

    @retry_transient
    def get_run(self, name: str) -> RunRecord | None:
        with self._read() as conn:
            row = conn.execute(queries.run_query().where(_runs.c.name == name)).one_or_none()
        return convert.run_record(row) if row is not None else None

    def require_run(self, name: str) -> RunRecord:
        run = self.get_run(name)
        if run is None:
            raise NotFoundError(f"no run {name!r} in the store")
        return run

    @retry_transient
    def runs(self, frontier: str, *, kind: RunKind | None = None) -> list[RunRecord]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            query = queries.run_query().where(_runs.c.frontier_id == fid)
            if kind is not None:
                query = query.where(_runs.c.kind == kind)
            rows = conn.execute(query.order_by(_runs.c.id)).all()
        return [convert.run_record(r) for r in rows]

    @retry_transient
    def set_run_phase(
        self,
        name: str,
        phase: str,
        *,
        stats: Mapping[str, Any] | None = None,
        finished: bool | None = None,
    ) -> RunRecord:
        """Set a run's phase; `stats` are merged into the stored ones (shallow).

        `finished` None marks the run finished when the phase is terminal
        (Succeeded, Failed, Completed); True or False force it.
        """
        done = phase in TERMINAL_PHASES if finished is None else finished
        convert.check_text(_runs, [{"phase": phase}])
        with self._write() as conn:
            row = self._locked_run(conn, name)
            merged = {**row.stats, **scrub(dict(stats or {}))}
            conn.execute(
                update(_runs)
                .where(_runs.c.id == row.id)
                .values(
                    phase=phase,
                    stats=merged,
                    finished_at=(row.finished_at or utcnow()) if done else None,
                )
            )
            row = conn.execute(queries.run_query().where(_runs.c.id == row.id)).one()
        return convert.run_record(row)

    @retry_transient
    def record_concurrency(
        self, name: str, changes: Sequence[ConcurrencyChange], *, shard: int | None = None
    ) -> None:
        """Merge changes of a run's request concurrency into its history, at their own times."""
        with self._write() as conn:
            row = self._locked_run(conn, name)
            history = convert.concurrency_history(row.concurrency_history, changes, shard)
            conn.execute(
                update(_runs).where(_runs.c.id == row.id).values(concurrency_history=history)
            )

    def _locked_run(self, conn: Connection, name: str) -> Any:
        query = select(_runs).where(_runs.c.name == name)
        return self._locked_row(conn, query, f"no run {name!r} in the store")

    def _locked_row(self, conn: Connection, query: Select[Any], missing: str) -> Any:
        """The one row `query` selects, locked until the transaction ends (PostgreSQL)."""
        if self.dialect == "postgresql":
            query = query.with_for_update()
        row = conn.execute(query).one_or_none()
        if row is None:
            raise NotFoundError(missing)
        return row

    def _run_id(self, conn: Connection, name: str) -> tuple[int, str]:
        row = conn.execute(
            select(_runs.c.id, _runs.c.model_name).where(_runs.c.name == name)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no run {name!r} in the store")
        return int(row.id), str(row.model_name)

    # --- rollouts -------------------------------------------------------------

    def ingest_rollouts(self, run: str, rollouts: Iterable[Rollout]) -> int:
        """Store rollouts in bulk; a (task, attempt) already stored is overwritten. Returns the count.

        Every errored rollout is also kept as an attempt failure (its cause, retries
        and tokens), so a replayed attempt still counts in the totals and the cost.
        Within one call the last rollout of a (task, attempt) wins. Error messages
        and traces are scanned for key-shaped tokens, which are redacted.
        """
        latest: dict[tuple[str, int], Rollout] = {}
        failed: list[Rollout] = []
        for r in rollouts:
            latest[(r.task_id, r.attempt)] = r
            if not r.ok:
                failed.append(r)
        if not latest:
            return 0
        return self._ingest_rollouts(run, list(latest.values()), failed)

    @retry_transient
    def _ingest_rollouts(self, run: str, rollouts: list[Rollout], failed: list[Rollout]) -> int:
        now = utcnow()
        with self._write() as conn:
            run_id, model = self._run_id(conn, run)
            rows = [convert.rollout_row(run_id, model, r, now) for r in rollouts]
            convert.check_text(_rollouts, rows)
            # an errored attempt stays on record when a later wave overwrites its row
            failures = [convert.failure_row(run_id, r, now) for r in failed]
            if failures:
                conn.execute(
                    self._insert(_attempt_failures).on_conflict_do_nothing(
                        index_elements=["run_id", "fingerprint"]
                    ),
                    failures,
                )
            if self.dialect == "postgresql" and len(rows) >= _COPY_AT_LEAST:
                _copy_upsert(conn, rows)
                return len(rows)
            stmt = self._insert(_rollouts)
            stmt = stmt.on_conflict_do_update(
                index_elements=["run_id", "task_id", "attempt"],
                set_={
                    c.name: stmt.excluded[c.name]
                    for c in _rollouts.columns
                    if c.name not in ("run_id", "task_id", "attempt")
                },
            )
            conn.execute(stmt, rows)
        return len(rows)

    @retry_transient
    def rollouts_for(
        self,
        run: str,
        task_ids: Iterable[str] | None = None,
        *,
        status: str | None = None,
    ) -> list[Rollout]:
        """A run's rollouts ordered by task and attempt, optionally for some tasks or one status."""
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            base = select(_rollouts).where(_rollouts.c.run_id == run_id)
            if status is not None:
                base = base.where(_rollouts.c.status == status)
            rows = _rows_in(conn, base, _rollouts.c.task_id, task_ids)
        rows.sort(key=lambda r: (r.task_id, r.attempt))
        return [convert.rollout_of(r) for r in rows]

    @retry_transient
    def done_attempts(
        self,
        run: str,
        task_ids: Iterable[str] | None = None,
        *,
        include_errors: bool = True,
    ) -> set[tuple[str, int]]:
        """(task_id, attempt) pairs already stored, so a resumed shard skips them.

        With include_errors=False an errored attempt does not count as done, so a
        resume retries it (the retry overwrites the error row).
        """
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            base = select(_rollouts.c.task_id, _rollouts.c.attempt).where(
                _rollouts.c.run_id == run_id
            )
            if not include_errors:
                base = base.where(_rollouts.c.status == "ok")
            rows = _rows_in(conn, base, _rollouts.c.task_id, task_ids)
        return {(r.task_id, r.attempt) for r in rows}

    @retry_transient
    def count_rollouts(self, run: str, *, status: str | None = None) -> int:
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            query = select(func.count()).select_from(_rollouts).where(_rollouts.c.run_id == run_id)
            if status is not None:
                query = query.where(_rollouts.c.status == status)
            return int(conn.execute(query).scalar_one())

    @retry_transient
    def run_totals(self, run: str) -> RunTotals:
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            return queries.run_totals(conn, run_id)

    @retry_transient
    def run_cost_since(self, run: str, since: datetime) -> float:
        """The run's cost recorded at or after `since` (see `run_totals` for what counts)."""
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            return queries.run_cost_since(conn, run_id, since)

    def task_means(self, run: str, task_ids: Iterable[str] | None = None) -> dict[str, TaskMean]:
        """Per task: mean reward over ok rollouts (None if all errored), n_ok, n_error. In SQL."""
        ok = queries.ok_condition()
        query = (
            select(
                _rollouts.c.task_id,
                func.avg(case((ok, _rollouts.c.reward))).label("mean"),
                func.sum(case((ok, 1), else_=0)).label("n_ok"),
                func.count().label("n"),
            )
            .group_by(_rollouts.c.task_id)
            .order_by(_rollouts.c.task_id)
        )
        out: dict[str, TaskMean] = {}
        for row in self._per_task(run, query, task_ids):
            n_ok = int(row.n_ok)
            out[row.task_id] = TaskMean(
                queries.snap_mean(float(row.mean)) if row.mean is not None else None,
                n_ok,
                int(row.n) - n_ok,
            )
        return out

    @retry_transient
    def task_metrics(
        self, run: str, task_ids: Iterable[str] | None = None
    ) -> dict[str, TaskMetrics]:
        """The domain's TaskMetrics per task, computed in SQL; tasks with no ok rollout are absent."""
        ok = queries.ok_condition()
        query = (
            select(
                _rollouts.c.task_id,
                func.avg(case((ok, _rollouts.c.reward))).label("mean"),
                func.sum(case((ok, 1), else_=0)).label("n_ok"),
                func.sum(case((and_(ok, _rollouts.c.success.is_(True)), 1), else_=0)).label(
                    "successes"
                ),
                func.count().label("n"),
            )
            .group_by(_rollouts.c.task_id)
            .order_by(_rollouts.c.task_id)
        )
        out: dict[str, TaskMetrics] = {}
        for row in self._per_task(run, query, task_ids):
            if not row.n_ok:
                continue
            out[row.task_id] = TaskMetrics(
                task_id=row.task_id,
                n=int(row.n_ok),
                successes=int(row.successes),
                errors=int(row.n) - int(row.n_ok),
                mean_reward=queries.snap_mean(float(row.mean)),
            )
        return out

    def _per_task(self, run: str, query: Select[Any], task_ids: Iterable[str] | None) -> list[Any]:
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            query = query.where(_rollouts.c.run_id == run_id)
            return _rows_in(conn, query, _rollouts.c.task_id, task_ids)

    @retry_transient
    def band_counts(
        self, run: str, bands: BandSpec, *, task_ids: Iterable[str] | None = None
    ) -> BandSummary:
        """How many of the run's tasks (or of `task_ids` among them) fall in each band, in SQL.

        A task's mean is over its ok rollouts only; tasks whose every rollout errored
        are in no band. Edges as in DESIGN.md, within the domain's EDGE_TOLERANCE.
        """
        band = queries.band_case(bands)
        counts: dict[str, int] = {}
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            self._room_to_aggregate(conn)
            for chunk in _id_chunks(task_ids):
                means = queries.means_subquery(run_id, chunk)
                label = band(means.c.mean).label("band")
                for row in conn.execute(select(label, func.count().label("n")).group_by(label)):
                    counts[row.band] = counts.get(row.band, 0) + int(row.n)
        return BandSummary(
            saturated=counts.get(Band.SATURATED.value, 0),
            hillclimbable=counts.get(Band.HILLCLIMBABLE.value, 0),
            unreachable=counts.get(Band.UNREACHABLE.value, 0),
        )

    @retry_transient
    def task_bands(
        self, run: str, bands: BandSpec, *, task_ids: Iterable[str] | None = None
    ) -> dict[str, Band]:
        """Each task's band (computed in SQL, same rule as band_counts), ordered by task id."""
        band = queries.band_case(bands)
        found: dict[str, Band] = {}
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            self._room_to_aggregate(conn)
            for chunk in _id_chunks(task_ids):
                means = queries.means_subquery(run_id, chunk)
                rows = conn.execute(select(means.c.task_id, band(means.c.mean).label("band")))
                found.update((row.task_id, Band(row.band)) for row in rows)
        return dict(sorted(found.items()))

    # --- candidates -----------------------------------------------------------

    def record_candidates(
        self, frontier: str, round: int, candidates: Iterable[Task | NewCandidate]
    ) -> int:
        """Record a round's candidates; returns how many were new.

        A Task is recorded pending, its lineage giving parent, motif and origin. A
        NewCandidate carries them itself, and may carry the screening decision already
        (a rejected duplicate, say), which is recorded with it. A candidate already
        recorded for the round keeps its row and decision; the first of a repeated id wins.
        """
        now = utcnow()
        rows: dict[str, dict[str, Any]] = {}
        for item in candidates:
            row = convert.candidate_row(round, item, now)
            rows.setdefault(row["task_id"], row)
        if not rows:
            return 0
        convert.check_text(_candidates, rows.values())
        return self._record_candidates(frontier, round, rows)

    @retry_transient
    def _record_candidates(self, frontier: str, round: int, rows: dict[str, dict[str, Any]]) -> int:
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            existing = self._candidate_ids(conn, fid, round, list(rows))
            new = [{**row, "frontier_id": fid} for tid, row in rows.items() if tid not in existing]
            if new:
                conn.execute(
                    self._insert(_candidates).on_conflict_do_nothing(
                        index_elements=["frontier_id", "round", "task_id"]
                    ),
                    new,
                )
        return len(new)

    def _candidate_ids(
        self, conn: Connection, fid: int, round: int, task_ids: Sequence[str]
    ) -> set[str]:
        query = select(_candidates.c.task_id).where(
            _candidates.c.frontier_id == fid, _candidates.c.round == round
        )
        return {row.task_id for row in _rows_in(conn, query, _candidates.c.task_id, task_ids)}

    def decide_candidates(
        self, frontier: str, round: int, outcomes: Iterable[CandidateOutcome]
    ) -> None:
        """Record decisions for recorded candidates (re-deciding overwrites); unknown ids fail."""
        items = {o.task_id: o for o in outcomes}
        if items:
            self._decide_candidates(frontier, round, items)

    @retry_transient
    def _decide_candidates(
        self, frontier: str, round: int, items: dict[str, CandidateOutcome]
    ) -> None:
        now = utcnow()
        params = [
            {
                "b_task_id": o.task_id,
                "b_decision": "admitted" if o.decision.admitted else "rejected",
                "b_reason": None if o.decision.admitted else convert.reason(o.decision),
                "b_detail": convert.clean_text(o.decision.detail),
                "b_mean": o.mean_reward,
                "b_spent": o.rollouts_spent,
                "b_at": now,
            }
            for o in items.values()
        ]
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            missing = set(items) - self._candidate_ids(conn, fid, round, list(items))
            if missing:
                raise NotFoundError(
                    f"round {round} of {frontier} has no candidate(s) {', '.join(sorted(missing)[:5])}"
                    + (" ..." if len(missing) > 5 else "")
                )
            conn.execute(
                update(_candidates)
                .where(
                    _candidates.c.frontier_id == fid,
                    _candidates.c.round == round,
                    _candidates.c.task_id == bindparam("b_task_id"),
                )
                .values(
                    decision=bindparam("b_decision"),
                    reason=bindparam("b_reason"),
                    detail=bindparam("b_detail"),
                    mean_reward=bindparam("b_mean"),
                    rollouts_spent=bindparam("b_spent"),
                    decided_at=bindparam("b_at"),
                ),
                params,
            )

    def decide_candidate(
        self,
        frontier: str,
        round: int,
        task_id: str,
        decision: Decision,
        *,
        mean_reward: float | None = None,
        rollouts_spent: int = 0,
    ) -> None:
        self.decide_candidates(
            frontier, round, [CandidateOutcome(task_id, decision, mean_reward, rollouts_spent)]
        )

    @retry_transient
    def candidates(
        self,
        frontier: str,
        *,
        round: int | None = None,
        decision: str | None = None,
    ) -> list[CandidateRecord]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            query = select(_candidates).where(_candidates.c.frontier_id == fid)
            if round is not None:
                query = query.where(_candidates.c.round == round)
            if decision is not None:
                query = query.where(_candidates.c.decision == decision)
            rows = conn.execute(query.order_by(_candidates.c.round, _candidates.c.id)).all()
        return [convert.candidate_record(r) for r in rows]

    @retry_transient
    def candidate_counts(self, frontier: str, *, round: int | None = None) -> CandidateCounts:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return queries.candidate_counts(conn, fid, round)

    # --- rounds ---------------------------------------------------------------

    @retry_transient
    def start_round(
        self,
        frontier: str,
        number: int,
        *,
        trigger: str = "manual",
        from_slice_version: int | None = None,
        phase: str = "Running",
    ) -> RoundRecord:
        """Create round `number`, or return it unchanged if it exists (a resumed round)."""
        if number < 1:
            raise StoreError(f"rounds are numbered from 1, got {number}")
        convert.check_text(_rounds, [{"trigger": trigger, "phase": phase}])
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            conn.execute(
                self._insert(_rounds)
                .values(
                    frontier_id=fid,
                    number=number,
                    trigger=trigger,
                    from_slice_version=from_slice_version,
                    phase=phase,
                    stats={},
                    started_at=utcnow(),
                    finished_at=None,
                    concurrency_history=[],
                )
                .on_conflict_do_nothing(index_elements=["frontier_id", "number"])
            )
            row = conn.execute(
                select(_rounds).where(_rounds.c.frontier_id == fid, _rounds.c.number == number)
            ).one()
        return convert.round_record(row)

    @retry_transient
    def get_round(self, frontier: str, number: int) -> RoundRecord | None:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            row = conn.execute(
                select(_rounds).where(_rounds.c.frontier_id == fid, _rounds.c.number == number)
            ).one_or_none()
        return convert.round_record(row) if row is not None else None

    @retry_transient
    def rounds(self, frontier: str) -> list[RoundRecord]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(_rounds).where(_rounds.c.frontier_id == fid).order_by(_rounds.c.number)
            ).all()
        return [convert.round_record(r) for r in rows]

    @retry_transient
    def set_round_phase(
        self,
        frontier: str,
        number: int,
        phase: str,
        *,
        stats: Mapping[str, Any] | None = None,
        finished: bool | None = None,
    ) -> RoundRecord:
        """Set a round's phase; `stats` merge into the stored ones; terminal phases finish it."""
        done = phase in TERMINAL_PHASES if finished is None else finished
        convert.check_text(_rounds, [{"phase": phase}])
        with self._write() as conn:
            row = self._locked_round(conn, frontier, number)
            conn.execute(
                update(_rounds)
                .where(_rounds.c.id == row.id)
                .values(
                    phase=phase,
                    stats={**row.stats, **scrub(dict(stats or {}))},
                    finished_at=(row.finished_at or utcnow()) if done else None,
                )
            )
            row = conn.execute(select(_rounds).where(_rounds.c.id == row.id)).one()
        return convert.round_record(row)

    @retry_transient
    def record_round_parents(self, frontier: str, number: int, parents: Sequence[str]) -> list[str]:
        """Record the round's parents unless already recorded; return the recorded ones.

        The first writer wins, so a resumed round, or a second shard of it, mutates
        the parents chosen when the round's teacher first started.
        """
        with self._write() as conn:
            row = self._locked_round(conn, frontier, number)
            if row.parents is not None:
                return list(row.parents)
            conn.execute(
                update(_rounds).where(_rounds.c.id == row.id).values(parents=list(parents))
            )
        return list(parents)

    def finish_round(
        self,
        frontier: str,
        number: int,
        phase: str = "Succeeded",
        *,
        stats: Mapping[str, Any] | None = None,
    ) -> RoundRecord:
        """Set a round's final phase and mark it finished (the first finish time is kept)."""
        return self.set_round_phase(frontier, number, phase, stats=stats, finished=True)

    @retry_transient
    def record_round_concurrency(
        self,
        frontier: str,
        number: int,
        changes: Sequence[ConcurrencyChange],
        *,
        shard: int | None = None,
    ) -> None:
        """Merge changes of the round's teacher endpoint concurrency into the round's history."""
        with self._write() as conn:
            row = self._locked_round(conn, frontier, number)
            history = convert.concurrency_history(row.concurrency_history, changes, shard)
            conn.execute(
                update(_rounds).where(_rounds.c.id == row.id).values(concurrency_history=history)
            )

    @retry_transient
    def record_teacher_usage(
        self, frontier: str, round: int, parent_id: str, attempt: int, spend: TeacherSpend
    ) -> None:
        """Store what the teacher spent on a parent in one attempt at it (again: overwritten).

        Each attempt at a parent (a parent redone after a crash or an endpoint failure)
        is its own record, since its tokens were billed; storing one attempt twice is not.
        """
        convert.check_text(_teacher_usage, [{"parent_id": parent_id, "model": spend.model}])
        values = {
            "model": spend.model,
            "requests": spend.requests,
            "input_tokens": spend.input_tokens,
            "output_tokens": spend.output_tokens,
            "missing_usage": spend.missing_usage,
            "cost_usd": spend.cost_usd,
            "recorded_at": utcnow(),
        }
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            conn.execute(
                self._insert(_teacher_usage)
                .values(
                    frontier_id=fid, round=round, parent_id=parent_id, attempt=attempt, **values
                )
                .on_conflict_do_update(
                    index_elements=["frontier_id", "round", "parent_id", "attempt"], set_=values
                )
            )

    @retry_transient
    def teacher_usage(
        self, frontier: str, *, round: int | None = None, since: datetime | None = None
    ) -> list[TeacherUsageRecord]:
        """The teacher's recorded spend (of one round; recorded at or after `since`), in order."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            query = select(_teacher_usage).where(_teacher_usage.c.frontier_id == fid)
            if round is not None:
                query = query.where(_teacher_usage.c.round == round)
            if since is not None:
                query = query.where(_teacher_usage.c.recorded_at >= since)
            rows = conn.execute(query.order_by(_teacher_usage.c.id)).all()
        return [convert.teacher_usage_record(r) for r in rows]

    def _locked_round(self, conn: Connection, frontier: str, number: int) -> Any:
        fid = self._frontier_id(conn, frontier)
        query = select(_rounds).where(_rounds.c.frontier_id == fid, _rounds.c.number == number)
        return self._locked_row(conn, query, f"no round {number} of {frontier} in the store")

    # --- slices ---------------------------------------------------------------

    def publish_slice(
        self,
        frontier: str,
        version: int,
        task_ids: Sequence[str],
        *,
        stats: Mapping[str, Any] | None = None,
        parent_version: int | None = None,
    ) -> SliceRecord:
        """Publish slice `version` with these members in this order; a published version never changes.

        Publishing the same version again with the same members and parent is a no-op
        that returns the stored slice (a resumed stage); anything else is SliceImmutableError.
        """
        members = list(task_ids)
        if version < 1:
            raise StoreError(f"slice versions are numbered from 1, got {version}")
        dupes = sorted(t for t, n in Counter(members).items() if n > 1)
        if dupes:
            raise StoreError(f"slice {version} lists task(s) twice: {', '.join(dupes[:5])}")
        stats_json = cast(dict[str, Any], scrub(dict(stats or {})))
        try:
            return self._publish_slice(frontier, version, members, stats_json, parent_version)
        except IntegrityError:
            # Another writer published this version between our read and our insert; the
            # second attempt finds it and returns it, or says it differs.
            return self._publish_slice(frontier, version, members, stats_json, parent_version)

    @retry_transient
    def _publish_slice(
        self,
        frontier: str,
        version: int,
        members: list[str],
        stats_json: dict[str, Any],
        parent_version: int | None,
    ) -> SliceRecord:
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            stored = self._slice(conn, fid, version)
            if stored is not None:
                if list(stored.task_ids) != members or stored.parent_version != parent_version:
                    raise SliceImmutableError(
                        f"slice version {version} of {frontier} is published and immutable; "
                        f"publish a new version (next is {self._next_version(conn, fid)})"
                    )
                return stored
            if parent_version is not None and self._slice(conn, fid, parent_version) is None:
                raise NotFoundError(
                    f"parent slice version {parent_version} of {frontier} does not exist"
                )
            known = _stored_task_ids(conn, fid, members)
            unknown = [t for t in members if t not in known]
            if unknown:
                raise NotFoundError(
                    f"slice {version} of {frontier} names task(s) not in the store: "
                    f"{', '.join(unknown[:5])}" + (" ..." if len(unknown) > 5 else "")
                )
            slice_id = conn.execute(
                self._insert(_slices)
                .values(
                    frontier_id=fid,
                    version=version,
                    parent_version=parent_version,
                    size=len(members),
                    stats=stats_json,
                    created_at=utcnow(),
                )
                .returning(_slices.c.id)
            ).scalar_one()
            if members:
                conn.execute(
                    _members.insert(),
                    [
                        {"slice_id": slice_id, "position": i, "task_id": t}
                        for i, t in enumerate(members)
                    ],
                )
            published = self._slice(conn, fid, version)
        assert published is not None
        return published

    @retry_transient
    def get_slice(self, frontier: str, version: int | None = None) -> SliceRecord | None:
        """Slice `version`, or the latest when version is None; None if there is none."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            if version is None:
                version = conn.execute(
                    select(func.max(_slices.c.version)).where(_slices.c.frontier_id == fid)
                ).scalar_one_or_none()
                if version is None:
                    return None
            return self._slice(conn, fid, version)

    def latest_slice(self, frontier: str) -> SliceRecord | None:
        """The newest published slice version, or None before the first."""
        return self.get_slice(frontier)

    @retry_transient
    def slices(self, frontier: str) -> list[SliceRecord]:
        """Every published slice version with its members, oldest first."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            versions = conn.execute(
                select(_slices.c.version)
                .where(_slices.c.frontier_id == fid)
                .order_by(_slices.c.version)
            ).scalars()
            found = [self._slice(conn, fid, int(v)) for v in list(versions)]
        return [s for s in found if s is not None]

    @retry_transient
    def slice_families(self, frontier: str) -> dict[int, dict[str, int]]:
        """Per slice version (oldest first), how many of its tasks are of each family.

        Counted from the members and their tasks, in SQL, so every slice version has
        its spread even where the publisher recorded none; status and the report share it.
        """
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(_slices.c.version, _tasks.c.family, func.count().label("n"))
                .select_from(_members)
                .join(_slices, _slices.c.id == _members.c.slice_id)
                .join(
                    _tasks,
                    and_(
                        _tasks.c.frontier_id == _slices.c.frontier_id,
                        _tasks.c.id == _members.c.task_id,
                    ),
                )
                .where(_slices.c.frontier_id == fid)
                .group_by(_slices.c.version, _tasks.c.family)
                .order_by(_slices.c.version, _tasks.c.family)
            )
            versions = conn.execute(
                select(_slices.c.version).where(_slices.c.frontier_id == fid)
            ).scalars()
            found: dict[int, dict[str, int]] = {int(v): {} for v in sorted(versions)}
            for row in rows:
                found[int(row.version)][str(row.family)] = int(row.n)
        return found

    @retry_transient
    def slice_versions(self, frontier: str) -> list[int]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return [
                int(v)
                for v in conn.execute(
                    select(_slices.c.version)
                    .where(_slices.c.frontier_id == fid)
                    .order_by(_slices.c.version)
                ).scalars()
            ]

    @retry_transient
    def next_slice_version(self, frontier: str) -> int:
        with self._read() as conn:
            return self._next_version(conn, self._frontier_id(conn, frontier))

    def _next_version(self, conn: Connection, fid: int) -> int:
        latest = conn.execute(
            select(func.max(_slices.c.version)).where(_slices.c.frontier_id == fid)
        ).scalar_one_or_none()
        return int(latest or 0) + 1

    def _slice(self, conn: Connection, fid: int, version: int) -> SliceRecord | None:
        row = conn.execute(
            select(_slices).where(_slices.c.frontier_id == fid, _slices.c.version == version)
        ).one_or_none()
        if row is None:
            return None
        members = conn.execute(
            select(_members.c.task_id)
            .where(_members.c.slice_id == row.id)
            .order_by(_members.c.position)
        ).scalars()
        return SliceRecord(
            version=row.version,
            parent_version=row.parent_version,
            task_ids=tuple(members),
            stats=dict(row.stats),
            created_at=row.created_at,
        )

    # --- events ---------------------------------------------------------------

    @retry_transient
    def add_event(
        self,
        frontier: str,
        reason: str,
        message: str,
        *,
        type: EventType = "Normal",
        data: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> EventRecord:
        if type not in ("Normal", "Warning"):
            raise StoreError(f"event type must be Normal or Warning, got {type!r}")
        values = {
            "at": at or utcnow(),
            "type": type,
            "reason": reason,
            "message": convert.clean_text(message),
            "data": scrub(dict(data or {})),
        }
        convert.check_text(_events, [values])
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            conn.execute(_events.insert().values(frontier_id=fid, **values))
        return EventRecord(**values)

    @retry_transient
    def events(
        self,
        frontier: str,
        *,
        reason: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[EventRecord]:
        """Events oldest first; with `limit`, the most recent `limit` of them."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return queries.events_of(conn, fid, reason=reason, since=since, limit=limit)

    # --- shard progress -------------------------------------------------------

    @retry_transient
    def shard_started(self, frontier: str, stage: str, scope: str, shard: int) -> ShardRecord:
        """Mark a shard of a stage running (again); its attempt count goes up by one."""
        convert.check_text(_shards, [{"stage": stage, "scope": scope}])
        now = utcnow()
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            stmt = self._insert(_shards).values(
                frontier_id=fid,
                stage=stage,
                scope=scope,
                shard=shard,
                status="running",
                attempts=1,
                detail={},
                started_at=now,
                finished_at=None,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["frontier_id", "stage", "scope", "shard"],
                    set_={
                        "status": "running",
                        "attempts": _shards.c.attempts + 1,
                        "started_at": now,
                        "finished_at": None,
                    },
                )
            )
            return self._shard(conn, fid, stage, scope, shard)

    def shard_done(
        self,
        frontier: str,
        stage: str,
        scope: str,
        shard: int,
        *,
        detail: Mapping[str, Any] | None = None,
    ) -> ShardRecord:
        return self._finish_shard(frontier, stage, scope, shard, "done", dict(detail or {}))

    def shard_failed(
        self, frontier: str, stage: str, scope: str, shard: int, *, error: str
    ) -> ShardRecord:
        return self._finish_shard(frontier, stage, scope, shard, "failed", {"error": error})

    @retry_transient
    def _finish_shard(
        self,
        frontier: str,
        stage: str,
        scope: str,
        shard: int,
        status: str,
        detail: dict[str, Any],
    ) -> ShardRecord:
        now = utcnow()
        convert.check_text(_shards, [{"stage": stage, "scope": scope}])
        detail = cast(dict[str, Any], scrub(detail))
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            stmt = self._insert(_shards).values(
                frontier_id=fid,
                stage=stage,
                scope=scope,
                shard=shard,
                status=status,
                attempts=1,
                detail=detail,
                started_at=now,
                finished_at=now,
            )
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["frontier_id", "stage", "scope", "shard"],
                    set_={"status": status, "detail": detail, "finished_at": now},
                )
            )
            return self._shard(conn, fid, stage, scope, shard)

    @retry_transient
    def done_shards(self, frontier: str, stage: str, scope: str) -> set[int]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            return {
                int(s)
                for s in conn.execute(
                    select(_shards.c.shard).where(
                        _shards.c.frontier_id == fid,
                        _shards.c.stage == stage,
                        _shards.c.scope == scope,
                        _shards.c.status == "done",
                    )
                ).scalars()
            }

    @retry_transient
    def shards(self, frontier: str, stage: str, scope: str) -> list[ShardRecord]:
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(_shards)
                .where(
                    _shards.c.frontier_id == fid,
                    _shards.c.stage == stage,
                    _shards.c.scope == scope,
                )
                .order_by(_shards.c.shard)
            ).all()
        return [convert.shard_record(r) for r in rows]

    def _shard(self, conn: Connection, fid: int, stage: str, scope: str, shard: int) -> ShardRecord:
        row = conn.execute(
            select(_shards).where(
                _shards.c.frontier_id == fid,
                _shards.c.stage == stage,
                _shards.c.scope == scope,
                _shards.c.shard == shard,
            )
        ).one()
        return convert.shard_record(row)

    # --- summary --------------------------------------------------------------

    @retry_transient
    def summary(self, frontier: str, *, recent_events: int = 10) -> FrontierSummary:
        """Everything `frontier status` shows; bands use the frontier spec's edges."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            frow = conn.execute(select(_frontiers).where(_frontiers.c.id == fid)).one()
            record = convert.frontier_record(frow)
            bands = BandSpec.model_validate(record.spec.get("bands") or {})
            band = queries.band_case(bands)
            by_origin = {
                str(row.origin): int(row.n)
                for row in conn.execute(
                    select(_tasks.c.origin, func.count().label("n"))
                    .where(_tasks.c.frontier_id == fid)
                    .group_by(_tasks.c.origin)
                )
            }
            runs: list[RunSummary] = []
            for run in conn.execute(
                select(_runs.c.id, _runs.c.name, _runs.c.kind, _runs.c.model_name, _runs.c.phase)
                .where(_runs.c.frontier_id == fid)
                .order_by(_runs.c.id)
            ):
                means = queries.means_subquery(run.id)
                label = band(means.c.mean).label("band")
                counts = {
                    r.band: int(r.n)
                    for r in conn.execute(select(label, func.count().label("n")).group_by(label))
                }
                runs.append(
                    RunSummary(
                        name=run.name,
                        kind=run.kind,
                        model_name=run.model_name,
                        phase=run.phase,
                        totals=queries.run_totals(conn, run.id),
                        bands={b.value: counts.get(b.value, 0) for b in Band} if counts else None,
                    )
                )
            rounds = [
                convert.round_record(r)
                for r in conn.execute(
                    select(_rounds).where(_rounds.c.frontier_id == fid).order_by(_rounds.c.number)
                )
            ]
            slices = [
                (int(r.version), int(r.size))
                for r in conn.execute(
                    select(_slices.c.version, _slices.c.size)
                    .where(_slices.c.frontier_id == fid)
                    .order_by(_slices.c.version)
                )
            ]
            return FrontierSummary(
                frontier=record,
                tasks_by_origin=by_origin,
                runs=runs,
                rounds=rounds,
                slices=slices,
                candidates=queries.candidate_counts(conn, fid, None),
                recent_events=queries.events_of(conn, fid, limit=recent_events),
            )


_ROLLOUT_COLUMNS = [c.name for c in _rollouts.columns]
_KEY = ("run_id", "task_id", "attempt")


def _copy_upsert(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """COPY the rows into a session-local staging table, then upsert them in one statement."""
    columns = ", ".join(_ROLLOUT_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _ROLLOUT_COLUMNS if c not in _KEY)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS rollouts_staging "
            "(LIKE rollouts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cur.copy(f"COPY rollouts_staging ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c]) for c in _ROLLOUT_COLUMNS])
        cur.execute(
            f"INSERT INTO rollouts ({columns}) SELECT {columns} FROM rollouts_staging "
            f"ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET {updates}"
        )
        cur.execute("TRUNCATE rollouts_staging")


def _copy_value(value: Any) -> Any:
    if isinstance(value, str):  # RawJSON is already JSON text
        return str(value)
    if isinstance(value, dict | list):
        return compact_json(value)
    return value
