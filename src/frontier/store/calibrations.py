"""A frontier's item bank over time: numbered, immutable calibrations, and the responses they fit.

A calibration is written once and never changed, like a slice version, so a score
placed on it can be reproduced; the responses are read per (model, task) across every
run in one query, since a fit needs all of them at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, case, func, select

from frontier.domain.irt import Ability, Calibration, Flag, ItemParams
from frontier.store import queries
from frontier.store.core import StoreCore
from frontier.store.models import utcnow
from frontier.store.records import CalibrationRecord, ResponseCell
from frontier.store.retry import retry_transient
from frontier.store.tables import calibration_items as _items
from frontier.store.tables import calibrations as _calibrations
from frontier.store.tables import rollouts as _rollouts
from frontier.store.tables import runs as _runs


class CalibrationStore(StoreCore):
    """Calibrations of a frontier, oldest first, and the responses a fit reads."""

    @retry_transient
    def response_cells(self, frontier: str) -> list[ResponseCell]:
        """Per (model, task): successful and graded rollouts over all the frontier's runs;
        errored rollouts are no response (as everywhere), cells with none are left out."""
        ok = queries.ok_condition()
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(
                    _runs.c.model_name,
                    _rollouts.c.task_id,
                    func.sum(case((and_(ok, _rollouts.c.success.is_(True)), 1), else_=0)).label(
                        "successes"
                    ),
                    func.sum(case((ok, 1), else_=0)).label("trials"),
                )
                .select_from(_rollouts)
                .join(_runs, _runs.c.id == _rollouts.c.run_id)
                .where(_runs.c.frontier_id == fid)
                .group_by(_runs.c.model_name, _rollouts.c.task_id)
                .order_by(_runs.c.model_name, _rollouts.c.task_id)
            ).all()
        return [
            ResponseCell(r.model_name, r.task_id, int(r.successes), int(r.trials))
            for r in rows
            if int(r.trials) > 0
        ]

    @retry_transient
    def add_calibration(
        self, frontier: str, calibration: Calibration, *, trigger: str
    ) -> CalibrationRecord:
        """Store `calibration` as the frontier's next version; returns it as stored."""
        with self._write() as conn:
            fid = self._frontier_id(conn, frontier)
            latest = conn.execute(
                select(func.max(_calibrations.c.version)).where(_calibrations.c.frontier_id == fid)
            ).scalar()
            version = int(latest or 0) + 1
            created = utcnow()
            cid = conn.execute(
                _calibrations.insert()
                .values(
                    frontier_id=fid,
                    version=version,
                    trigger=trigger[:253],
                    anchor=calibration.anchor,
                    library=calibration.library[:64],
                    library_version=calibration.library_version[:64],
                    fit={k: float(v) for k, v in calibration.fit.items()},
                    abilities=[_ability_wire(a) for a in calibration.abilities],
                    created_at=created,
                )
                .returning(_calibrations.c.id)
            ).scalar_one()
            if calibration.items:
                conn.execute(
                    _items.insert(),
                    [
                        {
                            "calibration_id": cid,
                            "task_id": i.task_id,
                            "a": i.a,
                            "b": i.b,
                            "a_se": i.a_se,
                            "b_se": i.b_se,
                            "flag": i.flag,
                            "n": i.n,
                        }
                        for i in calibration.items
                    ],
                )
        return CalibrationRecord(version, created, trigger[:253], calibration)

    @retry_transient
    def calibration(self, frontier: str, version: int | None = None) -> CalibrationRecord | None:
        """Calibration `version`, or the latest; None if there is none."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            query = select(_calibrations).where(_calibrations.c.frontier_id == fid)
            if version is None:
                query = query.order_by(_calibrations.c.version.desc()).limit(1)
            else:
                query = query.where(_calibrations.c.version == version)
            row = conn.execute(query).first()
            return None if row is None else _record(conn, row, with_items=True)

    @retry_transient
    def calibrations(self, frontier: str) -> list[CalibrationRecord]:
        """Every calibration, oldest first, with its abilities and fit but without its items
        (the longitudinal view reads abilities across versions; items are read per version)."""
        with self._read() as conn:
            fid = self._frontier_id(conn, frontier)
            rows = conn.execute(
                select(_calibrations)
                .where(_calibrations.c.frontier_id == fid)
                .order_by(_calibrations.c.version)
            ).all()
            return [_record(conn, row, with_items=False) for row in rows]


def _ability_wire(ability: Ability) -> dict[str, Any]:
    return {"model": ability.model, "theta": ability.theta, "se": ability.se, "n": ability.n}


def _record(conn: Connection, row: Any, *, with_items: bool) -> CalibrationRecord:
    items: tuple[ItemParams, ...] = ()
    if with_items:
        found = conn.execute(
            select(_items).where(_items.c.calibration_id == row.id).order_by(_items.c.task_id)
        ).all()
        items = tuple(
            ItemParams(
                task_id=i.task_id,
                a=float(i.a),
                b=float(i.b),
                a_se=float(i.a_se),
                b_se=float(i.b_se),
                flag=_flag(i.flag),
                n=int(i.n),
            )
            for i in found
        )
    abilities = tuple(
        Ability(str(a["model"]), float(a["theta"]), float(a["se"]), int(a.get("n", 0)))
        for a in row.abilities
    )
    calibration = Calibration(
        items=items,
        abilities=abilities,
        anchor=row.anchor,
        library=row.library,
        library_version=row.library_version,
        fit=dict(row.fit),
    )
    return CalibrationRecord(int(row.version), row.created_at, row.trigger, calibration)


def _flag(value: str | None) -> Flag | None:
    if value == "suspect_grading":
        return "suspect_grading"
    if value == "uninformative":
        return "uninformative"
    return None
