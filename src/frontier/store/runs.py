"""Every reconcile and every resumed Job creates its run again by name, so a run's
idempotent create, its phase and its history live here, apart from the bulk of
rollouts written under it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, select, update

from frontier.domain.specs import ModelRef, TaskSetRef
from frontier.store import convert, queries
from frontier.store.core import TERMINAL_PHASES, StoreCore
from frontier.store.errors import ConflictError, NotFoundError, StoreError
from frontier.store.models import RUN_KINDS, utcnow
from frontier.store.records import ConcurrencyChange, RunKind, RunRecord
from frontier.store.retry import retry_transient
from frontier.store.scrub import scrub
from frontier.store.tables import runs as _runs


class RunStore(StoreCore):
    """Runs: create (or find the same one again), read, set their phase and history."""

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
        plan: Mapping[str, Any] | None = None,
    ) -> RunRecord:
        """Create a run, or return the existing one of that name if its settings are the same.

        A run of the same name with other settings is a ConflictError naming the fields.
        `plan` is a placement run's adaptive test, stored with it so a resume asks the same.
        """
        if kind not in RUN_KINDS:
            raise StoreError(f"run kind must be one of {', '.join(RUN_KINDS)}, got {kind!r}")
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
            "plan": dict(plan) if plan is not None else None,
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
    def set_run_prior(self, name: str, weights: Sequence[float] | None) -> RunRecord:
        """Store the prior a posterior-rule run bands by (domain.sampling.Prior on the wire);
        None makes the run band by the observed mean again."""
        prior = None if weights is None else [float(w) for w in weights]
        with self._write() as conn:
            row = self._locked_run(conn, name)
            conn.execute(update(_runs).where(_runs.c.id == row.id).values(prior=prior))
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
