"""ProfileRun: one Indexed Job of `frontier worker rollouts`; when it completes, partition into bands.

The run is registered in the store first (model, task set, k, shards, seed), so
the Job's shards only need the run's name; progress is counted in the store, not
on the resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontier.domain.bands import BandSummary
from frontier.domain.runs import RunStats, StoredRunPhase
from frontier.domain.specs import ProfileRunSpec
from frontier.operator import children, frontier, jobs, metrics
from frontier.operator.runtime import Runtime
from frontier.pipeline import cycle
from frontier.pipeline.calibrate import calibrate
from frontier.pipeline.context import Context
from frontier.pipeline.profile import finish_run_with_totals, register_run, run_progress
from frontier.store import ConflictError, RunRecord

GROUP, VERSION, PLURAL = "frontier.dev", "v1alpha1", "profileruns"


@metrics.timed
async def reconcile(rt: Runtime, body: Mapping[str, Any]) -> None:
    await children.reconcile_child(rt, body, ProfileRunSpec, "ProfileRun", step)


async def step(rt: Runtime, ctx: Context, body: Mapping[str, Any], spec: ProfileRunSpec) -> None:
    name = (body.get("metadata") or {})["name"]
    try:
        run = await rt.db(
            register_run,
            ctx,
            name,
            kind="candidates" if spec.task_set.kind == "candidates" else "profile",
            model=spec.model,
            task_set=spec.task_set,
            k=spec.k,
            shards=spec.shards,
            seed=spec.seed,
        )
    except ConflictError as exc:
        await children.fail(rt, body, "RunConflict", str(exc))
        return
    if run.phase == StoredRunPhase.SUCCEEDED:
        done, total, errors = await rt.db(run_progress, ctx, run)
        bands = RunStats.from_wire(run.stats).bands
        status = jobs.run_status(
            body,
            None,
            phase="Succeeded",
            reason="Succeeded",
            message="bands partitioned",
            done=done,
            total=total,
            errors=errors,
            bands=bands.as_dict() if bands is not None else None,
        )
        await rt.patch_status(body, status)
        return
    job = children.rollout_job(
        rt,
        ctx,
        body,
        spec,
        work=name,
        stage="profile",
        model=spec.model,
        shards=run.shards,
        parallelism=spec.parallelism,
    )
    outcome = await jobs.drive(
        rt, body, [job], ctx.spec.job.max_failed_indexes, children.budget_hold(rt, ctx)
    )
    if outcome.phase == "Succeeded":
        # The Frontier is read first, so the run's end and the frontier's advance (which
        # needs the run's end) share one trip to the store (frontier.after_child, folded).
        parent = await rt.kube.get(frontier.frontier_ref(ctx.namespace, ctx.name))
        base_run = frontier.base_run_name(ctx) if parent is not None else None
        summary, (done, total, errors), state = await rt.db(finished, ctx, run, base_run)
        if run.kind == "profile":  # a round's candidates are refitted with its verification
            await rt.offload(calibrate, ctx, trigger=run.name)
        message = (
            f"{summary.saturated} saturated, {summary.hillclimbable} hillclimbable, "
            f"{summary.unreachable} unreachable of {summary.total}"
        )
        status = jobs.run_status(
            body,
            outcome,
            phase="Succeeded",
            reason=outcome.reason,
            message=message,
            done=done,
            total=total,
            errors=errors,
            bands=summary.as_dict(),
        )
        await rt.patch_status(body, status)
        await rt.event(body, "RunSucceeded", message, key="done", action="Partition")
        if parent is not None and state is not None:
            await frontier.report(rt, ctx, parent, state)
        return
    if outcome.phase == "Failed":
        stats = RunStats(reason=outcome.message).to_wire()
        await rt.db(ctx.store.set_run_phase, run.name, StoredRunPhase.FAILED, stats=stats)
        await rt.event(body, "RunFailed", outcome.message, key="failed", type="Warning")
    elif run.phase == StoredRunPhase.PENDING and outcome.phase == "Running":
        await rt.db(ctx.store.set_run_phase, run.name, StoredRunPhase.RUNNING)
    done, total, errors = await rt.db(run_progress, ctx, run)
    status = jobs.run_status(
        body,
        outcome,
        phase=outcome.phase,
        reason=outcome.reason,
        message=outcome.message,
        done=done,
        total=total,
        errors=errors,
    )
    await rt.patch_status(body, status)
    if outcome.phase == "Failed":
        await frontier.after_child(rt, ctx)


def finished(
    ctx: Context, run: RunRecord, base_run: str | None
) -> tuple[BandSummary, tuple[int, int, int], cycle.FrontierState | None]:
    """The run's bands, partitioned now, its progress, and then (given the frontier's base
    run) the frontier advanced (`cycle.advance`): one trip to the store."""
    summary, totals = finish_run_with_totals(ctx, run.name)
    progress = run_progress(ctx, run, totals)
    state = cycle.advance(ctx, base_run) if base_run is not None else None
    return summary, progress, state


# --- handlers ---------------------------------------------------------------

children.register(PLURAL, reconcile)
