"""Rollouts are the store's bulk and its hot path: written by the hundred thousand per
run and aggregated in SQL into means and bands, kept apart from the runs they belong to.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, select

from frontier.domain.bands import Band, BandSummary
from frontier.domain.metrics import TaskMetrics
from frontier.domain.runs import RunTotals
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Rollout
from frontier.store import convert, queries
from frontier.store.core import StoreCore, chunks, rows_in
from frontier.store.errors import NotFoundError
from frontier.store.models import utcnow
from frontier.store.records import TaskMean
from frontier.store.retry import retry_transient
from frontier.store.tables import attempt_failures as _attempt_failures
from frontier.store.tables import rollout_sums as _rollout_sums
from frontier.store.tables import rollouts as _rollouts
from frontier.store.tables import runs as _runs

_COPY_AT_LEAST = 200
"""Batches this large go to PostgreSQL through COPY and one upsert, several times faster."""


class RolloutStore(StoreCore):
    """A run's rollouts and attempt failures: bulk upsert, per-task means, bands, totals."""

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
            values = [convert.rollout_values(run_id, model, r, now) for r in rollouts]
            # an errored attempt stays on record when a later wave overwrites its row
            failures = [convert.failure_row(run_id, r, now) for r in failed]
            if failures:
                conn.execute(
                    self._insert(_attempt_failures).on_conflict_do_nothing(
                        index_elements=["run_id", "fingerprint"]
                    ),
                    failures,
                )
            task_ids = sorted({r.task_id for r in rollouts})
            if self.dialect == "postgresql":
                stored = _lock_sums(conn, run_id, task_ids)
                if len(values) >= _COPY_AT_LEAST:
                    _copy_rollouts(conn, values, upsert=stored > 0)
                    _refresh_sums(conn, self._insert(_rollout_sums), run_id, task_ids)
                    return len(values)
            stmt = self._insert(_rollouts)
            stmt = stmt.on_conflict_do_update(
                index_elements=list(_KEY),
                set_={
                    c.name: stmt.excluded[c.name] for c in _rollouts.columns if c.name not in _KEY
                },
            )
            conn.execute(stmt, [dict(zip(convert.ROLLOUT_COLUMNS, v, strict=True)) for v in values])
            _refresh_sums(conn, self._insert(_rollout_sums), run_id, task_ids)
        return len(values)

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
            rows = rows_in(conn, base, _rollouts.c.task_id, task_ids)
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
            rows = rows_in(conn, base, _rollouts.c.task_id, task_ids)
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
            return rows_in(conn, query, _rollouts.c.task_id, task_ids)

    @retry_transient
    def band_counts(
        self, run: str, bands: BandSpec, *, task_ids: Iterable[str] | None = None
    ) -> BandSummary:
        """How many of the run's tasks (or of `task_ids` among them) fall in each band, in SQL.

        A task's mean is over its ok rollouts only; tasks whose every rollout errored
        are in no band. Edges as in DESIGN.md, within the domain's EDGE_TOLERANCE. Reads
        the per-task sums ingest keeps (one row per task), not the rollouts.
        """
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            return queries.band_counts(conn, run_id, bands, task_ids)

    @retry_transient
    def task_bands(
        self, run: str, bands: BandSpec, *, task_ids: Iterable[str] | None = None
    ) -> dict[str, Band]:
        """Each task's band (from the per-task sums, same rule as band_counts), by task id."""
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            return queries.task_bands(conn, run_id, bands, task_ids)

    def _run_id(self, conn: Connection, name: str) -> tuple[int, str]:
        row = conn.execute(
            select(_runs.c.id, _runs.c.model_name).where(_runs.c.name == name)
        ).one_or_none()
        if row is None:
            raise NotFoundError(f"no run {name!r} in the store")
        return int(row.id), str(row.model_name)


_KEY = ("run_id", "task_id", "attempt")
_SUMS = ("n_ok", "n_error", "successes", "reward_sum")
_UNIQUE_VIOLATION = "23505"


def _lock_sums(conn: Connection, run_id: int, task_ids: list[str]) -> int:
    """Lock the tasks' sums rows (PostgreSQL), creating missing ones; how many tasks have rollouts.

    Every writer of a task's rollouts holds its sums row until it commits, so the sums
    a writer recomputes after its own write see every other writer's rows: two shards
    writing attempts of one task at once cannot each count only their own. Rows are
    created and locked in task order, so two writers cannot deadlock on them.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO rollout_sums (run_id, task_id, n_ok, n_error, successes, reward_sum) "
            "SELECT %s, t, 0, 0, 0, 0 FROM unnest(%s::text[]) AS t ORDER BY t "
            "ON CONFLICT DO NOTHING",
            (run_id, task_ids),
        )
        cur.execute(
            "SELECT count(*) FILTER (WHERE n_ok + n_error > 0) FROM ("
            "SELECT n_ok, n_error FROM rollout_sums WHERE run_id = %s AND task_id = ANY(%s) "
            "ORDER BY task_id FOR UPDATE) AS locked",
            (run_id, task_ids),
        )
        row = cur.fetchone()
    return int(row[0]) if row else 0


def _refresh_sums(conn: Connection, insert: Any, run_id: int, task_ids: list[str]) -> None:
    """Recompute the tasks' sums from their stored rollouts (idempotent: never a delta)."""
    for chunk in chunks(task_ids):
        stmt = insert.from_select(
            ["run_id", "task_id", *_SUMS], queries.task_sums_select(run_id, chunk)
        )
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "task_id"],
                set_={c: getattr(stmt.excluded, c) for c in _SUMS},
            )
        )


def _copy_rollouts(conn: Connection, values: list[tuple[Any, ...]], *, upsert: bool) -> None:
    """Write the rows with COPY: straight into `rollouts` when none of their tasks has a
    stored rollout (a first wave), else through a staging table and one upsert.

    A straight COPY that meets a stored row anyway (sums out of step) is undone to a
    savepoint and redone as an upsert.
    """
    if not upsert:
        savepoint = conn.begin_nested()
        try:
            _copy(conn, "rollouts", values)
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
            savepoint.rollback()
        else:
            savepoint.commit()
            return
    _copy_upsert(conn, values)


_COLUMNS = ", ".join(convert.ROLLOUT_COLUMNS)


def _copy(conn: Connection, table: str, values: list[tuple[Any, ...]]) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN") as copy:
        for row in values:
            copy.write_row(row)


def _copy_upsert(conn: Connection, values: list[tuple[Any, ...]]) -> None:
    """COPY the rows into a session-local staging table, then upsert them in one statement."""
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in convert.ROLLOUT_COLUMNS if c not in _KEY)
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS rollouts_staging "
            "(LIKE rollouts INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    _copy(conn, "rollouts_staging", values)
    with raw.cursor() as cur:
        cur.execute(
            f"INSERT INTO rollouts ({_COLUMNS}) SELECT {_COLUMNS} FROM rollouts_staging "
            f"ON CONFLICT (run_id, task_id, attempt) DO UPDATE SET {updates}"
        )
        cur.execute("TRUNCATE rollouts_staging")
