"""Check saturation and start the next teacher round: the decision that keeps the loop alive.

Both entry points (the operator and `frontier run`) call `plan_round` after a
profile or a verification finishes, and `start_round` when it says so; the
crossing is recorded as a `SaturationDetected` event with the thresholds it
crossed, whether or not a hold (cooldown, round limit, an active round) keeps
the next round from starting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from frontier.domain import naming
from frontier.domain.bands import BandSummary
from frontier.domain.rounds import FINISHED_PHASES
from frontier.domain.runs import StoredRunPhase
from frontier.domain.saturation import RoundPlan, decide, plan_next_round
from frontier.pipeline.budget import hold, over_budget
from frontier.pipeline.context import Context
from frontier.pipeline.verify import latest_verification
from frontier.pipeline.view import SolverView, solver_view
from frontier.store import EventRecord, RoundRecord, RunRecord

BUDGET_HOLD = "budget"
"""What holds the next round once the frontier's spend has reached spec.budget.maxCostUsd."""


def plan_round(
    ctx: Context,
    now: datetime | None = None,
    *,
    solver: SolverView | None = None,
) -> RoundPlan:
    """The next round, if any; `solver` is `solver_view(ctx)` when the caller has it already."""
    now = now or datetime.now(UTC)
    current = ctx.store.get_slice(ctx.frontier)
    verifiers: dict[str, BandSummary] = {}
    if current is not None:
        summary = latest_verification(ctx, current.version)
        if summary is not None:
            verifiers = {v.model: v.bands for v in summary.models}
    rounds = ctx.store.rounds(ctx.frontier)
    active = any(r.phase not in FINISHED_PHASES for r in rounds)
    since = (now - rounds[-1].started_at).total_seconds() if rounds else None
    view = solver or solver_view(ctx)
    saturation = decide(
        ctx.spec.saturation,
        solver=(view.model, view.summary),
        verifiers=verifiers,
        rounds_started=len(rounds),
        active_round=active,
        seconds_since_last_round=since,
    )
    plan = plan_next_round(
        ctx.spec.saturation,
        saturation=saturation,
        slice_size=len(current.task_ids) if current else None,
        target_slice_size=ctx.spec.slice.size,
        rounds_started=len(rounds),
        active_round=active,
        seconds_since_last_round=since,
    )
    if plan.start and over_budget(ctx):
        # the spend has reached spec.budget.maxCostUsd: raising it releases the hold
        return replace(plan, start=False, held_by=BUDGET_HOLD, number=None)
    return plan


def record_saturation(ctx: Context, plan: RoundPlan) -> None:
    """Post the SaturationDetected event once per crossing.

    A crossing is which thresholds are crossed, by which models, on one slice version (the
    base tasks before the first). Neither the measured values (they move as rollouts land)
    nor what is said about the next round (held by an active round, a cooldown) are part
    of it, so a crossing whose round has since started is not posted again.
    """
    sat = plan.saturation
    if sat is None or not sat.detected:
        return
    current = ctx.store.get_slice(ctx.frontier)
    version = current.version if current else None
    crossed = sorted(f"{c.threshold}/{c.model}" for c in sat.crossings)
    previous = ctx.store.events(ctx.frontier, reason="SaturationDetected", limit=1)
    if previous and _crossing(previous[-1]) == (crossed, version):
        return
    message = sat.reason + (f"; next round held by {plan.held_by}" if plan.held_by else "")
    ctx.store.add_event(
        ctx.frontier,
        "SaturationDetected",
        message,
        data={
            "sliceVersion": version,
            "crossings": [
                {"threshold": c.threshold, "model": c.model, "value": c.value, "limit": c.limit}
                for c in sat.crossings
            ],
            "heldBy": plan.held_by,
            "nextRound": plan.number,
        },
    )


def _crossing(event: EventRecord) -> tuple[list[str], int | None]:
    """(crossed thresholds by model, slice version) of a recorded SaturationDetected."""
    crossed = sorted(
        f"{c.get('threshold')}/{c.get('model')}" for c in event.data.get("crossings") or []
    )
    return crossed, event.data.get("sliceVersion")


def start_round(ctx: Context, plan: RoundPlan) -> RoundRecord:
    assert plan.start and plan.number is not None and plan.trigger is not None
    current = ctx.store.get_slice(ctx.frontier)
    record = ctx.store.start_round(
        ctx.frontier,
        plan.number,
        trigger=plan.trigger,
        from_slice_version=current.version if current else None,
    )
    ctx.store.add_event(
        ctx.frontier,
        "RoundStarted",
        f"round {plan.number} ({naming.round_name(ctx.name, plan.number)}) started: {plan.trigger}",
        data={"round": plan.number, "trigger": plan.trigger},
    )
    return record


@dataclass(frozen=True)
class FrontierState:
    """Everything the operator's Frontier status is made of, read in one pass."""

    base: RunRecord | None
    rounds: list[RoundRecord]
    runs: list[RunRecord]
    saturations: list[EventRecord]
    """Every SaturationDetected event, oldest first."""
    solver: str
    bands: BandSummary
    """The solver's bands over the current slice (over the base tasks before the first)."""
    slice_version: int | None
    budget_hold: str | None = None
    """Why spec.budget holds the frontier's work now (pipeline.budget.hold), or None."""


def advance(ctx: Context, base_run: str) -> FrontierState:
    """Once the base run has succeeded: record a saturation crossing and start the round it
    calls for; then the frontier's state. One call, so the operator spends one transaction
    (and one trip to a thread) on it instead of a dozen."""
    store = ctx.store
    base = store.get_run(ctx.run_key(base_run))
    solver = solver_view(ctx)
    if base is not None and base.phase == StoredRunPhase.SUCCEEDED:
        plan = plan_round(ctx, solver=solver)
        record_saturation(ctx, plan)
        if plan.start:
            start_round(ctx, plan)
    current = store.get_slice(ctx.frontier)
    return FrontierState(
        base=base,
        rounds=store.rounds(ctx.frontier),
        runs=store.runs(ctx.frontier),
        saturations=store.events(ctx.frontier, reason="SaturationDetected"),
        solver=solver.model,
        bands=solver.summary,
        slice_version=current.version if current else None,
        budget_hold=hold(ctx),
    )
