"""Rollouts are the store's bulk and its hot path: written by the hundred thousand per
run and aggregated in SQL into means and bands, kept apart from the runs they belong to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    Float,
    Integer,
    func,
    select,
)

from frontier.domain.bands import Band, BandSummary
from frontier.domain.metrics import TaskMetrics
from frontier.domain.runs import RunTotals
from frontier.domain.specs import BandSpec
from frontier.domain.tasks import Rollout
from frontier.store import convert, queries
from frontier.store.core import StoreCore, chunks, rows_in
from frontier.store.errors import NotFoundError
from frontier.store.models import UTCDateTime, utcnow
from frontier.store.records import TaskMean
from frontier.store.retry import retry_transient
from frontier.store.tables import attempt_failures as _attempt_failures
from frontier.store.tables import rollout_sums as _rollout_sums
from frontier.store.tables import rollouts as _rollouts
from frontier.store.tables import runs as _runs

_COPY_AT_LEAST = 200
"""Batches this large go to PostgreSQL by COPY (straight into the table, or staged and
upserted), several times faster than an executemany upsert."""


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
            convert.check_rollouts(model, task_ids)
            if self.dialect != "postgresql":  # one writer at a time: no locks needed
                conn.execute(
                    _upsert_rollouts(self._insert(_rollouts)),
                    [convert.rollout_row(run_id, model, r, now) for r in rollouts],
                )
                _refresh_sums(conn, self._insert(_rollout_sums), run_id, task_ids, array=False)
                return len(rollouts)
            # Tasks never stored get their sums from this batch outright; the others are
            # locked, written, and recomputed from their stored rows.
            stored = _claim_sums(conn, run_id, rollouts)
            if len(rollouts) >= _COPY_AT_LEAST:
                # converted (and redacted) row by row as COPY streams them, so the server
                # writes the first rows while Python converts the next
                def rows() -> Iterator[tuple[Any, ...]]:
                    return (convert.rollout_values(run_id, model, r, now) for r in rollouts)

                if not _copy_rollouts(conn, rows, upsert=bool(stored)):
                    stored = task_ids  # the sums were out of step: recompute them all
            else:
                conn.execute(
                    _upsert_rollouts(self._insert(_rollouts)),
                    [convert.rollout_row(run_id, model, r, now) for r in rollouts],
                )
            if stored:
                _refresh_sums(conn, self._insert(_rollout_sums), run_id, stored, array=True)
        return len(rollouts)

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

    @retry_transient
    def task_means(self, run: str, task_ids: Iterable[str] | None = None) -> dict[str, TaskMean]:
        """Per task: mean reward over ok rollouts (None if all errored), n_ok, n_error.

        Read from the per-task sums ingest keeps (one row per task), as banding is."""
        out: dict[str, TaskMean] = {}
        for row in self._sums(run, task_ids):
            n_ok = int(row.n_ok)
            mean = queries.snap_mean(float(row.reward_sum) / n_ok) if n_ok else None
            out[row.task_id] = TaskMean(mean, n_ok, int(row.n_error))
        return out

    @retry_transient
    def task_metrics(
        self, run: str, task_ids: Iterable[str] | None = None
    ) -> dict[str, TaskMetrics]:
        """The domain's TaskMetrics per task, from the per-task sums; tasks with no ok
        rollout are absent."""
        out: dict[str, TaskMetrics] = {}
        for row in self._sums(run, task_ids):
            if not row.n_ok:
                continue
            out[row.task_id] = TaskMetrics(
                task_id=row.task_id,
                n=int(row.n_ok),
                successes=int(row.successes),
                errors=int(row.n_error),
                mean_reward=queries.snap_mean(float(row.reward_sum) / int(row.n_ok)),
            )
        return out

    def _sums(self, run: str, task_ids: Iterable[str] | None) -> list[Any]:
        """The run's `rollout_sums` rows (of `task_ids`, if given), ordered by task id."""
        with self._read() as conn:
            run_id, _ = self._run_id(conn, run)
            query = select(_rollout_sums).where(_rollout_sums.c.run_id == run_id)
            rows = rows_in(conn, query, _rollout_sums.c.task_id, task_ids)
        rows.sort(key=lambda r: r.task_id)
        return rows

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
    def task_sums(self, run: str) -> dict[str, tuple[int, float]]:
        """(scored rollouts, reward sum) of each of the run's tasks with a scored rollout,
        by task id: the per-task sums ingest keeps, one row per task (what a
        posterior-rule run's prior is fitted to)."""
        return {
            row.task_id: (int(row.n_ok), float(row.reward_sum))
            for row in self._sums(run, None)
            if row.n_ok
        }

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


def _upsert_rollouts(insert: Any) -> Any:
    return insert.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={c.name: insert.excluded[c.name] for c in _rollouts.columns if c.name not in _KEY},
    )


def _batch_sums(rollouts: Iterable[Rollout]) -> dict[str, tuple[int, int, int, float]]:
    """Per task: (n_ok, n_error, successes, reward_sum) of these rollouts, by the rule of
    `queries.task_sums_select` (scored: status ok with a reward)."""
    sums: dict[str, list[Any]] = {}
    for r in rollouts:
        task = sums.get(r.task_id)
        if task is None:
            task = sums[r.task_id] = [0, 0, 0, 0.0]
        if r.ok and r.reward is not None:
            task[0] += 1
            task[2] += r.success is True
            task[3] += r.reward
        else:
            task[1] += 1
    return {
        t: (n_ok, n_error, successes, total)
        for t, (n_ok, n_error, successes, total) in sums.items()
    }


def _claim_sums(conn: Connection, run_id: int, rollouts: list[Rollout]) -> list[str]:
    """On PostgreSQL: insert the sums of the batch's tasks that have none yet, lock the
    others' rows; return those others (sorted), whose sums must be recomputed.

    A task without a sums row has no stored rollout, so this batch's sums are its sums;
    the row inserted stays locked (uncommitted) until the batch commits. Every writer of
    a task's rollouts holds its sums row until it commits, so the sums a writer
    recomputes after its own write see every other writer's rows: two shards writing
    attempts of one task at once cannot each count only their own. Rows are inserted
    and locked in task order, so two writers cannot deadlock on them.
    """
    sums = _batch_sums(rollouts)
    ids = sorted(sums)
    columns = list(zip(*(sums[t] for t in ids), strict=True))
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        cur.execute(
            "INSERT INTO rollout_sums (run_id, task_id, n_ok, n_error, successes, reward_sum) "
            "SELECT %s, t.* FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[], "
            "%s::float8[]) AS t ORDER BY 1, 2 ON CONFLICT DO NOTHING RETURNING task_id",
            (run_id, ids, *(list(c) for c in columns)),
        )
        claimed = {row[0] for row in cur.fetchall()}
        stored = [t for t in ids if t not in claimed]
        if stored:
            cur.execute(
                "SELECT 1 FROM rollout_sums WHERE run_id = %s AND task_id = ANY(%s) "
                "ORDER BY task_id FOR UPDATE",
                (run_id, stored),
            )
    return stored


def _refresh_sums(
    conn: Connection, insert: Any, run_id: int, task_ids: list[str], *, array: bool
) -> None:
    """Recompute the tasks' sums from their stored rollouts (idempotent: never a delta)."""
    for chunk in [task_ids] if array else chunks(task_ids):
        select = queries.task_sums_select(run_id, chunk, array=array)
        stmt = insert.from_select(["run_id", "task_id", *_SUMS], select)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["run_id", "task_id"],
                set_={c: getattr(stmt.excluded, c) for c in _SUMS},
            )
        )


def _copy_rollouts(
    conn: Connection, rows: Callable[[], Iterable[tuple[Any, ...]]], *, upsert: bool
) -> bool:
    """Write the rows with COPY: straight into `rollouts` when none of their tasks has a
    stored rollout (a first wave), else through a staging table and one upsert.

    A straight COPY that meets a stored row anyway (the sums out of step with the
    rollouts) is undone to a savepoint and redone as an upsert: then returns False.
    """
    if not upsert:
        savepoint = conn.begin_nested()
        try:
            _copy(conn, "rollouts", rows())
        except Exception as exc:
            if getattr(exc, "sqlstate", None) != _UNIQUE_VIOLATION:
                raise
            savepoint.rollback()
        else:
            savepoint.commit()
            return True
        _copy_upsert(conn, rows())
        return False
    _copy_upsert(conn, rows())
    return True


_COLUMNS = ", ".join(convert.ROLLOUT_COLUMNS)


def _copy_type(column: Any) -> str:
    """The PostgreSQL type a COPY in binary format sends a rollouts column's values as.

    Text (and JSON, whose binary form is its text) goes as text: the server reads it
    into the column's own type, and a trace is already serialized JSON (RawJSON).
    """
    kind = column.type
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, BigInteger):
        return "int8"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, Float):
        return "float8"
    if isinstance(kind, UTCDateTime):
        return "timestamptz"
    return "text"


COPY_TYPES = [_copy_type(c) for c in _rollouts.columns]


def _copy(conn: Connection, table: str, values: Iterable[tuple[Any, ...]]) -> None:
    """COPY the rows in binary format (no text formatting of numbers and times either side:
    several times cheaper per row for the client than text)."""
    raw = conn.connection.driver_connection
    assert raw is not None
    statement = f"COPY {table} ({_COLUMNS}) FROM STDIN (FORMAT BINARY)"
    with raw.cursor() as cur, cur.copy(statement) as copy:
        copy.set_types(COPY_TYPES)
        for row in values:
            copy.write_row(row)


def _copy_upsert(conn: Connection, values: Iterable[tuple[Any, ...]]) -> None:
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
