"""MutationRound: a teacher Job, then a candidate rollout Job, then admission, a slice, verification.

The round's step lives in the store (`Mutating`, `Admitting`, `Verifying`), the same
record `frontier run` keeps, so a restarted operator continues at the step it was
at; each step's Job has a fixed name and is only ever adopted, never recreated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kopf

from frontier.domain import naming
from frontier.domain.specs import MutationRoundSpec
from frontier.operator import children, frontier, jobs, manifests, metrics
from frontier.operator.runtime import RECONCILE_SECONDS, Runtime, runtime_of, unfinished
from frontier.pipeline.admit import decide_round, register_candidates_run, retain
from frontier.pipeline.context import Context
from frontier.pipeline.profile import finish_run
from frontier.pipeline.verify import latest_verification
from frontier.store import RoundRecord

GROUP, VERSION, PLURAL = "frontier.dev", "v1alpha1", "mutationrounds"


def _job(
    rt: Runtime,
    ctx: Context,
    body: Mapping[str, Any],
    spec: MutationRoundSpec,
    stage: manifests.Stage,
    work: str,
    command: list[str],
) -> dict[str, Any]:
    return manifests.worker_job(
        manifests.JobRequest(
            owner=body,
            frontier=spec.frontier,
            work=work,
            stage=stage,
            command=command,
            # The teacher Job needs only the teacher's model (no solver server on its node).
            models=[ctx.spec.teacher.model]
            if stage == "teach" and ctx.spec.teacher.model
            else ([] if stage == "teach" else [ctx.spec.solver]),
            template=rt.config.job_template(ctx.spec.job),
            shards=ctx.spec.profile.shards,
            default_database_secret=rt.config.database_secret,
            suspend=spec.suspend,
        )
    )


@metrics.timed
async def reconcile(rt: Runtime, body: Mapping[str, Any]) -> None:
    await children.reconcile_child(rt, body, MutationRoundSpec, "MutationRound", started)


async def started(
    rt: Runtime, ctx: Context, body: Mapping[str, Any], spec: MutationRoundSpec
) -> None:
    """The round as the store has it; one applied by hand starts now."""
    record = await rt.db(ctx.store.get_round, ctx.frontier, spec.round)
    if record is None:
        record = await rt.db(
            ctx.store.start_round,
            ctx.frontier,
            spec.round,
            trigger=spec.trigger,
            from_slice_version=spec.from_slice_version,
        )
    await step(rt, ctx, body, spec, record)


async def step(
    rt: Runtime, ctx: Context, body: Mapping[str, Any], spec: MutationRoundSpec, record: RoundRecord
) -> None:
    store, number = ctx.store, spec.round
    rname = naming.round_name(ctx.name, number)
    failure_budget = ctx.spec.job.max_failed_indexes
    hold = children.budget_hold(rt, ctx)
    phase = record.phase
    outcome: jobs.JobsOutcome | None = None
    done = total = errors = 0

    if phase in ("Running", "Pending", "Mutating"):
        if phase != "Mutating":
            await rt.db(store.set_round_phase, ctx.frontier, number, "Mutating")
        command = manifests.mutate_command(ctx.frontier, number, ctx.spec.profile.shards)
        outcome = await jobs.drive(
            rt, body, [_job(rt, ctx, body, spec, "teach", rname, command)], failure_budget, hold
        )
        if outcome.phase == "Succeeded":
            phase = "Admitting"
            await rt.db(store.set_round_phase, ctx.frontier, number, phase)

    if phase == "Admitting":
        run = await rt.db(register_candidates_run, ctx, number, ctx.spec.profile.shards)
        cname = naming.candidates_run(ctx.name, number)
        command = manifests.rollouts_command(ctx.frontier, cname)
        outcome = await jobs.drive(
            rt, body, [_job(rt, ctx, body, spec, "admit", cname, command)], failure_budget, hold
        )
        totals = await rt.db(store.run_totals, run.name)
        done, errors = totals.rollouts, totals.errors
        if outcome.phase == "Succeeded":
            phase = await admit(rt, ctx, body, number, cname)

    slice_version: int | None = None
    if phase == "Verifying":
        fresh = await rt.db(store.get_round, ctx.frontier, number)
        stats = fresh.stats if fresh else record.stats
        slice_version = stats.get("sliceVersion")
        # The candidates' rollouts are done: progress stays at what they spent.
        done = total = int(stats.get("rolloutsSpent") or 0)
        verified = slice_version is None or not ctx.spec.verifiers
        if not verified:
            assert slice_version is not None
            verified = await rt.db(latest_verification, ctx, slice_version) is not None
        if verified:
            phase = await finish(rt, ctx, body, number)
        else:
            assert slice_version is not None
            await ensure_verification(rt, ctx, slice_version)

    if phase in ("Succeeded", "Failed"):
        final = await rt.db(store.get_round, ctx.frontier, number)
        stats = final.stats if final else {}
        status = jobs.run_status(
            body,
            outcome,
            phase="Succeeded" if phase == "Succeeded" else "Failed",
            reason="RoundFinished" if phase == "Succeeded" else "RoundFailed",
            message=f"{stats.get('admitted', 0)} of {stats.get('generated', 0)} candidates admitted",
            done=stats.get("rolloutsSpent", 0),
            total=stats.get("rolloutsSpent", 0),
            stage=phase,
            slice_version=stats.get("sliceVersion"),
        )
        await rt.patch_status(body, status)
        if phase != record.phase:  # finished just now: the round says so before its Frontier
            await frontier.after_child(rt, ctx)
        return

    if outcome is not None and outcome.phase == "Failed":
        await rt.db(
            store.set_round_phase, ctx.frontier, number, "Failed", stats={"reason": outcome.message}
        )
        await rt.event(body, "RoundFailed", outcome.message, key="failed", type="Warning")
        await rt.patch_status(
            body,
            jobs.run_status(
                body,
                outcome,
                phase="Failed",
                reason=outcome.reason,
                message=outcome.message,
                stage=phase,
            ),
        )
        await frontier.after_child(rt, ctx)
        return
    run_phase = outcome.phase if outcome is not None and outcome.phase != "Succeeded" else "Running"
    if run_phase == "Pending" and (
        phase != "Mutating" or (body.get("status") or {}).get("phase") == "Running"
    ):
        run_phase = "Running"  # a later stage's Job starting: the round itself is under way
    status = jobs.run_status(
        body,
        outcome,
        phase=run_phase,
        reason=outcome.reason if outcome and outcome.reason == jobs.BUDGET_EXCEEDED else phase,
        message=outcome.message if outcome else f"round {number}: {phase}",
        done=done,
        total=max(total, done),
        errors=errors,
        stage=phase,
        slice_version=slice_version,
    )
    await rt.patch_status(body, status)


async def admit(rt: Runtime, ctx: Context, body: Mapping[str, Any], number: int, cname: str) -> str:
    """Decide the candidates, publish the slice, and hand it to the verifiers (or finish)."""
    store = ctx.store
    await rt.db(finish_run, ctx, cname)
    counts = await rt.db(decide_round, ctx, number)
    retained = await rt.db(retain, ctx, number)
    version = retained.slice.version
    stats = {
        "generated": counts.generated,
        "admitted": counts.admitted,
        "rejected": counts.rejected,
        "byReason": counts.by_reason,
        "rolloutsSpent": counts.rollouts_spent,
        "admissionYield": counts.admission_yield,
        "sliceVersion": version,
    }
    if retained.added or retained.dropped:
        message = (
            f"slice v{version}: {len(retained.slice.task_ids)} tasks "
            f"({retained.added} added, {retained.dropped} dropped)"
        )
        await rt.db(
            store.add_event,
            ctx.frontier,
            "SlicePublished",
            message,
            data={"version": version, "round": number},
        )
        await rt.event(body, "SlicePublished", message, key=str(version), action="Retain")
    if ctx.spec.verifiers and retained.slice.task_ids:
        await rt.db(store.set_round_phase, ctx.frontier, number, "Verifying", stats=stats)
        await ensure_verification(rt, ctx, version)
        return "Verifying"
    await rt.db(store.set_round_phase, ctx.frontier, number, "Admitting", stats=stats)
    return await finish(rt, ctx, body, number)


async def ensure_verification(rt: Runtime, ctx: Context, slice_version: int) -> None:
    """The slice's VerificationRun, owned by the Frontier (created once, then adopted)."""
    owner = await rt.kube.get(frontier.frontier_ref(ctx.namespace, ctx.name))
    if owner is not None:
        ref = manifests.FrontierRef.from_body(owner)
        await rt.kube.create(manifests.verification_run(ref, ctx.spec, slice_version))


async def finish(rt: Runtime, ctx: Context, body: Mapping[str, Any], number: int) -> str:
    store = ctx.store
    record = await rt.db(store.set_round_phase, ctx.frontier, number, "Succeeded")
    stats = record.stats
    message = (
        f"round {number}: {stats.get('admitted', 0)} of {stats.get('generated', 0)} candidates "
        f"admitted; slice v{stats.get('sliceVersion')}"
    )
    await rt.db(store.add_event, ctx.frontier, "RoundFinished", message, data={"round": number})
    await rt.event(body, "RoundFinished", message, key="done", action="FinishRound")
    return "Succeeded"


# --- handlers ---------------------------------------------------------------


@kopf.on.resume(GROUP, VERSION, PLURAL)
@kopf.on.create(GROUP, VERSION, PLURAL)
@kopf.on.update(GROUP, VERSION, PLURAL, field="spec")
async def mutationround_changed(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await reconcile(runtime_of(memo), body)


@kopf.timer(
    GROUP,
    VERSION,
    PLURAL,
    interval=RECONCILE_SECONDS,
    initial_delay=RECONCILE_SECONDS,
    when=unfinished,
)
async def mutationround_timer(body: kopf.Body, memo: kopf.Memo, **_: Any) -> None:
    await children.tick(memo, body, reconcile)
