"""The SELECTs several Store methods share: task means and bands, run totals, candidate
counts, events. Band edges are applied in SQL with the same rule as the domain's `band_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Connection,
    Double,
    Select,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    func,
    select,
)

from frontier.domain.bands import EDGE_TOLERANCE, Band, BandSummary, summarize
from frontier.domain.runs import RunTotals
from frontier.domain.sampling import Prior, decided_band
from frontier.domain.specs import BandSpec
from frontier.store.core import id_chunks
from frontier.store.records import CandidateCounts, EventRecord
from frontier.store.tables import (
    attempt_failures,
    candidates,
    events,
    frontiers,
    rollout_sums,
    rollouts,
    runs,
)

MEAN_DECIMALS = 12
"""Means are returned rounded to this many decimals, so seven rewards of exactly 0.70
(whose float avg() is 0.7000000000000001) read back as 0.7. Banding does not depend on it:
SQL and the domain's `band_of` both count a mean within EDGE_TOLERANCE (far wider than
this rounding) of an edge as on the edge, so band_counts in SQL and partition() over
task_means() agree task for task."""


def snap_mean(mean: float) -> float:
    """A mean reward rounded to MEAN_DECIMALS, for display and comparison by value."""
    return round(mean, MEAN_DECIMALS)


def ok_condition() -> Any:
    return and_(rollouts.c.status == "ok", rollouts.c.reward.is_not(None))


def task_sums_select(run_id: int, task_ids: Sequence[str], *, array: bool = False) -> Select[Any]:
    """The sums `rollout_sums` keeps for these tasks of a run, computed from their rollouts.

    A mean is over the scored rollouts only (status ok with a reward); migration 0010
    backfilled the table with this same aggregate. With `array` (PostgreSQL) the ids
    are one array parameter instead of an IN list of thousands.
    """
    among = (
        rollouts.c.task_id == any_(bindparam("task_ids", list(task_ids), type_=ARRAY(String())))
        if array
        else rollouts.c.task_id.in_(task_ids)
    )
    ok = ok_condition()
    n_ok = func.sum(case((ok, 1), else_=0))
    return (
        select(
            rollouts.c.run_id,
            rollouts.c.task_id,
            n_ok.label("n_ok"),
            (func.count() - n_ok).label("n_error"),
            func.sum(case((and_(ok, rollouts.c.success.is_(True)), 1), else_=0)).label("successes"),
            func.coalesce(func.sum(case((ok, rollouts.c.reward))), 0.0).label("reward_sum"),
        )
        .where(rollouts.c.run_id == run_id, among)
        .group_by(rollouts.c.run_id, rollouts.c.task_id)
    )


def band_conditions(bands: BandSpec) -> Any:
    """mean -> (unreachable, saturated): the SQL conditions of the domain's `band_of`
    (hillclimbable is neither), edges within EDGE_TOLERANCE."""
    low = bands.unreachable_at_most + EDGE_TOLERANCE
    high = bands.saturated_above + EDGE_TOLERANCE

    def conditions(mean: Any) -> tuple[Any, Any]:
        return mean <= low, mean > high

    return conditions


def band_case(bands: BandSpec) -> Any:
    def band(mean: Any) -> Any:
        unreachable, saturated = band_conditions(bands)(mean)
        return case(
            (unreachable, Band.UNREACHABLE.value),
            (saturated, Band.SATURATED.value),
            else_=Band.HILLCLIMBABLE.value,
        )

    return band


def _banded(task_ids: Sequence[str] | None) -> list[Any]:
    """The sums rows of tasks with a scored rollout (of these tasks): the ones in a band."""
    where = [rollout_sums.c.n_ok > 0]
    if task_ids is not None:
        where.append(rollout_sums.c.task_id.in_(task_ids))
    return where


_MEAN = rollout_sums.c.reward_sum / cast(rollout_sums.c.n_ok, Double())
"""A task's mean reward in float arithmetic (SQLAlchemy would divide by a NUMERIC cast)."""


def task_band_select(run_id: int, bands: BandSpec, task_ids: Sequence[str] | None = None) -> Any:
    """(task_id, band) of each task of a run (or of these tasks) with a scored rollout.

    Reads one row of `rollout_sums` per task, never the rollouts; tasks whose every
    rollout errored are in no band.
    """
    return select(rollout_sums.c.task_id, band_case(bands)(_MEAN).label("band")).where(
        rollout_sums.c.run_id == run_id, *_banded(task_ids)
    )


def run_prior(conn: Connection, run_id: int) -> Prior | None:
    """The prior a posterior-rule run stored (None: the run bands by the observed mean)."""
    weights = conn.execute(select(runs.c.prior).where(runs.c.id == run_id)).scalar_one_or_none()
    return None if weights is None else Prior.from_wire(weights)


def _posterior_bands(
    conn: Connection, run_id: int, bands: BandSpec, prior: Prior, task_ids: Iterable[str] | None
) -> dict[str, Band]:
    """A posterior-rule run's bands: the domain's `decided_band` on each task's sums row
    (one row per task, as in SQL; the MAP band is a sum over the prior's grid, in Python)."""
    found: dict[str, Band] = {}
    for chunk in id_chunks(task_ids):
        rows = conn.execute(
            select(rollout_sums.c.task_id, rollout_sums.c.n_ok, rollout_sums.c.reward_sum).where(
                rollout_sums.c.run_id == run_id, *_banded(chunk)
            )
        )
        found.update(
            (row.task_id, decided_band(int(row.n_ok), float(row.reward_sum), bands, prior))
            for row in rows
        )
    return found


def band_counts(
    conn: Connection, run_id: int, bands: BandSpec, task_ids: Iterable[str] | None = None
) -> BandSummary:
    """How many of a run's tasks (or of `task_ids` among them) fall in each band.

    One pass over the run's sums rows counting each band's condition (an index-only
    scan of ix_rollout_sums_band on PostgreSQL once vacuum has seen the rows). A
    posterior-rule run (one with a stored prior) is banded by the domain's rule instead.
    """
    prior = run_prior(conn, run_id)
    if prior is not None:
        return summarize(_posterior_bands(conn, run_id, bands, prior, task_ids).values())
    unreachable, saturated = band_conditions(bands)(_MEAN)
    counts = [0, 0, 0]
    for chunk in id_chunks(task_ids):
        query = select(
            func.count().filter(unreachable), func.count().filter(saturated), func.count()
        ).where(rollout_sums.c.run_id == run_id, *_banded(chunk))
        for i, n in enumerate(conn.execute(query).one()):
            counts[i] += int(n)
    return BandSummary(
        unreachable=counts[0], saturated=counts[1], hillclimbable=counts[2] - counts[0] - counts[1]
    )


def task_bands(
    conn: Connection, run_id: int, bands: BandSpec, task_ids: Iterable[str] | None = None
) -> dict[str, Band]:
    """Each task's band (same rule as band_counts), ordered by task id."""
    prior = run_prior(conn, run_id)
    if prior is not None:
        return dict(sorted(_posterior_bands(conn, run_id, bands, prior, task_ids).items()))
    found: dict[str, Band] = {}
    for chunk in id_chunks(task_ids):
        rows = conn.execute(task_band_select(run_id, bands, chunk))
        found.update((row.task_id, Band(row.band)) for row in rows)
    return dict(sorted(found.items()))


def run_query() -> Select[Any]:
    return select(runs, frontiers.c.namespace, frontiers.c.name.label("frontier_name")).join(
        frontiers, frontiers.c.id == runs.c.frontier_id
    )


def run_totals(conn: Connection, run_id: int) -> RunTotals:
    ok = ok_condition()
    errored = rollouts.c.status == "error"

    def of_errors(column: Any, zero: Any) -> Any:
        return func.coalesce(func.sum(case((errored, column), else_=zero)), zero)

    row = conn.execute(
        select(
            func.count().label("n"),
            func.sum(case((ok, 1), else_=0)).label("ok"),
            func.sum(case((and_(ok, rollouts.c.success.is_(True)), 1), else_=0)).label("successes"),
            func.count(func.distinct(rollouts.c.task_id)).label("tasks"),
            func.coalesce(func.sum(rollouts.c.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(rollouts.c.output_tokens), 0).label("output_tokens"),
            func.coalesce(func.sum(rollouts.c.cost_usd), 0.0).label("cost"),
            func.coalesce(func.sum(rollouts.c.latency_seconds), 0.0).label("latency"),
            of_errors(rollouts.c.input_tokens, 0).label("error_input_tokens"),
            of_errors(rollouts.c.output_tokens, 0).label("error_output_tokens"),
            of_errors(rollouts.c.cost_usd, 0.0).label("error_cost"),
        ).where(rollouts.c.run_id == run_id)
    ).one()
    failed = conn.execute(
        select(
            func.count().label("n"),
            func.coalesce(func.sum(attempt_failures.c.input_tokens), 0).label("input_tokens"),
            func.coalesce(func.sum(attempt_failures.c.output_tokens), 0).label("output_tokens"),
            func.coalesce(func.sum(attempt_failures.c.cost_usd), 0.0).label("cost"),
        ).where(attempt_failures.c.run_id == run_id)
    ).one()
    n, n_ok = int(row.n), int(row.ok or 0)
    errors = n - n_ok
    # Each final error row is also the last failure on record of its attempt, so the
    # replayed attempts are the failures beyond those rows (rows stored before failures
    # were kept have none: then nothing counts as replayed).
    replayed = max(int(failed.n) - errors, 0)

    def replayed_part(of_failures: float, of_final_errors: float) -> float:
        return max(of_failures - of_final_errors, 0) if replayed else 0

    return RunTotals(
        rollouts=n,
        ok=n_ok,
        errors=errors,
        tasks=int(row.tasks),
        input_tokens=int(row.input_tokens)
        + int(replayed_part(int(failed.input_tokens), int(row.error_input_tokens))),
        output_tokens=int(row.output_tokens)
        + int(replayed_part(int(failed.output_tokens), int(row.error_output_tokens))),
        cost_usd=float(row.cost) + replayed_part(float(failed.cost), float(row.error_cost)),
        latency_seconds=float(row.latency),
        errored_attempts=max(int(failed.n), errors),
        replayed=replayed,
        successes=int(row.successes or 0),
    )


def run_cost_since(conn: Connection, run_id: int, since: datetime) -> float:
    """A run's cost recorded at or after `since`, counted as `run_totals` counts it:
    scored rollouts, plus every errored attempt (the final error rows when their
    failures were not kept)."""

    def cost(table: Any, *where: Any) -> float:
        return float(
            conn.execute(
                select(func.coalesce(func.sum(table.c.cost_usd), 0.0)).where(
                    table.c.run_id == run_id, table.c.recorded_at >= since, *where
                )
            ).scalar_one()
        )

    scored = cost(rollouts, rollouts.c.status == "ok")
    final_errors = cost(rollouts, rollouts.c.status == "error")
    return scored + max(cost(attempt_failures), final_errors)


def candidate_counts(conn: Connection, fid: int, round: int | None) -> CandidateCounts:
    query = (
        select(
            candidates.c.decision,
            candidates.c.reason,
            func.count().label("n"),
            func.coalesce(func.sum(candidates.c.rollouts_spent), 0).label("spent"),
        )
        .where(candidates.c.frontier_id == fid)
        .group_by(candidates.c.decision, candidates.c.reason)
    )
    if round is not None:
        query = query.where(candidates.c.round == round)
    by_decision = {"admitted": 0, "rejected": 0, "pending": 0}
    by_reason: dict[str, int] = {}
    spent = 0
    for row in conn.execute(query):
        by_decision[row.decision] += int(row.n)
        spent += int(row.spent)
        if row.reason is not None:
            by_reason[row.reason] = by_reason.get(row.reason, 0) + int(row.n)
    return CandidateCounts(
        generated=sum(by_decision.values()),
        admitted=by_decision["admitted"],
        rejected=by_decision["rejected"],
        pending=by_decision["pending"],
        by_reason=dict(sorted(by_reason.items())),
        rollouts_spent=spent,
    )


def events_of(
    conn: Connection,
    fid: int,
    *,
    reason: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[EventRecord]:
    query = select(events).where(events.c.frontier_id == fid)
    if reason is not None:
        query = query.where(events.c.reason == reason)
    if since is not None:
        query = query.where(events.c.at >= since)
    query = query.order_by(events.c.at.desc(), events.c.id.desc())
    if limit is not None:
        query = query.limit(limit)
    rows = list(conn.execute(query))
    rows.reverse()
    return [
        EventRecord(at=r.at, type=r.type, reason=r.reason, message=r.message, data=dict(r.data))
        for r in rows
    ]
