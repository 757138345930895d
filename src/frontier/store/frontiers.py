"""A frontier is the root every other row hangs from, so creating one and deleting one
with everything it owns belong together.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select, update

from frontier.domain.specs import SpecModel
from frontier.store import convert
from frontier.store.core import StoreCore, parse_frontier_key
from frontier.store.models import utcnow
from frontier.store.records import FrontierRecord
from frontier.store.retry import retry_transient
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


class FrontierStore(StoreCore):
    """Frontiers: create or update a spec, read, delete with everything owned."""

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
