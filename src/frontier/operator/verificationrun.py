"""VerificationRun: one Job per verifier model over a slice version, then the combined summary.

One Job per model, because each model may need its own server sidecar and GPU
node, and each can shard and resume on its own. When all are done the summary
(bands per model, pass metrics, overlap-hard canaries) is computed in the store,
and the round waiting on it, if any, is finished.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontier.domain import naming
from frontier.domain.manifest import parse_spec
from frontier.domain.rounds import RoundPhase
from frontier.domain.runs import RunStats, StoredRunPhase
from frontier.domain.specs import GROUP_VERSION, MutationRoundSpec, VerificationRunSpec
from frontier.operator import (
    children,
    frontier,
    jobs,
    metrics,
    mutationround,
    placement,
)
from frontier.operator.kube import Ref
from frontier.operator.runtime import Runtime
from frontier.pipeline.calibrate import calibrate
from frontier.pipeline.context import Context
from frontier.pipeline.rounds import stats_of
from frontier.pipeline.verify import (
    finish_verification,
    latest_verification,
    refit_trigger,
    register_verification,
)

GROUP, VERSION, PLURAL = "frontier.dev", "v1alpha1", "verificationruns"


@metrics.timed
async def reconcile(rt: Runtime, body: Mapping[str, Any]) -> None:
    await children.reconcile_child(rt, body, VerificationRunSpec, "VerificationRun", step)


async def step(
    rt: Runtime, ctx: Context, body: Mapping[str, Any], spec: VerificationRunSpec
) -> None:
    if spec.placement is not None:
        await placement.step(rt, ctx, body, spec)
        return
    store, version = ctx.store, spec.slice_version
    runs = await rt.db(register_verification, ctx, version, list(spec.models), spec.shards)
    totals = [await rt.db(store.run_totals, r.name) for r in runs]
    done, errors = sum(t.rollouts for t in totals), sum(t.errors for t in totals)
    current = await rt.db(store.get_slice, ctx.frontier, version)
    total = len(current.task_ids) * ctx.spec.verification.k * len(runs) if current else 0
    finished = await rt.db(latest_verification, ctx, version)
    if finished is not None:
        await rt.patch_status(
            body, _succeeded(body, None, finished.as_dict(), done, total, errors, version)
        )
        return
    manifests_ = []
    for model in spec.models:
        work = naming.verification_run(ctx.name, version, model.name)
        manifests_.append(
            children.rollout_job(
                rt, ctx, body, spec, work=work, stage="verify", model=model, shards=spec.shards
            )
        )
    outcome = await jobs.drive(
        rt, body, manifests_, ctx.spec.job.max_failed_indexes, children.budget_hold(rt, ctx)
    )
    if outcome.phase == "Succeeded":
        summary = await rt.db(finish_verification, ctx, version, runs)
        await rt.offload(calibrate, ctx, trigger=refit_trigger(version))
        await rt.patch_status(
            body, _succeeded(body, outcome, summary.as_dict(), done, total, errors, version)
        )
        await rt.event(
            body,
            "SliceVerified",
            f"slice v{version}: {summary.headline()}",
            key="done",
            action="Verify",
        )
        await _finish_waiting_round(rt, ctx, version)
        await frontier.after_child(rt, ctx)
        return
    if outcome.phase == "Failed":
        stats = RunStats(reason=outcome.message).to_wire()
        for run in runs:
            await rt.db(store.set_run_phase, run.name, StoredRunPhase.FAILED, stats=stats)
        await rt.event(body, "RunFailed", outcome.message, key="failed", type="Warning")
    status = jobs.run_status(
        body,
        outcome,
        phase=outcome.phase,
        reason=outcome.reason,
        message=outcome.message,
        done=done,
        total=total,
        errors=errors,
        slice_version=version,
    )
    await rt.patch_status(body, status)
    if outcome.phase == "Failed":
        await frontier.after_child(rt, ctx)


def _succeeded(
    body: Mapping[str, Any],
    outcome: jobs.JobsOutcome | None,
    summary: dict[str, Any],
    done: int,
    total: int,
    errors: int,
    version: int,
) -> dict[str, Any]:
    models = summary.get("models") or []
    message = (
        "; ".join(
            f"{m['model']}: {m['bands']['saturated']} saturated of {m['bands']['total']}"
            for m in models
        )
        + f"; {summary['overlapHard']['count']} overlap-hard"
    )
    return jobs.run_status(
        body,
        outcome,
        phase="Succeeded",
        reason="Verified",
        message=message,
        done=done,
        total=total,
        errors=errors,
        slice_version=version,
    )


async def _finish_waiting_round(rt: Runtime, ctx: Context, version: int) -> None:
    """The round that published this slice waits in Verifying: let it finish now."""
    for record in await rt.db(ctx.store.rounds, ctx.frontier):
        if record.phase != RoundPhase.VERIFYING or stats_of(record).slice_version != version:
            continue
        ref = Ref(
            GROUP_VERSION,
            "mutationrounds",
            ctx.namespace,
            naming.round_name(ctx.name, record.number),
        )
        body = await rt.kube.get(ref)
        if body is not None:
            spec = parse_spec(MutationRoundSpec, body.get("spec"))
            await mutationround.step(rt, ctx, body, spec, record)


# --- handlers ---------------------------------------------------------------

children.register(PLURAL, reconcile)
