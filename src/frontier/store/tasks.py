"""A frontier's tasks are written once and then only named, by slices, runs and
candidates; their catalogue stands apart from what refers to it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from frontier.domain.tasks import Task
from frontier.store import convert
from frontier.store.core import StoreCore, rows_in, stored_task_ids
from frontier.store.models import utcnow
from frontier.store.retry import retry_transient
from frontier.store.tables import tasks as _tasks


class TaskStore(StoreCore):
    """A frontier's tasks, added idempotently by id and read in the order added."""

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
            existing = stored_task_ids(conn, fid, unique)
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
            rows = rows_in(conn, base, _tasks.c.id, ids)
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
