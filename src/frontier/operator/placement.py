"""A VerificationRun with `placement`: each model placed on the item bank by an adaptive test.

One single-shard Job per model runs the same worker command as any run; the run's
kind (placement) makes the worker ask one task at a time (pipeline.placing). The
calibration is pinned in the status at the start, so a refit while the Jobs run
does not change the test; when every Job is done, the placements are read off the
store (pipeline.placement) into the status, one ModelPlaced Event per model.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontier.domain.placement import PlacementResult
from frontier.domain.runs import RunStats, StoredRunPhase
from frontier.domain.specs import VerificationRunSpec
from frontier.domain.status import PlacementStatus, RunPhase, SliceForecastStatus
from frontier.operator import children, frontier, jobs
from frontier.operator.runtime import Runtime
from frontier.pipeline.context import Context
from frontier.pipeline.placement import (
    MODEL_PLACED,
    finish_placement,
    placement_of,
    plan_for,
    register_placement,
)
from frontier.pipeline.profile import run_progress
from frontier.store import NotFoundError, RunRecord


async def step(
    rt: Runtime, ctx: Context, body: Mapping[str, Any], spec: VerificationRunSpec
) -> None:
    assert spec.placement is not None
    pinned = spec.placement.calibration or (body.get("status") or {}).get("calibration")
    try:
        plan = await rt.db(plan_for, ctx, spec.placement.model_copy(update={"calibration": pinned}))
    except NotFoundError as exc:  # no bank yet: wait for one, saying so (the timer retries)
        waiting = jobs.run_status(
            body, None, phase="Pending", reason="NoCalibration", message=str(exc)
        )
        await rt.patch_status(body, waiting)
        return
    runs = [
        await rt.db(
            register_placement, ctx, spec.slice_version, model, plan, k=spec.k, seed=spec.seed
        )
        for model in spec.models
    ]
    progress = [await rt.db(run_progress, ctx, r) for r in runs]
    done, total = sum(p[0] for p in progress), sum(p[1] for p in progress)
    errors = sum(p[2] for p in progress)

    def status(
        outcome: jobs.JobsOutcome | None,
        phase: RunPhase,
        reason: str,
        message: str,
        placed: list[PlacementResult] | None = None,
    ) -> dict[str, Any]:
        return jobs.run_status(
            body,
            outcome,
            phase=phase,
            reason=reason,
            message=message,
            done=done,
            total=total,
            errors=errors,
            slice_version=spec.slice_version,
            calibration=plan.calibration,
            placements=[_placement_status(p) for p in placed] if placed is not None else None,
        )

    if all(r.phase == StoredRunPhase.SUCCEEDED for r in runs):
        placed = [p for r in runs if (p := placement_of(r)) is not None]
        await rt.patch_status(body, status(None, "Succeeded", "Placed", _message(placed), placed))
        return
    jobs_ = []
    for run, model in zip(runs, spec.models, strict=True):
        work = run.name.split("/", 1)[-1]  # the store key without its namespace
        jobs_.append(
            children.rollout_job(
                rt, ctx, body, spec, work=work, stage="place", model=model, shards=1
            )
        )
    outcome = await jobs.drive(
        rt, body, jobs_, ctx.spec.job.max_failed_indexes, children.budget_hold(rt, ctx)
    )
    if outcome.phase == "Succeeded":
        placed = []
        for run in runs:
            result = await rt.db(_finish, ctx, run)
            placed.append(result)
            await rt.event(
                body,
                MODEL_PLACED,
                result.headline(),
                key=f"placed-{run.model_name}",
                action="Place",
            )
        await rt.patch_status(
            body, status(outcome, "Succeeded", "Placed", _message(placed), placed)
        )
        await frontier.after_child(rt, ctx)
        return
    if outcome.phase == "Failed":
        stats = RunStats(reason=outcome.message).to_wire()
        for run in runs:
            await rt.db(ctx.store.set_run_phase, run.name, StoredRunPhase.FAILED, stats=stats)
        await rt.event(body, "RunFailed", outcome.message, key="failed", type="Warning")
    await rt.patch_status(body, status(outcome, outcome.phase, outcome.reason, outcome.message))
    if outcome.phase == "Failed":
        await frontier.after_child(rt, ctx)


def _finish(ctx: Context, run: RunRecord) -> PlacementResult:
    """The run's placement: stored already (a repeated reconcile), or computed now."""
    fresh = ctx.store.require_run(run.name)
    return placement_of(fresh) or finish_placement(ctx, fresh)


def _message(placed: list[PlacementResult]) -> str:
    return "; ".join(p.headline() for p in placed)


def _placement_status(p: PlacementResult) -> PlacementStatus:
    return PlacementStatus(
        model=p.model,
        calibration=p.calibration,
        theta=p.theta,
        se=p.se,
        items_asked=len(p.items),
        successes=p.successes,
        trials=p.trials,
        slices=[
            SliceForecastStatus(version=s.version, items=s.items, expected_pass=s.expected_pass)
            for s in p.slices
        ],
    )
