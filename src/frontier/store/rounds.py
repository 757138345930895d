"""The shards of a mutation round, which may be redone, write its parents, phase and
concurrency and the teacher's spend per parent and attempt; together they keep a
redone round consistent and its spend counted once per attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from frontier.store import convert
from frontier.store.core import TERMINAL_PHASES, StoreCore
from frontier.store.errors import StoreError
from frontier.store.models import utcnow
from frontier.store.records import ConcurrencyChange, RoundRecord, TeacherSpend, TeacherUsageRecord
from frontier.store.retry import retry_transient
from frontier.store.scrub import scrub
from frontier.store.tables import rounds as _rounds
from frontier.store.tables import teacher_usage as _teacher_usage


class RoundStore(StoreCore):
    """Mutation rounds and the teacher usage they incur."""

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
