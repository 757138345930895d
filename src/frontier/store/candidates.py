"""A round's candidates are recorded before they are screened and decided after, so a
resumed round neither records a candidate twice nor loses a decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from frontier.domain.admission import Decision
from frontier.domain.tasks import Task
from frontier.store import convert, queries
from frontier.store.core import StoreCore, rows_in
from frontier.store.errors import NotFoundError
from frontier.store.models import utcnow
from frontier.store.records import CandidateCounts, CandidateOutcome, CandidateRecord, NewCandidate
from frontier.store.retry import retry_transient
from frontier.store.tables import candidates as _candidates


class CandidateStore(StoreCore):
    """A round's candidates and the screening decision on each."""

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
        return {row.task_id for row in rows_in(conn, query, _candidates.c.task_id, task_ids)}

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
