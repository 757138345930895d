"""Drive a run's worker Jobs: create them once, keep suspend and parallelism in step, read progress.

A Job is looked up by its deterministic name before it is created, and a create
that meets 409 adopts the existing Job: a restarted operator, or two replicas
racing before peering settles, never start the same work twice. The one Job made
again is one a budget stop ended (a worker exit 4): it is held, Suspended, while the
budget holds (pipeline.budget.hold), then deleted and created anew, and its shards
resume from the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from frontier.domain.status import PlacementStatus, RunPhase, RunStatus, progress_text
from frontier.operator import metrics
from frontier.operator.jobstate import (
    JobState,
    budget_stop,
    job_state,
    shard_failures,
    unschedulable,
)
from frontier.operator.kube import KubeError, Ref
from frontier.operator.runtime import Runtime, with_conditions


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:10]


@dataclass(frozen=True)
class JobsOutcome:
    phase: RunPhase
    reason: str
    message: str
    names: tuple[str, ...]
    states: tuple[JobState, ...] = ()
    stuck: str | None = None
    create_failed: bool = False
    start_time: str | None = None
    completion_time: str | None = None

    @property
    def failed_shards(self) -> int:
        return sum(s.failed_indexes for s in self.states)

    @property
    def succeeded_shards(self) -> int:
        return sum(s.succeeded for s in self.states)


_delivered: ContextVar[Mapping[str, Any] | None] = ContextVar("delivered_job", default=None)


@contextmanager
def delivered(job: Mapping[str, Any]) -> Iterator[None]:
    """A Job a watch event has just delivered: `drive` takes it as read, not reading it again.

    The event's body is the Job as the API server sent it, as fresh as a GET would be
    (a later change is a later event, and a reconcile of its own); for the Job
    completion path this saves one request per completion.
    """
    token = _delivered.set(job)
    try:
        yield
    finally:
        _delivered.reset(token)


def _as_delivered(ref: Ref) -> dict[str, Any] | None:
    job = _delivered.get()
    if job is None:
        return None
    meta = job.get("metadata") or {}
    if (meta.get("namespace") or "default", meta.get("name")) != (ref.namespace, ref.name):
        return None
    return dict(job)


BudgetHold = Callable[[], Awaitable[str | None]]
"""Why the frontier's budget holds its work now (pipeline.budget.hold), or None."""

BUDGET_EXCEEDED = "BudgetExceeded"


async def drive(
    rt: Runtime,
    owner: Mapping[str, Any],
    manifests: Sequence[dict[str, Any]],
    failure_budget: int,
    hold: BudgetHold | None = None,
) -> JobsOutcome:
    """Ensure every Job exists as built, and combine their states into one verdict.

    `failure_budget` is how many shards may fail for good (spec.job.maxFailedIndexes);
    `hold` tells whether a Job a budget stop ended must wait or may start again.
    """
    names = tuple(m["metadata"]["name"] for m in manifests)
    states: list[JobState] = []
    starts: list[str] = []
    ends: list[str] = []
    for manifest in manifests:
        ref = Ref.of(manifest)
        try:
            job = _as_delivered(ref) or await rt.kube.get(ref)
            if job is not None and (job.get("metadata") or {}).get("deletionTimestamp"):
                message = f"{ref.name}: waiting for the stopped Job to go before it starts again"
                return JobsOutcome("Pending", "BudgetRaised", message, names)
            if job is None:
                job, _ = await rt.kube.create(manifest)
            else:
                job = await _keep_in_step(rt, ref, job, manifest)
        except KubeError as exc:
            message = f"cannot create Job {ref.name}: {exc}"
            await rt.event(owner, "JobCreateFailed", message, key=digest(message), type="Warning")
            return JobsOutcome("Pending", "JobCreateFailed", message, names, create_failed=True)
        states.append(job_state(job, failure_budget))
        metrics.observe_job(job)  # once per Job, when it has finished
        status = job.get("status") or {}
        if status.get("startTime"):
            starts.append(status["startTime"])
        if status.get("completionTime"):
            ends.append(status["completionTime"])
    outcome = combine(names, states)
    outcome = JobsOutcome(
        outcome.phase,
        outcome.reason,
        outcome.message,
        names,
        tuple(states),
        start_time=min(starts) if starts else None,
        completion_time=max(ends) if ends and outcome.phase == "Succeeded" else None,
    )
    if outcome.phase == "Failed":
        pods = await _pods(rt, manifests)
        stopped = budget_stop(pods) if hold is not None else None
        if stopped is not None and hold is not None:
            return await _budget_stopped(rt, owner, manifests, outcome, stopped, await hold())
        why = shard_failures(pods)
        if why is not None:
            outcome = replace(outcome, message=f"{outcome.message} ({why})")
    if outcome.phase in ("Pending", "Running"):
        pods = await _pods(rt, manifests)
        why = unschedulable(pods)
        if why is not None:
            await rt.event(owner, "Unschedulable", why, key=digest(why), type="Warning")
            # The Job controller counts a pod no node will take as active: the run has not
            # started until some pod is on a node or some shard has ended.
            started = (
                outcome.succeeded_shards
                or outcome.failed_shards
                or any(p.get("spec", {}).get("nodeName") for p in pods)
            )
            return JobsOutcome(
                outcome.phase if started else "Pending",
                "Unschedulable",
                why,
                names,
                tuple(states),
                stuck=why,
                start_time=outcome.start_time,
            )
    return outcome


async def _budget_stopped(
    rt: Runtime,
    owner: Mapping[str, Any],
    manifests: Sequence[Mapping[str, Any]],
    outcome: JobsOutcome,
    stopped: str,
    held: str | None,
) -> JobsOutcome:
    """A Job a budget stop ended: Suspended while the budget holds, then made again."""
    if held is not None:
        await rt.event(owner, BUDGET_EXCEEDED, held, key=digest(held), type="Warning")
        return replace(outcome, phase="Suspended", reason=BUDGET_EXCEEDED, message=held)
    for manifest, state in zip(manifests, outcome.states, strict=True):
        if state.phase == "Failed":  # the budget was raised: the stopped Jobs start again
            await rt.kube.delete(Ref.of(manifest))
    message = f"the budget was raised: starting again after {stopped}"
    await rt.event(owner, "BudgetRaised", message, key=digest(message), action="Resume")
    return replace(outcome, phase="Pending", reason="BudgetRaised", message=message)


async def _pods(rt: Runtime, manifests: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    pods: list[dict[str, Any]] = []
    for manifest in manifests:
        ref = Ref.of(manifest)
        pods += await rt.kube.list(
            Ref("v1", "pods", ref.namespace), labels={"job-name": str(ref.name)}
        )
    return pods


async def _keep_in_step(
    rt: Runtime, ref: Ref, job: dict[str, Any], manifest: Mapping[str, Any]
) -> dict[str, Any]:
    """Carry the run's suspend flag and parallelism over to a Job that already exists."""
    wanted = manifest["spec"]
    have = job.get("spec") or {}
    patch = {
        key: wanted[key]
        for key in ("suspend", "parallelism")
        if key in wanted and have.get(key) != wanted[key]
    }
    if not patch or (job.get("status") or {}).get("completionTime"):
        return job
    return await rt.kube.patch(ref, {"spec": patch})


def combine(names: tuple[str, ...], states: Sequence[JobState]) -> JobsOutcome:
    def of(phase: RunPhase, state: JobState, name: str) -> JobsOutcome:
        return JobsOutcome(phase, state.reason, f"{name}: {state.message}", names)

    for name, state in zip(names, states, strict=True):
        if state.phase == "Failed":
            return of("Failed", state, name)
    if states and all(s.phase == "Succeeded" for s in states):
        lost = sum(s.failed_indexes for s in states)
        reason = "WithinFailureBudget" if lost else "JobComplete"
        return JobsOutcome("Succeeded", reason, f"{len(states)} Job(s) complete", names)
    for name, state in zip(names, states, strict=True):
        if state.phase == "Running":
            return of("Running", state, name)
    if states and all(s.phase in ("Suspended", "Succeeded") for s in states):
        return JobsOutcome("Suspended", "JobSuspended", "the run is suspended", names)
    return JobsOutcome("Pending", "JobPending", "waiting for the Job's pods to start", names)


def run_status(
    body: Mapping[str, Any],
    outcome: JobsOutcome | None,
    *,
    phase: RunPhase,
    reason: str,
    message: str,
    done: int = 0,
    total: int = 0,
    errors: int = 0,
    stage: str | None = None,
    bands: dict[str, int] | None = None,
    slice_version: int | None = None,
    calibration: int | None = None,
    placements: list[PlacementStatus] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """A run's status: phase, progress, conditions (Ready, Progressing, Degraded)."""
    moment = now or datetime.now(UTC)
    previous = body.get("status") or {}
    degraded = phase == "Failed" or bool(outcome and (outcome.stuck or outcome.create_failed))
    if phase == "Succeeded" and outcome is not None and outcome.failed_shards:
        degraded, reason = True, "WithinFailureBudget"
    updates = [
        ("Ready", "True" if phase == "Succeeded" else "False", reason, message),
        (
            "Progressing",
            "True" if phase in ("Pending", "Running") else "False",
            reason,
            message,
        ),
        (
            "Degraded",
            "True" if degraded else "False",
            reason if degraded else "AsExpected",
            message if degraded else "",
        ),
    ]
    status = RunStatus(
        phase=phase,
        observed_generation=(body.get("metadata") or {}).get("generation"),
        progress=progress_text(done, max(total, done)),
        rollouts_done=done,
        rollouts_total=max(total, done),
        errors=errors,
        # Without a Job outcome (a finished run reconciled again, an operator restart) the
        # shard counts already reported stand: nothing has read the Job to say otherwise.
        shards_succeeded=outcome.succeeded_shards
        if outcome
        else int(previous.get("shardsSucceeded") or 0),
        shards_failed=outcome.failed_shards if outcome else int(previous.get("shardsFailed") or 0),
        conditions=with_conditions(body, updates, now=moment),
        job_name=outcome.names[0] if outcome and outcome.names else previous.get("jobName"),
        stage=stage,
        bands=bands,
        slice_version=slice_version,
        calibration=calibration,
        placements=placements,
        start_time=previous.get("startTime")
        or (outcome.start_time if outcome else None)
        or (moment.strftime("%Y-%m-%dT%H:%M:%SZ") if phase != "Pending" else None),
        completion_time=previous.get("completionTime")
        or (
            (outcome.completion_time if outcome else None) or moment.strftime("%Y-%m-%dT%H:%M:%SZ")
            if phase in ("Succeeded", "Failed")
            else None
        ),
    )
    return status.to_wire()
