"""MutationRound: a teacher Job, then a candidate rollout Job, then admission, a slice, verification.

The round's lifecycle is the pipeline's (`pipeline.rounds`, the same steps `frontier
run` drives in one process); this module only runs each step's heavy work as a Job and
mirrors the round's events as Kubernetes Events. The round's phase lives in the store,
so a restarted operator continues at the step it was at; each step's Job has a fixed
name and is only ever adopted, never recreated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from frontier.domain import naming
from frontier.domain.rounds import RoundPhase, RoundStep, next_step
from frontier.domain.specs import MutationRoundSpec
from frontier.operator import children, frontier, jobs, manifests, metrics
from frontier.operator.runtime import Runtime
from frontier.pipeline import rounds
from frontier.pipeline.context import Context
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
    """Drive the round through the pipeline's steps (pipeline.rounds) as far as its Jobs allow."""
    number, started_in = spec.round, record.phase
    failure_budget = ctx.spec.job.max_failed_indexes
    hold = children.budget_hold(rt, ctx)
    outcome: jobs.JobsOutcome | None = None
    done = errors = 0
    while (next_ := next_step(record.phase)) is not RoundStep.DONE:
        if next_ is RoundStep.MUTATE:
            await rt.db(rounds.begin_mutating, ctx, number)
            command = manifests.mutate_command(ctx.frontier, number, ctx.spec.profile.shards)
            job = _job(rt, ctx, body, spec, "teach", naming.round_name(ctx.name, number), command)
            outcome = await jobs.drive(rt, body, [job], failure_budget, hold)
            if outcome.phase != "Succeeded":
                break
            await rt.db(rounds.begin_admitting, ctx, number, ctx.spec.profile.shards)
        elif next_ is RoundStep.ROLL_OUT:
            cname = naming.candidates_run(ctx.name, number)
            command = manifests.rollouts_command(ctx.frontier, cname)
            job = _job(rt, ctx, body, spec, "admit", cname, command)
            outcome = await jobs.drive(rt, body, [job], failure_budget, hold)
            totals = await rt.db(ctx.store.run_totals, ctx.run_key(cname))
            done, errors = totals.rollouts, totals.errors
            if outcome.phase != "Succeeded":
                break
            admission = await rt.db(rounds.admit, ctx, number)
            if admission.published is not None:
                version = admission.retained.slice.version
                await rt.event(
                    body, "SlicePublished", admission.published, key=str(version), action="Retain"
                )
            if admission.finished is not None:
                await _finished(rt, body, admission.finished)
        else:
            if not await rt.db(rounds.verified, ctx, record):
                to_verify = rounds.stats_of(record).slice_version
                assert to_verify is not None  # a round verifies only the slice it published
                await ensure_verification(rt, ctx, to_verify)
                break
            _, message = await rt.db(rounds.finish, ctx, number)
            await _finished(rt, body, message)
        record = await rt.db(rounds.require_round, ctx, number)

    phase = RoundPhase(record.phase)
    stats = rounds.stats_of(record)
    if phase.finished:
        status = jobs.run_status(
            body,
            outcome,
            phase="Succeeded" if phase is RoundPhase.SUCCEEDED else "Failed",
            reason="RoundFinished" if phase is RoundPhase.SUCCEEDED else "RoundFailed",
            message=stats.admitted_text() if stats.reason is None else stats.reason,
            done=stats.rollouts_spent,
            total=stats.rollouts_spent,
            stage=phase,
            slice_version=stats.slice_version,
        )
        await rt.patch_status(body, status)
        if phase != started_in:  # finished just now: the round says so before its Frontier
            await frontier.after_child(rt, ctx)
        return

    if outcome is not None and outcome.phase == "Failed":
        await rt.db(rounds.fail, ctx, number, outcome.message)
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
    if phase is RoundPhase.VERIFYING:  # the candidates' rollouts are done: progress stays
        done = stats.rollouts_spent
    run_phase = outcome.phase if outcome is not None and outcome.phase != "Succeeded" else "Running"
    if run_phase == "Pending" and (
        phase is not RoundPhase.MUTATING or (body.get("status") or {}).get("phase") == "Running"
    ):
        run_phase = "Running"  # a later stage's Job starting: the round itself is under way
    status = jobs.run_status(
        body,
        outcome,
        phase=run_phase,
        reason=outcome.reason if outcome and outcome.reason == jobs.BUDGET_EXCEEDED else phase,
        message=outcome.message if outcome else f"round {number}: {phase}",
        done=done,
        total=done,
        errors=errors,
        stage=phase,
        slice_version=stats.slice_version,
    )
    await rt.patch_status(body, status)


async def _finished(rt: Runtime, body: Mapping[str, Any], message: str) -> None:
    await rt.event(body, "RoundFinished", message, key="done", action="FinishRound")


async def ensure_verification(rt: Runtime, ctx: Context, slice_version: int) -> None:
    """The slice's VerificationRun, owned by the Frontier (created once, then adopted)."""
    owner = await rt.kube.get(frontier.frontier_ref(ctx.namespace, ctx.name))
    if owner is not None:
        ref = manifests.FrontierRef.from_body(owner)
        await rt.kube.create(manifests.verification_run(ref, ctx.spec, slice_version))


# --- handlers ---------------------------------------------------------------

children.register(PLURAL, reconcile)
