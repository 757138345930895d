"""`frontier status` needs counts from every aggregate in one read transaction; the one
read that spans them all lives apart from each.
"""

from __future__ import annotations

from sqlalchemy import func, select

from frontier.domain.bands import Band
from frontier.domain.specs import BandSpec
from frontier.store import convert, queries
from frontier.store.core import StoreCore
from frontier.store.records import FrontierSummary, RunSummary
from frontier.store.retry import retry_transient
from frontier.store.tables import frontiers as _frontiers
from frontier.store.tables import rounds as _rounds
from frontier.store.tables import runs as _runs
from frontier.store.tables import slices as _slices
from frontier.store.tables import tasks as _tasks


class SummaryStore(StoreCore):
    """The frontier summary that `frontier status` shows."""

    @retry_transient
    def summary(self, frontier: str, *, recent_events: int = 10) -> FrontierSummary:
        """Everything `frontier status` shows; bands use the frontier spec's edges."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            frow = conn.execute(select(_frontiers).where(_frontiers.c.id == fid)).one()
            record = convert.frontier_record(frow)
            bands = BandSpec.model_validate(record.spec.get("bands") or {})
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
                counts = queries.band_counts(conn, run.id, bands)
                runs.append(
                    RunSummary(
                        name=run.name,
                        kind=run.kind,
                        model_name=run.model_name,
                        phase=run.phase,
                        totals=queries.run_totals(conn, run.id),
                        bands={b.value: counts.count(b) for b in Band} if counts.total else None,
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
